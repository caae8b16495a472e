"""A keypoint file's hands → ``assign.HandTrack`` on the chosen person's wrists, ready for
``motion.solve_hands`` (the same assignment, angles, limits and cleaning as the video's hands).

Each file hand is a candidate like a detected one: ``assign.assign_hands`` puts it on the
lifted person's nearer wrist (several people, a left/right swap the body repair relabelled, a
mislabelled hand: the wrist decides, not the file's label). A hand with any point scored below
``MIN_CONF`` is skipped in that frame (a weak fingertip could otherwise bend a finger) and
counted in the report. The 3D comes from the 2D points by ``lift2d.lift_hands``.
"""
from __future__ import annotations

import numpy as np

from .assign import assign_hands
from .detect import Hand, body_wrists
from .landmarks import BODY_ELBOW, BODY_WRIST, NUM_LANDMARKS, SIDES
from .lift2d import lift_hands

# OpenPose's own hand threshold (its hand_render_threshold); COCO-WholeBody's labelled points
# have v = 1 or 2, read as 1.
MIN_CONF = 0.2


def file_track(hands, kp, body_joints: np.ndarray):
    """``detect.hand_files.FileHands`` + the person's ``Keypoints2D`` (file pixels) + the lifted
    body (T, 17, 3) Blender axes → (``HandTrack`` with 3D ``world``, report line of skipped hands)."""
    t = kp.num_frames
    candidates, weak = [], 0
    for frame in range(t):
        found = []
        for h in hands.frames[frame] if frame < hands.num_frames else []:
            if np.min(h.conf) < MIN_CONF:
                weak += 1
                continue
            found.append(Hand(points=h.points, world=np.full((NUM_LANDMARKS, 3), np.nan), score=float(np.mean(h.conf))))
        candidates.append(found)
    wrists, forearms = body_wrists(kp)
    track = assign_hands(candidates, wrists, forearms, kp.fps, mode="file")
    body = np.asarray(body_joints, dtype=np.float64)
    for s, side in enumerate(SIDES):
        f = np.flatnonzero(track.found[:, s])
        f = f[f < len(body)]
        forearm = body[f, BODY_WRIST[side]] - body[f, BODY_ELBOW[side]]
        # Blender Y is the camera's depth: the forearm's away-from-camera slope.
        depth = forearm[:, 1] / np.maximum(np.linalg.norm(forearm, axis=-1), 1e-12)
        track.world[f, s] = lift_hands(track.points[f, s], side, depth)
        track.found[len(body):, s] = False
    note = ""
    if weak:
        note = (f" {weak} hand{'s' if weak != 1 else ''} in the file had keypoints scored below {MIN_CONF:g} "
                f"and {'were' if weak != 1 else 'was'} skipped in {'those frames' if weak != 1 else 'that frame'}.")
    return track, note

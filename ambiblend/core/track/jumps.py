"""Root jumps no body can make: found, reported and never keyed as motion.

A person's pelvis cannot move faster than ``HUMAN_ROOT_SPEED`` (10 m/s: a sprinter's top speed
is about 12 m/s, a brisk walk 1.5 m/s, so anything beyond 10 m/s between two frames of an
everyday clip is a detection that jumped to someone or something else, or a depth estimate
gone wrong). ``find_jumps`` splits the clip where the root moves faster than that from one frame
to the next, trusts the piece with the most confident detections (frames where the person was
not seen count nothing), and walks outwards from it: a piece that can be reached
from the trusted motion at a human speed (over the frames between them) is kept, any other is
marked. ``remove_jumps`` turns the marked frames into a gap — the joints interpolated from the
motion around it, confidence 0, the frames flagged as filled — exactly as frames where the person
was not seen.

Given the 2D, a jump the image does not show (the root moved smoothly in the picture, only its
estimated depth leapt) is the root-depth estimate's, not the pose's: then only the root's path is
interpolated over those frames and the pose is kept. On the Pose2Sim cam02 view 59 of 96 frames
had such depth-only jumps; turning them into gaps had cost 37 mm PMPJPE there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..interpolate import interpolate_track
from ..skeleton import ROOT, THORAX

HUMAN_ROOT_SPEED = 10.0   # m/s
# Pelvis-to-thorax length of an adult (m), to read a speed off the image in body lengths.
TORSO_M = 0.5


@dataclass
class Jumps:
    """frames: (T,) bool, frames treated as a gap; jumps: [(frame, speed m/s)] 0-based frame t of
    each jump from t to t + 1 found; max_speed: the largest frame-to-frame root speed before."""
    frames: np.ndarray
    jumps: list
    max_speed: float
    depth_frames: np.ndarray | None = None   # (T,) frames whose root path alone was repaired

    @property
    def count(self) -> int:
        return len(self.jumps)

    def describe(self, limit: float = HUMAN_ROOT_SPEED) -> str:
        """'' when there was none, else a sentence for reports."""
        if not self.jumps:
            return ""
        where = ", ".join(f"{t + 1}→{t + 2} ({v:.0f} m/s)" for t, v in self.jumps[:5])
        more = f" and {len(self.jumps) - 5} more" if len(self.jumps) > 5 else ""
        depth = 0 if self.depth_frames is None else int(self.depth_frames.sum())
        fixed = f"; root depth repaired in {depth} frames (the image shows no jump)" if depth else ""
        gap = int(self.frames.sum())
        return (f"{len(self.jumps)} root jump{'s' if len(self.jumps) > 1 else ''} faster than {limit:g} m/s "
                f"(frames {where}{more}); {gap} frame{'' if gap == 1 else 's'} treated as a gap{fixed}")


def root_speeds(joints: np.ndarray, fps: float) -> np.ndarray:
    """(T − 1,) root speed in m/s between consecutive frames of joints (T, 17, 3) metres."""
    root = np.asarray(joints, dtype=np.float64)[:, ROOT]
    return np.linalg.norm(np.diff(root, axis=0), axis=-1) * fps


def find_jumps(joints: np.ndarray, fps: float, limit: float = HUMAN_ROOT_SPEED,
               weight: np.ndarray | None = None) -> Jumps:
    """Mark the frames of joints (T, 17, 3) metres that cannot be reached at ``limit`` m/s.
    weight: (T,) how much each frame is trusted (``remove_jumps``: the mean joint confidence, 0
    where the person was not seen; default 1): the trusted piece is the one of most weight, not
    one made of frames filled across a long gap."""
    root = np.asarray(joints, dtype=np.float64)[:, ROOT]
    speed = root_speeds(joints, fps)
    cuts = np.flatnonzero(speed > limit)
    bad = np.zeros(len(root), dtype=bool)
    max_speed = float(speed.max()) if len(speed) else 0.0
    if not len(cuts):
        return Jumps(bad, [], max_speed)
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts + 1, [len(root)]])           # segment k = frames starts[k]:ends[k]
    weight = np.ones(len(root)) if weight is None else np.asarray(weight, dtype=np.float64)
    anchor = int(np.argmax([weight[a:b].sum() + 1e-6 * (b - a) for a, b in zip(starts, ends)]))
    last = ends[anchor] - 1                                  # walk forward from the anchor
    for k in range(anchor + 1, len(starts)):
        s = starts[k]
        if np.linalg.norm(root[s] - root[last]) * fps / (s - last) <= limit:
            last = ends[k] - 1
        else:
            bad[s:ends[k]] = True
    first = starts[anchor]                                   # and backward
    for k in range(anchor - 1, -1, -1):
        e = ends[k] - 1
        if np.linalg.norm(root[first] - root[e]) * fps / (first - e) <= limit:
            first = starts[k]
        else:
            bad[starts[k]:ends[k]] = True
    return Jumps(bad, [(int(t), float(speed[t])) for t in cuts], max_speed)


def image_jumps(xy: np.ndarray, fps: float, limit: float = HUMAN_ROOT_SPEED) -> Jumps:
    """``find_jumps`` on the 2D root (T, 17, 2) pixels, speeds read in body lengths: the clip's
    median pelvis→thorax length in pixels stands for ``TORSO_M`` metres."""
    xy = np.asarray(xy, dtype=np.float64)
    torso = np.median(np.linalg.norm(xy[:, THORAX] - xy[:, ROOT], axis=-1))
    metres = np.zeros(xy.shape[:2] + (3,))
    metres[..., :2] = xy * (TORSO_M / max(float(torso), 1e-9))
    return find_jumps(metres, fps, limit)


def remove_jumps(joints: np.ndarray, conf: np.ndarray, filled: np.ndarray, fps: float,
                 limit: float = HUMAN_ROOT_SPEED, xy: np.ndarray | None = None):
    """joints (T, 17, 3) metres, conf (T, 17), filled (T,) → (joints, conf, filled, Jumps) with
    the frames of impossible jumps interpolated, confidence 0 and flagged as filled. With the
    clip's 2D ``xy`` (T, 17, 2), frames whose jump the image does not show keep their pose and
    only the root's path is interpolated through them (``Jumps.depth_frames``)."""
    trust = np.where(np.asarray(filled, dtype=bool), 0.0, np.asarray(conf, dtype=np.float64).mean(axis=1))
    found = find_jumps(joints, fps, limit, weight=trust)
    if not found.frames.any():
        return joints, conf, filled, found
    out = np.array(joints, dtype=np.float64, copy=True)
    if xy is not None:
        depth_only = found.frames & ~image_jumps(xy, fps, limit).frames
        if depth_only.any():
            root = out[:, ROOT].copy()
            root[depth_only] = np.nan
            out += (interpolate_track(root) - out[:, ROOT])[:, None, :]
            found.frames = found.frames & ~depth_only
            found.depth_frames = depth_only
        if not found.frames.any():
            return out, conf, filled, found
    out[found.frames] = np.nan
    for j in range(out.shape[1]):
        out[:, j] = interpolate_track(out[:, j])
    conf = np.where(found.frames[:, None], 0.0, conf)
    return out, conf, np.asarray(filled, dtype=bool) | found.frames, found

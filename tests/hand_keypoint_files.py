"""Keypoint files with known hands, for the tests of issue 14 item 5 (core and Blender).

The bundled sample's real body keypoints (first ``N`` frames, written as OpenPose BODY_25 /
COCO-17) with, at each wrist, a hand of the default shape curled by the known angles ``KNOWN``
(``angles.finger_points``) and projected orthographically (palm facing the camera).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ambiblend.core.detect import load_keypoints
from ambiblend.core.detect.landmarks import BODY_25, COCO_17
from ambiblend.core.hands.angles import finger_points
from ambiblend.core.hands.landmarks import BODY_ELBOW, BODY_WRIST, SIDES
from ambiblend.core.hands.motion import default_shape
from ambiblend.core.skeleton import JOINT_INDEX

SAMPLE_KEYPOINTS = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
N = 12
# Known curls (degrees) per finger: MCP, PIP, DIP (thumb CMC, MCP, IP); spreads 0 but the MCPs'.
CURLS = np.radians([[10, 30, 40], [40, 60, 30], [20, 80, 45], [60, 45, 20], [80, 85, 60]])
SPREADS = np.radians([[15, 0, 0], [-10, 0, 0], [0, 0, 0], [8, 0, 0], [15, 0, 0]])
KNOWN = np.stack([CURLS, SPREADS], axis=-1)

def facing_rotation(side: str, along: np.ndarray) -> np.ndarray:
    """Palm frame → camera for a palm facing the camera, its hand axis along the image
    direction ``along`` (2,)."""
    y = np.array([*along / np.linalg.norm(along), 0.0])
    z = np.array([0.0, 0.0, -1.0 if side == "R" else 1.0])     # palm normal (±z) towards the camera
    return np.stack([np.cross(y, z), y, z], axis=-1)


def projected_hand(side, rotation, wrist_px, px_per_m, angles=KNOWN):
    palm, lengths = default_shape(side)
    cam = finger_points(angles, palm, lengths, side) @ rotation.T
    return cam[:, :2] * px_per_m + wrist_px


def flat_list(points, conf=0.9):
    c = np.broadcast_to(np.asarray(conf, float), (len(points),))
    return np.column_stack([points, c]).ravel().tolist()


def sample_body():
    """(N, 17, 2) real H36M body pixels: the bundled sample's first N frames."""
    return load_keypoints(SAMPLE_KEYPOINTS).xy[:N]


def body_flat(xy, layout, size):
    """The sample's H36M joints as a layout's [x, y, c] list (face points at the head joint)."""
    a = np.zeros((size, 3))
    for name, i in layout.items():
        joint = name if name in JOINT_INDEX else "head"
        a[i] = (*xy[JOINT_INDEX[joint]], 0.9)
    return a.ravel().tolist()


def frame_hands(xy, conf=0.9):
    """{side: [x, y, c] × 21} of the known hand at each wrist of one frame (hand axis along the
    forearm, 0.8 of the forearm long)."""
    out = {}
    for side in SIDES:
        wrist, elbow = xy[BODY_WRIST[side]], xy[BODY_ELBOW[side]]
        forearm = np.linalg.norm(wrist - elbow)
        out[side] = flat_list(projected_hand(side, facing_rotation(side, wrist - elbow), wrist, 0.8 * forearm / 0.19), conf)
    return out


def openpose_folder(tmp_path, conf=0.9, hands=True, bad_frame=None):
    folder = tmp_path / "openpose"
    folder.mkdir(parents=True)
    for t, xy in enumerate(sample_body()):
        person = {"pose_keypoints_2d": body_flat(xy, BODY_25, 25)}
        if hands:
            h = frame_hands(xy, conf)
            person.update(hand_left_keypoints_2d=h["L"], hand_right_keypoints_2d=h["R"])
            if t == bad_frame:
                person["hand_left_keypoints_2d"] = h["L"][:60]
        (folder / f"clip_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": [person]}))
    return folder


def wholebody_file(tmp_path, results133=False):
    entries = []
    for t, xy in enumerate(sample_body()):
        h = frame_hands(xy, 1.0)
        if results133:
            kp = np.zeros((133, 3))
            kp[:17] = np.reshape(body_flat(xy, COCO_17, 17), (17, 3))
            kp[91:112], kp[112:133] = np.reshape(h["L"], (21, 3)), np.reshape(h["R"], (21, 3))
            entries.append({"image_id": t, "keypoints": kp.ravel().tolist(), "score": 0.9})
        else:
            entries.append({"image_id": t, "id": t, "keypoints": body_flat(xy, COCO_17, 17),
                            "lefthand_kpts": h["L"], "righthand_kpts": h["R"],
                            "lefthand_valid": True, "righthand_valid": True})
    data = entries if results133 else {"images": [{"id": t, "width": 540, "height": 952} for t in range(N)],
                                       "annotations": entries}
    path = tmp_path / "wholebody.json"
    path.write_text(json.dumps(data))
    return path

"""Mapping of detector keypoints (MediaPipe 33, COCO-17, OpenPose BODY_25 / COCO-18) to the
17-joint H36M skeleton of ``core.skeleton``. One derivation serves every layout.

Direct joints: hips, knees, ankles, shoulders, elbows, wrists (same name, same side; left/right
as seen by the subject in every layout). Derived joints, with ``mid(a, b) = (a + b) / 2``:

- pelvis = mid(left hip, right hip).
- thorax = mid(left shoulder, right shoulder).
- spine  = ``skeleton.derive_spine`` (shared with the mocap reader): pelvis + 0.5 · (thorax − pelvis). H36M's mean bones pelvis→spine 233 mm,
  spine→thorax 257 mm put it at 0.48 of the way; we use 0.5.
- head centre h = mid(nose, mid(ears)): on the head's axis at nose/ear height in a frontal view
  and in profile (the nose is in front of that axis by as much as the ears are behind it). If
  both ears are missing the eyes stand in for them; if only one ear is seen, it alone is used.
- head (H36M head top) = h + HEAD_TOP_EXTENSION · (h − thorax): extrapolated above the head
  centre along the neck direction. The crown is ≈ 13 cm above the ears and the ears ≈ 20 cm
  above the shoulder line in adults, hence 0.65.
- neck (H36M "neck/nose") = ``skeleton.derive_neck`` = mid(thorax, head top): H36M's thorax→neck and neck→head bones are
  121 and 115 mm, so the joint sits half-way, just below nose level (at the chin).

Confidence: direct joints keep the detector's score (MediaPipe visibility, COCO/OpenPose score);
a derived joint gets the mean confidence of the points it comes from (a missing point counts 0).
Missing points are NaN in and NaN out (filled later by ``gaps.fill_gaps``).
"""
from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX, NUM_JOINTS, derive_neck, derive_spine

HEAD_TOP_EXTENSION = 0.65

# Keypoint index of each named point in the supported layouts.
_LIMBS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
MEDIAPIPE_33 = {"nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
                "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
                "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
                "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28}
COCO_17 = {"nose": 0, "left_eye": 1, "right_eye": 2, "left_ear": 3, "right_ear": 4,
           "left_shoulder": 5, "right_shoulder": 6, "left_elbow": 7, "right_elbow": 8,
           "left_wrist": 9, "right_wrist": 10, "left_hip": 11, "right_hip": 12,
           "left_knee": 13, "right_knee": 14, "left_ankle": 15, "right_ankle": 16}
# BODY_25's own "neck" (1) and "mid_hip" (8) are not used: the derivation above is the same for
# every layout, so one clip gives the same skeleton whatever detector made it.
BODY_25 = {"nose": 0, "right_shoulder": 2, "right_elbow": 3, "right_wrist": 4,
           "left_shoulder": 5, "left_elbow": 6, "left_wrist": 7, "right_hip": 9, "right_knee": 10,
           "right_ankle": 11, "left_hip": 12, "left_knee": 13, "left_ankle": 14,
           "right_eye": 15, "left_eye": 16, "right_ear": 17, "left_ear": 18}
OPENPOSE_COCO_18 = {"nose": 0, "right_shoulder": 2, "right_elbow": 3, "right_wrist": 4,
                    "left_shoulder": 5, "left_elbow": 6, "left_wrist": 7, "right_hip": 8,
                    "right_knee": 9, "right_ankle": 10, "left_hip": 11, "left_knee": 12,
                    "left_ankle": 13, "right_eye": 14, "left_eye": 15, "right_ear": 16,
                    "left_ear": 17}
# Number of keypoints → layout, for files that do not say which they hold.
LAYOUTS = {33: MEDIAPIPE_33, 17: COCO_17, 25: BODY_25, 18: OPENPOSE_COCO_18}


def _mid(pts, confs):
    """Mean of points that are all required: NaN if any is NaN. → ((T, D), (T,))"""
    return np.mean(pts, axis=0), np.mean(confs, axis=0)


def _mid_available(pts, confs):
    """Mean of the points that are present (NaN only if none is); conf = mean over all."""
    pts = np.asarray(pts)
    seen = np.isfinite(pts).all(axis=-1)                       # (K, T)
    n = seen.sum(axis=0)
    total = np.where(seen[..., None], pts, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n[:, None]
    return np.where(n[:, None] > 0, mean, np.nan), np.mean(confs, axis=0)


def to_h36m(points: np.ndarray, conf: np.ndarray, layout: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Detector keypoints → H36M joints.

    points: (T, K, D) pixels (D = 2), or 3D points such as MediaPipe's world landmarks (D = 3; every
    derivation above is per coordinate); NaN where a keypoint is missing. conf: (T, K) in [0, 1];
    layout: name → keypoint index (one of the tables above).
    Returns joints (T, 17, D) with NaN where a joint cannot be derived, and conf (T, 17).
    """
    points = np.asarray(points, dtype=np.float64)
    conf = np.where(np.isfinite(points).all(axis=-1), np.nan_to_num(np.asarray(conf, dtype=np.float64)), 0.0)
    p = lambda name: points[:, layout[name]]
    c = lambda name: conf[:, layout[name]]
    t = points.shape[0]
    xy = np.full((t, NUM_JOINTS, points.shape[-1]), np.nan)
    out_c = np.zeros((t, NUM_JOINTS))

    def put(joint, value):
        xy[:, JOINT_INDEX[joint]], out_c[:, JOINT_INDEX[joint]] = value

    for side in ("left", "right"):
        for limb in _LIMBS:
            put(f"{side}_{limb}", (p(f"{side}_{limb}"), c(f"{side}_{limb}")))
    pelvis = _mid([p("left_hip"), p("right_hip")], [c("left_hip"), c("right_hip")])
    thorax = _mid([p("left_shoulder"), p("right_shoulder")], [c("left_shoulder"), c("right_shoulder")])
    put("pelvis", pelvis)
    put("thorax", thorax)
    put("spine", (derive_spine(pelvis[0], thorax[0]), 0.5 * (pelvis[1] + thorax[1])))

    ears = _mid_available([p("left_ear"), p("right_ear")], [c("left_ear"), c("right_ear")])
    eyes = _mid_available([p("left_eye"), p("right_eye")], [c("left_eye"), c("right_eye")])
    no_ears = np.isnan(ears[0]).any(axis=-1)[:, None]
    ears = (np.where(no_ears, eyes[0], ears[0]), np.where(no_ears[:, 0], eyes[1], ears[1]))
    centre = _mid_available([p("nose"), ears[0]], [c("nose"), ears[1]])
    top = centre[0] + HEAD_TOP_EXTENSION * (centre[0] - thorax[0])
    top_c = 0.5 * (centre[1] + thorax[1])
    put("head", (top, top_c))
    put("neck", (derive_neck(thorax[0], top), top_c))
    return xy, out_c

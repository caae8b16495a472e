"""Turn world-space mocap joints into 2D training/evaluation sequences.

Frames: mocap joints come in the file's world frame, metres, **Y up** (Bandai-Namco). Virtual
cameras use the OpenCV camera frame (x right, y down, z away from the camera); 2D is the
unit-focal projection (X/Z, Y/Z), the unit ``SequenceSet`` stores for projected mocap.

Three ingredients, each documented where it is defined:
- ``Camera`` / ``random_camera`` / ``look_at``: virtual cameras around the subject.
- ``vary_bones``: per-sequence bone-length variation (all clips share one skeleton).
- ``detector_like``: the noise model that turns exact projections into "detector-like 2D".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ambiblend.core.detect.gaps import fill_gaps
from ambiblend.core.skeleton import FLIP_PERMUTATION, JOINT_INDEX, NUM_JOINTS, PARENTS

UP = np.array([0.0, 1.0, 0.0])  # world up of the mocap (Y up)

# 35 mm-equivalent focal lengths of the footage we expect, and the 16:9 frame's short side in
# the same 36×24 mm convention (36 mm × 9/16 = 20.25 mm).
FOCAL_MM = {"phone": 26.0, "webcam": 30.0}
FRAME_SHORT_MM = 20.25


@dataclass
class Camera:
    """A static pinhole camera: world point p → camera frame R (p − centre)."""
    rotation: np.ndarray  # (3, 3) rows = camera x (right), y (down), z (forward) in world axes
    centre: np.ndarray    # (3,) world position, metres
    focal_mm: float       # 35 mm-equivalent focal, only used to place the camera (framing)
    azimuth_deg: float
    elevation_deg: float

    def to_camera(self, joints: np.ndarray) -> np.ndarray:
        """(..., 3) world → (..., 3) camera frame, metres."""
        return (joints - self.centre) @ self.rotation.T


def look_at(centre: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation whose rows are the camera's right, down and forward axes (world Y up, no roll)."""
    fwd = target - centre
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, UP)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    return np.stack([right, down, fwd])


def facing_direction(joints: np.ndarray) -> np.ndarray:
    """Mean horizontal facing of a clip (F, 17, 3) → unit (3,): left-hip axis × up."""
    left = (joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]).mean(0)
    fwd = np.cross(left, UP)
    fwd[1] = 0.0
    return fwd / max(np.linalg.norm(fwd), 1e-9)


def place_camera(joints: np.ndarray, azimuth_deg: float, elevation_deg: float, fill: float,
                 focal_mm: float) -> Camera:
    """A static camera looking at the clip's mean pelvis.

    azimuth 0 = in front of the subject's mean facing, 90 = at the subject's left side;
    elevation > 0 = camera above, looking down. Distance: the subject's height covers ``fill``
    of the frame's short side at this focal (d = H·f / (fill·20.25 mm)), then pushed back if
    the subject walks closer than that during the clip (static tripod, as in real footage).
    """
    pelvis = joints[:, 0]
    target = pelvis.mean(0)
    height = float(np.ptp(joints[..., 1], axis=-1).mean()) + 0.08  # + ankle→sole
    dist = height * focal_mm / (fill * FRAME_SHORT_MM)
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    fwd = facing_direction(joints)
    side = np.cross(UP, fwd)  # subject's left
    direction = np.cos(el) * (np.cos(az) * fwd + np.sin(az) * side) + np.sin(el) * UP
    # The nearest the pelvis gets along the viewing axis must still be ``dist``.
    along = (pelvis - target) @ direction
    dist += max(0.0, float(along.max()))
    centre = target + dist * direction
    return Camera(look_at(centre, target), centre, focal_mm, azimuth_deg, elevation_deg)


def random_camera(joints: np.ndarray, rng: np.random.Generator, azimuth_range=(-180.0, 180.0),
                  elevation_range=(-10.0, 30.0), fill_range=(0.35, 0.85)) -> Camera:
    """Training camera: azimuth/elevation/framing uniform in the ranges, phone or webcam focal."""
    focal = FOCAL_MM["phone"] if rng.random() < 0.5 else FOCAL_MM["webcam"]
    return place_camera(joints, rng.uniform(*azimuth_range), rng.uniform(*elevation_range),
                        rng.uniform(*fill_range), focal)


# Test protocol: (azimuth, elevation) of each view relative to the subject's mean facing,
# plus a small jitter from a fixed seed. Front, side, back-diagonal and elevated views.
EVAL_VIEWS = ((0.0, 5.0), (90.0, 0.0), (-135.0, 15.0), (45.0, 30.0))


def eval_cameras(joints: np.ndarray, rng: np.random.Generator) -> list[Camera]:
    """The fixed test/validation views of a clip (call with a seeded rng for determinism)."""
    cams = []
    for i, (az, el) in enumerate(EVAL_VIEWS):
        focal = FOCAL_MM["phone"] if i % 2 == 0 else FOCAL_MM["webcam"]
        cams.append(place_camera(joints, az + rng.uniform(-10, 10), el + rng.uniform(-3, 3),
                                 rng.uniform(0.5, 0.8), focal))
    return cams


# Bone groups varied together (left and right share a factor, a body is symmetric).
_BONE_GROUPS = {
    "thigh": ("right_knee", "left_knee"), "shin": ("right_ankle", "left_ankle"),
    "hip_width": ("right_hip", "left_hip"), "torso": ("spine", "thorax"), "neck": ("neck",),
    "head": ("head",), "shoulder_width": ("left_shoulder", "right_shoulder"),
    "upper_arm": ("left_elbow", "right_elbow"), "forearm": ("left_wrist", "right_wrist"),
}


# Proportion ranges for training skeletons: a factor U(lo, hi) per bone group, relative to the
# mocap skeleton's own bone. "mocap": ±10 % about the Bandai-Namco skeleton. "wide": also covers
# the proportions of keypoints a 2D detector puts on a real body. The Bandai-Namco joints are
# skeletal centres on a narrow frame: per leg length (thigh + shin) its half shoulder width is
# 0.125, half hip width 0.081, pelvis→mid-shoulders 0.49. Anthropometric tables (Drillis &
# Contini, as tabled in Winter, Biomechanics and Motor Control of Human Movement) give 0.26,
# 0.19 (trochanters) and 0.59; MediaPipe's shoulders and hips, triangulated on the Pose2Sim
# footage (assets/REAL_FOOTAGE.md), sit at 0.23, 0.125 and 0.69. The ranges span the skeleton
# and these surface landmarks, so the lifter does not read wide shoulders as a turned body.
# "varied" (issue 11): adult and child bodies, joint centres to surface landmarks. On top of
# "wide" it varies the legs against the trunk and the head against both: a child of about 6
# has legs ≈ 45 % of stature (adult ≈ 50 %) and a head ≈ 1/6 of stature (adult ≈ 1/8), so per
# leg length the trunk is up to ≈ 1.2× and the head ≈ 1.5× the adult's, and these combine with
# the surface-landmark widths (torso up to 1.4× for MediaPipe's shoulders and hips).
PROPORTIONS = {
    "mocap": {g: (0.9, 1.1) for g in _BONE_GROUPS},
    "wide": {"thigh": (0.9, 1.1), "shin": (0.9, 1.1), "hip_width": (0.9, 2.2),
             "shoulder_width": (0.9, 2.2), "torso": (0.9, 1.5), "neck": (0.9, 1.4),
             "head": (0.9, 1.4), "upper_arm": (0.9, 1.3), "forearm": (0.9, 1.3)},
    "varied": {"thigh": (0.85, 1.15), "shin": (0.85, 1.15), "hip_width": (0.9, 2.4),
               "shoulder_width": (0.9, 2.3), "torso": (0.9, 1.7), "neck": (0.8, 1.5),
               "head": (0.9, 1.8), "upper_arm": (0.85, 1.3), "forearm": (0.85, 1.3)},
}


def vary_bones(joints: np.ndarray, rng: np.random.Generator, proportions: str = "mocap") -> np.ndarray:
    """Rescale bone groups of a whole sequence by factors drawn from ``PROPORTIONS[proportions]``.

    joints (F, 17, 3) world → same shape; the pelvis stays put and every bone keeps its
    direction, so the motion is unchanged apart from the body's proportions.
    """
    factor = np.ones(NUM_JOINTS)
    for group, children in _BONE_GROUPS.items():
        f = rng.uniform(*PROPORTIONS[proportions][group])
        for name in children:
            factor[JOINT_INDEX[name]] = f
    out = joints.copy()
    for child, parent in enumerate(PARENTS):  # parents come first: rebuild from the root
        if parent >= 0:
            out[:, child] = out[:, parent] + factor[child] * (joints[:, child] - joints[:, parent])
    return out


# Detector-like 2D: the noise model.
#   1. Gaussian noise per joint and frame, σ = NOISE_FRAC × the frame's 2D bounding-box height,
#      ×EXTREMITY_GAIN at wrists and ankles (detectors are worst there).
#   2. Dropped joints: each joint starts a gap with probability DROP_RATE per frame; the gap
#      lasts 1–10 frames; gaps are filled by the add-on's ``detect.gaps.fill_gaps`` (linear in
#      time, held at the ends), conf = 0.
#   3. Left/right swaps: with probability SWAP_RATE per frame a limb pair (arms or legs)
#      swaps sides for 1–5 frames (the classic detector confusion in side views).
NOISE_FRAC = 0.015
EXTREMITY_GAIN = 1.5
DROP_RATE = 0.005
SWAP_RATE = 0.003
_EXTREMITIES = [JOINT_INDEX[n] for n in ("left_wrist", "right_wrist", "left_ankle", "right_ankle")]
_ARMS = [JOINT_INDEX[n] for n in ("left_shoulder", "left_elbow", "left_wrist",
                                  "right_shoulder", "right_elbow", "right_wrist")]
_LEGS = [JOINT_INDEX[n] for n in ("left_hip", "left_knee", "left_ankle",
                                  "right_hip", "right_knee", "right_ankle")]


def detector_like(xy: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Exact 2D (T, 17, 2) → (noisy 2D (T, 17, 2), conf (T, 17)) following the model above."""
    t = len(xy)
    bbox_h = np.ptp(xy[..., 1], axis=1)  # (T,)
    sigma = NOISE_FRAC * bbox_h[:, None] * np.ones((1, NUM_JOINTS))
    sigma[:, _EXTREMITIES] *= EXTREMITY_GAIN
    out = xy + rng.standard_normal(xy.shape) * sigma[..., None]
    for start in np.flatnonzero(rng.random(t) < SWAP_RATE):
        part = _ARMS if rng.random() < 0.5 else _LEGS
        end = min(t, start + rng.integers(1, 6))
        out[start:end, part] = out[start:end][:, [FLIP_PERMUTATION[j] for j in part]]
    missing = np.zeros((t, NUM_JOINTS), dtype=bool)
    for start, joint in zip(*np.nonzero(rng.random((t, NUM_JOINTS)) < DROP_RATE)):
        missing[start:start + rng.integers(1, 11), joint] = True
    missing[0, missing.all(axis=0)] = False  # a joint never seen cannot be filled
    out[missing] = np.nan
    # The add-on's own gap filling (linear in time, held at the ends, conf 0 where filled).
    out, conf, _ = fill_gaps(out, np.ones((t, NUM_JOINTS)), np.ones(t, bool), "mocap")
    return out, conf.astype(np.float32)

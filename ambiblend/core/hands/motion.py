"""Detected hands → finger angles and hand joint positions on the lifted body.

    solve_hands(track, body_joints, fps, smoothness) → HandMotion

Per side, from MediaPipe's hand world landmarks (metres, camera-aligned):

1. Depth ambiguity: a hand seen in one view has a mirror-image 3D twin with the same 2D
   landmarks, and MediaPipe's 3D then belongs to the other hand (its handedness label names
   the other side). Where the label disagrees with the wrist the hand was assigned to, the depth
   is mirrored back (z → −z), which restores the right chirality (checked on the shared clips:
   finger curls towards the palm again).
2. Blender axes (``geometry.camera_to_blender``), palm frame and finger angles
   (``angles.finger_angles``), clamped to the anatomical limits.
3. Cleaning (``clean.fingers.smooth_fingers`` with ``finger_smoothness``): gaps filled, angles
   and palm orientation filtered, limits applied again.
4. Hand orientation (``hand_frame``): the palm frame's direction in the image and its twist,
   the forearm's depth slope (MediaPipe's depth of a small hand is poor; measured).
5. Forward kinematics with the clip's own hand shape (median palm and bone lengths), scaled so
   the hand is ``HAND_LENGTH_RATIO`` of the body's standing height, placed at the body's wrist
   with the detected palm orientation. The angles, not raw landmark positions, drive the
   fingers, so no misdetected landmark can bend a finger backwards.

A side with fewer than ``MIN_FOUND`` detections is not keyed (its bones keep the rest pose,
a flat hand along the forearm) and the summary says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import camera_to_blender, matrix_to_quaternion
from ..skeleton import clip_height
from .angles import LIMITS, bone_lengths, clamp_angles, finger_angles, finger_points, palm_rotation, to_palm
from .landmarks import BODY_ELBOW, BODY_WRIST, FINGERS, MIDDLE_MCP, NUM_LANDMARKS, SIDE_NAMES, SIDES, WRIST

# Wrist crease to the tip of the middle finger is 0.108 of the standing height (Drillis &
# Contini's segment table, as used by Winter 2009).
HAND_LENGTH_RATIO = 0.108
MIN_FOUND = 3
CLAMP_REPORT = np.radians(10.0)   # angles further than this outside their limits are reported
# Palm shape of a right hand in its palm frame (metres: wrist, thumb CMC, index/middle/ring/
# pinky MCP) and bone lengths (5 fingers × 3): medians of MediaPipe's world landmarks over the
# four views of the shared Pose2Sim clip; used when a clip has no hand to measure.
DEFAULT_BASES = {0: (0.0, 0.0, 0.0), 1: (0.0199, 0.0241, 0.0097), 5: (0.0185, 0.0833, 0.0035),
                 9: (0.0, 0.084, 0.0), 13: (-0.019, 0.0814, 0.0015), 17: (-0.0319, 0.0686, 0.0035)}
DEFAULT_LENGTHS = np.array([[0.0283, 0.0289, 0.0241], [0.0257, 0.0214, 0.0246], [0.0315, 0.0236, 0.0258],
                            [0.0245, 0.0234, 0.0225], [0.0196, 0.0191, 0.0181]])


@dataclass
class HandMotion:
    """Hands of a lifted clip in Blender world metres.

    joints:   (T, 42, 3) the 21 landmarks of the left hand then the right (wrist = body wrist).
    angles:   (T, 2, 5, 3, 2) radians (curl, spread) per side, finger, joint; within ``LIMITS``.
    rotation: (T, 2, 3, 3) palm frame → world.
    keyed:    (2,) bool, sides with enough detections to animate.
    found:    (T, 2) bool, frames where the hand was detected (the rest interpolated).
    palm:     (2, 21, 3) palm-frame shape (wrist and finger bases) used; lengths (2, 5, 3).
    summary:  one line for the report.
    """
    joints: np.ndarray
    angles: np.ndarray
    rotation: np.ndarray
    keyed: np.ndarray
    found: np.ndarray
    palm: np.ndarray
    lengths: np.ndarray
    summary: str = ""

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])


def mirror_for(side: str) -> np.ndarray:
    """Palm-frame mirror taking a right hand's shape to ``side``'s (z negated for the left)."""
    return np.array([1.0, 1.0, -1.0 if side == "L" else 1.0])


def default_shape(side: str) -> tuple[np.ndarray, np.ndarray]:
    """(palm (21, 3), lengths (5, 3)) of the default hand for ``side``."""
    palm = np.zeros((NUM_LANDMARKS, 3))
    for i, p in DEFAULT_BASES.items():
        palm[i] = p
    return palm * mirror_for(side), DEFAULT_LENGTHS.copy()


def hand_length(palm: np.ndarray, lengths: np.ndarray) -> float:
    """Wrist → middle fingertip of a flat hand."""
    return float(np.linalg.norm(palm[MIDDLE_MCP] - palm[WRIST]) + lengths[FINGERS.index("middle")].sum())


def rest_rotation(side: str) -> np.ndarray:
    """Palm frame of a T-pose hand in Blender world: arm along ±X (left = +X), palm down,
    thumb forward (−Y, towards the camera the subject faces)."""
    y = np.array([1.0 if side == "L" else -1.0, 0.0, 0.0])
    x = np.array([0.0, -1.0, 0.0])
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def rest_hand(side: str, palm: np.ndarray, lengths: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """(21, 3) world positions of a flat T-pose hand whose wrist is at ``wrist``."""
    local = finger_points(np.zeros((5, 3, 2)), palm, lengths, side)
    return wrist + local @ rest_rotation(side).T


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions (w, x, y, z) → (..., 3, 3)."""
    w, x, y, z = np.moveaxis(np.asarray(q, dtype=np.float64), -1, 0)
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
                     np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
                     np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], -2)


def hand_frame(palm: np.ndarray, forearm: np.ndarray) -> np.ndarray:
    """The hand's orientation (..., 3, 3) from the detected palm frame (..., 3, 3) and the lifted
    forearm direction (..., 3), both in Blender axes of the camera (X right, Y depth, Z up).

    The hand axis (wrist → middle MCP) keeps its direction in the image plane from the palm
    frame (MediaPipe's 2D is good: within ~5° of the image landmarks) but takes its depth slope
    from the forearm: MediaPipe's depth for a 100-pixel hand is close to a guess (measured on
    the shared clip: hand axis 40.6° from the triangulated reference with its own depth, 20°
    with the forearm's; ``bench/measure_hands.py``). The palm's side axis (the twist, which the
    arm chain cannot give) comes from the palm frame, made perpendicular.
    """
    palm = np.asarray(palm, dtype=np.float64)
    f = forearm / np.maximum(np.linalg.norm(forearm, axis=-1, keepdims=True), 1e-12)
    plane = np.array([1.0, 0.0, 1.0])
    ip = palm[..., 1] * plane
    size = np.linalg.norm(ip, axis=-1, keepdims=True)
    ip = np.where(size > 0.2, ip, f * plane)      # the hand points at the camera: the forearm's
    ip = ip / np.maximum(np.linalg.norm(ip, axis=-1, keepdims=True), 1e-12)
    depth = np.clip(f[..., 1:2], -1.0, 1.0)
    y = ip * np.sqrt(1.0 - depth ** 2) + np.array([0.0, 1.0, 0.0]) * depth
    x = palm[..., 0] - np.sum(palm[..., 0] * y, axis=-1, keepdims=True) * y
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def world_landmarks(track) -> np.ndarray:
    """(T, 2, 21, 3) hand world landmarks in Blender axes, mirror-image depth undone (step 1)."""
    world = np.array(track.world, dtype=np.float64, copy=True)
    if track.label_agrees is not None:
        flip = track.found & ~np.asarray(track.label_agrees, bool)
        world[flip, :, 2] *= -1.0
    return camera_to_blender(world)


def solve_hands(track, body_joints: np.ndarray, fps: float, smoothness: float = 0.5) -> HandMotion:
    """``assign.HandTrack`` + the lifted body (T, 17, 3) Blender world metres → ``HandMotion``."""
    from ..clean.fingers import smooth_fingers
    body = np.asarray(body_joints, dtype=np.float64)
    t = len(body)
    found = np.zeros((t, 2), bool)
    found[:min(t, track.num_frames)] = track.found[:t]
    world = np.full((t, 2, NUM_LANDMARKS, 3), np.nan)
    world[:min(t, track.num_frames)] = world_landmarks(track)[:t]
    keyed = found.sum(axis=0) >= MIN_FOUND
    palms, lengths = np.zeros((2, NUM_LANDMARKS, 3)), np.zeros((2, 5, 3))
    for s, side in enumerate(SIDES):
        palms[s], lengths[s] = default_shape(side)
        if keyed[s]:
            seen = world[found[:, s], s]
            palms[s] = np.median(to_palm(seen), axis=0)
            lengths[s] = np.median(bone_lengths(seen), axis=0)
    measured = [hand_length(palms[s], lengths[s]) for s in range(2) if keyed[s]] or [hand_length(palms[0], lengths[0])]
    k = HAND_LENGTH_RATIO * clip_height(body) / float(np.mean(measured))
    palms *= k
    lengths *= k
    angles = np.zeros((t, 2, 5, 3, 2))
    rotation = np.tile(np.eye(3), (t, 2, 1, 1))
    joints = np.zeros((t, 2, NUM_LANDMARKS, 3))
    clamped = []
    for s, side in enumerate(SIDES):
        wrist = body[:, BODY_WRIST[side]]
        if not keyed[s]:
            rotation[:, s] = rest_rotation(side)
            joints[:, s] = rest_hand(side, palms[s], lengths[s], np.zeros(3))[None] + wrist[:, None]
            continue
        raw = np.zeros((t, 5, 3, 2))
        quats = np.tile([1.0, 0.0, 0.0, 0.0], (t, 1))
        f = found[:, s]
        raw[f] = finger_angles(world[f, s], side)
        forearm = body[f, BODY_WRIST[side]] - body[f, BODY_ELBOW[side]]
        quats[f] = matrix_to_quaternion(hand_frame(palm_rotation(world[f, s]), forearm))
        beyond = np.maximum(LIMITS[..., 0] - raw[f], raw[f] - LIMITS[..., 1])
        clamped.append(np.mean(beyond > CLAMP_REPORT))
        a, q = smooth_fingers(clamp_angles(raw), quats, f, fps, smoothness)
        angles[:, s] = clamp_angles(a)
        rotation[:, s] = quaternion_to_matrix(q)
        local = finger_points(angles[:, s], palms[s], lengths[s], side)
        joints[:, s] = wrist[:, None] + np.einsum("tij,tkj->tki", rotation[:, s], local)
    summary = track.summary()
    for s, side in enumerate(SIDES):
        if not keyed[s]:
            summary += f" The {SIDE_NAMES[side]} hand was not seen enough to animate; its fingers stay flat."
    if clamped:
        summary += (f" {100 * float(np.mean(clamped)):.0f} % of the detected finger angles were over 10° outside "
                    f"their anatomical limits and were clamped.")
    return HandMotion(joints=joints.reshape(t, 2 * NUM_LANDMARKS, 3), angles=angles, rotation=rotation,
                      keyed=keyed, found=found, palm=palms, lengths=lengths, summary=summary)


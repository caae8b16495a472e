"""Front/back confusions of the detector: whole-body left/right swaps found by facing continuity.

A single-view detector sometimes takes a person seen from behind for one seen from the front
(or the reverse) for a stretch of frames, and then labels every left joint as right. The 2D
points are still in the right places, so nothing jumps in the image for long, and the lifter
turns the wrong labels into a plausible body facing the other way. Bodies do not turn like
that: read as 3D, the stretch starts and ends with the body's facing direction jumping by up to
180° between two frames. On the Pose2Sim cam02 view MediaPipe did this in 28 % of the frames,
costing 38 mm PMPJPE there.

So each frame gets two hypotheses — the labels as detected, and all of them swapped — each
lifted to 3D and read as a facing angle (yaw about the camera's vertical). A two-state Viterbi
picks, per frame, the labelling whose facing turns no faster than a person turns
(``MAX_TURN_RATE``; a pirouette is about 720°/s), with a small cost per swapped frame so that
the detector's labelling wins whenever the two are equally smooth (a clip the detector reads
back-to-front throughout is left as it is: nothing in one view can tell).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..geometry import wrap_near
from ..skeleton import FLIP_PERMUTATION, JOINT_INDEX

MAX_TURN_RATE = np.radians(720.0)   # rad/s a body's facing may turn between frames at no cost
SWAP_COST = np.radians(2.0)         # rad charged per frame relabelled: ties go to the detector

_PERMUTATION = list(FLIP_PERMUTATION)
_LEFT = [JOINT_INDEX["left_shoulder"], JOINT_INDEX["left_hip"]]
_RIGHT = [JOINT_INDEX["right_shoulder"], JOINT_INDEX["right_hip"]]


def facing_yaw(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) camera-frame joints (x right, y down, z away) → (T,) yaw in radians of the
    right-to-left shoulder-and-hip direction in the camera's x–z plane."""
    across = (joints[:, _LEFT] - joints[:, _RIGHT]).sum(axis=1)
    return np.arctan2(across[:, 0], across[:, 2])


def swapped_frames(yaw: np.ndarray, yaw_swapped: np.ndarray, fps: float,
                   max_turn_rate: float = MAX_TURN_RATE, swap_cost: float = SWAP_COST) -> np.ndarray:
    """(T,) yaws of the two labellings → (T,) bool, True where the swapped labelling is kept.

    Cost of a path: the turn beyond ``max_turn_rate / fps`` between consecutive frames, summed,
    plus ``swap_cost`` per swapped frame; the cheapest path by dynamic programming.
    """
    yaws = np.stack([np.asarray(yaw, dtype=np.float64), np.asarray(yaw_swapped, dtype=np.float64)], axis=1)
    frames = len(yaws)
    if frames == 0:
        return np.zeros(0, dtype=bool)
    free = max_turn_rate / max(float(fps), 1e-6)
    unary = np.array([0.0, swap_cost])
    cost = unary.copy()
    back = np.zeros((frames, 2), dtype=np.int64)
    for t in range(1, frames):
        step = np.maximum(np.abs(wrap_near(yaws[t][None, :] - yaws[t - 1][:, None], 0.0)) - free, 0.0)  # [previous, current]
        total = cost[:, None] + step
        back[t] = total.argmin(axis=0)
        cost = total.min(axis=0) + unary
    states = np.zeros(frames, dtype=np.int64)
    states[-1] = int(cost.argmin())
    for t in range(frames - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states.astype(bool)


def swap_labels(kp, frames: np.ndarray):
    """``Keypoints2D`` with left and right exchanged in ``frames`` (xy, conf and the detector's 3D)."""
    frames = np.asarray(frames, dtype=bool)
    if not frames.any():
        return kp
    def swapped(a):
        out = np.array(a, copy=True)
        out[frames] = out[frames][:, _PERMUTATION]
        return out
    world = None if kp.world is None else swapped(kp.world)
    return replace(kp, xy=swapped(kp.xy), conf=swapped(kp.conf), world=world)


def repair_facing(kp, model) -> tuple[object, np.ndarray]:
    """``Keypoints2D`` → (the same with the detector's front/back confusions relabelled, (T,) bool
    frames relabelled). Two extra lifter passes over the clip (milliseconds)."""
    from ..lift.infer import lift_sequence  # the lifter reads the two labellings
    yaw = facing_yaw(lift_sequence(kp.xy, model).joints)
    yaw_swapped = facing_yaw(lift_sequence(kp.xy[:, _PERMUTATION], model).joints)
    frames = swapped_frames(yaw, yaw_swapped, kp.fps)
    return swap_labels(kp, frames), frames


def describe_swaps(count: int) -> str:
    """'left and right relabelled in 27 frames …' for a report; '' for none."""
    if not count:
        return ""
    return (f"left and right relabelled in {count} frame{'s' if count != 1 else ''} "
            "where the detector took the person's back for the front (or the reverse)")

"""Front/back confusions of the detector: whole-body left/right swaps found by facing continuity.

A single-view detector sometimes takes a person seen from behind for one seen from the front
(or the reverse) for a stretch of frames, and then labels every left joint as right. The 2D
points are still in the right places, so nothing jumps in the image for long, and the lifter
turns the wrong labels into a plausible body facing the other way. Bodies do not turn like
that: read as 3D, the stretch starts and ends with the body's facing direction jumping by up to
180° between two frames. On the Pose2Sim cam02 view MediaPipe did this in 28 % of the frames,
costing 38 mm PMPJPE there.

So each frame gets two hypotheses — the labels as detected, and swapped — each lifted to 3D and
read as a facing angle (yaw about the camera's vertical). A two-state Viterbi picks, per frame,
the labelling whose facing turns no faster than a person turns (``MAX_TURN_RATE``; a pirouette
is about 720°/s), with a small cost per swapped frame so that the detector's labelling wins
whenever the two are equally smooth (a clip the detector reads back-to-front throughout is left
as it is: nothing in one view can tell). The detector swaps the legs and the arms as units,
usually together; each unit is judged by its own girdle's facing (hips, shoulders), so a swap of
one pair alone is relabelled alone.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..geometry import wrap_near
from ..skeleton import FLIP_GROUPS, FLIP_PERMUTATION, JOINT_INDEX

MAX_TURN_RATE = np.radians(720.0)   # rad/s a body's facing may turn between frames at no cost
SWAP_COST = np.radians(2.0)         # rad per frame relabelled and per lag: ties go to the detector
# Each frame's facing is compared with the frames of the last LAG_SECONDS (at least one): a
# garbled frame cannot then bridge a 180° flip (3 frames at 60 fps, 1 at 15 fps).
LAG_SECONDS = 0.05

_PERMUTATION = list(FLIP_PERMUTATION)
_LEFT = [JOINT_INDEX["left_shoulder"], JOINT_INDEX["left_hip"]]
_RIGHT = [JOINT_INDEX["right_shoulder"], JOINT_INDEX["right_hip"]]
# The detector swaps the legs and the arms as units (``FLIP_GROUPS``), mostly together; each unit
# is judged by the facing of its own girdle (hips for the legs, shoulders for the arms).
_GIRDLES = tuple(next((JOINT_INDEX[f"left_{p}"], JOINT_INDEX[f"right_{p}"]) for p in ("hip", "shoulder")
                      if JOINT_INDEX[f"left_{p}"] in group) for group in FLIP_GROUPS)


def facing_yaw(joints: np.ndarray, left=_LEFT, right=_RIGHT) -> np.ndarray:
    """(T, 17, 3) camera-frame joints (x right, y down, z away) → (T,) yaw in radians of the
    right-to-left direction of the ``left``/``right`` joints (default: shoulders and hips) in
    the camera's x–z plane."""
    left, right = np.atleast_1d(left), np.atleast_1d(right)
    across = (joints[:, left] - joints[:, right]).sum(axis=1)
    return np.arctan2(across[:, 0], across[:, 2])


def lags_for(fps: float) -> int:
    """How many frames back each frame's facing is compared with at ``fps``."""
    return max(1, int(round(LAG_SECONDS * float(fps))))


def swapped_frames(yaw: np.ndarray, yaw_swapped: np.ndarray, fps: float,
                   max_turn_rate: float = MAX_TURN_RATE, swap_cost: float = SWAP_COST,
                   lags: int | None = None) -> np.ndarray:
    """(T,) yaws of the two labellings → (T,) bool, True where the swapped labelling is kept.

    Cost of a path: for every frame and every lag k = 1 … ``lags``, the turn from k frames back
    beyond k · ``max_turn_rate / fps``, plus ``swap_cost`` · lags per swapped frame (the turn
    terms grow with the lags, so must the tie-breaker); the cheapest path by dynamic programming
    over the last ``lags`` labellings (default ``lags_for(fps)``). Lags beyond one matter where
    the detector flickers: one garbled frame, read halfway between the two facings by both
    labellings, would otherwise be a stepping stone across a 180° flip at half the cost.
    """
    yaws = np.stack([np.asarray(yaw, dtype=np.float64), np.asarray(yaw_swapped, dtype=np.float64)], axis=1)
    frames = len(yaws)
    if frames == 0:
        return np.zeros(0, dtype=bool)
    free = max_turn_rate / max(float(fps), 1e-6)
    lags = lags_for(fps) if lags is None else max(1, int(lags))
    swap_cost = swap_cost * lags
    states = 1 << lags                       # state bits: labelling of frame t − j at bit j
    history = np.arange(states)
    cost = np.where(history >> 1 == 0, np.where(history & 1, swap_cost, 0.0), np.inf)
    back = np.zeros((frames, states), dtype=np.int64)
    current = history & 1
    unary = np.where(current, swap_cost, 0.0)
    # The two possible previous states of each state q: q's history shifted, oldest bit 0 or 1,
    # and the labelling each gives frame t − k.
    prev = np.stack([history >> 1, (history >> 1) | (1 << (lags - 1))])   # (2, states)
    earlier = [(prev >> (k - 1)) & 1 for k in range(1, lags + 1)]
    for t in range(1, frames):
        now = yaws[t, current][None, :]
        turn = np.zeros(prev.shape)
        for k in range(1, min(lags, t) + 1):
            turn += np.maximum(np.abs(wrap_near(now - yaws[t - k, earlier[k - 1]], 0.0)) - k * free, 0.0)
        total = cost[prev] + turn
        pick = total.argmin(axis=0)
        back[t] = prev[pick, history]
        cost = total[pick, history] + unary
    state = int(cost.argmin())
    out = np.zeros(frames, dtype=bool)
    for t in range(frames - 1, -1, -1):
        out[t] = bool(state & 1)
        state = back[t, state]
    return out


def swap_labels(kp, frames: np.ndarray, joints=None):
    """``Keypoints2D`` with left and right exchanged in ``frames`` (xy, conf and the detector's 3D);
    joints: only those (a ``FLIP_GROUPS`` unit), default all."""
    frames = np.asarray(frames, dtype=bool)
    if not frames.any():
        return kp
    cols = np.arange(len(_PERMUTATION)) if joints is None else np.asarray(joints)
    source = np.asarray(_PERMUTATION)[cols]
    def swapped(a):
        out = np.array(a, copy=True)
        rows = np.flatnonzero(frames)[:, None]
        out[rows, cols] = a[rows, source]
        return out
    world = None if kp.world is None else swapped(kp.world)
    return replace(kp, xy=swapped(kp.xy), conf=swapped(kp.conf), world=world)


def repair_facing(kp, model) -> tuple[object, np.ndarray]:
    """``Keypoints2D`` → (the same with the detector's front/back confusions relabelled, (T,) bool
    frames in which anything was relabelled). Legs and arms are judged apart, each by its
    girdle's facing under the two labellings of that unit (one extra lifter pass per unit:
    milliseconds), so a swap of the arms alone is not "repaired" by swapping the legs too."""
    from ..lift.infer import lift_sequence  # the lifter reads the labellings
    as_detected = lift_sequence(kp.xy, model).joints
    found = []
    for group, (left, right) in zip(FLIP_GROUPS, _GIRDLES):
        other = swap_labels(kp, np.ones(kp.num_frames, bool), group)
        yaw = facing_yaw(as_detected, left, right)
        yaw_swapped = facing_yaw(lift_sequence(other.xy, model).joints, left, right)
        found.append((group, swapped_frames(yaw, yaw_swapped, kp.fps)))
    for group, frames in found:
        kp = swap_labels(kp, frames, group)
    return kp, np.any([frames for _, frames in found], axis=0)


def describe_swaps(count: int) -> str:
    """'left and right relabelled in 27 frames …' for a report; '' for none."""
    if not count:
        return ""
    return (f"left and right relabelled in {count} frame{'s' if count != 1 else ''} "
            "where the detector took the person's back for the front (or the reverse)")

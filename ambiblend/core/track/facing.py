"""Front/back confusions of the detector: whole-body left/right swaps found by facing continuity.

A single-view detector sometimes takes a person seen from behind for one seen from the front
(or the reverse) for a stretch of frames, and then labels every left joint as right. The 2D
points are still in the right places, so nothing jumps in the image for long, and the lifter
turns the wrong labels into a plausible body facing the other way. Bodies do not turn like
that: read as 3D, the stretch starts and ends with the body's facing direction jumping by up to
180° between two frames. On the Pose2Sim cam02 view MediaPipe did this in about 30 % of the frames,
costing 38 mm PMPJPE there.

So each frame gets four hypotheses (the labels as detected; the legs, the arms or both
swapped), each lifted to 3D and read as the facing (yaw about the camera's vertical) of the hips
and of the shoulders. A Viterbi picks, per frame, the labelling whose girdles turn no faster
than a person turns (``MAX_TURN_RATE``; a pirouette is about 720°/s) and never face more than
``MAX_TWIST`` apart, with a small cost per swapped unit so that the detector's labelling wins
whenever the two are equally smooth (a clip the detector reads back-to-front throughout is left
as it is: nothing in one view can tell). A swap of one limb pair alone is relabelled alone.

Where the detector flickers between the labellings it also folds a girdle onto itself (left
and right points a few pixels apart), and the facing read from such a frame is noise that can
outweigh everything else: only frames whose girdles are open in the image (``readable_frames``)
are judged, compared over the time between them; the frames between get the cheapest labelling
with the judged ones fixed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..geometry import wrap_near
from ..skeleton import FLIP_GROUPS, FLIP_PERMUTATION, JOINT_INDEX, ROOT, THORAX

MAX_TURN_RATE = np.radians(720.0)   # rad/s a body's facing may turn between frames at no cost
SWAP_COST = np.radians(2.0)         # rad per frame relabelled and per lag: ties go to the detector
# Each frame's facing is compared with the frames of the last LAG_SECONDS (at least one): a
# garbled frame cannot then bridge a 180° flip (3 frames at 60 fps, 1 at 15 fps).
LAG_SECONDS = 0.05
# The dynamic programme keeps at most this many histories (hypotheses ** lags).
MAX_STATES = 4096
# Hips and shoulders may face this far apart at no cost (a golf swing's backswing twists the
# torso about 50-60°); beyond it a labelling reads as a body facing two ways, which is how an
# arms-only relabelling that is wrong shows (the Pose2Sim cam02 view relabelled 68 frames of
# arms the detector had right, against hips facing the other way).
MAX_TWIST = np.radians(90.0)
# A frame is judged only when both girdles are at least this share of their median width across
# the clip (in the image, relative to the torso's length). On cam02 of the Pose2Sim clip the
# flicker frames fold the shoulders to 0.05-0.4 of their usual width (0.65 of the torso) and
# the hips to 0.02-0.2 (0.35): judged there, the repair relabelled the complement of the true
# swap with two of five lifters; judged without them, all five find the same frames.
READABLE_WIDTH = 0.4

_PERMUTATION = list(FLIP_PERMUTATION)
_LEFT = [JOINT_INDEX["left_shoulder"], JOINT_INDEX["left_hip"]]
_RIGHT = [JOINT_INDEX["right_shoulder"], JOINT_INDEX["right_hip"]]
# The detector swaps the legs and the arms as units (``FLIP_GROUPS``), mostly together; each unit
# is judged by the facing of its own girdle (hips for the legs, shoulders for the arms).
_GIRDLES = tuple(next((JOINT_INDEX[f"left_{p}"], JOINT_INDEX[f"right_{p}"]) for p in ("hip", "shoulder")
                      if JOINT_INDEX[f"left_{p}"] in group) for group in FLIP_GROUPS)
# Every combination of units relabelled (row h: which of FLIP_GROUPS hypothesis h swaps); row 0
# is the detector's labelling.
_HYPOTHESES = np.array([[(h >> u) & 1 for u in range(len(FLIP_GROUPS))] for h in range(1 << len(FLIP_GROUPS))], dtype=bool)


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


def readable_frames(xy: np.ndarray) -> np.ndarray:
    """(T, 17, 2) image joints → (T,) bool: frames whose hips and shoulders are both open enough
    to read a facing from (``READABLE_WIDTH``)."""
    keep = np.ones(len(xy), dtype=bool)
    if not len(xy):
        return keep
    torso = np.maximum(np.linalg.norm(xy[:, THORAX] - xy[:, ROOT], axis=-1), 1e-9)
    for left, right in _GIRDLES:
        width = np.linalg.norm(xy[:, left] - xy[:, right], axis=-1) / torso
        keep &= width >= READABLE_WIDTH * np.median(width)
    return keep


def swapped_frames(yaw: np.ndarray, yaw_swapped: np.ndarray, fps: float,
                   max_turn_rate: float = MAX_TURN_RATE, swap_cost: float = SWAP_COST,
                   lags: int | None = None) -> np.ndarray:
    """(T,) yaws of the two labellings of one unit → (T,) bool, True where the swapped labelling
    is kept (``cheapest_labelling`` with two hypotheses, every frame judged, no twist)."""
    yaws = np.stack([yaw, yaw_swapped], axis=1)[:, :, None]
    times = np.arange(len(yaws)) / max(float(fps), 1e-6)
    lags = lags_for(fps) if lags is None else lags
    return cheapest_labelling(yaws, np.array([[0], [1]]), times, lags, max_turn_rate, swap_cost) == 1


def cheapest_labelling(yaws: np.ndarray, relabelled: np.ndarray, times: np.ndarray, lags: int,
                       max_turn_rate: float = MAX_TURN_RATE, swap_cost: float = SWAP_COST,
                       twist: tuple[int, int] | None = None, max_twist: float = MAX_TWIST,
                       allowed: np.ndarray | None = None) -> np.ndarray:
    """(T, H, U) facing yaws of U girdles under H labelling hypotheses at ``times`` (s;
    hypothesis 0: as detected; ``relabelled`` (H, U) says which units each one relabels) → (T,)
    hypothesis index per frame.

    Cost of a path: for every girdle, frame and lag k = 1 … ``lags``, the turn from k frames back
    beyond ``max_turn_rate`` times the time between them; plus ``swap_cost`` · lags per unit
    relabelled per frame (the turn terms grow with the lags, so must the tie-breaker); with
    ``twist`` = (u, v), plus lags · the angle between girdles u and v beyond ``max_twist`` in
    each frame (a torso does not face two ways). ``allowed`` (T, H) bool: the hypotheses a frame
    may take (default all). Cheapest path by dynamic programming over the
    last ``lags`` hypotheses (fewer if H^lags would pass ``MAX_STATES``). Lags beyond one matter
    where the detector flickers: one garbled frame, read halfway between the two facings by both
    labellings, would otherwise be a stepping stone across a 180° flip at half the cost.
    """
    yaws, times = np.asarray(yaws, dtype=np.float64), np.asarray(times, dtype=np.float64)
    frames, hyps = yaws.shape[:2]
    if frames == 0:
        return np.zeros(0, dtype=np.int64)
    lags = max(1, min(int(lags), int(np.log(MAX_STATES) / np.log(hyps) + 1e-9)))
    unary = np.broadcast_to(swap_cost * lags * np.asarray(relabelled).sum(axis=1), (frames, hyps)).copy()
    if twist is not None:
        u, v = twist
        apart = np.abs(wrap_near(yaws[:, :, u] - yaws[:, :, v], 0.0))
        unary += lags * np.maximum(apart - max_twist, 0.0)
    if allowed is not None:
        unary[~np.asarray(allowed, dtype=bool)] = np.inf
    states = hyps ** lags                     # state: hypotheses of frames t, t − 1, … as base-H digits
    history = np.arange(states)
    current = history % hyps
    # The H possible previous states of each state: its digits shifted by one, any oldest digit;
    # and the hypothesis each gives frame t − k.
    prev = np.stack([history // hyps + d * hyps ** (lags - 1) for d in range(hyps)])   # (H, states)
    earlier = [(prev // hyps ** (k - 1)) % hyps for k in range(1, lags + 1)]
    cost = np.where(history // hyps == 0, unary[0, current], np.inf)   # before frame 0: as detected
    back = np.zeros((frames, states), dtype=np.int64)
    for t in range(1, frames):
        now = yaws[t, current][None]                                     # (1, states, U)
        turn = np.zeros(prev.shape)
        for k in range(1, min(lags, t) + 1):
            step = np.abs(wrap_near(now - yaws[t - k, earlier[k - 1]], 0.0)) - max_turn_rate * (times[t] - times[t - k])
            turn += np.maximum(step, 0.0).sum(axis=-1)
        total = cost[prev] + turn
        pick = total.argmin(axis=0)
        back[t] = prev[pick, history]
        cost = total[pick, history] + unary[t, current]
    state = int(cost.argmin())
    out = np.zeros(frames, dtype=np.int64)
    for t in range(frames - 1, -1, -1):
        out[t] = state % hyps
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
    frames in which anything was relabelled). Each of the four labellings is lifted once
    (milliseconds) and read as the facing of its hips and shoulders; the cheapest path over the
    readable frames (module docstring) fixes their labellings, then a second pass finds the
    cheapest labelling of the frames between with those fixed."""
    from ..lift.infer import lift_sequence  # the lifter reads the labellings
    readable = np.flatnonzero(readable_frames(kp.xy))
    if len(readable) < 2:
        return kp, np.zeros(kp.num_frames, dtype=bool)
    everything = np.ones(kp.num_frames, bool)
    yaws = np.zeros((kp.num_frames, len(_HYPOTHESES), len(FLIP_GROUPS)))
    for h, relabel in enumerate(_HYPOTHESES):
        labelled = kp
        for group, swap in zip(FLIP_GROUPS, relabel):
            labelled = swap_labels(labelled, everything, group) if swap else labelled
        joints = lift_sequence(labelled.xy, model).joints
        for u, (left, right) in enumerate(_GIRDLES):
            yaws[:, h, u] = facing_yaw(joints, left, right)
    lags = lags_for(kp.fps)
    path = cheapest_labelling(yaws[readable], _HYPOTHESES, readable / max(float(kp.fps), 1e-6), lags, twist=(0, 1))
    # The unreadable frames between: the cheapest path through them with the judged ones fixed.
    allowed = np.ones(yaws.shape[:2], dtype=bool)
    allowed[readable] = np.arange(len(_HYPOTHESES))[None, :] == path[:, None]
    path = cheapest_labelling(yaws, _HYPOTHESES, np.arange(kp.num_frames) / max(float(kp.fps), 1e-6), lags,
                              twist=(0, 1), allowed=allowed)
    chosen = _HYPOTHESES[path]                      # (T, units) relabelled
    for group, frames in zip(FLIP_GROUPS, chosen.T):
        kp = swap_labels(kp, frames, group)
    return kp, chosen.any(axis=1)


def describe_swaps(count: int) -> str:
    """'left and right relabelled in 27 frames …' for a report; '' for none."""
    if not count:
        return ""
    return (f"left and right relabelled in {count} frame{'s' if count != 1 else ''} "
            "where the detector took the person's back for the front (or the reverse)")

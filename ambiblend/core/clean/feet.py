"""Foot contacts and foot locking.

Contacts: an ankle is planted while it is close to its floor height and slow, with hysteresis
(separate on/off thresholds) so noise does not make it flicker. Locking: during a contact the
ankle is pinned to one anchor point (the mean of its planted positions), blended in and out over
``BLEND_SECONDS``; the knee is re-solved with two-bone IK so thigh and shin keep their lengths.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import FEET, JOINT_INDEX

# Thresholds in metres above the planted-ankle height and metres per second of ankle speed.
HEIGHT_ON, HEIGHT_OFF = 0.05, 0.08
SPEED_ON, SPEED_OFF = 0.35, 0.6
MIN_CONTACT_SECONDS = 0.1
BLEND_SECONDS = 0.1

# (hip, knee, ankle) per foot, same order as skeleton.FEET (left, right).
LEGS = tuple((JOINT_INDEX[f"{s}_hip"], JOINT_INDEX[f"{s}_knee"], JOINT_INDEX[f"{s}_ankle"])
             for s in ("left", "right"))


def ankle_speed(joints: np.ndarray, fps: float) -> np.ndarray:
    """(T, 17, 3) → (T, 2) ankle speed in units per second (central differences)."""
    ankles = joints[:, list(FEET)]
    if len(ankles) < 2:
        return np.zeros(ankles.shape[:2])
    return np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * fps


def detect_contacts(joints: np.ndarray, fps: float, ankle_floor: float) -> np.ndarray:
    """(T, 17, 3) Z-up metres → (T, 2) bool contacts [left, right]. ankle_floor: ankle z when
    standing on the floor. Hysteresis: on when low AND slow, off when high OR fast."""
    height = joints[:, list(FEET), 2] - ankle_floor
    speed = ankle_speed(joints, fps)
    contacts = np.zeros(height.shape, dtype=bool)
    for f in range(2):
        on = False
        for t in range(len(height)):
            if on:
                on = height[t, f] <= HEIGHT_OFF and speed[t, f] <= SPEED_OFF
            else:
                on = height[t, f] <= HEIGHT_ON and speed[t, f] <= SPEED_ON
            contacts[t, f] = on
        _drop_short(contacts[:, f], max(1, int(round(MIN_CONTACT_SECONDS * fps))))
    return contacts


def contact_segments(flags: np.ndarray) -> list[tuple[int, int]]:
    """(T,) bool → [(start, stop)) index ranges of consecutive True."""
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


def _drop_short(flags: np.ndarray, min_len: int) -> None:
    for s, e in contact_segments(flags):
        if e - s < min_len:
            flags[s:e] = False


def lock_feet(joints: np.ndarray, contacts: np.ndarray, fps: float) -> np.ndarray:
    """Pin each planted ankle to its segment's mean position, blended over BLEND_SECONDS on
    both sides, and move the knee by two-bone IK. joints (T, 17, 3) Z-up, contacts (T, 2).

    Where a pinned ankle is out of the leg's reach (the lifted hips drift away from a planted
    foot, typically on a straight leg), the whole body is lowered just enough for the leg to
    reach it, as a person would bend the knees, instead of letting the foot slide."""
    out = np.array(joints, dtype=np.float64, copy=True)
    blend = max(1, int(round(BLEND_SECONDS * fps)))
    legs = []
    drop = np.zeros(len(out))
    for f, (hip, knee, ankle) in enumerate(LEGS):
        weight, anchor = _anchor_track(joints[:, ankle], contacts[:, f], blend)
        if not (weight > 0).any():
            continue
        target = joints[:, ankle] + weight[:, None] * (anchor - joints[:, ankle])
        reach = (np.linalg.norm(joints[:, knee] - joints[:, hip], axis=-1)
                 + np.linalg.norm(joints[:, ankle] - joints[:, knee], axis=-1))
        drop = np.maximum(drop, np.where(weight > 0, _drop_to_reach(target - joints[:, hip], reach), 0.0))
        legs.append((hip, knee, ankle, weight > 0, target))
    out[..., 2] -= _smooth_above(drop, 2 * blend + 1)[:, None]
    for hip, knee, ankle, moved, target in legs:
        k, a = two_bone_ik(out[moved, hip], out[moved, knee], out[moved, ankle],
                           target[moved], _forward(out[moved]))
        out[moved, knee], out[moved, ankle] = k, a
    return out


def keep_above_floor(joints: np.ndarray, ankle_floor: float, fps: float) -> np.ndarray:
    """Raise the whole body in frames where its lower ankle is below ``ankle_floor`` (its height
    when standing on the floor, Z up), eased over ``BLEND_SECONDS``, so no foot goes through the
    floor. The pose itself is untouched: bending the knees instead cost up to 4.7 mm PMPJPE on
    the Pose2Sim views, because a foot below the floor there is a depth error of the whole body
    more often than a wrong leg. joints (T, 17, 3) → new array."""
    out = np.array(joints, dtype=np.float64, copy=True)
    lowest = out[:, [a for _, _, a in LEGS], 2].min(axis=1)
    lift = np.clip(ankle_floor - lowest, 0.0, None)
    if lift.any():
        blend = max(1, round(BLEND_SECONDS * fps))
        out[..., 2] += _smooth_above(lift, 2 * blend + 1)[:, None]
    return out


def _smooth_above(x: np.ndarray, width: int) -> np.ndarray:
    """A smooth curve ≥ x (T,): running max then running mean over the same centred window
    (every window of the mean contains frame t, so each term is ≥ x[t]). The lowering then
    eases in and out instead of popping, and never falls short of what the legs need."""
    if len(x) < width or not x.any():
        return x
    h = width // 2
    padded = np.pad(x, h, mode="edge")
    peak = np.lib.stride_tricks.sliding_window_view(padded, width).max(axis=-1)
    return np.lib.stride_tricks.sliding_window_view(np.pad(peak, h, mode="edge"), width).mean(axis=-1)


def _drop_to_reach(w: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Smallest Δ ≥ 0 with |w + Δ·Z| ≤ reach, w = target − hip (T, 3); the best Δ if none."""
    disc = w[:, 2] ** 2 - np.sum(w * w, axis=-1) + reach ** 2
    need = np.where(disc >= 0, -w[:, 2] - np.sqrt(np.clip(disc, 0.0, None)), -w[:, 2])
    return np.clip(need, 0.0, None)


def _anchor_track(ankle: np.ndarray, flags: np.ndarray, blend: int):
    """Per-frame lock weight (T,) in [0, 1] and anchor (T, 3); the strongest segment wins."""
    n = len(ankle)
    weight, anchor = np.zeros(n), np.zeros((n, 3))
    for s, e in contact_segments(flags):
        # 1 inside [s, e), linear ramps of `blend` frames outside it.
        lo, hi = max(0, s - blend), min(n, e + blend)
        t = np.arange(lo, hi)
        w = 1.0 - np.maximum(s - t, t - (e - 1)).clip(min=0) / (blend + 1)
        take = w > weight[lo:hi]
        weight[lo:hi][take], anchor[lo:hi][take] = w[take], ankle[s:e].mean(axis=0)
    return weight, anchor


def _forward(joints: np.ndarray) -> np.ndarray:
    """(N, 17, 3) → (N, 3) the body's forward direction (knees bend this way), Z-up world."""
    side = joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]
    fwd = np.cross(side, np.array([0.0, 0.0, 1.0]))
    n = np.linalg.norm(fwd, axis=-1, keepdims=True)
    return np.divide(fwd, n, out=np.tile([0.0, -1.0, 0.0], (len(fwd), 1)), where=n > 1e-9)


def two_bone_ik(hip, knee, ankle, target, forward):
    """Move ankle to target keeping |knee−hip| and |ankle−knee|, knee in the original bend
    plane (fallback ``forward`` when the leg is straight). All (N, 3) → (knee, ankle) (N, 3).
    An unreachable target is pulled back along the hip→target line."""
    l1 = np.linalg.norm(knee - hip, axis=-1)
    l2 = np.linalg.norm(ankle - knee, axis=-1)
    d = target - hip
    dist = np.linalg.norm(d, axis=-1)
    dist_c = np.clip(dist, np.abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    axis = d / np.maximum(dist, 1e-12)[:, None]
    ankle_new = hip + axis * dist_c[:, None]
    pole = knee - hip
    pole = pole - np.sum(pole * axis, axis=-1, keepdims=True) * axis
    pn = np.linalg.norm(pole, axis=-1, keepdims=True)
    fwd = forward - np.sum(forward * axis, axis=-1, keepdims=True) * axis
    fwd /= np.maximum(np.linalg.norm(fwd, axis=-1, keepdims=True), 1e-12)
    pole = np.where(pn > 1e-6 * np.maximum(l1, 1e-9)[:, None], pole / np.maximum(pn, 1e-12), fwd)
    x = (l1 ** 2 - l2 ** 2 + dist_c ** 2) / (2 * dist_c)
    h = np.sqrt(np.clip(l1 ** 2 - x ** 2, 0.0, None))
    knee_new = hip + axis * x[:, None] + pole * h[:, None]
    return knee_new, ankle_new

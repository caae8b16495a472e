"""Triangulate 2D joints seen by several calibrated cameras into one 3D skeleton per frame.

Per joint and frame: a direct linear transform (DLT) on undistorted, normalised image
coordinates, each view's two rows weighted by the detector's confidence. Robust to a bad
view by trying every subset of ≥ 2 seeing views (all of them for ≤ ``MAX_EXHAUSTIVE_VIEWS``
views) and keeping the largest subset whose views all reproject within ``inlier_px``
(ties: the smallest mean error); a subset must hold a strict majority of the views that see
the joint, so two views cannot outvote two others. Detectors sometimes swap left and right in
one view; per frame and per limb group (legs, arms) each view's labels may be flipped, and the
flip pattern with the lowest truncated reprojection cost wins (at most ⌊(V−1)/2⌋ flipped
views, so the majority defines which side is left). Joints with fewer than two consistent views are NaN
and ``valid`` is False: marked, never invented. ``reject_jumps`` then marks points that leave
their joint's track over a few frames (a wrong subset that happened to agree).

Shapes: V views, T frames, J joints. Pixels are the detector's (distorted) image pixels;
3D points are in the calibration's world frame (metres).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import FLIP_GROUPS, FLIP_PERMUTATION, NUM_JOINTS
from .calibration import Camera

MAX_EXHAUSTIVE_VIEWS = 8  # 247 subsets: still cheap; beyond that the search would explode
DEFAULT_MIN_CONF = 0.3  # MediaPipe visibility below this is mostly a guess for an occluded joint
DEFAULT_INLIER_PX = 40.0  # ~2 % of a 1920-pixel frame; MediaPipe + calibration give ~10-20 px



@dataclass
class Triangulation:
    """points: (T, J, 3) world, NaN where not valid. valid: (T, J) bool.
    used: (T, J, V) bool, views that formed the point. error_px: (T, J, V) reprojection error of
    each view's (label-corrected) detection, NaN where the view did not detect the joint.
    flipped: (T, G, V) bool, views whose left/right labels of limb group g were swapped."""
    points: np.ndarray
    valid: np.ndarray
    used: np.ndarray
    error_px: np.ndarray
    flipped: np.ndarray
    names: tuple[str, ...]

    def view_errors(self) -> dict[str, dict[str, float]]:
        """Per view: median and mean reprojection error (px) over the points it was used for,
        share of its detections rejected as outliers, share of frames with flipped labels."""
        out = {}
        detected = np.isfinite(self.error_px)
        for v, name in enumerate(self.names):
            e = self.error_px[..., v][self.used[..., v]]
            n_det = max(int(detected[..., v].sum()), 1)
            out[name] = {
                "median_px": float(np.median(e)) if e.size else float("nan"),
                "mean_px": float(np.mean(e)) if e.size else float("nan"),
                "outlier_share": float((detected[..., v] & ~self.used[..., v]).sum() / n_det),
                "flipped_share": float(self.flipped[..., v].any(axis=1).mean()),
            }
        return out


def dlt(projections: np.ndarray, xn: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted DLT, batched.

    projections: (V, 3, 4) [R|t] of each view; xn: (..., V, 2) undistorted normalised image
    coordinates; weights: (..., V) ≥ 0 (0 = view not used) → (..., 3) points. Each view adds
    rows w·(x·P₃ − P₁) and w·(y·P₃ − P₂); the point is the right singular vector of the
    smallest singular value. Exact for noise-free data with ≥ 2 views of positive weight.
    """
    x = xn[..., 0:1] * projections[:, 2] - projections[:, 0]  # (..., V, 4)
    y = xn[..., 1:2] * projections[:, 2] - projections[:, 1]
    w = weights[..., None]
    a = np.concatenate([x * w, y * w], axis=-2)  # (..., 2V, 4)
    a = np.nan_to_num(a)
    _, _, vt = np.linalg.svd(a)
    h = vt[..., -1, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return h[..., :3] / h[..., 3:4]


def reprojection_error(cameras: list[Camera], points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """points (..., 3) world, pixels (..., V, 2) → (..., V) pixel distances (NaN where unknown)."""
    proj = np.stack([cam.project(points) for cam in cameras], axis=-2)
    return np.linalg.norm(proj - pixels, axis=-1)


def triangulate(cameras: list[Camera], pixels: np.ndarray, conf: np.ndarray,
                min_conf: float = DEFAULT_MIN_CONF, inlier_px: float = DEFAULT_INLIER_PX,
                fix_swaps: bool = True) -> Triangulation:
    """cameras: V cameras; pixels: (V, T, J, 2) detections; conf: (V, T, J) in [0, 1].

    A view votes for a joint when its confidence ≥ ``min_conf`` and its pixels are finite.
    Left/right swap repair needs the 17-joint skeleton (J = 17); ``fix_swaps=False`` skips it.
    """
    pixels, conf = _check_inputs(cameras, pixels, conf)
    seen = (conf >= min_conf) & np.isfinite(pixels).all(axis=-1)  # (V, T, J)
    v, t, j = conf.shape
    flipped = np.zeros((t, len(FLIP_GROUPS), v), dtype=bool)
    if fix_swaps and j == NUM_JOINTS and v >= 3:
        pixels, conf, seen, flipped = _repair_swaps(cameras, pixels, conf, seen, inlier_px)
    pts, used = _robust_points(cameras, pixels, conf, seen, inlier_px)
    valid = used.sum(axis=-1) >= 2
    pts[~valid] = np.nan
    err = reprojection_error(cameras, pts, np.moveaxis(pixels, 0, -2))
    det_err = np.where(np.moveaxis(seen, 0, -1), err, np.nan)
    # a view whose detection exists but the point is missing still gets NaN (nothing to compare)
    return Triangulation(points=pts, valid=valid, used=used, error_px=det_err, flipped=flipped,
                         names=tuple(c.name for c in cameras))


def _check_inputs(cameras, pixels, conf):
    pixels = np.asarray(pixels, dtype=np.float64)
    conf = np.asarray(conf, dtype=np.float64)
    if pixels.ndim != 4 or pixels.shape[-1] != 2:
        raise AmbiblendError(f"Expected 2D detections of shape (views, frames, joints, 2), got {pixels.shape}.")
    if conf.shape != pixels.shape[:-1]:
        raise AmbiblendError(f"Confidences {conf.shape} do not match the detections {pixels.shape[:-1]}.")
    if len(cameras) != pixels.shape[0]:
        raise AmbiblendError(f"{len(cameras)} cameras but detections from {pixels.shape[0]} views.")
    if len(cameras) < 2:
        raise AmbiblendError("Triangulation needs at least two calibrated views.")
    if len(cameras) > MAX_EXHAUSTIVE_VIEWS:
        raise AmbiblendError(f"At most {MAX_EXHAUSTIVE_VIEWS} views are supported, got {len(cameras)}.")
    return pixels, np.nan_to_num(conf)


def _subsets(v: int) -> np.ndarray:
    """(S, V) bool masks of every subset of ≥ 2 views, largest first."""
    subs = [c for k in range(v, 1, -1) for c in combinations(range(v), k)]
    masks = np.zeros((len(subs), v), dtype=bool)
    for i, s in enumerate(subs):
        masks[i, list(s)] = True
    return masks


def _robust_points(cameras, pixels, conf, seen, inlier_px):
    """Best consistent subset per (frame, joint) → points (T, J, 3), used (T, J, V)."""
    proj = np.stack([c.extrinsic for c in cameras])
    xn = np.stack([c.undistort(np.nan_to_num(p)) for c, p in zip(cameras, pixels)], axis=-2)  # (T,J,V,2)
    px = np.moveaxis(pixels, 0, -2)
    w_all = np.moveaxis(np.where(seen, conf, 0.0), 0, -1)  # (T, J, V)
    seen_v = np.moveaxis(seen, 0, -1)
    masks = _subsets(len(cameras))
    best_pts = np.full(w_all.shape[:-1] + (3,), np.nan)
    best_used = np.zeros(w_all.shape, dtype=bool)
    best_key = np.full(w_all.shape[:-1], np.inf)
    n_seeing = seen_v.sum(axis=-1)
    for m in masks:
        members = seen_v & m  # views of this subset that see the joint
        # The subset counts where all its members see the joint and they are a strict majority
        # of the views that do: two views agreeing against two others are a coin toss, not a point.
        ok = (members.sum(axis=-1) == m.sum()) & (2 * m.sum() > n_seeing)
        pts = dlt(proj, xn, np.where(members, w_all, 0.0))
        err = reprojection_error(cameras, pts, px)
        inlier = np.where(members, err <= inlier_px, True).all(axis=-1)
        in_front = np.stack([c.to_camera(pts)[..., 2] > 0 for c in cameras], axis=-1)
        ok &= inlier & np.where(members, in_front, True).all(axis=-1)
        mean_err = np.where(members, err, 0.0).sum(axis=-1) / m.sum()
        # key: more views first (size dominates via a large offset), then lower mean error
        key = (len(cameras) - m.sum()) * 1e6 + mean_err
        better = ok & (key < best_key)
        best_key[better] = key[better]
        best_pts[better] = pts[better]
        best_used[better] = members[better]
    return best_pts, best_used


def _repair_swaps(cameras, pixels, conf, seen, inlier_px):
    """Per frame and limb group, pick the flip pattern (≤ ⌊(V−1)/2⌋ flipped views) with the
    lowest truncated reprojection cost over the group's joints; apply it to the detections."""
    v, t, _ = conf.shape
    perm = np.asarray(FLIP_PERMUTATION)
    patterns = [p for k in range((v - 1) // 2 + 1) for p in combinations(range(v), k)]
    pixels, conf, seen = pixels.copy(), conf.copy(), seen.copy()
    flipped = np.zeros((t, len(FLIP_GROUPS), v), dtype=bool)
    for g, joints in enumerate(FLIP_GROUPS):
        joints = np.asarray(joints)
        costs = []
        for pattern in patterns:
            p, c, s = _flip_views(pixels, conf, seen, pattern, joints, perm)
            pts, used = _robust_points(cameras, p[:, :, joints], c[:, :, joints], s[:, :, joints], inlier_px)
            err = reprojection_error(cameras, pts, np.moveaxis(p[:, :, joints], 0, -2))
            # truncated cost: an inlier costs its error, a rejected or unmatched detection inlier_px
            cost = np.where(used, err, inlier_px)
            costs.append(np.where(np.moveaxis(s[:, :, joints], 0, -1), cost, 0.0).sum(axis=(1, 2)))
        best = np.argmin(np.stack(costs), axis=0)  # (T,) — ties keep the unflipped pattern
        for i, pattern in enumerate(patterns):
            frames = best == i
            if not pattern or not frames.any():
                continue
            p, c, s = _flip_views(pixels, conf, seen, pattern, joints, perm)
            pixels[:, frames], conf[:, frames], seen[:, frames] = p[:, frames], c[:, frames], s[:, frames]
            flipped[np.ix_(frames, [g], list(pattern))] = True
    return pixels, conf, seen, flipped


def _flip_views(pixels, conf, seen, views, joints, perm):
    """Copies with the left/right labels of ``joints`` swapped in ``views``."""
    p, c, s = pixels.copy(), conf.copy(), seen.copy()
    for view in views:
        p[view][:, joints] = pixels[view][:, perm[joints]]
        c[view][:, joints] = conf[view][:, perm[joints]]
        s[view][:, joints] = seen[view][:, perm[joints]]
    return p, c, s


def reject_jumps(tri: Triangulation, window: int = 5, max_dev: float = 0.10) -> Triangulation:
    """Mark points that leave their joint's track: farther than ``max_dev`` (world units, m)
    from the per-axis median of the valid points within ±``window`` frames (fewer at the
    clip's ends; the first and last frame are not checked). Catches frames where a
    wrong but self-consistent subset of views won (e.g. a leg hidden in two views that the
    detector put on the other leg). Returns a new ``Triangulation``; marked points become NaN,
    not valid and unused. window: frames (≈ 0.08 s is a good span: 5 frames at 60 fps)."""
    pts = tri.points
    with warnings.catch_warnings():  # a joint missing in a whole window has no median: stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        # symmetric windows, shrunk at the clip's ends so a moving joint's median does not lag
        half = [min(window, i, len(pts) - 1 - i) for i in range(len(pts))]
        med = np.stack([np.nanmedian(pts[i - h:i + h + 1], axis=0) for i, h in enumerate(half)])
    with np.errstate(invalid="ignore"):
        jump = tri.valid & (np.linalg.norm(pts - med, axis=-1) > max_dev)
    points = np.where(jump[..., None], np.nan, pts)
    used = tri.used & ~jump[..., None]
    return Triangulation(points=points, valid=tri.valid & ~jump, used=used,
                         error_px=np.where(jump[..., None], np.nan, tri.error_px),
                         flipped=tri.flipped, names=tri.names)

"""Accuracy on real footage: a triangulated multi-view reference and single-view lifting against it.

Pipeline (what ``training/evaluate_real.py`` runs):

1. ``detect_views``: the add-on's own detector (``ambiblend.core.detect.detect_video``) on every
   view, cached as ``<cache>/<video stem>.npz`` so re-runs skip MediaPipe.
2. ``build_reference``: robust triangulation (``ambiblend.core.multiview``) of the 17 detected
   joints → world-frame reference (T, 17, 3) metres with a validity mask and per-view
   reprojection error. Joints seen by < 2 consistent views stay NaN.
3. ``evaluate_view``: lift one view alone with the add-on's path (``pipeline.lift_to_camera``:
   lifter, body-size consistency, metric scale, root trajectory) and compare with the reference expressed in that
   camera's frame (x right, y down, z away, metres). Metrics: see ``view_metrics``.

Only frames where all 17 reference joints are valid are scored (their count is reported).
The reference is built from the same detector's 2D, so both sides share its joint definitions
(pelvis = mid-hips etc.); what it cannot show is the detector's own 2D error.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ambiblend.core.detect import Keypoints2D, detect_video, load_keypoints
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.clean import CleanOptions, clean_motion
from ambiblend.core.geometry import CAMERA_TO_BLENDER, camera_to_blender
from ambiblend.core.lift.checkpoint import LiftingModel
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.multiview.calibration import Camera
from ambiblend.core.multiview.triangulate import Triangulation, reject_jumps, triangulate
from ambiblend.core.pipeline import PipelineOptions, lift_keypoints, lift_to_camera, relabel_swaps
from ambiblend.core.skeleton import ROOT, bone_lengths
from training.metrics import (bone_direction_error, joint_errors, mpjpe, n_mpjpe, pck, pmpjpe, pmpjpe_common,
                              subject_height)

# Temporal outlier marking of the reference: 10 cm off the median of ±0.08 s (5 frames at 60 fps).
# On the Pose2Sim clips it removes 10 of 1700 points (legs hidden in two views) and halves the
# reference's mean acceleration; smaller deviations start cutting real fast limb motion.
JUMP_M = 0.10
JUMP_WINDOW_S = 0.085


@dataclass
class ViewData:
    """One calibrated view and its detections (``Keypoints2D`` of the add-on's detector)."""
    camera: Camera
    keypoints: Keypoints2D


def detect_views(cameras: list[Camera], videos: list[Path], cache_dir: Path | None) -> list[ViewData]:
    """Detect every video (same order as ``cameras``), reusing ``cache_dir/<stem>.npz``."""
    views = []
    for cam, video in zip(cameras, videos):
        cache = Path(cache_dir) / f"{Path(video).stem}.npz" if cache_dir else None
        if cache is not None and cache.is_file() and cache.stat().st_mtime >= Path(video).stat().st_mtime:
            kp = load_keypoints(cache)
        else:
            kp = detect_video(video)
            if cache is not None:
                kp.save(cache)
        views.append(ViewData(cam, kp))
    frames = {len(v.keypoints.xy) for v in views}
    if len(frames) != 1:
        raise AmbiblendError(f"The views have different frame counts {sorted(frames)}; trim them to the synchronised range first.")
    return views


def apply_offsets(views: list[ViewData], offsets: dict[str, int]) -> list[ViewData]:
    """Re-synchronise views: view v's frame t + offsets[v] shows the instant of the others'
    frame t. All views are trimmed to the common range (same length afterwards)."""
    unknown = set(offsets) - {v.camera.name for v in views}
    if unknown:
        raise AmbiblendError(f"Offset for unknown view(s) {', '.join(sorted(unknown))}.")
    ks = [int(offsets.get(v.camera.name, 0)) for v in views]
    t = len(views[0].keypoints.xy)
    lo, hi = max(0, -min(ks)), t - max(0, max(ks))
    if hi - lo < 3:
        raise AmbiblendError(f"Offsets {offsets} leave fewer than 3 common frames of {t}.")
    out = []
    for v, k in zip(views, ks):
        kp = v.keypoints
        cut = slice(lo + k, hi + k)
        world = None if kp.world is None else kp.world[cut]
        out.append(ViewData(v.camera, Keypoints2D(xy=kp.xy[cut], conf=kp.conf[cut], filled=kp.filled[cut],
                                                  fps=kp.fps, image_size=kp.image_size, source=kp.source,
                                                  world=world)))
    return out


def build_reference(views: list[ViewData], max_jump: float = JUMP_M, **kwargs) -> Triangulation:
    """Triangulate all views' 17 joints (``triangulate`` keyword arguments pass through), then
    mark points more than ``max_jump`` metres off their joint's track (``reject_jumps`` over
    ±``JUMP_WINDOW_S``). Interpolated detections (frames without a person, conf 0) never vote."""
    pixels = np.stack([v.keypoints.xy for v in views])
    conf = np.stack([np.where(v.keypoints.filled[:, None], 0.0, v.keypoints.conf) for v in views])
    tri = triangulate([v.camera for v in views], pixels, conf, **kwargs)
    window = max(1, round(JUMP_WINDOW_S * views[0].keypoints.fps))
    return reject_jumps(tri, window, max_jump) if max_jump else tri


def reference_height(reference: Triangulation) -> float:
    """Standing height (m) of the complete reference frames (``training.metrics.subject_height``):
    the "subject height" a user would type for this person."""
    return subject_height(reference.points[reference.valid.all(axis=1)])


def bone_cv(joints: np.ndarray) -> float:
    """Mean over the 16 bones of std/mean of the bone length over the clip. joints (T, 17, 3)."""
    lengths = bone_lengths(joints)
    return float(np.mean(lengths.std(axis=0) / lengths.mean(axis=0)))


def jitter(joints: np.ndarray, frame_ok: np.ndarray) -> np.ndarray:
    """Per-joint mean acceleration ‖x(t+1) − 2x(t) + x(t−1)‖ (same unit as joints, per frame²)
    over the frames t whose neighbours are also scored. joints (T, 17, 3) → (17,)."""
    acc = joints[2:] - 2 * joints[1:-1] + joints[:-2]
    ok = frame_ok[2:] & frame_ok[1:-1] & frame_ok[:-2]
    if not ok.any():
        return np.full(joints.shape[1], np.nan)
    return np.linalg.norm(acc[ok], axis=-1).mean(axis=0)


def evaluate_view(view: ViewData, reference: Triangulation, model: LiftingModel,
                  height: float, smoothness: float | None = None) -> dict:
    """Lift one view alone and score it against the reference (see ``view_metrics``; plus
    ``pmpjpe_ref2d``, the lifter on the reference's projection instead of the detections).

    smoothness: also run the add-on's cleaning (``core.clean.clean_motion``: low-pass and
    constant bone lengths; no grounding or foot locking, which only move the motion as a whole)
    on the lifted motion before scoring; None scores the lifter's raw output."""
    kp = view.keypoints
    lifted = lift_to_camera(kp, model, height)  # the add-on's own path (pipeline.lift_keypoints)
    meters = lifted.meters_per_unit
    pred, traj = lifted.joints, lifted.root  # (T, 17, 3) root-relative and (T, 3), camera frame, m
    ref_cam = view.camera.to_camera(reference.points)  # NaN stays NaN
    if smoothness is not None:
        options = CleanOptions(smoothness=smoothness, ground=False, lock_feet=False)
        world = clean_motion(camera_to_blender(pred + traj[:, None]), kp.conf, kp.fps, options).joints
        cam = world @ CAMERA_TO_BLENDER  # inverse of camera_to_blender (orthogonal matrix)
        pred, traj = cam - cam[:, ROOT:ROOT + 1], cam[:, ROOT]
    xn = view.camera.undistort(kp.xy)  # the 2D as seen, no depth: the yardstick any lifter must beat
    flat = np.concatenate([xn, np.zeros(xn.shape[:-1] + (1,))], axis=-1)
    out = view_metrics(pred, ref_cam, traj[:, 2], reference.valid.all(axis=1), flat)
    out["pmpjpe_ref2d"] = _pmpjpe_on_reference_2d(view, reference, model)
    out["meters_per_unit"] = meters
    out["series"] = {"pred": pred, "ref": ref_cam - ref_cam[:, ROOT:ROOT + 1]}
    return out


def _pmpjpe_on_reference_2d(view: ViewData, reference: Triangulation, model: LiftingModel) -> float:
    """PMPJPE (mm) of the lifter fed the reference's own projection into this view (complete
    frames only) instead of the detections: what is left is the lifter's error alone, without
    the detector's noise and left/right swaps."""
    ok = reference.valid.all(axis=1)
    ref_cam = view.camera.to_camera(reference.points[ok])
    lifted = lift_sequence(view.camera.project(reference.points[ok]), model).joints
    return float(pmpjpe(lifted, ref_cam - ref_cam[:, ROOT:ROOT + 1]).mean())


def view_metrics(pred: np.ndarray, ref_cam: np.ndarray, depth_pred: np.ndarray,
                 frame_ok: np.ndarray, flat: np.ndarray | None = None) -> dict:
    """All real-footage metrics of one view, in millimetres.

    pred: (T, 17, 3) lifted, root-relative, metric (subject-height scale), camera frame.
    ref_cam: (T, 17, 3) reference in the same camera's frame (absolute, metres).
    depth_pred: (T,) the scale module's root depth (metres, assumed focal).
    frame_ok: (T,) frames where the reference is complete.
    flat: optional (T, 17, 3) zero-depth pose (undistorted normalised 2D, z = 0).

    - ``pmpjpe``, ``n_mpjpe``, ``mpjpe``, ``pck150`` (share of the 14 PCK joints within 150 mm of
      the MPJPE prediction): ``training.metrics`` protocols, mean over frames; ``mpjpe`` uses the
      subject-height scale (the add-on's own metric scale), root-aligned.
    - ``pmpjpe_flat``: PMPJPE of ``flat``, the detected 2D with no depth at all. A lifter adds
      3D information only where its PMPJPE is below this.
    - ``root_depth_err``: mean |a·z_pred − z_ref| of the root depth after ONE least-squares
      scale a for the clip (absorbs the unknown focal length); ``root_depth_baseline``: the same
      for a constant depth (the clip's mean reference depth), i.e. what no trajectory gives.
    - ``bone_cv_pred`` / ``bone_cv_ref``: mean bone-length coefficient of variation (unitless).
    - ``jitter_pred`` / ``jitter_ref``: mean acceleration, mm/frame², mean over joints; the
      per-joint values in ``jitter_pred_joints`` / ``jitter_ref_joints``.
    """
    n = int(frame_ok.sum())
    if n == 0:
        raise AmbiblendError("No frame has a complete triangulated reference for this view.")
    ref_rel = ref_cam - ref_cam[:, ROOT:ROOT + 1]
    p, r = pred[frame_ok], ref_rel[frame_ok]
    z_ref, z_pred = ref_cam[frame_ok, ROOT, 2], depth_pred[frame_ok]
    a = float(np.dot(z_pred, z_ref) / np.dot(z_pred, z_pred))
    jp, jr = jitter(pred, frame_ok) * 1000, jitter(ref_rel, frame_ok) * 1000
    extra = {} if flat is None else {"pmpjpe_flat": float(pmpjpe(flat[frame_ok], r).mean())}
    return {
        "frames": n,
        "pmpjpe": float(pmpjpe(p, r).mean()), "n_mpjpe": float(n_mpjpe(p, r).mean()),
        "mpjpe": float(mpjpe(p, r).mean()), "pck150": pck(joint_errors(p, r)),
        "root_depth_err": float(np.mean(np.abs(a * z_pred - z_ref))) * 1000,
        "root_depth_baseline": float(np.mean(np.abs(z_ref - z_ref.mean()))) * 1000,
        "root_depth_ref_mean": float(z_ref.mean()) * 1000,
        "bone_cv_pred": bone_cv(p), "bone_cv_ref": bone_cv(r),
        "jitter_pred": float(np.mean(jp)), "jitter_ref": float(np.mean(jr)),
        "jitter_pred_joints": jp.tolist(), "jitter_ref_joints": jr.tolist(), **extra,
    }


def overall(per_view: dict[str, dict]) -> dict:
    """Frame-weighted mean of every scalar and per-joint metric over the views."""
    weights = np.array([m["frames"] for m in per_view.values()], dtype=np.float64)
    first = next(iter(per_view.values()))
    keys = [k for k, v in first.items() if isinstance(v, (float, list)) and k != "frames"]
    out = {}
    for k in keys:
        avg = np.average(np.array([m[k] for m in per_view.values()], dtype=np.float64), axis=0, weights=weights)
        out[k] = avg.tolist() if isinstance(first[k], list) else float(avg)
    out["frames"] = int(weights.sum())
    return out


def sync_check(views: list[ViewData], max_offset: int = 6, margin: int = 8) -> dict[str, list[float]]:
    """Synchronisation check: for each view, triangulate the others (frames margin..T−margin)
    and reproject into this view shifted by −max_offset..+max_offset frames; → median
    reprojection error (px) per offset. A minimum away from 0 suggests the view lags
    (offset k > 0: its frame t+k shows the others' instant t)."""
    t = len(views[0].keypoints.xy)
    if t <= 2 * max(margin, max_offset):
        raise AmbiblendError(f"The clip is too short ({t} frames) for a ±{max_offset}-frame sync check.")
    frames = np.arange(max(margin, max_offset), t - max(margin, max_offset))
    out = {}
    for i, view in enumerate(views):
        others = [v for j, v in enumerate(views) if j != i]
        tri = triangulate([v.camera for v in others], np.stack([v.keypoints.xy[frames] for v in others]),
                          np.stack([v.keypoints.conf[frames] for v in others]))
        proj = view.camera.project(tri.points)
        out[view.camera.name] = [float(np.nanmedian(np.linalg.norm(proj - view.keypoints.xy[frames + k], axis=-1)))
                                 for k in range(-max_offset, max_offset + 1)]
    return out


def method_poses(view: ViewData, model: LiftingModel, height: float, detector_3d_weight: float) -> dict:
    """Each way of getting 3D from this one view, as root-relative camera-frame joints (T, 17, 3):

    - ``raw lift``: the lifter alone on the detector's labels (``lift_to_camera``, no swap
      repair, no detector 3D, no cleaning);
    - ``lift + detector 3D``: the default output before cleaning: front/back swaps relabelled
      (``track.facing``), the lift flip-averaged and MediaPipe's depth blended in (``lift.fuse``);
    - ``default output``: exactly what the batch job keys with its default options (fusion,
      cleaning, ground, foot locking), turned back from Blender axes to the camera's;
    - ``MediaPipe world``: the detector's own 3D (``pose_world_landmarks``), same graph and frames;
    - ``zero depth``: the detected 2D with no depth (the yardstick any lifter must beat).
    """
    from ambiblend.core.clean import CleanOptions
    kp = view.keypoints
    out = {"raw lift": lift_to_camera(kp, model, height).joints}
    options = PipelineOptions(subject_height=height, detector_3d_weight=detector_3d_weight, clean=CleanOptions())
    if kp.world is not None:
        relabelled = relabel_swaps(kp, model, options)[0]
        out["lift + detector 3D"] = lift_to_camera(relabelled, model, height, detector_3d_weight=detector_3d_weight,
                                                   flip=options.flip_average).joints
    cam = lift_keypoints(kp, model, options).joints @ CAMERA_TO_BLENDER  # inverse of camera_to_blender
    out["default output"] = cam - cam[:, ROOT:ROOT + 1]
    if kp.world is not None:
        out["MediaPipe world"] = kp.world - kp.world[:, ROOT:ROOT + 1]
    xn = view.camera.undistort(kp.xy)
    flat = np.concatenate([xn, np.zeros(xn.shape[:-1] + (1,))], axis=-1)
    out["zero depth"] = flat - flat[:, ROOT:ROOT + 1]
    return out


def common_scores(pred: np.ndarray, view: ViewData, reference: Triangulation) -> dict:
    """PMPJPE (mm) and bone-direction error (degrees) on the 14 common joints
    (``training.metrics.COMMON_JOINTS``) over the frames with a complete reference."""
    ok = reference.valid.all(axis=1)
    if not ok.any():
        raise AmbiblendError("No frame has a complete triangulated reference for this view.")
    ref = view.camera.to_camera(reference.points[ok])
    return {"pmpjpe14": float(pmpjpe_common(pred[ok], ref).mean()),
            "bone_deg": float(bone_direction_error(pred[ok], ref).mean()), "frames": int(ok.sum())}

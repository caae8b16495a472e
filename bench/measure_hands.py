"""Hands on the shared Pose2Sim clip (four calibrated 1088×1920 views, 100 frames, 60 fps):

1. detection rate, whole frame vs crops around the body's wrists, per view and side;
2. finger angle accuracy: a reference from the four views (each view's wrist-crop landmarks,
   triangulated per landmark with ``core.multiview.triangulate``; cam03 lags 4 frames, as in
   assets/REAL_FOOTAGE.md), its finger angles (``core.hands.angles``, rotation-invariant)
   against each view's monocular angles, and against the "flat hand" (all angles 0).

    .venv/bin/python bench/measure_hands.py [--data DIR] [--cache FILE.pkl]

The error of a joint is the angle between the bone direction the two (curl, spread) pairs give
in the joint's frame (curl alone for the hinge joints, whose spread is 0 by the limits). Only
frames where the reference hand is complete (every landmark seen in ≥ 2 views, reprojection
within the triangulation's inlier bound) and the view found that hand are scored.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ambiblend.core.hands.angles import FINGERS, clamp_angles, finger_angles  # noqa: E402
from ambiblend.core.hands.landmarks import JOINT_NAMES, NUM_LANDMARKS, SIDES  # noqa: E402

DATA = Path("/work/shared/data/videos/pose2sim-single-person")
OFFSETS = {"cam03": 4}


def detect_all(cameras, data: Path, cache: Path | None):
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())
    from ambiblend.core.detect import detect_video
    from ambiblend.core.hands.detect import detect_hands
    out = {}
    for cam in cameras:
        video = data / f"{cam.name}.mp4"
        kp = detect_video(video)
        tracks = {}
        for mode in ("frame", "crops"):
            start = time.perf_counter()
            tracks[mode] = detect_hands(video, kp, mode)
            tracks[mode + "_s"] = time.perf_counter() - start
        out[cam.name] = (kp, tracks)
        print(f"{cam.name}: detected", flush=True)
    if cache is not None:
        cache.write_bytes(pickle.dumps(out))
    return out


def rates(det) -> None:
    print("\n| view | mode | left | right | any | both | dropped (far from a wrist) |\n|---|---|---|---|---|---|---|")
    total = {m: [] for m in ("frame", "crops")}
    for name, (kp, tracks) in det.items():
        for mode in ("frame", "crops"):
            f = tracks[mode].found
            total[mode].append(f)
            print(f"| {name} | {mode} | {100 * f[:, 0].mean():.0f} % | {100 * f[:, 1].mean():.0f} % | "
                  f"{100 * f.any(1).mean():.0f} % | {100 * f.all(1).mean():.0f} % | {int(tracks[mode].dropped.sum())} |")
    for mode, fs in total.items():
        f = np.concatenate(fs)
        print(f"| all | {mode} | {100 * f[:, 0].mean():.0f} % | {100 * f[:, 1].mean():.0f} % | "
              f"{100 * f.any(1).mean():.0f} % | {100 * f.all(1).mean():.0f} % | |")


def aligned(det, names, key):
    """(V, T, ...) arrays of ``key(track)`` over the common frames (offsets applied)."""
    n = min(len(det[v][1]["crops"].found) - OFFSETS.get(v, 0) for v in names)
    return np.stack([key(det[v][1]["crops"])[OFFSETS.get(v, 0):OFFSETS.get(v, 0) + n] for v in names])


def direction(a: np.ndarray) -> np.ndarray:
    """(..., 2) (curl, spread) → unit bone direction in the joint frame (along, side, flexion)."""
    c, s = a[..., 0], a[..., 1]
    return np.stack([np.cos(c) * np.cos(s), np.cos(c) * np.sin(s), np.sin(c)], axis=-1)


def angle_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(direction(a) * direction(b), -1), -1.0, 1.0)))


def accuracy(cameras, det) -> None:
    from ambiblend.core.hands.motion import world_landmarks
    from ambiblend.core.multiview.triangulate import triangulate
    names = [c.name for c in cameras]
    pixels = aligned(det, names, lambda tr: tr.points.reshape(len(tr.found), 2 * NUM_LANDMARKS, 2))
    found = aligned(det, names, lambda tr: np.repeat(tr.found, NUM_LANDMARKS, axis=1).astype(float))
    tri = triangulate(cameras, pixels, found, fix_swaps=False)
    ref_pts = tri.points.reshape(-1, 2, NUM_LANDMARKS, 3)
    complete = tri.valid.reshape(-1, 2, NUM_LANDMARKS).all(-1)
    err_px = np.nanmedian(tri.error_px)
    print(f"\nReference: {int(complete[:, 0].sum())} left, {int(complete[:, 1].sum())} right hands complete "
          f"of {len(complete)} common frames; median reprojection {err_px:.1f} px.")
    ref = np.zeros(complete.shape + (5, 3, 2))
    for s, side in enumerate(SIDES):
        ref[:, s] = finger_angles(ref_pts[:, s], side)
    mono_raw = aligned(det, names, lambda tr: np.stack([finger_angles(
        np.stack([tr.world[:, s, :, 0], tr.world[:, s, :, 2], -tr.world[:, s, :, 1]], -1), side)
        for s, side in enumerate(SIDES)], 1))
    mono_fix = aligned(det, names, lambda tr: np.stack([finger_angles(world_landmarks(tr)[:, s], side)
                                                      for s, side in enumerate(SIDES)], 1))
    seen = aligned(det, names, lambda tr: tr.found) & complete[None]
    rows = {"flat hand (all 0)": np.zeros_like(mono_fix), "MediaPipe 3D as is": mono_raw,
            "+ mirror-depth fix": mono_fix, "+ limits (shipped)": clamp_angles(mono_fix)}
    print(f"Scored: {int(seen.sum())} (view, frame, hand) triples.\n")
    head = " | ".join(f"{f} {j}" for f in FINGERS for j in JOINT_NAMES[f])
    print(f"| method | mean | {head} |\n|---|---|" + "---|" * 15)
    for label, mono in rows.items():
        e = angle_error(mono, ref[None])[seen]          # (N, 5, 3)
        per = e.mean(axis=0)
        print(f"| {label} | **{e.mean():.1f}°** | " + " | ".join(f"{v:.0f}" for v in per.ravel()) + " |")
    smoothed = {}
    for v, name in enumerate(names):
        print(f"  {name}: flat {angle_error(np.zeros_like(mono_fix[v]), ref)[seen[v]].mean():.1f}°, "
              f"shipped {angle_error(clamp_angles(mono_fix[v]), ref)[seen[v]].mean():.1f}°")
    return smoothed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    from ambiblend.core.multiview.calibration import read_calibration
    cameras = read_calibration(args.data / "Calib.qca.txt")
    det = detect_all(cameras, args.data, args.cache)
    rates(det)
    accuracy(cameras, det)


if __name__ == "__main__":
    main()

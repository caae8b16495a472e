"""Evaluate lifters on real calibrated multi-view video against a triangulated reference.

    python -m training.evaluate_real --data ../shared/data/videos/pose2sim-single-person \\
        --weights assets/model.pt --cache runs/real/det --out runs/real/eval

``--data`` holds one calibration (``*.qca.txt``, ``*.toml``; or ``--calib``) and one video per
camera, named after the camera (``cam01.mp4`` for camera ``cam01``). Every view is detected
with the add-on's detector and triangulated into the reference; each view in ``--views``
(default: all) is then lifted on its own and scored. ``--weights`` may repeat (e.g. before and
after fine-tuning): one table row per model and view. Writes ``metrics.json``, ``metrics.md``,
``reference.npz`` (world points, validity, per-view reprojection error) and per model a PNG
(``joints_<i>_<folder>_<name>.png``) of lifted vs reference joints over time for ``--plot-view``.
Jitter is measured on root-relative joints (the pelvis row is 0 by construction).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

if __package__ in (None, ""):  # allow `python training/evaluate_real.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import load_model
from ambiblend.core.multiview.calibration import read_calibration
from ambiblend.core.skeleton import JOINT_INDEX, JOINTS
from training.real_footage import (apply_offsets, build_reference, common_scores, detect_views,
                                   evaluate_view, method_poses, overall, reference_height, sync_check)

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")
PLOT_JOINTS = ("right_wrist", "left_ankle", "head")
TABLE = [("pmpjpe", "PMPJPE mm", "{:.1f}"), ("pmpjpe_flat", "PMPJPE zero-depth 2D mm", "{:.1f}"),
         ("pmpjpe_ref2d", "PMPJPE on reference 2D mm", "{:.1f}"), ("n_mpjpe", "N-MPJPE mm", "{:.1f}"), ("pck150", "PCK@150", "{:.2f}"),
         ("mpjpe", "MPJPE mm (height)", "{:.1f}"), ("root_depth_err", "root depth err mm", "{:.0f}"),
         ("root_depth_baseline", "const-depth err mm", "{:.0f}"), ("bone_cv_pred", "bone CV", "{:.3f}"),
         ("bone_cv_ref", "bone CV ref", "{:.3f}"), ("jitter_pred", "jitter mm/f²", "{:.1f}"),
         ("jitter_ref", "jitter ref mm/f²", "{:.1f}"), ("frames", "frames", "{}")]


def find_inputs(data: Path, calib: Path | None):
    """(cameras, videos) from a folder: the calibration plus one video named after each camera."""
    if calib is None:
        found = sorted(p for p in data.iterdir() if p.name.lower().endswith((".qca.txt", ".toml")))
        if len(found) != 1:
            raise AmbiblendError(f"Expected one calibration (.qca.txt or .toml) in {data}, found {len(found)}; pass --calib.")
        calib = found[0]
    cameras = read_calibration(calib)
    videos = []
    for cam in cameras:
        match = [data / f"{cam.name}{s}" for s in VIDEO_SUFFIXES if (data / f"{cam.name}{s}").is_file()]
        if not match:
            raise AmbiblendError(f"No video named {cam.name}.* in {data} for camera {cam.name}.")
        videos.append(match[0])
    return cameras, videos


def label(weights: Path) -> str:
    """Short name of a weights file for tables: its folder and file name."""
    return f"{weights.parent.name}/{weights.name}" if weights.parent.name else weights.name


def parse_offsets(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, sep, k = item.partition("=")
        try:
            out[name] = int(k)
        except ValueError:
            raise AmbiblendError(f"--offset expects VIEW=K with an integer K, got '{item}'.") from None
        if not sep or not name:
            raise AmbiblendError(f"--offset expects VIEW=K, got '{item}'.")
    return out


def plot_view(series: dict, name: str, path: Path, fps: float) -> None:
    """Lifted vs reference root-relative joints over time (camera frame, metres)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(PLOT_JOINTS), 3, figsize=(12, 2.6 * len(PLOT_JOINTS)), sharex=True)
    t = np.arange(len(series["ref"])) / fps
    for row, joint in enumerate(PLOT_JOINTS):
        j = JOINT_INDEX[joint]
        for col, axis in enumerate("xyz"):
            ax = axes[row, col]
            ax.plot(t, series["ref"][:, j, col], "k-", label="triangulated reference")
            ax.plot(t, series["pred"][:, j, col], "C1-", label="lifted (one view)")
            ax.set_title(f"{joint} {axis} (m, root-relative)", fontsize=9)
    axes[0, 0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.suptitle(f"{name}: single-view lifting vs multi-view reference (camera frame)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(results: dict, reproj: dict) -> str:
    lines = ["| model | view | " + " | ".join(h for _, h, _ in TABLE) + " |",
             "|---|---|" + "---|" * len(TABLE)]
    for model, per_view in results.items():
        for view, m in per_view.items():
            cells = [fmt.format(m[k]) for k, _, fmt in TABLE]
            lines.append(f"| {model} | {view} | " + " | ".join(cells) + " |")
    lines += ["", "Per-joint jitter (mean acceleration, mm/frame², all scored views):", "",
              "| joint | reference | " + " | ".join(results) + " |",
              "|---|---|" + "---|" * len(results)]
    first = next(iter(results.values()))["overall"]
    for j, name in enumerate(JOINTS):
        cells = [f"{res['overall']['jitter_pred_joints'][j]:.1f}" for res in results.values()]
        lines.append(f"| {name} | {first['jitter_ref_joints'][j]:.1f} | " + " | ".join(cells) + " |")
    lines += ["", "| view | median reprojection px | mean px | outlier share | frames with L/R flipped |",
              "|---|---|---|---|---|"]
    for view, e in reproj.items():
        lines.append(f"| {view} | {e['median_px']:.1f} | {e['mean_px']:.1f} | {e['outlier_share']:.3f} | {e['flipped_share']:.3f} |")
    return "\n".join(lines) + "\n"


def method_table(views: dict, scored: list[str], ref, weights: list[Path], height: float,
                 blend: list[float] | None) -> dict:
    """{row name: {view: {"pmpjpe14", "bone_deg", "frames"}, "mean": ...}} for every method of
    ``method_poses``, per weights file and detector-3D weight; detector-only rows once."""
    from ambiblend.core.pipeline import DETECTOR_3D_WEIGHT
    rows: dict = {}
    for w in weights:
        model = load_model(w, "cpu")
        for b in blend or [DETECTOR_3D_WEIGHT]:
            for v in scored:
                for method, pose in method_poses(views[v], model, height, b).items():
                    own = method in ("MediaPipe world", "zero depth")
                    name = method if own else f"{label(w)}: {method}" + ("" if method == "raw lift" else f" (w={b:g})")
                    rows.setdefault(name, {})[v] = common_scores(pose, views[v], ref)
    for per_view in rows.values():
        n = np.array([per_view[v]["frames"] for v in scored], dtype=np.float64)
        per_view["mean"] = {k: float(np.mean([per_view[v][k] for v in scored])) for k in ("pmpjpe14", "bone_deg")}
        per_view["mean"]["frames"] = int(n.sum())
    return rows


def methods_markdown(rows: dict, scored: list[str]) -> str:
    """The 14-joint comparison: PMPJPE per view and mean, bone-direction error mean."""
    lines = ["Shared clip, 14 common joints (pelvis, thorax, hips, knees, ankles, shoulders, elbows, wrists):", "",
             "| method | " + " | ".join(f"{v} PMPJPE" for v in scored) + " | mean PMPJPE mm | "
             + " | ".join(f"{v} bone°" for v in scored) + " | mean bone-direction error ° |",
             "|---|" + "---|" * (2 * len(scored) + 2)]
    for name, per_view in rows.items():
        cells = [f"{per_view[v]['pmpjpe14']:.1f}" for v in scored] + [f"**{per_view['mean']['pmpjpe14']:.1f}**"]
        cells += [f"{per_view[v]['bone_deg']:.1f}" for v in scored] + [f"**{per_view['mean']['bone_deg']:.1f}**"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with the calibration and one video per camera")
    ap.add_argument("--calib", type=Path, help="calibration file (default: the one in --data)")
    ap.add_argument("--weights", type=Path, action="append", required=True, help="lifter checkpoint (repeatable)")
    ap.add_argument("--views", nargs="+", help="views to lift and score (default: all)")
    ap.add_argument("--cache", type=Path, help="folder caching the detections (clear it after a detector change)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--plot-view", help="view to plot (default: the last scored view)")
    ap.add_argument("--height", type=float, help="subject height in m (default: the reference skeleton's)")
    ap.add_argument("--inlier-px", type=float, default=40.0, help="triangulation inlier threshold")
    ap.add_argument("--clean", type=float, metavar="SMOOTHNESS",
                    help="also score each model after the add-on's cleaning at this smoothness (0..1)")
    ap.add_argument("--detector-3d-weight", type=float, action="append", metavar="W",
                    help="blend of MediaPipe's 3D depth into the lifter's for the method rows "
                         "(repeatable; default: the add-on's default)")
    ap.add_argument("--offset", action="append", default=[], metavar="VIEW=K",
                    help="view VIEW's frame t+K shows the others' frame t (repeatable; trims to the common range)")
    ap.add_argument("--sync-check", type=int, default=0, metavar="K",
                    help="also print each view's leave-one-out reprojection error for offsets −K..K frames")
    args = ap.parse_args(argv)
    try:
        offsets = parse_offsets(args.offset)  # cheap checks before the slow detection
        cameras, videos = find_inputs(args.data, args.calib)
        views = apply_offsets(detect_views(cameras, videos, args.cache), offsets)
        views = {v.camera.name: v for v in views}
        scored = args.views or list(views)
        unknown = [v for v in scored if v not in views]
        if unknown:
            raise AmbiblendError(f"Unknown view(s) {', '.join(unknown)}; the calibration has {', '.join(views)}.")
        ref = build_reference(list(views.values()), inlier_px=args.inlier_px)
        sync = sync_check(list(views.values()), args.sync_check) if args.sync_check else None
        height = args.height or reference_height(ref)
        results, plots = {}, {}
        runs = [(w, None) for w in args.weights] + ([(w, args.clean) for w in args.weights]
                                                      if args.clean is not None else [])
        for weights, smooth in runs:
            model = load_model(weights, "cpu")
            name = label(weights) + ("" if smooth is None else f" +clean {smooth:g}")
            per_view = {v: evaluate_view(views[v], ref, model, height, smooth) for v in scored}
            plots[name] = per_view[args.plot_view or scored[-1]]["series"]
            per_view = {k: {m: v for m, v in d.items() if m != "series"} for k, d in per_view.items()}
            per_view["overall"] = overall(per_view)
            results[name] = per_view
        methods = method_table(views, scored, ref, args.weights, height, args.detector_3d_weight)
    except AmbiblendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    reproj = ref.view_errors()
    np.savez_compressed(args.out / "reference.npz", points=ref.points, valid=ref.valid, used=ref.used,
                        error_px=ref.error_px, flipped=ref.flipped, names=np.array(ref.names))
    summary = {"subject_height_m": height, "offsets": offsets, "reference_complete_frames": int(ref.valid.all(axis=1).sum()),
               "frames": int(ref.valid.shape[0]), "reprojection": reproj, "results": results,
               "sync_check_px": sync, "methods_14_joints": methods}
    (args.out / "metrics.json").write_text(json.dumps(summary, indent=1))
    table = methods_markdown(methods, scored) + "\n" + markdown(results, reproj)
    (args.out / "metrics.md").write_text(table)
    fps = next(iter(views.values())).keypoints.fps
    for i, (name, series) in enumerate(plots.items()):
        png = args.out / f"joints_{i}_{re.sub(r'[^A-Za-z0-9.]+', '_', name)}.png"
        plot_view(series, f"{args.plot_view or scored[-1]} ({name})", png, fps)
    print(f"subject height {height:.3f} m; complete reference in {summary['reference_complete_frames']}/{summary['frames']} frames")
    print(table)
    if sync:
        k = args.sync_check
        print("sync check (leave-one-out median reprojection px by frame offset):")
        print("view  " + " ".join(f"{o:+6d}" for o in range(-k, k + 1)))
        for name, errs in sync.items():
            print(f"{name:5s} " + " ".join(f"{e:6.1f}" for e in errs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

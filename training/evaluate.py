"""Evaluate lifter weights on a SequenceSet with 3D: metrics per group and overall, scale trace.

    python -m training.evaluate --weights model.pt --data test.npz --out eval_dir [--height-from-gt]

Writes ``metrics.md`` (table per group + overall), ``metrics.json`` (the same plus per
sequence) and ``scale_trace.png`` (predicted S vs reference S_ref, paper eq. 3 / Fig. 5).
Protocols: see ``training/metrics.py``. From Python: ``evaluate_model(model, seqset)``.
"""
from __future__ import annotations

if __package__ in (None, ""):  # `python training/evaluate.py`: put the repo root on sys.path
    import sys
    from pathlib import Path as _P
    sys.path.insert(0, str(_P(__file__).resolve().parents[1]))

import argparse
import json
from pathlib import Path

import numpy as np

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import LiftingModel, load_model
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.lift.normalize import normalize
from ambiblend.core.scale.trajectory import DEFAULT_SUBJECT_HEIGHT
from ambiblend.core.skeleton import ROOT

from training import metrics as M
from training.data.sequences import SequenceSet

METRICS = ("mpjpe", "n_mpjpe", "pmpjpe", "hl_mpjpe", "pck150", "auc")
LABELS = {"mpjpe": "MPJPE (height-scaled) mm", "n_mpjpe": "N-MPJPE mm", "pmpjpe": "PMPJPE mm",
          "hl_mpjpe": "head-length-rescaled MPJPE mm", "pck150": "PCK@150mm %", "auc": "AUC %"}


def reference_scale(pose2d_norm: np.ndarray, gt3d: np.ndarray, root_depth: float = 10.0) -> np.ndarray:
    """Eq. 3: S_ref (T,) = ½[H(X/Z)/H(x) + H(Y/Z)/H(y)], H = max − min over joints.

    pose2d_norm: the normalised root-relative network input (T,17,2); gt3d: camera-frame 3D (T,17,3)
    in metres, its root moved to depth D (same unit-focal convention as the model).
    """
    rel = gt3d - gt3d[:, ROOT:ROOT + 1]
    z = rel[..., 2] + root_depth
    span = lambda v: v.max(axis=1) - v.min(axis=1)
    sx = span(rel[..., 0] / z) / np.maximum(span(pose2d_norm[..., 0]), 1e-9)
    sy = span(rel[..., 1] / z) / np.maximum(span(pose2d_norm[..., 1]), 1e-9)
    return 0.5 * (sx + sy)


def evaluate_model(model: LiftingModel, data: SequenceSet, height: float | str = DEFAULT_SUBJECT_HEIGHT,
                   flip: bool = False) -> dict:
    """Lift every sequence and score it against ``data.poses_3d``.

    height: subject height in metres for the metric scale, or 'gt' for each sequence's true
    standing height. flip: score the flip-averaged lift the add-on keys (``lift_sequence``); off,
    the network alone (what training selects on). → {"overall": {metric: value}, "groups": {group: {...}},
    "sequences": {name: {...}}, "trace": {name: (S (T,), S_ref (T,))}}. Errors in mm, PCK/AUC in %.
    """
    if data.poses_3d is None:
        raise AmbiblendError("The evaluation data has no 3D poses (poses_3d); it can only be used for training.")
    per_frame = {k: [] for k in METRICS}
    seq_rows, trace, frame_group = {}, {}, []
    for i in range(len(data)):
        xy, gt = data.sequence(i), data.sequence(i, "poses_3d").astype(np.float64)
        lifted = lift_sequence(xy, model, flip=flip)  # honours 'scale on 3D' ablation models
        units, s = lifted.joints, lifted.scale
        h = M.subject_height(gt) if height == "gt" else float(height)
        metric = M.to_metric(units, h)
        err = M.joint_errors(metric, gt)
        rows = {"mpjpe": err.mean(axis=1), "n_mpjpe": M.n_mpjpe(units, gt), "pmpjpe": M.pmpjpe(units, gt),
                "hl_mpjpe": M.head_length_mpjpe(units, gt),
                "pck150": (err[:, M.PCK_JOINTS] < 150.0).mean(axis=1) * 100.0,
                "auc": np.mean([(err[:, M.PCK_JOINTS] < t).mean(axis=1) for t in M.PCK_THRESHOLDS_MM], axis=0) * 100.0}
        for k in METRICS:
            per_frame[k].append(rows[k])
        seq_rows[str(data.names[i])] = {k: float(rows[k].mean()) for k in METRICS}
        pose, _ = normalize(xy, model.norm_mode, model.norm_constant, model.root_depth)
        trace[str(data.names[i])] = (s, reference_scale(pose, gt, model.root_depth))
        frame_group.append(np.full(len(xy), str(data.groups[i]), dtype=object))
    per_frame = {k: np.concatenate(v) for k, v in per_frame.items()}
    frame_group = np.concatenate(frame_group)
    groups = {g: {k: float(per_frame[k][frame_group == g].mean()) for k in METRICS}
              for g in sorted(set(frame_group))}
    s_all = np.concatenate([t[0] for t in trace.values()])
    r_all = np.concatenate([t[1] for t in trace.values()])
    overall = {k: float(v.mean()) for k, v in per_frame.items()}
    # S is in the model's units (its prior's mu), S_ref in metres: compare after one unit factor k
    # for the whole split (ratio of medians), so only how S varies is scored, not the convention.
    unit = float(np.median(r_all) / max(np.median(s_all), 1e-12))
    overall["scale_unit"] = unit
    overall["scale_abs_error"] = float(np.mean(np.abs(unit * s_all - r_all)))
    overall["scale_corr"] = float(np.corrcoef(s_all, r_all)[0, 1]) if s_all.std() > 1e-9 else 0.0
    overall["frames"] = int(len(frame_group))
    return {"overall": overall, "groups": groups, "sequences": seq_rows, "trace": trace,
            "height": height}


def markdown_table(result: dict) -> str:
    head = "| group | " + " | ".join(LABELS[k] for k in METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 1)]
    for name, row in list(result["groups"].items()) + [("**overall**", result["overall"])]:
        lines.append(f"| {name} | " + " | ".join(f"{row[k]:.1f}" for k in METRICS) + " |")
    return "\n".join(lines)


def write_report(result: dict, out, weights: str = "", data: str = "") -> None:
    """metrics.md, metrics.json and scale_trace.png in ``out``."""
    from training.plots import plot_scale_trace
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    height = result["height"]
    note = ("subject height = each sequence's true standing height" if height == "gt"
            else f"subject height assumed {float(height):.2f} m for every sequence")
    md = (f"# Evaluation\n\nweights: `{weights}`  \ndata: `{data}`  \nframes: {result['overall']['frames']}; "
          f"MPJPE/PCK/AUC: {note}; protocols in training/metrics.py.  \n"
          f"scale module vs S_ref (eq. 3): mean |k·S − S_ref| {result['overall']['scale_abs_error']:.4f} "
          f"(k = {result['overall']['scale_unit']:.3f}, model units → metres), "
          f"correlation {result['overall']['scale_corr']:.3f}\n\n{markdown_table(result)}\n")
    (out / "metrics.md").write_text(md, encoding="utf-8")
    js = {k: v for k, v in result.items() if k != "trace"}
    js.update(weights=weights, data=data)
    (out / "metrics.json").write_text(json.dumps(js, indent=1), encoding="utf-8")
    plot_scale_trace(result["trace"], out / "scale_trace.png", unit=result["overall"]["scale_unit"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Evaluate AmbiBlend lifter weights on 2D/3D sequences.")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--data", required=True, help="SequenceSet .npz with poses_3d")
    ap.add_argument("--out", required=True)
    ap.add_argument("--height-from-gt", action="store_true",
                    help="scale by each sequence's true standing height instead of the default 1.70 m")
    ap.add_argument("--height", type=float, default=DEFAULT_SUBJECT_HEIGHT)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--flip", action="store_true",
                    help="score the flip-averaged lift (the add-on's default) instead of the network alone")
    args = ap.parse_args(argv)
    try:
        model = load_model(args.weights, args.device)
        data = SequenceSet.load(args.data)
        result = evaluate_model(model, data, "gt" if args.height_from_gt else args.height, flip=args.flip)
        write_report(result, args.out, args.weights, args.data)
    except AmbiblendError as exc:
        print(f"error: {exc}")
        return 2
    print(markdown_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

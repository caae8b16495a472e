"""Re-run the paper's ablations (Table 3, Table 4, Fig. 6) on our data, one row each.

    python -m training.ablations [--rows full,chen_baseline] [--out runs/ablations] [--full-budget]
                                 [--seed N] [--set KEY=VALUE ...]

Every row trains ``training/configs/default.toml`` + the row's keys + the shared ``[budget]``
of ``training/configs/ablations.toml`` (same architecture, data and number of training pairs),
one row at a time, each started from the flat pose and given the depth sign chosen on validation
(``training.model_tools``, exactly as the default model), then scores the row's selected weights
on the test split with GT 2D and with detector-like 2D. ``--full-budget`` drops the ``[budget]``
table, so the rows train with ``default.toml``'s own (long) budget: the shipped model's comparison
with the baseline (``--rows chen_baseline,full --full-budget``). Rows already done
(``<out>/<row>/model_signed.pt``) are only re-evaluated, so an interrupted sweep continues.
A "zero depth" row (the 2D kept, no lifting) is the floor every trained row must beat. Writes ``<out>/ablations.md`` and ``.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

if __package__ in (None, ""):  # allow `python training/ablations.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import load_model
from training.data.sequences import SequenceSet
from training.model_tools import choose_sign, flat_init

CONFIGS = Path(__file__).resolve().parent / "configs"
# The table's columns: test split, metric key of training.evaluate, heading.
COLUMNS = (("gt", "pmpjpe", "PMPJPE GT 2D"), ("gt", "mpjpe", "MPJPE GT 2D"),
           ("gt", "n_mpjpe", "N-MPJPE GT 2D"), ("gt", "hl_mpjpe", "HL-MPJPE GT 2D"),
           ("det", "pmpjpe", "PMPJPE det. 2D"), ("det", "mpjpe", "MPJPE det. 2D"))
LABELS = {"zero_depth": "zero depth (2D kept, no lifting): the floor", "chen_baseline": "L2D+L3D+Ladv (Chen-style baseline)", "tmc": "+Ltmc (= no scale module)",
          "tmc_kl": "+Ltmc+Lkl", "full": "+Ltmc+Lkl+Lbone (full)", "scale_on_3d": "full, scale on 3D",
          "joint": "full, joint instead of iterative",
          "step_norm": "step-wise 2D normalisation, no scale module",
          "camera_view": "full, view V about the camera axis ±20° (paper)"}


def load_rows(path: Path = CONFIGS / "ablations.toml") -> tuple[dict, dict]:
    """→ (budget keys, {row name: override keys}) in file order."""
    with open(path, "rb") as f:
        table = tomllib.load(f)
    return table.get("budget", {}), table.get("rows", {})


def train_args(row: dict, budget: dict, out: Path, data: Path) -> list[str]:
    """Command-line of training.train for one row."""
    args = ["--config", str(CONFIGS / "default.toml"), "--out", str(out),
            "--train", str(data / "train.npz"), "--val", str(data / "val.npz")]
    for key, value in {**budget, **row}.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["--set", f"{key}={text}"]
    return args


def evaluate_row(weights: Path, tests: dict[str, SequenceSet]) -> dict:
    """{split: evaluate_model 'overall' dict} with each sequence's true height for MPJPE."""
    from training.evaluate import evaluate_model
    model = load_model(weights, "cpu")
    return {k: evaluate_model(model, data, height="gt")["overall"] for k, data in tests.items()}


def flat_reference(tests: dict[str, SequenceSet]) -> dict:
    """Metrics of the trivial 'lifter' that keeps the 2D and predicts zero depth offsets.

    The floor any trained row must beat: the normalised input with every joint at the root's
    depth (model units, as a lifter would output), scored exactly like a model.
    """
    import numpy as np
    from ambiblend.core.lift.normalize import normalize
    from training import metrics as M
    out = {}
    for split, data in tests.items():
        rows = {"pmpjpe": [], "mpjpe": [], "n_mpjpe": [], "hl_mpjpe": []}
        for i in range(len(data)):
            x, _ = normalize(data.sequence(i), "clip")
            units = np.concatenate([x, np.zeros(x.shape[:2] + (1,))], axis=-1) * 10.0
            gt = data.sequence(i, "poses_3d").astype(np.float64)
            metric = M.to_metric(units, M.subject_height(gt))
            rows["mpjpe"].append(M.mpjpe(metric, gt))
            rows["pmpjpe"].append(M.pmpjpe(units, gt))
            rows["n_mpjpe"].append(M.n_mpjpe(units, gt))
            rows["hl_mpjpe"].append(M.head_length_mpjpe(units, gt))
        out[split] = {k: float(np.concatenate(v).mean()) for k, v in rows.items()}
    return out


def _logged_minutes(log: Path) -> float:
    """Training minutes summed from a run's log.csv (epoch seconds), NaN without a log."""
    import csv
    if not log.exists():
        return float("nan")
    with open(log, newline="", encoding="utf-8") as f:
        return sum(float(r["seconds"]) for r in csv.DictReader(f)) / 60


def markdown(results: dict) -> str:
    lines = ["| row | " + " | ".join(c[2] for c in COLUMNS) + " | train min |",
             "|---|" + "---|" * (len(COLUMNS) + 1)]
    for name, r in results.items():
        cells = [f"{r['metrics'][split][key]:.1f}" for split, key, _ in COLUMNS]
        flip = " (mirrored)" if r.get("depth_sign", {}).get("mirrored") else ""
        lines.append(f"| {LABELS.get(name, name)}{flip} | " + " | ".join(cells) + f" | {r['minutes']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("runs/ablations"))
    ap.add_argument("--data", type=Path, default=Path("runs/mocap"),
                    help="folder with train/val/test/test_detector.npz from training.prepare_mocap")
    ap.add_argument("--rows", default="", help="comma-separated subset of the rows (default: all)")
    ap.add_argument("--full-budget", action="store_true",
                    help="train each row with default.toml's own budget instead of the [budget] table")
    ap.add_argument("--seed", type=int, default=None, help="train every row with this seed (default: the config's)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key in every row, as training.train --set (repeatable)")
    args = ap.parse_args(argv)
    from training.train import main as train_main
    budget, rows = load_rows()
    if args.full_budget:
        budget = {}
    if args.rows:
        unknown = set(args.rows.split(",")) - set(rows)
        if unknown:
            raise AmbiblendError(f"Unknown ablation row(s): {', '.join(sorted(unknown))}.")
        rows = {k: v for k, v in rows.items() if k in args.rows.split(",")}
    tests = {"gt": SequenceSet.load(args.data / "test.npz"),
             "det": SequenceSet.load(args.data / "test_detector.npz")}
    results_path = args.out / "ablations.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    if "zero_depth" not in results:
        results["zero_depth"] = {"config": {}, "minutes": 0.0, "metrics": flat_reference(tests)}
    for name, row in rows.items():
        run = args.out / name
        final = run / "model_signed.pt"
        if not final.exists():
            t0 = time.time()
            print(f"[{name}] training", flush=True)
            argv = train_args(row, budget, run, args.data)
            if args.seed is not None:
                argv += ["--set", f"seed={args.seed}"]
            for override in args.set:  # after the row's keys, so it wins
                argv += ["--set", override]
            flat_init(run / "flat_init.pt", argv)  # same start and same sign rule as the default
            # An unfinished row (no model_signed.pt) is trained again from the start.
            if train_main(argv + ["--init", str(run / "flat_init.pt"), "--overwrite"]) != 0:
                raise AmbiblendError(f"Training of ablation row '{name}' failed.")
            minutes = (time.time() - t0) / 60
            sign = choose_sign(run / "model.pt", args.data / "val.npz", final)
        else:  # trained earlier (or by hand into this folder): its log has the epoch times
            minutes = results.get(name, {}).get("minutes", _logged_minutes(run / "log.csv"))
            sign = results.get(name, {}).get("depth_sign", {})
        results[name] = {"config": row, "minutes": minutes, "depth_sign": sign,
                         "metrics": evaluate_row(final, tests)}
        print(f"[{name}] " + ", ".join(f"{s}/{k} {results[name]['metrics'][s][k]:.1f}"
                                       for s, k, _ in COLUMNS), flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=1))
        budget_note = ", ".join(f"{k} = {v}" for k, v in budget.items()) or "default.toml's own"
        (args.out / "ablations.md").write_text(
            f"# Ablations (test split; budget per row: {budget_note})\n\n{markdown(results)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

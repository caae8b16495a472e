"""Re-run the paper's ablations (Table 3, Table 4, Fig. 6) on our data, one row each.

    python -m training.ablations [--rows full,chen_baseline] [--out runs/ablations]

Every row trains ``training/configs/default.toml`` + the row's keys + the shared ``[budget]``
of ``training/configs/ablations.toml`` (same architecture, data and number of training pairs),
one row at a time, then scores the row's selected weights on the test split with GT 2D and with
detector-like 2D. Rows already trained (``<out>/<row>/model.pt``) are only re-evaluated, so an
interrupted sweep continues where it stopped. Writes ``<out>/ablations.md`` and ``.json``.
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

CONFIGS = Path(__file__).resolve().parent / "configs"
# The table's columns: test split, metric key of training.evaluate, heading.
COLUMNS = (("gt", "pmpjpe", "PMPJPE GT 2D"), ("gt", "mpjpe", "MPJPE GT 2D"),
           ("gt", "n_mpjpe", "N-MPJPE GT 2D"), ("gt", "hl_mpjpe", "HL-MPJPE GT 2D"),
           ("det", "pmpjpe", "PMPJPE det. 2D"), ("det", "mpjpe", "MPJPE det. 2D"))
LABELS = {"chen_baseline": "L2D+L3D+Ladv (Chen-style baseline)", "tmc": "+Ltmc (= no scale module)",
          "tmc_kl": "+Ltmc+Lkl", "full": "+Ltmc+Lkl+Lbone (full)", "scale_on_3d": "full, scale on 3D",
          "joint": "full, joint instead of iterative"}


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


def markdown(results: dict) -> str:
    lines = ["| row | " + " | ".join(c[2] for c in COLUMNS) + " | train min |",
             "|---|" + "---|" * (len(COLUMNS) + 1)]
    for name, r in results.items():
        cells = [f"{r['metrics'][split][key]:.1f}" for split, key, _ in COLUMNS]
        lines.append(f"| {LABELS.get(name, name)} | " + " | ".join(cells) + f" | {r['minutes']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("runs/ablations"))
    ap.add_argument("--data", type=Path, default=Path("/work/scratch/h2"),
                    help="folder with train/val/test/test_detector.npz from training.prepare_mocap")
    ap.add_argument("--rows", default="", help="comma-separated subset of the rows (default: all)")
    args = ap.parse_args(argv)
    from training.train import main as train_main
    budget, rows = load_rows()
    if args.rows:
        unknown = set(args.rows.split(",")) - set(rows)
        if unknown:
            raise AmbiblendError(f"Unknown ablation row(s): {', '.join(sorted(unknown))}.")
        rows = {k: v for k, v in rows.items() if k in args.rows.split(",")}
    tests = {"gt": SequenceSet.load(args.data / "test.npz"),
             "det": SequenceSet.load(args.data / "test_detector.npz")}
    results_path = args.out / "ablations.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name, row in rows.items():
        run = args.out / name
        if not (run / "model.pt").exists():
            t0 = time.time()
            print(f"[{name}] training", flush=True)
            if train_main(train_args(row, budget, run, args.data)) != 0:
                raise AmbiblendError(f"Training of ablation row '{name}' failed.")
            minutes = (time.time() - t0) / 60
        else:
            minutes = results.get(name, {}).get("minutes", float("nan"))
        results[name] = {"config": row, "minutes": minutes, "metrics": evaluate_row(run / "model.pt", tests)}
        print(f"[{name}] " + ", ".join(f"{s}/{k} {results[name]['metrics'][s][k]:.1f}"
                                       for s, k, _ in COLUMNS), flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=1))
        budget_note = ", ".join(f"{k} = {v}" for k, v in budget.items())
        (args.out / "ablations.md").write_text(
            f"# Ablations (test split; budget per row: {budget_note})\n\n{markdown(results)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

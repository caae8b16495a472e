"""The front/back swap repair (``core.track.facing``) on held-out motion capture with synthetic swaps.

    python -m training.evaluate_swaps --data W/test.npz --weights assets/model.safetensors [--sequences 400]

Each sequence gets detector-like 2D (``data.mocap.detector_like``: noise, dropped joints and its
own short limb swaps) and, by a fair draw, one of: nothing more, or one stretch (10–50 % of the
sequence, starting anywhere in its first half) with the whole body, the legs only or the arms
only labelled left for right, as MediaPipe does when it takes a back for a front. The repair
then runs as in the add-on (judged by the bundled ``assets/model.safetensors``; ``--weights`` lifts). Printed per kind: frames with some limb unit mislabelled (nearer the
exact 2D swapped than as labelled) before and after, and PMPJPE (mm) of the raw lift before and
after. W/test.npz comes from ``training.prepare_mocap`` (group split: contents and styles never
trained on).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ambiblend.core.detect import Keypoints2D
from ambiblend.core.lift.checkpoint import load_model
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.pipeline import swap_judge
from ambiblend.core.skeleton import FLIP_GROUPS, FLIP_PERMUTATION
from ambiblend.core.track.facing import repair_facing, swap_labels
from training.data.mocap import detector_like
from training.metrics import pmpjpe

KINDS = {"none": None, "whole body": None, "legs only": FLIP_GROUPS[0], "arms only": FLIP_GROUPS[1]}


def mislabelled(seen: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """(T,) frames where some limb unit of ``seen`` is nearer ``exact`` swapped than as labelled."""
    out = np.zeros(len(seen), dtype=bool)
    for group in FLIP_GROUPS:
        same, other = list(group), [FLIP_PERMUTATION[j] for j in group]
        kept = np.linalg.norm(seen[:, same] - exact[:, same], axis=-1).sum(axis=-1)
        swapped = np.linalg.norm(seen[:, same] - exact[:, other], axis=-1).sum(axis=-1)
        out |= swapped < kept
    return out


def evaluate(data: dict, model, sequences: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    fps = float(data["fps"])
    stats = {k: {"sequences": 0, "frames": 0, "mislabelled before": 0, "mislabelled after": 0,
                 "PMPJPE before": [], "PMPJPE after": []} for k in KINDS}
    for i in rng.permutation(len(data["starts"]))[:sequences]:
        s, n = int(data["starts"][i]), int(data["lengths"][i])
        exact = data["poses_2d"][s:s + n].astype(np.float64)
        truth3d = data["poses_3d"][s:s + n].astype(np.float64)
        xy, conf = detector_like(exact, rng)
        kind = list(KINDS)[int(rng.integers(0, len(KINDS)))]
        stretch = np.zeros(n, dtype=bool)
        if kind != "none":
            start = int(rng.integers(1, max(2, n // 2)))
            stretch[start:start + int(rng.integers(max(2, n // 10), max(3, n // 2)))] = True
        kp = Keypoints2D(xy=xy, conf=conf, filled=np.zeros(n, bool), fps=fps, image_size=(1, 1), source="mocap")
        seen = swap_labels(kp, stretch, KINDS[kind])
        repaired, _ = repair_facing(seen, swap_judge(model))   # judged as in the add-on
        gt = truth3d - truth3d[:, :1]
        row = stats[kind]
        row["sequences"] += 1
        row["frames"] += n
        row["mislabelled before"] += int(mislabelled(seen.xy, exact).sum())
        row["mislabelled after"] += int(mislabelled(repaired.xy, exact).sum())
        row["PMPJPE before"].append(float(pmpjpe(lift_sequence(seen.xy, model).joints, gt).mean()))
        row["PMPJPE after"].append(float(pmpjpe(lift_sequence(repaired.xy, model).joints, gt).mean()))
    for row in stats.values():
        for key in ("PMPJPE before", "PMPJPE after"):
            row[key] = float(np.mean(row[key])) if row[key] else float("nan")
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="a prepare_mocap split file (test.npz)")
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--sequences", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    with np.load(args.data) as data:
        stats = evaluate(dict(data), load_model(args.weights, "cpu"), args.sequences, args.seed)
    print("| added swap | sequences | frames | mislabelled before → after | PMPJPE before → after mm |")
    print("|---|---|---|---|---|")
    for kind, row in stats.items():
        print(f"| {kind} | {row['sequences']} | {row['frames']} | {row['mislabelled before']} → "
              f"{row['mislabelled after']} | {row['PMPJPE before']:.1f} → {row['PMPJPE after']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env bash
# Real-footage experiment of assets/REAL_FOOTAGE.md, end to end (CPU, a few minutes):
#   1. evaluate the shipped model on all four Pose2Sim views against the triangulated reference;
#   2. fine-tune it on the 2D of two views (no 3D; the recipe stored in the checkpoint), both folds;
#   3. evaluate before/after on the two views each fold did NOT see; 4. the same on all views
#      after fine-tuning on all four (the user's case: retrain on the clips you then lift).
# Usage: bash training/real_footage.sh [weights] [out dir]
#        (env: DATA, CACHE, EPOCHS, SEED, LR, FT_ARGS, FOLDS, OFFSET; OVERWRITE=1 replaces earlier fine-tunes)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WEIGHTS=${1:-assets/model.pt}
OUT=${2:-runs/real_footage}
DATA=${DATA:-../shared/data/videos/pose2sim-single-person}
CACHE=${CACHE:-$OUT/detections}
EPOCHS=${EPOCHS:-10}          # × 4096 frame pairs, batch 256
LR=${LR:-5e-5}                # a quarter of the paper's 2e-4: adapt, do not retrain
SEED=${SEED:-0}
OFFSET=${OFFSET:---offset cam03=4}   # cam03 lags the others by 4 frames (sync check)
FT_ARGS=${FT_ARGS:-}          # extra train.py flags for variants, e.g. "--no-adv"
FOLDS=${FOLDS:-a b all}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$OUT"

# The fine-tune uses the shipped model's own recipe (architecture, losses, weights, priors).
$PY - "$WEIGHTS" "$OUT/finetune.toml" <<'EOF'
import json, sys, torch
cfg = torch.load(sys.argv[1], map_location="cpu", weights_only=True).get("config", {})
skip = {"train", "val", "out", "init", "resume", "epochs", "samples_per_epoch", "batch", "lr",
        "disc_lr", "scale_lr", "max_minutes", "progress", "val_sequences", "device", "seed"}
with open(sys.argv[2], "w") as f:
    f.writelines(f"{k} = {json.dumps(v)}\n" for k, v in cfg.items() if k not in skip)
EOF

declare -A FOLD=([a]="cam01 cam02" [b]="cam03 cam04" [all]="cam01 cam02 cam03 cam04")
declare -A HELD=([a]="cam03 cam04" [b]="cam01 cam02" [all]="cam01 cam02 cam03 cam04")
for f in $FOLDS; do
  mkdir -p "$OUT/videos_$f"
  for v in ${FOLD[$f]}; do ln -sf "$(realpath "$DATA/$v.mp4")" "$OUT/videos_$f/"; done
  [ -f "$OUT/own_$f.npz" ] || $PY -m training.extract --input "$OUT/videos_$f" --out "$OUT/own_$f.npz"
  $PY -m training.train --config "$OUT/finetune.toml" --init "$WEIGHTS" --train "$OUT/own_$f.npz" \
      --out "$OUT/ft_$f" --epochs "$EPOCHS" --batch 256 --samples-per-epoch 4096 \
      --lr "$LR" --disc-lr "$LR" --scale-lr "$LR" --seed "$SEED" --no-progress ${OVERWRITE:+--overwrite} $FT_ARGS
  $PY -m training.evaluate_real --data "$DATA" $OFFSET --cache "$CACHE" --views ${HELD[$f]} \
      --weights "$WEIGHTS" --weights "$OUT/ft_$f/model.pt" --out "$OUT/eval_$f"
done

# Summary: before/after on the views each fine-tune did not see (overall rows).
$PY - "$OUT" $FOLDS <<'EOF2' | tee "$OUT/summary.md"
import json, sys
from pathlib import Path
out, folds = Path(sys.argv[1]), sys.argv[2:]
keys = [("pmpjpe", "PMPJPE", "{:.1f}"), ("n_mpjpe", "N-MPJPE", "{:.1f}"), ("mpjpe", "MPJPE (height)", "{:.1f}"),
        ("pck150", "PCK@150", "{:.2f}"), ("root_depth_err", "root depth", "{:.0f}"), ("bone_cv_pred", "bone CV", "{:.3f}"),
        ("jitter_pred", "jitter", "{:.1f}")]
print("| fine-tuned on | scored on | model | " + " | ".join(h for _, h, _ in keys) + " |")
print("|---|---|---|" + "---|" * len(keys))
for f in folds:
    res = json.loads((out / f"eval_{f}" / "metrics.json").read_text())["results"]
    for name, per_view in res.items():
        views = " ".join(v for v in per_view if v != "overall")
        m = per_view["overall"]
        print(f"| {f} | {views} | {name} | " + " | ".join(fmt.format(m[k]) for k, _, fmt in keys) + " |")
EOF2

#!/usr/bin/env bash
# Reproduce the shipped default model (assets/model.pt) from the Bandai-Namco BVH clips:
#   bash training/make_default_model.sh [DATA_ROOT] [WORK_DIR]
# DATA_ROOT holds the unpacked Bandai-Namco-Research-Motiondataset-1/ and -2/ (default /work/data);
# WORK_DIR receives the SequenceSet files, the run and the evaluation (default /work/scratch/h2).
# One CPU thread, ~50 min of training (max_minutes in training/configs/default.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/work/data}
WORK=${2:-/work/scratch/h2}
PY=${PYTHON:-.venv/bin/python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

"$PY" -m training.prepare_mocap --data "$DATA" --out "$WORK"
"$PY" -m training.train --config training/configs/default.toml \
    --train "$WORK/train.npz" --val "$WORK/val.npz" --out "$WORK/runs/default"
for kind in test test_detector; do
    "$PY" -m training.evaluate --weights "$WORK/runs/default/model.pt" --data "$WORK/$kind.npz" \
        --out "$WORK/eval/$kind" --height-from-gt
done
echo "weights: $WORK/runs/default/model.pt (copy to assets/model.pt); metrics: $WORK/eval/*/metrics.md"

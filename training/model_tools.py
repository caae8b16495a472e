"""Two steps around ``training.train`` used for the default model and the ablations.

    python -m training.model_tools flat-init OUT.pt [train.py arguments...]
    python -m training.model_tools choose-sign WEIGHTS.pt VAL.npz OUT.pt
    python -m training.model_tools export-weights CHECKPOINT.pt OUT.safetensors

- ``flat-init``: the networks ``training.train`` would build for those arguments, with the
  lifter's output layer set to zero, saved as an add-on checkpoint for ``--init``. Training
  then starts from the flat pose (all joints at the root's depth) instead of random depths.
  [choice, on validation: 114 mm PMPJPE after 80 steps vs 175 mm from a random output layer]
- ``choose-sign``: an unsupervised lifter can converge to the depth-mirrored solution (the
  mirror image reprojects to the same 2D); on this data it did (val PMPJPE 113 mm as trained,
  63 mm mirrored). Negating the lifter's output layer mirrors every depth offset (d → −d)
  exactly. This step scores both on the validation split (GT 2D) and keeps the better: one bit
  chosen on labelled validation data, reported as such. The test split is never used.
- ``export-weights``: a training checkpoint → the add-on's torch-free ``.safetensors`` weights
  (``ambiblend.core.lift.weights``); also how weights from before that format are converted.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # allow `python training/model_tools.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import build_model, read_checkpoint, save_checkpoint
from ambiblend.core.lift.weights import export_weights
from training.data.sequences import SequenceSet


def flat_init(out, train_argv: list[str]) -> Path:
    """Write the zero-output-layer start checkpoint for the run ``train_argv`` describes."""
    from training import recipe
    from training.config import parse_config
    cfg = parse_config(train_argv)
    if cfg.norm == "universal":
        raise AmbiblendError("flat-init does not compute the 'universal' constant; use clip/step/none.")
    torch.manual_seed(cfg.seed)
    nets = recipe.build_nets(cfg, "cpu")
    torch.nn.init.zeros_(nets.lifter.mlp.out.weight)
    torch.nn.init.zeros_(nets.lifter.mlp.out.bias)
    save_checkpoint(out, nets.scale, nets.lifter, recipe.model_args(cfg),
                    {"mode": cfg.norm, "constant": None, "root_depth": 10.0},
                    description="flat start (zero lifter output layer)")
    return Path(out)


def mirrored(data: dict) -> dict:
    """A checkpoint dict whose lifter predicts −d for every depth offset d."""
    state = dict(data["state_dict"]["lifter"])
    for key in ("mlp.out.weight", "mlp.out.bias"):
        state[key] = -state[key]
    return {**data, "state_dict": {**data["state_dict"], "lifter": state}}


def val_pmpjpe(data: dict, val: SequenceSet) -> float:
    from training.evaluate import evaluate_model
    return float(evaluate_model(build_model(data, "cpu"), val, height="gt")["overall"]["pmpjpe"])


def choose_sign(weights, val_path, out, sequences: int = 150) -> dict:
    """Keep ``weights`` or its mirror, whichever has the lower val PMPJPE; write it to ``out``."""
    data = read_checkpoint(weights)
    val = SequenceSet.load(val_path)
    val = val.subset(np.linspace(0, len(val) - 1, min(sequences, len(val))).astype(int))
    flip = mirrored(data)
    scores = {"as_trained": val_pmpjpe(data, val), "mirrored": val_pmpjpe(flip, val)}
    keep = flip if scores["mirrored"] < scores["as_trained"] else data
    keep = {**keep, "depth_sign": {"mirrored": keep is flip, "val_pmpjpe": scores}}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(keep, out)
    export_weights(keep, Path(out).with_suffix(".safetensors"))  # the add-on's file
    return keep["depth_sign"]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["flat-init"] and len(argv) >= 2:
            print(f"wrote {flat_init(argv[1], argv[2:])}")
        elif argv[:1] == ["choose-sign"] and len(argv) == 4:
            print(f"depth sign: {choose_sign(*argv[1:])} → {argv[3]}")
        elif argv[:1] == ["export-weights"] and len(argv) == 3:
            print(f"wrote {export_weights(read_checkpoint(argv[1]), argv[2])}")
        else:
            print(__doc__.split("\n\n")[1])
            return 2
    except AmbiblendError as exc:
        print(f"error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one typed configuration of a training run, with paper defaults.

Sources, later ones winning: the dataclass defaults (paper §3.4 and the implementation notes),
a TOML file (``--config run.toml``; flat ``key = value`` or any tables, whose keys are merged
flat), ``--set key=value`` pairs, then the dedicated flags (``--lr 1e-4 --no-tmc``). Every field
has a flag: ``lifter_blocks`` → ``--lifter-blocks``; booleans get ``--x/--no-x``, with a
``use_`` prefix dropped (``use_tmc`` → ``--tmc/--no-tmc``). Conflicts are rejected by
``TrainConfig.check`` with a message naming the flags. The whole config is stored in every
checkpoint (``dataclasses.asdict``) so a run can be reproduced and resumed.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import tomllib
import typing
from dataclasses import dataclass, fields
from pathlib import Path

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.normalize import MODES as NORM_MODES

SCALE_MODES = ("2d", "3d", "none")  # where S multiplies: the 2D input, the 3D output, nowhere
ADV_LOSSES = ("lsgan", "bce")        # paper eq. 12–13 vs the released code
CYCLE_NORMS = ("squared", "euclidean")  # paper's squared norm vs released code's mean distance


@dataclass
class TrainConfig:
    # --- data and output
    train: str = ""                   # SequenceSet .npz with the training 2D (3D ignored)
    val: str = ""                     # optional SequenceSet .npz with 3D: model selection only
    val_sequences: int = 200          # evaluate this many evenly spaced val sequences (0 = all)
    out: str = "runs/default"         # run folder: last.pt, model.pt, log.csv, losses.png
    init: str = ""                    # start from an add-on checkpoint (fine-tuning)
    resume: bool = False              # continue from <out>/last.pt bit-for-bit
    overwrite: bool = False           # start afresh in an --out that holds a run (its files are replaced)
    # --- 2D normalisation and the scale module (Table 4)
    norm: str = "clip"                # none/universal/clip/step; paper: universal [choice: clip for the add-on]
    scale_mode: str = "2d"            # 2d (paper) / 3d / none
    prior_mu: float = 0.71            # N(μ, σ) prior of S (eq. 4)
    prior_sigma: float = 0.06
    # --- networks
    width: int = 1024
    lifter_blocks: int = 5            # paper text 5; released code 4
    scale_blocks: int = 1
    disc_blocks: int = 2
    dropout: float = 0.25
    zero_root_offset: bool = True     # d_0 = 0 [choice]
    # --- losses (eq. 6, 10) and their switches (Table 3)
    use_kl: bool = True
    use_bone: bool = True
    use_2d: bool = True
    use_3d: bool = True
    use_adv: bool = True
    use_tmc: bool = True
    bone_norm: str = "absolute"       # absolute (eq. 5) / relative: ÷ the pair's mean bone length² [choice]
    w_kl: float = 0.001
    w_bone: float = 1.0
    w_2d: float = 0.5
    w_3d: float = 5.0
    w_adv: float = 1.0
    w_tmc: float = 1.0
    adv_loss: str = "lsgan"
    disc_one_batch: bool = True       # Φ_D scores real+fake in one BatchNorm batch (false: runs before fda2980)
    cycle_norm: str = "squared"
    # --- random view V (eq. 8), radians
    azimuth: float = math.pi          # azimuth ~ U(-a, a) about the vertical (camera y) axis
    elevation: float = math.pi / 9    # then about the camera x axis
    roll: float = 0.0                 # then about the optical axis
    project_clip: float = 0.0         # clamp cycle projections to ±this (released code 0.2); 0 = off
    view_axis: str = "camera"         # azimuth axis: camera vertical (paper) / body (pelvis→thorax)
    # --- frame pairs (t, t+k) of one sequence for L_bone and L_tmc
    gap_min: int = 1
    gap_max: int = 30
    # --- schedule
    iterative: bool = True            # lifter n times then scale once; False = joint training
    lifter_steps: int = 4             # n
    scale_warmup: int = 0             # epochs with Φ_S held at its start (S = μ) while Φ_G takes every step [choice]
    sign_check_epochs: int = 0        # after each of the first n epochs, flip the lifter's depth sign when its mirror scores better on validation [choice]
    epochs: int = 200
    batch: int = 1024                 # frame pairs per step (each pair = 2 frames)
    samples_per_epoch: int = 0        # pairs per epoch; 0 = number of training frames
    lr: float = 2e-4                  # lifter
    disc_lr: float = 2e-4
    scale_lr: float = 2e-4
    lr_decay: float = 0.95            # per epoch
    weight_decay: float = 0.0
    # --- running
    seed: int = 0
    device: str = "auto"              # auto/cuda/cpu
    amp: bool = False                 # bf16 autocast on CUDA
    max_minutes: float = 0.0          # stop (after saving) once exceeded; 0 = no limit
    progress: bool = True             # tqdm bar

    def check(self) -> "TrainConfig":
        """Reject impossible or contradictory settings; return self."""
        choice = {"norm": NORM_MODES, "scale_mode": SCALE_MODES, "adv_loss": ADV_LOSSES,
                  "cycle_norm": CYCLE_NORMS, "view_axis": ("camera", "body"),
                  "bone_norm": ("absolute", "relative"), "device": ("auto", "cuda", "cpu")}
        for key, allowed in choice.items():
            if getattr(self, key) not in allowed:
                raise AmbiblendError(f"--{_flag(key)} must be one of {', '.join(allowed)}, got '{getattr(self, key)}'.")
        if self.scale_mode == "none" and (self.use_kl or self.use_bone):
            raise AmbiblendError("--scale-mode none removes the scale module, but its losses are on: "
                                 "add --no-kl --no-bone.")
        if not any((self.use_2d, self.use_3d, self.use_adv, self.use_tmc)):
            raise AmbiblendError("All lifter losses are off (--no-2d --no-3d --no-adv --no-tmc): nothing to train.")
        if self.resume and self.init:
            raise AmbiblendError("--resume and --init conflict: resume continues a run, init starts a new one.")
        if self.resume and self.overwrite:
            raise AmbiblendError("--resume and --overwrite conflict: resume continues the run in --out, "
                                 "overwrite replaces it.")
        if not 1 <= self.gap_min <= self.gap_max:
            raise AmbiblendError(f"Need 1 <= --gap-min <= --gap-max, got {self.gap_min} and {self.gap_max}.")
        positive = ("width", "lifter_blocks", "scale_blocks", "disc_blocks", "lifter_steps", "epochs",
                    "batch", "prior_sigma", "lr", "disc_lr", "scale_lr", "lr_decay")
        for key in positive:
            if getattr(self, key) <= 0:
                raise AmbiblendError(f"--{_flag(key)} must be positive, got {getattr(self, key)}.")
        if not 0 <= self.dropout < 1:
            raise AmbiblendError(f"--dropout must be in [0, 1), got {self.dropout}.")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _flag(name: str) -> str:
    return name.replace("_", "-")


def _types() -> dict[str, type]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in fields(TrainConfig)}


def _coerce(key: str, value, kind: type):
    """A TOML/--set value → the field's type, with a clear error."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise AmbiblendError(f"'{key}' expects true/false, got '{value}'.")
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError("not an integer")
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise AmbiblendError(f"'{key}' expects {kind.__name__}, got '{value}'.") from exc


def _flatten(table: dict) -> dict:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value))
        else:
            flat[key] = value
    return flat


def apply_overrides(config: TrainConfig, values: dict, source: str) -> TrainConfig:
    """Set fields from a {name: value} mapping; unknown names are rejected."""
    kinds = _types()
    for key, value in values.items():
        key = key.replace("-", "_")
        if key not in kinds:
            raise AmbiblendError(f"Unknown config key '{key}' in {source}.")
        setattr(config, key, _coerce(key, value, kinds[key]))
    return config


def load_toml(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise AmbiblendError(f"Config file not found: {path}")
    try:
        return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise AmbiblendError(f"Config file {path.name} is not valid TOML ({exc}).") from exc


def build_parser() -> argparse.ArgumentParser:
    """One flag per field (default None = 'not given'), plus --config and --set."""
    parser = argparse.ArgumentParser(description="Train the AmbiBlend lifter (unsupervised, paper recipe).")
    parser.add_argument("--config", help="TOML file with config keys")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key (repeatable)")
    for name, kind in _types().items():
        if kind is bool:
            flag = _flag(name[4:] if name.startswith("use_") else name)
            parser.add_argument(f"--{flag}", dest=name, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(f"--{_flag(name)}", dest=name, type=kind, default=None)
    return parser


def parse_config(argv=None) -> TrainConfig:
    """Command line → checked TrainConfig (defaults < TOML < --set < flags)."""
    args = build_parser().parse_args(argv)
    config = TrainConfig()
    if args.config:
        apply_overrides(config, load_toml(args.config), args.config)
    pairs = {}
    for item in args.set:
        if "=" not in item:
            raise AmbiblendError(f"--set expects KEY=VALUE, got '{item}'.")
        key, value = item.split("=", 1)
        pairs[key.strip()] = value.strip()
    apply_overrides(config, pairs, "--set")
    given = {k: v for k, v in vars(args).items() if k not in ("config", "set") and v is not None}
    apply_overrides(config, given, "the command line")
    config.given = set(given) | {k.replace("-", "_") for k in pairs}  # for --resume budget overrides
    return config.check()


def config_from_dict(values: dict) -> TrainConfig:
    """Rebuild a config stored in a checkpoint (unknown old keys are ignored)."""
    known = {f.name for f in fields(TrainConfig)}
    return apply_overrides(TrainConfig(), {k: v for k, v in values.items() if k in known}, "checkpoint")

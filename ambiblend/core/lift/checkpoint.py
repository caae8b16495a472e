"""The weights file: one format written by ``training/`` and read by the add-on.

A checkpoint is a ``torch.save`` dict of plain types and tensors (loadable with
``weights_only=True``)::

    {"format": "ambiblend-lifter", "version": 1,
     "model_args": {"scale": {...ScaleNet kwargs}, "lifter": {...Lifter kwargs}},
     "state_dict": {"scale": ..., "lifter": ...},
     "normalization": {"mode": "clip", "constant": None, "root_depth": 10.0},
     "config": {...training config}, "git_revision": "...", "metrics": {...}}

Training checkpoints may carry more keys (discriminator, optimisers, epoch); the loader ignores
them. The network is rebuilt from ``model_args`` alone, so no command-line flags are needed.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..scale.model import ScaleNet
from ..errors import AmbiblendError
from .model import ROOT_DEPTH, Lifter
from .normalize import MODES

FORMAT = "ambiblend-lifter"
VERSION = 1


@dataclass
class LiftingModel:
    """Φ_S and Φ_G in eval mode on one device, with the normalisation they were trained with."""
    scale: ScaleNet
    lifter: Lifter
    norm_mode: str = "clip"
    norm_constant: float | None = None
    root_depth: float = ROOT_DEPTH
    scale_on: str = "2d"  # "2d": Φ_G sees S·x (paper); "3d": Φ_G sees x, its output is scaled by S
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    info: dict = field(default_factory=dict)


def pick_device(preference: str = "AUTO") -> torch.device:
    """'AUTO' → CUDA when available, else CPU; 'CUDA' / 'CPU' force one (CUDA must exist)."""
    preference = (preference or "AUTO").upper()
    if preference == "CPU":
        return torch.device("cpu")
    if preference == "CUDA":
        if not torch.cuda.is_available():
            raise AmbiblendError("CUDA was requested but no CUDA device is available; choose Auto or CPU.")
        return torch.device("cuda")
    if preference != "AUTO":
        raise AmbiblendError(f"Unknown device '{preference}' (expected AUTO, CUDA or CPU).")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save_checkpoint(path, scale: ScaleNet, lifter: Lifter, model_args: dict, normalization: dict,
                    **extra) -> None:
    """Write a checkpoint the add-on can load. ``extra`` (config, git_revision, metrics, ...)
    is stored alongside; keep it to plain types and tensors."""
    payload = {
        "format": FORMAT, "version": VERSION, "model_args": model_args,
        "state_dict": {"scale": scale.state_dict(), "lifter": lifter.state_dict()},
        "normalization": dict(normalization),
    }
    payload.update(extra)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # atomic: an interrupted save never leaves a half-written checkpoint


def read_checkpoint(path) -> dict:
    """Load the raw dict with clear errors for a missing, corrupt or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise AmbiblendError(f"Weights file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, io.UnsupportedOperation,
            AttributeError, KeyError) as exc:
        raise AmbiblendError(f"Weights file {path.name} is corrupt or not a PyTorch file ({exc}).") from exc
    except Exception as exc:  # pickle errors of foreign files have many types; their text advises
        # loading with weights_only=False (unsafe), so only the type is shown to the user
        raise AmbiblendError(f"Weights file {path.name} is corrupt or not a PyTorch checkpoint "
                             f"({type(exc).__name__}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AmbiblendError(f"{path.name} is not an AmbiBlend lifter checkpoint (no '{FORMAT}' format tag).")
    if data.get("version", 0) > VERSION:
        raise AmbiblendError(f"{path.name} was written by a newer AmbiBlend (format version {data['version']}).")
    for key in ("model_args", "state_dict", "normalization"):
        if key not in data:
            raise AmbiblendError(f"{path.name} lacks '{key}': it is not a complete lifter checkpoint.")
    return data


def build_model(data: dict, device: torch.device | str = "cpu", name: str = "checkpoint") -> LiftingModel:
    """Rebuild Φ_S and Φ_G from a checkpoint dict; shape mismatches become clear errors."""
    args = data["model_args"]
    try:
        scale = ScaleNet(**args.get("scale", {}))
        lifter = Lifter(**args.get("lifter", {}))
    except TypeError as exc:
        raise AmbiblendError(f"{name} has model arguments this version does not understand ({exc}).") from exc
    for part, net in (("scale", scale), ("lifter", lifter)):
        state = data["state_dict"].get(part)
        if state is None:
            raise AmbiblendError(f"{name} has no weights for the {part} network.")
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            detail = first[1].strip() if len(first) > 1 else first[0]
            raise AmbiblendError(f"{name}: the {part} weights do not fit the network ({detail}).") from exc
    norm = data["normalization"]
    mode = norm.get("mode", "clip")
    if mode not in MODES:
        raise AmbiblendError(f"{name} uses unknown 2D normalisation '{mode}'.")
    device = torch.device(device)
    scale.to(device).eval()
    lifter.to(device).eval()
    scale_on = args.get("scale_on", "2d")
    if scale_on not in ("2d", "3d", "none"):
        raise AmbiblendError(f"{name} applies its scale to '{scale_on}', expected 2d, 3d or none.")
    info = {k: data[k] for k in ("config", "git_revision", "metrics", "description") if k in data}
    return LiftingModel(scale=scale, lifter=lifter, norm_mode=mode,
                        norm_constant=norm.get("constant"),
                        root_depth=float(norm.get("root_depth", ROOT_DEPTH)), scale_on=scale_on,
                        device=device, info=info)


def load_model(path, device: torch.device | str | None = None) -> LiftingModel:
    """The one loader users' weights go through (add-on, batch script, evaluation)."""
    device = device if device is not None else pick_device("AUTO")
    return build_model(read_checkpoint(path), device, name=Path(path).name)

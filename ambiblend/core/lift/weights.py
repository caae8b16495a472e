"""The add-on's weights file: ``model.safetensors``, read with numpy alone.

Same content as a training checkpoint (``checkpoint.py``) minus what only training needs:
arrays ``scale.<layer>`` and ``lifter.<layer>`` (the torch ``state_dict`` names), and one
metadata entry ``ambiblend`` holding JSON ``{"format", "version", "model_args",
"normalization", "config", "git_revision", "metrics", "depth_sign", "description"}``.
``training/`` writes it next to every ``model.pt``; ``export_weights`` converts an old one.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from .safetensors import load_file, save_file

FORMAT = "ambiblend-lifter"
VERSION = 1
SUFFIX = ".safetensors"
PARTS = ("scale", "lifter")
INFO_KEYS = ("config", "git_revision", "metrics", "depth_sign", "description")


def to_numpy(value) -> np.ndarray:
    """A torch tensor or array → numpy (torch is never imported here)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _plain(value):
    """JSON-safe copy of checkpoint extras (numpy/torch scalars → numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def export_weights(data: dict, path) -> Path:
    """Write a checkpoint dict (``checkpoint.read_checkpoint``) as the add-on's weights file."""
    arrays = {}
    for part in PARTS:
        for key, value in data["state_dict"][part].items():
            if not key.endswith("num_batches_tracked"):  # a training counter, unused in eval
                arrays[f"{part}.{key}"] = to_numpy(value)
    meta = {"format": FORMAT, "version": VERSION, "model_args": data["model_args"],
            "normalization": data["normalization"],
            **{k: data[k] for k in INFO_KEYS if k in data}}
    path = Path(path)
    save_file(arrays, path, {"ambiblend": json.dumps(_plain(meta))})
    return path


def read_weights(path) -> dict:
    """The weights file as a checkpoint-shaped dict (state dicts of numpy arrays)."""
    path = Path(path)
    if not path.is_file():
        raise AmbiblendError(f"Weights file not found: {path}")
    arrays, metadata = load_file(path)
    try:
        meta = json.loads(metadata["ambiblend"])
    except (KeyError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise AmbiblendError(f"{path.name} is not an AmbiBlend weights file (no '{FORMAT}' metadata).")
    if meta.get("version", 0) > VERSION:
        raise AmbiblendError(f"{path.name} was written by a newer AmbiBlend (format version {meta['version']}).")
    for key in ("model_args", "normalization"):
        if not isinstance(meta.get(key), dict):
            raise AmbiblendError(f"{path.name} lacks '{key}': it is not a complete weights file.")
    state = {part: {k[len(part) + 1:]: v for k, v in arrays.items() if k.startswith(part + ".")}
             for part in PARTS}
    return {**meta, "state_dict": state}

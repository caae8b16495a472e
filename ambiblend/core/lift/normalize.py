"""2D normalisation shared by training and inference (paper §3.1 and Table 4).

Input 2D (T, 17, 2) in any consistent unit (pixels, or unit-focal camera coordinates) is made
root-relative and divided by a factor so the head–root distance is about 1/D (D = 10). Modes:

- ``none``: root-relative only.
- ``universal``: one constant for everything, computed on the training set and stored in the
  checkpoint (the paper's default; only meaningful when inference 2D is in the same unit).
- ``clip``: one factor per clip, from the clip's median head–root distance. [choice] The
  add-on's default: a user's video has its own resolution and subject distance, so a constant
  from training data does not transfer; the per-frame scale module then removes what is left.
- ``step``: each frame by its own head–root distance (the paper's "step-wise").

The same function runs in training and in the add-on, so a checkpoint's ``normalization``
entry fully defines what the network expects.
"""
from __future__ import annotations

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import HEAD, ROOT

MODES = ("none", "universal", "clip", "step")


def head_root_distance(xy: np.ndarray) -> np.ndarray:
    """(T, 17, 2) → (T,) 2D distance from pelvis to head top."""
    return np.linalg.norm(xy[:, HEAD] - xy[:, ROOT], axis=-1)


def universal_constant(sequences, root_depth: float = 10.0) -> float:
    """The ``universal`` factor: mean head–root distance over all frames × D."""
    d = np.concatenate([head_root_distance(np.asarray(s, dtype=np.float64)) for s in sequences])
    return float(np.mean(d) * root_depth)


def normalization_factor(xy: np.ndarray, mode: str, constant: float | None = None,
                         root_depth: float = 10.0) -> np.ndarray:
    """Per-frame divisor (T,) for ``normalize``."""
    xy = np.asarray(xy, dtype=np.float64)
    t = xy.shape[0]
    if mode == "none":
        return np.ones(t)
    if mode == "universal":
        if not constant or constant <= 0:
            raise AmbiblendError("'universal' normalisation needs the constant stored with the model.")
        return np.full(t, float(constant))
    dist = head_root_distance(xy)
    if mode == "clip":
        valid = dist[np.isfinite(dist) & (dist > 0)]
        if valid.size == 0:
            raise AmbiblendError("Cannot normalise the 2D poses: head and pelvis coincide in every frame.")
        return np.full(t, float(np.median(valid) * root_depth))
    if mode == "step":
        return np.maximum(dist, 1e-6) * root_depth
    raise AmbiblendError(f"Unknown 2D normalisation '{mode}' (expected one of {', '.join(MODES)}).")


def normalize(xy: np.ndarray, mode: str, constant: float | None = None,
              root_depth: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """(T,17,2) → (root-relative 2D / factor as float32 (T,17,2), factor (T,))."""
    xy = np.asarray(xy, dtype=np.float64)
    factor = normalization_factor(xy, mode, constant, root_depth)
    rel = (xy - xy[:, ROOT:ROOT + 1]) / factor[:, None, None]
    return rel.astype(np.float32), factor

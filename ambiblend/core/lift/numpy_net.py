"""Φ_S and Φ_G's forward pass in numpy: what the add-on runs inside Blender (no torch there).

Eval mode only: each BatchNorm is folded into the Linear layer before it, dropout is the
identity. Layer names are those of the torch modules' ``state_dict`` (``core.nn``,
``scale.model``, ``lift.model``), so one weights file serves both. Computed in float64: the
result equals the float32 torch model to ~1e-6 in model units.
"""
from __future__ import annotations

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import ROOT

BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default, used by every BN in core.nn


def _folded(state: dict, linear: str, norm: str) -> tuple[np.ndarray, np.ndarray]:
    """W, b of ``linear`` followed by eval-mode BatchNorm ``norm``, as one affine map."""
    w, b = state[f"{linear}.weight"].astype(np.float64), state[f"{linear}.bias"].astype(np.float64)
    gain = state[f"{norm}.weight"] / np.sqrt(state[f"{norm}.running_var"].astype(np.float64) + BN_EPS)
    shift = state[f"{norm}.bias"] - state[f"{norm}.running_mean"] * gain
    return (w * gain[:, None]).T.copy(), b * gain + shift


class NumpyMLP:
    """``core.nn.ResidualMLP`` in eval mode: (B, in) → (B, out)."""

    def __init__(self, state: dict[str, np.ndarray], prefix: str = "mlp."):
        s = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        try:
            self.inp = _folded(s, "inp.0", "inp.1")
            n = len({k.split(".")[1] for k in s if k.startswith("blocks.")})
            self.blocks = [(_folded(s, f"blocks.{i}.layers.0.0", f"blocks.{i}.layers.0.1"),
                            _folded(s, f"blocks.{i}.layers.1.0", f"blocks.{i}.layers.1.1"))
                           for i in range(n)]
            self.out = (s["out.weight"].astype(np.float64).T.copy(), s["out.bias"].astype(np.float64))
        except KeyError as exc:
            raise AmbiblendError(f"The weights lack layer '{prefix}{exc.args[0]}'.") from None
        widths = {self.inp[0].shape[1], self.out[0].shape[0]} | {w.shape[0] for pair in self.blocks for w, _ in pair}
        if len(widths) != 1:
            raise AmbiblendError(f"The '{prefix}' layers have inconsistent widths {sorted(widths)}.")

    @property
    def in_features(self) -> int:
        return self.inp[0].shape[0]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise AmbiblendError(f"Network input must be (B, {self.in_features}), got {x.shape}.")
        h = np.maximum(x @ self.inp[0] + self.inp[1], 0.0)
        for (w1, b1), (w2, b2) in self.blocks:
            h = h + np.maximum(np.maximum(h @ w1 + b1, 0.0) @ w2 + b2, 0.0)
        return h @ self.out[0] + self.out[1]


class NumpyScaleNet:
    """Φ_S: (B, 17, 2) → (B,) positive scale (softplus of the MLP, as ``scale.model.ScaleNet``)."""

    def __init__(self, state: dict[str, np.ndarray]):
        self.mlp = NumpyMLP(state)

    def __call__(self, pose2d: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, self.mlp(pose2d.reshape(len(pose2d), -1))[:, 0])


class NumpyLifter:
    """Φ_G: (B, 17, 2) → (B, 17) depth offsets (as ``lift.model.Lifter``)."""

    def __init__(self, state: dict[str, np.ndarray], zero_root_offset: bool = True):
        self.mlp = NumpyMLP(state)
        self.zero_root_offset = zero_root_offset

    def __call__(self, pose2d: np.ndarray) -> np.ndarray:
        d = self.mlp(pose2d.reshape(len(pose2d), -1))
        return d - d[:, ROOT:ROOT + 1] if self.zero_root_offset else d

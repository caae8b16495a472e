"""Scale estimation module Φ_S (paper §3.1): one positive scalar S_2D per frame.

Input: the normalised root-relative 2D pose of a frame, flattened (B, 34). Output: (B,) scale
that multiplies that 2D pose before it enters the lifter. Positivity through softplus; the
last layer starts at zero weight and a bias giving S_2D = ``init_scale`` (the prior's mean),
so training starts from the prior instead of from a random scale. [choice, see the notes]
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..nn import ResidualMLP
from ..skeleton import NUM_JOINTS


class ScaleNet(nn.Module):
    def __init__(self, width: int = 1024, blocks: int = 1, dropout: float = 0.25,
                 init_scale: float = 0.71):
        super().__init__()
        self.mlp = ResidualMLP(NUM_JOINTS * 2, 1, width=width, blocks=blocks, dropout=dropout)
        nn.init.zeros_(self.mlp.out.weight)
        nn.init.constant_(self.mlp.out.bias, math.log(math.expm1(init_scale)))  # softplus⁻¹

    def forward(self, pose2d: torch.Tensor) -> torch.Tensor:
        """pose2d: (B, 17, 2) normalised root-relative → (B,) positive scale."""
        return F.softplus(self.mlp(pose2d.flatten(1))).squeeze(1)

"""The residual MLP all three networks of the paper are built from (after Martinez et al. 2017).

Linear(in→w) → BN → ReLU → Dropout, then ``blocks`` residual blocks of two such layers with a
skip connection, then Linear(w→out).
"""
from __future__ import annotations

import torch
from torch import nn


class _Layer(nn.Sequential):
    def __init__(self, width: int, dropout: float):
        super().__init__(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(inplace=True),
                         nn.Dropout(dropout))


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.layers = nn.Sequential(_Layer(width, dropout), _Layer(width, dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class ResidualMLP(nn.Module):
    """(B, in_features) → (B, out_features)."""

    def __init__(self, in_features: int, out_features: int, width: int = 1024, blocks: int = 2,
                 dropout: float = 0.25):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(in_features, width), nn.BatchNorm1d(width),
                                 nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(blocks)])
        self.out = nn.Linear(width, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.inp(x)))

"""Pose lifter Φ_G and discriminator Φ_D (paper §3.2), in torch (training, CUDA inference).

The lifter sees a root-relative 2D pose x (B, 17, 2) and predicts a depth offset d_i per joint;
``camera.depth_to_3d`` turns them into 3D (re-exported here with ``project`` and ``ROOT_DEPTH``).
The numpy twin the add-on runs is ``numpy_net``.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn import ResidualMLP
from ..skeleton import NUM_JOINTS, ROOT
from .camera import ROOT_DEPTH, depth_to_3d, project  # noqa: F401  (re-exported)


class Lifter(nn.Module):
    """(B, 17, 2) scaled root-relative 2D → (B, 17) depth offsets d_i.

    ``zero_root_offset``: fix d_0 = 0 so the root stays at depth D exactly. [choice]
    """

    def __init__(self, width: int = 1024, blocks: int = 4, dropout: float = 0.25,
                 zero_root_offset: bool = True):
        super().__init__()
        self.zero_root_offset = zero_root_offset
        self.mlp = ResidualMLP(NUM_JOINTS * 2, NUM_JOINTS, width=width, blocks=blocks,
                               dropout=dropout)

    def forward(self, pose2d: torch.Tensor) -> torch.Tensor:
        d = self.mlp(pose2d.flatten(1))
        if self.zero_root_offset:
            d = d - d[:, ROOT:ROOT + 1]
        return d


class Discriminator(nn.Module):
    """(B, 17, 2) 2D pose → (B,) realness score (least-squares GAN, no sigmoid)."""

    def __init__(self, width: int = 1024, blocks: int = 2, dropout: float = 0.0):
        super().__init__()
        self.mlp = ResidualMLP(NUM_JOINTS * 2, 1, width=width, blocks=blocks, dropout=dropout)

    def forward(self, pose2d: torch.Tensor) -> torch.Tensor:
        return self.mlp(pose2d.flatten(1)).squeeze(1)

"""Pose lifter Φ_G and discriminator Φ_D (paper §3.2), and the depth-offset camera model.

Camera (paper eq. 1, 7): pinhole, unit focal length, at the origin, looking down +Z, x right,
y down (image convention). The lifter sees a root-relative 2D pose x (B, 17, 2) and predicts a
depth offset d_i per joint; the 3D joint is (x_i·Z_i, y_i·Z_i, Z_i) with Z_i = max(1, D + d_i)
and D = 10 the root depth. Its projection x = X/Z gives back the input exactly.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn import ResidualMLP
from ..skeleton import NUM_JOINTS, ROOT

ROOT_DEPTH = 10.0  # D in the paper: the root sits at depth 10 in model units


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


def depth_to_3d(pose2d: torch.Tensor, offsets: torch.Tensor,
                root_depth: float = ROOT_DEPTH) -> torch.Tensor:
    """Eq. 7: (B,17,2) 2D + (B,17) offsets → (B,17,3) camera-frame 3D, root near depth D."""
    z = torch.clamp(root_depth + offsets, min=1.0)
    return torch.cat([pose2d * z.unsqueeze(-1), z.unsqueeze(-1)], dim=-1)


def project(joints3d):
    """Unit-focal perspective projection (..., 3) → (..., 2): x = X/Z, y = Y/Z (torch or numpy)."""
    return joints3d[..., :2] / joints3d[..., 2:3]

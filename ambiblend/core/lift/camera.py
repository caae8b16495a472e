"""The depth-offset camera model (paper eq. 1, 7), for numpy arrays and torch tensors alike.

Pinhole camera, unit focal length, at the origin, looking down +Z, x right, y down. The lifter
predicts a depth offset d_i per joint; the 3D joint is (x_i·Z_i, y_i·Z_i, Z_i) with
Z_i = max(1, D + d_i) and D = 10 the root depth, so its projection X/Z gives back the input.
Torch-free: the add-on lifts with numpy inside Blender, training with torch; both call these.
"""
from __future__ import annotations

import numpy as np

ROOT_DEPTH = 10.0  # D in the paper: the root sits at depth 10 in model units


def depth_to_3d(pose2d, offsets, root_depth: float = ROOT_DEPTH):
    """Eq. 7: (B,17,2) 2D + (B,17) offsets → (B,17,3) camera-frame 3D, root near depth D."""
    z = (root_depth + offsets).clip(min=1.0)
    xyz = (pose2d * z[..., None], z[..., None])
    if isinstance(pose2d, np.ndarray):
        return np.concatenate(xyz, axis=-1)
    import torch  # only reached with tensors, i.e. where torch is installed
    return torch.cat(xyz, dim=-1)


def project(joints3d):
    """Unit-focal perspective projection (..., 3) → (..., 2): x = X/Z, y = Y/Z (torch or numpy)."""
    return joints3d[..., :2] / joints3d[..., 2:3]

"""A second opinion on depth: the detector's own 3D (MediaPipe world landmarks) blended into
the lifter's depth offsets.

MediaPipe returns metric 3D per frame ("world landmarks": hip-centred, x right, y down, z away
from the camera) for free. Its errors and the lifter's are partly independent (on the Pose2Sim
clip a plain per-frame average beat both), so the lifter's depth offsets d_i are blended with
the detector's relative depths brought to the lifter's units. Only depth is blended: x and y
still come from the 2D through the camera model, so the result projects exactly onto the
detected 2D — what the user sees in the video stays where it is.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import ROOT


def detector_depth_offsets(pose2d: np.ndarray, world: np.ndarray, root_depth: float) -> np.ndarray:
    """The detector's relative depths in the lifter's model units, (B, 17).

    pose2d: (B, 17, 2) the lifter's (scaled, root-relative) 2D input; the lifter's camera puts
    joint i at (x_i·Z_i, y_i·Z_i, Z_i) with the root at depth D. world: (B, 17, 3) the detector's
    3D in metres. The unit change u (model units per metre, per frame) is the least-squares fit
    of that camera to the detector's pose: x_i·(D + u·z_i) ≈ u·(X_i, Y_i) for root-relative
    detector joints — linear in u, and it keeps perspective foreshortening (a plain ratio of
    image-plane sizes would not).
    """
    rel = world - world[:, ROOT:ROOT + 1]
    a = root_depth * pose2d                                  # x_i·D
    b = pose2d * rel[..., 2:3] - rel[..., :2]                # x_i·z_i − (X_i, Y_i)
    den = (b * b).sum(axis=(1, 2))
    u = np.where(den > 1e-12, -(a * b).sum(axis=(1, 2)) / np.maximum(den, 1e-12), 0.0)
    return rel[..., 2] * np.clip(u, 0.0, None)[:, None]


def blend_depths(offsets: np.ndarray, detector: np.ndarray, weight: float) -> np.ndarray:
    """(1 − weight)·lifter + weight·detector, per joint; weight 0 is the lifter alone."""
    return (1.0 - weight) * offsets + weight * detector

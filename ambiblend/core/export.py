"""The lifted joints as a file, without Blender: ``<stem>.npz`` for other tools and for analysis.

    save_motion_npz(motion, "walk.npz")      # batch: --formats npz
    joints, fps, conf, filled, names = (load_motion_npz("walk.npz")[k] for k in
                                        ("joints", "fps", "conf", "filled", "joint_names"))

Arrays (plain numpy, no pickle: ``np.load(path)`` reads it as is):

    joints       float64 (T, 17, 3)  Blender world metres: X right, Y away from the camera, Z up;
                                     feet on z = 0 (``Motion.joints``, the motion that is baked)
    fps          float64 ()          frames per second
    conf         float32 (T, 17)     2D detection confidence, 0 where a joint was interpolated
    filled       bool    (T,)        frames with no detected person (interpolated)
    joint_names  str     (17,)       ``skeleton.JOINTS``: Human3.6M order, pelvis first
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import AmbiblendError
from .skeleton import JOINTS, NUM_JOINTS

MOTION_KEYS = ("joints", "fps", "conf", "filled", "joint_names")


def save_motion_npz(motion, path) -> Path:
    """Write ``motion`` (a ``pipeline.Motion``) to ``path`` (.npz, see the module doc); → path."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise AmbiblendError(f"The motion file name must end in .npz, got '{path}'.")
    joints = np.asarray(motion.joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise AmbiblendError(f"Motion joints must be (frames, {NUM_JOINTS}, 3), got {joints.shape}.")
    try:
        with open(path, "wb") as f:
            np.savez_compressed(f, joints=joints, fps=np.float64(motion.fps),
                                conf=np.asarray(motion.conf, dtype=np.float32),
                                filled=np.asarray(motion.filled, dtype=bool), joint_names=np.array(JOINTS))
    except OSError as exc:
        raise AmbiblendError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    return path


def load_motion_npz(path) -> dict:
    """Read a file written by ``save_motion_npz`` → {key: array} for ``MOTION_KEYS``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in MOTION_KEYS if k not in f.files]
            if missing:
                raise AmbiblendError(f"{path.name} lacks {', '.join(missing)}: not an AmbiBlend motion file.")
            return {k: f[k] for k in MOTION_KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise AmbiblendError(f"{path.name} is not a readable motion .npz file ({exc}).") from exc

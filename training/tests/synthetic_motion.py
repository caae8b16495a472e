"""Small synthetic motion for the training tests: a stick figure that turns, swings its arms and
walks in front of a unit-focal camera. 3D in metres, camera frame (x right, y down, z away)."""
from __future__ import annotations

import numpy as np

from training.data.sequences import SequenceSet

# Rest pose (17 H36M joints), metres, y down, pelvis at the origin.
REST = np.array([
    [0, 0, 0], [-0.12, 0, 0], [-0.12, 0.45, 0], [-0.12, 0.9, 0], [0.12, 0, 0], [0.12, 0.45, 0],
    [0.12, 0.9, 0], [0, -0.25, 0], [0, -0.5, 0], [0, -0.6, 0.05], [0, -0.75, 0], [0.18, -0.5, 0],
    [0.18, -0.22, 0], [0.18, 0.02, 0], [-0.18, -0.5, 0], [-0.18, -0.22, 0], [-0.18, 0.02, 0],
], dtype=np.float64)


def _rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.stack([np.stack([c, 0 * a, s], -1), np.stack([0 * a, 1 + 0 * a, 0 * a], -1),
                     np.stack([-s, 0 * a, c], -1)], -2)


def make_sequence(length: int, rng: np.random.Generator) -> np.ndarray:
    """(length, 17, 3) camera-frame joints of one clip."""
    t = np.arange(length) / 30.0
    pose = np.repeat(REST[None], length, axis=0)
    swing = 0.25 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t + rng.uniform(0, 6))
    for elbow, wrist in ((12, 13), (15, 16)):  # arms swing forward/back in z
        pose[:, elbow, 2] += swing * 0.5
        pose[:, wrist, 2] += swing
        swing = -swing
    yaw = rng.uniform(-np.pi, np.pi) + rng.uniform(-1, 1) * t
    pose = np.einsum("tij,tkj->tki", _rot_y(yaw), pose) * rng.uniform(0.9, 1.1)
    root = np.stack([rng.uniform(-0.5, 0.5) + 0.3 * t, 0.1 + 0 * t, rng.uniform(4, 6) + 0.2 * t], -1)
    return pose + root[:, None]


def make_set(n_seq: int = 6, length: int = 40, seed: int = 0) -> SequenceSet:
    """SequenceSet with unit-focal 2D (X/Z, Y/Z) and the 3D kept for evaluation."""
    rng = np.random.default_rng(seed)
    seqs3d = [make_sequence(length, rng) for _ in range(n_seq)]
    seqs2d = [s[..., :2] / s[..., 2:3] for s in seqs3d]
    groups = ["walk" if i % 2 else "turn" for i in range(n_seq)]
    return SequenceSet.from_sequences(seqs2d, [f"seq{i}" for i in range(n_seq)], groups, 30.0, seqs_3d=seqs3d)


def write_train_val(root):
    """A tiny train.npz (6 sequences) and val.npz (3) in ``root`` for training-run tests."""
    make_set(6, 50, seed=0).save(root / "train.npz")
    make_set(3, 40, seed=1).save(root / "val.npz")
    return root


def tiny_config(base: dict, data, out, **kw):
    """A ``TrainConfig`` of the ``base`` settings on ``write_train_val``'s data, writing to ``out``."""
    from training.config import TrainConfig
    return TrainConfig(**{**base, "train": str(data / "train.npz"), "val": str(data / "val.npz"),
                          "out": str(out), **kw})

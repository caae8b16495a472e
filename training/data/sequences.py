"""``SequenceSet``: the one in-memory and on-disk form of training/evaluation data.

All frames of all sequences are stacked along axis 0; ``starts``/``lengths`` delimit the
sequences (a sequence = one clip seen by one camera). Frame pairs (t, t+k) for the temporal
losses are drawn inside one sequence only.

On disk: one ``.npz`` with the arrays below (``poses_3d`` optional, never used for training)::

    poses_2d  float32 (N, 17, 2)  2D joints: unit-focal camera coordinates (X/Z, Y/Z) for
                                  projected mocap, pixels for detected video
    poses_3d  float32 (N, 17, 3)  camera-frame 3D in metres (x right, y down, z away), optional
    conf      float32 (N, 17)     per-joint confidence, optional (1 for exact projections)
    starts    int64   (S,)        first frame of each sequence
    lengths   int64   (S,)        frames per sequence
    names     str     (S,)        sequence name, e.g. "dataset-1_walk_normal_001/cam3"
    groups    str     (S,)        content type / action, for per-group metrics
    fps       float   ()          frame rate
"""
from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import NUM_JOINTS


@dataclass
class SequenceSet:
    poses_2d: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    names: np.ndarray
    groups: np.ndarray
    fps: float = 30.0
    poses_3d: np.ndarray | None = None
    conf: np.ndarray | None = None

    def __post_init__(self):
        self.validate()

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def num_frames(self) -> int:
        return int(self.poses_2d.shape[0])

    def validate(self) -> None:
        """Reject data the losses cannot use, with a message naming the problem."""
        p = self.poses_2d
        if p.ndim != 3 or p.shape[1:] != (NUM_JOINTS, 2):
            raise AmbiblendError(f"poses_2d must be (N, {NUM_JOINTS}, 2), got {p.shape}: wrong joint count or layout.")
        if len(self.starts) == 0:
            raise AmbiblendError("The data set holds no sequences.")
        if np.any(self.lengths <= 0):
            bad = [str(n) for n in np.asarray(self.names)[self.lengths <= 0][:3]]
            raise AmbiblendError(f"Empty sequences in the data set: {', '.join(bad)}.")
        if int(self.starts[-1] + self.lengths[-1]) > p.shape[0] or np.any(self.starts < 0):
            raise AmbiblendError("Sequence bounds (starts/lengths) run past the stacked frames.")
        if not np.isfinite(p).all():
            n = int((~np.isfinite(p)).any(axis=(1, 2)).sum())
            raise AmbiblendError(f"poses_2d holds NaN or infinite values in {n} frames; fill or drop them first.")
        if self.poses_3d is not None and self.poses_3d.shape != p.shape[:2] + (3,):
            raise AmbiblendError(f"poses_3d shape {self.poses_3d.shape} does not match poses_2d {p.shape}.")
        for name, arr in (("names", self.names), ("groups", self.groups), ("lengths", self.lengths)):
            if len(arr) != len(self.starts):
                raise AmbiblendError(f"'{name}' has {len(arr)} entries for {len(self.starts)} sequences.")

    def sequence(self, i: int, what: str = "poses_2d") -> np.ndarray:
        arr = getattr(self, what)
        return arr[self.starts[i]:self.starts[i] + self.lengths[i]]

    def subset(self, indices) -> "SequenceSet":
        """A new set holding only the sequences ``indices`` (copied, re-stacked)."""
        idx = np.asarray(indices, dtype=np.int64)
        cat = lambda what: (None if getattr(self, what) is None
                            else np.concatenate([self.sequence(i, what) for i in idx]))
        lengths = self.lengths[idx]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return SequenceSet(poses_2d=cat("poses_2d"), starts=starts, lengths=lengths,
                           names=self.names[idx], groups=self.groups[idx], fps=self.fps,
                           poses_3d=cat("poses_3d"), conf=cat("conf"))

    @staticmethod
    def from_sequences(seqs_2d, names, groups, fps=30.0, seqs_3d=None, confs=None) -> "SequenceSet":
        lengths = np.array([len(s) for s in seqs_2d], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        stack = lambda seqs: None if seqs is None else np.concatenate(seqs).astype(np.float32)
        return SequenceSet(poses_2d=stack(seqs_2d), starts=starts, lengths=lengths,
                           names=np.asarray(names, dtype=str), groups=np.asarray(groups, dtype=str),
                           fps=float(fps), poses_3d=stack(seqs_3d), conf=stack(confs))

    def save(self, path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = dict(poses_2d=self.poses_2d.astype(np.float32), starts=self.starts,
                      lengths=self.lengths, names=self.names, groups=self.groups,
                      fps=np.float64(self.fps))
        if self.poses_3d is not None:
            arrays["poses_3d"] = self.poses_3d.astype(np.float32)
        if self.conf is not None:
            arrays["conf"] = self.conf.astype(np.float32)
        np.savez_compressed(path, **arrays)

    @staticmethod
    def load(path) -> "SequenceSet":
        path = Path(path)
        if not path.is_file():
            raise AmbiblendError(f"Data file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as f:
                get = lambda k: f[k] if k in f.files else None
                missing = [k for k in ("poses_2d", "starts", "lengths") if k not in f.files]
                if missing:
                    raise AmbiblendError(f"{path.name} lacks {', '.join(missing)}: not a SequenceSet file.")
                n = len(f["starts"])
                names = get("names") if get("names") is not None else np.array([f"seq{i}" for i in range(n)])
                groups = get("groups") if get("groups") is not None else np.array(["all"] * n)
                return SequenceSet(poses_2d=f["poses_2d"].astype(np.float32), starts=f["starts"].astype(np.int64),
                                   lengths=f["lengths"].astype(np.int64), names=names, groups=groups,
                                   fps=float(get("fps")) if get("fps") is not None else 30.0,
                                   poses_3d=None if get("poses_3d") is None else get("poses_3d").astype(np.float32),
                                   conf=None if get("conf") is None else get("conf").astype(np.float32))
        except (EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise AmbiblendError(f"{path.name} is damaged or truncated: not a complete .npz archive ({exc}).") from exc
        except (OSError, ValueError) as exc:
            raise AmbiblendError(f"{path.name} is not a readable .npz data file ({exc}).") from exc

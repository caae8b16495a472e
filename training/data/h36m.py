"""Human3.6M in the VideoPose3D npz layout → ``SequenceSet`` (for users who have the files).

Inputs (not downloadable here; they come with the user's own Human3.6M licence):

- 2D: ``data_2d_h36m_gt.npz`` or ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` — ``positions_2d``: a pickled
  dict ``{subject: {action: [4 arrays (T, 17, 2) pixels, one per camera]}}`` (+ ``metadata``).
- 3D (optional, evaluation only): ``data_3d_h36m.npz`` — ``positions_3d``: ``{subject: {action:
  (T, 32, 3)}}`` metres, world frame; the 17 joints of our skeleton are ``KEEP_32``.
  World → camera needs each camera's extrinsics, which the npz does not hold: pass ``cameras``,
  a JSON file ``{"S9": [{"R": 3×3, "t": 3}, ×4 cameras], ...}`` with X_cam = R·X_world + t
  (metres; x right, y down, z away). Without it the set carries 2D only (enough for training).

Sequences are one (subject, action, camera) each, named ``S9/Walking 1/cam0``; the group is
the action without its take number ("Walking 1" → "Walking"). Paper split: train S1 S5 S6 S7
S8, test S9 S11. The npz files hold pickled dicts; they are never opened with numpy's
``allow_pickle`` (which runs whatever a crafted file asks): a restricted unpickler rebuilds only
dicts, lists, strings, numbers and numpy arrays, and refuses a file that asks for anything else.

    python -m training.data.h36m --2d data_2d_h36m_gt.npz --3d data_3d_h36m.npz \
        --cameras h36m_cameras.json --subjects S9,S11 --out test.npz
"""
from __future__ import annotations

if __package__ in (None, ""):
    import sys
    from pathlib import Path as _P
    sys.path.insert(0, str(_P(__file__).resolve().parents[2]))

import argparse
import json
import pickle
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import NUM_JOINTS
from training.data.sequences import SequenceSet

# Indices of the 17 kept joints among the 32 of the full Human3.6M skeleton (VideoPose3D layout).
KEEP_32 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
FPS = 50.0


def _numpy_globals() -> dict:
    """The only callables a VideoPose3D pickle may name: numpy's array and dtype rebuilders."""
    from numpy.core import multiarray
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):   # numpy 1.x / 2.x files
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    return allowed


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, tuples, strings, numbers and numpy arrays; nothing else can run."""
    _allowed = _numpy_globals()

    def find_class(self, module, name):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"it asks to run {module}.{name}")
        return self._allowed[(module, name)]


def _read_member(archive: zipfile.ZipFile, member: str):
    """One .npy inside an npz, without numpy's allow_pickle: plain arrays as numpy reads them,
    object arrays through ``_ArrayUnpickler``."""
    with archive.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        _, _, dtype = header(fp)
        if not dtype.hasobject:
            with archive.open(member) as again:
                return np.lib.format.read_array(again, allow_pickle=False)
        return _ArrayUnpickler(fp).load()


def _load_dict(path, key: str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise AmbiblendError(f"Human3.6M file not found: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            if f"{key}.npy" not in archive.namelist():
                raise AmbiblendError(f"{path.name} has no '{key}': not a VideoPose3D-layout Human3.6M file.")
            value = _read_member(archive, f"{key}.npy")
    except pickle.UnpicklingError as exc:
        raise AmbiblendError(f"{path.name} was refused: {exc}. A VideoPose3D file holds only dicts of "
                             "arrays; this one may be crafted to run code.") from exc
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise AmbiblendError(f"{path.name} is not a readable npz file ({exc}).") from exc
    value = value.item() if isinstance(value, np.ndarray) and value.dtype.hasobject and value.shape == () else value
    if not isinstance(value, dict):
        raise AmbiblendError(f"{path.name}: '{key}' is not a dict {{subject: {{action: ...}}}} "
                             f"(got {type(value).__name__}).")
    return value


def load_cameras(path) -> dict:
    """JSON {subject: [{"R": 3×3, "t": 3}, ...]} → {subject: [(R (3,3), t (3,))]}."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return {s: [(np.asarray(c["R"], dtype=np.float64).reshape(3, 3), np.asarray(c["t"], dtype=np.float64).reshape(3))
                    for c in cams] for s, cams in raw.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AmbiblendError(f"Camera file {path} is unreadable or not {{subject: [{{R, t}}]}} ({exc}).") from exc


def action_group(action: str) -> str:
    """'Walking 1' / 'WalkDog.2' → 'Walking' / 'WalkDog' (take number dropped)."""
    return re.sub(r"[ ._-]*\d+$", "", action) or action


def load_h36m(path_2d, path_3d=None, cameras=None, subjects=TRAIN_SUBJECTS) -> SequenceSet:
    """VideoPose3D npz files → SequenceSet (2D pixels; camera-frame 3D metres when possible)."""
    pos2d = _load_dict(path_2d, "positions_2d")
    pos3d = _load_dict(path_3d, "positions_3d") if path_3d else None
    cams = load_cameras(cameras) if (cameras and pos3d is not None) else None
    seqs2d, seqs3d, names, groups = [], [], [], []
    for subject in subjects:
        if subject not in pos2d:
            raise AmbiblendError(f"Subject {subject} is not in {Path(path_2d).name} (has {', '.join(sorted(pos2d))}).")
        if not isinstance(pos2d[subject], dict):
            raise AmbiblendError(f"{Path(path_2d).name}: {subject} is not a dict {{action: [arrays per camera]}}.")
        for action in sorted(pos2d[subject], key=str):
            views = pos2d[subject][action]
            if not isinstance(views, (list, tuple)) or not all(isinstance(v, np.ndarray) for v in views):
                raise AmbiblendError(f"{Path(path_2d).name}: {subject}/{action} is not a list of arrays (one per camera).")
            if cams is not None:
                subject_3d = pos3d.get(subject)
                if not isinstance(subject_3d, dict) or action not in subject_3d:
                    raise AmbiblendError(f"{subject}/{action} is in {Path(path_2d).name} but not in {Path(path_3d).name}.")
                if len(cams.get(subject, ())) < len(views):
                    raise AmbiblendError(f"The camera file has {len(cams.get(subject, ()))} cameras for {subject}, "
                                         f"the 2D {len(views)}.")
            for c, xy in enumerate(views):
                if xy.dtype.kind not in "biuf":
                    raise AmbiblendError(f"{subject}/{action}/cam{c}: 2D holds {xy.dtype} data, expected numbers.")
                xy = np.asarray(xy, dtype=np.float32)
                if xy.ndim != 3 or xy.shape[1:] != (NUM_JOINTS, 2):
                    raise AmbiblendError(f"{subject}/{action}/cam{c}: 2D of shape {xy.shape}, expected (T, 17, 2).")
                if cams is not None:
                    world = np.asarray(pos3d[subject][action], dtype=np.float64)[:, KEEP_32]
                    r, t = cams[subject][c]
                    cam = world @ r.T + t
                    n = min(len(xy), len(cam))  # 2D files are sometimes a frame longer
                    xy, cam = xy[:n], cam[:n]
                    seqs3d.append(cam.astype(np.float32))
                seqs2d.append(xy)
                names.append(f"{subject}/{action}/cam{c}")
                groups.append(action_group(action))
    if not seqs2d:
        raise AmbiblendError("No Human3.6M sequences for the chosen subjects.")
    return SequenceSet.from_sequences(seqs2d, names, groups, FPS, seqs_3d=seqs3d if cams is not None else None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Convert Human3.6M (VideoPose3D npz layout) to a SequenceSet.")
    ap.add_argument("--2d", dest="path_2d", required=True)
    ap.add_argument("--3d", dest="path_3d")
    ap.add_argument("--cameras", help="JSON extrinsics {subject: [{R, t}]} to get camera-frame 3D")
    ap.add_argument("--subjects", default=",".join(TRAIN_SUBJECTS))
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    try:
        data = load_h36m(args.path_2d, args.path_3d, args.cameras, tuple(args.subjects.split(",")))
    except AmbiblendError as exc:
        print(f"error: {exc}")
        return 2
    data.save(args.out)
    print(f"{len(data)} sequences, {data.num_frames} frames → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

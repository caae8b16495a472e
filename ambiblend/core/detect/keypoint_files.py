"""Keypoint files from other detectors → ``Keypoints2D``, so users can skip MediaPipe.

Accepted (all in pixels, x right, y down):

- ``.npz``: our own (``Keypoints2D.save``: xy, conf, filled, fps, image_size), or any file with
  one array of H36M joints (T, 17, 2), or (T, 17, 3) whose last channel is the confidence, or
  several people (T, P, 17, 2|3) (with ``conf`` (T, P, 17), ``world`` (T, P, 17, 3)), under
  ``xy``/``keypoints``/``poses_2d`` (or as its only array); optional ``conf`` (T, 17), ``fps``,
  ``image_size`` (width, height), ``world`` (T, 17, 3) metres (the detector's 3D joints, as
  ``detect_video`` saves them; gaps filled like ``xy``). NaN marks a missing joint; a frame all
  NaN has no person.
- COCO-17 JSON: a list of detections ``{"image_id", "keypoints": [x, y, score] * 17, "score"}``
  (COCO results format), or a dict with ``annotations`` (and ``images`` for the size). Integer
  image ids are frame numbers (a missing id = a frame without a person); other ids are sorted.
- OpenPose JSON: ``{"people": [{"pose_keypoints_2d": [x, y, c] * 25}]}`` per frame (BODY_25, or
  18 keypoints for OpenPose's COCO model): a folder of them (one per frame, in file-name order) or
  one file (one frame).
- COCO-WholeBody: as COCO-17 (its ``keypoints`` are the 17 body points), or results with 133
  points per detection (the body is the first 17).

Hand keypoints (OpenPose ``hand_*_keypoints_2d``, COCO-WholeBody ``*hand_kpts``) are read by
``hand_files.read_hands`` for the hands stage, from the same frames.

A keypoint with score 0 is missing. Where several people are in a frame (OpenPose ``people``,
COCO annotations of one image, an npz with a people axis), they are linked into identities by
``core.track`` (``load_people``) and ``load_keypoints`` gives the one chosen by ``person``
("largest" by default; see ``core.track.choose``). Without ``image_size`` (argument or file), the size is estimated from the
extent of the keypoints — pass it for a correct root trajectory. Without ``fps``, 30 is assumed.

One rule for every reader: anything wrong inside the user's file (truncated, wrong types, wrong
shapes) raises ``AmbiblendError`` naming the file and the problem; no other exception escapes
(``tests/test_keypoint_fuzz.py`` feeds random and mutated files to check it).
"""
from __future__ import annotations

import json
import re
import zipfile
import zlib
from numbers import Real
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import NUM_JOINTS
from ..track.choose import choose
from ..track.people import People
from ..track.tracker import Detection, track
from .keypoints import Keypoints2D
from .landmarks import LAYOUTS, to_h36m

DEFAULT_FPS = 30.0
WHOLEBODY_POINTS = 133   # COCO-WholeBody: 17 body, 6 feet, 68 face, 21 left hand, 21 right hand
_NPZ_KEYS = ("xy", "keypoints", "poses_2d")
# What a damaged file makes numpy or our parsing raise: turned into an AmbiblendError that names
# the file, so a batch goes on with its next clip (the explicit checks below give better messages
# for the cases we know; this is the backstop).
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, EOFError,
              zipfile.BadZipFile, zlib.error)


def load_keypoints(path, image_size=None, fps=None, person="largest") -> Keypoints2D:
    """Read a keypoint ``.npz``, ``.json`` or folder of OpenPose ``.json`` files (see module doc);
    with several people in a frame, the one chosen by ``person`` (``core.track.choose``)."""
    people = load_people(path, image_size, fps)
    chosen = choose(people, person)
    if len(chosen) != 1:
        raise AmbiblendError("load_keypoints gives one person; use load_people for all of them.")
    return people.keypoints(chosen[0])


def load_people(path, image_size=None, fps=None) -> People:
    """Every person in a keypoint file as ``People``: files with one person per frame as they
    are; several people in a frame (OpenPose ``people``, COCO annotations of one image, an npz
    of (T, P, 17, 2)) linked into identities by ``core.track``."""
    path = Path(path)
    if not path.exists():
        raise AmbiblendError(f"Keypoint file not found: {path}")
    try:
        return _load(path, image_size, fps)
    except _MALFORMED as exc:
        raise AmbiblendError(f"{path.name}: malformed keypoint data ({type(exc).__name__}: {exc}).") from exc


def _load(path: Path, image_size, fps) -> People:
    if path.is_dir():
        raw = _read_openpose_folder(path)
    elif path.suffix.lower() == ".npz":
        raw = _read_npz(path)
    elif path.suffix.lower() == ".json":
        raw = _read_json(path, _load_json(path))
    else:
        raise AmbiblendError(f"{path.name}: unknown keypoint file type (expected .npz, .json or a folder of .json).")
    fps = fps or raw.get("fps") or DEFAULT_FPS
    if "detections" in raw:                                # several people in some frame
        dets = raw["detections"]
        every = [d.xy for frame in dets for d in frame]
        size = image_size or raw.get("image_size") or (_estimated_size(np.stack(every)) if every else (1, 1))
        return track(dets, fps, tuple(size), str(path))
    seen = raw["person"]
    xy, conf = raw["xy"][None], raw["conf"][None]
    if not seen.any():
        xy, conf = xy[:0], conf[:0]
    world = raw.get("world")
    size = image_size or raw.get("image_size") or _estimated_size(np.where(seen[:, None, None], raw["xy"], 0.0))
    filled = raw.get("filled")
    return People(xy=xy, conf=conf, seen=seen[None][:len(xy)], fps=fps, image_size=tuple(size), source=str(path),
                  world=None if world is None else world[None][:len(xy)],
                  filled=None if filled is None else filled[None][:len(xy)])


def _estimated_size(xy: np.ndarray) -> tuple[int, int]:
    """Smallest image holding every keypoint (a stand-in when the file states no size)."""
    x, y = np.nan_to_num(xy[..., 0], nan=1.0), np.nan_to_num(xy[..., 1], nan=1.0)
    return int(np.ceil(max(x.max(), 1.0))) + 1, int(np.ceil(max(y.max(), 1.0))) + 1


def _person_mask(xy: np.ndarray) -> np.ndarray:
    return np.isfinite(xy).all(axis=-1).any(axis=-1)


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise AmbiblendError(f"{path.name} is not a readable .npz file (damaged or truncated: {exc}).") from exc
    except (OSError, ValueError) as exc:   # also object arrays, which would need pickle
        raise AmbiblendError(f"{path.name} is not a readable .npz file ({exc}).") from exc
    key = next((k for k in _NPZ_KEYS if k in arrays), None)
    if key is None and len(arrays) == 1:
        key = next(iter(arrays))
    if key is None:
        raise AmbiblendError(f"{path.name} holds no keypoint array (expected one named {', '.join(_NPZ_KEYS)}).")
    pts = _numeric(arrays[key], key, path.name)
    if pts.ndim == 4 and pts.shape[1] == 1:              # (T, 1, 17, C): one person
        pts = pts[:, 0]
    if pts.ndim == 4:
        return _read_npz_people(arrays, key, pts, path.name)
    if pts.ndim != 3 or pts.shape[1] != NUM_JOINTS or pts.shape[2] not in (2, 3) or len(pts) == 0:
        raise AmbiblendError(f"{path.name}: '{key}' has shape {pts.shape}; expected (frames, {NUM_JOINTS}, 2) "
                             f"H36M joints (or (frames, {NUM_JOINTS}, 3) with confidence).")
    conf = pts[..., 2] if pts.shape[2] == 3 else _numeric(arrays.get("conf", np.ones(pts.shape[:2])), "conf", path.name)
    xy = pts[..., :2].copy()
    conf = np.nan_to_num(conf)
    if conf.shape != xy.shape[:2]:
        raise AmbiblendError(f"{path.name}: 'conf' has shape {conf.shape}, expected {xy.shape[:2]}.")
    filled = arrays.get("filled")
    if filled is not None:
        filled = _numeric(filled, "filled", path.name)
        if filled.shape != xy.shape[:1]:
            raise AmbiblendError(f"{path.name}: 'filled' has shape {filled.shape}, expected ({len(xy)},).")
    world = arrays.get("world")
    if world is not None:
        world = _numeric(world, "world", path.name)
        if world.shape != (len(xy), NUM_JOINTS, 3):
            raise AmbiblendError(f"{path.name}: 'world' has shape {world.shape}, expected ({len(xy)}, {NUM_JOINTS}, 3).")
    return dict(xy=xy, conf=np.clip(conf, 0.0, 1.0), person=_person_mask(xy),
                filled=None if filled is None else filled != 0, world=world,
                fps=_npz_fps(arrays, path.name), image_size=_npz_size(arrays, path.name))


def _read_npz_people(arrays: dict, key: str, pts: np.ndarray, name: str) -> dict:
    """An npz of (T, P, 17, 2) (or (T, P, 17, 3) with confidence; optional ``conf`` (T, P, 17),
    ``world`` (T, P, 17, 3)) → per-frame detections for the tracker; a person slot all NaN in a
    frame is nobody."""
    if pts.shape[2] != NUM_JOINTS or pts.shape[3] not in (2, 3) or len(pts) == 0:
        raise AmbiblendError(f"{name}: '{key}' has shape {pts.shape}; expected (frames, people, {NUM_JOINTS}, 2) "
                             f"H36M joints (or (frames, people, {NUM_JOINTS}, 3) with confidence).")
    conf = pts[..., 2] if pts.shape[3] == 3 else _numeric(arrays.get("conf", np.ones(pts.shape[:3])), "conf", name)
    if conf.shape != pts.shape[:3]:
        raise AmbiblendError(f"{name}: 'conf' has shape {conf.shape}, expected {pts.shape[:3]}.")
    world = arrays.get("world")
    if world is not None:
        world = _numeric(world, "world", name)
        if world.shape != pts.shape[:3] + (3,):
            raise AmbiblendError(f"{name}: 'world' has shape {world.shape}, expected {pts.shape[:3] + (3,)}.")
    xy, conf = pts[..., :2], np.clip(np.nan_to_num(conf), 0.0, 1.0)
    seen = np.isfinite(xy).all(axis=-1).any(axis=-1)              # (T, P)
    detections = [[Detection(xy=xy[t, p], conf=np.where(np.isfinite(xy[t, p]).all(-1), conf[t, p], 0.0),
                             world=None if world is None else world[t, p])
                   for p in np.flatnonzero(seen[t])] for t in range(len(xy))]
    if not seen.any():
        raise AmbiblendError(f"No person was detected in {name}.")
    return dict(detections=detections, fps=_npz_fps(arrays, name), image_size=_npz_size(arrays, name))


def _numeric(a, key: str, name: str) -> np.ndarray:
    """An npz array as float64; text, bytes, objects or complex numbers are refused."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise AmbiblendError(f"{name}: '{key}' holds {a.dtype} data; expected numbers.")
    return a.astype(np.float64)


def _npz_fps(arrays: dict, name: str) -> float | None:
    if "fps" not in arrays:
        return None
    fps = _numeric(arrays["fps"], "fps", name)
    if fps.size != 1 or not (np.isfinite(fps).all() and fps.item() > 0):
        raise AmbiblendError(f"{name}: 'fps' must be one positive number, got {fps.tolist()}.")
    return float(fps.item())


def _npz_size(arrays: dict, name: str) -> tuple[int, int] | None:
    if "image_size" not in arrays:
        return None
    size = _numeric(arrays["image_size"], "image_size", name)
    if size.shape != (2,) or not (np.isfinite(size).all() and (size >= 1).all() and (size < 2**31).all()):
        raise AmbiblendError(f"{name}: 'image_size' must be (width, height) in pixels, got {size.tolist()}.")
    return int(size[0]), int(size[1])


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AmbiblendError(f"{path.name} is not a readable JSON file ({exc}).") from exc


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _split_flat(flat, name: str):
    """[x, y, c] * K → (points (K, 2) with NaN where c == 0, conf (K,)); K must be a known layout."""
    if not isinstance(flat, list) or not all(_is_number(v) for v in flat):
        raise AmbiblendError(f"{name}: a keypoint list must be a list of numbers [x, y, score, …], "
                             f"got {_preview(flat)}.")
    a = np.asarray(flat, dtype=np.float64)
    if a.size == 3 * WHOLEBODY_POINTS:       # COCO-WholeBody results: the body is the first 17
        a = a[:3 * 17]
    if a.ndim != 1 or a.size % 3 or a.size // 3 not in LAYOUTS:
        raise AmbiblendError(f"{name}: a keypoint list has {a.size} numbers; expected 3 × 17 (COCO), "
                             f"3 × 25 (OpenPose BODY_25), 3 × 18 (OpenPose COCO) or 3 × 133 (COCO-WholeBody).")
    a = a.reshape(-1, 3)
    conf = np.clip(np.nan_to_num(a[:, 2]), 0.0, 1.0)
    return np.where(conf[:, None] > 0, a[:, :2], np.nan), conf


def _frames_to_h36m(frames: list, name: str) -> dict:
    """frames: per frame a list of flat keypoint lists (people) → raw H36M arrays (one person per
    frame at most) or per-frame ``Detection`` lists for the tracker (several in some frame)."""
    split_frames = [[_split_flat(p, name) for p in people] for people in frames]
    k = next((len(c) for split in split_frames for _, c in split), None)
    if k is None:
        raise AmbiblendError(f"No person was detected in {name}.")
    if any(len(c) != k for split in split_frames for _, c in split):
        raise AmbiblendError(f"{name}: frames mix keypoint layouts of different sizes.")
    if max(len(split) for split in split_frames) > 1:
        detections = []
        for split in split_frames:
            found = []
            for pts, conf in split:
                xy, c = to_h36m(pts[None], conf[None], LAYOUTS[k])
                found.append(Detection(xy=xy[0], conf=c[0]))
            detections.append(found)
        return dict(detections=detections)
    pts, conf = np.full((len(frames), k, 2), np.nan), np.zeros((len(frames), k))
    for t, split in enumerate(split_frames):
        if split:
            pts[t], conf[t] = split[0]
    xy, c = to_h36m(pts, conf, LAYOUTS[k])
    return dict(xy=xy, conf=c, person=_person_mask(xy))


def _preview(value, limit: int = 40) -> str:
    """A short description of a JSON value for messages."""
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _openpose_people(data, name: str) -> list:
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise AmbiblendError(f"{name} is not an OpenPose keypoint file (no 'people' list).")
    for p in data["people"]:
        if not isinstance(p, dict):
            raise AmbiblendError(f"{name}: each entry of 'people' must be an object with "
                                 f"'pose_keypoints_2d', got {_preview(p)}.")
    return [p["pose_keypoints_2d"] for p in data["people"] if p.get("pose_keypoints_2d")]


def _natural_key(text: str):
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", text)]


def _json_files(folder: Path) -> list[Path]:
    """The folder's .json files in natural (frame) order: 2 before 10."""
    return sorted(folder.glob("*.json"), key=lambda p: _natural_key(p.name))


def holds_openpose_frames(folder: Path) -> bool:
    """True when the folder's first .json file (frame order) is an OpenPose frame (a dict with a
    'people' list): the folder is then read as one clip, a frame per file."""
    files = _json_files(folder)
    if not files:
        return False
    try:
        data = json.loads(files[0].read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and isinstance(data.get("people"), list)


def _read_openpose_folder(folder: Path) -> dict:
    files = _json_files(folder)
    if not files:
        raise AmbiblendError(f"The folder {folder.name} holds no .json keypoint files.")
    return _frames_to_h36m([_openpose_people(_load_json(f), f.name) for f in files], folder.name)


def _read_json(path: Path, data) -> dict:
    if isinstance(data, dict) and "people" in data:
        return _frames_to_h36m([_openpose_people(data, path.name)], path.name)
    images = []
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        images, data = data.get("images") or [], data["annotations"]
    if not isinstance(data, list) or not all(isinstance(d, dict) and "keypoints" in d for d in data):
        raise AmbiblendError(f"{path.name}: not a COCO keypoint list (entries with 'keypoints') "
                             f"nor an OpenPose file (with 'people').")
    if not data:
        raise AmbiblendError(f"{path.name}: the COCO keypoint list is empty (no detections).")
    frames, ids = _group_by_frame(data, path.name)
    raw = _frames_to_h36m([[d["keypoints"] for d in f] for f in frames], path.name)
    raw["image_size"] = _coco_size(images, ids, path.name)
    return raw


def _coco_size(images, ids: list, name: str) -> tuple[int, int] | None:
    """(width, height) of the first frame listed in COCO's ``images`` (None when absent)."""
    if not isinstance(images, list):
        raise AmbiblendError(f"{name}: 'images' must be a list of {{id, width, height}}, got {_preview(images)}.")
    sizes = {}
    for im in images:
        if not isinstance(im, dict) or im.get("width") is None or im.get("height") is None:
            continue
        w, h = im["width"], im["height"]
        if not (_is_number(w) and _is_number(h) and 1 <= w < 2**31 and 1 <= h < 2**31):
            raise AmbiblendError(f"{name}: image size must be positive numbers of pixels, "
                                 f"got width {_preview(w)}, height {_preview(h)}.")
        key = im.get("id")
        sizes[key if isinstance(key, int) else str(key)] = (int(w), int(h))
    return next((sizes[i] for i in ids if i in sizes), None)


def _group_by_frame(entries: list, name: str):
    """COCO detections → (per-frame lists of the detections, ids in frame order)."""
    ids = [d.get("image_id", i) for i, d in enumerate(entries)]
    bad = next((i for i in ids if not isinstance(i, (int, str)) or isinstance(i, bool)), None)
    if bad is not None:
        raise AmbiblendError(f"{name}: 'image_id' must be a frame number or a name, got {_preview(bad)}.")
    if all(isinstance(i, int) for i in ids):
        first, last = min(ids), max(ids)
        if last - first >= 1_000_000:
            raise AmbiblendError(f"{name}: image ids span {last - first + 1} frames; too many for one clip.")
        order = list(range(first, last + 1))
    else:
        order = sorted(set(map(str, ids)), key=_natural_key)
        ids = list(map(str, ids))
    slot = {i: t for t, i in enumerate(order)}
    frames = [[] for _ in order]
    for i, d in zip(ids, entries):
        frames[slot[i]].append(d)
    return frames, order

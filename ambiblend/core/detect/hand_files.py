"""Hand keypoints in keypoint files, for the hands stage (``core.hands.files``).

    read_hands(path) → FileHands, or None when the file holds no hand keypoints

Read, per frame and per person, from the formats ``keypoint_files`` reads the body from (same
files, same frame order):

- OpenPose JSON (a folder of frames or one file): ``hand_left_keypoints_2d`` and
  ``hand_right_keypoints_2d``, [x, y, c] × 21 each (``[]`` or all-zero: no hand).
- COCO-WholeBody: ``lefthand_kpts`` / ``righthand_kpts`` ([x, y, v] × 21; ``lefthand_valid``
  false: no hand), or a 133-point ``keypoints`` list (hands at points 91–111 and 112–132).

The 21 points are in MediaPipe's hand order (``core.hands.landmarks``), which both formats use.
Left/right are the file's labels; the hands stage assigns each hand to a wrist itself. A hand
array of the wrong length or type raises ``AmbiblendError`` naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..hands.landmarks import NUM_LANDMARKS
from .keypoint_files import (_MALFORMED, WHOLEBODY_POINTS, _group_by_frame, _is_number, _json_files, _load_json,
                             _preview)

OPENPOSE_KEYS = {"L": "hand_left_keypoints_2d", "R": "hand_right_keypoints_2d"}
WHOLEBODY_KEYS = {"L": "lefthand_kpts", "R": "righthand_kpts"}
WHOLEBODY_VALID = {"L": "lefthand_valid", "R": "righthand_valid"}
WHOLEBODY_HANDS = {"L": slice(91, 112), "R": slice(112, 133)}


@dataclass
class FileHand:
    """One hand of one person in one frame, as the file gives it."""
    label: str            # the file's side, "L" or "R"
    points: np.ndarray    # (21, 2) pixels, NaN where the score is 0
    conf: np.ndarray      # (21,) scores in [0, 1]


@dataclass
class FileHands:
    """Every hand of a keypoint file: ``frames[t]`` lists frame t's hands (all people)."""
    frames: list = field(default_factory=list)
    source: str = ""

    @property
    def num_frames(self) -> int:
        return len(self.frames)


def read_hands(path) -> FileHands | None:
    """The hand keypoints of a keypoint file (module doc); None when it has none (an .npz, a
    body-only OpenPose or COCO file). Malformed hand arrays → ``AmbiblendError`` naming the file."""
    path = Path(path)
    try:
        if path.is_dir():
            frames = [_openpose_hands(_load_json(f), f.name) for f in _json_files(path)]
        elif path.suffix.lower() == ".json":
            frames = _json_hands(_load_json(path), path.name)
        else:
            return None
    except _MALFORMED as exc:
        raise AmbiblendError(f"{path.name}: malformed hand keypoints ({type(exc).__name__}: {exc}).") from exc
    if frames is None or not any(isinstance(h, FileHand) for hands in frames for h in hands):
        return None        # no hand keys, or only empty / all-zero hands (OpenPose without --hand)
    return FileHands(frames=[[h for h in hands if isinstance(h, FileHand)] for hands in frames], source=str(path))


def _hand(flat, label: str, key: str, name: str):
    """[x, y, c] × 21 → ``FileHand``; False for an empty or all-zero-score hand (none there),
    None when the key is absent."""
    if flat is None:
        return None
    if not isinstance(flat, list) or not all(_is_number(v) for v in flat):
        raise AmbiblendError(f"{name}: '{key}' must be a list of numbers [x, y, score] × {NUM_LANDMARKS}, "
                             f"got {_preview(flat)}.")
    if not flat:
        return False
    if len(flat) != 3 * NUM_LANDMARKS:
        raise AmbiblendError(f"{name}: '{key}' has {len(flat)} numbers; expected 3 × {NUM_LANDMARKS} = "
                             f"{3 * NUM_LANDMARKS} (21 hand keypoints: x, y, score).")
    a = np.asarray(flat, dtype=np.float64).reshape(NUM_LANDMARKS, 3)
    conf = np.clip(np.nan_to_num(a[:, 2]), 0.0, 1.0)
    if not conf.any():
        return False
    return FileHand(label=label, points=np.where(conf[:, None] > 0, a[:, :2], np.nan), conf=conf)


def _openpose_hands(data, name: str) -> list:
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise AmbiblendError(f"{name} is not an OpenPose keypoint file (no 'people' list).")
    return [_hand(p.get(key), side, key, name) for p in data["people"] if isinstance(p, dict)
            for side, key in OPENPOSE_KEYS.items()]


def _wholebody_hands(entry: dict, name: str) -> list:
    kp = entry.get("keypoints")
    hands = []
    for side, key in WHOLEBODY_KEYS.items():
        if entry.get(WHOLEBODY_VALID[side]) is False:
            hands.append(False)
        elif key in entry:
            hands.append(_hand(entry[key], side, key, name))
        elif isinstance(kp, list) and len(kp) == 3 * WHOLEBODY_POINTS:
            flat = kp[3 * WHOLEBODY_HANDS[side].start:3 * WHOLEBODY_HANDS[side].stop]
            hands.append(_hand(flat, side, "keypoints", name))
    return hands


def _json_hands(data, name: str):
    if isinstance(data, dict) and "people" in data:
        return [_openpose_hands(data, name)]
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        data = data["annotations"]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data) or not data:
        return None           # not a COCO list: the body reader says what is wrong
    frames, _ = _group_by_frame(data, name)
    return [[h for d in entries for h in _wholebody_hands(d, name)] for entries in frames]

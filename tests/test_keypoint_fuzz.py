"""Fuzz the keypoint readers: random and mutated JSON / .npz files must either load or raise
``AmbiblendError`` naming the file — never another exception — and must never be changed.

Bounded for CI: ``derandomize`` makes every run draw the same examples (no flakiness, no example
database), and the example counts keep the whole module at a few seconds.
"""
from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ambiblend.core.detect import Keypoints2D, load_keypoints
from ambiblend.core.detect.landmarks import COCO_17
from ambiblend.core.errors import AmbiblendError

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=120,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A valid COCO-17 person: the mutations start from files that almost load.
_PERSON = np.zeros((17, 3))
for _j, (_x, _y) in enumerate([(100, 40), (104, 36), (96, 36), (110, 40), (90, 40), (120, 80), (80, 80),
                               (130, 120), (70, 120), (135, 150), (65, 150), (110, 160), (90, 160),
                               (112, 220), (88, 220), (114, 280), (86, 280)]):
    _PERSON[_j] = (_x, _y, 0.9)
assert len(COCO_17) == 17
GOOD_FLAT = _PERSON.ravel().tolist()

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5))
json_values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=6), st.dictionaries(st.sampled_from(
        ["people", "pose_keypoints_2d", "keypoints", "image_id", "annotations", "images", "id",
         "width", "height", "score", "x"]), kids, max_size=5)), max_leaves=30)
flat_lists = st.one_of(st.just(GOOD_FLAT), json_values,
                       st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                          st.integers(-5, 5)), min_size=0, max_size=80),
                       st.lists(st.sampled_from([0.0, 1.0, 50.0, 200.0]), min_size=51, max_size=51))
coco_entries = st.fixed_dictionaries(
    {"keypoints": flat_lists},
    optional={"image_id": st.one_of(st.integers(-3, 40), st.text(max_size=3), json_values),
              "score": scalars})
near_valid_json = st.one_of(
    st.lists(coco_entries, max_size=5),
    st.fixed_dictionaries({"people": st.one_of(
        st.lists(st.one_of(st.fixed_dictionaries({"pose_keypoints_2d": flat_lists}), json_values), max_size=3),
        json_values)}),
    st.fixed_dictionaries({"annotations": st.lists(coco_entries, max_size=4),
                           "images": st.one_of(json_values, st.lists(st.fixed_dictionaries(
                               {"id": st.one_of(st.integers(-3, 40), scalars),
                                "width": scalars, "height": scalars}), max_size=3))}),
)


def _check(path: Path) -> None:
    """The one rule: a Keypoints2D or an AmbiblendError naming the file; the file unchanged."""
    before = path.read_bytes()
    try:
        kp = load_keypoints(path)
    except AmbiblendError as exc:
        assert path.name in str(exc), str(exc)
    else:
        assert isinstance(kp, Keypoints2D) and np.isfinite(kp.xy).all()
    assert path.read_bytes() == before


@FUZZ
@given(value=st.one_of(json_values, near_valid_json))
def test_json_readers_raise_only_ambiblend_error(value):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.json"
        path.write_text(json.dumps(value), encoding="utf-8")
        _check(path)


@FUZZ
@given(data=st.one_of(st.text(max_size=60).map(str.encode), st.binary(max_size=60)))
def test_json_reader_on_arbitrary_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.json"
        path.write_bytes(data)
        _check(path)


def _good_npz() -> bytes:
    buf = io.BytesIO()
    xy = np.tile(_PERSON[:, :2], (4, 1, 1)) + np.arange(4)[:, None, None]
    np.savez_compressed(buf, xy=xy, conf=np.full((4, 17), 0.9, np.float32), filled=np.zeros(4, bool),
                        fps=np.float64(25), image_size=np.array([640, 480]))
    return buf.getvalue()


GOOD_NPZ = _good_npz()
arrays = st.one_of(
    st.tuples(st.integers(0, 3), st.sampled_from([17, 16, 33]), st.sampled_from([2, 3, 1]),
              st.sampled_from(["f8", "f4", "i4", "u1", "?", "c8", "U3", "S2"])).map(
        lambda a: np.ones(a[:3], dtype=a[3])),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4).map(np.array),
    st.sampled_from([np.array("text"), np.array(b"\x00"), np.float64(np.nan), np.array([[1, 2]]),
                     np.array([0, -5]), np.array([1e300, 1e300]), np.full((2, 17, 3), np.inf)]))


@FUZZ
@given(cut=st.integers(0, len(GOOD_NPZ)), flips=st.lists(st.tuples(st.integers(0, len(GOOD_NPZ) - 1),
                                                                    st.integers(1, 255)), max_size=4))
def test_npz_reader_on_truncated_and_corrupted_bytes(cut, flips):
    data = bytearray(GOOD_NPZ)
    for pos, xor in flips:
        data[pos] ^= xor
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.npz"
        path.write_bytes(bytes(data[:cut]))
        _check(path)


@FUZZ
@given(content=st.dictionaries(st.sampled_from(["xy", "keypoints", "conf", "filled", "fps", "image_size",
                                                "world", "other"]), arrays, max_size=4))
def test_npz_reader_on_random_arrays(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.npz"
        np.savez(path, **content)
        _check(path)

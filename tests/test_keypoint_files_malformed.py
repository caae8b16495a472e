"""Issue 15, cases 4 and 5: damaged or wrongly typed keypoint files raise ``AmbiblendError``
naming the file and what is wrong (no raw traceback), and the file is left as it was."""
import io
import json

import numpy as np
import pytest

from ambiblend.core.detect import load_keypoints, read_input
from ambiblend.core.errors import AmbiblendError

GOOD = [{"image_id": 0, "keypoints": [100.0, 100.0, 0.9] * 17}]


def _assert_refused(path, message):
    before = path.read_bytes()
    with pytest.raises(AmbiblendError, match=message) as info:
        read_input(path)
    assert path.name in str(info.value)
    assert path.read_bytes() == before and sorted(path.parent.iterdir()) == [path]   # unchanged, nothing added


def test_truncated_npz_is_a_clear_error(tmp_path):
    # Case 4: was zipfile.BadZipFile.
    buf = io.BytesIO()
    np.savez_compressed(buf, xy=np.random.default_rng(0).uniform(0, 500, (40, 17, 2)))
    path = tmp_path / "clip.npz"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    _assert_refused(path, r"clip.npz is not a readable .npz file \(damaged or truncated")


@pytest.mark.parametrize("content, message", [
    # Case 5: these parsed as JSON but raised ValueError / TypeError / AttributeError.
    ([], "clip.json: the COCO keypoint list is empty"),
    (None, "clip.json: not a COCO keypoint list"),
    ([{"keypoints": "1, 2, 0.5"}], r"clip.json: a keypoint list must be a list of numbers \[x, y, score, …\], "
                                   r"got \"1, 2, 0.5\""),
    ([{"keypoints": ["1", "2", "0.5"] * 17}], "clip.json: a keypoint list must be a list of numbers"),
    ([{"keypoints": None}], "clip.json: a keypoint list must be a list of numbers"),
    ({"people": [5, "x"]}, r"clip.json: each entry of 'people' must be an object with 'pose_keypoints_2d', got 5"),
    ({"people": [{"pose_keypoints_2d": {"x": 1}}]}, "clip.json: a keypoint list must be a list of numbers"),
    ({"people": None}, r"clip.json is not an OpenPose keypoint file \(no 'people' list\)"),
    ([{"image_id": [0], "keypoints": GOOD[0]["keypoints"]}], "clip.json: 'image_id' must be a frame number or a name"),
    ({"annotations": GOOD, "images": 5}, "clip.json: 'images' must be a list"),
    ({"annotations": GOOD, "images": [{"id": 0, "width": "wide", "height": 480}]},
     "clip.json: image size must be positive numbers of pixels"),
])
def test_json_with_wrong_types_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "clip.json"
    path.write_text(json.dumps(content))
    _assert_refused(path, message)


@pytest.mark.parametrize("arrays, message", [
    ({"xy": np.array([["a", "b"]] * 17)}, "clip.npz: 'xy' holds <U1 data; expected numbers"),
    ({"xy": np.ones((3, 17, 2)), "conf": np.array(["x"] * 51).reshape(3, 17)}, "'conf' holds <U1 data"),
    ({"xy": np.ones((3, 17, 2)), "fps": np.array([25.0, 30.0])}, r"'fps' must be one positive number, got \[25.0, 30.0\]"),
    ({"xy": np.ones((3, 17, 2)), "fps": np.float64(np.nan)}, "'fps' must be one positive number"),
    ({"xy": np.ones((3, 17, 2)), "image_size": np.array([640])}, r"'image_size' must be \(width, height\) in pixels"),
    ({"xy": np.ones((3, 17, 2)), "image_size": np.array([0, 480])}, r"'image_size' must be \(width, height\)"),
    ({"xy": np.ones((3, 17, 2)), "filled": np.array(["no"] * 3)}, "'filled' holds <U2 data"),
    ({"xy": np.array([object()] * 3, dtype=object)}, "clip.npz is not a readable .npz file \\(Object arrays cannot be loaded"),
])
def test_npz_with_wrong_types_is_a_clear_error(tmp_path, arrays, message):
    path = tmp_path / "clip.npz"
    np.savez(path, **arrays)
    _assert_refused(path, message)


def test_openpose_folder_names_the_bad_frame(tmp_path):
    folder = tmp_path / "walk"
    folder.mkdir()
    (folder / "f_000_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 75}]}))
    (folder / "f_001_keypoints.json").write_text(json.dumps({"people": ["x"]}))
    with pytest.raises(AmbiblendError, match="f_001_keypoints.json: each entry of 'people' must be an object"):
        load_keypoints(folder)

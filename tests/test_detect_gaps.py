"""Gap filling (frames without a person, missing joints) and the MediaPipe index table."""
import numpy as np
import pytest

from ambiblend.core.detect.gaps import fill_gaps
from ambiblend.core.detect.landmarks import MEDIAPIPE_33
from ambiblend.core.errors import AmbiblendError


def test_frames_without_person_are_interpolated_held_and_flagged():
    # Joint j is at x = 10 j + frame value, y = 2 × that; person seen in frames 1 and 4 only.
    seen = {1: 4.0, 4: 10.0}
    xy = np.full((6, 17, 2), 123.0)                  # garbage in no-person frames is discarded
    conf = np.full((6, 17), 0.9)
    for t, v in seen.items():
        xy[t, :, 0] = 10 * np.arange(17) + v
        xy[t, :, 1] = 2 * xy[t, :, 0]
    person = np.array([False, True, False, False, True, False])
    out, c, filled = fill_gaps(xy, conf, person, "clip.mp4")
    expected_v = [4.0, 4.0, 6.0, 8.0, 10.0, 10.0]    # held, known, linear, linear, known, held
    for t, v in enumerate(expected_v):
        np.testing.assert_allclose(out[t, :, 0], 10 * np.arange(17) + v, atol=1e-12)
        np.testing.assert_allclose(out[t, :, 1], 2 * out[t, :, 0], atol=1e-12)
    assert filled.tolist() == (~person).tolist()
    assert (c[~person] == 0).all() and (c[person] == 0.9).all()


def test_missing_joint_is_interpolated_alone_without_flagging_the_frame():
    xy = np.zeros((3, 17, 2))
    xy[:, 5] = [[0, 0], [np.nan, np.nan], [4, 8]]
    out, c, filled = fill_gaps(xy, np.ones((3, 17)), np.ones(3, bool), "clip")
    np.testing.assert_allclose(out[1, 5], (2, 4))
    assert c[1, 5] == 0 and c[1, 4] == 1 and not filled.any()


def test_no_person_anywhere_and_never_seen_joint_raise():
    xy = np.zeros((4, 17, 2))
    with pytest.raises(AmbiblendError, match=r"^No person was detected in walk.mp4\.$"):
        fill_gaps(xy, np.ones((4, 17)), np.zeros(4, bool), "walk.mp4")
    xy[:, 16] = np.nan
    with pytest.raises(AmbiblendError, match="walk.mp4: the joint\\(s\\) right_wrist were not found"):
        fill_gaps(xy, np.ones((4, 17)), np.ones(4, bool), "walk.mp4")


def test_mediapipe_indices_match_its_landmark_enum():
    # The Tasks module has the enum from mediapipe 0.10.30 on; 0.10.21 keeps it in solutions.pose.
    try:
        from mediapipe.tasks.python.vision.pose_landmarker import PoseLandmark
    except ImportError:
        from mediapipe.python.solutions.pose import PoseLandmark
    for name, index in MEDIAPIPE_33.items():
        assert PoseLandmark[name.upper()].value == index, name

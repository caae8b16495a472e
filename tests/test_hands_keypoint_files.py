"""Issue 14, item 5: hand keypoints in keypoint files (OpenPose, COCO-WholeBody) drive the fingers.

Fixtures are built in tmp_path from known geometry (``tests/hand_keypoint_files.py``, shared with
the Blender tests). The whole path runs for real: reading, wrist assignment, the 2D → 3D lift,
limits, cleaning."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.detect import load_keypoints
from ambiblend.core.detect.hand_files import read_hands
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.geometry import rotation_about_axis
from ambiblend.core.hands import HANDS_KEY, NOTE_KEY, add_hands, run_pipeline_hands
from ambiblend.core.hands.angles import LIMITS, clamp_angles, finger_angles
from ambiblend.core.hands.files import MIN_CONF
from ambiblend.core.hands.landmarks import SIDES
from ambiblend.core.hands.lift2d import lift_hands
from ambiblend.core.pipeline import PipelineOptions
from tests.hand_keypoint_files import (KNOWN, N, SAMPLE_KEYPOINTS, facing_rotation, openpose_folder,
                                       projected_hand, wholebody_file)

TOLERANCE_DEG = 5.0   # a palm facing the camera is read exactly but for the palm's small depth
OPTIONS = PipelineOptions(weights=BUNDLED_WEIGHTS, device="CPU", clean=None)


def assert_known_curls(motion):
    hands = motion.info[HANDS_KEY]
    assert hands.keyed.all() and hands.found.all()
    err = np.degrees(np.abs(hands.angles - KNOWN))          # (T, 2, 5, 3, 2)
    assert err.max() < TOLERANCE_DEG, err.max()
    # The same fixtures read as a flat hand would be far off: the curls come from the file.
    assert np.degrees(np.abs(KNOWN[..., 0])).mean() > 40


def test_lift_recovers_projected_curls():
    """Random hands inside the limits, orthographically projected: facing the camera, and tilted
    up to 30° with the forearm's depth slope as the palm prior."""
    rng = np.random.default_rng(14)
    for tilt, mean_tol, p90_tol in ((0.0, 2.0, 4.0), (30.0, 6.0, 12.0)):
        for side in SIDES:
            errs, flat = [], []
            for _ in range(60):
                ang = LIMITS[..., 0] + rng.random((5, 3, 2)) * (LIMITS[..., 1] - LIMITS[..., 0])
                rot = rotation_about_axis(rng.normal(size=3), np.radians(rng.uniform(0, tilt))) @ \
                    facing_rotation(side, np.array([0.0, -1.0]))
                px = projected_hand(side, rot, np.array([300.0, 400.0]), 3000.0, ang)
                got = clamp_angles(finger_angles(lift_hands(px[None], side, np.array([rot[2, 1]])), side)[0])
                errs.append(np.degrees(np.abs(got - ang))[..., 0].mean())
                flat.append(np.degrees(np.abs(ang[..., 0])).mean())
            assert np.mean(errs) < mean_tol and np.percentile(errs, 90) < p90_tol, (tilt, side, np.mean(errs))
            assert np.mean(flat) > 5 * mean_tol


def test_openpose_folder_hands_drive_fingers(tmp_path):
    motion = run_pipeline_hands(openpose_folder(tmp_path), OPTIONS)
    assert_known_curls(motion)
    assert motion.info[NOTE_KEY].startswith(f"Hands: left hand in {N}/{N} frames, right hand in {N}/{N} frames")


@pytest.mark.parametrize("results133", [False, True], ids=["annotations", "results133"])
def test_coco_wholebody_hands_drive_fingers(tmp_path, results133):
    path = wholebody_file(tmp_path, results133)
    assert read_hands(path).num_frames == N
    assert_known_curls(run_pipeline_hands(path, OPTIONS))


def test_hands_below_confidence_key_nothing(tmp_path):
    motion = run_pipeline_hands(openpose_folder(tmp_path, conf=MIN_CONF / 2), OPTIONS)
    hands, note = motion.info[HANDS_KEY], motion.info[NOTE_KEY]
    assert not hands.keyed.any() and not hands.found.any() and not hands.angles.any()
    assert "no hand seen, fingers not keyed" in note
    assert f"{2 * N} hands in the file had keypoints scored below {MIN_CONF:g} and were skipped" in note


def test_one_weak_point_skips_that_hand_only(tmp_path):
    folder = openpose_folder(tmp_path)
    frame = sorted(folder.glob("*.json"))[3]
    data = json.loads(frame.read_text())
    data["people"][0]["hand_right_keypoints_2d"][3 * 8 + 2] = 0.05      # the index fingertip
    frame.write_text(json.dumps(data))
    motion = run_pipeline_hands(folder, OPTIONS)
    hands = motion.info[HANDS_KEY]
    assert hands.found[:, 0].all() and hands.found[:, 1].sum() == N - 1 and not hands.found[3, 1]
    assert "1 hand in the file had keypoints scored below 0.2 and was skipped in that frame." in motion.info[NOTE_KEY]


def test_malformed_hand_array_names_the_file_and_changes_nothing(tmp_path):
    folder = openpose_folder(tmp_path, bad_frame=3)
    message = r"clip_000000000003_keypoints.json: 'hand_left_keypoints_2d' has 60 numbers; expected 3 × 21 = 63"
    with pytest.raises(AmbiblendError, match=message):
        run_pipeline_hands(folder, OPTIONS)
    # On a lifted motion: add_hands raises before touching it.
    motion = run_pipeline_hands(openpose_folder(tmp_path / "good"), OPTIONS)
    before = dict(motion.info)
    kp = load_keypoints(folder)
    with pytest.raises(AmbiblendError, match=message):
        add_hands(motion, kp, folder)
    assert motion.info == before


def test_wrong_type_hand_array_in_wholebody(tmp_path):
    path = tmp_path / "wb.json"
    path.write_text(json.dumps([{"image_id": 0, "keypoints": [1.0] * 51, "lefthand_kpts": "none"}]))
    with pytest.raises(AmbiblendError, match=r"wb.json: 'lefthand_kpts' must be a list of numbers"):
        read_hands(path)


def test_file_without_hands_keeps_the_note(tmp_path):
    motion = run_pipeline_hands(openpose_folder(tmp_path, hands=False), OPTIONS)
    assert HANDS_KEY not in motion.info
    assert motion.info[NOTE_KEY] == "Hands: openpose is a keypoint file without hand keypoints; fingers not keyed."
    assert read_hands(SAMPLE_KEYPOINTS) is None

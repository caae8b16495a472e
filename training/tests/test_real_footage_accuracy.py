"""The accuracy claims of assets/REAL_FOOTAGE.md, re-measured on the shared Pose2Sim clip with the
real detector and the shipped model (≈ 30 s: four 100-frame 1080×1920 views are detected).

Asserted with margins below the measured figures (default output 57.4 mm, MediaPipe world
landmarks 86.9 mm, 14 common joints), so that a regression in detection, lifting, flip
averaging, the swap repair, the blend or cleaning fails here: the default output is at most
0.75 × MediaPipe's own 3D in the mean (measured 0.66; issue 11's goal was 0.85) and beats its
bone directions on at least three views (measured four); the swap repair wins back cam02;
cleaning costs at most 1 mm on any view."""
from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.lift.checkpoint import load_model

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos" / "pose2sim-single-person"


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    if not DATA.is_dir():
        pytest.skip(f"the shared clip is not at {DATA}")
    from training.evaluate_real import find_inputs
    from training.real_footage import (apply_offsets, build_reference, common_scores, detect_views, method_poses,
                                       reference_height)
    cameras, videos = find_inputs(DATA, None)
    views = apply_offsets(detect_views(cameras, videos, tmp_path_factory.mktemp("det")), {"cam03": 4})
    ref = build_reference(views, inlier_px=40.0)
    model = load_model(BUNDLED_WEIGHTS, "cpu")
    height = reference_height(ref)
    out = {}
    for v in views:
        for method, pose in method_poses(v, model, height, 0.5).items():
            out.setdefault(method, []).append(common_scores(pose, v, ref))
    return out


def test_default_output_beats_mediapipe_world_landmarks(scores):
    ours = np.array([s["pmpjpe14"] for s in scores["default output"]])
    mediapipe = np.array([s["pmpjpe14"] for s in scores["MediaPipe world"]])
    flat = np.array([s["pmpjpe14"] for s in scores["zero depth"]])
    assert ours.mean() <= 0.75 * mediapipe.mean(), (ours, mediapipe)
    assert ours.mean() < 0.75 * flat.mean()
    bones = np.array([s["bone_deg"] for s in scores["default output"]])
    assert (bones < np.array([s["bone_deg"] for s in scores["MediaPipe world"]])).sum() >= 3


def test_cleaning_never_costs_more_than_a_millimetre(scores):
    cleaned = np.array([s["pmpjpe14"] for s in scores["default output"]])
    raw = np.array([s["pmpjpe14"] for s in scores["lift + detector 3D"]])
    assert (cleaned <= raw + 1.0).all(), (cleaned, raw)


def test_swap_repair_wins_back_the_view_mediapipe_reads_back_to_front(scores):
    """cam02: MediaPipe swaps left and right in 31 % of the frames (and folds a girdle where it
    flickers); relabelled, the default output there beats the raw lift on the detector's labels
    by more than 40 mm (measured 53 vs 124; session 6's repair on this detection: 221)."""
    cam02 = 1
    assert scores["default output"][cam02]["pmpjpe14"] < scores["raw lift"][cam02]["pmpjpe14"] - 40.0
    assert scores["default output"][cam02]["pmpjpe14"] < 0.7 * scores["MediaPipe world"][cam02]["pmpjpe14"]


def test_every_view_is_counted_as_one_person():
    """The figures above are those of one-person detection: in session 6 a duplicate of the man
    inside his own box (cam02, one sampled frame) sent that view through the many-people pass,
    and its good score hid a swap repair that failed on the one-person detection."""
    if not DATA.is_dir():
        pytest.skip(f"the shared clip is not at {DATA}")
    from ambiblend.core.detect.mediapipe_pose import count_people
    assert {video.stem: count_people(video) for video in sorted(DATA.glob("cam*.mp4"))} == \
        {f"cam0{i}": 1 for i in range(1, 5)}

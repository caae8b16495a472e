"""Front/back confusions (``track.facing``): a stretch of frames whose left and right the detector
swapped is found from the facing continuity of the lifted body and relabelled; real turns, and
a clip read back-to-front throughout, are left alone."""
from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.detect import load_keypoints
from ambiblend.core.lift.checkpoint import load_model
from ambiblend.core.pipeline import PipelineOptions, lift_keypoints
from ambiblend.core.skeleton import FLIP_GROUPS, FLIP_PERMUTATION, JOINT_INDEX
from ambiblend.core.track.facing import describe_swaps, facing_yaw, repair_facing, swap_labels, swapped_frames

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
FPS = 30.0


def _two_readings(true_yaw, swapped):
    """Yaws of the detector's labelling and of the swapped one: swapping left and right reads
    the body mirrored in depth (yaw θ ↔ −θ), as the lifter does."""
    seen = np.where(swapped, -true_yaw, true_yaw)
    return seen, -seen


def test_a_swapped_stretch_is_found_exactly():
    true_yaw = np.radians(80.0 + 10.0 * np.sin(np.arange(90) / 10.0))   # near-frontal, swaying
    stretch = np.zeros(90, bool)
    stretch[20:45] = True
    assert np.array_equal(swapped_frames(*_two_readings(true_yaw, stretch), FPS), stretch)


def test_a_garbled_frame_cannot_bridge_the_flip():
    """At 60 fps, the detector flickers at both ends of the stretch: one frame each that both
    labellings read halfway (0°). Compared with one frame back only, that frame is a stepping
    stone and the flip costs nothing extra, so the stretch is kept as detected; compared over
    the last 50 ms (3 frames) it is found."""
    true_yaw = np.full(90, np.radians(80.0))
    stretch = np.zeros(90, bool)
    stretch[30:60] = True
    seen, other = _two_readings(true_yaw, stretch)
    seen[[29, 60]] = other[[29, 60]] = 0.0
    found = swapped_frames(seen, other, 60.0)
    np.testing.assert_array_equal(found[:29], False)
    np.testing.assert_array_equal(found[30:60], True)
    np.testing.assert_array_equal(found[61:], False)
    assert not swapped_frames(seen, other, 60.0, lags=1).any()


def test_real_turns_and_a_clip_read_back_to_front_are_left_alone():
    spin = np.radians(600.0) * np.arange(120) / FPS                       # a fast pirouette, 600°/s
    assert not swapped_frames(*_two_readings(spin, np.zeros(120, bool)), FPS).any()
    everywhere = np.ones(60, bool)                                         # nothing in one view can tell
    assert not swapped_frames(*_two_readings(np.full(60, 1.2), everywhere), FPS).any()
    assert swapped_frames(np.zeros(0), np.zeros(0), FPS).shape == (0,)


def test_facing_yaw_reads_the_shoulders_and_hips():
    pose = np.zeros((1, 17, 3))
    for side, x in (("left", 0.2), ("right", -0.2)):   # left side towards +x: facing away from the camera
        pose[0, JOINT_INDEX[f"{side}_shoulder"], 0] = pose[0, JOINT_INDEX[f"{side}_hip"], 0] = x
    assert facing_yaw(pose)[0] == pytest.approx(np.pi / 2)
    assert facing_yaw(pose[:, list(FLIP_PERMUTATION)])[0] == pytest.approx(-np.pi / 2)


@pytest.fixture(scope="module")
def sample():
    return load_keypoints(SAMPLE), load_model(BUNDLED_WEIGHTS, "cpu")


def test_swaps_in_real_detections_are_relabelled(sample):
    """The bundled real clip (MediaPipe on cam04, no swaps) with frames 30–59 relabelled left for
    right, as MediaPipe did on cam02: the bundled model's facing finds exactly those frames."""
    kp, model = sample
    assert not repair_facing(kp, model)[1].any()          # the clean clip is not touched
    stretch = np.zeros(kp.num_frames, bool)
    stretch[30:60] = True
    bad = swap_labels(kp, stretch)
    assert not np.allclose(bad.xy[30:60], kp.xy[30:60])
    fixed, frames = repair_facing(bad, model)
    np.testing.assert_array_equal(frames, stretch)
    for name in ("xy", "conf", "world"):
        np.testing.assert_array_equal(getattr(fixed, name), getattr(kp, name))


@pytest.mark.parametrize("unit", [0, 1], ids=["legs", "arms"])
def test_a_swap_of_the_legs_or_the_arms_alone_is_relabelled_alone(sample, unit):
    """The detector also swaps one limb pair for a stretch (crossing legs, arms behind the back):
    each unit is judged by its own girdle, so only the swapped unit is relabelled."""
    kp, model = sample
    stretch = np.zeros(kp.num_frames, bool)
    stretch[30:60] = True
    bad = swap_labels(kp, stretch, FLIP_GROUPS[unit])
    untouched = [j for j in range(17) if j not in FLIP_GROUPS[unit]]
    np.testing.assert_array_equal(bad.xy[:, untouched], kp.xy[:, untouched])
    fixed, frames = repair_facing(bad, model)
    np.testing.assert_array_equal(frames, stretch)
    np.testing.assert_array_equal(fixed.xy, kp.xy)


def test_the_pipeline_keys_the_repaired_motion_and_reports_it(sample):
    kp, model = sample
    stretch = np.zeros(kp.num_frames, bool)
    stretch[30:60] = True
    bad = swap_labels(kp, stretch)
    clean = lift_keypoints(kp, model, PipelineOptions())
    repaired = lift_keypoints(bad, model, PipelineOptions())
    kept = lift_keypoints(bad, model, PipelineOptions(repair_swaps=False))
    np.testing.assert_allclose(repaired.joints, clean.joints, atol=1e-9)
    assert np.linalg.norm(kept.joints - clean.joints, axis=-1).mean() > 0.05   # metres: visibly wrong
    assert repaired.info["swapped_frames"] == 30 and kept.info["swapped_frames"] == 0
    assert clean.info["swapped_frames"] == 0
    assert describe_swaps(30).startswith("left and right relabelled in 30 frames")
    assert describe_swaps(1).startswith("left and right relabelled in 1 frame ") and describe_swaps(0) == ""


def test_the_bundled_judge_reads_the_facing_whatever_weights_lift(sample):
    """The repair was measured with the bundled judge; a user's own weights lift the clip but
    do not judge the swaps (``model=None`` would fail here if it were used)."""
    from ambiblend.core.pipeline import relabel_swaps
    kp, _ = sample
    stretch = np.zeros(kp.num_frames, bool)
    stretch[30:60] = True
    fixed, frames = relabel_swaps(swap_labels(kp, stretch), None, PipelineOptions())
    np.testing.assert_array_equal(frames, stretch)
    np.testing.assert_array_equal(fixed.xy, kp.xy)
    _, none = relabel_swaps(swap_labels(kp, stretch), None, PipelineOptions(repair_swaps=False))
    assert not none.any()


def _folded(kp, frames, seed):
    """``kp`` with the hips and/or the shoulders folded onto one side in ``frames``, as MediaPipe
    folds them while it flickers between the two labellings (cam02 of the Pose2Sim clip)."""
    from dataclasses import replace
    from ambiblend.core.track.facing import _GIRDLES
    rng = np.random.default_rng(seed)
    xy = kp.xy.copy()
    for t in frames:
        for pair in _GIRDLES:
            if rng.random() < 0.6:
                side = xy[t, pair[int(rng.random() < 0.5)]]
                xy[t, list(pair)] = side + rng.normal(0.0, 3.0, (2, 2))
    return replace(kp, xy=xy)


@pytest.mark.parametrize("seed", [0, 1])
def test_folded_flicker_frames_do_not_decide_the_labelling(sample, seed):
    """A swapped stretch whose ends flicker with folded girdles: judged on every frame, the noise
    of the folded frames made the old repair relabel everything after the stretch too (the
    complement of the truth there; checked for these seeds). Judged on the readable frames only,
    each readable frame gets its true labelling; the folded ones are found unreadable."""
    from ambiblend.core.track.facing import readable_frames
    kp, model = sample
    stretch = np.zeros(kp.num_frames, bool)
    stretch[30:60] = True
    flicker = list(range(26, 34)) + list(range(56, 64))
    bad = _folded(swap_labels(kp, stretch), flicker, seed)
    readable = readable_frames(bad.xy)
    assert readable_frames(kp.xy).all()
    assert not readable[flicker].all() and readable[[i for i in range(kp.num_frames) if i not in flicker]].all()
    _, frames = repair_facing(bad, model)
    np.testing.assert_array_equal(frames[readable], stretch[readable])

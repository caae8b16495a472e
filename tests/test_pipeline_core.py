"""The bpy-free lifting pipeline (core/pipeline.py) on the bundled real sample: placement in
Blender's world, metric height, option checks, progress and cancellation during detection, and
bad weights failing before the slow detection starts."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.detect import DetectionCancelled, load_keypoints
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import torch_installed
from ambiblend.core.pipeline import PipelineOptions, check_options, place_on_ground, run_pipeline
from ambiblend.core.skeleton import ANKLE_TO_SOLE, FEET, JOINT_INDEX, ROOT, bone_lengths, standing_height

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample"
VIDEO, KEYPOINTS = SAMPLE / "pose2sim_cam04.mp4", SAMPLE / "pose2sim_cam04_keypoints.npz"


@pytest.fixture(scope="module")
def weights():
    """The shipped numpy weights: these tests need a working model, not a trained one in particular,
    and they run in both environments (no torch on the Blender 5.2 one)."""
    return BUNDLED_WEIGHTS


def test_place_on_ground_hand_case():
    joints = np.zeros((3, 17, 3))
    joints[:, ROOT] = [[1, 2, 5], [2, 2, 5], [3, 4, 5]]
    joints[:, FEET[0], 2] = [0.0, 1.0, 2.0]   # lower ankle per frame: 0, 1, 2 → median 1
    joints[:, FEET[1], 2] = 3.0
    out = place_on_ground(joints, 2.0, root_motion=True)
    assert np.allclose(out[:, ROOT, :2], [[0, 0], [1, 0], [2, 2]])   # first frame at the origin
    assert np.allclose(out[:, FEET[0], 2], np.array([0.0, 1.0, 2.0]) - 1 + ANKLE_TO_SOLE * 2.0)
    inplace = place_on_ground(joints, 2.0, root_motion=False)
    assert np.allclose(inplace[:, ROOT, :2], 0) and np.allclose(inplace[..., 2], out[..., 2])


def test_keypoint_file_to_motion(weights):
    motion = run_pipeline(KEYPOINTS, PipelineOptions(weights=weights, device="CPU", subject_height=1.8))
    kp = load_keypoints(KEYPOINTS)
    assert motion.joints.shape == (kp.num_frames, 17, 3) and motion.fps == kp.fps
    assert motion.contacts is None and motion.scale.shape == (kp.num_frames,)
    # Raw (uncleaned) motion: the median bone lengths give exactly the subject height.
    assert standing_height(np.median(bone_lengths(motion.joints), axis=0)) == pytest.approx(1.8, abs=1e-6)
    assert np.allclose(motion.joints[0, ROOT, :2], 0)
    head, pelvis = motion.joints[:, JOINT_INDEX["head"], 2], motion.joints[:, ROOT, 2]
    assert np.mean(head > pelvis) > 0.9   # Z is up (camera y down was flipped)


def test_bad_options_and_inputs(weights, tmp_path):
    with pytest.raises(AmbiblendError, match="Subject height must be between 0.3 and 3.0 m, got 0.0"):
        run_pipeline(KEYPOINTS, PipelineOptions(weights=weights, subject_height=0.0))
    with pytest.raises(AmbiblendError, match="No input chosen"):
        run_pipeline("", PipelineOptions(weights=weights))
    with pytest.raises(AmbiblendError, match="Input not found"):
        run_pipeline(tmp_path / "none.mp4", PipelineOptions(weights=weights, device="CPU"))
    if not torch_installed():
        with pytest.raises(AmbiblendError, match="CUDA was requested but PyTorch is not installed"):
            run_pipeline(KEYPOINTS, PipelineOptions(weights=weights, device="CUDA"))
    else:
        import torch
        if not torch.cuda.is_available():
            with pytest.raises(AmbiblendError, match="CUDA was requested but no CUDA device is available"):
                run_pipeline(KEYPOINTS, PipelineOptions(weights=weights, device="CUDA"))


def test_progress_cancel_and_weights_checked_before_detection(weights, tmp_path):
    calls = []

    def progress(done, total):
        calls.append((done, total))
        return done < 5   # cancel after five frames
    with pytest.raises(DetectionCancelled, match="Detection of pose2sim_cam04.mp4 was cancelled"):
        run_pipeline(VIDEO, PipelineOptions(weights=weights, device="CPU"), progress=progress)
    assert calls == [(i, 100) for i in range(1, 6)]

    calls.clear()
    with pytest.raises(AmbiblendError, match="Weights file not found"):
        run_pipeline(VIDEO, PipelineOptions(weights=tmp_path / "missing.pt"), progress=progress)
    assert calls == []   # failed before any frame was decoded


@pytest.mark.parametrize("field, value, message", [
    # Issue 15, case 8: out-of-range settings are refused with the allowed range, never clamped
    # (the operator and the batch both call check_options before any slow work).
    ("focal_35mm", 0.0, r"Focal length must be between 5 and 300 mm \(35 mm equivalent\), got 0.0"),
    ("focal_35mm", float("nan"), "Focal length must be between 5 and 300 mm"),
    ("subject_height", 5.0, "Subject height must be between 0.3 and 3.0 m, got 5.0"),
    ("smoothness", 99.0, "Smoothness must be between 0 and 1, got 99.0"),
    ("smoothness", float("nan"), "Smoothness must be between 0 and 1, got nan"),
    ("detector_3d_weight", 1.5, "The detector 3D blend must be between 0 and 1, got 1.5"),
])
def test_check_options_refuses_out_of_range(field, value, message):
    from ambiblend.core.clean import CleanOptions
    options = PipelineOptions(clean=CleanOptions())
    if field == "smoothness":
        options.clean.smoothness = value
    else:
        setattr(options, field, value)
    with pytest.raises(AmbiblendError, match=message):
        check_options(options)
    check_options(PipelineOptions(clean=CleanOptions(smoothness=1.0), focal_35mm=5.0, subject_height=3.0))


def test_detector_3d_blend_reaches_the_lift():
    """The bundled sample's keypoints carry MediaPipe's world joints: the default blend uses them
    (the motion differs from the lifter alone), weight 0 and a file without them do not."""
    from ambiblend.core.assets import BUNDLED_WEIGHTS
    from ambiblend.core.detect import Keypoints2D
    from ambiblend.core.lift.checkpoint import load_model
    from ambiblend.core.pipeline import DETECTOR_3D_WEIGHT, lift_keypoints
    kp = load_keypoints(Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04_keypoints.npz")
    assert kp.world is not None and DETECTOR_3D_WEIGHT == 0.5
    model = load_model(BUNDLED_WEIGHTS, "cpu")
    blended = lift_keypoints(kp, model, PipelineOptions()).joints
    alone = lift_keypoints(kp, model, PipelineOptions(detector_3d_weight=0.0)).joints
    bare = Keypoints2D(xy=kp.xy, conf=kp.conf, filled=kp.filled, fps=kp.fps, image_size=kp.image_size,
                       source=kp.source)
    np.testing.assert_array_equal(lift_keypoints(bare, model, PipelineOptions()).joints, alone)
    moved = np.linalg.norm(blended - alone, axis=-1)
    assert 0.01 < moved.mean() < 0.3    # metres: a real change, not a different motion

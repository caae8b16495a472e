"""Flip averaging: the clip and its mirror image are lifted and their depths averaged joint by
joint, so the result of a mirrored clip is exactly the mirrored result (a plain lift is not),
it equals the mean of the two single lifts' depths, and torch and numpy agree."""
from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.lift.checkpoint import load_model
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.skeleton import FLIP_PERMUTATION

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
PERM = list(FLIP_PERMUTATION)


def _sample_xy():
    return np.load(SAMPLE)["xy"]


def _mirror_2d(xy):
    """The image mirrored about x = 0 (left and right joints exchange names)."""
    return xy[:, PERM] * np.array([-1.0, 1.0])


def _mirror_3d(joints):
    return joints[:, PERM] * np.array([-1.0, 1.0, 1.0])


def test_flip_average_is_mirror_symmetric_and_a_plain_lift_is_not():
    model = load_model(BUNDLED_WEIGHTS, "cpu")
    xy = _sample_xy()[:120]
    for flip, tolerance in ((True, 1e-9), (False, None)):
        mirrored = lift_sequence(_mirror_2d(xy), model, flip=flip).joints
        gap = np.abs(mirrored - _mirror_3d(lift_sequence(xy, model, flip=flip).joints)).max()
        if tolerance is not None:
            assert gap < tolerance
        else:
            assert gap > 1e-3       # model units (root depth 10): the lifter is not symmetric


def test_flip_average_is_the_mean_of_the_lift_and_its_mirror():
    """Without the clip's roll and the scale module both lifts see the same 2D, so the 3D is
    linear in the depth offsets: the average of depths is the average of the two lifts."""
    model = load_model(BUNDLED_WEIGHTS, "cpu")
    xy = _sample_xy()[:120]
    plain = lift_sequence(xy, model, upright=False, use_scale_module=False).joints
    other = _mirror_3d(lift_sequence(_mirror_2d(xy), model, upright=False, use_scale_module=False).joints)
    both = lift_sequence(xy, model, upright=False, use_scale_module=False, flip=True).joints
    np.testing.assert_allclose(both, 0.5 * (plain + other), atol=1e-9)
    assert np.abs(both - plain).max() > 1e-3


def test_flip_average_torch_equals_numpy():
    torch = pytest.importorskip("torch")
    from ambiblend.core.assets import BUNDLED_CHECKPOINT
    from ambiblend.core.lift.checkpoint import LiftingModel, _torch_nets, read_checkpoint
    data = read_checkpoint(BUNDLED_CHECKPOINT)
    scale, lifter = _torch_nets(data, data["model_args"], "cpu", "model.pt")
    xy = _sample_xy()[:120]
    reference = lift_sequence(xy, LiftingModel(scale=scale, lifter=lifter, device=torch.device("cpu")), flip=True)
    ours = lift_sequence(xy, load_model(BUNDLED_WEIGHTS, "cpu"), flip=True)
    assert np.abs(ours.joints - reference.joints).max() < 1e-5
    assert np.abs(ours.scale - reference.scale).max() < 1e-5


def test_the_default_output_of_a_mirrored_clip_is_the_mirrored_output():
    """Through the whole pipeline (scale, detector 3D, root trajectory, cleaning, foot locking): the
    video mirrored left to right gives the same motion mirrored (Blender X negated, left and
    right exchanged) when flip averaging is on, the default; the network alone would not.
    The swap repair is off here: its judge reads facing with the plain lifter."""
    from dataclasses import replace

    from ambiblend.core.clean import CleanOptions
    from ambiblend.core.detect import load_keypoints
    from ambiblend.core.pipeline import PipelineOptions, lift_keypoints
    kp = load_keypoints(SAMPLE)
    width = kp.image_size[0]
    assert kp.world is not None          # MediaPipe's own 3D is blended in too: mirrored as well
    mirrored = replace(kp, xy=np.stack([width - kp.xy[:, PERM, 0], kp.xy[:, PERM, 1]], axis=-1),
                       conf=kp.conf[:, PERM], world=_mirror_3d(kp.world))
    model = load_model(BUNDLED_WEIGHTS, "cpu")
    options = PipelineOptions(repair_swaps=False, clean=CleanOptions())
    assert options.flip_average
    for flip, tolerance in ((True, 1e-6), (False, None)):
        opts = replace(options, flip_average=flip)
        ours = lift_keypoints(kp, model, opts).joints
        back = _mirror_3d(lift_keypoints(mirrored, model, opts).joints)
        gap = np.abs(back - ours).max()     # metres
        if tolerance is not None:
            assert gap < tolerance
        else:
            assert gap > 0.01

"""Blending the detector's own 3D depth into the lifter's (``lift.fuse``): off by default in
``lift_sequence``, always consistent with the 2D, and equal to the detector's shape at weight 1."""
import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_WEIGHTS
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import load_model
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.skeleton import ROOT

SAMPLE = BUNDLED_WEIGHTS.parent / "sample" / "pose2sim_cam04_keypoints.npz"


@pytest.fixture(scope="module")
def model():
    return load_model(BUNDLED_WEIGHTS, "cpu")


def _scene():
    """A real lifted pose sequence as the 'true' camera-frame 3D (metres, 4 m away) and its 2D."""
    data = np.load(SAMPLE)
    rel = lift_sequence(data["xy"], load_model(BUNDLED_WEIGHTS, "cpu")).joints
    rel = rel / np.abs(rel).max() * 0.9                       # about a person's size in metres
    cam = rel + np.array([0.2, -0.1, 4.0])
    xy = cam[..., :2] / cam[..., 2:3] * 1500.0 + (540.0, 960.0)   # pinhole, f = 1500 px
    return cam, xy


def test_weight_zero_is_the_lifter_alone(model):
    _, xy = _scene()
    world = np.random.default_rng(0).normal(size=xy.shape[:2] + (3,))
    a = lift_sequence(xy, model).joints
    np.testing.assert_array_equal(lift_sequence(xy, model, world=world, world_weight=0.0).joints, a)


def test_fused_pose_projects_onto_the_2d_and_takes_the_detector_shape_at_weight_one(model):
    cam, xy = _scene()
    world = cam - cam[:, ROOT:ROOT + 1]                      # the detector's 3D: hip-centred metres
    for w in (0.5, 1.0):
        out = lift_sequence(xy, model, world=world, world_weight=w)
        pose = out.joints + np.array([0.0, 0.0, 10.0])       # model units, root at depth D
        # x/z is the normalised 2D up to the clip's normalisation: the same for every joint,
        # so the projected pose equals the input 2D after one scale and shift per frame.
        proj = pose[..., :2] / pose[..., 2:3]
        rel2d = xy - xy[:, ROOT:ROOT + 1]
        ratio = (proj * rel2d).sum(axis=(1, 2)) / (proj * proj).sum(axis=(1, 2))
        np.testing.assert_allclose(proj * ratio[:, None, None], rel2d, atol=1e-6 * np.abs(rel2d).max())
    # At weight 1 the depth is the detector's: after one scale per frame the shape matches the
    # true 3D within 2 % of its size on average (8 % at worst: the lifter's camera puts the root
    # on the optical axis, the scene's is 4 m away and off-axis).
    k = (out.joints * world).sum(axis=(1, 2)) / (out.joints ** 2).sum(axis=(1, 2))
    err = np.linalg.norm(out.joints * k[:, None, None] - world, axis=-1)
    assert err.mean() < 0.02 * np.abs(world).max() and err.max() < 0.08 * np.abs(world).max()


def test_detector_3d_of_the_wrong_shape_is_refused(model):
    _, xy = _scene()
    with pytest.raises(AmbiblendError, match="detector's 3D must be finite and of shape"):
        lift_sequence(xy, model, world=np.zeros((3, 17, 3)), world_weight=0.5)

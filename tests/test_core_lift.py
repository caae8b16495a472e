"""Core model code without Blender: checkpoint round trip, loader errors, normalisation,
inference shapes, the trajectory formula and the geometry helpers."""
import numpy as np
import pytest
import torch

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.geometry import (CAMERA_TO_BLENDER, continuous_quaternions, matrix_to_quaternion,
                                     rotation_about_axis, rotation_between)
from ambiblend.core.lift.checkpoint import load_model, pick_device, save_checkpoint
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.lift.model import Lifter, depth_to_3d, project
from ambiblend.core.lift.normalize import head_root_distance, normalize
from ambiblend.core.scale.model import ScaleNet
from ambiblend.core.scale.trajectory import focal_pixels, metric_scale, root_trajectory
from ambiblend.core.skeleton import BONES, FLIP_PERMUTATION, JOINTS, PARENTS, bone_lengths, standing_height

SMALL = {"scale": {"width": 32}, "lifter": {"width": 32, "blocks": 1}}


def _tiny_checkpoint(path, seed=0):
    torch.manual_seed(seed)
    save_checkpoint(path, ScaleNet(width=32), Lifter(width=32, blocks=1), SMALL, {"mode": "clip"})


def test_skeleton_tables_are_consistent():
    assert len(JOINTS) == 17 and len(BONES) == 16
    assert all(PARENTS[c] == p for c, p in BONES)
    assert sorted(FLIP_PERMUTATION) == list(range(17))
    assert JOINTS[FLIP_PERMUTATION[JOINTS.index("left_wrist")]] == "right_wrist"


def test_standing_height_of_a_straight_skeleton():
    # Unit bones everywhere: leg 2 + trunk 4 = 6, plus the ankle-to-sole share.
    lengths = np.ones(16)
    assert standing_height(lengths) == pytest.approx(6 / (1 - 0.039))


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    _tiny_checkpoint(tmp_path / "m.pt")
    a = load_model(tmp_path / "m.pt", "cpu")
    b = load_model(tmp_path / "m.pt", "cpu")
    xy = np.random.default_rng(0).normal(size=(20, 17, 2)) * 50 + 300
    ra, rb = lift_sequence(xy, a), lift_sequence(xy, b)
    assert ra.joints.shape == (20, 17, 3) and ra.scale.shape == (20,)
    np.testing.assert_array_equal(ra.joints, rb.joints)
    np.testing.assert_allclose(ra.joints[:, 0], 0.0, atol=1e-6)  # root-relative
    assert np.allclose(ra.scale, 0.71, atol=1e-5)  # fresh scale module starts at the prior mean


def test_loader_rejects_missing_corrupt_foreign_and_wrong_shape(tmp_path):
    with pytest.raises(AmbiblendError, match="not found"):
        load_model(tmp_path / "nope.pt", "cpu")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(AmbiblendError, match="corrupt|could not be read"):
        load_model(bad, "cpu")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(AmbiblendError, match="not an AmbiBlend lifter checkpoint"):
        load_model(foreign, "cpu")
    wrong = tmp_path / "wrong.pt"
    torch.manual_seed(0)
    # Weights of a 64-wide lifter under arguments that say 32: shapes do not fit.
    save_checkpoint(wrong, ScaleNet(width=32), Lifter(width=64, blocks=1), SMALL, {"mode": "clip"})
    with pytest.raises(AmbiblendError, match="lifter weights do not fit"):
        load_model(wrong, "cpu")


def test_device_choice():
    assert pick_device("CPU") == "cpu"
    assert pick_device("AUTO") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(AmbiblendError, match="CUDA was requested"):
            pick_device("CUDA")


def test_normalisation_modes():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(10, 17, 2)) * 40 + 200
    for mode in ("clip", "step"):
        n, f = normalize(xy, mode)
        np.testing.assert_allclose(n[:, 0], 0, atol=1e-6)
        d = head_root_distance(n.astype(np.float64))
        if mode == "step":
            np.testing.assert_allclose(d, 0.1, rtol=1e-5)  # 1/D per frame
        else:
            assert np.median(d) == pytest.approx(0.1, rel=1e-5)
    with pytest.raises(AmbiblendError, match="constant"):
        normalize(xy, "universal")
    with pytest.raises(AmbiblendError, match="Unknown 2D normalisation"):
        normalize(xy, "bogus")


def test_depth_model_reprojects_exactly():
    x = torch.randn(4, 17, 2) * 0.05
    d = torch.randn(4, 17) * 0.3
    np.testing.assert_allclose(project(depth_to_3d(x, d)).numpy(), x.numpy(), atol=1e-6)


def test_metric_scale_and_trajectory_follow_the_formula():
    rng = np.random.default_rng(2)
    joints = rng.normal(size=(5, 17, 3))
    m = metric_scale(joints, 1.8)
    assert standing_height(np.median(bone_lengths(joints * m), axis=0)) == pytest.approx(1.8)
    size = (1920, 1080)
    f = focal_pixels(size, 36.0)
    assert f == pytest.approx(1920)
    root_px = np.array([[960.0, 540.0], [960.0 + f, 540.0]])  # centre, and 45° to the right
    traj = root_trajectory(root_px, scale=np.array([1.0, 2.0]), norm_factor=np.array([10.0, 10.0]),
                           meters_per_unit=0.5, image_size=size, focal_35mm=36.0)
    # Z = f·m·S·D/c: depth doubles with the scale; the right-hand root sits at x = Z.
    assert traj[0, 2] == pytest.approx(f * 0.5 * 1.0 * 10 / 10)
    assert traj[1, 2] == pytest.approx(2 * traj[0, 2])
    assert traj[1, 0] == pytest.approx(traj[1, 2]) and traj[0, 0] == pytest.approx(0)


def test_geometry_helpers():
    assert np.linalg.det(CAMERA_TO_BLENDER) == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    a[0], b[0] = [0, 0, 1], [0, 0, -1]  # antiparallel edge case
    r = rotation_between(a, b)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", r, an), bn, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
    m = rotation_about_axis([1, 2, 3], 0.7)
    q = matrix_to_quaternion(m)
    assert q[0] == pytest.approx(np.cos(0.35))
    np.testing.assert_allclose(q[1:] / np.sin(0.35), np.array([1, 2, 3]) / np.sqrt(14), atol=1e-9)
    qs = np.array([[1.0, 0, 0, 0], [-1.0, 0, 0, 0]])
    assert continuous_quaternions(qs)[1, 0] == 1.0


def test_scale_on_3d_models_scale_the_lifted_pose(tmp_path):
    """An ablation checkpoint with the scale applied to 3D: Φ_G sees the unscaled 2D and its
    root-relative output is multiplied by S (here the untrained Φ_S's constant 0.5)."""
    torch.manual_seed(0)
    args = {"scale": {"width": 32, "init_scale": 0.5}, "lifter": {"width": 32, "blocks": 1}}
    scale, lifter = ScaleNet(**args["scale"]), Lifter(**args["lifter"])
    save_checkpoint(tmp_path / "3d.pt", scale, lifter, {**args, "scale_on": "3d"}, {"mode": "clip"})
    model = load_model(tmp_path / "3d.pt", "cpu")
    assert model.scale_on == "3d"
    xy = np.random.default_rng(4).normal(size=(6, 17, 2)) * 30 + 200
    scaled = lift_sequence(xy, model)
    plain = lift_sequence(xy, model, use_scale_module=False)
    np.testing.assert_allclose(scaled.joints, 0.5 * plain.joints, rtol=1e-5, atol=1e-7)


def test_upright_lifting_is_equivariant_to_camera_roll(tmp_path):
    """A clip filmed by a rolled camera lifts to the level camera's 3D turned by the same roll
    about the optical axis (the lifter itself only ever sees the upright clip)."""
    from ambiblend.core.geometry import rotation_about_axis
    from ambiblend.core.lift.infer import roll_angle
    from ambiblend.core.skeleton import JOINT_INDEX
    _tiny_checkpoint(tmp_path / "m.pt", seed=3)
    model = load_model(tmp_path / "m.pt", "cpu")
    rng = np.random.default_rng(7)
    level = np.zeros((12, 17, 2))
    level += rng.normal(scale=20.0, size=level.shape)
    level[:, JOINT_INDEX["thorax"]] = (0.0, -150.0)        # torso straight up (image y down)
    level += (320.0, 400.0)
    assert roll_angle(level) == pytest.approx(0.0, abs=0.2)
    upright = lift_sequence(level, model)
    for degrees in (25.0, -40.0):
        turn = rotation_about_axis((0, 0, 1), np.radians(degrees))
        rolled = (level - (320.0, 400.0)) @ turn[:2, :2].T + (500.0, 100.0)
        out = lift_sequence(rolled, model)
        assert out.roll == pytest.approx(upright.roll + np.radians(degrees), abs=1e-9)
        np.testing.assert_allclose(out.joints, upright.joints @ turn.T, atol=1e-5)
        np.testing.assert_allclose(out.scale, upright.scale, atol=1e-6)
    # Without it the lifter sees the tilted clip and answers differently.
    plain = lift_sequence(rolled, model, upright=False)
    assert np.abs(plain.joints - upright.joints @ turn.T).max() > 1e-3

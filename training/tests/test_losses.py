"""Each loss of the recipe on hand-computed cases; random view round trip; projection; pairs."""
import math

import numpy as np
import pytest
import torch

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.model import depth_to_3d, project
from training import losses as L
from training.data.pairs import PairSampler
from synthetic_motion import REST


def pose(batch=1):
    return torch.tensor(REST, dtype=torch.float64).expand(batch, 17, 3).clone()


def test_kl_hand_cases():
    s = torch.tensor([0.6, 0.8], dtype=torch.float64)  # mean 0.7, population std 0.1
    assert float(L.kl_loss(s, 0.7, 0.1)) == pytest.approx(0.0, abs=1e-12)
    # log(0.1/0.1) + (0.01 + 0.04) / 0.02 − 0.5 = 2.0
    assert float(L.kl_loss(s, 0.5, 0.1)) == pytest.approx(2.0, abs=1e-12)
    # σ = 0.2: log 2 + (0.01 + 0) / 0.08 − 0.5
    assert float(L.kl_loss(s, 0.7, 0.2)) == pytest.approx(math.log(2) + 0.125 - 0.5, abs=1e-12)


def test_bone_loss_hand_case():
    a, b = pose(2), pose(2)
    b[:, 3, 1] += 0.5  # right shin (knee→ankle) 0.45 → 0.95 m
    assert float(L.bone_loss(a, a)) == pytest.approx(0.0, abs=1e-12)
    assert float(L.bone_loss(a, b)) == pytest.approx(0.25, abs=1e-9)


def test_relative_bone_loss_ignores_overall_size():
    a, b = pose(2), pose(2)
    b[:, 3, 1] += 0.5
    absolute, relative = float(L.bone_loss(a, b)), float(L.bone_loss(a, b, "relative"))
    # shrinking both poses 3× divides the paper's term by 9 but leaves the relative one alone
    assert float(L.bone_loss(a / 3, b / 3)) == pytest.approx(absolute / 9, rel=1e-9)
    assert float(L.bone_loss(a / 3, b / 3, "relative")) == pytest.approx(relative, rel=1e-9)
    # hand case: every bone of b twice as long as a's → Σ L² / mean((1.5 L)²) = 16 / 2.25
    from ambiblend.core.skeleton import bone_lengths
    lengths = bone_lengths(a)[0]
    assert float(L.bone_loss(a, 2 * a, "relative")) == pytest.approx(
        float((lengths ** 2).sum() / (2.25 * (lengths ** 2).mean())), rel=1e-9)


def test_pose_distance_and_tmc_hand_cases():
    a = torch.zeros(2, 17, 3, dtype=torch.float64)
    b = a.clone()
    b[:, 0] = torch.tensor([3.0, 4.0, 0.0], dtype=torch.float64)  # one joint off by 5
    assert float(L.pose_distance(a, b, "squared")) == pytest.approx(25 / 17)
    # the gradient eps adds at most 1e-6 per joint
    assert float(L.pose_distance(a, b, "euclidean")) == pytest.approx(5 / 17, abs=2e-6)
    # motion preserved by the cycle (both shifted by the same offset) → 0; otherwise the motion gap
    assert float(L.tmc_loss(a, b, a + 1, b + 1)) == pytest.approx(0.0, abs=1e-12)
    assert float(L.tmc_loss(a, b, a, a)) == pytest.approx(25 / 17)


def test_adversarial_hand_cases():
    one, zero = torch.ones(4), torch.zeros(4)
    assert float(L.adversarial_d_loss(one, zero, "lsgan")) == 0.0
    assert float(L.adversarial_d_loss(zero, one, "lsgan")) == pytest.approx(2.0)
    assert float(L.adversarial_g_loss(one, "lsgan")) == 0.0
    assert float(L.adversarial_g_loss(zero, "lsgan")) == pytest.approx(1.0)
    # BCE with logits at 0: log 2 per term
    assert float(L.adversarial_d_loss(zero, zero, "bce")) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(L.adversarial_g_loss(zero, "bce")) == pytest.approx(math.log(2), rel=1e-6)


def test_random_rotation_is_proper_and_within_bounds():
    g = torch.Generator().manual_seed(0)
    r = L.random_rotation(500, math.pi, math.pi / 9, 0.0, generator=g).double()
    eye = torch.eye(3, dtype=torch.float64).expand(500, 3, 3)
    assert torch.allclose(r @ r.transpose(1, 2), eye, atol=1e-6)
    assert torch.allclose(torch.linalg.det(r), torch.ones(500, dtype=torch.float64), atol=1e-6)
    # R = R_x(el)·R_y(az): the rotated vertical axis R·(0,1,0) = (0, cos el, sin el) → |el| ≤ π/9
    up = r[:, :, 1]
    assert torch.allclose(up[:, 0], torch.zeros(500, dtype=torch.float64), atol=1e-6)
    assert float(up[:, 1].min()) >= math.cos(math.pi / 9) - 1e-6
    # azimuth only: the vertical axis is untouched
    r0 = L.random_rotation(10, math.pi, 0.0, generator=g).double()
    assert torch.allclose(r0[:, :, 1], torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64).expand(10, 3), atol=1e-7)


def test_view_and_inverse_round_trip():
    g = torch.Generator().manual_seed(1)
    j = pose(8) + torch.tensor([0.3, -0.2, 5.0], dtype=torch.float64)
    r = L.random_rotation(8, math.pi, math.pi / 9, 0.3, generator=g).double()
    jr = L.apply_view(j, r, 10.0)
    assert torch.allclose(jr[:, 0], torch.tensor([0.0, 0.0, 10.0], dtype=torch.float64).expand(8, 3))
    # bone lengths survive the rotation
    assert torch.allclose(L.bone_lengths(jr), L.bone_lengths(j), atol=1e-12)
    back = L.invert_view(jr, r, j[:, :1])
    assert torch.allclose(back, j, atol=1e-12)


def test_projection_inverts_depth_model():
    x = torch.randn(5, 17, 2, dtype=torch.float64) * 0.1
    d = torch.randn(5, 17, dtype=torch.float64)
    j = depth_to_3d(x, d, 10.0)
    assert torch.allclose(project(j), x, atol=1e-12)
    assert torch.allclose(j[..., 2], 10.0 + d)
    # depths never below 1 (eq. 7)
    assert float(depth_to_3d(x, torch.full((5, 17), -50.0, dtype=torch.float64))[..., 2].min()) == 1.0


def test_pairs_stay_inside_one_sequence():
    starts, lengths = np.array([0, 10, 13]), np.array([10, 3, 50])
    sampler = PairSampler(starts, lengths, gap_min=2, gap_max=5)
    first, second = sampler.sample(20000, torch.Generator().manual_seed(0))
    seq = lambda i: np.searchsorted(starts, i.numpy(), side="right") - 1
    assert (seq(first) == seq(second)).all()
    gap = (second - first).numpy()
    assert gap.min() == 2 and gap.max() == 5
    assert (second.numpy() < (starts + lengths)[seq(first)]).all()
    # the 3-frame sequence only offers (10, 12)
    assert set(second[first == 10].tolist()) <= {12}


def test_pairs_reject_sequences_too_short():
    with pytest.raises(AmbiblendError, match="No sequence has more than 5 frames"):
        PairSampler(np.array([0, 3]), np.array([3, 5]), gap_min=5, gap_max=10)


def test_azimuth_about_the_body_axis_keeps_that_axis():
    g = torch.Generator().manual_seed(2)
    j = pose(6).float()
    tilt = L.axis_rotation(torch.tensor([[1.0, 0.0, 0.0]]).expand(6, 3), torch.full((6,), 0.4))
    j = j @ tilt.transpose(1, 2)  # a camera looking down: the body axis is no longer camera y
    up = L.body_up(j)
    r = L.random_rotation(6, math.pi, 0.0, generator=g, up=up)
    assert torch.allclose((r @ up[..., None])[..., 0], up, atol=1e-6)
    assert torch.allclose(torch.linalg.det(r), torch.ones(6), atol=1e-6)

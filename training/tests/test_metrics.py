"""Metrics against hand-computed cases (errors in mm, poses in metres)."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ambiblend.core.errors import AmbiblendError
from training import metrics as M
from synthetic_motion import REST, make_sequence


def gt_poses(n=6, seed=0):
    return make_sequence(n, np.random.default_rng(seed))


def similarity(g, seed=1):
    rot = Rotation.random(len(g), random_state=seed).as_matrix()
    shift = np.random.default_rng(seed).normal(size=(len(g), 1, 3))
    return 2.5 * np.einsum("tij,tkj->tki", rot, g) + shift


def test_mpjpe_hand_case_and_root_alignment():
    g = np.repeat(REST[None], 2, axis=0)
    p = g + 7.0  # pure translation: root alignment removes it
    assert M.mpjpe(p, g) == pytest.approx([0.0, 0.0], abs=1e-9)
    p = g.copy()
    p[:, 3] += [0.003, 0.004, 0.0]  # one joint 5 mm off
    assert M.mpjpe(p, g) == pytest.approx([5 / 17, 5 / 17], abs=1e-9)


def test_pmpjpe_zero_for_rotation_scale_translation():
    g = gt_poses()
    assert M.pmpjpe(similarity(g), g).max() < 1e-6


def test_pmpjpe_rejects_reflection_and_is_bounded_by_nmpjpe_on_noise():
    g = gt_poses()
    mirrored = g * np.array([-1.0, 1.0, 1.0])  # not a rotation: cannot be aligned to 0
    assert M.pmpjpe(mirrored, g).min() > 1.0
    noisy = g + np.random.default_rng(2).normal(scale=0.03, size=g.shape)
    assert M.pmpjpe(noisy, g).mean() <= M.n_mpjpe(noisy, g).mean() + 1.0


def test_n_mpjpe_scale_invariant():
    g = gt_poses()
    noisy = g + np.random.default_rng(3).normal(scale=0.02, size=g.shape)
    base = M.n_mpjpe(noisy, g)
    for s in (0.1, 3.0, 250.0):
        assert M.n_mpjpe(noisy * s, g) == pytest.approx(base, rel=1e-9)
    assert M.n_mpjpe(g * 4.0, g).max() < 1e-9


def test_head_length_mpjpe_definition():
    g = gt_poses()
    rel = g - g[:, :1]
    units = rel / M.head_root_3d(g)[:, None, None]  # a perfect prediction in head-root units
    assert M.head_length_mpjpe(units, g).max() < 1e-9
    assert M.head_length_mpjpe(units * 1.1, g).mean() == pytest.approx(0.1 * M.mpjpe(0 * g, g).mean(), rel=1e-9)


def test_to_metric_uses_subject_height():
    g = gt_poses()
    h = M.subject_height(g)
    assert M.mpjpe(M.to_metric((g - g[:, :1]) * 0.37, h), g).max() < 1e-9
    assert M.subject_height(g * 2) == pytest.approx(2 * h)


def test_pck_and_auc_hand_cases():
    err = np.zeros((2, 17))
    assert M.pck(err) == 1.0 and M.auc(err) == pytest.approx(30 / 31)  # 0 mm is not < 0
    err[:, list(M.PCK_JOINTS)[:7]] = 200.0  # half of the 14 joints far off
    err[:, [0, 7, 9]] = 1000.0  # excluded joints do not count
    assert M.pck(err) == 0.5
    err = np.full((1, 17), 72.0)  # below thresholds 75..150 (16 of 31)
    assert M.auc(err) == pytest.approx(16 / 31)
    assert len(M.PCK_JOINTS) == 14 and 10 in M.PCK_JOINTS and 8 in M.PCK_JOINTS


@pytest.mark.parametrize("pred, gt, message", [
    (np.zeros((3, 16, 3)), np.zeros((3, 16, 3)), "must both be"),
    (np.zeros((3, 17, 3)), np.zeros((4, 17, 3)), "must both be"),
    (np.zeros((0, 17, 3)), np.zeros((0, 17, 3)), "No frames"),
    (np.full((2, 17, 3), np.nan), np.zeros((2, 17, 3)), "NaN"),
])
def test_bad_inputs_rejected(pred, gt, message):
    with pytest.raises(AmbiblendError, match=message):
        M.pmpjpe(pred, gt)

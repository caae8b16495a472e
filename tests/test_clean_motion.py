"""clean_motion on a synthetic walk with known foot plants (tests/walk_motion.py) plus detector-
like noise: constant bones, less jitter, soles on the floor, planted feet that do not slide,
gaps where the person leaves the frame, bad input."""
import numpy as np
import pytest
from walk_motion import walk

from ambiblend.core.clean import CleanOptions, clean_motion
from ambiblend.core.clean.feet import contact_segments
from ambiblend.core.clean.ground import sole_offset
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.geometry import rotation_about_axis
from ambiblend.core.skeleton import BONE_CHILD, FEET, FLIP_PERMUTATION, ROOT, bone_lengths

FPS = 30.0
RAW = CleanOptions(smoothness=0.0, fix_bone_lengths=False, ground=False, lock_feet=False)


def noisy_walk(frames=240, sigma=0.01, seed=0):
    truth, stance = walk(frames, FPS)
    noisy = truth + np.random.default_rng(seed).normal(scale=sigma, size=truth.shape)
    return truth, stance, noisy


def test_raw_options_change_nothing():
    _, _, noisy = noisy_walk()
    out = clean_motion(noisy, None, FPS, RAW)
    assert np.array_equal(out.joints, noisy)


def test_bone_lengths_constant_and_jitter_reduced():
    truth, _, noisy = noisy_walk()
    out = clean_motion(noisy, np.ones(noisy.shape[:2]), FPS,
                       CleanOptions(smoothness=0.5, ground=False, lock_feet=False))
    lengths = bone_lengths(out.joints)
    cv = lengths.std(axis=0) / lengths.mean(axis=0)
    assert cv.max() < 1e-6
    mirror = [list(BONE_CHILD).index(FLIP_PERMUTATION[c]) for c in BONE_CHILD]
    assert np.abs(lengths[0] - lengths[0][mirror]).max() < 1e-9   # left = right
    rmse = lambda x: np.sqrt(np.mean(np.sum((x - truth) ** 2, axis=-1)))
    assert rmse(out.joints) < 0.75 * rmse(noisy)
    jerk = lambda x: np.abs(np.diff(x, 2, axis=0)).mean()
    assert jerk(out.joints) < 0.2 * jerk(noisy)


def test_planted_feet_do_not_slide():
    """Locked: within each detected contact the ankle moves < 2 mm (it slides ~2 cm raw)."""
    truth, stance, noisy = noisy_walk(frames=300)
    opts = CleanOptions(smoothness=0.5)
    out = clean_motion(noisy, None, FPS, opts)
    unlocked = clean_motion(noisy, None, FPS, CleanOptions(smoothness=0.5, lock_feet=False))
    agree = (out.contacts == stance).mean()
    assert agree > 0.85, f"contacts agree with the true stance on {agree:.0%} of frames"

    def worst_slide(joints):
        worst = 0.0
        for f, ankle in enumerate(FEET):
            for s, e in contact_segments(out.contacts[:, f]):
                xy = joints[s:e, ankle, :2]
                worst = max(worst, np.linalg.norm(xy - xy[0], axis=-1).max())
        return worst
    assert worst_slide(out.joints) < 0.002
    assert worst_slide(unlocked.joints) > 0.01              # the bound is not trivially met
    lengths = bone_lengths(out.joints)                      # IK kept the legs rigid
    assert (lengths.std(axis=0) / lengths.mean(axis=0)).max() < 1e-6


def test_feet_stay_planted_when_the_hips_drift_up():
    """The lifted body rises up to 10 cm above its feet during the clip (a depth/scale error):
    planted legs cannot reach their anchors, so the body is lowered (< 10 cm) rather than the
    feet sliding (this fails without the lowering)."""
    truth, stance, noisy = noisy_walk(frames=300, sigma=0.003)
    rise = 0.10 * np.sin(np.linspace(0, 6 * np.pi, len(noisy))) ** 2
    lifted = noisy.copy()
    upper = [j for j in range(17) if j not in (2, 3, 5, 6)]   # all but knees and ankles
    lifted[:, upper, 2] += rise[:, None]
    out = clean_motion(lifted, None, FPS, CleanOptions(smoothness=0.5, ground=False))
    for f, ankle in enumerate(FEET):
        for s, e in contact_segments(out.contacts[:, f]):
            xyz = out.joints[s:e, ankle]
            assert np.linalg.norm(xyz - xyz[0], axis=-1).max() < 0.002
    lengths = bone_lengths(out.joints)
    assert (lengths.std(axis=0) / lengths.mean(axis=0)).max() < 1e-6
    assert (out.joints[:, ROOT, 2] - lifted[:, ROOT, 2]).min() > -0.10


def test_ground_levelled_and_soles_on_zero():
    """The walk lifted 0.3 m and tilted 8° (camera pitch): soles back on z = 0 along 6 m."""
    truth, stance, noisy = noisy_walk(frames=300, sigma=0.005)
    tilt = rotation_about_axis([1, 0, 0], np.radians(8))
    moved = noisy @ tilt.T + [0, 0, 0.3]
    out = clean_motion(moved, None, FPS, CleanOptions(smoothness=0.5))
    assert out.ground_height == 0.0
    planted = np.concatenate([out.joints[out.contacts[:, f], a] for f, a in enumerate(FEET)])
    sole = planted[:, 2] - sole_offset(out.joints)
    assert np.abs(np.median(sole)) < 0.01
    start, end = planted[planted[:, 1] > -1.0], planted[planted[:, 1] < -5.0]
    assert abs(np.median(start[:, 2]) - np.median(end[:, 2])) < 0.02


def test_no_foot_below_the_floor():
    """A lifter error pushes the right ankle 12 cm down for a second: after cleaning no sole is
    below z = 0 (1 mm), bones keep their lengths (the body is raised, the pose kept)."""
    truth, _, noisy = noisy_walk(frames=240, sigma=0.003)
    noisy[90:120, 3, 2] -= 0.12
    out = clean_motion(noisy, None, FPS, CleanOptions(smoothness=0.3))
    soles = out.joints[:, list(FEET), 2] - sole_offset(out.joints)
    assert soles.min() > -1e-3
    lengths = bone_lengths(out.joints)
    assert (lengths.std(axis=0) / lengths.mean(axis=0)).max() < 1e-6


def test_person_leaving_the_frame_does_not_explode():
    truth, _, noisy = noisy_walk()
    conf = np.full(noisy.shape[:2], 0.9)
    noisy[60:90] = np.nan          # nobody in the frame for 1 s
    conf[60:90] = 0.0
    conf[100:110, 13] = 0.05       # a wrist the detector is unsure of
    noisy[100:110, 13] += 2.0      # … and wildly wrong
    out = clean_motion(noisy, conf, FPS, CleanOptions())
    assert np.isfinite(out.joints).all()
    # The swinging foot of the true walk moves up to 0.155 m/frame; locking makes it catch up a
    # little faster when it leaves the floor. An explosion would be metres.
    step = np.linalg.norm(np.diff(out.joints, axis=0), axis=-1).max()
    truth_step = np.linalg.norm(np.diff(truth, axis=0), axis=-1).max()
    assert step < 1.5 * truth_step, f"largest joint step {step:.3f} m/frame"
    assert np.abs(out.joints[100:110, 13] - truth[100:110, 13]).max() < 0.3


def test_joint_never_confident_keeps_its_values():
    truth, _, noisy = noisy_walk()
    conf = np.full(noisy.shape[:2], 0.9)
    conf[:, 16] = 0.1              # e.g. a wrist hidden behind the body the whole clip
    out = clean_motion(noisy, conf, FPS, CleanOptions(smoothness=0.5, ground=False, lock_feet=False))
    assert np.abs(out.joints[:, 16] - truth[:, 16]).max() < 0.05


def test_in_place_keeps_pelvis_over_origin():
    _, _, noisy = noisy_walk()
    out = clean_motion(noisy, None, FPS, CleanOptions(in_place=True))
    assert np.abs(out.joints[:, ROOT, :2]).max() < 1e-12


@pytest.mark.parametrize("frames", [1, 2, 7])
def test_very_short_clips(frames):
    _, _, noisy = noisy_walk(frames=frames)
    out = clean_motion(noisy, None, FPS)
    assert out.joints.shape == (frames, 17, 3) and np.isfinite(out.joints).all()


def test_bad_input_messages():
    _, _, noisy = noisy_walk(frames=20)
    with pytest.raises(AmbiblendError, match=r"shape \(T, 17, 3\)"):
        clean_motion(noisy[:, :5], None, FPS)
    with pytest.raises(AmbiblendError, match="Frame rate must be positive"):
        clean_motion(noisy, None, 0)
    with pytest.raises(AmbiblendError, match="no frames"):
        clean_motion(noisy[:0], None, FPS)
    lost = noisy.copy()
    lost[:, 13] = np.nan
    with pytest.raises(AmbiblendError, match="Joint 13 is never detected"):
        clean_motion(lost, None, FPS)
    with pytest.raises(AmbiblendError, match="Confidences must have shape"):
        clean_motion(noisy, np.ones((20, 3)), FPS)


def test_long_occlusion_keeps_the_lifted_joint_short_gaps_and_absent_joints_are_filled():
    """A wrist at occluded-limb confidence (0.2) for 1 s keeps the lifter's estimate (a straight
    line through the occlusion would be worse); the same for 3 frames is interpolated, and a
    joint the detector has lost (0.05) is interpolated however long."""
    from ambiblend.core.clean.filters import fill_gaps, valid_mask
    truth, _, _ = noisy_walk(frames=120, sigma=0.0)
    conf = np.full(truth.shape[:2], 0.9)
    conf[30:60, 13] = 0.2      # 1 s occluded
    conf[80:83, 13] = 0.2      # 0.1 s
    conf[90:120, 16] = 0.05    # lost
    ok = valid_mask(truth, conf, fps=FPS)
    assert ok[30:60, 13].all() and not ok[80:83, 13].any() and not ok[90:120, 16].any()
    filled = fill_gaps(truth, ok)
    np.testing.assert_array_equal(filled[30:60, 13], truth[30:60, 13])
    np.testing.assert_allclose(filled[81, 13], truth[79, 13] + (truth[83, 13] - truth[79, 13]) / 2, atol=1e-12)
    assert not valid_mask(truth, conf)[30:60, 13].any()   # without fps: the old rule, every span


def test_despike_removes_a_one_frame_flicker_and_keeps_smooth_motion():
    from ambiblend.core.clean.filters import despike
    t = np.arange(120) / FPS
    smooth = np.stack([np.sin(2 * np.pi * 1.0 * t), np.cos(2 * np.pi * 0.5 * t)], axis=1)
    spiky = smooth.copy()
    spiky[50] += 0.5
    out = despike(spiky, FPS, 0.5)
    # The spike (0.5) is gone: what is left is at most one frame's own motion (a neighbour's value).
    assert abs(out[50, 0] - smooth[50, 0]) <= np.abs(np.diff(smooth[49:52, 0])).max() + 1e-12
    slow = smooth[:, 1]                                                    # 0.5 Hz survives
    assert np.abs(despike(slow[:, None], FPS, 0.5)[:, 0] - slow).max() < 0.012
    np.testing.assert_array_equal(despike(spiky, FPS, 0.0), spiky)         # smoothness 0: untouched

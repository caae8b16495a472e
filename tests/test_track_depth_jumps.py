"""A root jump the image does not show is the depth estimate's: the pose is kept and only the
root's path is repaired; a jump the image shows too becomes a gap (``track.jumps``)."""
import numpy as np

from ambiblend.core.skeleton import ROOT
from ambiblend.core.track.jumps import remove_jumps

FPS = 30.0


def _walk(frames=60):
    rng = np.random.default_rng(3)
    pose = rng.normal(scale=0.3, size=(17, 3))
    pose[ROOT] = 0.0
    t = np.arange(frames) / FPS
    root = np.stack([1.0 * t, 4.0 + 0.0 * t, 0.9 + 0.0 * t], axis=1)      # 1 m/s along X, 4 m away
    joints = pose[None] + root[:, None]
    xy = joints[..., [0, 2]] * np.array([300.0, -300.0]) + (960.0, 800.0)   # what the image shows
    return joints, xy


def test_depth_only_jump_keeps_the_pose_and_repairs_the_root_path():
    truth, xy = _walk()
    lifted = truth.copy()
    lifted[20:26, :, 1] += 1.5                     # the root depth estimate leaps 1.5 m for 6 frames
    conf, filled = np.full((60, 17), 0.9), np.zeros(60, bool)
    out, c, f, jumps = remove_jumps(lifted, conf, filled, FPS, xy=xy)
    assert jumps.count == 2 and not f.any() and (c == 0.9).all()
    assert int(jumps.depth_frames.sum()) == 6 and "root depth repaired in 6 frames" in jumps.describe()
    np.testing.assert_allclose(out, truth, atol=1e-9)          # root path back on its line, pose kept
    # Without the 2D the same frames become a gap (the earlier behaviour).
    _, c2, f2, _ = remove_jumps(lifted, conf, filled, FPS)
    assert f2[20:26].all() and (c2[20:26] == 0).all()


def test_jump_the_image_shows_is_still_a_gap():
    truth, xy = _walk()
    lifted, seen = truth.copy(), xy.copy()
    lifted[20:26] += (2.0, 0.0, 0.0)               # someone else, 2 m to the side…
    seen[20:26] += (600.0, 0.0)                    # …and the image shows it
    out, c, f, jumps = remove_jumps(lifted, np.full((60, 17), 0.9), np.zeros(60, bool), FPS, xy=seen)
    assert f[20:26].all() and not f[:20].any() and (c[20:26] == 0).all()
    assert not jumps.depth_frames.any() if jumps.depth_frames is not None else True
    np.testing.assert_allclose(out, truth, atol=1e-9)          # interpolated through the gap

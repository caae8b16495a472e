"""``core.export``: the lifted joints as a plain-numpy .npz, written and read back without Blender."""
import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.export import load_motion_npz, save_motion_npz
from ambiblend.core.pipeline import Motion
from ambiblend.core.skeleton import JOINTS


def _motion(frames=12):
    rng = np.random.default_rng(0)
    return Motion(joints=rng.normal(size=(frames, 17, 3)), fps=29.97, scale=np.ones(frames),
                  conf=rng.uniform(0, 1, (frames, 17)), filled=np.arange(frames) % 5 == 0,
                  source="walk.mp4", meters_per_unit=1.0)


def test_round_trip_is_exact_and_needs_no_pickle(tmp_path):
    motion = _motion()
    path = save_motion_npz(motion, tmp_path / "walk.npz")
    back = load_motion_npz(path)
    np.testing.assert_array_equal(back["joints"], motion.joints)              # float64, exact
    np.testing.assert_allclose(back["conf"], motion.conf, atol=1e-7)          # stored float32
    assert back["filled"].tolist() == motion.filled.tolist() and float(back["fps"]) == 29.97
    assert back["joint_names"].tolist() == list(JOINTS)
    with np.load(path, allow_pickle=False) as f:                               # any numpy reads it
        assert f["joints"].shape == (12, 17, 3)


def test_bad_paths_and_files_are_clear_errors(tmp_path):
    with pytest.raises(AmbiblendError, match="must end in .npz"):
        save_motion_npz(_motion(), tmp_path / "walk.fbx")
    with pytest.raises(AmbiblendError, match="Cannot write .*missing/walk.npz"):
        save_motion_npz(_motion(), tmp_path / "missing" / "walk.npz")
    np.savez(tmp_path / "other.npz", xy=np.zeros((3, 17, 2)))
    with pytest.raises(AmbiblendError, match="other.npz lacks joints, fps, conf, filled, joint_names"):
        load_motion_npz(tmp_path / "other.npz")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(AmbiblendError, match="cut.npz is not a readable motion .npz file"):
        load_motion_npz(tmp_path / "cut.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.npz", "other.npz"]   # nothing written

"""Human3.6M VideoPose3D-layout loader on a tiny file in that layout written by the test."""
import json

import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from training.data.h36m import KEEP_32, action_group, load_h36m, main


def write_layout(tmp_path, frames=12):
    rng = np.random.default_rng(0)
    world = {s: {a: rng.normal(size=(frames, 32, 3)) + [0, 0, 0] for a in ("Walking 1", "Eating")}
             for s in ("S1", "S9")}
    cams = {s: [{"R": np.eye(3).tolist(), "t": [0.0, 0.0, 5.0 + c]} for c in range(4)] for s in world}
    # 2D a frame longer than 3D, as in the public files
    pos2d = {s: {a: [rng.normal(size=(frames + 1, 17, 2)) * 100 + 500 for _ in range(4)]
                 for a in world[s]} for s in world}
    np.savez(tmp_path / "d3.npz", positions_3d=np.array(world, dtype=object))
    np.savez(tmp_path / "d2.npz", positions_2d=np.array(pos2d, dtype=object),
             metadata=np.array({"num_joints": 17}, dtype=object))
    (tmp_path / "cams.json").write_text(json.dumps(cams))
    return world, pos2d


def test_loader_keeps_17_joints_in_camera_frame(tmp_path):
    world, pos2d = write_layout(tmp_path)
    data = load_h36m(tmp_path / "d2.npz", tmp_path / "d3.npz", tmp_path / "cams.json", subjects=("S9",))
    assert len(data) == 8 and data.fps == 50.0
    assert list(data.names[:2]) == ["S9/Eating/cam0", "S9/Eating/cam1"]
    assert sorted(set(data.groups)) == ["Eating", "Walking"]
    i = list(data.names).index("S9/Walking 1/cam2")
    expected = world["S9"]["Walking 1"][:, KEEP_32] + [0.0, 0.0, 7.0]
    np.testing.assert_allclose(data.sequence(i, "poses_3d"), expected, atol=1e-5)
    np.testing.assert_allclose(data.sequence(i), pos2d["S9"]["Walking 1"][2][:12], atol=1e-3)


def test_loader_2d_only_and_cli(tmp_path):
    write_layout(tmp_path)
    data = load_h36m(tmp_path / "d2.npz", subjects=("S1",))
    assert data.poses_3d is None and data.num_frames == 8 * 13
    assert main(["--2d", str(tmp_path / "d2.npz"), "--subjects", "S1,S9", "--out", str(tmp_path / "o.npz")]) == 0
    assert (tmp_path / "o.npz").is_file()


def test_loader_errors(tmp_path):
    write_layout(tmp_path)
    with pytest.raises(AmbiblendError, match="Subject S11 is not in d2.npz"):
        load_h36m(tmp_path / "d2.npz", subjects=("S11",))
    with pytest.raises(AmbiblendError, match="has no 'positions_2d'"):
        load_h36m(tmp_path / "d3.npz")
    with pytest.raises(AmbiblendError, match="not found"):
        load_h36m(tmp_path / "missing.npz")
    assert action_group("WalkDog.2") == "WalkDog" and action_group("Sitting Down 1") == "Sitting Down"

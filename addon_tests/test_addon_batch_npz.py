"""``--formats npz``: the batch writes the lifted joints, and what it writes is the Motion that was
baked — read back with plain numpy, equal to ``run_pipeline``'s Motion within 1e-6 and to the
baked armature's joints on sampled frames."""
from __future__ import annotations

import bpy
import numpy as np
from ambi_helpers import SAMPLE_KEYPOINTS, posed_world_joints

from ambiblend import batch
from ambiblend.core.pipeline import load_lifting_model, run_pipeline
from ambiblend.core.skeleton import JOINTS


def test_npz_format_holds_the_baked_motion(tmp_path, weights_path):
    args = batch.parse_args(["--", "--input", str(SAMPLE_KEYPOINTS), "--output", str(tmp_path),
                             "--weights", str(weights_path), "--formats", "npz,fbx", "--smoothness", "0.3"])
    options = batch.make_options(args)
    model = load_lifting_model(options)
    written = batch.process(SAMPLE_KEYPOINTS, tmp_path, options, model, args, "walk")
    assert [p.name for p in written] == ["walk.fbx", "walk.npz"]
    motion = run_pipeline(SAMPLE_KEYPOINTS, options, model=model)

    with np.load(tmp_path / "walk.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["conf", "filled", "fps", "joint_names", "joints"]
        joints, fps, conf, filled, names = (f[k] for k in ("joints", "fps", "conf", "filled", "joint_names"))
    assert joints.shape == (motion.num_frames, 17, 3) and joints.dtype == np.float64
    np.testing.assert_allclose(joints, motion.joints, atol=1e-6, rtol=0)
    np.testing.assert_allclose(conf, motion.conf, atol=1e-6, rtol=0)
    assert filled.dtype == bool and filled.tolist() == motion.filled.tolist()
    assert fps.shape == () and float(fps) == motion.fps
    assert names.tolist() == list(JOINTS)

    # The scene still holds the armature the batch baked from that Motion: same joints.
    (arm,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    start = bpy.context.scene.frame_start
    frames = [0, motion.num_frames // 2, motion.num_frames - 1]
    np.testing.assert_allclose(posed_world_joints(arm, [start + t for t in frames]), joints[frames], atol=1e-4)

"""Every bad input gives a clear error through the operator and leaves the scene unchanged
(datablocks, selection, active object, frame range and fps compared before/after)."""
from __future__ import annotations

import bpy
import cv2
import numpy as np
import pytest
from ambi_helpers import SAMPLE_KEYPOINTS, scene_state


def _write_video(path, frames, fourcc="mp4v", fps=30):
    h, w = (64, 64) if not len(frames) else frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def _busy_scene():
    """A scene with something in it: a cube and an earlier lift (armature + action)."""
    bpy.context.scene.ambiblend.clip_path = str(SAMPLE_KEYPOINTS)
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    bpy.ops.mesh.primitive_cube_add()   # the cube is now active, so a lift would build a new rig


def _fails_unchanged(message, operator=lambda: bpy.ops.ambiblend.lift_video()):
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        operator()
    assert message in str(info.value)
    assert scene_state() == before


def _lift(path):
    bpy.context.scene.ambiblend.clip_path = str(path)


def test_missing_and_empty_path(addon):
    _busy_scene()
    _lift("/nonexistent/clip.mp4")
    _fails_unchanged("Input not found: /nonexistent/clip.mp4")
    _lift("")
    _fails_unchanged("No input chosen: pick a video or a keypoint file.")


def test_corrupt_and_zero_frame_videos(addon, tmp_path):
    _busy_scene()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    _lift(corrupt)
    _fails_unchanged("Could not open corrupt.mp4 as a video")
    _lift(_write_video(tmp_path / "zero.avi", [], fourcc="XVID"))
    _fails_unchanged("The video zero.avi has no frames")
    (tmp_path / "empty.mp4").write_bytes(b"")
    _lift(tmp_path / "empty.mp4")
    _fails_unchanged("The video file empty.mp4 is empty (0 bytes).")


def test_video_without_person(addon, tmp_path):
    _busy_scene()
    rng = np.random.default_rng(1)
    noise = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(8)]
    _lift(_write_video(tmp_path / "noise.mp4", noise))
    _fails_unchanged("No person was detected in noise.mp4")


def test_wrong_shape_and_corrupt_weights(addon, tmp_path):
    torch = pytest.importorskip("torch")   # writes .pt checkpoints (absent on Blender 5.2's suite)
    from ambiblend.core.lift.checkpoint import save_checkpoint
    from ambiblend.core.lift.model import Lifter
    from ambiblend.core.scale.model import ScaleNet
    _busy_scene()
    _lift(SAMPLE_KEYPOINTS)
    # model_args say width 64, the stored tensors are width 32: shapes do not fit.
    args = {"scale": {"width": 64, "blocks": 1}, "lifter": {"width": 64, "blocks": 1}}
    wrong = tmp_path / "wrong.pt"
    save_checkpoint(wrong, ScaleNet(width=32, blocks=1), Lifter(width=32, blocks=1), args,
                    {"mode": "clip", "root_depth": 10.0})
    addon.weights = str(wrong)
    _fails_unchanged("wrong.pt: the scale weights do not fit the network")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint" * 100)
    addon.weights = str(corrupt)
    _fails_unchanged("Weights file corrupt.pt is corrupt or not a PyTorch")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    addon.weights = str(foreign)
    _fails_unchanged("foreign.pt is not an AmbiBlend lifter checkpoint")
    addon.weights = str(tmp_path / "missing.pt")
    _fails_unchanged("Weights file not found:")


def test_export_needs_an_armature(addon, tmp_path):
    _busy_scene()   # the active object is the cube
    path = tmp_path / "x.fbx"
    _fails_unchanged("Select an armature to export: 'Cube' is a mesh.",
                     lambda: bpy.ops.ambiblend.export_fbx(filepath=str(path)))
    bpy.context.view_layer.objects.active = None
    _fails_unchanged("Select the armature to export (nothing is selected).",
                     lambda: bpy.ops.ambiblend.export_fbx(filepath=str(path)))
    assert not path.exists()


def test_malformed_keypoint_files(addon, tmp_path):
    # Issue 15, cases 4 and 5: these raised BadZipFile / TypeError / AttributeError tracebacks
    # in the operator's report; now the file and the problem, the scene and the file unchanged.
    _busy_scene()
    data = SAMPLE_KEYPOINTS.read_bytes()
    cases = [("cut.npz", data[: len(data) // 2], "cut.npz is not a readable .npz file (damaged or truncated"),
             ("people.json", b'{"people": [5, "x"]}', "people.json: each entry of 'people' must be an object"),
             ("empty.json", b"[]", "empty.json: the COCO keypoint list is empty"),
             ("text.json", b'[{"keypoints": "1 2 3"}]', "text.json: a keypoint list must be a list of numbers")]
    for name, content, message in cases:
        (tmp_path / name).write_bytes(content)
        _lift(tmp_path / name)
        _fails_unchanged(message)
        assert (tmp_path / name).read_bytes() == content

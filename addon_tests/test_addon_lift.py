"""Lift Video end to end in real Blender: the bundled real clip → MediaPipe → lifter → keyed
armature; and the keyed result checked against the lifted joints it was made from."""
from __future__ import annotations

import bpy
import numpy as np
from ambi_helpers import SAMPLE_KEYPOINTS, SAMPLE_VIDEO, channelbag, posed_world_joints

from ambiblend.core.skeleton import ANKLE_TO_SOLE, JOINT_INDEX, bone_lengths, standing_height

N_CHANNELS = 17 * 4 + 3   # a quaternion per bone + the root bone's location


def _check_keys(obj, n_frames):
    """Every animated channel has exactly one key per frame, on frames 1..n."""
    fcurves = channelbag(obj).fcurves
    assert len(fcurves) == N_CHANNELS
    expected = np.arange(1, n_frames + 1, dtype=np.float32)
    for fc in fcurves:
        co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        assert np.array_equal(co[0::2], expected), fc.data_path


def test_lift_video_on_bundled_clip(addon):
    from ambiblend.core.detect import load_keypoints
    reference = load_keypoints(SAMPLE_KEYPOINTS)   # the same clip's detection, shipped beside it
    bpy.context.scene.ambiblend.clip_path = str(SAMPLE_VIDEO)
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}

    obj = bpy.context.active_object
    assert obj.type == "ARMATURE" and obj.name == "pose2sim_cam04"
    assert len(obj.data.bones) == 17 and obj.data.bones["forearm.L"].parent.name == "upper_arm.L"
    n = reference.num_frames
    scene = bpy.context.scene
    assert (scene.frame_start, scene.frame_end) == (1, n)
    assert abs(scene.render.fps / scene.render.fps_base - reference.fps) < 1e-3
    _check_keys(obj, n)
    assert obj.animation_data.action.slots[0] == obj.animation_data.action_slot

    # The rig is upright in Z-up and has the subject height (1.70 m default, ±5 cm: the metric
    # scale is set on the raw lift's median bone lengths, the rig's on the cleaned ones).
    joints = posed_world_joints(obj, range(1, n + 1, 9))
    j = JOINT_INDEX
    assert np.all(joints[:, j["head"], 2] > joints[:, j["pelvis"], 2])
    assert np.all(joints[:, j["pelvis"], 2] > joints[:, [j["left_ankle"], j["right_ankle"]], 2].max(axis=1))
    height = standing_height(np.median(bone_lengths(joints), axis=0))
    assert abs(height - 1.70) < 0.05
    # Camera → Blender axes and left/right: the sample films the man from behind, so his left hip
    # is on the image's left → Blender −X, and he faces +Y (away from the camera at −Y).
    left_minus_right = joints[:, j["left_hip"], 0] - joints[:, j["right_hip"], 0]
    assert np.mean(left_minus_right < 0) > 0.9


def test_keys_reproduce_lifted_joints_and_second_lift_is_new_action(lifted):
    obj = lifted
    first = obj.animation_data.action
    stored = np.asarray(first["ambiblend_joints"], dtype=np.float64).reshape(-1, 17, 3)
    frames = [1, 10, 33, 64, 100]
    # Cleaning keeps bone lengths constant, so the bone-rotation rig reproduces every joint
    # (not just directions): within 1 mm (float32 keys).
    err = np.abs(posed_world_joints(obj, frames) - stored[np.array(frames) - 1]).max()
    assert err < 1e-3, err

    objects = len(bpy.data.objects)
    bpy.context.scene.ambiblend.subject_height = 1.50
    bpy.ops.object.mode_set(mode="POSE")   # animators often lift again from pose mode
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    assert bpy.context.mode == "OBJECT"
    second = obj.animation_data.action
    assert second != first and first.name in bpy.data.actions   # old action kept
    assert first.use_fake_user and len(bpy.data.objects) == objects
    assert bpy.context.active_object == obj
    _check_keys(obj, len(stored))
    # The rig keeps its bones, so the 1.50 m lift is scaled to the rig's 1.70 m and still
    # reproduced joint for joint.
    stored2 = np.asarray(second["ambiblend_joints"], dtype=np.float64).reshape(-1, 17, 3)
    assert abs(standing_height(np.median(bone_lengths(stored2), axis=0)) - 1.70) < 0.05
    err = np.abs(posed_world_joints(obj, frames) - stored2[np.array(frames) - 1]).max()
    assert err < 1e-3, err


def test_lift_raw_in_place_on_the_ground(addon):
    """Cleaning off, root motion off: the pipeline's own placement — pelvis above the origin in
    every frame, and the median over frames of the lower ankle at sole height (z = 0 floor)."""
    settings = bpy.context.scene.ambiblend
    settings.clip_path, settings.clean, settings.root_motion = str(SAMPLE_KEYPOINTS), False, False
    settings.subject_height = 1.62
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    obj = bpy.context.active_object
    joints = posed_world_joints(obj, range(1, 101))
    assert np.abs(joints[:, JOINT_INDEX["pelvis"], :2]).max() < 1e-4
    # Raw bone lengths vary, so the rig (median lengths) matches bone directions, not positions:
    # check the ground placement on the lifted joints stored with the action.
    stored = np.asarray(obj.animation_data.action["ambiblend_joints"]).reshape(-1, 17, 3)
    feet = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    assert abs(np.median(stored[:, feet, 2].min(axis=1)) - ANKLE_TO_SOLE * 1.62) < 1e-3
    from ambiblend.core.skeleton import bone_vectors
    a, b = bone_vectors(joints), bone_vectors(stored)
    cos = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.05

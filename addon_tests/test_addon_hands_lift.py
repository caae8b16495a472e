"""Lift Video with the panel's Hands switch on, as a user runs it (issue 14): the bundled real
clip through real MediaPipe, and an OpenPose folder with known hand keypoints, through
``bpy.ops.ambiblend.lift_video`` → finger bones keyed, the report saying how often each hand
was seen; a malformed hand array → the clear error, the scene as it was."""
from __future__ import annotations

import re

import bpy
import numpy as np
import pytest
from ambi_helpers import SAMPLE_VIDEO, channelbag, scene_state

from ambiblend.blender.hands import HAND_BONES, finger_bone
from ambiblend.core.hands.landmarks import FINGERS
from tests.hand_keypoint_files import CURLS, N, openpose_folder

FOUND = re.compile(r"Hands: left hand in (\d+)/(\d+) frames, right hand in (\d+)/(\d+) frames")


def lift_with_hands(clip, capfd) -> str:
    """Hands on, Lift Video on ``clip`` → the operator's INFO report (Blender prints it)."""
    settings = bpy.context.scene.ambiblend
    settings.clip_path, settings.hands = str(clip), True
    capfd.readouterr()
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    out = capfd.readouterr()
    return out.out + out.err


def finger_rotations(obj) -> dict[str, np.ndarray]:
    """{finger bone: (keys, 4) keyed quaternions} from the armature's active action."""
    curves = {}
    for fc in channelbag(obj).fcurves:
        bone = fc.data_path.split('"')[1]
        if bone in HAND_BONES and fc.data_path.endswith("rotation_quaternion"):
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            curves.setdefault(bone, {})[fc.array_index] = co[1::2]
    return {b: np.stack([c[i] for i in range(4)], axis=-1) for b, c in curves.items()}


def angle_from_identity_deg(q: np.ndarray) -> np.ndarray:
    return np.degrees(2 * np.arccos(np.clip(np.abs(q[..., 0]), 0, 1)))


def bend_deg(obj, a: str, b: str) -> float:
    """Angle between the posed directions of bones ``a`` and ``b`` (the joint between them)."""
    d = [np.array(obj.pose.bones[n].tail) - np.array(obj.pose.bones[n].head) for n in (a, b)]
    return float(np.degrees(np.arccos(np.clip(d[0] @ d[1] / np.linalg.norm(d[0]) / np.linalg.norm(d[1]), -1, 1))))


def test_lift_video_with_hands_on_the_bundled_clip(addon, capfd):
    pytest.importorskip("mediapipe")
    report = lift_with_hands(SAMPLE_VIDEO, capfd)
    obj = bpy.context.active_object
    assert obj.type == "ARMATURE" and set(HAND_BONES) <= set(obj.data.bones.keys())
    assert len(obj.data.bones) == 17 + len(HAND_BONES)
    found = FOUND.search(report)
    assert found, report
    left, n, right, n2 = map(int, found.groups())
    frames = bpy.context.scene.frame_end
    assert n == n2 == frames == 100
    # Measured on this clip (mediapipe 0.10.21): left 88, right 50 of 100; crops around the
    # wrists, so both hands are seen in a good share of the frames.
    assert left >= 60 and right >= 25, report
    rotations = finger_rotations(obj)
    assert set(rotations) == set(HAND_BONES)          # every hand bone of both (keyed) sides
    assert all(len(q) == frames for q in rotations.values())
    for side in "LR":
        swings = {(f, k): angle_from_identity_deg(rotations[finger_bone(f, k, side)]) for f in FINGERS for k in range(3)}
        # every finger bone's keys change over the clip (keyed from the video, not a held pose)
        assert all(np.ptp(w) > 0.5 for w in swings.values()), {b: np.ptp(w) for b, w in swings.items()}
        # and the hand is not the flat rest hand: typical bones bend well beyond it (measured:
        # all but the left thumb tip over 15°)
        assert np.median([w.max() for w in swings.values()]) > 10.0, side


def test_lift_openpose_folder_with_hands_then_a_malformed_hand_array(addon, capfd, tmp_path):
    report = lift_with_hands(openpose_folder(tmp_path / "good"), capfd)
    assert f"Hands: left hand in {N}/{N} frames, right hand in {N}/{N} frames" in report, report
    obj = bpy.context.active_object
    assert set(HAND_BONES) <= set(obj.data.bones.keys())
    assert set(finger_rotations(obj)) == set(HAND_BONES)
    # The keyed fingers bend by the curls written into the file (joints 2 and 3 of each finger:
    # pure curls, no spread), on both hands.
    for frame in (1, N // 2, N):
        bpy.context.scene.frame_set(frame)
        for side in "LR":
            for f, finger in enumerate(FINGERS):
                for k in (1, 2):
                    got = bend_deg(obj, finger_bone(finger, k - 1, side), finger_bone(finger, k, side))
                    assert abs(got - np.degrees(CURLS[f, k])) < 5.0, (frame, side, finger, k, got)

    bad = openpose_folder(tmp_path / "bad", bad_frame=3)
    bpy.context.scene.ambiblend.clip_path = str(bad)
    bpy.ops.mesh.primitive_cube_add()   # active: a lift would build a new armature
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.ambiblend.lift_video()
    assert ("clip_000000000003_keypoints.json: 'hand_left_keypoints_2d' has 60 numbers; expected 3 × 21 = 63"
            in str(info.value))
    assert scene_state() == before


def test_hands_off_keeps_the_17_bone_armature(addon, tmp_path):
    """The switch is what decides: a folder with hand keypoints, Hands off → no finger bones."""
    settings = bpy.context.scene.ambiblend
    settings.clip_path, settings.hands = str(openpose_folder(tmp_path)), False
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    assert len(bpy.context.active_object.data.bones) == 17

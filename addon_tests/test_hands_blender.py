"""Finger animation in Blender (real bpy, real MediaPipe on the sample's first frames): our
armature gets keyed finger bones, FBX/BVH/glTF carry them (the FBX read back), and retargeting
keys the fingers a rig has (partial fingers) and skips a rig without any, saying so."""
from __future__ import annotations

import bpy
import numpy as np
import pytest
from ambi_helpers import SAMPLE_VIDEO

from ambiblend.blender.armature import bake_motion
from ambiblend.blender.hands import HAND_BONES, finger_bone
from ambiblend.blender.operators import LiftRequest, bake_lift
from ambiblend.blender.retarget import hands_plan, retarget, source_hands, source_motion
from ambiblend.core.hands.landmarks import CHAINS, FINGERS
from tests.rig_specs import mixamo_spec

N = 20


@pytest.fixture(scope="module")
def hand_motion():
    """The sample's first N frames lifted (bundled weights, numpy) with hands detected."""
    pytest.importorskip("mediapipe")
    from ambiblend.core.clean import CleanOptions
    from ambiblend.core.detect import detect_video
    from ambiblend.core.hands import add_hands
    from ambiblend.core.pipeline import PipelineOptions, lift_keypoints, load_lifting_model
    options = PipelineOptions(clean=CleanOptions())
    kp = detect_video(SAMPLE_VIDEO, max_frames=N)
    motion = lift_keypoints(kp, load_lifting_model(options), options)
    note = add_hands(motion, kp, SAMPLE_VIDEO)
    assert motion.info["hands"].keyed.all(), note
    return motion


def tips(obj, frames, side="L"):
    """(len(frames), 5, 3) world positions of the fingertips of our armature's hand ``side``."""
    mw = np.array(obj.matrix_world)
    out = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        out.append([mw[:3, :3] @ np.array(obj.pose.bones[finger_bone(n, 2, side)].tail) + mw[:3, 3] for n in FINGERS])
    return np.array(out)


def test_fingers_keyed_exported_and_fbx_read_back(hand_motion, tmp_path):
    from ambiblend.blender.export import export_all
    report = bake_lift(bpy.context, hand_motion, LiftRequest(str(SAMPLE_VIDEO), None, None, hands=True))
    assert f"Hands: left hand in {int(hand_motion.info['hands'].found[:, 0].sum())}/{N} frames" in report
    obj = bpy.context.active_object
    assert set(HAND_BONES) <= set(obj.data.bones.keys()) and len(obj.data.bones) == 17 + 32
    frames = [1, 7, 14, 20]
    before = tips(obj, frames)
    want = hand_motion.info["hands"].joints[np.array(frames) - 1][:, [CHAINS[f][3] for f in FINGERS]]
    assert np.abs(before - want).max() < 1e-4                       # keyed where the hands stage put them
    wrist = np.array([np.array(obj.pose.bones["forearm.L"].tail) for _ in [bpy.context.scene.frame_set(20)]])
    assert np.linalg.norm(before[-1] - wrist, axis=-1).max() < 0.25  # fingertips near the wrist
    paths = export_all(obj, tmp_path, "hands", ("fbx", "bvh", "glb"))
    bvh = paths[1].read_text()
    assert all(f"JOINT {b}" in bvh for b in HAND_BONES)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(paths[0]), anim_offset=0.0, ignore_leaf_bones=True)
    (fbx,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    after = tips(fbx, frames)
    assert np.abs(after - before).max() < 1e-3, np.abs(after - before).max()
    assert np.linalg.norm(after[0] - after[-1], axis=-1).max() > 0.002   # the fingers really move
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(paths[2]))
    (glb,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    assert set(HAND_BONES) <= set(glb.data.bones.keys())


def mixamo_with_fingers(fingers):
    """Mixamo-named rig; the left hand gets the listed fingers (3 bones each, along +X)."""
    spec = [(f"mixamorig:{n}", p and f"mixamorig:{p}", h, t) for n, p, h, t in mixamo_spec()]
    hand = next(s for s in spec if s[0] == "mixamorig:LeftHand")
    base = np.array(hand[3], dtype=float)
    for i, name in enumerate(fingers):
        parent, y = "mixamorig:LeftHand", -0.02 * (i - 1.5)
        for k in range(1, 4):
            head = base + (0.025 * (k - 1), y, 0)
            spec.append((f"mixamorig:LeftHand{name}{k}", parent, tuple(head), tuple(head + (0.025, 0, 0))))
            parent = f"mixamorig:LeftHand{name}{k}"
    arm = bpy.data.armatures.new("mixamo")
    obj = bpy.data.objects.new("mixamo", arm)
    bpy.context.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for n, p, h, t in spec:
        eb = arm.edit_bones.new(n)
        eb.head, eb.tail = tuple(map(float, h)), tuple(map(float, t))
        if p:
            eb.parent = arm.edit_bones[p]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def world_dir(obj, bone):
    mw = np.array(obj.matrix_world)
    pb = obj.pose.bones[bone]
    v = mw[:3, :3] @ (np.array(pb.tail) - np.array(pb.head))
    return v / np.linalg.norm(v)


def test_rig_with_partial_fingers_and_rig_without(hand_motion):
    from ambiblend.core.retarget.mapping import auto_map
    bpy.context.scene.render.fps = 60
    source, _ = bake_motion(bpy.context, hand_motion, "src")
    joints, fps = source_motion(source)
    hands = source_hands(source)
    rig = mixamo_with_fingers(["Thumb", "Index"])
    names = [b.name for b in rig.data.bones]
    _, mapping = auto_map(names)
    fingers, note = hands_plan(hands, names, mapping)
    assert set(fingers) == {"hand.L", "hand.R", "thumb.01.L", "thumb.02.L", "thumb.03.L",
                            "f_index.01.L", "f_index.02.L", "f_index.03.L"}
    assert note.startswith(" Hands: 8 of 32 hand bones mapped (mixamo); not on this rig: f_middle.01.L")
    retarget(bpy.context, joints, fps, rig, {**mapping, **fingers}, frame_start=1, hands=hands)
    bag = rig.animation_data.action.layers[0].strips[0].channelbag(rig.animation_data.action_slot)
    keyed = {fc.data_path.split('"')[1] for fc in bag.fcurves}
    assert {"mixamorig:LeftHandIndex2", "mixamorig:LeftHandThumb3", "mixamorig:RightHand"} <= keyed
    for f in (1, 10, 20):                      # the fingers point where the source's do
        bpy.context.scene.frame_set(f)
        for ours, theirs in (("f_index.02.L", "mixamorig:LeftHandIndex2"), ("thumb.03.L", "mixamorig:LeftHandThumb3"),
                             ("hand.L", "mixamorig:LeftHand")):
            cos = float(world_dir(source, ours) @ world_dir(rig, theirs))
            assert cos > np.cos(np.radians(3)), (f, ours, np.degrees(np.arccos(min(cos, 1))))
    # no hand bones at all: the body is retargeted, the hands skipped with a note
    bare = [s for s in mixamo_spec() if "Hand" not in s[0]]
    arm = bpy.data.armatures.new("bare")
    obj = bpy.data.objects.new("bare", arm)
    bpy.context.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for n, p, h, t in bare:
        eb = arm.edit_bones.new(n)
        eb.head, eb.tail = h, t
        if p:
            eb.parent = arm.edit_bones[p]
    bpy.ops.object.mode_set(mode="OBJECT")
    names = [b.name for b in obj.data.bones]
    _, mapping = auto_map(names)
    fingers, note = hands_plan(hands, names, mapping)
    assert fingers == {} and note == " Hands skipped: this rig has no finger bones the mapping recognises."
    retarget(bpy.context, joints, fps, obj, mapping, frame_start=1, hands=None)
    assert obj.animation_data.action is not None


def test_rigify_metarig_and_generated_rig_fingers_follow(hand_motion):
    import addon_utils
    from ambiblend.core.retarget.mapping import auto_map
    addon_utils.enable("rigify", default_set=True)
    bpy.context.scene.render.fps = 60
    source, _ = bake_motion(bpy.context, hand_motion, "src")
    joints, fps = source_motion(source)
    hands = source_hands(source)
    bpy.ops.object.armature_human_metarig_add()
    meta = bpy.context.active_object
    names = [b.name for b in meta.data.bones]
    kind, mapping = auto_map(names)
    fingers, note = hands_plan(hands, names, mapping)
    assert kind == "rigify" and len(fingers) == 32 and note == " Hands: 32 of 32 hand bones mapped (rigify)."
    retarget(bpy.context, joints, fps, meta, {**mapping, **fingers}, frame_start=1, hands=hands)
    bpy.context.scene.frame_set(12)
    for bone in ("f_middle.02.R", "f_pinky.03.L", "thumb.02.L", "f_index.01.R"):
        cos = float(world_dir(source, bone) @ world_dir(meta, bone))
        assert cos > np.cos(np.radians(3)), (bone, np.degrees(np.arccos(min(cos, 1))))
    for side in "LR":   # the rig's hand bone is not wrist → middle MCP: compare that vector
        cos = float(palm_dir(source, side) @ palm_dir(meta, side))
        assert cos > np.cos(np.radians(3)), (side, np.degrees(np.arccos(min(cos, 1))))
    # the rig Rigify generates from it: its DEF- finger bones (constraints muted by retarget)
    bpy.ops.object.select_all(action="DESELECT")
    bpy.context.view_layer.objects.active = meta
    meta.select_set(True)
    bpy.ops.pose.rigify_generate()
    rig = bpy.data.objects["rig"]
    names = [b.name for b in rig.data.bones]
    kind, mapping = auto_map(names)
    fingers, note = hands_plan(hands, names, mapping)
    assert kind == "rigify-def" and note == " Hands: 32 of 32 hand bones mapped (rigify-def)."
    retarget(bpy.context, joints, fps, rig, {**mapping, **fingers}, frame_start=1, hands=hands)
    bpy.context.scene.frame_set(12)
    for bone in ("f_middle.02.R", "f_pinky.03.L", "thumb.02.L", "f_index.01.R"):
        cos = float(world_dir(source, bone) @ world_dir(rig, f"DEF-{bone}"))
        assert cos > np.cos(np.radians(3)), (bone, np.degrees(np.arccos(min(cos, 1))))


def palm_dir(obj, side):
    mw = np.array(obj.matrix_world)
    v = mw[:3, :3] @ (np.array(obj.pose.bones[f"f_middle.01.{side}"].head) - np.array(obj.pose.bones[f"hand.{side}"].head))
    return v / np.linalg.norm(v)


def test_lift_with_hands_onto_an_armature_without_finger_bones(hand_motion):
    """An armature made by a lift without hands is keyed again with hands: the body is keyed, the
    hands are skipped and the report says why (nothing keyed on bones that are not there)."""
    import copy
    bare = copy.copy(hand_motion)
    bare.info = {k: v for k, v in hand_motion.info.items() if k not in ("hands", "hands_note")}
    old, _ = bake_motion(bpy.context, bare, "old")
    assert not any(b in old.data.bones for b in HAND_BONES)
    report = bake_lift(bpy.context, hand_motion, LiftRequest(str(SAMPLE_VIDEO), None, old.name, hands=True))
    assert "The armature has no finger bones (made by a lift without hands), so the hands were skipped" in report
    assert old.animation_data.action.name.startswith(SAMPLE_VIDEO.stem)

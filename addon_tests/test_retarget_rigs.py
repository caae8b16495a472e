"""Retargeting onto rigs built in the test with real bpy: Rigify's meta-rig and Mixamo-named
armatures (T- and A-pose, random bone rolls, centimetre bones under a rotated 0.01-scaled
object). The source is the rig's own forward kinematics under random poses (so the answer is
known exactly) or a synthetic walk baked on an AmbiBlend armature (different proportions)."""
from __future__ import annotations

import addon_utils
import bpy
import numpy as np
import pytest
from ambi_helpers import scene_state
from mathutils import Quaternion

from ambiblend.blender.retarget import automap, retarget
from ambiblend.core.pipeline import Motion
from ambiblend.core.retarget.mapping import MIXAMO, SLOT_TARGETS, bone_targets
from tests.rig_specs import mixamo_spec
from tests.walk_motion import walk

RNG = np.random.default_rng(7)
# Positions: keys are float32 and the rigs ~1.8 m tall; 0.5 mm is far below what shows.
TOL_M = 5e-4


@pytest.fixture(autouse=True)
def scene_at_30_fps(empty_scene):
    """The sources below are 30 fps; a factory scene runs at 24 (retarget resamples to it)."""
    bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 30, 1.0


def metarig(location=(0, 0, 0), rotation_z=0.0, scale=1.0):
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    obj = bpy.context.active_object
    obj.location = location
    obj.rotation_euler = (0, 0, rotation_z)
    obj.scale = (scale,) * 3
    bpy.context.view_layer.update()
    return obj


def mixamo_rig(name, arm_drop_deg=0.0, y_up_cm=False):
    """Mixamo-named humanoid facing −Y. y_up_cm: bones in centimetres, Y up, under an object
    rotated +90° about X and scaled 0.01 (what an FBX from Mixamo looks like in Blender)."""
    spec = mixamo_spec(arm_drop_deg)
    to_arm = (lambda p: 100 * np.array([p[0], p[2], -p[1]])) if y_up_cm else np.asarray
    obj = build_armature(name, [(f"mixamorig:{n}", p and f"mixamorig:{p}", to_arm(h), to_arm(t))
                                 for n, p, h, t in spec], rolls=RNG.uniform(-3, 3, len(spec)))
    if y_up_cm:
        obj.rotation_euler = (np.pi / 2, 0, 0)
        obj.scale = (0.01,) * 3
    bpy.context.view_layer.update()
    return obj


def build_armature(name, spec, rolls=None):
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    bpy.context.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for i, (n, parent, head, tail) in enumerate(spec):
        eb = arm.edit_bones.new(n)
        eb.head, eb.tail = tuple(map(float, head)), tuple(map(float, tail))
        eb.roll = 0.0 if rolls is None else float(rolls[i])
        if parent:
            eb.parent = arm.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def rig_joints(obj, mapping) -> np.ndarray:
    """(17, 3) world joint positions of the current pose: the head of the first mapped bone that
    starts at a joint, else the tail of the first that ends there (of its last ".001" segment
    for a split bone) — the solver's definition."""
    targets = bone_targets(mapping)
    found = {}
    mw = np.array(obj.matrix_world)
    for kind in ("head", "tail"):
        for name, t in targets.items():
            joint = getattr(t, kind)
            if joint not in found:
                while kind == "tail" and name + ".001" in obj.pose.bones:  # Rigify's split DEF bones
                    name += ".001"
                p = np.array(getattr(obj.pose.bones[name], kind))
                found[joint] = mw[:3, :3] @ p + mw[:3, 3]
    return np.stack([found[j] for j in range(17)])


def random_motion(obj, mapping, frames=12, max_angle=0.9):
    """World joints (T, 17, 3) of ``obj`` under random rotations of its mapped bones (and a
    random hips offset); the pose is reset afterwards."""
    out = []
    hips = obj.pose.bones[mapping["hips"]]
    for _ in range(frames):
        for bone in mapping.values():
            axis = RNG.normal(size=3)
            obj.pose.bones[bone].rotation_mode = "QUATERNION"
            obj.pose.bones[bone].rotation_quaternion = Quaternion(axis / np.linalg.norm(axis),
                                                                  RNG.uniform(-max_angle, max_angle))
        hips.location = RNG.normal(scale=0.2, size=3) / obj.scale[0]
        bpy.context.view_layer.update()
        out.append(rig_joints(obj, mapping))
    for pb in obj.pose.bones:
        pb.rotation_quaternion, pb.location = (1, 0, 0, 0), (0, 0, 0)
    bpy.context.view_layer.update()
    return np.stack(out)


def played_joints(obj, mapping, frames):
    out = []
    for f in frames:
        bpy.context.scene.frame_set(int(f))
        out.append(rig_joints(obj, mapping))
    return np.stack(out)


def test_rigify_metarig_scaled_rotated_object_matches_source():
    """Source: a meta-rig's own random poses, shrunk to 60 %. Target: a second meta-rig moved,
    turned 30° and scaled 1.5 at object level. Its joints = 1.5 / 0.6 · source + its location."""
    source_rig = metarig()
    kind, mapping = automap(source_rig)
    assert kind == "rigify" and len(mapping) == 12
    truth = random_motion(source_rig, mapping)
    source = 0.6 * truth
    target = metarig(location=(3, 1, 0), rotation_z=np.radians(30), scale=1.5)
    action = retarget(bpy.context, source, 30.0, target, mapping, frame_start=1)
    got = played_joints(target, mapping, range(1, len(source) + 1))
    want = 1.5 * truth + np.array([3, 1, 0])
    err = np.abs(got - want).max()
    assert err < TOL_M * 1.5, f"max joint error {err:.2e} m"
    assert len(target.constraints) == 0 and all(len(pb.constraints) == 0 for pb in target.pose.bones)
    assert action.name.startswith(target.name)


@pytest.mark.parametrize("arm_drop", [0.0, 45.0])
def test_mixamo_t_and_a_pose_rolls_cm_y_up_object(arm_drop):
    """T-pose source motion onto a Mixamo rig in T- or A-pose with random bone rolls, in
    centimetres, Y up, under a rotated 0.01-scaled object (as imported from FBX)."""
    source_rig = mixamo_rig("source")
    kind, mapping = automap(source_rig)
    assert kind == "mixamo" and mapping == {s: f"mixamorig:{b}" for s, b in MIXAMO.items()}
    truth = random_motion(source_rig, mapping)
    target = mixamo_rig("target", arm_drop, y_up_cm=True)
    retarget(bpy.context, truth, 30.0, target, mapping, frame_start=1)
    got = played_joints(target, mapping, range(1, len(truth) + 1))
    err = np.abs(got - truth).max()
    assert err < TOL_M, f"max joint error {err:.2e} m"


def test_euler_bones_keep_their_mode_and_old_euler_action():
    """Bones in Euler modes (several orders) are keyed in rotation_euler: the pose matches and
    an earlier action keyed in Euler still has its curves."""
    source_rig = mixamo_rig("source")
    _, mapping = automap(source_rig)
    truth = random_motion(source_rig, mapping)
    target = mixamo_rig("target", 20.0)
    orders = ["XYZ", "ZXY", "YZX", "XZY", "ZYX", "YXZ"]
    modes = {}
    for i, pb in enumerate(target.pose.bones):
        pb.rotation_mode = modes[pb.name] = orders[i % len(orders)]
    target.pose.bones["mixamorig:LeftArm"].rotation_euler = (0.3, 0.2, 0.1)
    target.pose.bones["mixamorig:LeftArm"].keyframe_insert("rotation_euler", frame=1)
    old = target.animation_data.action
    retarget(bpy.context, truth, 30.0, target, mapping, frame_start=1)
    got = played_joints(target, mapping, range(1, len(truth) + 1))
    err = np.abs(got - truth).max()
    assert err < TOL_M, f"max joint error {err:.2e} m"
    assert {pb.name: pb.rotation_mode for pb in target.pose.bones} == modes
    curves = old.layers[0].strips[0].channelbags[0].fcurves
    assert [fc.data_path for fc in curves] == ['pose.bones["mixamorig:LeftArm"].rotation_euler'] * 3


def test_generated_rigify_rig_deform_bones():
    """A rig generated by Rigify: its DEF- bones are mapped, their copy-the-controls constraints
    muted, and the deform skeleton follows the meta-rig's random poses (same proportions)."""
    rig_meta = metarig()
    _, meta_mapping = automap(rig_meta)
    bpy.ops.pose.rigify_generate()
    generated = bpy.data.objects["rig"]
    kind, mapping = automap(generated)
    assert kind == "rigify-def" and mapping == {s: f"DEF-{b}" for s, b in meta_mapping.items()}
    truth = random_motion(rig_meta, meta_mapping, frames=6)
    retarget(bpy.context, truth, 30.0, generated, mapping, frame_start=1)
    got = played_joints(generated, mapping, range(1, len(truth) + 1))
    err = np.abs(got - truth).max()
    assert err < TOL_M, f"max joint error {err:.2e} m"
    assert all(c.mute for b in mapping.values() for c in generated.pose.bones[b].constraints)
    mw = np.array(generated.matrix_world)   # hands ride on the wrists (their constraints muted too)
    for side, wrist in (("L", 13), ("R", 16)):
        hand = mw[:3, :3] @ np.array(generated.pose.bones[f"DEF-hand.{side}"].head) + mw[:3, 3]
        assert np.linalg.norm(hand - got[-1, wrist]) < TOL_M


def test_source_at_another_frame_rate_is_resampled_to_the_scene():
    """60 fps source into a 30 fps scene: half the keys, every other source pose."""
    source_rig = mixamo_rig("source")
    _, mapping = automap(source_rig)
    truth = random_motion(source_rig, mapping, frames=11)
    target = mixamo_rig("target")
    bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 30, 1.0
    retarget(bpy.context, truth, 60.0, target, mapping, frame_start=1)
    got = played_joints(target, mapping, range(1, 7))
    err = np.abs(got - truth[::2]).max()
    assert err < TOL_M, f"max joint error {err:.2e} m"
    from bpy_extras import anim_utils
    bag = anim_utils.animdata_get_channelbag_for_assigned_slot(target.animation_data)
    assert {len(fc.keyframe_points) for fc in bag.fcurves} == {6}


def test_existing_animation_is_kept_in_its_own_action():
    rig = metarig()
    _, mapping = automap(rig)
    pb = rig.pose.bones["upper_arm.L"]
    pb.rotation_quaternion = (0.9, 0.3, 0.1, 0)
    pb.keyframe_insert("rotation_quaternion", frame=1)
    old = rig.animation_data.action
    old_keys = {(fc.data_path, fc.array_index): [tuple(k.co) for k in fc.keyframe_points]
                for fc in old.layers[0].strips[0].channelbags[0].fcurves}
    motion, _ = walk(20)
    new = retarget(bpy.context, motion, 30.0, rig, mapping, frame_start=1)
    assert rig.animation_data.action == new and new != old
    assert old.name in bpy.data.actions and old.use_fake_user
    kept = {(fc.data_path, fc.array_index): [tuple(k.co) for k in fc.keyframe_points]
            for fc in old.layers[0].strips[0].channelbags[0].fcurves}
    assert kept == old_keys


def _walk_source(frames=60):
    """An AmbiBlend armature carrying a synthetic walk, as Lift Video leaves it."""
    from ambiblend.blender.armature import bake_motion
    joints, _ = walk(frames)
    motion = Motion(joints=joints, fps=30.0, scale=np.ones(frames), conf=np.ones((frames, 17)),
                    filled=np.zeros(frames, bool), source="walk", meters_per_unit=1.0)
    obj, _ = bake_motion(bpy.context, motion, "walk")
    return obj, joints


def _select_only(obj):
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj


def _directions(j):
    d = np.stack([j[:, t.tail] - j[:, t.head] for t in SLOT_TARGETS.values()], axis=1)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


@pytest.mark.parametrize("rig_kind", ["rigify", "ambiblend"])
def test_operators_walk_onto_rig_of_other_proportions(addon, rig_kind):
    """Auto-map + Retarget operators with a walk onto a rig of other proportions: motion scaled
    by the leg-length ratio k; ankles on k · source + rig location (1 mm; legs solved by IK),
    the hips there too or lowered (< 3 cm) where the rig's legs could not reach otherwise,
    planted feet still (< 1 mm/s), every other segment pointing where the source's does (0.5°),
    one key per frame."""
    from ambiblend.blender.retarget import fit_to_rig
    source, joints = _walk_source()
    _, stance = walk(len(joints))
    if rig_kind == "rigify":
        target = metarig(location=(1, 0, 0))
    else:
        target, _ = _walk_source(10)
        target.location = (1, 0, 0)
    settings = bpy.context.scene.ambiblend.retarget
    if rig_kind == "ambiblend":   # two lifted armatures: the source must be chosen
        settings.source = source  # (with one, the operator finds it by itself)
    _select_only(target)
    assert bpy.ops.ambiblend.retarget_automap() == {"FINISHED"}
    assert settings.rig_kind == rig_kind and all(item.bone for item in settings.mapping)
    assert bpy.ops.ambiblend.retarget() == {"FINISHED"}
    mapping = {item.slot: item.bone for item in settings.mapping}
    frames = range(bpy.context.scene.frame_start, bpy.context.scene.frame_start + len(joints))
    got = played_joints(target, mapping, frames)
    _, k = fit_to_rig(joints, target, bone_targets(mapping))
    want = k * joints + [1, 0, 0]
    hips = lambda j: j[:, [1, 4]].mean(axis=1)
    assert np.abs(hips(got) - hips(want)).max() < 0.03
    assert np.abs(got[:, [3, 6]] - want[:, [3, 6]]).max() < 1e-3
    for f, ankle in enumerate((6, 3)):   # stance flags are [left, right]
        still = stance[1:, f] & stance[:-1, f]
        speed = np.linalg.norm(np.diff(got[:, ankle], axis=0), axis=-1)[still] * 30.0
        assert speed.max() < 1e-3, f"planted foot slides at {speed.max():.4f} m/s"
    upper = [i for i, slot in enumerate(SLOT_TARGETS) if not slot.startswith(("thigh", "shin"))]
    angle = np.degrees(np.arccos(np.clip(np.sum(_directions(got) * _directions(joints), -1), -1, 1)))
    assert angle[:, upper].max() < 0.5, f"worst segment direction error {angle[:, upper].max():.3f}°"
    from bpy_extras import anim_utils
    bag = anim_utils.animdata_get_channelbag_for_assigned_slot(target.animation_data)
    assert all(len(fc.keyframe_points) == len(joints) for fc in bag.fcurves)


@pytest.mark.parametrize("which", ["partial", "non-humanoid"])
def test_incomplete_rig_names_unmapped_bones_and_changes_nothing(addon, which):
    source, _ = _walk_source(10)
    if which == "partial":   # legs and spine only, no arms
        rig = mixamo_rig("legs")
        bpy.ops.object.mode_set(mode="EDIT")
        for eb in [b for b in rig.data.edit_bones if "Arm" in b.name or "Hand" in b.name]:
            rig.data.edit_bones.remove(eb)
        bpy.ops.object.mode_set(mode="OBJECT")
        expected = ["Left Upper Arm (upper_arm.L)", "Left Forearm (forearm.L)", "Right Upper Arm (upper_arm.R)",
                    "Right Forearm (forearm.R)"]
    else:
        rig = build_armature("tail", [("Bone", None, (0, 0, 0), (0, 0, 1)), ("Bone.001", "Bone", (0, 0, 1), (0, 0, 2))])
        expected = ["Hips (hips)", "Head (head)", "Left Thigh (thigh.L)", "Right Shin (shin.R)"]
    bpy.context.scene.ambiblend.retarget.source = source
    _select_only(rig)
    pose_before = [tuple(pb.matrix_basis.col[i]) for pb in rig.pose.bones for i in range(4)]
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.ambiblend.retarget()
    message = str(info.value)
    assert "not a complete humanoid" in message
    for part in expected:
        assert part in message
    if which == "partial":
        assert "Hips (hips)" not in message and "Left Thigh" not in message
    assert scene_state() == before
    assert rig.animation_data is None
    assert [tuple(pb.matrix_basis.col[i]) for pb in rig.pose.bones for i in range(4)] == pose_before


def test_no_source_is_reported(addon):
    rig = metarig()
    before = scene_state()
    with pytest.raises(RuntimeError, match="Choose the source in the Retarget panel"):
        bpy.ops.ambiblend.retarget()
    assert scene_state() == before and rig.animation_data is None


def test_mapping_preset_round_trip_and_bad_file(addon, tmp_path):
    rig = mixamo_rig("m")
    _select_only(rig)
    settings = bpy.context.scene.ambiblend.retarget
    assert bpy.ops.ambiblend.retarget_automap() == {"FINISHED"}
    settings.mapping[4].bone = "mixamorig:LeftShoulder"   # a user edit
    mapping = {i.slot: i.bone for i in settings.mapping}
    path = tmp_path / "mixamo.json"
    assert bpy.ops.ambiblend.retarget_preset_save(filepath=str(path)) == {"FINISHED"}
    settings.mapping.clear()
    assert bpy.ops.ambiblend.retarget_preset_load(filepath=str(path)) == {"FINISHED"}
    assert {i.slot: i.bone for i in settings.mapping} == mapping
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(RuntimeError, match="bad.json is not an AmbiBlend bone-mapping preset"):
        bpy.ops.ambiblend.retarget_preset_load(filepath=str(bad))
    assert {i.slot: i.bone for i in settings.mapping} == mapping

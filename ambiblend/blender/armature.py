"""Our 17-joint armature: build it from a clip's bone lengths and key it from a ``Motion``.

Bones follow the skeleton's segments, parent joint → child joint, with animator-readable names
(``thigh.L``, ``forearm.R`` …, Blender's .L/.R suffixes so mirroring tools work). The root bone
``pelvis`` sits on the pelvis joint, points up, and carries the trajectory (location keys) and
the body's orientation; every other bone is animated by rotation only, so the rig plays back in
any tool that reads bone rotations (FBX, retargeting). Rotations come from the project's one
retarget solver (``core.retarget.solve``): shortest-arc swing per bone from its parent's pose,
the root's twist from the hips.

Rest pose: upright T-pose in Blender's Z-up world facing −Y (towards a front-view camera), built
from the clip's median bone lengths, feet on z = 0.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..core.errors import AmbiblendError
from ..core.retarget.solve import BoneTarget, RestBone, solve_pose
from ..core.skeleton import (ANKLE_TO_SOLE, BONES, JOINT_INDEX, JOINTS, NUM_JOINTS, PARENTS, ROOT,
                             bone_lengths, clip_height, median_bone_lengths, standing_height)
from ..core.hands.landmarks import SIDES
from .hands import build_hand_bones, hand_targets
from .keyframes import new_action, write_bone_channels

ROOT_BONE = "pelvis"
# Bone name for the segment ending at each joint (H36M joint → bone), in skeleton joint order.
SEGMENT_BONES = {
    "right_hip": "hip.R", "right_knee": "thigh.R", "right_ankle": "shin.R",
    "left_hip": "hip.L", "left_knee": "thigh.L", "left_ankle": "shin.L",
    "spine": "spine", "thorax": "chest", "neck": "neck", "head": "head",
    "left_shoulder": "shoulder.L", "left_elbow": "upper_arm.L", "left_wrist": "forearm.L",
    "right_shoulder": "shoulder.R", "right_elbow": "upper_arm.R", "right_wrist": "forearm.R",
}
# BONE_OF_JOINT[j]: the bone whose tail is joint j (the root bone for the pelvis).
BONE_OF_JOINT = (ROOT_BONE,) + tuple(SEGMENT_BONES[JOINTS[c]] for c, _ in BONES)
MARKER = "ambiblend_armature"   # custom property on armatures we built
# Unit direction of each segment in the rest T-pose (Blender world, subject faces −Y, left = +X).
_UP, _DOWN, _LEFT, _RIGHT = (0, 0, 1), (0, 0, -1), (1, 0, 0), (-1, 0, 0)
REST_DIRECTIONS = {
    "right_hip": _RIGHT, "right_knee": _DOWN, "right_ankle": _DOWN,
    "left_hip": _LEFT, "left_knee": _DOWN, "left_ankle": _DOWN,
    "spine": _UP, "thorax": _UP, "neck": _UP, "head": _UP,
    "left_shoulder": _LEFT, "left_elbow": _LEFT, "left_wrist": _LEFT,
    "right_shoulder": _RIGHT, "right_elbow": _RIGHT, "right_wrist": _RIGHT,
}


def rest_joints(joints: np.ndarray) -> np.ndarray:
    """T-pose (17, 3) in metres from the median bone lengths of ``joints`` (T, 17, 3)."""
    lengths = median_bone_lengths(joints)
    lengths = np.maximum(lengths, 1e-3)  # a zero-length bone cannot be built in Blender
    by_child = {c: lengths[i] for i, (c, _) in enumerate(BONES)}
    j = JOINT_INDEX
    leg = max(by_child[j["right_knee"]] + by_child[j["right_ankle"]],
              by_child[j["left_knee"]] + by_child[j["left_ankle"]])
    rest = np.zeros((NUM_JOINTS, 3))
    rest[ROOT] = (0.0, 0.0, leg + ANKLE_TO_SOLE * standing_height(lengths))
    for c, p in BONES:  # parents come before children in the skeleton order
        rest[c] = rest[p] + by_child[c] * np.asarray(REST_DIRECTIONS[JOINTS[c]], dtype=np.float64)
    return rest


def is_ambiblend_armature(obj) -> bool:
    """True for an armature built by ``build_armature`` (its bones are ours)."""
    return (obj is not None and obj.type == "ARMATURE" and bool(obj.get(MARKER))
            and all(name in obj.data.bones for name in BONE_OF_JOINT))


def build_armature(context, name: str, rest: np.ndarray, rest_hands: np.ndarray | None = None) -> bpy.types.Object:
    """New armature object ``name`` in the scene's active collection with the rest pose ``rest``
    (17, 3) world metres, and finger bones when ``rest_hands`` (2, 21, 3) is given
    (``hands.build_hand_bones``). Leaves it active and selected, in object mode."""
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    obj[MARKER] = 1
    obj.show_in_front = True
    context.collection.objects.link(obj)
    for other in context.view_layer.objects.selected:
        other.select_set(False)
    context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bones = arm.edit_bones
        root = bones.new(ROOT_BONE)
        root.head = rest[ROOT]
        root.tail = rest[ROOT] + (0.0, 0.0, 0.5 * np.linalg.norm(rest[JOINT_INDEX["spine"]] - rest[ROOT]))
        for c, p in BONES:
            b = bones.new(BONE_OF_JOINT[c])
            b.head, b.tail = rest[p], rest[c]
            b.parent = bones[BONE_OF_JOINT[p]]
            b.use_connect = False  # heads sit on the parent joint, not always on the parent's tail
        if rest_hands is not None:
            build_hand_bones(bones, rest_hands)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def rest_bones(obj) -> list[RestBone]:
    """The armature's rest bones (armature space) for the retarget solver."""
    return [RestBone(name=b.name, parent=b.parent.name if b.parent else None,
                     matrix=np.array(b.matrix_local, dtype=np.float64), length=b.length,
                     connected=b.use_connect) for b in obj.data.bones]


def bone_targets() -> dict[str, BoneTarget]:
    """Every bone of our armature aims from its parent joint to its joint; the root bone aims up
    the spine and takes its twist from the hips (right hip → left hip)."""
    j = JOINT_INDEX
    targets = {ROOT_BONE: BoneTarget(ROOT, j["spine"], (j["right_hip"], j["left_hip"]))}
    targets.update({BONE_OF_JOINT[c]: BoneTarget(p, c) for c, p in BONES})
    return targets


def animate(obj, joints: np.ndarray, action_name: str, frame_start: int = 1, hands=None):
    """Key ``obj`` (our armature) so its joints follow ``joints`` (T, 17, 3) world metres, one key
    per frame from ``frame_start``, in a NEW action (earlier actions are kept). hands: optional
    (hand joints (T, 42, 3) world metres, sides to key) for the finger bones the armature has.
    Returns the action."""
    if not is_ambiblend_armature(obj):
        raise AmbiblendError(f"'{obj.name}' is not an AmbiBlend armature.")
    targets = bone_targets()
    if hands is not None:
        joints = np.concatenate([joints, hands[0]], axis=1)
        targets.update({b: t for b, t in hand_targets(hands[1]).items() if b in obj.data.bones})
    world_to_arm = np.linalg.inv(np.array(obj.matrix_world, dtype=np.float64))
    local_joints = joints @ world_to_arm[:3, :3].T + world_to_arm[:3, 3]
    pose = solve_pose(rest_bones(obj), targets, local_joints)   # H5's one solver
    for pb in obj.pose.bones:
        pb.rotation_mode = "QUATERNION"
    action, channelbag = new_action(obj, action_name)
    frames = np.arange(frame_start, frame_start + len(joints), dtype=np.float64)
    for name in list(BONE_OF_JOINT) + [b for b in targets if b not in BONE_OF_JOINT]:
        write_bone_channels(channelbag, name, frames, rotation_quaternion=pose.rotations[name],
                            location=pose.locations.get(name))
    return action


def posed_joints(obj) -> np.ndarray:
    """World positions (17, 3) of the joints of ``obj``'s current pose (for tests and export checks)."""
    mw = np.array(obj.matrix_world, dtype=np.float64)
    out = np.zeros((NUM_JOINTS, 3))
    for j, name in enumerate(BONE_OF_JOINT):
        pb = obj.pose.bones[name]
        p = np.array(pb.head if j == ROOT else pb.tail, dtype=np.float64)
        out[j] = mw[:3, :3] @ p + mw[:3, 3]
    return out


def fit_to_rig(obj, joints: np.ndarray) -> np.ndarray:
    """Scale world joints (T, 17, 3) about the world origin (the motion's start point on the
    floor) so their standing height equals the rig's rest standing height: a new lift on an
    existing rig keeps the rig's bone lengths, so the motion must have its size."""
    mw = np.array(obj.matrix_world, dtype=np.float64)
    rest = np.array([obj.data.bones[n].head_local if j == ROOT else obj.data.bones[n].tail_local
                     for j, n in enumerate(BONE_OF_JOINT)], dtype=np.float64) @ mw[:3, :3].T
    rig = standing_height(bone_lengths(rest))
    clip = clip_height(joints)
    return joints * (rig / clip) if clip > 0 else joints


def set_scene_timing(scene, fps: float, num_frames: int, frame_start: int = 1) -> None:
    """Scene fps and frame range follow the clip (fractional rates through ``fps_base``)."""
    rate = max(1, int(round(fps)))
    scene.render.fps = rate
    scene.render.fps_base = rate / fps
    scene.frame_start = frame_start
    scene.frame_end = frame_start + num_frames - 1
    scene.frame_set(frame_start)


def bake_motion(context, motion, name: str, target=None):
    """Key ``motion`` (a ``core.pipeline.Motion``) onto ``target`` (one of our armatures: new
    action, old ones kept, motion scaled to the rig's height) or onto a new armature built from
    the clip's bone lengths.

    Sets the scene's fps and frame range. On any failure everything created here is removed,
    so the scene is unchanged. Returns (armature object, action). The lifted joints are also
    kept on the action as ``action["ambiblend_joints"]`` (flat T·17·3 float32, world metres) for
    retargeting, with ``action["ambiblend_fps"]``.
    """
    if target is not None and not is_ambiblend_armature(target):
        raise AmbiblendError(f"'{target.name}' is not an AmbiBlend armature; deselect it to make a new one.")
    scene = context.scene
    timing = (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end, scene.frame_current)
    actions_before = set(bpy.data.actions)
    old_action = target.animation_data.action if target is not None and target.animation_data else None
    obj = target
    hands = motion.info.get("hands") if isinstance(getattr(motion, "info", None), dict) else None
    try:
        joints = motion.joints if target is None else fit_to_rig(target, motion.joints)
        hand_joints = None
        if hands is not None:   # same scaling as the body (fit_to_rig scales about the origin)
            k = float(np.vdot(joints, motion.joints) / max(np.vdot(motion.joints, motion.joints), 1e-12))
            hand_joints = k * hands.joints
        if obj is None:
            rest = rest_joints(joints)
            obj = build_armature(context, name, rest, None if hands is None else hand_rest(hands, rest, k))
        keyed = [] if hands is None else [s for s, on in zip(SIDES, hands.keyed) if on]
        action = animate(obj, joints, f"{name}_lift", hands=None if hands is None else (hand_joints, keyed))
        action["ambiblend_joints"] = np.ascontiguousarray(joints, dtype=np.float32).ravel()
        action["ambiblend_fps"] = float(motion.fps)
        if hands is not None:   # for retargeting the fingers
            action["ambiblend_hands"] = np.ascontiguousarray(hand_joints, dtype=np.float32).ravel()
            action["ambiblend_hands_keyed"] = [int(v) for v in hands.keyed]
        set_scene_timing(scene, motion.fps, motion.num_frames)
    except BaseException:
        for act in set(bpy.data.actions) - actions_before:
            bpy.data.actions.remove(act)
        if target is None and obj is not None:
            arm = obj.data
            bpy.data.objects.remove(obj)
            bpy.data.armatures.remove(arm)
        elif target is not None and target.animation_data is not None:
            target.animation_data.action = old_action
        (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end) = timing[:4]
        scene.frame_set(timing[4])
        raise
    return obj, action


def hand_rest(hands, rest: np.ndarray, k: float = 1.0) -> np.ndarray:
    """(2, 21, 3) flat T-pose hands (``core.hands.motion.rest_hand``) at the rest wrists, with
    the lift's hand shape scaled by ``k``."""
    from ..core.hands.motion import rest_hand
    return np.stack([rest_hand(side, k * hands.palm[s], k * hands.lengths[s], rest[JOINT_INDEX[f"{n}_wrist"]])
                     for s, (side, n) in enumerate((("L", "left"), ("R", "right")))])


# Parent bone of each bone (for readers of the armature that want the hierarchy).
BONE_PARENTS = {BONE_OF_JOINT[c]: BONE_OF_JOINT[p] for c, p in enumerate(PARENTS) if p >= 0}

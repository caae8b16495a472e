"""Retarget lifted motion onto any humanoid armature and bake it to keyframes.

Source: the 17-joint world positions a lift stored on its action (``action["ambiblend_joints"]``,
flat float32 T·17·3 world metres, and ``action["ambiblend_fps"]``, written by
``armature.bake_motion``). Reading them back from the action is robust: it needs no evaluation
of the source rig and survives save/reload of the .blend.

Target: the selected armature. The motion is scaled to the rig (leg lengths) and placed at
the rig object's location, keeping the video's world orientation (upright, facing −Y as filmed),
then brought into armature space through the object's full transform (object scale/rotation,
e.g. a Y-up centimetre rig from an FBX, handled), solved by ``core.retarget.solve.solve_pose`` and written as one new
action through the fast keyframe writer. No constraint is added; the previous action is kept.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..core.errors import AmbiblendError
from ..core.retarget.euler import EULER_ORDERS, quaternion_to_euler
from ..core.hands.landmarks import NUM_LANDMARKS, SIDES
from ..core.retarget.mapping import (HAND_SLOTS, auto_map, bone_targets, check_mapping, hand_bone_targets, hand_map,
                                     ik_chains)
from ..core.retarget.solve import rest_joint_positions, solve_pose
from ..core.skeleton import BONE_CHILD, JOINT_INDEX, NUM_JOINTS, bone_lengths, median_bone_lengths
from .armature import rest_bones
from .keyframes import new_action, write_bone_channels, write_channel
from .report import reports_errors

JOINTS_KEY, FPS_KEY = "ambiblend_joints", "ambiblend_fps"


def check_target(obj) -> None:
    if obj is None or obj.type != "ARMATURE":
        what = "nothing is active" if obj is None else f"'{obj.name}' is a {obj.type.lower()}"
        raise AmbiblendError(f"Select the armature to retarget onto ({what}).")


def bone_names_in_hierarchy_order(obj) -> list[str]:
    """Bone names, parents before children (shallow first), for the name matchers."""
    return [b.name for b in sorted(obj.data.bones, key=lambda b: len(b.parent_recursive))]


def automap(obj) -> tuple[str, dict[str, str]]:
    """(rig kind, {slot: bone}) guessed for armature ``obj``."""
    check_target(obj)
    return auto_map(bone_names_in_hierarchy_order(obj))


def source_motion(obj) -> tuple[np.ndarray, float]:
    """(joints (T, 17, 3) world metres, fps) stored by a lift on ``obj``'s active action."""
    if obj is None:
        raise AmbiblendError("Choose the source in the Retarget panel: an armature made by Lift Video.")
    action = obj.animation_data.action if obj.animation_data else None
    if action is None or JOINTS_KEY not in action:
        raise AmbiblendError(f"'{obj.name}' has no lifted motion on its active action; "
                             "run Lift Video first and pick that armature as the source.")
    flat = np.asarray(action[JOINTS_KEY], dtype=np.float64)
    if flat.size == 0 or flat.size % (NUM_JOINTS * 3):
        raise AmbiblendError(f"The lifted motion stored on '{action.name}' is damaged.")
    return flat.reshape(-1, NUM_JOINTS, 3), float(action.get(FPS_KEY, 30.0))


HANDS_KEY, HANDS_KEYED_KEY = "ambiblend_hands", "ambiblend_hands_keyed"


def source_hands(obj):
    """(hand joints (T, 42, 3) world metres, keyed sides) stored by a lift with hands on
    ``obj``'s active action, or None when the lift had none."""
    action = obj.animation_data.action if obj is not None and obj.animation_data else None
    if action is None or HANDS_KEY not in action:
        return None
    flat = np.asarray(action[HANDS_KEY], dtype=np.float64)
    if flat.size == 0 or flat.size % (2 * NUM_LANDMARKS * 3):
        raise AmbiblendError(f"The hand motion stored on '{action.name}' is damaged.")
    keyed = [s for s, on in zip(SIDES, action.get(HANDS_KEYED_KEY, [1, 1])) if on]
    return flat.reshape(-1, 2 * NUM_LANDMARKS, 3), keyed


def hands_plan(source_hands_, bone_names, mapping: dict[str, str]) -> tuple[dict[str, str], str]:
    """The finger part of a retarget: ({hand slot: bone} to key, report note). Hand slots the
    user mapped win; the rest come from ``hand_map``. A rig without finger bones, or a source
    without hands, gives no slots and a note saying why."""
    if source_hands_ is None:
        return {}, ""
    kind, found = hand_map(bone_names)
    plan = {**found, **{s: b for s, b in mapping.items() if s in HAND_SLOTS and b}}
    keyed = source_hands_[1]
    if not keyed:
        return {}, " Hands: the lift saw no hand well enough; fingers not keyed."
    if not plan:
        return {}, " Hands skipped: this rig has no finger bones the mapping recognises."
    wanted = [s for s in HAND_SLOTS if s[-1] in keyed]
    got = [s for s in wanted if s in plan]
    note = f" Hands: {len(got)} of {len(wanted)} hand bones mapped ({kind})"
    missing = [s for s in wanted if s not in plan]
    if missing:
        note += "; not on this rig: " + ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    return plan, note + "."


def rig_rest_joints(obj, targets) -> np.ndarray:
    """(17, 3) world-space rest positions of the joints on the target rig (object transform on)."""
    pos = rest_joint_positions(rest_bones(obj), targets)
    arm = np.stack([pos[(j,)] for j in range(NUM_JOINTS)])
    mw = np.array(obj.matrix_world, dtype=np.float64)
    return arm @ mw[:3, :3].T + mw[:3, 3]


def leg_length(lengths: np.ndarray) -> float:
    """Mean hip→knee→ankle length of the two legs from the 16 bone lengths."""
    by_child = dict(zip(BONE_CHILD.tolist(), lengths))
    return float(np.mean([by_child[JOINT_INDEX[f"{s}_knee"]] + by_child[JOINT_INDEX[f"{s}_ankle"]]
                          for s in ("left", "right")]))


def fit_to_rig(joints: np.ndarray, obj, targets) -> tuple[np.ndarray, float]:
    """Source joints (T, 17, 3) world → target joints (T, 17, 3) in ``obj``'s armature space.

    World target = k · source + rig location, k = rig leg length / source leg length: root
    motion and foot placement scale with the legs that make the steps, so with the leg IK
    chains the rig's feet can always reach the (scaled) source feet.
    Returns (armature-space joints, k)."""
    rig_h = leg_length(bone_lengths(rig_rest_joints(obj, targets)))
    src_h = leg_length(median_bone_lengths(joints))
    if not (np.isfinite(src_h) and src_h > 0 and rig_h > 0):
        raise AmbiblendError("The source motion or the target rig has no usable size.")
    k = rig_h / src_h
    mw = np.array(obj.matrix_world, dtype=np.float64)
    world = k * joints + mw[:3, 3]
    inv = np.linalg.inv(mw)
    return world @ inv[:3, :3].T + inv[:3, 3], float(k)


def retarget(context, source_joints: np.ndarray, fps: float, target, mapping: dict[str, str],
             name: str | None = None, frame_start: int | None = None, hands=None):
    """Key ``target`` so its mapped bones follow ``source_joints`` (T, 17, 3) world metres at
    ``fps``, one key per scene frame (resampled when the scene runs at another rate).

    Everything is checked before the scene changes: a partial mapping raises AmbiblendError
    naming the unmapped slots and leaves the rig untouched. Constraints on the keyed bones and
    below them would override the keys or pull hands/feet away (a generated Rigify rig's DEF-
    bones copy its controls), so they are muted: the keys then drive the deform skeleton;
    un-mute them to get the control rig back.
    hands: optional (hand joints (T, 42, 3) world metres, keyed sides) from ``source_hands``;
    the hand slots of ``mapping`` on those sides are keyed too.
    Returns the new action.
    """
    check_target(target)
    body = {s: b for s, b in mapping.items() if s not in HAND_SLOTS}
    check_mapping(body, [b.name for b in target.data.bones])
    targets = bone_targets(body)
    source = np.asarray(source_joints, dtype=np.float64)
    if hands is not None:
        unknown = [b for s, b in mapping.items() if s in HAND_SLOTS and b and b not in target.data.bones]
        if unknown:
            raise AmbiblendError(f"Finger bones not in the armature: {', '.join(unknown)}. Edit the bone mapping.")
        targets.update(hand_bone_targets(mapping, hands[1]))
        source = np.concatenate([source, np.asarray(hands[0], dtype=np.float64)[:len(source)]], axis=1)
    scene_fps = context.scene.render.fps / context.scene.render.fps_base
    source = resample(source, fps, scene_fps)
    arm_joints, _ = fit_to_rig(source, target, targets)
    # Legs by IK so the feet land where the (scaled) source feet are: no sliding on rigs whose
    # leg proportions differ from the lifted skeleton's.
    solution = solve_pose(rest_bones(target), targets, arm_joints, ik_chains(body))
    start = context.scene.frame_start if frame_start is None else frame_start
    frames = np.arange(start, start + len(arm_joints), dtype=np.float64)
    ad = target.animation_data
    old = (ad.action, ad.action_slot) if ad is not None else None
    actions_before = set(bpy.data.actions)
    try:
        action, bag = new_action(target, name or f"{target.name}_retarget")
        for bone, quats in solution.rotations.items():
            _write_rotation(bag, target.pose.bones[bone], frames, quats, solution.locations.get(bone))
        for bone in constrained_bones(target, keyed_and_below(target, solution.rotations)):
            for c in target.pose.bones[bone].constraints:
                c.mute = True
    except BaseException:
        for act in set(bpy.data.actions) - actions_before:
            bpy.data.actions.remove(act)
        if old is not None:
            target.animation_data.action = old[0]
            if old[0] is not None:
                target.animation_data.action_slot = old[1]
        raise
    scene = context.scene
    scene.frame_end = max(scene.frame_end, int(frames[-1]))
    return action


def resample(joints: np.ndarray, fps: float, new_fps: float) -> np.ndarray:
    """(T, J, 3) at ``fps`` → the same duration at ``new_fps`` (linear interpolation)."""
    if not fps or fps <= 0:
        raise AmbiblendError(f"The source frame rate must be positive, got {fps}.")
    if abs(fps - new_fps) < 1e-6 or len(joints) < 2:
        return joints
    t = np.arange(len(joints)) / fps
    new_t = np.arange(int(np.floor(t[-1] * new_fps + 1e-9)) + 1) / new_fps
    flat = joints.reshape(len(joints), -1)
    return np.stack([np.interp(new_t, t, flat[:, i]) for i in range(flat.shape[1])], -1).reshape(
        (len(new_t),) + joints.shape[1:])


def keyed_and_below(obj, bones) -> set[str]:
    """``bones`` and all their descendants (hands, feet, fingers ride on the keyed limbs)."""
    out = set(bones)
    for name in bones:
        out.update(child.name for child in obj.data.bones[name].children_recursive)
    return out


def constrained_bones(obj, bones) -> list[str]:
    """Names among ``bones`` with an active (un-muted) constraint."""
    return sorted(b for b in bones if any(not c.mute for c in obj.pose.bones[b].constraints))


def _write_rotation(bag, pose_bone, frames, quats, location) -> None:
    """Key a bone in its own rotation mode: Euler bones get rotation_euler (so earlier actions
    keyed in Euler still play), quaternion bones rotation_quaternion; axis-angle bones are
    switched to quaternions."""
    name = pose_bone.name
    if pose_bone.rotation_mode in EULER_ORDERS:
        euler = quaternion_to_euler(quats, pose_bone.rotation_mode)
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"].rotation_euler'
        for i in range(3):
            write_channel(bag, path, i, frames, euler[:, i], group=name)
        write_bone_channels(bag, name, frames, location=location)
        return
    pose_bone.rotation_mode = "QUATERNION"
    write_bone_channels(bag, name, frames, rotation_quaternion=quats, location=location)


# --- operators -------------------------------------------------------------------------------

def mapping_of(settings) -> dict[str, str]:
    """{slot: bone} from the panel's editable mapping: the body rows (``AMBI_PG_retarget.mapping``)
    and the finger rows (``.fingers``)."""
    return {item.slot: item.bone for rows in (settings.mapping, settings.fingers) for item in rows if item.bone}


def set_mapping(settings, mapping: dict[str, str], kind: str = "") -> None:
    """Fill the panel's mapping rows (one per slot, in slot order) from ``mapping``: the 12 body
    slots, then the 32 optional finger slots in their own list (the panel folds it away)."""
    from ..core.retarget.mapping import HAND_SLOT_LABELS, SLOT_LABELS, SLOTS
    for rows, slots, labels in ((settings.mapping, SLOTS, SLOT_LABELS), (settings.fingers, HAND_SLOTS, HAND_SLOT_LABELS)):
        rows.clear()
        for slot in slots:
            item = rows.add()
            item.slot, item.label, item.bone = slot, labels[slot], mapping.get(slot, "")
    settings.rig_kind = kind


def _only_source(context, target):
    """The one armature in the scene (other than the target) carrying a lift, else None."""
    found = [o for o in context.scene.objects if o is not target and o.type == "ARMATURE"
             and o.animation_data and o.animation_data.action and JOINTS_KEY in o.animation_data.action]
    return found[0] if len(found) == 1 else None


class AMBI_OT_retarget_automap(bpy.types.Operator):
    """Guess the bone mapping of the active armature (Rigify, Mixamo or generic names)"""
    bl_idname = "ambiblend.retarget_automap"
    bl_label = "Auto-Map Bones"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        kind, mapping = automap(context.active_object)
        _, fingers = hand_map(bone_names_in_hierarchy_order(context.active_object))
        set_mapping(context.scene.ambiblend.retarget, {**mapping, **fingers}, kind)
        from ..core.retarget.mapping import missing_slots
        missing = missing_slots(mapping)
        hands = f" and {len(fingers)} of {len(HAND_SLOTS)} hand bones" if fingers else ""
        if missing:
            self.report({"WARNING"}, f"Mapped {len(mapping)} of 12 parts{hands} ({kind}); pick bones for: "
                                     + ", ".join(missing) + ".")
        else:
            self.report({"INFO"}, f"Mapped all 12 parts{hands} ({kind} rig).")
        return {"FINISHED"}


class AMBI_OT_retarget(bpy.types.Operator):
    """Bake the lifted motion of the source armature onto the selected armature (new action)"""
    bl_idname = "ambiblend.retarget"
    bl_label = "Retarget Motion"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        settings = context.scene.ambiblend.retarget
        target = context.active_object
        check_target(target)
        if target == settings.source:
            raise AmbiblendError("Select the character to animate, not the source armature.")
        source = settings.source or _only_source(context, target)
        joints, fps = source_motion(source)
        mapping = mapping_of(settings) or automap(target)[1]
        hands = source_hands(source)
        fingers, hands_note = hands_plan(hands, [b.name for b in target.data.bones], mapping)
        mapping = {**mapping, **fingers}
        if context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        muted = constrained_bones(target, keyed_and_below(target, set(mapping.values())))
        action = retarget(context, joints, fps, target, mapping, hands=hands if fingers else None)
        if muted:
            self.report({"WARNING"}, f"Muted the constraints of {len(muted)} bones (e.g. "
                                     f"{', '.join(muted[:3])}) so the keys drive them.")
        level = "WARNING" if hands_note.startswith(" Hands skipped") or "not on this rig" in hands_note else "INFO"
        self.report({level}, f"Retargeted {len(joints)} frames onto '{target.name}' (action '{action.name}')."
                    + hands_note)
        return {"FINISHED"}


classes = (AMBI_OT_retarget_automap, AMBI_OT_retarget)

"""Fast keyframe writer for Blender 5.0's slotted actions.

Writes whole channels at once through ``keyframe_points.add`` + ``foreach_set`` instead of one
``keyframe_insert`` per key (see ``bench/``). Every call makes a *new* action, so lifting twice
onto the same armature never overwrites the earlier result.
"""
from __future__ import annotations

import bpy
import numpy as np
from bpy_extras import anim_utils


def new_action(obj: bpy.types.Object, name: str) -> tuple[bpy.types.Action, bpy.types.ActionChannelbag]:
    """Create an action with one slot for ``obj``, assign it, and return it with its channelbag.
    The previously assigned action (if any) stays in bpy.data with a fake user so it is kept."""
    ad = obj.animation_data or obj.animation_data_create()
    if ad.action is not None:
        ad.action.use_fake_user = True
    action = bpy.data.actions.new(name)
    slot = action.slots.new(id_type="OBJECT", name=obj.name)
    ad.action = action
    ad.action_slot = slot
    return action, anim_utils.action_ensure_channelbag_for_slot(action, slot)


def write_channel(channelbag, data_path: str, index: int, frames: np.ndarray, values: np.ndarray,
                  group: str | None = None, interpolation: str = "LINEAR"):
    """One F-curve from arrays: frames (T,), values (T,). Returns the F-curve."""
    fc = channelbag.fcurves.find(data_path, index=index)
    if fc is None:
        fc = channelbag.fcurves.new(data_path, index=index, group_name=group or "")
    n = len(frames)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    fc.keyframe_points.add(n)
    fc.keyframe_points.foreach_set("co", co)
    # LINEAR keeps exact per-frame values between keys (no Bezier overshoot between frames).
    interp = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items[interpolation].value
    fc.keyframe_points.foreach_set("interpolation", np.full(n, interp, dtype=np.int32))
    fc.update()
    return fc


def write_bone_channels(channelbag, bone: str, frames: np.ndarray, *, location: np.ndarray | None = None,
                        rotation_quaternion: np.ndarray | None = None, scale: np.ndarray | None = None) -> int:
    """Key a pose bone's channels from arrays (T, 3) / (T, 4); returns the number of keys."""
    base = f'pose.bones["{bpy.utils.escape_identifier(bone)}"]'
    keys = 0
    for prop, arr in (("location", location), ("rotation_quaternion", rotation_quaternion), ("scale", scale)):
        if arr is None:
            continue
        arr = np.asarray(arr)
        for i in range(arr.shape[1]):
            write_channel(channelbag, f"{base}.{prop}", i, frames, arr[:, i], group=bone)
            keys += len(frames)
    return keys


def write_object_channels(channelbag, frames: np.ndarray, prop: str, values: np.ndarray, group: str = "Object") -> int:
    """Key an object-level property (e.g. 'location') from (T, k) arrays."""
    values = np.asarray(values)
    for i in range(values.shape[1]):
        write_channel(channelbag, prop, i, frames, values[:, i], group=group)
    return values.size

"""The Retarget panel's finger rows (issue 14): Auto-Map fills the 32 hand slots beside the 12
body parts, the panel folds them under "Fingers", presets keep them, and a finger bone the user
maps by hand is the one Retarget keys."""
from __future__ import annotations

import json

import addon_utils
import bpy
import numpy as np
from test_addon_panels import RecordingLayout
from test_hands_blender import mixamo_with_fingers, world_dir

from ambiblend.core.retarget.mapping import HAND_SLOT_LABELS, HAND_SLOTS, SLOTS
from tests.hand_keypoint_files import openpose_folder


class TextLayout(RecordingLayout):
    """The panel recorder, also keeping each row's text (the slot labels)."""

    def _child(self, *args, **kwargs):
        return TextLayout(self.log)

    row = column = box = split = column_flow = grid_flow = _child

    def prop(self, data, name, **kwargs):
        super().prop(data, name, **kwargs)
        self.log[-1] += (kwargs.get("text"),)

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        super().prop_search(data, name, search_data, search_name, **kwargs)
        self.log[-1] += (kwargs.get("text"),)


def draw_retarget_panel() -> list:
    (cls,) = [c for c in bpy.types.Panel.__subclasses__() if c.__name__ == "AMBI_PT_retarget"]
    log = []
    cls.draw(type("PanelSelf", (), {"layout": TextLayout(log)})(), bpy.context)
    return log


def rigify_metarig():
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    return bpy.context.active_object


def test_automap_fills_finger_rows_folded_under_fingers(addon):
    rigify_metarig()
    settings = bpy.context.scene.ambiblend.retarget
    assert bpy.ops.ambiblend.retarget_automap() == {"FINISHED"}
    assert [i.slot for i in settings.mapping] == list(SLOTS)           # the body list is as before
    assert {i.slot: i.bone for i in settings.fingers} == {s: s for s in HAND_SLOTS}
    log = draw_retarget_panel()
    rows = [e[2] for e in log if e[0] == "prop_search"]
    assert ("prop", "show_fingers", "Fingers (32 of 32 mapped)") in log
    assert len(rows) == 12 and "Left Index 2" not in rows                # folded: short list
    settings.show_fingers = True
    rows = [e[2] for e in draw_retarget_panel() if e[0] == "prop_search"]
    assert rows[12:] == [HAND_SLOT_LABELS[s] for s in HAND_SLOTS] and "Right Pinky 3" in rows


def test_preset_round_trip_keeps_a_finger_mapping(addon, tmp_path):
    rigify_metarig()
    settings = bpy.context.scene.ambiblend.retarget
    assert bpy.ops.ambiblend.retarget_automap() == {"FINISHED"}
    row = next(i for i in settings.fingers if i.slot == "f_index.02.L")
    row.bone = "f_middle.02.L"                                            # a user edit
    next(i for i in settings.fingers if i.slot == "thumb.01.R").bone = ""  # and a cleared row
    want = {i.slot: i.bone for rows in (settings.mapping, settings.fingers) for i in rows}
    path = tmp_path / "metarig.json"
    assert bpy.ops.ambiblend.retarget_preset_save(filepath=str(path)) == {"FINISHED"}
    saved = json.loads(path.read_text())["mapping"]
    assert saved["f_index.02.L"] == "f_middle.02.L" and "thumb.01.R" not in saved and len(saved) == 12 + 31
    settings.mapping.clear()
    settings.fingers.clear()
    assert bpy.ops.ambiblend.retarget_preset_load(filepath=str(path)) == {"FINISHED"}
    assert {i.slot: i.bone for rows in (settings.mapping, settings.fingers) for i in rows} == want


def test_a_finger_bone_mapped_by_hand_is_keyed(addon, tmp_path):
    """A rig whose index finger's middle bone has a name no matcher knows: mapped in the panel,
    it is keyed by Retarget and points where the source's finger does."""
    settings = bpy.context.scene.ambiblend
    settings.clip_path, settings.hands = str(openpose_folder(tmp_path)), True
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}                 # the source, with hands
    source = bpy.context.active_object
    rig = mixamo_with_fingers(["Thumb", "Index"])
    rig.data.bones["mixamorig:LeftHandIndex2"].name = "Knuckle_B"
    bpy.ops.object.select_all(action="DESELECT")
    rig.select_set(True)
    bpy.context.view_layer.objects.active = rig
    retarget = settings.retarget
    retarget.source = source
    assert bpy.ops.ambiblend.retarget_automap() == {"FINISHED"}
    row = next(i for i in retarget.fingers if i.slot == "f_index.02.L")
    assert row.bone == ""                                                # auto-map missed it
    row.bone = "Knuckle_B"
    assert bpy.ops.ambiblend.retarget() == {"FINISHED"}
    action = rig.animation_data.action
    bag = action.layers[0].strips[0].channelbag(rig.animation_data.action_slot)
    keyed = {fc.data_path.split('"')[1] for fc in bag.fcurves}
    assert {"Knuckle_B", "mixamorig:LeftHandIndex3", "mixamorig:LeftHandThumb2"} <= keyed
    for f in (1, 6, 12):
        bpy.context.scene.frame_set(f)
        cos = float(world_dir(source, "f_index.02.L") @ world_dir(rig, "Knuckle_B"))
        assert cos > np.cos(np.radians(3)), (f, np.degrees(np.arccos(min(cos, 1))))

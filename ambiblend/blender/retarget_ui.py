"""Retarget settings and sub-panel: source armature, the editable bone mapping, presets.

``AMBI_PG_retarget`` is nested in the scene settings as ``Scene.ambiblend.retarget`` (added in
``post_register`` because the sub-panel must register after ``AMBI_PT_main``, i.e. after the
settings group).
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, CollectionProperty, PointerProperty, StringProperty
from bpy.types import Operator, Panel, PropertyGroup
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..core.retarget.presets import load_preset, save_preset
from .panel import SubPanel
from .report import reports_errors
from .retarget import JOINTS_KEY, mapping_of, set_mapping


def _is_source(self, obj) -> bool:
    ad = obj.animation_data
    return obj.type == "ARMATURE" and ad is not None and ad.action is not None and JOINTS_KEY in ad.action


class AMBI_PG_bone_slot(PropertyGroup):
    slot: StringProperty(name="Slot", description="Part of the 17-joint skeleton")
    label: StringProperty(name="Part")
    bone: StringProperty(name="Bone", description="Bone of the target armature playing this part")


class AMBI_PG_retarget(PropertyGroup):
    source: PointerProperty(name="Source", type=bpy.types.Object, poll=_is_source,
                            description="Armature made by Lift Video whose motion is retargeted")
    mapping: CollectionProperty(type=AMBI_PG_bone_slot)
    # The 32 optional hand slots, apart from the 12 body rows so the list stays short (folded).
    fingers: CollectionProperty(type=AMBI_PG_bone_slot)
    show_fingers: BoolProperty(name="Fingers", default=False,
                               description="Show the hand and finger bones of the mapping (used when the source has hands)")
    rig_kind: StringProperty(name="Rig", description="What auto-mapping recognised")


class AMBI_OT_retarget_preset_save(Operator, ExportHelper):
    """Save the bone mapping as a JSON preset"""
    bl_idname = "ambiblend.retarget_preset_save"
    bl_label = "Save Mapping Preset"
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        path = save_preset(self.filepath, mapping_of(context.scene.ambiblend.retarget))
        self.report({"INFO"}, f"Saved the bone mapping to {path}.")
        return {"FINISHED"}


class AMBI_OT_retarget_preset_load(Operator, ImportHelper):
    """Load a bone mapping from a JSON preset"""
    bl_idname = "ambiblend.retarget_preset_load"
    bl_label = "Load Mapping Preset"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        mapping = load_preset(self.filepath)
        set_mapping(context.scene.ambiblend.retarget, mapping, "preset")
        self.report({"INFO"}, f"Loaded {len(mapping)} bone assignments.")
        return {"FINISHED"}


class AMBI_PT_retarget(SubPanel, Panel):
    bl_idname = "AMBI_PT_retarget"
    bl_label = "Retarget"

    def draw(self, context):
        settings = context.scene.ambiblend.retarget
        target = context.active_object
        layout = self.layout
        layout.prop(settings, "source")
        layout.label(text=f"Target: {target.name}" if target is not None and target.type == "ARMATURE"
                     else "Target: select an armature", icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.operator("ambiblend.retarget_automap", icon="AUTO")
        row.operator("ambiblend.retarget_preset_load", text="", icon="IMPORT")
        row.operator("ambiblend.retarget_preset_save", text="", icon="EXPORT")
        if settings.mapping:
            box = layout.box()
            if settings.rig_kind:
                box.label(text=f"Rig: {settings.rig_kind}")
            draw_rows(box, settings.mapping, target)
            if settings.fingers:
                draw_fingers(box.box(), settings, target)
        layout.operator("ambiblend.retarget", icon="ARMATURE_DATA")


def draw_rows(layout, rows, target) -> None:
    for item in rows:
        if target is not None and target.type == "ARMATURE":
            layout.prop_search(item, "bone", target.data, "bones", text=item.label)
        else:
            layout.prop(item, "bone", text=item.label)


def draw_fingers(box, settings, target) -> None:
    """The finger rows under a fold-out header that says how many are mapped."""
    mapped = sum(1 for item in settings.fingers if item.bone)
    box.prop(settings, "show_fingers", emboss=False, icon="TRIA_DOWN" if settings.show_fingers else "TRIA_RIGHT",
             text=f"Fingers ({mapped} of {len(settings.fingers)} mapped)")
    if settings.show_fingers:
        draw_rows(box.column(align=True), settings.fingers, target)


classes = (AMBI_PG_bone_slot, AMBI_PG_retarget, AMBI_OT_retarget_preset_save,
           AMBI_OT_retarget_preset_load, AMBI_PT_retarget)


def post_register():
    from .props import AMBI_PG_settings
    AMBI_PG_settings.retarget = PointerProperty(type=AMBI_PG_retarget)


def pre_unregister():
    from .props import AMBI_PG_settings
    del AMBI_PG_settings.retarget

"""The AmbiBlend tab in the 3D viewport's sidebar (N panel)."""
from __future__ import annotations

from bpy.types import Panel

from .dependencies import missing_modules, requirement_message
from .operators import AMBI_OT_lift_video, job_status
from .prefs import get_preferences


class AMBI_PT_main(Panel):
    bl_idname = "AMBI_PT_main"
    bl_label = "AmbiBlend"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "AmbiBlend"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.ambiblend
        missing = requirement_message()
        if missing:  # only from a source checkout: the platform zip carries them
            box = layout.box()
            box.label(text="Missing: " + ", ".join(missing_modules()), icon="ERROR")
            box.label(text="Install the platform zip (see Preferences ▸ Add-ons ▸ AmbiBlend)")
        col = layout.column()
        col.prop(settings, "clip_path")
        col.prop(settings, "subject_height")
        col.prop(settings, "focal_35mm")
        col.prop(settings, "root_motion")
        col.prop(settings, "detector_3d", slider=True)
        col.prop(settings, "repair_swaps")
        prefs = get_preferences(context)
        if prefs is not None:  # shared with Preferences ▸ Add-ons, shown here for convenience
            col.prop(prefs, "device")
            col.prop(prefs, "weights")
        box = layout.box()
        box.prop(settings, "clean")
        sub = box.column()
        sub.active = settings.clean
        sub.prop(settings, "smoothness", slider=True)
        sub.prop(settings, "fix_bone_lengths")
        sub.prop(settings, "ground")
        sub.prop(settings, "lock_feet")
        box = layout.box()
        box.prop(settings, "hands")
        sub = box.column()
        sub.active = settings.hands
        sub.prop(settings, "finger_smoothness", slider=True)
        job = AMBI_OT_lift_video.running
        if job is None:
            layout.operator("ambiblend.lift_video", icon="ARMATURE_DATA")
        else:  # a lift runs on its worker thread (the operator's modal timer redraws this panel)
            layout.progress(factor=job.fraction, type="BAR", text=job_status(job))
        layout.operator("ambiblend.export_fbx", icon="EXPORT")


class SubPanel:
    """Mixin for AmbiBlend's sub-panels: same sidebar tab, under ``AMBI_PT_main``, closed at first."""
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "AmbiBlend"
    bl_parent_id = "AMBI_PT_main"
    bl_options = {"DEFAULT_CLOSED"}


classes = (AMBI_PT_main,)

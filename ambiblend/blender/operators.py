"""Operator: Lift Video (clip → keyed armature). The export operators are in ``export_ui``.

Thin: read the settings, call the core pipeline and the bake/export functions, and turn an
``AmbiblendError`` into an ERROR report + CANCELLED (the scene is left as it was).
"""
from __future__ import annotations

from pathlib import Path

import bpy
from bpy.types import Operator

from ..core.errors import AmbiblendError
from .armature import bake_motion, is_ambiblend_armature
from .dependencies import requirement_message
from .prefs import get_preferences
from .props import clean_options
from .report import reports_errors


def pipeline_options(settings, prefs) -> PipelineOptions:
    """Scene settings + add-on preferences → ``PipelineOptions``."""
    from ..core.pipeline import PipelineOptions  # torch: imported only when a lift runs
    weights = bpy.path.abspath(prefs.weights) if prefs is not None and prefs.weights else None
    return PipelineOptions(subject_height=settings.subject_height, root_motion=settings.root_motion,
                           focal_35mm=settings.focal_35mm, device=prefs.device if prefs else "AUTO",
                           weights=weights, clean=clean_options(settings))


class AMBI_OT_lift_video(Operator):
    """Detect the person in the clip, lift to 3D and key an armature (a new action each time)"""
    bl_idname = "ambiblend.lift_video"
    bl_label = "Lift Video"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        settings = context.scene.ambiblend
        wm = context.window_manager
        clip = bpy.path.abspath(settings.clip_path) if settings.clip_path else ""
        active = context.active_object
        target = active if is_ambiblend_armature(active) else None
        missing = requirement_message()
        if missing:
            raise AmbiblendError(missing)
        from ..core.pipeline import run_pipeline
        wm.progress_begin(0, 1000)
        try:
            options = pipeline_options(settings, get_preferences(context))
            motion = run_pipeline(clip, options, progress=lambda done, total: wm.progress_update(
                int(1000 * done / max(total, 1))))
            if context.mode != "OBJECT":
                bpy.ops.object.mode_set(mode="OBJECT")
            obj, action = bake_motion(context, motion, Path(clip).stem, target=target)
        finally:
            wm.progress_end()
        filled = int(motion.filled.sum())
        note = f", {filled} frames without a person interpolated" if filled else ""
        self.report({"INFO"}, f"Lifted {motion.num_frames} frames onto '{obj.name}' "
                              f"(action '{action.name}'{note}).")
        return {"FINISHED"}


classes = (AMBI_OT_lift_video,)

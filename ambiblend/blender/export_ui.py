"""Export Animation: the active armature's motion as FBX (Blender, Unity or Unreal axes and
units), BVH or glTF, through the functions of ``export.py``; a sub-panel under AmbiBlend."""
from __future__ import annotations

from pathlib import Path

from bpy.props import EnumProperty, StringProperty
from bpy.types import Operator, Panel
from bpy_extras.io_utils import ExportHelper

from ..core.errors import AmbiblendError
from .export import check_armature, export_bvh, export_fbx_preset, export_gltf
from .panel import SubPanel
from .report import reports_errors

EXTENSIONS = {"FBX": ".fbx", "BVH": ".bvh", "GLB": ".glb", "GLTF": ".gltf"}


class _ExportMotion(ExportHelper):
    """What both export operators share (a mixin: registered operators cannot be subclassed)."""
    filename_ext = ".fbx"
    file_format: EnumProperty(name="Format", default="FBX", items=(
        ("FBX", "FBX", "Baked FBX for game engines and DCC tools"),
        ("BVH", "BVH", "Motion-capture hierarchy + channels (Z up, as in Blender)"),
        ("GLB", "glTF Binary", "One .glb file (Y up)"),
        ("GLTF", "glTF Separate", ".gltf JSON + .bin (Y up)")))
    fbx_preset: EnumProperty(name="FBX For", default="BLENDER", items=(
        ("BLENDER", "Blender", "The exporter's defaults (−Z forward, Y up)"),
        ("UNITY", "Unity", "−Z forward, Y up, scale applied so Unity imports at 1:1"),
        ("UNREAL", "Unreal", "Z up, −Y forward, centimetres")))

    def check(self, context):
        """Keep the file name's extension in step with the chosen format."""
        ext = EXTENSIONS[self.file_format]
        path = Path(self.filepath)
        if self.filepath and path.suffix.lower() != ext:
            self.filepath = str(path.with_suffix(ext))
            return True
        return False

    def invoke(self, context, event):
        try:
            check_armature(context.active_object)
        except AmbiblendError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return ExportHelper.invoke(self, context, event)

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        self.check(context)
        check_armature(obj)
        if self.file_format == "FBX":
            path = export_fbx_preset(obj, self.filepath, self.fbx_preset)
        elif self.file_format == "BVH":
            path = export_bvh(obj, self.filepath)
        else:
            path = export_gltf(obj, self.filepath)
        self.report({"INFO"}, f"Exported '{obj.name}' to {path}.")
        return {"FINISHED"}


class AMBI_OT_export_motion(Operator, _ExportMotion):
    """Export the active armature's animation as FBX (Blender/Unity/Unreal), BVH or glTF"""
    bl_idname = "ambiblend.export_motion"
    bl_label = "Export Animation"
    filter_glob: StringProperty(default="*.fbx;*.bvh;*.glb;*.gltf", options={"HIDDEN"})


class AMBI_OT_export_fbx(Operator, _ExportMotion):
    """Export the active armature's animation to FBX (Blender, Unity or Unreal conventions)"""
    bl_idname = "ambiblend.export_fbx"
    bl_label = "Export FBX"
    filter_glob: StringProperty(default="*.fbx", options={"HIDDEN"})

    def draw(self, context):
        self.layout.prop(self, "fbx_preset")

    def execute(self, context):
        self.file_format = "FBX"
        return super().execute(context)


class AMBI_PT_export(SubPanel, Panel):
    bl_idname = "AMBI_PT_export"
    bl_label = "Export"

    def draw(self, context):
        col = self.layout.column(align=True)
        for fmt, label in (("FBX", "FBX"), ("BVH", "BVH"), ("GLB", "glTF")):
            col.operator(AMBI_OT_export_motion.bl_idname, text=f"Export {label}", icon="EXPORT").file_format = fmt


classes = (AMBI_OT_export_motion, AMBI_OT_export_fbx, AMBI_PT_export)

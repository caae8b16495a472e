"""Export the animated armature to other tools.

``export_fbx(obj, path, ...)`` writes one armature and its active action, baked one key per
scene frame, through Blender's own FBX exporter. It only changes the selection for the duration
of the export and restores it afterwards.
"""
from __future__ import annotations

from pathlib import Path

import bpy

from ..core.errors import AmbiblendError


def check_armature(obj) -> None:
    """The export target must be an armature object."""
    if obj is None:
        raise AmbiblendError("Select the armature to export (nothing is selected).")
    if obj.type != "ARMATURE":
        raise AmbiblendError(f"Select an armature to export: '{obj.name}' is a {obj.type.lower()}.")


def _output_path(path, suffix: str) -> Path:
    path = Path(bpy.path.abspath(str(path))) if path else None
    if path is None or path.suffix.lower() != suffix:
        raise AmbiblendError(f"The export file name must end in {suffix}, got '{path}'.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AmbiblendError(f"Cannot create the folder {path.parent}: {exc}") from exc
    return path


def _with_only_selected(obj, export):
    """Run ``export()`` with ``obj`` the only selected and active object, then restore."""
    view_layer = bpy.context.view_layer
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    try:
        for o in selected:
            o.select_set(False)
        obj.select_set(True)
        view_layer.objects.active = obj
        return export()
    finally:
        obj.select_set(False)
        for o in selected:
            o.select_set(True)
        view_layer.objects.active = active


def export_fbx(obj, path, *, global_scale: float = 1.0, axis_forward: str = "-Z", axis_up: str = "Y",
               apply_scale_options: str = "FBX_SCALE_NONE", simplify: float = 0.0,
               add_leaf_bones: bool = True, **fbx_options) -> Path:
    """Write ``obj`` (armature) and its animation over the scene's frame range to ``path`` (.fbx).

    simplify: the exporter's ``bake_anim_simplify_factor``; 0 keeps a key on every frame (exact).
    add_leaf_bones: FBX stores joints, not bone lengths, so without the ``<bone>_end`` leaves the
    wrists, ankles and head top are not in the file (importers guess their length); Blender's
    importer with ``ignore_leaf_bones=True`` turns them back into exact bone tails.
    ``fbx_options`` go to ``bpy.ops.export_scene.fbx`` as is (engine presets set axes and scale).
    Returns the written path; raises AmbiblendError for a non-armature or an unwritable path.
    """
    check_armature(obj)
    path = _output_path(path, ".fbx")
    options = dict(
        filepath=str(path), use_selection=True, object_types={"ARMATURE"}, add_leaf_bones=add_leaf_bones,
        bake_anim=True, bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False,
        bake_anim_force_startend_keying=True, bake_anim_simplify_factor=simplify,
        global_scale=global_scale, axis_forward=axis_forward, axis_up=axis_up,
        apply_scale_options=apply_scale_options)
    options.update(fbx_options)
    result = _with_only_selected(obj, lambda: bpy.ops.export_scene.fbx(**options))
    if "FINISHED" not in result or not path.is_file():
        raise AmbiblendError(f"FBX export to {path} failed.")
    return path

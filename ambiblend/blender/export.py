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
    """Run ``export()`` with ``obj`` the only selected and active object, then restore.

    Blender's exporters report their own failures (e.g. a file they cannot open) by raising
    RuntimeError: that becomes an AmbiblendError with the exporter's message."""
    view_layer = bpy.context.view_layer
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    try:
        for o in selected:
            o.select_set(False)
        obj.select_set(True)
        view_layer.objects.active = obj
        try:
            return export()
        except RuntimeError as exc:
            # Blender's message: "Error: Python: Traceback …", the exception line, "Location: …".
            lines = [line.strip() for line in str(exc).splitlines()
                     if line.strip() and not line.strip().startswith("Location:")]
            raise AmbiblendError(f"Export failed: {lines[-1] if lines else exc}") from exc
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


# --- engine presets, BVH and glTF (retarget/export engineer) -----------------------------------

# FBX axis and unit conventions per target application (options of Blender's FBX exporter).
# Blender: the exporter's defaults (−Z forward, Y up, FBX unit scale from the scene's metres).
# Unity:  −Z forward, Y up, all scalings applied into the FBX unit scale, so Unity's "Convert
#         Units" gives a 1:1 object scale (no 100× root, the usual Blender→Unity complaint).
# Unreal: Z up with −Y forward, Unreal's own axes, units as centimetres (FBX_SCALE_NONE writes
#         metres as 100 cm), so the skeleton imports upright and at the right size.
FBX_PRESETS = {
    "BLENDER": {},
    "UNITY": {"axis_forward": "-Z", "axis_up": "Y", "apply_scale_options": "FBX_SCALE_ALL"},
    "UNREAL": {"axis_forward": "-Y", "axis_up": "Z", "apply_scale_options": "FBX_SCALE_NONE"},
}
EXPORT_FORMATS = ("fbx", "bvh", "glb")


def export_fbx_preset(obj, path, preset: str = "BLENDER", **fbx_options) -> Path:
    """``export_fbx`` with the axis/scale options of ``FBX_PRESETS[preset]``."""
    if preset not in FBX_PRESETS:
        raise AmbiblendError(f"Unknown FBX preset '{preset}'; use one of {', '.join(FBX_PRESETS)}.")
    return export_fbx(obj, path, **{**FBX_PRESETS[preset], **fbx_options})


def _frame_range(frame_start, frame_end) -> tuple[int, int]:
    scene = bpy.context.scene
    start = scene.frame_start if frame_start is None else int(frame_start)
    end = scene.frame_end if frame_end is None else int(frame_end)
    if end < start:
        raise AmbiblendError(f"Empty frame range {start}..{end}.")
    return start, end


def export_bvh(obj, path, frame_start: int | None = None, frame_end: int | None = None,
               global_scale: float = 1.0) -> Path:
    """Write ``obj`` (armature) and its animation to ``path`` (.bvh), one frame per scene frame.

    Blender's BVH writer keeps Blender's axes (Z up); import it back with axis_forward="Y",
    axis_up="Z". Only the root bone carries translation channels (the others only rotate)."""
    check_armature(obj)
    path = _output_path(path, ".bvh")
    start, end = _frame_range(frame_start, frame_end)
    result = _with_only_selected(obj, lambda: bpy.ops.export_anim.bvh(
        filepath=str(path), frame_start=start, frame_end=end, global_scale=global_scale,
        rotate_mode="NATIVE", root_transform_only=True))
    if "FINISHED" not in result or not path.is_file():
        raise AmbiblendError(f"BVH export to {path} failed.")
    return path


def export_gltf(obj, path) -> Path:
    """Write ``obj`` (armature) and its active action to ``path``: .glb (one binary file) or
    .gltf (JSON + .bin). Sampled on every frame of the scene's range, Y up as glTF requires."""
    check_armature(obj)
    suffix = Path(str(path)).suffix.lower()
    path = _output_path(path, suffix if suffix in (".glb", ".gltf") else ".glb")
    result = _with_only_selected(obj, lambda: bpy.ops.export_scene.gltf(
        filepath=str(path), export_format="GLB" if suffix == ".glb" else "GLTF_SEPARATE",
        use_selection=True, export_yup=True, export_animations=True,
        export_animation_mode="ACTIVE_ACTIONS", export_frame_range=True, export_force_sampling=True,
        export_optimize_animation_size=False, export_anim_single_armature=True))
    if "FINISHED" not in result or not path.is_file():
        raise AmbiblendError(f"glTF export to {path} failed.")
    return path


def export_all(obj, folder, stem: str, formats=EXPORT_FORMATS, fbx_preset: str = "BLENDER") -> list[Path]:
    """Batch helper: ``<folder>/<stem>.<fmt>`` for each of ``formats`` (fbx, bvh, glb, gltf)."""
    unknown = [f for f in formats if f not in ("fbx", "bvh", "glb", "gltf")]
    if unknown:
        raise AmbiblendError(f"Unknown export formats: {', '.join(unknown)} (use fbx, bvh, glb, gltf).")
    folder = Path(folder)
    writers = {"fbx": lambda p: export_fbx_preset(obj, p, fbx_preset), "bvh": lambda p: export_bvh(obj, p),
               "glb": lambda p: export_gltf(obj, p), "gltf": lambda p: export_gltf(obj, p)}
    return [writers[f](folder / f"{stem}.{f}") for f in formats]

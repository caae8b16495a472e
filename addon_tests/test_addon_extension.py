"""The extension builds and validates with Blender's own tool, installs, and enables/disables
cleanly (Blender's add-on test pattern: enable, disable, re-enable twice, nothing left behind)."""
from __future__ import annotations

import zipfile

import bpy
import addon_utils  # noqa: I001  (after bpy)
from ambi_helpers import run_ext_cli


def test_build_validate_and_zip_contents(extension_zip):
    result = run_ext_cli("validate", extension_zip)
    assert result.returncode == 0, result.stdout + result.stderr
    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "ambiblend/blender/operators.py" in names and "ambiblend/core/pipeline.py" in names
    assert "assets/sample/pose2sim_cam04.mp4" in names
    # Development folders stay out of the shipped zip.
    for prefix in ("training/", "addon_tests/", "tests/", ".venv/", "bench/", "tools/"):
        assert not any(n.startswith(prefix) for n in names), prefix


def _registered() -> dict:
    t = bpy.types
    return {
        "scene_settings": hasattr(t.Scene, "ambiblend"),
        "panel": t.Panel.bl_rna_get_subclass_py("AMBI_PT_main") is not None,
        "lift": t.Operator.bl_rna_get_subclass_py("AMBIBLEND_OT_lift_video") is not None,
        "export": t.Operator.bl_rna_get_subclass_py("AMBIBLEND_OT_export_fbx") is not None,
        "settings_group": t.PropertyGroup.bl_rna_get_subclass_py("AMBI_PG_settings") is not None,
        "preferences": t.AddonPreferences.bl_rna_get_subclass_py("AMBI_AddonPreferences") is not None,
    }


def _handlers() -> dict:
    return {name: len(getattr(bpy.app.handlers, name)) for name in dir(bpy.app.handlers)
            if isinstance(getattr(bpy.app.handlers, name), list)}


def test_installed_enabled_and_re_enabled_twice(addon, installed):
    assert installed in bpy.context.preferences.addons
    assert all(_registered().values()), _registered()
    assert addon.device == "AUTO"
    handlers = _handlers()
    for _ in range(2):
        addon_utils.disable(installed, default_set=True)
        assert installed not in bpy.context.preferences.addons
        assert not any(_registered().values()), _registered()
        addon_utils.enable(installed, default_set=True)
        assert all(_registered().values()), _registered()
    assert _handlers() == handlers
    # The scene settings work after the cycles.
    bpy.context.scene.ambiblend.subject_height = 1.82
    assert abs(bpy.context.scene.ambiblend.subject_height - 1.82) < 1e-6

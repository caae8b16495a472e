"""Add-on preferences: the weights file and the inference device.

``bl_idname`` must be the add-on's module name. Inside Blender that is the extension package
(``bl_ext.user_default.ambiblend``, the repo root's ``__init__.py``) and our code is its
``ambiblend`` sub-package, so it is this package's name minus ``.ambiblend.blender``; run from
the repo (tests, batch) it is plain ``ambiblend``.
"""
from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty
from bpy.types import AddonPreferences

from ..core.assets import bundled_weights


def _addon_id(package: str) -> str:
    """'<addon>.ambiblend.blender' → '<addon>'; 'ambiblend.blender' → 'ambiblend'."""
    inner = package.rsplit(".", 1)[0]             # drop ".blender"
    return inner.rsplit(".", 1)[0] if "." in inner else inner


ADDON_ID = _addon_id(__package__)

DEVICES = (
    ("AUTO", "Auto", "CUDA when available, else CPU"),
    ("CUDA", "CUDA", "NVIDIA GPU (fails clearly when there is none)"),
    ("CPU", "CPU", "Always the CPU"),
)


class AMBI_AddonPreferences(AddonPreferences):
    bl_idname = ADDON_ID

    weights: StringProperty(
        name="Weights", subtype="FILE_PATH", default=str(bundled_weights()),
        description="Lifter weights (.safetensors; a training .pt only where PyTorch is installed); empty = the model bundled with the add-on")
    device: EnumProperty(name="Device", items=DEVICES, default="AUTO",
                         description="Where the lifting network runs")

    def draw(self, context):
        from .dependencies import missing_modules  # late: dependencies imports this module
        layout = self.layout
        layout.prop(self, "weights")
        layout.prop(self, "device")
        missing = missing_modules()
        box = layout.box()
        if missing:  # only from a source checkout: the platform zip carries them
            box.label(text="Missing Python packages: " + ", ".join(missing), icon="ERROR")
            box.label(text="Install ambiblend-<version>-<platform>.zip for this system (Install from Disk)")
        else:
            box.label(text="MediaPipe and OpenCV are installed", icon="CHECKMARK")


def get_preferences(context=None):
    """Our preferences, or None when the code runs outside an enabled add-on (batch, tests)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


classes = (AMBI_AddonPreferences,)

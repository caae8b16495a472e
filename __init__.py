"""Blender's entry point for the AmbiBlend extension.

Blender loads the folder holding ``blender_manifest.toml`` as the extension package; the
add-on itself lives in ``ambiblend/``. Imports are deferred so that plain-Python tools
(pytest, training) that see this folder never import ``bpy`` through it.
"""


def register():
    from .ambiblend import register as _register
    _register()


def unregister():
    from .ambiblend import unregister as _unregister
    _unregister()

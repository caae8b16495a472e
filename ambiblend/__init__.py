"""AmbiBlend add-on: register/unregister only.

Each module in ``_modules()`` exposes ``classes`` (registered in order, unregistered in reverse)
and may define ``post_register()`` / ``pre_unregister()`` for what is not a class (e.g. the
``Scene.ambiblend`` pointer). To add a module, append it to the list — groups another group
points to must come earlier. bpy is imported only here, inside the functions, so
``import ambiblend.core...`` works without Blender (training, tests).
"""


def _modules():
    from .blender import dependencies, export_ui, operators, panel, people_ui, prefs, props, retarget, retarget_ui
    return [prefs, dependencies, props, operators, panel, people_ui, retarget_ui, retarget, export_ui]


def register():
    import bpy
    for module in _modules():
        for cls in module.classes:
            bpy.utils.register_class(cls)
        if hasattr(module, "post_register"):
            module.post_register()


def unregister():
    import bpy
    for module in reversed(_modules()):
        if hasattr(module, "pre_unregister"):
            module.pre_unregister()
        for cls in reversed(module.classes):
            bpy.utils.unregister_class(cls)

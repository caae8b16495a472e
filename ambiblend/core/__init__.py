"""bpy-free core of AmbiBlend, one sub-package per pipeline stage.

detect → scale → lift → clean → retarget → export

Nothing here imports ``bpy`` or ``mathutils``: the core runs and is tested in plain Python,
and ``training/`` imports the same model code.
"""

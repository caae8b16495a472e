"""Retargeting: bone mapping (``mapping``, ``presets``) and the pose solver (``solve``).

bpy-free: the Blender layer reads the rig's rest bones, calls ``solve_pose`` and bakes the
result with ``ambiblend.blender.keyframes``.
"""

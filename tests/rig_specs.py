"""Rig tables shared by the solver tests (bpy-free) and the Blender retarget tests."""
import numpy as np


def mixamo_spec(arm_drop_deg=0.0):
    """A Mixamo-named humanoid (metres, Z up, facing −Y); arms dropped by arm_drop_deg (A-pose)."""
    a = np.radians(arm_drop_deg)
    spec = [("Hips", None, (0, 0, 1.0), (0, 0, 1.1)), ("Spine", "Hips", (0, 0, 1.1), (0, 0, 1.2)),
            ("Spine1", "Spine", (0, 0, 1.2), (0, 0.01, 1.3)), ("Spine2", "Spine1", (0, 0.01, 1.3), (0, 0, 1.45)),
            ("Neck", "Spine2", (0, 0, 1.45), (0, 0, 1.55)), ("Head", "Neck", (0, 0, 1.55), (0, 0, 1.75))]
    for s, sx in (("Left", 1), ("Right", -1)):
        sh = np.array([sx * 0.18, 0, 1.42])
        arm = np.array([sx * np.cos(a), 0, -np.sin(a)])
        spec += [(f"{s}Shoulder", "Spine2", (sx * 0.03, 0, 1.42), tuple(sh)),
                 (f"{s}Arm", f"{s}Shoulder", tuple(sh), tuple(sh + 0.28 * arm)),
                 (f"{s}ForeArm", f"{s}Arm", tuple(sh + 0.28 * arm), tuple(sh + 0.53 * arm)),
                 (f"{s}Hand", f"{s}ForeArm", tuple(sh + 0.53 * arm), tuple(sh + 0.6 * arm)),
                 (f"{s}UpLeg", "Hips", (sx * 0.1, 0, 0.95), (sx * 0.1, 0, 0.52)),
                 (f"{s}Leg", f"{s}UpLeg", (sx * 0.1, 0, 0.52), (sx * 0.1, 0, 0.1)),
                 (f"{s}Foot", f"{s}Leg", (sx * 0.1, 0, 0.1), (sx * 0.1, -0.12, 0.02))]
    return spec

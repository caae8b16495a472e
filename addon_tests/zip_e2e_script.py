"""Run by ``test_addon_zip.py`` with a Python that holds only ``bpy`` (``.venv313-bare``, like a
fresh Blender 5.2): install the platform zip into an empty user folder, enable it, run the
bundled sample video through the detector, Lift Video, export FBX and re-import it. Prints one
``RESULT <json>`` line; the test makes the assertions.

    python -I zip_e2e_script.py <platform zip> <empty work folder>
"""
import importlib
import importlib.util
import json
import os
import sys

ZIP, WORK = sys.argv[1], sys.argv[2]
USER = os.path.join(WORK, "blender-user")
os.makedirs(USER)
os.environ["BLENDER_USER_RESOURCES"] = USER  # before bpy: nothing outside WORK is touched

import bpy  # noqa: E402
import numpy as np  # noqa: E402  (Blender's own numpy)

ADDON = "bl_ext.user_default.ambiblend"
out = {"python": list(sys.version_info[:2]), "blender": bpy.app.version_string,
       "user": USER, "sys_path": list(sys.path)}
out["install"] = sorted(bpy.ops.extensions.package_install_files(
    filepath=ZIP, repo="user_default", enable_on_install=True))
out["enabled"] = ADDON in bpy.context.preferences.addons
out["site_packages"] = os.path.join(USER, "extensions", ".local", "lib",
                                    "python{}.{}".format(*sys.version_info[:2]), "site-packages")
ext_dir = os.path.join(USER, "extensions", "user_default", "ambiblend")
video = os.path.join(ext_dir, "assets", "sample", "pose2sim_cam04.mp4")   # the zip's own copy
out["video_in_zip"] = os.path.isfile(video)

# The detector alone, from the installed extension (compared with the bundled keypoints).
detect = importlib.import_module(ADDON + ".ambiblend.core.detect")
kp = detect.detect_video(video)
out["detected_xy"] = kp.xy.tolist()
out["detected_filled"] = int(np.asarray(kp.filled).sum())

# The operator chain a user runs: Lift Video on the clip, then Export FBX.
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
scene = bpy.context.scene
scene.ambiblend.clip_path = video
out["lift"] = sorted(bpy.ops.ambiblend.lift_video())
arm = bpy.context.active_object
armature = importlib.import_module(ADDON + ".ambiblend.blender.armature")
from bpy_extras import anim_utils  # noqa: E402

bag = anim_utils.animdata_get_channelbag_for_assigned_slot(arm.animation_data)
out["object_type"] = arm.type
out["fcurves"] = len(bag.fcurves)
out["keys_per_fcurve"] = sorted({len(fc.keyframe_points) for fc in bag.fcurves})
out["key_range"] = [min(fc.range()[0] for fc in bag.fcurves), max(fc.range()[1] for fc in bag.fcurves)]
out["scene_range"] = [scene.frame_start, scene.frame_end]
out["fps"] = scene.render.fps / scene.render.fps_base
frames = list(range(scene.frame_start, scene.frame_end + 1))


def joints_at(obj):
    rows = []
    for f in frames:
        scene.frame_set(f)
        rows.append(armature.posed_joints(obj))
    return np.stack(rows)


out["joints"] = joints_at(arm).tolist()
out["bones"] = sorted(b.name for b in arm.data.bones)
fbx = os.path.join(WORK, "lift.fbx")
out["export"] = sorted(bpy.ops.ambiblend.export_fbx(filepath=fbx))
out["fbx_bytes"] = os.path.getsize(fbx) if os.path.exists(fbx) else 0

# Which files the lift ran on: the zip's unpacked wheels, Blender's numpy, never torch or scipy.
out["modules"] = {name: getattr(sys.modules.get(name), "__file__", None)
                  for name in ("mediapipe", "cv2", "matplotlib", "PIL", "numpy", "torch", "scipy")}
out["versions"] = {name: getattr(sys.modules.get(name), "__version__", None) for name in ("mediapipe", "cv2")}
out["torch_importable"] = importlib.util.find_spec("torch") is not None

# Re-import the FBX into an empty scene (anim_offset=0: the importer's default shifts keys).
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.fbx(filepath=fbx, anim_offset=0.0, ignore_leaf_bones=True)
scene = bpy.context.scene
imported = [o for o in bpy.data.objects if o.type == "ARMATURE"]
out["imported_armatures"] = len(imported)
if imported:
    action = imported[0].animation_data.action
    out["imported_bones"] = sorted(b.name for b in imported[0].data.bones)
    out["imported_key_range"] = list(action.frame_range)
    out["imported_joints"] = joints_at(imported[0]).tolist()
print("RESULT " + json.dumps(out))

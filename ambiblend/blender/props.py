"""Scene settings of AmbiBlend: one ``AMBI_PG_settings`` behind ``Scene.ambiblend``.

Lift options (clip, subject height, lens, root motion) and the motion-cleaning options passed
to ``core.clean.clean_motion``. Nested groups of other stages (e.g. retargeting) go in here as
``PointerProperty`` members so ``unregister`` stays one ``del``.
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, FloatProperty, PointerProperty, StringProperty
from bpy.types import PropertyGroup

from ..core.hands.pipeline import HANDS_DEFAULT
from ..core.pipeline import DETECTOR_3D_WEIGHT
from ..core.scale.trajectory import DEFAULT_FOCAL_35MM, DEFAULT_SUBJECT_HEIGHT


class AMBI_PG_settings(PropertyGroup):
    clip_path: StringProperty(
        name="Clip", subtype="FILE_PATH",
        description="Video (mp4, mov, avi, …) or keypoint file (COCO/OpenPose JSON, .npz)")
    subject_height: FloatProperty(
        name="Subject Height", default=DEFAULT_SUBJECT_HEIGHT, min=0.3, max=3.0, soft_min=1.0,
        soft_max=2.2, unit="LENGTH", subtype="DISTANCE",
        description="Standing height of the filmed person; sets the size of the skeleton")
    focal_35mm: FloatProperty(
        name="Lens (35 mm eq.)", default=DEFAULT_FOCAL_35MM, min=5.0, max=300.0,
        description="Focal length of the camera, 35 mm equivalent; scales the depth of the root motion")
    root_motion: BoolProperty(
        name="Root Motion", default=True,
        description="Move the character through space as in the video; off = in place (height kept)")
    detector_3d: FloatProperty(
        name="Detector 3D", default=DETECTOR_3D_WEIGHT, min=0.0, max=1.0, subtype="FACTOR",
        description="Blend of MediaPipe's own 3D depth into the lifter's: 0 = lifter only, 1 = detector only "
                    "(videos; keypoint files have no detector 3D)")
    clean: BoolProperty(name="Clean Motion", default=True,
                        description="Smooth, fix bone lengths, put on the ground and lock feet")
    smoothness: FloatProperty(name="Smoothness", default=0.5, min=0.0, max=1.0, subtype="FACTOR",
                              description="0 = raw detections, 1 = very smooth")
    fix_bone_lengths: BoolProperty(name="Fix Bone Lengths", default=True,
                                   description="Keep every bone at its median length over the clip")
    ground: BoolProperty(name="Ground", default=True, description="Put the feet on the ground plane z = 0")
    lock_feet: BoolProperty(name="Lock Feet", default=True,
                            description="Remove foot sliding while a foot is planted")
    hands: BoolProperty(name="Hands", default=HANDS_DEFAULT,
                        description="Detect the hands too (crops around the wrists) and key finger bones; "
                                    "videos only, slower detection")
    finger_smoothness: FloatProperty(name="Finger Smoothness", default=0.5, min=0.0, max=1.0, subtype="FACTOR",
                                     description="Smoothing of the finger angles and hand rotation: 0 = raw, "
                                                 "1 = very smooth")


def clean_options(settings):
    """``CleanOptions`` for ``clean_motion`` from the settings, or None when cleaning is off."""
    if not settings.clean:
        return None
    from ..core.clean import CleanOptions
    return CleanOptions(smoothness=settings.smoothness, fix_bone_lengths=settings.fix_bone_lengths,
                        ground=settings.ground, lock_feet=settings.lock_feet,
                        in_place=not settings.root_motion, finger_smoothness=settings.finger_smoothness)


classes = (AMBI_PG_settings,)


def post_register():
    bpy.types.Scene.ambiblend = PointerProperty(type=AMBI_PG_settings)


def pre_unregister():
    del bpy.types.Scene.ambiblend

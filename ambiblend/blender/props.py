"""Scene settings of AmbiBlend: one ``AMBI_PG_settings`` behind ``Scene.ambiblend``.

Lift options (clip, subject height, lens, root motion) and the motion-cleaning options passed
to ``core.clean.clean_motion``. Nested groups of other stages (e.g. retargeting) go in here as
``PointerProperty`` members so ``unregister`` stays one ``del``.
"""
from __future__ import annotations

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, FloatVectorProperty,
                       IntProperty, PointerProperty, StringProperty)
from bpy.types import PropertyGroup

from ..core.hands.pipeline import HANDS_DEFAULT
from ..core.pipeline import DETECTOR_3D_WEIGHT
from ..core.scale.trajectory import DEFAULT_FOCAL_35MM, DEFAULT_SUBJECT_HEIGHT


class AMBI_PG_person(PropertyGroup):
    """One person found in the clip (``Find People``), as the panel lists them."""
    number: IntProperty(name="Person", min=1)
    frames_seen: IntProperty(name="Frames Seen", min=0)
    first_frame: IntProperty(name="First Frame", min=1)
    last_frame: IntProperty(name="Last Frame", min=1)
    height_px: FloatProperty(name="Height (px)", min=0.0, description="Median box height in pixels")


PERSON_MODES = (
    ("LARGEST", "Largest", "The person with the largest median box over the frames they are seen in"),
    ("VISIBLE", "Most Visible", "The person seen in the most frames"),
    ("INDEX", "Number", "Person number N of the list (Find People)"),
    ("POINT", "At Point", "The person whose box holds the image point (pixels, x right, y down)"),
    ("ALL", "Everyone", "One armature per person, where they stand relative to each other"),
)


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
    repair_swaps: BoolProperty(
        name="Repair Left/Right Swaps", default=True,
        description="Relabel left and right where the detector took the person's back for the front "
                    "(found by how fast the body would have to turn)")
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
    person_mode: EnumProperty(name="Animate", items=PERSON_MODES, default="LARGEST",
                              description="Who to animate when several people are in the clip")
    person_index: IntProperty(name="Person", default=1, min=1, description="Number of the person (from 1, as listed)")
    person_point: FloatVectorProperty(name="Point", size=2, default=(0.0, 0.0), min=0.0,
                                      description="Image point in pixels (x right, y down) on the person")
    people_frame: IntProperty(name="Boxes on Frame", default=1, min=1,
                              description="Clip frame whose boxes the list of people shows")
    max_people: IntProperty(name="Max People", default=4, min=1, max=20,
                            description="People looked for in each frame (1 = the single-person detector)")
    people: CollectionProperty(type=AMBI_PG_person)
    people_clip: StringProperty(description="The clip the list of people was made for")
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


def person_choice(settings) -> str:
    """The panel's choice as ``core.track.choose`` reads it ("largest", "index 2", "x,y", …)."""
    mode = settings.person_mode
    if mode == "INDEX":
        return f"index {settings.person_index}"
    if mode == "POINT":
        return f"{settings.person_point[0]:g},{settings.person_point[1]:g}"
    return {"LARGEST": "largest", "VISIBLE": "visible", "ALL": "all"}[mode]


classes = (AMBI_PG_person, AMBI_PG_settings)


def post_register():
    bpy.types.Scene.ambiblend = PointerProperty(type=AMBI_PG_settings)


def pre_unregister():
    del bpy.types.Scene.ambiblend

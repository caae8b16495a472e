"""Retarget + bake speed: our solver and F-curve writer vs the constraint + ``nla.bake`` route.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_retarget.py [--frames 18000] [--nla-frames 600]

Source: a synthetic walk (tests/walk_motion.py) of --frames frames (18,000 = 10 min at 30 fps)
baked on an AmbiBlend armature as Lift Video leaves it. Target: Rigify's human meta-rig.
  ours: ``blender.retarget.retarget`` (read, scale, solve all frames with numpy, write keys).
  nla:  Damped Track constraints on the 12 mapped bones towards the source bones' tails plus a
        Copy Location on the hips, then ``bpy.ops.nla.bake`` (visual keying, constraints cleared)
        — the usual way add-ons do it. It evaluates the scene once per frame, so it is run on
        --nla-frames frames and extrapolated linearly to --frames (printed as such).
Prints seconds for both, frames per second and the ratio, from the same run on the same machine.
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if "BLENDER_USER_RESOURCES" not in os.environ:
    os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="ambiblend-bench-")
    atexit.register(shutil.rmtree, os.environ["BLENDER_USER_RESOURCES"], ignore_errors=True)

import bpy  # noqa: E402
import addon_utils  # noqa: E402,I001  (importable only after bpy)
import numpy as np  # noqa: E402

from ambiblend.blender.armature import BONE_OF_JOINT, bake_motion  # noqa: E402
from ambiblend.blender.retarget import automap, retarget, source_motion  # noqa: E402
from ambiblend.core.pipeline import Motion  # noqa: E402
from ambiblend.core.retarget.mapping import SLOT_TARGETS  # noqa: E402
from tests.walk_motion import walk  # noqa: E402


def scene_with_source(frames: int):
    """Empty scene, the walk on an AmbiBlend armature, and a Rigify meta-rig; returns both."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    joints, _ = walk(frames)
    motion = Motion(joints=joints, fps=30.0, scale=np.ones(frames), conf=np.ones((frames, 17)),
                    filled=np.zeros(frames, bool), source="walk", meters_per_unit=1.0)
    source, _ = bake_motion(bpy.context, motion, "walk")
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    return source, bpy.context.active_object


def ours(frames: int) -> float:
    source, rig = scene_with_source(frames)
    t0 = time.perf_counter()
    joints, fps = source_motion(source)
    _, mapping = automap(rig)
    retarget(bpy.context, joints, fps, rig, mapping, frame_start=1)
    return time.perf_counter() - t0


def nla(frames: int) -> float:
    source, rig = scene_with_source(frames)
    t0 = time.perf_counter()
    _, mapping = automap(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="POSE")
    for slot, bone in mapping.items():
        pb = rig.pose.bones[bone]
        track = pb.constraints.new("DAMPED_TRACK")
        track.target, track.subtarget = source, BONE_OF_JOINT[SLOT_TARGETS[slot].tail]
        track.head_tail = 1.0
        if slot == "hips":
            loc = pb.constraints.new("COPY_LOCATION")
            loc.target, loc.subtarget = source, BONE_OF_JOINT[0]
            pb.constraints.move(1, 0)
    bpy.ops.pose.select_all(action="SELECT")
    bpy.ops.nla.bake(frame_start=1, frame_end=frames, only_selected=True, visual_keying=True,
                     clear_constraints=True, bake_types={"POSE"})
    bpy.ops.object.mode_set(mode="OBJECT")
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=18000)
    parser.add_argument("--nla-frames", type=int, default=600)
    args = parser.parse_args()
    t_ours = ours(args.frames)
    t_nla_part = nla(args.nla_frames)
    t_nla = t_nla_part * args.frames / args.nla_frames
    print(f"frames: {args.frames} (Rigify meta-rig, 12 mapped bones, {bpy.app.version_string})")
    print(f"ours  (solve + fast keys):       {t_ours:8.2f} s   {args.frames / t_ours:10.0f} frames/s")
    print(f"nla   (constraints + nla.bake):  {t_nla:8.2f} s   {args.nla_frames / t_nla_part:10.0f} frames/s"
          f"   (measured on {args.nla_frames} frames: {t_nla_part:.2f} s, extrapolated ×{args.frames / args.nla_frames:.0f})")
    print(f"ratio nla / ours: {t_nla / t_ours:.1f}×")


if __name__ == "__main__":
    main()

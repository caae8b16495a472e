"""Lift Video speed on the bundled sample: how much of the time is the detector, and how much
faster our F-curve writer is than ``keyframe_insert``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_lift.py [--weights assets/model.safetensors] [--tile 10]

Prints, in one run on one machine (medians of --repeat interleaved runs):
  detector-only seconds (``read_input`` on the sample video, MediaPipe on every frame),
  end-to-end seconds (detect → lift → clean → keyed armature), and their ratio;
  keys per second written by ``blender/keyframes.py`` vs ``pose_bone.keyframe_insert`` for the
  same motion (the sample's motion tiled ``--tile`` times so the writer's time is measurable).
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
import numpy as np  # noqa: E402

from ambiblend.blender.armature import (BONE_OF_JOINT, ROOT_BONE, bake_motion, bone_targets,  # noqa: E402
                                        build_armature, rest_bones, rest_joints)
from ambiblend.blender.keyframes import new_action, write_bone_channels  # noqa: E402
from ambiblend.core.clean import CleanOptions  # noqa: E402
from ambiblend.core.detect import read_input  # noqa: E402
from ambiblend.core.pipeline import PipelineOptions, lift_keypoints, load_lifting_model  # noqa: E402
from ambiblend.core.retarget.solve import solve_pose  # noqa: E402

SAMPLE = REPO / "assets" / "sample" / "pose2sim_cam04.mp4"


def timed(fn):
    """(result, wall seconds); CPU seconds of this process are kept in ``CPU`` (less sensitive to
    other jobs on a shared machine than wall time)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU.append(time.process_time() - cpu)
    return out, time.perf_counter() - start


CPU: list[float] = []


def end_to_end(model, options):
    """detect → lift → clean → armature keyed, in a fresh scene. Returns (motion, seconds)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)

    def run():
        motion = lift_keypoints(read_input(SAMPLE), model, options)
        bake_motion(bpy.context, motion, "bench")
        return motion
    return timed(run)


def writer_vs_keyframe_insert(joints: np.ndarray) -> tuple[int, float, float]:
    """Key the same rotations + root location with our writer and with keyframe_insert.
    Returns (keys, writer seconds, keyframe_insert seconds)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = build_armature(bpy.context, "bench", rest_joints(joints))
    pose = solve_pose(rest_bones(obj), bone_targets(), joints)
    quats = np.stack([pose.rotations[name] for name in BONE_OF_JOINT], axis=1)
    root_loc = pose.locations[ROOT_BONE]
    frames = np.arange(1, len(joints) + 1, dtype=np.float64)

    def ours():
        _, channelbag = new_action(obj, "writer")
        return sum(write_bone_channels(channelbag, name, frames, rotation_quaternion=quats[:, j],
                                       location=root_loc if j == 0 else None)
                   for j, name in enumerate(BONE_OF_JOINT))
    keys, t_ours = timed(ours)

    def insert():
        new_action(obj, "keyframe_insert")
        bones = [obj.pose.bones[name] for name in BONE_OF_JOINT]
        for t, f in enumerate(frames):
            for j, pb in enumerate(bones):
                pb.rotation_quaternion = quats[t, j]
                pb.keyframe_insert("rotation_quaternion", frame=f, group=pb.name)
            bones[0].location = root_loc[t]
            bones[0].keyframe_insert("location", frame=f, group=bones[0].name)
    _, t_insert = timed(insert)
    return keys, t_ours, t_insert


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, default=REPO / "assets" / "model.safetensors")
    p.add_argument("--tile", type=int, default=10, help="repeat the sample's motion for the key bench")
    p.add_argument("--repeat", type=int, default=5, help="runs of detector / end to end (median)")
    args = p.parse_args()
    options = PipelineOptions(weights=args.weights, device="CPU", clean=CleanOptions())
    model = load_lifting_model(options)
    read_input(SAMPLE)   # warm-up: MediaPipe graph creation and first-run costs out of the timings
    t_detect, t_e2e, t_after, c_detect, c_e2e = [], [], [], [], []
    for _ in range(args.repeat):   # interleaved so all see the same machine load
        keypoints, t = timed(lambda: read_input(SAMPLE))
        t_detect.append(t)
        c_detect.append(CPU[-1])
        motion, t = end_to_end(model, options)
        t_e2e.append(t)
        c_e2e.append(CPU[-1])
        bpy.ops.wm.read_factory_settings(use_empty=True)
        t_after.append(timed(lambda: bake_motion(bpy.context, lift_keypoints(keypoints, model, options), "b"))[1])
    t_detect, t_e2e, t_after, c_detect, c_e2e = (float(np.median(t))
                                                 for t in (t_detect, t_e2e, t_after, c_detect, c_e2e))
    n = motion.num_frames
    print(f"sample: {SAMPLE.name}, {n} frames; weights: {args.weights.name} (numpy lifter)")
    print(f"median of {args.repeat} interleaved runs")
    print(f"detector only : {t_detect:7.3f} s ({1000 * t_detect / n:.1f} ms/frame)")
    print(f"end to end    : {t_e2e:7.3f} s ({1000 * t_e2e / n:.1f} ms/frame)")
    print(f"ratio end-to-end / detector: {t_e2e / t_detect:.3f} wall, {c_e2e / c_detect:.3f} CPU "
          f"(CPU s: detector {c_detect:.3f}, end to end {c_e2e:.3f})")
    print(f"after detection alone (lift + clean + keyed armature): {t_after:.3f} s "
          f"({100 * t_after / t_e2e:.1f} % of end to end)")
    joints = np.concatenate([motion.joints] * args.tile)
    keys, t_ours, t_insert = writer_vs_keyframe_insert(joints)
    print(f"keys: {keys} ({len(joints)} frames x {keys // len(joints)} channels)")
    print(f"our writer     : {t_ours:7.3f} s  {keys / t_ours:12,.0f} keys/s")
    print(f"keyframe_insert: {t_insert:7.3f} s  {keys / t_insert:12,.0f} keys/s")
    print(f"ratio writer / keyframe_insert speed: {t_insert / t_ours:.1f}x")


if __name__ == "__main__":
    main()

"""Shared helpers of the Blender tests (imported by conftest after BLENDER_USER_RESOURCES is set)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = REPO / "assets" / "sample" / "pose2sim_cam04.mp4"
SAMPLE_KEYPOINTS = REPO / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
BUNDLED_WEIGHTS = REPO / "assets" / "model.safetensors"
EXT_CLI = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
FETCH_WHEELS = REPO / "tools" / "fetch_wheels.py"


def this_platform() -> str:
    """Blender's name for this machine's platform, e.g. ``linux-x64`` (a platform zip's suffix)."""
    import platform
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}[sys.platform]
    machine = {"x86_64": "x64", "amd64": "x64", "arm64": "arm64", "aarch64": "arm64"}[platform.machine().lower()]
    return f"{system}-{machine}"


def build_platform_zips(out: Path) -> dict[str, Path]:
    """``blender_ext.py build --split-platforms`` of the repo into ``out`` → platform → zip.
    The bundled wheels must be in wheels/ (``tools/fetch_wheels.py``, run by tools/setup.sh)."""
    check = subprocess.run([sys.executable, str(FETCH_WHEELS), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, ("the extension's wheels are not ready; run `python tools/fetch_wheels.py`"
                                   " (or bash tools/setup.sh):\n" + check.stderr)
    result = run_ext_cli("build", "--source-dir", REPO, "--output-dir", out, "--split-platforms")
    assert result.returncode == 0, result.stdout + result.stderr
    zips = {p.stem.rsplit("-", 1)[1].replace("_", "-"): p for p in out.glob("ambiblend-*.zip")}
    assert this_platform() in zips, sorted(zips)
    return zips


def run_ext_cli(*args) -> subprocess.CompletedProcess:
    """Blender's extension command-line tool (build / validate) with this Python."""
    return subprocess.run([sys.executable, str(EXT_CLI), *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def scene_state() -> dict:
    """What a failed operator must leave as it was: datablocks, selection, timing."""
    scene = bpy.context.scene
    return {
        "objects": sorted(o.name for o in bpy.data.objects),
        "armatures": sorted(a.name for a in bpy.data.armatures),
        "actions": sorted(a.name for a in bpy.data.actions),
        "selected": sorted(o.name for o in bpy.context.view_layer.objects if o.select_get()),
        "active": getattr(bpy.context.view_layer.objects.active, "name", None),
        "timing": (scene.frame_start, scene.frame_end, scene.render.fps, scene.render.fps_base),
    }


def channelbag(obj):
    from bpy_extras import anim_utils
    return anim_utils.animdata_get_channelbag_for_assigned_slot(obj.animation_data)


def posed_world_joints(obj, frames) -> np.ndarray:
    """(len(frames), 17, 3) joint world positions of an armature with our bone names."""
    from ambiblend.blender.armature import posed_joints
    out = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        out.append(posed_joints(obj))
    return np.stack(out)

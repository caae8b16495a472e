"""Exports of a baked walk: FBX with the Blender/Unity/Unreal presets, BVH and glTF, each read
back with Blender's own importer (FBX with ``anim_offset=0.0``) and compared joint by joint on
sampled frames; the FBX files also read by an independent reader, the ``assimp`` CLI."""
from __future__ import annotations

import json
import shutil
import subprocess

import bpy
import numpy as np
import pytest
from ambi_helpers import posed_world_joints

from ambiblend.blender.armature import bake_motion
from ambiblend.blender.export import FBX_PRESETS, export_all, export_bvh, export_fbx_preset, export_gltf
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.pipeline import Motion
from tests.walk_motion import walk

FRAMES = [1, 2, 13, 27, 40]
TOL_M = 1e-3   # measured ~5e-7 m; 1 mm is far below anything visible
# FBX file coordinates of a Blender world point p per preset: scale · R · p (assimp does not apply
# the header's unit scale, so Unity's file is in metres with UnitScaleFactor 100).
Y_UP = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], float)
FILE_AXES = {"BLENDER": 100 * Y_UP, "UNITY": Y_UP, "UNREAL": 100 * np.diag([-1.0, -1.0, 1.0])}


@pytest.fixture
def walker():
    joints, _ = walk(40)
    motion = Motion(joints=joints, fps=30.0, scale=np.ones(40), conf=np.ones((40, 17)),
                    filled=np.zeros(40, bool), source="walk", meters_per_unit=1.0)
    obj, _ = bake_motion(bpy.context, motion, "walk")
    return obj


def _reimported(path, importer):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30   # glTF keys are in seconds: frames follow the scene fps
    importer(path)
    (arm,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    return arm


def _heads(obj, frames):
    mw = np.array(obj.matrix_world)
    out = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        out.append([mw[:3, :3] @ np.array(pb.head) + mw[:3, 3] for pb in sorted(obj.pose.bones, key=lambda b: b.name)])
    return np.array(out)


@pytest.mark.parametrize("preset", list(FBX_PRESETS))
def test_fbx_presets_round_trip(walker, tmp_path, preset):
    before = posed_world_joints(walker, FRAMES)
    path = export_fbx_preset(walker, tmp_path / f"walk_{preset}.fbx", preset)
    arm = _reimported(path, lambda p: bpy.ops.import_scene.fbx(filepath=str(p), anim_offset=0.0,
                                                               ignore_leaf_bones=True))
    err = np.linalg.norm(posed_world_joints(arm, FRAMES) - before, axis=-1).max()
    assert err < TOL_M, f"{preset}: max joint error {err:.2e} m"


def test_bvh_round_trip(walker, tmp_path):
    before = posed_world_joints(walker, FRAMES)
    path = export_bvh(walker, tmp_path / "walk.bvh")
    assert path.read_text().startswith("HIERARCHY")
    arm = _reimported(path, lambda p: bpy.ops.import_anim.bvh(filepath=str(p), axis_forward="Y", axis_up="Z"))
    err = np.linalg.norm(posed_world_joints(arm, FRAMES) - before, axis=-1).max()
    assert err < TOL_M, f"BVH: max joint error {err:.2e} m"


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_gltf_round_trip(walker, tmp_path, suffix):
    """glTF stores joints, not bone tails: compared on every bone head (all joints but the
    wrists, ankles and head top)."""
    before = _heads(walker, FRAMES)
    path = export_gltf(walker, tmp_path / f"walk{suffix}")
    arm = _reimported(path, lambda p: bpy.ops.import_scene.gltf(filepath=str(p)))
    err = np.linalg.norm(_heads(arm, FRAMES) - before, axis=-1).max()
    assert err < TOL_M, f"glTF: max bone head error {err:.2e} m"


def _assimp_node_positions(path, tmp_path) -> dict[str, np.ndarray]:
    """World positions {node: (keys, 3)} computed from assimp's JSON dump of the file: node
    matrices (row-major) and per-key position/rotation (w, x, y, z)/scaling channels."""
    out_json = tmp_path / (path.stem + ".json")
    subprocess.run(["assimp", "export", str(path), str(out_json), "-fassjson"], check=True,
                   capture_output=True, timeout=120)
    data = json.loads(out_json.read_text())
    channels = {c["name"]: c for c in data["animations"][0]["channels"]}
    n = max(len(c["positionkeys"]) for c in channels.values())
    result = {}

    def local(node):
        c = channels.get(node["name"])
        if c is None:
            return np.broadcast_to(np.array(node["transformation"], float).reshape(4, 4), (n, 4, 4))
        m = np.tile(np.eye(4), (n, 1, 1))
        w, x, y, z = np.array([k[1] for k in c["rotationkeys"]], float).T
        m[:, :3, :3] = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                                 np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                                 np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)
        m[:, :3, :3] *= np.array([k[1] for k in c["scalingkeys"]], float)[:, None, :]
        m[:, :3, 3] = [k[1] for k in c["positionkeys"]]
        return m

    def visit(node, parent):
        world = parent @ local(node)
        result[node["name"]] = world[:, :3, 3]
        for child in node.get("children", []):
            visit(child, world)
    visit(data["rootnode"], np.tile(np.eye(4), (n, 1, 1)))
    return result


@pytest.mark.skipif(shutil.which("assimp") is None,
                    reason="assimp CLI not installed (Debian package assimp-utils; tools/setup.sh tries)")
@pytest.mark.parametrize("preset", list(FBX_PRESETS))
def test_fbx_read_by_assimp(walker, tmp_path, preset):
    """Every bone head, every frame, as assimp computes it = the preset's axes/scale applied to
    Blender's world positions (0.1 mm in file units after scaling)."""
    frames = range(1, 41)
    want = _heads(walker, frames)
    names = sorted(pb.name for pb in walker.pose.bones)
    nodes = _assimp_node_positions(export_fbx_preset(walker, tmp_path / f"w_{preset}.fbx", preset), tmp_path)
    got = np.stack([nodes[name] for name in names], axis=1)
    assert got.shape[0] == len(frames)
    expected = want @ FILE_AXES[preset].T
    scale = np.abs(FILE_AXES[preset]).max()
    err = np.linalg.norm(got - expected, axis=-1).max() / scale
    assert err < TOL_M, f"{preset}: assimp positions off by {err:.2e} m"


def test_export_all_and_bad_input(walker, tmp_path):
    paths = export_all(walker, tmp_path / "out", "walk", ("fbx", "bvh", "glb"), fbx_preset="UNITY")
    assert [p.name for p in paths] == ["walk.fbx", "walk.bvh", "walk.glb"]
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(AmbiblendError, match="Unknown FBX preset 'MAYA'"):
        export_fbx_preset(walker, tmp_path / "x.fbx", "MAYA")
    with pytest.raises(AmbiblendError, match="must end in .bvh"):
        export_bvh(walker, tmp_path / "x.txt")
    bpy.ops.mesh.primitive_cube_add()
    with pytest.raises(AmbiblendError, match="'Cube' is a mesh"):
        export_gltf(bpy.context.active_object, tmp_path / "x.glb")
    with pytest.raises(AmbiblendError, match="Unknown export formats: obj"):
        export_all(walker, tmp_path, "w", ("obj",))
    assert not (tmp_path / "x.glb").exists() and not (tmp_path / "x.fbx").exists()


@pytest.mark.parametrize("fmt, suffix, magic", [("FBX", ".fbx", b"Kaydara FBX Binary"),
                                                 ("BVH", ".bvh", b"HIERARCHY"), ("GLB", ".glb", b"glTF")])
def test_export_operator_formats(addon, tmp_path, fmt, suffix, magic):
    """The panel's Export Animation operator: the extension follows the format; a non-armature
    selection is refused with a message and writes nothing."""
    from ambi_helpers import scene_state
    joints, _ = walk(20)
    motion = Motion(joints=joints, fps=30.0, scale=np.ones(20), conf=np.ones((20, 17)),
                    filled=np.zeros(20, bool), source="walk", meters_per_unit=1.0)
    bake_motion(bpy.context, motion, "walk")
    target = tmp_path / "anim.dat"
    assert bpy.ops.ambiblend.export_motion(filepath=str(target), file_format=fmt, fbx_preset="UNREAL") == {"FINISHED"}
    written = target.with_suffix(suffix)
    assert written.read_bytes().startswith(magic)
    bpy.ops.mesh.primitive_cube_add()
    before = scene_state()
    with pytest.raises(RuntimeError, match="Select an armature to export: 'Cube' is a mesh"):
        bpy.ops.ambiblend.export_motion(filepath=str(tmp_path / "cube.fbx"), file_format=fmt)
    assert scene_state() == before and not (tmp_path / "cube.fbx").exists()

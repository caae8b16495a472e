"""The BVH reader: forward kinematics on hand-computed cases, the 17-joint map of every skeleton
preset and of a user JSON mapping, unit detection, corrupt files."""
import json

import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.mocap.bvh import (BANDAI_TO_H36M, HEAD_TOP_LENGTH, SKELETONS, detect_unit,
                                      forward_kinematics, load_h36m, parse_bvh, resolve_skeleton)
from ambiblend.core.skeleton import JOINT_INDEX, bone_lengths

TINY = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT child
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT grandchild
    {
      OFFSET 5 0 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 0 7
      }
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
1 2 3 0 0 0  0 0 0  0 0 0
0 0 0 90 0 0  0 0 90  0 0 0
0 0 0 90 90 0  0 0 0  0 0 0
"""

# Worked by hand (R = Rz·Rx·Ry, column vectors):
# frame 0: translation only.
# frame 1: root Rz(90) maps child offset (0,10,0) → (−10,0,0); child Ry(90) maps (5,0,0) →
#          (0,0,−5), then Rz(90) leaves it → grandchild (−10,0,−5).
# frame 2: root Rz(90)·Rx(90): (0,10,0) → Rx → (0,0,10) → Rz → (0,0,10); (5,0,0) → (0,5,0).
#          (The wrong order Rx·Rz would put the child at (−10,0,0).)
EXPECTED = np.array([
    [[1, 2, 3], [1, 12, 3], [6, 12, 3]],
    [[0, 0, 0], [-10, 0, 0], [-10, 0, -5]],
    [[0, 0, 0], [0, 0, 10], [0, 5, 10]],
], dtype=np.float64)


def test_forward_kinematics_matches_hand_computed_positions(tmp_path):
    path = tmp_path / "tiny.bvh"
    path.write_text(TINY)
    clip = parse_bvh(path)
    assert clip.names == ["root", "child", "grandchild"]
    assert list(clip.parents) == [-1, 0, 1]
    assert clip.num_frames == 3 and abs(clip.fps - 30.0) < 1e-3
    pos, rot = forward_kinematics(clip, unit=1.0)
    np.testing.assert_allclose(pos, EXPECTED, atol=1e-6)
    np.testing.assert_allclose(rot @ np.swapaxes(rot, -1, -2), np.broadcast_to(np.eye(3), rot.shape), atol=1e-9)
    # Centimetres → metres by default.
    np.testing.assert_allclose(forward_kinematics(clip)[0], EXPECTED / 100, atol=1e-8)


def test_position_channels_replace_offsets(tmp_path):
    text = TINY.replace("CHANNELS 3 Zrotation Xrotation Yrotation\n    JOINT grandchild",
                        "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n    JOINT grandchild")
    text = text.replace("1 2 3 0 0 0  0 0 0", "1 2 3 0 0 0  0 20 0 0 0 0")
    text = "\n".join(text.splitlines()[:-2])  # keep only the first frame
    text = text.replace("Frames: 3", "Frames: 1")
    path = tmp_path / "pos.bvh"
    path.write_text(text)
    pos, _ = forward_kinematics(parse_bvh(path), unit=1.0)
    np.testing.assert_allclose(pos[0, 1], [1, 22, 3], atol=1e-9)  # 20, not the offset 10


def _bandai_like_bvh(frames: int = 2) -> str:
    """A 22-node file with the Bandai-Namco node names, bones along local +X, standing upright."""
    tree = [("joint_Root", None, (0, 0, 0)), ("Hips", "joint_Root", (0, 93, 0)),
            ("Spine", "Hips", (15, 0, 0)), ("Chest", "Spine", (9, 0, 0)), ("Neck", "Chest", (16, 0, 0)),
            ("Head", "Neck", (6, 0, 0))]
    for s, z in (("L", 5), ("R", -5)):
        tree += [(f"Shoulder_{s}", "Chest", (13, 0, z)), (f"UpperArm_{s}", f"Shoulder_{s}", (5, 0, 0)),
                 (f"LowerArm_{s}", f"UpperArm_{s}", (24, 0, 0)), (f"Hand_{s}", f"LowerArm_{s}", (22, 0, 0)),
                 (f"UpperLeg_{s}", "Hips", (-2, 0, z)), (f"LowerLeg_{s}", f"UpperLeg_{s}", (-39, 0, 0)),
                 (f"Foot_{s}", f"LowerLeg_{s}", (-41, 0, 0)), (f"Toes_{s}", f"Foot_{s}", (0, 0, 12))]
    children = {}
    for name, parent, _ in tree:
        children.setdefault(parent, []).append(name)
    offsets = {n: o for n, _, o in tree}
    lines, order = ["HIERARCHY"], []

    def emit(name, depth, root=False):
        order.append(name)
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {' '.join(str(v) for v in offsets[name])}")
        lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
        for c in children.get(name, []):
            emit(c, depth + 1)
        if name not in children:
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET 0 0 0", pad + "  }"])
        lines.append(pad + "}")

    emit("joint_Root", 0, root=True)
    rows = []
    for _ in range(frames):
        vals = []
        for n in order:
            rz = 90 if n == "Hips" else 0  # turns the +X chain upright (+Y)
            vals += list(offsets[n]) + [rz, 0, 0]
        rows.append(" ".join(str(v) for v in vals))
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"] + rows
    return "\n".join(lines) + "\n"


def test_bandai_nodes_map_to_h36m_with_derived_head_top(tmp_path):
    path = tmp_path / "bandai.bvh"
    path.write_text(_bandai_like_bvh())
    joints, fps = load_h36m(path)
    assert joints.shape == (2, 17, 3) and abs(fps - 30) < 1e-3
    j = JOINT_INDEX
    # Upright: pelvis = mid-hips 2 cm under the Hips node, thorax = mid-shoulders, head top
    # 0.18 m above the Head node; spine and neck half-way (skeleton.derive_spine/derive_neck).
    np.testing.assert_allclose(joints[0, j["pelvis"]], [0, 0.91, 0], atol=1e-9)
    np.testing.assert_allclose(joints[0, j["thorax"]], [0, 1.35, 0], atol=1e-9)
    np.testing.assert_allclose(joints[0, j["head"]], [0, 0.93 + 0.46 + HEAD_TOP_LENGTH, 0], atol=1e-9)
    np.testing.assert_allclose(joints[0, j["spine"]], [0, 0.5 * (0.91 + 1.35), 0], atol=1e-9)
    np.testing.assert_allclose(joints[0, j["neck"]], 0.5 * (joints[0, j["thorax"]] + joints[0, j["head"]]), atol=1e-9)
    lengths = bone_lengths(joints[0])
    assert abs(lengths[j["left_knee"] - 1] - 0.39) < 1e-9 and abs(lengths[j["left_ankle"] - 1] - 0.41) < 1e-9
    assert joints[0, j["left_hip"], 2] > 0 > joints[0, j["right_hip"], 2]  # _L nodes → left joints
    assert set(BANDAI_TO_H36M) | {"head", "pelvis", "thorax", "spine", "neck"} == set(j)


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.rsplit("\n", 2)[0] + "\n", "truncated or corrupt"),
    (lambda t: t.replace("Frames: 3", "Frames: x"), "MOTION section is malformed"),
    (lambda t: t.replace("0 0 0 90 90 0", "0 0 0 nan 90 0"), "NaN or infinite"),
    (lambda t: t.replace("CHANNELS 3 Zrotation Xrotation Yrotation\n    JOINT grandchild",
                         "CHANNELS 3 Zrotation Wrotation Yrotation\n    JOINT grandchild"), "unknown BVH channel"),
    (lambda t: t.replace("OFFSET 5 0 0", "OFFSET 5 0"), "malformed"),
    (lambda t: t.replace("HIERARCHY", "<html>"), "not a BVH file"),
    (lambda t: t.split("MOTION")[0], "not a BVH file"),
])
def test_corrupt_files_are_rejected_with_a_clear_message(tmp_path, mutate, message):
    path = tmp_path / "bad.bvh"
    path.write_text(mutate(TINY))
    before = path.read_bytes()
    with pytest.raises(AmbiblendError, match=message):
        parse_bvh(path)
    assert path.read_bytes() == before  # the reader never touches the file


def test_missing_file_and_missing_nodes(tmp_path):
    with pytest.raises(AmbiblendError, match="BVH file not found"):
        parse_bvh(tmp_path / "nope.bvh")
    path = tmp_path / "tiny.bvh"
    path.write_text(TINY)
    with pytest.raises(AmbiblendError, match="lacks the node"):
        load_h36m(path)


# ---- Any skeleton: a small real BVH per preset, written here, with a known pose ----------------
# An abstract rig (metres, Y up, rest pose facing +Z, the subject's left = +X); each preset names
# its nodes and adds the extra nodes its rig has. Frame 0 is the rest pose; frame 1 moves the
# root by (0.5, 0, −0.3), turns it 90° about Y, bends the left knee 90° about X and the right
# elbow 90° about Z, so the 17 joints can be written down by hand.
RIG = [  # (abstract node, parent, offset)
    ("hips", None, (0.0, 1.0, 0.0)), ("spine", "hips", (0.0, 0.1, 0.0)), ("chest", "spine", (0.0, 0.2, 0.0)),
    ("neck", "chest", (0.0, 0.2, 0.0)), ("head", "neck", (0.0, 0.1, 0.0)),
    ("clav_l", "chest", (0.05, 0.15, 0.0)), ("arm_l", "clav_l", (0.12, 0.0, 0.0)),
    ("forearm_l", "arm_l", (0.28, 0.0, 0.0)), ("hand_l", "forearm_l", (0.25, 0.0, 0.0)),
    ("clav_r", "chest", (-0.05, 0.15, 0.0)), ("arm_r", "clav_r", (-0.12, 0.0, 0.0)),
    ("forearm_r", "arm_r", (-0.28, 0.0, 0.0)), ("hand_r", "forearm_r", (-0.25, 0.0, 0.0)),
    ("upleg_l", "hips", (0.09, -0.05, 0.0)), ("leg_l", "upleg_l", (0.0, -0.42, 0.0)),
    ("foot_l", "leg_l", (0.0, -0.4, 0.0)), ("toe_l", "foot_l", (0.0, -0.05, 0.12)),
    ("upleg_r", "hips", (-0.09, -0.05, 0.0)), ("leg_r", "upleg_r", (0.0, -0.42, 0.0)),
    ("foot_r", "leg_r", (0.0, -0.4, 0.0)), ("toe_r", "foot_r", (0.0, -0.05, 0.12)),
]
CROWN = 0.18  # head node → crown on this rig, metres (= HEAD_TOP_LENGTH, so every rule agrees)
ABSTRACT_TO_JOINT = {"upleg_l": "left_hip", "leg_l": "left_knee", "foot_l": "left_ankle",
                     "upleg_r": "right_hip", "leg_r": "right_knee", "foot_r": "right_ankle",
                     "arm_l": "left_shoulder", "forearm_l": "left_elbow", "hand_l": "left_wrist",
                     "arm_r": "right_shoulder", "forearm_r": "right_elbow", "hand_r": "right_wrist"}


def _names(side_l, side_r, **parts):
    """Node names of a rig from {abstract part: pattern with {s}}."""
    out = {}
    for part, pattern in parts.items():
        if "{s}" in pattern:
            out[f"{part}_l"], out[f"{part}_r"] = pattern.format(s=side_l), pattern.format(s=side_r)
        else:
            out[part] = pattern
    return out


# preset → (names, extra nodes inserted as (name, parent abstract, child abstract), head top, unit, rotation order)
RIGS = {
    "mixamo": (_names("Left", "Right", hips="mixamorig:Hips", spine="mixamorig:Spine", chest="mixamorig:Spine1",
                      neck="mixamorig:Neck", head="mixamorig:Head", clav="mixamorig:{s}Shoulder",
                      arm="mixamorig:{s}Arm", forearm="mixamorig:{s}ForeArm", hand="mixamorig:{s}Hand",
                      upleg="mixamorig:{s}UpLeg", leg="mixamorig:{s}Leg", foot="mixamorig:{s}Foot",
                      toe="mixamorig:{s}ToeBase"),
               [("mixamorig:Spine2", "chest", None)], "node:mixamorig:HeadTop_End", 100.0, "ZXY"),
    "cmu": (_names("Left", "Right", hips="Hips", spine="Spine", chest="Spine1", neck="Neck", head="Head",
                   clav="{s}Shoulder", arm="{s}Arm", forearm="{s}ForeArm", hand="{s}Hand", upleg="{s}UpLeg",
                   leg="{s}Leg", foot="{s}Foot", toe="{s}ToeBase"),
            [("LowerBack", "hips", None), ("Neck1", "neck", None)], "end", 100.0, "ZYX"),
    "unreal": (_names("l", "r", hips="pelvis", spine="spine_01", chest="spine_02", neck="neck_01", head="head",
                      clav="clavicle_{s}", arm="upperarm_{s}", forearm="lowerarm_{s}", hand="hand_{s}",
                      upleg="thigh_{s}", leg="calf_{s}", foot="foot_{s}", toe="ball_{s}"),
               [("spine_03", "chest", None)], "extend", 100.0, "XYZ"),
    "unity": (_names("Left", "Right", hips="Hips", spine="Spine", chest="Chest", neck="Neck", head="Head",
                     clav="{s}Shoulder", arm="{s}UpperArm", forearm="{s}LowerArm", hand="{s}Hand",
                     upleg="{s}UpperLeg", leg="{s}LowerLeg", foot="{s}Foot", toe="{s}Toes"),
              [], "end", 1.0, "ZXY"),
    "rokoko": (_names("Left", "Right", hips="Hips", spine="Spine1", chest="Spine2", neck="Neck", head="Head",
                      clav="{s}Shoulder", arm="{s}Arm", forearm="{s}ForeArm", hand="{s}Hand",
                      upleg="{s}Thigh", leg="{s}Shin", foot="{s}Foot", toe="{s}Toe"),
               [("Spine3", "chest", None), ("Spine4", "chest", None)], "end", 1.0, "YXZ"),
}


def _rig_bvh(names: dict, extras=(), head_top="end", scale=1.0, order="ZXY", up="y") -> str:
    """A BVH of RIG with the given node names (extras = zero-offset nodes after a part, in the
    chain); the file in metres × ``scale``; ``up='z'`` writes it Z up (x, y, z) → (x, −z, y)."""
    tree = [(names[a], names[p] if p else None, off) for a, p, off in RIG]
    for extra, after, _ in extras:  # a zero-length node between `after` and its children
        tree = [(n, extra if p == names[after] else p, o) for n, p, o in tree]
        tree.append((extra, names[after], (0.0, 0.0, 0.0)))
    if head_top.startswith("node:"):
        tree.append((head_top[5:], names["head"], (0.0, CROWN, 0.0)))
    children = {}
    for n, p, _ in tree:
        children.setdefault(p, []).append(n)
    offsets = {n: np.array(o) for n, _, o in tree}

    def conv(v):  # metres, Y up → file units and axes
        v = np.asarray(v, float) * scale
        return v if up == "y" else np.array([v[0], -v[2], v[1]])

    rot_ch = [f"{a}rotation" for a in order]
    lines, order_nodes = ["HIERARCHY"], []

    def emit(name, depth):
        pad = "  " * depth
        order_nodes.append(name)
        lines.append(f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(pad + "  OFFSET " + " ".join(f"{v:.6f}" for v in conv(offsets[name])))
        ch = (["Xposition", "Yposition", "Zposition"] if depth == 0 else []) + rot_ch
        lines.append(pad + f"  CHANNELS {len(ch)} " + " ".join(ch))
        for c in children.get(name, []):
            emit(c, depth + 1)
        if name not in children:
            end = conv((0.0, CROWN, 0.0)) if (name == names["head"] and head_top == "end") else np.zeros(3)
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET " + " ".join(f"{v:.6f}" for v in end), pad + "  }"])
        lines.append(pad + "}")

    emit(names["hips"], 0)
    # Rotations of frame 1, about the file's axes (Y up: yaw about Y; Z up: the same turn is about Z).
    up_axis = "Y" if up == "y" else "Z"
    knee_axis = "X"
    elbow_axis = "Z" if up == "y" else "Y"
    elbow_sign = 1.0 if up == "y" else -1.0  # Rz(90) in Y-up is Ry(−90) once turned Z up
    rows = []
    for f in range(2):
        vals = []
        for n in order_nodes:
            rot = dict.fromkeys("XYZ", 0.0)
            if f == 1 and n == names["hips"]:
                rot[up_axis] = 90.0
            if f == 1 and n == names["leg_l"]:
                rot[knee_axis] = 90.0
            if f == 1 and n == names["forearm_r"]:
                rot[elbow_axis] = 90.0 * elbow_sign
            if n == names["hips"]:
                vals += list(conv(offsets[n] + (np.array([0.5, 0.0, -0.3]) if f == 1 else 0.0)))
            vals += [rot[a] for a in order]
        rows.append(" ".join(f"{v:.6f}" for v in vals))
    lines += ["MOTION", "Frames: 2", "Frame Time: 0.0333333"] + rows
    return "\n".join(lines) + "\n"


def _expected_joints() -> np.ndarray:
    """(2, 17, 3) metres, Y up: the RIG's joints in frames 0 and 1, worked out by hand."""
    par = {a: p for a, p, _ in RIG}
    off = {a: np.array(o) for a, _, o in RIG}

    def rest(a):
        return off[a] + (rest(par[a]) if par[a] else 0.0)

    out = np.zeros((2, 17, 3))
    for f in range(2):
        pts = {a: rest(a) for a in off}
        if f == 1:
            # Knee bent 90° about X: the shin (0, −0.4, 0) turns to (0, 0, −0.4).
            pts["foot_l"] = pts["leg_l"] + np.array([0.0, 0.0, -0.4])
            # Elbow 90° about Z: the forearm (−0.25, 0, 0) turns to (0, −0.25, 0).
            pts["hand_r"] = pts["forearm_r"] + np.array([0.0, -0.25, 0.0])
            root = pts["hips"]
            # Yaw 90° about Y about the root: (x, y, z) → (z, y, −x); then the root moves.
            pts = {a: root + np.array([v[2], v[1], -v[0]]) + np.array([0.5, 0.0, -0.3])
                   for a, v in ((a, p - root) for a, p in pts.items())}
        j = JOINT_INDEX
        for a, joint in ABSTRACT_TO_JOINT.items():
            out[f, j[joint]] = pts[a]
        up = np.array([0.0, 1.0, 0.0])
        out[f, j["head"]] = pts["head"] + CROWN * up  # crown straight above the head node (head unturned)
        out[f, j["pelvis"]] = 0.5 * (out[f, j["left_hip"]] + out[f, j["right_hip"]])
        out[f, j["thorax"]] = 0.5 * (out[f, j["left_shoulder"]] + out[f, j["right_shoulder"]])
        out[f, j["spine"]] = 0.5 * (out[f, j["pelvis"]] + out[f, j["thorax"]])
        out[f, j["neck"]] = 0.5 * (out[f, j["thorax"]] + out[f, j["head"]])
    return out


@pytest.mark.parametrize("preset", sorted(RIGS))
def test_every_preset_reads_its_rig_into_the_17_joints(tmp_path, preset):
    names, extras, head_top, scale, order = RIGS[preset]
    path = tmp_path / f"{preset}.bvh"
    path.write_text(_rig_bvh(names, extras, head_top, scale, order))
    expected = _expected_joints()
    for skeleton in (preset, "auto"):
        joints, fps = load_h36m(path, skeleton)  # unit detected: cm or m
        np.testing.assert_allclose(joints, expected, atol=1e-5, err_msg=f"{preset} via {skeleton}")
        assert abs(fps - 30) < 1e-3
    clip = parse_bvh(path)
    assert resolve_skeleton("auto", clip).name == preset
    assert detect_unit(clip, SKELETONS[preset]) == pytest.approx(1.0 / scale)
    # The left/right and the bent knee came out where the hand-worked pose has them: after the
    # 90° turn the subject faces +X, so its left is −Z and the bent shin points to −X.
    j = JOINT_INDEX
    assert expected[1, j["left_hip"], 2] < expected[1, j["right_hip"], 2]
    assert expected[1, j["left_ankle"], 0] < expected[1, j["left_knee"], 0] - 0.39


def test_bandai_preset_reads_the_bandai_rig_and_auto_finds_it(tmp_path):
    path = tmp_path / "bandai.bvh"
    path.write_text(_bandai_like_bvh())
    clip = parse_bvh(path)
    assert resolve_skeleton("auto", clip).name == "bandai" and detect_unit(clip, SKELETONS["bandai"]) == 0.01
    np.testing.assert_array_equal(load_h36m(path, "auto")[0], load_h36m(path)[0])


def test_a_missing_mapped_joint_is_named(tmp_path):
    names, extras, head_top, scale, order = RIGS["cmu"]
    path = tmp_path / "cmu.bvh"
    path.write_text(_rig_bvh({**names, "forearm_l": "LeftElbow"}, extras, head_top, scale, order))
    with pytest.raises(AmbiblendError, match="lacks the node.*LeftForeArm.*'cmu'"):
        load_h36m(path, "cmu")
    with pytest.raises(AmbiblendError, match="No skeleton preset matches.*LeftForeArm"):
        load_h36m(path, "auto")
    with pytest.raises(AmbiblendError, match="Unknown skeleton 'maya'"):
        load_h36m(path, "maya")


def test_user_json_mapping_z_up_and_units(tmp_path):
    # A home-made rig: its own names, Z up, millimetres, crown from the neck → head line.
    names = _names("L", "R", hips="root", spine="s1", chest="s2", neck="nk", head="hd", clav="clav{s}",
                   arm="arm{s}", forearm="elbow{s}", hand="wrist{s}", upleg="hip{s}", leg="knee{s}",
                   foot="ankle{s}", toe="toe{s}")
    path = tmp_path / "mine.bvh"
    path.write_text(_rig_bvh(names, (), "extend", 1000.0, "ZXY", up="z"))
    mapping = {"name": "mine", "up": "z", "neck": "nk", "head_top": ["extend"],
               "joints": {**{j: names[a] for a, j in ABSTRACT_TO_JOINT.items()}, "head": "hd"}}
    (tmp_path / "mine.json").write_text(json.dumps(mapping))
    joints, _ = load_h36m(path, str(tmp_path / "mine.json"))  # unit detected: mm
    np.testing.assert_allclose(joints, _expected_joints(), atol=1e-5)
    (tmp_path / "mm.json").write_text(json.dumps({**mapping, "unit": "mm"}))
    np.testing.assert_allclose(load_h36m(path, str(tmp_path / "mm.json"))[0], joints, atol=1e-12)
    # A wrong unit or a broken mapping is refused with the reason.
    (tmp_path / "bad.json").write_text(json.dumps({**mapping, "unit": "furlong"}))
    with pytest.raises(AmbiblendError, match="unit 'furlong'"):
        load_h36m(path, str(tmp_path / "bad.json"))
    (tmp_path / "short.json").write_text(json.dumps({**mapping, "joints": {"head": "hd"}}))
    with pytest.raises(AmbiblendError, match="no node given for right_hip.*left_hip"):
        load_h36m(path, str(tmp_path / "short.json"))
    # No unit gives a plausible height (a 1.8 mm person in metres): flagged, not guessed.
    tiny = tmp_path / "tiny_units.bvh"
    tiny.write_text(_rig_bvh(names, (), "extend", 0.001 / 1.0, "ZXY", up="z"))
    with pytest.raises(AmbiblendError, match="cannot tell the BVH's unit"):
        load_h36m(tiny, str(tmp_path / "mine.json"))

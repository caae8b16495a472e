"""The BVH reader: forward kinematics on hand-computed cases, the 17-joint map, corrupt files."""
import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.mocap.bvh import (BANDAI_TO_H36M, HEAD_TOP_LENGTH, forward_kinematics,
                                      load_h36m, parse_bvh)
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

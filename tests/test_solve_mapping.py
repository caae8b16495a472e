"""Bone mapping: rig recognition, the generic name matcher on common humanoid naming schemes,
the error naming unmapped parts, and JSON presets."""
import json

import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.retarget.mapping import (AMBIBLEND, MIXAMO, RIGIFY_DEF, RIGIFY_METARIG, SLOTS,
                                             auto_map, bone_targets, check_mapping, generic_map)
from ambiblend.core.retarget.presets import load_preset, save_preset

UNREAL = ["root", "pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head", "clavicle_l",
          "upperarm_l", "lowerarm_l", "hand_l", "clavicle_r", "upperarm_r", "lowerarm_r", "hand_r",
          "thigh_l", "calf_l", "foot_l", "thigh_r", "calf_r", "foot_r"]
BIPED = ["Bip01", "Bip01 Pelvis", "Bip01 Spine", "Bip01 Spine1", "Bip01 Neck", "Bip01 Head",
         "Bip01 L Clavicle", "Bip01 L UpperArm", "Bip01 L Forearm", "Bip01 R Clavicle",
         "Bip01 R UpperArm", "Bip01 R Forearm", "Bip01 L Thigh", "Bip01 L Calf", "Bip01 R Thigh", "Bip01 R Calf"]
PLAIN = ["Hips", "Spine", "Chest", "Neck", "Head", "Shoulder.L", "UpperArm.L", "LowerArm.L",
         "Shoulder.R", "UpperArm.R", "LowerArm.R", "UpperLeg.L", "LowerLeg.L", "UpperLeg.R", "LowerLeg.R"]


@pytest.mark.parametrize("names, kind, expected", [
    (list(RIGIFY_METARIG.values()) + ["shoulder.L", "spine.002", "toe.L"], "rigify", RIGIFY_METARIG),
    (list(RIGIFY_DEF.values()) + ["ORG-spine", "DEF-upper_arm.L.001"], "rigify-def", RIGIFY_DEF),
    (["mixamorig:" + b for b in MIXAMO.values()] + ["mixamorig:Spine1"], "mixamo",
     {s: "mixamorig:" + b for s, b in MIXAMO.items()}),
    (["Character1:" + b for b in MIXAMO.values()], "mixamo", {s: "Character1:" + b for s, b in MIXAMO.items()}),
    (list(AMBIBLEND.values()) + ["hip.L", "hip.R", "spine", "shoulder.L"], "ambiblend", AMBIBLEND),
])
def test_known_rigs(names, kind, expected):
    assert auto_map(names) == (kind, expected)


@pytest.mark.parametrize("names, picks", [
    (UNREAL, {"hips": "pelvis", "spine": "spine_01", "neck": "neck_01", "upper_arm.L": "upperarm_l",
              "forearm.R": "lowerarm_r", "thigh.L": "thigh_l", "shin.R": "calf_r"}),
    (BIPED, {"hips": "Bip01 Pelvis", "spine": "Bip01 Spine", "upper_arm.L": "Bip01 L UpperArm",
             "forearm.L": "Bip01 L Forearm", "shin.R": "Bip01 R Calf"}),
    (PLAIN, {"hips": "Hips", "spine": "Spine", "upper_arm.L": "UpperArm.L", "forearm.R": "LowerArm.R",
             "thigh.R": "UpperLeg.R", "shin.L": "LowerLeg.L"}),
])
def test_generic_matcher_on_common_schemes(names, picks):
    kind, mapping = auto_map(names)
    assert kind == "generic" and set(mapping) == set(SLOTS)
    assert {s: mapping[s] for s in picks} == picks
    check_mapping(mapping, names)   # complete, no bone twice


def test_incomplete_mapping_message_names_every_problem():
    mapping = generic_map(["Hips", "Spine", "Neck", "Head", "UpperLeg.L", "LowerLeg.L"])
    mapping["thigh.R"] = "Tail"
    mapping["shin.R"] = "Spine"
    with pytest.raises(AmbiblendError) as info:
        check_mapping(mapping, ["Hips", "Spine", "Neck", "Head", "UpperLeg.L", "LowerLeg.L"])
    msg = str(info.value)
    for part in ("Left Upper Arm (upper_arm.L)", "Right Forearm (forearm.R)", "thigh.R → 'Tail'",
                 "bones mapped twice: Spine"):
        assert part in msg
    assert "Hips (hips)" not in msg


def test_bone_targets_cover_all_17_joints():
    targets = bone_targets(MIXAMO)
    joints = {j for t in targets.values() for j in (t.head, t.tail)}
    assert joints == set(range(17))


def test_preset_round_trip_and_bad_files(tmp_path):
    path = save_preset(tmp_path / "rig.json", MIXAMO)
    assert load_preset(path) == MIXAMO
    assert json.loads(path.read_text())["format"] == "ambiblend-bone-mapping"
    with pytest.raises(AmbiblendError, match="not found"):
        load_preset(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(AmbiblendError, match="broken.json is not a readable mapping preset"):
        load_preset(tmp_path / "broken.json")
    (tmp_path / "future.json").write_text('{"format": "ambiblend-bone-mapping", "version": 9, "mapping": {}}')
    with pytest.raises(AmbiblendError, match="version 9"):
        load_preset(tmp_path / "future.json")
    (tmp_path / "odd.json").write_text('{"format": "ambiblend-bone-mapping", "version": 1, "mapping": {"tail": "x"}}')
    with pytest.raises(AmbiblendError, match="unknown slots: tail"):
        load_preset(tmp_path / "odd.json")
    with pytest.raises(AmbiblendError, match="Unknown mapping slots: wing"):
        save_preset(tmp_path / "x.json", {"wing": "Bone"})
    with pytest.raises(AmbiblendError, match="is a .json file"):
        save_preset(tmp_path / "x.txt", MIXAMO)

"""Finger-bone mapping (bpy-free): the optional hand slots found on Rigify (meta-rig and
generated DEF bones), Mixamo and generic names, partial hands, rigs without hands; presets keep
them; the anatomical limits never allow a backwards bend."""
import numpy as np

from ambiblend.core.hands.angles import LIMITS, LIMITS_DEG
from ambiblend.core.retarget.mapping import HAND_SLOTS, hand_bone_targets, hand_map
from ambiblend.core.retarget.presets import load_preset, save_preset

RIGIFY = list(HAND_SLOTS) + ["palm.01.L", "palm.02.L", "spine"]


def test_rigify_meta_and_generated():
    assert hand_map(RIGIFY) == ("rigify", {s: s for s in HAND_SLOTS})
    generated = [f"DEF-{s}" for s in HAND_SLOTS] + [f"ORG-{s}" for s in HAND_SLOTS] + list(HAND_SLOTS)[:4]
    kind, mapping = hand_map(generated)
    assert kind == "rigify-def" and mapping == {s: f"DEF-{s}" for s in HAND_SLOTS}


def test_mixamo_any_namespace_and_partial():
    names = ["rig2:Hips", "rig2:LeftHand", "rig2:LeftHandThumb1", "rig2:LeftHandThumb2", "rig2:LeftHandIndex3"]
    kind, mapping = hand_map(names)
    assert kind == "mixamo"
    assert mapping == {"hand.L": "rig2:LeftHand", "thumb.01.L": "rig2:LeftHandThumb1",
                       "thumb.02.L": "rig2:LeftHandThumb2", "f_index.03.L": "rig2:LeftHandIndex3"}
    # the palm twist needs both index and pinky bases on the rig: without them, swing only
    assert hand_bone_targets(mapping)["rig2:LeftHand"].side is None


def test_generic_names_skip_metacarpals_and_no_hands():
    names = ["hand_l", "index_metacarpal_l", "index_01_l", "index_02_l", "thumb_01_r", "pinky_03_r",
             "Finger_Middle_2_L", "ring1.R", "lowerarm_l"]
    kind, mapping = hand_map(names)
    assert kind == "generic"
    assert mapping == {"hand.L": "hand_l", "f_index.01.L": "index_01_l", "f_index.02.L": "index_02_l",
                       "f_middle.02.L": "Finger_Middle_2_L", "thumb.01.R": "thumb_01_r",
                       "f_ring.01.R": "ring1.R", "f_pinky.03.R": "pinky_03_r"}
    assert hand_map(["Hips", "Spine", "LeftArm", "LeftForeArm"]) == ("none", {})


def test_preset_keeps_finger_slots(tmp_path):
    mapping = {"hips": "pelvis", "f_index.02.L": "index_02_l", "hand.R": "hand_r"}
    assert load_preset(save_preset(tmp_path / "m.json", mapping)) == mapping


def test_limits_never_bend_backwards():
    for finger, joints in LIMITS_DEG.items():
        for k, ((curl_lo, curl_hi), (spread_lo, spread_hi)) in enumerate(joints):
            assert curl_hi > 0 and spread_lo <= 0 <= spread_hi
            if not (finger == "thumb" and k == 0):     # only the thumb's CMC really extends
                assert curl_lo == 0.0
            if k > 0 and finger != "thumb":            # PIP and DIP are hinges
                assert spread_lo == spread_hi == 0.0
    assert LIMITS.shape == (5, 3, 2, 2) and np.all(LIMITS[..., 0] <= LIMITS[..., 1])

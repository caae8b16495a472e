"""Finger bones on AmbiBlend's armature: build them, aim them, key them.

Names follow Rigify's meta-rig (``hand.L``, ``thumb.01.L`` … ``f_pinky.03.R``) so the generic
and Rigify name matchers, and animators, recognise them. ``hand.S`` spans the wrist → middle
MCP and is parented to ``forearm.S``; each finger is three connected bones from its base (thumb
CMC / finger MCP) to its tip, the first parented to the hand. Bones are built only when a lift
has hands, so lifts without hands make the same 17-bone armature as before.

Targets for the one retarget solver (``core.retarget.solve``) index the combined joint array
(body 17 + 21 per hand, ``core.hands.landmarks.hand_joint``): the hand aims at the middle MCP and
takes its twist from pinky MCP → index MCP (the palm frame), each finger bone aims from its
joint to the next.
"""
from __future__ import annotations

import numpy as np

from ..core.hands.landmarks import CHAINS, FINGERS, MIDDLE_MCP, SIDES, WRIST
from ..core.retarget.mapping import HAND_SLOTS, hand_bone_targets
from ..core.retarget.solve import BoneTarget

FINGER_PREFIX = {"thumb": "thumb", **{f: f"f_{f}" for f in FINGERS[1:]}}
FOREARM = {"L": "forearm.L", "R": "forearm.R"}


def hand_bone(side: str) -> str:
    return f"hand.{side}"


def finger_bone(finger: str, k: int, side: str) -> str:
    """Bone ``k`` (0, 1, 2) of ``finger``: e.g. ``f_index.02.L``."""
    return f"{FINGER_PREFIX[finger]}.{k + 1:02d}.{side}"


def side_bones(side: str) -> list[str]:
    """The 16 bones of one hand, parents first."""
    return [hand_bone(side)] + [finger_bone(f, k, side) for f in FINGERS for k in range(3)]


HAND_BONES = tuple(b for s in SIDES for b in side_bones(s))


def hand_targets(sides=SIDES) -> dict[str, BoneTarget]:
    """{bone: BoneTarget} of the hand bones of ``sides`` (our bone names are the hand slots)."""
    return hand_bone_targets({slot: slot for slot in HAND_SLOTS}, sides)


def build_hand_bones(edit_bones, rest_hands: np.ndarray) -> None:
    """Add the 32 hand bones to an armature in edit mode. rest_hands (2, 21, 3) armature-space
    rest landmarks [left, right]; the forearms must exist."""
    for s, side in enumerate(SIDES):
        p = rest_hands[s]
        hand = edit_bones.new(hand_bone(side))
        hand.head, hand.tail = p[WRIST], p[MIDDLE_MCP]
        hand.parent = edit_bones[FOREARM[side]]
        hand.use_connect = False
        hand.roll = 0.0
        for f in FINGERS:
            parent = hand
            c = CHAINS[f]
            for k in range(3):
                b = edit_bones.new(finger_bone(f, k, side))
                b.head, b.tail = p[c[k]], p[c[k + 1]]
                b.parent = parent
                b.use_connect = k > 0
                parent = b

"""MediaPipe's 21 hand landmarks, the five finger chains and the two sides.

Landmark order is MediaPipe's (``HandLandmark``): 0 wrist; thumb 1 CMC, 2 MCP, 3 IP, 4 tip;
index 5 MCP, 6 PIP, 7 DIP, 8 tip; middle 9–12; ring 13–16; pinky 17–20. Sides are the subject's
own (``SIDES[0]`` = left, as in ``skeleton.JOINTS``), never MediaPipe's handedness label.
"""
from __future__ import annotations

from ..skeleton import JOINT_INDEX, NUM_JOINTS

NUM_LANDMARKS = 21
WRIST = 0
FINGERS: tuple[str, ...] = ("thumb", "index", "middle", "ring", "pinky")
# Four landmarks per finger: the base (thumb CMC / finger MCP) then the next joints and the tip.
CHAINS: dict[str, tuple[int, int, int, int]] = {
    "thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16), "pinky": (17, 18, 19, 20)}
# Names of the three joints of each finger (the joint at the head of bone k of the chain).
JOINT_NAMES: dict[str, tuple[str, str, str]] = {
    "thumb": ("CMC", "MCP", "IP"), **{f: ("MCP", "PIP", "DIP") for f in FINGERS[1:]}}
INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 5, 9, 17

SIDES: tuple[str, ...] = ("L", "R")               # subject's left, right
SIDE_NAMES = {"L": "left", "R": "right"}
BODY_WRIST = {"L": JOINT_INDEX["left_wrist"], "R": JOINT_INDEX["right_wrist"]}
BODY_ELBOW = {"L": JOINT_INDEX["left_elbow"], "R": JOINT_INDEX["right_elbow"]}
# MediaPipe Pose's 33 landmarks around each hand (wrist, pinky, index, thumb knuckles; elbow).
POSE_HAND = {"L": {"wrist": 15, "pinky": 17, "index": 19, "thumb": 21, "elbow": 13},
             "R": {"wrist": 16, "pinky": 18, "index": 20, "thumb": 22, "elbow": 14}}

# The retarget solver sees one joint array: the 17 body joints, then 21 left-hand landmarks,
# then 21 right-hand ones (``hand_joint(side, landmark)``).
HAND_BASE = {"L": NUM_JOINTS, "R": NUM_JOINTS + NUM_LANDMARKS}
NUM_ALL_JOINTS = NUM_JOINTS + 2 * NUM_LANDMARKS


def hand_joint(side: str, landmark: int) -> int:
    """Index of a hand landmark in the combined (body + hands) joint array; the wrist is the body's."""
    return BODY_WRIST[side] if landmark == WRIST else HAND_BASE[side] + landmark

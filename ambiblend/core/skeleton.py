"""The 17-joint Human3.6M skeleton every stage of AmbiBlend speaks.

Joint order, parents and left/right are those of the public Human3.6M files (VideoPose3D layout)
so models and metrics compare with published numbers. Left/right are as seen by the subject.
This is the only skeleton table in the project: import it, never copy it.
"""
from __future__ import annotations

import numpy as np

JOINTS: tuple[str, ...] = (
    "pelvis",          # 0 root
    "right_hip",       # 1
    "right_knee",      # 2
    "right_ankle",     # 3
    "left_hip",        # 4
    "left_knee",       # 5
    "left_ankle",      # 6
    "spine",           # 7
    "thorax",          # 8
    "neck",            # 9  (neck/nose in Human3.6M)
    "head",            # 10 (head top)
    "left_shoulder",   # 11
    "left_elbow",      # 12
    "left_wrist",      # 13
    "right_shoulder",  # 14
    "right_elbow",     # 15
    "right_wrist",     # 16
)
NUM_JOINTS = len(JOINTS)
JOINT_INDEX = {name: i for i, name in enumerate(JOINTS)}

PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
ROOT = 0
HEAD = JOINT_INDEX["head"]
THORAX = JOINT_INDEX["thorax"]

# (child, parent) for the 16 bones, in joint order.
BONES: tuple[tuple[int, int], ...] = tuple((c, p) for c, p in enumerate(PARENTS) if p >= 0)
NUM_BONES = len(BONES)
BONE_CHILD = np.array([c for c, _ in BONES])
BONE_PARENT = np.array([p for _, p in BONES])

LEFT_JOINTS = tuple(i for i, n in enumerate(JOINTS) if n.startswith("left_"))
RIGHT_JOINTS = tuple(i for i, n in enumerate(JOINTS) if n.startswith("right_"))
# Index permutation that swaps left and right (for mirroring augmentation and swap repair).
FLIP_PERMUTATION: tuple[int, ...] = tuple(
    JOINT_INDEX[n.replace("left_", "right_")] if n.startswith("left_")
    else JOINT_INDEX[n.replace("right_", "left_")] if n.startswith("right_")
    else i
    for i, n in enumerate(JOINTS)
)

# Left/right joint pairs that a detector swaps together (legs with the hips, arms with the
# shoulders): the units of the multi-view and the single-view swap repairs.
_SIDES = ("hip", "knee", "ankle"), ("shoulder", "elbow", "wrist")
FLIP_GROUPS: tuple[tuple[int, ...], ...] = tuple(
    tuple(JOINT_INDEX[f"{side}_{part}"] for part in parts for side in ("left", "right"))
    for parts in _SIDES)

# Joints of the feet, used by contact detection and foot locking.
FEET = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])


def bone_vectors(joints):
    """Child minus parent for the 16 bones. joints: (..., 17, D) numpy or torch → (..., 16, D)."""
    return joints[..., BONE_CHILD, :] - joints[..., BONE_PARENT, :]


def bone_lengths(joints):
    """Lengths of the 16 bones. joints: (..., 17, D) numpy array or torch tensor → (..., 16)."""
    v = bone_vectors(joints)
    if isinstance(v, np.ndarray):
        return np.linalg.norm(v, axis=-1)
    return v.norm(dim=-1)


def standing_height(lengths) -> float:
    """Height of a person standing straight from bone lengths (16,): ankle to head top.

    Sums the mean leg (hip→knee→ankle), pelvis→spine→thorax→neck→head. Used to turn the
    user's "subject height" into the metric scale of a lifted skeleton. The heel/sole below the
    ankle is not in the skeleton; ``ANKLE_TO_SOLE`` of the height is added for it.
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    by_child = {c: lengths[i] for i, (c, _) in enumerate(BONES)}
    j = JOINT_INDEX
    leg = 0.5 * (by_child[j["right_knee"]] + by_child[j["right_ankle"]]
                 + by_child[j["left_knee"]] + by_child[j["left_ankle"]])
    trunk = by_child[j["spine"]] + by_child[j["thorax"]] + by_child[j["neck"]] + by_child[j["head"]]
    return float((leg + trunk) / (1.0 - ANKLE_TO_SOLE))


def median_bone_lengths(joints) -> np.ndarray:
    """(T, 17, 3) → (16,) median length of each bone over a clip (same units as joints)."""
    return np.median(bone_lengths(np.asarray(joints, dtype=np.float64)), axis=0)


def clip_height(joints) -> float:
    """Standing height of the person in a clip (T, 17, 3): ``standing_height`` of the median
    bones, so frames where a bone is foreshortened or mis-detected do not count."""
    return standing_height(median_bone_lengths(joints))


# Ankle joint to the sole is about 4 % of body height (anthropometric tables, e.g. Winter 2009).
ANKLE_TO_SOLE = 0.039


# Trunk joints that no detector and no mocap skeleton gives directly are derived the same way
# for every source (detector keypoints, BVH), so the 2D the lifter trains on and the 2D it
# sees in a video agree. Human3.6M's mean bones pelvis→spine 233 mm and spine→thorax 257 mm put
# the spine at 0.48 of the way; thorax→neck 121 mm and neck→head 115 mm put the neck half-way.
SPINE_FRACTION = 0.5
NECK_FRACTION = 0.5


def derive_spine(pelvis, thorax):
    """Spine joint from pelvis and thorax, (..., D) arrays."""
    return pelvis + SPINE_FRACTION * (thorax - pelvis)


def derive_neck(thorax, head_top):
    """H36M "neck/nose" joint from thorax and head top, (..., D) arrays."""
    return thorax + NECK_FRACTION * (head_top - thorax)

"""THE BVH reader of AmbiBlend: parse, forward kinematics, and the map to the 17 H36M joints.

Conventions handled (BVH as written by MotionBuilder and the Bandai-Namco dataset):
- Each node has its own ``CHANNELS`` list; position channels, when present, REPLACE the node's
  ``OFFSET`` for that frame (the Bandai-Namco files give per-frame positions for every node).
- Rotation channels are Euler angles in degrees applied in channel order as intrinsic
  rotations: ``Zrotation Xrotation Yrotation`` → R = Rz · Rx · Ry (column vectors).
- World transform of a node = parent world · [R | t]; the root's parent is the identity.

Output positions are in the file's world frame (Y up for Bandai-Namco) and converted to metres
with ``unit`` (the file's unit in metres; Bandai-Namco is in centimetres → 0.01).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import JOINT_INDEX, NUM_JOINTS, derive_neck, derive_spine

_AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass
class BvhClip:
    """A parsed BVH file.

    names: node names in file order (parents before children); parents: (J,) parent index, −1
    for the root; offsets: (J, 3) rest offsets in file units; channels: per node the channel
    names; motion: (F, C) all channel values, C = total channel count; frame_time in seconds.
    """
    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[list[str]]
    motion: np.ndarray
    frame_time: float

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time


def _parse_hierarchy(tokens: list[str], name: str):
    """Token list of the HIERARCHY section → names, parents, offsets, channels."""
    names, parents, offsets, channels = [], [], [], []
    stack: list[int] = []
    i, end_site = 0, 0
    try:
        while i < len(tokens):
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                names.append(tokens[i + 1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                i += 2
            elif tok == "End":
                end_site += 1  # End Site blocks carry only an offset; skipped.
                i += 2
            elif tok == "{":
                stack.append(len(names) - 1 if not end_site else -2)  # -2: an End Site block
                i += 1
            elif tok == "}":
                if stack.pop() == -2:
                    end_site -= 1
                i += 1
            elif tok == "OFFSET":
                if not end_site:
                    offsets[-1] = [float(v) for v in tokens[i + 1:i + 4]]
                i += 4
            elif tok == "CHANNELS":
                n = int(tokens[i + 1])
                channels[-1] = tokens[i + 2:i + 2 + n]
                i += 2 + n
            else:
                raise AmbiblendError(f"{name}: unexpected token '{tok}' in the BVH hierarchy.")
    except (IndexError, ValueError) as exc:
        raise AmbiblendError(f"{name}: the BVH hierarchy is malformed ({exc}).") from exc
    if not names or stack:
        raise AmbiblendError(f"{name}: the BVH hierarchy has no joints or unbalanced braces.")
    for ch in channels:
        for c in ch:
            if len(c) != 9 or c[0] not in _AXES or c[1:] not in ("position", "rotation"):
                raise AmbiblendError(f"{name}: unknown BVH channel '{c}'.")
    return names, np.array(parents), np.array(offsets, dtype=np.float64), channels


def parse_bvh(path) -> BvhClip:
    """Read a BVH file. Raises ``AmbiblendError`` for a missing, truncated or corrupt file."""
    path = Path(path)
    if not path.is_file():
        raise AmbiblendError(f"BVH file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise AmbiblendError(f"{path.name} is not a readable BVH text file ({exc}).") from exc
    head, sep, motion = text.partition("MOTION")
    if not head.lstrip().startswith("HIERARCHY") or not sep:
        raise AmbiblendError(f"{path.name} is not a BVH file (needs HIERARCHY and MOTION sections).")
    names, parents, offsets, channels = _parse_hierarchy(head.split()[1:], path.name)
    lines = motion.strip().split("\n", 2)
    try:
        frames = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
        values = np.array(lines[2].split() if len(lines) > 2 else [], dtype=np.float64)
    except (IndexError, ValueError) as exc:
        raise AmbiblendError(f"{path.name}: the MOTION section is malformed ({exc}).") from exc
    n_ch = sum(len(c) for c in channels)
    if frames <= 0 or frame_time <= 0 or values.size != frames * n_ch:
        raise AmbiblendError(f"{path.name}: the MOTION section holds {values.size} values, expected "
                             f"{frames} frames × {n_ch} channels (truncated or corrupt file).")
    if not np.isfinite(values).all():
        raise AmbiblendError(f"{path.name}: the MOTION section holds NaN or infinite values.")
    return BvhClip(names, parents, offsets, channels, values.reshape(frames, n_ch), frame_time)


def _axis_rotation(axis: int, deg: np.ndarray) -> np.ndarray:
    """(F,) angles in degrees about x/y/z → (F, 3, 3) rotation matrices."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(a.shape + (3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3  # cyclic order keeps the sign right for y
    r[..., axis, axis] = 1.0
    r[..., i, i], r[..., j, j] = c, c
    r[..., i, j], r[..., j, i] = -s, s
    return r


def forward_kinematics(clip: BvhClip, unit: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) in metres (file axes, e.g. Y up) and world rotations (F, J, 3, 3)."""
    f = clip.num_frames
    world_r = np.zeros((f, len(clip.names), 3, 3))
    world_t = np.zeros((f, len(clip.names), 3))
    col = 0
    for j, (parent, chans) in enumerate(zip(clip.parents, clip.channels)):
        local_t = np.broadcast_to(clip.offsets[j], (f, 3)).copy()
        local_r = np.broadcast_to(np.eye(3), (f, 3, 3)).copy()
        for c in chans:
            values = clip.motion[:, col]
            col += 1
            if c[1:] == "position":
                local_t[:, _AXES[c[0]]] = values
            else:
                local_r = local_r @ _axis_rotation(_AXES[c[0]], values)
        if parent < 0:
            world_r[:, j], world_t[:, j] = local_r, local_t
        else:
            world_r[:, j] = world_r[:, parent] @ local_r
            world_t[:, j] = world_t[:, parent] + np.einsum("fab,fb->fa", world_r[:, parent], local_t)
    return world_t * unit, world_r


# Bandai-Namco node for each directly measured H36M joint. The trunk joints are derived with
# the same rules as the detector's (``skeleton.derive_spine/derive_neck``; pelvis and thorax =
# mid-hips and mid-shoulders) so training 2D and video 2D agree: the file's own Hips and Neck
# nodes sit 2 and 4 cm above those midpoints. The head top has no node (the Head's end site has
# a zero offset): it is Head + HEAD_TOP_LENGTH along the Head node's own bone axis (local +X,
# the axis every spine/neck/head offset runs along), so it follows head nods.
BANDAI_TO_H36M = {
    "right_hip": "UpperLeg_R", "right_knee": "LowerLeg_R", "right_ankle": "Foot_R",
    "left_hip": "UpperLeg_L", "left_knee": "LowerLeg_L", "left_ankle": "Foot_L",
    "left_shoulder": "UpperArm_L", "left_elbow": "LowerArm_L", "left_wrist": "Hand_L",
    "right_shoulder": "UpperArm_R", "right_elbow": "LowerArm_R", "right_wrist": "Hand_R",
}
HEAD_TOP_LENGTH = 0.18  # metres, Head node → crown; [choice]: puts the crown 29 cm above the
# shoulders (≈ 0.18 × stature for this 1.6 m skeleton). The same mapping serves every metric.
HEAD_AXIS = np.array([1.0, 0.0, 0.0])


def to_h36m(clip: BvhClip, unit: float = 0.01) -> np.ndarray:
    """Bandai-Namco BVH → (F, 17, 3) H36M joints in metres, file world frame (Y up)."""
    pos, rot = forward_kinematics(clip, unit)
    index = {n: i for i, n in enumerate(clip.names)}
    missing = [n for n in list(BANDAI_TO_H36M.values()) + ["Head"] if n not in index]
    if missing:
        raise AmbiblendError(f"The BVH lacks the node(s) {', '.join(missing)} of the Bandai-Namco skeleton.")
    out = np.zeros((clip.num_frames, NUM_JOINTS, 3))
    for joint, node in BANDAI_TO_H36M.items():
        out[:, JOINT_INDEX[joint]] = pos[:, index[node]]
    j = JOINT_INDEX
    out[:, j["pelvis"]] = 0.5 * (out[:, j["left_hip"]] + out[:, j["right_hip"]])
    out[:, j["thorax"]] = 0.5 * (out[:, j["left_shoulder"]] + out[:, j["right_shoulder"]])
    head = index["Head"]
    out[:, j["head"]] = pos[:, head] + HEAD_TOP_LENGTH * (rot[:, head] @ HEAD_AXIS)
    out[:, j["spine"]] = derive_spine(out[:, j["pelvis"]], out[:, j["thorax"]])
    out[:, j["neck"]] = derive_neck(out[:, j["thorax"]], out[:, j["head"]])
    return out


def load_h36m(path) -> tuple[np.ndarray, float]:
    """Read a Bandai-Namco BVH → ((F, 17, 3) metres Y-up, fps)."""
    clip = parse_bvh(path)
    return to_h36m(clip), clip.fps

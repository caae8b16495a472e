"""THE BVH reader of AmbiBlend: parse, forward kinematics, and the map to the 17 H36M joints.

Conventions handled (BVH as written by MotionBuilder and the Bandai-Namco dataset):
- Each node has its own ``CHANNELS`` list; position channels, when present, REPLACE the node's
  ``OFFSET`` for that frame (the Bandai-Namco files give per-frame positions for every node).
- Rotation channels are Euler angles in degrees applied in channel order as intrinsic
  rotations: ``Zrotation Xrotation Yrotation`` → R = Rz · Rx · Ry (column vectors).
- World transform of a node = parent world · [R | t]; the root's parent is the identity.

Output positions are in the file's world frame (Y up for Bandai-Namco) and converted to metres
with ``unit`` (the file's unit in metres; Bandai-Namco is in centimetres → 0.01).

Any skeleton: ``SkeletonMap`` names, for the 17 joints of ``core/skeleton.py``, the file node
each directly measured joint is read from (hips, knees, ankles, shoulders, elbows, wrists, the
head node) and how the head top is found; pelvis, thorax, spine and neck are always derived from
them with the skeleton's own rules. Presets (``SKELETONS``): ``bandai`` (Bandai-Namco),
``mixamo`` (``mixamorig:Hips`` …, any ``namespace:`` prefix), ``cmu`` (CMU / MotionBuilder:
Hips, LeftUpLeg, LeftLeg, LeftFoot, LeftArm, LeftForeArm, LeftHand, Neck, Head), ``unreal``
(UE mannequin: pelvis, thigh_l, calf_l, foot_l, upperarm_l, lowerarm_l, hand_l, neck_01, head),
``unity`` (Unity humanoid: LeftUpperLeg, LeftLowerLeg, LeftUpperArm …), ``rokoko`` (Rokoko
Newton: LeftThigh, LeftShin, LeftFoot, LeftArm …); a JSON file (``load_skeleton_map``) for any
other rig; ``auto`` picks the preset whose node names the file has. Units: a preset or the JSON
may fix them; otherwise the file's unit is detected (``detect_unit``: metres, centimetres or
millimetres, whichever gives a plausible standing height) and a height outside 0.5–2.5 m is an
error asking for an explicit unit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import JOINT_INDEX, JOINTS, NUM_JOINTS, clip_height, derive_neck, derive_spine

_AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass
class BvhClip:
    """A parsed BVH file.

    names: node names in file order (parents before children); parents: (J,) parent index, −1
    for the root; offsets: (J, 3) rest offsets in file units; channels: per node the channel
    names; motion: (F, C) all channel values, C = total channel count; frame_time in seconds;
    end_sites: node index → the (3,) offset of its ``End Site`` (file units), if it has one.
    """
    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[list[str]]
    motion: np.ndarray
    frame_time: float
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time


def _parse_hierarchy(tokens: list[str], name: str):
    """Token list of the HIERARCHY section → names, parents, offsets, channels, end sites."""
    names, parents, offsets, channels, end_sites = [], [], [], [], {}
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
                values = [float(v) for v in tokens[i + 1:i + 4]]
                if len(values) != 3:
                    raise ValueError("OFFSET needs 3 numbers")
                if not end_site:
                    offsets[-1] = values
                elif end_site == 1 and len(stack) >= 2 and stack[-2] >= 0:
                    end_sites[stack[-2]] = np.array(values, dtype=np.float64)
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
    return names, np.array(parents), np.array(offsets, dtype=np.float64), channels, end_sites


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
    names, parents, offsets, channels, end_sites = _parse_hierarchy(head.split()[1:], path.name)
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
    return BvhClip(names, parents, offsets, channels, values.reshape(frames, n_ch), frame_time, end_sites)


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


# The joints read from file nodes; the other four (pelvis, thorax, spine, neck) are derived.
LIMB_JOINTS = tuple(n for n in JOINTS if n.startswith(("left_", "right_")))
MAPPED_JOINTS = LIMB_JOINTS + ("head",)  # "head" here = the head NODE (base of the skull)
HEAD_TOP_LENGTH = 0.18  # metres, Head node → crown; [choice]: puts the crown 29 cm above the
# shoulders on the Bandai-Namco skeleton (≈ 0.18 × stature for its 1.6 m). Used by every rig
# whose file gives no head top: along the Head node's own axis (Bandai-Namco) or along the
# neck node → head node line (rigs without a head-top node or end site).
HEAD_AXIS = np.array([1.0, 0.0, 0.0])
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254}
HEIGHT_RANGE = (0.5, 2.5)  # plausible standing heights, metres (children to tall adults)


@dataclass(frozen=True)
class SkeletonMap:
    """How to read the 17 joints from one rig's BVH.

    joints: for every name in ``MAPPED_JOINTS`` (``core/skeleton.py`` names; "head" = the head
    node) the file node it is read from. head_top: ways to find the crown, tried in order —
    a node name; ``"end:<node>"`` (that node's End Site); ``"axis"`` (head node +
    ``HEAD_TOP_LENGTH`` along its local ``head_axis``); ``"extend"`` (head node +
    ``HEAD_TOP_LENGTH`` along the ``neck`` node → head node direction). unit: metres per file
    unit, None = detect. up: the file's up axis, "y" (output as is) or "z" (turned to Y up).
    Matching ignores a ``namespace:`` prefix and letter case.
    """
    name: str
    joints: dict
    head_top: tuple = ("extend",)
    neck: str | None = None
    head_axis: tuple = (1.0, 0.0, 0.0)
    unit: float | None = None
    up: str = "y"

    def __post_init__(self):
        missing = [j for j in MAPPED_JOINTS if j not in self.joints]
        unknown = [j for j in self.joints if j not in MAPPED_JOINTS]
        if missing or unknown:
            raise AmbiblendError(
                f"Skeleton mapping '{self.name}': " + "; ".join(
                    ([f"no node given for {', '.join(missing)}"] if missing else [])
                    + ([f"unknown joint name(s) {', '.join(unknown)} (use {', '.join(MAPPED_JOINTS)})"] if unknown else [])) + ".")
        if self.up not in ("y", "z"):
            raise AmbiblendError(f"Skeleton mapping '{self.name}': up must be 'y' or 'z', got '{self.up}'.")
        if "extend" in self.head_top and not self.neck:
            raise AmbiblendError(f"Skeleton mapping '{self.name}': head_top 'extend' needs a 'neck' node.")
        if self.unit is not None and not self.unit > 0:
            raise AmbiblendError(f"Skeleton mapping '{self.name}': unit must be a positive number of metres.")

    def nodes(self) -> list[str]:
        """Every node this map needs for sure (the head-top alternatives are optional)."""
        return list(self.joints.values()) + ([self.neck] if self.neck else [])


def _limbs(hip, knee, ankle, shoulder, elbow, wrist, left, right) -> dict:
    """The 12 limb joints from node-name patterns ({s} = the side token ``left`` / ``right``)."""
    out = {}
    for side, token in (("left", left), ("right", right)):
        for part, pattern in (("hip", hip), ("knee", knee), ("ankle", ankle), ("shoulder", shoulder),
                              ("elbow", elbow), ("wrist", wrist)):
            out[f"{side}_{part}"] = pattern.format(s=token)
    return out


# Bandai-Namco: the trunk joints are derived with the same rules as the detector's
# (``skeleton.derive_spine/derive_neck``; pelvis and thorax = mid-hips and mid-shoulders) so
# training 2D and video 2D agree: the file's own Hips and Neck nodes sit 2 and 4 cm above those
# midpoints. The head top has no node (the Head's end site has a zero offset): it is Head +
# HEAD_TOP_LENGTH along the Head node's own bone axis (local +X, the axis every spine/neck/head
# offset runs along), so it follows head nods.
SKELETONS: dict[str, SkeletonMap] = {
    "bandai": SkeletonMap("bandai", {**_limbs("UpperLeg_{s}", "LowerLeg_{s}", "Foot_{s}", "UpperArm_{s}",
                                              "LowerArm_{s}", "Hand_{s}", "L", "R"), "head": "Head"},
                          head_top=("axis",), unit=0.01),
    # Mixamo: HeadTop_End is a joint in Mixamo's own exports; Blender's BVH export keeps it too.
    "mixamo": SkeletonMap("mixamo", {**_limbs("mixamorig:{s}UpLeg", "mixamorig:{s}Leg", "mixamorig:{s}Foot",
                                              "mixamorig:{s}Arm", "mixamorig:{s}ForeArm", "mixamorig:{s}Hand",
                                              "Left", "Right"), "head": "mixamorig:Head"},
                          head_top=("mixamorig:HeadTop_End", "end:mixamorig:HeadTop_End", "end:mixamorig:Head", "extend"),
                          neck="mixamorig:Neck"),
    # CMU (cgspeed / MotionBuilder naming): Head's End Site is the crown.
    "cmu": SkeletonMap("cmu", {**_limbs("{s}UpLeg", "{s}Leg", "{s}Foot", "{s}Arm", "{s}ForeArm", "{s}Hand",
                                        "Left", "Right"), "head": "Head"},
                       head_top=("HeadTop_End", "end:Head", "extend"), neck="Neck"),
    "unreal": SkeletonMap("unreal", {**_limbs("thigh_{s}", "calf_{s}", "foot_{s}", "upperarm_{s}", "lowerarm_{s}",
                                              "hand_{s}", "l", "r"), "head": "head"},
                          head_top=("end:head", "extend"), neck="neck_01"),
    "unity": SkeletonMap("unity", {**_limbs("{s}UpperLeg", "{s}LowerLeg", "{s}Foot", "{s}UpperArm", "{s}LowerArm",
                                            "{s}Hand", "Left", "Right"), "head": "Head"},
                         head_top=("end:Head", "extend"), neck="Neck"),
    "rokoko": SkeletonMap("rokoko", {**_limbs("{s}Thigh", "{s}Shin", "{s}Foot", "{s}Arm", "{s}ForeArm", "{s}Hand",
                                              "Left", "Right"), "head": "Head"},
                          head_top=("HeadTop", "end:Head", "extend"), neck="Neck"),
}
BANDAI_TO_H36M = {j: n for j, n in SKELETONS["bandai"].joints.items() if j != "head"}  # back-compat


def _key(name: str) -> str:
    """Node-name key for matching: no ``namespace:`` prefix, lower case."""
    return name.rsplit(":", 1)[-1].lower()


def _node_index(clip: BvhClip) -> dict[str, int]:
    return {_key(n): i for i, n in enumerate(clip.names)}


def load_skeleton_map(path) -> SkeletonMap:
    """A user mapping from JSON: {"name": ..., "joints": {joint: node, ...}, "head_top": [...],
    "neck": node, "head_axis": [x, y, z], "unit": metres per file unit or "cm"/"m"/..., "up": "y"|"z"}.
    Only "joints" is required (the 12 limb joints of ``core/skeleton.py`` and "head")."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AmbiblendError(f"Cannot read the skeleton mapping {path}: {exc}.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("joints"), dict):
        raise AmbiblendError(f"Skeleton mapping {path.name}: needs a 'joints' object {{joint: node name}}.")
    unknown = set(data) - {"name", "joints", "head_top", "neck", "head_axis", "unit", "up"}
    if unknown:
        raise AmbiblendError(f"Skeleton mapping {path.name}: unknown key(s) {', '.join(sorted(unknown))}.")
    unit = data.get("unit")
    if isinstance(unit, str):
        if unit not in UNITS:
            raise AmbiblendError(f"Skeleton mapping {path.name}: unit '{unit}' is not one of {', '.join(UNITS)}.")
        unit = UNITS[unit]
    head_top = data.get("head_top", ["extend"])
    head_top = (head_top,) if isinstance(head_top, str) else tuple(head_top)
    return SkeletonMap(str(data.get("name", path.stem)), dict(data["joints"]), head_top, data.get("neck"),
                       tuple(data.get("head_axis", (1.0, 0.0, 0.0))), unit, data.get("up", "y"))


def missing_nodes(clip: BvhClip, skeleton: SkeletonMap) -> list[str]:
    index = _node_index(clip)
    return [n for n in skeleton.nodes() if _key(n) not in index]


def resolve_skeleton(skeleton, clip: BvhClip | None = None) -> SkeletonMap:
    """A ``SkeletonMap`` from a preset name, ``"auto"`` (needs ``clip``), a JSON path or a map."""
    if isinstance(skeleton, SkeletonMap):
        return skeleton
    name = str(skeleton)
    if name in SKELETONS:
        return SKELETONS[name]
    if name == "auto":
        if clip is None:
            raise AmbiblendError("skeleton 'auto' needs the BVH clip to look at.")
        fits = [m for m in SKELETONS.values() if not missing_nodes(clip, m)]
        if not fits:
            best = min(SKELETONS.values(), key=lambda m: len(missing_nodes(clip, m)))
            raise AmbiblendError(
                f"No skeleton preset matches this BVH's joint names (closest: '{best.name}', which lacks "
                f"{', '.join(missing_nodes(clip, best))}); give a JSON mapping file (see ambiblend/core/mocap/README.md).")
        # Several presets can fit once prefixes and case are ignored (Mixamo's names are CMU's
        # with a namespace): prefer the one whose names the file spells exactly.
        exact = lambda m: sum(n in clip.names for n in m.nodes())
        return max(fits, key=exact)  # first of the best (dict order) on a tie
    if name.lower().endswith(".json"):
        return load_skeleton_map(name)
    raise AmbiblendError(f"Unknown skeleton '{name}': use one of {', '.join(SKELETONS)}, auto, or a .json mapping file.")


def _head_top(skeleton: SkeletonMap, clip: BvhClip, pos, rot, index, unit: float):
    head = index[_key(skeleton.joints["head"])]
    for way in skeleton.head_top:
        if way == "axis":
            return pos[:, head] + HEAD_TOP_LENGTH * (rot[:, head] @ np.asarray(skeleton.head_axis, float))
        if way == "extend":
            d = pos[:, head] - pos[:, index[_key(skeleton.neck)]]
            n = np.linalg.norm(d, axis=-1, keepdims=True)
            if (n < 1e-9).any():
                raise AmbiblendError(f"{skeleton.name}: the neck and head nodes coincide; cannot place the head top.")
            return pos[:, head] + HEAD_TOP_LENGTH * d / n
        if way.startswith("end:"):
            node = index.get(_key(way[4:]))
            off = clip.end_sites.get(node) if node is not None else None
            if off is not None and np.linalg.norm(off) > 1e-9:
                return pos[:, node] + unit * np.einsum("fab,b->fa", rot[:, node], off)
            continue
        if _key(way) in index:
            return pos[:, index[_key(way)]]
    raise AmbiblendError(f"{skeleton.name}: no head top found (tried {', '.join(skeleton.head_top)}).")


def _joints(clip: BvhClip, skeleton: SkeletonMap, unit: float) -> np.ndarray:
    """(F, 17, 3) joints in metres, file axes."""
    missing = missing_nodes(clip, skeleton)
    if missing:
        raise AmbiblendError(f"The BVH lacks the node(s) {', '.join(missing)} of the '{skeleton.name}' "
                             f"skeleton mapping (its joints: {', '.join(clip.names[:12])}{' …' if len(clip.names) > 12 else ''}).")
    pos, rot = forward_kinematics(clip, unit)
    index = _node_index(clip)
    out = np.zeros((clip.num_frames, NUM_JOINTS, 3))
    for joint in LIMB_JOINTS:
        out[:, JOINT_INDEX[joint]] = pos[:, index[_key(skeleton.joints[joint])]]
    j = JOINT_INDEX
    out[:, j["pelvis"]] = 0.5 * (out[:, j["left_hip"]] + out[:, j["right_hip"]])
    out[:, j["thorax"]] = 0.5 * (out[:, j["left_shoulder"]] + out[:, j["right_shoulder"]])
    out[:, j["head"]] = _head_top(skeleton, clip, pos, rot, index, unit)
    out[:, j["spine"]] = derive_spine(out[:, j["pelvis"]], out[:, j["thorax"]])
    out[:, j["neck"]] = derive_neck(out[:, j["thorax"]], out[:, j["head"]])
    return out


def detect_unit(clip: BvhClip, skeleton: SkeletonMap) -> float:
    """Metres per file unit: of m / cm / mm, the one whose standing height is nearest 1.65 m
    (log scale). Raises ``AmbiblendError`` when even that is outside ``HEIGHT_RANGE``."""
    height = clip_height(_joints(clip, skeleton, 1.0))
    best = min(("m", "cm", "mm"), key=lambda u: abs(np.log(max(height * UNITS[u], 1e-12) / 1.65)))
    metres = height * UNITS[best]
    if not HEIGHT_RANGE[0] <= metres <= HEIGHT_RANGE[1]:
        raise AmbiblendError(f"{skeleton.name}: cannot tell the BVH's unit (standing height {height:.4g} file units); "
                             f"set it in a JSON mapping (\"unit\": \"cm\", \"m\", \"mm\" or \"inch\").")
    return UNITS[best]


def to_h36m(clip: BvhClip, unit: float | None = 0.01, skeleton="bandai") -> np.ndarray:
    """BVH → (F, 17, 3) H36M joints in metres, Y up (the file's world frame, turned if Z up).

    skeleton: a preset name, "auto", a JSON mapping path or a ``SkeletonMap``. unit: metres per
    file unit; None = the map's own, else detected (``detect_unit``)."""
    skeleton = resolve_skeleton(skeleton, clip)
    if unit is None:
        unit = skeleton.unit if skeleton.unit is not None else detect_unit(clip, skeleton)
    out = _joints(clip, skeleton, unit)
    if skeleton.up == "z":  # Z up, Y forward → Y up: (x, y, z) → (x, z, −y), a proper rotation
        out = np.stack([out[..., 0], out[..., 2], -out[..., 1]], axis=-1)
    return out


def load_h36m(path, skeleton="bandai", unit: float | None = None) -> tuple[np.ndarray, float]:
    """Read a BVH → ((F, 17, 3) metres Y-up, fps). Default: the Bandai-Namco skeleton (cm)."""
    clip = parse_bvh(path)
    return to_h36m(clip, unit, skeleton), clip.fps

"""Bone mapping: which bone of a rig plays which part of the 17-joint skeleton.

A mapping is ``{slot: bone name}`` over the 12 ``SLOTS`` below (one bone per slot; bones in
between, like Rigify's spine.002 or a clavicle, are carried rigidly by the solver). Automatic
mapping knows Rigify (meta-rig and the generated rig's ``DEF-`` bones), Mixamo (``mixamorig:``
or any ``<prefix>:`` namespace) and falls back to a generic humanoid name matcher.
``bone_targets(mapping)`` turns a mapping into the solver's ``{bone: BoneTarget}``.
Finger bones are optional ``HAND_SLOTS`` (``hand_map``, ``hand_bone_targets``) over the combined
body + hands joint array of ``core.hands.landmarks``.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from ..errors import AmbiblendError
from ..hands.landmarks import CHAINS as _CHAINS, FINGERS as _FINGERS, INDEX_MCP as _INDEX_MCP
from ..hands.landmarks import MIDDLE_MCP as _MIDDLE_MCP, PINKY_MCP as _PINKY_MCP, WRIST as _WRIST
from ..hands.landmarks import hand_joint as _hj
from ..skeleton import JOINT_INDEX as J
from .solve import BoneTarget

# slot → (head joint, tail joint, side reference (from, to) or None). The limb side vector is the
# next segment, so the rig's rest elbow/knee bend plane is turned onto the target's bend plane.
SLOT_TARGETS: dict[str, BoneTarget] = {
    "hips": BoneTarget(J["pelvis"], J["spine"], (J["right_hip"], J["left_hip"]),
                       anchor=(J["right_hip"], J["left_hip"])),
    "spine": BoneTarget(J["spine"], J["thorax"], (J["right_shoulder"], J["left_shoulder"])),
    "neck": BoneTarget(J["thorax"], J["neck"]),
    "head": BoneTarget(J["neck"], J["head"]),
    **{f"{part}.{s[0].upper()}": BoneTarget(J[f"{s}_{a}"], J[f"{s}_{b}"], (J[f"{s}_{b}"], J[f"{s}_{c}"]) if c else None)
       for s in ("left", "right")
       for part, a, b, c in (("upper_arm", "shoulder", "elbow", "wrist"), ("forearm", "elbow", "wrist", None),
                             ("thigh", "hip", "knee", "ankle"), ("shin", "knee", "ankle", None))},
}
SLOTS: tuple[str, ...] = tuple(SLOT_TARGETS)
SLOT_LABELS = {"hips": "Hips", "spine": "Spine", "neck": "Neck", "head": "Head",
               **{f"{p}.{s}": f"{'Left' if s == 'L' else 'Right'} {p.replace('_', ' ').title()}"
                  for p in ("upper_arm", "forearm", "thigh", "shin") for s in "LR"}}

RIGIFY_METARIG = {"hips": "spine", "spine": "spine.001", "neck": "spine.004", "head": "spine.006",
                  **{f"{p}.{s}": f"{p}.{s}" for p in ("upper_arm", "forearm", "thigh", "shin") for s in "LR"}}
RIGIFY_DEF = {k: f"DEF-{v}" for k, v in RIGIFY_METARIG.items()}
# AmbiBlend's own armature (blender/armature.py): its "spine" bone (pelvis → spine joint) is
# carried by the root, "chest" spans spine → thorax.
AMBIBLEND = {"hips": "pelvis", "spine": "chest", "neck": "neck", "head": "head",
             **{f"{p}.{s}": f"{p}.{s}" for p in ("upper_arm", "forearm", "thigh", "shin") for s in "LR"}}
MIXAMO = {"hips": "Hips", "spine": "Spine", "neck": "Neck", "head": "Head",
          **{f"{p}.{s[0]}": f"{s}{m}" for s in ("Left", "Right")
             for p, m in (("upper_arm", "Arm"), ("forearm", "ForeArm"), ("thigh", "UpLeg"), ("shin", "Leg"))}}

# Generic matcher: per slot, name patterns tried in order on the normalised, side-less name.
GENERIC_PATTERNS = {
    "hips": (r"^(hips?|pelvis|root_?hips?)$", r"hips?$", r"pelvis"),
    "spine": (r"^spine_?0?[01]?$", r"^(abdomen|torso|waist|spine.*)$"),
    "neck": (r"^neck_?0?[01]?$", r"^neck"),
    "head": (r"^head$", r"^head(?!_?(top|end))"),
    "upper_arm": (r"^(upper_?arm|up_?arm|arm|shoulder_?lower)$", r"upper_?arm", r"^arm"),
    "forearm": (r"^(fore_?arm|lower_?arm|low_?arm|elbow)$", r"fore_?arm|lower_?arm"),
    "thigh": (r"^(thigh|up_?leg|upper_?leg|hip_?joint)$", r"thigh|up_?leg|upper_?leg"),
    "shin": (r"^(shin|calf|lower_?leg|low_?leg|leg|knee)$", r"shin|calf|lower_?leg"),
}
_SIDE = re.compile(r"(^|[._\- ])(l|r|left|right)($|[._\- ])|^(left|right)|(left|right)$")


def auto_map(bone_names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Guess a mapping for a rig from its bone names (in hierarchy order, parents first).

    Returns (rig kind: "ambiblend", "rigify", "rigify-def", "mixamo" or "generic",
    {slot: bone}); slots
    without a match are left out (see ``missing_slots``)."""
    names = list(bone_names)
    present = set(names)
    if all(b in present for b in AMBIBLEND.values()) and {"hip.L", "hip.R", "chest"} <= present:
        return "ambiblend", dict(AMBIBLEND)
    if all(b in present for b in RIGIFY_DEF.values()):
        return "rigify-def", dict(RIGIFY_DEF)
    if all(b in present for b in RIGIFY_METARIG.values()):
        return "rigify", dict(RIGIFY_METARIG)
    for prefix in sorted({n.split(":")[0] + ":" for n in names if ":" in n}) + [""]:
        m = {slot: prefix + b for slot, b in MIXAMO.items() if prefix + b in present}
        if len(m) == len(MIXAMO):
            return "mixamo", m
    return "generic", generic_map(names)


def generic_map(bone_names: Iterable[str]) -> dict[str, str]:
    """Name matcher for any humanoid: side from L/R/left/right tokens, part from patterns."""
    parsed = [(n, *_split_side(_normalise(n))) for n in bone_names]
    mapping: dict[str, str] = {}
    for slot in SLOTS:
        part, _, side = slot.partition(".")
        for pattern in GENERIC_PATTERNS[part]:
            hit = next((n for n, base, s in parsed if s == (side or None) and re.search(pattern, base)
                        and n not in mapping.values()), None)
            if hit is not None:
                mapping[slot] = hit
                break
    return mapping


def missing_slots(mapping: dict[str, str]) -> list[str]:
    """Slots with no bone, in SLOTS order."""
    return [s for s in SLOTS if not mapping.get(s)]


def check_mapping(mapping: dict[str, str], bone_names: Iterable[str]) -> None:
    """Raise AmbiblendError naming every unmapped slot, unknown bone or bone used twice."""
    names = set(bone_names)
    problems = []
    missing = missing_slots(mapping)
    if missing:
        problems.append("no bone mapped for " + ", ".join(f"{SLOT_LABELS[s]} ({s})" for s in missing))
    unknown = [f"{s} → '{b}'" for s, b in mapping.items() if b and b not in names]
    if unknown:
        problems.append("bones not in the armature: " + ", ".join(unknown))
    used = [b for b in mapping.values() if b]
    twice = sorted({b for b in used if used.count(b) > 1})
    if twice:
        problems.append("bones mapped twice: " + ", ".join(twice))
    if problems:
        raise AmbiblendError("This armature is not a complete humanoid for retargeting: "
                             + "; ".join(problems) + ". Edit the bone mapping or pick another rig.")


def bone_targets(mapping: dict[str, str]) -> dict[str, BoneTarget]:
    """{slot: bone} → the solver's {bone: BoneTarget}."""
    return {bone: SLOT_TARGETS[slot] for slot, bone in mapping.items() if bone}


# Limbs whose end must land on its target whatever the rig's proportions (planted feet).
IK_SLOTS = (("thigh.L", "shin.L"), ("thigh.R", "shin.R"))


def ik_chains(mapping: dict[str, str]) -> list[tuple[str, str]]:
    """(upper bone, lower bone) of each leg of a complete mapping, for ``solve_pose``."""
    return [(mapping[a], mapping[b]) for a, b in IK_SLOTS if mapping.get(a) and mapping.get(b)]


def _normalise(name: str) -> str:
    """'mixamorig:LeftUpLeg' → 'left_up_leg'; drops namespaces and DEF-/ORG-/MCH- prefixes."""
    name = name.split(":")[-1]
    name = re.sub(r"^(DEF|ORG|MCH|CTRL|Bip0?1|Bone)[-_ ]", "", name, flags=re.I)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return name.lower().strip("._- ")


def _split_side(name: str) -> tuple[str, str | None]:
    """'left_up_leg' → ('up_leg', 'L'); 'thigh.r' → ('thigh', 'R'); 'spine' → ('spine', None)."""
    m = _SIDE.search(name)
    if not m:
        return name, None
    token = next(g for g in m.groups() if g and g.strip("._- ") in ("l", "r", "left", "right"))
    side = "L" if token.startswith("l") else "R"
    base = (name[:m.start()] + "_" + name[m.end():]).strip("._- ")
    return re.sub(r"[._\- ]+", "_", base), side


# --- hands -------------------------------------------------------------------------------------
# Optional slots, 16 per side: the hand (wrist → middle MCP, twist from the palm) and three bones
# per finger, named as on AmbiBlend's armature and Rigify's meta-rig. A rig without them (or
# with some) still retargets: the missing ones are reported and left alone.

_FINGER_PREFIX = {"thumb": "thumb", **{f: f"f_{f}" for f in _FINGERS[1:]}}
HAND_SLOT_TARGETS: dict[str, BoneTarget] = {}
for _s in "LR":
    HAND_SLOT_TARGETS[f"hand.{_s}"] = BoneTarget(_hj(_s, _WRIST), _hj(_s, _MIDDLE_MCP),
                                                 (_hj(_s, _PINKY_MCP), _hj(_s, _INDEX_MCP)))
    for _f in _FINGERS:
        for _k in range(3):
            HAND_SLOT_TARGETS[f"{_FINGER_PREFIX[_f]}.{_k + 1:02d}.{_s}"] = BoneTarget(
                _hj(_s, _CHAINS[_f][_k]), _hj(_s, _CHAINS[_f][_k + 1]))
HAND_SLOTS: tuple[str, ...] = tuple(HAND_SLOT_TARGETS)
HAND_SLOT_LABELS = {s: f"{'Left' if s[-1] == 'L' else 'Right'} " + (
    "Hand" if s.startswith("hand.") else f"{s.split('.')[0].removeprefix('f_').title()} {int(s.split('.')[1])}")
    for s in HAND_SLOTS}   # "Left Hand", "Right Index 2": the panel's finger rows
_MIXAMO_FINGER = {"thumb": "Thumb", "index": "Index", "middle": "Middle", "ring": "Ring", "pinky": "Pinky"}
MIXAMO_HANDS = {f"hand.{s[0]}": f"{s}Hand" for s in ("Left", "Right")}
MIXAMO_HANDS.update({f"{_FINGER_PREFIX[f]}.{k:02d}.{s[0]}": f"{s}Hand{_MIXAMO_FINGER[f]}{k}"
                     for s in ("Left", "Right") for f in _FINGERS for k in (1, 2, 3)})
HAND_PATTERNS = {"hand": (r"^(hand|wrist)$",),
                 "thumb": (r"(^|_)thumb(_?finger)?_?0?{k}$",),
                 "index": (r"(^|_)(f_)?(index|pointer)(_?finger)?_?0?{k}$", r"(^|_)finger_?(index)_?0?{k}$"),
                 "middle": (r"(^|_)(f_)?(middle|mid)(_?finger)?_?0?{k}$", r"(^|_)finger_?(middle)_?0?{k}$"),
                 "ring": (r"(^|_)(f_)?ring(_?finger)?_?0?{k}$", r"(^|_)finger_?ring_?0?{k}$"),
                 "pinky": (r"(^|_)(f_)?(pinky|little|small)(_?finger)?_?0?{k}$", r"(^|_)finger_?(pinky|little)_?0?{k}$")}


def hand_map(bone_names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """(naming found, {hand slot: bone}) for a rig's finger bones: AmbiBlend/Rigify meta-rig
    names, Rigify's generated ``DEF-`` bones, Mixamo (any ``<prefix>:``), else the generic
    matcher; the naming that maps the most bones wins. Empty for a rig without hands."""
    present = set(bone_names)
    candidates = [("rigify", {s: s for s in HAND_SLOTS if s in present}),
                  ("rigify-def", {s: f"DEF-{s}" for s in HAND_SLOTS if f"DEF-{s}" in present})]
    for prefix in sorted({n.split(":")[0] + ":" for n in present if ":" in n}) + [""]:
        candidates.append(("mixamo", {s: prefix + b for s, b in MIXAMO_HANDS.items() if prefix + b in present}))
    candidates.append(("generic", generic_hand_map(bone_names)))
    kind, mapping = max(candidates, key=lambda c: len(c[1]))
    return (kind, mapping) if mapping else ("none", {})


def generic_hand_map(bone_names: Iterable[str]) -> dict[str, str]:
    """Name matcher for finger bones: side from L/R tokens, finger and number from patterns."""
    parsed = [(n, *_split_side(_normalise(n))) for n in bone_names]
    mapping: dict[str, str] = {}
    for slot in HAND_SLOTS:
        part, _, side = slot.rpartition(".")
        name, _, num = part.partition(".")
        finger = name.removeprefix("f_")
        patterns = HAND_PATTERNS[finger] if finger != "hand" else HAND_PATTERNS["hand"]
        for pattern in patterns:
            rx = pattern.replace("{k}", str(int(num))) if num else pattern
            hit = next((n for n, base, s in parsed if s == side and re.search(rx, base)
                        and n not in mapping.values()), None)
            if hit is not None:
                mapping[slot] = hit
                break
    return mapping


def hand_bone_targets(mapping: dict[str, str], sides: Iterable[str] = "LR") -> dict[str, BoneTarget]:
    """Hand slots of ``mapping`` on the given sides → the solver's {bone: BoneTarget}."""
    sides = set(sides)
    out = {}
    for slot, bone in mapping.items():
        if not bone or slot not in HAND_SLOT_TARGETS or slot[-1] not in sides:
            continue
        target = HAND_SLOT_TARGETS[slot]
        side = slot[-1]
        if slot.startswith("hand.") and not (mapping.get(f"f_index.01.{side}") and mapping.get(f"f_pinky.01.{side}")):
            # the palm's twist reference sits on the index and pinky bases: without both bones
            # the rig has no rest position for it, so the hand gets the swing alone
            target = BoneTarget(target.head, target.tail)
        out[bone] = target
    return out

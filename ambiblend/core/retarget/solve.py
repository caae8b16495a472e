"""THE retarget solver: target joint positions → pose-bone rotations of any armature.

Inputs, all in the armature's own space (Blender's ``bone.matrix_local`` frame):
  rest bones   ``RestBone(name, parent, matrix (4, 4) = bone.matrix_local, use_connect)``
  bone targets ``{bone name: BoneTarget(head, tail, side, anchor)}``: joint indices (or tuples of
               indices, averaged) into the per-frame joints; bones not in the dict are unmapped.
  joints       (T, J, 3) target positions, e.g. the 17 H36M joints scaled to the rig's size.

For each mapped bone, parents first, the solver finds the world rotation that

* swings the bone, from the orientation it would have with an identity local rotation (its
  parent's pose carried over), by the shortest arc that takes the rest-pose vector
  head-joint → tail-joint to the target vector. Shortest arc = no twist is invented, and
  the result does not depend on the rest pose (A/T) or on bone rolls;
* then, when ``side`` is given, twists it about the new bone direction so the rest-pose side
  vector (e.g. right hip → left hip for the hips) matches the target's, as far as both are well
  defined (faded out when the side vector is nearly parallel to the bone).

Rest positions of the joints are read from the rig itself: a joint sits at the head of the
first mapped bone that starts there, else at the tail of the first that ends there (of its last
piece for a bone split into ``.001`` segments). Unmapped bones between mapped ones (Rigify's
spine.002, clavicles) keep an identity local rotation and are carried rigidly. Top-level mapped
bones also get a location so their head follows their head joint (or, with ``anchor``, so an
anchor joint such as the hips' midpoint does). Optional ``ik_chains`` (thigh, shin) put the end
joint on its target with the rig's own limb lengths, lowering the root where a straight source
leg would be out of reach, so planted feet stay planted on rigs of other proportions.
Every frame is solved at once with numpy: cost ∝ bones, not bones × frames in Python.

Blender's pose convention used: ``pose.matrix = parent.pose_matrix @ parent.rest⁻¹ @ rest @
matrix_basis`` (inherit rotation on, no scale); ``matrix_basis`` = (rotation, location).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence, Union

import numpy as np

from ..errors import AmbiblendError
from ..geometry import matrix_to_quaternion, rotation_between

JointSpec = Union[int, Sequence[int]]

# Target side vectors closer than this (sine of the angle) to the bone axis give no twist; fully
# trusted above 2× this. Below it the direction of a measured side vector is mostly noise.
SIDE_MIN_SINE = 0.2
# The rig's rest pose is exact, so a slight rest bend (Rigify knees: ~10°) already defines the
# plane; only a straight rest limb (sine below this) has none and gets the swing alone.
REST_MIN_SINE = 0.02


@dataclass
class RestBone:
    """One bone of the target armature in its rest pose (armature space, the rig's units)."""
    name: str
    parent: str | None
    matrix: np.ndarray            # (4, 4) bone.matrix_local; columns 0..2 = bone axes, 3 = head
    length: float = 1.0           # bone.length (rest tail = head + length · Y axis)
    connected: bool = False       # bone.use_connect: Blender ignores its location channel


@dataclass
class BoneTarget:
    """Which joints drive a bone: it points from ``head`` to ``tail``; ``side`` (from, to) is an
    optional twist reference whose rest and target directions are matched about the bone."""
    head: JointSpec
    tail: JointSpec
    side: tuple[JointSpec, JointSpec] | None = None
    # Top-level bones only: place the bone so this joint (e.g. the hips' midpoint, carried by
    # the bone) lands on its target rather than ``head``; rigs differ most around the pelvis.
    anchor: JointSpec | None = None


@dataclass
class PoseSolution:
    """rotations: {bone: (T, 4) local quaternions (w, x, y, z), sign-continuous in time} for
    every mapped bone and every unmapped bone between them (identity). locations: {bone: (T, 3)}
    local locations of top-level mapped bones; ``root_bone`` / ``root_location`` is the first."""
    rotations: dict[str, np.ndarray]
    root_location: np.ndarray
    root_bone: str
    locations: dict[str, np.ndarray] = field(default_factory=dict)


def solve_pose(rest_bones: Sequence[RestBone], bone_targets: dict[str, BoneTarget],
               joints: np.ndarray, ik_chains: Sequence[tuple[str, str]] = ()) -> PoseSolution:
    """Solve local rotations and root location for all frames. See the module docstring.

    ik_chains: (upper, lower) mapped bone pairs, e.g. (thigh, shin), whose end joint must land
    on its target even when the rig's limb proportions differ from the source's: the middle
    joint is re-solved by two-bone IK with the rig's own segment lengths, in the target's bend
    plane. Without it, copying directions onto other proportions makes planted feet slide.
    """
    bones = {b.name: b for b in rest_bones}
    joints = _check(bones, bone_targets, joints).copy()   # IK chains write into the copy
    for upper, lower in ik_chains:
        if upper not in bone_targets or lower not in bone_targets:
            raise AmbiblendError(f"IK chain {upper} → {lower}: both bones must be mapped.")
    chain_of = dict(ik_chains)
    order = _needed_in_order(rest_bones, bones, bone_targets)
    rest_joints = rest_joint_positions(rest_bones, bone_targets)
    n = len(joints)
    pose_r: dict[str, np.ndarray] = {}
    pose_t: dict[str, np.ndarray] = {}
    rotations: dict[str, np.ndarray] = {}
    locations: dict[str, np.ndarray] = {}
    for name in order:
        b = bones[name]
        inh_r, inh_t = _inherited(b, bones, pose_r, pose_t, n)
        target = bone_targets.get(name)
        if target is None:
            pose_r[name], pose_t[name] = inh_r, inh_t
            rotations[name] = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
            continue
        head = inh_t
        world_r = None
        if not _has_mapped_ancestor(b, bones, bone_targets) and not b.connected:
            head = _joint(joints, target.head)
            if target.anchor is not None:   # the aim does not depend on the location
                world_r = _aim(b, target, inh_r, rest_joints, joints)
                rest = np.asarray(b.matrix, dtype=np.float64)
                offset = rest[:3, :3].T @ (_rest_point(rest_joints, target.anchor) - rest[:3, 3])
                head = _joint(joints, target.anchor) - world_r @ offset
                head = _lower_to_reach(head, world_r, b, bones, bone_targets, ik_chains,
                                       rest_joints, joints)
            locations[name] = np.einsum("tji,tj->ti", inh_r, head - inh_t)
        if name in chain_of:
            _reach(joints, head, target, bone_targets[chain_of[name]], rest_joints)
        if world_r is None:
            world_r = _aim(b, target, inh_r, rest_joints, joints)
        pose_r[name], pose_t[name] = world_r, head
        rotations[name] = _continuous(matrix_to_quaternion(np.swapaxes(inh_r, 1, 2) @ world_r))
    rotations = {k: v for k, v in rotations.items() if k in bone_targets or _between(k, bones, bone_targets)}
    if not locations:
        raise AmbiblendError("No mapped bone can carry the root motion (all are connected).")
    root = next(iter(locations))
    return PoseSolution(rotations=rotations, root_location=locations[root], root_bone=root,
                        locations=locations)


def rest_joint_positions(rest_bones: Sequence[RestBone],
                         bone_targets: dict[str, BoneTarget]) -> dict[tuple[int, ...], np.ndarray]:
    """{joint spec (as a tuple): rest position (3,)} read from the rig: the head of the first
    mapped bone starting at the joint, else the tail of the first mapped bone ending there."""
    heads: dict[tuple[int, ...], np.ndarray] = {}
    tails: dict[tuple[int, ...], np.ndarray] = {}
    by_name = {b.name: b for b in rest_bones}
    for b in rest_bones:
        t = bone_targets.get(b.name)
        if t is None:
            continue
        m = np.asarray(b.matrix, dtype=np.float64)
        heads.setdefault(_key(t.head), m[:3, 3].copy())
        end = by_name[_segment_end(b.name, rest_bones, bone_targets)]
        m = np.asarray(end.matrix, dtype=np.float64)
        tails.setdefault(_key(t.tail), m[:3, 3] + end.length * m[:3, 1] / np.linalg.norm(m[:3, 1]))
    return {**tails, **heads}


def _segment_end(name: str, rest_bones, bone_targets) -> str:
    """Last piece of a bone split into segments named ``<name>.001``, ``.002`` … (Rigify's
    DEF-forearm.L → DEF-forearm.L.001): the limb's joint is at its tail, not the first piece's."""
    while True:
        nxt = next((b.name for b in rest_bones if b.parent == name and b.name not in bone_targets
                    and re.fullmatch(re.escape(name.rsplit(".", 1)[0] if re.search(r"\.\d{3}$", name) else name)
                                     + r"\.\d{3}", b.name)), None)
        if nxt is None:
            return name
        name = nxt


def _reach(joints, head, upper: BoneTarget, lower: BoneTarget, rest_joints) -> None:
    """Two-bone IK in place: move the chain's joints so that, from the posed ``head`` (T, 3) with
    the rig's rest lengths, the end joint reaches its target (pulled back along head → target
    when out of reach, see ``_lower_to_reach``); the middle joint stays in the target's bend
    plane (the previous frame's plane while the target limb is straight)."""
    a, b, c = (_single(upper.head), _single(upper.tail), _single(lower.tail))
    l1 = np.linalg.norm(rest_joints[(b,)] - rest_joints[(a,)])
    l2 = np.linalg.norm(rest_joints[(c,)] - rest_joints[(b,)])
    to_end = joints[:, c] - head
    dist = np.linalg.norm(to_end, axis=-1)
    axis = to_end / np.maximum(dist, 1e-12)[:, None]
    reach = np.clip(dist, abs(l1 - l2) + 1e-9, l1 + l2 - 1e-9)
    pole = _perp(joints[:, b] - joints[:, a], axis)
    size = np.linalg.norm(pole, axis=-1)
    ok = size > 1e-4 * (l1 + l2)
    if not ok.any():   # straight all along: any plane will do
        pole, ok = _perp(np.cross(axis, [1.0, 0.0, 0.0]) + np.cross(axis, [0.0, 1.0, 0.0]), axis), np.ones_like(ok)
        size = np.linalg.norm(pole, axis=-1)
    last = np.maximum.accumulate(np.where(ok, np.arange(len(ok)), -1))
    last = np.where(last < 0, np.argmax(ok), last)   # before the first bent frame: use that one
    pole = _perp(pole[last] / size[last, None], axis)
    pole /= np.maximum(np.linalg.norm(pole, axis=-1, keepdims=True), 1e-12)
    x = (l1 ** 2 - l2 ** 2 + reach ** 2) / (2 * reach)
    h = np.sqrt(np.clip(l1 ** 2 - x ** 2, 0.0, None))
    joints[:, a] = head
    joints[:, b] = head + axis * x[:, None] + pole * h[:, None]
    joints[:, c] = head + axis * reach[:, None]


def _lower_to_reach(head, world_r, root: RestBone, bones, bone_targets, ik_chains, rest_joints,
                    joints) -> np.ndarray:
    """Move the root's posed head (T, 3) towards the feet, per frame, just enough that every IK
    chain carried rigidly by the root can reach its end target with the rig's lengths.

    Rigs differ from the lifted skeleton in hip width and leg proportions, so a straight source
    leg is often a few millimetres out of the rig's reach; clamping it would make a planted foot
    slide with the hips. Lowering the pelvis instead (as a person bends the knees) keeps it
    planted. Direction: from the hips towards the mean of the chains' end targets.
    """
    rest = np.asarray(root.matrix, dtype=np.float64)
    starts, ends, reach = [], [], []
    for upper, lower in ik_chains:
        b = bones[upper]
        while b.parent is not None and b.parent != root.name and b.parent not in bone_targets:
            b = bones[b.parent]
        if b.parent != root.name:
            continue   # not carried by the root (e.g. Rigify DEF thighs): placed on its own
        a, m, c = _single(bone_targets[upper].head), _single(bone_targets[upper].tail), _single(bone_targets[lower].tail)
        starts.append(head + world_r @ (rest[:3, :3].T @ (rest_joints[(a,)] - rest[:3, 3])))
        ends.append(joints[:, c])
        reach.append(np.linalg.norm(rest_joints[(m,)] - rest_joints[(a,)])
                     + np.linalg.norm(rest_joints[(c,)] - rest_joints[(m,)]) - 1e-9)
    if not starts:
        return head
    u = np.mean(ends, axis=0) - np.mean(starts, axis=0)
    u /= np.maximum(np.linalg.norm(u, axis=-1, keepdims=True), 1e-12)
    drop = np.zeros(len(head))
    for start, end, r in zip(starts, ends, reach):
        w = end - start
        wu = np.sum(w * u, axis=-1)
        disc = wu ** 2 - np.sum(w * w, axis=-1) + r ** 2   # |w − Δu| = r, smaller root
        need = np.where(disc >= 0, wu - np.sqrt(np.clip(disc, 0.0, None)), wu)
        drop = np.maximum(drop, need)
    return head + drop[:, None] * u


def _rest_point(rest_joints, spec: JointSpec) -> np.ndarray:
    """Rest position of a joint spec; a tuple of joints is the mean of their rest positions."""
    key = _key(spec)
    if key in rest_joints:
        return rest_joints[key]
    return np.mean([rest_joints[(j,)] for j in key], axis=0)


def _single(spec: JointSpec) -> int:
    key = _key(spec)
    if len(key) != 1:
        raise AmbiblendError("IK chains need single joints, not averaged ones.")
    return key[0]


def _check(bones, bone_targets, joints) -> np.ndarray:
    missing = [n for n in bone_targets if n not in bones]
    if missing:
        raise AmbiblendError(f"Mapped bones not in the armature: {', '.join(missing)}.")
    if not bone_targets:
        raise AmbiblendError("No bone is mapped; nothing to retarget.")
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3 or len(joints) == 0:
        raise AmbiblendError(f"Expected target joints of shape (T, J, 3) with T > 0, got {joints.shape}.")
    if not np.isfinite(joints).all():
        raise AmbiblendError("Target joints contain NaN or infinite values; clean the motion first.")
    return joints


def _needed_in_order(rest_bones, bones, bone_targets) -> list[str]:
    """Mapped bones, all their ancestors and the further segments of split mapped bones
    (see ``_segment_end``), parents before children."""
    needed = set()
    for name in bone_targets:
        end = _segment_end(name, rest_bones, bone_targets)
        while end != name:
            needed.add(end)
            end = bones[end].parent
        while name is not None and name not in needed:
            needed.add(name)
            name = bones[name].parent
    order, done = [], set()

    def visit(name):
        if name in done:
            return
        parent = bones[name].parent
        if parent is not None:
            visit(parent)
        done.add(name)
        order.append(name)
    for b in rest_bones:
        if b.name in needed:
            visit(b.name)
    return order


def _inherited(b, bones, pose_r, pose_t, n):
    """World (armature-space) rotation (T, 3, 3) and head (T, 3) of bone b with an identity
    local transform: parent pose @ parent rest⁻¹ @ rest."""
    rest = np.asarray(b.matrix, dtype=np.float64)
    if b.parent is None:
        return np.broadcast_to(rest[:3, :3], (n, 3, 3)), np.broadcast_to(rest[:3, 3], (n, 3))
    prest = np.asarray(bones[b.parent].matrix, dtype=np.float64)
    rel = np.linalg.inv(prest) @ rest
    r = pose_r[b.parent] @ rel[:3, :3]
    t = pose_t[b.parent] + np.einsum("tij,j->ti", pose_r[b.parent], rel[:3, 3])
    return r, t


def _aim(b, target, inh_r, rest_joints, joints):
    """World rotation (T, 3, 3): shortest-arc swing from inh_r onto the target direction,
    then the side-vector twist (see module docstring)."""
    rest_r = np.asarray(b.matrix, dtype=np.float64)[:3, :3]
    v_loc = rest_r.T @ (rest_joints[_key(target.tail)] - rest_joints[_key(target.head)])
    current = inh_r @ v_loc
    d = _joint(joints, target.tail) - _joint(joints, target.head)
    # A zero-length target bone has no direction: keep the inherited one.
    d = np.where(np.linalg.norm(d, axis=-1, keepdims=True) > 1e-9, d, current)
    world_r = rotation_between(current, d) @ inh_r
    if target.side is None:
        return world_r
    s_loc = rest_r.T @ (rest_joints[_key(target.side[1])] - rest_joints[_key(target.side[0])])
    if _sine(s_loc, v_loc) < REST_MIN_SINE:
        return world_r
    q = _joint(joints, target.side[1]) - _joint(joints, target.side[0])
    axis = d / np.linalg.norm(d, axis=-1, keepdims=True)
    p = _perp(world_r @ s_loc, axis)
    q_perp = _perp(q, axis)
    angle = np.arctan2(np.sum(axis * np.cross(p, q_perp), axis=-1), np.sum(p * q_perp, axis=-1))
    sine = np.linalg.norm(q_perp, axis=-1) / np.maximum(np.linalg.norm(q, axis=-1), 1e-12)
    weight = np.clip((sine - SIDE_MIN_SINE) / SIDE_MIN_SINE, 0.0, 1.0)
    return axis_angle_matrices(axis, weight * angle) @ world_r


def axis_angle_matrices(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues for unit axes (T, 3) and angles (T,) → (T, 3, 3)."""
    k = np.zeros(axis.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -axis[..., 2], axis[..., 1], -axis[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = axis[..., 2], -axis[..., 1], axis[..., 0]
    s, c = np.sin(angle)[..., None, None], np.cos(angle)[..., None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def _continuous(q: np.ndarray) -> np.ndarray:
    """Sign-continuous quaternions along time, vectorised: flipping q[t] flips the sign of both
    dot products it takes part in, so the flips are the running parity of negative dots."""
    neg = np.sum(q[1:] * q[:-1], axis=-1) < 0
    flip = np.concatenate([[False], np.logical_xor.accumulate(neg)])
    return np.where(flip[:, None], -q, q)


def _has_mapped_ancestor(b, bones, bone_targets) -> bool:
    p = b.parent
    while p is not None:
        if p in bone_targets:
            return True
        p = bones[p].parent
    return False


def _between(name, bones, bone_targets) -> bool:
    """True for an unmapped bone with a mapped ancestor (it sits between mapped bones)."""
    return _has_mapped_ancestor(bones[name], bones, bone_targets)


def _key(spec: JointSpec) -> tuple[int, ...]:
    return (int(spec),) if np.isscalar(spec) else tuple(int(i) for i in spec)


def _joint(joints: np.ndarray, spec: JointSpec) -> np.ndarray:
    """(T, J, 3), spec → (T, 3): one joint or the mean of several."""
    return joints[:, list(_key(spec))].mean(axis=1)


def _perp(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return v - np.sum(v * axis, axis=-1, keepdims=True) * axis


def _sine(v: np.ndarray, axis: np.ndarray) -> float:
    a = axis / np.linalg.norm(axis)
    return float(np.linalg.norm(_perp(v, a)) / max(np.linalg.norm(v), 1e-12))

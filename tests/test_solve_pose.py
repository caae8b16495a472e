"""The retarget solver on armatures built in numpy: positions reproduced, no invented twist,
A-pose/T-pose and bone rolls, chains with unmapped bones, bad input. Forward kinematics in this
file is written independently of the solver (Blender's pose-matrix formula)."""
import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.geometry import rotation_about_axis
from ambiblend.core.retarget.mapping import MIXAMO, bone_targets
from ambiblend.core.retarget.solve import BoneTarget, RestBone, solve_pose
from ambiblend.core.skeleton import PARENTS
from rig_specs import mixamo_spec

RNG = np.random.default_rng(0)


def bone_matrix(head, tail, roll=0.0):
    """matrix_local of a bone from head, tail and a roll (rad) about its Y axis."""
    y = np.asarray(tail, float) - head
    y /= np.linalg.norm(y)
    ref = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.array([0.0, -1.0, 0.0])
    x = np.cross(y, ref)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    r = np.stack([x, y, z], axis=1) @ rotation_about_axis([0, 1, 0], roll)
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = r, head
    return m


def make_rig(spec, rolls=0.0):
    """spec: [(name, parent, head, tail)] → [RestBone]; rolls: one angle or random scale."""
    out = []
    for name, parent, head, tail in spec:
        roll = RNG.uniform(-np.pi, np.pi) if rolls == "random" else rolls
        out.append(RestBone(name, parent, bone_matrix(np.array(head, float), tail, roll),
                            float(np.linalg.norm(np.subtract(tail, head)))))
    return out


def fk(rest, local_q, locations):
    """Posed armature-space matrices {bone: (T, 4, 4)} (Blender's formula, written out)."""
    bones = {b.name: b for b in rest}
    n = len(next(iter(local_q.values())))
    posed = {}
    for b in rest:
        basis = np.tile(np.eye(4), (n, 1, 1))
        if b.name in local_q:
            basis[:, :3, :3] = quat_to_matrix(local_q[b.name])
        if b.name in locations:
            basis[:, :3, 3] = locations[b.name]
        if b.parent is None:
            posed[b.name] = b.matrix @ basis
        else:
            posed[b.name] = posed[b.parent] @ np.linalg.inv(bones[b.parent].matrix) @ b.matrix @ basis
    return posed


def quat_to_matrix(q):
    w, x, y, z = np.moveaxis(np.asarray(q), -1, 0)
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                     np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                     np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)


def joints_of(rest, posed, targets):
    """17 joint positions (T, 17, 3) read off posed bones: head of the first mapped bone starting
    at the joint, else the tail of the first ending there."""
    out = {}
    for kind in ("head", "tail"):
        for b in rest:
            t = targets.get(b.name)
            if t is None or getattr(t, kind) in out:
                continue
            m = posed[b.name]
            p = m[:, :3, 3] if kind == "head" else m[:, :3, 3] + b.length * m[:, :3, 1]
            out.setdefault(getattr(t, kind), p)
    return np.stack([out[j] for j in range(17)], axis=1)


def random_quats(n, max_angle):
    axis = RNG.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    ang = RNG.uniform(-max_angle, max_angle, n)
    return np.concatenate([np.cos(ang / 2)[:, None], np.sin(ang / 2)[:, None] * axis], axis=1)


def random_pose(rest, names, n=50, max_angle=1.2):
    q = {name: random_quats(n, max_angle) for name in names}
    return q, {rest[0].name: RNG.normal(scale=0.3, size=(n, 3))}


def test_our_armature_reproduces_joint_positions():
    """Bones pointing parent→child joint, as AmbiBlend's own armature: exact within 1e-9."""
    rest_j = np.array([[0, 0, 1], [-.1, 0, 1], [-.1, 0, .55], [-.1, 0, .1], [.1, 0, 1], [.1, 0, .55],
                       [.1, 0, .1], [0, 0, 1.25], [0, 0, 1.5], [0, -.02, 1.6], [0, 0, 1.75], [.18, 0, 1.45],
                       [.45, 0, 1.45], [.7, 0, 1.45], [-.18, 0, 1.45], [-.45, 0, 1.45], [-.7, 0, 1.45]])
    names = ["root"] + [f"b{c}" for c in range(1, 17)]
    spec = [("root", None, rest_j[0], rest_j[0] + [0, 0, 0.1])]
    spec += [(f"b{c}", "root" if PARENTS[c] == 0 else f"b{PARENTS[c]}", rest_j[PARENTS[c]], rest_j[c])
             for c in range(1, 17)]
    rest = make_rig(spec, rolls="random")
    targets = {"root": BoneTarget(0, 7, (1, 4)), **{f"b{c}": BoneTarget(PARENTS[c], c) for c in range(1, 17)}}
    q, loc = random_pose(rest, names)
    want = joints_of(rest, fk(rest, q, loc), targets)
    sol = solve_pose(rest, targets, want)
    got = joints_of(rest, fk(rest, sol.rotations, sol.locations), targets)
    assert sol.root_bone == "root"
    assert np.abs(got - want).max() < 1e-9


@pytest.mark.parametrize("arm_drop", [0.0, 45.0])
def test_mixamo_rig_t_and_a_pose_random_rolls(arm_drop):
    """T-pose target motion onto a T-pose and an A-pose rig with random bone rolls and unmapped
    bones in between (Spine1/2, shoulders): joint positions within 1e-6 m."""
    t_rest = make_rig(mixamo_spec(0.0))
    targets = bone_targets(MIXAMO)
    q, loc = random_pose(t_rest, list(MIXAMO.values()))
    want = joints_of(t_rest, fk(t_rest, q, loc), targets)

    rest = make_rig(mixamo_spec(arm_drop), rolls="random")
    sol = solve_pose(rest, targets, want)
    got = joints_of(rest, fk(rest, sol.rotations, sol.locations), targets)
    assert np.abs(got - want).max() < 1e-6
    assert {"Spine1", "Spine2", "LeftShoulder"} <= set(sol.rotations)
    assert np.allclose(sol.rotations["Spine1"], [1, 0, 0, 0])
    # Forearms of straight-armed rigs get a pure swing: no twist about their own Y axis.
    for side in ("Left", "Right"):
        assert np.abs(sol.rotations[f"{side}ForeArm"][:, 2]).max() < 1e-9


def test_bent_elbow_rest_hinge_motion_recovered_exactly():
    """Rig with bent elbows/knees at rest; elbows and knees only hinge (about the normal of their
    rest bend plane, further the way they bend at rest) by 40°..85°, all else random: the side references recover the exact
    rotations of every bone, i.e. no limb twist is invented or lost."""
    spec = []
    for n, p, h, t in mixamo_spec(30.0):  # move elbows and knees back by 4 cm
        h, t = np.array(h, float), np.array(t, float)
        if n.endswith(("Arm", "UpLeg")) and not n.endswith("ForeArm"):
            t = t + [0, 0.04, 0]
        if n.endswith(("ForeArm", "Leg")) and not n.endswith("UpLeg"):
            h = h + [0, 0.04, 0]
        spec.append((n, p, h, t))
    rest = make_rig(spec, rolls="random")
    by = {b.name: b for b in rest}
    targets = bone_targets(MIXAMO)
    q, loc = random_pose(rest, list(MIXAMO.values()), max_angle=0.8)
    for upper, lower in (("LeftArm", "LeftForeArm"), ("RightArm", "RightForeArm"),
                         ("LeftUpLeg", "LeftLeg"), ("RightUpLeg", "RightLeg")):
        normal = np.cross(by[upper].matrix[:3, 1], by[lower].matrix[:3, 1])
        axis = by[lower].matrix[:3, :3].T @ (normal / np.linalg.norm(normal))
        ang = RNG.uniform(0.7, 1.5, len(loc["Hips"]))
        q[lower] = np.concatenate([np.cos(ang / 2)[:, None], np.sin(ang / 2)[:, None] * axis], 1)
    want = joints_of(rest, fk(rest, q, loc), targets)
    sol = solve_pose(rest, targets, want)
    for name in set(MIXAMO.values()) - {"Neck", "Head"}:  # their twist is not in 17 joints
        err = np.abs(np.abs(np.sum(sol.rotations[name] * q[name], axis=1)) - 1).max()
        assert err < 1e-9, name
    got = joints_of(rest, fk(rest, sol.rotations, sol.locations), targets)
    assert np.abs(got - want).max() < 1e-6


def test_quaternions_are_sign_continuous():
    rest = make_rig(mixamo_spec())
    targets = bone_targets(MIXAMO)
    t = np.linspace(0, 4 * np.pi, 200)
    ang = np.stack([np.cos(t / 2), np.zeros_like(t), np.zeros_like(t), np.sin(t / 2)], 1)  # full turns
    q = {n: np.tile([1.0, 0, 0, 0], (200, 1)) for n in MIXAMO.values()}
    q["Hips"] = ang
    want = joints_of(rest, fk(rest, q, {"Hips": np.zeros((200, 3))}), targets)
    sol = solve_pose(rest, targets, want)
    dots = np.sum(sol.rotations["Hips"][1:] * sol.rotations["Hips"][:-1], axis=1)
    assert dots.min() > 0.99


def test_bad_input_is_reported():
    rest = make_rig(mixamo_spec())
    targets = bone_targets(MIXAMO)
    joints = np.zeros((3, 17, 3))
    with pytest.raises(AmbiblendError, match="not in the armature: Tail"):
        solve_pose(rest, {**targets, "Tail": BoneTarget(0, 1)}, joints)
    joints[1, 3] = np.nan
    with pytest.raises(AmbiblendError, match="NaN"):
        solve_pose(rest, targets, joints)
    with pytest.raises(AmbiblendError, match="shape"):
        solve_pose(rest, targets, np.zeros((0, 17, 3)))


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_conversion_round_trip(order):
    """Quaternions → Euler (Blender's convention, order's first axis applied first) → matrices
    equal; a slowly spinning bone gives channels without 2π jumps."""
    from ambiblend.core.retarget.euler import euler_to_matrix, quaternion_to_euler, quaternion_to_matrix
    q = random_quats(200, np.pi)
    e = quaternion_to_euler(q, order)
    assert np.abs(euler_to_matrix(e, order) - quaternion_to_matrix(q)).max() < 1e-9
    t = np.linspace(0, 6 * np.pi, 300)
    spin = np.stack([np.cos(t / 2), 0.3 * np.sin(t / 2), 0.2 * np.sin(t / 2), 0.9 * np.sin(t / 2)], 1)
    spin /= np.linalg.norm(spin, axis=1, keepdims=True)
    # steps of 0.063 rad per frame; near gimbal lock a channel may move faster, never by ~π or 2π
    assert np.abs(np.diff(quaternion_to_euler(spin, order), axis=0)).max() < 1.0
    # Blender's own composition for "XYZ": Rz @ Ry @ Rx.
    if order == "XYZ":
        a = np.array([[0.3, -0.4, 1.1]])
        want = rotation_about_axis([0, 0, 1], 1.1) @ rotation_about_axis([0, 1, 0], -0.4) @ rotation_about_axis([1, 0, 0], 0.3)
        assert np.allclose(euler_to_matrix(a, order)[0], want)


def test_leg_ik_puts_feet_on_target_with_other_proportions():
    """Target motion from a rig with long thighs and short shins onto the standard rig: copying
    directions misses the ankles by centimetres; with the leg IK chains they land within 1e-9
    (and the knees stay in the target's bend plane)."""
    from ambiblend.core.retarget.mapping import ik_chains
    spec = []
    for n, p, h, t in mixamo_spec():
        h, t = np.array(h, float), np.array(t, float)
        if n.endswith("UpLeg"):
            t = t + [0, 0, -0.08]
        if n.endswith("Leg") and not n.endswith("UpLeg"):
            h = h + [0, 0, -0.08]
        spec.append((n, p, h, t))
    source_rig = make_rig(spec)
    targets = bone_targets(MIXAMO)
    q, loc = random_pose(source_rig, list(MIXAMO.values()), max_angle=0.6)
    want = joints_of(source_rig, fk(source_rig, q, loc), targets)
    rest = make_rig(mixamo_spec(), rolls="random")
    plain = solve_pose(rest, targets, want)
    ik = solve_pose(rest, targets, want, ik_chains(MIXAMO))
    miss = lambda sol: np.abs(joints_of(rest, fk(rest, sol.rotations, sol.locations), targets)[:, [3, 6]]
                              - want[:, [3, 6]]).max()
    assert miss(plain) > 0.01
    assert miss(ik) < 1e-9
    got = joints_of(rest, fk(rest, ik.rotations, ik.locations), targets)
    for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):   # knee on the target's side of hip→ankle
        axis = want[:, ankle] - want[:, hip]
        n_want = np.cross(axis, want[:, knee] - want[:, hip])
        n_got = np.cross(axis, got[:, knee] - got[:, hip])
        assert (np.sum(n_want * n_got, axis=1) > 0).all()


def test_pelvis_lowered_so_straight_legs_reach_planted_feet():
    """Source with wider hips standing on straight legs: on the narrower rig the feet are out of
    reach by a few millimetres; the root is lowered just enough (< 1 cm) and the ankles land
    exactly, instead of sliding with the hips."""
    from ambiblend.core.retarget.mapping import SLOT_TARGETS, ik_chains
    wide = [(n, p, (np.array(h) * [1.4, 1, 1]) if "UpLeg" in n or n.endswith("Leg") else h,
             (np.array(t) * [1.4, 1, 1]) if "UpLeg" in n or n.endswith("Leg") else t)
            for n, p, h, t in mixamo_spec()]
    source_rig = make_rig(wide)
    mapping = {s: b for s, b in MIXAMO.items()}
    targets = {b: SLOT_TARGETS[s] for s, b in mapping.items()}
    n = 40
    q = {b: np.tile([1.0, 0, 0, 0], (n, 1)) for b in MIXAMO.values()}
    yaw = np.linspace(-0.3, 0.3, n)
    q["Hips"] = np.stack([np.cos(yaw / 2), 0 * yaw, np.sin(yaw / 2), 0 * yaw], 1)  # about the bone's Y (up)
    want = joints_of(source_rig, fk(source_rig, q, {"Hips": np.zeros((n, 3))}), targets)
    rest = make_rig(mixamo_spec(), rolls="random")
    sol = solve_pose(rest, targets, want, ik_chains(mapping))
    got = joints_of(rest, fk(rest, sol.rotations, sol.locations), targets)
    assert np.abs(got[:, [3, 6]] - want[:, [3, 6]]).max() < 1e-6
    drop = want[:, 0, 2] - got[:, 0, 2]
    assert 0 < drop.max() < 0.01

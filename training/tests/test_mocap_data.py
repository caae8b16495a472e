"""Virtual cameras, bone-length variation, detector-like noise and the split of prepare_mocap."""
import json

import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import BONES, JOINT_INDEX, JOINTS, bone_lengths, bone_vectors
from ambiblend.core.lift.model import project
from training.data.mocap import (FOCAL_MM, FRAME_SHORT_MM, detector_like, look_at,
                                 place_camera, random_camera, eval_cameras, vary_bones,
                                 PROPORTIONS, _BONE_GROUPS)
from training.data.sequences import SequenceSet
from training import prepare_mocap

J = JOINT_INDEX


def standing_person(frames: int = 20, facing=(0.0, 0.0, 1.0)) -> np.ndarray:
    """(F, 17, 3) Y-up metres: a T-ish standing skeleton facing ``facing`` (horizontal)."""
    fwd = np.asarray(facing, float) / np.linalg.norm(facing)
    left = np.cross([0.0, 1.0, 0.0], fwd)
    up = np.array([0.0, 1.0, 0.0])
    pts = {
        "pelvis": 0.95 * up, "right_hip": 0.95 * up - 0.1 * left, "right_knee": 0.5 * up - 0.1 * left,
        "right_ankle": 0.1 * up - 0.1 * left, "left_hip": 0.95 * up + 0.1 * left,
        "left_knee": 0.5 * up + 0.1 * left, "left_ankle": 0.1 * up + 0.1 * left,
        "spine": 1.2 * up, "thorax": 1.4 * up, "neck": 1.5 * up, "head": 1.7 * up,
        "left_shoulder": 1.4 * up + 0.2 * left, "left_elbow": 1.15 * up + 0.25 * left,
        "left_wrist": 0.9 * up + 0.25 * left, "right_shoulder": 1.4 * up - 0.2 * left,
        "right_elbow": 1.15 * up - 0.25 * left, "right_wrist": 0.9 * up - 0.25 * left,
    }
    one = np.stack([pts[n] for n in sorted(pts, key=J.get)])
    walk = np.linspace(0, 1, frames)[:, None, None] * fwd  # walks 1 m forward
    return one[None] + walk


def test_look_at_is_a_proper_rotation_with_y_down():
    r = look_at(np.array([0.0, 1.0, 5.0]), np.array([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert abs(np.linalg.det(r) - 1) < 1e-12
    np.testing.assert_allclose(r[2], [0, 0, -1], atol=1e-12)  # looks along −Z
    np.testing.assert_allclose(r[1], [0, -1, 0], atol=1e-12)  # camera y = world down


def test_front_view_shows_subject_upright_and_mirrored():
    body = standing_person()
    cam = place_camera(body, azimuth_deg=0.0, elevation_deg=0.0, fill=0.6, focal_mm=FOCAL_MM["phone"])
    cam3d = cam.to_camera(body)
    xy = project(cam3d)
    assert (cam3d[..., 2] > 1.0).all()  # in front of the camera all clip long
    assert (xy[:, J["head"], 1] < xy[:, J["pelvis"], 1]).all()  # y down: head above pelvis
    assert (xy[:, J["left_hip"], 0] > xy[:, J["right_hip"], 0]).all()  # facing us: left on image right
    # Framing: where the subject comes nearest, the body (1.6 m + 0.08 m sole allowance) fills
    # 60 % of the frame's short side; further away it is smaller (the camera is static).
    height_img = np.ptp(xy[..., 1], axis=1) * FOCAL_MM["phone"] / FRAME_SHORT_MM
    assert abs(height_img.max() - 0.6 * 1.6 / 1.68) < 0.01 and height_img.min() > 0.4
    # Exact 2D: unit-focal projection of the stored 3D.
    np.testing.assert_allclose(xy, cam3d[..., :2] / cam3d[..., 2:], atol=1e-12)


def test_side_and_elevated_views():
    body = standing_person(facing=(1.0, 0.0, 0.0))
    side = place_camera(body, 90.0, 0.0, 0.6, 30.0).to_camera(body)
    # At the subject's left side: the left hip is nearer the camera than the right hip.
    assert (side[:, J["left_hip"], 2] < side[:, J["right_hip"], 2]).all()
    high = place_camera(body, 0.0, 30.0, 0.6, 30.0)
    assert high.centre[1] > body[:, J["head"], 1].max()  # above the head, looking down
    assert abs(high.elevation_deg - 30.0) < 1e-12


def test_eval_cameras_are_deterministic_and_random_cameras_cover_the_ranges():
    body = standing_person()
    a = eval_cameras(body, np.random.default_rng(7))
    b = eval_cameras(body, np.random.default_rng(7))
    assert len(a) == 4
    for ca, cb in zip(a, b):
        np.testing.assert_array_equal(ca.rotation, cb.rotation)
    rng = np.random.default_rng(0)
    cams = [random_camera(body, rng) for _ in range(300)]
    az = np.array([c.azimuth_deg for c in cams])
    el = np.array([c.elevation_deg for c in cams])
    assert az.min() < -150 and az.max() > 150 and el.min() >= -10 and el.max() <= 30
    assert {c.focal_mm for c in cams} == set(FOCAL_MM.values())


def test_vary_bones_keeps_directions_and_symmetry_within_ten_percent():
    body = standing_person()
    varied = vary_bones(body, np.random.default_rng(3))
    ratio = bone_lengths(varied) / bone_lengths(body)
    assert (ratio >= 0.9 - 1e-9).all() and (ratio <= 1.1 + 1e-9).all() and ratio.std() > 0.01
    np.testing.assert_allclose(ratio[:, J["left_knee"] - 1], ratio[:, J["right_knee"] - 1], atol=1e-12)
    np.testing.assert_allclose(ratio, ratio[:1].repeat(len(ratio), 0), atol=1e-12)  # per sequence
    u = bone_vectors(body) / bone_lengths(body)[..., None]
    v = bone_vectors(varied) / bone_lengths(varied)[..., None]
    np.testing.assert_allclose(u, v, atol=1e-12)
    np.testing.assert_allclose(varied[:, 0], body[:, 0], atol=1e-12)


@pytest.mark.parametrize("preset", ["wide", "varied"])
def test_wide_proportions_widen_shoulders_and_hips_only_within_their_ranges(preset):
    body = standing_person()
    rng = np.random.default_rng(5)
    names = [JOINTS[c] for c, _ in BONES]          # the joint each bone ends at
    ratios = np.array([bone_lengths(vary_bones(body, rng, preset))[0] / bone_lengths(body)[0]
                       for _ in range(400)])
    for group, (lo, hi) in PROPORTIONS[preset].items():
        cols = [names.index(n) for n in _BONE_GROUPS[group]]
        r = ratios[:, cols]
        assert (r >= lo - 1e-9).all() and (r <= hi + 1e-9).all(), group
        assert r.max() - r.min() > 0.8 * (hi - lo), group         # the whole range is drawn
    shoulders = ratios[:, names.index("left_shoulder")]
    assert shoulders.mean() > 1.4 and ratios[:, names.index("left_knee")].mean() < 1.05
    if preset == "varied":  # child-like bodies: a head up to 1.8× and legs 0.85–1.15× the mocap's
        assert ratios[:, names.index("head")].max() > 1.7 and ratios[:, names.index("left_knee")].min() < 0.87


def test_detector_like_noise_matches_its_documented_model():
    body = standing_person(frames=4000)
    xy = project(place_camera(body, 30.0, 10.0, 0.6, 26.0).to_camera(body))
    noisy, conf = detector_like(xy, np.random.default_rng(0))
    assert noisy.shape == xy.shape and np.isfinite(noisy).all()
    bbox = np.ptp(xy[..., 1], axis=1).mean()
    err = (noisy - xy)[conf > 0]
    # Non-extremity joints, no swaps: σ = 1.5 % of the bbox height (within 10 %).
    pelvis = (noisy - xy)[:, J["pelvis"]][conf[:, J["pelvis"]] > 0]
    assert abs(pelvis.std() / bbox - 0.015) < 0.0015
    assert 0.005 < 1 - conf.mean() < 0.05  # about 0.5 %·5.5 frames of joints dropped
    assert np.abs(err).max() < 0.5 * bbox
    # Dropped joints are interpolated between their neighbours (linear in time).
    t, j = np.argwhere((conf[1:-1] == 0) & (conf[:-2] > 0) & (conf[2:] > 0))[0] + (1, 0)
    np.testing.assert_allclose(noisy[t, j], 0.5 * (noisy[t - 1, j] + noisy[t + 1, j]), atol=1e-9)


STYLES = {"Bandai-Namco-Research-Motiondataset-1": ["dataset-1_normal", "dataset-1_old", "dataset-1_tired"],
          "Bandai-Namco-Research-Motiondataset-2": ["dataset-2_normal", "dataset-2_elderly", "dataset-2_exhausted"]}


def _fake_dataset(root, clips_per_label: int = 1):
    """Two dataset folders in the published layout with tiny Bandai-like clips: every content
    in every style (normal, a test style, a validation style)."""
    from test_mocap_bvh import _bandai_like_bvh
    for ds, contents in (("Bandai-Namco-Research-Motiondataset-1", ["dataset-1_walk", "dataset-1_kick", "dataset-1_punch"]),
                         ("Bandai-Namco-Research-Motiondataset-2", ["dataset-2_walk", "dataset-2_run",
                                                                    "dataset-2_wave-left-hand"])):
        (root / ds / "cfg").mkdir(parents=True)
        (root / ds / "data").mkdir()
        (root / ds / "cfg" / "content_label.txt").write_text("\n".join(contents) + "\n")
        (root / ds / "cfg" / "style_label.txt").write_text("\n".join(STYLES[ds]) + "\n")
        for c, label in enumerate(contents):
            for st, style in enumerate(STYLES[ds]):
                for k in range(clips_per_label):
                    stem = f"{label}_{style.split('_', 1)[1]}_{k:03d}"
                    (root / ds / "data" / f"{stem}.bvh").write_text(_bandai_like_bvh(frames=12))
                    (root / ds / "data" / f"{stem}.json").write_text(json.dumps({"content": c, "style": st}))


def _clip_labels(name: str) -> tuple[str, str]:
    """(content, style) from a sequence name 'dataset-N_content_style_id/vK'."""
    _, content, style, _ = name.split("/")[0].split("_")
    return content, style


def test_prepare_writes_the_split_deterministically(tmp_path):
    _fake_dataset(tmp_path / "data")
    for run in ("a", "b"):
        assert prepare_mocap.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / run),
                                   "--train-views", "2"]) == 0
    test = SequenceSet.load(tmp_path / "a" / "test.npz")
    assert "kick" in set(test.groups)  # held-out content type only in test
    for name in ("train", "val", "val_detector", "test", "test_detector"):
        s = SequenceSet.load(tmp_path / "a" / f"{name}.npz")
        assert s.fps == 15.0 and (s.lengths == 6).all()
        assert (s.poses_3d is None) == (name == "train")  # 3D never in training data
        np.testing.assert_array_equal(s.poses_2d, SequenceSet.load(tmp_path / "b" / f"{name}.npz").poses_2d)
        assert list(s.names) == list(SequenceSet.load(tmp_path / "b" / f"{name}.npz").names)
    train = SequenceSet.load(tmp_path / "a" / "train.npz")
    assert "kick" not in set(train.groups)
    clips = lambda s: {n.split("/")[0] for n in s.names}
    assert not clips(train) & clips(test)


def test_group_split_never_trains_a_held_out_content_or_style(tmp_path):
    _fake_dataset(tmp_path / "data")
    assert prepare_mocap.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "o"),
                               "--train-views", "1"]) == 0
    load = lambda n: SequenceSet.load(tmp_path / "o" / f"{n}.npz")
    train, val, test = load("train"), load("val"), load("test")
    held_c = set(prepare_mocap.TEST_CONTENTS + prepare_mocap.VAL_CONTENTS)
    held_s = set(prepare_mocap.TEST_STYLES + prepare_mocap.VAL_STYLES)
    train_labels = {_clip_labels(n) for n in train.names}
    # Training: only walk/run in the normal style, every one of them (nothing else is lost).
    assert train_labels == {("walk", "normal"), ("run", "normal")}
    assert not {c for c, _ in train_labels} & held_c and not {s for _, s in train_labels} & held_s
    # Test: every clip with a test content or a test style, whatever its other label.
    test_labels = {_clip_labels(n) for n in test.names}
    assert {("kick", "normal"), ("kick", "tired"), ("wave-left-hand", "exhausted"),
            ("walk", "old"), ("walk", "elderly"), ("punch", "old")} <= test_labels
    assert all(c in prepare_mocap.TEST_CONTENTS or s in prepare_mocap.TEST_STYLES for c, s in test_labels)
    # Validation: the rest of the held-out groups; a clip is in exactly one split.
    val_labels = {_clip_labels(n) for n in val.names}
    assert {("punch", "normal"), ("walk", "tired"), ("run", "exhausted")} <= val_labels
    assert not val_labels & test_labels and not train_labels & (val_labels | test_labels)
    stems = [{n.split("/")[0] for n in d.names} for d in (train, val, test)]
    assert sum(map(len, stems)) == len(set.union(*stems)) == 18  # all 2 × 3 × 3 clips, once each


def test_legacy_split_is_the_old_hash_split():
    # The split every model before issue 11 was scored on: held-out contents, then the hash.
    assert prepare_mocap.split_of("dataset-1_kick_normal_001", "kick", split="legacy") == "test"
    assert prepare_mocap.split_of("dataset-1_punch_old_001", "punch", split="legacy") == "val"
    names = [f"dataset-2_walk_normal_{k:03d}" for k in range(400)]
    got = [prepare_mocap.split_of(n, "walk", "elderly", split="legacy") for n in names]
    assert 0.7 < got.count("train") / 400 < 0.9 and got.count("val") and got.count("test")
    # Style plays no part in it; in the group split an elderly walk is always test.
    assert got == [prepare_mocap.split_of(n, "walk", "normal", split="legacy") for n in names]
    assert {prepare_mocap.split_of(n, "walk", "elderly") for n in names} == {"test"}
    with pytest.raises(AmbiblendError, match="Unknown split"):
        prepare_mocap.split_of("x", "walk", split="hash")


def test_train_detector_fraction_changes_only_training_views(tmp_path):
    _fake_dataset(tmp_path / "data")
    for run, frac in (("exact", "0"), ("det", "1")):
        assert prepare_mocap.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / run),
                                   "--train-views", "1", "--train-detector", frac]) == 0
    exact, det = (SequenceSet.load(tmp_path / r / "train.npz") for r in ("exact", "det"))
    diff = np.abs(det.poses_2d - exact.poses_2d)
    bbox = np.ptp(exact.poses_2d[..., 1], axis=1).mean()
    assert 0.005 * bbox < np.median(diff) < 0.03 * bbox  # noise of ~1.5 % of the body height
    for name in ("val", "test", "test_detector"):
        np.testing.assert_array_equal(SequenceSet.load(tmp_path / "exact" / f"{name}.npz").poses_2d,
                                      SequenceSet.load(tmp_path / "det" / f"{name}.npz").poses_2d)
    with pytest.raises(AmbiblendError, match="fraction"):
        prepare_mocap.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "x"),
                            "--train-detector", "1.5"])


def test_prepare_rejects_a_missing_dataset(tmp_path):
    with pytest.raises(AmbiblendError, match="Dataset folder not found"):
        prepare_mocap.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_prepare_reads_own_bvh_of_any_rig_with_held_out_folders(tmp_path):
    from test_mocap_bvh import RIGS, _expected_joints, _rig_bvh
    for folder, rig in (("studio_a", "mixamo"), ("studio_b", "rokoko"), ("studio_c", "cmu")):
        names, extras, head_top, scale, order = RIGS[rig]
        (tmp_path / "mine" / folder).mkdir(parents=True)
        for k in range(2):
            (tmp_path / "mine" / folder / f"take{k}.bvh").write_text(_rig_bvh(names, extras, head_top, scale, order))
    args = ["--bvh", str(tmp_path / "mine"), "--skeleton", "auto", "--stride", "1", "--train-views", "1",
            "--val-groups", "studio_b", "--test-groups", "studio_c", "--out", str(tmp_path / "o")]
    assert prepare_mocap.main(args) == 0
    load = lambda n: SequenceSet.load(tmp_path / "o" / f"{n}.npz")
    assert set(load("train").groups) == {"studio_a"} and set(load("val").groups) == {"studio_b"}
    test = load("test")
    assert set(test.groups) == {"studio_c"} and len(test) == 2 * 4  # 2 clips × 4 views
    # Each rig read in metres whatever its unit (cm / m): the test's 3D has the rig's bone lengths.
    lengths = bone_lengths(test.sequence(0, "poses_3d").astype(np.float64))
    ref = bone_lengths(_expected_joints()[:1])
    ratio = lengths / ref  # metres / metres: 0.9–1.1, the seeded bone variation of val/test
    assert (ratio > 0.9 - 1e-6).all() and (ratio < 1.1 + 1e-6).all()
    # A rig no preset knows is refused with the file and the missing joint named.
    (tmp_path / "odd").mkdir()
    names, extras, head_top, scale, order = RIGS["cmu"]
    (tmp_path / "odd" / "x.bvh").write_text(_rig_bvh({**names, "leg_r": "RightKnee"}, extras, head_top, scale, order))
    with pytest.raises(AmbiblendError, match="x.bvh.*RightLeg"):
        prepare_mocap.main(["--bvh", str(tmp_path / "odd"), "--skeleton", "cmu", "--stride", "1",
                            "--out", str(tmp_path / "o2")])

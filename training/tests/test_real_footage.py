"""Real-footage evaluation plumbing on synthetic calibrated views of a known moving skeleton:
exact 2D → exact reference; a prediction equal to the reference scores 0; metric definitions
on hand cases; the whole per-view evaluation with a real (untrained) lifter runs end to end."""
import numpy as np
import pytest
import torch

from ambiblend.core.detect import Keypoints2D
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import build_model
from ambiblend.core.lift.model import Lifter
from ambiblend.core.multiview.calibration import Camera
from ambiblend.core.scale.model import ScaleNet
from ambiblend.core.skeleton import NUM_JOINTS, PARENTS
from training.real_footage import (ViewData, apply_offsets, bone_cv, build_reference, evaluate_view,
                                   jitter, overall, reference_height, sync_check, view_metrics)


def ring_cameras(n=4, radius=3.0):
    """n portrait cameras on a circle at 1.5 m height looking at (0, 0, 1), with lens distortion."""
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        c = np.array([radius * np.cos(a), radius * np.sin(a), 1.5])
        z = (np.array([0.0, 0.0, 1.0]) - c) / np.linalg.norm(np.array([0.0, 0.0, 1.0]) - c)
        x = np.cross(z, [0.0, 0.0, 1.0])
        x /= np.linalg.norm(x)
        R = np.stack([x, np.cross(z, x), z])
        cams.append(Camera(f"cam{i + 1}", K=[[1680.0, 0, 540], [0, 1680.0, 960], [0, 0, 1]],
                           dist=[-0.05, 0.14, 6e-4, -5e-4], R=R, t=-R @ c, image_size=(1080, 1920)))
    return cams


def known_skeleton(frames, seed=0):
    """(T, 17, 3) world metres: fixed random bones, pelvis walking along x at 1 m height."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(scale=0.25, size=(NUM_JOINTS, 3))
    pts = np.zeros((frames, NUM_JOINTS, 3))
    for t in range(frames):
        for j, p in enumerate(PARENTS):
            pts[t, j] = np.array([0.02 * t, 0.0, 1.0]) if p < 0 else pts[t, p] + offsets[j] + 0.01 * rng.normal(size=3)
    return pts


def synthetic_views(frames=12):
    cams = ring_cameras()
    pts = known_skeleton(frames)
    views = []
    for c in cams:
        xy = c.project(pts)
        kp = Keypoints2D(xy=xy, conf=np.ones(xy.shape[:2]), filled=np.zeros(frames, bool), fps=60.0,
                         image_size=c.image_size, source=f"{c.name}.mp4")
        views.append(ViewData(c, kp))
    return views, pts


def test_reference_from_exact_views_is_exact():
    views, pts = synthetic_views()
    ref = build_reference(views)
    assert ref.valid.all()
    assert np.abs(ref.points - pts).max() < 1e-6
    assert reference_height(ref) > 0


def test_filled_frames_never_vote():
    views, _ = synthetic_views()
    for v in views[:3]:
        v.keypoints.filled[4] = True  # three views lost the person in frame 4
    ref = build_reference(views)
    assert not ref.valid[4].any() and ref.valid[np.arange(12) != 4].all()


def test_metrics_of_a_perfect_prediction_are_zero():
    views, pts = synthetic_views()
    cam = views[0].camera
    ref_cam = cam.to_camera(pts)
    pred = ref_cam - ref_cam[:, :1]
    m = view_metrics(pred, ref_cam, 0.37 * ref_cam[:, 0, 2], np.ones(len(pts), bool))
    for key in ("pmpjpe", "n_mpjpe", "mpjpe", "root_depth_err"):
        assert m[key] == pytest.approx(0.0, abs=1e-6), key
    assert m["bone_cv_pred"] == pytest.approx(m["bone_cv_ref"], abs=1e-12)
    assert m["jitter_pred"] == pytest.approx(m["jitter_ref"], abs=1e-9)
    with pytest.raises(AmbiblendError, match="No frame has a complete triangulated reference"):
        view_metrics(pred, ref_cam, ref_cam[:, 0, 2], np.zeros(len(pts), bool))


def test_bone_cv_and_jitter_hand_cases():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, 17, 3))
    steady = np.repeat(base, 5, axis=0)
    assert bone_cv(steady) == pytest.approx(0.0, abs=1e-12)
    scaled = steady * np.array([1.0, 1.1, 0.9, 1.0, 1.0])[:, None, None]  # lengths 1, 1.1, 0.9, 1, 1
    assert bone_cv(scaled) == pytest.approx(np.std([1, 1.1, 0.9, 1, 1]) / 1.0, rel=1e-9)
    # constant velocity → zero acceleration; one 3-unit jump in x at frame 2 of joint 0
    t = np.arange(6.0)[:, None, None]
    moving = np.repeat(base, 6, axis=0) + t * 0.5
    assert np.allclose(jitter(moving, np.ones(6, bool)), 0.0)
    moving[2, 0, 0] += 3.0
    acc = jitter(moving, np.ones(6, bool))
    assert acc[0] == pytest.approx((3 + 6 + 3) / 4) and np.allclose(acc[1:], 0.0)


def untrained_model():
    """A small random Φ_S + Φ_G through the add-on's loader (plumbing tests need no skill)."""
    scale, lifter = ScaleNet(width=64), Lifter(width=64, blocks=1)
    data = {"model_args": {"scale": {"width": 64}, "lifter": {"width": 64, "blocks": 1}},
            "state_dict": {"scale": scale.state_dict(), "lifter": lifter.state_dict()},
            "normalization": {"mode": "clip", "constant": None, "root_depth": 10.0}}
    return build_model(data, "cpu")


def test_evaluate_view_end_to_end_with_an_untrained_lifter():
    torch.manual_seed(0)
    views, _ = synthetic_views()
    ref = build_reference(views)
    model = untrained_model()
    per_view = {v.camera.name: evaluate_view(v, ref, model, 1.7) for v in views}
    for m in per_view.values():
        assert m["frames"] == 12 and np.isfinite(m["pmpjpe"]) and m["pmpjpe"] > 0
        assert m["series"]["pred"].shape == (12, 17, 3)
    total = overall({k: {a: b for a, b in m.items() if a != "series"} for k, m in per_view.items()})
    assert total["frames"] == 48
    assert total["pmpjpe"] == pytest.approx(np.mean([m["pmpjpe"] for m in per_view.values()]))


def test_offsets_resynchronise_a_lagging_view():
    views, pts = synthetic_views(frames=14)
    kp = views[2].keypoints  # view 3 runs 2 frames late: its frame t+2 shows instant t
    late = np.concatenate([kp.xy[:2], kp.xy[:-2]])
    views[2] = ViewData(views[2].camera, Keypoints2D(late, kp.conf, kp.filled, kp.fps, kp.image_size, kp.source))
    fixed = apply_offsets(views, {"cam3": 2})
    assert all(len(v.keypoints.xy) == 12 for v in fixed)
    ref = build_reference(fixed)
    assert ref.valid.all() and np.abs(ref.points - pts[:12]).max() < 1e-6
    lags = sync_check(views, max_offset=3, margin=3)["cam3"]
    assert int(np.argmin(lags)) - 3 == 2 and min(lags) < 1e-6
    with pytest.raises(AmbiblendError, match="Offset for unknown view"):
        apply_offsets(views, {"cam9": 1})


def test_cleaning_keeps_a_clean_motion_and_scores_it():
    torch.manual_seed(0)
    views, _ = synthetic_views(frames=30)
    ref = build_reference(views)
    model = untrained_model()
    raw = evaluate_view(views[0], ref, model, 1.7)
    cleaned = evaluate_view(views[0], ref, model, 1.7, smoothness=0.5)
    assert cleaned["bone_cv_pred"] < max(raw["bone_cv_pred"], 1e-3)  # constant bones after cleaning
    assert cleaned["jitter_pred"] <= raw["jitter_pred"] + 1e-6
    assert np.isfinite(cleaned["pmpjpe"]) and cleaned["series"]["pred"].shape == (30, 17, 3)


def test_evaluate_real_cli_rejects_bad_input_without_writing(tmp_path, capsys):
    from training.evaluate_real import main
    data, out = tmp_path / "clips", tmp_path / "out"
    data.mkdir()
    assert main(["--data", str(data), "--weights", "w.pt", "--out", str(out), "--offset", "cam1"]) == 2
    assert "--offset expects VIEW=K" in capsys.readouterr().err
    assert main(["--data", str(data), "--weights", "w.pt", "--out", str(out)]) == 2
    assert "Expected one calibration (.qca.txt or .toml)" in capsys.readouterr().err
    (data / "calib.toml").write_text('[cam_1]\nname = "cam1"\nsize = [1080.0, 1920.0]\n'
                                     'matrix = [[1680.0, 0.0, 540.0], [0.0, 1680.0, 960.0], [0.0, 0.0, 1.0]]\n'
                                     'distortions = [0.0, 0.0, 0.0, 0.0]\nrotation = [0.0, 0.0, 0.0]\n'
                                     'translation = [0.0, 0.0, 3.0]\n')
    assert main(["--data", str(data), "--weights", "w.pt", "--out", str(out)]) == 2
    assert "No video named cam1.* in" in capsys.readouterr().err
    assert not out.exists()

"""The Tasks-API detector (bundled PoseLandmarker .task) on the real sample clip: the same person
as MediaPipe's legacy graph found, plausible world joints, several people, and a missing model."""
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.detect import detect_video, load_keypoints, mediapipe_pose
from ambiblend.core.detect.landmarks import MEDIAPIPE_33, to_h36m
from ambiblend.core.detect.mediapipe_pose import POSE_TASK, PoseRunner
from ambiblend.core.detect.video import frames
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import BONES, JOINT_INDEX, JOINTS, ROOT

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assets" / "sample" / "pose2sim_cam04.mp4"
J = JOINT_INDEX


@pytest.fixture(scope="module")
def detected():
    return detect_video(SAMPLE)


def legacy_h36m():
    """MediaPipe's legacy graph (0.10.21 only) as the old detector ran it: complexity 1, tracking."""
    mp_pose = pytest.importorskip("mediapipe.python.solutions.pose", reason="legacy solutions.pose absent")
    points, conf = [], []
    with mp_pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True) as pose:
        for rgb in frames(SAMPLE):
            lm = pose.process(rgb).pose_landmarks.landmark   # the person is in every frame
            h, w = rgb.shape[:2]
            points.append([(p.x * w, p.y * h) for p in lm])
            conf.append([p.visibility for p in lm])
    return to_h36m(np.array(points), np.array(conf), MEDIAPIPE_33)


def test_tasks_detector_matches_the_legacy_graph(detected):
    # Same models, different graphs: on a frame without history (frame 0) the two agree within
    # 6 px (measured 4.5 px, an ankle; the clip is 540x952, the person ~400 px tall). Over
    # the clip both track and smooth with their own state, so they drift apart a little:
    # measured mean 2.6 px, max 14.3 px (0.015 of the image height) on the 17 joints.
    xy, conf = legacy_h36m()
    err = np.linalg.norm(detected.xy - xy, axis=-1)               # (T, 17) pixels
    assert err[0].max() < 6.0, err[0]
    assert err.mean() < 4.0 and err.max() < 20.0, (err.mean(), err.max())
    assert np.abs(detected.conf - conf).mean() < 0.05             # visibility as confidence


def test_world_joints_are_metric_hip_centred_and_upright(detected):
    w = detected.world
    assert w.shape == (detected.num_frames, 17, 3) and np.isfinite(w).all()
    assert np.abs(w[:, ROOT]).max() < 0.01                        # origin at the hip centre (m)
    # y down as in the image: head above the pelvis, the standing foot below it, by human amounts
    # (one foot is lifted in some frames).
    assert (w[:, J["head"], 1] < -0.35).all()
    assert (np.maximum(w[:, J["left_ankle"], 1], w[:, J["right_ankle"], 1]) > 0.45).all()
    lengths = np.linalg.norm(w[:, [c for c, _ in BONES]] - w[:, [p for _, p in BONES]], axis=-1)
    ranges = {"knee": (0.3, 0.55), "ankle": (0.28, 0.5), "elbow": (0.18, 0.4), "wrist": (0.15, 0.35),
              "shoulder": (0.1, 0.25), "hip": (0.05, 0.2)}
    for i, (child, _) in enumerate(BONES):
        part = JOINTS[child].split("_")[-1]
        if part in ranges:
            lo, hi = ranges[part]
            assert lo < np.median(lengths[:, i]) < hi, (JOINTS[child], np.median(lengths[:, i]))
    assert lengths.std(axis=0).max() < 0.05                       # a body, not noise (m)


def test_world_joints_saved_and_bundled(detected, tmp_path):
    detected.save(tmp_path / "kp.npz")
    back = load_keypoints(tmp_path / "kp.npz")
    np.testing.assert_array_equal(back.world, detected.world)
    bundled = load_keypoints(REPO / "assets" / "sample" / "pose2sim_cam04_keypoints.npz")
    assert bundled.world.shape == (100, 17, 3)
    assert np.abs(bundled.world - detected.world).max() < 0.1     # m; same model (other versions drift)


def test_frames_without_person_get_interpolated_world_joints(tmp_path):
    import cv2
    clip = list(frames(SAMPLE, 10))
    clip[4:7] = [np.full_like(clip[0], 128)] * 3                 # three empty grey frames
    path = tmp_path / "gap.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 60, clip[0].shape[1::-1])
    for rgb in clip:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    kp = detect_video(path)
    assert kp.filled.tolist() == [False] * 4 + [True] * 3 + [False] * 3
    assert np.isfinite(kp.world).all()
    for t in (4, 5, 6):                                           # linear between frames 3 and 7
        expected = kp.world[3] + (kp.world[7] - kp.world[3]) * (t - 3) / 4
        np.testing.assert_allclose(kp.world[t], expected, atol=1e-9)


def test_to_h36m_maps_3d_points_per_coordinate():
    pts = np.random.default_rng(0).normal(size=(5, 33, 3))
    conf = np.random.default_rng(1).uniform(size=(5, 33))
    joints, c3 = to_h36m(pts, conf, MEDIAPIPE_33)
    xy, c2 = to_h36m(pts[..., :2], conf, MEDIAPIPE_33)
    assert joints.shape == (5, 17, 3)
    np.testing.assert_allclose(joints[..., :2], xy)
    np.testing.assert_allclose(c3, c2)
    np.testing.assert_allclose(joints[:, ROOT], (pts[:, 23] + pts[:, 24]) / 2)


def test_runner_returns_every_person_up_to_num_poses():
    # Two people: the clip and its mirror image side by side (1080 px wide).
    clip = [np.concatenate([f, f[:, ::-1]], axis=1) for f in frames(SAMPLE, 4)]
    with PoseRunner(fps=60, num_poses=2) as two, PoseRunner(fps=60) as one:
        for rgb in clip:
            both, single = two(rgb), one(rgb)
            assert len(both) == 2 and len(single) == 1
            hips = sorted(p.points[[23, 24], 0].mean() for p in both)
            assert hips[0] < 540 < hips[1]                        # one person in each half
            for p in both:
                assert p.points.shape == (33, 2) and p.visibility.shape == (33,) and p.world.shape == (33, 3)


def test_timestamps_stay_increasing_at_any_frame_rate():
    # 2000 fps is 0.5 ms per frame: rounded timestamps would repeat, which MediaPipe refuses.
    with PoseRunner(fps=2000) as run:
        found = [len(run(rgb)) for rgb in frames(SAMPLE, 4)]
    assert found == [1, 1, 1, 1]


def test_missing_or_damaged_model_names_the_file_and_the_fix(tmp_path, monkeypatch):
    missing = tmp_path / "pose_landmarker_full.task"
    monkeypatch.setattr(mediapipe_pose, "POSE_TASK", missing)     # where the add-on looks for it
    with pytest.raises(AmbiblendError, match=r"pose model .*pose_landmarker_full.task is missing\. "
                                             r"Rebuild it with `python tools/build_pose_task.py`"):
        detect_video(SAMPLE, max_frames=2)
    missing.write_bytes(POSE_TASK.read_bytes()[:100_000])          # truncated
    with pytest.raises(AmbiblendError, match=r"pose_landmarker_full.task is damaged .*build_pose_task.py"):
        detect_video(SAMPLE, max_frames=2)
    with zipfile.ZipFile(missing, "w") as zf:                      # a zip, but not a pose bundle
        zf.writestr("readme.txt", "not a model")
    with pytest.raises(AmbiblendError, match=r"pose_landmarker_full.task is damaged or not a pose landmarker"):
        PoseRunner(task_path=missing)


def test_without_mediapipe_a_clear_message_and_no_torch():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'mediapipe': raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ambiblend.core.detect import detect_video\n"
        "from ambiblend.core.errors import AmbiblendError\n"
        "try:\n"
        "    detect_video('assets/sample/pose2sim_cam04.mp4')\n"
        "except AmbiblendError as exc:\n"
        "    print(exc)\n"
        "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    message, torch_loaded = out.stdout.strip().splitlines()
    assert message.startswith("MediaPipe is not available, so videos cannot be detected; install mediapipe")
    assert torch_loaded == "False"


def test_detection_never_imports_torch():
    code = ("import sys\n"
            "from ambiblend.core.detect import detect_video\n"
            "assert detect_video('assets/sample/pose2sim_cam04.mp4', max_frames=2).world.shape == (2, 17, 3)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_npz_world_joints_checked_and_gaps_filled(tmp_path):
    rng = np.random.default_rng(3)
    xy, world = rng.uniform(0, 500, (6, 17, 2)), rng.normal(size=(6, 17, 3))
    xy[2], world[2] = np.nan, np.nan                               # a frame without a person
    np.savez(tmp_path / "w.npz", xy=xy, world=world)
    kp = load_keypoints(tmp_path / "w.npz")
    assert kp.filled[2] and np.isfinite(kp.world).all()
    np.testing.assert_allclose(kp.world[2], (world[1] + world[3]) / 2)
    np.savez(tmp_path / "bad.npz", xy=xy, world=world[:, :, :2])
    with pytest.raises(AmbiblendError, match=r"bad.npz: 'world' has shape \(6, 17, 2\), expected \(6, 17, 3\)"):
        load_keypoints(tmp_path / "bad.npz")


def test_a_person_found_twice_in_one_frame_counts_once():
    """People are counted before detection (``count_people``): an upside-down copy of a person
    inside his own box (MediaPipe's still-image mode adds one on cam02 of the Pose2Sim clip) is
    the same person; a second person beside him, or half in front of him, is another."""
    from ambiblend.core.detect.mediapipe_pose import Pose, count_distinct
    with PoseRunner(still_images=True) as run:
        found = run(next(frames(SAMPLE, 1)))
    assert len(found) == 1
    man = found[0]
    lo, hi = man.points.min(axis=0), man.points.max(axis=0)
    centre, width = (lo + hi) / 2, hi[0] - lo[0]

    def moved(points):
        return Pose(points=points, visibility=man.visibility, world=man.world)

    upside_down = moved(centre + (man.points - centre) * [0.9, -0.9])
    beside = moved(man.points + [1.2 * width, 0.0])
    half_in_front = moved(man.points + [0.5 * width, 0.0])
    assert count_distinct([man]) == 1 and count_distinct([]) == 0
    assert count_distinct([man, upside_down]) == count_distinct([upside_down, man]) == 1
    assert count_distinct([man, beside]) == 2 and count_distinct([man, half_in_front]) == 2
    assert count_distinct([man, upside_down, beside]) == 2

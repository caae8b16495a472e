"""Real MediaPipe on the bundled real clip, and every bad-video path with its message."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from ambiblend.core.detect import DetectionCancelled, detect_video, load_keypoints, read_input
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import JOINT_INDEX, ROOT

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04.mp4"
SAMPLE_KEYPOINTS = SAMPLE.with_name("pose2sim_cam04_keypoints.npz")


@pytest.fixture(scope="module")
def sample():
    calls = []
    kp = detect_video(SAMPLE, progress=lambda done, total: calls.append((done, total)))
    return kp, calls


def test_sample_person_found_inside_image_with_progress(sample):
    kp, calls = sample
    assert kp.num_frames == 100 and kp.fps == pytest.approx(60.0) and kp.image_size == (540, 952)
    assert (~kp.filled).mean() >= 0.95
    w, h = kp.image_size
    pelvis = kp.xy[:, ROOT]
    assert ((pelvis >= 0) & (pelvis < (w, h))).all()
    assert calls == [(i, 100) for i in range(1, 101)]
    assert ((kp.conf >= 0) & (kp.conf <= 1)).all() and kp.conf[:, ROOT].mean() > 0.9


def test_sample_left_right_not_swapped(sample):
    # In frame 0 the subject stands with their back to the camera (checked by eye), so their
    # left shoulder and hip are on the image's left: smaller x than the right ones, by a margin
    # of at least 20 px (shoulders are ≈ 90 px apart, hips ≈ 35 px at this size).
    xy = sample[0].xy[0]
    j = JOINT_INDEX
    assert xy[j["left_shoulder"], 0] + 20 < xy[j["right_shoulder"], 0]
    assert xy[j["left_hip"], 0] + 20 < xy[j["right_hip"], 0]
    # Head above thorax above pelvis (y grows downward).
    assert xy[j["head"], 1] < xy[j["neck"], 1] < xy[j["thorax"], 1] < xy[j["spine"], 1] < xy[ROOT, 1]


def test_bundled_keypoints_match_a_fresh_detection(sample):
    # tools/make_sample.py wrote the file with mediapipe 0.10.21: same model, frames and runtime,
    # so within 1 px there. Other MediaPipe builds (1.2.x, Python 3.13) run the same .task but
    # drift a little while tracking: measured mean 0.47 px, max 5.2 px on this clip.
    import mediapipe
    bundled = load_keypoints(SAMPLE_KEYPOINTS)
    assert bundled.image_size == sample[0].image_size and bundled.fps == sample[0].fps
    err = np.linalg.norm(bundled.xy - sample[0].xy, axis=-1)
    if mediapipe.__version__ == "0.10.21":
        assert err.max() < 1.0, err.max()
    else:
        assert err.mean() < 1.0 and err.max() < 8.0, (err.mean(), err.max())


def test_cancel_and_max_frames():
    with pytest.raises(DetectionCancelled, match="Detection of pose2sim_cam04.mp4 was cancelled"):
        detect_video(SAMPLE, progress=lambda done, total: done < 3)
    assert issubclass(DetectionCancelled, AmbiblendError)
    assert detect_video(SAMPLE, max_frames=4).num_frames == 4


def write_video(path, frames, fourcc="mp4v", fps=30):
    h, w = frames[0].shape[:2] if frames else (48, 64)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()


def assert_fails_unchanged(path, message):
    before = path.read_bytes() if path.exists() else None
    listing = sorted(path.parent.iterdir())
    with pytest.raises(AmbiblendError, match=message):
        read_input(path)
    assert (path.read_bytes() if path.exists() else None) == before
    assert sorted(path.parent.iterdir()) == listing


def test_video_without_person(tmp_path):
    rng = np.random.default_rng(1)
    frames = [np.full((240, 320, 3), (40 * i) % 255, np.uint8) for i in range(4)]
    frames += [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(4)]
    write_video(tmp_path / "noise.mp4", frames)
    assert_fails_unchanged(tmp_path / "noise.mp4", r"^No person was detected in noise.mp4\.$")


def test_corrupt_missing_empty_and_zero_frame_videos(tmp_path):
    (tmp_path / "random.mp4").write_bytes(np.random.default_rng(2).bytes(20000))
    assert_fails_unchanged(tmp_path / "random.mp4", "Could not open random.mp4 as a video: the file is corrupt")
    assert_fails_unchanged(tmp_path / "absent.mp4", "Input not found: .*absent.mp4")
    with pytest.raises(AmbiblendError, match="Video file not found: .*absent.mp4"):
        detect_video(tmp_path / "absent.mp4")
    (tmp_path / "empty.mov").write_bytes(b"")
    assert_fails_unchanged(tmp_path / "empty.mov", r"The video file empty.mov is empty \(0 bytes\)")
    write_video(tmp_path / "zero.avi", [], fourcc="XVID")   # a valid container with no frames
    assert_fails_unchanged(tmp_path / "zero.avi", "The video zero.avi has no frames")

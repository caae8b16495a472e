"""Keypoint files from other detectors (COCO-17, OpenPose BODY_25, .npz) → exact H36M joints."""
import json

import numpy as np
import pytest

from ambiblend.core.detect import Keypoints2D, list_clips, load_keypoints, read_input
from ambiblend.core.detect.landmarks import BODY_25, COCO_17
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import JOINT_INDEX, JOINTS

# A hand-made person (pixels), symmetric about x = 100, and the H36M joints it must give.
POINTS = {"nose": (100, 40), "left_eye": (104, 36), "right_eye": (96, 36), "left_ear": (110, 40),
          "right_ear": (90, 40), "left_shoulder": (120, 80), "right_shoulder": (80, 80),
          "left_elbow": (130, 120), "right_elbow": (70, 120), "left_wrist": (135, 150),
          "right_wrist": (65, 150), "left_hip": (110, 160), "right_hip": (90, 160),
          "left_knee": (112, 220), "right_knee": (88, 220), "left_ankle": (114, 280),
          "right_ankle": (86, 280)}
# pelvis/thorax = mid hips/shoulders; spine half-way; head centre = mid(nose, mid ears) = (100, 40);
# head top = centre + 0.65 (centre - thorax) = (100, 14); neck = mid(thorax, head top) = (100, 47).
EXPECTED = {"pelvis": (100, 160), "spine": (100, 120), "thorax": (100, 80), "neck": (100, 47),
            "head": (100, 14), **{k: v for k, v in POINTS.items() if k in JOINT_INDEX}}
EXPECTED_XY = np.array([EXPECTED[j] for j in JOINTS], dtype=float)
SCORE = 0.8


def flat(layout, size, shift=0.0, score=SCORE, drop=()):
    """[x, y, c] * size for POINTS in ``layout`` (unused slots and ``drop`` get score 0)."""
    a = np.zeros((size, 3))
    for name, idx in layout.items():
        if name not in drop:
            a[idx] = (POINTS[name][0] + shift, POINTS[name][1], score)
    return a.ravel().tolist()


def test_coco17_results_list_exact_joints_and_missing_frame(tmp_path):
    # Frames 0 and 2 detected, frame 1 absent (image_id 1 missing) → filled half-way.
    entries = [{"image_id": 0, "keypoints": flat(COCO_17, 17), "score": 0.9},
               {"image_id": 2, "keypoints": flat(COCO_17, 17, shift=10.0), "score": 0.9}]
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(entries))
    kp = load_keypoints(path, image_size=(640, 480), fps=25)
    assert kp.xy.shape == (3, 17, 2)
    np.testing.assert_allclose(kp.xy[0], EXPECTED_XY, atol=1e-9)
    np.testing.assert_allclose(kp.xy[2], EXPECTED_XY + [10, 0], atol=1e-9)
    np.testing.assert_allclose(kp.xy[1], EXPECTED_XY + [5, 0], atol=1e-9)
    assert kp.filled.tolist() == [False, True, False]
    np.testing.assert_allclose(kp.conf[0], SCORE, atol=1e-9)   # derived joints: mean of equal scores
    assert (kp.conf[1] == 0).all()
    assert kp.fps == 25 and kp.image_size == (640, 480)


def test_coco_dataset_dict_gives_size_and_one_missing_ear(tmp_path):
    data = {"images": [{"id": 7, "width": 320, "height": 240}],
            "annotations": [{"image_id": 7, "keypoints": flat(COCO_17, 17, drop=("left_ear",))}]}
    path = tmp_path / "coco_gt.json"
    path.write_text(json.dumps(data))
    kp = load_keypoints(path)
    # Ears → right ear only (90, 40); centre = mid(nose, it) = (95, 40);
    # head top = (95, 40) + 0.65 ((95, 40) - (100, 80)) = (91.75, 14); neck = mid(thorax, top).
    np.testing.assert_allclose(kp.xy[0, JOINT_INDEX["head"]], (91.75, 14.0), atol=1e-9)
    np.testing.assert_allclose(kp.xy[0, JOINT_INDEX["neck"]], (95.875, 47.0), atol=1e-9)
    # Derived confidence = mean of sources, the missing ear counting 0: centre (0.8 + 0.4) / 2.
    np.testing.assert_allclose(kp.conf[0, JOINT_INDEX["head"]], 0.5 * (0.6 + 0.8), atol=1e-9)
    assert kp.image_size == (320, 240) and kp.fps == 30.0


def test_openpose_body25_folder_matches_coco_and_picks_best_person(tmp_path):
    folder = tmp_path / "openpose"
    folder.mkdir()
    frames = [[flat(BODY_25, 25), flat(BODY_25, 25, shift=300, score=0.3)],   # two people
              [],                                                              # nobody
              [flat(BODY_25, 25, shift=20.0)]]
    for t, people in enumerate(frames):   # names sort naturally: 2 before 10
        (folder / f"clip_{[0, 2, 10][t]}_keypoints.json").write_text(
            json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": p} for p in people]}))
    kp = read_input(folder)
    np.testing.assert_allclose(kp.xy[0], EXPECTED_XY, atol=1e-9)
    np.testing.assert_allclose(kp.xy[1], EXPECTED_XY + [10, 0], atol=1e-9)
    np.testing.assert_allclose(kp.xy[2], EXPECTED_XY + [20, 0], atol=1e-9)
    assert kp.filled.tolist() == [False, True, False]
    # estimated from the keypoints of everyone in the file (the image holds both people)
    assert kp.image_size == (int(np.ceil(135 + 300)) + 1, 281)


def _openpose_frames(folder, n):
    folder.mkdir(parents=True)
    for t in range(n):
        (folder / f"{folder.name}_{t:012d}_keypoints.json").write_text(
            json.dumps({"people": [{"pose_keypoints_2d": flat(BODY_25, 25, shift=t)}]}))


def test_list_clips_treats_openpose_frame_folders_as_one_clip(tmp_path):
    # OpenPose's --write_json output for one video is a folder of per-frame files: one clip.
    _openpose_frames(tmp_path / "walk", 3)
    assert list_clips(tmp_path / "walk") == [tmp_path / "walk"]
    assert read_input(list_clips(tmp_path / "walk")[0]).num_frames == 3
    # A folder of clips: videos, keypoint files and such sub-folders, each once; loose per-frame
    # files and unrelated sub-folders and files are not clips.
    root = tmp_path / "shoot"
    _openpose_frames(root / "jump", 2)
    (root / "notes").mkdir()
    (root / "notes" / "a.txt").write_text("x")
    (root / "b.mp4").write_bytes(b"")
    (root / "a.npz").write_bytes(b"")
    (root / "readme.txt").write_text("x")
    (root / "stray_000000000000_keypoints.json").write_text('{"people": []}')
    assert list_clips(root) == [root / "a.npz", root / "b.mp4", root / "jump"]
    with pytest.raises(AmbiblendError, match="No videos, keypoint files or OpenPose folders in"):
        list_clips(root / "notes")
    with pytest.raises(AmbiblendError, match="Input not found"):
        list_clips(tmp_path / "missing")


def test_openpose_single_file_is_one_frame(tmp_path):
    path = tmp_path / "frame.json"
    path.write_text(json.dumps({"people": [{"pose_keypoints_2d": flat(BODY_25, 25)}]}))
    kp = load_keypoints(path, image_size=(200, 300))
    assert kp.num_frames == 1
    np.testing.assert_allclose(kp.xy[0], EXPECTED_XY, atol=1e-9)


def test_npz_with_conf_channel_and_nan_frame(tmp_path):
    xy = np.stack([EXPECTED_XY, np.full((17, 2), np.nan), EXPECTED_XY + 2])
    conf = np.full((3, 17, 1), 0.5)
    np.savez(tmp_path / "kp.npz", keypoints=np.concatenate([xy, conf], axis=-1))
    kp = load_keypoints(tmp_path / "kp.npz", fps=50)
    np.testing.assert_allclose(kp.xy[1], EXPECTED_XY + 1, atol=1e-12)
    assert kp.filled.tolist() == [False, True, False] and kp.fps == 50
    np.testing.assert_allclose(kp.conf[[0, 2]], 0.5)


def test_own_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    kp = Keypoints2D(xy=rng.uniform(0, 500, (4, 17, 2)), conf=rng.uniform(0, 1, (4, 17)),
                     filled=np.array([False, True, False, False]), fps=59.94, image_size=(640, 360),
                     source="somewhere/clip.mp4")
    kp.save(tmp_path / "clip_keypoints.npz")
    back = read_input(tmp_path / "clip_keypoints.npz")
    np.testing.assert_array_equal(back.xy, kp.xy)
    np.testing.assert_allclose(back.conf, kp.conf, atol=1e-7)   # stored float32
    assert back.filled.tolist() == kp.filled.tolist()
    assert (back.fps, back.image_size) == (59.94, (640, 360))


@pytest.mark.parametrize("name, content, message", [
    ("bad.json", "{not json", "bad.json is not a readable JSON file"),
    ("odd.json", json.dumps([{"keypoints": [1, 2, 1] * 10}]), "a keypoint list has 30 numbers"),
    ("what.json", json.dumps({"hello": 1}), "not a COCO keypoint list"),
    ("empty.json", json.dumps({"people": []}), "No person was detected in empty.json"),
    ("legs.json", json.dumps([{"keypoints": flat(COCO_17, 17, drop=("left_ankle",))}]),
     "left_ankle were not found in any frame"),
])
def test_bad_json_files_raise_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(AmbiblendError, match=message):
        load_keypoints(path)
    assert path.read_text() == content and sorted(tmp_path.iterdir()) == [path]   # nothing written


def test_bad_npz_and_missing_inputs(tmp_path):
    np.savez(tmp_path / "wrong.npz", xy=np.zeros((5, 33, 2)))
    with pytest.raises(AmbiblendError, match=r"wrong.npz: 'xy' has shape \(5, 33, 2\)"):
        load_keypoints(tmp_path / "wrong.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(AmbiblendError, match="junk.npz is not a readable .npz file"):
        load_keypoints(tmp_path / "junk.npz")
    with pytest.raises(AmbiblendError, match="Input not found: .*nothing.json"):
        read_input(tmp_path / "nothing.json")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(AmbiblendError, match="unsupported input type '.txt'"):
        read_input(tmp_path / "notes.txt")
    (tmp_path / "frames").mkdir()
    with pytest.raises(AmbiblendError, match="folder frames holds no .json"):
        read_input(tmp_path / "frames")


def test_keypoint_files_work_without_opencv_and_mediapipe():
    # The training path (GPU machine: no mediapipe) imports detect.gaps; users without MediaPipe
    # load keypoint files. Run in a fresh interpreter with both imports blocked.
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('cv2', 'mediapipe', 'bpy'): raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ambiblend.core.detect import load_keypoints, detect_video\n"
        "from ambiblend.core.errors import AmbiblendError\n"
        "print(load_keypoints('assets/sample/pose2sim_cam04_keypoints.npz').num_frames)\n"
        "try:\n"
        "    detect_video('assets/sample/pose2sim_cam04.mp4')\n"
        "except AmbiblendError as exc:\n"
        "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         timeout=60, env={"PYTHONPATH": str(root), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["100", "OpenCV is not available, so videos cannot be read; "
                                       "install opencv-python-headless or load a keypoint file instead."]

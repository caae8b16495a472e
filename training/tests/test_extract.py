"""``training/extract.py`` on the bundled real clip: detected runs → SequenceSet."""
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from ambiblend.core.detect import load_keypoints
from training.data.sequences import SequenceSet
from training.extract import detected_runs, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "assets" / "sample" / "pose2sim_cam04.mp4"
SAMPLE_KEYPOINTS = SAMPLE.with_name("pose2sim_cam04_keypoints.npz")


def test_detected_runs_split_at_no_person_frames():
    filled = np.array([1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0], bool)
    assert detected_runs(filled, 3) == [(1, 4), (9, 13)]
    assert detected_runs(filled, 2) == [(1, 4), (6, 8), (9, 13)]
    assert detected_runs(np.zeros(5, bool), 1) == [(0, 5)]


def test_folder_with_sample_and_a_video_without_person(tmp_path, capsys):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copyfile(SAMPLE, folder / "a_sample.mp4")
    writer = cv2.VideoWriter(str(folder / "b_empty_room.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 60, (160, 120))
    for i in range(5):
        writer.write(np.full((120, 160, 3), 30 * i, np.uint8))
    writer.release()
    assert main(["--input", str(folder), "--out", str(tmp_path / "own.npz")]) == 0
    out = capsys.readouterr().out
    assert "skipped b_empty_room.mp4: No person was detected in b_empty_room.mp4." in out
    data = SequenceSet.load(tmp_path / "own.npz")
    assert data.names.tolist() == ["a_sample/0-99"] and data.groups.tolist() == ["a_sample"]
    assert data.fps == 60.0 and data.num_frames == 100
    # Same 2D as the bundled detection (pixels, float32 on disk) and its confidences.
    bundled = load_keypoints(SAMPLE_KEYPOINTS)
    np.testing.assert_allclose(data.poses_2d, bundled.xy, atol=1e-3)
    np.testing.assert_allclose(data.conf, bundled.conf, atol=1e-6)
    # Worker processes (the default --jobs is the cores) give what one process gives.
    assert main(["--input", str(folder), "--out", str(tmp_path / "one.npz"), "--jobs", "1"]) == 0
    assert capsys.readouterr().out.replace("one.npz", "own.npz").count("skipped b_empty_room.mp4") == 1
    one = SequenceSet.load(tmp_path / "one.npz")
    np.testing.assert_allclose(one.poses_2d, data.poses_2d, rtol=0, atol=1e-6)
    np.testing.assert_allclose(one.conf, data.conf, rtol=0, atol=1e-6)
    assert one.names.tolist() == data.names.tolist()


def test_cli_on_keypoint_file_and_bad_input(tmp_path):
    script = ROOT / "training" / "extract.py"
    ok = subprocess.run([sys.executable, str(script), "--input", str(SAMPLE_KEYPOINTS),
                         "--out", str(tmp_path / "kp.npz"), "--min-length", "50"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert SequenceSet.load(tmp_path / "kp.npz").lengths.tolist() == [100]
    bad = subprocess.run([sys.executable, str(script), "--input", str(tmp_path / "nope.mp4"),
                          "--out", str(tmp_path / "x.npz")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "error: Input not found:" in bad.stderr
    assert not (tmp_path / "x.npz").exists()


def test_front_back_swaps_are_relabelled_before_training(tmp_path, capsys):
    """A fine-tune must not learn from left and right swapped: the sample's detection with frames
    30–59 labelled left for right extracts to exactly the clean sample's poses (and says so);
    --no-swap-repair keeps the detector's labels."""
    from tests.swapped_sample import write_swapped_sample
    clip = write_swapped_sample(tmp_path / "swapped.npz")
    for name, source, extra in (("clean", SAMPLE_KEYPOINTS, []), ("fixed", clip, []), ("kept", clip, ["--no-swap-repair"])):
        assert main(["--input", str(source), "--out", str(tmp_path / f"{name}.npz"), "--jobs", "1", *extra]) == 0
    assert "swapped.npz: 100 frames, person in 100, left/right relabelled in 30," in capsys.readouterr().out
    clean, fixed, kept = (SequenceSet.load(tmp_path / f"{n}.npz").poses_2d for n in ("clean", "fixed", "kept"))
    np.testing.assert_array_equal(fixed, clean)
    assert not np.allclose(kept[30:60], clean[30:60])

"""The headless batch script, run as a user would (a subprocess of plain Python with the bpy
module): a folder of two inputs → two FBX files with a progress line each; failures → non-zero
exit with a clear message, the good clips still written."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
from ambi_helpers import REPO, SAMPLE_KEYPOINTS, SAMPLE_VIDEO

BATCH = REPO / "ambiblend" / "batch.py"


def _run(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BATCH), "--", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def test_batch_folder_of_video_and_keypoints(tmp_path, weights_path):
    inputs = tmp_path / "clips"
    inputs.mkdir()
    shutil.copy(SAMPLE_VIDEO, inputs)
    shutil.copy(SAMPLE_KEYPOINTS, inputs)
    out = tmp_path / "out"
    # cwd elsewhere: the script must find the ambiblend package by itself.
    result = _run("--input", inputs, "--output", out, "--weights", weights_path, "--height", 1.8,
                  "--blend", "--formats", "fbx,bvh", "--fbx-preset", "unity", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines[0].startswith(f"[1/2] pose2sim_cam04.mp4 -> {out}/{{pose2sim_cam04.fbx, "
                               "pose2sim_cam04.bvh, pose2sim_cam04.blend} (") and lines[0].endswith(" s)")
    assert lines[1].startswith("[2/2] pose2sim_cam04_keypoints.npz -> ")
    assert result.stdout.rstrip().endswith("ambiblend batch: 2 clips done.")
    for stem in ("pose2sim_cam04", "pose2sim_cam04_keypoints"):
        assert (out / f"{stem}.fbx").stat().st_size > 10_000
        assert (out / f"{stem}.bvh").is_file() and (out / f"{stem}.blend").is_file()


def test_batch_failures_exit_non_zero(tmp_path, weights_path):
    inputs = tmp_path / "clips"
    inputs.mkdir()
    shutil.copy(SAMPLE_KEYPOINTS, inputs)
    (inputs / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    out = tmp_path / "out"
    result = _run("--input", inputs, "--output", out, "--weights", weights_path, cwd=tmp_path)
    assert result.returncode == 1
    assert "[1/2] broken.mp4: FAILED: Could not open broken.mp4 as a video" in result.stderr
    assert "error: 1 of 2 clips failed:\n  broken.mp4: Could not open broken.mp4 as a video" in result.stderr
    assert (out / "pose2sim_cam04_keypoints.fbx").is_file() and not (out / "broken.fbx").exists()

    result = _run("--input", tmp_path / "nothing", "--output", out, cwd=tmp_path)
    assert result.returncode == 1 and "error: Input not found:" in result.stderr
    result = _run("--input", inputs, "--output", tmp_path / "out2", "--weights", tmp_path / "no.pt", cwd=tmp_path)
    assert result.returncode == 1 and "error: Weights file not found:" in result.stderr
    result = _run("--output", out, cwd=tmp_path)
    assert result.returncode == 2 and "--input" in result.stderr
    result = _run("--input", inputs, "--output", out, "--formats", "fbx,obj", cwd=tmp_path)
    assert result.returncode == 2 and "unknown export format(s) obj" in result.stderr


def test_batch_relabels_front_back_swaps_and_says_so(tmp_path, weights_path):
    """The sample's detection with frames 30–59 labelled left for right (as MediaPipe does when
    it takes a back for a front): the batch job relabels exactly those and reports it; with
    --no-swap-repair it keys them as detected and says nothing."""
    from tests.swapped_sample import write_swapped_sample
    clip = write_swapped_sample(tmp_path / "swapped.npz")
    fixed = _run("--input", clip, "--output", tmp_path / "a", "--weights", weights_path, "--formats", "npz", cwd=tmp_path)
    kept = _run("--input", clip, "--output", tmp_path / "b", "--weights", weights_path, "--formats", "npz",
                "--no-swap-repair", cwd=tmp_path)
    assert fixed.returncode == 0 and kept.returncode == 0, fixed.stderr + kept.stderr
    assert ("swapped.npz: left and right relabelled in 30 frames where the detector took the person's back "
            "for the front (or the reverse)") in fixed.stdout
    assert "relabelled" not in kept.stdout
    a, b = (np.load(tmp_path / d / "swapped.npz")["joints"] for d in ("a", "b"))
    a, b = a - a[:, :1], b - b[:, :1]          # the pose about the pelvis (the clip's placement shifts too)
    moved = np.linalg.norm(a - b, axis=-1).mean(axis=1)
    # metres: the stretch is another body (0.4–0.5 m); elsewhere only the clip-wide bone lengths differ
    assert moved[:20].max() < 0.06 and moved[70:].max() < 0.06 and moved[35:55].min() > 0.3

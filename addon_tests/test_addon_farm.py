"""``ambiblend.farm`` against a real Dask cluster on this machine: a scheduler and two worker
processes started with Dask's own command-line tools, as a studio starts them on its nodes; one
task per clip runs the batch script there (real MediaPipe and bpy, small clips)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from ambi_helpers import REPO, SAMPLE_KEYPOINTS, SAMPLE_VIDEO

pytest.importorskip("distributed", reason="Dask distributed (requirements-dev.txt) is not installed here")

ENV = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")


def _cut(dst, n: int = 30, scale: float = 0.5):
    cap = cv2.VideoCapture(str(SAMPLE_VIDEO))
    out = None
    for _ in range(n):
        ok, bgr = cap.read()
        assert ok
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out = out or cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, bgr.shape[1::-1])
        out.write(bgr)
    out.release()
    cap.release()


@pytest.fixture()
def cluster(tmp_path):
    """A scheduler and a worker with two processes (one thread each); yields the scheduler file."""
    from distributed import Client
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                               str(sched_file), "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0"],
                              env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                       str(sched_file), "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                      env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        yield sched_file
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _farm(*args):
    return subprocess.run([sys.executable, "-m", "ambiblend.farm", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=ENV, cwd=REPO)


def test_folder_on_a_dask_cluster(tmp_path, cluster, weights_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    _cut(clips / "walk.mp4")
    shutil.copy(SAMPLE_KEYPOINTS, clips / "walk.npz")          # same stem: walk_mp4 / walk_npz
    (clips / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    out = tmp_path / "out"
    flags = ["--output", out, "--weights", weights_path, "--formats", "npz,bvh", "--no-root-motion"]
    result = _farm("--scheduler-file", cluster, "--", "--input", clips, *flags)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ambiblend farm: 3 clips submitted to tcp://127.0.0.1:" in result.stdout
    done = sorted(line.split("] ", 1)[1] for line in result.stdout.splitlines() if line.startswith("["))
    assert [d.split(" (")[0] for d in done] == [f"walk.mp4 -> {out}/{{walk_mp4.bvh, walk_mp4.npz}}",
                                                f"walk.npz -> {out}/{{walk_npz.bvh, walk_npz.npz}}"]
    assert "broken.mp4: FAILED: Could not open broken.mp4 as a video" in result.stderr
    assert "ambiblend farm: error: 1 of 3 clips failed:\n  broken.mp4: Could not open broken.mp4" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["walk_mp4.bvh", "walk_mp4.npz", "walk_npz.bvh", "walk_npz.npz"]
    with np.load(out / "walk_mp4.npz") as motion:
        assert motion["joints"].shape == (30, 17, 3)
    # The same flags as a local batch run of that clip: the same joints.
    local = subprocess.run([sys.executable, str(REPO / "ambiblend" / "batch.py"), "--", "--input", str(clips / "walk.npz"),
                            *map(str, flags), "--output", str(tmp_path / "local"), "--jobs", "1"],
                           capture_output=True, text=True, timeout=300, env=ENV)
    assert local.returncode == 0, local.stderr
    with np.load(out / "walk_npz.npz") as farm, np.load(tmp_path / "local" / "walk.npz") as here:
        np.testing.assert_allclose(farm["joints"], here["joints"], rtol=0, atol=1e-6)

    again = _farm("--scheduler-file", cluster, "--", "--input", clips, *flags)   # nothing overwritten
    assert again.returncode == 1 and "4 output files already exist" in again.stderr
    assert "submitted" not in again.stdout


def test_farm_arguments_checked_before_any_cluster(tmp_path):
    result = _farm("--scheduler", "tcp://127.0.0.1:9", "--", "--input", SAMPLE_KEYPOINTS, "--output", tmp_path,
                   "--height", "9")
    assert result.returncode == 2 and "--height must be between" in result.stderr
    result = _farm("--", "--input", SAMPLE_KEYPOINTS, "--output", tmp_path)
    assert result.returncode == 2 and "--scheduler" in result.stderr
    result = _farm("--scheduler", "tcp://127.0.0.1:9", "--", "--input", tmp_path / "none", "--output", tmp_path)
    assert result.returncode == 1 and "error: Input not found" in result.stderr

"""batch --jobs: a folder run by worker processes gives the files, progress lines and exit status
of --jobs 1 (real subprocesses, real MediaPipe and bpy; small clips cut from the sample)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
from ambi_helpers import REPO, SAMPLE_KEYPOINTS, SAMPLE_VIDEO

BATCH = REPO / "ambiblend" / "batch.py"


def _run(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BATCH), "--", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def _cut(dst, first: int, n: int, scale: float = 0.5):
    """Frames [first, first + n) of the sample at ``scale`` as an .mp4."""
    cap = cv2.VideoCapture(str(SAMPLE_VIDEO))
    cap.set(cv2.CAP_PROP_POS_FRAMES, first)
    out = None
    for _ in range(n):
        ok, bgr = cap.read()
        assert ok
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if out is None:
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, bgr.shape[1::-1])
        out.write(bgr)
    out.release()
    cap.release()


def _lines(text: str, out) -> list[str]:
    """Progress and summary lines, timings and the output folder removed."""
    return [re.sub(r"\(\d+\.\d s\)$", "(t)", line.replace(str(out), "OUT")) for line in text.splitlines()
            if line.startswith(("[1/", "[2/", "[3/", "[4/", "[5/", "  ", "ambiblend batch:"))]


def test_jobs_give_the_files_and_status_of_one_job(tmp_path, weights_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name, first in (("a", 0), ("b", 30), ("c", 60)):
        _cut(clips / f"{name}.mp4", first, 30)
    shutil.copy(SAMPLE_KEYPOINTS, clips)
    (clips / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    runs = {}
    for jobs in (1, 3):
        out = tmp_path / f"out{jobs}"
        runs[jobs] = _run("--input", clips, "--output", out, "--weights", weights_path, "--jobs", jobs,
                          "--formats", "npz,bvh", cwd=tmp_path)
    one, three = runs[1], runs[3]
    assert one.returncode == three.returncode == 1          # the broken clip fails in both
    out1, out3 = tmp_path / "out1", tmp_path / "out3"
    assert _lines(one.stdout, out1) == _lines(three.stdout, out3) and len(_lines(one.stdout, out1)) == 4
    assert _lines(one.stderr, out1) == _lines(three.stderr, out3) and len(_lines(one.stderr, out1)) == 3
    assert "[3/5] broken.mp4: FAILED: Could not open broken.mp4 as a video" in three.stderr
    names = sorted(p.name for p in (tmp_path / "out1").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "out3").iterdir())
    assert len([n for n in names if n.endswith(".npz")]) == 4
    for name in names:
        a, b = tmp_path / "out1" / name, tmp_path / "out3" / name
        if name.endswith(".npz"):
            with np.load(a) as x, np.load(b) as y:
                assert sorted(x.files) == sorted(y.files)
                for key in x.files:
                    if x[key].dtype.kind == "f":
                        np.testing.assert_allclose(x[key], y[key], rtol=0, atol=1e-6)
                    else:
                        assert np.array_equal(x[key], y[key]), key
        else:
            assert a.read_bytes() == b.read_bytes(), name    # BVH text: the same keys


def test_jobs_refused_below_one(tmp_path):
    result = _run("--input", SAMPLE_KEYPOINTS, "--output", tmp_path / "out", "--jobs", 0, cwd=tmp_path)
    assert result.returncode == 2 and "--jobs must be at least 1, got 0" in result.stderr

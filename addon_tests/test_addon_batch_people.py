"""batch --person on clips with two men (real MediaPipe on frames of the bundled sample):
``all`` writes one armature per person where they stand, ``index N`` one person, a number that
names nobody fails that clip with the list, per-person files are never silently overwritten."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from ambi_helpers import REPO

sys.path.insert(0, str(REPO / "tests"))
import multi_person as mp  # noqa: E402

from ambiblend.core.skeleton import FEET, ROOT  # noqa: E402

BATCH = REPO / "ambiblend" / "batch.py"


def _run(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BATCH), "--", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """The two-men video, and its detection as an npz of (T, P, 17, 2) + conf (another detector's
    file with several people)."""
    from ambiblend.core.detect import detect_people
    folder = tmp_path_factory.mktemp("clips")
    clip = mp.view(0, 20, 0.5)
    video = mp.side_by_side(folder / "two.mp4", [clip, mp.mirrored(clip)])
    people = detect_people(video)
    assert people.count == 2
    np.savez(folder / "pair.npz", xy=people.xy.transpose(1, 0, 2, 3), conf=people.conf.transpose(1, 0, 2),
             fps=people.fps, image_size=np.array(people.image_size))
    return video, folder / "pair.npz"


def test_all_gives_one_file_per_person_where_they_stand(clips, tmp_path, weights_path):
    _, pair = clips
    out = tmp_path / "out"
    result = _run("--input", pair, "--output", out, "--weights", weights_path, "--person", "all",
                  "--formats", "fbx,npz", "--blend", "--jobs", 1, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pair.npz: person 1 of 2 found" in result.stdout and "pair.npz: person 2 of 2 found" in result.stdout
    line = next(l for l in result.stdout.splitlines() if l.startswith("[1/1]"))
    assert "pair_person1.fbx, pair_person1.npz, pair_person2.fbx, pair_person2.npz, pair.blend" in line
    for n in (1, 2):
        assert (out / f"pair_person{n}.fbx").stat().st_size > 10_000
    left, right = (np.load(out / f"pair_person{n}.npz")["joints"] for n in (1, 2))
    assert (left[:, ROOT, 0] < right[:, ROOT, 0] - 0.5).all()      # apart in X, as in the image
    for j in (left, right):                                        # one ground: soles on z = 0
        assert abs(j[:, list(FEET), 2].min() - 0.066) < 0.02

    again = _run("--input", pair, "--output", out, "--weights", weights_path, "--person", "all",
                 "--formats", "fbx,npz", cwd=tmp_path)                # the per-person files exist
    assert again.returncode == 1
    assert "4 output files already exist" in again.stderr and "pair_person1.fbx" in again.stderr


def test_index_on_the_video_and_bad_choices(clips, tmp_path, weights_path):
    video, pair = clips
    out = tmp_path / "out"
    result = _run("--input", video, "--output", out, "--weights", weights_path, "--person", "index", 2,
                  "--formats", "npz", "--jobs", 1, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "two.mp4: person 2 of 2 found" in result.stdout
    second = np.load(out / "two.npz")["joints"]
    assert second.shape == (20, 17, 3) and not np.load(out / "two.npz")["filled"].any()

    result = _run("--input", pair, "--output", out, "--weights", weights_path, "--person", "index", 3,
                  cwd=tmp_path)
    assert result.returncode == 1
    assert "pair.npz: FAILED: pair.npz: there is no person 3; 2 people were found: person 1: seen in 20 of 20 " \
           "frames" in result.stderr
    assert not (out / "pair.fbx").exists()
    result = _run("--input", pair, "--output", out, "--person", "tallest", cwd=tmp_path)
    assert result.returncode == 2 and "--person: Unknown person choice 'tallest'" in result.stderr

"""Issue 15 through the batch script, run as a user would (subprocess, the bpy module): outputs
are never overwritten unless asked, clips sharing a stem keep both results, a bad clip is
reported and the next one still runs, the output folder and the flags are checked before any
detection — each with its message, and with every file that was there left as it was."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from ambi_helpers import REPO, SAMPLE_KEYPOINTS, SAMPLE_VIDEO

BATCH = REPO / "ambiblend" / "batch.py"


def _run(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BATCH), "--", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def _snapshot(folder: Path) -> dict:
    """Every file under folder → (bytes, mtime_ns, inode): what 'nothing lost or changed' compares."""
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_existing_outputs_are_refused_until_overwrite(tmp_path, weights_path):
    # Case 2: a second run replaced walk.fbx silently.
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(SAMPLE_KEYPOINTS, clips / "walk.npz")
    out = tmp_path / "out"
    first = _run("--input", clips, "--output", out, "--weights", weights_path, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = _snapshot(tmp_path)
    for formats in ("fbx", "npz,fbx"):   # one of the outputs exists: nothing at all is written
        again = _run("--input", clips, "--output", out, "--weights", weights_path, "--formats", formats, cwd=tmp_path)
        assert again.returncode == 1
        assert (f"ambiblend batch: error: 1 output file already exists in {out}: walk.fbx. Nothing was "
                "processed; pass --overwrite to replace them, or choose another --output.") in again.stderr
        assert "[1/1]" not in again.stdout and "Traceback" not in again.stderr
        assert _snapshot(tmp_path) == before
    replaced = _run("--input", clips, "--output", out, "--weights", weights_path, "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "walk.fbx").stat().st_mtime_ns != before[Path("out/walk.fbx")][1]
    # An input is never an output, --overwrite or not.
    inplace = _run("--input", clips, "--output", clips, "--weights", weights_path, "--formats", "npz",
                   "--overwrite", cwd=tmp_path)
    assert inplace.returncode == 1
    assert f"error: The output {clips / 'walk.npz'} would overwrite an input clip" in inplace.stderr
    assert (clips / "walk.npz").read_bytes() == SAMPLE_KEYPOINTS.read_bytes()


def test_clips_sharing_a_stem_keep_both_results(tmp_path, weights_path):
    # Case 3: walk.mp4 and walk.npz both wrote walk.fbx ("2 clips done", one result lost).
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(SAMPLE_VIDEO, clips / "walk.mp4")
    shutil.copy(SAMPLE_KEYPOINTS, clips / "walk.npz")
    out = tmp_path / "out"
    result = _run("--input", clips, "--output", out, "--weights", weights_path, "--formats", "fbx,npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines[0].startswith(f"[1/2] walk.mp4 -> {out}/{{walk_mp4.fbx, walk_mp4.npz}} (")
    assert lines[1].startswith(f"[2/2] walk.npz -> {out}/{{walk_npz.fbx, walk_npz.npz}} (")
    assert sorted(p.name for p in out.iterdir()) == ["walk_mp4.fbx", "walk_mp4.npz", "walk_npz.fbx", "walk_npz.npz"]
    video, keypoints = (np.load(out / f"walk_{k}.npz")["joints"] for k in ("mp4", "npz"))
    assert video.shape[1:] == keypoints.shape[1:] == (17, 3)   # two results, both kept


def test_bad_clips_are_reported_and_later_clips_still_run(tmp_path, weights_path):
    # Cases 4 and 5 in a folder batch: a traceback used to stop every later clip.
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(SAMPLE_KEYPOINTS, clips / "a_good.npz")
    (clips / "b_bad.json").write_text(json.dumps({"people": [5, "x"]}))
    shutil.copy(SAMPLE_KEYPOINTS, clips / "c_good.npz")
    data = SAMPLE_KEYPOINTS.read_bytes()
    (clips / "d_truncated.npz").write_bytes(data[: len(data) // 2])
    inputs = _snapshot(clips)
    out = tmp_path / "out"
    result = _run("--input", clips, "--output", out, "--weights", weights_path, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("[2/4] b_bad.json: FAILED: b_bad.json: each entry of 'people' must be an object with "
            "'pose_keypoints_2d', got 5.") in result.stderr
    assert "[4/4] d_truncated.npz: FAILED: d_truncated.npz is not a readable .npz file (damaged or truncated" \
        in result.stderr
    summary = result.stderr[result.stderr.index("ambiblend batch: error: 2 of 4 clips failed:"):].splitlines()
    assert summary[1].startswith("  b_bad.json: b_bad.json: each entry of 'people'")
    assert summary[2].startswith("  d_truncated.npz: d_truncated.npz is not a readable .npz file")
    assert "[3/4] c_good.npz -> " in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["a_good.fbx", "c_good.fbx"]
    assert _snapshot(clips) == inputs


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder that exists but takes no file: chmod 555 for a user; root ignores modes, /sys not."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:
        folder = Path("/sys")
    try:
        tempfile.NamedTemporaryFile(dir=folder).close()
    except OSError:
        return folder
    pytest.skip(f"no unwritable folder on this machine ({folder} takes files)")


def test_output_folder_is_checked_before_detection(tmp_path, weights_path):
    # Case 6: an unwritable folder was found after detection and lifting, as a RuntimeError.
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(SAMPLE_VIDEO, clips / "walk.mp4")
    a_file = tmp_path / "taken.txt"
    a_file.write_text("mine")
    locked = _unwritable_folder(tmp_path)
    before = _snapshot(tmp_path)
    for output, message in ((locked, f"error: The output folder {locked} is not writable: Permission denied."),
                            (a_file, f"error: The output {a_file} is a file, not a folder."),
                            (a_file / "sub", f"error: Cannot create the output folder {a_file / 'sub'}: Not a directory.")):
        result = _run("--input", clips, "--output", output, "--weights", weights_path, cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "[1/1]" not in result.stdout + result.stderr and "Traceback" not in result.stderr  # nothing detected
        assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("flag, value, message", [
    # Cases 7 and 8: nan crashed (LinAlgError), 99 / -5 were clamped, 0 became 28 mm.
    ("--smoothness", "nan", "--smoothness must be between 0 and 1, got nan"),
    ("--smoothness", "99", "--smoothness must be between 0 and 1, got 99"),
    ("--smoothness", "-5", "--smoothness must be between 0 and 1, got -5"),
    ("--focal", "0", "--focal must be between 5 and 300 mm, got 0"),
    ("--focal", "inf", "--focal must be between 5 and 300 mm, got inf"),
    ("--height", "17", "--height must be between 0.3 and 3 m, got 17"),
])
def test_flags_out_of_range_are_refused(tmp_path, flag, value, message):
    out = tmp_path / "out"
    result = _run("--input", SAMPLE_KEYPOINTS, "--output", out, flag, value, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not out.exists()


def test_exporter_failure_is_an_ambiblend_error(tmp_path):
    # Case 6, the other half: Blender's exporter raised a RuntimeError with its own traceback.
    import bpy
    from ambiblend.blender.armature import bake_motion
    from ambiblend.blender.export import export_bvh, export_fbx, export_gltf
    from ambiblend.core.errors import AmbiblendError
    from ambiblend.core.pipeline import Motion
    from tests.walk_motion import walk
    joints, _ = walk(10)
    motion = Motion(joints=joints, fps=30.0, scale=np.ones(10), conf=np.ones((10, 17)),
                    filled=np.zeros(10, bool), source="walk", meters_per_unit=1.0)
    obj, _ = bake_motion(bpy.context, motion, "walk")
    locked = _unwritable_folder(tmp_path)
    for export, name in ((export_fbx, "walk.fbx"), (export_bvh, "walk.bvh"), (export_gltf, "walk.glb")):
        with pytest.raises(AmbiblendError, match="Export failed: .*Permission denied"):
            export(obj, locked / name)
        assert not (locked / name).exists()


def test_output_stems_are_distinct_also_ignoring_case():
    from ambiblend.batch import output_stems
    clips = [Path("c/Walk.mp4"), Path("c/walk"), Path("c/walk.npz"), Path("c/walk_mp4.npz"), Path("c/run.json")]
    assert list(output_stems(clips).values()) == ["Walk_mp4", "walk_frames", "walk_npz", "walk_mp4_2", "run"]

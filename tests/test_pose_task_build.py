"""tools/build_pose_task.py: rebuilds the bundled .task byte for byte from the mediapipe 0.10.21
wheel, and says what is needed where that wheel is not there."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "build_pose_task.py"
BUNDLED = REPO / "assets" / "mediapipe" / "pose_landmarker_full.task"
BLOCK_MEDIAPIPE = (
    "import runpy, sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'mediapipe': raise ImportError(name)\n"
    "sys.meta_path.insert(0, Block())\n"
    "sys.argv = ['build_pose_task.py', '--out', sys.argv[1]]\n"
    "runpy.run_path({script!r}, run_name='__main__')\n")


def run_script(*args, code=None):
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_rebuild_gives_the_bundled_bytes_or_says_which_mediapipe(tmp_path):
    mediapipe = pytest.importorskip("mediapipe")
    out = run_script("--out", str(tmp_path / "pose.task"))
    if mediapipe.__version__ == "0.10.21":
        assert out.returncode == 0, out.stderr
        assert (tmp_path / "pose.task").read_bytes() == BUNDLED.read_bytes()
        assert "sha256 d05bafbd" in out.stdout
    else:                                  # 1.x has no model files to build from
        assert out.returncode != 0 and not (tmp_path / "pose.task").exists()
        assert f"mediapipe 0.10.21 is needed, found {mediapipe.__version__}" in out.stderr


def test_without_mediapipe_the_script_says_what_to_run(tmp_path):
    out = run_script(str(tmp_path / "pose.task"), code=BLOCK_MEDIAPIPE.format(script=str(SCRIPT)))
    assert out.returncode != 0 and not (tmp_path / "pose.task").exists()
    assert "build_pose_task: mediapipe 0.10.21 is needed (its wheel holds the pose models) but it cannot be " \
           "imported" in out.stderr
    assert ".venv/bin/python tools/build_pose_task.py" in out.stderr

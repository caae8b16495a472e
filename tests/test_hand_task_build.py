"""tools/build_hand_task.py: rebuilds the bundled hand .task byte for byte from the mediapipe
0.10.21 wheel (shared bundling code with the pose bundle), and says what is needed elsewhere."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "build_hand_task.py"
BUNDLED = REPO / "assets" / "mediapipe" / "hand_landmarker.task"


def test_rebuild_gives_the_bundled_bytes_or_says_which_mediapipe(tmp_path):
    mediapipe = pytest.importorskip("mediapipe")
    out = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "hand.task")], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    if mediapipe.__version__ == "0.10.21":
        assert out.returncode == 0, out.stderr
        assert (tmp_path / "hand.task").read_bytes() == BUNDLED.read_bytes()
        assert "sha256 65322b8c" in out.stdout
    else:                                  # 1.x has no model files to build from
        assert out.returncode != 0 and not (tmp_path / "hand.task").exists()
        assert f"build_hand_task: mediapipe 0.10.21 is needed, found {mediapipe.__version__}" in out.stderr

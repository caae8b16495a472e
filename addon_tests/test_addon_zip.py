"""The release zips: one per platform, each self-contained for Blender 5.0-5.2.

- Each platform zip carries exactly its platform's pinned wheels (both Pythons where the wheel
  is CPython-specific), the .task bundle and the numpy weights, and no torch, scipy or
  training checkpoint.
- A zip for another platform is refused by Blender itself, with a message naming both
  platforms, and nothing is installed.
- The linux-x64 zip, installed into an empty user folder of a Python that holds only ``bpy``
  (``.venv313-bare`` for Blender 5.2 in the .venv313 suite, ``.venv-bare`` for Blender 5.0 in the
  .venv suite), lifts the bundled video with the zip's own MediaPipe and OpenCV, exports FBX
  and re-imports it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from ambi_helpers import FETCH_WHEELS, REPO, SAMPLE_KEYPOINTS, SAMPLE_VIDEO, this_platform

from ambiblend.core.skeleton import clip_height

# This suite's Blender → a Python with that bpy and nothing else (tools/setup.sh makes both).
BARE = {(3, 11): ("5.0", REPO / ".venv-bare"), (3, 13): ("5.2", REPO / ".venv313-bare")}
E2E_SCRIPT = Path(__file__).with_name("zip_e2e_script.py")


def _fetch_wheels():
    spec = importlib.util.spec_from_file_location("fetch_wheels", FETCH_WHEELS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_platform_zip_carries_its_wheels_and_nothing_else(platform_zips):
    fw = _fetch_wheels()
    lock = fw.read_lock()
    manifest = tomllib.loads((REPO / "blender_manifest.toml").read_text())
    assert sorted(platform_zips) == sorted(manifest["platforms"]) == sorted(fw.PLATFORMS)
    for platform, path in platform_zips.items():
        z = zipfile.ZipFile(path)
        names = z.namelist()
        wheels = sorted(n.removeprefix("wheels/") for n in names if n.startswith("wheels/"))
        assert wheels == sorted(n for n in lock if platform in fw.wheel_platforms(n)), platform
        # CPython-specific wheels for Blender 5.0 (3.11) and 5.1/5.2 (3.13) side by side.
        for dist in ("matplotlib", "pillow", "kiwisolver"):
            assert {w.split("-")[2] for w in wheels if w.startswith(dist + "-")} == {"cp311", "cp313"}, dist
        assert any(w.startswith("mediapipe-1.2.3-py3-none-") for w in wheels)
        assert not any(w.split("-")[0].lower() in {"torch", "scipy", "numpy", "jax", "jaxlib"} for w in wheels)
        assert "assets/model.safetensors" in names and "assets/mediapipe/pose_landmarker_full.task" in names
        assert "assets/model.pt" not in names                   # training checkpoint (torch pickle)
        shipped = tomllib.loads(z.read("blender_manifest.toml").decode())
        assert shipped["build"]["generated"]["platforms"] == [platform]
        assert "network" not in shipped.get("permissions", {})
        assert all(n.startswith("wheels/") for n in names if n.endswith(".whl"))


def test_zip_for_another_platform_is_refused_by_blender(platform_zips, tmp_path):
    """Blender checks the zip's platform before unpacking: its error names this machine's
    platform and the zip's, and nothing of the add-on is installed or enabled."""
    other = next(p for p in platform_zips if p != this_platform())
    user = tmp_path / "user"
    script = (
        "import os, sys\n"
        f"os.environ['BLENDER_USER_RESOURCES'] = {str(user)!r}\n"
        "import bpy\n"
        f"r = bpy.ops.extensions.package_install_files(filepath={str(platform_zips[other])!r}, "
        "repo='user_default', enable_on_install=True)\n"
        "print('ADDONS', sorted(a.module for a in bpy.context.preferences.addons if 'ambiblend' in a.module))\n")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout + done.stderr
    assert f"ambiblend: This platform ({this_platform()}) isn't one of ({other})" in text, text[-2000:]
    assert "ADDONS []" in text
    assert not (user / "extensions" / "user_default" / "ambiblend").exists()
    site = user / "extensions" / ".local"
    assert not site.exists() or not any(site.rglob("mediapipe"))


def _run_zip_in_bare_blender(python: Path, zip_path: Path, work: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work)}
    done = subprocess.run([str(python), "-I", str(E2E_SCRIPT), str(zip_path), str(work)], cwd=work,
                          env=env, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout[-3000:] + "\n" + done.stderr[-5000:])
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.mark.skipif(sys.version_info[:2] not in BARE, reason="no bpy-only Python for this Python version")
def test_zip_alone_lifts_exports_and_reimports_in_a_bpy_only_python(extension_zip, tmp_path):
    version, venv = BARE[sys.version_info[:2]]
    python = venv / "bin" / "python"
    if not python.is_file():
        pytest.fail(f"no {venv.name} (a Python with only bpy {version}): run bash tools/setup.sh")
    bare = subprocess.run([str(python), "-I", "-c", "import importlib.util as u; "
                           "print([m for m in ('mediapipe', 'cv2', 'matplotlib', 'torch') if u.find_spec(m)])"],
                          capture_output=True, text=True, timeout=60)
    assert bare.stdout.strip() == "[]", bare.stdout + bare.stderr     # so everything below is the zip's
    r = _run_zip_in_bare_blender(python, extension_zip, tmp_path)

    assert r["python"] == list(sys.version_info[:2]) and r["blender"].startswith(version)
    assert r["install"] == ["FINISHED"] and r["enabled"] and r["video_in_zip"]
    # MediaPipe, OpenCV and matplotlib came from the zip's unpacked wheels; numpy is Blender's.
    site = r["site_packages"]
    for name in ("mediapipe", "cv2", "matplotlib", "PIL"):
        assert r["modules"][name] and r["modules"][name].startswith(site + os.sep), (name, r["modules"][name])
    assert not r["modules"]["numpy"].startswith(site)
    assert r["versions"] == {"mediapipe": "1.2.3", "cv2": "4.11.0"}
    assert r["modules"]["torch"] is None and not r["torch_importable"] and r["modules"]["scipy"] is None

    # The detector from the zip finds the person on every frame, where the bundled keypoints are.
    reference = np.load(SAMPLE_KEYPOINTS)["xy"]
    detected = np.array(r["detected_xy"])
    assert detected.shape == reference.shape == (100, 17, 2) and r["detected_filled"] == 0
    err = np.linalg.norm(detected - reference, axis=-1)
    assert np.median(err) < 2.0 and np.percentile(err, 95) < 8.0, (np.median(err), np.percentile(err, 95))

    # Lift Video keyed one key per frame of the clip, at the clip's rate.
    import cv2
    cap = cv2.VideoCapture(str(SAMPLE_VIDEO))
    n, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert r["lift"] == ["FINISHED"] and r["object_type"] == "ARMATURE"
    assert r["scene_range"] == [1, n] and abs(r["fps"] - fps) < 1e-6
    assert r["fcurves"] >= 17 * 3 and r["keys_per_fcurve"] == [n] and r["key_range"] == [1.0, float(n)]
    joints = np.array(r["joints"])                           # (n, 17, 3) world, metres, Z up
    assert joints.shape == (n, 17, 3) and np.isfinite(joints).all()
    assert abs(clip_height(joints) - 1.70) < 0.05, clip_height(joints)   # the default subject height
    assert 0.0 < joints[:, [3, 6], 2].min() < 0.15                      # ankles just above the ground
    assert np.linalg.norm(joints - joints[:1], axis=-1).max() > 0.05   # it moves: not a frozen pose

    # FBX export, re-imported into an empty scene: same bones, same keys, same joint positions.
    assert r["export"] == ["FINISHED"] and r["fbx_bytes"] > 10_000
    assert r["imported_armatures"] == 1 and r["imported_bones"] == r["bones"]
    assert r["imported_key_range"] == [1.0, float(n)]
    fbx_err = np.linalg.norm(np.array(r["imported_joints"]) - joints, axis=-1)
    assert fbx_err.max() < 0.01, fbx_err.max()            # 1 cm, as the in-process FBX test

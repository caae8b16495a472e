"""tools/fetch_wheels.py is the one source of the bundled wheels: the lock covers every pin on
every platform (and both Pythons for CPython wheels), the manifest lists exactly the lock's
files, and the Blender 5.2 test environment runs the same versions as the zip. Offline: reads
the committed files only (the download itself is exercised by tools/setup.sh and the zip tests)."""
from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _fetch_wheels():
    spec = importlib.util.spec_from_file_location("fetch_wheels", REPO / "tools" / "fetch_wheels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lock_covers_every_pin_platform_and_python():
    fw = _fetch_wheels()
    lock = fw.read_lock()
    assert lock and fw.check_complete(lock) == []
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in lock.values())
    # Nothing in the lock that no pin asked for (no torch, scipy or numpy: Blender has numpy).
    dists = {re.sub(r"[-_.]+", "_", r.split("==")[0]).lower() for r in fw.PINS}
    assert {n.split("-")[0].lower() for n in lock} == dists
    assert not dists & {"torch", "scipy", "numpy"}
    # A gap is reported, not silently zipped: drop the Windows Python 3.13 matplotlib wheel.
    gap = [n for n in lock if not (n.startswith("matplotlib-") and "cp313" in n and "win" in n)]
    assert any("matplotlib" in p and "windows-x64" in p for p in fw.check_complete(gap))


def test_manifest_lists_the_lock_and_asks_for_no_network():
    fw = _fetch_wheels()
    text = (REPO / "blender_manifest.toml").read_text()
    manifest = tomllib.loads(text)
    assert manifest["wheels"] == [f"./wheels/{n}" for n in sorted(fw.read_lock())]
    assert manifest["platforms"] == list(fw.PLATFORMS)
    assert fw.manifest_text(text, list(fw.read_lock())) == text
    assert "network" not in manifest["permissions"]
    assert "/assets/model.pt" in manifest["build"]["paths_exclude_pattern"]


def test_blender_5_2_test_env_pins_the_zips_versions():
    fw = _fetch_wheels()
    pins = {}
    for name in ("requirements-313.txt", "requirements-313-bare.txt"):
        for line in (REPO / name).read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                dist, version = line.split("#")[0].strip().split("==")
                pins[re.sub(r"[-_.]+", "-", dist).lower()] = version
    for req in fw.PINS:
        dist, version = req.split("==")
        assert pins.get(re.sub(r"[-_.]+", "-", dist).lower()) == version, req
    assert "torch" not in pins and "bpy" in pins and pins["bpy"].startswith("5.2")

"""Download the wheels the extension bundles, check their hashes, and list them in the manifest.

The extension zip must run on a bare Blender 5.0-5.2 (Python 3.11 on 5.0, 3.13 on 5.1 and 5.2)
with nothing else to install. Blender supplies numpy; these pins supply the rest: MediaPipe's
Tasks API (the detector), OpenCV (video decoding) and what ``import mediapipe`` itself imports
(``mediapipe.tasks.python.vision`` imports ``drawing_utils``, which imports
``matplotlib.pyplot``; matplotlib in turn imports pillow, kiwisolver, fonttools, cycler,
pyparsing, packaging and dateutil; ``BaseOptions`` imports certifi). Nothing else is needed:
checked by importing and running ``PoseLandmarker`` in Pythons that hold only these, on 3.11 +
numpy 1.26 and 3.13 + numpy 2.5 (absl-py, flatbuffers, sounddevice, contourpy, six and the
opencv-contrib build that mediapipe declares are never imported on that path). No torch, no scipy.

``PINS`` below is the one place the versions live. Each run:

1. downloads every pinned wheel for every platform (and, for CPython-specific wheels, every
   Python) into ``wheels/`` (git-ignored) with ``pip download --only-binary :all: --no-deps``,
   skipping pip entirely when every file listed in ``tools/wheels.lock`` is already there;
2. checks each file's SHA-256 against ``tools/wheels.lock`` (``--relock`` rewrites the lock
   after a pin changes);
3. writes the ``platforms = [...]`` and ``wheels = [...]`` lists of ``blender_manifest.toml``.

    python tools/fetch_wheels.py            # fetch what is missing, verify, update the manifest
    python tools/fetch_wheels.py --check    # offline: files present with their hashes, manifest current
    python tools/fetch_wheels.py --relock   # after editing PINS: download again, rewrite the lock

Then ``blender_ext.py build --split-platforms`` makes one zip per platform (README).

Intel Macs (``macos-x64``) are not a platform: Blender 5.0 and later have no Intel macOS build
(PyPI's ``bpy`` has no ``macosx_*_x86_64`` wheel from 5.0.0 on), and no MediaPipe that supports
Python 3.13 has an Intel macOS wheel either.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHEELS = REPO / "wheels"
LOCK = REPO / "tools" / "wheels.lock"
MANIFEST = REPO / "blender_manifest.toml"

# Blender platform → the pip platform tags to download for. pip widens a macOS tag to older
# releases (11-14 under 14_0) but not a manylinux one, hence the list. glibc 2.28 as bpy's own
# wheels; macOS 14 because OpenCV 4.11's arm64 wheel needs macOS 13 or later.
PLATFORMS = {
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64",),
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
}
# Blender 5.0 bundles Python 3.11; 5.1 and 5.2 bundle 3.13. Blender's installer unpacks only the
# wheels whose Python tag matches the running Python, so one zip carries both.
PYTHONS = ("3.11", "3.13")

# requirement → kind. "platform": one wheel per platform for every Python 3 (py3-none / abi3);
# "cpython": one per platform and Python version; "pure": one py3-none-any wheel for all.
PINS = {
    "mediapipe==1.2.3": "platform",                  # py3-none-<os>: works on 3.11 + numpy 1.26 too
    "opencv-python-headless==4.11.0.86": "platform",  # cp37-abi3; numpy 1.x and 2.x
    "matplotlib==3.11.2": "cpython",
    "pillow==13.0.0": "cpython",
    "kiwisolver==1.5.1": "cpython",
    "certifi==2026.10.19.post1": "pure",
    "cycler==0.12.1": "pure",
    "fonttools==4.68.0": "pure",                     # its pure wheel: the C speed-ups are optional
    "packaging==26.4": "pure",
    "pyparsing==3.3.3": "pure",
    "python-dateutil==4.0.0": "pure",
}


def pip_download_calls() -> list[list[str]]:
    """The ``pip download`` argument lists that fetch every pinned wheel (destination added later)."""
    base = ["download", "--only-binary", ":all:", "--no-deps", "--disable-pip-version-check", "-q"]
    by_kind = {kind: [r for r, k in PINS.items() if k == kind] for kind in ("platform", "cpython", "pure")}
    # Pure wheels once per Python, so that a pin outside either Python's Requires-Python fails.
    calls = [base + ["--platform", "any", "--implementation", "py", "--python-version", version,
                     "--abi", "none", *by_kind["pure"]] for version in PYTHONS]
    for tags in PLATFORMS.values():
        platform = [arg for tag in tags for arg in ("--platform", tag)]
        for version in PYTHONS:  # the same files for both; asking twice checks Requires-Python
            abi = "cp" + version.replace(".", "")
            calls.append(base + [*platform, "--implementation", "cp", "--python-version", version,
                                 "--abi", "abi3", "--abi", "none", *by_kind["platform"]])
            calls.append(base + [*platform, "--implementation", "cp", "--python-version", version,
                                 "--abi", abi, *by_kind["cpython"]])
    return calls


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_lock() -> dict[str, str]:
    """``tools/wheels.lock``: filename → sha256 (``sha256sum`` format)."""
    if not LOCK.is_file():
        return {}
    out = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            out[name] = digest
    return out


def write_lock(hashes: dict[str, str]) -> None:
    lines = ["# sha256 of every wheel the extension bundles; written by tools/fetch_wheels.py --relock"]
    lines += [f"{hashes[name]}  {name}" for name in sorted(hashes)]
    LOCK.write_text("\n".join(lines) + "\n")


def wheel_platforms(name: str) -> list[str]:
    """The Blender platforms a wheel file serves (all of them for a pure wheel)."""
    tag = name[:-4].split("-")[-1]
    if tag == "any":
        return list(PLATFORMS)
    arch = {"win_amd64": "windows-x64", "arm64": "macos-arm64", "universal2": "macos-arm64",
            "x86_64": "linux-x64"}
    for suffix, platform in arch.items():
        if tag.endswith(suffix) and (platform != "linux-x64" or "linux" in tag):
            return [platform]
    raise ValueError(f"wheel for no platform of ours: {name}")


def download_all() -> dict[str, Path]:
    """Run every ``pip download`` into a scratch folder → filename → downloaded path."""
    scratch = Path(tempfile.mkdtemp(prefix="ambiblend-wheels-"))
    for call in pip_download_calls():
        done = subprocess.run([sys.executable, "-m", "pip", *call, "-d", str(scratch)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            sys.exit(f"fetch_wheels: pip download failed ({' '.join(call[9:])}):\n{tail}")
    return {p.name: p for p in scratch.glob("*.whl")}


def check_complete(names) -> list[str]:
    """Problems with a wheel set: a pin missing for some platform/Python → list of messages."""
    problems = []
    names = list(names)
    for req, kind in PINS.items():
        dist = re.sub(r"[-_.]+", "_", req.split("==")[0]).lower()
        version = req.split("==")[1]
        mine = [n for n in names if n.lower().startswith(f"{dist}-{version}-")]
        for platform in PLATFORMS:
            here = [n for n in mine if platform in wheel_platforms(n)]
            pythons = {n.split("-")[2] for n in here}
            wanted = {"cp" + v.replace(".", "") for v in PYTHONS} if kind == "cpython" else None
            if not here or (wanted and not wanted <= pythons):
                problems.append(f"{req}: no wheel for {platform}"
                                + (f" (have {sorted(pythons)}, need {sorted(wanted)})" if wanted else ""))
    return problems


def manifest_text(text: str, names: list[str]) -> str:
    """``blender_manifest.toml`` with its ``platforms`` and ``wheels`` lists set from ``names``."""
    platforms = "platforms = [" + ", ".join(f'"{p}"' for p in PLATFORMS) + "]"
    wheels = "wheels = [\n" + "".join(f'  "./wheels/{n}",\n' for n in sorted(names)) + "]"
    for key, value in (("platforms", platforms), ("wheels", wheels)):
        pattern = re.compile(rf"^{key} = \[.*?\]$", re.M | re.S)
        if not pattern.search(text):
            raise SystemExit(f"fetch_wheels: blender_manifest.toml has no '{key} = [...]' line to update")
        text = pattern.sub(lambda _m: value, text, count=1)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="verify only (offline), change nothing")
    group.add_argument("--relock", action="store_true", help="re-download and rewrite tools/wheels.lock")
    args = parser.parse_args(argv)

    lock = read_lock()
    if not lock and not args.relock:
        sys.exit("fetch_wheels: tools/wheels.lock is missing; run with --relock to create it")
    present = {n: WHEELS / n for n in lock if (WHEELS / n).is_file()}
    if args.check:
        problems = [f"missing: wheels/{n}" for n in lock if n not in present]
        problems += [f"hash mismatch: wheels/{n}" for n, p in present.items() if sha256(p) != lock[n]]
        problems += check_complete(lock)
        if MANIFEST.read_text() != manifest_text(MANIFEST.read_text(), list(lock)):
            problems.append("blender_manifest.toml's wheels/platforms differ from tools/wheels.lock "
                            "(run python tools/fetch_wheels.py)")
        for p in problems:
            print("fetch_wheels:", p, file=sys.stderr)
        return 1 if problems else 0

    if args.relock or len(present) < len(lock) or any(sha256(p) != lock[n] for n, p in present.items()):
        downloaded = download_all()
        problems = check_complete(downloaded)
        if problems:
            sys.exit("fetch_wheels: " + "; ".join(problems))
        hashes = {n: sha256(p) for n, p in downloaded.items()}
        if not args.relock:
            if set(hashes) != set(lock):
                sys.exit("fetch_wheels: the pins give other files than tools/wheels.lock lists "
                         f"(new: {sorted(set(hashes) - set(lock))}, gone: {sorted(set(lock) - set(hashes))}); "
                         "run with --relock if you changed PINS")
            bad = [n for n in hashes if hashes[n] != lock[n]]
            if bad:
                sys.exit(f"fetch_wheels: SHA-256 differs from tools/wheels.lock for {bad}")
        WHEELS.mkdir(exist_ok=True)
        for name, path in downloaded.items():
            shutil.move(str(path), WHEELS / name)
        shutil.rmtree(next(iter(downloaded.values())).parent, ignore_errors=True)
        if args.relock:
            write_lock(hashes)
            lock = hashes
    stale = sorted(p.name for p in WHEELS.glob("*.whl") if p.name not in lock)
    for name in stale:  # the build would otherwise not see them, but keep wheels/ what the lock says
        (WHEELS / name).unlink()
    text = MANIFEST.read_text()
    new = manifest_text(text, list(lock))
    if new != text:
        MANIFEST.write_text(new)
    size = sum((WHEELS / n).stat().st_size for n in lock) / 2**20
    print(f"fetch_wheels: {len(lock)} wheels in wheels/ ({size:.0f} MiB), hashes match tools/wheels.lock, "
          "blender_manifest.toml lists them")
    return 0


if __name__ == "__main__":
    sys.exit(main())

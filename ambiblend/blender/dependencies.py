"""Python packages the add-on needs inside Blender, and a one-click installer for them.

Blender's own Python has numpy but not PyTorch, MediaPipe or OpenCV. They are platform wheels of
hundreds of MB, so the extension does not bundle them: Preferences ▸ Add-ons ▸ AmbiBlend ▸
"Install Dependencies" runs pip once into the extension's private user folder
(``bpy.utils.extension_path_user``), which is put on ``sys.path`` at registration. Nothing is
downloaded at lift time. (The pip ``bpy`` module used by the tests runs in a venv that already
has them, so there this is a no-op.)
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import bpy
from bpy.types import Operator

from .prefs import ADDON_ID

# import name → pip requirement. MediaPipe is installed without its dependencies: they would
# pull a second OpenCV and jax; these are the ones its legacy Pose solution needs.
REQUIREMENTS = {
    "torch": "torch",
    "mediapipe": "mediapipe==0.10.21",
    "cv2": "opencv-python-headless<4.12",
    "absl": "absl-py",
    "attr": "attrs",
    "flatbuffers": "flatbuffers",
    "google.protobuf": "protobuf>=4.25.3,<5",
    "matplotlib": "matplotlib",
    "scipy": "scipy",
}
NO_DEPS = ("mediapipe",)


def missing_modules(names=None) -> list[str]:
    """Import names among ``names`` (default: all we need) that this Python cannot import."""
    out = []
    for name in names or REQUIREMENTS:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out


def site_dir(create: bool = False) -> Path | None:
    """The extension's private site-packages, or None outside an installed extension."""
    try:
        return Path(bpy.utils.extension_path_user(ADDON_ID, path="site-packages", create=create))
    except (ValueError, RuntimeError):
        return None  # legacy add-on or run from the repo: packages come from the environment


def add_site_dir() -> None:
    """Make previously installed packages importable (called at registration)."""
    path = site_dir()
    if path is not None and path.is_dir() and str(path) not in sys.path:
        sys.path.append(str(path))


def pip_commands(target: Path, missing: list[str]) -> list[list[str]]:
    """The pip calls that install ``missing`` import names into ``target``."""
    base = [sys.executable, "-m", "pip", "install", "--upgrade", "--target", str(target)]
    reqs = [REQUIREMENTS[m] for m in missing]
    plain = [r for m, r in zip(missing, reqs) if m not in NO_DEPS]
    nodeps = [r for m, r in zip(missing, reqs) if m in NO_DEPS]
    cmds = [base + plain] if plain else []
    if nodeps:
        cmds.append(base + ["--no-deps"] + nodeps)
    return cmds


def requirement_message() -> str | None:
    """A user-facing sentence when something is missing, else None."""
    missing = missing_modules(["torch", "mediapipe", "cv2"])
    if not missing:
        return None
    return ("AmbiBlend needs " + ", ".join(missing) + ": open Preferences ▸ Add-ons ▸ AmbiBlend "
            "and click Install Dependencies (once, needs internet).")


class AMBI_OT_install_dependencies(Operator):
    """Download PyTorch, MediaPipe and OpenCV from PyPI into the add-on's own folder"""
    bl_idname = "ambiblend.install_dependencies"
    bl_label = "Install Dependencies"

    def execute(self, context):
        missing = missing_modules()
        if not missing:
            self.report({"INFO"}, "All dependencies are already installed.")
            return {"FINISHED"}
        target = site_dir(create=True)
        if target is None:
            self.report({"ERROR"}, "Install the packages into this Python yourself: pip install "
                        + " ".join(REQUIREMENTS[m] for m in missing))
            return {"CANCELLED"}
        subprocess.run([sys.executable, "-m", "ensurepip"], capture_output=True)
        for cmd in pip_commands(target, missing):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                self.report({"ERROR"}, "pip failed: " + " | ".join(tail))
                return {"CANCELLED"}
        add_site_dir()
        importlib.invalidate_caches()
        still = missing_modules()
        if still:
            self.report({"ERROR"}, "Installed, but still not importable: " + ", ".join(still)
                        + ". Restart Blender and try again.")
            return {"CANCELLED"}
        self.report({"INFO"}, "Dependencies installed into " + str(target))
        return {"FINISHED"}


def post_register():
    add_site_dir()


classes = (AMBI_OT_install_dependencies,)

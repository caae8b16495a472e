"""Python packages the add-on needs inside Blender, and the message when one is missing.

Nothing is installed at run time. Blender supplies numpy; the platform zip
(``ambiblend-<version>-<platform>.zip``, built with ``blender_ext.py build --split-platforms``
from the wheels ``tools/fetch_wheels.py`` downloads) carries MediaPipe and OpenCV as wheels,
which Blender unpacks into its extensions' site-packages on install, for Python 3.11 (Blender
5.0) and 3.13 (5.1, 5.2). The lifter runs in numpy; torch is used only when it is importable and
CUDA is chosen. So a package can only be missing when the add-on runs from a source checkout
(a zip built without the wheels, or ``bpy`` in a venv): then ``requirement_message`` says what is
missing and that the platform zip carries it.
"""
from __future__ import annotations

import importlib.util

# import name → the package that provides it (the platform zip bundles both).
REQUIREMENTS = {
    "mediapipe": "mediapipe",
    "cv2": "opencv-python-headless",
}


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


def requirement_message() -> str | None:
    """A user-facing sentence when something is missing, else None."""
    missing = missing_modules()
    if not missing:
        return None
    return ("AmbiBlend is missing " + ", ".join(missing) + ". The platform zip carries them: install "
            "ambiblend-<version>-<platform>.zip for this system (windows_x64, macos_arm64 or linux_x64) "
            "with Edit ▸ Preferences ▸ Get Extensions ▸ Install from Disk. From a source checkout: "
            "pip install " + " ".join(REQUIREMENTS[m] for m in missing) + " into Blender's Python.")


classes = ()

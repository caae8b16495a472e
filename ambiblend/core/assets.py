"""Files shipped with the extension (``assets/``), located without importing torch or bpy.

The extension's folder (the one holding ``blender_manifest.toml``) is two levels above this
file; ``assets/`` sits there both in the repo and in the installed extension.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
ASSETS = PACKAGE_ROOT / "assets"
# The add-on's numpy weights; assets/model.pt beside it is the same model as a training
# checkpoint (with Φ_D, for fine-tuning), kept out of the extension zip.
BUNDLED_WEIGHTS = ASSETS / "model.safetensors"
BUNDLED_CHECKPOINT = ASSETS / "model.pt"


def bundled_weights() -> Path:
    """The default model shipped in ``assets/``."""
    return BUNDLED_WEIGHTS

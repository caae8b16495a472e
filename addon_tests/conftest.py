"""Fixtures for the Blender tests (real ``bpy`` module, no mocks).

``BLENDER_USER_RESOURCES`` points at a fresh temporary folder *before* ``bpy`` is imported, so
installing the extension never touches the user's ~/.config/blender. The extension is built
with Blender's own tool and installed once per session; every test starts from an empty
factory scene (which also disables non-default add-ons, so ``addon`` re-enables ours).
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

USER_RESOURCES = tempfile.mkdtemp(prefix="ambiblend-blender-user-")
os.environ["BLENDER_USER_RESOURCES"] = USER_RESOURCES
# The installed extension unpacks its wheels here (~0.5 GB a run): left behind, a hundred runs
# filled the disk and a later CI could not install its venvs. Registered before bpy, so it
# runs after Blender's own exit handlers.
atexit.register(shutil.rmtree, USER_RESOURCES, ignore_errors=True)

import bpy  # noqa: E402
import addon_utils  # noqa: E402,I001  (Blender's module: importable only after bpy)
import pytest  # noqa: E402

if not bpy.utils.resource_path("USER").startswith(USER_RESOURCES):
    # bpy was imported earlier in this process (by a test outside addon_tests): installing the
    # extension now would write into the real user folder, so stop instead.
    raise pytest.UsageError("bpy was imported before addon_tests/conftest.py set BLENDER_USER_RESOURCES; "
                            "run addon_tests in their own process or import bpy only in addon_tests.")
from ambi_helpers import BUNDLED_WEIGHTS, SAMPLE_KEYPOINTS, build_platform_zips, this_platform  # noqa: E402

ADDON = "bl_ext.user_default.ambiblend"


@pytest.fixture(scope="session")
def platform_zips(tmp_path_factory) -> dict[str, Path]:
    """The release zips, one per platform (``build --split-platforms``, with the bundled wheels)."""
    return build_platform_zips(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def extension_zip(platform_zips) -> Path:
    """The zip a user of this machine installs (linux-x64 here)."""
    return platform_zips[this_platform()]


@pytest.fixture(scope="session")
def installed(extension_zip) -> str:
    result = bpy.ops.extensions.package_install_files(filepath=str(extension_zip), repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}
    return ADDON


@pytest.fixture(scope="session")
def weights_path(tmp_path_factory) -> Path:
    """The bundled default model when it exists; until it lands, a small random checkpoint
    written with the same ``save_checkpoint`` (loaded through the same user-facing loader)."""
    if BUNDLED_WEIGHTS.is_file():
        return BUNDLED_WEIGHTS
    import torch
    from ambiblend.core.lift.checkpoint import save_checkpoint
    from ambiblend.core.lift.model import Lifter
    from ambiblend.core.scale.model import ScaleNet
    torch.manual_seed(0)
    args = {"scale": {"width": 64, "blocks": 1}, "lifter": {"width": 64, "blocks": 1}}
    path = tmp_path_factory.mktemp("weights") / "tiny.pt"
    save_checkpoint(path, ScaleNet(**args["scale"]), Lifter(**args["lifter"]), args,
                    {"mode": "clip", "root_depth": 10.0})
    return path


@pytest.fixture(autouse=True)
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield


@pytest.fixture
def addon(installed, empty_scene, weights_path):
    """Our add-on enabled in a clean scene; returns its preferences (weights set when the
    bundled model is not there yet, so the installed copy finds a real checkpoint)."""
    addon_utils.enable(installed, default_set=True)
    prefs = bpy.context.preferences.addons[installed].preferences
    if weights_path != BUNDLED_WEIGHTS:
        prefs.weights = str(weights_path)
    return prefs


@pytest.fixture
def lifted(addon):
    """Lift Video on the bundled keypoint file (detection itself is tested once, elsewhere)."""
    bpy.context.scene.ambiblend.clip_path = str(SAMPLE_KEYPOINTS)
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    return bpy.context.active_object

"""Test collection for both test environments (tools/test.sh runs the suite in each).

``.venv`` (Blender 5.0, Python 3.11) has torch; ``.venv313`` (Blender 5.2, Python 3.13) has none,
as Blender itself has none: the add-on lifts in numpy. There, test modules that need torch are
skipped at collection with the reason shown: everything under ``training/`` (the training code
is torch throughout) and any test module that imports torch at its top level. Tests that only
compare against torch call ``pytest.importorskip("torch")`` themselves. Nothing else is skipped,
so a torch import inside the add-on still fails the 5.2 suite.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

HAVE_TORCH = importlib.util.find_spec("torch") is not None
REPO = Path(__file__).resolve().parent
_TOP_LEVEL_TORCH = re.compile(r"^(import torch\b|from torch\b)", re.M)


def needs_torch(path: Path) -> bool:
    """True for a test module that cannot be imported without torch."""
    if REPO / "training" in path.parents:
        return True
    return bool(_TOP_LEVEL_TORCH.search(path.read_text(encoding="utf-8")))


class _SkipWithoutTorch(pytest.Module):
    """A test module collected as one skip (its import would fail without torch)."""

    def collect(self):
        pytest.skip(f"{self.path.relative_to(REPO)} needs torch, which this environment does not "
                    "have (the Blender 5.2 / Python 3.13 suite, like Blender itself)")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if not HAVE_TORCH and needs_torch(Path(module_path)):
        return _SkipWithoutTorch.from_parent(parent, path=module_path)
    return None

"""Save and load a bone mapping as a small JSON file, so a mapping edited for one rig can be
reused on the next character with the same skeleton.

File: ``{"format": "ambiblend-bone-mapping", "version": 1, "mapping": {slot: bone name}}``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import AmbiblendError
from .mapping import HAND_SLOTS, SLOTS

ALL_SLOTS = SLOTS + HAND_SLOTS   # body slots, then the optional finger slots

FORMAT = "ambiblend-bone-mapping"
VERSION = 1


def save_preset(path, mapping: dict[str, str]) -> Path:
    """Write ``mapping`` ({slot: bone}; unknown slots rejected) to ``path`` (.json)."""
    unknown = [s for s in mapping if s not in ALL_SLOTS]
    if unknown:
        raise AmbiblendError(f"Unknown mapping slots: {', '.join(unknown)}.")
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise AmbiblendError(f"A mapping preset is a .json file, got '{path.name}'.")
    data = {"format": FORMAT, "version": VERSION,
            "mapping": {s: mapping[s] for s in ALL_SLOTS if mapping.get(s)}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise AmbiblendError(f"Cannot write the mapping preset {path}: {exc}") from exc
    return path


def load_preset(path) -> dict[str, str]:
    """Read a preset written by ``save_preset``; AmbiblendError for a missing or foreign file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AmbiblendError(f"Mapping preset not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AmbiblendError(f"{path.name} is not a readable mapping preset ({exc}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AmbiblendError(f"{path.name} is not an AmbiBlend bone-mapping preset.")
    if data.get("version") != VERSION:
        raise AmbiblendError(f"{path.name} has mapping preset version {data.get('version')}; "
                             f"this AmbiBlend reads version {VERSION}.")
    mapping = data.get("mapping")
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise AmbiblendError(f"{path.name} has no valid 'mapping' table.")
    unknown = [s for s in mapping if s not in ALL_SLOTS]
    if unknown:
        raise AmbiblendError(f"{path.name} maps unknown slots: {', '.join(unknown)}.")
    return dict(mapping)

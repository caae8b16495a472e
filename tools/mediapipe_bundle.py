"""Shared by the ``tools/build_*_task.py`` scripts: turn the bare ``.tflite`` models inside the
mediapipe 0.10.21 wheel into a Tasks ``.task`` bundle.

A bundle is a zip (stored, 4-byte aligned) of named ``.tflite`` entries, each carrying TFLite
metadata that states its image input normalisation and one feature output per output tensor.
The wheel ships the models without that metadata and mediapipe >= 0.10.30 ships no model at
all, so we add it with ``metadata_writers`` (0.10.21 only) and zip the entries with a fixed
timestamp: the same wheel always gives the same bytes.
"""
from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path
from typing import NamedTuple

REQUIRED = "0.10.21"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_EPOCH = 315532800.0   # 1980-01-01 00:00:00 UTC, the earliest time a zip entry can hold


class BundledModel(NamedTuple):
    """One entry of a bundle: its name in the zip, its path under ``mediapipe/modules``, the
    image normalisation (pixel − mean) / std its graph uses, and its number of output tensors."""
    entry: str
    source: str
    mean: float
    std: float
    outputs: int


def mediapipe_modules(tool: str, what: str):
    """(mediapipe/modules folder, metadata_writer, model_asset_bundle_utils) of mediapipe 0.10.21;
    SystemExit naming ``tool`` when another version or none is installed."""
    try:
        import mediapipe
    except ImportError as exc:
        raise SystemExit(f"{tool}: mediapipe {REQUIRED} is needed (its wheel holds the {what} models) but it "
                         f"cannot be imported ({exc}). Run this with the project venv: "
                         f".venv/bin/python tools/{tool}.py") from exc
    if mediapipe.__version__ != REQUIRED:
        raise SystemExit(f"{tool}: mediapipe {REQUIRED} is needed, found {mediapipe.__version__} "
                         f"(mediapipe >= 0.10.30 ships no model files). Use the project venv (.venv).")
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils
    return Path(mediapipe.__file__).parent / "modules", metadata_writer, model_asset_bundle_utils


class _FixedClock:
    """Stand-in for ``zipfile``'s ``time`` module: every new zip entry gets 1980-01-01 00:00."""
    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def time() -> float:
        return _FIXED_EPOCH

    @staticmethod
    def localtime(secs=None):
        return time.gmtime(_FIXED_EPOCH)


def with_metadata(metadata_writer, model: bytes, name: str, description: str, mean: float, std: float,
                  outputs: int) -> bytes:
    """The model's bytes with TFLite metadata: image input (mean, std), ``outputs`` feature outputs.

    Models that carry associated files (the hand models' ``labels.txt``, ``handedness.txt``)
    get them re-zipped by the populator, stamped with the current time; the clock is fixed
    meanwhile so the output does not depend on when it was built."""
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, description)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(outputs):
        writer.add_feature_output()
    real, zipfile.time = zipfile.time, _FixedClock()
    try:
        content, _ = writer.populate()
    finally:
        zipfile.time = real
    return bytes(content)


def build_bundle(tool: str, what: str, description: str, models: tuple[BundledModel, ...], out: Path) -> str:
    """Write the bundle of ``models`` to ``out`` (atomically); → its SHA-256."""
    modules, metadata_writer, bundle_utils = mediapipe_modules(tool, what)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with bundle_utils.AlignZipFile(tmp, mode="w", alignment=4) as zf:
        for m in models:
            model = with_metadata(metadata_writer, (modules / m.source).read_bytes(), Path(m.source).stem,
                                  description, m.mean, m.std, m.outputs)
            info = zipfile.ZipInfo(m.entry, date_time=_FIXED_TIME)   # stored, fixed time → same bytes
            info.external_attr = 0o644 << 16
            zf.writestr(info, model)
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(tool: str, what: str, description: str, models: tuple[BundledModel, ...], default_out: Path,
         doc: str) -> None:
    """Command line of a build script: ``--out`` (default ``default_out``), prints size and hash."""
    import argparse
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--out", type=Path, default=default_out)
    args = ap.parse_args()
    digest = build_bundle(tool, what, description, models, args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB, sha256 {digest}")

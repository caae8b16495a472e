"""Build ``assets/mediapipe/pose_landmarker_full.task`` from the models inside mediapipe 0.10.21.

    .venv/bin/python tools/build_pose_task.py [--out assets/mediapipe/pose_landmarker_full.task]

MediaPipe's Tasks ``PoseLandmarker`` reads a ``.task`` bundle: a zip (stored, 4-byte aligned)
of ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``, each carrying TFLite
metadata that states its image normalisation. The 0.10.21 wheel ships the two models the legacy
``solutions.pose`` graph uses (``pose_detection.tflite``, ``pose_landmark_full.tflite``,
Apache-2.0) but no bundle, and mediapipe >= 0.10.30 ships no model at all; so we add the metadata
with ``metadata_writers`` and zip them ourselves:

- detector: image input normalised with mean 127.5, std 127.5 (pixels → [-1, 1]);
- landmark model: mean 0, std 255 (pixels → [0, 1]);
- one feature output per output tensor (2 for the detector, 5 for the landmark model).

The zip entries get a fixed timestamp, so the same wheel gives the same bytes (the script prints
the SHA-256). Needs mediapipe 0.10.21 (the project venv); newer versions have no models.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "mediapipe" / "pose_landmarker_full.task"
REQUIRED = "0.10.21"
# (entry in the bundle, model in mediapipe/modules, normalisation mean, std, outputs)
MODELS = (("pose_detector.tflite", "pose_detection/pose_detection.tflite", 127.5, 127.5, 2),
          ("pose_landmarks_detector.tflite", "pose_landmark/pose_landmark_full.tflite", 0.0, 255.0, 5))
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _mediapipe():
    try:
        import mediapipe
    except ImportError as exc:
        raise SystemExit(f"build_pose_task: mediapipe {REQUIRED} is needed (its wheel holds the pose "
                         f"models) but it cannot be imported ({exc}). Run this with the project venv: "
                         f".venv/bin/python tools/build_pose_task.py") from exc
    if mediapipe.__version__ != REQUIRED:
        raise SystemExit(f"build_pose_task: mediapipe {REQUIRED} is needed, found {mediapipe.__version__} "
                         f"(mediapipe >= 0.10.30 ships no model files). Use the project venv (.venv).")
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils
    return Path(mediapipe.__file__).parent / "modules", metadata_writer, model_asset_bundle_utils


def with_metadata(metadata_writer, model: bytes, name: str, mean: float, std: float, outputs: int) -> bytes:
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "MediaPipe BlazePose (from the mediapipe 0.10.21 wheel)")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(outputs):
        writer.add_feature_output()
    content, _ = writer.populate()
    return bytes(content)


def build(out: Path = OUT) -> str:
    """Write the bundle to ``out``; → its SHA-256."""
    modules, metadata_writer, bundle_utils = _mediapipe()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with bundle_utils.AlignZipFile(tmp, mode="w", alignment=4) as zf:
        for entry, source, mean, std, outputs in MODELS:
            model = with_metadata(metadata_writer, (modules / source).read_bytes(), Path(source).stem,
                                  mean, std, outputs)
            info = zipfile.ZipInfo(entry, date_time=_FIXED_TIME)   # stored, fixed time → same bytes
            info.external_attr = 0o644 << 16
            zf.writestr(info, model)
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    digest = build(args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB, sha256 {digest}")


if __name__ == "__main__":
    sys.exit(main())

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
the SHA-256). Needs mediapipe 0.10.21 (the project venv); newer versions have no models. The bundling code is
``tools/mediapipe_bundle.py``, shared with ``build_hand_task.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mediapipe_bundle import REQUIRED, BundledModel, build_bundle, main  # noqa: E402  (shared with build_hand_task)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "mediapipe" / "pose_landmarker_full.task"
DESCRIPTION = "MediaPipe BlazePose (from the mediapipe 0.10.21 wheel)"
MODELS = (BundledModel("pose_detector.tflite", "pose_detection/pose_detection.tflite", 127.5, 127.5, 2),
          BundledModel("pose_landmarks_detector.tflite", "pose_landmark/pose_landmark_full.tflite", 0.0, 255.0, 5))


def build(out: Path = OUT) -> str:
    """Write the bundle to ``out``; → its SHA-256."""
    return build_bundle("build_pose_task", "pose", DESCRIPTION, MODELS, out)


if __name__ == "__main__":
    sys.exit(main("build_pose_task", "pose", DESCRIPTION, MODELS, OUT, __doc__))

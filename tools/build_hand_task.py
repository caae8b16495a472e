"""Build ``assets/mediapipe/hand_landmarker.task`` from the models inside mediapipe 0.10.21.

    .venv/bin/python tools/build_hand_task.py [--out assets/mediapipe/hand_landmarker.task]

MediaPipe's Tasks ``HandLandmarker`` reads a ``.task`` bundle holding ``hand_detector.tflite``
(palm detection) and ``hand_landmarks_detector.tflite`` (21 landmarks, presence, handedness,
world landmarks). The 0.10.21 wheel ships the two full models its legacy ``solutions.hands``
graph uses (``palm_detection_full.tflite``, ``hand_landmark_full.tflite``, Apache-2.0) but no
bundle, and mediapipe >= 0.10.30 ships no model at all; the bundling is the pose bundle's
(``tools/mediapipe_bundle.py``):

- palm detector: image input normalised with mean 0, std 255 (pixels → [0, 1], as the legacy
  palm-detection graph's ImageToTensor range);
- landmark model: mean 0, std 255 (pixels → [0, 1]);
- one feature output per output tensor (2 for the detector, 4 for the landmark model).

Same wheel → same bytes (fixed zip timestamps; the script prints the SHA-256). Needs mediapipe
0.10.21 (the project venv). The bundle loads in mediapipe 1.2.x (Python 3.13) too.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mediapipe_bundle import BundledModel, build_bundle, main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "mediapipe" / "hand_landmarker.task"
DESCRIPTION = "MediaPipe Hands (from the mediapipe 0.10.21 wheel)"
MODELS = (BundledModel("hand_detector.tflite", "palm_detection/palm_detection_full.tflite", 0.0, 255.0, 2),
          BundledModel("hand_landmarks_detector.tflite", "hand_landmark/hand_landmark_full.tflite", 0.0, 255.0, 4))


def build(out: Path = OUT) -> str:
    """Write the bundle to ``out``; → its SHA-256."""
    return build_bundle("build_hand_task", "hand", DESCRIPTION, MODELS, out)


if __name__ == "__main__":
    sys.exit(main("build_hand_task", "hand", DESCRIPTION, MODELS, OUT, __doc__))

"""Reading video frames with OpenCV, with errors that name the file.

``open_video`` checks the file and reports its frame rate, size and (container) frame count;
``frames`` yields RGB frames. OpenCV's frame count can be wrong for some containers, so callers
treat it as an estimate for progress and count the frames actually read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError

DEFAULT_FPS = 30.0  # used when the container does not state a frame rate


@dataclass
class VideoInfo:
    path: Path
    fps: float
    size: tuple[int, int]       # (width, height) pixels
    frame_count: int            # as the container states it; may be 0 or approximate


def _cv2():
    """OpenCV, imported on first use so keypoint files work without it."""
    try:
        import cv2
    except ImportError as exc:
        raise AmbiblendError("OpenCV is not available, so videos cannot be read; "
                             "install opencv-python-headless or load a keypoint file instead.") from exc
    return cv2


def _capture(path: Path):
    cv2 = _cv2()
    if not path.exists():
        raise AmbiblendError(f"Video file not found: {path}")
    if not path.is_file():
        raise AmbiblendError(f"{path} is a folder, not a video file.")
    if path.stat().st_size == 0:
        raise AmbiblendError(f"The video file {path.name} is empty (0 bytes).")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise AmbiblendError(f"Could not open {path.name} as a video: the file is corrupt or "
                             f"in a format OpenCV cannot decode.")
    return cap


def open_video(path) -> VideoInfo:
    """Check that ``path`` is a readable video and return its properties."""
    cv2 = _cv2()
    path = Path(path)
    cap = _capture(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    finally:
        cap.release()
    fps = float(fps) if np.isfinite(fps) and 0 < fps < 1000 else DEFAULT_FPS
    return VideoInfo(path=path, fps=fps, size=size, frame_count=count)


def frames(path, max_frames: int | None = None):
    """Yield the frames of ``path`` as (H, W, 3) uint8 RGB arrays, at most ``max_frames``.

    Raises AmbiblendError naming the file if it cannot be opened or holds no frame.
    """
    cv2 = _cv2()
    path = Path(path)
    cap = _capture(path)
    n = 0
    try:
        while max_frames is None or n < max_frames:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    if n == 0:
        raise AmbiblendError(f"The video {path.name} has no frames that can be decoded (zero-length or corrupt).")

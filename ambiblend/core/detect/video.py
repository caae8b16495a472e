"""Reading video frames with OpenCV, with errors that name the file.

``open_video`` checks the file and reports its frame rate, size and (container) frame count;
``frames`` yields RGB frames. OpenCV's frame count can be wrong for some containers, so callers
treat it as an estimate for progress and count the frames actually read.

``frames`` decodes in a reader thread, ``PREFETCH`` frames ahead of the caller, so that decoding
(OpenCV releases the GIL) overlaps the detector working on the previous frame; ``start`` seeks,
for a chunk of a long clip (``chunks``).
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError

DEFAULT_FPS = 30.0  # used when the container does not state a frame rate
# Frames decoded ahead by the reader thread: two cover the jitter between decode and detection
# times; a 1080p RGB frame is 6 MB, so a deeper queue only costs memory.
PREFETCH = 2


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


def frames(path, max_frames: int | None = None, start: int = 0, prefetch: int = PREFETCH, step: int = 1):
    """Yield the frames of ``path`` from frame ``start`` on as (H, W, 3) uint8 RGB arrays, at most
    ``max_frames`` of the file's frames (every ``step``-th of them is yielded: ``start``,
    ``start + step``, …; the others are only grabbed, which skips the copy and the colour
    conversion); decoded in a reader thread ``prefetch`` frames ahead (0: in the caller's thread).

    Raises AmbiblendError naming the file if it cannot be opened, holds no frame, or cannot seek
    to ``start`` exactly. The reader stops and releases the file when the caller stops early.
    """
    decoded = _decode(Path(path), max_frames, int(start), max(int(step), 1))
    if prefetch <= 0:
        yield from decoded
        return
    yield from _read_ahead(decoded, prefetch)


def _decode(path: Path, max_frames: int | None, start: int, step: int = 1):
    cv2 = _cv2()
    cap = _capture(path)
    n = 0
    try:
        if start > 0:
            _seek(cap, path, start)
        while max_frames is None or n < max_frames:
            if n % step:
                if not cap.grab():
                    break
                n += 1
                continue
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    if n == 0:
        where = f" from frame {start}" if start else ""
        raise AmbiblendError(f"The video {path.name} has no frames that can be decoded{where} (zero-length or corrupt).")


def _seek(cap, path: Path, start: int) -> None:
    """Put ``cap`` before frame ``start``: a seek where OpenCV reports landing exactly there,
    else reading (and dropping) the frames before it, which is always exact."""
    cv2 = _cv2()
    if cap.set(cv2.CAP_PROP_POS_FRAMES, start) and int(cap.get(cv2.CAP_PROP_POS_FRAMES)) == start:
        return
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    for _ in range(start):
        if not cap.grab():
            raise AmbiblendError(f"The video {path.name} ends before frame {start}.")


_END = object()


def _read_ahead(items, depth: int):
    """Run the generator ``items`` in a daemon thread, ``depth`` items ahead; its exception is
    raised here, in order. Closing this generator stops the thread and closes ``items``."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader():
        try:
            for item in items:
                if not put((item, None)):
                    break
            else:
                put((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((_END, exc))
        finally:
            items.close()

    thread = threading.Thread(target=reader, name="ambiblend-video-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = q.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        thread.join()

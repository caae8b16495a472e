"""Real two-person footage built from the shared Pose2Sim clips (one man filmed by four
cameras), for the tracking tests and bench/bench_people.py.

- ``side_by_side``: two (or four) camera views next to each other, reduced to ``scale``: the
  same man twice (four times), standing apart, in real detector conditions. Views 1 and 2 also
  show a bystander in the background.
- ``crossing``: view 3 (the man, in place) in the middle of a wider canvas, and a rectangle
  cut around the man from the same view (40 frames later) pasted in and moving right to left
  across the frame, so the second man walks in front of the first and hides him before walking
  out on the other side. The pasted rectangle is known in every frame: ground truth of
  who is where.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

SHARED = Path(os.environ.get("AMBIBLEND_SHARED", Path(__file__).resolve().parents[2] / "shared"))
VIDEOS = SHARED / "data" / "videos" / "pose2sim-single-person"
# A box around the man in view 3 in every frame (full-resolution pixels, from MediaPipe on the
# clip, widened a little): the patch that is pasted.
PATCH_BOX_CAM03 = (60, 380, 760, 1300)


def available() -> bool:
    return all((VIDEOS / f"cam0{c}.mp4").is_file() for c in (1, 2, 3, 4))


@lru_cache(maxsize=None)
def view(cam: int, n: int, scale: float) -> tuple:
    """First ``n`` frames of camera ``cam`` (RGB uint8), resized by ``scale``."""
    import cv2
    from ambiblend.core.detect.video import frames
    return tuple(cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                 for f in frames(VIDEOS / f"cam0{cam}.mp4", n))


def write_video(path: Path, clip, fps: float = 60.0) -> Path:
    import cv2
    h, w = clip[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for rgb in clip:
        writer.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def side_by_side(path: Path, cams=(3, 4), n: int = 30, scale: float = 0.25) -> Path:
    """Views ``cams`` next to each other → a video at ``path``."""
    clips = [view(c, n, scale) for c in cams]
    return write_video(path, [np.concatenate(f, axis=1) for f in zip(*clips)])


def crossing(path: Path, n: int = 48, scale: float = 0.25, width: int = 600, lag: int = 40):
    """The crossing clip → (path, patch boxes (n, 4) x0, y0, x1, y1 in pixels of the moving man).

    View 3 sits in the middle of a canvas ``width`` wide (its edge pixels repeated to the sides);
    a tight rectangle around the man, cut from the same view ``lag`` frames later (another
    pose), is pasted in front of him, entering at the right edge and leaving at the left one."""
    import cv2
    base = view(3, n + lag, scale)
    h, w = base[0].shape[:2]
    x0, y0, x1, y1 = (int(round(v * scale)) for v in PATCH_BOX_CAM03)
    pw, ph = x1 - x0, y1 - y0
    pad = (width - w) // 2
    lefts = np.round(np.linspace(width - pw, 0, n)).astype(int)
    clip, patch = [], []
    for t in range(n):
        canvas = cv2.copyMakeBorder(base[t], 0, 0, pad, width - w - pad, cv2.BORDER_REPLICATE)
        canvas[y0:y1, lefts[t]:lefts[t] + pw] = base[t + lag][y0:y1, x0:x1]
        clip.append(canvas)
        patch.append((lefts[t], y0, lefts[t] + pw, y1))
    return write_video(path, clip), np.array(patch, dtype=np.float64)


def identity(pelvis_xy: np.ndarray, patch: np.ndarray) -> np.ndarray:
    """Ground truth of who a detection is, per frame: 1 = the pasted (moving) man when the
    pelvis (T, 2) lies in his patch, 0 = the man of view 3, -1 = no detection (NaN)."""
    x, y = pelvis_xy[:, 0], pelvis_xy[:, 1]
    inside = (patch[:, 0] <= x) & (x <= patch[:, 2]) & (patch[:, 1] <= y) & (y <= patch[:, 3])
    return np.where(np.isnan(x), -1, inside.astype(int))


def switches(ids: np.ndarray) -> int:
    """How often the identity followed changes between frames where someone is followed."""
    ids = ids[ids >= 0]
    return int((np.diff(ids) != 0).sum())

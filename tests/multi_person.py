"""Real multi-person footage built from real clips of one man (the bundled Pose2Sim sample,
view 4; the shared four views where present), for the tracking tests and bench/bench_people.py.

- ``side_by_side``: clips next to each other (the sample and its mirror image, or several
  camera views), reduced to ``scale``: the same man two (four) times, standing apart.
- ``crossing``: the sample (the man, in place) in the middle of a wider canvas, and a rectangle
  cut around the man from the same clip (``lag`` frames later: another pose) pasted in front of
  him, moving right to left across the frame: the second man walks in front of the first, hides
  him, and walks out on the other side. The pasted rectangle is known in every frame: ground
  truth of who is where.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assets" / "sample" / "pose2sim_cam04.mp4"
SAMPLE_KEYPOINTS = REPO / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
SHARED = Path(os.environ.get("AMBIBLEND_SHARED", REPO.parent / "shared"))
VIDEOS = SHARED / "data" / "videos" / "pose2sim-single-person"


def shared_views() -> bool:
    return all((VIDEOS / f"cam0{c}.mp4").is_file() for c in (1, 2, 3, 4))


@lru_cache(maxsize=None)
def view(cam: int, n: int, scale: float) -> tuple:
    """First ``n`` frames of camera ``cam`` (0 = the bundled sample, 1–4 the shared views) as
    RGB uint8, resized by ``scale``."""
    import cv2
    from ambiblend.core.detect.video import frames
    path = SAMPLE if cam == 0 else VIDEOS / f"cam0{cam}.mp4"
    return tuple(cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                 for f in frames(path, n))


def mirrored(clip) -> tuple:
    return tuple(np.ascontiguousarray(f[:, ::-1]) for f in clip)


def write_video(path: Path, clip, fps: float = 60.0) -> Path:
    import cv2
    h, w = clip[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for rgb in clip:
        writer.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def side_by_side(path: Path, clips) -> Path:
    """Clips (each a sequence of equally sized frames) next to each other → a video at ``path``;
    four clips make a 2 × 2 grid."""
    if len(clips) == 4:
        rows = [[np.concatenate(f[:2], axis=1), np.concatenate(f[2:], axis=1)] for f in zip(*clips)]
        return write_video(path, [np.concatenate(r, axis=0) for r in rows])
    return write_video(path, [np.concatenate(f, axis=1) for f in zip(*clips)])


def crossing(path: Path, n: int = 40, scale: float = 0.5, width: int = 640, lag: int = 50):
    """The crossing clip → (path, patch boxes (n, 4) x0, y0, x1, y1 in pixels of the moving man).

    The sample (scaled) sits in the middle of a canvas ``width`` wide (its edge pixels repeated
    to the sides); a rectangle around the man in frames lag … lag + n (his keypoints' extent in
    the bundled keypoint file, plus a margin) is pasted in front of him, entering at the right
    edge and leaving at the left one."""
    import cv2
    from ambiblend.core.detect import load_keypoints
    base = view(0, n + lag, scale)
    h, w = base[0].shape[:2]
    xy = load_keypoints(SAMPLE_KEYPOINTS).xy[lag:lag + n] * scale
    x0, y0 = max(int(xy[..., 0].min()) - 8, 0), max(int(xy[..., 1].min()) - 25, 0)
    x1, y1 = min(int(xy[..., 0].max()) + 8, w), min(int(xy[..., 1].max()) + 30, h)
    pw = x1 - x0
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

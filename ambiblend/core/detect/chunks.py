"""One long video detected in parallel: overlapping chunks, one detector per worker process,
joined into the per-frame poses a single pass would give.

MediaPipe's VIDEO mode carries state from frame to frame (the last landmarks give the next
region, and a filter smooths the landmarks over time), so a detector started in the middle of a
clip needs a few frames to settle. Each chunk therefore starts ``warmup`` frames before its own
first frame; those frames are detected and thrown away, and each output frame comes from the one
chunk that owns it ("overlap and choose": no blending, which would need the people of two
detectors matched, and would mix a settled detector with one still settling).
``bench/bench_throughput.py`` measures the joint error at the seams against one pass.

    poses = detect_poses(path, num_poses=1, jobs=2)   # list over frames of list[Pose]

Chunks are planned from the container's frame count; the last chunk reads to the real end, so a
count that is too low loses nothing. A clip too short for ``jobs`` chunks of ``min_chunk``
frames is detected in one pass (chunking it would cost more in warm-up than it saves).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import AmbiblendError
from ..parallel import WorkerPool
from .mediapipe_pose import Pose, PoseRunner
from .video import frames, open_video

# Frames each chunk detects before its own, to let MediaPipe's tracking and smoothing settle;
# in seconds because the smoothing filter's constants are (bench_throughput sweeps it).
WARMUP_SECONDS = 0.5
# No chunk shorter than this: its warm-up is then at most a tenth of its work.
MIN_CHUNK_SECONDS = 5.0


@dataclass(frozen=True)
class Chunk:
    """Frames [first, stop) are detected, [start, stop) kept; stop None = to the end."""
    first: int
    start: int
    stop: int | None


def plan_chunks(frame_count: int, jobs: int, warmup: int, min_chunk: int) -> list[Chunk]:
    """``jobs`` (or fewer) equal chunks of at least ``min_chunk`` frames, each starting
    ``warmup`` frames early; one chunk covering everything when the clip is too short."""
    n = max(1, min(int(jobs), frame_count // max(int(min_chunk), 1)))
    bounds = [round(k * frame_count / n) for k in range(n)] + [None]
    return [Chunk(first=max(0, a - warmup) if k else 0, start=a, stop=b)
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def detect_range(path, fps: float, chunk: Chunk, num_poses: int = 1) -> list[list[Pose]]:
    """The poses of frames [chunk.start, chunk.stop) from a fresh detector started at
    ``chunk.first`` (a worker's task). Its timestamps start at 0 with the clip's spacing
    (MediaPipe's filter uses their differences only)."""
    count = None if chunk.stop is None else chunk.stop - chunk.first
    out = []
    with PoseRunner(fps=fps, num_poses=num_poses) as run:
        for i, rgb in enumerate(frames(path, count, start=chunk.first), chunk.first):
            poses = run(rgb)
            if i >= chunk.start:
                out.append(poses)
    return out


def _chunk_task(item, _state) -> list[list[Pose]]:
    path, fps, chunk, num_poses = item
    return detect_range(path, fps, chunk, num_poses)


def detect_poses(path, num_poses: int = 1, jobs: int = 1, warmup: int | None = None,
                 min_chunk: int | None = None, progress=None, pool: WorkerPool | None = None) -> list[list[Pose]]:
    """Per-frame poses of the whole video at ``path``, in chunks over ``jobs`` processes.

    warmup / min_chunk: frames (default ``WARMUP_SECONDS`` / ``MIN_CHUNK_SECONDS`` at the clip's
    frame rate). progress: ``progress(done, total)`` after each chunk. pool: an existing
    ``WorkerPool`` to run the chunks on (else one of ``jobs`` processes is started for this clip).
    Raises AmbiblendError as ``frames`` does.
    """
    path = Path(path)
    info = open_video(path)
    warmup = math.ceil(WARMUP_SECONDS * info.fps) if warmup is None else int(warmup)
    min_chunk = math.ceil(MIN_CHUNK_SECONDS * info.fps) if min_chunk is None else int(min_chunk)
    jobs = pool.jobs if pool is not None else int(jobs)
    chunks = plan_chunks(info.frame_count, jobs, warmup, min_chunk)
    if len(chunks) == 1:
        poses = detect_range(path, info.fps, chunks[0], num_poses)
        if progress is not None:
            progress(len(poses), len(poses))
        return poses
    own = pool is None
    pool = pool or WorkerPool(jobs)
    poses: list[list[Pose]] = []
    try:
        for (_, _, chunk, _), outcome in pool.ordered(_chunk_task, [(path, info.fps, c, num_poses) for c in chunks]):
            if not outcome.ok:
                raise AmbiblendError(outcome.error or f"Detecting frames {chunk.start}+ of {path.name} failed: "
                                     f"{outcome.bug}\n{outcome.trace}")
            if len(poses) != chunk.start:
                raise AmbiblendError(f"{path.name} has fewer frames ({len(poses)}) than its header says "
                                     f"({info.frame_count}); detect it with one job.")
            poses.extend(outcome.value)
            if progress is not None:
                progress(len(poses), max(info.frame_count, len(poses)))
    finally:
        if own:
            pool.close()
    return poses

"""One long video detected in parallel: overlapping chunks, one detector per worker process,
joined into the per-frame poses a single pass would give.

MediaPipe's VIDEO mode carries state from frame to frame (the last landmarks give the next
region, and a filter smooths the landmarks over time), so a detector started in the middle of a
clip needs a few frames to settle. Each chunk therefore starts ``warmup`` frames before its own
first frame; those frames are detected and thrown away, and each output frame comes from the one
chunk that owns it ("overlap and choose": no blending, which would need the people of two
detectors matched, and would mix a settled detector with one still settling).
``bench/bench_throughput.py`` measures the joint error at the seams against one pass.

    poses = detect_poses(path, max_people=4, jobs=2)   # list over frames of list[Pose]

People are counted as ``mediapipe_pose.count_people`` counts them (still frames every
``COUNT_EVERY_S``), but on the frames the detection pass decodes anyway, so a video is decoded
once: each chunk detects with num_poses=1 and stops at the first sample showing two or more
people; then every chunk is detected again with num_poses=max_people. The poses are those of
counting first and detecting after, on one process or many.

Chunks are planned from the container's frame count; the last chunk reads to the real end, so a
count that is too low loses nothing. A clip too short for ``jobs`` chunks of ``min_chunk``
frames is detected in one pass (chunking it would cost more in warm-up than it saves).
"""
from __future__ import annotations

import itertools
import math
import queue
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..errors import AmbiblendError
from ..parallel import WorkerPool, run_task
from .mediapipe_pose import COUNT_CONFIDENCE, COUNT_EVERY_S, DetectionCancelled, Pose, PoseRunner, count_distinct
from .video import frames, open_video

# Frames each chunk detects before its own, to let MediaPipe's tracking and smoothing settle;
# in seconds because the smoothing filter's constants are. Measured on a 1080x1920 clip at 30 fps
# (mean landmark error vs one pass, the 6 frames after the seam): no warm-up 2.7-4.8 px, 5 frames
# 1.7-4.2, 15 frames (0.5 s) 1.5-2.4, 30 frames 0.7-2.4; longer buys little, since two
# detectors never agree exactly (about 1-2 px apart for the rest of the clip).
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


def detect_range(path, fps: float, chunk: Chunk, num_poses: int = 1, count: tuple[int, int] | None = None,
                 progress=None, total: int = 0) -> list[list[Pose]] | None:
    """The poses of frames [chunk.start, chunk.stop) from a fresh detector started at
    ``chunk.first`` (a worker's task). Its timestamps start at 0 with the clip's spacing
    (MediaPipe's filter uses their differences only).

    count: (max_people, every): also look for people on the still frames of [start, stop) whose
    index is a multiple of ``every`` (``PeopleWatch``, beside the detection), and return None
    once one shows two or more.
    progress: ``progress(done, total)`` after each kept frame; False cancels (DetectionCancelled).
    """
    count_to = None if chunk.stop is None else chunk.stop - chunk.first
    out = []
    with ExitStack() as stack:
        run = stack.enter_context(PoseRunner(fps=fps, num_poses=num_poses))
        watch = every = None
        if count is not None:
            counter = stack.enter_context(PoseRunner(fps=fps, num_poses=count[0], still_images=True,
                                                     min_detection_confidence=COUNT_CONFIDENCE,
                                                     min_presence_confidence=COUNT_CONFIDENCE))
            watch, every = stack.enter_context(PeopleWatch(counter)), count[1]
        for i, rgb in enumerate(frames(path, count_to, start=chunk.first), chunk.first):
            if watch is not None:
                if watch.crowd.is_set():
                    return None
                if i >= chunk.start and i % every == 0:
                    # The first sample is awaited: two people there is the common case, and
                    # then no frame is detected (nor reported) twice.
                    if watch.add(rgb, wait=watch.samples == 0):
                        return None
            poses = run(rgb)
            if i >= chunk.start:
                out.append(poses)
                if progress is not None and progress(len(out), max(total, len(out))) is False:
                    raise DetectionCancelled(f"Detection of {Path(path).name} was cancelled.")
        if watch is not None and watch.finish():
            return None
    return out


_STOP = object()   # ends PeopleWatch's thread


class PeopleWatch:
    """People counted on sampled frames in a thread of its own beside the detection: MediaPipe
    releases the GIL while it runs, so the count (a still-image detection every COUNT_EVERY_S,
    about a fifth of the detection's work at 30 fps) takes the other core instead of lengthening
    the pass. ``crowd`` is set at the first sample showing two or more (``count_distinct``).
    Use as a context manager: leaving it stops the thread."""

    QUEUED = 4   # samples waiting at most (a 1080p frame is 6 MB); the detection waits beyond

    def __init__(self, counter: PoseRunner):
        self._counter = counter
        self._samples: queue.Queue = queue.Queue(maxsize=self.QUEUED)
        self.crowd = threading.Event()
        self.samples = 0                      # queued so far
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="ambiblend-people-count", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (rgb := self._samples.get()) is not _STOP:
            try:
                if not self.crowd.is_set() and self._error is None and count_distinct(self._counter(rgb)) > 1:
                    self.crowd.set()
            except BaseException as exc:      # handed to the detecting thread by finish()
                self._error = exc
            finally:
                self._samples.task_done()

    def add(self, rgb, wait: bool = False) -> bool:
        """Queue a sample; wait: until it (and those before it) are counted. → whether two or
        more people were seen so far."""
        self._samples.put(rgb)
        self.samples += 1
        if wait:
            self._samples.join()
        return self.crowd.is_set()

    def finish(self) -> bool:
        """Waits for the samples queued → whether one showed two or more people (re-raises the
        count's own failure)."""
        self._stop()
        if self._error is not None:
            raise self._error
        return self.crowd.is_set()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._samples.put(_STOP)
            self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop()


def _chunk_task(item, _state) -> list[list[Pose]] | None:
    path, fps, chunk, num_poses, count = item
    return detect_range(path, fps, chunk, num_poses, count)


def detect_poses(path, max_people: int = 1, jobs: int = 1, warmup: int | None = None,
                 min_chunk: int | None = None, progress=None, max_frames: int | None = None) -> list[list[Pose]]:
    """Per-frame poses of the video at ``path`` (its first ``max_frames``), in chunks over
    ``jobs`` processes; people counted first when ``max_people`` > 1 (module docstring).

    warmup / min_chunk: frames (default ``WARMUP_SECONDS`` / ``MIN_CHUNK_SECONDS`` at the clip's
    frame rate). progress: ``progress(done, total)`` after each frame in one pass (False
    cancels), after each chunk in several. This process detects the first chunk while ``jobs - 1``
    worker processes, started for this clip, take the others. Raises AmbiblendError as
    ``frames`` does.
    """
    path = Path(path)
    info = open_video(path)
    warmup = math.ceil(WARMUP_SECONDS * info.fps) if warmup is None else int(warmup)
    min_chunk = math.ceil(MIN_CHUNK_SECONDS * info.fps) if min_chunk is None else int(min_chunk)
    if max_frames is not None:
        chunks = [Chunk(0, 0, int(max_frames))]
        total = min(info.frame_count or max_frames, max_frames)
    else:
        chunks, total = plan_chunks(info.frame_count, jobs, warmup, min_chunk), info.frame_count
    count = (int(max_people), max(1, int(round(COUNT_EVERY_S * info.fps)))) if max_people > 1 else None
    if len(chunks) == 1:
        poses = detect_range(path, info.fps, chunks[0], 1 if count else max_people, count, progress, total)
        if poses is None:   # two people seen: everyone, from the start
            poses = detect_range(path, info.fps, chunks[0], max_people, None, progress, total)
        return poses
    with WorkerPool(len(chunks) - 1, in_process=False) as pool:
        poses = _join(pool, path, info, chunks, 1 if count else max_people, count, progress)
        if poses is None:
            poses = _join(pool, path, info, chunks, max_people, None, progress)
    return poses


def _join(pool: WorkerPool, path: Path, info, chunks: list[Chunk], num_poses: int, count, progress):
    """The chunks' poses end to end, or None if a chunk saw two people while counting."""
    poses: list[list[Pose]] = []
    tasks = [(path, info.fps, c, num_poses, count) for c in chunks]
    later = pool.ordered(_chunk_task, tasks[1:])        # the workers start on these now
    first = run_task(_chunk_task, tasks[0], None)       # while this process takes the first
    for (_, _, chunk, _, _), outcome in itertools.chain([(tasks[0], first)], later):
        if not outcome.ok:
            raise AmbiblendError(outcome.error or f"Detecting frames {chunk.start}+ of {path.name} failed: "
                                 f"{outcome.bug}\n{outcome.trace}")
        if outcome.value is None:
            return None   # the other chunks' results are dropped (and queued ones still run)
        if len(poses) != chunk.start:
            raise AmbiblendError(f"{path.name} has fewer frames ({len(poses)}) than its header says "
                                 f"({info.frame_count}); detect it with one job.")
        poses.extend(outcome.value)
        if progress is not None:
            progress(len(poses), max(info.frame_count, len(poses)))
    return poses

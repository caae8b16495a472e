"""Throughput machinery with real processes and real MediaPipe (no mocks): the worker pool
(order, errors, a worker that dies), the reader thread and seeking of ``video.frames``, and a
long clip detected in overlapping chunks against one pass. Clips are small: the bundled sample
at half size, played forward and back."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from ambiblend.core.detect.chunks import Chunk, detect_poses, detect_range, plan_chunks
from ambiblend.core.detect.video import frames
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.parallel import WorkerPool, default_jobs

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04.mp4"


def write_clip(path: Path, n_frames: int, scale: float = 0.5, fps: float = 30.0, first: int = 0) -> Path:
    """The sample from frame ``first``, resized by ``scale``, forward then backward (continuous
    motion of any length), as an .mp4 of ``n_frames`` frames."""
    src = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames(SAMPLE)]
    src = [cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for f in src[first:]]
    loop = src + src[-2:0:-1]
    h, w = src[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(n_frames):
        out.write(loop[i % len(loop)])
    out.release()
    return path


# Tasks for the pool: module-level, so that the spawned workers find them by name.
def square_plus_state(item, state):
    return item * item + state


def fail_on_three(item, _state):
    if item == 3:
        raise AmbiblendError("three is refused")
    if item == 4:
        raise KeyError("four")
    return item


def die_on_two(item, _state):
    if item == 2:
        os._exit(3)   # a real crash of the worker process, as a native library's would be
    return item * 10


def worker_pid(_item, _state):
    return os.getpid()


def test_pool_results_in_order_with_state():
    with WorkerPool(2, init=int, init_args=("100",)) as pool:
        got = list(pool.ordered(square_plus_state, range(6)))
    assert [item for item, _ in got] == list(range(6))
    assert [o.value for _, o in got] == [i * i + 100 for i in range(6)] and all(o.ok for _, o in got)
    with WorkerPool(1, init=int, init_args=("7",)) as pool:   # jobs=1: this process, same answers
        assert [o.value for _, o in pool.ordered(square_plus_state, [2, 3])] == [11, 16]
        assert pool.ordered(worker_pid, [0]).__next__()[1].value == os.getpid()
    assert default_jobs() >= 1


def test_pool_uses_separate_processes():
    with WorkerPool(2) as pool:
        pids = {o.value for _, o in pool.ordered(worker_pid, range(4))}
    assert os.getpid() not in pids and len(pids) >= 1
    with WorkerPool(1, in_process=False) as pool:            # one worker beside this process
        assert next(iter(pool.ordered(worker_pid, [0])))[1].value != os.getpid()


def test_pool_errors_and_bugs_are_outcomes_not_exceptions():
    with WorkerPool(2) as pool:
        got = dict(pool.ordered(fail_on_three, [1, 3, 4, 5]))
    assert got[1].value == 1 and got[5].value == 5
    assert got[3].error == "three is refused" and got[3].bug is None
    assert got[4].bug == "KeyError: 'four'" and "fail_on_three" in got[4].trace and not got[4].ok


def test_pool_dead_worker_fails_its_item_only():
    with WorkerPool(2) as pool:
        got = dict(pool.ordered(die_on_two, [0, 1, 2, 3, 4]))
    assert "worker process died" in got[2].bug
    assert [got[i].value for i in (0, 1, 3, 4)] == [0, 10, 30, 40]
    with pytest.raises(AmbiblendError, match="at least 1"):
        WorkerPool(0)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "long.mp4", 100)


def test_frames_reader_thread_and_seek_give_the_same_frames(long_clip):
    direct = list(frames(long_clip, prefetch=0))
    ahead = list(frames(long_clip, prefetch=2))
    assert len(direct) == len(ahead) == 100
    assert all(np.array_equal(a, b) for a, b in zip(direct, ahead))
    part = list(frames(long_clip, max_frames=20, start=67))
    assert all(np.array_equal(a, b) for a, b in zip(frames(long_clip, start=5, step=7), direct[5::7]))
    assert len(list(frames(long_clip, max_frames=15, step=7))) == 3
    assert len(part) == 20 and all(np.array_equal(a, b) for a, b in zip(part, direct[67:87]))
    before = threading.active_count()
    for i, _ in enumerate(frames(long_clip)):   # the caller stops early: the reader stops too
        if i == 3:
            break
    assert threading.active_count() == before
    with pytest.raises(AmbiblendError, match="Video file not found"):
        next(frames(long_clip.with_name("missing.mp4")))
    with pytest.raises(AmbiblendError, match="ends before frame 400"):
        list(frames(long_clip, start=400))


def test_plan_chunks_cover_every_frame_once():
    chunks = plan_chunks(1000, 4, warmup=30, min_chunk=100)
    assert [(c.start, c.stop) for c in chunks] == [(0, 250), (250, 500), (500, 750), (750, None)]
    assert [c.first for c in chunks] == [0, 220, 470, 720]
    assert plan_chunks(1000, 4, 30, 400) == [Chunk(0, 0, 500), Chunk(470, 500, None)]   # fewer, longer
    assert plan_chunks(150, 2, 30, 100) == [Chunk(0, 0, None)]                       # too short: one pass


def landmarks_px(poses) -> np.ndarray:
    """(T, 33, 2) landmarks of the first pose in each frame (NaN where none)."""
    return np.array([p[0].points if p else np.full((33, 2), np.nan) for p in poses])


def test_chunked_detection_matches_one_pass_at_the_seam(long_clip):
    one = landmarks_px(detect_range(long_clip, 30.0, Chunk(0, 0, None)))
    calls = []
    chunked = landmarks_px(detect_poses(long_clip, jobs=2, warmup=15, min_chunk=50,
                                     progress=lambda d, n: calls.append((d, n))))
    assert one.shape == chunked.shape == (100, 33, 2)
    assert calls == [(50, 100), (100, 100)]
    assert np.array_equal(one[:50], chunked[:50])     # the first chunk is a pass from frame 0
    err = np.linalg.norm(one - chunked, axis=-1).mean(axis=1)   # px, at 270 x 476
    # A detector started 15 frames early lands within a few pixels of the one that ran from the
    # start (the tracking regions and the smoothing filter differ a little): no visible seam.
    assert err[50:55].max() < 1.5 and err[50:].mean() < 1.0   # measured 0.2 and 0.17


def test_people_counted_on_the_detection_pass_as_before(tmp_path, long_clip):
    """Counting people on the frames the detection decodes gives the poses of counting first
    (``count_people``) and detecting after: num_poses=1 for one man, max_people for two."""
    import multi_person as mp
    from ambiblend.core.detect.mediapipe_pose import count_people
    two = mp.side_by_side(tmp_path / "two.mp4", [mp.view(0, 30, 0.4), mp.mirrored(mp.view(0, 30, 0.4))])
    for clip, fps in ((two, 60.0), (long_clip, 30.0)):
        expect = 4 if count_people(clip, 30) > 1 else 1
        calls = []
        got = detect_poses(clip, max_people=4, progress=lambda d, n: calls.append(d), max_frames=30)
        ref = detect_range(clip, fps, Chunk(0, 0, 30), num_poses=expect)
        assert [len(p) for p in got] == [len(p) for p in ref] and calls == list(range(1, 31))
        assert all(np.array_equal(a.points, b.points) for fa, fb in zip(got, ref) for a, b in zip(fa, fb))
        assert expect == (4 if clip == two else 1)


def test_people_watch_counts_beside_the_detection_and_hands_back_its_failure():
    """``chunks.PeopleWatch`` counts in a thread of its own: a sample with two people sets
    ``crowd`` (the awaited first sample says so at once), and a failure of the count is raised
    in the detecting thread, not lost in the counting one."""
    from ambiblend.core.detect.chunks import PeopleWatch
    from ambiblend.core.detect.mediapipe_pose import Pose
    one = Pose(points=np.array([[0.0, 0.0], [10.0, 30.0]]), visibility=np.ones(2), world=np.zeros((2, 3)))
    two = [one, one._replace(points=one.points + [50.0, 0.0])]
    seen = iter([[one], two])
    with PeopleWatch(lambda rgb: next(seen)) as watch:
        frame = np.zeros((4, 4, 3), np.uint8)
        assert watch.add(frame, wait=True) is False
        watch.add(frame)
        assert watch.finish() is True

    def broken(rgb):
        raise RuntimeError("the counting landmarker failed")
    with PeopleWatch(broken) as watch:
        watch.add(np.zeros((4, 4, 3), np.uint8))
        with pytest.raises(RuntimeError, match="counting landmarker failed"):
            watch.finish()

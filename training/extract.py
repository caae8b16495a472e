"""Detect the 2D joints of a user's own videos → a ``SequenceSet`` for unsupervised retraining.

    python -m training.extract --input <video, keypoint file or folder of videos> --out own.npz

Each input goes through the add-on's own ``read_input`` (MediaPipe for a video, the keypoint
readers for ``.npz``/``.json``), so training sees exactly the 2D the add-on will lift. Frames in
which no person was detected are interpolated there; they are not real observations, so they are
dropped here: each contiguous run of detected frames (at least ``--min-length`` long) becomes one
sequence, named ``<video>/<first>-<last>`` (frame numbers, inclusive), grouped by video. Poses are
pixels with MediaPipe's per-joint confidence (0 for joints filled inside a detected frame).
All inputs must share one frame rate (within 1 %), since the temporal losses pair frames by index.
A folder is read as the batch script reads it (``list_clips``: its videos, keypoint files and
per-frame OpenPose folders); a clip without a person there is skipped with a message, but the run
fails if nothing at all is extracted. ``--jobs N`` (default: the cores) detects N clips at once in
worker processes, as the batch script does (``core.parallel``; same output as ``--jobs 1``), or a
single long video in N overlapping chunks (``core.detect.chunks``). Frames where the detector took
the person's back for the front are relabelled as the add-on does (``core.track.facing``, with
the bundled judge; ``--no-swap-repair`` keeps the detector's labels): a fine-tune should not
learn from left and right swapped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # allow `python training/extract.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ambiblend.core.detect import Keypoints2D, list_clips, read_input
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.pipeline import PipelineOptions, relabel_swaps
from ambiblend.core.parallel import WorkerPool, default_jobs
from training.data.sequences import SequenceSet

MIN_LENGTH = 10   # frames; shorter runs give too few temporal pairs to be worth keeping


def detected_runs(filled: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """(T,) bool "no person" flags → [(start, stop)) of detected runs at least min_length long."""
    seen = np.concatenate([[False], ~np.asarray(filled, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(seen.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_length]


def to_sequence_set(clips: list[Keypoints2D], min_length: int = MIN_LENGTH) -> SequenceSet:
    """Detected clips → one SequenceSet of their detected runs (see module docstring)."""
    fps = clips[0].fps
    odd = [Path(c.source).name for c in clips if abs(c.fps - fps) > 0.01 * fps]
    if odd:
        raise AmbiblendError(f"Frame rates differ: {Path(clips[0].source).name} has {fps:g} fps but "
                             f"{', '.join(odd)} do not; extract clips of each frame rate separately.")
    xy, conf, names, groups = [], [], [], []
    for clip in clips:
        stem = Path(clip.source).stem
        for a, b in detected_runs(clip.filled, min_length):
            xy.append(clip.xy[a:b])
            conf.append(clip.conf[a:b])
            names.append(f"{stem}/{a}-{b - 1}")
            groups.append(stem)
    if not xy:
        raise AmbiblendError(f"No run of at least {min_length} frames with a detected person in the input.")
    return SequenceSet.from_sequences(xy, names, groups, fps=fps, confs=conf)


def read_task(path: Path, _state) -> Keypoints2D:
    """One clip's 2D in a worker process."""
    return read_input(path)


def read_all(inputs: list[Path], jobs: int):
    """(path, ``Outcome`` of ``read_input``) in the inputs' order, ``jobs`` at a time."""
    if len(inputs) == 1:
        from functools import partial
        from ambiblend.core.parallel import run_task
        yield inputs[0], run_task(partial(read_input, jobs=jobs), inputs[0])
        return
    from training import extract as module   # tasks are pickled by name: not __main__'s
    with WorkerPool(min(jobs, len(inputs))) as pool:
        yield from pool.ordered(module.read_task, inputs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, required=True, help="video, keypoint file, OpenPose folder, or a folder of these")
    ap.add_argument("--out", type=Path, required=True, help="SequenceSet .npz to write")
    ap.add_argument("--min-length", type=int, default=MIN_LENGTH, help="shortest run of frames kept")
    ap.add_argument("--no-swap-repair", action="store_true",
                    help="keep the detector's left/right labels where the body's facing says it took the back for the front")
    ap.add_argument("--jobs", type=int, default=default_jobs(),
                    help="clips detected at once in worker processes (default: the number of cores)")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        inputs = list_clips(args.input)
        options = PipelineOptions(repair_swaps=not args.no_swap_repair)
        clips = []
        for path, outcome in read_all(inputs, args.jobs):
            if outcome.bug is not None:
                raise RuntimeError(f"reading {path.name} failed: {outcome.bug}\n{outcome.trace}")
            if outcome.error is not None:
                if len(inputs) == 1:
                    raise AmbiblendError(outcome.error)
                print(f"skipped {path.name}: {outcome.error}", flush=True)
                continue
            clip, swapped = relabel_swaps(outcome.value, None, options)   # the bundled judge
            clips.append(clip)
            note = f", left/right relabelled in {int(swapped.sum())}" if swapped.any() else ""
            print(f"{path.name}: {clip.num_frames} frames, person in {int((~clip.filled).sum())}{note}, "
                  f"{outcome.seconds:.1f} s", flush=True)
        if not clips:
            raise AmbiblendError(f"No person was detected in any video of {args.input.name}.")
        data = to_sequence_set(clips, args.min_length)
    except AmbiblendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    data.save(args.out)
    print(f"wrote {args.out}: {len(data)} sequences, {data.num_frames} frames at {data.fps:g} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())

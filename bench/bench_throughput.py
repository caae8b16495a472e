"""Throughput of the batch on this machine, in one run:

    .venv/bin/python bench/bench_throughput.py [--videos DIR] [--repeat 1] [--skip-downscale]

1. Folder: the batch script (a subprocess, as a user runs it, ``--formats npz``) over the shared
   1080x1920 Pose2Sim clips with ``--jobs 1`` and ``--jobs 2``: wall time, clips/min, the ratio,
   and whether the two runs wrote the same joints.
2. Real-time factor: frames detected per second (``detect_people``, the batch's detection: people
   counted, frames decoded in the reader thread, tracked) over a 30 fps clip's 30 frames/s, one
   clip in one pass, with the reader thread and without it; and the folder run's frames over its
   wall time (2 cores, one clip per core).
3. Chunks: one long clip (a shared clip forward and back, 1080x1920, 30 fps, 12 s) detected in one
   pass and in 2 overlapping chunks (``detect.chunks``): the ratio of wall times and the landmark
   error at the seam against the one pass (px, mean over the 33 landmarks).
4. Downscaled input: the landmarks of a frame given to MediaPipe at 1/2 and 3/4 size (it resizes
   internally) against full size, and the time per frame of each (the resize included).

Prints the load average before and after: the figures mean little on a loaded machine.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VIDEOS = Path("/work/shared/data/videos/pose2sim-single-person")
BATCH = ROOT / "ambiblend" / "batch.py"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def folder_runs(clips: list[Path], tmp: Path, repeat: int) -> dict:
    """Batch wall time with --jobs 1 and 2 (best of ``repeat``, interleaved) and the npz outputs."""
    folder = tmp / "folder"
    folder.mkdir()
    for clip in clips:
        shutil.copy(clip, folder / clip.name)
    best, cores = {1: np.inf, 2: np.inf}, {}
    for r in range(repeat):
        for jobs in (1, 2):
            out = tmp / f"out{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            cpu0, start = _children_cpu(), time.perf_counter()
            result = subprocess.run([sys.executable, str(BATCH), "--", "--input", str(folder), "--output", str(out),
                                     "--formats", "npz", "--jobs", str(jobs)], capture_output=True, text=True)
            wall = time.perf_counter() - start
            if result.returncode != 0:
                sys.exit(f"batch --jobs {jobs} failed:\n{result.stderr[-3000:]}")
            if wall < best[jobs]:
                best[jobs], cores[jobs] = wall, (_children_cpu() - cpu0) / wall
    same = max(float(np.abs(np.load(tmp / "out1" / f"{c.stem}.npz")["joints"]
                             - np.load(tmp / "out2" / f"{c.stem}.npz")["joints"]).max()) for c in clips)
    return {"wall": best, "cores": cores, "max_diff": same}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def detect_rate(path: Path, prefetch: int, jobs: int = 1) -> tuple[float, int]:
    """(seconds, frames) of ``detect_people`` on ``path``."""
    from ambiblend.core.detect import video
    from ambiblend.core.detect.mediapipe_pose import detect_people
    saved = video.frames.__defaults__      # the default of frames(prefetch=) for this run only
    names = video.frames.__code__.co_varnames[1:video.frames.__code__.co_argcount]
    defaults = list(saved)
    defaults[names.index("prefetch")] = prefetch
    video.frames.__defaults__ = tuple(defaults)
    try:
        start = time.perf_counter()
        people = detect_people(path, jobs=jobs)
        return time.perf_counter() - start, people.num_frames
    finally:
        video.frames.__defaults__ = saved


def write_long_clip(src: Path, dst: Path, n_frames: int, fps: float = 30.0) -> Path:
    """``src`` forward then backward (continuous motion) as an ``n_frames`` .mp4 at ``fps``."""
    import cv2
    from ambiblend.core.detect.video import frames
    src_frames = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames(src)]
    loop = src_frames + src_frames[-2:0:-1]
    h, w = src_frames[0].shape[:2]
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(n_frames):
        out.write(loop[i % len(loop)])
    out.release()
    return dst


def landmarks(poses) -> np.ndarray:
    return np.array([p[0].points if p else np.full((33, 2), np.nan) for p in poses])


def chunk_runs(clip: Path, repeat: int) -> dict:
    from ambiblend.core.detect.chunks import Chunk, detect_poses, detect_range
    from ambiblend.core.detect.video import open_video
    info = open_video(clip)
    best = {"one": np.inf, "chunks": np.inf}
    for _ in range(repeat):
        start = time.perf_counter()
        one = landmarks(detect_range(clip, info.fps, Chunk(0, 0, None)))
        best["one"] = min(best["one"], time.perf_counter() - start)
        start = time.perf_counter()
        two = landmarks(detect_poses(clip, jobs=2))
        best["chunks"] = min(best["chunks"], time.perf_counter() - start)
    err = np.linalg.norm(one - two, axis=-1).mean(axis=1)
    seam = len(one) // 2
    return {**best, "frames": len(one), "seam": seam, "at_seam": err[seam:seam + 5], "after": float(np.nanmean(err[seam:])),
            "max_after": float(np.nanmax(err[seam:])), "height": info.size[1]}


def downscale_runs(clip: Path) -> list[tuple[float, float, float, float]]:
    """(scale, ms/frame, mean px error, max px error) against full size; resize in the loop."""
    import cv2
    from ambiblend.core.detect.mediapipe_pose import PoseRunner
    from ambiblend.core.detect.video import frames, open_video
    fps = open_video(clip).fps
    rows, ref = [], None
    for scale in (1.0, 0.75, 0.5):
        pts = []
        start = time.perf_counter()
        with PoseRunner(fps=fps) as run:
            for rgb in frames(clip):
                if scale != 1.0:
                    rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                found = run(rgb)
                pts.append(found[0].points / scale if found else np.full((33, 2), np.nan))
        ms = (time.perf_counter() - start) / len(pts) * 1000
        pts = np.array(pts)
        ref = pts if ref is None else ref
        err = np.linalg.norm(pts - ref, axis=-1)
        rows.append((scale, ms, float(np.nanmean(err)), float(np.nanmax(err))))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=VIDEOS, help="folder of the 1080x1920 clips (cam01..04.mp4)")
    ap.add_argument("--repeat", type=int, default=1, help="best of N for each timing")
    ap.add_argument("--skip-downscale", action="store_true")
    args = ap.parse_args(argv)
    clips = sorted(args.videos.glob("*.mp4"))
    if not clips:
        sys.exit(f"no .mp4 clips in {args.videos}")
    print(f"start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ambiblend-bench-") as tmp:
        tmp = Path(tmp)
        folder = folder_runs(clips, tmp, args.repeat)
        w1, w2 = folder["wall"][1], folder["wall"][2]
        n_frames = 0
        from ambiblend.core.detect.video import open_video
        n_frames = sum(open_video(c).frame_count for c in clips)
        print(f"1. folder of {len(clips)} clips ({n_frames} frames, {open_video(clips[0]).size[0]}x"
              f"{open_video(clips[0]).size[1]}), batch --formats npz: --jobs 1 {w1:.1f} s, --jobs 2 {w2:.1f} s "
              f"-> ratio {w1 / w2:.2f} ({len(clips) / w1 * 60:.1f} vs {len(clips) / w2 * 60:.1f} clips/min); "
              f"CPU in use {folder['cores'][1]:.2f} vs {folder['cores'][2]:.2f} cores (the reader thread already "
              f"overlaps decoding with detection at --jobs 1); max joint difference {folder['max_diff']:.1e} m  "
              f"[{load()}]", flush=True)

        rates = {}
        for prefetch in (0, 2):
            secs = min(detect_rate(clips[0], prefetch)[0] for _ in range(args.repeat))
            rates[prefetch] = open_video(clips[0]).frame_count / secs
        print(f"2. real-time factor, one 1080x1920 clip, one pass (detect_people): reader thread "
              f"{rates[2]:.1f} frames/s = {rates[2] / 30:.2f}x real time at 30 fps ({rates[2] / 60:.2f}x at its "
              f"60 fps); without it {rates[0]:.1f} frames/s = {rates[0] / 30:.2f}x; folder with --jobs 2 (whole "
              f"batch, startup included): {n_frames / w2:.1f} frames/s = {n_frames / w2 / 30:.2f}x real time at "
              f"30 fps  [{load()}]", flush=True)

        long_clip = write_long_clip(clips[0], tmp / "long.mp4", 360)
        ch = chunk_runs(long_clip, args.repeat)
        print(f"3. one long clip ({ch['frames']} frames, 30 fps, 1080x1920): one pass {ch['one']:.1f} s, 2 chunks "
              f"{ch['chunks']:.1f} s -> ratio {ch['one'] / ch['chunks']:.2f}, {ch['frames'] / ch['chunks'] / 30:.2f}x "
              f"real time; landmark error vs one pass at the seam (frames {ch['seam']}..{ch['seam'] + 4}) "
              f"{np.array2string(ch['at_seam'], precision=2)} px, mean after the seam {ch['after']:.2f} px, "
              f"max {ch['max_after']:.2f} px (image height {ch['height']} px)  [{load()}]", flush=True)

    if not args.skip_downscale:
        rows = downscale_runs(clips[1])
        print("4. downscaled input to MediaPipe (one pass, resize included): " + "; ".join(
            f"x{s:g}: {ms:.1f} ms/frame, landmarks vs full size mean {mean:.2f} px, max {mx:.1f} px"
            for s, ms, mean, mx in rows) + f"  [{load()}]", flush=True)
    print(f"end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

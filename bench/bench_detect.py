"""Detection speed on the bundled sample (or any video): decoding alone vs decoding + MediaPipe.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_detect.py [--video path] [--repeat 3]

Prints ms/frame for OpenCV decoding only and for ``detect_video`` (decode + MediaPipe Pose +
mapping + gap filling), their ratio, and detection speed relative to real time. Best of N runs.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ambiblend.core.detect import detect_video  # noqa: E402
from ambiblend.core.detect.video import frames  # noqa: E402

SAMPLE = ROOT / "assets" / "sample" / "pose2sim_cam04.mp4"


def best_of(repeat: int, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=SAMPLE)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    decode_s, n = best_of(args.repeat, lambda: sum(1 for _ in frames(args.video)))
    detect_s, kp = best_of(args.repeat, lambda: detect_video(args.video))
    print(f"{args.video.name}: {n} frames, {kp.image_size[0]}x{kp.image_size[1]}, {kp.fps:g} fps, "
          f"person in {int((~kp.filled).sum())}")
    print(f"decode only      {1000 * decode_s / n:7.2f} ms/frame")
    print(f"detect_video     {1000 * detect_s / n:7.2f} ms/frame   ({detect_s:.2f} s)")
    print(f"ratio detect/decode {detect_s / decode_s:.1f}x; detection runs at "
          f"{n / kp.fps / detect_s:.2f}x real time")


if __name__ == "__main__":
    main()

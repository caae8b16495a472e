"""Detection speed with and without hands, side by side in one run (variants interleaved, best
of N, so load on the machine hits them alike).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_hands.py [--video path ...] [--repeat 3] [--frames 100]

Per video, ms/frame for: the body detector alone (``detect_video``); body + hands in crops
around the wrists (``detect_video`` then ``core.hands.detect.detect_hands``, the shipped
``--hands``); body + hands on the whole frame (the naive alternative); and the ratio of each
to the body alone. Decoding is included everywhere (the hands pass decodes the clip again).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ambiblend.core.detect import detect_video  # noqa: E402
from ambiblend.core.hands.detect import detect_hands  # noqa: E402

VIDEOS = [ROOT / "assets" / "sample" / "pose2sim_cam04.mp4",
          Path("/work/shared/data/videos/pose2sim-single-person/cam04.mp4")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    print("| video | size | body only ms/f | body + hands (crops) ms/f | ratio | body + hands (whole frame) ms/f | ratio | hands found (crops) |")
    print("|---|---|---|---|---|---|---|---|")
    for video in args.video or [v for v in VIDEOS if v.is_file()]:
        best = {"body": float("inf"), "crops": float("inf"), "frame": float("inf")}
        found = ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            kp = detect_video(video, max_frames=args.frames)
            body = time.perf_counter() - start
            best["body"] = min(best["body"], body)
            for mode in ("crops", "frame"):
                start = time.perf_counter()
                kp2 = detect_video(video, max_frames=args.frames)
                track = detect_hands(video, kp2, mode)
                best[mode] = min(best[mode], time.perf_counter() - start)
                if mode == "crops":
                    found = f"{100 * track.found.any(axis=1).mean():.0f} % any, {100 * track.found.all(axis=1).mean():.0f} % both"
        n = kp.num_frames
        ms = {k: 1000 * v / n for k, v in best.items()}
        w, h = kp.image_size
        print(f"| {video.name} | {w}×{h} | {ms['body']:.1f} | {ms['crops']:.1f} | {ms['crops'] / ms['body']:.2f} | "
              f"{ms['frame']:.1f} | {ms['frame'] / ms['body']:.2f} | {found} |", flush=True)


if __name__ == "__main__":
    main()

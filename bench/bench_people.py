"""Detector cost per frame for 1, 2 and 4 people in view, side by side in one run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_people.py [--frames 60] [--repeat 2]

Clips are built from the bundled sample (``tests/multi_person.py``): tiles of 270 × 476 px, one
man each (the sample, mirrored every other tile and time-shifted by 10 frames per tile), one
tile, two side by side, or 2 × 2. For each clip: decoding alone, ``detect_people`` as the add-on
runs it (people counted on still frames, then MediaPipe with ``num_poses`` = 4 where two are seen,
and the tracker), and the single-person detector (``max_people=1``: one pose per frame, follows
whoever it finds). Best of N, the variants interleaved so that load on the machine hits them alike.
The count of people tracked is printed beside each figure: MediaPipe's person detector sees the
whole frame resized to 224 px, so in the 2 × 2 clip (each man half the frame's height) it finds
about one of the four — a limit of the detector, not of the tracker.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import multi_person as mp  # noqa: E402

from ambiblend.core.detect import detect_people  # noqa: E402
from ambiblend.core.detect.video import frames  # noqa: E402


def build(folder: Path, n: int) -> dict[int, Path]:
    base = mp.view(0, n + 30, 0.5)
    tiles = [base[10 * k:10 * k + n] for k in range(4)]
    tiles = [mp.mirrored(t) if k % 2 else t for k, t in enumerate(tiles)]
    return {1: mp.write_video(folder / "one.mp4", tiles[0]),
            2: mp.side_by_side(folder / "two.mp4", tiles[:2]),
            4: mp.side_by_side(folder / "four.mp4", tiles)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    import mediapipe
    with tempfile.TemporaryDirectory() as tmp:
        clips = build(Path(tmp), args.frames)
        variants = {}
        for people, path in clips.items():
            variants[(people, "decode only")] = lambda p=path: sum(1 for _ in frames(p))
            variants[(people, "detect_people (default)")] = lambda p=path: detect_people(p)
            variants[(people, "single-person (max_people=1)")] = lambda p=path: detect_people(p, max_people=1)
        best = {k: float("inf") for k in variants}
        found = {}
        for _ in range(args.repeat):
            for key, fn in variants.items():
                start = time.perf_counter()
                out = fn()
                best[key] = min(best[key], time.perf_counter() - start)
                if key[1] != "decode only":
                    found[key] = f"{out.count} tracked, {int(out.seen.sum())} person-frames"
    print(f"{args.frames} frames per clip, 270x476 px per person; mediapipe {mediapipe.__version__}, "
          f"Python {sys.version.split()[0]}; best of {args.repeat}")
    for (people, name), seconds in best.items():
        extra = f"   ({found[(people, name)]})" if (people, name) in found else ""
        label = f"{people} {'person ' if people == 1 else 'people '} {name:30s}"
        print(f"{label} {1000 * seconds / args.frames:7.1f} ms/frame{extra}")


if __name__ == "__main__":
    main()

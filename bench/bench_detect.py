"""Detection speed on the bundled sample (or any video): decoding alone, our detector (MediaPipe
Tasks PoseLandmarker, VIDEO mode) and, where mediapipe 0.10.21 still has it, the legacy
``solutions.pose`` graph the detector used before — side by side in one run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_detect.py [--video path] [--repeat 3] [--num-poses 1]

Prints ms/frame for OpenCV decoding only, for ``detect_video`` (decode + PoseLandmarker +
mapping + gap filling; with ``--num-poses N`` > 1 the bare ``PoseRunner`` asked for N people),
for the legacy graph (decode + ``Pose(model_complexity=1)`` in tracking mode + the same
mapping), their ratio, and detection speed relative to real time. Best of N runs, the variants
interleaved so that load on the machine hits them alike.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ambiblend.core.detect import detect_video  # noqa: E402
from ambiblend.core.detect.landmarks import MEDIAPIPE_33, to_h36m  # noqa: E402
from ambiblend.core.detect.mediapipe_pose import PoseRunner  # noqa: E402
from ambiblend.core.detect.video import frames, open_video  # noqa: E402

SAMPLE = ROOT / "assets" / "sample" / "pose2sim_cam04.mp4"


def legacy(video: Path) -> int:
    """The old detector's loop (legacy graph, complexity 1, tracking) → frames with a person."""
    from mediapipe.python.solutions import pose as mp_pose
    found, points = 0, []
    with mp_pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True) as pose:
        for rgb in frames(video):
            result = pose.process(rgb)
            if result.pose_landmarks is not None:
                found += 1
                h, w = rgb.shape[:2]
                points.append([(p.x * w, p.y * h) for p in result.pose_landmarks.landmark])
    if points:
        to_h36m(np.array(points), np.ones((len(points), 33)), MEDIAPIPE_33)
    return found


def runner_only(video: Path, num_poses: int) -> int:
    """PoseRunner asked for ``num_poses`` people → total people found."""
    with PoseRunner(fps=open_video(video).fps, num_poses=num_poses) as run:
        return sum(len(run(rgb)) for rgb in frames(video))


def has_legacy() -> bool:
    try:
        from mediapipe.python.solutions import pose  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=SAMPLE)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--num-poses", type=int, default=1)
    args = ap.parse_args()
    import mediapipe
    variants = {"decode only": lambda: sum(1 for _ in frames(args.video))}
    if args.num_poses == 1:
        variants["detect_video (Tasks)"] = lambda: detect_video(args.video)
    else:
        variants[f"PoseRunner x{args.num_poses} (Tasks)"] = lambda: runner_only(args.video, args.num_poses)
    if has_legacy():
        variants["legacy solutions.pose"] = lambda: legacy(args.video)
    best = {name: float("inf") for name in variants}
    results = {}
    for _ in range(args.repeat):
        for name, fn in variants.items():
            start = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    n = results["decode only"]
    info = open_video(args.video)
    print(f"{args.video.name}: {n} frames, {info.size[0]}x{info.size[1]}, {info.fps:g} fps; "
          f"mediapipe {mediapipe.__version__}, Python {sys.version.split()[0]}; best of {args.repeat}")
    for name, seconds in best.items():
        extra = ""
        if name != "decode only":
            extra = (f"   {seconds / best['decode only']:.1f}x decode, {n / info.fps / seconds:.2f}x real time")
        print(f"{name:26s} {1000 * seconds / n:7.2f} ms/frame{extra}")
    if "legacy solutions.pose" in best and args.num_poses == 1:
        print(f"Tasks / legacy: {best['detect_video (Tasks)'] / best['legacy solutions.pose']:.2f}")
    if "legacy solutions.pose" not in best:
        print("(legacy solutions.pose is not in this mediapipe: no comparison)")


if __name__ == "__main__":
    main()

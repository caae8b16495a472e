"""Regenerate the bundled sample: a downscaled Pose2Sim clip and its detected 2D keypoints.

    .venv/bin/python tools/make_sample.py [--source /work/shared/data/videos/pose2sim-single-person]
    .venv/bin/python tools/make_sample.py --keypoints-only    # re-detect the clip already there

Writes ``assets/sample/pose2sim_cam04.mp4`` (all 100 frames at 60 fps, 540 px wide, OpenCV
``mp4v``), ``assets/sample/pose2sim_cam04_keypoints.npz`` (``detect_video`` on that clip, our
``Keypoints2D`` npz) and copies the data's BSD-3 licence beside them.
cam04 shows the person large and whole, and MediaPipe finds them in every frame.
``--keypoints-only`` keeps the bundled clip as it is and rewrites only the ``.npz`` (after a
detector change). Run it with the project venv (mediapipe 0.10.21), whose detection the tests
compare against most tightly.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ambiblend.core.detect import detect_video  # noqa: E402
from ambiblend.core.detect.video import frames  # noqa: E402

SOURCE = Path("/work/shared/data/videos/pose2sim-single-person")
VIEW = "cam04"
WIDTH = 540          # keeps the file ≈ 1–3 MB while the person stays ≈ 400 px tall
OUT = ROOT / "assets" / "sample"
NAME = f"pose2sim_{VIEW}"


def downscale(src: Path, dst: Path, width: int) -> int:
    """Re-encode ``src`` at ``width`` px (height keeps the aspect, rounded to even). → frames."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {src}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    size = (width, int(round(h * width / w / 2)) * 2)
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        n += 1
    cap.release()
    writer.release()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=SOURCE, help="folder of the Pose2Sim demo videos")
    ap.add_argument("--width", type=int, default=WIDTH)
    ap.add_argument("--keypoints-only", action="store_true", help="re-detect the bundled clip, keep the video")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    video = OUT / f"{NAME}.mp4"
    if args.keypoints_only:
        n = sum(1 for _ in frames(video))
    else:
        n = downscale(args.source / f"{VIEW}.mp4", video, args.width)
        shutil.copyfile(args.source / "LICENSE", OUT / "LICENSE-pose2sim.txt")
    kp = detect_video(video)
    kp.source = video.name
    kp.save(OUT / f"{NAME}_keypoints.npz")
    print(f"{video.name}: {n} frames, {video.stat().st_size / 1e6:.2f} MB, {kp.image_size}; "
          f"person in {int((~kp.filled).sum())}/{kp.num_frames} frames")


if __name__ == "__main__":
    main()

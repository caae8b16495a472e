"""Make the train / val / test ``SequenceSet`` files from the Bandai-Namco BVH clips.

    python -m training.prepare_mocap --data /work/data --out /work/scratch/h2

Writes ``train.npz`` (2D only), ``val.npz`` / ``val_detector.npz`` and ``test.npz`` /
``test_detector.npz`` (2D + camera-frame 3D in metres, for evaluation only).

Split (deterministic, by clip; documented in assets/MODEL_CARD.md):
- Whole content types held out: ``TEST_CONTENTS`` appear only in test, ``VAL_CONTENTS`` only
  in validation (motions the model never trains on).
- Every other clip goes to train / val / test by a hash of its file name: 80 / 10 / 10 %.
Frames: every ``--stride``-th frame (2 → 15 fps); the sequences' fps is set accordingly.
Cameras: train = ``--train-views`` random cameras per clip (``random_camera``), each with its own
bone-length variation (±10 %); val/test = the fixed ``EVAL_VIEWS`` with a fixed seed, also with
a seeded bone-length variation so the test skeletons differ from the training ones.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # allow `python training/prepare_mocap.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.model import project
from ambiblend.core.mocap.bvh import load_h36m
from training.data.mocap import PROPORTIONS, detector_like, eval_cameras, random_camera, vary_bones
from training.data.sequences import SequenceSet

DATASETS = ("Bandai-Namco-Research-Motiondataset-1", "Bandai-Namco-Research-Motiondataset-2")
# Content types kept out of training entirely (dataset-1 only motions, unlike anything in train).
TEST_CONTENTS = ("kick", "dance-short", "bow")
VAL_CONTENTS = ("punch",)
SEED_TRAIN, SEED_EVAL, SEED_NOISE = 1, 2, 3


def clip_content(path: Path) -> str:
    """Content type of a clip from its JSON label (index into cfg/content_label.txt)."""
    labels = (path.parents[1] / "cfg" / "content_label.txt").read_text().split()
    content = json.loads(path.with_suffix(".json").read_text())["content"]
    return labels[content].split("_", 1)[1]  # "dataset-1_walk" → "walk"


def split_of(name: str, content: str) -> str:
    """'train', 'val' or 'test' for a clip file name (stem) and its content type."""
    if content in TEST_CONTENTS:
        return "test"
    if content in VAL_CONTENTS:
        return "val"
    h = int(hashlib.md5(name.encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 80 else "val" if h < 90 else "test"


def list_clips(data_root: Path, limit: int | None = None) -> list[tuple[Path, str, str]]:
    """(path, content, split) for every BVH clip under the dataset folders, sorted by name."""
    clips = []
    for ds in DATASETS:
        folder = data_root / ds / "data"
        if not folder.is_dir():
            raise AmbiblendError(f"Dataset folder not found: {folder}")
        for p in sorted(folder.glob("*.bvh")):
            content = clip_content(p)
            clips.append((p, content, split_of(p.stem, content)))
    return clips[:limit] if limit else clips


def build(clips, stride: int, train_views: int, proportions: str = "mocap") -> dict[str, dict[str, list]]:
    """Run every clip through its split's camera protocol; returns per-output lists."""
    outs = {k: {"2d": [], "3d": [], "conf": [], "names": [], "groups": []}
            for k in ("train", "val", "val_detector", "test", "test_detector")}
    for i, (path, content, split) in enumerate(clips):
        world, _ = load_h36m(path)
        world = world[::stride]
        if len(world) < 2:
            continue
        # One generator per clip and purpose, seeded by the clip index: reruns give the same files.
        if split == "train":
            rng = np.random.default_rng([SEED_TRAIN, i])
            for v in range(train_views):
                body = vary_bones(world, rng, proportions)
                cam = random_camera(body, rng)
                _append(outs["train"], project(cam.to_camera(body)), None, None, f"{path.stem}/r{v}", content)
            continue
        rng = np.random.default_rng([SEED_EVAL, i])
        body = vary_bones(world, rng)
        noise_rng = np.random.default_rng([SEED_NOISE, i])
        for v, cam in enumerate(eval_cameras(body, rng)):
            cam3d = cam.to_camera(body)
            xy = project(cam3d)
            name = f"{path.stem}/v{v}"
            _append(outs[split], xy, cam3d, None, name, content)
            noisy, conf = detector_like(xy, noise_rng)
            _append(outs[split + "_detector"], noisy, cam3d, conf, name, content)
        if i % 200 == 0:
            print(f"  {i}/{len(clips)} clips", flush=True)
    return outs


def _append(out, xy, cam3d, conf, name, group):
    out["2d"].append(xy.astype(np.float32))
    out["3d"].append(None if cam3d is None else cam3d.astype(np.float32))
    out["conf"].append(None if conf is None else conf)
    out["names"].append(name)
    out["groups"].append(group)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/data"),
                    help="folder holding the unpacked Bandai-Namco-Research-Motiondataset-1/-2")
    ap.add_argument("--out", type=Path, default=Path("/work/scratch/h2"))
    ap.add_argument("--stride", type=int, default=2, help="keep every n-th frame (30 fps / n)")
    ap.add_argument("--train-views", type=int, default=4, help="random cameras per training clip")
    ap.add_argument("--train-proportions", choices=sorted(PROPORTIONS), default="mocap",
                    help="body proportions of the training skeletons (training.data.mocap.PROPORTIONS); "
                         "val/test always use 'mocap'")
    ap.add_argument("--limit", type=int, default=None, help="first n clips only (smoke tests)")
    args = ap.parse_args(argv)
    t0 = time.time()
    clips = list_clips(args.data, args.limit)
    print(f"{len(clips)} clips: " + ", ".join(f"{s} {sum(c[2] == s for c in clips)}"
                                             for s in ("train", "val", "test")), flush=True)
    outs = build(clips, args.stride, args.train_views, args.train_proportions)
    fps = 30.0 / args.stride
    for key, o in outs.items():
        if not o["2d"]:
            print(f"{key}: no clips, not written")
            continue
        has3d = o["3d"][0] is not None
        seqs = SequenceSet.from_sequences(
            o["2d"], o["names"], o["groups"], fps=fps, seqs_3d=o["3d"] if has3d else None,
            confs=o["conf"] if o["conf"][0] is not None else None)
        seqs.save(args.out / f"{key}.npz")
        print(f"{key}: {len(seqs)} sequences, {seqs.num_frames} frames → {args.out / (key + '.npz')}")
    print(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

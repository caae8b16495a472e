"""Make the train / val / test ``SequenceSet`` files from the Bandai-Namco BVH clips.

    python -m training.prepare_mocap --data /work/data --out runs/mocap [--split group]

Writes ``train.npz`` (2D only), ``val.npz`` / ``val_detector.npz`` and ``test.npz`` /
``test_detector.npz`` (2D + camera-frame 3D in metres, for evaluation only).

Split (deterministic, by clip; documented in assets/MODEL_CARD.md). ``--split group`` (default):
validation and test are held out **by group**, whole content types and whole styles that
training never sees, so a test figure measures motions and styles the model has not trained on:
- test: every clip whose content is in ``TEST_CONTENTS`` or whose style is in ``TEST_STYLES``;
- val: of the rest, every clip whose content is in ``VAL_CONTENTS`` or style in ``VAL_STYLES``;
- train: the clips with neither a held-out content nor a held-out style.
Held-out groups come in families so no near-sibling trains: the waving motions of both data sets
(dataset-2 ``wave-*``, dataset-1 ``bye``/``byebye``) and kick / dance-short / bow in test, the
turning walks (dataset-2 ``walk-turn-*``) and the attacks (punch, slash) in validation; the
style "old age" of both data sets (``elderly``, ``old``) in test, "tiredness" (``exhausted``,
``tired``) in validation. ``--split legacy``: the split of the models before issue 11 (held-out
contents kick, dance-short, bow / punch, every other clip by a hash of its name 80/10/10 %; its
test clips share content and style with training clips): only to reproduce old figures, which
stay labelled "legacy split".
Frames: every ``--stride``-th frame (2 → 15 fps); the sequences' fps is set accordingly.
Cameras: train = ``--train-views`` random cameras per clip (``random_camera``), each with its own
bone-length variation (``--train-proportions``); val/test = the fixed ``EVAL_VIEWS`` with a fixed
seed, also with a seeded ±10 % bone-length variation so the test skeletons differ from the
training ones. ``--train-detector F``: that fraction of the training views gets detector-like 2D
(``training.data.mocap.detector_like``: noise, dropped joints filled as the add-on does, left/right
swaps) instead of the exact projection. Val/test files do not depend on the training options.

Your own mocap, any rig: ``--bvh DIR --skeleton mixamo|cmu|unreal|unity|rokoko|bandai|auto|map.json``
reads every ``*.bvh`` under DIR through that joint-name mapping (``ambiblend/core/mocap/bvh.py``;
units detected or ``--unit``), group = first sub-folder; ``--test-groups`` / ``--val-groups``
hold sub-folders out whole (else an 80/10/10 % hash split, which is not a held-out split).
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
from ambiblend.core.mocap.bvh import SKELETONS, UNITS, load_h36m
from training.data.mocap import PROPORTIONS, detector_like, eval_cameras, random_camera, vary_bones
from training.data.sequences import SequenceSet

DATASETS = ("Bandai-Namco-Research-Motiondataset-1", "Bandai-Namco-Research-Motiondataset-2")
# Group split (the default): content types and styles kept out of training entirely.
TEST_CONTENTS = ("wave-both-hands", "wave-left-hand", "wave-right-hand", "bye", "byebye",
                 "kick", "dance-short", "bow")
TEST_STYLES = ("elderly", "old")
VAL_CONTENTS = ("walk-turn-left", "walk-turn-right", "punch", "slash")
VAL_STYLES = ("exhausted", "tired")
# Legacy split (before issue 11): held-out contents, the rest by a hash of the clip name.
LEGACY_TEST_CONTENTS = ("kick", "dance-short", "bow")
LEGACY_VAL_CONTENTS = ("punch",)
SPLITS = ("group", "legacy")
SEED_TRAIN, SEED_EVAL, SEED_NOISE, SEED_DETECTOR = 1, 2, 3, 4


def _label(path: Path, key: str) -> str:
    labels = (path.parents[1] / "cfg" / f"{key}_label.txt").read_text().split()
    index = json.loads(path.with_suffix(".json").read_text())[key]
    return labels[index].split("_", 1)[1]  # "dataset-1_walk" → "walk"


def clip_content(path: Path) -> str:
    """Content type of a clip from its JSON label (index into cfg/content_label.txt)."""
    return _label(path, "content")


def clip_style(path: Path) -> str:
    """Style of a clip from its JSON label (index into cfg/style_label.txt)."""
    return _label(path, "style")


def split_of(name: str, content: str, style: str = "", split: str = "group") -> str:
    """'train', 'val' or 'test' for a clip file name (stem), content type and style."""
    if split == "legacy":
        if content in LEGACY_TEST_CONTENTS:
            return "test"
        if content in LEGACY_VAL_CONTENTS:
            return "val"
        h = int(hashlib.md5(name.encode()).hexdigest()[:8], 16) % 100
        return "train" if h < 80 else "val" if h < 90 else "test"
    if split != "group":
        raise AmbiblendError(f"Unknown split '{split}' (choose from {', '.join(SPLITS)}).")
    if content in TEST_CONTENTS or style in TEST_STYLES:
        return "test"
    if content in VAL_CONTENTS or style in VAL_STYLES:
        return "val"
    return "train"


def held_out_kind(content: str, style: str) -> str:
    """Why a val/test clip is held out: 'content', 'style' or 'both' (group split)."""
    c = content in TEST_CONTENTS + VAL_CONTENTS
    s = style in TEST_STYLES + VAL_STYLES
    return "both" if c and s else "content" if c else "style" if s else "none"


def list_clips(data_root: Path, limit: int | None = None,
               split: str = "group") -> list[tuple[Path, str, str]]:
    """(path, content, split) for every BVH clip under the dataset folders, sorted by name."""
    clips = []
    for ds in DATASETS:
        folder = data_root / ds / "data"
        if not folder.is_dir():
            raise AmbiblendError(f"Dataset folder not found: {folder}")
        for p in sorted(folder.glob("*.bvh")):
            content = clip_content(p)
            style = clip_style(p) if split == "group" else ""
            clips.append((p, content, split_of(p.stem, content, style, split)))
    return clips[:limit] if limit else clips


def list_bvh_clips(root: Path, val_groups=(), test_groups=(),
                   limit: int | None = None) -> list[tuple[Path, str, str]]:
    """(path, group, split) for every ``*.bvh`` under a folder of one's own mocap, sorted.

    A clip's group is its first sub-folder under ``root`` (``root``'s own name for files at the
    top). Groups named in ``test_groups`` / ``val_groups`` are held out whole; without any, the
    clips are split 80/10/10 % by a hash of their path (not a held-out split: say so in figures).
    """
    if not root.is_dir():
        raise AmbiblendError(f"BVH folder not found: {root}")
    files = sorted(root.rglob("*.bvh"))
    if not files:
        raise AmbiblendError(f"No .bvh files under {root}.")
    clips = []
    for p in files:
        rel = p.relative_to(root)
        group = rel.parts[0] if len(rel.parts) > 1 else root.name
        if group in test_groups:
            split = "test"
        elif group in val_groups:
            split = "val"
        elif test_groups or val_groups:
            split = "train"
        else:
            h = int(hashlib.md5(str(rel).encode()).hexdigest()[:8], 16) % 100
            split = "train" if h < 80 else "val" if h < 90 else "test"
        clips.append((p, group, split))
    return clips[:limit] if limit else clips


def read_clip(path: Path, skeleton="bandai", unit: float | None = None, fps: float = 15.0) -> np.ndarray:
    """One BVH → (F, 17, 3) metres Y up at ``fps`` (every k-th frame; k = file fps / fps, whole)."""
    try:
        world, file_fps = load_h36m(path, skeleton, unit)
    except AmbiblendError as exc:
        raise AmbiblendError(f"{path.name}: {exc}") from exc
    step = file_fps / fps
    if abs(step - round(step)) > 0.02 * step or round(step) < 1:
        raise AmbiblendError(f"{path.name}: its {file_fps:.3g} fps is not a whole multiple of {fps:.3g} fps "
                             f"(set --stride so that 30 / stride divides the file's rate).")
    return world[::int(round(step))]


def build(clips, stride: int, train_views: int, proportions: str = "mocap",
          train_detector: float = 0.0, skeleton="bandai", unit: float | None = None) -> dict[str, dict[str, list]]:
    """Run every clip through its split's camera protocol; returns per-output lists."""
    outs = {k: {"2d": [], "3d": [], "conf": [], "names": [], "groups": []}
            for k in ("train", "val", "val_detector", "test", "test_detector")}
    for i, (path, content, split) in enumerate(clips):
        world = read_clip(path, skeleton, unit, 30.0 / stride)
        if len(world) < 2:
            continue
        # One generator per clip and purpose, seeded by the clip index: reruns give the same files.
        if split == "train":
            rng = np.random.default_rng([SEED_TRAIN, i])
            for v in range(train_views):
                body = vary_bones(world, rng, proportions)
                cam = random_camera(body, rng)
                xy = project(cam.to_camera(body))
                if train_detector > 0:  # its own generator: the exact views stay those of F = 0
                    det_rng = np.random.default_rng([SEED_DETECTOR, i, v])
                    if det_rng.random() < train_detector:
                        xy, _ = detector_like(xy, det_rng)
                _append(outs["train"], xy, None, None, f"{path.stem}/r{v}", content)
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
    ap.add_argument("--out", type=Path, default=Path("runs/mocap"))
    ap.add_argument("--stride", type=int, default=2, help="keep every n-th frame (30 fps / n)")
    ap.add_argument("--train-views", type=int, default=4, help="random cameras per training clip")
    ap.add_argument("--train-proportions", choices=sorted(PROPORTIONS), default="mocap",
                    help="body proportions of the training skeletons (training.data.mocap.PROPORTIONS); "
                         "val/test always use 'mocap'")
    ap.add_argument("--train-detector", type=float, default=0.0, metavar="F",
                    help="fraction of the training views given detector-like 2D (noise, drops, swaps)")
    ap.add_argument("--split", choices=SPLITS, default="group",
                    help="group: val/test = whole held-out contents and styles (default); "
                         "legacy: the hash split of the models before issue 11")
    ap.add_argument("--bvh", type=Path, default=None,
                    help="a folder of your own BVH clips (any rig, see --skeleton), used instead of --data")
    ap.add_argument("--skeleton", default="bandai",
                    help="joint-name mapping of the BVH files: " + "|".join(SKELETONS) + "|auto|mapping.json "
                         "(ambiblend/core/mocap/bvh.py; default bandai)")
    ap.add_argument("--unit", choices=sorted(UNITS), default=None,
                    help="the BVH files' length unit (default: the mapping's, else detected per file)")
    ap.add_argument("--val-groups", default="", help="with --bvh: sub-folders held out for validation (comma-separated)")
    ap.add_argument("--test-groups", default="", help="with --bvh: sub-folders held out for test (comma-separated)")
    ap.add_argument("--limit", type=int, default=None, help="first n clips only (smoke tests)")
    args = ap.parse_args(argv)
    if not 0.0 <= args.train_detector <= 1.0:
        raise AmbiblendError(f"--train-detector is a fraction in [0, 1], got {args.train_detector}.")
    t0 = time.time()
    if args.bvh is not None:
        split_list = lambda text: tuple(g for g in text.split(",") if g)
        clips = list_bvh_clips(args.bvh, split_list(args.val_groups), split_list(args.test_groups), args.limit)
    else:
        clips = list_clips(args.data, args.limit, args.split)
    print(f"{len(clips)} clips: " + ", ".join(f"{s} {sum(c[2] == s for c in clips)}"
                                             for s in ("train", "val", "test")), flush=True)
    outs = build(clips, args.stride, args.train_views, args.train_proportions, args.train_detector,
                 args.skeleton, UNITS[args.unit] if args.unit else None)
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

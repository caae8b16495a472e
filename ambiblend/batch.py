"""Headless batch: lift one clip or a folder of clips to FBX (and optionally .blend).

    blender -b --python ambiblend/batch.py -- --input <clip|folder> --output <dir>
            [--height 1.7] [--weights w.safetensors] [--device auto|cuda|cpu] [--blend] [--no-root-motion]
            [--no-clean] [--smoothness 0.5] [--formats fbx,bvh,glb] [--fbx-preset unity]
            [--hands [--finger-smoothness 0.5]] [--jobs N]
            [--person largest|visible|index N|x,y|all] [--max-people 4]
    .venv/bin/python ambiblend/batch.py -- --input ... (same, with the ``bpy`` module)

Prints one progress line per clip and exits with status 1 and a clear message when any clip
fails (the others are still processed); 2 for bad arguments. ``--jobs N`` (default: the cores)
detects and lifts N clips at once in worker processes (``core.parallel``; they never import
bpy) while this process bakes and exports each clip in order: the files, lines and exit status
are those of ``--jobs 1``. A single clip is instead detected in N overlapping chunks when it is
long enough (``core.detect.chunks``: at least 5 s per chunk).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# A script run by path has no package: put the repo root (the folder holding ambiblend/) first
# on sys.path so ``import ambiblend`` finds this checkout, also inside Blender.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

FORMATS = ("fbx", "bvh", "glb", "gltf", "npz")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Arguments after ``--`` (Blender passes its own before it); all of argv when there is none."""
    from ambiblend.core.pipeline import (DETECTOR_3D_RANGE, DETECTOR_3D_WEIGHT, FOCAL_RANGE, HEIGHT_RANGE,
                                         SMOOTHNESS_RANGE, in_range)
    argv = argv[argv.index("--") + 1:] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="ambiblend/batch.py", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, type=Path,
                   help="a video, a keypoint file or a folder of per-frame OpenPose files; or a folder of these")
    p.add_argument("--output", required=True, type=Path, help="folder for the .fbx (and .blend) files")
    p.add_argument("--height", type=float, default=1.70,
                   help=f"subject height in metres, {HEIGHT_RANGE[0]}–{HEIGHT_RANGE[1]} (default 1.70)")
    p.add_argument("--weights", type=Path, default=None, help="lifter checkpoint (default: bundled)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    p.add_argument("--focal", type=float, default=None,
                   help=f"lens, 35 mm equivalent, {FOCAL_RANGE[0]:g}–{FOCAL_RANGE[1]:g} (default 28)")
    p.add_argument("--blend", action="store_true", help="also save a .blend per clip")
    p.add_argument("--no-root-motion", action="store_true", help="keep the character in place")
    p.add_argument("--no-clean", action="store_true", help="skip smoothing / ground / foot locking")
    p.add_argument("--smoothness", type=float, default=0.5, help="0 = raw … 1 = very smooth")
    p.add_argument("--detector-3d", type=float, default=DETECTOR_3D_WEIGHT, metavar="W",
                   help="blend of MediaPipe's own 3D depth into the lifter's, 0 = lifter only … 1 = "
                        f"detector only (default {DETECTOR_3D_WEIGHT:g}; videos only)")
    p.add_argument("--no-swap-repair", action="store_true",
                   help="keep the detector's left/right labels even where the body's facing says it "
                        "took the back for the front")
    p.add_argument("--no-flip-average", action="store_true",
                   help="lift each frame once, not also its mirror image (the average of both is the default)")
    p.add_argument("--formats", default="fbx",
                   help="comma-separated: fbx, bvh, glb, gltf, npz (the lifted joints) (default fbx)")
    p.add_argument("--fbx-preset", default="blender", choices=("blender", "unity", "unreal"),
                   help="FBX axes/units for the target application")
    p.add_argument("--overwrite", action="store_true",
                   help="replace output files that exist (default: stop before any clip and name them)")
    p.add_argument("--hands", action="store_true",
                   help="key finger bones too: hands detected in videos (slower detection) or read from keypoint files with hand keypoints (OpenPose, COCO-WholeBody)")
    p.add_argument("--finger-smoothness", type=float, default=0.5, metavar="S",
                   help="smoothing of the fingers with --hands, 0 = raw … 1 = very smooth (default 0.5)")
    p.add_argument("--person", nargs="+", default=["largest"], metavar="CHOICE",
                   help="who to animate when several people are in a clip: largest (default), visible (seen "
                        "in the most frames), index N (from 1, in order of first appearance, then left to "
                        "right), x,y (the one whose box holds that image point, pixels), or all (one armature "
                        "each, files <stem>_person<N>.<format>)")
    p.add_argument("--max-people", type=int, default=4, metavar="N",
                   help="people looked for in each frame of a video, 1–20 (default 4; 1 = the single-person "
                        "detector, which follows whoever it finds)")
    p.add_argument("--stem", default=None, help="output file name (without extension) for a single clip "
                                                 "(default: the clip's; ambiblend.farm passes the folder run's)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="clips detected at once in worker processes, or chunks of a single long clip "
                        "(default: the number of cores)")
    args = p.parse_args(argv)
    if args.jobs is None:
        from ambiblend.core.parallel import default_jobs
        args.jobs = default_jobs()
    elif args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    from ambiblend.core.errors import AmbiblendError
    from ambiblend.core.track import parse_choice
    args.person = " ".join(args.person)
    try:
        args.everyone = parse_choice(args.person).mode == "all"
    except AmbiblendError as exc:
        p.error(f"--person: {exc}")
    if not 1 <= args.max_people <= 20:
        p.error(f"--max-people must be between 1 and 20, got {args.max_people}")
    if args.everyone and args.hands:
        p.error("--hands lifts one person at a time: choose one with --person, or leave out --hands")
    args.formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in args.formats if f not in FORMATS] or ([] if args.formats else ["(none)"])
    if unknown:
        p.error(f"unknown export format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    for flag, value, limits, unit in (("--height", args.height, HEIGHT_RANGE, " m"),
                                      ("--focal", args.focal, FOCAL_RANGE, " mm"),
                                      ("--smoothness", args.smoothness, SMOOTHNESS_RANGE, ""),
                                      ("--detector-3d", args.detector_3d, DETECTOR_3D_RANGE, ""),
                                      ("--finger-smoothness", args.finger_smoothness, SMOOTHNESS_RANGE, "")):
        if value is not None and not in_range(value, limits):
            p.error(f"{flag} must be between {limits[0]:g} and {limits[1]:g}{unit}, got {value:g}")
    return args


def make_options(args):
    from ambiblend.core.pipeline import PipelineOptions
    from ambiblend.core.scale.trajectory import DEFAULT_FOCAL_35MM
    clean = None
    if not args.no_clean:
        from ambiblend.core.clean import CleanOptions
        clean = CleanOptions(smoothness=args.smoothness, in_place=args.no_root_motion,
                             finger_smoothness=args.finger_smoothness)
    focal = DEFAULT_FOCAL_35MM if args.focal is None else args.focal   # 0 is refused, never the default
    return PipelineOptions(subject_height=args.height, root_motion=not args.no_root_motion, focal_35mm=focal,
                           device=args.device.upper(), weights=args.weights, clean=clean,
                           detector_3d_weight=args.detector_3d, person=getattr(args, "person", "largest"),
                           max_people=getattr(args, "max_people", 4),
                           repair_swaps=not getattr(args, "no_swap_repair", False),
                           flip_average=not getattr(args, "no_flip_average", False))


def output_stems(clips: list[Path]) -> dict[Path, str]:
    """Each clip's output stem: its own, or stem + ``_`` + its extension when clips share a stem
    (case-insensitively, for file systems that ignore case); a number is added if still taken."""
    counts: dict[str, int] = {}
    for clip in clips:
        counts[clip.stem.casefold()] = counts.get(clip.stem.casefold(), 0) + 1
    stems, taken = {}, set()
    for clip in clips:
        stem = clip.stem
        if counts[stem.casefold()] > 1:
            stem = f"{clip.stem}_{clip.suffix.lstrip('.').lower() or 'frames'}"
        base, n = stem, 2
        while stem.casefold() in taken:
            stem, n = f"{base}_{n}", n + 1
        taken.add(stem.casefold())
        stems[clip] = stem
    return stems


def planned_outputs(out_dir: Path, stem: str, args) -> list[Path]:
    """The files one clip writes (a .gltf comes with its .bin). With ``--person all`` how many
    people a clip holds is known only after detection: then the files of that clip already in
    ``out_dir`` (``<stem>_person<N>.<format>``), and the .blend."""
    suffixes = list(args.formats) + (["bin"] if "gltf" in args.formats else [])
    if getattr(args, "everyone", False):
        paths = sorted(p for f in suffixes for p in out_dir.glob(f"{stem}_person*.{f}")
                       if p.stem[len(stem) + 7:].isdigit())
    else:
        paths = [out_dir / f"{stem}.{f}" for f in suffixes]
    return paths + ([out_dir / f"{stem}.blend"] if args.blend else [])


def check_output_folder(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and prove it takes a file, before any slow work."""
    from ambiblend.core.errors import AmbiblendError
    if out_dir.exists() and not out_dir.is_dir():
        raise AmbiblendError(f"The output {out_dir} is a file, not a folder.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AmbiblendError(f"Cannot create the output folder {out_dir}: {exc.strerror or exc}.") from exc
    try:
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".ambiblend-write-check-"):
            pass
    except OSError as exc:
        raise AmbiblendError(f"The output folder {out_dir} is not writable: {exc.strerror or exc}.") from exc


def check_nothing_overwritten(clips: list[Path], stems: dict[Path, str], out_dir: Path, args) -> None:
    """Refuse to replace an input, or (without --overwrite) any existing output file."""
    from ambiblend.core.errors import AmbiblendError
    planned = [p for clip in clips for p in planned_outputs(out_dir, stems[clip], args)]
    inputs = {c.resolve() for c in clips}
    hit = [p for p in planned if p.resolve() in inputs]
    if hit:
        raise AmbiblendError(f"The output {hit[0]} would overwrite an input clip; choose another --output.")
    existing = [p for p in planned if p.exists()]
    if existing and not args.overwrite:
        names = ", ".join(p.name for p in existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise AmbiblendError(f"{len(existing)} output {'files already exist' if len(existing) > 1 else 'file already exists'} in "
                             f"{out_dir}: {names}. Nothing was processed; pass --overwrite to replace them, "
                             f"or choose another --output.")


def process(clip: Path, out_dir: Path, options, model, args, stem: str | None = None) -> list[Path]:
    """One clip → <out_dir>/<stem>.<format> (+ .blend) from a fresh empty scene."""
    hands = getattr(args, "hands", False)
    return write_clip(clip, lift_clip(clip, options, model, hands), out_dir, args, stem or clip.stem)


def lift_clip(clip: Path, options, model, hands: bool = False):
    """The bpy-free part of ``process``: detection, lift and cleaning → ``Motion`` (a list of
    them, one per person, for ``--person all``)."""
    from ambiblend.core.pipeline import run_pipeline, run_pipeline_people
    from ambiblend.core.track import parse_choice
    if parse_choice(options.person).mode == "all":
        return run_pipeline_people(clip, options, model=model)
    if hands:
        from ambiblend.core.hands import run_pipeline_hands
        return run_pipeline_hands(clip, options, model=model)
    return run_pipeline(clip, options, model=model)


def lift_task(item, model):
    """``lift_clip`` in a worker process (``core.parallel``): item = (clip, options, hands)."""
    return lift_clip(*item[:2], model, item[2])


def load_model_task(options):
    """Each worker's lifting model, loaded once."""
    from ambiblend.core.pipeline import load_lifting_model
    return load_lifting_model(options)


def write_clip(clip: Path, motion, out_dir: Path, args, stem: str) -> list[Path]:
    """A lifted clip → <out_dir>/<stem>.<format> (+ .blend), baked in a fresh empty scene; several
    people (``--person all``): one armature each in that scene, <stem>_person<N>.<format>."""
    import bpy
    from ambiblend.blender.armature import bake_motion
    from ambiblend.blender.export import export_all
    from ambiblend.core.export import save_motion_npz
    if getattr(args, "hands", False):
        from ambiblend.core.hands import NOTE_KEY
        print(f"{clip.name}: {motion.info[NOTE_KEY]}", flush=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    everyone = isinstance(motion, list)
    written = []
    for one in motion if everyone else [motion]:
        name = f"{stem}_person{one.info['person']}" if everyone else stem
        note = people_report(one)
        if note:
            print(f"{clip.name}: {note}", flush=True)
        obj, _ = bake_motion(bpy.context, one, name)
        scene_formats = [f for f in args.formats if f != "npz"]
        written += export_all(obj, out_dir, name, scene_formats, args.fbx_preset.upper()) if scene_formats else []
        if "npz" in args.formats:
            written.append(save_motion_npz(one, out_dir / f"{name}.npz"))
    if args.blend:
        blend = out_dir / f"{stem}.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(blend), check_existing=False)
        written.append(blend)
    return written


def people_report(motion) -> str:
    """'person 2 of 3 found; 1 root jump faster than 10 m/s (…)' — '' for one person and no jump."""
    from ambiblend.core.pipeline import lift_notes
    found = motion.info.get("people", 1)
    parts = [f"person {motion.info['person']} of {found} found"] if found > 1 else []
    return "; ".join(parts + lift_notes(motion))


def lifted(clips: list[Path], options, model, args):
    """(clip, ``Outcome`` of ``lift_clip``) in the clips' order: computed here one by one with
    ``--jobs 1`` (or a single clip, then detected in ``--jobs`` chunks when long); else by
    ``--jobs`` worker processes, all clips queued at once."""
    from dataclasses import replace
    from ambiblend import batch as module   # tasks are pickled by name: not __main__'s
    from ambiblend.core.parallel import WorkerPool, run_task
    jobs = min(args.jobs, len(clips))
    if jobs == 1:
        single = replace(options, detect_jobs=args.jobs) if len(clips) == 1 else options
        for clip in clips:
            yield clip, run_task(module.lift_task, (clip, single, getattr(args, "hands", False)), model)
        return
    with WorkerPool(jobs, init=module.load_model_task, init_args=(options,)) as pool:
        for (clip, _, _), outcome in pool.ordered(module.lift_task, [(c, options, getattr(args, "hands", False))
                                                                     for c in clips]):
            yield clip, outcome


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from ambiblend.core.detect import list_clips
    from ambiblend.core.errors import AmbiblendError
    from ambiblend.core.parallel import run_task
    from ambiblend.core.pipeline import check_options, load_lifting_model
    try:
        clips = list_clips(args.input)
        options = make_options(args)
        check_options(options)
        check_output_folder(args.output)
        stems = output_stems(clips)
        if args.stem is not None:
            if len(clips) != 1 or not args.stem.strip() or Path(args.stem).name != args.stem:
                raise AmbiblendError(f"--stem names the output of a single clip, as a plain file name; got "
                                     f"{args.stem!r} for {len(clips)} clip{'s' if len(clips) != 1 else ''}.")
            stems = {clips[0]: args.stem}
        check_nothing_overwritten(clips, stems, args.output, args)
        model = load_lifting_model(options)
    except (AmbiblendError, OSError) as exc:
        print(f"ambiblend batch: error: {exc}", file=sys.stderr)
        return 1
    failures = []
    for i, (clip, outcome) in enumerate(lifted(clips, options, model, args), 1):
        start, lift_s = time.perf_counter(), outcome.seconds
        if outcome.ok:
            outcome = run_task(write_clip, clip, outcome.value, args.output, args, stems[clip])
        if outcome.error is not None:
            failures.append((clip, outcome.error))
            print(f"[{i}/{len(clips)}] {clip.name}: FAILED: {outcome.error}", file=sys.stderr, flush=True)
            continue
        if outcome.bug is not None:  # a bug of ours: report it with its traceback, go on with the next clip
            failures.append((clip, f"unexpected {outcome.bug}"))
            print(outcome.trace, end="", file=sys.stderr)
            print(f"[{i}/{len(clips)}] {clip.name}: FAILED (unexpected error, please report it): "
                  f"{outcome.bug}", file=sys.stderr, flush=True)
            continue
        names = ", ".join(p.name for p in outcome.value)
        print(f"[{i}/{len(clips)}] {clip.name} -> {args.output}/{{{names}}} ({lift_s + time.perf_counter() - start:.1f} s)",
              flush=True)
    if failures:
        print(f"ambiblend batch: error: {len(failures)} of {len(clips)} clips failed:", file=sys.stderr)
        for clip, why in failures:
            print(f"  {clip.name}: {why}", file=sys.stderr)
        return 1
    print(f"ambiblend batch: {len(clips)} clip{'s' if len(clips) != 1 else ''} done.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

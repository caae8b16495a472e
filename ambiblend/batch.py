"""Headless batch: lift one clip or a folder of clips to FBX (and optionally .blend).

    blender -b --python ambiblend/batch.py -- --input <clip|folder> --output <dir>
            [--height 1.7] [--weights w.pt] [--device auto|cuda|cpu] [--blend] [--no-root-motion]
            [--no-clean] [--smoothness 0.5] [--formats fbx,bvh,glb] [--fbx-preset unity]
    .venv/bin/python ambiblend/batch.py -- --input ... (same, with the ``bpy`` module)

Prints one progress line per clip and exits with status 1 and a clear message when any clip
fails (the others are still processed); 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# A script run by path has no package: put the repo root (the folder holding ambiblend/) first
# on sys.path so ``import ambiblend`` finds this checkout, also inside Blender.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Arguments after ``--`` (Blender passes its own before it); all of argv when there is none."""
    argv = argv[argv.index("--") + 1:] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="ambiblend/batch.py", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, type=Path,
                   help="a video, a keypoint file or a folder of per-frame OpenPose files; or a folder of these")
    p.add_argument("--output", required=True, type=Path, help="folder for the .fbx (and .blend) files")
    p.add_argument("--height", type=float, default=1.70, help="subject height in metres (default 1.70)")
    p.add_argument("--weights", type=Path, default=None, help="lifter checkpoint (default: bundled)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    p.add_argument("--focal", type=float, default=None, help="lens, 35 mm equivalent (default 28)")
    p.add_argument("--blend", action="store_true", help="also save a .blend per clip")
    p.add_argument("--no-root-motion", action="store_true", help="keep the character in place")
    p.add_argument("--no-clean", action="store_true", help="skip smoothing / ground / foot locking")
    p.add_argument("--smoothness", type=float, default=0.5, help="0 = raw … 1 = very smooth")
    p.add_argument("--formats", default="fbx", help="comma-separated: fbx, bvh, glb, gltf (default fbx)")
    p.add_argument("--fbx-preset", default="blender", choices=("blender", "unity", "unreal"),
                   help="FBX axes/units for the target application")
    args = p.parse_args(argv)
    args.formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in args.formats if f not in ("fbx", "bvh", "glb", "gltf")] or ([] if args.formats else ["(none)"])
    if unknown:
        p.error(f"unknown export format(s) {', '.join(unknown)}; use fbx, bvh, glb, gltf")
    return args


def make_options(args):
    from ambiblend.core.pipeline import PipelineOptions
    from ambiblend.core.scale.trajectory import DEFAULT_FOCAL_35MM
    clean = None
    if not args.no_clean:
        from ambiblend.core.clean import CleanOptions
        clean = CleanOptions(smoothness=args.smoothness, in_place=args.no_root_motion)
    return PipelineOptions(subject_height=args.height, root_motion=not args.no_root_motion,
                           focal_35mm=args.focal or DEFAULT_FOCAL_35MM, device=args.device.upper(),
                           weights=args.weights, clean=clean)


def process(clip: Path, out_dir: Path, options, model, args) -> list[Path]:
    """One clip → <out_dir>/<stem>.<format> (+ .blend) from a fresh empty scene."""
    import bpy
    from ambiblend.blender.armature import bake_motion
    from ambiblend.blender.export import export_all
    from ambiblend.core.pipeline import run_pipeline
    motion = run_pipeline(clip, options, model=model)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj, _ = bake_motion(bpy.context, motion, clip.stem)
    written = export_all(obj, out_dir, clip.stem, args.formats, args.fbx_preset.upper())
    if args.blend:
        blend = out_dir / f"{clip.stem}.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(blend), check_existing=False)
        written.append(blend)
    return written


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from ambiblend.core.detect import list_clips
    from ambiblend.core.errors import AmbiblendError
    from ambiblend.core.pipeline import check_options, load_lifting_model
    try:
        clips = list_clips(args.input)
        options = make_options(args)
        check_options(options)
        model = load_lifting_model(options)
        args.output.mkdir(parents=True, exist_ok=True)
    except (AmbiblendError, OSError) as exc:
        print(f"ambiblend batch: error: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for i, clip in enumerate(clips, 1):
        start = time.perf_counter()
        try:
            written = process(clip, args.output, options, model, args)
        except AmbiblendError as exc:
            failed += 1
            print(f"[{i}/{len(clips)}] {clip.name}: FAILED: {exc}", file=sys.stderr, flush=True)
            continue
        names = ", ".join(p.name for p in written)
        print(f"[{i}/{len(clips)}] {clip.name} -> {args.output}/{{{names}}} ({time.perf_counter() - start:.1f} s)",
              flush=True)
    if failed:
        print(f"ambiblend batch: error: {failed} of {len(clips)} clips failed.", file=sys.stderr)
        return 1
    print(f"ambiblend batch: {len(clips)} clip{'s' if len(clips) != 1 else ''} done.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

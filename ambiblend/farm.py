"""A folder of clips on a Dask distributed cluster: one task per clip, the batch script's flags.

    dask scheduler --scheduler-file /shared/dask.json                      # one machine
    dask worker --scheduler-file /shared/dask.json --nworkers 4 --nthreads 1   # every render node
    .venv/bin/python -m ambiblend.farm --scheduler-file /shared/dask.json \\
        [--blender /path/to/blender] -- --input /shared/clips --output /shared/out [batch flags]

The submitting machine checks everything the batch checks before any clip (the flags, the clips,
the output folder, no file overwritten unless ``--overwrite``, the output stems of clips that
share one), then submits one task per clip. Each task runs the batch script for that one clip on
a worker — ``<worker's python> ambiblend/batch.py -- ... --input CLIP --stem STEM --jobs 1``,
or ``blender -b --python ...`` with ``--blender`` — so the outputs are what ``batch.py`` writes,
and bpy always runs in its own process's main thread. Input and output paths must be the same
on every machine (shared storage). Progress is one line per clip as it finishes; the exit status
is the batch's: 1 if any clip failed (with the summary), 2 for bad arguments.

Dask (``pip install distributed``) is needed only here, on the submitting machine and the
workers; the add-on and ``batch.py`` never import it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TAIL = 2000   # characters of a failed task's stderr shown


def clip_argv(batch_argv: list[str], clip: Path, stem: str) -> list[str]:
    """The batch flags for one clip: the user's, then this clip, its stem and one job (argparse
    keeps the last of a repeated flag, so these win)."""
    return [*batch_argv, "--input", str(clip), "--stem", stem, "--jobs", "1"]


def clip_command(argv: list[str], blender: str | None = None, python: str | None = None) -> list[str]:
    """The command line that runs ``batch.py`` of *this* installation with ``argv``."""
    from ambiblend import batch
    script = str(Path(batch.__file__).resolve())
    head = [blender, "-b", "--factory-startup", "--python", script] if blender else [python or sys.executable, script]
    return [*head, "--", *argv]


def run_clip(argv: list[str], blender: str | None = None, python: str | None = None) -> tuple[int, str, str]:
    """A worker's task: the batch for one clip in a process of its own → (exit status, stdout,
    stderr's tail). The command is built here, on the worker, from its own AmbiBlend and Python."""
    result = subprocess.run(clip_command(argv, blender, python), capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr[-TAIL:]


def parse_args(argv: list[str]):
    if "--" not in argv:
        argv = [*argv, "--"]
    cut = argv.index("--")
    p = argparse.ArgumentParser(prog="python -m ambiblend.farm", description=__doc__.splitlines()[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--scheduler-file", type=Path, help="the file `dask scheduler --scheduler-file` wrote")
    p.add_argument("--blender", help="run each clip with this Blender binary on the workers "
                                     "(default: the worker's own Python, which needs the bpy module)")
    p.add_argument("--python", help="the Python that runs batch.py on the workers (default: the worker's own)")
    own = p.parse_args(argv[:cut])
    from ambiblend import batch
    batch_argv = argv[cut + 1:]
    return own, batch_argv, batch.parse_args(batch_argv)


def connect(own):
    try:
        from distributed import Client
    except ImportError as exc:
        raise SystemExit("ambiblend farm: error: Dask distributed is not installed here "
                         "(pip install distributed); batch.py runs without it.") from exc
    if own.scheduler_file is not None:
        return Client(scheduler_file=str(own.scheduler_file), timeout="30s")
    return Client(own.scheduler, timeout="30s")


def main(argv: list[str]) -> int:
    own, batch_argv, args = parse_args(argv)
    from ambiblend import batch
    from ambiblend.core.detect import list_clips
    from ambiblend.core.errors import AmbiblendError
    try:
        clips = list_clips(args.input)
        from ambiblend.core.pipeline import check_options
        check_options(batch.make_options(args))
        batch.check_output_folder(args.output)
        stems = batch.output_stems(clips)
        batch.check_nothing_overwritten(clips, stems, args.output, args)
    except (AmbiblendError, OSError) as exc:
        print(f"ambiblend farm: error: {exc}", file=sys.stderr)
        return 1
    from distributed import as_completed
    from ambiblend import farm as module   # the task by its importable name, not __main__'s
    client = connect(own)
    try:
        start = time.perf_counter()
        futures = {client.submit(module.run_clip, clip_argv(batch_argv, clip.resolve(), stems[clip]), own.blender,
                                 own.python, key=f"ambiblend-{i}-{stems[clip]}-{time.time_ns()}", pure=False): clip
                   for i, clip in enumerate(clips)}
        print(f"ambiblend farm: {len(clips)} clip{'s' if len(clips) != 1 else ''} submitted to "
              f"{client.scheduler.address}.", flush=True)
        failures = []
        for done, future in enumerate(as_completed(futures), 1):
            clip = futures[future]
            try:
                status, out, err = future.result()
            except Exception as exc:  # the task itself failed on the cluster (worker lost, …)
                status, out, err = -1, "", f"{type(exc).__name__}: {exc}"
            if status == 0:
                line = next((ln for ln in out.splitlines() if ln.startswith("[1/1] ")), f"[1/1] {clip.name} done")
                print(f"[{done}/{len(clips)}] {line[6:]}", flush=True)
                continue
            why = next((ln.split("FAILED", 1)[1].lstrip(" :") for ln in err.splitlines() if "] " in ln and "FAILED" in ln),
                       None) or (err.strip().splitlines() or [f"exit status {status}"])[-1]
            failures.append((clip, why))
            print(f"[{done}/{len(clips)}] {clip.name}: FAILED: {why}", file=sys.stderr, flush=True)
    finally:
        client.close()
    if failures:
        print(f"ambiblend farm: error: {len(failures)} of {len(clips)} clips failed:", file=sys.stderr)
        for clip, why in failures:
            print(f"  {clip.name}: {why}", file=sys.stderr)
        return 1
    print(f"ambiblend farm: {len(clips)} clip{'s' if len(clips) != 1 else ''} done "
          f"({time.perf_counter() - start:.1f} s).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

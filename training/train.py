"""Train the lifter with the paper's unsupervised recipe (2D only; 3D of a val set only selects).

    python -m training.train --train train.npz --val val.npz --out runs/x [--epochs 20 ...]
    python training/train.py --config run.toml --set w_tmc=0.5 --no-adv
    torchrun --nproc_per_node 4 -m training.train ...      (DDP, no code change)

Run folder: ``last.pt`` (everything needed to resume, written atomically every epoch),
``model.pt`` (add-on weights: best validation PMPJPE, else the latest epoch), ``log.csv``,
``losses.png``, ``config.toml``-equivalent inside every checkpoint. Options: training/config.py.
An ``--out`` that already holds a run is refused unless ``--resume`` or ``--overwrite`` is given.
"""
from __future__ import annotations

if __package__ in (None, ""):  # `python training/train.py`: put the repo root on sys.path
    import sys
    from pathlib import Path as _P
    sys.path.insert(0, str(_P(__file__).resolve().parents[1]))

import contextlib
import csv
import os
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import LiftingModel, read_checkpoint, save_checkpoint
from ambiblend.core.lift.weights import export_weights
from ambiblend.core.lift.model import ROOT_DEPTH
from ambiblend.core.lift.normalize import normalize, universal_constant

from training import recipe
from training.config import TrainConfig, config_from_dict, parse_config
from training.data.pairs import PairSampler
from training.data.sequences import SequenceSet

REPO = Path(__file__).resolve().parents[1]
RESUME_OVERRIDES = ("epochs", "max_minutes", "progress", "device")  # may change on --resume
RUN_FILES = ("last.pt", "model.pt", "model.safetensors", "log.csv", "losses.png")  # what a run writes in --out


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def setup_device(cfg: TrainConfig) -> tuple[torch.device, int, int]:
    """→ (device, rank, world size). torchrun sets WORLD_SIZE/RANK/LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    want_cuda = cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise AmbiblendError("--device cuda was requested but no CUDA device is available.")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if want_cuda else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    if want_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local), rank, world
    return torch.device("cpu"), rank, world


def normalized_poses(data: SequenceSet, mode: str, constant: float | None) -> np.ndarray:
    """(N,17,2) float32 normalised root-relative 2D, each sequence normalised on its own."""
    out = np.empty_like(data.poses_2d)
    for i in range(len(data)):
        a, b = data.starts[i], data.starts[i] + data.lengths[i]
        out[a:b] = normalize(data.poses_2d[a:b], mode, constant, ROOT_DEPTH)[0]
    return out


def load_training_data(cfg: TrainConfig, constant: float | None, device) -> tuple[torch.Tensor, PairSampler, float | None]:
    if not cfg.train:
        raise AmbiblendError("No training data: pass --train data.npz (a SequenceSet file).")
    data = SequenceSet.load(cfg.train)
    if cfg.norm == "universal" and constant is None:
        constant = universal_constant([data.sequence(i) for i in range(len(data))], ROOT_DEPTH)
    poses = torch.from_numpy(normalized_poses(data, cfg.norm, constant)).to(device)
    sampler = PairSampler(data.starts, data.lengths, cfg.gap_min, cfg.gap_max, device=device)
    return poses, sampler, constant


def make_schedulers(nets: recipe.Nets, cfg: TrainConfig) -> dict:
    """×lr_decay per epoch for each optimiser that this config actually steps."""
    used = {"lifter": True, "disc": cfg.use_adv, "scale": cfg.scale_mode != "none" and (cfg.use_kl or cfg.use_bone)}
    return {k: torch.optim.lr_scheduler.ExponentialLR(o, gamma=cfg.lr_decay)
            for k, o in nets.optimizers().items() if used[k]}


def normalization_entry(cfg: TrainConfig, constant) -> dict:
    return {"mode": cfg.norm, "constant": constant, "root_depth": ROOT_DEPTH}


def lifting_model(nets: recipe.Nets, cfg: TrainConfig, constant, device) -> LiftingModel:
    """The current Φ_S/Φ_G as the add-on would load them (caller restores train mode)."""
    nets.scale.eval()
    nets.lifter.eval()
    return LiftingModel(scale=nets.scale, lifter=nets.lifter, norm_mode=cfg.norm, norm_constant=constant,
                        root_depth=ROOT_DEPTH, device=device, info={"config": cfg.to_dict()})


def rng_state(gen: torch.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "sampler": gen.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, gen: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    gen.set_state(state["sampler"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_run(path, nets, cfg, constant, scheds, gen, epoch, step, history, best, metrics=None) -> None:
    """``last.pt``: an add-on checkpoint plus everything ``--resume`` needs."""
    save_checkpoint(path, nets.scale, nets.lifter, recipe.model_args(cfg), normalization_entry(cfg, constant),
                    config=cfg.to_dict(), git_revision=git_revision(), metrics=metrics or {},
                    discriminator=nets.disc.state_dict(),
                    optimizers={k: o.state_dict() for k, o in nets.optimizers().items()},
                    schedulers={k: s.state_dict() for k, s in scheds.items()},
                    rng=rng_state(gen), epoch=epoch, step=step, history=history, best=best)


def restore_run(path, nets, scheds, gen) -> dict:
    data = read_checkpoint(path)
    if "optimizers" not in data:
        raise AmbiblendError(f"{path} holds weights only, not a training state to resume (use --init).")
    nets.scale.load_state_dict(data["state_dict"]["scale"])
    nets.lifter.load_state_dict(data["state_dict"]["lifter"])
    nets.disc.load_state_dict(data["discriminator"])
    for k, o in nets.optimizers().items():
        o.load_state_dict(data["optimizers"][k])
    for k, s in scheds.items():
        s.load_state_dict(data["schedulers"][k])
    set_rng_state(data["rng"], gen)
    return data


def init_from(path, nets: recipe.Nets) -> dict:
    """Start Φ_S/Φ_G from add-on weights (fine-tuning); returns its normalization entry."""
    data = read_checkpoint(path)
    try:
        nets.scale.load_state_dict(data["state_dict"]["scale"])
        nets.lifter.load_state_dict(data["state_dict"]["lifter"])
    except RuntimeError as exc:
        raise AmbiblendError(f"--init {Path(path).name} does not fit the configured networks "
                             f"(match --width/--lifter-blocks/--scale-blocks to it): {str(exc).splitlines()[0]}") from exc
    # A fresh Φ_D against a trained lifter overfits a small set of the user's clips within steps
    # (assets/REAL_FOOTAGE.md); weights that carry their own Φ_D continue the same game instead.
    disc = data.get("discriminator")
    if disc is not None:
        try:
            nets.disc.load_state_dict(disc)
        except RuntimeError:
            print(f"note: the discriminator in {Path(path).name} does not fit --disc-blocks/--width; "
                  "Φ_D starts fresh.")
    return data["normalization"]


def check_run_folder(cfg: TrainConfig) -> None:
    """A run never replaces another unasked: --out holding a run needs --resume or --overwrite,
    and --resume needs a run (its last.pt) to continue."""
    out = Path(cfg.out)
    if cfg.resume:
        if not (out / "last.pt").is_file():
            raise AmbiblendError(f"There is no run to resume in {out} (no last.pt there); "
                                 "start one without --resume.")
        return
    existing = [name for name in RUN_FILES if (out / name).exists()]
    if existing and not cfg.overwrite:
        raise AmbiblendError(f"{out} already holds a training run ({', '.join(existing)}). Pass --resume to "
                             "continue it, --overwrite to replace it, or choose another --out.")


def write_log(path: Path, columns: list[str], rows: list[dict]) -> None:
    """log.csv from scratch (header + rows), atomically: on --resume it is rebuilt from last.pt's
    history, so a row written after the last checkpoint (a kill in between) is not repeated."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def resumed_config(cfg: TrainConfig) -> TrainConfig:
    """On --resume the stored config wins, except the budget keys given on the command line."""
    path = Path(cfg.out) / "last.pt"
    stored = config_from_dict(read_checkpoint(path).get("config", {}))
    given = getattr(cfg, "given", RESUME_OVERRIDES)  # Python callers: their budget always wins
    for key in RESUME_OVERRIDES:
        if key in given:
            setattr(stored, key, getattr(cfg, key))
    stored.resume, stored.out, stored.overwrite = True, cfg.out, False
    return stored.check()


def run_epoch(nets, cfg, poses, sampler, gen, step, deadline, device, world, bar,
              scale_frozen: bool = False) -> tuple[dict, int, bool]:
    """One epoch of steps. → (mean of each logged loss, global step, stopped by the deadline).

    ``scale_frozen`` (the scale warm-up): Φ_S stays as it is and every step trains Φ_G (+Φ_D).
    """
    pairs = max(1, (cfg.samples_per_epoch or len(poses)) // cfg.batch)
    per_rank = max(1, cfg.batch // world)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if cfg.amp and device.type == "cuda" else contextlib.nullcontext()
    sums, counts, stopped = {}, {}, False
    for _ in range(pairs):
        first, second = sampler.sample(per_rank, gen)
        x = poses[torch.cat([first, second])]
        with amp:
            if scale_frozen:
                log = recipe.lifter_step(nets, cfg, x, gen)
            elif not cfg.iterative:
                log = recipe.joint_step(nets, cfg, x, gen)
            elif step % (cfg.lifter_steps + 1) == cfg.lifter_steps:
                log = recipe.scale_step(nets, cfg, x)
            else:
                log = recipe.lifter_step(nets, cfg, x, gen)
        for k, v in log.items():
            sums[k] = sums.get(k, 0.0) + v
            counts[k] = counts.get(k, 0) + 1
        step += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: f"{v:.3g}" for k, v in log.items()}, refresh=False)
        if deadline and time.monotonic() > deadline:
            stopped = True
            break
    return {k: sums[k] / counts[k] for k in sums}, step, stopped


def validate(nets, cfg, constant, device, val: SequenceSet | None) -> dict:
    if val is None or val.poses_3d is None:
        return {}
    from training.evaluate import evaluate_model
    try:
        res = evaluate_model(lifting_model(nets, cfg, constant, device), val, "gt")["overall"]
    finally:
        nets.scale.train()
        nets.lifter.train()
    return {f"val_{k}": res[k] for k in ("mpjpe", "n_mpjpe", "pmpjpe")}


def log_columns(cfg: TrainConfig, has_val: bool) -> list[str]:
    losses = [k for k, on in (("2d", cfg.use_2d), ("3d", cfg.use_3d), ("tmc", cfg.use_tmc), ("adv", cfg.use_adv),
                              ("disc", cfg.use_adv), ("kl", cfg.use_kl), ("bone", cfg.use_bone)) if on]
    vals = ["val_mpjpe", "val_n_mpjpe", "val_pmpjpe"] if has_val else []
    flips = ["flipped"] if has_val and cfg.sign_check_epochs else []
    return ["epoch", "seconds", "lr"] + losses + vals + flips


def sign_check(nets, cfg, constant, device, val, rank, world) -> tuple[bool, dict]:
    """Early in training the lifter can settle on the mirrored depth (a pose reflected through the
    image plane reprojects to the same 2D); choose_sign would fix the sign at the end, but by then
    the run has spent its budget in the mirrored basin, which trains worse. So: score the mirror
    on validation (rank 0) and flip when it is better. → (whether the lifter was flipped, the
    validation metrics of the lifter kept — on rank 0; {} elsewhere), so the epoch's log row
    need not validate a third time."""
    flip, kept = False, {}
    if rank == 0:
        as_trained = validate(nets, cfg, constant, device, val)
        recipe.flip_depth_(nets)
        mirrored = validate(nets, cfg, constant, device, val)
        flip = mirrored["val_pmpjpe"] < as_trained["val_pmpjpe"]
        if not flip:
            recipe.flip_depth_(nets)
        kept = mirrored if flip else as_trained
    if world > 1:  # every rank takes the same decision
        flag = torch.tensor([float(flip)], device=device)
        dist.broadcast(flag, 0)
        if rank > 0 and flag.item() > 0:
            recipe.flip_depth_(nets)
        flip = flag.item() > 0
    return flip, kept


def val_subset(path: str, limit: int) -> SequenceSet | None:
    """The validation set, thinned to ``limit`` evenly spaced sequences (0 = all)."""
    if not path:
        return None
    val = SequenceSet.load(path)
    if val.poses_3d is None:
        raise AmbiblendError(f"Validation data {Path(path).name} has no 3D poses: it cannot select a model.")
    if limit and len(val) > limit:
        val = val.subset(np.linspace(0, len(val) - 1, limit).round().astype(int))
    return val


def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training; → {"epoch", "best", "out", "history"}."""
    check_run_folder(cfg.check())
    if cfg.resume:
        cfg = resumed_config(cfg)
    cfg.check()
    device, rank, world = setup_device(cfg)
    torch.manual_seed(cfg.seed + rank)
    gen = torch.Generator(device=device).manual_seed(cfg.seed + rank)
    nets = recipe.build_nets(cfg, device)
    if world > 1:  # same start on every rank
        for m in (nets.scale, nets.lifter, nets.disc):
            for p in m.parameters():
                dist.broadcast(p.data, 0)
    scheds = make_schedulers(nets, cfg)
    out = Path(cfg.out)
    epoch, step, history, best, constant = 0, 0, [], None, None
    if cfg.resume:
        state = restore_run(out / "last.pt", nets, scheds, gen)
        epoch, step, history, best = state["epoch"], state["step"], list(state["history"]), state["best"]
        constant = state["normalization"].get("constant")
        if rank > 0:  # last.pt holds rank 0's RNG; other ranks need their own streams back
            torch.manual_seed(cfg.seed + rank + 7919 * epoch)
            gen.manual_seed(cfg.seed + rank + 7919 * epoch)
    elif cfg.init:
        norm = init_from(cfg.init, nets)
        if norm.get("mode") != cfg.norm:
            print(f"note: --init weights use '{norm.get('mode')}' normalisation; training keeps it.")
        cfg.norm, constant = norm.get("mode", cfg.norm), norm.get("constant")
    poses, sampler, constant = load_training_data(cfg, constant, device)
    val = val_subset(cfg.val, cfg.val_sequences) if rank == 0 else None
    return _loop(cfg, nets, scheds, gen, poses, sampler, val, constant, device, rank, world,
                 epoch, step, history, best)


def _loop(cfg, nets, scheds, gen, poses, sampler, val, constant, device, rank, world, epoch, step, history, best):
    out = Path(cfg.out)
    deadline = time.monotonic() + cfg.max_minutes * 60 if cfg.max_minutes else None
    columns = log_columns(cfg, val is not None)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        if not cfg.resume:   # --overwrite (checked in train): the old run's files go before the first epoch
            for name in RUN_FILES:
                (out / name).unlink(missing_ok=True)
        write_log(out / "log.csv", columns, history)
    bar = _progress(cfg, rank, (max(1, (cfg.samples_per_epoch or len(poses)) // cfg.batch)) * (cfg.epochs - epoch))
    nets.scale.train(); nets.lifter.train(); nets.disc.train()
    stopped = False
    while epoch < cfg.epochs and not stopped:
        t0 = time.monotonic()
        losses, step, stopped = run_epoch(nets, cfg, poses, sampler, gen, step, deadline, device, world, bar,
                                          scale_frozen=epoch < cfg.scale_warmup)
        lr = scheds["lifter"].get_last_lr()[0]
        with warnings.catch_warnings():
            # A part that took no step this epoch (frozen scale module, a tiny run) still decays
            # its lr on the per-epoch schedule; torch warns about that order, which is intended.
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
            for s in scheds.values():
                s.step()
        epoch += 1
        checked = None   # (flipped, val metrics of the kept lifter) after a sign check
        if cfg.val and epoch <= cfg.sign_check_epochs:
            checked = sign_check(nets, cfg, constant, device, val, rank, world)
        if rank != 0:
            continue
        row = {"epoch": epoch, "seconds": round(time.monotonic() - t0, 2), "lr": lr, **losses,
               **(checked[1] if checked else validate(nets, cfg, constant, device, val))}
        if checked:
            row["flipped"] = int(checked[0])
        history.append(row)
        with open(out / "log.csv", "a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, columns, extrasaction="ignore").writerow(row)
        improved = "val_pmpjpe" not in row or best is None or row["val_pmpjpe"] < best
        if improved:
            best = row.get("val_pmpjpe", best)
            saved = save_checkpoint(out / "model.pt", nets.scale, nets.lifter, recipe.model_args(cfg),
                                    normalization_entry(cfg, constant), config=cfg.to_dict(),
                                    discriminator=nets.disc.state_dict(),  # for --init fine-tuning; the add-on ignores it
                                    git_revision=git_revision(), metrics={**row, "selected": "best val PMPJPE" if val else "last"})
            export_weights(saved, out / "model.safetensors")  # what the add-on loads (numpy, no torch)
        save_run(out / "last.pt", nets, cfg, constant, scheds, gen, epoch, step, history, best, metrics=row)
        from training.plots import plot_losses
        plot_losses(out / "log.csv", out / "losses.png")
    if bar is not None:
        bar.close()
    return {"epoch": epoch, "best": best, "out": str(out), "history": history, "stopped": stopped}


def _progress(cfg, rank, total):
    if not cfg.progress or rank != 0:
        return None
    from tqdm import tqdm
    return tqdm(total=total, unit="step", dynamic_ncols=True)


def main(argv=None) -> int:
    try:
        torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads()))))
        result = train(parse_config(argv))
    except AmbiblendError as exc:
        print(f"error: {exc}")
        return 2
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"done: {result['epoch']} epochs, best val PMPJPE {result['best']}, run folder {result['out']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

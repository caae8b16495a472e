"""Training throughput (frame pairs/s) of the full recipe on this device, vs the Chen et al.
baseline config (no scale module, no L_tmc/L_kl/L_bone) measured in the same run.

    python bench/bench_train.py [--data train.npz] [--steps 20] [--width 1024] [--batch 1024]

Without --data, random poses stand in (the speed does not depend on the values).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from training import recipe  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data.pairs import PairSampler  # noqa: E402
from training.train import load_training_data  # noqa: E402

BASELINE = dict(scale_mode="none", use_kl=False, use_bone=False, use_tmc=False)


def throughput(cfg: TrainConfig, poses, sampler, device, steps: int) -> float:
    """Pairs per second over ``steps`` iterative-schedule steps (after 2 warm-up steps)."""
    torch.manual_seed(0)
    nets = recipe.build_nets(cfg, device)
    gen = torch.Generator(device=device).manual_seed(0)
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cfg.amp and device.type == "cuda")

    def step(i):
        first, second = sampler.sample(cfg.batch, gen)
        x = poses[torch.cat([first, second])]
        with amp:
            if i % (cfg.lifter_steps + 1) == cfg.lifter_steps:
                recipe.scale_step(nets, cfg, x)
            else:
                recipe.lifter_step(nets, cfg, x, gen)

    for i in range(2):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * cfg.batch / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--amp", action="store_true")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    base = dict(width=args.width, lifter_blocks=args.blocks, batch=args.batch, amp=args.amp)
    if args.data:
        poses, sampler, _ = load_training_data(TrainConfig(train=args.data, **base), None, device)
    else:
        poses = torch.randn(100_000, 17, 2, device=device) * 0.05
        sampler = PairSampler([0], [100_000], 1, 30, device=device)
    full = throughput(TrainConfig(**base), poses, sampler, device, args.steps)
    chen = throughput(TrainConfig(**base, **BASELINE), poses, sampler, device, args.steps)
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {name}; width {args.width}, lifter blocks {args.blocks}, batch {args.batch} pairs, amp {args.amp}")
    print(f"{'config':<28}{'pairs/s':>10}{'ratio':>8}")
    print(f"{'full recipe':<28}{full:>10.0f}{1.0:>8.2f}")
    print(f"{'Chen baseline (no S, tmc)':<28}{chen:>10.0f}{chen / full:>8.2f}")


if __name__ == "__main__":
    main()

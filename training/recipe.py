"""One training step of the paper's recipe: the view cycle, the losses, the iterative freezing.

``Nets`` holds Φ_S, Φ_G, Φ_D and their optimisers. ``lifter_step`` updates Φ_G (and Φ_D on its
own loss) with Φ_S frozen; ``scale_step`` updates Φ_S with Φ_G frozen; ``joint_step`` updates
all of them on L_tsc + L_lifter (the paper's non-iterative variant). "Frozen" = no gradient
step and unchanged BatchNorm running statistics (the network runs in eval mode).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ambiblend.core.lift.model import ROOT_DEPTH, Discriminator, Lifter, depth_to_3d, project
from ambiblend.core.scale.model import ScaleNet
from ambiblend.core.skeleton import ROOT

from . import losses as L
from .config import TrainConfig


@dataclass
class Nets:
    scale: ScaleNet
    lifter: Lifter
    disc: Discriminator
    opt_scale: torch.optim.Optimizer
    opt_lifter: torch.optim.Optimizer
    opt_disc: torch.optim.Optimizer

    def optimizers(self):
        return {"scale": self.opt_scale, "lifter": self.opt_lifter, "disc": self.opt_disc}


def model_args(cfg: TrainConfig) -> dict:
    """Constructor kwargs stored in the checkpoint (the add-on rebuilds the nets from them)."""
    # Without a scale module Φ_S stays at its initial constant 1.0 (zero last layer, never
    # trained), so the add-on's lift_sequence gives the same input as training did.
    init = cfg.prior_mu if cfg.scale_mode != "none" else 1.0
    return {"scale": {"width": cfg.width, "blocks": cfg.scale_blocks, "dropout": cfg.dropout,
                      "init_scale": init},
            "lifter": {"width": cfg.width, "blocks": cfg.lifter_blocks, "dropout": cfg.dropout,
                       "zero_root_offset": cfg.zero_root_offset},
            "scale_on": cfg.scale_mode}


@torch.no_grad()
def flip_depth_(nets: Nets) -> None:
    """Mirror the lifter in place: every depth offset d becomes −d (negated output layer, and
    Adam's first moments with it, so the next steps continue the mirrored run). Exact: flipping
    twice restores every bit."""
    for p in nets.lifter.mlp.out.parameters():
        p.neg_()
        state = nets.opt_lifter.state.get(p, {})
        if "exp_avg" in state:
            state["exp_avg"].neg_()


def build_nets(cfg: TrainConfig, device) -> Nets:
    args = model_args(cfg)
    scale = ScaleNet(**args["scale"]).to(device)
    lifter = Lifter(**args["lifter"]).to(device)
    disc = Discriminator(width=cfg.width, blocks=cfg.disc_blocks).to(device)
    adam = lambda net, lr: torch.optim.Adam(net.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    return Nets(scale, lifter, disc, adam(scale, cfg.scale_lr), adam(lifter, cfg.lr), adam(disc, cfg.disc_lr))


def lift(x: torch.Tensor, scale: ScaleNet, lifter: Lifter, cfg: TrainConfig,
         fixed_scale: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised root-relative 2D (B,17,2) → (camera-frame 3D (B,17,3) with root at depth D, S (B,)).

    scale_mode '2d': the lifter sees S·x (paper); '3d': it sees x and the root-relative 3D is
    multiplied by S; 'none': S = 1. ``fixed_scale`` replaces Φ_S (the S_ref ceiling of Table 4).
    """
    if fixed_scale is not None:
        s = fixed_scale
    elif cfg.scale_mode == "none":
        s = torch.ones(len(x), device=x.device, dtype=x.dtype)
    else:
        s = scale(x)
    if cfg.scale_mode == "3d":
        j = depth_to_3d(x, lifter(x))
        root = j[:, ROOT:ROOT + 1]
        return (j - root) * s[:, None, None] + root, s
    xs = x * s[:, None, None]
    return depth_to_3d(xs, lifter(xs)), s


def cycle(j3d: torch.Tensor, lifter: Lifter, cfg: TrainConfig, rotation: torch.Tensor) -> dict:
    """Random view V, projection, lift again, V⁻¹, reprojection (eq. 8–11)."""
    jr3d = L.apply_view(j3d, rotation, ROOT_DEPTH)
    jr2d = _clip(project(jr3d), cfg.project_clip)
    jr2d = jr2d - jr2d[:, ROOT:ROOT + 1]
    cyc_r3d = depth_to_3d(jr2d, lifter(jr2d))
    cyc3d = L.invert_view(cyc_r3d, rotation, j3d[:, ROOT:ROOT + 1])
    return {"jr2d": jr2d, "cyc3d": cyc3d, "cyc2d": _clip(project(cyc3d), cfg.project_clip)}


def _clip(xy: torch.Tensor, bound: float) -> torch.Tensor:
    """Released-code safeguard: clamp cycle projections to ±bound (0 = off) so a wild depth
    cannot blow the cycle losses up."""
    return xy.clamp(-bound, bound) if bound > 0 else xy


def _rotations(cfg: TrainConfig, j3d_first: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One random view per pair, shared by its two frames (notes: [choice]). Azimuth turns about
    the camera's vertical (paper) or, with view_axis 'body', the first frame's pelvis→thorax axis."""
    up = L.body_up(j3d_first.detach()) if cfg.view_axis == "body" else None
    r = L.random_rotation(len(j3d_first), cfg.azimuth, cfg.elevation, cfg.roll, generator=gen,
                          device=j3d_first.device, up=up)
    return torch.cat([r, r])


def lifter_losses(nets: Nets, cfg: TrainConfig, x: torch.Tensor, gen: torch.Generator) -> tuple:
    """x: (2B,17,2) = first frames then second frames of B pairs.

    → (L_lifter terms, real 2D J2D, fake 2D JR2D, 3D J3D, scales S). Gradients reach whichever
    networks are not frozen by the caller.
    """
    b = len(x) // 2
    j3d, s = lift(x, nets.scale, nets.lifter, cfg)
    j2d = project(j3d)  # = S·x under '2d': the 2D the lifter actually explained
    c = cycle(j3d, nets.lifter, cfg, _rotations(cfg, j3d[:b], gen))
    terms = {}
    if cfg.use_2d:
        terms["2d"] = L.pose_distance(j2d, c["cyc2d"], cfg.cycle_norm)
    if cfg.use_3d:
        terms["3d"] = L.pose_distance(j3d, c["cyc3d"], cfg.cycle_norm)
    if cfg.use_tmc:
        terms["tmc"] = L.tmc_loss(j3d[:b], j3d[b:], c["cyc3d"][:b], c["cyc3d"][b:], cfg.cycle_norm)
    if cfg.use_adv:
        terms["adv"] = L.adversarial_g_loss(score_fake(nets.disc, cfg, j2d.detach(), c["jr2d"]), cfg.adv_loss)
    return terms, j2d, c["jr2d"], j3d, s


def _scores(disc, cfg: TrainConfig, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Φ_D on real and fake in ONE batch (``disc_one_batch``). Separate batches let BatchNorm
    normalise each by its own statistics, and Φ_D then tells the batches apart instead of the
    poses (it reached ~0 loss in train mode while scoring both alike in eval mode).
    ``disc_one_batch false`` = separate batches (runs before this option existed)."""
    if not cfg.disc_one_batch:
        return disc(real), disc(fake)
    out = disc(torch.cat([real, fake]))
    return out[:len(real)], out[len(real):]


def score_fake(disc, cfg: TrainConfig, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return disc(fake) if not cfg.disc_one_batch else _scores(disc, cfg, real, fake)[1]


def scale_losses(cfg: TrainConfig, j3d: torch.Tensor, s: torch.Tensor) -> dict:
    """L_tsc terms (eq. 6) from the lifted 3D of B pairs stacked (2B,17,3) and their scales."""
    b = len(j3d) // 2
    terms = {}
    if cfg.use_kl:
        terms["kl"] = L.kl_loss(s, cfg.prior_mu, cfg.prior_sigma)
    if cfg.use_bone:
        terms["bone"] = L.bone_loss(j3d[:b], j3d[b:], cfg.bone_norm)
    return terms


WEIGHTS = {"2d": "w_2d", "3d": "w_3d", "tmc": "w_tmc", "adv": "w_adv", "kl": "w_kl", "bone": "w_bone"}


def weighted(cfg: TrainConfig, terms: dict) -> torch.Tensor:
    return sum(getattr(cfg, WEIGHTS[k]) * v for k, v in terms.items())


@contextlib.contextmanager
def frozen(*modules, eval_mode: bool = True):
    """No gradients for ``modules`` inside the block, and (eval_mode) no BatchNorm statistic
    updates: the frozen network runs in eval mode, as at inference."""
    states = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in modules]
    for m in modules:
        if eval_mode:
            m.eval()
        m.requires_grad_(False)
    try:
        yield
    finally:
        for m, training, flags in states:
            m.train(training)
            for p, f in zip(m.parameters(), flags):
                p.requires_grad_(f)


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor, modules) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    _average_gradients(modules)
    opt.step()


def _average_gradients(modules) -> None:
    """DDP by hand: average gradients over ranks (works with the frozen/iterative steps)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return
    world = dist.get_world_size()
    for m in modules:
        for p in m.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad /= world


def disc_step(nets: Nets, cfg: TrainConfig, real: torch.Tensor, fake: torch.Tensor) -> float:
    loss = L.adversarial_d_loss(*_scores(nets.disc, cfg, real.detach(), fake.detach()), cfg.adv_loss)
    _step(nets.opt_disc, loss, [nets.disc])
    return float(loss.detach())


def lifter_step(nets: Nets, cfg: TrainConfig, x: torch.Tensor, gen: torch.Generator) -> dict:
    """Φ_G (+Φ_D) update with Φ_S frozen. → logged loss values."""
    # Φ_D only scores the fakes here: no grads, but it stays in train mode like in its own step.
    with frozen(nets.scale), frozen(nets.disc, eval_mode=False):
        terms, real, fake, _, _ = lifter_losses(nets, cfg, x, gen)
        _step(nets.opt_lifter, weighted(cfg, terms), [nets.lifter])
    log = {k: float(v.detach()) for k, v in terms.items()}
    if cfg.use_adv:
        log["disc"] = disc_step(nets, cfg, real, fake)
    return log


def scale_step(nets: Nets, cfg: TrainConfig, x: torch.Tensor) -> dict:
    """Φ_S update on L_tsc with Φ_G frozen."""
    if cfg.scale_mode == "none":
        return {}
    with frozen(nets.lifter):
        j3d, s = lift(x, nets.scale, nets.lifter, cfg)
        terms = scale_losses(cfg, j3d, s)
        if terms:
            _step(nets.opt_scale, weighted(cfg, terms), [nets.scale])
    return {k: float(v.detach()) for k, v in terms.items()}


def joint_step(nets: Nets, cfg: TrainConfig, x: torch.Tensor, gen: torch.Generator) -> dict:
    """All of L_tsc + L_lifter in one step for Φ_S and Φ_G, then Φ_D."""
    with frozen(nets.disc, eval_mode=False):
        terms, real, fake, j3d, s = lifter_losses(nets, cfg, x, gen)
    if cfg.scale_mode != "none":
        terms.update(scale_losses(cfg, j3d, s))
    loss = weighted(cfg, terms)
    nets.opt_lifter.zero_grad(set_to_none=True)
    nets.opt_scale.zero_grad(set_to_none=True)
    loss.backward()
    _average_gradients([nets.lifter, nets.scale])
    nets.opt_lifter.step()
    nets.opt_scale.step()
    log = {k: float(v.detach()) for k, v in terms.items()}
    if cfg.use_adv:
        log["disc"] = disc_step(nets, cfg, real, fake)
    return log

"""Iterative freezing and the config (CLI, TOML, --set, conflicts)."""

import pytest
import torch

from ambiblend.core.errors import AmbiblendError
from training import recipe
from training.config import TrainConfig, parse_config

SMALL = dict(width=32, lifter_blocks=1, scale_blocks=1, disc_blocks=1)


def nets_and_batch(**kw):
    torch.manual_seed(0)
    cfg = TrainConfig(**{**SMALL, **kw})
    nets = recipe.build_nets(cfg, "cpu")
    for m in (nets.scale, nets.lifter, nets.disc):
        m.train()
    x = torch.randn(2 * 16, 17, 2) * 0.05
    x = x - x[:, :1]
    return cfg, nets, x, torch.Generator().manual_seed(0)


def snapshot(module):
    """Parameters and buffers (BatchNorm running mean/var/count) as copies."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_lifter_step_freezes_scale_module_and_its_bn_stats():
    cfg, nets, x, gen = nets_and_batch()
    scale0, lifter0, disc0 = snapshot(nets.scale), snapshot(nets.lifter), snapshot(nets.disc)
    log = recipe.lifter_step(nets, cfg, x, gen)
    assert set(log) == {"2d", "3d", "tmc", "adv", "disc"}
    assert same(scale0, snapshot(nets.scale))          # Φ_S weights and BN buffers untouched
    assert not same(lifter0, snapshot(nets.lifter))    # Φ_G moved
    assert not same(disc0, snapshot(nets.disc))        # Φ_D trained on its own loss
    assert nets.scale.training and all(p.requires_grad for p in nets.scale.parameters())  # restored


def test_scale_step_freezes_lifter_and_discriminator():
    cfg, nets, x, gen = nets_and_batch()
    scale0, lifter0, disc0 = snapshot(nets.scale), snapshot(nets.lifter), snapshot(nets.disc)
    log = recipe.scale_step(nets, cfg, x)
    assert set(log) == {"kl", "bone"}
    assert same(lifter0, snapshot(nets.lifter)) and same(disc0, snapshot(nets.disc))
    changed = [k for k in scale0 if not torch.equal(scale0[k], snapshot(nets.scale)[k])]
    assert any("running_mean" in k for k in changed) and any("weight" in k for k in changed)


def test_joint_step_updates_scale_and_lifter():
    cfg, nets, x, gen = nets_and_batch(iterative=False)
    scale0, lifter0 = snapshot(nets.scale), snapshot(nets.lifter)
    log = recipe.joint_step(nets, cfg, x, gen)
    assert {"kl", "bone", "2d", "3d", "tmc", "adv"} <= set(log)
    assert not same(scale0, snapshot(nets.scale)) and not same(lifter0, snapshot(nets.lifter))


def test_dropped_losses_are_not_computed():
    cfg, nets, x, gen = nets_and_batch(use_tmc=False, use_adv=False, use_kl=False)
    disc0 = snapshot(nets.disc)
    assert set(recipe.lifter_step(nets, cfg, x, gen)) == {"2d", "3d"}
    assert same(disc0, snapshot(nets.disc))
    assert set(recipe.scale_step(nets, cfg, x)) == {"bone"}


@pytest.mark.parametrize("mode", ["2d", "3d", "none"])
def test_scale_modes_give_3d_that_reprojects(mode):
    kw = {"use_kl": False, "use_bone": False} if mode == "none" else {}
    cfg, nets, x, _ = nets_and_batch(scale_mode=mode, **kw)
    nets.scale.eval(), nets.lifter.eval()
    j3d, s = recipe.lift(x, nets.scale, nets.lifter, cfg)
    assert torch.allclose(j3d[:, 0], torch.tensor([0.0, 0.0, 10.0]).expand(len(x), 3), atol=1e-5)
    if mode == "none":
        assert torch.allclose(s, torch.ones_like(s))
        # the stored Φ_S is the constant 1 so the add-on's inference matches training
        assert torch.allclose(nets.scale(x), torch.ones(len(x)), atol=1e-6)
    if mode == "2d":
        assert torch.allclose(j3d[..., :2] / j3d[..., 2:], x * s[:, None, None], atol=1e-6)


def test_cli_flags_set_and_toml(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('lr = 5e-4\n[losses]\nuse_tmc = false\nw_kl = 0.01\n[data]\ntrain = "a.npz"\n')
    cfg = parse_config(["--config", str(toml), "--set", "w_kl=0.02", "--set", "adv_loss=bce",
                        "--lr", "1e-4", "--no-adv", "--epochs", "3", "--lifter-blocks", "4"])
    assert (cfg.lr, cfg.use_tmc, cfg.w_kl, cfg.adv_loss, cfg.use_adv, cfg.epochs, cfg.lifter_blocks, cfg.train) == \
           (1e-4, False, 0.02, "bce", False, 3, 4, "a.npz")
    assert TrainConfig().lr == 2e-4 and TrainConfig().w_3d == 5.0 and TrainConfig().lifter_steps == 4


@pytest.mark.parametrize("argv, message", [
    (["--scale-mode", "none"], "add --no-kl --no-bone"),
    (["--no-2d", "--no-3d", "--no-adv", "--no-tmc"], "nothing to train"),
    (["--resume", "--init", "w.pt"], "--resume and --init conflict"),
    (["--gap-min", "5", "--gap-max", "2"], "--gap-min"),
    (["--norm", "pixels"], "--norm must be one of"),
    (["--set", "nonsense=1"], "Unknown config key 'nonsense'"),
    (["--set", "epochs=many"], "'epochs' expects int"),
    (["--batch", "0"], "--batch must be positive"),
])
def test_conflicting_or_bad_settings_rejected(argv, message):
    with pytest.raises(AmbiblendError, match=message.replace("-", r"\-")):
        parse_config(argv)


def test_bad_toml_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 3")
    with pytest.raises(AmbiblendError, match="not valid TOML"):
        parse_config(["--config", str(bad)])


def test_projection_clamp_bounds_the_cycle():
    cfg, nets, x, gen = nets_and_batch(project_clip=0.4)
    with torch.no_grad():
        nets.lifter.mlp.out.bias.copy_(torch.linspace(-30, 30, 17))  # wild depths: joints behind the camera
    terms, real, fake, _, _ = recipe.lifter_losses(nets, cfg, x, gen)
    assert float(fake.detach().abs().max()) <= 0.4 + 1e-6
    assert all(torch.isfinite(v) for v in terms.values())


@pytest.mark.parametrize("one_batch", [True, False])
def test_discriminator_batching_switch(one_batch):
    cfg, nets, x, gen = nets_and_batch(disc_one_batch=one_batch)
    real, fake = torch.randn(8, 17, 2), torch.randn(8, 17, 2) + 1.0
    r, f = recipe._scores(nets.disc, cfg, real, fake)
    both = nets.disc(torch.cat([real, fake]))
    # one batch: the scores are exactly those of the concatenated batch (shared BatchNorm statistics)
    assert torch.allclose(torch.cat([r, f]), both, atol=1e-6) == one_batch

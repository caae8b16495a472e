"""The default-model config and every ablation row parse into valid, distinct training configs."""
from pathlib import Path

from training.ablations import load_rows, train_args
from training.config import parse_config


def test_every_ablation_row_is_a_valid_config_differing_only_where_it_says(tmp_path):
    budget, rows = load_rows()
    assert {"chen_baseline", "tmc", "tmc_kl", "full", "scale_on_3d", "joint"} <= set(rows)
    configs = {name: parse_config(train_args(row, budget, tmp_path / name, Path("/data")))
               for name, row in rows.items()}
    full = configs["full"]
    assert (full.width, full.lifter_blocks, full.norm, full.scale_mode) == (512, 3, "clip", "2d")
    assert full.use_kl and full.use_bone and full.use_tmc and full.iterative
    assert full.epochs * full.samples_per_epoch == budget["epochs"] * budget["samples_per_epoch"]
    base = configs["chen_baseline"]
    assert not (base.use_tmc or base.use_kl or base.use_bone) and base.scale_mode == "none"
    assert configs["tmc"].use_tmc and configs["tmc"].scale_mode == "none"
    assert configs["tmc_kl"].use_kl and not configs["tmc_kl"].use_bone
    assert configs["scale_on_3d"].scale_mode == "3d" and not configs["joint"].iterative
    keys = set(full.to_dict()) - {"out", "train", "val"}
    for name, cfg in configs.items():
        changed = {k for k in keys if cfg.to_dict()[k] != full.to_dict()[k]}
        assert changed == set(rows[name]), name  # same budget, data and network everywhere


def test_default_config_fits_the_cpu_budget():
    cfg = parse_config(["--config", "training/configs/default.toml"])
    assert cfg.max_minutes == 0.0 and cfg.norm == "clip" and cfg.cycle_norm == "euclidean"
    assert cfg.epochs * cfg.samples_per_epoch == 12 * 163840  # the budget is pairs, not minutes
    assert abs(cfg.prior_mu - 1.0) < 1e-9 and abs(cfg.prior_sigma - 0.18) < 1e-9
    assert cfg.bone_norm == "relative" and cfg.w_kl == 0.1


def test_shipped_weights_were_trained_with_the_committed_full_config():
    from ambiblend.core.assets import bundled_weights
    from ambiblend.core.lift.checkpoint import read_checkpoint
    from training.config import config_from_dict
    stored = config_from_dict(read_checkpoint(bundled_weights())["config"]).to_dict()
    full = parse_config(["--config", "training/configs/default.toml"]).to_dict()
    paths = {"train", "val", "out", "init"}  # where the files lay on the training machine
    run = {"seed", "overwrite"}              # the run's own: make_default_model.sh's SEED=1
    assert {k for k in full if k not in paths | run and stored[k] != full[k]} == set()
    assert stored["seed"] == 1
    assert stored["scale_mode"] == "2d" and stored["use_tmc"] and stored["use_kl"] and stored["use_bone"]


def test_flat_init_lifts_flat_and_the_mirror_negates_every_depth(tmp_path):
    import numpy as np
    import torch
    from ambiblend.core.lift.checkpoint import build_model, read_checkpoint
    from ambiblend.core.lift.infer import lift_sequence
    from training.model_tools import flat_init, mirrored
    path = flat_init(tmp_path / "flat.pt", ["--config", "training/configs/default.toml"])
    data = read_checkpoint(path)
    xy = np.random.default_rng(0).normal(size=(5, 17, 2)) * 0.1
    flat = lift_sequence(xy, build_model(data))
    np.testing.assert_allclose(flat.joints[..., 2], 0.0, atol=1e-6)  # every joint at the root depth
    torch.manual_seed(1)
    for key in ("mlp.out.weight", "mlp.out.bias"):
        data["state_dict"]["lifter"][key] = torch.randn_like(data["state_dict"]["lifter"][key]) * 0.1
    a = lift_sequence(xy, build_model(data)).joints
    b = lift_sequence(xy, build_model(mirrored(data))).joints
    np.testing.assert_allclose(b[..., 2], -a[..., 2], atol=1e-5)  # d → −d about the root

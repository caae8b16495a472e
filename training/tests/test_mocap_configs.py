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
    assert cfg.max_minutes == 50.0 and cfg.norm == "clip"
    assert abs(cfg.prior_mu - 0.65) < 1e-9 and abs(cfg.prior_sigma - 0.12) < 1e-9

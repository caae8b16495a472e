"""End-to-end runs on tiny synthetic data: the loss falls, resume is bit-for-bit, the weights
load in the add-on's loader, evaluation writes its report, bad data is rejected."""
import json

import numpy as np
import pytest
import torch

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import load_model, read_checkpoint
from ambiblend.core.lift.infer import lift_sequence
from training import evaluate, train
from training.config import TrainConfig
from training.data.sequences import SequenceSet
from synthetic_motion import make_set, tiny_config, write_train_val

TINY = dict(width=32, lifter_blocks=1, batch=32, samples_per_epoch=256, progress=False,
            lr=1e-3, disc_lr=1e-3, scale_lr=1e-3, val_sequences=0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_train_val(tmp_path_factory.mktemp("data"))


def cfg(data, out, **kw):
    return tiny_config(TINY, data, out, **kw)


def test_tiny_run_lowers_loss_and_writes_addon_weights(data, tmp_path):
    torch.set_num_threads(1)
    result = train.train(cfg(data, tmp_path / "run", epochs=6))
    first, last = result["history"][0], result["history"][-1]
    for term in ("2d", "3d", "tmc"):
        assert last[term] < 0.8 * first[term], term
    for name in ("last.pt", "model.pt", "log.csv", "losses.png"):
        assert (tmp_path / "run" / name).is_file()
    ckpt = read_checkpoint(tmp_path / "run" / "model.pt")
    assert ckpt["config"]["w_3d"] == 5.0 and ckpt["git_revision"]
    assert ckpt["metrics"]["val_pmpjpe"] == pytest.approx(min(h["val_pmpjpe"] for h in result["history"]))
    model = load_model(tmp_path / "run" / "model.pt", "cpu")  # the add-on's loader, unchanged
    xy = SequenceSet.load(data / "val.npz").sequence(0)
    res = lift_sequence(xy, model)
    assert res.joints.shape == (len(xy), 17, 3) and np.isfinite(res.joints).all()
    assert len(open(tmp_path / "run" / "log.csv").read().splitlines()) == 7


def test_resume_is_bit_for_bit(data, tmp_path):
    torch.set_num_threads(1)
    train.train(cfg(data, tmp_path / "a", epochs=2))
    train.train(cfg(data, tmp_path / "b", epochs=1))
    train.train(cfg(data, tmp_path / "b", epochs=2, resume=True))
    a, b = read_checkpoint(tmp_path / "a" / "last.pt"), read_checkpoint(tmp_path / "b" / "last.pt")
    for part in ("scale", "lifter"):
        for k, v in a["state_dict"][part].items():
            assert torch.equal(v, b["state_dict"][part][k]), (part, k)
    for k, v in a["discriminator"].items():
        assert torch.equal(v, b["discriminator"][k]), k
    assert a["epoch"] == b["epoch"] == 2 and a["step"] == b["step"]
    assert a["history"][-1]["val_pmpjpe"] == b["history"][-1]["val_pmpjpe"]


def test_init_from_weights_and_iterative_off(data, tmp_path):
    torch.set_num_threads(1)
    train.train(cfg(data, tmp_path / "base", epochs=1))
    base = read_checkpoint(tmp_path / "base" / "model.pt")
    c = cfg(data, tmp_path / "ft", epochs=1, init=str(tmp_path / "base" / "model.pt"), iterative=False,
            adv_loss="bce", cycle_norm="euclidean", lr=1e-12, scale_lr=1e-12)
    train.train(c)
    ft = read_checkpoint(tmp_path / "ft" / "model.pt")
    w0, w1 = base["state_dict"]["lifter"]["mlp.out.weight"], ft["state_dict"]["lifter"]["mlp.out.weight"]
    assert torch.allclose(w0, w1, atol=1e-6)  # started from the given weights (lr ≈ 0)
    # Φ_D came with the weights too: with its lr ≈ 0 it is still the base run's discriminator.
    c = cfg(data, tmp_path / "ft_d", epochs=1, init=str(tmp_path / "base" / "model.pt"), disc_lr=1e-12)
    train.train(c)
    d0, d1 = base["discriminator"], read_checkpoint(tmp_path / "ft_d" / "model.pt")["discriminator"]
    assert all(torch.allclose(d0[k].float(), d1[k].float(), atol=1e-6) for k in d0 if k.endswith(("weight", "bias")))  # BN running stats move
    with pytest.raises(AmbiblendError, match="does not fit the configured networks"):
        train.train(cfg(data, tmp_path / "bad", epochs=1, init=str(tmp_path / "base" / "model.pt"), width=48))


def test_bad_training_data_rejected(data, tmp_path):
    good = SequenceSet.load(data / "train.npz")
    nan = good.poses_2d.copy()
    nan[3, 2, 0] = np.nan
    np.savez(tmp_path / "nan.npz", poses_2d=nan, starts=good.starts, lengths=good.lengths)
    np.savez(tmp_path / "joints.npz", poses_2d=good.poses_2d[:, :15], starts=good.starts, lengths=good.lengths)
    lengths = good.lengths.copy()
    lengths[1] = 0
    np.savez(tmp_path / "empty.npz", poses_2d=good.poses_2d, starts=good.starts, lengths=lengths)
    for name, message in (("nan", "NaN or infinite values in 1 frames"), ("joints", "wrong joint count"),
                          ("empty", "Empty sequences")):
        out = tmp_path / f"run_{name}"
        with pytest.raises(AmbiblendError, match=message):
            train.train(cfg(data, out, train=str(tmp_path / f"{name}.npz"), epochs=1))
        assert not out.exists()  # nothing written for rejected data


def test_scale_warmup_holds_the_scale_module_then_trains_it(data, tmp_path):
    torch.set_num_threads(1)
    train.train(cfg(data, tmp_path / "w", epochs=1, scale_warmup=1))
    start = TrainConfig(**{**TINY, "scale_warmup": 1})
    from training import recipe
    torch.manual_seed(start.seed)
    fresh = recipe.build_nets(start, "cpu").scale.state_dict()
    held = read_checkpoint(tmp_path / "w" / "last.pt")["state_dict"]["scale"]
    assert all(torch.equal(fresh[k], held[k]) for k in fresh)  # Φ_S (and its BN stats) untouched
    train.train(cfg(data, tmp_path / "w", epochs=2, resume=True))
    moved = read_checkpoint(tmp_path / "w" / "last.pt")["state_dict"]["scale"]
    assert not all(torch.equal(held[k], moved[k]) for k in held)  # trained after the warm-up


def test_max_minutes_stops_after_saving(data, tmp_path):
    result = train.train(cfg(data, tmp_path / "r", epochs=50, max_minutes=1e-9))
    assert result["stopped"] and result["epoch"] == 1
    assert read_checkpoint(tmp_path / "r" / "last.pt")["epoch"] == 1


def test_evaluate_cli_writes_report(data, tmp_path):
    torch.set_num_threads(1)
    train.train(cfg(data, tmp_path / "run", epochs=1))
    rc = evaluate.main(["--weights", str(tmp_path / "run" / "model.pt"), "--data", str(data / "val.npz"),
                        "--out", str(tmp_path / "eval"), "--height-from-gt"])
    assert rc == 0
    js = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(js["groups"]) == {"walk", "turn"} and js["overall"]["frames"] == 120
    assert 0 < js["overall"]["pmpjpe"] <= js["overall"]["mpjpe"] + 50
    assert "head-length-rescaled MPJPE" in (tmp_path / "eval" / "metrics.md").read_text()
    assert (tmp_path / "eval" / "scale_trace.png").stat().st_size > 1000
    assert js["overall"]["scale_unit"] > 0 and -1 <= js["overall"]["scale_corr"] <= 1
    assert "correlation" in (tmp_path / "eval" / "metrics.md").read_text()
    no3d = SequenceSet.load(data / "val.npz")
    no3d.poses_3d = None
    no3d.save(tmp_path / "no3d.npz")
    assert evaluate.main(["--weights", str(tmp_path / "run" / "model.pt"), "--data", str(tmp_path / "no3d.npz"),
                          "--out", str(tmp_path / "eval2")]) == 2
    assert not (tmp_path / "eval2").exists()


def test_sign_check_flips_a_mirrored_lifter_back_and_leaves_a_good_one_alone(data, tmp_path):
    from training import recipe
    torch.set_num_threads(1)
    train.train(cfg(data, tmp_path / "base", epochs=4))
    trained = read_checkpoint(tmp_path / "base" / "model.pt")
    c = cfg(data, tmp_path / "x")
    nets = recipe.build_nets(c, "cpu")
    nets.lifter.load_state_dict(trained["state_dict"]["lifter"])
    nets.scale.load_state_dict(trained["state_dict"]["scale"])
    val = train.val_subset(c.val, 0)
    good = {k: v.clone() for k, v in nets.lifter.state_dict().items()}
    flip, kept = train.sign_check(nets, c, None, "cpu", val, 0, 1)
    assert not flip                                                      # already the better sign
    assert all(torch.equal(v, good[k]) for k, v in nets.lifter.state_dict().items())
    assert kept == train.validate(nets, c, None, "cpu", val)             # the kept lifter's metrics
    recipe.flip_depth_(nets)                                             # now the mirrored lifter
    assert train.validate(nets, c, None, "cpu", val)["val_pmpjpe"] > trained["metrics"]["val_pmpjpe"]
    flip, kept = train.sign_check(nets, c, None, "cpu", val, 0, 1)
    assert flip
    assert all(torch.equal(v, good[k]) for k, v in nets.lifter.state_dict().items())
    assert kept == train.validate(nets, c, None, "cpu", val)


def test_sign_check_without_a_flip_changes_nothing_in_the_run(data, tmp_path):
    torch.set_num_threads(1)
    plain = train.train(cfg(data, tmp_path / "a", epochs=2))
    checked = train.train(cfg(data, tmp_path / "b", epochs=2, sign_check_epochs=2))
    assert [h["flipped"] for h in checked["history"]] == [0, 0]
    assert "flipped" in open(tmp_path / "b" / "log.csv").readline()
    a, b = read_checkpoint(tmp_path / "a" / "last.pt"), read_checkpoint(tmp_path / "b" / "last.pt")
    for k, v in a["state_dict"]["lifter"].items():
        assert torch.equal(v, b["state_dict"]["lifter"][k]), k
    assert plain["history"][-1]["val_pmpjpe"] == checked["history"][-1]["val_pmpjpe"]

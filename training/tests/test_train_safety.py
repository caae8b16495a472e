"""Issue 15 for training: a run is never replaced unasked, --resume says when there is nothing
to resume, log.csv has one row per epoch after a kill, a truncated data file and a crafted
Human3.6M file are clear errors — each asserting the message and that no file changed."""
import csv
import shutil

import numpy as np
import pytest
import torch

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import read_checkpoint
from training import train
from training.config import TrainConfig
from training.data.h36m import load_h36m
from training.data.h36m import main as h36m_main
from synthetic_motion import make_set, tiny_config, write_train_val

TINY = dict(width=32, lifter_blocks=1, batch=32, samples_per_epoch=128, progress=False,
            lr=1e-3, disc_lr=1e-3, scale_lr=1e-3, val_sequences=0)
FLAGS = ["--width", "32", "--lifter-blocks", "1", "--batch", "32", "--samples-per-epoch", "128",
         "--no-progress", "--val-sequences", "0"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_train_val(tmp_path_factory.mktemp("data"))


def cfg(data, out, **kw):
    return tiny_config(TINY, data, out, **kw)


def snapshot(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


def log_epochs(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_out_holding_a_run_is_refused_unless_resume_or_overwrite(data, tmp_path, capsys):
    # Case 1: a new run into a finished run's folder replaced log.csv, last.pt and model.pt (exit 0).
    torch.set_num_threads(1)
    out = tmp_path / "run"
    train.train(cfg(data, out, epochs=2))
    before = snapshot(out)
    argv = ["--train", str(data / "train.npz"), "--out", str(out), "--epochs", "1", *FLAGS]
    assert train.main(argv) == 2
    assert (f"error: {out} already holds a training run (last.pt, model.pt, model.safetensors, log.csv, "
            "losses.png). Pass --resume to continue it, --overwrite to replace it, or choose another --out.") \
        in capsys.readouterr().out
    assert snapshot(out) == before
    with pytest.raises(AmbiblendError, match="--resume and --overwrite conflict"):
        train.train(cfg(data, out, epochs=3, resume=True, overwrite=True))
    assert snapshot(out) == before
    assert train.main(argv + ["--overwrite"]) == 0                 # asked: a fresh 1-epoch run
    assert log_epochs(out / "log.csv") == [1] and read_checkpoint(out / "last.pt")["epoch"] == 1
    assert train.main(["--out", str(out), "--resume", "--epochs", "2", *FLAGS]) == 0   # and it resumes
    assert log_epochs(out / "log.csv") == [1, 2]


def test_resume_without_a_run_says_so(data, tmp_path, capsys):
    # Case 9: was "Weights file not found: …/last.pt".
    out = tmp_path / "nothing"
    with pytest.raises(AmbiblendError, match=r"There is no run to resume in .*nothing \(no last.pt there\); "
                                             "start one without --resume."):
        train.train(cfg(data, out, epochs=1, resume=True))
    assert not out.exists()
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert train.main(["--out", str(out), "--resume"]) == 2
    assert "There is no run to resume in" in capsys.readouterr().out
    assert snapshot(out) == {"notes.txt": (b"mine", (out / "notes.txt").stat().st_mtime_ns)}


def test_log_has_one_row_per_epoch_after_a_kill(data, tmp_path):
    # Case 10: a kill after epoch 3's log row but before its checkpoint left last.pt at epoch 2
    # and log.csv with a row 3; resuming logged epoch 3 a second time.
    torch.set_num_threads(1)
    out = tmp_path / "run"
    train.train(cfg(data, out, epochs=2))
    shutil.copy(out / "last.pt", tmp_path / "last_epoch2.pt")
    train.train(cfg(data, out, epochs=3, resume=True))
    shutil.copy(tmp_path / "last_epoch2.pt", out / "last.pt")          # the state the kill leaves
    assert log_epochs(out / "log.csv") == [1, 2, 3]
    killed_rows = (out / "log.csv").read_text().splitlines()
    train.train(cfg(data, out, epochs=3, resume=True))
    rows = (out / "log.csv").read_text().splitlines()
    assert log_epochs(out / "log.csv") == [1, 2, 3]
    assert rows[:3] == killed_rows[:3]                                  # header, epochs 1 and 2 kept as they were
    assert read_checkpoint(out / "last.pt")["epoch"] == 3


def test_truncated_training_data_is_a_clear_error(data, tmp_path):
    # Case 7: a truncated training .npz raised zipfile.BadZipFile.
    full = (data / "train.npz").read_bytes()
    cut = tmp_path / "train.npz"
    cut.write_bytes(full[: len(full) // 2])
    for kind in ("train", "val"):
        out = tmp_path / f"run_{kind}"
        with pytest.raises(AmbiblendError, match="train.npz is damaged or truncated: not a complete .npz archive"):
            train.train(cfg(data, out, epochs=1, **{kind: str(cut)}))
        assert not out.exists() and cut.read_bytes() == full[: len(full) // 2]


class _Payload:
    """Unpickling this calls open(path, "w"): the marker file shows that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_h36m_never_unpickles_code(tmp_path, capsys):
    # Case 11: loading with allow_pickle=True ran a crafted file's code.
    marker = tmp_path / "marker"
    crafted = tmp_path / "data_2d_h36m_gt.npz"
    np.savez(crafted, positions_2d=np.array({"S1": {"Walking": [_Payload(str(marker))]}}, dtype=object))
    content = crafted.read_bytes()
    with pytest.raises(AmbiblendError, match=r"data_2d_h36m_gt.npz was refused: it asks to run io.open\. "
                                             "A VideoPose3D file holds only dicts of arrays"):
        load_h36m(crafted, subjects=("S1",))
    assert h36m_main(["--2d", str(crafted), "--subjects", "S1", "--out", str(tmp_path / "out.npz")]) == 2
    assert "was refused: it asks to run io.open" in capsys.readouterr().out
    assert not marker.exists() and not (tmp_path / "out.npz").exists() and crafted.read_bytes() == content
    # A real VideoPose3D-layout file (pickled dict of float arrays) still loads.
    rng = np.random.default_rng(0)
    good = tmp_path / "good.npz"
    np.savez(good, positions_2d=np.array({"S1": {"Walking 1": [rng.normal(size=(5, 17, 2)) for _ in range(4)]}},
                                         dtype=object))
    assert len(load_h36m(good, subjects=("S1",))) == 4
    # Wrong structures inside the dict are messages too.
    np.savez(good, positions_2d=np.array({"S1": {"Walking": "text"}}, dtype=object))
    with pytest.raises(AmbiblendError, match="good.npz: S1/Walking is not a list of arrays"):
        load_h36m(good, subjects=("S1",))

"""The add-on lifts with numpy from ``model.safetensors``: equal to the torch model, loads
without torch, and old torch weights get a message that says how to convert them."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ambiblend.core.assets import BUNDLED_CHECKPOINT, BUNDLED_WEIGHTS
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.lift.checkpoint import load_model, read_checkpoint
from ambiblend.core.lift.infer import lift_sequence
from ambiblend.core.lift.safetensors import load_file, save_file
from ambiblend.core.lift.weights import export_weights, read_weights

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"


def _sample_xy():
    return np.load(SAMPLE)["xy"]


def test_numpy_lift_equals_the_torch_model_on_the_shipped_weights():
    torch = pytest.importorskip("torch")
    from ambiblend.core.lift.checkpoint import LiftingModel, _torch_nets
    data = read_checkpoint(BUNDLED_CHECKPOINT)
    scale, lifter = _torch_nets(data, data["model_args"], "cpu", "model.pt")
    reference = lift_sequence(_sample_xy(), LiftingModel(scale=scale, lifter=lifter, device=torch.device("cpu")))
    ours = lift_sequence(_sample_xy(), load_model(BUNDLED_WEIGHTS, "cpu"))
    assert load_model(BUNDLED_WEIGHTS, "cpu").backend == "numpy"
    assert np.abs(ours.joints - reference.joints).max() < 1e-5     # model units (root depth 10)
    assert np.abs(ours.scale - reference.scale).max() < 1e-5


def test_shipped_weights_are_the_shipped_checkpoint(tmp_path):
    """assets/model.safetensors is exactly the export of assets/model.pt (they cannot drift)."""
    pytest.importorskip("torch")
    fresh = export_weights(read_checkpoint(BUNDLED_CHECKPOINT), tmp_path / "w.safetensors")
    a, meta_a = load_file(fresh)
    b, meta_b = load_file(BUNDLED_WEIGHTS)
    assert sorted(a) == sorted(b) and len(a) > 40
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert json.loads(meta_a["ambiblend"]) == json.loads(meta_b["ambiblend"])


def test_loading_and_lifting_never_import_torch():
    code = ("import sys, numpy as np; from ambiblend.core.lift.checkpoint import load_model;"
            "from ambiblend.core.lift.infer import lift_sequence;"
            f"m = load_model(r'{BUNDLED_WEIGHTS}');"
            f"r = lift_sequence(np.load(r'{SAMPLE}')['xy'], m);"
            "print(r.joints.shape, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(100,", "17,", "3)", "False"]


def test_old_torch_weights_without_torch_say_how_to_convert(tmp_path):
    """In a Python without torch (Blender), a .pt is refused with the conversion command."""
    blocker = ("import sys, importlib.abc\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path, target=None):\n"
               "        if name == 'torch' or name.startswith('torch.'): raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, Block())\n")
    code = blocker + (f"from ambiblend.core.lift.checkpoint import load_model\n"
                      f"from ambiblend.core.errors import AmbiblendError\n"
                      f"try:\n    load_model(r'{BUNDLED_CHECKPOINT}')\n"
                      f"except AmbiblendError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "old weights format" in out.stdout
    assert "python -m training.model_tools export-weights model.pt model.safetensors" in out.stdout


def test_safetensors_round_trip_and_malformed_files(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, -2], dtype=np.int64)}
    save_file(arrays, tmp_path / "x.safetensors", {"k": "v"})
    back, meta = load_file(tmp_path / "x.safetensors")
    assert meta == {"k": "v"}
    for k in arrays:
        np.testing.assert_array_equal(back[k], arrays[k])
        assert back[k].dtype == arrays[k].dtype
    raw = (tmp_path / "x.safetensors").read_bytes()
    for name, data in {"short": raw[:5], "truncated": raw[:-4], "header": raw[:8] + b"[" + raw[9:],
                       "huge": (10**12).to_bytes(8, "little") + raw[8:]}.items():
        bad = tmp_path / f"{name}.safetensors"
        bad.write_bytes(data)
        with pytest.raises(AmbiblendError, match="corrupt or not a safetensors file"):
            load_file(bad)
    with pytest.raises(AmbiblendError, match="not an AmbiBlend weights file"):
        read_weights(tmp_path / "x.safetensors")


def test_weights_that_do_not_fit_their_arguments_are_refused(tmp_path):
    arrays, meta = load_file(BUNDLED_WEIGHTS)
    info = json.loads(meta["ambiblend"])
    info["model_args"]["lifter"]["width"] = 256
    save_file(arrays, tmp_path / "w.safetensors", {"ambiblend": json.dumps(info)})
    with pytest.raises(AmbiblendError, match="lifter weights do not fit"):
        load_model(tmp_path / "w.safetensors", "cpu")
    del arrays["scale.mlp.out.bias"]
    info["model_args"]["lifter"]["width"] = 512
    save_file(arrays, tmp_path / "v.safetensors", {"ambiblend": json.dumps(info)})
    with pytest.raises(AmbiblendError, match="lack layer 'mlp.out.bias'"):
        load_model(tmp_path / "v.safetensors", "cpu")

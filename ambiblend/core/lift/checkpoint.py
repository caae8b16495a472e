"""Loading lifters: the add-on's weights (``weights.py``, numpy) and training checkpoints (torch).

Two files, one content:
- ``model.safetensors`` (``weights.py``): what the add-on ships and loads; read with numpy,
  cannot run code, needs no torch.
- ``*.pt`` training checkpoints: a ``torch.save`` dict of plain types and tensors (loadable
  with ``weights_only=True``)::

    {"format": "ambiblend-lifter", "version": 1,
     "model_args": {"scale": {...ScaleNet kwargs}, "lifter": {...Lifter kwargs}},
     "state_dict": {"scale": ..., "lifter": ...},
     "normalization": {"mode": "clip", "constant": None, "root_depth": 10.0},
     "config": {...training config}, "git_revision": "...", "metrics": {...}}

  Training checkpoints may carry more keys (discriminator, optimisers, epoch); the loader ignores
  them. They need torch: where it is missing (inside Blender) the user is told how to convert.

Either becomes a ``LiftingModel``: numpy networks on the CPU (``numpy_net``), or the torch
modules on CUDA when CUDA is chosen and torch is installed. torch is imported only then.
"""
from __future__ import annotations

import importlib.util
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AmbiblendError
from .camera import ROOT_DEPTH
from .normalize import MODES
from .numpy_net import NumpyLifter, NumpyScaleNet
from .weights import FORMAT, INFO_KEYS, SUFFIX, VERSION, read_weights, to_numpy

DEVICES = ("AUTO", "CUDA", "CPU")


@dataclass
class LiftingModel:
    """Φ_S and Φ_G in eval mode, with the normalisation they were trained with.

    scale, lifter: ``numpy_net`` networks (backend "numpy", arrays in and out) or torch modules
    (backend "torch", tensors on ``device``; training validates its live networks this way).
    """
    scale: object
    lifter: object
    norm_mode: str = "clip"
    norm_constant: float | None = None
    root_depth: float = ROOT_DEPTH
    scale_on: str = "2d"  # "2d": Φ_G sees S·x (paper); "3d": Φ_G sees x, its output is scaled by S
    device: object = "cpu"
    info: dict = field(default_factory=dict)
    backend: str = ""

    def __post_init__(self):
        if not self.backend:
            self.backend = "numpy" if isinstance(self.scale, NumpyScaleNet) else "torch"


def torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _nvidia_driver_present() -> bool:
    """A cheap look for an NVIDIA driver, so that Auto never imports torch on a machine without one."""
    return (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidia0").exists()
            or (os.name == "nt" and Path(os.environ.get("SystemRoot", "C:/Windows"), "System32", "nvcuda.dll").exists()))


def pick_device(preference: str = "AUTO") -> str:
    """'AUTO' → 'cuda' when torch is installed and sees a CUDA GPU, else 'cpu' (numpy);
    'CUDA' / 'CPU' force one (CUDA must exist). torch is imported only to check CUDA."""
    preference = (preference or "AUTO").upper()
    if preference not in DEVICES:
        raise AmbiblendError(f"Unknown device '{preference}' (expected AUTO, CUDA or CPU).")
    if preference == "CPU" or (preference == "AUTO" and not (torch_installed() and _nvidia_driver_present())):
        return "cpu"
    if not torch_installed():
        raise AmbiblendError("CUDA was requested but PyTorch is not installed in this Python; choose Auto or CPU "
                             "(the CPU lifts a clip in well under a second).")
    import torch
    if torch.cuda.is_available():
        return "cuda"
    if preference == "CUDA":
        raise AmbiblendError("CUDA was requested but no CUDA device is available; choose Auto or CPU.")
    return "cpu"


def save_checkpoint(path, scale, lifter, model_args: dict, normalization: dict, **extra) -> dict:
    """Write a training checkpoint (torch) and return its dict. ``extra`` (config,
    git_revision, metrics, ...) is stored alongside; keep it to plain types and tensors."""
    import torch
    payload = {
        "format": FORMAT, "version": VERSION, "model_args": model_args,
        "state_dict": {"scale": scale.state_dict(), "lifter": lifter.state_dict()},
        "normalization": dict(normalization),
    }
    payload.update(extra)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # atomic: an interrupted save never leaves a half-written checkpoint
    return payload


def convert_hint(path: Path) -> str:
    return (f"python -m training.model_tools export-weights {path.name} "
            f"{path.with_suffix(SUFFIX).name}")


def read_checkpoint(path) -> dict:
    """Load the raw dict of a weights file (.safetensors) or a training checkpoint (.pt), with
    clear errors for a missing, corrupt or foreign file."""
    path = Path(path)
    if path.suffix.lower() == SUFFIX:
        return read_weights(path)
    if not path.is_file():
        raise AmbiblendError(f"Weights file not found: {path}")
    if not torch_installed():
        raise AmbiblendError(
            f"{path.name} is a PyTorch training checkpoint, the old weights format, which needs PyTorch "
            f"(not installed here). Convert it once where PyTorch is installed: `{convert_hint(path)}`, "
            f"then choose the {SUFFIX} file.")
    import torch
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, io.UnsupportedOperation,
            AttributeError, KeyError) as exc:
        raise AmbiblendError(f"Weights file {path.name} is corrupt or not a PyTorch file ({exc}).") from exc
    except Exception as exc:  # pickle errors of foreign files have many types; their text advises
        # loading with weights_only=False (unsafe), so only the type is shown to the user
        raise AmbiblendError(f"Weights file {path.name} is corrupt or not a PyTorch checkpoint "
                             f"({type(exc).__name__}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AmbiblendError(f"{path.name} is not an AmbiBlend lifter checkpoint (no '{FORMAT}' format tag).")
    if data.get("version", 0) > VERSION:
        raise AmbiblendError(f"{path.name} was written by a newer AmbiBlend (format version {data['version']}).")
    for key in ("model_args", "state_dict", "normalization"):
        if key not in data:
            raise AmbiblendError(f"{path.name} lacks '{key}': it is not a complete lifter checkpoint.")
    return data


def _check_shapes(part: str, state: dict, args: dict, name: str) -> None:
    """The shapes the torch module of ``args`` would have, checked without torch."""
    width = int(args.get("width", 1024))
    expect = {"mlp.inp.0.weight": (width, 34), "mlp.out.weight": (1 if part == "scale" else 17, width)}
    for key, shape in expect.items():
        got = tuple(state[key].shape) if key in state else None
        if got != shape:
            raise AmbiblendError(f"{name}: the {part} weights do not fit the network "
                                 f"({key}: {got} in the file, {shape} expected).")
    blocks = len({k.split(".")[2] for k in state if k.startswith("mlp.blocks.")})
    if blocks != int(args.get("blocks", 1 if part == "scale" else 4)):
        raise AmbiblendError(f"{name}: the {part} weights have {blocks} residual blocks, "
                             f"the model arguments {args.get('blocks')}.")


def _torch_nets(data: dict, args: dict, device, name: str):
    import torch
    from ..scale.model import ScaleNet
    from .model import Lifter
    try:
        nets = {"scale": ScaleNet(**args.get("scale", {})), "lifter": Lifter(**args.get("lifter", {}))}
    except TypeError as exc:
        raise AmbiblendError(f"{name} has model arguments this version does not understand ({exc}).") from exc
    for part, net in nets.items():
        state = {k: torch.as_tensor(v) for k, v in data["state_dict"][part].items()}
        try:
            result = net.load_state_dict(state, strict=False)  # weights files omit BN step counters
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            detail = first[1].strip() if len(first) > 1 else first[0]
            raise AmbiblendError(f"{name}: the {part} weights do not fit the network ({detail}).") from exc
        wrong = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")] + result.unexpected_keys
        if wrong:
            raise AmbiblendError(f"{name}: the {part} weights do not fit the network (keys {', '.join(wrong[:3])}).")
        net.to(device).eval()
    return nets["scale"], nets["lifter"]


def build_model(data: dict, device="cpu", name: str = "checkpoint") -> LiftingModel:
    """Rebuild Φ_S and Φ_G from a checkpoint dict: numpy on 'cpu', torch on 'cuda'."""
    args = data["model_args"]
    for part in ("scale", "lifter"):
        if not data["state_dict"].get(part):
            raise AmbiblendError(f"{name} has no weights for the {part} network.")
    device = str(device)
    if device.startswith("cuda"):
        scale, lifter = _torch_nets(data, args, device, name)
    else:
        state = {part: {k: to_numpy(v) for k, v in data["state_dict"][part].items()} for part in ("scale", "lifter")}
        for part in ("scale", "lifter"):
            _check_shapes(part, state[part], args.get(part, {}), name)
        known = {"scale": {"width", "blocks", "dropout", "init_scale"},
                 "lifter": {"width", "blocks", "dropout", "zero_root_offset"}}
        for part, keys in known.items():
            extra = set(args.get(part, {})) - keys
            if extra:
                raise AmbiblendError(f"{name} has model arguments this version does not understand "
                                     f"({part}: {', '.join(sorted(extra))}).")
        scale = NumpyScaleNet(state["scale"])
        lifter = NumpyLifter(state["lifter"], bool(args.get("lifter", {}).get("zero_root_offset", True)))
    norm = data["normalization"]
    mode = norm.get("mode", "clip")
    if mode not in MODES:
        raise AmbiblendError(f"{name} uses unknown 2D normalisation '{mode}'.")
    scale_on = args.get("scale_on", "2d")
    if scale_on not in ("2d", "3d", "none"):
        raise AmbiblendError(f"{name} applies its scale to '{scale_on}', expected 2d, 3d or none.")
    info = {k: data[k] for k in INFO_KEYS if k in data}
    return LiftingModel(scale=scale, lifter=lifter, norm_mode=mode, norm_constant=norm.get("constant"),
                        root_depth=float(norm.get("root_depth", ROOT_DEPTH)), scale_on=scale_on,
                        device=device, info=info)


def load_model(path, device: str | None = None) -> LiftingModel:
    """The one loader users' weights go through (add-on, batch script, evaluation)."""
    device = device if device is not None else pick_device("AUTO")
    return build_model(read_checkpoint(path), device, name=Path(path).name)

"""Read and write the safetensors file format with numpy alone (no torch, no extra wheel).

The format (huggingface/safetensors, Apache-2.0 spec): an 8-byte little-endian header length N,
N bytes of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{str: str}}``, then the raw little-endian tensor bytes. Loading it parses JSON and copies bytes:
unlike a pickle, a crafted file cannot run code.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024


def save_file(arrays: dict[str, np.ndarray], path, metadata: dict[str, str] | None = None) -> None:
    """Write ``arrays`` (name → array) and string ``metadata`` to ``path`` atomically."""
    header, blobs, offset = {}, [], 0
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        if a.dtype not in _CODES:
            raise AmbiblendError(f"Cannot store {name}: dtype {a.dtype} has no safetensors code.")
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # tensors start 8-byte aligned
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    tmp.replace(path)


def load_file(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(arrays, metadata) from a safetensors file; AmbiblendError for anything malformed."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AmbiblendError(f"Cannot read weights file {path}: {exc.strerror or exc}.") from exc
    bad = f"Weights file {path.name} is corrupt or not a safetensors file"
    if len(data) < 8:
        raise AmbiblendError(f"{bad} (too short).")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(MAX_HEADER, len(data) - 8):
        raise AmbiblendError(f"{bad} (header length {n} does not fit the file).")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, ValueError) as exc:
        raise AmbiblendError(f"{bad} (header is not JSON).") from exc
    if not isinstance(header, dict):
        raise AmbiblendError(f"{bad} (header is not a JSON object).")
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n:]
    arrays = {}
    for name, spec in header.items():
        try:
            dtype = np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<")
            shape = tuple(int(s) for s in spec["shape"])
            begin, end = (int(o) for o in spec["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AmbiblendError(f"{bad} (entry '{name}' is malformed).") from exc
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(body) or end - begin != count * dtype.itemsize:
            raise AmbiblendError(f"{bad} (entry '{name}' points outside the data).")
        arrays[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise AmbiblendError(f"{bad} (metadata must map strings to strings).")
    return arrays, metadata

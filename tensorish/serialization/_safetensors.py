"""safetensors files, through the safetensors package's numpy API.

bfloat16, which numpy lacks, travels as ``ml_dtypes.bfloat16`` (JAX's own bfloat16): the numpy
API writes it and ``load_file`` reads it; ``safetensors.numpy.load`` of bytes does not know it,
so bytes are read with ``safetensors.deserialize`` and the dtype table below. The package checks
every header (sizes, offsets, overlaps) before any tensor is read.
"""

from __future__ import annotations

from typing import IO, Any

import jax
import numpy as np
import safetensors
import safetensors.numpy

from .. import _device, _dtype
from .._interop import from_jax
from .._tensor import Tensor
from ._errors import unsupported
from ._storage import Storage, restore

_DTYPES = {
    "BOOL": _dtype.bool_,
    "U8": _dtype.uint8,
    "I8": _dtype.int8,
    "I16": _dtype.int16,
    "I32": _dtype.int32,
    "I64": _dtype.int64,
    "F16": _dtype.float16,
    "BF16": _dtype.bfloat16,
    "F32": _dtype.float32,
    "F64": _dtype.float64,
    "C64": _dtype.complex64,
}
_BY_NUMPY = {dt.np: dt for dt in _dtype.ALL}


def is_safetensors(head: bytes, length: int) -> bool:
    """Whether a file starts as safetensors does: a header length, then a JSON object."""
    return len(head) > 8 and head[8:9] == b"{" and 8 + int.from_bytes(head[:8], "little") <= length


def save(obj: Any, path: str) -> None:
    """Write a flat dict of tensors (the messages for other input are safetensors.torch's)."""
    if not isinstance(obj, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(obj)}")
    for key, value in obj.items():
        if not isinstance(value, Tensor):
            raise ValueError(
                f"Key `{key}` is invalid, expected torch.Tensor but received {type(value)}"
            )
    safetensors.numpy.save_file({k: np.asarray(v.jax()) for k, v in obj.items()}, path)


def load(source: str | IO[bytes], map_location: Any) -> dict[str, Tensor]:
    """The tensors of a safetensors file (a path, or the rest of an open file)."""
    if isinstance(map_location, dict):
        raise RuntimeError(
            "Loading safetensors file with dict map_location is not supported. "
            "Use a device string or torch.device instead."
        )
    if callable(map_location):
        raise RuntimeError(
            "Loading safetensors file with callable map_location is not supported. "
            "Use a device string or torch.device instead."
        )
    device = restore(Storage(np.empty(0), _device.device("cpu")), map_location or "cpu").device
    if isinstance(source, str):
        arrays = safetensors.numpy.load_file(source)
    else:
        arrays = {
            name: np.frombuffer(info["data"], _dtype_of(info["dtype"]).np).reshape(info["shape"])
            for name, info in safetensors.deserialize(source.read())
        }
    target = _device.to_jax(device)
    out = {}
    for name, arr in arrays.items():
        if arr.dtype not in _BY_NUMPY:
            raise unsupported(f"safetensors dtype {arr.dtype}")
        out[name] = from_jax(jax.device_put(arr, target))
    return out


def _dtype_of(code: str) -> _dtype.dtype:
    if code not in _DTYPES:
        raise unsupported(f"safetensors dtype {code}")
    return _DTYPES[code]

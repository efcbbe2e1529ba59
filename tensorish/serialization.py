"""save/load without pickle: a zip holding a JSON index and one raw ``.npy`` array per tensor.

Loading never executes code: the index is plain JSON (tagged containers, numbers, strings,
None), arrays are read with ``np.load(allow_pickle=False)`` after their declared dtype, shape
and byte size are checked against the index and against the zip entry, and only entries named
``index.json`` or ``tensors/<n>.npy`` may exist. Anything else is a ``RuntimeError``.

Layout::

    index.json        {"format": "tensorish", "version": 1, "root": <value>}
    tensors/0.npy     the bytes of tensor 0 (bfloat16 is stored as its uint16 bit pattern)
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import zipfile
from collections import OrderedDict
from typing import IO, Any

import jax
import numpy as np

from . import _device, _dtype
from ._tensor import Size, Tensor

__all__ = ["save", "load"]

_FORMAT, _VERSION = "tensorish", 1
_INDEX = "index.json"
_ENTRY = re.compile(r"tensors/(0|[1-9][0-9]{0,8})\.npy")
_MAX_INDEX_BYTES = 64 << 20
_MAX_DEPTH = 200
_NPY_HEADER_MAX = 1 << 16
_STORED_AS = {"bfloat16": np.uint16}
_DTYPES = {dt.name: dt for dt in _dtype.ALL}

FileLike = str | os.PathLike | IO[bytes]


class _Writer:
    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.ids: dict[int, int] = {}

    def encode(self, obj: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise RuntimeError("tensorish.save: object nesting is too deep")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if isinstance(obj, _dtype.dtype):
            return {"t": "dtype", "v": obj.name}
        if isinstance(obj, _device.device):
            return {"t": "device", "v": str(obj)}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, OrderedDict) else "dict"
            return {
                "t": kind,
                "items": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()
                ],
            }
        if isinstance(obj, (list, tuple)):
            kind = "size" if isinstance(obj, Size) else "list" if isinstance(obj, list) else "tuple"
            return {"t": kind, "items": [self.encode(v, depth + 1) for v in obj]}
        raise TypeError(
            f"tensorish.save cannot store an object of type {type(obj).__name__}: only "
            "tensors, dicts, lists, tuples, numbers, strings and None are supported (no pickle)"
        )

    def tensor(self, t: Tensor) -> dict[str, Any]:
        key = self.ids.get(id(t))
        if key is None:
            key = self.ids[id(t)] = len(self.arrays)
            arr = np.asarray(t.jax())
            stored = _STORED_AS.get(t.dtype.name)
            self.arrays.append(np.array(arr.view(stored) if stored else arr, order="C"))
        return {
            "t": "tensor",
            "id": key,
            "dtype": t.dtype.name,
            "shape": list(t.shape),
            "requires_grad": bool(t.requires_grad),
            "device": str(t.device),
        }


def save(
    obj: Any,
    f: FileLike,
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
) -> None:
    """Save tensors and (nested) dicts/lists/tuples of them, numbers, strings and None.

    >>> import io, tensorish
    >>> buf = io.BytesIO()
    >>> tensorish.save({"w": tensorish.ones(2, requires_grad=True), "step": 3}, buf)
    >>> _ = buf.seek(0)
    >>> tensorish.load(buf)
    {'w': tensor([1., 1.], requires_grad=True), 'step': 3}
    """
    writer = _Writer()
    root = writer.encode(obj)
    index = json.dumps(
        {"format": _FORMAT, "version": _VERSION, "root": root}, allow_nan=False
    ).encode()
    target: Any = os.fspath(f) if isinstance(f, (str, os.PathLike)) else f
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(_INDEX, index)
        for i, arr in enumerate(writer.arrays):
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            z.writestr(f"tensors/{i}.npy", buf.getvalue())


def _bad(why: str) -> RuntimeError:
    return RuntimeError(f"tensorish.load: not a valid tensorish file: {why}")


class _Reader:
    def __init__(self, z: zipfile.ZipFile, map_location: Any) -> None:
        self.z = z
        self.map_location = map_location
        self.entries: dict[int, zipfile.ZipInfo] = {}
        self.loaded: dict[int, Tensor] = {}
        for info in z.infolist():
            if info.filename == _INDEX:
                continue
            m = _ENTRY.fullmatch(info.filename)
            if m is None:
                raise _bad(f"unexpected entry {info.filename!r}")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _bad(f"entry {info.filename!r} uses an unsupported compression")
            self.entries[int(m.group(1))] = info

    def decode(self, v: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _bad("nesting is too deep")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)):
            return v
        if isinstance(v, list):
            raise _bad("bare JSON list")
        if not isinstance(v, dict) or not isinstance(v.get("t"), str):
            raise _bad("malformed value")
        kind = v["t"]
        if kind in ("dict", "odict"):
            items = self._items(v)
            out = OrderedDict() if kind == "odict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _bad("malformed dict item")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise _bad("unhashable dict key") from None
            return out
        if kind in ("list", "tuple", "size"):
            items = [self.decode(x, depth + 1) for x in self._items(v)]
            if kind == "size":
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in items):
                    raise _bad("malformed Size")
                return Size(items)
            return items if kind == "list" else tuple(items)
        if kind == "float":
            if v.get("v") not in ("inf", "-inf", "nan"):
                raise _bad("malformed float")
            return float(v["v"])
        if kind == "dtype":
            dt = _DTYPES.get(v.get("v"))
            if dt is None:
                raise _bad(f"unknown dtype {v.get('v')!r}")
            return dt
        if kind == "device":
            return self._device(v.get("v"))
        if kind == "tensor":
            return self.tensor(v)
        raise _bad(f"unknown value tag {kind!r}")

    @staticmethod
    def _items(v: dict) -> list:
        items = v.get("items")
        if not isinstance(items, list):
            raise _bad("malformed container")
        return items

    @staticmethod
    def _device(text: Any) -> _device.device:
        if not isinstance(text, str):
            raise _bad("malformed device")
        try:
            return _device.device(text)
        except (RuntimeError, ValueError):
            raise _bad(f"unknown device {text!r}") from None

    def tensor(self, v: dict) -> Tensor:
        key, name, shape = v.get("id"), v.get("dtype"), v.get("shape")
        if not isinstance(key, int) or isinstance(key, bool) or key not in self.entries:
            raise _bad(f"tensor refers to a missing array {key!r}")
        dt = _DTYPES.get(name) if isinstance(name, str) else None
        if dt is None:
            raise _bad(f"unknown dtype {name!r}")
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            raise _bad("malformed shape")
        requires_grad = v.get("requires_grad", False)
        if not isinstance(requires_grad, bool) or (
            requires_grad and not (dt.is_floating_point or dt.is_complex)
        ):
            raise _bad("malformed requires_grad")
        if key in self.loaded:
            t = self.loaded[key]
            if t.dtype is not dt or list(t.shape) != shape:
                raise _bad(f"array {key} is used with two different dtypes or shapes")
            return t
        arr = self._array(key, dt, tuple(shape))
        saved = self._device(v.get("device", "cpu"))
        value = jax.device_put(arr, _device.to_jax(self._location(saved)))
        t = Tensor._wrap(value)
        t._requires_grad = requires_grad
        self.loaded[key] = t
        return t

    def _array(self, key: int, dt: _dtype.dtype, shape: tuple) -> np.ndarray:
        info = self.entries[key]
        stored = np.dtype(_STORED_AS.get(dt.name, dt.np))
        nbytes = math.prod(shape) * stored.itemsize
        if not nbytes <= info.file_size <= nbytes + _NPY_HEADER_MAX:
            raise _bad(
                f"array {key}: entry holds {info.file_size} bytes, but dtype {dt.name} "
                f"and shape {list(shape)} need {nbytes}"
            )
        with self.z.open(info) as fh:
            data = fh.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise _bad(f"array {key}: truncated entry")
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise _bad(f"array {key}: {e}") from None
        if not isinstance(arr, np.ndarray) or arr.dtype != stored or arr.shape != shape:
            raise _bad(
                f"array {key}: stored as {getattr(arr, 'dtype', '?')} "
                f"{list(getattr(arr, 'shape', ()))}, index says {dt.name} {list(shape)}"
            )
        return arr.view(dt.np) if dt.name in _STORED_AS else arr

    def _location(self, saved: _device.device) -> Any:
        loc = self.map_location
        if isinstance(loc, dict):
            loc = loc.get(str(saved), saved)
        if loc is None:
            loc = saved
        if callable(loc) and not isinstance(loc, (str, _device.device)):
            raise TypeError(
                "tensorish.load: a callable map_location is not supported; pass a "
                "device, a string or a dict"
            )
        dev = _device.device(loc) if not isinstance(loc, _device.device) else loc
        if not _device.jax_devices(dev.type):
            if dev.type == "cuda":
                raise RuntimeError(
                    "Attempting to deserialize object on a CUDA device but "
                    "torch.cuda.is_available() is False. If you are running on a CPU-only "
                    "machine, please use torch.load with map_location=torch.device('cpu') to "
                    "map your storages to the CPU."
                )
            raise RuntimeError(
                f"Attempting to deserialize object on {dev.type}, which is not available"
            )
        return dev


def load(
    f: FileLike,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = True,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what ``save`` wrote; never executes code (there is no pickle to run).

    ``map_location``: a device, a device string, or a dict mapping saved device strings to
    new ones (``{"cuda:0": "cpu"}``).
    """
    source: Any = os.fspath(f) if isinstance(f, (str, os.PathLike)) else f
    try:
        z = zipfile.ZipFile(source, "r")
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise _bad(f"not a zip archive ({e})") from None
    with z:
        try:
            info = z.getinfo(_INDEX)
        except KeyError:
            raise _bad(f"no {_INDEX}") from None
        if info.file_size > _MAX_INDEX_BYTES:
            raise _bad(f"{_INDEX} is too large")
        reader = _Reader(z, map_location)
        try:
            with z.open(info) as fh:
                raw = fh.read(_MAX_INDEX_BYTES + 1)
            index = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (
            zipfile.BadZipFile,
            EOFError,
            OSError,
            UnicodeDecodeError,
            ValueError,
            RecursionError,
        ) as e:
            raise _bad(f"unreadable {_INDEX} ({type(e).__name__}: {e})") from None
        if not isinstance(index, dict) or index.get("format") != _FORMAT:
            raise _bad("missing format marker")
        if index.get("version") != _VERSION:
            raise _bad(f"unsupported version {index.get('version')!r}")
        if "root" not in index:
            raise _bad("no root object")
        try:
            return reader.decode(index["root"])
        except (zipfile.BadZipFile, EOFError, RecursionError) as e:
            raise _bad(f"{type(e).__name__}: {e}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not allowed")

"""Reading files written by tensorish before it wrote PyTorch's format (tensorish 0.1).

Layout: a zip holding ``index.json`` (``{"format": "tensorish", "version": 1, "root": ...}``,
containers tagged as JSON objects) and ``tensors/<n>.npy`` (one array per tensor; bfloat16 as
its uint16 bits). The index is plain JSON and arrays are read with ``allow_pickle=False`` after
their dtype, shape and byte size are checked against the index and the zip entry.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any

import jax
import numpy as np

from .. import _device, _dtype
from .._interop import from_jax
from .._tensor import Size, Tensor
from ._errors import bad_file
from ._storage import Storage

INDEX = "index.json"
_FORMAT, _VERSION = "tensorish", 1
_ENTRY = re.compile(r"tensors/(0|[1-9][0-9]{0,8})\.npy")
_MAX_INDEX_BYTES = 64 << 20
_MAX_DEPTH = 200
_NPY_HEADER_MAX = 1 << 16
_STORED_AS = {"bfloat16": np.uint16}
_DTYPES = {dt.name: dt for dt in _dtype.ALL}


class _Reader:
    def __init__(self, z: zipfile.ZipFile, place: Callable[[Storage, str], Storage]) -> None:
        self.z = z
        self.place = place
        self.entries: dict[int, zipfile.ZipInfo] = {}
        self.loaded: dict[int, Tensor] = {}
        for info in z.infolist():
            if info.filename == INDEX:
                continue
            m = _ENTRY.fullmatch(info.filename)
            if m is None:
                raise bad_file(f"unexpected entry {info.filename!r}")
            self.entries[int(m.group(1))] = info

    # C901: one branch per kind of encoded value
    def decode(self, v: Any, depth: int = 0) -> Any:  # noqa: C901
        if depth > _MAX_DEPTH:
            raise bad_file("nesting is too deep")
        if v is None or isinstance(v, (bool, str, int, float)):
            return v
        if isinstance(v, list):
            raise bad_file("bare JSON list")
        if not isinstance(v, dict) or not isinstance(v.get("t"), str):
            raise bad_file("malformed value")
        kind = v["t"]
        if kind in ("dict", "odict"):
            out = OrderedDict() if kind == "odict" else {}
            for pair in self._items(v):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise bad_file("malformed dict item")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise bad_file("unhashable dict key") from None
            return out
        if kind in ("list", "tuple", "size"):
            items = [self.decode(x, depth + 1) for x in self._items(v)]
            if kind == "size":
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in items):
                    raise bad_file("malformed Size")
                return Size(items)
            return items if kind == "list" else tuple(items)
        if kind == "float":
            if v.get("v") not in ("inf", "-inf", "nan"):
                raise bad_file("malformed float")
            return float(v["v"])
        if kind == "dtype":
            dt = _DTYPES.get(v.get("v"))
            if dt is None:
                raise bad_file(f"unknown dtype {v.get('v')!r}")
            return dt
        if kind == "device":
            return self._device(v.get("v"))
        if kind == "tensor":
            return self.tensor(v)
        raise bad_file(f"unknown value tag {kind!r}")

    @staticmethod
    def _items(v: dict) -> list:
        items = v.get("items")
        if not isinstance(items, list):
            raise bad_file("malformed container")
        return items

    @staticmethod
    def _device(text: Any) -> _device.device:
        if not isinstance(text, str):
            raise bad_file("malformed device")
        try:
            return _device.device(text)
        except (RuntimeError, ValueError):
            raise bad_file(f"unknown device {text!r}") from None

    def tensor(self, v: dict) -> Tensor:
        key, name, shape = v.get("id"), v.get("dtype"), v.get("shape")
        if not isinstance(key, int) or isinstance(key, bool) or key not in self.entries:
            raise bad_file(f"tensor refers to a missing array {key!r}")
        dt = _DTYPES.get(name) if isinstance(name, str) else None
        if dt is None:
            raise bad_file(f"unknown dtype {name!r}")
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            raise bad_file("malformed shape")
        requires_grad = v.get("requires_grad", False)
        if not isinstance(requires_grad, bool) or (
            requires_grad and not (dt.is_floating_point or dt.is_complex)
        ):
            raise bad_file("malformed requires_grad")
        if key in self.loaded:
            t = self.loaded[key]
            if t.dtype is not dt or list(t.shape) != shape:
                raise bad_file(f"array {key} is used with two different dtypes or shapes")
            return t
        arr = self._array(key, dt, tuple(shape))
        saved = self._device(v.get("device", "cpu"))
        storage = self.place(Storage(arr, _device.device("cpu")), str(saved))
        t = from_jax(jax.device_put(arr, _device.to_jax(storage.device)))
        t.requires_grad_(requires_grad)
        self.loaded[key] = t
        return t

    def _array(self, key: int, dt: _dtype.dtype, shape: tuple) -> np.ndarray:
        info = self.entries[key]
        stored = np.dtype(_STORED_AS.get(dt.name, dt.np))
        nbytes = math.prod(shape) * stored.itemsize
        if not nbytes <= info.file_size <= nbytes + _NPY_HEADER_MAX:
            raise bad_file(
                f"array {key}: entry holds {info.file_size} bytes, but dtype {dt.name} "
                f"and shape {list(shape)} need {nbytes}"
            )
        with self.z.open(info) as fh:
            data = fh.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise bad_file(f"array {key}: truncated entry")
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise bad_file(f"array {key}: {e}") from None
        if not isinstance(arr, np.ndarray) or arr.dtype != stored or arr.shape != shape:
            raise bad_file(
                f"array {key}: stored as {getattr(arr, 'dtype', '?')} "
                f"{list(getattr(arr, 'shape', ()))}, index says {dt.name} {list(shape)}"
            )
        return arr.view(dt.np) if dt.name in _STORED_AS else arr


def read(fh: IO[bytes], place: Callable[[Storage, str], Storage]) -> Any:
    """The object in a tensorish 0.1 file (a zip whose entries were checked by ``_zip``)."""
    with zipfile.ZipFile(fh) as z:
        info = z.getinfo(INDEX)
        if info.file_size > _MAX_INDEX_BYTES:
            raise bad_file(f"{INDEX} is too large")
        reader = _Reader(z, place)
        try:
            with z.open(info) as index_file:
                raw = index_file.read(_MAX_INDEX_BYTES + 1)
            index = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (
            zipfile.BadZipFile,
            EOFError,
            OSError,
            UnicodeDecodeError,
            ValueError,
            RecursionError,
        ) as e:
            raise bad_file(f"unreadable {INDEX} ({type(e).__name__}: {e})") from None
        if not isinstance(index, dict) or index.get("format") != _FORMAT:
            raise bad_file("missing format marker")
        if index.get("version") != _VERSION:
            raise bad_file(f"unsupported version {index.get('version')!r}")
        if "root" not in index:
            raise bad_file("no root object")
        try:
            return reader.decode(index["root"])
        except (zipfile.BadZipFile, EOFError, RecursionError) as e:
            raise bad_file(f"{type(e).__name__}: {e}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not allowed")

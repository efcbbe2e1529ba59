"""Rebuilding tensors from a torch pickle: what each name a ``GLOBAL`` may use stands for.

``Loader.table`` holds exactly the names torch's weights-only loader allows. The ones tensorish
can build map to tensorish objects and to the rebuild functions below; naming one of the others
(sparse, quantized or nested tensors, dtypes tensorish lacks, legacy tensor types) raises "not
supported by tensorish". A name outside the table is refused with torch's words. Nothing is ever
imported.

tensorish arrays are immutable, so tensors never share a storage: each tensor gets its own array,
copied out of the storage's bytes (views with the same dtype, offset, shape and strides share one
array, so tied weights stay one array). A view can be larger than its storage (``expand``), so
the arrays built from one file may add up to at most ``_EXPANSION`` times the storage bytes it
holds, plus ``_SLACK``: a small file never makes us allocate much more than its size.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from .. import _device, _dtype
from .._interop import from_jax
from .._tensor import Size, Tensor
from ..nn.parameter import Parameter
from ._errors import bad_file, refused, unsupported
from ._storage import Storage

_EXPANSION = 4
_SLACK = 1 << 20

_TYPE_NAMES = (
    "BFloat16",
    "Bool",
    "Byte",
    "Char",
    "Double",
    "Float",
    "Half",
    "Int",
    "Long",
    "Short",
)
_QUANTIZED = ("QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8")
_OTHER_DTYPES = (
    "bits16 bits1x8 bits2x4 bits4x2 bits8 complex32 float4_e2m1fn_x2 float8_e4m3fn "
    "float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz float8_e8m0fnu qint32 qint8 quint2x4 quint4x2 "
    "quint8 uint16 uint32 uint64"
).split() + [f"{kind}{n}" for kind in ("int", "uint") for n in range(1, 8)]
_QSCHEMES = (
    "per_channel_affine per_channel_affine_float_qparams per_channel_symmetric "
    "per_tensor_affine per_tensor_symmetric"
).split()
_OTHER_REBUILDS = {
    "_rebuild_qtensor": "quantized tensors",
    "_rebuild_sparse_tensor": "sparse tensors",
    "_rebuild_meta_tensor_no_storage": "meta tensors",
    "_rebuild_nested_tensor": "nested tensors",
    "_rebuild_wrapper_subclass": "tensor subclasses",
    "_rebuild_device_tensor_from_numpy": "tensors saved through numpy",
    "_rebuild_device_tensor_from_cpu_tensor": "tensors of other devices (XLA, MTIA...)",
}

# Names torch allows that tensorish cannot build, and why.
UNSUPPORTED = {
    **{f"torch.{name}": "a dtype tensorish lacks" for name in _OTHER_DTYPES},
    **{f"torch.{name}": "quantized tensors" for name in _QSCHEMES},
    **{f"torch.{q}Storage": "quantized tensors" for q in _QUANTIZED},
    **{f"torch._utils.{name}": why for name, why in _OTHER_REBUILDS.items()},
    **{
        f"{m}.{t}Tensor": "legacy tensor types"
        for m in ("torch", "torch.cuda")
        for t in _TYPE_NAMES
    },
    **{
        f"{m}.{t}Tensor": "sparse tensors"
        for m in ("torch.sparse", "torch.cuda.sparse")
        for t in _TYPE_NAMES
        if t != "Bool"
    },
    "torch.serialization._get_layout": "layouts",
    "torch.storage.TypedStorage": "typed storages",
}


def not_allowed(path: str) -> Exception:
    """The error for a ``GLOBAL`` outside the table (worded as torch words it)."""
    if path in UNSUPPORTED:
        return unsupported(f"{path} ({UNSUPPORTED[path]})")
    shown = path.removeprefix("builtins.") if path.startswith("builtins.") else path
    return refused(f"Unsupported global: GLOBAL {shown} was not an allowed global by default.")


class StorageType:
    """What ``torch.FloatStorage`` and its kind stand for in a pickle: a storage dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: _dtype.dtype) -> None:
        self.dtype = dtype


class _Typed:
    """A loaded storage as one persistent id typed it."""

    __slots__ = ("storage", "dtype")

    def __init__(self, storage: Storage | None, dtype: _dtype.dtype) -> None:
        self.storage = storage
        self.dtype = dtype


def _encode(obj: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # Pickle protocol 2 writes bytes as _codecs.encode(text, "latin1"). Another codec name would
    # make Python import a codec module, so only this one is read.
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise unsupported(f"_codecs.encode with encoding {encoding!r}")
    return obj.encode("latin1", errors)


def _size(dims: Any = ()) -> Size:
    if not isinstance(dims, (tuple, list)) or not all(type(d) is int for d in dims):
        raise bad_file(f"torch.Size of {dims!r:.100}")
    return Size(dims)


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(type(v) is int and v >= 0 for v in value):
        raise bad_file(f"tensor {what} {value!r:.100} is not a tuple of non-negative ints")
    return tuple(value)


def _no_hooks(hooks: Any) -> None:
    if not isinstance(hooks, dict):
        raise bad_file("tensor backward hooks are not a dict")
    if hooks:
        raise unsupported("a tensor with backward hooks")


def _no_state(state: Any) -> None:
    parts = state if isinstance(state, tuple) else (state,)
    if any(part for part in parts):
        raise unsupported("a tensor with Python attributes")


class Loader:
    """One load of a torch pickle: its storages, where they go, and the arrays built from them.

    ``fetch(key, nbytes)`` gives a storage's bytes; ``place(storage, location)`` puts it on a
    device (``map_location``). A ``dry`` loader (the first pass over a legacy file, whose
    storages come after its pickle) only records which storages the pickle uses.
    """

    def __init__(
        self,
        fetch: Callable[[str, int], np.ndarray],
        place: Callable[[Storage, str], Storage],
        data_bytes: int,
        swap_bytes: bool = False,
        dry: bool = False,
    ) -> None:
        self.fetch = fetch
        self.place = place
        self.limit = _EXPANSION * data_bytes + _SLACK
        self.spent = 0
        self.swap_bytes = swap_bytes
        self.dry = dry
        self.storages: dict[Any, _Typed] = {}
        self.used: dict[str, tuple[_dtype.dtype, int]] = {}
        self.arrays: dict[tuple, jax.Array] = {}
        self.table = self._table()

    def _table(self) -> dict[str, Any]:
        storage_types = {
            f"{m}.{dt.title}Storage": StorageType(dt)
            for m in ("torch", "torch.cuda")
            for dt in _dtype.ALL
        }
        return {
            "collections.OrderedDict": OrderedDict,
            "collections.Counter": Counter,
            "builtins.set": set,
            "builtins.complex": complex,
            "builtins.bytearray": bytearray,
            "_codecs.encode": _encode,
            "torch.Size": _size,
            "torch.device": _device.device,
            "torch.Tensor": Tensor,
            "torch.nn.parameter.Parameter": self.parameter,
            "torch.storage.UntypedStorage": StorageType(_dtype.uint8),
            **storage_types,
            **{f"torch.{dt.name}": dt for dt in _dtype.ALL},
            "torch._utils._rebuild_tensor": self.rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self.rebuild_tensor_v2,
            "torch._utils._rebuild_tensor_v3": self.rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": self.rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self.rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self.rebuild_from_type_v2,
        }

    def persistent_load(self, pid: Any) -> _Typed:
        """A storage from its persistent id: ``('storage', type, key, location, numel)``, and
        a sixth item (a view of another storage, always None since torch 1.0) in legacy files."""
        if not isinstance(pid, tuple) or len(pid) not in (5, 6):
            raise bad_file(f"malformed storage id {pid!r:.100}")
        _, kind, key, location, numel = pid[:5]
        if len(pid) == 6 and pid[5] is not None:
            raise unsupported("a legacy storage view (a file from before torch 1.0)")
        key, location = _text(key), _text(location)
        if not isinstance(kind, StorageType) or not isinstance(key, str):
            raise bad_file(f"malformed storage id {pid!r:.100}")
        if not isinstance(location, str) or type(numel) is not int or numel < 0:
            raise bad_file(f"malformed storage id {pid!r:.100}")
        if key in self.storages:
            return self.storages[key]
        if self.dry:
            self.used[key] = (kind.dtype, numel)
            typed = _Typed(None, kind.dtype)
        else:
            data = self.fetch(key, numel * kind.dtype.itemsize)
            if self.swap_bytes:
                data = data.view(kind.dtype.np).byteswap().view(np.uint8)
            storage = self.place(Storage(data, _device.device("cpu")), location)
            if not isinstance(storage, Storage):
                raise TypeError(
                    f"map_location must return a storage or None, not {type(storage).__name__}"
                )
            typed = _Typed(storage, kind.dtype)
        self.storages[key] = typed
        return typed

    def tensor(
        self,
        typed: Any,
        offset: Any,
        size: Any,
        stride: Any,
        requires_grad: Any,
        dtype: _dtype.dtype | None = None,
        metadata: Any = None,
    ) -> Tensor | None:
        if not isinstance(typed, _Typed):
            raise bad_file("a tensor's storage is not a storage")
        if type(offset) is not int or offset < 0 or type(requires_grad) is not bool:
            raise bad_file("malformed tensor storage offset or requires_grad")
        size, stride = _ints(size, "size"), _ints(stride, "stride")
        if len(size) != len(stride):
            raise bad_file(f"tensor size {list(size)} and stride {list(stride)} differ in length")
        flags = _flags(metadata)
        if self.dry:
            return None
        dt = dtype or typed.dtype
        data = typed.storage.data
        numel = data.nbytes // dt.itemsize
        needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if needed > numel:
            raise RuntimeError("Trying to resize storage that is not resizable")
        key = (id(typed.storage), dt, offset, size, stride, flags)
        value = self.arrays.get(key)
        if value is None:
            self.spent += math.prod(size) * dt.itemsize
            if self.spent > self.limit:
                raise bad_file(
                    f"its tensors need {self.spent} bytes or more, over {_EXPANSION} times the "
                    f"storage bytes it holds (tensorish copies each view out of its storage)"
                )
            flat = data[: numel * dt.itemsize].view(dt.np)
            view = np.lib.stride_tricks.as_strided(
                flat[offset:],
                shape=size,
                strides=tuple(s * dt.itemsize for s in stride),
                writeable=False,
            )
            if "conj" in flags:
                view = np.conj(view)
            if "neg" in flags:
                view = np.negative(view)
            value = jax.device_put(view, _device.to_jax(typed.storage.device))
            self.arrays[key] = value
        t = from_jax(value)
        if requires_grad:
            t.requires_grad_()
        return t

    def rebuild_tensor(self, storage: Any, storage_offset: Any, size: Any, stride: Any) -> Any:
        return self.tensor(storage, storage_offset, size, stride, False)

    def rebuild_tensor_v2(
        self,
        storage: Any,
        storage_offset: Any,
        size: Any,
        stride: Any,
        requires_grad: Any,
        backward_hooks: Any,
        metadata: Any = None,
    ) -> Any:
        _no_hooks(backward_hooks)
        return self.tensor(storage, storage_offset, size, stride, requires_grad, None, metadata)

    def rebuild_tensor_v3(
        self,
        storage: Any,
        storage_offset: Any,
        size: Any,
        stride: Any,
        requires_grad: Any,
        backward_hooks: Any,
        dtype: Any,
        metadata: Any = None,
    ) -> Any:
        _no_hooks(backward_hooks)
        if not isinstance(dtype, _dtype.dtype):
            raise bad_file(f"tensor dtype {dtype!r:.100} is not a dtype")
        return self.tensor(storage, storage_offset, size, stride, requires_grad, dtype, metadata)

    def parameter(self, data: Any = None, requires_grad: Any = True) -> Any:
        if self.dry:
            return None
        if not isinstance(data, Tensor) or type(requires_grad) is not bool:
            raise bad_file("malformed Parameter")
        return Parameter(data, requires_grad)

    def rebuild_parameter(self, data: Any, requires_grad: Any, backward_hooks: Any) -> Any:
        _no_hooks(backward_hooks)
        return self.parameter(data, requires_grad)

    def rebuild_parameter_with_state(
        self, data: Any, requires_grad: Any, backward_hooks: Any, state: Any
    ) -> Any:
        _no_state(state)
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def rebuild_from_type_v2(self, func: Any, new_type: Any, args: Any, state: Any) -> Any:
        rebuilds = (self.rebuild_tensor, self.rebuild_tensor_v2, self.rebuild_tensor_v3)
        if func not in rebuilds + (self.rebuild_parameter, self.rebuild_parameter_with_state):
            raise bad_file(f"_rebuild_from_type_v2 of {func!r:.100}")
        if new_type is not Tensor and new_type != self.parameter:
            raise unsupported(f"a tensor subclass ({new_type!r:.100})")
        if not isinstance(args, tuple):
            raise bad_file("_rebuild_from_type_v2 arguments are not a tuple")
        _no_state(state)
        t = func(*args)
        if t is not None and new_type == self.parameter and not isinstance(t, Parameter):
            t = Parameter(t, t.requires_grad)
        return t


def _text(value: Any) -> Any:
    return value.decode("ascii") if isinstance(value, bytes) else value


def _flags(metadata: Any) -> frozenset[str]:
    """The ``conj``/``neg`` bits torch saves for lazily conjugated or negated views."""
    if metadata is None:
        return frozenset()
    if not isinstance(metadata, dict) or not set(metadata) <= {"conj", "neg"}:
        raise unsupported(f"tensor metadata {metadata!r:.100}")
    return frozenset(k for k, v in metadata.items() if v)

"""A pickle writer (protocol 2, torch's default) for what torch's weights-only loader reads back.

Python's own pickler cannot name ``torch._utils._rebuild_tensor_v2`` without importing torch, so
this one writes the opcodes itself, and only the opcodes torch's weights-only unpickler reads:
containers, numbers, strings, bytes, sets, dtypes, ``torch.Size``, ``torch.device`` and tensors
(as torch pickles them). Anything else is a ``TypeError`` at save time, so ``save`` never writes
a file that ``load`` (or ``torch.load(weights_only=True)``) would refuse.
"""

from __future__ import annotations

import math
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import _device, _dtype
from .._tensor import Size, Tensor
from ..nn.parameter import Parameter

_MAX_DEPTH = 200
_BATCH = 1000  # Python's pickler batches APPENDS and SETITEMS by this many
_LATIN1 = "latin1"


class Global(NamedTuple):
    """A global written as ``GLOBAL module name`` (never imported here)."""

    module: str
    name: str


class Persistent(NamedTuple):
    """A persistent id (torch's storage reference) written as the tuple and ``BINPERSID``."""

    pid: tuple


REBUILD_TENSOR = Global("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = Global("collections", "OrderedDict")
_COUNTER = Global("collections", "Counter")
_SET = Global("__builtin__", "set")
_BYTEARRAY = Global("__builtin__", "bytearray")
_COMPLEX = Global("__builtin__", "complex")
_ENCODE = Global("_codecs", "encode")
_SIZE = Global("torch", "Size")
_DEVICE = Global("torch", "device")


def storage_type(dt: _dtype.dtype) -> Global:
    """torch's legacy storage class for ``dt`` (``torch.FloatStorage`` for float32)."""
    return Global("torch", f"{dt.title}Storage")


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class Pickler:
    """``dumps(obj)``: the pickle bytes; ``storage(tensor)`` gives each tensor's persistent id.

    Opcodes, memo entries and batching follow Python's own pickler, so a state dict pickles to
    the bytes ``torch.save`` writes for it.
    """

    def __init__(self, storage: Callable[[Tensor], tuple]) -> None:
        self.storage = storage
        self.out = bytearray(b"\x80\x02")
        self.memo: dict[Any, int] = {}
        self.alive: list[Any] = []  # every memoized object, so that no id() is reused

    def dumps(self, obj: Any) -> bytes:
        self.save(obj, 0)
        self.out += b"."
        return bytes(self.out)

    def _memoize(self, key: Any, obj: Any) -> None:
        i = len(self.alive)
        self.alive.append(obj)
        self.memo[key] = i
        self.out += b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)

    def _from_memo(self, key: Any) -> bool:
        i = self.memo.get(key)
        if i is not None:
            self.out += b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)
        return i is not None

    def save(self, obj: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise RuntimeError("tensorish.save: object nesting is too deep")
        kind = type(obj)
        if obj is None:
            self.out += b"N"
        elif kind is bool:
            self.out += b"\x88" if obj else b"\x89"
        elif kind is int:
            self._int(obj)
        elif kind is float:
            self.out += b"G" + struct.pack(">d", obj)
        elif kind is Global:
            if not self._from_memo(obj):
                self.out += f"c{obj.module}\n{obj.name}\n".encode()
                self._memoize(obj, obj)
        elif kind is Persistent:
            self.save(obj.pid, depth + 1)
            self.out += b"Q"
        elif isinstance(obj, _dtype.dtype):
            self.save(Global("torch", obj.name), depth)
        elif self._from_memo(id(obj)):
            pass
        elif kind is str:
            data = obj.encode("utf-8", "surrogatepass")
            self.out += b"X" + struct.pack("<I", len(data)) + data
            self._memoize(id(obj), obj)
        else:
            self._save_object(obj, kind, depth + 1)

    def _int(self, n: int) -> None:
        if 0 <= n < 256:
            self.out += b"K" + bytes([n])
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)
        elif -(2**31) <= n < 2**31:
            self.out += b"J" + struct.pack("<i", n)
        else:
            data = n.to_bytes(math.ceil((n.bit_length() + 1) / 8), "little", signed=True)
            if len(data) > 255:
                raise TypeError("tensorish.save cannot store an int of more than 2040 bits")
            self.out += b"\x8a" + bytes([len(data)]) + data

    def _tuple(self, items: tuple, depth: int) -> None:
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for item in items:
            self.save(item, depth)
        self.out += b"t" if len(items) > 3 else b"\x85\x86\x87"[len(items) - 1 : len(items)]
        self._memoize(id(items), items)

    def _reduce(
        self,
        func: Global,
        args: tuple,
        obj: Any,
        depth: int,
        items: list | None = None,
        state: dict | None = None,
    ) -> None:
        self.save(func, depth)
        self._tuple(args, depth)
        self.out += b"R"
        self._memoize(id(obj), obj)
        if items:
            self._batches(items, True, depth)
        if state:
            self.save(state, depth)
            self.out += b"b"

    def _batches(self, items: list, pairs: bool, depth: int) -> None:
        """``APPEND``/``SETITEM`` for a lone item (a value, or a key-value pair), else
        ``MARK ... APPENDS``/``SETITEMS`` per thousand."""
        one, many = (b"s", b"u") if pairs else (b"a", b"e")
        for i in range(0, len(items), _BATCH):
            batch = items[i : i + _BATCH]
            if len(batch) > 1:
                self.out += b"("
            for item in batch:
                for part in item if pairs else (item,):
                    self.save(part, depth)
            self.out += many if len(batch) > 1 else one

    def _save_object(self, obj: Any, kind: type, depth: int) -> None:
        if isinstance(obj, Tensor):
            self._tensor(obj, depth)
        elif kind is _PlainTensor:
            self._reduce(REBUILD_TENSOR, self._tensor_args(obj.tensor, False), obj, depth)
        elif kind is tuple:
            self._tuple(obj, depth)
        elif kind is list:
            self.out += b"]"
            self._memoize(id(obj), obj)
            self._batches(obj, False, depth)
        elif kind is dict:
            self.out += b"}"
            self._memoize(id(obj), obj)
            self._batches(list(obj.items()), True, depth)
        elif kind is OrderedDict:
            # a state dict's _metadata travels as the OrderedDict's attributes
            self._reduce(_ORDERED_DICT, (), obj, depth, list(obj.items()), dict(vars(obj)))
        elif kind is Counter:
            self._reduce(_COUNTER, (dict(obj),), obj, depth)
        elif kind is Size:
            self._reduce(_SIZE, (tuple(obj),), obj, depth)
        elif kind is _device.device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            self._reduce(_DEVICE, args, obj, depth)
        elif kind is bytes:
            self._reduce(_ENCODE, (obj.decode(_LATIN1), _LATIN1), obj, depth)
        elif kind is bytearray:
            self._reduce(_BYTEARRAY, (bytes(obj),), obj, depth)
        elif kind is set:
            self._reduce(_SET, (list(obj),), obj, depth)
        elif kind is complex:
            self._reduce(_COMPLEX, (obj.real, obj.imag), obj, depth)
        else:
            raise TypeError(
                f"tensorish.save cannot store an object of type {kind.__name__}: only what "
                "torch.load(weights_only=True) reads back is stored (tensors, dicts, lists, "
                "tuples, sets, numbers, strings, bytes, None, dtypes, devices, Size)"
            )

    def _tensor(self, t: Tensor, depth: int) -> None:
        if isinstance(t, Parameter):
            args = (_PlainTensor(t), t.requires_grad, OrderedDict())
            self._reduce(REBUILD_PARAMETER, args, t, depth)
        else:
            self._reduce(REBUILD_TENSOR, self._tensor_args(t, t.requires_grad), t, depth)

    def _tensor_args(self, t: Tensor, requires_grad: bool) -> tuple:
        shape = tuple(t.shape)
        pid = Persistent(self.storage(t))
        return (pid, 0, shape, contiguous_strides(shape), requires_grad, OrderedDict())


class _PlainTensor:
    """A Parameter's data, pickled as a plain tensor (``Parameter.data`` in torch)."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor

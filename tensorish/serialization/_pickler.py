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
    """``dumps(obj)``: the pickle bytes; ``storage(tensor)`` gives each tensor's persistent id."""

    def __init__(self, storage: Callable[[Tensor], tuple]) -> None:
        self.storage = storage
        self.out = bytearray(b"\x80\x02")
        self.memo: dict[Any, tuple[int, Any]] = {}

    def dumps(self, obj: Any) -> bytes:
        self.save(obj, 0)
        self.out += b"."
        return bytes(self.out)

    def _put(self, key: Any, obj: Any) -> None:
        index = len(self.memo)
        self.memo[key] = (index, obj)  # holding obj keeps id(obj) from being reused
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def _get(self, key: Any) -> bool:
        hit = self.memo.get(key)
        if hit is not None:
            i = hit[0]
            self.out += b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)
        return hit is not None

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
            if not self._get(obj):
                self.out += f"c{obj.module}\n{obj.name}\n".encode()
                self._put(obj, obj)
        elif kind is Persistent:
            self.save(obj.pid, depth + 1)
            self.out += b"Q"
        elif self._get(id(obj)):
            pass
        elif kind is str:
            data = obj.encode("utf-8", "surrogatepass")
            self.out += b"X" + struct.pack("<I", len(data)) + data
            self._put(id(obj), obj)
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

    def _reduce(self, func: Global, args: tuple, depth: int) -> None:
        self.save(func, depth)
        self._tuple(args, depth)
        self.out += b"R"

    def _tuple(self, items: tuple, depth: int) -> None:
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for item in items:
            self.save(item, depth)
        self.out += b"t" if len(items) > 3 else b"\x85\x86\x87"[len(items) - 1 : len(items)]

    def _items(self, items: list, opcode: bytes, depth: int) -> None:
        if items:
            self.out += b"("
            for item in items:
                self.save(item, depth)
            self.out += opcode

    def _save_object(self, obj: Any, kind: type, depth: int) -> None:
        if isinstance(obj, Tensor):
            self._tensor(obj, depth)
            self._put(id(obj), obj)
        elif isinstance(obj, _dtype.dtype):
            self.save(Global("torch", obj.name), depth)
        elif kind is tuple:
            self._tuple(obj, depth)
            self._put(id(obj), obj)
        elif kind is list:
            self.out += b"]"
            self._put(id(obj), obj)
            self._items(obj, b"e", depth)
        elif kind is dict:
            self.out += b"}"
            self._put(id(obj), obj)
            self._items([x for kv in obj.items() for x in kv], b"u", depth)
        elif kind is OrderedDict:
            self._reduce(_ORDERED_DICT, (), depth)
            self._put(id(obj), obj)
            self._items([x for kv in obj.items() for x in kv], b"u", depth)
            if vars(obj):  # a state_dict's _metadata
                self.save(dict(vars(obj)), depth)
                self.out += b"b"
        elif kind is Counter:
            self._reduce(_COUNTER, (dict(obj),), depth)
            self._put(id(obj), obj)
        elif kind is Size:
            self._reduce(_SIZE, (tuple(obj),), depth)
            self._put(id(obj), obj)
        elif kind is _device.device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            self._reduce(_DEVICE, args, depth)
            self._put(id(obj), obj)
        elif kind is bytes or kind is bytearray:
            encoded = (_ENCODE, (obj.decode("latin1"), "latin1"))
            if kind is bytes:
                self._reduce(*encoded, depth)
            else:
                self.save(_BYTEARRAY, depth)
                self._reduce(*encoded, depth)
                self.out += b"\x85R"
            self._put(id(obj), obj)
        elif kind is set:
            self._reduce(_SET, (list(obj),), depth)
            self._put(id(obj), obj)
        elif kind is complex:
            self._reduce(_COMPLEX, (obj.real, obj.imag), depth)
            self._put(id(obj), obj)
        else:
            raise TypeError(
                f"tensorish.save cannot store an object of type {kind.__name__}: only what "
                "torch.load(weights_only=True) reads back is stored (tensors, dicts, lists, "
                "tuples, sets, numbers, strings, bytes, None, dtypes, devices, Size)"
            )

    def _tensor(self, t: Tensor, depth: int) -> None:
        if isinstance(t, Parameter):
            self.save(REBUILD_PARAMETER, depth)
            self._plain_tensor(t, False, depth)
            self.save(t.requires_grad, depth)
            self._reduce(_ORDERED_DICT, (), depth)
            self.out += b"\x87R"
        else:
            self._plain_tensor(t, t.requires_grad, depth)

    def _plain_tensor(self, t: Tensor, requires_grad: bool, depth: int) -> None:
        shape = tuple(t.shape)
        self.save(REBUILD_TENSOR, depth)
        self.out += b"("
        self.save(Persistent(self.storage(t)), depth)
        self.save(0, depth)
        self._tuple(shape, depth)
        self._tuple(contiguous_strides(shape), depth)
        self.save(requires_grad, depth)
        self._reduce(_ORDERED_DICT, (), depth)
        self.out += b"tR"

"""A pickle reader that runs nothing it was not given: torch's weights-only rules.

It reads exactly the opcodes torch's weights-only unpickler reads. A ``GLOBAL`` is looked up in
the table it is given (module names are never imported); ``REDUCE`` and ``NEWOBJ`` call only
objects from that table; ``BUILD`` sets attributes only on an ``OrderedDict`` (a state dict's
``_metadata``); a persistent id must name a storage. What torch refuses is refused with torch's
words (``pickle.UnpicklingError``); a malformed pickle is a ``RuntimeError``.
"""

from __future__ import annotations

import struct
import warnings
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import IO, Any

from .._tensor import Tensor
from ._errors import bad_file, refused, unsupported

# torch's weights-only loader renames Python 2 globals as these tables say.
_IMPORT_MAPPING = {
    "__builtin__": "builtins",
    "copy_reg": "copyreg",
    "Queue": "queue",
    "repr": "reprlib",
    "_abcoll": "collections.abc",
    "UserDict": "collections",
    "UserList": "collections",
    "UserString": "collections",
    "whichdb": "dbm",
    "StringIO": "io",
    "cStringIO": "io",
}
_NAME_MAPPING = {
    ("__builtin__", "xrange"): ("builtins", "range"),
    ("__builtin__", "reduce"): ("functools", "reduce"),
    ("__builtin__", "intern"): ("sys", "intern"),
    ("__builtin__", "unichr"): ("builtins", "chr"),
    ("__builtin__", "unicode"): ("builtins", "str"),
    ("__builtin__", "long"): ("builtins", "int"),
    ("itertools", "izip"): ("builtins", "zip"),
    ("itertools", "imap"): ("builtins", "map"),
    ("itertools", "ifilter"): ("builtins", "filter"),
    ("itertools", "ifilterfalse"): ("itertools", "filterfalse"),
    ("itertools", "izip_longest"): ("itertools", "zip_longest"),
    ("UserDict", "IterableUserDict"): ("collections", "UserDict"),
    ("UserList", "UserList"): ("collections", "UserList"),
    ("UserString", "UserString"): ("collections", "UserString"),
    ("__builtin__", "basestring"): ("builtins", "str"),
    ("exceptions", "StandardError"): ("builtins", "Exception"),
    ("UserDict", "UserDict"): ("collections", "UserDict"),
}
_BUILTINS = (set, complex, bytearray, OrderedDict, Counter)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_MAX_NAME = 1024


class Unpickler:
    """Reads one pickle from ``fh`` (which holds at most ``end`` bytes).

    ``table`` maps ``"module.name"`` to what a ``GLOBAL`` stands for; ``lookup_failed(path)``
    raises for a name not in it; ``construct`` is ``nn.Parameter`` (the one class torch's
    ``NEWOBJ`` constructs by calling it); ``persistent_load`` resolves storage ids.
    """

    def __init__(
        self,
        fh: IO[bytes],
        end: int,
        table: Mapping[str, Any],
        lookup_failed: Callable[[str], Exception],
        construct: type,
        persistent_load: Callable[[Any], Any],
        encoding: str = "utf-8",
    ) -> None:
        self.fh = fh
        self.end = end
        self.table = table
        self.allowed = {id(v) for v in table.values()}
        self.lookup_failed = lookup_failed
        self.construct = construct
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.memo: dict[int, Any] = {}
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []

    def read(self, n: int) -> bytes:
        if n > self.end - self.fh.tell():
            raise bad_file("pickle data was truncated")
        data = self.fh.read(n)
        if len(data) != n:
            raise bad_file("pickle data was truncated")
        return data

    def load(self) -> Any:
        try:
            while True:
                op = self.read(1)[0]
                handler = _OPCODES.get(op)
                if handler is None:
                    raise refused(f"Unsupported operand {op}")
                if handler(self):
                    return self.stack.pop()
        except (IndexError, KeyError, UnicodeDecodeError) as e:
            raise bad_file(f"malformed pickle ({type(e).__name__}: {e})") from None

    def pop_mark(self) -> list[Any]:
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def call(self, func: Any, args: Any) -> Any:
        if id(func) not in self.allowed:
            message = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                message += f" which belongs to {func.__self__}"
            raise refused(message)
        if not isinstance(args, tuple):
            raise bad_file("REDUCE arguments are not a tuple")
        if func in _BUILTINS and any(
            isinstance(a, Tensor) or (func is bytearray and isinstance(a, int)) for a in args
        ):
            # Iterating a tensor, or bytearray(n), turns a few bytes of pickle into gigabytes.
            raise bad_file(f"{func.__name__}() of a tensor or a size in a pickle")
        try:
            return func(*args)
        except (TypeError, ValueError, OverflowError) as e:
            raise bad_file(f"calling {getattr(func, '__name__', func)}: {e}") from None

    def readline(self) -> str:
        line = self.fh.readline(min(_MAX_NAME, self.end - self.fh.tell()))
        if not line.endswith(b"\n"):
            raise bad_file("pickle data was truncated")
        return line[:-1].decode("utf-8")


def _global(u: Unpickler) -> None:
    module, name = u.readline(), u.readline()
    if (module, name) in _NAME_MAPPING:
        module, name = _NAME_MAPPING[(module, name)]
    elif module in _IMPORT_MAPPING:
        module = _IMPORT_MAPPING[module]
    path = f"{module}.{name}"
    if module in _BLOCKED_MODULES:
        raise refused(f"Trying to load unsupported GLOBAL {path} whose module {module} is blocked.")
    if path not in u.table:
        raise u.lookup_failed(path)
    u.stack.append(u.table[path])


def _newobj(u: Unpickler) -> None:
    args = u.stack.pop()
    cls = u.stack.pop()
    if cls is u.construct:
        u.stack.append(u.call(cls, args))
    elif cls in _BUILTINS and id(cls) in u.allowed:
        u.stack.append(cls.__new__(cls, *args))
    else:
        raise refused(
            "Can only create new object for nn.Parameter or classes allowlisted via "
            f"`add_safe_globals` but got {cls}"
        )


def _reduce(u: Unpickler) -> None:
    args = u.stack.pop()
    u.stack[-1] = u.call(u.stack[-1], args)


def _build(u: Unpickler) -> None:
    state = u.stack.pop()
    inst = u.stack[-1]
    if isinstance(inst, Tensor):
        raise unsupported("setting a tensor's state with BUILD (a pre-1.0 pickle)")
    if type(inst) in (OrderedDict, Counter):  # a state dict's _metadata
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise bad_file(f"BUILD state of an {type(inst).__name__} is not a dict of attributes")
        inst.__dict__.update(state)
    elif id(type(inst)) not in u.allowed:
        raise refused(
            "Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
            f"`add_safe_globals`, but got {type(inst)}"
        )
    elif state:
        raise bad_file(f"BUILD state for a {type(inst).__name__}, which has no attributes")


def _append(u: Unpickler) -> None:
    item = u.stack.pop()
    if type(u.stack[-1]) is not list:
        raise refused(f"Can only append to lists, but got {type(u.stack[-1])}")
    u.stack[-1].append(item)


def _appends(u: Unpickler) -> None:
    items = u.pop_mark()
    if type(u.stack[-1]) is not list:
        raise refused(f"Can only extend lists, but got {type(u.stack[-1])}")
    u.stack[-1].extend(items)


def _check_set_item_target(u: Unpickler, opcode: str) -> None:
    if type(u.stack[-1]) not in (dict, OrderedDict, Counter):
        raise refused(
            f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
            f"but got {type(u.stack[-1])}"
        )


def _setitem(u: Unpickler) -> None:
    value, key = u.stack.pop(), u.stack.pop()
    _check_set_item_target(u, "SETITEM")
    _store(u.stack[-1], key, value)


def _setitems(u: Unpickler) -> None:
    items = u.pop_mark()
    _check_set_item_target(u, "SETITEMS")
    if len(items) % 2:
        raise bad_file("SETITEMS with an odd number of items")
    for i in range(0, len(items), 2):
        _store(u.stack[-1], items[i], items[i + 1])


def _store(target: dict, key: Any, value: Any) -> None:
    try:
        target[key] = value
    except TypeError:
        raise bad_file("unhashable dict key") from None


def _mark(u: Unpickler) -> None:
    u.marks.append(u.stack)
    u.stack = []


def _tuple(u: Unpickler) -> None:
    items = tuple(u.pop_mark())
    u.stack.append(items)


def _tuple_n(n: int) -> Callable[[Unpickler], None]:
    def op(u: Unpickler) -> None:
        if len(u.stack) < n:
            raise bad_file("pickle stack underflow")
        items = tuple(u.stack[len(u.stack) - n :])
        del u.stack[len(u.stack) - n :]
        u.stack.append(items)

    return op


def _push(make: Callable[[], Any]) -> Callable[[Unpickler], None]:
    return lambda u: u.stack.append(make())


def _unpack(fmt: str) -> Callable[[Unpickler], None]:
    size = struct.calcsize(fmt)
    return lambda u: u.stack.append(struct.unpack(fmt, u.read(size))[0])


def _binunicode(u: Unpickler) -> None:
    (n,) = struct.unpack("<I", u.read(4))
    u.stack.append(str(u.read(n), "utf-8", "surrogatepass"))


def _short_binstring(u: Unpickler) -> None:
    data = u.read(u.read(1)[0])
    u.stack.append(data if u.encoding == "bytes" else data.decode(u.encoding, "strict"))


def _binpersid(u: Unpickler) -> None:
    pid = u.stack.pop()
    if type(pid) is not tuple and type(pid) is not int:
        raise refused(f"persistent_load id must be tuple or int, but got {type(pid)}")
    if type(pid) is tuple and pid and _ascii(pid[0]) != "storage":
        raise refused(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
    u.stack.append(u.persistent_load(pid))


def _ascii(s: Any) -> Any:
    return s.decode("ascii", "replace") if isinstance(s, bytes) else s


def _get(fmt: str) -> Callable[[Unpickler], None]:
    size = struct.calcsize(fmt)

    def op(u: Unpickler) -> None:
        (i,) = struct.unpack(fmt, u.read(size))
        if i not in u.memo:
            raise bad_file(f"memo key {i} is missing")
        u.stack.append(u.memo[i])

    return op


def _put(fmt: str) -> Callable[[Unpickler], None]:
    size = struct.calcsize(fmt)

    def op(u: Unpickler) -> None:
        (i,) = struct.unpack(fmt, u.read(size))
        u.memo[i] = u.stack[-1]

    return op


def _long1(u: Unpickler) -> None:
    u.stack.append(int.from_bytes(u.read(u.read(1)[0]), "little", signed=True))


def _proto(u: Unpickler) -> None:
    proto = u.read(1)[0]
    if proto != 2:
        warnings.warn(
            f"Detected pickle protocol {proto} in the checkpoint, which was not the default "
            "pickle protocol used by `torch.load` (2). The weights_only Unpickler might not "
            "support all instructions implemented by this protocol, please file an issue for "
            "adding support if you encounter this.",
            stacklevel=4,
        )


def _stop(u: Unpickler) -> bool:
    return True


_OPCODES: dict[int, Callable[[Unpickler], Any]] = {
    ord("c"): _global,
    0x81: _newobj,
    ord("R"): _reduce,
    ord("b"): _build,
    ord("a"): _append,
    ord("e"): _appends,
    ord("s"): _setitem,
    ord("u"): _setitems,
    ord("("): _mark,
    ord("t"): _tuple,
    0x85: _tuple_n(1),
    0x86: _tuple_n(2),
    0x87: _tuple_n(3),
    ord("N"): _push(lambda: None),
    0x89: _push(lambda: False),
    0x88: _push(lambda: True),
    ord(")"): _push(tuple),
    ord("]"): _push(list),
    ord("}"): _push(dict),
    0x8F: _push(set),
    ord("J"): _unpack("<i"),
    ord("K"): _unpack("<B"),
    ord("M"): _unpack("<H"),
    ord("G"): _unpack(">d"),
    ord("X"): _binunicode,
    ord("U"): _short_binstring,
    ord("Q"): _binpersid,
    ord("h"): _get("<B"),
    ord("j"): _get("<I"),
    ord("q"): _put("<B"),
    ord("r"): _put("<I"),
    0x8A: _long1,
    0x80: _proto,
    ord("."): _stop,
}

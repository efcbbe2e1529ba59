"""The walk: where the state a compiled function can reach lives (step 1 of tensorish.compile).

Everything the function can reach (its arguments, closure cells, the globals its code names, the
default RNG generator, recursively through the user's objects, dicts and lists) is listed as
*slots*, ``(container, key, value)``: Tensors, JAX arrays (RNG keys), Python ints and floats
(hyperparameters: learning rates, step counts) and every other value, which is guarded by
identity. ``get`` and ``put`` read and write a slot, whether the container is a dict, a list or
a closure cell.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
import weakref

import jax
import numpy as np

from .._tensor import Tensor

MISSING = object()
_WALK_LIMIT = 20000
_WIDE = 4096
_OPAQUE = (
    type,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    np.ndarray,
    str,
    bytes,
    weakref.ref,
    range,
    threading.local,
)


class Compiled:
    """Base of tensorish.compile's wrappers: the walk goes into the function they wrap, never
    into their caches."""

    __slots__ = ()

    def wrapped(self):
        raise NotImplementedError


def get(c, k):
    if type(c) is types.CellType:
        try:
            return c.cell_contents
        except ValueError:
            return MISSING
    try:
        return c[k]
    except (KeyError, IndexError):
        return MISSING


def put(c, k, v) -> None:
    if type(c) is types.CellType:
        c.cell_contents = v
    else:
        c[k] = v


class Walk:
    """The slots reachable from the roots, found once per structure."""

    def __init__(self) -> None:
        self.slots: list = []  # (container, key, value at walk time)
        self.containers: list = []  # dicts and lists seen whole: guarded by length, restored
        self.tensors: dict = {}  # id -> tensor, every tensor reached
        self._seen: set = set()
        self._budget = _WALK_LIMIT

    def root(self, v) -> None:
        if isinstance(v, Tensor):
            self.tensors[id(v)] = v
        else:
            self._visit(v)

    def _slot(self, c, k, v) -> None:
        self.slots.append((c, k, v))
        if isinstance(v, Tensor):  # Parameters too: then one discovery trace finds all state
            self.tensors[id(v)] = v
        else:
            self._visit(v)

    # C901: one branch per kind of container the walk searches
    def _visit(self, v) -> None:  # noqa: C901
        if id(v) in self._seen or self._budget <= 0:
            return
        self._seen.add(id(v))
        self._budget -= 1
        t = type(v)
        if t is dict or isinstance(v, dict) and t.__module__ == "collections":
            if len(v) <= _WIDE:
                self.containers.append(v)
                for k, x in list(v.items()):
                    if isinstance(k, Tensor):
                        self.tensors[id(k)] = k
                    self._slot(v, k, x)
        elif t is list:
            if len(v) <= _WIDE:
                self.containers.append(v)
                for i, x in enumerate(v):
                    self._slot(v, i, x)
        elif t is tuple:
            for x in v[:_WIDE]:
                self.root(x)
        elif t is types.FunctionType:
            self._function(v)
        elif t is types.MethodType:
            self.root(v.__self__)
            self._visit(v.__func__)
        elif t is types.ModuleType:
            if not _library(v.__name__):  # the user's own module: its globals are state too
                d = vars(v)
                for name, x in list(d.items()):
                    if not name.startswith("__"):
                        self._slot(d, name, x)
        elif isinstance(v, Compiled):  # its function, not its caches
            self._visit(v.wrapped())
        elif isinstance(v, functools.partial):
            self._visit(v.func)
            self.root(v.args)
            self._visit(v.keywords)
        elif isinstance(v, _OPAQUE) or isinstance(v, jax.Array) or t in _SCALARS:
            return
        elif hasattr(v, "__dict__") and not _foreign(t):
            d = v.__dict__
            if type(d) is dict:
                self._visit(d)

    def _function(self, f) -> None:
        for cell in f.__closure__ or ():
            self._slot(cell, None, get(cell, None))
        if f.__defaults__:  # `def step(model=model, opt=opt)` reaches state as well
            self.root(f.__defaults__)
        if f.__kwdefaults__:
            self._visit(f.__kwdefaults__)
        g = f.__globals__
        if _library(g.get("__name__")):
            return
        for name in _names(f.__code__):
            if name in g:
                self._slot(g, name, g[name])


_SCALARS = (bool, int, float, complex, type(None))
_LIBRARIES = frozenset(("tensorish", "jax", "jaxlib", "numpy", "torch", "equinox", "optax"))


@functools.lru_cache(maxsize=1024)
def _foreign(cls: type) -> bool:
    """Whether instances of ``cls`` belong to another library (jax's Mesh, numpy, threading):
    their attributes are not the user's state, so the walk leaves them alone."""
    root = cls.__module__.partition(".")[0]
    return root != "tensorish" and root not in ("types", "argparse") and _library(root)


@functools.lru_cache(maxsize=256)
def _library(module: str | None) -> bool:
    """Whether ``module``'s globals are library internals, not the user's state."""
    root = (module or "").partition(".")[0]
    return root in _LIBRARIES or root in sys.stdlib_module_names


@functools.lru_cache(maxsize=1024)
def _names(code: types.CodeType) -> tuple:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.update(_names(c))
    return tuple(sorted(names))


def tracable(v) -> bool:
    """A Python number that can be a traced hyperparameter (an int must fit in int64; a larger
    one, such as a 64-bit seed, is guarded by identity instead)."""
    return type(v) is float or (type(v) is int and -(2**63) <= v < 2**63)

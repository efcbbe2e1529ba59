"""tensorish.compile: run an imperative step (forward, backward, optimizer) as one ``jax.jit`` call.

How it works (one trace per structure, then one XLA call per step):

1. **Walk.** Everything the function can reach (its arguments, closure cells, the globals its code
   names, the default RNG generator, recursively through the user's objects, dicts and lists)
   is listed as *slots*: Tensors, JAX arrays (RNG keys), Python ints/floats (hyperparameters:
   learning rates, step counts) and every other value, which is guarded by identity.
2. **Trace with watching.** While the function is traced (``jax.make_jaxpr``), ``Tensor._value``
   and ``Tensor._grad`` are temporarily properties, so every pre-existing Tensor the step reads
   or writes is seen (nothing is paid for this outside a trace). State tensors get tracers as
   values, Python numbers become ``TracedScalar`` s (traced arithmetic; a concrete use such as
   ``if momentum != 0`` or ``alpha=lr`` specializes on the value and adds a guard). Values read
   are inputs; values written (in-place writes, new ``.grad`` s, rebound slots, RNG keys) are
   outputs. Afterwards all Python state is restored exactly, and that jaxpr is what is compiled
   (a tensor found only by watching, not by the walk, costs one more trace).
3. **Call.** Each call checks the guards, gathers the state values, runs the compiled function
   (donating the buffers it overwrites) and writes the new values back.

State created on a first call (an optimizer's lazy buffers) makes that call run eagerly; the
next one compiles. A compiled function called inside another is inlined. Tracing patches the
Tensor class, so compile from one thread at a time.
"""

from __future__ import annotations

import functools
import gc
import operator
import sys
import threading
import types
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import jax
import jax.extend.core as jax_core
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding

from . import _dispatch, _random
from ._lazy import Pending, force
from ._tensor import Tensor
from .autograd._grad_mode import is_grad_enabled

_SLOT = Tensor.__dict__["_v"]


class _Slot:
    """The tensor value slot, read with deferred values (see _lazy) computed first."""

    @staticmethod
    def __get__(t):
        v = _SLOT.__get__(t)
        if v.__class__ is Pending:
            v = force(v)
            _SLOT.__set__(t, v)
        return v

    __set__ = staticmethod(_SLOT.__set__)


_V = _Slot()
_G = Tensor.__dict__["_grad"]
_MISSING = object()
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


class CompileError(RuntimeError):
    """The function can't be compiled faithfully; the message names the problem and the fix."""


_FIX = (
    "Fix: keep the computation in tensor ops, move it out of the compiled function, or use "
    "tensorish.compile(fn, fallback='eager') to run such calls eagerly."
)

# -- slots: where Python state lives -------------------------------------------------------


def _get(c, k):
    if type(c) is types.CellType:
        try:
            return c.cell_contents
        except ValueError:
            return _MISSING
    try:
        return c[k]
    except (KeyError, IndexError):
        return _MISSING


def _set(c, k, v) -> None:
    if type(c) is types.CellType:
        c.cell_contents = v
    else:
        c[k] = v


class _Walk:
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

    def _visit(self, v) -> None:
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
        elif isinstance(v, (compiled, CompiledModule)):  # its function, not its caches
            self._visit(v.fn if isinstance(v, compiled) else v._orig_mod)
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
            self._slot(cell, None, _get(cell, None))
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


# -- traced Python numbers -----------------------------------------------------------------


class TracedScalar:
    """A Python int or float hyperparameter during a trace: traced arithmetic, guarded concrete use.

    It passes ``isinstance(x, float)`` (or ``int``), so ops take it where they take a Python
    number, as a traced value; anything that needs its concrete value (``if lr > 0``, ``alpha=``
    of an op, ``float(lr)``) gets it and makes the compiled function specialize on it.
    """

    __slots__ = ("v", "t", "src", "fn")

    def __init__(self, v, t, src: frozenset, fn: Callable | None = None) -> None:
        # fn recomputes the value from the hyperparameter values of a later call, so that a
        # comparison (``if last_epoch == 0``) guards on its outcome, not on the exact value.
        self.v, self.t, self.src, self.fn = v, t, src, fn

    @property
    def __class__(self):
        return type(self.v)

    def concrete(self):
        if _active is not None:
            _active.guards |= self.src
        return self.v

    def traced(self, dtype=None) -> jax.Array:
        if _active is not None:
            _active.traced |= self.src
        return self.t if dtype is None else jnp.asarray(self.t, dtype)

    __jax_array__ = traced

    def __repr__(self) -> str:
        return repr(self.concrete())

    def __bool__(self) -> bool:
        return bool(self.concrete())

    def __float__(self) -> float:
        return float(self.concrete())

    def __int__(self) -> int:
        return int(self.concrete())

    def __index__(self) -> int:
        return operator.index(self.concrete())

    def __hash__(self) -> int:
        return hash(self.concrete())

    def __format__(self, spec: str) -> str:
        return format(self.concrete(), spec)

    def __round__(self, n=None):
        return round(self.concrete(), n)


def _recompute(x) -> Callable | None:
    if type(x) is TracedScalar:
        return x.fn
    return lambda h, x=x: x


def _arith(fn: Callable, reflected: bool = False) -> Callable:
    def op(self, other):
        if type(other) is TracedScalar:
            ov, ot, src = other.v, other.t, self.src | other.src
        elif type(other) in (int, float, bool):
            ov, ot, src = other, other, self.src
        elif isinstance(other, Tensor) or not isinstance(other, (jax.Array, np.ndarray)):
            return NotImplemented
        else:  # a raw array inside an op's function: use the concrete value
            return fn(other, self.concrete()) if reflected else fn(self.concrete(), other)
        f, g = self.fn, _recompute(other)
        rec = (
            None
            if f is None or g is None
            else ((lambda h: fn(g(h), f(h))) if reflected else (lambda h: fn(f(h), g(h))))
        )
        if reflected:
            return TracedScalar(fn(ov, self.v), fn(ot, self.t), src, rec)
        return TracedScalar(fn(self.v, ov), fn(self.t, ot), src, rec)

    return op


def _compare(fn: Callable) -> Callable:
    def op(self, other):
        f, g = self.fn, _recompute(other)
        if _active is None or f is None or g is None:
            other = other.concrete() if type(other) is TracedScalar else other
            return fn(self.concrete(), other)
        # Guard on the outcome: `last_epoch == 0` stays False for every later step.
        result = fn(self.v, other.v if type(other) is TracedScalar else other)
        _active.preds.append((lambda h: fn(f(h), g(h)), result))
        _active.traced |= self.src | (other.src if type(other) is TracedScalar else frozenset())
        return result

    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _f = getattr(operator, _name)
    setattr(TracedScalar, f"__{_name}__", _arith(_f))
    setattr(TracedScalar, f"__r{_name}__", _arith(_f, reflected=True))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(TracedScalar, f"__{_name}__", _compare(getattr(operator, _name)))
TracedScalar.__neg__ = lambda self: TracedScalar(
    -self.v, -self.t, self.src, self.fn and (lambda h, f=self.fn: -f(h))
)
TracedScalar.__pos__ = lambda self: self
TracedScalar.__abs__ = lambda self: TracedScalar(
    abs(self.v), jnp.abs(self.t), self.src, self.fn and (lambda h, f=self.fn: abs(f(h)))
)


# -- watching Tensor state during a trace --------------------------------------------------

_active: _Trace | None = None
# Set by tensorish.distributed while several processes are joined: steps are traced with its
# mesh axis bound (``axis_env``), and ``program(fun, jaxpr, donate_argnums)`` makes the step's
# program (one SPMD program across the processes if the step uses their collectives).
spmd: Any = None


def _watched_value_get(t):
    v = _V.__get__(t)
    if id(t) not in _active.new:
        _active.touch(t, v)
    return v


def _watched_value_set(t, v) -> None:
    tr = _active
    try:
        old = _V.__get__(t)
    except AttributeError:  # a tensor being created
        tr.new[id(t)] = weakref.ref(t)
        _V.__set__(t, v)
        return
    if id(t) not in tr.new:
        tr.touch(t, old)
        tr.written[id(t)] = t
    _V.__set__(t, v)


def _watched_grad_get(t):
    g = _G.__get__(t)
    tr = _active
    i = id(t)
    if i not in tr.new and i not in tr.grad_read and i not in tr.grad_orig:
        tr.grad_read[i] = (t, g)
    return g


def _watched_grad_set(t, g) -> None:
    tr = _active
    if id(t) not in tr.new and id(t) not in tr.grad_orig:
        old = _G.__get__(t)
        tr.grad_orig[id(t)] = (t, old)
    _G.__set__(t, g)


_WATCH = (
    property(_watched_value_get, _watched_value_set),
    property(_watched_grad_get, _watched_grad_set),
)


class _Trace:
    """What one trace of the function touched (by id; the objects are kept alive here)."""

    def __init__(self, installed: dict) -> None:
        self.installed = installed  # id -> (tensor, original value): given traced values
        self.new: dict = {}  # id -> weakref, tensors created during the trace
        self.read: dict = {}  # id -> tensor, pre-existing tensors read or written
        self.orig: dict = {}  # id -> (tensor, value) of touched tensors not installed
        self.written: dict = {}
        self.grad_read: dict = {}  # id -> (tensor, .grad seen first)
        self.grad_orig: dict = {}  # id -> (tensor, .grad before it was rebound)
        self.meta: dict = {}  # id -> (tensor, grad_fn, output_nr, requires_grad)
        self.guards: set = set()  # hyperparameters used concretely
        self.preds: list = []  # (recompute outcome from hyperparameters, outcome seen)
        self.traced: set = set()  # hyperparameters used as traced values
        self.differentiable = False

    def original(self, t):
        """The value ``t`` had before the trace (a tracer if it was given one)."""
        i = id(t)
        return self.installed[i][1] if i in self.installed else self.orig.get(i, (t, None))[1]

    def touch(self, t, v) -> None:
        i = id(t)
        if i in self.read:
            return
        self.read[i] = t
        self.meta[i] = (t, t.grad_fn, t._output_nr, t._requires_grad)
        if i not in self.installed:
            self.orig[i] = (t, v)


def _watch(on: bool) -> None:
    _dispatch.compiling[0] = on
    if on:
        Tensor._v, Tensor._grad = _WATCH
    else:
        Tensor._v, Tensor._grad = _SLOT, _G


# -- the compiled function -----------------------------------------------------------------


def _flatten(tree, leaves: list):
    t = type(tree)
    if t is tuple or t is list:
        return (t, tuple(_flatten(x, leaves) for x in tree))
    if t is dict:
        return (dict, tuple((k, _flatten(v, leaves)) for k, v in tree.items()))
    leaves.append(tree)
    return None


def _unflatten(spec, leaves):
    if spec is None:
        return next(leaves)
    t, items = spec
    if t is dict:
        return {k: _unflatten(s, leaves) for k, s in items}
    return t(_unflatten(s, leaves) for s in items)


def _split(args: tuple, kwargs: dict) -> tuple:
    """The call's structure and its leaves (a fast path for flat positional calls)."""
    if not kwargs:
        for a in args:
            if type(a) in _CONTAINERS:
                break
        else:
            return len(args), list(args)
    leaves: list = []
    return _flatten((args, kwargs), leaves), leaves


def _join(spec, leaves: list) -> tuple:
    if type(spec) is int:
        return tuple(leaves), {}
    return _unflatten(spec, iter(leaves))


_CONTAINERS = frozenset((tuple, list, dict))


def _leaf_key(x):
    t = type(x)
    if t is Tensor:
        v = x._value
        return (v.aval, x._requires_grad)
    if t is int or t is float:
        return t
    if t is bool or t is str or x is None:
        return (t, x)
    return (t, id(x))


def _keep_layout(new, old):
    """``new``, constrained to ``old``'s sharding when that is a mesh layout (DTensor state
    stays where it was placed; XLA inserts the collectives)."""
    s = getattr(old, "sharding", None)
    if isinstance(s, NamedSharding) and not isinstance(old, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(new, s)
    return new


def _positions(flags: list) -> list:
    """Each item's index within its group (donated or kept)."""
    count = [0, 0]
    out = []
    for f in flags:
        out.append(count[f])
        count[f] += 1
    return out


def _sig(g):
    if g is None:
        return None
    v = g._value
    return (v.shape, v.dtype)


def _describe(c, k) -> str:
    if type(c) is types.CellType:
        return "a closure variable"
    return f"[{k!r}] of a {type(c).__name__}"


def _concretization(e: Exception) -> bool:
    return isinstance(
        e,
        (
            jax.errors.ConcretizationTypeError,
            jax.errors.TracerArrayConversionError,
            jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError,
        ),
    )


def _user_frame(tb) -> str:
    where = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        f = code.co_filename
        if "/tensorish/" not in f and "/jax/" not in f and "/jaxlib/" not in f:
            where = f"{f}:{tb.tb_lineno} (in {code.co_name})"
        tb = tb.tb_next
    return where


def _tracable(v) -> bool:
    """A Python number that can be a traced hyperparameter (an int must fit in int64; a larger
    one, such as a 64-bit seed, is guarded by identity instead)."""
    return type(v) is float or (type(v) is int and -(2**63) <= v < 2**63)


class _Unstable(Exception):
    """The trace left new state behind (an optimizer creating its buffers): run eagerly once."""


class compiled:
    """A function compiled by ``tensorish.compile``; ``compile_count`` counts its traces."""

    def __init__(self, fn: Callable, *, fallback: str | None = None) -> None:
        if fallback not in (None, "eager"):
            raise ValueError(f"fallback must be None or 'eager', got {fallback!r}")
        self.fn = fn
        self.fallback = fallback
        self.compile_count = 0
        self._entries: dict = {}
        self._eager: dict = {}
        functools.update_wrapper(self, fn)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _active is not None:  # called from inside another compiled function: inline it
            return self.fn(*args, **kwargs)
        spec, leaves = _split(args, kwargs)
        key = (spec, tuple(map(_leaf_key, leaves)), is_grad_enabled())
        for entry in self._entries.get(key, ()):
            if entry.check(leaves):
                return entry.run(leaves)
        tries = self._eager.get(key, 0)
        if tries > 1:
            return self.fn(*args, **kwargs)
        try:
            entry = _Entry.build(self, args, kwargs, leaves, spec)
        except _Unstable as e:
            # New state on a first call (an optimizer's lazy buffers) is made eagerly; the next
            # call compiles. The same thing twice is an error.
            if tries and self.fallback != "eager":
                raise CompileError(f"{e} {_FIX}") from None
            if tries:
                warnings.warn(f"{e} Running eagerly.", stacklevel=2)
            self._eager[key] = tries + 1
            return self.fn(*args, **kwargs)
        except CompileError as e:
            if self.fallback != "eager":
                raise
            warnings.warn(f"{e} Running eagerly.", stacklevel=2)
            self._eager[key] = 2
            return self.fn(*args, **kwargs)
        self._entries.setdefault(key, []).append(entry)
        return entry.run(leaves)


class _Entry:
    """The compiled function for one structure, with its guards."""

    def __init__(
        self,
        owner: compiled,
        walk: _Walk,
        args,
        kwargs,
        leaves: list,
        spec,
        state: list,
        grads: list,
        traced_h: list | None,
    ) -> None:
        self.owner, self.walk, self.spec = owner, walk, spec
        self.args, self.kwargs = args, kwargs
        self.arg_tensors = [i for i, x in enumerate(leaves) if type(x) is Tensor]
        self.arg_ids = {id(leaves[i]): i for i in self.arg_tensors}
        self.arg_objects = [
            (i, x)
            for i, x in enumerate(leaves)
            if type(x) not in (Tensor, int, float, bool, str) and x is not None
        ]
        slots = walk.slots
        # Hyperparameters: Python ints and floats in slots, then in the arguments.
        self.hyper = [(c, k) for c, k, v in slots if _tracable(v)]
        self.hyper += [(None, i) for i, x in enumerate(leaves) if _tracable(x)]
        hv = self._hyper_values(leaves)
        self.traced_h = list(range(len(hv))) if traced_h is None else traced_h
        self.hyper_types = [type(hv[j]) for j in self.traced_h]
        self.value_guards = [(j, hv[j]) for j in range(len(hv)) if j not in set(self.traced_h)]
        self.arrays = [
            (c, k)
            for c, k, v in slots
            if isinstance(v, jax.Array) and not isinstance(v, jax.core.Tracer)
        ]
        self.id_guards = [
            (c, k, v) for c, k, v in slots if not _tracable(v) and not isinstance(v, jax.Array)
        ]
        self.len_guards = [(c, len(c)) for c in walk.containers]
        self.state = state
        self.donate = [False] * len(state)
        self.grads = grads
        self.grad_guards: list = []
        self.state_guards: list = []
        self.pred_guards: list = []
        self.layout: list | None = None
        self.differentiable = False
        self._fns: dict = {}
        self._hcache: list = [None] * len(self.traced_h)

    @staticmethod
    def build(owner: compiled, args, kwargs, leaves: list, spec) -> _Entry:
        walk = _Walk()
        walk.root(owner.fn)
        walk.root(_random.default_generator)
        for x in leaves:
            walk.root(x)
        arg_ids = {id(x) for x in leaves if type(x) is Tensor}
        state = [t for i, t in walk.tensors.items() if i not in arg_ids]
        grads = [t for t in state if t._grad is not None]
        for _ in range(3):
            probe = _Entry(owner, walk, args, kwargs, leaves, spec, state, grads, None)
            tr = probe.discover(leaves)
            known = {id(t) for t in state} | {id(p._grad) for p in grads} | arg_ids
            extra = [t for i, t in tr.read.items() if i not in known]
            if not extra:
                break
            state = state + extra
            grads = grads + [t for t in extra if t._grad is not None]
        else:
            raise CompileError(
                "tensorish.compile: the tensors the function uses keep changing "
                "from one trace to the next. " + _FIX
            )
        grad_vals = {id(p._grad) for p in grads}
        entry = _Entry(
            owner,
            walk,
            args,
            kwargs,
            leaves,
            spec,
            [t for t in state if id(t) in tr.read and id(t) not in grad_vals],
            [p for p in grads if id(p._grad) in tr.read],
            sorted(tr.traced),
        )
        entry.donate = [id(t) in tr.written for t in entry.state]
        entry.grad_guards = [(t, _sig(g)) for t, g in tr.grad_read.values()]
        entry.state_guards = [(t, t._value.aval, t._requires_grad) for t in entry.state]
        hv = entry._hyper_values(leaves)
        entry.value_guards += [(j, hv[j]) for j in sorted(tr.guards & tr.traced)]
        entry.pred_guards = list(tr.preds)
        entry.differentiable = tr.differentiable
        entry.adopt(probe)
        # A hyperparameter the function overwrites without using (a scheduler's last lr) needs
        # no guard on its old value.
        written = {
            (id(item[1]), item[2])
            for item in entry.layout
            if type(item) is tuple and item and item[0] == "hyper"
        }
        entry.value_guards = [
            (j, v)
            for j, v in entry.value_guards
            if j in tr.guards or (id(entry.hyper[j][0]), entry.hyper[j][1]) not in written
        ]
        owner.compile_count += 1
        return entry

    def _hyper_values(self, leaves: list) -> list:
        return [leaves[k] if c is None else _get(c, k) for c, k in self.hyper]

    # -- per call -----------------------------------------------------------------------
    def check(self, leaves: list) -> bool:
        """Whether this compiled function is valid for the current state."""
        for i, x in self.arg_objects:
            if leaves[i] is not x:
                return False
        for c, k, v in self.id_guards:
            if (c.get(k, _MISSING) if type(c) is dict else _get(c, k)) is not v:
                return False
        for c, n in self.len_guards:
            if len(c) != n:
                return False
        for p, sig in self.grad_guards:
            if _sig(p._grad) != sig:
                return False
        for t, aval, req in self.state_guards:
            if t._requires_grad is not req or t._value.aval != aval:
                return False
        hyper = self.hyper
        for j, v in self.value_guards:
            c, k = hyper[j]
            now = leaves[k] if c is None else _get(c, k)
            if type(now) is not type(v) or now != v:
                return False
        if self.pred_guards:
            h = self._hyper_values(leaves)
            for pred, seen in self.pred_guards:
                try:
                    if pred(h) != seen:
                        return False
                except Exception:
                    return False
        for j, t in zip(self.traced_h, self.hyper_types):
            c, k = hyper[j]
            if type(leaves[k] if c is None else _get(c, k)) is not t:
                return False
        return True

    def inputs(self, leaves: list) -> tuple:
        hv = []
        hyper, cache = self.hyper, self._hcache
        for n, j in enumerate(self.traced_h):
            c, k = hyper[j]
            v = leaves[k] if c is None else _get(c, k)
            hit = cache[n]
            if hit is None or hit[0] != v:
                hit = cache[n] = (
                    v,
                    jax.device_put(np.asarray(v, np.float64 if type(v) is float else np.int64)),
                )
            hv.append(hit[1])
        state = [t._value for t in self.state]
        don = [v for v, d in zip(state, self.donate) if d]
        keep = [v for v, d in zip(state, self.donate) if not d]
        grads = [p._grad._value for p in self.grads]
        arrays = [_get(c, k) for c, k in self.arrays]
        argv = [leaves[i]._value for i in self.arg_tensors]
        return don, keep, grads, hv, arrays, argv

    def run(self, leaves: list):
        don, keep, grads, hv, arrays, argv = self.inputs(leaves)
        if self.differentiable:
            out = self._apply_op(leaves, don, keep, grads, hv, arrays, argv)
        else:
            # Donate the overwritten buffers unless something else still holds one.
            donate = bool(don) and all(sys.getrefcount(v) <= 4 for v in don)
            fn = self._fns.get(donate)
            if fn is None:
                argnums = (0,) if donate else ()
                fn = self._fns[donate] = (
                    jax.jit(self.fun, donate_argnums=argnums)
                    if spmd is None
                    else spmd.program(self.fun, self._jaxpr, argnums)
                )
            out = fn(don, keep, grads, hv, arrays, argv)
        del don
        return self.write_back(out, leaves)

    def _apply_op(self, leaves, don, keep, grads, hv, arrays, argv):
        from ._dispatch import Op, apply

        op = self._fns.get("op")
        if op is None:
            sizes = tuple(map(len, (don, keep, grads, hv, arrays, argv)))

            def flat(*xs):
                it = iter(xs)
                outs = self.fun(*[[next(it) for _ in range(n)] for n in sizes])
                return outs[0] if len(outs) == 1 else tuple(outs)

            # Buffers the call overwrites are not saved for backward (as in eager).
            op = self._fns["op"] = Op(
                "CompiledFunctionBackward",
                flat,
                saves=range(len(don), sum(sizes)),
                n_out=self.n_out,
            )
        tensors = [t for t, d in zip(self.state, self.donate) if d]
        tensors += [t for t, d in zip(self.state, self.donate) if not d]
        tensors += [p._grad for p in self.grads] + hv + arrays
        tensors += [leaves[i] for i in self.arg_tensors]
        out = apply(op, tuple(tensors))
        return out if isinstance(out, tuple) else (out,)

    def _leaves_now(self) -> list:
        return _split(self.args, self.kwargs)[1]

    # -- tracing ------------------------------------------------------------------------
    def discover(self, leaves: list) -> _Trace:
        """Trace with every candidate lifted, to see what the function touches."""
        box: list = []
        inputs = self.inputs(leaves)
        axis_env = None if spmd is None else spmd.axis_env
        self._jaxpr = jax.make_jaxpr(functools.partial(self.traced, box=box), axis_env=axis_env)(
            *inputs
        )
        self._avals = [[(np.shape(v), v.dtype) for v in group] for group in inputs]
        return box[0]

    def adopt(self, probe: _Entry) -> None:
        """Compile ``probe``'s trace instead of tracing again: its inputs that this entry
        does not lift were never used, so placeholders stand in for them."""
        state = {
            id(t): (0 if d else 1, n)
            for t, d, n in zip(self.state, self.donate, _positions(self.donate))
        }
        grads = {id(p): (2, i) for i, p in enumerate(self.grads)}
        hyper = {j: (3, i) for i, j in enumerate(self.traced_h)}
        where = [state.get(id(t)) for t in probe.state]
        where += [grads.get(id(p)) for p in probe.grads]
        where += [hyper.get(j) for j in probe.traced_h]
        where += [(4, i) for i in range(len(self.arrays))]
        where += [(5, i) for i in range(len(self.arg_tensors))]
        avals = [a for group in probe._avals for a in group]
        fun = jax_core.jaxpr_as_fun(probe._jaxpr)

        def compiled_fn(*groups):
            return fun(
                *[jnp.zeros(*a) if w is None else groups[w[0]][w[1]] for w, a in zip(where, avals)]
            )

        self.fun = compiled_fn
        self._jaxpr = probe._jaxpr
        self.layout = probe.layout
        self.n_out = len(probe._jaxpr.out_avals)

    def traced(self, don, keep, grads, hv, arrays, argv, box: list):
        """The pure function: state, hyperparameters and arguments in; new state and result out
        (what the function touched is put in ``box``)."""
        global _active
        leaves = self._leaves_now()
        w = self.walk
        before = [_get(c, k) for c, k, _ in w.slots]
        snaps = [(c, list(c) if type(c) is list else dict(c)) for c in w.containers]
        grad_before = {id(t): (t, _G.__get__(t)) for t in w.tensors.values()}
        installed: dict = {}
        di, ki = iter(don), iter(keep)
        for t, d in zip(self.state, self.donate):
            installed[id(t)] = (t, _V.__get__(t))
            _V.__set__(t, next(di) if d else next(ki))
        for p, v in zip(self.grads, grads):
            g = _G.__get__(p)
            installed[id(g)] = (g, _V.__get__(g))
            _V.__set__(g, v)
        for i, v in zip(self.arg_tensors, argv):
            t = leaves[i]
            installed.setdefault(id(t), (t, _V.__get__(t)))
            _V.__set__(t, v)
        for j, v in zip(self.traced_h, hv):
            c, k = self.hyper[j]
            if c is None:
                leaves[k] = TracedScalar(leaves[k], v, frozenset((j,)), lambda h, j=j: h[j])
            else:
                _set(c, k, TracedScalar(_get(c, k), v, frozenset((j,)), lambda h, j=j: h[j]))
        for (c, k), v in zip(self.arrays, arrays):
            _set(c, k, v)
        after_install = [_get(c, k) for c, k, _ in w.slots]
        args, kwargs = _join(self.spec, leaves)
        tr = _Trace(installed)
        _active = tr
        _watch(True)
        try:
            try:
                result = self.owner.fn(*args, **kwargs)
            finally:
                _watch(False)
            out, layout, placed = self._outputs(tr, result, after_install, snaps)
            del result
            self._check_escapes(tr, placed)
        except Exception as e:
            if _concretization(e):
                where = _user_frame(e.__traceback__)
                raise CompileError(
                    "tensorish.compile: the function needs the concrete value of a tensor "
                    f"computed inside it{' at ' + where if where else ''} (.item(), .numpy(), "
                    ".tolist(), float(t), or Python control flow such as `if loss > 1:`); "
                    "inside a compiled function tensors hold traced values. " + _FIX
                ) from e
            raise
        finally:
            _active = None
            self._restore(tr, before, snaps, grad_before)
        box.append(tr)
        self.layout = layout
        return out

    def _outputs(self, tr: _Trace, result, after_install: list, snaps: list):
        """The output arrays and, beside them, how each is written back."""
        out: list = []
        layout: list = []
        placed: set = set()

        def emit(value, how) -> None:
            out.append(value)
            layout.append(how)

        for i, t in tr.written.items():
            emit(
                _keep_layout(_V.__get__(t), tr.original(t)),
                ("arg_value", self.arg_ids[i]) if i in self.arg_ids else ("value", t),
            )
        for t, orig in tr.grad_orig.values():
            g = _G.__get__(t)
            if g is orig:
                continue
            if g is None:
                layout.append(("grad_none", t))
            elif id(g) in tr.new:
                placed.add(id(g))
                emit(_keep_layout(_V.__get__(g), tr.original(t)), ("grad_new", t))
            else:
                layout.append(("grad_ref", t, g))
        for (c, k, _), was in zip(self.walk.slots, after_install):
            now = _get(c, k)
            if now is was:
                continue
            if type(now) is TracedScalar:
                emit(now.traced(), ("hyper", c, k, type(now.v)))
            elif type(now) in (int, float, bool, str) or now is None:
                layout.append(("const", c, k, now))
            elif type(now) is Tensor and id(now) in tr.new:
                placed.add(id(now))
                if now.grad_fn is not None:
                    raise CompileError(
                        "tensorish.compile: the function stores a tensor with autograd history "
                        f"in {_describe(c, k)}; it would keep traced values after the call. "
                        "Store .detach() of it. " + _FIX
                    )
                emit(_V.__get__(now), ("tensor_new", c, k, now._requires_grad))
            elif isinstance(now, jax.Array):
                emit(now, ("array", c, k))
            else:
                raise _Unstable(
                    f"tensorish.compile: the function stored a new object in {_describe(c, k)}."
                )
        for c, snap in snaps:
            if len(c) != len(snap):
                raise _Unstable(
                    "tensorish.compile: the function added or removed entries of "
                    "a dict or list it reads (an optimizer creating its state?)."
                )
        rleaves: list = []
        rspec = _flatten(result, rleaves)
        rlay = []
        for x in rleaves:
            if type(x) is Tensor and id(x) in tr.new:
                placed.add(id(x))
                out.append(_V.__get__(x))
                rlay.append(("new",))
                tr.differentiable |= x.grad_fn is not None
            elif type(x) is Tensor and id(x) in self.arg_ids:
                rlay.append(("arg", self.arg_ids[id(x)]))
            elif type(x) is TracedScalar:
                out.append(x.traced())
                rlay.append(("scalar", type(x.v)))
            else:
                rlay.append(("const", x))
        layout.append(("return", rspec, tuple(rlay)))
        tr.differentiable &= not tr.grad_orig and is_grad_enabled()
        for i, (t, _) in {**tr.installed, **tr.orig}.items():
            if i in tr.written and t.grad_fn is not None:
                raise CompileError(
                    "tensorish.compile: an in-place operation recorded autograd history on a "
                    f"tensor that outlives the call ({t._type_name()} {list(t.shape)}); it "
                    "would keep traced values. Do the update under tensorish.no_grad(). " + _FIX
                )
        return out, layout, placed

    @staticmethod
    def _check_escapes(tr: _Trace, placed: set) -> None:
        def escaped() -> list:
            return [
                t
                for i, r in tr.new.items()
                if i not in placed
                for t in (r(),)
                if t is not None and isinstance(_V.__get__(t), jax.core.Tracer)
            ]

        if escaped() and (gc.collect() or True) and escaped():
            raise _Unstable(
                "tensorish.compile: a tensor created inside the function is still referenced "
                "after it returns (kept in a list, a global or an object the function doesn't "
                "read before writing); it would keep a traced value. Return it instead."
            )

    def _restore(self, tr: _Trace, before: list, snaps: list, grad_before: dict) -> None:
        for c, snap in snaps:
            if type(c) is list:
                if len(c) != len(snap) or any(a is not b for a, b in zip(c, snap)):
                    c[:] = snap
            elif len(c) != len(snap) or any(c.get(k, _MISSING) is not v for k, v in snap.items()):
                c.clear()
                c.update(snap)
        for (c, k, _), v in zip(self.walk.slots, before):
            if v is not _MISSING and _get(c, k) is not v:
                _set(c, k, v)
        for t, v in list(tr.installed.values()) + list(tr.orig.values()):
            _V.__set__(t, v)
        for t, g in tr.grad_orig.values():
            _G.__set__(t, g)
        for t, fn, nr, req in tr.meta.values():
            t.grad_fn, t._output_nr, t._requires_grad = fn, nr, req
        for t, g in grad_before.values():
            _G.__set__(t, g)

    # -- after a call -------------------------------------------------------------------
    def write_back(self, out, leaves: list):
        it = iter(out)
        op = self.differentiable
        result = None
        for how in self.layout:
            kind = how[0]
            if kind == "return":
                result = self._result(how, it, leaves)
                continue
            v = next(it) if kind in _EMITS else None
            if op and v is not None:
                v = v._value
            if kind == "value":
                how[1]._set_value(v)
            elif kind == "arg_value":
                leaves[how[1]]._set_value(v)
            elif kind == "grad_new":
                how[1]._grad = Tensor._wrap(v)
            elif kind == "grad_none":
                how[1]._grad = None
            elif kind == "grad_ref":
                how[1]._grad = how[2]
            elif kind == "hyper":
                _set(how[1], how[2], how[3](v.item()))
            elif kind == "const":
                _set(how[1], how[2], how[3])
            elif kind == "tensor_new":
                t = Tensor._wrap(v)
                t._requires_grad = how[3]
                self._rebind(how[1], how[2], t)
            else:
                _set(how[1], how[2], v)
        return result

    def _rebind(self, c, k, t) -> None:
        """Put the new tensor ``t`` in slot ``c[k]``; the next call reads state from it."""
        old = _get(c, k)
        _set(c, k, t)
        self.id_guards = [(c2, k2, t if c2 is c and k2 == k else v) for c2, k2, v in self.id_guards]
        self.state = [t if s is old else s for s in self.state]
        self.state_guards = [(t if s is old else s, a, r) for s, a, r in self.state_guards]
        self.grads = [t if s is old else s for s in self.grads]
        self.layout = [
            tuple(t if x is old else x for x in how) if how[0] != "return" else how
            for how in self.layout
        ]

    def _result(self, how, it, leaves: list):
        _, spec, rlay = how
        vals = []
        for r in rlay:
            if r[0] == "new":
                v = next(it)
                vals.append(v if type(v) is Tensor else Tensor._wrap(v))
            elif r[0] == "scalar":
                v = next(it)
                vals.append(r[1]((v._value if type(v) is Tensor else v).item()))
            elif r[0] == "arg":
                vals.append(leaves[r[1]])
            else:
                vals.append(r[1])
        return _unflatten(spec, iter(vals))


_EMITS = frozenset(("value", "arg_value", "grad_new", "hyper", "tensor_new", "array"))


def compile(fn: Callable | None = None, *, fallback: str | None = None, **options: Any):
    """Compile ``fn`` (a whole training step, or a module) into one ``jax.jit`` call per step.

    The state the function reads and writes (parameter values, ``.grad``, optimizer state,
    buffers, the RNG key, Python hyperparameters) is found and lifted into inputs and outputs
    of the compiled function, and written back after each call.

    >>> import tensorish
    >>> w = tensorish.ones(3, requires_grad=True)
    >>> @tensorish.compile
    ... def step(x):
    ...     w.grad = None
    ...     loss = (w * x).sum()
    ...     loss.backward()
    ...     with tensorish.no_grad():
    ...         w.sub_(0.1 * w.grad)
    ...     return loss
    >>> step(tensorish.ones(3))
    tensor(3.)
    >>> w
    tensor([0.9000, 0.9000, 0.9000], requires_grad=True)
    """
    if fn is None:
        return functools.partial(compile, fallback=fallback, **options)
    if isinstance(fn, compiled):
        return fn
    if not callable(fn):
        raise RuntimeError("compile() expects a callable")
    if not isinstance(fn, (types.FunctionType, types.MethodType, functools.partial)):
        return CompiledModule(fn, fallback=fallback)
    return compiled(fn, fallback=fallback)


class CompiledModule:
    """``tensorish.compile(module)``: calls run compiled; everything else is the module's."""

    def __init__(self, module: Any, *, fallback: str | None = None) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_call", compiled(module.__call__, fallback=fallback))

    @property
    def compile_count(self) -> int:
        return self._call.compile_count

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._orig_mod, name, value)

    def __repr__(self) -> str:
        return f"OptimizedModule(\n  (_orig_mod): {self._orig_mod!r}\n)"

"""``tensorish.compile`` and the compiled function of one call structure (``_Entry``).

``compiled.__call__`` looks for an entry of the call's structure whose guards pass; if there is
none it builds one: walk, trace once with every candidate lifted (``discover``), compile that
trace, keeping as inputs only what the trace touched (``adopt``). Each call then gathers the
inputs, runs the jitted function and writes the outputs back (``run``).
"""

from __future__ import annotations

import functools
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.extend.core as jax_core
import jax.numpy as jnp
import numpy as np

from .. import _random
from .._dispatch import Op, apply
from .._mode import mode
from .._tensor import Tensor
from .._traced import TracedScalar
from ..autograd._grad_mode import is_grad_enabled
from . import _layout
from ._errors import FIX, CompileError, Unstable, concretization, user_frame
from ._guards import (
    ArgumentsAre,
    Grads,
    Guards,
    HyperTypes,
    HyperValues,
    Lengths,
    Outcomes,
    SlotsHold,
    States,
    hyper_value,
)
from ._trace import Snapshot, Trace, check_escapes, value_of, watching
from ._walk import Compiled, Walk, get, put, tracable

_CONTAINERS = frozenset((tuple, list, dict))


def _split(args: tuple, kwargs: dict) -> tuple:
    """The call's structure and its leaves (a fast path for flat positional calls)."""
    if not kwargs:
        for a in args:
            if type(a) in _CONTAINERS:
                break
        else:
            return len(args), list(args)
    leaves: list = []
    return _layout.flatten((args, kwargs), leaves), leaves


def _join(spec, leaves: list) -> tuple:
    if type(spec) is int:
        return tuple(leaves), {}
    return _layout.unflatten(spec, iter(leaves))


def _leaf_key(x):
    t = type(x)
    if t is Tensor:
        return (value_of(x).aval, x._requires_grad)
    if t is int or t is float:
        return t
    if t is bool or t is str or x is None:
        return (t, x)
    return (t, id(x))


def _positions(flags: list) -> list:
    """Each item's index within its group (donated or kept)."""
    count = [0, 0]
    out = []
    for f in flags:
        out.append(count[f])
        count[f] += 1
    return out


class compiled(Compiled):
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

    def wrapped(self):
        return self.fn

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if mode.trace is not None:  # called from inside another compiled function: inline it
            return self.fn(*args, **kwargs)
        spec, leaves = _split(args, kwargs)
        cast = mode.autocast  # a program traced under autocast casts: one per autocast state
        key = (spec, tuple(map(_leaf_key, leaves)), is_grad_enabled(), cast and cast.key())
        for entry in self._entries.get(key, ()):
            if entry.guards.check(leaves):
                return entry.run(leaves)
        tries = self._eager.get(key, 0)
        if tries > 1:
            return self.fn(*args, **kwargs)
        try:
            entry = _Entry.build(self, args, kwargs, leaves, spec)
        except Unstable as e:
            # New state on a first call (an optimizer's lazy buffers) is made eagerly; the next
            # call compiles. The same thing twice is an error.
            if tries and self.fallback != "eager":
                raise CompileError(f"{e} {FIX}") from None
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
    """The compiled function for one structure: what it lifts into inputs (state tensors, their
    ``.grad`` s, traced hyperparameters, arrays, tensor arguments), its guards, its layout."""

    def __init__(
        self,
        owner: compiled,
        walk: Walk,
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
        slots = walk.slots
        # Hyperparameters: Python ints and floats in slots, then in the arguments.
        self.hyper = [(c, k) for c, k, v in slots if tracable(v)]
        self.hyper += [(None, i) for i, x in enumerate(leaves) if tracable(x)]
        self.traced_h = list(range(len(self.hyper))) if traced_h is None else traced_h
        self.arrays = [
            (c, k)
            for c, k, v in slots
            if isinstance(v, jax.Array) and not isinstance(v, jax.core.Tracer)
        ]
        self.state = state
        self.donate = [False] * len(state)
        self.grads = grads
        self.guards: Guards | None = None
        self.layout: list | None = None
        self.differentiable = False
        self._fns: dict = {}
        self._hcache: list = [None] * len(self.traced_h)

    @staticmethod
    def build(owner: compiled, args, kwargs, leaves: list, spec) -> _Entry:
        walk = Walk()
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
                "from one trace to the next. " + FIX
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
        entry.differentiable = tr.differentiable
        entry.adopt(probe)
        entry.guards = entry._guards(leaves, tr)
        owner.compile_count += 1
        return entry

    def _guards(self, leaves: list, tr: Trace) -> Guards:
        hv = [hyper_value(leaves, c, k) for c, k in self.hyper]
        traced = set(self.traced_h)
        values = [(j, hv[j]) for j in range(len(hv)) if j not in traced]
        values += [(j, hv[j]) for j in sorted(tr.guards & tr.traced)]
        # A hyperparameter the function overwrites without using (a scheduler's last lr) needs
        # no guard on its old value.
        written = {(id(i.c), i.k) for i in self.layout if isinstance(i, _layout.Hyper)}
        values = [
            (j, v)
            for j, v in values
            if j in tr.guards or (id(self.hyper[j][0]), self.hyper[j][1]) not in written
        ]
        slots = self.walk.slots
        return Guards(
            self.hyper,
            ArgumentsAre(
                [
                    (i, x)
                    for i, x in enumerate(leaves)
                    if type(x) not in (Tensor, int, float, bool, str) and x is not None
                ]
            ),
            SlotsHold(
                [(c, k, v) for c, k, v in slots if not tracable(v) and not isinstance(v, jax.Array)]
            ),
            Lengths(self.walk.containers),
            Grads(list(tr.grad_read.values())),
            States(self.state),
            HyperValues(values),
            Outcomes(list(tr.preds)),
            HyperTypes([(j, type(hv[j])) for j in self.traced_h]),
        )

    # -- per call -----------------------------------------------------------------------
    def inputs(self, leaves: list) -> tuple:
        hv = []
        hyper, cache = self.hyper, self._hcache
        for n, j in enumerate(self.traced_h):
            v = hyper_value(leaves, *hyper[j])
            hit = cache[n]
            if hit is None or hit[0] != v:
                hit = cache[n] = (
                    v,
                    jax.device_put(np.asarray(v, np.float64 if type(v) is float else np.int64)),
                )
            hv.append(hit[1])
        state = [value_of(t) for t in self.state]
        don = [v for v, d in zip(state, self.donate) if d]
        keep = [v for v, d in zip(state, self.donate) if not d]
        grads = [value_of(p._grad) for p in self.grads]
        arrays = [get(c, k) for c, k in self.arrays]
        argv = [value_of(leaves[i]) for i in self.arg_tensors]
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
                spmd = mode.spmd
                fn = self._fns[donate] = (
                    jax.jit(self.fun, donate_argnums=argnums)
                    if spmd is None
                    else spmd.program(self.fun, self._jaxpr, argnums)
                )
            out = fn(don, keep, grads, hv, arrays, argv)
        del don
        return self.write_back(out, leaves)

    def _apply_op(self, leaves, don, keep, grads, hv, arrays, argv):
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

    def write_back(self, out, leaves: list):
        """Put the call's outputs (Tensors, when it ran as a differentiable op) where they go."""
        it = iter(out)
        tensors = self.differentiable
        result = error = None
        for item in self.layout:
            if type(item) is _layout.Return:
                result = item.result(it, leaves)
                continue
            v = None
            if item.emits:
                v = next(it)
                if tensors:
                    v = v._value
            if type(item) is _layout.Checks:
                error = item.error(v)
            elif error is None or type(item) is _layout.Value:
                item.write(v, leaves, self)  # after a failed check: the old values, undonated
        if error is not None:
            raise error
        return result

    def rebind(self, c, k, t: Tensor) -> None:
        """Put the new tensor ``t`` in slot ``c[k]``; the next call reads state from it."""
        old = get(c, k)
        put(c, k, t)
        self.guards.rebind(c, k, old, t)
        self.state = [t if s is old else s for s in self.state]
        self.grads = [t if s is old else s for s in self.grads]
        for item in self.layout:
            if isinstance(item, _layout.Item):
                item.rebind(old, t)

    # -- tracing ------------------------------------------------------------------------
    def discover(self, leaves: list) -> Trace:
        """Trace with every candidate lifted, to see what the function touches."""
        box: list = []
        inputs = self.inputs(leaves)
        axis_env = None if mode.spmd is None else mode.spmd.axis_env
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
        leaves = _split(self.args, self.kwargs)[1]
        snapshot = Snapshot(self.walk)
        installed = self._install(leaves, don, keep, grads, hv, arrays, argv)
        after_install = [get(c, k) for c, k, _ in self.walk.slots]
        args, kwargs = _join(self.spec, leaves)
        tr = Trace(installed)
        try:
            try:
                with watching(tr):
                    result = self.owner.fn(*args, **kwargs)
                out, layout, placed = _layout.build(
                    tr, result, snapshot, after_install, self.arg_ids
                )
                del result
                check_escapes(tr, placed)
            except Exception as e:
                if concretization(e):
                    where = user_frame(e.__traceback__)
                    raise CompileError(
                        "tensorish.compile: the function needs the concrete value of a tensor "
                        f"computed inside it{' at ' + where if where else ''} (.item(), "
                        ".numpy(), .tolist(), float(t), or Python control flow such as "
                        "`if loss > 1:`); inside a compiled function tensors hold traced "
                        "values. " + FIX
                    ) from e
                raise
        finally:
            snapshot.restore(tr)
        box.append(tr)
        self.layout = layout
        return out

    def _install(self, leaves: list, don, keep, grads, hv, arrays, argv) -> dict:
        """Give the lifted state its traced values; returns id -> (tensor, value it had)."""
        installed: dict = {}
        di, ki = iter(don), iter(keep)
        for t, d in zip(self.state, self.donate):
            installed[id(t)] = (t, value_of(t))
            t._v = next(di) if d else next(ki)
        for p, v in zip(self.grads, grads):
            g = p._grad
            installed[id(g)] = (g, value_of(g))
            g._v = v
        for i, v in zip(self.arg_tensors, argv):
            t = leaves[i]
            installed.setdefault(id(t), (t, value_of(t)))
            t._v = v
        for j, v in zip(self.traced_h, hv):
            c, k = self.hyper[j]
            scalar = TracedScalar(hyper_value(leaves, c, k), v, frozenset((j,)), _hyper_at(j))
            if c is None:
                leaves[k] = scalar
            else:
                put(c, k, scalar)
        for (c, k), v in zip(self.arrays, arrays):
            put(c, k, v)
        return installed


def _hyper_at(j: int) -> Callable:
    """The function that picks hyperparameter ``j`` from a call's hyperparameter values."""
    return lambda h: h[j]


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


class CompiledModule(Compiled):
    """``tensorish.compile(module)``: calls run compiled; everything else is the module's."""

    def __init__(self, module: Any, *, fallback: str | None = None) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_call", compiled(module.__call__, fallback=fallback))

    def wrapped(self):
        return self._orig_mod

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

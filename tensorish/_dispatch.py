"""Op declarations and dispatch: unwrap, run the cached jitted forward, record the graph node.

An ``Op`` is a pure function of jax arrays plus static (hashable) keyword parameters. Its forward
and its backward (``jax.vjp`` of the same function) are ``jax.jit`` functions cached per
(static parameters, input casts), so no call traces eagerly once warm.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from . import _lazy
from .autograd._engine import _anomaly, compiling, node_class
from .autograd._grad_mode import _state as _grad_state

ALL_INPUTS = frozenset(range(64))
inline = [0]  # how many tensorish.func transforms are running (ops then run un-jitted)


class Op:
    """One differentiable operation, declared once.

    Args:
        grad_name: the ``grad_fn`` class name PyTorch gives the op's output (``MulBackward0``).
        fn: a pure function ``fn(*arrays, **static) -> array | tuple[array, ...]``.
        saves: the input positions whose values PyTorch saves for backward (in-place changes to
            them make backward fail, and a second backward needs ``retain_graph``).
        differentiable: False for ops whose outputs never require grad (comparisons, argmax).
        n_out: how many arrays ``fn`` returns.
        on_error: ``on_error(args, static)`` raises PyTorch's error for inputs the jitted
            function rejected (checked only after a failure, so valid calls pay nothing).

    >>> import jax.numpy as jnp
    >>> mul = Op("MulBackward0", jnp.multiply)
    """

    fusable = True  # False for ops whose forward/backward are not ``bind(key)`` (device moves)
    __slots__ = (
        "name",
        "fn",
        "node_cls",
        "saves",
        "differentiable",
        "n_out",
        "on_error",
        "lazy",
        "_fwd",
        "_bwd",
        "_vjp",
        "_shapes",
    )

    def __init__(
        self,
        grad_name: str,
        fn: Callable,
        *,
        saves=ALL_INPUTS,
        differentiable: bool = True,
        n_out: int = 1,
        on_error: Callable | None = None,
    ) -> None:
        self.name = grad_name
        self.fn = fn
        self.node_cls = node_class(grad_name)
        self.saves = frozenset(saves)
        self.differentiable = differentiable
        self.n_out = n_out
        self.on_error = on_error
        self.lazy = n_out == 1 and self.fusable  # recorded calls may defer (see _lazy)
        self._fwd: dict = {}
        self._bwd: dict = {}
        self._vjp: dict = {}
        self._shapes: dict = {}  # (key, *input avals) -> output ShapedArray (see _lazy.record)

    def __repr__(self) -> str:
        return f"Op({self.name})"

    def bind(self, key: tuple) -> Callable:
        """``fn`` with its static parameters and input casts applied (traceable, not jitted)."""
        static, cast = key
        fn, kw = self.fn, dict(static)
        if cast is None:
            return (lambda *xs: fn(*xs, **kw)) if kw else fn

        def f(*xs):
            xs = [x if c is None or x.dtype == c else x.astype(c) for x, c in zip(xs, cast)]
            return fn(*xs, **kw)

        return f

    def forward_fn(self, key: tuple) -> Callable:
        f = self._fwd.get(key)
        if f is None:
            f = self._fwd[key] = jax.jit(self.bind(key), inline=True)
        return f

    def backward_fn(self, key: tuple, mask: tuple) -> Callable:
        """``jit(lambda values, cts: vjp(f, values)[1](cts))`` for the inputs in ``mask``."""
        b = self._bwd.get((key, mask))
        if b is None:
            f = self.bind(key)

            def bwd(values, cts):
                out, pull = vjp_at(f, values, mask)
                return pull(_fill_cotangents(cts, out))

            b = self._bwd[(key, mask)] = jax.jit(bwd, inline=True)
        return b

    def vjp_op(self, key: tuple, mask: tuple) -> Op:
        """The Op ``(*primals, *cotangents) -> grads of the inputs in mask``: running it records
        the backward as a graph of its own (``create_graph``), whose backward is, again, JAX's
        vjp. Named ``<grad_name>Backward``; one per (static parameters, mask), cached."""
        v = self._vjp.get((key, mask))
        if v is None:
            f, n_in, n_out = self.bind(key), len(mask), self.n_out

            def vjp_fn(*xs):
                primals, cts = xs[:n_in], xs[n_in:]
                out, pull = vjp_at(f, primals, mask)
                if n_out > 1:
                    cts = tuple(
                        c
                        if jnp.issubdtype(o.dtype, jnp.inexact)
                        else np.zeros(o.shape, jax.dtypes.float0)
                        for c, o in zip(cts, out)
                    )
                grads = pull(cts[0] if n_out == 1 else cts)
                return grads[0] if len(grads) == 1 else tuple(grads)

            v = self._vjp[(key, mask)] = Op(f"{self.name}Backward", vjp_fn, n_out=sum(mask))
        return v


def _fill_cotangents(cts, out):
    if not isinstance(out, tuple):
        return cts
    return tuple(
        c
        if c is not None
        else jnp.zeros_like(o)
        if jnp.issubdtype(o.dtype, jnp.inexact)
        else np.zeros(o.shape, jax.dtypes.float0)
        for c, o in zip(cts, out)
    )


Tensor: type = None  # bound by _tensor.py once the class exists (the modules import each other)


def _concrete(static: tuple) -> tuple:
    """Static parameters with compile's traced hyperparameters made concrete: a cached jitted
    function must never close over a tracer (the compiled step specializes on the value)."""

    def c(v):
        if type(v) is tuple:
            return tuple(map(c, v))
        return v.concrete() if hasattr(v, "concrete") else v

    return tuple((k, c(v)) for k, v in static)


_PLAIN = ((), None)  # the key of an op with no static parameters and no casts


def vjp_at(f: Callable, values, mask) -> tuple:
    """``jax.vjp`` of ``f`` at ``values``, with respect to the inputs in ``mask`` only."""

    def g(*d):
        di = iter(d)
        return f(*[next(di) if m else v for v, m in zip(values, mask)])

    return jax.vjp(g, *[v for v, m in zip(values, mask) if m])


_profile_hook: Callable | None = None


def set_profile_hook(hook: Callable | None) -> None:
    """Send every op to ``hook(op, args, static, cast)`` instead (None: stop); the hook runs the
    op by unsetting itself and calling ``apply``. Unset, the cost is one check per op."""
    global _profile_hook
    _profile_hook = hook


def apply(op: Op, args: tuple, static: tuple = (), cast: tuple | None = None):
    """Run ``op`` on ``args`` (Tensors and plain arrays) and record it for backward."""
    if _profile_hook is not None:
        return _profile_hook(op, args, static, cast)
    if compiling[0] and static:
        static = _concrete(static)
    key = (static, cast) if static or cast is not None else _PLAIN
    req = False
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            req = True
            break
    record = req and op.differentiable and _grad_state.enabled
    if (
        record
        and op.lazy
        and _lazy.enabled[0]
        and not (inline[0] or compiling[0])
        and not _anomaly[0]
    ):
        out = _lazy.record(op, key, args)
        if out is not None:
            return out
    # Inside a tensorish.func transform the op traces inline: a jitted call per op would make
    # JAX compile each op's transformed (jvp, vmap) version separately.
    fwd = op.bind(key) if inline[0] else op._fwd.get(key) or op.forward_fn(key)
    vals = [a._value if isinstance(a, Tensor) else a for a in args]
    pull = None
    try:
        if record and compiling[0] and not inline[0]:
            # Tracing for tensorish.compile: take the vjp now, so backward reuses the forward
            # instead of tracing it again (a smaller program, compiled sooner).
            out, pull = vjp_at(
                fwd, vals, [isinstance(a, Tensor) and a._requires_grad for a in args]
            )
        else:
            out = fwd(*vals)
    except (TypeError, ValueError):
        from ._device import check_same_device

        check_same_device(args)
        if op.on_error is not None:
            op.on_error(args, static)
        raise
    wrap = Tensor._wrap
    if record:
        node = op.node_cls(op, key, args, vals, op.n_out)
        if pull is not None:
            node._pull = (pull, out)
        if op.n_out == 1:
            return wrap(out, node, 0)
        return tuple(
            wrap(o, node, i) if jnp.issubdtype(o.dtype, jnp.inexact) else wrap(o)
            for i, o in enumerate(out)
        )
    if op.n_out == 1:
        return wrap(out)
    return tuple(wrap(o) for o in out)

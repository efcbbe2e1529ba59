"""Dispatch: unwrap, run the cached jitted forward (or defer it), record the graph node.

Every op call goes through ``apply``: it reads the mode (grad recording, compile tracing,
tensorish.func inlining, anomaly, deferral), then either defers the op (``_lazy.record``) or runs
its cached ``jax.jit`` forward, and records the ``grad_fn`` Node (``autograd/_graph``) when an
input requires grad. Above it sits the op table (``ops/``), which declares ``Op`` s (``_op``) and
promotes operands before calling ``apply``.
"""

from __future__ import annotations

import jax.numpy as jnp

from . import _lazy
from ._device import check_same_device
from ._mode import mode
from ._op import Op, vjp_at
from ._pending import Pending, force_all
from ._tensor import Tensor
from .autograd._graph import record_node

__all__ = ["Op", "apply"]


def _concrete(static: tuple) -> tuple:
    """Static parameters with compile's traced hyperparameters made concrete: a cached jitted
    function must never close over a tracer (the compiled step specializes on the value)."""

    def c(v):
        if type(v) is tuple:
            return tuple(map(c, v))
        return v.concrete() if hasattr(v, "concrete") else v

    return tuple((k, c(v)) for k, v in static)


_PLAIN = ((), None)  # the key of an op with no static parameters and no casts


# C901: every eager op passes here; its branches stay inline (a call per branch costs per op)
def apply(op: Op, args: tuple, static: tuple = (), cast: tuple | None = None):  # noqa: C901
    """Run ``op`` on ``args`` (Tensors and plain arrays) and record it for backward.

    >>> import tensorish
    >>> double = Op("MulBackward0", lambda x: 2 * x)
    >>> apply(double, (tensorish.ones(2, requires_grad=True),))
    tensor([2., 2.], grad_fn=<MulBackward0>)
    """
    m = mode
    if m.profile is not None:
        return m.profile(op, args, static, cast)
    tracing = m.trace is not None
    if tracing and static:
        static = _concrete(static)
    key = (static, cast) if static or cast is not None else _PLAIN
    req = False
    pending = 0
    for a in args:
        if isinstance(a, Tensor):
            if a._requires_grad:
                req = True
            if a._v.__class__ is Pending:
                pending += 1
    record = req and op.differentiable and m.grad
    inline = m.inline
    if record and op.lazy and m.defer and not (inline or tracing) and not m.anomaly:
        out = _lazy.record(op, key, args)
        if out is not None:
            return out
    if pending > 1 and not tracing:  # compute the deferred inputs together: one program
        force_all([a._v for a in args if isinstance(a, Tensor) and a._v.__class__ is Pending])
    # Inside a tensorish.func transform the op traces inline: a jitted call per op would make
    # JAX compile each op's transformed (jvp, vmap) version separately.
    fwd = op.bind(key) if inline else op._fwd.get(key) or op.forward_fn(key)
    vals = [a._value if isinstance(a, Tensor) else a for a in args]
    pull = None
    try:
        if record and tracing and not inline:
            # Tracing for tensorish.compile: take the vjp now, so backward reuses the forward
            # instead of tracing it again (a smaller program, compiled sooner).
            out, pull = vjp_at(
                fwd, vals, [isinstance(a, Tensor) and a._requires_grad for a in args]
            )
        else:
            out = fwd(*vals)
    except (TypeError, ValueError):
        check_same_device(args)
        if op.on_error is not None:
            op.on_error(args, static)
        raise
    wrap = Tensor._wrap
    if record:
        node = record_node(op, key, args, vals, op.n_out)
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

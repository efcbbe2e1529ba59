"""The pure Op: a function of jax arrays, its gradient (``jax.vjp`` of it) and their jit caches.

A leaf of the package: an Op knows nothing of Tensors, graphs or modes. Dispatch (``_dispatch``)
runs it on Tensors and records it; the autograd engine runs its backward; the fused program
(``autograd/_fused``) traces its ``bind``-ed function inline. Forward and backward are
``jax.jit`` functions cached per key, (static parameters, input casts), so no call traces
eagerly once warm (DESIGN.md, "Never trace eagerly").
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

ALL_INPUTS = frozenset(range(64))


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
    >>> mul.forward_fn(((), None))(jnp.float32(2), jnp.float32(3))
    Array(6., dtype=float32)
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
        self.node_cls = None  # the grad_fn class, made on first record (autograd/_graph)
        self.saves = frozenset(saves)
        self.differentiable = differentiable
        self.n_out = n_out
        self.on_error = on_error
        self.lazy = self.fusable  # recorded calls may defer (see _lazy)
        self._fwd: dict = {}
        self._bwd: dict = {}
        self._vjp: dict = {}

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
                return pull(fill_cotangents(cts, out))

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


def fill_cotangents(cts, out):
    """The cotangents of a multi-output function with each missing one (None) made zeros of
    its output (``float0`` zeros for integer outputs, as ``jax.vjp`` requires)."""
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


def vjp_at(f: Callable, values, mask) -> tuple:
    """``jax.vjp`` of ``f`` at ``values``, with respect to the inputs in ``mask`` only."""

    def g(*d):
        di = iter(d)
        return f(*[next(di) if m else v for v, m in zip(values, mask)])

    return jax.vjp(g, *[v for v, m in zip(values, mask) if m])

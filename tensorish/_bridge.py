"""The two-way bridge to JAX: a JAX function as a tensorish op, tensorish code as a JAX function.

``wrap_jax(f)`` declares ``f`` as an op (its backward is ``jax.vjp`` of ``f``, as for every
op); ``unwrap(fn_or_module)`` gives a pure function of jax arrays that ``jax.grad``,
``jax.jit`` and ``jax.vmap`` accept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from ._dispatch import Op, apply
from ._tensor import Tensor
from .func import _arrays, _tensors, _Traced, functional_call


def wrap_jax(f: Callable, name: str | None = None) -> Callable:
    """A pure JAX function of arrays as a differentiable tensorish function.

    Positional arguments are Tensors (or arrays); the result has ``f``'s pytree structure with
    Tensors at the leaves, and its ``grad_fn`` is named ``<name>Backward``.

    >>> import jax.numpy as jnp, tensorish
    >>> softplus = tensorish.wrap_jax(lambda x: jnp.logaddexp(x, 0.0), name="Softplus")
    >>> y = softplus(tensorish.zeros(2, requires_grad=True))
    >>> y.grad_fn.name()
    'SoftplusBackward'
    """
    grad_name = f"{name or getattr(f, '__name__', 'Jax')}Backward"
    ops: dict = {}

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        tensors = tuple(
            a if isinstance(a, Tensor) else Tensor._wrap(jax.numpy.asarray(a)) for a in args
        )
        avals = tuple((t.shape, t._v.dtype) for t in tensors)
        entry = ops.get(avals)
        if entry is None:
            out = jax.eval_shape(f, *(t._value for t in tensors))
            leaves, tree = jax.tree_util.tree_flatten(out)
            n = len(leaves)

            def flat(*xs, f=f, n=n):
                got = jax.tree_util.tree_leaves(f(*xs))
                return got[0] if n == 1 else tuple(got)

            entry = ops[avals] = (Op(grad_name, flat, n_out=n), tree)
        op, tree = entry
        out = apply(op, tensors)
        return jax.tree_util.tree_unflatten(tree, [out] if op.n_out == 1 else list(out))

    return wrapped


def unwrap(fn_or_module: Any) -> Any:
    """tensorish code as pure JAX: a function of arrays, or for a module ``(apply, params)``.

    For a module, ``apply(params, *arrays)`` runs its forward with ``params`` (a dict of jax
    arrays keyed as ``named_parameters()``/``named_buffers()``) standing in for its state.

    >>> import jax, jax.numpy as jnp, tensorish
    >>> f = tensorish.unwrap(lambda x: (x ** 2).sum())
    >>> jax.grad(f)(jnp.array([1.0, 2.0], jnp.float32))
    Array([2., 4.], dtype=float32)
    """
    if hasattr(fn_or_module, "named_parameters"):
        module = fn_or_module
        params = {n: p.jax() for n, p in module.named_parameters()}
        if hasattr(module, "named_buffers"):
            params.update({n: b.jax() for n, b in module.named_buffers()})

        def apply_module(params: dict, *args: Any) -> Any:
            out = functional_call(module, _tensors(params), _tensors(args))
            return _arrays(out)

        return apply_module, params
    return _Traced(fn_or_module)

"""Gradient clipping: one jitted function over all gradients, written back in place."""

from __future__ import annotations

from collections.abc import Iterable

import jax
import jax.numpy as jnp

from ..._tensor import Tensor


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(x, norm_type: float):
    x = jnp.abs(x.astype(jnp.float32) if x.dtype == jnp.float16 else x)
    if norm_type == float("inf"):
        return jnp.max(x) if x.size else jnp.zeros((), x.dtype)
    if norm_type == float("-inf"):
        return jnp.min(x)
    if norm_type == 0:
        return jnp.sum(x != 0).astype(x.dtype)
    return jnp.sum(x**norm_type) ** (1.0 / norm_type)


def _clip(grads: tuple, max_norm, norm_type: float):
    total = _norm(jnp.stack([_norm(g, norm_type) for g in grads]), norm_type)
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
    return total, tuple((g * coef).astype(g.dtype) for g in grads)


_clip_norm = jax.jit(
    lambda grads, max_norm, norm_type: _clip(grads, max_norm, norm_type), static_argnums=2
)


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients so their joint ``norm_type``-norm is at most ``max_norm``; returns
    the norm before clipping.

    >>> import tensorish
    >>> p = tensorish.nn.Parameter(tensorish.ones(4))
    >>> (p * 2).sum().backward()
    >>> tensorish.nn.utils.clip_grad_norm_([p], 1.0)
    tensor(4.)
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(jnp.zeros((), jnp.float32))
    total, new = _clip_norm(tuple(g._value for g in grads), float(max_norm), norm_type)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    for g, v in zip(grads, new):
        g._set_value(v)
    return Tensor._wrap(total)


_clip_value = jax.jit(lambda grads, v: tuple(jnp.clip(g, -v, v).astype(g.dtype) for g in grads))


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient to ``[-clip_value, clip_value]`` in place."""
    grads = _grads(parameters)
    if not grads:
        return
    for g, v in zip(grads, _clip_value(tuple(g._value for g in grads), float(clip_value))):
        g._set_value(v)

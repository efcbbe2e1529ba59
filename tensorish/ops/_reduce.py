"""Reductions: sum, mean."""

from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype
from .._tensor import Tensor, method
from ._common import Op, apply, dims

_sum_all = Op("SumBackward0", lambda x, dtype: jnp.sum(x, dtype=dtype), saves=())
_sum = Op("SumBackward1",
          lambda x, dim, keepdim, dtype: jnp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype),
          saves=())
_mean_all = Op("MeanBackward0", lambda x, dtype: jnp.mean(x, dtype=dtype), saves=())
_mean = Op("MeanBackward1",
           lambda x, dim, keepdim, dtype: jnp.mean(x, axis=dim, keepdims=keepdim, dtype=dtype),
           saves=())


def _reduce(all_op: Op, dim_op: Op, input: Tensor, dim, keepdim: bool, dt: _dtype.dtype):
    if dim is None:
        return apply(all_op, (input,), (("dtype", dt.np),))
    axes = dims(dim, input.ndim) if input.ndim else dims(dim, 1) and ()
    return apply(dim_op, (input,), (("dim", axes), ("keepdim", keepdim), ("dtype", dt.np)))


@method
def sum(input: Tensor, dim=None, keepdim: bool = False, *,
        dtype: _dtype.dtype | None = None) -> Tensor:
    """The sum of all elements, or over ``dim``; integer and bool inputs sum in int64.

    >>> import tensorish
    >>> tensorish.sum(tensorish.ones(2, 3), dim=1)
    tensor([3., 3.])
    """
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _dtype.int64
    return _reduce(_sum_all, _sum, input, dim, keepdim, dtype)


@method
def mean(input: Tensor, dim=None, keepdim: bool = False, *,
         dtype: _dtype.dtype | None = None) -> Tensor:
    """The mean of all elements, or over ``dim``.

    >>> import tensorish
    >>> tensorish.mean(tensorish.tensor([1., 2., 6.]))
    tensor(3.)
    """
    dt = dtype or input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {dt.title}")
    return _reduce(_mean_all, _mean, input, dim, keepdim, dt)

__all__ = ["sum", "mean"]

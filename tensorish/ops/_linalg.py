"""Matrix products."""

from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor, method
from ._common import Op, apply

_mm = Op("MmBackward0", jnp.matmul)
_mv = Op("MvBackward0", jnp.matmul)
_dot = Op("DotBackward0", jnp.dot)
_matmul = Op("MatmulBackward0", jnp.matmul)


def _same_dtype(a: Tensor, b: Tensor, what: str) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{what} to have the same dtype, but got: {a.dtype.title.lower()} != "
            f"{b.dtype.title.lower()}")


@method
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product of two 2-D tensors.

    >>> import tensorish
    >>> tensorish.mm(tensorish.ones(2, 3), tensorish.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype(input, mat2, "expected m1 and m2")
    (n, k), (k2, m) = input.shape, mat2.shape
    if k != k2:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    return apply(_mm, (input, mat2))


@method
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with NumPy's broadcasting rules (dot, mv, mm or batched).

    >>> import tensorish
    >>> tensorish.matmul(tensorish.ones(2, 2), tensorish.ones(2, 2))
    tensor([[2., 2.],
            [2., 2.]])
    """
    a, b = input.ndim, other.ndim
    if a == 0 or b == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a}D and {b}D")
    if a == 2 and b == 2:
        return mm(input, other)
    _same_dtype(input, other, "expected both vectors" if a == b == 1 else "expected m1 and m2")
    if a == 1 and b == 1:
        n, k = input.shape[0], other.shape[0]
        if n != k:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{n}] and src [{k}] to have the same "
                f"number of elements, but got {n} and {k} elements respectively")
        return apply(_dot, (input, other))
    if a == 2 and b == 1:
        if input.shape[1] != other.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x"
                f"{input.shape[1]}), vec ({other.shape[0]})")
        return apply(_mv, (input, other))
    if input.shape[-1] != other.shape[-2 if b > 1 else 0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[-1]}, {other.shape[-1]}] but got: [{other.shape[0]}, "
            f"{other.shape[-1]}].")
    return apply(_matmul, (input, other))


Tensor.__matmul__ = lambda self, other: matmul(self, other) if isinstance(
    other, Tensor) else NotImplemented
Tensor.__rmatmul__ = lambda self, other: matmul(other, self) if isinstance(
    other, Tensor) else NotImplemented

__all__ = ["matmul", "mm"]

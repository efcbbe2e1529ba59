"""Moving data in and out: JAX (no copy), NumPy, and DLPack (to and from real PyTorch)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ._tensor import Tensor

__all__ = ["from_jax", "to_jax", "from_dlpack"]


def from_jax(array: jax.Array, requires_grad: bool = False) -> Tensor:
    """A Tensor over ``array`` itself (no copy).

    >>> import jax.numpy as jnp, tensorish
    >>> tensorish.from_jax(jnp.arange(3.0, dtype=jnp.float32))
    tensor([0., 1., 2.])
    """
    if not isinstance(array, jax.Array):
        raise TypeError(f"from_jax expects a jax.Array, got {type(array).__name__}")
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_()
    return t


def to_jax(tensor: Tensor) -> jax.Array:
    """The ``jax.Array`` under ``tensor`` (no copy).

    >>> import tensorish
    >>> tensorish.to_jax(tensorish.ones(2))
    Array([1., 1.], dtype=float32)
    """
    return tensor._value


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A Tensor from any DLPack producer (a PyTorch tensor, a NumPy array, a jax.Array).

    >>> import numpy as np, tensorish
    >>> tensorish.from_dlpack(np.arange(2.0))
    tensor([0., 1.], dtype=tensorish.float64)
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    return Tensor._wrap(jnp.asarray(jax.dlpack.from_dlpack(ext_tensor)))

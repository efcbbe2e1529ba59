"""Moving data in and out: JAX (no copy), NumPy, and DLPack (to and from real PyTorch)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype
from ._tensor import Tensor

__all__ = ["from_jax", "to_jax", "from_numpy", "as_tensor", "from_dlpack"]


def from_jax(array: jax.Array, requires_grad: bool = False) -> Tensor:
    """A Tensor over ``array`` itself (no copy).

    >>> import jax.numpy as jnp, tensorish
    >>> tensorish.from_jax(jnp.arange(3.0))
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


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A Tensor with the values and dtype of ``ndarray`` (a copy: JAX arrays own their memory).

    >>> import numpy as np, tensorish
    >>> tensorish.from_numpy(np.arange(3))
    tensor([0, 1, 2])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    try:
        dt = _dtype.from_np(ndarray.dtype)
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. The only "
            "supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint64, uint32, uint16, uint8, and bool.") from None
    return Tensor._wrap(jnp.asarray(ndarray, dtype=dt.np))


def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor; a Tensor of the right dtype is returned as is (no copy).

    >>> import tensorish
    >>> t = tensorish.ones(2)
    >>> tensorish.as_tensor(t) is t
    True
    """
    from ._creation import tensor

    if isinstance(data, Tensor) and (dtype is None or dtype is data.dtype) and device is None:
        return data
    if isinstance(data, Tensor):
        data = data.detach()
    if isinstance(data, jax.Array) and dtype is None:
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A Tensor from any DLPack producer (a PyTorch tensor, a NumPy array, a jax.Array).

    >>> import numpy as np, tensorish
    >>> tensorish.from_dlpack(np.arange(2.0))
    tensor([0., 1.], dtype=tensorish.float64)
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    return Tensor._wrap(jnp.asarray(jax.dlpack.from_dlpack(ext_tensor)))

"""Creation functions: tensor, ones, zeros, full, arange, linspace and their ``_like`` forms."""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype
from ._tensor import Tensor

_NP_KIND = {"b": _dtype.bool_, "i": _dtype.int64, "u": _dtype.int64}


def _finish(value: jax.Array, dtype: _dtype.dtype, device, requires_grad: bool) -> Tensor:
    value = jax.device_put(value, _device.to_jax(device))
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(
            "Only Tensors of floating point and complex dtype can require gradients")
    t = Tensor._wrap(value)
    t._requires_grad = bool(requires_grad)
    return t


def _infer(arr: np.ndarray) -> _dtype.dtype:
    kind = arr.dtype.kind
    if kind == "f":
        return _dtype.get_default_dtype()
    if kind == "c":
        return _dtype.default_complex()
    if kind in _NP_KIND:
        return _NP_KIND[kind]
    raise TypeError(f"new(): invalid data type '{arr.dtype.name}'")


def _from_data(data: Any) -> tuple[Any, _dtype.dtype]:
    """The data as an array, and the dtype PyTorch would infer for it."""
    if isinstance(data, Tensor):
        return data._value, data.dtype
    if isinstance(data, jax.Array):
        return data, _dtype.from_np(data.dtype)
    if isinstance(data, np.ndarray):
        return data, _dtype.from_np(data.dtype)
    if isinstance(data, np.generic):
        return np.asarray(data), _dtype.from_np(data.dtype)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    arr = _nested_array(data)
    return arr, _infer(arr)


def _nested_array(data: Any) -> np.ndarray:
    _check_ragged(data, 0)
    try:
        arr = np.array(data)
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    if arr.dtype.kind in "OUS":
        bad = _first_leaf(data)
        if isinstance(bad, str) and isinstance(data, (list, tuple)):
            raise ValueError("too many dimensions 'str'")
        if bad is None:
            raise RuntimeError("Could not infer dtype of NoneType")
        raise TypeError(f"new(): invalid data type '{type(bad).__name__}'")
    return arr


def _check_ragged(data: Any, dim: int) -> None:
    if not (isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple))):
        return
    n = len(data[0])
    for item in data:
        if not isinstance(item, (list, tuple)):
            raise TypeError("not a sequence")
        got = len(item)
        if got != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {got})")
    for item in data:
        _check_ragged(item, dim + 1)


def _first_leaf(data: Any) -> Any:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def tensor(data: Any, *, dtype: _dtype.dtype | None = None, device=None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays).

    >>> import tensorish
    >>> tensorish.tensor([[2., 2.], [2., 2.]], requires_grad=True)
    tensor([[2., 2.],
            [2., 2.]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    arr, inferred = _from_data(data)
    dt = dtype or inferred
    return _finish(jnp.asarray(arr, dtype=dt.np), dt, device, requires_grad)


def _shape(size: tuple, name: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, s in enumerate(size):
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            if len(size) == 1:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {type(s).__name__}")
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                f"error \"type must be tuple of ints,but got {type(s).__name__}\"")
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _filled(name: str, size: tuple, fill: Any, dtype, device, requires_grad: bool) -> Tensor:
    dt = dtype or _dtype.get_default_dtype()
    return _finish(jnp.full(_shape(size, name), fill, dtype=dt.np), dt, device, requires_grad)


def ones(*size: int, dtype: _dtype.dtype | None = None, device=None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (float32 unless ``dtype`` says otherwise).

    >>> import tensorish
    >>> tensorish.ones(2, 2)
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _filled("ones", size, 1, dtype, device, requires_grad)


def zeros(*size: int, dtype: _dtype.dtype | None = None, device=None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size.

    >>> import tensorish
    >>> tensorish.zeros(3)
    tensor([0., 0., 0.])
    """
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def empty(*size: int, dtype: _dtype.dtype | None = None, device=None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor; JAX has no uninitialised memory, so it holds zeros."""
    return _filled("empty", size, 0, dtype, device, requires_grad)


def full(size: tuple, fill_value: Any, *, dtype: _dtype.dtype | None = None, device=None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the fill value.

    >>> import tensorish
    >>> tensorish.full((2,), 7)
    tensor([7, 7])
    """
    dt = dtype or _dtype.scalar_dtype(fill_value)
    return _filled("full", tuple(size), fill_value, dt, device, requires_grad)


def _like(t: Tensor, fill: Any, dtype, device, requires_grad: bool) -> Tensor:
    dt = dtype or t.dtype
    dev = device if device is not None else t.device
    return _finish(jnp.full(t.shape, fill, dtype=dt.np), dt, dev, requires_grad)


def ones_like(input: Tensor, *, dtype: _dtype.dtype | None = None, device=None,
              requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``."""
    return _like(input, 1, dtype, device, requires_grad)


def zeros_like(input: Tensor, *, dtype: _dtype.dtype | None = None, device=None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    return _like(input, 0, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype: _dtype.dtype | None = None, device=None,
               requires_grad: bool = False) -> Tensor:
    """Like ``zeros_like`` (JAX has no uninitialised memory)."""
    return _like(input, 0, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: _dtype.dtype | None = None,
              device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and by default dtype and device) of ``input``."""
    return _like(input, fill_value, dtype, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: _dtype.dtype | None = None,
           device=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments.

    >>> import tensorish
    >>> tensorish.arange(5)
    tensor([0, 1, 2, 3, 4])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = (_dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals)
                 else _dtype.get_default_dtype())
    n = max(0, math.ceil((end - start) / step))
    if all(isinstance(v, (int, np.integer)) for v in vals):
        vals = start + np.arange(n, dtype=np.int64) * step
    else:  # as PyTorch: start + i * step in double, then cast
        vals = start + np.arange(n, dtype=np.float64) * step
    return _finish(jnp.asarray(vals, dtype=dtype.np), dtype, device, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: _dtype.dtype | None = None,
             device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> import tensorish
    >>> tensorish.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    vals = _linspace_values(float(start), float(end), steps)
    return _finish(jnp.asarray(vals, dtype=dtype.np), dtype, device, requires_grad)


def _linspace_values(start: float, end: float, steps: int) -> np.ndarray:
    # PyTorch fills the first half from start and the second half from end, symmetric.
    if steps == 1:
        return np.array([start])
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.where(i < half, start + step * i, end - step * (steps - 1 - i))

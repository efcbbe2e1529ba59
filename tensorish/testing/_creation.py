"""``make_tensor``: random test tensors with PyTorch's default value ranges per dtype."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

from .. import _dtype
from .._random import rand, randint
from .._tensor import Tensor

_INTEGRAL = (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)
_FLOATING = (_dtype.float16, _dtype.bfloat16, _dtype.float32, _dtype.float64)
_COMPLEX = (_dtype.complex64, _dtype.complex128)


def _limits(dtype: _dtype.dtype, low, high, lowest: float, highest: float, default: tuple):
    """``low`` and ``high`` checked and clamped to what ``dtype`` represents, as PyTorch does."""
    low = default[0] if low is None else low
    high = default[1] if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype in _FLOATING + _COMPLEX:
        warnings.warn(
            "Passing `low==high` to `tensorish.testing.make_tensor` for floating or complex "
            "types is deprecated since 2.1 and will be removed in 2.3. Use `tensorish.full(...)` "
            "instead.",
            FutureWarning,
            stacklevel=3,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), but "
            f"{dtype} only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype in _INTEGRAL or dtype is _dtype.bool_:
        return math.ceil(low), math.ceil(high)
    return low, high


def _uniform(shape: tuple, dtype: _dtype.dtype, low: float, high: float, device) -> Tensor:
    real = dtype.to_real()
    if high - low >= _dtype.finfo(real).max:  # the width overflows: draw half of it, double
        return _uniform(shape, dtype, low / 2, high / 2, device) * 2
    if dtype.is_complex:
        parts = rand(*shape, 2, dtype=real, device=device) * (high - low) + low
        return (parts[..., 0] + parts[..., 1] * 1j).to(dtype)
    return rand(*shape, dtype=dtype, device=device) * (high - low) + low


def make_tensor(
    *shape: int | Sequence[int],
    dtype: _dtype.dtype,
    device,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format=None,
) -> Tensor:
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)`` (by default
    ``[0, 2)`` for bool, ``[0, 10)`` for uint8, ``[-9, 10)`` for other integers and ``[-9, 9)``
    for floating and complex dtypes), from tensorish's generator.

    ``noncontiguous`` and ``memory_format`` are accepted and checked as PyTorch does, but the
    result has no strides to change (a JAX array).

    >>> import tensorish
    >>> t = tensorish.testing.make_tensor(2, 3, dtype=tensorish.int64, device="cpu", low=0, high=1)
    >>> t
    tensor([[0, 0, 0],
            [0, 0, 0]])
    """
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
            f"noncontiguous={noncontiguous} and memory_format={memory_format}"
        )
    integral = dtype in _INTEGRAL or dtype is _dtype.bool_
    if requires_grad and integral:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype}"
        )
    if dtype is _dtype.bool_:
        low, high = _limits(dtype, low, high, 0, 2, (0, 2))
        result = randint(low, high, shape, dtype=dtype, device=device)
    elif integral:
        info = _dtype.iinfo(dtype)
        top = info.max + (dtype is not _dtype.int64)
        low, high = _limits(dtype, low, high, info.min, top, (-9, 10))
        result = randint(low, high, shape, dtype=dtype, device=device)
    elif dtype in _FLOATING + _COMPLEX:
        info = _dtype.finfo(dtype.to_real())
        low, high = _limits(dtype, low, high, info.min, info.max, (-9, 9))
        result = _uniform(shape, dtype, low, high, device)
    else:
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by tensorish.testing.make_tensor(). "
            "To request support, file an issue at: https://github.com/pytorch/pytorch/issues"
        )
    if exclude_zero:
        tiny = 1 if integral else _dtype.finfo(dtype.to_real()).tiny
        result = result.masked_fill(result == 0, tiny * (1 + 1j) if dtype.is_complex else tiny)
    if not integral:
        result = result.detach().requires_grad_(requires_grad)
    return result

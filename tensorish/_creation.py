"""Creation functions: tensor, as_tensor, ones, zeros, full, arange, linspace, eye, meshgrid...

JAX arrays cannot share memory, so ``as_tensor``, ``asarray`` and ``from_numpy`` copy their data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from numbers import Integral, Number
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype
from ._dispatch import Op, apply
from ._pending import Pending
from ._tensor import Tensor

_NP_KIND = {"b": _dtype.bool_, "i": _dtype.int64, "u": _dtype.int64}


def _finish(
    value: Any, dtype: _dtype.dtype, device, requires_grad: bool, fresh: bool = False
) -> Tensor:
    """A leaf on ``device`` holding ``value`` (array-like) as ``dtype``. Host data is copied
    first (unless ``fresh``: made here), so a tensor never shares the caller's memory."""
    if value.__class__ is Pending:  # a deferred sample: in ``dtype`` on ``device`` already
        pass
    elif isinstance(value, jax.Array):
        value = jax.device_put(value.astype(dtype.np), _device.to_jax(device))
    else:
        if not fresh or value.dtype != dtype.np:
            value = np.array(value, dtype=dtype.np)
        value = jax.device_put(value, _device.to_jax(device))
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
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


def _from_data(data: Any, dtype: _dtype.dtype | None = None) -> tuple[Any, _dtype.dtype]:
    """The data as an array, and the dtype PyTorch would infer for it; Python numbers that
    do not fit ``dtype`` (default: the inferred one) raise PyTorch's overflow errors."""
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
    arr = _nested_array(data, dtype)
    dt = _infer(arr)
    if arr.dtype.kind in "biufc" and any(isinstance(x, np.generic) for x in _leaves(data)):
        dt = _leaf_dtype(data)
    if dtype is not None:
        _dtype.check_fits(arr, dtype)
    return arr, dt


def _leaves(data: Any):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _leaf_dtype(data: Any) -> _dtype.dtype:
    """PyTorch's dtype for nested data holding NumPy scalars: the promotion of each leaf's
    (a NumPy scalar's own dtype; a Python number's default one)."""
    dt = None
    for x in _leaves(data):
        d = _dtype.from_np(x.dtype) if isinstance(x, np.generic) else _dtype.scalar_dtype(x)
        dt = d if dt is None else _dtype.promote_types(dt, d)
    return dt


def _int_overflow(data: Any) -> bool:
    """Whether ``data`` (nested lists and tuples) infers an integer dtype but holds a Python
    int outside int64 (a float anywhere makes it a float tensor, as in PyTorch)."""
    leaves = list(_leaves(data))
    return not any(isinstance(x, Number) and not isinstance(x, Integral) for x in leaves) and any(
        type(x) is int and not -(2**63) <= x < 2**63 for x in leaves
    )


def _nested_array(data: Any, dtype: _dtype.dtype | None = None) -> np.ndarray:
    _check_ragged(data, 0)
    try:
        arr = np.array(data)
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    # NumPy holds ints beyond int64 as uint64, float64 (mixed with negatives) or objects.
    big = arr.dtype.kind in "uO" or (
        arr.dtype.kind == "f" and arr.size and np.abs(arr).max() >= 2**63
    )
    if big and _int_overflow(data):
        if dtype is None or not (dtype.is_floating_point or dtype.is_complex):
            raise ValueError("Overflow when unpacking long long")
        arr = np.array(data, dtype=np.float64)
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


def tensor(
    data: Any,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
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
            "torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    arr, inferred = _from_data(data, dtype)
    dt = dtype or inferred
    return _finish(arr, dt, device, requires_grad)


def _shape(size: tuple, name: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, s in enumerate(size):
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            if len(size) == 1:
                raise TypeError(
                    f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                    f"not {type(s).__name__}"
                )
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                f'error "type must be tuple of ints,but got {type(s).__name__}"'
            )
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _size(args: tuple, size) -> tuple:
    """The shape given positionally (``ones(2, 3)``, ``ones((2, 3))``) or as ``size=``."""
    if size is None:
        return args
    if args:
        raise TypeError("got multiple values for argument 'size'")
    return (tuple(size),)


def _filled(name: str, size: tuple, fill: Any, dtype, device, requires_grad: bool) -> Tensor:
    dt = dtype or _dtype.get_default_dtype()
    _dtype.check_fits(fill, dt, fill=True)
    return _finish(
        np.full(_shape(size, name), fill, dtype=dt.np), dt, device, requires_grad, fresh=True
    )


def ones(
    *args: int,
    size: Sequence[int] | None = None,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones of the given size (float32 unless ``dtype`` says otherwise).

    >>> import tensorish
    >>> tensorish.ones(2, 2)
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _filled("ones", _size(args, size), 1, dtype, device, requires_grad)


def zeros(
    *args: int,
    size: Sequence[int] | None = None,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros of the given size.

    >>> import tensorish
    >>> tensorish.zeros(3)
    tensor([0., 0., 0.])
    """
    return _filled("zeros", _size(args, size), 0, dtype, device, requires_grad)


def empty(
    *args: int,
    size: Sequence[int] | None = None,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor; JAX has no uninitialised memory, so it holds zeros."""
    return _filled("empty", _size(args, size), 0, dtype, device, requires_grad)


def full(
    size: tuple,
    fill_value: Any,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the fill value.

    >>> import tensorish
    >>> tensorish.full((2,), 7)
    tensor([7, 7])
    """
    dt = dtype or _dtype.scalar_dtype(fill_value)
    return _filled("full", tuple(size), fill_value, dt, device, requires_grad)


def _like(name: str, t: Tensor, fill: Any, dtype, device, requires_grad: bool) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}"
        )
    dt = dtype or t.dtype
    dev = device if device is not None else t.device
    return _finish(np.full(t.shape, fill, dtype=dt.np), dt, dev, requires_grad, fresh=True)


def ones_like(
    input: Tensor, *, dtype: _dtype.dtype | None = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``."""
    return _like("ones_like", input, 1, dtype, device, requires_grad)


def zeros_like(
    input: Tensor, *, dtype: _dtype.dtype | None = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    return _like("zeros_like", input, 0, dtype, device, requires_grad)


def empty_like(
    input: Tensor, *, dtype: _dtype.dtype | None = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Like ``zeros_like`` (JAX has no uninitialised memory)."""
    return _like("empty_like", input, 0, dtype, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` with the shape (and by default dtype and device) of ``input``."""
    return _like("full_like", input, fill_value, dtype, device, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
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
        dtype = (
            _dtype.int64
            if all(isinstance(v, (int, np.integer)) for v in vals)
            else _dtype.get_default_dtype()
        )
    n = max(0, math.ceil((end - start) / step))
    if all(isinstance(v, (int, np.integer)) for v in vals):
        vals = start + np.arange(n, dtype=np.int64) * step
    else:  # as PyTorch: start + i * step in double, then cast
        vals = start + np.arange(n, dtype=np.float64) * step
    return _finish(vals, dtype, device, requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> import tensorish
    >>> tensorish.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    vals = _linspace_values(float(start), float(end), steps)
    return _finish(vals, dtype, device, requires_grad)


def _linspace_values(start: float, end: float, steps: int) -> np.ndarray:
    # PyTorch fills the first half from start and the second half from end, symmetric.
    if steps == 1:
        return np.array([start])
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.where(i < half, start + step * i, end - step * (steps - 1 - i))


_to_copy = Op("ToCopyBackward0", lambda x: x, saves=())
_complex = Op("ComplexBackward0", jax.lax.complex, saves=())
_polar = Op(
    "PolarBackward0", lambda r, theta: jax.lax.complex(r * jnp.cos(theta), r * jnp.sin(theta))
)


def _converted(t: Tensor, dtype: _dtype.dtype | None) -> Tensor:
    if dtype is None or dtype is t.dtype:
        return t
    return apply(_to_copy, (t,), (), (dtype.np,))


def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device=None) -> Tensor:
    """``data`` as a tensor: a tensor of the right dtype is returned as is (JAX arrays are
    immutable, so other data is copied rather than shared).

    >>> import tensorish
    >>> tensorish.as_tensor([1, 2], dtype=tensorish.float64)
    tensor([1., 2.], dtype=tensorish.float64)
    """
    if isinstance(data, Tensor):
        return _converted(data, dtype)
    if isinstance(data, np.ndarray):
        return from_numpy(data) if dtype is None else tensor(data, dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


def asarray(
    obj: Any,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    copy: bool | None = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """``obj`` as a tensor, keeping NumPy dtypes (a copy: JAX arrays cannot share memory).

    >>> import numpy as np, tensorish
    >>> tensorish.asarray(np.ones(2))
    tensor([1., 1.], dtype=tensorish.float64)
    """
    if isinstance(obj, Tensor):
        if copy or (dtype is not None and dtype is not obj.dtype):
            if requires_grad is None and obj.requires_grad:
                warnings.warn(
                    "tensorish.asarray: unspecified requires_grad now defaults to "
                    "obj.requires_grad instead of False. Pass requires_grad=False explicitly to "
                    "get the old behavior and silence this warning.",
                    UserWarning,
                    stacklevel=2,
                )
            return _converted(obj, dtype) if dtype is not None else obj.clone()
        return obj
    arr, inferred = _from_data(obj, dtype)
    dt = dtype or inferred
    return _finish(arr, dt, device, bool(requires_grad))


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor with the values and dtype of a NumPy array (a copy, not shared memory).

    >>> import numpy as np, tensorish
    >>> tensorish.from_numpy(np.arange(3))
    tensor([0, 1, 2])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dt = _dtype.from_np(ndarray.dtype)
    return _finish(ndarray, dt, None, False)


def scalar_tensor(
    s: Any, *, dtype: _dtype.dtype | None = None, device=None, requires_grad: bool = False
) -> Tensor:
    """A 0-dim tensor of ``s`` (the default float dtype unless ``dtype`` says otherwise).

    >>> import tensorish
    >>> tensorish.scalar_tensor(3)
    tensor(3.)
    """
    dt = dtype or _dtype.get_default_dtype()
    return _finish(s, dt, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n`` x ``m`` identity matrix.

    >>> import tensorish
    >>> tensorish.eye(2, 3)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    m = n if m is None else m
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = dtype or _dtype.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), dt, device, requires_grad, fresh=True)


def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in exponent.

    >>> import tensorish
    >>> tensorish.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    vals = np.power(float(base), _linspace_values(float(start), float(end), steps))
    if not (dtype.is_floating_point or dtype.is_complex):
        vals = np.round(vals)
    return _finish(vals, dtype, device, requires_grad)


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing`` "ij", PyTorch's default, or "xy").

    >>> import tensorish
    >>> [g.shape for g in tensorish.meshgrid(tensorish.ones(2), tensorish.ones(3), indexing="ij")]
    [tensorish.Size([2, 3]), tensorish.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "tensorish.meshgrid: in an upcoming release, it will be required to pass the "
            "indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'tensorish.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"tensorish.meshgrid: Expected 0D or 1D tensor in the tensor list "
                f"but got a {t.ndim}-D tensor"
            )
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(
                "tensorish.meshgrid: Expected all tensors in the tensor list to have the same dtype"
            )
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    n = len(ts)
    out = [t.reshape((1,) * i + (-1,) + (1,) * (n - i - 1)).expand(shape) for i, t in enumerate(ts)]
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def _same_float(a: Tensor, b: Tensor) -> None:
    ok = (_dtype.float16, _dtype.float32, _dtype.float64)
    if a.dtype not in ok or b.dtype not in ok:
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{a.dtype.title} and {b.dtype.title}"
        )
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {a.dtype.title} but got scalar type "
            f"{b.dtype.title} for second argument"
        )


def complex(real: Tensor, imag: Tensor) -> Tensor:
    """The complex tensor ``real + i * imag``.

    >>> import tensorish
    >>> tensorish.complex(tensorish.tensor([1.]), tensorish.tensor([2.]))
    tensor([1.+2.j])
    """
    _same_float(real, imag)
    return apply(_complex, (real, imag))


def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """The complex tensor ``abs * (cos(angle) + i * sin(angle))``."""
    _same_float(abs, angle)
    return apply(_polar, (abs, angle))


def _triangle_indices(row: int, col: int, offset: int, lower: bool, dtype, device) -> Tensor:
    r, c = np.indices((row, col))
    keep = (c - r <= offset) if lower else (c - r >= offset)
    idx = np.stack([r[keep], c[keep]]) if row and col else np.zeros((2, 0), np.int64)
    dt = dtype or _dtype.int64
    return _finish(idx, dt, device, False)


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype: _dtype.dtype | None = None, device=None
) -> Tensor:
    """The (row, col) coordinates of the lower triangle of a ``row`` x ``col`` matrix.

    >>> import tensorish
    >>> tensorish.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _triangle_indices(row, col, offset, True, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype: _dtype.dtype | None = None, device=None
) -> Tensor:
    """The (row, col) coordinates of the upper triangle of a ``row`` x ``col`` matrix."""
    return _triangle_indices(row, col, offset, False, dtype, device)

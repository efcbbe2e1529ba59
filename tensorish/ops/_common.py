"""What the op modules share: PyTorch's operand promotion, dim handling and in-place writes."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _device, _dtype
from .._dispatch import Op, apply
from .._mode import mode
from .._tensor import Tensor, _wrap_dim
from .._traced import TracedScalar
from ..autograd._grad_mode import is_grad_enabled

_result_cache: dict = {}
Scalar = (bool, int, float, complex, np.number, np.bool_)


def kind(x) -> tuple:
    """The promotion key of an operand: its dtype and whether it is a tensor with dims,
    a 0-dim tensor (1) or a Python scalar (2)."""
    if isinstance(x, Tensor):
        return (_dtype.from_np(x._v.dtype), x._v.ndim == 0)
    if isinstance(x, np.generic):
        return (_dtype.from_np(x.dtype), 2)
    return (_dtype.scalar_dtype(x), 2)


def result_type(*xs) -> _dtype.dtype:
    """PyTorch's result dtype for an op on tensors and Python scalars.

    >>> import tensorish
    >>> tensorish.result_type(tensorish.tensor([1, 2]), 2.5)
    tensorish.float32
    """
    # The cache key is cheap to build (NumPy dtypes and Python types); ``kind`` runs on a miss.
    fast = [_dtype.get_default_dtype()]
    for x in xs:
        if isinstance(x, Tensor):
            v = x._v
            fast.append((v.dtype, v.ndim == 0))
        else:
            fast.append(x.dtype if isinstance(x, np.generic) else x.__class__)
    fast = tuple(fast)
    dt = _result_cache.get(fast)
    if dt is None:
        key = [kind(x) for x in xs]
        dims = tuple(d for d, k in key if k is False)
        zeros = tuple(d for d, k in key if k is True)
        scalars = tuple(d for d, k in key if k == 2)
        dt = _result_cache[fast] = _dtype.result_type_of(dims, zeros, scalars)
    return dt


_scalars: dict = {}


def _scalar(x, npd) -> jax.Array:
    """A Python scalar as a cached uncommitted 0-d array: passing a NumPy scalar to a jitted
    function costs a host transfer per call (about 10 us); a device array does not. While
    tensorish.compile traces, a plain constant (one program, no transfers anyway)."""
    if mode.trace is not None:
        return np.asarray(x, dtype=npd)
    key = (type(x), x, npd)
    a = _scalars.get(key)
    if a is None:
        if len(_scalars) > 4096:
            _scalars.clear()
        with jax.default_device(_device.get_default_jax()):
            a = _scalars[key] = jnp.asarray(x, dtype=npd)
    return a


_pairs: dict = {}


def _pair(npd, zero_dim: bool, scalar: type, tensor_first: bool) -> tuple:
    """(result dtype, casts) of a tensor of NumPy dtype ``npd`` and a Python number, cached."""
    key = (npd, zero_dim, scalar, tensor_first, _dtype._state.default)
    hit = _pairs.get(key)
    if hit is None:
        t = _dtype.from_np(npd)
        dims, zeros = ((), (t,)) if zero_dim else ((t,), ())
        dt = _dtype.result_type_of(dims, zeros, (_dtype.scalar_dtype(scalar(0)),))
        cast = None if dt.np == npd else (dt.np, None) if tensor_first else (None, dt.np)
        hit = _pairs[key] = (dt, cast)
    return hit


def promote(*xs, to: _dtype.dtype | None = None) -> tuple[tuple, tuple | None, _dtype.dtype]:
    """Operands ready for ``apply``: scalars become arrays of the common dtype, and the casts
    that bring tensors to it (None when none is needed)."""
    if to is None and len(xs) == 2:
        a, b = xs
        ta, tb = type(a), type(b)
        if ta is Tensor:
            if tb is Tensor:  # the common case: two tensors of one dtype
                if a._v.dtype == b._v.dtype:
                    return xs, None, _dtype.from_np(a._v.dtype)
            elif tb is float or tb is int:  # a tensor and a Python number
                v = a._v
                dt, cast = _pair(v.dtype, len(v.shape) == 0, tb, True)
                return (a, _scalar(b, dt.np)), cast, dt
        elif tb is Tensor and (ta is float or ta is int):
            v = b._v
            dt, cast = _pair(v.dtype, len(v.shape) == 0, ta, False)
            return (_scalar(a, dt.np), b), cast, dt
    dt = to or result_type(*xs)
    npd = dt.np
    args = []
    cast = None
    for x in xs:
        if isinstance(x, Tensor):
            if x._v.dtype != npd:
                cast = (npd,) * len(xs)
            args.append(x)
        else:
            if not isinstance(x, Scalar):
                raise TypeError(f"unsupported operand type: {type(x).__name__}")
            # A hyperparameter inside tensorish.compile is a traced value, not a constant.
            args.append(x.traced(npd) if type(x) is TracedScalar else _scalar(x, npd))
    return tuple(args), cast, dt


def dims(dim, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, int, or a sequence of ints) as a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    out = tuple(_wrap_dim(int(d), ndim) for d in dim)
    for d in set(out):
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(out))


def inplace(self: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """Run ``compute`` on (a snapshot of) ``self`` and write the result into ``self``."""
    recording = is_grad_enabled()
    if recording and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    src = self
    if recording:
        # The op's node must see self as it was, not the tensor it is about to become.
        src = Tensor._wrap(self._v, self.grad_fn, self._output_nr)
        src._requires_grad, src._vc, src._acc = self._requires_grad, self._vc, self._acc
    out = compute(src)
    if out._v.shape != self._v.shape:
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(out.shape)}"
        )
    if out._v.dtype != self._v.dtype:
        if not _dtype.can_cast(out.dtype, self.dtype):
            raise RuntimeError(
                f"result type {out.dtype.title} can't be cast to the desired output type "
                f"{self.dtype.title}"
            )
        out._value = out._value.astype(self._v.dtype)
    self._set_value(out._v)
    node = out.grad_fn
    if node is not None:
        # The node keeps self's old value (an immutable snapshot): later writes can't change it.
        node._versions = [e for e in node._versions if e[1] is not self._vc]
        self.grad_fn, self._output_nr, self._requires_grad = node, out._output_nr, True
    return self


__all__ = ["Op", "apply", "Tensor", "promote", "result_type", "dims", "inplace"]

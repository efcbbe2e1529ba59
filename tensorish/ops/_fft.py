"""Discrete Fourier transforms (``torch.fft``), ``torch.stft``/``istft`` and the window functions.

PyTorch builds every transform from three kernels, and so does tensorish: ``FftC2CBackward0``
(complex to complex), ``FftR2CBackward0`` (real to complex, optionally one-sided) and
``FftC2RBackward0`` (Hermitian complex to real), each a ``jnp.fft`` call over static axes with a
static normalization. Around them the graph has PyTorch's nodes: ``SliceBackward0`` and
``ConstantPadNdBackward0`` where ``n``/``s`` trims or zero-pads the input, ``ToCopyBackward0``
where a real input is promoted to complex, ``ConjBackward0`` for the transforms PyTorch computes
as a conjugated one (``ifft`` of a real input, ``hfft``, ``ihfft``).

Gradients are JAX's vjps, in JAX's convention for complex numbers (like every tensorish op): the
gradient of a real leaf through any chain of transforms equals PyTorch's; a complex leaf's
``.grad`` is the complex conjugate of PyTorch's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from functools import partial

import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._creation import _finish
from .._tensor import Tensor, _wrap_dim
from ._common import Op, apply
from ._pointwise import _need_tensor
from ._registry import Given, Sample, T, declare, public
from ._shape import narrow, roll

# normalization of the transform a kernel computes: none, by 1/n, by 1/sqrt(n)
_NONE, _BY_N, _BY_ROOT_N = 0, 1, 2
# jnp's name of that normalization for a forward (exp(-i...)) and an inverse transform
_JNP_NORM = {True: ("backward", "forward", "ortho"), False: ("forward", "backward", "ortho")}


def _c2c_fn(x, axes, norm, forward):
    if not axes:
        return x
    fn = jnp.fft.fftn if forward else jnp.fft.ifftn
    return fn(x, axes=axes, norm=_JNP_NORM[forward][norm])


def _r2c_fn(x, axes, norm, onesided):
    jnorm = _JNP_NORM[True][norm]
    if onesided:
        return jnp.fft.rfftn(x, axes=axes, norm=jnorm)
    return jnp.fft.fftn(x.astype(jnp.result_type(x.dtype, jnp.complex64)), axes=axes, norm=jnorm)


def _c2r_fn(x, axes, norm, last_dim_size):
    s = [x.shape[a] for a in axes[:-1]] + [last_dim_size]
    return jnp.fft.irfftn(x, s=s, axes=axes, norm=_JNP_NORM[False][norm])


def _pad_end_fn(x, widths):
    return jnp.pad(x, [(0, w) for w in widths])


_c2c = Op("FftC2CBackward0", _c2c_fn, saves=())
_r2c = Op("FftR2CBackward0", _r2c_fn, saves=())
_c2r = Op("FftC2RBackward0", _c2r_fn, saves=())
_conj = Op("ConjBackward0", jnp.conj, saves=())
_conj_physical = Op("ConjPhysicalBackward0", jnp.conj, saves=())
# NOTE: aten's constant_pad_nd, which PyTorch's FFTs record when n/s grows a dimension (the same
# node name as nn.functional.pad's; that op lives above the op layer).
_pad_end = Op("ConstantPadNdBackward0", _pad_end_fn, saves=())


# -- argument handling, as PyTorch's SpectralOps.cpp ----------------------------------------------
def _norm_mode(norm: str | None, forward: bool) -> int:
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _promote(fname: str, x: Tensor, require_complex: bool) -> Tensor:
    dt = x.dtype
    if dt.is_complex:
        return x
    if not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    if dt not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"Unsupported dtype {dt.title}")
    if require_complex:
        dt = dt.to_complex()
    return x if dt is x.dtype else x.to(dt)


def _wrap(dim: int, ndim: int) -> int:
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _check_size(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int]) -> Tensor:
    """Trim (``SliceBackward0``, one per dim) and then zero-pad (one ``ConstantPadNdBackward0``)
    ``x`` to ``sizes`` along ``dims``."""
    widths = [0] * x.ndim
    for d, n in zip(dims, sizes):
        if x.shape[d] > n:
            x = narrow(x, d, 0, n)
        widths[d] = max(0, n - x.shape[d])
    return apply(_pad_end, (x,), (("widths", tuple(widths)),)) if any(widths) else x


def _shape_and_dims(x: Tensor, s, dim) -> tuple[list[int], list[int]]:
    """PyTorch's ``canonicalize_fft_shape_and_dim_args``."""
    dims = None
    if dim is not None:
        dims = [_wrap(d, x.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if dims is not None:
            if len(dims) != len(s):
                raise RuntimeError("When given, dim and shape arguments must have the same length")
        else:
            if len(s) > x.ndim:
                raise RuntimeError(
                    f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions."
                )
            dims = list(range(x.ndim - len(s), x.ndim))
        shape = [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]
        for n in shape:
            _check_size(n)
        return shape, dims
    dims = list(range(x.ndim)) if dims is None else dims
    return [x.shape[d] for d in dims], dims


def _c2r_shape(fname: str, x: Tensor, s, dim) -> tuple[list[int], list[int], int]:
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    last = 2 * (x.shape[dims[-1]] - 1) if s is None or list(s)[-1] == -1 else shape[-1]
    _check_size(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _c2c_1d(fname, x, n, dim, norm, forward) -> Tensor:
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_size(size)
    if n is not None:
        x = _resize(x, [d], [n])
    mode = _norm_mode(norm, forward)
    return apply(_c2c, (x,), (("axes", (d,)), ("norm", mode), ("forward", forward)))


def _r2c_1d(fname, x, n, dim, norm, forward, onesided) -> Tensor:
    if x.dtype.is_complex:
        raise RuntimeError(f"{fname} expects a real input tensor, but got {x.dtype.title}")
    x = _promote(fname, x, False)
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_size(size)
    if n is not None:
        x = _resize(x, [d], [n])
    mode = _norm_mode(norm, forward)
    out = apply(_r2c, (x,), (("axes", (d,)), ("norm", mode), ("onesided", onesided)))
    return out if forward else apply(_conj, (out,))


def _c2r_1d(fname, x, n, dim, norm, forward) -> Tensor:
    x = _promote(fname, x, True)
    d = _wrap(dim, x.ndim)
    last = 2 * (x.shape[d] - 1) if n is None else n
    _check_size(last)
    if n is not None:
        x = _resize(x, [d], [last // 2 + 1])
    mode = _norm_mode(norm, forward)
    if forward:
        x = apply(_conj, (x,))
    return apply(_c2r, (x,), (("axes", (d,)), ("norm", mode), ("last_dim_size", last)))


def _fft_1d(fname, x, n, dim, norm, forward: bool) -> Tensor:
    if x.dtype.is_complex:
        return _c2c_1d(fname, x, n, dim, norm, forward)
    return _r2c_1d(fname, x, n, dim, norm, forward, False)


def _fftn(fname: str, input: Tensor, s, dim, norm, forward: bool) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    x = _resize(_promote(fname, input, True), dims, shape)
    mode = _norm_mode(norm, forward)
    return apply(_c2c, (x,), (("axes", tuple(dims)), ("norm", mode), ("forward", forward)))


def _rfftn(fname: str, input: Tensor, s, dim, norm) -> Tensor:
    if input.dtype.is_complex:
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {input.dtype.title}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(fname, input, False), dims, shape)
    mode = _norm_mode(norm, True)
    return apply(_r2c, (x,), (("axes", tuple(dims)), ("norm", mode), ("onesided", True)))


def _irfftn(fname: str, input: Tensor, s, dim, norm) -> Tensor:
    shape, dims, last = _c2r_shape(fname, input, s, dim)
    x = _resize(_promote(fname, input, True), dims, shape)
    mode = _norm_mode(norm, False)
    return apply(_c2r, (x,), (("axes", tuple(dims)), ("norm", mode), ("last_dim_size", last)))


def _hfftn(fname: str, input: Tensor, s, dim, norm) -> Tensor:
    shape, dims, last = _c2r_shape(fname, input, s, dim)
    x = _resize(_promote(fname, input, True), dims, shape)
    mode = _norm_mode(norm, True)
    if len(dims) > 1:
        x = apply(_c2c, (x,), (("axes", tuple(dims[:-1])), ("norm", mode), ("forward", True)))
    x = apply(_conj, (x,))
    return apply(_c2r, (x,), (("axes", (dims[-1],)), ("norm", mode), ("last_dim_size", last)))


def _ihfftn(fname: str, input: Tensor, s, dim, norm) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    if input.dtype.is_complex:
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {input.dtype.title}")
    x = _resize(_promote(fname, input, False), dims, shape)
    mode = _norm_mode(norm, False)
    x = apply(_r2c, (x,), (("axes", (dims[-1],)), ("norm", mode), ("onesided", True)))
    if len(dims) == 1:
        return apply(_conj, (x,))
    x = apply(_conj_physical, (x,))
    return apply(_c2c, (x,), (("axes", tuple(dims[:-1])), ("norm", mode), ("forward", False)))


# -- the public transforms ----------------------------------------------------------------------
_CPLX22 = "tensorish.tensor([[4.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]])"
_ONES = "tensor([[1., 1.],\n            [1., 1.]])"
_DELTA = "tensor([[4.+0.j, 0.+0.j],\n            [0.+0.j, 0.+0.j]])"
# name: (summary, example argument, the example's output)
_DOCS = {
    "fft": (
        "The 1-D discrete Fourier transform along ``dim`` (padded or trimmed to ``n``).",
        "tensorish.tensor([1., 2., 3.])",
        "tensor([ 6.0000+0.0000j, -1.5000+0.8660j, -1.5000-0.8660j])",
    ),
    "ifft": (
        "The inverse of :func:`fft`.",
        "tensorish.tensor([1., 2., 3.])",
        "tensor([ 2.0000-0.0000j, -0.5000-0.2887j, -0.5000+0.2887j])",
    ),
    "rfft": (
        "The one-sided :func:`fft` of a real input (``n // 2 + 1`` frequencies).",
        "tensorish.tensor([1., 2., 3., 4.])",
        "tensor([10.+0.j, -2.+2.j, -2.+0.j])",
    ),
    "irfft": (
        "The inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)``).",
        "tensorish.tensor([10.+0.j, -2.+2.j, -2.+0.j])",
        "tensor([1., 2., 3., 4.])",
    ),
    "hfft": (
        "The :func:`fft` of a Hermitian-symmetric signal given by its first half: real output.",
        "tensorish.tensor([1.+0.j, 2.+0.j, 3.+0.j])",
        "tensor([ 8., -2.,  0., -2.])",
    ),
    "ihfft": (
        "The inverse of :func:`hfft`: the one-sided inverse transform of a real signal.",
        "tensorish.tensor([9., -2., 1., -2.])",
        "tensor([1.5000-0.j, 2.0000-0.j, 3.5000-0.j])",
    ),
    "fft2": (
        "The two-dimensional :func:`fftn` (over the last two dims by default).",
        "tensorish.tensor([[1., 2.], [3., 4.]])",
        "tensor([[10.+0.j, -2.+0.j],\n            [-4.+0.j,  0.+0.j]])",
    ),
    "ifft2": (
        "The inverse of :func:`fft2`.",
        "tensorish.tensor([[4., 0.], [0., 0.]])",
        "tensor([[1.+0.j, 1.+0.j],\n            [1.+0.j, 1.+0.j]])",
    ),
    "fftn": (
        "The N-dimensional discrete Fourier transform over ``dim`` (all dims by default).",
        "tensorish.ones(2, 2)",
        _DELTA,
    ),
    "ifftn": (
        "The inverse of :func:`fftn`.",
        "tensorish.tensor([[4., 0.], [0., 0.]])",
        "tensor([[1.+0.j, 1.+0.j],\n            [1.+0.j, 1.+0.j]])",
    ),
    "rfft2": ("The two-dimensional :func:`rfftn`.", "tensorish.ones(2, 2)", _DELTA),
    "irfft2": ("The inverse of :func:`rfft2`.", _CPLX22, _ONES),
    "rfftn": (
        "The N-dimensional FFT of a real input, one-sided in the last transformed dim.",
        "tensorish.ones(2, 2)",
        _DELTA,
    ),
    "irfftn": ("The inverse of :func:`rfftn`.", _CPLX22, _ONES),
    "hfft2": (
        "The two-dimensional :func:`hfftn`.",
        "tensorish.tensor([[1.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]])",
        _ONES,
    ),
    "ihfft2": (
        "The inverse of :func:`hfft2`.",
        "tensorish.ones(2, 2)",
        "tensor([[1.-0.j, 0.-0.j],\n            [0.+0.j, 0.+0.j]])",
    ),
    "hfftn": (
        "The N-dimensional FFT of a Hermitian-symmetric signal given by its one-sided half.",
        "tensorish.tensor([[1.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]])",
        _ONES,
    ),
    "ihfftn": (
        "The inverse of :func:`hfftn`.",
        "tensorish.ones(2, 2)",
        "tensor([[1.-0.j, 0.-0.j],\n            [0.+0.j, 0.+0.j]])",
    ),
}


def _doc(name: str) -> str:
    summary, arg, out = _DOCS[name]
    call = f"tensorish.fft.{name}({arg})"
    return f"{summary}\n\n    >>> import tensorish\n    >>> {call}\n    {out}\n    "


def _one_dim(name: str, impl) -> Callable:
    """``torch.fft.<name>(input, n=None, dim=-1, norm=None)``, computed by ``impl``."""

    def f(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
        _need_tensor(f"fft_{name}", ("input", input))
        return impl(name, input, n, dim, norm)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = _doc(name)
    return f


def _many_dims(name: str, impl, default_dim) -> Callable:
    """``torch.fft.<name>(input, s=None, dim=default_dim, norm=None)``, computed by ``impl``."""

    def f(input: Tensor, s=None, dim=default_dim, norm: str | None = None) -> Tensor:
        _need_tensor(f"fft_{name}", ("input", input))
        return impl(name, input, s, dim, norm)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = _doc(name)
    return f


_LAST2 = (-2, -1)
fft = _one_dim("fft", partial(_fft_1d, forward=True))
ifft = _one_dim("ifft", partial(_fft_1d, forward=False))
rfft = _one_dim("rfft", partial(_r2c_1d, forward=True, onesided=True))
irfft = _one_dim("irfft", partial(_c2r_1d, forward=False))
hfft = _one_dim("hfft", partial(_c2r_1d, forward=True))
ihfft = _one_dim("ihfft", partial(_r2c_1d, forward=False, onesided=True))
fft2 = _many_dims("fft2", partial(_fftn, forward=True), _LAST2)
ifft2 = _many_dims("ifft2", partial(_fftn, forward=False), _LAST2)
fftn = _many_dims("fftn", partial(_fftn, forward=True), None)
ifftn = _many_dims("ifftn", partial(_fftn, forward=False), None)
rfft2 = _many_dims("rfft2", _rfftn, _LAST2)
irfft2 = _many_dims("irfft2", _irfftn, _LAST2)
rfftn = _many_dims("rfftn", _rfftn, None)
irfftn = _many_dims("irfftn", _irfftn, None)
hfft2 = _many_dims("hfft2", _hfftn, _LAST2)
ihfft2 = _many_dims("ihfft2", _ihfftn, _LAST2)
hfftn = _many_dims("hfftn", _hfftn, None)
ihfftn = _many_dims("ihfftn", _ihfftn, None)


def _shift(input: Tensor, dim, shift) -> Tensor:
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [_wrap_dim(d, input.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    return roll(input, [shift(input.shape[d]) for d in dims], dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero frequency to the center (a roll by ``n // 2`` along ``dim``).

    >>> import tensorish
    >>> tensorish.fft.fftshift(tensorish.fft.fftfreq(5))
    tensor([-0.4000, -0.2000,  0.0000,  0.2000,  0.4000])
    """
    return _shift(input, dim, lambda n: n // 2)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of :func:`fftshift` (a roll by ``(n + 1) // 2``).

    >>> import tensorish
    >>> tensorish.fft.ifftshift(tensorish.fft.fftshift(tensorish.arange(5)))
    tensor([0, 1, 2, 3, 4])
    """
    return _shift(input, dim, lambda n: (n + 1) // 2)


def _freq(fname: str, count: int, n: int, d: float, dtype, device, requires_grad) -> Tensor:
    """``k / (n * d)`` for PyTorch's ``k``: ``arange(count)``, whose upper half ``fftfreq`` wraps
    to the negative frequencies."""
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    dt = _dtype.get_default_dtype() if dtype is None else dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    ks = np.arange(count)
    if fname == "fftfreq":
        ks[(n + 1) // 2 :] -= n
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = float(np.divide(1.0, n * d))
        opmath = np.float32 if dt.itemsize < 4 and not dt.is_complex else dt.np
        vals = (ks.astype(dt.np).astype(opmath) * scale).astype(dt.np)
    return _finish(vals, dt, device, requires_grad, fresh=True)


def fftfreq(
    n: int,
    d: float = 1.0,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The sample frequencies of an ``n``-point :func:`fft` with sample spacing ``d``.

    >>> import tensorish
    >>> tensorish.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    return _freq("fftfreq", n, n, d, dtype, device, requires_grad)


def rfftfreq(
    n: int,
    d: float = 1.0,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The sample frequencies of an ``n``-point :func:`rfft` with sample spacing ``d``.

    >>> import tensorish
    >>> tensorish.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    # C++'s n / 2 truncates toward zero
    return _freq("rfftfreq", int(n / 2) + 1, n, d, dtype, device, requires_grad)


# -- window functions ---------------------------------------------------------------------------
def _window(fname: str, length: int, periodic: bool, dtype, device, requires_grad, values):
    """PyTorch's window recipe: checks, the 0- and 1-point windows, one extra point when
    ``periodic`` (dropped at the end). ``values(n, ops, arange(n))`` computes an n-point
    symmetric window on the host with PyTorch's chain of in-place ops (``ops``: an
    :class:`_Arith`), so half-precision windows round as PyTorch's do."""
    dt = _dtype.get_default_dtype() if dtype is None else dtype
    if length < 0:
        raise RuntimeError(
            f"{fname} requires non-negative window_length, got window_length={length}"
        )
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            f"{fname} expects floating point dtypes, got: TensorOptions(dtype={_CPP[dt.name]}, "
            "device=cpu, layout=Strided (default), requires_grad=false (default), "
            "pinned_memory=false, memory_format=(nullopt))"
        )
    if dt.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dt.title}'")
    if length <= 1:
        vals = np.ones(length, dt.np)
    else:
        n = length + 1 if periodic else length
        vals = values(n, _Arith(dt.np), np.arange(n, dtype=dt.np))[:length]
    return _finish(vals, dt, device, requires_grad, fresh=True)


class _Arith:
    """PyTorch's CPU arithmetic on a tensor of dtype ``dt``: a Python scalar is first rounded
    to ``dt``, the op runs in opmath (float32 for half precision) and rounds back to ``dt``."""

    def __init__(self, dt) -> None:
        self.dt, self.op = dt, np.float32 if dt.itemsize < 4 else dt

    def _run(self, fn, *xs):
        return np.asarray(fn(*(np.asarray(x, self.dt).astype(self.op) for x in xs))).astype(self.dt)

    def mul(self, x, c):
        return self._run(np.multiply, x, c)

    def add(self, x, c):
        return self._run(np.add, x, c)

    def sub(self, x, y):
        return self._run(np.subtract, x, y)

    def cos(self, x):
        return self._run(np.cos, x)


_CPP = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char"}
_CPP |= {"uint8": "unsigned char", "bool": "bool"}


def _hamming_values(alpha: float, beta: float):
    def values(n, ops, k):
        w = ops.cos(ops.mul(k, math.pi * 2.0 / (n - 1)))
        return ops.add(ops.mul(w, -beta), alpha)

    return values


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The Hann window, ``0.5 - 0.5 cos(2 pi k / (N - 1))`` (periodic: one point longer, last
    point dropped).

    >>> import tensorish
    >>> tensorish.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    values = _hamming_values(0.5, 0.5)
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, values)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The Hamming window, ``alpha - beta cos(2 pi k / (N - 1))``.

    >>> import tensorish
    >>> tensorish.hamming_window(4)
    tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    values = _hamming_values(alpha, beta)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, values)


def _blackman_values(n, ops, k):
    w = ops.mul(k, math.pi / (n - 1))
    first = ops.mul(ops.cos(ops.mul(w, 4)), 0.08)
    second = ops.mul(ops.cos(ops.mul(w, 2)), 0.5)
    return ops.add(ops.sub(first, second), 0.42)


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The Blackman window, ``0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))``.

    >>> import tensorish
    >>> tensorish.blackman_window(3, periodic=False)
    tensor([-2.9802e-08,  1.0000e+00, -2.9802e-08])
    """
    return _window(
        "blackman_window", window_length, periodic, dtype, device, requires_grad, _blackman_values
    )


def _bartlett_values(n, ops, k):
    w = ops.mul(k, 2.0 / (n - 1))
    half = ((n - 1) >> 1) + 1
    w[half:] = ops.add(ops.mul(w[half:], -1), 2)
    return w


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The Bartlett (triangular) window.

    >>> import tensorish
    >>> tensorish.bartlett_window(5, periodic=False)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window(
        "bartlett_window", window_length, periodic, dtype, device, requires_grad, _bartlett_values
    )


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: _dtype.dtype | None = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The Kaiser window, ``I0(beta sqrt(1 - ((k - a) / a)**2)) / I0(beta)``, ``a = (N - 1) / 2``.

    >>> import tensorish
    >>> tensorish.kaiser_window(3, periodic=False, beta=1.0)
    tensor([0.7898, 1.0000, 0.7898])
    """

    def values(n, ops, k):
        # the whole formula in opmath, then rounded
        alpha = (n - 1) / 2.0
        v = k.astype(ops.op)
        w = np.i0(beta * np.sqrt(np.abs(1 - ((v - alpha) / alpha) ** 2)))
        w = w / np.i0(np.asarray(beta, ops.op))
        return w.astype(ops.dt)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


# -- stft / istft -------------------------------------------------------------------------------
def _stft_fn(x, w, *, n_fft, hop, pad, pad_mode, left, onesided, normalized, real):
    squeeze = x.ndim == 1
    x = x[None] if squeeze else x
    w = jnp.pad(w, (left, n_fft - w.shape[0] - left))
    if pad:
        x = jnp.pad(x, ((0, 0), (pad, pad)), mode=pad_mode)
    frames = 1 + (x.shape[-1] - n_fft) // hop
    idx = jnp.arange(n_fft)[None, :] + hop * jnp.arange(frames)[:, None]
    x = x[:, idx] * w
    norm = _JNP_NORM[True][_BY_ROOT_N if normalized else _NONE]
    if onesided:
        out = jnp.fft.rfft(x, axis=-1, norm=norm)
    else:
        out = jnp.fft.fft(x.astype(jnp.result_type(x.dtype, jnp.complex64)), axis=-1, norm=norm)
    out = jnp.swapaxes(out, 1, 2)
    out = out[0] if squeeze else out
    return jnp.stack([out.real, out.imag], -1) if real else out


# NOTE: stft is one op (frames, window, FFT, transpose); it records PyTorch's outermost node.
_stft = {
    name: Op(name, _stft_fn, saves=())
    for name in ("TransposeBackward1", "SqueezeBackward4", "ViewAsRealBackward0")
}
_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}


def _tensor_name(x: Tensor) -> str:
    kinds = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}
    kinds |= {"complex64": "ComplexFloat", "complex128": "ComplexDouble", "int64": "Long"}
    kinds |= {"int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return f"tensorish.{kinds[x.dtype.name]}Tensor"


def _opt(v) -> str:
    return "None" if v is None else str(int(v))


# the samples' window: rectangular, given so that no warning asks for one; their outputs (stft)
# or inputs (istft) are complex, whose gradients the oracle test does not compare
_RECTANGLE = Given([1.0] * 8, "float32")


@declare(
    test=Sample(
        ((20,), _RECTANGLE), args=(T, 8, None, None, T), kwargs={"return_complex": True}, grad=False
    )
)
def stft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: bool | None = None,
    return_complex: bool | None = None,
) -> Tensor:
    """The short-time Fourier transform: FFTs of ``n_fft``-point windowed frames every
    ``hop_length`` samples, shaped ``(batch?, frequencies, frames)``.

    >>> import tensorish
    >>> s = tensorish.stft(tensorish.arange(8.), 4, window=tensorish.hann_window(4),
    ...                    return_complex=True)
    >>> s.shape
    tensorish.Size([3, 9])
    """
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    pad = n_fft // 2 if center else 0
    if pad_mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {pad_mode}")
    if center and input.ndim in (1, 2) and pad >= input.shape[-1] and pad_mode == "reflect":
        shape = [1] * (3 - input.ndim) + list(input.shape)
        raise RuntimeError(
            "Argument #4: Padding size should be less than the corresponding input dimension, "
            f"but got: padding ({pad}, {pad}) at dimension 2 of input {shape}"
        )
    cplx = input.dtype.is_complex or (window is not None and window.dtype.is_complex)
    rc = cplx if return_complex is None else return_complex
    if not rc:
        if return_complex is None:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release."
            )
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise an "
            "error.\nNote: you can still call tensorish.view_as_real on the complex output to "
            "recover the old return format.",
            UserWarning,
            stacklevel=2,
        )
    padded = list(input.shape[:-1]) + [input.shape[-1] + 2 * pad] if input.ndim else []
    wdesc = "None" if window is None else f"{_tensor_name(window)}{{{list(window.shape)}}}"
    head = (
        f"stft({_tensor_name(input)}{padded}, n_fft={n_fft}, hop_length={hop}, "
        f"win_length={win}, window={wdesc}, normalized={int(normalized)}, "
        f"onesided={_opt(onesided)}, return_complex={_opt(return_complex)}, "
        "align_to_window=None) : "
    )
    if window is None:
        warnings.warn(
            "A window was not provided. A rectangular window will be applied,which is known to "
            "cause spectral leakage. Other windows such as tensorish.hann_window or "
            "tensorish.hamming_window are recommended to reduce spectral leakage.To suppress this "
            "warning and use a rectangular window, explicitly set "
            "`window=tensorish.ones(n_fft, device=<device>)`.",
            UserWarning,
            stacklevel=2,
        )
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(head + "expected a tensor of floating point or complex values")
    if input.ndim not in (1, 2):
        raise RuntimeError(head + "expected a 1D or 2D tensor")
    length = input.shape[-1] + 2 * pad
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(head + f"expected 0 < n_fft < {length}, but got n_fft={win}")
    if hop <= 0:
        raise RuntimeError(head + f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(head + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(
            head + f"expected a 1D window tensor of size equal to win_length={win}, but got "
            f"window with size {list(window.shape)}"
        )
    one_sided = not cplx if onesided is None else onesided
    if cplx and one_sided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    w = window if window is not None else _ones(win, input)
    name = "TransposeBackward1" if input.ndim == 2 else "SqueezeBackward4"
    static = (
        ("n_fft", n_fft), ("hop", hop), ("pad", pad), ("pad_mode", _PAD_MODES[pad_mode]),
        ("left", (n_fft - win) // 2), ("onesided", one_sided), ("normalized", bool(normalized)),
        ("real", not rc),
    )  # fmt: skip
    return apply(_stft["ViewAsRealBackward0" if not rc else name], (input, w), static)


def _ones(n: int, like: Tensor) -> Tensor:
    return _finish(np.ones(n), like.dtype.to_real(), like.device, False)


def _istft_fn(x, w, *, n_fft, hop, left, normalized, start, end, length):
    squeeze = x.ndim == 2
    x = x[None] if squeeze else x
    w = jnp.pad(w, (left, n_fft - w.shape[0] - left))
    # PyTorch inverts a two-sided input from its first n_fft // 2 + 1 frequencies too
    x = jnp.swapaxes(x, 1, 2)[..., : n_fft // 2 + 1]
    norm = _JNP_NORM[False][_BY_ROOT_N if normalized else _BY_N]
    frames = jnp.fft.irfft(x, n=n_fft, axis=-1, norm=norm) * w
    count = frames.shape[1]
    total = n_fft + hop * (count - 1)
    idx = (jnp.arange(n_fft)[None, :] + hop * jnp.arange(count)[:, None]).ravel()
    y = (
        jnp.zeros((frames.shape[0], total), frames.dtype)
        .at[:, idx]
        .add(frames.reshape(frames.shape[0], -1))
    )
    envelope = jnp.zeros(total, w.dtype).at[idx].add(jnp.tile(w * w, count))
    y = y[:, start:end] / envelope[start:end]
    y = y[0] if squeeze else y
    return jnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, length - y.shape[-1])]) if length else y


# NOTE: istft is one op too (inverse FFTs, window, overlap-add, envelope division).
_istft = {
    name: Op(name, _istft_fn, saves=())
    for name in ("DivBackward0", "SqueezeBackward1", "ConstantPadNdBackward0")
}


@declare(
    test=Sample(((5, 6), _RECTANGLE), args=(T, 8, None, None, T), dtype="complex64", grad=False)
)
def istft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    normalized: bool = False,
    onesided: bool | None = None,
    length: int | None = None,
    return_complex: bool = False,
) -> Tensor:
    """The inverse of :func:`stft`: overlap-added inverse FFTs of the frames, divided by the
    summed squared window.

    >>> import tensorish
    >>> x = tensorish.arange(8.)
    >>> w = tensorish.hann_window(4)
    >>> tensorish.istft(tensorish.stft(x, 4, window=w, return_complex=True), 4, window=w)
    tensor([0., 1., 2., 3., 4., 5., 6., 7.])
    """
    if not input.dtype.is_complex:
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with "
            "return_complex=True."
        )
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    fft_size, frames = input.shape[-2], input.shape[-1]
    wdesc = "None" if window is None else f"{_tensor_name(window)}{{{list(window.shape)}}}"
    kind = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}[input.dtype.name]
    head = (
        f"istft(CPU{kind}Type{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
        f"win_length={win}, window={wdesc}, center={int(center)}, normalized={int(normalized)}, "
        f"onesided={_opt(onesided)}, length={'None' if length is None else length}, "
        f"return_complex={int(return_complex)}) : "
    )
    if window is None:
        warnings.warn(
            "A window was not provided. A rectangular window will be applied.Please provide the "
            "same window used by stft to make the inversion lossless.To suppress this warning "
            "and use a rectangular window, explicitly set "
            "`window=tensorish.ones(n_fft, device=<device>)`.",
            UserWarning,
            stacklevel=2,
        )
    if input.ndim not in (2, 3):
        raise RuntimeError(
            head + "expected a tensor with 3 or 4 dimensions of complex dtype, but got "
            f"{input.ndim + 1}"
        )
    one_sided = fft_size != n_fft if onesided is None else onesided
    if one_sided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(
            head + "expected the frequency dimension (3rd to the last) of the input tensor to "
            f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}"
        )
    if not one_sided and n_fft != fft_size:
        raise RuntimeError(
            head + "expected the frequency dimension (3rd to the last) of the input tensor to "
            f"match n_fft when onesided=False, but got {fft_size}"
        )
    if not 0 < hop <= win:
        raise RuntimeError(head + "expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(head + "expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(
            head + f"expected a 1D window tensor of size equal to win_length={win}, but got "
            f"window with size {list(window.shape)}"
        )
    if return_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    w = window if window is not None else _ones(win, input)
    total = n_fft + hop * (frames - 1)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else total - n_fft // 2 if center else total
    end_in = min(end, total)
    left = (n_fft - win) // 2
    envelope = np.zeros(total)
    wv = np.pad(np.asarray(w.detach().jax(), dtype=np.float64) ** 2, (left, n_fft - win - left))
    for f in range(frames):
        envelope[f * hop : f * hop + n_fft] += wv
    low = np.abs(envelope[start:end_in]).min() if end_in > start else np.inf
    if low < 1e-11:
        raise RuntimeError(
            head.replace(" : ", " ") + "window overlap add min: 1\n[ CPUBoolType{} ]"
        )
    pad = 0
    if end > total:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning,
            stacklevel=2,
        )
        pad = end - start
    name = (
        "ConstantPadNdBackward0"
        if pad
        else "DivBackward0"
        if input.ndim == 3
        else "SqueezeBackward1"
    )
    static = (
        ("n_fft", n_fft), ("hop", hop), ("left", left), ("normalized", bool(normalized)),
        ("start", start), ("end", end_in), ("length", pad),
    )  # fmt: skip
    return apply(_istft[name], (input, w), static)


__all__ = [
    *public(__name__),
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
]

"""Kernels of the convolutions, pooling, padding and resizing of ``tensorish.nn.functional``:
one op each, named after the ``grad_fn`` PyTorch gives the output; ``nn/functional.py`` checks
the arguments and calls them.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from ._common import Op

_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _convolve(x, w, b, nd: int, **conv):
    """``lax.conv_general_dilated`` of a batch (or of one sample) plus the bias per channel."""
    batched = x.ndim == nd + 2
    if not batched:
        x = x[None]
    dn = lax.conv_dimension_numbers(x.shape, w.shape, _DN[nd])
    y = lax.conv_general_dilated(x, w, dimension_numbers=dn, **conv)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y if batched else y[0]


def _conv_fn(x, w, b, stride, padding, dilation, groups, nd):
    return _convolve(
        x,
        w,
        b,
        nd,
        window_strides=stride,
        padding=padding,
        rhs_dilation=dilation,
        feature_group_count=groups,
    )


def _conv_t_fn(x, w, b, stride, padding, output_padding, dilation, groups, nd):
    cin, k = w.shape[0], w.shape[2:]
    # (Cin, Cout/g, *k) -> (Cout, Cin/g, *k), spatially flipped: a transposed convolution is a
    # convolution of the stride-dilated input with the flipped, transposed kernel.
    w = w.reshape((groups, cin // groups) + w.shape[1:])
    w = jnp.swapaxes(w, 1, 2).reshape((groups * w.shape[2], cin // groups) + k)
    w = jnp.flip(w, axis=tuple(range(2, 2 + nd)))
    pads = [
        (d * (kk - 1) - p, d * (kk - 1) - p + op)
        for kk, p, op, d in zip(k, padding, output_padding, dilation)
    ]
    return _convolve(
        x,
        w,
        b,
        nd,
        window_strides=(1,) * nd,
        padding=pads,
        lhs_dilation=stride,
        rhs_dilation=dilation,
        feature_group_count=groups,
    )


conv = Op("ConvolutionBackward0", _conv_fn)
conv_transpose = Op("ConvolutionBackward0", _conv_t_fn)


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_pads(shape, k, s, p, d, ceil_mode) -> tuple:
    pads = []
    for size, kk, ss, pp, dd in zip(shape, k, s, p, d):
        out = _pool_out(size, kk, ss, pp, dd, ceil_mode)
        extra = max(0, (out - 1) * ss + dd * (kk - 1) + 1 - (size + 2 * pp))
        pads.append((pp, pp + extra))
    return tuple(pads)


def _max_pool_fn(x, kernel, stride, padding, dilation, ceil_mode):
    nd = len(kernel)
    lead = x.ndim - nd
    pads = ((0, 0),) * lead + _pool_pads(
        x.shape[lead:], kernel, stride, padding, dilation, ceil_mode
    )
    # A Python scalar init lets JAX see the max monoid (and so differentiate it).
    init = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
    if all(d == 1 for d in dilation):
        return lax.reduce_window(x, init, lax.max, (1,) * lead + kernel, (1,) * lead + stride, pads)
    # JAX has no gradient for a dilated max window: take the max over the strided slices, one
    # per kernel offset, instead.
    xp = lax.pad(x, jnp.asarray(init, x.dtype), [(lo, hi, 0) for lo, hi in pads])
    outs = [
        (xp.shape[lead + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)
    ]
    best = None
    for offset in np.ndindex(*kernel):
        start = (0,) * lead + tuple(o * d for o, d in zip(offset, dilation))
        limit = x.shape[:lead] + tuple(
            s + (n - 1) * st + 1 for s, n, st in zip(start[lead:], outs, stride)
        )
        piece = lax.slice(xp, start, limit, (1,) * lead + stride)
        best = piece if best is None else jnp.maximum(best, piece)
    return best


def _avg_pool_fn(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    nd = len(kernel)
    lead = x.ndim - nd
    spatial = x.shape[lead:]
    pads = _pool_pads(spatial, kernel, stride, padding, (1,) * nd, ceil_mode)
    window, strides = (1,) * lead + kernel, (1,) * lead + stride
    total = lax.reduce_window(x, 0.0, lax.add, window, strides, ((0, 0),) * lead + pads)
    if divisor_override:
        return total / divisor_override
    # PyTorch's divisor: the window clipped to the padded input (count_include_pad) or to the
    # input itself; windows that ceil_mode lets run past the padding never count that part.
    ones = np.ones(spatial, np.float32)
    ones = np.pad(
        ones, [(p, p) for p in padding], constant_values=1.0 if count_include_pad else 0.0
    )
    ones = np.pad(ones, [(0, hi - p) for (_, hi), p in zip(pads, padding)])
    count = lax.reduce_window(jnp.asarray(ones), 0.0, lax.add, kernel, stride, ((0, 0),) * nd)
    return total / count.astype(x.dtype)


max_pool = {
    1: Op("SqueezeBackward1", _max_pool_fn),
    2: Op("MaxPool2DWithIndicesBackward0", _max_pool_fn),
    3: Op("MaxPool3DWithIndicesBackward0", _max_pool_fn),
}


avg_pool = {
    1: Op("SqueezeBackward1", _avg_pool_fn, saves=()),
    2: Op("AvgPool2DBackward0", _avg_pool_fn, saves=()),
    3: Op("AvgPool3DBackward0", _avg_pool_fn, saves=()),
}


def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    m = np.zeros((out, size), np.float32)
    for i in range(out):
        lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _adaptive_avg_fn(x, output_size):
    for axis, out in zip(range(x.ndim - len(output_size), x.ndim), output_size):
        m = jnp.asarray(_adaptive_matrix(x.shape[axis], out), x.dtype)
        x = jnp.moveaxis(jnp.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


adaptive_avg_pool = {
    1: Op("SqueezeBackward1", _adaptive_avg_fn, saves=()),
    2: Op("AdaptiveAvgPool2DBackward0", _adaptive_avg_fn, saves=()),
    3: Op("AdaptiveAvgPool3DBackward0", _adaptive_avg_fn, saves=()),
}


def _pad_fn(x, pad, mode, value):
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        return lax.pad(x, jnp.asarray(value, x.dtype), [(lo, hi, 0) for lo, hi in widths])
    return jnp.pad(
        x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    )


_pad_ops: dict = {}


def pad(name: str) -> Op:
    """The padding op named ``name`` (PyTorch's name depends on the mode and the dims)."""
    op = _pad_ops.get(name)
    if op is None:
        op = _pad_ops[name] = Op(name, _pad_fn, saves=())
    return op


def _interp_matrix(
    size: int, out: int, mode: str, align_corners: bool, scale: float | None
) -> np.ndarray:
    m = np.zeros((out, size), np.float64)
    dst = np.arange(out, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        s = (1.0 / scale) if scale else size / out
        src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * s)
        m[np.arange(out), np.minimum(src.astype(np.int64), size - 1)] = 1.0
        return m
    if align_corners:
        s = (size - 1) / (out - 1) if out > 1 else 0.0
        src = dst * s
    else:
        s = (1.0 / scale) if scale else size / out
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), size - 1)
    hi = np.minimum(lo + 1, size - 1)
    lam = src - lo
    np.add.at(m, (np.arange(out), lo), 1 - lam)
    np.add.at(m, (np.arange(out), hi), lam)
    return m


def _interp_fn(x, sizes, mode, align_corners, scales):
    nd = len(sizes)
    for i, (out, sc) in enumerate(zip(sizes, scales)):
        axis = x.ndim - nd + i
        m = jnp.asarray(_interp_matrix(x.shape[axis], out, mode, align_corners, sc), x.dtype)
        x = jnp.moveaxis(jnp.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


_INTERP_NAMES = {
    ("nearest", 1): "UpsampleNearest1DBackward0",
    ("nearest", 2): "UpsampleNearest2DBackward0",
    ("nearest", 3): "UpsampleNearest3DBackward0",
    ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
    ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
    ("linear", 1): "UpsampleLinear1DBackward0",
    ("bilinear", 2): "UpsampleBilinear2DBackward0",
    ("trilinear", 3): "UpsampleTrilinear3DBackward0",
}


interpolate = {k: Op(v, _interp_fn, saves=()) for k, v in _INTERP_NAMES.items()}

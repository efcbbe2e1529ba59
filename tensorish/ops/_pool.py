"""Kernels of the pools that return where their maxima came from (max pooling with indices,
adaptive and fractional max pooling), their inverse (max unpooling), power-average pooling
and embedding bags (a pool over rows of a table); one op each, named after the ``grad_fn``
PyTorch gives the output. ``nn/functional.py`` checks the arguments and calls them.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._common import Op
from ._conv import _avg_pool_fn, _pool_out


def _window_max(x, windows):
    """The maximum of each window and its flat index in the input's spatial dims.

    ``windows`` holds, per spatial dim, ``(idx, valid)``: the input positions of each output's
    window, shape ``(B or 1, out, K)`` (B: the planes, the leading dims flattened), and which
    of them lie inside the input. Ties keep the first position in scan order and NaN wins, as
    PyTorch's kernels do (``jnp.argmax`` does both).
    """
    nd = len(windows)
    lead, spatial = x.shape[: x.ndim - nd], x.shape[x.ndim - nd :]
    planes = math.prod(lead)
    x2 = x.reshape(planes, *spatial)
    rank = 1 + 2 * nd

    def spread(a, i):  # (B, out, K) -> broadcastable over (B, o0, K0, o1, K1, ...)
        shape = [a.shape[0]] + [1] * (2 * nd)
        shape[1 + 2 * i], shape[2 + 2 * i] = a.shape[1], a.shape[2]
        return a.reshape(shape)

    b = jnp.arange(planes).reshape((planes,) + (1,) * (rank - 1))
    idx = [spread(jnp.clip(w[0], 0, n - 1), i) for i, (w, n) in enumerate(zip(windows, spatial))]
    valid = True
    flat = 0
    for i, w in enumerate(windows):
        valid = valid & spread(w[1], i)
        flat = flat + spread(w[0], i) * math.prod(spatial[i + 1 :])
    order = (0, *range(1, rank, 2), *range(2, rank, 2))
    outs = tuple(w[0].shape[1] for w in windows)

    def windowed(a):
        a = jnp.broadcast_to(a, (planes,) + tuple(np.broadcast_shapes(*(i.shape for i in idx))[1:]))
        return jnp.transpose(a, order).reshape(planes, *outs, -1)

    low = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    vals = jnp.where(windowed(valid), windowed(x2[(b, *idx)]), jnp.asarray(low, x.dtype))
    arg = jnp.argmax(vals, axis=-1)[..., None]
    out = jnp.take_along_axis(vals, arg, -1)[..., 0]
    where = jnp.take_along_axis(windowed(flat), arg, -1)[..., 0].astype(jnp.int64)
    return out.reshape(*lead, *outs), where.reshape(*lead, *outs)


def _sliding(size, out, k, s, p, d):
    pos = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d
    return pos[None], ((pos >= 0) & (pos < size))[None]


def _max_pool_fn(x, kernel, stride, padding, dilation, ceil_mode):
    nd = len(kernel)
    spatial = x.shape[x.ndim - nd :]
    windows = [
        _sliding(n, _pool_out(n, k, s, p, d, ceil_mode), k, s, p, d)
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
    ]
    return _window_max(x, windows)


def _adaptive_window(size, out):
    start = (np.arange(out) * size) // out
    end = -(-((np.arange(out) + 1) * size) // out)
    pos = start[:, None] + np.arange(int((end - start).max()))[None, :]
    return pos[None], (pos < end[:, None])[None]


def _adaptive_max_fn(x, output_size):
    spatial = x.shape[x.ndim - len(output_size) :]
    return _window_max(x, [_adaptive_window(n, o) for n, o in zip(spatial, output_size)])


def _fractional_window(u, size, out, k):
    """PyTorch's pseudo-random window starts of one dim, for each plane's sample ``u``."""
    i = jnp.arange(out - 1, dtype=u.dtype)
    if out > 1:
        alpha = jnp.asarray(size - k, u.dtype) / jnp.asarray(out - 1, u.dtype)
        starts = ((i + u[:, None]) * alpha).astype(jnp.int64) - (u[:, None] * alpha).astype(
            jnp.int64
        )
    else:
        starts = jnp.zeros((u.shape[0], 0), jnp.int64)
    starts = jnp.concatenate([starts, jnp.full((u.shape[0], 1), size - k, jnp.int64)], 1)
    pos = starts[:, :, None] + jnp.arange(k)[None, None, :]
    return pos, jnp.ones(pos.shape, bool)


def _fractional_max_fn(x, samples, kernel, output_size):
    nd = len(kernel)
    spatial = x.shape[x.ndim - nd :]
    u = samples.reshape(-1, nd)
    # PyTorch's 2-D kernel reads the samples width first; its 3-D kernel, time first.
    order = (1, 0) if nd == 2 else (0, 1, 2)
    windows = [
        _fractional_window(u[:, order[i]], n, o, k)
        for i, (n, o, k) in enumerate(zip(spatial, output_size, kernel))
    ]
    return _window_max(x, windows)


max_pool_with_indices = {
    1: Op("SqueezeBackward1", _max_pool_fn, saves=(), n_out=2),
    2: Op("MaxPool2DWithIndicesBackward0", _max_pool_fn, saves=(), n_out=2),
    3: Op("MaxPool3DWithIndicesBackward0", _max_pool_fn, saves=(), n_out=2),
}
adaptive_max_pool = {
    1: Op("SqueezeBackward1", _adaptive_max_fn, saves=(), n_out=2),
    2: Op("AdaptiveMaxPool2DBackward0", _adaptive_max_fn, saves=(), n_out=2),
    3: Op("AdaptiveMaxPool3DBackward0", _adaptive_max_fn, saves=(), n_out=2),
}
fractional_max_pool = {
    2: Op("FractionalMaxPool2DBackward0", _fractional_max_fn, saves=(), n_out=2),
    3: Op("FractionalMaxPool3DBackward0", _fractional_max_fn, saves=(), n_out=2),
}


def _max_unpool_fn(x, indices, output_size):
    nd = len(output_size)
    lead = x.shape[: x.ndim - nd]
    planes = math.prod(lead)
    flat = x.reshape(planes, -1)
    where = indices.reshape(planes, -1)
    out = jnp.zeros((planes, math.prod(output_size)), x.dtype)
    out = out.at[jnp.arange(planes)[:, None], where].set(flat, mode="drop")
    return out.reshape(*lead, *output_size)


max_unpool = {
    1: Op("SqueezeBackward1", _max_unpool_fn, saves=()),
    2: Op("MaxUnpool2DBackward0", _max_unpool_fn, saves=()),
    3: Op("MaxUnpool3DBackward0", _max_unpool_fn, saves=()),
}


def _lp_pool_fn(x, norm_type, kernel, stride, ceil_mode):
    nd = len(kernel)
    avg = _avg_pool_fn(x**norm_type, kernel, stride, (0,) * nd, ceil_mode, True, None)
    return (jnp.sign(avg) * jnp.maximum(jnp.abs(avg), 0) * math.prod(kernel)) ** (1.0 / norm_type)


lp_pool = Op("PowBackward0", _lp_pool_fn)


def _embedding_bag_fn(idx, w, psw, bags, bag_count, mode, padding_idx):
    rows = jnp.take(w, idx, axis=0)
    keep = jnp.ones(idx.shape, bool) if padding_idx is None else idx != padding_idx
    if psw is not None:
        rows = rows * psw[:, None]
    if mode == "max":
        low = jnp.asarray(-jnp.inf, w.dtype)
        best = jax.ops.segment_max(
            jnp.where(keep[:, None], rows, low), bags, num_segments=bag_count
        )
        return jnp.where(jnp.isneginf(best), jnp.zeros_like(best), best)
    total = jax.ops.segment_sum(
        jnp.where(keep[:, None], rows, jnp.zeros_like(rows)), bags, num_segments=bag_count
    )
    if mode == "sum":
        return total
    count = jax.ops.segment_sum(keep.astype(w.dtype), bags, num_segments=bag_count)
    return total / jnp.maximum(count, 1)[:, None]


embedding_bag = Op("EmbeddingBagBackward0", _embedding_bag_fn)

"""Kernels of the normalizations and distances of ``tensorish.nn.functional`` (batch, layer,
group and RMS norm; normalize, cosine similarity, pairwise distance): one op each, named after
the ``grad_fn`` PyTorch gives the output.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._common import Op


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _bn_train_fn(x, w, b, rm, rv, factor, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    mean = jnp.mean(x, axes)
    var = jnp.mean(jnp.square(x - _channel(mean, x.ndim)), axes)
    y = (x - _channel(mean, x.ndim)) * _channel(lax.rsqrt(var + eps), x.ndim)
    if w is not None:
        y = y * _channel(w, x.ndim)
    if b is not None:
        y = y + _channel(b, x.ndim)
    if rm is None:
        return y, mean, var
    n = x.size // x.shape[1]
    new_rm = (1 - factor) * rm + factor * lax.stop_gradient(mean).astype(rm.dtype)
    new_rv = (1 - factor) * rv + factor * lax.stop_gradient(var * (n / max(n - 1, 1))).astype(
        rv.dtype
    )
    return y, new_rm, new_rv


def _bn_eval_fn(x, w, b, rm, rv, eps):
    y = (x - _channel(rm, x.ndim)) * _channel(lax.rsqrt(rv + eps), x.ndim)
    if w is not None:
        y = y * _channel(w, x.ndim)
    if b is not None:
        y = y + _channel(b, x.ndim)
    return y


batch_norm_train = Op("NativeBatchNormBackward0", _bn_train_fn, n_out=3)
batch_norm_eval = Op("NativeBatchNormBackward0", _bn_eval_fn)


def _ln_fn(x, w, b, nd, eps):
    axes = tuple(range(x.ndim - nd, x.ndim))
    mean = jnp.mean(x, axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axes, keepdims=True)
    y = (x - mean) * lax.rsqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


layer_norm = Op("NativeLayerNormBackward0", _ln_fn)


def _gn_fn(x, w, b, groups, eps):
    n = x.shape[0]
    g = x.reshape(n, groups, -1)
    mean = jnp.mean(g, -1, keepdims=True)
    var = jnp.mean(jnp.square(g - mean), -1, keepdims=True)
    y = ((g - mean) * lax.rsqrt(var + eps)).reshape(x.shape)
    if w is not None:
        y = y * _channel(w, x.ndim)
    if b is not None:
        y = y + _channel(b, x.ndim)
    return y


group_norm = Op("NativeGroupNormBackward0", _gn_fn)


def _rms_fn(x, w, nd, eps):
    axes = tuple(range(x.ndim - nd, x.ndim))
    if eps is None:
        eps = float(jnp.finfo(x.dtype).eps)
    y = x * lax.rsqrt(jnp.mean(jnp.square(x), axes, keepdims=True) + eps)
    return y if w is None else y * w


rms_norm = Op("MulBackward0", _rms_fn)


def _lp_normalize_fn(x, p, dim, eps):
    n = jnp.sum(jnp.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / jnp.maximum(n, eps)


normalize = Op("DivBackward0", _lp_normalize_fn)


def _cos_sim_fn(a, b, dim, eps):
    a, b = jnp.broadcast_arrays(a, b)
    na = jnp.sqrt(jnp.sum(a * a, axis=dim, keepdims=True))
    nb = jnp.sqrt(jnp.sum(b * b, axis=dim, keepdims=True))
    return jnp.sum(a / jnp.maximum(na, eps) * (b / jnp.maximum(nb, eps)), axis=dim)


cosine_similarity = Op("SumBackward1", _cos_sim_fn)


def _pdist_fn(a, b, p, eps, keepdim):
    return jnp.sum(jnp.abs(a - b + eps) ** p, axis=-1, keepdims=keepdim) ** (1.0 / p)


pairwise_distance = Op("NormBackward1", _pdist_fn)


def _in_fn(x, w, b, rm, rv, factor, eps):
    axes = tuple(range(2, x.ndim))
    mean = jnp.mean(x, axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axes, keepdims=True)
    y = (x - mean) * lax.rsqrt(var + eps)
    if w is not None:
        y = y * _channel(w, x.ndim)
    if b is not None:
        y = y + _channel(b, x.ndim)
    if rm is None:
        return y
    n = x.size // (x.shape[0] * x.shape[1])
    # The running stats move by the batch average of each instance's mean and unbiased var.
    batch_mean = lax.stop_gradient(jnp.mean(mean, (0, *axes))).astype(rm.dtype)
    batch_var = lax.stop_gradient(jnp.mean(var, (0, *axes)) * (n / max(n - 1, 1)))
    return y, (1 - factor) * rm + factor * batch_mean, (1 - factor) * rv + factor * batch_var


instance_norm = Op("ViewBackward0", _in_fn)
instance_norm_tracked = Op("ViewBackward0", _in_fn, n_out=3)
instance_norm_eval = Op("ViewBackward0", _bn_eval_fn)


def _lrn_fn(x, size, alpha, beta, k):
    sq = jnp.square(x)
    widths = [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2)
    sq = jnp.pad(sq, widths)
    c = x.shape[1]
    window = sum(lax.slice_in_dim(sq, i, i + c, axis=1) for i in range(size))
    return x / (window / size * alpha + k) ** beta


local_response_norm = Op("DivBackward0", _lrn_fn)


def _cross_map_windows(channels: int, size: int) -> tuple:
    """The channel windows of PyTorch's CrossMapLRN2d: its forward's running sum (which, as
    PyTorch's does, never drops channel 0 once past it) and its backward's."""
    pre = int((size - 1) / 2 + 1)
    fwd = np.zeros((channels, channels), np.float32)
    fwd[0, : min(pre, channels)] = 1
    for c in range(1, channels):
        fwd[c] = fwd[c - 1]
        if c < channels - pre + 1:
            fwd[c, c + pre - 1] += 1
        if c > pre:
            fwd[c, c - pre] -= 1
    back = int(size - (size - 1) / 2)
    bwd = np.zeros((channels, channels), np.float32)
    for c in range(channels):
        bwd[c, max(c - back, 0) : min(c + size - back, channels)] = 1
    return fwd, bwd


# NOTE: PyTorch's CrossMapLRN2d has a hand-written backward whose channel window is not the
# forward's (see _cross_map_windows): its gradient is not the forward's derivative, so this
# one is written out to match it.
@partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3, 4))
def _cross_map_lrn_fn(x, size, alpha, beta, k):
    return _cross_map_forward(x, size, alpha, beta, k)[0]


def _cross_map_forward(x, size, alpha, beta, k):
    fwd, _ = _cross_map_windows(x.shape[1], size)
    scale = k + alpha / size * jnp.einsum("cj,nj...->nc...", fwd.astype(x.dtype), x * x)
    out = x * scale ** (-beta)
    return out, (x, out, scale)


def _cross_map_backward(size, alpha, beta, k, saved, g):
    x, out, scale = saved
    _, bwd = _cross_map_windows(x.shape[1], size)
    acc = jnp.einsum("cj,nj...->nc...", bwd.astype(x.dtype), g * out / scale)
    return (scale ** (-beta) * g - (2 * alpha * beta / size) * x * acc,)


_cross_map_lrn_fn.defvjp(_cross_map_forward, _cross_map_backward)
cross_map_lrn = Op("CrossMapLRN2dBackward", _cross_map_lrn_fn)

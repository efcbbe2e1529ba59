"""Kernels of the normalizations and distances of ``tensorish.nn.functional`` (batch, layer,
group and RMS norm; normalize, cosine similarity, pairwise distance): one op each, named after
the ``grad_fn`` PyTorch gives the output.
"""

from __future__ import annotations

import jax.numpy as jnp
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

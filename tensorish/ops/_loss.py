"""Kernels of the losses of ``tensorish.nn.functional``: each loss and its reduction is ONE
op, named after the ``grad_fn`` PyTorch gives the output for that reduction (and weighting).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ._common import Op


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _by_reduction(name_none: str, name_mean: str, name_sum: str, fn) -> dict:
    return {"none": Op(name_none, fn), "mean": Op(name_mean, fn), "sum": Op(name_sum, fn)}


def _pointwise(elementwise, weighted_mean_by_weight: bool):
    """A loss fn(x, y, w, reduction, **static) from its elementwise form; with a weight, the
    mean divides by the weights' sum (mse, l1) or by the count (huber), as PyTorch does."""

    def fn(x, y, w, reduction, **kw):
        loss = elementwise(x, y, **kw)
        if w is None:
            return _reduce(loss, reduction)
        loss = loss * w
        if reduction == "mean" and weighted_mean_by_weight:
            return loss.sum() / w.sum()
        return _reduce(loss, reduction)

    return fn


def _loss_ops(fn, names: dict, weighted_mean: str) -> dict:
    ops = {(r, False): Op(names.get(r, names["mean"]), fn) for r in ("none", "mean", "sum")}
    ops.update(
        {
            ("none", True): Op("MulBackward0", fn),
            ("sum", True): Op("SumBackward0", fn),
            ("mean", True): Op(weighted_mean, fn),
        }
    )
    return ops


def _smooth_l1(x, y, beta):
    d = jnp.abs(x - y)
    return d if beta == 0 else jnp.where(d < beta, 0.5 * jnp.square(x - y) / beta, d - 0.5 * beta)


def _huber(x, y, delta):
    d = jnp.abs(x - y)
    return jnp.where(d <= delta, 0.5 * jnp.square(x - y), delta * (d - 0.5 * delta))


mse = _loss_ops(
    _pointwise(lambda x, y: jnp.square(x - y), True), {"mean": "MseLossBackward0"}, "DivBackward0"
)


l1 = _loss_ops(
    _pointwise(lambda x, y: jnp.abs(x - y), True),
    {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"},
    "DivBackward0",
)


smooth_l1 = _loss_ops(
    _pointwise(_smooth_l1, True), {"mean": "SmoothL1LossBackward0"}, "DivBackward0"
)


huber = _loss_ops(_pointwise(_huber, False), {"mean": "HuberLossBackward0"}, "MeanBackward0")


def _nll_fn(x, t, w, cdim, ignore_index, reduction, smoothing, log_softmax):
    logp = jax.nn.log_softmax(x, axis=cdim) if log_softmax else x
    c = x.shape[cdim]
    valid = t != ignore_index
    tt = jnp.where(valid, t, 0)
    # The target's entry by a one-hot mask, not a gather: its gradient is elementwise (a
    # gather's is a scatter), which XLA fuses with log_softmax and compiles sooner.
    hot = lax.broadcasted_iota(tt.dtype, x.shape, cdim) == jnp.expand_dims(tt, cdim)
    picked = jnp.where(hot, logp, 0).sum(cdim)
    wt = jnp.take(w, tt) if w is not None else jnp.ones_like(picked)
    wt = jnp.where(valid, wt, 0)
    # An out-of-range class gives NaN, never a silently wrong loss.
    nll = jnp.where(valid & ((t < 0) | (t >= c)), jnp.nan, -picked * wt)
    loss = nll.sum() / wt.sum() if reduction == "mean" else _reduce(nll, reduction)
    if smoothing == 0:
        return loss
    wl = logp if w is None else logp * w.reshape((-1,) + (1,) * (x.ndim - cdim - 1))
    smooth = jnp.where(valid, -wl.sum(cdim), 0)
    if reduction == "mean":
        smooth = smooth.sum() / (wt.sum() if w is not None else valid.sum())
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - smoothing) * loss + smooth * (smoothing / c)


def _soft_ce_fn(x, t, w, cdim, reduction, smoothing):
    logp = jax.nn.log_softmax(x, axis=cdim)
    c = x.shape[cdim]
    if smoothing > 0:
        t = t * (1 - smoothing) + smoothing / c
    if w is not None:
        logp = logp * w.reshape((-1,) + (1,) * (x.ndim - cdim - 1))
    loss = -(logp * t).sum(cdim)
    return loss.mean() if reduction == "mean" else _reduce(loss, reduction)


nll = {
    n: Op(n, _nll_fn, saves=(0,))
    for n in ("NllLossBackward0", "NllLoss2DBackward0", "AddBackward0")
}


soft_cross_entropy = _by_reduction("NegBackward0", "DivBackward1", "SumBackward0", _soft_ce_fn)


def _bce_fn(x, y, w, reduction):
    loss = -(y * jnp.maximum(jnp.log(x), -100) + (1 - y) * jnp.maximum(jnp.log1p(-x), -100))
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def _bce_logits_fn(x, y, w, pw, reduction):
    pos = jax.nn.log_sigmoid(x)
    neg = jax.nn.log_sigmoid(-x)
    loss = -((y if pw is None else pw * y) * pos + (1 - y) * neg)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


binary_cross_entropy = Op("BinaryCrossEntropyBackward0", _bce_fn)
binary_cross_entropy_with_logits = Op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_fn)


def _kl_fn(x, t, reduction, log_target):
    if log_target:
        loss = jnp.exp(t) * (t - x)
    else:
        loss = jnp.where(t > 0, t * jnp.log(jnp.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


kl_div = {
    r: Op(n, _kl_fn)
    for r, n in (
        ("none", "SubBackward0"),
        ("mean", "MeanBackward0"),
        ("sum", "SumBackward0"),
        ("batchmean", "DivBackward0"),
    )
}


kl_div_log_target = Op("MulBackward0", _kl_fn)


def _cos_emb_fn(a, b, y, margin, reduction):
    prod = jnp.sum(a * b, -1)
    m1 = jnp.sum(a * a, -1) + 1e-12
    m2 = jnp.sum(b * b, -1) + 1e-12
    cos = prod / jnp.sqrt(m1 * m2)
    zero = jnp.zeros_like(cos)
    neg = cos - margin
    loss = jnp.where(y == 1, 1 - cos, zero) + jnp.where(
        y == -1, jnp.where(neg >= 0, neg, zero), zero
    )
    return _reduce(loss, reduction)


def _margin_rank_fn(a, b, y, margin, reduction):
    d = -y * (a - b) + margin
    return _reduce(jnp.where(d >= 0, d, jnp.zeros_like(d)), reduction)


cosine_embedding = _by_reduction("AddBackward0", "MeanBackward0", "SumBackward0", _cos_emb_fn)


margin_ranking = _by_reduction(
    "ClampMinBackward0", "MeanBackward0", "SumBackward0", _margin_rank_fn
)

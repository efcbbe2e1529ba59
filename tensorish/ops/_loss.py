"""Kernels of the losses of ``tensorish.nn.functional``: each loss and its reduction is ONE
op, named after the ``grad_fn`` PyTorch gives the output for that reduction (and weighting).
"""

from __future__ import annotations

import math

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


def _gaussian_nll_fn(x, y, var, full, eps, reduction):
    # PyTorch clamps the variance without recording it: the gradient passes the clamp unchanged.
    var = var + lax.stop_gradient(jnp.maximum(var, eps) - var)
    loss = 0.5 * (jnp.log(var) + jnp.square(x - y) / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


gaussian_nll = {
    (r, full): Op(
        n if r != "none" else ("AddBackward0" if full else "MulBackward0"), _gaussian_nll_fn
    )
    for r, n in (("none", ""), ("mean", "MeanBackward0"), ("sum", "SumBackward0"))
    for full in (False, True)
}


def _poisson_nll_fn(x, y, log_input, full, eps, reduction):
    loss = jnp.exp(x) - y * x if log_input else x - y * jnp.log(x + eps)
    if full:
        safe = jnp.where(y > 1, y, 2)
        stirling = safe * jnp.log(safe) - safe + 0.5 * jnp.log(2 * math.pi * safe)
        loss = loss + jnp.where(y > 1, stirling, 0)
    return _reduce(loss, reduction)


poisson_nll = {
    (r, full): Op(
        n if r != "none" else ("AddBackward0" if full else "SubBackward0"), _poisson_nll_fn
    )
    for r, n in (("none", ""), ("mean", "MeanBackward0"), ("sum", "SumBackward0"))
    for full in (False, True)
}


def _hinge_embedding_fn(x, y, margin, reduction):
    zero = jnp.zeros_like(x)
    clamped = jnp.where(margin - x > 0, margin - x, zero)
    loss = jnp.where(y != 1, clamped, zero) + jnp.where(y != -1, x, zero)
    return _reduce(loss, reduction)


hinge_embedding = _by_reduction(
    "AddBackward0", "MeanBackward0", "SumBackward0", _hinge_embedding_fn
)


def _multi_margin_fn(x, t, w, p, margin, reduction):
    x2 = x if x.ndim == 2 else x[None]
    t2 = t.reshape(-1)
    picked = jnp.take_along_axis(x2, t2[:, None], 1)
    z = margin - picked + x2
    z = jnp.where(z > 0, z, jnp.zeros_like(z))
    if p == 2:
        z = z * z
    if w is not None:
        z = z * jnp.take(w, t2)[:, None]
    other = jnp.arange(x2.shape[1])[None, :] != t2[:, None]
    loss = jnp.sum(jnp.where(other, z, 0), 1) / x2.shape[1]
    return _reduce(loss if x.ndim == 2 else loss[0], reduction)


multi_margin = Op("MultiMarginLossBackward0", _multi_margin_fn)


def _multilabel_margin_fn(x, t, reduction):
    x2 = x if x.ndim == 2 else x[None]
    t2 = t if t.ndim == 2 else t[None]
    c = x2.shape[1]
    # The targets are the entries before the first -1.
    listed = jnp.cumprod(t2 >= 0, axis=1).astype(bool)
    is_target = jnp.zeros(x2.shape, bool)
    rows = jnp.arange(x2.shape[0])[:, None]
    is_target = is_target.at[rows, jnp.where(listed, t2, c)].set(True, mode="drop")
    picked = jnp.take_along_axis(x2, jnp.where(listed, t2, 0), 1)
    z = 1 - picked[:, :, None] + x2[:, None, :]
    z = jnp.where(z > 0, z, jnp.zeros_like(z))
    pairs = listed[:, :, None] & ~is_target[:, None, :]
    loss = jnp.sum(jnp.where(pairs, z, 0), (1, 2)) / c
    return _reduce(loss if x.ndim == 2 else loss[0], reduction)


multilabel_margin = Op("MultilabelMarginLossBackward0", _multilabel_margin_fn)


def _multilabel_soft_margin_fn(x, y, w, reduction):
    loss = -(y * jax.nn.log_sigmoid(x) + (1 - y) * jax.nn.log_sigmoid(-x))
    if w is not None:
        loss = loss * w
    loss = loss.sum(axis=x.ndim - 1) / x.shape[-1]
    return _reduce(loss, reduction)


multilabel_soft_margin = _by_reduction(
    "DivBackward0", "MeanBackward0", "SumBackward0", _multilabel_soft_margin_fn
)


soft_margin = Op(
    "SoftMarginLossBackward0",
    lambda x, y, reduction: _reduce(jnp.log1p(jnp.exp(-y * x)), reduction),
)


def _triplet_margin_fn(a, pos, neg, margin, p, eps, swap, reduction):
    def dist(u, v):
        return jnp.sum(jnp.abs(u - v + eps) ** p, axis=-1) ** (1.0 / p)

    d_neg = dist(a, neg)
    if swap:
        d_neg = jnp.minimum(d_neg, dist(pos, neg))
    loss = margin + dist(a, pos) - d_neg
    return _reduce(jnp.where(loss > 0, loss, jnp.zeros_like(loss)), reduction)


triplet_margin = _by_reduction(
    "ClampMinBackward0", "MeanBackward0", "SumBackward0", _triplet_margin_fn
)


def _logaddexp(*xs):
    """log(sum(exp(xs))) whose gradient stays finite where every term is -inf."""
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    finite = jnp.isfinite(m)
    m0 = jnp.where(finite, m, 0)
    s = sum(jnp.exp(x - m0) for x in xs)
    return jnp.where(finite & (s > 0), m0 + jnp.log(jnp.where(s > 0, s, 1)), -jnp.inf)


def _ctc_fn(lp, targets, in_len, tgt_len, blank, zero_infinity, reduction):
    t_max, n, _ = lp.shape
    s_max = targets.shape[1]
    ext = jnp.full((n, 2 * s_max + 1), blank, targets.dtype).at[:, 1::2].set(targets)
    skip = jnp.concatenate(
        [jnp.zeros((n, 2), bool), (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])], 1
    )
    emit = jnp.take_along_axis(lp, jnp.broadcast_to(ext[None], (t_max, *ext.shape)), 2)
    width = 2 * tgt_len[:, None] + 1
    pos = jnp.arange(ext.shape[1])[None, :]
    alpha0 = jnp.where(pos < jnp.minimum(width, 2), emit[0], -jnp.inf)
    neg = jnp.full((n, 1), -jnp.inf, lp.dtype)

    def step(alpha, args):
        t, e = args
        prev1 = jnp.concatenate([neg, alpha[:, :-1]], 1)
        prev2 = jnp.where(skip, jnp.concatenate([neg, neg, alpha[:, :-2]], 1), -jnp.inf)
        new = jnp.where(pos < width, _logaddexp(alpha, prev1, prev2) + e, -jnp.inf)
        return jnp.where((t < in_len)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, alpha0, (jnp.arange(1, t_max), emit[1:]))
    last = jnp.take_along_axis(alpha, 2 * tgt_len[:, None], 1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(2 * tgt_len - 1, 0)[:, None], 1)[:, 0]
    loss = -_logaddexp(last, jnp.where(tgt_len > 0, before, -jnp.inf))
    # NOTE: PyTorch's CTC gradient with respect to log_probs is the true one plus
    # exp(log_probs) at each step inside the input (it assumes log_probs come from a
    # log_softmax, whose backward cancels that term). The term below adds it with value 0.
    inside = (jnp.arange(t_max)[:, None] < in_len[None, :])[:, :, None]
    loss = loss + jnp.sum(
        jnp.where(inside, jnp.exp(lax.stop_gradient(lp)) * (lp - lax.stop_gradient(lp)), 0),
        (0, 2),
    )
    if zero_infinity:
        loss = jnp.where(jnp.isinf(loss), jnp.zeros_like(loss), loss)
    if reduction == "mean":
        return jnp.mean(loss / jnp.maximum(tgt_len, 1).astype(lp.dtype))
    return _reduce(loss, reduction)


ctc = _by_reduction("CtcLossBackward0", "MeanBackward0", "SumBackward0", _ctc_fn)

"""Kernels of attention and recurrent layers: scaled dot-product attention, the whole
multi-head attention forward, and every layer and direction of an RNN/LSTM/GRU, each ONE op
(``lax.scan`` over time for the recurrent ones).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ._common import Op


def _attention(q, k, v, mask, key, dropout_p, is_causal, scale):
    e = q.shape[-1]
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    s = jnp.matmul(q, jnp.swapaxes(k, -1, -2)) * scale
    if is_causal:
        lq, lk = q.shape[-2], k.shape[-2]
        s = jnp.where(jnp.tril(jnp.ones((lq, lk), bool)), s, -jnp.inf)
    if mask is not None:
        s = jnp.where(mask, s, -jnp.inf) if mask.dtype == jnp.bool_ else s + mask
    a = jax.nn.softmax(s, axis=-1)
    if dropout_p > 0:
        keep = jax.random.bernoulli(key, 1 - dropout_p, a.shape)
        a = jnp.where(keep, a / (1 - dropout_p), 0)
    return jnp.matmul(a, v), a


def _sdpa_xla(q, k, v, mask, key, dropout_p, is_causal, scale, gqa):
    return _attention(q, _gqa(k, q, gqa), _gqa(v, q, gqa), mask, key, dropout_p, is_causal, scale)[
        0
    ]


def _sdpa_cudnn(q, k, v, mask, key, dropout_p, is_causal, scale, gqa):
    """cuDNN's fused attention (``jax.nn.dot_product_attention``), in PyTorch's (B, H, L, E)
    layout; an additive mask is its bias."""
    heads_last = lambda x: jnp.swapaxes(x, -2, -3)  # noqa: E731
    bias = None
    if mask is not None:
        mask = mask.reshape((1,) * (4 - mask.ndim) + mask.shape)
        if mask.dtype != jnp.bool_:
            bias, mask = mask.astype(q.dtype), None
    out = jax.nn.dot_product_attention(
        heads_last(q),
        heads_last(k),
        heads_last(v),
        bias,
        mask,
        scale=scale,
        is_causal=is_causal,
        implementation="cudnn",
    )
    return heads_last(out)


# scaled_dot_product_attention by backend (nn.attention): the math path ends in a matmul's
# view; the fused kernels are named as PyTorch's.
scaled_dot_product_attention = {
    "MATH": Op("UnsafeViewBackward0", _sdpa_xla),
    "FLASH_ATTENTION": Op("ScaledDotProductFlashAttentionForCpuBackward0", _sdpa_xla),
    "FLASH_ATTENTION_GPU": Op("ScaledDotProductFlashAttentionBackward0", _sdpa_cudnn),
    "CUDNN_ATTENTION_GPU": Op("ScaledDotProductCudnnAttentionBackward0", _sdpa_cudnn),
}


def _gqa(k, q, gqa):
    if not gqa or k.shape[-3] == q.shape[-3]:
        return k
    return jnp.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)


def _mha_fn(
    q,
    k,
    v,
    in_w,
    wq,
    wk,
    wv,
    in_b,
    out_w,
    out_b,
    kpm,
    mask,
    key,
    heads,
    dropout_p,
    need_weights,
    average,
    batch_first,
    is_causal,
):
    batched = q.ndim == 3
    if not batched:
        q, k, v = q[:, None], k[:, None], v[:, None]
        kpm = None if kpm is None else kpm[None]
    elif batch_first:
        q, k, v = (jnp.swapaxes(t, 0, 1) for t in (q, k, v))
    lq, n, e = q.shape
    ls = k.shape[0]
    if in_w is not None:
        wq, wk, wv = jnp.split(in_w, 3)
    bq, bk, bv = (None, None, None) if in_b is None else jnp.split(in_b, 3)

    def proj(x, w, b):
        y = x @ w.T
        return y if b is None else y + b

    d = e // heads
    qh = proj(q, wq, bq).reshape(lq, n * heads, d).transpose(1, 0, 2)
    kh = proj(k, wk, bk).reshape(ls, n * heads, d).transpose(1, 0, 2)
    vh = proj(v, wv, bv).reshape(ls, n * heads, d).transpose(1, 0, 2)
    bias = jnp.zeros((n * heads, lq, ls), q.dtype)
    if mask is not None:
        m = mask if mask.ndim == 3 else mask[None]
        bias = bias + (jnp.where(m, -jnp.inf, 0.0) if m.dtype == jnp.bool_ else m)
    if kpm is not None:
        pm = jnp.where(kpm, -jnp.inf, 0.0) if kpm.dtype == jnp.bool_ else kpm
        bias = bias + jnp.repeat(pm, heads, axis=0)[:, None, :]
    out, a = _attention(qh, kh, vh, bias, key, dropout_p, is_causal and mask is None, None)
    out = out.transpose(1, 0, 2).reshape(lq, n, e) @ out_w.T
    if out_b is not None:
        out = out + out_b
    if batch_first and batched:
        out = jnp.swapaxes(out, 0, 1)
    if not batched:
        out = out[:, 0]
    if not need_weights:
        return out
    a = a.reshape(n, heads, lq, ls)
    if average:
        a = a.mean(1)
    return out, (a if batched else a[0])


multi_head_attention = {
    (w, bf): Op("TransposeBackward0" if bf else "ViewBackward0", _mha_fn, n_out=2 if w else 1)
    for w in (True, False)
    for bf in (True, False)
}


def _cell(mode: str):
    if mode == "LSTM":

        def step(carry, gi, w_hh, b_hh):
            h, c = carry
            g = gi + h @ w_hh.T + (0 if b_hh is None else b_hh)
            i, f, gg, o = jnp.split(g, 4, -1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h
    elif mode == "GRU":

        def step(carry, gi, w_hh, b_hh):
            h, _ = carry
            gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
            ri, zi, ni = jnp.split(gi, 3, -1)
            rh, zh, nh = jnp.split(gh, 3, -1)
            r, z = jax.nn.sigmoid(ri + rh), jax.nn.sigmoid(zi + zh)
            n = jnp.tanh(ni + r * nh)
            h = (1 - z) * n + z * h
            return (h, h), h
    else:
        act = jnp.tanh if mode == "RNN_TANH" else (lambda x: jnp.where(x > 0, x, 0))

        def step(carry, gi, w_hh, b_hh):
            h, _ = carry
            h = act(gi + h @ w_hh.T + (0 if b_hh is None else b_hh))
            return (h, h), h

    return step


def _rnn_fn(
    x, h0, c0, key, *weights, mode, layers, bidirectional, batch_first, dropout, has_bias, hidden
):
    batched = x.ndim == 3
    if not batched:
        x = x[:, None]
        h0 = None if h0 is None else h0[:, None]
        c0 = None if c0 is None else c0[:, None]
    elif batch_first:
        x = jnp.swapaxes(x, 0, 1)
    dirs = 2 if bidirectional else 1
    n = x.shape[1]
    zeros = jnp.zeros((layers * dirs, n, hidden), x.dtype)
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    step = _cell(mode)
    per = 4 if has_bias else 2
    hs, cs = [], []
    keys = None if key is None else jax.random.split(key, max(layers - 1, 1))
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            idx = layer * dirs + d
            ws = weights[idx * per : (idx + 1) * per]
            w_ih, w_hh = ws[0], ws[1]
            b_ih, b_hh = (ws[2], ws[3]) if has_bias else (None, None)
            seq = x if d == 0 else jnp.flip(x, 0)
            gi = seq @ w_ih.T + (0 if b_ih is None else b_ih)
            (h, c), ys = lax.scan(
                lambda carry, g, w_hh=w_hh, b_hh=b_hh: step(carry, g, w_hh, b_hh),
                (h0[idx], c0[idx]),
                gi,
            )
            outs.append(ys if d == 0 else jnp.flip(ys, 0))
            hs.append(h)
            cs.append(c)
        x = outs[0] if dirs == 1 else jnp.concatenate(outs, -1)
        if keys is not None and layer < layers - 1:
            keep = jax.random.bernoulli(keys[layer], 1 - dropout, x.shape)
            x = jnp.where(keep, x / (1 - dropout), 0)
    h_n, c_n = jnp.stack(hs), jnp.stack(cs)
    if not batched:
        x, h_n, c_n = x[:, 0], h_n[:, 0], c_n[:, 0]
    elif batch_first:
        x = jnp.swapaxes(x, 0, 1)
    return (x, h_n, c_n) if mode == "LSTM" else (x, h_n)


rnn = {n: Op("StackBackward0", _rnn_fn, n_out=n) for n in (2, 3)}

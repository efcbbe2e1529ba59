"""Kernels of the layers, activations, dropout and embedding of ``tensorish.nn.functional``:
one op each (a pure jnp/lax function, its gradient from ``jax.vjp``), named after the
``grad_fn`` PyTorch gives the output. ``nn/functional.py`` checks the arguments and calls them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ._common import Op

# nn.Linear's graph is PyTorch's (t, then addmm or mm, between views of an input that is not
# a matrix); the view that ends a batched matmul without bias is this one.
unsafe_view = Op("UnsafeViewBackward0", lambda x, shape: x.reshape(shape), saves=())


bilinear = Op(
    "AddBackward0",
    lambda a, b, w, bias: (
        jnp.einsum("...i,oij,...j->...o", a, w, b) + (0 if bias is None else bias)
    ),
)


def _dropout_fn(x, key, p):
    if p >= 1:
        return x * 0
    keep = jax.random.bernoulli(key, 1 - p, x.shape)
    return jnp.where(keep, x / (1 - p), 0).astype(x.dtype)


dropout = Op("MulBackward0", _dropout_fn, saves=())


def _feature_dropout_fn(x, key, p, nd):
    if p >= 1:
        return x * 0
    keep = jax.random.bernoulli(key, 1 - p, x.shape[: x.ndim - nd] + (1,) * nd)
    return jnp.where(keep, x / (1 - p), 0).astype(x.dtype)


feature_dropout = Op("MulBackward0", _feature_dropout_fn, saves=())


def _embedding_fn(idx, w, padding_idx):
    rows = jnp.take(w, idx, axis=0)
    if padding_idx is None:
        return rows
    # The padding row gets no gradient, as in PyTorch.
    return jnp.where((idx == padding_idx)[..., None], lax.stop_gradient(rows), rows)


embedding = Op("EmbeddingBackward0", _embedding_fn, saves=(0,))


def _where_pos(x, pos, neg):
    return jnp.where(x > 0, pos, neg)


def _neg(x):
    return jnp.where(x <= 0, x, jnp.zeros_like(x))


def _below(x, limit):
    return jnp.where(x > limit, jnp.full_like(x, limit), x)


def _flat_at(edge, y):
    """``y``, its gradient zero where ``edge``: PyTorch's backward of relu, threshold and
    hardtanh tests ``x <= edge`` (so NaN passes its gradient on, an edge passes none)."""
    return jnp.where(edge, lax.stop_gradient(y), y)


def _hardtanh_fn(x, lo, hi):
    clipped = jnp.where(
        x < lo, jnp.asarray(lo, x.dtype), jnp.where(x > hi, jnp.asarray(hi, x.dtype), x)
    )
    return _flat_at((x <= lo) | (x >= hi), clipped)


# NOTE: PyTorch's relu keeps NaN and -0., with gradient 1 at NaN and 0 at ±0.
relu = Op(
    "ReluBackward0", lambda x: _flat_at(x <= 0, jnp.where(x < 0, jnp.zeros_like(x), x)), saves=()
)
hardtanh = Op("HardtanhBackward0", _hardtanh_fn)
leaky_relu = Op("LeakyReluBackward0", lambda x, slope: _where_pos(x, x, x * slope))
# NOTE: the masked copies (``_neg``, ``_below``) keep the unused branch finite without the
# 0.5/0.5 split jnp.minimum gives at a tie, so each kink gets PyTorch's one-sided derivative.
# NaN takes the positive branch (gradient ``scale``), as in PyTorch.
elu = Op(
    "EluBackward0",
    lambda x, alpha, scale: scale * jnp.where(x <= 0, alpha * jnp.expm1(_neg(x)), x),
)
celu = Op(
    "CeluBackward0", lambda x, alpha: jnp.where(x <= 0, alpha * jnp.expm1(_neg(x) / alpha), x)
)
# PyTorch's exact gelu of inf is nan (its vectorized erf kernel), the tanh form's is inf.
gelu = Op(
    "GeluBackward0",
    lambda x, approximate: (
        jax.nn.gelu(x, approximate=approximate)
        if approximate
        else jnp.where(x == jnp.inf, jnp.nan, jax.nn.gelu(x, approximate=False))
    ),
)
silu = Op("SiluBackward0", jax.nn.silu)
mish = Op("MishBackward0", lambda x: x * jnp.tanh(jax.nn.softplus(x)))
softplus = Op(
    "SoftplusBackward0",
    lambda x, beta, threshold: jnp.where(
        x * beta > threshold, x, jnp.log1p(jnp.exp(_below(x * beta, threshold))) / beta
    ),
)
# NOTE: PyTorch's hardsigmoid passes gradient only strictly inside (-3, 3) (none at NaN).
hardsigmoid = Op(
    "HardsigmoidBackward0",
    lambda x: _flat_at(
        ~((x > -3) & (x < 3)),
        jnp.where(x <= -3, jnp.zeros_like(x), jnp.where(x >= 3, jnp.ones_like(x), x / 6 + 0.5)),
    ),
)


@jax.custom_jvp
def _hardswish_fn(x):
    return x * jnp.clip(x + 3, 0, 6) / 6  # PyTorch's formula: -0. at -3, NaN at -inf


# NOTE: PyTorch's hardswish gradient: 0 up to -3, x / 3 + 0.5 below 3, else 1 (NaN too).
_hardswish_fn.defjvp(
    lambda p, t: (
        _hardswish_fn(p[0]),
        t[0] * jnp.where(p[0] <= -3, 0, jnp.where(p[0] < 3, p[0] / 3 + 0.5, 1)).astype(p[0].dtype),
    )
)
hardswish = Op("HardswishBackward0", _hardswish_fn)
# PyTorch's log_sigmoid(inf) is 0., JAX's -0.
logsigmoid = Op(
    "LogSigmoidBackward0",
    lambda x: jnp.where(x == jnp.inf, jnp.zeros_like(x), jax.nn.log_sigmoid(x)),
)
softsign = Op("DivBackward0", lambda x: x / (1 + jnp.abs(x)))
tanhshrink = Op("SubBackward0", lambda x: x - jnp.tanh(x))
threshold = Op(
    "ThresholdBackward0",
    lambda x, threshold, value: jnp.where(x <= threshold, jnp.asarray(value, x.dtype), x),
)
glu = Op(
    "GluBackward0",
    lambda x, dim: jnp.split(x, 2, axis=dim)[0] * jax.nn.sigmoid(jnp.split(x, 2, axis=dim)[1]),
)
prelu = Op(
    "PreluKernelBackward0",
    lambda x, w: jnp.where(
        x > 0, x, (w.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 and w.size > 1 else w) * x
    ),
)
softmax = Op("SoftmaxBackward0", lambda x, dim, dtype: jax.nn.softmax(x.astype(dtype), axis=dim))
softmin = Op("SoftmaxBackward0", lambda x, dim, dtype: jax.nn.softmax(-x.astype(dtype), axis=dim))
log_softmax = Op(
    "LogSoftmaxBackward0", lambda x, dim, dtype: jax.nn.log_softmax(x.astype(dtype), axis=dim)
)

"""Kernels of the shrinking and randomized activations and the self-normalizing dropouts of
``tensorish.nn.functional``: one op each, named after the ``grad_fn`` PyTorch gives the output.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ._common import Op

hardshrink = Op(
    "HardshrinkBackward0",
    lambda x, lambd: jnp.where((x >= -lambd) & (x <= lambd), jnp.zeros_like(x), x),
    saves=(),
)
softshrink = Op(
    "SoftshrinkBackward0",
    # torch's kernel: nan falls through to ``x + lambd`` (nan, gradient 1); -0. stays -0.
    lambda x, lambd: jnp.where(
        (x >= -lambd) & (x <= lambd), x * 0, jnp.where(x > lambd, x - lambd, x + lambd)
    ),
    saves=(),
)


def _rrelu_fn(x, key, lower, upper):
    if key is None:
        slope = (lower + upper) / 2
    else:
        slope = jax.random.uniform(key, x.shape, x.dtype, lower, upper)
    return jnp.where(x > 0, x, x * slope)


rrelu = Op("RreluWithNoiseBackward0", _rrelu_fn)

# The negative saturation value of SELU, -scale * alpha: what a dropped unit becomes.
_SELU_ALPHA = 1.7580993408473766


def _alpha_dropout_fn(x, key, p, feature):
    if p >= 1:
        return x * 0
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = jax.random.bernoulli(key, 1 - p, shape).astype(x.dtype)
    a = 1 / math.sqrt((_SELU_ALPHA**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return x * (keep * a) + shift


alpha_dropout = Op("AddBackward0", _alpha_dropout_fn, saves=())

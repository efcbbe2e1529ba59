"""Kernels that rearrange pixels of ``tensorish.nn.functional``: pixel (un)shuffle, channel
shuffle, and the sliding-window copies ``unfold`` (im2col) and ``fold`` (col2im, its adjoint);
one op each, named after the ``grad_fn`` PyTorch gives the output.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ._common import Op


def _pixel_shuffle_fn(x, r):
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    y = jnp.transpose(y, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _pixel_unshuffle_fn(x, r):
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    y = jnp.transpose(y, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(*lead, c * r * r, h // r, w // r)


def _channel_shuffle_fn(x, groups):
    n, c, *rest = x.shape
    y = x.reshape(n, groups, c // groups, *rest)
    return jnp.swapaxes(y, 1, 2).reshape(x.shape)


pixel_shuffle = Op("PixelShuffleBackward0", _pixel_shuffle_fn, saves=())
pixel_unshuffle = Op("PixelUnshuffleBackward0", _pixel_unshuffle_fn, saves=())
channel_shuffle = Op("ChannelShuffleBackward0", _channel_shuffle_fn, saves=())


def _im2col(x, kernel, dilation, padding, stride):
    """(N, C, H, W) -> (N, C * kh * kw, L), the channel dim ordered (C, kh, kw) as PyTorch's."""
    patches = lax.conv_general_dilated_patches(
        x,
        kernel,
        stride,
        [(p, p) for p in padding],
        rhs_dilation=dilation,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
        precision=lax.Precision.HIGHEST,
    )
    return patches.reshape(patches.shape[0], patches.shape[1], -1)


def _unfold_fn(x, kernel, dilation, padding, stride):
    batched = x.ndim == 4
    y = _im2col(x if batched else x[None], kernel, dilation, padding, stride)
    return y if batched else y[0]


def _fold_fn(x, output_size, kernel, dilation, padding, stride):
    batched = x.ndim == 3
    cols = x if batched else x[None]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    image = jax.ShapeDtypeStruct((cols.shape[0], c, *output_size), cols.dtype)
    # col2im is the adjoint of im2col: each column entry is added back where it was copied from.
    (y,) = jax.linear_transpose(lambda img: _im2col(img, kernel, dilation, padding, stride), image)(
        cols
    )
    return y if batched else y[0]


unfold = Op("Im2ColBackward0", _unfold_fn, saves=())
fold = Op("Col2ImBackward0", _fold_fn, saves=())

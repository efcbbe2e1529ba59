"""Autocast's op table: which declared ops PyTorch's CPU autocast runs in the low dtype, in float32,
or in the widest floating type of their inputs (``aten/src/ATen/autocast_mode.cpp``, the
``AutocastCPU`` lists, checked op by op against torch 2.13 in tests/test_amp.py).

``declare`` (and ``tensorish.fft``'s makers) wrap each op named here in ``autocasting``: with
autocast off in the thread that costs one attribute read (``mode.autocast is None``); with it on,
``mode.autocast`` (set by ``tensorish.amp``) casts the inputs and runs the op. Ops that are not
here run in the dtypes they are given, as under torch's CPU autocast.

>>> POLICY["tensorish.mm"], POLICY["tensorish.nn.functional.mse_loss"], POLICY["tensorish.cat"]
('lower_precision_fp', 'fp32', 'promote')
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar, cast

from .._mode import mode

LOWER, FP32, PROMOTE = "lower_precision_fp", "fp32", "promote"

_F = "tensorish.nn.functional."
_LA = "tensorish.linalg."

POLICY: dict[str, str] = {
    **dict.fromkeys(
        [
            "tensorish.mm",
            "tensorish.bmm",
            "tensorish.matmul",
            "tensorish.addmm",
            "tensorish.addbmm",
            "tensorish.baddbmm",
            _LA + "vecdot",
            _F + "linear",
            _F + "conv1d",
            _F + "conv2d",
            _F + "conv3d",
            _F + "conv_transpose1d",
            _F + "conv_transpose2d",
            _F + "prelu",
            _F + "scaled_dot_product_attention",
        ],
        LOWER,
    ),
    **dict.fromkeys(
        [
            "tensorish.prod",
            "tensorish.cdist",
            "tensorish.trace",
            "tensorish.cholesky",
            "tensorish.inverse",
            "tensorish.pinverse",
            _F + "avg_pool3d",
            _F + "max_pool3d",
            _F + "adaptive_avg_pool3d",
            _F + "binary_cross_entropy",
            _F + "binary_cross_entropy_with_logits",
            _F + "mse_loss",
            _F + "l1_loss",
            _F + "smooth_l1_loss",
            _F + "huber_loss",
            _F + "nll_loss",
            _F + "cross_entropy",
            _F + "kl_div",
            _F + "cosine_embedding_loss",
            _F + "margin_ranking_loss",
            _LA + "cholesky",
            _LA + "cholesky_ex",
            _LA + "inv",
            _LA + "inv_ex",
            _LA + "solve",
            _LA + "lstsq",
            _LA + "qr",
            _LA + "svd",
            _LA + "svdvals",
            _LA + "eigh",
            _LA + "eigvalsh",
            _LA + "cond",
            _LA + "matrix_rank",
        ],
        FP32,
    ),
    **dict.fromkeys(
        [
            f"tensorish.fft.{n}"
            for n in "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn hfft "
            "ihfft".split()
        ],
        FP32,
    ),
    **dict.fromkeys(["tensorish.cat", "tensorish.stack", "tensorish.index_copy"], PROMOTE),
}


F = TypeVar("F", bound=Callable)


def autocast_op(key: str, fn: F) -> F:
    """``fn``, the op public as ``key``, wrapped in ``autocasting`` if the table lists it."""
    return cast(F, autocasting(fn, POLICY[key])) if key in POLICY else fn


def autocasting(fn: Callable, policy: str) -> Callable:
    """``fn`` run through this thread's autocast (``mode.autocast``) when one is on."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        cast = mode.autocast
        if cast is None:
            return fn(*args, **kwargs)
        return cast(policy, fn, args, kwargs)

    return op

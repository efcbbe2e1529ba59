"""tensorish.nn.functional: layers, activations and losses as functions.

Each layer is ONE op (a pure jnp/lax function, jitted, its gradient from ``jax.vjp``) named after
the ``grad_fn`` PyTorch gives its output, so a layer costs one XLA call forward and one backward.
The ops are declared in the op table (``ops/_nn.py``, ``_conv.py``, ``_norm.py``, ``_loss.py``,
``_sequence.py``); this module checks and normalizes the arguments, as PyTorch's functional
layer does, and applies them. Optional tensors (a missing bias, no weight) are passed as
``None``, which jit treats as an empty argument. Random ops (dropout) take a PRNG key drawn
from a ``tensorish.Generator``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._dispatch import Op, apply
from .._random import next_key
from .._tensor import Tensor, _wrap_dim
from ..ops import _conv, _linalg, _loss, _nn, _norm, _pointwise, _sequence, _shape
from ..ops._common import inplace as _inplace
from ..ops._registry import Given, Ints, Sample, T, declare, public
from .attention import _kernel as _attention

_functional = partial(declare, namespace="tensorish.nn.functional", method=False)
# The oracle samples share shapes and arguments with the nn tests, so that the table test
# compiles no program of its own for them (the activations: test_nn_functional's KINKS).
_KINKS = Sample(((2, 5),))


def _tuple(x, n: int) -> tuple[int, ...]:
    if isinstance(x, (int, np.integer)):
        return (int(x),) * n
    x = tuple(int(v) for v in x)
    return x * n if len(x) == 1 else x


def _static(**kw) -> tuple:
    return tuple(kw.items())


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        if reduction not in ("none", "mean", "sum", "batchmean"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{_legacy(size_average, reduce)}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return _legacy(size_average, reduce)


def _legacy(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _same_dtype(*ts) -> None:
    dts = [t.dtype for t in ts if isinstance(t, Tensor)]
    for d in dts[1:]:
        if d is not dts[0]:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: "
                f"{dts[0].title.lower()} != {d.title.lower()}"
            )


# -- linear -------------------------------------------------------------------------------


@_functional(test=Sample(((4, 5), (3, 5), (3,))))
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.linear(tensorish.ones(1, 2), tensorish.ones(3, 2)).shape
    tensorish.Size([1, 3])
    """
    k = input.shape[-1] if input.ndim else 1
    if weight.shape[-1] != k:
        n = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and "
            f"{weight.shape[-1]}x{weight.shape[0]})"
        )
    _same_dtype(input, weight)
    if weight.ndim != 2:
        out = input.matmul(weight)
        return out if bias is None else out + bias
    # PyTorch's graph: t, addmm (or mm) and the views around them
    wt = apply(_shape._t[0], (weight,), _static(axes=(1, 0)))
    lead, n = input.shape[:-1], weight.shape[0]
    x = input
    if input.ndim == 1 and bias is None:
        x = apply(_shape._unsqueeze[0], (input,), _static(shape=(1, k)))
    elif input.ndim != 2:
        x = apply(_shape._view, (input,), _static(shape=(-1, k)))
    if bias is None:
        out = apply(_linalg._mm, (x, wt))
    else:
        out = apply(_linalg._addmm, (bias, x, wt), _static(beta=1, alpha=1))
    if input.ndim == 2:
        return out
    if bias is not None:
        return apply(_shape._view, (out,), _static(shape=(*lead, n)))
    if input.ndim == 1:
        return apply(_shape._squeeze[4], (out,), _static(shape=(n,)))
    return apply(_nn.unsafe_view, (out,), _static(shape=(*lead, n)))


@_functional(toplevel=True, test=Sample(((5, 3), (5, 4), (2, 3, 4), (2,))))
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1 @ weight[o] @ x2 + bias_o``."""
    return apply(_nn.bilinear, (input1, input2, weight, bias))


# -- convolution --------------------------------------------------------------------------


def _check_conv(
    input: Tensor, weight: Tensor, bias, groups: int, nd: int, transposed: bool = False
) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to conv{nd}d, but got "
            f"input of size: {list(input.shape)}"
        )
    c = input.shape[-nd - 1]
    expect = weight.shape[0] if transposed else weight.shape[1] * groups
    if c != expect:
        shown = list(input.shape) if input.ndim == nd + 2 else [1] + list(input.shape)
        if transposed:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                f"{shown} to have {expect} channels, but got {c} channels instead"
            )
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{shown} to have {expect} channels, but got {c} channels instead"
        )
    for t in (weight, bias):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(
                f"expected scalar type {input.dtype.title} but found {t.dtype.title}"
            )


def _conv_padding(
    padding, weight: Tensor | None, dilation: tuple, nd: int, kernel: tuple | None = None
) -> tuple:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            out = []
            for k, d in zip(kernel or weight.shape[2:], dilation):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"Invalid padding string '{padding}'")
    return tuple((p, p) for p in _tuple(padding, nd))


def _convnd(nd: int, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    _check_conv(input, weight, bias, groups, nd)
    dilation = _tuple(dilation, nd)
    stride = _tuple(stride, nd)
    if isinstance(padding, str) and padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    pads = _conv_padding(padding, weight, dilation, nd)
    return apply(
        _conv.conv,
        (input, weight, bias),
        _static(stride=stride, padding=pads, dilation=dilation, groups=groups, nd=nd),
    )


@_functional(
    toplevel=True, test=Sample(((2, 3, 9), (4, 3, 3), (4,)), kwargs={"stride": 2, "padding": 1})
)
def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution over (N, C, L) or (C, L) input."""
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


@_functional(
    toplevel=True,
    test=Sample(((2, 4, 5, 5), (6, 2, 3, 3), (6,)), kwargs={"padding": 1, "groups": 2}),
)
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution over (N, C, H, W) or (C, H, W) input.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.conv2d(tensorish.ones(1, 1, 3, 3), tensorish.ones(1, 1, 2, 2)).shape
    tensorish.Size([1, 1, 2, 2])
    """
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


@_functional(toplevel=True, test=Sample(((1, 2, 4, 4, 4), (3, 2, 2, 2, 2))))
def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input."""
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(
    nd, input, weight, bias, stride, padding, output_padding, groups, dilation
) -> Tensor:
    _check_conv(input, weight, bias, groups, nd, transposed=True)
    return apply(
        _conv.conv_transpose,
        (input, weight, bias),
        _static(
            stride=_tuple(stride, nd),
            padding=_tuple(padding, nd),
            output_padding=_tuple(output_padding, nd),
            dilation=_tuple(dilation, nd),
            groups=groups,
            nd=nd,
        ),
    )


@_functional(toplevel=True, test=Sample(((2, 3, 5), (3, 4, 3))))
def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transposend(
        1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


@_functional(
    toplevel=True, test=Sample(((2, 4, 5, 4), (4, 3, 3, 2), (6,)), args=(2, 1, 1, 2, (1, 2)))
)
def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d with respect to its input)."""
    return _conv_transposend(
        2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


# -- pooling ------------------------------------------------------------------------------


def _pool_args(nd: int, kernel_size, stride, padding, dilation=1) -> tuple:
    k = _tuple(kernel_size, nd)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _tuple(stride, nd)
    )
    p = _tuple(padding, nd)
    d = _tuple(dilation, nd)
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, "
                f"kernel_size={kk} and dilation={dd}"
            )
    return k, s, p, d


def _max_poolnd(
    nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
) -> Tensor:
    if return_indices:
        raise NotImplementedError("max_pool with return_indices=True is not supported")
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation)
    return apply(
        _conv.max_pool[nd],
        (input,),
        _static(kernel=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode)),
    )


@_functional(toplevel=True, test=Sample(((2, 3, 9),), args=(3, 2)))
def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """1-D max pooling."""
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@_functional(toplevel=True, test=Sample(((2, 3, 6, 6),), args=(2,)))
def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """2-D max pooling.

    >>> import tensorish
    >>> tensorish.nn.functional.max_pool2d(tensorish.ones(1, 4, 4), 2).shape
    tensorish.Size([1, 2, 2])
    """
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@_functional(toplevel=True, test=Sample(((1, 2, 4, 4, 4),), args=(2,)))
def max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """3-D max pooling."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_poolnd(
    nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
) -> Tensor:
    k, s, p, _ = _pool_args(nd, kernel_size, stride, padding)
    return apply(
        _conv.avg_pool[nd],
        (input,),
        _static(
            kernel=k,
            stride=s,
            padding=p,
            ceil_mode=bool(ceil_mode),
            count_include_pad=bool(count_include_pad),
            divisor_override=divisor_override,
        ),
    )


@_functional(toplevel=True, test=Sample(((2, 3, 8),), args=(3, 2, 1)))
def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling."""
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


@_functional(test=Sample(((2, 3, 7, 6),), args=(3, 2, 1)))
def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling."""
    return _avg_poolnd(
        2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


@_functional(test=Sample(((1, 2, 4, 4, 4),), args=(2,)))
def avg_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-D average pooling."""
    return _avg_poolnd(
        3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _adaptive(nd: int, input: Tensor, output_size) -> Tensor:
    sizes = (
        _tuple(output_size, nd)
        if not isinstance(output_size, (list, tuple))
        else tuple(
            input.shape[input.ndim - nd + i] if o is None else int(o)
            for i, o in enumerate(output_size)
        )
    )
    return apply(_conv.adaptive_avg_pool[nd], (input,), _static(output_size=sizes))


@_functional(toplevel=True, test=Sample(((2, 3, 7),), args=(3,)))
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output length."""
    return _adaptive(1, input, output_size)


@_functional(test=Sample(((2, 3, 7, 5),), args=((3, 2),)))
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (PyTorch's floor/ceil window bounds).

    >>> import tensorish
    >>> tensorish.nn.functional.adaptive_avg_pool2d(tensorish.ones(1, 5, 7), 1).shape
    tensorish.Size([1, 1, 1])
    """
    return _adaptive(2, input, output_size)


@_functional(test=Sample(((1, 2, 4, 5, 6),), args=(2,)))
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed 3-D output size."""
    return _adaptive(3, input, output_size)


# -- normalization ------------------------------------------------------------------------


def _batch_norm_top(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """``torch.batch_norm``: :func:`batch_norm` with ATen's argument order."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@_functional(
    toplevel=_batch_norm_top,
    test=Sample(((4, 3), (3,), (3,)), args=(T, None, None, T, T), kwargs={"training": True}),
)
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over the channel dim (1); in training, updates the running stats
    in place with ``momentum`` (their new value is computed in the same XLA call).

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.batch_norm(tensorish.ones(2, 3), None, None, training=True).shape
    tensorish.Size([2, 3])
    """
    if training:
        n = input.numel() // input.shape[1] if input.ndim > 1 else 0
        if n <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        track = running_mean is not None
        factor = np.asarray(momentum, running_mean._v.dtype) if track else None
        y, new_rm, new_rv = apply(
            _norm.batch_norm_train,
            (
                input,
                weight,
                bias,
                running_mean._value if track else None,
                running_var._value if track else None,
                factor,
            ),
            _static(eps=eps),
        )
        if track:
            running_mean._set_value(new_rm._value)
            running_var._set_value(new_rv._value)
        return y
    if running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    return apply(
        _norm.batch_norm_eval,
        (input, weight, bias, running_mean._value, running_var._value),
        _static(eps=eps),
    )


def _check_normalized(input: Tensor, shape: tuple) -> None:
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}"
        )


def _layer_norm_top(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    """``torch.layer_norm``: :func:`layer_norm` with ATen's arguments."""
    return layer_norm(input, normalized_shape, weight, bias, eps)


@_functional(
    toplevel=_layer_norm_top,
    test=Sample(((2, 3, 4, 5), (4, 5), (4, 5)), args=(T, (4, 5), T, T), kwargs={"eps": 1e-3}),
)
def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` dims, then scale and shift.

    >>> import tensorish
    >>> tensorish.nn.functional.layer_norm(tensorish.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = (
        _tuple(normalized_shape, 1)
        if isinstance(normalized_shape, int)
        else tuple(normalized_shape)
    )
    _check_normalized(input, shape)
    return apply(_norm.layer_norm, (input, weight, bias), _static(nd=len(shape), eps=eps))


def _group_norm_top(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    """``torch.group_norm``: :func:`group_norm` with ATen's arguments."""
    return group_norm(input, num_groups, weight, bias, eps)


@_functional(toplevel=_group_norm_top, test=Sample(((3, 4, 5), (4,), (4,)), args=(T, 2, T, T)))
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over groups of channels."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    return apply(_norm.group_norm, (input, weight, bias), _static(groups=num_groups, eps=eps))


@_functional(
    toplevel=True, test=Sample(((3, 2, 5), (2, 5)), args=(T, (2, 5), T), kwargs={"eps": 1e-3})
)
def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """Root-mean-square normalization over the last dims (eps defaults to the dtype's eps)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_normalized(input, shape)
    return apply(_norm.rms_norm, (input, weight), _static(nd=len(shape), eps=eps))


@_functional(test=Sample(((4, 5),)))
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return apply(
        _norm.normalize, (input,), _static(p=float(p), dim=_wrap_dim(dim, input.ndim), eps=eps)
    )


@_functional(toplevel=True, test=Sample(((4, 5), (4, 5))))
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim``."""
    ndim = max(x1.ndim, x2.ndim)
    return apply(_norm.cosine_similarity, (x1, x2), _static(dim=_wrap_dim(dim, ndim), eps=eps))


@_functional(toplevel=True, test=Sample(((4, 5), (4, 5))))
def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    return apply(_norm.pairwise_distance, (x1, x2), _static(p=float(p), eps=eps, keepdim=keepdim))


# -- dropout, embedding -------------------------------------------------------------------


def _dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.dropout``: :func:`dropout` with ATen's arguments."""
    return dropout(input, p, train)


@_functional(toplevel=_dropout_top, toplevel_inplace=True, test=())
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    >>> import tensorish
    >>> tensorish.nn.functional.dropout(tensorish.ones(3), 0.5, training=False)
    tensor([1., 1., 1.])
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    return _inplace_result(
        input, apply(_nn.dropout, (input, next_key()), _static(p=float(p))), inplace
    )


def _dropoutnd(nd: int, input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"dropout{nd}d: Expected {nd + 1}D or {nd + 2}D input, but received a "
            f"{input.ndim}D input. Note that dropout{nd}d exists to provide channel-wise "
            "dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    if not training:
        return input
    out = apply(_nn.feature_dropout, (input, next_key()), _static(p=float(p), nd=nd))
    return _inplace_result(input, out, inplace)


@_functional(test=())
def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _dropoutnd(1, input, p, training, inplace)


@_functional(test=())
def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _dropoutnd(2, input, p, training, inplace)


def _embedding_top(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """``torch.embedding``: :func:`embedding` with ATen's arguments (``padding_idx=-1``: none)."""
    return embedding(
        indices,
        weight,
        None if padding_idx == -1 else padding_idx,
        None,
        2.0,
        scale_grad_by_freq,
        sparse,
    )


@_functional(
    toplevel=_embedding_top, test=Sample((Ints((20,), 6), (6, 3)), kwargs={"padding_idx": 2})
)
def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.embedding(tensorish.tensor([1]), tensorish.tensor([[0., 0.], [1., 2.]]))
    tensor([[1., 2.]])
    """
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding: max_norm and scale_grad_by_freq are not supported")
    if input.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got tensorish.{input.dtype.title}Tensor instead (while "
            "checking arguments for embedding)"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return apply(_nn.embedding, (input, weight), _static(padding_idx=padding_idx))


@_functional(test=Sample((Ints((6,), 4),)))
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding of an integer tensor (``num_classes=-1``: max + 1).

    >>> import tensorish
    >>> tensorish.nn.functional.one_hot(tensorish.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    v = tensor._value
    if num_classes == -1:
        num_classes = int(jnp.max(v)) + 1 if v.size else 0
    return Tensor._wrap(jax.nn.one_hot(v, num_classes, dtype=jnp.int64))


# -- activations --------------------------------------------------------------------------


def _inplace_result(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return out
    return _inplace(input, lambda _: out)


def _relu_top(input: Tensor) -> Tensor:
    """``torch.relu`` and ``Tensor.relu``: :func:`relu`."""
    return relu(input)


@_functional(toplevel=_relu_top, toplevel_inplace=True, method=_relu_top, inplace=True, test=_KINKS)
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``; the gradient at 0 is 0.

    >>> import tensorish
    >>> tensorish.nn.functional.relu(tensorish.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return _inplace_result(input, apply(_nn.relu, (input,)), inplace)


@_functional(test=_KINKS)
def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamp to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace_result(
        input, apply(_nn.hardtanh, (input,), _static(lo=min_val, hi=max_val)), inplace
    )


@_functional(test=_KINKS)
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """Clamp to ``[0, 6]``."""
    return hardtanh(input, 0.0, 6.0, inplace)


@_functional(test=_KINKS)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    return _inplace_result(
        input, apply(_nn.leaky_relu, (input,), _static(slope=negative_slope)), inplace
    )


@_functional(test=Sample(((2, 5),), args=(0.7,)))
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _inplace_result(
        input, apply(_nn.elu, (input,), _static(alpha=alpha, scale=1.0)), inplace
    )


def _selu_top(input: Tensor) -> Tensor:
    """``torch.selu``: :func:`selu`."""
    return selu(input)


@_functional(toplevel=_selu_top, toplevel_inplace=True, test=_KINKS)
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalizing constants."""
    return _inplace_result(
        input,
        apply(
            _nn.elu,
            (input,),
            _static(
                alpha=1.6732632423543772848170429916717, scale=1.0507009873554804934193349852946
            ),
        ),
        inplace,
    )


def _celu_top(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``torch.celu``: :func:`celu`."""
    return celu(input, alpha)


@_functional(toplevel=_celu_top, toplevel_inplace=True, test=Sample(((2, 5),), args=(1.5,)))
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    return _inplace_result(input, apply(_nn.celu, (input,), _static(alpha=alpha)), inplace)


@_functional(test=_KINKS)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (``approximate='tanh'`` for the tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(_nn.gelu, (input,), _static(approximate=approximate == "tanh"))


@_functional(test=_KINKS)
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return _inplace_result(input, apply(_nn.silu, (input,)), inplace)


@_functional(test=_KINKS)
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _inplace_result(input, apply(_nn.mish, (input,)), inplace)


@_functional(test=_KINKS)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return apply(_nn.softplus, (input,), _static(beta=beta, threshold=threshold))


# PyTorch's functional sigmoid and tanh are its pointwise ops.
sigmoid = _functional(name="sigmoid", test=_KINKS)(_pointwise.sigmoid)
tanh = _functional(name="tanh", test=_KINKS)(_pointwise.tanh)


@_functional(test=_KINKS)
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _inplace_result(input, apply(_nn.hardsigmoid, (input,)), inplace)


@_functional(test=_KINKS)
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _inplace_result(input, apply(_nn.hardswish, (input,)), inplace)


@_functional(test=_KINKS)
def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return apply(_nn.logsigmoid, (input,))


@_functional(test=_KINKS)
def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return apply(_nn.softsign, (input,))


@_functional(test=_KINKS)
def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return apply(_nn.tanhshrink, (input,))


def _threshold_top(input: Tensor, threshold: float, value: float) -> Tensor:
    """``torch.threshold``: :func:`threshold`."""
    return apply(_nn.threshold, (input,), _static(threshold=threshold, value=value))


@_functional(
    toplevel=_threshold_top, toplevel_inplace=True, test=Sample(((2, 5),), args=(1.0, -2.0))
)
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _inplace_result(
        input, apply(_nn.threshold, (input,), _static(threshold=threshold, value=value)), inplace
    )


@_functional(test=Sample(((2, 5),), args=(0,)))
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second."""
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    return apply(_nn.glu, (input,), _static(dim=d))


@_functional(toplevel=True, method=True, test=Sample(((2, 3, 4), (3,))))
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` for ``x > 0``, else ``weight * x`` (one weight, or one per channel)."""
    return apply(_nn.prelu, (input, weight))


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call "
        "to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(op: Op, name: str, input: Tensor, dim, dtype, stacklevel: int) -> Tensor:
    if dim is None:
        dim = _softmax_dim(name, input.ndim, stacklevel + 1)
    dt = dtype or input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"\"softmax_lastdim_kernel_impl\" not implemented for '{dt.title}'")
    return apply(op, (input,), _static(dim=_wrap_dim(dim, input.ndim), dtype=dt.np))


def _softmax_top(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """``torch.softmax`` and ``Tensor.softmax``: :func:`softmax` along ``dim``."""
    return _softmax_like(_nn.softmax, "softmax", input, dim, dtype, 2)


@_functional(toplevel=_softmax_top, method=_softmax_top, test=Sample(((2, 5),), kwargs={"dim": 1}))
def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``.

    >>> import tensorish
    >>> tensorish.nn.functional.softmax(tensorish.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_like(_nn.softmax, "softmax", input, dim, dtype, _stacklevel)


@_functional(test=Sample(((2, 5),), kwargs={"dim": 1}))
def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    return _softmax_like(_nn.softmin, "softmin", input, dim, dtype, _stacklevel)


def _log_softmax_top(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """``torch.log_softmax`` and ``Tensor.log_softmax``: :func:`log_softmax` along ``dim``."""
    return _softmax_like(_nn.log_softmax, "log_softmax", input, dim, dtype, 2)


@_functional(
    toplevel=_log_softmax_top, method=_log_softmax_top, test=Sample(((2, 5),), kwargs={"dim": -1})
)
def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    return _softmax_like(_nn.log_softmax, "log_softmax", input, dim, dtype, _stacklevel)


# -- losses -------------------------------------------------------------------------------


def _target_warning(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _pointwise_loss(
    ops: dict, input: Tensor, target: Tensor, weight, reduction: str, **static
) -> Tensor:
    _target_warning(input, target)
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    return apply(
        ops[(reduction, weight is not None)],
        (input, target, weight),
        _static(reduction=reduction, **static),
    )


@_functional(test=Sample(((4, 5), (4, 5))))
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error.

    >>> import tensorish
    >>> tensorish.nn.functional.mse_loss(tensorish.tensor([1., 3.]), tensorish.zeros(2))
    tensor(5.)
    """
    return _pointwise_loss(
        _loss.mse, input, target, weight, _reduction(size_average, reduce, reduction)
    )


@_functional(test=Sample(((4, 5), (4, 5))))
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error."""
    return _pointwise_loss(
        _loss.l1, input, target, weight, _reduction(size_average, reduce, reduction)
    )


@_functional(test=Sample(((4, 5), (4, 5))))
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error below ``beta``, absolute error above."""
    return _pointwise_loss(
        _loss.smooth_l1, input, target, None, _reduction(size_average, reduce, reduction), beta=beta
    )


@_functional(test=Sample(((4, 5), (4, 5))))
def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""
    return _pointwise_loss(
        _loss.huber, input, target, weight, _reduction(None, None, reduction), delta=delta
    )


def _nll_common(
    input: Tensor,
    target: Tensor,
    weight,
    ignore_index: int,
    reduction: str,
    smoothing: float,
    from_logits: bool,
) -> Tensor:
    cdim = 0 if input.ndim == 1 else 1
    if target.dtype.is_floating_point:
        raise RuntimeError(
            f"expected scalar type Long but found {target.dtype.title}"
            if not from_logits
            else f"expected target dtype to be Long or Byte, but got {target.dtype.title}"
        )
    if input.ndim > 1 and (target.ndim == 0 or input.shape[0] != target.shape[0]):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.ndim else 0})."
        )
    name = (
        "AddBackward0"
        if smoothing > 0
        else "NllLoss2DBackward0"
        if input.ndim > 2
        else "NllLossBackward0"
    )
    return apply(
        _loss.nll[name],
        (input, target, weight),
        _static(
            cdim=cdim,
            ignore_index=ignore_index,
            reduction=reduction,
            smoothing=float(smoothing),
            log_softmax=from_logits,
        ),
    )


@_functional(test=Sample(((4, 5), Ints((4,), 5))))
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of class indices, given log-probabilities."""
    return _nll_common(
        input, target, weight, ignore_index, _reduction(size_average, reduce, reduction), 0.0, False
    )


@_functional(test=Sample(((4, 5), Ints((4,), 5))))
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities (one op:
    log_softmax and the loss fused).

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.cross_entropy(tensorish.zeros(1, 4), tensorish.tensor([2]))
    tensor(1.3863)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.dtype.is_floating_point and target.shape == input.shape:
        cdim = 0 if input.ndim == 1 else 1
        return apply(
            _loss.soft_cross_entropy[reduction],
            (input, target, weight),
            _static(cdim=cdim, reduction=reduction, smoothing=float(label_smoothing)),
        )
    return _nll_common(input, target, weight, ignore_index, reduction, label_smoothing, True)


@_functional(test=Sample(((4, 5), (4, 5)), low=0.05, high=0.95))
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities (logs clamped at -100, as PyTorch)."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    return apply(_loss.binary_cross_entropy, (input, target, weight), _static(reduction=reduction))


_REDUCTIONS = ("none", "mean", "sum")  # ATen's reduction enum, as the top-level losses take it


def _bce_with_logits_top(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
    reduction: int = 1,
) -> Tensor:
    """``torch.binary_cross_entropy_with_logits``: ``reduction`` is ATen's enum."""
    return binary_cross_entropy_with_logits(
        input, target, weight, reduction=_REDUCTIONS[reduction], pos_weight=pos_weight
    )


@_functional(toplevel=_bce_with_logits_top, test=Sample(((4, 5), (4, 5)), low=0.05, high=0.95))
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid and binary cross entropy in one stable op."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    return apply(
        _loss.binary_cross_entropy_with_logits,
        (input, target, weight, pos_weight),
        _static(reduction=reduction),
    )


def _kl_div_top(
    input: Tensor, target: Tensor, reduction: int = 1, *, log_target: bool = False
) -> Tensor:
    """``torch.kl_div``: ``reduction`` is ATen's enum."""
    return kl_div(input, target, reduction=_REDUCTIONS[reduction], log_target=log_target)


@_functional(
    toplevel=_kl_div_top,
    test=Sample(((4, 5), (4, 5)), kwargs={"reduction": "batchmean"}, low=0.1, high=1),
)
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from ``input`` (log-probabilities)."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    op = _loss.kl_div_log_target if log_target and reduction == "none" else _loss.kl_div[reduction]
    return apply(op, (input, target), _static(reduction=reduction, log_target=log_target))


def _cosine_embedding_loss_top(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 1
) -> Tensor:
    """``torch.cosine_embedding_loss``: ``reduction`` is ATen's enum."""
    return cosine_embedding_loss(input1, input2, target, margin, reduction=_REDUCTIONS[reduction])


@_functional(
    toplevel=_cosine_embedding_loss_top, test=Sample(((4, 5), (4, 5), Given((1, -1, 1, -1))))
)
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos`` for target 1, ``max(0, cos - margin)`` for target -1."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(
        _loss.cosine_embedding[reduction],
        (input1, input2, target),
        _static(margin=float(margin), reduction=reduction),
    )


def _margin_ranking_loss_top(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 1
) -> Tensor:
    """``torch.margin_ranking_loss``: ``reduction`` is ATen's enum."""
    return margin_ranking_loss(input1, input2, target, margin, reduction=_REDUCTIONS[reduction])


@_functional(
    toplevel=_margin_ranking_loss_top, test=Sample(((6,), (6,), Given((1, -1, 1, -1, 1, -1))))
)
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(
        _loss.margin_ranking[reduction],
        (input1, input2, target),
        _static(margin=float(margin), reduction=reduction),
    )


# -- padding, resizing --------------------------------------------------------------------


@_functional(test=Sample(((4, 5),), args=((1, 2),)))
def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims (``pad`` lists the last dim first).

    >>> import tensorish
    >>> tensorish.nn.functional.pad(tensorish.ones(2), (1, 2))
    tensor([0., 1., 1., 0., 0.])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input "
            "dimension but got padding length "
            f"{len(pad)} and input of dimension {input.ndim}"
        )
    n = len(pad) // 2
    if mode == "constant":
        name = "ConstantPadNdBackward0"
    elif mode in ("reflect", "replicate", "circular"):
        name = {
            "reflect": f"ReflectionPad{n}DBackward0",
            "replicate": f"ReplicationPad{n}DBackward0",
            "circular": "CopySlices",
        }[mode]
    else:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return apply(
        _conv.pad(name),
        (input,),
        _static(pad=pad, mode=mode, value=0.0 if value is None else value),
    )


@_functional(test=Sample(((1, 2, 3, 4),), kwargs={"scale_factor": 2}))
def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims: nearest, nearest-exact, (bi/tri)linear.

    >>> import tensorish
    >>> tensorish.nn.functional.interpolate(tensorish.ones(1, 1, 2), scale_factor=2).shape
    tensorish.Size([1, 1, 4])
    """
    nd = input.ndim - 2
    op = _conv.interpolate.get((mode, nd))
    if op is None:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if mode.startswith("nearest") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = _tuple(size, nd)
        scales = (None,) * nd
    else:
        factors = tuple(
            float(s)
            for s in (
                scale_factor if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * nd
            )
        )
        sizes = tuple(int(math.floor(n * f)) for n, f in zip(input.shape[2:], factors))
        scales = (None,) * nd if recompute_scale_factor else factors
    return apply(
        op,
        (input,),
        _static(sizes=sizes, mode=mode, align_corners=bool(align_corners), scales=scales),
    )


# -- attention ----------------------------------------------------------------------------


@_functional(test=Sample(((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8))))
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q @ k.T * scale + mask) @ v`` (boolean masks: True means attend), by the
    first backend ``nn.attention.sdpa_kernel`` enables that can run it.

    >>> import tensorish
    >>> q = tensorish.ones(1, 2, 4)
    >>> tensorish.nn.functional.scaled_dot_product_attention(q, q, q).shape
    tensorish.Size([1, 2, 4])
    """
    backend = _attention.select(query, key, value, attn_mask, dropout_p).name
    if backend != "MATH" and query.device.type == "cuda":
        backend += "_GPU"
    rng = next_key() if dropout_p > 0 else None
    return apply(
        _sequence.scaled_dot_product_attention[backend],
        (query, key, value, attn_mask, rng),
        _static(
            dropout_p=float(dropout_p), is_causal=bool(is_causal), scale=scale, gqa=bool(enable_gqa)
        ),
    )


def _multi_head_attention(
    query,
    key,
    value,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    out_proj_weight,
    out_proj_bias,
    *,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    dropout_p=0.0,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    average_attn_weights=True,
    is_causal=False,
    batch_first=False,
):
    """The whole MultiheadAttention forward as one op: returns (output, weights or None)."""
    e = query.shape[-1]
    if e % num_heads:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {num_heads}")
    p = dropout_p if training else 0.0
    rng = next_key() if p > 0 else None
    out = apply(
        _sequence.multi_head_attention[(bool(need_weights), bool(batch_first))],
        (
            query,
            key,
            value,
            in_proj_weight,
            q_proj_weight,
            k_proj_weight,
            v_proj_weight,
            in_proj_bias,
            out_proj_weight,
            out_proj_bias,
            key_padding_mask,
            attn_mask,
            rng,
        ),
        _static(
            heads=num_heads,
            dropout_p=float(p),
            need_weights=bool(need_weights),
            average=bool(average_attn_weights),
            batch_first=bool(batch_first),
            is_causal=bool(is_causal),
        ),
    )
    return out if need_weights else (out, None)


# -- recurrent ----------------------------------------------------------------------------


def _rnn_forward(
    mode: str,
    input: Tensor,
    hx,
    cx,
    weights: list,
    *,
    layers: int,
    bidirectional: bool,
    batch_first: bool,
    dropout: float,
    training: bool,
    has_bias: bool,
    hidden: int,
) -> tuple:
    """Every layer and direction of an RNN/LSTM/GRU as one op (``lax.scan`` over time)."""
    p = dropout if training and layers > 1 else 0.0
    rng = next_key() if p > 0 else None
    return apply(
        _sequence.rnn[3 if mode == "LSTM" else 2],
        (input, hx, cx, rng, *weights),
        _static(
            mode=mode,
            layers=layers,
            bidirectional=bidirectional,
            batch_first=batch_first,
            dropout=float(p),
            has_bias=has_bias,
            hidden=hidden,
        ),
    )


# -- flatten ------------------------------------------------------------------------------


def _reshape(input: Tensor, shape: tuple) -> Tensor:
    return _shape._as_shape(input, shape)


__all__ = public(__name__)

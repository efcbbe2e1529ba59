"""tensorish.nn.functional: layers, activations and losses as functions.

Each layer is ONE op (a pure jnp/lax function, jitted, its gradient from ``jax.vjp``) named after
the ``grad_fn`` PyTorch gives its output, so a layer costs one XLA call forward and one backward.
Optional tensors (a missing bias, no weight) are passed as ``None``, which jit treats as an empty
argument. Random ops (dropout) take a PRNG key drawn from a ``tensorish.Generator``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype
from .._dispatch import Op, apply
from .._random import next_key
from .._tensor import Tensor, _wrap_dim
from ..ops._common import inplace as _inplace


def _tuple(x, n: int) -> tuple[int, ...]:
    if isinstance(x, (int, np.integer)):
        return (int(x),) * n
    x = tuple(int(v) for v in x)
    return x * n if len(x) == 1 else x


def _static(**kw) -> tuple:
    return tuple(kw.items())


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


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


def _linear_fn(x, w, b):
    y = jnp.matmul(x, w.T)
    return y if b is None else y + b


_LINEAR = {
    (True, True): Op("AddmmBackward0", _linear_fn),
    (True, False): Op("MmBackward0", _linear_fn),
    (False, True): Op("ViewBackward0", _linear_fn),
    (False, False): Op("UnsafeViewBackward0", _linear_fn),
}


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
    return apply(_LINEAR[(input.ndim == 2, bias is not None)], (input, weight, bias))


_bilinear = Op(
    "AddBackward0",
    lambda a, b, w, bias: (
        jnp.einsum("...i,oij,...j->...o", a, w, b) + (0 if bias is None else bias)
    ),
)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1 @ weight[o] @ x2 + bias_o``."""
    return apply(_bilinear, (input1, input2, weight, bias))


# -- convolution --------------------------------------------------------------------------

_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _conv_fn(x, w, b, stride, padding, dilation, groups, nd):
    batched = x.ndim == nd + 2
    if not batched:
        x = x[None]
    dn = lax.conv_dimension_numbers(x.shape, w.shape, _DN[nd])
    y = lax.conv_general_dilated(
        x,
        w,
        stride,
        padding,
        rhs_dilation=dilation,
        dimension_numbers=dn,
        feature_group_count=groups,
    )
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y if batched else y[0]


def _conv_t_fn(x, w, b, stride, padding, output_padding, dilation, groups, nd):
    batched = x.ndim == nd + 2
    if not batched:
        x = x[None]
    cin, k = w.shape[0], w.shape[2:]
    # (Cin, Cout/g, *k) -> (Cout, Cin/g, *k), spatially flipped: a transposed convolution is a
    # convolution of the stride-dilated input with the flipped, transposed kernel.
    w = w.reshape((groups, cin // groups) + w.shape[1:])
    w = jnp.swapaxes(w, 1, 2).reshape((groups * w.shape[2], cin // groups) + k)
    w = jnp.flip(w, axis=tuple(range(2, 2 + nd)))
    pads = [
        (d * (kk - 1) - p, d * (kk - 1) - p + op)
        for kk, p, op, d in zip(k, padding, output_padding, dilation)
    ]
    dn = lax.conv_dimension_numbers(x.shape, w.shape, _DN[nd])
    y = lax.conv_general_dilated(
        x,
        w,
        (1,) * nd,
        pads,
        lhs_dilation=stride,
        rhs_dilation=dilation,
        dimension_numbers=dn,
        feature_group_count=groups,
    )
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y if batched else y[0]


_conv = Op("ConvolutionBackward0", _conv_fn)
_conv_t = Op("ConvolutionBackward0", _conv_t_fn)


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
        _conv,
        (input, weight, bias),
        _static(stride=stride, padding=pads, dilation=dilation, groups=groups, nd=nd),
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
        _conv_t,
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


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_pads(shape, k, s, p, d, ceil_mode) -> tuple:
    pads = []
    for size, kk, ss, pp, dd in zip(shape, k, s, p, d):
        out = _pool_out(size, kk, ss, pp, dd, ceil_mode)
        extra = max(0, (out - 1) * ss + dd * (kk - 1) + 1 - (size + 2 * pp))
        pads.append((pp, pp + extra))
    return tuple(pads)


def _max_pool_fn(x, kernel, stride, padding, dilation, ceil_mode):
    nd = len(kernel)
    lead = x.ndim - nd
    pads = ((0, 0),) * lead + _pool_pads(
        x.shape[lead:], kernel, stride, padding, dilation, ceil_mode
    )
    # A Python scalar init lets JAX see the max monoid (and so differentiate it).
    init = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
    if all(d == 1 for d in dilation):
        return lax.reduce_window(x, init, lax.max, (1,) * lead + kernel, (1,) * lead + stride, pads)
    # JAX has no gradient for a dilated max window: take the max over the strided slices, one
    # per kernel offset, instead.
    xp = lax.pad(x, jnp.asarray(init, x.dtype), [(lo, hi, 0) for lo, hi in pads])
    outs = [
        (xp.shape[lead + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)
    ]
    best = None
    for offset in np.ndindex(*kernel):
        start = (0,) * lead + tuple(o * d for o, d in zip(offset, dilation))
        limit = x.shape[:lead] + tuple(
            s + (n - 1) * st + 1 for s, n, st in zip(start[lead:], outs, stride)
        )
        piece = lax.slice(xp, start, limit, (1,) * lead + stride)
        best = piece if best is None else jnp.maximum(best, piece)
    return best


def _avg_pool_fn(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    nd = len(kernel)
    lead = x.ndim - nd
    spatial = x.shape[lead:]
    pads = _pool_pads(spatial, kernel, stride, padding, (1,) * nd, ceil_mode)
    window, strides = (1,) * lead + kernel, (1,) * lead + stride
    total = lax.reduce_window(x, 0.0, lax.add, window, strides, ((0, 0),) * lead + pads)
    if divisor_override:
        return total / divisor_override
    # PyTorch's divisor: the window clipped to the padded input (count_include_pad) or to the
    # input itself; windows that ceil_mode lets run past the padding never count that part.
    ones = np.ones(spatial, np.float32)
    ones = np.pad(ones, padding, constant_values=1.0 if count_include_pad else 0.0)
    ones = np.pad(ones, [(0, hi - p) for (_, hi), p in zip(pads, padding)])
    count = lax.reduce_window(jnp.asarray(ones), 0.0, lax.add, kernel, stride, ((0, 0),) * nd)
    return total / count.astype(x.dtype)


_max_pool = {
    1: Op("SqueezeBackward1", _max_pool_fn),
    2: Op("MaxPool2DWithIndicesBackward0", _max_pool_fn),
    3: Op("MaxPool3DWithIndicesBackward0", _max_pool_fn),
}
_avg_pool = {
    1: Op("SqueezeBackward1", _avg_pool_fn, saves=()),
    2: Op("AvgPool2DBackward0", _avg_pool_fn, saves=()),
    3: Op("AvgPool3DBackward0", _avg_pool_fn, saves=()),
}


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
        _max_pool[nd],
        (input,),
        _static(kernel=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode)),
    )


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
        _avg_pool[nd],
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


def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    m = np.zeros((out, size), np.float32)
    for i in range(out):
        lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _adaptive_avg_fn(x, output_size):
    for axis, out in zip(range(x.ndim - len(output_size), x.ndim), output_size):
        m = jnp.asarray(_adaptive_matrix(x.shape[axis], out), x.dtype)
        x = jnp.moveaxis(jnp.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


_adaptive_avg = {
    1: Op("SqueezeBackward1", _adaptive_avg_fn, saves=()),
    2: Op("AdaptiveAvgPool2DBackward0", _adaptive_avg_fn, saves=()),
    3: Op("AdaptiveAvgPool3DBackward0", _adaptive_avg_fn, saves=()),
}


def _adaptive(nd: int, input: Tensor, output_size) -> Tensor:
    sizes = (
        _tuple(output_size, nd)
        if not isinstance(output_size, (list, tuple))
        else tuple(
            input.shape[input.ndim - nd + i] if o is None else int(o)
            for i, o in enumerate(output_size)
        )
    )
    return apply(_adaptive_avg[nd], (input,), _static(output_size=sizes))


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output length."""
    return _adaptive(1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (PyTorch's floor/ceil window bounds).

    >>> import tensorish
    >>> tensorish.nn.functional.adaptive_avg_pool2d(tensorish.ones(1, 5, 7), 1).shape
    tensorish.Size([1, 1, 1])
    """
    return _adaptive(2, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed 3-D output size."""
    return _adaptive(3, input, output_size)


# -- normalization ------------------------------------------------------------------------


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


_bn_train = Op("NativeBatchNormBackward0", _bn_train_fn, n_out=3)
_bn_eval = Op("NativeBatchNormBackward0", _bn_eval_fn)


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
            _bn_train,
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
        _bn_eval, (input, weight, bias, running_mean._value, running_var._value), _static(eps=eps)
    )


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


_layer_norm = Op("NativeLayerNormBackward0", _ln_fn)


def _check_normalized(input: Tensor, shape: tuple) -> None:
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}"
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
    return apply(_layer_norm, (input, weight, bias), _static(nd=len(shape), eps=eps))


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


_group_norm = Op("NativeGroupNormBackward0", _gn_fn)


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
    return apply(_group_norm, (input, weight, bias), _static(groups=num_groups, eps=eps))


def _rms_fn(x, w, nd, eps):
    axes = tuple(range(x.ndim - nd, x.ndim))
    if eps is None:
        eps = float(jnp.finfo(x.dtype).eps)
    y = x * lax.rsqrt(jnp.mean(jnp.square(x), axes, keepdims=True) + eps)
    return y if w is None else y * w


_rms_norm = Op("MulBackward0", _rms_fn)


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """Root-mean-square normalization over the last dims (eps defaults to the dtype's eps)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_normalized(input, shape)
    return apply(_rms_norm, (input, weight), _static(nd=len(shape), eps=eps))


def _lp_normalize_fn(x, p, dim, eps):
    n = jnp.sum(jnp.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / jnp.maximum(n, eps)


_normalize = Op("DivBackward0", _lp_normalize_fn)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return apply(_normalize, (input,), _static(p=float(p), dim=_wrap_dim(dim, input.ndim), eps=eps))


def _cos_sim_fn(a, b, dim, eps):
    a, b = jnp.broadcast_arrays(a, b)
    na = jnp.sqrt(jnp.sum(a * a, axis=dim, keepdims=True))
    nb = jnp.sqrt(jnp.sum(b * b, axis=dim, keepdims=True))
    return jnp.sum(a / jnp.maximum(na, eps) * (b / jnp.maximum(nb, eps)), axis=dim)


_cos_sim = Op("SumBackward1", _cos_sim_fn)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim``."""
    ndim = max(x1.ndim, x2.ndim)
    return apply(_cos_sim, (x1, x2), _static(dim=_wrap_dim(dim, ndim), eps=eps))


def _pdist_fn(a, b, p, eps, keepdim):
    return jnp.sum(jnp.abs(a - b + eps) ** p, axis=-1, keepdims=keepdim) ** (1.0 / p)


_pairwise = Op("NormBackward1", _pdist_fn)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    return apply(_pairwise, (x1, x2), _static(p=float(p), eps=eps, keepdim=keepdim))


# -- dropout, embedding -------------------------------------------------------------------


def _dropout_fn(x, key, p):
    if p >= 1:
        return x * 0
    keep = jax.random.bernoulli(key, 1 - p, x.shape)
    return jnp.where(keep, x / (1 - p), 0).astype(x.dtype)


_dropout = Op("MulBackward0", _dropout_fn, saves=())


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
        input, apply(_dropout, (input, next_key()), _static(p=float(p))), inplace
    )


def _feature_dropout_fn(x, key, p, nd):
    if p >= 1:
        return x * 0
    keep = jax.random.bernoulli(key, 1 - p, x.shape[: x.ndim - nd] + (1,) * nd)
    return jnp.where(keep, x / (1 - p), 0).astype(x.dtype)


_feature_dropout = Op("MulBackward0", _feature_dropout_fn, saves=())


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
    out = apply(_feature_dropout, (input, next_key()), _static(p=float(p), nd=nd))
    return _inplace_result(input, out, inplace)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _dropoutnd(1, input, p, training, inplace)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _dropoutnd(2, input, p, training, inplace)


def _embedding_fn(idx, w, padding_idx):
    rows = jnp.take(w, idx, axis=0)
    if padding_idx is None:
        return rows
    # The padding row gets no gradient, as in PyTorch.
    return jnp.where((idx == padding_idx)[..., None], lax.stop_gradient(rows), rows)


_embedding = Op("EmbeddingBackward0", _embedding_fn, saves=(0,))


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
    return apply(_embedding, (input, weight), _static(padding_idx=padding_idx))


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


def _where_pos(x, pos, neg):
    return jnp.where(x > 0, pos, neg)


def _neg(x):
    return jnp.where(x > 0, jnp.zeros_like(x), x)


def _below(x, limit):
    return jnp.where(x > limit, jnp.full_like(x, limit), x)


_relu = Op("ReluBackward0", lambda x: jnp.where(x > 0, x, jnp.zeros_like(x)), saves=())
# NOTE: jnp.where(inside, x, clipped) gives zero gradient at both edges, as PyTorch's hardtanh.
_hardtanh = Op(
    "HardtanhBackward0",
    lambda x, lo, hi: jnp.where(
        x <= lo, jnp.asarray(lo, x.dtype), jnp.where(x >= hi, jnp.asarray(hi, x.dtype), x)
    ),
)
_leaky_relu = Op("LeakyReluBackward0", lambda x, slope: _where_pos(x, x, x * slope))
# NOTE: the masked copies (``_neg``, ``_below``) keep the unused branch finite without the
# 0.5/0.5 split jnp.minimum gives at a tie, so each kink gets PyTorch's one-sided derivative.
_elu = Op(
    "EluBackward0", lambda x, alpha, scale: scale * _where_pos(x, x, alpha * jnp.expm1(_neg(x)))
)
_celu = Op("CeluBackward0", lambda x, alpha: _where_pos(x, x, alpha * jnp.expm1(_neg(x) / alpha)))
_gelu = Op("GeluBackward0", lambda x, approximate: jax.nn.gelu(x, approximate=approximate))
_silu = Op("SiluBackward0", jax.nn.silu)
_mish = Op("MishBackward0", lambda x: x * jnp.tanh(jax.nn.softplus(x)))
_softplus = Op(
    "SoftplusBackward0",
    lambda x, beta, threshold: jnp.where(
        x * beta > threshold, x, jnp.log1p(jnp.exp(_below(x * beta, threshold))) / beta
    ),
)
_sigmoid = Op("SigmoidBackward0", jax.nn.sigmoid)
_tanh = Op("TanhBackward0", jnp.tanh)
_hardsigmoid = Op(
    "HardsigmoidBackward0",
    lambda x: jnp.where(
        x <= -3, jnp.zeros_like(x), jnp.where(x >= 3, jnp.ones_like(x), x / 6 + 0.5)
    ),
)
# NOTE: PyTorch's hardswish gradient at the edges is 0 (at -3) and 1 (at 3).
_hardswish = Op(
    "HardswishBackward0",
    lambda x: jnp.where(x <= -3, jnp.zeros_like(x), jnp.where(x < 3, x * (x + 3) / 6, x)),
)
_logsigmoid = Op("LogSigmoidBackward0", jax.nn.log_sigmoid)
_softsign = Op("DivBackward0", lambda x: x / (1 + jnp.abs(x)))
_tanhshrink = Op("SubBackward0", lambda x: x - jnp.tanh(x))
_threshold = Op(
    "ThresholdBackward0",
    lambda x, threshold, value: jnp.where(x > threshold, x, jnp.asarray(value, x.dtype)),
)
_glu = Op(
    "GluBackward0",
    lambda x, dim: jnp.split(x, 2, axis=dim)[0] * jax.nn.sigmoid(jnp.split(x, 2, axis=dim)[1]),
)
_prelu = Op(
    "PreluKernelBackward0",
    lambda x, w: jnp.where(
        x > 0, x, (w.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 and w.size > 1 else w) * x
    ),
)
_softmax = Op("SoftmaxBackward0", lambda x, dim, dtype: jax.nn.softmax(x.astype(dtype), axis=dim))
_softmin = Op("SoftmaxBackward0", lambda x, dim, dtype: jax.nn.softmax(-x.astype(dtype), axis=dim))
_log_softmax = Op(
    "LogSoftmaxBackward0", lambda x, dim, dtype: jax.nn.log_softmax(x.astype(dtype), axis=dim)
)


def _inplace_result(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return out
    return _inplace(input, lambda _: out)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``; the gradient at 0 is 0.

    >>> import tensorish
    >>> tensorish.nn.functional.relu(tensorish.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return _inplace_result(input, apply(_relu, (input,)), inplace)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamp to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace_result(
        input, apply(_hardtanh, (input,), _static(lo=min_val, hi=max_val)), inplace
    )


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """Clamp to ``[0, 6]``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    return _inplace_result(
        input, apply(_leaky_relu, (input,), _static(slope=negative_slope)), inplace
    )


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _inplace_result(input, apply(_elu, (input,), _static(alpha=alpha, scale=1.0)), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalizing constants."""
    return _inplace_result(
        input,
        apply(
            _elu,
            (input,),
            _static(
                alpha=1.6732632423543772848170429916717, scale=1.0507009873554804934193349852946
            ),
        ),
        inplace,
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    return _inplace_result(input, apply(_celu, (input,), _static(alpha=alpha)), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (``approximate='tanh'`` for the tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(_gelu, (input,), _static(approximate=approximate == "tanh"))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return _inplace_result(input, apply(_silu, (input,)), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _inplace_result(input, apply(_mish, (input,)), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return apply(_softplus, (input,), _static(beta=beta, threshold=threshold))


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return apply(_sigmoid, (input,))


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return apply(_tanh, (input,))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _inplace_result(input, apply(_hardsigmoid, (input,)), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _inplace_result(input, apply(_hardswish, (input,)), inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return apply(_logsigmoid, (input,))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return apply(_softsign, (input,))


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return apply(_tanhshrink, (input,))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _inplace_result(
        input, apply(_threshold, (input,), _static(threshold=threshold, value=value)), inplace
    )


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second."""
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    return apply(_glu, (input,), _static(dim=d))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` for ``x > 0``, else ``weight * x`` (one weight, or one per channel)."""
    return apply(_prelu, (input, weight))


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


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``.

    >>> import tensorish
    >>> tensorish.nn.functional.softmax(tensorish.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_like(_softmax, "softmax", input, dim, dtype, _stacklevel)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    return _softmax_like(_softmin, "softmin", input, dim, dtype, _stacklevel)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    return _softmax_like(_log_softmax, "log_softmax", input, dim, dtype, _stacklevel)


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


_mse = _loss_ops(
    _pointwise(lambda x, y: jnp.square(x - y), True), {"mean": "MseLossBackward0"}, "DivBackward0"
)
_l1 = _loss_ops(
    _pointwise(lambda x, y: jnp.abs(x - y), True),
    {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"},
    "DivBackward0",
)
_smooth_l1_ops = _loss_ops(
    _pointwise(_smooth_l1, True), {"mean": "SmoothL1LossBackward0"}, "DivBackward0"
)
_huber_ops = _loss_ops(_pointwise(_huber, False), {"mean": "HuberLossBackward0"}, "MeanBackward0")


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
    return _pointwise_loss(_mse, input, target, weight, _reduction(size_average, reduce, reduction))


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error."""
    return _pointwise_loss(_l1, input, target, weight, _reduction(size_average, reduce, reduction))


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
        _smooth_l1_ops, input, target, None, _reduction(size_average, reduce, reduction), beta=beta
    )


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""
    return _pointwise_loss(
        _huber_ops, input, target, weight, _reduction(None, None, reduction), delta=delta
    )


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


_nll = {
    n: Op(n, _nll_fn, saves=(0,))
    for n in ("NllLossBackward0", "NllLoss2DBackward0", "AddBackward0")
}
_soft_ce = _by_reduction("NegBackward0", "DivBackward1", "SumBackward0", _soft_ce_fn)


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
        _nll[name],
        (input, target, weight),
        _static(
            cdim=cdim,
            ignore_index=ignore_index,
            reduction=reduction,
            smoothing=float(smoothing),
            log_softmax=from_logits,
        ),
    )


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
            _soft_ce[reduction],
            (input, target, weight),
            _static(cdim=cdim, reduction=reduction, smoothing=float(label_smoothing)),
        )
    return _nll_common(input, target, weight, ignore_index, reduction, label_smoothing, True)


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


_bce = Op("BinaryCrossEntropyBackward0", _bce_fn)
_bce_logits = Op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_fn)


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
    return apply(_bce, (input, target, weight), _static(reduction=reduction))


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
    return apply(_bce_logits, (input, target, weight, pos_weight), _static(reduction=reduction))


def _kl_fn(x, t, reduction, log_target):
    if log_target:
        loss = jnp.exp(t) * (t - x)
    else:
        loss = jnp.where(t > 0, t * jnp.log(jnp.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


_kl = {
    r: Op(n, _kl_fn)
    for r, n in (
        ("none", "SubBackward0"),
        ("mean", "MeanBackward0"),
        ("sum", "SumBackward0"),
        ("batchmean", "DivBackward0"),
    )
}
_kl_log_none = Op("MulBackward0", _kl_fn)


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
    op = _kl_log_none if log_target and reduction == "none" else _kl[reduction]
    return apply(op, (input, target), _static(reduction=reduction, log_target=log_target))


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


_cos_emb = _by_reduction("AddBackward0", "MeanBackward0", "SumBackward0", _cos_emb_fn)
_margin_rank = _by_reduction("ClampMinBackward0", "MeanBackward0", "SumBackward0", _margin_rank_fn)


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
        _cos_emb[reduction],
        (input1, input2, target),
        _static(margin=float(margin), reduction=reduction),
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
        _margin_rank[reduction],
        (input1, input2, target),
        _static(margin=float(margin), reduction=reduction),
    )


# -- padding, resizing --------------------------------------------------------------------


def _pad_fn(x, pad, mode, value):
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        return lax.pad(x, jnp.asarray(value, x.dtype), [(lo, hi, 0) for lo, hi in widths])
    return jnp.pad(
        x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    )


_pad_ops: dict = {}


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
    op = _pad_ops.get(name)
    if op is None:
        op = _pad_ops[name] = Op(name, _pad_fn, saves=())
    return apply(op, (input,), _static(pad=pad, mode=mode, value=0.0 if value is None else value))


def _interp_matrix(
    size: int, out: int, mode: str, align_corners: bool, scale: float | None
) -> np.ndarray:
    m = np.zeros((out, size), np.float64)
    dst = np.arange(out, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        s = (1.0 / scale) if scale else size / out
        src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * s)
        m[np.arange(out), np.minimum(src.astype(np.int64), size - 1)] = 1.0
        return m
    if align_corners:
        s = (size - 1) / (out - 1) if out > 1 else 0.0
        src = dst * s
    else:
        s = (1.0 / scale) if scale else size / out
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), size - 1)
    hi = np.minimum(lo + 1, size - 1)
    lam = src - lo
    np.add.at(m, (np.arange(out), lo), 1 - lam)
    np.add.at(m, (np.arange(out), hi), lam)
    return m


def _interp_fn(x, sizes, mode, align_corners, scales):
    nd = len(sizes)
    for i, (out, sc) in enumerate(zip(sizes, scales)):
        axis = x.ndim - nd + i
        m = jnp.asarray(_interp_matrix(x.shape[axis], out, mode, align_corners, sc), x.dtype)
        x = jnp.moveaxis(jnp.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


_INTERP_NAMES = {
    ("nearest", 1): "UpsampleNearest1DBackward0",
    ("nearest", 2): "UpsampleNearest2DBackward0",
    ("nearest", 3): "UpsampleNearest3DBackward0",
    ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
    ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
    ("linear", 1): "UpsampleLinear1DBackward0",
    ("bilinear", 2): "UpsampleBilinear2DBackward0",
    ("trilinear", 3): "UpsampleTrilinear3DBackward0",
}
_interp_ops = {k: Op(v, _interp_fn, saves=()) for k, v in _INTERP_NAMES.items()}


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
    op = _interp_ops.get((mode, nd))
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


_sdpa = Op(
    "ScaledDotProductFlashAttentionForCpuBackward0",
    lambda q, k, v, mask, key, dropout_p, is_causal, scale, gqa: _attention(
        q, _gqa(k, q, gqa), _gqa(v, q, gqa), mask, key, dropout_p, is_causal, scale
    )[0],
)


def _gqa(k, q, gqa):
    if not gqa or k.shape[-3] == q.shape[-3]:
        return k
    return jnp.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)


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
    """``softmax(q @ k.T * scale + mask) @ v`` (boolean masks: True means attend).

    >>> import tensorish
    >>> q = tensorish.ones(1, 2, 4)
    >>> tensorish.nn.functional.scaled_dot_product_attention(q, q, q).shape
    tensorish.Size([1, 2, 4])
    """
    rng = next_key() if dropout_p > 0 else None
    return apply(
        _sdpa,
        (query, key, value, attn_mask, rng),
        _static(
            dropout_p=float(dropout_p), is_causal=bool(is_causal), scale=scale, gqa=bool(enable_gqa)
        ),
    )


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


_mha = {
    (w, bf): Op("TransposeBackward0" if bf else "ViewBackward0", _mha_fn, n_out=2 if w else 1)
    for w in (True, False)
    for bf in (True, False)
}


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
        _mha[(bool(need_weights), bool(batch_first))],
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


_rnn = {n: Op("StackBackward0", _rnn_fn, n_out=n) for n in (2, 3)}


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
        _rnn[3 if mode == "LSTM" else 2],
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

_view = Op("ViewBackward0", lambda x, shape: x.reshape(shape), saves=())


def _reshape(input: Tensor, shape: tuple) -> Tensor:
    return apply(_view, (input,), _static(shape=tuple(shape)))


__all__ = [
    "linear",
    "bilinear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "batch_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "normalize",
    "cosine_similarity",
    "pairwise_distance",
    "dropout",
    "dropout1d",
    "dropout2d",
    "embedding",
    "one_hot",
    "relu",
    "relu6",
    "hardtanh",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "sigmoid",
    "tanh",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "softsign",
    "tanhshrink",
    "threshold",
    "glu",
    "prelu",
    "softmax",
    "softmin",
    "log_softmax",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "nll_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "pad",
    "interpolate",
    "scaled_dot_product_attention",
]

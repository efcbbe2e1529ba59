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

from .. import _dtype, _random
from .._dispatch import Op, apply
from .._random import next_key
from .._tensor import Tensor, _wrap_dim
from ..ops import _activation as _act
from ..ops import (
    _conv,
    _linalg,
    _loss,
    _nn,
    _norm,
    _pointwise,
    _pool,
    _resample,
    _sequence,
    _shape,
)
from ..ops._checks import check_range
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
        stacklevel=4,  # the caller of a loss (under autocast's wrapper)
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


@_functional(
    toplevel=True,
    test=Sample(((1, 4, 3, 4, 3), (4, 1, 2, 3, 2), (2,)), args=(2, 1, 1, 2, (1, 1, 2))),
)
def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """3-D transposed convolution (the gradient of conv3d with respect to its input)."""
    return _conv_transposend(
        3, input, weight, bias, stride, padding, output_padding, groups, dilation
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


def _check_pool_output(nd: int, input: Tensor, k, s, p, d, ceil_mode: bool, name: str) -> None:
    """PyTorch's error when a window does not fit the (padded) input."""
    if input.ndim < nd + 1:
        return
    sizes = input.shape[-nd:]
    out = []
    for n, kk, ss, pp, dd in zip(sizes, k, s, p, d):
        span = n + 2 * pp - dd * (kk - 1) - 1
        o = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1
        out.append(o)
    if min(out) > 0:
        return
    if nd == 1 and name == "max_pool1d":
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out[0]}")
    c = input.shape[-nd - 1]
    raise RuntimeError(
        f"Given input size: ({'x'.join(map(str, (c, *sizes)))}). Calculated output size: "
        f"({'x'.join(map(str, (c, *out)))}). Output size is too small"
    )


def _max_poolnd(
    nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
) -> Tensor:
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation)
    _check_pool_output(nd, input, k, s, p, d, ceil_mode, f"max_pool{nd}d")
    if return_indices:
        return apply(
            _pool.max_pool_with_indices[nd],
            (input,),
            _static(kernel=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode)),
        )
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
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding)
    if nd > 1:
        _check_pool_output(nd, input, k, s, p, d, ceil_mode, f"avg_pool{nd}d")
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
    sizes = _pool_output(nd, input, output_size)
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


def _pool_output(nd: int, input: Tensor, output_size) -> tuple:
    """An adaptive pool's output size: one int for every dim, or a size per dim (None keeps
    the input's)."""
    if not isinstance(output_size, (list, tuple)):
        return _tuple(output_size, nd)
    return tuple(
        input.shape[input.ndim - nd + i] if o is None else int(o) for i, o in enumerate(output_size)
    )


def _adaptive_max(nd: int, input: Tensor, output_size, return_indices: bool):
    sizes = _pool_output(nd, input, output_size)
    name = f"adaptive_max_pool{nd}d()"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}"
        )
    if len(sizes) != nd:
        raise RuntimeError(f"{name}: internal error: output_size.size() must be {nd}")
    out, idx = apply(_pool.adaptive_max_pool[nd], (input,), _static(output_size=sizes))
    return (out, idx) if return_indices else out


@_functional(test=Sample(((2, 3, 7),), args=(3,)))
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output length; with ``return_indices``, also where each
    maximum came from."""
    return _adaptive_max(1, input, output_size, return_indices)


@_functional(test=Sample(((2, 3, 7, 5),), args=((3, 2),), kwargs={"return_indices": True}))
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size (PyTorch's floor/ceil window bounds).

    >>> import tensorish
    >>> tensorish.nn.functional.adaptive_max_pool2d(tensorish.ones(1, 5, 7), 2).shape
    tensorish.Size([1, 2, 2])
    """
    return _adaptive_max(2, input, output_size, return_indices)


@_functional(test=Sample(((1, 2, 4, 5, 6),), args=(2,)))
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed 3-D output size."""
    return _adaptive_max(3, input, output_size, return_indices)


@_functional(test=Sample(((2, 3, 7),), args=(3,)))
def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool1d` and its indices."""
    return _adaptive_max(1, input, output_size, True)


@_functional(test=Sample(((2, 3, 7, 5),), args=((3, None),)))
def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool2d` and its indices."""
    return _adaptive_max(2, input, output_size, True)


@_functional(test=Sample(((1, 2, 4, 5, 6),), args=((2, 3, 4),)))
def adaptive_max_pool3d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool3d` and its indices."""
    return _adaptive_max(3, input, output_size, True)


@_functional(test=Sample(((2, 3, 9),), args=(3, 2, 1)))
def max_pool1d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool1d` and the flat index of each maximum in its input plane."""
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


@_functional(test=Sample(((2, 3, 7, 6),), args=((3, 2), (2, 1), 1, (1, 2), True)))
def max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool2d` and the flat index of each maximum in its input plane."""
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


@_functional(test=Sample(((1, 2, 4, 4, 5),), args=(2,)))
def max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool3d` and the flat index of each maximum in its input plane."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_unpoolnd(nd: int, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    k = _tuple(kernel_size, nd)
    s = k if stride is None else _tuple(stride, nd)
    p = _tuple(padding, nd)
    spatial = tuple(input.shape[input.ndim - nd :])
    default = tuple((n - 1) * ss - 2 * pp + kk for n, kk, ss, pp in zip(spatial, k, s, p))
    if output_size is None:
        sizes = default
    else:
        sizes = tuple(int(o) for o in output_size)[-nd:]
        for d, (o, want, ss) in enumerate(zip(sizes, default, s)):
            if not want - ss < o < want + ss:
                raise ValueError(
                    f'invalid output_size "{tuple(sizes)}" (dim {d} must be between '
                    f"{want - ss} and {want + ss})"
                )
    if indices.dtype is not _dtype.int64:
        raise RuntimeError(
            f"elements in indices should be type int64 but got: {indices.dtype.title}"
        )
    plane = math.prod(sizes)
    idx = np.asarray(indices._value)
    bad = idx[(idx < 0) | (idx >= plane)]
    if bad.size:
        raise RuntimeError(
            f"Found an invalid max index: {bad.flat[0]} (output volumes are of size "
            f"{'x'.join(map(str, sizes))})"
        )
    return apply(_pool.max_unpool[nd], (input, indices), _static(output_size=sizes))


@_functional(test=Sample(((2, 3, 4), Given([[[0, 3, 5, 6]] * 3] * 2)), args=(2,)))
def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The inverse of :func:`max_pool1d`: each value written at its index, zeros elsewhere."""
    return _max_unpoolnd(1, input, indices, kernel_size, stride, padding, output_size)


@_functional(test=Sample(((1, 2, 2, 2), Given([[[[0, 3], [9, 14]]] * 2])), args=(2,)))
def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The inverse of :func:`max_pool2d`: each value written at its index, zeros elsewhere.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> out, idx = F.max_pool2d(tensorish.arange(16.).reshape(1, 4, 4), 2, return_indices=True)
    >>> F.max_unpool2d(out, idx, 2).shape
    tensorish.Size([1, 4, 4])
    """
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


@_functional(test=Sample(((1, 1, 1, 1, 2), Given([[[[[5, 13]]]]])), args=(2,)))
def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The inverse of :func:`max_pool3d`: each value written at its index, zeros elsewhere."""
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


def _lp_poolnd(nd: int, input, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    k, s, p, _ = _pool_args(nd, kernel_size, stride, 0)
    for n, kk, ss in zip(input.shape[input.ndim - nd :], k, s):
        if (n - kk) // ss + 1 < 1:
            outs = "x".join(
                str(max((m - kk2) // ss2 + 1, 0))
                for m, kk2, ss2 in zip(input.shape[input.ndim - nd :], k, s)
            )
            ins = "x".join(map(str, input.shape[input.ndim - nd - 1 :]))
            raise RuntimeError(
                f"Given input size: ({ins}). Calculated output size: "
                f"({input.shape[input.ndim - nd - 1]}x{outs}). Output size is too small"
            )
    return apply(
        _pool.lp_pool,
        (input,),
        _static(norm_type=float(norm_type), kernel=k, stride=s, ceil_mode=bool(ceil_mode)),
    )


@_functional(test=Sample(((2, 3, 8),), args=(2.0, 3, 2), low=0.5))
def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling: ``(sum over the window of x ** p) ** (1 / p)``."""
    return _lp_poolnd(1, input, norm_type, kernel_size, stride, ceil_mode)


@_functional(test=Sample(((2, 3, 6, 5),), args=(3.0, 2), kwargs={"ceil_mode": True}, low=0.5))
def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """2-D power-average pooling.

    >>> import tensorish
    >>> tensorish.nn.functional.lp_pool2d(tensorish.ones(1, 4, 4), 2, 2)
    tensor([[[2., 2.],
             [2., 2.]]])
    """
    return _lp_poolnd(2, input, norm_type, kernel_size, stride, ceil_mode)


@_functional(test=Sample(((1, 2, 4, 4, 4),), args=(2.0, 2), low=0.5))
def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """3-D power-average pooling."""
    return _lp_poolnd(3, input, norm_type, kernel_size, stride, ceil_mode)


def _fractional_max(
    nd: int, input, kernel_size, output_size, output_ratio, return_indices, _random_samples
):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    k = _tuple(kernel_size, nd)
    spatial = tuple(input.shape[input.ndim - nd :])
    if output_size is None:
        ratio = output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nd
        sizes = tuple(int(n * float(r)) for n, r in zip(spatial, ratio))
    else:
        sizes = _tuple(output_size, nd)
    for dim, n, kk, o in zip(("time", "height", "width")[3 - nd :], spatial, k, sizes):
        if o + kk - 1 > n:
            raise RuntimeError(f"{name}(): pool {dim} {kk} too large relative to input {dim} {n}")
    if _random_samples is None:
        planes = input.shape[0] if input.ndim == nd + 2 else 1
        channels = input.shape[input.ndim - nd - 1]
        _random_samples = _random.rand(planes, channels, nd, dtype=input.dtype)
    out, idx = apply(
        _pool.fractional_max_pool[nd],
        (input, _random_samples),
        _static(kernel=k, output_size=sizes),
    )
    return (out, idx) if return_indices else out


@_functional(test=())
def fractional_max_pool2d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """Max pooling over pseudo-randomly placed windows (Graham, 2014).

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.fractional_max_pool2d(tensorish.ones(1, 1, 7, 7), 2, output_size=3).shape
    tensorish.Size([1, 1, 3, 3])
    """
    return _fractional_max(
        2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


@_functional(test=())
def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool2d` and its indices."""
    return _fractional_max(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


@_functional(test=())
def fractional_max_pool3d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """3-D max pooling over pseudo-randomly placed windows."""
    return _fractional_max(
        3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


@_functional(test=())
def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool3d` and its indices."""
    return _fractional_max(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


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
    c = input.shape[1] if input.ndim > 1 else 0
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
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
    _pointwise._broadcast_error((x1, x2), ())
    ndim = max(x1.ndim, x2.ndim)
    return apply(_norm.cosine_similarity, (x1, x2), _static(dim=_wrap_dim(dim, ndim), eps=eps))


@_functional(toplevel=True, test=Sample(((4, 5), (4, 5))))
def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    return apply(_norm.pairwise_distance, (x1, x2), _static(p=float(p), eps=eps, keepdim=keepdim))


@_functional(
    test=(
        Sample(((2, 3, 4, 5), (3,), (3,)), args=(T, None, None, T, T)),
        # forward only: the running stats cannot require grad (test_nn_layers_more: backward)
        Sample(
            ((2, 3, 6), (3,), (3,)), args=(T, T, T), kwargs={"use_input_stats": False}, grad=False
        ),
    )
)
def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample over its spatial dims; with running stats and
    ``use_input_stats``, update them in place with ``momentum``.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.instance_norm(tensorish.tensor([[[1., 3.]]]))
    tensor([[[-1.0000,  1.0000]]])
    """
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        return apply(
            _norm.instance_norm_eval,
            (input, weight, bias, running_mean._value, running_var._value),
            _static(eps=eps),
        )
    if math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    if running_mean is None:
        return apply(_norm.instance_norm, (input, weight, bias, None, None, None), _static(eps=eps))
    factor = np.asarray(momentum, running_mean._v.dtype)
    y, new_rm, new_rv = apply(
        _norm.instance_norm_tracked,
        (input, weight, bias, running_mean._value, running_var._value, factor),
        _static(eps=eps),
    )
    running_mean._set_value(new_rm._value)
    running_var._set_value(new_rv._value)
    return y


@_functional(test=(Sample(((2, 5, 3, 4),), args=(3,)), Sample(((2, 4, 6),), args=(2, 0.1, 0.5))))
def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each value by a power of the mean square over ``size`` neighbouring channels.

    >>> import tensorish
    >>> tensorish.nn.functional.local_response_norm(tensorish.ones(1, 2, 2), 2).shape
    tensorish.Size([1, 2, 2])
    """
    if input.ndim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input (got "
            f"{input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    return apply(
        _norm.local_response_norm,
        (input,),
        _static(size=int(size), alpha=float(alpha), beta=float(beta), k=float(k)),
    )


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
    if not training or p == 0 or input.numel() == 0:  # as PyTorch: the input, no draw
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
    if not training or p == 0 or input.numel() == 0:
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
    check_range(
        input._value, 0, weight.shape[0], lambda _: IndexError("index out of range in self")
    )
    return apply(_nn.embedding, (input, weight), _static(padding_idx=padding_idx))


_INT64_MAX = np.iinfo(np.int64).max


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
    check_range(v, 0, _INT64_MAX, lambda _: RuntimeError("Class values must be non-negative."))
    if num_classes != -1:
        check_range(
            v,
            0,
            num_classes,
            lambda _: RuntimeError("Class values must be smaller than num_classes."),
        )
    if num_classes == -1:
        num_classes = int(jnp.max(v)) + 1 if v.size else 0
    return Tensor._wrap(jax.nn.one_hot(v, num_classes, dtype=jnp.int64))


@_functional(test=())
def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).",
            UserWarning,
            stacklevel=2,
        )
    if not training:
        return input
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    out = apply(_nn.feature_dropout, (x, next_key()), _static(p=float(p), nd=x.ndim - 2))
    return _inplace_result(input, out if batched else out.squeeze(0), inplace)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    out = apply(_act.alpha_dropout, (input, next_key()), _static(p=float(p), feature=feature))
    return _inplace_result(input, out, inplace)


@_functional(test=())
def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: a dropped unit becomes SELU's
    negative saturation value, then all are scaled and shifted back.

    >>> import tensorish
    >>> tensorish.nn.functional.alpha_dropout(tensorish.ones(3), 0.5)
    tensor([1., 1., 1.])
    """
    return _alpha_dropout(input, p, training, inplace, False)


@_functional(test=())
def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """:func:`alpha_dropout` of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)


@_functional(
    test=(
        Sample((Ints((8,), 6), (6, 3), Given([0, 3, 3])), kwargs={"mode": "sum"}),
        Sample((Ints((8,), 6), (6, 3), Given([0, 2, 5]))),
        Sample((Ints((3, 4), 6), (6, 3)), kwargs={"mode": "max"}),
        Sample(
            (Ints((8,), 6), (6, 3), Given([0, 2, 5]), (8,)),
            args=(T, T, T),
            kwargs={"mode": "sum", "padding_idx": 1},
        ),
    )
)
def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of each bag of rows of ``weight``: a bag is a row of a 2-D
    ``input``, or the run of a 1-D ``input`` that starts at each of ``offsets``.

    >>> import tensorish
    >>> w = tensorish.arange(6.).reshape(3, 2)
    >>> tensorish.nn.functional.embedding_bag(tensorish.tensor([[0, 2]]), w)
    tensor([[2., 3.]])
    """
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError(
            "embedding_bag: max_norm and scale_grad_by_freq are not supported"
        )
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        starts = np.arange(0, input.numel() + 1, max(input.shape[1], 1))[: input.shape[0]]
        ends_at = input.numel()
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = np.asarray(offsets._value).astype(np.int64)
        ends_at = input.shape[0]
        if starts.size and starts[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {starts[0]}\n[ tensorish.LongTensor{{}} ]"
            )
        if starts.size and starts[-1] > ends_at:
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {ends_at} but got "
                f"offsets[-1] of {starts[-1]}"
            )
        if include_last_offset:
            starts = starts[:-1]
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    idx = np.asarray(input._value).reshape(-1)
    rows = weight.shape[0]
    bad = np.flatnonzero((idx < 0) | (idx >= rows))
    if bad.size:
        raise RuntimeError(
            f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid "
            f"range [0, {rows})"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += rows
    bags = np.searchsorted(starts, np.arange(ends_at), side="right") - 1
    return apply(
        _pool.embedding_bag,
        (input.reshape(-1), weight, per_sample_weights, bags),
        _static(bag_count=len(starts), mode=mode, padding_idx=padding_idx),
    )


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
        kernel = "log_softmax" if name == "log_softmax" else "softmax"
        last = "_lastdim" if _wrap_dim(dim, input.ndim) == max(input.ndim - 1, 0) else ""
        raise NotImplementedError(
            f"\"{kernel}{last}_kernel_impl\" not implemented for '{dt.title}'"
        )
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
            stacklevel=5,  # the caller of a loss (under autocast's wrapper)
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
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{input.dtype.title}'")
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
    if target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target.dtype.title}"
        )
    if target.dtype is _dtype.uint8 and input.ndim > 2:
        raise RuntimeError("expected scalar type Long but found Byte")
    if input.ndim > 1 and (target.ndim == 0 or input.shape[0] != target.shape[0]):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.ndim else 0})."
        )
    check_range(
        target._value,
        0,
        input.shape[cdim],
        lambda v: IndexError(f"Target {v} is out of bounds."),
        ignore=ignore_index,
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
            stacklevel=3,  # the caller (under autocast's wrapper)
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


def _not_differentiable(fn: str, arg: str, t: Tensor | None) -> None:
    if t is not None and t.requires_grad:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )


@_functional(
    test=(
        Sample(((4, 5), (4, 5), (4, 5)), low=0.1),
        Sample(((4, 5), (4, 5), (4, 1)), kwargs={"full": True, "reduction": "sum"}, low=0.1),
        Sample(((4, 5), (4, 5), (4,)), kwargs={"reduction": "none"}, low=0.1),
    )
)
def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var`` (clamped to ``eps``, without changing its gradient).

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.gaussian_nll_loss(tensorish.zeros(2), tensorish.zeros(2), tensorish.ones(2))
    tensor(0.)
    """
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(input.shape, float(var))
    elif bool(np.any(np.asarray(var._value) < 0)):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        # Otherwise var must differ from input in one dim only, where it has size 1.
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return apply(
        _loss.gaussian_nll[(reduction, bool(full))],
        (input, target, var),
        _static(full=bool(full), eps=float(eps), reduction=reduction),
    )


@_functional(
    test=(
        Sample(((4, 5), (4, 5)), low=0.0, high=3.0),
        Sample(
            ((4, 5), (4, 5)),
            kwargs={"log_input": False, "full": True, "reduction": "none"},
            low=0.1,
            high=3.0,
        ),
    )
)
def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson of rate ``input`` (or of
    ``exp(input)``, with ``log_input``); ``full`` adds Stirling's term."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(
        _loss.poisson_nll[(reduction, bool(full))],
        (input, target),
        _static(log_input=bool(log_input), full=bool(full), eps=float(eps), reduction=reduction),
    )


@_functional(test=Sample(((4, 5), Given([[1, -1, 1, -1, 1]] * 4, "float32")), args=(T, T, 0.5)))
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    # The target only selects a branch: it gets no gradient, as in PyTorch.
    return apply(
        _loss.hinge_embedding[reduction],
        (input, target._value),
        _static(margin=float(margin), reduction=reduction),
    )


@_functional(
    test=(
        Sample(((4, 5), Ints((4,), 5))),
        Sample(
            ((4, 5), Ints((4,), 5), (5,)),
            args=(T, T, 2, 0.5, T),
            kwargs={"reduction": "sum"},
            grad=False,  # the weight cannot require grad (test_nn_layers_more: backward)
        ),
        Sample(((5,), Ints((), 5)), kwargs={"reduction": "none"}),
    )
)
def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum over i != y of max(0, margin - x[y] + x[i]) ** p / C``."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    n = input.shape[0] if input.ndim == 2 else 1
    if target.numel() != n or target.ndim > 1:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    _not_differentiable("multi_margin_loss", "weight", weight)
    return apply(
        _loss.multi_margin,
        (input, target, weight),
        _static(p=int(p), margin=float(margin), reduction=reduction),
    )


@_functional(
    test=(
        Sample(((3, 5), Given([[3, 0, -1, 1, 2], [4, -1, 0, 0, 0], [-1, 1, 1, 1, 1]]))),
        Sample(((5,), Given([1, 2, -1, 0, 0])), kwargs={"reduction": "none"}),
    )
)
def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge loss: the target lists each sample's classes, ended by -1."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    return apply(_loss.multilabel_margin, (input, target), _static(reduction=reduction))


@_functional(
    test=(
        Sample(((4, 5), Ints((4, 5), 2, dtype="float32"))),
        Sample(((4, 5), Ints((4, 5), 2, dtype="float32"), (5,)), args=(T, T, T)),
    )
)
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class binary cross-entropy with logits, averaged over the classes."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(
        _loss.multilabel_soft_margin[reduction],
        (input, target, weight),
        _static(reduction=reduction),
    )


@_functional(test=Sample(((4, 5), Given([[1, -1, 1, -1, 1]] * 4, "float32")), grad=False))
def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y * x))``."""
    reduction = _reduction(size_average, reduce, reduction)
    _not_differentiable("soft_margin_loss", "target", target)
    return apply(_loss.soft_margin, (input, target), _static(reduction=reduction))


@_functional(
    test=(
        Sample(((4, 5), (4, 5), (4, 5))),
        Sample(((4, 5), (4, 5), (4, 5)), kwargs={"p": 1.0, "swap": True, "reduction": "none"}),
    )
)
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with the p-norm
    distance (``swap``: the smaller of the negative's distances to anchor and positive)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    return apply(
        _loss.triplet_margin[reduction],
        (anchor, positive, negative),
        _static(
            margin=float(margin), p=float(p), eps=float(eps), swap=bool(swap), reduction=reduction
        ),
    )


@_functional(test=Sample(((4, 5), (4, 5), (4, 5)), kwargs={"swap": True, "reduction": "sum"}))
def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """:func:`triplet_margin_loss` with any distance (default :func:`pairwise_distance`)."""
    if margin <= 0:
        raise ValueError(
            "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
            f"{margin} instead"
        )
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@_functional(
    test=(
        Sample(((6, 2, 4), Ints((2, 3), 4, 1)), args=(T, T, [6, 5], [3, 2])),
        Sample(
            ((5, 2, 3), Given([1, 2, 2, 1])),
            args=(T, T, [5, 4], [2, 2]),
            kwargs={"reduction": "sum", "blank": 0},
        ),
        Sample(((4, 3), Given([1, 1])), args=(T, T, [4], [2]), kwargs={"reduction": "none"}),
    )
)
def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss of (T, N, C) (or (T, C)) log-probabilities
    against padded (N, S) or concatenated targets.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> lp = F.log_softmax(tensorish.zeros(3, 1, 2), 2)
    >>> F.ctc_loss(lp, tensorish.tensor([[1]]), [3], [1])
    tensor(0.2877)
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_max, n = lp.shape[0], lp.shape[1]
    in_len = np.asarray(
        input_lengths._value if isinstance(input_lengths, Tensor) else input_lengths, np.int64
    ).reshape(-1)
    tgt_len = np.asarray(
        target_lengths._value if isinstance(target_lengths, Tensor) else target_lengths, np.int64
    ).reshape(-1)
    tg = np.asarray(targets._value).astype(np.int64)
    if not batched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 1:
        ends = np.cumsum(tgt_len)
        width = int(tgt_len.max()) if tgt_len.size else 0
        padded = np.zeros((n, width), np.int64)
        for i, (e, k) in enumerate(zip(ends, tgt_len)):
            padded[i, :k] = tg[e - k : e]
        tg = padded
    for v in in_len:
        if v > t_max:
            raise RuntimeError(
                f"Expected input_lengths to have value at most {t_max}, but got value {v} "
                "(while checking arguments for ctc_loss_allocate_outputs)"
            )
    for v in tgt_len:
        if v > tg.shape[1]:
            raise RuntimeError(
                f"Expected tensor to have size at least {v} at dimension 1, but got size "
                f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                "ctc_loss_allocate_outputs)"
            )
    out = apply(
        _loss.ctc[reduction],
        (lp, tg, in_len, tgt_len),
        _static(blank=int(blank), zero_infinity=bool(zero_infinity), reduction=reduction),
    )
    return out if batched or reduction != "none" else out.squeeze(0)


# -- shrinking and randomized activations -------------------------------------------------


@_functional(method=True, toplevel=True, test=(_KINKS, Sample(((2, 5),), args=(1.0,))))
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0.

    >>> import tensorish
    >>> tensorish.nn.functional.hardshrink(tensorish.tensor([-1., 0.2, 0.7]))
    tensor([-1.0000,  0.0000,  0.7000])
    """
    return apply(_act.hardshrink, (input,), _static(lambd=float(lambd)))


@_functional(test=(_KINKS, Sample(((2, 5),), args=(1.0,))))
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` moved ``lambd`` towards 0, and 0 within ``lambd`` of it."""
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be in range [0, 3.40282e+38] for input dtype Float, but found {lambd:g}"
        )
    return apply(_act.softshrink, (input,), _static(lambd=float(lambd)))


@_functional(test=(_KINKS, Sample(((2, 5),), args=(0.1, 0.3))))
def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky ReLU whose negative slope is drawn uniformly from ``[lower, upper]`` per element
    in training, and is their mean otherwise.

    >>> import tensorish
    >>> tensorish.nn.functional.rrelu(tensorish.tensor([-2., 1.]), 0.25, 0.75)
    tensor([-1.,  1.])
    """
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    key = next_key() if training else None
    out = apply(_act.rrelu, (input, key), _static(lower=float(lower), upper=float(upper)))
    return _inplace_result(input, out, inplace)


# -- padding, resizing --------------------------------------------------------------------


def _check_pad(input: Tensor, pad: tuple, mode: str) -> None:
    """PyTorch's checks of a reflect, replicate or circular padding."""
    n = len(pad) // 2
    if mode not in ("reflect", "replicate", "circular"):
        return
    if input.ndim not in (n + 1, n + 2) or n > 3:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    for i in range(n):
        dim = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = input.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")


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
    if mode != "constant":
        _check_pad(input, pad, mode)
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
    """Resize the spatial dims: nearest, nearest-exact, (bi/tri)linear, bicubic, area;
    ``antialias`` filters a downscale as PyTorch (and PIL) do, in bilinear and bicubic modes.

    >>> import tensorish
    >>> tensorish.nn.functional.interpolate(tensorish.ones(1, 1, 2), scale_factor=2).shape
    tensorish.Size([1, 1, 4])
    """
    nd = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | "
                "bilinear | bicubic | trilinear"
            )
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = list(input.shape[2:])
    if size is not None:
        if isinstance(size, (list, tuple)) and len(size) != nd:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                "(o1, o2, ...,oK) format."
            )
        sizes = _tuple(size, nd)
        scales = (None,) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)) and len(scale_factor) != nd:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                "format and scale_factor in (s1, s2, ...,sK) format."
            )
        factors = tuple(
            float(s)
            for s in (
                scale_factor if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * nd
            )
        )
        sizes = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = (None,) * nd if recompute_scale_factor or mode == "area" else factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if mode == "area" and 1 <= nd <= 3:
        return apply(_conv.adaptive_avg_pool[nd], (input,), _static(output_size=sizes))
    op = _conv.interpolate.get((mode, nd))
    if op is None:
        needs = {"linear": 3, "bilinear": 4, "trilinear": 5}.get(mode)
        if needs is not None and input.ndim in (3, 4, 5):
            raise NotImplementedError(
                f"Got {input.ndim}D input, but {mode} mode needs {needs}D input"
            )
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})"
        )
    if antialias:
        if mode == "lanczos":
            raise NotImplementedError("interpolate: the lanczos mode is not supported")
        return apply(
            _conv.interpolate_antialiased[mode],
            (input,),
            _static(
                sizes=sizes,
                mode=mode,
                align_corners=bool(align_corners),
                scales=scales,
                antialias=True,
            ),
        )
    return apply(
        op,
        (input,),
        _static(sizes=sizes, mode=mode, align_corners=bool(align_corners), scales=scales),
    )


@_functional(test=Sample(((1, 2, 3, 4),), kwargs={"scale_factor": 2, "mode": "bilinear"}))
def upsample(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated spelling of :func:`interpolate`."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        UserWarning,
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


@_functional(test=Sample(((1, 2, 3, 4),), kwargs={"scale_factor": 2}))
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: :func:`interpolate` in ``nearest`` mode."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        UserWarning,
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


@_functional(test=Sample(((1, 2, 3, 4),), kwargs={"size": (5, 7)}))
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: :func:`interpolate` in ``bilinear`` mode with ``align_corners=True``."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        UserWarning,
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


@_functional(toplevel=True, test=Sample(((2, 8, 3, 2),), args=(2,)))
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r², H, W) -> (*, C, H r, W r).

    >>> import tensorish
    >>> tensorish.nn.functional.pixel_shuffle(tensorish.ones(1, 4, 2, 3), 2).shape
    tensorish.Size([1, 1, 4, 6])
    """
    if input.ndim < 3:
        raise RuntimeError(
            "pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible "
            f"by {r * r}"
        )
    return apply(_resample.pixel_shuffle, (input,), _static(r=r))


@_functional(toplevel=True, test=Sample(((2, 2, 4, 6),), args=(2,)))
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r², H, W), the inverse of :func:`pixel_shuffle`."""
    if input.ndim < 3:
        raise RuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for name, d in (("height", -2), ("width", -1)):
        if input.shape[d] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({d})={input.shape[d]} is not divisible by {r}"
            )
    return apply(_resample.pixel_unshuffle, (input,), _static(r=r))


@_functional(toplevel=True, test=Sample(((2, 6, 3),), args=(3,)))
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups: (N, g c, *) viewed as (N, g, c, *),
    transposed to (N, c, g, *)."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    if input.shape[1] % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {input.shape[1]} channels "
            f"and {groups} groups."
        )
    return apply(_resample.channel_shuffle, (input,), _static(groups=int(groups)))


def _window_args(kernel_size, dilation, padding, stride) -> dict:
    return {
        "kernel": _tuple(kernel_size, 2),
        "dilation": _tuple(dilation, 2),
        "padding": _tuple(padding, 2),
        "stride": _tuple(stride, 2),
    }


def _blocks(spatial, w: dict) -> tuple:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, d, p, s in zip(spatial, w["kernel"], w["dilation"], w["padding"], w["stride"])
    )


@_functional(test=Sample(((2, 3, 5, 6),), args=((2, 3), (1, 2), (1, 0), (2, 1))))
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Copy each sliding block of a (N, C, H, W) input into a column: (N, C kh kw, L).

    >>> import tensorish
    >>> tensorish.nn.functional.unfold(tensorish.ones(1, 2, 3, 3), 2).shape
    tensorish.Size([1, 8, 4])
    """
    w = _window_args(kernel_size, dilation, padding, stride)
    _wrap_dim(2, input.ndim)
    spatial = tuple(input.shape[-2:])
    blocks = _blocks(spatial, w)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {spatial}, kernel_size={w['kernel']}, "
            f"dilation={w['dilation']}, padding={w['padding']}, calculated shape of the array "
            f"of sliding blocks as {blocks}, but its components must be at least one."
        )
    return apply(_resample.unfold, (input,), _static(**w))


@_functional(test=Sample(((2, 18, 6),), args=((5, 6), (2, 3), (1, 2), (1, 0), (2, 1))))
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns of sliding blocks back into an image: the adjoint of :func:`unfold`.

    >>> import tensorish
    >>> F = tensorish.nn.functional
    >>> F.fold(tensorish.ones(1, 4, 4), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    w = _window_args(kernel_size, dilation, padding, stride)
    size = _tuple(output_size, 2)
    k = w["kernel"]
    if input.shape[-2] % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[-2]} and kernel_size={k}."
        )
    blocks = _blocks(size, w)
    if input.shape[-1] != math.prod(blocks):
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={w['dilation']}, "
            f"padding={w['padding']}, stride={w['stride']}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * "
            f"{blocks[1]} = {math.prod(blocks)}, but got input.size(2)={input.shape[-1]}."
        )
    return apply(_resample.fold, (input,), _static(output_size=size, **w))


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

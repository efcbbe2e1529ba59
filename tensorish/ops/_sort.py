"""Scans, sorting and selection: cumsum/cumprod/cummax/cummin, sort/argsort/msort/topk,
median/nanmedian/mode/kthvalue, unique, bincount, histc.

Every selection is a stable sort along the dim followed by ``take_along_axis``, so values and
indices agree and the gradient reaches exactly the selected element, as in PyTorch.
"""

from __future__ import annotations

import builtins
from functools import partial
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._common import Op, apply, inplace
from ._reduce import _MISSING, _evenly, _no_identity, _return_type, return_types
from ._registry import Given, Ints, Sample, declare, public


def _need_dim(name: str, dim) -> None:
    if dim is _MISSING:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')


# -- cumulative ops --------------------------------------------------------------------------
def _cum(fn, x, dim, dtype):
    x = x.astype(dtype)
    return x if x.ndim == 0 else fn(x, axis=dim)


_cumsum = Op("CumsumBackward0", partial(_cum, jnp.cumsum), saves=())
_cumprod = Op("CumprodBackward0", partial(_cum, jnp.cumprod))


def _cumulative(op: Op, input: Tensor, dim, dtype) -> Tensor:
    d = _wrap_dim(dim, input.ndim)
    if dtype is _dtype.bool_:
        kernel = "cumsum" if op is _cumsum else "cumprod"
        raise NotImplementedError(f"\"{kernel}_out_cpu\" not implemented for 'Bool'")
    if dtype is None:
        dt = input.dtype
        dtype = dt if dt.is_floating_point or dt.is_complex else _dtype.int64
    return apply(op, (input,), (("dim", d), ("dtype", dtype.np)))


def cumsum_(self: Tensor, dim: int, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """In-place ``cumsum``."""
    return inplace(self, lambda s: cumsum(s, dim, dtype=dtype or s.dtype))


def cumprod_(self: Tensor, dim: int, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """In-place ``cumprod``."""
    return inplace(self, lambda s: cumprod(s, dim, dtype=dtype or s.dtype))


@declare(inplace=cumsum_, test=Sample(args=(1,)))
def cumsum(input: Tensor, dim=_MISSING, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """The running sum along ``dim``; integer inputs sum in int64.

    >>> import tensorish
    >>> tensorish.cumsum(tensorish.tensor([1., 2., 3.]), 0)
    tensor([1., 3., 6.])
    """
    _need_dim("cumsum", dim)
    return _cumulative(_cumsum, input, dim, dtype)


@declare(inplace=cumprod_, test=Sample(args=(1,)))
def cumprod(input: Tensor, dim=_MISSING, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """The running product along ``dim``; integer inputs multiply in int64.

    >>> import tensorish
    >>> tensorish.cumprod(tensorish.tensor([1., 2., 3.]), 0)
    tensor([1., 2., 6.])
    """
    _need_dim("cumprod", dim)
    return _cumulative(_cumprod, input, dim, dtype)


def _cum_extreme(x, dim, better):
    """Running (values, indices) of the extreme along ``dim``: a later element takes over when
    it is ``better`` or equal, or NaN (PyTorch's cummax/cummin)."""
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    if x.shape[dim] == 0:
        return x, jnp.zeros(x.shape, jnp.int64)
    iota = jax.lax.broadcasted_iota(jnp.int64, x.shape, dim)

    def combine(a, b):
        take = better(b[0], a[0]) | (b[0] == a[0])
        if jnp.issubdtype(x.dtype, jnp.inexact):
            take = take | jnp.isnan(b[0])
        return jnp.where(take, b[0], a[0]), jnp.where(take, b[1], a[1])

    _, idx = jax.lax.associative_scan(combine, (x, iota), axis=dim)
    return jnp.take_along_axis(x, idx, axis=dim), idx


_cummax = Op("CummaxBackward0", partial(_cum_extreme, better=jnp.greater), saves=(), n_out=2)
_cummin = Op("CumminBackward0", partial(_cum_extreme, better=jnp.less), saves=(), n_out=2)


@declare(test=Sample(((3, 5),), args=(1,)))
def cummax(input: Tensor, dim: int):
    """The running maximum along ``dim`` and where it was found.

    >>> import tensorish
    >>> tensorish.cummax(tensorish.tensor([1., 3., 2.]), 0).values
    tensor([1., 3., 3.])
    """
    v, i = apply(_cummax, (input,), (("dim", _wrap_dim(dim, input.ndim)),))
    return return_types.cummax(v, i)


@declare(test=Sample(((5, 3),), args=(0,)))
def cummin(input: Tensor, dim: int):
    """The running minimum along ``dim`` and where it was found.

    >>> import tensorish
    >>> tensorish.cummin(tensorish.tensor([3., 1., 2.]), 0).indices
    tensor([0, 1, 1])
    """
    v, i = apply(_cummin, (input,), (("dim", _wrap_dim(dim, input.ndim)),))
    return return_types.cummin(v, i)


# -- sorting ---------------------------------------------------------------------------------
def _argsort(x, dim, descending):
    """Stable argsort along ``dim`` (NaN sorts as the largest value), int64."""
    if not descending:
        return jnp.argsort(x, axis=dim, stable=True).astype(jnp.int64)
    # Descending and stable: sort the reversed input ascending, then reverse the order back.
    n = x.shape[dim]
    rev = jnp.argsort(jnp.flip(x, dim), axis=dim, stable=True).astype(jnp.int64)
    return n - 1 - jnp.flip(rev, dim)


def _sort_fn(x, dim, descending):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    idx = _argsort(x, dim, descending)
    return jnp.take_along_axis(x, idx, axis=dim), idx


def _topk_fn(x, k, dim, largest):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    idx = jax.lax.slice_in_dim(_argsort(x, dim, largest), 0, k, axis=dim)
    return jnp.take_along_axis(x, idx, axis=dim), idx


_sort = Op("SortBackward0", _sort_fn, saves=(), n_out=2)
_argsort_op = Op(
    "ArgsortBackward0",
    lambda x, dim, descending: _argsort(x, dim, descending) if x.ndim else jnp.zeros((), jnp.int64),
    differentiable=False,
)
_msort = Op("SortBackward0", lambda x: _sort_fn(x, 0, False)[0], saves=())
_topk = Op("TopkBackward0", _topk_fn, saves=(), n_out=2)


@declare(test=Sample(args=(1,)))
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim``; always stable (equal elements keep their
    order), NaN sorts as the largest value.

    >>> import tensorish
    >>> tensorish.sort(tensorish.tensor([3., 1., 2.])).indices
    tensor([1, 2, 0])
    """
    v, i = apply(
        _sort,
        (input,),
        (("dim", _wrap_dim(dim, input.ndim)), ("descending", builtins.bool(descending))),
    )
    return return_types.sort(v, i)


@declare(test=Sample(args=(1,)))
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable).

    >>> import tensorish
    >>> tensorish.argsort(tensorish.tensor([3., 1., 2.]), descending=True)
    tensor([0, 2, 1])
    """
    static = (("dim", _wrap_dim(dim, input.ndim)), ("descending", builtins.bool(descending)))
    return apply(_argsort_op, (input,), static)


@declare(test=Sample(((4, 3),)))
def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim.

    >>> import tensorish
    >>> tensorish.msort(tensorish.tensor([[2., 1.], [0., 3.]]))
    tensor([[0., 1.],
            [2., 3.]])
    """
    return apply(_msort, (input,))


@declare(test=Sample(args=(2,)))
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, in order.

    >>> import tensorish
    >>> tensorish.topk(tensorish.tensor([1., 5., 3.]), 2).values
    tensor([5., 3.])
    """
    d = _wrap_dim(dim, input.ndim)
    if input.dtype is _dtype.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        k = 1
    v, i = apply(_topk, (input,), (("k", k), ("dim", d), ("largest", builtins.bool(largest))))
    return return_types.topk(v, i)


# -- median, nanmedian, kthvalue, mode -------------------------------------------------------
def _pick(x, idx, pos, dim, keepdim):
    """(values, indices) at sorted position ``pos`` (kept dims) of the sort order ``idx``."""
    i = jnp.take_along_axis(idx, pos, axis=dim)
    v = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return v, i


def _median_dim(x, dim, keepdim, ignore_nan):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    idx = _argsort(x, dim, False)
    n = x.shape[dim]
    valid = (
        jnp.sum(~jnp.isnan(x), axis=dim, keepdims=True)
        if jnp.issubdtype(x.dtype, jnp.inexact)
        else jnp.full(x.shape[:dim] + (1,) + x.shape[dim + 1 :], n)
    )
    if ignore_nan:
        pos = jnp.where(valid > 0, (valid - 1) // 2, 0)
    else:  # the median of a row with NaN is its first NaN, which the sort puts at ``valid``
        pos = jnp.where(valid < n, valid, (n - 1) // 2)
    return _pick(x, idx, pos.astype(jnp.int64), dim, keepdim)


def _median_all(x, ignore_nan):
    flat = x.reshape(-1)
    if flat.size == 0:
        return jnp.full((), jnp.nan, x.dtype)

    def lower_median(v):
        s = jnp.sort(v)  # NaN sorts last
        if not jnp.issubdtype(v.dtype, jnp.inexact):
            return s[(v.size - 1) // 2]
        if ignore_nan:
            return s[jnp.maximum(jnp.sum(~jnp.isnan(v)) - 1, 0) // 2]
        return s[jnp.where(jnp.isnan(s[-1]), v.size - 1, (v.size - 1) // 2)]

    return _evenly(flat, lower_median)


def _kthvalue_fn(x, k, dim, keepdim):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    pos = jnp.full(x.shape[:dim] + (1,) + x.shape[dim + 1 :], k - 1, jnp.int64)
    return _pick(x, _argsort(x, dim, False), pos, dim, keepdim)


def _mode_fn(x, dim, keepdim):
    """The most frequent value (the smallest among equally frequent ones) and the index of its
    last occurrence."""
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    idx = _argsort(x, dim, False)
    s = jnp.take_along_axis(x, idx, axis=dim)
    n = x.shape[dim]
    iota = jax.lax.broadcasted_iota(jnp.int64, s.shape, dim)
    first = jax.lax.slice_in_dim(s, 0, 1, axis=dim)
    last = jax.lax.slice_in_dim(s, n - 1, n, axis=dim)
    prev = jnp.concatenate([first, jax.lax.slice_in_dim(s, 0, n - 1, axis=dim)], axis=dim)
    nxt = jnp.concatenate([jax.lax.slice_in_dim(s, 1, n, axis=dim), last], axis=dim)
    starts = jnp.where((iota == 0) | (s != prev), iota, 0)
    ends = jnp.where((iota == n - 1) | (s != nxt), iota, n - 1)
    start = jax.lax.cummax(starts, axis=dim)
    end = jax.lax.cummin(ends, axis=dim, reverse=True)
    best = jnp.argmax(end - start, axis=dim, keepdims=True)
    return _pick(x, idx, jnp.take_along_axis(end, best, axis=dim), dim, keepdim)


_median_all_op = Op("MedianBackward0", partial(_median_all, ignore_nan=False))
_nanmedian_all_op = Op("NanmedianBackward0", partial(_median_all, ignore_nan=True))
_median_dim_op = Op("MedianBackward1", partial(_median_dim, ignore_nan=False), saves=(), n_out=2)
_nanmedian_dim_op = Op(
    "NanmedianBackward1", partial(_median_dim, ignore_nan=True), saves=(), n_out=2
)
_kthvalue = Op("KthvalueBackward0", _kthvalue_fn, saves=(), n_out=2)
_mode = Op("ModeBackward0", _mode_fn, saves=(), n_out=2)


def _check_sortable(name: str, input: Tensor) -> None:
    if input.dtype is _dtype.bool_:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _median(name: str, all_op: Op, dim_op: Op, input: Tensor, dim, keepdim: bool):
    if dim is None:
        _check_sortable("median_cpu", input)
        return apply(all_op, (input,))
    _check_sortable("median_out", input)
    d = _wrap_dim(dim, input.ndim)
    _no_identity(name, input, dim, (d,) if input.ndim else ())
    v, i = apply(dim_op, (input,), (("dim", d), ("keepdim", keepdim)))
    return getattr(return_types, name)(v, i)


@declare(test=Sample())
def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``; NaN wins.

    >>> import tensorish
    >>> tensorish.median(tensorish.tensor([4., 1., 3., 2.]))
    tensor(2.)
    """
    return _median("median", _median_all_op, _median_dim_op, input, dim, keepdim)


@declare(test=Sample())
def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median ignoring NaN, or ``(values, indices)`` along ``dim``.

    >>> import tensorish
    >>> tensorish.nanmedian(tensorish.tensor([4., float('nan'), 3., 2.]))
    tensor(3.)
    """
    return _median("nanmedian", _nanmedian_all_op, _nanmedian_dim_op, input, dim, keepdim)


@declare(test=Sample(args=(2, 1)))
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` and its index.

    >>> import tensorish
    >>> tensorish.kthvalue(tensorish.tensor([4., 1., 3.]), 2)
    tensorish.return_types.kthvalue(
    values=tensor(3.),
    indices=tensor(2))
    """
    if not isinstance(dim, int):
        raise TypeError(f"kthvalue(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim(dim, input.ndim)
    _check_sortable("kthvalue_cpu", input)
    _no_identity("kthvalue", input, dim, (d,) if input.ndim else ())
    if not 1 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    v, i = apply(_kthvalue, (input,), (("k", k), ("dim", d), ("keepdim", keepdim)))
    return return_types.kthvalue(v, i)


@declare(test=Sample(args=(1,)))
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (smallest among ties) and an index of it.

    >>> import tensorish
    >>> tensorish.mode(tensorish.tensor([2., 1., 2.])).values
    tensor(2.)
    """
    d = _wrap_dim(dim, input.ndim)
    _no_identity("mode", input, dim, (d,) if input.ndim else ())
    v, i = apply(_mode, (input,), (("dim", d), ("keepdim", keepdim)))
    return return_types.mode(v, i)


# -- unique, bincount, histc -----------------------------------------------------------------
@declare(test=Sample((Ints((3, 4), 5),)))
def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The sorted distinct elements (or slices along ``dim``), optionally with the inverse
    indices and the counts; each NaN counts as distinct.

    >>> import tensorish
    >>> tensorish.unique(tensorish.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    x = input._value
    if dim is not None:
        dim = _wrap_dim(dim, input.ndim)
    # The output size depends on the data, so this op runs on the host (NumPy), not under jit.
    arr = np.asarray(x)
    out = np.unique(
        arr if dim is not None else arr.reshape(-1),
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=dim,
        equal_nan=False,
    )
    device = next(iter(x.devices()))
    wrap = lambda a, dt=None: Tensor._wrap(
        jax.device_put(a if dt is None else a.astype(dt), device)
    )
    if not (return_inverse or return_counts):
        return wrap(out)
    out = list(out)
    if return_inverse:
        out[1] = out[1].reshape(arr.shape if dim is None else (arr.shape[dim],))
    return (wrap(out[0]), *(wrap(o, np.int64) for o in out[1:]))


_bincount = Op(
    "BincountBackward0",
    lambda x, length: jnp.bincount(x, length=length).astype(jnp.int64),
    differentiable=False,
)
_bincount_w = Op(
    "BincountBackward0",
    lambda x, w, length, dtype: jnp.bincount(x, w.astype(dtype), length=length),
    differentiable=False,
)


@declare(test=Sample((Ints((6,), 4),)))
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value in the 1-d non-negative integer ``input`` occurs (or the sum of
    its ``weights``); the length is ``max(input) + 1``, at least ``minlength``.

    >>> import tensorish
    >>> tensorish.bincount(tensorish.tensor([0, 2, 2]))
    tensor([1, 0, 2])
    """
    dt = input.dtype
    if dt.is_floating_point or dt.is_complex or dt is _dtype.bool_:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{dt.title}'")
    if input.ndim != 1 or (input.numel() and int(jnp.min(input._value)) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # The length depends on the data: read the max once, then run a jitted op of that size.
    length = builtins.max(minlength, int(jnp.max(input._value)) + 1 if input.numel() else 0)
    if weights is None or input.numel() == 0:  # PyTorch gives int64 counts for no input
        return apply(_bincount, (input,), (("length", length),))
    wdt = weights.dtype if weights.dtype in (_dtype.float32, _dtype.float64) else _dtype.float64
    return apply(_bincount_w, (input, weights), (("length", length), ("dtype", wdt.np)))


def _histc_fn(x, bins, lo, hi):
    flat = x.reshape(-1)
    if lo == hi:
        lo = jnp.min(flat) if flat.size else jnp.zeros((), x.dtype)
        hi = jnp.max(flat) if flat.size else jnp.zeros((), x.dtype)
    lo, hi = jnp.asarray(lo, x.dtype), jnp.asarray(hi, x.dtype)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    pos = ((flat - lo) * bins / (hi - lo)).astype(jnp.int64)
    pos = jnp.where(flat == hi, bins - 1, pos)
    inside = (flat >= lo) & (flat <= hi)
    return jnp.zeros(bins, x.dtype).at[jnp.where(inside, pos, 0)].add(inside.astype(x.dtype))


_histc = Op("HistcBackward0", _histc_fn, differentiable=False)


@declare(test=Sample(kwargs={"bins": 4}))
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when
    both are 0); elements outside are ignored.

    >>> import tensorish
    >>> tensorish.histc(tensorish.tensor([1., 2., 1.]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    if not input.dtype.is_floating_point:
        what = "linspace_cpu" if input.dtype is _dtype.bool_ else "histogram_cpu"
        raise NotImplementedError(f"\"{what}\" not implemented for '{input.dtype.title}'")
    if bins <= 0:
        raise RuntimeError(
            f"tensorish.histogram(): bins must be > 0, but got {bins} for dimension 0"
        )
    if min > max:
        raise RuntimeError("tensorish.histc: max must be larger than min")
    return apply(_histc, (input,), (("bins", bins), ("lo", float(min)), ("hi", float(max))))


_return_type("histogram", ("hist", "bin_edges"))


@declare(
    test=(
        Sample(args=(3,), grad=False),
        Sample(args=(4,), kwargs={"range": (-1.0, 1.0), "density": True}, grad=False),
    )
)
def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """A histogram of ``input``: ``bins`` equal-width bins over ``range`` (the data's range by
    default), or the bin edges ``bins`` itself.

    >>> import tensorish
    >>> tensorish.histogram(tensorish.tensor([1.0, 2.0, 1.0]), 2).hist
    tensor([2., 1.])
    """
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.title}'")
    edges = bins if isinstance(bins, Tensor) else None
    if edges is None and bins <= 0:
        raise RuntimeError(
            f"tensorish.histogram(): bins must be > 0, but got {bins} for dimension 0"
        )
    if range is None and edges is None and input.numel():
        lo, hi = float(jnp.min(input._value)), float(jnp.max(input._value))
        range = (lo, hi) if lo != hi else (lo - 0.5, hi + 0.5)
    hist, out_edges = jnp.histogram(
        input._value.reshape(-1),
        edges._value if edges is not None else int(bins),
        range=range,
        weights=None if weight is None else weight._value.reshape(-1),
        density=density,
    )
    dt = input.dtype.np
    return return_types.histogram(Tensor._wrap(hist.astype(dt)), Tensor._wrap(out_edges.astype(dt)))


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
_quantile = {
    nan: Op(
        "SqueezeBackward4",
        lambda x, q, axis, keepdim, method, f=f: f(
            x, jnp.asarray(q, x.dtype), axis=axis, keepdims=keepdim, method=method
        ),
    )
    for nan, f in ((False, jnp.quantile), (True, jnp.nanquantile))
}


def _quantile_like(name: str, input: Tensor, q, dim, keepdim: bool, interpolation: str):
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        qs = q.tolist()
    else:
        qs = q
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    for v in qs if isinstance(qs, list) else [qs]:
        if not 0 <= v <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {v}")
    if interpolation not in _QUANTILE_METHODS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    static = (
        ("q", tuple(qs) if isinstance(qs, list) else float(qs)),
        ("axis", None if dim is None else _wrap_dim(dim, input.ndim)),
        ("keepdim", bool(keepdim)),
        ("method", interpolation),
    )
    out = apply(_quantile[name == "nanquantile"], (input,), static)
    if dim is None and keepdim:  # PyTorch keeps every dimension as 1
        return out.reshape(out.shape[:1] * isinstance(qs, list) + (1,) * input.ndim)
    return out


@declare(
    test=(
        Sample(args=(0.3,)),
        Sample(
            ((3, 4), Given([0.2, 0.9], "float32")), kwargs={"dim": 1, "keepdim": True}, grad=False
        ),
    )
)
def quantile(
    input: Tensor,
    q,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The ``q``-th quantiles (a number or a 1-D tensor in [0, 1]) of ``input``, along ``dim``
    or of all its elements.

    >>> import tensorish
    >>> tensorish.quantile(tensorish.tensor([1.0, 2.0, 3.0]), 0.5)
    tensor(2.)
    """
    return _quantile_like("quantile", input, q, dim, keepdim, interpolation)


@declare(test=Sample(args=(0.3,), kwargs={"dim": 0, "interpolation": "midpoint"}))
def nanquantile(
    input: Tensor,
    q,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """``quantile``, ignoring NaN."""
    return _quantile_like("nanquantile", input, q, dim, keepdim, interpolation)


_logcumsumexp = Op("LogcumsumexpBackward0", lambda x, axis: jax.lax.cumlogsumexp(x, axis=axis))


@declare(test=Sample(args=(1,)))
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably.

    >>> import tensorish
    >>> tensorish.logcumsumexp(tensorish.zeros(2), 0)
    tensor([0.0000, 0.6931])
    """
    return apply(_logcumsumexp, (input,), (("axis", _wrap_dim(dim, builtins.max(input.ndim, 1))),))


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

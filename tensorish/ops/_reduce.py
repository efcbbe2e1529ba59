"""Reductions: sum, mean, prod, std/var, max/min, norm, logsumexp, all/any and friends."""

from __future__ import annotations

import builtins
import collections
import math
import types
import warnings
from functools import partial
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from . import _shape
from ._common import Op, apply, dims, promote
from ._registry import Ints, Sample, T, declare, public

# -- PyTorch's namedtuple results ------------------------------------------------------------
return_types = types.ModuleType("tensorish.return_types", "PyTorch's named tuple results.")


def _return_repr(self) -> str:
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
    return f"tensorish.return_types.{type(self).__name__}(\n{body})"


def _return_type(name: str, fields: tuple[str, ...]) -> type:
    base = collections.namedtuple(name, fields)
    cls = type(
        name,
        (base,),
        {"__slots__": (), "__repr__": _return_repr, "__module__": "tensorish.return_types"},
    )
    setattr(return_types, name, cls)
    return cls


for _name in (
    "max",
    "min",
    "median",
    "nanmedian",
    "mode",
    "kthvalue",
    "topk",
    "sort",
    "cummax",
    "cummin",
):
    _return_type(_name, ("values", "indices"))
_return_type("aminmax", ("min", "max"))


# -- helpers ---------------------------------------------------------------------------------
def _axes(input: Tensor, dim) -> tuple[int, ...] | None:
    """``dim`` as sorted axes, or None for all of them (PyTorch also reads ``()`` as all)."""
    if dim is None:
        return None
    axes = dims(dim, input.ndim)
    return axes if axes and input.ndim else None


def _is_float(dt: _dtype.dtype) -> bool:
    return dt.is_floating_point or dt.is_complex


def _int64_if_integral(dt: _dtype.dtype) -> _dtype.dtype:
    return dt if _is_float(dt) else _dtype.int64


def _no_identity(
    name: str, input: Tensor, dim, axes, *, given_dim: bool = False, paren: bool = True
) -> None:
    """PyTorch's errors for a reduction without identity over an empty input or dim."""
    if input.numel() != 0:
        return
    if dim is None:
        if name.startswith("arg"):
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for "
            "input.numel() == 0. Specify the reduction dim with the 'dim' argument."
        )
    for a in axes if axes is not None else range(input.ndim):
        if input.shape[a] == 0:
            shown = dim if given_dim and isinstance(dim, int) else a
            raise IndexError(
                f"{name}{'()' if paren else ''}: Expected reduction dim {shown} to "
                "have non-zero size."
            )


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _root(s, p):
    """``s ** (1/p)``; NOTE: its derivative at ``s == 0`` is 0 (PyTorch's subgradient for
    norm and std at 0), where JAX's chain rule gives inf * 0 = nan."""
    return jnp.sqrt(s) if p == 2 else s ** (1 / p)


@_root.defjvp
def _root_jvp(p, primals, tangents):
    (s,), (t,) = primals, tangents
    r = _root(s, p)
    # d(s^(1/p))/ds = 1 / (p r^(p-1)): finite (0) at s == inf, where r / (p s) is nan.
    safe = jnp.where(r == 0, 1, r)
    return r, t * jnp.where(r == 0, 0, 1 / (p * (safe if p == 2 else safe ** (p - 1))))


@jax.custom_jvp
def _abs(x):
    """``|x|``; NOTE: its derivative is sgn(x), 0 at 0 (JAX's abs has derivative 1 at 0)."""
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.abs(x), jnp.real(jnp.conj(jnp.sign(x)) * t)


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _evenly(x, reduce):
    """``reduce(x)`` over all elements; NOTE: its gradient is shared evenly among the elements
    equal to the result, or among the NaNs when it is NaN (PyTorch's
    evenly_distribute_backward; JAX's max gives NaN gradients when the max is NaN)."""
    return reduce(x)


@_evenly.defjvp
def _evenly_jvp(reduce, primals, tangents):
    (x,), (t,) = primals, tangents
    v = reduce(x)
    mask = jnp.where(jnp.isnan(v), jnp.isnan(x), x == v)
    return v, jnp.sum(jnp.where(mask, t, 0)) / jnp.sum(mask).astype(t.dtype)


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _chooser(x, reduce, dim, keepdim):
    """``reduce(x, dim)``; NOTE: ties share the gradient evenly and a NaN result gives NaN
    gradients to its whole slice (PyTorch's scale_grad_by_count; JAX gives 0 there)."""
    return reduce(x, axis=dim, keepdims=keepdim)


@_chooser.defjvp
def _chooser_jvp(reduce, dim, keepdim, primals, tangents):
    (x,), (t,) = primals, tangents
    mask = x == reduce(x, axis=dim, keepdims=True)
    count = jnp.sum(mask, axis=dim, keepdims=True).astype(t.dtype)
    # An explicit nan for a slice without a match: XLA folds ``t * mask / count`` into a
    # select and would drop PyTorch's 0 / 0.
    share = jnp.where(count == 0, jnp.nan, jnp.where(mask, 1 / count, 0)).astype(t.dtype)
    return reduce(x, axis=dim, keepdims=keepdim), jnp.sum(t * share, axis=dim, keepdims=keepdim)


@partial(jax.custom_jvp, nondiff_argnums=(2,))
def _pairwise(a, b, pick):
    """Elementwise ``pick`` (maximum or minimum); NOTE: ties split the gradient in halves and
    a NaN on either side gives the full gradient to both (PyTorch's; JAX gives 0 on NaN)."""
    return pick(a, b)


@_pairwise.defjvp
def _pairwise_jvp(pick, primals, tangents):
    (a, b), (ta, tb) = primals, tangents
    out = pick(a, b)
    a_wins = pick(a, b) == a
    b_wins = pick(a, b) == b
    ca = jnp.where(a == b, 0.5, jnp.where(b_wins & ~a_wins, 0.0, 1.0)).astype(out.dtype)
    cb = jnp.where(a == b, 0.5, jnp.where(a_wins & ~b_wins, 0.0, 1.0)).astype(out.dtype)
    return out, ca * ta + cb * tb


# -- sum, mean, prod -------------------------------------------------------------------------
_sum_all = Op("SumBackward0", lambda x, dtype: jnp.sum(x, dtype=dtype), saves=())
_sum = Op(
    "SumBackward1",
    lambda x, dim, keepdim, dtype: jnp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype),
    saves=(),
)
_nansum = Op(
    "NansumBackward0",
    lambda x, dim, keepdim, dtype: jnp.nansum(x, axis=dim, keepdims=keepdim, dtype=dtype),
)
_mean_all = Op("MeanBackward0", lambda x, dtype: jnp.mean(x, dtype=dtype), saves=())
_mean = Op(
    "MeanBackward1",
    lambda x, dim, keepdim, dtype: jnp.mean(x, axis=dim, keepdims=keepdim, dtype=dtype),
    saves=(),
)
# PyTorch computes nanmean as nansum / count, so its grad_fn is a DivBackward0.
_nanmean = Op(
    "DivBackward0",
    lambda x, dim, keepdim, dtype: jnp.nanmean(x, axis=dim, keepdims=keepdim, dtype=dtype),
)
_prod_all = Op("ProdBackward0", lambda x, dtype: jnp.prod(x, dtype=dtype))
_prod = Op(
    "ProdBackward1",
    lambda x, dim, keepdim, dtype: jnp.prod(x, axis=dim, keepdims=keepdim, dtype=dtype),
)


_MISSING = object()  # a dim left out, which PyTorch tells apart from an explicit dim=None


def _reduce(
    all_op: Op | None, dim_op: Op, input: Tensor, dim, keepdim: bool, dt: _dtype.dtype
) -> Tensor:
    """The all-elements op when no dim is given (and no keepdim), else the dim op."""
    if dim is _MISSING and not keepdim and all_op is not None:
        return apply(all_op, (input,), (("dtype", dt.np),))
    axes = _axes(input, None if dim is _MISSING else dim)
    return apply(dim_op, (input,), (("dim", axes), ("keepdim", keepdim), ("dtype", dt.np)))


@declare(test=Sample())
def sum(
    input: Tensor, dim=_MISSING, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The sum of all elements, or over ``dim``; integer and bool inputs sum in int64.

    >>> import tensorish
    >>> tensorish.sum(tensorish.ones(2, 3), dim=1)
    tensor([3., 3.])
    """
    dt = dtype or _int64_if_integral(input.dtype)
    return _reduce(_sum_all, _sum, input, dim, keepdim, dt)


@declare(test=Sample())
def nansum(
    input: Tensor, dim=None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The sum, treating NaN as zero.

    >>> import tensorish
    >>> tensorish.nansum(tensorish.tensor([1., float('nan'), 2.]))
    tensor(3.)
    """
    if input.dtype.is_complex:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    dt = dtype or _int64_if_integral(input.dtype)
    return _reduce(None, _nansum, input, dim, keepdim, dt)


@declare(test=Sample())
def mean(
    input: Tensor, dim=_MISSING, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The mean of all elements, or over ``dim``.

    >>> import tensorish
    >>> tensorish.mean(tensorish.tensor([1., 2., 6.]))
    tensor(3.)
    """
    dt = dtype or input.dtype
    if not _is_float(dt):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {dt.title}"
        )
    return _reduce(_mean_all, _mean, input, dim, keepdim, dt)


@declare(test=Sample())
def nanmean(
    input: Tensor, dim=None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The mean of the non-NaN elements.

    >>> import tensorish
    >>> tensorish.nanmean(tensorish.tensor([1., float('nan'), 2.]))
    tensor(1.5000)
    """
    if input.dtype.is_complex:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if not _is_float(input.dtype):
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype "
            f"but got {input.dtype.title}"
        )
    return _reduce(None, _nanmean, input, dim, keepdim, dtype or input.dtype)


@declare(test=Sample())
def prod(
    input: Tensor, dim: int = _MISSING, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The product of all elements, or along ``dim``; integer inputs multiply in int64.

    >>> import tensorish
    >>> tensorish.prod(tensorish.tensor([[1., 2.], [3., 4.]]), 1)
    tensor([ 2., 12.])
    """
    dt = dtype or _int64_if_integral(input.dtype)
    if dim is not _MISSING:
        dim = _wrap_dim(dim, input.ndim)
    return _reduce(_prod_all, _prod, input, dim, keepdim, dt)


# -- std, var --------------------------------------------------------------------------------
@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def _var_fn(x, dim, correction, keepdim, all_reduce):
    n = x.size if dim is None else math.prod(x.shape[d] for d in dim)
    d = x - jnp.mean(x, axis=dim, keepdims=True)
    s = jnp.sum(jnp.real(d * jnp.conj(d)), axis=dim, keepdims=keepdim)
    return s / builtins.max(0, n - correction)


@_var_fn.defjvp
def _var_jvp(dim, correction, keepdim, all_reduce, primals, tangents):
    # NOTE: PyTorch's var_backward: 2 / (n - correction) * (x - mean), except that an
    # all-reduce with n - correction <= 0 gives nan where x == mean and inf elsewhere.
    (x,), (t,) = primals, tangents
    out = _var_fn(x, dim, correction, keepdim, all_reduce)
    n = x.size if dim is None else math.prod(x.shape[d] for d in dim)
    dof = n - correction
    d = x - jnp.mean(x, axis=dim, keepdims=True)
    if all_reduce and dof <= 0:
        coef = jnp.where(x == jnp.mean(x), jnp.nan, jnp.inf).astype(out.dtype)
        tan = jnp.sum(coef * jnp.real(t), axis=dim, keepdims=keepdim)
    else:
        scale = 2.0 / dof if dof != 0 else math.inf
        tan = jnp.sum(jnp.real(jnp.conj(d) * t) * scale, axis=dim, keepdims=keepdim)
    return out, tan.astype(out.dtype)


def _std_fn(x, **kw):
    return _root(_var_fn(x, **kw), 2)


def _moments(x, fn, **kw):
    return fn(x, **kw), jnp.mean(x, axis=kw["dim"], keepdims=kw["keepdim"])


_var = Op("VarBackward0", lambda x, **kw: _var_fn(x, **kw))
_std = Op("StdBackward0", _std_fn)
_var_mean = Op("VarMeanBackward0", partial(_moments, fn=_var_fn), n_out=2)
_std_mean = Op("StdMeanBackward0", partial(_moments, fn=_std_fn), n_out=2)


def _moment(op: Op, name: str, input: Tensor, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # std(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got "
            "(correction=int, unbiased=bool, )"
        )
    if not _is_float(input.dtype):
        what = "std and var" if name in ("std", "var") else name
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None else int(builtins.bool(unbiased))
    axes = _axes(input, dim)
    n = input.numel() if axes is None else math.prod(input.shape[a] for a in axes)
    if n - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
            "than the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    static = (
        ("dim", axes),
        ("correction", correction),
        ("keepdim", keepdim),
        ("all_reduce", axes is None),
    )
    return apply(op, (input,), static)


@declare(test=Sample())
def var(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """The variance over ``dim``, dividing by ``N - correction`` (Bessel's correction: 1).

    >>> import tensorish
    >>> tensorish.var(tensorish.tensor([1., 2., 3., 4.]))
    tensor(1.6667)
    """
    return _moment(_var, "var", input, dim, unbiased, keepdim, correction)


@declare(test=Sample())
def std(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """The standard deviation over ``dim``, dividing by ``N - correction``.

    >>> import tensorish
    >>> tensorish.std(tensorish.tensor([1., 3.]))
    tensor(1.4142)
    """
    return _moment(_std, "std", input, dim, unbiased, keepdim, correction)


@declare(method=False, test=Sample(((2, 3, 4),), args=((0, 1),), kwargs={"keepdim": True}))
def var_mean(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one op.

    >>> import tensorish
    >>> tensorish.var_mean(tensorish.tensor([1., 3.]))
    (tensor(2.), tensor(2.))
    """
    return _moment(_var_mean, "var_mean", input, dim, unbiased, keepdim, correction)


@declare(method=False, test=Sample(args=(1,)))
def std_mean(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one op.

    >>> import tensorish
    >>> tensorish.std_mean(tensorish.tensor([1., 3.]))
    (tensor(1.4142), tensor(2.))
    """
    return _moment(_std_mean, "std_mean", input, dim, unbiased, keepdim, correction)


# -- max, min, amax, amin, aminmax, argmax, argmin -------------------------------------------
def _select_dim(x, dim, keepdim, arg):
    """(values, int64 indices) of ``arg`` along ``dim``; the gradient reaches only the index."""
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    i = arg(x, axis=dim, keepdims=True)
    v = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return v, i.astype(jnp.int64)


_max_all = Op("MaxBackward1", lambda x: _evenly(x, jnp.max))
_min_all = Op("MinBackward1", lambda x: _evenly(x, jnp.min))
_max_dim = Op("MaxBackward0", partial(_select_dim, arg=jnp.argmax), saves=(), n_out=2)
_min_dim = Op("MinBackward0", partial(_select_dim, arg=jnp.argmin), saves=(), n_out=2)
_maximum = Op("MaximumBackward0", lambda a, b: _pairwise(a, b, jnp.maximum))
_minimum = Op("MinimumBackward0", lambda a, b: _pairwise(a, b, jnp.minimum))
_amax = Op("AmaxBackward0", lambda x, dim, keepdim: _chooser(x, jnp.max, dim, keepdim))
_amin = Op("AminBackward0", lambda x, dim, keepdim: _chooser(x, jnp.min, dim, keepdim))
_aminmax = Op(
    "AminmaxBackward0",
    lambda x, dim, keepdim: (
        _chooser(x, jnp.min, dim, keepdim),
        _chooser(x, jnp.max, dim, keepdim),
    ),
    n_out=2,
)
_argmax = Op(
    "ArgmaxBackward0",
    lambda x, dim, keepdim: jnp.argmax(x, axis=dim, keepdims=keepdim).astype(jnp.int64),
    differentiable=False,
)
_argmin = Op(
    "ArgminBackward0",
    lambda x, dim, keepdim: jnp.argmin(x, axis=dim, keepdims=keepdim).astype(jnp.int64),
    differentiable=False,
)


def _extreme(name: str, all_op: Op, dim_op: Op, pair_op: Op, input: Tensor, dim, keepdim, other):
    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        args, cast, _ = promote(input, other)
        return apply(pair_op, args, (), cast)
    if dim is None:
        _no_identity(name, input, None, None)
        return apply(all_op, (input,))
    d = _wrap_dim(dim, input.ndim)
    _no_identity(name, input, dim, (d,) if input.ndim else ())
    v, i = apply(dim_op, (input,), (("dim", d), ("keepdim", keepdim)))
    return getattr(return_types, name)(v, i)


@declare(test=Sample())
def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the
    elementwise maximum.

    >>> import tensorish
    >>> tensorish.max(tensorish.tensor([[1., 5.], [4., 2.]]), 1).values
    tensor([5., 4.])
    """
    return _extreme("max", _max_all, _max_dim, _maximum, input, dim, keepdim, other)


@declare(test=Sample())
def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the
    elementwise minimum.

    >>> import tensorish
    >>> tensorish.min(tensorish.tensor([[1., 5.], [4., 2.]]), 1).indices
    tensor([0, 1])
    """
    return _extreme("min", _min_all, _min_dim, _minimum, input, dim, keepdim, other)


def _amax_like(op: Op, name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    axes = _axes(input, dim)
    if axes is None:
        _no_identity(name, input, None, None)
    else:
        _no_identity(name, input, dim, axes, given_dim=True)
    return apply(op, (input,), (("dim", axes), ("keepdim", keepdim)))


@declare(test=Sample())
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import tensorish
    >>> tensorish.amax(tensorish.tensor([[1., 5.], [4., 2.]]), 0)
    tensor([4., 5.])
    """
    return _amax_like(_amax, "amax", input, dim, keepdim)


@declare(test=Sample(args=(-1,)))
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import tensorish
    >>> tensorish.amin(tensorish.tensor([[1., 5.], [4., 2.]]), 0)
    tensor([1., 2.])
    """
    return _amax_like(_amin, "amin", input, dim, keepdim)


@declare(test=Sample())
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """``(min, max)`` over all elements or along ``dim``.

    >>> import tensorish
    >>> tensorish.aminmax(tensorish.tensor([3., 1., 2.])).max
    tensor(3.)
    """
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the "
                "operation has no identity."
            )
        axes = None
    else:
        d = _wrap_dim(dim, input.ndim)
        axes = (d,) if input.ndim else None
        _no_identity("aminmax", input, dim, axes or (), paren=False)
    lo, hi = apply(_aminmax, (input,), (("dim", axes), ("keepdim", keepdim)))
    return return_types.aminmax(lo, hi)


def _arg(op: Op, name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    if input.dtype is _dtype.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        _no_identity(name, input, None, None)
        return apply(op, (input,), (("dim", None), ("keepdim", keepdim)))
    d = _wrap_dim(dim, input.ndim)
    _no_identity(name, input, dim, (d,) if input.ndim else ())
    return apply(op, (input,), (("dim", d if input.ndim else None), ("keepdim", keepdim)))


@declare(test=Sample())
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index of the largest element (of the flattened input without ``dim``).

    >>> import tensorish
    >>> tensorish.argmax(tensorish.tensor([[1., 5.], [4., 2.]]))
    tensor(1)
    """
    return _arg(_argmax, "argmax", input, dim, keepdim)


@declare(test=Sample(args=(-1,)))
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index of the smallest element (of the flattened input without ``dim``).

    >>> import tensorish
    >>> tensorish.argmin(tensorish.tensor([[1., 5.], [4., 2.]]), dim=1)
    tensor([0, 1])
    """
    return _arg(_argmin, "argmin", input, dim, keepdim)


# -- norm, logsumexp -------------------------------------------------------------------------
def _vector_norm(x, p, dim, keepdim, dtype):
    a = _abs(x.astype(dtype) if dtype is not None else x)
    kw = {"axis": dim, "keepdims": keepdim}
    if p == math.inf:
        return jnp.max(a, **kw)
    if p == -math.inf:
        return jnp.min(a, **kw)
    if p == 0:
        return jnp.sum(a != 0, dtype=a.dtype, **kw)
    if p == 1:
        return jnp.sum(a, **kw)
    return _root(jnp.sum(a * a if p == 2 else a**p, **kw), p)


_norm = Op("LinalgVectorNormBackward0", _vector_norm)


@declare(test=Sample())
def norm(
    input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The vector p-norm over ``dim`` (all elements by default); ``'fro'`` is the 2-norm.

    >>> import tensorish
    >>> tensorish.norm(tensorish.tensor([3., 4.]))
    tensor(5.)
    """
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        given = (
            tuple(range(input.ndim))
            if dim is None
            else (dim,)
            if isinstance(dim, int)
            else tuple(dim)
        )
        if p == "nuc" or dim is not None and len(given) > 2:
            return _matrix_norm(input, given, keepdim)
        p = 2
    if not _is_float(input.dtype):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as "
            f"input. Got {input.dtype.title}"
        )
    p = float(p)
    axes = _axes(input, dim)
    if math.isinf(p):
        what = "inf" if p > 0 else "-inf"
        if dim is None and input.numel() == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {what} norm on an empty "
                "tensor because the operation does not have an identity"
            )
        for a in axes or ():
            if input.shape[a] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {what} norm on the "
                    f"dimension {a}because this dimension is empty and the "
                    "operation does not have an identity"
                )
    static = (
        ("p", p),
        ("dim", axes),
        ("keepdim", keepdim),
        ("dtype", dtype.np if dtype is not None else None),
    )
    return apply(_norm, (input,), static)


def _nuclear_norm(x, dim, keepdim):
    s = jnp.linalg.svd(jnp.moveaxis(x, dim, (-2, -1)), compute_uv=False).sum(-1)
    return jnp.expand_dims(s, sorted(dim)) if keepdim else s


# PyTorch computes the nuclear norm as the sum of the singular values (grad_fn SumBackward1).
_nuclear = Op("SumBackward1", _nuclear_norm)


def _matrix_norm(input: Tensor, dim: tuple, keepdim: bool) -> Tensor:
    """The nuclear norm over the two dims ``dim`` (any other dim count is PyTorch's error)."""
    if len(dim) != 2:
        raise RuntimeError(
            "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(str(d) for d in dim)
        )
    a, b = (_wrap_dim(d, input.ndim) for d in dim)
    if a == b:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({a}, {b})")
    if not _is_float(input.dtype):
        raise RuntimeError(
            "linalg.matrix_norm: Expected a floating point or complex tensor as "
            f"input. Got {input.dtype.title}"
        )
    return apply(_nuclear, (input,), (("dim", (a, b)), ("keepdim", keepdim)))


def _logsumexp(x, dim, keepdim):
    if x.ndim == 0:
        return x
    return jax.nn.logsumexp(x, axis=dim, keepdims=keepdim)


_logsumexp_op = Op("LogsumexpBackward0", _logsumexp)


@declare(test=Sample(args=(1,)))
def logsumexp(input: Tensor, dim=_MISSING, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed stably.

    >>> import tensorish
    >>> tensorish.logsumexp(tensorish.tensor([0., 0.]), 0)
    tensor(0.6931)
    """
    if dim is _MISSING:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    if dim is None:
        raise TypeError(
            "logsumexp(): argument 'dim' (position 1) must be tuple of ints, not NoneType"
        )
    dt = input.dtype if _is_float(input.dtype) else _dtype.get_default_dtype()
    axes = _axes(input, dim)
    cast = None if dt is input.dtype else (dt.np,)
    return apply(_logsumexp_op, (input,), (("dim", axes), ("keepdim", keepdim)), cast)


# -- all, any, count_nonzero -----------------------------------------------------------------
def _logical(fn, x, dim, keepdim):
    out = fn(x != 0 if x.dtype != jnp.bool_ else x, axis=dim, keepdims=keepdim)
    return out.astype(jnp.uint8) if x.dtype == jnp.uint8 else out


_all = Op("AllBackward0", partial(_logical, jnp.all), differentiable=False)
_any = Op("AnyBackward0", partial(_logical, jnp.any), differentiable=False)
_count_nonzero = Op(
    "CountNonzeroBackward0",
    lambda x, dim: jnp.sum(x != 0, axis=dim, dtype=jnp.int64),
    differentiable=False,
)


@declare(test=Sample((Ints((3, 4), 2),)))
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero; uint8 inputs give uint8.

    >>> import tensorish
    >>> tensorish.all(tensorish.tensor([[True, False], [True, True]]), 1)
    tensor([False,  True])
    """
    return apply(_all, (input,), (("dim", _axes(input, dim)), ("keepdim", keepdim)))


@declare(test=Sample((Ints((3, 4), 2),)))
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``) is nonzero; uint8 inputs give uint8.

    >>> import tensorish
    >>> tensorish.any(tensorish.tensor([[True, False], [False, False]]), 1)
    tensor([ True, False])
    """
    return apply(_any, (input,), (("dim", _axes(input, dim)), ("keepdim", keepdim)))


@declare(test=Sample((Ints((3, 4), 2),)))
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements (over ``dim``), as int64.

    >>> import tensorish
    >>> tensorish.count_nonzero(tensorish.tensor([0, 1, 2]))
    tensor(2)
    """
    return apply(_count_nonzero, (input,), (("dim", _axes(input, dim)),))


# -- statistics of several variables -----------------------------------------------------------


def _cov_fn(x, fweights, aweights, correction):
    x = x if x.ndim == 2 else x.reshape(1, -1)
    w = None
    if fweights is not None:
        w = fweights.astype(x.dtype)
    if aweights is not None:
        w = aweights.astype(x.dtype) if w is None else w * aweights
    if w is None:
        total = x.shape[1]
        avg = jnp.mean(x, axis=1)
        norm = total - correction
    else:
        total = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / total
        norm = total - (
            correction if aweights is None else correction * jnp.sum(w * aweights) / total
        )
    xm = x - avg[:, None]
    xw = xm if w is None else xm * w
    return jnp.squeeze(xw @ jnp.conj(xm).T / jnp.maximum(norm, 0))


def _corrcoef_fn(x):
    c = _cov_fn(x, None, None, 1)
    if c.ndim == 0:
        return c / c
    std = jnp.sqrt(jnp.real(jnp.diagonal(c)))
    return jnp.clip(c / std[:, None] / std[None, :], -1, 1)


_cov = Op("SqueezeBackward0", _cov_fn)
_corrcoef = {0: Op("DivBackward0", _corrcoef_fn), 2: Op("ClampBackward1", _corrcoef_fn)}


def _variables(name: str, input: Tensor) -> None:
    if input.ndim > 2:
        raise RuntimeError(
            f"{name}(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )


def _float_input(input: Tensor) -> tuple | None:
    dt = input.dtype
    return None if dt.is_floating_point or dt.is_complex else (_dtype.get_default_dtype().np,)


@declare(test=(Sample(((3, 5),)), Sample(((5,),), kwargs={"correction": 0})))
def cov(
    input: Tensor,
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with ``fweights``/``aweights`` per observation.

    >>> import tensorish
    >>> tensorish.cov(tensorish.tensor([1.0, 2.0, 3.0]))
    tensor(1.)
    """
    _variables("cov", input)
    cast = _float_input(input)
    return apply(
        _cov,
        (input, fweights, aweights),
        (("correction", correction),),
        cast and (*cast, None, None),
    )


@declare(test=(Sample(((3, 5),)), Sample(((5,),))))
def corrcoef(input: Tensor) -> Tensor:
    """The Pearson correlation coefficients of the variables in the rows of ``input``.

    >>> import tensorish
    >>> tensorish.corrcoef(tensorish.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    _variables("corrcoef", input)
    op = _corrcoef[2 if input.ndim == 2 and input.shape[0] > 1 else 0]
    return apply(op, (input,), (), _float_input(input))


def _renorm_fn(x, p, axis, maxnorm):
    others = tuple(a for a in range(x.ndim) if a != axis)
    a = jnp.abs(x)
    norm = (
        jnp.max(a, axis=others, keepdims=True)
        if p == math.inf
        else jnp.sum(a**p, axis=others, keepdims=True) ** (1 / p)
    )
    return jnp.where(norm > maxnorm, x * (maxnorm / (norm + 1e-7)), x)


_renorm = Op("RenormBackward0", _renorm_fn)


@declare(inplace=True, test=Sample(((3, 4),), args=(2, 0, 1.0)))
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice of ``input`` along ``dim`` whose ``p``-norm exceeds ``maxnorm``, scaled down
    to norm ``maxnorm``.

    >>> import tensorish
    >>> tensorish.renorm(tensorish.tensor([[3.0, 4.0]]), 2, 0, 1.0)
    tensor([[0.6000, 0.8000]])
    """
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = _wrap_dim(dim, input.ndim)
    return apply(_renorm, (input,), (("p", float(p)), ("axis", axis), ("maxnorm", float(maxnorm))))


@declare(test=(Sample(((3, 5),)), Sample(((3, 5), (3, 2)), args=(T, 2, 1, T))))
def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after ``prepend`` and before ``append``.

    >>> import tensorish
    >>> tensorish.diff(tensorish.tensor([1, 4, 9]))
    tensor([3, 5])
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = _wrap_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = input if len(parts) == 1 else _shape.cat(parts, axis)
    for _ in range(n):
        size = x.shape[axis]
        if size == 0:
            break
        hi, lo = x.narrow(axis, 1, size - 1), x.narrow(axis, 0, size - 1)
        x = hi.logical_xor(lo) if x.dtype is _dtype.bool_ else hi - lo
    return x


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = [*public(__name__), "return_types"]

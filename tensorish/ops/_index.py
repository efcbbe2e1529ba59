"""Indexing: ``t[key]``, ``t[key] = v``, gather/scatter, index_*, masked_*, take, nonzero.

JAX clamps out-of-range indices silently, so every index is bounds-checked in Python before
dispatch (PyTorch's IndexError/RuntimeError instead of a wrong answer). Bool masks become integer
indices on the host, as their result size depends on the data. A key is normalised into static
``items`` (``("i", n)`` select, ``("s", start, stop, step)`` slice, ``("n",)`` new axis,
``("a", k)`` the k-th index array, ``("b", k)`` a bool) so the jitted op is cached per key
structure.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd._grad_mode import is_grad_enabled
from ._checks import check_range
from ._common import Op, apply, inplace
from ._pointwise import _tensor_where
from ._registry import Given, Ints, Sample, T, declare, public


def _index_fn(x, *arrays, items):
    basic, adv, pos = [], [], 0
    for it in items:
        tag = it[0]
        if tag == "i":
            basic.append(it[1])
            continue
        if tag == "s":
            basic.append(slice(*it[1:]))
        elif tag == "n":
            basic.append(None)
        elif tag == "b":  # a bool index: a new axis, indexed by [0] (True) or [] (False)
            basic.append(None)
            adv.append((pos, arrays[it[1]]))
        else:
            basic.append(slice(None))
            adv.append((pos, arrays[it[1]]))
        pos += 1
    y = x[tuple(basic)]
    if adv:
        key = [slice(None)] * (adv[-1][0] + 1)
        for p, a in adv:
            key[p] = a
        y = y[tuple(key)]
    return y


def _setitem_fn(x, v, *arrays, items, accumulate):
    target = _index_fn(x, *arrays, items=items)
    while v.ndim > target.ndim and v.shape[0] == 1:
        v = v[0]
    v = jnp.broadcast_to(v, target.shape)
    if not any(it[0] in "ab" for it in items):
        return x.at[tuple(_basic_key(items))].set(v)
    # PyTorch applies ints as selects before advanced indexing (NumPy treats them as advanced
    # indices, which moves dimensions), so scatter through the flat positions instead.
    pos = _index_fn(jnp.arange(x.size).reshape(x.shape), *arrays, items=items).reshape(-1)
    if accumulate:
        out = x.reshape(-1).at[pos].add(v.reshape(-1))
    else:
        out = _put_flat(x.reshape(-1), v.reshape(-1), pos)
    return out.reshape(x.shape)


# NOTE: with repeated indices one write wins, but PyTorch's index_put_ backward hands the gradient
# at each position to every value written there (JAX's scatter gives it to the winner only).
@jax.custom_vjp
def _put_flat(x, v, pos):
    return x.at[pos].set(v)


_put_flat.defvjp(
    lambda x, v, pos: (x.at[pos].set(v), pos), lambda pos, g: (g.at[pos].set(0), g[pos], None)
)


def _basic_key(items) -> list:
    return [it[1] if it[0] == "i" else slice(*it[1:]) if it[0] == "s" else None for it in items]


_get_ops = {
    name: Op(name, _index_fn, saves=())
    for name in (
        "IndexBackward0",
        "SelectBackward0",
        "SliceBackward0",
        "UnsqueezeBackward0",
        "AliasBackward0",
    )
}
_set_ops = {
    name: Op(name, _setitem_fn, saves=())
    for name in ("CopySlices", "IndexPutBackward0", "FillBackward3", "CopyBackwards")
}

_VALID = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
    "valid indices (got {})"
)


class _Key:
    """A parsed index: static items, index arrays, the result shape and PyTorch's node names."""

    __slots__ = ("items", "arrays", "shape", "advanced", "last", "noop")

    def __init__(self, items, arrays, shape, advanced, last, noop):
        self.items, self.arrays, self.shape = items, arrays, shape
        self.advanced, self.last, self.noop = advanced, last, noop


def _bounds_error(values: np.ndarray, n: int, dim: int) -> None:
    bad = values[(values < -n) | (values >= n)]
    if bad.size:
        raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {dim} with size {n}")


def _as_index(k):
    """An index entry as an int, a bool, a ("mask", array) or an ("array", array)."""
    if isinstance(k, Tensor):
        dt = k.dtype
        if dt is _dtype.bool_ or dt is _dtype.uint8:
            if dt is _dtype.uint8:
                warnings.warn(
                    "indexing with dtype torch.uint8 is now deprecated, please use a "
                    "dtype torch.bool instead.",
                    UserWarning,
                    stacklevel=4,
                )
            return ("mask", np.asarray(k._value).astype(bool)) if k.ndim else bool(k.item())
        if dt.is_floating_point or dt.is_complex:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return ("array", np.asarray(k._value)) if k.ndim else int(k.item())
    if isinstance(k, (bool, np.bool_)):
        return bool(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray(k)
        if arr.dtype == bool:
            return ("mask", arr) if arr.ndim else bool(arr)
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise IndexError(_VALID.format(type(k).__name__))
        return ("array", arr) if arr.ndim else int(arr)
    raise IndexError(_VALID.format(type(k).__name__))


# C901: PyTorch's index grammar, one branch per kind of key
def _parse(t: Tensor, key) -> _Key:  # noqa: C901
    single_slice = isinstance(key, slice)
    if isinstance(key, list) and any(
        isinstance(k, (list, tuple, slice, Tensor, type(None), type(Ellipsis))) for k in key
    ):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
            "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
            "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
            "in an error or a different result",
            UserWarning,
            stacklevel=3,
        )
        key = tuple(key)
    elif not isinstance(key, tuple):
        key = (key,)
    entries = [
        k if k is None or k is Ellipsis or isinstance(k, slice) else _as_index(k) for k in key
    ]
    consumed = sum(
        k[1].ndim
        if isinstance(k, tuple) and k[0] == "mask"
        else 0
        if k is None or k is Ellipsis or isinstance(k, bool)
        else 1
        for k in entries
    )
    ndim = t.ndim
    if consumed > ndim:
        if ndim == 0 and any(type(k) is int for k in entries):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    shape = t.shape
    items, arrays, out = [], [], []
    adv_pos, adv_shapes = [], []
    last, noop, dim, n_adv, seen_ellipsis = None, True, 0, 0, False

    def add_array(a: np.ndarray, n: int | None, tag: str = "a") -> None:
        nonlocal n_adv
        if n is not None:
            _bounds_error(a, n, n_adv)
        n_adv += 1
        items.append((tag, len(arrays)))
        arrays.append(a.astype(np.int64, copy=False))
        adv_pos.append(len(out))
        adv_shapes.append(a.shape)
        out.append(None)

    for position, k in enumerate(entries):
        if k is Ellipsis:
            if seen_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            seen_ellipsis = True
            for _ in range(ndim - consumed):
                items.append(("s", 0, shape[dim], 1))
                out.append(shape[dim])
                dim += 1
        elif k is None:
            items.append(("n",))
            out.append(1)
            last, noop = "UnsqueezeBackward0", False
        elif isinstance(k, bool):
            noop = False
            add_array(np.zeros(1 if k else 0, np.int64), None, "b")
        elif isinstance(k, int):
            n = shape[dim]
            if not -n <= k < n:
                # PyTorch names the position in the key, not the dimension indexed.
                raise IndexError(
                    f"index {k} is out of bounds for dimension {position} with size {n}"
                )
            items.append(("i", k % n))
            dim += 1
            last, noop = "SelectBackward0", False
        elif isinstance(k, slice):
            n = shape[dim]
            step = 1 if k.step is None else int(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            start, stop, _ = slice(k.start, k.stop, step).indices(n)
            stop = max(start, stop)
            items.append(("s", start, stop, step))
            out.append(len(range(start, stop, step)))
            dim += 1
            if single_slice or not (start == 0 and stop == n and step == 1):
                last = "SliceBackward0"
                noop = noop and start == 0 and stop == n and step == 1
        elif k[0] == "mask":
            m = k[1]
            for j in range(m.ndim):
                if m.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(m.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            for a in np.nonzero(m):
                add_array(a, None)
            dim += m.ndim
        else:
            add_array(k[1], shape[dim])
            dim += 1
    out.extend(shape[dim:])
    if adv_shapes:
        try:
            bshape = np.broadcast_shapes(*adv_shapes)
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(str(list(s)) for s in adv_shapes)
            ) from None
        rest = [s for s in out if s is not None]
        first = adv_pos[0]
        if adv_pos == list(range(first, first + len(adv_pos))):
            out = rest[:first] + list(bshape) + rest[first:]
        else:
            out = list(bshape) + rest
    return _Key(tuple(items), arrays, tuple(out), bool(adv_shapes), last, noop)


def _getitem(self: Tensor, key) -> Tensor:
    k = _parse(self, key)
    name = "IndexBackward0" if k.advanced else k.last or "AliasBackward0"
    return apply(_get_ops[name], (self, *k.arrays), (("items", k.items),))


def _check_value_shape(vshape: tuple, target: tuple, advanced: bool) -> None:
    stripped = list(vshape)
    while len(stripped) > len(target) and stripped[0] == 1:
        stripped.pop(0)
    ok = len(stripped) <= len(target) and all(
        a == b or a == 1 for a, b in zip(reversed(stripped), reversed(target))
    )
    if ok:
        return
    if advanced:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
            f"broadcast to indexing result of shape {list(target)}"
        )
    if len(stripped) > len(target):
        raise RuntimeError(
            f"expand({'torch.' + _dtype.float32.title}Tensor{{{list(vshape)}}}, size="
            f"{list(target)}): the number of sizes provided ({len(target)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({len(vshape)})"
        )
    lead = len(target) - len(stripped)
    for i, (a, b) in enumerate(zip(stripped, target[lead:])):
        if a != b and a != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({b}) must match the existing size ({a}) at "
                f"non-singleton dimension {i + lead}.  Target sizes: {list(target)}.  Tensor "
                f"sizes: {list(stripped)}"
            )


def _put(self: Tensor, k: _Key, value, name: str, accumulate: bool) -> Tensor:
    """Write ``value`` at ``k`` into ``self`` (PyTorch's in-place index_put_/copy_ family)."""
    npd = self._v.dtype
    if not isinstance(value, (Tensor, bool, int, float, complex)):
        kind = type(value)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else (f"{kind.__module__}.{kind.__qualname__}")
        )
        raise TypeError(
            f"can't assign a {name} to a {self._type_name().replace('torch.', 'tensorish.')}"
        )
    if isinstance(value, Tensor):
        _check_value_shape(tuple(value.shape), k.shape, k.advanced)
        v, cast = value, (None, npd) + (None,) * len(k.arrays)
    else:
        v, cast = np.asarray(value, dtype=npd), None
    if name == "CopySlices" and is_grad_enabled() and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    static = (("items", k.items), ("accumulate", accumulate))
    return inplace(self, lambda s: apply(_set_ops[name], (s, v, *k.arrays), static, cast))


def _setitem(self: Tensor, key, value) -> None:
    k = _parse(self, key)
    if k.noop and not k.advanced:
        name = "CopyBackwards" if isinstance(value, Tensor) and value.ndim else "FillBackward3"
    elif k.noop:
        name = "IndexPutBackward0"
    else:
        name = "CopySlices"
    _put(self, k, value, name, False)


def _iter(self: Tensor) -> Iterator[Tensor]:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    from ._shape import unbind

    return iter(unbind(self, 0))


def _index(self: Tensor) -> int:
    if self.numel() != 1 or self.dtype.is_floating_point or self.dtype.is_complex:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(self.item())


for _name, _fn, _sample in (
    ("__getitem__", _getitem, Sample(args=((slice(None), 1),))),
    ("__setitem__", _setitem, ()),
    ("__iter__", _iter, ()),
    ("__index__", _index, Sample((Ints((), 5),), grad=False)),
):
    declare(name=_name, namespace="tensorish.Tensor", test=_sample)(_fn)


def _index_key(input: Tensor, indices) -> _Key:
    return _parse(input, tuple(indices))


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input[indices] = values`` (or ``+=`` with ``accumulate``), in place."""
    _same_dtype(input, values, "index_put")
    return _put(input, _index_key(input, indices), values, "IndexPutBackward0", accumulate)


@declare(inplace=index_put_)
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """Out-of-place ``index_put_``.

    >>> import tensorish
    >>> tensorish.zeros(3).index_put((tensorish.tensor([0, 0]),), tensorish.tensor(1.), True)
    tensor([2., 0., 0.])
    """
    _same_dtype(input, values, "index_put")
    k = _index_key(input, indices)
    _check_value_shape(tuple(values.shape), k.shape, True)
    return apply(
        _set_ops["IndexPutBackward0"],
        (input, values, *k.arrays),
        (("items", k.items), ("accumulate", accumulate)),
    )


def _same_dtype(input: Tensor, src: Tensor, what: str) -> None:
    if not isinstance(src, Tensor) or src.dtype is input.dtype:
        return
    a, b = input.dtype.title, src.dtype.title
    msgs = {
        "index_put": "Index put requires the source and destination dtypes match, got {a} for "
        "the destination and {b} for the source.",
        "index_add": "index_add_(): self ({a}) and source ({b}) must have the same scalar type",
        "index_copy": "index_copy_(): self and source expected to have the same dtype, but got "
        "(self) {a} and (source) {b}",
        "scatter": "scatter(): Expected self.dtype to be equal to src.dtype",
        "masked_scatter": "masked_scatter: expected self and source to have same dtypes but "
        "got{a} and {b}",
    }
    raise RuntimeError(msgs[what].format(a=a, b=b))


def _int_index(index: Tensor, name: str) -> jax.Array:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._value


def _check_bounds(idx, n: int, dim: int, error: type = RuntimeError, negative: bool = False):
    """``error("index i is out of bounds for dimension dim with size n")`` for a bad entry."""
    check_range(
        idx,
        -n if negative else 0,
        n,
        lambda v: error(f"index {v} is out of bounds for dimension {dim} with size {n}"),
    )


def _gather_fn(x, idx, axis):
    x = x[tuple(slice(0, s) if d != axis else slice(None) for d, s in enumerate(idx.shape))]
    return jnp.take_along_axis(x, idx, axis)


_gather = Op("GatherBackward0", _gather_fn, saves=())


def _scatter_positions(idx, axis):
    grid = list(jnp.meshgrid(*[jnp.arange(n) for n in idx.shape], indexing="ij"))
    grid[axis] = idx
    return tuple(grid)


def _crop(src, shape):
    return src[tuple(slice(0, s) for s in shape)]


def _scatter_fn(x, idx, src, axis, reduce):
    at = x.at[_scatter_positions(idx, axis)]
    src = _crop(jnp.broadcast_to(src, idx.shape) if src.ndim == 0 else src, idx.shape)
    if reduce == "add":
        return at.add(src)
    if reduce == "multiply":
        return at.multiply(src)
    return at.set(src)


def _scatter_reduce_fn(x, idx, src, axis, reduce, include_self):
    pos = _scatter_positions(idx, axis)
    src = _crop(src, idx.shape)
    if reduce in ("sum", "mean"):
        base = x if include_self else x.at[pos].set(0)
        out = base.at[pos].add(src)
        if reduce == "sum":
            return out
        count = jnp.zeros(x.shape, x.dtype).at[pos].add(1) + (1 if include_self else 0)
        count = jnp.maximum(count, 1)
        if jnp.issubdtype(x.dtype, jnp.integer):
            return out // count
        return out / count
    if reduce == "prod":
        base = x if include_self else x.at[pos].set(1)
        return _scatter_prod(base, src, pos)
    if jnp.issubdtype(x.dtype, jnp.floating):
        fill = -jnp.inf if reduce == "amax" else jnp.inf
    else:
        info = jnp.iinfo(x.dtype)
        fill = info.min if reduce == "amax" else info.max
    base = x if include_self else x.at[pos].set(fill)
    return base.at[pos].max(src) if reduce == "amax" else base.at[pos].min(src)


# NOTE: JAX differentiates a scatter-multiply only for unique indices; PyTorch's gradient of a
# product is the product of the other factors (zeros included), computed here without division
# by zero: a factor's cofactor is result / factor, or, for a zero factor, the product of the
# group's non-zero factors when it is the group's only zero.
@jax.custom_vjp
def _scatter_prod(base, src, pos):
    return base.at[pos].multiply(src)


def _scatter_prod_fwd(base, src, pos):
    out = base.at[pos].multiply(src)
    return out, (base, src, pos, out)


def _scatter_prod_bwd(res, g):
    base, src, pos, out = res
    nonzero = jnp.ones_like(base).at[pos].multiply(jnp.where(src == 0, 1, src))
    nonzero = nonzero * jnp.where(base == 0, 1, base)
    zeros = (base == 0).astype(jnp.int32).at[pos].add((src == 0).astype(jnp.int32))

    def cofactor(v, total, nz, nzeros):
        safe = jnp.where(v == 0, 1, v)
        return jnp.where(v == 0, jnp.where(nzeros == 1, nz, 0), total / safe)

    g_base = g * cofactor(base, out, nonzero, zeros)
    g_src = g[pos] * cofactor(src, out[pos], nonzero[pos], zeros[pos])
    return g_base, g_src, None


_scatter_prod.defvjp(_scatter_prod_fwd, _scatter_prod_bwd)

_scatter = Op("ScatterBackward0", _scatter_fn, saves=())
_scatter_value = Op("ScatterBackward1", _scatter_fn, saves=())
_scatter_add = Op(
    "ScatterAddBackward0", lambda x, i, s, axis: _scatter_fn(x, i, s, axis, "add"), saves=()
)
_scatter_reduce = Op("ScatterReduceBackward0", _scatter_reduce_fn)


@declare(test=Sample(((3, 4), Given([[0, 0], [3, 1], [2, 2]])), args=(T, 1, T)))
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """The values of ``input`` at ``index`` along ``dim``.

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]]).gather(1, tensorish.tensor([[1], [0]]))
    tensor([[2],
            [3]])
    """
    axis = _wrap_dim(dim, input.ndim)
    idx = _int_index(index, "gather")
    _check_gather_shape(input, index, axis, None)
    _check_bounds(idx, input.shape[axis] if input.ndim else 1, axis)
    return apply(_gather, (input, idx), (("axis", axis),))


def _check_gather_shape(input: Tensor, index: Tensor, axis: int, src) -> None:
    if index.numel() == 0:
        return
    if index.ndim != max(input.ndim, 1) and not (index.ndim <= 1 and input.ndim <= 1):
        what = "input" if src is None else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} tensor")
    for d in range(index.ndim):
        too_big = d != axis and input.ndim and index.shape[d] > input.shape[d]
        if src is None and too_big:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                f"no larger than self {list(input.shape)} apart from dimension {axis}"
            )
        if src is not None and (too_big or (src.ndim and index.shape[d] > src.shape[d])):
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {axis} and to be no larger size than "
                f"src {list(src.shape)}"
            )


def _scatter_args(input: Tensor, dim: int, index: Tensor, src, name: str):
    axis = _wrap_dim(dim, input.ndim)
    idx = _int_index(index, name)
    _check_gather_shape(input, index, axis, src if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor):
        _same_dtype(input, src, "scatter")
    _check_bounds(idx, input.shape[axis] if input.ndim else 1, axis)
    return axis


@declare(inplace=True, test=Sample(((3, 4), Given([[0, 2], [3, 1]]), (2, 2)), args=(T, 1, T, T)))
def scatter(
    input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along dim.

    >>> import tensorish
    >>> tensorish.zeros(3).scatter(0, tensorish.tensor([2]), tensorish.tensor([5.]))
    tensor([0., 0., 5.])
    """
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    axis = _scatter_args(input, dim, index, src, "scatter")
    static = (("axis", axis), ("reduce", reduce))
    if isinstance(src, Tensor):
        if reduce is not None:
            warnings.warn(
                "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                "reduction options.",
                UserWarning,
                stacklevel=2,
            )
        return apply(_scatter, (input, index._value, src), static)
    return apply(_scatter_value, (input, index._value, np.asarray(src, input._v.dtype)), static)


@declare(inplace=True, test=Sample(((3, 4), Given([[0, 0], [3, 1]]), (2, 2)), args=(T, 1, T, T)))
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (duplicates sum).

    >>> import tensorish
    >>> tensorish.zeros(2).scatter_add(0, tensorish.tensor([1, 1]), tensorish.ones(2))
    tensor([0., 2.])
    """
    axis = _scatter_args(input, dim, index, src, "scatter")
    return apply(_scatter_add, (input, index._value, src), (("axis", axis),))


@declare(
    inplace=True,
    test=Sample(((3, 4), Given([[0, 0, 2], [3, 3, 3]]), (2, 3)), args=(T, 1, T, T, "sum")),
)
def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index`` (sum, prod, mean, amax or amin).

    >>> import tensorish
    >>> tensorish.zeros(2).scatter_reduce(0, tensorish.tensor([1, 1]), tensorish.tensor([2., 4.]),
    ...                                   "amax")
    tensor([0., 4.])
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    axis = _scatter_args(input, dim, index, src, "scatter")
    return apply(
        _scatter_reduce,
        (input, index._value, src),
        (("axis", axis), ("reduce", reduce), ("include_self", include_self)),
    )


def _vector_index(index: Tensor, name: str) -> jax.Array:
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    return index._value.reshape(-1)


def _along(axis: int, idx):
    return (slice(None),) * axis + (idx,)


_index_select = Op("IndexSelectBackward0", lambda x, i, axis: jnp.take(x, i, axis), saves=())
_index_add = Op(
    "IndexAddBackward0",
    lambda x, i, s, axis, alpha: x.at[_along(axis, i)].add(s if alpha == 1 else alpha * s),
    saves=(),
)
_index_copy = Op("IndexCopyBackward0", lambda x, i, s, axis: x.at[_along(axis, i)].set(s), saves=())
_index_fill = [
    Op(
        f"IndexFillBackward{n}",
        lambda x, i, v, axis: x.at[_along(axis, i)].set(v.astype(x.dtype)),
        saves=(),
    )
    for n in range(2)
]


@declare(test=Sample(((3, 4), Given([3, 0, 3])), args=(T, 1, T)))
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``index`` along ``dim``.

    >>> import tensorish
    >>> tensorish.arange(4).index_select(0, tensorish.tensor([3, 0]))
    tensor([3, 0])
    """
    axis = _wrap_dim(dim, input.ndim)
    idx = _vector_index(index, "index_select")
    n = input.shape[axis] if input.ndim else 1
    # PyTorch's CPU kernel for dim 1 of a matrix or more words its error its own way.
    check_range(
        idx,
        0,
        n,
        (lambda v: RuntimeError(f"INDICES element is out of DATA bounds, id={v} axis_dim={n}"))
        if axis == 1 and input.ndim > 1
        else (lambda _: IndexError("index out of range in self")),
    )
    if input.ndim == 0:
        return apply(_index_select, (input.reshape(1), idx), (("axis", 0),)).reshape(())
    return apply(_index_select, (input, idx), (("axis", axis),))


def _index_source(input: Tensor, dim: int, index: Tensor, source: Tensor, name: str):
    axis = _wrap_dim(dim, input.ndim)
    idx = _vector_index(index, name)
    n_src = source.shape[axis] if source.ndim else 1
    if idx.size != n_src:
        if name == "index_add_":
            raise RuntimeError(
                f"index_add_(): Number of indices ({idx.size}) should be equal to "
                f"source.size(dim): ({n_src}), for dim: {axis}"
            )
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim) ({n_src})"
        )
    n = input.shape[axis]
    if name == "index_add_":
        _check_bounds(idx, n, axis)
    else:
        check_range(
            idx,
            0,
            n,
            lambda v: IndexError(
                f"index_copy_(): index {v} is out of bounds for dimension {axis} with size {n}"
            ),
        )
    _same_dtype(input, source, name[:-1])
    return axis, idx


@declare(inplace=True, test=Sample(((3, 4), Given([2, 2]), (2, 4)), args=(T, 0, T, T)))
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``.

    >>> import tensorish
    >>> tensorish.zeros(3).index_add(0, tensorish.tensor([0, 0]), tensorish.ones(2))
    tensor([2., 0., 0.])
    """
    axis, idx = _index_source(input, dim, index, source, "index_add_")
    return apply(_index_add, (input, idx, source), (("axis", axis), ("alpha", alpha)))


@declare(inplace=True, test=Sample(((3, 4), Given([2, 0]), (2, 4)), args=(T, 0, T, T)))
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with ``source`` written at ``index`` along ``dim``."""
    axis, idx = _index_source(input, dim, index, source, "index_copy_")
    return apply(_index_copy, (input, idx, source), (("axis", axis),))


@declare(inplace=True, test=Sample(((3, 4), Given([0, -1])), args=(T, 1, T, -1.5)))
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with ``value`` written at ``index`` along ``dim``.

    >>> import tensorish
    >>> tensorish.zeros(3).index_fill(0, tensorish.tensor([1]), 5.)
    tensor([0., 5., 0.])
    """
    axis = _wrap_dim(dim, input.ndim)
    idx = _vector_index(index, "index_fill_")
    _check_bounds(idx, input.shape[axis] if input.ndim else 1, axis, IndexError, negative=True)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        return apply(_index_fill[1], (input, idx, value), (("axis", axis),))
    return apply(_index_fill[0], (input, idx, np.asarray(value, input._v.dtype)), (("axis", axis),))


def _bool_mask(mask: Tensor, message: str, cpp: bool = False) -> None:
    if mask.dtype is not _dtype.bool_:
        name = _dtype.CPP_NAMES[mask.dtype.name] if cpp else mask.dtype.title
        raise RuntimeError(message.format(name))


def _masked_where(x, m, v):
    return jnp.where(m, v.astype(x.dtype), x)


_masked_fill = [Op(f"MaskedFillBackward{n}", _masked_where, saves=()) for n in range(2)]
_masked_select = Op(
    "MaskedSelectBackward0",
    lambda x, pos, shape: jnp.broadcast_to(x, shape).reshape(-1)[pos],
    saves=(),
)
_masked_scatter = Op(
    "MaskedScatterBackward0",
    lambda x, s, pos, shape: (
        jnp.broadcast_to(x, shape)
        .reshape(-1)
        .at[pos]
        .set(s.reshape(-1)[: pos.shape[0]])
        .reshape(shape)
    ),
    saves=(),
)


def _broadcast_shape(a: Tensor, b: Tensor) -> tuple[int, ...]:
    from ._shape import broadcast_tensors

    broadcast_tensors(
        Tensor._wrap(jnp.empty(a.shape, bool)), Tensor._wrap(jnp.empty(b.shape, bool))
    )
    return tuple(np.broadcast_shapes(a.shape, b.shape))


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    """In-place ``masked_fill`` (its size error names self first, as PyTorch's)."""
    _bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {}", True)
    _broadcast_shape(self, mask)
    return inplace(self, lambda s: masked_fill(s, mask, value))


@declare(
    inplace=masked_fill_, test=Sample(((3, 4), Ints((3, 4), 2, dtype="bool")), args=(T, T, 0.5))
)
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of ``input`` with ``value`` where ``mask`` is True.

    >>> import tensorish
    >>> tensorish.zeros(3).masked_fill(tensorish.tensor([True, False, True]), 1.)
    tensor([1., 0., 1.])
    """
    _bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {}", True)
    _broadcast_shape(mask, input)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        return apply(_masked_fill[1], (input, mask, value))
    return apply(_masked_fill[0], (input, mask, np.asarray(value, input._v.dtype)))


@declare(test=Sample(((3, 4), Ints((3, 4), 2, dtype="bool"))))
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` is True, as a 1-D tensor.

    >>> import tensorish
    >>> tensorish.arange(3).masked_select(tensorish.tensor([True, False, True]))
    tensor([0, 2])
    """
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(mask, input)
    pos = np.flatnonzero(np.broadcast_to(np.asarray(mask._value), shape))
    return apply(_masked_select, (input, pos), (("shape", shape),))


@declare(inplace=True, test=Sample(((3, 4), Ints((3, 4), 2, dtype="bool"), (4, 4))))
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with consecutive ``source`` elements where ``mask`` is True.

    >>> import tensorish
    >>> tensorish.zeros(3).masked_scatter(tensorish.tensor([True, False, True]),
    ...                                   tensorish.tensor([1., 2.]))
    tensor([1., 0., 2.])
    """
    _bool_mask(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype {}")
    _same_dtype(input, source, "masked_scatter")
    shape = _broadcast_shape(mask, input)
    pos = np.flatnonzero(np.broadcast_to(np.asarray(mask._value), shape))
    if pos.size > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return apply(_masked_scatter, (input, source, pos), (("shape", shape),))


_take = Op("TakeBackward0", lambda x, i: x.reshape(-1)[i], saves=())


@declare(test=Sample(((3, 4), Given([[0, -1], [5, 5]]))))
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened input at ``index`` (negative counts from the end).

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]]).take(tensorish.tensor([0, -1]))
    tensor([1, 4])
    """
    idx = _int_index(index, "take")
    n = input.numel()
    check_range(
        idx,
        -n,
        n,
        lambda v: IndexError(
            f"out of range: tried to access index {v} on a tensor of {n} elements."
        ),
    )
    return apply(_take, (input, idx))


@declare(test=Sample(((3, 4), Given([[0], [3], [1]])), args=(T, T, 1)))
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with broadcasting; the flattened input when ``dim`` is None.

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]]).take_along_dim(tensorish.tensor([[1], [0]]), 1)
    tensor([[2],
            [3]])
    """
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    axis = _wrap_dim(dim, input.ndim)
    if indices.ndim != input.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same "
            f"number of dimensions, but got {input.ndim} dimensions for input, "
            f"and {indices.ndim} dimensions for indices"
        )
    shape = list(
        np.broadcast_shapes(
            tuple(s for d, s in enumerate(input.shape) if d != axis),
            tuple(s for d, s in enumerate(indices.shape) if d != axis),
        )
    )
    in_shape = tuple(shape[:axis] + [input.shape[axis]] + shape[axis:])
    ix_shape = tuple(shape[:axis] + [indices.shape[axis]] + shape[axis:])
    if tuple(input.shape) != in_shape:
        input = input.expand(in_shape)
    if tuple(indices.shape) != ix_shape:
        indices = indices.expand(ix_shape)
    return gather(input, axis, indices)


@declare(test=Sample((Ints((3, 4), 2),)))
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the non-zero elements, one row each (or one tensor per dim).

    >>> import tensorish
    >>> tensorish.tensor([0, 3, 0, 4]).nonzero()
    tensor([[1],
            [3]])
    """
    arr = np.asarray(input._value)
    idx = np.nonzero(arr.reshape(1) if arr.ndim == 0 else arr)
    wrap = Tensor._wrap
    if as_tuple:
        return tuple(wrap(jnp.asarray(i, jnp.int64)) for i in idx)
    if arr.ndim == 0:
        return wrap(jnp.zeros((idx[0].size, 0), jnp.int64))
    return wrap(jnp.asarray(np.stack(idx, axis=1), jnp.int64))


@declare(test=Sample((Ints((3, 4), 2),)))
def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``."""
    return nonzero(input)


@declare(method=_tensor_where, test=Sample((Ints((3, 4), 2, dtype="bool"), (3, 4), (3, 4))))
def where(condition: Tensor, input=None, other=None):
    """``where(cond)`` is ``nonzero(cond, as_tuple=True)``; the three-argument form selects.

    >>> import tensorish
    >>> tensorish.where(tensorish.tensor([0, 1, 1]))
    (tensor([1, 2]),)
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    from . import _pointwise

    return _pointwise.where(condition, input, other)


# -- put, index_reduce, fill_diagonal_, unique_consecutive ------------------------------------


def _put_fn(x, index, source, accumulate):
    flat, at = x.reshape(-1), index.reshape(-1)
    at = jnp.where(at < 0, at + flat.size, at)
    src = source.reshape(-1).astype(x.dtype)
    return (flat.at[at].add(src) if accumulate else flat.at[at].set(src)).reshape(x.shape)


_put_op = Op("PutBackward0", _put_fn, saves=())


@declare(inplace=True, test=Sample(((2, 3), Given([0, -1, 4]), (3,)), args=(T, T, T, True)))
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``source`` written (or, with ``accumulate``, added) at the flat
    positions ``index``.

    >>> import tensorish
    >>> tensorish.zeros(2, 2).put(tensorish.tensor([3]), tensorish.tensor([1.0]))
    tensor([[0., 0.],
            [0., 1.]])
    """
    if index.numel() != source.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    if index.numel():
        at = np.asarray(index._value)
        bad = at[(at >= n) | (at < -n)]
        if bad.size:
            raise IndexError(
                f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements."
            )
    return apply(_put_op, (input, index, source), (("accumulate", bool(accumulate)),))


def _index_reduce_fn(x, index, source, axis, reduce, include_self):
    xs = jnp.moveaxis(x, axis, 0)
    src = jnp.moveaxis(source, axis, 0).astype(x.dtype)
    if reduce == "mean":
        count = jnp.zeros(xs.shape[0], x.dtype).at[index].add(1)
        count = count.reshape((-1,) + (1,) * (xs.ndim - 1))
        base = xs if include_self else xs.at[index].set(0)
        total = base.at[index].add(src)
        count = count + 1 if include_self else count
        out = jnp.where(count > 0, total / jnp.maximum(count, 1), xs)
    else:
        start = {"prod": 1, "amax": -jnp.inf, "amin": jnp.inf}[reduce]
        base = xs if include_self else xs.at[index].set(start)
        if reduce == "prod":
            # NOTE: JAX differentiates scatter-multiply only for unique indices: each target's
            # product of its sources, as a masked product, instead.
            hit = (index[None, :] == jnp.arange(xs.shape[0])[:, None]).reshape(
                (xs.shape[0], index.shape[0]) + (1,) * (xs.ndim - 1)
            )
            out = base * jnp.prod(jnp.where(hit, src[None], 1), axis=1)
        else:
            out = (base.at[index].max if reduce == "amax" else base.at[index].min)(src)
    return jnp.moveaxis(out, 0, axis)


_index_reduce = Op("IndexReduceBackward0", _index_reduce_fn)


@functools.cache
def _beta_warning() -> None:
    """PyTorch warns once per process that index_reduce is in beta."""
    warnings.warn(
        "index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=4
    )


@declare(
    inplace=True,
    test=(
        Sample(((3, 4), Given([2, 0, 2]), (3, 4)), args=(T, 0, T, T, "amax")),
        Sample(
            ((3, 4), Given([1, 1]), (3, 2)),
            args=(T, 1, T, T, "mean"),
            kwargs={"include_self": False},
        ),
        Sample(((3, 4), Given([2, 0]), (2, 4)), args=(T, 0, T, T, "prod")),
    ),
)
def index_reduce(
    input: Tensor,
    dim: int,
    index: Tensor,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """``input`` with the slices of ``source`` reduced (``prod``, ``mean``, ``amax``,
    ``amin``) into the ``index`` positions of dimension ``dim``.

    >>> import tensorish
    >>> x = tensorish.ones(2)
    >>> x.index_reduce(0, tensorish.tensor([0, 0]), tensorish.tensor([2.0, 3.0]), "prod")
    tensor([6., 1.])
    """
    _beta_warning()
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    axis = _wrap_dim(dim, input.ndim)
    static = (("axis", axis), ("reduce", reduce), ("include_self", bool(include_self)))
    return apply(_index_reduce, (input, index, source), static)


def _fill_diagonal_fn(x, value, wrap):
    flat = x.reshape(-1)
    if x.ndim == 2:
        step = x.shape[1] + 1
        end = flat.size if wrap else min(x.shape) * x.shape[1]
    else:
        step = sum(int(np.prod(x.shape[i + 1 :])) for i in range(x.ndim))
        end = flat.size
    return flat.at[jnp.arange(0, end, step)].set(value.astype(x.dtype)).reshape(x.shape)


_fill_diagonal = Op("CopySlices", _fill_diagonal_fn, saves=())


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal of ``self`` (all of whose dimensions are equal,
    beyond two); ``wrap`` continues a tall matrix's diagonal below every ``cols + 1`` rows.

    >>> import tensorish
    >>> tensorish.zeros(2, 2).fill_diagonal_(1.0)
    tensor([[1., 0.],
            [0., 1.]])
    """
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) > 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    value = jnp.asarray(fill_value, self.dtype.np)
    return inplace(self, lambda s: apply(_fill_diagonal, (s, value), (("wrap", bool(wrap)),)))


declare(
    namespace="tensorish.Tensor", name="fill_diagonal_", test=Sample(((4, 3),), args=(2.0, True))
)(fill_diagonal_)


@declare(
    test=(
        Sample((Ints((9,), 3),), kwargs={"return_inverse": True, "return_counts": True}),
        Sample((Ints((5, 2), 2),), kwargs={"dim": 0}),
    )
)
def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
):
    """The first of each run of equal consecutive elements (or slices along ``dim``), with
    each element's run (``return_inverse``) and the runs' lengths (``return_counts``).

    >>> import tensorish
    >>> tensorish.unique_consecutive(tensorish.tensor([1, 1, 2, 1]))
    tensor([1, 2, 1])
    """
    # The number of runs depends on the data: computed on the host.
    a = np.asarray(input._value)
    axis = 0 if dim is None else _wrap_dim(dim, a.ndim)
    rows = np.moveaxis(a.reshape(-1) if dim is None else a, axis, 0)
    flat = rows.reshape(rows.shape[0], -1)
    starts = np.ones(len(flat), bool)
    starts[1:] = (flat[1:] != flat[:-1]).any(axis=1)
    out = np.moveaxis(rows[starts], 0, axis) if dim is not None else rows[starts]
    result = [Tensor._wrap(jnp.asarray(out))]
    if return_inverse:
        inverse = np.cumsum(starts) - 1
        shape = a.shape if dim is None else (a.shape[axis],)
        result.append(Tensor._wrap(jnp.asarray(inverse.reshape(shape), jnp.int64)))
    if return_counts:
        edges = np.append(np.flatnonzero(starts), len(flat))
        result.append(Tensor._wrap(jnp.asarray(np.diff(edges), jnp.int64)))
    return result[0] if len(result) == 1 else tuple(result)


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

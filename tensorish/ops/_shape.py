"""Shape ops: views, permutations, expansion, joining and splitting, flips, diagonals.

JAX arrays cannot share storage, so a "view" here is a new tensor: writing into it does not
reach its base (and ``is_contiguous`` is always True).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._creation import arange
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd._grad_mode import is_grad_enabled
from ._common import Op, apply, dims, inplace, promote
from ._registry import TENSORS, Sample, declare, public

_reshape = lambda x, shape: x.reshape(shape)
_view = Op("ViewBackward0", _reshape, saves=())
_squeeze = [Op(f"SqueezeBackward{i}", _reshape, saves=()) for i in range(5)]
_unsqueeze = [Op(f"UnsqueezeBackward{i}", _reshape, saves=()) for i in range(2)]
_permute = Op("PermuteBackward0", lambda x, axes: jnp.transpose(x, axes), saves=())
_transpose = [
    Op(f"TransposeBackward{i}", lambda x, axes: jnp.transpose(x, axes), saves=()) for i in range(2)
]
_t = [Op(f"TBackward{i}", lambda x, axes: jnp.transpose(x, axes), saves=()) for i in range(2)]
_adjoint = Op("TransposeBackward0", lambda x, axes: jnp.conj(jnp.transpose(x, axes)), saves=())
_expand = Op("ExpandBackward0", lambda x, shape: jnp.broadcast_to(x, shape), saves=())
_repeat = Op("RepeatBackward0", lambda x, reps: jnp.tile(x, reps), saves=())
_repeat_int = Op("ViewBackward0", lambda x, repeats, axis: jnp.repeat(x, repeats, axis), saves=())
_repeat_tensor = Op(
    "IndexSelectBackward0",
    lambda x, r, axis, total: jnp.repeat(x, r, axis, total_repeat_length=total),
    saves=(),
)
_cat = Op("CatBackward0", lambda *xs, axis: jnp.concatenate(xs, axis), saves=())
_stack = Op("StackBackward0", lambda *xs, axis: jnp.stack(xs, axis), saves=())
_slice = Op(
    "SliceBackward0",
    lambda x, axis, start, stop: jax.lax.slice_in_dim(x, start, stop, axis=axis),
    saves=(),
)
_flip = Op("FlipBackward0", lambda x, axes: jnp.flip(x, axes), saves=())
_roll = Op("RollBackward0", lambda x, shifts, axes: jnp.roll(x, shifts, axes), saves=())
_rot90 = Op("Rot90Backward0", lambda x, k, axes: jnp.rot90(x, k, axes), saves=())
_diagonal = Op("DiagonalBackward0", lambda x, offset, a, b: jnp.diagonal(x, offset, a, b), saves=())
_diag_2d = Op("DiagonalBackward0_copy", lambda x, offset: jnp.diagonal(x, offset), saves=())
_trace = Op("TraceBackward0", jnp.trace, saves=())
_tril = Op("TrilBackward0", lambda x, k: jnp.tril(x, k), saves=())
_triu = Op("TriuBackward0", lambda x, k: jnp.triu(x, k), saves=())
_clone = Op("CloneBackward0", lambda x: x, saves=())
_fill = [
    Op(f"FillBackward{i}", lambda x, v: jnp.broadcast_to(v.astype(x.dtype), x.shape), saves=())
    for i in (2, 3)
]
_zero = Op("ZeroBackward0", jnp.zeros_like, saves=())
_copy = Op("CopyBackwards", lambda x, s: jnp.broadcast_to(s.astype(x.dtype), x.shape), saves=())


def _diag_embed_fn(x, offset, dim1, dim2):
    n = x.shape[-1]
    m = n + abs(offset)
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    out = jnp.zeros(x.shape[:-1] + (m, m), x.dtype).at[..., rows, cols].set(x)
    return jnp.moveaxis(out, (-2, -1), (dim1, dim2))


_diag_embed = Op("DiagEmbedBackward0", _diag_embed_fn, saves=())


def _split_fn(x, axis, bounds):
    return tuple(jax.lax.slice_in_dim(x, a, b, axis=axis) for a, b in bounds)


def _unbind_fn(x, axis):
    return tuple(jnp.moveaxis(x, axis, 0))


def _ints(size: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all as ``(2, 3)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _infer_size(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is None:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape
    if known == 0:
        if numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    if numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape[:infer] + (numel // known,) + shape[infer + 1 :]


def _as_shape(x: Tensor, shape: tuple, op: Op = _view) -> Tensor:
    return apply(op, (x,), (("shape", tuple(shape)),))


@declare(test=Sample(args=((4, 3),)))
def reshape(input: Tensor, *shape: int) -> Tensor:
    """The same values in a new shape (one dimension may be -1, inferred).

    >>> import tensorish
    >>> tensorish.arange(6).reshape(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    return _as_shape(input, _infer_size(_ints(shape), input.numel()))


@declare(test=Sample(args=(4, 3)))
def view(input: Tensor, *shape) -> Tensor:
    """``reshape`` (a copy: JAX arrays cannot alias, so writes do not reach the base).

    >>> import tensorish
    >>> tensorish.ones(4).view(2, 2).shape
    tensorish.Size([2, 2])
    """
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    return reshape(input, *shape)


def _view_dtype(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    """The same bytes read as ``dtype`` (the last dimension rescaled); outside the graph."""
    a, b = input.dtype.itemsize, dtype.itemsize
    x = input._value
    if a != b:
        what = f"to view {input.dtype.title} as {dtype.title} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if a < b and x.shape[-1] % (b // a):
            raise RuntimeError(
                f"self.size(-1) must be divisible by {b // a} {what}, but got {x.shape[-1]}"
            )
        if a < b:
            x = x.reshape(x.shape[:-1] + (x.shape[-1] * a // b, b // a))
    out = jax.lax.bitcast_convert_type(x, dtype.np)
    if a > b:
        out = out.reshape(out.shape[:-2] + (out.shape[-2] * out.shape[-1],))
    return Tensor._wrap(out)


@declare(test=Sample(((3, 4), (2, 6))))
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``."""
    return view(input, other.shape)


@declare(test=Sample(((3, 4), (12,))))
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``."""
    return reshape(input, other.shape)


@declare(test=Sample(((2, 3, 4),)))
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` into one.

    >>> import tensorish
    >>> tensorish.ones(2, 3, 4).flatten(1).shape
    tensorish.Size([2, 12])
    """
    if input.ndim == 0:
        return _as_shape(input, (1,))
    a, b = _wrap_dim(start_dim, input.ndim), _wrap_dim(end_dim, input.ndim)
    if a > b:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if a == b:
        return input
    s = input.shape
    return _as_shape(input, s[:a] + (math.prod(s[a : b + 1]),) + s[b + 1 :])


@declare(test=Sample(((2, 6),), args=(1, (3, 2))))
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1).

    >>> import tensorish
    >>> tensorish.ones(2, 6).unflatten(1, (2, 3)).shape
    tensorish.Size([2, 2, 3])
    """
    d = _wrap_dim(dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    n = input.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    if -1 not in sizes and math.prod(sizes) != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
            f"size of dim {dim} ({n}) in the input tensor"
        )
    sizes = _infer_size(sizes, n)
    return _as_shape(input, input.shape[:d] + sizes + input.shape[d + 1 :])


def _squeezed(input: Tensor, dim) -> tuple[tuple[int, ...], int]:
    """The squeezed shape and which SqueezeBackward variant PyTorch records (0, 1 or 2)."""
    s = input.shape
    if dim is None:
        return tuple(n for n in s if n != 1), 0
    axes = dims(dim, max(input.ndim, 1))  # a 0-dim tensor accepts dim 0 and -1
    return tuple(n for i, n in enumerate(s) if not (i in axes and n == 1)), (
        1 if isinstance(dim, int) else 2
    )


@declare(test=Sample(((1, 3, 1, 2),)))
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all, or those in ``dim``).

    >>> import tensorish
    >>> tensorish.ones(1, 2, 1).squeeze().shape
    tensorish.Size([2])
    """
    shape, variant = _squeezed(input, dim)
    return _as_shape(input, shape, _squeeze[variant])


@declare(test=Sample(((3, 2),), args=(1,)))
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``.

    >>> import tensorish
    >>> tensorish.ones(2).unsqueeze(0).shape
    tensorish.Size([1, 2])
    """
    d = _wrap_dim(dim, input.ndim + 1)
    return _as_shape(input, input.shape[:d] + (1,) + input.shape[d:], _unsqueeze[0])


def _permuted(input: Tensor, op: Op, axes: tuple[int, ...]) -> Tensor:
    return apply(op, (input,), (("axes", axes),))


def _swap(ndim: int, a: int, b: int) -> tuple[int, ...]:
    axes = list(range(ndim))
    a, b = _wrap_dim(a, ndim), _wrap_dim(b, ndim)
    axes[a], axes[b] = axes[b], axes[a]
    return tuple(axes)


@declare(aliases=("swapaxes", "swapdims"), test=Sample(((2, 3, 4),), args=(0, 2)))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1``.

    >>> import tensorish
    >>> tensorish.ones(2, 3).transpose(0, 1).shape
    tensorish.Size([3, 2])
    """
    return _permuted(input, _transpose[0], _swap(input.ndim, dim0, dim1))


def _t_axes(input: Tensor) -> tuple[int, ...]:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return tuple(reversed(range(input.ndim)))


@declare(test=Sample())
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions.

    >>> import tensorish
    >>> tensorish.ones(2, 3).t().shape
    tensorish.Size([3, 2])
    """
    return _permuted(input, _t[0], _t_axes(input))


@declare(test=Sample(((2, 3, 4),), args=((2, 0, 1),)))
def permute(input: Tensor, *dims_: int) -> Tensor:
    """Reorder the dimensions.

    >>> import tensorish
    >>> tensorish.ones(2, 3, 4).permute(2, 0, 1).shape
    tensorish.Size([4, 2, 3])
    """
    order = _ints(dims_)
    if len(order) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{input.ndim} is not equal to len(dims) = {len(order)}"
        )
    axes = tuple(_wrap_dim(d, input.ndim) for d in order)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, _permute, axes)


@declare(aliases=("moveaxis",), test=Sample(((2, 3, 4),), args=(0, -1)))
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` to positions ``destination``.

    >>> import tensorish
    >>> tensorish.ones(2, 3, 4).movedim(0, -1).shape
    tensorish.Size([3, 4, 2])
    """
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    n = input.ndim
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    for name, ds, orig in (("source", src, source), ("destination", dst, destination)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(orig)})")
    rest = iter(d for d in range(n) if d not in src)
    where = dict(zip(dst, src))
    return _permuted(
        input, _permute, tuple(where[i] if i in where else next(rest) for i in range(n))
    )


def _matrix_T(self: Tensor) -> Tensor:
    if self.ndim == 0:
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
            UserWarning,
            stacklevel=2,
        )
    elif self.ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return _permuted(self, _permute, tuple(reversed(range(self.ndim))))


def _batch_T(self: Tensor, conj: bool, name: str) -> Tensor:
    if self.ndim < 2:
        raise RuntimeError(
            f"tensor.{name} is only supported on matrices or batches of matrices. "
            f"Got {self.ndim}-D tensor."
        )
    return _permuted(
        self, _adjoint if conj and self.is_complex() else _transpose[0], _swap(self.ndim, -2, -1)
    )


def _H(self: Tensor) -> Tensor:
    if self.ndim != 2:
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
        )
    return _batch_T(self, True, "H")


def _mT(self: Tensor) -> Tensor:
    return _batch_T(self, False, "mT")


def _mH(self: Tensor) -> Tensor:
    return _batch_T(self, True, "mH")


for _name, _get, _shape in (
    ("T", _matrix_T, (3, 4)),
    ("mT", _mT, (2, 3, 4)),
    ("mH", _mH, (2, 3, 4)),
    ("H", _H, (3, 4)),
):
    declare(
        name=_name, namespace="tensorish.Tensor", method=property(_get), test=Sample((_shape,))
    )(_get)


def _expanded_shape(input: Tensor, sizes: tuple[int, ...]) -> tuple[int, ...]:
    s = input.shape
    if len(sizes) < len(s):
        raise RuntimeError(
            f"expand({input._type_name().replace('torch', 'tensorish')}{{{list(s)}}}, size="
            f"{list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
            f"in the tensor ({len(s)})"
        )
    lead = len(sizes) - len(s)
    out = []
    for i, n in reversed(list(enumerate(sizes))):
        if i < lead:
            if n < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({n}) isn't allowed in a "
                    f"leading, non-existing dimension {i}"
                )
            out.append(n)
            continue
        have = s[i - lead]
        if n == -1:
            n = have
        elif have != n and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({n}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(s)}"
            )
        out.append(n)
    return tuple(reversed(out))


@declare(test=Sample(((3, 1),), args=(2, 3, 4)))
def expand(input: Tensor, *sizes: int) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a dimension).

    >>> import tensorish
    >>> tensorish.ones(3, 1).expand(-1, 2).shape
    tensorish.Size([3, 2])
    """
    shape = _expanded_shape(input, _ints(sizes))
    return _as_shape(input, shape, _expand)


@declare(test=Sample(((3, 1), (2, 3, 4))))
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``."""
    return expand(input, other.shape)


@declare(test=Sample(((4,),), args=((3, 4),)))
def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input.expand(size)``.

    >>> import tensorish
    >>> tensorish.broadcast_to(tensorish.ones(3), (2, 3)).shape
    tensorish.Size([2, 3])
    """
    return expand(input, tuple(size))


@declare(method=False, test=Sample((), args=((2, 1), (3,)), grad=False))
def broadcast_shapes(*shapes) -> Size:
    """The shape that ``shapes`` broadcast to.

    >>> import tensorish
    >>> tensorish.broadcast_shapes((2, 1), (3,))
    tensorish.Size([2, 3])
    """
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    out: list[int] = []
    for k, s in enumerate(shapes):
        for i in range(1, len(s) + 1):
            n = s[-i]
            if i > len(out):
                out.insert(0, n)
            elif out[-i] == 1:
                out[-i] = n
            elif n != 1 and n != out[-i]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {-i}! Mismatching "
                    f"argument at index {k} had {tuple(s)}; but expected shape should be "
                    f"broadcastable to {out}"
                )
    return Size(out)


@declare(method=False, test=Sample(((3, 1), (4,))))
def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Expand every tensor to their common broadcast shape.

    >>> import tensorish
    >>> [t.shape for t in tensorish.broadcast_tensors(tensorish.ones(2, 1), tensorish.ones(3))]
    [tensorish.Size([2, 3]), tensorish.Size([2, 3])]
    """
    out: tuple[int, ...] = ()
    for t in tensors:
        a, b = out, tuple(t.shape)
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) "
                    f"at non-singleton dimension {max(len(a), len(b)) - i}"
                )
        out = tuple(broadcast_shapes(a, b))
    return tuple(t if tuple(t.shape) == out else _as_shape(t, out, _expand) for t in tensors)


@declare(test=Sample(((2, 3),), args=(2, 1, 3)))
def repeat(input: Tensor, *repeats: int) -> Tensor:
    """Tile the tensor ``repeats[i]`` times along each dimension.

    >>> import tensorish
    >>> tensorish.tensor([1, 2]).repeat(2)
    tensor([1, 2, 1, 2])
    """
    reps = _ints(repeats)
    if len(reps) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number "
            "of dimensions of tensor"
        )
    if any(r < 0 for r in reps):
        shape = (1,) * (len(reps) - input.ndim) + input.shape
        sizes = [s * r for s, r in zip(shape, reps)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {sizes}")
    return apply(_repeat, (input,), (("reps", reps),))


@declare(test=Sample(((2, 3),), args=((2,),)))
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``repeat`` that pads ``dims`` with leading ones.

    >>> import tensorish
    >>> tensorish.ones(2, 2).tile((2,)).shape
    tensorish.Size([2, 4])
    """
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


@declare(test=Sample(((2, 3),), args=(2,)))
def repeat_interleave(
    input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element).

    >>> import tensorish
    >>> tensorish.tensor([1, 2]).repeat_interleave(2)
    tensor([1, 1, 2, 2])
    """
    if repeats is None:  # repeat_interleave(counts): each index repeated counts[i] times
        counts = input
        return repeat_interleave(arange(counts.shape[0]), counts, 0)
    if dim is None:
        input, axis = flatten(input), 0
    else:
        axis = _wrap_dim(dim, input.ndim)
    if isinstance(repeats, Tensor) and repeats.ndim == 0:
        repeats = repeats.item()
    if not isinstance(repeats, Tensor):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        return apply(_repeat_int, (input,), (("repeats", int(repeats)), ("axis", axis)))
    counts = np.asarray(repeats._value)
    if counts.ndim != 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if counts.shape[0] != input.shape[axis]:
        raise RuntimeError(
            f"repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{counts.shape[0]} and input.size({axis}) = {input.shape[axis]}"
        )
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return apply(
        _repeat_tensor, (input, repeats._value), (("axis", axis), ("total", int(counts.sum())))
    )


def _check_list(tensors, name: str) -> list[Tensor]:
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    if not tensors:
        if name == "cat":
            raise ValueError("tensorish.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


@declare(
    method=False, test=Sample(((2, 3), (1, 3)), args=(TENSORS,)), aliases=("concat", "concatenate")
)
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (promoting to a common dtype).

    >>> import tensorish
    >>> tensorish.cat([tensorish.ones(1, 2), tensorish.zeros(1, 2)]).shape
    tensorish.Size([2, 2])
    """
    tensors = _check_list(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # PyTorch's legacy rule: 1-D empty tensors are skipped.
    kept = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    ref = kept[0]
    axis = _wrap_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.shape == (0,) and ref.shape != (0,):
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for d in range(ref.ndim):
            if d != axis and t.shape[d] != ref.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{ref.shape[d]} but got size {t.shape[d]} for tensor number {i} in the list."
                )
    args, cast, _ = promote(*kept)
    return apply(_cat, args, (("axis", axis),), cast)


@declare(method=False, test=Sample(((2, 3), (2, 3)), args=(TENSORS,)))
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension.

    >>> import tensorish
    >>> tensorish.stack([tensorish.ones(2), tensorish.zeros(2)]).shape
    tensorish.Size([2, 2])
    """
    tensors = _check_list(tensors, "stack")
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} "
                f"at entry 0 and {list(t.shape)} at entry {i}"
            )
    axis = _wrap_dim(dim, len(ref) + 1)
    args, cast, _ = promote(*tensors)
    return apply(_stack, args, (("axis", axis),), cast)


@declare(method=False, test=Sample(((),)))
def atleast_1d(*tensors):
    """Each tensor with at least one dimension."""
    out = [t.reshape(1) if t.ndim == 0 else t for t in _unpack(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


@declare(method=False, test=Sample(((3,),)))
def atleast_2d(*tensors):
    """Each tensor with at least two dimensions (new ones in front)."""
    out = [
        t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t
        for t in _unpack(tensors)
    ]
    return out[0] if len(out) == 1 else tuple(out)


@declare(method=False, test=Sample())
def atleast_3d(*tensors):
    """Each tensor with at least three dimensions (as NumPy: (n,) -> (1, n, 1))."""
    out = [
        t.reshape(1, 1, 1)
        if t.ndim == 0
        else t.reshape(1, -1, 1)
        if t.ndim == 1
        else t.unsqueeze(-1)
        if t.ndim == 2
        else t
        for t in _unpack(tensors)
    ]
    return out[0] if len(out) == 1 else tuple(out)


def _unpack(tensors: tuple) -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


@declare(method=False, test=Sample(((2, 3), (2, 1)), args=(TENSORS,)))
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate column-wise (along dim 0 for 1-D tensors).

    >>> import tensorish
    >>> tensorish.hstack([tensorish.ones(2), tensorish.zeros(1)])
    tensor([1., 1., 0.])
    """
    ts = [atleast_1d(t) for t in _check_list(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@declare(method=False, test=Sample(((3,), (2, 3)), args=(TENSORS,)), aliases=("row_stack",))
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate row-wise, after making every tensor at least 2-D."""
    return cat([atleast_2d(t) for t in _check_list(tensors, "vstack")], 0)


@declare(method=False, test=Sample(((3,), (1, 3)), args=(TENSORS,)))
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate depth-wise, after making every tensor at least 3-D."""
    return cat([atleast_3d(t) for t in _check_list(tensors, "dstack")], 2)


@declare(method=False, test=Sample(((3,), (3, 2)), args=(TENSORS,)))
def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack 1-D tensors as columns (and concatenate 2-D ones along dim 1)."""
    ts = _check_list(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts], 1)


def _split_bounds(sizes: Sequence[int]) -> tuple[tuple[int, int], ...]:
    out, a = [], 0
    for s in sizes:
        out.append((a, a + s))
        a += s
    return tuple(out)


_multi_ops: dict = {}


def _multi(name: str, fn, n: int) -> Op:
    """The Op ``name`` for ``fn`` returning ``n`` pieces (one Op per piece count)."""
    op = _multi_ops.get((name, n))
    if op is None:
        f = fn if n > 1 else (lambda *a, **k: fn(*a, **k)[0])
        op = _multi_ops[(name, n)] = Op(name, f, saves=(), n_out=n)
    return op


def _split_apply(input: Tensor, name: str, axis: int, bounds) -> tuple[Tensor, ...]:
    out = apply(
        _multi(name, _split_fn, len(bounds)), (input,), (("axis", axis), ("bounds", bounds))
    )
    return out if isinstance(out, tuple) else (out,)


@declare(test=Sample(((5, 2),), args=(2,)))
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` (the last may be smaller), or of the listed sizes.

    >>> import tensorish
    >>> [p.tolist() for p in tensorish.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    """
    axis = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        k = split_size_or_sections
        if k == 0 and n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        if k < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={k}")
        sizes = ([k] * (n // k) + ([n % k] if n % k else [])) if k else []
        return _split_apply(tensor, "SplitBackward0", axis, _split_bounds(sizes or [0]))
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
            f"dimension {axis}), but got split_sizes={sizes}"
        )
    return _split_apply(tensor, "SplitWithSizesBackward0", axis, _split_bounds(sizes))


@declare(namespace="tensorish.Tensor", test=Sample(((5, 2),), args=([1, 4],)))
def split_with_sizes(self: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """``split(self, list(split_sizes), dim)``."""
    return split(self, list(split_sizes), dim)


@declare(test=Sample(((5, 2),), args=(3,)))
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of equal size (the last may be smaller).

    >>> import tensorish
    >>> len(tensorish.arange(5).chunk(3))
    3
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if n == 0:
        return _split_apply(input, "SplitBackward0", axis, ((0, 0),) * chunks)
    return split(input, -(-n // chunks), dim)


@declare(test=Sample(((3, 2),)))
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that dimension removed.

    >>> import tensorish
    >>> tensorish.ones(2, 3).unbind()[0].shape
    tensorish.Size([3])
    """
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if n == 0:
        return ()
    out = apply(_multi("UnbindBackward0", _unbind_fn, n), (input,), (("axis", axis),))
    return out if isinstance(out, tuple) else (out,)


_select = Op("SelectBackward0", lambda x, axis, index: jnp.take(x, index, axis), saves=())


@declare(test=Sample(((4, 5),), args=(1, -2)))
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dimension removed."""
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {dim}"
        )
    return apply(_select, (input,), (("axis", axis), ("index", index % n)))


@declare(test=Sample(((4, 5),), args=(1, 1, 3)))
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dimension ``dim`` from ``start``.

    >>> import tensorish
    >>> tensorish.arange(5).narrow(0, 1, 2)
    tensor([1, 2])
    """
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if isinstance(start, Tensor):
        start = start.item()
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    return apply(_slice, (input,), (("axis", axis), ("start", start), ("stop", start + length)))


@declare(test=Sample(((7, 2),), args=(3,)))
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``sections`` near-equal pieces, or at the given indices.

    >>> import tensorish
    >>> [p.tolist() for p in tensorish.arange(5).tensor_split(2)]
    [[0, 1, 2], [3, 4]]
    """
    axis = _wrap_dim(dim, input.ndim)
    n = input.shape[axis]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = (
            indices_or_sections.item()
            if indices_or_sections.ndim == 0
            else indices_or_sections.tolist()
        )
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        cuts = list(np.cumsum(sizes[:-1]))
    else:
        cuts = list(indices_or_sections)
    out, a = [], 0
    for c in [*cuts, n]:
        c = min(max(int(c) + (n if c < 0 else 0), 0), n)
        b = max(c, a)
        out.append(apply(_slice, (input,), (("axis", axis), ("start", a), ("stop", b))))
        a = b
    return tuple(out)


@declare(test=Sample(((2, 3, 4),), args=((0, 2),)))
def flip(input: Tensor, *dims_) -> Tensor:
    """Reverse the order of elements along ``dims``.

    >>> import tensorish
    >>> tensorish.arange(3).flip(0)
    tensor([2, 1, 0])
    """
    axes = dims(_ints(dims_), input.ndim)
    return apply(_flip, (input,), (("axes", axes),))


@declare(test=Sample(((2, 3),)))
def fliplr(input: Tensor) -> Tensor:
    """Flip along dimension 1."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@declare(test=Sample(((2, 3),)))
def flipud(input: Tensor) -> Tensor:
    """Flip along dimension 0."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


@declare(test=Sample(args=(5,)))
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Roll elements along ``dims`` by ``shifts`` (the flattened tensor when dims is None).

    >>> import tensorish
    >>> tensorish.arange(4).roll(1)
    tensor([3, 0, 1, 2])
    """
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return apply(_roll, (input,), (("shifts", shifts[0]), ("axes", None)))
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(axes):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(axes)}"
        )
    axes = tuple(_wrap_dim(d, input.ndim) for d in axes)
    return apply(_roll, (input,), (("shifts", shifts), ("axes", axes)))


@declare(test=Sample())
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``.

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]]).rot90()
    tensor([[2, 4],
            [1, 3]])
    """
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = (_wrap_dim(d, input.ndim) for d in dims)
    if a == b:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}"
        )
    return apply(_rot90, (input,), (("k", k % 4), ("axes", (a, b))))


@declare(test=Sample())
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the ``(dim1, dim2)`` planes, as a new last dimension.

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]]).diagonal()
    tensor([1, 4])
    """
    a, b = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(_diagonal, (input,), (("offset", offset), ("a", a), ("b", b)))


@declare(test=Sample())
def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix.

    >>> import tensorish
    >>> tensorish.tensor([[1., 2.], [3., 4.]]).trace()
    tensor(5.)
    """
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        return apply(_trace, (input,), (), (np.int64,))
    return apply(_trace, (input,))


def _triangle(input: Tensor, diagonal: int, op: Op, name: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return apply(op, (input,), (("k", diagonal),))


@declare(inplace=True, test=Sample())
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions; the rest zeroed.

    >>> import tensorish
    >>> tensorish.ones(2, 2).tril()
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle(input, diagonal, _tril, "tril")


@declare(inplace=True, test=Sample(args=(-1,)))
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions; the rest zeroed."""
    return _triangle(input, diagonal, _triu, "triu")


@declare(test=Sample(((2, 3),)))
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonals (in dims ``dim1``, ``dim2``) are the last dim.

    >>> import tensorish
    >>> tensorish.diag_embed(tensorish.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    """
    n = input.ndim + 1
    a, b = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(_diag_embed, (input,), (("offset", offset), ("dim1", a), ("dim2", b)))


@declare(test=Sample(((3,),), args=(1,)))
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as a diagonal matrix, or the diagonal of a 2-D tensor.

    >>> import tensorish
    >>> tensorish.diag(tensorish.tensor([[1, 2], [3, 4]]))
    tensor([1, 4])
    """
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return apply(_diag_2d, (input,), (("offset", diagonal),))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@declare(test=Sample(((2, 2),), args=(1,)))
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input as the ``offset`` diagonal of a square matrix."""
    return diag_embed(input.reshape(-1) if input.ndim != 1 else input, offset, 0, 1)


@declare(test=Sample())
def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy that stays in the graph.

    >>> import tensorish
    >>> tensorish.ones(2, requires_grad=True).clone()
    tensor([1., 1.], grad_fn=<CloneBackward0>)
    """
    return apply(_clone, (input,))


@declare(namespace="tensorish.Tensor", test=Sample())
def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """Self: JAX arrays are always contiguous."""
    return input


@declare(namespace="tensorish.Tensor", test=Sample(grad=False))
def is_contiguous(input: Tensor, memory_format=None) -> bool:
    """Always True: a JAX array has no strides."""
    return True


def _inplace_reshape(self: Tensor, compute) -> Tensor:
    """Rebind ``self`` to ``compute(self)`` whose shape differs (``unsqueeze_``, ``t_``...)."""
    if is_grad_enabled() and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    out = compute(self)
    self._set_value(out._value)
    if out.grad_fn is not None:
        self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
    return self


@declare(namespace="tensorish.Tensor", test=Sample(((3, 2),), args=(1,)))
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """In-place ``unsqueeze``."""
    d = _wrap_dim(dim, self.ndim + 1)
    shape = self.shape[:d] + (1,) + self.shape[d:]
    return _inplace_reshape(self, lambda s: _as_shape(s, shape, _unsqueeze[1]))


@declare(namespace="tensorish.Tensor", test=Sample(((1, 3, 1, 2),)))
def squeeze_(self: Tensor, dim=None) -> Tensor:
    """In-place ``squeeze``."""
    shape, variant = _squeezed(self, dim)
    return _inplace_reshape(self, lambda s: _as_shape(s, shape, _squeeze[3 if dim is None else 4]))


@declare(namespace="tensorish.Tensor", test=Sample())
def t_(self: Tensor) -> Tensor:
    """In-place ``t``."""
    axes = _t_axes(self)
    return _inplace_reshape(self, lambda s: _permuted(s, _t[1], axes))


@declare(
    namespace="tensorish.Tensor",
    aliases=("swapaxes_", "swapdims_"),
    test=Sample(((2, 3, 4),), args=(0, 2)),
)
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """In-place ``transpose``."""
    axes = _swap(self.ndim, dim0, dim1)
    return _inplace_reshape(self, lambda s: _permuted(s, _transpose[1], axes))


@declare(namespace="tensorish.Tensor", test=Sample(args=(2.5,)))
def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` in place.

    >>> import tensorish
    >>> tensorish.zeros(2).fill_(3)
    tensor([3., 3.])
    """
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return inplace(self, lambda s: apply(_fill[1], (s, value)))
    _dtype.check_fits(value, self.dtype, fill=True)
    return inplace(self, lambda s: apply(_fill[0], (s, np.asarray(value, self._v.dtype))))


@declare(namespace="tensorish.Tensor", test=Sample())
def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return inplace(self, lambda s: apply(_zero, (s,)))


@declare(namespace="tensorish.Tensor", test=Sample(((3, 4), (4,))))
def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast to this dtype) into this tensor; gradients flow to src.

    >>> import tensorish
    >>> tensorish.zeros(2, 2).copy_(tensorish.tensor([1, 2]))
    tensor([[1., 2.],
            [1., 2.]])
    """
    if not isinstance(src, Tensor):
        raise TypeError(
            f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}"
        )
    broadcast_tensors(self, src)
    return inplace(self, lambda s: apply(_copy, (s, src)))


# -- more views and copies -------------------------------------------------------------------


def _unfold_fn(x, axis, size, step):
    n = (x.shape[axis] - size) // step + 1
    windows = jnp.take(x, jnp.arange(n)[:, None] * step + jnp.arange(size), axis=axis)
    return jnp.moveaxis(windows, axis + 1, -1)


_unfold = Op("UnfoldBackward0", _unfold_fn, saves=())
_narrow_copy = Op(
    "NarrowCopyBackward0",
    lambda x, axis, start, stop: jax.lax.slice_in_dim(x, start, stop, axis=axis),
    saves=(),
)


@declare(
    namespace="tensorish.Tensor", test=(Sample(((5, 4),), args=(0, 2, 2)), Sample(args=(1, 3, 1)))
)
def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dimension.

    >>> import tensorish
    >>> tensorish.arange(4).unfold(0, 2, 2)
    tensor([[0, 1],
            [2, 3]])
    """
    if self.ndim == 0:
        return self.reshape(1)
    axis = _wrap_dim(dimension, self.ndim)
    if size > self.shape[axis]:
        raise RuntimeError(
            f"maximum size for tensor at dimension {axis} is {self.shape[axis]} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(_unfold, (self,), (("axis", axis), ("size", size), ("step", step)))


@declare(test=Sample(((2, 3, 4),)))
def ravel(input: Tensor) -> Tensor:
    """The elements as one dimension.

    >>> import tensorish
    >>> tensorish.ones(2, 2).ravel().shape
    tensorish.Size([4])
    """
    return input.reshape(-1)


@declare(test=Sample(((4, 5),), args=(1, 1, 3)))
def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow``, as a copy (every tensorish result is one)."""
    view = narrow(input, dim, start, length)
    axis = _wrap_dim(dim, input.ndim)
    begin = input.shape[axis] - view.shape[axis] if start < 0 else start
    return apply(
        _narrow_copy,
        (input,),
        (("axis", axis), ("start", begin), ("stop", begin + view.shape[axis])),
    )


def _split_along(name: str, axis: int, least: int, input: Tensor, sections) -> tuple:
    if input.ndim < least:
        raise RuntimeError(
            f"tensorish.{name} requires a tensor with at least {least} dimension, but got a "
            f"tensor with {input.ndim} dimensions!"
        )
    if isinstance(sections, int) and sections and input.shape[axis] % sections:
        raise RuntimeError(
            f"tensorish.{name} attempted to split along dimension {axis}, but the size of the "
            f"dimension {input.shape[axis]} is not divisible by the split_size {sections}!"
        )
    return tensor_split(input, sections, axis)


@declare(test=Sample(((4, 6),), args=(2,)))
def hsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """``tensor_split`` along the columns (dimension 1; 0 for a 1-D tensor).

    >>> import tensorish
    >>> [t.shape[1] for t in tensorish.ones(2, 4).hsplit(2)]
    [2, 2]
    """
    return _split_along("hsplit", 1 if input.ndim > 1 else 0, 1, input, sections)


@declare(test=Sample(((4, 6),), args=([1, 3],)))
def vsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """``tensor_split`` along the rows (dimension 0) of a tensor of 2 or more dimensions."""
    return _split_along("vsplit", 0, 2, input, sections)


@declare(test=Sample(((2, 3, 4),), args=(2,)))
def dsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """``tensor_split`` along the depth (dimension 2) of a tensor of 3 or more dimensions."""
    return _split_along("dsplit", 2, 3, input, sections)


@declare(
    namespace="tensorish.Tensor",
    test=(Sample(((2, 3, 4),), args=(3, 1)), Sample(((2, 3, 4),), args=(1, 3, 4))),
)
def sum_to_size(self: Tensor, *size) -> Tensor:
    """Sum ``self`` down to ``size``, a shape it broadcasts from.

    >>> import tensorish
    >>> tensorish.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    shape = _ints(size)
    lead = self.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, self.shape[lead:])):
        raise RuntimeError(
            f"size {{{list(shape)}}} is not expandable to size {{{list(self.shape)}}}."
        )
    axes = [
        *range(lead),
        *(lead + i for i, n in enumerate(shape) if n == 1 != self.shape[lead + i]),
    ]
    if not axes:
        return self
    out = self.sum(axes, keepdim=True)
    return out.view(shape) if lead else out


def _scatter_check(src: Tensor, part) -> None:
    if tuple(src.shape) != tuple(part.shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(part.shape)}"
        )


_select_scatter = Op(
    "SelectScatterBackward0",
    lambda x, src, axis, index: x.at[(slice(None),) * axis + (index,)].set(src.astype(x.dtype)),
    saves=(),
)
_slice_scatter = Op(
    "SliceScatterBackward0",
    lambda x, src, axis, start, stop, step: x.at[
        (slice(None),) * axis + (slice(start, stop, step),)
    ].set(src.astype(x.dtype)),
    saves=(),
)


def _diagonal_scatter_fn(x, src, offset, a, b):
    n = src.shape[-1]
    rows = jnp.arange(n) + max(-offset, 0)
    cols = jnp.arange(n) + max(offset, 0)
    moved = jnp.moveaxis(x, (a, b), (-2, -1))
    return jnp.moveaxis(moved.at[..., rows, cols].set(src.astype(x.dtype)), (-2, -1), (a, b))


_diagonal_scatter = Op("DiagonalScatterBackward0", _diagonal_scatter_fn, saves=())


@declare(test=Sample(((3, 4), (4,)), args=(0, 1)))
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``src`` written at ``index`` of dimension ``dim``.

    >>> import tensorish
    >>> tensorish.select_scatter(tensorish.zeros(2, 2), tensorish.ones(2), 0, 0)
    tensor([[1., 1.],
            [0., 0.]])
    """
    axis = _wrap_dim(dim, input.ndim)
    _scatter_check(src, input.select(axis, index))
    index = index + input.shape[axis] if index < 0 else index
    return apply(_select_scatter, (input, src), (("axis", axis), ("index", index)))


@declare(test=Sample(((5, 4), (2, 4)), args=(0, 1, 5, 2)))
def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1
) -> Tensor:
    """``input`` with ``src`` written at ``start:end:step`` of dimension ``dim``."""
    axis = _wrap_dim(dim, input.ndim)
    start, stop, step = slice(start, end, step).indices(input.shape[axis])
    _scatter_check(src, np.empty(input.shape)[(slice(None),) * axis + (slice(start, stop, step),)])
    return apply(
        _slice_scatter,
        (input, src),
        (("axis", axis), ("start", start), ("stop", stop), ("step", step)),
    )


@declare(test=(Sample(((3, 4), (3,))), Sample(((3, 4), (2,)), args=(-1,))))
def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """``input`` with ``src`` written on its diagonal (``offset``, between ``dim1`` and
    ``dim2``)."""
    a, b = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    _scatter_check(src, input.diagonal(offset, a, b))
    return apply(_diagonal_scatter, (input, src), (("offset", offset), ("a", a), ("b", b)))


@declare(test=Sample(((2, 3, 4),)))
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions.

    >>> import tensorish
    >>> tensorish.ones(2, 3).adjoint().shape
    tensorish.Size([3, 2])
    """
    return _batch_T(input, True, "adjoint()")


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

"""Matrix and vector products, with PyTorch's checks, messages and grad_fn names.

PyTorch builds several of these (matmul on batches, inner, tensordot, einsum, kron) out of
view, reshape and mm nodes; tensorish runs each as ONE op whose node carries the name of
PyTorch's final node (the gradient is the same; the intermediate nodes are not recreated).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax.numpy as jnp

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from . import _linalg_functions as _fns
from ._common import Op, apply, promote
from ._registry import Sample, T, declare, public


def _f64(*shapes: tuple, **kw) -> Sample:
    """An oracle-test sample in float64 (the precision the linalg tests compare in)."""
    return Sample(shapes, dtype="float64", **kw)


_mm = Op("MmBackward0", jnp.matmul)
_mv = Op("MvBackward0", jnp.matmul)
_dot = Op("DotBackward0", jnp.dot)
_vdot = Op("VdotBackward0", jnp.vdot)
_bmm = Op("BmmBackward0", jnp.matmul)
# PyTorch's batched matmul ends in _unsafe_view (UnsafeViewBackward0); 2-D @ N-D with a
# 2-D operand that requires grad ends in .mT.contiguous() (CloneBackward0); 1-D @ 2-D in
# squeeze_(0) (SqueezeBackward4).
_matmul_view = Op("UnsafeViewBackward0", jnp.matmul)
_matmul_clone = Op("CloneBackward0", jnp.matmul)
_matmul_squeeze = Op("SqueezeBackward4", jnp.matmul)
_outer = Op("MulBackward0", lambda a, b: a[:, None] * b[None, :])
_inner = Op("ViewBackward0", jnp.inner)
_tensordot = Op("ViewBackward0", lambda a, b, axes: jnp.tensordot(a, b, axes))
_kron = Op(
    "UnsafeViewBackward0",
    lambda a, b: (
        jnp.kron(a, b)
        if a.dtype != bool
        else jnp.kron(a.astype(jnp.uint8), b.astype(jnp.uint8)).astype(bool)
    ),
)
_cross_op = Op("LinalgCrossBackward0", lambda a, b, dim: jnp.cross(a, b, axis=dim))


def _addmm_fn(c, a, b, beta, alpha):
    prod = jnp.matmul(a, b)
    if alpha != 1:
        prod = alpha * prod
    # beta == 0 ignores ``c`` entirely (nan and inf in it do not propagate), as in PyTorch.
    out = prod if beta == 0 else (c if beta == 1 else beta * c) + prod
    return jnp.broadcast_to(out, prod.shape).astype(prod.dtype)


def _addbmm_fn(c, a, b, beta, alpha):
    return _addmm_fn(
        c, jnp.swapaxes(a, 0, 1).reshape(a.shape[1], -1), b.reshape(-1, b.shape[2]), beta, alpha
    )


_addmm = Op("AddmmBackward0", _addmm_fn)
_addmv = Op("AddmvBackward0", _addmm_fn)
_addbmm = Op("AddbmmBackward0", _addbmm_fn)
_baddbmm = Op("BaddbmmBackward0", _addmm_fn)
_addr = Op(
    "AddrBackward0", lambda c, a, b, beta, alpha: _addmm_fn(c, a[:, None], b[None, :], beta, alpha)
)


def _safe_norm(d, p):
    """The p-norm over the last axis with PyTorch's zero gradient where the norm is 0."""
    if p == 0:
        return jnp.sum(d != 0, axis=-1).astype(d.dtype)
    a = _fns._abs(d)
    if p == math.inf:
        return jnp.max(a, axis=-1)
    if p == 1:
        return jnp.sum(a, axis=-1)
    s = jnp.sum(a**p, axis=-1)
    pos = s > 0
    return jnp.where(pos, jnp.where(pos, s, 1) ** (1 / p), 0)


_cdist = Op(
    "CdistBackward0", lambda x1, x2, p: _safe_norm(x1[..., :, None, :] - x2[..., None, :, :], p)
)


def _name(dt: _dtype.dtype) -> str:
    return _dtype.CPP_NAMES[dt.name]


def _not_implemented(kernel: str, *xs: Tensor) -> None:
    for x in xs:
        if x.dtype is _dtype.bool_:
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _broadcast_shapes(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """Broadcast two shapes, raising PyTorch's error for sizes that do not match."""
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        x = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        y = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_expand(shape: Sequence[int], target: Sequence[int]) -> None:
    off = len(target) - len(shape)
    for i, s in reversed(list(enumerate(shape))):
        if s != 1 and s != target[i + off]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[i + off]}) must match the existing "
                f"size ({s}) at non-singleton dimension {i + off}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}"
            )


def _check_mm(a_shape, b_shape, a_dt, b_dt) -> None:
    if a_dt is not b_dt:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_name(a_dt)} != {_name(b_dt)}"
        )
    if a_shape[1] != b_shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a_shape[0]}x{a_shape[1]} and "
            f"{b_shape[0]}x{b_shape[1]})"
        )


def _check_mv(mat_shape, vec_len, mat_dt, vec_dt, out_len=None, out_dt=None) -> None:
    out_dt = out_dt or vec_dt
    if not (mat_dt is vec_dt is out_dt):
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {out_dt.title}, "
            f"{mat_dt.title}, and {vec_dt.title}"
        )
    n, m = mat_shape
    out_len = n if out_len is None else out_len
    if m != vec_len or out_len != n:
        raise RuntimeError(f"size mismatch, got input ({out_len}), mat ({n}x{m}), vec ({vec_len})")


def _check_bmm(a_shape, b_shape, a_dt, b_dt) -> None:
    bsz, _, k = a_shape
    if tuple(b_shape[:2]) != (bsz, k):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{bsz}, {k}] but "
            f"got: [{b_shape[0]}, {b_shape[1]}]."
        )
    if a_dt is not b_dt:
        raise RuntimeError(f"expected scalar type {a_dt.title} but found {b_dt.title}")


def _check_dot(a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {a.dtype.title} and "
            f"{b.dtype.title}"
        )
    n, k = a.shape[0], b.shape[0]
    if n != k:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{k}] to have the same "
            f"number of elements, but got {n} and {k} elements respectively"
        )


@declare(test=_f64((2, 3), (3, 4)))
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product of two 2-D tensors.

    >>> import tensorish
    >>> tensorish.mm(tensorish.ones(2, 3), tensorish.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(input.shape, mat2.shape, input.dtype, mat2.dtype)
    _not_implemented("addmm_impl_cpu_", input, mat2)
    return apply(_mm, (input, mat2))


@declare(test=_f64((2, 3, 4), (2, 4, 5)))
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """The batched matrix product of two 3-D tensors.

    >>> import tensorish
    >>> tensorish.bmm(tensorish.ones(2, 1, 3), tensorish.ones(2, 3, 1)).shape
    tensorish.Size([2, 1, 1])
    """
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(input.shape, mat2.shape, input.dtype, mat2.dtype)
    _not_implemented("bmm", input, mat2)
    return apply(_bmm, (input, mat2))


@declare(test=_f64((2, 3), (3,)))
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix and a vector.

    >>> import tensorish
    >>> tensorish.mv(tensorish.ones(2, 3), tensorish.ones(3))
    tensor([3., 3.])
    """
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _check_mv(input.shape, vec.shape[0], input.dtype, vec.dtype)
    _not_implemented("addmv_impl_cpu", input, vec)
    return apply(_mv, (input, vec))


@declare(test=_f64((3,), (3,)))
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """The dot product of two 1-D tensors.

    >>> import tensorish
    >>> tensorish.dot(tensorish.tensor([1., 2.]), tensorish.tensor([3., 4.]))
    tensor(11.)
    """
    _check_dot(input, tensor)
    _not_implemented("dot", input, tensor)
    return apply(_dot, (input, tensor))


@declare(test=_f64((3,), (3,)))
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors, conjugating the first.

    >>> import tensorish
    >>> tensorish.vdot(tensorish.tensor([1., 2.]), tensorish.tensor([3., 4.]))
    tensor(11.)
    """
    _check_dot(input, other)
    _not_implemented("vdot", input, other)
    return apply(_vdot, (input, other))


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """PyTorch's choice between folding into one mm/mv and a broadcast bmm (it decides the
    grad_fn and which error a mismatch raises)."""
    larger = a.ndim >= b.ndim
    dim_t1, dim_t2 = (a.ndim, b.ndim) if larger else (b.ndim, a.ndim)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (b if larger else a).requires_grad:
        return True
    if a.ndim == 2:
        return False
    # b.mT is row-major foldable into a matrix only when b's rows are a single row.
    return larger or b.numel() == 0 or b.shape[-2] == 1


@declare(test=_f64((2, 3), (3, 4)))
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with NumPy's broadcasting rules (dot, mv, mm or batched).

    >>> import tensorish
    >>> tensorish.matmul(tensorish.ones(2, 2), tensorish.ones(2, 2))
    tensor([[2., 2.],
            [2., 2.]])
    """
    a, b = input.ndim, other.ndim
    if a == 0 or b == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a}D and {b}D"
        )
    if a == 1 and b == 1:
        return dot(input, other)
    if a == 2 and b == 1:
        return mv(input, other)
    if a == 2 and b == 2:
        return mm(input, other)
    if a == 1 and b == 2:
        _check_mm((1, input.shape[0]), other.shape, input.dtype, other.dtype)
        _not_implemented("addmm_impl_cpu_", input, other)
        return apply(_matmul_squeeze, (input, other))
    if _should_fold(input, other):
        transpose = b > a
        t1, t2 = (other, input) if transpose else (input, other)
        s1 = t1.shape[:-2] + (t1.shape[-1], t1.shape[-2]) if transpose else t1.shape
        folded = (math.prod(s1[:-1]), s1[-1])
        if t2.ndim == 1:
            _check_mv(folded, t2.shape[0], t1.dtype, t2.dtype)
            _not_implemented("addmv_impl_cpu", input, other)
            return apply(_matmul_view, (input, other))
        s2 = t2.shape[::-1] if transpose else t2.shape
        _check_mm(folded, s2, t1.dtype, t2.dtype)
        _not_implemented("addmm_impl_cpu_", input, other)
        return apply(_matmul_clone if transpose else _matmul_view, (input, other))
    batch = _broadcast_shapes(input.shape[:-2], other.shape[:-2])
    n = math.prod(batch)
    k1 = input.shape[-1]
    k2, p = (other.shape[-2], other.shape[-1]) if b > 1 else (other.shape[0], 1)
    _check_bmm((n, 1, k1), (n, k2, p), input.dtype, other.dtype)
    _not_implemented("bmm", input, other)
    return apply(_matmul_view, (input, other))


@declare(name="__matmul__", namespace="tensorish.Tensor", test=_f64((2, 3), (3, 4)))
def _matmul_operator(self: Tensor, other) -> Tensor:
    """``self @ other`` (tensors only)."""
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


@declare(name="__rmatmul__", namespace="tensorish.Tensor", test=_f64((3, 4), (2, 3)))
def _rmatmul_operator(self: Tensor, other) -> Tensor:
    """``other @ self`` (tensors only)."""
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


@declare(test=_f64((2, 3), (4, 3)))
def inner(input: Tensor, other: Tensor) -> Tensor:
    """The inner product over the last dimensions (``input * other`` for a 0-dim operand).

    >>> import tensorish
    >>> tensorish.inner(tensorish.ones(2, 3), tensorish.ones(3))
    tensor([3., 3.])
    """
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return apply(_inner, (input, other))


@declare(aliases=("ger",), test=_f64((3,), (2,)))
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors.

    >>> import tensorish
    >>> tensorish.outer(tensorish.tensor([1., 2.]), tensorish.tensor([1., 3.]))
    tensor([[1., 3.],
            [2., 6.]])
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    args, cast, _ = promote(input, vec2)
    return apply(_outer, args, (), cast)


def _scalars(beta, alpha) -> tuple:
    return (("beta", beta), ("alpha", alpha))


@declare(inplace=True, test=_f64((2, 4), (2, 3), (3, 4)))
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``.

    >>> import tensorish
    >>> tensorish.addmm(tensorish.ones(2), tensorish.ones(2, 3), tensorish.ones(3, 2), beta=2)
    tensor([[5., 5.],
            [5., 5.]])
    """
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    for name, m in (("self", input), ("mat1", mat1)):
        if m.dtype is not mat2.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {m.dtype.title} and "
                f"{mat2.dtype.title}"
            )
    _check_mm(mat1.shape, mat2.shape, mat1.dtype, mat2.dtype)
    _check_expand(input.shape, (mat1.shape[0], mat2.shape[1]))
    _not_implemented("addmm_impl_cpu_", mat1, mat2)
    return apply(_addmm, (input, mat1, mat2), _scalars(beta, alpha))


@declare(inplace=True, test=_f64((2,), (2, 3), (3,)))
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    >>> import tensorish
    >>> tensorish.addmv(tensorish.ones(2), tensorish.ones(2, 3), tensorish.ones(3))
    tensor([4., 4.])
    """
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}"
        )
    out_len = input.shape[0] if input.ndim == 1 and input.shape[0] != 1 else mat.shape[0]
    _check_mv(mat.shape, vec.shape[0], mat.dtype, vec.dtype, out_len, input.dtype)
    _not_implemented("addmv_impl_cpu", mat, vec)
    return apply(_addmv, (input, mat, vec), _scalars(beta, alpha))


@declare(inplace=True, test=_f64((2, 4), (5, 2, 3), (5, 3, 4)))
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``.

    >>> import tensorish
    >>> tensorish.addbmm(tensorish.zeros(1), tensorish.ones(4, 1, 2), tensorish.ones(4, 2, 1))
    tensor([[8.]])
    """
    if batch1.ndim >= 2 and batch2.ndim >= 3:
        _check_expand(input.shape, (batch1.shape[1], batch2.shape[2]))
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        if m.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
            f"{batch2.shape[0]}"
        )
    (_, n, k), (_, k2, p) = batch1.shape, batch2.shape
    if k != k2:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{p})")
    if input.dtype is not batch2.dtype or batch1.dtype is not batch2.dtype:
        other = input if input.dtype is not batch2.dtype else batch1
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {other.dtype.title} and "
            f"{batch2.dtype.title}"
        )
    _check_expand(input.shape, (n, p))
    _not_implemented("addmm_impl_cpu_", batch1, batch2)
    return apply(_addbmm, (input, batch1, batch2), _scalars(beta, alpha))


@declare(inplace=True, test=_f64((2, 4), (5, 2, 3), (5, 3, 4)))
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches.

    >>> import tensorish
    >>> tensorish.baddbmm(tensorish.zeros(1), tensorish.ones(2, 1, 2), tensorish.ones(2, 2, 1))
    tensor([[[2.]],
    <BLANKLINE>
            [[2.]]])
    """
    if batch1.ndim >= 2 and batch2.ndim >= 3:
        _check_expand(input.shape, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        if m.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    _check_bmm(batch1.shape, batch2.shape, batch1.dtype, batch1.dtype)
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_name(input.dtype)}, batch1: "
            f"{_name(batch1.dtype)}, batch2: {_name(batch2.dtype)}"
        )
    _check_expand(input.shape, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    _not_implemented("baddbmm_cpu", batch1, batch2)
    return apply(_baddbmm, (input, batch1, batch2), _scalars(beta, alpha))


@declare(inplace=True, test=_f64((2, 3), (2,), (3,)))
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``.

    >>> import tensorish
    >>> tensorish.addr(tensorish.zeros(2, 2), tensorish.ones(2), tensorish.ones(2), alpha=3)
    tensor([[3., 3.],
            [3., 3.]])
    """
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    args, cast, dt = promote(input, vec1, vec2)
    if not (dt.is_floating_point or dt.is_complex):
        for name, s in (("beta", beta), ("alpha", alpha)):
            if isinstance(s, float):
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point "
                    "number."
                )
    _check_expand(input.shape, (vec1.shape[0], vec2.shape[0]))
    return apply(_addr, args, _scalars(beta, alpha), cast)


def _dims_list(dims) -> list[int]:
    return [int(d) for d in ([dims] if isinstance(dims, int) else dims)]


@declare(method=False, test=_f64((2, 3, 4), (3, 4, 5)))
def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``dims`` trailing dimensions of ``a`` with leading ones of ``b`` (or the
    dimensions listed in ``dims=(dims_a, dims_b)``).

    >>> import tensorish
    >>> tensorish.tensordot(tensorish.ones(2, 3), tensorish.ones(3, 4), dims=1).shape
    tensorish.Size([2, 4])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = (_dims_list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = [_wrap_dim(d, a.ndim) for d in da]
    wb = [_wrap_dim(d, b.ndim) for d in db]
    for x, y, i, j in zip(wa, wb, da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[x]} in dim "
                f"{i} and second has size {b.shape[y]} in dim {j}"
            )
    return apply(_tensordot, (a, b), (("axes", (tuple(wa), tuple(wb))),))


@declare(test=_f64((2, 3), (2, 2)))
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product.

    >>> import tensorish
    >>> tensorish.kron(tensorish.tensor([1., 2.]), tensorish.ones(2))
    tensor([1., 1., 2., 2.])
    """
    args, cast, _ = promote(input, other)
    return apply(_kron, args, (), cast)


def _cross(name: str, input: Tensor, other: Tensor, dim: int | None) -> Tensor:
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.title} but found {other.dtype.title}"
        )
    shape = _broadcast_shapes(input.shape, other.shape)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=3,
        )
        axis = next((i for i, s in enumerate(shape) if s == 3), None)
        if axis is None:
            raise RuntimeError("no dimension of size 3 in input")
    else:
        axis = _wrap_dim(dim, len(shape))
        if (
            input.shape[_wrap_dim(dim, input.ndim)] != 3
            or other.shape[_wrap_dim(dim, other.ndim)] != 3
        ):
            raise RuntimeError(
                f"{name}: inputs dimension {dim} must have length 3. Got "
                f"{input.shape[_wrap_dim(dim, input.ndim)]} and "
                f"{other.shape[_wrap_dim(dim, other.ndim)]}"
            )
    return apply(_cross_op, (input, other), (("dim", axis - len(shape)),))


@declare(test=_f64((2, 3), (2, 3), kwargs={"dim": 1}))
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product along ``dim`` (default: the first dimension of size 3, deprecated).

    >>> import tensorish
    >>> tensorish.cross(tensorish.tensor([1., 0., 0.]), tensorish.tensor([0., 1., 0.]), dim=0)
    tensor([0., 0., 1.])
    """
    return _cross("linalg.cross", input, other, dim)


@declare(method=False, test=_f64((4, 3), (5, 3)))
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """The batched p-norm distance between each pair of rows of ``x1`` and ``x2``.

    >>> import tensorish
    >>> tensorish.cdist(tensorish.zeros(1, 2), tensorish.tensor([[3., 4.]]))
    tensor([[5.]])
    """
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {x.dtype.title}"
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype.title} but found {x2.dtype.title}")
    _broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    return apply(_cdist, (x1, x2), (("p", float(p)),))


_einsum_ops: dict = {}


def _einsum_node(inputs: list[str], output: str) -> str:
    """The name of PyTorch's final einsum node: a bmm-and-view when operands share a summed
    index, a product when none is summed, a sum or permute for a single operand."""
    summed = set("".join(inputs)) - set(output)
    if len(inputs) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    shared = {c for c in summed if sum(c in s for s in inputs) > 1}
    return "ViewBackward0" if shared else "MulBackward0"


@declare(method=False, test=Sample(((2, 3), (3, 4)), args=("ij,jk->ik", T, T), dtype="float64"))
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation over the operands.

    >>> import tensorish
    >>> tensorish.einsum("ij,j->i", tensorish.ones(2, 3), tensorish.ones(3))
    tensor([3., 3.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes: dict[str, int] = {}
    for i, (term, x) in enumerate(zip(terms, operands)):
        letters = re.sub(r"\.\.\.", "", term)
        if "..." not in term and len(letters) != x.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not "
                f"match the number of dimensions ({x.ndim}) for operand {i} and no ellipsis was "
                "given"
            )
        lead = x.ndim - len(letters) if "..." in term else 0
        before = term.split("...")[0] if "..." in term else term
        for j, c in enumerate(letters):
            s = x.shape[j if j < len(before) else j + lead]
            if sizes.get(c, s) != s and s != 1 and sizes[c] != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {s} for operand {i} which does not "
                    f"broadcast with previously seen size {sizes[c]}"
                )
            sizes[c] = s if sizes.get(c, 1) == 1 else sizes[c]
    for c in out.replace("...", ""):
        if c not in sizes:
            raise RuntimeError(
                f"einsum(): output subscript {c} does not appear in the equation for any input "
                "operand"
            )
        if out.count(c) > 1:
            raise RuntimeError(
                f"einsum(): output subscript {c} appears more than once in the output"
            )
    if not arrow:
        counts = "".join(t.replace("...", "") for t in terms)
        out = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(counts) if counts.count(c) == 1)
        )
    for x in operands[1:]:
        if x.dtype is not operands[0].dtype:
            raise RuntimeError(
                f"expected scalar type {operands[0].dtype.title} but found {x.dtype.title}"
            )
    name = _einsum_node([t.replace("...", "") for t in terms], out.replace("...", ""))
    op = _einsum_ops.get(name)
    if op is None:
        op = _einsum_ops[name] = Op(
            name, lambda *xs, equation: jnp.einsum(equation, *xs, precision="highest")
        )
    return apply(op, tuple(operands), (("equation", f"{lhs}->{out}"),))


_SlogdetResult = _fns._return_type("slogdet", "sign logabsdet")
_cholesky_old_op = Op("CholeskyBackward0", _fns._cholesky_fn)
# -- PyTorch's older top-level forms -------------------------------------------------------------
_logdet = Op(
    "WhereBackward0",
    lambda a: jnp.where(jnp.linalg.slogdet(a)[0] < 0, jnp.nan, jnp.linalg.slogdet(a)[1]),
)


@declare(test=_f64((3, 3)))
def inverse(input: Tensor) -> Tensor:
    """``tensorish.linalg.inv``, under PyTorch's older name."""
    return _fns.inv(input)


@declare(test=Sample((_fns.SPD,)))
def logdet(input: Tensor) -> Tensor:
    """The log-determinant (nan for a negative determinant).

    >>> import tensorish
    >>> tensorish.logdet(tensorish.tensor([[1., 0.], [0., 1.]]))
    tensor(0.)
    """
    _fns._square_float("linalg.slogdet", input)
    return apply(_logdet, (input,))


@declare(test=_f64((4, 3)))
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``tensorish.linalg.pinv`` with a relative tolerance ``rcond``."""
    return _fns.pinv(input, rtol=rcond)


@declare(test=Sample((_fns.SPD,)))
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """The Cholesky factor, PyTorch's deprecated form of ``tensorish.linalg.cholesky``."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
        "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
        "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results "
        "for all valid (symmetric positive definite) inputs.",
        UserWarning,
        stacklevel=3,  # the caller (under autocast's wrapper)
    )
    _fns._check_square("cholesky", input)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f"\"cholesky_cpu\" not implemented for '{input.dtype.title}'")
    return _fns._cholesky_ex("cholesky", _cholesky_old_op, input, upper, True).L


@declare(test=_f64((2, 3, 3)))
def slogdet(input: Tensor) -> _SlogdetResult:
    """``tensorish.linalg.slogdet`` under PyTorch's older name."""
    return _SlogdetResult(*_fns.slogdet(input))


det = declare(name="det", test=_f64((3, 3)))(_fns.det)
matrix_power = declare(name="matrix_power", test=_f64((3, 3), args=(3,)))(_fns.matrix_power)
matrix_exp = declare(name="matrix_exp", test=_f64((3, 3)))(_fns.matrix_exp)


_dist = Op("DistBackward0", lambda a, b, p: _safe_norm((a - b).reshape(1, -1), p)[0])


@declare(
    test=(
        _f64((3, 4), (4,)),
        _f64((3, 4), (3, 4), args=(1,)),
        _f64((2, 3), (2, 3), args=(math.inf,)),
    )
)
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other``.

    >>> import tensorish
    >>> tensorish.dist(tensorish.tensor([3.0, 0.0]), tensorish.tensor([0.0, 4.0]))
    tensor(5.)
    """
    args, cast, _ = promote(input, other)
    _broadcast_shapes(input.shape, other.shape)
    return apply(_dist, args, (("p", float(p)),), cast)


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

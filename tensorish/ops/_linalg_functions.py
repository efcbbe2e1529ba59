"""Matrix functions: norms, inverses, determinants, solvers and factorizations.

The public names live in ``tensorish.linalg``; PyTorch's older top-level forms
(``torch.det``, ``torch.inverse``, ``torch.cholesky`` ...) are in ``_linalg``.
PyTorch raises ``LinAlgError`` for singular and non-positive-definite inputs where JAX returns
inf or nan; the ops here return LAPACK's ``info`` beside their result (as PyTorch's ``*_ex``
kernels do) and check it on the host, the same sync PyTorch makes for its own check.
"""

from __future__ import annotations

import collections
import math
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._common import Op, apply
from ._registry import TENSORS, Given, Sample, declare, public


def _linalg(*shapes, **kw):
    """Declare a ``tensorish.linalg`` function; the oracle test runs it on float64 inputs of
    ``shapes`` (none: the op is tested elsewhere)."""
    sample = Sample(shapes, dtype="float64", **kw) if shapes else ()
    return declare(namespace="tensorish.linalg", method=False, test=sample)


# A symmetric positive-definite matrix, for the ops that need one.
SPD = Given(((4.0, 1.0, 0.5), (1.0, 3.0, 0.2), (0.5, 0.2, 2.0)), "float64")


class LinAlgError(RuntimeError):
    """Raised for a singular or non-positive-definite input, as PyTorch's ``LinAlgError``."""


def _return_type(name: str, fields: str) -> type:
    """A named tuple that prints as PyTorch's ``torch.return_types`` structs."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "tensorish.return_types"
    cls.__repr__ = lambda self: (
        f"tensorish.return_types.{name}(\n"
        + ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        + ")"
    )
    return cls


SlogdetResult = _return_type("linalg_slogdet", "sign logabsdet")
LstsqResult = _return_type("linalg_lstsq", "solution residuals rank singular_values")
QRResult = _return_type("linalg_qr", "Q R")
SVDResult = _return_type("linalg_svd", "U S Vh")
InvExResult = _return_type("linalg_inv_ex", "inverse info")
SolveExResult = _return_type("linalg_solve_ex", "result info")
CholeskyExResult = _return_type("linalg_cholesky_ex", "L info")
EighResult = _return_type("linalg_eigh", "eigenvalues eigenvectors")


# -- checks -----------------------------------------------------------------------------------
def _check_float(name: str, A: Tensor) -> None:
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype.title}"
        )


def _check_matrix(name: str, A: Tensor) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _check_square(name: str, A: Tensor) -> None:
    _check_matrix(name, A)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def _square_float(name: str, A: Tensor) -> None:
    _check_square(name, A)
    _check_float(name, A)


def _raise_info(info: Tensor, message) -> None:
    """Raise ``LinAlgError`` for the first batch element whose LAPACK ``info`` is nonzero."""
    codes = np.asarray(info._value).reshape(-1)
    bad = np.flatnonzero(codes)
    if bad.size:
        prefix = f"(Batch element {bad[0]}): " if info.ndim else ""
        raise LinAlgError(message(prefix, int(codes[bad[0]])))


def _lu_info(a):
    """LAPACK getrf's ``info``: the 1-based index of the first zero pivot, or 0."""
    if a.shape[-1] == 0:
        return jnp.zeros(a.shape[:-2], jnp.int32)
    lu = jax.lax.linalg.lu(jax.lax.stop_gradient(a))[0]
    zero = jnp.diagonal(lu, axis1=-2, axis2=-1) == 0
    return jnp.where(zero.any(-1), jnp.argmax(zero, -1) + 1, 0).astype(jnp.int32)


@jax.custom_jvp
def _abs(x):
    return jnp.abs(x)


# NOTE: PyTorch's |x| has the subgradient sgn(x), 0 at 0 (JAX's is 1 there).
_abs.defjvps(
    lambda g, ans, x: jnp.real(
        jnp.conj(jnp.where(x == 0, 0, x / jnp.where(x == 0, 1, ans.astype(x.dtype)))) * g
    )
)


def _mT(x):
    return jnp.swapaxes(x, -1, -2)


def _mH(x):
    return jnp.conj(_mT(x))


def _grad_error(message: str):
    """An identity whose backward raises PyTorch's error for a non-differentiable mode."""

    @jax.custom_vjp
    def f(x):
        return x

    def bwd(_, g):
        raise RuntimeError(message)

    f.defvjp(lambda x: (x, None), bwd)
    return f


# -- inverses and determinants ----------------------------------------------------------------
_inv = Op("LinalgInvExBackward0", lambda a: (jnp.linalg.inv(a), _lu_info(a)), n_out=2)
_det = Op("LinalgDetBackward0", jnp.linalg.det)
_slogdet = Op("LinalgSlogdetBackward0", lambda a: tuple(jnp.linalg.slogdet(a)), n_out=2)


def _inv_checked(A: Tensor, name: str = "linalg.inv") -> InvExResult:
    out, info = apply(_inv, (A,))
    _raise_info(
        info,
        lambda p, i: (
            f"{name}: {p}The diagonal element {i} is zero, the inversion could not be completed "
            "because the input matrix is singular."
        ),
    )
    return InvExResult(out, info)


@_linalg((3, 3))
def inv(A: Tensor) -> Tensor:
    """The inverse of a square matrix (or a batch of them).

    >>> import tensorish
    >>> tensorish.linalg.inv(tensorish.tensor([[2., 0.], [0., 4.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    _square_float("linalg.inv", A)
    return _inv_checked(A).inverse


@_linalg((2, 3, 3))
def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """The inverse and LAPACK's ``info`` (nonzero where the matrix is singular).

    >>> import tensorish
    >>> tensorish.linalg.inv_ex(tensorish.zeros(2, 2)).info
    tensor(1, dtype=tensorish.int32)
    """
    _square_float("linalg.inv_ex", A)
    if check_errors:
        return _inv_checked(A, "linalg.inv_ex")
    return InvExResult(*apply(_inv, (A,)))


@_linalg((3, 3))
def det(A: Tensor) -> Tensor:
    """The determinant of a square matrix (or a batch of them).

    >>> import tensorish
    >>> tensorish.linalg.det(tensorish.tensor([[2., 1.], [1., 3.]]))
    tensor(5.)
    """
    _square_float("linalg.det", A)
    return apply(_det, (A,))


@_linalg((2, 3, 3))
def slogdet(A: Tensor) -> SlogdetResult:
    """The sign and the log of the absolute value of the determinant.

    >>> import tensorish
    >>> tensorish.linalg.slogdet(tensorish.tensor([[-2., 0.], [0., 1.]])).sign
    tensor(-1.)
    """
    _square_float("linalg.slogdet", A)
    return SlogdetResult(*apply(_slogdet, (A,)))


# -- solvers ------------------------------------------------------------------------------------
def _solve_fn(a, b, left, vector):
    if not left:
        a, b = _mT(a), _mT(b)
    b = b[..., None] if vector else b
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = jnp.linalg.solve(
        jnp.broadcast_to(a, batch + a.shape[-2:]), jnp.broadcast_to(b, batch + b.shape[-2:])
    )
    x = x[..., 0] if vector else x
    return (x if left else _mT(x)), _lu_info(a)


_solve = Op("LinalgSolveExBackward0", _solve_fn, n_out=2)


def _solve_ex(name: str, A: Tensor, B: Tensor, left: bool, check: bool) -> SolveExResult:
    _square_float("linalg.solve", A)
    _check_float("linalg.solve", B)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.title} and B of type {B.dtype.title} instead"
        )
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector and not left:
        raise RuntimeError(
            "linalg.solve: Vector broadcasting of the left hand side is not supported for "
            "left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)"
        )
    if (B.shape[-1] if vector or not left else B.shape[-2]) != A.shape[-1]:
        eq = "AX = B" if left else "XA = B"
        b_shape = f"{B.shape[-1]}x1" if vector else f"{B.shape[-2]}x{B.shape[-1]}"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({A.shape[-2]}x{A.shape[-1]} and {b_shape})"
        )
    x, info = apply(_solve, (A, B), (("left", left), ("vector", vector)))
    if check:
        _raise_info(
            info,
            lambda p, i: (
                f"torch.{name}: {p}The solver failed because the input matrix is singular."
            ),
        )
    return SolveExResult(x, info)


@_linalg((3, 3), (3, 2))
def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
) -> SolveExResult:
    """The solution of ``A @ X = B`` and LAPACK's ``info`` (nonzero where A is singular).

    >>> import tensorish
    >>> tensorish.linalg.solve_ex(tensorish.tensor([[2., 0.], [0., 4.]]), tensorish.ones(2)).info
    tensor(0, dtype=tensorish.int32)
    """
    return _solve_ex("linalg.solve_ex", A, B, left, check_errors)


@_linalg((3, 3), (3,))
def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A @ X = B`` (or ``X @ A = B`` with ``left=False``).

    >>> import tensorish
    >>> tensorish.linalg.solve(tensorish.tensor([[2., 0.], [0., 4.]]), tensorish.ones(2))
    tensor([0.5000, 0.2500])
    """
    return _solve_ex("linalg.solve", A, B, left, True).result


def _pinv_fn(a, atol, rtol, hermitian):
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol else jnp.finfo(a.dtype).eps * max(m, n)
    if not atol:
        return jnp.linalg.pinv(a, rtol=rtol, hermitian=hermitian)
    if hermitian:
        w, v = jnp.linalg.eigh(a)
        tol = jnp.maximum(atol, rtol * jnp.max(jnp.abs(w), -1, keepdims=True))
        inv_w = jnp.where(jnp.abs(w) > tol, 1 / jnp.where(jnp.abs(w) > tol, w, 1), 0)
        return (v * inv_w[..., None, :]) @ _mH(v)
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    tol = jnp.maximum(atol, rtol * s[..., :1])
    inv_s = jnp.where(s > tol, 1 / jnp.where(s > tol, s, 1), 0)
    return (_mH(vh) * inv_s[..., None, :]) @ _mH(u)


_pinv = Op("LinalgPinvBackward0", _pinv_fn)


@_linalg((4, 3))
def pinv(
    A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False
) -> Tensor:
    """The Moore-Penrose pseudo-inverse.

    >>> import tensorish
    >>> tensorish.linalg.pinv(tensorish.tensor([[2., 0.], [0., 0.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    if A.ndim < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"linalg.pinv({A.dtype.title}{{{list(A.shape)}}}): expected a tensor with 2 or more "
            "dimensions of float, double, cfloat or cdouble types"
        )
    if hermitian:
        _check_square("linalg.eigh", A)
    static = (
        ("atol", None if atol is None else float(atol)),
        ("rtol", None if rtol is None else float(rtol)),
        ("hermitian", hermitian),
    )
    return apply(_pinv, (A,), static)


def _lstsq_fn(a, b, rcond, vector, residuals):
    b = b[..., None] if vector else b
    x = _pinv_fn(a, None, rcond, False) @ b
    res = jnp.sum(jnp.abs(a @ x - b) ** 2, axis=-2) if residuals else jnp.zeros((0,), a.dtype)
    return (x[..., 0] if vector else x), res


def _lstsq_info(a, rcond, values):
    m, n = a.shape[-2:]
    s = jnp.linalg.svd(a, compute_uv=False)
    tol = (jnp.finfo(a.dtype).eps * max(m, n) if rcond is None else rcond) * s[..., :1]
    rank = jnp.sum(s > tol, axis=-1).astype(jnp.int64)
    return rank, (s if values else jnp.zeros((0,), s.dtype))


_lstsq = Op("LinalgLstsqBackward0", _lstsq_fn, n_out=2)
_lstsq_rank = Op("LinalgLstsqBackward0", _lstsq_info, differentiable=False, n_out=2)


@_linalg((4, 3), (4, 2))
def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> LstsqResult:
    """The least-squares solution of ``A @ X = B`` (PyTorch's CPU driver ``gelsy`` by default:
    no residuals and no singular values).

    >>> import tensorish
    >>> tensorish.linalg.lstsq(tensorish.tensor([[2.], [0.]]), tensorish.tensor([4., 1.])).solution
    tensor([2.])
    """
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    for x in (A, B):
        if x.dtype not in (_dtype.float32, _dtype.float64, _dtype.complex64, _dtype.complex128):
            raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {A.dtype.title} and other's dtype {B.dtype.title}"
        )
    _check_matrix("torch.linalg.lstsq", A)
    vector = B.ndim == A.ndim - 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = driver or "gelsy"
    rcond = None if rcond is None else float(rcond)
    rank, values = apply(
        _lstsq_rank, (A,), (("rcond", rcond), ("values", driver in ("gelsd", "gelss")))
    )
    m, n = A.shape[-2:]
    residuals = driver != "gelsy" and m > n and bool(np.all(np.asarray(rank._value) == n))
    solution, res = apply(
        _lstsq, (A, B), (("rcond", rcond), ("vector", vector), ("residuals", residuals))
    )
    if driver == "gels":
        rank = Tensor._wrap(jnp.zeros((0,), jnp.int64))
    return LstsqResult(solution, res, rank, values)


# -- factorizations -----------------------------------------------------------------------------
def _cholesky_fn(a, upper):
    l = jnp.linalg.cholesky(a)
    return _mH(l) if upper else l


_cholesky = Op("LinalgCholeskyExBackward0", _cholesky_fn)


def _cholesky_info(A: Tensor) -> np.ndarray:
    """LAPACK potrf's ``info`` per matrix: the order of the first leading minor that is not
    positive-definite, or 0 (computed on the host, only after the factorization failed)."""
    a = np.asarray(A._value)
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(len(flat), np.int32)
    for b, m in enumerate(flat):
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return info.reshape(a.shape[:-2])


def _cholesky_ex(name: str, op: Op, A: Tensor, upper: bool, check: bool) -> CholeskyExResult:
    out = apply(op, (A,), (("upper", upper),))
    info = np.zeros(A.shape[:-2], np.int32)
    if bool(jnp.isnan(out._value).any()):
        info = _cholesky_info(A)
    info = Tensor._wrap(jnp.asarray(info))
    if check:
        _raise_info(
            info,
            lambda p, k: (
                f"{name}: {p}The factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {k} is not positive-definite)."
            ),
        )
    return CholeskyExResult(out, info)


@_linalg(SPD)
def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` of a Hermitian positive-definite ``A = L @ L.mH``.

    >>> import tensorish
    >>> tensorish.linalg.cholesky(tensorish.tensor([[4., 2.], [2., 5.]]))
    tensor([[2., 0.],
            [1., 2.]])
    """
    _square_float("linalg.cholesky", A)
    return _cholesky_ex("linalg.cholesky", _cholesky, A, upper, True).L


@_linalg(SPD)
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """The Cholesky factor and LAPACK's ``info`` (the order of the first leading minor that
    is not positive-definite, or 0).

    >>> import tensorish
    >>> tensorish.linalg.cholesky_ex(tensorish.tensor([[1., 2.], [2., 1.]])).info
    tensor(2, dtype=tensorish.int32)
    """
    _square_float("linalg.cholesky", A)
    return _cholesky_ex("linalg.cholesky_ex", _cholesky, A, upper, check_errors)


_QR_MODES = ("reduced", "complete", "r")


def _qr_fn(a, mode):
    m, n = a.shape[-2:]
    if mode == "r":
        a = _grad_error(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )(a)
        return jnp.zeros((0,), a.dtype), jnp.linalg.qr(a, mode="r")
    if mode == "complete" and m > n:
        a = _grad_error(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )(a)
    return tuple(jnp.linalg.qr(a, mode=mode))


_qr = Op("LinalgQrBackward0", _qr_fn, n_out=2)


@_linalg((4, 3))
def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """The QR decomposition ``A = Q @ R`` (``mode``: reduced, complete or r).

    >>> import tensorish
    >>> tensorish.linalg.qr(tensorish.tensor([[3., 0.], [4., 1.]])).R
    tensor([[-5.0000, -0.8000],
            [ 0.0000,  0.6000]])
    """
    _check_matrix("linalg.qr", A)
    _check_float("linalg.qr", A)
    if mode not in _QR_MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return QRResult(*apply(_qr, (A,), (("mode", mode),)))


def _svd_fn(a, full_matrices):
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        # NOTE: JAX cannot differentiate the full SVD; as in PyTorch, the gradient ignores the
        # extra columns of U (rows of Vh), which span the complement of the reduced ones.
        uf, _, vhf = jnp.linalg.svd(jax.lax.stop_gradient(a), full_matrices=True)
        k = min(m, n)
        u = jnp.concatenate([u, uf[..., :, k:]], axis=-1)
        vh = jnp.concatenate([vh, vhf[..., k:, :]], axis=-2)
    return u, s, vh


_svd = Op("LinalgSvdBackward0", _svd_fn, n_out=3)
_svdvals = Op("LinalgSvdBackward0", lambda a: jnp.linalg.svd(a, compute_uv=False))


@_linalg()
def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """The singular value decomposition ``A = U @ diag(S) @ Vh``.

    >>> import tensorish
    >>> tensorish.linalg.svd(tensorish.tensor([[3., 0.], [0., -4.]])).S
    tensor([4., 3.])
    """
    _check_matrix("linalg.svd", A)
    _check_float("linalg.svd", A)
    return SVDResult(*apply(_svd, (A,), (("full_matrices", full_matrices),)))


@_linalg((2, 4, 3))
def svdvals(A: Tensor) -> Tensor:
    """The singular values, in descending order.

    >>> import tensorish
    >>> tensorish.linalg.svdvals(tensorish.tensor([[3., 0.], [0., -4.]]))
    tensor([4., 3.])
    """
    _check_matrix("linalg.svd", A)
    _check_float("linalg.svd", A)
    return apply(_svdvals, (A,))


def _eigh_primal(a, uplo):
    return tuple(jnp.linalg.eigh(a, UPLO=uplo, symmetrize_input=False))


def _eigh_bwd(uplo, res, g):
    w, v = res
    gw, gv = g
    vhgv = _mH(v) @ gv
    vhgv = 0.5 * (vhgv - _mH(vhgv))
    gap = w[..., None, :] - w[..., :, None]
    diag = jnp.eye(w.shape[-1], dtype=bool)
    inner = jnp.where(
        diag, gw[..., None, :].astype(vhgv.dtype), vhgv / jnp.where(diag, 1, gap).astype(vhgv.dtype)
    )
    return (v @ inner @ _mH(v),)


# NOTE: PyTorch's eigh gradient is V (diag(gL) + skew(V^H gV) / (L_j - L_i)) V^H for any A,
# reading one triangle in the forward only; JAX's rule differs for non-Hermitian A.
_eigh_fn = jax.custom_vjp(_eigh_primal, nondiff_argnums=(1,))
_eigh_fn.defvjp(lambda a, uplo: (_eigh_primal(a, uplo),) * 2, _eigh_bwd)
_eigh = Op("LinalgEighBackward0", _eigh_fn, n_out=2)
_eigvalsh = Op("LinalgEighBackward0", lambda a, uplo: _eigh_fn(a, uplo)[0])


def _check_eigh(A: Tensor, UPLO: str) -> None:
    _check_square("linalg.eigh", A)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{A.dtype.title}'")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@_linalg()
def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """The eigenvalues (ascending) and eigenvectors of a Hermitian matrix.

    >>> import tensorish
    >>> tensorish.linalg.eigh(tensorish.tensor([[2., 0.], [0., 1.]])).eigenvalues
    tensor([1., 2.])
    """
    _check_eigh(A, UPLO)
    return EighResult(*apply(_eigh, (A,), (("uplo", UPLO),)))


@_linalg((2, 3, 3))
def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of a Hermitian matrix.

    >>> import tensorish
    >>> tensorish.linalg.eigvalsh(tensorish.tensor([[2., 0.], [0., 1.]]))
    tensor([1., 2.])
    """
    _check_eigh(A, UPLO)
    return apply(_eigvalsh, (A,), (("uplo", UPLO),))


# -- matrix functions -------------------------------------------------------------------------
def _eye_like(a):
    return jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)


# PyTorch's matrix_power: n == 0 copies an identity into the result (CopyBackwards), n == 1
# clones, larger powers chain mm (matmul, UnsafeViewBackward0, on batches).
_power_ops = {
    "CopyBackwards": Op("CopyBackwards", lambda a, n: _eye_like(a), saves=()),
    "CloneBackward0": Op("CloneBackward0", lambda a, n: a, saves=()),
    "MmBackward0": Op("MmBackward0", lambda a, n: jnp.linalg.matrix_power(a, n)),
    "UnsafeViewBackward0": Op("UnsafeViewBackward0", lambda a, n: jnp.linalg.matrix_power(a, n)),
}


@_linalg((3, 3), args=(3,))
def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` raised to the integer power ``n`` (negative powers invert first).

    >>> import tensorish
    >>> tensorish.linalg.matrix_power(tensorish.tensor([[2., 0.], [0., 1.]]), -2)
    tensor([[0.2500, 0.0000],
            [0.0000, 1.0000]])
    """
    _check_square("linalg.matrix_power", A)
    if n < 0:
        _check_float("linalg.inv", A)
        A, n = _inv_checked(A).inverse, -n
        if n == 1:
            return A
    name = (
        "CopyBackwards"
        if n == 0
        else "CloneBackward0"
        if n == 1
        else "MmBackward0"
        if A.ndim == 2
        else "UnsafeViewBackward0"
    )
    return apply(_power_ops[name], (A,), (("n", n),))


_matrix_exp = Op("LinalgMatrixExpBackward0", jax.scipy.linalg.expm)


@_linalg((3, 3))
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential.

    >>> import tensorish
    >>> tensorish.linalg.matrix_exp(tensorish.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    _square_float("linalg.matrix_exp", A)
    return apply(_matrix_exp, (A,))


def _multi_dot_fn(*xs):
    first, last = xs[0].ndim == 1, xs[-1].ndim == 1
    xs = ((xs[0][None] if first else xs[0]),) + xs[1:-1] + ((xs[-1][:, None] if last else xs[-1]),)
    out = jnp.linalg.multi_dot(xs, precision="highest")
    return out[0 if first else slice(None)][..., 0] if last else (out[0] if first else out)


# PyTorch's multi_dot ends by viewing the chained mm into the output shape.
_multi_dot = Op("ViewBackward0", _multi_dot_fn)


@_linalg((2, 3), (3, 4), (4, 5), args=(TENSORS,))
def multi_dot(tensors) -> Tensor:
    """The chained matrix product, in the cheapest order; the first and last may be 1-D.

    >>> import tensorish
    >>> tensorish.linalg.multi_dot([tensorish.ones(3), tensorish.ones(3, 2), tensorish.ones(2)])
    tensor(6.)
    """
    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(ts):
        where = "first" if i == 0 else "last" if i == n - 1 else None
        if where and t.ndim not in (1, 2):
            raise RuntimeError(
                f"multi_dot(): the {where} tensor must be 1D or 2D but got {t.ndim}D"
            )
        if not where and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    for i, t in enumerate(ts[1:], 1):
        if t.dtype is not ts[0].dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{ts[0].dtype.title.lower()} and tensor {i} {t.dtype.title.lower()}"
            )
    shapes = [list(t.shape) for t in ts]
    if ts[0].ndim == 1:
        shapes[0] = [1] + shapes[0]
    if ts[-1].ndim == 1:
        shapes[-1] = shapes[-1] + [1]
    for i in range(n - 1):
        if shapes[i][1] != shapes[i + 1][0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {shapes[i]} and "
                f"{shapes[i + 1]} cannot be multiplied"
            )
    return apply(_multi_dot, tuple(ts))


def _rank_fn(a, atol, rtol, hermitian):
    s = jnp.abs(jnp.linalg.eigvalsh(a)) if hermitian else jnp.linalg.svd(a, compute_uv=False)
    smax = jnp.max(s, axis=-1, keepdims=True)
    if rtol is None:
        rtol = 0.0 if atol else jnp.finfo(a.dtype).eps * max(a.shape[-2:])
    return jnp.sum(s > jnp.maximum(atol or 0.0, rtol * smax), axis=-1).astype(jnp.int64)


_matrix_rank = Op("LinalgMatrixRankBackward0", _rank_fn, differentiable=False)


@_linalg((4, 3))
def matrix_rank(
    A: Tensor,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    hermitian: bool = False,
    tol: float | None = None,
) -> Tensor:
    """The numerical rank: singular values above ``max(atol, rtol * largest)``.

    >>> import tensorish
    >>> tensorish.linalg.matrix_rank(tensorish.ones(3, 3))
    tensor(1)
    """
    if A.dtype not in (_dtype.float32, _dtype.float64, _dtype.complex64, _dtype.complex128):
        raise RuntimeError("This function doesn't handle types other than float and double")
    _check_matrix("linalg.matrix_rank", A)
    if hermitian:
        _check_square("linalg.eigh", A)
    if tol is not None:
        atol = tol
    static = (
        ("atol", None if atol is None else float(atol)),
        ("rtol", None if rtol is None else float(rtol)),
        ("hermitian", hermitian),
    )
    return apply(_matrix_rank, (A,), static)


_vecdot = Op("SumBackward1", lambda x, y, dim: jnp.sum(jnp.conj(x) * y, axis=dim))


@_linalg((2, 3), (3,))
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim``, broadcasting the other dimensions.

    >>> import tensorish
    >>> tensorish.linalg.vecdot(tensorish.ones(2, 3), tensorish.ones(3))
    tensor([3., 3.])
    """
    if x.dtype is not y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{x.dtype.title} and y of type {y.dtype.title} instead"
        )
    shape = jnp.broadcast_shapes(x.shape, y.shape)
    return apply(_vecdot, (x, y), (("dim", _wrap_dim(dim, len(shape)) - len(shape)),))


def _cond_fn(a, p):
    if p in (None, 2.0, -2.0):
        s = jnp.linalg.svd(a, compute_uv=False)
        return s[..., -1] / s[..., 0] if p == -2.0 else s[..., 0] / s[..., -1]

    def norm(x):
        if p == "fro":
            return jnp.sqrt(jnp.sum(_abs(x) ** 2, axis=(-2, -1)))
        return _matrix_norm_fn(x, p, (-2, -1), False, x.dtype)

    r = norm(a) * norm(jnp.linalg.inv(a))
    return r if p == "nuc" else jnp.where(jnp.isnan(r), jnp.inf, r)


# PyTorch's cond ends in the node of its last step: squeezing the singular-value ratio, the
# product of the two nuclear norms, or replacing the nan of a singular input by inf.
_cond_ops = {
    name: Op(name, _cond_fn) for name in ("SqueezeBackward1", "MulBackward0", "NanToNumBackward0")
}


@_linalg((2, 3, 3))
def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of ``A`` in the matrix norm ``p`` (default: the 2-norm).

    >>> import tensorish
    >>> tensorish.linalg.cond(tensorish.tensor([[2., 0.], [0., 1.]]))
    tensor(2.)
    """
    _check_matrix("linalg.cond", A)
    _check_float("linalg.cond", A)
    if p not in (None,) + _MATRIX_ORDS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    name = (
        "SqueezeBackward1"
        if p in (None, 2, -2)
        else "MulBackward0"
        if p == "nuc"
        else "NanToNumBackward0"
    )
    if name != "SqueezeBackward1":
        _check_square("linalg.cond", A)
    return apply(
        _cond_ops[name], (A,), (("p", p if p is None or p in ("fro", "nuc") else float(p)),)
    )


# -- norms ---------------------------------------------------------------------------------------
def _vector_norm_fn(x, ord, dim, keepdim, dtype):
    a = _abs(x.astype(dtype))
    if ord == math.inf:
        return jnp.max(a, axis=dim, keepdims=keepdim)
    if ord == -math.inf:
        return jnp.min(a, axis=dim, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=dim, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=dim, keepdims=keepdim)
    # NOTE: PyTorch's gradient is 0 where the norm is 0 (JAX's would be nan).
    s = jnp.sum(a * a if ord == 2 else a**ord, axis=dim, keepdims=keepdim)
    pos = s > 0
    safe = jnp.where(pos, s, 1)
    return jnp.where(pos, jnp.sqrt(safe) if ord == 2 else safe ** (1 / ord), 0)


_vector_norm = Op("LinalgVectorNormBackward0", _vector_norm_fn)


def _norm_dtype(name: str, A: Tensor, dtype) -> None:
    _check_float(name, A)
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(
            f"{name}: dtype should be floating point or complex, but got {dtype.title}"
        )


def _norm_dims(dim, ndim: int) -> tuple[int, ...]:
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(_wrap_dim(d, max(ndim, 1)) for d in dim) if ndim else ()
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


@_linalg((3, 4))
def vector_norm(
    x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements by default).

    >>> import tensorish
    >>> tensorish.linalg.vector_norm(tensorish.tensor([3., -4.]))
    tensor(5.)
    """
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}"
        )
    _norm_dtype("linalg.vector_norm", x, dtype)
    compute = dtype or x.dtype
    static = (
        ("ord", float(ord)),
        ("dim", _norm_dims(dim, x.ndim)),
        ("keepdim", keepdim),
        ("dtype", compute.np),
    )
    return apply(_vector_norm, (x,), static)


def _matrix_norm_fn(a, ord, dim, keepdim, dtype):
    a = jnp.moveaxis(a.astype(dtype), dim, (-2, -1))
    if ord in ("nuc", 2.0, -2.0):
        s = jnp.linalg.svd(a, compute_uv=False)
        r = jnp.sum(s, -1) if ord == "nuc" else (jnp.max if ord > 0 else jnp.min)(s, -1)
    else:
        along = -2 if abs(ord) == 1 else -1
        sums = jnp.sum(_abs(a), along)
        r = (jnp.max if ord > 0 else jnp.min)(sums, -1)
    if keepdim:
        for d in sorted(dim):
            r = jnp.expand_dims(r, d)
    return r


_matrix_norm_ops = {
    name: Op(name, _matrix_norm_fn) for name in ("SumBackward1", "AmaxBackward0", "AminBackward0")
}
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


@_linalg((2, 3, 4))
def matrix_norm(
    A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """The matrix norm (fro, nuc, 1, -1, 2, -2, inf, -inf) over the two dimensions ``dim``.

    >>> import tensorish
    >>> tensorish.linalg.matrix_norm(tensorish.tensor([[3., 0.], [0., 4.]]), ord=1)
    tensor(4.)
    """
    _check_matrix("linalg.matrix_norm", A)
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _norm_dtype("linalg.matrix_norm", A, dtype)
    dims = tuple(_wrap_dim(d, A.ndim) for d in dim)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got {dims}")
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim, dtype=dtype)
    name = "SumBackward1" if ord == "nuc" else "AmaxBackward0" if ord > 0 else "AminBackward0"
    static = (
        ("ord", ord if ord == "nuc" else float(ord)),
        ("dim", dims),
        ("keepdim", keepdim),
        ("dtype", (dtype or A.dtype).np),
    )
    return apply(_matrix_norm_ops[name], (A,), static)


@_linalg((3, 4))
def norm(
    A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """A vector norm (1-D, or ``dim`` an int) or a matrix norm (2-D, or ``dim`` a pair).

    >>> import tensorish
    >>> tensorish.linalg.norm(tensorish.tensor([[3., 0.], [0., 4.]]))
    tensor(5.)
    """
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, ord, dims, keepdim, dtype=dtype)
        return vector_norm(A, ord, dims, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if A.ndim == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = ["LinAlgError", *public(__name__)]

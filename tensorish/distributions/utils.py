"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy
properties and packing lower-triangular matrices (``torch.distributions.utils``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import update_wrapper
from typing import Any

from .. import _creation, _dtype, _random, _tensor, autograd, ops
from .._tensor import Tensor
from ..nn import functional as F

euler_constant = 0.57721566490153286060  # Euler Mascheroni Constant

Number = (int, float, bool)  # what torch.distributions accepts as a scalar parameter

__all__ = [
    "broadcast_all",
    "logits_to_probs",
    "clamp_probs",
    "probs_to_logits",
    "lazy_property",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]


def broadcast_all(*values: Tensor | float) -> tuple[Tensor, ...]:
    """Broadcast tensors and numbers together; numbers take the first tensor's dtype and device
    (the default dtype if there is no tensor).

    >>> import tensorish
    >>> from tensorish.distributions.utils import broadcast_all
    >>> [v.shape for v in broadcast_all(tensorish.zeros(2, 1), 1.0, tensorish.ones(3))]
    [tensorish.Size([2, 3]), tensorish.Size([2, 3]), tensorish.Size([2, 3])]
    """
    if not all(isinstance(v, (Tensor, *Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, "
            "tensorish.Tensor or objects implementing __torch_function__."
        )
    if not all(isinstance(v, Tensor) for v in values):
        options: dict[str, Any] = {"dtype": _dtype.get_default_dtype()}
        for value in values:
            if isinstance(value, Tensor):
                options = {"dtype": value.dtype, "device": value.device}
                break
        values = tuple(
            v if isinstance(v, Tensor) else _creation.tensor(v, **options) for v in values
        )
    return tuple(ops.broadcast_tensors(*values))


def _standard_normal(shape: Sequence[int], dtype: Any, device: Any) -> Tensor:
    return _random.randn(tuple(shape), dtype=dtype, device=device)


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: a sigmoid of log-odds (binary) or a softmax over the last dim.

    >>> import tensorish
    >>> from tensorish.distributions.utils import logits_to_probs
    >>> logits_to_probs(tensorish.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """
    if is_binary:
        return ops.sigmoid(logits)
    return F.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into ``[eps, 1 - eps]`` for the dtype's machine epsilon.

    >>> import tensorish
    >>> from tensorish.distributions.utils import clamp_probs
    >>> clamp_probs(tensorish.tensor([0.0, 0.5, 1.0]))
    tensor([1.1921e-07, 5.0000e-01, 1.0000e+00])
    """
    eps = _dtype.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities: log-odds (binary) or clamped log-probabilities.

    >>> import tensorish
    >>> from tensorish.distributions.utils import probs_to_logits
    >>> probs_to_logits(tensorish.tensor([0.5]), is_binary=True)
    tensor([0.])
    """
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ops.log(ps_clamped) - ops.log1p(-ps_clamped)
    return ops.log(ps_clamped)


class lazy_property:
    """A property computed (with grad enabled) on first access, then stored on the instance.

    >>> from tensorish.distributions.utils import lazy_property
    >>> class A:
    ...     @lazy_property
    ...     def x(self):
    ...         return 3
    >>> a = A(); a.x, "x" in a.__dict__
    (3, True)
    """

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with autograd.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """Looks like a property to documentation tools and like a lazy_property to validation."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        property.__init__(self, wrapped)


def _tril_mask(n: int, diag: int, device: Any) -> Tensor:
    arange = _creation.arange(n, device=device)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower-triangular entries (below ``diag``) of a (batch of) square matrix, row by row.

    >>> import tensorish
    >>> from tensorish.distributions.utils import tril_matrix_to_vec
    >>> tril_matrix_to_vec(tensorish.tensor([[1., 2.], [3., 4.]]))
    tensor([1., 3., 4.])
    """
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of ``tril_matrix_to_vec``: a (batch of) lower-triangular square matrix.

    >>> import tensorish
    >>> from tensorish.distributions.utils import vec_to_tril_matrix
    >>> vec_to_tril_matrix(tensorish.tensor([1., 3., 4.]))
    tensor([[1., 0.],
            [3., 4.]])
    """
    # +ve root of D**2 + (1+2*diag)*D - |diag| * (diag+1) - 2*vec.shape[-1] = 0
    n = (
        -(1 + 2 * diag)
        + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5
    ) / 2
    eps = _dtype.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(
            f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
            + "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    mat = _creation.zeros(vec.shape[:-1] + (n, n), dtype=vec.dtype, device=vec.device)
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat


def _probs_or_logits(probs: Any, logits: Any) -> tuple[str, Any]:
    """Which of ``probs``/``logits`` was given (exactly one must be), and its value."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    return ("probs", probs) if probs is not None else ("logits", logits)


def _broadcast_params(*values: Tensor | float) -> tuple[tuple[Tensor, ...], Any]:
    """``broadcast_all(*values)`` and the batch shape: empty when every value is a number."""
    tensors = broadcast_all(*values)
    if all(isinstance(v, Number) for v in values):
        return tensors, _tensor.Size()
    return tensors, tensors[0].size()

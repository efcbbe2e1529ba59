"""Comparison, logical and bitwise ops: never differentiable; comparisons and logic give bool.

Operands are promoted as PyTorch promotes them (``int_tensor < 2.5`` compares in float32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import jax.numpy as jnp

from .. import _dtype
from .._tensor import Tensor
from ._common import Op, apply, promote, result_type
from ._pointwise import _broadcast_error, _need_tensor, _not_implemented
from ._registry import Ints, Sample, declare, public

# The oracle test's operands: small integers (so that ties and equal elements occur), broadcast.
_INTS = Sample((Ints((3, 1), 3), Ints((1, 4), 3)))
_BITS = Sample((Ints((3, 1), 16), Ints((1, 4), 4)))
_TRUTHS = Sample((Ints((3, 1), 2), Ints((1, 4), 2)))


def _op(fn: Callable) -> Op:
    return Op("NotDifferentiable", fn, saves=(), differentiable=False, on_error=_broadcast_error)


def _compare(name: str, fn: Callable, *, ordered: bool = False, alias: str = "") -> Callable:
    op = _op(fn)

    def f(input: Tensor, other) -> Tensor:
        args, cast, dt = promote(input, other)
        if ordered and dt.is_complex:
            _not_implemented(f"{name}_cpu", dt)
        return apply(op, args, (), cast)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` as a bool tensor, broadcast, in the promoted dtype."
    spelled = {"aliases": (alias,)} if alias else {}
    return declare(inplace=True, operators=(f"__{name}__",), test=_INTS, **spelled)(f)


eq = _compare("eq", jnp.equal)
ne = _compare("ne", jnp.not_equal, alias="not_equal")
lt = _compare("lt", jnp.less, ordered=True, alias="less")
le = _compare("le", jnp.less_equal, ordered=True, alias="less_equal")
gt = _compare("gt", jnp.greater, ordered=True, alias="greater")
ge = _compare("ge", jnp.greater_equal, ordered=True, alias="greater_equal")


def _unary_test(name: str, fn: Callable) -> Callable:
    op = _op(fn)

    def f(input: Tensor) -> Tensor:
        _need_tensor(name, ("input", input))
        return apply(op, (input,))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` as a bool tensor."
    return declare(test=Sample())(f)


def _is_float(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.inexact)


isnan = _unary_test("isnan", jnp.isnan)
isinf = _unary_test("isinf", jnp.isinf)
isfinite = _unary_test("isfinite", jnp.isfinite)
isposinf = _unary_test("isposinf", jnp.isposinf)
isneginf = _unary_test("isneginf", jnp.isneginf)
isreal = _unary_test(
    "isreal", lambda x: jnp.imag(x) == 0 if jnp.iscomplexobj(x) else jnp.ones(x.shape, bool)
)
_signbit = _op(lambda x: jnp.signbit(x) if _is_float(x) else x < 0)


@declare(test=Sample())
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (also for -0.0).

    >>> import tensorish
    >>> tensorish.signbit(tensorish.tensor([-0.0, 1.0]))
    tensor([ True, False])
    """
    _need_tensor("signbit", ("input", input))
    if input.dtype.is_complex:
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return apply(_signbit, (input,))


# -- logical ------------------------------------------------------------------------------------
def _logical(name: str, fn: Callable) -> Callable:
    op = _op(lambda a, b: fn(a.astype(bool), b.astype(bool)))

    def f(input: Tensor, other: Tensor) -> Tensor:
        _need_tensor(name, ("input", input), ("other", other))
        return apply(op, (input, other))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of the truth values (nonzero is True), as bool."
    return declare(inplace=True, test=_TRUTHS)(f)


logical_and = _logical("logical_and", jnp.logical_and)
logical_or = _logical("logical_or", jnp.logical_or)
logical_xor = _logical("logical_xor", jnp.logical_xor)
_logical_not = _op(lambda x: jnp.logical_not(x.astype(bool)))


@declare(inplace=True, test=Sample((Ints((3, 4), 2),)))
def logical_not(input: Tensor) -> Tensor:
    """True where ``input`` is zero.

    >>> import tensorish
    >>> tensorish.logical_not(tensorish.tensor([0., 2.]))
    tensor([ True, False])
    """
    _need_tensor("logical_not", ("input", input))
    return apply(_logical_not, (input,))


# -- bitwise ------------------------------------------------------------------------------------
_NOT_BITS = frozenset(d for d in _dtype.ALL if d.is_floating_point or d.is_complex)


def _bitwise(
    name: str, fn: Callable, kernel: str, refuse: frozenset = _NOT_BITS, **spellings
) -> Callable:
    op = _op(fn)

    def f(input, other) -> Tensor:
        dt = result_type(input, other)
        if dt in refuse:
            _not_implemented(kernel, dt)
        args, cast, _ = promote(input, other)
        return apply(op, args, (), cast)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors (scalars allowed)."
    return declare(inplace=True, test=_BITS, **spellings)(f)


bitwise_and = _bitwise(
    "bitwise_and", jnp.bitwise_and, "bitwise_and_cpu", operators=("__and__", "__rand__")
)
bitwise_or = _bitwise(
    "bitwise_or", jnp.bitwise_or, "bitwise_or_cpu", operators=("__or__", "__ror__")
)
bitwise_xor = _bitwise(
    "bitwise_xor", jnp.bitwise_xor, "bitwise_xor_cpu", operators=("__xor__", "__rxor__")
)
_SHIFT_REFUSE = _NOT_BITS | {_dtype.bool_}
bitwise_left_shift = _bitwise(
    "bitwise_left_shift",
    jnp.left_shift,
    "lshift_cpu",
    _SHIFT_REFUSE,
    operators=("__lshift__",),
    reflected=("__rlshift__",),
)
bitwise_right_shift = _bitwise(
    "bitwise_right_shift",
    jnp.right_shift,
    "rshift_cpu",
    _SHIFT_REFUSE,
    operators=("__rshift__",),
    reflected=("__rrshift__",),
)
_bitwise_not = _op(lambda x: jnp.logical_not(x) if x.dtype == bool else jnp.bitwise_not(x))


@declare(inplace=True, test=Sample((Ints((3, 4), 16),)))
def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise NOT of an integer tensor (logical NOT of a bool one).

    >>> import tensorish
    >>> tensorish.bitwise_not(tensorish.tensor([0, 5]))
    tensor([-1, -6])
    """
    _need_tensor("bitwise_not", ("input", input))
    if input.dtype in _NOT_BITS:
        _not_implemented("bitwise_not_cpu", input.dtype)
    return apply(_bitwise_not, (input,))


# -- closeness ----------------------------------------------------------------------------------
def _isclose_fn(a, b, rtol, atol, equal_nan, default):
    close = a == b
    if equal_nan:
        close = close | (jnp.isnan(a) & jnp.isnan(b))
    if rtol == 0 and atol == 0:
        return close
    if not _is_float(a):
        a, b = a.astype(default), b.astype(default)
    err = jnp.abs(a - b)
    return close | (jnp.isfinite(err) & (err <= atol + jnp.abs(rtol * b)))


_isclose = _op(_isclose_fn)
_all_equal = Op("NotDifferentiable", lambda a, b: jnp.all(a == b), differentiable=False)


@declare(test=Sample(((3, 4), (3, 4)), kwargs={"atol": 0.5}))
def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """True where ``|input - other| <= atol + rtol * |other|`` (or both equal).

    >>> import tensorish
    >>> tensorish.isclose(tensorish.tensor([1., 2.]), tensorish.tensor([1., 2.1]))
    tensor([ True, False])
    """
    _need_tensor("isclose", ("input", input), ("other", other))
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype.title} did not match {other.dtype.title}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    static = (
        ("rtol", float(rtol)),
        ("atol", float(atol)),
        ("equal_nan", bool(equal_nan)),
        ("default", _dtype.get_default_dtype().np),
    )
    return apply(_isclose, (input, other), static)


@declare(test=Sample(((3, 4), (3, 4)), kwargs={"atol": 2.0}, grad=False))
def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see :func:`isclose`).

    >>> import tensorish
    >>> tensorish.allclose(tensorish.tensor([1., 2.]), tensorish.tensor([1., 2. + 1e-7]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._value.all())


@declare(test=Sample(((3, 4), (3, 4)), grad=False))
def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape and elements.

    >>> import tensorish
    >>> tensorish.equal(tensorish.tensor([1, 2]), tensorish.tensor([1., 2.]))
    True
    """
    _need_tensor("equal", ("input", input), ("other", other))
    if input.shape != other.shape:
        return False
    args, cast, _ = promote(input, other)
    return bool(apply(_all_equal, args, (), cast)._value)


@declare(name="__invert__", namespace="tensorish.Tensor", test=Sample((Ints((3, 4), 16),)))
def _invert(self: Tensor) -> Tensor:
    """``~self``: ``bitwise_not``, for integer and bool tensors only."""
    if self.dtype in _NOT_BITS:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

"""Pointwise ops: one declaration each, PyTorch's promotion applied before dispatch."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._tensor import Tensor, method
from ._common import Op, apply, inplace, is_operand, promote


def _broadcast_error(args, static) -> None:
    shapes = [np.shape(a._value if isinstance(a, Tensor) else a) for a in args]
    a, b = shapes[0], shapes[1]
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            raise RuntimeError(
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at "
                f"non-singleton dimension {max(len(a), len(b)) - i}")


def _binary(a, b, op: Op, static: tuple = (), to=None) -> Tensor:
    args, cast, _ = promote(a, b, to=to)
    return apply(op, args, static, cast)


def _float_of(*xs) -> _dtype.dtype:
    from ._common import result_type

    dt = result_type(*xs)
    return dt if dt.is_floating_point or dt.is_complex else _dtype.get_default_dtype()


_add = Op("AddBackward0", lambda a, b, alpha=1: a + alpha * b if alpha != 1 else a + b,
          saves=(), on_error=_broadcast_error)
_sub = Op("SubBackward0", lambda a, b, alpha=1: a - alpha * b if alpha != 1 else a - b,
          saves=(), on_error=_broadcast_error)
_rsub = Op("RsubBackward1", lambda a, b, alpha=1: b - alpha * a if alpha != 1 else b - a,
           saves=(), on_error=_broadcast_error)
_mul = Op("MulBackward0", jnp.multiply, on_error=_broadcast_error)
_div = Op("DivBackward0", jnp.true_divide, on_error=_broadcast_error)
_pow_scalar = Op("PowBackward0", lambda a, exponent: a**exponent, saves=(0,))
_pow = Op("PowBackward1", jnp.power, on_error=_broadcast_error)
_neg = Op("NegBackward0", jnp.negative, saves=())
_reciprocal = Op("ReciprocalBackward0", jnp.reciprocal)


def _check_sub(a, b) -> None:
    bools = [x.dtype is _dtype.bool_ if isinstance(x, Tensor) else isinstance(x, bool)
             for x in (a, b)]
    if all(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


@method
def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, broadcast, in PyTorch's promoted dtype.

    >>> import tensorish
    >>> tensorish.add(tensorish.ones(2), tensorish.ones(2), alpha=2)
    tensor([3., 3.])
    """
    return _binary(input, other, _add, (("alpha", alpha),) if alpha != 1 else ())


@method
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``.

    >>> import tensorish
    >>> tensorish.sub(tensorish.ones(2), 1)
    tensor([0., 0.])
    """
    _check_sub(input, other)
    return _binary(input, other, _sub, (("alpha", alpha),) if alpha != 1 else ())


subtract = sub


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    _check_sub(input, other)
    return _binary(input, other, _rsub, (("alpha", alpha),) if alpha != 1 else ())


@method
def mul(input, other) -> Tensor:
    """``input * other``.

    >>> import tensorish
    >>> tensorish.mul(tensorish.ones(2), 3)
    tensor([3., 3.])
    """
    return _binary(input, other, _mul)


multiply = mul


@method
def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; integer inputs give the default float dtype.

    >>> import tensorish
    >>> tensorish.div(tensorish.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if rounding_mode is not None:
        raise NotImplementedError("div with rounding_mode is not supported yet")
    return _binary(input, other, _div, to=_float_of(input, other))


divide = true_divide = div


@method
def pow(input, exponent) -> Tensor:
    """``input ** exponent``.

    >>> import tensorish
    >>> tensorish.pow(tensorish.tensor([1., 2.]), 2)
    tensor([1., 4.])
    """
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        args, cast, _ = promote(input, exponent)
        return apply(_pow_scalar, args[:1], (("exponent", exponent),), cast and cast[:1])
    return _binary(input, exponent, _pow)


@method
def neg(input: Tensor) -> Tensor:
    """``-input``."""
    if input.dtype is _dtype.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(_neg, (input,))


negative = neg


@method
def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``; integer inputs give the default float dtype."""
    dt = _float_of(input)
    return apply(_reciprocal, (input,), (), None if input.dtype is dt else (dt.np,))


def _operator(fn):
    def op(self, other):
        return fn(self, other) if is_operand(other) else NotImplemented

    return op


def _reflected(fn):
    def op(self, other):
        return fn(other, self) if is_operand(other) else NotImplemented

    return op


def _inplace_method(fn):
    def op(self, other, **kwargs):
        return inplace(self, lambda s: fn(s, other, **kwargs))

    op.__name__ = fn.__name__ + "_"
    return op


Tensor.__add__ = Tensor.__radd__ = _operator(add)
Tensor.__sub__ = _operator(sub)
Tensor.__rsub__ = _operator(rsub)
Tensor.__mul__ = Tensor.__rmul__ = _operator(mul)
Tensor.__truediv__ = _operator(div)
# PyTorch computes ``scalar / t`` as ``t.reciprocal() * scalar`` (so its grad_fn is Mul).
Tensor.__rtruediv__ = _operator(lambda self, other: mul(reciprocal(self), other))
Tensor.__pow__ = _operator(pow)
Tensor.__rpow__ = _reflected(pow)
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
for _fn in (add, sub, mul, div, pow):
    method(_inplace_method(_fn))
Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ipow__ = Tensor.pow_

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "pow", "neg", "negative", "reciprocal"]

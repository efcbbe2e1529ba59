"""Python numbers traced by tensorish.compile: ``TracedScalar``.

While tensorish.compile traces a step, the Python ints and floats it reaches (learning rates,
step counts) become TracedScalars: arithmetic on them is traced, and a concrete use makes the
compiled function guard on the value. The type sits below the op table, so ops take one where
they take a Python number without depending on the compiler; the trace it reports to is the
calling thread's ``mode.trace``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._mode import mode
from ._tensor import Tensor


class TracedScalar:
    """A Python int or float hyperparameter during a trace: traced arithmetic, guarded concrete use.

    It passes ``isinstance(x, float)`` (or ``int``), so ops take it where they take a Python
    number, as a traced value; anything that needs its concrete value (``if lr > 0``, ``alpha=``
    of an op, ``float(lr)``) gets it and makes the compiled function specialize on it.
    """

    __slots__ = ("v", "t", "src", "fn")

    def __init__(self, v, t, src: frozenset, fn: Callable | None = None) -> None:
        # fn recomputes the value from the hyperparameter values of a later call, so that a
        # comparison (``if last_epoch == 0``) guards on its outcome, not on the exact value.
        self.v, self.t, self.src, self.fn = v, t, src, fn

    @property
    def __class__(self):
        return type(self.v)

    def concrete(self):
        tr = mode.trace
        if tr is not None:
            tr.guards |= self.src
        return self.v

    def traced(self, dtype=None) -> jax.Array:
        tr = mode.trace
        if tr is not None:
            tr.traced |= self.src
        return self.t if dtype is None else jnp.asarray(self.t, dtype)

    __jax_array__ = traced

    def __repr__(self) -> str:
        return repr(self.concrete())

    def __bool__(self) -> bool:
        return bool(self.concrete())

    def __float__(self) -> float:
        return float(self.concrete())

    def __int__(self) -> int:
        return int(self.concrete())

    def __index__(self) -> int:
        return operator.index(self.concrete())

    def __hash__(self) -> int:
        return hash(self.concrete())

    def __format__(self, spec: str) -> str:
        return format(self.concrete(), spec)

    def __round__(self, n=None):
        return round(self.concrete(), n)


def _recompute(x) -> Callable | None:
    if type(x) is TracedScalar:
        return x.fn
    return lambda h, x=x: x


def _arith(fn: Callable, reflected: bool = False) -> Callable:
    def op(self, other):
        if type(other) is TracedScalar:
            ov, ot, src = other.v, other.t, self.src | other.src
        elif type(other) in (int, float, bool):
            ov, ot, src = other, other, self.src
        elif isinstance(other, Tensor) or not isinstance(other, (jax.Array, np.ndarray)):
            return NotImplemented
        else:  # a raw array inside an op's function: use the concrete value
            return fn(other, self.concrete()) if reflected else fn(self.concrete(), other)
        f, g = self.fn, _recompute(other)
        rec = (
            None
            if f is None or g is None
            else ((lambda h: fn(g(h), f(h))) if reflected else (lambda h: fn(f(h), g(h))))
        )
        if reflected:
            return TracedScalar(fn(ov, self.v), fn(ot, self.t), src, rec)
        return TracedScalar(fn(self.v, ov), fn(self.t, ot), src, rec)

    return op


def _compare(fn: Callable) -> Callable:
    def op(self, other):
        f, g = self.fn, _recompute(other)
        tr = mode.trace
        if tr is None or f is None or g is None:
            other = other.concrete() if type(other) is TracedScalar else other
            return fn(self.concrete(), other)
        # Guard on the outcome: `last_epoch == 0` stays False for every later step.
        result = fn(self.v, other.v if type(other) is TracedScalar else other)
        tr.preds.append((lambda h: fn(f(h), g(h)), result))
        tr.traced |= self.src | (other.src if type(other) is TracedScalar else frozenset())
        return result

    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _f = getattr(operator, _name)
    setattr(TracedScalar, f"__{_name}__", _arith(_f))
    setattr(TracedScalar, f"__r{_name}__", _arith(_f, reflected=True))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(TracedScalar, f"__{_name}__", _compare(getattr(operator, _name)))
TracedScalar.__neg__ = lambda self: TracedScalar(
    -self.v, -self.t, self.src, self.fn and (lambda h, f=self.fn: -f(h))
)
TracedScalar.__pos__ = lambda self: self
TracedScalar.__abs__ = lambda self: TracedScalar(
    abs(self.v), jnp.abs(self.t), self.src, self.fn and (lambda h, f=self.fn: abs(f(h)))
)

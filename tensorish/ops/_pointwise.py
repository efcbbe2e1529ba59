"""Pointwise ops: one declaration each, PyTorch's promotion applied before dispatch.

Unary ops are declared by ``_unary`` (one line each); binary ops go through ``_binary``, which
promotes the operands as PyTorch does and refuses the dtypes PyTorch's kernels refuse.
Where PyTorch's subgradient at a kink differs from JAX's, the jnp function carries a
``jax.custom_jvp`` with a ``# NOTE:`` (a JVP rule, so forward mode and higher orders keep working).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy import special

from .. import _dtype
from .._dtype import CPP_NAMES as _CPP_NAMES
from .._op import ALL_INPUTS
from .._tensor import Tensor
from ._common import Op, _pair, apply, inplace, promote, result_type
from ._reduce import _return_type
from ._registry import Sample, declare, public

_INTEGRAL = frozenset(
    {_dtype.bool_, _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64}
)
_BOOL = frozenset({_dtype.bool_})
_PAIR = ((3, 1), (1, 4))  # the oracle test's operand shapes for binary ops (broadcast)


def _domain(low: float, high: float, shapes: tuple = _PAIR) -> Sample:
    return Sample(shapes, low=low, high=high, atol=1e-5)


def _each_rank(low: float, high: float) -> tuple[Sample, Sample]:
    """A unary op's oracle samples: a matrix and a 0-dim tensor from ``[low, high)``."""
    return Sample(low=low, high=high, atol=1e-5), Sample(((),), low=low, high=high, atol=1e-5)


def _broadcast_error(args, static) -> None:
    shapes = [np.shape(a._value if isinstance(a, Tensor) else a) for a in args]
    out: tuple = ()
    for s in shapes:
        for i in range(1, min(len(out), len(s)) + 1):
            if out[-i] != s[-i] and out[-i] != 1 and s[-i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({out[-i]}) must match the size of tensor b "
                    f"({s[-i]}) at non-singleton dimension {max(len(out), len(s)) - i}"
                )
        out = np.broadcast_shapes(out, s)


def _not_implemented(kernel: str, dt: _dtype.dtype):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{dt.title}'")


def _need_tensor(fname: str, *named) -> None:
    """PyTorch's TypeError for a non-Tensor where its signature takes only Tensors."""
    for pos, (arg, value) in enumerate(named, 1):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(value).__name__}"
            )


def _is_float(dt: _dtype.dtype) -> bool:
    return dt.is_floating_point or dt.is_complex


def _float_of(*xs) -> _dtype.dtype:
    dt = result_type(*xs)
    return dt if _is_float(dt) else _dtype.get_default_dtype()


def _binary(a, b, op: Op, static: tuple = (), to=None) -> Tensor:
    args, cast, _ = promote(a, b, to=to)
    return apply(op, args, static, cast)


def _is_int(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_


def _keep_int(fn: Callable) -> Callable:
    """``fn`` for floats, the identity for integers (floor, ceil, trunc, round of an int)."""
    return lambda x: x if _is_int(x) else fn(x)


def _no_derivative(fn: Callable, aten: str) -> Callable:
    # NOTE: PyTorch records a ``NotImplemented`` node for these ops: the output requires grad and
    # only backward fails, naming the aten op.
    @jax.custom_vjp
    def f(*xs):
        return fn(*xs)

    def bwd(_, g):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")

    f.defvjp(lambda *xs: (fn(*xs), None), bwd)
    return f


@jax.custom_vjp
def _nextafter_same_shape(x, other):
    return jnp.nextafter(x, other)


# NOTE: PyTorch passes the gradient through to ``input`` (the step is below its precision)
# except where ``input == other`` (the result is ``other`` there), and gives ``other`` none.
_nextafter_same_shape.defvjp(
    lambda x, other: (jnp.nextafter(x, other), (x, other)),
    lambda res, g: (jnp.where(res[0] == res[1], jnp.zeros_like(g), g), jnp.zeros_like(res[1])),
)


def _nextafter_fn(x, other):
    shape = jnp.broadcast_shapes(x.shape, other.shape)
    return _nextafter_same_shape(jnp.broadcast_to(x, shape), jnp.broadcast_to(other, shape))


def _angle_fn(x):
    # PyTorch's angle of a real number: pi below zero, else 0 (of -0. too), nan kept, and no
    # gradient (JAX's atan2(0, x) gives pi at -0. and a nan gradient at 0).
    if jnp.iscomplexobj(x):
        return jnp.angle(x)
    const = jnp.where(x < 0, jnp.pi, 0.0).astype(x.dtype)
    return jnp.where(jnp.isnan(x), jax.lax.stop_gradient(x), const)


def _sign_fn(x):
    # PyTorch's sign of nan is 0, and of -0. is 0. (not -0.).
    if x.dtype == jnp.bool_:
        return x
    s = jnp.sign(x)
    return jnp.where(jnp.isnan(x) | (x == 0), 0, s) if jnp.issubdtype(x.dtype, jnp.floating) else s


# -- subgradient conventions where PyTorch and JAX differ ---------------------------------------
@jax.custom_jvp
def _abs_fn(x):
    return jnp.abs(x)


def _abs_jvp(primals, tangents):
    # NOTE: d|x|/dx is PyTorch's sgn(x): 0 at 0 and at nan; JAX's abs passes 1 at 0. For a
    # complex x, sgn(x) = x / |x| (0 at 0) and the real output moves by Re(conj(sgn(x)) dx).
    (x,), (dx,) = primals, tangents
    a = jnp.abs(x)
    if not jnp.iscomplexobj(x):
        return a, dx * _sign_fn(x)
    zero = a == 0
    sgn = jnp.where(zero, 0, x / jnp.where(zero, 1, a).astype(x.dtype))
    return a, jnp.real(jnp.conj(sgn) * dx)


_abs_fn.defjvp(_abs_jvp)


@jax.custom_jvp
def _rsqrt_fn(x):
    return lax.rsqrt(x)


# NOTE: PyTorch's gradient is -0.5 * rsqrt(x) ** 3 (+inf at -0.0, where JAX's gives -inf).
_rsqrt_fn.defjvp(lambda p, t: (lax.rsqrt(p[0]), -0.5 * lax.rsqrt(p[0]) ** 3 * t[0]))


def _torch_pow(x, e):
    """``x ** e`` as PyTorch's kernel computes it, with its special cases for common exponents
    (they decide the sign of infinities and nan at -0.0 and -inf)."""
    special = {
        0.5: jnp.sqrt,
        -0.5: lax.rsqrt,
        2: lambda v: v * v,
        3: lambda v: v * v * v,
        -1: jnp.reciprocal,
        -2: lambda v: 1 / (v * v),
    }
    return special[e](x) if e in special else x**e


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _pow_scalar_fn(x, exponent):
    return _torch_pow(x, exponent)


@_pow_scalar_fn.defjvp
def _pow_scalar_jvp(exponent, p, t):
    # NOTE: PyTorch's gradient of x ** e is e * x ** (e - 1) through the same special cases as
    # the forward, and exactly 0 for e == 0 (JAX: nan at x == 0).
    (x,), (dx,) = p, t
    if exponent == 0:
        return _torch_pow(x, exponent), jnp.zeros_like(dx)
    return _torch_pow(x, exponent), exponent * _torch_pow(x, exponent - 1) * dx


@jax.custom_jvp
def _hypot_fn(x, y):
    return jnp.hypot(x, y)


@_hypot_fn.defjvp
def _hypot_jvp(p, t):
    # NOTE: PyTorch's gradient is x / hypot (nan at the origin); JAX's rewrite gives 0.5 there.
    (x, y), (dx, dy) = p, t
    r = jnp.hypot(x, y)
    return r, (x * dx + y * dy) / r


@jax.custom_jvp
def _atan2_fn(y, x):
    return jnp.arctan2(y, x)


@_atan2_fn.defjvp
def _atan2_jvp(p, t):
    # NOTE: PyTorch zeroes the gradient at the origin (its reciprocal of x² + y² is masked where
    # infinite); JAX gives nan there.
    (y, x), (dy, dx) = p, t
    r2 = x * x + y * y
    recip = jnp.where(r2 == 0, 0, 1 / jnp.where(r2 == 0, 1, r2))
    return jnp.arctan2(y, x), (x * dy - y * dx) * recip


def _int_pow(x, y):
    # PyTorch's integer pow: a negative exponent gives 0, except for bases 1 and -1.
    neg = jnp.where(x == 1, 1, jnp.where(x == -1, jnp.where(y % 2 == 0, 1, -1), 0))
    return jnp.where(y < 0, neg.astype(x.dtype), jnp.power(x, jnp.maximum(y, 0)))


@jax.custom_jvp
def _pow_fn(x, y):
    return _int_pow(x, y) if jnp.issubdtype(x.dtype, jnp.signedinteger) else jnp.power(x, y)


@_pow_fn.defjvp
def _pow_jvp(p, t):
    # NOTE: PyTorch's pow gradients: zero for the base where the exponent is 0, and
    # ``result * log(base)`` for the exponent, masked to zero only where base == 0 and
    # exponent >= 0 (so 0 ** -1 gives -inf, where JAX gives nan).
    (x, y), (dx, dy) = p, t
    out = jnp.power(x, y)
    dbase = jnp.where(y == 0, 0, y * jnp.power(x, y - 1))
    dexp = jnp.where((x == 0) & (y >= 0), 0, out * jnp.log(jnp.where((x == 0) & (y >= 0), 1, x)))
    return out, dbase * dx + dexp * dy


@jax.custom_jvp
def _logaddexp_fn(x, y):
    return jnp.logaddexp(x, y)


@_logaddexp_fn.defjvp
def _logaddexp_jvp(p, t):
    # NOTE: PyTorch's gradient is 1 / (1 + exp(y - x)), nan where both are the same infinity;
    # JAX's rule returns 1 at (inf, inf).
    (x, y), (dx, dy) = p, t
    return jnp.logaddexp(x, y), dx / (1 + jnp.exp(y - x)) + dy / (1 + jnp.exp(x - y))


@jax.custom_jvp
def _logaddexp2_fn(x, y):
    return jnp.logaddexp2(x, y)


@_logaddexp2_fn.defjvp
def _logaddexp2_jvp(p, t):
    (x, y), (dx, dy) = p, t  # NOTE: as for logaddexp.
    return jnp.logaddexp2(x, y), dx / (1 + jnp.exp2(y - x)) + dy / (1 + jnp.exp2(x - y))


@jax.custom_jvp
def _copysign_fn(x, y):
    return jnp.copysign(x, y)


@_copysign_fn.defjvp
def _copysign_jvp(p, t):
    # NOTE: PyTorch's gradient is result / x, masked to 0 where x == 0; none flows to y.
    (x, y), (dx, _) = p, t
    out = jnp.copysign(x, y)
    return out, jnp.where(x == 0, 0, out / jnp.where(x == 0, 1, x)) * dx


def _trigamma(x):
    """PyTorch's trigamma (its series, so the values at the poles match too)."""
    sign = jnp.where(x < 0.5, -1.0, 1.0).astype(x.dtype)
    result = jnp.where(x < 0.5, -(math.pi**2) / jnp.sin(math.pi * x) ** 2, 0).astype(x.dtype)
    x = jnp.where(x < 0.5, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
    return sign * result


@jax.custom_jvp
def _digamma(x):
    # PyTorch's digamma(+-0) is -+inf (XLA: nan).
    return jnp.where(x == 0, jnp.copysign(jnp.inf, -x), lax.digamma(x))


# NOTE: the gradient is PyTorch's trigamma (XLA's polygamma is nan at 0 and inf at the poles).
_digamma.defjvp(lambda p, t: (_digamma(p[0]), _trigamma(p[0]) * t[0]))


@jax.custom_jvp
def _lgamma_fn(x):
    # NOTE: XLA's float32 lgamma(1) is 4.8e-7; PyTorch's (the C library's) is exactly 0.
    return jnp.where((x == 1) | (x == 2), jnp.zeros_like(x), lax.lgamma(x))


# NOTE: the gradient is PyTorch's digamma (which is -inf at 0, where XLA's is nan).
_lgamma_fn.defjvp(lambda p, t: (_lgamma_fn(p[0]), _digamma(p[0]) * t[0]))


@jax.custom_jvp
def _xlogy_fn(x, y):
    return jnp.where(jnp.isnan(y), jnp.nan, jnp.where(x == 0, 0, x * jnp.log(y)))


@_xlogy_fn.defjvp
def _xlogy_jvp(p, t):
    # NOTE: PyTorch's gradient for x is log(y), masked to 0 where x == 0 and y <= 0.
    (x, y), (dx, dy) = p, t
    dlog = jnp.where((x == 0) & (y <= 0), 0, jnp.log(y))
    return _xlogy_fn(x, y), dlog * dx + x / y * dy


def _clamp_fn(x, *bounds, lo: bool = True, hi: bool = True):
    return _CLAMPS[lo, hi](x, *bounds)


def _clamp_rule(lo: bool, hi: bool):
    def fwd(x, *b):
        return (
            jnp.minimum(jnp.maximum(x, b[0]), b[1])
            if lo and hi
            else (jnp.maximum(x, b[0]) if lo else jnp.minimum(x, b[0]))
        )

    f = jax.custom_jvp(fwd)

    @f.defjvp
    def jvp(p, t):
        # NOTE: PyTorch's clamp masks: x passes where lo <= x <= hi (never at nan); a tensor
        # bound gets the gradient where it is the result and lo < hi (max wins if lo > hi).
        x, *b = p
        dx, *db = t
        if lo and hi:
            (low, high), (dlow, dhigh) = b, db
            keep = (x >= low) & (x <= high)
            to_low = (x < low) & (low < high)
            to_high = (x > high) | (high < low)
            dy = jnp.where(keep, dx, 0) + jnp.where(to_low, dlow, 0) + jnp.where(to_high, dhigh, 0)
        elif lo:
            dy = jnp.where(x >= b[0], dx, 0) + jnp.where(x < b[0], db[0], 0)
        else:
            dy = jnp.where(x <= b[0], dx, 0) + jnp.where(x > b[0], db[0], 0)
        return fwd(x, *b), dy

    return f


_CLAMPS = {(lo, hi): _clamp_rule(lo, hi) for lo, hi in ((True, True), (True, False), (False, True))}


def _round_fn(x, decimals: int = 0):
    if decimals == 0:
        return jnp.round(x)
    if decimals > 0:
        f = 10.0**decimals
        return jnp.round(x * f) / f
    f = 10.0**-decimals
    return jnp.round(x / f) * f


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _logit_fn(x, eps=None):
    if eps is not None:
        x = jnp.clip(x, eps, 1 - eps)
    return jnp.log(x / (1 - x))


@_logit_fn.defjvp
def _logit_jvp(eps, p, t):
    # NOTE: PyTorch's gradient is 1 / (x (1 - x)) (inf at 0 and 1, where JAX's is nan); outside
    # [0, 1] it is nan, or with eps, 0 outside [eps, 1 - eps].
    (x,), (dx,) = p, t
    g = jnp.where(x == 0, jnp.inf, 1 / (x * (1 - x)))  # +inf at -0. too
    if eps is None:
        g = jnp.where((x < 0) | (x > 1), jnp.nan, g)
    else:
        g = jnp.where((x < eps) | (x > 1 - eps), 0, g)
    return _logit_fn(x, eps), g * dx


@jax.custom_jvp
def _lerp_fn(a, b, w):
    # PyTorch's two-sided formula: exact at both ends.
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


@_lerp_fn.defjvp
def _lerp_jvp(p, t):
    # NOTE: PyTorch's gradients (1 - w, w, b - a), without the nan that differentiating both
    # branches of the ``where`` leaves at infinite inputs.
    (a, b, w), (da, db, dw) = p, t
    return _lerp_fn(a, b, w), da * (1 - w) + db * w + dw * (b - a)


def _extremum_rule(fn, beaten):
    def first_on_tie(a, b):
        # PyTorch keeps the first operand at a tie (maximum(-0., 0.) is -0.) and nan from either.
        if not jnp.issubdtype(a.dtype, jnp.floating):
            return fn(a, b)
        return jnp.where(jnp.isnan(b) | beaten(a, b), b, a)

    f = jax.custom_jvp(first_on_tie)

    @f.defjvp
    def jvp(p, t):
        # NOTE: PyTorch splits the gradient at ties and, where either is nan, passes it whole to
        # both inputs (JAX gives it to one).
        (a, b), (da, db) = p, t
        half = jnp.asarray(0.5, a.dtype)
        wa = jnp.where(a == b, half, jnp.where(beaten(a, b), 0, 1).astype(a.dtype))
        wb = jnp.where(a == b, half, jnp.where(beaten(b, a), 0, 1).astype(a.dtype))
        return first_on_tie(a, b), wa * da + wb * db

    return f


_maximum_fn = _extremum_rule(jnp.maximum, jnp.less)
_minimum_fn = _extremum_rule(jnp.minimum, jnp.greater)


def _remainder_rule(fn, quotient):
    f = jax.custom_jvp(fn)

    # NOTE: PyTorch's gradient for the divisor is -quotient (nan for an infinite dividend).
    f.defjvp(lambda p, t: (fn(*p), t[0] - t[1] * quotient(*p)))
    return f


_remainder_fn = _remainder_rule(jnp.remainder, lambda a, b: _torch_floor_div(a, b))
_fmod_fn = _remainder_rule(jnp.fmod, lambda a, b: jnp.trunc(a / b))


def _torch_floor_div(a, b):
    """PyTorch's floor division of floats (via fmod, so nan for an infinite dividend)."""
    mod = jnp.fmod(a, b)
    div = (a - mod) / b
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    floor = jnp.floor(div)
    floor = jnp.where(div - floor > 0.5, floor + 1, floor)
    return jnp.where(b == 0, a / b, jnp.where(div != 0, floor, jnp.copysign(0, a / b)))


def _fmax_fn(a, b):
    return jnp.where((a >= b) | jnp.isnan(b), a, b)


def _fmin_fn(a, b):
    return jnp.where((a <= b) | jnp.isnan(b), a, b)


def _floor_div_fn(a, b):
    return jnp.floor_divide(a, b) if _is_int(a) else _torch_floor_div(a, b)


def _trunc_div_fn(a, b):
    return lax.div(a, b) if _is_int(a) else jnp.trunc(a / b)


def _rounded_div(fn):
    # PyTorch's gradient of a rounded quotient is exactly zero (also where b == 0).
    return lambda a, b: lax.stop_gradient(fn(a, b))


# -- unary ops ----------------------------------------------------------------------------------
def _in_float32(fn: Callable) -> Callable:
    """``fn`` computed in float32 for half-precision inputs, as PyTorch's CPU kernels do (XLA's
    bfloat16 ``exp2(5)`` is 31.625)."""

    def f(x):
        if x.dtype in (jnp.float16, jnp.bfloat16):
            return fn(x.astype(jnp.float32)).astype(x.dtype)
        return fn(x)

    return f


def _unary(
    name: str,
    grad_name: str,
    fn: Callable,
    *,
    to_float: bool = True,
    refuse: frozenset = frozenset(),
    kernel: str | None = None,
    saves=ALL_INPUTS,
    domain: tuple[float, float] = (-2, 2),
    aliases: tuple[str, ...] = (),
    operators: tuple[str, ...] = (),
) -> Callable:
    """Declare a unary op: ``tensorish.<name>``, ``Tensor.<name>`` and ``Tensor.<name>_``;
    the oracle test draws its inputs from ``domain``."""
    op = Op(grad_name, _in_float32(fn) if to_float else fn, saves=saves)

    def f(input: Tensor) -> Tensor:
        _need_tensor(name, ("input", input))
        dt = input.dtype
        if dt in refuse:
            _not_implemented(kernel or f"{name}_cpu", dt)
        if to_float and not _is_float(dt):
            return apply(op, (input,), (), (_dtype.get_default_dtype().np,))
        return apply(op, (input,))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}``" + (
        "; integer and bool inputs give the default float dtype." if to_float else "."
    )
    return declare(inplace=True, aliases=aliases, operators=operators, test=_each_rank(*domain))(f)


_NO_BOOL = dict(to_float=False, refuse=_BOOL)
_FLOAT_ONLY = dict(to_float=False, refuse=_INTEGRAL)
exp = _unary("exp", "ExpBackward0", jnp.exp, saves=())
exp2 = _unary("exp2", "Exp2Backward0", jnp.exp2, saves=())
expm1 = _unary("expm1", "Expm1Backward0", jnp.expm1, saves=())
log = _unary("log", "LogBackward0", jnp.log, domain=(0.1, 3))
log2 = _unary("log2", "Log2Backward0", jnp.log2, domain=(0.1, 3))
log10 = _unary("log10", "Log10Backward0", jnp.log10, domain=(0.1, 3))
log1p = _unary("log1p", "Log1PBackward0", jnp.log1p, domain=(-0.9, 2))
sqrt = _unary("sqrt", "SqrtBackward0", jnp.sqrt, saves=(), domain=(0.1, 3))
rsqrt = _unary("rsqrt", "RsqrtBackward0", _rsqrt_fn, saves=(), domain=(0.1, 3))
sin = _unary("sin", "SinBackward0", jnp.sin, domain=(-3, 3))
cos = _unary("cos", "CosBackward0", jnp.cos, domain=(-3, 3))
tan = _unary("tan", "TanBackward0", jnp.tan, saves=(), domain=(-1.2, 1.2))
asin = _unary("asin", "AsinBackward0", jnp.arcsin, domain=(-0.9, 0.9), aliases=("arcsin",))
acos = _unary("acos", "AcosBackward0", jnp.arccos, domain=(-0.9, 0.9), aliases=("arccos",))
atan = _unary("atan", "AtanBackward0", jnp.arctan, domain=(-3, 3), aliases=("arctan",))
sinh = _unary("sinh", "SinhBackward0", jnp.sinh)
cosh = _unary("cosh", "CoshBackward0", jnp.cosh)
tanh = _unary("tanh", "TanhBackward0", jnp.tanh, saves=())
asinh = _unary("asinh", "AsinhBackward0", jnp.arcsinh, aliases=("arcsinh",))
acosh = _unary("acosh", "AcoshBackward0", jnp.arccosh, domain=(1.1, 3), aliases=("arccosh",))
atanh = _unary("atanh", "AtanhBackward0", jnp.arctanh, domain=(-0.9, 0.9), aliases=("arctanh",))
sigmoid = _unary("sigmoid", "SigmoidBackward0", jax.nn.sigmoid, saves=(), domain=(-3, 3))
erf = _unary("erf", "ErfBackward0", special.erf)
erfc = _unary("erfc", "ErfcBackward0", special.erfc)
erfinv = _unary("erfinv", "ErfinvBackward0", special.erfinv, domain=(-0.9, 0.9))
lgamma = _unary("lgamma", "LgammaBackward0", _lgamma_fn, domain=(0.1, 4))
digamma = _unary("digamma", "DigammaBackward0", _digamma, domain=(0.1, 4))
deg2rad = _unary(
    "deg2rad", "Deg2RadBackward0", lambda x: x * (math.pi / 180), saves=(), domain=(-90, 90)
)
rad2deg = _unary("rad2deg", "Rad2DegBackward0", lambda x: x * (180 / math.pi), saves=())
abs = _unary(
    "abs",
    "AbsBackward0",
    _abs_fn,
    to_float=False,
    refuse=_BOOL,
    kernel="abs_cpu",
    aliases=("absolute",),
    operators=("__abs__",),
)
_ROUNDING = dict(**_NO_BOOL, saves=(), domain=(-3, 3))
floor = _unary("floor", "FloorBackward0", _keep_int(jnp.floor), kernel="floor_vml_cpu", **_ROUNDING)
ceil = _unary("ceil", "CeilBackward0", _keep_int(jnp.ceil), kernel="ceil_vml_cpu", **_ROUNDING)
trunc = _unary(
    "trunc",
    "TruncBackward0",
    _keep_int(jnp.trunc),
    kernel="trunc_vml_cpu",
    aliases=("fix",),
    **_ROUNDING,
)
frac = _unary(
    "frac",
    "FracBackward0",
    lambda x: x - jnp.trunc(x),
    **_FLOAT_ONLY,
    kernel="frac_cpu",
    saves=(),
    domain=(-3, 3),
)
sgn = _unary("sgn", "SgnBackward0", _sign_fn, to_float=False)
_sign = Op("SignBackward0", _sign_fn, saves=())
_round = Op("RoundBackward0", _keep_int(jnp.round), saves=())
_round_decimals = Op("RoundBackward1", _round_fn, saves=())
_logit = Op("LogitBackward0", _logit_fn)
_nan_to_num = Op(
    "NanToNumBackward0",
    lambda x, nan, posinf, neginf: jnp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf),
    saves=(),
)
_nan_to_num_int = Op("NanToNumBackward0", lambda x: x, saves=())


@declare(inplace=True, test=_each_rank(-2, 2))
def sign(input: Tensor) -> Tensor:
    """The sign of each element: -1, 0 or 1 (``False``/``True`` for bool).

    >>> import tensorish
    >>> tensorish.sign(tensorish.tensor([-2., 0., 3.]))
    tensor([-1.,  0.,  1.])
    """
    _need_tensor("sign", ("input", input))
    if input.dtype.is_complex:
        raise NotImplementedError(
            "Unlike NumPy, tensorish.sign is not intended to support "
            "complex numbers. Please use tensorish.sgn instead."
        )
    return apply(_sign, (input,))


@declare(inplace=True, test=_each_rank(-3, 3))
def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` decimal places.

    >>> import tensorish
    >>> tensorish.round(tensorish.tensor([0.5, 1.5, 1.234]), decimals=1)
    tensor([0.5000, 1.5000, 1.2000])
    """
    _need_tensor("round", ("input", input))
    dt = input.dtype
    if decimals == 0:
        if dt is _dtype.bool_:
            _not_implemented("round_vml_cpu", dt)
        return apply(_round, (input,))
    if not _is_float(dt):
        _not_implemented("round_cpu", dt)
    return apply(_round_decimals, (input,), (("decimals", int(decimals)),))


@declare(inplace=True, test=_each_rank(0.05, 0.95))
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given.

    >>> import tensorish
    >>> tensorish.logit(tensorish.tensor([0.5, 0.0]), eps=0.25)
    tensor([ 0.0000, -1.0986])
    """
    _need_tensor("logit", ("input", input))
    cast = None if _is_float(input.dtype) else (_dtype.get_default_dtype().np,)
    return apply(_logit, (input,), (("eps", None if eps is None else float(eps)),), cast)


@declare(inplace=True, test=_each_rank(-2, 2))
def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """Replace nan, +inf and -inf by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
    largest and smallest finite values).

    >>> import tensorish
    >>> tensorish.nan_to_num(tensorish.tensor([float('nan'), 1.]), nan=2.)
    tensor([2., 1.])
    """
    _need_tensor("nan_to_num", ("input", input))
    if not _is_float(input.dtype):
        return apply(_nan_to_num_int, (input,))
    return apply(
        _nan_to_num, (input,), (("nan", float(nan)), ("posinf", posinf), ("neginf", neginf))
    )


@declare(inplace=True, test=_each_rank(-2, 2))
def square(input: Tensor) -> Tensor:
    """``input ** 2`` (bool gives int64, as PyTorch's ``pow(input, 2)`` does).

    >>> import tensorish
    >>> tensorish.square(tensorish.tensor([-2, 3]))
    tensor([4, 9])
    """
    _need_tensor("square", ("input", input))
    return pow(input, 2)


# -- binary arithmetic --------------------------------------------------------------------------
_add = Op(
    "AddBackward0",
    lambda a, b, alpha=1: a + alpha * b if alpha != 1 else a + b,
    saves=(),
    on_error=_broadcast_error,
)
_sub = Op(
    "SubBackward0",
    lambda a, b, alpha=1: a - alpha * b if alpha != 1 else a - b,
    saves=(),
    on_error=_broadcast_error,
)
_rsub_fn = lambda a, b, alpha=1: b - alpha * a if alpha != 1 else b - a
_rsub = Op("RsubBackward0", _rsub_fn, saves=(), on_error=_broadcast_error)
_rsub_scalar = Op("RsubBackward1", _rsub_fn, saves=())
_mul = Op("MulBackward0", jnp.multiply, on_error=_broadcast_error)
_div = Op("DivBackward0", jnp.true_divide, on_error=_broadcast_error)
_div_floor = Op("DivBackward2", _rounded_div(_floor_div_fn), saves=(), on_error=_broadcast_error)
_div_trunc = Op("DivBackward2", _rounded_div(_trunc_div_fn), saves=(), on_error=_broadcast_error)
_floor_divide = Op(
    "NotImplemented",
    _no_derivative(_floor_div_fn, "floor_divide"),
    saves=(),
    on_error=_broadcast_error,
)
_remainder = Op("RemainderBackward1", _remainder_fn, on_error=_broadcast_error)
_remainder_scalar = Op("RemainderBackward0", _remainder_fn, saves=())
_rremainder = Op("NotImplemented", _no_derivative(jnp.remainder, "remainder"), saves=())
_fmod = Op("FmodBackward1", _fmod_fn, on_error=_broadcast_error)
_fmod_scalar = Op("FmodBackward0", _fmod_fn, saves=())
_pow_scalar = Op("PowBackward0", _pow_scalar_fn, saves=(0,))
_pow = Op("PowBackward1", _pow_fn, on_error=_broadcast_error)
_rpow = Op("PowBackward2", _pow_fn, saves=(1,))
_neg = Op("NegBackward0", jnp.negative, saves=())
_reciprocal = Op("ReciprocalBackward0", jnp.reciprocal, saves=())
_atan2 = Op("Atan2Backward0", _atan2_fn, on_error=_broadcast_error)
_maximum = Op("MaximumBackward0", _maximum_fn, on_error=_broadcast_error)
_minimum = Op("MinimumBackward0", _minimum_fn, on_error=_broadcast_error)
_fmax = Op("FmaxBackward0", _fmax_fn, on_error=_broadcast_error)
_fmin = Op("FminBackward0", _fmin_fn, on_error=_broadcast_error)
_hypot = Op("HypotBackward0", _hypot_fn, on_error=_broadcast_error)
_logaddexp = Op("LogaddexpBackward0", _logaddexp_fn, on_error=_broadcast_error)
_logaddexp2 = Op("Logaddexp2Backward0", _logaddexp2_fn, on_error=_broadcast_error)
_xlogy = Op("XlogyBackward0", _xlogy_fn, on_error=_broadcast_error)
_xlogy_scalar_self = Op("XlogyBackward1", _xlogy_fn, saves=(1,))
_xlogy_scalar_other = Op("XlogyBackward2", _xlogy_fn, saves=(0,))
_heaviside = Op(
    "NotImplemented",
    _no_derivative(lambda x, v: jnp.where(x == 0, v, (x > 0).astype(x.dtype)), "heaviside"),
    saves=(),
    on_error=_broadcast_error,
)
_copysign = Op("CopysignBackward0", _copysign_fn, on_error=_broadcast_error)
_copysign_scalar = Op("CopysignBackward1", _copysign_fn, saves=(0,))
_where = Op("WhereBackward0", jnp.where, saves=(0,), on_error=_broadcast_error)


def _check_sub(a, b) -> None:
    bools = [
        x.dtype is _dtype.bool_ if isinstance(x, Tensor) else isinstance(x, bool) for x in (a, b)
    ]
    if all(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def _check_int_divisor(dt: _dtype.dtype, other) -> None:
    """PyTorch raises for integer division by zero (a sync, as on PyTorch's CPU)."""
    if dt.is_floating_point or dt.is_complex:
        return
    zero = (other == 0) if not isinstance(other, Tensor) else bool(jnp.any(other._value == 0))
    if zero:
        raise RuntimeError("ZeroDivisionError")


@declare(inplace=True, operators=("__add__", "__radd__"), fast=_add, test=_domain(0.5, 2))
def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, broadcast, in PyTorch's promoted dtype.

    >>> import tensorish
    >>> tensorish.add(tensorish.ones(2), tensorish.ones(2), alpha=2)
    tensor([3., 3.])
    """
    return _binary(input, other, _add, (("alpha", alpha),) if alpha != 1 else ())


@declare(inplace=True, operators=("__sub__",), aliases=("subtract",), test=_domain(-2, 2))
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``.

    >>> import tensorish
    >>> tensorish.sub(tensorish.ones(2), 1)
    tensor([0., 0.])
    """
    _check_sub(input, other)
    return _binary(input, other, _sub, (("alpha", alpha),) if alpha != 1 else ())


@declare(method=False, operators=("__rsub__",), test=_domain(-2, 2))
def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    _check_sub(input, other)
    op = _rsub if isinstance(other, Tensor) else _rsub_scalar
    return _binary(input, other, op, (("alpha", alpha),) if alpha != 1 else ())


@declare(
    inplace=True,
    operators=("__mul__", "__rmul__"),
    fast=_mul,
    aliases=("multiply",),
    test=_domain(-2, 2),
)
def mul(input, other) -> Tensor:
    """``input * other``.

    >>> import tensorish
    >>> tensorish.mul(tensorish.ones(2), 3)
    tensor([3., 3.])
    """
    return _binary(input, other, _mul)


@declare(inplace=True, operators=("__truediv__",), aliases=("divide",), test=_domain(0.5, 2))
def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; integer inputs give the default float dtype. ``rounding_mode``
    'trunc' or 'floor' rounds the quotient and keeps integer dtypes.

    >>> import tensorish
    >>> tensorish.div(tensorish.tensor([-7, 7]), 2, rounding_mode='floor')
    tensor([-4,  3])
    """
    if rounding_mode is None:
        return _binary(input, other, _div, to=_float_of(input, other))
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )
    dt = result_type(input, other)
    if dt is _dtype.bool_:
        _not_implemented("div_floor_cpu" if rounding_mode == "floor" else "div_trunc_cpu", dt)
    _check_int_divisor(dt, other)
    return _binary(input, other, _div_floor if rounding_mode == "floor" else _div_trunc)


@declare(
    name="__rtruediv__",
    namespace="tensorish.Tensor",
    method=False,
    operators=("__rtruediv__",),
    test=Sample(args=(2.0,), low=0.5, high=2),
)
def _rtruediv(self: Tensor, other) -> Tensor:
    """``other / self``: PyTorch computes it as ``self.reciprocal() * other`` (so its grad_fn
    is a Mul)."""
    return mul(reciprocal(self), other)


@declare(inplace=True, test=_domain(0.5, 2))
def true_divide(input, other) -> Tensor:
    """``input / other`` (an alias of :func:`div`)."""
    return div(input, other)


@declare(
    inplace=True,
    operators=("__floordiv__",),
    reflected=("__rfloordiv__",),
    test=Sample(_PAIR, low=-3, high=3, grad=False),
)
def floor_divide(input, other) -> Tensor:
    """``input // other``, rounded toward minus infinity; integers stay integers.

    >>> import tensorish
    >>> tensorish.floor_divide(tensorish.tensor([-7, 7]), 2)
    tensor([-4,  3])
    """
    dt = result_type(input, other)
    if dt is _dtype.bool_:
        _not_implemented("div_floor_cpu", dt)
    _check_int_divisor(dt, other)
    return _binary(input, other, _floor_divide)


@declare(inplace=True, operators=("__mod__",), reflected=("__rmod__",), test=_domain(0.5, 3))
def remainder(input, other) -> Tensor:
    """Python's ``%``: the remainder has the sign of the divisor.

    >>> import tensorish
    >>> tensorish.remainder(tensorish.tensor([-7, 7]), 3)
    tensor([2, 1])
    """
    dt = result_type(input, other)
    if dt is _dtype.bool_:
        _not_implemented("remainder_cpu", dt)
    _check_int_divisor(dt, other)
    if not isinstance(input, Tensor):
        return _binary(input, other, _rremainder)
    return _binary(input, other, _remainder if isinstance(other, Tensor) else _remainder_scalar)


@declare(inplace=True, test=_domain(-3, 3))
def fmod(input: Tensor, other) -> Tensor:
    """C's ``fmod``: the remainder has the sign of the dividend.

    >>> import tensorish
    >>> tensorish.fmod(tensorish.tensor([-7, 7]), 3)
    tensor([-1,  1])
    """
    dt = result_type(input, other)
    if dt is _dtype.bool_:
        _not_implemented("fmod_cpu", dt)
    _check_int_divisor(dt, other)
    return _binary(input, other, _fmod if isinstance(other, Tensor) else _fmod_scalar)


def _check_pow(input, exponent, dt: _dtype.dtype) -> None:
    if dt is _dtype.bool_:
        _not_implemented("pow", dt)
    if (
        not _is_float(dt)
        and not isinstance(exponent, Tensor)
        and isinstance(exponent, (int, np.integer))
        and exponent < 0
    ):
        raise RuntimeError("Integers to negative integer powers are not allowed.")


@declare(inplace=True, operators=("__pow__",), reflected=("__rpow__",), test=_domain(0.5, 2))
def pow(input, exponent) -> Tensor:
    """``input ** exponent``.

    >>> import tensorish
    >>> tensorish.pow(tensorish.tensor([1., 2.]), 2)
    tensor([1., 4.])
    """
    if type(input) is Tensor and (type(exponent) is float or type(exponent) is int):
        v = input._v  # the common ``x ** 2``
        dt, cast = _pair(v.dtype, len(v.shape) == 0, type(exponent), True)
        _check_pow(input, exponent, dt)
        return apply(_pow_scalar, (input,), (("exponent", exponent),), cast and cast[:1])
    dt = result_type(input, exponent)
    _check_pow(input, exponent, dt)
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        args, cast, _ = promote(input, exponent)
        return apply(_pow_scalar, args[:1], (("exponent", exponent),), cast and cast[:1])
    return _binary(input, exponent, _pow if isinstance(input, Tensor) else _rpow)


def _float_power_(self: Tensor, exponent) -> Tensor:
    dt = _dtype.complex128 if self.dtype.is_complex else _dtype.float64
    if self.dtype is not dt:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {self.dtype.title} but the "
            f"operation's result requires dtype {dt.title}"
        )
    return inplace(self, lambda s: float_power(s, exponent))


@declare(inplace=_float_power_, test=_domain(0.5, 2))
def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in double precision (complex128 for complex inputs).

    >>> import tensorish
    >>> tensorish.float_power(tensorish.tensor([2, 3]), 2)
    tensor([4., 9.], dtype=tensorish.float64)
    """
    cplx = any(
        isinstance(x, complex) or (isinstance(x, Tensor) and x.dtype.is_complex)
        for x in (input, exponent)
    )
    dt = _dtype.complex128 if cplx else _dtype.float64
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return apply(
            _pow_scalar,
            (input,),
            (("exponent", exponent),),
            None if input.dtype is dt else (dt.np,),
        )
    return _binary(input, exponent, _pow if isinstance(input, Tensor) else _rpow, to=dt)


@declare(inplace=True, operators=("__neg__",), aliases=("negative",), test=_each_rank(-2, 2))
def neg(input: Tensor) -> Tensor:
    """``-input``."""
    if input.dtype is _dtype.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return apply(_neg, (input,))


@declare(inplace=True, test=_each_rank(0.5, 2))
def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``; integer inputs give the default float dtype."""
    dt = _float_of(input)
    return apply(_reciprocal, (input,), (), None if input.dtype is dt else (dt.np,))


def _float_binary(
    name: str,
    op: Op,
    kernel: str,
    *,
    other_name: str = "other",
    refuse: frozenset = _INTEGRAL,
    **spellings,
) -> Callable:
    """A binary op on two Tensors whose PyTorch kernel refuses the dtypes in ``refuse`` and
    promotes integer inputs to the default float dtype when it does not."""

    def f(input: Tensor, other: Tensor) -> Tensor:
        _need_tensor(name, ("input", input), (other_name, other))
        dt = result_type(input, other)
        if dt in refuse:
            _not_implemented(kernel, dt)
        return _binary(input, other, op, to=dt if _is_float(dt) else _float_of(input, other))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of two tensors, broadcast."
    return declare(test=_domain(-2, 2), **spellings)(f)


def _same_binary(name: str, op: Op) -> Callable:
    """A binary op on two Tensors computed in their promoted dtype (any dtype)."""

    def f(input: Tensor, other: Tensor) -> Tensor:
        _need_tensor(name, ("input", input), ("other", other))
        return _binary(input, other, op)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of two tensors, broadcast."
    return declare(test=_domain(-2, 2))(f)


atan2 = _float_binary(
    "atan2", _atan2, "atan2_cpu", refuse=frozenset(), inplace=True, aliases=("arctan2",)
)
hypot = _float_binary("hypot", _hypot, "hypot_cpu", inplace=True)
logaddexp = _float_binary("logaddexp", _logaddexp, "logaddexp_cpu")
logaddexp2 = _float_binary("logaddexp2", _logaddexp2, "logaddexp2_cpu")
maximum = _same_binary("maximum", _maximum)
minimum = _same_binary("minimum", _minimum)
fmax = _same_binary("fmax", _fmax)
fmin = _same_binary("fmin", _fmin)


@declare(inplace=True, test=_domain(0.1, 2))
def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (nan where ``other`` is nan).

    >>> import tensorish
    >>> tensorish.xlogy(tensorish.tensor([0., 2.]), tensorish.tensor([0., 1.]))
    tensor([0., 0.])
    """
    dt = _float_of(input, other)
    if not isinstance(input, Tensor):
        return _binary(input, other, _xlogy_scalar_self, to=dt)
    return _binary(
        input, other, _xlogy if isinstance(other, Tensor) else _xlogy_scalar_other, to=dt
    )


@declare(inplace=True, test=_domain(-2, 2))
def copysign(input: Tensor, other) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other``; always floating point.

    >>> import tensorish
    >>> tensorish.copysign(tensorish.tensor([1., -2.]), -1.)
    tensor([-1., -2.])
    """
    dt = _float_of(input, other)
    return _binary(
        input, other, _copysign if isinstance(other, Tensor) else _copysign_scalar, to=dt
    )


@declare(inplace=True, test=Sample(_PAIR, grad=False))
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The Heaviside step: 0 below zero, 1 above, ``values`` at zero.

    >>> import tensorish
    >>> tensorish.heaviside(tensorish.tensor([-1., 0., 2.]), tensorish.tensor(0.5))
    tensor([0.0000, 0.5000, 1.0000])
    """
    _need_tensor("heaviside", ("input", input), ("values", values))
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _binary(input, values, _heaviside)


def where(condition: Tensor, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (scalars allowed), broadcast.

    >>> import tensorish
    >>> x = tensorish.tensor([1., -2.])
    >>> tensorish.where(x > 0, x, 0.)
    tensor([1., 0.])
    """
    if condition.dtype is not _dtype.bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {condition.dtype.title}"
        )
    args, cast, _ = promote(input, other)
    return apply(_where, (condition, *args), (), cast and (None, *cast))


def _tensor_where(self: Tensor, condition: Tensor, other) -> Tensor:
    return where(condition, self, other)


_tensor_where.__name__ = "where"


# -- clamp ----------------------------------------------------------------------------------------
_clamp_s = Op("ClampBackward1", _clamp_fn, saves=(0,))
_clamp_t = Op("ClampBackward0", _clamp_fn, on_error=_broadcast_error)
_clamp_min_s = Op("ClampMinBackward0", _clamp_fn, saves=(0,))
_clamp_min_t = Op("ClampMinBackward1", _clamp_fn, on_error=_broadcast_error)
_clamp_max_s = Op("ClampMaxBackward0", _clamp_fn, saves=(0,))
_clamp_max_t = Op("ClampMaxBackward1", _clamp_fn, on_error=_broadcast_error)


def _clamp(input: Tensor, min, max, ops: tuple[Op, Op]) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("tensorish.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    tensors = [isinstance(b, Tensor) for b in bounds]
    if any(tensors) and not all(tensors):
        got = ", ".join(
            ["Tensor"]
            + [f"{k}={type(b).__name__}" for k, b in (("max", max), ("min", min)) if b is not None]
        )
        raise TypeError(
            f"clamp() received an invalid combination of arguments - got ({got}), "
            "but expected one of:"
        )
    args, cast, _ = promote(input, *bounds)
    op = ops[1] if all(tensors) else ops[0]
    return apply(op, args, (("hi", max is not None), ("lo", min is not None)), cast)


@declare(inplace=True, aliases=("clip",), test=Sample(args=(-0.5, 0.7)))
def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limit each element to ``[min, max]`` (either may be None; scalars or tensors).

    >>> import tensorish
    >>> tensorish.clamp(tensorish.tensor([-1., 0.5, 2.]), 0., 1.)
    tensor([0.0000, 0.5000, 1.0000])
    """
    return _clamp(input, min, max, (_clamp_s, _clamp_t))


@declare(inplace=True, test=Sample(args=(0.2,)))
def clamp_min(input: Tensor, min) -> Tensor:
    """``clamp(input, min=min)``."""
    return _clamp(input, min, None, (_clamp_min_s, _clamp_min_t))


@declare(inplace=True, test=Sample(args=(0.2,)))
def clamp_max(input: Tensor, max) -> Tensor:
    """``clamp(input, max=max)``."""
    return _clamp(input, None, max, (_clamp_max_s, _clamp_max_t))


# -- ternary ------------------------------------------------------------------------------------
_lerp_s = Op("LerpBackward0", _lerp_fn, saves=(), on_error=_broadcast_error)
_lerp_t = Op("LerpBackward1", _lerp_fn, on_error=_broadcast_error)
_addcmul = Op(
    "AddcmulBackward0",
    lambda a, b, c, value=1: a + value * (b * c),
    saves=(1, 2),
    on_error=_broadcast_error,
)
_addcdiv = Op(
    "AddcdivBackward0",
    lambda a, b, c, value=1: a + value * (b / c),
    saves=(1, 2),
    on_error=_broadcast_error,
)


@declare(inplace=True, test=Sample(((3, 4), (3, 4)), args=(0.3,)))
def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)``; all tensors share one dtype.

    >>> import tensorish
    >>> tensorish.lerp(tensorish.zeros(2), tensorish.ones(2), 0.25)
    tensor([0.2500, 0.2500])
    """
    if not _is_float(input.dtype):
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        _not_implemented(kernel, input.dtype)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype:
            raise RuntimeError(
                f"expected dtype {_CPP_NAMES[input.dtype.name]} for `{name}` but got "
                f"dtype {_CPP_NAMES[t.dtype.name]}"
            )
    if isinstance(weight, Tensor):
        return apply(_lerp_t, (input, end, weight))
    return apply(_lerp_s, (input, end, np.asarray(weight, input.dtype.np)))


@declare(inplace=True, test=Sample(((3, 4),) * 3, kwargs={"value": 0.5}))
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``.

    >>> import tensorish
    >>> tensorish.addcmul(tensorish.ones(2), tensorish.ones(2), tensorish.ones(2), value=2)
    tensor([3., 3.])
    """
    args, cast, dt = promote(input, tensor1, tensor2)
    if dt is _dtype.bool_:
        _not_implemented("addcmul_cpu_out", dt)
    return apply(_addcmul, args, (("value", value),) if value != 1 else (), cast)


@declare(inplace=True, test=Sample(((3, 4),) * 3, kwargs={"value": 2}, low=0.5, high=2))
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``.

    >>> import tensorish
    >>> tensorish.addcdiv(tensorish.ones(2), tensorish.ones(2), tensorish.ones(2) * 4)
    tensor([1.2500, 1.2500])
    """
    if not (_is_float(tensor1.dtype) or _is_float(tensor2.dtype)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * tensorish.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    args, cast, _ = promote(input, tensor1, tensor2)
    return apply(_addcdiv, args, (("value", value),) if value != 1 else (), cast)


@declare(name="__pos__", namespace="tensorish.Tensor", test=Sample())
def _pos(self: Tensor) -> Tensor:
    """``+self``: self itself."""
    return self


# -- complex parts and the lazy bits PyTorch has (conjugate, negative) -------------------------
# tensorish has no lazy conjugate or negative bit: ``conj`` conjugates at once, ``is_conj`` is
# False, and ``resolve_conj``/``resolve_neg`` have nothing to resolve.
_real = Op("SelectBackward0", jnp.real, saves=())
_imag = Op("SelectBackward0", jnp.imag, saves=())
_conj = Op("ConjBackward0", jnp.conj, saves=())
_conj_physical = Op("ConjPhysicalBackward0", jnp.conj, saves=())
_angle = Op("AngleBackward0", _angle_fn)
_ldexp = Op("LdexpBackward0", lambda x, e: x * jnp.exp2(e.astype(x.dtype)))
_frexp = Op("FrexpBackward0", lambda x: jnp.frexp(x)[0], saves=())
_frexp_result = _return_type("frexp", ("mantissa", "exponent"))
_nextafter = Op("NextafterBackward0", _nextafter_fn)
_COMPLEX = Sample(((3, 4),), dtype="complex64", grad=False)


@declare(method=property(lambda self: real(self)), test=(Sample(), _COMPLEX))
def real(input: Tensor) -> Tensor:
    """The real part (``input`` itself when it is real).

    >>> import tensorish
    >>> tensorish.real(tensorish.tensor([1 + 2j]))
    tensor([1.])
    """
    return apply(_real, (input,)) if input.dtype.is_complex else input


@declare(method=property(lambda self: imag(self)), test=_COMPLEX)
def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor.

    >>> import tensorish
    >>> tensorish.imag(tensorish.tensor([1 + 2j]))
    tensor([2.])
    """
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply(_imag, (input,))


@declare(test=(Sample(), _COMPLEX))
def conj(input: Tensor) -> Tensor:
    """The complex conjugate (``input`` itself when it is real).

    >>> import tensorish
    >>> tensorish.conj(tensorish.tensor([1 + 2j]))
    tensor([1.-2.j])
    """
    return apply(_conj, (input,)) if input.dtype.is_complex else input


@declare(inplace=True, test=(Sample(), _COMPLEX))
def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate, computed (``input`` itself when it is real)."""
    return apply(_conj_physical, (input,)) if input.dtype.is_complex else input


@declare(test=Sample())
def resolve_conj(input: Tensor) -> Tensor:
    """``input``: tensorish conjugates at once, so there is no conjugate bit to resolve."""
    return input


@declare(test=Sample())
def resolve_neg(input: Tensor) -> Tensor:
    """``input``: tensorish negates at once, so there is no negative bit to resolve."""
    return input


@declare(test=(Sample(), Sample(((5,),), dtype="int64", grad=False)))
def angle(input: Tensor) -> Tensor:
    """The argument of each element (0 or pi for a real one); integers give floats.

    >>> import tensorish
    >>> tensorish.angle(tensorish.tensor([-1.0, 1.0]))
    tensor([3.1416, 0.0000])
    """
    if _is_float(input.dtype):
        return apply(_angle, (input,))
    return apply(_angle, (input,), (), (_dtype.get_default_dtype().np,))


@declare(test=Sample())
def positive(input: Tensor) -> Tensor:
    """``input`` itself (unary ``+``); a bool tensor is refused as in PyTorch."""
    if input.dtype is _dtype.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# -- integer and floating-point bit manipulation ---------------------------------------------


def _integer_pair(name: str, fn: Callable) -> Callable:
    """``gcd``/``lcm``: elementwise on integer tensors (no gradient)."""
    op = Op(f"{name.capitalize()}Backward0", fn, differentiable=False)

    def f(input: Tensor, other: Tensor) -> Tensor:
        _need_tensor(name, ("input", input), ("other", other))
        args, cast, dt = promote(input, other)
        if dt.is_floating_point or dt.is_complex or dt is _dtype.bool_:
            _not_implemented(f"{name}_cpu", dt)
        return apply(op, args, (), cast)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of integer tensors."
    return declare(inplace=True, test=Sample(_PAIR, dtype="int64", low=-20, high=20))(f)


gcd = _integer_pair("gcd", jnp.gcd)
lcm = _integer_pair("lcm", jnp.lcm)


@declare(inplace=True, test=Sample(((3, 4), (4,)), args=()))
def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2 ** other``.

    >>> import tensorish
    >>> tensorish.ldexp(tensorish.tensor([1.0]), tensorish.tensor([3]))
    tensor([8.])
    """
    args, cast, dt = promote(input, other)
    if not _is_float(dt):
        args, cast = (input, other), (_dtype.get_default_dtype().np,) * 2
    return apply(_ldexp, args, (), cast)


@declare(test=Sample(((3, 4),), low=-50, high=50))
def frexp(input: Tensor):
    """Mantissa (in ``[0.5, 1)`` in absolute value) and int32 exponent of each element.

    >>> import tensorish
    >>> tensorish.frexp(tensorish.tensor([8.0])).exponent
    tensor([4], dtype=tensorish.int32)
    """
    if not input.dtype.is_floating_point:
        raise RuntimeError("tensorish.frexp() only supports floating-point dtypes")
    exponent = Tensor._wrap(jnp.frexp(input._value)[1].astype(jnp.int32))
    return _frexp_result(apply(_frexp, (input,)), exponent)


@declare(inplace=True, test=Sample(((3, 4), (3, 4)), grad=False))
def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next floating-point value after ``input`` towards ``other``.

    >>> import tensorish
    >>> bool(tensorish.nextafter(tensorish.tensor([1.0]), tensorish.tensor([2.0])) > 1)
    True
    """
    args, cast, dt = promote(input, other)
    if not dt.is_floating_point:
        _not_implemented("nextafter_cpu", dt)
    return apply(_nextafter, args, (), cast)


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

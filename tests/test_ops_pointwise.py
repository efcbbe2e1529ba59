"""Pointwise ops against the torch oracle: one table, forward and backward, dtypes, special
values, subgradients at the kinks, float64 finite differences and PyTorch's errors."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, check_op

import tensorish
from tensorish.ops._registry import REGISTRY

warnings.filterwarnings("ignore", category=UserWarning)

# The unary ops; their forward and backward against torch, on a matrix and a 0-dim tensor drawn
# from the domain in their declaration, run in test_ops_table.py.
UNARY_NAMES = [
    "abs",
    "absolute",
    "sign",
    "sgn",
    "neg",
    "negative",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "square",
    "reciprocal",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sigmoid",
    "logit",
    "erf",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "frac",
    "deg2rad",
    "rad2deg",
    "nan_to_num",
]


def _domain(name: str) -> tuple[float, float]:
    """The (low, high) its declaration draws inputs from (inside it the op is smooth)."""
    decl = next(
        d for d in REGISTRY.values() if d.namespace == "tensorish" and name in (d.name, *d.aliases)
    )
    return decl.samples[0].low, decl.samples[0].high


UNARY = [(n, *_domain(n)) for n in UNARY_NAMES]

# id, function of the inputs (the same code runs on torch and tensorish), input count, low, high
BINARY = [
    ("add", lambda a, b: a + b, 0.5, 2),
    ("add_alpha", lambda a, b: a.add(b, alpha=-1.5), -2, 2),
    ("sub", lambda a, b: a - b, -2, 2),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=3), -2, 2),
    ("mul", lambda a, b: a * b, -2, 2),
    ("div", lambda a, b: a / b, 0.5, 2),
    ("true_divide", lambda a, b: a.true_divide(b), 0.5, 2),
    ("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"), -3, 3),
    ("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), -3, 3),
    ("remainder", lambda a, b: a % b, 0.5, 3),
    ("remainder_fn", lambda a, b: a.remainder(b), -3, 3),
    ("fmod", lambda a, b: a.fmod(b), -3, 3),
    ("pow", lambda a, b: a**b, 0.5, 2),
    ("float_power", lambda a, b: a.float_power(b), 0.5, 2),
    ("atan2", lambda a, b: a.atan2(b), -2, 2),
    ("arctan2", lambda a, b: a.arctan2(b), -2, 2),
    ("maximum", lambda a, b: a.maximum(b), -2, 2),
    ("minimum", lambda a, b: a.minimum(b), -2, 2),
    ("fmax", lambda a, b: a.fmax(b), -2, 2),
    ("fmin", lambda a, b: a.fmin(b), -2, 2),
    ("hypot", lambda a, b: a.hypot(b), -2, 2),
    ("logaddexp", lambda a, b: a.logaddexp(b), -2, 2),
    ("logaddexp2", lambda a, b: a.logaddexp2(b), -2, 2),
    ("xlogy", lambda a, b: a.xlogy(b), 0.1, 2),
    ("copysign", lambda a, b: a.copysign(b), -2, 2),
    ("where", lambda a, b: a.where(a > b, b) * 1 + (a > 0).float(), -2, 2),
    ("torch_where", lambda a, b: _mod(a).where(a > b, a, b), -2, 2),
    ("lerp_scalar", lambda a, b: a.lerp(b, 0.3), -2, 2),
    ("lerp_scalar_high", lambda a, b: a.lerp(b, 0.8), -2, 2),
    ("lerp_tensor", lambda a, b: a.lerp(b, b.sigmoid()), -2, 2),
    ("addcmul", lambda a, b: a.addcmul(b, a, value=0.5), -2, 2),
    ("addcdiv", lambda a, b: a.addcdiv(a, b, value=2), 0.5, 2),
    ("clamp_tensor", lambda a, b: a.clamp(b, b + 1), -2, 2),
    ("clamp_min_tensor", lambda a, b: a.clamp(min=b), -2, 2),
    ("clamp_max_tensor", lambda a, b: a.clamp_max(b), -2, 2),
    ("clamp_min_fn", lambda a, b: a.clamp_min(b), -2, 2),
]

# id, function of one input, low, high: scalar operands and keyword variants
SCALAR = [
    ("add_scalar", lambda a: a + 2, -2, 2),
    ("radd", lambda a: 2.5 + a, -2, 2),
    ("rsub", lambda a: 1 - a, -2, 2),
    ("rmul", lambda a: 3 * a, -2, 2),
    ("rdiv", lambda a: 2 / a, 0.5, 2),
    ("div_scalar", lambda a: a / 4, -2, 2),
    ("div_trunc_scalar", lambda a: a.div(0.7, rounding_mode="trunc"), -3, 3),
    ("floordiv_scalar", lambda a: a // 0.7, -3, 3),
    ("rfloordiv", lambda a: 2 // a, 0.3, 3),
    ("mod_scalar", lambda a: a % 0.7, -3, 3),
    ("mod_negative", lambda a: a % -0.7, -3, 3),
    ("rmod", lambda a: 2 % a, 0.3, 3),
    ("fmod_scalar", lambda a: a.fmod(-0.7), -3, 3),
    ("pow2", lambda a: a**2, -2, 2),
    ("pow3", lambda a: a**3, -2, 2),
    ("pow_half", lambda a: a**0.5, 0.1, 2),
    ("pow_neg", lambda a: a**-1.5, 0.5, 2),
    ("pow0", lambda a: a**0, -2, 2),
    ("rpow", lambda a: 2**a, -2, 2),
    ("rpow_fn", lambda a: _mod(a).pow(1.5, a), -2, 2),
    ("float_power_scalar", lambda a: a.float_power(2), -2, 2),
    ("float_power_rscalar", lambda a: _mod(a).float_power(2, a), -2, 2),
    ("xlogy_scalar", lambda a: a.xlogy(3), -2, 2),
    ("xlogy_rscalar", lambda a: _mod(a).xlogy(3, a), 0.1, 2),
    ("copysign_scalar", lambda a: a.copysign(-1.0), -2, 2),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), -2, 2),
    ("clip", lambda a: a.clip(-0.5, 0.7), -2, 2),
    ("clamp_min", lambda a: a.clamp(min=0.2), -2, 2),
    ("clamp_max", lambda a: a.clamp(max=0.2), -2, 2),
    ("clamp_min_method", lambda a: a.clamp_min(0.2), -2, 2),
    ("clamp_max_method", lambda a: a.clamp_max(0.2), -2, 2),
    ("clamp_crossed", lambda a: a.clamp(1.0, -1.0), -2, 2),
    ("round_decimals", lambda a: a.round(decimals=2), -3, 3),
    ("round_neg_decimals", lambda a: (a * 100).round(decimals=-1), -3, 3),
    ("logit_eps", lambda a: a.logit(eps=0.2), 0.0, 1.0),
    (
        "nan_to_num_kw",
        lambda a: (a / (a > 0).float()).nan_to_num(1.0, posinf=5.0, neginf=-5.0),
        -2,
        2,
    ),
    ("where_scalar", lambda a: _mod(a).where(a > 0, a, 0.5), -2, 2),
    ("where_rscalar", lambda a: _mod(a).where(a > 0, -1, a), -2, 2),
    ("abs_builtin", lambda a: abs(a), -2, 2),
    ("square_method", lambda a: a.square(), -2, 2),
]


def _mod(t):
    """The library a tensor belongs to."""
    return torch if isinstance(t, torch.Tensor) else tensorish


def _grad_fn_name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def _check(shapes, fn, low, high, dtype="float32", grad=True, rtol=1e-5, atol=1e-6):
    """check_op, plus the same grad_fn name as torch."""
    check_op(shapes, fn, dtype=dtype, low=low, high=high, grad=grad, rtol=rtol, atol=atol)
    rng = np.random.default_rng(1)
    data = [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]
    sfn = getattr(tensorish, fn.__name__) if getattr(torch, fn.__name__, None) is fn else fn
    t = fn(*[torch.tensor(d, requires_grad=True) for d in data])
    s = sfn(*[tensorish.tensor(d, requires_grad=True) for d in data])
    assert _grad_fn_name(s) == _grad_fn_name(t), (_grad_fn_name(s), _grad_fn_name(t))
    assert s.requires_grad == t.requires_grad


@pytest.mark.parametrize("name,fn,low,high", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, fn, low, high):
    _check([(3, 1), (1, 4)], fn, low, high, atol=1e-5)


@pytest.mark.parametrize("name,fn,low,high", BINARY[::4], ids=[b[0] for b in BINARY[::4]])
@pytest.mark.parametrize(
    "shapes", [((3, 4), (3, 4)), ((), (4,)), ((2, 3), ())], ids=["same", "0d-1d", "2d-0d"]
)
def test_binary_shapes(name, fn, low, high, shapes):
    _check(shapes, fn, low, high, atol=1e-5)


@pytest.mark.parametrize("name,fn,low,high", SCALAR, ids=[s[0] for s in SCALAR])
def test_scalar_operand(name, fn, low, high):
    grad = name not in ("rfloordiv", "rmod", "floordiv_scalar")
    _check([(3, 4)], fn, low, high, grad=grad, atol=1e-5)


# -- float64 finite differences over every differentiable op ------------------------------------
def _numeric_grads(fn, xs, h=1e-6):
    """Central differences of an elementwise fn (same-shape inputs): one perturbation per input."""
    out = []
    for i in range(len(xs)):
        plus = [x + h if j == i else x for j, x in enumerate(xs)]
        minus = [x - h if j == i else x for j, x in enumerate(xs)]
        f = [fn(*[tensorish.tensor(v) for v in p]) for p in (plus, minus)]
        out.append((np.asarray(f[0].jax()) - np.asarray(f[1].jax())) / (2 * h))
    return out


FD = (
    [(n, getattr(tensorish, n), 1, lo, hi) for n, lo, hi in UNARY]
    + [(n, f, 2, lo, hi) for n, f, lo, hi in BINARY]
    + [(n, f, 1, lo, hi) for n, f, lo, hi in SCALAR]
)
# no derivative in PyTorch either; nan_to_num_kw's input has poles
FD_SKIP = {"rfloordiv", "rmod", "floordiv_scalar", "nan_to_num_kw"}


@pytest.mark.parametrize(
    "name,fn,n,low,high",
    [f for f in FD if f[0] not in FD_SKIP],
    ids=[f[0] for f in FD if f[0] not in FD_SKIP],
)
def test_finite_differences(name, fn, n, low, high):
    rng = np.random.default_rng(2)
    xs = [rng.uniform(low, high, size=(3, 4)) for _ in range(n)]
    if name in ("remainder_fn", "fmod", "div_trunc", "div_floor"):
        xs[1] = np.where(np.abs(xs[1]) < 0.5, 1.0, xs[1])
    ts = [tensorish.tensor(x, requires_grad=True) for x in xs]
    out = fn(*ts)
    up = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    (out * tensorish.tensor(up)).sum().backward()
    for t, g in zip(ts, _numeric_grads(fn, xs)):
        np.testing.assert_allclose(
            np.asarray(t.grad.jax()), g * up, rtol=1e-5, atol=1e-6, err_msg=name
        )


# -- special values: forward and gradient at kinks, poles and infinities --------------------------
SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    -3.7,
    1e-30,
    -1e-30,
    1e30,
    -1e30,
    88.0,
    -88.0,
    100.0,
    -100.0,
    float("inf"),
    float("-inf"),
    float("nan"),
]
# (op, dtype): values where PyTorch's vectorized float32 kernels disagree with its own scalar
# formula (logit's gradient at -0.0 is +inf in float32, -inf in float64).
SPECIAL_SKIP = {("logit", "float32"): [-0.0], ("logit", "float64"): [-0.0]}


def _both(values, dtype, requires_grad=False):
    return (
        torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=requires_grad),
        tensorish.tensor(values, dtype=getattr(tensorish, dtype), requires_grad=requires_grad),
    )


@pytest.mark.parametrize("name", UNARY_NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_special_values(name, dtype):
    skip = SPECIAL_SKIP.get((name, dtype), [])
    values = [v for v in SPECIAL if not any(v == k and str(v) == str(k) for k in skip)]
    t, s = _both(values, dtype, requires_grad=True)
    fn = (lambda m, x: x.sgn() + x) if name == "sgn" else (lambda m, x: getattr(m, name)(x))
    ot, os_ = fn(torch, t), fn(tensorish, s)
    atol = 1e-6 if dtype == "float32" else 1e-30
    assert_same(ot, os_, f"{name} forward", rtol=1e-5, atol=atol)
    (ot * 1).sum().backward()  # through a Mul, so sgn's zero gradient is a plain tensor
    (os_ * 1).sum().backward()
    assert_same(t.grad, s.grad, f"{name} backward", rtol=1e-5, atol=atol)


PAIR_VALUES = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, float("inf"), float("-inf"), float("nan")]
BINARY_SPECIAL = [b for b in BINARY if not b[0].startswith(("where", "torch_where"))]


@pytest.mark.parametrize("name,fn,low,high", BINARY_SPECIAL, ids=[b[0] for b in BINARY_SPECIAL])
def test_binary_special_values(name, fn, low, high):
    a = [x for x in PAIR_VALUES for _ in PAIR_VALUES]
    b = [y for _ in PAIR_VALUES for y in PAIR_VALUES]
    ta, sa = _both(a, "float64", True)
    tb, sb = _both(b, "float64", True)
    ot, os_ = fn(ta, tb), fn(sa, sb)
    assert_same(ot, os_, f"{name} forward", rtol=1e-12, atol=0)
    if not ot.requires_grad or ot.grad_fn.name() == "NotImplemented":
        return
    ot.sum().backward()
    os_.sum().backward()
    assert_same(ta.grad, sa.grad, f"{name} grad a", rtol=1e-12, atol=0)
    assert_same(tb.grad, sb.grad, f"{name} grad b", rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "name,fn",
    [
        ("clamp", lambda m, x: x.clamp(-1.0, 1.0)),
        ("clamp_min", lambda m, x: x.clamp_min(1.0)),
        ("clamp_max", lambda m, x: x.clamp(max=-1.0)),
        ("clamp_tensor", lambda m, x: x.clamp(x.detach() * 0 - 1, x.detach() * 0 + 1)),
        ("pow0", lambda m, x: x**0),
        ("pow_half", lambda m, x: x**0.5),
        ("pow_neg", lambda m, x: x**-2.0),
        ("pow2", lambda m, x: x**2),
        ("rpow0", lambda m, x: 0.0**x),
        ("rpow_neg", lambda m, x: (-2.0) ** x),
        ("round_decimals", lambda m, x: x.round(decimals=1)),
        ("logit_eps", lambda m, x: x.logit(eps=0.25)),
        ("nan_to_num", lambda m, x: x.nan_to_num()),
        ("where", lambda m, x: m.where(x > 0, x, -x)),
        ("xlogy_scalar", lambda m, x: x.xlogy(0.0)),
        ("xlogy_rscalar", lambda m, x: m.xlogy(0.0, x)),
    ],
)
def test_kinks(name, fn):
    values = [-1.0, 0.0, -0.0, 0.25, 0.75, 1.0, 2.0, float("inf"), float("-inf"), float("nan")]
    t, s = _both(values, "float64", True)
    ot, os_ = fn(torch, t), fn(tensorish, s)
    assert_same(ot, os_, f"{name} forward", rtol=1e-12, atol=0)
    ot.sum().backward()
    os_.sum().backward()
    assert_same(t.grad, s.grad, f"{name} backward", rtol=1e-12, atol=0)


# -- dtypes: what each op does with bool, integer and low-precision inputs ------------------------
# float32/float64 run everywhere else; int64 in the integer tests below
DTYPES = ["bool", "uint8", "int32", "float16", "bfloat16"]


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - the oracle decides what should fail
        return e


def _same_outcome(t, s, stage, rtol=1e-5):
    if isinstance(t, Exception):
        assert isinstance(s, Exception), f"{stage}: torch raised {t!r}, tensorish gave {s!r}"
        assert type(s) is type(t) and str(s) == str(t).replace("torch.", "tensorish."), (
            f"{stage}: {s!r} vs {t!r}"
        )
    else:
        assert not isinstance(s, Exception), f"{stage}: tensorish raised {s!r}"
        assert_same(t, s, stage, rtol=rtol, atol=1e-2 if rtol > 1e-5 else 1e-6)


def _data(dtype):
    values = [0, 1, 2, 3, 5] if dtype != "bool" else [False, True, True, False, True]
    return _both(values, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_dtypes(dtype):
    t, s = _data(dtype)
    low = dtype in ("float16", "bfloat16")
    for name in UNARY_NAMES:
        _same_outcome(
            _outcome(getattr(torch, name), t),
            _outcome(getattr(tensorish, name), s),
            f"{name}({dtype})",
            rtol=1e-2 if low else 2e-5,
        )


BINARY_FNS = [
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "pow",
    "float_power",
    "atan2",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "xlogy",
    "copysign",
    "heaviside",
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_dtypes(dtype):
    t, s = _data(dtype)
    t2, s2 = _both([3, 1, 2, 1, 4] if dtype != "bool" else [True] * 5, dtype)
    low = dtype in ("float16", "bfloat16")
    for name in BINARY_FNS:
        _same_outcome(
            _outcome(getattr(torch, name), t, t2),
            _outcome(getattr(tensorish, name), s, s2),
            f"{name}({dtype})",
            rtol=1e-2 if low else 2e-5,
        )
    for name, f in [
        ("rounding trunc", lambda a, b: a.div(b, rounding_mode="trunc")),
        ("rounding floor", lambda a, b: a.div(b, rounding_mode="floor")),
        ("clamp", lambda a, b: a.clamp(1, 3)),
        ("clamp float", lambda a, b: a.clamp(0.5)),
        ("clamp tensor", lambda a, b: a.clamp(b)),
        ("lerp", lambda a, b: a.lerp(b, 0.5)),
        ("addcmul", lambda a, b: a.addcmul(a, b)),
        ("addcdiv", lambda a, b: a.addcdiv(a, b)),
        ("where", lambda a, b: _mod(a).where(b > a, a, b)),
        ("square", lambda a, b: a.square()),
        ("pow scalar", lambda a, b: a**2),
        ("pow neg", lambda a, b: a**-1),
        ("rpow", lambda a, b: 2**a),
        ("nan_to_num", lambda a, b: a.nan_to_num()),
        ("round decimals", lambda a, b: a.round(decimals=1)),
    ]:
        _same_outcome(
            _outcome(f, t, t2), _outcome(f, s, s2), f"{name}({dtype})", rtol=1e-2 if low else 2e-5
        )


# -- integer semantics ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8"])
def test_integer_division(dtype):
    a = [7, -7, 7, -7, 0, 5, -128 if dtype == "int8" else 100]
    b = [2, 2, -2, -2, 3, 5, -3]
    if dtype == "uint8":
        a, b = [x % 256 for x in a], [3, 2, 7, 1, 3, 5, 9]
    ta, sa = _both(a, dtype)
    tb, sb = _both(b, dtype)
    for f in (
        lambda x, y: x // y,
        lambda x, y: x % y,
        lambda x, y: x.fmod(y),
        lambda x, y: x.div(y, rounding_mode="trunc"),
        lambda x, y: x.div(y, rounding_mode="floor"),
        lambda x, y: x // 3,
        lambda x, y: x % 3,
        lambda x, y: 100 // y,
        lambda x, y: 100 % y,
        lambda x, y: x / y,
        lambda x, y: x.fmod(3),
        lambda x, y: x**2,
        lambda x, y: x**y,
    ):
        assert_same(f(ta, tb), f(sa, sb), dtype)


INPLACE = [(n, ()) for n in UNARY_NAMES] + [
    ("add", (2,)),
    ("sub", (1.5,)),
    ("mul", (3,)),
    ("div", (2,)),
    ("true_divide", (2,)),
    ("floor_divide", (0.2,)),
    ("remainder", (0.2,)),
    ("fmod", (0.2,)),
    ("pow", (2,)),
    ("float_power", (2,)),
    ("clamp", (0.4, 0.7)),
    ("clip", (0.4,)),
    ("clamp_min", (0.5,)),
    ("clamp_max", (0.5,)),
    ("xlogy", (2.0,)),
    ("copysign", (-1.0,)),
    ("logit", (0.1,)),
    ("round", ()),
    ("subtract", (1,)),
    ("multiply", (2,)),
    ("divide", (2,)),
    ("lerp", ("T", 0.5)),
    ("atan2", ("T",)),
    ("arctan2", ("T",)),
    ("hypot", ("T",)),
    ("heaviside", ("T",)),
    ("addcmul", ("T", "T")),
    ("addcdiv", ("T", "T")),
    ("clamp", ("T",)),
    ("pow", ("T",)),
    ("remainder", ("T",)),
    ("div", ("T",)),
]


@pytest.mark.parametrize("name,args", INPLACE, ids=[f"{n}{len(a)}" for n, a in INPLACE])
def test_inplace_variants(name, args):
    out = []
    for m in (torch, tensorish):
        x = m.tensor([0.3, 0.6, 0.9], dtype=m.float64)
        other = m.tensor([0.5, 0.25, 2.0], dtype=m.float64)
        r = getattr(x, name + "_")(*[other if a == "T" else a for a in args])
        assert r is x
        out.append(x)
    assert_same(out[0], out[1], name + "_")


def test_augmented_operators():
    t, s = _both([7, -7, 5], "int64")
    for x in (t, s):
        x //= 2
        x %= 3
        x **= 2
    assert_same(t, s, "augmented")


def test_inplace_records_grad_fn():
    for name, fn in [
        ("exp", lambda x: x.exp_()),
        ("clamp", lambda x: x.clamp_(0.2, 0.5)),
        ("floor", lambda x: x.floor_()),
        ("sigmoid", lambda x: x.sigmoid_()),
    ]:
        names, grads = [], []
        for m in (torch, tensorish):
            x = m.tensor([0.1, 0.3, 0.7], requires_grad=True)
            y = x * 1
            fn(y)
            names.append(_grad_fn_name(y))
            y.sum().backward()
            grads.append(x.grad)
        assert names[0] == names[1], name
        assert_same(grads[0], grads[1], name)


def test_no_derivative_backward_errors():
    for fn in (
        lambda m, x: x // 2,
        lambda m, x: 2 // x,
        lambda m, x: 2 % x,
        lambda m, x: x.heaviside(m.ones(2)),
    ):
        errs = []
        for m in (torch, tensorish):
            x = m.ones(2, requires_grad=True)
            y = fn(m, x)
            assert y.requires_grad and _grad_fn_name(y) == "NotImplemented"
            with pytest.raises(RuntimeError) as e:
                y.sum().backward()
            errs.append(str(e.value))
        assert errs[0] == errs[1]


ERRORS = [
    ("broadcast", lambda m: m.ones(2, 3).atan2(m.ones(4))),
    ("broadcast three", lambda m: m.ones(2).addcmul(m.ones(3), m.ones(3))),
    ("broadcast where", lambda m: m.where(m.ones(2) > 0, m.ones(3), m.ones(3))),
    ("rounding mode", lambda m: m.ones(2).div(2, rounding_mode="round")),
    ("int floordiv zero", lambda m: m.tensor([1, 2]) // 0),
    ("int floordiv zero tensor", lambda m: m.tensor([1, 2]) // m.tensor([1, 0])),
    ("int remainder zero", lambda m: m.tensor([1, 2]) % 0),
    ("int fmod zero", lambda m: m.tensor([1, 2]).fmod(m.tensor(0))),
    ("int div trunc zero", lambda m: m.tensor([1, 2]).div(0, rounding_mode="trunc")),
    ("int div floor zero", lambda m: m.tensor([1, 2]).div(0, rounding_mode="floor")),
    ("uint8 remainder zero", lambda m: m.tensor([3], dtype=m.uint8) % 0),
    ("int negative pow", lambda m: m.tensor([2]) ** -1),
    ("bool pow", lambda m: m.tensor([True]) ** m.tensor([True])),
    ("abs bool", lambda m: m.tensor([True]).abs()),
    ("floor bool", lambda m: m.tensor([True]).floor()),
    ("frac int", lambda m: m.tensor([1]).frac()),
    ("round decimals int", lambda m: m.tensor([1]).round(decimals=1)),
    ("hypot int", lambda m: m.hypot(m.tensor([1]), m.tensor([2]))),
    ("logaddexp int", lambda m: m.logaddexp(m.tensor([1]), m.tensor([2]))),
    ("floordiv bool", lambda m: m.tensor([True]) // m.tensor([True])),
    ("remainder bool", lambda m: m.tensor([True]) % True),
    ("sign complex", lambda m: m.tensor([1j]).sign()),
    ("exp_ int", lambda m: m.tensor([1, 2]).exp_()),
    ("sqrt_ int", lambda m: m.tensor([1, 2]).sqrt_()),
    ("div_ int", lambda m: m.tensor([1, 2]).div_(2)),
    ("float_power_ float", lambda m: m.ones(2).float_power_(2)),
    ("float_power_ int", lambda m: m.tensor([1]).float_power_(2)),
    ("exp scalar", lambda m: m.exp(2.0)),
    ("maximum scalar", lambda m: m.maximum(m.ones(2), 2)),
    ("atan2 scalar input", lambda m: m.atan2(2, m.ones(2))),
    ("heaviside scalar", lambda m: m.heaviside(m.ones(2), 0)),
    ("heaviside dtypes", lambda m: m.heaviside(m.ones(2), m.ones(2, dtype=m.float64))),
    ("where condition", lambda m: m.where(m.ones(2), m.ones(2), m.ones(2))),
    ("clamp none", lambda m: m.ones(2).clamp()),
    ("lerp dtypes", lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5)),
    ("lerp weight dtype", lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.float64))),
    ("addcdiv int", lambda m: m.addcdiv(m.tensor([1]), m.tensor([1]), m.tensor([2]))),
    ("neg bool", lambda m: -m.tensor([True])),
    ("leaf inplace exp", lambda m: m.ones(2, requires_grad=True).exp_()),
    ("inplace broadcast", lambda m: m.ones(2).atan2_(m.ones(3, 2))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn):
    assert_same_error(fn)


def test_failed_op_leaves_state():
    x = tensorish.tensor([1, 2])
    for f in (lambda: x.exp_(), lambda: x.floor_divide_(0), lambda: x.atan2_(tensorish.ones(3))):
        with pytest.raises(RuntimeError):
            f()
        assert x.tolist() == [1, 2] and x._vc[0] == 0


def test_names_exist_in_torch():
    import tensorish.ops._pointwise as pw

    for name in pw.__all__:
        assert hasattr(torch, name) or hasattr(torch.Tensor, name), name
    for name in dir(tensorish.Tensor):
        if name.endswith("_") and not name.startswith("_"):
            assert hasattr(torch.Tensor, name), name

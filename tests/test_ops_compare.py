"""Comparison, logical, bitwise ops and conversions against the torch oracle."""

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, both

import tensorish

NAN, INF = float("nan"), float("inf")
VALUES = [0.0, -0.0, 1.0, -1.5, 2.5, INF, -INF, NAN]


def _mod(t):
    return torch if isinstance(t, torch.Tensor) else tensorish


COMPARE = [
    ("eq", lambda a, b: a == b),
    ("ne", lambda a, b: a != b),
    ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b),
    ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b),
    ("eq_fn", lambda a, b: _mod(a).eq(a, b)),
    ("ne_fn", lambda a, b: a.ne(b)),
    ("lt_fn", lambda a, b: a.lt(b)),
    ("le_fn", lambda a, b: a.le(b)),
    ("gt_fn", lambda a, b: _mod(a).gt(a, b)),
    ("ge_fn", lambda a, b: a.ge(b)),
    ("greater", lambda a, b: a.greater(b)),
    ("less_equal", lambda a, b: _mod(a).less_equal(a, b)),
    ("not_equal", lambda a, b: a.not_equal(b)),
    ("greater_equal", lambda a, b: a.greater_equal(b)),
    ("less", lambda a, b: a.less(b)),
    ("isclose", lambda a, b: _mod(a).isclose(a, b)),
    ("isclose_nan", lambda a, b: a.isclose(b, equal_nan=True)),
    ("isclose_tol", lambda a, b: a.isclose(b, rtol=0.5, atol=1.0)),
    ("isclose_exact", lambda a, b: a.isclose(b, rtol=0, atol=0)),
    ("logical_and", lambda a, b: a.logical_and(b)),
    ("logical_or", lambda a, b: a.logical_or(b)),
    ("logical_xor", lambda a, b: _mod(a).logical_xor(a, b)),
    ("maximum", lambda a, b: a.maximum(b)),
    ("fmin", lambda a, b: a.fmin(b)),
]


@pytest.mark.parametrize("name,fn", COMPARE, ids=[c[0] for c in COMPARE])
def test_compare_pairs(name, fn):
    a = [x for x in VALUES for _ in VALUES]
    b = [y for _ in VALUES for y in VALUES]
    ta, sa = both(a, "float32", requires_grad=True)
    tb, sb = both(b, "float32")
    out_t, out_s = fn(ta, tb), fn(sa, sb)
    assert_same(out_t, out_s, name)
    assert out_s.requires_grad == out_t.requires_grad


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a < 2.5,
        lambda a: a == 2,
        lambda a: 2 < a,
        lambda a: 1.5 >= a,
        lambda a: a != True,  # noqa: E712
        lambda a: a.eq(3),
        lambda a: a > a.double(),
    ],
)
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float16"])
def test_compare_promotion(fn, dtype):
    t, s = both([0, 1, 2, 3], dtype)
    assert_same(fn(t), fn(s), dtype)


def test_compare_broadcast_and_0d():
    for fn in (
        lambda m: m.ones(3, 1) < m.arange(4.0),
        lambda m: m.tensor(2) == m.arange(4),
        lambda m: m.tensor(1.5) >= m.tensor(2),
    ):
        assert_same(fn(torch), fn(tensorish), "broadcast")


def test_inplace_compare_keeps_dtype():
    for name in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "logical_and_", "logical_not_"):
        t, s = both([0.5, 1.0, 2.0])
        args = () if name == "logical_not_" else (1.0,) if "logical" not in name else None
        if args is None:
            args_t, args_s = (torch.tensor([1.0, 0.0, 1.0]),), (tensorish.tensor([1.0, 0.0, 1.0]),)
        else:
            args_t = args_s = args
        assert getattr(t, name)(*args_t) is t and getattr(s, name)(*args_s) is s
        assert_same(t, s, name)


UNARY_TESTS = [
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "signbit",
    "logical_not",
    "isreal",
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_unary_predicates(dtype):
    vals = VALUES if dtype.startswith("float") else [0, 1, 2, 3]
    if dtype == "bool":
        vals = [True, False]
    t, s = both(vals, dtype)
    for name in UNARY_TESTS:
        assert_same(getattr(torch, name)(t), getattr(tensorish, name)(s), f"{name}({dtype})")
        assert_same(getattr(t, name)(), getattr(s, name)(), f"{name}({dtype}) method")


BITWISE = [
    ("and", lambda a, b: a & b),
    ("or", lambda a, b: a | b),
    ("xor", lambda a, b: a ^ b),
    ("not", lambda a, b: ~a),
    ("and_scalar", lambda a, b: a & 6),
    ("rand", lambda a, b: 5 | a),
    ("xor_fn", lambda a, b: _mod(a).bitwise_xor(a, b)),
    ("not_fn", lambda a, b: a.bitwise_not()),
    ("lshift", lambda a, b: a << b),
    ("rshift", lambda a, b: a >> b),
    ("lshift_scalar", lambda a, b: a << 2),
    ("rshift_scalar", lambda a, b: a >> 1),
    ("lshift_fn", lambda a, b: a.bitwise_left_shift(b)),
    ("rshift_fn", lambda a, b: _mod(a).bitwise_right_shift(a, b)),
]


@pytest.mark.parametrize("name,fn", BITWISE, ids=[b[0] for b in BITWISE])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8", "bool"])
def test_bitwise(name, fn, dtype):
    a = [0, 1, 5, -7, 100, -128] if dtype != "bool" else [True, False, True, False, True, True]
    b = [0, 1, 3, 2, 7, 1] if dtype != "bool" else [True, True, False, False, True, False]
    if dtype == "uint8":
        a = [x % 256 for x in a]
    ta, sa = both(a, dtype)
    tb, sb = both(b, dtype)
    try:
        out_t = fn(ta, tb)
    except Exception as e:  # noqa: BLE001 - the oracle decides what should fail
        with pytest.raises(type(e)) as se:
            fn(sa, sb)
        assert str(se.value) == str(e)
        return
    assert_same(out_t, fn(sa, sb), f"{name}({dtype})")


def test_inplace_bitwise_operators():
    t, s = both([5, 6, 7])
    for x in (t, s):
        x &= 6
        x |= 1
        x ^= 2
        x <<= 2
        x >>= 1
    assert_same(t, s, "augmented")


def test_allclose_equal():
    for a, b, kw in [
        ([1.0, 2.0], [1.0, 2.0 + 1e-6], {}),
        ([1.0, NAN], [1.0, NAN], {}),
        ([1.0, NAN], [1.0, NAN], {"equal_nan": True}),
        ([1.0], [1.1], {"rtol": 0.2}),
        ([INF], [INF], {}),
        ([1, 2], [1, 3], {}),
    ]:
        t = [torch.tensor(x) for x in (a, b)]
        s = [tensorish.tensor(x) for x in (a, b)]
        assert torch.allclose(*t, **kw) == tensorish.allclose(*s, **kw)
        assert t[0].allclose(t[1], **kw) == s[0].allclose(s[1], **kw)
        assert torch.equal(*t) == tensorish.equal(*s)
    assert tensorish.equal(tensorish.ones(2), tensorish.ones(2, dtype=tensorish.float64))
    assert not tensorish.equal(tensorish.ones(2), tensorish.ones(3))
    assert_same(
        torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]), rtol=0.5),
        tensorish.isclose(tensorish.tensor([1, 2]), tensorish.tensor([1, 3]), rtol=0.5),
        "isclose int",
    )


# -- conversions --------------------------------------------------------------------------------
CASTS = ["float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool"]


@pytest.mark.parametrize("name", CASTS)
def test_casts(name):
    t, s = both([-2.7, -0.5, 0.0, 0.5, 1.5, 3.9], "float64", requires_grad=True)
    out_t, out_s = getattr(t, name)(), getattr(s, name)()
    assert_same(out_t, out_s, name)
    assert out_s.requires_grad == out_t.requires_grad
    assert (out_s is s) == (out_t is t)
    if out_t.grad_fn is not None:
        assert out_s.grad_fn.name() == out_t.grad_fn.name() == "ToCopyBackward0"
        (out_t.float() * 3).sum().backward()
        (out_s.float() * 3).sum().backward()
        assert_same(t.grad, s.grad, f"{name} grad")


def test_to_forms():
    t, s = both([1.5, -2.0], "float32", requires_grad=True)
    for fn in (
        lambda m, x: x.to(m.float64),
        lambda m, x: x.to("cpu"),
        lambda m, x: x.to("cpu", m.int32),
        lambda m, x: x.to(m.ones(1, dtype=m.float16)),
        lambda m, x: x.to(dtype=m.float64),
        lambda m, x: x.to(device="cpu", dtype=m.half),
        lambda m, x: x.to(m.float32, copy=True),
        lambda m, x: x.type(m.float64),
        lambda m, x: x.type("torch.DoubleTensor"),
        lambda m, x: x.type_as(m.ones(1).long()),
        lambda m, x: x.to(m.device("cpu"), m.float64),
        lambda m, x: x.to(m.float32, False, True),
    ):
        out_t, out_s = fn(torch, t), fn(tensorish, s)
        assert_same(out_t, out_s, "to")
        assert (out_s is s) == (out_t is t)
        assert (out_s.grad_fn is None) == (out_t.grad_fn is None)
    assert s.to(tensorish.float32) is s and s.to("cpu") is s
    assert s.type() == t.type().replace("torch.", "tensorish.") == "tensorish.FloatTensor"
    assert s.type("tensorish.DoubleTensor").dtype is tensorish.float64


def test_python_scalars():
    for vals, dtype in (([2.5], "float32"), ([[-3]], "int64"), (7, "int32"), (True, "bool")):
        t, s = both(vals, dtype)
        assert float(s) == float(t) and int(s) == int(t) and bool(s) == bool(t)
        if dtype.startswith("int"):
            assert s.__index__() == t.__index__()
            assert [10, 20, 30, 40, 50, 60, 70, 80][s] == [10, 20, 30, 40, 50, 60, 70, 80][t]
    assert bool(tensorish.tensor([0.0])) is False and bool(tensorish.tensor(NAN)) is True


def test_iteration_and_contains():
    t, s = both([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    rows_t, rows_s = list(t), list(s)
    assert len(rows_s) == 3 and rows_s[0].grad_fn.name() == rows_t[0].grad_fn.name()
    for a, b in zip(rows_t, rows_s):
        assert_same(a, b, "row")
    (rows_t[0] * 2 + rows_t[2]).sum().backward()
    (rows_s[0] * 2 + rows_s[2]).sum().backward()
    assert_same(t.grad, s.grad, "iter grad")
    assert [x.item() for x in tensorish.tensor([1, 2, 3])] == [1, 2, 3]
    assert list(tensorish.ones(0)) == []
    for item in (2.0, 7, tensorish.tensor(3.0), True):
        titem = torch.tensor(3.0) if isinstance(item, tensorish.Tensor) else item
        assert (item in s) == (titem in t)


def test_hash_and_eq():
    a, b = tensorish.ones(2), tensorish.ones(2)
    assert len({a, b}) == 2 and {a: 1}[a] == 1 and hash(a) == id(a)
    assert (a == None) is False and (a != "x") is True  # noqa: E711
    assert a in [a]


def test_dtype_utilities():
    x = tensorish.ones(2)
    assert tensorish.is_tensor(x) and not tensorish.is_tensor([1.0])
    assert tensorish.is_floating_point(x) and not tensorish.is_complex(x)
    assert tensorish.is_complex(tensorish.tensor([1j]))
    assert not tensorish.is_floating_point(tensorish.tensor([1]))


ERRORS = [
    ("bool multi", lambda m: bool(m.ones(2))),
    ("bool empty", lambda m: bool(m.ones(0))),
    ("float multi", lambda m: float(m.ones(2))),
    ("int empty", lambda m: int(m.ones(0))),
    ("index float", lambda m: m.tensor(2.5).__index__()),
    ("index multi", lambda m: m.tensor([1, 2]).__index__()),
    ("iter 0d", lambda m: iter(m.tensor(1.0))),
    ("contains str", lambda m: "a" in m.ones(2)),
    ("list index float", lambda m: [1, 2][m.tensor(1.0)]),
    ("isclose dtypes", lambda m: m.isclose(m.ones(2), m.ones(2, dtype=m.float64))),
    ("isclose rtol", lambda m: m.isclose(m.ones(2), m.ones(2), rtol=-1.0)),
    ("isclose scalar", lambda m: m.isclose(m.ones(2), 1)),
    ("lt complex", lambda m: m.tensor([1j]) < m.tensor([2j])),
    ("bitwise float", lambda m: m.ones(2) & m.ones(2)),
    ("bitwise float scalar", lambda m: m.tensor([1, 2]) | 1.5),
    ("bitwise_not float", lambda m: ~m.ones(2)),
    ("lshift bool", lambda m: m.tensor([True]) << m.tensor([True])),
    ("rshift float", lambda m: m.ones(2) >> 1),
    ("logical scalar", lambda m: m.logical_and(m.ones(2), 1)),
    ("signbit complex", lambda m: m.signbit(m.tensor([1j]))),
    ("compare broadcast", lambda m: m.ones(2) < m.ones(3)),
    ("eq broadcast", lambda m: m.ones(2, 3) == m.ones(4, 3)),
    ("is_floating_point scalar", lambda m: m.is_floating_point(1.0)),
    ("finfo int", lambda m: m.finfo(m.int32)),
    ("iinfo float", lambda m: m.iinfo(m.float32)),
    ("iinfo bool", lambda m: m.iinfo(m.bool)),
    ("inplace compare int", lambda m: m.tensor([1, 2]).lt_(1.5) and m.tensor([1]).eq_(m.ones(2))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn):
    assert_same_error(fn)


def test_finfo_iinfo():
    for name in ("float32", "float64", "float16", "bfloat16", "complex64", "complex128"):
        t, s = torch.finfo(getattr(torch, name)), tensorish.finfo(getattr(tensorish, name))
        assert repr(s) == repr(t)
        for field in (
            "bits",
            "eps",
            "max",
            "min",
            "tiny",
            "smallest_normal",
            "resolution",
            "dtype",
        ):
            assert getattr(s, field) == getattr(t, field), (name, field)
    assert repr(tensorish.finfo()) == repr(torch.finfo())
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        t, s = torch.iinfo(getattr(torch, name)), tensorish.iinfo(getattr(tensorish, name))
        assert repr(s) == repr(t)
        assert (s.bits, s.max, s.min, s.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert np.float32(tensorish.finfo(tensorish.float32).eps) == np.finfo(np.float32).eps

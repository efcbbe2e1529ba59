"""torch.testing against the torch oracle: assert_close's verdicts, exception types and exact
messages over a table of inputs (tensors of each dtype, scalars, NumPy arrays, nested
containers, tolerances and flags), make_tensor's ranges and errors, assert_allclose."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same_error, tdtype

import tensorish

NAN, INF = float("nan"), float("inf")


def t(L, data, dtype=None, **kw):
    return L.tensor(data, dtype=getattr(L, dtype) if dtype else None, **kw)


# actual, expected, keyword arguments: each built for both libraries
CASES = [
    lambda L: (t(L, [1.0, 2.0, 3.0, 4.0]), t(L, [1.0, 2.5, 3.1, 5.0]), {}),
    lambda L: (t(L, [[1.0, 2.0], [3.0, 4.0]]), t(L, [[1.0, 2.5], [3.0, 4.0]]), {}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0 + 1e-6]), {}),
    lambda L: (t(L, 1.0), t(L, 2.0), {}),
    lambda L: (t(L, [1, 2, 3]), t(L, [1, 2, 4]), {}),
    lambda L: (t(L, [[1, 2], [3, 4]]), t(L, [[1, 2], [3, 5]]), {}),
    lambda L: (t(L, [True, False]), t(L, [True, True]), {}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0], "float64"), {}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0], "float64"), {"check_dtype": False}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0, 3.0]), {}),
    lambda L: (t(L, [1.0, NAN]), t(L, [1.0, NAN]), {}),
    lambda L: (t(L, [1.0, NAN]), t(L, [1.0, NAN]), {"equal_nan": True}),
    lambda L: (t(L, [INF, -INF]), t(L, [INF, INF]), {}),
    lambda L: (t(L, [INF, 1.0]), t(L, [INF, 1.0]), {}),
    lambda L: (t(L, [1.0]), t(L, [1.0]), {"rtol": 1e-3}),
    lambda L: (t(L, [1.0]), t(L, [1.0]), {"atol": 1e-3}),
    lambda L: (t(L, [1.0]), t(L, [2.0]), {"atol": 2, "rtol": 0}),
    lambda L: (t(L, [1.0]), t(L, [2.0]), {"atol": 0, "rtol": 0}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"msg": "custom"}),
    lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"msg": lambda m: f"Head\n{m}\nFoot"}),
    lambda L: (t(L, [0.0, 1e-9]), t(L, [1e-9, 0.0]), {}),
    lambda L: (t(L, [0.0, 1.0]), t(L, [1e-3, 0.0]), {}),
    lambda L: (t(L, [1.0], "float16"), t(L, [1.001], "float16"), {}),
    lambda L: (t(L, [1.0, 3.0], "float16"), t(L, [1.5, 3.0], "float16"), {}),
    lambda L: (t(L, [1.0, 3.0], "bfloat16"), t(L, [1.1, 3.0], "bfloat16"), {}),
    lambda L: (t(L, [1.0 + 1j]), t(L, [1.0 + 2j]), {}),
    lambda L: (t(L, [1.0 + 1j], "complex128"), t(L, [1.0 + 1j], "complex128"), {}),
    lambda L: (t(L, [1.0], requires_grad=True), t(L, [1.0]), {}),
    lambda L: (t(L, [1.0]), t(L, [1.0]), {"check_stride": True, "check_layout": False}),
    lambda L: (L.zeros(2, 3, 4), L.zeros(2, 3, 4).index_fill(2, t(L, [1]), 1.0), {}),
    lambda L: (t(L, [1, 2], "int32"), t(L, [1, 2], "int64"), {"check_dtype": False}),
    lambda L: (t(L, [1, 2], "uint8"), t(L, [1, 4], "int64"), {"check_dtype": False}),
    lambda L: (t(L, [1, 2]), t(L, [1.0, 2.5]), {"check_dtype": False}),
    lambda L: (t(L, [1, 3]), t(L, [1, 2]), {"rtol": 0.5, "atol": 0.0}),
    lambda L: (1.0, 1.1, {}),
    lambda L: (1.0, 1.0 + 1e-9, {}),
    lambda L: (1, 2, {}),
    lambda L: (1, 1.0, {}),
    lambda L: (1, 1.0, {"check_dtype": False}),
    lambda L: (1 + 1j, 1 + 2j, {}),
    lambda L: (NAN, NAN, {}),
    lambda L: (NAN, NAN, {"equal_nan": True}),
    lambda L: (True, False, {}),
    lambda L: ([True, 1], [False, 1], {}),
    lambda L: (None, None, {}),
    lambda L: (None, 0, {}),
    lambda L: (np.float32(1.0), np.float32(2.0), {}),
    lambda L: (np.array([1.0, 2.0]), np.array([1.0, 2.1]), {}),
    lambda L: (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.1], np.float32), {}),
    lambda L: (np.array(1.0), np.array(2.0), {}),
    lambda L: (t(L, [1.0]), np.array([1.0]), {}),
    lambda L: (t(L, [1.0]), 1.0, {}),
    lambda L: ("a", "a", {}),
    lambda L: (object, object, {}),
    lambda L: ([t(L, 1.0), 2], [t(L, 1.0), 3], {}),
    lambda L: ((t(L, [1.0]), [t(L, [2.0])]), (t(L, [1.0]), [t(L, [2.5])]), {}),
    lambda L: ({"a": t(L, 1.0)}, {"a": t(L, 1.5)}, {}),
    lambda L: ({"a": {"b": [t(L, [1.0, 2.0])]}}, {"a": {"b": [t(L, [1.0, 3.0])]}}, {}),
    lambda L: ({"a": 1}, {"b": 1}, {}),
    lambda L: ({"a": 1, 2: 3}, {"a": 1, 2: 3}, {}),
    lambda L: ([1, 2], [1], {}),
    lambda L: ([1, 2], (1, 2), {}),
    lambda L: ([t(L, [1.0]), t(L, [2.0])], [t(L, [1.5]), t(L, [2.5])], {"msg": "first"}),
]


@pytest.mark.parametrize("case", CASES)
def test_assert_close(case):
    def f(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            actual, expected, kwargs = case(L)
            L.testing.assert_close(actual, expected, **kwargs)

    try:
        f(torch)
    except Exception:
        assert_same_error(f)
    else:
        f(tensorish)


def test_assert_close_error_is_assertion_error():
    with pytest.raises(AssertionError) as e:
        tensorish.testing.assert_close(tensorish.ones(3), tensorish.zeros(3))
    assert str(e.value).startswith("Tensor-likes are not close!\n\nMismatched elements: 3 / 3")


ALLCLOSE = [
    lambda L: (t(L, [1.0]), t(L, [1.00001]), {}),
    lambda L: (t(L, [1.0]), t(L, [1.001]), {}),
    lambda L: (t(L, [1.0], "float64"), [1.0 + 1e-6], {}),
    lambda L: ([1.0, 2.0], [1.0, 2.5], {}),
    lambda L: (t(L, [NAN]), t(L, [NAN]), {}),
    lambda L: (t(L, [1.0]), t(L, [2.0]), {"rtol": 1.0, "atol": 0.0}),
    lambda L: (t(L, [1.0]), t(L, [2.0]), {"msg": "custom"}),
]


@pytest.mark.parametrize("case", ALLCLOSE)
def test_assert_allclose(case):
    def f(L):
        actual, expected, kwargs = case(L)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                L.testing.assert_allclose(actual, expected, **kwargs)
            finally:
                message = str(caught[0].message).replace("torch.", "tensorish.")
                assert (caught[0].category, message) == (FutureWarning, WARNING)

    WARNING = (
        "`tensorish.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `tensorish.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844."
    )
    try:
        f(torch)
    except AssertionError:
        assert_same_error(f)
    else:
        f(tensorish)


# dtype name, the default [low, high) PyTorch draws from
RANGES = [
    ("bool", 0, 2),
    ("uint8", 0, 10),
    ("int64", -9, 10),
    ("bfloat16", -9, 9),
    ("float32", -9, 9),
    ("complex64", -9, 9),
]


@pytest.mark.parametrize("name,low,high", RANGES)
def test_make_tensor_defaults(name, low, high):
    dt = getattr(tensorish, name)
    x = tensorish.testing.make_tensor(50, 4, dtype=dt, device="cpu")
    expected = torch.testing.make_tensor(50, 4, dtype=getattr(torch, name), device="cpu")
    assert x.shape == tensorish.Size([50, 4]) and x.dtype is tdtype(expected.dtype)
    parts = [x.jax().real, x.jax().imag] if dt.is_complex else [x.jax()]
    for v in parts:
        v = np.asarray(v, dtype=np.float64)
        assert low <= v.min() and v.max() < high
        assert v.max() - v.min() >= (high - low) / 2  # the whole range is used
    assert not x.requires_grad


# shape, keyword arguments, the interval every value must lie in (for both libraries)
ARGUMENTS = [
    ((3,), {"dtype": "float32", "low": 2.0, "high": 3.0}, (2.0, 3.0)),
    (([2, 3],), {"dtype": "float64", "requires_grad": True}, (-9, 9)),
    (((40,),), {"dtype": "int64", "low": -2.5, "high": 1.5}, (-2, 2)),
    ((30, 2), {"dtype": "uint8", "low": -5, "high": 2}, (0, 2)),
    ((200,), {"dtype": "int8", "exclude_zero": True, "low": -1, "high": 2}, (-1, 2)),
    ((200,), {"dtype": "float32", "exclude_zero": True, "low": 0, "high": 1e-30}, (0, 1e-30)),
    ((30,), {"dtype": "float32", "low": -1e39, "high": 1e39}, (-3.5e38, 3.5e38)),
    ((2, 2), {"dtype": "float32", "noncontiguous": True}, (-9, 9)),
    ((), {"dtype": "float32"}, (-9, 9)),
]


@pytest.mark.parametrize("args,kwargs,bounds", ARGUMENTS)
def test_make_tensor_arguments(args, kwargs, bounds):
    def make(L):
        kw = {k: getattr(L, v) if k == "dtype" else v for k, v in kwargs.items()}
        return L.testing.make_tensor(*args, device="cpu", **kw)

    x, y = make(torch), make(tensorish)
    assert tuple(x.shape) == tuple(y.shape) and tdtype(x.dtype) is y.dtype
    assert (x.requires_grad, x.is_leaf) == (y.requires_grad, y.is_leaf)
    for v in (x.detach().double().numpy(), np.asarray(y.detach().jax(), np.float64)):
        assert (bounds[0] <= v).all() and (v < bounds[1]).all()
        assert not kwargs.get("exclude_zero") or (v != 0).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dtype": "int64", "requires_grad": True},
        {"dtype": "bool", "requires_grad": True},
        {"dtype": "float32", "low": 3.0, "high": 2.0},
        {"dtype": "int64", "low": 2, "high": 2},
        {"dtype": "float32", "low": NAN},
        {"dtype": "uint8", "low": 300, "high": 400},
        {"dtype": "float32", "noncontiguous": True, "memory_format": "channels_last"},
    ],
)
def test_make_tensor_errors(kwargs):
    def f(L):
        kw = {k: getattr(L, v) if k == "dtype" else v for k, v in kwargs.items()}
        if kw.get("memory_format"):
            kw["memory_format"] = torch.channels_last if L is torch else "channels_last"
        return L.testing.make_tensor(2, device="cpu", **kw)

    with pytest.raises(ValueError) as te:
        f(torch)
    with pytest.raises(ValueError) as se:
        f(tensorish)
    expected = str(te.value).replace("torch.", "tensorish.")
    if "memory_format" not in kwargs:
        assert str(se.value) == expected


def test_make_tensor_low_equals_high_warns():
    for L in (torch, tensorish):
        with pytest.warns(FutureWarning, match="Passing `low==high`"):
            x = L.testing.make_tensor(3, dtype=L.float32, device="cpu", low=1.0, high=1.0)
        assert x.tolist() == [1.0, 1.0, 1.0]


def test_namespace():
    assert sorted(n for n in dir(torch.testing) if not n.startswith("_") and n != "FileCheck") == [
        n for n in sorted(dir(tensorish.testing)) if not n.startswith("_")
    ]

"""repr of tensors against PyTorch: the same data printed by both must read the same, up to the
module name (``torch.int32`` is ``tensorish.int32``)."""

import math

import numpy as np
import pytest
import torch

import tensorish
from tensorish import _printing

nan, inf = math.nan, math.inf


def _randn(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _complex(*shape: int, seed: int = 0) -> np.ndarray:
    return _randn(*shape, seed=seed) + 1j * _randn(*shape, seed=seed + 1)


# (id, data, dtype name or None for inference from the data)
CASES = [
    ("0d-float", 3.5, None),
    ("0d-int", 7, None),
    ("0d-bool", True, None),
    ("0d-nan", nan, None),
    ("0d-neg-zero", -0.0, None),
    ("0d-complex", 1 + 2j, None),
    ("0d-float64", 0.125, "float64"),
    ("0d-int32", -3, "int32"),
    ("int-valued", [1.0, 2.0, 3.0], None),
    ("fractions", [1.5, -0.25], None),
    ("neg-zero", [-0.0, 0.0], None),
    ("neg-zero-fraction", [0.1, -0.0], None),
    ("nonfinite", [nan, inf, -inf], None),
    ("nonfinite-mixed", [nan, 1.5, -inf], None),
    ("int-valued-nan", [1.0, nan, 3.0], None),
    ("zeros", [0.0, 0.0], None),
    ("sci-small", [1e-5, 1.0], None),
    ("sci-boundary-small", [1e-4, 1.0], None),
    ("sci-large", [1e9, 1.0], None),
    ("sci-boundary-large", [1e8], None),
    ("sci-ratio", [1.0, 2000.0], None),
    ("no-sci-ratio", [1.0, 999.0], None),
    ("sci-int-valued", [1e10, 2e10], None),
    ("tiny", [1e-10], None),
    ("huge", [123456789.0], None),
    ("matrix", _randn(3, 4), "float32"),
    ("3d", _randn(2, 3, 4, seed=1), "float32"),
    ("4d", _randn(2, 1, 2, 3, seed=2), "float32"),
    ("summarized-1d", _randn(2000, seed=3), "float32"),
    ("summarized-2d", _randn(40, 50, seed=4), "float32"),
    ("summarized-3d", _randn(3, 40, 40, seed=5), "float32"),
    ("summarized-sci", _randn(1500, seed=6, scale=1e6), "float32"),
    ("wide-1d", _randn(30, seed=7), "float32"),
    ("wide-2d", _randn(4, 25, seed=8), "float32"),
    ("wide-magnitudes", _randn(40, seed=9) * 10.0 ** np.arange(-20, 20), "float64"),
    ("wide-int", np.arange(100), None),
    ("summarized-int", np.arange(2000) * 1000003, None),
    ("float64", _randn(5, seed=10), "float64"),
    ("float64-matrix", _randn(3, 30, seed=11), "float64"),
    ("float16", _randn(6, seed=12), "float16"),
    ("float16-large", [60000.0, 0.5], "float16"),
    ("bfloat16", _randn(2, 5, seed=13), "bfloat16"),
    ("int32", np.arange(-6, 6).reshape(3, 4), "int32"),
    ("int8", [-128, 0, 127], "int8"),
    ("uint8", [0, 7, 255], "uint8"),
    ("int16", [[-300, 2], [3, 4]], "int16"),
    ("int64-big", [2**62, -5], None),
    ("bool", [True, False], None),
    ("bool-true", [True, True], None),
    ("bool-matrix", [[True, False, True], [False, False, True]], None),
    ("complex64", _complex(4), "complex64"),
    ("complex128", _complex(3, seed=2), "complex128"),
    ("complex-int-valued", [1 + 2j, -3 - 4j], None),
    ("complex-nonfinite", [complex(1, nan), complex(inf, -2), complex(0, -0.0)], "complex64"),
    ("complex-sci", _complex(2, 3, seed=4) * 1e-6, "complex128"),
    ("complex-summarized", _complex(1200, seed=6), "complex64"),
    ("empty", [], None),
    ("empty-int", np.zeros(0, np.int64), None),
    ("empty-float64", [], "float64"),
    ("empty-2d", np.zeros((0, 3)), "float32"),
    ("empty-3d-bool", np.zeros((2, 0, 4), bool), None),
    ("empty-complex", [], "complex64"),
]


def _pair(data, dtype: str | None, requires_grad: bool = False):
    ours = getattr(tensorish, dtype) if dtype else None
    theirs = getattr(torch, dtype) if dtype else None
    return (
        tensorish.tensor(data, dtype=ours, requires_grad=requires_grad),
        torch.tensor(data, dtype=theirs, requires_grad=requires_grad),
    )


def _assert_same_repr(ours, theirs) -> None:
    assert repr(ours) == repr(theirs).replace("torch.", "tensorish.")
    assert str(ours) == repr(ours)


@pytest.fixture(autouse=True)
def _reset():
    yield
    _printing.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    tensorish.set_default_dtype(tensorish.float32)
    torch.set_default_dtype(torch.float32)


@pytest.fixture
def default_float64():
    tensorish.set_default_dtype(tensorish.float64)
    torch.set_default_dtype(torch.float64)


def _set_both(**options) -> None:
    _printing.set_printoptions(**options)
    torch.set_printoptions(**options)


@pytest.mark.parametrize("data, dtype", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_repr_matches_torch(data, dtype):
    _assert_same_repr(*_pair(data, dtype))


@pytest.mark.parametrize("data, dtype", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_repr_with_default_float64(default_float64, data, dtype):
    _assert_same_repr(*_pair(data, dtype))


GRAD_CASES = [
    ("0d", 2.0, None),
    ("vector", [1.0, 2.0], None),
    ("float64", [1.5, 2.5, 3.5], "float64"),
    ("float64-wraps", _randn(4, seed=20), "float64"),
    ("bfloat16", _randn(3, seed=21), "bfloat16"),
    ("float16-matrix", _randn(3, 5, seed=22), "float16"),
    ("complex", _complex(2, seed=23), "complex128"),
    ("summarized", _randn(1100, seed=24), "float32"),
]


@pytest.mark.parametrize("data, dtype", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_repr_requires_grad_leaf(data, dtype):
    _assert_same_repr(*_pair(data, dtype, requires_grad=True))


@pytest.mark.parametrize("data, dtype", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_repr_grad_fn(data, dtype):
    ours, theirs = _pair(data, dtype, requires_grad=True)
    _assert_same_repr(ours * 2, theirs * 2)


OPTION_CASES = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 0},
    {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0, "threshold": 10},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 10},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]
OPTION_TENSORS = [
    ("0d", 1.25, None),
    ("vector", [1.0, 2.5, -3.125, nan], None),
    ("int-valued", [1.0, 200.0], None),
    ("sci", [1e-7, 3.0, 4e5], None),
    ("matrix", _randn(4, 6, seed=30, scale=100), "float64"),
    ("3d", _randn(3, 4, 5, seed=31), "float32"),
    ("ints", np.arange(24).reshape(2, 3, 4), "int32"),
    ("long", np.linspace(-1, 1, 1200), "float32"),
    ("complex", _complex(3, 2, seed=32), "complex64"),
    ("bool", [True, False, True, True, False, True, False], None),
]


@pytest.mark.parametrize("options", OPTION_CASES, ids=str)
@pytest.mark.parametrize(
    "data, dtype", [c[1:] for c in OPTION_TENSORS], ids=[c[0] for c in OPTION_TENSORS]
)
def test_repr_with_printoptions(options, data, dtype):
    _set_both(**options)
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    _assert_same_repr(*_pair(data, dtype))


def test_set_printoptions_resets_sci_mode():
    _set_both(sci_mode=True)
    _set_both(precision=3)
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    assert _printing.get_printoptions()["sci_mode"] is None


def test_unknown_profile_is_ignored():
    _set_both(profile="nonsense", precision=5)
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_restores():
    _set_both(precision=3, sci_mode=False)
    before = _printing.get_printoptions()
    ours, theirs = _pair([1.0, 2.5, 1e-3], None)
    with (
        _printing.printoptions(precision=1, linewidth=20),
        torch._tensor_str.printoptions(precision=1, linewidth=20),
    ):
        assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
        _assert_same_repr(ours, theirs)
    assert _printing.get_printoptions() == before
    _assert_same_repr(ours, theirs)


def test_set_printoptions_is_public():
    assert tensorish.set_printoptions is _printing.set_printoptions


def test_tensor_contents():
    ours, theirs = _pair([1.0, 2.0], "float64", requires_grad=True)
    assert ours.__repr__(tensor_contents="[...]") == theirs.__repr__(
        tensor_contents="[...]"
    ).replace("torch.", "tensorish.")

"""Creation functions against the torch oracle: values, dtypes, shapes, warnings and errors."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from oracle import assert_same, check_op

import tensorish
from tensorish._dispatch import Op, apply

MAKE = [
    ("zeros_size_kw", lambda m: m.zeros(size=(2, 3))),
    ("ones_size_kw_list", lambda m: m.ones(size=[2])),
    ("empty_size_kw", lambda m: m.empty(size=(1, 2)).shape),
    ("full_kw", lambda m: m.full(size=(2,), fill_value=3)),
    ("zeros_dtype", lambda m: m.zeros(2, 2, dtype=m.int32)),
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 4)),
    ("eye_tall", lambda m: m.eye(4, 2, dtype=m.int64)),
    ("eye_zero", lambda m: m.eye(0)),
    ("logspace", lambda m: m.logspace(0, 2, 5)),
    ("logspace_base", lambda m: m.logspace(0, 3, 4, base=2)),
    ("logspace_neg", lambda m: m.logspace(-2, 1, 7, dtype=m.float64)),
    ("logspace_int", lambda m: m.logspace(0, 2, 3, dtype=m.int64)),
    ("logspace_one", lambda m: m.logspace(1, 5, 1)),
    ("tril_indices", lambda m: m.tril_indices(3, 4)),
    ("tril_indices_offset", lambda m: m.tril_indices(4, 3, 1)),
    ("tril_indices_neg", lambda m: m.tril_indices(3, 3, -1)),
    ("triu_indices", lambda m: m.triu_indices(3, 3)),
    ("triu_indices_offset", lambda m: m.triu_indices(3, 5, 2)),
    ("triu_indices_dtype", lambda m: m.triu_indices(2, 2, dtype=m.int32)),
    ("tril_indices_empty", lambda m: m.tril_indices(0, 0)),
    ("scalar_tensor", lambda m: m.scalar_tensor(3)),
    ("scalar_tensor_bool", lambda m: m.scalar_tensor(True)),
    ("scalar_tensor_dtype", lambda m: m.scalar_tensor(2.5, dtype=m.int64)),
    ("as_tensor_list", lambda m: m.as_tensor([1, 2.0])),
    ("as_tensor_numpy", lambda m: m.as_tensor(np.ones(2))),
    ("as_tensor_numpy_int32", lambda m: m.as_tensor(np.arange(3, dtype=np.int32))),
    ("as_tensor_dtype", lambda m: m.as_tensor([1, 2], dtype=m.float64)),
    ("as_tensor_scalar", lambda m: m.as_tensor(3)),
    ("asarray_numpy", lambda m: m.asarray(np.ones(2))),
    ("asarray_list", lambda m: m.asarray([1, 2])),
    ("asarray_float", lambda m: m.asarray(3.5)),
    ("asarray_np_scalar", lambda m: m.asarray(np.float64(2.0))),
    ("asarray_dtype", lambda m: m.asarray([1, 2], dtype=m.float16)),
    ("from_numpy", lambda m: m.from_numpy(np.arange(3))),
    ("from_numpy_f16", lambda m: m.from_numpy(np.ones(2, np.float16))),
    ("from_numpy_bool", lambda m: m.from_numpy(np.array([True, False]))),
    ("from_numpy_2d", lambda m: m.from_numpy(np.arange(6.0).reshape(2, 3))),
    ("complex", lambda m: m.complex(m.tensor([1.0, -2.0]), m.tensor([0.5, 3.0]))),
    (
        "complex_double",
        lambda m: m.complex(m.ones(2, dtype=m.float64), m.zeros(2, dtype=m.float64)),
    ),
    ("polar", lambda m: m.polar(m.tensor([1.0, 2.0]), m.tensor([0.0, 1.5]))),
    ("meshgrid_ij", lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing="ij")),
    ("meshgrid_xy", lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing="xy")),
    (
        "meshgrid_three_xy",
        lambda m: m.meshgrid(m.arange(2), m.arange(3), m.arange(4), indexing="xy"),
    ),
    ("meshgrid_list", lambda m: m.meshgrid([m.arange(2.0), m.tensor(5.0)], indexing="ij")),
    ("meshgrid_one", lambda m: m.meshgrid(m.arange(3), indexing="xy")),
]


@pytest.mark.parametrize("name,make", MAKE, ids=[m[0] for m in MAKE])
def test_make(name, make):
    t, s = make(torch), make(tensorish)
    if isinstance(t, torch.Size):
        assert tuple(t) == tuple(s)
    else:
        assert_same(t, s, name)


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        out = tensorish.meshgrid(tensorish.arange(2), tensorish.arange(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(torch.meshgrid(torch.arange(2), torch.arange(3)), out, "default is ij")


def test_meshgrid_grad():
    check_op(
        [(2,), (3,)],
        lambda a, b: torch.meshgrid(a, b, indexing="xy"),
        lambda a, b: tensorish.meshgrid(a, b, indexing="xy"),
    )
    a = tensorish.ones(2, requires_grad=True)
    assert type(tensorish.meshgrid(a, a, indexing="ij")[0].grad_fn).__name__ == "ExpandBackward0"


def test_complex_polar_grad():
    check_op(
        [(3,), (3,)],
        lambda a, b: torch.view_as_real(torch.complex(a, b)) * 1,
        lambda a, b: _as_real(tensorish.complex(a, b)),
    )
    check_op(
        [(3,), (3,)],
        lambda a, b: torch.view_as_real(torch.polar(a, b)) * 1,
        lambda a, b: _as_real(tensorish.polar(a, b)),
        low=0.5,
    )
    for m in (torch, tensorish):
        a = m.ones(2, requires_grad=True)
        assert type(m.complex(a, a).grad_fn).__name__ == "ComplexBackward0"
        assert type(m.polar(a, a).grad_fn).__name__ == "PolarBackward0"


def _as_real(z):
    """Real and imaginary parts stacked last, through ops that carry gradients."""
    return apply(Op("ViewAsRealBackward0", lambda z: jnp.stack([z.real, z.imag], -1)), (z,))


def test_as_tensor_and_asarray_reuse():
    for m in (torch, tensorish):
        t = m.ones(2)
        assert m.as_tensor(t) is t and m.asarray(t) is t
        assert m.as_tensor(t, dtype=m.float32) is t
        a = m.ones(2, requires_grad=True)
        converted = m.as_tensor(a, dtype=m.float64)
        assert type(converted.grad_fn).__name__ == "ToCopyBackward0"
        converted.sum().backward()
        assert a.grad.dtype == m.float32 and a.grad.tolist() == [1.0, 1.0]


def test_asarray_requires_grad():
    for m in (torch, tensorish):
        s = m.asarray([1.0, 2.0], requires_grad=True)
        assert s.requires_grad and s.is_leaf
        with pytest.warns(UserWarning, match="unspecified requires_grad now defaults"):
            m.asarray(m.ones(2, requires_grad=True), dtype=m.float64)


def test_from_numpy_keeps_dtype():
    for dt in (
        np.float32,
        np.float64,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.bool_,
        np.complex64,
    ):
        arr = np.zeros(2, dt)
        assert_same(torch.from_numpy(arr), tensorish.from_numpy(arr), str(dt))


def test_creation_requires_grad():
    for make in (
        lambda m: m.eye(2, requires_grad=True),
        lambda m: m.logspace(0, 1, 3, requires_grad=True),
        lambda m: m.scalar_tensor(1.0, requires_grad=True),
        lambda m: m.zeros(size=(2,), requires_grad=True),
    ):
        t, s = make(torch), make(tensorish)
        assert s.requires_grad == t.requires_grad and s.is_leaf


ERRORS = [
    ("eye_negative", lambda m: m.eye(-1)),
    ("eye_negative_m", lambda m: m.eye(2, -3)),
    ("logspace_steps", lambda m: m.logspace(0, 1, -1)),
    ("meshgrid_indexing", lambda m: m.meshgrid(m.ones(2), indexing="foo")),
    ("complex_dtypes", lambda m: m.complex(m.ones(2), m.ones(2, dtype=m.float64))),
    ("complex_ints", lambda m: m.complex(m.tensor([1, 2]), m.tensor([1, 2]))),
    ("polar_ints", lambda m: m.polar(m.tensor([1]), m.tensor([1]))),
    ("from_numpy_list", lambda m: m.from_numpy([1])),
    ("zeros_negative", lambda m: m.zeros(size=(2, -1))),
]


@pytest.mark.parametrize("name,f", ERRORS, ids=[e[0] for e in ERRORS])
def test_error(name, f):
    with pytest.raises(Exception) as t_err:
        f(torch)
    with pytest.raises(Exception) as s_err:
        f(tensorish)
    assert type(s_err.value) is type(t_err.value)
    assert str(s_err.value) == str(t_err.value).replace("torch.", "tensorish.")

"""Interop: JAX (pytree, __jax_array__, from_jax/to_jax), NumPy, DLPack with real PyTorch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from oracle import assert_same

import tensorish


def test_jax_array_protocol_and_pytree():
    t = tensorish.tensor([0.5, 1.0, 2.0])
    np.testing.assert_allclose(np.asarray(jnp.sin(t)), np.sin([0.5, 1.0, 2.0]), rtol=1e-6)
    leaves, tree = jax.tree_util.tree_flatten({"a": t, "b": [t, 3]})
    assert leaves[0] is t.jax() and len(leaves) == 3
    back = jax.tree_util.tree_unflatten(tree, leaves)
    assert isinstance(back["a"], tensorish.Tensor) and back["a"].tolist() == t.tolist()
    doubled = jax.tree_util.tree_map(lambda v: v * 2, {"w": t})
    assert isinstance(doubled["w"], tensorish.Tensor)
    assert doubled["w"].tolist() == [1.0, 2.0, 4.0]


def test_pytree_keeps_requires_grad_of_concrete_tensors():
    w = tensorish.ones(2, requires_grad=True)
    (w2,) = jax.tree_util.tree_map(lambda v: v + 1, (w,))
    assert w2.requires_grad and w2.is_leaf


def test_jit_over_tensors():
    @jax.jit
    def step(p, x):
        return p * x + 1

    out = step(tensorish.tensor([1.0, 2.0]), tensorish.tensor([3.0, 4.0]))
    assert isinstance(out, tensorish.Tensor) and out.tolist() == [4.0, 9.0]
    assert not out.requires_grad


def test_from_jax_to_jax_no_copy():
    a = jnp.arange(3.0)
    t = tensorish.from_jax(a)
    assert tensorish.to_jax(t) is a and t.jax() is a and not t.requires_grad
    r = tensorish.from_jax(a, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    (r * r).sum().backward()
    assert r.grad.tolist() == [0.0, 2.0, 4.0]
    with pytest.raises(RuntimeError):
        tensorish.from_jax(jnp.arange(3), requires_grad=True)


def test_numpy_roundtrip():
    for arr in (
        np.arange(6.0).reshape(2, 3),
        np.arange(4, dtype=np.int32),
        np.array([True, False]),
        np.ones(2, np.float16),
    ):
        assert_same(torch.from_numpy(arr), tensorish.from_numpy(arr), "from_numpy")
        assert_same(torch.as_tensor(arr), tensorish.as_tensor(arr), "as_tensor")
        np.testing.assert_array_equal(tensorish.from_numpy(arr).numpy(), arr)
        np.testing.assert_array_equal(np.asarray(tensorish.from_numpy(arr)), arr)


def test_as_tensor_returns_same_tensor():
    for m in (torch, tensorish):
        t = m.ones(2)
        assert m.as_tensor(t) is t
        assert m.as_tensor(t, dtype=m.float64) is not t
        assert m.as_tensor(t, dtype=m.float64).dtype is m.float64
    assert_same(torch.as_tensor([1, 2]), tensorish.as_tensor([1, 2]), "list")


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.from_numpy([1, 2]),
        lambda m: m.from_numpy(np.array(["a"])),
        lambda m: m.ones(2, requires_grad=True).numpy(),
        lambda m: np.asarray(m.ones(2, requires_grad=True)),
        lambda m: m.ones(2, requires_grad=True).__dlpack__(),
    ],
    ids=["list", "str array", "numpy grad", "asarray grad", "dlpack grad"],
)
def test_errors(case):
    with pytest.raises(Exception) as te:
        case(torch)
    with pytest.raises(Exception) as se:
        case(tensorish)
    assert type(se.value) is type(te.value)
    assert str(se.value) == str(te.value)


def test_dlpack_both_ways_with_torch():
    t = torch.arange(6.0).reshape(2, 3)
    s = tensorish.from_dlpack(t)
    assert_same(t, s, "from torch")
    back = torch.from_dlpack(tensorish.tensor([[1.5, 2.0]], dtype=tensorish.float64))
    assert_same(back, tensorish.tensor([[1.5, 2.0]], dtype=tensorish.float64), "to torch")
    assert back.dtype == torch.float64
    i = torch.from_dlpack(tensorish.tensor([1, 2, 3]))
    assert i.dtype == torch.int64 and i.tolist() == [1, 2, 3]
    assert tensorish.ones(2).__dlpack_device__() == torch.ones(2).__dlpack_device__()


def test_dlpack_with_numpy():
    arr = np.arange(4.0)
    assert_same(torch.from_dlpack(arr), tensorish.from_dlpack(arr), "numpy -> tensor")
    np.testing.assert_array_equal(np.from_dlpack(tensorish.tensor([1.0, 2.0])), [1.0, 2.0])

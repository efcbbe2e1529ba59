"""Tensors and Parameters in JAX's hands: jnp functions, transforms and jax.tree utilities."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from oracle import assert_same, both

import tensorish

DATA = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


@pytest.mark.parametrize("param", [False, True], ids=["Tensor", "Parameter"])
@pytest.mark.parametrize(
    "name, jnp_fn, torch_fn",
    [
        ("sin", jnp.sin, torch.sin),
        ("sum", lambda a: jnp.sum(a, axis=0), lambda a: a.sum(0)),
        ("matmul", lambda a: jnp.matmul(a, a.T), lambda a: a @ a.T),
        ("where", lambda a: jnp.where(a > 0, a, 0.0), lambda a: torch.where(a > 0, a, 0.0)),
        ("concatenate", lambda a: jnp.concatenate([a, a]), lambda a: torch.cat([a, a])),
        ("einsum", lambda a: jnp.einsum("ij,ij->i", a, a), lambda a: (a * a).sum(1)),
    ],
)
def test_jnp_functions_take_tensors(name, jnp_fn, torch_fn, param):
    t, s = both(DATA, "float32")
    if param:
        t, s = torch.nn.Parameter(t), tensorish.nn.Parameter(s)
    out = jnp_fn(s)
    assert isinstance(out, jax.Array)
    expected = torch_fn(t).detach().numpy()
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)
    assert out.dtype == expected.dtype


def test_jit_vmap_and_eval_shape_over_tensors():
    t, s = both(DATA, "float32")
    p = tensorish.nn.Parameter(s)

    def f(x):
        return tensorish.nn.functional.relu(x - 1) * 2

    assert_same(torch.nn.functional.relu(t - 1) * 2, jax.jit(f)(p), "jit")
    assert_same(torch.vmap(lambda x: x.sum())(t), jax.vmap(lambda x: x.sum())(s), "vmap")
    shape = jax.eval_shape(f, p)
    assert isinstance(shape, jax.ShapeDtypeStruct)
    assert shape.shape == tuple(t.shape) and shape.dtype == np.float32
    assert repr(shape) == "ShapeDtypeStruct(shape=(2, 3), dtype=float32)"
    assert repr(jax.eval_shape(jnp.sin, p)) == repr(shape)


def test_jax_grad_over_a_parameter():
    t, s = both(DATA, "float32", requires_grad=True)
    p = tensorish.nn.Parameter(s.detach())
    (t.sin() * t).sum().backward()
    g = jax.grad(lambda x: (x.sin() * x).sum().jax())(p)  # jax.grad wants an array out
    assert isinstance(g, tensorish.nn.Parameter)
    np.testing.assert_allclose(g.detach().numpy(), t.grad.numpy(), rtol=1e-6)


def test_tree_utilities_give_printable_results():
    s = tensorish.tensor(DATA)  # float32, as torch.tensor gives
    p = tensorish.nn.Parameter(s)
    assert jax.tree.map(lambda a: a.shape, s) == (2, 3)
    assert jax.tree.map(lambda a: a.dtype, p) == np.float32
    assert repr(jax.tree.map(lambda a: a.shape, {"t": s, "p": p})) == "{'p': (2, 3), 't': (2, 3)}"
    doubled = jax.tree.map(lambda a: a * 2, p)
    assert isinstance(doubled, tensorish.nn.Parameter) and doubled.requires_grad
    assert repr(doubled) == repr(tensorish.nn.Parameter(s * 2))

    model = tensorish.nn.Linear(3, 2)
    sd = model.state_dict()
    assert str(jax.tree.map(lambda a: a.shape, sd)) == (
        "OrderedDict([('weight', (2, 3)), ('bias', (2,))])"
    )
    leaves = jax.tree.leaves(dict(model.named_parameters()))
    assert [leaf.shape for leaf in leaves] == [(2,), (2, 3)]  # sorted keys: bias, weight
    paths = [jax.tree_util.keystr(k[:1]) for k, _ in jax.tree_util.tree_leaves_with_path(sd)]
    assert paths == ["['weight']", "['bias']"]


def test_trees_that_differ_in_requires_grad_map_together():
    w = tensorish.ones(3, requires_grad=True)
    (w * w).sum().backward()
    new = jax.tree.map(lambda p, g: p - 0.1 * g, {"w": w.detach()}, {"w": w.grad})
    assert new["w"].tolist() == pytest.approx([0.8, 0.8, 0.8])
    stepped = jax.tree.map(lambda p, g: p - 0.1 * g, (w,), (w.grad,))
    assert stepped[0].requires_grad  # the first tree's flags are kept


def test_x64_recipe_for_users_own_jax_code():
    # tensorish turns on jax_enable_x64; JAX's own defaults then give 64-bit arrays. The README's
    # recipe keeps them 32-bit inside a block, and tensorish keeps PyTorch's defaults everywhere.
    assert jnp.ones(2).dtype == np.float64
    with jax.enable_x64(False):
        mlp = eqx.nn.MLP(2, 1, 4, 1, key=jax.random.key(0))
        assert jnp.arange(3).dtype == np.int32
    assert mlp.layers[0].weight.dtype == np.float32
    assert tensorish.ones(2).dtype is tensorish.float32
    assert tensorish.tensor([1]).dtype is tensorish.int64

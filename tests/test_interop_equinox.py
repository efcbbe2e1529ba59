"""tensorish.interop: Equinox models as tensorish modules and back, same weights, same forward,
same gradients and the same training (tensorish.optim.SGD against optax.sgd)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import tensorish
from tensorish.interop import from_equinox, to_equinox

F32 = jnp.float32
X = jax.random.normal(jax.random.key(1), (6, 3), F32)
Y = jax.random.normal(jax.random.key(2), (6, 2), F32)


class Affine(eqx.Module):
    """A small custom module: an array field, a nested layer and a static float."""

    w: jax.Array
    inner: eqx.nn.Linear
    scale: float = eqx.field(static=True)

    def __call__(self, x):
        return self.inner(jnp.tanh(self.w * x)) * self.scale


def _models():
    k = jax.random.key(0)
    return {
        "linear": (eqx.nn.Linear(3, 2, key=k, dtype=F32), ["weight", "bias"]),
        "mlp": (
            eqx.nn.MLP(3, 2, 8, 2, key=k, dtype=F32),
            [f"layers.{i}.{n}" for i in range(3) for n in ("weight", "bias")],
        ),
        "custom": (
            Affine(jnp.arange(1.0, 4.0, dtype=F32), eqx.nn.Linear(3, 2, key=k, dtype=F32), 0.5),
            ["w", "inner.weight", "inner.bias"],
        ),
    }


def _leaves(model):
    return jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))


def _loss_eqx(model):
    return jnp.mean((jax.vmap(model)(X) - Y) ** 2)


@pytest.mark.parametrize("kind", ["linear", "mlp", "custom"])
def test_weights_forward_and_round_trip(kind):
    model, names = _models()[kind]
    m = from_equinox(model)
    assert [n for n, _ in m.named_parameters()] == names
    for p, leaf in zip(m.parameters(), _leaves(model)):
        assert isinstance(p, tensorish.nn.Parameter) and p.requires_grad
        np.testing.assert_array_equal(p.jax(), leaf)
    out = m(tensorish.from_jax(X))
    assert out.grad_fn.name() == "EquinoxBackward"
    np.testing.assert_array_equal(out.detach().jax(), jax.vmap(model)(X))
    back = to_equinox(m)
    assert type(back) is type(model)
    assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(model)
    for a, b in zip(_leaves(back), _leaves(model)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        from_equinox(model, batched=False)(tensorish.from_jax(X[0])).detach().jax(), model(X[0])
    )


@pytest.mark.parametrize("kind", ["linear", "mlp", "custom"])
def test_gradients_match_filter_grad(kind):
    model, _ = _models()[kind]
    m = from_equinox(model)
    loss = ((m(tensorish.from_jax(X)) - tensorish.from_jax(Y)) ** 2).mean()
    loss.backward()
    grads = eqx.filter_grad(_loss_eqx)(model)
    np.testing.assert_allclose(loss.item(), _loss_eqx(model), rtol=1e-6)
    for p, g in zip(m.parameters(), _leaves(grads)):
        np.testing.assert_allclose(p.grad.jax(), g, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["linear", "mlp", "custom"])
def test_sgd_training_matches_optax(kind):
    model, _ = _models()[kind]
    m = from_equinox(model)
    opt = tensorish.optim.SGD(m.parameters(), lr=0.1)
    x, y = tensorish.from_jax(X), tensorish.from_jax(Y)
    ours = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        ours.append(loss.item())
    tx = optax.sgd(0.1)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    state = tx.init(params)
    theirs = []
    for _ in range(5):
        loss, g = jax.value_and_grad(lambda p: _loss_eqx(eqx.combine(p, static)))(params)
        updates, state = tx.update(g, state)
        params = optax.apply_updates(params, updates)
        theirs.append(float(loss))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert ours[-1] < ours[0]
    for a, b in zip(_leaves(to_equinox(m)), _leaves(params)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_tensorish_module_to_equinox_and_back():
    tensorish.manual_seed(0)
    net = tensorish.nn.Sequential(
        tensorish.nn.Linear(3, 8), tensorish.nn.Tanh(), tensorish.nn.Linear(8, 2)
    )
    e = to_equinox(net)
    assert isinstance(e, eqx.Module)
    assert sorted(e.params) == sorted(n for n, _ in net.named_parameters())
    want = net(tensorish.from_jax(X))
    np.testing.assert_allclose(jax.vmap(e)(X), want.detach().jax(), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.vmap(e))(X), want.detach().jax(), rtol=1e-6)
    ((want - tensorish.from_jax(Y)) ** 2).mean().backward()
    grads = eqx.filter_grad(_loss_eqx)(e).params
    jgrads = jax.grad(lambda m: _loss_eqx(m))(e).params
    for n, p in net.named_parameters():
        np.testing.assert_allclose(grads[n], p.grad.jax(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(jgrads[n], p.grad.jax(), rtol=1e-5, atol=1e-7)
    again = from_equinox(e)
    assert sorted(n for n, _ in again.named_parameters()) == sorted(e.params)
    np.testing.assert_allclose(
        again(tensorish.from_jax(X)).detach().jax(), want.detach().jax(), rtol=1e-6
    )


def test_compiled_training_of_an_equinox_model():
    model, _ = _models()["mlp"]
    m = from_equinox(model)
    opt = tensorish.optim.SGD(m.parameters(), lr=0.1)
    x, y = tensorish.from_jax(X), tensorish.from_jax(Y)

    @tensorish.compile
    def step():
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    losses = [step().item() for _ in range(4)]
    params, static = eqx.partition(model, eqx.is_inexact_array)
    want = []
    for _ in range(4):
        loss, g = jax.value_and_grad(lambda p: _loss_eqx(eqx.combine(p, static)))(params)
        params = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, g)
        want.append(float(loss))
    np.testing.assert_allclose(losses, want, rtol=1e-5)
    assert step.compile_count == 1

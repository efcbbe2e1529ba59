"""The JAX bridge: wrap_jax (a JAX function as a tensorish op) and unwrap (tensorish as JAX)."""

import jax
import jax.numpy as jnp
import numpy as np
import torch
from oracle import assert_same

import tensorish


def _softplus(x):
    return jnp.logaddexp(x, 0.0)


def test_wrap_jax_forward_and_backward_match_torch():
    softplus = tensorish.wrap_jax(_softplus, name="Softplus")
    data = np.linspace(-3, 3, 7, dtype=np.float32)
    t = torch.tensor(data, requires_grad=True)
    s = tensorish.tensor(data, requires_grad=True)
    out_t, out_s = torch.nn.functional.softplus(t), softplus(s)
    assert_same(out_t, out_s, "forward")
    assert out_s.grad_fn.name() == "SoftplusBackward"
    up = np.linspace(0.5, 1.5, 7, dtype=np.float32)
    (out_t * torch.tensor(up)).sum().backward()
    (out_s * tensorish.tensor(up)).sum().backward()
    assert_same(t.grad, s.grad, "backward")


def test_wrap_jax_pytree_outputs_and_second_order():
    def polar(x, y):
        return {"r": jnp.sqrt(x**2 + y**2), "theta": jnp.arctan2(y, x)}

    f = tensorish.wrap_jax(polar)
    data = [np.array([3.0, 1.0]), np.array([4.0, -1.0])]
    ts = [torch.tensor(d, requires_grad=True) for d in data]
    ss = [tensorish.tensor(d, requires_grad=True) for d in data]
    out = f(*ss)
    r_t, th_t = torch.sqrt(ts[0] ** 2 + ts[1] ** 2), torch.atan2(ts[1], ts[0])
    assert_same(r_t, out["r"], "r")
    assert_same(th_t, out["theta"], "theta")
    (r_t.sum() + 2 * th_t.sum()).backward()
    (out["r"].sum() + 2 * out["theta"].sum()).backward()
    for a, b in zip(ts, ss):
        assert_same(a.grad, b.grad, "grad")


def test_wrap_jax_without_grad_records_nothing():
    y = tensorish.wrap_jax(_softplus)(tensorish.ones(3))
    assert y.grad_fn is None and not y.requires_grad


def test_unwrap_function_under_jax_transforms_equals_backward():
    def loss(w, x):
        return ((x @ w) ** 2).mean()

    w = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    pure = tensorish.unwrap(loss)
    g_jax = jax.jit(jax.grad(pure))(jnp.asarray(w), jnp.asarray(x))
    ws = tensorish.tensor(w, requires_grad=True)
    loss(ws, tensorish.tensor(x)).backward()
    np.testing.assert_allclose(np.asarray(g_jax), ws.grad.numpy(), rtol=1e-6)
    batched = jax.vmap(pure, in_axes=(None, 0))(jnp.asarray(w), jnp.asarray(x)[:, None, :])
    expected = [loss(tensorish.tensor(w), tensorish.tensor(x[i : i + 1])).item() for i in range(4)]
    np.testing.assert_allclose(np.asarray(batched), expected, rtol=1e-6)


class _Affine:
    """The smallest module: parameters by name, attribute paths, a forward."""

    def __init__(self):
        self.weight = tensorish.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        self.bias = tensorish.tensor([0.5, -0.5], requires_grad=True)

    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]

    def __call__(self, x):
        return x @ self.weight + self.bias


def test_unwrap_module_gives_apply_and_params():
    model = _Affine()
    apply_fn, params = tensorish.unwrap(model)
    assert set(params) == {"weight", "bias"} and isinstance(params["weight"], jax.Array)
    x = jnp.array([[1.0, -1.0], [2.0, 0.5]], dtype=jnp.float32)

    def loss(p):
        return (apply_fn(p, x) ** 2).sum()

    grads = jax.grad(loss)(params)
    (model(tensorish.tensor(np.asarray(x))) ** 2).sum().backward()
    np.testing.assert_allclose(np.asarray(grads["weight"]), model.weight.grad.numpy())
    np.testing.assert_allclose(np.asarray(grads["bias"]), model.bias.grad.numpy())
    assert model.weight.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # the module is left as it was

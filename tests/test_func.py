"""tensorish.func against torch.func, and against tensorish's own imperative autograd."""

import jax
import numpy as np
import pytest
import torch
from oracle import assert_same, pair

import tensorish

X = [0.5, -1.5, 2.0]
Y = [1.5, 0.25, -0.75]


def f(x, y):
    return (x * x * x * y).sum()


def vec(x, y):
    return x * x * y


def test_grad_argnums_and_aux():
    def run(m):
        x, y = m.tensor(X), m.tensor(Y)
        return (
            m.func.grad(f)(x, y),
            m.func.grad(f, argnums=(0, 1))(x, y),
            m.func.grad(lambda a, b: (f(a, b), a * 2), has_aux=True)(x, y),
        )

    assert_same(*pair(run), "grad")


def test_grad_and_value():
    def run(m):
        x, y = m.tensor(X), m.tensor(Y)
        return (
            m.func.grad_and_value(f, argnums=1)(x, y),
            m.func.grad_and_value(lambda a: (f(a, a), a.sum()), has_aux=True)(x),
        )

    assert_same(*pair(run), "grad_and_value")


def test_nested_grad():
    def run(m):
        g = m.func.grad(lambda a: m.func.grad(lambda b: (b**4).sum())(a).sum())
        return g(m.tensor(X))

    assert_same(*pair(run), "grad(grad)")


def test_vjp_jvp_linearize():
    def run(m):
        x, y = m.tensor(X), m.tensor(Y)
        out, vjp_fn = m.func.vjp(vec, x, y)
        _, vjp_aux, aux = m.func.vjp(lambda a: (a * 3, a.sum()), x, has_aux=True)
        jout, jt = m.func.jvp(vec, (x, y), (m.ones(3), y))
        lout, jvp_fn = m.func.linearize(lambda a: a**3, x)
        return (
            out,
            vjp_fn(m.tensor([1.0, 2.0, 3.0])),
            vjp_aux(m.ones(3)),
            aux,
            jout,
            jt,
            lout,
            jvp_fn(m.tensor([1.0, 0.0, -1.0])),
        )

    assert_same(*pair(run), "vjp/jvp")


def test_vmap_in_out_dims_and_nested():
    def run(m):
        a = m.tensor(np.arange(6.0).reshape(2, 3).tolist())
        b = m.tensor(X)
        return (
            m.func.vmap(lambda r, s: r * s)(a, a),
            m.func.vmap(lambda r, s: r * s, in_dims=(1, None))(a, m.tensor([2.0, 3.0])),
            m.func.vmap(lambda r: r * 2, out_dims=1)(a),
            m.func.vmap(lambda r, s: r * s, in_dims=(None, 0))(b, a),
            m.func.vmap(lambda r: r.sum())(a),
        )

    assert_same(*pair(run), "vmap")


def test_vmap_nested_outer_product():
    def run(m):
        u, v = m.tensor(X), m.tensor(Y)
        return m.func.vmap(m.func.vmap(lambda a, b: a * b, in_dims=(None, 0)), in_dims=(0, None))(
            u, v
        )

    assert_same(*pair(run), "nested vmap")


def test_vmap_of_grad_is_per_sample_gradient():
    def run(m):
        xs = m.tensor([X, Y])
        w = m.tensor([0.5, 1.0, -1.0])
        return m.func.vmap(m.func.grad(lambda p, x: ((p * x) ** 2).sum()), in_dims=(None, 0))(w, xs)

    assert_same(*pair(run), "per-sample grads")


def test_jacrev_jacfwd_hessian():
    def run(m):
        x, y = m.tensor(X), m.tensor(Y)
        return (
            m.func.jacrev(vec)(x, y),
            m.func.jacfwd(vec, argnums=1)(x, y),
            m.func.jacrev(vec, argnums=(0, 1))(x, y),
            m.func.hessian(f)(x, y),
            m.func.jacrev(m.func.jacfwd(f))(x, y),
        )

    assert_same(*pair(run), "jacobians", rtol=1e-5, atol=1e-5)


def test_errors():
    for fn in (
        lambda m: m.func.grad(lambda a: a * 2)(m.ones(2)),
        lambda m: m.func.vmap(lambda a, b: a * b)(m.ones(2, 3), m.ones(3, 3)),
    ):
        with pytest.raises(Exception) as te:
            fn(torch)
        with pytest.raises(Exception) as se:
            fn(tensorish)
        assert type(se.value) is type(te.value)
        assert str(se.value) == str(te.value)


def module(m):
    """Tiny for tensorish; the same module as a real ``torch.nn.Module`` for torch."""
    if m is tensorish:
        return Tiny(m)

    class TorchTiny(torch.nn.Module):
        def __init__(self, sub=True):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.tensor(X))
            self.register_buffer("scale", torch.tensor(2.0))
            self.child = TorchTiny(sub=False) if sub else None

        def forward(self, x):
            out = (self.weight * x).sum() * self.scale
            return out + self.child(x) if self.child is not None else out

    return TorchTiny()


class Tiny:
    """A stand-in module: parameters, a buffer, a submodule, named_* and __call__."""

    def __init__(self, m, sub=True):
        self.weight = m.tensor(X, requires_grad=True)
        self.scale = m.tensor(2.0)
        self.child = Tiny(m, sub=False) if sub else None

    def named_parameters(self, **kwargs):
        yield "weight", self.weight
        if self.child is not None:
            for n, p in self.child.named_parameters():
                yield "child." + n, p

    def named_buffers(self, **kwargs):
        yield "scale", self.scale

    def __call__(self, x):
        out = (self.weight * x).sum() * self.scale
        return out + self.child(x) if self.child is not None else out


def test_functional_call_and_grad_over_params():
    def run(m):
        mod = module(m)
        x = m.tensor(Y)
        params = {n: p.detach() * 3 for n, p in mod.named_parameters()}
        out = m.func.functional_call(mod, (params, {"scale": m.tensor(0.5)}), (x,))
        grads = m.func.grad(lambda p: m.func.functional_call(mod, p, x))(params)
        restored = mod(x)
        return out, grads["weight"], grads["child.weight"], restored

    assert_same(*pair(run), "functional_call")


def test_functional_call_strict():
    mod = Tiny(tensorish)
    with pytest.raises(RuntimeError) as e:
        tensorish.func.functional_call(
            mod, {"weight": tensorish.ones(3)}, (tensorish.ones(3),), strict=True
        )
    assert str(e.value) == (
        "Error(s) in reparametrizing for Tiny:\n\tMissing key(s): 'child.weight', 'scale'."
    )


@pytest.mark.parametrize("name", ["grad", "jacrev", "jacfwd", "hessian"])
def test_func_equals_imperative_backward(name):
    x, y = tensorish.tensor(X, requires_grad=True), tensorish.tensor(Y)
    if name == "grad":
        f(x, y).backward()
        assert_same(x.grad, tensorish.func.grad(f)(x.detach(), y), "grad", rtol=0, atol=0)
    elif name in ("jacrev", "jacfwd"):
        jac = tensorish.autograd.functional.jacobian(lambda a: vec(a, y), x.detach())
        assert_same(
            jac, getattr(tensorish.func, name)(vec)(x.detach(), y), name, rtol=1e-6, atol=1e-6
        )
    else:
        h = tensorish.autograd.functional.hessian(lambda a: f(a, y), x.detach())
        assert_same(h, tensorish.func.hessian(f)(x.detach(), y), name, rtol=1e-6, atol=1e-6)


def test_vjp_equals_imperative_grad_outputs():
    x, y = tensorish.tensor(X, requires_grad=True), tensorish.tensor(Y, requires_grad=True)
    v = tensorish.tensor([1.0, -2.0, 0.5])
    gx, gy = tensorish.autograd.grad(vec(x, y), (x, y), v)
    _, vjp_fn = tensorish.func.vjp(vec, x.detach(), y.detach())
    assert_same((gx, gy), vjp_fn(v), "vjp", rtol=0, atol=0)


def test_func_under_jax_jit():
    g = jax.jit(tensorish.func.grad(f))
    x, y = tensorish.tensor(X), tensorish.tensor(Y)
    out = g(x, y)
    assert isinstance(out, tensorish.Tensor)
    assert_same(torch.func.grad(f)(torch.tensor(X), torch.tensor(Y)), out, "jit(grad)")
    jv = jax.jit(tensorish.func.vmap(tensorish.func.grad(lambda a: (a**3).sum())))
    assert_same(
        torch.func.vmap(torch.func.grad(lambda a: (a**3).sum()))(torch.ones(2, 3)),
        jv(tensorish.ones(2, 3)),
        "jit(vmap(grad))",
    )


def test_tracer_tensors_do_not_record():
    w = tensorish.tensor(X, requires_grad=True)
    seen = []

    def loss(x):
        out = (w * x).sum()
        seen.append((x.requires_grad, x.grad_fn))
        return out

    tensorish.func.grad(loss)(tensorish.tensor(Y))
    assert seen == [(False, None)]

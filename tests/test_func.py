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


def _keys(tree):
    """The nesting of dict keys in ``tree``, in order (what code that zips by position sees)."""
    if isinstance(tree, dict):
        return [(k, _keys(v)) for k, v in tree.items()]
    if isinstance(tree, (list, tuple)):
        return [_keys(v) for v in tree]
    return None


def _params(m):
    return {"w": m.tensor([1.0, 2.0]), "b": m.tensor([0.5, -1.0, 3.0])}


def _loss(p):
    return (p["w"] ** 3).sum() + (p["b"] ** 2).sum() * p["w"][0]


DICT_ORDER = {
    "grad": lambda m: m.func.grad(_loss)(_params(m)),
    "grad_argnums": lambda m: m.func.grad(lambda a, p: _loss(p) * a.sum(), argnums=(0, 1))(
        m.ones(2), _params(m)
    ),
    "grad_aux": lambda m: m.func.grad(
        lambda p: (_loss(p), {"z": p["w"] * 2, "a": p["b"]}), has_aux=True
    )(_params(m)),
    "grad_and_value": lambda m: m.func.grad_and_value(_loss)(_params(m)),
    "vjp": lambda m: m.func.vjp(lambda p: {"z": p["w"] * 2, "a": p["b"] ** 2}, _params(m))[1](
        {"z": m.ones(2), "a": m.ones(3)}
    ),
    "vjp_out": lambda m: m.func.vjp(lambda p: {"z": p["w"] * 2, "a": p["b"] ** 2}, _params(m))[0],
    "jvp": lambda m: m.func.jvp(
        lambda p: {"z": p["w"] * 2, "a": p["b"] ** 2}, (_params(m),), (_params(m),)
    ),
    "linearize": lambda m: m.func.linearize(lambda p: {"z": p["w"] ** 2, "a": p["b"]}, _params(m))[
        1
    ](_params(m)),
    "vmap": lambda m: m.func.vmap(lambda x: {"z": x * 2, "a": {"y": x, "c": x.sum()}})(
        m.ones(2, 3)
    ),
    "vmap_dict_in": lambda m: m.func.vmap(lambda p: {"z": p["w"], "a": p["b"]})(
        {"w": m.ones(4, 2), "b": m.zeros(4)}
    ),
    "jacrev": lambda m: m.func.jacrev(_loss)(_params(m)),
    "jacfwd": lambda m: m.func.jacfwd(_loss)(_params(m)),
    "jacrev_dict_out": lambda m: m.func.jacrev(lambda p: {"z": p["w"] * 2, "a": p["b"]})(
        _params(m)
    ),
    "jacfwd_dict_out": lambda m: m.func.jacfwd(lambda p: {"z": p["w"] * 2, "a": p["b"]})(
        _params(m)
    ),
    "hessian": lambda m: m.func.hessian(_loss)(_params(m)),
}


@pytest.mark.parametrize("name", DICT_ORDER)
def test_dicts_keep_the_callers_key_order(name):
    t, s = DICT_ORDER[name](torch), DICT_ORDER[name](tensorish)
    assert _keys(s) == _keys(t)
    assert_same(_leaves(t), _leaves(s), name, rtol=1e-5, atol=1e-5)


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [x for v in tree for x in _leaves(v)]
    return [tree]


def test_grad_sees_its_dict_in_the_callers_order():
    """``func`` itself receives the dicts in the caller's order (JAX hands them over sorted)."""

    def run(m):
        seen = []

        def f(p):
            seen.append(list(p))
            return sum(v.sum() for v in p.values())

        m.func.grad(f)(_params(m))
        m.func.vmap(f)({"w": m.ones(3, 2), "b": m.ones(3, 1)})
        m.func.hessian(f)(_params(m))
        return seen

    assert run(tensorish) == run(torch)


def test_functional_call_output_keeps_its_graph():
    """Not under a transform, ``functional_call`` runs imperatively: its output has a
    ``grad_fn`` and backward reaches the given tensors (and only them)."""

    def run(m):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.Tanh(), m.nn.Linear(4, 2))
        with m.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(m.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1))
        params = {k: v.detach().clone().requires_grad_() for k, v in model.named_parameters()}
        x = m.linspace(-2, 2, 15).reshape(5, 3)
        out = m.func.functional_call(model, params, (x,))
        name = type(out.grad_fn).__name__
        out.pow(2).sum().backward()
        untouched = [p.grad is None for p in model.parameters()]
        return out, name, [params[k].grad for k in params], untouched, list(params)

    t, s = run(torch), run(tensorish)
    assert_same(t[0], s[0], "output", rtol=1e-5, atol=1e-5)
    assert s[1] == t[1]
    assert_same(t[2], s[2], "gradients", rtol=1e-5, atol=1e-5)
    assert s[3] == t[3] and s[4] == t[4]


def test_per_sample_gradients_zip_with_the_parameters():
    """The per-sample-gradients recipe: ``zip`` of the imperative gradients with
    ``vmap(grad(functional_call))``'s dict values pairs the same parameters."""

    def run(m):
        model = m.nn.Linear(3, 2)
        with m.no_grad():
            model.weight.copy_(m.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
            model.bias.copy_(m.tensor([0.05, -0.05]))
        params = {k: v.detach() for k, v in model.named_parameters()}
        data = m.linspace(-1, 1, 12).reshape(4, 3)
        target = m.tensor([0, 1, 1, 0])

        def loss(p, x, y):
            out = m.func.functional_call(model, p, (x.unsqueeze(0),))
            return m.nn.functional.cross_entropy(out, y.unsqueeze(0))

        per_sample = m.func.vmap(m.func.grad(loss), in_dims=(None, 0, 0))(params, data, target)
        imperative = []
        for x, y in zip(data, target):
            model.zero_grad()
            loss(dict(model.named_parameters()), x, y).backward()
            imperative.append([p.grad.clone() for p in model.parameters()])
        stacked = [m.stack([g[i] for g in imperative]) for i in range(2)]
        return list(zip(stacked, per_sample.values())), list(per_sample)

    t, s = run(torch), run(tensorish)
    assert s[1] == t[1]
    for (a_t, b_t), (a_s, b_s) in zip(t[0], s[0]):
        assert_same(a_t, a_s, "imperative", rtol=1e-5, atol=1e-6)
        assert_same(b_t, b_s, "per-sample", rtol=1e-5, atol=1e-6)
        assert_same(a_s, b_s, "paired by position", rtol=1e-5, atol=1e-6)

"""nn.utils.parametrize, nn.utils.parametrizations and the hook-based weight/spectral norms
against torch: values, gradients, state_dict keys, reprs, class changes, errors."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error
from torch.nn.utils import parametrizations as tz
from torch.nn.utils import parametrize as tp

import tensorish
from tensorish.nn.utils import parametrizations as sz
from tensorish.nn.utils import parametrize as sp

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 4)).astype(np.float32)


def _load(tm, sm):
    state = {k: tensorish.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    return sm.load_state_dict(state)


def _linears(out_features=3):
    torch.manual_seed(0)
    tm, sm = torch.nn.Linear(4, out_features), tensorish.nn.Linear(4, out_features)
    _load(tm, sm)
    return tm, sm


def _compare(tm, sm, stage, steps=1):
    """Forward and backward ``steps`` times (power iterations advance); compare all."""
    for k in range(steps):
        for m in (tm, sm):
            m.zero_grad()
        xt, xs = torch.tensor(X, requires_grad=True), tensorish.tensor(X, requires_grad=True)
        out_t, out_s = tm(xt), sm(xs)
        assert_same(out_t, out_s, f"{stage} forward {k}", atol=2e-6)
        (out_t**2).sum().backward()
        (out_s**2).sum().backward()
        assert_same(xt.grad, xs.grad, f"{stage} input grad", atol=2e-6)
        for (name, a), b in zip(tm.named_parameters(), sm.parameters()):
            assert_same(a.grad, b.grad, f"{stage} {name}", rtol=1e-4, atol=2e-6)
    st, ss = tm.state_dict(), sm.state_dict()
    assert list(ss) == list(st)
    for k in st:
        assert_same(st[k], ss[k], f"{stage} state {k}", atol=2e-6)


class Symmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class SSymmetric(tensorish.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class Scale(torch.nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2


class SScale(tensorish.nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2


class SNoInverse(tensorish.nn.Module):
    def forward(self, X):
        return X * 2


def test_register_and_remove_parametrization():
    torch.manual_seed(0)
    tm, sm = torch.nn.Linear(4, 4), tensorish.nn.Linear(4, 4)
    _load(tm, sm)
    w_param = sm.weight
    tp.register_parametrization(tm, "weight", Symmetric())
    sp.register_parametrization(sm, "weight", SSymmetric())
    assert type(sm).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert repr(sm).replace("SSymmetric", "Symmetric") == repr(tm)
    assert sm.parametrizations.weight.original is w_param
    assert sp.is_parametrized(sm) and sp.is_parametrized(sm, "weight")
    assert not sp.is_parametrized(sm, "bias")
    assert sp.type_before_parametrizations(sm) is tensorish.nn.Linear
    assert type(sm.weight.grad_fn).__name__ == type(tm.weight.grad_fn).__name__
    _compare(tm, sm, "symmetric")
    tp.register_parametrization(tm, "weight", Scale())
    sp.register_parametrization(sm, "weight", SScale())
    tp.register_parametrization(tm, "bias", Scale())
    sp.register_parametrization(sm, "bias", SScale())
    _compare(tm, sm, "chained")
    value = RNG.normal(size=(4, 4)).astype(np.float32)
    with torch.no_grad():
        tm.weight = torch.tensor(value)  # right_inverse
    with tensorish.no_grad():
        sm.weight = tensorish.tensor(value)
    assert_same(tm.parametrizations.weight.original, sm.parametrizations.weight.original, "set")
    with tp.cached(), sp.cached():
        assert sm.weight is sm.weight
        assert_same(tm.weight, sm.weight, "cached")
    assert sm.weight is not sm.weight
    tp.remove_parametrizations(tm, "weight", leave_parametrized=False)
    sp.remove_parametrizations(sm, "weight", leave_parametrized=False)
    assert repr(sm).replace("SScale", "Scale") == repr(tm)
    tp.remove_parametrizations(tm, "bias")
    sp.remove_parametrizations(sm, "bias")
    assert type(sm) is tensorish.nn.Linear and not hasattr(sm, "parametrizations")
    assert list(sm.state_dict()) == list(tm.state_dict())
    _compare(tm, sm, "removed")


def test_parametrization_errors():
    class Bad(tensorish.nn.Module):
        def forward(self, X):
            return X[:1]

    class BadT(torch.nn.Module):
        def forward(self, X):
            return X[:1]

    def register(m):
        bad = BadT() if m is torch else Bad()
        return (tp if m is torch else sp).register_parametrization(m.nn.Linear(2, 2), "weight", bad)

    assert_same_error(register)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized"):
        sp.register_parametrization(tensorish.nn.Linear(2, 2), "nope", SScale())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        sp.remove_parametrizations(tensorish.nn.Linear(2, 2), "weight")
    m = sp.register_parametrization(tensorish.nn.Linear(2, 2), "weight", SNoInverse())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = tensorish.ones(2, 2)
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(m)
    clone = copy.deepcopy(m)
    assert type(clone).__name__ == "ParametrizedLinear"
    assert clone.parametrizations.weight.original is not m.parametrizations.weight.original
    assert_same(m.weight.detach(), clone.weight.detach(), "deepcopy")


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(dim):
    tm, sm = _linears()
    tz.weight_norm(tm, dim=dim)
    sz.weight_norm(sm, dim=dim)
    assert repr(sm) == repr(tm)
    _compare(tm, sm, "weight_norm")
    tp.remove_parametrizations(tm, "weight")
    sp.remove_parametrizations(sm, "weight")
    _compare(tm, sm, "removed")


@pytest.mark.parametrize("shape", [(3, 4), (4, 4), (5, 4)], ids=["wide", "square", "tall"])
def test_spectral_norm(shape):
    tm, sm = _linears(shape[0])
    tz.spectral_norm(tm)
    sz.spectral_norm(sm)
    _load(tm, sm)  # torch's power-iteration vectors (the random draws differ)
    _compare(tm, sm, "train", steps=3)
    tm.eval()
    sm.eval()
    _compare(tm, sm, "eval")


def test_spectral_norm_conv_transpose_and_errors():
    torch.manual_seed(0)
    tm, sm = torch.nn.ConvTranspose1d(2, 3, 2), tensorish.nn.ConvTranspose1d(2, 3, 2)
    tz.spectral_norm(tm)
    sz.spectral_norm(sm)
    assert sm.parametrizations.weight[0].dim == tm.parametrizations.weight[0].dim == 1
    assert list(sm.state_dict()) == list(tm.state_dict())
    assert_same_error(lambda m: (tz if m is torch else sz).spectral_norm(m.nn.Linear(2, 2), "nope"))
    assert_same_error(lambda m: (tz if m is torch else sz).spectral_norm(m.nn.Linear(2, 2), dim=3))
    assert_same_error(
        lambda m: (tz if m is torch else sz).spectral_norm(m.nn.Linear(2, 2), n_power_iterations=0)
    )


@pytest.mark.parametrize(
    "shape,kw",
    [
        ((4, 4), {}),
        ((3, 4), {}),
        ((5, 4), {}),
        ((5, 4), {"orthogonal_map": "cayley"}),
        ((3, 4), {"orthogonal_map": "matrix_exp"}),
        ((5, 4), {"use_trivialization": False}),
    ],
    ids=["square", "wide", "tall", "cayley", "exp-wide", "householder-direct"],
)
def test_orthogonal(shape, kw):
    tm = torch.nn.Linear(shape[1], shape[0])
    sm = tensorish.nn.Linear(shape[1], shape[0])
    _load(tm, sm)
    tz.orthogonal(tm, **kw)
    sz.orthogonal(sm, **kw)
    assert list(sm.state_dict()) == list(tm.state_dict())
    originals = (tm.parametrizations.weight.original, sm.parametrizations.weight.original)
    assert_same(*originals, "right_inverse", atol=1e-6)
    if shape[0] == shape[1]:
        assert_same(tm.parametrizations.weight[0].base, sm.parametrizations.weight[0].base, "base")
    _load(tm, sm)  # the base of a non-square trivialization is completed with random columns
    _compare(tm, sm, "orthogonal")
    w = sm.weight.detach().numpy()
    gram = w @ w.T if shape[0] < shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_errors():
    def orth(**kw):
        return lambda m: (tz if m is torch else sz).orthogonal(m.nn.Linear(3, 3), **kw)

    assert_same_error(orth(orthogonal_map="bad"))
    assert_same_error(orth(name="bias"))
    assert_same_error(orth(name="nope"))
    m = sz.orthogonal(tensorish.nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exp"):
        m.weight = tensorish.eye(3)


def test_hook_based_weight_norm():
    tm, sm = _linears()
    with pytest.warns(FutureWarning, match="nn.utils.weight_norm` is deprecated"):
        torch.nn.utils.weight_norm(tm)
    with pytest.warns(FutureWarning, match="nn.utils.weight_norm` is deprecated"):
        tensorish.nn.utils.weight_norm(sm)
    assert type(sm.weight) is tensorish.Tensor and list(sm.state_dict()) == list(tm.state_dict())
    _compare(tm, sm, "hooked")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert_same_error(
            lambda m: m.nn.utils.weight_norm(m.nn.utils.weight_norm(m.nn.Linear(2, 2)))
        )
    torch.nn.utils.remove_weight_norm(tm)
    tensorish.nn.utils.remove_weight_norm(sm)
    assert type(sm.weight) is tensorish.nn.Parameter
    _compare(tm, sm, "removed")
    assert_same_error(lambda m: m.nn.utils.remove_weight_norm(m.nn.Linear(2, 2)))


def test_hook_based_spectral_norm():
    tm, sm = _linears()
    torch.nn.utils.spectral_norm(tm)
    tensorish.nn.utils.spectral_norm(sm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    _load(tm, sm)
    _compare(tm, sm, "hooked", steps=2)
    torch.nn.utils.remove_spectral_norm(tm)
    tensorish.nn.utils.remove_spectral_norm(sm)
    _compare(tm, sm, "removed")
    assert_same_error(lambda m: m.nn.utils.remove_spectral_norm(m.nn.Linear(2, 2)))
    assert_same_error(
        lambda m: m.nn.utils.spectral_norm(m.nn.utils.spectral_norm(m.nn.Linear(2, 2)))
    )

"""tensorish.distributions against torch.distributions.

One table of distributions (parameters as data, built by the same lambda in both libraries)
drives the tests: shapes, reprs, log_prob/cdf/icdf/entropy/moments and their gradients,
expand, sample shapes and moments, reparameterised gradients by Monte Carlo, KL divergences,
validation errors, constraints, transforms and biject_to/transform_to. Samples are compared in
distribution only (JAX's generator is not PyTorch's); seeds are fixed, so every test is
deterministic. Shapes repeat across the table so compiled programs are shared.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error

import tensorish

RNG = np.random.default_rng(0)
F32 = np.float32


def _pos(*shape, lo=0.5, hi=2.0):
    return RNG.uniform(lo, hi, shape).astype(F32)


def _real(*shape):
    return RNG.uniform(-1.5, 1.5, shape).astype(F32)


def _simplex(*shape):
    p = _pos(*shape)
    return (p / p.sum(-1, keepdims=True)).astype(F32)


def _onehot(idx, k):
    return np.eye(k, dtype=F32)[idx]


def _cov(n, batch=()):
    a = RNG.normal(size=batch + (n, n)).astype(F32)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n, dtype=F32)).astype(F32)


def _tril(n):
    return np.linalg.cholesky(_cov(n)).astype(F32)


class Case:
    """A distribution built by ``make(D, **params)`` in both libraries (``D`` is
    ``torch.distributions`` or ``tensorish.distributions``) and a value in its support.

    ``moments``: its samples have finite moments; ``variant``: another parameterisation of a
    case above (only the methods it computes itself are tested, and not its sampling);
    ``sample``/``rsample``: whether sampling and reparameterised gradients are tested (not
    where they are another tested case's: transformed distributions of tested bases and
    transforms, a scaled uniform, a ratio of Gammas)."""

    def __init__(
        self,
        name,
        make,
        params,
        value,
        moments=True,
        grad=None,
        variant=False,
        sample=True,
        rsample=True,
    ):
        self.name, self.make, self.params, self.value = name, make, params, value
        self.moments, self.variant = moments, variant
        self.sample = sample and not variant
        self.rsample = self.sample and rsample
        self.grad = set(params) if grad is None else set(grad)

    def build(self, lib, requires_grad=True):
        tensors = {
            k: lib.tensor(v, requires_grad=requires_grad and k in self.grad)
            for k, v in self.params.items()
        }
        return self.make(lib.distributions, **tensors), tensors

    def __repr__(self):
        return self.name


T = _pos(1, lo=0.4, hi=0.6).reshape(())  # a temperature

CASES = [
    Case(
        "Normal",
        lambda D, loc, scale: D.Normal(loc, scale),
        {"loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
    ),
    Case("Normal-scalar", lambda D: D.Normal(0.5, 2.0), {}, _real(3), variant=True),
    Case(
        "LogNormal",
        lambda D, loc, scale: D.LogNormal(loc, scale),
        {"loc": _real(3) / 3, "scale": _pos(3, lo=0.3, hi=0.6)},
        _pos(2, 3),
        rsample=False,
        sample=False,
    ),
    Case(
        "Bernoulli-probs",
        lambda D, p: D.Bernoulli(probs=p),
        {"p": _pos(3, lo=0.1, hi=0.9)},
        RNG.integers(0, 2, (2, 3)).astype(F32),
    ),
    Case(
        "Bernoulli-logits",
        lambda D, l: D.Bernoulli(logits=l),
        {"l": _real(3)},
        RNG.integers(0, 2, (2, 3)).astype(F32),
        variant=True,
    ),
    Case(
        "Binomial",
        lambda D, p: D.Binomial(10, probs=p),
        {"p": _pos(3, lo=0.1, hi=0.9)},
        RNG.integers(0, 11, (2, 3)).astype(F32),
    ),
    Case(
        "Binomial-logits",
        lambda D, n, l: D.Binomial(n, logits=l),
        {"n": np.array([5.0, 6.0, 7.0], F32), "l": _real(3)},
        RNG.integers(0, 6, (2, 3)).astype(F32),
        grad=["l"],
        variant=True,
    ),
    Case(
        "Categorical-probs",
        lambda D, p: D.Categorical(probs=p),
        {"p": _pos(3, 4)},
        RNG.integers(0, 4, (2, 3)),
        moments=False,
    ),
    Case(
        "Categorical-logits",
        lambda D, l: D.Categorical(logits=l),
        {"l": _real(3, 4)},
        RNG.integers(0, 4, (2, 3)),
        moments=False,
        variant=True,
    ),
    Case(
        "OneHotCategorical",
        lambda D, p: D.OneHotCategorical(probs=p),
        {"p": _simplex(3, 4)},
        _onehot(RNG.integers(0, 4, (2, 3)), 4),
    ),
    Case(
        "OneHotCategoricalStraightThrough",
        lambda D, l: D.OneHotCategoricalStraightThrough(logits=l),
        {"l": _real(3, 4)},
        _onehot(RNG.integers(0, 4, (2, 3)), 4),
    ),
    Case(
        "Multinomial",
        lambda D, p: D.Multinomial(6, probs=p),
        {"p": _simplex(3, 4)},
        np.array([[1, 2, 3, 0], [6, 0, 0, 0], [0, 1, 1, 4]], F32),
    ),
    Case(
        "Uniform",
        lambda D, low, width: D.Uniform(low, low + width),
        {"low": _real(3), "width": _pos(3)},
        None,
        rsample=False,
    ),
    Case(
        "Beta",
        lambda D, a, b: D.Beta(a, b),
        {"a": _pos(3), "b": _pos(3)},
        _pos(2, 3, lo=0.1, hi=0.9),
    ),
    Case("Gamma", lambda D, c, r: D.Gamma(c, r), {"c": _pos(3), "r": _pos(3)}, _pos(2, 3)),
    Case(
        "Chi2", lambda D, df: D.Chi2(df), {"df": _pos(3, lo=1.0, hi=4.0)}, _pos(2, 3), variant=True
    ),
    Case("Dirichlet", lambda D, c: D.Dirichlet(c), {"c": _pos(2, 4)}, _simplex(2, 2, 4)),
    Case("Exponential", lambda D, r: D.Exponential(r), {"r": _pos(3)}, _pos(2, 3), rsample=False),
    Case(
        "Laplace",
        lambda D, loc, scale: D.Laplace(loc, scale),
        {"loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
        rsample=False,
    ),
    Case(
        "Cauchy",
        lambda D, loc, scale: D.Cauchy(loc, scale),
        {"loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
        moments=False,
        rsample=False,
    ),
    Case(
        "Gumbel",
        lambda D, loc, scale: D.Gumbel(loc, scale),
        {"loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
        rsample=False,
        sample=False,
    ),
    Case(
        "Poisson",
        lambda D, r: D.Poisson(r),
        {"r": _pos(3, lo=0.5, hi=4.0)},
        RNG.integers(0, 6, (2, 3)).astype(F32),
    ),
    Case(
        "Geometric-probs",
        lambda D, p: D.Geometric(probs=p),
        {"p": _pos(3, lo=0.2, hi=0.8)},
        RNG.integers(0, 6, (2, 3)).astype(F32),
    ),
    Case(
        "Geometric-logits",
        lambda D, l: D.Geometric(logits=l),
        {"l": _real(3)},
        RNG.integers(0, 6, (2, 3)).astype(F32),
        variant=True,
    ),
    Case(
        "StudentT",
        lambda D, df, loc, scale: D.StudentT(df, loc, scale),
        {"df": _pos(3, lo=5.0, hi=8.0), "loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
    ),
    Case(
        "MultivariateNormal-cov",
        lambda D, loc, cov: D.MultivariateNormal(loc, cov),
        {"loc": _real(3), "cov": _cov(3)},
        _real(2, 3),
        variant=True,
    ),
    Case(
        "MultivariateNormal-prec",
        lambda D, loc, prec: D.MultivariateNormal(loc, precision_matrix=prec),
        {"loc": _real(3), "prec": _cov(3)},
        _real(2, 3),
        variant=True,
    ),
    Case(
        "MultivariateNormal-tril",
        lambda D, loc, tril: D.MultivariateNormal(loc, scale_tril=tril),
        {"loc": _real(3), "tril": np.stack([_tril(3), _tril(3)])},
        _real(2, 3),
    ),
    Case(
        "LowRankMultivariateNormal",
        lambda D, loc, w, d: D.LowRankMultivariateNormal(loc, w, d),
        {"loc": _real(3), "w": _real(3, 2) / 2, "d": _pos(3)},
        _real(2, 3),
    ),
    Case(
        "Independent",
        lambda D, loc, scale: D.Independent(D.Normal(loc, scale), 1),
        {"loc": _real(2, 3), "scale": _pos(2, 3)},
        _real(2, 3),
        variant=True,
    ),
    Case(
        "MixtureSameFamily",
        lambda D, p, loc, scale: D.MixtureSameFamily(D.Categorical(p), D.Normal(loc, scale)),
        {"p": _simplex(3), "loc": _real(3), "scale": _pos(3)},
        _real(2, 3),
    ),
    Case(
        "RelaxedBernoulli",
        lambda D, t, p: D.RelaxedBernoulli(t, probs=p),
        {"t": T, "p": _pos(3, lo=0.2, hi=0.8)},
        _pos(2, 3, lo=0.1, hi=0.9),
        moments=False,
    ),
    Case(
        "RelaxedOneHotCategorical",
        lambda D, t, l: D.RelaxedOneHotCategorical(t, logits=l),
        {"t": T, "l": _real(3, 4)},
        _simplex(2, 3, 4),
        moments=False,
    ),
    Case(
        "TransformedDistribution",
        lambda D, loc, scale: D.TransformedDistribution(
            D.Normal(loc, scale), [D.AffineTransform(0.5, 2.0), D.SigmoidTransform()]
        ),
        {"loc": _real(3), "scale": _pos(3)},
        _pos(2, 3, lo=0.1, hi=0.9),
        moments=False,
        rsample=False,
    ),
    Case("HalfNormal", lambda D, s: D.HalfNormal(s), {"s": _pos(3)}, _pos(2, 3), sample=False),
    Case(
        "HalfCauchy",
        lambda D, s: D.HalfCauchy(s),
        {"s": _pos(3)},
        _pos(2, 3),
        moments=False,
        rsample=False,
        sample=False,
    ),
    Case(
        "Pareto",
        lambda D, s, a: D.Pareto(s, a),
        {"s": _pos(3), "a": _pos(3, lo=2.5, hi=4.0)},
        None,
        moments=False,
        rsample=False,
    ),
    Case(
        "Weibull",
        lambda D, s, c: D.Weibull(s, c),
        {"s": _pos(3), "c": _pos(3, lo=1.0, hi=2.0)},
        _pos(2, 3),
        rsample=False,
        sample=False,
    ),
    Case(
        "ContinuousBernoulli",
        lambda D, p: D.ContinuousBernoulli(p),
        {"p": np.array([0.2, 0.7, 0.4], F32)},
        _pos(2, 3, lo=0.1, hi=0.9),
    ),
    Case(
        "Kumaraswamy",
        lambda D, a, b: D.Kumaraswamy(a, b),
        {"a": _pos(3, lo=1.0, hi=3.0), "b": _pos(3, lo=1.0, hi=3.0)},
        _pos(2, 3, lo=0.1, hi=0.9),
        rsample=False,
        sample=False,
    ),
    Case(
        "LogisticNormal",
        lambda D, loc, scale: D.LogisticNormal(loc, scale),
        {"loc": _real(3), "scale": _pos(3)},
        _simplex(2, 4),
        moments=False,
        rsample=False,
    ),
    Case(
        "InverseGamma",
        lambda D, c, r: D.InverseGamma(c, r),
        {"c": _pos(3, lo=5.0, hi=7.0), "r": _pos(3)},
        _pos(2, 3),
        rsample=False,
        sample=False,
    ),
    Case(
        "FisherSnedecor",
        lambda D, a, b: D.FisherSnedecor(a, b),
        {"a": _pos(3, lo=3.0, hi=6.0), "b": _pos(3, lo=9.0, hi=12.0)},
        _pos(2, 3),
        rsample=False,
    ),
    Case(
        "NegativeBinomial",
        lambda D, n, p: D.NegativeBinomial(n, probs=p),
        {"n": np.array([2.0, 3.0, 4.0], F32), "p": _pos(3, lo=0.2, hi=0.6)},
        RNG.integers(0, 6, (2, 3)).astype(F32),
        grad=["p"],
    ),
    Case(
        "GeneralizedPareto",
        lambda D, loc, s, c: D.GeneralizedPareto(loc, s, c),
        {"loc": _real(3), "s": _pos(3), "c": np.array([0.0, 0.15, -0.2], F32)},
        None,
    ),
]
CASES[12].value = (CASES[12].params["low"] + 0.5 * CASES[12].params["width"])[None].repeat(2, 0)
BY_NAME = {c.name: c for c in CASES}
SAMPLE_DIM_CASES = {
    "Normal",
    "Normal-scalar",
    "Categorical-probs",
    "Dirichlet",
    "MultivariateNormal-tril",
    "MixtureSameFamily",
}
BY_NAME["Pareto"].value = BY_NAME["Pareto"].params["s"] + _pos(2, 3, lo=0.1, hi=1.0)
BY_NAME["GeneralizedPareto"].value = BY_NAME["GeneralizedPareto"].params["loc"] + _pos(
    2, 3, lo=0.1, hi=1.0
)


def _upstream(t):
    """A non-uniform weight of ``t``'s shape, so a wrong broadcast or transpose shows."""
    return np.linspace(0.5, 1.5, t.numel()).reshape(tuple(t.shape)).astype(F32)


def _compare(case, fn, rtol=1e-4, atol=1e-5, grad=True):
    """``fn(dist, lib)`` in both libraries: values, then (if ``grad``) gradients of a weighted
    sum, or the same exception (type and message)."""
    (td, tp), (sd, sp) = case.build(torch), case.build(tensorish)
    try:
        out_t = fn(td, torch)
    except Exception as e:  # noqa: BLE001 - the oracle decides which errors are expected
        with pytest.raises(type(e)) as got:
            fn(sd, tensorish)
        assert str(got.value) == str(e).replace("torch.", "tensorish.")
        return
    out_s = fn(sd, tensorish)
    assert_same(out_t, out_s, "forward", rtol, atol)
    if grad and out_t.requires_grad and out_t.dtype.is_floating_point:
        up = _upstream(out_t)
        names = sorted(case.grad)
        try:
            gt = torch.autograd.grad(
                (out_t * torch.tensor(up)).sum(), [tp[k] for k in names], allow_unused=True
            )
        except NotImplementedError as e:  # a derivative torch does not have
            with pytest.raises(NotImplementedError) as got:
                tensorish.autograd.grad(
                    (out_s * tensorish.tensor(up)).sum(), [sp[k] for k in names]
                )
            assert str(got.value) == str(e)
            return
        gs = tensorish.autograd.grad(
            (out_s * tensorish.tensor(up)).sum(), [sp[k] for k in names], allow_unused=True
        )
        for name, a, b in zip(names, gt, gs):
            if a is None:
                assert b is None or not b.abs().sum().item(), f"grad {name}: torch has none"
            else:
                assert_same(a, b, f"grad {name}", rtol, atol)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_shapes_repr_and_flags(case):
    td, _ = case.build(torch)
    sd, _ = case.build(tensorish)
    assert tuple(sd.batch_shape) == tuple(td.batch_shape)
    assert tuple(sd.event_shape) == tuple(td.event_shape)
    assert repr(sd) == repr(td).replace("torch.", "tensorish.")
    assert sd.has_rsample == td.has_rsample
    assert sd.has_enumerate_support == td.has_enumerate_support
    assert repr(sd.support) == repr(td.support).replace("torch.", "tensorish.")
    assert sd.support.event_dim == td.support.event_dim
    assert sd.support.is_discrete == td.support.is_discrete


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_log_prob(case):
    """``log_prob`` of a batch-shaped value and, for a few cases, of a value with a sample
    dimension in front (the other cases then share compiled programs with the methods)."""
    value = case.value if case.name in SAMPLE_DIM_CASES else case.value[0]
    _compare(case, lambda d, lib: d.log_prob(lib.tensor(value)))


METHODS = {
    "mean": lambda d, lib: d.mean,
    "mode": lambda d, lib: d.mode,
    "variance": lambda d, lib: d.variance,
    "stddev": lambda d, lib: d.stddev,
    "entropy": lambda d, lib: d.entropy(),
    "cdf": lambda d, lib: d.cdf(lib.tensor(CDF_AT)),
    "icdf": lambda d, lib: d.icdf(lib.tensor(ICDF_AT)),
    "enumerate_support": lambda d, lib: d.enumerate_support(),
    "enumerate_support-unexpanded": lambda d, lib: d.enumerate_support(expand=False),
}
CDF_AT = np.array([0.3, 0.6, 1.2], F32)
ICDF_AT = np.array([0.1, 0.5, 0.8], F32)
GRAD_METHODS = {"entropy", "cdf"}  # the others are made of ops whose gradients are tested


VARIANT_METHODS = ("mean", "variance", "entropy")  # cases whose other methods are another's


@pytest.mark.parametrize(
    "case,method",
    [(c, m) for c in CASES for m in METHODS if not c.variant or m in VARIANT_METHODS],
    ids=lambda x: x if isinstance(x, str) else repr(x),
)
def test_methods(case, method):
    _compare(case, METHODS[method], grad=method in GRAD_METHODS)


def _tensors(d, lib, prefix=""):
    """The tensors a distribution holds, by attribute path (into nested distributions)."""
    out = {}
    for name, v in vars(d).items():
        if isinstance(v, lib.Tensor):
            out[prefix + name] = v
        elif isinstance(v, lib.distributions.Distribution):
            out.update(_tensors(v, lib, f"{prefix}{name}."))
    return out


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_expand(case):
    """``expand`` gives the same type, shapes, flags and (expanded) parameters as torch."""
    td, _ = case.build(torch)
    sd, _ = case.build(tensorish)
    shape = (2,) + tuple(td.batch_shape)
    te, se = td.expand(shape), sd.expand(tensorish.Size(shape))
    assert type(se).__name__ == type(te).__name__
    assert tuple(se.batch_shape) == tuple(te.batch_shape)
    assert tuple(se.event_shape) == tuple(te.event_shape)
    assert se._validate_args == te._validate_args
    want, got = _tensors(te, torch), _tensors(se, tensorish)
    assert sorted(got) == sorted(want)
    for name, t in want.items():
        assert_same(t, got[name], name)


N = 1024  # draws per batch element: a few standard errors are then a few percent


@pytest.mark.parametrize("case", [c for c in CASES if c.sample], ids=repr)
def test_sample_shape_dtype_and_moments(case):
    """Samples lie in the support, and their mean and variance are within five standard errors
    of torch's values (for distributions without finite moments: the fractions below torch's
    quartiles are within five standard errors of 1/4, 1/2, 3/4)."""
    td, _ = case.build(torch)
    sd, _ = case.build(tensorish)
    tensorish.manual_seed(0)
    t, s = td.sample((N,)), sd.sample((N,))
    assert tuple(s.shape) == tuple(t.shape)
    assert str(s.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert not s.requires_grad
    x = np.asarray(s.jax(), np.float64)
    assert np.all(td.support.check(torch.tensor(x, dtype=t.dtype)).numpy())
    if not case.moments:
        torch.manual_seed(0)
        quartiles = np.quantile(td.sample((20 * N,)).double().numpy(), [0.25, 0.5, 0.75], 0)
        for p, q in zip([0.25, 0.5, 0.75], quartiles):
            tol = 5 * math.sqrt(p * (1 - p) / N)  # (<= and < differ for discrete samples)
            assert np.all((x < q).mean(0) - tol <= p), (x < q).mean(0)
            assert np.all(p <= (x <= q).mean(0) + tol), (x <= q).mean(0)
        return
    tmean, tvar = td.mean.detach().double().numpy(), td.variance.detach().double().numpy()
    mean, var = x.mean(0), x.var(0)
    mean_se = x.std(0) / math.sqrt(N)
    var_se = ((x - mean) ** 2).std(0) / math.sqrt(N)
    assert np.all(np.abs(mean - tmean) <= 5 * mean_se + 1e-6), (mean, tmean)
    assert np.all(np.abs(var - tvar) <= 5 * var_se + 1e-6), (var, tvar)


def _objective(lib, x):
    """A bounded smooth function of samples, weighted per batch/event element."""
    return (
        lib.tanh(x)
        * lib.tensor(np.linspace(0.5, 1.5, x[0].numel(), dtype=F32)).reshape(x.shape[1:])
    ).sum() / x.shape[0]


def _has_rsample(case):
    return case.rsample and case.grad and case.build(torch, requires_grad=False)[0].has_rsample


@pytest.mark.parametrize("case", [c for c in CASES if _has_rsample(c)], ids=repr)
def test_rsample_gradients(case):
    """d E[f(x)] / d params by Monte Carlo (reparameterised) against torch's own estimate from
    many more draws; the tolerance is five standard errors of an N-draw estimate, measured on
    torch's draws."""
    groups = 12
    torch.manual_seed(0)
    td, tp = case.build(torch)
    names = sorted(case.grad)
    estimates = np.stack(
        [
            np.concatenate(
                [
                    g.reshape(-1).numpy()
                    for g in torch.autograd.grad(
                        _objective(torch, td.rsample((N,))),
                        [tp[k] for k in names],
                        retain_graph=True,
                    )
                ]
            )
            for _ in range(groups)
        ]
    )
    reference, se = estimates.mean(0), estimates.std(0)
    sd, sp = case.build(tensorish)
    tensorish.manual_seed(0)
    got = tensorish.autograd.grad(_objective(tensorish, sd.rsample((N,))), [sp[k] for k in names])
    got = np.concatenate([np.asarray(g.jax()).reshape(-1) for g in got])
    assert np.all(np.abs(got - reference) <= 5 * se + 1e-4), (got, reference, se)


def _perturb(v):
    """Other parameters of the same kind: matrices scaled (still positive definite or lower
    Cholesky), vectors rolled (still positive, in [0, 1] or on the simplex)."""
    if v.ndim == 0:
        return (v * 1.2).astype(F32)
    if v.ndim >= 2 and v.shape[-1] == v.shape[-2]:
        return (v * 1.5).astype(F32)
    return np.roll(v, 1, -1)


def _kl_pairs():
    """One case per distribution type, paired as torch registers them (same types: every
    ExponentialFamily pair too)."""
    from torch.distributions.kl import _KL_REGISTRY

    first = {}
    for c in CASES:
        first.setdefault(type(c.build(torch, requires_grad=False)[0]), c)
    return [
        (p, q)
        for tp, p in first.items()
        for tq, q in first.items()
        if (tp, tq) in _KL_REGISTRY
        or (tp is tq and issubclass(tp, torch.distributions.ExponentialFamily))
    ]


KL_PAIRS = _kl_pairs()


@pytest.mark.parametrize("p,q", KL_PAIRS, ids=[f"{p.name}-{q.name}" for p, q in KL_PAIRS])
def test_kl_divergence(p, q):
    q = Case(q.name, q.make, {k: _perturb(v) for k, v in q.params.items()}, q.value, grad=q.grad)
    both = Case(
        "pair",
        lambda D, **kw: (
            p.make(D, **{k[2:]: v for k, v in kw.items() if k[:2] == "p_"}),
            q.make(D, **{k[2:]: v for k, v in kw.items() if k[:2] == "q_"}),
        ),
        {
            **{"p_" + k: v for k, v in p.params.items()},
            **{"q_" + k: v for k, v in q.params.items()},
        },
        None,
        grad=["p_" + k for k in p.grad] + ["q_" + k for k in q.grad],
    )
    _compare(both, lambda d, lib: lib.distributions.kl_divergence(*d), rtol=2e-4, atol=1e-4)


def _t(L, *data):
    return L.tensor(data[0] if len(data) == 1 else list(data))


ERRORS = {
    "normal-scale": lambda L: L.distributions.Normal(_t(L, [0.0, 1.0]), _t(L, [1.0, -1.0])),
    "normal-nan-loc": lambda L: L.distributions.Normal(_t(L, [0.0, math.nan]), 1.0),
    "normal-scalar": lambda L: L.distributions.Normal(0.0, -1.0),
    "normal-shapes": lambda L: L.distributions.Normal(_t(L, [0.0, 1.0]), _t(L, [1.0, 1, 1])),
    "bernoulli-probs": lambda L: L.distributions.Bernoulli(probs=_t(L, [0.5, 1.5])),
    "bernoulli-both": lambda L: L.distributions.Bernoulli(probs=0.5, logits=0.0),
    "bernoulli-none": lambda L: L.distributions.Bernoulli(),
    "categorical-0d": lambda L: L.distributions.Categorical(probs=_t(L, 1.0)),
    "categorical-logits-0d": lambda L: L.distributions.Categorical(logits=_t(L, 1.0)),
    "categorical-simplex": lambda L: L.distributions.Categorical(_t(L, [0.5, -0.5])),
    "binomial-count": lambda L: L.distributions.Binomial(_t(L, [2.5]), _t(L, [0.5])),
    "binomial-entropy": lambda L: L.distributions.Binomial(
        _t(L, [2.0, 3.0]), _t(L, [0.5, 0.5])
    ).entropy(),
    "multinomial-count": lambda L: L.distributions.Multinomial(_t(L, 3), _t(L, [0.5, 0.5])),
    "dirichlet-0d": lambda L: L.distributions.Dirichlet(_t(L, 1.0)),
    "dirichlet-positive": lambda L: L.distributions.Dirichlet(_t(L, [1.0, 0.0])),
    "uniform-bounds": lambda L: L.distributions.Uniform(_t(L, [0.0, 2.0]), _t(L, [1.0, 1.0])),
    "geometric-zero": lambda L: L.distributions.Geometric(_t(L, [0.0, 0.5])),
    "mvn-none": lambda L: L.distributions.MultivariateNormal(_t(L, [0.0, 0.0])),
    "mvn-two": lambda L: L.distributions.MultivariateNormal(
        _t(L, [0.0, 0.0]), L.eye(2), scale_tril=L.eye(2)
    ),
    "mvn-loc-0d": lambda L: L.distributions.MultivariateNormal(_t(L, 0.0), L.eye(2)),
    "mvn-cov-1d": lambda L: L.distributions.MultivariateNormal(_t(L, [0.0]), _t(L, [1.0])),
    "mvn-tril-1d": lambda L: L.distributions.MultivariateNormal(
        _t(L, [0.0]), scale_tril=_t(L, [1.0])
    ),
    "mvn-cov-pd": lambda L: L.distributions.MultivariateNormal(
        _t(L, [0.0, 0.0]), _t(L, [[1.0, 2.0], [2.0, 1.0]])
    ),
    "mvn-tril": lambda L: L.distributions.MultivariateNormal(
        _t(L, [0.0, 0.0]), scale_tril=_t(L, [[1.0, 1.0], [0.0, 1.0]])
    ),
    "lowrank-factor": lambda L: L.distributions.LowRankMultivariateNormal(
        L.zeros(2), L.zeros(3, 1), L.ones(2)
    ),
    "lowrank-diag": lambda L: L.distributions.LowRankMultivariateNormal(
        L.zeros(2), L.zeros(2, 1), L.ones(3)
    ),
    "lowrank-batch": lambda L: L.distributions.LowRankMultivariateNormal(
        L.zeros(2, 2), L.zeros(3, 2, 1), L.ones(2)
    ),
    "independent-ndims": lambda L: L.distributions.Independent(
        L.distributions.Normal(L.zeros(2), 1.0), 2
    ),
    "mixture-type": lambda L: L.distributions.MixtureSameFamily(
        L.distributions.Normal(0.0, 1.0), L.distributions.Normal(L.zeros(2), 1.0)
    ),
    "mixture-components": lambda L: L.distributions.MixtureSameFamily(
        L.distributions.Categorical(L.ones(3)), L.distributions.Normal(L.zeros(2), 1.0)
    ),
    "transformed-list": lambda L: L.distributions.TransformedDistribution(
        L.distributions.Normal(0.0, 1.0), (L.distributions.ExpTransform(),)
    ),
    "log_prob-support": lambda L: L.distributions.Gamma(_t(L, [1.0]), 1.0).log_prob(_t(L, [-1.0])),
    "log_prob-event": lambda L: L.distributions.Dirichlet(L.ones(3)).log_prob(L.ones(2) / 2),
    "log_prob-batch": lambda L: L.distributions.Normal(L.zeros(3), 1.0).log_prob(L.zeros(2)),
    "log_prob-not-tensor": lambda L: L.distributions.Normal(0.0, 1.0).log_prob(0.5),
    "cdf-support": lambda L: L.distributions.Exponential(_t(L, [1.0])).cdf(_t(L, [-1.0])),
    "kl-missing": lambda L: L.distributions.kl_divergence(
        L.distributions.Cauchy(0.0, 1.0), L.distributions.Normal(0.0, 1.0)
    ),
    "kl-binomial": lambda L: L.distributions.kl_divergence(
        L.distributions.Binomial(2, _t(L, [0.5])), L.distributions.Binomial(3, _t(L, [0.5]))
    ),
    "kl-expfamily": lambda L: L.distributions.kl_divergence(
        L.distributions.Poisson(_t(L, [1.0])), L.distributions.Exponential(_t(L, [1.0]))
    ),
    "kl-mvn-events": lambda L: L.distributions.kl_divergence(
        L.distributions.MultivariateNormal(L.zeros(2), L.eye(2)),
        L.distributions.MultivariateNormal(L.zeros(3), L.eye(3)),
    ),
    "cache-size": lambda L: L.distributions.ExpTransform(cache_size=2),
    "dependent-check": lambda L: L.distributions.constraints.dependent.check(L.zeros(1)),
    "dependent-event-dim": lambda L: L.distributions.constraints.dependent.event_dim,
    "biject-unknown": lambda L: L.distributions.biject_to(L.distributions.constraints.boolean),
    "transform-unknown": lambda L: L.distributions.transform_to(
        L.distributions.constraints.integer_interval(0, 1)
    ),
    "register-not-type": lambda L: L.distributions.register_kl(1, L.distributions.Normal),
    "enumerate-independent": lambda L: L.distributions.Independent(
        L.distributions.Bernoulli(L.ones(2) / 2), 1
    ).enumerate_support(),
    "mode-missing": lambda L: L.distributions.RelaxedBernoulli(_t(L, 0.5), _t(L, [0.5])).mode,
    "reshape-numel": lambda L: L.distributions.ReshapeTransform((2, 2), (3,)),
    "reshape-shape": lambda L: L.distributions.ReshapeTransform((4,), (2, 2)).forward_shape((3,)),
    "corr-shape": lambda L: L.distributions.CorrCholeskyTransform().forward_shape((4,)),
    "stick-shape": lambda L: L.distributions.StickBreakingTransform().forward_shape(()),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name):
    assert_same_error(ERRORS[name])


def test_validate_args_switch():
    bad = {"loc": [0.0], "scale": [-1.0]}
    for lib in (torch, tensorish):
        d = lib.distributions.Normal(*[lib.tensor(v) for v in bad.values()], validate_args=False)
        assert d.scale.item() == -1.0
        lib.distributions.Distribution.set_default_validate_args(False)
        try:
            lib.distributions.Normal(*[lib.tensor(v) for v in bad.values()])
            lib.distributions.Gamma(1.0, 1.0).log_prob(lib.tensor(-1.0))
        finally:
            lib.distributions.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            lib.distributions.Normal(*[lib.tensor(v) for v in bad.values()])
    assert_same_error(lambda L: L.distributions.Distribution.set_default_validate_args(2))


def test_lazy_probs_logits_and_perplexity():
    td, sd = (L.distributions.Bernoulli(logits=L.tensor([0.0, 2.0])) for L in (torch, tensorish))
    assert "probs" not in sd.__dict__
    assert_same(td.probs, sd.probs, "probs")
    assert "probs" in sd.__dict__
    td, sd = (L.distributions.Categorical(probs=L.tensor([1.0, 3.0])) for L in (torch, tensorish))
    assert_same(td.logits, sd.logits, "logits")
    assert_same(td.param_shape, sd.param_shape, "param_shape")
    assert_same(td.perplexity(), sd.perplexity(), "perplexity")


def _constraints(L):
    C = L.distributions.constraints
    return {
        "real": C.real,
        "positive": C.positive,
        "nonnegative": C.nonnegative,
        "unit_interval": C.unit_interval,
        "boolean": C.boolean,
        "nonnegative_integer": C.nonnegative_integer,
        "positive_integer": C.positive_integer,
        "integer_interval": C.integer_interval(0, 2),
        "greater_than": C.greater_than(-0.5),
        "greater_than_eq": C.greater_than_eq(0.5),
        "less_than": C.less_than(0.5),
        "interval": C.interval(-1.0, 1.0),
        "half_open_interval": C.half_open_interval(-1.0, 1.0),
        "real_vector": C.real_vector,
        "independent": C.independent(C.positive, 1),
        "simplex": C.simplex,
        "one_hot": C.one_hot,
        "multinomial": C.multinomial(3),
        "lower_triangular": C.lower_triangular,
        "lower_cholesky": C.lower_cholesky,
        "corr_cholesky": C.corr_cholesky,
        "square": C.square,
        "symmetric": C.symmetric,
        "positive_semidefinite": C.positive_semidefinite,
        "positive_definite": C.positive_definite,
        "cat": C.cat([C.positive, C.real], dim=-1, lengths=[1, 2]),
        "stack": C.stack([C.positive, C.real, C.unit_interval], dim=-1),
        "mixture": C.MixtureSameFamilyConstraint(C.positive),
    }


CONSTRAINT_VALUES = [
    np.array([[0.0, 1.0, 2.0], [-1.0, 0.5, 1.0], [math.nan, math.inf, 0.25]], F32),
    np.array(
        [
            [[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [0.0, 0.6, 0.8]],  # a correlation Cholesky factor
            [[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]],  # positive definite
            [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],  # symmetric, indefinite
        ],
        F32,
    ),
]


@pytest.mark.parametrize("name", _constraints(torch))
def test_constraints(name):
    tc, sc = _constraints(torch)[name], _constraints(tensorish)[name]
    assert repr(sc) == repr(tc)
    assert (sc.event_dim, sc.is_discrete) == (tc.event_dim, tc.is_discrete)
    for v in CONSTRAINT_VALUES:
        if v.ndim < tc.event_dim:
            continue
        assert_same(tc.check(torch.tensor(v)), sc.check(tensorish.tensor(v)), name)


def test_dependent_constraints():
    for lib in (torch, tensorish):
        C = lib.distributions.constraints
        d = C.dependent(is_discrete=True, event_dim=1)
        assert (d.is_discrete, d.event_dim) == (True, 1)
        assert C.is_dependent(d) and not C.is_dependent(C.real)
        assert C.is_dependent(lib.distributions.Uniform.support)
        assert lib.distributions.Categorical.support.event_dim == 0
        assert repr(C.dependent) == "Dependent()"


def _transforms(L):
    T = L.distributions.transforms
    loc, scale = L.tensor([0.5, -1.0, 2.0]), L.tensor([2.0, 0.5, -1.5])
    return {
        "exp": (T.ExpTransform(), (2, 3)),
        "affine": (T.AffineTransform(loc, scale), (2, 3)),
        "affine-scalar": (T.AffineTransform(1.0, -2.0), (2, 3)),
        "affine-event": (T.AffineTransform(loc, scale, event_dim=1), (2, 3)),
        "sigmoid": (T.SigmoidTransform(), (2, 3)),
        "tanh": (T.TanhTransform(), (2, 3)),
        "softplus": (T.SoftplusTransform(), (2, 3)),
        "power": (T.PowerTransform(L.tensor(2.5)), (2, 3)),
        "abs": (T.AbsTransform(), (2, 3)),
        "softmax": (T.SoftmaxTransform(), (2, 3)),
        "stick_breaking": (T.StickBreakingTransform(), (2, 3)),
        "lower_cholesky": (T.LowerCholeskyTransform(), (2, 3, 3)),
        "positive_definite": (T.PositiveDefiniteTransform(), (2, 3, 3)),
        "corr_cholesky": (T.CorrCholeskyTransform(), (2, 3)),
        "compose": (T.ComposeTransform([T.AffineTransform(loc, scale), T.ExpTransform()]), (2, 3)),
        "compose-event": (
            T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()]),
            (2, 3),
        ),
        "identity": (T.identity_transform, (2, 3)),
        "independent": (T.IndependentTransform(T.ExpTransform(), 1), (2, 3)),
        "reshape": (T.ReshapeTransform((2, 3), (3, 2)), (2, 3)),
        "cat": (
            T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], -1, [1, 2]),
            (2, 3),
        ),
        "stack": (
            T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()], -1),
            (2, 3),
        ),
        "cdf": (T.CumulativeDistributionTransform(L.distributions.Normal(0.0, 1.0)), (2, 3)),
        "inverse": (T.ExpTransform().inv, (2, 3)),
    }


@pytest.mark.parametrize("name", _transforms(torch))
def test_transforms(name):
    (tt, shape), (st, _) = _transforms(torch)[name], _transforms(tensorish)[name]
    assert repr(st) == repr(tt)
    assert repr(st.domain) == repr(tt.domain) and repr(st.codomain) == repr(tt.codomain)
    assert st.bijective == tt.bijective
    assert st.forward_shape(shape) == tt.forward_shape(shape)
    x = RNG.uniform(0.2, 1.2, shape).astype(F32)
    tx, sx = torch.tensor(x, requires_grad=True), tensorish.tensor(x, requires_grad=True)
    ty, sy = tt(tx), st(sx)
    assert_same(ty, sy, "forward", 1e-5, 1e-6)
    assert st.inverse_shape(tuple(sy.shape)) == tt.inverse_shape(tuple(ty.shape))
    y = ty.detach().numpy()
    assert_same(tt.inv(torch.tensor(y)), st.inv(tensorish.tensor(y)), "inverse", 1e-4, 1e-5)
    try:
        tj = tt.log_abs_det_jacobian(tx, ty)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            st.log_abs_det_jacobian(sx, sy)
    else:
        sj = st.log_abs_det_jacobian(sx, sy)
        assert_same(tj, sj, "log_abs_det_jacobian", 1e-4, 1e-5)
        up = _upstream(tj)
        (gt,) = torch.autograd.grad((tj * torch.tensor(up)).sum() + ty.sum(), tx)
        (gs,) = tensorish.autograd.grad((sj * tensorish.tensor(up)).sum() + sy.sum(), sx)
        assert_same(gt, gs, "grad", 1e-4, 1e-5)
    for attr in ("sign", "event_dim"):
        try:
            want = getattr(tt, attr)
        except (NotImplementedError, ValueError) as e:
            with pytest.raises(type(e)) as got:
                getattr(st, attr)
            assert str(got.value) == str(e)
        else:
            assert_same(want, getattr(st, attr), attr)


def test_transform_cache_and_equality():
    for lib in (torch, tensorish):
        T = lib.distributions.transforms
        t = T.ExpTransform(cache_size=1)
        x = lib.tensor([1.0, 2.0])
        y = t(x)
        assert t(x) is y and t.inv(y) is x
        assert T.ExpTransform().with_cache(1)._cache_size == 1
        assert t.inv.with_cache(0)._cache_size == 0
        assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.TanhTransform()
        assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
        assert T.AffineTransform(lib.ones(2), 2.0) != T.AffineTransform(lib.zeros(2), 2.0)
        assert T.ExpTransform().inv == T.ExpTransform().inv
        assert T.ExpTransform().inv.inv == T.ExpTransform()
        c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)], cache_size=1)
        assert all(p._cache_size == 1 for p in c.parts) and c.inv.inv is c


def _registry_constraints(L):
    C = L.distributions.constraints
    return {
        "real": C.real,
        "positive": C.positive,
        "nonnegative": C.nonnegative,
        "greater_than": C.greater_than(1.5),
        "greater_than_eq": C.greater_than_eq(-1.0),
        "less_than": C.less_than(0.5),
        "unit_interval": C.unit_interval,
        "interval": C.interval(-1.0, 3.0),
        "half_open_interval": C.half_open_interval(0.0, 2.0),
        "simplex": C.simplex,
        "real_vector": C.real_vector,
        "independent": C.independent(C.positive, 1),
        "lower_cholesky": C.lower_cholesky,
        "positive_definite": C.positive_definite,
        "positive_semidefinite": C.positive_semidefinite,
        "corr_cholesky": C.corr_cholesky,
        "cat": C.cat([C.positive, C.real], -1, [1, 2]),
        "stack": C.stack([C.positive, C.real, C.unit_interval], -1),
    }


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", _registry_constraints(torch))
def test_biject_to_transform_to(name, registry):
    tc, sc = _registry_constraints(torch)[name], _registry_constraints(tensorish)[name]
    try:
        tt = getattr(torch.distributions, registry)(tc)
    except NotImplementedError:
        assert_same_error(
            lambda L: getattr(L.distributions, registry)(_registry_constraints(L)[name])
        )
        return
    st = getattr(tensorish.distributions, registry)(sc)
    assert repr(st) == repr(tt)
    if sc.event_dim == 2:  # parameterless matrix transforms: the repr pins them down
        return
    shape = (2, 3)
    x = RNG.normal(size=shape).astype(F32)
    y = st(tensorish.tensor(x))
    assert_same(tt(torch.tensor(x)), y, "forward", 1e-4, 1e-5)
    assert bool(sc.check(y).all())


def test_register_kl_dispatch():
    for lib in (torch, tensorish):
        D = lib.distributions

        class A(D.Normal):
            pass

        class B(D.Normal):
            pass

        @D.register_kl(A, D.Normal)
        def kl_a_normal(p, q):
            return p.loc * 0 + 1

        @D.register_kl(D.Normal, B)
        def kl_normal_b(p, q):
            return p.loc * 0 + 2

        assert D.kl_divergence(A(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 1.0
        assert D.kl_divergence(D.Normal(0.0, 1.0), B(0.0, 1.0)).item() == 2.0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0)).item() == 1.0
        assert [str(w.message) for w in caught] == [
            "Ambiguous kl_divergence(A, B). Please register_kl(A, B)"
        ]
        assert caught[0].category is RuntimeWarning


def test_sample_determinism_and_rsample_graph():
    d = tensorish.distributions.Normal(tensorish.zeros(3, requires_grad=True), 1.0)
    tensorish.manual_seed(3)
    a = d.rsample((2,))
    tensorish.manual_seed(3)
    assert a.tolist() == d.rsample((2,)).tolist()
    assert type(a.grad_fn).__name__ == "AddBackward0"
    assert d.sample((2,)).grad_fn is None


def test_float64_parameters():
    for make, value in [
        (lambda D, L: D.Normal(L.zeros(3, dtype=L.float64), 2.0), [[0.5, 1.0, -1.0]]),
    ]:
        td, sd = make(torch.distributions, torch), make(tensorish.distributions, tensorish)
        assert_same(td.log_prob(torch.tensor(value)), sd.log_prob(tensorish.tensor(value)), "lp")
        assert_same(td.entropy(), sd.entropy(), "entropy")
        assert str(sd.sample((2,)).dtype) == str(td.sample((2,)).dtype).replace(
            "torch", "tensorish"
        )


def test_subclass_messages():
    for lib in (torch, tensorish):
        D = lib.distributions

        class NoConstraints(D.Distribution):
            pass

        class MyNormal(D.Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)

        with pytest.warns(UserWarning) as caught:
            NoConstraints(validate_args=True)
        assert str(caught[0].message) == (
            f"{NoConstraints} does not define `arg_constraints`. Please set `arg_constraints = "
            "{}` or initialize the distribution with `validate_args=False` to turn off validation."
        )
        with pytest.raises(NotImplementedError) as err:
            MyNormal(lib.zeros(2)).expand((3, 2))
        assert str(err.value) == (
            "Subclass MyNormal of Normal that defines a custom __init__ method must also define a "
            "custom .expand() method."
        )
        with pytest.warns(FutureWarning, match="sample_n"):
            assert tuple(D.Normal(0.0, 1.0).sample_n(2).shape) == (2,)
        with pytest.raises(NotImplementedError):
            _ = NoConstraints(validate_args=False).mean


def test_standard_gamma_gradient_is_torchs():
    """Given the same draw, Gamma's reparameterised gradient is torch._standard_gamma_grad
    (Taylor, Rice saddle point and rational branches alike)."""
    from tensorish.distributions._ops import _attach_gamma_grad

    rng = np.random.default_rng(1)
    alpha = np.concatenate([rng.uniform(0.05, 3, 128), rng.uniform(3, 40, 128)])
    x = rng.gamma(alpha).astype(np.float64)
    a = tensorish.tensor(alpha, requires_grad=True)
    (got,) = tensorish.autograd.grad(_attach_gamma_grad(a, tensorish.tensor(x)).sum(), a)
    want = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x))
    assert_same(want, got, "gradient", 1e-12, 1e-12)

"""Random numbers: determinism, state, dtypes/shapes/errors vs torch, and the distributions
checked statistically (JAX's generator cannot reproduce PyTorch's numbers)."""

import math

import numpy as np
import pytest
import torch
from oracle import outcome

import tensorish
from tensorish import _random


def _np(t):
    return np.asarray(t.jax())


def _ks(samples, cdf):
    """The Kolmogorov-Smirnov statistic of ``samples`` against ``cdf``."""
    x = np.sort(np.asarray(samples, np.float64).ravel())
    n = len(x)
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


N = 20000
KS_LIMIT = 1.95 / math.sqrt(N)  # alpha = 0.001; the seed is fixed, so the test is deterministic
_erf = np.vectorize(math.erf)


def _normal_cdf(mean, std):
    return lambda x: 0.5 * (1 + _erf((x - mean) / (std * math.sqrt(2))))


def test_same_seed_same_numbers():
    tensorish.manual_seed(123)
    a = [tensorish.rand(5), tensorish.randn(3, 2), tensorish.randint(0, 9, (4,))]
    tensorish.manual_seed(123)
    b = [tensorish.rand(5), tensorish.randn(3, 2), tensorish.randint(0, 9, (4,))]
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert tensorish.rand(5).tolist() != a[0].tolist()


def test_same_seed_same_numbers_across_processes():
    import subprocess
    import sys

    code = "import tensorish; tensorish.manual_seed(7); print(tensorish.randn(4).tolist())"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    tensorish.manual_seed(7)
    assert run == str(tensorish.randn(4).tolist()) + "\n"


def test_generators_are_independent():
    g1, g2 = tensorish.Generator().manual_seed(5), tensorish.Generator().manual_seed(5)
    tensorish.manual_seed(0)
    a = tensorish.rand(3, generator=g1)
    tensorish.rand(10)
    assert tensorish.rand(3, generator=g2).tolist() == a.tolist()


def test_generator_state_round_trip():
    g = tensorish.Generator().manual_seed(42)
    state = g.get_state()
    assert state.dtype is tensorish.uint8 and state.ndim == 1
    a = tensorish.randn(4, generator=g)
    g.set_state(state)
    assert tensorish.randn(4, generator=g).tolist() == a.tolist()
    assert g.initial_seed() == 42
    other = tensorish.Generator().set_state(state)
    assert other.initial_seed() == 42
    assert tensorish.randn(4, generator=other).tolist() == a.tolist()


def test_rng_state_round_trip():
    state = tensorish.get_rng_state()
    a = tensorish.rand(3)
    tensorish.set_rng_state(state)
    assert tensorish.rand(3).tolist() == a.tolist()


def test_seed_and_initial_seed_like_torch():
    for seed in (0, 5, -1, 2**63, 2**64 - 1, -(2**63)):
        assert isinstance(tensorish.manual_seed(seed), tensorish.Generator)
        torch.manual_seed(seed)
        assert tensorish.initial_seed() == torch.initial_seed()
    s = tensorish.seed()
    assert 0 <= s < 2**64 and tensorish.initial_seed() == s
    g = tensorish.Generator()
    assert g.seed() == g.initial_seed()
    assert g.device == tensorish.device("cpu") and repr(g.device) == repr(torch.Generator().device)


def _t(m, data, dtype=None):
    return m.tensor(data, dtype=getattr(m, dtype) if dtype else None)


BAD = [
    lambda m: m.manual_seed(2**64),
    lambda m: m.manual_seed(-(2**63) - 1),
    lambda m: m.Generator().set_state(m.zeros(16)),
    lambda m: m.rand(2, dtype=m.int64),
    lambda m: m.randn(2, dtype=m.int32),
    lambda m: m.rand(-1),
    lambda m: m.randint(5, 3, (3,)),
    lambda m: m.randint(0, (3,)),
    lambda m: m.randint(5, (3,), requires_grad=True),
    lambda m: m.randint(2**40, (2,), dtype=m.int32),
    lambda m: m.randint(5, (2,), dtype=m.bool),
    lambda m: m.randperm(-1),
    lambda m: m.randperm(3, requires_grad=True),
    lambda m: m.rand_like(m.ones(2, dtype=m.int64)),
    lambda m: m.normal(0.0, 1.0),
    lambda m: m.normal(0.0, -1.0, (2,)),
    lambda m: m.normal(m.zeros(2), -1.0),
    lambda m: m.normal(m.zeros(2), _t(m, [1.0, -1.0])),
    lambda m: m.bernoulli(_t(m, [0.5, 1.5])),
    lambda m: m.bernoulli(_t(m, [1, 0])),
    lambda m: m.multinomial(_t(m, [0.2, 0.8]), 3),
    lambda m: m.multinomial(_t(m, [-0.2, 0.8]), 1),
    lambda m: m.multinomial(_t(m, [0.0, 0.0]), 1),
    lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m: m.multinomial(_t(m, [1, 2]), 1),
    lambda m: m.multinomial(_t(m, [0.2, 0.8]), 0),
    lambda m: m.poisson(_t(m, [-1.0])),
    lambda m: m.ones(2).bernoulli_(1.5),
    lambda m: m.ones(2, requires_grad=True).uniform_(),
    lambda m: m.ones(2).uniform_(2, 1),
    lambda m: m.ones(2).normal_(0, -1),
    lambda m: m.ones(2, dtype=m.int64).normal_(),
    lambda m: m.ones(2).exponential_(-1),
    lambda m: m.ones(2).geometric_(0),
    lambda m: m.ones(2).random_(5, 3),
    lambda m: m.ones(2, dtype=m.int8).random_(0, 300),
    lambda m: m.ones(2, dtype=m.uint8).random_(-1, 3),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_errors_match_torch(i):
    theirs = outcome(lambda: BAD[i](torch))
    assert theirs[0] != "ok"
    assert outcome(lambda: BAD[i](tensorish)) == theirs


def test_unknown_keyword():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        tensorish.rand(2, 3, foo=1)


def test_set_state_wrong_size():
    with pytest.raises(
        RuntimeError,
        match="Expected a CPUGeneratorImplState of size 16 but "
        "found the input RNG state size to be 3",
    ):
        tensorish.Generator().set_state(tensorish.zeros(3, dtype=tensorish.uint8))


CALLS = [
    lambda m: m.rand(2, 3),
    lambda m: m.rand((2, 3), dtype=m.float64),
    lambda m: m.rand(size=(4,), requires_grad=True),
    lambda m: m.rand(3, dtype=m.complex64),
    lambda m: m.rand(()),
    lambda m: m.randn(2, 3, dtype=m.float16),
    lambda m: m.randn([5], requires_grad=True),
    lambda m: m.randint(10, (3, 2)),
    lambda m: m.randint(-5, 5, size=(7,), dtype=m.int32),
    lambda m: m.randint(0, 2, (3,), dtype=m.float32),
    lambda m: m.randint(0, 2, (3,), dtype=m.bool),
    lambda m: m.randperm(6),
    lambda m: m.randperm(6, dtype=m.float64),
    lambda m: m.rand_like(m.ones(2, 3, dtype=m.float64)),
    lambda m: m.randn_like(m.ones(2), requires_grad=True),
    lambda m: m.randint_like(m.ones(2, 2), 10),
    lambda m: m.randint_like(m.ones(2, dtype=m.int32), 3, 10),
    lambda m: m.normal(m.zeros(2, 3), m.ones(2, 3)),
    lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), m.ones(3)),
    lambda m: m.normal(m.zeros(4), 2.0),
    lambda m: m.normal(1.0, m.ones(2, 2)),
    lambda m: m.normal(1.0, 2.0, (3,)),
    lambda m: m.normal(1.0, 2.0, (3,), dtype=m.float64, requires_grad=True),
    lambda m: m.bernoulli(m.ones(3) * 0.5),
    lambda m: m.bernoulli(m.ones(3, dtype=m.float64), 0.3),
    lambda m: m.ones(2, 3).bernoulli(),
    lambda m: m.multinomial(_t(m, [0.1, 0.2, 0.7]), 2),
    lambda m: m.multinomial(_t(m, [[0.1, 0.9], [0.5, 0.5]]), 6, True),
    lambda m: _t(m, [0.3, 0.7]).multinomial(1),
    lambda m: m.poisson(m.ones(N) * 4),  # the shape the moment test compiles for
    lambda m: m.zeros(3).uniform_(-1, 1),
    lambda m: m.zeros(3, dtype=m.float64).normal_(2, 3),
    lambda m: m.zeros(3).bernoulli_(0.3),
    lambda m: m.zeros(3).bernoulli_(m.ones(3) * 0.5),
    lambda m: m.zeros(3, dtype=m.int64).random_(),
    lambda m: m.zeros(3, dtype=m.uint8).random_(),
    lambda m: m.zeros(3, dtype=m.bool).random_(),
    lambda m: m.zeros(3).random_(4),
    lambda m: m.zeros(3, dtype=m.int32).random_(-3, 4),
    lambda m: m.zeros(3).exponential_(),
    lambda m: m.zeros(3).geometric_(0.2),
    lambda m: m.zeros(3).cauchy_(),
    lambda m: m.zeros(3).log_normal_(),
]


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_dtype_shape_device_requires_grad_match_torch(i):
    t, s = CALLS[i](torch), CALLS[i](tensorish)
    assert tuple(s.shape) == tuple(t.shape)
    assert s.dtype.name == str(t.dtype).split(".")[1]
    assert s.requires_grad == t.requires_grad and s.is_leaf == t.is_leaf
    assert str(s.device) == str(t.device)


def test_in_place_sampler_on_non_leaf_records_zero_gradient():
    names, grads = [], []
    for m in (torch, tensorish):
        x = m.ones(3, requires_grad=True)
        y = x * 2
        y.uniform_()
        names.append(type(y.grad_fn).__name__)
        (y * 3).sum().backward()
        grads.append(x.grad.tolist())
    assert names[0] == names[1] == "UniformBackward0"
    assert grads[0] == grads[1] == [0.0, 0.0, 0.0]


SAMPLES_OF_GRAD_TENSORS = [
    lambda m, x: m.normal(x, 1.0),
    lambda m, x: m.normal(1.0, x),
    lambda m, x: m.normal(x, x * 2),
    lambda m, x: m.bernoulli(x * 0.5),
    lambda m, x: m.poisson(x),
]


@pytest.mark.parametrize("i", range(len(SAMPLES_OF_GRAD_TENSORS)))
def test_samples_of_tensors_that_require_grad(i):
    names, grads = [], []
    for m in (torch, tensorish):
        x = m.ones(N, requires_grad=True)  # N: poisson's sampler compiles once per shape
        y = SAMPLES_OF_GRAD_TENSORS[i](m, x)
        names.append(type(y.grad_fn).__name__)
        (y * 3).sum().backward()
        grads.append(x.grad.sum().item())
    assert names[0] == names[1]
    assert grads[0] == grads[1] == 0.0


def test_in_place_sampler_under_no_grad_on_parameter():
    w = tensorish.ones(4, requires_grad=True)
    with tensorish.no_grad():
        w.normal_(0, 0.02)
    assert w.is_leaf and w.requires_grad and w.tolist() != [1.0] * 4


def test_each_draw_is_one_cached_call():
    x = tensorish.zeros(8)
    x.uniform_(0, 1)
    before = _random._draw._cache_size()
    for lo in range(5):
        x.uniform_(lo, lo + 1)
        tensorish.normal(tensorish.zeros(8), float(lo + 1))
    tensorish.normal(tensorish.zeros(8), 1.0)
    assert _random._draw._cache_size() <= before + 1


def test_new_shapes_compile_no_new_rng_kernel():
    tensorish.randn(300, 2)
    before = _random._draw._cache_size()
    samples = [tensorish.randn(n, 2) for n in range(301, 321)] + [tensorish.rand(7, 3, 5)]
    assert _random._draw._cache_size() <= before + 1
    assert [tuple(s.shape) for s in samples[:2]] == [(301, 2), (302, 2)]
    assert len({round(float(s.sum()), 3) for s in samples}) == len(samples)  # fresh numbers


CONTINUOUS = [
    ("rand", lambda g: tensorish.rand(N, generator=g), lambda x: np.clip(x, 0, 1)),
    (
        "uniform_",
        lambda g: tensorish.zeros(N).uniform_(-2, 3, generator=g),
        lambda x: np.clip((x + 2) / 5, 0, 1),
    ),
    ("randn", lambda g: tensorish.randn(N, generator=g), _normal_cdf(0, 1)),
    (
        "randn64",
        lambda g: tensorish.randn(N, generator=g, dtype=tensorish.float64),
        _normal_cdf(0, 1),
    ),
    ("normal", lambda g: tensorish.normal(3.0, 2.0, (N,), generator=g), _normal_cdf(3, 2)),
    (
        "normal_tensor",
        lambda g: tensorish.normal(tensorish.ones(N) * -1, tensorish.ones(N) * 0.5, generator=g),
        _normal_cdf(-1, 0.5),
    ),
    ("normal_", lambda g: tensorish.zeros(N).normal_(1, 3, generator=g), _normal_cdf(1, 3)),
    (
        "exponential_",
        lambda g: tensorish.zeros(N).exponential_(2.0, generator=g),
        lambda x: 1 - np.exp(-2 * np.maximum(x, 0)),
    ),
    (
        "cauchy_",
        lambda g: tensorish.zeros(N).cauchy_(1.0, 2.0, generator=g),
        lambda x: 0.5 + np.arctan((x - 1) / 2) / math.pi,
    ),
    (
        "log_normal_",
        lambda g: tensorish.zeros(N).log_normal_(0.5, 0.7, generator=g),
        lambda x: _normal_cdf(0.5, 0.7)(np.log(np.maximum(x, 1e-300))),
    ),
]


@pytest.mark.parametrize("name,draw,cdf", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_distribution(name, draw, cdf):
    samples = _np(draw(tensorish.Generator().manual_seed(2024)))
    assert _ks(samples, cdf) < KS_LIMIT


def test_complex_rand_parts_uniform():
    z = _np(
        tensorish.rand(N, dtype=tensorish.complex64, generator=tensorish.Generator().manual_seed(1))
    )
    for part in (z.real, z.imag):
        assert _ks(part, lambda x: np.clip(x, 0, 1)) < KS_LIMIT


def _chi2_ok(counts, probs):
    """Pearson's chi-square below the 0.001 critical value (Wilson-Hilferty bound)."""
    counts = np.asarray(counts, np.float64)
    expected = counts.sum() * np.asarray(probs, np.float64)
    stat = np.sum((counts - expected) ** 2 / expected)
    k = len(counts) - 1
    critical = k * (1 - 2 / (9 * k) + 3.09 * math.sqrt(2 / (9 * k))) ** 3
    return stat < critical


def test_randint_and_random_uniform_over_range():
    g = tensorish.Generator().manual_seed(3)
    x = _np(tensorish.randint(-3, 7, (N,), generator=g))
    assert x.min() == -3 and x.max() == 6
    assert _chi2_ok(np.bincount(x + 3), [0.1] * 10)
    y = _np(tensorish.zeros(N, dtype=tensorish.int64).random_(2, 6, generator=g))
    assert _chi2_ok(np.bincount(y - 2), [0.25] * 4)
    z = _np(tensorish.zeros(N, dtype=tensorish.uint8).random_(generator=g))
    assert _chi2_ok(np.bincount(z, minlength=256), [1 / 256] * 256)
    f = _np(tensorish.zeros(N).random_(generator=g))
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.floor(f))


def test_bernoulli_geometric_poisson_moments():
    g = tensorish.Generator().manual_seed(11)
    p = np.linspace(0.05, 0.95, 10).astype(np.float32)
    b = _np(tensorish.bernoulli(tensorish.tensor(np.tile(p, (N // 10, 1))), generator=g))
    np.testing.assert_allclose(b.mean(0), p, atol=4 * math.sqrt(0.25 / (N // 10)))
    b2 = _np(tensorish.zeros(N).bernoulli_(0.3, generator=g))
    assert abs(b2.mean() - 0.3) < 4 * math.sqrt(0.21 / N)
    geo = _np(tensorish.zeros(N).geometric_(0.25, generator=g))
    assert geo.min() >= 1 and np.all(geo == np.floor(geo))
    k = np.arange(1, 12)
    counts = [np.sum(geo == v) for v in k] + [np.sum(geo > 11)]
    probs = list(0.25 * 0.75 ** (k - 1)) + [0.75**11]
    assert _chi2_ok(counts, probs)
    lam = 4.0
    po = _np(tensorish.poisson(tensorish.ones(N) * lam, generator=g))
    assert abs(po.mean() - lam) < 4 * math.sqrt(lam / N)
    assert abs(po.var() - lam) < 0.3


def test_randperm_is_a_uniform_permutation():
    g = tensorish.Generator().manual_seed(9)
    firsts = []
    for _ in range(400):
        p = tensorish.randperm(5, generator=g).tolist()
        assert sorted(p) == [0, 1, 2, 3, 4]
        firsts.append(p[0])
    assert _chi2_ok(np.bincount(firsts), [0.2] * 5)


def test_multinomial_frequencies():
    g = tensorish.Generator().manual_seed(17)
    probs = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    w = tensorish.tensor(probs * 10)  # unnormalised weights, as torch allows
    draws = _np(tensorish.multinomial(w, N, replacement=True, generator=g))
    assert _chi2_ok(np.bincount(draws, minlength=4), probs)
    rows = _np(tensorish.multinomial(tensorish.tensor(np.tile(probs, (N // 4, 1))), 2, generator=g))
    assert np.all(rows[:, 0] != rows[:, 1])
    assert _chi2_ok(np.bincount(rows[:, 0], minlength=4), probs)
    # the second draw without replacement: P(j second) = sum_i p_i p_j / (1 - p_i)
    second = [
        sum(probs[i] * probs[j] / (1 - probs[i]) for i in range(4) if i != j) for j in range(4)
    ]
    assert _chi2_ok(np.bincount(rows[:, 1], minlength=4), second)
    zero = _np(tensorish.multinomial(tensorish.tensor([0.0, 1.0, 0.0]), 1, generator=g))
    assert zero.tolist() == [1]


def test_failed_multinomial_leaves_state_unchanged():
    g = tensorish.Generator().manual_seed(1)
    state = g.get_state().tolist()
    with pytest.raises(RuntimeError):
        tensorish.multinomial(tensorish.tensor([-1.0, 2.0]), 1, generator=g)
    assert g.get_state().tolist() == state

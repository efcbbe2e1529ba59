"""nn.init against torch: exact values for the deterministic schemes, the distributions'
moments (against the same draw made by torch) for the random ones, and torch's errors."""

import math

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error

import tensorish

SHAPE = (200, 300)


def _moments(values) -> tuple[float, float, float, float]:
    v = np.asarray(values, np.float64).ravel()
    return v.mean(), v.std(), v.min(), v.max()


def _same_distribution(fn_name, *args, shape=SHAPE, **kw):
    """Both libraries draw the same scheme; mean, std and range agree within sampling error."""
    torch.manual_seed(0)
    tensorish.manual_seed(0)
    t = getattr(torch.nn.init, fn_name)(torch.empty(shape), *args, **kw)
    s = getattr(tensorish.nn.init, fn_name)(tensorish.empty(shape), *args, **kw)
    assert s.dtype is tensorish.float32 and tuple(s.shape) == tuple(t.shape)
    (mt, st, lot, hit), (ms, ss, los, his) = _moments(t.numpy()), _moments(s.numpy())
    n = math.prod(shape)
    assert abs(ms - mt) < 6 * max(st, 1e-12) / math.sqrt(n), (fn_name, ms, mt)
    assert abs(ss - st) < 6 * st / math.sqrt(2 * n), (fn_name, ss, st)
    return (lot, hit), (los, his)


@pytest.mark.parametrize(
    "name,args,kw",
    [
        ("uniform_", (-0.5, 2.0), {}),
        ("normal_", (1.0, 0.5), {}),
        ("xavier_uniform_", (), {"gain": 2.0}),
        ("xavier_normal_", (), {}),
        ("kaiming_uniform_", (), {}),
        ("kaiming_uniform_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
        ("kaiming_normal_", (), {"a": 0.2, "mode": "FAN_IN"}),
        ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "tanh"}),
        ("kaiming_uniform_", (), {"nonlinearity": "selu"}),
        ("trunc_normal_", (), {}),
        ("trunc_normal_", (0.0, 0.02, -0.04, 0.04), {}),
        ("trunc_normal_", (0.0, 1.0, 1.5, 3.0), {}),
    ],
)
def test_random_schemes(name, args, kw):
    (lot, hit), (los, his) = _same_distribution(name, *args, **kw)
    if "uniform" in name or "trunc" in name:
        width = hit - lot
        assert abs(los - lot) < 0.01 * width and abs(his - hit) < 0.01 * width


def test_conv_fans_and_orthogonal():
    _same_distribution("kaiming_uniform_", shape=(64, 32, 3, 3), mode="fan_out")
    _same_distribution("xavier_normal_", shape=(64, 32, 3, 3))
    tensorish.manual_seed(0)
    for shape in ((6, 4), (4, 6), (4, 3, 2)):
        w = (
            tensorish.nn.init.orthogonal_(tensorish.empty(shape), gain=2.0)
            .numpy()
            .reshape(shape[0], -1)
        )
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram, 4 * np.eye(min(w.shape)), atol=1e-5)


def test_sparse():
    tensorish.manual_seed(0)
    w = tensorish.nn.init.sparse_(tensorish.empty(50, 40), sparsity=0.25, std=0.5).numpy()
    torch.manual_seed(0)
    t = torch.nn.init.sparse_(torch.empty(50, 40), sparsity=0.25, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(0), (t == 0).sum(0))
    assert abs(w[w != 0].std() - 0.5) < 0.03


def test_deterministic_schemes():
    for m_args in [((3, 5),), ((5, 3),)]:
        assert_same(
            torch.nn.init.eye_(torch.empty(*m_args)),
            tensorish.nn.init.eye_(tensorish.empty(*m_args)),
            "eye",
        )
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 2), 4), ((2, 4, 3), 1)]:
        t = torch.nn.init.dirac_(torch.empty(shape), groups)
        s = tensorish.nn.init.dirac_(tensorish.empty(shape), groups)
        assert_same(t, s, f"dirac {shape}")
    for name, args in [("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())]:
        assert_same(
            getattr(torch.nn.init, name)(torch.empty(2, 3), *args),
            getattr(tensorish.nn.init, name)(tensorish.empty(2, 3), *args),
            name,
        )
    w = tensorish.ones(2, 2, requires_grad=True)
    out = tensorish.nn.init.zeros_(w)
    assert out is w and w.grad_fn is None and w.requires_grad


@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_calculate_gain(nonlinearity, param):
    t = torch.nn.init.calculate_gain(nonlinearity, param)
    s = tensorish.nn.init.calculate_gain(nonlinearity, param)
    assert s == t and type(s) is type(t)


def test_errors_and_warnings():
    init = lambda m: m.nn.init  # noqa: E731
    cases = [
        lambda m: init(m).calculate_gain("foo"),
        lambda m: init(m).calculate_gain("leaky_relu", True),
        lambda m: init(m).uniform_(m.empty(3), 1, 0),
        lambda m: init(m).normal_(m.empty(3), 0, -1),
        lambda m: init(m).uniform_(m.empty(3, dtype=m.int64)),
        lambda m: init(m).normal_(m.empty(3, dtype=m.bool)),
        lambda m: init(m).trunc_normal_(m.empty(3), a=2, b=1),
        lambda m: init(m).trunc_normal_(m.empty(3), std=0),
        lambda m: init(m).kaiming_uniform_(m.empty(3, 2), mode="x"),
        lambda m: init(m).xavier_uniform_(m.empty(3)),
        lambda m: init(m).eye_(m.empty(3)),
        lambda m: init(m).dirac_(m.empty(3, 3)),
        lambda m: init(m).dirac_(m.empty(3, 3, 3), groups=2),
        lambda m: init(m).orthogonal_(m.empty(3)),
        lambda m: init(m).sparse_(m.empty(3), 0.1),
    ]
    for case in cases:
        assert_same_error(case)
    for m in (torch, tensorish):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            m.nn.init.kaiming_normal_(m.empty(0, 3))
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            m.nn.init.trunc_normal_(m.empty(3), mean=5.0)
        with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated"):
            m.nn.init.xavier_uniform(m.empty(2, 2))
    assert set(torch.nn.init.__all__) <= set(dir(tensorish.nn.init))

"""ASGD, Rprop, Adafactor and the cyclic/chained schedulers against torch.optim, step by step."""

import math
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same_error

import tensorish

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)
W0 = RNG.normal(size=(3, 2)).astype(np.float32)
B0 = RNG.normal(size=(2,)).astype(np.float32)

CONFIGS = [
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 5, "lambd": 0.01, "alpha": 0.5, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "maximize": True, "foreach": True, "capturable": True}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.01, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05), "maximize": True}),
    ("Adafactor", {"lr": 0.05}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1, "eps": (1e-3, 1e-3), "d": 2.0}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "maximize": True, "foreach": False}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]


def _params(m):
    return [m.tensor(W0.copy(), requires_grad=True), m.tensor(B0.copy(), requires_grad=True)]


def _loss(m, w, b):
    return ((m.tensor(X) @ w + b - m.tensor(Y)) ** 2).mean()


def _close(ours, theirs, rtol=2e-5, atol=2e-6):
    for s, t in zip(ours, theirs):
        np.testing.assert_allclose(s.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _same_state(st, ss):
    assert list(st) == list(ss)
    for k, v in st.items():
        if isinstance(v, torch.Tensor):
            assert isinstance(ss[k], tensorish.Tensor) and ss[k].dtype.name == str(v.dtype)[6:]
            np.testing.assert_allclose(ss[k].numpy(), v.numpy(), rtol=2e-5, atol=2e-6, err_msg=k)
        else:
            assert ss[k] == v, k


@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_optimizer_matches_torch(name, kw):
    """Each library's own backward for 25 steps; weights, state and groups agree every step,
    and a reloaded optimizer carries on identically."""
    if kw.get("capturable"):
        kw_t = {k: v for k, v in kw.items() if k != "capturable"}  # torch: CUDA only
    else:
        kw_t = kw
    pt, ps = _params(torch), _params(tensorish)
    ot, os_ = getattr(torch.optim, name)(pt, **kw_t), getattr(tensorish.optim, name)(ps, **kw)
    for step in range(25):
        for m, params, opt in ((torch, pt, ot), (tensorish, ps, os_)):
            opt.zero_grad()
            _loss(m, *params).backward()
            opt.step()
        _close(ps, pt)
        if step == 12:
            saved = os_.state_dict()
            os_ = getattr(tensorish.optim, name)(ps, **kw)
            os_.load_state_dict(saved)
    st, ss = ot.state_dict(), os_.state_dict()
    for i in st["state"]:
        _same_state(st["state"][i], ss["state"][i])
    groups_t = [dict(g, capturable=True) if kw.get("capturable") else g for g in st["param_groups"]]
    assert ss["param_groups"] == groups_t


def test_defaults_repr_and_errors():
    for name in ("ASGD", "Rprop", "Adafactor"):
        t = getattr(torch.optim, name)([torch.ones(2, 2, requires_grad=True)])
        s = getattr(tensorish.optim, name)([tensorish.ones(2, 2, requires_grad=True)])
        assert repr(s) == repr(t)
    bad = [
        ("ASGD", {"lr": -1.0}),
        ("ASGD", {"weight_decay": -1.0}),
        ("Rprop", {"etas": (1.5, 1.2)}),
        ("Rprop", {"lr": -0.1}),
        ("Adafactor", {"lr": -0.1}),
        ("Adafactor", {"beta2_decay": 0.5}),
        ("Adafactor", {"eps": (-1.0, 1e-3)}),
        ("Adafactor", {"eps": (None, -1.0)}),
        ("Adafactor", {"d": 0.5}),
        ("Adafactor", {"weight_decay": -1.0}),
    ]
    for name, kw in bad:
        assert_same_error(
            lambda m, n=name, k=kw: getattr(m.optim, n)([m.ones(1, requires_grad=True)], **k)
        )

    def complex_step(m):
        p = m.ones(2, dtype=m.complex64, requires_grad=True)
        p.grad = m.ones(2, dtype=m.complex64)
        m.optim.Adafactor([p]).step()

    assert_same_error(complex_step)


def test_complex_parameters():
    for name in ("ASGD", "Rprop"):
        data = (RNG.normal(size=(3,)) + 1j * RNG.normal(size=(3,))).astype(np.complex64)
        grads = [
            (RNG.normal(size=(3,)) + 1j * RNG.normal(size=(3,))).astype(np.complex64)
            for _ in range(4)
        ]
        results = []
        for m in (torch, tensorish):
            p = m.tensor(data.copy(), requires_grad=True)
            opt = getattr(m.optim, name)([p], lr=0.1)
            for g in grads:
                p.grad = m.tensor(g)
                opt.step()
            results.append(p.detach().numpy())
        np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [{"lr": 0.02}, {"lr": 0.02, "nesterov": False, "adjust_lr_fn": "match_rms_adamw"}],
    ids=["default", "plain_momentum"],
)
@pytest.mark.parametrize("tall", [True, False])
def test_muon(kw, tall):
    """Muon's Newton-Schulz iterations run in bfloat16 in both libraries."""
    w0 = W0.T.copy() if tall else W0.copy()  # (2, 3) or (3, 2)
    runs = []
    for m in (torch, tensorish):
        w = m.tensor(w0, requires_grad=True)
        opt = m.optim.Muon([w], **kw)
        for _ in range(20):
            opt.zero_grad()
            out = m.tensor(X) @ (w.T if tall else w)
            ((out - m.tensor(Y)) ** 2).mean().backward()
            opt.step()
        runs.append((w, opt.state_dict()))
    _close([runs[1][0]], [runs[0][0]], rtol=1e-4, atol=1e-5)
    _same_state(runs[0][1]["state"][0], runs[1][1]["state"][0])
    assert runs[1][1]["param_groups"] == runs[0][1]["param_groups"]


def test_muon_errors():
    assert_same_error(lambda m: m.optim.Muon([m.ones(3, requires_grad=True)]))
    assert_same_error(lambda m: m.optim.Muon([m.ones(2, 2, requires_grad=True)], lr=-1.0))
    assert_same_error(lambda m: m.optim.Muon([m.ones(2, 2, requires_grad=True)], momentum=-1.0))
    assert_same_error(
        lambda m: m.optim.Muon([m.ones(2, 2, requires_grad=True)], adjust_lr_fn="other")
    )


# -- schedulers ----------------------------------------------------------------------------

SCHEDULERS = [
    ("CosineAnnealingWarmRestarts", {"T_0": 3}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.01}, "SGD"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}, "SGD"),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": [0.1, 0.2],
            "step_size_up": 2,
            "step_size_down": 4,
            "mode": "triangular2",
        },
        "SGD",
    ),
    (
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "exp_range", "gamma": 0.9},
        "Adam",
    ),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 2,
            "cycle_momentum": False,
            "scale_fn": lambda x: 0.5**x,
            "scale_mode": "iterations",
        },
        "Adam",
    ),
]


def _optimizer(m, kind):
    groups = [
        {"params": [m.ones(2, requires_grad=True)]},
        {"params": [m.ones(1, requires_grad=True)], "lr": 0.05},
    ]
    if kind == "SGD":
        return m.optim.SGD(groups, lr=0.1, momentum=0.9)
    return m.optim.Adam(groups, lr=0.1)


def _group_view(opt):
    return [
        (round(g["lr"], 12), g.get("momentum"), g.get("betas"), g.get("max_momentum"))
        for g in opt.param_groups
    ]


@pytest.mark.parametrize(
    "name,kw,kind", SCHEDULERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCHEDULERS)]
)
def test_scheduler_sequence_and_state(name, kw, kind):
    runs = []
    for m in (torch, tensorish):
        opt = _optimizer(m, kind)
        sched = getattr(m.optim.lr_scheduler, name)(opt, **kw)
        seq = [(sched.get_last_lr(), _group_view(opt))]
        for _ in range(14):
            opt.step()
            sched.step()
            seq.append((sched.get_last_lr(), _group_view(opt)))
        runs.append((seq, sched.state_dict(), opt, m))
    (seq_t, state_t, *_), (seq_s, state_s, opt_s, _) = runs
    for (lr_t, g_t), (lr_s, g_s) in zip(seq_t, seq_s):
        np.testing.assert_allclose(lr_s, lr_t, rtol=1e-12)
        assert g_s == g_t
    assert list(state_s) == list(state_t)
    for k, v in state_t.items():
        if k not in ("_scale_fn_ref", "_scale_fn_custom"):
            assert state_s[k] == v, k
    again = getattr(tensorish.optim.lr_scheduler, name)(_optimizer(tensorish, kind), **kw)
    again.load_state_dict(state_s)
    assert again.get_last_lr() == seq_s[-1][0] and again.last_epoch == 14


def test_warm_restarts_with_fractional_epochs():
    runs = []
    for m in (torch, tensorish):
        opt = _optimizer(m, "SGD")
        sched = m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        lrs = []
        for epoch in (0.5, 1.0, 2.5, 7.25, 3, 0):
            sched.step(epoch)
            lrs.append(sched.get_last_lr() + [sched.T_i, sched.T_cur, sched.last_epoch])
        runs.append(lrs)
    np.testing.assert_allclose(np.array(runs[1]), np.array(runs[0]), rtol=1e-12)
    assert_same_error(
        lambda m: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(m, "SGD"), 2).step(-1)
    )


def test_chained_scheduler():
    runs = []
    for m in (torch, tensorish):
        ls = m.optim.lr_scheduler
        opt = _optimizer(m, "SGD")
        chained = ls.ChainedScheduler(
            [ls.ConstantLR(opt, factor=0.5, total_iters=3), ls.ExponentialLR(opt, gamma=0.9)]
        )
        lrs = [chained.get_last_lr()]
        for _ in range(6):
            opt.step()
            chained.step()
            lrs.append(chained.get_last_lr())
        state = chained.state_dict()
        runs.append((lrs, state))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-12)
    st, ss = runs[0][1], runs[1][1]
    assert list(ss) == list(st) and ss["_last_lr"] == pytest.approx(st["_last_lr"])
    assert [list(s) for s in ss["_schedulers"]] == [list(s) for s in st["_schedulers"]]


def test_scheduler_errors():
    ls = "optim.lr_scheduler"

    def make(name, *args, kind="SGD", **kw):
        def run(m):
            mod = m
            for part in ls.split("."):
                mod = getattr(mod, part)
            return getattr(mod, name)(_optimizer(m, kind), *args, **kw)

        return run

    assert_same_error(make("CosineAnnealingWarmRestarts", 0))
    assert_same_error(make("CosineAnnealingWarmRestarts", 2, T_mult=0))
    assert_same_error(make("CosineAnnealingWarmRestarts", 2, eta_min="a"))
    assert_same_error(make("CyclicLR", 0.1, 1.0, mode="bad"))
    assert_same_error(make("CyclicLR", [0.1], 1.0))
    assert_same_error(
        lambda m: m.optim.lr_scheduler.CyclicLR(
            m.optim.Adagrad([m.ones(1, requires_grad=True)]), 0.1, 1.0
        )
    )
    assert_same_error(lambda m: m.optim.lr_scheduler.ChainedScheduler([]))
    assert_same_error(
        lambda m: m.optim.lr_scheduler.ChainedScheduler(
            [m.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(m, "SGD"))]
        )
    )
    assert issubclass(
        tensorish.optim.lr_scheduler._LRScheduler, tensorish.optim.lr_scheduler.LRScheduler
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = _optimizer(tensorish, "SGD")
        sched = tensorish.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0)
        opt.step()
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.1 + 0.9 / 2000)


# -- swa_utils -----------------------------------------------------------------------------


def _bn_net(m):
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.Linear(4, 2))
    return net


@pytest.mark.parametrize(
    "kind,use_buffers",
    [("swa", False), ("ema_multi", True), ("ema", False), ("swa_multi", False)],
)
def test_averaged_model(kind, use_buffers):
    torch.manual_seed(0)
    tnet, snet = _bn_net(torch), _bn_net(tensorish)
    snet.load_state_dict({k: tensorish.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    results = []
    for m, net in ((torch, tnet), (tensorish, snet)):
        su = m.optim.swa_utils
        kw = {
            "swa": {},
            "ema_multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
            "ema": {"avg_fn": su.get_ema_avg_fn(0.8)},
            "swa_multi": {"multi_avg_fn": su.get_swa_multi_avg_fn()},
        }[kind]
        avg = su.AveragedModel(net, use_buffers=use_buffers, **kw)
        opt = m.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(4):
            opt.zero_grad()
            net(m.tensor(X)).pow(2).mean().backward()
            opt.step()
            avg.update_parameters(net)
        results.append((avg.state_dict(), avg(m.tensor(X))))
    (st, out_t), (ss, out_s) = results
    assert list(ss) == list(st)
    for k in st:
        np.testing.assert_allclose(ss[k].numpy(), st[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    np.testing.assert_allclose(out_s.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_update_bn_and_swalr():
    torch.manual_seed(0)
    tnet, snet = _bn_net(torch), _bn_net(tensorish)
    snet.load_state_dict({k: tensorish.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    batches = [RNG.normal(size=(5, 3)).astype(np.float32) for _ in range(3)]
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tnet.eval())
    tensorish.optim.swa_utils.update_bn([(tensorish.tensor(b), 0) for b in batches], snet.eval())
    assert not snet.training and snet[1].momentum == 0.1
    for k, v in tnet.state_dict().items():
        np.testing.assert_allclose(snet.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
    runs = []
    for m in (torch, tensorish):
        opt = _optimizer(m, "SGD")
        sched = m.optim.swa_utils.SWALR(
            opt, swa_lr=[0.01, 0.02], anneal_epochs=3, anneal_strategy="linear"
        )
        lrs = [sched.get_last_lr()]
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        runs.append((lrs, sched.state_dict()))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-12)
    assert list(runs[1][1]) == list(runs[0][1])
    assert_same_error(
        lambda m: m.optim.swa_utils.SWALR(_optimizer(m, "SGD"), 0.1, anneal_strategy="x")
    )
    assert_same_error(
        lambda m: m.optim.swa_utils.SWALR(_optimizer(m, "SGD"), 0.1, anneal_epochs=-1)
    )
    assert_same_error(lambda m: m.optim.swa_utils.get_ema_avg_fn(2.0))
    assert_same_error(
        lambda m: m.optim.swa_utils.AveragedModel(m.nn.Linear(1, 1), avg_fn=abs, multi_avg_fn=abs)
    )

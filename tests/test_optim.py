"""Optimizers and lr schedulers against torch.optim: same weights, same gradients, same numbers."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch
from oracle import outcome

import tensorish
from tensorish import optim

CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.9), maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.2)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.02, weight_decay=0.1, betas=(0.8, 0.95))),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)
W0 = RNG.normal(size=(3, 2)).astype(np.float32)
B0 = RNG.normal(size=(2,)).astype(np.float32)


def _params(m):
    return [m.tensor(W0.copy(), requires_grad=True), m.tensor(B0.copy(), requires_grad=True)]


def _loss(m, w, b):
    return ((m.tensor(X) @ w + b - m.tensor(Y)) ** 2).mean()


def _close(ours, theirs, rtol=2e-5, atol=2e-6):
    for s, t in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(s.jax()), t.detach().numpy(), rtol=rtol, atol=atol)


def _opt(m, name, params, kw):
    return getattr(m.optim, name)(params, **kw)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=IDS)
def test_matches_torch_with_identical_gradients(name, kw):
    """The update math alone: each step both get the gradient torch computes at its weights."""
    pt, ps = _params(torch), _params(tensorish)
    ot, os_ = _opt(torch, name, pt, kw), _opt(tensorish, name, ps, kw)
    for step in range(120):
        ot.zero_grad()
        _loss(torch, *pt).backward()
        for s, t in zip(ps, pt):
            s.grad = tensorish.tensor(t.grad.numpy().copy())
        ot.step()
        os_.step()
        # feed torch's weights back so rounding differences cannot compound
        if step % 30 == 29:
            _close(ps, pt)
            for s, t in zip(ps, pt):
                s._set_value(tensorish.tensor(t.detach().numpy().copy()).jax())
    _close(ps, pt)


@pytest.mark.parametrize("name,kw", CONFIGS[1::2], ids=IDS[1::2])
def test_training_loop_and_state_dict_round_trip(name, kw):
    """End to end (each library's own backward), reloading the optimizer mid-training."""
    pt, ps = _params(torch), _params(tensorish)
    ot, os_ = _opt(torch, name, pt, kw), _opt(tensorish, name, ps, kw)
    for step in range(110):
        if step == 50:
            st, ss = ot.state_dict(), os_.state_dict()
            _same_state_dict(ss, st)
            ot = _opt(torch, name, pt, kw)
            ot.load_state_dict(copy.deepcopy(st))
            os_ = _opt(tensorish, name, ps, kw)
            os_.load_state_dict(ss)
            _same_state_dict(os_.state_dict(), ot.state_dict())
        for m, p, o in ((torch, pt, ot), (tensorish, ps, os_)):
            o.zero_grad()
            _loss(m, *p).backward()
            o.step()
    _close(ps, pt, rtol=1e-4, atol=1e-5)
    _same_state_dict(os_.state_dict(), ot.state_dict(), rtol=1e-4, atol=1e-5)


def _same_state_dict(ours, theirs, rtol=1e-5, atol=1e-6):
    assert ours["param_groups"] == theirs["param_groups"]
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for k, st in theirs["state"].items():
        ss = ours["state"][k]
        assert sorted(ss) == sorted(st)
        for key, t in st.items():
            s = ss[key]
            if isinstance(t, torch.Tensor):
                assert str(s.dtype).split(".")[1] == str(t.dtype).split(".")[1], key
                assert tuple(s.shape) == tuple(t.shape), key
                np.testing.assert_allclose(
                    np.asarray(s.jax()), t.numpy(), rtol=rtol, atol=atol, err_msg=key
                )
            else:
                assert s == t, key


def test_state_is_keyed_by_tensor_and_holds_tensors():
    w = tensorish.ones(2, requires_grad=True)
    opt = optim.Adam([w])
    (w * w).sum().backward()
    opt.step()
    assert sorted(opt.state[w]) == ["exp_avg", "exp_avg_sq", "step"]
    assert opt.state[w]["step"].item() == 1.0
    assert opt.state[w]["step"].dtype is tensorish.float32


def test_param_without_grad_is_skipped_and_has_no_state():
    a, b = tensorish.ones(2, requires_grad=True), tensorish.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    (a * 2).sum().backward()
    opt.step()
    assert b.tolist() == [1.0, 1.0] and len(opt.state[b]) == 0
    assert "momentum_buffer" in opt.state[a]


def test_step_records_no_graph_and_bumps_the_version():
    w = tensorish.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    version = w._vc[0]
    opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w._vc[0] == version + 1


def test_zero_grad():
    for m in (torch, tensorish):
        w = m.ones(2, requires_grad=True)
        opt = m.optim.SGD([w], lr=0.1)
        (w * 3).sum().backward()
        opt.zero_grad(set_to_none=False)
        assert w.grad.tolist() == [0.0, 0.0] and not w.grad.requires_grad
        opt.zero_grad()
        assert w.grad is None


def test_closure_runs_with_grad_enabled_and_returns_loss():
    w = tensorish.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tensorish.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 2.0 and w.tolist() == pytest.approx([0.8, 0.8])


def test_param_groups_and_add_param_group():
    def build(m):
        a, b, c = (m.ones(2, requires_grad=True) for _ in range(3))
        opt = m.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [c], "momentum": 0.0})
        return opt

    ot, os_ = build(torch), build(tensorish)
    assert os_.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    assert repr(os_) == repr(ot)


def test_named_parameters():
    for m in (torch, tensorish):
        opt = m.optim.Adam([("w", m.ones(1, requires_grad=True))])
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_repr_matches_torch():
    for name, kw in CONFIGS[:12:2]:
        assert repr(_opt(tensorish, name, _params(tensorish), kw)) == repr(
            _opt(torch, name, _params(torch), kw)
        )


BAD = [
    lambda m: m.optim.SGD([], lr=0.1),
    lambda m: m.optim.SGD(m.ones(2, requires_grad=True), lr=0.1),
    lambda m: m.optim.SGD([1.0], lr=0.1),
    lambda m: m.optim.SGD([m.ones(2, requires_grad=True) * 2], lr=0.1),
    lambda m: m.optim.SGD([m.ones(2, requires_grad=True)]).add_param_group(
        {"params": {m.ones(2, requires_grad=True)}}
    ),
    lambda m: m.optim.SGD([m.ones(1, requires_grad=True)], lr=-1),
    lambda m: m.optim.SGD([m.ones(1, requires_grad=True)], lr=0.1, nesterov=True),
    lambda m: m.optim.SGD([m.ones(1, requires_grad=True)], lr=0.1, momentum=-1),
    lambda m: m.optim.Adam([m.ones(1, requires_grad=True)], betas=(1.0, 0.9)),
    lambda m: m.optim.Adam([m.ones(1, requires_grad=True)], betas=(0.9, -0.1)),
    lambda m: m.optim.Adam([m.ones(1, requires_grad=True)], eps=-1.0),
    lambda m: m.optim.AdamW([m.ones(1, requires_grad=True)], weight_decay=-1.0),
    lambda m: m.optim.RMSprop([m.ones(1, requires_grad=True)], alpha=-1.0),
    lambda m: m.optim.Adagrad([m.ones(1, requires_grad=True)], lr_decay=-1.0),
    lambda m: m.optim.Adagrad([m.ones(1, requires_grad=True)], initial_accumulator_value=-1),
    lambda m: m.optim.Adadelta([m.ones(1, requires_grad=True)], rho=1.5),
    lambda m: m.optim.NAdam([m.ones(1, requires_grad=True)], momentum_decay=-1.0),
    lambda m: m.optim.LBFGS(
        [{"params": [m.ones(1, requires_grad=True)]}, {"params": [m.ones(1, requires_grad=True)]}]
    ),
    lambda m: _twice(m),
    lambda m: _bad_load(m, lambda sd: sd["param_groups"].append(sd["param_groups"][0])),
    lambda m: _bad_load(m, lambda sd: sd["param_groups"][0]["params"].append(7)),
]


def _twice(m):
    w = m.ones(1, requires_grad=True)
    m.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def _bad_load(m, corrupt):
    opt = m.optim.Adam([m.ones(1, requires_grad=True)])
    sd = copy.deepcopy(opt.state_dict()) if m is torch else opt.state_dict()
    corrupt(sd)
    opt.load_state_dict(sd)


@pytest.mark.parametrize("i", range(len(BAD)))
def test_errors_match_torch(i):
    theirs = outcome(lambda: BAD[i](torch))
    assert theirs[0] != "ok"
    assert outcome(lambda: BAD[i](tensorish)) == theirs


def test_lr_change_does_not_recompile():
    w = tensorish.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        sched.step()
    size = optim.Adam._kernel._cache_size()
    for _ in range(5):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        sched.step()
    assert optim.Adam._kernel._cache_size() == size


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search):
    results = []
    for m in (torch, tensorish):
        w, b = _params(m)
        opt = m.optim.LBFGS([w, b], lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search)

        def closure(m=m, w=w, b=b, opt=opt):
            opt.zero_grad()
            loss = _loss(m, w, b)
            loss.backward()
            return loss

        losses = [float(opt.step(closure).item()) for _ in range(3)]
        state = opt.state[w]
        results.append((w, b, losses, state["func_evals"], state["n_iter"]))
    (wt, bt, lt, ft, nt), (ws, bs, ls, fs, ns) = results
    assert (fs, ns) == (ft, nt)
    np.testing.assert_allclose(ls, lt, rtol=1e-4)
    _close([ws, bs], [wt, bt], rtol=1e-4, atol=1e-5)


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[10, 30, 30, 80], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=25, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=40)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e) ** 0.5)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.99 if e % 3 else 1.01)),
    ("ConstantLR", dict(factor=0.25, total_iters=30)),
    ("PolynomialLR", dict(total_iters=90, power=2.0)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=130)),
    (
        "OneCycleLR",
        dict(
            max_lr=[0.5, 1.0],
            epochs=13,
            steps_per_epoch=10,
            three_phase=True,
            anneal_strategy="linear",
        ),
    ),
]


def _two_groups(m, name="SGD"):
    a, b = m.ones(1, requires_grad=True), m.ones(1, requires_grad=True)
    kw = {"momentum": 0.9} if name == "SGD" else {}
    return getattr(m.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **kw)


def _lrs(m, build, steps=120, reload_at=None):
    opt = _two_groups(m)
    sched = build(m, opt)
    out = []
    for i in range(steps):
        opt.step()
        sched.step()
        if i == reload_at:
            sd = sched.state_dict()
            sched = build(m, opt, last_epoch=sched.last_epoch)
            sched.load_state_dict(sd)
        out.append(
            (
                sched.get_last_lr(),
                [g["lr"] for g in opt.param_groups],
                [g.get("momentum") for g in opt.param_groups],
            )
        )
    return out


@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_matches_torch(name, kw):
    def build(m, opt, last_epoch=-1):
        return getattr(m.optim.lr_scheduler, name)(opt, last_epoch=last_epoch, **kw)

    assert _lrs(tensorish, build) == _lrs(torch, build)
    assert _lrs(tensorish, build, reload_at=60) == _lrs(torch, build, reload_at=60)


def test_scheduler_closed_form_with_epoch():
    for name, kw in SCHEDULERS[:5] + SCHEDULERS[7:9]:
        res = []
        for m in (torch, tensorish):
            opt = _two_groups(m)
            sched = getattr(m.optim.lr_scheduler, name)(opt, **kw)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                opt.step()
                sched.step(17)
            res.append((sched.get_last_lr(), [str(x.message) for x in w]))
        assert res[0] == res[1]


def test_sequential_lr():
    def run(m):
        opt = _two_groups(m)
        s1 = m.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
        s2 = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
        s3 = m.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
        sched = m.optim.lr_scheduler.SequentialLR(opt, [s1, s2, s3], milestones=[10, 60])
        out = []
        for _ in range(110):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        return out, sorted(sched.state_dict())

    assert run(tensorish) == run(torch)


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85] * 12

    def run(m, mode, threshold_mode):
        opt = _two_groups(m, "Adam")
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(
            opt,
            mode=mode,
            factor=0.5,
            patience=2,
            cooldown=1,
            min_lr=[0.0, 0.01],
            threshold_mode=threshold_mode,
        )
        out = []
        for v in metrics:
            opt.step()
            sched.step(v if mode == "min" else -v)
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best))
        return out

    for mode in ("min", "max"):
        for tm in ("rel", "abs"):
            assert run(tensorish, mode, tm) == run(torch, mode, tm)


def test_warns_when_scheduler_steps_before_optimizer():
    messages = []
    for m in (torch, tensorish):
        opt = _two_groups(m)
        sched = m.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning) as record:
            sched.step()
        messages.append([str(r.message) for r in record])
    assert messages[0] == messages[1]
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in messages[1][0]


def test_get_lr_outside_step_warns():
    messages = []
    for m in (torch, tensorish):
        sched = m.optim.lr_scheduler.StepLR(_two_groups(m), step_size=2)
        with pytest.warns(UserWarning) as record:
            sched.get_lr()
        messages.append(str(record[0].message))
    assert messages[0] == messages[1]


SCHED_BAD = [
    lambda m: m.optim.lr_scheduler.StepLR(object(), step_size=1),
    lambda m: m.optim.lr_scheduler.LinearLR(_two_groups(m), start_factor=0),
    lambda m: m.optim.lr_scheduler.LinearLR(_two_groups(m), end_factor=2),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(_two_groups(m), factor=1.0),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(_two_groups(m), mode="up"),
    lambda m: m.optim.lr_scheduler.OneCycleLR(_two_groups(m), max_lr=1.0),
    lambda m: m.optim.lr_scheduler.OneCycleLR(_two_groups(m), max_lr=[1.0], total_steps=5),
    lambda m: m.optim.lr_scheduler.ExponentialLR(_two_groups(m), gamma=0.5, last_epoch=3),
    lambda m: m.optim.lr_scheduler.LambdaLR(_two_groups(m), [lambda e: 1.0]),
    lambda m: m.optim.lr_scheduler.MultiplicativeLR(_two_groups(m), [1.0, 2.0]),
    lambda m: m.optim.lr_scheduler.ConstantLR(_two_groups(m), factor=2.0),
    lambda m: m.optim.lr_scheduler.SequentialLR(_two_groups(m), [], milestones=[]),
]


@pytest.mark.parametrize("i", range(len(SCHED_BAD)))
def test_scheduler_errors_match_torch(i):
    theirs = outcome(lambda: SCHED_BAD[i](torch))
    assert theirs[0] != "ok"
    assert outcome(lambda: SCHED_BAD[i](tensorish)) == theirs


def test_one_cycle_too_many_steps():
    errors = []
    for m in (torch, tensorish):
        opt = _two_groups(m)
        sched = m.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        opt.step()
        errors.append(outcome(sched.step))
    assert errors[0] == errors[1] and errors[0][0] == "ValueError"


def test_cosine_schedule_drives_adam_like_torch():
    pt, ps = _params(torch), _params(tensorish)
    ot, os_ = torch.optim.Adam(pt, lr=0.05), optim.Adam(ps, lr=0.05)
    st = torch.optim.lr_scheduler.CosineAnnealingLR(ot, T_max=30)
    ss = optim.lr_scheduler.CosineAnnealingLR(os_, T_max=30)
    for _ in range(100):
        ot.zero_grad()
        _loss(torch, *pt).backward()
        for s, t in zip(ps, pt):
            s.grad = tensorish.tensor(t.grad.numpy().copy())
        ot.step()
        os_.step()
        st.step()
        ss.step()
    assert ss.get_last_lr() == st.get_last_lr()
    assert not math.isnan(ss.get_last_lr()[0])
    _close(ps, pt, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "name,kw",
    [("Adam", dict(lr=0.01, amsgrad=True)), ("RMSprop", dict(centered=True, momentum=0.5))],
)
def test_complex_parameters_as_real_views(name, kw):
    w0 = (RNG.normal(size=4) + 1j * RNG.normal(size=4)).astype(np.complex64)
    results = []
    for m in (torch, tensorish):
        w = m.tensor(w0.copy(), requires_grad=True)
        opt = getattr(m.optim, name)([w], **kw)
        for i in range(100):
            w.grad = m.tensor((w0 * (1 + 0.01 * i)).astype(np.complex64))
            opt.step()
        results.append(w)
    np.testing.assert_allclose(
        np.asarray(results[1].jax()), results[0].detach().numpy(), rtol=1e-5, atol=2e-6
    )

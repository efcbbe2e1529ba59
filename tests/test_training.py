"""Training like PyTorch, end to end: the same models from the same weights, trained by torch and
by tensorish with nn, optim and lr_scheduler, give the same loss curves; the compiled step gives
the eager losses; model and optimizer state round-trip through save/load mid-training."""

import numpy as np
import pytest
import torch

import tensorish

STEPS = 200


def mlp(m):
    return m.nn.Sequential(m.nn.Linear(12, 16), m.nn.Tanh(), m.nn.Linear(16, 3))


def cnn(m):
    nn = m.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 8),
        nn.ReLU(),
        nn.Linear(8, 3),
    )


DATA = {
    "mlp": (
        np.random.default_rng(0).standard_normal((16, 12)).astype(np.float32),
        np.random.default_rng(1).integers(0, 3, 16),
    ),
    "cnn": (
        np.random.default_rng(2).standard_normal((8, 1, 8, 8)).astype(np.float32),
        np.random.default_rng(3).integers(0, 3, 8),
    ),
}
BUILD = {"mlp": mlp, "cnn": cnn}
OPTIMIZERS = {
    "sgd_momentum": lambda m, p: m.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4),
    "adam": lambda m, p: m.optim.Adam(p, lr=3e-3),
    "adamw": lambda m, p: m.optim.AdamW(p, lr=3e-3, weight_decay=0.05, amsgrad=True),
}


def _pair(model: str):
    """The same initial weights in a torch model and a tensorish model."""
    torch.manual_seed(0)
    tm = BUILD[model](torch)
    sm = BUILD[model](tensorish)
    sm.load_state_dict(
        {k: tensorish.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    )
    return tm, sm


def _train(m, model, opt, sched, x, y, steps: int) -> list[float]:
    loss_fn = m.nn.CrossEntropyLoss()
    xs, ys = m.tensor(x), m.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_loss_curve_matches_torch(model, opt_name):
    tm, sm = _pair(model)
    x, y = DATA[model]
    curves = []
    for m, net in ((torch, tm), (tensorish, sm)):
        opt = OPTIMIZERS[opt_name](m, net.parameters())
        sched = m.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
        curves.append(_train(m, net, opt, sched, x, y, STEPS))
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-4, atol=1e-6)
    assert curves[1][-1] < curves[1][0]
    for (k, a), (k2, b) in zip(tm.state_dict().items(), sm.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=2e-3, atol=2e-5)


def test_compiled_step_matches_eager_and_torch(tmp_path):
    x, y = DATA["mlp"]
    tm, sm = _pair("mlp")
    _, eager_model = _pair("mlp")
    runs = {}
    for name, m, net, compiled in (
        ("torch", torch, tm, False),
        ("eager", tensorish, eager_model, False),
        ("compiled", tensorish, sm, True),
    ):
        opt = m.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        sched = m.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99)
        loss_fn = m.nn.CrossEntropyLoss()
        xs, ys = m.tensor(x), m.tensor(y)

        def step(net=net, opt=opt, sched=sched, loss_fn=loss_fn, xs=xs, ys=ys):
            opt.zero_grad()
            loss = loss_fn(net(xs), ys)
            loss.backward()
            opt.step()
            sched.step()
            return loss

        if compiled:
            step = tensorish.compile(step)
        runs[name] = [step().item() for _ in range(100)]
        if compiled:
            assert step.compile_count <= 2  # the first call sees no .grad yet; then one program
    np.testing.assert_allclose(runs["compiled"], runs["eager"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(runs["compiled"], runs["torch"], rtol=1e-4, atol=1e-6)


def test_state_round_trips_through_save_and_load_mid_training(tmp_path):
    x, y = DATA["cnn"]
    tm, sm = _pair("cnn")
    t_opt = torch.optim.Adam(tm.parameters(), lr=3e-3)
    s_opt = tensorish.optim.Adam(sm.parameters(), lr=3e-3)
    t_sched = torch.optim.lr_scheduler.StepLR(t_opt, 10, 0.5)
    s_sched = tensorish.optim.lr_scheduler.StepLR(s_opt, 10, 0.5)
    first_t = _train(torch, tm, t_opt, t_sched, x, y, 25)
    first_s = _train(tensorish, sm, s_opt, s_sched, x, y, 25)
    path = tmp_path / "ckpt.tsh"
    tensorish.save(
        {
            "model": sm.state_dict(),
            "opt": s_opt.state_dict(),
            "sched": s_sched.state_dict(),
            "step": 25,
        },
        path,
    )
    ckpt = tensorish.load(path)
    _, fresh = _pair("cnn")
    fresh.load_state_dict(ckpt["model"])
    opt = tensorish.optim.Adam(fresh.parameters(), lr=3e-3)
    opt.load_state_dict(ckpt["opt"])
    sched = tensorish.optim.lr_scheduler.StepLR(opt, 10, 0.5)
    sched.load_state_dict(ckpt["sched"])
    assert ckpt["step"] == 25
    rest_t = _train(torch, tm, t_opt, t_sched, x, y, 25)
    rest_s = _train(tensorish, fresh, opt, sched, x, y, 25)
    np.testing.assert_allclose(first_s + rest_s, first_t + rest_t, rtol=1e-4, atol=1e-6)

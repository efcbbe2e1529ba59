"""tensorish.compile with hyperparameters that change: tensors as ``lr``, ``betas`` and
``weight_decay`` are inputs of the compiled step (a new value is no recompile), and a learning
rate a scheduler changes never recompiles; values are compared with torch running eagerly."""

import numpy as np
import pytest
import torch
from oracle import assert_same

import tensorish

OPTIMIZERS = {
    "SGD": lambda lib, p: lib.optim.SGD(
        p, lr=lib.tensor(0.1), momentum=0.9, weight_decay=lib.tensor(0.01)
    ),
    "Adam": lambda lib, p: lib.optim.Adam(
        p,
        lr=lib.tensor(0.01),
        betas=(lib.tensor(0.8), lib.tensor(0.99)),
        weight_decay=lib.tensor(0.01),
    ),
    "AdamW": lambda lib, p: lib.optim.AdamW(p, lr=lib.tensor(0.01), weight_decay=lib.tensor(0.1)),
}


def _model(lib):
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)))
        m.bias.copy_(lib.tensor([0.5, -0.5]))
    return m


def _step(lib, m, opt, x):
    opt.zero_grad()
    loss = m(x).pow(2).sum()
    loss.backward()
    opt.step()
    return loss


def _run(lib, make_opt, steps: int, change=None, schedule=None):
    m = _model(lib)
    opt = make_opt(lib, m.parameters())
    sched = schedule(lib, opt) if schedule else None
    x = lib.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3))
    step = (
        (lambda: _step(lib, m, opt, x))
        if lib is torch
        else tensorish.compile(lambda: _step(lib, m, opt, x))
    )
    losses, counts = [], []
    for i in range(steps):
        if change is not None and i == steps // 2:
            change(lib, opt)
        losses.append(step())
        if sched is not None:
            sched.step()
        counts.append(getattr(step, "compile_count", 0))
    return m, losses, counts


def _new_lr(lib, opt):
    with lib.no_grad():
        opt.param_groups[0]["lr"].fill_(0.05)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_tensor_hyperparameters_are_inputs(name):
    make = OPTIMIZERS[name]
    m_t, losses_t, _ = _run(torch, make, 6, change=_new_lr)
    m_s, losses_s, counts = _run(tensorish, make, 6, change=_new_lr)
    for i, (a, b) in enumerate(zip(losses_t, losses_s)):
        assert_same(a.detach(), b.detach(), f"loss {i}", rtol=1e-5, atol=1e-5)
    assert_same(m_t.weight.detach(), m_s.weight.detach(), "weight", rtol=1e-5, atol=1e-6)
    # The lr changed in place half-way: the compiled step reads it as an input.
    assert counts[2] >= 1 and counts[-1] == counts[2], counts


SCHEDULERS = {
    "StepLR": lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, 2, 0.5),
    "CosineAnnealingLR": lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, 5),
}


@pytest.mark.parametrize("sched", list(SCHEDULERS))
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_scheduled_lr_never_recompiles(sched, opt):
    def make(lib, p):
        return getattr(lib.optim, opt)(p, lr=0.1)

    m_t, losses_t, _ = _run(torch, make, 7, schedule=SCHEDULERS[sched])
    m_s, losses_s, counts = _run(tensorish, make, 7, schedule=SCHEDULERS[sched])
    for i, (a, b) in enumerate(zip(losses_t, losses_s)):
        assert_same(a.detach(), b.detach(), f"loss {i}", rtol=1e-5, atol=1e-5)
    assert_same(m_t.bias.detach(), m_s.bias.detach(), "bias", rtol=1e-5, atol=1e-6)
    # The steps compile once the optimizer state exists; every lr change after that is an input.
    assert counts[2] >= 1 and counts[-1] == counts[2], counts

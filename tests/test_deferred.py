"""Deferred forward values (tensorish/_lazy.py) keep PyTorch's eager semantics.

Ops on tensors that require grad do not run until their value is needed; a repeated backward
runs forward and backward as one program. Everything a user can observe — values, printing,
shapes, errors, gradients, reads after backward — must be as if every op had run at once.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, both

import tensorish
from tensorish import _lazy
from tensorish._mode import mode


def _deferred(t) -> bool:
    return type(t._v) is _lazy.Pending and t._v.value is None


def test_ops_on_grad_tensors_are_deferred_with_eager_metadata():
    x = tensorish.ones(2, 3, requires_grad=True)
    y = (x * 2).sum(1)
    assert _deferred(y)
    assert y.shape == tensorish.Size([2]) and y.dtype is tensorish.float32 and y.ndim == 1
    assert y.grad_fn.name() == "SumBackward1"
    assert _deferred(y)  # metadata never runs the op
    assert repr(y) == "tensor([6., 6.], grad_fn=<SumBackward1>)"
    assert not _deferred(y)


@pytest.mark.parametrize(
    "op", [lambda a, b: a + b, lambda a, b: a @ b, lambda a, b: a.reshape(5) * b]
)
def test_shape_errors_are_raised_at_the_op_as_in_pytorch(op):
    assert_same_error(lambda m: op(m.ones(2, 3, requires_grad=True), m.ones(4)))


@pytest.mark.parametrize("repeat", [1, 2, 3, 5])
def test_repeated_steps_match_torch_and_reads_after_backward(repeat):
    """Steps 1-2 run node by node, later ones as one fused program; a value read after backward
    (first recomputed, then returned by the program) is the forward value every time."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    x0 = rng.standard_normal((5, 4)).astype(np.float32)
    tw, sw = both(w0, requires_grad=True)
    tx, sx = both(x0)
    for _ in range(repeat):
        th, sh = (tx @ tw).tanh(), (sx @ sw).tanh()
        tl, sl = (th * th).mean(), (sh * sh).mean()
        tl.backward()
        sl.backward()
        assert_same(th, sh, "intermediate read after backward")
        assert_same(tl, sl, "loss read after backward")
        assert_same(tw.grad, sw.grad, "grad")


def test_a_temporary_root_and_a_held_root():
    a = tensorish.ones(2, requires_grad=True)
    for _ in range(4):
        (a * 3).sum().backward()
        loss = (a * 2).sum()
        loss.backward()
    # a held root gets its value from the fused program: nothing of the graph is kept alive
    assert loss._v.value is not None and loss._v.vals is None
    assert loss.item() == 4.0
    assert a.grad.tolist() == [20.0, 20.0]


def test_detached_deferred_value_used_in_a_later_graph():
    tx, sx = both([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(4):
        th, sh = tx * 2, sx * 2
        tl, sl = (th.detach() * tx).sum(), (sh.detach() * sx).sum()
        tl.backward()
        sl.backward()
        assert_same(tl, sl, "loss")
        assert_same(th.detach(), sh.detach(), "detached")
    assert_same(tx.grad, sx.grad, "grad")


def test_a_long_chain_is_computed_without_recursion():
    x = tensorish.ones(3, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    t = torch.ones(3, requires_grad=True)
    u = t
    for _ in range(5000):
        u = u * 1.0001
    assert_same(u, y, "value", rtol=1e-4)
    y.sum().backward()
    u.sum().backward()
    assert_same(t.grad, x.grad, "grad", rtol=1e-4)


def test_in_place_write_to_a_saved_deferred_value_still_fails_backward():
    for lib in (torch, tensorish):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        with torch.no_grad() if lib is torch else tensorish.no_grad():
            y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_second_backward_without_retain_graph_fails_as_in_pytorch():
    for _ in range(3):  # also once the graph structure runs fused
        x = tensorish.ones(2, requires_grad=True)
        z = (x.exp() * x).sum()
        z.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            z.backward()


def test_retain_graph_twice_accumulates():
    tx, sx = both([0.5, 1.5], requires_grad=True)
    for _ in range(3):
        tz, sz = (tx.sin() * tx).sum(), (sx.sin() * sx).sum()
        tz.backward(retain_graph=True)
        sz.backward(retain_graph=True)
        tz.backward()
        sz.backward()
    assert_same(tx.grad, sx.grad, "grad")


def test_switching_deferral_off_runs_ops_at_once():
    mode.defer = False
    try:
        x = tensorish.ones(2, requires_grad=True)
        assert not _deferred(x * 2)
    finally:
        mode.defer = True


def _train(steps: int) -> tuple[list, list]:
    tensorish.manual_seed(0)
    model = tensorish.nn.Sequential(
        tensorish.nn.Linear(6, 8), tensorish.nn.Tanh(), tensorish.nn.Linear(8, 3)
    )
    opt = tensorish.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tensorish.randn(5, 6)
    y = tensorish.tensor([0, 1, 2, 1, 0])
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = tensorish.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in model.parameters()]


def test_training_with_and_without_deferral_agree():
    deferred = _train(6)
    mode.defer = False
    try:
        eager = _train(6)
    finally:
        mode.defer = True
    np.testing.assert_allclose(deferred[0], eager[0], rtol=1e-6)
    for a, b in zip(deferred[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("extra", [0, 1, 3])
def test_unrelated_ops_between_steps_do_not_change_gradients(extra):
    """Ops recorded in between (and not part of the graph) vary from step to step."""
    ta, sa = both([1.0, -2.0, 0.5], requires_grad=True)
    tc, sc = both([3.0, 4.0, 5.0], requires_grad=True)
    for step in range(6):
        ty, sy = ta * 3, sa * 3
        for _ in range(extra * (step % 2)):
            tc * 2, sc * 2  # noqa: B018  (recorded, then dropped)
        tz, sz = (ty * ta + ty.exp()).sum(), (sy * sa + sy.exp()).sum()
        tz.backward()
        sz.backward()
    assert_same(ta.grad, sa.grad, "grad", rtol=1e-5)
    assert sc.grad is None and tc.grad is None


def test_deepcopy_copies_leaves_and_refuses_graph_outputs():
    import copy

    assert_same_error(lambda m: copy.deepcopy(m.ones(2, requires_grad=True) * 2))
    tx, sx = both([1.0, 2.0], requires_grad=True)
    (tx * 2).sum().backward()
    (sx * 2).sum().backward()
    ty, sy = copy.deepcopy(tx), copy.deepcopy(sx)
    assert sy.requires_grad and sy.is_leaf and sy is not sx
    assert_same(ty, sy, "copy")
    assert_same(ty.grad, sy.grad, "grad")
    assert sy.grad is not sx.grad


def test_a_huge_graph_runs_node_by_node():
    from tensorish.autograd import _fused

    x = tensorish.ones(2, requires_grad=True)
    before = len(_fused.programs)
    for _ in range(3):
        y = x
        for _ in range(_fused.MAX_NODES + 10):
            y = y * 1.0
        y.sum().backward()
    assert len(_fused.programs) == before  # never compiled as one program
    assert x.grad.tolist() == [3.0, 3.0]


def test_device_of_a_deferred_value_computes_nothing():
    w = tensorish.ones(3, requires_grad=True)
    y = w * 2
    assert str(y.device) == str((torch.ones(3, requires_grad=True) * 2).device)
    assert _deferred(y)

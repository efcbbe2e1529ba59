"""The functional surface in every spelling PyTorch has: the ``nn.functional`` ops that are also
``torch.X`` and ``Tensor`` methods (declared once, ``declare(toplevel=...)``), and
``nn.Linear``'s graph, each against torch."""

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, check_op

import tensorish
from tensorish.ops._registry import REGISTRY, Sample, T

_TOPLEVEL = {k: d for k, d in REGISTRY.items() if d.toplevel is not None}


def tree(fn) -> tuple:
    """A grad_fn's graph as nested (name, children) tuples; None where torch has None."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(tree(f) for f, _ in fn.next_functions))


@pytest.mark.parametrize("key", sorted(_TOPLEVEL))
def test_toplevel_spellings(key):
    """Each top-level spelling is torch's name, and the Tensor methods torch lacks stay absent."""
    decl = _TOPLEVEL[key]
    assert hasattr(torch, decl.name) and tensorish.__dict__[decl.name] is decl.toplevel
    assert (decl.toplevel_inplace is not None) == hasattr(torch, decl.name + "_")
    if decl.toplevel_inplace is not None:
        assert tensorish.__dict__[decl.name + "_"] is decl.toplevel_inplace
    assert hasattr(tensorish.Tensor, decl.name) == hasattr(torch.Tensor, decl.name)
    assert hasattr(tensorish.Tensor, decl.name + "_") == hasattr(torch.Tensor, decl.name + "_")


@pytest.mark.parametrize(
    "key", sorted(k for k, d in _TOPLEVEL.items() if d.toplevel is d.fn and d.samples)
)
def test_toplevel_same_function(key):
    """Where the top-level spelling is the functional itself, torch's answers the same."""
    decl = _TOPLEVEL[key]
    sample = decl.samples[0]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch, decl.name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish, decl.name), list(xs)),
        each_node=True,
        rtol=sample.rtol,
        atol=sample.atol,
    )


_KINK = ((2, 5),)
# Top-level and method spellings whose arguments differ from the functional's.
_VARIANTS = {
    "relu": Sample(_KINK),
    "selu": Sample(_KINK),
    "celu": Sample(_KINK, args=(1.5,)),
    "threshold": Sample(_KINK, args=(1.0, -2.0)),
    "softmax": Sample(_KINK, args=(1,)),
    "log_softmax": Sample(_KINK, kwargs={"dim": 0, "dtype": None}),
    "dropout": Sample(_KINK, args=(0.5, False)),
    "batch_norm": Sample(((4, 3), (3,), (3,)), args=(T, T, T, None, None, True, 0.1, 1e-5, True)),
    "layer_norm": Sample(((2, 3, 4), (4,), (4,)), args=(T, (4,), T, T, 1e-5, True)),
    "group_norm": Sample(((3, 4, 5), (4,), (4,)), args=(T, 2, T, T, 1e-5, True)),
    "binary_cross_entropy_with_logits": Sample(((4, 5), (4, 5)), args=(T, T, None, None, 2)),
    "kl_div": Sample(((4, 5), (4, 5)), args=(0,), kwargs={"log_target": True}),
    "cosine_embedding_loss": Sample(((4, 5), (4, 5), (4,)), args=(0.1, 0), grad=False),
    "margin_ranking_loss": Sample(((6,), (6,), (6,)), args=(0.2, 1)),
    "prelu": Sample(((2, 3, 4), (3,))),
}


@pytest.mark.parametrize("name", sorted(_VARIANTS))
def test_toplevel_variant(name):
    sample = _VARIANTS[name]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch, name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish, name), list(xs)),
        each_node=True,
        grad=sample.grad,
    )


@pytest.mark.parametrize("name", ["relu", "softmax", "log_softmax", "prelu"])
def test_tensor_method(name):
    sample = _VARIANTS[name]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch.Tensor, name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish.Tensor, name), list(xs)),
        each_node=True,
    )


def test_embedding_toplevel():
    """``torch.embedding(weight, indices, padding_idx=-1)``: weight first, -1 for no padding."""
    w = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    idx = np.array([[0, 2], [4, 2]])
    for pad in (-1, 2):
        wt, ws = (lib.tensor(w, requires_grad=True) for lib in (torch, tensorish))
        out_t = torch.embedding(wt, torch.tensor(idx), pad)
        out_s = tensorish.embedding(ws, tensorish.tensor(idx), pad)
        assert_same(out_t, out_s, "forward")
        out_t.sum().backward()
        out_s.sum().backward()
        assert_same(wt.grad, ws.grad, "backward")


@pytest.mark.parametrize("name", ["relu", "selu", "celu", "dropout", "threshold"])
def test_toplevel_inplace(name):
    """``torch.relu_(x)`` and the like change ``x`` and record the op on it."""
    args = {"dropout": (0.5, False), "threshold": (0.5, 0.0)}.get(name, ())

    def run(lib):
        x = lib.tensor([[-1.0, 0.5, 2.0]], requires_grad=True)
        y = x * 2
        out = getattr(lib, name + "_")(y, *args)
        assert out is y
        y.sum().backward()
        return y.detach(), x.grad

    (yt, gt), (ys, gs) = run(torch), run(tensorish)
    assert_same(yt, ys, "forward")
    assert_same(gt, gs, "backward")


def test_inplace_on_a_leaf_fails_as_torch():
    assert_same_error(lambda lib: lib.relu_(lib.ones(2, requires_grad=True)))
    assert_same_error(lambda lib: lib.ones(2, requires_grad=True).relu_())


@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3), (3,)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_grad", [False, True])
def test_linear_graph(shape, bias, input_grad):
    """``nn.Linear``'s output has torch's graph: addmm (bias, input, t(weight)) or mm, with the
    views torch records around an input that is not a matrix."""
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    w = np.random.default_rng(2).normal(size=(2, 3)).astype("float32")
    outs, grads = [], []
    for lib in (torch, tensorish):
        lin = lib.nn.Linear(3, 2, bias=bias)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            if bias:
                lin.bias.fill_(0.5)
        xi = lib.tensor(x, requires_grad=input_grad)
        y = lin(xi)
        outs.append(y)
        (y * lib.arange(y.numel()).reshape(y.shape)).sum().backward()
        grads.append((lin.weight.grad, xi.grad))
    assert tree(outs[1].grad_fn) == tree(outs[0].grad_fn)
    assert_same(outs[0], outs[1], "forward")
    assert_same(grads[0][0], grads[1][0], "weight grad")
    if input_grad:
        assert_same(grads[0][1], grads[1][1], "input grad")

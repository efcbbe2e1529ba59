"""The foundation against the torch oracle: ops, creation, dtypes, grad modes, errors."""

import threading

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, both, check_op, tdtype

import tensorish

BINARY = [
    ("add", lambda a, b: a + b, "AddBackward0"),
    ("add_alpha", lambda a, b: a.add(b, alpha=2.5), "AddBackward0"),
    ("sub", lambda a, b: a - b, "SubBackward0"),
    ("mul", lambda a, b: a * b, "MulBackward0"),
    ("div", lambda a, b: a / b, "DivBackward0"),
    ("pow", lambda a, b: a**b, "PowBackward1"),
]
SHAPE_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 5)), ((), (3,)), ((2, 1, 3), (2, 3))]


@pytest.mark.parametrize("name,fn,node", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary(name, fn, node, shapes):
    check_op(shapes, fn, low=0.5, high=2.0)


@pytest.mark.parametrize("name,fn,node", BINARY, ids=[b[0] for b in BINARY])
def test_binary_grad_fn(name, fn, node):
    check_op([(2, 2), (2, 2)], fn, low=0.5, grad_fn=node)


def test_add():
    check_op([(3, 4), (3, 4)], torch.add)


def test_add_alpha():
    check_op([(3, 4), (4,)], lambda a, b: a.add(b, alpha=-2))


def test_sub():
    check_op([(3, 4), (3, 4)], torch.sub)


def test_mul():
    check_op([(3, 4), (3, 4)], torch.mul, grad_fn="MulBackward0")


def test_div():
    check_op([(3, 4), (3, 4)], torch.div, low=0.5)


def test_pow_scalar():
    check_op([(3, 4)], lambda a: a**2, grad_fn="PowBackward0")


def test_pow_fraction():
    check_op([(3, 4)], lambda a: a.pow(1.5), low=0.1)


def test_pow_negative_exponent():
    check_op([(5,)], lambda a: a**-2, low=0.5)


def test_rpow():
    check_op([(3,)], lambda a: 2**a)


def test_neg():
    check_op([(3, 4)], lambda a: -a, grad_fn="NegBackward0")


def test_rsub():
    check_op([(3, 4)], lambda a: 1 - a, grad_fn="RsubBackward1")


def test_rdiv():
    check_op([(3, 4)], lambda a: 2 / a, low=0.5, grad_fn="MulBackward0")


def test_radd():
    check_op([(3,)], lambda a: 1 + a, grad_fn="AddBackward0")


def test_rmul():
    check_op([(3,)], lambda a: 2.5 * a, grad_fn="MulBackward0")


def test_mm():
    check_op([(2, 3), (3, 4)], torch.mm, grad_fn="MmBackward0")


def test_matmul_2d():
    check_op([(2, 3), (3, 4)], torch.matmul, grad_fn="MmBackward0")


def test_matmul_dot():
    check_op([(3,), (3,)], torch.matmul, grad_fn="DotBackward0")


def test_matmul_mv():
    check_op([(2, 3), (3,)], torch.matmul, grad_fn="MvBackward0")


def test_matmul_operator():
    check_op([(2, 3), (3, 2)], lambda a, b: a @ b)


def test_matmul_batched():
    check_op([(4, 2, 3), (4, 3, 5)], torch.matmul, rtol=1e-5)


def test_matmul_broadcast():
    check_op([(4, 2, 3), (3, 5)], torch.matmul)


def test_sum():
    check_op([(3, 4)], torch.sum, grad_fn="SumBackward0")


def test_sum_dim():
    check_op([(3, 4)], lambda a: a.sum(1), grad_fn="SumBackward1")


def test_sum_dims_keepdim():
    check_op([(2, 3, 4)], lambda a: a.sum((0, -1), keepdim=True))


def test_sum_neg_dim():
    check_op([(2, 3, 4)], lambda a: a.sum(-2))


def test_mean():
    check_op([(3, 4)], torch.mean, grad_fn="MeanBackward0")


def test_mean_dim():
    check_op([(3, 4)], lambda a: a.mean(0), grad_fn="MeanBackward1")


def test_mean_keepdim():
    check_op([(3, 4)], lambda a: a.mean(dim=(0, 1), keepdim=True))


def test_scalar_shape():
    check_op([(), ()], lambda a, b: (a * b + a) ** 2)


def test_chain():
    check_op([(2, 2), (2, 2)], lambda a, b: ((a * b + a) @ b).sum())


def test_float64():
    check_op([(3,), (3,)], lambda a, b: a * b - a / b, dtype="float64", low=1)


def test_shared_input_accumulates():
    check_op([(3,)], lambda a: a * a + a * 3 - a)


def test_integer_ops_no_grad():
    check_op([(3,), (3,)], lambda a, b: a * b + a - b, dtype="int64", low=-5, high=5)


def test_sum_int_is_int64():
    t, s = both([[1, 2], [3, 4]], "int32")
    assert_same(t.sum(), s.sum(), "sum")
    assert_same(t.sum(0), s.sum(0), "sum dim")
    tb, sb = both([True, False, True])
    assert_same(tb.sum(), sb.sum(), "bool sum")


@pytest.mark.parametrize(
    "a_dt,b",
    [
        ("int64", 2.5),
        ("int64", 2),
        ("int32", 2),
        ("float32", 2),
        ("float64", 2.5),
        ("bool", 1),
        ("bool", 1.5),
        ("uint8", 3),
        ("int8", True),
        ("float16", 2.0),
    ],
)
def test_scalar_promotion(a_dt, b):
    t, s = both([1, 2, 3], a_dt)
    for f in (lambda x: x * b, lambda x: x + b, lambda x: b * x):
        assert_same(f(t), f(s), f"{a_dt} op {b!r}")


@pytest.mark.parametrize(
    "a_dt,b_dt",
    [
        ("int64", "float32"),
        ("int32", "int64"),
        ("uint8", "int8"),
        ("float32", "float64"),
        ("bool", "int32"),
        ("float16", "bfloat16"),
        ("int64", "float16"),
    ],
)
@pytest.mark.parametrize("zero_dim", [False, True])
def test_tensor_promotion(a_dt, b_dt, zero_dim):
    ta, sa = both([1, 2], a_dt)
    tb, sb = both(1 if zero_dim else [3, 1], b_dt)
    assert_same(ta * tb, sa * sb, "mul")
    assert_same(ta + tb, sa + sb, "add")


def test_int_div_is_float():
    t, s = both([1, 2, 3])
    assert_same(t / 2, s / 2, "div")
    assert_same(t / t, s / s, "div")


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.ones(2, 3),
        lambda m: m.ones((2, 3)),
        lambda m: m.ones([2]),
        lambda m: m.zeros(3, dtype=m.int32),
        lambda m: m.full((2, 2), 7),
        lambda m: m.full((2,), 1.5),
        lambda m: m.full((2,), True),
        lambda m: m.arange(5),
        lambda m: m.arange(1, 4, 0.5),
        lambda m: m.arange(0.0, 1.0, 0.1),
        lambda m: m.arange(10, 0, -3),
        lambda m: m.linspace(0, 1, 7),
        lambda m: m.linspace(-3, 5, 1),
        lambda m: m.linspace(2, 3, 0),
        lambda m: m.linspace(0, 10, 9, dtype=m.float64),
        lambda m: m.ones_like(m.ones(2, dtype=m.int64)),
        lambda m: m.zeros_like(m.ones(2, 2)),
        lambda m: m.full_like(m.ones(3), 4),
        lambda m: m.tensor([[1, 2], [3, 4]]),
        lambda m: m.tensor([1.5, 2]),
        lambda m: m.tensor(3),
        lambda m: m.tensor([True, False]),
        lambda m: m.tensor(2.5, dtype=m.float64),
        lambda m: m.tensor([1, 2], dtype=m.float16),
        lambda m: m.tensor(np.arange(3.0)),
        lambda m: m.tensor([]),
        lambda m: m.ones(0, 3),
        lambda m: m.tensor([1 + 2j]),
    ],
)
def test_creation(make):
    assert_same(make(torch), make(tensorish), "creation")


def test_creation_requires_grad():
    for make in (
        lambda m: m.ones(2, requires_grad=True),
        lambda m: m.zeros(2, 2, requires_grad=True),
        lambda m: m.tensor([1.0], requires_grad=True),
        lambda m: m.arange(3.0, requires_grad=True),
        lambda m: m.linspace(0, 1, 3, requires_grad=True),
    ):
        t, s = make(torch), make(tensorish)
        assert s.requires_grad and s.is_leaf and s.grad_fn is None
        assert t.requires_grad


def test_tensor_of_numpy_keeps_dtype():
    assert tensorish.tensor(np.ones(2, np.float64)).dtype is tensorish.float64
    assert tensorish.tensor(np.ones(2, np.int32)).dtype is tensorish.int32


def test_default_dtype_float64():
    tensorish.set_default_dtype(tensorish.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert_same(torch.tensor([1.5]), tensorish.tensor([1.5]), "tensor")
        assert_same(torch.ones(2), tensorish.ones(2), "ones")
        assert_same(torch.tensor([1, 2]) * 2.5, tensorish.tensor([1, 2]) * 2.5, "promotion")
    finally:
        tensorish.set_default_dtype(tensorish.float32)
        torch.set_default_dtype(torch.float32)


def test_promote_types_table():
    for a in tensorish._ALL_DTYPES:
        for b in tensorish._ALL_DTYPES:
            got = tensorish.promote_types(a, b)
            assert got is tdtype(torch.promote_types(tdtype(a), tdtype(b))), (a, b)


def test_tensor_api():
    t, s = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert s.shape == t.shape == (2, 3) and s.size() == (2, 3) and s.size(1) == t.size(1)
    assert s.size(-1) == 3 and s.dim() == t.dim() == 2 and s.ndim == 2 and len(s) == len(t)
    assert s.numel() == t.numel() and s.tolist() == t.tolist()
    assert s[0:1].tolist() == [[1.0, 2.0, 3.0]] if hasattr(s, "__getitem__") else True
    assert s.sum().item() == t.sum().item() == 21.0
    assert isinstance(tensorish.tensor([3]).item(), int)
    np.testing.assert_array_equal(s.numpy(), t.numpy())
    assert repr(s.shape) == repr(t.shape).replace("torch", "tensorish")
    assert str(s.dtype) == str(t.dtype).replace("torch", "tensorish")
    assert s.is_leaf and not s.requires_grad and s.grad is None and s.grad_fn is None


def test_detach():
    for m in (torch, tensorish):
        x = m.ones(2, requires_grad=True)
        y = (x * 2).detach()
        assert not y.requires_grad and y.is_leaf and y.grad_fn is None
        assert y.tolist() == [2.0, 2.0]


def test_is_leaf_rules():
    for m in (torch, tensorish):
        a = m.ones(2, requires_grad=True)
        b = m.ones(2)
        assert (a * 2).is_leaf is False and (b * 2).is_leaf is True
        assert (a * 2).requires_grad and not (b * 2).requires_grad


def test_grad_accumulates():
    ts, ss = [], []
    for m, out in ((torch, ts), (tensorish, ss)):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        g = x.grad
        (x * 3).sum().backward()
        assert x.grad is g  # accumulated in place, as PyTorch does
        out.append(x.grad)
    assert_same(ts[0], ss[0], "accumulated grad")


def test_backward_with_gradient():
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        (x * x).backward(m.tensor([1.0, 0.5]))
        assert x.grad.tolist() == [2.0, 2.0]


def test_graph_freed_after_backward():
    msgs = []
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as e:
            y.backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_retain_graph():
    grads = []
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [4.0, 8.0]


def test_graph_without_saved_tensors_can_run_twice():
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        assert x.grad.tolist() == [2.0, 2.0]


def test_next_functions():
    for m in (torch, tensorish):
        a = m.ones(2, requires_grad=True)
        b = m.ones(2)
        y = a * b
        (fa, ia), (fb, ib) = y.grad_fn.next_functions
        assert type(fa).__name__ == "AccumulateGrad" and fa.variable is a and fb is None
        z = 5 * (a + 1) ** 2
        names = [type(f).__name__ if f else None for f, _ in z.grad_fn.next_functions]
        assert names == ["PowBackward0", None]
        assert z.grad_fn.name() == "MulBackward0"


def test_grad_fn_repr():
    s = tensorish.ones(2, requires_grad=True) * 2
    assert repr(s.grad_fn).startswith("<MulBackward0 object at 0x")


def test_no_grad():
    for m in (torch, tensorish):
        x = m.ones(2, requires_grad=True)
        with m.no_grad():
            assert not m.is_grad_enabled()
            y = x * 2
            with m.enable_grad():
                z = x * 2
        assert m.is_grad_enabled()
        assert not y.requires_grad and y.grad_fn is None and z.requires_grad


def test_grad_mode_decorators():
    for m in (torch, tensorish):

        @m.no_grad()
        def f(x):
            return x * 2

        @m.set_grad_enabled(False)
        def g(x):
            return x * 2

        x = m.ones(2, requires_grad=True)
        assert not f(x).requires_grad and not g(x).requires_grad
        assert m.is_grad_enabled()
        m.set_grad_enabled(False)
        assert not m.is_grad_enabled()
        m.set_grad_enabled(True)
        with m.set_grad_enabled(False):
            assert not m.is_grad_enabled()
        assert m.is_grad_enabled()


def test_grad_mode_thread_local():
    seen = []
    with tensorish.no_grad():
        th = threading.Thread(target=lambda: seen.append(tensorish.is_grad_enabled()))
        th.start()
        th.join()
    assert seen == [True]


def test_sgd_pattern():
    results = []
    for m in (torch, tensorish):
        w = m.tensor([1.0, -2.0], requires_grad=True)
        for _ in range(3):
            loss = ((w * 3 - 1) ** 2).sum()
            loss.backward()
            with m.no_grad():
                w -= 0.1 * w.grad
            w.grad = None
        results.append(w)
    assert_same(results[0], results[1], "sgd")
    assert results[1].is_leaf and results[1].requires_grad


def test_inplace_on_nonleaf_rewrites_grad_fn():
    outs = []
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.add_(1)
        assert type(y.grad_fn).__name__ == "AddBackward0"
        y.mul_(3)
        y.sum().backward()
        outs.append(x.grad)
    assert_same(outs[0], outs[1], "grad")


def test_variable():
    from tensorish.autograd import Variable

    v = Variable(tensorish.ones(2, 2), requires_grad=True)
    assert type(v) is tensorish.Tensor and v.requires_grad and v.is_leaf
    assert isinstance(v, Variable) and isinstance(tensorish.ones(1), Variable)
    assert not Variable(tensorish.ones(1)).requires_grad


ERRORS = [
    ("backward non-scalar", lambda m: (m.ones(2, requires_grad=True) * 2).backward()),
    ("backward no grad", lambda m: m.ones(1).sum().backward()),
    ("int requires_grad", lambda m: m.tensor([1, 2], requires_grad=True)),
    ("int requires_grad_", lambda m: m.tensor([1, 2]).requires_grad_()),
    ("ones int requires_grad", lambda m: m.ones(2, dtype=m.int64, requires_grad=True)),
    (
        "nonleaf requires_grad False",
        lambda m: (m.ones(1, requires_grad=True) * 2).requires_grad_(False),
    ),
    ("leaf inplace", lambda m: m.ones(2, requires_grad=True).add_(1)),
    ("broadcast", lambda m: m.ones(2, 3) + m.ones(4)),
    ("broadcast mul", lambda m: m.ones(2, 3) * m.ones(2)),
    ("mm shapes", lambda m: m.mm(m.ones(2, 3), m.ones(2, 3))),
    ("matmul shapes", lambda m: m.matmul(m.ones(2, 3), m.ones(2, 3))),
    ("matmul dtype", lambda m: m.matmul(m.ones(2, 2), m.ones(2, 2, dtype=m.float64))),
    ("matmul 0d", lambda m: m.matmul(m.tensor(1.0), m.ones(2))),
    ("mean int", lambda m: m.tensor([1, 2]).mean()),
    ("sum dim range", lambda m: m.ones(2, 3).sum(2)),
    ("sum dim neg range", lambda m: m.ones(2, 3).sum(-3)),
    ("sum dim repeated", lambda m: m.ones(2, 3).sum((0, 0))),
    ("item many", lambda m: m.ones(2).item()),
    ("numpy requires grad", lambda m: m.ones(2, requires_grad=True).numpy()),
    ("len 0d", lambda m: len(m.tensor(1.0))),
    ("size dim range", lambda m: m.ones(2).size(1)),
    ("ragged", lambda m: m.tensor([[1, 2], [3]])),
    ("string data", lambda m: m.tensor(["a"])),
    ("negative size", lambda m: m.ones(-1)),
    ("bad size type", lambda m: m.ones(2.5)),
    ("bad size type pos", lambda m: m.ones(2, 2.5)),
    ("none data", lambda m: m.tensor([None])),
    ("not a sequence", lambda m: m.tensor([[1, 2], 3])),
    ("sub two bools", lambda m: m.tensor([True]) - True),
    (
        "grad wrong dtype",
        lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(2, dtype=m.float64)),
    ),
    ("sub bool", lambda m: m.tensor([True]) - m.tensor([False])),
    ("neg bool", lambda m: -m.tensor([True])),
    ("inplace int from float", lambda m: m.tensor([1, 2]).add_(1.5)),
    ("inplace broadcast", lambda m: m.ones(2).add_(m.ones(2, 2))),
    ("backward shape mismatch", lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(3))),
    ("arange zero step", lambda m: m.arange(0, 1, 0)),
    ("arange sign", lambda m: m.arange(0, 5, -1)),
    ("grad wrong shape", lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(3))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn):
    assert_same_error(fn)


def test_failed_inplace_leaves_state():
    x = tensorish.tensor([1, 2])
    with pytest.raises(RuntimeError):
        x.add_(1.5)
    assert x.tolist() == [1, 2] and x._vc[0] == 0


def test_grad_zero_and_none_between_steps():
    grads = []
    for m in (torch, tensorish):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        g = x.grad
        x.grad.zero_()
        (x * 3).sum().backward()
        assert x.grad is g
        first = x.grad.tolist()
        x.grad = None
        (x * 5).sum().backward()
        grads.append((first, x.grad.tolist()))
    assert grads[0] == grads[1] == ([3.0, 3.0], [5.0, 5.0])

"""Custom autograd.Function, gradcheck/gradgradcheck and autograd.functional against torch."""

import pytest
import torch
from oracle import assert_same, assert_same_error, pair
from torch.autograd.gradcheck import GradcheckError

import tensorish

LIBS = (torch, tensorish)
X = [0.5, -1.5, 2.0]
Y = [1.5, 0.25, -0.75]


def leaf(m, data=X, dtype=None):
    return m.tensor(data, dtype=getattr(m, dtype) if dtype else None, requires_grad=True)


def functions(m):
    """The same custom Functions, written against library ``m``."""

    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * x * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x * ctx.scale, None

    class MulAdd(m.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x * y, x + y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, ga, gb):
            x, y = ctx.saved_tensors
            return ga * y + gb, ga * x + gb

    class Split(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            out = 0
            if ga is not None:
                out = out + ga * 2
            if gb is not None:
                out = out + gb * 3
            return out

    class Frozen(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = (x * 0).long() if hasattr(x, "long") else x * 0
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gidx):
            return g * 2

    class Once(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Cube, MulAdd, Split, Frozen, Once


def test_function_forward_backward_and_names():
    def run(m):
        Cube, MulAdd, *_ = functions(m)
        x, y = leaf(m), leaf(m, Y)
        c = Cube.apply(x, 2.0)
        a, b = MulAdd.apply(c, y)
        (a * b).sum().backward()
        names = (
            c.grad_fn.name(),
            type(a.grad_fn).__name__,
            [type(f).__name__ if f else None for f, _ in c.grad_fn.next_functions],
            c.grad_fn.needs_input_grad,
            a.grad_fn is b.grad_fn,
        )
        return names, (c, a, b, x.grad, y.grad)

    t, s = pair(run)
    assert t[0] == s[0]
    assert_same(t[1], s[1], "function")


def test_function_materialize_grads_false():
    def run(m):
        Split = functions(m)[2]
        x = leaf(m)
        a, _ = Split.apply(x)
        a.sum().backward()
        return x.grad

    assert_same(*pair(run), "materialize")


def test_function_mark_non_differentiable():
    def run(m):
        Frozen = functions(m)[3]
        x = leaf(m)
        a, idx = Frozen.apply(x)
        a.sum().backward()
        return idx.requires_grad, x.grad

    t, s = pair(run)
    assert t[0] is s[0] is False
    assert_same(t[1], s[1], "grad")


def test_function_once_differentiable_and_double_backward():
    def run(m):
        Cube, _, _, _, Once = functions(m)
        x = leaf(m)
        (g,) = m.autograd.grad(Once.apply(x).sum(), x)
        c = Cube.apply(x, 1.0)
        (g2,) = m.autograd.grad(c.sum(), x, create_graph=True)
        g2.sum().backward()
        return g, g2, x.grad

    assert_same(*pair(run), "once")


def test_function_with_hooks_and_retain_grad():
    def run(m):
        Cube = functions(m)[0]
        x = leaf(m)
        c = Cube.apply(x, 1.0)
        c.retain_grad()
        c.register_hook(lambda g: g * 2)
        (c * c).sum().backward()
        return c.grad, x.grad

    assert_same(*pair(run), "hooks")


@pytest.mark.parametrize(
    "backward",
    [
        lambda ctx, g: g,
        lambda ctx, g: (g, g),
        lambda ctx, g: (g, None, g),
        lambda ctx, g: (g, None, None),
    ],
    ids=["too few", "grad for non-tensor", "too many", "extra None"],
)
def test_function_backward_errors(backward):
    def run(m):  # extra None gradients are allowed: then both libraries run without error
        F = type(
            "F",
            (m.autograd.Function,),
            {"forward": staticmethod(lambda ctx, x, k: x * k), "backward": staticmethod(backward)},
        )
        x = leaf(m)
        F.apply(x, 2).sum().backward()
        return x.grad

    try:
        expected = run(torch)
    except RuntimeError:
        assert_same_error(run)
    else:
        assert_same(expected, run(tensorish), "grad")


def test_function_grad_shape_error_and_sum_to():
    def bad(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return m.ones(1)

        F.apply(leaf(m)).sum().backward()

    def broadcast(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return m.ones(2, 1, 1) * g

        x = m.ones(1, 3, requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad

    assert_same_error(bad)
    assert_same(*pair(broadcast), "sum_to")


def test_function_saved_tensor_errors():
    def modified(m):
        Cube = functions(m)[0]
        x = leaf(m)
        h = x * 1
        c = Cube.apply(h, 1.0)
        h.add_(1)
        c.sum().backward()

    def freed(m):
        Cube = functions(m)[0]
        c = Cube.apply(leaf(m), 1.0)
        c.sum().backward()
        return c.grad_fn.saved_tensors

    assert_same_error(modified)
    assert_same_error(freed)


# -- gradcheck -------------------------------------------------------------------------------------
def test_gradcheck_passes_and_fails_like_torch():
    def good(m):
        x, y = leaf(m, dtype="float64"), leaf(m, Y, "float64")
        return m.autograd.gradcheck(lambda a, b: (a**3 * b, a / (b * b + 1)), (x, y))

    def bad(m):
        class Bad(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * x

            @staticmethod
            def backward(ctx, g):
                return g

        return m.autograd.gradcheck(Bad.apply, (leaf(m, dtype="float64"),))

    assert good(torch) is good(tensorish) is True
    with pytest.raises(GradcheckError) as te:
        bad(torch)
    with pytest.raises(tensorish.autograd.GradcheckError) as se:
        bad(tensorish)
    assert str(se.value) == str(te.value).replace("torch.", "tensorish.")
    assert_same_error(
        lambda m: m.autograd.gradcheck(
            lambda a: a * 2, (m.ones(2).double(),) if m is torch else (m.ones(2, dtype=m.float64),)
        )
    )


def test_gradcheck_no_raise_and_gradgradcheck():
    def run(m):
        Cube = functions(m)[0]
        x = leaf(m, dtype="float64")
        ok = m.autograd.gradgradcheck(lambda a: a**3 * (a + 1), (x,))
        ok_fn = m.autograd.gradgradcheck(lambda a: Cube.apply(a, 1.5), (x,))
        return ok, ok_fn

    assert pair(run) == ((True, True), (True, True))
    assert issubclass(tensorish.autograd.GradcheckError, RuntimeError)


def test_gradgradcheck_catches_wrong_double_backward():
    def run(m):
        class Wrong(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x.detach() * x.detach()  # correct value, no second derivative

        x = leaf(m, dtype="float64")
        first = m.autograd.gradcheck(Wrong.apply, (x,))
        second = m.autograd.gradgradcheck(Wrong.apply, (x,), raise_exception=False)
        return first, second

    assert pair(run) == ((True, False), (True, False))


# -- autograd.functional ---------------------------------------------------------------------------
def func2(a, b):
    return a**3 * b, (a / (b * b + 1)).sum()


def scalar(a, b):
    return (a**3 * b - a * b * b).sum()


def test_functional_jacobian():
    def run(m):
        x, y = m.tensor(X), m.tensor(Y)
        return (
            m.autograd.functional.jacobian(func2, (x, y)),
            m.autograd.functional.jacobian(lambda a: a * a, x),
        )

    assert_same(*pair(run), "jacobian")


def test_functional_hessian_vjp_jvp_hvp_vhp():
    def run(m):
        F = m.autograd.functional
        x, y = m.tensor(X), m.tensor(Y)
        v = m.tensor([1.0, -1.0, 0.5])
        return (
            F.hessian(scalar, (x, y)),
            F.hessian(lambda a: (a**3).sum(), x),
            F.vjp(func2, (x, y), (v, m.tensor(2.0))),
            F.jvp(func2, (x, y), (v, v)),
            F.hvp(scalar, (x, y), (v, v)),
            F.vhp(scalar, (x, y), (v, v)),
            F.vjp(lambda a: (a * a).sum(), x),
        )

    assert_same(*pair(run), "functional", rtol=1e-5, atol=1e-5)


def test_functional_create_graph():
    def run(m):
        x = leaf(m)
        out, g = m.autograd.functional.vjp(lambda a: (a**3).sum(), x, create_graph=True)
        g.sum().backward()
        return out, g, x.grad, g.requires_grad

    t, s = pair(run)
    assert t[3] is s[3] is True
    assert_same(t[:3], s[:3], "create_graph")


def test_functional_agrees_with_backward():
    x, y = leaf(tensorish), leaf(tensorish, Y)
    scalar(x, y).backward()
    _, (gx, gy) = tensorish.autograd.functional.vjp(scalar, (x.detach(), y.detach()))
    assert_same(x.grad, gx, "x", rtol=0, atol=0)
    assert_same(y.grad, gy, "y", rtol=0, atol=0)


def test_functional_errors():
    assert_same_error(lambda m: m.autograd.functional.vjp(lambda a: a * 2, m.ones(2)))
    assert_same_error(lambda m: m.autograd.functional.jacobian(lambda a: a, [m.ones(1), 3]))


def test_function_mark_dirty():
    def add_one(m):
        class AddOne(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return AddOne

    def run(m):
        x = leaf(m)
        h = x * 3
        o = add_one(m).apply(h)
        o.sum().backward()
        return (o is h, h.grad_fn.name(), h._version), (h, x.grad)

    t, s = pair(run)
    assert t[0] == s[0]
    assert_same(t[1], s[1], "dirty")
    assert_same_error(lambda m: add_one(m).apply(leaf(m)))

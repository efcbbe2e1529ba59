"""The imperative autograd surface against the torch oracle: backward/grad arguments, higher-order
gradients, hooks, retain_grad, grad modes, in-place and aliasing rules, anomaly mode."""

import threading
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, pair

import tensorish

LIBS = (torch, tensorish)
X = [0.5, -1.5, 2.0]
Y = [1.5, 0.25, -0.75]


def leaf(m, data=X, dtype=None):
    return m.tensor(data, dtype=getattr(m, dtype) if dtype else None, requires_grad=True)


def f(m, x, y):
    return (x**3 * y + x / (y * y + 1) - x * x).sum()


# -- backward / autograd.grad arguments ---------------------------------------------------------
def test_backward_gradient_and_accumulation():
    def run(m):
        x, y = leaf(m), leaf(m, Y)
        z = x * y + x
        z.backward(gradient=m.tensor([1.0, 2.0, 3.0]), retain_graph=True)
        z.backward(m.tensor([0.5, 0.5, 0.5]))
        return x.grad, y.grad

    assert_same(*pair(run), "grads")


def test_autograd_backward_function():
    def run(m):
        x = leaf(m)
        a, b = x * 2, (x * x).sum()
        m.autograd.backward([a, b], [m.tensor([1.0, -1.0, 2.0]), None])
        return x.grad

    assert_same(*pair(run), "grad")


def test_backward_inputs_restricts_accumulation():
    def run(m):
        x, y = leaf(m), leaf(m, Y)
        h = x * y
        f(m, h, y).backward(inputs=[x, h])
        return x.grad, y.grad, h.grad

    t, s = pair(run)
    assert t[1] is None and s[1] is None
    assert_same((t[0], t[2]), (s[0], s[2]), "grads")


def test_autograd_grad_matches_backward():
    def run(m):
        x, y = leaf(m), leaf(m, Y)
        gx, gy = m.autograd.grad(f(m, x, y), (x, y))
        assert x.grad is None and y.grad is None
        f(m, x, y).backward()
        return gx, gy, x.grad, y.grad

    t, s = pair(run)
    assert_same(t, s, "grad")
    assert_same(s[0], s[2], "grad vs backward", rtol=0, atol=0)


def test_autograd_grad_nonleaf_input_and_grad_outputs():
    def run(m):
        x = leaf(m)
        h = x * 3
        out = h * h
        return m.autograd.grad(out, [h, x], grad_outputs=m.tensor([1.0, 0.5, 2.0]))

    assert_same(*pair(run), "grad")


def test_autograd_grad_unused():
    def run(m):
        x, y = leaf(m), leaf(m, Y)
        a = m.autograd.grad((x * 2).sum(), [x, y], allow_unused=True, retain_graph=True)
        b = m.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
        return a[1], b

    t, s = pair(run)
    assert t[0] is None and s[0] is None
    assert_same(t[1], s[1], "materialized")


def test_autograd_grad_batched():
    def run(m):
        x = leaf(m)
        return m.autograd.grad(
            x * x, x, m.tensor([[1.0, 0, 0], [0, 1.0, 2.0]]), is_grads_batched=True
        )

    assert_same(*pair(run), "batched")


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.autograd.grad((leaf(m) * 2).sum(), m.ones(2)),
        lambda m: m.autograd.grad((leaf(m) * 2).sum(), leaf(m)),
        lambda m: m.autograd.grad(
            (leaf(m) * 2).sum(), leaf(m), materialize_grads=True, allow_unused=False
        ),
        lambda m: m.autograd.grad(m.ones(2).sum(), leaf(m)),
        lambda m: (leaf(m) * 2).sum().backward(inputs=[]),
        lambda m: m.ones(2).register_hook(lambda g: g),
        lambda m: m.ones(2).retain_grad(),
        lambda m: (leaf(m) * 2).register_post_accumulate_grad_hook(lambda t: None),
        lambda m: (leaf(m) * 2).backward(m.ones(2)),
    ],
    ids=[
        "input no grad",
        "unused",
        "materialize+allow_unused",
        "output no grad",
        "empty inputs",
        "hook no grad",
        "retain_grad no grad",
        "post hook nonleaf",
        "gradient shape",
    ],
)
def test_grad_errors(case):
    assert_same_error(case)


def test_second_backward_through_freed_graph():
    def run(m):
        x = leaf(m)
        y = (x * x).sum()
        m.autograd.grad(y, x)
        y.backward()

    assert_same_error(run)


# -- higher order ---------------------------------------------------------------------------------
def test_second_and_third_derivatives():
    def run(m):
        x, y = leaf(m, dtype="float64"), leaf(m, Y, "float64")
        (g1,) = m.autograd.grad((x**4 * y - x / y).sum(), x, create_graph=True)
        (g2,) = m.autograd.grad(g1.sum(), x, create_graph=True)
        g3x, g3y = m.autograd.grad((g2 * g2).sum(), [x, y])
        return g1, g2, g3x, g3y

    t, s = pair(run)
    assert_same(t, s, "derivatives", rtol=1e-10, atol=1e-10)
    assert s[0].grad_fn is not None and s[1].requires_grad


def test_backward_create_graph_then_backward_again():
    def run(m):
        x = leaf(m)
        (x * x * x).sum().backward(create_graph=True)
        g = x.grad
        assert g.requires_grad
        x.grad = None
        g.sum().backward()
        return x.grad

    assert_same(*pair(run), "grad of grad")


def test_hessian_vector_product():
    def run(m):
        x, v = leaf(m), m.tensor([1.0, -2.0, 0.5])
        (g,) = m.autograd.grad((x**3 * (x + 1)).sum(), x, create_graph=True)
        return m.autograd.grad((g * v).sum(), x)

    assert_same(*pair(run), "hvp", rtol=1e-5, atol=1e-5)


def test_gradient_penalty():
    def run(m):
        w = leaf(m, Y)
        x = leaf(m)
        out = (m.matmul(x * w, w) ** 2).sum()
        (g,) = m.autograd.grad(out, x, create_graph=True)
        penalty = ((g * g).sum() - 1) ** 2
        penalty.backward()
        return w.grad, x.grad

    assert_same(*pair(run), "penalty", rtol=1e-5, atol=1e-5)


def test_double_backward_through_grad_outputs():
    """The jvp trick: differentiate a vjp with respect to its cotangent."""

    def run(m):
        x = leaf(m)
        u = m.zeros(3, requires_grad=True)
        (g,) = m.autograd.grad(x**3, x, u, create_graph=True)
        return m.autograd.grad(g, u, m.tensor([1.0, 1.0, -1.0]))

    assert_same(*pair(run), "jvp")


def test_first_order_grad_has_no_graph():
    def run(m):
        x = leaf(m)
        (g,) = m.autograd.grad((x * x).sum(), x)
        return g.requires_grad, g.grad_fn is None

    t, s = pair(run)
    assert t == s == (False, True)


# -- grad attribute -------------------------------------------------------------------------------
def test_grad_zero_and_none():
    def run(m):
        x = leaf(m)
        (x * 2).sum().backward()
        x.grad.mul_(0)
        (x * x).sum().backward()
        g = x.grad
        x.grad = None
        (x * 3).sum().backward()
        return g, x.grad

    assert_same(*pair(run), "grads")


def test_assign_grad():
    def run(m):
        x = leaf(m)
        x.grad = m.tensor([1.0, 1.0, 1.0])
        (x * 2).sum().backward()
        return x.grad

    assert_same(*pair(run), "grad")


def test_nonleaf_grad_warns():
    msgs = []
    for m in LIBS:
        y = leaf(m) * 2
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert y.grad is None
        assert w[0].category is UserWarning
        msgs.append(str(w[0].message))
    assert msgs[0].startswith(msgs[1])


def test_retain_grad():
    def run(m):
        x = leaf(m)
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        first = y.grad * 1
        z.backward()
        return first, y.grad, x.grad, y.retains_grad, x.retains_grad

    t, s = pair(run)
    assert_same(t[:3], s[:3], "retained")
    assert t[3:] == s[3:] == (True, False)


# -- hooks ----------------------------------------------------------------------------------------
def test_tensor_hooks_leaf_and_nonleaf():
    def run(m):
        seen = []
        x = leaf(m)
        y = x * 2
        y.register_hook(lambda g: seen.append(g.clone() if hasattr(g, "clone") else g * 1))
        y.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: seen.append(g * 1))
        (y * y + y).sum().backward()
        return seen[0], seen[1], x.grad

    assert_same(*pair(run), "hooks")


def test_hook_sees_total_gradient_and_retain_grad_after_hooks():
    def run(m):
        x = leaf(m)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g + 1)
        (y * x + y).sum().backward()
        return y.grad, x.grad

    assert_same(*pair(run), "hooked")


def test_hook_handle_remove():
    def run(m):
        x = leaf(m)
        h = x.register_hook(lambda g: g * 100)
        h.remove()
        (x * 2).sum().backward()
        return x.grad

    assert_same(*pair(run), "removed")


def test_leaf_hook_runs_before_accumulation_and_post_hook_after():
    def run(m):
        log = []
        x = leaf(m)
        x.grad = m.ones(3)
        x.register_hook(lambda g: log.append(("pre", x.grad.tolist(), g.tolist())))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.tolist())))
        (x * 2).sum().backward()
        return log

    t, s = pair(run)
    assert t == s


def test_post_accumulate_hook_sgd():
    def run(m):
        w = leaf(m)

        def step(p):
            with m.no_grad():
                p -= 0.1 * p.grad
            p.grad = None

        w.register_post_accumulate_grad_hook(step)
        for _ in range(3):
            ((w * 3 - 1) ** 2).sum().backward()
        return w

    assert_same(*pair(run), "sgd by hook")


def test_node_hooks_and_next_functions():
    def run(m):
        log = []
        x, y = leaf(m), leaf(m, Y)
        z = x * y
        z.grad_fn.register_prehook(lambda go: log.append(("pre", go[0].tolist())))
        z.grad_fn.register_hook(lambda gi, go: (gi[0] * 2, gi[1]))
        acc = z.grad_fn.next_functions[0][0]
        names = (z.grad_fn.name(), type(acc).__name__, acc.variable is x)
        (z * z).sum().backward()
        return log, names, x.grad, y.grad

    t, s = pair(run)
    assert t[:2] == s[:2]
    assert_same(t[2:], s[2:], "node hooks")


def test_fused_path_unaffected_by_removed_hooks():
    """A graph runs fused on its second sighting; hooks force (and removal restores) it."""

    def run(m):
        x = leaf(m)
        out = []
        for i in range(4):
            h = x.register_hook(lambda g: g * 2) if i == 2 else None
            (x * x + x).sum().backward()
            out.append(x.grad * 1)
            x.grad = None
            if h is not None:
                h.remove()
        return out

    assert_same(*pair(run), "fused")


# -- grad modes -----------------------------------------------------------------------------------
def test_grad_modes_as_decorators_without_parentheses():
    def run(m):
        @m.no_grad
        def a(x):
            return x * 2

        @m.inference_mode
        def b(x):
            return x * 2, m.is_inference_mode_enabled(), m.is_grad_enabled()

        @m.enable_grad()
        def c(x):
            return x * 2

        x = leaf(m)
        with m.no_grad():
            cr = c(x).requires_grad
        bb = b(x)
        return a(x).requires_grad, bb[0].requires_grad, bb[1:], cr

    t, s = pair(run)
    assert t == s


def test_inference_mode():
    def run(m):
        with m.inference_mode():
            r1 = (m.is_inference_mode_enabled(), m.is_grad_enabled())
            with m.inference_mode(False):
                r2 = m.is_inference_mode_enabled()
        return r1, r2, m.is_inference_mode_enabled(), m.is_grad_enabled()

    t, s = pair(run)
    assert t == s


def test_set_grad_enabled_thread_local():
    seen = []
    tensorish.set_grad_enabled(False)
    try:
        th = threading.Thread(
            target=lambda: seen.append(
                (tensorish.is_grad_enabled(), tensorish.is_inference_mode_enabled())
            )
        )
        th.start()
        th.join()
    finally:
        tensorish.set_grad_enabled(True)
    assert seen == [(True, False)]


# -- detach, data, requires_grad_, is_leaf -------------------------------------------------------
def test_detach_shares_version_and_writes():
    def run(m):
        x = leaf(m)
        y = x * 2
        d = y.detach()
        d.add_(1)
        return y, d.requires_grad, d.is_leaf, y._version, d._version

    t, s = pair(run)
    assert_same(t[0], s[0], "through detach")
    assert t[1:] == s[1:]


def test_detach_inplace_breaks_backward():
    def run(m):
        x = leaf(m)
        y = x * 1
        z = y * y
        y.detach().mul_(2)
        z.sum().backward()

    assert_same_error(run)


def test_data_update_pattern():
    def run(m):
        w = leaf(m)
        for _ in range(2):
            (w * w).sum().backward()
            w.data -= 0.1 * w.grad
            w.grad.mul_(0)
        d = w.data
        d.mul_(2)
        return w, w._version, d.requires_grad, w.requires_grad, w.is_leaf

    t, s = pair(run)
    assert_same(t[0], s[0], "data")
    assert t[1:] == s[1:]


def test_data_setter():
    def run(m):
        x = leaf(m)
        x.data = m.tensor([1.0, 2.0])
        return x, x.requires_grad

    t, s = pair(run)
    assert_same(t[0], s[0], "set data")
    assert_same_error(lambda m: setattr(leaf(m), "data", 3))


def test_detach_():
    def run(m):
        x = leaf(m)
        y = x * 2
        y.detach_()
        return y.requires_grad, y.is_leaf, y.grad_fn

    t, s = pair(run)
    assert t == s


def test_requires_grad_rules():
    def run(m):
        a = m.ones(2)
        b = a.requires_grad_()
        c = a * 2
        d = m.ones(2) * 2
        d.requires_grad = True
        return b is a, a.is_leaf, c.is_leaf, c.requires_grad, d.is_leaf, d.requires_grad

    t, s = pair(run)
    assert t == s


# -- in-place ------------------------------------------------------------------------------------
def test_inplace_errors():
    def saved_modified(m):
        x = leaf(m)
        y = x * 1
        z = y * y
        y.add_(1)
        y.mul_(2)
        z.sum().backward()

    def leaf_saved_modified(m):
        x = leaf(m)
        w = m.ones(3)
        z = x * w
        w.add_(1)
        z.sum().backward()

    assert_same_error(saved_modified)
    assert_same_error(leaf_saved_modified)
    assert_same_error(lambda m: leaf(m).mul_(2))


def test_inplace_version_and_grad_fn():
    def run(m):
        x = leaf(m)
        y = x * 2
        v0 = y._version
        y.mul_(x)
        y.add_(1)
        name = y.grad_fn.name()
        y.sum().backward()
        return v0, y._version, name, x.grad.tolist()

    t, s = pair(run)
    assert t == s


def test_sgd_no_grad_inplace_on_leaf():
    def run(m):
        w = leaf(m)
        for _ in range(3):
            ((w - 1) ** 2).sum().backward()
            with m.no_grad():
                w -= 0.25 * w.grad
                w.grad.mul_(0)
        return w, w.is_leaf, w.requires_grad, w._version

    t, s = pair(run)
    assert_same(t[0], s[0], "sgd")
    assert t[1:] == s[1:]


# -- anomaly mode --------------------------------------------------------------------------------
def test_detect_anomaly_names_forward_op():
    msgs = []
    for m in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with m.autograd.detect_anomaly():
                assert m.is_anomaly_enabled()
                x = m.tensor([0.0, 1.0], requires_grad=True)
                y = (x**0.5 * 0).sum()
                with pytest.raises(RuntimeError) as e:
                    y.backward()
            assert not m.is_anomaly_enabled()
        texts = [str(x.message) for x in w]
        assert texts[0].startswith("Anomaly Detection has been enabled")
        assert any("Error detected in PowBackward0" in t and __file__ in t for t in texts)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_set_detect_anomaly():
    for m in LIBS:
        m.autograd.set_detect_anomaly(True)
        assert m.is_anomaly_enabled()
        m.autograd.set_detect_anomaly(False)
        assert not m.is_anomaly_enabled()


def test_anomaly_mode_same_gradients():
    def run(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly():
                x, y = leaf(m), leaf(m, Y)
                f(m, x, y).backward()
        return x.grad, y.grad

    assert_same(*pair(run), "anomaly")


def test_fused_and_nodewise_agree():
    xs = []
    for _ in range(3):  # the second and third runs take the fused path
        x, y = leaf(tensorish), leaf(tensorish, Y)
        f(tensorish, x, y).backward()
        xs.append(np.asarray(x.grad.jax()))
    np.testing.assert_allclose(xs[0], xs[2], rtol=1e-6)


def test_hooks_see_graph_gradients_under_create_graph():
    def run(m):
        seen = []
        x = leaf(m)
        x.register_hook(lambda g: seen.append((g.requires_grad, g.grad_fn is not None)))
        y = x * x
        y.register_hook(lambda g: g * 2)
        (g,) = m.autograd.grad((y * x).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), x)
        return seen, (g, gg)

    t, s = pair(run)
    assert t[0] == s[0]
    assert_same(t[1], s[1], "hooked create_graph")

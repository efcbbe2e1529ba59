"""tensorish.compile against eager tensorish and torch: training steps, state, retraces, errors.

nn and optim are written elsewhere; the model, optimizer and scheduler here are hand-written the way
they are (state in Tensors and dicts, ``p.grad`` read, ``_set_value``/in-place writes).
"""

import types
import warnings
import weakref
from collections import defaultdict

import jax
import numpy as np
import pytest
import torch

import tensorish
from tensorish import _random
from tensorish._compile import CompileError
from tensorish._dispatch import Op, apply

user_module = types.ModuleType("user_module")  # state in another module of the user's


class SGD:
    """torch.optim.SGD's update (momentum buffer cloned on the first step), torch's layout."""

    def __init__(self, params, lr, momentum=0.0):
        self.param_groups = [{"params": list(params), "lr": lr, "momentum": momentum}]
        self.state = defaultdict(dict)

    def zero_grad(self):
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def step(self):
        with tensorish.no_grad():
            for group in self.param_groups:
                lr, momentum = group["lr"], group["momentum"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    d = p.grad
                    if momentum != 0:
                        st = self.state[p]
                        if "momentum_buffer" not in st:
                            st["momentum_buffer"] = d.detach() * 1.0
                        else:
                            st["momentum_buffer"].mul_(momentum).add_(d)
                        d = st["momentum_buffer"]
                    p.sub_(lr * d)


class ExponentialLR:
    def __init__(self, opt, gamma):
        self.opt, self.gamma, self.last_epoch = opt, gamma, 0

    def step(self):
        self.last_epoch += 1
        for g in self.opt.param_groups:
            g["lr"] = g["lr"] * self.gamma


class MLP:
    def __init__(self, lib, rng, sizes=(6, 8, 3)):
        self.params = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            w = (rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32)
            self.params += [
                lib.tensor(w, requires_grad=True),
                lib.tensor(np.zeros(b, np.float32), requires_grad=True),
            ]

    def __call__(self, x):
        w1, b1, w2, b2 = self.params
        h = x @ w1 + b1
        return (h * h * 0.5 + h) @ w2 + b2


def data(lib, n=100, seed=1):
    rng = np.random.default_rng(seed)
    return [
        (
            lib.tensor(rng.normal(size=(8, 6)).astype(np.float32)),
            lib.tensor(rng.normal(size=(8, 3)).astype(np.float32)),
        )
        for _ in range(n)
    ]


def train(lib, compiled, steps=100, momentum=0.9, gamma=0.99):
    model = MLP(lib, np.random.default_rng(0))
    if lib is torch:
        opt = torch.optim.SGD(model.params, lr=0.05, momentum=momentum)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
    else:
        opt = SGD(model.params, 0.05, momentum)
        sched = ExponentialLR(opt, gamma)

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        return loss

    fn = tensorish.compile(step) if compiled else step
    losses = [fn(x, y).item() for x, y in data(lib, steps)]
    weights = [p.detach().numpy() for p in model.params]
    return losses, weights, opt.param_groups[0]["lr"], fn


def test_training_step_matches_eager_and_torch():
    ref_losses, ref_w, ref_lr, _ = train(torch, False)
    eager_losses, eager_w, eager_lr, _ = train(tensorish, False)
    losses, w, lr, fn = train(tensorish, True)
    assert fn.compile_count == 1
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4, atol=1e-5)
    for a, b, c in zip(w, eager_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5)
    assert lr == pytest.approx(eager_lr, rel=1e-12) and lr == pytest.approx(ref_lr, rel=1e-12)


def test_plain_sgd_compiles_on_the_first_call():
    losses, _, _, fn = train(tensorish, True, steps=5, momentum=0.0)
    eager, _, _, _ = train(tensorish, False, steps=5, momentum=0.0)
    assert fn.compile_count == 1
    np.testing.assert_allclose(losses, eager, rtol=1e-5)


def make_step(model, opt):
    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return step


def test_retrace_only_on_structure():
    model = MLP(tensorish, np.random.default_rng(0))
    opt = SGD(model.params, 0.1)
    step = tensorish.compile(make_step(model, opt))
    x, y = data(tensorish, 1)[0]
    step(x, y)
    opt.param_groups[0]["lr"] = 0.01  # a hyperparameter: traced, no retrace
    step(x, y)
    assert step.compile_count == 1
    step(tensorish.ones(4, 6), tensorish.ones(4, 3))  # new shapes
    assert step.compile_count == 2
    step(x.detach().requires_grad_(), y)  # a new requires_grad flag
    assert step.compile_count == 3
    w = model.params[0]
    model.params[0] = tensorish.tensor(w.detach().numpy(), requires_grad=True)
    opt.param_groups[0]["params"][0] = model.params[0]  # a new set of state tensors
    step(x, y)
    assert step.compile_count == 4
    step(x, y)
    assert step.compile_count == 4


def test_hyperparameters_follow_eager():
    def run(compiled):
        model = MLP(tensorish, np.random.default_rng(0))
        opt = SGD(model.params, 0.1)
        fn = make_step(model, opt)
        fn = tensorish.compile(fn) if compiled else fn
        out = []
        for i, (x, y) in enumerate(data(tensorish, 6)):
            opt.param_groups[0]["lr"] = 0.1 / (i + 1)
            opt.param_groups[0]["momentum"] = 0.0 if i < 3 else 0.5
            out.append(fn(x, y).item())
        return out, [p.detach().numpy() for p in model.params], fn

    a, wa, fn = run(True)
    b, wb, _ = run(False)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    for p, q in zip(wa, wb):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    # `if momentum != 0` specializes on momentum (one retrace, plus the eager call that
    # creates the buffers); the learning rate never retraces.
    assert fn.compile_count == 2


def test_model_and_optimizer_as_arguments():
    model = MLP(tensorish, np.random.default_rng(0))
    opt = SGD(model.params, 0.1)

    @tensorish.compile
    def step(model, opt, x, y):
        return make_step(model, opt)(x, y)

    eager_model = MLP(tensorish, np.random.default_rng(0))
    eager_opt = SGD(eager_model.params, 0.1)
    for x, y in data(tensorish, 5):
        a = step(model, opt, x, y).item()
        b = make_step(eager_model, eager_opt)(x, y).item()
        assert a == pytest.approx(b, rel=1e-5)
    assert step.compile_count == 1


def test_gradients_accumulate_across_calls():
    w = tensorish.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

    @tensorish.compile
    def acc(x):
        (w * x).sum().backward()

    for i in range(4):
        acc(tensorish.tensor([1.0, 2.0, float(i)]))
        (t * torch.tensor([1.0, 2.0, float(i)])).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), t.grad.numpy())
    assert acc.compile_count == 2  # .grad None, then a tensor


def test_overwritten_buffers_are_donated():
    w = tensorish.ones(64, 64, requires_grad=True)

    @tensorish.compile
    def step(x):
        w.grad = None
        (x @ w).sum().backward()
        with tensorish.no_grad():
            w.sub_(0.1 * w.grad)

    x = tensorish.ones(2, 64)
    step(x)
    ref = weakref.ref(w._value)
    step(x)
    assert ref() is None
    kept = w.detach()  # aliases w, as PyTorch's shared storage: it follows the update
    old = w.clone()  # holds the old buffer: it must survive the donation
    step(x)
    assert kept.sum().item() == pytest.approx(w.sum().item())
    assert old.sum().item() == pytest.approx(w.sum().item() + 0.1 * 2 * 64 * 64)


def test_rng_state_is_lifted():
    bern = Op(
        "BernoulliBackward0",
        lambda key, shape=(): jax.random.bernoulli(key, 0.5, shape),
        differentiable=False,
    )

    def dropout(x):
        mask = apply(bern, (_random.next_key(),), (("shape", tuple(x.shape)),))
        return x * mask * 2.0

    f = tensorish.compile(dropout)
    tensorish.manual_seed(3)
    a = [f(tensorish.ones(16)).tolist() for _ in range(4)]
    tensorish.manual_seed(3)
    b = [dropout(tensorish.ones(16)).tolist() for _ in range(4)]
    assert a == b and f.compile_count == 1
    assert len({tuple(r) for r in a}) == 4


def test_compiled_module_is_differentiable():
    class Linear:
        def __init__(self, lib):
            self.weight = lib.tensor(
                np.arange(6, dtype=np.float32).reshape(3, 2) / 10, requires_grad=True
            )
            self.running = lib.zeros(2)

        def __call__(self, x):
            y = x @ self.weight
            with (tensorish if isinstance(x, tensorish.Tensor) else torch).no_grad():
                self.running.mul_(0.9).add_(0.1 * y.mean(0))
            return y

    m, ref = Linear(tensorish), Linear(torch)
    cm = tensorish.compile(m)
    assert cm.weight is m.weight
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    for _ in range(3):
        y = cm(tensorish.tensor(x))
        ((y * y).sum()).backward()
        ty = ref(torch.tensor(x))
        ((ty * ty).sum()).backward()
    assert type(y.grad_fn).__name__ == "CompiledFunctionBackward"
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(m.running.numpy(), ref.running.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "use",
    [lambda t: t.item(), lambda t: t.numpy(), lambda t: t.tolist()],
    ids=["item", "numpy", "tolist"],
)
def test_concrete_value_inside_is_a_clear_error(use):
    w = tensorish.ones(3, requires_grad=True)

    @tensorish.compile
    def step(x):
        loss = (w * x).sum()
        use(loss.detach())
        return loss

    with pytest.raises(CompileError, match=r"concrete value.*test_compile.py.*fallback='eager'"):
        step(tensorish.ones(3))
    assert w.grad is None and isinstance(w._value, jax.Array)


def test_fallback_eager_warns_and_matches():
    @tensorish.compile(fallback="eager")
    def f(x):
        s = x.sum()
        return s * 2 if s.item() > 1 else s

    with pytest.warns(UserWarning, match="Running eagerly"):
        assert f(tensorish.ones(3)).item() == 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(tensorish.ones(3)).item() == 6.0


def test_leaked_tensor_is_a_clear_error():
    kept = []
    w = tensorish.ones(3)

    @tensorish.compile
    def f(x):
        y = x * w
        kept.append(y)
        return y.sum()

    f(tensorish.ones(3))  # first call: eager, like a lazy optimizer state
    with pytest.raises(CompileError, match="added or removed entries"):
        f(tensorish.ones(3))
    assert [k.tolist() for k in kept] == [[1.0, 1.0, 1.0]]


def test_inplace_with_history_on_state_is_a_clear_error():
    w = tensorish.ones(3, requires_grad=True)
    buf = tensorish.zeros(3)

    @tensorish.compile
    def f(x):
        buf.add_(w * x)

    with pytest.raises(CompileError, match="no_grad"):
        f(tensorish.ones(3))
    assert buf.grad_fn is None and buf.tolist() == [0.0, 0.0, 0.0]


def test_returns_and_python_numbers():
    class Counter:
        def __init__(self):
            self.n = 0
            self.total = tensorish.zeros(())

    c = Counter()

    @tensorish.compile
    def f(x, scale):
        c.n += 1
        c.total.add_(x.sum() * scale)
        return {"n": c.n, "x": x, "half": c.total / 2}

    for i in range(3):
        x = tensorish.ones(2)
        out = f(x, 0.5 * (i + 1))
        assert out["x"] is x
    assert c.n == 3 and isinstance(c.n, int) and out["n"] == 3
    assert c.total.item() == pytest.approx(6.0) and out["half"].item() == pytest.approx(3.0)
    assert f.compile_count == 1


def test_fused_backward_cache_works_under_the_trace():
    # Eager steps first, so the engine has compiled this graph's backward as one fused
    # function; the compiled step then traces through that cached function with tracers.
    def run(compile_after):
        model = MLP(tensorish, np.random.default_rng(0))
        opt = SGD(model.params, 0.1)
        step = make_step(model, opt)
        batches = data(tensorish, 8)
        out = [step(x, y).item() for x, y in batches[:4]]
        if compile_after:
            step = tensorish.compile(step)
        out += [step(x, y).item() for x, y in batches[4:]]
        return out, step

    compiled, fn = run(True)
    eager, _ = run(False)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    assert fn.compile_count == 1


def test_hyperparameter_as_a_static_op_parameter_specializes():
    # `alpha=` is a static op parameter: the compiled step specializes on its value (one trace
    # per distinct value) and stays exact; `p.sub_(lr * g)` keeps lr traced instead.
    def run(compiled):
        w = tensorish.tensor([1.0, 2.0], requires_grad=True)
        hp = {"lr": 0.1}

        def step(x):
            w.grad = None
            (w * x * x).sum().backward()
            with tensorish.no_grad():
                w.add_(w.grad, alpha=-hp["lr"])

        fn = tensorish.compile(step) if compiled else step
        for lr in (0.1, 0.2, 0.1, 0.3):
            hp["lr"] = lr
            fn(tensorish.tensor([1.0, 3.0]))
        return w.tolist(), fn

    (got, fn), (want, _) = run(True), run(False)
    assert got == pytest.approx(want) and fn.compile_count == 3


def test_compiled_module_inside_a_compiled_step():
    model = MLP(tensorish, np.random.default_rng(0))
    eager_model = MLP(tensorish, np.random.default_rng(0))
    fast = tensorish.compile(model)
    step = tensorish.compile(make_step(fast, SGD(model.params, 0.1)))
    eager = make_step(eager_model, SGD(eager_model.params, 0.1))
    for x, y in data(tensorish, 3):
        assert step(x, y).item() == pytest.approx(eager(x, y).item(), rel=1e-5)
    assert step.compile_count == 1 and fast.compile_count == 0


def test_functional_optimizer_state_rebinding():
    # Adam-style state kept by rebinding dict entries to new tensors, and a Python step count.
    def run(compiled):
        w = tensorish.tensor([1.0, -2.0, 3.0], requires_grad=True)
        st = {"m": tensorish.zeros(3), "v": tensorish.zeros(3), "t": 0}

        def step(x):
            w.grad = None
            loss = ((w * x - 1.0) ** 2).sum()
            loss.backward()
            with tensorish.no_grad():
                st["t"] += 1
                st["m"] = st["m"] * 0.9 + w.grad * 0.1
                st["v"] = st["v"] * 0.999 + w.grad * w.grad * 0.001
                mhat = st["m"] / (1 - 0.9 ** st["t"])
                vhat = st["v"] / (1 - 0.999 ** st["t"])
                w.sub_(0.1 * mhat / (vhat**0.5 + 1e-8))
            return loss

        fn = tensorish.compile(step) if compiled else step
        losses = [fn(tensorish.tensor([1.0, 2.0, 0.5])).item() for _ in range(20)]
        return losses, w.tolist(), st["t"], fn

    a, wa, ta, fn = run(True)
    b, wb, tb, _ = run(False)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(wa, wb, rtol=1e-5)
    assert ta == tb == 20 and fn.compile_count == 1


def test_state_in_another_module_is_guarded():
    user_module.w = tensorish.tensor([1.0, 2.0], requires_grad=True)

    @tensorish.compile
    def f(x):
        return (user_module.w * x).sum()

    y = f(tensorish.ones(2))
    assert y.item() == 3.0 and y.grad_fn.name() == "CompiledFunctionBackward"
    y.backward()
    assert user_module.w.grad.tolist() == [1.0, 1.0]
    user_module.w = tensorish.tensor([5.0, 5.0])
    assert f(tensorish.ones(2)).item() == 10.0 and f.compile_count == 2


def test_requires_grad_and_grad_mode_changes_retrace():
    w = tensorish.tensor([1.0, 2.0], requires_grad=True)
    v = tensorish.tensor([3.0, 4.0], requires_grad=True)

    @tensorish.compile
    def step(x):
        w.grad = v.grad = None
        loss = (w * v * x).sum()
        if loss.requires_grad:
            loss.backward()
        return loss

    step(tensorish.ones(2))
    assert w.grad.tolist() == [3.0, 4.0] and v.grad.tolist() == [1.0, 2.0]
    v.requires_grad_(False)  # freeze v: its gradient must stop
    step(tensorish.ones(2))
    assert w.grad.tolist() == [3.0, 4.0] and v.grad is None
    with tensorish.no_grad():
        step(tensorish.ones(2))
    assert w.grad is None and step.compile_count == 3


def test_device_of_a_traced_tensor_is_where_the_step_runs():
    def make(lib):
        w = lib.ones(3, requires_grad=True)

        def step(x):
            pos = lib.arange(0, 3, device=x.device)  # nanoGPT's forward does this
            return (w * x + pos).sum(), str(x.device)

        return step

    expected = make(torch)(torch.ones(3))
    loss, device = tensorish.compile(make(tensorish))(tensorish.ones(3))
    assert (loss.item(), device) == (expected[0].item(), expected[1])


def test_optim_step_with_zero_grad_first_compiles_once():
    def run(compiled):
        tensorish.manual_seed(0)
        model = tensorish.nn.Linear(6, 3)
        opt = tensorish.optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()  # the .grad s are None on the first call only: no guard on them
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = tensorish.compile(step) if compiled else step
        return [fn(tensorish.ones(4, 6) * i).item() for i in range(3)], fn

    losses, fn = run(True)
    assert fn.compile_count == 1
    np.testing.assert_allclose(losses, run(False)[0], rtol=1e-6)

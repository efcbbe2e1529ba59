"""Mixed precision against the torch oracle: autocast's per-op policy on CPU (result dtypes,
values, gradients through the casts, grad_fn graphs), its state (nesting, decorator, threads,
warnings), custom_fwd/custom_bwd, a short bf16 training run, GradScaler step by step on a float16
run that overflows, and a compiled step under autocast and GradScaler."""

import threading
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, tdtype

import tensorish
from tensorish.ops._autocast import FP32, LOWER, POLICY, PROMOTE
from tensorish.ops._registry import REGISTRY

LOW = ["bfloat16", "float16"]
# Outputs defined up to sign (singular and eigen vectors, Q and R): compared by dtype and shape.
UP_TO_SIGN = {"tensorish.linalg.svd", "tensorish.linalg.eigh", "tensorish.linalg.qr"}


def _fn(key: str, lib):
    """``key``'s function in ``lib`` (tensorish or torch): the same path below the root."""
    fn = lib
    for part in key.split(".")[1:]:
        fn = getattr(fn, part)
    return fn


@pytest.mark.parametrize("key", sorted(POLICY))
def test_table_ops_are_public_and_autocast(key):
    namespace, name = key.rsplit(".", 1)
    module = tensorish
    for part in namespace.split(".")[1:]:
        module = getattr(module, part)
    assert getattr(module, name).__wrapped__ is not None


def _inputs(key: str, low: str, rng):
    """Each library's inputs for ``key``'s first sample, in the dtypes its policy changes:
    float32 for a low-precision op, ``low`` for a float32 op, both mixed for a promoting op."""
    # svd and eigh are tested elsewhere (their vectors are defined up to sign): an SPD matrix.
    sample = (REGISTRY[key].samples or REGISTRY["tensorish.cholesky"].samples)[0]
    policy = POLICY[key]
    out_t, out_s = [], []
    for i, shape in enumerate(sample.shapes):
        if hasattr(shape, "draw"):
            data = shape.draw(rng)
        else:
            data = rng.uniform(sample.low, sample.high, size=shape)
        floating = data.dtype.kind == "f"
        if floating:
            data = data.astype(np.float32)
        t, s = torch.tensor(data), tensorish.tensor(data)
        if floating and (policy == FP32 or (policy == PROMOTE and i == 0)):
            t, s = t.to(getattr(torch, low)), s.to(getattr(tensorish, low))
        if floating and sample.grad:
            t, s = t.detach().requires_grad_(), s.detach().requires_grad_()
        out_t.append(t)
        out_s.append(s)
    return sample, out_t, out_s


def _flat(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


# float16 only where the result is float16: a float32 op casts either low dtype up alike.
@pytest.mark.parametrize(
    "key, low",
    [
        (k, low)
        for k in sorted(POLICY)
        for low in LOW
        if k in REGISTRY and (low == "bfloat16" or POLICY[k] == LOWER)
    ],
)
def test_policy_op(key, low):
    sample, ts, ss = _inputs(key, low, np.random.default_rng(0))
    with torch.autocast("cpu", dtype=getattr(torch, low)):
        out_t = sample.call(_fn(key, torch), ts)
    with tensorish.autocast("cpu", dtype=getattr(tensorish, low)):
        out_s = sample.call(_fn(key, tensorish), ss)
    expect = {LOWER: low, FP32: "float32", PROMOTE: "float32"}[POLICY[key]]
    for a, b in zip(_flat(out_t), _flat(out_s)):
        assert tdtype(a.dtype) is b.dtype
        if a.is_floating_point() and a.dtype != torch.float64:
            assert b.dtype is getattr(tensorish, expect)
        if key not in UP_TO_SIGN:
            assert_same(a, b, "forward", rtol=2e-2, atol=2e-2)
    outs = [(a, b) for a, b in zip(_flat(out_t), _flat(out_s)) if a.requires_grad]
    if key in UP_TO_SIGN or not outs:
        return
    up = [np.linspace(0.5, 1.5, a.numel()).reshape(a.shape) for a, _ in outs]
    sum((a.float() * torch.tensor(u)).sum() for (a, _), u in zip(outs, up)).backward()
    sum((b.float() * tensorish.tensor(u)).sum() for (_, b), u in zip(outs, up)).backward()
    for a, b in zip(ts, ss):
        if a.requires_grad:
            # NOTE: XLA accumulates some low-precision reductions in that precision.
            assert_same(a.grad, b.grad, "backward", rtol=0.1, atol=0.1)


FFTS = [k.rsplit(".", 1)[1] for k in POLICY if k.startswith("tensorish.fft.")]


@pytest.mark.parametrize("name", FFTS)
def test_fft_runs_in_float32(name):
    data = np.random.default_rng(2).uniform(-1, 1, (4, 6)).astype(np.float32)

    def run(lib):  # forward only: tensorish.fft's backward of a real input is tested there
        with lib.autocast("cpu"):
            return getattr(lib.fft, name)(lib.tensor(data).bfloat16())

    assert_same(run(torch), run(tensorish), name, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "fn",
    [
        lambda F, x: F.softmax(x, -1),
        lambda F, x: F.log_softmax(x, -1),
        lambda F, x: F.layer_norm(x, (4,)),
        lambda F, x: F.relu(x),
        lambda F, x: x.exp(),
        lambda F, x: x.sum(),
        lambda F, x: x.pow(2),
        lambda F, x: x + x.float(),
    ],
    ids=["softmax", "log_softmax", "layer_norm", "relu", "exp", "sum", "pow", "add"],
)
@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_ops_outside_the_table_keep_their_dtypes(fn, dtype):
    data = np.random.default_rng(1).uniform(-1, 1, (3, 4)).astype(np.float32)
    with torch.autocast("cpu"):
        t = fn(torch.nn.functional, torch.tensor(data).to(getattr(torch, dtype)))
    with tensorish.autocast("cpu"):
        s = fn(tensorish.nn.functional, tensorish.tensor(data).to(getattr(tensorish, dtype)))
    assert_same(t, s, "forward", rtol=1e-2, atol=1e-2)


def _chain(node, depth=3):
    """The grad_fn graph below ``node`` as nested (name, children) tuples."""
    if node is None or depth == 0:
        return None
    return (type(node).__name__, tuple(_chain(n, depth - 1) for n, _ in node.next_functions))


def test_grad_fn_graph_and_weight_cache():
    def run(lib):
        F = lib.nn.functional
        x = lib.ones(2, 4, requires_grad=True)
        w = lib.full((4, 3), 0.5, requires_grad=True)
        with lib.autocast("cpu"):
            y = lib.mm(x, w)
            z = lib.mm(x * 2, w)
            c = lib.cat([y, x[:, :3]])
            loss = F.mse_loss(c, lib.zeros(4, 3))
        cached = y.grad_fn.next_functions[1][0] is z.grad_fn.next_functions[1][0]
        loss.backward()
        # (the loss's own input list is compared by the loss tests: its first input here)
        return (y, z, c, loss.grad_fn.next_functions[0][0]), cached, x.grad, w.grad

    t, s = run(torch), run(tensorish)
    for a, b in zip(t[0][:3], s[0][:3]):
        assert _chain(a.grad_fn, 4) == _chain(b.grad_fn, 4)
        assert tdtype(a.dtype) is b.dtype
    assert _chain(t[0][3], 5) == _chain(s[0][3], 5)
    assert t[1] == s[1]
    assert_same(t[2:], s[2:], "grads", rtol=1e-2, atol=1e-2)


def test_cache_off_and_no_grad_weights():
    def run(lib):
        w = lib.ones(4, 4, requires_grad=True)
        with lib.autocast("cpu", cache_enabled=False):
            a, b = w @ w, w @ w
        return a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]

    assert run(torch) == run(tensorish)


def test_state_nesting_and_decorator():
    def run(lib):
        seen = []
        x = lib.ones(2, 2)

        @lib.autocast("cpu", dtype=lib.float16)
        def half():
            return (x @ x).dtype, lib.get_autocast_dtype("cpu"), lib.is_autocast_enabled("cpu")

        seen.append((lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cpu")))
        with lib.autocast("cpu"):
            seen.append(((x @ x).dtype, lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled()))
            seen.append(half())
            with lib.autocast("cpu", enabled=False):
                seen.append(((x @ x).dtype, lib.is_autocast_enabled("cpu")))
                with lib.autocast("cpu", dtype=lib.float16, enabled=False):
                    seen.append(lib.get_autocast_dtype("cpu"))
                seen.append(lib.get_autocast_dtype("cpu"))
            seen.append((x @ x).dtype)
        seen.append(((x @ x).dtype, lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cuda")))
        seen.append(half.__name__)
        return [str(v).replace("torch.", "").replace("tensorish.", "") for v in seen]

    assert run(torch) == run(tensorish)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.get_autocast_cpu_dtype(),
        lambda lib: lib.get_autocast_gpu_dtype(),
        lambda lib: lib.is_autocast_cpu_enabled(),
        lambda lib: lib.set_autocast_cpu_enabled(True) or lib.is_autocast_enabled("cpu"),
        lambda lib: lib.set_autocast_cpu_dtype(lib.float16) or lib.get_autocast_dtype("cpu"),
        lambda lib: lib.set_autocast_gpu_dtype(lib.bfloat16) or lib.get_autocast_dtype("cuda"),
    ],
)
def test_deprecated_spellings(fn):
    def run(lib):
        gpu_dtype = lib.get_autocast_dtype("cuda")
        try:
            with lib.autocast("cpu", enabled=False):  # restores what fn sets on the cpu
                out, warned = _warned(lambda: fn(lib))
        finally:
            lib.set_autocast_dtype("cuda", gpu_dtype)
        # torch adds where in its C++ source the warning was raised
        return str(out).split(".")[-1], [(c, m.split(" (Triggered")[0]) for c, m in warned]

    assert run(torch) == run(tensorish)


def test_thread_local():
    def run(lib):
        seen = {}

        def other():
            seen["thread"] = (
                lib.is_autocast_enabled("cpu"),
                (lib.ones(2, 2) @ lib.ones(2, 2)).dtype,
            )

        with lib.autocast("cpu"):
            th = threading.Thread(target=other)
            th.start()
            th.join()
            seen["main"] = lib.is_autocast_enabled("cpu")
        return {k: str(v).replace("torch.", "").replace("tensorish.", "") for k, v in seen.items()}

    assert run(torch) == run(tensorish)


def _warned(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [(x.category, str(x.message)) for x in w]


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.autocast("cpu", dtype=lib.float32),
        lambda lib: lib.autocast("cpu", dtype=lib.float64),
        lambda lib: lib.autocast("cuda"),
        lambda lib: lib.cpu.amp.autocast(),
        lambda lib: lib.cuda.amp.autocast(),
        lambda lib: lib.amp.GradScaler(),
        lambda lib: lib.cpu.amp.GradScaler(),
        lambda lib: lib.cuda.amp.GradScaler(),
    ],
    ids=["f32", "f64", "cuda", "cpu.amp", "cuda.amp", "scaler-cuda", "cpu-scaler", "cuda-scaler"],
)
def test_warnings_and_disabling(make):
    if torch.cuda.is_available() or tensorish.cuda.is_available():
        pytest.skip("the warnings are those of a machine without CUDA")

    def run(lib):
        obj, warned = _warned(lambda: make(lib))
        enabled = obj._enabled if hasattr(obj, "_enabled") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if isinstance(obj, lib.autocast):
                with obj:
                    enabled = (enabled, lib.is_autocast_enabled("cpu"))
        return enabled, [(c, m.replace("torch.", "")) for c, m in warned]

    assert run(torch) == run(tensorish)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.autocast("foo"),
        lambda lib: lib.autocast(1),
        lambda lib: lib.autocast(),
        lambda lib: lib.amp.custom_fwd(device_type=0),
        lambda lib: lib.amp.GradScaler("cpu", growth_factor=1.0),
        lambda lib: lib.amp.GradScaler("cpu", backoff_factor=1.0),
        lambda lib: lib.amp.GradScaler("cpu").step(lib.optim.SGD([lib.ones(1)], lr=1.0)),
        lambda lib: lib.amp.GradScaler("cpu").update(),
        lambda lib: lib.amp.GradScaler("cpu").scale(3),
        lambda lib: (
            lib.amp.GradScaler("cpu", enabled=False).load_state_dict({})
            or lib.amp.GradScaler("cpu").load_state_dict({})
        ),
    ],
)
def test_errors(fn):
    assert_same_error(fn)


def test_warnings_point_at_the_caller():
    with pytest.warns(UserWarning, match="target size") as w:
        tensorish.nn.functional.mse_loss(tensorish.ones(2, 1), tensorish.ones(2))
    assert w[0].filename == __file__
    with pytest.warns(UserWarning, match="deprecated") as w:
        tensorish.cholesky(tensorish.eye(2))
    assert w[0].filename == __file__


def test_promote_rejects_two_low_dtypes():
    def run(lib):
        with lib.autocast("cpu"):
            lib.cat([lib.ones(2, dtype=lib.float16), lib.ones(2, dtype=lib.bfloat16)])

    assert_same_error(run)


def test_custom_fwd_bwd():
    def run(lib):
        seen = []

        class MatSquare(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, x):
                ctx.save_for_backward(x)
                seen.append((x.dtype, lib.is_autocast_enabled("cpu")))
                return x @ x

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                seen.append((g.dtype, lib.is_autocast_enabled("cpu")))
                return g @ x.t() + x.t() @ g

        class Plain(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu")
            def forward(ctx, x):
                return x @ x

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                seen.append(lib.is_autocast_enabled("cpu"))
                return g * 2

        x = lib.ones(2, 2, requires_grad=True)
        with lib.autocast("cpu"):
            y = MatSquare.apply(x.bfloat16())
            z = Plain.apply(x)
        seen.append((y.dtype, z.dtype))
        (y.sum() + z.float().sum()).backward()
        seen.append(x.grad)
        return [str(v).replace("torch.", "").replace("tensorish.", "") for v in seen]

    assert run(torch) == run(tensorish)


class MLP:
    """A 2-layer MLP with the same initial weights in both libraries."""

    def __init__(self, lib, seed=0):
        rng = np.random.default_rng(seed)
        self.net = lib.nn.Sequential(lib.nn.Linear(6, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3))
        with lib.no_grad():
            for p in self.net.parameters():
                p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))


def _batches(lib, steps, scale=1.0):
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x = rng.normal(size=(8, 6)).astype(np.float32) * scale
        y = rng.integers(0, 3, size=8)
        yield lib.tensor(x), lib.tensor(y)


def test_training_under_bf16_autocast():
    def train(lib):
        model = MLP(lib).net
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for x, y in _batches(lib, 10):
            opt.zero_grad()
            with lib.autocast("cpu", dtype=lib.bfloat16):
                out = model(x)
                loss = lib.nn.functional.cross_entropy(out, y)
            assert out.dtype is lib.bfloat16 and loss.dtype is lib.float32
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach() for p in model.parameters()]

    (lt, pt), (ls, ps) = train(torch), train(tensorish)
    np.testing.assert_allclose(ls, lt, rtol=2e-2, atol=2e-2)
    assert_same(pt, ps, "parameters", rtol=2e-2, atol=2e-2)


def _scaled_run(lib, steps=8, compiled=False):
    """A float16-autocast run whose scale grows until the gradients overflow, backs off and
    grows again: per step the loss, the scale, the growth tracker and the parameters. (The
    first step succeeds: a compiled step needs the optimizer's state made by an eager one.)"""
    model = MLP(lib).net
    opt = lib.optim.Adam(model.parameters(), lr=0.01)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**8, growth_factor=8.0, growth_interval=1)

    def step(x, y):
        opt.zero_grad()
        with lib.autocast("cpu", dtype=lib.float16):
            loss = lib.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    fn = tensorish.compile(step) if compiled else step
    seen = []
    for x, y in _batches(lib, steps, scale=100.0):
        loss = fn(x, y)
        params = [p.detach().clone() for p in model.parameters()]
        seen.append((loss.item(), scaler.get_scale(), scaler._get_growth_tracker(), params))
    return seen, fn


def test_grad_scaler_overflowing_float16_run():
    (t, _), (s, _) = _scaled_run(torch), _scaled_run(tensorish)
    scales = [x[1] for x in t]
    grew = [b > a for a, b in zip(scales, scales[1:])]
    assert True in grew and False in grew  # it backed off and grew again
    for i, (a, b) in enumerate(zip(t, s)):
        assert a[1:3] == b[1:3], i
        assert a[0] == pytest.approx(b[0], rel=1e-2, abs=1e-2)
        assert_same(a[3], b[3], f"step {i}", rtol=1e-2, atol=1e-3)


def test_compiled_step_equals_eager():
    (eager, _), (compiled, fn) = _scaled_run(tensorish), _scaled_run(tensorish, compiled=True)
    assert fn.compile_count == 1  # the first call runs eagerly (the optimizer makes its state)
    for i, (a, b) in enumerate(zip(eager, compiled)):
        assert a[1:3] == b[1:3], i
        assert a[0] == pytest.approx(b[0], rel=1e-5)
        assert_same([x.jax() for x in a[3]], [x.jax() for x in b[3]], f"step {i}", 1e-5, 1e-6)


def test_compiled_function_follows_the_autocast_state():
    fn = tensorish.compile(lambda a, b: a @ b)
    x = tensorish.ones(2, 2)
    seen = []
    for dtype in (tensorish.bfloat16, None, tensorish.float16, tensorish.bfloat16):
        with tensorish.autocast("cpu", dtype=dtype or tensorish.bfloat16, enabled=bool(dtype)):
            seen.append(fn(x, x).dtype)
    assert seen == [tensorish.bfloat16, tensorish.float32, tensorish.float16, tensorish.bfloat16]


def test_scaler_api_and_state_dict():
    def run(lib):
        w = lib.ones(3, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.5)
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
        seen = [scaler.get_scale(), scaler.is_enabled(), scaler.get_growth_factor()]
        scaler.set_growth_factor(4.0)
        scaler.set_backoff_factor(0.25)
        scaler.set_growth_interval(1)
        scaler.scale([w.sum(), (w * w).sum()])[1].backward()
        scaler.unscale_(opt)
        seen.append(w.grad.tolist())
        seen.append(outcome_of(lambda: scaler.unscale_(opt)))
        scaler.step(opt)
        seen.append(outcome_of(lambda: scaler.step(opt)))
        seen.append(outcome_of(lambda: scaler.unscale_(opt)))
        scaler.update()
        seen.append(scaler.state_dict())
        scaler.update(lib.tensor(3.0))
        seen.append(scaler.get_scale())
        seen.append(outcome_of(lambda: scaler.update(lib.ones(2))))
        fresh = lib.amp.GradScaler("cpu")
        fresh.load_state_dict(scaler.state_dict())
        seen.append(fresh.state_dict())
        off = lib.amp.GradScaler("cpu", enabled=False)
        seen += [off.state_dict(), off.get_scale(), off.scale(w) is w, off.is_enabled()]
        seen.append(w.tolist())
        return seen

    assert run(torch) == run(tensorish)


def outcome_of(fn):
    try:
        fn()
        return "ok"
    except Exception as e:  # noqa: BLE001 - the oracle says which type
        return type(e).__name__, str(e)


def test_fp16_gradients_refused():
    def run(lib):
        w = lib.ones(2, dtype=lib.float16, requires_grad=True)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale(w.sum()).backward()
        scaler.unscale_(lib.optim.SGD([w], lr=1.0))

    assert_same_error(run)

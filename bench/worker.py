"""One benchmark process: one library, its default settings, one or more workloads.

    python bench/worker.py LIB WORKLOAD[,WORKLOAD...] [--mode eager|compiled] [--size full]
                           [--device cpu|cuda] [--cache DIR]

LIB is ``torch``, ``tensorish`` (imported as ``torch``: the benchmark code, and bench/gpt.py,
are the same text for both) or ``jax`` (the hand-written ``jax.jit`` floor). Nothing here tunes
a library: no thread counts, no OpenMP or XLA flags. ``--cache DIR`` points JAX's persistent
compilation cache at DIR (the driver gives each cold run an empty one). Each workload prints one
line ``BENCH {json}``; bench/run.py launches these processes and aggregates the lines.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

T_START = time.perf_counter()
LIBS = ("torch", "tensorish", "jax")
LR = 0.01

# The counts of each size: "steps" is (a scale for STEP_CALLS, timed batches) for the training
# step workloads, "memory" is (steps to warm up, steps measured).
SIZES = {
    "smoke": {"steps": (0.004, 2), "gpt_iters": 3, "shapes": 2, "tokens": 2, "memory": (5, 20)},
    "quick": {
        "steps": (0.25, 5),
        "gpt_iters": 150,
        "shapes": 50,
        "tokens": 24,
        "memory": (200, 1000),
    },
    "full": {
        "steps": (1.0, 15),
        "gpt_iters": 150,
        "shapes": 1000,
        "tokens": 48,
        "memory": (200, 10_000),
    },
}
STEP_CALLS = {"tiny": 2000, "seed": 2000, "mlp": 50, "cnn": 10}  # calls per timed batch
# A new-shape run stops early rather than exhaust a shared machine (see the report's header).
SHAPES_CAP_MB, SHAPES_CAP_S = 1500.0, 240.0


def rss_mb() -> float:
    """Resident memory now (Linux /proc), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Bench:
    """The library under test and how to wait for its queued work."""

    def __init__(self, lib: str, device: str, cache: str | None) -> None:
        self.lib, self.device = lib, device
        if lib == "torch":
            import torch

            self.m = torch
        elif lib == "tensorish":
            import tensorish

            # ``import tensorish as torch`` for bench/gpt.py's own ``import torch`` lines
            nn = tensorish.nn
            sys.modules.update(
                {"torch": tensorish, "torch.nn": nn, "torch.nn.functional": nn.functional}
            )
            self.m = tensorish
        else:
            import jax

            self.m = jax
        self.import_s = time.perf_counter() - T_START
        if lib != "torch":
            import jax

            if cache:
                jax.config.update("jax_compilation_cache_dir", cache)
            if lib == "jax":
                self.jax_device = jax.devices("gpu" if device == "cuda" else "cpu")[0]

    def sync(self, *out) -> None:
        """Wait until ``out`` (and, on a GPU, everything queued) is computed."""
        if self.lib == "torch":
            if self.device != "cpu":
                self.m.cuda.synchronize()
            return
        import jax

        if self.lib == "tensorish":  # .jax() computes a deferred value first
            flat = [t for o in out for t in (o if isinstance(o, list) else [o])]
            out = [t.jax() for t in flat if t is not None]
        jax.block_until_ready(out)

    def device_name(self) -> str:
        if self.lib == "torch":
            if self.device == "cpu":
                return "cpu"
            return self.m.cuda.get_device_name()

        if self.lib == "jax":
            dev = self.jax_device
        else:
            dev = self.m.ones(1, device=self.device).jax().devices().pop()
        return f"{dev.platform}: {dev.device_kind}"


def time_steps(
    b: Bench, step: Callable, number: int, repeat: int, result: Callable | None = None
) -> dict:
    """First and second call (ms, each waited for), then ``repeat`` batches of ``number`` calls
    (us per call). A wait is for everything a step computes: ``result(out)`` (the step's
    outputs and updated state) if given, else what the step returns."""
    firsts = []

    def wait(out) -> None:
        b.sync(result(out) if result else out)

    for _ in range(2):
        t0 = time.perf_counter()
        wait(step())
        firsts.append((time.perf_counter() - t0) * 1e3)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            out = step()
        wait(out)
        samples.append((time.perf_counter() - t0) / number * 1e6)
    return {"first_ms": firsts[0], "second_ms": firsts[1], "step_us": samples}


# -- torch and tensorish: the same code, ``m`` is the library ----------------------------------
def tiny(m: ModuleType, device: str) -> tuple[Callable, Callable]:
    a = m.ones(2, 2, device=device, requires_grad=True)
    b = m.ones(2, 2, device=device)

    def step() -> None:
        (a * b + a).sum().backward()

    return step, lambda _: a.grad


def seed(m: ModuleType, device: str) -> tuple[Callable, Callable]:
    """The seed notebook's step (shared/seed/variables_and_gradients.md, In [15] to [20])."""
    x = m.ones(2, device=device, requires_grad=True)

    def step() -> None:
        y = 5 * (x + 1) ** 2
        output = (1 / len(y)) * m.sum(y)
        output.backward()

    return step, lambda _: x.grad


def _data(batch: int, shape: tuple, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    return x, rng.integers(0, classes, batch)


def mlp_model(m: ModuleType):
    return m.nn.Sequential(m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 10))


def cnn_model(m: ModuleType):
    nn = m.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def train_step(m: ModuleType, device: str, which: str) -> tuple[Callable, Callable]:
    m.manual_seed(0)
    model = (mlp_model if which == "mlp" else cnn_model)(m).to(device)
    x, y = _data(64, (784,)) if which == "mlp" else _data(32, (1, 28, 28))
    xs, ys = m.tensor(x, device=device), m.tensor(y, device=device)
    opt = m.optim.SGD(model.parameters(), lr=LR)
    loss_fn = m.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        return loss

    # what a timed step waits for: its loss and the updated parameters
    return step, lambda loss: [loss, *model.parameters()]


# -- the hand-written jax.jit floor ------------------------------------------------------------
def jax_step(which: str) -> tuple[Callable, Callable]:
    import jax
    import jax.numpy as jnp

    def sgd(loss_fn):
        def step(p, *args):
            loss, g = jax.value_and_grad(loss_fn)(p, *args)
            return jax.tree.map(lambda a, b: a - LR * b, p, g), loss

        return jax.jit(step, donate_argnums=0)

    def cross_entropy(logits, y):
        return -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1).mean()

    def linear(p, name, x):
        return x @ p[name + "w"].T + p[name + "b"]

    rng = np.random.default_rng(0)

    def uniform(*shape):
        return jnp.asarray(rng.uniform(-0.05, 0.05, shape).astype(np.float32))

    if which in ("tiny", "seed"):
        if which == "tiny":
            f, args = lambda a, b: (a * b + a).sum(), (jnp.ones((2, 2)), jnp.ones((2, 2)))
        else:
            f, args = lambda x: (1 / 2) * jnp.sum(5 * (x + 1) ** 2), (jnp.ones(2),)

        @jax.jit
        def accumulate(acc, *args):
            return acc + jax.grad(f)(*args)

        state = [jnp.zeros_like(args[0])]

        def run():
            state[0] = accumulate(state[0], *args)

        return run, lambda _: state[0]

    if which == "mlp":
        x, y = _data(64, (784,))
        p = {"1w": uniform(256, 784), "1b": uniform(256), "2w": uniform(10, 256)}
        p["2b"] = uniform(10)

        def loss_fn(p, x, y):
            return cross_entropy(linear(p, "2", jax.nn.relu(linear(p, "1", x))), y)
    else:
        x, y = _data(32, (1, 28, 28))
        p = {"c1w": uniform(8, 1, 3, 3), "c1b": uniform(8), "c2w": uniform(16, 8, 3, 3)}
        p.update(c2b=uniform(16), f1w=uniform(64, 784), f1b=uniform(64), f2w=uniform(10, 64))
        p["f2b"] = uniform(10)

        def conv_pool(p, name, x):
            h = jax.lax.conv_general_dilated(
                x,
                p[name + "w"],
                (1, 1),
                ((1, 1), (1, 1)),
                dimension_numbers=("NCHW", "OIHW", "NCHW"),
            )
            h = jax.nn.relu(h + p[name + "b"][None, :, None, None])
            return jax.lax.reduce_window(
                h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"
            )

        def loss_fn(p, x, y):
            h = conv_pool(p, "c2", conv_pool(p, "c1", x)).reshape(x.shape[0], -1)
            return cross_entropy(linear(p, "f2", jax.nn.relu(linear(p, "f1", h))), y)

    step = sgd(loss_fn)
    xs, ys = jnp.asarray(x), jnp.asarray(y)
    state = [p, None]

    def run():
        state[0], state[1] = step(state[0], xs, ys)

    return run, lambda _: state


# -- the workloads -----------------------------------------------------------------------------
def step_workload(b: Bench, which: str, mode: str, size: str) -> dict:
    if b.lib == "jax":
        with b.m.default_device(b.jax_device):
            step, result = jax_step(which)
    elif which in ("mlp", "cnn"):
        step, result = train_step(b.m, b.device, which)
    else:
        step, result = (tiny if which == "tiny" else seed)(b.m, b.device)
    if mode == "compiled":
        step = b.m.compile(step)
    scale, repeat = SIZES[size]["steps"]
    number = max(1, round(STEP_CALLS[which] * scale))

    return time_steps(b, step, number, repeat, result)


def gpt_batches(device: str, m: ModuleType | None, config, batch: int = 8):
    """nanoGPT's get_batch over a fixed random 'text' of ``vocab_size`` symbols."""
    rng = np.random.default_rng(0)
    data = rng.integers(0, config.vocab_size, 20_000)
    block = config.block_size
    while True:
        ix = rng.integers(0, len(data) - block - 1, batch)
        x = np.stack([data[i : i + block] for i in ix])
        y = np.stack([data[i + 1 : i + 1 + block] for i in ix])
        if m is None:
            yield x.astype(np.int32), y.astype(np.int32)
        else:
            yield m.from_numpy(x).to(device), m.from_numpy(y).to(device)


def gpt_workload(b: Bench, size: str) -> dict:
    import gpt

    config = gpt.GPTConfig()
    t0 = time.perf_counter()
    if b.lib == "jax":
        import gpt_jax
        import jax

        params = jax.device_put(gpt_jax.init(config), b.jax_device)
        opt_state = jax.device_put(gpt_jax.init_opt_state(params), b.jax_device)
        step_fn = gpt_jax.make_step(config, **gpt.OPTIM, clip=gpt.GRAD_CLIP)
        state = [params, opt_state]
        batches = gpt_batches(b.device, None, config)

        def step(x, y):
            x, y = jax.device_put((x, y), b.jax_device)
            state[0], state[1], loss = step_fn(state[0], state[1], x, y)
            return loss
    else:
        b.m.manual_seed(0)
        model = gpt.GPT(config).to(b.device)
        optimizer = model.configure_optimizers(**gpt.OPTIM)
        batches = gpt_batches(b.device, b.m, config)

        def step(x, y):
            return gpt.train_step(model, optimizer, x, y)

    setup_s = time.perf_counter() - t0
    iters = []
    for _ in range(SIZES[size]["gpt_iters"]):
        t0 = time.perf_counter()
        x, y = next(batches)
        loss = step(x, y)
        loss = float(loss) if b.lib == "jax" else loss.item()
        b.sync(state if b.lib == "jax" else list(model.parameters()))
        iters.append((time.perf_counter() - t0) * 1e3)
    return {"setup_s": setup_s, "iter_ms": iters, "final_loss": loss}


def shapes_workload(b: Bench, size: str) -> dict:
    """``randn(n, 8) @ w``, tanh, sum, backward, for many distinct ``n``: time and memory kept."""
    m, device = b.m, b.device
    m.manual_seed(0)
    w = m.randn(8, 8, device=device, requires_grad=True)

    def one(n: int) -> None:
        m.tanh(m.randn(n, 8, device=device) @ w).sum().backward()
        b.sync(w.grad)

    one(4096)
    one(4097)
    gc.collect()
    before, t_start, times = rss_mb(), time.perf_counter(), []
    stopped = None
    for n in range(1, SIZES[size]["shapes"] + 1):
        t0 = time.perf_counter()
        one(n)
        times.append((time.perf_counter() - t0) * 1e3)
        if rss_mb() - before > SHAPES_CAP_MB:
            stopped = f"resident memory grew past {SHAPES_CAP_MB:.0f} MB"
        elif time.perf_counter() - t_start > SHAPES_CAP_S:
            stopped = f"time passed {SHAPES_CAP_S:.0f} s"
        if stopped:
            break
    gc.collect()
    return {"shape_ms": times, "rss_growth_mb": rss_mb() - before, "stopped": stopped}


def generate_workload(b: Bench, size: str) -> dict:
    """GPT.generate: one token at a time, the context growing to the block size, then cropped."""
    import gpt

    m = b.m
    m.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig()).to(b.device)
    model.eval()
    tokens = SIZES[size]["tokens"]
    out = {}
    for name in ("first", "again"):
        start = m.zeros((1, 1), dtype=m.long, device=b.device)
        t0 = time.perf_counter()
        idx = model.generate(start, tokens, top_k=10)
        idx.tolist()
        out[f"{name}_ms_per_token"] = (time.perf_counter() - t0) * 1e3 / tokens
    out["tokens"] = tokens
    return out


def memory_workload(b: Bench, size: str) -> dict:
    """Resident memory growth over many eager MLP training steps (after some to warm up)."""
    step, _ = train_step(b.m, b.device, "mlp")
    warmup, steps = SIZES[size]["memory"]
    for _ in range(warmup):
        loss = step()
    b.sync(loss)
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    b.sync(loss)
    elapsed = time.perf_counter() - t0
    gc.collect()
    return {"steps": steps, "rss_growth_mb": rss_mb() - before, "step_us": elapsed / steps * 1e6}


def cache_entries(cache: str | None) -> int | None:
    if not cache:
        return None
    return sum(1 for p in Path(cache).rglob("*") if p.is_file())


WORKLOADS = {
    "gpt": gpt_workload,
    "shapes": shapes_workload,
    "generate": generate_workload,
    "memory": memory_workload,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lib", choices=LIBS)
    parser.add_argument("workloads", help="comma-separated: " + ",".join([*STEP_CALLS, *WORKLOADS]))
    parser.add_argument("--mode", choices=("eager", "compiled"), default="eager")
    parser.add_argument("--size", choices=tuple(SIZES), default="full")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cache", help="JAX's persistent compilation cache directory")
    args = parser.parse_args()
    b = Bench(args.lib, args.device, args.cache)
    for workload in args.workloads.split(","):
        t0 = time.perf_counter()
        if workload in STEP_CALLS:
            result = step_workload(b, workload, args.mode, args.size)
        else:
            result = WORKLOADS[workload](b, args.size)
        result.update(
            lib=args.lib,
            mode="jit" if args.lib == "jax" else args.mode,
            workload=workload,
            wall_s=time.perf_counter() - t0,
            import_s=b.import_s,
            device_name=b.device_name(),
            cache_entries=cache_entries(args.cache),
            library_file=getattr(b.m, "__file__", None),
        )
        print("BENCH " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

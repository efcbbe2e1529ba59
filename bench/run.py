"""The benchmark suite: tensorish against torch eager and raw JAX, in ONE process and run.

    python bench/run.py            # full run, writes bench/RESULTS.md
    python bench/run.py --smoke    # a few repetitions of each, to keep the suite working

Each figure is the median (with min and max) of several timed batches; ratios are taken within
the same run, so machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import gc
import os

# torch's OpenMP threads spin while they wait; sharing the cores with XLA's threads in one
# process, that made torch's MLP step 100x slower here. Passive waiting keeps both honest.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import torch

import tensorish

ROOT = Path(__file__).resolve().parent


_sync: list[Callable] = []  # waits for queued device work (torch on CUDA is asynchronous)
_jax_device: list = []  # where the raw-JAX baselines put their arrays (the same device)


def put(x):
    return jax.device_put(x, _jax_device[0]) if _jax_device else jnp.asarray(x)


def timed(*fns: Callable, number: int, repeat: int) -> list[tuple[float, float, float]]:
    """(median, min, max) microseconds per call of each of ``fns`` over ``repeat`` batches of
    ``number`` calls. The batches alternate between the functions, so a slow spell of the
    machine hits every side alike and the ratios stay fair."""
    for fn in fns:
        fn()
        fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out_samples in zip(fns, samples):
            t0 = time.perf_counter()
            for _ in range(number):
                out = fn()
            if isinstance(out, jax.Array):
                out.block_until_ready()
            elif hasattr(out, "jax"):
                out.jax().block_until_ready()
            for sync in _sync:
                sync()
            out_samples.append((time.perf_counter() - t0) / number * 1e6)
    return [(statistics.median(x), min(x), max(x)) for x in samples]


def first_call(make: Callable[[], Callable], builds: int = 3) -> float:
    """Microseconds for the first call of a freshly built step (compilation included): the
    median over ``builds`` fresh builds, as one compile time varies by tens of percent."""
    samples = []
    for _ in range(builds):
        step = make()
        t0 = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(samples)


# -- 1 and 2: tiny graphs --------------------------------------------------------------------
def tiny(m):
    a, b = m.ones(2, 2, requires_grad=True), m.ones(2, 2)
    return lambda: (a * b + a).sum().backward()


def tiny_jax():
    g = jax.jit(jax.grad(lambda a, b: (a * b + a).sum()))
    a, b = put(jnp.ones((2, 2), jnp.float32)), put(jnp.ones((2, 2), jnp.float32))
    return lambda: g(a, b).block_until_ready()


def seed(m):
    x = m.ones(2, requires_grad=True)
    return lambda: (5 * (x + 1) ** 2).mean().backward()


def seed_jax():
    g = jax.jit(jax.grad(lambda x: (5 * (x + 1) ** 2).mean()))
    x = put(jnp.ones(2, jnp.float32))
    return lambda: g(x).block_until_ready()


# -- 3 to 5: training steps ------------------------------------------------------------------
def _data(batch: int, shape: tuple, classes: int = 10):
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((batch, *shape)).astype(np.float32),
        rng.integers(0, classes, batch),
    )


def mlp(m):
    return m.nn.Sequential(m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 10))


def cnn(m):
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


def train_step(m, build, x, y, compiled: bool = False):
    m.manual_seed(0)
    model = build(m)
    opt = m.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = m.nn.CrossEntropyLoss()
    xs, ys = m.tensor(x), m.tensor(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = m.compile(step)
    return step


def mlp_jax_step(x, y):
    k1, k2 = jax.random.split(jax.random.key(0))
    params = {
        "w1": jax.random.normal(k1, (784, 256)) * 0.03,
        "b1": jnp.zeros(256),
        "w2": jax.random.normal(k2, (256, 10)) * 0.06,
        "b2": jnp.zeros(10),
    }
    params = jax.tree.map(lambda p: put(p.astype(jnp.float32)), params)
    xs, ys = put(x), put(y)

    def loss_fn(p):
        h = jax.nn.relu(xs @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        return -jnp.take_along_axis(jax.nn.log_softmax(logits), ys[:, None], 1).mean()

    @jax.jit
    def step(p):
        loss, g = jax.value_and_grad(loss_fn)(p)
        return jax.tree.map(lambda a, b: a - 0.01 * b, p, g), loss

    state = [params]

    def run():
        state[0], loss = step(state[0])
        return loss.block_until_ready()

    return run


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_growth(step: Callable, steps: int) -> float:
    for _ in range(200):
        step()
    gc.collect()
    before = rss_mb()
    for _ in range(steps):
        step()
    gc.collect()
    return rss_mb() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="a few repetitions of each")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~1 minute)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda, for both libraries")
    args = parser.parse_args()
    _jax_device.append(tensorish._device.to_jax(args.device))
    if args.device != "cpu":
        torch.set_default_device(args.device)
        tensorish.set_default_device(args.device)
        _sync.append(lambda: torch.cuda.synchronize())
    smoke = args.smoke
    n_small, n_step, repeat = (
        (20, 3, 2) if smoke else (300, 20, 7) if args.quick else (2000, 50, 15)
    )
    mem_steps = 100 if smoke else 1000 if args.quick else 10_000
    torch.set_num_threads(os.cpu_count() or 1)
    rows: list[tuple[str, str, tuple, tuple | None]] = []

    def compare(name: str, ours: Callable, theirs: Callable, jax_fn: Callable | None, n: int):
        fns = (ours, theirs, jax_fn) if jax_fn else (ours, theirs)
        t = timed(*fns, number=n, repeat=repeat)
        rows.append((name, "eager", t[0], t[1], t[2] if jax_fn else None))

    compare("tiny (a*b+a).sum().backward(), 2x2", tiny(tensorish), tiny(torch), tiny_jax(), n_small)
    compare(
        "seed (5*(x+1)**2).mean().backward()", seed(tensorish), seed(torch), seed_jax(), n_small
    )

    xm, ym = _data(64, (784,))
    xc, yc = _data(32, (1, 28, 28))
    have_nn = hasattr(tensorish, "nn") and hasattr(tensorish, "optim")
    lines = []
    if have_nn:
        compare(
            "MLP 784-256-10 b64 SGD step",
            train_step(tensorish, mlp, xm, ym),
            train_step(torch, mlp, xm, ym),
            mlp_jax_step(xm, ym),
            n_step,
        )
        compare(
            "CNN 2conv+2fc b32 28x28 SGD step",
            train_step(tensorish, cnn, xc, yc),
            train_step(torch, cnn, xc, yc),
            None,
            max(1, n_step // 5),
        )
        builds = 1 if smoke else 3
        first_eager = first_call(lambda: train_step(tensorish, mlp, xm, ym), builds)
        first_torch = first_call(lambda: train_step(torch, mlp, xm, ym), builds)
        lines.append(
            f"- first MLP step, eager: tensorish {first_eager / 1e3:.1f} ms, "
            f"torch {first_torch / 1e3:.1f} ms"
        )
        if hasattr(tensorish, "compile"):
            t_c, t_j = timed(
                train_step(tensorish, mlp, xm, ym, compiled=True),
                mlp_jax_step(xm, ym),
                number=n_step,
                repeat=repeat,
            )
            rows.append(
                ("MLP step compiled vs jax.jit(value_and_grad)", "compiled", t_c, None, t_j)
            )
            first_c = first_call(lambda: train_step(tensorish, mlp, xm, ym, compiled=True), builds)
            first_j = first_call(lambda: mlp_jax_step(xm, ym), builds)
            lines.append(
                f"- first MLP step, compiled: tensorish {first_c / 1e3:.1f} ms, "
                f"jax.jit {first_j / 1e3:.1f} ms, ratio {first_c / first_j:.2f}x"
            )
        growth = memory_growth(train_step(tensorish, mlp, xm, ym), mem_steps)
        lines.append(f"- resident memory growth over {mem_steps} eager MLP steps: {growth:.1f} MB")

    report = render(rows, lines)
    print(report)
    if not (smoke or args.quick):
        name = "RESULTS.md" if args.device == "cpu" else f"RESULTS-{args.device}.md"
        (ROOT / name).write_text(report)


def render(rows, lines) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; "
        f"Python {platform.python_version()}, jax {jax.__version__} "
        f"({jax.default_backend()}), torch {torch.__version__}, numpy {np.__version__}",
        "",
        "Median us per step (min-max). Ratios within this run; < 1 means tensorish is faster.",
        "",
        "| benchmark | mode | tensorish | torch eager | raw JAX (jit) | vs torch | vs JAX |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def cell(t):
        return "-" if t is None else f"{t[0]:.1f} ({t[1]:.1f}-{t[2]:.1f})"

    for name, mode, ours, theirs, jx in rows:
        vs_t = f"{ours[0] / theirs[0]:.2f}x" if theirs else "-"
        vs_j = f"{ours[0] / jx[0]:.2f}x" if jx else "-"
        out.append(
            f"| {name} | {mode} | {cell(ours)} | {cell(theirs)} | {cell(jx)} | {vs_t} | {vs_j} |"
        )
    return "\n".join(out + [""] + lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

"""MLP 784-256-10, batch 64, SGD: a ``tensorish.compile``d imperative step vs hand-written
``jax.jit(jax.value_and_grad)`` with the same math, in one run.

Run: ``python bench/compile.py [--device cuda]``. Prints the first-step latency (trace + compile +
run) and the median time per step of each, and their ratios (targets: steady <= 1.02, first step
<= 1.2).
The loss is MSE against one-hot targets after a ReLU hidden layer (nn is not used: the ReLU is
declared here as an op, the rest is ``@``, ``+``, ``-``, ``**``, ``mean``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import tensorish
from tensorish._dispatch import Op, apply

LR = 0.01
STEPS = 200
ROUNDS = 7
_relu = Op("ReluBackward0", jax.nn.relu)


def relu(x: tensorish.Tensor) -> tensorish.Tensor:
    return apply(_relu, (x,))


def init(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(784, 256)) / 28).astype(np.float32),
        np.zeros(256, np.float32),
        (rng.normal(size=(256, 10)) / 16).astype(np.float32),
        np.zeros(10, np.float32),
    ]


def batches(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 64, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=(n, 64))]
    return list(zip(x, y))


class SGD:
    def __init__(self, params: list, lr: float) -> None:
        self.params, self.lr = params, lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        with tensorish.no_grad():
            for p in self.params:
                p.sub_(self.lr * p.grad)


def tensorish_step():
    params = [tensorish.tensor(a, requires_grad=True) for a in init()]
    w1, b1, w2, b2 = params
    opt = SGD(params, LR)

    @tensorish.compile
    def step(x, y):
        opt.zero_grad()
        loss = ((relu(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    state = {"params": params}

    def call(x, y):
        return step(x, y).jax()

    return call, state, step


def jax_step():
    def loss_fn(p, x, y):
        w1, b1, w2, b2 = p
        return ((jax.nn.relu(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()

    @jax.jit
    def step(p, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        return loss, [a - LR * b for a, b in zip(p, g)]

    step = jax.jit(step, donate_argnums=0)
    dev = tensorish.ones(1).jax().devices().pop()
    state = {"params": [jax.device_put(a, dev) for a in init()]}

    def call(x, y):
        loss, state["params"] = step(state["params"], x, y)
        return loss

    return call, state, step


def first_step(variant: str) -> float:
    """Seconds from a fresh process's first call to its first result (trace + compile + run)."""
    jax.jit(lambda a: a + 1)(jnp.ones(2)).block_until_ready()  # JAX's one-time start-up
    ((x, y),) = batches(1)
    if variant == "jax":
        jdev = tensorish.ones(1).jax().devices().pop()
        x, y = jax.device_put(x, jdev), jax.device_put(y, jdev)
        call = jax_step()[0]
    else:
        x, y = tensorish.tensor(x), tensorish.tensor(y)
        call = tensorish_step()[0]
    jax.block_until_ready((x, y))
    t0 = time.perf_counter()
    call(x, y).block_until_ready()
    return time.perf_counter() - t0


def first_steps(device: str, repeats: int = 3) -> tuple[float, float]:
    """Median first-step latency of each variant, each measured in a fresh process."""
    times: dict = {"jax": [], "tensorish": []}
    for _ in range(repeats):
        for variant in times:
            out = subprocess.run(
                [sys.executable, __file__, "--device", device, "--first", variant],
                capture_output=True,
                text=True,
                check=True,
            )
            times[variant].append(float(out.stdout.split()[-1]))
    return statistics.median(times["jax"]), statistics.median(times["tensorish"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--first", choices=("jax", "tensorish"))
    opts = parser.parse_args()
    device = opts.device
    tensorish.set_default_device(device)
    if opts.first:
        print(first_step(opts.first))
        return
    jdev = tensorish.ones(1).jax().devices().pop()
    data = batches(STEPS)
    tx = [(tensorish.tensor(x), tensorish.tensor(y)) for x, y in data]
    jx = [(jax.device_put(x, jdev), jax.device_put(y, jdev)) for x, y in data]
    jax.block_until_ready([t.jax() for pair in tx for t in pair])

    runs = {}
    for name, make, batch in (("jax.jit", jax_step, jx), ("tensorish.compile", tensorish_step, tx)):
        call, state, fn = make()
        call(*batch[0]).block_until_ready()
        runs[name] = [call, batch, None, [], fn]
    for _ in range(ROUNDS):
        for run in runs.values():
            call, batch = run[0], run[1]
            t0, c0 = time.perf_counter(), time.process_time()
            for x, y in batch:
                loss = call(x, y)
            loss.block_until_ready()
            run[3].append(
                ((time.perf_counter() - t0) / len(batch), (time.process_time() - c0) / len(batch))
            )
    (_, _, _, steps_j, _), (_, _, _, steps_t, fn) = runs.values()
    first_j, first_t = first_steps(device)
    med_j, med_t = (statistics.median(s[0] for s in steps) * 1e6 for steps in (steps_j, steps_t))
    cpu_j, cpu_t = (statistics.median(s[1] for s in steps) * 1e6 for steps in (steps_j, steps_t))
    print(f"device: {jdev.device_kind} ({jdev.platform}), jax {jax.__version__}")
    print(
        f"first step   jax.jit {first_j * 1e3:8.1f} ms   tensorish.compile "
        f"{first_t * 1e3:8.1f} ms   ratio {first_t / first_j:5.2f}   (fresh processes)"
    )
    print(
        f"steady step  jax.jit {med_j:8.1f} us   tensorish.compile {med_t:8.1f} us   "
        f"ratio {med_t / med_j:5.2f}"
    )
    print(
        f"CPU time     jax.jit {cpu_j:8.1f} us   tensorish.compile {cpu_t:8.1f} us   "
        f"ratio {cpu_t / cpu_j:5.2f}   (all threads; steadier on a busy machine)"
    )
    print(f"tensorish.compile traces: {fn.compile_count}")


if __name__ == "__main__":
    main()

"""MLP 784-256-10, batch 64, SGD: a ``tensorish.compile``d imperative step vs hand-written
``jax.jit(jax.value_and_grad)`` with the same math, in one run.

Run: ``python bench/compile.py``. Prints the first-step latency (trace + compile + run) and the
median time per step of each, and their ratios (targets: steady <= 1.02, first step <= 1.2).
The loss is MSE against one-hot targets after a ReLU hidden layer (nn is not used: the ReLU is
declared here as an op, the rest is ``@``, ``+``, ``-``, ``**``, ``mean``).
"""

from __future__ import annotations

import statistics
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
    return [(rng.normal(size=(784, 256)) / 28).astype(np.float32), np.zeros(256, np.float32),
            (rng.normal(size=(256, 10)) / 16).astype(np.float32), np.zeros(10, np.float32)]


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
    state = {"params": [jnp.asarray(a) for a in init()]}

    def call(x, y):
        loss, state["params"] = step(state["params"], x, y)
        return loss

    return call, state, step


def main() -> None:
    data = batches(STEPS)
    tx = [(tensorish.tensor(x), tensorish.tensor(y)) for x, y in data]
    jx = [(jnp.asarray(x), jnp.asarray(y)) for x, y in data]
    jax.block_until_ready([t.jax() for pair in tx for t in pair])

    jax.jit(lambda a: a + 1)(jnp.ones(2)).block_until_ready()  # JAX's one-time start-up
    runs = {}
    for name, make, batch in (("jax.jit", jax_step, jx), ("tensorish.compile", tensorish_step,
                                                             tx)):
        call, state, fn = make()
        t0 = time.perf_counter()
        call(*batch[0]).block_until_ready()
        runs[name] = [call, batch, time.perf_counter() - t0, [], fn]
    for _ in range(ROUNDS):
        for run in runs.values():
            call, batch = run[0], run[1]
            t0 = time.perf_counter()
            for x, y in batch:
                loss = call(x, y)
            loss.block_until_ready()
            run[3].append((time.perf_counter() - t0) / len(batch))
    (_, _, first_j, steps_j, _), (_, _, first_t, steps_t, fn) = runs.values()
    med_j, med_t = statistics.median(steps_j) * 1e6, statistics.median(steps_t) * 1e6
    print(f"devices: {jax.devices()}")
    print(f"first step   jax.jit {first_j * 1e3:8.1f} ms   tensorish.compile "
          f"{first_t * 1e3:8.1f} ms   ratio {first_t / first_j:5.2f}")
    print(f"steady step  jax.jit {med_j:8.1f} us   tensorish.compile {med_t:8.1f} us   "
          f"ratio {med_t / med_j:5.2f}")
    print(f"tensorish.compile traces: {fn.compile_count}")


if __name__ == "__main__":
    main()

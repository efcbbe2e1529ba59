"""Eager vs ``tensorish.compile``: the same training step, from the same weights, run op by op
and as one XLA call per step. The losses are the same; the compiled step is faster.

Run it with ``python examples/05_compile.py``.
"""

import copy
import time

import numpy as np
from _common import steps, table

import tensorish
from tensorish import nn

STEPS = steps(300, 20)
rng = np.random.default_rng(0)
X = tensorish.tensor(rng.normal(size=(256, 64)).astype(np.float32))
LABELS = tensorish.tensor(rng.integers(0, 10, size=256))

tensorish.manual_seed(0)
NET = nn.Sequential(
    nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
)


def train(compiled: bool) -> tuple[list[float], list[float]]:
    net = copy.deepcopy(NET)
    opt = tensorish.optim.Adam(net.parameters(), lr=1e-3)

    def step(x, labels):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = tensorish.compile(step)
    losses, times = [], []
    for _ in range(STEPS):
        start = time.perf_counter()
        losses.append(step(X, LABELS).item())
        times.append(time.perf_counter() - start)
    return losses, times


results = {"eager": train(False), "tensorish.compile": train(True)}
eager_ms = 1000 * float(np.median(results["eager"][1][2:]))
rows = []
for name, (losses, times) in results.items():
    ms = 1000 * float(np.median(times[2:]))
    diff = float(np.max(np.abs(np.subtract(losses, results["eager"][0]))))
    rows.append([name, losses[0], losses[-1], diff, sum(times[:2]), ms, eager_ms / ms])
table(
    f"MLP 64-256-256-10, cross-entropy, Adam, {STEPS} steps",
    [
        "style",
        "loss step 0",
        f"loss step {STEPS - 1}",
        "max abs diff vs eager",
        "first 2 steps s",
        "median ms/step",
        "speedup",
    ],
    rows,
)

"""One MLP, one set of initial weights, trained four ways; the loss curves agree.

(a) imperatively with tensorish eager (``loss.backward()``, ``optimizer.step()``),
(b) the same step under ``tensorish.compile`` (one XLA call per step),
(c) functionally with Equinox + optax (a jitted ``eqx.filter_value_and_grad`` step),
(d) the Equinox model itself as a tensorish module (``tensorish.interop.from_equinox``) trained
    with ``tensorish.optim``.

The Equinox MLP supplies the initial weights; (a) and (b) copy them into an ``nn.Sequential``.
Saves ``mlp_loss_curves.png`` (next to this script, or in $TENSORISH_EXAMPLES_OUT) and prints
each style's loss at a few steps, the time of its first two steps (tracing and compiling;
``tensorish.compile`` runs the first step eagerly to find the optimizer's state) and its
median time per step after those.

Run it with ``python examples/04_mlp_imperative_vs_equinox.py`` (needs optax, tqdm and
matplotlib: pip install -e '.[examples]').
"""

import time

from _common import OUT, require, steps, table

require("optax", "tqdm", "matplotlib")

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import optax
from tqdm import tqdm

import tensorish
from tensorish import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STEPS = steps(400, 20)
LR, MOMENTUM = 0.05, 0.9
X = np.linspace(-3, 3, 256, dtype=np.float32)[:, None]
Y = np.sin(2 * X)
MLP = eqx.nn.MLP(1, 1, 32, 2, activation=jnp.tanh, key=jax.random.key(0), dtype=jnp.float32)


def sequential() -> nn.Module:
    """An nn.Sequential holding the Equinox MLP's initial weights."""
    net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    net.load_state_dict(
        {
            f"{2 * i}.{name}": tensorish.from_jax(getattr(layer, name))
            for i, layer in enumerate(MLP.layers)
            for name in ("weight", "bias")
        }
    )
    return net


def tensorish_style(net: nn.Module, compiled: bool, name: str) -> tuple[list[float], list]:
    x, y = tensorish.from_jax(jnp.asarray(X)), tensorish.from_jax(jnp.asarray(Y))
    opt = tensorish.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = tensorish.compile(step)
    losses, times = [], []
    for _ in tqdm(range(STEPS), desc=name, leave=False):
        start = time.perf_counter()
        losses.append(step(x, y).item())
        times.append(time.perf_counter() - start)
    return losses, times


def equinox_style(name: str) -> tuple[list[float], list]:
    x, y = jnp.asarray(X), jnp.asarray(Y)
    tx = optax.sgd(LR, momentum=MOMENTUM)

    @eqx.filter_jit
    def step(model, state):
        loss, grads = eqx.filter_value_and_grad(lambda m: jnp.mean((jax.vmap(m)(x) - y) ** 2))(
            model
        )
        updates, state = tx.update(grads, state)
        return eqx.apply_updates(model, updates), state, loss

    model, state = MLP, tx.init(eqx.filter(MLP, eqx.is_inexact_array))
    losses, times = [], []
    for _ in tqdm(range(STEPS), desc=name, leave=False):
        start = time.perf_counter()
        model, state, loss = step(model, state)
        losses.append(float(loss))
        times.append(time.perf_counter() - start)
    return losses, times


styles = {
    "(a) tensorish eager": lambda n: tensorish_style(sequential(), False, n),
    "(b) tensorish.compile": lambda n: tensorish_style(sequential(), True, n),
    "(c) equinox + optax": equinox_style,
    "(d) from_equinox + optim": lambda n: tensorish_style(
        tensorish.interop.from_equinox(MLP), False, n
    ),
}
curves, rows = {}, []
for name, train in styles.items():
    losses, times = train(name)
    curves[name] = losses
    ref = curves["(a) tensorish eager"]
    rows.append(
        [
            name,
            losses[0],
            losses[len(losses) // 2],
            losses[-1],
            float(np.max(np.abs(np.subtract(losses, ref)))),
            sum(times[:2]),
            1000 * float(np.median(times[2:])),
        ]
    )
table(
    f"MLP 1-32-32-1 fitting sin(2x), {STEPS} SGD steps (lr {LR}, momentum {MOMENTUM})",
    [
        "style",
        "loss step 0",
        f"loss step {STEPS // 2}",
        f"loss step {STEPS - 1}",
        "max abs diff vs (a)",
        "first 2 steps s",
        "median ms/step",
    ],
    rows,
)

fig, ax = plt.subplots(figsize=(6, 4))
for name, losses in curves.items():
    ax.plot(losses, label=name, linestyle="--" if name.startswith("(d)") else "-")
ax.set(xlabel="step", ylabel="MSE loss", yscale="log", title="Same MLP, same start, four styles")
ax.legend()
fig.tight_layout()
path = OUT / "mlp_loss_curves.png"
fig.savefig(path)
print(f"\nsaved {path}")

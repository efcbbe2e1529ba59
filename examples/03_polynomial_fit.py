"""Fit sin(x) on [-pi, pi] with a cubic a + b x + c x^2 + d x^3, two ways from the same start:
imperatively (tensors with ``requires_grad``, an update under ``no_grad``) and functionally
(a jitted step: ``jax.value_and_grad`` of a pure loss, an optax SGD update). Both end at the
same coefficients.

Run it with ``python examples/03_polynomial_fit.py`` (needs optax: pip install -e '.[examples]').
"""

import math
import time

from _common import require, steps, table

require("optax")

import jax
import jax.numpy as jnp
import numpy as np
import optax

import tensorish

STEPS = steps(2000, 200)
LR = 1e-6
X = np.linspace(-math.pi, math.pi, 2000, dtype=np.float32)
Y = np.sin(X)
INIT = np.random.default_rng(0).normal(size=4).astype(np.float32)


def imperative() -> tuple[list[float], float]:
    """PyTorch style: leaf tensors, loss.backward(), an in-place step under no_grad()."""
    x, y = tensorish.tensor(X), tensorish.tensor(Y)
    coef = [tensorish.tensor(v, requires_grad=True) for v in INIT]
    for _ in range(STEPS):
        a, b, c, d = coef
        loss = ((a + b * x + c * x**2 + d * x**3 - y) ** 2).sum()
        loss.backward()
        with tensorish.no_grad():
            for p in coef:
                p -= LR * p.grad
                p.grad = None
    return [p.item() for p in coef], loss.item()


def functional() -> tuple[list[float], float]:
    """JAX style: a pure loss of the parameters, its value_and_grad, an optax update."""
    x, y = jnp.asarray(X), jnp.asarray(Y)

    def loss_fn(coef):
        a, b, c, d = coef
        return jnp.sum((a + b * x + c * x**2 + d * x**3 - y) ** 2)

    tx = optax.sgd(LR)

    @jax.jit
    def step(coef, state):
        loss, g = jax.value_and_grad(loss_fn)(coef)
        updates, state = tx.update(g, state)
        return optax.apply_updates(coef, updates), state, loss

    coef = jnp.asarray(INIT)
    state = tx.init(coef)
    for _ in range(STEPS):
        coef, state, loss = step(coef, state)
    return [float(v) for v in coef], float(loss)


rows = []
for name, fit in [("imperative (tensorish)", imperative), ("functional (jax + optax)", functional)]:
    start = time.perf_counter()
    coef, loss = fit()
    rows.append([name, *coef, loss, time.perf_counter() - start])
table(
    f"sin(x) ~ a + b x + c x^2 + d x^3 after {STEPS} SGD steps (lr {LR})",
    ["style", "a", "b", "c", "d", "last loss", "seconds"],
    rows,
)

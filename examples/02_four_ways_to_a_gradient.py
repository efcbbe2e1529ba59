"""The seed's y = 5 (x + 1)^2, o = mean(y): one gradient computed five ways, then a Hessian
the imperative way (``create_graph=True``) and the functional way (``jax.hessian``).

Run it with ``python examples/02_four_ways_to_a_gradient.py``.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from _common import table

import tensorish


def f(x):
    """The seed's function on tensorish tensors."""
    return (5 * (x + 1) ** 2).mean()


def f_jnp(x):
    """The same function as plain jax.numpy."""
    return jnp.mean(5 * (x + 1) ** 2)


x = tensorish.ones(2, requires_grad=True)
o = f(x)
o.backward()
imperative = x.grad

autograd_grad = tensorish.autograd.grad(f(x), x)[0]
func_grad = tensorish.func.grad(f)(tensorish.ones(2))
jax_grad = jax.grad(f_jnp)(jnp.ones(2))
eqx_grad = eqx.filter_grad(f_jnp)(jnp.ones(2))

table(
    "d mean(5 (x + 1)^2) / dx at x = [1, 1]",
    ["style", "dx0", "dx1"],
    [
        ["o.backward(); x.grad", *imperative.tolist()],
        ["tensorish.autograd.grad", *autograd_grad.tolist()],
        ["tensorish.func.grad", *func_grad.tolist()],
        ["jax.grad (plain jnp)", *map(float, jax_grad)],
        ["equinox.filter_grad", *map(float, eqx_grad)],
    ],
)

# Hessian, imperatively: differentiate each entry of a gradient that kept its graph.
x = tensorish.ones(2, requires_grad=True)
(g,) = tensorish.autograd.grad(f(x), x, create_graph=True)
rows = [tensorish.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(2)]
hess_imperative = tensorish.stack(rows)
hess_func = tensorish.func.hessian(f)(tensorish.ones(2))
hess_jax = jax.hessian(f_jnp)(jnp.ones(2))

table(
    "Hessian of mean(5 (x + 1)^2) at x = [1, 1]",
    ["style", "h00", "h01", "h10", "h11"],
    [
        ["autograd.grad(create_graph=True)", *hess_imperative.flatten().tolist()],
        ["tensorish.func.hessian", *hess_func.flatten().tolist()],
        ["jax.hessian (plain jnp)", *map(float, hess_jax.ravel())],
    ],
)

"""The few tensor ops ``torch.distributions`` calls that tensorish's op table does not have yet:
``torch._standard_gamma`` (with PyTorch's reparameterised gradient), ``torch.poisson`` and
``torch.binomial`` samplers that compile once per size bucket, and
``torch.linalg.solve_triangular`` (lower, left). Each is a JAX function made a tensorish op by
``tensorish.wrap_jax`` (its gradient is ``jax.vjp``); draws take their key from the default
generator, so ``tensorish.manual_seed`` makes them reproducible.

NOTE: these belong in the op table (``_random.py``, ``ops/_linalg_functions.py``); they live
here only until the op table grows them.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _bridge, _creation, _interop, _random, ops
from .._tensor import Tensor

# PyTorch's bivariate rational approximation of the Gamma reparameterised gradient.
_COEF_UV = np.array(
    [
        [0.16009398, -0.094634809, 0.025146376, -0.0030648343]
        + [1, 0.32668115, 0.10406089, 0.0014179084],
        [0.53487893, 0.1298071, 0.065735949, -0.0015649758]
        + [0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
        [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777]
        + [0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07],
    ]
)


def _f(x: float) -> float:
    """A C float literal (``0.8f``) as PyTorch compares it against a double."""
    return float(np.float32(x))


def _standard_gamma_grad(alpha: jax.Array, x: jax.Array) -> jax.Array:
    """dx/dalpha for a Gamma(alpha, 1) draw ``x``, i.e. -(dCDF/dalpha) / pdf, computed (in
    float64) by PyTorch's three approximations: a Taylor series for small ``x``, Rice's saddle
    point expansion for large ``alpha``, a rational approximation elsewhere."""
    a, x = alpha.astype(jnp.float64), x.astype(jnp.float64)
    numer, denom = jnp.ones_like(x), a
    series1, series2 = numer / denom, numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = x**a
    gamma_pdf = x ** (a - 1) * jnp.exp(-x)
    gamma_cdf = pow_x_alpha * series1
    gamma_cdf_alpha = (
        jnp.log(x) - jax.scipy.special.digamma(a)
    ) * gamma_cdf - pow_x_alpha * series2
    taylor = -gamma_cdf_alpha / gamma_pdf
    taylor = jnp.where(jnp.isnan(taylor), 0.0, taylor)

    numer_1 = 1 + 24 * a * (1 + 12 * a)
    numer_2 = 1440 * (a * a) + 6 * x * (53 - 120 * x) - 65 * x * x / a + a * (107 + 3600 * x)
    rice_near = numer_1 * numer_2 / (1244160 * (a * a) * (a * a))
    denom = jnp.sqrt(8 * a)
    term2 = denom / (a - x)
    term3 = (x - a - a * jnp.log(x / a)) ** -1.5
    term23 = jnp.where(x < a, term2 - term3, term2 + term3)
    term1 = jnp.log(x / a) * term23 - jnp.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
    stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
    rice = jnp.where(
        (_f(0.9) * a <= x) & (x <= _f(1.1) * a), rice_near, -stirling * x * term1 / denom
    )

    u, v = jnp.log(x / a)[..., None], jnp.log(a)
    c = _COEF_UV[0] + u * (_COEF_UV[1] + u * _COEF_UV[2])
    p = c[..., 0] + v * (c[..., 1] + v * (c[..., 2] + v * c[..., 3]))
    q = c[..., 4] + v * (c[..., 5] + v * (c[..., 6] + v * c[..., 7]))
    rational = jnp.exp(p / q)

    out = jnp.where(x < _f(0.8), taylor, jnp.where(a > 8, rice, rational))
    return out.astype(alpha.dtype)


@jax.custom_jvp
def _gamma_reparam(alpha: jax.Array, x: jax.Array) -> jax.Array:
    """``x`` (a Gamma(alpha, 1) draw), differentiable in ``alpha`` by implicit
    reparameterisation, as ``torch._standard_gamma``."""
    return x


@_gamma_reparam.defjvp
def _gamma_reparam_jvp(primals: tuple, tangents: tuple) -> tuple:
    alpha, x = primals
    return x, _standard_gamma_grad(alpha, x) * tangents[0]


_attach_gamma_grad = _bridge.wrap_jax(_gamma_reparam, name="StandardGamma")


@jax.jit
def _gamma_draw(key: jax.Array, alpha: jax.Array) -> jax.Array:
    x = jax.random.gamma(key, alpha, dtype=alpha.dtype)
    return jnp.maximum(x, jnp.finfo(x.dtype).tiny)  # small concentrations underflow to 0


_poisson_draw = jax.jit(lambda key, rate: jax.random.poisson(key, rate).astype(rate.dtype))
_binomial_draw = jax.jit(lambda key, n, p: jax.random.binomial(key, n, p, dtype=p.dtype))


def _padded(params: tuple[Tensor, ...], fills: tuple[float, ...]) -> tuple[list[Tensor], int]:
    """The parameters flattened and padded (with valid ``fills``) to a size bucket (128, 1024,
    8192, ...), and their number of elements: JAX's rejection samplers (and the Gamma gradient)
    take about a second to compile, so they compile once per bucket instead of once per shape.
    """
    n = params[0].numel()
    size = 128
    while size < n:
        size *= 8
    flat = [p.reshape(-1) for p in params]
    if size == n:
        return flat, n
    return [
        ops.cat([f, _creation.full((size - n,), fill, dtype=f.dtype, device=f.device)])
        for f, fill in zip(flat, fills)
    ], n


def _draw(draw: Callable, params: tuple[Tensor, ...], fills: tuple[float, ...]) -> Tensor:
    """``draw(key, *params)`` (no gradient), computed on padded flat parameters."""
    flat, n = _padded(params, fills)
    out = draw(_random.default_generator.next_key(), *(f.detach().jax() for f in flat))
    return _interop.from_jax(out)[:n].reshape(params[0].shape)


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples (at least the dtype's ``tiny``), reparameterised:
    gradients reach ``concentration`` as PyTorch's ``_standard_gamma_grad``."""
    (alpha,), n = _padded((concentration,), (1.0,))
    x = _gamma_draw(_random.default_generator.next_key(), alpha.detach().jax())
    return _attach_gamma_grad(alpha, x)[:n].reshape(concentration.shape)


def poisson(rate: Tensor) -> Tensor:
    """Poisson(rate) samples in ``rate``'s dtype (no gradient)."""
    return _draw(_poisson_draw, (rate,), (1.0,))


def binomial(count: Tensor, prob: Tensor) -> Tensor:
    """Binomial(count, prob) samples in ``prob``'s dtype (no gradient)."""
    return _draw(_binomial_draw, (count, prob), (0.0, 0.5))


def _solve_tril(a: jax.Array, b: jax.Array) -> jax.Array:
    """``X`` with ``A @ X = B`` for lower-triangular ``A`` (batch dims broadcast), as
    ``torch.linalg.solve_triangular(A, B, upper=False)``."""
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    return jax.lax.linalg.triangular_solve(a, b, left_side=True, lower=True)


solve_tril = _bridge.wrap_jax(_solve_tril, name="LinalgSolveTriangular")

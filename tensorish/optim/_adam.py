"""Adam and its relatives: Adam, AdamW, Adamax, NAdam, RAdam, Adafactor, and Muon.

Each update follows PyTorch's single-tensor ("for-loop") implementation operation by operation:
tensor math in the parameter's dtype, scalar math (bias corrections) in double.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    addcdiv,
    addcmul,
    check,
    check_lr,
    f64,
    group_update,
    hyper,
    is_set,
    lerp,
    like,
    map_group,
    scalar,
    step_state,
    zeros_state,
)


def _check_betas(eps: float, betas: tuple, weight_decay: float) -> None:
    check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


def _decay(p, g, lr, weight_decay, decay, decoupled):
    """Weight decay: into the gradient (L2) or straight onto the parameter (decoupled)."""
    if decay:
        if decoupled:
            p = p * like(1 - lr * weight_decay, p)
        else:
            g = g + like(weight_decay, g) * p
    return p, g


def _adam_one(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    max_sq,
    step,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decay,
    decoupled,
):
    g = -g if maximize else g
    step = step + 1
    p, g = _decay(p, g, lr, weight_decay, decay, decoupled)
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = addcmul(exp_avg_sq * like(beta2, g), g, g, 1 - beta2)
    bias_correction1 = 1 - beta1 ** f64(step)
    bias_correction2 = 1 - beta2 ** f64(step)
    step_size = lr / bias_correction1
    if amsgrad:
        max_sq = jnp.maximum(max_sq, exp_avg_sq)
    denom = jnp.sqrt(max_sq if amsgrad else exp_avg_sq) / like(bias_correction2**0.5, g)
    denom = denom + like(eps, g)
    return addcdiv(p, exp_avg, denom, -step_size), exp_avg, exp_avg_sq, max_sq, step


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad or with decoupled weight decay (AdamW).

    >>> import tensorish
    >>> w = tensorish.ones(2, requires_grad=True)
    >>> opt = tensorish.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000, 0.9000], requires_grad=True)
    """

    _kernel = group_update(map_group(_adam_one), ("amsgrad", "maximize", "decay", "decoupled"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_lr(lr)
        _check_betas(eps, betas, weight_decay)
        betas = tuple(scalar(b) if isinstance(b, Tensor) else b for b in betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")

    def _init_state(self, p, group):
        state = {"step": step_state(p), "exp_avg": zeros_state(p), "exp_avg_sq": zeros_state(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(p)
        return state

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {
            "lr": hyper(group["lr"]),
            "beta1": hyper(b1),
            "beta2": hyper(b2),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {
            "amsgrad": bool(group["amsgrad"]),
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
            "decoupled": bool(group["decoupled_weight_decay"]),
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    >>> import tensorish
    >>> opt = tensorish.optim.AdamW([tensorish.ones(1, requires_grad=True)])
    >>> opt.defaults["weight_decay"]
    0.01
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )


def _adamax_one(
    p, g, exp_avg, exp_inf, step, *, lr, beta1, beta2, eps, weight_decay, maximize, decay
):
    g = -g if maximize else g
    step = step + 1
    if decay:
        g = g + like(weight_decay, g) * p
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_inf = jnp.maximum(exp_inf * like(beta2, g), jnp.abs(g) + like(eps, g))
    clr = lr / (1 - beta1 ** f64(step))
    return addcdiv(p, exp_avg, exp_inf, -clr), exp_avg, exp_inf, step


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm.

    >>> import tensorish
    >>> tensorish.optim.Adamax([tensorish.ones(1, requires_grad=True)]).defaults["lr"]
    0.002
    """

    _kernel = group_update(map_group(_adamax_one), ("maximize", "decay"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        _check_betas(eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_inf", "step")

    def _init_state(self, p, group):
        return {"step": step_state(p), "exp_avg": zeros_state(p), "exp_inf": zeros_state(p)}

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {
            "lr": hyper(group["lr"]),
            "beta1": hyper(b1),
            "beta2": hyper(b2),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {"maximize": bool(group["maximize"]), "decay": is_set(group["weight_decay"])}


def _nadam_one(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    mu_product,
    step,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    momentum_decay,
    maximize,
    decay,
    decoupled,
):
    g = -g if maximize else g
    step = step + 1
    s = f64(step)
    bias_correction2 = 1 - beta2**s
    p, g = _decay(p, g, lr, weight_decay, decay, decoupled)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (s * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((s + 1) * momentum_decay)))
    mu_product = mu_product * like(mu, mu_product)
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = addcmul(exp_avg_sq * like(beta2, g), g, g, 1 - beta2)
    denom = jnp.sqrt(exp_avg_sq / like(bias_correction2, g)) + like(eps, g)
    mp = f64(mu_product)
    p = addcdiv(p, g, denom, -lr * (1.0 - mu) / (1.0 - mp))
    p = addcdiv(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mp * mu_next))
    return p, exp_avg, exp_avg_sq, mu_product, step


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat), with PyTorch's momentum-decay schedule.

    >>> import tensorish
    >>> tensorish.optim.NAdam([tensorish.ones(1, requires_grad=True)]).defaults["momentum_decay"]
    0.004
    """

    _kernel = group_update(map_group(_nadam_one), ("maximize", "decay", "decoupled"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        _check_betas(eps, betas, weight_decay)
        check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq", "mu_product", "step")

    def _init_state(self, p, group):
        return {
            "step": step_state(p),
            "mu_product": step_state(p, 1.0),
            "exp_avg": zeros_state(p),
            "exp_avg_sq": zeros_state(p),
        }

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {
            "lr": hyper(group["lr"]),
            "beta1": hyper(b1),
            "beta2": hyper(b2),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
            "momentum_decay": float(group["momentum_decay"]),
        }

    def _flags(self, group):
        return {
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
            "decoupled": bool(group["decoupled_weight_decay"]),
        }


def _radam_one(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    step,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    maximize,
    decay,
    decoupled,
):
    g = -g if maximize else g
    step = step + 1
    s = f64(step)
    p, g = _decay(p, g, lr, weight_decay, decay, decoupled)
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = addcmul(exp_avg_sq * like(beta2, g), g, g, 1 - beta2)
    bias_correction1 = 1 - beta1**s
    bias_correction2 = 1 - beta2**s
    corrected = exp_avg / like(bias_correction1, g)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * s * (beta2**s) / bias_correction2
    rect = jnp.sqrt(
        jnp.maximum(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.0
        )
    )
    # NOTE: ``float / tensor`` is ``tensor.reciprocal() * float`` in PyTorch.
    adaptive = (1 / (jnp.sqrt(exp_avg_sq) + like(eps, g))) * like(bias_correction2**0.5, g)
    rectified = corrected * like(lr, g) * adaptive * like(rect, g)
    plain = corrected * like(lr, g)
    return p - jnp.where(rho_t > 5.0, rectified, plain), exp_avg, exp_avg_sq, step


class RAdam(Optimizer):
    """Rectified Adam (Liu et al.).

    >>> import tensorish
    >>> tensorish.optim.RAdam([tensorish.ones(1, requires_grad=True)]).defaults["lr"]
    0.001
    """

    _kernel = group_update(map_group(_radam_one), ("maximize", "decay", "decoupled"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        _check_betas(eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq", "step")

    def _init_state(self, p, group):
        return {"step": step_state(p), "exp_avg": zeros_state(p), "exp_avg_sq": zeros_state(p)}

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {
            "lr": hyper(group["lr"]),
            "beta1": hyper(b1),
            "beta2": hyper(b2),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
            "decoupled": bool(group["decoupled_weight_decay"]),
        }


def _norm(x, axis=None):
    return jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=axis is not None))


def _adafactor_one(
    p,
    g,
    row_var,
    col_var,
    variance,
    step,
    *,
    lr,
    beta2_decay,
    eps2,
    d,
    weight_decay,
    eps1,
    maximize,
    decay,
):
    g = -g if maximize else g
    eps1 = float(jnp.finfo(p.dtype).eps) if eps1 is None else eps1
    step = step + 1
    s = f64(step)
    one_minus_beta2_t = s**beta2_decay
    rho_t = jnp.minimum(lr, 1 / s**0.5)
    alpha = jnp.maximum(eps2, f64(_norm(p)) / math.sqrt(p.size)) * rho_t
    if decay:
        p = p * like(1 - lr * weight_decay, p)
    if g.ndim > 1:
        row_mean = jnp.square(_norm(g, -1)) / like(g.shape[-1], g)
        row_var = lerp(row_var, row_mean, one_minus_beta2_t)
        col_mean = jnp.square(_norm(g, -2)) / like(g.shape[-2], g)
        col_var = lerp(col_var, col_mean, one_minus_beta2_t)
        estimate = (row_var @ col_var) / jnp.maximum(row_var.mean(-2, keepdims=True), like(eps1, g))
    else:
        variance = lerp(variance, g * g, one_minus_beta2_t)
        estimate = variance
    update = jax.lax.rsqrt(jnp.maximum(estimate, like(eps1 * eps1, g))) * g
    denom = jnp.maximum(1.0, f64(_norm(update)) / (math.sqrt(update.size) * d))
    return p + like(-alpha / denom, p) * update, row_var, col_var, variance, step


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern): Adam without first moment, its second moment factored into
    row and column averages for matrices, and a relative step size.

    >>> import tensorish
    >>> opt = tensorish.optim.Adafactor([tensorish.ones(2, 3, requires_grad=True)])
    >>> opt.defaults["beta2_decay"]
    -0.8
    """

    _kernel = group_update(map_group(_adafactor_one), ("eps1", "maximize", "decay"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(0.0 <= scalar(lr), f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("row_var", "col_var", "variance", "step")

    def _init_state(self, p, group):
        if p.dtype.is_complex:
            raise RuntimeError("Adafactor does not support complex parameters")
        state = {"step": step_state(p)}
        if p.ndim > 1:
            row, col = list(p.shape), list(p.shape)
            row[-1] = col[-2] = 1
            state["row_var"] = zeros_state(p, tuple(row))
            state["col_var"] = zeros_state(p, tuple(col))
        else:
            state["variance"] = zeros_state(p)
        return state

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "beta2_decay": float(group["beta2_decay"]),
            "eps2": float(group["eps"][1]),
            "d": float(group["d"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        eps1 = group["eps"][0]
        return {
            "eps1": None if eps1 is None else float(eps1),
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
        }


def _bf16_mm(x, y):
    """A bfloat16 matmul accumulated in float32 (as PyTorch's CPU kernel), unrounded."""
    return jnp.matmul(x, y, preferred_element_type=jnp.float32)


def _newton_schulz(g, a, b, c, steps, eps):
    """The orthogonalisation of ``g`` by quintic Newton-Schulz iterations, in bfloat16."""
    bf16 = jnp.bfloat16
    x = g.astype(bf16)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = jnp.sqrt(jnp.sum(jnp.square(x.astype(jnp.float32)))).astype(bf16)
    x = (x.astype(jnp.float32) / jnp.maximum(norm, like(eps, norm)).astype(jnp.float32)).astype(
        bf16
    )
    for _ in range(steps):
        gram = _bf16_mm(x, x.T).astype(bf16)
        update = (b * gram.astype(jnp.float32) + c * _bf16_mm(gram, gram)).astype(bf16)
        x = (a * x.astype(jnp.float32) + _bf16_mm(update, x)).astype(bf16)
    return x.T if tall else x


def _muon_one(
    p, g, buf, *, lr, weight_decay, momentum, ns_a, ns_b, ns_c, eps, nesterov, ns_steps, adjust
):
    buf = lerp(buf, g, 1 - momentum)
    update = lerp(g, buf, momentum) if nesterov else buf
    update = _newton_schulz(update, ns_a, ns_b, ns_c, ns_steps, eps)
    rows, cols = p.shape[:2]
    if adjust is None or adjust == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    p = p * like(1 - lr * weight_decay, p)
    return p + like(-(lr * ratio), p) * update.astype(p.dtype), buf


class Muon(Optimizer):
    """Muon: SGD momentum whose update is orthogonalised by Newton-Schulz iterations (run in
    bfloat16, as PyTorch does); for 2-D parameters only.

    >>> import tensorish
    >>> tensorish.optim.Muon([tensorish.ones(2, 3, requires_grad=True)]).defaults["momentum"]
    0.95
    """

    _kernel = group_update(map_group(_muon_one), ("nesterov", "ns_steps", "adjust"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.7750, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(0.0 <= scalar(lr), f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        check(
            adjust_lr_fn is None or adjust_lr_fn in ["original", "match_rms_adamw"],
            f"Adjust learning rate function {adjust_lr_fn} is not supported",
        )
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {p.size()}"
                    )

    def _state_keys(self, group):
        return ("momentum_buffer",)

    def _init_state(self, p, group):
        if p.dtype.is_complex:
            raise RuntimeError("Muon does not support complex parameters")
        return {"momentum_buffer": zeros_state(p)}

    def _hyper(self, group):
        a, b, c = group["ns_coefficients"]
        return {
            "lr": hyper(group["lr"]),
            "weight_decay": hyper(group["weight_decay"]),
            "momentum": float(group["momentum"]),
            "ns_a": float(a),
            "ns_b": float(b),
            "ns_c": float(c),
            "eps": float(group["eps"]),
        }

    def _flags(self, group):
        if group["ns_steps"] >= 100:
            raise ValueError("Number of steps must be less than 100 for computational efficiency")
        return {
            "nesterov": bool(group["nesterov"]),
            "ns_steps": int(group["ns_steps"]),
            "adjust": group["adjust_lr_fn"],
        }

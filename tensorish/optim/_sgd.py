"""SGD and the adaptive-rate classics: SGD, ASGD, RMSprop, Rprop, Adagrad, Adadelta.

Each update follows PyTorch's single-tensor ("for-loop") implementation operation by operation.
"""

from __future__ import annotations

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


def _sgd_one(
    p,
    g,
    buf=None,
    *,
    lr,
    momentum,
    dampening,
    weight_decay,
    maximize,
    decay,
    nesterov,
    use_momentum,
):
    g = -g if maximize else g
    if decay:
        g = g + like(weight_decay, g) * p
    if use_momentum:
        # The first step seeds the buffer with the gradient itself (no dampening).
        buf = g if buf is None else buf * like(momentum, g) + like(1 - dampening, g) * g
        g = g + like(momentum, g) * buf if nesterov else buf
    return p + like(-lr, p) * g, buf


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    >>> import tensorish
    >>> w = tensorish.ones(2, requires_grad=True)
    >>> opt = tensorish.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000, 0.8000], requires_grad=True)
    """

    _kernel = group_update(map_group(_sgd_one), ("maximize", "decay", "nesterov", "use_momentum"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
        check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check(scalar(weight_decay) >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "momentum": float(group["momentum"]),
            "dampening": float(group["dampening"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
            "nesterov": bool(group["nesterov"]),
            "use_momentum": group["momentum"] != 0,
        }


def _rmsprop_one(
    p,
    g,
    square_avg,
    grad_avg,
    buf,
    step,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    maximize,
    decay,
    centered,
    use_momentum,
):
    g = -g if maximize else g
    step = step + 1
    if decay:
        g = g + like(weight_decay, g) * p
    square_avg = addcmul(square_avg * like(alpha, g), g, g, 1 - alpha)
    if centered:
        grad_avg = lerp(grad_avg, g, 1 - alpha)
        avg = jnp.sqrt(addcmul(square_avg, grad_avg, grad_avg, -1))
    else:
        avg = jnp.sqrt(square_avg)
    avg = avg + like(eps, g)
    if use_momentum:
        buf = addcdiv(buf * like(momentum, g), g, avg)
        p = p + like(-lr, p) * buf
    else:
        p = addcdiv(p, g, avg, -lr)
    return p, square_avg, grad_avg, buf, step


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum.

    >>> import tensorish
    >>> tensorish.optim.RMSprop([tensorish.ones(1, requires_grad=True)]).defaults["alpha"]
    0.99
    """

    _kernel = group_update(
        map_group(_rmsprop_one), ("maximize", "decay", "centered", "use_momentum")
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("square_avg", "grad_avg", "momentum_buffer", "step")

    def _init_state(self, p, group):
        state = {"step": step_state(p), "square_avg": zeros_state(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(p)
        if group["centered"]:
            state["grad_avg"] = zeros_state(p)
        return state

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "alpha": float(group["alpha"]),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
            "momentum": float(group["momentum"]),
        }

    def _flags(self, group):
        return {
            "maximize": bool(group["maximize"]),
            "decay": is_set(group["weight_decay"]),
            "centered": bool(group["centered"]),
            "use_momentum": group["momentum"] > 0,
        }


def _adagrad_one(p, g, state_sum, step, *, lr, lr_decay, eps, weight_decay, maximize, decay):
    step = step + 1
    g = -g if maximize else g
    if decay:
        g = g + like(weight_decay, g) * p
    clr = lr / (1 + (f64(step) - 1) * lr_decay)
    state_sum = addcmul(state_sum, g, g, 1)
    std = jnp.sqrt(state_sum) + like(eps, g)
    return addcdiv(p, g, std, -clr), state_sum, step


_full_like = jax.jit(lambda p, v: jnp.full_like(p, v))


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.); its state is created with the optimizer, as in PyTorch.

    >>> import tensorish
    >>> opt = tensorish.optim.Adagrad([tensorish.ones(1, requires_grad=True)])
    >>> sorted(opt.state_dict()["state"][0])
    ['step', 'sum']
    """

    _kernel = group_update(map_group(_adagrad_one), ("maximize", "decay"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(
            0.0 <= initial_accumulator_value,
            f"Invalid initial_accumulator_value value: {initial_accumulator_value}",
        )
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    def _state_keys(self, group):
        return ("sum", "step")

    def _init_state(self, p, group):
        return {
            "step": step_state(p),
            "sum": Tensor._wrap(_full_like(p._value, group["initial_accumulator_value"])),
        }

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "lr_decay": float(group["lr_decay"]),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {"maximize": bool(group["maximize"]), "decay": is_set(group["weight_decay"])}


def _adadelta_one(
    p, g, square_avg, acc_delta, step, *, lr, rho, eps, weight_decay, maximize, decay
):
    step = step + 1
    g = -g if maximize else g
    if decay:
        g = g + like(weight_decay, g) * p
    square_avg = addcmul(square_avg * like(rho, g), g, g, 1 - rho)
    std = jnp.sqrt(square_avg + like(eps, g))
    delta = jnp.sqrt(acc_delta + like(eps, g)) / std * g
    acc_delta = addcmul(acc_delta * like(rho, g), delta, delta, 1 - rho)
    return p + like(-lr, p) * delta, square_avg, acc_delta, step


class Adadelta(Optimizer):
    """Adadelta (Zeiler).

    >>> import tensorish
    >>> tensorish.optim.Adadelta([tensorish.ones(1, requires_grad=True)]).defaults["rho"]
    0.9
    """

    _kernel = group_update(map_group(_adadelta_one), ("maximize", "decay"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("square_avg", "acc_delta", "step")

    def _init_state(self, p, group):
        return {"step": step_state(p), "square_avg": zeros_state(p), "acc_delta": zeros_state(p)}

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "rho": float(group["rho"]),
            "eps": float(group["eps"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {"maximize": bool(group["maximize"]), "decay": is_set(group["weight_decay"])}


def _asgd_one(p, g, eta, mu, ax, step, *, lr, lambd, alpha, t0, weight_decay, maximize, decay):
    g = -g if maximize else g
    step = step + 1
    if decay:
        g = g + like(weight_decay, g) * p
    e = f64(eta)
    p = p * like(1 - lambd * e, p)
    p = p + like(-e, p) * g
    # PyTorch copies the parameter while mu is exactly 1 (until step t0), else averages.
    ax = jnp.where(mu != 1, ax + (p - ax) * mu.astype(ax.dtype), p)
    s = f64(step)
    eta = (lr / ((1 + lambd * lr * s) ** alpha)).astype(eta.dtype)
    mu = (1 / jnp.maximum(1.0, s - t0)).astype(mu.dtype)
    return p, eta, mu, ax, step


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (Polyak and Juditsky); the average is in the
    ``ax`` state.

    >>> import tensorish
    >>> opt = tensorish.optim.ASGD([tensorish.ones(1, requires_grad=True)])
    >>> opt.defaults["t0"]
    1000000.0
    """

    _kernel = group_update(map_group(_asgd_one), ("maximize", "decay"))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("eta", "mu", "ax", "step")

    def _init_state(self, p, group):
        return {
            "step": step_state(p),
            "eta": step_state(p, scalar(group["lr"])),
            "mu": step_state(p, 1.0),
            "ax": zeros_state(p),
        }

    def _hyper(self, group):
        return {
            "lr": hyper(group["lr"]),
            "lambd": float(group["lambd"]),
            "alpha": float(group["alpha"]),
            "t0": float(group["t0"]),
            "weight_decay": hyper(group["weight_decay"]),
        }

    def _flags(self, group):
        return {"maximize": bool(group["maximize"]), "decay": is_set(group["weight_decay"])}


def _rprop_one(
    p, g, prev, step_size, step, *, etaminus, etaplus, step_size_min, step_size_max, maximize
):
    g = -g if maximize else g
    step = step + 1
    prod = g * prev
    factor = jnp.where(prod > 0, like(etaplus, g), jnp.where(prod < 0, like(etaminus, g), 1))
    step_size = jnp.clip(
        step_size * factor, like(step_size_min, step_size), like(step_size_max, step_size)
    )
    g = jnp.where(prod < 0, 0, g)  # no step, and no sign memory, after a sign change
    return addcmul(p, jnp.sign(g), step_size, -1), g, step_size, step


class Rprop(Optimizer):
    """Resilient backpropagation: per-element step sizes grown or shrunk by the sign of the
    gradient (the gradient's size is ignored).

    >>> import tensorish
    >>> tensorish.optim.Rprop([tensorish.ones(1, requires_grad=True)]).defaults["etas"]
    (0.5, 1.2)
    """

    _kernel = group_update(map_group(_rprop_one), ("maximize",))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("prev", "step_size", "step")

    def _init_state(self, p, group):
        lr = scalar(group["lr"])
        fill = complex(lr, lr) if p.dtype.is_complex else lr
        return {
            "step": step_state(p),
            "prev": zeros_state(p),
            "step_size": Tensor._wrap(_full_like(p._value, fill)),
        }

    def _hyper(self, group):
        (etaminus, etaplus), (smin, smax) = group["etas"], group["step_sizes"]
        return {
            "etaminus": float(etaminus),
            "etaplus": float(etaplus),
            "step_size_min": float(smin),
            "step_size_max": float(smax),
        }

    def _flags(self, group):
        return {"maximize": bool(group["maximize"])}

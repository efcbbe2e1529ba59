"""``gradcheck``/``gradgradcheck``: analytical gradients against central finite differences."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor
from ._backward import grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients differ."""


def _tuple(x) -> tuple:
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    return tuple(o for o in _tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical(func: Callable, inputs: tuple, i: int, eps: float) -> list[np.ndarray]:
    """d outputs / d inputs[i] by central differences: one (numel_in, numel_out) per output."""
    x = np.asarray(inputs[i]._value)
    cols = []
    for j in range(x.size):
        vals = []
        for step in (eps, -eps):
            xp = x.copy().reshape(-1)
            xp[j] += step
            args = list(inputs)
            args[i] = Tensor._wrap(jnp.asarray(xp.reshape(x.shape)))
            args[i]._requires_grad = inputs[i]._requires_grad
            vals.append(
                [np.asarray(o._value, np.float64).reshape(-1) for o in _outputs(func, tuple(args))]
            )
        cols.append([(a - b) / (2 * eps) for a, b in zip(*vals)])
    n_out = len(cols[0]) if cols else 0
    return [np.stack([c[o] for c in cols]) if cols else np.zeros((0, 0)) for o in range(n_out)]


def _analytical(outputs: tuple, inputs: tuple, diff: list[int]) -> list[list[np.ndarray]]:
    """jac[o][k]: (numel of input diff[k], numel of output o), row by row through backward."""
    jac = []
    for out in outputs:
        n = out.numel()
        per_in = [np.zeros((inputs[i].numel(), n)) for i in diff]
        if out.requires_grad:
            for j in range(n):
                onehot = np.zeros(n, np.asarray(out._value).dtype)
                onehot[j] = 1
                gs = grad(
                    out,
                    [inputs[i] for i in diff],
                    Tensor._wrap(jnp.asarray(onehot.reshape(out.shape))),
                    retain_graph=True,
                    allow_unused=True,
                )
                for k, g in enumerate(gs):
                    if g is not None:
                        per_in[k][:, j] = np.asarray(g._value).reshape(-1)
        jac.append(per_in)
    return jac


def gradcheck(
    func: Callable,
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` (float64 tensors) against finite
    differences; raise ``GradcheckError`` (or return False) on a mismatch.

    >>> import tensorish
    >>> x = tensorish.tensor([1., 2.], dtype=tensorish.float64, requires_grad=True)
    >>> tensorish.autograd.gradcheck(lambda x: (x * x).sum(), (x,))
    True
    """
    inputs = _tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=2,
            )
    if not diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
    outputs = _outputs(func, inputs)
    analytical = _analytical(outputs, inputs, diff)
    for k, i in enumerate(diff):
        numerical = _numerical(func, inputs, i, eps)
        for o, (num, ana) in enumerate(zip(numerical, (a[k] for a in analytical))):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                num_t, ana_t = (Tensor._wrap(jnp.asarray(a)) for a in (num, ana))
                raise GradcheckError(
                    f"Jacobian mismatch for output {o} with respect to input {i},\n"
                    f"numerical:{num_t}\nanalytical:{ana_t}\n"
                )
    return True


def gradgradcheck(
    func: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """``gradcheck`` of the gradient of ``func`` (its backward with ``create_graph=True``), with
    respect to the inputs and to the output gradients.

    >>> import tensorish
    >>> x = tensorish.tensor([1., 2.], dtype=tensorish.float64, requires_grad=True)
    >>> tensorish.autograd.gradgradcheck(lambda x: x ** 3, (x,))
    True
    """
    inputs = _tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(jnp.asarray(rng.standard_normal(o.shape), o._v.dtype)).requires_grad_()
            for o in _outputs(func, inputs)
            if o.requires_grad
        )
    grad_outputs = _tuple(grad_outputs)
    n = len(inputs)

    def new_func(*args):
        outs = [o for o in _outputs(func, args[:n]) if o.requires_grad]
        ins = [a for a in args[:n] if isinstance(a, Tensor) and a.requires_grad]
        gs = grad(outs, ins, list(args[n:]), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        new_func,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )

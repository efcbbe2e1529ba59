"""``torch.autograd.functional`` on the imperative engine: vjp, jvp, jacobian, hessian, vhp, hvp.

Each function runs ``func`` on fresh leaves and differentiates with ``autograd.grad`` (jvp by the
double-vjp trick), so these agree with ``.backward()`` by construction; ``tensorish.func`` is the
JAX-transform counterpart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from .._creation import ones_like, zeros_like
from .._dispatch import Op, apply
from .._tensor import Tensor
from ._backward import grad as _grad

_stack = Op("StackBackward0", lambda *xs, shape: jnp.stack(xs).reshape(shape))

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, arg: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but "
                    f"the value at index {i} has type {type(t)}."
                )
            raise TypeError(
                f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                f"given {arg} has type {type(t)}."
            )
    return is_tuple, xs


def _leaves(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves for ``inputs``; with ``create_graph``, ones still connected to them."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t * 1)
        else:
            out.append(Tensor._wrap(t._value).requires_grad_(True))
    return tuple(out)


def _grads(outputs, inputs, v, create_graph: bool, retain: bool = True) -> tuple:
    """d outputs / d inputs against ``v``; unused inputs get zeros."""
    outs = [o for o in outputs if o.requires_grad]
    vs = [g for o, g in zip(outputs, v) if o.requires_grad]
    if not outs:
        return tuple(Tensor._wrap(jnp.zeros_like(x._value)) for x in inputs)
    gs = _grad(
        outs,
        list(inputs),
        vs,
        retain_graph=retain,
        create_graph=create_graph,
        materialize_grads=True,
    )
    return tuple(g if create_graph else g.detach() for g in gs)


def _result(is_tuple: bool, xs: tuple):
    return xs if is_tuple else xs[0]


def _out(x, create_graph: bool):
    return x if create_graph else x.detach()


def _input_vector(inputs: tuple, v: Any, fn: str) -> tuple:
    """``v`` as a tuple; None only for one single-element input, where it means ones."""
    if v is not None:
        return _as_tuple(v, "v", fn)[1]
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    return (ones_like(inputs[0]),)


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T J)``.

    >>> import tensorish
    >>> tensorish.autograd.functional.vjp(lambda x: x ** 2, tensorish.tensor([1., 2.]),
    ...                                   tensorish.ones(2))[1]
    tensor([2., 4.])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    xs = _leaves(inputs, create_graph)
    out_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        v = (ones_like(outputs[0]),)
    else:
        v = _as_tuple(v, "v", "vjp")[1]
    gs = _grads(outputs, xs, v, create_graph)
    return (
        _result(out_tuple, tuple(_out(o, create_graph) for o in outputs)),
        _result(in_tuple, gs),
    )


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), J v)``, by differentiating a vjp with respect to its cotangent.

    >>> import tensorish
    >>> tensorish.autograd.functional.jvp(lambda x: x ** 2, tensorish.tensor([1., 2.]),
    ...                                   tensorish.ones(2))[1]
    tensor([2., 4.])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    v = _input_vector(inputs, v, "jvp")
    xs = _leaves(inputs, create_graph)
    out_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
    us = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
    gs = _grads(outputs, xs, us, True)
    used = [(g, t) for g, t in zip(gs, v) if g.requires_grad]
    if used:
        res = _grad(
            [g for g, _ in used],
            list(us),
            [t for _, t in used],
            create_graph=create_graph,
            materialize_grads=True,
        )
        res = tuple(_out(r, create_graph) for r in res)
    else:
        res = tuple(zeros_like(o).detach() for o in outputs)
    return (
        _result(out_tuple, tuple(_out(o, create_graph) for o in outputs)),
        _result(out_tuple, res),
    )


def _stack_rows(rows: list, shape: tuple):
    return apply(_stack, tuple(rows), (("shape", shape),))


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for each output and input, a tensor of shape
    ``output.shape + input.shape`` (nested in tuples as the outputs and inputs are).

    >>> import tensorish
    >>> tensorish.autograd.functional.jacobian(lambda x: x ** 2, tensorish.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _leaves(inputs, create_graph)
    out_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
    jac = []
    for out in outputs:
        rows: list[list] = [[] for _ in xs]
        n = out.numel()
        for j in range(n):
            onehot = Tensor._wrap(jnp.zeros(n, out._v.dtype).at[j].set(1).reshape(out.shape))
            gs = (
                _grads([out], xs, [onehot], create_graph)
                if out.requires_grad
                else tuple(zeros_like(x) for x in xs)
            )
            for k, g in enumerate(gs):
                rows[k].append(g)
        per_in = []
        for k, x in enumerate(xs):
            shape = tuple(out.shape) + tuple(x.shape)
            if rows[k]:
                per_in.append(_out(_stack_rows(rows[k], shape), create_graph))
            else:
                per_in.append(Tensor._wrap(jnp.zeros(shape, x._v.dtype)))
        jac.append(_result(in_tuple, tuple(per_in)))
    return _result(out_tuple, tuple(jac))


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func``: the Jacobian of its gradient.

    >>> import tensorish
    >>> tensorish.autograd.functional.hessian(lambda x: (x ** 3).sum(), tensorish.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs):
        out = func(*xs)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return outs[0].sum() if outs[0].ndim else outs[0]

    def grad_func(*xs):
        gs = _grads([scalar(*xs)], xs, [None], True)
        return gs

    return jacobian(
        lambda *xs: _result(is_tuple, grad_func(*xs)),
        _result(is_tuple, inputs),
        create_graph=create_graph,
    )


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar ``func``.

    >>> import tensorish
    >>> tensorish.autograd.functional.vhp(lambda x: (x ** 3).sum(), tensorish.tensor([1., 2.]),
    ...                                   tensorish.ones(2))[1]
    tensor([ 6., 12.])
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    v = _input_vector(inputs, v, "vhp")
    xs = _leaves(inputs, create_graph)
    _, outputs = _as_tuple(func(*xs), "outputs of the user-provided function", "vhp")
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(
            "The function given to vhp should return a single Tensor with a single element"
        )
    out = outputs[0]
    gs = _grads([out], xs, [None], True)
    used = [(g, t) for g, t in zip(gs, v) if g.requires_grad]
    res = _grads([g for g, _ in used], xs, [t for _, t in used], create_graph)
    return _out(out, create_graph), _result(in_tuple, res)


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to ``vhp``: H is symmetric).

    >>> import tensorish
    >>> tensorish.autograd.functional.hvp(lambda x: (x ** 3).sum(), tensorish.tensor([1., 2.]),
    ...                                   tensorish.ones(2))[1]
    tensor([ 6., 12.])
    """
    return vhp(func, inputs, v, create_graph, strict)

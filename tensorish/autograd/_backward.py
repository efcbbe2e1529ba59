"""``backward()`` and ``grad()`` (and ``Tensor.backward``): seed the output gradients and run
the engine."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from sys import getrefcount

import jax.numpy as jnp

from .. import _dtype
from .._tensor import Size, Tensor, method
from . import _engine


def _as_list(xs) -> list:
    if xs is None:
        return []
    return [xs] if hasattr(xs, "_v") else list(xs)  # a Tensor, or a sequence of them


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves (or only
    of ``inputs``). ``create_graph`` records the backward so it can be differentiated again.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> tensorish.autograd.backward([(x * x).sum()])
    >>> x.grad
    tensor([2., 2.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    tensors = [tensors] if hasattr(tensors, "_v") else list(tensors)
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if not t.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    grads = [None] * len(tensors) if grad_tensors is None else _grads_for(tensors, grad_tensors)
    seeds = _make_seeds(tensors, grads, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    global _warned
    if create_graph and not _warned:
        _warned = True
        warnings.warn(_CYCLE_WARNING, UserWarning, stacklevel=3)
    _engine.run_backward(tensors, seeds, bool(retain_graph), create_graph, inputs, True)


_warned = False  # PyTorch warns once per process
_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to "
    "reset the .grad fields of your parameters to None after use to break the cycle and avoid "
    "the leak."
)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left
    alone). With ``create_graph`` they can be differentiated again.

    >>> import tensorish
    >>> x = tensorish.tensor([1., 2.], requires_grad=True)
    >>> tensorish.autograd.grad((x ** 3).sum(), x)
    (tensor([ 3., 12.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
    seeds = _make_seeds(outputs, _grads_for(outputs, grad_outputs), create_graph)
    found = _engine.run_backward(outputs, seeds, bool(retain_graph), create_graph, inputs, False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if materialize_grads:
                g = jnp.zeros_like(t._value)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            else:
                result.append(None)
                continue
        result.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
    return tuple(result)


def _batched_grad(
    outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads
) -> tuple:
    """``is_grads_batched``: one backward per slice of the leading dim of ``grad_outputs``."""
    grad_outputs = _as_list(grad_outputs)
    n = grad_outputs[0].shape[0]
    rows = [
        grad(
            outputs,
            inputs,
            [Tensor._wrap(g._value[i]) for g in grad_outputs],
            True if i < n - 1 else retain_graph,
            create_graph,
            True,
            allow_unused,
            False,
            materialize_grads,
        )
        for i in range(n)
    ]
    out = []
    for j in range(len(inputs)):
        col = [r[j] for r in rows]
        out.append(None if col[0] is None else Tensor._wrap(jnp.stack([c._value for c in col])))
    return tuple(out)


def _grads_for(tensors: list, grads) -> list:
    grads = [None] * len(tensors) if grads is None else _as_list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} tensors and {len(tensors)} gradients")
    return grads


def _make_seeds(tensors: Sequence, grads: Sequence, create_graph: bool = False) -> list:
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{t.dtype}".replace("tensorish.", "torch.")
                )
            seeds.append(None)  # ones, made inside the compiled backward
            continue
        is_tensor = hasattr(g, "_v")
        gv = g._value if is_tensor else jnp.asarray(g)
        if gv.shape != t._v.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {_size(gv.shape)} and "
                f"output[{i}] has a shape of {_size(t._v.shape)}."
            )
        if create_graph and is_tensor:
            seeds.append(g if gv.dtype == t._v.dtype else type(g)._wrap(gv.astype(t._v.dtype)))
        else:
            seeds.append(gv.astype(t._v.dtype))
    return seeds


def _size(shape: tuple) -> str:
    return repr(Size(shape))


def _tensor_backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> (5 * (x + 1) ** 2).mean().backward()
    >>> x.grad
    tensor([10., 10.])
    """
    if (
        gradient is None
        and inputs is None
        and not create_graph
        and self._requires_grad
        and self._v.size == 1
        and _dtype.from_np(self._v.dtype).is_floating_point
    ):
        # The common ``loss.backward()``: no argument handling to do. A root nobody else
        # holds (``(a * b).sum().backward()``) can never be read: its value is not kept.
        held = getrefcount(self) > _TEMPORARY_REFS
        _engine.run_backward([self], [None], bool(retain_graph), held=held)
        return
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _refs(t: Tensor) -> int:
    return getrefcount(t)


# References to a temporary tensor inside a function it is passed to (the function's argument
# and getrefcount's own): more in ``Tensor.backward`` means something else holds it.
_TEMPORARY_REFS = _refs(Tensor._wrap(None))
_tensor_backward.__name__ = "backward"
method(_tensor_backward)

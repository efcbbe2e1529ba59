"""``backward()``: seed the output gradients and run the engine."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp

from . import _engine


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables=None, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> tensorish.autograd.backward([(x * x).sum()])
    >>> x.grad
    tensor([2., 2.])
    """
    from .._tensor import Tensor

    if create_graph or inputs is not None:
        raise NotImplementedError("create_graph and inputs= are not supported yet")
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    seeds = _make_seeds(tensors, grad_tensors)
    _engine.run_backward(tensors, seeds, bool(retain_graph))


def _make_seeds(tensors: Sequence, grads: Sequence) -> list:
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{t.dtype}".replace("tensorish.", "torch."))
            seeds.append(None)  # ones, made inside the compiled backward
            continue
        gv = g._value if hasattr(g, "_value") else jnp.asarray(g)
        if gv.shape != t._value.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {_size(gv.shape)} and "
                f"output[{i}] has a shape of {_size(t._value.shape)}.")
        seeds.append(gv.astype(t._value.dtype))
    return seeds


def _size(shape: tuple) -> str:
    from .._tensor import Size

    return repr(Size(shape))

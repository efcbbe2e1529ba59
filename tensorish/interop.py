"""Equinox interop: an ``eqx.Module`` as a tensorish ``nn.Module`` and back, same weights.

``from_equinox(model)`` gives an ``nn.Module`` whose Parameters are the model's inexact
arrays (named by their pytree paths, e.g. ``layers.0.weight``) and whose forward is the
model's ``__call__`` run as one tensorish op (``tensorish.wrap_jax``), so gradients reach the
Parameters and ``tensorish.optim`` trains them. ``to_equinox(module)`` gives an ``eqx.Module``
holding the module's parameter arrays whose ``__call__`` is ``tensorish.unwrap(module)``, so
``jax.grad``, ``eqx.filter_grad``, ``jax.jit`` and ``jax.vmap`` work through it.

Batches: Equinox layers act on one example. ``from_equinox`` vmaps the model over the leading
axis of every input by default (PyTorch's convention: inputs carry a batch dimension); pass
``batched=False`` to call the model on its inputs as they are. ``to_equinox`` calls the tensorish
forward on what it is given: for layers that accept unbatched inputs (``nn.Linear``,
activations) that is one example, as Equinox expects, and ``jax.vmap`` over it makes a batch.

Dtypes: tensorish turns on ``jax_enable_x64``, so Equinox layers built without ``dtype=`` hold
float64 arrays; pass ``dtype=jnp.float32`` for PyTorch's default, and give a module made by
``to_equinox`` inputs of its parameters' dtype (``jnp.ones(3)`` is float64 here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax

from ._bridge import unwrap, wrap_jax
from ._tensor import Tensor
from .nn import Module, Parameter

__all__ = ["from_equinox", "to_equinox", "EquinoxModule"]


def _key_name(k: Any) -> str:
    for attr in ("name", "key", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


class _Unwrapped(eqx.Module):
    """An Equinox model running a tensorish module's forward (made by ``to_equinox``)."""

    params: dict
    apply: Callable = eqx.field(static=True)

    def __call__(self, *args: Any) -> Any:
        return self.apply(self.params, *args)


class EquinoxModule(Module):
    """A tensorish ``nn.Module`` around an Equinox model (made by ``from_equinox``)."""

    def __init__(self, model: Any, batched: bool = True) -> None:
        super().__init__()
        params, static = eqx.partition(model, eqx.is_inexact_array)
        leaves_paths, treedef = jax.tree_util.tree_flatten_with_path(params)
        self._eqx_static = static
        self._eqx_treedef = treedef
        self._eqx_names = []
        self._eqx_batched = batched
        for path, leaf in leaves_paths:
            if isinstance(model, _Unwrapped):
                path = path[1:]
            parts = [p for k in path for p in _key_name(k).split(".")]
            owner = self
            for part in parts[:-1]:
                if part not in owner._modules:
                    owner.add_module(part, Module())
                owner = owner._modules[part]
            owner.register_parameter(parts[-1], Parameter(Tensor._wrap(leaf)))
            self._eqx_names.append(".".join(parts))
        self._eqx_call = wrap_jax(self._pure, name="Equinox")

    def _pure(self, *arrays: Any) -> Any:
        n = len(self._eqx_names)
        params = jax.tree_util.tree_unflatten(self._eqx_treedef, arrays[:n])
        model = eqx.combine(params, self._eqx_static)
        if self._eqx_batched:
            return jax.vmap(model)(*arrays[n:])
        return model(*arrays[n:])

    def extra_repr(self) -> str:
        return type(self._eqx_static).__name__

    def forward(self, *inputs: Any) -> Any:
        return self._eqx_call(*(self.get_parameter(n) for n in self._eqx_names), *inputs)

    def equinox(self) -> Any:
        """The Equinox model with this module's current weights."""
        leaves = [self.get_parameter(n).jax() for n in self._eqx_names]
        params = jax.tree_util.tree_unflatten(self._eqx_treedef, leaves)
        return eqx.combine(params, self._eqx_static)


def from_equinox(model: Any, *, batched: bool = True) -> EquinoxModule:
    """An ``nn.Module`` whose Parameters are ``model``'s arrays and whose forward is ``model``.

    With ``batched=True`` (the default) the model is ``jax.vmap``-ed over the leading axis of
    its inputs.

    >>> import equinox as eqx, jax, tensorish
    >>> lin = eqx.nn.Linear(3, 2, key=jax.random.key(0), dtype=jax.numpy.float32)
    >>> m = tensorish.interop.from_equinox(lin)
    >>> [n for n, _ in m.named_parameters()], m(tensorish.ones(5, 3)).shape
    (['weight', 'bias'], tensorish.Size([5, 2]))
    """
    return EquinoxModule(model, batched=batched)


def to_equinox(module: Any) -> Any:
    """An ``eqx.Module`` with ``module``'s weights and forward.

    A module made by ``from_equinox`` gives back its own Equinox model (same class) with the
    current weights; any other module gives an ``eqx.Module`` whose ``params`` is a dict of
    arrays keyed as ``named_parameters()``/``named_buffers()``.

    >>> import jax, jax.numpy as jnp, tensorish
    >>> m = tensorish.interop.to_equinox(tensorish.nn.Linear(3, 1))
    >>> jax.grad(lambda m, x: m(x).sum())(m, jnp.ones(3, jnp.float32)).params["bias"]
    Array([1.], dtype=float32)
    """
    if isinstance(module, EquinoxModule):
        return module.equinox()
    apply, params = unwrap(module)
    return _Unwrapped(params, apply)

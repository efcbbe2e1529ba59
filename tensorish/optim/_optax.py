"""Any optax ``GradientTransformation`` behind ``torch.optim``'s API.

Each parameter group holds one optax state, initialized on the group's parameter list when the
group is added. The state's leaves are Tensors (in ``state[i]["optax_state"]`` for group ``i``),
so ``state_dict``/``tensorish.save`` and ``tensorish.compile`` treat them as they treat a
built-in optimizer's buffers, and a step is one jitted call per group: push the group's
hyperparameters into the state, ``transformation.update``, ``optax.apply_updates``.

Hyperparameters. A transformation built with ``optax.inject_hyperparams`` keeps its numeric
hyperparameters in its state; each appears in the group (``learning_rate`` as ``lr``, the others
under their optax names) and the group's value is what the next step uses, so ``lr_scheduler``
drives it. Any other transformation keeps its hyperparameters in closures: its groups have no
``lr``, and asking for one raises an error that says how to expose it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor
from ..autograd._grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, scalar

_NO_LR = (
    "param_groups[{i}] has no 'lr': its optax transformation keeps the learning rate in a "
    "closure. Build it with optax.inject_hyperparams, e.g. "
    "optax.inject_hyperparams(optax.adam)(learning_rate=1e-3), so that param_groups[{i}]['lr'] "
    "(and lr_scheduler) can change it."
)


def _torch_name(name: str) -> str:
    return "lr" if name == "learning_rate" else name


def _is_injected(node: Any) -> bool:
    return isinstance(getattr(node, "hyperparams", None), dict)


def _injected(state: Any) -> list:
    """The ``optax.inject_hyperparams`` states inside ``state``."""
    return [n for n in jax.tree_util.tree_leaves(state, is_leaf=_is_injected) if _is_injected(n)]


def _hyperparameters(state: Any) -> dict[str, Any]:
    """The numeric scalar hyperparameters exposed in ``state``, by optax name."""
    found: dict[str, Any] = {}
    for node in _injected(state):
        for name, v in node.hyperparams.items():
            if isinstance(v, jax.Array) and v.ndim == 0 and name not in found:
                found[name] = v
    return found


def _with_hyperparameters(state: Any, values: dict[str, Any]) -> Any:
    """``state`` with its exposed hyperparameters set to ``values`` (each in its own dtype)."""

    def put(node: Any) -> Any:
        if not _is_injected(node):
            return node
        hp = dict(node.hyperparams)
        for name, v in values.items():
            if name in hp:
                hp[name] = jnp.asarray(v).astype(hp[name].dtype)
        return node._replace(hyperparams=hp)

    return jax.tree_util.tree_map(put, state, is_leaf=_is_injected)


def _python_number(v: jax.Array) -> float:
    """A hyperparameter as the shortest Python float that rounds to it (optax keeps float32:
    ``0.1`` reads back as ``0.1``, not ``0.10000000149011612``)."""
    return float(np.format_float_positional(np.asarray(v)[()], unique=True, trim="-"))


@jax.jit(static_argnames=("transformation", "treedef", "mask", "maximize"))
def _update(leaves, params, grads, hyper, *, transformation, treedef, mask, maximize):
    state = jax.tree_util.tree_unflatten(treedef, leaves)
    if hyper:
        state = _with_hyperparameters(state, hyper)
    grads = [
        jnp.zeros_like(p) if g is None else -g if maximize else g for p, g in zip(params, grads)
    ]
    updates, state = transformation.update(grads, state, params)
    # optax.apply_updates; a parameter without a gradient keeps its value (torch.optim skips it).
    new = [(p + u).astype(p.dtype) if m else p for p, u, m in zip(params, updates, mask)]
    return new, jax.tree_util.tree_leaves(state)


class _GroupWithoutLR(dict):
    """A parameter group whose transformation does not expose its learning rate: reading
    ``group["lr"]`` (as an lr_scheduler does) explains how to expose it."""

    index = 0

    def __missing__(self, key: Any) -> Any:
        if key == "lr":
            raise KeyError(_NO_LR.format(i=self.index))
        raise KeyError(key)


class OptaxOptimizer(Optimizer):
    """An optax ``GradientTransformation`` as a ``torch.optim`` optimizer.

    Args:
        params: parameters or parameter groups, as for any optimizer. A group may carry its own
            ``"transformation"``; groups without one use ``transformation``. Each group has
            its own optax state.
        transformation: the optax transformation (``optax.adam(1e-3)``, ``optax.chain(...)``).
            Build it with ``optax.inject_hyperparams`` to get ``param_groups[i]["lr"]`` (and
            its other numeric hyperparameters) that ``lr_scheduler`` can change.
        maximize: ascend the gradient instead of descending it.

    Parameters whose ``.grad`` is None keep their values (the transformation sees a zero
    gradient for them, so their share of its state still advances).

    >>> import optax, tensorish
    >>> w = tensorish.ones(2, requires_grad=True)
    >>> opt = tensorish.optim.OptaxOptimizer(
    ...     [w], optax.inject_hyperparams(optax.sgd)(learning_rate=0.5))
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w, opt.param_groups[0]["lr"]
    (tensor([0., 0.], requires_grad=True), 0.5)
    """

    def __init__(
        self, params: Iterable[Any], transformation: Any, *, maximize: bool = False
    ) -> None:
        _check_transformation(transformation)
        self.transformation = transformation
        self._optax: list[tuple] = []  # per group: (transformation, treedef, hyperparameter names)
        super().__init__(params, {"maximize": maximize})

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (``params``, optionally its own ``transformation`` and hyperparameter
        values) and initialize its optax state.

        >>> import optax, tensorish
        >>> opt = tensorish.optim.OptaxOptimizer(
        ...     [tensorish.ones(1, requires_grad=True)],
        ...     optax.inject_hyperparams(optax.adam)(learning_rate=1e-3))
        >>> opt.add_param_group({"params": [tensorish.ones(2, requires_grad=True)], "lr": 0.1})
        >>> [g["lr"] for g in opt.param_groups]
        [0.001, 0.1]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        tx = param_group.pop("transformation", self.transformation)
        _check_transformation(tx)
        super().add_param_group(param_group)
        i = len(self.param_groups) - 1
        group = self.param_groups[i]
        state = tx.init([p._value for p in group["params"]])
        exposed = _hyperparameters(state)
        for name, value in exposed.items():
            group.setdefault(_torch_name(name), _python_number(value))
        if not exposed:
            if "lr" in group:
                raise ValueError(_NO_LR.format(i=i))
            group = self.param_groups[i] = _GroupWithoutLR(group)
            group.index = i
        leaves, treedef = jax.tree_util.tree_flatten(state)
        self.state[i] = {"optax_state": [Tensor._wrap(v) for v in leaves]}
        self._optax.append((tx, treedef, tuple(exposed)))

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update each group's parameters from their ``.grad`` (one jitted call per group).

        >>> import optax, tensorish
        >>> w = tensorish.ones(2, requires_grad=True)
        >>> opt = tensorish.optim.OptaxOptimizer([w], optax.sgd(0.1))
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000, 0.8000], requires_grad=True)
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):
            params = group["params"]
            mask = tuple(p._grad is not None for p in params)
            if not any(mask):
                continue
            tx, treedef, names = self._optax[i]
            box = self.state[i]["optax_state"]
            new_params, new_leaves = _update(
                [t._value for t in box],
                [p._value for p in params],
                [p._grad._value if m else None for p, m in zip(params, mask)],
                {name: scalar(group[_torch_name(name)]) for name in names},
                transformation=tx,
                treedef=treedef,
                mask=mask,
                maximize=bool(group["maximize"]),
            )
            for p, v, m in zip(params, new_params, mask):
                if m:
                    p._set_value(v)
            for t, v in zip(box, new_leaves):
                t._set_value(v)
        return loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` of an OptaxOptimizer with the same groups and transformations
        (each group keeps its own transformation)."""
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match "
                "the size of optimizer's group"
            )
        states = []
        for i in range(len(saved)):
            box = self.state[i]["optax_state"]
            leaves = state_dict["state"][i]["optax_state"]
            if len(leaves) != len(box) or any(a.shape != b.shape for a, b in zip(leaves, box)):
                raise ValueError(
                    f"loaded optax state of parameter group {i} does not match this "
                    "optimizer's transformation (different leaves or shapes)"
                )
            states.append([_like(new, old) for new, old in zip(leaves, box)])
        for i, (group, s) in enumerate(zip(self.param_groups, saved)):
            group.update({k: v for k, v in s.items() if k not in ("params", "param_names")})
            self.state[i] = {"optax_state": states[i]}


def _like(new: Tensor, old: Tensor) -> Tensor:
    """A loaded state leaf in the dtype and on the device of the leaf it replaces."""
    device = next(iter(old._value.devices()))
    return Tensor._wrap(jax.device_put(new._value.astype(old._v.dtype), device))


def _check_transformation(tx: Any) -> None:
    if not (callable(getattr(tx, "init", None)) and callable(getattr(tx, "update", None))):
        raise TypeError(
            "transformation must be an optax GradientTransformation (with init and update), "
            f"but got {type(tx).__name__}"
        )

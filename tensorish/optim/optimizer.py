"""The ``Optimizer`` base: parameter groups, per-parameter state, PyTorch's state_dict format.

A subclass declares its update as one pure jnp function over the lists of a group's parameters,
gradients and state buffers (``_update``), jitted once per (flags, shapes): a step is one XLA
call per parameter group. Hyperparameters (lr, betas, ...) are passed as traced Python floats
and the step count lives in a state tensor, so a scheduler changing ``lr`` never recompiles.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from .._tensor import Tensor, read_grad, write_grad
from ..autograd._grad_mode import enable_grad, no_grad


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(x: Any) -> str:
    return "torch.FloatTensor" if isinstance(x, Tensor) else type(x).__qualname__


def scalar(x: Any) -> float:
    """A hyperparameter as a Python number (a 1-element tensor gives its value). A number is
    passed through as it is, so under tensorish.compile it stays a traced value."""
    if isinstance(x, Tensor):
        return float(x.item())
    if hasattr(x, "traced"):  # a hyperparameter inside tensorish.compile: its traced value
        return x.traced()
    return x if isinstance(x, (int, float)) else float(x)


def hyper(x: Any) -> Any:
    """A hyperparameter as an update kernel takes it: a tensor's value (so under
    tensorish.compile it is an input of the step, never read to the host), a traced number's
    traced value, or the number."""
    if isinstance(x, Tensor):
        return x._value.reshape(())
    return scalar(x)


def is_set(x: Any) -> bool:
    """Whether a hyperparameter such as ``weight_decay`` is used: a tensor always is (a zero
    one then changes nothing), so its value is never needed on the host."""
    return isinstance(x, Tensor) or x != 0


def check_lr(lr: Any) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= scalar(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def like(x: Any, a: jax.Array) -> jax.Array:
    """A scalar cast to ``a``'s dtype, as PyTorch casts a Python number for a tensor op."""
    return jnp.asarray(x).astype(a.dtype)


def lerp(a: jax.Array, b: jax.Array, w: Any) -> jax.Array:
    """PyTorch's ``a.lerp_(b, w)`` with its two-sided formula (exact at both ends)."""
    w = like(w, a)
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def addcmul(a: jax.Array, t1: jax.Array, t2: jax.Array, value: Any = 1.0) -> jax.Array:
    return a + like(value, a) * t1 * t2


def addcdiv(a: jax.Array, t1: jax.Array, t2: jax.Array, value: Any = 1.0) -> jax.Array:
    return a + like(value, a) * t1 / t2


def f64(x: jax.Array) -> jax.Array:
    """A step count as float64, so scalar math runs in double as PyTorch's Python floats do."""
    return jnp.asarray(x).astype(jnp.float64)


def _placed(host: np.ndarray, v: jax.Array) -> jax.Array:
    """``host`` on the device(s) of the parameter value ``v``: sharded as ``v`` if it has
    ``v``'s shape, else replicated over ``v``'s mesh. Committed, as the update's outputs are, so
    the update compiles once (a jitted function compiles again for committed inputs); copied
    from the host, so a new shape compiles nothing."""
    s = v.sharding
    if host.shape != v.shape and isinstance(s, NamedSharding):
        s = NamedSharding(s.mesh, PartitionSpec())
    return jax.make_array_from_callback(host.shape, s, lambda index: host[index])


def zeros_state(p: Tensor, shape: tuple[int, ...] | None = None) -> Tensor:
    """Zeros like ``p`` (or of ``shape``, in ``p``'s dtype), on ``p``'s device."""
    v = p._value
    if isinstance(v, jax.core.Tracer):  # made while tensorish.compile traces
        return Tensor._wrap(jnp.zeros(v.shape if shape is None else shape, v.dtype))
    return Tensor._wrap(_placed(np.zeros(v.shape if shape is None else shape, v.dtype), v))


def step_state(p: Tensor, value: float = 0.0) -> Tensor:
    """PyTorch's float32 scalar ``step`` tensor, on the parameter's device."""
    v = p._value
    if isinstance(v, jax.core.Tracer):  # made while tensorish.compile traces: it runs eagerly
        return Tensor._wrap(jnp.asarray(value, jnp.float32))
    return Tensor._wrap(_placed(np.asarray(value, np.float32), v))


def group_update(fn: Callable, static: tuple[str, ...]) -> staticmethod:
    """``fn(params, grads, states, hyper, **flags)`` as one jitted call: an ``_kernel``."""
    return staticmethod(jax.jit(fn, static_argnames=static))


class Optimizer:
    """Base class of all optimizers: holds ``param_groups`` and per-parameter ``state``.

    Subclasses set ``_state_keys(group)``, ``_init_state(p, group)``, ``_hyper(group)``,
    ``_flags(group)`` and ``_kernel`` (see ``group_update``).
    """

    _kernel: Callable

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # C901: PyTorch's checks of a new group, one per mistake
    def add_param_group(self, param_group: dict[str, Any]) -> None:  # noqa: C901
        """Add a group of parameters (a dict with ``params`` and optional hyperparameters).

        >>> import tensorish
        >>> opt = tensorish.optim.SGD([tensorish.ones(1, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [tensorish.ones(2, requires_grad=True)], "lr": 1.0})
        >>> len(opt.param_groups)
        2
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some "
                    "param names are missing"
                )
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param._retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required "
                    f"optimization parameter {name}"
                )
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:  # written, never read: a compiled step need not guard on it
                    write_grad(p, None)
                    continue
                g = read_grad(p)
                if g is not None:
                    g.detach_()
                    g._set_value(zeros_state(g)._value)

    def state_dict(self) -> dict[str, Any]:
        """The state (keyed by parameter index) and the groups (``params`` as index lists).

        >>> import tensorish
        >>> opt = tensorish.optim.SGD([tensorish.ones(1, requires_grad=True)], lr=0.1)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0]
        """
        index: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            index.update(
                {id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index}
            )
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (this optimizer's or another's with the same groups)."""
        groups = self.param_groups
        saved = [dict(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match "
                "the size of optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v)
            else:
                state[k] = v
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved})

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters from their ``.grad`` (one jitted call per group).

        >>> import tensorish
        >>> w = tensorish.ones(2, requires_grad=True)
        >>> opt = tensorish.optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0., 0.], requires_grad=True)
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            grads = [read_grad(p) for p in group["params"]]
            params = [p for p, g in zip(group["params"], grads) if g is not None]
            if not params:
                continue
            keys = self._state_keys(group)
            states = []
            for p in params if keys else ():
                state = self.state[p]
                if len(state) == 0:
                    state.update(self._init_state(p, group))
                states.append(state)
            bufs = tuple([_value(s.get(k)) for s in states] for k in keys)
            new_params, new_bufs = self._kernel(
                [p._value for p in params],
                [g._value for g in grads if g is not None],
                bufs,
                self._hyper(group),
                **self._flags(group),
            )
            for k, values in zip(keys, new_bufs):
                for s, v in zip(states, values):
                    old = s.get(k)
                    if v is not None and old is not None and old.shape != v.shape:
                        # A loaded state of another shape: PyTorch's in-place update refuses.
                        raise RuntimeError(
                            f"output with shape {list(old.shape)} doesn't match the broadcast "
                            f"shape {list(v.shape)}"
                        )
            for p, v in zip(params, new_params):
                p._set_value(v)
            for k, values in zip(keys, new_bufs):
                for s, v in zip(states, values):
                    if v is None:
                        continue
                    if s.get(k) is None:
                        s[k] = Tensor._wrap(v)
                    else:
                        s[k]._set_value(v)
        return loss

    def _state_keys(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ()

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _hyper(self, group: dict[str, Any]) -> dict[str, float]:
        return {}

    def _flags(self, group: dict[str, Any]) -> dict[str, Any]:
        return {}


def _value(t: Tensor | None) -> jax.Array | None:
    return None if t is None else t._value


def _cast(param: Tensor, value: Any, key: Any = None) -> Any:
    """A copy of a loaded state value, floating tensors cast to the parameter's dtype and device
    (except ``step``, as PyTorch)."""
    if isinstance(value, Tensor):
        v = value._value
        if key != "step" and param.dtype.is_floating_point and v.dtype != param._v.dtype:
            v = v.astype(param._v.dtype)
        if key != "step" or param.dtype.is_floating_point:
            v = jax.device_put(v, next(iter(param._value.devices())))
        t = Tensor._wrap(v)
        t._requires_grad = value._requires_grad
        return t
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


def _as_real(x: Any) -> Any:
    return jnp.stack([x.real, x.imag], -1) if x is not None and jnp.iscomplexobj(x) else x


def _as_complex(x: jax.Array, like: Any) -> jax.Array:
    return jax.lax.complex(x[..., 0], x[..., 1]) if jnp.iscomplexobj(like) else x


def map_group(one: Callable) -> Callable:
    """A group update from a per-parameter update ``one(p, g, *bufs, **hyper_and_flags)`` that
    returns ``(p, *bufs)``. Complex tensors are updated as real (..., 2) views, as PyTorch's
    ``view_as_real`` does."""

    @functools.wraps(one)
    def update(params, grads, bufs, hyper, **flags):
        new_p, new_b = [], [[] for _ in bufs]
        for i, (p, g) in enumerate(zip(params, grads)):
            ins = (p, *(b[i] for b in bufs))
            out = one(_as_real(p), _as_real(g), *(_as_real(b) for b in ins[1:]), **hyper, **flags)
            out = [v if v is None else _as_complex(v, x) for v, x in zip(out, ins)]
            new_p.append(out[0])
            for lst, v in zip(new_b, out[1:]):
                lst.append(v)
        return new_p, tuple(new_b)

    return update

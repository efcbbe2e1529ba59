"""``get_state_dict``/``set_state_dict``: model and optimizer state keyed by parameter names.

The model's state dict drops the wrappers' prefixes (``module.`` of DistributedDataParallel,
``_fsdp_wrapped_module.`` of FullyShardedDataParallel); the optimizer's is keyed by those names
instead of parameter indices, its state created if no step has run yet, so a fresh optimizer can
be loaded into. Values are the live tensors (DTensors for sharded parameters), so
``distributed.checkpoint.load`` into them updates the model in place; ``set_*`` then copies
values into place with each target's own layout.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..._tensor import Tensor
from ...autograd import no_grad
from ...nn import Module
from ...nn._module import _IncompatibleKeys
from ..tensor._api import _place

_WRAPPER_PREFIXES = ("module.", "_fsdp_wrapped_module.")


@dataclasses.dataclass
class StateDictOptions:
    """How ``get_*``/``set_*`` shape the state dicts (``full_state_dict``: gathered full
    tensors instead of DTensors; ``ignore_frozen_params``: leave out parameters that don't
    require grad; ``strict``: unexpected or missing keys are errors)."""

    full_state_dict: bool = False
    cpu_offload: bool = False
    ignore_frozen_params: bool = False
    keep_submodule_prefixes: bool = True
    strict: bool = True
    broadcast_from_rank0: bool = False
    flatten_optimizer_state_dict: bool = False
    dsd_fqn_modifiers: str = "_fqn_modifiers"


def _wrappers(model: Module) -> list[tuple[str, str]]:
    """(prefix, replacement) of the state-dict prefixes that belong to wrappers, longest first:
    a wrapper class names the prefix its wrapped module's keys get (``_wrapped_prefix``:
    DistributedDataParallel's ``module.``, FullyShardedDataParallel's
    ``_fsdp_wrapped_module.``)."""
    out = []
    for name, m in model.named_modules():
        prefix = f"{name}." if name else ""
        wrapped = getattr(type(m), "_wrapped_prefix", None)
        if wrapped is not None:
            out.append((prefix + wrapped, prefix))
    return sorted(out, key=lambda pair: -len(pair[0]))


def _fqn(name: str, wrappers: list[tuple[str, str]]) -> str:
    for prefix, head in wrappers:
        if name.startswith(prefix):
            name = head + name[len(prefix) :]
    return name


def _named_tensors(model: Module) -> dict[str, Tensor]:
    """Every parameter and persistent buffer by its unwrapped name."""
    wrappers = _wrappers(model)
    out = {}
    for name, m in model.named_modules():
        prefix = f"{name}." if name else ""
        for n, t in m._parameters.items():
            if t is not None:
                out[_fqn(prefix + n, wrappers)] = t
        for n, t in m._buffers.items():
            if t is not None and n not in m._non_persistent_buffers_set:
                out[_fqn(prefix + n, wrappers)] = t
    return out


def _param_names(model: Module) -> dict[int, str]:
    wrappers = _wrappers(model)
    return {id(p): _fqn(n, wrappers) for n, p in model.named_parameters()}


def _full(v: Any) -> Any:
    if isinstance(v, Tensor) and not v._value.is_fully_addressable:
        return v.full_tensor().detach()
    return v


def _options(options: StateDictOptions | None) -> StateDictOptions:
    return options or StateDictOptions()


def get_model_state_dict(
    model: Module, *, submodules: Any = None, options: StateDictOptions | None = None
) -> dict[str, Any]:
    """The model's state dict, keyed by unwrapped names.

    >>> import tensorish
    >>> from tensorish.distributed.checkpoint.state_dict import get_model_state_dict
    >>> list(get_model_state_dict(tensorish.nn.Linear(2, 1)))
    ['weight', 'bias']
    """
    options = _options(options)
    out = {}
    for name, t in _named_tensors(model).items():
        if options.ignore_frozen_params and t.requires_grad is False and _is_param(model, t):
            continue
        value = t.detach()
        out[name] = _full(value) if options.full_state_dict else value
    return out


def _is_param(model: Module, t: Tensor) -> bool:
    return any(p is t for p in model.parameters())


def _init_optimizer_state(optimizer: Any) -> None:
    """Create the state a first step would (as PyTorch's ``get_optimizer_state_dict`` does)."""
    for group in optimizer.param_groups:
        if not optimizer._state_keys(group):
            continue
        for p in group["params"]:
            if len(optimizer.state[p]) == 0:
                optimizer.state[p].update(optimizer._init_state(p, group))


def get_optimizer_state_dict(
    model: Module,
    optimizers: Any,
    *,
    submodules: Any = None,
    options: StateDictOptions | None = None,
) -> dict[str, Any]:
    """The optimizers' state dict keyed by parameter names (``state[name]``, and each group's
    ``params`` as names)."""
    options = _options(options)
    names = _param_names(model)
    state: dict = {}
    groups: list = []
    for opt in [optimizers] if not isinstance(optimizers, (list, tuple)) else optimizers:
        _init_optimizer_state(opt)
        for group in opt.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [names[id(p)] for p in group["params"]]
            groups.append(packed)
            for p in group["params"]:
                values = opt.state.get(p)
                if values:
                    state[names[id(p)]] = {
                        k: _full(v) if options.full_state_dict else v for k, v in values.items()
                    }
    return {"state": state, "param_groups": groups}


def get_state_dict(
    model: Module,
    optimizers: Any,
    *,
    submodules: Any = None,
    options: StateDictOptions | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(get_model_state_dict(model), get_optimizer_state_dict(model, optimizers))``."""
    return (
        get_model_state_dict(model, options=options),
        get_optimizer_state_dict(model, optimizers, options=options),
    )


def _assign(target: Tensor, value: Any) -> None:
    """Copy ``value`` into ``target``, keeping the target's devices, sharding and dtype."""
    v = value._value if isinstance(value, Tensor) else value
    a = target._value
    if v is a:
        return
    if tuple(v.shape) != tuple(a.shape):
        raise RuntimeError(
            f"size mismatch: copying a tensor with shape {list(v.shape)}, the shape in the "
            f"current model is {list(a.shape)}."
        )
    target._set_value(_place(v.astype(a.dtype), a.sharding, None))


def set_model_state_dict(
    model: Module, model_state_dict: dict[str, Any], *, options: StateDictOptions | None = None
) -> _IncompatibleKeys:
    """Load a state dict keyed by unwrapped names into the model (each tensor keeps its
    layout)."""
    options = _options(options)
    targets = _named_tensors(model)
    missing = [k for k in targets if k not in model_state_dict]
    unexpected = [k for k in model_state_dict if k not in targets]
    if options.strict and (missing or unexpected):
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(model).__name__}: missing keys "
            f"{missing}, unexpected keys {unexpected}"
        )
    with no_grad():
        for name, value in model_state_dict.items():
            if name in targets:
                _assign(targets[name], value)
    return _IncompatibleKeys(missing, unexpected)


def set_optimizer_state_dict(
    model: Module,
    optimizers: Any,
    optim_state_dict: dict[str, Any],
    *,
    options: StateDictOptions | None = None,
) -> None:
    """Load a state dict from ``get_optimizer_state_dict`` into the optimizers."""
    names = _param_names(model)
    saved_groups = {tuple(g["params"]): g for g in optim_state_dict["param_groups"]}
    for opt in [optimizers] if not isinstance(optimizers, (list, tuple)) else optimizers:
        _init_optimizer_state(opt)
        for group in opt.param_groups:
            saved = saved_groups.get(tuple(names[id(p)] for p in group["params"]))
            if saved is not None:
                group.update({k: v for k, v in saved.items() if k != "params"})
            for p in group["params"]:
                values = optim_state_dict["state"].get(names[id(p)], {})
                mine = opt.state[p]
                for k, v in values.items():
                    if isinstance(mine.get(k), Tensor):
                        _assign(mine[k], v)
                    else:
                        mine[k] = v


def set_state_dict(
    model: Module,
    optimizers: Any,
    *,
    model_state_dict: dict[str, Any],
    optim_state_dict: dict[str, Any],
    options: StateDictOptions | None = None,
) -> _IncompatibleKeys:
    """``set_model_state_dict`` and ``set_optimizer_state_dict`` together."""
    keys = set_model_state_dict(model, model_state_dict, options=options)
    set_optimizer_state_dict(model, optimizers, optim_state_dict, options=options)
    return keys


__all__ = [
    "StateDictOptions",
    "get_model_state_dict",
    "get_optimizer_state_dict",
    "get_state_dict",
    "set_model_state_dict",
    "set_optimizer_state_dict",
    "set_state_dict",
]

"""``fully_shard`` (FSDP2): parameters sharded over the ranks, gathered for compute.

Each parameter a ``fully_shard`` module manages becomes a DTensor: its value a ``jax.Array``
sharded along dimension 0 over the mesh (one device per rank), each process holding its rank's
rows. Before the module's forward, an all-gather (one XLA program) gives each process the full
parameter as an ordinary local tensor, and the forward computes on that, exactly as on one
process; the gathered tensor's backward reduce-scatters (and averages) its gradient back into
the sharded parameter's ``.grad``. The optimizer then updates only this rank's rows.

A dimension 0 that the ranks do not divide evenly stays replicated (its gradient is averaged
with an all-reduce): JAX shards evenly only. The gathered parameters live until backward in the
autograd graph whatever ``reshard_after_forward`` says; after forward the module shows its
sharded parameters again.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
from jax.sharding import NamedSharding, PartitionSpec

from ... import _dtype
from ..._tensor import Tensor
from ...autograd import Function
from ...nn import Module
from .._mesh import DeviceMesh, init_device_mesh
from .._process import get_world_size, has_gpus
from .._ranks import lift
from ..tensor._api import _place


@dataclasses.dataclass(frozen=True)
class MixedPrecisionPolicy:
    """Dtypes for FSDP2: ``param_dtype`` to compute in (gathered parameters are cast),
    ``reduce_dtype`` to reduce gradients in (default: ``param_dtype``), ``output_dtype`` for the
    forward's floating outputs, and whether to cast floating forward inputs to ``param_dtype``.

    >>> import tensorish
    >>> MixedPrecisionPolicy(param_dtype=tensorish.bfloat16).reduce_dtype is None
    True
    """

    param_dtype: _dtype.dtype | None = None
    reduce_dtype: _dtype.dtype | None = None
    output_dtype: _dtype.dtype | None = None
    cast_forward_inputs: bool = True


@dataclasses.dataclass(frozen=True)
class OffloadPolicy:
    """No offloading (the default)."""


@dataclasses.dataclass(frozen=True)
class CPUOffloadPolicy(OffloadPolicy):
    """Accepted for compatibility: tensorish keeps the shards on the device."""

    pin_memory: bool = True


class _Sharded:
    """One managed parameter: where it sits and how its rows are laid out."""

    __slots__ = ("owner", "name", "param", "sharded", "pending")

    def __init__(self, owner: Module, name: str, param: Tensor, sharded: bool) -> None:
        self.owner, self.name, self.param, self.sharded = owner, name, param, sharded
        self.pending: jax.Array | None = None  # gradients accumulated without sync


class _FSDPState:
    """What ``fully_shard`` keeps on a module (in slots: out of ``tensorish.compile``'s walk)."""

    __slots__ = ("mesh", "params", "policy", "reshard_after_forward", "sync", "unsharded")

    def __init__(self, mesh: DeviceMesh, params: list, policy: MixedPrecisionPolicy, rf) -> None:
        self.mesh, self.params, self.policy = mesh, params, policy
        self.reshard_after_forward = rf
        self.sync = True
        self.unsharded = False


@functools.lru_cache(maxsize=256)
def _gather_program(mesh: Any, axis: str) -> Any:
    return jax.jit(
        jax.shard_map(
            lambda x: jax.lax.all_gather(x, axis, tiled=True),
            mesh=mesh,
            in_specs=PartitionSpec(axis),
            out_specs=PartitionSpec(),
            check_vma=False,
        )
    )


@functools.lru_cache(maxsize=256)
def _scatter_program(mesh: Any, axis: str, sharded: bool) -> Any:
    n = mesh.devices.size

    def body(g):
        if sharded:
            return jax.lax.psum_scatter(g, axis, scatter_dimension=0, tiled=True) / n
        return jax.lax.psum(g, axis) / n

    out = PartitionSpec(axis) if sharded else PartitionSpec()
    return jax.jit(
        jax.shard_map(body, mesh=mesh, in_specs=PartitionSpec(axis), out_specs=out, check_vma=False)
    )


def _traced(value: Any) -> None:
    if isinstance(value, jax.core.Tracer):
        raise NotImplementedError(
            "fully_shard modules run eagerly: tensorish.compile does not trace their "
            "all-gathers and reduce-scatters yet"
        )


class _Unshard(Function):
    """The full parameter on this process (all-gather); backward: reduce-scatter, averaged."""

    @staticmethod
    def forward(ctx: Any, param: Tensor, entry: _Sharded, state: _FSDPState) -> Tensor:
        ctx.entry, ctx.state = entry, state
        value = param._value
        _traced(value)
        mesh = value.sharding.mesh
        if entry.sharded:
            value = _gather_program(mesh, mesh.axis_names[0])(value)
        full = value.addressable_data(0)
        if state.policy.param_dtype is not None:
            full = full.astype(state.policy.param_dtype.jax)
        return Tensor._wrap(full)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        entry, state = ctx.entry, ctx.state
        param = entry.param
        policy = state.policy
        reduce_dtype = policy.reduce_dtype or policy.param_dtype
        g = grad._value
        if entry.pending is not None:
            g = g + entry.pending.astype(g.dtype)
            entry.pending = None
        if not state.sync:
            entry.pending = g
            return None, None, None
        if reduce_dtype is not None:
            g = g.astype(reduce_dtype.jax)
        mesh = param._value.sharding.mesh
        program = _scatter_program(mesh, mesh.axis_names[0], entry.sharded)
        out = program(lift(g, mesh))
        return Tensor._wrap(out.astype(param._value.dtype)), None, None


def _cast(x: Any, dt: _dtype.dtype) -> Any:
    if isinstance(x, Tensor):
        return x.to(dt) if x.dtype.is_floating_point else x
    if isinstance(x, (list, tuple)):
        return type(x)(_cast(v, dt) for v in x)
    if isinstance(x, dict):
        return {k: _cast(v, dt) for k, v in x.items()}
    return x


class FSDPModule:
    """What ``fully_shard`` makes a module (its class becomes ``FSDP<Class>``)."""

    _fsdp_state: _FSDPState

    def unshard(self, async_op: bool = False) -> None:
        """Show the full parameters on the module (as in its forward)."""
        state = self._fsdp_state
        for entry in state.params:
            entry.owner._parameters[entry.name] = _Unshard.apply(entry.param, entry, state)
        state.unsharded = True

    def reshard(self) -> None:
        """Show the sharded parameters again."""
        state = self._fsdp_state
        for entry in state.params:
            entry.owner._parameters[entry.name] = entry.param
        state.unsharded = False

    def set_requires_gradient_sync(self, requires_gradient_sync: bool, *, recurse: bool = True):
        """Off: backward keeps gradients locally (unsharded, accumulating); the first backward
        with it on again reduce-scatters them all."""
        for m in self.modules() if recurse else [self]:
            if isinstance(m, FSDPModule):
                m._fsdp_state.sync = requires_gradient_sync

    def set_reshard_after_backward(self, reshard_after_backward: bool, *, recurse: bool = True):
        """Accepted: parameters are always resharded after backward."""


def _pre_forward(module: Module, args: tuple) -> tuple | None:
    state = module._fsdp_state
    if not state.unsharded:
        module.unshard()
    policy = state.policy
    if policy.param_dtype is not None and policy.cast_forward_inputs:
        return _cast(args, policy.param_dtype)
    return None


def _post_forward(module: Module, args: tuple, output: Any) -> Any:
    module.reshard()
    policy = module._fsdp_state.policy
    if policy.output_dtype is not None:
        return _cast(output, policy.output_dtype)
    return None


@functools.cache
def _fsdp_class(cls: type) -> type:
    return type(f"FSDP{cls.__name__}", (FSDPModule, cls), {})


def fully_shard(
    module: Module,
    *,
    mesh: DeviceMesh | None = None,
    reshard_after_forward: bool | int = True,
    shard_placement_fn: Any = None,
    mp_policy: MixedPrecisionPolicy = MixedPrecisionPolicy(),
    offload_policy: OffloadPolicy = OffloadPolicy(),
    ignored_params: set | None = None,
) -> Module:
    """Shard ``module``'s parameters (those not already managed by a ``fully_shard`` submodule)
    along dimension 0 over ``mesh`` (default: all ranks). Apply it to the blocks of a model first,
    then to the model. Every rank's parameters must hold the same values (seed, or load).

    >>> import tensorish, tensorish.distributed as dist
    >>> from tensorish.distributed.fsdp import fully_shard, FSDPModule
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> net = fully_shard(tensorish.nn.Linear(2, 4))
    >>> isinstance(net, FSDPModule), net.weight.placements
    (True, (Shard(dim=0),))
    >>> dist.destroy_process_group()
    """
    if shard_placement_fn is not None:
        raise NotImplementedError("fully_shard: shard_placement_fn is not supported")
    return shard_module(module, mesh, mp_policy, reshard_after_forward, ignored_params, True)


def rank_device_mesh(mesh: DeviceMesh | None) -> DeviceMesh:
    """``mesh``, checked to be one-dimensional with one device per rank (default: all ranks)."""
    if mesh is None:
        kind = "cuda" if has_gpus() else "cpu"
        return init_device_mesh(kind, (get_world_size(),))
    owners = [d.process_index for d in mesh.mesh.devices.flat]
    if mesh.ndim != 1 or len(set(owners)) != len(owners):
        raise NotImplementedError(
            "fully sharded data parallelism in tensorish shards over a one-dimensional mesh "
            "with one device per rank"
        )
    return mesh


def shard_module(
    module: Module,
    mesh: DeviceMesh | None,
    policy: MixedPrecisionPolicy,
    reshard_after_forward: bool | int,
    ignored_params: Any,
    shard: bool,
) -> Module:
    """Manage ``module``'s parameters not managed by a submodule: sharded along dimension 0
    (if ``shard`` and the ranks divide it) or replicated; the module becomes an FSDPModule."""
    mesh = rank_device_mesh(mesh)
    ignored = {id(p) for p in ignored_params or ()}
    taken = set()
    for sub in module.modules():
        if sub is not module and isinstance(sub, FSDPModule):
            taken |= {id(e.param) for e in sub._fsdp_state.params}
    entries, seen = [], set()
    for owner in module.modules():
        for name, p in list(owner._parameters.items()):
            if p is None or id(p) in seen or id(p) in taken or id(p) in ignored:
                continue
            seen.add(id(p))
            even = shard and p.ndim > 0 and p.shape[0] % mesh.size() == 0
            spec = PartitionSpec(mesh.axis_names[0]) if even else PartitionSpec()
            # Each rank keeps its own rows of its own values (PyTorch does not broadcast).
            p._set_value(_place(p._value, NamedSharding(mesh.mesh, spec), None))
            entries.append(_Sharded(owner, name, p, even))
    module._fsdp_state = _FSDPState(mesh, entries, policy, reshard_after_forward)
    module.__class__ = _fsdp_class(type(module))
    module.register_forward_pre_hook(_pre_forward)
    module.register_forward_hook(_post_forward)
    return module


__all__ = [
    "CPUOffloadPolicy",
    "FSDPModule",
    "MixedPrecisionPolicy",
    "OffloadPolicy",
    "fully_shard",
]

"""``FullyShardedDataParallel`` (FSDP1): the older wrapper, on the same machinery as
``fully_shard``.

The wrapped module is ``_fsdp_wrapped_module``; its parameters are sharded (``FULL_SHARD``,
``SHARD_GRAD_OP``) or replicated (``NO_SHARD``) over the group's ranks. The whole wrapped module is
one unit: an ``auto_wrap_policy`` is accepted but makes no nested units (the numbers are the
same; only when parameters are gathered differs). ``state_dict()`` gives full tensors under the
original names (PyTorch's default ``FULL_STATE_DICT``), or DTensors inside
``FullyShardedDataParallel.state_dict_type(model, StateDictType.SHARDED_STATE_DICT)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Iterator
from typing import Any

from ... import _dtype
from ..._tensor import Tensor
from ...nn import Module
from ...nn.utils import clip_grad_norm_
from .._collectives import broadcast_tensors
from .._mesh import DeviceMesh, init_device_mesh
from .._process import resolve
from ..checkpoint.state_dict import StateDictOptions, set_model_state_dict
from ._fully_shard import MixedPrecisionPolicy, shard_module


class ShardingStrategy(enum.Enum):
    FULL_SHARD = 1
    SHARD_GRAD_OP = 2
    NO_SHARD = 3
    HYBRID_SHARD = 4
    _HYBRID_SHARD_ZERO2 = 5


class BackwardPrefetch(enum.Enum):
    BACKWARD_PRE = 1
    BACKWARD_POST = 2


class StateDictType(enum.Enum):
    FULL_STATE_DICT = 1
    LOCAL_STATE_DICT = 2
    SHARDED_STATE_DICT = 3


@dataclasses.dataclass
class MixedPrecision:
    """FSDP1's dtypes: compute in ``param_dtype``, reduce gradients in ``reduce_dtype``."""

    param_dtype: _dtype.dtype | None = None
    reduce_dtype: _dtype.dtype | None = None
    buffer_dtype: _dtype.dtype | None = None
    keep_low_precision_grads: bool = False
    cast_forward_inputs: bool = False
    cast_root_forward_inputs: bool = True


@dataclasses.dataclass
class CPUOffload:
    """Accepted for compatibility: tensorish keeps the shards on the device."""

    offload_params: bool = False


class FullyShardedDataParallel(Module):
    """Wrap ``module`` and shard its parameters over the ranks (one unit).

    >>> import tensorish, tensorish.distributed as dist
    >>> from tensorish.distributed.fsdp import FullyShardedDataParallel as FSDP
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> model = FSDP(tensorish.nn.Linear(2, 4))
    >>> model(tensorish.ones(1, 2)).shape, list(model.state_dict())
    (tensorish.Size([1, 4]), ['weight', 'bias'])
    >>> dist.destroy_process_group()
    """

    _wrapped_prefix = "_fsdp_wrapped_module."  # its state-dict keys (see checkpoint)

    def __init__(
        self,
        module: Module,
        process_group: Any = None,
        sharding_strategy: ShardingStrategy | None = None,
        cpu_offload: CPUOffload | None = None,
        auto_wrap_policy: Any = None,
        backward_prefetch: BackwardPrefetch | None = BackwardPrefetch.BACKWARD_PRE,
        mixed_precision: MixedPrecision | None = None,
        ignored_modules: Any = None,
        param_init_fn: Any = None,
        device_id: Any = None,
        sync_module_states: bool = False,
        forward_prefetch: bool = False,
        limit_all_gathers: bool = True,
        use_orig_params: bool = False,
        ignored_states: Any = None,
        device_mesh: DeviceMesh | None = None,
    ) -> None:
        super().__init__()
        strategy = sharding_strategy or ShardingStrategy.FULL_SHARD
        if strategy in (ShardingStrategy.HYBRID_SHARD, ShardingStrategy._HYBRID_SHARD_ZERO2):
            raise NotImplementedError(f"FullyShardedDataParallel: {strategy} is not supported")
        pg = resolve(process_group)
        if device_mesh is None:
            device_mesh = init_device_mesh(_kind(module), (pg.size(),))
        if sync_module_states:
            broadcast_tensors(pg, list(module.parameters()) + list(module.buffers()))
        ignored = [p for m in ignored_modules or () for p in m.parameters()]
        ignored += [s for s in ignored_states or () if isinstance(s, Tensor)]
        mp = mixed_precision or MixedPrecision()
        policy = MixedPrecisionPolicy(
            param_dtype=mp.param_dtype,
            reduce_dtype=mp.reduce_dtype,
            cast_forward_inputs=mp.cast_forward_inputs or mp.cast_root_forward_inputs,
        )
        self._fsdp_wrapped_module = shard_module(
            module,
            device_mesh,
            policy,
            strategy is ShardingStrategy.FULL_SHARD,
            ignored,
            strategy is not ShardingStrategy.NO_SHARD,
        )
        self.sharding_strategy = strategy
        self._state_dict_type = StateDictType.FULL_STATE_DICT

    @property
    def module(self) -> Module:
        """The wrapped module."""
        return self._fsdp_wrapped_module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._fsdp_wrapped_module(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        """Attributes of the wrapped module are the wrapper's too (as PyTorch's)."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_fsdp_wrapped_module"], name)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates gradients locally; the first backward after it
        reduce-scatters them all."""
        self.module.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            self.module.set_requires_gradient_sync(True)

    def clip_grad_norm_(self, max_norm: float, norm_type: float = 2.0) -> Tensor:
        """Clip the gradients by their norm over every rank's shards."""
        return clip_grad_norm_(self.parameters(), max_norm, norm_type)

    def state_dict(
        self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Tensor]:
        out = {} if destination is None else destination
        inner = self.module.state_dict(keep_vars=keep_vars)
        full = self._state_dict_type is StateDictType.FULL_STATE_DICT
        for k, v in inner.items():
            out[prefix + k] = v.full_tensor().detach() if full and _spread(v) else v
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False):
        return set_model_state_dict(self, state_dict, options=_strict(strict))

    @staticmethod
    @contextlib.contextmanager
    def state_dict_type(
        module: Module, state_dict_type: StateDictType, *args: Any, **kwargs: Any
    ) -> Iterator[None]:
        """Within, ``state_dict()`` of every FSDP module in ``module`` is of this type."""
        wrappers = [m for m in module.modules() if isinstance(m, FullyShardedDataParallel)]
        before = [m._state_dict_type for m in wrappers]
        for m in wrappers:
            m._state_dict_type = state_dict_type
        try:
            yield
        finally:
            for m, t in zip(wrappers, before):
                m._state_dict_type = t


def _spread(v: Tensor) -> bool:
    return len(v._value.sharding.device_set) > 1


def _strict(strict: bool) -> Any:
    return StateDictOptions(strict=strict)


def _kind(module: Module) -> str:
    p = next(iter(module.parameters()), None)
    return "cpu" if p is None else p.device.type


__all__ = [
    "BackwardPrefetch",
    "CPUOffload",
    "FullyShardedDataParallel",
    "MixedPrecision",
    "ShardingStrategy",
    "StateDictType",
]

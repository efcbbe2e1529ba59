"""Placements and distribution; placement methods are attached to Tensor here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
from jax.sharding import NamedSharding, PartitionSpec

from ..._dispatch import Op, apply
from ..._tensor import Tensor, _wrap_dim, method
from .._collectives import broadcast_body, on_ranks
from .._mesh import DeviceMesh
from .._process import is_initialized, resolve


class Placement:
    """How a tensor is laid out along one mesh dimension."""

    def is_shard(self, dim: int | None = None) -> bool:
        return False

    def is_replicate(self) -> bool:
        return False


class Shard(Placement):
    """Split tensor dimension ``dim`` evenly across the mesh dimension.

    >>> Shard(0)
    Shard(dim=0)
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def is_shard(self, dim: int | None = None) -> bool:
        return dim is None or dim == self.dim

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shard) and other.dim == self.dim

    def __hash__(self) -> int:
        return hash(("Shard", self.dim))

    def __repr__(self) -> str:
        return f"Shard(dim={self.dim})"

    def __str__(self) -> str:
        return f"S({self.dim})"


class Replicate(Placement):
    """A full copy on every device of the mesh dimension.

    >>> Replicate()
    Replicate()
    """

    def is_replicate(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Replicate)

    def __hash__(self) -> int:
        return hash("Replicate")

    def __repr__(self) -> str:
        return "Replicate()"

    def __str__(self) -> str:
        return "R"


class Partial(Placement):
    """Pending reduction; never stored: XLA reduces inside the computation that makes it."""

    def __init__(self, reduce_op: str = "sum") -> None:
        raise NotImplementedError(
            "Partial placements are not materialized in tensorish: XLA inserts the reduction "
            "inside the compiled computation. Use Replicate() or Shard(dim)."
        )


def _spec(mesh: DeviceMesh, placements: Sequence[Placement], ndim: int) -> PartitionSpec:
    if len(placements) != mesh.ndim:
        raise ValueError(
            f"`placements` must have the same length as `device_mesh.ndim`! Found "
            f"placements length: {len(placements)}, and device_mesh.ndim: "
            f"{mesh.ndim}."
        )
    dims: list[list[str]] = [[] for _ in range(ndim)]
    for name, p in zip(mesh.axis_names, placements):
        if isinstance(p, Shard):
            dims[_wrap_dim(p.dim, ndim)].append(name)
        elif not isinstance(p, Replicate):
            raise TypeError(f"unsupported placement {p!r}: use Shard(dim) or Replicate()")
    return PartitionSpec(*[None if not d else d[0] if len(d) == 1 else tuple(d) for d in dims])


def _sharding(mesh: DeviceMesh, placements, ndim: int) -> NamedSharding:
    return NamedSharding(mesh.mesh, _spec(mesh, placements, ndim))


def _check_even(shape: tuple, sharding: NamedSharding) -> None:
    for dim, axes in enumerate(sharding.spec):
        if axes is None:
            continue
        axes = (axes,) if isinstance(axes, str) else axes
        n = 1
        for a in axes:
            n *= sharding.mesh.shape[a]
        if shape[dim] % n:
            raise RuntimeError(
                f"tensorish shards evenly only (jax.sharding): dimension {dim} of size "
                f"{shape[dim]} is not divisible by the {n} devices it is sharded over."
            )


def _default_placements(mesh: DeviceMesh, placements) -> tuple:
    return tuple(placements) if placements is not None else (Replicate(),) * mesh.ndim


def _place(value: jax.Array, sharding: NamedSharding, src_data_rank: int | None) -> jax.Array:
    """``value`` (this process's full copy) laid out with ``sharding``. A sharding over other
    processes' devices too takes rank ``src_data_rank``'s copy (None: each process's own, which
    must then be equal)."""
    if sharding.is_fully_addressable:
        return jax.device_put(value, sharding)
    if not value.is_fully_addressable:
        return jax.jit(lambda x: x, out_shardings=sharding)(value)
    if src_data_rank is not None and is_initialized():
        (value,) = on_ranks(resolve(None), broadcast_body, [value], root=src_data_rank)
    return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])


def distribute_tensor(
    tensor: Tensor,
    device_mesh: DeviceMesh | None = None,
    placements: Sequence[Placement] | None = None,
    *,
    src_data_rank: int | None = 0,
    **kwargs: Any,
) -> Tensor:
    """A new leaf tensor with ``tensor``'s values laid out over ``device_mesh``; on a mesh
    spanning several processes each gets its shards of rank ``src_data_rank``'s tensor.

    >>> import tensorish
    >>> from tensorish.distributed import init_device_mesh
    >>> mesh = init_device_mesh("cpu", (1,))
    >>> distribute_tensor(tensorish.ones(4), mesh, [Shard(0)]).placements
    (Shard(dim=0),)
    """
    if device_mesh is None:
        raise RuntimeError("distribute_tensor needs a device_mesh (no default mesh is set)")
    placements = _default_placements(device_mesh, placements)
    sharding = _sharding(device_mesh, placements, tensor.ndim)
    _check_even(tensor.shape, sharding)
    out = Tensor._wrap(_place(tensor._value, sharding, src_data_rank))
    out._requires_grad = tensor._requires_grad
    return out


def distribute_module(
    module: Any,
    device_mesh: DeviceMesh | None = None,
    partition_fn: Callable | None = None,
    input_fn: Callable | None = None,
    output_fn: Callable | None = None,
) -> Any:
    """Lay out ``module``'s tensors over ``device_mesh``: ``partition_fn(name, submodule, mesh)``
    places some; every other tensor is replicated. Tensors are updated in place (an optimizer
    holding them keeps working). ``input_fn``/``output_fn`` are not supported yet.
    """
    if device_mesh is None:
        raise RuntimeError("distribute_module needs a device_mesh (no default mesh is set)")
    if input_fn is not None or output_fn is not None:
        raise NotImplementedError("distribute_module: input_fn and output_fn are not supported")
    if partition_fn is not None:
        named = getattr(module, "named_modules", None)
        for name, sub in named() if named is not None else [("", module)]:
            partition_fn(name, sub, device_mesh)
    replicate = NamedSharding(device_mesh.mesh, PartitionSpec())
    for t in _module_tensors(module):
        s = t._value.sharding
        if not (isinstance(s, NamedSharding) and s.mesh == device_mesh.mesh):
            t._value = _place(t._value, replicate, 0)
    return module


def _module_tensors(module: Any) -> list:
    """Every Tensor reachable through the module's attributes, dicts and lists (once each)."""
    found: dict = {}
    seen: set = set()
    stack = [module]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, Tensor):
            found[id(v)] = v
            if v._grad is not None:
                found[id(v._grad)] = v._grad
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif hasattr(v, "__dict__") and not isinstance(v, type):
            stack.extend(vars(v).values())
    return list(found.values())


# -- the DTensor surface on Tensor -----------------------------------------------------------

_relayout = Op(
    "RedistributeBackward",
    lambda x, sharding: jax.lax.with_sharding_constraint(x, sharding),
    saves=(),
)


def _named(self: Tensor) -> NamedSharding:
    s = getattr(self._value, "sharding", None)
    if not isinstance(s, NamedSharding):
        raise AttributeError(
            "'Tensor' object has no attribute 'placements' (it is not "
            "distributed: use distribute_tensor)"
        )
    return s


def _placements(self: Tensor) -> tuple:
    s = _named(self)
    out = []
    for name in s.mesh.axis_names:
        dim = next(
            (
                d
                for d, axes in enumerate(s.spec)
                if axes == name or (isinstance(axes, tuple) and name in axes)
            ),
            None,
        )
        out.append(Replicate() if dim is None else Shard(dim))
    return tuple(out)


def _device_mesh(self: Tensor) -> DeviceMesh:
    mesh = _named(self).mesh
    names = tuple(mesh.axis_names)
    auto = all(n == f"dim_{i}" for i, n in enumerate(names))
    kind = next(iter(mesh.devices.flat)).platform
    return DeviceMesh({"gpu": "cuda"}.get(kind, kind), mesh, None if auto else names)


Tensor.placements = property(_placements)
Tensor.device_mesh = property(_device_mesh)


@method
def redistribute(
    self: Tensor,
    device_mesh: DeviceMesh | None = None,
    placements: Sequence[Placement] | None = None,
    **kwargs: Any,
) -> Tensor:
    """The same values laid out with new ``placements`` (differentiable)."""
    mesh = device_mesh or self.device_mesh
    sharding = _sharding(mesh, _default_placements(mesh, placements), self.ndim)
    _check_even(self.shape, sharding)
    return apply(_relayout, (self,), (("sharding", sharding),))


@method
def full_tensor(self: Tensor) -> Tensor:
    """The whole tensor, replicated on every device of its mesh (differentiable)."""
    return self.redistribute(self.device_mesh, None)


__all__ = ["Placement", "Shard", "Replicate", "Partial", "distribute_tensor", "distribute_module"]

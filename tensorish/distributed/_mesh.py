"""DeviceMesh: a ``jax.sharding.Mesh`` under PyTorch's name, over every process's devices."""

from __future__ import annotations

import functools
import math

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._device import _JAX_PLATFORM
from .._device import device as _torch_device

# The mesh axis of a process group's collectives: one device per rank.
RANKS = "ranks"


def job_devices(platform: str) -> list:
    """Every process's devices of a platform, rank by rank."""
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        return []
    return sorted(devices, key=lambda d: (d.process_index, d.id))


@functools.lru_cache(maxsize=64)
def rank_mesh(ranks: tuple[int, ...], platform: str) -> Mesh:
    """A one-axis mesh of the first ``platform`` device of each of ``ranks``."""
    first: dict = {}
    for d in job_devices(platform):
        first.setdefault(d.process_index, d)
    return Mesh(np.array([first[r] for r in ranks]), (RANKS,))


class DeviceMesh:
    """An n-dimensional grid of devices; ``.mesh`` is the ``jax.sharding.Mesh`` it wraps.

    >>> import tensorish.distributed as dist
    >>> dist.init_device_mesh("cpu", (1,), mesh_dim_names=("dp",))
    DeviceMesh((dp=1), 'cpu', stride=(1,))
    """

    def __init__(self, device_type: str, mesh: Mesh, mesh_dim_names: tuple | None) -> None:
        self.device_type = device_type
        self.mesh = mesh
        self.mesh_dim_names = mesh_dim_names

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.mesh.devices.shape)

    @property
    def ndim(self) -> int:
        return self.mesh.devices.ndim

    def size(self, mesh_dim: int | None = None) -> int:
        return self.mesh.devices.size if mesh_dim is None else self.shape[mesh_dim]

    @property
    def axis_names(self) -> tuple[str, ...]:
        """The jax mesh axis names (``mesh_dim_names``, or ``dim_0, dim_1, ...``)."""
        return tuple(self.mesh.axis_names)

    def __getitem__(self, names: str | tuple[str, ...]) -> DeviceMesh:
        names = (names,) if isinstance(names, str) else tuple(names)
        if not self.mesh_dim_names:
            raise RuntimeError("Cannot slice a DeviceMesh without mesh_dim_names!")
        for n in names:
            if n not in self.mesh_dim_names:
                raise KeyError(
                    f"Invalid mesh_dim_names {names} specified. Valid mesh_dim_names "
                    f"are {self.mesh_dim_names}."
                )
        keep = [self.mesh_dim_names.index(n) for n in names]
        devs = self.mesh.devices
        index = tuple(slice(None) if i in keep else 0 for i in range(devs.ndim))
        sub = np.transpose(devs[index], [sorted(keep).index(k) for k in keep])
        return DeviceMesh(self.device_type, Mesh(sub, names), names)

    def __repr__(self) -> str:
        shape = self.shape
        sizes = (
            f"({', '.join(f'{k}={v}' for k, v in zip(self.mesh_dim_names, shape))})"
            if self.mesh_dim_names
            else f"{shape}"
        )
        stride = tuple(math.prod(shape[i + 1 :]) for i in range(len(shape)))
        return f"DeviceMesh({sizes}, '{self.device_type}', stride={stride})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeviceMesh) and self.mesh == other.mesh

    def __hash__(self) -> int:
        return hash(self.mesh)


@functools.lru_cache(maxsize=64)
def _position(mesh: Mesh) -> int:
    me = jax.process_index()
    return next(i for i, d in enumerate(mesh.devices.flat) if d.process_index == me)


def lift(a: jax.Array, mesh: Mesh) -> jax.Array:
    """This process's array as its block (along dimension 0) of a global array over ``mesh``,
    a one-axis mesh with one device per process (no copy)."""
    if not a.is_fully_addressable:
        raise ValueError(
            "collectives take this process's own tensors; this tensor is distributed over "
            "several processes (use its placements: redistribute, full_tensor)"
        )
    if a.ndim == 0:
        a = a.reshape(1)
    a = jax.device_put(a, mesh.devices.flat[_position(mesh)])
    shape = (mesh.devices.size * a.shape[0], *a.shape[1:])
    return jax.make_array_from_single_device_arrays(
        shape, NamedSharding(mesh, PartitionSpec(mesh.axis_names[0])), [a]
    )


def init_device_mesh(
    device_type: str, mesh_shape: tuple[int, ...], *, mesh_dim_names: tuple[str, ...] | None = None
) -> DeviceMesh:
    """A DeviceMesh of ``mesh_shape`` over every device of ``device_type`` in the job (all
    processes, rank by rank), or, if the shape asks for one device per process, over each
    process's first device (as PyTorch's mesh of ranks).

    >>> import tensorish.distributed as dist
    >>> dist.init_device_mesh("cpu", (1,)).shape
    (1,)
    """
    mesh_shape = tuple(mesh_shape)
    if mesh_dim_names is not None:
        mesh_dim_names = tuple(mesh_dim_names)
        if len(mesh_dim_names) != len(mesh_shape):
            raise RuntimeError(
                "mesh_shape and mesh_dim_names should have same length!",
                f"Found len(mesh_dim_names): {len(mesh_dim_names)} and len(mesh_shape):"
                f"{len(mesh_shape)}.",
            )
        if len(set(mesh_dim_names)) != len(mesh_dim_names):
            raise RuntimeError(
                "Each mesh_dim_name must be unique.",
                f"Found repeated mesh_dim_name in mesh_dim_names {mesh_dim_names}",
            )
    kind = _torch_device(device_type).type
    devices = job_devices(_JAX_PLATFORM[kind])
    n = math.prod(mesh_shape)
    if n == jax.process_count() < len(devices):
        devices = list(rank_mesh(tuple(range(n)), _JAX_PLATFORM[kind]).devices)
    if n != len(devices):
        raise RuntimeError(
            f"mesh_shape {mesh_shape} needs {n} devices, but there are "
            f"{len(devices)} {device_type} devices (jax.devices())."
        )
    names = mesh_dim_names or tuple(f"dim_{i}" for i in range(len(mesh_shape)))
    grid = np.array(devices).reshape(mesh_shape)
    return DeviceMesh(kind, Mesh(grid, names), mesh_dim_names)


__all__ = ["DeviceMesh", "init_device_mesh"]

"""DeviceMesh: a ``jax.sharding.Mesh`` under PyTorch's name, over every process's devices."""

from __future__ import annotations

import math

import jax
import numpy as np
from jax.sharding import Mesh

from .._device import _JAX_PLATFORM
from .._device import device as _torch_device
from ._process import ProcessGroup, group_of
from ._ranks import job_devices, rank_mesh


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

    def get_group(self, mesh_dim: int | str | None = None) -> ProcessGroup:
        """The process group of the ranks along ``mesh_dim`` (through this process's devices).

        >>> import tensorish.distributed as dist
        >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
        >>> dist.init_device_mesh("cpu", (1,)).get_group().size()
        1
        >>> dist.destroy_process_group()
        """
        if mesh_dim is None:
            if self.ndim != 1:
                raise RuntimeError(
                    f"Found the DeviceMesh have {self.ndim} dimensions. Optional kwarg `mesh_dim` "
                    "needs to be specified when device_mesh.ndim > 1."
                )
            mesh_dim = 0
        dim = self.mesh_dim_names.index(mesh_dim) if isinstance(mesh_dim, str) else mesh_dim
        devices = self.mesh.devices
        me = jax.process_index()
        at = next(i for i, d in np.ndenumerate(devices) if d.process_index == me)
        line = devices[tuple(slice(None) if i == dim else c for i, c in enumerate(at))]
        return group_of(sorted({d.process_index for d in line.flat}))

    def get_local_rank(self, mesh_dim: int | str | None = None) -> int:
        """This process's rank within ``get_group(mesh_dim)``."""
        return self.get_group(mesh_dim).rank()

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

"""The mesh of a process group: one device per rank, where its collectives run."""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

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

"""Process groups: PyTorch's ``init_process_group`` over ``jax.distributed``.

Launching on many hosts: start ONE process per host (it drives all of that host's devices), e.g.
with torchrun, which sets the variables read here::

    torchrun --nnodes=2 --nproc-per-node=1 --node-rank=$RANK \\
             --master-addr=$HOST0 --master-port=29500 train.py

and in ``train.py`` call ``tensorish.distributed.init_process_group()`` before creating any
tensor. Then ``init_device_mesh("cuda", (hosts, devices_per_host))`` spans every host's devices,
and compiled steps run SPMD across all of them (XLA inserts the collectives). On TPU pods and
SLURM clusters JAX finds the coordinator itself, so no variables are needed.
"""

from __future__ import annotations

import os

import jax

_state = {"initialized": False}


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    **kwargs,
) -> None:
    """Join the job's processes (``jax.distributed.initialize``); a no-op for one process.

    The coordinator comes from ``init_method`` (``"tcp://host:port"``) or ``MASTER_ADDR`` and
    ``MASTER_PORT``; the size and rank from the arguments or ``WORLD_SIZE`` and ``RANK``.
    ``backend`` is accepted for compatibility: XLA picks the collectives for the devices.

    >>> import tensorish.distributed as dist
    >>> dist.init_process_group("gloo", world_size=1, rank=0)
    >>> dist.get_world_size()
    1
    """
    if _state["initialized"]:
        raise ValueError("trying to initialize the default process group twice!")
    world_size = world_size if world_size != -1 else int(os.environ.get("WORLD_SIZE", -1))
    rank = rank if rank != -1 else int(os.environ.get("RANK", -1))
    address = None
    if init_method is not None and init_method.startswith("tcp://"):
        address = init_method[len("tcp://") :]
    elif "MASTER_ADDR" in os.environ:
        address = f"{os.environ['MASTER_ADDR']}:{os.environ.get('MASTER_PORT', '29500')}"
    if world_size != 1:
        jax.distributed.initialize(
            coordinator_address=address,
            num_processes=None if world_size == -1 else world_size,
            process_id=None if rank == -1 else rank,
            initialization_timeout=int(timeout.total_seconds()) if timeout else 300,
        )
    _state["initialized"] = True


def is_initialized() -> bool:
    return _state["initialized"]


def _check() -> None:
    if not _state["initialized"]:
        raise ValueError(
            "Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )


def get_rank(group=None) -> int:
    """This process's index among the job's processes."""
    _check()
    return jax.process_index()


def get_world_size(group=None) -> int:
    """How many processes the job has."""
    _check()
    return jax.process_count()


def destroy_process_group(group=None) -> None:
    if _state["initialized"] and jax.process_count() > 1:
        jax.distributed.shutdown()
    _state["initialized"] = False

"""Process groups: PyTorch's ``init_process_group`` over ``jax.distributed``.

Each process of a job is one rank. ``init_process_group`` finds the coordinator (rank 0's
address) through ``env://`` (``MASTER_ADDR``/``MASTER_PORT``/``RANK``/``WORLD_SIZE``, as set by
``python -m tensorish.distributed.run`` or torchrun), ``tcp://host:port`` or ``file://path``, and
joins the job with ``jax.distributed.initialize``. From then on ``jax.devices()`` lists every
process's devices and XLA programs over a mesh of them run their collectives across processes
(gloo on CPU, the platform's own library on GPU/TPU).

JAX must join before its backend starts, and ``import tensorish`` starts it, so joining restarts
JAX's backends (``jax.extend.backend.clear_backends``), carrying over the default generator's
state: call ``init_process_group`` before creating tensors, as PyTorch's scripts do.

A group is an ordered set of ranks; its collectives run over a one-axis mesh holding each
member's first local device (``_mesh.rank_mesh``).
"""

from __future__ import annotations

import datetime
import itertools
import os
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

import jax
import jax.extend.backend
import numpy as np
from jax._src import distributed as _jax_distributed
from jax._src import xla_bridge

from .. import _lazy, _random
from .._mode import mode
from ._ranks import rank_mesh
from ._spmd import ProcessSPMD

# The default timeout of PyTorch's gloo groups.
default_pg_timeout = datetime.timedelta(minutes=30)


class DistError(RuntimeError):
    """Error raised by tensorish.distributed."""


class DistBackendError(DistError):
    """A collective failed (for example: a peer process died)."""


class DistStoreError(DistError):
    """The processes could not meet (for example: one never joined within the timeout)."""


class DistNetworkError(DistError):
    """A network error while processes meet."""


for _error in (DistError, DistBackendError, DistStoreError, DistNetworkError):
    _error.__module__ = "tensorish.distributed"


class Backend(str):
    """A backend name (``"gloo"``, ``"nccl"``): on CPU XLA's gloo collectives, on GPU and TPU the
    platform's own (NCCL on NVIDIA GPUs); the name only checks that the devices are there.

    >>> Backend("GLOO")
    'gloo'
    """

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name: str) -> Backend:
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """An ordered set of the job's processes (ranks) that run collectives together.

    >>> import tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> (dist.group.WORLD.rank(), dist.group.WORLD.size())
    (0, 1)
    >>> dist.destroy_process_group()
    """

    def __init__(
        self, ranks: Sequence[int], backend: str, timeout: datetime.timedelta, name: str
    ) -> None:
        self._ranks = tuple(ranks)
        self._backend = backend
        self._timeout = timeout
        self.group_name = name
        self._exchanges = itertools.count()

    def rank(self) -> int:
        """This process's rank within the group (-1 if it is not a member)."""
        me = jax.process_index()
        return self._ranks.index(me) if me in self._ranks else -1

    def size(self) -> int:
        return len(self._ranks)

    def name(self) -> str:
        return self._backend

    def _key(self, what: str) -> str:
        """A fresh name for one key-value exchange; the members call them in the same order."""
        return f"tensorish/{self.group_name}/{what}/{next(self._exchanges)}"

    def _timeout_ms(self) -> int:
        return int(self._timeout.total_seconds() * 1000)

    def __repr__(self) -> str:
        return f"ProcessGroup(ranks={list(self._ranks)}, backend={self._backend!r})"


class _State:
    def __init__(self) -> None:
        self.world: ProcessGroup | None = None
        self.groups = itertools.count()
        self.rendezvous_file: str | None = None
        self.by_ranks: dict = {}  # the groups of device meshes, one per set of ranks


_state = _State()


class _GroupMember:
    """``group.WORLD`` (the default group, None before ``init_process_group``) and
    ``NON_GROUP_MEMBER`` (what ``new_group`` gives the processes it leaves out)."""

    NON_GROUP_MEMBER = object()

    @property
    def WORLD(self) -> ProcessGroup | None:
        return _state.world


GroupMember = group = _GroupMember()


def is_available() -> bool:
    """Whether tensorish.distributed can be used (always: it is JAX's own runtime).

    >>> import tensorish.distributed as dist
    >>> dist.is_available()
    True
    """
    return True


def is_initialized() -> bool:
    """Whether the default process group has been initialized."""
    return _state.world is not None


def _world() -> ProcessGroup:
    if _state.world is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )
    return _state.world


def resolve(group: Any) -> ProcessGroup | None:
    """The ProcessGroup a ``group=`` argument names (None for a process outside it)."""
    world = _world()
    if group is None:
        return world
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    return group


def _parse(url: str) -> tuple[str, dict]:
    parsed = urllib.parse.urlparse(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    return parsed, query


def _env_int(name: str, scheme: str, given: int, query: dict, key: str) -> int:
    if given != -1:
        return given
    if key in query:
        return int(query[key])
    if scheme == "env" and name in os.environ:
        return int(os.environ[name])
    what = "rank" if key == "rank" else "world size"
    if scheme == "env":
        raise ValueError(
            f"Error initializing torch.distributed using env:// rendezvous: environment "
            f"variable {name} expected, but not set".replace("torch.", "tensorish.")
        )
    raise ValueError(
        f"Error initializing torch.distributed using {scheme}:// rendezvous: {what} parameter "
        "missing".replace("torch.", "tensorish.")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _coordinator(
    init_method: str, world_size: int, rank: int, timeout: datetime.timedelta
) -> tuple[str | None, int, int]:
    """(rank 0's ``host:port``, world size, rank) from the rendezvous ``init_method``."""
    parsed, query = _parse(init_method)
    scheme = parsed.scheme
    if scheme not in ("env", "tcp", "file"):
        raise RuntimeError(f"No rendezvous handler for {scheme}://")
    rank = _env_int("RANK", scheme, rank, query, "rank")
    world_size = _env_int("WORLD_SIZE", scheme, world_size, query, "world_size")
    if scheme == "tcp":
        return parsed.netloc, world_size, rank
    if scheme == "env":
        for name in ("MASTER_ADDR", "MASTER_PORT"):
            if name not in os.environ:
                raise ValueError(
                    "Error initializing tensorish.distributed using env:// rendezvous: "
                    f"environment variable {name} expected, but not set"
                )
        return f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", world_size, rank
    path = parsed.path
    if world_size == 1:
        return None, world_size, rank
    if rank == 0:
        # Rank 0 publishes the coordinator's address in the shared file.
        address = f"{socket.gethostname()}:{_free_port()}"
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(address)
        os.replace(tmp, path)
        _state.rendezvous_file = path
        return address, world_size, rank
    deadline = time.monotonic() + timeout.total_seconds()
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise DistStoreError(
                f"Timed out after {int(timeout.total_seconds())} seconds waiting for rank 0 "
                f"to write the coordinator's address to {path}."
            )
        time.sleep(0.05)
    with open(path) as f:
        return f.read().strip(), world_size, rank


def _check_backend(backend: str | None) -> str:
    if backend is None:
        return Backend.UNDEFINED
    name = Backend(backend)
    known = {"gloo", "nccl", "cpu:gloo", "cuda:nccl", "cpu:gloo,cuda:nccl"}
    if name == "mpi":
        raise RuntimeError(
            "Distributed package doesn't have MPI built in. MPI is only included if you build "
            "PyTorch from source on a host that has MPI installed."
        )
    if name not in known:
        raise AssertionError(f"Unknown backend type {backend}")
    if name == "nccl" and not has_gpus():
        raise RuntimeError("ProcessGroupNCCL is only supported with GPUs, no GPUs found!")
    return name


def has_gpus() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


def _timed_out(seconds: float, world_size: int, rank: int, address: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(
        f"tensorish.distributed.DistStoreError: Timed out after {seconds:g} seconds waiting "
        f"for the job's {world_size} processes to join at {address} (this is rank {rank}): a "
        "process did not start, died, or did not call init_process_group.\n"
    )
    sys.stderr.flush()
    os._exit(1)


def _exit_on_error(hook: Any) -> Any:
    """An uncaught exception ends the process at once, as in PyTorch. A normal exit waits (in
    JAX's client shutdown) until every process exits, which a failed rank must not do: its
    peers may be blocked in a collective it will never join."""

    def excepthook(kind: type, value: BaseException, tb: Any) -> None:
        hook(kind, value, tb)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)

    return excepthook


def _join(address: str, world_size: int, rank: int, timeout: datetime.timedelta) -> None:
    """``jax.distributed.initialize``, restarting JAX's backends if they already run."""
    state = None
    if xla_bridge.backends_are_initialized():
        state = np.asarray(_random.get_rng_state())
        jax.extend.backend.clear_backends()
        rank_mesh.cache_clear()
    # JAX's preemption notifier catches SIGTERM; PyTorch's workers end on it (launchers rely on
    # that to stop a job).
    jax.config.update("jax_enable_preemption_service", False)
    seconds = timeout.total_seconds()
    # JAX aborts the process when its own deadline passes; this says why, a little earlier.
    watchdog = threading.Timer(seconds, _timed_out, (seconds, world_size, rank, address))
    watchdog.daemon = True
    watchdog.start()
    try:
        jax.distributed.initialize(
            coordinator_address=address,
            num_processes=world_size,
            process_id=rank,
            initialization_timeout=int(seconds) + 30,
            heartbeat_timeout_seconds=int(max(10, min(100, seconds))),
        )
        _lazy.count_devices()  # every process's devices: the backend meets the others here
    finally:
        watchdog.cancel()
    sys.excepthook = _exit_on_error(sys.excepthook)
    if state is not None:
        from .._creation import tensor

        _random.set_rng_state(tensor(state))


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the job's processes (``jax.distributed.initialize``); one process joins nobody.

    ``init_method`` is ``"env://"`` (the default: ``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``,
    ``WORLD_SIZE``), ``"tcp://host:port"`` (rank 0's address) or ``"file://path"`` (a file on a
    filesystem every process sees; rank 0 writes its address there). A process that does not
    join within ``timeout`` (default 30 minutes) ends the job with a ``DistStoreError`` message.

    >>> import tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> dist.get_rank(), dist.get_world_size(), dist.get_backend()
    (0, 1, 'gloo')
    >>> dist.destroy_process_group()
    """
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise NotImplementedError(
            "init_process_group(store=...): tensorish joins processes through jax.distributed; "
            "use init_method"
        )
    name = _check_backend(backend)
    timeout = default_pg_timeout if timeout is None else timeout
    if init_method is None:
        init_method = "env://"
    address, world_size, rank = _coordinator(init_method, world_size, rank, timeout)
    if not 0 <= rank < world_size:
        raise ValueError(
            f"Invalid rank {rank}, rank should be in the interval [0, {world_size - 1}]"
        )
    if world_size > 1:
        _join(address, world_size, rank, timeout)
        mode.spmd = ProcessSPMD(world_size)
    _state.world = ProcessGroup(range(world_size), name, timeout, group_name or "0")


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the job (``jax.distributed.shutdown``, which waits for every process to leave),
    or forget a group made by ``new_group``."""
    if _state.world is None:
        raise AssertionError("Process group cannot be None")
    if group is not None and group is not _state.world:
        return
    if _state.world.size() > 1:
        mode.spmd = None
        jax.distributed.shutdown()
    if _state.rendezvous_file is not None and os.path.exists(_state.rendezvous_file):
        os.remove(_state.rendezvous_file)
    _state.world = None
    _state.rendezvous_file = None
    _state.by_ranks.clear()


def new_group(
    ranks: Sequence[int] | None = None,
    timeout: datetime.timedelta | None = None,
    backend: str | None = None,
    pg_options: Any = None,
    use_local_synchronization: bool = False,
    group_desc: str | None = None,
    device_id: Any = None,
) -> ProcessGroup | object:
    """A group of some ranks (all by default); every process calls it, in the same order.
    Processes outside it get ``GroupMember.NON_GROUP_MEMBER``."""
    world = _world()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(
                f"Invalid rank {r}, rank should be in the interval [0, {world.size() - 1}]"
            )
    name = str(next(_state.groups) + 1)
    pg = ProcessGroup(
        ranks,
        world.name() if backend is None else Backend(backend),
        timeout or world._timeout,
        name,
    )
    return pg if pg.rank() >= 0 else GroupMember.NON_GROUP_MEMBER


def group_of(ranks: list[int]) -> ProcessGroup:
    """The group of ``ranks`` (the same object each time: its exchanges are numbered)."""
    world = _world()
    key = tuple(ranks)
    if key == world._ranks:
        return world
    pg = _state.by_ranks.get(key)
    if pg is None:
        pg = ProcessGroup(key, world.name(), world._timeout, f"ranks{'-'.join(map(str, key))}")
        _state.by_ranks[key] = pg
    return pg


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group: its index in the job); -1 outside.

    >>> import tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> dist.get_rank()
    0
    >>> dist.destroy_process_group()
    """
    pg = resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes ``group`` (default: the job) has; -1 outside it."""
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend name given to ``init_process_group`` (``"undefined"`` if none was)."""
    pg = resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.name()


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of ``group``'s members."""
    pg = resolve(group)
    return list(pg._ranks)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The global rank of ``group``'s member ``group_rank``."""
    return resolve(group)._ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """``global_rank``'s rank within ``group``."""
    pg = resolve(group)
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def kv_client() -> Any:
    """JAX's distributed key-value store client (the coordinator's)."""
    return _jax_distributed.global_state.client


__all__ = [
    "Backend",
    "DistBackendError",
    "DistError",
    "DistNetworkError",
    "DistStoreError",
    "GroupMember",
    "ProcessGroup",
    "default_pg_timeout",
    "destroy_process_group",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "new_group",
]

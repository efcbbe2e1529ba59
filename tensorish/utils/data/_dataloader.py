"""DataLoader: batches from a dataset, in the main process or in worker processes.

Design note: why the workers are fresh interpreters, not forks.
PyTorch forks its workers on Linux, so scripts commonly build a DataLoader with
``num_workers > 0`` at top level, with no ``if __name__ == "__main__":`` guard. Forking a
process whose XLA runtime has started is not safe: measured with jax 0.10.2 on CPU, a forked
child can still run programs that were already compiled and copy arrays to and from the host,
but its first new compilation (a new op, a new shape: anything a Dataset's ``__getitem__`` or
the collate function does with tensors) hangs forever, because XLA's thread pools did not
survive the fork; and dropping JAX's backends in the child to start a new one aborts on
abseil's mutex checks (the locks were copied mid-wait). So tensorish never forks: each worker
is a new interpreter (``sys.executable``) that imports tensorish with its own CPU-only JAX
runtime (``JAX_PLATFORMS=cpu``; one intra-op thread, as torch's ``set_num_threads(1)``) and
receives the Dataset, collate_fn and worker_init_fn by value through cloudpickle. Unlike the
``spawn`` and ``forkserver`` start methods, the worker never re-imports the user's
``__main__``, so a script without a main guard works, and a worker runs real tensorish (a
TensorDataset, tensor transforms, ``default_collate`` stacking). Batches come back as NumPy
arrays and are wrapped as tensorish Tensors on the default device in the main process.

Differences from PyTorch that follow: starting a worker costs an interpreter start and a
tensorish import (about 2 s of CPU) instead of a fork, and ``iter(loader)`` returns once every
worker has started (``timeout`` counts from then, not from the start); every Dataset and
function handed to workers must be picklable by cloudpickle (an open file handle or a lock in a
Dataset is not; torch's fork would share them), and each worker holds its own copy of the
dataset, sent through a pipe (torch's fork shares the parent's memory); batches are pickled
through a pipe, not placed in shared memory; a global changed after the iterator was created is
not seen by its workers. ``multiprocessing_context`` is validated as in torch, but every start
method gets this launcher. ``pin_memory`` is accepted and has no effect (JAX has no pinned host
buffers to ask for).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import multiprocessing.context
import os
import pickle
import subprocess
import sys
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from ... import _creation, _dtype, _random, accelerator
from ._dataset import Dataset, IterableDataset
from ._sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from ._utils import collate as _collate
from ._utils import worker as _worker
from ._utils.fetch import create_fetcher

T_co = TypeVar("T_co", covariant=True)

_JOIN_TIMEOUT = 5.0  # seconds a stopping worker gets before it is killed, as torch's
_BOOT = (
    "import pickle, sys\n"
    "from multiprocessing.connection import Connection\n"
    "tasks = Connection(int(sys.argv[1]), writable=False)\n"
    "sys.path[:] = pickle.loads(tasks.recv_bytes())\n"
    "from tensorish.utils.data._utils.worker import worker_loop\n"
    "worker_loop(tasks, Connection(int(sys.argv[2]), readable=False), int(sys.argv[3]))\n"
)


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the keys an iterable dataset's fetcher ignores."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


def _cpu_count() -> int | None:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


class DataLoader(Generic[T_co]):
    """Batches of samples from ``dataset``, in the main process (``num_workers=0``) or from
    ``num_workers`` worker processes.

    Args are torch's: ``batch_size`` (None: no batching), ``shuffle``, ``sampler``,
    ``batch_sampler``, ``num_workers``, ``collate_fn``, ``pin_memory`` (accepted, no effect),
    ``drop_last``, ``timeout``, ``worker_init_fn``, ``multiprocessing_context``, ``generator``,
    ``prefetch_factor``, ``persistent_workers``, ``pin_memory_device``, ``in_order``.

    >>> import tensorish
    >>> from tensorish.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(tensorish.arange(5), tensorish.arange(5) * 10)
    >>> for x, y in DataLoader(ds, batch_size=2, drop_last=True):
    ...     print(x, y)
    tensor([0, 1]) tensor([ 0, 10])
    tensor([2, 3]) tensor([20, 30])
    """

    dataset: Dataset[T_co]
    batch_size: int | None
    num_workers: int
    pin_memory: bool
    drop_last: bool
    timeout: float
    sampler: Sampler | Iterable
    prefetch_factor: int | None
    __initialized = False

    # C901: PyTorch's checks of the option combinations
    def __init__(  # noqa: C901
        self,
        dataset: Dataset[T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: _random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            auto = batch_sampler is not None
            collate_fn = _collate.default_collate if auto else _collate.default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called: int | None = None
        self._iterator: _MultiProcessingDataLoaderIter | None = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self) -> Any:
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method in "
                        f"{methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got multiprocessing_context={context}"
                )
        self.__multiprocessing_context = context

    def __setattr__(self, attr: str, val: Any) -> None:
        frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")
        if self.__initialized and attr in frozen + ("persistent_workers",):
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if not self._iterable:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            if self.drop_last:
                return length // self.batch_size
            return math.ceil(length / self.batch_size)
        return length

    def check_worker_number_rationality(self) -> None:
        """Warn, as torch does, when there are more workers than CPUs this process may use."""
        if not self.num_workers:
            return
        suggested = _cpu_count()
        if suggested is not None and self.num_workers <= suggested:
            return
        cpuset = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
        advice = (
            f"Our suggested max number of worker in current system is {suggested}{cpuset}, which "
            "is smaller than what this DataLoader is going to create."
            if suggested is not None
            else "DataLoader is not able to compute a suggested max number of worker in current "
            "system."
        )
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. {advice} "
            "Please be aware that excessive worker creation might get DataLoader running slow or "
            "even freeze, lower the worker number to avoid potential slowness/freeze if "
            "necessary.",
            stacklevel=2,
        )


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        if loader.pin_memory and not accelerator.is_available():
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=3,
            )
        seed = _creation.empty((), dtype=_dtype.int64).random_(generator=loader.generator)
        self._base_seed = int(seed.item())
        self._reset(loader)

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._iterable and reported is not None and self._num_yielded > reported:
            msg = (
                f"Length of IterableDataset {self._dataset} was reported to be {reported}(when "
                f"accessing len(dataloader)), but {self._num_yielded} samples have been fetched. "
            )
            if self._num_workers > 0:
                msg += (
                    "For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker. Please see "
                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset "
                    "for examples."
                )
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> None:
        raise NotImplementedError("{} cannot be pickled", type(self).__name__)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = create_fetcher(
            self._iterable, self._dataset, self._auto_collation, self._collate_fn, self._drop_last
        )

    def _next_data(self) -> Any:
        return self._fetcher.fetch(next(self._sampler_iter))


def _worker_env() -> dict[str, str]:
    """A worker's environment: JAX on the CPU only (a worker must not claim an accelerator),
    one intra-op thread."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    return env


class _Worker:
    """One worker process and the parent's ends of its two pipes."""

    def __init__(self, worker_id: int) -> None:
        tasks_r, tasks_w = os.pipe()
        results_r, results_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(tasks_r), str(results_w), str(worker_id)],
            pass_fds=(tasks_r, results_w),
            stdin=subprocess.DEVNULL,
            env=_worker_env(),
        )
        os.close(tasks_r)
        os.close(results_w)
        self.tasks = Connection(tasks_w, readable=False)
        self.results = Connection(results_r, writable=False)
        self.tasks.send_bytes(pickle.dumps(sys.path))

    def send(self, msg: Any) -> None:
        try:
            self.tasks.send_bytes(_worker.dumps(msg))
        except OSError:
            pass  # the worker has exited; reading its results will tell

    def stop(self) -> None:
        if not self.tasks.closed:
            self.send(None)
            self.tasks.close()


def _stop_workers(workers: list[_Worker]) -> None:
    """Ask every worker to exit, then wait for it (killing one that does not exit in time)."""
    for w in workers:
        w.stop()
    for w in workers:
        try:
            w.process.wait(timeout=_JOIN_TIMEOUT)
        except subprocess.TimeoutExpired:
            w.process.kill()
            w.process.wait()
        w.results.close()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Hands keys to the workers round-robin, at most ``prefetch_factor`` tasks ahead per
    worker, and yields their batches in key order (or as they arrive, without ``in_order``)."""

    def __init__(self, loader: DataLoader) -> None:
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        self._persistent_workers = loader.persistent_workers
        self._workers: list[_Worker] = []
        self._shutdown = False
        super().__init__(loader)

    def _start_workers(self, loader: DataLoader) -> None:
        self._workers = [_Worker(i) for i in range(self._num_workers)]
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers)
        setup = _worker.Setup(
            iterable=self._iterable,
            dataset=self._dataset,
            auto_collation=self._auto_collation,
            collate_fn=self._collate_fn,
            drop_last=self._drop_last,
            base_seed=self._base_seed,
            init_fn=loader.worker_init_fn,
            num_workers=self._num_workers,
            default_dtype=_dtype.get_default_dtype(),
        )
        try:
            payload = _worker.dumps(setup)
        except Exception:
            self._shutdown_workers()
            raise
        for w in self._workers:
            w.tasks.send_bytes(payload)

    def _reset(self, loader: DataLoader) -> None:
        super()._reset(loader)
        if not self._workers:
            self._start_workers(loader)
        else:
            for w in self._workers:
                w.send(_worker.Resume())
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        # Every worker answers a start or a Resume; anything before that is a stale result of
        # an epoch left early. Starting is not bounded by ``timeout``: it takes seconds here.
        pending = self._num_workers
        while pending:
            pending -= isinstance(self._get_data(0)[0], _worker.Resume)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _get_data(self, timeout: float) -> tuple:
        """The next ``(idx, data)`` any active worker sends, waiting at most ``timeout``
        seconds (0: no limit)."""
        live = {w.results: i for i, w in enumerate(self._workers) if self._workers_status[i]}
        ready = wait(list(live), timeout=timeout or None)
        if not ready:
            raise RuntimeError(f"DataLoader timed out after {timeout} seconds")
        try:
            return _worker.loads(ready[0].recv_bytes())
        except EOFError:
            worker = self._workers[live[ready[0]]]
            worker.process.wait()
            self._workers_status[live[ready[0]]] = False
            raise RuntimeError(
                f"DataLoader worker (pid(s) {worker.process.pid}) exited unexpectedly"
            ) from None

    def _next_data(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            idx, data = self._get_data(self._timeout)
            if isinstance(data, _worker.IterableEnd):
                self._workers_status[data.worker_id] = False
                if not self._persistent_workers:
                    self._workers[data.worker_id].stop()
                self._try_put_index()
                continue
            if idx == self._rcvd_idx or not self._in_order:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += idx == self._rcvd_idx
                return self._process_data(data, worker_id)
            self._task_info[idx] += (data,)

    def _try_put_index(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        max_tasks = self._prefetch_factor * self._num_workers
        for _ in range(self._num_workers):  # the next active worker (with room, out of order)
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id] and (
                self._in_order
                or self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status)
            ):
                break
        else:
            return
        self._workers[worker_id].send((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._send_idx += 1

    def _process_data(self, data: Any, worker_id: int) -> Any:
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown_workers(self) -> None:
        if not self._shutdown:
            self._shutdown = True
            self._finalizer()

"""``spawn``/``start_processes``: run ``fn(i, *args)`` in ``nprocs`` fresh processes, as
``torch.multiprocessing``.

Children are fresh interpreters (the ``spawn`` or ``forkserver`` start methods): a forked child
of a process that has started XLA (``import tensorish`` does) hangs on its first new compile, so
``fork`` is refused. When a child fails, the others are ended and the parent raises
``ProcessRaisedException`` (with the child's traceback) or ``ProcessExitedException``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable

_GRACE_SECONDS = 30


class ProcessException(Exception):
    """A child process failed: ``error_index`` is its index, ``error_pid`` its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child process raised an exception (its traceback is in the message)."""


class ProcessExitedException(ProcessException):
    """A child process exited with a non-zero status or was killed by a signal."""

    def __init__(
        self,
        msg: str,
        error_index: int,
        error_pid: int,
        exit_code: int,
        signal_name: str | None = None,
    ) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self) -> tuple:
        args = (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)
        return type(self), args


def _wrap(fn: Callable, i: int, args: tuple, error_file: str) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # ended by the parent
    except Exception:
        with open(error_file, "w") as f:
            f.write(traceback.format_exc())
        # At once: a normal exit of a process in a tensorish.distributed job waits for the
        # other processes to exit too (JAX's shutdown barrier).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


class ProcessContext:
    """The started processes; ``join()`` waits for them and raises the first failure."""

    def __init__(self, processes: list, error_files: list[str]) -> None:
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait up to ``timeout`` for the processes; True once all have exited successfully.
        If one failed, end the others (SIGTERM, then SIGKILL) and raise its failure."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        self._end_others(grace_period)
        raise self._failure(failed)

    def _end_others(self, grace_period: float | None) -> None:
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(_GRACE_SECONDS if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()

    def _join_all(self, seconds: float) -> None:
        for p in self.processes:
            p.join(seconds)

    def _failure(self, index: int) -> ProcessException:
        process, error_file = self.processes[index], self.error_files[index]
        if os.path.exists(error_file):
            with open(error_file) as f:
                trace = f.read()
            msg = f"\n\n-- Process {index:d} terminated with the following error:\n{trace}"
            return ProcessRaisedException(msg, index, process.pid)
        code = process.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            msg = f"process {index:d} terminated with signal {name}"
            return ProcessExitedException(msg, index, process.pid, code, name)
        msg = f"process {index:d} terminated with exit code {code:d}"
        return ProcessExitedException(msg, index, process.pid, code)


def start_processes(
    fn: Callable,
    args: tuple = (),
    nprocs: int = 1,
    join: bool = True,
    daemon: bool = False,
    start_method: str = "spawn",
) -> ProcessContext | None:
    """Start ``nprocs`` processes running ``fn(i, *args)``; with ``join``, wait for them all.

    >>> import tensorish.multiprocessing as mp
    >>> try:
    ...     mp.start_processes(print, nprocs=1, start_method="fork")
    ... except ValueError as e:
    ...     print(str(e).split(":")[0])
    start_method 'fork' is not supported
    """
    if start_method == "fork":
        raise ValueError(
            "start_method 'fork' is not supported: a forked child of a process that started "
            "XLA (import tensorish does) hangs on its first compile; use 'spawn' or 'forkserver'"
        )
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        fd, error_file = tempfile.mkstemp(prefix="tensorish-errorfile-")
        os.close(fd)
        os.unlink(error_file)  # written only if the child raises
        p = ctx.Process(target=_wrap, args=(fn, i, args, error_file), daemon=daemon)
        p.start()
        processes.append(p)
        error_files.append(error_file)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(
    fn: Callable,
    args: tuple = (),
    nprocs: int = 1,
    join: bool = True,
    daemon: bool = False,
    start_method: str = "spawn",
) -> ProcessContext | None:
    """``start_processes`` with the ``spawn`` start method (how many DDP examples start their
    workers: ``fn(rank, *args)`` calls ``init_process_group``)."""
    return start_processes(fn, args, nprocs, join, daemon, "spawn")


__all__ = [
    "ProcessContext",
    "ProcessException",
    "ProcessExitedException",
    "ProcessRaisedException",
    "spawn",
    "start_processes",
]

"""The DataLoader worker process: its loop, ``get_worker_info``, and the wire format.

A worker is a fresh Python interpreter (never a fork of the parent, see the design note in
``tensorish.utils.data._dataloader``) that the parent drives over two pipes: tasks in, results
out. Every message is pickled with cloudpickle, so a Dataset, collate_fn or worker_init_fn
defined in a script's ``__main__`` (or as a lambda) travels by value, and a class that made the
round trip parent -> worker -> parent comes back as the parent's own class. Tensors travel as
NumPy arrays and are rebuilt on arrival (in the parent: on the default device).
"""

from __future__ import annotations

import io
import pickle
import queue
import random
import sys
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import cloudpickle
import numpy as np

from .... import _creation, _dtype, _random
from ...._tensor import Tensor
from .fetch import create_fetcher


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells the code running in a DataLoader worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its ``id``, ``num_workers``, ``seed`` and its copy of the
    ``dataset``; None in the main process.

    >>> import tensorish
    >>> tensorish.utils.data.get_worker_info() is None
    True
    """
    return _worker_info


class KeyErrorMessage(str):
    """A KeyError's message that prints as itself (KeyError shows the repr of its argument)."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback and
    raised there again as torch does: ``Caught ValueError in DataLoader worker process 0.``
    followed by ``Original Traceback (most recent call last): ...``."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type that does not take one message argument
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class IterableEnd:
    """A worker's iterable dataset copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class Resume:
    """Start a new epoch with the same (persistent) worker; a worker answers it, and signals
    that it has started, with ``(Resume(), None)``."""


@dataclass(frozen=True)
class Setup:
    """Everything a worker needs, sent once when it starts."""

    iterable: bool
    dataset: Any
    auto_collation: bool
    collate_fn: Any
    drop_last: bool
    base_seed: int
    init_fn: Any
    num_workers: int
    default_dtype: Any


# -- the wire format ------------------------------------------------------------------------
def _rebuild_tensor(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = _creation.as_tensor(array)
    return t.requires_grad_() if requires_grad else t


class _Pickler(cloudpickle.CloudPickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is Tensor:
            if obj.grad_fn is not None and obj.requires_grad:
                raise RuntimeError(
                    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
                    "autograd does not support crossing process boundaries.  If you just want "
                    "to transfer the data, call detach() on the tensor before serializing (e.g., "
                    "putting it on the queue)."
                )
            return _rebuild_tensor, (np.asarray(obj.jax()), obj.requires_grad)
        return super().reducer_override(obj)


def dumps(obj: Any) -> bytes:
    """``obj`` as bytes for the other side of a worker pipe."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


loads = pickle.loads


# -- the worker process ---------------------------------------------------------------------
def _seed(base_seed: int, worker_id: int) -> int:
    """Seed Python's, NumPy's and tensorish's generators as torch seeds a worker's."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    # NumPy's seed: torch hashes (worker_id, base_seed) with NumPy's SeedSequence algorithm.
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))
    return seed


def _read_tasks(conn: Connection, tasks: queue.SimpleQueue) -> None:
    """Move every task from the pipe into ``tasks`` as it arrives (so the parent's writes never
    wait for this worker to finish a batch); None when the parent is gone or says stop."""
    try:
        while (msg := loads(conn.recv_bytes())) is not None:
            tasks.put(msg)
    except (EOFError, OSError):
        pass
    tasks.put(None)


def worker_loop(tasks_in: Connection, results_out: Connection, worker_id: int) -> None:
    """Serve tasks ``(idx, index)`` with ``(idx, batch)`` until told to stop."""
    global _worker_info
    try:
        setup: Setup = loads(tasks_in.recv_bytes())
        _dtype.set_default_dtype(setup.default_dtype)
        seed = _seed(setup.base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, setup.num_workers, seed, setup.dataset)
        where = f"in DataLoader worker process {worker_id}"

        def make_fetcher():
            return create_fetcher(
                setup.iterable,
                setup.dataset,
                setup.auto_collation,
                setup.collate_fn,
                setup.drop_last,
            )

        init_error = fetcher = None
        try:
            if setup.init_fn is not None:
                setup.init_fn(worker_id)
            fetcher = make_fetcher()
        except Exception:
            init_error = ExceptionWrapper(where)
        tasks: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=_read_tasks, args=(tasks_in, tasks), daemon=True).start()
        results_out.send_bytes(dumps((Resume(), None)))
        ended = False
        while (msg := tasks.get()) is not None:
            if isinstance(msg, Resume):
                ended = False
                fetcher = make_fetcher()
                reply = (msg, None)
            elif ended:
                continue
            else:
                idx, index = msg
                if init_error is not None:
                    data, init_error = init_error, None
                else:
                    try:
                        data = fetcher.fetch(index)
                    except StopIteration:
                        if not setup.iterable:
                            data = ExceptionWrapper(where)
                        else:
                            data, ended = IterableEnd(worker_id), True
                    except Exception:
                        data = ExceptionWrapper(where)
                reply = (idx, data)
            try:
                payload = dumps(reply)
            except Exception:  # a batch that cannot be pickled
                payload = dumps((reply[0], ExceptionWrapper(where)))
            results_out.send_bytes(payload)
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        pass  # interrupted, or the parent is gone: end quietly as torch's workers do

"""``tensorish.profiler``: PyTorch's ``torch.profiler`` on top of ``jax.profiler``.

A ``profile`` records in windows chosen by its ``schedule`` (every step by default). During a
window it records tensorish's op events (``tensorish.autograd.profiler``: the table of
``key_averages()``) and a JAX trace (``jax.profiler.start_trace``: XLA's work on every device,
with an annotation per op and per ``record_function``). When a window ends, ``on_trace_ready``
gets the profiler: ``tensorboard_trace_handler(dir)`` files the JAX trace where TensorBoard's
profile plugin reads it (``dir/plugins/profile/<run>/<worker>.xplane.pb``, beside JAX's
Chrome-format ``<worker>.trace.json.gz``); ``export_chrome_trace(path)`` writes that Chrome
trace, which Perfetto and ``chrome://tracing`` open.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import tempfile
import time
import warnings
import weakref
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

import jax

from ..autograd import profiler as _legacy
from ..autograd.profiler import record_function


class ProfilerActivity(Enum):
    """What to profile. tensorish's JAX trace always holds the host and every device JAX uses;
    CPU and CUDA are accepted for PyTorch's code."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(Enum):
    """What the profiler does at a step (a ``schedule`` returns one per step)."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set[ProfilerActivity]:
    """The activities this machine can profile: CPU, and CUDA when JAX has a GPU.

    >>> import tensorish
    >>> tensorish.profiler.ProfilerActivity.CPU in tensorish.profiler.supported_activities()
    True
    """
    found = {ProfilerActivity.CPU}
    if any(d.platform == "gpu" for d in jax.devices()):
        found.add(ProfilerActivity.CUDA)
    return found


def schedule(
    *,
    wait: int,
    warmup: int,
    active: int,
    repeat: int = 0,
    skip_first: int = 0,
    skip_first_wait: int = 0,
) -> Callable[[int], ProfilerAction]:
    """PyTorch's profiling schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle
    steps, ``warmup`` steps and ``active`` recorded ones (``repeat`` cycles; 0: no limit).
    ``skip_first_wait`` skips the first cycle's wait.

    >>> import tensorish
    >>> s = tensorish.profiler.schedule(wait=1, warmup=1, active=2)
    >>> [s(i).name for i in range(4)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        message = "Profiler won't be using warmup, this can skew profiler results"
        warnings.warn(message, stacklevel=2)
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


_N, _W, _R, _S = ProfilerAction  # NONE, WARMUP, RECORD, RECORD_AND_SAVE
# PyTorch's transitions (previous action, this step's; None: stop) -> what happens.
_TRANSITIONS = {
    (_N, _R): ("start",),
    (_N, _S): ("start",),
    (_W, _R): ("start",),
    (_W, _S): ("start",),
    (_W, _N): ("warn",),
    (_R, _N): ("warn", "stop"),
    (_R, _W): ("warn", "stop"),
    (_S, _N): ("stop", "ready"),
    (_S, _W): ("stop", "ready"),
    (_S, _R): ("stop", "ready", "start"),
    (_S, _S): ("stop", "ready", "start"),
    (_R, None): ("stop", "ready"),
    (_S, None): ("stop", "ready"),
}


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


class profile(_legacy.profile):
    """Profile tensorish code: an op table (``key_averages().table()``) and a JAX trace.

    Args:
        activities: ``ProfilerActivity`` values (accepted; the JAX trace covers every device).
        schedule: step -> ``ProfilerAction`` (see ``schedule``); default: record every step.
        on_trace_ready: called with the profiler when a recording window ends.
        record_shapes: keep each op's input shapes (``key_averages(group_by_input_shape=True)``).
        profile_memory, with_stack, with_flops, with_modules: accepted (memory and stacks are in
            the JAX trace: TensorBoard's memory viewer and trace viewer).

    >>> import tensorish
    >>> from tensorish.profiler import profile, ProfilerActivity
    >>> x = tensorish.ones(3)
    >>> with profile(activities=[ProfilerActivity.CPU]) as prof:
    ...     y = (x * 2).sum()
    >>> [(e.key, e.count) for e in prof.key_averages()]
    [('aten::mul', 1), ('aten::sum', 1)]
    """

    def __init__(
        self,
        *,
        activities: Iterable[ProfilerActivity] | None = None,
        schedule: Callable[[int], ProfilerAction] | None = None,
        on_trace_ready: Callable[[profile], Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        with_modules: bool = False,
        experimental_config: Any = None,
        execution_trace_observer: Any = None,
        acc_events: bool = False,
        use_cuda: bool | None = None,
        custom_trace_id_callback: Callable[[], str] | None = None,
    ) -> None:
        acts = set(activities) if activities is not None else supported_activities()
        if use_cuda is not None:
            warnings.warn(
                "`use_cuda` is deprecated, use `activities` argument instead",
                FutureWarning,
                stacklevel=2,
            )
            (acts.add if use_cuda else acts.discard)(ProfilerActivity.CUDA)
        if not acts:
            raise AssertionError("No valid profiler activities found")
        super().__init__(
            use_device="cuda" if ProfilerActivity.CUDA in acts else None,
            record_shapes=record_shapes,
            profile_memory=profile_memory,
            with_stack=with_stack,
            with_flops=with_flops,
            with_modules=with_modules,
        )
        self.activities = acts
        self.schedule = schedule or _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.trace_dir: str | None = None  # the JAX trace of the last window
        self._step_range: record_function | None = None
        self._tmp = tempfile.mkdtemp(prefix="tensorish-profile-")
        weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Begin profiling (the first step's action)."""
        self._transit(ProfilerAction.NONE, self.current_action)
        self._mark_step()

    def stop(self) -> None:
        """End profiling; a recording window still open ends (and ``on_trace_ready`` runs)."""
        self._end_step()
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Mark the start of the next step (the schedule may start or end a window)."""
        self._end_step()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(prev, self.current_action)
        self._mark_step()

    def _mark_step(self) -> None:
        if self.record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _end_step(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def _transit(self, prev: ProfilerAction, now: ProfilerAction | None) -> None:
        for action in _TRANSITIONS.get((prev, now), ()):
            if action == "start":
                self._start_window()
            elif action == "stop":
                self._stop_window()
            elif action == "ready":
                if self.on_trace_ready is not None:
                    self.on_trace_ready(self)
            else:
                message = f"Incorrect schedule: {prev.name} followed by {now.name}"
                warnings.warn(message, stacklevel=3)

    def _start_window(self) -> None:
        if self.trace_dir is not None:
            shutil.rmtree(self.trace_dir, ignore_errors=True)
        self.trace_dir = tempfile.mkdtemp(dir=self._tmp)
        jax.profiler.start_trace(self.trace_dir)
        self._start()

    def _stop_window(self) -> None:
        self._stop()
        jax.profiler.stop_trace()

    def _trace_file(self, suffix: str) -> str:
        """The JAX trace's file ending with ``suffix`` (``.xplane.pb``, ``.trace.json.gz``)."""
        if self.trace_dir is not None and self.function_events is not None:
            for root, _, files in os.walk(self.trace_dir):
                for name in files:
                    if name.endswith(suffix):
                        return os.path.join(root, name)
        raise RuntimeError("Profiler didn't finish running")

    def export_chrome_trace(self, path: str) -> None:
        """Write the last window's JAX trace in Chrome's trace format (JSON; gzip-compressed if
        ``path`` ends with ``.gz``): XLA's work and an event per op and ``record_function``."""
        src = self._trace_file(".trace.json.gz")
        if str(path).endswith(".gz"):
            shutil.copyfile(src, path)
        else:
            with gzip.open(src, "rb") as f, open(path, "wb") as out:
                shutil.copyfileobj(f, out)


def tensorboard_trace_handler(
    dir_name: str, worker_name: str | None = None, use_gzip: bool = False
) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that files each window's JAX trace for TensorBoard's profile
    plugin (``tensorboard --logdir dir_name``): ``dir_name/plugins/profile/<run>/`` gets
    ``<worker>.xplane.pb`` and the Chrome-format ``<worker>.trace.json.gz`` (Perfetto opens it).
    ``worker_name`` defaults to ``<hostname>_<pid>``; ``use_gzip`` is accepted (the Chrome trace
    is always compressed, as JAX writes it).

    >>> import tempfile, tensorish
    >>> logdir = tempfile.mkdtemp()
    >>> with tensorish.profiler.profile(
    ...     on_trace_ready=tensorish.profiler.tensorboard_trace_handler(logdir, "worker0")):
    ...     y = tensorish.ones(2) + 1
    >>> import glob, os
    >>> sorted(os.path.basename(p) for p in glob.glob(logdir + "/plugins/profile/*/*"))
    ['worker0.trace.json.gz', 'worker0.xplane.pb']
    """

    def handler(prof: profile) -> None:
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        run = os.path.join(dir_name, "plugins", "profile", time.strftime("%Y_%m_%d_%H_%M_%S"))
        n = 0
        while os.path.exists(f"{run}_{n}" if n else run):
            n += 1
        run = f"{run}_{n}" if n else run
        try:
            os.makedirs(run)
        except OSError as e:
            raise RuntimeError("Can't create directory: " + dir_name) from e
        for suffix in (".xplane.pb", ".trace.json.gz"):
            shutil.copyfile(prof._trace_file(suffix), os.path.join(run, worker + suffix))

    return handler

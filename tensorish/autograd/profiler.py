"""Op-level profiling: PyTorch's ``torch.autograd.profiler`` (``profile``, ``record_function``,
``EventList.key_averages().table()``), for tensorish ops.

While a ``profile`` records, every op dispatched and every ``record_function`` range is an
event: a name, its CPU time, its thread, its inputs' shapes (``record_shapes``) and the events
inside it (self time excludes them). Ops are named ``aten::<op>``, the op's ``grad_fn`` name in
snake case without ``Backward`` (``MulBackward0`` -> ``aten::mul``, ``AddmmBackward0`` ->
``aten::addmm``; an op without a derivative takes its jnp function's name, ``aten::greater``).

An op's CPU time is its dispatch: JAX runs the computation asynchronously, and an op recorded
for autograd defers its forward (see ``_lazy``) to the fused backward program. The computations
themselves (XLA programs on every device) are in the JAX trace that ``tensorish.profiler.profile``
collects beside these events: every op and range is also a ``jax.profiler.TraceAnnotation``,
so both views carry the same names.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import threading
import time
from typing import Any

import jax

from .. import _dispatch
from .._mode import mode

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


def _format_time(time_us: float) -> str:
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _share(time_us: float, total_us: float) -> str:
    return "NaN" if total_us == 0 else f"{time_us * 100.0 / total_us:.2f}%"


class _Times:
    """Formatted time columns shared by events and their averages."""

    cpu_time_total: float
    self_cpu_time_total: float
    count: int

    @property
    def cpu_time(self) -> float:
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)


class FunctionEvent(_Times):
    """One recorded op call or ``record_function`` range (times in microseconds)."""

    count = 1

    def __init__(
        self,
        id: int,
        name: str,
        thread: int,
        start_us: float,
        input_shapes: list | None,
        is_user_annotation: bool,
    ) -> None:
        self.id = id
        self.name = self.key = name
        self.thread = thread
        self.start_us = start_us
        self.end_us = start_us
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation
        self.cpu_parent: FunctionEvent | None = None
        self.cpu_children: list[FunctionEvent] = []

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
            f"cpu_time={self.cpu_time_str} start_us={self.start_us:.3f} "
            f"end_us={self.end_us:.3f} input_shapes={self.input_shapes}>"
        )


class FunctionEventAvg(_Times):
    """The events of one name (and input shapes, when grouped by them), summed."""

    def __init__(self, key: str, input_shapes: list | None = None) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.is_user_annotation = False
        self.cpu_parent = None

    def add(self, other: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.is_user_annotation = other.is_user_annotation
        if self.cpu_parent is None and other.cpu_parent is not None:
            self.cpu_parent = other.cpu_parent
        return self

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>"
        )


class EventList(list):
    """A list of events with PyTorch's summaries: ``key_averages()``, ``table()``."""

    def key_averages(
        self, group_by_input_shape: bool = False, group_by_stack_n: int = 0
    ) -> EventList:
        """The events averaged by name (and by input shapes if ``group_by_input_shape``), in
        order of first appearance."""
        groups: dict = {}
        for e in self:
            shapes = e.input_shapes if group_by_input_shape else None
            key = (e.key, str(shapes)) if group_by_input_shape else e.key
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(e.key, shapes)
            avg.add(e)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one."""
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_src_column_width: int = 75,
        max_name_column_width: int = 55,
        max_shapes_column_width: int = 80,
        header: str | None = None,
        top_level_events_only: bool = False,
        time_unit: str | None = None,
    ) -> str:
        """The events as PyTorch's profiler table (same columns, widths and number formats).

        ``sort_by`` is an attribute to sort by, largest first: ``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"cpu_time"``, ``"count"``.
        """
        return _table(
            self,
            sort_by,
            row_limit,
            max_name_column_width,
            max_shapes_column_width,
            header,
            top_level_events_only,
            time_unit,
        )

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (JSON; gzip-compressed if ``path`` ends with
        ``.gz``), which Perfetto and ``chrome://tracing`` open."""
        events = [
            {
                "ph": "X",
                "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                "name": e.name,
                "pid": os.getpid(),
                "tid": e.thread,
                "ts": e.start_us,
                "dur": e.cpu_time_total,
                "args": {} if e.input_shapes is None else {"Input Dims": e.input_shapes},
            }
            for e in self
        ]
        data = json.dumps({"traceEvents": events, "displayTimeUnit": "ms"}).encode()
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wb") as f:
            f.write(data)


def _table(
    events: EventList,
    sort_by: str | None,
    row_limit: int,
    max_name_width: int | None,
    max_shapes_width: int | None,
    header: str | None,
    top_level_only: bool,
    time_unit: str | None,
) -> str:
    if len(events) == 0:
        return ""
    if sort_by is not None:
        events = EventList(sorted(events, key=lambda e: getattr(e, sort_by), reverse=True))
    has_shapes = any(e.input_shapes for e in events)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_width is not None:
        name_width = min(name_width, max_name_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_width is not None:
        shapes_width = min(shapes_width, max_shapes_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    row = "".join("{: >" + str(w) + "}  " for w in widths)
    sep = "".join("-" * w + "  " for w in widths)
    length = sum(w + 2 for w in widths) - 2

    def fmt(us: float) -> str:
        scale = {"s": 1e6, "ms": 1e3, "us": 1.0}.get(time_unit or "")
        return _format_time(us) if scale is None else f"{us / scale:.3f}{time_unit}"

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * length, header]
    if top_level_only:
        lines += ["=" * length, "This report only display top-level ops statistics"]
    lines += [sep, row.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_width is not None and len(name) >= max_name_width - 3:
            name = name[: max_name_width - 3] + "..."
        values = [
            name,
            _share(e.self_cpu_time_total, total),
            fmt(e.self_cpu_time_total),
            _share(e.cpu_time_total, total),
            fmt(e.cpu_time_total),
            fmt(e.cpu_time),
            e.count,
        ]
        if has_shapes:
            values.append(str(e.input_shapes)[:shapes_width])
        lines.append(row.format(*values))
    lines += [sep, f"Self CPU time total: {fmt(total)}"]
    return "\n".join(lines) + "\n"


# -- recording ---------------------------------------------------------------------------------


class _Recorder:
    """The events of one recording: a stack of open events per thread gives each its parent."""

    def __init__(self, record_shapes: bool) -> None:
        self.record_shapes = record_shapes
        self.events = EventList()
        self.t0 = time.perf_counter_ns()
        self.local = threading.local()
        self.lock = threading.Lock()

    def open(self, name: str, shapes: list | None, user: bool) -> FunctionEvent:
        stack = self.local.__dict__.setdefault("stack", [])
        with self.lock:
            e = FunctionEvent(
                len(self.events),
                name,
                threading.get_ident(),
                (time.perf_counter_ns() - self.t0) / 1e3,
                shapes,
                user,
            )
            self.events.append(e)
        if stack:
            e.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(e)
        stack.append(e)
        return e

    def close(self, e: FunctionEvent) -> None:
        e.end_us = (time.perf_counter_ns() - self.t0) / 1e3
        stack = self.local.stack
        if stack and stack[-1] is e:
            stack.pop()


_recorder: _Recorder | None = None
_names: dict = {}


def _op_name(op: Any) -> str:
    name = _names.get(op)
    if name is None:
        base = re.sub(r"Backward\d*$", "", op.name)
        if base in ("NotDifferentiable", "NotImplemented"):
            base = getattr(op.fn, "__name__", "op")
        base = re.sub(r"\W", "", base) or "op"
        name = _names[op] = "aten::" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()
    return name


def _shape(a: Any) -> list:
    return list(a.shape) if hasattr(a, "shape") else []


def _profiled_apply(op: Any, args: tuple, static: tuple, cast: tuple | None) -> Any:
    """The dispatch hook while recording: one event (and one JAX annotation) per op."""
    rec = _recorder
    name = _op_name(op)
    e = rec.open(name, [_shape(a) for a in args] if rec.record_shapes else None, False)
    mode.profile = None
    try:
        with jax.profiler.TraceAnnotation(name):
            return _dispatch.apply(op, args, static, cast)
    finally:
        mode.profile = _profiled_apply
        rec.close(e)


def _start(record_shapes: bool) -> _Recorder:
    global _recorder
    if _recorder is not None:
        raise RuntimeError("Profiler is already enabled on this thread")
    _recorder = _Recorder(record_shapes)
    mode.profile = _profiled_apply
    return _recorder


def _stop() -> None:
    global _recorder
    mode.profile = None
    _recorder = None


class record_function(contextlib.ContextDecorator):
    """Label a block (or, as a decorator, a function): a range in the profile's table and in the
    JAX trace.

    >>> import tensorish
    >>> from tensorish.autograd.profiler import profile, record_function
    >>> with profile() as prof:
    ...     with record_function("my_block"):
    ...         y = tensorish.ones(2) * 2
    >>> [(e.key, e.count) for e in prof.key_averages()]
    [('my_block', 1), ('aten::mul', 1)]
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._event: FunctionEvent | None = None
        self._annotation: Any = None

    def _recreate_cm(self) -> record_function:
        # As a decorator: a fresh range per call, so recursive and concurrent calls nest.
        return record_function(self.name, self.args)

    def __enter__(self) -> record_function:
        self._annotation = jax.profiler.TraceAnnotation(self.name)
        self._annotation.__enter__()
        if _recorder is not None:
            self._event = _recorder.open(self.name, [] if _recorder.record_shapes else None, True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._event is not None and _recorder is not None:
            _recorder.close(self._event)
        self._event = None
        self._annotation.__exit__(*exc)


class profile:
    """Record the ops run inside the block; then ``key_averages().table()`` summarizes them.

    ``use_cuda``/``use_device``, ``profile_memory``, ``with_stack``, ``with_flops`` and
    ``with_modules`` are accepted; device times and memory are in the JAX trace, not the table.

    >>> import tensorish
    >>> x = tensorish.ones(3, requires_grad=True)
    >>> with tensorish.autograd.profiler.profile(record_shapes=True) as prof:
    ...     (x * x).sum().backward()
    >>> [(e.key, e.count, e.input_shapes) for e in prof.key_averages(group_by_input_shape=True)]
    [('aten::mul', 1, [[3], [3]]), ('aten::sum', 1, [[3]])]
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        use_cuda: bool = False,
        use_device: str | None = None,
        record_shapes: bool = False,
        with_flops: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_modules: bool = False,
        use_kineto: bool = False,
        use_cpu: bool = True,
        experimental_config: Any = None,
        acc_events: bool = False,
        custom_trace_id_callback: Any = None,
    ) -> None:
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.use_device = use_device or ("cuda" if use_cuda else None)
        self.entered = False
        self.function_events: EventList | None = None
        self._events: EventList = EventList()
        self._running = False

    def __enter__(self) -> profile:
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        if self.enabled:
            self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop()
        self.entered = False

    def _start(self) -> None:
        self._events = _start(self.record_shapes).events
        self._running = True
        self.function_events = None

    def _stop(self) -> None:
        if self._running:
            _stop()
            self._running = False
            self.function_events = self._events

    def _check_finish(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def events(self) -> EventList:
        """Every recorded event, in the order they started."""
        return self._check_finish()

    def key_averages(
        self, group_by_input_shape: bool = False, group_by_stack_n: int = 0
    ) -> EventList:
        """The events averaged by name (see ``EventList.key_averages``)."""
        return self._check_finish().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        """The events (not averaged) as PyTorch's profiler table."""
        return self._check_finish().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def total_average(self) -> FunctionEventAvg:
        return self._check_finish().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._check_finish().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (JSON), which Perfetto opens."""
        self._check_finish().export_chrome_trace(path)

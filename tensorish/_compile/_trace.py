"""The trace: what running the function once under ``jax.make_jaxpr`` touched (step 2).

While the function runs, ``watching(trace)`` makes the trace this thread's ``mode.trace``: every
pre-existing Tensor the step reads or writes reports itself to it (see ``_tensor.Watch``), ops
run inline (a vjp taken at the forward, traced hyperparameters made concrete in static
parameters) and TracedScalars report their uses. Eager work in other threads sees nothing of
it. ``Snapshot`` keeps the Python state from before, and puts it all back afterwards.
"""

from __future__ import annotations

import contextlib
import gc

import jax

from .._mode import mode
from .._pending import Pending, force
from .._tensor import Tensor, Watch
from ._errors import Unstable
from ._walk import MISSING, Walk, get, put


class Trace(Watch):
    """What one trace of the function touched (by id; the objects are kept alive here): the
    tensors (see ``Watch``), and the hyperparameters: ``guards`` those used concretely,
    ``preds`` (recompute an outcome from hyperparameter values, the outcome seen) for the
    comparisons made, ``traced`` those used as traced values (TracedScalar fills these);
    ``checks`` the ops' range checks of traced indices: ``([found, value], error)`` pairs."""

    def __init__(self, installed: dict) -> None:
        super().__init__(installed)
        self.guards: set = set()
        self.preds: list = []
        self.traced: set = set()
        self.differentiable = False
        self.checks: list = []
        self.inputs = {i: t._v for i, (t, _) in installed.items()}  # their traced values

    def check(self, found, error) -> None:
        """Raise ``error(value)`` after the call when the traced ``found`` is ``[1, value]``."""
        self.checks.append((found, error))


@contextlib.contextmanager
def watching(trace: Trace):
    """Run the body with ``trace`` as this thread's compile trace."""
    mode.trace = trace
    try:
        yield trace
    finally:
        mode.trace = None


def value_of(t: Tensor):
    """``t``'s value, a deferred one computed (a read the trace does not watch)."""
    v = t._v
    if v.__class__ is Pending:
        v = t._v = force(v)
    return v


class Snapshot:
    """The Python state the walk found, taken before a trace: slot values, the contents of the
    dicts and lists, every reached tensor's ``.grad``; ``restore`` puts it back exactly."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.before = [get(c, k) for c, k, _ in walk.slots]
        self.contents = [(c, list(c) if type(c) is list else dict(c)) for c in walk.containers]
        self.grads = [(t, t._grad) for t in walk.tensors.values()]

    def check_sizes(self) -> None:
        """Raise ``Unstable`` if the function added or removed entries of a dict or list."""
        for c, snap in self.contents:
            if len(c) != len(snap):
                raise Unstable(
                    "tensorish.compile: the function added or removed entries of "
                    "a dict or list it reads (an optimizer creating its state?)."
                )

    def restore(self, tr: Trace) -> None:
        for c, snap in self.contents:
            if type(c) is list:
                if len(c) != len(snap) or any(a is not b for a, b in zip(c, snap)):
                    c[:] = snap
            elif len(c) != len(snap) or any(c.get(k, MISSING) is not v for k, v in snap.items()):
                c.clear()
                c.update(snap)
        for (c, k, _), v in zip(self.walk.slots, self.before):
            if v is not MISSING and get(c, k) is not v:
                put(c, k, v)
        for t, v in list(tr.installed.values()) + list(tr.orig.values()):
            t._v = v
        for t, g in tr.grad_orig.values():
            t._grad = g
        for t, fn, nr, req in tr.meta.values():
            t.grad_fn, t._output_nr, t._requires_grad = fn, nr, req
        for t, g in self.grads:
            t._grad = g


def check_escapes(tr: Trace, placed: set) -> None:
    """Raise ``Unstable`` if a tensor created in the trace, other than those ``placed`` in the
    outputs, still holds a traced value (something kept it)."""

    def escaped() -> list:
        return [
            t
            for i, r in tr.new.items()
            if i not in placed
            for t in (r(),)
            if t is not None and isinstance(value_of(t), jax.core.Tracer)
        ]

    if escaped() and (gc.collect() or True) and escaped():
        raise Unstable(
            "tensorish.compile: a tensor created inside the function is still referenced "
            "after it returns (kept in a list, a global or an object the function doesn't "
            "read before writing); it would keep a traced value. Return it instead."
        )

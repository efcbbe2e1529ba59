"""A deferred value: the output of one recorded op, computed when it is first needed.

A leaf below ``_tensor`` (a Tensor's value is a jax array or a Pending). ``_lazy`` makes them;
reading a Tensor's value ``force``-s one. The fused backward program (``autograd/_fused``) may
compute a graph's deferred values itself, skipping the ones nobody reads; a skipped value read
later after all is computed here, one cached jitted call per op, and its position is appended to
the program's ``asks`` list through ``Reads`` (plain data: nothing here calls the engine), so the
program returns it from its next run on.
"""

from __future__ import annotations

from typing import Any

import jax


class Reads:
    """Shared by the deferred values of one fused run: ``asks`` is where reading one of them
    records its position (None until the run's program is known, or when there is none)."""

    __slots__ = ("asks",)

    def __init__(self) -> None:
        self.asks: list | None = None


class Pending:
    """The not-yet-computed output of one deferred op (one output ops only): ``op`` and its
    static ``key`` applied to ``vals`` (arrays and Pendings), of ShapedArray ``aval``, on the
    device of ``sharding`` (None: uncommitted or the one device there is). ``set`` stores the
    value and drops the inputs; ``reads`` is the ``Reads`` of the fused run that skipped it,
    where it is node ``at``."""

    __slots__ = ("op", "key", "vals", "aval", "shape", "dtype", "sharding", "value", "reads", "at")
    op: Any
    key: tuple
    vals: Any  # a list; None once the value is set
    aval: Any
    shape: tuple[int, ...]
    dtype: Any
    sharding: Any
    value: jax.Array | None
    reads: Reads | None
    at: int

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def set(self, value) -> None:
        self.value, self.vals = value, None


def force(p: Pending) -> jax.Array:
    """The value of ``p``, computing it (and the pending values it needs) if not done yet.
    Iterative, so a long chain of deferred ops cannot overflow the Python stack."""
    if p.value is not None:
        return p.value
    stack = [p]
    while stack:
        q = stack[-1]
        if q.value is not None:  # pushed twice (an op used it twice)
            stack.pop()
            continue
        todo = [v for v in q.vals if v.__class__ is Pending and v.value is None]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        vals = [v.value if v.__class__ is Pending else v for v in q.vals]
        q.set(q.op.forward_fn(q.key)(*vals))
        r = q.reads
        if r is not None and r.asks is not None:  # skipped by a fused program: ask for it
            r.asks.append(q.at)
    return p.value


def concrete(vals) -> list:
    """``vals`` with every Pending replaced by its (computed) value."""
    return [force(v) if v.__class__ is Pending else v for v in vals]

"""A deferred value: an output of one recorded op, computed when it is first needed.

A leaf below ``_tensor`` (a Tensor's value is a jax array or a Pending). ``_lazy`` makes them;
reading a Tensor's value ``force``-s one. Forcing computes every not-yet-computed value the
wanted ones depend on as ONE cached XLA program per subgraph structure (``Deferred`` lists the
ops in topological order), so a first sighting compiles one program rather than one per op; a
structure seen before is one call. The fused backward program (``autograd/_fused``) computes a
graph's deferred values itself, with the same ``Deferred`` description, skipping the ones nobody
reads; a skipped value read later after all is computed here, and its place is appended to the
program's ``asks`` list through ``Reads`` (plain data: nothing here calls the engine), so the
program returns it from its next run on.

Slots. A program's values are named by ``(source, index)`` pairs: ``(INPUT, k)`` the k-th array
passed in (each distinct array once), ``(DEFERRED, k)`` the k-th output of the deferred ops
(an op of n outputs fills n places), ``(NODE, (pos, nr))`` output ``nr`` of the graph node at
``pos`` (the fused program's); ``None`` an absent optional input (``bias=None``).
"""

from __future__ import annotations

from typing import Any

import jax

from ._cache import LRU

INPUT, DEFERRED, NODE = 0, 1, 2
MAX_NODES = 4096  # larger subgraphs (a hand-unrolled loop) run op by op: XLA would take minutes
# to compile them as one program
_programs: LRU = LRU(64)  # (ops, input avals) -> the jitted program computing them


class Reads:
    """Shared by the deferred values of one fused run: ``asks`` is where reading one of them
    records its position (None until the run's program is known, or when there is none)."""

    __slots__ = ("asks",)

    def __init__(self) -> None:
        self.asks: list | None = None


class Pending:
    """The not-yet-computed output ``nr`` of one deferred op: ``op`` and its static ``key``
    applied to ``vals`` (arrays, Pendings and Nones), of ShapedArray ``aval``, on the device of
    ``sharding`` (None: uncommitted or the one device there is). ``group`` is the tuple of all
    the op's outputs when it has several (each computed with the others), else None. ``set``
    stores the value and drops the inputs; ``reads`` is the ``Reads`` of the fused run that
    skipped it, where it is node output ``at``."""

    __slots__ = (
        "op",
        "key",
        "vals",
        "aval",
        "shape",
        "dtype",
        "sharding",
        "value",
        "reads",
        "at",
        "nr",
        "group",
    )
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
    nr: int
    group: tuple[Pending, ...] | None

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


class Deferred:
    """The deferred ops a program computes, producers first: ``entries`` holds
    ``(op, key, n_out, slots)`` per op, ``pend`` the Pendings they compute (one place each, in
    slot order), ``inputs`` the arrays the program takes."""

    __slots__ = ("entries", "pend", "pend_at", "inputs", "input_at")

    def __init__(self) -> None:
        self.entries: list = []
        self.pend: list = []
        self.pend_at: dict = {}  # id(Pending) -> its slot
        self.inputs: list = []
        self.input_at: dict = {}  # id(array) -> its slot

    def input_slot(self, v) -> tuple | None:
        """The slot of the program input ``v`` (each array is passed once; None stays None)."""
        if v is None:
            return None
        slot = self.input_at.get(id(v))
        if slot is None:
            slot = self.input_at[id(v)] = (INPUT, len(self.inputs))
            self.inputs.append(v)
        return slot

    def add(self, p: Pending) -> tuple:
        """The slot of ``p``, adding it (after the deferred values it needs) to the program."""
        pend_at = self.pend_at
        stack = [p]
        while stack:
            q = stack[-1]
            if id(q) in pend_at:
                stack.pop()
                continue
            todo = [
                v
                for v in q.vals
                if v.__class__ is Pending and v.value is None and id(v) not in pend_at
            ]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            slots = tuple(
                [
                    pend_at[id(v)]
                    if v.__class__ is Pending and v.value is None
                    else self.input_slot(v.value if v.__class__ is Pending else v)
                    for v in q.vals
                ]
            )
            outs = q.group or (q,)
            for o in outs:
                pend_at[id(o)] = (DEFERRED, len(self.pend))
                self.pend.append(o)
            self.entries.append((q.op, q.key, len(outs), slots))
        return pend_at[id(p)]


def avals(values: list) -> tuple:
    """The abstract values (shapes, dtypes) of a program's inputs: a key of its executable."""
    return tuple([v.aval if hasattr(v, "aval") else jax.typeof(v) for v in values])


def compute(entries, get, out: list) -> None:
    """Append the outputs of the deferred ``entries`` to ``out`` (inside a traced program):
    ``get(slot)`` is the value of a slot."""
    for op, key, n_out, slots in entries:
        r = op.bind(key)(*[get(s) for s in slots])
        if n_out == 1:
            out.append(r)
        else:
            out.extend(r)


def _program(entries: tuple):
    def program(inputs):
        out: list = []
        compute(entries, lambda s: None if s is None else (inputs, out)[s[0]][s[1]], out)
        return out

    return jax.jit(program)


def force(p: Pending) -> jax.Array:
    """The value of ``p``, computing it (and the pending values it needs) if not done yet."""
    if p.value is None:
        force_all([p])
    return p.value


def force_all(ps: list) -> None:
    """Compute the Pendings ``ps`` and every not-yet-computed value they need: one cached
    program (for a single op, its own jitted forward)."""
    d = Deferred()
    for p in ps:
        if p.value is None:
            d.add(p)
    entries, pend = d.entries, d.pend
    if not entries:
        return
    if len(entries) > MAX_NODES:
        _one_by_one(d)
    else:
        if len(entries) == 1:
            op, key, _, slots = entries[0]
            outs = op.forward_fn(key)(*[None if s is None else d.inputs[s[1]] for s in slots])
        else:
            k = (tuple(entries), avals(d.inputs))
            fn = _programs.get(k)
            if fn is None:
                fn = _programs[k] = _program(k[0])
            outs = fn(d.inputs)
        if len(pend) == 1:
            pend[0].set(outs)
        else:
            for q, v in zip(pend, outs):
                q.set(v)
    for q in pend:
        r = q.reads
        if r is not None and r.asks is not None:  # skipped by a fused program: ask for it
            r.asks.append(q.at)


def _one_by_one(d: Deferred) -> None:
    """Run the ops of ``d`` one cached jitted call each (a subgraph too large for one program)."""
    i = 0
    for op, key, n_out, slots in d.entries:
        args = [
            None if s is None else d.inputs[s[1]] if s[0] == INPUT else d.pend[s[1]].value
            for s in slots
        ]
        r = op.forward_fn(key)(*args)
        for q, v in zip(d.pend[i : i + n_out], (r,) if n_out == 1 else r):
            q.set(v)
        i += n_out


def concrete(vals) -> list:
    """``vals`` with every Pending replaced by its (computed) value: all computed together."""
    todo = [v for v in vals if v.__class__ is Pending and v.value is None]
    if todo:
        force_all(todo)
    return [v.value if v.__class__ is Pending else v for v in vals]

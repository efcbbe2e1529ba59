"""The fused backward: ONE cached XLA program per graph structure (layer design note).

A training loop builds the same graph every step, so a graph structure seen before runs its whole
backward pass (and the deferred forward values it needs, see ``_lazy``) as one cached
``jax.jit`` function: every step after the first two is a single XLA call. The first sighting
runs node by node (each op's vjp is already compiled), so one-off graphs never pay for compiling
a program. Only plain graphs fuse: no hooks, retained grads, custom Functions, device moves,
``create_graph``, ``inputs=`` or anomaly mode (``_engine`` decides; it runs the rest).

The structure key. The reachable nodes are numbered by their rank in creation order (``pos``),
a topological order (producers first) that the same code reproduces each step, whatever else was
created in between. The key is ``(nodes, deferred, seeds, returned)``:

- ``nodes[pos]``: None for an AccumulateGrad (a leaf), else ``(op, static key, n_out, refs)``,
  with one ref per op input: its value's ``Slot``, or, for an input that takes a gradient,
  ``(producer pos, output nr, Slot)``;
- ``deferred[k]``: ``(op, static key, slots)`` of a deferred value that the program computes but
  no node of the graph produced (a ``detach()`` of a graph value, a root held elsewhere);
- ``seeds``: per root, ``(pos, output nr, ones)``: ``ones`` is the (shape, dtype) of the ones the
  program makes, or None when the caller passes the seed gradient;
- ``returned``: the node positions whose forward values the program returns (see ``_Program``).

Slots. Each value the program uses is a ``(source, index)`` pair:
``(INPUT, k)`` is the k-th array passed in (each distinct array once); ``(DEFERRED, k)`` the k-th
entry of ``deferred``, computed first inside the program; ``(NODE, pos)`` the forward value of
the node at ``pos``, computed inside the program.
"""

from __future__ import annotations

import operator
import threading

import jax
import jax.numpy as jnp

from .._op import fill_cotangents, vjp_at
from .._pending import Pending, Reads
from ._graph import AccumulateGrad, check_saved, set_grad_value, topo

INPUT, DEFERRED, NODE = 0, 1, 2  # the sources of a Slot, indices into the program's value lists

MAX_PROGRAMS = 512
MAX_NODES = 4096  # larger graphs (a hand-unrolled loop) run node by node: XLA would take
# minutes to compile them as one program
programs: dict = {}  # structure key -> _Program
_sightings: dict = {}  # structure key -> how often it was seen without a program
_stamp = 0  # the current walk's mark (nodes keep the mark of the last walk that reached them)
_walking = threading.Lock()  # the marks and positions live on the nodes: one walk at a time
_by_creation = operator.attrgetter("_seq")


class _Program:
    """The fused forward-and-backward program of one graph structure. It returns the deferred
    values of the nodes in ``want``: the roots', and those read after an earlier run (each
    output costs about 1 us a call, so values nobody reads are not returned). ``asks`` collects
    the positions of skipped values that were read later (``_pending.force`` appends them);
    the next run adds them to ``want`` and compiles again."""

    __slots__ = ("key", "want", "fn", "asks")

    def __init__(self, key) -> None:
        self.key, self.want, self.fn, self.asks = key, key[3], None, []

    def function(self):
        if self.asks:
            self.want = (*self.want, *sorted(set(self.asks) - set(self.want)))
            self.asks.clear()
            self.fn = None
        if self.fn is None:
            nodes, deferred, seeds, _ = self.key
            self.fn = jax.jit(_make_program(nodes, deferred, seeds, self.want))
        return self.fn


def run(roots: list, start: list, seeds: list, held: bool) -> tuple[list, bool]:
    """Walk the graph from the ``start`` nodes of ``roots`` and, if it is plain and was seen
    before, run its backward as one cached program. Returns the nodes in reverse topological
    order and whether the backward ran (if not, the caller runs it node by node). Raises
    PyTorch's errors for freed or modified saved values before anything runs. ``held``: whether
    anything but the caller holds the roots (if so, their deferred values are returned)."""
    with _walking:
        post = _reachable(start)
        if post is None:
            return topo(start), False
        graph = _Graph()
        if not graph.describe(post):
            return topo(start), False
        post.reverse()
        graph.add_seeds(roots, start, seeds, held)
        prog = _program_for(graph.key())
        if prog is None:
            return post, False
        graph.reads.asks = prog.asks
        leaves = [leaf.variable for leaf in graph.leaves]
        old = tuple([g._value if (g := var._grad) is not None else None for var in leaves])
        given = tuple([g for g in seeds if g is not None])
        new, values, outside = prog.function()(graph.inputs, given, old)
        for var, value in zip(leaves, new):
            set_grad_value(var, value)
        for pos, value in zip(prog.want, values):
            post[-1 - pos]._out.set(value)  # post is reversed now
        for p, value in zip(graph.pend, outside):
            p.set(value)
    return post, True


def _reachable(start: list) -> list | None:
    """The nodes reachable from ``start``, in creation order, each given its rank as ``_pos``;
    None if there are too many to fuse."""
    global _stamp
    stamp = _stamp = _stamp + 1
    post: list = []
    for root in start:
        if root._mark != stamp:
            root._mark = stamp
            post.append(root)
    stack = post[:]
    while stack:
        for nxt, _ in stack.pop()._edges:
            if nxt is not None and nxt._mark != stamp:
                nxt._mark = stamp
                post.append(nxt)
                stack.append(nxt)
    if len(post) > MAX_NODES:
        return None
    post.sort(key=_by_creation)
    for pos, node in enumerate(post):
        node._pos = pos
    return post


class _Graph:
    """One walk's description of the graph: the structure key's parts, and the values the
    program is called with."""

    __slots__ = ("nodes", "leaves", "inputs", "input_at", "pend", "deferred", "pend_at")
    __slots__ += ("seeds", "returned", "reads")

    def __init__(self) -> None:
        self.nodes: list = []
        self.leaves: list = []  # the AccumulateGrad nodes, in position order
        self.inputs: list = []  # the arrays the program takes, each once
        self.input_at: dict = {}  # id(array) -> its Slot
        self.pend: list = []  # the Pendings of ``deferred``
        self.deferred: list = []
        self.pend_at: dict = {}  # id(Pending) -> its Slot
        self.seeds: list = []
        self.returned: list = []
        self.reads = Reads()  # where the graph's skipped deferred values report a later read

    def key(self) -> tuple:
        return (tuple(self.nodes), tuple(self.deferred), tuple(self.seeds), tuple(self.returned))

    def describe(self, post: list) -> bool:
        """Fill ``nodes`` from the nodes in creation order; False if the graph can't fuse."""
        nodes, input_at, inputs, reads = self.nodes, self.input_at, self.inputs, self.reads
        for pos, node in enumerate(post):
            if node.__class__ is AccumulateGrad:
                hooks = node.variable._hooks
                if node._extra is not None or (hooks is not None and (hooks.pre or hooks.post)):
                    return False
                nodes.append(None)
                self.leaves.append(node)
                continue
            if not node._fusable or node._extra is not None or not node._op.fusable:
                return False
            check_saved(node)
            out = node._out
            if out is not None and out.value is None:
                out.reads, out.at = reads, pos
            refs = []
            for v, (nxt, nr), m in zip(node._saved, node._edges, node._mask):
                if v.__class__ is Pending:
                    if v.value is None:
                        if m and nxt._out is v:  # the output of the node it takes a grad to
                            refs.append((nxt._pos, nr, (NODE, nxt._pos)))
                            continue
                        slot = self.pend_at.get(id(v)) or self.add_deferred(v)
                        refs.append((nxt._pos, nr, slot) if m else slot)
                        continue
                    v = v.value
                slot = input_at.get(id(v))  # self.input_slot(v), inlined in this hot loop
                if slot is None:
                    slot = input_at[id(v)] = (INPUT, len(inputs))
                    inputs.append(v)
                refs.append((nxt._pos, nr, slot) if m else slot)
            nodes.append((node._op, node._static, node._n_out, tuple(refs)))
        return True

    def add_seeds(self, roots: list, start: list, seeds: list, held: bool) -> None:
        """The seed of each root; a held root's deferred value is returned (``loss.item()``)."""
        for t, node, g in zip(roots, start, seeds):
            v = t._v
            ones = None if g is not None else (v.shape, v.dtype)
            self.seeds.append((node._pos, t._output_nr, ones))
            if held and v.__class__ is Pending and v.value is None:
                if node._out is v:
                    self.returned.append(node._pos)
                elif id(v) not in self.pend_at:
                    self.add_deferred(v)

    def input_slot(self, v) -> tuple:
        """The slot of the program input ``v`` (each array is passed once)."""
        slot = self.input_at.get(id(v))
        if slot is None:
            slot = self.input_at[id(v)] = (INPUT, len(self.inputs))
            self.inputs.append(v)
        return slot

    def add_deferred(self, p: Pending) -> tuple:
        """Add the deferred value ``p`` (after the deferred values it needs) to the program,
        which returns it (its tensor may be held elsewhere, as with ``detach()``)."""
        pend_at = self.pend_at
        stack = [p]
        while stack:
            q = stack[-1]
            todo = [
                v
                for v in q.vals
                if v.__class__ is Pending and v.value is None and id(v) not in pend_at
            ]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if id(q) in pend_at:
                continue
            slots = [
                pend_at[id(v)]
                if v.__class__ is Pending and v.value is None
                else self.input_slot(v.value if v.__class__ is Pending else v)
                for v in q.vals
            ]
            pend_at[id(q)] = (DEFERRED, len(self.pend))
            self.pend.append(q)
            self.deferred.append((q.op, q.key, tuple(slots)))
        return pend_at[id(p)]


def _program_for(key: tuple) -> _Program | None:
    """The program of ``key``: made at its second sighting, None before (and when full)."""
    prog = programs.get(key)
    if prog is None:
        seen = _sightings.get(key, 0)
        if seen == 0 or len(programs) >= MAX_PROGRAMS:
            if len(_sightings) > 4 * MAX_PROGRAMS:
                _sightings.clear()
            _sightings[key] = seen + 1
            return None
        prog = programs[key] = _Program(key)
    return prog


def _slot(ref) -> tuple:
    """The value slot of a node input's ref (a Slot, or (producer, nr, Slot))."""
    return ref if len(ref) == 2 else ref[2]


def _make_program(nodes: tuple, deferred: tuple, seeds: tuple, want: tuple):
    """The program: the deferred forward values, then each node's vjp in order (see the module
    docstring for the key's parts). It takes (inputs, seed gradients, old .grad values) and
    returns (new .grad values, the values of ``want``, the values of ``deferred``)."""

    def program(inputs, given, old):
        values: tuple = (inputs, [], {})  # by source: INPUT, DEFERRED, NODE

        def get(slot):
            return values[slot[0]][slot[1]]

        for op, key, slots in deferred:
            values[DEFERRED].append(op.bind(key)(*[get(s) for s in slots]))
        needed = set(want)  # node outputs some node uses (or the caller wants)
        for entry in nodes:
            if entry is not None:
                needed.update(s[1] for s in map(_slot, entry[3]) if s[0] == NODE)
        for pos, entry in enumerate(nodes):  # producers first
            if pos in needed:
                op, key, _, refs = entry
                values[NODE][pos] = op.bind(key)(*[get(_slot(r)) for r in refs])
        cts = [[None] if e is None else [None] * e[2] for e in nodes]
        given = iter(given)
        for pos, nr, ones in seeds:
            g = next(given) if ones is None else jnp.ones(*ones)
            cts[pos][nr] = g if cts[pos][nr] is None else cts[pos][nr] + g
        for pos in range(len(nodes) - 1, -1, -1):  # consumers first
            entry = nodes[pos]
            if entry is None:
                continue
            op, key, n_out, refs = entry
            takes = [len(r) == 3 for r in refs]
            out, pull = vjp_at(op.bind(key), [get(_slot(r)) for r in refs], takes)
            ct = cts[pos][0] if n_out == 1 else fill_cotangents(tuple(cts[pos]), out)
            targets = [r for r in refs if len(r) == 3]
            for grad, (to, nr, _) in zip(pull(ct), targets):
                cts[to][nr] = grad if cts[to][nr] is None else cts[to][nr] + grad
        leaves = [cts[pos][0] for pos, e in enumerate(nodes) if e is None]
        new = tuple(o if g is None else g if o is None else o + g for g, o in zip(leaves, old))
        return new, tuple(values[NODE][pos] for pos in want), tuple(values[DEFERRED])

    return program

"""The fused backward: ONE cached XLA program per graph structure (layer design note).

A training loop builds the same graph every step, so its whole backward pass (and the deferred
forward values it needs, see ``_lazy``) runs as one cached ``jax.jit`` function: every step is a
single XLA call. Only plain graphs fuse: no hooks, retained grads, custom Functions, device moves,
``create_graph``, ``inputs=`` or anomaly mode (``_engine`` decides; it runs the rest).

The structure key. The reachable nodes are numbered by their rank in creation order (``pos``),
a topological order (producers first) that the same code reproduces each step, whatever else was
created in between. The key is ``(nodes, deferred, seeds, returned, avals)``:

- ``nodes[pos]``: None for an AccumulateGrad (a leaf), else ``(op, static key, n_out, slots,
  targets)``: one value slot per op input (see ``_pending``: an input array, a deferred value,
  or output ``nr`` of the node at ``pos``, computed inside the program) and, per input that
  takes a gradient, ``(input index, producer pos, output nr)``;
- ``deferred``: the ``(op, static key, n_out, slots)`` of the deferred values that the program
  computes but no node of the graph produced (a ``detach()`` of a graph value, a root held
  elsewhere), producers first;
- ``seeds``: per root, ``(pos, output nr, ones)``: ``ones`` is the (shape, dtype) of the ones the
  program makes, or None when the caller passes the seed gradient;
- ``returned``: the node outputs ``(pos, nr)`` whose forward values the program returns (see
  ``_Program``);
- ``avals``: the shapes and dtypes of the arrays passed in, so that each program holds one
  compiled executable and the LRU of programs bounds their memory.

A graph is fused at its first sighting: compiling its forward and backward as one program costs
less than compiling each op alone (and a training loop reuses it from its second step on).
"""

from __future__ import annotations

import operator
import threading

import jax
import jax.numpy as jnp

from .._cache import LRU
from .._op import fill_cotangents, vjp_at
from .._pending import (
    DEFERRED,
    INPUT,
    MAX_NODES,
    NODE,
    Deferred,
    Pending,
    Reads,
    avals,
    compute,
)
from ._graph import AccumulateGrad, check_saved, set_grad_value, topo

MAX_PROGRAMS = 32  # compiled programs kept (each holds one executable: a few hundred KB to MBs)
programs: LRU = LRU(MAX_PROGRAMS)  # structure key -> _Program
_stamp = 0  # the current walk's mark (nodes keep the mark of the last walk that reached them)
_walking = threading.Lock()  # the marks and positions live on the nodes: one walk at a time
_by_creation = operator.attrgetter("_seq")


class _Program:
    """The fused forward-and-backward program of one graph structure. It returns the deferred
    values of the node outputs in ``want``: the roots', and those read after an earlier run
    (each output costs about 1 us a call, so values nobody reads are not returned). ``asks``
    collects the places of skipped values that were read later (``_pending.force_all`` appends
    them); the next run adds them to ``want`` and compiles again."""

    __slots__ = ("key", "want", "fn", "asks")

    def __init__(self, key) -> None:
        self.key, self.want, self.fn, self.asks = key, key[3], None, []

    def function(self):
        if self.asks:
            self.want = (*self.want, *sorted(set(self.asks) - set(self.want)))
            self.asks.clear()
            self.fn = None
        if self.fn is None:
            nodes, deferred, seeds, _, _ = self.key
            self.fn = jax.jit(_make_program(nodes, deferred, seeds, self.want))
        return self.fn


def run(roots: list, start: list, seeds: list, held: bool) -> tuple[list, bool]:
    """Walk the graph from the ``start`` nodes of ``roots`` and, if it is plain, run its
    backward as one cached program. Returns the nodes in reverse topological order and whether
    the backward ran (if not, the caller runs it node by node). Raises PyTorch's errors for
    freed or modified saved values before anything runs. ``held``: whether anything but the
    caller holds the roots (if so, their deferred values are returned)."""
    with _walking:
        post = _reachable(start)
        if post is None:
            return topo(start), False
        graph = _Graph()
        if not graph.describe(post):
            return topo(start), False
        post.reverse()
        graph.add_seeds(roots, start, seeds, held)
        key = graph.key()
        prog = programs.get(key)
        if prog is None:
            prog = programs[key] = _Program(key)
        graph.reads.asks = prog.asks
        leaves = [leaf.variable for leaf in graph.leaves]
        old = tuple([g._value if (g := var._grad) is not None else None for var in leaves])
        given = tuple([g for g in seeds if g is not None])
        new, values, outside = prog.function()(graph.d.inputs, given, old)
        for var, value in zip(leaves, new):
            set_grad_value(var, value)
        for (pos, nr), value in zip(prog.want, values):
            out = post[-1 - pos]._out  # post is reversed now
            (out if out.__class__ is Pending else out[nr]).set(value)
        for p, value in zip(graph.d.pend, outside):
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
    program is called with (``d``: its inputs and the deferred values outside the graph)."""

    __slots__ = ("nodes", "leaves", "d", "seeds", "returned", "reads")

    def __init__(self) -> None:
        self.nodes: list = []
        self.leaves: list = []  # the AccumulateGrad nodes, in position order
        self.d = Deferred()
        self.seeds: list = []
        self.returned: list = []
        self.reads = Reads()  # where the graph's skipped deferred values report a later read

    def key(self) -> tuple:
        d = self.d
        return (
            tuple(self.nodes),
            tuple(d.entries),
            tuple(self.seeds),
            tuple(self.returned),
            avals(d.inputs),
        )

    def describe(self, post: list) -> bool:
        """Fill ``nodes`` from the nodes in creation order; False if the graph can't fuse."""
        nodes, reads, d = self.nodes, self.reads, self.d
        input_at, inputs, pend_at = d.input_at, d.inputs, d.pend_at
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
            if out is not None:
                for q in (out,) if out.__class__ is Pending else out:
                    if q.value is None:
                        q.reads, q.at = reads, (pos, q.nr)
            slots = []
            targets = []
            i = -1
            for v, (nxt, nr), m in zip(node._saved, node._edges, node._mask):
                i += 1
                if m:
                    targets.append((i, nxt._pos, nr))
                if v.__class__ is Pending:
                    if v.value is None:
                        o = nxt._out if m else None
                        if o is not None and (o is v or o is v.group):
                            # the output of the node it takes a gradient to
                            slots.append((NODE, (nxt._pos, nr)))
                        else:
                            slots.append(pend_at.get(id(v)) or d.add(v))
                        continue
                    v = v.value
                elif v is None:
                    slots.append(None)
                    continue
                slot = input_at.get(id(v))  # d.input_slot(v), inlined in this hot loop
                if slot is None:
                    slot = input_at[id(v)] = (INPUT, len(inputs))
                    inputs.append(v)
                slots.append(slot)
            nodes.append((node._op, node._static, node._n_out, tuple(slots), tuple(targets)))
        return True

    def add_seeds(self, roots: list, start: list, seeds: list, held: bool) -> None:
        """The seed of each root; a held root's deferred value is returned (``loss.item()``)."""
        for t, node, g in zip(roots, start, seeds):
            v = t._v
            ones = None if g is not None else (v.shape, v.dtype)
            self.seeds.append((node._pos, t._output_nr, ones))
            if held and v.__class__ is Pending and v.value is None:
                out = node._out
                if out is not None and (out is v or out is v.group):
                    self.returned.append((node._pos, t._output_nr))
                elif id(v) not in self.d.pend_at:
                    self.d.add(v)


def _make_program(nodes: tuple, deferred: tuple, seeds: tuple, want: tuple):
    """The program: the deferred forward values, each node's forward with its vjp (one trace
    of each op), then the pullbacks in reverse (see the module docstring for the key's parts).
    It takes (inputs, seed gradients, old .grad values) and returns (new .grad values, the
    values of ``want``, the values of ``deferred``)."""

    def program(inputs, given, old):
        values: tuple = (inputs, [], {})  # by source: INPUT, DEFERRED, NODE

        def get(slot):
            return None if slot is None else values[slot[0]][slot[1]]

        compute(deferred, get, values[DEFERRED])
        pulls: list = [None] * len(nodes)
        for pos, entry in enumerate(nodes):  # producers first
            if entry is not None:
                op, key, n_out, slots, targets = entry
                takes = [False] * len(slots)
                for i, _, _ in targets:
                    takes[i] = True
                out, pulls[pos] = vjp_at(op.bind(key), [get(s) for s in slots], takes)
                for nr, o in enumerate((out,) if n_out == 1 else out):
                    values[NODE][pos, nr] = o
        cts = [[None] if e is None else [None] * e[2] for e in nodes]
        given = iter(given)
        for pos, nr, ones in seeds:
            g = next(given) if ones is None else jnp.ones(*ones)
            cts[pos][nr] = g if cts[pos][nr] is None else cts[pos][nr] + g
        for pos in range(len(nodes) - 1, -1, -1):  # consumers first
            entry = nodes[pos]
            if entry is None:
                continue
            n_out, targets = entry[2], entry[4]
            ct = cts[pos][0]
            if n_out > 1:
                ct = fill_cotangents(
                    tuple(cts[pos]), tuple(values[NODE][pos, nr] for nr in range(n_out))
                )
            for grad, (_, to, nr) in zip(pulls[pos](ct), targets):
                cts[to][nr] = grad if cts[to][nr] is None else cts[to][nr] + grad
        leaves = [cts[pos][0] for pos, e in enumerate(nodes) if e is None]
        new = tuple(o if g is None else g if o is None else o + g for g, o in zip(leaves, old))
        return new, tuple(values[NODE][at] for at in want), tuple(values[DEFERRED])

    return program

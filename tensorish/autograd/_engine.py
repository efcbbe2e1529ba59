"""The autograd graph and the backward pass.

A ``Node`` is the ``grad_fn`` of an op's outputs. It keeps the op, its static parameters and the
input values (jax arrays are immutable, so keeping them is a snapshot, not a copy). Its backward
is the op's cached ``jax.jit`` of ``jax.vjp``; the engine walks the nodes once, in reverse
topological order, summing cotangents per node output, and leaves accumulate into ``.grad``.

Two paths run a backward pass:
- fused: a plain graph (no hooks, no retained grads, no custom Functions, no ``create_graph``,
  no anomaly mode) seen before runs as ONE cached ``jax.jit`` function;
- node by node: everything else. Cotangents are jax arrays, or Tensors when ``create_graph``
  is set (each node's vjp then runs as a recorded op, so the gradient can be differentiated).
"""

from __future__ import annotations

import operator
import re
import threading
import traceback
import warnings
import weakref

import jax
import jax.numpy as jnp

from .._lazy import Pending, concrete, creation

_add = jax.jit(operator.add)
_ones_like = jax.jit(jnp.ones_like)
_any_nan = jax.jit(lambda x: jnp.isnan(x).any())
_node_classes: dict[str, type] = {}
Tensor: type = None  # bound by _tensor.py once the class exists (the modules import each other)
_anomaly = [False, True]  # [enabled, check_nan]; global, as in PyTorch
compiling = [False]  # set while tensorish.compile traces a function


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._table = hooks

    def remove(self) -> None:
        self._table.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(table: dict, hook) -> RemovableHandle:
    handle = RemovableHandle(table)
    table[handle.id] = hook
    return handle


class _Extra:
    """Rarely used per-node state, allocated only when a hook, retain_grad or anomaly needs it."""

    __slots__ = ("tensor_hooks", "retain", "prehooks", "hooks", "trace")

    def __init__(self) -> None:
        self.tensor_hooks: dict = {}  # output_nr -> {id: hook}
        self.retain: dict = {}  # output_nr -> weakref to the tensor that retains its grad
        self.prehooks: dict = {}
        self.hooks: dict = {}
        self.trace = None


class LeafHooks:
    """A leaf's hooks: ``pre`` see its gradient before accumulation, ``post`` the tensor after."""

    __slots__ = ("pre", "post")

    def __init__(self) -> None:
        self.pre: dict = {}
        self.post: dict = {}


class _GraphNode:
    """What every ``grad_fn`` (ops, custom Functions, AccumulateGrad) has in common."""

    __slots__ = ()
    _fusable = False
    _mark = 0  # the walk that last visited it (Node and AccumulateGrad keep it in a slot)
    _seq = 0  # creation order: every node is created after the nodes it takes gradients to

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple(self._edges)

    @property
    def metadata(self) -> dict:
        m = self._meta
        if m is None:
            m = self._meta = {}
        return m

    def _ext(self) -> _Extra:
        e = self._extra
        if e is None:
            e = self._extra = _Extra()
        return e

    def register_hook(self, fn) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        return add_hook(self._ext().hooks, fn)

    def register_prehook(self, fn) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        return add_hook(self._ext().prehooks, fn)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class Node(_GraphNode):
    """Base of every op's ``grad_fn``; each op gets a subclass named as PyTorch names it."""

    __slots__ = (
        "_op",
        "_static",
        "_saved",
        "_mask",
        "_edges",
        "_versions",
        "_n_out",
        "_freed",
        "_extra",
        "_meta",
        "_out",
        "_pos",
        "_mark",
        "_seq",
        "_pull",
        "__weakref__",
    )
    _fusable = True

    def __init__(self, op, static, args, vals, n_out):
        self._op = op
        self._static = static
        self._saved = vals
        self._n_out = n_out
        self._freed = False
        self._extra = self._meta = self._out = None  # _out: the Pending it produced (deferred)
        self._pull = None  # inside tensorish.compile: (vjp pullback, outputs) from the forward
        self._mark = 0
        self._seq = next(creation)
        mask = []
        edges = []
        versions = []
        saves = op.saves
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                req = a._requires_grad
                mask.append(req)
                edges.append(a._edge() if req else (None, 0))
                if i in saves:
                    versions.append((a, a._vc, a._vc[0]))
            else:
                mask.append(False)
                edges.append((None, 0))
        self._mask = tuple(mask)
        self._edges = edges
        self._versions = versions
        if _anomaly[0]:
            self._ext().trace = traceback.format_stack()[:-2]

    def _check_saved(self) -> None:
        if self._freed and self._op.saves:
            raise RuntimeError(FREED_MESSAGE)
        for t, vc, seen in self._versions:
            if vc[0] != seen:
                raise version_error(t, vc[0], seen)

    def _values(self) -> list:
        """The saved input values, deferred ones computed."""
        saved = self._saved = concrete(self._saved)
        return saved

    def _apply(self, cts: list):
        """The cotangents of the differentiable inputs, given those of the outputs."""
        if self._pull is not None:  # traced under tensorish.compile: reuse the forward's vjp
            pull, out = self._pull
            return pull(cts[0] if self._n_out == 1 else _fill(tuple(cts), out))
        bwd = self._op.backward_fn(self._static, self._mask)
        return bwd(tuple(self._values()), cts[0] if self._n_out == 1 else tuple(cts))

    def _apply_graph(self, cts: list):
        """As ``_apply``, but on Tensors, recording the vjp as an op (for ``create_graph``)."""
        from .._dispatch import apply

        vop = self._op.vjp_op(self._static, self._mask)
        args = [_proxy(v, edge) for v, edge in zip(self._values(), self._edges)]
        out = apply(vop, (*args, *cts))
        return out if isinstance(out, tuple) else (out,)

    def _release(self) -> None:
        self._freed = True
        self._pull = None
        if self._op.saves:
            self._saved = None


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


def version_error(t, now: int, seen: int) -> RuntimeError:
    """PyTorch's error for a saved tensor modified in place after it was saved."""
    where = ""
    if t.grad_fn is not None:
        name = re.sub(r"Backward\d*$", "", t.grad_fn.name())
        where = f", which is output {t._output_nr} of {name},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t._type_name()} {list(t.shape)}]{where} is at version {now}; expected "
        f"version {seen} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with tensorish.autograd.set_detect_anomaly(True, "
        "check_nan=False)."
    )


def _proxy(value, edge):
    """A Tensor holding a node's saved ``value`` that stands, in a new graph, for the input
    the node recorded (its grad_fn, or its leaf's AccumulateGrad)."""
    node, nr = edge
    if node is None:
        return value
    if type(node) is AccumulateGrad:
        t = Tensor._wrap(value)
        t._requires_grad = True
        t._acc = weakref.ref(node)
        return t
    return Tensor._wrap(value, node, nr)


class AccumulateGrad(_GraphNode):
    """The node that adds a leaf's gradient into its ``.grad``."""

    __slots__ = ("variable", "_edges", "_extra", "_meta", "_pos", "_mark", "_seq", "__weakref__")
    _n_out = 1
    _mask = ()
    _fusable = True
    _out = None

    def __init__(self, variable) -> None:
        self.variable = variable
        self._edges = []
        self._extra = self._meta = None
        self._mark = self._seq = 0

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    def _accumulate(self, g, graph: bool) -> None:
        var = self.variable
        if graph:
            var._grad = g if var._grad is None else var._grad + g
        elif var._grad is None:
            var._grad = Tensor._wrap(g)
        else:
            var._grad._set_value(_add(var._grad._value, g))
        if var._hooks is not None:
            for hook in tuple(var._hooks.post.values()):
                hook(var)


def node_class(name: str) -> type:
    """The ``grad_fn`` class called ``name`` (one class per name, as in PyTorch)."""
    cls = _node_classes.get(name)
    if cls is None:
        cls = _node_classes[name] = type(name, (Node,), {"__slots__": ()})
    return cls


def _topo(roots: list) -> list:
    """Nodes reachable from ``roots``, each after every node that feeds it a cotangent."""
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root._edges))]
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is not None and id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack.append((nxt, iter(nxt._edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(
    roots: list,
    seeds: list,
    retain_graph: bool,
    create_graph: bool = False,
    inputs: list | None = None,
    accumulate: bool = True,
    held: bool = True,
) -> list | None:
    """Propagate ``seeds`` (arrays, Tensors when ``create_graph``, or None for ones) back from
    ``roots``. With ``inputs``, only their gradients are computed: accumulated into ``.grad``
    (``accumulate``, as ``backward(inputs=)``) or returned (as ``autograd.grad``). ``held``:
    whether anything but the caller holds the roots (else their values can't be read later)."""
    start = [t.grad_fn if t.grad_fn is not None else t._accumulator() for t in roots]
    # Inside tensorish.compile the nodes' vjps inline into the one program; a fused program
    # would be a nested call that only makes XLA compile longer.
    if inputs is not None or create_graph or _anomaly[0] or compiling[0]:
        order, done = _topo(start), False
    else:
        order, done = _run_fused(roots, start, seeds, held)
    result = None
    if not done:
        for node in order:
            if type(node) is not AccumulateGrad:
                node._check_saved()
        from ._grad_mode import set_grad_enabled

        with set_grad_enabled(create_graph):
            if create_graph:
                seeds = [
                    Tensor._wrap(_ones_like(t._value))
                    if g is None
                    else g
                    if isinstance(g, Tensor)
                    else Tensor._wrap(g)
                    for t, g in zip(roots, seeds)
                ]
            result = _run_nodes(roots, start, seeds, order, create_graph, inputs, accumulate)
    if not retain_graph:
        for node in order:
            if type(node) is not AccumulateGrad:
                node._release()
    return result


def _targets(inputs: list) -> dict:
    """(node id, output_nr) -> positions in ``inputs`` of the tensors whose gradient it is."""
    where: dict = {}
    for i, t in enumerate(inputs):
        node, nr = t._edge()
        where.setdefault((id(node), nr), []).append(i)
    return where


def _needed(order: list, where: dict) -> set:
    """The ids of the nodes that lie on a path to one of the targets."""
    need = {k[0] for k in where}
    for node in reversed(order):
        if id(node) in need:
            continue
        if any(nxt is not None and id(nxt) in need for nxt, _ in node._edges):
            need.add(id(node))
    return need


def _run_nodes(roots, start, seeds, order, graph, inputs, accumulate):
    add = operator.add if graph else _add
    buf: dict = {}
    for t, node, g in zip(roots, start, seeds):
        if g is None:
            g = _ones_like(t._value)
        slots = buf.setdefault(node, [None] * node._n_out)
        nr = t._output_nr
        slots[nr] = g if slots[nr] is None else add(slots[nr], g)
    where = need = found = None
    if inputs is not None:
        where, found = _targets(inputs), [None] * len(inputs)
        need = _needed(order, where)
    for node in order:
        cts = buf.pop(node, None)
        if cts is None or (need is not None and id(node) not in need):
            continue
        if node._extra is not None:
            cts = _pre_hooks(node, cts, graph)
        is_acc = type(node) is AccumulateGrad
        if is_acc and node.variable._hooks is not None:
            cts = [_run_tensor_hooks(node.variable._hooks.pre, cts[0], graph)]
        if where is not None:
            for nr in range(len(cts)):
                for i in where.get((id(node), nr), ()):
                    found[i] = cts[nr]
        if is_acc:
            if accumulate and cts[0] is not None:
                node._accumulate(cts[0], graph)
            continue
        if inputs is not None and accumulate:
            _accumulate_nonleaf(node, cts, where, inputs, graph)
        if graph:
            cts = (
                [c if c is not None else Tensor._wrap(z) for c, z in zip(cts, _zeros_for(node))]
                if node._n_out > 1
                else cts
            )
            grads = node._apply_graph(cts)
        else:
            grads = node._apply(cts)
        if node._extra is not None and node._extra.hooks:
            grads = _post_hooks(node, grads, cts, graph)
        if _anomaly[0] and _anomaly[1]:
            _check_nan(node, grads, graph)
        grads = iter(grads)
        for (nxt, nr), m in zip(node._edges, node._mask):
            if not m:
                continue
            g = next(grads)
            if g is None:
                continue
            slots = buf.get(nxt)
            if slots is None:
                slots = buf[nxt] = [None] * nxt._n_out
            slots[nr] = g if slots[nr] is None else add(slots[nr], g)
    return found


def _zeros_for(node) -> list:
    """Zero cotangents for every output of a multi-output node (used where one is missing)."""
    out = jax.eval_shape(node._op.bind(node._static), *node._values())
    return [jnp.zeros(o.shape, o.dtype) for o in out]


def _accumulate_nonleaf(node, cts, where, inputs, graph) -> None:
    """``backward(inputs=[t])`` for a non-leaf ``t``: its total gradient goes to ``t.grad``."""
    for nr, g in enumerate(cts):
        for i in where.get((id(node), nr), ()):
            t = inputs[i]
            if graph:
                t._grad = g if t._grad is None else t._grad + g
            elif t._grad is None:
                t._grad = Tensor._wrap(g)
            else:
                t._grad._set_value(_add(t._grad._value, g))


def _as_tensor(g, graph):
    return g if graph or g is None else Tensor._wrap(g)


def _as_value(t, graph):
    return t if graph or t is None else t._value


def _run_tensor_hooks(hooks: dict, g, graph: bool):
    """Each hook sees the gradient so far and may replace it (by returning a Tensor)."""
    if g is None:
        return g
    t = _as_tensor(g, graph)
    for hook in tuple(hooks.values()):
        out = hook(t)
        if out is not None:
            t = out
    return _as_value(t, graph)


def _pre_hooks(node, cts: list, graph: bool) -> list:
    """Tensor hooks and retain_grad of each output (in that order), then the node's prehooks."""
    ext = node._extra
    cts = list(cts)
    for nr, hooks in ext.tensor_hooks.items():
        if hooks and nr < len(cts):
            cts[nr] = _run_tensor_hooks(hooks, cts[nr], graph)
    for nr, ref in ext.retain.items():
        t = ref()
        if t is None or cts[nr] is None:
            continue
        g = cts[nr]
        if t._grad is None:
            t._grad = g if graph else Tensor._wrap(g)
        elif graph:
            t._grad = t._grad + g
        else:
            t._grad._set_value(_add(t._grad._value, g))
    for hook in tuple(ext.prehooks.values()):
        out = hook(tuple(_as_tensor(c, graph) for c in cts))
        if out is not None:
            cts = [_as_value(c, graph) for c in out]
    return cts


def _post_hooks(node, grads, cts, graph: bool) -> tuple:
    grads = tuple(_as_tensor(g, graph) for g in grads)
    outs = tuple(_as_tensor(c, graph) for c in cts)
    full = _full_inputs(node, grads)
    for hook in tuple(node._extra.hooks.values()):
        out = hook(full, outs)
        if out is not None:
            full = tuple(out)
    return tuple(_as_value(g, graph) for g, m in zip(full, node._mask) if m)


def _full_inputs(node, grads) -> tuple:
    """The gradients of the differentiable inputs, spread to one entry per input (None else)."""
    it = iter(grads)
    return tuple(next(it) if m else None for m in node._mask)


def _check_nan(node, grads, graph: bool) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        v = g._value if graph else g
        if jnp.issubdtype(v.dtype, jnp.inexact) and bool(_any_nan(v)):
            trace = node._extra.trace if node._extra is not None else None
            if trace is not None:
                warnings.warn(
                    f"Error detected in {node.name()}. Traceback of forward call that caused "
                    "the error:\n" + "".join(trace),
                    UserWarning,
                    stacklevel=2,
                )
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


# A graph structure seen before runs its whole backward as ONE cached jitted function: a
# training loop repeats its graph, so every step after the first two is a single XLA call.
# Deferred forward values the graph saved (see _lazy) are computed inside the same program.
# The first sighting runs node by node (each op's vjp is already compiled), so one-off graphs
# never pay for compiling a fused program.
_FUSED_MAX = 512
_FUSED_NODES = 4096  # larger graphs (a hand-unrolled loop) run node by node: XLA would take
# minutes to compile them as one program
_fused: dict = {}
_sightings: dict = {}


class _Program:
    """The fused forward-and-backward program of one graph structure. It returns the deferred
    values in ``want``: the roots', and those read after an earlier run (each output costs
    about 1 us a call, so values nobody reads are not returned)."""

    __slots__ = ("key", "want", "fn")

    def __init__(self, key) -> None:
        self.key, self.want, self.fn = key, key[3], None

    def wanted(self, pos: int) -> None:
        if pos not in self.want:
            self.want = (*self.want, pos)
            self.fn = None

    def compile(self):
        struct, fwd, seed_at, _ = self.key
        self.fn = jax.jit(_make_fused(struct, fwd, seed_at, self.want))
        return self.fn


_OUTSIDE = 1 << 40  # slot codes: ext arrays ~k, node outputs pos, other deferred ~(_OUTSIDE+k)
_stamp = [0]
_by_creation = operator.attrgetter("_seq")


def _run_fused(roots: list, start: list, seeds: list, held: bool) -> tuple[list, bool]:
    """Walk the graph and, if it is plain and was seen before, run its backward as one cached
    program. Returns the nodes in reverse topological order and whether the backward ran (if
    not, the caller runs it node by node). Raises PyTorch's errors for freed or modified saved
    values before anything runs."""
    with _walking:  # the visit marks and positions live on the nodes: one walk at a time
        return _fused_walk(roots, start, seeds, held)


_walking = threading.Lock()


def _fused_walk(roots: list, start: list, seeds: list, held: bool) -> tuple[list, bool]:
    # Positions are ranks in creation order, a topological order (producers first): the
    # same code builds the same graph each step, and unrelated nodes created in between
    # do not change the ranks.
    stamp = _stamp[0] = _stamp[0] + 1
    post: list = []  # the reachable nodes, then sorted: each after the nodes that feed it
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
    if len(post) > _FUSED_NODES:
        return _topo(start), False
    post.sort(key=_by_creation)
    struct = []
    leaves = []
    ext: list = []  # the arrays the program takes, each once
    ext_at: dict = {}
    pend: list = []  # deferred values not produced by a node of this graph
    fwd: list = []
    pend_at: dict = {}
    cell = [None]  # the program, once known: a deferred value read later asks it to return it
    for pos, node in enumerate(post):
        node._pos = pos
        if node.__class__ is AccumulateGrad:
            var = node.variable
            if node._extra is not None or (
                var._hooks is not None and (var._hooks.pre or var._hooks.post)
            ):
                return _topo(start), False
            struct.append(None)
            leaves.append(node)
            continue
        if not node._fusable or node._extra is not None or not node._op.fusable:
            return _topo(start), False
        op = node._op
        if node._freed and op.saves:
            raise RuntimeError(FREED_MESSAGE)
        for t, vc, seen in node._versions:
            if vc[0] != seen:
                raise version_error(t, vc[0], seen)
        out = node._out
        if out is not None and out.value is None:
            out.hint, out.at = cell, pos
        refs = []
        for v, (nxt, nr), m in zip(node._saved, node._edges, node._mask):
            if v.__class__ is Pending:
                if v.value is None:
                    if m and nxt._out is v:
                        refs.append((nxt._pos, nr, nxt._pos))
                        continue
                    k = pend_at.get(id(v))
                    if k is None:
                        k = _register(v, pend, fwd, pend_at, ext, ext_at)
                    k = ~(_OUTSIDE + k)
                    refs.append((nxt._pos, nr, k) if m else k)
                    continue
                v = v.value
            k = ext_at.get(id(v))  # _ext_slot, inlined in this hot loop
            if k is None:
                k = ext_at[id(v)] = ~len(ext)
                ext.append(v)
            refs.append((nxt._pos, nr, k) if m else k)
        struct.append((op, node._static, node._n_out, tuple(refs)))
    post.reverse()
    seed_at = []
    roots_out = []  # the held roots' deferred values are returned (``loss.item()``)
    for t, node, g in zip(roots, start, seeds):
        v = t._v
        seed_at.append((node._pos, t._output_nr, None if g is not None else (v.shape, v.dtype)))
        if held and v.__class__ is Pending and v.value is None:
            if node._out is v:
                roots_out.append(node._pos)
            elif id(v) not in pend_at:
                _register(v, pend, fwd, pend_at, ext, ext_at)
    key = (tuple(struct), tuple(fwd), tuple(seed_at), tuple(roots_out))
    prog = _fused.get(key)
    if prog is None:
        seen = _sightings.get(key, 0)
        if seen == 0 or len(_fused) >= _FUSED_MAX:
            if len(_sightings) > 4 * _FUSED_MAX:
                _sightings.clear()
            _sightings[key] = seen + 1
            return post, False
        prog = _fused[key] = _Program(key)
    cell[0] = prog
    old = tuple(
        [leaf.variable._grad._value if leaf.variable._grad is not None else None for leaf in leaves]
    )
    new, values, outside = (prog.fn or prog.compile())(
        ext, tuple([g for g in seeds if g is not None]), old
    )
    for leaf, value in zip(leaves, new):
        var = leaf.variable
        if var._grad is None:
            var._grad = Tensor._wrap(value)
        else:
            var._grad._set_value(value)
    for pos, value in zip(prog.want, values):
        post[-1 - pos]._out.set(value)  # post is reversed now
    for p, value in zip(pend, outside):
        p.set(value)
    return post, True


def _register(p, pend: list, fwd: list, pend_at: dict, ext: list, ext_at: dict) -> int:
    """Add the deferred value ``p`` (after the deferred values it needs) to the program; the
    program returns it (its tensor may be held elsewhere, as with ``detach()``)."""
    stack = [p]
    while stack:
        q = stack[-1]
        todo = [
            v for v in q.vals if v.__class__ is Pending and v.value is None and id(v) not in pend_at
        ]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        if id(q) in pend_at:
            continue
        slots = [
            ~(_OUTSIDE + pend_at[id(v)])
            if v.__class__ is Pending and v.value is None
            else _ext_slot(v.value if v.__class__ is Pending else v, ext, ext_at)
            for v in q.vals
        ]
        pend_at[id(q)] = len(pend)
        pend.append(q)
        fwd.append((q.op, q.key, tuple(slots)))
    return pend_at[id(p)]


def _ext_slot(v, ext: list, ext_at: dict) -> int:
    """The slot of the program input ``v`` (each array is passed once)."""
    k = ext_at.get(id(v))
    if k is None:
        k = ext_at[id(v)] = ~len(ext)
        ext.append(v)
    return k


def _make_fused(struct: tuple, fwd: tuple, seed_at: tuple, want: tuple):
    """The program: the deferred forward values, then each node's vjp in order. A node's refs
    are value slots (ext ~k, node output pos, other deferred ~(_OUTSIDE + k)), or
    (producer pos, output nr, slot) for the inputs that take a gradient."""
    from .._dispatch import vjp_at  # (the modules import each other)

    def fused(ext, seeds, old):
        outside: list = []
        nv: dict = {}  # node position -> its forward output

        def get(s):
            if s >= 0:
                return nv[s]
            s = ~s
            return ext[s] if s < _OUTSIDE else outside[s - _OUTSIDE]

        def slot(r):
            return r[2] if type(r) is tuple else r

        for op, key, slots in fwd:
            outside.append(op.bind(key)(*[get(s) for s in slots]))
        needed = set(want)  # node outputs some node uses (or the caller wants)
        for entry in struct:
            if entry is not None:
                needed.update(s for s in map(slot, entry[3]) if s >= 0)
        for i in range(len(struct)):  # producers first
            if i in needed:
                op, key, _, refs = struct[i]
                nv[i] = op.bind(key)(*[get(slot(r)) for r in refs])
        cts = [[None] if e is None else [None] * e[2] for e in struct]
        given = iter(seeds)
        for i, nr, ones in seed_at:
            g = next(given) if ones is None else jnp.ones(*ones)
            cts[i][nr] = g if cts[i][nr] is None else cts[i][nr] + g
        for i in range(len(struct) - 1, -1, -1):  # consumers first
            entry = struct[i]
            if entry is None:
                continue
            op, key, n_out, refs = entry
            out, pull = vjp_at(
                op.bind(key), [get(slot(r)) for r in refs], [type(r) is tuple for r in refs]
            )
            ct = cts[i][0] if n_out == 1 else _fill(tuple(cts[i]), out)
            targets = [r for r in refs if type(r) is tuple]
            for grad, (t, nr, _) in zip(pull(ct), targets):
                cts[t][nr] = grad if cts[t][nr] is None else cts[t][nr] + grad
        leaves = [cts[i][0] for i, e in enumerate(struct) if e is None]
        new = tuple(o if g is None else g if o is None else o + g for g, o in zip(leaves, old))
        return new, tuple(nv[k] for k in want), tuple(outside)

    return fused


def _fill(cts, out):
    from .._dispatch import _fill_cotangents

    return _fill_cotangents(cts, out)


def accumulator_for(tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, shared by every use of the leaf while it lives."""
    ref = tensor._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._acc = weakref.ref(acc)
    return acc

"""The autograd graph and the backward pass.

A ``Node`` is the ``grad_fn`` of an op's outputs. It keeps the op, its static parameters and the
input values (jax arrays are immutable, so keeping them is a snapshot, not a copy). Its backward
is the op's cached ``jax.jit`` of ``jax.vjp``; the engine walks the nodes once, in reverse
topological order, summing cotangents per node output, and leaves accumulate into ``.grad``.
"""

from __future__ import annotations

import operator
import weakref

import jax

_add = jax.jit(operator.add)
_ones_like = jax.jit(jax.numpy.ones_like)
_node_classes: dict[str, type] = {}


class Node:
    """Base of every ``grad_fn``; each op gets a subclass named as PyTorch names it."""

    __slots__ = ("_op", "_static", "_args", "_saved", "_mask", "_edges", "_versions", "_n_out",
                 "_freed", "metadata", "__weakref__")

    def __init__(self, op, static, args, vals, n_out):
        from .._tensor import Tensor

        self._op = op
        self._static = static
        self._args = args
        self._saved = vals
        self._n_out = n_out
        self._freed = False
        self.metadata = {}
        mask = []
        edges = []
        versions = []
        saves = op.saves
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                req = a.requires_grad
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

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple(self._edges)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    def _check_saved(self) -> None:
        if self._freed and self._op.saves:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        for t, vc, seen in self._versions:
            if vc[0] != seen:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t._type_name()} {list(t.shape)}], which is output "
                    f"{t._output_nr} of {t._node_label()}, is at version {vc[0]}; expected "
                    f"version {seen} instead. Hint: enable anomaly detection to find the "
                    "operation that failed to compute its gradient, with "
                    "torch.autograd.set_detect_anomaly(True).")

    def _apply(self, cts: list):
        """The cotangents of the differentiable inputs, given those of the outputs."""
        self._check_saved()
        bwd = self._op.backward_fn(self._static, self._mask)
        diff = tuple(v for v, m in zip(self._saved, self._mask) if m)
        other = tuple(v for v, m in zip(self._saved, self._mask) if not m)
        out = bwd(diff, other, cts[0] if self._n_out == 1 else tuple(cts))
        return out

    def _release(self) -> None:
        self._freed = True
        if self._op.saves:
            self._args = self._saved = None


class AccumulateGrad:
    """The node that adds a leaf's gradient into its ``.grad``."""

    __slots__ = ("variable", "_edges", "__weakref__")
    _n_out = 1

    def __init__(self, variable) -> None:
        self.variable = variable
        self._edges = []

    next_functions = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    def _accumulate(self, g) -> None:
        from .._tensor import Tensor

        var = self.variable
        if var._grad is None:
            var._grad = Tensor._wrap(g)
        else:
            var._grad._set_value(_add(var._grad._value, g))


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


def run_backward(roots: list, seeds: list, retain_graph: bool) -> None:
    """Propagate ``seeds`` (jax arrays, or None for ones) back to the leaves' ``.grad``."""
    start = [t.grad_fn if t.grad_fn is not None else t._accumulator() for t in roots]
    order = _topo(start)
    for node in order:
        if type(node) is not AccumulateGrad:
            node._check_saved()
    if not _run_fused(roots, start, seeds, order):
        _run_nodes(roots, start, seeds, order)
    if not retain_graph:
        for node in order:
            if type(node) is not AccumulateGrad:
                node._release()


def _run_nodes(roots: list, start: list, seeds: list, order: list) -> None:
    buf: dict = {}
    for t, node, g in zip(roots, start, seeds):
        if g is None:
            g = _ones_like(t._value)
        slots = buf.setdefault(node, [None] * node._n_out)
        nr = t._output_nr
        slots[nr] = g if slots[nr] is None else _add(slots[nr], g)
    for node in order:
        cts = buf.pop(node, None)
        if cts is None:
            continue
        if type(node) is AccumulateGrad:
            node._accumulate(cts[0])
            continue
        grads = iter(node._apply(cts))
        for (nxt, nr), m in zip(node._edges, node._mask):
            if not m:
                continue
            g = next(grads)
            slots = buf.get(nxt)
            if slots is None:
                slots = buf[nxt] = [None] * nxt._n_out
            slots[nr] = g if slots[nr] is None else _add(slots[nr], g)


# A graph structure seen before runs its whole backward as ONE cached jitted function: a
# training loop repeats its graph, so every step after the first two is a single XLA call.
# The first sighting runs node by node (each op's vjp is already compiled), so one-off graphs
# never pay for compiling a fused program.
_FUSED_MAX = 512
_fused: dict = {}
_sightings: dict = {}


def _run_fused(roots: list, start: list, seeds: list, order: list) -> bool:
    index = {id(node): i for i, node in enumerate(order)}
    struct = []
    saved = []
    leaves = []
    for node in order:
        if type(node) is AccumulateGrad:
            struct.append(None)
            leaves.append(node)
            continue
        targets = tuple((index[id(nxt)], nr) for (nxt, nr), m in zip(node._edges, node._mask)
                        if m)
        struct.append((node._op, node._static, node._mask, node._n_out, targets))
        saved.append(node._saved)
    seed_at = tuple((index[id(node)], t._output_nr, g is None)
                    for t, node, g in zip(roots, start, seeds))
    key = (tuple(struct), seed_at)
    fn = _fused.get(key)
    if fn is None:
        seen = _sightings.get(key, 0)
        if seen == 0 or len(_fused) >= _FUSED_MAX:
            if len(_sightings) > 4 * _FUSED_MAX:
                _sightings.clear()
            _sightings[key] = seen + 1
            return False
        fn = _fused[key] = jax.jit(_make_fused(struct, seed_at))
    old = tuple(leaf.variable._grad._value if leaf.variable._grad is not None else None
                for leaf in leaves)
    new = fn(tuple(saved), tuple(g for g in seeds if g is not None),
             tuple(t._value for t, g in zip(roots, seeds) if g is None), old)
    from .._tensor import Tensor

    for leaf, value in zip(leaves, new):
        var = leaf.variable
        if var._grad is None:
            var._grad = Tensor._wrap(value)
        else:
            var._grad._set_value(value)
    return True


def _make_fused(struct: list, seed_at: tuple):
    def fused(saved, seeds, ones_for, old):
        cts = [None if e is None else [None] * e[3] for e in struct]
        cts = [c if c is not None else [None] for c in cts]
        given, implicit = iter(seeds), iter(ones_for)
        for i, nr, is_ones in seed_at:
            g = jax.numpy.ones_like(next(implicit)) if is_ones else next(given)
            cts[i][nr] = g if cts[i][nr] is None else cts[i][nr] + g
        vals = iter(saved)
        for i, entry in enumerate(struct):
            if entry is None:
                continue
            op, key, mask, n_out, targets = entry
            f = op.bind(key)
            primals = next(vals)
            diff = [v for v, m in zip(primals, mask) if m]
            other = [v for v, m in zip(primals, mask) if not m]

            def g(*d, f=f, mask=mask, other=other):
                di, oi = iter(d), iter(other)
                return f(*[next(di) if m else next(oi) for m in mask])

            out, pull = jax.vjp(g, *diff)
            ct = cts[i][0] if n_out == 1 else _fill(tuple(cts[i]), out)
            for grad, (t, nr) in zip(pull(ct), targets):
                cts[t][nr] = grad if cts[t][nr] is None else cts[t][nr] + grad
        leaves = [cts[i][0] for i, e in enumerate(struct) if e is None]
        return tuple(g if o is None else o + g for g, o in zip(leaves, old))

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

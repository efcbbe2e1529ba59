"""The backward pass, node by node (layer design note).

``run_backward`` walks the graph (``_graph``) once, in reverse topological order, summing
cotangents per node output; leaves accumulate into ``.grad``. A plain graph seen before runs
instead as one cached program (``_fused``). This path runs everything else: hooks, retained
grads, custom Functions, ``inputs=``, anomaly mode, and ``create_graph``, where cotangents are
Tensors and each node's vjp runs as a recorded op (so the gradient can be differentiated again).
Recording those ops is why the engine sits above the op table's dispatch.
"""

from __future__ import annotations

import operator
import warnings
import weakref

import jax
import jax.numpy as jnp

from .._dispatch import apply
from .._mode import mode
from .._tensor import Tensor
from . import _fused
from ._grad_mode import set_grad_enabled
from ._graph import AccumulateGrad, Node, accumulate_grad, accumulator_for, edge, topo

_add = jax.jit(operator.add)
_ones_like = jax.jit(jnp.ones_like)
_any_nan = jax.jit(lambda x: jnp.isnan(x).any())


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
    start = [t.grad_fn if t.grad_fn is not None else accumulator_for(t) for t in roots]
    # Inside tensorish.compile the nodes' vjps inline into the one program; a fused program
    # would be a nested call that only makes XLA compile longer.
    if inputs is not None or create_graph or mode.anomaly or mode.trace is not None:
        order, done = topo(start), False
    else:
        order, done = _fused.run(roots, start, seeds, held)
    result = None
    if not done:
        for node in order:
            if type(node) is not AccumulateGrad:
                node._check_saved()
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
        node, nr = edge(t)
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


# C901: the node-by-node backward loop, one pass per node
def _run_nodes(roots, start, seeds, order, graph, inputs, accumulate):  # noqa: C901
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
            grads = _record_vjp(node, cts) if isinstance(node, Node) else node._apply_graph(cts)
        else:
            grads = node._apply(cts)
        if node._extra is not None and node._extra.hooks:
            grads = _post_hooks(node, grads, cts, graph)
        if mode.anomaly and mode.check_nan:
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


def _accumulate_nonleaf(node, cts, where, inputs, graph) -> None:
    """``backward(inputs=[t])`` for a non-leaf ``t``: its total gradient goes to ``t.grad``."""
    for nr, g in enumerate(cts):
        for i in where.get((id(node), nr), ()):
            accumulate_grad(inputs[i], g, graph)


def _record_vjp(node: Node, cts: list) -> tuple:
    """``node``'s backward on Tensor cotangents, recorded as an op (``create_graph``)."""
    vop = node._op.vjp_op(node._static, node._mask)
    args = [_proxy(v, edge) for v, edge in zip(node._values(), node._edges)]
    out = apply(vop, (*args, *cts))
    return out if isinstance(out, tuple) else (out,)


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


def _zeros_for(node) -> list:
    """Zero cotangents for every output of a multi-output node (used where one is missing)."""
    out = jax.eval_shape(node._op.bind(node._static), *node._values())
    return [jnp.zeros(o.shape, o.dtype) for o in out]


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
        if t is not None and cts[nr] is not None:
            accumulate_grad(t, cts[nr], graph)
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

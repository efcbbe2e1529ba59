"""Deferred forward values: an op recorded for autograd runs when its value is first needed.

A differentiable op on inputs that require grad does not run at once. Its output holds a
``Pending``: the op, its static key and its input values (arrays or other Pendings), with the
output's shape and dtype known from a cached ``eval_shape`` per (op, key, input avals), so shapes,
dtypes and shape errors stay eager. Reading the value (printing, ``item()``, an op that is not
deferred) runs the pending ops one cached jitted call each, as eager dispatch would have. A
backward pass whose graph holds pending values runs the forward and the backward as ONE cached
XLA program (``_engine._run_fused``), which is what makes a small eager step cheaper than
PyTorch's.
"""

from __future__ import annotations

import itertools

import jax
from jax.core import ShapedArray

_ArrayImpl = type(jax.numpy.zeros(()))
# One device in the process: no need to check that an op's inputs share one.
_many_devices = len(jax.devices()) > 1 or jax.default_backend() != "cpu"
creation = itertools.count(1)  # numbers graph nodes in creation order (a topological order)
enabled = [True]  # False: every op runs at once (the tests compare both ways)


class Pending:
    """The not-yet-computed output of one deferred op (one output ops only): ``op`` and its
    static ``key`` applied to ``vals`` (arrays and Pendings), of ShapedArray ``aval``, on the
    device of ``sharding`` (None: uncommitted or the one device there is). ``set`` stores the
    value and drops the inputs; ``hint`` holds the fused program that skipped it, where it is
    node ``at``."""

    __slots__ = ("op", "key", "vals", "aval", "shape", "dtype", "sharding", "value", "hint", "at")

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
        h = q.hint  # [the fused program that skipped it], its node's position there is q.at
        if h is not None and h[0] is not None:  # read after that program ran: return it
            h[0].wanted(q.at)
    return p.value


def concrete(vals) -> list:
    """``vals`` with every Pending replaced by its (computed) value."""
    return [force(v) if v.__class__ is Pending else v for v in vals]


_new = object.__new__
_NO_EDGE = (None, 0)
Tensor: type = None  # bound by _tensor.py


def record(op, key: tuple, args: tuple):
    """The output Tensor of ``op`` on ``args`` with its value deferred and its ``grad_fn``
    recorded, in one pass over the inputs; None when the op must run now: an input that is
    not a jax array, inputs committed to different devices, or inputs the op rejects (running
    it then raises PyTorch's error)."""
    vals = []
    avals = [key]
    mask = []
    edges = []
    versions = []
    saves = op.saves
    sharding = None
    i = -1
    for a in args:
        i += 1
        if isinstance(a, Tensor):
            v = a._v
            if a._requires_grad:
                mask.append(True)
                g = a.grad_fn
                if g is not None:
                    edges.append((g, a._output_nr))
                else:
                    g = a._acc
                    g = g() if g is not None else None
                    edges.append((g, 0) if g is not None else a._edge())
            else:
                mask.append(False)
                edges.append(_NO_EDGE)
            if i in saves:
                versions.append((a, a._vc, a._vc[0]))
        else:
            v = a
            mask.append(False)
            edges.append(_NO_EDGE)
        c = v.__class__
        if c is Pending:
            avals.append(v.aval)
            if _many_devices:
                s = v.sharding
            else:
                vals.append(v)
                continue
        elif c is _ArrayImpl:
            avals.append(v.aval)
            if _many_devices:
                s = v.sharding if v._committed else None
            else:
                vals.append(v)
                continue
        else:
            return None
        vals.append(v)
        if s is not None and s is not sharding:
            if sharding is None:
                sharding = s
            elif s != sharding:
                return None
    avals = tuple(avals)
    shapes = op._shapes
    aval = shapes.get(avals)
    if aval is None:
        try:
            aval = op.forward_fn(key).eval_shape(*avals[1:])
        except Exception:  # the eager call raises the error PyTorch would
            return None
        if not isinstance(aval, jax.ShapeDtypeStruct):
            return None
        # JAX interns ShapedArrays: keys of them hash and compare by identity (fast)
        aval = shapes[avals] = ShapedArray(aval.shape, aval.dtype, weak_type=aval.weak_type)
    out = _new(Pending)
    out.op, out.key, out.vals, out.aval = op, key, vals, aval
    out.shape, out.dtype, out.sharding = aval.shape, aval.dtype, sharding
    out.value = out.hint = None
    node = _new(op.node_cls)  # Node.__init__, inlined (a new Node slot goes here too)
    node._op, node._static, node._saved, node._n_out = op, key, vals, 1
    node._freed = False
    node._mark = 0
    node._seq = next(creation)
    node._pull = None
    node._extra = node._meta = None
    node._out = out
    node._mask, node._edges, node._versions = tuple(mask), edges, versions
    t = _new(Tensor)  # Tensor._wrap(out, node, 0), inlined
    t._v, t._requires_grad, t.grad_fn, t._output_nr = out, True, node, 0
    t._grad = t._acc = t._hooks = t._alias = None
    t._vc = [0]
    t._retains_grad = False
    return t

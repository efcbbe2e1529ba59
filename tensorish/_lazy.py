"""Deferral: a recorded op returns at once, its value computed when first needed.

A differentiable op on inputs that require grad does not run at once. Its output holds a
``Pending`` (see ``_pending``): the op, its static key and its input values (arrays or other
Pendings), with the output's shape and dtype known from a cached ``eval_shape`` per (op, key,
input avals), so shapes, dtypes and shape errors stay eager. Reading the value (printing,
``item()``, an op that is not deferred) runs the pending ops one cached jitted call each, as eager
dispatch would have. A backward pass whose graph holds pending values runs the forward and the
backward as ONE cached XLA program (``autograd/_fused``), which is what makes a small eager step
cheaper than PyTorch's.

Beside ``_dispatch`` (which decides when to defer) and below the op table; it builds the
``grad_fn`` Node of ``autograd/_graph`` itself, in the same pass over the inputs.
"""

from __future__ import annotations

import jax
from jax.core import ShapedArray

from ._pending import Pending
from ._tensor import Tensor
from .autograd._graph import accumulator_for, node_class

_ArrayImpl = type(jax.numpy.zeros(()))
# One device in the process: no need to check that an op's inputs share one.
_many_devices = len(jax.devices()) > 1 or jax.default_backend() != "cpu"
_new = object.__new__
_NO_EDGE = (None, 0)


# C901: the deferred path of every op: one pass over the inputs
def record(op, key: tuple, args: tuple):  # noqa: C901
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
                    edges.append((g if g is not None else accumulator_for(a), 0))
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
    out.value = out.reads = None
    node = (op.node_cls or node_class(op))(op, key, vals, 1, tuple(mask), edges, versions, out)
    return Tensor._wrap(out, node, 0)

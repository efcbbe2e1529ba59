"""Deferral: a recorded op returns at once, its value computed when first needed.

A differentiable op on inputs that require grad does not run at once. Its outputs hold
``Pending`` s (see ``_pending``): the op, its static key and its input values (arrays, PRNG keys,
Nones for absent optional inputs, or other Pendings), with each output's shape and dtype known
from a cached ``eval_shape`` per (op, key, input avals), so shapes, dtypes and shape errors stay
eager. Reading a value (printing, ``item()``, an op that is not deferred) computes the pending
ops it needs as one cached program. A backward pass whose graph holds pending values runs the
forward and the backward as ONE cached XLA program (``autograd/_fused``), which is what makes a
small eager step cheaper than PyTorch's.

Beside ``_dispatch`` (which decides when to defer) and below the op table; it builds the
``grad_fn`` Node of ``autograd/_graph`` itself, in the same pass over the inputs.
"""

from __future__ import annotations

import jax
import numpy as np
from jax._src.array import ArrayImpl
from jax._src.random.prng import PRNGKeyArray
from jax.core import ShapedArray

from ._cache import LRU
from ._pending import Pending
from ._tensor import Tensor
from .autograd._graph import accumulator_for, node_class

_ARRAYS = frozenset((ArrayImpl, PRNGKeyArray))  # jax.Array's classes: values and RNG keys
# Whether the process has more than one device (if not, an op's inputs need not be checked to
# share one): None until the first op asks, as importing tensorish must not start JAX's backends.
_many_devices: bool | None = None
_new = object.__new__
_NO_EDGE = (None, 0)
_shapes: LRU = LRU(8192)  # (op, key, input avals) -> output avals (one, or a tuple)


# C901: the deferred path of every op: one pass over the inputs
def record(op, key: tuple, args: tuple):  # noqa: C901
    """The output Tensor(s) of ``op`` on ``args`` with the value deferred and the ``grad_fn``
    recorded, in one pass over the inputs; None when the op must run now: an input that is
    not an array, inputs committed to different devices, or inputs the op rejects (running
    it then raises PyTorch's error)."""
    vals = []
    avals = [op, key]
    mask = []
    edges = []
    versions = []
    saves = op.saves
    sharding = None
    many = _many_devices
    if many is None:
        many = count_devices()
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
            if many:
                s = v.sharding
            else:
                vals.append(v)
                continue
        elif c in _ARRAYS:
            avals.append(v.aval)
            if many:
                s = v.sharding if v._committed else None
            else:
                vals.append(v)
                continue
        elif v is None:
            avals.append(None)
            vals.append(None)
            continue
        elif c is np.ndarray:
            avals.append(ShapedArray(v.shape, v.dtype))
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
    out = _shapes.get(avals)
    if out is None:
        out = _shapes[avals] = _output_avals(op, key, avals[2:])
    if out is False:
        return None
    cls = op.node_cls or node_class(op)
    if op.n_out == 1:
        p = _pending(op, key, vals, out, sharding, 0)
        return Tensor._wrap(p, cls(op, key, vals, 1, tuple(mask), edges, versions, p), 0)
    group = tuple([_pending(op, key, vals, a, sharding, nr) for nr, a in enumerate(out)])
    for p in group:
        p.group = group
    node = cls(op, key, vals, len(group), tuple(mask), edges, versions, group)
    wrap = Tensor._wrap
    return tuple(
        wrap(p, node, nr) if np.issubdtype(p.dtype, np.inexact) else wrap(p)
        for nr, p in enumerate(group)
    )


def deferred(op, key: tuple, vals: list, aval: ShapedArray) -> Pending:
    """The value ``op`` computes from the arrays ``vals`` (of ShapedArray ``aval``), computed
    when first needed; recorded nowhere (``vals`` require no grad)."""
    sharding = None
    many = _many_devices
    if many is None:
        many = count_devices()
    if many:
        v = vals[0]
        sharding = v.sharding if v._committed else None
    return _pending(op, key, vals, aval, sharding, 0)


def _pending(op, key, vals, aval, sharding, nr: int) -> Pending:
    p = _new(Pending)
    p.op, p.key, p.vals, p.aval, p.nr, p.group = op, key, vals, aval, nr, None
    p.shape, p.dtype, p.sharding = aval.shape, aval.dtype, sharding
    p.value = p.reads = None
    return p


def _output_avals(op, key, avals):
    """The output ShapedArray(s) of ``op`` on inputs of ``avals``; False if it can't defer:
    the op rejects them (running it raises the error PyTorch would) or its outputs are not
    the ``n_out`` arrays it declares."""
    f = op.bind(key)
    try:
        # A function made here, traced once: JAX's trace caches hold it weakly, so the jaxpr
        # of each new input shape is not kept (``_shapes`` keeps the answer).
        out = jax.eval_shape(lambda *xs: f(*xs), *avals)
    except Exception:
        return False
    outs = (out,) if op.n_out == 1 else out
    if type(outs) is not tuple or len(outs) != op.n_out:
        return False
    if not all(isinstance(o, jax.ShapeDtypeStruct) for o in outs):
        return False
    # JAX interns ShapedArrays: keys of them hash and compare by identity (fast)
    outs = tuple([ShapedArray(o.shape, o.dtype, weak_type=o.weak_type) for o in outs])
    return outs[0] if op.n_out == 1 else outs


def count_devices() -> bool:
    """Count the devices again (at the first op, and after ``init_process_group`` restarted
    JAX's backends): whether there is more than one, or one that is not a CPU."""
    global _many_devices
    _many_devices = len(jax.devices()) > 1 or jax.default_backend() != "cpu"
    return _many_devices

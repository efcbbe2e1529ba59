"""The write-back layout: what a compiled call's outputs are, and where each goes (step 3).

``build`` reads a finished trace and returns the output values (traced) and, beside them, the
layout: one small object per piece of state the function changed, each with a ``write`` that puts
its new value back after a call (a tensor's value, a ``.grad``, a hyperparameter, a slot), then
the function's result (``Return``). The pieces that take one output of the call say so with
``emits``; the outputs come in layout order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding

from .._tensor import Tensor
from .._traced import TracedScalar
from ..autograd._grad_mode import is_grad_enabled
from ._errors import FIX, CompileError, Unstable, describe
from ._trace import Snapshot, Trace, value_of
from ._walk import get, put


def flatten(tree, leaves: list):
    """The structure of ``tree`` (nested tuples, lists and dicts), its leaves put in ``leaves``."""
    t = type(tree)
    if t is tuple or t is list:
        return (t, tuple(flatten(x, leaves) for x in tree))
    if t is dict:
        return (dict, tuple((k, flatten(v, leaves)) for k, v in tree.items()))
    leaves.append(tree)
    return None


def unflatten(spec, leaves):
    """The tree of structure ``spec`` with the leaves taken from the iterator ``leaves``."""
    if spec is None:
        return next(leaves)
    t, items = spec
    if t is dict:
        return {k: unflatten(s, leaves) for k, s in items}
    return t(unflatten(s, leaves) for s in items)


class Item:
    """One piece of state the compiled function changes."""

    __slots__ = ()
    emits = False  # whether it takes one output of the call

    def write(self, v, leaves: list, entry) -> None:
        raise NotImplementedError

    def rebind(self, old: Tensor, new: Tensor) -> None:
        """``new`` replaces the tensor ``old`` as the state this item writes to."""
        for name in self.__slots__:
            if getattr(self, name) is old:
                setattr(self, name, new)


class Value(Item):
    """A state tensor's value, rebound in place (an in-place write, an optimizer's update)."""

    __slots__ = ("t",)
    emits = True

    def __init__(self, t: Tensor) -> None:
        self.t = t

    def write(self, v, leaves: list, entry) -> None:
        self.t._set_value(v)


class ArgValue(Item):
    """The value of a tensor argument, rebound in place."""

    __slots__ = ("i",)
    emits = True

    def __init__(self, i: int) -> None:
        self.i = i

    def write(self, v, leaves: list, entry) -> None:
        leaves[self.i]._set_value(v)


class NewGrad(Item):
    """A tensor's ``.grad``, now a new tensor (the first backward, after ``zero_grad``)."""

    __slots__ = ("t",)
    emits = True

    def __init__(self, t: Tensor) -> None:
        self.t = t

    def write(self, v, leaves: list, entry) -> None:
        self.t._grad = Tensor._wrap(v)


class NoGrad(Item):
    """A tensor's ``.grad``, set to None (``zero_grad()``)."""

    __slots__ = ("t",)

    def __init__(self, t: Tensor) -> None:
        self.t = t

    def write(self, v, leaves: list, entry) -> None:
        self.t._grad = None


class GradIs(Item):
    """A tensor's ``.grad``, rebound to a tensor that existed before the call."""

    __slots__ = ("t", "g")

    def __init__(self, t: Tensor, g: Tensor) -> None:
        self.t, self.g = t, g

    def write(self, v, leaves: list, entry) -> None:
        self.t._grad = self.g


class Hyper(Item):
    """A Python number hyperparameter rebound in its slot (a scheduler's learning rate)."""

    __slots__ = ("c", "k", "cls")
    emits = True

    def __init__(self, c, k, cls: type) -> None:
        self.c, self.k, self.cls = c, k, cls

    def write(self, v, leaves: list, entry) -> None:
        put(self.c, self.k, self.cls(v.item()))


class Const(Item):
    """A slot rebound to a constant (a bool, a string, None, a number not traced)."""

    __slots__ = ("c", "k", "value")

    def __init__(self, c, k, value) -> None:
        self.c, self.k, self.value = c, k, value

    def write(self, v, leaves: list, entry) -> None:
        put(self.c, self.k, self.value)


class NewTensor(Item):
    """A slot rebound to a tensor made in the function (functional optimizer state): a new
    tensor is put there, and the next call reads the state from it."""

    __slots__ = ("c", "k", "requires_grad")
    emits = True

    def __init__(self, c, k, requires_grad: bool) -> None:
        self.c, self.k, self.requires_grad = c, k, requires_grad

    def write(self, v, leaves: list, entry) -> None:
        t = Tensor._wrap(v)
        t._requires_grad = self.requires_grad
        entry.rebind(self.c, self.k, t)


class Array(Item):
    """A slot holding a JAX array (an RNG key) rebound to a new one."""

    __slots__ = ("c", "k")
    emits = True

    def __init__(self, c, k) -> None:
        self.c, self.k = c, k

    def write(self, v, leaves: list, entry) -> None:
        put(self.c, self.k, v)


class Checks(Item):
    """The ops' range checks: one ``[found, value]`` row each; the first found raises."""

    __slots__ = ("errors",)
    emits = True

    def __init__(self, errors: list) -> None:
        self.errors = errors

    def error(self, v) -> Exception | None:
        """The error of the first check that found a bad index (None: all passed)."""
        for (found, value), error in zip(np.asarray(v).tolist(), self.errors):
            if found:
                return error(value)
        return None

    def write(self, v, leaves: list, entry) -> None:
        raise NotImplementedError  # the entry reads it first (see _Entry.write_back)


class Return:
    """The function's result: its structure, and per leaf where it comes from: ``"new"`` (an
    output: a tensor made in the function), ``"scalar"`` (an output: a Python number of type
    ``what``), ``"arg"`` (the argument leaf ``what``), or ``"const"`` (``what`` itself)."""

    def __init__(self, spec, leaves: list) -> None:
        self.spec, self.leaves = spec, leaves  # (kind, what)

    def result(self, outputs, leaves: list):
        vals = []
        for kind, what in self.leaves:
            if kind == "new":
                v = next(outputs)
                vals.append(v if type(v) is Tensor else Tensor._wrap(v))
            elif kind == "scalar":
                v = next(outputs)
                vals.append(what((v._value if type(v) is Tensor else v).item()))
            elif kind == "arg":
                vals.append(leaves[what])
            else:
                vals.append(what)
        return unflatten(self.spec, iter(vals))


def _keep_layout(new, old):
    """``new``, constrained to ``old``'s sharding when that is a mesh layout (DTensor state
    stays where it was placed; XLA inserts the collectives)."""
    s = getattr(old, "sharding", None)
    if isinstance(s, NamedSharding) and not isinstance(old, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(new, s)
    return new


def build(tr: Trace, result, snapshot: Snapshot, after_install: list, arg_ids: dict):
    """The outputs of the traced function, its layout, and the ids of the tensors made in the
    function that the outputs hold (any other one still alive escaped).

    ``after_install``: the walk's slot values once the traced values were put in;
    ``arg_ids``: id -> leaf index of the tensor arguments."""
    b = _Builder(tr)
    bad = None
    if tr.checks:
        found = jnp.stack([f for f, _ in tr.checks])
        b.emit(found, Checks([e for _, e in tr.checks]))
        bad = jnp.any(found[:, 0] != 0)
    for i, t in tr.written.items():
        item = ArgValue(arg_ids[i]) if i in arg_ids else Value(t)
        new = value_of(t)
        if bad is not None:  # a failed check leaves the state as it was (its buffer donated)
            new = jnp.where(bad, tr.inputs.get(i, tr.original(t)), new)
        b.emit(_keep_layout(new, tr.original(t)), item)
    b.grads()
    for (c, k, _), was in zip(snapshot.walk.slots, after_install):
        now = get(c, k)
        if now is not was:
            b.slot(c, k, now)
    snapshot.check_sizes()
    b.result(result, arg_ids)
    tr.differentiable &= not tr.grad_orig and is_grad_enabled()
    for i, (t, _) in {**tr.installed, **tr.orig}.items():
        if i in tr.written and t.grad_fn is not None:
            raise CompileError(
                "tensorish.compile: an in-place operation recorded autograd history on a "
                f"tensor that outlives the call ({t._type_name()} {list(t.shape)}); it "
                "would keep traced values. Do the update under tensorish.no_grad(). " + FIX
            )
    return b.out, b.layout, b.placed


class _Builder:
    """The outputs and the layout, as ``build`` collects them from a trace."""

    def __init__(self, tr: Trace) -> None:
        self.tr = tr
        self.out: list = []
        self.layout: list = []
        self.placed: set = set()  # ids of the tensors made in the function that outputs hold

    def emit(self, value, item: Item) -> None:
        self.out.append(value)
        self.layout.append(item)

    def grads(self) -> None:
        """The ``.grad`` s the function rebound."""
        tr = self.tr
        for t, orig in tr.grad_orig.values():
            g = t._grad
            if g is orig:
                continue
            if g is None:
                self.layout.append(NoGrad(t))
            elif id(g) in tr.new:
                self.placed.add(id(g))
                self.emit(_keep_layout(value_of(g), tr.original(t)), NewGrad(t))
            else:
                self.layout.append(GradIs(t, g))

    def slot(self, c, k, now) -> None:
        """Slot ``c[k]``, which the function rebound to ``now``."""
        if type(now) is TracedScalar:
            self.tr.traced |= now.src
            self.emit(now.t, Hyper(c, k, type(now.v)))
        elif type(now) in (int, float, bool, str) or now is None:
            self.layout.append(Const(c, k, now))
        elif type(now) is Tensor and id(now) in self.tr.new:
            self.placed.add(id(now))
            if now.grad_fn is not None:
                raise CompileError(
                    "tensorish.compile: the function stores a tensor with autograd history "
                    f"in {describe(c, k)}; it would keep traced values after the call. "
                    "Store .detach() of it. " + FIX
                )
            self.emit(value_of(now), NewTensor(c, k, now._requires_grad))
        elif isinstance(now, jax.Array):
            self.emit(now, Array(c, k))
        else:
            raise Unstable(
                f"tensorish.compile: the function stored a new object in {describe(c, k)}."
            )

    def result(self, result, arg_ids: dict) -> None:
        """The function's result, last."""
        tr = self.tr
        leaves: list = []
        spec = flatten(result, leaves)
        where = []
        for x in leaves:
            if type(x) is Tensor and id(x) in tr.new:
                self.placed.add(id(x))
                self.out.append(value_of(x))
                where.append(("new", None))
                tr.differentiable |= x.grad_fn is not None
            elif type(x) is Tensor and id(x) in arg_ids:
                where.append(("arg", arg_ids[id(x)]))
            elif type(x) is TracedScalar:
                tr.traced |= x.src
                self.out.append(x.t)
                where.append(("scalar", type(x.v)))
            else:
                where.append(("const", x))
        self.layout.append(Return(spec, where))

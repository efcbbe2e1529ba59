"""Guards: whether a compiled function is still valid for the state it is called with.

Each kind of guard is one small object holding every check of that kind, so a call checks them
in tight loops, cheapest first (``Guards``). A guard that fails makes the call look for another
compiled function of the same structure, or trace a new one.
"""

from __future__ import annotations

from .._tensor import Tensor
from ._trace import value_of
from ._walk import MISSING, get


def hyper_value(leaves: list, c, k):
    """A hyperparameter's current value: the argument ``leaves[k]`` (``c`` None), or a slot."""
    return leaves[k] if c is None else get(c, k)


def grad_signature(g: Tensor | None):
    """What a guard compares of a ``.grad``: None, or its shape and dtype."""
    if g is None:
        return None
    v = value_of(g)
    return (v.shape, v.dtype)


class ArgumentsAre:
    """The arguments that are neither tensors nor plain values are the same objects."""

    def __init__(self, objects: list) -> None:
        self.objects = objects  # (leaf index, object)

    def check(self, leaves: list, hyper: list) -> bool:
        for i, x in self.objects:
            if leaves[i] is not x:
                return False
        return True


class SlotsHold:
    """Every slot the walk found still holds the same object (hyperparameters and arrays
    excepted: those are inputs)."""

    def __init__(self, slots: list) -> None:
        self.slots = slots  # (container, key, object)

    def check(self, leaves: list, hyper: list) -> bool:
        for c, k, v in self.slots:
            if (c.get(k, MISSING) if type(c) is dict else get(c, k)) is not v:
                return False
        return True

    def rebind(self, c, k, new) -> None:
        self.slots = [(c2, k2, new if c2 is c and k2 == k else v) for c2, k2, v in self.slots]


class Lengths:
    """The dicts and lists the walk went through keep their lengths."""

    def __init__(self, containers: list) -> None:
        self.lengths = [(c, len(c)) for c in containers]

    def check(self, leaves: list, hyper: list) -> bool:
        for c, n in self.lengths:
            if len(c) != n:
                return False
        return True


class Grads:
    """The ``.grad`` s the function read are still None, or of the same shape and dtype."""

    def __init__(self, seen: list) -> None:
        self.seen = [(t, grad_signature(g)) for t, g in seen]

    def check(self, leaves: list, hyper: list) -> bool:
        for t, sig in self.seen:
            if grad_signature(t._grad) != sig:
                return False
        return True


class States:
    """The state tensors keep their shape, dtype and ``requires_grad``."""

    def __init__(self, tensors: list) -> None:
        self.states = [(t, value_of(t).aval, t._requires_grad) for t in tensors]

    def check(self, leaves: list, hyper: list) -> bool:
        for t, aval, req in self.states:
            if t._requires_grad is not req or value_of(t).aval != aval:
                return False
        return True

    def rebind(self, old: Tensor, new: Tensor) -> None:
        self.states = [(new if t is old else t, a, r) for t, a, r in self.states]


class HyperValues:
    """The hyperparameters the function used concretely keep their values (and types)."""

    def __init__(self, values: list) -> None:
        self.values = values  # (hyperparameter index, value)

    def check(self, leaves: list, hyper: list) -> bool:
        for j, v in self.values:
            now = hyper_value(leaves, *hyper[j])
            if type(now) is not type(v) or now != v:
                return False
        return True


class HyperTypes:
    """The traced hyperparameters keep their types (an int stays an int)."""

    def __init__(self, types: list) -> None:
        self.types = types  # (hyperparameter index, type)

    def check(self, leaves: list, hyper: list) -> bool:
        for j, t in self.types:
            if type(hyper_value(leaves, *hyper[j])) is not t:
                return False
        return True


class Outcomes:
    """The comparisons the function made of hyperparameters (``if step == 0``) come out the
    same, recomputed from their current values."""

    def __init__(self, preds: list) -> None:
        self.preds = preds  # (recompute the outcome from hyperparameter values, outcome seen)

    def check(self, leaves: list, hyper: list) -> bool:
        if not self.preds:
            return True
        h = [hyper_value(leaves, c, k) for c, k in hyper]
        for pred, seen in self.preds:
            try:
                if pred(h) != seen:
                    return False
            except Exception:
                return False
        return True


class Guards:
    """All the guards of one compiled function, checked in this order (cheapest first)."""

    def __init__(self, hyper: list, *guards) -> None:
        self.hyper = hyper  # the hyperparameters' slots, (container or None, key or arg index)
        self.guards = guards

    def check(self, leaves: list) -> bool:
        hyper = self.hyper
        for g in self.guards:
            if not g.check(leaves, hyper):
                return False
        return True

    def rebind(self, c, k, old: Tensor, new: Tensor) -> None:
        """Slot ``c[k]`` now holds ``new`` in place of the state tensor ``old``."""
        for g in self.guards:
            if isinstance(g, SlotsHold):
                g.rebind(c, k, new)
            elif isinstance(g, States):
                g.rebind(old, new)

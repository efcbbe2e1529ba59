"""The autograd graph: Node, AccumulateGrad, hooks, topological order (layer design note).

A ``Node`` is the ``grad_fn`` of an op's outputs. It keeps the op, its static parameters and the
input values (jax arrays are immutable, so keeping them is a snapshot, not a copy), the edges to
the nodes its inputs came from, and the version counters of the inputs the op saves. A leaf that
requires grad gets an ``AccumulateGrad`` node, which adds its gradient into ``.grad``.

This is data plus the few operations on it that need no op dispatch: so it sits below
``_dispatch`` (which records nodes) and above ``_tensor``, while the engine that runs backward
passes (``_engine``, ``_fused``) sits above the op table. It also gives Tensor its hook and
``.grad`` methods (``register_hook``, ``retain_grad``, the ``grad`` property).
"""

from __future__ import annotations

import itertools
import operator
import re
import traceback
import warnings
import weakref
from collections.abc import Callable

import jax

from .._dtype import CPP_NAMES as _CPP_NAMES
from .._mode import mode
from .._op import fill_cotangents
from .._pending import concrete
from .._tensor import Tensor, method, read_grad, write_grad

_add = jax.jit(operator.add)
_node_classes: dict[str, type] = {}
creation = itertools.count(1)  # numbers graph nodes in creation order (a topological order)


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


class GraphNode:
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


_NO_EDGE = (None, 0)


class Node(GraphNode):
    """Base of every op's ``grad_fn``; each op gets a subclass named as PyTorch names it.

    Made by ``record_node`` (dispatch) or by ``_lazy.record`` (deferral), which compute the
    edges, the differentiable-input mask and the saved versions in their own pass over the
    inputs: ``saved`` are the input values, ``out`` the Pending the op produced (deferred).
    """

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

    def __init__(self, op, static, saved, n_out, mask, edges, versions, out=None):
        self._op = op
        self._static = static
        self._saved = saved
        self._n_out = n_out
        self._mask = mask
        self._edges = edges
        self._versions = versions
        self._out = out
        self._freed = False
        self._extra = self._meta = None
        self._pull = None  # inside tensorish.compile: (vjp pullback, outputs) from the forward
        self._mark = 0
        self._seq = next(creation)
        if mode.anomaly:
            self._ext().trace = traceback.format_stack()[:-3]

    def _check_saved(self) -> None:
        check_saved(self)

    def _values(self) -> list:
        """The saved input values, deferred ones computed."""
        saved = self._saved = concrete(self._saved)
        return saved

    def _apply(self, cts: list):
        """The cotangents of the differentiable inputs, given those of the outputs."""
        if self._pull is not None:  # traced under tensorish.compile: reuse the forward's vjp
            pull, out = self._pull
            return pull(cts[0] if self._n_out == 1 else fill_cotangents(tuple(cts), out))
        bwd = self._op.backward_fn(self._static, self._mask)
        return bwd(tuple(self._values()), cts[0] if self._n_out == 1 else tuple(cts))

    def _release(self) -> None:
        self._freed = True
        self._pull = None
        if self._op.saves:
            self._saved = None


def record_node(op, static, args, vals, n_out: int) -> Node:
    """The ``grad_fn`` of ``op`` run on ``args`` (Tensors and arrays) whose values are ``vals``."""
    mask = []
    edges = []
    versions = []
    saves = op.saves
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            req = a._requires_grad
            mask.append(req)
            edges.append(edge(a) if req else _NO_EDGE)
            if i in saves:
                versions.append((a, a._vc, a._vc[0]))
        else:
            mask.append(False)
            edges.append(_NO_EDGE)
    cls = op.node_cls or node_class(op)
    return cls(op, static, vals, n_out, tuple(mask), edges, versions)


def node_class(op) -> type:
    """The ``grad_fn`` class of ``op``, named as PyTorch names it (one class per name)."""
    cls = op.node_cls
    if cls is None:
        cls = _node_classes.get(op.name)
        if cls is None:
            cls = _node_classes[op.name] = type(op.name, (Node,), {"__slots__": ()})
        op.node_cls = cls
    return cls


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


def check_saved(node: Node) -> None:
    """Raise PyTorch's error if ``node``'s saved values were freed (by a backward without
    ``retain_graph``) or modified in place since the op ran."""
    if node._freed and node._op.saves:
        raise RuntimeError(FREED_MESSAGE)
    check_versions(node._versions)


def check_versions(versions) -> None:
    """``versions`` holds (tensor, its version counter, the version it was saved at)."""
    for t, vc, seen in versions:
        if vc[0] != seen:
            raise version_error(t, vc[0], seen)


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


class AccumulateGrad(GraphNode):
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
        accumulate_grad(var, g, graph)
        if var._hooks is not None:
            for hook in tuple(var._hooks.post.values()):
                hook(var)


def accumulate_grad(t: Tensor, g, graph: bool = False) -> None:
    """Add the gradient ``g`` into ``t.grad``: the one place a gradient is accumulated (leaves,
    retained non-leaves, ``backward(inputs=)``). ``g`` is an array, or a Tensor when ``graph``
    (``create_graph``: the sum is then recorded, so it can be differentiated)."""
    old = read_grad(t)
    if graph:
        write_grad(t, g if old is None else old + g)
    elif old is None:
        write_grad(t, Tensor._wrap(g))
    else:
        old._set_value(_add(old._value, g))


def set_grad_value(t: Tensor, value) -> None:
    """Make the array ``value`` the value of ``t.grad``: written into the existing ``.grad``
    tensor (as PyTorch accumulates in place), or a new one if there is none. (The fused
    program's write-back: it never runs while tensorish.compile traces, so no watch.)"""
    if t._grad is None:
        t._grad = Tensor._wrap(value)
    else:
        t._grad._set_value(value)


def accumulator_for(tensor: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, shared by every use of the leaf while it lives."""
    ref = tensor._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._acc = weakref.ref(acc)
    return acc


def edge(t: Tensor) -> tuple:
    """Where the gradient of ``t`` goes: ``(grad_fn, output_nr)``, or the leaf's accumulator."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (accumulator_for(t), 0)


def topo(roots: list) -> list:
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


# -- Tensor's hook and .grad methods ---------------------------------------------------------

_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


def _get_grad(self: Tensor) -> Tensor | None:
    if self.grad_fn is not None and not self._retains_grad:
        warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
    return read_grad(self)


def _set_grad(self: Tensor, value: Tensor | None) -> None:
    if value is not None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"assigned grad expected to be a Tensor or None but got grad of type "
                f"{type(value).__name__}"
            )
        if value.dtype is not self.dtype:
            raise RuntimeError(
                f"attempting to assign a gradient with dtype '{_CPP_NAMES[value.dtype.name]}'"
                f" to a tensor with grad_dtype '{self.dtype.title}'. The gradient must match "
                "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                "gradient may break downstream systems that assume they match."
            )
        if value.shape != self.shape:
            raise RuntimeError(
                f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                "tensor are the same size"
            )
    write_grad(self, value)


Tensor.grad = property(
    _get_grad,
    _set_grad,
    doc="The gradient accumulated by ``backward`` (None until one is).",
)
Tensor.retains_grad = property(lambda self: self._retains_grad)


@method
def retain_grad(self: Tensor) -> None:
    """Make ``backward`` fill ``.grad`` of this non-leaf tensor too (a no-op on leaves).

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> y = x * 2
    >>> y.retain_grad()
    >>> (y * y).sum().backward()
    >>> y.grad
    tensor([4., 4.])
    """
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self._retains_grad:
        return
    self.grad_fn._ext().retain[self._output_nr] = weakref.ref(self)
    self._retains_grad = True


@method
def register_hook(self: Tensor, hook: Callable) -> RemovableHandle:
    """Call ``hook(grad)`` with this tensor's total gradient during backward; a Tensor it
    returns replaces the gradient. ``handle.remove()`` unregisters it.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> h = x.register_hook(lambda g: g * 10)
    >>> (x * 2).sum().backward()
    >>> x.grad
    tensor([20., 20.])
    """
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is None:
        if self._hooks is None:
            self._hooks = LeafHooks()
        return add_hook(self._hooks.pre, hook)
    table = self.grad_fn._ext().tensor_hooks.setdefault(self._output_nr, {})
    return add_hook(table, hook)


@method
def register_post_accumulate_grad_hook(self: Tensor, hook: Callable) -> RemovableHandle:
    """Call ``hook(tensor)`` after this leaf's ``.grad`` was accumulated.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> h = x.register_post_accumulate_grad_hook(lambda t: print(t.grad))
    >>> (x * 3).sum().backward()
    tensor([3., 3.])
    """
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._hooks is None:
        self._hooks = LeafHooks()
    return add_hook(self._hooks.post, hook)

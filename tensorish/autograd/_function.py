"""Custom differentiable operations: ``Function`` with ``forward``/``backward`` staticmethods.

As in PyTorch, ``ctx`` is the backward node itself (``<Name>Backward``). Its backward runs the
user's Python ``backward`` on Tensors, so the engine runs graphs that contain one node by node.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from .._tensor import Tensor
from ._grad_mode import is_grad_enabled, no_grad
from ._graph import FREED_MESSAGE, GraphNode, check_versions, edge


class FunctionCtx:
    """What ``forward``/``setup_context`` may call on ``ctx``."""

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` for backward; an in-place change to one of them makes backward fail."""
        self._to_save = tuple((t, t._vc, t._vc[0]) if t is not None else None for t in tensors)

    def mark_non_differentiable(self, *tensors) -> None:
        """These outputs never require grad; their gradient in backward is zeros."""
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """These inputs were modified in place by forward (and are returned as outputs)."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """If False, backward sees None (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        check_versions([e for e in self._to_save if e is not None])
        return tuple(None if e is None else e[0] for e in self._to_save)


class BackwardCFunction(FunctionCtx, GraphNode):
    """The ``grad_fn`` of a custom Function's outputs (and the ``ctx`` its methods receive)."""

    _forward_cls: type
    _fusable = False

    def __init__(self) -> None:
        self._to_save = ()
        self._non_differentiable = set()
        self._dirty = set()
        self._materialize = True
        self._freed = False
        self._extra = self._meta = None
        self._edges: list = []
        self._mask: tuple = ()
        self._in_shapes: list = []
        self._in_dtypes: list = []
        self._n_out = 1
        self._outputs: list = []
        self.needs_input_grad: tuple = ()

    __repr__ = object.__repr__

    def _check_saved(self) -> None:
        if self._freed and self._to_save:
            raise RuntimeError(FREED_MESSAGE)

    def _release(self) -> None:
        self._freed = True
        self._to_save = ()

    def _apply(self, cts: list) -> list:
        return [None if g is None else g._value for g in self._run(cts, graph=False)]

    def _apply_graph(self, cts: list) -> list:
        return self._run(cts, graph=True)

    def _run(self, cts: list, graph: bool) -> list:
        grads = []
        for c, meta in zip(cts, self._outputs):
            if c is None and self._materialize and meta is not None:
                c = jnp.zeros(*meta)
            grads.append(c if c is None or isinstance(c, Tensor) else Tensor._wrap(c))
        res = self._forward_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self._in_shapes)
        if len(res) < n or any(g is not None for g in res[n:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(res)})"
            )
        out = []
        masks = iter(self._mask)
        for i, (g, shape, dtype) in enumerate(zip(res, self._in_shapes, self._in_dtypes)):
            if shape is None:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable"
                    )
                continue
            if not next(masks):
                continue
            if g is not None:
                g = _sum_to(g, shape, self.name(), i)
                # PyTorch's engine casts a gradient to its input's dtype (autocast's casts).
                g = g if g.dtype is dtype else g.to(dtype)
            out.append(g)
        return out


def _sum_to(g, shape: tuple, name: str, i: int):
    """``g`` summed down to ``shape`` (the input it is the gradient of), as PyTorch does."""
    gs = tuple(g.shape)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, gs[lead:])):
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index {i} - got {list(gs)} but "
            f"expected shape compatible with {list(shape)}"
        )
    if lead:
        g = g.sum(tuple(range(lead)))
    ones = tuple(k for k, s in enumerate(shape) if s == 1 and gs[lead + k] != 1)
    return g.sum(ones, keepdim=True) if ones else g


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, ns: dict) -> None:
        super().__init__(name, bases, ns)
        node = type(f"{name}Backward", (BackwardCFunction,), {"_forward_cls": cls})
        node.__module__ = "tensorish.autograd.function"
        cls._backward_cls = node


class Function(metaclass=_FunctionMeta):
    """Base of custom differentiable operations; call them with ``apply``.

    >>> import tensorish
    >>> class Square(tensorish.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = tensorish.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward()
    >>> x.grad
    tensor([6.])
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls._backward_cls()
        is_tensor = [isinstance(a, Tensor) for a in args]
        ctx.needs_input_grad = tuple(t and a._requires_grad for t, a in zip(is_tensor, args))
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        tensors = [a for a, t in zip(args, is_tensor) if t]
        ctx._mask = tuple(a._requires_grad for a in tensors)
        if record:
            ctx._edges = [edge(a) if a._requires_grad else (None, 0) for a in tensors]
        ctx._in_shapes = [tuple(a.shape) if t else None for a, t in zip(args, is_tensor)]
        ctx._in_dtypes = [a.dtype if t else None for a, t in zip(args, is_tensor)]
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        ctx._n_out = len(outs)
        inputs = {id(a) for a, t in zip(args, is_tensor) if t}
        result = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                ctx._outputs.append(None)
                result.append(o)
                continue
            ctx._outputs.append((o.shape, o._v.dtype))
            if id(o) in ctx._dirty:
                if record and o.grad_fn is None and o._requires_grad:
                    raise RuntimeError(
                        "a leaf Variable that requires grad has been used in an in-place operation."
                    )
                o._vc[0] += 1
            elif id(o) in inputs:
                o = Tensor._wrap(o._value)  # a returned input is a new tensor, as in PyTorch
            diff = (
                record
                and id(o) not in ctx._non_differentiable
                and jnp.issubdtype(o._v.dtype, jnp.inexact)
            )
            if diff:
                o.grad_fn, o._output_nr, o._requires_grad = ctx, i, True
            result.append(o)
        return result[0] if single else tuple(result)


def once_differentiable(fn: Callable) -> Callable:
    """Mark a ``backward`` as not itself differentiable: it runs without recording."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            return fn(ctx, *args)

    return wrapper

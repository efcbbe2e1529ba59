"""The op registry: each op is declared once, and its spellings are generated from that.

``@declare(...)`` on an op's public function records a ``Decl`` and attaches what it names: the
``Tensor`` method, the in-place method (``mul_``), operators (``__mul__``, ``__rmul__`` and, for
an op with an in-place form, ``__imul__``) and aliases (``multiply``, ``Tensor.multiply``,
``Tensor.multiply_``), and for an ``nn.functional`` op the spellings PyTorch also gives it at the
top level (``torch.relu``, ``torch.relu_``), which ``tensorish.nn._toplevel`` collects for the
package root. A family module ends with ``__all__ = public(__name__)``. ``samples``
holds the input domain that the oracle test (``tests/test_ops_table.py``) draws from; an op
without samples must be listed there among the ops tested elsewhere. ``python
tools/stubgen.py`` writes the ``Tensor`` stub from the class the declarations fill.

>>> from tensorish.ops._registry import REGISTRY
>>> REGISTRY["tensorish.mul"].aliases
('multiply',)
"""

from __future__ import annotations

import functools
import inspect
import numbers
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np

from .._dispatch import Op
from .._tensor import Tensor
from ._autocast import autocast_op
from ._common import apply
from ._common import inplace as _write_inplace

F = TypeVar("F", bound=Callable)

# Python's binary operators: those with an augmented form (``__iadd__``), their reflections,
# matmul and the comparisons.
_AUGMENTED = frozenset(
    f"__{n}__" for n in "add sub mul truediv floordiv mod pow and or xor lshift rshift".split()
)
_BINARY = (
    _AUGMENTED
    | {f"__r{n[2:]}" for n in _AUGMENTED}
    | {f"__{n}__" for n in "matmul rmatmul eq ne lt le gt ge".split()}
)


class _Place:
    """A marker in a sample's ``args``: where its tensors go."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


T = _Place("T")  # the next tensor
TENSORS = _Place("TENSORS")  # all the tensors, as one list (cat, stack...)


@dataclass(frozen=True, slots=True)
class Ints:
    """An integer (or bool) tensor input of a sample: values uniform in ``[low, high)``."""

    shape: tuple[int, ...]
    high: int
    low: int = 0
    dtype: str = "int64"

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(self.low, self.high, size=self.shape).astype(self.dtype)


@dataclass(frozen=True, slots=True)
class Given:
    """A fixed input of a sample (an index without duplicates, a mask, a permutation)."""

    data: Any
    dtype: str = "int64"

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.data, self.dtype)


@dataclass(frozen=True, slots=True)
class Sample:
    """One oracle-test call of an op: a random tensor per entry of ``shapes`` (uniform in
    ``[low, high)``, of ``dtype``; an ``Ints`` entry draws integers, a ``Given`` one is fixed),
    then ``args`` and ``kwargs`` (plain Python values, the same for torch and tensorish). The
    tensors come first, unless ``args`` marks their places with ``T`` (one tensor) or
    ``TENSORS`` (all, as a list). ``grad=False`` compares the forward only (ops that are not
    differentiable at the sample).
    """

    shapes: tuple = ((3, 4),)
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    dtype: str = "float32"
    low: float = -2.0
    high: float = 2.0
    grad: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6

    def call(self, fn: Callable, tensors: list) -> Any:
        """``fn`` applied to ``tensors`` placed as this sample says, then its arguments."""
        if not any(a is T or a is TENSORS for a in self.args):
            return fn(*tensors, *self.args, **self.kwargs)
        it = iter(tensors)
        args = [next(it) if a is T else list(tensors) if a is TENSORS else a for a in self.args]
        return fn(*args, **self.kwargs)


@dataclass(frozen=True, slots=True)
class Decl:
    """One op: its PyTorch name and every spelling it has.

    Args:
        name: the name PyTorch gives the function (or the method, for method-only ops).
        fn: the public function.
        module: the module that declares it (whose ``__all__`` lists it).
        namespace: where the function is public (``tensorish``, ``tensorish.linalg``,
            ``tensorish.nn.functional``); ``tensorish.Tensor`` for a method-only op.
        method: the ``Tensor`` method (``fn`` itself, or a variant), or None.
        inplace: the in-place method ``<name>_``, or None.
        operators: the operator methods that compute it (``__mul__``; ``__neg__``).
        reflected: the reflected operators that compute it with the operands swapped.
        aliases: other names for its function, method and in-place method.
        samples: the oracle test's inputs.
        toplevel: its ``tensorish.<name>`` spelling (``fn`` or a variant), for an op of another
            namespace that PyTorch also offers at the top level; or None.
        toplevel_inplace: its ``tensorish.<name>_`` spelling, or None.
    """

    name: str
    fn: Callable
    module: str
    namespace: str
    method: Callable | property | None
    inplace: Callable | None
    operators: tuple[str, ...]
    reflected: tuple[str, ...]
    aliases: tuple[str, ...]
    samples: tuple[Sample, ...]
    toplevel: Callable | None = None
    toplevel_inplace: Callable | None = None

    @property
    def function(self) -> bool:
        return self.namespace != "tensorish.Tensor"


REGISTRY: dict[str, Decl] = {}


def declare(
    *,
    name: str | None = None,
    namespace: str = "tensorish",
    method: bool | Callable | property = True,
    inplace: bool | Callable = False,
    operators: tuple[str, ...] = (),
    fast: Op | None = None,
    reflected: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    test: Sample | tuple[Sample, ...] = (),
    toplevel: bool | Callable = False,
    toplevel_inplace: bool = False,
) -> Callable[[F], F]:
    """Declare the decorated function as an op and attach its spellings.

    Args:
        name: the op's name (default: the function's ``__name__``).
        namespace: where the function is public; ``tensorish.Tensor`` makes a method-only op.
        method: True for ``Tensor.<name> = fn``, False for none, or the method itself.
        inplace: True for the generated ``Tensor.<name>_``, or the method itself.
        operators: operator methods; a binary one returns ``NotImplemented`` for an operand it
            does not take, and goes straight to ``fast`` for two tensors of one dtype.
        reflected: reflected operators (``__rpow__``: ``fn(other, self)``).
        aliases: other names for the function, the method and the in-place method.
        test: the oracle test's samples.
        toplevel: True for ``tensorish.<name> = fn`` (an op of another namespace that PyTorch
            also offers at the top level), or that spelling itself.
        toplevel_inplace: True for ``tensorish.<name>_``, the in-place form of the top-level
            spelling.

    >>> import tensorish
    >>> @declare(namespace="tensorish.Tensor", test=Sample())
    ... def twice(input):
    ...     return input * 2
    >>> tensorish.ones(2).twice()
    tensor([2., 2.])
    >>> del REGISTRY["tensorish.Tensor.twice"], tensorish.Tensor.twice
    """

    module = sys._getframe(1).f_globals["__name__"]  # the declaring module: its __all__

    def register(fn: F) -> F:
        op_name = name or fn.__name__
        key = f"{namespace}.{op_name}"
        fn = autocast_op(key, fn)
        if namespace != "tensorish.nn.functional":  # Python functions in PyTorch: no aliases
            fn = keyword_spellings(fn)
        meth = (
            fn
            if method is True
            else keyword_spellings(method)
            if callable(method)
            else method or None
        )
        ip = _inplace_method(fn, op_name) if inplace is True else inplace or None
        top = keyword_spellings(fn if toplevel is True else toplevel) if toplevel else None
        top_ip = _inplace_method(top or fn, op_name) if toplevel_inplace else None
        decl = Decl(
            op_name,
            fn,
            module,
            namespace,
            meth,
            ip,
            tuple(operators),
            tuple(reflected),
            tuple(aliases),
            test if isinstance(test, tuple) else (test,),
            top,
            top_ip,
        )
        if key in REGISTRY:
            raise ValueError(f"{key} is declared twice")
        REGISTRY[key] = decl
        _attach(decl, fast)
        return fn

    return register


# The other names PyTorch's argument parser takes for a parameter (NumPy's), and the keywords
# that may name a variadic parameter (``x.flip(dims=...)``, ``x.view(size=...)``).
_KEYWORD_ALIASES = {"axis": "dim", "keepdims": "keepdim"}
_VARIADIC_KEYWORDS = frozenset({"dims", "size", "shape"})


def keyword_spellings(fn: F) -> F:
    """``fn``, also taking the keyword spellings PyTorch's argument parser accepts: ``axis``
    for ``dim``, ``keepdims`` for ``keepdim``, and ``dims=``/``size=``/``shape=`` for its
    variadic parameter; ``fn`` itself when it has no such parameter."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    aliases = {a: n for a, n in _KEYWORD_ALIASES.items() if n in params and a not in params}
    variadic = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params.values())
    named = {n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL}
    words = _VARIADIC_KEYWORDS - named if variadic else frozenset()
    if not aliases and not words:
        return fn

    @functools.wraps(fn)
    def spelled(*args, **kwargs):
        if kwargs:
            for alias, canonical in aliases.items():
                if alias in kwargs:
                    kwargs[canonical] = kwargs.pop(alias)
            for word in words.intersection(kwargs):
                value = kwargs.pop(word)
                args = (*args, *(value if isinstance(value, (tuple, list)) else (value,)))
        return fn(*args, **kwargs)

    return cast(F, spelled)


def _attach(decl: Decl, fast: Op | None) -> None:
    module = vars(sys.modules[decl.module])
    for n in (decl.name, *decl.aliases):
        if decl.function:
            module[n] = decl.fn
        if decl.method is not None:
            setattr(Tensor, n, decl.method)
        if decl.inplace is not None:
            setattr(Tensor, n + "_", decl.inplace)
    binary = None
    for op in decl.operators:
        if op in _BINARY:
            binary = binary or operator_method(decl.fn, fast)
            setattr(Tensor, op, binary)
            if decl.inplace is not None and op in _AUGMENTED:
                setattr(Tensor, "__i" + op[2:], decl.inplace)
        else:
            setattr(Tensor, op, decl.fn)
    for op in decl.reflected:
        setattr(Tensor, op, reflected_method(decl.fn))


def operator_method(fn, same_dtype_op: Op | None = None):
    """``fn`` as a binary operator method: ``NotImplemented`` for operands it does not take.
    With ``same_dtype_op``, two tensors of one dtype go straight to it (what ``fn`` would do
    for them after promotion, minus the calls)."""
    if same_dtype_op is not None:

        def fast(self, other):
            if other.__class__ is Tensor and self._v.dtype == other._v.dtype:
                return apply(same_dtype_op, (self, other))
            return fn(self, other) if is_operand(other) else NotImplemented

        return fast

    def op(self, other):
        return fn(self, other) if is_operand(other) else NotImplemented

    return op


def reflected_method(fn):
    """``fn`` as a reflected operator method (``__radd__``): the operands swapped."""

    def op(self, other):
        return fn(other, self) if is_operand(other) else NotImplemented

    return op


def is_operand(x) -> bool:
    return isinstance(x, (Tensor, numbers.Number, np.generic))


def _inplace_method(fn: Callable, name: str) -> Callable:
    def op(self, *args, **kwargs):
        return _write_inplace(self, lambda s: fn(s, *args, **kwargs))

    op.__name__ = op.__qualname__ = name + "_"
    op.__doc__ = f"In-place :func:`{name}`."
    return op


def toplevel(module: str) -> dict[str, Callable]:
    """The top-level spellings (``tensorish.relu``, ``tensorish.relu_``) of the ops of another
    namespace declared in ``module``."""
    out: dict[str, Callable] = {}
    for d in REGISTRY.values():
        if d.module == module and d.toplevel is not None:
            out[d.name] = d.toplevel
            if d.toplevel_inplace is not None:
                out[d.name + "_"] = d.toplevel_inplace
    return out


def public(module: str) -> list[str]:
    """The public names (functions and their aliases) declared in ``module``, for ``__all__``."""
    return [
        n
        for d in REGISTRY.values()
        if d.function and d.module == module
        for n in (d.name, *d.aliases)
    ]

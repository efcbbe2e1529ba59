"""The legacy constructors: ``tensorish.Tensor(data)``, ``Tensor(*sizes)``, the typed classes
(``FloatTensor``, ``LongTensor``... and their ``tensorish.cuda`` twins) and the ``new_*``
methods (``x.new_zeros(2, 3)``: a new tensor with ``x``'s dtype and device).

As in PyTorch, ``Tensor`` stays the class of every tensor; the typed classes are not its
subclasses but instances of the metaclass ``tensortype``: calling one builds a tensor of its
dtype, and ``isinstance(x, FloatTensor)`` asks for a float32 CPU tensor. The legacy
constructors make CPU tensors whatever the default device (CUDA ones for ``tensorish.cuda``'s),
``Tensor`` of the default dtype. JAX has no uninitialised memory: ``Tensor(2, 3)`` holds zeros.
``Tensor(other)`` is an alias of ``other`` (an in-place write to either reaches both; with a
graph, ``grad_fn`` is ``AliasBackward0``).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _device, _dtype
from ._creation import _shape, full, tensor, zeros
from ._dtype import CPP_NAMES
from ._tensor import Size, Tensor, method
from .autograd._grad_mode import is_grad_enabled

_SIGNATURES = (
    " * (*, tensorish.device device = None)",
    " * (tensorish.Storage storage)",
    " * (Tensor other)",
    " * (tuple of ints size, *, tensorish.device device = None)",
    " * (object data, *, tensorish.device device = None)",
)


def _type_desc(x: Any) -> str:
    """How PyTorch's argument parser names the type of ``x`` in its error messages."""
    if isinstance(x, Tensor):
        return type(x).__name__
    if isinstance(x, list):
        return f"list of [{', '.join(_type_desc(v) for v in x)}]"
    if isinstance(x, tuple):
        inner = ", ".join(_type_desc(v) for v in x) + ("," if len(x) == 1 else "")
        return f"{_got_name(x)} of ({inner})"
    return _class_name(x)


def _got_name(x: Any) -> str:
    if isinstance(x, Size):
        return "tensorish.Size"
    if isinstance(x, (list, tuple)):
        return type(x).__name__
    return _type_desc(x)


def _class_name(x: Any) -> str:
    cls = type(x)
    module = cls.__module__.split(".")[0]
    return cls.__name__ if module == "builtins" else f"{module}.{cls.__name__}"


def _invalid(args: tuple, kwargs: dict) -> TypeError:
    """PyTorch's ``new() received an invalid combination of arguments`` error."""
    pos = [_got_name(a) for a in args]
    kws = [f"{k}={_class_name(v)}" for k, v in reversed(kwargs.items())]
    got = ", ".join(pos + kws) if pos else "".join(k + ", " for k in kws)
    bad = [k for k in reversed(kwargs) if k not in ("device", "size", "data")]
    if bad:
        why = "some of the keywords were incorrect: " + ", ".join(bad)
    else:
        why = (
            "some of the arguments have invalid types: ("
            + ", ".join(f"!{_type_desc(a)}!" for a in args)
            + ")"
        )
    lines = [_SIGNATURES[0], f"      didn't match because {why}", *_SIGNATURES[1:]]
    return TypeError(
        f"new() received an invalid combination of arguments - got ({got}), but expected one "
        "of:\n" + "\n".join(lines) + "\n"
    )


def _index(x: Any) -> int | None:
    """``x`` as a dimension size, or None where it is not one (floats, bools, sequences)."""
    if isinstance(x, bool):
        return None
    try:
        return operator.index(x)
    except TypeError:
        return None


def _sizes(args: Sequence) -> tuple[int, ...]:
    sizes = []
    for i, a in enumerate(args):
        n = int(a) if isinstance(a, bool) else _index(a)  # a bool is a size after the first
        if n is None:
            raise TypeError(
                f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                f'"type must be tuple of ints,but got {_class_name(a)}"'
            )
        sizes.append(n)
    for n in sizes:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {sizes}")
    return tuple(sizes)


def _check_data(data: Any) -> None:
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if not isinstance(data, (Sequence, np.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {_class_name(data)})")


def _options(dt: _dtype.dtype, dev: _device.device) -> str:
    return (
        f"TensorOptions(dtype={CPP_NAMES[dt.name]}, device={dev}, layout=Strided, "
        "requires_grad=false (default), pinned_memory=false (default), "
        "memory_format=(nullopt))"
    )


def _alias(other: Tensor, cls: type) -> Tensor:
    """A tensor of class ``cls`` sharing ``other``'s value, version counter and in-place
    writes; in a graph it is ``other``'s ``AliasBackward0``."""
    out = other[...] if other._requires_grad and is_grad_enabled() else other.detach()
    if cls is not Tensor:
        moved = Tensor._wrap(out._v, out.grad_fn, out._output_nr, cls=cls)
        moved._requires_grad = out._requires_grad
        out = moved
    out._vc = other._vc
    out._join(other)
    return out


def _construct(
    cls: type, dtype: _dtype.dtype | None, cuda: bool, args: tuple, kwargs: dict
) -> Tensor:
    """The legacy constructor of a ``cls`` (Tensor or a subclass) or of a typed class."""
    dt = dtype or _dtype.get_default_dtype()
    kind = "cuda" if cuda else "cpu"
    given = kwargs.keys() - {"device"}
    if given - {"size", "data"} or len(given) > 1 or (args and given):
        raise _invalid(args, kwargs)
    if "size" in kwargs:
        if not isinstance(kwargs["size"], (list, tuple)):
            raise _invalid(args, kwargs)
        args = (Size(kwargs["size"]),)
    elif "data" in kwargs:
        args = (kwargs["data"],)
    device = kwargs.get("device")
    if device is None:
        dev = _device.device(kind)
    else:
        dev = _device.device(device)
        if dev.type != kind:
            if isinstance(device, int) and not _device.jax_devices("cuda"):
                raise RuntimeError("Cannot access accelerator device when none is available.")
            raise RuntimeError(
                f"legacy constructor expects device type: {kind} but device type: {dev.type} "
                "was passed"
            )
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if device is not None:
            raise RuntimeError(
                "Legacy tensor constructor of the form tensorish.Tensor(tensor, device=device) "
                "is not supported.  Use tensorish.tensor(...) or tensorish.as_tensor(...) "
                "instead."
            )
        if (dtype is not None and other.dtype is not dtype) or other.device.type != kind:
            raise TypeError(
                f"expected {_options(dt, dev)} (got {_options(other.dtype, other.device)})"
            )
        return _alias(other, cls)
    if not args or isinstance(args[0], Size) and len(args) == 1:
        shape = tuple(args[0]) if args else (0,)
        return _as(zeros(*shape, dtype=dt, device=dev), cls)
    if _index(args[0]) is not None and not isinstance(args[0], np.ndarray):
        return _as(zeros(*_sizes(args), dtype=dt, device=dev), cls)
    if len(args) > 1:
        raise _invalid(args, kwargs)
    _check_data(args[0])
    return _as(tensor(args[0], dtype=dt, device=dev), cls)


def _as(t: Tensor, cls: type) -> Tensor:
    return t if cls is Tensor else Tensor._wrap(t._v, cls=cls)


def _tensor_new(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """``Tensor(data)``, ``Tensor(*sizes)``, ``Tensor(size)``, ``Tensor(other)``, ``Tensor()``:
    a tensor of the default dtype on the CPU (or an instance of the subclass ``cls``)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        name = getattr(cls, "__name__", repr(cls))
        raise TypeError(
            f"tensorish.Tensor.__new__({name}): {name} is not a subtype of tensorish.Tensor"
        )
    return _construct(cls, None, False, args, kwargs)


Tensor.__new__ = staticmethod(_tensor_new)


def _make_subclass(cls: type, data: Tensor, require_grad: bool = False, **_: Any) -> Tensor:
    """A new leaf of class ``cls`` sharing ``data``'s value (how tensor subclasses and
    ``nn.Parameter`` are built)."""
    _require_subclass(cls)
    if require_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = Tensor._wrap(data._v, cls=cls)
    t._requires_grad = bool(require_grad)
    t._join(data)
    return t


def _require_subclass(cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(
            "Creating a Tensor subclass from a class that does not inherit from Tensor is not "
            "possible. Make sure your class inherits from Tensor."
        )


Tensor._make_subclass = staticmethod(_make_subclass)


@method
def as_subclass(self: Tensor, cls: type) -> Tensor:
    """This tensor as an instance of the Tensor subclass ``cls``: an alias that stays in the
    graph.

    >>> import tensorish
    >>> class Tagged(tensorish.Tensor):
    ...     pass
    >>> tensorish.ones(2).as_subclass(Tagged)
    Tagged([1., 1.])
    """
    _require_subclass(cls)
    return _alias(self, cls)


class tensortype(type):
    """The class of the legacy typed classes (``tensorish.FloatTensor``...)."""

    dtype: _dtype.dtype
    is_cuda: bool

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:
        if cls.is_cuda and not _device.jax_devices("cuda"):
            raise TypeError(
                f"type {cls.__module__}.{cls.__name__} not available. Torch not compiled with "
                "CUDA enabled."
            )
        return _construct(Tensor, cls.dtype, cls.is_cuda, args, kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return (
            isinstance(obj, Tensor)
            and obj.dtype is cls.dtype
            and (obj.device.type == "cuda") == cls.is_cuda
        )

    def __getattr__(cls, name: str) -> Any:
        return getattr(Tensor, name)  # ``FloatTensor.sum(x)``, as in PyTorch


def typed(dt: _dtype.dtype, module: str) -> tensortype:
    """The legacy class of ``dt`` tensors on the CPU (``module`` "tensorish") or on CUDA
    ("tensorish.cuda")."""
    name = f"{dt.title}Tensor"
    doc = f"The legacy constructor of {dt.name} tensors, and their type in ``isinstance``."
    return tensortype(
        name,
        (),
        {
            "dtype": dt,
            "is_cuda": module.endswith("cuda"),
            "is_sparse": False,
            "__module__": module,
            "__qualname__": name,
            "__doc__": doc,
        },
    )


LEGACY_DTYPES = (
    _dtype.float32,
    _dtype.float64,
    _dtype.float16,
    _dtype.bfloat16,
    _dtype.int64,
    _dtype.int32,
    _dtype.int16,
    _dtype.int8,
    _dtype.uint8,
    _dtype.bool_,
)
(
    FloatTensor,
    DoubleTensor,
    HalfTensor,
    BFloat16Tensor,
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
) = (typed(d, "tensorish") for d in LEGACY_DTYPES)


# -- new_tensor, new_zeros, new_ones, new_full, new_empty -------------------------------------
_MISSING: Any = object()


def _missing(name: str, arg: str) -> TypeError:
    return TypeError(f'{name}() missing 1 required positional arguments: "{arg}"')


def _like(
    self: Tensor, name: str, size: tuple, fill: Any, dtype, device, requires_grad: bool
) -> Tensor:
    shape = _shape(size, name)
    dev = self.device if device is None else device
    return full(shape, fill, dtype=dtype or self.dtype, device=dev, requires_grad=requires_grad)


def _size_args(name: str, args: tuple, size: Any) -> tuple:
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return (tuple(size),)
    if not args:
        raise _missing(name, "size")
    return args


@method
def new_tensor(
    self: Tensor,
    data: Any = _MISSING,
    *,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    layout: Any = None,
) -> Tensor:
    """A new leaf holding a copy of ``data``, with this tensor's dtype and device unless given.

    >>> import tensorish
    >>> tensorish.ones(2, dtype=tensorish.float64).new_tensor([1, 2])
    tensor([1., 2.], dtype=tensorish.float64)
    """
    if data is _MISSING:
        raise _missing("new_tensor", "data")
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        data = data._value
    dev = self.device if device is None else device
    return tensor(data, dtype=dtype or self.dtype, device=dev, requires_grad=requires_grad)


def _new_filled(name: str, fill: int, doc: str) -> Callable:
    """The method ``name`` (``new_zeros``, ``new_ones``, ``new_empty``): ``fill`` in the
    given size, with this tensor's dtype and device unless given."""

    def new(
        self: Tensor,
        *args: Any,
        size: Sequence[int] | None = None,
        dtype: _dtype.dtype | None = None,
        device: Any = None,
        requires_grad: bool = False,
        layout: Any = None,
        pin_memory: bool = False,
    ) -> Tensor:
        args = _size_args(name, args, size)
        return _like(self, name, args, fill, dtype, device, requires_grad)

    new.__name__ = new.__qualname__ = name
    new.__doc__ = doc
    return method(new)


new_zeros = _new_filled(
    "new_zeros",
    0,
    """Zeros of the given size, with this tensor's dtype and device unless given.

    >>> import tensorish
    >>> tensorish.ones(2, dtype=tensorish.int64).new_zeros(2, 3)
    tensor([[0, 0, 0],
            [0, 0, 0]])
    """,
)
new_ones = _new_filled(
    "new_ones",
    1,
    """Ones of the given size, with this tensor's dtype and device unless given.

    >>> import tensorish
    >>> tensorish.zeros(1).new_ones(3)
    tensor([1., 1., 1.])
    """,
)
new_empty = _new_filled(
    "new_empty",
    0,
    """An "uninitialised" tensor of the given size (zeros: JAX has no uninitialised memory),
    with this tensor's dtype and device unless given.

    >>> import tensorish
    >>> tensorish.ones(1).new_empty(2).shape
    tensorish.Size([2])
    """,
)


@method
def new_full(
    self: Tensor,
    size: Sequence[int] = _MISSING,
    fill_value: Any = _MISSING,
    *,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    layout: Any = None,
    pin_memory: bool = False,
) -> Tensor:
    """``fill_value`` in the given size, with this tensor's dtype and device unless given.

    >>> import tensorish
    >>> tensorish.ones(1, dtype=tensorish.int64).new_full((2,), 3.5)
    tensor([3, 3])
    """
    if size is _MISSING:
        raise _missing("new_full", "size")
    if fill_value is _MISSING:
        raise _missing("new_full", "fill_value")
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            "new_full(): argument 'size' (position 1) must be tuple of ints, not "
            f"{type(size).__name__}"
        )
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(self, "new_full", tuple(size), fill_value, dtype, device, requires_grad)

"""Conversions: dtype and device casts (differentiable, ``ToCopyBackward0``), Python scalars out
of one-element tensors and membership."""

from __future__ import annotations

import builtins
import numbers
from typing import TYPE_CHECKING

import jax.numpy as jnp

from .. import _device, _dtype
from .._tensor import Tensor
from ._common import Op, apply
from ._device_ops import move
from ._registry import Sample, declare, public


def _astype(x, dtype):
    # PyTorch converts floats to narrow integers through int64, so they wrap (-2.7 -> 254 as
    # uint8) where XLA would saturate.
    if jnp.issubdtype(x.dtype, jnp.inexact) and dtype in (jnp.uint8, jnp.int8, jnp.int16):
        x = x.real.astype(jnp.int64) if jnp.iscomplexobj(x) else x.astype(jnp.int64)
    return x.astype(dtype)


_to_copy = Op("ToCopyBackward0", _astype, saves=())
# A cast to an integer or bool dtype ends the graph, as in PyTorch.
_to_int = Op("ToCopyBackward0", _astype, saves=(), differentiable=False)


def _cast(self: Tensor, dt: _dtype.dtype, copy: bool = False) -> Tensor:
    if dt is self.dtype and not copy:
        return self
    op = _to_copy if dt.is_floating_point or dt.is_complex else _to_int
    return apply(op, (self,), (("dtype", dt.np),))


def _parse_to(args: tuple, kwargs: dict) -> tuple:
    """``(device, dtype, copy)`` from the forms of ``Tensor.to``."""
    dev, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(
            f"to() received an invalid combination of arguments - got an unexpected "
            f"keyword argument '{next(iter(kwargs))}'"
        )
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dev, dt = other.device, other.dtype
    elif rest and isinstance(rest[0], (str, int, _device.device)) and not isinstance(rest[0], bool):
        dev = rest.pop(0)
    if rest and isinstance(rest[0], _dtype.dtype):
        dt = rest.pop(0)
    for flag in rest[:2]:  # non_blocking, copy
        if not isinstance(flag, bool):
            raise TypeError(
                f"to() received an invalid combination of arguments - got "
                f"({', '.join(a.__class__.__name__ for a in args)}), but expected one "
                "of:"
            )
    if len(rest) == 2:
        copy = rest[1]
    return dev, dt, copy


@declare(name="to", namespace="tensorish.Tensor", test=Sample(args=("cpu",)))
def _to(self: Tensor, *args, **kwargs) -> Tensor:
    """This tensor in another dtype and/or on another device; itself when nothing changes.

    >>> import tensorish
    >>> tensorish.tensor([1.5, 2.5]).to(tensorish.int64)
    tensor([1, 2])
    """
    dev, dt, copy = _parse_to(args, kwargs)
    out = _cast(self, dt or self.dtype, copy)
    if dev is not None:
        out = move(out, dev)
    return out


_to.__name__ = "to"


def _caster(name: str, dt: _dtype.dtype):
    def f(self: Tensor) -> Tensor:
        return _cast(self, dt)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``self.to({dt!r})``."
    # Complex results are compared forward only (backward needs a real scalar).
    sample = Sample(grad=not dt.is_complex)
    return declare(namespace="tensorish.Tensor", test=sample)(f)


for _name, _dt in (
    ("float", _dtype.float32),
    ("double", _dtype.float64),
    ("half", _dtype.float16),
    ("bfloat16", _dtype.bfloat16),
    ("long", _dtype.int64),
    ("int", _dtype.int32),
    ("short", _dtype.int16),
    ("char", _dtype.int8),
    ("byte", _dtype.uint8),
    ("bool", _dtype.bool_),
    ("cfloat", _dtype.complex64),
    ("cdouble", _dtype.complex128),
):
    _caster(_name, _dt)


@declare(namespace="tensorish.Tensor", test=Sample(((3, 4), (3, 4))))
def type_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.to(other.dtype)``."""
    return _cast(self, other.dtype)


# PyTorch's names are accepted as well as ours, so code written for torch runs unchanged.
_TYPE_NAMES = {f"{m}.{d.title}Tensor": d for d in _dtype.ALL for m in ("torch", "tensorish")}


@declare(namespace="tensorish.Tensor")
def type(self: Tensor, dtype: _dtype.dtype | str | None = None, non_blocking: bool = False):
    """The type name (``'tensorish.FloatTensor'``, PyTorch's with our module name) without
    ``dtype``, else ``self.to(dtype)``.

    >>> import tensorish
    >>> tensorish.ones(1).type()
    'tensorish.FloatTensor'
    """
    if dtype is None:
        return self._type_name()
    if dtype is Tensor:
        dtype = _dtype.get_default_dtype()
    elif isinstance(dtype, builtins.type):  # a legacy type: tensorish.FloatTensor...
        name = f"{dtype.__module__}.{dtype.__qualname__}"
        if name.replace(".cuda.", ".") not in _TYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype.__qualname__}'")
        dtype = name
    if isinstance(dtype, str):
        cpu_name = dtype.replace(".cuda.", ".")
        if cpu_name not in _TYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        out = _cast(self, _TYPE_NAMES[cpu_name])
        return out.cpu() if cpu_name == dtype else out.cuda()
    return _cast(self, dtype)


# -- Python scalars, truth, iteration -----------------------------------------------------------
def _bool(self: Tensor) -> bool:
    n = self._v.size
    if n != 1:
        raise RuntimeError(
            f"Boolean value of Tensor with {'no' if n == 0 else 'more than one'} "
            "value{} is ambiguous".format("s" if n == 0 else "")
        )
    return bool(self._value.reshape(()))


def _scalar(self: Tensor):
    if self._v.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return self._value.reshape(()).item()


def _float(self: Tensor) -> float:
    return float(_scalar(self))


def _int(self: Tensor) -> int:
    return int(_scalar(self))


def _contains(self: Tensor, element) -> bool:
    if not isinstance(element, (Tensor, numbers.Number)):
        raise RuntimeError(
            "Tensor.__contains__ only supports Tensor or scalar, but you passed "
            f"in a {element.__class__}."
        )
    value = element._value if isinstance(element, Tensor) else element
    return bool(jnp.any(self._value == value))


for _name, _fn, _sample in (
    ("__bool__", _bool, Sample(((1,),), grad=False)),
    ("__float__", _float, Sample(((1,),), grad=False)),
    ("__int__", _int, Sample(((1,),), grad=False)),
    ("__contains__", _contains, Sample(args=(0.5,), grad=False)),
):
    declare(name=_name, namespace="tensorish.Tensor", test=_sample)(_fn)


@declare(method=False, test=Sample(grad=False))
def is_tensor(obj) -> bool:
    """Whether ``obj`` is a tensorish Tensor.

    >>> import tensorish
    >>> tensorish.is_tensor(tensorish.ones(1)), tensorish.is_tensor(1.0)
    (True, False)
    """
    return isinstance(obj, Tensor)


# The Tensor methods of the same names are the class's own (``_tensor.py``).
@declare(method=False, test=Sample(grad=False))
def is_floating_point(input: Tensor) -> bool:
    """Whether ``input`` has a floating point dtype.

    >>> import tensorish
    >>> tensorish.is_floating_point(tensorish.ones(1))
    True
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            "is_floating_point(): argument 'input' (position 1) must be Tensor, not "
            f"{input.__class__.__name__}"
        )
    return input.dtype.is_floating_point


@declare(method=False, test=Sample(grad=False))
def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype.

    >>> import tensorish
    >>> tensorish.is_complex(tensorish.ones(1))
    False
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            "is_complex(): argument 'input' (position 1) must be Tensor, not "
            f"{input.__class__.__name__}"
        )
    return input.dtype.is_complex


def _tensor_arg(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not "
            f"{input.__class__.__name__}"
        )


# The top-level forms of Tensor's own predicates and metadata (``_tensor.py``).
@declare(method=False, test=Sample(grad=False))
def numel(input: Tensor) -> int:
    """The number of elements.

    >>> import tensorish
    >>> tensorish.numel(tensorish.ones(2, 3))
    6
    """
    _tensor_arg("numel", input)
    return input.numel()


@declare(method=False, test=(Sample(grad=False), Sample(grad=False, dtype="uint8", low=0)))
def is_signed(input: Tensor) -> bool:
    """Whether the dtype of ``input`` holds negative numbers.

    >>> import tensorish
    >>> tensorish.is_signed(tensorish.ones(1, dtype=tensorish.uint8))
    False
    """
    _tensor_arg("is_signed", input)
    return input.is_signed()


@declare(method=False, test=Sample(((1, 1),), grad=False))
def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor.

    >>> import tensorish
    >>> tensorish.is_nonzero(tensorish.tensor([0.5]))
    True
    """
    _tensor_arg("is_nonzero", input)
    return input.is_nonzero()


@declare(
    method=False, test=(Sample(((2, 3), (2, 3)), grad=False), Sample(((2, 3), (3, 2)), grad=False))
)
def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have one shape.

    >>> import tensorish
    >>> tensorish.is_same_size(tensorish.ones(2), tensorish.zeros(2))
    True
    """
    return input.is_same_size(other)


@declare(method=False, test=Sample(grad=False))
def is_inference(input: Tensor) -> bool:
    """Whether ``input`` was made inside ``inference_mode``.

    >>> import tensorish
    >>> with tensorish.inference_mode():
    ...     x = tensorish.ones(1)
    >>> tensorish.is_inference(x)
    True
    """
    _tensor_arg("is_inference", input)
    return input.is_inference()


@declare(method=False, test=Sample(grad=False))
def get_device(input: Tensor) -> int:
    """The device index of ``input``, -1 on the CPU.

    >>> import tensorish
    >>> tensorish.get_device(tensorish.ones(1))
    -1
    """
    return input.get_device()


@declare(method=False, test=Sample(grad=False))
def is_conj(input: Tensor) -> bool:
    """False: tensorish conjugates at once (no lazy conjugate bit).

    >>> import tensorish
    >>> tensorish.is_conj(tensorish.ones(1))
    False
    """
    return input.is_conj()


@declare(method=False, test=Sample(grad=False))
def is_neg(input: Tensor) -> bool:
    """False: tensorish negates at once (no lazy negative bit).

    >>> import tensorish
    >>> tensorish.is_neg(tensorish.ones(1))
    False
    """
    return input.is_neg()


if not TYPE_CHECKING:  # a type checker sees every public name; runtime, the declared ones
    __all__ = public(__name__)

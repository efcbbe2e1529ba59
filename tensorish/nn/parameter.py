"""Parameter: a leaf Tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from .._creation import empty
from .._tensor import Tensor


def _adopt(cls: type, data: Tensor, requires_grad: bool) -> Tensor:
    """A new leaf of class ``cls`` holding ``data``'s value (shared, as jax arrays are
    immutable)."""
    if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = Tensor._wrap(data._value, cls=cls)
    t._requires_grad = bool(requires_grad)
    return t


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it to a Module attribute registers it.

    >>> import tensorish
    >>> tensorish.nn.Parameter(tensorish.zeros(2))
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = empty(0)
        return _adopt(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        p = _adopt(type(self), self, self._requires_grad)
        if self._grad is not None:
            p._grad = Tensor._wrap(self._grad._value)
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (Tensor._wrap(self._value), self._requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (``persistent`` says
    whether it goes into the ``state_dict``)."""

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor, *, persistent: bool = True) -> Buffer:
        b = _adopt(cls, data, False)
        b.persistent = persistent
        return b

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        pass

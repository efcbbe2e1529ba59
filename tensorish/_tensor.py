"""Tensor: a jax.Array plus PyTorch's autograd state.

The value is immutable; in-place methods rebind it and bump the version counter ``_vc`` (shared
by aliases), so PyTorch's checks for in-place misuse still fire. Operators and most methods are
attached by the op modules (``ops/``), each op declared once there; the legacy constructor
(``Tensor(data)``, ``Tensor(2, 3)``) by ``_legacy``.

Aliasing. JAX arrays cannot share storage, so tensorish keeps *whole-tensor* aliases explicitly:
``detach()`` and ``.data`` return tensors in the same alias group (``_alias``), and an in-place
write to any member (``_set_value``) rebinds every member's value. ``detach()`` also shares the
version counter (so writing through it breaks a backward that saved the tensor, as in PyTorch);
``.data`` gets its own counter (writes through it are invisible to autograd, as in PyTorch).
Assigning ``t.data = other`` makes ``t`` an alias of ``other``. Partial views (``view``,
slicing, ``transpose``...) are copies: an in-place write to one does not reach its base, and
``x[idx] = v`` is an in-place op on ``x`` itself (recorded as ``CopySlices``).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from sys import getrefcount
from typing import Any

import jax
import numpy as np

from . import _dtype
from ._lazy import Pending, force
from .autograd import _engine


class Size(tuple):
    """The shape of a tensor: a tuple that prints as PyTorch's ``torch.Size``.

    >>> import tensorish
    >>> tensorish.ones(2, 3).shape
    tensorish.Size([2, 3])
    """

    def __repr__(self) -> str:
        return f"tensorish.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


_new = object.__new__


class Tensor:
    """A multi-dimensional array that records operations for automatic differentiation.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> (x * 3).sum().backward()
    >>> x.grad
    tensor([3., 3.])
    """

    __slots__ = (
        "_v",
        "_requires_grad",
        "grad_fn",
        "_output_nr",
        "_grad",
        "_vc",
        "_acc",
        "_retains_grad",
        "_hooks",
        "_alias",
        "__weakref__",
    )
    __array_priority__ = 1000
    __module__ = "tensorish"  # the class prints as <class 'tensorish.Tensor'>, as torch's does

    @staticmethod
    def _wrap(
        value: jax.Array, grad_fn=None, output_nr: int = 0, cls: type | None = None
    ) -> Tensor:
        t = _new(cls or Tensor)
        t._v = value
        t._requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._grad = None
        t._vc = [0]
        t._acc = None
        t._retains_grad = False
        t._hooks = t._alias = None
        return t

    @property
    def _value(self) -> jax.Array:
        """The value as a jax.Array (a deferred op's value is computed on first use)."""
        v = self._v
        if v.__class__ is Pending:
            v = self._v = force(v)
        return v

    @_value.setter
    def _value(self, value) -> None:
        self._v = value

    # -- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self.

        >>> import tensorish
        >>> tensorish.ones(2).requires_grad_()
        tensor([1., 1.], requires_grad=True)
        """
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
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
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
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

    def register_hook(self, hook: Callable) -> _engine.RemovableHandle:
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
                self._hooks = _engine.LeafHooks()
            return _engine.add_hook(self._hooks.pre, hook)
        table = self.grad_fn._ext().tensor_hooks.setdefault(self._output_nr, {})
        return _engine.add_hook(table, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable) -> _engine.RemovableHandle:
        """Call ``hook(tensor)`` after this leaf's ``.grad`` was accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = _engine.LeafHooks()
        return _engine.add_hook(self._hooks.post, hook)

    @property
    def data(self) -> Tensor:
        """This tensor's value outside the graph, with its own version counter; in-place
        writes to it (``w.data -= lr * g``) change this tensor too, untracked by autograd."""
        t = Tensor._wrap(self._v)
        t._join(self)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._v = value._v
        self._join(value)

    def _join(self, other: Tensor) -> None:
        """Make this tensor an alias of ``other``: an in-place write to either reaches both."""
        group = other._alias
        if group is None:
            group = other._alias = [weakref.ref(other)]
        if self._alias is group:
            return
        if self._alias is not None:
            self._alias[:] = [r for r in self._alias if r() is not self]
        group.append(weakref.ref(self))
        self._alias = group

    def _edge(self) -> tuple:
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        return (_engine.accumulator_for(self), 0)

    def _accumulator(self):
        return _engine.accumulator_for(self)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

        >>> import tensorish
        >>> x = tensorish.ones(2, requires_grad=True)
        >>> (5 * (x + 1) ** 2).mean().backward()
        >>> x.grad
        tensor([10., 10.])
        """
        if (
            gradient is None
            and inputs is None
            and not create_graph
            and self._requires_grad
            and self._v.size == 1
            and _dtype.from_np(self._v.dtype).is_floating_point
        ):
            # The common ``loss.backward()``: no argument handling to do. A root nobody else
            # holds (``(a * b).sum().backward()``) can never be read: its value is not kept.
            held = getrefcount(self) > _TEMPORARY_REFS
            _engine.run_backward([self], [None], bool(retain_graph), held=held)
            return
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _refs(self) -> int:
        return getrefcount(self)

    def detach(self) -> Tensor:
        """A new tensor with the same value, outside the graph; it shares the version counter,
        and an in-place write to either reaches both (as shared storage would)."""
        t = Tensor._wrap(self._v)
        t._vc = self._vc
        t._join(self)
        return t

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def _set_value(self, value: jax.Array) -> None:
        """Rebind the value, as an in-place write does, and bump the version."""
        self._v = value
        self._vc[0] += 1
        if self._alias is not None:
            for ref in self._alias:
                t = ref()
                if t is not None and t is not self:
                    t._v = value

    def _type_name(self) -> str:
        return f"tensorish.{self.dtype.title}Tensor"

    @property
    def _version(self) -> int:
        return self._vc[0]

    def _node_label(self) -> str:
        return self.grad_fn.name() if self.grad_fn is not None else "AccumulateGrad"

    # -- metadata -------------------------------------------------------------------------
    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_np(self._v.dtype)

    @property
    def shape(self) -> Size:
        return Size(self._v.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._v.shape)
        return self._v.shape[_wrap_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self._v.ndim

    @property
    def ndim(self) -> int:
        return self._v.ndim

    def ndimension(self) -> int:
        return self._v.ndim

    def numel(self) -> int:
        return int(self._v.size)

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def device(self):
        from ._device import from_jax

        return from_jax(next(iter(self._value.devices())))

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def __len__(self) -> int:
        if self._v.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._v.shape[0]

    # -- leaving the facade ---------------------------------------------------------------
    def item(self) -> int | float | bool | complex:
        """The value of a one-element tensor as a Python number."""
        if self._v.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._v.size} elements cannot be converted to Scalar"
            )
        return self._value.reshape(()).item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
        return np.asarray(self._value).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array (read-only: JAX arrays are immutable)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __jax_array__(self) -> jax.Array:
        return self._value

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._value.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple:
        return self._value.__dlpack_device__()

    def jax(self) -> jax.Array:
        """The underlying ``jax.Array`` (no copy)."""
        return self._value

    def __repr__(self, *, tensor_contents: str | None = None) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._v.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                "be because of a tensorish.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        t = Tensor._wrap(self._value, cls=type(self))
        t._requires_grad = self._requires_grad
        memo[id(self)] = t
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._value)
        return t


# References to a temporary tensor inside one of its methods (the caller's stack, the ``self``
# argument and getrefcount's own): more in ``backward`` means something else holds it.
_TEMPORARY_REFS = Tensor._wrap(None)._refs()

_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


def _flatten(t: Tensor) -> tuple:
    return (t._value,), t._requires_grad


def _unflatten(requires_grad: bool, children: tuple) -> Tensor:
    # A Tensor rebuilt around a tracer (inside jit, vmap, grad) never records a graph.
    t = Tensor._wrap(children[0])
    t._requires_grad = requires_grad and not isinstance(children[0], jax.core.Tracer)
    return t


jax.tree_util.register_pytree_node(Tensor, _flatten, _unflatten)

_CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _wrap_dim(dim: int, ndim: int) -> int:
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % max(ndim, 1)


def method(fn: Callable) -> Callable:
    """Also make ``fn`` the Tensor method of the same name (the op modules use this)."""
    setattr(Tensor, fn.__name__, fn)
    return fn


from . import _dispatch, _lazy  # noqa: E402  (after Tensor exists: _dispatch is imported by ops)

_dispatch.Tensor = _engine.Tensor = _lazy.Tensor = Tensor

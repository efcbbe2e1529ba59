"""Tensor: plain data at the bottom of the package (layer design note).

A Tensor is a value (a jax.Array, or a ``Pending`` one that a recorded op will compute) plus the
slots autograd fills: ``requires_grad``, ``grad_fn`` and ``output_nr``, ``.grad``, the version
counter, hooks. This module imports only leaves (dtypes, devices, printing, ``_pending``); what
the other layers do with a Tensor they attach themselves: the op modules (``ops/``) its operators
and most methods, ``autograd/`` its autograd methods (``backward``, ``grad``, ``register_hook``,
``retain_grad``).

The value is immutable; in-place methods rebind it and bump the version counter ``_vc`` (shared
by aliases), so PyTorch's checks for in-place misuse still fire. The legacy constructor
(``Tensor(data)``, ``Tensor(2, 3)``) is attached by ``_legacy``.

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

import functools
import weakref
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from . import _dtype, _layout
from ._device import from_jax, get_default_jax
from ._mode import mode
from ._pending import Pending, force
from ._printing import tensor_repr


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
        "_inference",
        "__weakref__",
    )
    __array_priority__ = 1000
    __module__ = "tensorish"  # the class prints as <class 'tensorish.Tensor'>, as torch's does

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # JAX's pytree registry is by exact class: register Parameter and every other subclass.
        super().__init_subclass__(**kwargs)
        _register_pytree(cls)

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
        t._inference = mode.inference
        w = mode.trace
        if w is not None:
            w.on_new(t)
        return t

    @property
    def _value(self) -> jax.Array:
        """The value as a jax.Array (a deferred op's value is computed on first use)."""
        w = mode.trace
        if w is not None:
            w.on_read(self)
        v = self._v
        if v.__class__ is Pending:
            v = self._v = force(v)
        return v

    @_value.setter
    def _value(self, value) -> None:
        w = mode.trace
        if w is not None:
            w.on_write(self)
        self._v = value

    # -- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        # PyTorch words this path's dtype error its own way.
        if (
            flag
            and self.grad_fn is None
            and not (self.dtype.is_floating_point or self.dtype.is_complex)
        ):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
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
    def data(self) -> Tensor:
        """This tensor's value outside the graph, with its own version counter; in-place
        writes to it (``w.data -= lr * g``) change this tensor too, untracked by autograd."""
        t = Tensor._wrap(self._watched())
        t._join(self)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        v = value._watched()
        w = mode.trace
        if w is not None:
            w.on_write(self)
        self._v = v
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

    def detach(self) -> Tensor:
        """A new tensor with the same value, outside the graph; it shares the version counter,
        and an in-place write to either reaches both (as shared storage would)."""
        t = Tensor._wrap(self._watched())
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
        w = mode.trace
        if w is not None:
            w.on_write(self)
        self._v = value
        self._vc[0] += 1
        if self._alias is not None:
            for ref in self._alias:
                t = ref()
                if t is not None and t is not self:
                    if w is not None:
                        w.on_write(t)
                    t._v = value

    def _watched(self):
        """``_v`` (the value slot, maybe a Pending), reported to a compile trace if one runs in
        this thread: metadata reads go through here, or through ``_value``."""
        w = mode.trace
        if w is not None:
            w.on_read(self)
        return self._v

    def _type_name(self) -> str:
        return f"tensorish.{self.dtype.title}Tensor"

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- metadata -------------------------------------------------------------------------
    # (Each reads the value slot once, reporting the read to a compile trace in this thread.)
    @property
    def dtype(self) -> _dtype.dtype:
        w = mode.trace
        if w is not None:
            w.on_read(self)
        return _dtype.from_np(self._v.dtype)

    @property
    def shape(self) -> Size:
        w = mode.trace
        if w is not None:
            w.on_read(self)
        return Size(self._v.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        shape = self._watched().shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    def dim(self) -> int:
        w = mode.trace
        if w is not None:
            w.on_read(self)
        return self._v.ndim

    @property
    def ndim(self) -> int:
        w = mode.trace
        if w is not None:
            w.on_read(self)
        return self._v.ndim

    def ndimension(self) -> int:
        return self._watched().ndim

    def numel(self) -> int:
        return int(self._watched().size)

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def device(self):
        v = self._v
        if v.__class__ is Pending:  # known without computing it (unless it is uncommitted)
            s = v.sharding
            if s is not None:
                return from_jax(next(iter(s.device_set)))
            if jax.default_backend() == "cpu" and jax.device_count() == 1:
                return from_jax(jax.devices()[0])
        v = self._value
        if isinstance(v, jax.core.Tracer):  # inside tensorish.compile: where the step runs
            w = mode.trace
            return from_jax(w.device() if w is not None else get_default_jax())
        return from_jax(next(iter(v.devices())))

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        """Whether the dtype holds negative numbers."""
        return self.dtype.is_signed

    def is_inference(self) -> bool:
        """Whether this tensor was made inside ``inference_mode``."""
        return self._inference

    def is_same_size(self, other: Tensor) -> bool:
        return self.shape == other.shape

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (PyTorch's errors otherwise)."""
        n = self._watched().size
        if n == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if n > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._value.reshape(()))

    # A JAX array is dense, unaliased and contiguous: its strides are the contiguous strides of
    # its shape (a transposed tensor is a copy here, not a view with swapped strides).
    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The contiguous strides of the shape (in elements), or that of ``dim``."""
        shape = self._watched().shape
        strides, step = [], 1
        for n in reversed(shape):
            strides.append(step)
            step *= max(n, 1)
        strides.reverse()
        return tuple(strides) if dim is None else strides[_wrap_dim(dim, len(shape))]

    def storage_offset(self) -> int:
        return 0

    def data_ptr(self) -> int:
        """The address of the device buffer that holds the value (0 when it is empty)."""
        value = self._value
        return value.unsafe_buffer_pointer() if value.size else 0

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        """The device index, or -1 on the CPU."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index or 0

    @property
    def layout(self) -> _layout.layout:
        return _layout.strided

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is."""
        return self._output_nr

    # PyTorch's other storage kinds and devices, none of which a tensorish tensor is.
    is_sparse = is_sparse_csr = is_quantized = is_meta = is_mkldnn = is_nested = property(
        lambda self: False
    )
    is_mps = is_xpu = is_xla = is_ipu = is_vulkan = is_maia = is_mtia = is_sparse

    def const_data_ptr(self) -> int:
        """``data_ptr()``: a JAX buffer is never written in place."""
        return self.data_ptr()

    def pin_memory(self, device: Any = None) -> Tensor:
        """Self: XLA stages host-to-device copies itself; there is no pinned host memory.
        Without an accelerator, PyTorch's error."""
        if jax.default_backend() == "cpu":
            raise RuntimeError("Cannot access accelerator device when none is available.")
        return self

    def is_pinned(self, device: Any = None) -> bool:
        return False

    def share_memory_(self) -> Tensor:
        """Self: tensors reach other processes by pickling (a JAX array has no shared
        storage to move)."""
        return self

    def is_shared(self) -> bool:
        return False

    def to_dense(self, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
        """Self, or a copy in ``dtype``: every tensorish tensor is dense."""
        return self if dtype is None else self.to(dtype)

    def is_conj(self) -> bool:
        """False: tensorish conjugates at once (no lazy conjugate bit)."""
        return False

    def is_neg(self) -> bool:
        """False: tensorish negates at once (no lazy negative bit)."""
        return False

    def __len__(self) -> int:
        shape = self._watched().shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    # -- leaving the facade ---------------------------------------------------------------
    def item(self) -> int | float | bool | complex:
        """The value of a one-element tensor as a Python number."""
        n = self._watched().size
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
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
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._watched().ndim == 0:
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
        g = read_grad(self)
        if g is not None:
            t._grad = Tensor._wrap(g._value)
        return t


class _GradFlag:
    """A flattened Tensor's ``requires_grad``: carried to the rebuilt Tensor but not part of the
    tree's structure, so trees that differ only in it map together (``jax.tree.map(f, params,
    grads)``) and ``jax.jit`` does not retrace on it."""

    __slots__ = ("requires_grad",)

    def __init__(self, requires_grad: bool) -> None:
        self.requires_grad = requires_grad

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _GradFlag)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"requires_grad={self.requires_grad}"


_GRAD_FLAGS = (_GradFlag(False), _GradFlag(True))


def _flatten(t: Tensor) -> tuple:
    return (t._value,), _GRAD_FLAGS[t._requires_grad]


def _unflatten(cls: type, flag: _GradFlag, children: tuple) -> Any:
    """A Tensor of class ``cls`` around an array leaf; any other leaf as it is:
    ``jax.tree.map(lambda a: a.shape, t)`` gives a shape and ``jax.eval_shape`` a
    ShapeDtypeStruct, as they would for an array."""
    leaf = children[0]
    tracer = isinstance(leaf, jax.core.Tracer)
    if not (tracer or isinstance(leaf, jax.Array)):
        return leaf
    # A Tensor rebuilt around a tracer (inside jit, vmap, grad) never records a graph.
    t = Tensor._wrap(leaf, cls=cls)
    t._requires_grad = flag.requires_grad and not tracer
    return t


def _register_pytree(cls: type) -> None:
    jax.tree_util.register_pytree_node(cls, _flatten, functools.partial(_unflatten, cls))


_register_pytree(Tensor)


def read_grad(t: Tensor) -> Tensor | None:
    """``t``'s ``.grad`` slot, the read reported to a compile trace in this thread."""
    w = mode.trace
    if w is not None:
        w.on_grad_read(t)
    return t._grad


def write_grad(t: Tensor, g: Tensor | None) -> None:
    """Rebind ``t``'s ``.grad`` slot, reported to a compile trace in this thread."""
    w = mode.trace
    if w is not None:
        w.on_grad_write(t)
    t._grad = g


class Watch:
    """What a tensorish.compile trace sees of the Tensors that existed before it began.

    While a thread traces, ``mode.trace`` is its Watch, and the places where a Tensor's value
    or ``.grad`` is read or rebound (here: ``_value``, the metadata properties, ``_set_value``,
    ``data``, ``detach``, ``read_grad``/``write_grad``; the op table reads values through
    ``_value``) report to it. Other threads see ``mode.trace`` None and pay one check.

    ``installed`` maps id -> (tensor, original value) for the tensors the trace gave traced
    values; then, by id: ``new`` (weakrefs) the tensors created during the trace, ``read`` the
    pre-existing ones read or written, ``orig`` the value of those not installed, ``written``
    those whose value was rebound, ``meta`` their (grad_fn, output_nr, requires_grad) to
    restore, ``grad_read`` the ``.grad`` each tensor had when first read, ``grad_orig`` the
    ``.grad`` it had before being rebound.
    """

    def __init__(self, installed: dict) -> None:
        self.installed = installed
        self.new: dict = {}
        self.read: dict = {}
        self.orig: dict = {}
        self.written: dict = {}
        self.meta: dict = {}
        self.grad_read: dict = {}
        self.grad_orig: dict = {}

    def device(self):
        """The device the traced function runs on: that of its first lifted tensor (JAX
        runs a program where its committed inputs are), else the default device."""
        for _, v in self.installed.values():
            if isinstance(v, jax.Array) and not isinstance(v, jax.core.Tracer):
                return next(iter(v.devices()))
        return get_default_jax()

    def original(self, t: Tensor):
        """The value ``t`` had before the trace (a tracer if it was given one)."""
        i = id(t)
        return self.installed[i][1] if i in self.installed else self.orig.get(i, (t, None))[1]

    def on_new(self, t: Tensor) -> None:
        self.new[id(t)] = weakref.ref(t)

    def on_read(self, t: Tensor) -> None:
        i = id(t)
        if i not in self.read and i not in self.new:
            self._touch(t)

    def on_write(self, t: Tensor) -> None:
        i = id(t)
        if i in self.new:
            return
        if i not in self.read:
            self._touch(t)
        self.written[i] = t

    def on_grad_read(self, t: Tensor) -> None:
        i = id(t)
        if i not in self.new and i not in self.grad_read and i not in self.grad_orig:
            self.grad_read[i] = (t, t._grad)

    def on_grad_write(self, t: Tensor) -> None:
        i = id(t)
        if i not in self.new and i not in self.grad_orig:
            self.grad_orig[i] = (t, t._grad)

    def _touch(self, t: Tensor) -> None:
        v = t._v
        if v.__class__ is Pending:  # computed, as reading ``_value`` would
            v = t._v = force(v)
        i = id(t)
        self.read[i] = t
        self.meta[i] = (t, t.grad_fn, t._output_nr, t._requires_grad)
        if i not in self.installed:
            self.orig[i] = (t, v)


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

"""Lazy layers: parameters whose shape is inferred from the first input.

A lazy layer holds ``UninitializedParameter`` (and ``UninitializedBuffer``) placeholders; a
forward pre-hook materialises them from the first input, runs the eager layer's
``reset_parameters`` and turns the module into its eager class (``LazyLinear`` becomes
``Linear``), as PyTorch does. Loading a state dict of initialized values materialises them too.
"""

from __future__ import annotations

import itertools
from typing import Any

from ... import _device, _dtype
from ..._tensor import Tensor
from ...autograd._grad_mode import no_grad
from ..parameter import Parameter
from ._layers import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Linear,
    _filled,
)

# What PyTorch lets an uninitialized tensor do; any other method raises.
_ALLOWED = frozenset(
    {
        "size",
        "copy_",
        "is_complex",
        "is_floating_point",
        "half",
        "float",
        "double",
        "char",
        "short",
        "int",
        "long",
        "cuda",
        "cpu",
        "to",
        "get_device",
        "materialize",
    }
)


class UninitializedTensorMixin:
    """A placeholder tensor: ``materialize(shape)`` gives it a value and its final class."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape: tuple, device: Any = None, dtype: Any = None) -> None:
        """Allocate the value (``shape``, this tensor's device and dtype unless given) and
        become a ``cls_to_become``."""
        value = self._v
        device = device if device is not None else _device.from_jax(next(iter(value.devices())))
        dtype = dtype if dtype is not None else _dtype.from_np(value.dtype)
        self._set_value(_filled(tuple(shape), 0.0, device, dtype)._value)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into "
            "an initialized one. Call `forward` to initialize the parameters before accessing "
            "their attributes."
        )

    def __getattribute__(self, name: str) -> Any:
        if name[0] != "_" and name not in _ALLOWED and callable(getattr(Tensor, name, None)):
            cls = object.__getattribute__(self, "__class__").__name__
            raise ValueError(
                f"Attempted to use an uninitialized parameter in <method '{name}' of "
                "'tensorish.Tensor' objects>. This error happens when you are using a "
                f"`LazyModule` or explicitly manipulating `tensorish.nn.parameter.{cls}` "
                "objects. When using LazyModules Call `forward` with a dummy batch to "
                "initialize the parameters before calling torch functions"
            )
        return super().__getattribute__(name)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto: int) -> tuple:
        return (self.__class__, (self.requires_grad,))


def _placeholder(cls: type, requires_grad: bool, device: Any, dtype: Any) -> Tensor:
    t = Tensor._wrap(_filled((0,), 0.0, device, dtype)._value, cls=cls)
    t._requires_grad = requires_grad
    return t


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (see the lazy layers).

    >>> import tensorish
    >>> tensorish.nn.UninitializedParameter()
    <UninitializedParameter>
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(
        cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
    ) -> UninitializedParameter:
        return _placeholder(cls, requires_grad, device, dtype)

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> UninitializedParameter:
        p = _placeholder(type(self), self._requires_grad, None, _dtype.from_np(self._v.dtype))
        memo[id(self)] = p
        return p


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (see the lazy layers).

    >>> import tensorish
    >>> tensorish.nn.UninitializedBuffer()
    <UninitializedBuffer>
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None
    ) -> UninitializedBuffer:
        return _placeholder(cls, requires_grad, device, dtype)

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        pass


def _is_lazy(t: Any) -> bool:
    return isinstance(t, UninitializedTensorMixin)


class LazyModuleMixin:
    """Materialises a module's uninitialized parameters from its first input (through
    ``initialize_parameters``), then turns it into ``cls_to_become``."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for store, skip in (
            (self._parameters, ()),
            (self._buffers, self._non_persistent_buffers_set),
        ):
            for name, t in store.items():
                if t is not None and name not in skip:
                    destination[prefix + name] = t if _is_lazy(t) or keep_vars else t.detach()

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any) -> None:
        state_dict = dict(state_dict)
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and _is_lazy(t):
                entry = state_dict[key]
                if _is_lazy(entry):  # placeholder onto placeholder: nothing to copy
                    state_dict[key] = Tensor._wrap(entry._v)
                else:
                    with no_grad():
                        t.materialize(tuple(entry.shape))
        super()._load_from_state_dict(state_dict, prefix, *args)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Give the parameters their shapes from the input batch."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still a placeholder."""
        return any(
            _is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def _infer_parameters(self, module: Any, args: tuple) -> None:
        module.initialize_parameters(*args)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is inferred from the first input.

    >>> import tensorish
    >>> fc = tensorish.nn.LazyLinear(2)
    >>> fc
    LazyLinear(in_features=0, out_features=2, bias=True)
    >>> fc(tensorish.ones(4, 3)).shape, type(fc).__name__
    (tensorish.Size([4, 2]), 'Linear')
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            with no_grad():
                self.weight.materialize(shape + self.kernel_size)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        unbatched = self._nd + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def _lazy_params(self, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class _LazyConv(_LazyConvXdMixin):
    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype
        )
        self._lazy_params(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyConv1d(4, 3)
    LazyConv1d(0, 4, kernel_size=(3,), stride=(1,))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> conv = tensorish.nn.LazyConv2d(4, 3)
    >>> conv(tensorish.ones(1, 2, 5, 5)).shape, conv.weight.shape
    (tensorish.Size([1, 4, 3, 3]), tensorish.Size([4, 2, 3, 3]))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A ``Conv3d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyConv3d(4, 1)(tensorish.ones(1, 2, 1, 1, 1)).shape
    tensorish.Size([1, 4, 1, 1, 1])
    """

    cls_to_become = Conv3d


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            device,
            dtype,
        )
        self._lazy_params(out_channels, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ``ConvTranspose1d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyConvTranspose1d(4, 3)(tensorish.ones(1, 2, 5)).shape
    tensorish.Size([1, 4, 7])
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ``ConvTranspose2d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyConvTranspose2d(4, 2)(tensorish.ones(1, 2, 3, 3)).shape
    tensorish.Size([1, 4, 4, 4])
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ``ConvTranspose3d`` whose ``in_channels`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyConvTranspose3d(4, 2)(tensorish.ones(1, 2, 2, 2, 2)).shape
    tensorish.Size([1, 4, 3, 3, 3])
    """

    cls_to_become = ConvTranspose3d


class _LazyNormBase(LazyModuleMixin):
    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = _filled((), 0, device, _dtype.int64)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A ``BatchNorm1d`` whose ``num_features`` is inferred from the first input.

    >>> import tensorish
    >>> bn = tensorish.nn.LazyBatchNorm1d()
    >>> bn(tensorish.randn(4, 3)).shape, type(bn).__name__
    (tensorish.Size([4, 3]), 'BatchNorm1d')
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A ``BatchNorm2d`` whose ``num_features`` is inferred from the first input.

    >>> import tensorish
    >>> bn = tensorish.nn.LazyBatchNorm2d()
    >>> bn(tensorish.randn(2, 3, 2, 2)).shape, bn.num_features
    (tensorish.Size([2, 3, 2, 2]), 3)
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """A ``BatchNorm3d`` whose ``num_features`` is inferred from the first input.

    >>> import tensorish
    >>> tensorish.nn.LazyBatchNorm3d(affine=False).has_uninitialized_params()
    True
    """

    cls_to_become = BatchNorm3d


__all__ = [
    "UninitializedParameter",
    "UninitializedBuffer",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
]

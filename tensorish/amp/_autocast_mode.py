"""``autocast``: regions where the ops of the autocast table (``ops/_autocast.py``) run in a lower
precision (matmuls, convolutions), in float32 (losses, reductions, decompositions) or in the widest
floating type of their inputs (``cat``, ``stack``), as PyTorch's CPU autocast runs them.

The settings are per thread, as in PyTorch: ``mode.autocast_state`` holds this thread's
``_State`` (enabled flag and dtype per device type, the weight cache and its switch, the nesting
depth), and ``mode.autocast`` is that state while autocast is on for some device, else None, so
an op of the table pays one attribute read while autocast is off. A cast is a ``to(dtype)``
(``ToCopyBackward0``), so gradients flow back through it to the float32 inputs.

>>> import tensorish
>>> with tensorish.autocast("cpu"):
...     (tensorish.ones(2, 2) @ tensorish.ones(2, 2)).dtype
tensorish.bfloat16
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import jax

from .. import _device, _dtype
from .._mode import mode
from .._tensor import Tensor
from ..ops._autocast import LOWER, PROMOTE

__all__ = [
    "autocast",
    "custom_bwd",
    "custom_fwd",
    "is_autocast_available",
    "is_autocast_enabled",
    "set_autocast_enabled",
    "get_autocast_dtype",
    "set_autocast_dtype",
    "is_autocast_cache_enabled",
    "set_autocast_cache_enabled",
    "clear_autocast_cache",
    "autocast_increment_nesting",
    "autocast_decrement_nesting",
    "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype",
    "is_autocast_cpu_enabled",
    "set_autocast_cpu_dtype",
    "set_autocast_cpu_enabled",
    "set_autocast_gpu_dtype",
]

F = TypeVar("F", bound=Callable)

_AVAILABLE = ("cpu", "cuda")
# PyTorch's device types, for its error on an unknown one.
_DEVICE_TYPES = (
    "cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, "
    "mps, meta, hpu, mtia, privateuseone"
)


class _State:
    """One thread's autocast settings; as a callable, the hook that runs an op of the table."""

    def __init__(self) -> None:
        self.enabled: dict[str, bool] = {}
        self.dtypes: dict[str, _dtype.dtype] = {"cpu": _dtype.bfloat16, "cuda": _dtype.float16}
        self.cache_enabled = True
        self.nesting = 0
        # id(float32 leaf weight) -> (the weight, its version, its low-precision copy)
        self.cache: dict[int, tuple[Tensor, int, Tensor]] = {}

    def __call__(self, policy: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
        dev = _device_type(args) or _device_type(kwargs.values())
        if dev is None or not self.enabled.get(dev):
            return fn(*args, **kwargs)
        low = self.dtypes[dev]
        if policy == LOWER:
            to = low
        elif policy == PROMOTE:
            to = _widest(low, dev, args)
        else:
            to = _dtype.float32
        args = tuple(self._cast(a, to, dev, policy) for a in args)
        kwargs = {k: self._cast(v, to, dev, policy) for k, v in kwargs.items()}
        # The op itself runs with autocast off, as torch's redispatch below its autocast key:
        # a float32 op made of matmuls keeps them in float32.
        mode.autocast = None
        try:
            return fn(*args, **kwargs)
        finally:
            mode.autocast = self

    def key(self) -> tuple:
        """What decides the casts (tensorish.compile keeps one program per key)."""
        return tuple((d, self.dtypes[d]) for d, on in sorted(self.enabled.items()) if on)

    def _cast(self, x: Any, to: _dtype.dtype, dev: str, policy: str) -> Any:
        if isinstance(x, (list, tuple)):
            return type(x)(self._cast(v, to, dev, policy) for v in x)
        if not _eligible(x, dev) or x.dtype is to:
            return x
        # torch caches the low-precision copies of float32 leaf weights within a region.
        cache = (
            policy == LOWER
            and self.cache_enabled
            and x.dtype is _dtype.float32
            and x._requires_grad
            and x.grad_fn is None
            and mode.trace is None
        )
        if not cache:
            return x.to(to)
        hit = self.cache.get(id(x))
        if hit is not None and hit[0] is x and hit[1] == x._version and hit[2].dtype is to:
            return hit[2]
        out = x.to(to)
        self.cache[id(x)] = (x, x._version, out)
        return out


def device_of(t: Tensor) -> _device.device:
    """``t.device``; while tensorish.compile traces (a traced value has no device), the default
    device, where the compiled step runs."""
    v = t._value
    if isinstance(v, jax.core.Tracer):
        return _device.get_default_device()
    jdev = _device.device_of(v)
    dev = _DEVICES.get(jdev)
    if dev is None:
        dev = _DEVICES[jdev] = _device.from_jax(jdev)
    return dev


_DEVICES: dict = {}  # jax.Device -> device (a handful: one per device of the machine)


def _eligible(x: Any, dev: str) -> bool:
    return (
        isinstance(x, Tensor)
        and x.is_floating_point()
        and x.dtype is not _dtype.float64
        and device_of(x).type == dev
    )


def _device_type(args) -> str | None:
    """The device type of the first tensor among ``args`` (and in their lists)."""
    for a in args:
        if isinstance(a, Tensor):
            return device_of(a).type
        if isinstance(a, (list, tuple)):
            dev = _device_type(a)
            if dev is not None:
                return dev
    return None


def _widest(low: _dtype.dtype, dev: str, args: tuple) -> _dtype.dtype:
    """torch's ``promote_type``: float32 if any eligible input is float32, else ``low``."""
    out = low
    for a in args:
        if isinstance(a, (list, tuple)):
            out = _widest(out, dev, a)
        elif isinstance(a, Tensor) and a.is_floating_point() and device_of(a).type == dev:
            if a.dtype is _dtype.float64:
                continue
            if a.dtype is _dtype.float32 or out is _dtype.float32:
                out = _dtype.float32
            elif a.dtype is not low:
                raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")
    return out


def _state() -> _State:
    """This thread's settings (made on first use, so each thread starts from the defaults)."""
    s = mode.autocast_state
    if s is None:
        s = mode.autocast_state = _State()
    return s


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run on ``device_type`` (``"cpu"`` and ``"cuda"``).

    >>> import tensorish
    >>> tensorish.amp.is_autocast_available("cpu")
    True
    """
    if device_type.split(":")[0] not in _DEVICE_TYPES.split(", "):
        raise RuntimeError(
            f"Expected one of {_DEVICE_TYPES} device type at start of device string: {device_type}"
        )
    return device_type in _AVAILABLE


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (default ``"cuda"``) in this thread.

    >>> import tensorish
    >>> with tensorish.autocast("cpu"):
    ...     tensorish.is_autocast_enabled("cpu"), tensorish.is_autocast_enabled()
    (True, False)
    """
    s = mode.autocast_state
    return s is not None and s.enabled.get(device_type or "cuda", False)


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turn autocast on or off for ``device_type`` in this thread (``autocast`` does this).

    >>> import tensorish
    >>> tensorish.set_autocast_enabled("cpu", False)
    """
    s = _state()
    s.enabled[device_type] = bool(enabled)
    mode.autocast = s if any(s.enabled.values()) else None


def get_autocast_dtype(device_type: str) -> _dtype.dtype:
    """The low-precision dtype autocast uses on ``device_type`` in this thread.

    >>> import tensorish
    >>> tensorish.get_autocast_dtype("cpu"), tensorish.get_autocast_dtype("cuda")
    (tensorish.bfloat16, tensorish.float16)
    """
    s = mode.autocast_state or _State()
    return s.dtypes.get(device_type, _dtype.float16)


def set_autocast_dtype(device_type: str, dtype: _dtype.dtype) -> None:
    """Set the low-precision dtype autocast uses on ``device_type`` in this thread.

    >>> import tensorish
    >>> tensorish.set_autocast_dtype("cpu", tensorish.bfloat16)
    """
    _state().dtypes[device_type] = dtype


def is_autocast_cache_enabled() -> bool:
    """Whether autocast keeps the low-precision copies of weights within a region.

    >>> import tensorish
    >>> tensorish.is_autocast_cache_enabled()
    True
    """
    s = mode.autocast_state
    return s is None or s.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Turn autocast's weight cache on or off in this thread.

    >>> import tensorish
    >>> tensorish.set_autocast_cache_enabled(True)
    """
    _state().cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Drop the weight copies autocast has cached in this thread.

    >>> import tensorish
    >>> tensorish.clear_autocast_cache()
    """
    if mode.autocast_state is not None:
        mode.autocast_state.cache.clear()


def autocast_increment_nesting() -> int:
    """Count one more autocast region entered in this thread; the new depth.

    >>> import tensorish
    >>> tensorish.autocast_increment_nesting(), tensorish.autocast_decrement_nesting()
    (1, 0)
    """
    s = _state()
    s.nesting += 1
    return s.nesting


def autocast_decrement_nesting() -> int:
    """Count one autocast region left in this thread; the new depth."""
    s = _state()
    s.nesting -= 1
    return s.nesting


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"torch.{old} is deprecated. Please use torch.{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def get_autocast_cpu_dtype() -> _dtype.dtype:
    """``get_autocast_dtype("cpu")`` (deprecated spelling)."""
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype() -> _dtype.dtype:
    """``get_autocast_dtype("cuda")`` (deprecated spelling)."""
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def is_autocast_cpu_enabled() -> bool:
    """``is_autocast_enabled("cpu")`` (deprecated spelling)."""
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    """``set_autocast_enabled("cpu", enabled)`` (deprecated spelling)."""
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype: _dtype.dtype) -> None:
    """``set_autocast_dtype("cpu", dtype)`` (deprecated spelling)."""
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype: _dtype.dtype) -> None:
    """``set_autocast_dtype("cuda", dtype)`` (deprecated spelling)."""
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


class autocast:
    """A region (context manager or decorator) where ops run in mixed precision.

    Inside, matmuls and convolutions run in ``dtype`` (default: bfloat16 on CPU, float16 on CUDA),
    losses and decompositions in float32, and ``cat``/``stack`` in the widest input type; every
    other op runs in the dtypes it is given. Regions nest, ``enabled=False`` turns autocast off
    within one, and the setting is per thread.

    Args:
        device_type: ``"cpu"`` or ``"cuda"``.
        dtype: the low-precision dtype (``get_autocast_dtype(device_type)`` when None).
        enabled: whether autocast is on in the region.
        cache_enabled: whether the low-precision copies of float32 weights are reused within
            the region (default: ``is_autocast_cache_enabled()``).

    >>> import tensorish
    >>> x = tensorish.ones(2, 2)
    >>> with tensorish.autocast("cpu", dtype=tensorish.float16):
    ...     y = x @ x
    ...     with tensorish.autocast("cpu", enabled=False):
    ...         z = x @ x
    >>> y.dtype, z.dtype
    (tensorish.float16, tensorish.float32)
    """

    def __init__(
        self,
        device_type: str,
        dtype: _dtype.dtype | None = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(device_type):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self._cache_enabled = (
            is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        )
        name = device_type.upper()
        if enabled:
            if device_type == "cuda":
                if not _device.jax_devices("cuda"):
                    warnings.warn(
                        "CUDA is not available or torch_xla is imported. Disabling autocast.",
                        stacklevel=2,
                    )
                    enabled = False
            elif self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
                warnings.warn(
                    f"In {name} autocast, but the target dtype is not supported. Disabling "
                    f"autocast.\n{name} Autocast only supports dtypes of torch.bfloat16, "
                    "torch.float16 currently.",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = enabled

    def __enter__(self) -> autocast:
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, *exc: object) -> None:
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast  # type: ignore[return-value]


def _cast_inputs(value: Any, device_type: str, dtype: _dtype.dtype) -> Any:
    """``value`` with its eligible floating tensors (in containers too) cast to ``dtype``."""
    if isinstance(value, Tensor):
        return value.to(dtype) if _eligible(value, device_type) else value
    if isinstance(value, dict):
        return {k: _cast_inputs(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_inputs(v, device_type, dtype) for v in value)
    return value


def custom_fwd(
    fwd: Callable | None = None,
    *,
    device_type: str,
    cast_inputs: _dtype.dtype | None = None,
) -> Callable:
    """Decorate a custom ``autograd.Function``'s ``forward`` for autocast.

    With ``cast_inputs``, inside an autocast region the floating tensor arguments are cast to it
    and ``forward`` runs with autocast off; without, ``forward`` runs under the current state,
    and ``custom_bwd`` runs ``backward`` under the same state.

    >>> import tensorish
    >>> class Double(tensorish.autograd.Function):
    ...     @staticmethod
    ...     @tensorish.amp.custom_fwd(device_type="cpu", cast_inputs=tensorish.float32)
    ...     def forward(ctx, x):
    ...         return x @ x
    ...     @staticmethod
    ...     @tensorish.amp.custom_bwd(device_type="cpu")
    ...     def backward(ctx, g):
    ...         return g
    >>> with tensorish.autocast("cpu"):
    ...     Double.apply(tensorish.ones(2, 2)).dtype
    tensorish.float32
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(
                *_cast_inputs(args, device_type, cast_inputs),
                **_cast_inputs(kwargs, device_type, cast_inputs),
            )

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorate a custom ``autograd.Function``'s ``backward`` to run under the autocast state
    its ``forward`` saw (see ``custom_fwd``)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(
            device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype
        ):
            return bwd(*args, **kwargs)

    return decorate_bwd

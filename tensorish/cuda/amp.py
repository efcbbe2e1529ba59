"""``tensorish.cuda.amp``: the deprecated CUDA spellings of ``tensorish.amp``.

>>> import tensorish
>>> issubclass(tensorish.cuda.amp.GradScaler, tensorish.amp.GradScaler)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from .. import _dtype, amp
from ..amp import _autocast_mode

__all__ = ["autocast", "custom_fwd", "custom_bwd", "GradScaler"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"`torch.cuda.amp.{old}(args...)` is deprecated. Please use `{new}` instead.",
        FutureWarning,
        stacklevel=3,
    )


class autocast(amp.autocast):
    """``tensorish.amp.autocast("cuda", ...)`` (deprecated spelling)."""

    def __init__(
        self, enabled: bool = True, dtype: _dtype.dtype = _dtype.float16, cache_enabled: bool = True
    ) -> None:
        _deprecated("autocast", "torch.amp.autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


def custom_fwd(fwd: Callable | None = None, *, cast_inputs: _dtype.dtype | None = None) -> Callable:
    """``tensorish.amp.custom_fwd(..., device_type="cuda")`` (deprecated spelling)."""
    _deprecated("custom_fwd", "torch.amp.custom_fwd(args..., device_type='cuda')")
    return _autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Callable) -> Callable:
    """``tensorish.amp.custom_bwd(..., device_type="cuda")`` (deprecated spelling)."""
    _deprecated("custom_bwd", "torch.amp.custom_bwd(args..., device_type='cuda')")
    return _autocast_mode.custom_bwd(bwd, device_type="cuda")


class GradScaler(amp.GradScaler):
    """``tensorish.amp.GradScaler("cuda", ...)`` (deprecated spelling)."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        _deprecated("GradScaler", "torch.amp.GradScaler('cuda', args...)")
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )

"""``tensorish.cpu.amp``: the deprecated CPU spellings of ``tensorish.amp``.

>>> import tensorish
>>> issubclass(tensorish.cpu.amp.GradScaler, tensorish.amp.GradScaler)
True
"""

from __future__ import annotations

import warnings

from .. import _dtype, amp

__all__ = ["autocast", "GradScaler"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"`torch.cpu.amp.{old}(args...)` is deprecated. Please use `{new}` instead.",
        FutureWarning,
        stacklevel=3,
    )


class autocast(amp.autocast):
    """``tensorish.amp.autocast("cpu", ...)`` (deprecated spelling)."""

    def __init__(
        self,
        enabled: bool = True,
        dtype: _dtype.dtype = _dtype.bfloat16,
        cache_enabled: bool = True,
    ) -> None:
        _deprecated("autocast", "torch.amp.autocast('cpu', args...)")
        super().__init__("cpu", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``tensorish.amp.GradScaler("cpu", ...)`` (deprecated spelling)."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        _deprecated("GradScaler", "torch.amp.GradScaler('cpu', args...)")
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)

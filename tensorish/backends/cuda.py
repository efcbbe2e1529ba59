"""``tensorish.backends.cuda``: CUDA switches; ``matmul.allow_tf32`` is JAX's default matmul
precision (``True``: TensorFloat32, ``False``: full float32).

>>> import tensorish
>>> tensorish.backends.cuda.matmul.allow_tf32 = False
>>> tensorish.get_float32_matmul_precision()
'highest'
"""

from __future__ import annotations

from typing import Any

from .. import cuda as _cuda
from .._mode import mode
from . import _flags


class _Matmul:
    """``torch.backends.cuda.matmul``: only torch's attribute names may be read or set."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _flags.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _flags.set_float32_matmul_precision("high" if value else "highest")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: Any) -> None:
        if not hasattr(type(self), name):
            raise AttributeError(f"Unknown attribute {name}")
        super().__setattr__(name, value)


matmul = _Matmul()


def is_built() -> bool:
    """Whether JAX has a CUDA backend here."""
    return _cuda.is_available()


# The attention backends' switches: the same state nn.attention.sdpa_kernel sets (the mode
# object's ``sdpa_enabled``), numbered as SDPBackend.
def _sdp_enabled(backend: int) -> bool:
    return backend in mode.sdpa_enabled


def _enable_sdp(backend: int, enabled: bool) -> None:
    mode.sdpa_enabled = mode.sdpa_enabled | {backend} if enabled else mode.sdpa_enabled - {backend}


def flash_sdp_enabled() -> bool:
    """Whether scaled dot-product attention may use its flash kernel.

    >>> import tensorish
    >>> tensorish.backends.cuda.flash_sdp_enabled()
    True
    """
    return _sdp_enabled(1)


def enable_flash_sdp(enabled: bool) -> None:
    """Allow or forbid the flash attention kernel."""
    _enable_sdp(1, enabled)


def mem_efficient_sdp_enabled() -> bool:
    """Whether the memory-efficient attention kernel may be used."""
    return _sdp_enabled(2)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allow or forbid the memory-efficient attention kernel."""
    _enable_sdp(2, enabled)


def math_sdp_enabled() -> bool:
    """Whether the math attention path may be used."""
    return _sdp_enabled(0)


def enable_math_sdp(enabled: bool) -> None:
    """Allow or forbid the math attention path."""
    _enable_sdp(0, enabled)


def cudnn_sdp_enabled() -> bool:
    """Whether the cuDNN attention kernel may be used."""
    return _sdp_enabled(3)


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allow or forbid the cuDNN attention kernel."""
    _enable_sdp(3, enabled)

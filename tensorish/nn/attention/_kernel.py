"""The attention backends (``SDPBackend``), the switch that enables them (``sdpa_kernel``) and
the choice ``nn.functional.scaled_dot_product_attention`` makes among them; which are enabled,
and in what order, lives on the mode object (``mode.sdpa_enabled``, ``mode.sdpa_order``).

The kernels are those ``jax.nn.dot_product_attention`` offers. ``MATH`` is XLA's matmul and
softmax (PyTorch's math path). ``FLASH_ATTENTION`` on the CPU is the same computation as one
fused op, with the conditions of PyTorch's CPU flash kernel (4-D inputs, no dropout).
``FLASH_ATTENTION`` and ``CUDNN_ATTENTION`` on an NVIDIA GPU are cuDNN's fused attention
(``implementation="cudnn"``: float16 or bfloat16, one head size, a multiple of 8 up to 128, no
dropout). ``EFFICIENT_ATTENTION`` and ``OVERRIDEABLE`` have no JAX kernel; on the CPU PyTorch
runs neither either, so there the choice is PyTorch's.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Iterator

from ..._mode import mode
from ..._tensor import Tensor

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """A scaled-dot-product-attention backend, numbered as PyTorch's.

    >>> import tensorish
    >>> int(tensorish.nn.attention.SDPBackend.FLASH_ATTENTION)
    1
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self) -> int:
        return self.value

    __index__ = __int__


@contextlib.contextmanager
def sdpa_kernel(
    backends: list[SDPBackend] | SDPBackend, set_priority: bool = False
) -> Iterator[dict]:
    """Enable only ``backends`` for scaled dot-product attention inside the block (with
    ``set_priority``, in their order); the previous backends come back on exit.

    >>> import tensorish
    >>> from tensorish.nn.attention import SDPBackend, sdpa_kernel
    >>> q = tensorish.ones(1, 1, 2, 8)
    >>> with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
    ...     tensorish.nn.functional.scaled_dot_product_attention(q, q, q).shape
    tensorish.Size([1, 1, 2, 8])
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
            f"got {type(backends).__name__}"
        )
    chosen = list(dict.fromkeys([backends] if isinstance(backends, SDPBackend) else backends))
    previous = mode.sdpa_enabled, mode.sdpa_order
    try:
        mode.sdpa_enabled = frozenset(int(b) for b in chosen if b is not SDPBackend.ERROR)
        if set_priority:
            first = tuple(int(b) for b in chosen)
            mode.sdpa_order = first + tuple(b for b in previous[1] if b not in first)
        yield {}
    finally:
        mode.sdpa_enabled, mode.sdpa_order = previous


def _reasons(backend: SDPBackend, q: Tensor, k: Tensor, v: Tensor, mask, dropout_p: float):
    """Why ``backend`` cannot run these inputs here (PyTorch gives no reason for a mask that
    requires grad: it says only that the kernel was not used): None if it can, and ``()`` for
    a backend PyTorch does not consider on this device."""
    if backend is SDPBackend.MATH:
        return None
    gpu = q.device.type == "cuda"
    if backend is SDPBackend.EFFICIENT_ATTENTION and gpu:
        return ["JAX offers no memory-efficient attention kernel."]
    if backend not in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION) or (
        backend is SDPBackend.CUDNN_ATTENTION and not gpu
    ):
        return ()
    reasons = []
    if dropout_p > 0.0:
        reasons.append("Both fused kernels do not support non-zero dropout.")
    if not q.ndim == k.ndim == v.ndim == 4:
        reasons.append(
            "All fused kernels requires query, key and value to be 4 dimensional, but got "
            f"Query dim: {q.ndim}, Key dim: {k.ndim}, Value dim: {v.ndim} instead."
        )
    if gpu:
        if q.dtype.itemsize != 2 or not q.dtype.is_floating_point:
            reasons.append("cuDNN attention requires query, key and value of float16 or bfloat16.")
        e = q.shape[-1]
        if not (e == k.shape[-1] == v.shape[-1] and e % 8 == 0 and e <= 128):
            reasons.append("cuDNN attention requires one head size, a multiple of 8 up to 128.")
    masked_grad = isinstance(mask, Tensor) and mask.requires_grad
    return reasons if reasons or masked_grad else None


def select(q: Tensor, k: Tensor, v: Tensor, mask, dropout_p: float) -> SDPBackend:
    """The enabled backend, first in priority order (on the CPU: flash, then math, as PyTorch's)
    that can run these inputs; PyTorch's warnings and error when none can."""
    order = mode.sdpa_order if q.device.type == "cuda" else (1, 0)
    tried = {}
    for b in map(SDPBackend, order):
        if int(b) not in mode.sdpa_enabled:
            continue
        reasons = _reasons(b, q, k, v, mask, dropout_p)
        if reasons is None:
            return b
        if reasons != ():
            tried[b] = reasons
    if not tried:
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely due "
            "to turning off both the math kernel and the fused kernels."
        )
    for b, reasons in tried.items():
        kernel = "Flash attention" if b is SDPBackend.FLASH_ATTENTION else b.name
        for message in (f"{kernel} kernel not used because:", *reasons):
            warnings.warn(message, UserWarning, stacklevel=3)
    raise RuntimeError("No available kernel.  Aborting execution.")

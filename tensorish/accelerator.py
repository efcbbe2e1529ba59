"""``tensorish.accelerator``: the machine's accelerator as JAX sees it, as ``torch.accelerator``.

The accelerator is JAX's default backend when that is not the CPU: a GPU (``cuda``) or a TPU
(``tpu``). On a CPU-only machine there is none, and the answers are torch's there.

>>> import tensorish
>>> acc = tensorish.accelerator.current_accelerator()
>>> acc is None or acc.type in ("cuda", "tpu")
True
"""

from __future__ import annotations

import jax

from . import cuda as _cuda
from ._device import device as _device

_TORCH_TYPE = {"gpu": "cuda", "tpu": "tpu"}
_NONE = "Cannot access accelerator device when none is available."


class _TpuIndex:
    """The current TPU index (a CUDA accelerator's is ``tensorish.cuda.current_device()``)."""

    value = 0


def _devices() -> list:
    platform = jax.default_backend()
    return jax.devices(platform) if platform in _TORCH_TYPE else []


def current_accelerator(check_available: bool = False) -> _device | None:
    """The accelerator's device type (``device(type='cuda')``), or None on a CPU-only machine.

    >>> import tensorish
    >>> tensorish.accelerator.current_accelerator() == (
    ...     tensorish.device("cuda") if tensorish.cuda.is_available() else None)
    True
    """
    platform = jax.default_backend()
    if platform not in _TORCH_TYPE or (check_available and not is_available()):
        return None
    return _device(_TORCH_TYPE[platform])


def is_available() -> bool:
    """Whether an accelerator is present.

    >>> import tensorish
    >>> tensorish.accelerator.is_available() == (tensorish.accelerator.device_count() > 0)
    True
    """
    return bool(_devices())


def device_count() -> int:
    """How many devices the accelerator has (0 without one)."""
    return len(_devices())


def current_device_index() -> int:
    """The index of the current accelerator device."""
    acc = current_accelerator()
    if acc is None:
        raise RuntimeError(_NONE)
    return _cuda.current_device() if acc.type == "cuda" else _TpuIndex.value


def _device_index(device: _device | str | int | None, optional: bool) -> int:
    """``device`` as an index of the accelerator (the current one for None if ``optional``)."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _device(device)
    index = None
    if isinstance(device, _device):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(
                f"Expected a torch.device with a specified index or an integer, but got:{device}"
            )
        return current_device_index()
    return index


def set_device_index(device: _device | str | int | None, /) -> None:
    """Make ``device`` (an index or ``"cuda:1"``) the current accelerator device; a negative
    index is a no-op, as in torch."""
    index = _device_index(device, optional=False)
    if index < 0:
        return
    acc = current_accelerator()
    if acc is None:
        raise RuntimeError(_NONE)
    if acc.type == "cuda":
        _cuda.set_device(index)
    elif index >= device_count():
        raise RuntimeError(f"tpu:{index} is out of range")
    else:
        _TpuIndex.value = index


def synchronize(device: _device | str | int | None = None, /) -> None:
    """Wait until all work queued on the accelerator has finished."""
    _device_index(device, optional=True)
    if current_accelerator() is None:
        raise RuntimeError(_NONE)
    jax.effects_barrier()
    for arr in jax.live_arrays():
        arr.block_until_ready()

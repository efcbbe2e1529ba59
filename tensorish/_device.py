"""Devices: PyTorch's ``device('cpu' | 'cuda:1' | 'tpu')`` mapped onto ``jax.local_devices()``.

As in PyTorch, tensors are created on the CPU unless a device is asked for (or set as default),
even where an accelerator is present. A leaf of the package; moving a tensor between devices is
an op (``ops/_device_ops``).
"""

from __future__ import annotations

import threading

import jax

_JAX_PLATFORM = {"cpu": "cpu", "cuda": "gpu", "gpu": "gpu", "tpu": "tpu"}
_TORCH_TYPE = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda", "tpu": "tpu"}


class device:
    """Where a tensor lives.

    >>> import tensorish
    >>> tensorish.device("cuda:1")
    device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _JAX_PLATFORM:
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                "fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type "
                f"at start of device string: {type}"
            )
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = "cuda" if type == "gpu" else type
        self.index = index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def jax_devices(type: str) -> list:
    """This process's devices of a type (in a multi-process job, as in PyTorch, ``cuda:0`` is
    the process's first GPU)."""
    try:
        return jax.local_devices(backend=_JAX_PLATFORM[type])
    except RuntimeError:
        return []


def to_jax(dev: device | str | int | None):
    """The ``jax.Device`` for a PyTorch-style device (None: the default device)."""
    if dev is None:
        return get_default_jax()
    dev = dev if isinstance(dev, device) else device(dev)
    devs = jax_devices(dev.type)
    if not devs:
        if dev.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"{dev.type} device is not available")
    idx = dev.index or 0
    if idx >= len(devs):
        raise RuntimeError(
            "CUDA error: invalid device ordinal"
            if dev.type == "cuda"
            else f"{dev.type}:{idx} is out of range"
        )
    return devs[idx]


def from_jax(jdev) -> device:
    """The PyTorch-style device of a ``jax.Device``."""
    kind = _TORCH_TYPE.get(jdev.platform, jdev.platform)
    return device("cpu") if kind == "cpu" else device(kind, jdev.id)


_state = threading.local()


def get_default_jax():
    d = getattr(_state, "default", None)
    if d is not None:
        return d
    # Not cached: joining a multi-process job (tensorish.distributed) restarts JAX's backends.
    return jax.local_devices(backend="cpu")[0]


def set_default_device(dev: device | str | None) -> None:
    """Create new tensors on ``dev`` (None: back to the CPU)."""
    _state.default = None if dev is None else to_jax(dev)


def get_default_device() -> device:
    """The device new tensors are created on."""
    return from_jax(get_default_jax())


def device_of(value: jax.Array):
    """The ``jax.Device`` an array lives on."""
    return next(iter(value.devices()))


def _name(jdev) -> str:
    dev = from_jax(jdev)
    return f"cpu:{jdev.id}" if dev.type == "cpu" and jdev.id else str(dev)


def check_same_device(tensors) -> None:
    """Raise PyTorch's error when ``tensors`` (an op's operands) span several devices.

    >>> import tensorish
    >>> check_same_device([tensorish.ones(1), tensorish.ones(2)])
    """
    first = None
    for t in tensors:
        value = getattr(t, "_value", None)
        if not isinstance(value, jax.Array):  # None, or host data (NumPy) that goes anywhere
            continue
        dev = device_of(value)
        if first is None:
            first = dev
        elif dev != first:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at "
                f"least two devices, {_name(first)} and {_name(dev)}!"
            )

"""``tensorish.cuda``: CUDA devices as JAX sees them (``jax.devices("gpu")``).

>>> import tensorish
>>> isinstance(tensorish.cuda.is_available(), bool)
True
"""

from __future__ import annotations

from typing import Any

import jax

from .. import _device, _random
from .._legacy import LEGACY_DTYPES, typed
from .._mode import mode

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "get_rng_state",
    "get_rng_state_all",
    "set_rng_state",
    "set_rng_state_all",
    "seed",
    "seed_all",
    "initial_seed",
    "is_bf16_supported",
    "get_device_name",
    "is_initialized",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]


def _require() -> list:
    devs = _device.jax_devices("cuda")
    if not devs:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return devs


def is_available() -> bool:
    """Whether a CUDA device is present."""
    return bool(_device.jax_devices("cuda"))


def is_initialized() -> bool:
    return is_available()


def device_count() -> int:
    """How many CUDA devices there are (0 without CUDA)."""
    return len(_device.jax_devices("cuda"))


def current_device() -> int:
    """The index of the current CUDA device (per thread, as in PyTorch)."""
    _require()
    return mode.cuda_device


def set_device(device: Any) -> None:
    """Make ``device`` (an index, ``"cuda:1"`` or a ``device``) the current CUDA device."""
    idx = device if isinstance(device, int) else _device.device(device).index or 0
    if idx < 0:
        return
    if idx >= len(_require()):
        raise RuntimeError("CUDA error: invalid device ordinal")
    mode.cuda_device = idx


def _index(device: Any) -> int:
    """The CUDA device index ``device`` ("cuda", "cuda:1", an int or a device) names."""
    if isinstance(device, int):
        return device
    dev = device if isinstance(device, _device.device) else _device.device(device)
    return current_device() if dev.index is None else dev.index


def get_device_name(device: Any = None) -> str:
    devs = _require()
    idx = mode.cuda_device if device is None else _index(device)
    return getattr(devs[idx], "device_kind", str(devs[idx]))


def synchronize(device: Any = None) -> None:
    """Wait until all queued work has finished."""
    _require()
    jax.effects_barrier()
    for arr in jax.live_arrays():
        arr.block_until_ready()


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's generator (a no-op without CUDA, as in PyTorch)."""
    if is_available():
        _random.cuda_generator(current_device()).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator (a no-op without CUDA, as in PyTorch)."""
    for idx in range(device_count()):
        _random.cuda_generator(idx).manual_seed(seed)


def get_rng_state(device: Any = "cuda") -> Any:
    """The state of CUDA device ``device``'s generator, as a uint8 tensor.

    >>> import tensorish
    >>> tensorish.cuda.get_rng_state_all() if not tensorish.cuda.is_available() else []
    []
    """
    _require()
    return _random.cuda_generator(_index(device)).get_state()


def get_rng_state_all() -> list:
    """The states of every CUDA device's generator (none without CUDA)."""
    return [_random.cuda_generator(i).get_state() for i in range(device_count())]


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Restore CUDA device ``device``'s generator to ``new_state``."""
    _require()
    _random.cuda_generator(_index(device)).set_state(new_state)


def set_rng_state_all(new_states: Any) -> None:
    """Restore every CUDA device's generator, one state each."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def seed() -> None:
    if is_available():
        _random.cuda_generator(current_device()).seed()


def seed_all() -> None:
    if is_available():
        s = _random.cuda_generator(0).seed()
        for idx in range(1, device_count()):
            _random.cuda_generator(idx).manual_seed(s)


def initial_seed() -> int:
    return _random.cuda_generator(current_device()).initial_seed()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 works on the current CUDA device (False without CUDA, as in PyTorch).
    XLA computes bfloat16 on every CUDA GPU; natively from compute capability 8.0.

    >>> import tensorish
    >>> tensorish.cuda.is_bf16_supported() == tensorish.cuda.is_available()
    True
    """
    if not is_available():
        return False
    if including_emulation:
        return True
    capability = getattr(_require()[current_device()], "compute_capability", "0")
    return float(capability) >= 8.0


# The legacy CUDA tensor types: constructors of CUDA tensors, and their type in ``isinstance``.
(
    FloatTensor,
    DoubleTensor,
    HalfTensor,
    BFloat16Tensor,
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
) = (typed(d, "tensorish.cuda") for d in LEGACY_DTYPES)

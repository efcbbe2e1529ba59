"""``tensorish.random``: PyTorch's ``torch.random`` (the default generator, its seed and state,
and ``fork_rng``).

>>> import tensorish
>>> _ = tensorish.random.manual_seed(0)
>>> with tensorish.random.fork_rng():
...     a = tensorish.rand(2)
>>> bool((tensorish.rand(2) == a).all())
True
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator

from . import _device, accelerator, cuda
from ._random import Generator as Generator
from ._random import default_generator as default_generator
from ._random import get_rng_state as get_rng_state
from ._random import initial_seed as initial_seed
from ._random import manual_seed as manual_seed
from ._random import seed as seed
from ._random import set_rng_state as set_rng_state

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
    "thread_safe_generator",
]

_fork_rng_warned_already = False


@contextlib.contextmanager
def fork_rng(
    devices: Iterable[int] | None = None,
    enabled: bool = True,
    _caller: str = "fork_rng",
    _devices_kw: str = "devices",
    device_type: str | None = None,
) -> Iterator[None]:
    """Restore the default generator's state, and that of each CUDA device in ``devices``
    (all of them when None), when the block ends.

    >>> import tensorish
    >>> with tensorish.random.fork_rng(devices=[]):
    ...     _ = tensorish.randn(3)
    """
    global _fork_rng_warned_already
    if device_type == "meta":
        yield
        return
    acc = accelerator.current_accelerator()
    kind = device_type or (str(acc.type) if acc is not None else "cuda")
    _device.device(kind)  # an unknown type raises PyTorch's error
    if not enabled:
        yield
        return
    count = cuda.device_count() if kind == "cuda" else 0
    if devices is None:
        if count > 1 and not _fork_rng_warned_already:
            name = kind.upper()
            warnings.warn(
                f"{name} reports that you have {count} available devices, and you have used "
                f"{_caller} without explicitly specifying which devices are being used. For "
                f"safety, we initialize *every* {name} device by default, which can be quite slow "
                f"if you have a lot of {name}s. If you know that you are only making use of a few "
                f"{name} devices, set the environment variable {name}_VISIBLE_DEVICES or the "
                f"'{_devices_kw}' keyword argument of {_caller} with the set of devices you are "
                "actually using. For example, if you are using CPU only, set "
                "device.upper()_VISIBLE_DEVICES= or devices=[]; if you are using device 0 only, "
                f"set {name}_VISIBLE_DEVICES=0 or devices=[0].  To initialize all devices and "
                f"suppress this warning, set the '{_devices_kw}' keyword argument to "
                f"`range(torch.{kind}.device_count())`.",
                stacklevel=3,
            )
            _fork_rng_warned_already = True
        devices = range(count)
    devices = list(devices) if kind == "cuda" else []
    cpu_state = get_rng_state()
    device_states = [cuda.get_rng_state(d) for d in devices]
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for d, state in zip(devices, device_states):
            cuda.set_rng_state(state, d)


def thread_safe_generator() -> Generator | None:
    """The generator of the DataLoader thread worker this runs in; None elsewhere. tensorish's
    DataLoader workers are processes, so this is always None (draws use the default generator).

    >>> import tensorish
    >>> tensorish.random.thread_safe_generator() is None
    True
    """
    return None

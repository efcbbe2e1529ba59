"""Storages while loading, and where they go: PyTorch's ``map_location`` rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _device


class Storage:
    """The bytes of one saved storage and the device they are headed for.

    This is what a ``map_location`` callable receives (torch passes an ``UntypedStorage`` on the
    CPU) and may move with ``.cpu()``, ``.cuda(index)`` or ``.to(device=...)``.
    """

    __slots__ = ("data", "device")

    def __init__(self, data: np.ndarray, device: _device.device) -> None:
        self.data = data
        self.device = device

    def __repr__(self) -> str:
        return f"<tensorish storage of {self.data.nbytes} bytes on {self.device}>"

    def nbytes(self) -> int:
        return self.data.nbytes

    def cpu(self) -> Storage:
        return Storage(self.data, _device.device("cpu"))

    def cuda(self, device: int | str | _device.device | None = None) -> Storage:
        if device is None or isinstance(device, int):
            device = _device.device("cuda", device or 0)
        return self.to(device=device)

    def to(self, *, device: int | str | _device.device) -> Storage:
        dev = device if isinstance(device, _device.device) else _device.device(device)
        _device.to_jax(dev)  # torch's errors for a device that is missing
        return Storage(self.data, dev)


def restore(storage: Storage, location: Any) -> Storage:
    """torch's ``default_restore_location``: ``storage`` on the device a location tag names."""
    location = str(location)
    if location == "cpu":
        return storage.cpu()
    m = re.fullmatch(r"(cuda|tpu)(?::(\d+))?", location)
    if m is None:
        raise RuntimeError(
            "don't know how to restore data location of torch.storage.UntypedStorage "
            f"(tagged with {location})"
        )
    kind, index = m.group(1), int(m.group(2) or 0)
    count = len(_device.jax_devices(kind))
    if count == 0:
        raise RuntimeError(
            f"Attempting to deserialize object on a {kind.upper()} device but "
            f"torch.{kind}.is_available() is False. If you are running on a CPU-only machine, "
            "please use torch.load with map_location=torch.device('cpu') to map your storages "
            "to the CPU."
        )
    if index >= count:
        raise RuntimeError(
            f"Attempting to deserialize object on {kind.upper()} device {index} but "
            f"torch.{kind}.device_count() is {count}. Please use torch.load with map_location to "
            "map your storages to an existing device."
        )
    return Storage(storage.data, _device.device(kind, index))


def restorer(map_location: Any) -> Callable[[Storage, str], Storage]:
    """How each storage is placed, for every form of ``map_location`` torch accepts: None, a
    device or its name, a dict from saved location tags to new ones, or a callable
    ``(storage, location)`` returning a storage (or None for the default)."""
    if map_location is None:
        return restore
    if isinstance(map_location, dict):
        return lambda storage, location: restore(storage, map_location.get(location, location))
    if isinstance(map_location, (str, _device.device)):
        return lambda storage, location: restore(storage, map_location)

    def call(storage: Storage, location: str) -> Storage:
        moved = map_location(storage, location)
        return restore(storage, location) if moved is None else moved

    return call

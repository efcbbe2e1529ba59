"""PyTorch's checkpoint formats: the zip format (torch >= 1.6) and the legacy stream before it.

Zip: ``<archive>/data.pkl`` (the pickle, tensors as ``torch._utils._rebuild_tensor_v2`` of a
persistent id ``('storage', torch.FloatStorage, key, location, numel)``), ``<archive>/data/<key>``
(each storage's raw bytes), ``.format_version``, ``.storage_alignment``, ``byteorder``,
``version`` and ``.data/serialization_id``.

Legacy: a pickled magic number, protocol version and system info, the pickle itself (persistent
ids carry a sixth item, a view, always None), a pickled list of storage keys, then each storage as
its element count (int64) and its bytes.
"""

from __future__ import annotations

import io
import struct
import sys
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from .._tensor import Tensor
from . import _zip
from ._errors import bad_file, unsupported
from ._pickler import Pickler, storage_type
from ._rebuild import Loader, not_allowed
from ._storage import Storage
from ._unpickler import Unpickler

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
# What the legacy format starts with: the magic number pickled with protocol 2.
LEGACY_PREFIX = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
_RECORDS = {
    "data.pkl",
    "version",
    ".data/version",
    ".format_version",
    ".storage_alignment",
    "byteorder",
    ".data/serialization_id",
}


class _Storages:
    """The storage key of each tensor, one per distinct array (tied weights stay one storage)."""

    def __init__(self) -> None:
        self.keys: dict[int, str] = {}
        self.tensors: list[Tensor] = []

    def key(self, t: Tensor) -> str:
        value = t.jax()
        key = self.keys.get(id(value))
        if key is None:
            key = self.keys[id(value)] = str(len(self.tensors))
            self.tensors.append(t)
        return key

    def zip_id(self, t: Tensor) -> tuple:
        # interned, as torch's location strings are, so the pickle names each location once
        location = sys.intern(str(t.device))
        return ("storage", storage_type(t.dtype), self.key(t), location, t.numel())

    def legacy_id(self, t: Tensor) -> tuple:
        return self.zip_id(t) + (None,)


def _host_bytes(t: Tensor) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(t.jax())).reshape(-1).view(np.uint8)


def _no_tensors(t: Tensor) -> tuple:
    raise AssertionError("no tensors here")


def write_zip(obj: Any, fh: IO[bytes], archive: str) -> None:
    storages = _Storages()
    data = Pickler(storages.zip_id).dumps(obj)
    zw = _zip.ZipWriter(fh, archive)
    zw.record("data.pkl", data)
    zw.record(".format_version", b"1")
    zw.record(".storage_alignment", str(_zip.ALIGNMENT).encode())
    zw.record("byteorder", sys.byteorder.encode())
    for i, t in enumerate(storages.tensors):
        zw.record(f"data/{i}", _host_bytes(t))
    zw.record("version", b"3\n")
    zw.close()


def write_legacy(obj: Any, fh: IO[bytes]) -> None:
    storages = _Storages()
    data = Pickler(storages.legacy_id).dumps(obj)
    sys_info = {
        "protocol_version": PROTOCOL_VERSION,
        "little_endian": sys.byteorder == "little",
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        fh.write(Pickler(_no_tensors).dumps(header))
    fh.write(data)
    keys = sorted(storages.keys.values())
    fh.write(Pickler(_no_tensors).dumps(keys))
    for key in keys:
        t = storages.tensors[int(key)]
        fh.write(struct.pack("<q", t.numel()))
        fh.write(_host_bytes(t))


def _unpickler(fh: IO[bytes], end: int, loader: Loader, encoding: str) -> Unpickler:
    return Unpickler(
        fh,
        end,
        loader.table,
        not_allowed,
        loader.table["torch.nn.parameter.Parameter"],
        loader.persistent_load,
        encoding,
    )


def read_zip(
    fh: IO[bytes],
    entries: dict[str, _zip.Entry],
    place: Callable[[Storage, str], Storage],
    encoding: str,
) -> Any:
    archive = next(iter(entries)).split("/")[0]
    records = {}
    for name, entry in entries.items():
        folder, _, record = name.partition("/")
        if folder != archive or not (record in _RECORDS or record.startswith("data/")):
            if record == "constants.pkl":
                raise unsupported("a TorchScript archive (torch.jit.save); use torch.jit.load")
            raise bad_file(f"unexpected entry {name!r}")
        records[record] = entry
    if "data.pkl" not in records:
        raise bad_file(f"no {archive}/data.pkl")
    order = _read_small(fh, records.get("byteorder"), b"little")
    if order not in (b"little", b"big"):
        raise ValueError("Unknown endianness type: " + order.decode("utf-8", "replace"))

    def fetch(key: str, nbytes: int) -> np.ndarray:
        entry = records.get(f"data/{key}")
        if entry is None:
            raise bad_file(f"the pickle uses storage {key!r}, but there is no data/{key}")
        if entry.size != nbytes:
            raise bad_file(f"data/{key} holds {entry.size} bytes, but the pickle declares {nbytes}")
        return _zip.read(fh, entry)

    data_bytes = sum(e.size for r, e in records.items() if r.startswith("data/"))
    loader = Loader(fetch, place, data_bytes, swap_bytes=order.decode() != sys.byteorder)
    pickle_bytes = _zip.read(fh, records["data.pkl"]).tobytes()
    return _unpickler(io.BytesIO(pickle_bytes), len(pickle_bytes), loader, encoding).load()


def _read_small(fh: IO[bytes], entry: _zip.Entry | None, default: bytes) -> bytes:
    if entry is None:
        return default
    if entry.size > 16:
        raise bad_file(f"{entry.name!r} is {entry.size} bytes long")
    return _zip.read(fh, entry).tobytes()


def read_legacy(
    fh: IO[bytes], length: int, place: Callable[[Storage, str], Storage], encoding: str
) -> Any:
    def no_data(key: str, nbytes: int) -> np.ndarray:
        raise AssertionError("the first pass reads no storage")

    dry = Loader(no_data, place, 0, dry=True)
    if _unpickler(fh, length, dry, encoding).load() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = _unpickler(fh, length, dry, encoding).load()
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    _unpickler(fh, length, dry, encoding).load()  # system info
    start = fh.tell()
    _unpickler(fh, length, dry, encoding).load()
    keys = _unpickler(fh, length, dry, encoding).load()
    if (
        not isinstance(keys, list)
        or not all(isinstance(key, str) for key in keys)
        or sorted(keys) != sorted(dry.used)
    ):
        raise bad_file("the storage list does not match the storages the pickle uses")
    data: dict[str, np.ndarray] = {}
    for key in keys:
        dtype, numel = dry.used[key]
        header = fh.read(8)
        if len(header) != 8 or struct.unpack("<q", header)[0] != numel:
            raise bad_file(f"storage {key!r} does not hold the {numel} elements it declares")
        nbytes = numel * dtype.itemsize
        if nbytes > length - fh.tell():
            raise bad_file(f"storage {key!r} declares {nbytes} bytes, more than the file holds")
        data[key] = _zip.read_exact(fh, nbytes, f"storage {key!r}")
    loader = Loader(lambda key, nbytes: data[key], place, sum(d.nbytes for d in data.values()))
    fh.seek(start)
    return _unpickler(fh, length, loader, encoding).load()

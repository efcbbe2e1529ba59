"""``distributed.checkpoint.save``/``load``: each process writes its shards, any layout reads them.

A checkpoint is a directory: ``__<rank>_0.distcp`` per rank, an uncompressed NumPy ``.npz`` of
the chunks that rank wrote (raw bytes, so every dtype survives), and ``.metadata``, JSON written
by rank 0: for each tensor its global shape, dtype and chunks (offsets, sizes, file, entry), and
every non-tensor value. A distributed tensor's chunks are its shards (each written once, by the
process holding its first replica); a process-local tensor, like any other value, is written by
rank 0. ``load`` fills the given state dict in place: each process reads, for each of its shards
of each target tensor, only the chunks that overlap it, so a checkpoint written by 4 processes
loads into 2 processes, into 1, or into a different sharding. Nothing is unpickled.

This is tensorish's own format: PyTorch's ``torch.distributed.checkpoint`` files are not read.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any

import jax
import numpy as np

from ..._tensor import Tensor
from .._collectives import all_gather_object, barrier
from .._process import is_initialized, resolve

_METADATA = ".metadata"


class FileSystemWriter:
    """Where ``save`` writes: a directory.

    >>> FileSystemWriter("/tmp/ckpt").path
    '/tmp/ckpt'
    """

    def __init__(self, path: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        self.path = os.fspath(path)


class FileSystemReader:
    """Where ``load`` reads: a directory written by ``save``."""

    def __init__(self, path: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        self.path = os.fspath(path)


class Metadata:
    """What a checkpoint holds: ``state_dict_metadata`` maps each key path to its entry."""

    def __init__(self, state_dict_metadata: dict) -> None:
        self.state_dict_metadata = state_dict_metadata


def flatten(tree: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any, Any, Any]]:
    """(path, value, container, key) of every leaf of nested dicts and lists."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for k, v in items:
        if isinstance(v, (dict, list)) and v:
            yield from flatten(v, (*path, k))
        else:
            yield (*path, k), v, tree, k


def _encode(v: Any) -> Any:
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {"__dict__": [[_encode(k), _encode(x)] for k, x in v.items()]}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(
        f"distributed.checkpoint saves tensors and plain values (numbers, strings, lists, "
        f"tuples, dicts); got {type(v).__name__}"
    )


def _decode(v: Any) -> Any:
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        if "__tuple__" in v:
            return tuple(_decode(x) for x in v["__tuple__"])
        return {_decode(k): _decode(x) for k, x in v["__dict__"]}
    return v


def _path_key(path: tuple) -> str:
    return json.dumps(list(path))


def _bounds(index: tuple, shape: tuple) -> list[tuple[int, int]]:
    return [s.indices(n)[:2] for s, n in zip(index, shape)] if shape else []


def _chunks(a: jax.Array, rank: int) -> list[tuple[list, list, np.ndarray]]:
    """(offsets, sizes, data) of the pieces of ``a`` this process writes."""
    if a.is_fully_addressable and len(a.sharding.device_set) == 1:
        if rank != 0:
            return []
        return [([0] * a.ndim, list(a.shape), np.asarray(a))]
    out = []
    for shard in a.addressable_shards:
        if shard.replica_id != 0 or (a.is_fully_addressable and rank != 0):
            continue
        bounds = _bounds(shard.index, a.shape)
        out.append(([b[0] for b in bounds], [b[1] - b[0] for b in bounds], np.asarray(shard.data)))
    return out


def _raw(data: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(data).reshape(-1).view(f"V{data.dtype.itemsize}")


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _group(process_group: Any, no_dist: bool) -> Any:
    return None if no_dist or not is_initialized() else resolve(process_group)


def _directory(checkpoint_id: Any, storage: Any) -> str:
    if storage is not None:
        return storage.path
    if checkpoint_id is None:
        raise ValueError("checkpoint_id and storage_writer/storage_reader cannot both be None.")
    return os.fspath(checkpoint_id)


def save(
    state_dict: dict,
    *,
    checkpoint_id: str | os.PathLike | None = None,
    storage_writer: FileSystemWriter | None = None,
    planner: Any = None,
    process_group: Any = None,
    no_dist: bool = False,
) -> Metadata:
    """Write ``state_dict`` (nested dicts and lists of tensors and plain values) to a checkpoint
    directory; every rank calls it, and each writes the shards it holds.

    >>> import tempfile, tensorish
    >>> import tensorish.distributed.checkpoint as dcp
    >>> path = tempfile.mkdtemp()
    >>> _ = dcp.save({"w": tensorish.ones(2), "step": 3}, checkpoint_id=path)
    >>> sd = {"w": tensorish.zeros(2), "step": 0}
    >>> dcp.load(sd, checkpoint_id=path)
    >>> sd
    {'w': tensor([1., 1.]), 'step': 3}
    """
    path = _directory(checkpoint_id, storage_writer)
    pg = _group(process_group, no_dist)
    rank = 0 if pg is None else pg.rank()
    os.makedirs(path, exist_ok=True)
    file = f"__{rank}_0.distcp"
    arrays: dict[str, np.ndarray] = {}
    mine: list = []
    tensors: dict[str, dict] = {}
    values: dict[str, Any] = {}
    for path_, v, _, _ in flatten(state_dict):
        key = _path_key(path_)
        if isinstance(v, Tensor):
            a = v._value
            tensors[key] = {"shape": list(a.shape), "dtype": np.dtype(a.dtype).name, "chunks": []}
            for offsets, sizes, data in _chunks(a, rank):
                entry = f"c{len(arrays)}"
                arrays[entry] = _raw(data)
                chunk = {"offsets": offsets, "sizes": sizes, "file": file, "entry": entry}
                mine.append((key, chunk))
        elif rank == 0:
            values[key] = _encode(v)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _write_atomic(os.path.join(path, file), buffer.getvalue())
    every = [mine]
    if pg is not None and pg.size() > 1:
        every = [None] * pg.size()
        all_gather_object(every, mine, pg)
    for chunks in every:
        for key, chunk in chunks:
            tensors[key]["chunks"].append(chunk)
    metadata = {"tensors": tensors, "values": values}
    if rank == 0:
        _write_atomic(os.path.join(path, _METADATA), json.dumps(metadata).encode())
    if pg is not None and pg.size() > 1:
        barrier(pg)
    return Metadata({**tensors, **values})


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.files: dict[str, Any] = {}

    def chunk(self, chunk: dict, dtype: np.dtype) -> np.ndarray:
        f = self.files.get(chunk["file"])
        if f is None:
            f = self.files[chunk["file"]] = np.load(
                os.path.join(self.path, chunk["file"]), allow_pickle=False
            )
        return f[chunk["entry"]].view(dtype).reshape(chunk["sizes"])

    def region(self, entry: dict, bounds: list[tuple[int, int]]) -> np.ndarray:
        """The part ``bounds`` of a saved tensor, from the chunks that overlap it."""
        dtype = np.dtype(jax.numpy.dtype(entry["dtype"]))
        out = np.empty([b - a for a, b in bounds], dtype)
        for chunk in entry["chunks"]:
            lo = [max(a, o) for (a, _), o in zip(bounds, chunk["offsets"])]
            hi = [min(b, o + s) for (_, b), o, s in zip(bounds, chunk["offsets"], chunk["sizes"])]
            if any(x >= y for x, y in zip(lo, hi)):
                continue
            src = tuple(slice(x - o, y - o) for x, y, o in zip(lo, hi, chunk["offsets"]))
            dst = tuple(slice(x - a, y - a) for x, y, (a, _) in zip(lo, hi, bounds))
            out[dst] = self.chunk(chunk, dtype)[src]
        return out


def _read_into(reader: _Reader, entry: dict, target: Tensor) -> jax.Array:
    """The saved tensor laid out as ``target`` is (its devices, its shards, its dtype)."""
    a = target._value
    dtype = a.dtype
    if a.is_fully_addressable and len(a.sharding.device_set) == 1:
        full = reader.region(entry, [(0, n) for n in a.shape])
        return jax.device_put(full.astype(dtype), next(iter(a.devices())))
    pieces = [
        jax.device_put(reader.region(entry, _bounds(s.index, a.shape)).astype(dtype), s.device)
        for s in a.addressable_shards
    ]
    return jax.make_array_from_single_device_arrays(a.shape, a.sharding, pieces)


def load(
    state_dict: dict,
    *,
    checkpoint_id: str | os.PathLike | None = None,
    storage_reader: FileSystemReader | None = None,
    planner: Any = None,
    process_group: Any = None,
    no_dist: bool = False,
) -> None:
    """Fill ``state_dict`` in place from a checkpoint: each tensor keeps its layout (devices,
    sharding, dtype) and receives the saved values; other values are replaced."""
    path = _directory(checkpoint_id, storage_reader)
    with open(os.path.join(path, _METADATA)) as f:
        metadata = json.load(f)
    tensors, values = metadata["tensors"], metadata["values"]
    reader = _Reader(path)
    for path_, target, container, k in flatten(state_dict):
        key = _path_key(path_)
        name = ".".join(map(str, path_))
        if isinstance(target, Tensor):
            if key not in tensors:
                raise RuntimeError(f"Missing key in checkpoint state_dict: {name}.")
            entry = tensors[key]
            if list(target.shape) != entry["shape"]:
                raise ValueError(
                    f"Size mismatch between saved {entry['shape']} and current: "
                    f"{list(target.shape)} for {name}"
                )
            target._set_value(_read_into(reader, entry, target))
        elif key in values:
            container[k] = _decode(values[key])
        else:
            raise RuntimeError(f"Missing key in checkpoint state_dict: {name}.")


__all__ = ["FileSystemReader", "FileSystemWriter", "Metadata", "load", "save"]

"""``save`` and ``load``: which format, which file, and the arguments torch's functions take."""

from __future__ import annotations

import io
import os
import warnings
from typing import IO, Any

from . import _atomic, _safetensors, _tensorish_v1, _torch, _zip
from ._errors import bad_file
from ._storage import restorer

FileLike = str | os.PathLike | IO[bytes]


def save(
    obj: Any,
    f: FileLike,
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
) -> None:
    """Save ``obj`` in PyTorch's format, so that ``torch.load`` reads it; a path ending in
    ``.safetensors`` gets a safetensors file instead (``obj`` a flat dict of tensors).

    ``obj`` may hold what ``torch.load(weights_only=True)`` reads back: tensors and Parameters,
    dicts, OrderedDicts (a state dict's ``_metadata`` too), lists, tuples, sets, numbers,
    strings, bytes, None, dtypes, devices and ``Size``. A path is written atomically (a crash
    leaves the old file or the new one, never a partial one); a file object is written directly.
    The pickle is always protocol 2 (torch's default; ``pickle_module`` and ``pickle_protocol``
    are accepted for torch's signature). ``_use_new_zipfile_serialization=False`` writes torch's
    legacy format.

    >>> import io, tensorish
    >>> buf = io.BytesIO()
    >>> tensorish.save({"w": tensorish.ones(2, requires_grad=True), "step": 3}, buf)
    >>> _ = buf.seek(0)
    >>> tensorish.load(buf)
    {'w': tensor([1., 1.], requires_grad=True), 'step': 3}
    """
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with _atomic.replacing(path) as (fh, tmp):
            if path.endswith(".safetensors"):
                _safetensors.save(obj, tmp)
            else:
                _write(obj, fh, _archive_name(path), _use_new_zipfile_serialization)
        return
    if not hasattr(f, "write"):
        raise AttributeError(
            "expected 'f' to be string, path, or a file-like object with a 'write' attribute"
        )
    _write(obj, f, "archive", _use_new_zipfile_serialization)
    if hasattr(f, "flush"):
        f.flush()


def _write(obj: Any, fh: IO[bytes], archive: str, zip_format: bool) -> None:
    if zip_format:
        _torch.write_zip(obj, fh, archive)
    else:
        _torch.write_legacy(obj, fh)


def _archive_name(path: str) -> str:
    """The folder torch names inside the zip: the file name less its extension."""
    base = os.path.basename(path)
    stem = base[: base.rfind(".")] if "." in base else base
    return stem if stem and stem.isascii() else "archive"


def load(
    f: FileLike,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load a file written by ``torch.save`` (zip or legacy format), ``tensorish.save`` (any
    version) or safetensors, recognised by its content.

    Nothing in the file is ever run or imported: a pickle may use only what
    ``torch.load(weights_only=True)`` allows, whatever ``weights_only`` says, and anything else
    raises ``pickle.UnpicklingError`` naming it. Tensors come back as tensorish tensors, each
    with its own array (tensors that shared a storage in torch no longer do). ``map_location``
    takes every form torch's does: a device or its name, a dict from saved location tags
    (``"cuda:0"``) to new ones, or a callable ``(storage, location)`` returning
    ``storage.cpu()``, ``storage.cuda(i)``... or None. ``mmap`` is accepted and ignored (the
    bytes are copied into device arrays either way).

    >>> import io, tensorish
    >>> buf = io.BytesIO()
    >>> tensorish.save([tensorish.arange(3)], buf)
    >>> _ = buf.seek(0)
    >>> tensorish.load(buf, map_location=lambda storage, location: storage.cpu())
    [tensor([0, 1, 2])]
    """
    if pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    encoding = pickle_load_args.get("encoding", "utf-8")
    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as fh:
            return _load(fh, os.fspath(f), map_location, encoding)
    try:
        f.seek(f.tell())
    except (AttributeError, io.UnsupportedOperation) as e:
        raise type(e)(
            f"{e}. You can only torch.load from a file that is seekable. Please pre-load the "
            "data into a buffer like io.BytesIO and try to load from it instead."
        ) from None
    return _load(f, None, map_location, encoding)


def _load(fh: IO[bytes], path: str | None, map_location: Any, encoding: str) -> Any:
    start = fh.tell()
    length = fh.seek(0, io.SEEK_END)
    fh.seek(start)
    head = fh.read(512)
    fh.seek(start)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        entries = _zip.directory(fh, length)
        if not entries:
            raise bad_file("empty zip archive")
        if _tensorish_v1.INDEX in entries:
            return _tensorish_v1.read(fh, restorer(map_location))
        return _torch.read_zip(fh, entries, restorer(map_location), encoding)
    if _safetensors.is_safetensors(head, length - start):
        return _safetensors.load(path if path is not None else fh, map_location)
    if head.startswith(_torch.LEGACY_PREFIX):
        return _torch.read_legacy(fh, length, restorer(map_location), encoding)
    if head[257:262] == b"ustar":
        raise RuntimeError(
            "Cannot use ``weights_only=True`` with files saved in the legacy .tar format "
            "(torch < 0.4): tensorish.load cannot read it."
        )
    raise bad_file(
        "empty file" if not head else "not a PyTorch checkpoint (zip or legacy) or safetensors file"
    )

"""Zip archives as PyTorch writes them, and a reader that checks every entry before reading.

The writer lays records out as torch's (miniz) writer does: stored (never compressed), each
record's data starting at a multiple of 64 bytes (padding in an ``FB`` extra field of the local
header), a data descriptor after each record, and zip64 end records. It only ever appends, so it
writes to unseekable streams too.

The reader refuses, before reading any data: compressed or encrypted entries, unsafe or duplicate
names, entries whose data would run past the end of the file, and entries that overlap (so the
entries of a file add up to at most its size: nothing read can be larger than the file).
"""

from __future__ import annotations

import secrets
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

import numpy as np

from ._errors import bad_file

ALIGNMENT = 64
ZIP64_LIMIT = 0xFFFFFFFF  # sizes and offsets from here on go in zip64 fields
_MAX32 = 0xFFFFFFFF  # a 32-bit field that says "see the zip64 field"
_LOCAL, _DESCRIPTOR, _CENTRAL = 0x04034B50, 0x08074B50, 0x02014B50
_END64, _LOCATOR64, _END = 0x06064B50, 0x07064B50, 0x06054B50
_FLAGS = 0x0808  # sizes in a data descriptor; UTF-8 names
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")


class ZipWriter:
    """Appends records named ``<archive>/<name>`` to ``fh``; ``close()`` writes the directory."""

    def __init__(self, fh: IO[bytes], archive: str) -> None:
        self.fh = fh
        self.archive = archive
        self.pos = 0
        self.central: list[bytes] = []
        self.crcs = 0

    def _write(self, data: bytes | memoryview) -> None:
        self.fh.write(data)
        self.pos += memoryview(data).nbytes

    def record(self, name: str, data: bytes | memoryview) -> None:
        encoded = f"{self.archive}/{name}".encode()
        offset = self.pos
        pad = -(offset + _LOCAL_HEADER.size + len(encoded) + 4) % ALIGNMENT
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(
            _LOCAL_HEADER.pack(_LOCAL, 0, _FLAGS, 0, 0, 0, 0, 0, 0, len(encoded), len(extra))
            + encoded
            + extra
        )
        crc = zlib.crc32(data)
        size = memoryview(data).nbytes
        self._write(data)
        big = size >= ZIP64_LIMIT or offset >= ZIP64_LIMIT
        self._write(struct.pack("<IIQQ" if big else "<IIII", _DESCRIPTOR, crc, size, size))
        self.crcs = zlib.crc32(struct.pack("<I", crc), self.crcs)
        self.central.append(_central_entry(encoded, crc, size, offset))

    def close(self) -> None:
        """Write ``.data/serialization_id`` (as torch does) and the central directory."""
        ident = f"{secrets.randbits(64) % 10**20:020d}{self.crcs:020d}"
        self.record(".data/serialization_id", ident.encode())
        start = self.pos
        for entry in self.central:
            self._write(entry)
        size, n = self.pos - start, len(self.central)
        end64 = self.pos
        self._write(struct.pack("<IQHHIIQQQQ", _END64, 44, 0, 0, 0, 0, n, n, size, start))
        self._write(struct.pack("<IIQI", _LOCATOR64, 0, end64, 1))
        self._write(
            struct.pack(
                "<IHHHHIIH",
                _END,
                0,
                0,
                min(n, 0xFFFF),
                min(n, 0xFFFF),
                _MAX32 if size >= ZIP64_LIMIT else size,
                _MAX32 if start >= ZIP64_LIMIT else start,
                0,
            )
        )


def _central_entry(name: bytes, crc: int, size: int, offset: int) -> bytes:
    wide = [size, size] if size >= ZIP64_LIMIT else []
    if offset >= ZIP64_LIMIT:
        wide.append(offset)
    extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
    size32 = _MAX32 if size >= ZIP64_LIMIT else size
    offset32 = _MAX32 if offset >= ZIP64_LIMIT else offset
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            _CENTRAL,
            0,
            0,
            _FLAGS,
            0,
            0,
            0,
            crc,
            size32,
            size32,
            len(name),
            len(extra),
            0,
            0,
            0,
            0,
            offset32,
        )
        + name
        + extra
    )


@dataclass(frozen=True)
class Entry:
    """Where one stored entry's bytes lie in the file."""

    name: str
    offset: int
    size: int


def _safe_name(name: str) -> bool:
    return (
        "\\" not in name
        and "\0" not in name
        and all(p not in ("", ".", "..") for p in name.split("/"))
    )


def directory(fh: IO[bytes], length: int) -> dict[str, Entry]:
    """Every entry of the zip archive in ``fh`` (``length`` bytes long), checked as above."""
    try:
        infos = zipfile.ZipFile(fh).infolist()
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        struct.error,
        UnicodeDecodeError,
    ) as e:
        raise bad_file(f"not a zip archive ({e})") from None
    compressed = [
        f"{i.filename!r} ({i.compress_size} bytes in the file, entry holds {i.file_size} bytes)"
        for i in infos
        if i.compress_type != zipfile.ZIP_STORED
    ]
    if compressed:
        raise bad_file(
            f"compressed entries {', '.join(compressed)}; only stored entries are read, as "
            "torch writes them"
        )
    entries: dict[str, Entry] = {}
    spans = []
    for info in infos:
        name = info.filename
        if not _safe_name(name):
            raise bad_file(f"unsafe entry name {name!r}")
        if name in entries:
            raise bad_file(f"duplicate entry {name!r}")
        if info.flag_bits & 1:
            raise bad_file(f"entry {name!r} is encrypted")
        if info.compress_size != info.file_size:
            raise bad_file(
                f"entry {name!r} declares {info.file_size} bytes but stores {info.compress_size}"
            )
        fh.seek(info.header_offset)
        header = fh.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(header)[0] != _LOCAL:
            raise bad_file(f"entry {name!r} has no local header")
        name_len, extra_len = _LOCAL_HEADER.unpack(header)[-2:]
        if fh.read(name_len) != info.orig_filename.encode(
            "utf-8" if info.flag_bits & 0x800 else "cp437"
        ):
            raise bad_file(f"entry {name!r} is named differently in its local header")
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if start + info.file_size > length:
            raise bad_file(
                f"entry {name!r} declares {info.file_size} bytes, more than the file holds"
            )
        entries[name] = Entry(name, start, info.file_size)
        spans.append((info.header_offset, start + info.file_size, name))
    spans.sort()
    for (_, end, name), (begin, _, other) in zip(spans, spans[1:]):
        if begin < end:
            raise bad_file(f"entries {name!r} and {other!r} overlap")
    return entries


def read(fh: IO[bytes], entry: Entry) -> np.ndarray:
    """The bytes of ``entry`` (whose size was checked against the file)."""
    fh.seek(entry.offset)
    return read_exact(fh, entry.size, f"entry {entry.name!r}")


def read_exact(fh: IO[bytes], size: int, what: str) -> np.ndarray:
    """The next ``size`` bytes of ``fh`` as a fresh uint8 array."""
    out = np.empty(size, np.uint8)
    view = memoryview(out)
    got = 0
    while got < size:
        n = fh.readinto(view[got:])
        if not n:
            raise bad_file(f"{what} is truncated")
        got += n
    return out

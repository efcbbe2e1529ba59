"""Replacing a file so that a crash never leaves a partial one at its path.

The new contents go to a temporary file in the target's directory, which is flushed and fsynced,
given the target's permissions and renamed over the target (an atomic step); then the directory
is fsynced so that the rename itself survives a power cut. Killed at any point, the target holds
the complete old file or the complete new one; a killed save may leave its temporary file
(``.<name>.<random>.tmp``) behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def replacing(path: str) -> Iterator[tuple[IO[bytes], str]]:
    """Yield ``(file, temporary_path)``; on a clean exit the temporary file becomes ``path``."""
    target = os.path.realpath(path)  # through symlinks, as open() writes
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "wb") as fh:  # a device or a pipe: written in place, as torch does
            yield fh, target
        return
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {os.path.dirname(path)} does not exist.")
    fd, tmp = _create(folder, os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(folder)


def _create(folder: str, name: str) -> tuple[int, str]:
    while True:
        tmp = os.path.join(folder, f".{name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            # Mode 0o666 less the umask, as open() would give a new file.
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:
            continue


def _fsync_directory(folder: str) -> None:
    with contextlib.suppress(OSError):  # some filesystems cannot fsync a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

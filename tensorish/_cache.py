"""What tensorish keeps compiled: on disk, JAX's persistent compilation cache; in memory, LRU.

A leaf of the package. Importing it turns JAX's persistent compilation cache on (as torch.compile
keeps its inductor cache), so a second run of a program loads its XLA programs instead of
compiling them again:

- the directory is ``$TENSORISH_CACHE_DIR`` if set (empty or ``0``: no cache), else
  ``$XDG_CACHE_HOME/tensorish/jax`` (``~/.cache/tensorish/jax``);
- a directory the user gave JAX themselves (``JAX_COMPILATION_CACHE_DIR``, or
  ``jax.config.update("jax_compilation_cache_dir", ...)`` before importing tensorish) is kept;
- every program is written, however fast it compiled (JAX's default keeps only those over 1 s):
  eager ops compile many small programs, and an entry costs about 4 KB and no measurable time.

What keys an entry is JAX's: the program's HLO, the compile options and XLA flags, the backend
and the jax/jaxlib versions. tensorish bakes nothing into a program that is not in its HLO (no
host callbacks; static parameters and Python scalars become HLO constants), so an entry can be
reused whenever its key matches.

In memory, every cache keyed by something that varies with the data (shapes, static
parameters) is an ``LRU``: a training loop keeps its few entries, and a stream of new shapes
evicts the oldest, so memory stays flat.

>>> from tensorish._cache import LRU
>>> c = LRU(2)
>>> c["a"], c["b"] = 1, 2
>>> c.get("a")
1
>>> c["c"] = 3  # evicts "b", the least recently used
>>> sorted(c)
['a', 'c']
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import jax
from jax._src import compilation_cache as _jax_cache

ENV = "TENSORISH_CACHE_DIR"
_DISABLED = ("", "0")
_MIN_COMPILE_S = "jax_persistent_cache_min_compile_time_secs"
_JAX_DEFAULT_MIN_COMPILE_S = 1.0


def default_cache_dir() -> str | None:
    """The directory of the persistent compilation cache when nothing else is said: from
    ``$TENSORISH_CACHE_DIR`` (None if it disables the cache), else the per-user cache folder."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip() in _DISABLED else env
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return str(Path(base) / "tensorish" / "jax")


def set_compilation_cache_dir(path: str | os.PathLike | None) -> None:
    """Keep compiled XLA programs in ``path`` from now on (None: keep none on disk).

    tensorish turns JAX's persistent compilation cache on at import, in
    ``$XDG_CACHE_HOME/tensorish/jax`` (or ``$TENSORISH_CACHE_DIR``), so a program run again
    loads what it compiled before. Like a cache directory given to JAX, it is trusted: do not
    share it with users you do not trust.

    >>> import tempfile, tensorish
    >>> tensorish.set_compilation_cache_dir(tempfile.mkdtemp())
    >>> tensorish.set_compilation_cache_dir(None)
    """
    jax.config.update("jax_compilation_cache_dir", None if path is None else os.fspath(path))
    if path is not None and jax.config.jax_persistent_cache_min_compile_time_secs == (
        _JAX_DEFAULT_MIN_COMPILE_S
    ):
        jax.config.update(_MIN_COMPILE_S, 0.0)
    _jax_cache.reset_cache()  # JAX reads the directory once, at its first compile


def _turn_on() -> None:
    """At import: the default directory, unless the user already gave JAX one."""
    if jax.config.jax_compilation_cache_dir is None:
        path = default_cache_dir()
        if path is not None:
            set_compilation_cache_dir(path)


class LRU(OrderedDict):
    """A dict of at most ``size`` entries: ``get`` marks an entry used, and storing a new one
    evicts the least recently used."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        try:
            self.move_to_end(key)
        except KeyError:
            return default
        return self[key]

    def __setitem__(self, key, value) -> None:
        if key not in self and len(self) >= self.size:
            self.popitem(last=False)
        OrderedDict.__setitem__(self, key, value)


_turn_on()

"""Version information, as ``torch.version``.

>>> import tensorish
>>> tensorish.version.__version__ == tensorish.__version__
True
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

__all__ = ["__version__", "cuda", "hip", "debug"]

try:
    __version__: str = importlib.metadata.version("tensorish")
except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0+unknown"


def _gpu_plugin(kind: str, majors: tuple[str, ...]) -> str | None:
    """The major version of JAX's ``kind`` GPU plugin (``"12"`` for jax-cuda12-plugin) if one
    is installed; None otherwise (a CPU-only install, as PyTorch's CPU build). As PyTorch's, it
    says what the install was built for, not whether a GPU is there: nothing here starts JAX's
    backends (importing tensorish must not)."""
    for major in majors:
        if importlib.util.find_spec(f"jax_{kind}{major}_plugin") is not None:
            return major
    return None


cuda: str | None = _gpu_plugin("cuda", ("13", "12"))
hip: str | None = _gpu_plugin("rocm", ("7", "6"))
debug: bool = False

"""Build and runtime configuration, as ``torch.__config__``."""

from __future__ import annotations

import jax

from .version import __version__


def show() -> str:
    """What tensorish runs on: its version, JAX's, the backend and its devices.

    >>> import tensorish
    >>> tensorish.__config__.show().splitlines()[0].startswith("tensorish ")
    True
    """
    import jaxlib

    devices = jax.devices()
    kinds = sorted({d.device_kind for d in devices})
    return (
        f"tensorish {__version__} built on:\n"
        f"  - JAX {jax.__version__} (jaxlib {jaxlib.__version__})\n"
        f"  - Backend: {jax.default_backend()}, {len(devices)} device(s): {', '.join(kinds)}\n"
        f"  - 64-bit types (jax_enable_x64): {jax.config.jax_enable_x64}\n"
    )

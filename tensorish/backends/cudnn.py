"""``tensorish.backends.cudnn``: cuDNN as JAX's GPU backend uses it.

The switches are recorded for programs that set and read them; XLA chooses and autotunes its
convolution algorithms itself (``benchmark``, ``deterministic`` and ``enabled`` do not change
them), and ``allow_tf32`` for convolutions is not separate from the matmul precision in XLA
(``tensorish.set_float32_matmul_precision`` sets both).

>>> import tensorish
>>> tensorish.backends.cudnn.enabled, tensorish.backends.cudnn.deterministic
(True, False)
"""

from __future__ import annotations

from .. import cuda as _cuda

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: JAX has a CUDA device (its GPU backend runs on cuDNN)."""
    return _cuda.is_available()


def version() -> int | None:
    """The cuDNN version JAX's GPU backend loaded (None without one)."""
    if not is_available():
        return None
    from jax._src.lib import cuda_versions

    return cuda_versions.cudnn_get_version() if cuda_versions is not None else None

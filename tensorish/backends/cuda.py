"""``tensorish.backends.cuda``: CUDA switches; ``matmul.allow_tf32`` is JAX's default matmul
precision (``True``: TensorFloat32, ``False``: full float32).

>>> import tensorish
>>> tensorish.backends.cuda.matmul.allow_tf32 = False
>>> tensorish.get_float32_matmul_precision()
'highest'
"""

from __future__ import annotations

from typing import Any

from .. import cuda as _cuda
from . import _flags


class _Matmul:
    """``torch.backends.cuda.matmul``: only torch's attribute names may be read or set."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _flags.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _flags.set_float32_matmul_precision("high" if value else "highest")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: Any) -> None:
        if not hasattr(type(self), name):
            raise AttributeError(f"Unknown attribute {name}")
        super().__setattr__(name, value)


matmul = _Matmul()


def is_built() -> bool:
    """Whether JAX has a CUDA backend here."""
    return _cuda.is_available()

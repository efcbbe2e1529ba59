"""Tensor layouts: every tensorish tensor is dense (``strided``); the others name PyTorch's sparse
layouts, which tensorish does not have.

>>> import tensorish
>>> tensorish.ones(2).layout
tensorish.strided
"""

from __future__ import annotations


class layout:
    """A memory layout, printed as PyTorch prints its own (``torch.strided``)."""

    __module__ = "tensorish"

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"tensorish.{self._name}"

    def __reduce__(self) -> str:
        return self._name


strided = layout("strided")

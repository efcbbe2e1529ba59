"""parameters_to_vector and vector_to_parameters."""

from __future__ import annotations

from collections.abc import Iterable

import jax.numpy as jnp

from ..._dispatch import Op, apply
from ..._tensor import Tensor

_cat = Op("CatBackward0", lambda *xs: jnp.concatenate([x.reshape(-1) for x in xs]), saves=())


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor.

    >>> import tensorish
    >>> tensorish.nn.utils.parameters_to_vector(tensorish.nn.Linear(2, 3).parameters()).shape
    tensorish.Size([9])
    """
    params = list(parameters)
    _check_device(params)
    return apply(_cat, tuple(params))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' values."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tensorish.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_device(params)
    pointer = 0
    for p in params:
        n = p.numel()
        p._set_value(vec._value[pointer : pointer + n].reshape(p._v.shape).astype(p._v.dtype))
        pointer += n


def _check_device(params: list) -> None:
    devices = {str(p.device) for p in params}
    if len(devices) > 1:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )

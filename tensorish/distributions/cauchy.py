"""The Cauchy (Lorentz) distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _creation, ops
from .._tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import _broadcast_params

__all__ = ["Cauchy"]


class Cauchy(Distribution):
    """A Cauchy distribution with median ``loc`` and half width at half maximum ``scale``.

    >>> import tensorish
    >>> from tensorish.distributions import Cauchy
    >>> Cauchy(0.0, 1.0).cdf(tensorish.tensor(1.0))
    tensor(0.7500)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(
        self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None
    ) -> None:
        (self.loc, self.scale), batch_shape = _broadcast_params(loc, scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Cauchy | None = None) -> Cauchy:
        return self._expand_params(Cauchy, batch_shape, _instance, ("loc", "scale"))

    def _full(self, fill: float) -> Tensor:
        return _creation.full(
            self._extended_shape(), fill, dtype=self.loc.dtype, device=self.loc.device
        )

    @property
    def mean(self) -> Tensor:
        return self._full(math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self._full(math.inf)

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = _creation.empty(shape, dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return (
            -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()
        )

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ops.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return ops.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()

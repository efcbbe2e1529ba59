"""The two-parameter Weibull distribution."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _creation, ops
from .._tensor import Tensor
from . import constraints
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all, euler_constant

__all__ = ["Weibull"]


def _transforms(scale: Tensor, concentration_reciprocal: Tensor) -> list:
    return [
        PowerTransform(exponent=concentration_reciprocal),
        AffineTransform(loc=0, scale=scale),
    ]


class Weibull(TransformedDistribution):
    """``scale * X ** (1 / concentration)`` for ``X ~ Exponential(1)``.

    >>> import tensorish
    >>> from tensorish.distributions import Weibull
    >>> Weibull(tensorish.tensor([2.0]), tensorish.tensor([1.0])).mean
    tensor([2.])
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(
        self,
        scale: Tensor | float,
        concentration: Tensor | float,
        validate_args: bool | None = None,
    ) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(_creation.ones_like(self.scale), validate_args=validate_args)
        transforms = _transforms(self.scale, self.concentration_reciprocal)
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Weibull | None = None) -> Weibull:
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = _transforms(new.scale, new.concentration_reciprocal)
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * ops.exp(ops.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self) -> Tensor:
        return (
            self.scale
            * ((self.concentration - 1) / self.concentration) ** self.concentration.reciprocal()
        )

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (
            ops.exp(ops.lgamma(1 + 2 * self.concentration_reciprocal))
            - ops.exp(2 * ops.lgamma(1 + self.concentration_reciprocal))
        )

    def entropy(self) -> Tensor:
        return (
            euler_constant * (1 - self.concentration_reciprocal)
            + ops.log(self.scale * self.concentration_reciprocal)
            + 1
        )

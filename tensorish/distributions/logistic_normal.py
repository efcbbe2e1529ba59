"""The logistic-normal distribution on the simplex."""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """The stick-breaking transform of ``Normal(loc, scale)`` draws: a distribution on the
    simplex with one more category than ``loc`` has entries.

    >>> import tensorish
    >>> from tensorish.distributions import LogisticNormal
    >>> LogisticNormal(tensorish.zeros(2), tensorish.ones(2)).event_shape
    tensorish.Size([3])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(
        self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None
    ) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: LogisticNormal | None = None
    ) -> LogisticNormal:
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale

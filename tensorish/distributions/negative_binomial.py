"""The negative binomial distribution."""

from __future__ import annotations

from collections.abc import Sequence

from .. import autograd, ops
from .._tensor import Size, Tensor
from ..nn import functional as F
from . import constraints
from ._ops import poisson
from .bernoulli import _BinaryParams
from .distribution import Distribution
from .gamma import Gamma
from .utils import lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_BinaryParams, Distribution):
    """The number of successful Bernoulli(``probs``) trials before ``total_count`` failures.

    >>> import tensorish
    >>> from tensorish.distributions import NegativeBinomial
    >>> NegativeBinomial(2.0, probs=tensorish.tensor([0.5])).mean
    tensor([2.])
    """

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(
        self,
        total_count: Tensor | float,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        self._set_count_and_param(total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: NegativeBinomial | None = None
    ) -> NegativeBinomial:
        return self._expand_params(
            NegativeBinomial, batch_shape, _instance, ("total_count", "probs", "logits")
        )

    @property
    def mean(self) -> Tensor:
        return self.total_count * ops.exp(self.logits)

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / ops.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self) -> Gamma:
        # Note we avoid validating because self.total_count can be zero.
        return Gamma(
            concentration=self.total_count,
            rate=ops.exp(-self.logits),
            validate_args=False,
        )

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        with autograd.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return poisson(rate)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * F.logsigmoid(
            -self.logits
        ) + value * F.logsigmoid(self.logits)
        log_normalization = (
            -ops.lgamma(self.total_count + value)
            + ops.lgamma(1.0 + value)
            + ops.lgamma(self.total_count)
        )
        # total_count == 0 and value == 0 has probability 1, but lgamma(0) is infinite.
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization

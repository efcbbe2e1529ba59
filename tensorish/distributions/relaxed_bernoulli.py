"""The relaxed (concrete / Gumbel-softmax) Bernoulli distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _random
from .._tensor import Size, Tensor
from . import constraints
from .bernoulli import _BinaryParams
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_BinaryParams, Distribution):
    """The logit of a ``RelaxedBernoulli`` sample (Maddison et al., 2017).

    >>> import tensorish
    >>> from tensorish.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    >>> d = LogitRelaxedBernoulli(tensorish.tensor(0.5), probs=tensorish.tensor([0.5]))
    >>> d.log_prob(tensorish.tensor([0.0]))
    tensor([-2.0794])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        self.temperature = temperature
        self._param, batch_shape = self._set_param(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: LogitRelaxedBernoulli | None = None
    ) -> LogitRelaxedBernoulli:
        return self._expand_params(
            LogitRelaxedBernoulli,
            batch_shape,
            _instance,
            ("probs", "logits"),
            temperature=self.temperature,
        )

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(_random.rand(shape, dtype=probs.dtype, device=probs.device))
        return (
            uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()
        ) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class _RelaxedParams:
    """``temperature``, ``logits`` and ``probs`` of a relaxed distribution: its base's."""

    base_dist: Any

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs


class RelaxedBernoulli(_RelaxedParams, TransformedDistribution):
    """A continuous relaxation of ``Bernoulli`` on ``(0, 1)`` at ``temperature``;
    reparameterisable.

    >>> import tensorish
    >>> from tensorish.distributions import RelaxedBernoulli
    >>> d = RelaxedBernoulli(tensorish.tensor(0.5), probs=tensorish.tensor([0.5]))
    >>> d.log_prob(tensorish.tensor([0.5]))
    tensor([-0.6931])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    base_dist: LogitRelaxedBernoulli

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: RelaxedBernoulli | None = None
    ) -> RelaxedBernoulli:
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)

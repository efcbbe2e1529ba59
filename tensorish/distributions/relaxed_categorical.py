"""The relaxed (concrete / Gumbel-softmax) one-hot categorical distribution."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _creation, _random
from .._tensor import Size, Tensor
from . import constraints
from .categorical import _CategoricalParams
from .distribution import Distribution
from .relaxed_bernoulli import _RelaxedParams
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_CategoricalParams, Distribution):
    """The log of a ``RelaxedOneHotCategorical`` sample (Maddison et al., 2017).

    >>> import tensorish
    >>> from tensorish.distributions.relaxed_categorical import ExpRelaxedCategorical
    >>> d = ExpRelaxedCategorical(tensorish.tensor(1.0), probs=tensorish.tensor([0.5, 0.5]))
    >>> d.log_prob(tensorish.log(tensorish.tensor([0.5, 0.5])))
    tensor(-1.3863)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # The true support is actually a submanifold of this.
    has_rsample = True

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        batch_shape, event_shape = self._set_categorical(probs, logits)
        self.temperature = temperature
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: ExpRelaxedCategorical | None = None
    ) -> ExpRelaxedCategorical:
        return self._expand_params(
            ExpRelaxedCategorical,
            batch_shape,
            _instance,
            temperature=self.temperature,
            _categorical=self._categorical.expand(batch_shape),
        )

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(
            _random.rand(shape, dtype=self.logits.dtype, device=self.logits.device)
        )
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = _creation.full_like(
            self.temperature, float(K)
        ).lgamma() - self.temperature.log().mul(-(K - 1))
        score = logits - value.mul(self.temperature)
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_RelaxedParams, TransformedDistribution):
    """A continuous relaxation of ``OneHotCategorical`` on the simplex at ``temperature``;
    reparameterisable.

    >>> import tensorish
    >>> from tensorish.distributions import RelaxedOneHotCategorical
    >>> d = RelaxedOneHotCategorical(tensorish.tensor(1.0), probs=tensorish.tensor([0.5, 0.5]))
    >>> d.rsample().shape
    tensorish.Size([2])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True
    base_dist: ExpRelaxedCategorical

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: RelaxedOneHotCategorical | None = None
    ) -> RelaxedOneHotCategorical:
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)

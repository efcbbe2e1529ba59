"""The multinomial distribution."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _creation, ops
from .._tensor import Size, Tensor
from . import constraints
from .binomial import Binomial
from .categorical import _CategoricalParams
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_CategoricalParams, Distribution):
    """Counts of each of ``K`` categories in ``total_count`` draws from ``Categorical(probs)``.

    >>> import tensorish
    >>> from tensorish.distributions import Multinomial
    >>> d = Multinomial(2, probs=tensorish.tensor([0.5, 0.5]))
    >>> d.log_prob(tensorish.tensor([1.0, 1.0])).exp()
    tensor(0.5000)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    total_count: int

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def __init__(
        self,
        total_count: int = 1,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        batch_shape, event_shape = self._set_categorical(probs, logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: Multinomial | None = None
    ) -> Multinomial:
        return self._expand_params(
            Multinomial,
            batch_shape,
            _instance,
            total_count=self.total_count,
            _categorical=self._categorical.expand(batch_shape),
        )

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        # samples.shape is (total_count, sample_shape, batch_shape); move total_count last
        shifted_idx = list(range(samples.dim()))
        shifted_idx.append(shifted_idx.pop(0))
        samples = samples.permute(*shifted_idx)
        counts = _creation.zeros(
            self._extended_shape(sample_shape), dtype=samples.dtype, device=samples.device
        )
        counts.scatter_add_(-1, samples, _creation.ones_like(samples))
        return counts.type_as(self.probs)

    def entropy(self) -> Tensor:
        n = _creation.tensor(self.total_count)
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - ops.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = ops.exp(self._binomial.log_prob(support))
        weights = ops.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum([0, -1])
        return term1 + term2

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone()
        log_factorial_n = ops.lgamma(value.sum(-1) + 1)
        log_factorial_xs = ops.lgamma(value + 1).sum(-1)
        logits[(value == 0) & (logits == -float("inf"))] = 0
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

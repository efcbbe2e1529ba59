"""The one-hot categorical distribution (and its straight-through variant)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _creation
from .._tensor import Size, Tensor
from ..nn import functional as F
from . import constraints
from .categorical import _CategoricalParams
from .distribution import Distribution

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategorical(_CategoricalParams, Distribution):
    """A ``Categorical`` whose samples are one-hot vectors of length ``K``.

    >>> import tensorish
    >>> from tensorish.distributions import OneHotCategorical
    >>> d = OneHotCategorical(probs=tensorish.tensor([0.25, 0.75]))
    >>> d.log_prob(tensorish.tensor([0.0, 1.0])).exp()
    tensor(0.7500)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(
        self,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        batch_shape, event_shape = self._set_categorical(probs, logits)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: OneHotCategorical | None = None
    ) -> OneHotCategorical:
        return self._expand_params(
            OneHotCategorical,
            batch_shape,
            _instance,
            _categorical=self._categorical.expand(batch_shape),
        )

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        probs = self._categorical.probs
        mode = probs.argmax(dim=-1)
        return F.one_hot(mode, num_classes=probs.shape[-1]).to(probs)

    @property
    def variance(self) -> Tensor:
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        sample_shape = Size(sample_shape)
        probs = self._categorical.probs
        num_events = self._categorical._num_events
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, num_events).to(probs)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        indices = value.max(-1)[1]
        return self._categorical.log_prob(indices)

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self.event_shape[0]
        values = _creation.eye(n, dtype=self._param.dtype, device=self._param.device)
        values = values.view((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + self.batch_shape + (n,))
        return values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """``OneHotCategorical`` with a straight-through gradient estimator: ``rsample`` passes the
    gradient of ``probs`` through the (discrete) one-hot sample.

    >>> import tensorish
    >>> from tensorish.distributions import OneHotCategoricalStraightThrough
    >>> OneHotCategoricalStraightThrough(probs=tensorish.tensor([0.0, 1.0])).rsample()
    tensor([0., 1.])
    """

    has_rsample = True

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        samples = self.sample(sample_shape)
        probs = self._categorical.probs  # cached via @lazy_property
        return samples + (probs - probs.detach())

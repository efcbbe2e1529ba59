"""The Bernoulli distribution."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _creation, _random, autograd, ops
from .._tensor import Size, Tensor
from ..nn.functional import binary_cross_entropy_with_logits
from . import constraints
from .exp_family import ExponentialFamily
from .utils import (
    _broadcast_params,
    _probs_or_logits,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli"]


class _BinaryParams:
    """``probs`` or ``logits`` (exactly one) of a binary event, each computed lazily from the
    other; ``_param`` is the one given."""

    def _set_param(
        self, probs: Tensor | float | None, logits: Tensor | float | None
    ) -> tuple[Tensor, Size]:
        """Store the given parameter as a tensor; returns it and the batch shape it implies."""
        name, param = _probs_or_logits(probs, logits)
        (value,), batch_shape = _broadcast_params(param)
        setattr(self, name, value)
        return value, batch_shape

    def _set_count_and_param(
        self,
        total_count: Tensor | float,
        probs: Tensor | float | None,
        logits: Tensor | float | None,
    ) -> None:
        """Store ``total_count`` (in the parameter's dtype) and the given parameter, broadcast
        together, as ``_param`` too."""
        name, param = _probs_or_logits(probs, logits)
        total_count, value = broadcast_all(total_count, param)
        self.total_count = total_count.type_as(value)
        setattr(self, name, value)
        self._param = value

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.size()


class Bernoulli(_BinaryParams, ExponentialFamily):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    >>> import tensorish
    >>> from tensorish.distributions import Bernoulli
    >>> Bernoulli(probs=tensorish.tensor([0.25])).log_prob(tensorish.tensor([1.0]))
    tensor([-1.3863])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(
        self,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        self._param, batch_shape = self._set_param(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Bernoulli | None = None) -> Bernoulli:
        return self._expand_params(Bernoulli, batch_shape, _instance, ("probs", "logits"))

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs)
        mode[self.probs == 0.5] = float("nan")
        return mode

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with autograd.no_grad():
            return _random.bernoulli(self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = _creation.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (ops.logit(self.probs),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return ops.log1p(ops.exp(x))

"""The continuous Bernoulli distribution (Loaiza-Ganem and Cunningham, 2019)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _creation, _random, autograd, ops
from .._tensor import Size, Tensor
from ..nn.functional import binary_cross_entropy_with_logits
from . import constraints
from .bernoulli import _BinaryParams
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_BinaryParams, ExponentialFamily):
    """A distribution on ``[0, 1]`` with density proportional to
    ``probs ** x * (1 - probs) ** (1 - x)``; ``lims`` is the unstable region around 0.5 where
    Taylor expansions are used.

    >>> import tensorish
    >>> from tensorish.distributions import ContinuousBernoulli
    >>> ContinuousBernoulli(tensorish.tensor([0.5])).mean
    tensor([0.5000])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(
        self,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        lims: tuple[float, float] = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        self._param, batch_shape = self._set_param(probs, logits)
        if probs is not None:
            # validate 'probs' here if necessary as it is later clamped for numerical stability
            # close to 0 and 1, later on; otherwise the clamped 'probs' would always pass
            if (
                validate_args is not None
                and not self.arg_constraints["probs"].check(self.probs).all()
            ):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: ContinuousBernoulli | None = None
    ) -> ContinuousBernoulli:
        return self._expand_params(
            ContinuousBernoulli, batch_shape, _instance, ("probs", "logits"), _lims=self._lims
        )

    @lazy_property
    def probs(self) -> Tensor:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self) -> Tensor:
        return ops.max(ops.le(self.probs, self._lims[0]), ops.gt(self.probs, self._lims[1]))

    def _cut_probs(self) -> Tensor:
        return ops.where(
            self._outside_unstable_region(),
            self.probs,
            self._lims[0] * _creation.ones_like(self.probs),
        )

    def _cont_bern_log_norm(self) -> Tensor:
        """The log normalizing constant as a function of ``probs``."""
        cut_probs = self._cut_probs()
        cut_probs_below_half = ops.where(
            ops.le(cut_probs, 0.5), cut_probs, _creation.zeros_like(cut_probs)
        )
        cut_probs_above_half = ops.where(
            ops.ge(cut_probs, 0.5), cut_probs, _creation.ones_like(cut_probs)
        )
        log_norm = ops.log(ops.abs(ops.log1p(-cut_probs) - ops.log(cut_probs))) - ops.where(
            ops.le(cut_probs, 0.5),
            ops.log1p(-2.0 * cut_probs_below_half),
            ops.log(2.0 * cut_probs_above_half - 1.0),
        )
        x = ops.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ops.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (
            ops.log1p(-cut_probs) - ops.log(cut_probs)
        )
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * ops.pow(x, 2)) * x
        return ops.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return ops.sqrt(self.variance)

    @property
    def variance(self) -> Tensor:
        cut_probs = self._cut_probs()
        vars = cut_probs * (cut_probs - 1.0) / ops.pow(1.0 - 2.0 * cut_probs, 2) + 1.0 / ops.pow(
            ops.log1p(-cut_probs) - ops.log(cut_probs), 2
        )
        x = ops.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ops.where(self._outside_unstable_region(), vars, taylor)

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = _random.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with autograd.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = _random.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (
            -binary_cross_entropy_with_logits(logits, value, reduction="none")
            + self._cont_bern_log_norm()
        )

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (
            ops.pow(cut_probs, value) * ops.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0
        ) / (2.0 * cut_probs - 1.0)
        unbounded_cdfs = ops.where(self._outside_unstable_region(), cdfs, value)
        return ops.where(
            ops.le(value, 0.0),
            _creation.zeros_like(value),
            ops.where(ops.ge(value, 1.0), _creation.ones_like(value), unbounded_cdfs),
        )

    def icdf(self, value: Tensor) -> Tensor:
        cut_probs = self._cut_probs()
        return ops.where(
            self._outside_unstable_region(),
            (ops.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - ops.log1p(-cut_probs))
            / (ops.log(cut_probs) - ops.log1p(-cut_probs)),
            value,
        )

    def entropy(self) -> Tensor:
        log_probs0 = ops.log1p(-self.probs)
        log_probs1 = ops.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        """The log normalizing constant as a function of the natural parameter."""
        out_unst_reg = ops.max(ops.le(x, self._lims[0] - 0.5), ops.gt(x, self._lims[1] - 0.5))
        cut_nat_params = ops.where(out_unst_reg, x, (self._lims[0] - 0.5) * _creation.ones_like(x))
        log_norm = ops.log(ops.abs(ops.expm1(cut_nat_params))) - ops.log(ops.abs(cut_nat_params))
        taylor = 0.5 * x + ops.pow(x, 2) / 24.0 - ops.pow(x, 4) / 2880.0
        return ops.where(out_unst_reg, log_norm, taylor)

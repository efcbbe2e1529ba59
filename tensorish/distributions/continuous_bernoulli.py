"""The continuous Bernoulli distribution (Loaiza-Ganem and Cunningham, 2019)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorish
from tensorish import Size, Tensor
from tensorish.nn.functional import binary_cross_entropy_with_logits

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
        return tensorish.max(
            tensorish.le(self.probs, self._lims[0]), tensorish.gt(self.probs, self._lims[1])
        )

    def _cut_probs(self) -> Tensor:
        return tensorish.where(
            self._outside_unstable_region(),
            self.probs,
            self._lims[0] * tensorish.ones_like(self.probs),
        )

    def _cont_bern_log_norm(self) -> Tensor:
        """The log normalizing constant as a function of ``probs``."""
        cut_probs = self._cut_probs()
        cut_probs_below_half = tensorish.where(
            tensorish.le(cut_probs, 0.5), cut_probs, tensorish.zeros_like(cut_probs)
        )
        cut_probs_above_half = tensorish.where(
            tensorish.ge(cut_probs, 0.5), cut_probs, tensorish.ones_like(cut_probs)
        )
        log_norm = tensorish.log(
            tensorish.abs(tensorish.log1p(-cut_probs) - tensorish.log(cut_probs))
        ) - tensorish.where(
            tensorish.le(cut_probs, 0.5),
            tensorish.log1p(-2.0 * cut_probs_below_half),
            tensorish.log(2.0 * cut_probs_above_half - 1.0),
        )
        x = tensorish.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return tensorish.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (
            tensorish.log1p(-cut_probs) - tensorish.log(cut_probs)
        )
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * tensorish.pow(x, 2)) * x
        return tensorish.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return tensorish.sqrt(self.variance)

    @property
    def variance(self) -> Tensor:
        cut_probs = self._cut_probs()
        vars = cut_probs * (cut_probs - 1.0) / tensorish.pow(
            1.0 - 2.0 * cut_probs, 2
        ) + 1.0 / tensorish.pow(tensorish.log1p(-cut_probs) - tensorish.log(cut_probs), 2)
        x = tensorish.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return tensorish.where(self._outside_unstable_region(), vars, taylor)

    def sample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = tensorish.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with tensorish.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = tensorish.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
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
            tensorish.pow(cut_probs, value) * tensorish.pow(1.0 - cut_probs, 1.0 - value)
            + cut_probs
            - 1.0
        ) / (2.0 * cut_probs - 1.0)
        unbounded_cdfs = tensorish.where(self._outside_unstable_region(), cdfs, value)
        return tensorish.where(
            tensorish.le(value, 0.0),
            tensorish.zeros_like(value),
            tensorish.where(tensorish.ge(value, 1.0), tensorish.ones_like(value), unbounded_cdfs),
        )

    def icdf(self, value: Tensor) -> Tensor:
        cut_probs = self._cut_probs()
        return tensorish.where(
            self._outside_unstable_region(),
            (
                tensorish.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0))
                - tensorish.log1p(-cut_probs)
            )
            / (tensorish.log(cut_probs) - tensorish.log1p(-cut_probs)),
            value,
        )

    def entropy(self) -> Tensor:
        log_probs0 = tensorish.log1p(-self.probs)
        log_probs1 = tensorish.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        """The log normalizing constant as a function of the natural parameter."""
        out_unst_reg = tensorish.max(
            tensorish.le(x, self._lims[0] - 0.5), tensorish.gt(x, self._lims[1] - 0.5)
        )
        cut_nat_params = tensorish.where(
            out_unst_reg, x, (self._lims[0] - 0.5) * tensorish.ones_like(x)
        )
        log_norm = tensorish.log(tensorish.abs(tensorish.expm1(cut_nat_params))) - tensorish.log(
            tensorish.abs(cut_nat_params)
        )
        taylor = 0.5 * x + tensorish.pow(x, 2) / 24.0 - tensorish.pow(x, 4) / 2880.0
        return tensorish.where(out_unst_reg, log_norm, taylor)

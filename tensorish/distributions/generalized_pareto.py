"""The generalized Pareto distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorish
from tensorish import Size, Tensor

from . import constraints
from .distribution import Distribution
from .utils import _broadcast_params

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution with ``loc``, ``scale`` and ``concentration``
    (shape); exponential at concentration 0.

    >>> import tensorish
    >>> from tensorish.distributions import GeneralizedPareto
    >>> GeneralizedPareto(0.0, 1.0, 0.0).cdf(tensorish.tensor(1.0))
    tensor(0.6321)
    """

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "concentration": constraints.real,
    }
    has_rsample = True

    def __init__(
        self,
        loc: Tensor | float,
        scale: Tensor | float,
        concentration: Tensor | float,
        validate_args: bool | None = None,
    ) -> None:
        (self.loc, self.scale, self.concentration), batch_shape = _broadcast_params(
            loc, scale, concentration
        )
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(
        self, batch_shape: Sequence[int], _instance: GeneralizedPareto | None = None
    ) -> GeneralizedPareto:
        return self._expand_params(
            GeneralizedPareto, batch_shape, _instance, ("loc", "scale", "concentration")
        )

    def rsample(self, sample_shape: Sequence[int] = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = tensorish.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def _safe_concentration(self) -> tuple[Tensor, Tensor]:
        """Where the concentration is (close to) 0, and the concentration with 1 there."""
        eq_zero = tensorish.isclose(self.concentration, tensorish.tensor(0.0))
        safe = tensorish.where(eq_zero, tensorish.ones_like(self.concentration), self.concentration)
        return eq_zero, safe

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + tensorish.ones_like(z)
        where_nonzero = tensorish.where(y == 0, y, y * tensorish.log1p(safe_conc * z))
        return -self.scale.log() - tensorish.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value: Tensor) -> Tensor:
        """``log(1 - cdf(value))``."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        where_nonzero = -tensorish.log1p(safe_conc * z) / safe_conc
        return tensorish.where(eq_zero, -z, where_nonzero)

    def log_cdf(self, value: Tensor) -> Tensor:
        """``log(cdf(value))``."""
        return tensorish.log1p(-tensorish.exp(self.log_survival_function(value)))

    def cdf(self, value: Tensor) -> Tensor:
        return tensorish.exp(self.log_cdf(value))

    def icdf(self, value: Tensor) -> Tensor:
        eq_zero, safe_conc = self._safe_concentration()
        logu = tensorish.log1p(-value)
        where_nonzero = self.loc + self.scale / safe_conc * tensorish.expm1(-safe_conc * logu)
        where_zero = self.loc - self.scale * logu
        return tensorish.where(eq_zero, where_zero, where_nonzero)

    def _z(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale

    @property
    def mean(self) -> Tensor:
        concentration = self.concentration
        valid = concentration < 1
        safe_conc = tensorish.where(valid, concentration, 0.5)
        result = self.loc + self.scale / (1 - safe_conc)
        return tensorish.where(valid, result, math.nan)

    @property
    def variance(self) -> Tensor:
        concentration = self.concentration
        valid = concentration < 0.5
        safe_conc = tensorish.where(valid, concentration, 0.25)
        result = self.scale**2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc))
        return tensorish.where(valid, result, math.nan)

    def entropy(self) -> Tensor:
        ans = tensorish.log(self.scale) + self.concentration + 1
        return tensorish.broadcast_to(ans, self._batch_shape)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        lower = self.loc
        upper = tensorish.where(
            self.concentration < 0, lower - self.scale / self.concentration, math.inf
        )
        return constraints.interval(lower, upper)

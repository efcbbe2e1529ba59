"""The generalized Pareto distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _creation, _random, ops
from .._tensor import Size, Tensor
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
        u = _random.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def _safe_concentration(self) -> tuple[Tensor, Tensor]:
        """Where the concentration is (close to) 0, and the concentration with 1 there."""
        eq_zero = ops.isclose(self.concentration, _creation.tensor(0.0))
        safe = ops.where(eq_zero, _creation.ones_like(self.concentration), self.concentration)
        return eq_zero, safe

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + _creation.ones_like(z)
        where_nonzero = ops.where(y == 0, y, y * ops.log1p(safe_conc * z))
        return -self.scale.log() - ops.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value: Tensor) -> Tensor:
        """``log(1 - cdf(value))``."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        where_nonzero = -ops.log1p(safe_conc * z) / safe_conc
        return ops.where(eq_zero, -z, where_nonzero)

    def log_cdf(self, value: Tensor) -> Tensor:
        """``log(cdf(value))``."""
        return ops.log1p(-ops.exp(self.log_survival_function(value)))

    def cdf(self, value: Tensor) -> Tensor:
        return ops.exp(self.log_cdf(value))

    def icdf(self, value: Tensor) -> Tensor:
        eq_zero, safe_conc = self._safe_concentration()
        logu = ops.log1p(-value)
        where_nonzero = self.loc + self.scale / safe_conc * ops.expm1(-safe_conc * logu)
        where_zero = self.loc - self.scale * logu
        return ops.where(eq_zero, where_zero, where_nonzero)

    def _z(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale

    @property
    def mean(self) -> Tensor:
        concentration = self.concentration
        valid = concentration < 1
        safe_conc = ops.where(valid, concentration, 0.5)
        result = self.loc + self.scale / (1 - safe_conc)
        return ops.where(valid, result, math.nan)

    @property
    def variance(self) -> Tensor:
        concentration = self.concentration
        valid = concentration < 0.5
        safe_conc = ops.where(valid, concentration, 0.25)
        result = self.scale**2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc))
        return ops.where(valid, result, math.nan)

    def entropy(self) -> Tensor:
        ans = ops.log(self.scale) + self.concentration + 1
        return ops.broadcast_to(ans, self._batch_shape)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        lower = self.loc
        upper = ops.where(self.concentration < 0, lower - self.scale / self.concentration, math.inf)
        return constraints.interval(lower, upper)

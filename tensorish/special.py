"""``tensorish.special``: PyTorch's ``torch.special`` (Bessel and gamma-family functions,
error functions, orthogonal polynomials, normal-distribution helpers).

>>> import tensorish
>>> tensorish.special.i0(tensorish.tensor([0., 1.]))
tensor([1.0000, 1.2661])
"""

from __future__ import annotations

from . import _dtype
from ._tensor import Tensor
from .nn import functional as _F
from .ops._special import special_airy_ai as airy_ai
from .ops._special import special_bessel_j0 as bessel_j0
from .ops._special import special_bessel_j1 as bessel_j1
from .ops._special import special_bessel_y0 as bessel_y0
from .ops._special import special_bessel_y1 as bessel_y1
from .ops._special import special_chebyshev_polynomial_t as chebyshev_polynomial_t
from .ops._special import special_chebyshev_polynomial_u as chebyshev_polynomial_u
from .ops._special import special_chebyshev_polynomial_v as chebyshev_polynomial_v
from .ops._special import special_chebyshev_polynomial_w as chebyshev_polynomial_w
from .ops._special import special_digamma as digamma
from .ops._special import special_entr as entr
from .ops._special import special_erf as erf
from .ops._special import special_erfc as erfc
from .ops._special import special_erfcx as erfcx
from .ops._special import special_erfinv as erfinv
from .ops._special import special_exp2 as exp2
from .ops._special import special_expit as expit
from .ops._special import special_expm1 as expm1
from .ops._special import special_gammainc as gammainc
from .ops._special import special_gammaincc as gammaincc
from .ops._special import special_gammaln as gammaln
from .ops._special import special_hermite_polynomial_h as hermite_polynomial_h
from .ops._special import special_hermite_polynomial_he as hermite_polynomial_he
from .ops._special import special_i0 as i0
from .ops._special import special_i0e as i0e
from .ops._special import special_i1 as i1
from .ops._special import special_i1e as i1e
from .ops._special import special_laguerre_polynomial_l as laguerre_polynomial_l
from .ops._special import special_legendre_polynomial_p as legendre_polynomial_p
from .ops._special import special_log1p as log1p
from .ops._special import special_log_ndtr as log_ndtr
from .ops._special import special_logit as logit
from .ops._special import special_logsumexp as logsumexp
from .ops._special import special_modified_bessel_i0 as modified_bessel_i0
from .ops._special import special_modified_bessel_i1 as modified_bessel_i1
from .ops._special import special_modified_bessel_k0 as modified_bessel_k0
from .ops._special import special_modified_bessel_k1 as modified_bessel_k1
from .ops._special import special_multigammaln as multigammaln
from .ops._special import special_ndtr as ndtr
from .ops._special import special_ndtri as ndtri
from .ops._special import special_polygamma as polygamma
from .ops._special import special_psi as psi
from .ops._special import special_round as round
from .ops._special import special_scaled_modified_bessel_k0 as scaled_modified_bessel_k0
from .ops._special import special_scaled_modified_bessel_k1 as scaled_modified_bessel_k1
from .ops._special import special_shifted_chebyshev_polynomial_t as shifted_chebyshev_polynomial_t
from .ops._special import special_shifted_chebyshev_polynomial_u as shifted_chebyshev_polynomial_u
from .ops._special import special_shifted_chebyshev_polynomial_v as shifted_chebyshev_polynomial_v
from .ops._special import special_shifted_chebyshev_polynomial_w as shifted_chebyshev_polynomial_w
from .ops._special import special_sinc as sinc
from .ops._special import special_spherical_bessel_j0 as spherical_bessel_j0
from .ops._special import special_xlog1py as xlog1py
from .ops._special import special_xlogy as xlogy
from .ops._special import special_zeta as zeta


def _softmax_like(name: str, fn, input: Tensor, dim, dtype: _dtype.dtype | None) -> Tensor:
    if dim is None:
        raise TypeError(f'special_{name}() missing 1 required positional arguments: "dim"')
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"{name}_lastdim_kernel_impl\" not implemented for '{input.dtype.title}'"
        )
    return fn(input, dim)


def softmax(input: Tensor, dim: int | None = None, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, after casting to ``dtype`` when given.

    >>> import tensorish
    >>> tensorish.special.softmax(tensorish.tensor([0., 0.]), 0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_like("softmax", _F.softmax, input, dim, dtype)


def log_softmax(
    input: Tensor, dim: int | None = None, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``log(softmax(x))`` along ``dim``, after casting to ``dtype`` when given.

    >>> import tensorish
    >>> tensorish.special.log_softmax(tensorish.tensor([0., 0.]), 0)
    tensor([-0.6931, -0.6931])
    """
    return _softmax_like("log_softmax", _F.log_softmax, input, dim, dtype)


__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]

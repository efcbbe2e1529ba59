"""``tensorish.special``: PyTorch's ``torch.special`` (Bessel and gamma-family functions,
error functions, orthogonal polynomials, normal-distribution helpers).

>>> import tensorish
>>> tensorish.special.i0(tensorish.tensor([0., 1.]))
tensor([1.0000, 1.2661])
"""

from __future__ import annotations

from functools import partial as _partial

from . import _dtype
from ._tensor import Tensor
from .nn import functional as _F
from .ops import _special
from .ops._registry import Sample as _Sample
from .ops._registry import T as _T
from .ops._registry import declare as _declare
from .ops._registry import public as _public

_op = _partial(_declare, namespace="tensorish.special", method=False)
_POSITIVE = _Sample(low=0.1, high=4.0)
_DEGREE = _Sample(args=(3,))  # the polynomial of degree 3
# PyTorch differentiates the incomplete gamma functions in their second argument only
_GAMMA = _Sample(((3, 4), (3, 4)), low=0.5, high=3.0, grad=False)

airy_ai = _op(name="airy_ai", test=_Sample())(_special.special_airy_ai)
bessel_j0 = _op(name="bessel_j0", test=_Sample())(_special.special_bessel_j0)
bessel_j1 = _op(name="bessel_j1", test=_Sample())(_special.special_bessel_j1)
bessel_y0 = _op(name="bessel_y0", test=_POSITIVE)(_special.special_bessel_y0)
bessel_y1 = _op(name="bessel_y1", test=_POSITIVE)(_special.special_bessel_y1)
chebyshev_polynomial_t = _op(name="chebyshev_polynomial_t", test=_DEGREE)(
    _special.special_chebyshev_polynomial_t
)
chebyshev_polynomial_u = _op(name="chebyshev_polynomial_u", test=_DEGREE)(
    _special.special_chebyshev_polynomial_u
)
chebyshev_polynomial_v = _op(name="chebyshev_polynomial_v", test=_DEGREE)(
    _special.special_chebyshev_polynomial_v
)
chebyshev_polynomial_w = _op(name="chebyshev_polynomial_w", test=_DEGREE)(
    _special.special_chebyshev_polynomial_w
)
digamma = _op(name="digamma", test=_POSITIVE)(_special.special_digamma)
entr = _op(name="entr", test=_POSITIVE)(_special.special_entr)
erf = _op(name="erf", test=_Sample())(_special.special_erf)
erfc = _op(name="erfc", test=_Sample())(_special.special_erfc)
erfcx = _op(name="erfcx", test=_Sample())(_special.special_erfcx)
erfinv = _op(name="erfinv", test=_Sample(low=-0.9, high=0.9))(_special.special_erfinv)
exp2 = _op(name="exp2", test=_Sample())(_special.special_exp2)
expit = _op(name="expit", test=_Sample())(_special.special_expit)
expm1 = _op(name="expm1", test=_Sample())(_special.special_expm1)
gammainc = _op(name="gammainc", test=_GAMMA)(_special.special_gammainc)
gammaincc = _op(name="gammaincc", test=_GAMMA)(_special.special_gammaincc)
gammaln = _op(name="gammaln", test=_POSITIVE)(_special.special_gammaln)
hermite_polynomial_h = _op(name="hermite_polynomial_h", test=_DEGREE)(
    _special.special_hermite_polynomial_h
)
hermite_polynomial_he = _op(name="hermite_polynomial_he", test=_DEGREE)(
    _special.special_hermite_polynomial_he
)
i0 = _op(name="i0", test=_Sample())(_special.special_i0)
i0e = _op(name="i0e", test=_Sample())(_special.special_i0e)
i1 = _op(name="i1", test=_Sample())(_special.special_i1)
i1e = _op(name="i1e", test=_Sample())(_special.special_i1e)
laguerre_polynomial_l = _op(name="laguerre_polynomial_l", test=_DEGREE)(
    _special.special_laguerre_polynomial_l
)
legendre_polynomial_p = _op(name="legendre_polynomial_p", test=_DEGREE)(
    _special.special_legendre_polynomial_p
)
log1p = _op(name="log1p", test=_Sample(low=-0.5, high=2.0))(_special.special_log1p)
log_ndtr = _op(name="log_ndtr", test=_Sample())(_special.special_log_ndtr)
logit = _op(name="logit", test=_Sample(low=0.1, high=0.9))(_special.special_logit)
logsumexp = _op(name="logsumexp", test=_Sample(args=(1,)))(_special.special_logsumexp)
modified_bessel_i0 = _op(name="modified_bessel_i0", test=_Sample())(
    _special.special_modified_bessel_i0
)
modified_bessel_i1 = _op(name="modified_bessel_i1", test=_Sample())(
    _special.special_modified_bessel_i1
)
modified_bessel_k0 = _op(name="modified_bessel_k0", test=_POSITIVE)(
    _special.special_modified_bessel_k0
)
modified_bessel_k1 = _op(name="modified_bessel_k1", test=_POSITIVE)(
    _special.special_modified_bessel_k1
)
multigammaln = _op(name="multigammaln", test=_Sample(args=(2,), low=1.5, high=4.0))(
    _special.special_multigammaln
)
ndtr = _op(name="ndtr", test=_Sample())(_special.special_ndtr)
ndtri = _op(name="ndtri", test=_Sample(low=0.05, high=0.95))(_special.special_ndtri)
polygamma = _op(name="polygamma", test=_Sample(args=(1, _T), low=0.5, high=3.0))(
    _special.special_polygamma
)
psi = _op(name="psi", test=_POSITIVE)(_special.special_psi)
round = _op(name="round", test=_Sample())(_special.special_round)
scaled_modified_bessel_k0 = _op(name="scaled_modified_bessel_k0", test=_POSITIVE)(
    _special.special_scaled_modified_bessel_k0
)
scaled_modified_bessel_k1 = _op(name="scaled_modified_bessel_k1", test=_POSITIVE)(
    _special.special_scaled_modified_bessel_k1
)
shifted_chebyshev_polynomial_t = _op(name="shifted_chebyshev_polynomial_t", test=_DEGREE)(
    _special.special_shifted_chebyshev_polynomial_t
)
shifted_chebyshev_polynomial_u = _op(name="shifted_chebyshev_polynomial_u", test=_DEGREE)(
    _special.special_shifted_chebyshev_polynomial_u
)
shifted_chebyshev_polynomial_v = _op(name="shifted_chebyshev_polynomial_v", test=_DEGREE)(
    _special.special_shifted_chebyshev_polynomial_v
)
shifted_chebyshev_polynomial_w = _op(name="shifted_chebyshev_polynomial_w", test=_DEGREE)(
    _special.special_shifted_chebyshev_polynomial_w
)
sinc = _op(name="sinc", test=_Sample())(_special.special_sinc)
spherical_bessel_j0 = _op(name="spherical_bessel_j0", test=_Sample())(
    _special.special_spherical_bessel_j0
)
xlog1py = _op(name="xlog1py", test=_Sample(((3, 4), (3, 4)), low=0.1, high=2.0))(
    _special.special_xlog1py
)
xlogy = _op(name="xlogy", test=_Sample(((3, 4), (3, 4)), low=0.1, high=2.0))(_special.special_xlogy)
zeta = _op(name="zeta", test=_Sample(args=(1.5, _T), low=0.5, high=3.0))(_special.special_zeta)


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


@_op(test=_Sample(args=(1,)))
def softmax(input: Tensor, dim: int | None = None, *, dtype: _dtype.dtype | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, after casting to ``dtype`` when given.

    >>> import tensorish
    >>> tensorish.special.softmax(tensorish.tensor([0., 0.]), 0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_like("softmax", _F.softmax, input, dim, dtype)


@_op(test=_Sample(args=(1,)))
def log_softmax(
    input: Tensor, dim: int | None = None, *, dtype: _dtype.dtype | None = None
) -> Tensor:
    """``log(softmax(x))`` along ``dim``, after casting to ``dtype`` when given.

    >>> import tensorish
    >>> tensorish.special.log_softmax(tensorish.tensor([0., 0.]), 0)
    tensor([-0.6931, -0.6931])
    """
    return _softmax_like("log_softmax", _F.log_softmax, input, dim, dtype)


__all__ = _public(__name__)

"""Special functions: ``torch.special`` and the top-level spellings PyTorch also gives some of
them (``torch.i0``, ``torch.polygamma``, ``torch.sinc``, ``torch.mvlgamma``, ``torch.igamma``).

Each op is declared once (its jnp kernel, its ``grad_fn`` name, the dtypes its PyTorch CPU kernel
refuses) in the tables below. Where ``jax.scipy.special`` has no function, or computes one
differently from PyTorch (erfcx, the incomplete gamma functions, the Bessel functions), the kernel
follows PyTorch's own algorithm (``aten/src/ATen/native/Math.h``: Cephes series, Chebyshev
expansions and recurrences) in the input's dtype, so float32 and float64 results agree with
PyTorch's to a few ulps, edge values (0, inf, nan, poles) included. Iterations that PyTorch stops
per element run as one ``lax.while_loop`` over the whole array, each element frozen once done.

Gradients are the analytic derivatives PyTorch uses (``jax.custom_jvp`` rules, so higher orders
work): the vjp of a Chebyshev approximation is not the derivative of the function, and PyTorch's
values at 0 (``i1``, ``sinc``) come from its formulas. Functions PyTorch does not differentiate
(the Bessel functions, the polynomials, ``airy_ai``) give outputs that never require grad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero
from jax.scipy import special as jss

from .. import _dtype
from .._tensor import Tensor
from ._common import Op, apply, inplace, promote, result_type
from ._pointwise import (
    _broadcast_error,
    _digamma,
    _is_float,
    _lgamma_fn,
    _need_tensor,
    _not_implemented,
    _round_decimals,
    _trigamma,
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    lgamma,
    log1p,
    logit,
    sigmoid,
    xlogy,
)
from ._reduce import logsumexp
from ._registry import Sample, T, declare, public

_HALF = frozenset({_dtype.float16, _dtype.bfloat16})
_SQRT_2PI = math.sqrt(2 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


def _half_in_float32(fn: Callable) -> Callable:
    """``fn`` computed in float32 for half-precision inputs, as PyTorch's CPU kernels do."""

    def f(*xs, **static):
        if xs[0].dtype in (jnp.float16, jnp.bfloat16):
            return fn(*(x.astype(jnp.float32) for x in xs), **static).astype(xs[0].dtype)
        return fn(*xs, **static)

    return f


def _eps(x) -> float:
    return float(jnp.finfo(x.dtype).eps)


# -- evaluation helpers -------------------------------------------------------------------------
def _horner(z, coeffs):
    r = jnp.zeros_like(z)
    for c in coeffs:
        r = r * z + c
    return r


def _chbevl(x, coeffs):
    """Cephes' Chebyshev series: sum of ``coeffs[i] * T_i(x / 2)``, highest order first."""
    b0, b1, b2 = jnp.full_like(x, coeffs[0]), jnp.zeros_like(x), jnp.zeros_like(x)
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _iterate(step: Callable, state: tuple, active, limit=None) -> tuple:
    """Apply ``step(k, state) -> (state, keep_going)`` elementwise, starting at ``k = 1``: an
    element stops (keeps its state) once ``keep_going`` is False for it, as in a C loop with a
    ``break``, or after ``limit`` steps (a number or one per element); the loop ends when every
    element has stopped."""

    def body(c):
        k, s, act = c
        new, more = step(k, s)
        s = jax.tree.map(lambda n, o: jnp.where(act, n, o), new, s)
        if limit is not None:
            more = more & (k < limit)
        return k + 1, s, act & more

    return lax.while_loop(lambda c: jnp.any(c[2]), body, (jnp.int64(1), state, active))[1]


# -- erfcx, log_ndtr, ndtri, entr, sinc ----------------------------------------------------------
def _erfcx_pos(x):
    # exp(x²) erfc(x) for x >= 0: the product is exact to a few ulps while erfc does not
    # underflow (XLA's erfc multiplies by exp(-x²) of the same rounded x²); beyond, the
    # continued fraction erfcx(x) = 1/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
    t = x
    for k in range(20, 0, -1):
        t = x + (k / 2) / t
    cf = (1 / math.sqrt(math.pi)) / t
    small = jnp.where(x < 5, x, 0)
    return jnp.where(x < 5, jnp.exp(small * small) * jss.erfc(small), cf)


def _erfcx_fn(x):
    ax = jnp.abs(x)
    pos = _erfcx_pos(ax)
    big = jnp.where(x < -26.7, 0, x)
    neg = jnp.where(x < -6.1, 2 * jnp.exp(big * big), 2 * jnp.exp(big * big) - pos)
    neg = jnp.where(x < -26.7, jnp.inf, neg)
    return jnp.where(jnp.isnan(x), x, jnp.where(x >= 0, pos, neg))


def _log_ndtr_fn(x):
    t = x * _SQRT1_2
    return jnp.where(x < -1, jnp.log(_erfcx_fn(-t) / 2) - t * t, jnp.log1p(-jss.erfc(t) / 2))


def _entr_fn(x):
    safe = jnp.where(x > 0, x, 1)
    out = jnp.where(x > 0, -safe * jnp.log(safe), jnp.where(x == 0, 0, -jnp.inf))
    return jnp.where(jnp.isnan(x), x, out).astype(x.dtype)


def _sinc_fn(x):
    px = math.pi * jnp.where(x == 0, 1, x)
    return jnp.where(x == 0, 1, jnp.sin(px) / px).astype(x.dtype)


def _xlog1py_fn(x, y):
    out = jnp.where(x == 0, 0, x * jnp.log1p(y))
    return jnp.where(jnp.isnan(y), jnp.nan, out).astype(x.dtype)


# -- Bessel functions of the first and second kind (PyTorch's Cephes-derived versions) -----------
_J_PP0 = (
    7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e00,
    5.44725003058768775090e00, 8.74716500199817011941e00, 5.30324038235394892183e00,
    9.99999999999999997821e-01,
)  # fmt: skip
_J_PQ0 = (
    9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e00,
    5.47097740330417105182e00, 8.76190883237069594232e00, 5.30605288235394617618e00,
    1.00000000000000000218e00,
)  # fmt: skip
_J_QP0 = (
    -1.13663838898469149931e-02, -1.28252718670509318512e00, -1.95539544257735972385e01,
    -9.32060152123768231369e01, -1.77681167980488050595e02, -1.47077505154951170175e02,
    -5.14105326766599330220e01, -6.05014350600728481186e00,
)  # fmt: skip
_J_QQ0 = (
    6.43178256118178023184e01, 8.56430025976980587198e02, 3.88240183605401609683e03,
    7.24046774195652478189e03, 5.93072701187316984827e03, 2.06209331660327847417e03,
    2.42005740240291393179e02,
)  # fmt: skip
_J0_RP = (
    -4.79443220978201773821e09, 1.95617491946556577543e12, -2.49248344360967716204e14,
    9.70862251047306323952e15,
)  # fmt: skip
_J0_RQ = (
    4.99563147152651017219e02, 1.73785401676374683123e05, 4.84409658339962045305e07,
    1.11855537045356834862e10, 2.11277520115489217587e12, 3.10518229857422583814e14,
    3.18121955943204943306e16, 1.71086294081043136091e18,
)  # fmt: skip
_J_PP1 = (
    7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e00,
    5.11207951146807644818e00, 8.42404590141772420927e00, 5.21451598682361504063e00,
    1.00000000000000000254e00,
)  # fmt: skip
_J_PQ1 = (
    5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e00,
    5.07386386128601488557e00, 8.39985554327604159757e00, 5.20982848682361821619e00,
    9.99999999999999997461e-01,
)  # fmt: skip
_J_QP1 = (
    5.10862594750176621635e-02, 4.98213872951233449420e00, 7.58238284132545283818e01,
    3.66779609360150777800e02, 7.10856304998926107277e02, 5.97489612400613639965e02,
    2.11688757100572135698e02, 2.52070205858023719784e01,
)  # fmt: skip
_J_QQ1 = (
    7.42373277035675149943e01, 1.05644886038262816351e03, 4.98641058337653607651e03,
    9.56231892404756170795e03, 7.99704160447350683650e03, 2.82619278517639096600e03,
    3.36093607810698293419e02,
)  # fmt: skip
_J1_RP = (
    -8.99971225705559398224e08, 4.52228297998194034323e11, -7.27494245221818276015e13,
    3.68295732863852883286e15,
)  # fmt: skip
_J1_RQ = (
    6.20836478118054335476e02, 2.56987256757748830383e05, 8.35146791431949253037e07,
    2.21511595479792499675e10, 4.74914122079991414898e12, 7.84369607876235854894e14,
    8.95222336184627338078e16, 5.32278620332680085395e18,
)  # fmt: skip
_Y0_YP = (
    1.55924367855235737965e04, -1.46639295903971606143e07, 5.43526477051876500413e09,
    -9.82136065717911466409e11, 8.75906394395366999549e13, -3.46628303384729719441e15,
    4.42733268572569800351e16, -1.84950800436986690637e16,
)  # fmt: skip
_Y0_YQ = (
    1.04128353664259848412e03, 6.26107330137134956842e05, 2.68919633393814121987e08,
    8.64002487103935000337e10, 2.02979612750105546709e13, 3.17157752842975028269e15,
    2.50596256172653059228e17,
)  # fmt: skip
_Y1_YP = (
    1.26320474790178026440e09, -6.47355876379160291031e11, 1.14509511541823727583e14,
    -8.12770255501325109621e15, 2.02439475713594898196e17, -7.78877196265950026825e17,
)  # fmt: skip
_Y1_YQ = (
    5.94301592346128195359e02, 2.35564092943068577943e05, 7.34811944459721705660e07,
    1.87601316108706159478e10, 3.88231277496238566008e12, 6.20557727146953693363e14,
    6.87141087355300489866e16, 3.97270608116560655612e18,
)  # fmt: skip
_PI_4 = 0.785398163397448309615660845819875721
_3PI_4 = 2.356194490192344928846982537459627163
_SQRT_2_PI = 0.797884560802865355879892119868763737
_2_PI = 0.636619772367581343075535053490057448


def _bessel_tail(x, z, order: int, first: Callable, second: Callable):
    """The large-argument form (x > 5) of J or Y: P cos/sin(x - phase) -+ (5/x) Q sin/cos(...)."""
    pp, pq, qp, qq = (
        (_J_PP0, _J_PQ0, _J_QP0, _J_QQ0) if order == 0 else (_J_PP1, _J_PQ1, _J_QP1, _J_QQ1)
    )
    phase = x - (_PI_4 if order == 0 else _3PI_4)
    p = _horner(z, pp) / _horner(z, pq)
    q = 5.0 / x * (_horner(z, qp) / _horner(z, qq))
    return (p * first(phase) + q * second(phase)) * _SQRT_2_PI / jnp.sqrt(x)


def _bessel_j0_fn(x):
    x = jnp.abs(x)
    z = x * x
    small = (z - 5.78318596294678452118e00) * (z - 3.04712623436620863991e01)
    small = jnp.where(x < 1e-5, 1.0 - z / 4.0, small * _horner(z, _J0_RP) / _horner(z, _J0_RQ))
    big = _bessel_tail(x, 25.0 / (x * x), 0, jnp.cos, lambda t: -jnp.sin(t))
    return jnp.where(x <= 5, small, big)


def _bessel_j1_fn(x):
    ax = jnp.abs(x)
    z = ax * ax
    small = _horner(z, _J1_RP) / _horner(z, _J1_RQ) * ax
    small = small * (z - 1.46819706421238932572e01) * (z - 4.92184563216946036703e01)
    big = _bessel_tail(ax, 5.0 / ax * (5.0 / ax), 1, jnp.cos, lambda t: -jnp.sin(t))
    out = jnp.where(ax <= 5, small, big)
    return jnp.where(x < 0, -out, out)


def _bessel_y0_fn(x):
    z = x * x
    small = _horner(z, _Y0_YP) / _horner(z, _Y0_YQ) + _2_PI * jnp.log(x) * _bessel_j0_fn(x)
    small = jnp.where(x == 0, -jnp.inf, jnp.where(x < 0, jnp.nan, small))
    big = _bessel_tail(x, 25.0 / (x * x), 0, jnp.sin, jnp.cos)
    return jnp.where(x <= 5, small, big)


def _bessel_y1_fn(x):
    z = x * x
    small = x * (_horner(z, _Y1_YP) / _horner(z, _Y1_YQ))
    small = small + _2_PI * (_bessel_j1_fn(x) * jnp.log(x) - 1.0 / x)
    small = jnp.where(x == 0, -jnp.inf, jnp.where(x < 0, jnp.nan, small))
    big = _bessel_tail(x, 5.0 / x * (5.0 / x), 1, jnp.sin, jnp.cos)
    return jnp.where(x <= 5, small, big)


def _spherical_bessel_j0_fn(x):
    # sin(x) / x, by its Taylor series near 0
    taylor = (1 / 6227020800, -1 / 39916800, 1 / 362880, -1 / 5040, 1 / 120, -1 / 6, 1.0)
    series = _horner(x * x, taylor)
    out = jnp.where(jnp.abs(x) < 0.5, series, jnp.sin(x) / x)
    return jnp.where(jnp.isinf(x), 0, out).astype(x.dtype)


# -- modified Bessel functions of the second kind -----------------------------------------------
_K0_A = (
    1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
    1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
    1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
    -5.35327393233902768720e-01,
)  # fmt: skip
_K0_B = (
    5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
    -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
    6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
    -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
    1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
    -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
    2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
    -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
    2.44030308206595545468e00,
)  # fmt: skip
_K1_A = (
    -7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
    -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
    -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
    -3.53155960776544875667e-01, 1.52530022733894777053e00,
)  # fmt: skip
_K1_B = (
    -5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
    1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
    -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
    3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
    -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
    2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
    -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
    1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
    2.72062619048444266945e00,
)  # fmt: skip


def _bessel_k(x, order: int, scaled: bool):
    """K0 or K1 (times exp(x) when ``scaled``): a Chebyshev series on (0, 2] and on (2, inf)."""
    small_x = jnp.where((x > 0) & (x <= 2), x, 1)
    if order == 0:
        small = _chbevl(small_x * small_x - 2, _K0_A) - jnp.log(0.5 * small_x) * jss.i0(small_x)
    else:
        small = jnp.log(0.5 * small_x) * jss.i1(small_x)
        small = small + _chbevl(small_x * small_x - 2, _K1_A) / small_x
    big_x = jnp.where(x > 2, x, 4)
    big = _chbevl(8.0 / big_x - 2, _K0_B if order == 0 else _K1_B) / jnp.sqrt(big_x)
    if scaled:
        small = small * jnp.exp(small_x)
    else:
        big = jnp.exp(-big_x) * big
    out = jnp.where(x <= 2, small, big)
    return jnp.where(x == 0, jnp.inf, jnp.where((x < 0) | jnp.isnan(x), jnp.nan, out))


# -- airy_ai --------------------------------------------------------------------------------------
_AI_AN = (
    3.46538101525629032477e-01, 1.20075952739645805542e01, 7.62796053615234516538e01,
    1.68089224934630576269e02, 1.59756391350164413639e02, 7.05360906840444183113e01,
    1.40264691163389668864e01, 9.99999999999999995305e-01,
)  # fmt: skip
_AI_AD = (
    5.67594532638770212846e-01, 1.47562562584847203173e01, 8.45138970141474626562e01,
    1.77318088145400459522e02, 1.64234692871529701831e02, 7.14778400825575695274e01,
    1.40959135607834029598e01, 1.00000000000000000470e00,
)  # fmt: skip
_AI_AFN = (
    -1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
    -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
    -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08,
)  # fmt: skip
_AI_AFD = (
    1.33560420706553243746e01, 3.26825032795224613948e01, 2.67367040941499554804e01,
    9.18707402907259625840e00, 1.47529146771666414581e00, 1.15687173795188044134e-01,
    4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07,
)  # fmt: skip
_AI_AGN = (
    1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e00,
    9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
    5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
    8.11789239554389293311e-08, 3.41551784765923618484e-10,
)  # fmt: skip
_AI_AGD = (
    9.30892908077441974853e00, 1.98352928718312140417e01, 1.55646628932864612953e01,
    5.47686069422975497931e00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
    4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
    4.91834570062930015649e-09,
)  # fmt: skip


def _airy_ai_fn(x):
    # x < -2.09: the oscillating asymptotic form
    xn = jnp.where(x < -2.09, x, -4)
    zeta = -2.0 * xn * jnp.sqrt(-xn) / 3.0
    z = 1.0 / zeta
    zz = z * z
    f = 1.0 + zz * _horner(zz, _AI_AFN) / _horner(zz, _AI_AFD)
    g = z * _horner(zz, _AI_AGN) / _horner(zz, _AI_AGD)
    t = zeta + 0.25 * math.pi
    neg = 5.64189583547756286948e-01 / jnp.sqrt(jnp.sqrt(-xn)) * (jnp.sin(t) * f - jnp.cos(t) * g)
    # x >= 2.09: the decaying asymptotic form
    xp = jnp.where(x >= 2.09, x, 4)
    zeta = 2.0 * xp * jnp.sqrt(xp) / 3.0
    ratio = _horner(1.0 / zeta, _AI_AN) / _horner(1.0 / zeta, _AI_AD)
    pos = 5.64189583547756286948e-01 * ratio / (2.0 * jnp.sqrt(jnp.sqrt(xp)) * jnp.exp(zeta))
    # -2.09 <= x < 2.09: the Maclaurin series, summed until its terms fall below eps
    near = (x >= -2.09) & (x < 2.09)
    xs = jnp.where(near, x, 0)
    z3, one = xs * xs * xs, jnp.ones_like(xs)
    eps = _eps(x)

    def step(_, s):
        f, g, m, n, k = s
        m = m * z3 / (k + 1)
        n = n * z3 / (k + 2)
        m = m / (k + 2)
        n = n / (k + 3)
        f, g = f + m, g + n
        return (f, g, m, n, k + 3), jnp.abs(m / f) > eps

    f, g, *_ = _iterate(step, (one, xs, one, xs, one), near)
    series = 0.355028053887817239260 * f - 0.258819403792806798405 * g
    out = jnp.where(x < -2.09, neg, jnp.where(x >= 2.09, pos, series))
    out = jnp.where(x > 103.892, 0, out)
    return jnp.where(jnp.isinf(x) | jnp.isnan(x), jnp.nan, out).astype(x.dtype)


# -- orthogonal polynomials (PyTorch's closed forms and three-term recurrences) -----------------
def _degree(n):
    """``n`` as PyTorch's ``static_cast<int64_t>``: truncated; nan, inf and values out of the
    int64 range give INT64_MIN (x86's answer), i.e. a negative degree."""
    ok = jnp.isfinite(n) & (jnp.abs(n) < 2.0**63)
    return jnp.where(ok, jnp.where(ok, n, 0).astype(jnp.int64), -1)


def _recur(x, p, q, step: Callable, stop, nan_stop: bool = True, r=None):
    """Run PyTorch's ``for (k = 1; k < stop && !isnan(q); k++) { r = step(k, p, q); p = q;
    q = r; }`` elementwise and return ``r`` (``r`` is what an element that never iterates
    returns: PyTorch's uninitialised variable, which its builds leave at ``q`` or 0)."""
    r = q if r is None else r

    def body(k, s):
        p, q, r = s
        kf = k.astype(x.dtype)
        r = step(kf, p, q)
        more = k + 1 < stop
        if nan_stop:
            more = more & ~jnp.isnan(r)
        return (q, r, r), more

    active = 1 < stop
    if nan_stop:
        active = active & ~jnp.isnan(q)
    return _iterate(body, (p, q, r), active)[2]


def _polynomial(x, k, cases: list, q, step: Callable, nan_stop: bool = True, r=None):
    """PyTorch's ``if`` chain (``cases``: (condition, value), the first that holds wins), then
    its recurrence for the elements no case took."""
    taken = jnp.zeros(jnp.broadcast_shapes(x.shape, k.shape), bool)
    for cond, _ in cases:
        taken = taken | cond
    out = _recur(x, jnp.ones_like(x), q, step, jnp.where(taken, 0, k), nan_stop, r)
    for cond, value in reversed(cases):
        out = jnp.where(cond, value, out)
    return out.astype(x.dtype)


def _chebyshev_fn(x, n, *, kind: str, shifted: bool):
    x, n = jnp.broadcast_arrays(x, n)
    k = _degree(n)
    nf = k.astype(x.dtype)
    y = x + x - 1.0 if shifted else x
    at_one = (x == 1) if shifted else (jnp.abs(x) == 1) & (x > 0)
    at_minus_one = (x == 0) if shifted else (jnp.abs(x) == 1) & ~(x > 0)
    even = k % 2 == 0
    big = (k > (4 if shifted and kind == "w" else 6 if kind == "t" or shifted else 8)) & (
        jnp.abs(y) < 1
    )
    theta = jnp.arccos(jnp.where(big, y, 0))
    if kind == "t":
        ends = (1.0, jnp.where(even, 1.0, -1.0))
        closed = jnp.cos(nf * theta)
        q = y
    elif kind == "u":
        ends = (nf + 1, jnp.where(even, nf + 1, -(nf + 1)))
        s = jnp.sin(theta)
        closed = jnp.where(
            s != 0, jnp.sin((nf + 1) * theta) / s, (nf + 1) * jnp.cos((nf + 1) * theta) / y
        )
        q = y + y
    elif kind == "v":
        ends = (1.0, jnp.where(even, nf + nf + 1, -(nf + nf + 1)))
        half = jnp.cos((nf + 0.5) * theta) / jnp.cos(theta / 2)
        closed = jnp.where(jnp.sin(theta / 2) != 1, half, ends[1])
        q = y + y - 1.0
    else:
        ends = (nf + nf + 1, jnp.where(even, 1.0, -1.0))
        half = jnp.sin((nf + 0.5) * theta) / jnp.sin(theta / 2)
        closed = jnp.where(jnp.cos(theta / 2) != 1, half, jnp.where(x > 0, ends[0], ends[1]))
        q = y + y + 1.0
    cases = [(k < 0, 0.0), (at_one, ends[0]), (at_minus_one, ends[1]), (big, closed)]
    cases += [(k == 0, 1.0), (k == 1, q)]
    return _polynomial(x, k, cases, q, lambda _, p, q: (y + y) * q - p)


def _hermite_fn(x, n, *, physicists: bool):
    x, n = jnp.broadcast_arrays(x, n)
    k = _degree(n)
    q = x + x if physicists else x
    limit = 128 if x.dtype == jnp.float32 else 512
    cases = [(k < 0, 0.0), (k == 0, 1.0), (k == 1, q), (k > limit, jnp.nan)]
    if physicists:
        return _polynomial(x, k, cases, q, lambda j, p, q: (x + x) * q - (j + j) * p, False)
    return _polynomial(x, k, cases, q, lambda j, p, q: x * q - j * p, False)


def _laguerre_fn(x, n):
    x, n = jnp.broadcast_arrays(x, n)
    k = _degree(n)
    q = 1.0 - x
    cases = [(k < 0, 0.0), (jnp.abs(x) == 0, 1.0), (k == 0, 1.0), (k == 1, q)]
    step = lambda j, p, q: (((j + j) + (1.0 - x)) * q - j * p) / (j + 1)  # noqa: E731
    return _polynomial(x, k, cases, q, step, r=jnp.zeros_like(x))


def _legendre_fn(x, n):
    x, n = jnp.broadcast_arrays(x, n)
    k = _degree(n)
    ends = jnp.where((x > 0) | (k % 2 == 0), 1.0, -1.0)
    cases = [(k < 0, 0.0), (jnp.abs(x) == 1, ends), (k == 0, 1.0), (k == 1, x)]
    step = lambda j, p, q: ((j + j + 1) * x * q - j * p) / (j + 1)  # noqa: E731
    return _polynomial(x, k, cases, x, step, r=jnp.zeros_like(x))


# -- incomplete gamma, zeta, polygamma -------------------------------------------------------------
_LANCZOS_G = 6.024680040776729583740234375
_LANCZOS_NUM = (
    0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
    19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
    6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
    601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
    14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
    86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
    56906521.91347156388090791033559122686859,
)  # fmt: skip
_LANCZOS_DEN = (
    1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
    150917976.0, 120543840.0, 39916800.0, 0.0,
)  # fmt: skip


def _lanczos_sum_expg_scaled(a):
    big = jnp.abs(a) > 1
    y = jnp.where(big, 1 / a, a)
    num = jnp.where(big, _horner(y, _LANCZOS_NUM[::-1]), _horner(y, _LANCZOS_NUM))
    den = jnp.where(big, _horner(y, _LANCZOS_DEN[::-1]), _horner(y, _LANCZOS_DEN))
    return num / den


def _igam_fac(a, x):
    """``x**a * exp(-x) / gamma(a)``, as SciPy's (and PyTorch's) ``igam_fac``."""
    ax = a * jnp.log(x) - x - lax.lgamma(a)
    direct = jnp.where(ax < -7.09782712893383996843e2, 0, jnp.exp(ax))
    fac = a + _LANCZOS_G - 0.5
    res = jnp.sqrt(fac / math.e) / _lanczos_sum_expg_scaled(a)
    moderate = res * jnp.exp(a - x) * jnp.power(x / fac, a)
    numfac = (x - a - _LANCZOS_G + 0.5) / fac
    large = res * jnp.exp(a * (jnp.log1p(numfac) - numfac) + x * (0.5 - _LANCZOS_G) / fac)
    lanczos = jnp.where((a < 200) & (x < 200), moderate, large)
    return jnp.where(jnp.abs(a - x) > 0.4 * jnp.abs(a), direct, lanczos)


def _igamma_terms(a, x, method, limit):
    """Run, per element, one of PyTorch's three sums (``method`` 0: the series for the lower
    function, DLMF 8.11.4; 1: the series for the upper one, 8.7.3; 2: the continued fraction
    for the upper one, 8.9.2), each stopped at PyTorch's tolerance, in one loop."""
    eps = 1.11022302462515654042e-16
    big, biginv = 4.503599627370496e15, 2.22044604925031308085e-16

    def step(k, s):
        (r, c, ans), (fac, total), (n, y, z, pkm2, pkm1, qkm2, qkm1, frac) = s
        r = r + 1
        c = c * x / r
        ans = ans + c
        kf = k.astype(x.dtype)
        fac = fac * -x / kf
        term = fac / (a + kf)
        total = total + term
        n, y, z = n + 1, y + 1, z + 2
        pk = pkm1 * z - pkm2 * (y * n)
        qk = qkm1 * z - qkm2 * (y * n)
        ratio = pk / jnp.where(qk != 0, qk, 1)
        t = jnp.where(qk != 0, jnp.abs((frac - ratio) / ratio), 1)
        frac = jnp.where(qk != 0, ratio, frac)
        scale = jnp.where(jnp.abs(pk) > big, biginv, 1)
        fraction = (n, y, z, pkm1 * scale, pk * scale, qkm1 * scale, qk * scale, frac)
        more = [c > eps * ans, jnp.abs(term) > eps * jnp.abs(total), t > eps]
        more = jnp.where(method == 0, more[0], jnp.where(method == 1, more[1], more[2]))
        return ((r, c, ans), (fac, total), fraction), more

    one, zero = jnp.ones_like(x), jnp.zeros_like(x)
    z = x + (1 - a) + 1
    start = ((a, one, one), (one, zero), (zero, 1 - a, z, one, x + 1, x, z * x, (x + 1) / (z * x)))
    (_, _, ans), (_, total), fraction = _iterate(step, start, method >= 0, limit)
    ax = _igam_fac(a, x)
    logx = jnp.log(x)
    lower_series = jnp.where(ax == 0, 0, ans * ax / a)
    upper_series = (
        -jnp.expm1(a * logx - lax.lgamma(1 + a)) - jnp.exp(a * logx - lax.lgamma(a)) * total
    )
    upper_fraction = jnp.where(ax == 0, 0, fraction[-1] * ax)
    return jnp.where(
        method == 0, lower_series, jnp.where(method == 1, upper_series, upper_fraction)
    )


# The first terms of Temme's uniform expansion (DLMF 8.12.3): d[k][n] multiplies eta**n / a**k.
_TEMME_D = (
    (-3.3333333333333333e-1, 8.3333333333333333e-2, -1.4814814814814815e-2, 1.1574074074074074e-3),
    (-1.8518518518518519e-3, -3.4722222222222222e-3, 2.6455026455026455e-3, -9.9022633744855967e-4),
    (4.1335978835978836e-3, -2.6813271604938272e-3, 7.7160493827160494e-4, 2.0093878600823045e-6),
)  # fmt: skip


def _temme_eta(a, x):
    sigma = (x - a) / a
    return jnp.sign(x - a) * jnp.sqrt(-2 * (jnp.log1p(sigma) - sigma))


def _igam_temme(a, x, upper: bool):
    """Temme's uniform expansion for a large ``a`` near ``x`` (``a > 1e5``, where ``|eta|`` is
    below 0.015): its first three terms in ``1/a`` and four in ``eta`` reach full precision."""
    eta = _temme_eta(a, x)
    sgn = 1 if upper else -1
    total = sum(_horner(eta, row[::-1]) / a**k for k, row in enumerate(_TEMME_D))
    lead = 0.5 * jss.erfc(sgn * eta * jnp.sqrt(a / 2))
    return lead + sgn * jnp.exp(-0.5 * a * eta * eta) * total / jnp.sqrt(2 * math.pi * a)


def _igamma_raw(a, x, upper: bool):
    """The regularized lower (or ``upper``) incomplete gamma function, following PyTorch's
    choice of series and continued fraction, in float64 (float32 is rounded at the end).
    Where PyTorch sums its uniform asymptotic expansion (a large ``a`` near ``x``), the series
    or continued fraction it picks elsewhere serve instead (up to 20000 terms), and for
    ``a > 1e5`` the leading terms of that expansion."""
    dt = x.dtype
    a, x = a.astype(jnp.float64), x.astype(jnp.float64)
    boundary = (x < 0) | (a < 0) | (a == 0) | (x == 0) | jnp.isinf(a) | jnp.isinf(x)
    boundary = boundary | jnp.isnan(a) | jnp.isnan(x)
    a_, x_ = jnp.where(boundary, 1, a), jnp.where(boundary, 1, x)
    ratio = jnp.abs(x_ - a_) / a_
    asymptotic = ((a_ > 20) & (a_ < 200) & (ratio < 0.3)) | (
        (a_ > 200) & (ratio < 4.5 / jnp.sqrt(a_))
    )
    temme = asymptotic & (a_ > 1e5)
    log_ratio = -0.4 / jnp.log(x_)
    series_region = jnp.where(
        x_ > 1.1, x_ < a_, jnp.where(x_ <= 0.5, log_ratio < a_, x_ * 1.1 < a_)
    )
    lower_by_upper = (x_ > 1) & (x_ > a_)
    if upper:
        take_series = series_region
        take_fraction = ~series_region & (x_ > 1.1)
    else:
        take_series = ~lower_by_upper
        take_fraction = lower_by_upper & (x_ > 1.1)
    take_series, take_fraction = take_series & ~temme, take_fraction & ~temme
    method = jnp.where(take_series, 0, jnp.where(take_fraction, 2, 1))
    method = jnp.where(temme, -1, method)
    limit = jnp.where(asymptotic, 20000, jnp.where(method == 1, 1999, 2000))
    terms = _igamma_terms(a_, x_, method, limit)
    if upper:
        out = jnp.where(take_series, 1 - terms, terms)
        at_zero_a, at_zero_x, at_inf_a, at_inf_x = 0.0, 1.0, 1.0, 0.0
    else:
        out = jnp.where(take_series, terms, 1 - terms)
        at_zero_a, at_zero_x, at_inf_a, at_inf_x = 1.0, 0.0, 0.0, 1.0
    out = jnp.where(temme, _igam_temme(a_, x_, upper), out)
    # NOTE: PyTorch's expansion divides its correction to the leading erfc term by
    # sqrt(2 pi a) with pi rounded to float32; its values carry that factor, so ours do too.
    lead = 0.5 * jss.erfc((1 if upper else -1) * _temme_eta(a_, x_) * jnp.sqrt(a_ / 2))
    out = jnp.where(asymptotic, lead + (out - lead) * math.sqrt(math.pi / 3.1415927410125732), out)
    out = jnp.where(jnp.isnan(a) | jnp.isnan(x), jnp.nan, out)
    edges = [
        ((x < 0) | (a < 0), jnp.nan),
        (a == 0, jnp.where(x > 0, at_zero_a, jnp.nan)),
        (x == 0, at_zero_x),
        (jnp.isinf(a), jnp.where(jnp.isinf(x), jnp.nan, at_inf_a)),
        (jnp.isinf(x), at_inf_x),
    ]
    for cond, value in reversed(edges):
        out = jnp.where(cond, value, out)
    return out.astype(dt)


_ZETA_A = (
    12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
    -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
    1.8152105401943546773e17, -7.1661652561756670113e18,
)  # fmt: skip


def _zeta_raw(x, q):
    """Hurwitz zeta, Cephes' algorithm as PyTorch runs it: in double precision for float32
    (PyTorch's CPU accumulate type), rounded to the input dtype at the end."""
    dt = x.dtype
    x, q = x.astype(jnp.float64), q.astype(jnp.float64)
    eps = 1.11022302462515654042e-16
    pole = (q <= 0) & (q == jnp.floor(q))
    bad = (x == 1) | (x < 1) | pole | ((q <= 0) & (x != jnp.floor(x)))
    x_, q_ = jnp.where(bad, 2, x), jnp.where(bad, 1, q)
    s = jnp.power(q_, -x_)

    def step(k, st):
        a, b, s, done = st
        a = a + 1
        b = jnp.power(a, -x_)
        s = s + b
        conv = (-eps * s < b) & (b < eps * s)
        return (a, b, s, conv), ~conv & ((k < 9) | (a <= 9))

    a, b, s, done = _iterate(step, (q_, jnp.zeros_like(s), s, jnp.zeros_like(s, bool)), ~bad)
    w = a
    s = jnp.where(done, s, s + b * w / (x_ - 1) - 0.5 * b)
    a, k = jnp.ones_like(s), jnp.zeros_like(s)
    for c in _ZETA_A:
        a = a * (x_ + k)
        b = b / w
        t = a * b / c
        s = jnp.where(done, s, s + t)
        done = done | (jnp.abs(t / s) < eps)
        k = k + 1
        a = a * (x_ + k)
        b = b / w
        k = k + 1
    out = jnp.where((q <= 0) & (x != jnp.floor(x)), jnp.nan, s)
    out = jnp.where(pole, jnp.inf, out)
    out = jnp.where(x < 1, jnp.nan, out)
    return jnp.where(x == 1, jnp.inf, out).astype(dt)


def _polygamma_raw(x, n: int):
    if n == 0:
        return _digamma(x)
    if n == 1:
        return _trigamma(x)
    sign = 1.0 if n % 2 else -1.0
    fact = jnp.exp(lax.lgamma(jnp.asarray(n + 1.0, x.dtype)))
    return sign * fact * _zeta_raw(jnp.full_like(x, n + 1.0), x)


# -- derivatives ----------------------------------------------------------------------------------
def _derivatives(fn: Callable, *partials) -> Callable:
    """``fn`` with PyTorch's derivative formulas: ``partials[i](*inputs, out)`` is the derivative
    in input ``i``, or the name PyTorch's "derivative ... is not implemented" error gives it.
    Inputs that are not differentiated are skipped (a nan partial must not reach their zero)."""
    f = jax.custom_jvp(fn)

    def jvp(primals, tangents):
        out = f(*primals)
        total = jnp.zeros_like(out)
        for d, t in zip(partials, tangents):
            if isinstance(t, SymbolicZero):
                continue
            if isinstance(d, str):
                raise NotImplementedError(f"the derivative for '{d}' is not implemented.")
            total = total + d(*primals, out) * t
        return out, total

    f.defjvp(jvp, symbolic_zeros=True)
    return f


def _tiny_safe(x):
    eps = _eps(x)
    return jnp.abs(x) > eps, jnp.where(jnp.abs(x) > eps, x, eps)


def _d_i1(x, out):
    big, safe = _tiny_safe(x)
    return jnp.where(big, _i0_fn(safe) - out / safe, 0.5)


def _d_i1e(x, out):
    big, safe = _tiny_safe(x)
    return jnp.where(big, _i0e_fn(safe) - out * (jnp.sign(safe) + 1 / safe), 0.5)


def _d_sinc(x, out):
    px = x * math.pi
    sq = x * x * math.pi
    return jnp.where(sq == 0, 0, (px * jnp.cos(px) - jnp.sin(px)) / jnp.conj(sq))


def _d_igamma(a, x, out):
    return jnp.exp((a - 1) * jnp.log(x) - x - lax.lgamma(a))


_i1_fn = _derivatives(jss.i1, _d_i1)
_i0_fn = _derivatives(jss.i0, lambda x, out: _i1_fn(x))
_i1e_fn = _derivatives(jss.i1e, _d_i1e)
_i0e_fn = _derivatives(jss.i0e, lambda x, out: _i1e_fn(x) - jnp.sign(x) * out)
_ndtri_fn = _derivatives(jss.ndtri, lambda x, out: _SQRT_2PI * jnp.exp(out * out / 2))
_log_ndtr = _derivatives(_log_ndtr_fn, lambda x, out: jnp.exp(-(out + x * x / 2)) / _SQRT_2PI)
_erfcx = _derivatives(_erfcx_fn, lambda x, out: 2.0 * x * out - 2.0 / math.sqrt(math.pi))
_entr = _derivatives(_entr_fn, lambda x, out: -(1 + jnp.log(x)))
_sinc = _derivatives(_sinc_fn, _d_sinc)
_xlog1py = _derivatives(
    _xlog1py_fn,
    lambda x, y, out: jnp.where((x == 0) & (y <= -1), 0, jnp.log1p(y)),
    lambda x, y, out: x / (y + 1),
)
_igamma = _derivatives(partial(_igamma_raw, upper=False), "igamma: input", _d_igamma)
_igammac = _derivatives(
    partial(_igamma_raw, upper=True), "igammac: input", lambda a, x, out: -_d_igamma(a, x, out)
)
_zeta = _derivatives(_zeta_raw, "zeta", lambda x, q, out: -x * _zeta(x + 1.0, q))


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _polygamma_fn(x, n: int):
    return _polygamma_raw(x, n)


# NOTE: d/dx polygamma(n, x) = polygamma(n + 1, x), PyTorch's formula (and JAX has no rule).
_polygamma_fn.defjvp(lambda n, p, t: (_polygamma_fn(p[0], n), _polygamma_fn(p[0], n + 1) * t[0]))


def _mvlgamma_fn(x, p: int):
    args = jnp.arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=x.dtype)
    return _lgamma_fn(x[..., None] + args).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


# -- the op table ---------------------------------------------------------------------------------
# NOTE: ``ndtr`` is a composite in PyTorch, (1 + erf(x * sqrt(1/2))) * 0.5, recorded through the
# Scalar overloads of aten's mul and add; these two ops give its graph PyTorch's node names.
_mul_scalar = Op("MulBackward1", lambda x, other: x * other, saves=())
_add_scalar = Op("AddBackward1", lambda x, other: x + other, saves=())
_i0 = Op("I0Backward0", _half_in_float32(_i0_fn))
_i0e = Op("SpecialI0EBackward0", _half_in_float32(_i0e_fn))
_i1 = Op("SpecialI1Backward0", _half_in_float32(_i1_fn))
_i1e = Op("SpecialI1EBackward0", _half_in_float32(_i1e_fn))
_ndtri = Op("SpecialNdtriBackward0", _ndtri_fn, saves=())
_log_ndtr_op = Op("SpecialLogNdtrBackward0", _log_ndtr)
_erfcx_op = Op("SpecialErfcxBackward0", _erfcx)
_entr_op = Op("SpecialEntrBackward0", _half_in_float32(_entr))
_sinc_op = Op("SincBackward0", _half_in_float32(_sinc))
_polygamma_op = Op("PolygammaBackward0", _half_in_float32(_polygamma_fn))
_mvlgamma_op = Op("MvlgammaBackward0", _half_in_float32(_mvlgamma_fn))
_xlog1py_ops = tuple(
    Op(f"SpecialXlog1PyBackward{i}", _half_in_float32(_xlog1py), on_error=_broadcast_error)
    for i in range(3)
)
_zeta_ops = tuple(Op(f"SpecialZetaBackward{i}", _zeta, on_error=_broadcast_error) for i in range(3))
_igamma_op = Op("IgammaBackward0", _half_in_float32(_igamma), on_error=_broadcast_error)
_igammac_op = Op("IgammacBackward0", _half_in_float32(_igammac), on_error=_broadcast_error)


def _nograd(fn: Callable) -> Op:
    # PyTorch defines no derivative for these: their outputs never require grad.
    return Op("NotImplemented", fn, differentiable=False, on_error=_broadcast_error)


_airy_ai = _nograd(_airy_ai_fn)
_bessel_j0 = _nograd(_bessel_j0_fn)
_bessel_j1 = _nograd(_bessel_j1_fn)
_bessel_y0 = _nograd(_bessel_y0_fn)
_bessel_y1 = _nograd(_bessel_y1_fn)
_modified_bessel_i0 = _nograd(jss.i0)
_modified_bessel_i1 = _nograd(jss.i1)
_modified_bessel_k0 = _nograd(partial(_bessel_k, order=0, scaled=False))
_modified_bessel_k1 = _nograd(partial(_bessel_k, order=1, scaled=False))
_scaled_modified_bessel_k0 = _nograd(partial(_bessel_k, order=0, scaled=True))
_scaled_modified_bessel_k1 = _nograd(partial(_bessel_k, order=1, scaled=True))
_spherical_bessel_j0 = _nograd(_spherical_bessel_j0_fn)
_chebyshev_t = _nograd(partial(_chebyshev_fn, kind="t", shifted=False))
_chebyshev_u = _nograd(partial(_chebyshev_fn, kind="u", shifted=False))
_chebyshev_v = _nograd(partial(_chebyshev_fn, kind="v", shifted=False))
_chebyshev_w = _nograd(partial(_chebyshev_fn, kind="w", shifted=False))
_shifted_chebyshev_t = _nograd(partial(_chebyshev_fn, kind="t", shifted=True))
_shifted_chebyshev_u = _nograd(partial(_chebyshev_fn, kind="u", shifted=True))
_shifted_chebyshev_v = _nograd(partial(_chebyshev_fn, kind="v", shifted=True))
_shifted_chebyshev_w = _nograd(partial(_chebyshev_fn, kind="w", shifted=True))
_hermite_h = _nograd(partial(_hermite_fn, physicists=True))
_hermite_he = _nograd(partial(_hermite_fn, physicists=False))
_laguerre_l = _nograd(_laguerre_fn)
_legendre_p = _nograd(_legendre_fn)


# -- public functions -----------------------------------------------------------------------------
_T3 = "tensorish.tensor([0., 1., 2.])"
_K3 = "tensorish.tensor([0.5, 1., 2.])"
_P2 = "tensorish.tensor([0.25, 0.5]), 3"
# name: (summary, example arguments, the example's output)
_DOCS = {
    "airy_ai": (
        "The Airy function Ai.",
        "tensorish.tensor([-1., 0., 1.])",
        "tensor([0.5356, 0.3550, 0.1353])",
    ),
    "bessel_j0": (
        "The Bessel function of the first kind, order 0.",
        _T3,
        "tensor([1.0000, 0.7652, 0.2239])",
    ),
    "bessel_j1": (
        "The Bessel function of the first kind, order 1.",
        _T3,
        "tensor([0.0000, 0.4401, 0.5767])",
    ),
    "bessel_y0": (
        "The Bessel function of the second kind, order 0.",
        _K3,
        "tensor([-0.4445,  0.0883,  0.5104])",
    ),
    "bessel_y1": (
        "The Bessel function of the second kind, order 1.",
        _K3,
        "tensor([-1.4715, -0.7812, -0.1070])",
    ),
    "modified_bessel_i0": (
        "The modified Bessel function of the first kind, order 0.",
        _T3,
        "tensor([1.0000, 1.2661, 2.2796])",
    ),
    "modified_bessel_i1": (
        "The modified Bessel function of the first kind, order 1.",
        _T3,
        "tensor([0.0000, 0.5652, 1.5906])",
    ),
    "modified_bessel_k0": (
        "The modified Bessel function of the second kind, order 0.",
        _K3,
        "tensor([0.9244, 0.4210, 0.1139])",
    ),
    "modified_bessel_k1": (
        "The modified Bessel function of the second kind, order 1.",
        _K3,
        "tensor([1.6564, 0.6019, 0.1399])",
    ),
    "scaled_modified_bessel_k0": (
        "``exp(x) * modified_bessel_k0(x)``.",
        _K3,
        "tensor([1.5241, 1.1445, 0.8416])",
    ),
    "scaled_modified_bessel_k1": (
        "``exp(x) * modified_bessel_k1(x)``.",
        _K3,
        "tensor([2.7310, 1.6362, 1.0335])",
    ),
    "spherical_bessel_j0": (
        "The spherical Bessel function of the first kind, order 0.",
        _T3,
        "tensor([1.0000, 0.8415, 0.4546])",
    ),
    "i0": (
        "The modified Bessel function of the first kind, order 0.",
        _T3,
        "tensor([1.0000, 1.2661, 2.2796])",
    ),
    "i0e": ("``exp(-abs(x)) * i0(x)``.", _T3, "tensor([1.0000, 0.4658, 0.3085])"),
    "i1": (
        "The modified Bessel function of the first kind, order 1.",
        _T3,
        "tensor([0.0000, 0.5652, 1.5906])",
    ),
    "i1e": ("``exp(-abs(x)) * i1(x)``.", _T3, "tensor([0.0000, 0.2079, 0.2153])"),
    "ndtr": (
        "The standard normal CDF.",
        "tensorish.tensor([-1., 0., 1.])",
        "tensor([0.1587, 0.5000, 0.8413])",
    ),
    "ndtri": (
        "The inverse of the standard normal CDF.",
        "tensorish.tensor([0.1, 0.5, 0.9])",
        "tensor([-1.2816,  0.0000,  1.2816])",
    ),
    "log_ndtr": (
        "The log of the standard normal CDF.",
        "tensorish.tensor([-1., 0., 1.])",
        "tensor([-1.8410, -0.6931, -0.1728])",
    ),
    "erfcx": (
        "The scaled complementary error function ``exp(x**2) * erfc(x)``.",
        "tensorish.tensor([-1., 0., 1.])",
        "tensor([5.0090, 1.0000, 0.4276])",
    ),
    "entr": (
        "``-x * log(x)`` (0 at 0, -inf below).",
        "tensorish.tensor([0., 0.5, 1.])",
        "tensor([0.0000, 0.3466, -0.0000])",
    ),
    "sinc": (
        "The normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0).",
        "tensorish.tensor([0., 0.5])",
        "tensor([1.0000, 0.6366])",
    ),
    "chebyshev_polynomial_t": (
        "The Chebyshev polynomial of the first kind, of degree ``n``.",
        _P2,
        "tensor([-0.6875, -1.0000])",
    ),
    "chebyshev_polynomial_u": (
        "The Chebyshev polynomial of the second kind, of degree ``n``.",
        _P2,
        "tensor([-0.8750, -1.0000])",
    ),
    "chebyshev_polynomial_v": (
        "The Chebyshev polynomial of the third kind, of degree ``n``.",
        _P2,
        "tensor([-0.1250, -1.0000])",
    ),
    "chebyshev_polynomial_w": (
        "The Chebyshev polynomial of the fourth kind, of degree ``n``.",
        _P2,
        "tensor([-1.6250, -1.0000])",
    ),
    "shifted_chebyshev_polynomial_t": (
        "``chebyshev_polynomial_t(2x - 1, n)``.",
        _P2,
        "tensor([1., -0.])",
    ),
    "shifted_chebyshev_polynomial_u": (
        "``chebyshev_polynomial_u(2x - 1, n)``.",
        _P2,
        "tensor([1., -0.])",
    ),
    "shifted_chebyshev_polynomial_v": (
        "``chebyshev_polynomial_v(2x - 1, n)``.",
        _P2,
        "tensor([1., 1.])",
    ),
    "shifted_chebyshev_polynomial_w": (
        "``chebyshev_polynomial_w(2x - 1, n)``.",
        _P2,
        "tensor([ 1., -1.])",
    ),
    "hermite_polynomial_h": (
        "The physicists' Hermite polynomial of degree ``n``.",
        _P2,
        "tensor([-2.8750, -5.0000])",
    ),
    "hermite_polynomial_he": (
        "The probabilists' Hermite polynomial of degree ``n``.",
        _P2,
        "tensor([-0.7344, -1.3750])",
    ),
    "laguerre_polynomial_l": (
        "The Laguerre polynomial of degree ``n``.",
        _P2,
        "tensor([ 0.3411, -0.1458])",
    ),
    "legendre_polynomial_p": (
        "The Legendre polynomial of degree ``n``.",
        _P2,
        "tensor([-0.3359, -0.4375])",
    ),
    "xlog1py": (
        "``input * log1p(other)``, 0 where ``input`` is 0 (nan where ``other`` is nan).",
        "tensorish.tensor([0., 2.]), tensorish.tensor([-1., 1.])",
        "tensor([0.0000, 1.3863])",
    ),
    "zeta": (
        "The Hurwitz zeta function, ``sum((k + other) ** -input for k >= 0)``.",
        "tensorish.tensor([2., 4.]), 1.",
        "tensor([1.6449, 1.0823])",
    ),
    "gammainc": (
        "The regularized lower incomplete gamma function.",
        "tensorish.tensor([1., 2.]), tensorish.tensor([1., 1.])",
        "tensor([0.6321, 0.2642])",
    ),
    "gammaincc": (
        "The regularized upper incomplete gamma function.",
        "tensorish.tensor([1., 2.]), tensorish.tensor([1., 1.])",
        "tensor([0.3679, 0.7358])",
    ),
    "polygamma": (
        "The ``n``-th derivative of the digamma function.",
        "1, tensorish.tensor([1., 2.])",
        "tensor([1.6449, 0.6449])",
    ),
    "multigammaln": (
        "The multivariate log-gamma function of dimension ``p``.",
        "tensorish.tensor([1., 2.]), 2",
        "tensor([1.1447, 0.4516])",
    ),
    "round": (
        "Round half to even (``decimals`` places).",
        "tensorish.tensor([0.5, 1.5, 2.7])",
        "tensor([0., 2., 3.])",
    ),
    "logsumexp": (
        "``log(sum(exp(input)))`` over ``dim``.",
        "tensorish.tensor([0., 0.]), 0",
        "tensor(0.6931)",
    ),
}


def _doc(name: str, namespace: str = "special.") -> str:
    summary, args, out = _DOCS[name]
    call = f"tensorish.{namespace}{name}({args})"
    return f"{summary}\n\n    >>> import tensorish\n    >>> {call}\n    {out}\n    "


def _default_cast(dt: _dtype.dtype) -> tuple | None:
    return None if _is_float(dt) else (_dtype.get_default_dtype().np,)


def _named(f: Callable, name: str, doc: str | None) -> Callable:
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


def _unary(
    name: str, op: Op, kernel: str | None, *, half: bool = True, prefix: str = "special_"
) -> Callable:
    """A one-tensor function: integers give the default float dtype; complex inputs (and half
    precision, unless ``half``) raise PyTorch's "not implemented" error naming ``kernel``
    (None: complex is accepted)."""
    fname = prefix + name

    def f(input: Tensor) -> Tensor:
        _need_tensor(fname, ("input", input))
        dt = input.dtype
        if kernel is not None and (dt.is_complex or (dt in _HALF and not half)):
            _not_implemented(kernel, dt)
        return apply(op, (input,), (), _default_cast(dt))

    return _named(f, fname, _doc(name, "special." if prefix else ""))


def _alias(name: str, fn: Callable) -> Callable:
    """``torch.special``'s spelling of an existing op (its errors name ``special_<name>``)."""

    def f(input: Tensor, *args, **kwargs) -> Tensor:
        _need_tensor("special_" + name, ("input", input))
        return fn(input, *args, **kwargs)

    return _named(f, "special_" + name, f"An alias of :func:`tensorish.{fn.__name__}`.")


_NUMBER = (bool, int, float, np.number)


def _invalid_combination(name: str, args: tuple, names: tuple[str, str], self_name: str):
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
    a, b = names
    raise TypeError(
        f"{name}() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:\n * (Tensor {a}, Tensor {b}, *, Tensor out = None)\n"
        f" * (Number {self_name}, Tensor {b}, *, Tensor out = None)\n"
        f" * (Tensor {a}, Number {b}, *, Tensor out = None)\n"
    )


def _binary(
    name: str, ops, kernel: str, *, names=("input", "other"), self_name="self", half=True
) -> Callable:
    """A function of a Tensor and a Tensor or a number (either way round), promoted as PyTorch
    does (integers to the default float dtype). ``ops``: one Op, or the (tensor-tensor,
    number-tensor, tensor-number) Ops, which PyTorch names differently."""
    fname = "special_" + name

    def f(input, other) -> Tensor:
        kinds = [isinstance(v, (Tensor, *_NUMBER)) for v in (input, other)]
        if not all(kinds) or not (isinstance(input, Tensor) or isinstance(other, Tensor)):
            _invalid_combination(fname, (input, other), names, self_name)
        dt = result_type(input, other)
        dt = dt if _is_float(dt) else _dtype.get_default_dtype()
        if dt.is_complex or (dt in _HALF and not half):
            _not_implemented(kernel, dt)
        args, cast, _ = promote(input, other, to=dt)
        if isinstance(ops, Op):
            op = ops
        elif not isinstance(input, Tensor):
            op = ops[1]
        else:
            op = ops[0 if isinstance(other, Tensor) else 2]
        return apply(op, args, (), cast)

    return _named(f, fname, _doc(name))


def _polynomial_fn(name: str, op: Op) -> Callable:
    return _binary(name, op, f"{name}_cpu", names=("x", "n"), self_name="x", half=False)


def _nograd_unary(name: str, op: Op) -> Callable:
    return _unary(name, op, f"{name}_cpu", half=False)


special_airy_ai = _nograd_unary("airy_ai", _airy_ai)
special_bessel_j0 = _nograd_unary("bessel_j0", _bessel_j0)
special_bessel_j1 = _nograd_unary("bessel_j1", _bessel_j1)
special_bessel_y0 = _nograd_unary("bessel_y0", _bessel_y0)
special_bessel_y1 = _nograd_unary("bessel_y1", _bessel_y1)
special_modified_bessel_i0 = _nograd_unary("modified_bessel_i0", _modified_bessel_i0)
special_modified_bessel_i1 = _nograd_unary("modified_bessel_i1", _modified_bessel_i1)
special_modified_bessel_k0 = _nograd_unary("modified_bessel_k0", _modified_bessel_k0)
special_modified_bessel_k1 = _nograd_unary("modified_bessel_k1", _modified_bessel_k1)
special_scaled_modified_bessel_k0 = _nograd_unary(
    "scaled_modified_bessel_k0", _scaled_modified_bessel_k0
)
special_scaled_modified_bessel_k1 = _nograd_unary(
    "scaled_modified_bessel_k1", _scaled_modified_bessel_k1
)
special_spherical_bessel_j0 = _nograd_unary("spherical_bessel_j0", _spherical_bessel_j0)
special_i0 = _unary("i0", _i0, "i0_vml_cpu")
special_i0e = _unary("i0e", _i0e, "i0e_cpu")
special_i1 = _unary("i1", _i1, "i1_cpu")
special_i1e = _unary("i1e", _i1e, "i1e_cpu")
special_ndtri = _unary("ndtri", _ndtri, "ndtri_cpu", half=False)
special_log_ndtr = _unary("log_ndtr", _log_ndtr_op, "log_ndtr_cpu", half=False)
special_erfcx = _unary("erfcx", _erfcx_op, "erfcx_cpu", half=False)
special_entr = _unary("entr", _entr_op, "entr_cpu")
special_sinc = _unary("sinc", _sinc_op, None)
special_chebyshev_polynomial_t = _polynomial_fn("chebyshev_polynomial_t", _chebyshev_t)
special_chebyshev_polynomial_u = _polynomial_fn("chebyshev_polynomial_u", _chebyshev_u)
special_chebyshev_polynomial_v = _polynomial_fn("chebyshev_polynomial_v", _chebyshev_v)
special_chebyshev_polynomial_w = _polynomial_fn("chebyshev_polynomial_w", _chebyshev_w)
special_shifted_chebyshev_polynomial_t = _polynomial_fn(
    "shifted_chebyshev_polynomial_t", _shifted_chebyshev_t
)
special_shifted_chebyshev_polynomial_u = _polynomial_fn(
    "shifted_chebyshev_polynomial_u", _shifted_chebyshev_u
)
special_shifted_chebyshev_polynomial_v = _polynomial_fn(
    "shifted_chebyshev_polynomial_v", _shifted_chebyshev_v
)
special_shifted_chebyshev_polynomial_w = _polynomial_fn(
    "shifted_chebyshev_polynomial_w", _shifted_chebyshev_w
)
special_hermite_polynomial_h = _polynomial_fn("hermite_polynomial_h", _hermite_h)
special_hermite_polynomial_he = _polynomial_fn("hermite_polynomial_he", _hermite_he)
special_laguerre_polynomial_l = _polynomial_fn("laguerre_polynomial_l", _laguerre_l)
special_legendre_polynomial_p = _polynomial_fn("legendre_polynomial_p", _legendre_p)
special_xlog1py = _binary("xlog1py", _xlog1py_ops, "xlog1py_cpu")
special_zeta = _binary("zeta", _zeta_ops, "zeta_cpu", half=False)
special_erf = _alias("erf", erf)
special_erfc = _alias("erfc", erfc)
special_erfinv = _alias("erfinv", erfinv)
special_exp2 = _alias("exp2", exp2)
special_expit = _alias("expit", sigmoid)
special_expm1 = _alias("expm1", expm1)
special_gammaln = _alias("gammaln", lgamma)
special_digamma = _alias("digamma", digamma)
special_psi = _alias("psi", digamma)
special_log1p = _alias("log1p", log1p)
special_logit = _alias("logit", logit)
i0 = declare(inplace=True, test=Sample())(_unary("i0", _i0, "i0_vml_cpu", prefix=""))
sinc = declare(inplace=True, test=Sample())(_unary("sinc", _sinc_op, None, prefix=""))


def special_xlogy(input, other) -> Tensor:
    if not (isinstance(input, Tensor) or isinstance(other, Tensor)):
        _invalid_combination("special_xlogy", (input, other), ("input", "other"), "self")
    return xlogy(input, other)


special_xlogy.__doc__ = "An alias of :func:`tensorish.xlogy`."


def special_ndtr(input: Tensor) -> Tensor:
    _need_tensor("special_ndtr", ("input", input))
    if input.dtype.is_complex:
        _not_implemented("erf_vml_cpu", input.dtype)
    x = apply(_mul_scalar, (input,), (("other", _SQRT1_2),), _default_cast(input.dtype))
    return apply(
        _mul_scalar, (apply(_add_scalar, (erf(x),), (("other", 1.0),)),), (("other", 0.5),)
    )


special_ndtr.__doc__ = _doc("ndtr")


def special_round(input: Tensor, *, decimals: int = 0) -> Tensor:
    _need_tensor("special_round", ("input", input))
    dt = input.dtype
    if not dt.is_floating_point:
        _not_implemented("round_vml_cpu" if decimals == 0 or dt.is_complex else "round_cpu", dt)
    return apply(_round_decimals, (input,), (("decimals", int(decimals)),))


special_round.__doc__ = _doc("round")


_MISSING = object()


def special_logsumexp(input: Tensor, dim=_MISSING, keepdim: bool = False) -> Tensor:
    _need_tensor("special_logsumexp", ("input", input))
    if dim is _MISSING:
        raise TypeError('special_logsumexp() missing 1 required positional arguments: "dim"')
    return logsumexp(input, dim, keepdim)


special_logsumexp.__doc__ = _doc("logsumexp")


def _int_arg(fname: str, arg: str, pos: int, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        kind = "Tensor" if isinstance(value, Tensor) else type(value).__name__
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be int, not {kind}")


def _polygamma(fname: str, n: int, input: Tensor) -> Tensor:
    _int_arg(fname, "n", 1, n)
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fname}(): argument 'input' (position 2) must be Tensor, not {type(input).__name__}"
        )
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if input.dtype.is_complex:
        _not_implemented({0: "digamma", 1: "trigamma"}.get(n, "polygamma"), input.dtype)
    return apply(_polygamma_op, (input,), (("n", int(n)),), _default_cast(input.dtype))


def special_polygamma(n: int, input: Tensor) -> Tensor:
    return _polygamma("special_polygamma", n, input)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def _polygamma_(self: Tensor, n: int) -> Tensor:
    return inplace(self, lambda s: polygamma(n, s))


@declare(
    method=_named(_polygamma_method, "polygamma", _doc("polygamma", "")),
    inplace=_named(_polygamma_, "polygamma_", "In-place :func:`polygamma`."),
    test=Sample(args=(1, T), low=0.5, high=3.0),
)
def polygamma(n: int, input: Tensor) -> Tensor:
    return _polygamma("polygamma", n, input)


special_polygamma.__doc__ = _doc("polygamma")
polygamma.__doc__ = _doc("polygamma", "")


def _mvlgamma(fname: str, input: Tensor, p: int) -> Tensor:
    _need_tensor(fname, ("input", input))
    _int_arg(fname, "p", 2, p)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.dtype.is_complex:
        _not_implemented("arange_cpu", input.dtype)
    return apply(_mvlgamma_op, (input,), (("p", int(p)),), _default_cast(input.dtype))


def special_multigammaln(input: Tensor, p: int) -> Tensor:
    return _mvlgamma("special_multigammaln", input, p)


@declare(inplace=True, test=Sample(args=(2,), low=1.5, high=4.0))
def mvlgamma(input: Tensor, p: int) -> Tensor:
    return _mvlgamma("mvlgamma", input, p)


special_multigammaln.__doc__ = _doc("multigammaln")
mvlgamma.__doc__ = _doc("multigammaln").replace("special.multigammaln", "mvlgamma")


def _igamma_fn(fname: str, kernel: str, op: Op, input: Tensor, other: Tensor) -> Tensor:
    _need_tensor(fname, ("input", input), ("other", other))
    dt = result_type(input, other)
    if not dt.is_floating_point:
        _not_implemented(kernel, dt)
    args, cast, _ = promote(input, other, to=dt)
    return apply(op, args, (), cast)


def special_gammainc(input: Tensor, other: Tensor) -> Tensor:
    return _igamma_fn("special_gammainc", "igamma_cpu", _igamma_op, input, other)


def special_gammaincc(input: Tensor, other: Tensor) -> Tensor:
    return _igamma_fn("special_gammaincc", "igammac_cpu", _igammac_op, input, other)


@declare(inplace=True, test=Sample(((3, 4), (3, 4)), low=0.5, high=3.0, grad=False))
def igamma(input: Tensor, other: Tensor) -> Tensor:
    return _igamma_fn("igamma", "igamma_cpu", _igamma_op, input, other)


@declare(inplace=True, test=Sample(((3, 4), (3, 4)), low=0.5, high=3.0, grad=False))
def igammac(input: Tensor, other: Tensor) -> Tensor:
    return _igamma_fn("igammac", "igammac_cpu", _igammac_op, input, other)


special_gammainc.__doc__ = _doc("gammainc")
special_gammaincc.__doc__ = _doc("gammaincc")
igamma.__doc__ = _doc("gammainc").replace("special.gammainc", "igamma")
igammac.__doc__ = _doc("gammaincc").replace("special.gammaincc", "igammac")


__all__ = public(__name__)

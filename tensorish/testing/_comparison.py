"""``assert_close``: PyTorch's comparison of (nested) tensors, arrays and numbers, with its
default tolerances per dtype and its failure messages.

Inputs are matched in pairs, recursing through sequences and mappings; each pair is compared by
the first kind that takes it (None, booleans, numbers, tensor-likes: tensorish tensors or NumPy
arrays); the first failure raises. Values are compared on the host in the pair's promoted dtype,
so the differences the message reports are the ones PyTorch computes (in float32 for float32).
"""

from __future__ import annotations

import cmath
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._creation import tensor
from .._tensor import Size, Tensor

# {dtype: (rtol, atol)}
_PRECISION = {
    _dtype.float16: (0.001, 1e-5),
    _dtype.bfloat16: (0.016, 1e-5),
    _dtype.float32: (1.3e-6, 1e-5),
    _dtype.float64: (1e-7, 1e-7),
    _dtype.complex64: (1.3e-6, 1e-5),
    _dtype.complex128: (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: _dtype.int64, float: _dtype.float64, complex: _dtype.complex128}


class _Failure(Exception):
    """A failed comparison: the exception type and message to raise, and where it occurred."""

    def __init__(self, kind: type[Exception], msg: str, where: tuple = ()) -> None:
        super().__init__(msg)
        self.kind, self.msg, self.where = kind, msg, where

    def error(self, msg: str | Callable[[str], str] | None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.msg
        if self.where:
            text += "\n\nThe failure occurred for item " + "".join(str([i]) for i in self.where)
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(dtypes, rtol, atol, where: tuple, table=_PRECISION) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        raise _Failure(
            ValueError,
            "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'rtol' if rtol is None else 'atol'}.",
            where,
        )
    if rtol is not None:
        return rtol, atol
    pairs = [table.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _mismatch_msg(what: str, extra: str, diffs: tuple, rtol: float, atol: float) -> str:
    """``diffs``: the (absolute, its index, relative, its index) differences; the indices are
    None for scalars."""
    equal = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equal else 'close'}!", "", extra]
    abs_diff, abs_at, rel_diff, rel_at = diffs
    for kind, diff, at, tol in (
        ("absolute", abs_diff, abs_at, atol),
        ("relative", rel_diff, rel_at, rtol),
    ):
        if at is None:
            line = f"{kind.title()} difference: {diff}"
        else:
            line = f"Greatest {kind} difference: {diff} at index {at}"
        lines.append(line + ("" if equal else f" (up to {tol} allowed)"))
    return "\n".join(lines)


def _scalar_msg(actual, expected, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    extra = f"Expected {expected} but got {actual}."
    return _mismatch_msg("Scalars", extra, (abs_diff, None, rel_diff, None), rtol, atol)


def _type_name(x) -> str:
    return "<class 'tensorish.Tensor'>" if type(x) is Tensor else str(type(x))


# -- the pair kinds: each returns None when it does not take the inputs, else compares them ------
def _none_pair(actual, expected, where, **_):
    if actual is not None and expected is not None:
        return None
    if not (actual is None and expected is None):
        raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", where)
    return True


def _bool_pair(actual, expected, where, **_):
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        return None
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        # NOTE: PyTorch's boolean pair drops the item path from its message.
        raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
    return True


def _number_pair(actual, expected, where, *, rtol, atol, equal_nan, check_dtype, **_):
    kinds = (int, float, complex, np.number)
    if not all(isinstance(x, kinds) for x in (actual, expected)):
        return None
    actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    rtol, atol = _tolerances(
        [_NUMBER_DTYPES[type(x)] for x in (actual, expected)], rtol, atol, where
    )
    if check_dtype and type(actual) is not type(expected):
        raise _Failure(
            AssertionError,
            f"The (d)types do not match: {type(actual)} != {type(expected)}.",
            where,
        )
    if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
        return True
    diff = abs(actual - expected)
    if cmath.isfinite(diff) and diff <= atol + rtol * abs(expected):
        return True
    raise _Failure(AssertionError, _scalar_msg(actual, expected, rtol, atol), where)


def _as_array(x) -> tuple[np.ndarray, _dtype.dtype]:
    if isinstance(x, Tensor):
        return np.asarray(x.detach().jax()), x.dtype
    arr = np.asarray(x)
    return arr, _dtype.from_np(arr.dtype)


def _tensor_pair(actual, expected, where, *, rtol, atol, equal_nan, check_dtype, **options):
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not (related and isinstance(actual, (Tensor, np.ndarray))):
        return None
    (a, adt), (e, edt) = _as_array(actual), _as_array(expected)
    rtol, atol = _tolerances([adt, edt], rtol, atol, where)

    def mismatch(attribute: str, x, y):
        raise _Failure(
            AssertionError,
            f"The values for attribute '{attribute}' do not match: {x} != {y}.",
            where,
        )

    if a.shape != e.shape:
        mismatch("shape", Size(a.shape), Size(e.shape))
    if isinstance(actual, Tensor) and options["check_device"] and actual.device != expected.device:
        mismatch("device", actual.device, expected.device)
    if check_dtype and adt is not edt:
        mismatch("dtype", adt, edt)
    dt = _dtype.promote_types(adt, edt)
    a, e = a.astype(dt.np), e.astype(dt.np)
    matches = _isclose(a, e, dt, rtol, atol, equal_nan)
    if matches.all():
        return True
    if a.ndim == 0:
        raise _Failure(AssertionError, _scalar_msg(a.item(), e.item(), rtol, atol), where)
    raise _Failure(AssertionError, _tensor_msg(a, e, dt, matches, rtol, atol), where)


def _isclose(a, e, dt: _dtype.dtype, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    """``torch.isclose``, computed in ``dt``'s arithmetic (bool in the default dtype)."""
    with np.errstate(all="ignore"):
        close = a == e
        inexact = dt.is_floating_point or dt.is_complex
        if equal_nan and inexact:
            close |= np.isnan(a) & np.isnan(e)
        if rtol == 0 and atol == 0:
            return close
        if not inexact:
            a, e = (x.astype(_dtype.get_default_dtype().np) for x in (a, e))
        real = a.real.dtype
        allowed = np.asarray(atol, real) + np.abs(np.asarray(rtol, real) * e)
        error = np.abs(a - e)
        return close | (np.isfinite(error) & (error <= allowed))


def _tensor_msg(a, e, dt: _dtype.dtype, matches, rtol: float, atol: float) -> str:
    total, bad = matches.size, int(matches.size - matches.sum())
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    if not (dt.is_floating_point or dt.is_complex):
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e).ravel()
        abs_diff[matches.ravel()] = 0
        # integer differences divide in the default float dtype, as PyTorch's true division
        denom = np.abs(e).ravel()
        if abs_diff.dtype.kind in "iu":
            float_np = _dtype.get_default_dtype().np
            rel_diff = abs_diff.astype(float_np) / denom.astype(float_np)
        else:
            rel_diff = abs_diff / denom
        rel_diff[matches.ravel()] = 0
    i, j = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    at = [tuple(int(k) for k in np.unravel_index(n, a.shape)) for n in (i, j)]
    diffs = (abs_diff[i].item(), at[0], rel_diff[j].item(), at[1])
    return _mismatch_msg("Tensor-likes", extra, diffs, rtol, atol)


_PAIRS = (_none_pair, _bool_pair, _number_pair, _tensor_pair)


def _compare(actual, expected, where: tuple, options: dict) -> None:
    if all(isinstance(x, Sequence) and not isinstance(x, str) for x in (actual, expected)):
        if len(actual) != len(expected):
            raise _Failure(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                where,
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, (*where, i), options)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        keys, other = set(actual), set(expected)
        if keys != other:
            raise _Failure(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(other - keys)}\n"
                f"Additional keys in the actual mapping: {sorted(keys - other)}",
                where,
            )
        try:
            keys = sorted(keys)
        except TypeError:
            pass
        for k in keys:
            _compare(actual[k], expected[k], (*where, k), options)
        return
    for pair in _PAIRS:
        if pair(actual, expected, where, **options) is not None:
            return
    raise _Failure(
        TypeError,
        f"No comparison pair was able to handle inputs of type {_type_name(actual)} and "
        f"{_type_name(expected)}.",
        where,
    )


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Assert that ``actual`` and ``expected`` are close: ``|actual - expected| <= atol + rtol *
    |expected|`` elementwise, with PyTorch's default ``rtol``/``atol`` for the dtypes (give both
    or neither). Tensors must also match in shape, device and (``check_dtype``) dtype. Sequences
    and mappings are compared item by item; Python numbers and NumPy arrays are accepted.
    ``check_layout`` and ``check_stride`` are accepted: tensorish tensors are always strided and
    contiguous, so they never differ there.

    Raises:
        AssertionError: with PyTorch's message (mismatch count, greatest differences).

    >>> import tensorish
    >>> tensorish.testing.assert_close(tensorish.tensor([1., 2.]), tensorish.tensor([1., 3.]))
    Traceback (most recent call last):
        ...
    AssertionError: Tensor-likes are not close!
    <BLANKLINE>
    Mismatched elements: 1 / 2 (50.0%)
    Greatest absolute difference: 1.0 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.3333333432674408 at index (1,) (up to 1.3e-06 allowed)
    """
    __tracebackhide__ = True
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype)
    options["check_device"] = check_device
    try:
        _compare(actual, expected, (), options)
    except _Failure as failure:
        raise failure.error(msg) from None


_ALLCLOSE_PRECISION = {
    _dtype.float16: (1e-3, 1e-3),
    _dtype.float32: (1e-4, 1e-5),
    _dtype.float64: (1e-5, 1e-8),
}


def assert_allclose(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """The deprecated predecessor of :func:`assert_close` (its own default tolerances, dtypes
    not checked, nan equal to nan by default).

    >>> import tensorish, warnings
    >>> warnings.simplefilter("ignore")
    >>> tensorish.testing.assert_allclose(tensorish.tensor([1.0]), [1.00001])
    """
    warnings.warn(
        "`tensorish.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `tensorish.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(
            [actual.dtype, expected.dtype], None, None, (), _ALLCLOSE_PRECISION
        )
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False)
    assert_close(actual, expected, **options, msg=msg or None)

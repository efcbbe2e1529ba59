"""NaN, ±inf and ±0 through every elementwise op and activation, against the torch oracle.

The ops come from the registry (``tensorish/ops/_registry.py``): every declaration of the
pointwise, comparison and ``nn.functional`` modules whose first sample takes only float tensors
and that torch computes elementwise on a grid of the special values (an output of the
broadcast shape), so a new op joins by being declared. Each input runs through all the values
[nan, inf, -inf, 0., -0., 1., -1.], one axis per input (binary ops see every pair); values are
compared with NaN positions and the sign of zero, then gradients through ``ones`` upstream.
"""

import math

import numpy as np
import pytest
import torch

import tensorish
from tensorish.ops._registry import REGISTRY

VALUES = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0]
_MODULES = {"tensorish.ops._pointwise", "tensorish.ops._compare", "tensorish.nn.functional"}

# (op name, stage) -> why tensorish still differs there. The test asserts that each still
# differs, so an entry fails (and must go) once the op is fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _spelling(decl, lib):
    if decl.function:
        ns = lib
        for part in decl.namespace.split(".")[1:]:
            ns = getattr(ns, part)
        fn = getattr(ns, decl.name, None)
        if fn is not None:
            return fn
    return lambda x, *args, **kwargs: getattr(x, decl.name)(*args, **kwargs)


def _inputs(lib, n: int, requires_grad: bool) -> list:
    """``n`` float32 tensors: input k holds the values along axis k (every combination)."""
    out = []
    for k in range(n):
        shape = [1] * n
        shape[k] = len(VALUES)
        data = np.array(VALUES, np.float32).reshape(shape)
        out.append(lib.tensor(data, requires_grad=requires_grad))
    return out


def _call(decl, lib, requires_grad: bool):
    sample = decl.samples[0]
    xs = _inputs(lib, len(sample.shapes), requires_grad)
    return sample.call(_spelling(decl, lib), xs), xs


def _elementwise(decl) -> bool:
    """Whether torch computes ``decl`` elementwise on float inputs of the special values."""
    if not decl.samples:
        return False
    sample = decl.samples[0]
    if sample.dtype != "float32" or not all(type(s) is tuple for s in sample.shapes):
        return False
    try:
        out, _ = _call(decl, torch, False)
    except Exception:  # noqa: BLE001 - not elementwise on this grid (a shape, a dim argument)
        return False
    n = len(sample.shapes)
    return isinstance(out, torch.Tensor) and tuple(out.shape) == (len(VALUES),) * n


CASES = sorted(
    {d.name: d for d in REGISTRY.values() if d.module in _MODULES and _elementwise(d)}.items()
)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN where the other has NaN, and zeros of the same sign."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return bool((a == b).all())
    nan = np.isnan(a)
    if (nan != np.isnan(b)).any():
        return False
    a, b = a[~nan], b[~nan]
    zero = a == 0
    if (np.signbit(a[zero]) != np.signbit(b[zero])).any():
        return False
    return bool(np.allclose(a, b, rtol=1e-6, atol=0))


def _numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: a ZeroTensor gradient
    return np.asarray(x.jax())


def _stages(name: str, decl) -> dict:
    """stage -> whether tensorish agrees with torch there ("forward", "grad<k>")."""
    out_t, xs_t = _call(decl, torch, True)
    out_s, xs_s = _call(decl, tensorish, True)
    result = {"forward": _same(_numpy(out_t), _numpy(out_s))}
    if out_t.requires_grad:
        try:
            out_t.backward(torch.ones_like(out_t))
        except RuntimeError as e:  # no derivative (floor_divide): tensorish must say so too
            with pytest.raises(RuntimeError, match=str(e)):
                out_s.backward(tensorish.ones_like(out_s))
            return result
        out_s.backward(tensorish.ones_like(out_s))
        for k, (a, b) in enumerate(zip(xs_t, xs_s)):
            both = a.grad is None, b.grad is None
            result[f"grad{k}"] = both[0] == both[1] and (
                both[0] or _same(_numpy(a.grad), _numpy(b.grad))
            )
    return result


def test_table_covers_the_activations():
    names = {name for name, _ in CASES}
    for name in ("relu", "threshold", "hardtanh", "clamp", "exp", "add", "maximum", "sigmoid"):
        assert name in names, name


@pytest.mark.parametrize("name,decl", CASES, ids=[n for n, _ in CASES])
def test_special_values(name, decl):
    stages = _stages(name, decl)
    wrong = {s for s, ok in stages.items() if not ok}
    known = {s for (n, s) in KNOWN if n == name}
    assert wrong == known, f"differs from torch at {sorted(wrong)}; known: {sorted(known)}"

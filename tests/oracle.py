"""The torch oracle: run the same computation under torch and tensorish and compare.

``check_op`` is tinygrad's ``helper_test_op`` for tensorish: the same seeded data goes into both
libraries; forward shape, dtype and values are compared, then the gradients of every input that
requires grad through a non-uniform upstream gradient. Each failure names its stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import torch

import tensorish


def tdtype(dt) -> torch.dtype:
    """The torch dtype of a tensorish dtype (or the reverse, given a torch dtype)."""
    if isinstance(dt, torch.dtype):
        return getattr(tensorish, str(dt).split(".")[1])
    return getattr(torch, dt.name)


def both(data, dtype: str | None = None, requires_grad: bool = False):
    """The same data as a (torch, tensorish) pair."""
    arr = np.asarray(data)
    t = torch.tensor(
        arr, dtype=getattr(torch, dtype) if dtype else None, requires_grad=requires_grad
    )
    s = tensorish.tensor(
        arr, dtype=getattr(tensorish, dtype) if dtype else None, requires_grad=requires_grad
    )
    return t, s


def pair(fn: Callable) -> tuple:
    """``fn(torch)`` and ``fn(tensorish)``: the same code run under both libraries."""
    return fn(torch), fn(tensorish)


def outcome(fn: Callable) -> tuple:
    """What ``fn()`` did, comparable across the libraries: ``("ok", result)`` or the type name
    and message of the exception it raised."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the oracle says which type
        return type(e).__name__, str(e)


def to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach()
        # force: torch's zero gradients (of sign, say) can be ZeroTensors
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy(force=True)
    if isinstance(x, tensorish.Tensor):
        v = np.asarray(x.jax())
        return v.astype(np.float32) if v.dtype.name == "bfloat16" else v
    return np.asarray(x)


def assert_same(t, s, stage: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Assert that a torch result and a tensorish result agree (values, shape, dtype)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(s, (tuple, list)) and len(t) == len(s), f"{stage}: structure"
        for i, (a, b) in enumerate(zip(t, s)):
            assert_same(a, b, f"{stage}[{i}]", rtol, atol)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(s, tensorish.Tensor), f"{stage}: got {type(s)}"
        assert tuple(t.shape) == tuple(s.shape), f"{stage} shape: {t.shape} vs {s.shape}"
        assert tdtype(t.dtype) is s.dtype, f"{stage} dtype: {t.dtype} vs {s.dtype}"
    np.testing.assert_allclose(
        to_numpy(s), to_numpy(t), rtol=rtol, atol=atol, equal_nan=True, err_msg=stage
    )


def assert_same_error(fn: Callable) -> None:
    """``fn(torch)`` and ``fn(tensorish)`` raise the same exception type with the same message
    (the module name aside)."""
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as se:
        fn(tensorish)
    assert type(se.value) is type(te.value), (se.value, te.value)
    assert str(se.value) == str(te.value).replace("torch.", "tensorish.")


def check_op(
    shapes: Sequence[tuple],
    torch_fn: Callable,
    tensorish_fn: Callable | None = None,
    *,
    dtype: str = "float32",
    low: float = -2.0,
    high: float = 2.0,
    grad: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
    grad_fn: str | None = None,
    each_node: bool = False,
) -> tuple:
    """Compare ``torch_fn`` and ``tensorish_fn`` (default: the same callable) on random inputs,
    and return both forward results.

    ``shapes`` gives one input per entry; the functions take the inputs positionally. An entry
    with a ``draw(rng)`` method (an op declaration's ``Ints`` or ``Given``) makes its own data;
    only floating inputs require grad. ``each_node``: tensorish's backward runs node by node
    (``backward(inputs=...)``), never as the fused program of a graph seen before, so a table
    of one-off checks compiles no such program.
    """
    if tensorish_fn is None:  # torch.add -> tensorish.add; a lambda serves both libraries
        name = getattr(torch_fn, "__name__", "")
        is_torch = getattr(torch, name, None) is torch_fn
        tensorish_fn = getattr(tensorish, name) if is_torch else torch_fn
    rng = np.random.default_rng(seed)
    data = [
        s.draw(rng) if hasattr(s, "draw") else rng.uniform(low, high, size=s).astype(dtype)
        for s in shapes
    ]
    needs = [grad and d.dtype.kind in "fc" for d in data]
    ts = [torch.tensor(d, requires_grad=r) for d, r in zip(data, needs)]
    ss = [tensorish.tensor(d, requires_grad=r) for d, r in zip(data, needs)]
    out_t, out_s = torch_fn(*ts), tensorish_fn(*ss)
    assert_same(out_t, out_s, "forward", rtol, atol)
    if grad_fn is not None:
        assert type(out_s.grad_fn).__name__ == grad_fn == type(out_t.grad_fn).__name__
    if not any(needs):
        return out_t, out_s
    outs_t = out_t if isinstance(out_t, (tuple, list)) else [out_t]
    outs_s = out_s if isinstance(out_s, (tuple, list)) else [out_s]
    total_t, total_s = 0, 0
    for k, (a, b) in enumerate(zip(outs_t, outs_s)):
        if not a.requires_grad:
            continue
        # a non-uniform upstream gradient, so a wrong broadcast or transpose shows
        up = np.linspace(0.5, 1.5, a.numel()).reshape(tuple(a.shape)).astype(dtype) + k
        total_t = total_t + (a * torch.tensor(up)).sum()
        total_s = total_s + (b * tensorish.tensor(up)).sum()
    if isinstance(total_t, int):
        return out_t, out_s
    total_t.backward()
    total_s.backward(inputs=[s for s in ss if s.requires_grad] if each_node else None)
    for i, (a, b) in enumerate(zip(ts, ss)):
        if a.grad is None:
            assert b.grad is None, f"backward[{i}]: torch has no grad"
        else:
            assert_same(a.grad, b.grad, f"backward[{i}]", rtol, atol)
    return out_t, out_s

"""The op table against the torch oracle, driven by the declarations: every declared op (and
each of its aliases) runs on its samples' inputs in both libraries, with forward values, dtypes
and shapes, gradients through a non-uniform upstream gradient, and grad_fn names compared; every
spelling a declaration names exists on tensorish and on torch; and an op without samples must
name the test that covers it instead."""

import importlib
import inspect
from functools import reduce

import pytest
import torch
from oracle import check_op

import tensorish
from tensorish.ops._registry import REGISTRY

# Ops whose oracle test is elsewhere: (test file, test function, why).
TESTED_ELSEWHERE = {
    "tensorish.Tensor.__setitem__": (
        "test_indexing.py",
        "test_setitem",
        "returns None, writing in place; its table covers the kinds of key",
    ),
    "tensorish.Tensor.__iter__": (
        "test_ops_compare.py",
        "test_iteration_and_contains",
        "returns an iterator",
    ),
    "tensorish.Tensor.type": (
        "test_ops_compare.py",
        "test_to_forms",
        "its type names differ from torch's by the module name; a dtype argument is per library",
    ),
    "tensorish.linalg.svd": (
        "test_linalg.py",
        "test_op",
        "singular vectors are defined up to sign: compared through U diag(S) Vh",
    ),
    "tensorish.linalg.eigh": (
        "test_linalg.py",
        "test_op",
        "eigenvectors are defined up to sign: compared through V diag(w) V^T",
    ),
    **{
        f"tensorish.nn.functional.{name}": (
            "test_nn_functional.py",
            test,
            "random: each library draws its own mask, so the test checks the mask's statistics",
        )
        for name, test in (
            ("dropout", "test_dropout"),
            ("dropout1d", "test_feature_dropout"),
            ("dropout2d", "test_feature_dropout"),
        )
    },
    "tensorish.index_put": (
        "test_ops_shape.py",
        "test_op",
        "its indices are a tuple of tensors",
    ),
}


def _cases():
    for decl in REGISTRY.values():
        for i, sample in enumerate(decl.samples):
            for name in (decl.name, *decl.aliases):
                yield pytest.param(decl, name, sample, id=f"{decl.namespace}.{name}-{i}")


def _namespace(path: str, lib):
    """``tensorish.linalg`` in ``lib`` (torch or tensorish)."""
    return reduce(getattr, path.split(".")[1:], lib)


def _spelling(decl, name: str, lib):
    """The callable that computes the op in ``lib``: the function (or, where ``lib`` has none,
    the method; for an in-place method, on a copy of the leaf it would refuse to change)."""
    if decl.function:
        fn = getattr(_namespace(decl.namespace, lib), name, None)
        if fn is not None:
            return fn
    if isinstance(decl.method, property):
        return lambda x: getattr(x, name)
    if name.endswith("_") and not name.startswith("__"):
        return lambda x, *args, **kwargs: getattr(x.clone(), name)(*args, **kwargs)
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


def _grad_fns(out) -> list:
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [
        (type(o.grad_fn).__name__ if o.grad_fn is not None else None, o.requires_grad)
        for o in outs
        if isinstance(o, (torch.Tensor, tensorish.Tensor))
    ]


@pytest.mark.parametrize("decl,name,sample", list(_cases()))
def test_op(decl, name, sample):
    fn_t, fn_s = (_spelling(decl, name, lib) for lib in (torch, tensorish))
    out_t, out_s = check_op(
        sample.shapes,
        lambda *xs: sample.call(fn_t, list(xs)),
        lambda *xs: sample.call(fn_s, list(xs)),
        dtype=sample.dtype,
        low=sample.low,
        high=sample.high,
        grad=sample.grad,
        rtol=sample.rtol,
        atol=sample.atol,
        each_node=True,
    )
    assert _grad_fns(out_s) == _grad_fns(out_t)


@pytest.mark.parametrize("key", list(REGISTRY))
def test_spellings(key):
    """Each spelling of the declaration is attached to tensorish, and torch has it too."""
    decl = REGISTRY[key]
    for name in (decl.name, *decl.aliases):
        if decl.function:
            assert getattr(_namespace(decl.namespace, tensorish), name) is decl.fn, name
            assert hasattr(_namespace(decl.namespace, torch), name) or decl.method, name
        if decl.method is not None:
            assert inspect.getattr_static(tensorish.Tensor, name) is decl.method, name
            assert hasattr(torch.Tensor, name), name
        if decl.inplace is not None:
            assert getattr(tensorish.Tensor, name + "_") is decl.inplace, name
            assert hasattr(torch.Tensor, name + "_"), name
    for op in decl.operators + decl.reflected:
        assert op in vars(tensorish.Tensor) and hasattr(torch.Tensor, op), op


def test_every_op_is_tested():
    """An op without samples is listed above, with a test that exists; nothing listed has
    samples (or has gone)."""
    untested = {k for k, d in REGISTRY.items() if not d.samples}
    assert untested == set(TESTED_ELSEWHERE), (
        untested - set(TESTED_ELSEWHERE),
        set(TESTED_ELSEWHERE) - untested,
    )
    for path, test, _ in TESTED_ELSEWHERE.values():
        module = importlib.import_module(path.removesuffix(".py"))
        assert callable(getattr(module, test, None)), f"{path}::{test}"

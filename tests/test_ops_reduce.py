"""Reductions, scans, sorting and selection against the torch oracle: values, dtypes, shapes,
gradients (through a non-uniform upstream gradient), grad_fn names, named-tuple results, ties,
NaN, 0-dim and empty inputs, integer dtype rules, finite differences and errors."""

import math
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from oracle import assert_same, check_op

import tensorish

INF, NAN = math.inf, math.nan

# (id, fn(module, *inputs), input shapes, grad_fn name or None). Inputs are distinct uniform
# floats, so every selection is unique and every reduction differentiable.
FAMILY = [
    ("sum", lambda m, a: a.sum(), [(3, 4)], "SumBackward0"),
    ("sum_dim", lambda m, a: a.sum(1), [(3, 4)], "SumBackward1"),
    ("sum_dims_keepdim", lambda m, a: m.sum(a, (0, -1), keepdim=True), [(2, 3, 4)], None),
    ("sum_list_dtype", lambda m, a: a.sum([1], dtype=m.float64), [(3, 4)], "SumBackward1"),
    ("sum_empty_dims", lambda m, a: a.sum(()), [(3, 4)], "SumBackward1"),
    ("sum_dim_none", lambda m, a: m.sum(a, dim=None), [(3, 4)], "SumBackward1"),
    ("sum_all_keepdim", lambda m, a: a.sum(None, True), [(3, 4)], "SumBackward1"),
    ("mean_dim_none_keepdim", lambda m, a: a.mean(None, True), [(3, 4)], "MeanBackward1"),
    ("nansum", lambda m, a: a.nansum(), [(3, 4)], "NansumBackward0"),
    ("nansum_dim", lambda m, a: m.nansum(a, -1, keepdim=True), [(3, 4)], None),
    ("mean", lambda m, a: a.mean(), [(3, 4)], "MeanBackward0"),
    ("mean_dims", lambda m, a: a.mean((0, 2)), [(2, 3, 4)], "MeanBackward1"),
    ("mean_dtype", lambda m, a: a.mean(dtype=m.float64), [(3, 4)], None),
    ("nanmean", lambda m, a: a.nanmean(), [(3, 4)], "DivBackward0"),
    ("nanmean_dim", lambda m, a: m.nanmean(a, 1, keepdim=True), [(3, 4)], None),
    ("prod", lambda m, a: a.prod(), [(3, 4)], "ProdBackward0"),
    ("prod_dim", lambda m, a: a.prod(1, keepdim=True), [(3, 4)], "ProdBackward1"),
    ("prod_neg_dim_dtype", lambda m, a: m.prod(a, -2, dtype=m.float64), [(3, 4)], None),
    ("std", lambda m, a: a.std(), [(3, 4)], "StdBackward0"),
    ("std_dim", lambda m, a: a.std(1), [(3, 4)], "StdBackward0"),
    (
        "std_correction",
        lambda m, a: a.std(dim=(0, 1), correction=0, keepdim=True),
        [(2, 3, 4)],
        None,
    ),
    ("std_unbiased_positional", lambda m, a: a.std(1, False, True), [(3, 4)], None),
    ("std_unbiased_only", lambda m, a: m.std(a, False), [(3, 4)], None),
    ("var", lambda m, a: a.var(), [(3, 4)], "VarBackward0"),
    ("var_dim_correction", lambda m, a: a.var(0, correction=2), [(4, 3)], "VarBackward0"),
    ("var_unbiased_kw", lambda m, a: m.var(a, -1, unbiased=False), [(3, 4)], None),
    ("std_mean", lambda m, a: m.std_mean(a, 1), [(3, 4)], "StdMeanBackward0"),
    ("std_mean_all", lambda m, a: m.std_mean(a, correction=0), [(3, 4)], "StdMeanBackward0"),
    ("var_mean", lambda m, a: m.var_mean(a, (0, 1), keepdim=True), [(2, 3, 4)], "VarMeanBackward0"),
    ("max", lambda m, a: a.max(), [(3, 4)], "MaxBackward1"),
    ("max_dim", lambda m, a: a.max(1), [(3, 4)], "MaxBackward0"),
    ("max_dim_keepdim", lambda m, a: m.max(a, -1, keepdim=True), [(2, 3, 4)], "MaxBackward0"),
    ("max_binary", lambda m, a, b: m.max(a, b), [(3, 4), (3, 4)], "MaximumBackward0"),
    ("max_binary_broadcast", lambda m, a, b: a.max(b), [(2, 3), (3,)], "MaximumBackward0"),
    ("min", lambda m, a: a.min(), [(3, 4)], "MinBackward1"),
    ("min_dim", lambda m, a: a.min(0), [(3, 4)], "MinBackward0"),
    ("min_binary", lambda m, a, b: m.min(a, b), [(3, 4), (4,)], "MinimumBackward0"),
    ("amax", lambda m, a: a.amax(), [(3, 4)], "AmaxBackward0"),
    ("amax_dims", lambda m, a: a.amax((0, 2), keepdim=True), [(2, 3, 4)], "AmaxBackward0"),
    ("amin", lambda m, a: m.amin(a, -1), [(3, 4)], "AminBackward0"),
    ("aminmax", lambda m, a: m.aminmax(a), [(3, 4)], "AminmaxBackward0"),
    ("aminmax_dim", lambda m, a: a.aminmax(dim=1, keepdim=True), [(3, 4)], "AminmaxBackward0"),
    ("argmax", lambda m, a: a.argmax(), [(3, 4)], None),
    ("argmax_dim", lambda m, a: a.argmax(1, keepdim=True), [(3, 4)], None),
    ("argmax_keepdim_all", lambda m, a: m.argmax(a, keepdim=True), [(3, 4)], None),
    ("argmin_dim", lambda m, a: m.argmin(a, -1), [(3, 4)], None),
    ("norm", lambda m, a: a.norm(), [(3, 4)], "LinalgVectorNormBackward0"),
    ("norm_1", lambda m, a: a.norm(1), [(3, 4)], "LinalgVectorNormBackward0"),
    ("norm_3d", lambda m, a: a.norm(), [(2, 3, 4)], None),
    ("norm_inf", lambda m, a: a.norm(INF), [(3, 4)], "LinalgVectorNormBackward0"),
    ("norm_neg_inf_dim", lambda m, a: a.norm(-INF, dim=1), [(3, 4)], None),
    ("norm_3_dim", lambda m, a: a.norm(3, dim=0), [(3, 4)], None),
    ("norm_half", lambda m, a: a.norm(0.5, 1, True), [(3, 4)], None),
    ("norm_fro_dims", lambda m, a: m.norm(a, "fro", dim=(0, 1), keepdim=True), [(3, 4)], None),
    ("norm_dtype", lambda m, a: m.norm(a, dtype=m.float64), [(3, 4)], None),
    ("norm_nuc", lambda m, a: a.norm("nuc"), [(3, 4)], "SumBackward1"),
    ("norm_nuc_dims", lambda m, a: m.norm(a, "nuc", dim=(2, 0)), [(2, 3, 4)], "SumBackward1"),
    (
        "norm_nuc_keepdim",
        lambda m, a: m.norm(a, "nuc", dim=(-1, 0), keepdim=True),
        [(2, 3, 4)],
        None,
    ),
    ("logsumexp", lambda m, a: a.logsumexp(1), [(3, 4)], "LogsumexpBackward0"),
    ("logsumexp_dims", lambda m, a: m.logsumexp(a, (0, 1), keepdim=True), [(3, 4)], None),
    ("cumsum", lambda m, a: a.cumsum(1), [(3, 4)], "CumsumBackward0"),
    ("cumsum_neg_dim", lambda m, a: m.cumsum(a, -2), [(3, 4)], "CumsumBackward0"),
    ("cumsum_dtype", lambda m, a: a.cumsum(0, dtype=m.float64), [(3, 4)], None),
    ("cumprod", lambda m, a: a.cumprod(1), [(3, 4)], "CumprodBackward0"),
    ("cummax", lambda m, a: a.cummax(1), [(3, 5)], "CummaxBackward0"),
    ("cummin", lambda m, a: m.cummin(a, 0), [(5, 3)], "CumminBackward0"),
    ("median", lambda m, a: a.median(), [(3, 4)], "MedianBackward0"),
    ("median_odd", lambda m, a: a.median(), [(3, 3)], "MedianBackward0"),
    ("median_dim", lambda m, a: a.median(1), [(3, 4)], "MedianBackward1"),
    ("median_dim_keepdim", lambda m, a: m.median(a, 0, keepdim=True), [(5, 3)], None),
    ("nanmedian", lambda m, a: a.nanmedian(), [(3, 4)], "NanmedianBackward0"),
    ("nanmedian_dim", lambda m, a: a.nanmedian(-1), [(3, 4)], "NanmedianBackward1"),
    ("mode", lambda m, a: a.mode(1), [(3, 4)], "ModeBackward0"),
    ("mode_dim0", lambda m, a: a.mode(0, keepdim=True), [(4, 3)], None),
    ("kthvalue", lambda m, a: a.kthvalue(2, 1), [(3, 4)], "KthvalueBackward0"),
    ("kthvalue_keepdim", lambda m, a: m.kthvalue(a, 3, 0, True), [(4, 3)], None),
    ("topk", lambda m, a: a.topk(2), [(3, 4)], "TopkBackward0"),
    ("topk_smallest", lambda m, a: a.topk(3, 0, largest=False), [(4, 3)], "TopkBackward0"),
    ("sort", lambda m, a: a.sort(1), [(3, 4)], "SortBackward0"),
    ("sort_descending", lambda m, a: a.sort(0, descending=True), [(4, 3)], "SortBackward0"),
    ("sort_stable", lambda m, a: m.sort(a, dim=-1, descending=True, stable=True), [(3, 4)], None),
    ("argsort", lambda m, a: a.argsort(1), [(3, 4)], None),
    ("argsort_descending", lambda m, a: m.argsort(a, 0, descending=True), [(4, 3)], None),
    ("msort", lambda m, a: m.msort(a), [(4, 3)], "SortBackward0"),
]
IDS = [f[0] for f in FAMILY]


def _both(fn):
    return partial(fn, torch), partial(fn, tensorish)


def _outputs(r):
    return list(r) if isinstance(r, tuple) else [r]


@pytest.mark.parametrize("name,fn,shapes,node", FAMILY, ids=IDS)
def test_family(name, fn, shapes, node):
    check_op(shapes, *_both(fn))
    if node is not None:
        ts = [torch.rand(s, requires_grad=True) for s in shapes]
        ss = [tensorish.tensor(t.detach().numpy(), requires_grad=True) for t in ts]
        names_t = [_node_name(o) for o in _outputs(fn(torch, *ts))]
        names_s = [_node_name(o) for o in _outputs(fn(tensorish, *ss))]
        assert names_s == names_t and names_t[0] == node


def _node_name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


# One entry per grad_fn (and per norm formula), to keep compile time down.
DIFFERENTIABLE = [
    f
    for i, f in enumerate(FAMILY)
    if f[0].startswith("norm_") or f[3] is not None and f[3] not in [g[3] for g in FAMILY[:i]]
]


def test_norm_0():
    """The 0-"norm" counts nonzeros; PyTorch leaves its gradient undefined (None), tensorish
    gives zeros."""
    check_op([(3, 4)], *_both(lambda m, a: a.norm(0, dim=1)), grad=False)
    s = tensorish.tensor([[0.0, 2.0], [3.0, 0.0]], requires_grad=True)
    s.norm(0).backward()
    assert s.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("name,fn,shapes,node", DIFFERENTIABLE, ids=[f[0] for f in DIFFERENTIABLE])
def test_finite_differences(name, fn, shapes, node):
    """tensorish's gradient of every differentiable reduction against central differences."""
    rng = np.random.default_rng(3)
    xs = [rng.uniform(0.5, 2.0, size=s) * rng.choice([-1, 1], size=s) for s in shapes]
    ups = [None]

    def f(*arrays, grad=False):
        ins = [tensorish.tensor(a, dtype=tensorish.float64, requires_grad=grad) for a in arrays]
        outs = [o for o in _outputs(fn(tensorish, *ins)) if o.dtype.is_floating_point]
        if ups[0] is None:
            ups[0] = [np.linspace(0.5, 1.5, o.numel()).reshape(o.shape) for o in outs]
        total = sum((o * tensorish.tensor(u)).sum() for o, u in zip(outs, ups[0]))
        return ins, total

    ins, total = f(*xs, grad=True)
    total.backward()
    eps = 1e-6
    for i, x in enumerate(xs):
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            hi, lo = [a.copy() for a in xs], [a.copy() for a in xs]
            hi[i][idx] += eps
            lo[i][idx] -= eps
            numeric[idx] = (f(*hi)[1].item() - f(*lo)[1].item()) / (2 * eps)
        np.testing.assert_allclose(ins[i].grad.numpy(), numeric, rtol=1e-5, atol=1e-6)


# -- exact data: ties, NaN, zeros, infinities -----------------------------------------------
def check_data(fn, *data, grad=True, indices=True):
    """Run ``fn(module, *inputs)`` on the same data in both libraries and compare forward and
    backward (through a non-uniform upstream gradient). ``indices=False`` skips index outputs
    (where PyTorch's choice among ties is implementation-defined)."""
    ts = [torch.tensor(np.asarray(d, dtype=np.float32), requires_grad=grad) for d in data]
    ss = [tensorish.tensor(np.asarray(d, dtype=np.float32), requires_grad=grad) for d in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_t, out_s = _outputs(fn(torch, *ts)), _outputs(fn(tensorish, *ss))
    assert len(out_t) == len(out_s)
    for k, (a, b) in enumerate(zip(out_t, out_s)):
        if indices or a.dtype.is_floating_point:
            assert_same(a, b, f"forward[{k}]")
    if not grad:
        return
    total_t, total_s = 0, 0
    for k, (a, b) in enumerate(zip(out_t, out_s)):
        if a.requires_grad:
            up = np.linspace(0.5, 1.5, a.numel()).reshape(tuple(a.shape)).astype(np.float32) + k
            total_t = total_t + (a * torch.tensor(up)).sum()
            total_s = total_s + (b * tensorish.tensor(up)).sum()
    if isinstance(total_t, int):
        return
    total_t.backward()
    total_s.backward()
    for i, (a, b) in enumerate(zip(ts, ss)):
        assert_same(a.grad, b.grad, f"backward[{i}]")


TIES = [[1.0, 3.0, 3.0, 2.0], [3.0, 0.0, 3.0, 3.0], [2.0, 2.0, 2.0, 2.0]]
NANS = [[1.0, NAN, 2.0, NAN], [4.0, 3.0, 2.0, 1.0], [NAN, 0.0, 0.0, 5.0]]
ZEROS = [[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]]
EXACT = [
    ("max_ties", lambda m, a: a.max(), TIES),
    ("max_dim_ties", lambda m, a: a.max(1), TIES),
    ("min_dim_ties", lambda m, a: a.min(0), TIES),
    ("amax_ties", lambda m, a: a.amax(1), TIES),
    ("aminmax_ties", lambda m, a: m.aminmax(a, dim=0), TIES),
    ("aminmax_all_ties", lambda m, a: m.aminmax(a), TIES),
    ("argmax_ties", lambda m, a: a.argmax(1), TIES),
    ("median_ties", lambda m, a: a.median(), TIES),
    ("median_dim_ties", lambda m, a: a.median(1), TIES),
    (
        "median_dim_ties_long",
        lambda m, a: a.median(1),
        [[3.0, 1.0, 3.0, 1.0, 2, 2, 0, 2, 1, 3, 3, 2, 1, 1, 2, 0, 3, 2, 2, 1]],
    ),
    ("mode_ties", lambda m, a: a.mode(1), [[1.0, 2.0, 2.0, 1.0, 3.0], [4.0, 4.0, 0.0, 0.0, 4.0]]),
    ("mode_ties_dim0", lambda m, a: a.mode(0), [[1.0, 4.0], [2.0, 4.0], [2.0, 0.0], [1.0, 0.0]]),
    (
        "sort_stable_ties",
        lambda m, a: a.sort(stable=True),
        [[3.0, 1.0, 3.0, 1.0, 2, 2, 0, 2, 1, 3, 3, 2, 1, 1, 2, 0, 3, 2, 2, 1]],
    ),
    (
        "sort_stable_desc_ties",
        lambda m, a: a.sort(descending=True, stable=True),
        [[3.0, 1.0, 3.0, 1.0, 2, 2, 0, 2, 1, 3, 3, 2, 1, 1, 2, 0, 3, 2, 2, 1]],
    ),
    ("argsort_stable_ties", lambda m, a: a.argsort(dim=1, descending=True, stable=True), TIES),
    ("cummax_ties", lambda m, a: a.cummax(1), TIES),
    ("norm_inf_ties", lambda m, a: a.norm(INF), [[3.0, -3.0, 1.0]]),
    ("norm_inf_ties_dim", lambda m, a: a.norm(-INF, dim=1), [[3.0, -3.0, -3.0], [1.0, 2.0, 1.0]]),
    ("max_nan", lambda m, a: a.max(), NANS),
    ("max_dim_nan", lambda m, a: a.max(1), NANS),
    ("min_dim_nan", lambda m, a: a.min(0), NANS),
    ("amax_nan", lambda m, a: a.amax(1), NANS),
    ("argmax_nan", lambda m, a: a.argmax(1), NANS),
    ("argmin_nan", lambda m, a: a.argmin(), NANS),
    ("median_nan", lambda m, a: a.median(), NANS),
    ("median_dim_nan", lambda m, a: a.median(1), NANS),
    ("nanmedian_nan", lambda m, a: a.nanmedian(), NANS),
    ("nanmedian_dim_nan", lambda m, a: a.nanmedian(1), NANS),
    ("nanmedian_all_nan_values", lambda m, a: a.nanmedian(1).values, [[NAN, NAN], [1.0, 2.0]]),
    ("nanmedian_all_nan", lambda m, a: a.nanmedian(), [[NAN, NAN]]),
    ("nansum_nan", lambda m, a: a.nansum(1), NANS),
    ("nanmean_nan", lambda m, a: a.nanmean(0), NANS),
    ("sort_nan", lambda m, a: a.sort(1), NANS),
    ("sort_desc_nan", lambda m, a: a.sort(dim=1, descending=True, stable=True), NANS),
    ("topk_nan", lambda m, a: a.topk(2, 1), [[1.0, NAN, 2.0, 0.0], [4.0, 3.0, 2.0, 1.0]]),
    ("cummax_nan", lambda m, a: a.cummax(1), [[1.0, NAN, 2.0, NAN, 0.0]]),
    ("cummin_nan", lambda m, a: a.cummin(1), [[1.0, NAN, 0.0, NAN, 3.0]]),
    ("logsumexp_nan", lambda m, a: a.logsumexp(1), NANS),
    ("prod_zero", lambda m, a: a.prod(), [[1.0, 0.0, 3.0], [2.0, 4.0, 5.0]]),
    ("prod_zeros", lambda m, a: a.prod(), ZEROS),
    ("prod_dim_zeros", lambda m, a: a.prod(1), ZEROS),
    ("cumprod_zeros", lambda m, a: a.cumprod(1), ZEROS),
    ("norm_at_zero", lambda m, a: a.norm(), [[0.0, 0.0], [0.0, 0.0]]),
    ("norm_3_at_zero", lambda m, a: a.norm(3, dim=1), [[0.0, 0.0], [3.0, -4.0]]),
    ("norm_1_at_zero", lambda m, a: a.norm(1), [[0.0, 1.0], [-3.0, 0.0]]),
    ("norm_inf_at_zero", lambda m, a: a.norm(INF), [[0.0, 0.0]]),
    ("std_constant", lambda m, a: a.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]),
    ("std_one_element", lambda m, a: a.std(), [[5.0]]),
    ("var_dim_one", lambda m, a: a.var(1), [[5.0], [3.0]]),
    ("var_correction_n", lambda m, a: a.var(1, correction=2), [[1.0, 2.0], [3.0, 3.0]]),
    ("var_correction_gt_n", lambda m, a: a.var(correction=3), [[1.0, 2.0]]),
    ("var_correction_gt_n_equal", lambda m, a: a.var(correction=3), [[1.0, 1.0]]),
    ("var_dim_correction_gt_n", lambda m, a: a.var(1, correction=3), [[1.0, 2.0]]),
    ("std_correction_gt_n", lambda m, a: a.std(correction=3), [[1.0, 2.0]]),
    ("std_dim_correction_gt_n", lambda m, a: a.std(1, correction=3), [[1.0, 2.0]]),
    ("var_mean_one", lambda m, a: m.var_mean(a, 1), [[5.0], [3.0]]),
    ("std_mean_constant", lambda m, a: m.std_mean(a, 1), [[2.0, 2.0], [1.0, 3.0]]),
    ("logsumexp_neg_inf", lambda m, a: a.logsumexp(1), [[-INF, -INF], [0.0, -INF], [1.0, 2.0]]),
    ("logsumexp_inf", lambda m, a: a.logsumexp(1), [[INF, 1.0], [1.0, 2.0]]),
    ("max_binary_ties", lambda m, a, b: m.max(a, b), [[1.0, 2.0, 3.0]], [[1.0, 0.0, 3.0]]),
    ("min_binary_nan", lambda m, a, b: m.min(a, b), [[1.0, NAN, 3.0]], [[2.0, 0.0, NAN]]),
    ("max_other_kw", lambda m, a, b: m.max(a, other=b), [[1.0, 2.0, 3.0]], [[2.0, 0.0, 3.0]]),
]


@pytest.mark.parametrize(
    "name,fn,data", [e[:3] for e in EXACT if len(e) == 3], ids=[e[0] for e in EXACT if len(e) == 3]
)
def test_exact_data(name, fn, data):
    check_data(fn, data)


@pytest.mark.parametrize(
    "name,fn,a,b", [e for e in EXACT if len(e) == 4], ids=[e[0] for e in EXACT if len(e) == 4]
)
def test_exact_data_binary(name, fn, a, b):
    check_data(fn, a, b)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a: a.topk(2, 1),
        lambda m, a: a.kthvalue(3, 1),
        lambda m, a: a.mode(1),
        lambda m, a: a.sort(1),
    ],
)
def test_ties_implementation_defined(fn):
    """Which index PyTorch's CPU kernels return among ties is implementation-defined for topk,
    kthvalue, mode and sort(stable=False); the values agree."""
    data = [
        [
            3.0,
            1.0,
            3.0,
            1.0,
            2.0,
            2.0,
            3.0,
            0.0,
            2.0,
            1.0,
            3.0,
            3.0,
            2.0,
            1.0,
            1.0,
            2.0,
            0.0,
            3.0,
            2.0,
            2.0,
            1.0,
        ]
    ]
    check_data(fn, data, indices=False, grad=False)


def test_topk_ties_stable():
    data = [[3.0, 1.0, 3.0, 1.0, 2.0, 2.0, 3.0]]
    t = tensorish.tensor(data, requires_grad=True)
    r = t.topk(2, 1)
    r.values.sum().backward()
    assert t.grad.tolist() == [[1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]]
    assert r.indices.tolist() == [[0, 2]]


@pytest.mark.parametrize(
    "fn", [lambda a: a.cumsum_(1), lambda a: a.cumprod_(0), lambda a: a.cumsum_(-1, dtype=a.dtype)]
)
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_inplace_cumulative(fn, dtype):
    data = np.array([[1, 2, 0], [3, -1, 2]], dtype)
    t = torch.tensor(data.astype(np.float32), requires_grad=True)
    s = tensorish.tensor(data.astype(np.float32), requires_grad=True)
    assert_same(fn(torch.tensor(data)), fn(tensorish.tensor(data)), "in place")
    a, b = t * 1, s * 1
    fn(a), fn(b)
    assert b.grad_fn.name() == a.grad_fn.name()
    (a * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    (b * tensorish.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert_same(t.grad, s.grad, "backward")


# -- 0-dim and empty inputs ------------------------------------------------------------------
SCALAR = [
    lambda m, a: a.sum(),
    lambda m, a: a.sum(0),
    lambda m, a: a.mean(-1, keepdim=True),
    lambda m, a: a.prod(),
    lambda m, a: a.prod(0),
    lambda m, a: a.std(),
    lambda m, a: a.var(0, correction=0),
    lambda m, a: m.std_mean(a),
    lambda m, a: a.max(),
    lambda m, a: a.max(0),
    lambda m, a: a.min(-1, True),
    lambda m, a: a.amax(),
    lambda m, a: a.amin(0),
    lambda m, a: m.aminmax(a),
    lambda m, a: m.aminmax(a, dim=0),
    lambda m, a: a.argmax(),
    lambda m, a: a.argmin(0),
    lambda m, a: a.norm(),
    lambda m, a: a.norm(1, dim=0),
    lambda m, a: a.logsumexp(0),
    lambda m, a: a.cumsum(0),
    lambda m, a: a.cumprod(-1),
    lambda m, a: a.cummax(0),
    lambda m, a: a.cummin(0),
    lambda m, a: a.median(),
    lambda m, a: a.median(0),
    lambda m, a: a.nanmedian(0),
    lambda m, a: a.mode(),
    lambda m, a: a.kthvalue(1),
    lambda m, a: a.topk(1),
    lambda m, a: a.topk(0),
    lambda m, a: a.sort(),
    lambda m, a: a.argsort(),
    lambda m, a: a.all(),
    lambda m, a: a.any(0),
    lambda m, a: a.count_nonzero(),
    lambda m, a: a.nansum(0),
    lambda m, a: a.nanmean(),
]


@pytest.mark.parametrize("fn", SCALAR, ids=range(len(SCALAR)))
def test_zero_dim(fn):
    check_data(fn, 1.5)


EMPTY = [
    lambda m, a: a.sum(),
    lambda m, a: a.sum(0),
    lambda m, a: a.mean(),
    lambda m, a: a.mean(0),
    lambda m, a: a.nansum(),
    lambda m, a: a.prod(),
    lambda m, a: a.prod(1),
    lambda m, a: a.std(),
    lambda m, a: a.var(0),
    lambda m, a: a.max(1),
    lambda m, a: a.amax(1),
    lambda m, a: a.amin(-1),
    lambda m, a: a.argmax(1),
    lambda m, a: m.aminmax(a, dim=1),
    lambda m, a: a.norm(),
    lambda m, a: a.norm(1, dim=0),
    lambda m, a: a.logsumexp(0),
    lambda m, a: a.logsumexp(1),
    lambda m, a: a.cumsum(0),
    lambda m, a: a.cumprod(1),
    lambda m, a: a.cummax(0),
    lambda m, a: a.sort(0),
    lambda m, a: a.argsort(0),
    lambda m, a: a.topk(0, 0),
    lambda m, a: a.median(),
    lambda m, a: a.nanmedian(),
    lambda m, a: a.median(1),
    lambda m, a: a.kthvalue(1, 1),
    lambda m, a: a.mode(1),
    lambda m, a: a.all(),
    lambda m, a: a.any(0),
    lambda m, a: a.count_nonzero(0),
    lambda m, a: a.msort(),
]


@pytest.mark.parametrize("i", range(len(EMPTY)))
def test_empty(i):
    # Gradients of empty inputs are empty; check them on every third op, to save compiling.
    check_data(EMPTY[i], np.zeros((0, 3)), grad=i % 3 == 0)


# -- integer and bool dtype rules ------------------------------------------------------------
INTEGRAL = [
    lambda m, a: a.sum(),
    lambda m, a: a.sum(1),
    lambda m, a: a.nansum(0),
    lambda m, a: a.prod(),
    lambda m, a: a.prod(0),
    lambda m, a: a.cumsum(1),
    lambda m, a: a.cumprod(0),
    lambda m, a: a.cumsum(0, dtype=m.float32),
    lambda m, a: a.sum(dtype=m.int32),
    lambda m, a: a.max(),
    lambda m, a: a.max(1),
    lambda m, a: a.min(0, True),
    lambda m, a: a.amax(1),
    lambda m, a: m.aminmax(a),
    lambda m, a: a.argmax(),
    lambda m, a: a.argmin(1),
    lambda m, a: a.all(),
    lambda m, a: a.all(1),
    lambda m, a: a.any((0, 1)),
    lambda m, a: a.count_nonzero(1),
    lambda m, a: a.logsumexp(1),
    lambda m, a: a.median(),
    lambda m, a: a.median(1),
    lambda m, a: a.median(0),
    lambda m, a: a.nanmedian(0, keepdim=True),
    lambda m, a: a.mode(1),
    lambda m, a: a.kthvalue(2, 1).values,
    lambda m, a: a.sort(dim=1, stable=True),
    lambda m, a: a.argsort(dim=0, stable=True),
    lambda m, a: a.cummax(1),
    lambda m, a: a.cummin(0),
    lambda m, a: a.topk(1, 1).values,
    lambda m, a: a.msort(),
    lambda m, a: m.max(a, m.tensor([[1.5]])),
]


@pytest.mark.parametrize("fn", INTEGRAL, ids=range(len(INTEGRAL)))
def test_integral(fn, dtype="int64"):
    data = np.array([[3, 0, 2, 2, 7], [1, 1, 0, 5, 5], [4, 4, 4, 1, 0]])
    t, s = torch.tensor(data.astype(dtype)), tensorish.tensor(data.astype(dtype))
    try:
        want = fn(torch, t)
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)) as got:
            fn(tensorish, s)
        assert str(got.value) == str(e).replace("torch.", "tensorish.")
        return
    assert_same(want, fn(tensorish, s), dtype)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "int8", "bool"])
def test_small_integers(dtype):
    picks = [0, 3, 5, 10, 16, 18] + (
        [14, 20, 21, 24, 25, 26, 27, 29, 31] if dtype == "bool" else []
    )
    for i in picks:
        test_integral(INTEGRAL[i], dtype)


def test_half_precision():
    check_op([(3, 4)], *_both(lambda m, a: a.sum(1)), dtype="float16", rtol=1e-2, atol=1e-2)
    check_op([(3, 4)], *_both(lambda m, a: a.max(1)), dtype="float16")


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a: a.std(),
        lambda m, a: a.var(0),
        lambda m, a: m.std_mean(a, 1),
        lambda m, a: m.var_mean(a, correction=3),
        lambda m, a: a.var(1, correction=0),
    ],
)
def test_degrees_of_freedom_warning(fn):
    t, s = torch.ones(1, 1), tensorish.ones(1, 1)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        fn(torch, t)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn(tensorish, s)
    strip = lambda w: [str(x.message).split(" (Triggered")[0] for x in w]
    assert strip(got) == strip(want)


# -- unique, bincount, histc -----------------------------------------------------------------
@pytest.mark.parametrize(
    "data,kw",
    [
        ([3, 1, 2, 3, 1], {}),
        ([3, 1, 2, 3, 1], {"return_inverse": True, "return_counts": True}),
        ([[3, 1], [2, 3]], {"return_inverse": True}),
        ([3.0, 1.0, NAN, 2.0, 3.0, NAN], {"return_counts": True}),
        ([5, 5, 5], {"sorted": False, "return_counts": True}),
        ([[1, 2], [0, 4], [1, 2]], {"dim": 0, "return_inverse": True, "return_counts": True}),
        ([[1, 2, 1], [0, 4, 0]], {"dim": -1}),
        (np.zeros(0, np.int64), {"return_counts": True}),
        (7, {"return_inverse": True}),
    ],
)
def test_unique(data, kw):
    t, s = torch.tensor(data), tensorish.tensor(data)
    assert_same(torch.unique(t, **kw), tensorish.unique(s, **kw), "unique")
    assert_same(t.unique(**kw), s.unique(**kw), "Tensor.unique")


@pytest.mark.parametrize(
    "data,weights,minlength,idtype,wdtype",
    [
        ([3, 1, 2, 3, 1], None, 0, "int64", None),
        ([3, 1, 2, 3, 1], None, 8, "uint8", None),
        ([0], None, 0, "int32", None),
        (np.zeros(0), None, 0, "int64", None),
        (np.zeros(0), None, 3, "int64", None),
        (np.zeros(0), [], 2, "int64", "float32"),
        ([3, 1, 2, 3, 1], [0.5, 1.0, 2.0, 3.0, -1.0], 0, "int64", "float32"),
        ([3, 1, 2, 3, 1], [0.5, 1.0, 2.0, 3.0, -1.0], 0, "int32", "float64"),
        ([2, 0], [1.0, 2.0], 5, "int64", "int32"),
        ([2, 0], [1.0, 2.0], 0, "uint8", "float16"),
    ],
)
def test_bincount(data, weights, minlength, idtype, wdtype):
    t, s = torch.tensor(np.asarray(data, idtype)), tensorish.tensor(np.asarray(data, idtype))
    w = None if weights is None else np.asarray(weights, wdtype)
    wt = None if w is None else torch.tensor(w)
    ws = None if w is None else tensorish.tensor(w)
    assert_same(t.bincount(wt, minlength), s.bincount(ws, minlength), "bincount")
    assert_same(
        torch.bincount(t, weights=wt, minlength=minlength),
        tensorish.bincount(s, weights=ws, minlength=minlength),
        "bincount",
    )


@pytest.mark.parametrize(
    "data,kw",
    [
        ([1.0, 2, 1, 4], {"bins": 4, "min": 0, "max": 3}),
        ([1.0, 2, 1, 4], {"bins": 4}),
        ([1.0, 1.0], {"bins": 3}),
        ([-1.0, 0.5, 2.5, 3.0, 9.0], {"bins": 6, "min": 0, "max": 3}),
        ([[0.1, 0.2], [0.7, NAN]], {"bins": 5, "min": 0, "max": 1}),
        (np.zeros(0), {"bins": 2, "min": 0, "max": 1}),
        (np.linspace(-2, 2, 101), {}),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histc(data, kw, dtype):
    t, s = torch.tensor(np.asarray(data, dtype)), tensorish.tensor(np.asarray(data, dtype))
    assert_same(t.histc(**kw), s.histc(**kw), "histc")
    assert_same(torch.histc(t, **kw), tensorish.histc(s, **kw), "histc")


def test_histc_random_matches_torch():
    data = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    t, s = torch.tensor(data), tensorish.tensor(data)
    assert_same(t.histc(17, -1.5, 2.0), s.histc(17, -1.5, 2.0), "histc")


def test_not_differentiable_outputs():
    s = tensorish.tensor([[1.0, 2.0], [0.0, 3.0]], requires_grad=True)
    for out in (
        s.argmax(),
        s.argsort(),
        s.histc(3),
        s.all(),
        s.count_nonzero(),
        s.max(1).indices,
        s.sort().indices,
    ):
        assert not out.requires_grad and out.grad_fn is None
    w = tensorish.tensor([1.0, 2.0], requires_grad=True)
    assert not tensorish.tensor([0, 1]).bincount(w).requires_grad


# -- named tuple results ---------------------------------------------------------------------
NAMED = [
    lambda m, a: a.max(1),
    lambda m, a: a.min(0, keepdim=True),
    lambda m, a: m.aminmax(a),
    lambda m, a: a.median(1),
    lambda m, a: a.nanmedian(0),
    lambda m, a: a.mode(1),
    lambda m, a: a.kthvalue(1),
    lambda m, a: a.topk(1),
    lambda m, a: a.sort(),
    lambda m, a: a.cummax(0),
    lambda m, a: a.cummin(1),
    lambda m, a: m.std_mean(a),
    lambda m, a: m.var_mean(a, 1),
]


@pytest.mark.parametrize("fn", NAMED, ids=range(len(NAMED)))
@pytest.mark.parametrize("grad", [False, True])
def test_named_results(fn, grad):
    data = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], np.float32)
    t = torch.tensor(data, requires_grad=grad)
    s = tensorish.tensor(data, requires_grad=grad)
    a, b = fn(torch, t), fn(tensorish, s)
    assert repr(b) == repr(a).replace("torch.", "tensorish.")
    assert str(b) == str(a).replace("torch.", "tensorish.")
    assert isinstance(b, tuple) and len(b) == len(a)
    if hasattr(a, "_fields") or type(a) is not tuple:
        name = type(a).__name__
        assert type(b).__name__ == name and type(b).__module__ == "tensorish.return_types"
        assert isinstance(b, getattr(tensorish.return_types, name))
        for field in ("values", "indices", "min", "max"):
            if hasattr(a, field):
                assert_same(getattr(a, field), getattr(b, field), field)
        values, indices = b
        assert values is b[0] and indices is b[1]
    else:
        assert type(b) is tuple


# -- errors ----------------------------------------------------------------------------------
ERRORS = [
    lambda m: m.ones(0).max(),
    lambda m: m.ones(0).min(),
    lambda m: m.ones(0, 3).max(0),
    lambda m: m.ones(0, 3).max(-2),
    lambda m: m.ones(0).amax(),
    lambda m: m.ones(0, 3).amax(0),
    lambda m: m.ones(0, 3).amax(-2),
    lambda m: m.ones(0, 3).amin((0, 1)),
    lambda m: m.aminmax(m.ones(0)),
    lambda m: m.aminmax(m.ones(0, 3), dim=0),
    lambda m: m.ones(0).argmax(),
    lambda m: m.ones(0, 3).argmin(-2),
    lambda m: m.ones(0, 3).median(0),
    lambda m: m.ones(0, 3).mode(0),
    lambda m: m.ones(0, 3).kthvalue(1, 0),
    lambda m: m.ones(2, 3).kthvalue(0, 1),
    lambda m: m.ones(2, 3).kthvalue(4),
    lambda m: m.ones(2, 3).topk(4, 1),
    lambda m: m.ones(2, 3).topk(-1),
    lambda m: m.ones(2, 3, dtype=m.int64).std(),
    lambda m: m.ones(2, dtype=m.int32).var(0),
    lambda m: m.std_mean(m.ones(2, 3, dtype=m.int64)),
    lambda m: m.var_mean(m.ones(2, 3, dtype=m.uint8), 1),
    lambda m: m.ones(3, dtype=m.int64).mean(),
    lambda m: m.ones(3, dtype=m.int64).nanmean(),
    lambda m: m.ones(3, dtype=m.int64).norm(),
    lambda m: m.ones(3).norm(p="abc"),
    lambda m: m.ones(2, 2).norm(p="nuc", dim=0),
    lambda m: m.ones(2, 2, 2).norm(p="nuc"),
    lambda m: m.ones(2, 2).norm(p="nuc", dim=(1, -1)),
    lambda m: m.ones(2, 2, dtype=m.int32).norm(p="nuc"),
    lambda m: m.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2)),
    lambda m: m.ones(0).norm(INF),
    lambda m: m.ones(0).norm(-INF),
    lambda m: m.ones(0, 3).norm(INF, dim=0),
    lambda m: m.ones(2, 3).logsumexp(),
    lambda m: m.ones(2, 3).logsumexp(None),
    lambda m: m.ones(2, 3).cumsum(),
    lambda m: m.ones(2, 3).cumprod(),
    lambda m: m.ones(2, 3).sum(2),
    lambda m: m.ones(2, 3).sum((0, 0)),
    lambda m: m.ones(2, 3).max(-3),
    lambda m: m.tensor(1.0).max(1),
    lambda m: m.ones(2, 3).amax((1, -1)),
    lambda m: m.ones(2, 3).cumsum(2),
    lambda m: m.ones(2, 3).sort(2),
    lambda m: m.ones(2, 3).argsort(-3),
    lambda m: m.ones(2, 3).cummax(5),
    lambda m: m.ones(2, 3).median(4),
    lambda m: m.ones(2, 3).argmax(2),
    lambda m: m.ones(2, 3).std(3),
    lambda m: m.ones(2, 3).norm(dim=2),
    lambda m: m.ones(2, 3).prod(2),
    lambda m: m.tensor([True, False]).median(),
    lambda m: m.tensor([True]).median(0),
    lambda m: m.tensor([-1, 2]).bincount(),
    lambda m: m.tensor([[1, 2]]).bincount(),
    lambda m: m.tensor([1.0, 2.0]).bincount(),
    lambda m: m.tensor([1, 2]).bincount(m.ones(3)),
    lambda m: m.tensor([1, 2]).histc(),
    lambda m: m.tensor([1.0, 2.0]).histc(min=3, max=1),
    lambda m: m.tensor([1.0, 2.0]).histc(0),
    lambda m: m.ones(2, 3).unique(dim=2),
    lambda m: m.ones(2, dtype=m.complex64).nansum(),
    lambda m: m.ones(2, dtype=m.complex64).nanmean(),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors(fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(tensorish)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value).replace("torch.", "tensorish.")

"""Shape, joining, splitting and index-family ops against the torch oracle: forward values,
dtypes, shapes, grad_fn names and gradients through a non-uniform upstream gradient; then
PyTorch's errors, type and message."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, check_op

import tensorish


def idx(m, data):
    return m.tensor(data)


def mask(m, shape, seed=1):
    return m.tensor(np.random.default_rng(seed).uniform(size=shape) > 0.5)


# (id, input shapes, f(module, *inputs))
OPS = [
    ("reshape", [(3, 4)], lambda m, a: a.reshape(2, -1, 3)),
    ("reshape_fn", [(3, 4)], lambda m, a: m.reshape(a, (4, 3))),
    ("view", [(3, 4)], lambda m, a: a.view(4, 3)),
    ("view_infer", [(2, 3, 4)], lambda m, a: a.view(-1, 4)),
    ("view_as", [(3, 4), (2, 6)], lambda m, a, b: a.view_as(b) * b),
    ("reshape_as", [(3, 4), (12,)], lambda m, a, b: a.reshape_as(b)),
    ("flatten", [(2, 3, 4)], lambda m, a: a.flatten()),
    ("flatten_1", [(2, 3, 4)], lambda m, a: a.flatten(1)),
    ("flatten_0_1", [(2, 3, 4)], lambda m, a: m.flatten(a, 0, 1)),
    ("flatten_scalar", [()], lambda m, a: a.flatten()),
    ("unflatten", [(2, 6)], lambda m, a: a.unflatten(1, (3, 2))),
    ("unflatten_infer", [(2, 6)], lambda m, a: a.unflatten(-1, (-1, 2))),
    ("squeeze", [(1, 3, 1, 2)], lambda m, a: a.squeeze()),
    ("squeeze_dim", [(1, 3, 1, 2)], lambda m, a: a.squeeze(2)),
    ("squeeze_dim_noop", [(1, 3, 1, 2)], lambda m, a: a.squeeze(1)),
    ("squeeze_dims", [(1, 3, 1, 2)], lambda m, a: a.squeeze((0, -2))),
    ("unsqueeze", [(3, 2)], lambda m, a: a.unsqueeze(1)),
    ("transpose", [(2, 3, 4)], lambda m, a: a.transpose(0, 2)),
    ("swapaxes", [(2, 3, 4)], lambda m, a: a.swapaxes(0, 1)),
    ("t", [(3, 4)], lambda m, a: a.t()),
    ("t_1d", [(3,)], lambda m, a: m.t(a)),
    ("T", [(3, 4)], lambda m, a: a.T),
    ("mT", [(2, 3, 4)], lambda m, a: a.mT),
    ("H", [(3, 4)], lambda m, a: a.H),
    ("mH", [(2, 3, 4)], lambda m, a: a.mH),
    ("permute", [(2, 3, 4)], lambda m, a: a.permute(2, 0, 1)),
    ("movedim", [(2, 3, 4)], lambda m, a: a.movedim(0, -1)),
    ("movedim_many", [(2, 3, 4, 5)], lambda m, a: m.movedim(a, (0, 1), (3, 0))),
    ("expand", [(3, 1)], lambda m, a: a.expand(2, 3, 4)),
    ("expand_keep", [(3, 1)], lambda m, a: a.expand(-1, 5)),
    ("expand_as", [(3, 1), (2, 3, 4)], lambda m, a, b: a.expand_as(b) * b),
    ("broadcast_to", [(4,)], lambda m, a: m.broadcast_to(a, (3, 4))),
    ("broadcast_tensors", [(3, 1), (4,)], lambda m, a, b: m.broadcast_tensors(a, b)),
    ("repeat", [(2, 3)], lambda m, a: a.repeat(2, 1, 3)),
    ("repeat_tuple", [(2, 3)], lambda m, a: a.repeat((3, 2))),
    ("tile", [(2, 3)], lambda m, a: a.tile((2,))),
    ("repeat_interleave", [(2, 3)], lambda m, a: a.repeat_interleave(2)),
    ("repeat_interleave_dim", [(2, 3)], lambda m, a: a.repeat_interleave(3, dim=1)),
    (
        "repeat_interleave_tensor",
        [(3, 2)],
        lambda m, a: m.repeat_interleave(a, m.tensor([2, 0, 1]), dim=0),
    ),
    ("cat", [(2, 3), (1, 3)], lambda m, a, b: m.cat([a, b])),
    ("cat_dim", [(2, 3), (2, 1)], lambda m, a, b: m.cat((a, b, a), dim=-1)),
    ("concatenate", [(2,), (3,)], lambda m, a, b: m.concatenate([a, b])),
    ("stack", [(2, 3), (2, 3)], lambda m, a, b: m.stack([a, b])),
    ("stack_dim", [(2, 3), (2, 3)], lambda m, a, b: m.stack([a, b, a], dim=-1)),
    ("hstack", [(2, 3), (2, 1)], lambda m, a, b: m.hstack([a, b])),
    ("hstack_1d", [(2,), (3,)], lambda m, a, b: m.hstack([a, b])),
    ("vstack", [(3,), (2, 3)], lambda m, a, b: m.vstack([a, b])),
    ("dstack", [(3,), (1, 3)], lambda m, a, b: m.dstack([a, b])),
    ("column_stack", [(3,), (3, 2)], lambda m, a, b: m.column_stack([a, b])),
    ("split", [(5, 2)], lambda m, a: a.split(2)),
    ("split_sizes", [(5, 2)], lambda m, a: a.split([1, 4])),
    ("split_dim", [(2, 5)], lambda m, a: m.split(a, 3, dim=1)),
    ("tensor_split", [(7, 2)], lambda m, a: a.tensor_split(3)),
    ("tensor_split_idx", [(7, 2)], lambda m, a: m.tensor_split(a, [1, 5])),
    ("tensor_split_dim", [(2, 7)], lambda m, a: a.tensor_split([2, 9], dim=1)),
    ("chunk", [(5, 2)], lambda m, a: a.chunk(3)),
    ("unbind", [(3, 2)], lambda m, a: a.unbind()),
    ("unbind_dim", [(3, 2)], lambda m, a: m.unbind(a, 1)),
    ("narrow", [(4, 5)], lambda m, a: a.narrow(1, 1, 3)),
    ("narrow_neg", [(4, 5)], lambda m, a: m.narrow(a, 0, -2, 2)),
    ("select", [(4, 5)], lambda m, a: a.select(1, -2)),
    ("flip", [(2, 3, 4)], lambda m, a: a.flip(0, 2)),
    ("fliplr", [(2, 3)], lambda m, a: a.fliplr()),
    ("flipud", [(2, 3)], lambda m, a: m.flipud(a)),
    ("roll", [(3, 4)], lambda m, a: a.roll(5)),
    ("roll_dim", [(3, 4)], lambda m, a: a.roll(-1, 1)),
    ("roll_dims", [(3, 4)], lambda m, a: m.roll(a, (1, 2), (0, 1))),
    ("rot90", [(3, 4)], lambda m, a: a.rot90()),
    ("rot90_k", [(2, 3, 4)], lambda m, a: m.rot90(a, -3, [1, 2])),
    ("rot90_2", [(3, 4)], lambda m, a: a.rot90(2)),
    ("diagonal", [(3, 4)], lambda m, a: a.diagonal()),
    ("diagonal_offset", [(2, 3, 4)], lambda m, a: m.diagonal(a, -1, 2, 1)),
    ("trace", [(3, 4)], lambda m, a: a.trace()),
    ("tril", [(3, 4)], lambda m, a: a.tril()),
    ("triu", [(3, 4)], lambda m, a: a.triu(-1)),
    ("diag_1d", [(3,)], lambda m, a: m.diag(a, 1)),
    ("diag_2d", [(3, 4)], lambda m, a: a.diag(-1)),
    ("diag_embed", [(2, 3)], lambda m, a: m.diag_embed(a)),
    ("diag_embed_dims", [(2, 3)], lambda m, a: a.diag_embed(-1, 0, 2)),
    ("diagflat", [(2, 2)], lambda m, a: m.diagflat(a, 1)),
    ("clone", [(3, 4)], lambda m, a: a.clone()),
    ("contiguous", [(3, 4)], lambda m, a: a.contiguous() * 2),
    ("gather", [(3, 4)], lambda m, a: a.gather(1, idx(m, [[0, 0], [3, 1], [2, 2]]))),
    ("gather_small", [(3, 4)], lambda m, a: m.gather(a, 0, idx(m, [[2, 0, 1]]))),
    ("scatter", [(3, 4), (2, 2)], lambda m, a, b: a.scatter(1, idx(m, [[0, 2], [3, 1]]), b)),
    ("scatter_value", [(3, 4)], lambda m, a: m.scatter(a, 0, idx(m, [[2, 0, 1]]), 2.5)),
    (
        "scatter_add",
        [(3, 4), (2, 2)],
        lambda m, a, b: a.scatter_add(1, idx(m, [[0, 0], [3, 1]]), b),
    ),
    *[
        (
            f"scatter_reduce_{r}_{s}",
            [(3, 4), (2, 3)],
            lambda m, a, b, r=r, s=s: a.scatter_reduce(
                1, idx(m, [[0, 0, 2], [3, 3, 3]]), b, r, include_self=s
            ),
        )
        for r, s in (
            ("sum", True),
            ("prod", True),
            ("prod", False),
            ("mean", False),
            ("amax", True),
            ("amin", False),
        )
    ],
    ("index_select", [(3, 4)], lambda m, a: a.index_select(1, idx(m, [3, 0, 3]))),
    ("index_add", [(3, 4), (2, 4)], lambda m, a, b: a.index_add(0, idx(m, [2, 2]), b)),
    (
        "index_add_alpha",
        [(3, 4), (3, 2)],
        lambda m, a, b: m.index_add(a, 1, idx(m, [0, 3]), b, alpha=-2.0),
    ),
    ("index_copy", [(3, 4), (2, 4)], lambda m, a, b: a.index_copy(0, idx(m, [2, 0]), b)),
    ("index_fill", [(3, 4)], lambda m, a: a.index_fill(1, idx(m, [0, -1]), -1.5)),
    ("index_fill_tensor", [(3, 4), ()], lambda m, a, b: m.index_fill(a, 0, idx(m, [1]), b)),
    ("index_put", [(3, 4), (2,)], lambda m, a, b: a.index_put((idx(m, [0, 2]), idx(m, [1, 3])), b)),
    (
        "index_put_acc",
        [(3, 4), (3, 4)],
        lambda m, a, b: m.index_put(a, (idx(m, [0, 0, 2]),), b, accumulate=True),
    ),
    ("masked_fill", [(3, 4)], lambda m, a: a.masked_fill(mask(m, (3, 4)), 0.5)),
    ("masked_fill_bcast", [(3, 4)], lambda m, a: m.masked_fill(a, mask(m, (2, 1, 4)), -1)),
    ("masked_fill_tensor", [(3, 4), ()], lambda m, a, b: a.masked_fill(mask(m, (4,)), b)),
    ("masked_select", [(3, 4)], lambda m, a: a.masked_select(mask(m, (3, 4)))),
    ("masked_select_bcast", [(3, 4)], lambda m, a: m.masked_select(a, mask(m, (4,)))),
    ("masked_scatter", [(3, 4), (4, 4)], lambda m, a, b: a.masked_scatter(mask(m, (3, 4)), b)),
    ("take", [(3, 4)], lambda m, a: a.take(idx(m, [[0, -1], [5, 5]]))),
    ("take_along_dim", [(3, 4)], lambda m, a: a.take_along_dim(idx(m, [[0], [3], [1]]), 1)),
    ("take_along_dim_bcast", [(3, 4)], lambda m, a: m.take_along_dim(a, idx(m, [[0, 2]]), 1)),
    ("take_along_dim_flat", [(3, 4)], lambda m, a: a.take_along_dim(idx(m, [11, 0, 0]))),
]


def _names(out):
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [type(o.grad_fn).__name__ for o in outs]


@pytest.mark.parametrize("name,shapes,f", OPS, ids=[o[0] for o in OPS])
def test_op(name, shapes, f):
    check_op(shapes, lambda *a: f(torch, *a), lambda *a: f(tensorish, *a))
    ts = [torch.ones(s, requires_grad=True) for s in shapes]
    ss = [tensorish.ones(s, requires_grad=True) for s in shapes]
    assert _names(f(tensorish, *ss)) == _names(f(torch, *ts))


INT64_OPS = [o for o in OPS if not o[0].startswith(("scatter_reduce_p", "scatter_reduce_mean"))][
    ::8
]


@pytest.mark.parametrize("name,shapes,f", INT64_OPS, ids=[o[0] for o in INT64_OPS])
def test_op_int64(name, shapes, f):
    check_op(
        shapes, lambda *a: f(torch, *a), lambda *a: f(tensorish, *a), dtype="int64", low=-5, high=5
    )


def test_aliases():
    t = tensorish
    assert t.concat is t.cat and t.concatenate is t.cat and t.swapdims is t.transpose
    assert t.swapaxes is t.transpose and t.moveaxis is t.movedim and t.row_stack is t.vstack
    assert t.Tensor.swapdims is t.Tensor.transpose and t.Tensor.moveaxis is t.Tensor.movedim


@pytest.mark.parametrize(
    "make",
    [
        lambda m, a, b: m.cat([a, b]),
        lambda m, a, b: m.stack([a, b]),
        lambda m, a, b: m.hstack([a, b]),
        lambda m, a, b: m.cat([b, a], 1),
    ],
)
def test_join_promotes(make):
    ta, sa = torch.ones(2, 2, dtype=torch.int32), tensorish.ones(2, 2, dtype=tensorish.int32)
    tb, sb = torch.ones(2, 2, dtype=torch.float64), tensorish.ones(2, 2, dtype=tensorish.float64)
    assert_same(make(torch, ta, tb), make(tensorish, sa, sb), "join")


def test_cat_skips_empty_1d():
    for m in (torch, tensorish):
        out = m.cat([m.ones(2, 3), m.ones(0), m.zeros(1, 3)])
        assert tuple(out.shape) == (3, 3)


def test_empty_pieces():
    for f in (
        lambda m: m.ones(0, 3).split(2),
        lambda m: m.ones(0, 3).chunk(2),
        lambda m: m.ones(0, 3).split(0),
        lambda m: m.ones(6).chunk(4),
        lambda m: m.ones(0, 2).unbind(),
        lambda m: m.ones(3, 0).tensor_split(2),
        lambda m: m.ones(5, 3).chunk(3),
    ):
        assert [tuple(p.shape) for p in f(torch)] == [tuple(p.shape) for p in f(tensorish)]


def test_atleast():
    for n in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for shape in ((), (3,), (2, 3), (2, 3, 4)):
            assert_same(
                getattr(torch, n)(torch.ones(shape)),
                getattr(tensorish, n)(tensorish.ones(shape)),
                f"{n}{shape}",
            )


def test_broadcast_shapes():
    for shapes in [((2, 1), (3,)), ((1,), (4, 1, 1), (5, 1)), (3, (2, 3)), ((),)]:
        assert tensorish.broadcast_shapes(*shapes) == torch.broadcast_shapes(*shapes)


def test_repeat_interleave_counts():
    assert_same(
        torch.repeat_interleave(torch.tensor([2, 0, 3])),
        tensorish.repeat_interleave(tensorish.tensor([2, 0, 3])),
        "counts",
    )


def test_nonzero_family():
    data = np.array([[0, 1.5, 0], [2, 0, 3]])
    t, s = torch.tensor(data), tensorish.tensor(data)
    assert_same(t.nonzero(), s.nonzero(), "nonzero")
    assert_same(torch.nonzero(t, as_tuple=True), tensorish.nonzero(s, as_tuple=True), "tuple")
    assert_same(torch.argwhere(t), tensorish.argwhere(s), "argwhere")
    assert_same(
        torch.where(torch.tensor(data > 0)), tensorish.where(tensorish.tensor(data > 0)), "where"
    )
    assert_same(torch.tensor(1.0).nonzero(), tensorish.tensor(1.0).nonzero(), "0-dim")


def test_T_warns_on_3d():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other"):
        s = tensorish.ones(2, 3, 4).T
    assert_same(_quiet(lambda: torch.ones(2, 3, 4).T), s, "T")


def _quiet(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f()


def test_complex_adjoint():
    data = np.array([[1 + 2j, 3 - 1j], [0.5j, 2]])
    t, s = torch.tensor(data), tensorish.tensor(data)
    assert_same(t.H.resolve_conj(), s.H, "H")
    assert_same(t.mH.resolve_conj(), s.mH, "mH")
    assert_same(t.mT, s.mT, "mT")


@pytest.mark.parametrize("dt", ["int32", "int16", "float64", "uint8", "float32"])
def test_view_dtype(dt):
    t, s = torch.arange(8.0), tensorish.arange(8.0)
    assert_same(t.view(getattr(torch, dt)), s.view(getattr(tensorish, dt)), dt)


def test_T_low_dims():
    # torch warns once per process, so only its values and grad_fn are compared
    for shape, match in (((3,), "dimension other than 2"), ((), "deprecated on 0-D tensors")):
        with pytest.warns(UserWarning, match=match):
            s = tensorish.ones(shape, requires_grad=True).T
        t = _quiet(lambda shape=shape: torch.ones(shape, requires_grad=True).T)
        assert_same(t, s, "T")
        assert type(s.grad_fn).__name__ == type(t.grad_fn).__name__


def test_contiguity():
    x = tensorish.ones(2, 3)
    assert x.t().is_contiguous() and x.contiguous() is x


INPLACE = [
    ("unsqueeze_", lambda m, a: a.unsqueeze_(1)),
    ("squeeze_", lambda m, a: a.unsqueeze(0).squeeze_()),
    ("squeeze_dim", lambda m, a: a.unsqueeze(0).squeeze_(0)),
    ("t_", lambda m, a: a.t_()),
    ("transpose_", lambda m, a: a.transpose_(0, 1)),
    ("fill_", lambda m, a: a.fill_(2)),
    ("fill_tensor", lambda m, a: a.fill_(m.tensor(3.0))),
    ("zero_", lambda m, a: a.zero_()),
    ("copy_", lambda m, a: a.copy_(m.arange(4.0))),
    ("copy_cast", lambda m, a: a.copy_(m.arange(4))),
    ("scatter_", lambda m, a: a.scatter_(1, idx(m, [[1], [0], [3]]), 7.0)),
    ("scatter_add_", lambda m, a: a.scatter_add_(0, idx(m, [[1, 1, 1, 1]]), m.ones(1, 4))),
    ("index_add_", lambda m, a: a.index_add_(1, idx(m, [0, 0]), m.ones(3, 2))),
    ("index_copy_", lambda m, a: a.index_copy_(0, idx(m, [1]), m.zeros(1, 4))),
    ("index_fill_", lambda m, a: a.index_fill_(1, idx(m, [2]), 9)),
    ("masked_fill_", lambda m, a: a.masked_fill_(mask(m, (4,)), -3)),
    ("masked_scatter_", lambda m, a: a.masked_scatter_(mask(m, (3, 4)), m.zeros(12))),
    ("index_put_", lambda m, a: a.index_put_((idx(m, [0, 2]),), m.tensor(5.0))),
    ("index_put_acc", lambda m, a: a.index_put_((idx(m, [0, 0]),), m.ones(4), True)),
]


@pytest.mark.parametrize("name,f", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace(name, f):
    outs = []
    for m in (torch, tensorish):
        base = m.tensor(np.arange(12.0).reshape(3, 4), dtype=m.float32, requires_grad=True)
        a = base * 1.5
        r = f(m, a)
        (
            r * m.tensor(np.linspace(0.5, 1.5, r.numel()).reshape(tuple(r.shape)), dtype=m.float32)
        ).sum().backward()
        outs.append((r, base.grad, type(r.grad_fn).__name__))
    assert_same(outs[0][0], outs[1][0], "value")
    assert_same(outs[0][1], outs[1][1], "grad")
    assert outs[0][2] == outs[1][2]


def test_inplace_leaf_errors():
    for f in (
        lambda x: x.unsqueeze_(0),
        lambda x: x.t_(),
        lambda x: x.fill_(1),
        lambda x: x.zero_(),
        lambda x: x.copy_(x.detach()),
    ):
        msgs = []
        for m in (torch, tensorish):
            x = m.ones(2, 2, requires_grad=True)
            with pytest.raises(RuntimeError) as e:
                f(x)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_copy_grad_flows_from_src():
    grads = []
    for m in (torch, tensorish):
        src = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        dst = m.zeros(2, 3, dtype=m.float64)
        dst.copy_(src)
        assert dst.dtype == m.float64 and dst.requires_grad
        (dst * m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=m.float64)).sum().backward()
        grads.append(src.grad)
    assert_same(grads[0], grads[1], "src grad")


def test_split_outputs_partial_grad():
    check_op([(6, 2)], lambda a: a.split(2)[1] * 3)
    check_op([(6, 2)], lambda a: a.unbind()[4] + a.unbind()[0])


def test_float64_finite_difference():
    for f in (
        lambda a: a.gather(1, tensorish.tensor([[0, 2], [1, 1]])),
        lambda a: a.scatter_reduce(0, tensorish.tensor([[1, 1, 0]]), a, "prod"),
        lambda a: tensorish.cat([a, a.flip(0)]).roll(1),
    ):
        a = tensorish.tensor(np.random.default_rng(0).uniform(1, 2, (2, 3)), requires_grad=True)
        up = np.random.default_rng(1).uniform(size=tuple(f(a).shape))
        f(a).mul(tensorish.tensor(up)).sum().backward()
        base = a.detach().numpy()
        for i in np.ndindex(*base.shape):
            e = np.zeros_like(base)
            e[i] = 1e-6
            hi = (f(tensorish.tensor(base + e)).numpy() * up).sum()
            lo = (f(tensorish.tensor(base - e)).numpy() * up).sum()
            np.testing.assert_allclose(a.grad.numpy()[i], (hi - lo) / 2e-6, rtol=1e-5)


E = RuntimeError
ERRORS = [
    ("view_size", lambda m, x: x.view(3, 5)),
    ("view_two_infer", lambda m, x: x.view(-1, -1)),
    ("view_negative", lambda m, x: x.view(-2, 6)),
    ("view_infer_bad", lambda m, x: x.view(5, -1)),
    ("view_zero_ambiguous", lambda m, x: m.zeros(0, 2).view(0, -1)),
    ("reshape_size", lambda m, x: x.reshape(2, -1, 5)),
    ("flatten_order", lambda m, x: x.flatten(1, 0)),
    ("unflatten_product", lambda m, x: x.unflatten(1, (3, 2))),
    ("squeeze_dim", lambda m, x: x.squeeze(2)),
    ("unsqueeze_dim", lambda m, x: x.unsqueeze(3)),
    ("transpose_dim", lambda m, x: x.transpose(0, 2)),
    ("t_3d", lambda m, x: m.ones(2, 3, 4).t()),
    ("mT_1d", lambda m, x: m.ones(3).mT),
    ("H_1d", lambda m, x: m.ones(3).H),
    ("permute_len", lambda m, x: x.permute(0)),
    ("permute_dup", lambda m, x: x.permute(0, 0)),
    ("permute_range", lambda m, x: x.permute(0, 2)),
    ("movedim_len", lambda m, x: x.movedim((0, 1), (0,))),
    ("expand_few", lambda m, x: x.expand(2)),
    ("expand_mismatch", lambda m, x: x.expand(4, 4)),
    ("expand_leading_neg", lambda m, x: x.expand(-1, 3, 4)),
    ("broadcast_to", lambda m, x: x.broadcast_to((4, 3))),
    ("broadcast_tensors", lambda m, x: m.broadcast_tensors(x, m.ones(4, 3))),
    ("broadcast_shapes", lambda m, x: m.broadcast_shapes((2, 3), (4, 3))),
    ("repeat_few", lambda m, x: x.repeat(2)),
    ("repeat_interleave_neg", lambda m, x: x.repeat_interleave(-1)),
    ("repeat_interleave_len", lambda m, x: x.repeat_interleave(m.tensor([1, 2]), dim=0)),
    ("cat_sizes", lambda m, x: m.cat([x, m.ones(3, 3)])),
    ("cat_sizes_dim1", lambda m, x: m.cat([m.ones(2, 2), m.ones(3, 2)], 1)),
    ("cat_ndim", lambda m, x: m.cat([x, m.ones(4, 4, 1)])),
    ("cat_empty", lambda m, x: m.cat([])),
    ("cat_dim", lambda m, x: m.cat([x, x], 2)),
    ("cat_scalar", lambda m, x: m.cat([m.tensor(1.0), m.tensor(2.0)])),
    ("stack_sizes", lambda m, x: m.stack([x, m.ones(3, 3)])),
    ("stack_empty", lambda m, x: m.stack([])),
    ("stack_dim", lambda m, x: m.stack([x, x], 3)),
    ("hstack_empty", lambda m, x: m.hstack([])),
    ("split_zero", lambda m, x: x.split(0)),
    ("split_sizes_sum", lambda m, x: x.split([1, 1])),
    ("chunk_zero", lambda m, x: x.chunk(0)),
    ("tensor_split_zero", lambda m, x: x.tensor_split(0)),
    ("unbind_dim", lambda m, x: x.unbind(2)),
    ("narrow_long", lambda m, x: x.narrow(0, 2, 2)),
    ("narrow_start", lambda m, x: x.narrow(0, -4, 1)),
    ("flip_dim", lambda m, x: x.flip(2)),
    ("flip_dup", lambda m, x: x.flip(0, 0)),
    ("fliplr_1d", lambda m, x: m.ones(3).fliplr()),
    ("flipud_0d", lambda m, x: m.tensor(1.0).flipud()),
    ("roll_dim", lambda m, x: x.roll(1, 2)),
    ("roll_align", lambda m, x: x.roll((1, 2), 0)),
    ("rot90_one_dim", lambda m, x: x.rot90(1, [0])),
    ("rot90_same", lambda m, x: x.rot90(1, [0, 0])),
    ("rot90_range", lambda m, x: x.rot90(1, [0, 2])),
    ("rot90_1d", lambda m, x: m.ones(3).rot90()),
    ("diagonal_same", lambda m, x: x.diagonal(0, 0, 0)),
    ("diagonal_range", lambda m, x: x.diagonal(0, 0, 2)),
    ("trace_3d", lambda m, x: m.ones(2, 2, 2).trace()),
    ("tril_1d", lambda m, x: m.ones(3).tril()),
    ("triu_1d", lambda m, x: m.ones(3).triu()),
    ("diag_3d", lambda m, x: m.ones(2, 2, 2).diag()),
    ("diag_embed_same", lambda m, x: m.diag_embed(m.ones(3), 0, 0, 0)),
    ("gather_bounds", lambda m, x: x.gather(1, m.tensor([[5]]))),
    ("gather_negative", lambda m, x: x.gather(1, m.tensor([[-1]]))),
    ("gather_dtype", lambda m, x: x.gather(1, m.tensor([[0.0]]))),
    ("gather_ndim", lambda m, x: x.gather(1, m.tensor([0]))),
    ("gather_size", lambda m, x: x.gather(1, m.zeros(4, 1, dtype=m.int64))),
    ("scatter_bounds", lambda m, x: x.scatter(1, m.tensor([[5]]), x)),
    ("scatter_size", lambda m, x: x.scatter(1, m.zeros(4, 1, dtype=m.int64), x)),
    ("scatter_src_size", lambda m, x: x.scatter(1, m.zeros(3, 2, dtype=m.int64), m.ones(3, 1))),
    ("scatter_ndim", lambda m, x: x.scatter(1, m.zeros(3, dtype=m.int64), x)),
    (
        "scatter_dtype",
        lambda m, x: x.scatter(1, m.zeros(3, 1, dtype=m.int64), m.ones(3, 4, dtype=m.float64)),
    ),
    ("scatter_index_dtype", lambda m, x: x.scatter(1, m.zeros(3, 1), x)),
    ("scatter_reduce_arg", lambda m, x: x.scatter(1, m.tensor([[0]]), 1.0, reduce="mean")),
    ("scatter_add_negative", lambda m, x: x.scatter_add(1, m.tensor([[-1]]), x)),
    ("index_select_bounds", lambda m, x: x.index_select(0, m.tensor([3]))),
    ("index_select_negative", lambda m, x: x.index_select(0, m.tensor([-1]))),
    ("index_select_vector", lambda m, x: x.index_select(0, m.tensor([[0]]))),
    ("index_select_dtype", lambda m, x: x.index_select(0, m.tensor([0.0]))),
    ("index_add_bounds", lambda m, x: x.index_add(0, m.tensor([3]), m.ones(1, 4))),
    ("index_add_negative", lambda m, x: x.index_add(0, m.tensor([-1]), m.ones(1, 4))),
    ("index_add_count", lambda m, x: x.index_add(0, m.tensor([0, 2, 1]), m.ones(2, 4))),
    ("index_add_dtype", lambda m, x: x.index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64))),
    ("index_copy_bounds", lambda m, x: x.index_copy(0, m.tensor([5]), m.ones(1, 4))),
    ("index_copy_count", lambda m, x: x.index_copy(0, m.tensor([0, 1]), m.ones(3, 4))),
    ("index_fill_bounds", lambda m, x: x.index_fill(0, m.tensor([-4]), 1.0)),
    ("index_fill_value", lambda m, x: x.index_fill(0, m.tensor([0]), m.tensor([1.0]))),
    ("index_put_bounds", lambda m, x: x.index_put((m.tensor([5]),), m.tensor(1.0))),
    ("index_put_shape", lambda m, x: x.index_put((m.tensor([0, 2, 1]),), m.ones(3))),
    ("index_put_dtype", lambda m, x: x.index_put((m.tensor([0]),), m.ones(4, dtype=m.float64))),
    ("masked_fill_mask", lambda m, x: x.masked_fill(m.ones(3, 4), 1.0)),
    ("masked_fill_value", lambda m, x: x.masked_fill(mask(m, (3, 4)), m.tensor([1.0, 2.0]))),
    ("masked_fill_shape", lambda m, x: x.masked_fill(m.ones(5, dtype=m.bool), 1.0)),
    ("masked_select_mask", lambda m, x: x.masked_select(m.ones(3, 4))),
    ("masked_scatter_count", lambda m, x: x.masked_scatter(m.ones(3, 4, dtype=m.bool), m.ones(3))),
    ("masked_scatter_mask", lambda m, x: x.masked_scatter(m.ones(3, 4), x)),
    (
        "masked_scatter_dtype",
        lambda m, x: x.masked_scatter(mask(m, (3, 4)), m.ones(12, dtype=m.float64)),
    ),
    ("take_bounds", lambda m, x: x.take(m.tensor([12]))),
    ("take_negative", lambda m, x: x.take(m.tensor([-13]))),
    ("fill_value_dims", lambda m, x: x.fill_(m.tensor([1.0, 2.0]))),
    ("copy_shape", lambda m, x: x.copy_(m.ones(3))),
    ("view_dtype_divisible", lambda m, x: m.ones(3).view(m.float64)),
    ("view_dtype_0d", lambda m, x: m.tensor(1.0).view(m.int8)),
]


@pytest.mark.parametrize("name,f", ERRORS, ids=[e[0] for e in ERRORS])
def test_error(name, f):
    t_x, s_x = torch.ones(3, 4), tensorish.ones(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            f(torch, t_x)
        before = s_x.tolist()
        with pytest.raises(Exception) as s_err:
            f(tensorish, s_x)
    assert type(s_err.value) is type(t_err.value)
    expected = str(t_err.value).split("\n")[0].replace("torch.", "tensorish.")
    assert str(s_err.value) == expected
    assert s_x.tolist() == before

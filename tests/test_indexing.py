"""``t[key]`` and ``t[key] = v`` against the torch oracle: values, dtypes, shapes, grad_fn names,
gradients (repeated indices accumulate) and PyTorch's index errors."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same

import tensorish

RNG = np.random.default_rng(0)
DATA = RNG.uniform(-2, 2, (3, 4, 5)).astype(np.float32)
MASK_345 = DATA > 0
MASK_34 = RNG.uniform(size=(3, 4)) > 0.5
MASK_5 = np.array([True, False, True, True, False])
MASK_3 = np.array([False, True, True])


def T(m, data):
    return m.tensor(data)


# Each key is built per library: f(module) -> key.
GET = [
    ("int", lambda m: 0),
    ("neg_int", lambda m: -1),
    ("slice_start", lambda m: slice(1, None)),
    ("slice_stop", lambda m: slice(None, 2)),
    ("slice_step", lambda m: slice(None, None, 2)),
    ("slice_start_step", lambda m: slice(1, None, 2)),
    ("slice_neg_start", lambda m: slice(-2, None)),
    ("slice_neg_stop", lambda m: slice(None, -1)),
    ("slice_past_end", lambda m: slice(0, 10)),
    ("slice_empty", lambda m: slice(5, None)),
    ("slice_reversed_bounds", lambda m: slice(2, 1)),
    ("full_slice", lambda m: slice(None)),
    ("none", lambda m: None),
    ("ellipsis", lambda m: ...),
    ("ellipsis_int", lambda m: (..., 0)),
    ("ellipsis_none", lambda m: (..., None)),
    ("int_ellipsis_int", lambda m: (0, ..., 1)),
    ("none_int_none", lambda m: (None, 1, None)),
    ("slices", lambda m: (slice(None), slice(1, 3), slice(None, None, 2))),
    ("full_slices_tuple", lambda m: (slice(None), slice(None))),
    ("int_slice_negint", lambda m: (1, slice(None), -1)),
    ("int_int_int", lambda m: (2, 3, 4)),
    ("list", lambda m: [0, 2]),
    ("list_repeated", lambda m: [2, 2, 0, 2]),
    ("list_negative", lambda m: [-1, 0]),
    ("list_2d", lambda m: T(m, [[0, 1], [2, 2]])),
    ("tensor", lambda m: T(m, [0, 2])),
    ("tensor_0d", lambda m: T(m, 1)),
    ("tensor_int32", lambda m: m.tensor([1, 1], dtype=m.int32)),
    ("numpy_array", lambda m: np.array([2, 0])),
    ("broadcast_arrays", lambda m: (T(m, [[1], [2]]), T(m, [0, 3, 3]))),
    ("slice_list", lambda m: (slice(None), [1, 3])),
    ("slice_slice_list", lambda m: (slice(None), slice(None), [4, 0, 4])),
    ("split_advanced", lambda m: ([0, 1], slice(None), [1, 2])),
    ("adjacent_advanced", lambda m: ([0, 1], [1, 2])),
    ("slice_two_lists", lambda m: (slice(None), [0, 1], [1, 2])),
    ("int_slice_list", lambda m: (0, slice(None), [1, 2])),
    ("list_slice_int", lambda m: ([1], slice(None), 0)),
    ("none_list_none", lambda m: (None, [0, 1], None)),
    ("slice_list_none", lambda m: (slice(1, None), [0, 3], None)),
    ("ellipsis_list_slice", lambda m: (..., [1, 2], slice(None))),
    ("mask_full", lambda m: T(m, MASK_345)),
    ("mask_2d", lambda m: T(m, MASK_34)),
    ("mask_last", lambda m: (..., T(m, MASK_5))),
    ("mask_middle", lambda m: (slice(None), T(m, np.array([True, False, False, True])))),
    ("mask_then_slice", lambda m: (T(m, MASK_3), slice(1, None))),
    ("mask_and_list", lambda m: (T(m, MASK_3), slice(None), [0, 4])),
    ("bool_list", lambda m: [True, False, True]),
    ("true", lambda m: True),
    ("false", lambda m: False),
    ("tensor_true", lambda m: T(m, True)),
    ("empty_list", lambda m: T(m, np.zeros(0, np.int64))),
]


def _run_get(m, make):
    x = m.tensor(DATA, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x[make(m)]
    up = np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)).astype(np.float32)
    y.backward(m.tensor(up))
    return y, x.grad


@pytest.mark.parametrize("name,make", GET, ids=[g[0] for g in GET])
def test_getitem(name, make):
    ty, tg = _run_get(torch, make)
    sy, sg = _run_get(tensorish, make)
    assert_same(ty, sy, "forward")
    assert type(sy.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert_same(tg, sg, "backward")


def test_getitem_int64_values():
    data = np.arange(60).reshape(3, 4, 5)
    for name, make in GET[::4]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same(
                torch.tensor(data)[make(torch)], tensorish.tensor(data)[make(tensorish)], name
            )


# (name, key builder, value builder(m) or a Python scalar)
SET = [
    ("int_scalar", lambda m: 0, 2.5),
    ("int_tensor", lambda m: 1, lambda m: m.ones(4, 5)),
    ("int_broadcast", lambda m: -1, lambda m: m.arange(5.0)),
    ("int_leading_ones", lambda m: 0, lambda m: m.ones(1, 1, 4, 5)),
    ("slice", lambda m: slice(1, None), lambda m: m.arange(5.0)),
    ("slice_step", lambda m: (slice(None), slice(None, None, 2)), lambda m: m.ones(3, 1, 5)),
    ("ellipsis_int", lambda m: (..., 2), 7),
    ("none", lambda m: None, lambda m: m.ones(5)),
    ("full_slice_scalar", lambda m: slice(None), -1.0),
    ("full_slice_tensor", lambda m: (slice(None), slice(None)), lambda m: m.ones(5)),
    ("ellipsis_tensor", lambda m: ..., lambda m: m.tensor(3.0)),
    ("list", lambda m: [0, 2], lambda m: m.ones(4, 5)),
    ("list_scalar", lambda m: [2, 0], 4.0),
    ("list_repeated_acc_shape", lambda m: [1, 1], lambda m: m.ones(2, 1, 5)),
    ("tensor_index", lambda m: m.tensor([0, 1]), lambda m: m.arange(5.0)),
    ("two_lists", lambda m: ([0, 1], [1, 2]), lambda m: m.ones(2, 5)),
    ("split_lists", lambda m: ([0, 1], slice(None), [1, 2]), lambda m: m.ones(2, 4)),
    ("int_list", lambda m: (0, [1, 3]), lambda m: m.ones(5)),
    ("int_slice_list", lambda m: (2, slice(None), [0, 4]), lambda m: m.ones(4, 2)),
    ("slice_list", lambda m: (slice(1, None), [0, 3]), 1.5),
    ("mask", lambda m: m.tensor(MASK_345), 0.0),
    ("mask_values", lambda m: m.tensor(MASK_345), lambda m: m.arange(float(MASK_345.sum()))),
    ("mask_2d_rows", lambda m: m.tensor(MASK_34), lambda m: m.ones(5)),
    ("true", lambda m: True, lambda m: m.ones(3, 4, 5)),
    ("int_dtype_value", lambda m: 0, lambda m: m.ones(4, 5, dtype=m.int64)),
    ("double_value", lambda m: (1, 1), lambda m: m.ones(5, dtype=m.float64)),
]


def _run_set(m, key, value):
    x = m.tensor(DATA, requires_grad=True)
    z = x * 2
    v = value
    if callable(value):
        v = value(m)
        if v.dtype.is_floating_point:
            v.requires_grad_()
    z[key(m)] = v
    up = np.linspace(0.5, 1.5, z.numel()).reshape(tuple(z.shape)).astype(np.float32)
    z.backward(m.tensor(up))
    vg = v.grad if isinstance(v, m.Tensor) and v.requires_grad else None
    return z, x.grad, vg


@pytest.mark.parametrize("name,key,value", SET, ids=[s[0] for s in SET])
def test_setitem(name, key, value):
    tz, tg, tv = _run_set(torch, key, value)
    sz, sg, sv = _run_set(tensorish, key, value)
    assert_same(tz, sz, "value")
    assert type(sz.grad_fn).__name__ == type(tz.grad_fn).__name__
    assert_same(tg, sg, "base grad")
    if tv is None:
        assert sv is None
    else:
        assert_same(tv, sv, "value grad")


def test_setitem_no_grad_and_plain():
    for m in (torch, tensorish):
        x = m.tensor(DATA, requires_grad=True)
        with m.no_grad():
            x[0, 0] = 1.0
        assert x.is_leaf and x.requires_grad
    t, s = torch.tensor(DATA), tensorish.tensor(DATA)
    for key, v in ((0, 1), ([1, 2], -1.5), ((slice(None), 1), 9)):
        t[key] = v
        s[key] = v
    assert_same(t, s, "plain writes")
    assert s.grad_fn is None and not s.requires_grad


def test_setitem_value_makes_graph():
    outs = []
    for m in (torch, tensorish):
        x = m.zeros(3)
        v = m.tensor(2.0, requires_grad=True)
        x[1] = v
        assert x.requires_grad and not x.is_leaf
        (x * m.tensor([1.0, 5.0, 1.0])).sum().backward()
        outs.append(v.grad)
    assert_same(outs[0], outs[1], "value grad")


def test_setitem_leaf_errors():
    for key in (0, slice(1, None), (0, [1, 2]), [0], ([0, 1], [1, 2])):
        msgs = []
        for m in (torch, tensorish):
            x = m.ones(3, 4, requires_grad=True)
            with pytest.raises(RuntimeError) as e:
                x[key] = 1.0
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1], key


def test_iteration():
    outs = []
    for m in (torch, tensorish):
        x = m.tensor(DATA, requires_grad=True)
        rows = list(x)
        assert len(rows) == 3 and type(rows[0].grad_fn).__name__ == "UnbindBackward0"
        (rows[0] * 2 + rows[2]).sum().backward()
        outs.append(x.grad)
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            iter(m.tensor(1.0))
    assert_same(outs[0], outs[1], "grad")


@pytest.mark.parametrize("value", [[1.0, 2.0], np.float32(3), np.ones(5), "a"])
def test_setitem_value_type_error(value):
    with pytest.raises(TypeError) as t_err:
        torch.zeros(2, 5)[0] = value
    with pytest.raises(TypeError) as s_err:
        tensorish.zeros(2, 5)[0] = value
    assert str(s_err.value) == str(t_err.value).replace("torch.", "tensorish.")


def test_augmented_assignment():
    outs = []
    for m in (torch, tensorish):
        x = m.tensor(DATA, requires_grad=True)
        y = x * 1
        y[0] += 1
        y[:, [0, 1]] *= 2
        y[1:, 2] -= y[0, 0]
        y.backward(m.tensor(np.linspace(0.5, 1.5, 60).reshape(3, 4, 5).astype(np.float32)))
        outs.append((y, x.grad, type(y.grad_fn).__name__))
    assert_same(outs[0][0], outs[1][0], "value")
    assert_same(outs[0][1], outs[1][1], "grad")
    assert outs[0][2] == outs[1][2]


def test_tensor_as_slice_bound():
    for m in (torch, tensorish):
        x = m.arange(5.0)
        assert x[: m.tensor(2)].tolist() == [0.0, 1.0] and x[m.tensor(3) :].tolist() == [3.0, 4.0]
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            x[: m.tensor(2.0)]


def test_view_is_a_copy():
    # Deviation: JAX arrays cannot alias, so a write into a view does not reach its base.
    x = tensorish.zeros(2, 3)
    v = x[0]
    v[1] = 5.0
    assert x.tolist() == [[0.0] * 3] * 2 and v.tolist() == [0.0, 5.0, 0.0]


def test_saved_tensor_version_check():
    msgs = []
    for m in (torch, tensorish):
        a = m.ones(3, requires_grad=True)
        b = a * 1
        c = b * b
        b[0] = 2.0
        with pytest.raises(RuntimeError) as e:
            c.sum().backward()
        msgs.append(str(e.value).split(", which is output")[0])
    assert msgs[0].replace("torch.", "tensorish.").split("[")[0] == msgs[1].split("[")[0]


ERRORS = [
    ("int_bounds", lambda m: lambda x: x[3]),
    ("neg_int_bounds", lambda m: lambda x: x[-4]),
    ("second_dim_bounds", lambda m: lambda x: x[0, 4]),
    ("third_dim_bounds", lambda m: lambda x: x[..., 5]),
    ("too_many", lambda m: lambda x: x[0, 0, 0, 0]),
    ("too_many_with_none", lambda m: lambda x: x[None, 0, 0, 0, 0]),
    ("list_bounds", lambda m: lambda x: x[[5]]),
    ("list_negative_bounds", lambda m: lambda x: x[[-4]]),
    ("tensor_bounds", lambda m: lambda x: x[m.tensor([0, 1, 3])]),
    ("tensor_0d_bounds", lambda m: lambda x: x[m.tensor(5)]),
    ("slice_list_bounds", lambda m: lambda x: x[:, [4]]),
    ("second_list_bounds", lambda m: lambda x: x[[0], :, [9]]),
    ("adjacent_list_bounds", lambda m: lambda x: x[[0], [5]]),
    ("none_list_bounds", lambda m: lambda x: x[None, :, [9]]),
    ("mask_shape", lambda m: lambda x: x[m.ones(2, dtype=m.bool)]),
    ("mask_shape_dim1", lambda m: lambda x: x[m.ones(3, 3, dtype=m.bool)]),
    ("float_tensor", lambda m: lambda x: x[m.tensor([0.0])]),
    ("float_key", lambda m: lambda x: x[1.5]),
    ("negative_step", lambda m: lambda x: x[::-1]),
    ("zero_step", lambda m: lambda x: x[::0]),
    ("broadcast_indices", lambda m: lambda x: x[[0, 1], [0, 1, 2]]),
    ("zero_dim", lambda m: lambda x: m.tensor(1.0)[0]),
    ("set_bounds", lambda m: lambda x: x.__setitem__(5, 1.0)),
    ("set_shape_basic", lambda m: lambda x: x.__setitem__(0, m.ones(3))),
    ("set_shape_slice", lambda m: lambda x: x.__setitem__(slice(0, 2), m.ones(3, 4, 5))),
    ("set_shape_list", lambda m: lambda x: x.__setitem__([0, 1], m.ones(3))),
    ("set_shape_int_list", lambda m: lambda x: x.__setitem__((0, [1, 2]), m.ones(3))),
    ("set_shape_mask", lambda m: lambda x: x.__setitem__(m.tensor(MASK_345), m.ones(3))),
    ("set_list_bounds", lambda m: lambda x: x.__setitem__((slice(None), [7]), 0.0)),
]


@pytest.mark.parametrize("name,f", ERRORS, ids=[e[0] for e in ERRORS])
def test_index_error(name, f):
    tx, sx = torch.tensor(DATA), tensorish.tensor(DATA)
    with pytest.raises(Exception) as t_err:
        f(torch)(tx)
    with pytest.raises(Exception) as s_err:
        f(tensorish)(sx)
    assert type(s_err.value) is type(t_err.value)
    assert str(s_err.value) == str(t_err.value).split(" (Triggered")[0]
    np.testing.assert_array_equal(sx.numpy(), DATA)

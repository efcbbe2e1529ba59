"""More nn layers against torch: lazy layers, the Transformer decoder, small modules."""

import copy
import pickle

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error

import tensorish

RNG = np.random.default_rng(0)


def _copy_weights(tm, sm):
    state = {k: tensorish.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    return sm.load_state_dict(state)


def _pair(shape, requires_grad=False):
    a = RNG.normal(size=shape).astype(np.float32)
    return torch.tensor(a, requires_grad=requires_grad), tensorish.tensor(
        a, requires_grad=requires_grad
    )


# -- lazy layers ---------------------------------------------------------------------------

LAZY = [
    ("LazyLinear", (5,), {}, (2, 3)),
    ("LazyLinear", (5,), {"bias": False}, (3,)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 6)),
    ("LazyConv2d", (4, 3), {"stride": 2, "bias": False}, (1, 2, 5, 5)),
    ("LazyConv3d", (2, 1), {}, (1, 2, 2, 2, 2)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (1, 2, 4)),
    ("LazyConvTranspose2d", (2, 3), {"groups": 2}, (1, 4, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 1, 2, 2)),
]


@pytest.mark.parametrize(
    "name,args,kw,shape", LAZY, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAZY)]
)
def test_lazy_layers(name, args, kw, shape):
    tm, sm = getattr(torch.nn, name)(*args, **kw), getattr(tensorish.nn, name)(*args, **kw)
    assert repr(sm) == repr(tm)
    assert sm.has_uninitialized_params() == tm.has_uninitialized_params()
    assert {k: repr(v) for k, v in sm.state_dict().items()} == {
        k: repr(v) for k, v in tm.state_dict().items()
    }
    x_t, x_s = _pair(shape)
    become = type(tm).cls_to_become.__name__
    tm(x_t)
    sm(x_s)
    assert type(sm).__name__ == type(tm).__name__ == become
    assert repr(sm) == repr(tm)
    assert not sm.__dict__.get("_initialize_hook") and not sm._forward_pre_hooks
    assert [(k, tuple(v.shape)) for k, v in sm.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()
    ]
    assert all(type(p) is tensorish.nn.Parameter for p in sm.parameters())
    _copy_weights(tm, sm)
    assert_same(tm(x_t), sm(x_s), "forward after init", atol=1e-5)


def test_lazy_linear_init_statistics_and_dtype():
    tensorish.manual_seed(0)
    fc = tensorish.nn.LazyLinear(64)
    fc(tensorish.ones(2, 100))
    bound = 1 / 10
    w = fc.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / 3**0.5) < 0.005
    fc64 = tensorish.nn.LazyLinear(3, dtype=tensorish.float64)
    assert fc64.weight.dtype is tensorish.float64
    fc32 = tensorish.nn.LazyLinear(3).double()
    fc32(tensorish.ones(1, 2, dtype=tensorish.float64))
    assert fc32.weight.dtype is tensorish.float64


def test_lazy_state_dict_round_trips():
    tm, sm = torch.nn.LazyLinear(4), tensorish.nn.LazyLinear(4)
    tm(torch.ones(1, 3))
    sm2 = tensorish.nn.LazyLinear(4)
    assert repr(sm2.load_state_dict(sm.state_dict())) == "<All keys matched successfully>"
    assert sm2.has_uninitialized_params()
    assert repr(_copy_weights(tm, sm)) == "<All keys matched successfully>"
    assert type(sm).__name__ == "LazyLinear" and not sm.has_uninitialized_params()
    assert_same(tm.weight, sm.weight, "loaded")
    x_t, x_s = _pair((2, 3))
    assert_same(tm(x_t), sm(x_s), "forward")
    assert type(sm).__name__ == "Linear"


def test_uninitialized_parameter_guards():
    def use(m, fn):
        return fn(m.nn.LazyLinear(3).weight)

    assert_same_error(lambda m: use(m, lambda w: w.shape))
    with pytest.raises(
        ValueError, match="Attempted to use an uninitialized parameter in <method 'sum'"
    ):
        use(tensorish, lambda w: w.sum())
    with pytest.raises(ValueError, match="uninitialized parameter in <method 'requires_grad_'"):
        tensorish.nn.LazyLinear(3).requires_grad_(False)
    w = tensorish.nn.LazyLinear(3).weight
    assert (
        repr(copy.deepcopy(w)) == repr(pickle.loads(pickle.dumps(w))) == "<UninitializedParameter>"
    )
    assert w.size() == (0,) and w.ndim == 1 and w.requires_grad and w.is_leaf
    assert repr(tensorish.nn.UninitializedBuffer()) == repr(torch.nn.UninitializedBuffer())
    assert tensorish.nn.UninitializedParameter.cls_to_become is tensorish.nn.Parameter
    assert_same_error(lambda m: m.nn.LazyConv1d(4, 3)(m.ones(3)))
    assert_same_error(lambda m: m.nn.LazyConv1d(4, 3, groups=2)(m.ones(1, 3, 5)))

"""The nn layers of issue 19 against the torch oracle: modules (repr, forward, gradients,
state), the interpolate modes, errors with torch's messages, and the random layers' statistics.
The functionals' one-call oracle checks are in the op table (tests/test_ops_table.py)."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, to_numpy

import tensorish


def _twin(make):
    """``make(torch.nn)`` and ``make(tensorish.nn)``, tensorish's state copied from torch's."""
    t, s = make(torch.nn), make(tensorish.nn)
    state = {k: tensorish.tensor(v.numpy()) for k, v in t.state_dict().items()}
    s.load_state_dict(state)
    return t, s


def _run(t_mod, s_mod, shapes, seed=0, low=-2.0, high=2.0, ints=None):
    """Forward both modules on the same random inputs, backward through a non-uniform
    gradient, and compare outputs, input gradients and parameter gradients."""
    rng = np.random.default_rng(seed)
    data = [rng.uniform(low, high, size=s).astype("float32") for s in shapes]
    ts = [torch.tensor(d, requires_grad=True) for d in data]
    ss = [tensorish.tensor(d, requires_grad=True) for d in data]
    out_t, out_s = t_mod(*ts), s_mod(*ss)
    assert_same(out_t, out_s, "forward", rtol=1e-4, atol=1e-5)
    first_t = out_t[0] if isinstance(out_t, tuple) else out_t
    first_s = out_s[0] if isinstance(out_s, tuple) else out_s
    assert type(first_s.grad_fn).__name__ == type(first_t.grad_fn).__name__
    up = np.linspace(0.5, 1.5, first_t.numel()).reshape(tuple(first_t.shape)).astype("float32")
    (first_t * torch.tensor(up)).sum().backward()
    (first_s * tensorish.tensor(up)).sum().backward()
    for a, b in zip(ts, ss):
        assert_same(a.grad, b.grad, "input grad", rtol=1e-4, atol=1e-5)
    for (name, a), b in zip(t_mod.named_parameters(), s_mod.parameters()):
        assert_same(a.grad, b.grad, f"{name} grad", rtol=1e-4, atol=1e-5)
    return out_t, out_s


# -- reprs --------------------------------------------------------------------------------

REPRS = [
    lambda nn: nn.InstanceNorm1d(3),
    lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    lambda nn: nn.InstanceNorm3d(4, eps=1e-3, momentum=None),
    lambda nn: nn.LocalResponseNorm(2),
    lambda nn: nn.CrossMapLRN2d(3, k=2),
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=3, mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=(2, 3), mode="bicubic", align_corners=True),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
    lambda nn: nn.UpsamplingBilinear2d(size=(3, 4)),
    lambda nn: nn.ZeroPad1d(2),
    lambda nn: nn.ZeroPad2d(1),
    lambda nn: nn.ZeroPad3d((1, 2, 3, 4, 5, 6)),
    lambda nn: nn.ConstantPad1d((1, 2), 3.5),
    lambda nn: nn.ConstantPad2d(1, -1.0),
    lambda nn: nn.ConstantPad3d(2, 0.0),
    lambda nn: nn.ReflectionPad1d(2),
    lambda nn: nn.ReflectionPad2d((1, 0, 2, 1)),
    lambda nn: nn.ReflectionPad3d(1),
    lambda nn: nn.ReplicationPad1d(2),
    lambda nn: nn.ReplicationPad2d(1),
    lambda nn: nn.ReplicationPad3d(1),
    lambda nn: nn.CircularPad1d(1),
    lambda nn: nn.CircularPad2d((1, 2, 0, 1)),
    lambda nn: nn.CircularPad3d(1),
    lambda nn: nn.PixelShuffle(2),
    lambda nn: nn.PixelUnshuffle(3),
    lambda nn: nn.ChannelShuffle(2),
    lambda nn: nn.AdaptiveMaxPool1d(3, True),
    lambda nn: nn.AdaptiveMaxPool2d((3, None)),
    lambda nn: nn.AdaptiveMaxPool3d(2),
    lambda nn: nn.MaxUnpool1d(2, 1, 1),
    lambda nn: nn.MaxUnpool2d(2),
    lambda nn: nn.MaxUnpool3d(3, 2),
    lambda nn: nn.LPPool1d(2, 3, ceil_mode=True),
    lambda nn: nn.LPPool2d(1.5, (2, 3), 1),
    lambda nn: nn.LPPool3d(2, 3),
    lambda nn: nn.Fold((4, 5), 2),
    lambda nn: nn.Unfold(2, padding=1),
    lambda nn: nn.ConvTranspose3d(2, 3, 2, stride=2, output_padding=1, bias=False),
    lambda nn: nn.FractionalMaxPool2d(2, output_size=3),
    lambda nn: nn.FractionalMaxPool3d(2, output_ratio=0.5),
    lambda nn: nn.EmbeddingBag(10, 3),
    lambda nn: nn.EmbeddingBag(10, 3, mode="max", padding_idx=0, max_norm=1.0),
    lambda nn: nn.AlphaDropout(0.2),
    lambda nn: nn.FeatureAlphaDropout(),
    lambda nn: nn.Dropout3d(),
    lambda nn: nn.Hardshrink(),
    lambda nn: nn.Softshrink(0.3),
    lambda nn: nn.RReLU(),
    lambda nn: nn.RReLU(0.1, 0.3, True),
    lambda nn: nn.GaussianNLLLoss(),
    lambda nn: nn.PoissonNLLLoss(),
    lambda nn: nn.HingeEmbeddingLoss(),
    lambda nn: nn.MultiMarginLoss(),
    lambda nn: nn.MultiLabelMarginLoss(),
    lambda nn: nn.MultiLabelSoftMarginLoss(),
    lambda nn: nn.SoftMarginLoss(),
    lambda nn: nn.TripletMarginLoss(),
    lambda nn: nn.TripletMarginWithDistanceLoss(),
    lambda nn: nn.CTCLoss(),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr(make):
    assert repr(make(tensorish.nn)) == repr(make(torch.nn))


# -- modules against torch ----------------------------------------------------------------

FORWARDS = [
    (lambda nn: nn.InstanceNorm1d(3), [(2, 3, 5)]),
    (lambda nn: nn.InstanceNorm2d(3, affine=True), [(2, 3, 4, 5)]),
    (lambda nn: nn.InstanceNorm3d(2, affine=True), [(1, 2, 3, 3, 2)]),
    (lambda nn: nn.InstanceNorm2d(3, affine=True), [(3, 4, 5)]),
    (lambda nn: nn.LocalResponseNorm(3, 0.2, 0.5, 2.0), [(2, 5, 3, 2, 2)]),
    (lambda nn: nn.CrossMapLRN2d(3, 0.5, 0.75, 1.0), [(2, 6, 2, 3)]),
    (lambda nn: nn.CrossMapLRN2d(4, 0.3, 0.5, 2.0), [(1, 7, 2, 2)]),
    (lambda nn: nn.Upsample(scale_factor=2), [(1, 2, 3)]),
    (lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear"), [(1, 2, 3, 4)]),
    (lambda nn: nn.Upsample(size=(4, 5, 3), mode="trilinear"), [(1, 1, 2, 3, 2)]),
    (lambda nn: nn.UpsamplingNearest2d(size=(5, 7)), [(1, 2, 3, 4)]),
    (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), [(1, 2, 3, 4)]),
    (lambda nn: nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), [(1, 2, 2, 3)]),
    (lambda nn: nn.ConstantPad2d((1, 2, 0, 1), 2.5), [(2, 3, 4)]),
    (lambda nn: nn.ReflectionPad1d((2, 1)), [(2, 3, 4)]),
    (lambda nn: nn.ReflectionPad2d(1), [(1, 2, 3, 4)]),
    (lambda nn: nn.ReflectionPad3d(1), [(1, 2, 2, 3, 4)]),
    (lambda nn: nn.ReplicationPad1d(3), [(3, 2)]),
    (lambda nn: nn.ReplicationPad2d((1, 2, 3, 0)), [(1, 2, 3, 4)]),
    (lambda nn: nn.ReplicationPad3d(1), [(2, 2, 3, 4)]),
    (lambda nn: nn.CircularPad1d(2), [(2, 3, 4)]),
    (lambda nn: nn.CircularPad2d((1, 2, 0, 1)), [(1, 2, 3, 4)]),
    (lambda nn: nn.CircularPad3d(1), [(1, 1, 2, 3, 4)]),
    (lambda nn: nn.PixelShuffle(2), [(3, 8, 2, 3)]),
    (lambda nn: nn.PixelUnshuffle(2), [(1, 2, 4, 6)]),
    (lambda nn: nn.ChannelShuffle(2), [(2, 4, 3, 2)]),
    (lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True), [(2, 3, 8)]),
    (lambda nn: nn.AdaptiveMaxPool2d((2, None)), [(3, 5, 4)]),
    (lambda nn: nn.AdaptiveMaxPool3d((1, 2, 3), return_indices=True), [(1, 2, 3, 4, 5)]),
    (lambda nn: nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True), [(1, 2, 6, 7)]),
    (lambda nn: nn.MaxPool1d(2, dilation=2, return_indices=True), [(2, 7)]),
    (lambda nn: nn.LPPool1d(2, 3, 2), [(2, 3, 7)]),
    (lambda nn: nn.LPPool2d(3, 2, ceil_mode=True), [(1, 2, 5, 5)]),
    (lambda nn: nn.Fold((4, 5), (2, 3), padding=1, stride=(1, 2)), [(2, 12, 15)]),
    (lambda nn: nn.Fold((3, 3), 2), [(4, 4)]),
    (lambda nn: nn.Unfold((2, 3), dilation=(1, 2), stride=2), [(1, 2, 5, 7)]),
    (lambda nn: nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=2, groups=2), [(1, 4, 2, 3, 2)]),
    (lambda nn: nn.Hardshrink(0.7), [(3, 4)]),
    (lambda nn: nn.Softshrink(0.7), [(3, 4)]),
    (lambda nn: nn.RReLU().eval(), [(3, 4)]),
]


@pytest.mark.parametrize("make,shapes", FORWARDS)
def test_module(make, shapes):
    t_mod, s_mod = _twin(make)
    _run(t_mod, s_mod, shapes, low=0.1 if "LPPool" in repr(t_mod) else -2.0)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_instance_norm_running_stats(momentum):
    t_mod, s_mod = _twin(
        lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=momentum)
    )
    for step in range(2):
        _run(t_mod, s_mod, [(2, 3, 4, 4)], seed=step)
        for name in ("running_mean", "running_var"):
            assert_same(getattr(t_mod, name), getattr(s_mod, name), name)
    t_mod.eval()
    s_mod.eval()
    _run(t_mod, s_mod, [(2, 3, 4, 4)], seed=5)


def test_instance_norm_eval_backward():
    """use_input_stats=False normalizes with the running stats (the table checks forward)."""
    t_mod, s_mod = _twin(lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True))
    rng = np.random.default_rng(1)
    stats = {"running_mean": rng.normal(size=3), "running_var": rng.uniform(0.5, 2, size=3)}
    for k, v in stats.items():
        getattr(t_mod, k).copy_(torch.tensor(v))
        getattr(s_mod, k).copy_(tensorish.tensor(v, dtype=tensorish.float32))
    t_mod.eval()
    s_mod.eval()
    _run(t_mod, s_mod, [(2, 3, 5)])


def test_instance_norm_warns_and_checks():
    x = np.ones((2, 3, 4, 4), "float32")
    for lib in (torch, tensorish):
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm2d(4)(lib.tensor(x))
    assert_same_error(lambda lib: lib.nn.InstanceNorm2d(4, affine=True)(lib.ones(2, 3, 4, 4)))
    assert_same_error(lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(3, 4)))
    assert_same_error(lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 1)))


@pytest.mark.parametrize("output_size", [None, (5, 7, 5), (1, 2, 6, 8, 6)])
def test_conv_transpose3d_output_size(output_size):
    t_mod, s_mod = _twin(lambda nn: nn.ConvTranspose3d(3, 2, 3, stride=2, padding=1))
    x = np.random.default_rng(0).normal(size=(1, 3, 3, 4, 3)).astype("float32")
    out_t = t_mod(torch.tensor(x), output_size=output_size)
    out_s = s_mod(tensorish.tensor(x), output_size=output_size)
    assert_same(out_t, out_s, "forward", rtol=1e-4, atol=1e-5)


def test_conv_transpose_output_size_error():
    def bad(lib):
        lib.manual_seed(0)
        lib.nn.ConvTranspose2d(1, 1, 3, stride=2)(lib.ones(1, 1, 3, 3), output_size=(9, 9))

    assert_same_error(bad)


def test_lazy_conv_transpose3d_and_instance_norm():
    m = tensorish.nn.LazyConvTranspose3d(4, 2)
    assert m(tensorish.ones(1, 2, 2, 2, 2)).shape == (1, 4, 3, 3, 3)
    assert type(m) is tensorish.nn.ConvTranspose3d and m.in_channels == 2
    lazy = tensorish.nn.LazyInstanceNorm2d()
    lazy(tensorish.ones(2, 3, 4, 4))
    assert type(lazy) is tensorish.nn.InstanceNorm2d
    assert lazy.weight.shape == (3,) and lazy.running_mean.shape == (3,)


def test_max_unpool_roundtrip():
    for nd, shape in ((2, (1, 2, 6, 4)),):
        outs = []
        for lib in (torch, tensorish):
            x = lib.tensor(np.random.default_rng(nd).normal(size=shape).astype("float32"))
            x.requires_grad_(True)
            pool = getattr(lib.nn, f"MaxPool{nd}d")(2, return_indices=True)
            out, idx = pool(x)
            un = getattr(lib.nn, f"MaxUnpool{nd}d")(2)(out, idx, output_size=x.shape)
            un.sum().backward()
            outs.append((un, idx, x.grad))
        assert_same(outs[0], outs[1], f"unpool{nd}d")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_module(mode):
    t_mod, s_mod = _twin(lambda nn: nn.EmbeddingBag(7, 3, mode=mode, padding_idx=2))
    idx = [1, 2, 4, 4, 6, 0, 2, 5]
    for offsets, last in (([0, 3, 3, 6], False), ([0, 2, 5, 8], True)):
        if last:
            t_mod.include_last_offset = s_mod.include_last_offset = True
        out_t = t_mod(torch.tensor(idx), torch.tensor(offsets))
        out_s = s_mod(tensorish.tensor(idx), tensorish.tensor(offsets))
        assert_same(out_t, out_s, "forward")
        assert type(out_s.grad_fn).__name__ == type(out_t.grad_fn).__name__
        up = np.arange(out_t.numel(), dtype="float32").reshape(tuple(out_t.shape))
        (out_t * torch.tensor(up)).sum().backward()
        (out_s * tensorish.tensor(up)).sum().backward()
        assert_same(t_mod.weight.grad, s_mod.weight.grad, "weight grad")
        t_mod.weight.grad = None
        s_mod.weight.grad = None


# -- interpolate --------------------------------------------------------------------------

_SIZES = {1: (1, 2, 5), 2: (1, 2, 4, 5), 3: (1, 1, 3, 4, 3)}
_INTERP = [
    (mode, nd, kw, ac)
    for mode, nds in (
        ("nearest", (1, 2, 3)),
        ("nearest-exact", (1, 2, 3)),
        ("area", (1, 2, 3)),
        ("linear", (1,)),
        ("bilinear", (2,)),
        ("bicubic", (2,)),
        ("trilinear", (3,)),
    )
    for nd in nds
    for kw in ({"scale_factor": 1.7}, {"size": 3})
    for ac in ((None,) if mode in ("nearest", "nearest-exact", "area") else (False, True))
]


@pytest.mark.parametrize("mode,nd,kwargs,align_corners", _INTERP)
def test_interpolate(mode, nd, kwargs, align_corners):
    def run(lib):
        x = lib.tensor(np.random.default_rng(nd).normal(size=_SIZES[nd]).astype("float32"))
        x.requires_grad_(True)
        y = lib.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)
        up = np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)).astype("float32")
        (y * lib.tensor(up)).sum().backward()
        return y, x.grad, type(y.grad_fn).__name__

    (yt, gt, nt), (ys, gs, ns) = run(torch), run(tensorish)
    assert_same((yt, gt), (ys, gs), mode, rtol=1e-4, atol=1e-5)
    assert nt == ns


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "kwargs", [{"size": (3, 11)}, {"scale_factor": 0.4, "align_corners": True}]
)
def test_interpolate_antialias(mode, kwargs):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).normal(size=(1, 2, 9, 8)).astype("float32"))
        x.requires_grad_(True)
        y = lib.nn.functional.interpolate(x, mode=mode, antialias=True, **kwargs)
        (y * y).sum().backward()
        return y, x.grad, type(y.grad_fn).__name__

    (yt, gt, nt), (ys, gs, ns) = run(torch), run(tensorish)
    assert_same((yt, gt), (ys, gs), mode, rtol=1e-4, atol=1e-5)
    assert nt == ns


def test_interpolate_recompute_scale_factor():
    def run(lib):
        x = lib.tensor(np.arange(10, dtype="float32").reshape(1, 1, 10))
        return lib.nn.functional.interpolate(
            x, scale_factor=0.35, mode="linear", recompute_scale_factor=True
        )

    assert_same(run(torch), run(tensorish), "recompute")


def test_upsample_functionals_warn():
    for name in ("upsample", "upsample_nearest", "upsample_bilinear"):
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            getattr(tensorish.nn.functional, name)(tensorish.ones(1, 1, 2, 2), scale_factor=2)


# -- errors -------------------------------------------------------------------------------

ERRORS = [
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(4, 4), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(2, 5, 4, 4), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(2, 3, 5, 4), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(2, 3, 4, 5), 2),
    lambda lib: lib.nn.functional.channel_shuffle(lib.ones(2, 5, 4, 4), 2),
    lambda lib: lib.nn.functional.channel_shuffle(lib.ones(5), 2),
    lambda lib: lib.nn.functional.channel_shuffle(lib.ones(2, 4, 3), 0),
    lambda lib: lib.nn.functional.unfold(lib.ones(2, 5, 4, 4), 5),
    lambda lib: lib.nn.functional.unfold(lib.ones(2, 3), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 4, 2, 2), 0),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 4, 2, 2), -1),
    lambda lib: lib.nn.functional.instance_norm(
        lib.ones(2, 3, 4), lib.zeros(3), None, use_input_stats=False
    ),
    lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 3), lib.ones(3, dtype=lib.int64)
    ),
    lambda lib: lib.nn.functional.embedding_bag(lib.ones(2, 2, 2, dtype=lib.int64), lib.ones(5, 3)),
    lambda lib: lib.nn.functional.fold(lib.ones(2, 7, 9), (4, 4), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(2, 8, 5), (4, 4), 2),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3), 2),
    lambda lib: lib.nn.CrossMapLRN2d(3)(lib.ones(2, 3, 4)),
    lambda lib: lib.nn.ReflectionPad1d(3)(lib.ones(1, 3)),
    lambda lib: lib.nn.ReflectionPad2d(1)(lib.ones(3)),
    lambda lib: lib.nn.CircularPad1d(4)(lib.ones(1, 3)),
    lambda lib: lib.nn.CircularPad2d(1)(lib.ones(3)),
    lambda lib: lib.nn.ReflectionPad2d((1, 2, 3))(lib.ones(3, 3, 3)),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 3, 4, 4), (1, 1), mode="reflect"),
    lambda lib: lib.nn.functional.pad(lib.ones(4), (1, 1), mode="circular"),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 4), (1, 1, 1, 1), mode="replicate"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), scale_factor=2, mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), 2, mode="trilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4, 4), 2, mode="linear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), 2, mode="bicubic"),
    lambda lib: lib.nn.functional.interpolate(
        lib.ones(1, 1, 4, 4), scale_factor=2, mode="area", align_corners=True
    ),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), scale_factor=2, mode="foo"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), size=(2, 3, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), scale_factor=(2, 3, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), 2, antialias=True),
    lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 100]]]]), 2
    ),
    lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(9, 9)
    ),
    lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 3]]]], dtype=lib.int32), 2
    ),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(1, 1, 2, 2), (1, 2, 3)),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(2, 2), 2),
    lambda lib: lib.nn.functional.lp_pool2d(lib.ones(1, 1, 4, 4), 2, 5),
    lambda lib: lib.nn.functional.fractional_max_pool2d(lib.ones(1, 1, 4, 4), 2),
    lambda lib: lib.nn.functional.fractional_max_pool2d(lib.ones(1, 1, 4, 4), 2, output_size=4),
    lambda lib: lib.nn.FractionalMaxPool2d(2),
    lambda lib: lib.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5),
    lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([[1, 2]]), lib.ones(5, 3), lib.tensor([0])
    ),
    lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3)),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0]), mode="foo"
    ),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]),
        lib.ones(5, 3),
        lib.tensor([0]),
        mode="max",
        per_sample_weights=lib.ones(2),
    ),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([1])
    ),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0, 3])
    ),
    lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 7]), lib.ones(5, 3), lib.tensor([0])
    ),
    lambda lib: lib.nn.functional.softshrink(lib.ones(3), -1),
    lambda lib: lib.nn.functional.rrelu(lib.ones(3), 0.5, 0.1, training=True),
    lambda lib: lib.nn.functional.alpha_dropout(lib.ones(3), 1.5),
    lambda lib: lib.nn.AlphaDropout(-0.5),
    lambda lib: lib.nn.functional.dropout3d(lib.ones(3, 3, 3, 3), 1.5),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1, 2]), p=3),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1])),
    lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
    lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(4, requires_grad=True)
    ),
    lambda lib: lib.nn.functional.soft_margin_loss(lib.ones(3), lib.ones(3, requires_grad=True)),
    lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(3, 4), lib.ones(3, 4), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.gaussian_nll_loss(
        lib.ones(3, 4), lib.ones(3, 4), -lib.ones(3, 4)
    ),
    lambda lib: lib.nn.functional.triplet_margin_loss(lib.ones(3, 4), lib.ones(3, 4), lib.ones(4)),
    lambda lib: lib.nn.TripletMarginLoss(margin=0),
    lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1),
    lambda lib: lib.nn.functional.hinge_embedding_loss(lib.ones(3), lib.ones(3), reduction="foo"),
    lambda lib: lib.nn.functional.ctc_loss(
        lib.ones(5, 2, 4), lib.ones(2, 3, dtype=lib.int64), [5, 6], [3, 3]
    ),
    lambda lib: lib.nn.functional.ctc_loss(
        lib.ones(5, 2, 4), lib.ones(2, 3, dtype=lib.int64), [5, 5], [3, 4]
    ),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(fn)


# -- losses with targets the op table cannot draw -----------------------------------------

LOSSES = [
    (lambda lib: lib.nn.SoftMarginLoss(), lambda lib: lib.tensor([[1.0, -1, 1], [-1, -1, 1]])),
    (
        lambda lib: lib.nn.HingeEmbeddingLoss(0.5, reduction="sum"),
        lambda lib: lib.tensor([1.0, -1, 1]),
    ),
    (
        lambda lib: lib.nn.MultiMarginLoss(2, 0.5, weight=lib.tensor([1.0, 2.0, 0.5])),
        lambda lib: lib.tensor([0, 2]),
    ),
    (
        lambda lib: lib.nn.MultiLabelMarginLoss(reduction="none"),
        lambda lib: lib.tensor([[2, 0, -1]]),
    ),
    (
        lambda lib: lib.nn.PoissonNLLLoss(full=True),
        lambda lib: lib.tensor([[0.0, 1, 3], [2, 5, 1]]),
    ),
]


@pytest.mark.parametrize("make,target", LOSSES)
def test_loss_module(make, target):
    t_mod, s_mod = make(torch), make(tensorish)
    shape = tuple(target(torch).shape)
    if target(torch).dtype == torch.int64:
        shape = (shape[0], 3) if len(shape) == 1 else shape
    x = np.random.default_rng(0).uniform(-1, 1, size=shape).astype("float32")
    xt, xs = torch.tensor(x, requires_grad=True), tensorish.tensor(x, requires_grad=True)
    out_t, out_s = t_mod(xt, target(torch)), s_mod(xs, target(tensorish))
    assert_same(out_t, out_s, "forward")
    assert type(out_s.grad_fn).__name__ == type(out_t.grad_fn).__name__
    out_t.sum().backward()
    out_s.sum().backward()
    assert_same(xt.grad, xs.grad, "grad")


def test_gaussian_nll_scalar_var_and_triplet_with_distance():
    def run(lib):
        x = lib.tensor(np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4), requires_grad=True)
        y = lib.zeros(2, 4)
        a = lib.nn.functional.gaussian_nll_loss(x, y, 0.5)
        dist = lib.nn.CosineSimilarity()
        b = lib.nn.TripletMarginWithDistanceLoss(
            distance_function=lambda u, v: 1 - dist(u, v), swap=True
        )(x, y + 1, -x)
        (a + b).backward()
        return a, b, x.grad

    assert_same(run(torch), run(tensorish), "losses")


@pytest.mark.parametrize(
    "reduction,zero_infinity", [("none", True), ("mean", True), ("sum", False)]
)
def test_ctc_loss(reduction, zero_infinity):
    """Through a log_softmax, as CTC is used; the last sample cannot be aligned (its target
    needs more steps than its input has), so its loss is inf unless zero_infinity."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 3, 5)).astype("float32")
    targets = np.array([1, 2, 2, 3, 1, 4, 4, 4, 4], "int64")
    lens_in, lens_tgt = [6, 4, 3], [3, 2, 4]

    def run(lib):
        z = lib.tensor(logits, requires_grad=True)
        loss = lib.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
            lib.nn.functional.log_softmax(z, 2),
            lib.tensor(targets),
            lib.tensor(lens_in),
            lib.tensor(lens_tgt),
        )
        if zero_infinity:
            loss.sum().backward()
            return loss, z.grad
        return (loss,)

    assert_same(run(torch), run(tensorish), "ctc", rtol=1e-4, atol=1e-5)


# -- random layers ------------------------------------------------------------------------


@pytest.mark.parametrize("nd,shape", [(2, (2, 3, 9, 8)), (3, (1, 2, 7, 6, 8))])
def test_fractional_max_pool_given_samples(nd, shape):
    """With ``_random_samples`` given, the windows are PyTorch's exactly."""
    rng = np.random.default_rng(nd)
    x = rng.normal(size=shape).astype("float32")
    u = rng.uniform(size=(shape[0], shape[1], nd)).astype("float32")

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        fn = getattr(lib.nn.functional, f"fractional_max_pool{nd}d")
        out, idx = fn(
            xt, 2, output_size=(4,) * nd, return_indices=True, _random_samples=lib.tensor(u)
        )
        out.sum().backward()
        return out, idx, xt.grad, type(out.grad_fn).__name__

    t, s = run(torch), run(tensorish)
    assert_same(t[:3], s[:3], "fractional")
    assert t[3] == s[3]


def test_fractional_max_pool_random():
    """Drawn windows: the shape, every output is the maximum of its window at the returned
    index, and the gradient lands on those indices."""
    tensorish.manual_seed(0)
    x = tensorish.tensor(
        np.random.default_rng(0).normal(size=(2, 3, 10, 9)).astype("float32"), requires_grad=True
    )
    pool = tensorish.nn.FractionalMaxPool2d((3, 2), output_ratio=(0.5, 0.6), return_indices=True)
    out, idx = pool(x)
    assert out.shape == (2, 3, 5, 5) and idx.dtype is tensorish.int64
    flat = to_numpy(x).reshape(2, 3, -1)
    picked = np.take_along_axis(flat, to_numpy(idx).reshape(2, 3, -1), -1).reshape(out.shape)
    np.testing.assert_array_equal(picked, to_numpy(out))
    # each maximum is the max of a 3 x 2 window that contains its index
    h, w = np.divmod(to_numpy(idx), 9)
    assert h.max() < 10 and w.max() < 9
    out.sum().backward()
    counts = np.zeros(flat.shape)
    np.add.at(
        counts,
        (np.arange(2)[:, None, None], np.arange(3)[None, :, None], to_numpy(idx).reshape(2, 3, -1)),
        1,
    )
    np.testing.assert_array_equal(to_numpy(x.grad).reshape(flat.shape), counts)
    a, b = pool(x)[0], pool(x)[0]
    assert not np.array_equal(to_numpy(a), to_numpy(b))  # new windows each call


def test_rrelu_training():
    tensorish.manual_seed(0)
    x = tensorish.full((20000,), -1.0, requires_grad=True)
    y = tensorish.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -to_numpy(y)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005 and abs(slopes.var() - 0.2**2 / 12) < 5e-4
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), slopes)  # the gradient is the drawn slope
    pos = tensorish.nn.functional.rrelu(tensorish.ones(5), training=True)
    np.testing.assert_array_equal(to_numpy(pos), np.ones(5))
    assert type(y.grad_fn).__name__ == "RreluWithNoiseBackward0"


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout(p):
    """Standard-normal input keeps mean 0 and variance 1; dropped units take the one value
    torch gives them; the feature form drops whole channels."""
    tensorish.manual_seed(0)
    rng = np.random.default_rng(int(p * 10))
    x = tensorish.tensor(rng.normal(size=40000).astype("float32"))
    y = tensorish.nn.functional.alpha_dropout(x, p, training=True)
    alpha = 1.7580993408473766
    a = (1 / ((alpha**2 * p + 1) * (1 - p))) ** 0.5
    dropped = np.isclose(to_numpy(y), -alpha * a * (1 - p))
    assert abs(dropped.mean() - p) < 0.01
    assert abs(to_numpy(y).mean()) < 0.03 and abs(to_numpy(y).var() - 1) < 0.05
    kept = ~dropped
    np.testing.assert_allclose(
        to_numpy(y)[kept], to_numpy(x)[kept] * a + alpha * a * p, rtol=1e-5, atol=1e-6
    )
    f = tensorish.nn.FeatureAlphaDropout(p)(tensorish.tensor(rng.normal(size=(64, 8, 5, 5))))
    per_channel = to_numpy(f).reshape(64, 8, -1)
    const = np.isclose(per_channel, -alpha * a * (1 - p)).all(-1)
    assert abs(const.mean() - p) < 0.06
    m = tensorish.nn.AlphaDropout(p).eval()
    assert m(x) is x
    assert tensorish.nn.functional.alpha_dropout(x, p) is x  # training=False by default


def test_dropout3d():
    tensorish.manual_seed(0)
    x = tensorish.ones(16, 32, 2, 2, 2, requires_grad=True)
    y = tensorish.nn.Dropout3d(0.25)(x)
    per_channel = to_numpy(y).reshape(16, 32, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1)).all()
    assert abs((per_channel[..., 0] == 0).mean() - 0.25) < 0.05
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(y))

    def unbatched(lib):
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
            out = lib.nn.functional.dropout3d(lib.ones(3, 3, requires_grad=True), 0.5)
        return out.shape, type(out.grad_fn).__name__

    assert unbatched(torch) == unbatched(tensorish)


@pytest.mark.parametrize(
    "name,args", [("hardshrink", (0.5,)), ("softshrink", (0.5,)), ("rrelu", (0.1, 0.3))]
)
def test_activation_kinks(name, args):
    """At the kinks (0, ±lambd) the gradient is torch's one-sided choice."""

    def run(lib):
        x = lib.tensor([0.0, 0.5, -0.5, -1.0, 2.0], requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, *args)
        (g,) = lib.autograd.grad(y.sum(), x)
        return y, g

    assert_same(run(torch), run(tensorish), name)

"""nn.functional against torch: activations (with their kinks), losses, padding, resizing,
attention, normalization helpers; values, gradients, grad_fn names, warnings and errors."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, both
from test_nn_layers import compare_fn, compare_module

import tensorish
import tensorish.nn.functional as sF

X = (4, 5)
# Kinks and edges of the piecewise activations, plus ordinary points.
KINKS = np.array([[-3.0, -1.0, 0.0, 1.0, 3.0], [6.0, -0.5, 2.5, 20.0, -6.0]], np.float32)

ACTIVATIONS = [
    ("relu", lambda F, x: F.relu(x), "ReluBackward0"),
    ("relu6", lambda F, x: F.relu6(x), "HardtanhBackward0"),
    ("hardtanh", lambda F, x: F.hardtanh(x, -1.0, 1.0), "HardtanhBackward0"),
    ("leaky_relu", lambda F, x: F.leaky_relu(x), "LeakyReluBackward0"),
    ("elu", lambda F, x: F.elu(x, 0.7), "EluBackward0"),
    ("selu", lambda F, x: F.selu(x), "EluBackward0"),
    ("celu", lambda F, x: F.celu(x, 1.5), "CeluBackward0"),
    ("gelu", lambda F, x: F.gelu(x), "GeluBackward0"),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh"), "GeluBackward0"),
    ("silu", lambda F, x: F.silu(x), "SiluBackward0"),
    ("mish", lambda F, x: F.mish(x), "MishBackward0"),
    ("softplus", lambda F, x: F.softplus(x), "SoftplusBackward0"),
    ("sigmoid", lambda F, x: F.sigmoid(x), "SigmoidBackward0"),
    ("tanh", lambda F, x: F.tanh(x), "TanhBackward0"),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), "HardsigmoidBackward0"),
    ("hardswish", lambda F, x: F.hardswish(x), "HardswishBackward0"),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), "LogSigmoidBackward0"),
    ("threshold", lambda F, x: F.threshold(x, 1.0, -2.0), "ThresholdBackward0"),
    ("softmax", lambda F, x: F.softmax(x, dim=1), "SoftmaxBackward0"),
    ("log_softmax", lambda F, x: F.log_softmax(x, dim=-1), "LogSoftmaxBackward0"),
    ("softmin", lambda F, x: F.softmin(x, dim=1), "SoftmaxBackward0"),
    ("glu", lambda F, x: F.glu(x, 0), "GluBackward0"),
]


@pytest.mark.parametrize("name,fn,node", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, fn, node):
    compare_fn(fn, [], data=[(KINKS, True)], grad_fn=node)


MODULE_ACTIVATIONS = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Softplus",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Softsign",
    "Tanhshrink",
]


def test_activation_modules():
    for name in MODULE_ACTIVATIONS:
        compare_module(lambda nn, name=name: getattr(nn, name)(), [], data=[(KINKS, True)])
    for name in ("Softmax", "LogSoftmax", "Softmin"):
        compare_module(lambda nn, name=name: getattr(nn, name)(dim=1), [], data=[(KINKS, True)])


def test_sigmoid_tanh_are_the_pointwise_ops():
    """As in PyTorch, F.sigmoid and F.tanh are the pointwise ops: integer inputs give the default
    float dtype, and the result is saved, not the input (a later in-place write to it is fine)."""
    assert sF.sigmoid is tensorish.sigmoid and sF.tanh is tensorish.tanh
    for name in ("sigmoid", "tanh"):
        t, s = both([1, 2])
        assert_same(getattr(torch.nn.functional, name)(t), getattr(sF, name)(s), name)
        grads = []
        for lib, F in ((torch, torch.nn.functional), (tensorish, sF)):
            x = lib.tensor([0.5, -1.0], requires_grad=True)
            h = x * 1
            y = getattr(F, name)(h)
            h.mul_(2)
            y.sum().backward()
            grads.append(x.grad)
        assert_same(grads[0], grads[1], f"{name} grad")


def test_relu_inplace():
    t, s = torch.tensor(KINKS), tensorish.tensor(KINKS)
    assert torch.nn.functional.relu(t, inplace=True) is t
    assert sF.relu(s, inplace=True) is s
    assert_same(t, s, "inplace relu")


def test_softmax_implicit_dim_warns():
    for F, x in ((torch.nn.functional, torch.ones(2, 3)), (sF, tensorish.ones(2, 3))):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            F.softmax(x)
        assert [str(m.message) for m in w] == [
            "Implicit dimension choice for softmax has been deprecated. Change the call to "
            "include dim=X as an argument."
        ]


LOSSES = [
    ("mse", lambda F, x, y: F.mse_loss(x, y), [X, X], "MseLossBackward0"),
    ("mse_none", lambda F, x, y: F.mse_loss(x, y, reduction="none"), [X, X], None),
    ("l1", lambda F, x, y: F.l1_loss(x, y), [X, X], "MeanBackward0"),
    ("l1_none", lambda F, x, y: F.l1_loss(x, y, reduction="none"), [X, X], "AbsBackward0"),
    (
        "smooth_l1",
        lambda F, x, y: F.smooth_l1_loss(x, y, beta=0.5),
        [X, X],
        "SmoothL1LossBackward0",
    ),
    ("huber", lambda F, x, y: F.huber_loss(x, y, delta=0.7), [X, X], "HuberLossBackward0"),
    (
        "mse_weight",
        lambda F, x, y, w: F.mse_loss(x, y, weight=w),
        [X, X, ("prob", X)],
        "DivBackward0",
    ),
    (
        "l1_weight_sum",
        lambda F, x, y, w: F.l1_loss(x, y, weight=w, reduction="sum"),
        [X, X, ("prob", X)],
        "SumBackward0",
    ),
    (
        "huber_weight",
        lambda F, x, y, w: F.huber_loss(x, y, weight=w),
        [X, X, ("prob", X)],
        "MeanBackward0",
    ),
    ("ce", lambda F, x, t: F.cross_entropy(x, t), [X, ("int", (4,), 5)], "NllLossBackward0"),
    (
        "ce_none",
        lambda F, x, t: F.cross_entropy(x, t, reduction="none"),
        [X, ("int", (4,), 5)],
        None,
    ),
    (
        "ce_weight",
        lambda F, x, t, w: F.cross_entropy(x, t, weight=w),
        [X, ("int", (4,), 5), ("prob", (5,))],
        None,
    ),
    (
        "ce_smooth",
        lambda F, x, t: F.cross_entropy(x, t, label_smoothing=0.2),
        [X, ("int", (4,), 5)],
        "AddBackward0",
    ),
    (
        "ce_smooth_weight_mean",
        lambda F, x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
        [X, ("int", (4,), 5), ("prob", (5,))],
        None,
    ),
    ("ce_probs", lambda F, x, p: F.cross_entropy(x, p), [X, ("prob", X)], "DivBackward1"),
    (
        "ce_probs_smooth_weight",
        lambda F, x, p, w: F.cross_entropy(x, p, weight=w, label_smoothing=0.3),
        [X, ("prob", X), ("prob", (5,))],
        None,
    ),
    (
        "ce_spatial",
        lambda F, x, t: F.cross_entropy(x, t),
        [(2, 5, 3), ("int", (2, 3), 5)],
        "NllLoss2DBackward0",
    ),
    ("ce_unbatched", lambda F, x, t: F.cross_entropy(x, t), [(5,), ("int", (), 5)], None),
    ("nll", lambda F, x, t: F.nll_loss(x, t), [X, ("int", (4,), 5)], "NllLossBackward0"),
    (
        "nll_weight_none",
        lambda F, x, t, w: F.nll_loss(x, t, weight=w, reduction="none"),
        [X, ("int", (4,), 5), ("prob", (5,))],
        None,
    ),
    ("bce", lambda F, p, y: F.binary_cross_entropy(p, y), [("prob", X), ("prob", X)], None),
    (
        "bce_weight",
        lambda F, p, y, w: F.binary_cross_entropy(p, y, weight=w),
        [("prob", X), ("prob", X), ("prob", X)],
        None,
    ),
    (
        "bce_logits",
        lambda F, x, y: F.binary_cross_entropy_with_logits(x, y),
        [X, ("prob", X)],
        "BinaryCrossEntropyWithLogitsBackward0",
    ),
    (
        "bce_logits_pos_weight",
        lambda F, x, y, w: F.binary_cross_entropy_with_logits(x, y, pos_weight=w, reduction="sum"),
        [X, ("prob", X), ("prob", (5,))],
        None,
    ),
    (
        "kl_batchmean",
        lambda F, x, y: F.kl_div(x, y, reduction="batchmean"),
        [X, ("prob", X)],
        "DivBackward0",
    ),
    (
        "kl_sum_log_target",
        lambda F, x, y: F.kl_div(x, y, reduction="sum", log_target=True),
        [X, X],
        "SumBackward0",
    ),
    (
        "cosine_embedding",
        lambda F, a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1),
        [X, X, ("sign", (4,))],
        "MeanBackward0",
    ),
    (
        "margin_ranking",
        lambda F, a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5),
        [(6,), (6,), ("sign", (6,))],
        "MeanBackward0",
    ),
]


@pytest.mark.parametrize("name,fn,specs,node", LOSSES, ids=[x[0] for x in LOSSES])
def test_loss(name, fn, specs, node):
    compare_fn(fn, specs, grad_fn=node, rtol=1e-5, atol=1e-6)


def test_cross_entropy_ignore_index():
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    t = np.array([0, 1, -100, 3, 2, -100])
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}, {"reduction": "sum"}):
        compare_fn(
            lambda F, x, t, kw=kw: F.cross_entropy(x, t, **kw), [], data=[(x, True), (t, False)]
        )
    t2 = np.array([0, 1, 2, 3, 2, 1])
    compare_fn(
        lambda F, x, t: F.cross_entropy(x, t, ignore_index=2), [], data=[(x, True), (t2, False)]
    )


LOSS_MODULES = [
    ("MSELoss", {}, [X, X]),
    ("L1Loss", {}, [X, X]),
    ("SmoothL1Loss", {"beta": 0.5}, [X, X]),
    ("HuberLoss", {"delta": 0.7}, [X, X]),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, [X, ("int", (4,), 5)]),
    ("NLLLoss", {}, [X, ("int", (4,), 5)]),
    ("BCELoss", {}, [("prob", X), ("prob", X)]),
    ("BCEWithLogitsLoss", {}, [X, ("prob", X)]),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, [X, X]),
    ("CosineEmbeddingLoss", {"margin": 0.1}, [X, X, ("sign", (4,))]),
    ("MarginRankingLoss", {"margin": 0.5}, [(6,), (6,), ("sign", (6,))]),
]


@pytest.mark.parametrize("name,kw,specs", LOSS_MODULES, ids=[x[0] for x in LOSS_MODULES])
def test_loss_module(name, kw, specs):
    compare_module(lambda nn: getattr(nn, name)(**kw), specs)


def test_loss_weight_buffers():
    torch.manual_seed(0)
    w = torch.rand(5)
    compare_module(
        lambda nn: nn.CrossEntropyLoss(weight=w if nn is torch.nn else tensorish.tensor(w.numpy())),
        [X, ("int", (4,), 5)],
    )
    pw = torch.rand(5)
    compare_module(
        lambda nn: nn.BCEWithLogitsLoss(
            pos_weight=pw if nn is torch.nn else tensorish.tensor(pw.numpy())
        ),
        [X, ("prob", X)],
    )


def test_mse_broadcast_warning():
    msgs = []
    for F, a, b in (
        (torch.nn.functional, torch.ones(4, 5), torch.ones(5)),
        (sF, tensorish.ones(4, 5), tensorish.ones(5)),
    ):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            F.mse_loss(a, b)
        msgs.append([str(m.message).replace("torch.", "tensorish.") for m in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1


def test_kl_mean_warning():
    msgs = []
    for F, a in ((torch.nn.functional, torch.ones(2, 3)), (sF, tensorish.ones(2, 3))):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            F.kl_div(a, a)
        msgs.append([str(m.message) for m in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1


FUNCTIONAL = [
    ("pad_constant", lambda F, x: F.pad(x, (1, 2)), [X], "ConstantPadNdBackward0"),
    ("pad_negative", lambda F, x: F.pad(x, (-1, 2)), [X], None),
    (
        "pad_reflect",
        lambda F, x: F.pad(x, (1, 2, 2, 1), mode="reflect"),
        [(2, 3, 4, 5)],
        "ReflectionPad2DBackward0",
    ),
    (
        "pad_replicate",
        lambda F, x: F.pad(x, (1, 2, 2, 1), mode="replicate"),
        [(2, 3, 4, 5)],
        "ReplicationPad2DBackward0",
    ),
    ("pad_circular", lambda F, x: F.pad(x, (1, 2), mode="circular"), [(2, 3, 5)], None),
    ("normalize", lambda F, x: F.normalize(x), [X], "DivBackward0"),
    ("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b), [X, X], "SumBackward1"),
    (
        "cosine_similarity_bcast",
        lambda F, a, b: F.cosine_similarity(a, b, dim=-1),
        [(3, 4, 5), (4, 5)],
        None,
    ),
    ("pairwise_distance", lambda F, a, b: F.pairwise_distance(a, b), [X, X], None),
    (
        "sdpa",
        lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v),
        [(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)],
        None,
    ),
    (
        "sdpa_causal",
        lambda F, q: F.scaled_dot_product_attention(q, q, q, is_causal=True),
        [(2, 3, 4, 8)],
        None,
    ),
    (
        "sdpa_float_mask",
        lambda F, q, m: F.scaled_dot_product_attention(q, q, q, attn_mask=m),
        [(2, 4, 8), (4, 4)],
        None,
    ),
    (
        "interp_nearest",
        lambda F, x: F.interpolate(x, scale_factor=2),
        [(1, 2, 3, 4)],
        "UpsampleNearest2DBackward0",
    ),
    (
        "interp_nearest_exact",
        lambda F, x: F.interpolate(x, size=(5, 3), mode="nearest-exact"),
        [(1, 2, 3, 4)],
        None,
    ),
    (
        "interp_nearest1d",
        lambda F, x: F.interpolate(x, scale_factor=1.5),
        [(1, 2, 4)],
        "UpsampleNearest1DBackward0",
    ),
    (
        "interp_bilinear",
        lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
        [(1, 2, 3, 4)],
        "UpsampleBilinear2DBackward0",
    ),
    (
        "interp_bilinear_ac",
        lambda F, x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True),
        [(1, 2, 3, 4)],
        None,
    ),
    (
        "interp_bilinear_down",
        lambda F, x: F.interpolate(x, size=(2, 3), mode="bilinear"),
        [(1, 2, 5, 7)],
        None,
    ),
    (
        "interp_linear",
        lambda F, x: F.interpolate(x, scale_factor=2.5, mode="linear"),
        [(1, 2, 4)],
        "UpsampleLinear1DBackward0",
    ),
    ("one_hot", lambda F, t: F.one_hot(t), [("int", (6,), 4)], None),
    (
        "batch_norm_fn",
        lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(4, 3), (3,), (3,)],
        "NativeBatchNormBackward0",
    ),
    ("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 3), [(2, 3, 7)], None),
    (
        "avg_pool2d_uneven_padding",
        lambda F, x: F.avg_pool2d(x, 2, padding=(1, 0), count_include_pad=False),
        [(1, 2, 4, 5)],
        "AvgPool2DBackward0",
    ),
    (
        "avg_pool3d_padding",
        lambda F, x: F.avg_pool3d(x, 2, padding=(1, 0, 1), count_include_pad=False),
        [(1, 1, 4, 5, 3)],
        "AvgPool3DBackward0",
    ),
]


@pytest.mark.parametrize("name,fn,specs,node", FUNCTIONAL, ids=[x[0] for x in FUNCTIONAL])
def test_functional(name, fn, specs, node):
    compare_fn(fn, specs, grad_fn=node, rtol=1e-5, atol=1e-5)


def test_dropout():
    x = tensorish.ones(200, 50, requires_grad=True)
    tensorish.manual_seed(0)
    y = sF.dropout(x, 0.3)
    v = y.numpy(force=True)
    np.testing.assert_allclose(np.unique(v), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((v == 0).mean() - 0.3) < 0.02
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.backward(tensorish.ones(200, 50))
    np.testing.assert_allclose(x.grad.numpy(), v)
    tensorish.manual_seed(0)
    np.testing.assert_array_equal(sF.dropout(x, 0.3).numpy(force=True), v)
    assert sF.dropout(x, 0.3, training=False) is x
    np.testing.assert_array_equal(sF.dropout(x, 1.0).numpy(force=True), 0)


def test_feature_dropout():
    x = tensorish.ones(8, 30, 3, 3, requires_grad=True)
    y = sF.dropout2d(x, 0.5).numpy(force=True)
    assert ((y == 0).all(axis=(2, 3)) | (y == 2).all(axis=(2, 3))).all()
    assert 0.3 < (y == 0).mean() < 0.7
    y1 = tensorish.nn.Dropout1d(0.5)(tensorish.ones(30, 4)).numpy()
    assert ((y1 == 0).all(axis=1) | (y1 == 2).all(axis=1)).all()
    for F, lib in ((torch.nn.functional, torch), (sF, tensorish)):
        with pytest.raises(RuntimeError):
            F.dropout1d(lib.ones(2, 3, 4, 5))


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d"])
def test_dropout_p0_returns_input_and_draws_nothing(name):
    for lib in (torch, tensorish):
        x = lib.ones(2, 3, 4, requires_grad=True) * 2
        lib.manual_seed(0)
        expected = lib.rand(3).tolist()
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's dropout2d warns for 3-D input
            assert getattr(lib.nn.functional, name)(x, 0.0) is x
        empty = lib.ones(0)
        assert lib.nn.functional.dropout(empty, 0.5) is empty
        assert lib.rand(3).tolist() == expected


def test_dropout_module_train_eval():
    m = tensorish.nn.Dropout(0.5)
    x = tensorish.ones(100)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x


ERRORS = [
    ("linear_shape", lambda F, nn, lib: nn.Linear(5, 3)(lib.ones(2, 4))),
    ("conv_channels", lambda F, nn, lib: nn.Conv2d(3, 5, 3)(lib.ones(2, 4, 8, 8))),
    ("ce_batch", lambda F, nn, lib: F.cross_entropy(lib.ones(4, 5), lib.tensor([1, 2, 3]))),
    ("ce_float_target", lambda F, nn, lib: F.cross_entropy(lib.ones(4, 5), lib.ones(4))),
    ("layer_norm_shape", lambda F, nn, lib: F.layer_norm(lib.ones(4, 5), (4,))),
    ("group_norm_groups", lambda F, nn, lib: F.group_norm(lib.ones(2, 5, 3), 2)),
    ("bn_one_value", lambda F, nn, lib: nn.BatchNorm1d(5)(lib.ones(1, 5))),
    ("pool_pad", lambda F, nn, lib: F.max_pool2d(lib.ones(1, 1, 4, 4), 2, padding=2)),
    ("dropout_p", lambda F, nn, lib: F.dropout(lib.ones(2), 1.5)),
    ("pad_odd", lambda F, nn, lib: F.pad(lib.ones(2), (1,))),
    ("glu_odd", lambda F, nn, lib: F.glu(lib.ones(3))),
    ("bad_reduction", lambda F, nn, lib: F.mse_loss(lib.ones(2), lib.ones(2), reduction="x")),
    ("embedding_float", lambda F, nn, lib: F.embedding(lib.ones(2), lib.ones(3, 2))),
    ("gain", lambda F, nn, lib: nn.init.calculate_gain("foo")),
    ("fan", lambda F, nn, lib: nn.init.kaiming_uniform_(lib.ones(3))),
    ("eye", lambda F, nn, lib: nn.init.eye_(lib.ones(3))),
    ("conv_groups", lambda F, nn, lib: nn.Conv2d(3, 4, 3, groups=2)),
    ("same_strided", lambda F, nn, lib: nn.Conv2d(3, 4, 3, padding="same", stride=2)),
    ("bce_shape", lambda F, nn, lib: F.binary_cross_entropy(lib.ones(2, 3) / 2, lib.ones(3))),
    (
        "bce_logits_shape",
        lambda F, nn, lib: F.binary_cross_entropy_with_logits(lib.ones(2, 3), lib.ones(3)),
    ),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_error(name, fn):
    with pytest.raises(Exception) as et:
        fn(torch.nn.functional, torch.nn, torch)
    with pytest.raises(Exception) as es:
        fn(sF, tensorish.nn, tensorish)
    assert type(es.value) is type(et.value)
    assert str(es.value) == str(et.value).replace("torch.", "tensorish.")

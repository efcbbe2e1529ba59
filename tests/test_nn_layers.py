"""Every layer against torch: the same weights (torch's, loaded through load_state_dict), the same
input; forward values, then input and parameter gradients through a non-uniform upstream."""

import numpy as np
import pytest
import torch
from oracle import assert_same

import tensorish


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _leaves(o)]
    return [] if out is None else [out]


def _input(spec, rng):
    """spec: a shape (float input), or ("int", shape, high), or ("bool", shape)."""
    if isinstance(spec, tuple) and spec and spec[0] == "int":
        return rng.integers(0, spec[2], size=spec[1]).astype(np.int64), False
    if isinstance(spec, tuple) and spec and spec[0] == "bool":
        return rng.random(spec[1]) < 0.3, False
    if isinstance(spec, tuple) and spec and spec[0] == "sign":
        return np.where(rng.random(spec[1]) < 0.5, -1.0, 1.0).astype(np.float32), False
    if isinstance(spec, tuple) and spec and spec[0] == "prob":
        return rng.uniform(0.05, 0.95, size=spec[1]).astype(np.float32), False
    return rng.uniform(-2, 2, size=spec).astype(np.float32), True


def compare_fn(fn, specs, *, rtol=1e-5, atol=1e-6, seed=0, grad_fn=None, data=None):
    """``fn(F, *inputs)`` with F = torch.nn.functional, then tensorish.nn.functional."""
    import torch.nn.functional as tF

    import tensorish.nn.functional as sF

    compare_module(
        lambda nn: nn.Identity(),
        specs,
        rtol=rtol,
        atol=atol,
        seed=seed,
        grad_fn=grad_fn,
        data=data,
        call=lambda m, *xs: fn(tF if isinstance(m, torch.nn.Module) else sF, *xs),
    )


def compare_module(
    make, specs, *, call=None, train=True, rtol=1e-5, atol=1e-5, seed=0, grad_fn=None, data=None
):
    """Build the module from torch.nn and tensorish.nn, copy torch's weights into tensorish,
    and compare forward, input gradients and parameter gradients."""
    torch.manual_seed(seed)
    tm, sm = make(torch.nn), make(tensorish.nn)
    missing = sm.load_state_dict(tm.state_dict())
    assert repr(missing) == "<All keys matched successfully>"
    tm.train(train)
    sm.train(train)
    rng = np.random.default_rng(seed)
    if data is None:
        data = [_input(s, rng) for s in specs]
    ts = [torch.tensor(d, requires_grad=g) for d, g in data]
    ss = [tensorish.tensor(d, requires_grad=g) for d, g in data]
    call = call or (lambda m, *xs: m(*xs))
    out_t, out_s = call(tm, *ts), call(sm, *ss)
    lt, ls = _leaves(out_t), _leaves(out_s)
    assert len(lt) == len(ls)
    for i, (a, b) in enumerate(zip(lt, ls)):
        assert_same(a, b, f"forward[{i}]", rtol, atol)
    if grad_fn is not None:
        assert type(ls[0].grad_fn).__name__ == grad_fn == type(lt[0].grad_fn).__name__
    outs_t, outs_s, ups = [], [], []
    for k, (a, b) in enumerate(zip(lt, ls)):
        if a.requires_grad:
            # a non-uniform upstream gradient, so a wrong broadcast or transpose shows
            ups.append(
                np.linspace(0.5, 1.5, a.numel()).reshape(tuple(a.shape)).astype(np.float32) + k
            )
            outs_t.append(a)
            outs_s.append(b)
    if not outs_t:
        return tm, sm
    torch.autograd.backward(outs_t, [torch.tensor(u) for u in ups])
    tensorish.autograd.backward(outs_s, [tensorish.tensor(u) for u in ups])
    for i, (a, b) in enumerate(zip(ts, ss)):
        if a.grad is not None:
            assert_same(a.grad, b.grad, f"input grad[{i}]", rtol, atol)
    sp = dict(sm.named_parameters())
    for name, p in tm.named_parameters():
        if p.grad is None:
            assert sp[name].grad is None, name
        else:
            assert_same(p.grad, sp[name].grad, f"grad {name}", rtol, atol)
    # Buffers (running stats) after the step.
    sb = dict(sm.named_buffers())
    for name, b in tm.named_buffers():
        assert_same(b, sb[name], f"buffer {name}", rtol, atol)
    return tm, sm


LAYERS = [
    ("linear", lambda nn: nn.Linear(5, 3), [(4, 5)], "AddmmBackward0"),
    ("linear_nobias", lambda nn: nn.Linear(5, 3, bias=False), [(4, 5)], "MmBackward0"),
    ("linear_3d", lambda nn: nn.Linear(5, 3), [(2, 4, 5)], "ViewBackward0"),
    ("bilinear", lambda nn: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)], "AddBackward0"),
    ("identity", lambda nn: nn.Identity(7), [(2, 3)], None),
    ("flatten", lambda nn: nn.Flatten(), [(2, 3, 4)], "ViewBackward0"),
    ("unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [(4, 6)], "ViewBackward0"),
    (
        "conv1d",
        lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1),
        [(2, 3, 9)],
        "ConvolutionBackward0",
    ),
    (
        "conv2d_strided",
        lambda nn: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)),
        [(2, 3, 7, 6)],
        None,
    ),
    ("conv2d_dilated", lambda nn: nn.Conv2d(2, 4, 3, dilation=2, bias=False), [(1, 2, 9, 9)], None),
    ("conv2d_groups", lambda nn: nn.Conv2d(4, 6, 3, groups=2, padding=1), [(2, 4, 5, 5)], None),
    (
        "conv2d_same",
        lambda nn: nn.Conv2d(3, 2, 4, padding="same", dilation=2),
        [(1, 3, 8, 7)],
        None,
    ),
    (
        "conv2d_reflect",
        lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"),
        [(1, 2, 5, 6)],
        None,
    ),
    (
        "conv1d_circular_same",
        lambda nn: nn.Conv1d(2, 3, 4, padding="same", padding_mode="circular"),
        [(2, 2, 7)],
        None,
    ),
    (
        "conv_transpose2d_stride",
        lambda nn: nn.ConvTranspose2d(
            4, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2, dilation=(1, 2)
        ),
        [(2, 4, 5, 4)],
        None,
    ),
    ("maxpool1d", lambda nn: nn.MaxPool1d(3, 2), [(2, 3, 9)], "SqueezeBackward1"),
    ("maxpool2d", lambda nn: nn.MaxPool2d(2), [(2, 3, 6, 6)], "MaxPool2DWithIndicesBackward0"),
    (
        "maxpool2d_pad_ceil",
        lambda nn: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
        [(2, 3, 6, 7)],
        None,
    ),
    ("maxpool2d_dilation", lambda nn: nn.MaxPool2d(2, 1, dilation=2), [(1, 2, 6, 6)], None),
    ("avgpool1d", lambda nn: nn.AvgPool1d(3, 2, padding=1), [(2, 3, 8)], "SqueezeBackward1"),
    (
        "avgpool2d_pad",
        lambda nn: nn.AvgPool2d(3, 2, padding=1),
        [(2, 3, 7, 6)],
        "AvgPool2DBackward0",
    ),
    (
        "avgpool2d_nopad_count",
        lambda nn: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        [(2, 3, 7, 6)],
        None,
    ),
    (
        "avgpool2d_ceil_nocount",
        lambda nn: nn.AvgPool2d(3, 2, ceil_mode=True, count_include_pad=False),
        [(1, 2, 6, 6)],
        None,
    ),
    (
        "adaptive_avg",
        lambda nn: nn.AdaptiveAvgPool2d((3, 2)),
        [(2, 3, 7, 5)],
        "AdaptiveAvgPool2DBackward0",
    ),
    ("adaptive_avg_none", lambda nn: nn.AdaptiveAvgPool2d((None, 3)), [(2, 3, 4, 7)], None),
    ("batchnorm1d", lambda nn: nn.BatchNorm1d(4), [(6, 4)], "NativeBatchNormBackward0"),
    (
        "batchnorm2d_noaffine",
        lambda nn: nn.BatchNorm2d(3, affine=False, momentum=0.3),
        [(2, 3, 4, 4)],
        None,
    ),
    (
        "batchnorm2d_notrack",
        lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
        [(2, 3, 4, 4)],
        None,
    ),
    (
        "layernorm_2d",
        lambda nn: nn.LayerNorm((4, 5), eps=1e-3),
        [(2, 3, 4, 5)],
        "NativeLayerNormBackward0",
    ),
    ("layernorm_nobias", lambda nn: nn.LayerNorm(5, bias=False), [(3, 5)], None),
    ("groupnorm", lambda nn: nn.GroupNorm(2, 4), [(3, 4, 5)], "NativeGroupNormBackward0"),
    ("rmsnorm_eps", lambda nn: nn.RMSNorm((2, 5), eps=1e-3), [(3, 2, 5)], None),
    (
        "embedding_pad",
        lambda nn: nn.Embedding(6, 3, padding_idx=2),
        [("int", (20,), 6)],
        "EmbeddingBackward0",
    ),
    ("dropout_eval", lambda nn: nn.Dropout(0.5), [(3, 4)], None),
    ("prelu", lambda nn: nn.PReLU(3), [(2, 3, 4)], None),
]


@pytest.mark.parametrize("name,make,specs,grad_fn", LAYERS, ids=[x[0] for x in LAYERS])
def test_layer(name, make, specs, grad_fn):
    compare_module(make, specs, grad_fn=grad_fn, train=name != "dropout_eval")


def test_batchnorm_eval_uses_running_stats():
    compare_module(lambda nn: nn.BatchNorm2d(3), [(2, 3, 4, 4)], train=False, seed=1)


def test_batchnorm_several_steps():
    torch.manual_seed(0)
    tm, sm = torch.nn.BatchNorm1d(4, momentum=None), tensorish.nn.BatchNorm1d(4, momentum=None)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=(5, 4)).astype(np.float32)
        assert_same(tm(torch.tensor(x)), sm(tensorish.tensor(x)), "forward")
    for (n, a), b in zip(tm.state_dict().items(), sm.state_dict().values()):
        assert_same(a, b, n)


RNNS = [
    ("rnn_relu_2layer", lambda nn: nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), [(5, 2, 3)]),
    (
        "lstm_bf_bi_2layer",
        lambda nn: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
        [(2, 5, 3)],
    ),
    ("lstm_unbatched", lambda nn: nn.LSTM(3, 4), [(5, 3)]),
    ("gru", lambda nn: nn.GRU(3, 4), [(5, 2, 3)]),
]


@pytest.mark.parametrize("name,make,specs", RNNS, ids=[x[0] for x in RNNS])
def test_rnn(name, make, specs):
    compare_module(make, specs, rtol=1e-4, atol=1e-5)


def test_rnn_with_initial_state():
    compare_module(
        lambda nn: nn.LSTM(3, 4),
        [(5, 2, 3), (1, 2, 4), (1, 2, 4)],
        call=lambda m, x, h, c: m(x, (h, c)),
        rtol=1e-4,
    )


def test_rnn_weight_names():
    for kind in ("RNN", "LSTM", "GRU"):
        t = getattr(torch.nn, kind)(3, 4, 2, bidirectional=True)
        s = getattr(tensorish.nn, kind)(3, 4, 2, bidirectional=True)
        assert [(n, tuple(p.shape)) for n, p in t.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in s.named_parameters()
        ]


ATTENTION = [
    ("mha", lambda nn: nn.MultiheadAttention(8, 2), [(4, 2, 8), (5, 2, 8), (5, 2, 8)], {}),
    (
        "mha_bf",
        lambda nn: nn.MultiheadAttention(8, 4, batch_first=True),
        [(2, 4, 8), (2, 4, 8), (2, 4, 8)],
        {},
    ),
    (
        "mha_heads_weights",
        lambda nn: nn.MultiheadAttention(8, 2),
        [(4, 2, 8)] * 3,
        {"average_attn_weights": False},
    ),
    (
        "mha_kdim",
        lambda nn: nn.MultiheadAttention(8, 2, kdim=5, vdim=3),
        [(4, 2, 8), (6, 2, 5), (6, 2, 3)],
        {},
    ),
]


@pytest.mark.parametrize("name,make,specs,kw", ATTENTION, ids=[x[0] for x in ATTENTION])
def test_attention(name, make, specs, kw):
    compare_module(make, specs, call=lambda m, q, k, v: m(q, k, v, **kw), rtol=1e-4, atol=1e-5)


def test_attention_masks():
    def call(m, q, kpm, mask):
        return m(q, q, q, key_padding_mask=kpm, attn_mask=mask)

    compare_module(
        lambda nn: nn.MultiheadAttention(8, 2, batch_first=True),
        [(2, 4, 8), ("bool", (2, 4)), ("bool", (4, 4))],
        call=call,
        rtol=1e-4,
        atol=1e-5,
    )


def test_attention_causal_bool_mask():
    mask = np.triu(np.ones((4, 4), bool), 1)

    def call(m, q):
        lib = torch if isinstance(q, torch.Tensor) else tensorish
        return m(q, q, q, attn_mask=lib.tensor(mask))

    compare_module(lambda nn: nn.MultiheadAttention(8, 2), [(4, 2, 8)], call=call, rtol=1e-4)


@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu")])
def test_transformer_encoder_layer(norm_first, activation):
    compare_module(
        lambda nn: nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, norm_first=norm_first, activation=activation, batch_first=True
        ),
        [(2, 5, 8)],
        rtol=1e-4,
        atol=1e-5,
    )


def test_transformer_encoder():
    compare_module(
        lambda nn: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
            2,
            norm=nn.LayerNorm(8),
        ),
        [(2, 5, 8)],
        rtol=1e-4,
        atol=1e-5,
    )


def test_transformer_encoder_layer_eval_with_mask():
    compare_module(
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16),
        [(5, 2, 8), ("bool", (2, 5))],
        train=False,
        call=lambda m, x, kpm: m(x, src_key_padding_mask=kpm),
        rtol=1e-4,
        atol=1e-5,
    )

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


# -- transformer ---------------------------------------------------------------------------

S, T, N, E = 5, 4, 2, 8
SRC_PAD = np.array([[False] * 5, [False, False, False, True, True]])
TGT_PAD = np.array([[False] * 4, [False, False, True, True]])
MEMORY_MASK = RNG.normal(size=(T, S)).astype(np.float32)


def _masks(m, bool_masks):
    causal = m.nn.Transformer.generate_square_subsequent_mask(T)
    memory = m.tensor(MEMORY_MASK)
    if bool_masks:
        causal, memory = causal != 0, memory > 1.0
    return causal, memory


@pytest.mark.parametrize(
    "kw,bool_masks",
    [
        ({}, False),
        ({"norm_first": True, "batch_first": True, "activation": "gelu"}, True),
        ({"batch_first": True, "bias": False}, True),
    ],
    ids=["default", "norm_first_gelu", "nobias"],
)
def test_transformer_matches_torch(kw, bool_masks):
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):
        tm = torch.nn.Transformer(E, 2, 1, 1, 16, dropout=0.0, **kw)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):
        sm = tensorish.nn.Transformer(E, 2, 1, 1, 16, dropout=0.0, **kw)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    _copy_weights(tm, sm)
    bf = kw.get("batch_first", False)
    src_t, src_s = _pair((N, S, E) if bf else (S, N, E), requires_grad=True)
    tgt_t, tgt_s = _pair((N, T, E) if bf else (T, N, E), requires_grad=True)
    outs = []
    for m, src, tgt in ((torch, src_t, tgt_t), (tensorish, src_s, tgt_s)):
        causal, memory = _masks(m, bool_masks)
        pad, tpad = m.tensor(SRC_PAD), m.tensor(TGT_PAD)
        if not bool_masks:
            pad = m.zeros(N, S).masked_fill(pad, float("-inf"))
            tpad = m.zeros(N, T).masked_fill(tpad, float("-inf"))
        model = tm if m is torch else sm
        outs.append(
            model(
                src,
                tgt,
                tgt_mask=causal,
                memory_mask=memory,
                src_key_padding_mask=pad,
                tgt_key_padding_mask=tpad,
                memory_key_padding_mask=pad,
            )
        )
    assert_same(outs[0], outs[1], "forward", atol=2e-6)
    assert type(outs[1].grad_fn).__name__ == type(outs[0].grad_fn).__name__
    if bool_masks:
        return  # the backward of these variants runs through the same ops' vjps
    (outs[0] ** 2).sum().backward()
    (outs[1] ** 2).sum().backward()
    assert_same(src_t.grad, src_s.grad, "src grad", atol=2e-6)
    assert_same(tgt_t.grad, tgt_s.grad, "tgt grad", atol=2e-6)
    for (name, a), b in zip(tm.named_parameters(), sm.parameters()):
        assert_same(a.grad, b.grad, name, rtol=1e-4, atol=1e-5)


def test_decoder_is_causal_and_unbatched():
    torch.manual_seed(0)
    tl = torch.nn.TransformerDecoderLayer(
        E, 2, 16, dropout=0.0, activation=torch.nn.functional.silu
    )
    sl = tensorish.nn.TransformerDecoderLayer(
        E, 2, 16, dropout=0.0, activation=tensorish.nn.functional.silu
    )
    td, sd = torch.nn.TransformerDecoder(tl, 2), tensorish.nn.TransformerDecoder(sl, 2)
    _copy_weights(td, sd)
    for shape_t, shape_m in (((T, N, E), (S, N, E)), ((T, E), (S, E))):
        tgt_t, tgt_s = _pair(shape_t)
        mem_t, mem_s = _pair(shape_m)
        causal_t = torch.nn.Transformer.generate_square_subsequent_mask(T)
        causal_s = tensorish.nn.Transformer.generate_square_subsequent_mask(T)
        assert_same(causal_t, causal_s, "mask")
        for hint in (None, True):
            out_t = td(tgt_t, mem_t, tgt_mask=causal_t, tgt_is_causal=hint)
            out_s = sd(tgt_s, mem_s, tgt_mask=causal_s, tgt_is_causal=hint)
            assert_same(out_t, out_s, f"hint={hint}", atol=2e-6)
        # a wrong hint: torch takes is_causal and ignores the mask on this path
        ones_t, ones_s = torch.zeros(T, T), tensorish.zeros(T, T)
        out_t = td.layers[0](tgt_t, mem_t, tgt_mask=ones_t, tgt_is_causal=True)
        out_s = sd.layers[0](tgt_s, mem_s, tgt_mask=ones_s, tgt_is_causal=True)
        assert_same(out_t, out_s, "hint", atol=2e-6)


def test_encoder_eval_padding_zeros_like_torch_fast_path():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, batch_first=True)
    sl = tensorish.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, batch_first=True)
    te = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(E)).eval()
    se = tensorish.nn.TransformerEncoder(sl, 2, norm=tensorish.nn.LayerNorm(E)).eval()
    _copy_weights(te, se)
    src_t, src_s = _pair((N, S, E))
    for pad in (SRC_PAD, SRC_PAD[:, ::-1].copy()):  # left-aligned, then not
        with torch.no_grad(), tensorish.no_grad():
            out_t = te(src_t, src_key_padding_mask=torch.tensor(pad))
            out_s = se(src_s, src_key_padding_mask=tensorish.tensor(pad))
        assert_same(out_t, out_s, "eval", atol=2e-6)


def test_transformer_errors_and_warnings():
    def model(m):
        return m.nn.Transformer(E, 2, 1, 1, 16, batch_first=True)

    assert_same_error(lambda m: model(m)(m.ones(2, 3, E), m.ones(3, 3, E)))
    assert_same_error(lambda m: model(m)(m.ones(2, 3, E), m.ones(2, 3, 4)))
    assert_same_error(lambda m: m.nn.TransformerDecoderLayer(E, 2, activation="tanh"))
    layer = lambda m: m.nn.TransformerDecoderLayer(E, 2, 16)  # noqa: E731
    x = lambda m: (m.ones(T, N, E), m.ones(S, N, E))  # noqa: E731
    assert_same_error(lambda m: layer(m)(*x(m), tgt_is_causal=True))
    assert_same_error(lambda m: layer(m)(*x(m), tgt_mask=m.zeros(T, T, dtype=m.int64)))
    # the cross-attention's checks, on the MultiheadAttention they run in
    attn = lambda m, **kw: m.nn.MultiheadAttention(E, 2)(*x(m), x(m)[1], **kw)  # noqa: E731
    assert_same_error(lambda m: attn(m, attn_mask=m.zeros(S, T)))
    assert_same_error(lambda m: attn(m, attn_mask=m.zeros(2, T, S)))
    assert_same_error(lambda m: attn(m, attn_mask=m.zeros(1, 1, T, S)))
    assert_same_error(lambda m: attn(m, key_padding_mask=m.zeros(S, N)))
    assert_same_error(lambda m: attn(m, key_padding_mask=m.zeros(N, T, 1)))
    for m in (torch, tensorish):
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_m"):
            attn(m, attn_mask=m.zeros(T, S), key_padding_mask=m.zeros(N, S, dtype=m.bool))


# -- small modules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,kw,shapes",
    [
        ("CosineSimilarity", {}, [(3, 4), (3, 4)]),
        ("CosineSimilarity", {"dim": 0, "eps": 1e-3}, [(3, 4), (1, 4)]),
        ("PairwiseDistance", {}, [(3, 4), (3, 4)]),
        ("PairwiseDistance", {"p": 1.0, "keepdim": True}, [(3, 4), (4,)]),
        ("Softmax2d", {}, [(2, 3, 2, 2)]),
        ("Softmax2d", {}, [(3, 2, 2)]),
    ],
)
def test_small_modules(name, kw, shapes):
    tm, sm = getattr(torch.nn, name)(**kw), getattr(tensorish.nn, name)(**kw)
    assert repr(sm) == repr(tm)
    pairs = [_pair(s, requires_grad=True) for s in shapes]
    out_t, out_s = tm(*(p[0] for p in pairs)), sm(*(p[1] for p in pairs))
    assert_same(out_t, out_s, "forward")
    assert type(out_s.grad_fn).__name__ == type(out_t.grad_fn).__name__
    up = RNG.normal(size=tuple(out_t.shape)).astype(np.float32)
    (out_t * torch.tensor(up)).sum().backward()
    (out_s * tensorish.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(pairs):
        assert_same(a.grad, b.grad, f"grad {i}", atol=1e-5)


def test_small_module_errors_and_deprecations():
    assert_same_error(lambda m: m.nn.Softmax2d()(m.ones(2, 3)))
    for m in (torch, tensorish):
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
            loss = m.nn.NLLLoss2d(ignore_index=1)
        assert repr(loss) == "NLLLoss2d()" and loss.ignore_index == 1

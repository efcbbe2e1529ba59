"""nn.utils.rnn (padding, packing) and the recurrent cells against torch: values, dtypes,
gradients, grad_fn names, errors; RNN/LSTM/GRU on PackedSequence batches of varied lengths."""

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, both
from torch.nn.utils import rnn as trnn

import tensorish
from tensorish.nn.utils import rnn as srnn

RNG = np.random.default_rng(0)
LENGTHS = [3, 5, 2, 5]
SEQS = [RNG.normal(size=(n, 3)).astype(np.float32) for n in LENGTHS]


def _pair_seqs(requires_grad=False):
    ts = [torch.tensor(a, requires_grad=requires_grad) for a in SEQS]
    ss = [tensorish.tensor(a, requires_grad=requires_grad) for a in SEQS]
    return ts, ss


def _copy_weights(tm, sm):
    sm.load_state_dict(
        {k: tensorish.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    )


def _lib(m):
    return trnn if m is torch else srnn


@pytest.mark.parametrize(
    "kw",
    [{}, {"batch_first": True}, {"padding_value": -1.0, "padding_side": "left"}],
    ids=["default", "batch_first", "left"],
)
def test_pad_sequence(kw):
    ts, ss = _pair_seqs(requires_grad=True)
    out_t, out_s = trnn.pad_sequence(ts, **kw), srnn.pad_sequence(ss, **kw)
    assert_same(out_t, out_s, "pad")
    assert type(out_s.grad_fn).__name__ == type(out_t.grad_fn).__name__ == "CopySlices"
    up = np.linspace(0.5, 1.5, out_t.numel()).reshape(out_t.shape).astype(np.float32)
    (out_t * torch.tensor(up)).sum().backward()
    (out_s * tensorish.tensor(up)).sum().backward()
    for a, b in zip(ts, ss):
        assert_same(a.grad, b.grad, "grad")


def test_pad_sequence_dtype_and_errors():
    a_t, a_s = both([1, 2], "int64")
    b_t, b_s = both([1.5, 2.5, 3.5])
    assert_same(trnn.pad_sequence([a_t, b_t]), srnn.pad_sequence([a_s, b_s]), "first dtype")
    assert_same(trnn.pad_sequence(torch.ones(2, 3)), srnn.pad_sequence(tensorish.ones(2, 3)), "t")
    assert_same_error(lambda m: _lib(m).pad_sequence([]))
    assert_same_error(lambda m: _lib(m).pad_sequence(3))
    assert_same_error(lambda m: _lib(m).pad_sequence([m.ones(2)], padding_side="up"))
    assert_same_error(lambda m: _lib(m).pad_sequence([m.ones(2, 3), m.ones(1, 2)]))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_and_pad_round_trip(batch_first, as_tensor):
    ts, ss = _pair_seqs(requires_grad=True)
    pt = trnn.pad_sequence(ts, batch_first=batch_first)
    ps = srnn.pad_sequence(ss, batch_first=batch_first)
    lt = torch.tensor(LENGTHS) if as_tensor else LENGTHS
    ls = tensorish.tensor(LENGTHS) if as_tensor else LENGTHS
    kt = trnn.pack_padded_sequence(pt, lt, batch_first=batch_first, enforce_sorted=False)
    ks = srnn.pack_padded_sequence(ps, ls, batch_first=batch_first, enforce_sorted=False)
    assert isinstance(ks, srnn.PackedSequence) and ks._fields == kt._fields
    for a, b in zip(kt, ks):
        assert_same(a, b, "packed")
    # (the packed data's grad_fn differs: torch's PackPaddedSequenceBackward0 is its own kernel)
    with torch.no_grad(), tensorish.no_grad():
        kt = trnn.pack_padded_sequence(pt, lt, batch_first=batch_first, enforce_sorted=False)
        ks = srnn.pack_padded_sequence(ps, ls, batch_first=batch_first, enforce_sorted=False)
        assert repr(ks).replace("tensorish", "torch") == repr(kt)
    kt = trnn.pack_padded_sequence(pt, lt, batch_first=batch_first, enforce_sorted=False)
    ks = srnn.pack_padded_sequence(ps, ls, batch_first=batch_first, enforce_sorted=False)
    out_t, len_t = trnn.pad_packed_sequence(kt, batch_first=batch_first, total_length=6)
    out_s, len_s = srnn.pad_packed_sequence(ks, batch_first=batch_first, total_length=6)
    assert_same(out_t, out_s, "padded")
    assert_same(len_t, len_s, "lengths")
    up = np.linspace(0.5, 1.5, out_t.numel()).reshape(out_t.shape).astype(np.float32)
    (out_t * torch.tensor(up)).sum().backward()
    (out_s * tensorish.tensor(up)).sum().backward()
    for a, b in zip(ts, ss):
        assert_same(a.grad, b.grad, "grad")


def test_pack_sequence_unpack_and_unpad():
    ts, ss = _pair_seqs()
    kt, ks = trnn.pack_sequence(ts, enforce_sorted=False), srnn.pack_sequence(ss, False)
    for a, b in zip(trnn.unpack_sequence(kt), srnn.unpack_sequence(ks)):
        assert_same(a, b, "unpacked")
    pt, ps = trnn.pad_sequence(ts), srnn.pad_sequence(ss)
    lt, ls = torch.tensor(LENGTHS), tensorish.tensor(LENGTHS)
    for a, b in zip(trnn.unpad_sequence(pt, lt), srnn.unpad_sequence(ps, ls)):
        assert_same(a, b, "unpadded")
    assert_same(pt, ps, "transposed in place, as torch does")
    assert_same(trnn.invert_permutation(lt.argsort()), srnn.invert_permutation(ls.argsort()), "i")
    t64, s64 = kt.to(torch.float64), ks.to(tensorish.float64)
    assert_same(t64.data, s64.data, "to")
    assert ks.to(tensorish.float32) is ks and ks.double().data.dtype is tensorish.float64


def test_pack_errors():
    def pack(lengths, **kw):
        return lambda m: _lib(m).pack_padded_sequence(m.zeros(4, 3, 2), lengths, **kw)

    assert_same_error(pack([3, 4, 1]))
    assert_same_error(pack([4, 0, 0]))
    assert_same_error(pack([4, 3]))
    assert_same_error(lambda m: _lib(m).pack_padded_sequence(m.zeros(4, 3), m.tensor([[4, 3, 1]])))
    assert_same_error(
        lambda m: _lib(m).pad_packed_sequence(
            _lib(m).pack_sequence([m.ones(3), m.ones(2)]), total_length=2
        )
    )
    assert_same_error(lambda m: _lib(m).PackedSequence(m.ones(3)))


@pytest.mark.parametrize(
    "mode,kw,given_state",
    [
        ("LSTM", {"num_layers": 2, "bidirectional": True}, False),
        ("LSTM", {"num_layers": 2, "bidirectional": True}, True),
        ("GRU", {"bidirectional": True}, True),
        ("RNN", {"num_layers": 2, "nonlinearity": "relu"}, False),
    ],
)
def test_rnn_on_packed_sequence(mode, kw, given_state):
    torch.manual_seed(0)
    tm = getattr(torch.nn, mode)(3, 4, **kw)
    sm = getattr(tensorish.nn, mode)(3, 4, **kw)
    _copy_weights(tm, sm)
    ts, ss = _pair_seqs(requires_grad=True)
    kt, ks = trnn.pack_sequence(ts, enforce_sorted=False), srnn.pack_sequence(ss, False)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    state_t = state_s = None
    if given_state:
        h0 = RNG.normal(size=(layers, len(LENGTHS), 4)).astype(np.float32)
        state_t, state_s = torch.tensor(h0), tensorish.tensor(h0)
        if mode == "LSTM":
            state_t, state_s = (state_t, state_t * 2), (state_s, state_s * 2)
    out_t, h_t = tm(kt, state_t)
    out_s, h_s = sm(ks, state_s)
    assert isinstance(out_s, srnn.PackedSequence)
    for a, b in zip(out_t, out_s):
        assert_same(a, b, "output", atol=1e-6)
    assert_same(h_t, h_s, "final state", atol=1e-6)
    if mode == "LSTM":
        h_t, h_s = h_t[0] + h_t[1] * 2, h_s[0] + h_s[1] * 2
    pad_t, _ = trnn.pad_packed_sequence(out_t)
    pad_s, _ = srnn.pad_packed_sequence(out_s)
    up = np.linspace(0.5, 1.5, pad_t.numel()).reshape(pad_t.shape).astype(np.float32)
    ((pad_t * torch.tensor(up)).sum() + (h_t**2).sum()).backward()
    ((pad_s * tensorish.tensor(up)).sum() + (h_s**2).sum()).backward()
    for a, b in zip(ts, ss):
        assert_same(a.grad, b.grad, "input grad", atol=2e-6)
    for (name, a), b in zip(tm.named_parameters(), sm.parameters()):
        assert_same(a.grad, b.grad, name, rtol=1e-4, atol=5e-6)


def test_packed_hidden_size_error():
    def run(m):
        packed = _lib(m).pack_sequence([m.ones(3, 3), m.ones(2, 3)])
        return m.nn.GRU(3, 4)(packed, m.zeros(1, 3, 4))

    assert_same_error(run)


CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}),
    ("GRUCell", {}),
]


@pytest.mark.parametrize("name,kw", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_cells(name, kw, batched):
    torch.manual_seed(0)
    tm, sm = getattr(torch.nn, name)(3, 4, **kw), getattr(tensorish.nn, name)(3, 4, **kw)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    _copy_weights(tm, sm)
    shape = (2, 3) if batched else (3,)
    x_t, x_s = both(RNG.normal(size=shape).astype(np.float32), requires_grad=True)
    h = RNG.normal(size=shape[:-1] + (4,)).astype(np.float32)
    hx_t, hx_s = torch.tensor(h), tensorish.tensor(h)
    if name == "LSTMCell":
        hx_t, hx_s = (hx_t, hx_t * 0.5), (hx_s, hx_s * 0.5)
    for state_t, state_s in ((None, None), (hx_t, hx_s)):
        out_t, out_s = tm(x_t, state_t), sm(x_s, state_s)
        assert_same(out_t, out_s, "forward")
        outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
        outs_s = out_s if isinstance(out_s, tuple) else (out_s,)
        for a, b in zip(outs_t, outs_s):
            assert type(b.grad_fn).__name__ == type(a.grad_fn).__name__
        sum(o.sum() * (k + 1) for k, o in enumerate(outs_t)).backward()
        sum(o.sum() * (k + 1) for k, o in enumerate(outs_s)).backward()
        assert_same(x_t.grad, x_s.grad, "input grad")
        for (pname, a), b in zip(tm.named_parameters(), sm.parameters()):
            assert_same(a.grad, b.grad, pname, atol=1e-5)


def test_cell_init_and_errors():
    tensorish.manual_seed(0)
    cell = tensorish.nn.GRUCell(5, 16)
    bound = 1 / 4
    for p in cell.parameters():
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert_same_error(lambda m: m.nn.RNNCell(3, 4)(m.ones(2, 5)))
    assert_same_error(lambda m: m.nn.RNNCell(3, 4)(m.ones(2, 3), m.ones(3, 4)))
    assert_same_error(lambda m: m.nn.GRUCell(3, 4)(m.ones(2, 3), m.ones(2, 5)))
    assert_same_error(lambda m: m.nn.GRUCell(3, 4)(m.ones(1, 2, 3)))
    assert_same_error(lambda m: m.nn.LSTMCell(3, 4)(m.ones(3), (m.ones(1, 2, 4), m.ones(4))))
    assert_same_error(lambda m: m.nn.RNNCell(3, 4, nonlinearity="foo")(m.ones(3)))


@pytest.mark.parametrize(
    "mode,input_shape,state_shapes,kw",
    [
        ("LSTM", (5, 2, 3), [(1, 3, 4), (1, 2, 4)], {}),
        ("LSTM", (5, 2, 3), [(1, 2, 4), (1, 3, 4)], {}),
        ("LSTM", (5, 2, 3), [(2, 4), (1, 2, 4)], {}),
        ("LSTM", (5, 3), [(1, 1, 4), (1, 4)], {}),
        ("GRU", (5, 2, 3), [(2, 4)], {}),
        ("GRU", (5, 3), [(1, 1, 4)], {}),
        ("GRU", (5, 3), [(2, 4)], {}),
        ("GRU", (5, 2, 3), [(1, 2, 4)], {"batch_first": True}),
        ("RNN", (1, 1, 1, 3), None, {}),
        ("GRU", (1, 1, 1, 3), None, {}),
        ("GRU", (5, 2, 5), None, {}),
    ],
)
def test_rnn_argument_errors(mode, input_shape, state_shapes, kw):
    def run(m):
        states = None if state_shapes is None else [m.zeros(s) for s in state_shapes]
        if mode != "LSTM" and states is not None:
            states = states[0]
        return getattr(m.nn, mode)(3, 4, **kw)(m.ones(input_shape), states)

    assert_same_error(run)
    assert_same_error(lambda m: m.nn.GRU(3, 4)(m.ones(5, 2, 3, dtype=m.float64)))

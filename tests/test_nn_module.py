"""nn.Module, Parameter, containers, state_dict, hooks, init and utils against torch, and a small
MLP trained step for step against torch."""

import copy
import math

import numpy as np
import pytest
import torch
from oracle import assert_same

import tensorish


def both(make):
    """The same construction under torch.nn and tensorish.nn, tensorish holding torch's
    weights."""
    torch.manual_seed(0)
    t, s = make(torch.nn), make(tensorish.nn)
    s.load_state_dict(t.state_dict())
    return t, s


def _same_text(t: str, s: str) -> None:
    assert s == t.replace("torch.", "tensorish.")


def _zoo(nn):
    return nn.Sequential(
        nn.Linear(2, 3),
        nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.ReLU(), nn.Linear(1, 1)]),
        nn.ModuleDict({"x": nn.Tanh()}),
        nn.MultiheadAttention(4, 2),
        nn.TransformerEncoderLayer(4, 2, 8),
        nn.LSTM(2, 3, 2, bidirectional=True),
        nn.GRU(2, 3, batch_first=True, dropout=0.5, num_layers=2),
        nn.RNN(2, 3, bias=False),
        nn.BatchNorm2d(3),
        nn.BatchNorm1d(3, affine=False, momentum=None),
        nn.LayerNorm(4),
        nn.LayerNorm([2, 3], elementwise_affine=False),
        nn.GroupNorm(2, 4),
        nn.RMSNorm([4]),
        nn.Embedding(5, 2, padding_idx=0),
        nn.Conv2d(3, 4, 3, padding="same"),
        nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, bias=False),
        nn.Conv2d(4, 4, (3, 1), groups=2),
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1),
        nn.MaxPool1d(2),
        nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        nn.AvgPool2d(3, 2, 1),
        nn.AvgPool1d(2),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Dropout(),
        nn.Dropout(0.2, True),
        nn.GELU("tanh"),
        nn.Softmax(dim=1),
        nn.LogSoftmax(),
        nn.Softmin(0),
        nn.Softplus(),
        nn.LeakyReLU(),
        nn.LeakyReLU(0.2, inplace=True),
        nn.ELU(),
        nn.CELU(0.5),
        nn.SELU(),
        nn.Hardtanh(),
        nn.ReLU6(),
        nn.ReLU(inplace=True),
        nn.Flatten(),
        nn.Unflatten(1, (2, 2)),
        nn.Bilinear(2, 3, 4),
        nn.Identity(),
        nn.CrossEntropyLoss(),
        nn.MSELoss(),
        nn.BCEWithLogitsLoss(),
        nn.Threshold(0.1, 2.0),
        nn.PReLU(),
        nn.GLU(),
        nn.Sigmoid(),
        nn.Hardswish(),
        nn.Hardsigmoid(),
        nn.SiLU(),
        nn.Mish(),
        nn.Tanh(),
        nn.LogSigmoid(),
        nn.Linear(3, 3, bias=False),
        nn.Sequential(),
        nn.ModuleList(),
        nn.Dropout1d(0.3),
        nn.Dropout2d(),
        nn.TransformerEncoder(
            nn.TransformerEncoderLayer(4, 2, 8), 2, norm=nn.LayerNorm(4), enable_nested_tensor=False
        ),
    )


def test_repr_zoo():
    t, s = both(_zoo)
    _same_text(repr(t), repr(s))


def test_parameter_containers_repr():
    for make in (
        lambda nn, lib: nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.ones(1)]),
        lambda nn, lib: nn.ParameterDict({"a": nn.Parameter(lib.ones(2)), "b": lib.zeros(3, 1)}),
    ):
        t, s = make(torch.nn, torch), make(tensorish.nn, tensorish)
        _same_text(repr(t), repr(s))
        assert list(t.state_dict()) == list(s.state_dict())
        assert all(isinstance(p, tensorish.nn.Parameter) for p in s.parameters())


def test_state_dict_keys_and_values():
    t, s = both(_zoo)
    ts, ss = t.state_dict(), s.state_dict()
    assert list(ts) == list(ss)
    for k in ts:
        assert_same(ts[k], ss[k], k)
        assert ss[k].grad_fn is None and not ss[k].requires_grad
    assert list(s.state_dict(keep_vars=True).values())[0] is s[0].weight
    assert list(s.state_dict(prefix="m.")) == list(t.state_dict(prefix="m."))


def test_named_members():
    t, s = both(_zoo)
    for fn in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(t, fn)()] == [n for n, _ in getattr(s, fn)()], fn
    assert [n for n, _ in t.named_parameters(prefix="p", recurse=True)] == [
        n for n, _ in s.named_parameters(prefix="p", recurse=True)
    ]
    assert [n for n, _ in t[0].named_parameters(recurse=False)] == [
        n for n, _ in s[0].named_parameters(recurse=False)
    ]
    assert len(list(s.parameters())) == len(list(t.parameters()))
    assert len(list(s.modules())) == len(list(t.modules()))
    assert len(list(s.children())) == len(list(t.children()))
    assert len(list(s.buffers())) == len(list(t.buffers()))


def test_shared_parameters_dedup():
    def make(nn):
        lin = nn.Linear(2, 2)
        return nn.Sequential(lin, nn.ReLU(), lin)

    t, s = both(make)
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in s.named_parameters()]
    assert [n for n, _ in t.named_parameters(remove_duplicate=False)] == [
        n for n, _ in s.named_parameters(remove_duplicate=False)
    ]
    assert [n for n, _ in t.named_modules()] == [n for n, _ in s.named_modules()]
    assert list(t.state_dict()) == list(s.state_dict())


class _Net:
    """A user module written once, built over either library."""

    @staticmethod
    def make(nn, lib):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
                self.scale = nn.Parameter(lib.ones(2))
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("cache", lib.ones(2), persistent=False)
                self.blocks = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
                self.plain = 5

            def forward(self, x):
                return self.blocks(self.fc(x)) * self.scale

        return Net()


def test_custom_module_registration():
    t, s = _Net.make(torch.nn, torch), _Net.make(tensorish.nn, tensorish)
    assert list(t.state_dict()) == list(s.state_dict())
    assert [n for n, _ in t.named_buffers()] == [n for n, _ in s.named_buffers()]
    assert s.plain == 5 and "plain" not in s._parameters
    _same_text(repr(t), repr(s))
    # reassigning: a Parameter replaces, None clears, a Module moves between stores
    s.scale = None
    assert s.scale is None and "scale" not in dict(s.named_parameters())
    s.fc = tensorish.nn.Identity()
    assert "fc.weight" not in s.state_dict()
    del s.blocks
    assert "blocks" not in s._modules
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'blocks'"):
        getattr(s, "blocks")  # noqa: B009
    assert isinstance(s.get_submodule("fc"), tensorish.nn.Identity)


SETATTR_ERRORS = [
    ("param_as_tensor", lambda m, lib: setattr(m, "scale", lib.ones(2))),
    ("module_as_int", lambda m, lib: setattr(m, "fc", 3)),
    ("buffer_as_int", lambda m, lib: setattr(m, "steps", 3)),
    ("register_dot", lambda m, lib: m.register_buffer("a.b", lib.ones(1))),
    ("register_empty", lambda m, lib: m.register_parameter("", None)),
    ("register_exists", lambda m, lib: m.register_buffer("plain", lib.ones(1))),
    ("register_not_param", lambda m, lib: m.register_parameter("p", lib.ones(1))),
    ("add_module_bad", lambda m, lib: m.add_module("x", 3)),
    ("get_submodule", lambda m, lib: m.get_submodule("blocks.7")),
    ("get_submodule_not_module", lambda m, lib: m.get_submodule("fc.weight")),
    ("get_parameter", lambda m, lib: m.get_parameter("fc.nope")),
    ("get_parameter_not_param", lambda m, lib: m.get_parameter("steps")),
    ("missing_attr", lambda m, lib: m.nope),
    ("train_mode", lambda m, lib: m.train("yes")),
]


@pytest.mark.parametrize("name,fn", SETATTR_ERRORS, ids=[e[0] for e in SETATTR_ERRORS])
def test_module_errors(name, fn):
    t, s = _Net.make(torch.nn, torch), _Net.make(tensorish.nn, tensorish)
    with pytest.raises(Exception) as et:
        fn(t, torch)
    with pytest.raises(Exception) as es:
        fn(s, tensorish)
    assert type(es.value) is type(et.value)
    _same_text(str(et.value), str(es.value))


def test_get_parameter_and_submodule():
    s = _Net.make(tensorish.nn, tensorish)
    assert s.get_parameter("blocks.0.weight") is s.blocks[0].weight
    assert s.get_submodule("blocks.1").__class__.__name__ == "Tanh"
    assert s.get_submodule("") is s
    assert s.get_buffer("steps") is s.steps


LOAD_CASES = [
    ("missing", lambda sd: {k: v for k, v in sd.items() if k != "fc.bias"}, True),
    ("unexpected", lambda sd: {**sd, "fc.extra": sd["fc.bias"], "zzz.w": sd["fc.bias"]}, True),
    (
        "both",
        lambda sd: {**{k: v for k, v in sd.items() if "blocks" not in k}, "extra": sd["fc.bias"]},
        True,
    ),
    ("size", lambda sd: {**sd, "fc.weight": sd["blocks.0.weight"]}, True),
    (
        "nonstrict",
        lambda sd: {**{k: v for k, v in sd.items() if k != "scale"}, "extra": sd["fc.bias"]},
        False,
    ),
    ("nonstrict_size", lambda sd: {**sd, "scale": sd["steps"]}, False),
]


@pytest.mark.parametrize("name,edit,strict", LOAD_CASES, ids=[c[0] for c in LOAD_CASES])
def test_load_state_dict_errors(name, edit, strict):
    t, s = _Net.make(torch.nn, torch), _Net.make(tensorish.nn, tensorish)
    sd_t = edit(t.state_dict())
    sd_s = edit(s.state_dict())
    try:
        rt = t.load_state_dict(sd_t, strict=strict)
    except RuntimeError as e:
        with pytest.raises(RuntimeError) as es:
            s.load_state_dict(sd_s, strict=strict)
        _same_text(str(e), str(es.value))
    else:
        rs = s.load_state_dict(sd_s, strict=strict)
        assert repr(rt) == repr(rs) and tuple(rt) == tuple(rs)


def test_load_state_dict_copies_values():
    t, s = _Net.make(torch.nn, torch), _Net.make(tensorish.nn, tensorish)
    w = s.fc.weight
    assert repr(s.load_state_dict(t.state_dict())) == "<All keys matched successfully>"
    assert s.fc.weight is w  # copied in place, the Parameter object stays
    for (k, a), b in zip(t.state_dict().items(), s.state_dict().values()):
        assert_same(a, b, k)
    # torch and NumPy arrays load too, cast to the parameter's dtype
    s.load_state_dict({k: v.double().numpy() for k, v in t.state_dict().items()})
    assert s.fc.weight.dtype is tensorish.float32


def test_load_state_dict_assign():
    t, s = _Net.make(torch.nn, torch), _Net.make(tensorish.nn, tensorish)
    old = s.fc.weight
    s.fc.weight.requires_grad_(False)
    s.load_state_dict(
        {k: tensorish.tensor(v.numpy()) for k, v in t.state_dict().items()}, assign=True
    )
    assert s.fc.weight is not old and isinstance(s.fc.weight, tensorish.nn.Parameter)
    assert not s.fc.weight.requires_grad and s.fc.bias.requires_grad
    for (k, a), b in zip(t.state_dict().items(), s.state_dict().values()):
        assert_same(a, b, k)


def test_parameter():
    p = tensorish.nn.Parameter(tensorish.ones(2))
    tp = torch.nn.Parameter(torch.ones(2))
    assert isinstance(p, tensorish.Tensor) and p.requires_grad and p.is_leaf
    _same_text(repr(tp), repr(p))
    _same_text(
        repr(torch.nn.Parameter(torch.ones(2), requires_grad=False)),
        repr(tensorish.nn.Parameter(tensorish.ones(2), requires_grad=False)),
    )
    y = p * 2
    assert type(y) is tensorish.Tensor and y.grad_fn is not None
    with pytest.raises(RuntimeError) as e:
        tensorish.nn.Parameter(tensorish.tensor([1, 2]))
    with pytest.raises(RuntimeError) as et:
        torch.nn.Parameter(torch.tensor([1, 2]))
    assert str(e.value) == str(et.value)
    q = copy.deepcopy(p)
    assert type(q) is tensorish.nn.Parameter and q is not p and q.requires_grad
    assert_same(tp, q, "deepcopy")


def test_hooks():
    log = []
    t, s = both(lambda nn: nn.Linear(3, 2))
    for m, lib in ((t, torch), (s, tensorish)):
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
        h3 = m.register_forward_hook(lambda mod, args, out: log.append(type(mod).__name__))
        x = lib.ones(1, 3)
        hooked = m(x)
        h1.remove()
        h2.remove()
        h3.remove()
        log.append(m(x))
        log.append(hooked)
    assert log[0] == log[3] == "Linear"
    assert_same(log[1], log[4], "unhooked")
    assert_same(log[2], log[5], "hooked")


def test_transformer_encoder_nested_warning():
    msgs = []
    for nn in (torch.nn, tensorish.nn):
        with pytest.warns(UserWarning) as w:
            nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2)
        msgs.append([str(m.message) for m in w])
    assert msgs[0] == msgs[1]


def test_train_eval_apply_requires_grad():
    t, s = both(_zoo)
    s.eval()
    assert not any(m.training for m in s.modules())
    s.train()
    assert all(m.training for m in s.modules())
    names = []
    s.apply(lambda m: names.append(type(m).__name__))
    tnames = []
    t.apply(lambda m: tnames.append(type(m).__name__))
    assert names == tnames
    s.requires_grad_(False)
    assert not any(p.requires_grad for p in s.parameters())


def test_zero_grad():
    t, s = both(lambda nn: nn.Linear(3, 2))
    for m, lib in ((t, torch), (s, tensorish)):
        m(lib.ones(2, 3)).sum().backward()
    assert_same(t.weight.grad, s.weight.grad, "grad")
    s.zero_grad(set_to_none=False)
    t.zero_grad(set_to_none=False)
    assert_same(t.weight.grad, s.weight.grad, "zeroed")
    s.zero_grad()
    assert s.weight.grad is None and s.bias.grad is None


def test_to_dtype():
    t, s = both(lambda nn: nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)))
    w = s[0].weight
    s.double()
    t.double()
    assert s[0].weight is w and w.dtype is tensorish.float64
    assert s[1].num_batches_tracked.dtype is tensorish.int64
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert_same(t(torch.tensor(x)), s(tensorish.tensor(x)), "float64 forward")
    s.to(tensorish.float32)
    assert w.dtype is tensorish.float32
    s.half()
    assert w.dtype is tensorish.float16
    s.float().to("cpu").cpu()
    assert w.dtype is tensorish.float32 and str(w.device) == "cpu"
    s.to(device="cpu", dtype=tensorish.float64)
    assert w.dtype is tensorish.float64


def test_sequential_api():
    t, s = both(lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    assert type(s[1]).__name__ == "ReLU" and s[-1] is s[2]
    _same_text(repr(t[1:]), repr(s[1:]))
    assert list(t[::-1].state_dict()) == list(s[::-1].state_dict())
    t.append(torch.nn.Tanh())
    s.append(tensorish.nn.Tanh())
    _same_text(repr(t), repr(s))
    del t[0]
    del s[0]
    _same_text(repr(t), repr(s))
    assert len(s) == len(t) == 3
    t.insert(1, torch.nn.Sigmoid())
    s.insert(1, tensorish.nn.Sigmoid())
    _same_text(repr(t + t), repr(s + s))
    with pytest.raises(IndexError, match="index 10 is out of range"):
        s[10]
    from collections import OrderedDict

    od = tensorish.nn.Sequential(OrderedDict([("a", tensorish.nn.ReLU())]))
    assert list(dict(od.named_children())) == ["a"]


def test_module_list_dict_api():
    ml = tensorish.nn.ModuleList([tensorish.nn.ReLU()])
    ml.append(tensorish.nn.Tanh())
    ml.extend([tensorish.nn.Linear(1, 1)])
    ml += [tensorish.nn.Sigmoid()]
    ml.insert(0, tensorish.nn.GELU())
    assert [type(m).__name__ for m in ml] == ["GELU", "ReLU", "Tanh", "Linear", "Sigmoid"]
    assert type(ml[1:3]).__name__ == "ModuleList" and len(ml[1:3]) == 2
    assert list(ml.state_dict()) == ["3.weight", "3.bias"]
    md = tensorish.nn.ModuleDict({"a": tensorish.nn.ReLU()})
    md["b"] = tensorish.nn.Linear(1, 2)
    assert list(md.keys()) == ["a", "b"] and "b" in md and len(md) == 2
    assert list(md.state_dict()) == ["b.weight", "b.bias"]
    md.pop("a")
    assert list(md) == ["b"]


def test_init_distributions():
    init = tensorish.nn.init
    w = tensorish.empty(400, 300)
    init.uniform_(w, -0.5, 0.25)
    v = w.numpy()
    assert v.min() >= -0.5 and v.max() <= 0.25 and abs(v.mean() + 0.125) < 0.01
    init.normal_(w, 1.0, 2.0)
    assert abs(w.numpy().mean() - 1.0) < 0.02 and abs(w.numpy().std() - 2.0) < 0.02
    init.trunc_normal_(w, 0.0, 1.0, -0.5, 0.5)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 0.5
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert abs(w.numpy().max() - 1 / math.sqrt(300)) < 1e-3
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 400)) < 2e-3
    init.xavier_uniform_(w, gain=2.0)
    assert abs(w.numpy().max() - 2 * math.sqrt(6 / 700)) < 1e-3
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 700)) < 1e-3
    q = init.orthogonal_(tensorish.empty(3, 5), gain=2.0).numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)
    assert_same(torch.nn.init.eye_(torch.empty(3, 4)), init.eye_(tensorish.empty(3, 4)), "eye")
    assert_same(
        torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2),
        init.dirac_(tensorish.empty(4, 2, 3, 3), groups=2),
        "dirac",
    )
    assert_same(
        torch.nn.init.constant_(torch.empty(2), 0.3),
        init.constant_(tensorish.empty(2), 0.3),
        "constant",
    )
    for nl, param in (
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv2d", None),
        ("leaky_relu", None),
    ):
        assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)
    p = tensorish.nn.Parameter(tensorish.ones(3))
    init.zeros_(p)
    assert p.grad_fn is None and p.requires_grad
    g1, g2 = tensorish.Generator().manual_seed(3), tensorish.Generator().manual_seed(3)
    a = init.normal_(tensorish.empty(5), generator=g1).numpy()
    np.testing.assert_array_equal(a, init.normal_(tensorish.empty(5), generator=g2).numpy())


def test_default_init_bounds():
    tensorish.manual_seed(0)
    lin = tensorish.nn.Linear(50, 40)
    b = 1 / math.sqrt(50)
    assert np.abs(lin.weight.numpy(force=True)).max() <= b
    assert np.abs(lin.weight.numpy(force=True)).max() > 0.9 * b
    conv = tensorish.nn.Conv2d(4, 8, 3)
    assert np.abs(conv.bias.numpy(force=True)).max() <= 1 / math.sqrt(36)
    emb = tensorish.nn.Embedding(100, 20, padding_idx=3).weight.numpy(force=True)
    assert (emb[3] == 0).all() and abs(emb.std() - 1) < 0.1
    lstm = tensorish.nn.LSTM(3, 16)
    assert max(np.abs(p.numpy(force=True)).max() for p in lstm.parameters()) <= 0.25
    mha = tensorish.nn.MultiheadAttention(8, 2)
    assert (mha.in_proj_bias.numpy(force=True) == 0).all()


def test_clip_grad_norm():
    for norm_type in (2.0, 1.0, float("inf")):
        t, s = both(lambda nn: nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)))
        x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
        (t(torch.tensor(x)) ** 2).sum().backward()
        (s(tensorish.tensor(x)) ** 2).sum().backward()
        nt = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.5, norm_type)
        ns = tensorish.nn.utils.clip_grad_norm_(s.parameters(), 0.5, norm_type)
        assert_same(nt, ns, "total norm", rtol=1e-5)
        for (n, a), b in zip(t.named_parameters(), s.parameters()):
            assert_same(a.grad, b.grad, n, rtol=1e-5)
    p = tensorish.nn.Parameter(tensorish.ones(2))
    p.grad = tensorish.tensor([float("inf"), 1.0])
    tp = torch.nn.Parameter(torch.ones(2))
    tp.grad = torch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError) as et:
        torch.nn.utils.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as es:
        tensorish.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert str(es.value) == str(et.value)


def test_clip_grad_value_and_vector():
    t, s = both(lambda nn: nn.Linear(4, 3))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    (t(torch.tensor(x)) ** 2).sum().backward()
    (s(tensorish.tensor(x)) ** 2).sum().backward()
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.7)
    tensorish.nn.utils.clip_grad_value_(s.parameters(), 0.7)
    for (n, a), b in zip(t.named_parameters(), s.parameters()):
        assert_same(a.grad, b.grad, n)
    vt = torch.nn.utils.parameters_to_vector(t.parameters())
    vs = tensorish.nn.utils.parameters_to_vector(s.parameters())
    assert_same(vt, vs, "to vector")
    assert type(vs.grad_fn).__name__ == type(vt.grad_fn).__name__
    new = np.arange(15, dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    tensorish.nn.utils.vector_to_parameters(tensorish.tensor(new), s.parameters())
    for (n, a), b in zip(t.named_parameters(), s.parameters()):
        assert_same(a, b, n)


def _mlp(nn):
    return nn.Sequential(
        nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 4)
    )


def test_mlp_training_matches_torch():
    """50 manual SGD steps from the same weights give the same losses as torch."""
    t, s = both(_mlp)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(50, 16, 8)).astype(np.float32)
    ys = rng.integers(0, 4, size=(50, 16))
    lr = 0.1
    losses_t, losses_s = [], []
    for m, lib, losses in ((t, torch, losses_t), (s, tensorish, losses_s)):
        loss_fn = lib.nn.CrossEntropyLoss()
        for x, y in zip(xs, ys):
            loss = loss_fn(m(lib.tensor(x)), lib.tensor(y))
            m.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in m.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    np.testing.assert_allclose(losses_s, losses_t, rtol=1e-4)
    for (n, a), b in zip(t.named_parameters(), s.parameters()):
        assert_same(a, b, n, rtol=1e-4, atol=1e-5)

"""save/load: round trips, torch reading our files and us reading torch's (zip and legacy formats,
state dicts, optimizer state, every dtype), safetensors both ways, map_location, crash-safe
writes (kill -9 mid-save), and hostile files that must fail without running or allocating
anything."""

import io
import json
import os
import pickle
import signal
import stat
import struct
import subprocess
import sys
import tarfile
import tracemalloc
import warnings
import zipfile
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np
import pytest
import safetensors
import safetensors.numpy
import safetensors.torch
import torch
from oracle import assert_same, both, to_numpy

import tensorish
from tensorish import optim

DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def _round_trip(m, obj, **kw):
    buf = io.BytesIO()
    m.save(obj, buf)
    buf.seek(0)
    return m.load(buf, **kw)


def _structure(x):
    """A library-neutral description: container types, keys, tensor dtype/shape/values/grad."""
    if isinstance(x, (torch.dtype, tensorish.dtype)):
        return ("dtype", str(x).split(".")[1])
    if isinstance(x, (torch.device, tensorish.device)):
        return ("device", str(x))
    if isinstance(x, (torch.Tensor, tensorish.Tensor)):
        arr = (
            x.detach().float().numpy()
            if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16
            else np.asarray(x.detach().numpy() if isinstance(x, torch.Tensor) else x.jax()).astype(
                np.float32 if str(x.dtype).endswith("bfloat16") else None
            )
        )
        kind = "P" if isinstance(x, (torch.nn.Parameter, tensorish.nn.Parameter)) else "T"
        return (kind, str(x.dtype).split(".")[1], tuple(x.shape), arr.tolist(), x.requires_grad)
    if isinstance(x, dict):
        return (type(x).__name__, [(_structure(k), _structure(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_structure(v) for v in x])
    return x


def _sample(m):
    w = m.tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True)
    return OrderedDict(
        [
            ("weight", w),
            ("bias", m.zeros(2)),
            ("again", w),
            (
                "nested",
                {
                    "list": [m.tensor(3), m.tensor([], dtype=m.int64)],
                    "none": None,
                    1: "one",
                    "tuple": (1, 2.5, True, "s"),
                },
            ),
            (
                "ints",
                m.arange(6).reshape(2, 3)
                if hasattr(m.Tensor, "reshape")
                else m.tensor([[0, 1, 2], [3, 4, 5]]),
            ),
        ]
    )


def test_round_trip_matches_torch():
    ours = _round_trip(tensorish, _sample(tensorish))
    theirs = _round_trip(torch, _sample(torch))
    assert _structure(ours) == _structure(theirs)
    assert ours["weight"] is ours["again"]  # shared tensors stay shared, as in torch
    assert ours["weight"].is_leaf and ours["weight"].grad is None


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype(name):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2, 3)) * 3
    if name.startswith("complex"):
        data = data + 1j * rng.normal(size=(2, 3))
    t = tensorish.tensor(
        data.astype(np.float64) if not name.startswith("complex") else data,
        dtype=getattr(tensorish, name),
    )
    back = _round_trip(tensorish, t)
    assert back.dtype is t.dtype and back.shape == t.shape
    np.testing.assert_array_equal(np.asarray(back.jax()), np.asarray(t.jax()))


def test_special_values_and_paths(tmp_path):
    obj = {
        "inf": float("inf"),
        "ninf": float("-inf"),
        "big": 2**70,
        "neg": -3,
        "dtype": tensorish.float64,
        "size": tensorish.ones(2, 3).shape,
        "device": tensorish.device("cpu"),
        "scalar": tensorish.tensor(2.5),
    }
    path = tmp_path / "ckpt.pt"
    tensorish.save(obj, path)
    back = tensorish.load(str(path))
    assert back["inf"] == float("inf") and back["ninf"] == float("-inf")
    assert back["big"] == 2**70 and back["dtype"] is tensorish.float64
    assert back["size"] == tensorish.Size([2, 3]) and isinstance(back["size"], tensorish.Size)
    assert back["device"] == tensorish.device("cpu") and back["scalar"].item() == 2.5
    nan = _round_trip(tensorish, [float("nan")])[0]
    assert nan != nan
    with open(path, "rb") as fh:
        assert tensorish.load(fh)["neg"] == -3


def test_map_location():
    t = tensorish.ones(2)
    for loc in ("cpu", tensorish.device("cpu"), {"cpu": "cpu"}, None):
        assert _round_trip(tensorish, t, map_location=loc).device == tensorish.device("cpu")


def test_cuda_file_on_cpu_machine_needs_map_location():
    if tensorish.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    index = _index(
        {
            "t": "tensor",
            "id": 0,
            "dtype": "float32",
            "shape": [2],
            "requires_grad": False,
            "device": "cuda:0",
        }
    )
    data = _craft(index, {"tensors/0.npy": _npy(np.ones(2, np.float32))})
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        tensorish.load(io.BytesIO(data))
    t = tensorish.load(io.BytesIO(data), map_location="cpu")
    assert t.device == tensorish.device("cpu") and t.tolist() == [1.0, 1.0]
    t = tensorish.load(io.BytesIO(data), map_location={"cuda:0": "cpu"})
    assert t.device == tensorish.device("cpu")


def test_unsupported_object_is_refused_on_save():
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        tensorish.save({"x": object()}, io.BytesIO())


def test_optimizer_checkpoint_resumes_like_uninterrupted_training():
    def train(w, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((w - 3) ** 2).sum().backward()
            opt.step()

    w = tensorish.tensor([0.0, 1.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    train(w, opt, 5)
    buf = io.BytesIO()
    tensorish.save({"w": w, "opt": opt.state_dict()}, buf)
    train(w, opt, 5)
    buf.seek(0)
    ckpt = tensorish.load(buf)
    w2 = ckpt["w"]
    assert w2.requires_grad and w2.is_leaf
    opt2 = optim.Adam([w2], lr=0.1)
    opt2.load_state_dict(ckpt["opt"])
    train(w2, opt2, 5)
    assert w2.tolist() == w.tolist()
    assert ckpt["opt"]["state"][0]["step"].item() == 5.0


# -- hostile files ----------------------------------------------------------------------
def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _index(root, **extra):
    return json.dumps({"format": "tensorish", "version": 1, "root": root, **extra}).encode()


def _craft(index, entries=None, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        if index is not None:
            z.writestr("index.json", index)
        for name, data in (entries or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _tensor_ref(dtype="float32", shape=(2,), id=0, **kw):
    return {
        "t": "tensor",
        "id": id,
        "dtype": dtype,
        "shape": list(shape),
        "requires_grad": False,
        **kw,
    }


ONES = {"tensors/0.npy": _npy(np.ones(2, np.float32))}


class _Evil:
    """Unpickling this creates the file ``pwned`` in the current directory."""

    def __reduce__(self):
        return (open, ("pwned", "w"))


def _valid():
    buf = io.BytesIO()
    tensorish.save({"w": tensorish.ones(100), "n": 3}, buf)
    return buf.getvalue()


HOSTILE = {
    "empty": b"",
    "random bytes": bytes(range(256)) * 4,
    "truncated": _valid()[: len(_valid()) // 2],
    "no index": _craft(None, ONES),
    "bad json": _craft(b"{not json", ONES),
    "json NaN constant": _craft(b'{"format": "tensorish", "version": 1, "root": NaN}'),
    "not utf-8": _craft(b"\xff\xfe\x00", ONES),
    "wrong format marker": _craft(json.dumps({"format": "x", "version": 1, "root": 1}).encode()),
    "wrong version": _craft(_index(1, version=99)),
    "no root": _craft(json.dumps({"format": "tensorish", "version": 1}).encode()),
    "unknown tag": _craft(_index({"t": "eval", "v": "__import__('os')"})),
    "bare list": _craft(_index([1, 2])),
    "missing array": _craft(_index(_tensor_ref(id=5)), ONES),
    "wrong dtype": _craft(_index(_tensor_ref(dtype="float64")), ONES),
    "unknown dtype": _craft(_index(_tensor_ref(dtype="object")), ONES),
    "shape mismatch": _craft(_index(_tensor_ref(shape=(3,))), ONES),
    "same size other shape": _craft(_index(_tensor_ref(shape=(1, 2))), ONES),
    "negative dim": _craft(_index(_tensor_ref(shape=(-2,))), ONES),
    "huge declared size": _craft(_index(_tensor_ref(shape=(2**40, 2**40))), ONES),
    "bool dim": _craft(_index(_tensor_ref(shape=(True,))), ONES),
    "int requires grad": _craft(
        _index(_tensor_ref(dtype="int64", requires_grad=True)),
        {"tensors/0.npy": _npy(np.ones(2, np.int64))},
    ),
    "object npy (pickle inside)": _craft(
        _index(_tensor_ref()), {"tensors/0.npy": _npy(np.array([_Evil(), _Evil()]))}
    ),
    "npy truncated": _craft(_index(_tensor_ref()), {"tensors/0.npy": _npy(np.ones(2))[:-8]}),
    "npy garbage": _craft(_index(_tensor_ref()), {"tensors/0.npy": b"\x00" * 140}),
    "path traversal": _craft(_index(1), {"../../evil.npy": b"x"}),
    "absolute path": _craft(_index(1), {"/tmp/evil.npy": b"x"}),
    "sneaky name": _craft(_index(1), {"tensors/../index.json": b"x"}),
    "pickle payload entry": _craft(_index(1), {"data.pkl": b"x"}),
    "array used twice differently": _craft(
        _index({"t": "list", "items": [_tensor_ref(), _tensor_ref(shape=(1, 2))]}), ONES
    ),
    "deep nesting": _craft(
        b'{"format": "tensorish", "version": 1, "root": '
        + b'{"t": "list", "items": [' * 5000
        + b"1"
        + b"]}" * 5000
        + b"}"
    ),
    "malformed dict item": _craft(_index({"t": "dict", "items": [[1]]})),
    "unhashable key": _craft(_index({"t": "dict", "items": [[{"t": "list", "items": []}, 1]]})),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_raises_and_runs_nothing(name, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="tensorish.load: not a valid tensorish file"):
        tensorish.load(io.BytesIO(HOSTILE[name]))
    assert not marker.exists()
    assert sorted(os.listdir(tmp_path)) == []


def test_pickle_and_torch_files_are_refused_without_running(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"x": _Evil()}))
    pt = tmp_path / "torch.pt"
    torch.save({"x": _Evil()}, pt)
    assert not marker.exists()
    with pytest.raises(RuntimeError, match="not a valid tensorish file"):
        tensorish.load(raw, weights_only=False)
    # A torch file is read, and its pickle refused as torch.load(weights_only=True) refuses it.
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(pt, weights_only=True)
    with pytest.raises(pickle.UnpicklingError) as ours:
        tensorish.load(pt, weights_only=False)
    assert _inner(ours.value) in str(theirs.value)
    assert "GLOBAL io.open was not an allowed global" in str(ours.value)
    assert not marker.exists()


def test_zip_bomb_is_refused_before_decompressing():
    bomb = _craft(
        _index(_tensor_ref()),
        {"tensors/0.npy": b"\x00" * (50 << 20)},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert len(bomb) < 1 << 20
    with pytest.raises(RuntimeError, match="entry holds 52428800 bytes"):
        tensorish.load(io.BytesIO(bomb))


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        tensorish.load("/nonexistent/ckpt.pt")


# -- both ways with torch -----------------------------------------------------------------
DATA = Path(__file__).parent / "data"


def _inner(error: Exception) -> str:
    """The weights-only unpickler's own words inside a load error."""
    return str(error).split("WeightsUnpickler error: ")[-1]


def _data(name):
    """A 2x3 array of dtype ``name`` (float32 for bfloat16, which numpy lacks)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3)) * 40
    if name == "bool":
        return x > 0
    if name.startswith("complex"):
        return (x + 1j * rng.normal(size=(2, 3))).astype(name)
    if name == "uint8":
        return np.abs(x).astype(name)
    return x.astype("float32" if name == "bfloat16" else name)


def _nested(m):
    """Nested containers, numbers and tensors of every form, built alike in torch and tensorish."""
    x = m.arange(12, dtype=m.float32).reshape(3, 4)
    return {
        "scalar": m.tensor(2.5),
        "empty": m.zeros(0, 3),
        "transposed": x.t(),
        "sliced": x[1:, 1::2],
        "x": x,
        "x again": x,
        "param": m.nn.Parameter(m.ones(2)),
        "frozen": m.nn.Parameter(m.ones(2, dtype=m.int64), requires_grad=False),
        "leaf": m.ones(3, requires_grad=True),
        "numbers": [1, -(2**40), 2**70, 2.5, float("inf"), True, None, 1 + 2j],
        "text": ("s", b"raw", bytearray(b"ab"), {1, 2}),
        "types": OrderedDict(dtype=m.int64, size=m.Size([2, 3]), device=m.device("cpu")),
        "counter": Counter(a=2),
        3: "int key",
    }


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_torch_reads_ours(zip_format, tmp_path):
    path = tmp_path / "ours.pt"
    tensorish.save(_nested(tensorish), path, _use_new_zipfile_serialization=zip_format)
    assert zipfile.is_zipfile(path) == zip_format
    theirs = torch.load(path, weights_only=True, map_location="cpu")
    assert _structure(theirs) == _structure(_nested(torch))
    assert theirs["x"] is theirs["x again"]
    assert type(theirs["param"]) is torch.nn.Parameter and theirs["leaf"].is_leaf


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_we_read_torch(zip_format, tmp_path):
    path = tmp_path / "theirs.pt"
    torch.save(_nested(torch), path, _use_new_zipfile_serialization=zip_format)
    ours = tensorish.load(path)
    assert _structure(ours) == _structure(_nested(torch))
    assert ours["x"] is ours["x again"]
    assert type(ours["param"]) is tensorish.nn.Parameter and ours["leaf"].is_leaf


def test_torch_views_load_as_their_values():
    # Views share one storage in torch; each loads as a tensor of its own with the view's values.
    x = torch.arange(12.0).reshape(3, 4)
    c = torch.complex(x, -x)
    views = [x, x[1], x.t(), x[:, ::2], x[2:, 1:3], torch.zeros(1).expand(2, 3), c.conj()]
    views += [torch.complex(x, x).conj().imag, x.as_strided((2, 2), (1, 4), 5)]
    buf = io.BytesIO()
    torch.save(views, buf)
    buf.seek(0)
    for i, (t, s) in enumerate(zip(views, tensorish.load(buf))):
        assert_same(t.resolve_conj().resolve_neg(), s, f"view {i}", rtol=0, atol=0)


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_both_ways(name, tmp_path):
    t, s = both(_data(name), name)
    tensorish.save({"x": s, "scalar": s[1, 2]}, tmp_path / "ours.pt")
    theirs = torch.load(tmp_path / "ours.pt", weights_only=True, map_location="cpu")
    assert theirs["x"].dtype == t.dtype and torch.equal(theirs["x"], t)
    assert theirs["scalar"].shape == () and torch.equal(theirs["scalar"], t[1, 2])
    torch.save({"x": t, "scalar": t[1, 2]}, tmp_path / "theirs.pt")
    ours = tensorish.load(tmp_path / "theirs.pt")
    assert_same(t, ours["x"], "torch -> tensorish", rtol=0, atol=0)
    assert_same(t[1, 2], ours["scalar"], "0-dim", rtol=0, atol=0)


def _mlp(m):
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.BatchNorm1d(8), m.nn.Tanh(), m.nn.Linear(8, 3))


def test_module_state_dicts_both_ways(tmp_path):
    torch.manual_seed(0)
    tm, sm = _mlp(torch), _mlp(tensorish)
    tm(torch.randn(16, 4))  # running statistics that are not the defaults
    tm.eval()
    sm.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    torch.save(tm.state_dict(), tmp_path / "torch.pt")
    sd = tensorish.load(tmp_path / "torch.pt")
    assert list(sd) == list(tm.state_dict()) and sd._metadata == tm.state_dict()._metadata
    sm.load_state_dict(sd)
    assert_same(tm(torch.tensor(x)), sm(tensorish.tensor(x)), "torch's weights in tensorish")
    with tensorish.no_grad():
        sm[0].weight.mul_(2)
        sm[1].running_var.add_(1)
    tensorish.save(sm.state_dict(), tmp_path / "ours.pt")
    tm.load_state_dict(torch.load(tmp_path / "ours.pt", weights_only=True, map_location="cpu"))
    assert_same(tm(torch.tensor(x)), sm(tensorish.tensor(x)), "tensorish's weights in torch")


OPTIMIZERS = {
    "SGD": {"lr": 0.1, "momentum": 0.9},
    "Adam": {"lr": 0.1},
    "AdamW": {"lr": 0.1, "weight_decay": 0.1},
}


def _train(m, w, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        ((w - 3) ** 2 * m.tensor([1.0, 2.0])).sum().backward()
        opt.step()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_both_ways(name, tmp_path):
    for src, dst in ((tensorish, torch), (torch, tensorish)):
        w = src.tensor([0.0, 1.0], requires_grad=True)
        opt = getattr(src.optim, name)([w], **OPTIMIZERS[name])
        _train(src, w, opt, 3)
        path = tmp_path / f"{src.__name__}.pt"
        src.save({"w": w, "opt": opt.state_dict()}, path)
        ckpt = dst.load(path, weights_only=True)
        assert _structure(ckpt["opt"]) == _structure(opt.state_dict())
        w2 = ckpt["w"]
        opt2 = getattr(dst.optim, name)([w2], **OPTIMIZERS[name])
        opt2.load_state_dict(ckpt["opt"])
        _train(src, w, opt, 3)
        _train(dst, w2, opt2, 3)
        np.testing.assert_allclose(to_numpy(w2), to_numpy(w), rtol=1e-6, err_msg=src.__name__)


def _checkpoint(m):
    sd = OrderedDict(
        w=m.arange(15.0).reshape(3, 5),
        b=m.arange(7),
        h=m.ones(2, dtype=m.bfloat16),
        p=m.nn.Parameter(m.zeros(3)),
        n=[1, 2.5, "s", (1, 2), {"k": None}, b"xy", {3}, 1 + 2j, m.Size([2]), m.float16, 2**70],
        many=list(range(2500)),
    )
    sd._metadata = OrderedDict([("", {"version": 1})])
    return sd


def test_files_are_the_bytes_torch_save_writes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    tensorish.save(_checkpoint(tensorish), tmp_path / "a" / "ckpt.pt")
    torch.save(_checkpoint(torch), tmp_path / "b" / "ckpt.pt")
    ours, theirs = (
        (tmp_path / "a" / "ckpt.pt").read_bytes(),
        (tmp_path / "b" / "ckpt.pt").read_bytes(),
    )
    z = zipfile.ZipFile(io.BytesIO(ours))
    assert [i.filename for i in z.infolist()] == zipfile.ZipFile(io.BytesIO(theirs)).namelist()
    for info in z.infolist():  # each record's data starts at a multiple of 64, as torch's
        name_len, extra_len = struct.unpack("<HH", ours[info.header_offset + 26 :][:4])
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
    # Everything up to the random serialization id is byte for byte torch's.
    cut = z.getinfo("ckpt/.data/serialization_id").header_offset
    assert len(ours) == len(theirs) and ours[:cut] == theirs[:cut]
    assert z.read("ckpt/.data/serialization_id").isdigit()


def test_zip64_records_are_read_by_torch_and_zipfile(tmp_path, monkeypatch):
    # Checkpoints over 4 GiB need zip64 records; a low limit makes small files use them.
    monkeypatch.setattr(tensorish.serialization._zip, "ZIP64_LIMIT", 64)
    tensorish.save(_checkpoint(tensorish), tmp_path / "ckpt.pt")
    assert zipfile.ZipFile(tmp_path / "ckpt.pt").testzip() is None
    theirs = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert _structure(theirs) == _structure(_checkpoint(torch))
    assert _structure(tensorish.load(tmp_path / "ckpt.pt")) == _structure(_checkpoint(torch))


def test_tensorish_0_1_files_still_load():
    ckpt = tensorish.load(DATA / "tensorish_0.1.pt")  # written by tensorish 0.1's own format
    assert ckpt["weight"] is ckpt["again"] and ckpt["weight"].requires_grad
    assert ckpt["weight"].tolist() == [[1.5, -2.0], [0.25, 4.0]]
    for name, t in zip(DTYPES, ckpt["dtypes"]):
        assert t.dtype is getattr(tensorish, name) and t.tolist() == [1, 0, 1]
    assert ckpt["scalar"].item() == 2.5 and ckpt["empty"].shape == (0, 3)
    meta = ckpt["meta"]
    assert meta["inf"] == float("inf") and meta["nan"] != meta["nan"] and meta["big"] == 2**70
    assert meta["dtype"] is tensorish.float64 and meta["size"] == tensorish.Size([2, 3])
    assert meta[1] == "one" and meta["tuple"] == (1, 2.5, True, "s", None)
    moved = tensorish.load(DATA / "tensorish_0.1.pt", map_location=lambda s, loc: s.cpu())
    assert moved["scalar"].device == tensorish.device("cpu")


def test_allowed_globals_are_torchs():
    from torch._weights_only_unpickler import _get_allowed_globals

    from tensorish.serialization._rebuild import UNSUPPORTED, Loader

    table = Loader(None, None, 0).table
    assert set(table).isdisjoint(UNSUPPORTED)
    assert set(table) | set(UNSUPPORTED) == set(_get_allowed_globals())


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda: torch.ones(2, 2).to_sparse(), "sparse"),
        (lambda: torch.ones(2, dtype=torch.uint16), "torch.uint16"),
        (lambda: torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8), "quantized"),
    ],
)
def test_what_torch_allows_but_tensorish_lacks_is_named(make, why):
    buf = io.BytesIO()
    torch.save(make(), buf)
    buf.seek(0)
    torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    with pytest.raises(RuntimeError, match=f"{why}.*not supported by tensorish"):
        tensorish.load(buf)


def _rezip(data: bytes, change) -> bytes:
    """A torch zip with its records rewritten by ``change(name, bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info.filename, change(info.filename, src.read(info)))
    return out.getvalue()


def test_big_endian_files_are_byteswapped():
    buf = io.BytesIO()
    values = torch.tensor([1.5, -2.25, 3e10])
    torch.save({"v": values, "i": torch.arange(3)}, buf)

    def to_big(name, data):
        if name.endswith("byteorder"):
            return b"big"
        if name.endswith("data/0"):
            return np.frombuffer(data, "<f4").astype(">f4").tobytes()
        if name.endswith("data/1"):
            return np.frombuffer(data, "<i8").astype(">i8").tobytes()
        return data

    big = _rezip(buf.getvalue(), to_big)
    theirs = torch.load(io.BytesIO(big), weights_only=True)
    ours = tensorish.load(io.BytesIO(big))
    assert_same(theirs["v"], ours["v"], "float", rtol=0, atol=0)
    assert_same(theirs["i"], ours["i"], "int", rtol=0, atol=0)


# -- map_location ---------------------------------------------------------------------------
def _on_cuda(tmp_path) -> Path:
    """A checkpoint whose storages are tagged ``cuda:0`` (as one saved on a GPU)."""
    buf = io.BytesIO()
    tensorish.save({"a": tensorish.ones(2), "b": [tensorish.arange(3)]}, buf)
    path = tmp_path / "cuda.pt"
    path.write_bytes(
        _rezip(
            buf.getvalue(),
            lambda name, data: data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"),
        )
    )
    return path


MAP_LOCATIONS = {
    "string": lambda m: "cpu",
    "device": lambda m: m.device("cpu"),
    "dict": lambda m: {"cuda:0": "cpu"},
    "callable": lambda m: lambda storage, location: storage,
    "callable cpu()": lambda m: lambda storage, location: storage.cpu(),
}


@pytest.mark.parametrize("name", list(MAP_LOCATIONS))
def test_map_location_forms(name, tmp_path):
    path = _on_cuda(tmp_path)
    theirs = torch.load(path, weights_only=True, map_location=MAP_LOCATIONS[name](torch))
    ours = tensorish.load(path, map_location=MAP_LOCATIONS[name](tensorish))
    assert _structure(ours) == _structure(theirs)
    assert ours["a"].device == tensorish.device("cpu")


def test_map_location_callable_sees_each_storage_once(tmp_path):
    path = _on_cuda(tmp_path)
    calls = {torch: [], tensorish: []}
    for m in calls:
        m.load(path, map_location=lambda s, loc, m=m: calls[m].append((loc, s.nbytes())) or s.cpu())
    assert calls[tensorish] == calls[torch] == [("cuda:0", 8), ("cuda:0", 24)]


@pytest.mark.parametrize(
    "map_location",
    [None, "cuda:1", {"cuda:0": "xla:0"}, {"cpu": "cpu"}, lambda storage, location: None],
    ids=["none", "cuda:1", "unknown tag", "dict without the tag", "callable returning None"],
)
def test_map_location_errors_match_torch(map_location, tmp_path):
    if tensorish.cuda.is_available():
        pytest.skip("torch (the CPU build) and tensorish differ when a GPU is present")
    path = _on_cuda(tmp_path)
    with pytest.raises(Exception) as theirs:
        torch.load(path, weights_only=True, map_location=map_location)
    with pytest.raises(Exception) as ours:
        tensorish.load(path, map_location=map_location)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


# -- safetensors ----------------------------------------------------------------------------
ST_DTYPES = [name for name in DTYPES if name != "complex128"]  # safetensors has no complex128


def _st_numpy(arr):
    return arr.astype(np.float32) if arr.dtype.name == "bfloat16" else arr


@pytest.mark.parametrize("name", ST_DTYPES)
def test_safetensors_both_ways(name, tmp_path):
    t, s = both(_data(name), name)
    ours = tmp_path / "ours.safetensors"
    tensorish.save({"x": s, "scalar": s[1, 2]}, ours)
    arrays = safetensors.numpy.load_file(ours)
    np.testing.assert_array_equal(_st_numpy(arrays["x"]), to_numpy(s))
    assert str(arrays["x"].dtype) == str(np.asarray(s.jax()).dtype)
    assert torch.equal(safetensors.torch.load_file(ours)["x"], t)
    assert torch.equal(torch.load(ours)["scalar"], t[1, 2])  # torch.load reads .safetensors too
    safetensors.numpy.save_file({"x": np.asarray(s.jax())}, tmp_path / "numpy.safetensors")
    safetensors.torch.save_file({"x": t}, tmp_path / "torch.safetensors")
    for source in ("numpy", "torch"):
        path = tmp_path / f"{source}.safetensors"
        assert_same(t, tensorish.load(path)["x"], f"{source} path", rtol=0, atol=0)
        with open(path, "rb") as fh:  # recognised by content, from an open file too
            assert_same(t, tensorish.load(fh)["x"], f"{source} file", rtol=0, atol=0)


def test_safetensors_is_recognised_by_content(tmp_path):
    safetensors.torch.save_file({"x": torch.arange(3)}, tmp_path / "looks_like.pt")
    assert tensorish.load(tmp_path / "looks_like.pt")["x"].tolist() == [0, 1, 2]
    torch.save({"x": torch.arange(3)}, tmp_path / "really_torch.safetensors")
    assert tensorish.load(tmp_path / "really_torch.safetensors")["x"].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "make",
    [lambda m: [m.ones(1)], lambda m: {"a": {"b": m.ones(1)}}, lambda m: {"a": 3}],
    ids=["list", "nested", "number"],
)
def test_safetensors_needs_a_flat_dict_of_tensors(make, tmp_path):
    with pytest.raises(Exception) as theirs:
        safetensors.torch.save_file(make(torch), tmp_path / "theirs.safetensors")
    with pytest.raises(Exception) as ours:
        tensorish.save(make(tensorish), tmp_path / "ours.safetensors")
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)
    assert os.listdir(tmp_path) == []


def test_safetensors_map_location(tmp_path):
    path = tmp_path / "m.safetensors"
    tensorish.save({"x": tensorish.ones(2)}, path)
    assert tensorish.load(path, map_location="cpu")["x"].device == tensorish.device("cpu")
    for map_location in ({"cpu": "cpu"}, lambda storage, location: storage):
        with pytest.raises(RuntimeError) as theirs:
            torch.load(path, map_location=map_location)
        with pytest.raises(RuntimeError) as ours:
            tensorish.load(path, map_location=map_location)
        assert str(ours.value) == str(theirs.value)


def test_safetensors_complex128_is_the_packages_error(tmp_path):
    with pytest.raises(safetensors.SafetensorError, match="complex128"):
        tensorish.save(
            {"x": tensorish.ones(2, dtype=tensorish.complex128)}, tmp_path / "c.safetensors"
        )


# -- writing: atomic, like torch's where it can be ---------------------------------------------
def test_save_keeps_permissions_and_writes_through_symlinks(tmp_path):
    real = tmp_path / "real.pt"
    tensorish.save({"v": 1}, real)
    real.chmod(0o640)
    link = tmp_path / "link.pt"
    link.symlink_to(real)
    tensorish.save({"v": 2}, link)
    assert link.is_symlink() and tensorish.load(real) == {"v": 2}
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link.pt", "real.pt"]


def test_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    tensorish.save({"v": tensorish.ones(2)}, path)
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        tensorish.save({"v": tensorish.zeros(2), "bad": object()}, path)
    assert tensorish.load(path)["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_errors_match_torch(tmp_path):
    for f in (tmp_path / "missing" / "ckpt.pt", 3):
        with pytest.raises(Exception) as theirs:
            torch.save({}, f)
        with pytest.raises(Exception) as ours:
            tensorish.save({}, f)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_save_to_an_unseekable_stream():
    class Stream:
        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))
            return len(data)

    out = Stream()
    tensorish.save({"x": tensorish.arange(4)}, out)
    assert torch.load(io.BytesIO(b"".join(out.chunks)), weights_only=True)["x"].tolist() == [
        0,
        1,
        2,
        3,
    ]


def test_load_errors_match_torch(tmp_path):
    class Unseekable(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            return 0

    buf = io.BytesIO()
    torch.save({}, buf)
    calls = [
        lambda m: m.load(Unseekable()),
        lambda m: m.load(io.BytesIO(buf.getvalue()), pickle_module=pickle, weights_only=True),
        lambda m: m.load(io.BytesIO(buf.getvalue()), mmap=True),
    ]
    for call in calls:
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(Exception) as ours:
            call(tensorish)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_legacy_tar_files_are_refused_as_torch_refuses(tmp_path):
    path = tmp_path / "old.tar"
    with tarfile.open(path, "w") as tar:
        for name in ("storages", "tensors", "pickle"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(RuntimeError) as theirs:
        torch.load(path, weights_only=True)
    with pytest.raises(RuntimeError) as ours:
        tensorish.load(path)
    expected = "Cannot use ``weights_only=True`` with files saved in the legacy .tar format"
    assert expected in str(theirs.value) and expected in str(ours.value)


_KILLED_CHILD = r"""
import os, signal, sys
import numpy as np
import tensorish
from tensorish.serialization import _zip

path, point, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])


def checkpoint(version):
    rng = np.random.default_rng(version)
    weights = {f"w{i}": rng.standard_normal(1 << 18).astype(np.float32) for i in range(4)}
    return {"version": version, **{k: tensorish.tensor(v) for k, v in weights.items()}}


def die():
    os.kill(os.getpid(), signal.SIGKILL)


tensorish.save(checkpoint(1), path)  # the old checkpoint
if point == "write":  # die once `arg` bytes of the new file are written
    write = _zip.ZipWriter._write

    def write_until(self, data):
        if self.pos + memoryview(data).nbytes > arg:
            self.fh.write(memoryview(data).cast("B")[: arg - self.pos])
            self.fh.flush()
            die()
        write(self, data)

    _zip.ZipWriter._write = write_until
else:  # die just before (arg 0) or just after (arg 1) the first os.fsync or os.replace
    real = getattr(os, point)

    def call_then_die(*args):
        if arg:
            real(*args)
        die()

    setattr(os, point, call_then_die)
tensorish.save(checkpoint(2), path)
"""


def test_kill_9_while_saving_leaves_the_old_or_the_new_checkpoint(tmp_path):
    layout = tmp_path / "ckpt.pt"  # a file laid out as the new checkpoint, for its size
    tensorish.save({"version": 2, **{f"w{i}": tensorish.zeros(1 << 18) for i in range(4)}}, layout)
    size = layout.stat().st_size
    points = [
        ("write", 0, 1),
        ("write", 700, 1),
        ("write", size // 2, 1),
        ("write", size - 100, 1),
        ("fsync", 1, 1),
        ("replace", 0, 1),
        ("replace", 1, 2),
    ]
    children = []
    for i, (point, arg, _) in enumerate(points):
        folder = tmp_path / str(i)
        folder.mkdir()
        cmd = [sys.executable, "-c", _KILLED_CHILD, str(folder / "ckpt.pt"), point, str(arg)]
        root = Path(__file__).parent.parent
        children.append(subprocess.Popen(cmd, cwd=root, stderr=subprocess.PIPE))
    for i, ((point, arg, expected), child) in enumerate(zip(points, children)):
        _, err = child.communicate(timeout=300)
        assert child.returncode == -signal.SIGKILL, (point, arg, err.decode()[-2000:])
        folder = tmp_path / str(i)
        ckpt = tensorish.load(folder / "ckpt.pt")
        rng = np.random.default_rng(expected)
        assert ckpt["version"] == expected, (point, arg)
        for k in ("w0", "w1", "w2", "w3"):
            want = rng.standard_normal(1 << 18).astype(np.float32)
            np.testing.assert_array_equal(np.asarray(ckpt[k].jax()), want)
        leftovers = [n for n in os.listdir(folder) if n != "ckpt.pt"]
        assert all(n.startswith(".ckpt.pt.") and n.endswith(".tmp") for n in leftovers)


# -- hostile torch files -------------------------------------------------------------------
class _Call:
    """Unpickling this calls ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _import_pickle(module, name):
    return f"\x80\x02c{module}\n{name}\n)R.".encode()


HOSTILE_PICKLES = {
    "os.system": pickle.dumps(_Call(os.system, "touch pwned"), 2),
    "eval": pickle.dumps(_Call(eval, "open('pwned', 'w')"), 2),
    "exec": pickle.dumps(_Call(exec, "open('pwned', 'w')"), 2),
    "__import__": pickle.dumps(_Call(__import__, "evil_module"), 2),
    "getattr": pickle.dumps(_Call(getattr, 1, "real"), 2),
    "importlib": pickle.dumps(_Call(__import__("importlib").import_module, "evil_module"), 2),
    "subprocess": pickle.dumps(_Call(subprocess.Popen, ["touch", "pwned"]), 2),
    "a module to import": _import_pickle("evil_module", "run"),
    "numpy array": pickle.dumps(np.ones(2), 2),
    "torch.load": _import_pickle("torch", "load"),
    "rebuild lookalike": _import_pickle("torch._utils", "_rebuild_evil"),
    "protocol 4": pickle.dumps(_Call(os.system, "touch pwned"), 4),
    "protocol 0": pickle.dumps(_Call(os.system, "touch pwned"), 0),
    "build a list": b"\x80\x02]}b.",
    "call a dict": b"\x80\x02})R.",
    "setitem on a list": b"\x80\x02]K\x01K\x02s.",
    "append to a dict": b"\x80\x02}K\x01a.",
    "persistent id not a storage": b"\x80\x02X\x06\x00\x00\x00module\x85Q.",
}


def _zip_of(entries):
    """A stored zip of ``entries`` (a dict, or a list of pairs that may repeat a name)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a repeated name
        for name, data in entries.items() if isinstance(entries, dict) else entries:
            z.writestr(name, data)
    return buf.getvalue()


def _torch_zip(pickle_bytes, records=None):
    """A zip laid out as torch's: ``archive/data.pkl`` and ``archive/data/<key>``."""
    records = {f"archive/data/{k}": v for k, v in (records or {}).items()}
    return _zip_of({"archive/data.pkl": pickle_bytes, **records, "archive/version": b"3\n"})


def _legacy(pickle_bytes, tail=b""):
    """A legacy-format stream whose main pickle is ``pickle_bytes``."""
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {}}
    header = b"".join(pickle.dumps(x, 2) for x in (0x1950A86A20F9469CFC6C, 1001, sys_info))
    return header + pickle_bytes + tail


@pytest.mark.parametrize("layout", ["zip", "legacy"])
@pytest.mark.parametrize("name", list(HOSTILE_PICKLES))
def test_hostile_pickles_are_refused_as_torch_refuses_them(name, layout, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "evil_module.py").write_text("open('pwned', 'w').close()\ndef run(): pass\n")
    payload = HOSTILE_PICKLES[name]
    data = _torch_zip(payload) if layout == "zip" else _legacy(payload)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about pickle protocols other than 2
        with pytest.raises(pickle.UnpicklingError) as theirs:
            torch.load(io.BytesIO(data), weights_only=True)
        with pytest.raises(pickle.UnpicklingError) as ours:
            tensorish.load(io.BytesIO(data))
    assert _inner(ours.value) in str(theirs.value)
    assert os.listdir(tmp_path) == ["evil_module.py"] and "evil_module" not in sys.modules


def _tensor_pickle(numel, size, stride, legacy=False, key=b"0"):
    """torch's pickle of one float32 tensor over storage ``key`` of ``numel`` elements."""

    def ints(values):
        return b"".join(b"J" + struct.pack("<i", v) for v in values)

    pid = (
        b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX"
        + struct.pack("<I", len(key))
        + key
        + b"X\x03\x00\x00\x00cpu"
        + ints([numel])
        + (b"N" if legacy else b"")
        + b"tQ"
    )
    return (
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n("
        + pid
        + b"K\x00("
        + ints(size)
        + b"t("
        + ints(stride)
        + b"t\x89ccollections\nOrderedDict\n)RtR."
    )


def _overlapping() -> bytes:
    """data/0 lies inside data/1: its local header and bytes are data/1's first bytes."""
    inner = _torch_zip(b"", {"0": b"\x00" * 8})
    info = zipfile.ZipFile(io.BytesIO(inner)).getinfo("archive/data/0")
    local = inner[info.header_offset : info.header_offset + 30 + len("archive/data/0") + 8]
    data = bytearray(_torch_zip(_tensor_pickle(2, [2], [1]), {"1": local, "0": b"\x00" * 8}))
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    target = z.getinfo("archive/data/1").header_offset + 30 + len("archive/data/1")
    central = bytes(data).rindex(b"PK\x01\x02")  # the last entry: data/0
    data[central + 42 : central + 46] = struct.pack("<I", target)
    return bytes(data)


STRUCTURAL = {
    "traversal": _torch_zip(_tensor_pickle(2, [2], [1]), {"../../evil": b"x" * 8}),
    "other folder": _zip_of({"archive/data.pkl": b"\x80\x02K\x01.", "other/data/0": b""}),
    "unexpected record": _zip_of({"archive/data.pkl": b"\x80\x02K\x01.", "archive/x/0": b""}),
    "duplicate record": _zip_of([("archive/data.pkl", b"\x80\x02K\x01.")] * 2),
    "overlap": _overlapping(),
    "missing record": _torch_zip(_tensor_pickle(2, [2], [1])),
    "record size": _torch_zip(_tensor_pickle(2, [2], [1]), {"0": b"\x00" * 12}),
    "string past the end": _torch_zip(b"\x80\x02X\xff\xff\xff\x7fabc."),
    "truncated pickle": _torch_zip(b"\x80\x02(K\x01"),
    "negative stride": _torch_zip(_tensor_pickle(2, [2], [-1]), {"0": b"\x00" * 8}),
    "legacy storage list": _legacy(
        _tensor_pickle(2, [2], [1], legacy=True), pickle.dumps([[1]], 2)
    ),
    "legacy element count": _legacy(
        _tensor_pickle(2, [2], [1], legacy=True),
        pickle.dumps(["0"], 2) + struct.pack("<q", 3) + b"\x00" * 12,
    ),
}


@pytest.mark.parametrize("name", list(STRUCTURAL))
def test_malformed_torch_files_are_refused(name):
    with pytest.raises(RuntimeError, match="not a valid tensorish file"):
        tensorish.load(io.BytesIO(STRUCTURAL[name]))


def test_views_outside_their_storage_fail_as_in_torch():
    data = _torch_zip(_tensor_pickle(2, [3], [1]), {"0": b"\x00" * 8})
    with pytest.raises(RuntimeError) as theirs:
        torch.load(io.BytesIO(data), weights_only=True)
    with pytest.raises(RuntimeError) as ours:
        tensorish.load(io.BytesIO(data))
    assert str(ours.value) == str(theirs.value)


# Each declares a 100 MiB tensor in a file of at most about 100 KiB.
_BIG = 100 << 20


def _deflated() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", _tensor_pickle(_BIG // 4, [_BIG // 4], [1]))
        with z.open("archive/data/0", "w") as fh:
            zeros = bytes(1 << 20)
            for _ in range(_BIG >> 20):
                fh.write(zeros)
    return out.getvalue()


def _declares_more_than_it_holds() -> bytes:
    data = bytearray(_torch_zip(_tensor_pickle(_BIG // 4, [_BIG // 4], [1]), {"0": b"\x00" * 8}))
    central = bytes(data).rindex(b"PK\x01\x02")  # data/0's entry: sizes at +20 and +24
    data[central + 20 : central + 28] = struct.pack("<II", _BIG, _BIG)
    return bytes(data)


def _legacy_declares_more_than_it_holds() -> bytes:
    main = _tensor_pickle(_BIG // 4, [_BIG // 4], [1], legacy=True)
    return _legacy(main, pickle.dumps(["0"], 2) + struct.pack("<q", _BIG // 4) + b"\x00" * 8)


OVERSIZED = {
    "deflated record": (_deflated(), "compressed entries"),
    "directory declares more than the file": (_declares_more_than_it_holds(), "more than the"),
    "pickle declares more than the record": (
        _torch_zip(_tensor_pickle(_BIG // 4, [_BIG // 4], [1]), {"0": b"\x00" * 8}),
        "holds 8 bytes, but the pickle declares 104857600",
    ),
    "legacy storage": (_legacy_declares_more_than_it_holds(), "more than the file holds"),
    "expanded view": (
        _torch_zip(_tensor_pickle(1, [_BIG // 4], [0]), {"0": b"\x00" * 4}),
        "over 4 times the storage bytes",
    ),
    "long string": (_torch_zip(b"\x80\x02X\x00\x00\x40\x06" + b"x" * 100 + b"."), "truncated"),
}


@pytest.mark.parametrize("name", list(OVERSIZED))
def test_oversized_declarations_are_refused_before_allocating(name):
    data, message = OVERSIZED[name]
    assert len(data) < 200 << 10
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match=message):
            tensorish.load(io.BytesIO(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20, f"{name}: {peak} bytes allocated"

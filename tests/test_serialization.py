"""save/load: round trips (compared with torch's), optimizer checkpoints, and hostile files that
must fail with a clear RuntimeError without running anything."""

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

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
    if isinstance(x, (torch.Tensor, tensorish.Tensor)):
        arr = (
            x.detach().float().numpy()
            if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16
            else np.asarray(x.detach().numpy() if isinstance(x, torch.Tensor) else x.jax()).astype(
                np.float32 if str(x.dtype).endswith("bfloat16") else None
            )
        )
        return ("T", str(x.dtype).split(".")[1], tuple(x.shape), arr.tolist(), x.requires_grad)
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
    for path in (raw, pt):
        with pytest.raises(RuntimeError, match="not a valid tensorish file"):
            tensorish.load(path, weights_only=False)
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

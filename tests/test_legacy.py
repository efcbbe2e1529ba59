"""The legacy constructors (``Tensor(data)``, ``FloatTensor``...), ``isinstance`` with them,
``Tensor.type`` with them, the ``new_*`` methods and tensor subclasses, against torch."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, tdtype

import tensorish

TYPES = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]

# Constructor calls whose result is defined (uninitialised sizes are checked by shape alone).
MADE = [
    lambda m: m.Tensor([1, 2]),
    lambda m: m.Tensor([[1.5, 2], [3, 4]]),
    lambda m: m.Tensor((1, 2)),
    lambda m: m.Tensor([]),
    lambda m: m.Tensor([[]]),
    lambda m: m.Tensor(),
    lambda m: m.Tensor(range(3)),
    lambda m: m.Tensor([True, False]),
    lambda m: m.Tensor(np.array([1, 2])),
    lambda m: m.Tensor(np.array([1.0, 2.0], dtype=np.float64)),
    lambda m: m.Tensor(np.array(2.0)),
    lambda m: m.Tensor([m.tensor(1.0), m.tensor(2)]),
    lambda m: m.Tensor(m.tensor([1.0, 2.0])),
    lambda m: m.Tensor(m.tensor([1, 2])),
    lambda m: m.Tensor(m.tensor(3.0)),
    lambda m: m.Tensor([1, 2], device="cpu"),
    lambda m: m.Tensor(data=(2, 3)),
    lambda m: m.LongTensor([1.7, -2.5]),
    lambda m: m.LongTensor(m.tensor([1])),
    lambda m: m.ByteTensor([1, -1]),
    lambda m: m.BoolTensor([1, 0]),
    lambda m: m.FloatTensor(),
] + [lambda m, name=name: getattr(m, name)([1, 0, 1]) for name in TYPES]

SHAPED = [
    lambda m: m.Tensor(2, 3),
    lambda m: m.Tensor(m.Size([2, 3])),
    lambda m: m.Tensor(size=[2, 3]),
    lambda m: m.Tensor(2, 3, device="cpu"),
    lambda m: m.Tensor(2, np.int64(3)),
    lambda m: m.Tensor(2, m.tensor(3)),
    lambda m: m.Tensor(m.tensor(2), 3),
    lambda m: m.Tensor(np.int64(3)),
    lambda m: m.Tensor(2, True),
    lambda m: m.Tensor(0),
    lambda m: m.Tensor(2, 3)[0],
] + [lambda m, name=name: getattr(m, name)(2, 3) for name in TYPES]

BAD = [
    lambda m: m.Tensor(3.5),
    lambda m: m.Tensor(True),
    lambda m: m.Tensor(None),
    lambda m: m.Tensor({1: 2}),
    lambda m: m.Tensor({1, 2}),
    lambda m: m.Tensor(x for x in range(3)),
    lambda m: m.Tensor(np.float32(2)),
    lambda m: m.Tensor("a"),
    lambda m: m.Tensor(-1),
    lambda m: m.Tensor(2, -3),
    lambda m: m.Tensor(2, 3.0),
    lambda m: m.Tensor(2, "a"),
    lambda m: m.Tensor(2, None),
    lambda m: m.Tensor(2, [3]),
    lambda m: m.LongTensor(2, 3.0),
    lambda m: m.Tensor([[1, 2], [3]]),
    lambda m: m.Tensor([1, 2], dtype=m.float64),
    lambda m: m.Tensor([1, 2], requires_grad=True),
    lambda m: m.Tensor(2, foo=3),
    lambda m: m.Tensor([1], 2),
    lambda m: m.Tensor([1.5, 2], 2),
    lambda m: m.Tensor(m.ones(2), 3),
    lambda m: m.Tensor(m.Size([2]), 3),
    lambda m: m.Tensor(np.ones(2), "a"),
    lambda m: m.Tensor(True, 2),
    lambda m: m.FloatTensor([1, 2], [3]),
    lambda m: m.Tensor([1], (2, 3)),
    lambda m: m.Tensor(m.ones(2), device="cpu"),
    lambda m: m.Tensor([1, 2], device="cuda"),
    lambda m: m.Tensor(2, 3, device="cuda"),
    lambda m: m.LongTensor(m.tensor([1.0, 2.0])),
    lambda m: m.FloatTensor(m.tensor([1.0], dtype=m.float64)),
    lambda m: m.DoubleTensor(m.tensor([1.0])),
]


@pytest.mark.parametrize("make", MADE)
def test_constructor_values(make):
    assert_same(make(torch), make(tensorish), "legacy constructor")


@pytest.mark.parametrize("make", SHAPED)
def test_constructor_sizes(make):
    t, s = make(torch), make(tensorish)
    assert tuple(t.shape) == tuple(s.shape) and tdtype(t.dtype) is s.dtype
    assert not s.requires_grad and s.is_leaf


@pytest.mark.parametrize("make", BAD)
def test_constructor_errors(make):
    assert_same_error(make)


def test_default_dtype_follows_set_default_dtype():
    for m in (torch, tensorish):
        m.set_default_dtype(m.float64)
    try:
        assert_same(torch.Tensor([1]), tensorish.Tensor([1]), "Tensor, float64 default")
        assert_same(torch.FloatTensor([1]), tensorish.FloatTensor([1]), "FloatTensor")
        assert tensorish.ones(1).type() == torch.ones(1).type().replace("torch", "tensorish")
        assert_same(torch.ones(2).type(torch.Tensor), tensorish.ones(2).type(tensorish.Tensor), "")
    finally:
        for m in (torch, tensorish):
            m.set_default_dtype(m.float32)


def test_legacy_constructor_stays_on_the_cpu():
    """torch.Tensor ignores the default device: it is the CPU type."""
    tensorish.set_default_device("cpu")
    try:
        assert tensorish.Tensor(2).device == tensorish.device("cpu")
        assert tensorish.ones(1).new_zeros(2).device == tensorish.device("cpu")
    finally:
        tensorish.set_default_device(None)


def test_tensor_of_a_tensor_is_an_alias():
    def run(m):
        a = m.ones(2)
        b = m.Tensor(a)
        b.add_(1)
        r = m.ones(2, requires_grad=True)
        c = m.Tensor(r)
        (c * 3).sum().backward()
        return b is a, a, c.requires_grad, type(c.grad_fn).__name__, r.grad

    t, s = run(torch), run(tensorish)
    assert t[0] == s[0] and t[2:4] == s[2:4]
    assert_same(t[1], s[1], "write through the alias")
    assert_same(t[4], s[4], "gradient through AliasBackward0")


@pytest.mark.parametrize("name", TYPES)
def test_isinstance(name):
    values = [
        lambda m: m.ones(2),
        lambda m: m.ones(2, dtype=m.float64),
        lambda m: m.ones(2, dtype=m.int64),
        lambda m: m.ones(2, dtype=m.int32),
        lambda m: m.ones(2, dtype=m.bool),
        lambda m: m.ones(2, dtype=m.uint8),
        lambda m: m.ones(2, dtype=m.bfloat16),
        lambda m: m.nn.Parameter(m.ones(2)),
        lambda m: [1.0],
    ]
    for make in values:
        assert isinstance(make(tensorish), getattr(tensorish, name)) == isinstance(
            make(torch), getattr(torch, name)
        )
        assert not isinstance(make(tensorish), getattr(tensorish.cuda, name))


@pytest.mark.parametrize("name", TYPES)
def test_type_objects(name):
    t, s = getattr(torch, name), getattr(tensorish, name)
    assert repr(s) == repr(t).replace("torch", "tensorish") == str(s)
    assert repr(getattr(tensorish.cuda, name)) == repr(getattr(torch.cuda, name)).replace(
        "torch", "tensorish"
    )
    assert (s.__name__, s.__qualname__, s.is_cuda, s.is_sparse) == (
        t.__name__,
        t.__qualname__,
        t.is_cuda,
        t.is_sparse,
    )
    assert str(s.dtype) == str(t.dtype).replace("torch", "tensorish")
    assert issubclass(s, tensorish.Tensor) is issubclass(t, torch.Tensor) is False
    assert type(tensorish.ones(1)) is tensorish.Tensor
    assert type(s([1])) is tensorish.Tensor
    assert_same(t.sum(torch.ones(2)), s.sum(tensorish.ones(2)), "FloatTensor.sum")


def test_tensor_class_prints_as_torch():
    assert repr(tensorish.Tensor) == repr(torch.Tensor).replace("torch", "tensorish")
    assert repr(type(tensorish.ones(1))) == "<class 'tensorish.Tensor'>"


@pytest.mark.parametrize("src", ["float32", "int64", "bool"])
@pytest.mark.parametrize("name", TYPES + ["Tensor"])
def test_type_conversion(name, src):
    def run(m, by_name):
        x = m.tensor([0.0, 1.5, -2.0]).to(getattr(m, src))
        target = f"torch.{name}" if by_name else getattr(m, name)
        return x.type(target)

    for by_name in (False, True) if name != "Tensor" else (False,):
        t, s = run(torch, by_name), run(tensorish, by_name)
        assert_same(t, s, f"{src}.type({name})")
        assert s.type() == t.type().replace("torch", "tensorish")


@pytest.mark.parametrize("bad", ["foo", int, "nn.Parameter"])
def test_type_errors(bad):
    def run(m):
        target = m.nn.Parameter if bad == "nn.Parameter" else bad
        return m.ones(2).type(target)

    assert_same_error(run)


def test_cuda_types_without_cuda():
    if tensorish.cuda.is_available():
        x = tensorish.cuda.FloatTensor([1, 2])
        assert x.is_cuda and isinstance(x, tensorish.cuda.FloatTensor)
        assert not isinstance(x, tensorish.FloatTensor)
        assert x.type(tensorish.FloatTensor).device.type == "cpu"
        return
    assert_same_error(lambda m: m.cuda.FloatTensor([1]))
    assert_same_error(lambda m: m.cuda.LongTensor(2, 3))


NEW = [
    lambda m, x: x.new_tensor([1, 2]),
    lambda m, x: x.new_tensor([1.5, 2], dtype=m.int32),
    lambda m, x: x.new_tensor([1.0, 2], requires_grad=True),
    lambda m, x: x.new_tensor(np.array([1, 2])),
    lambda m, x: x.new_tensor(3),
    lambda m, x: x.new_tensor(data=[1]),
    lambda m, x: x.new_tensor([1, 2], dtype=None, device=None),
    lambda m, x: x.new_zeros(2, 3),
    lambda m, x: x.new_zeros((2, 3)),
    lambda m, x: x.new_zeros([2, 3]),
    lambda m, x: x.new_zeros(m.Size([2])),
    lambda m, x: x.new_zeros(size=(2,)),
    lambda m, x: x.new_zeros(2, dtype=m.int64),
    lambda m, x: x.new_zeros(2, requires_grad=True),
    lambda m, x: x.new_ones(3),
    lambda m, x: x.new_ones(2, 3, dtype=m.bool, device="cpu"),
    lambda m, x: x.new_ones(3, requires_grad=True),
    lambda m, x: x.new_full((2,), 3),
    lambda m, x: x.new_full((2,), 3.5),
    lambda m, x: x.new_full([2], True),
    lambda m, x: x.new_full((2,), 3, dtype=m.int32),
    lambda m, x: x.new_full((2,), m.tensor(3.5)),
    lambda m, x: x.new_full(size=(2,), fill_value=1, requires_grad=True),
    lambda m, x: x.new_empty(2, 3).zero_(),
    lambda m, x: x.new_empty((2,), dtype=m.int64).zero_(),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("make", NEW)
def test_new_methods(make, dtype):
    def run(m):
        x = m.ones(2, dtype=getattr(m, dtype), requires_grad=dtype != "int64")
        return make(m, x)

    try:
        t = run(torch)
    except RuntimeError:  # requires_grad on an integer dtype
        assert_same_error(run)
        return
    s = run(tensorish)
    assert_same(t, s, "new_*")
    assert s.requires_grad == t.requires_grad and s.is_leaf


def test_new_tensor_of_a_tensor_warns_and_copies():
    def run(m):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            src = m.ones(2, requires_grad=True)
            out = m.zeros(1, dtype=m.float64).new_tensor(src)
        return out, [str(x.message) for x in w], out.requires_grad

    t, s = run(torch), run(tensorish)
    assert_same(t[0], s[0], "copy")
    assert t[1:] == s[1:]


NEW_BAD = [
    lambda m: m.ones(2).new_zeros(),
    lambda m: m.ones(2).new_tensor(),
    lambda m: m.ones(2).new_empty(),
    lambda m: m.ones(2).new_full((2,)),
    lambda m: m.ones(2).new_full(2, 3),
    lambda m: m.ones(2).new_zeros(2.0),
    lambda m: m.ones(2).new_zeros(True),
    lambda m: m.ones(2).new_zeros(-1),
    lambda m: m.ones(2).new_zeros(2, 3.0),
    lambda m: m.ones(2).new_zeros([2, 3.0]),
    lambda m: m.ones(2).new_ones(2, "a"),
    lambda m: m.ones(2).new_zeros(2, size=3),
    lambda m: m.ones(2).new_tensor([[1], [2, 3]]),
    lambda m: m.ones(2).new_tensor("a"),
    lambda m: m.ones(2, dtype=m.long).new_zeros(2, requires_grad=True),
]


@pytest.mark.parametrize("make", NEW_BAD)
def test_new_methods_errors(make):
    assert_same_error(make)


def test_subclasses():
    """The subclassing patterns of user code: construct, ``__new__`` forwarding with extra
    arguments, ``_make_subclass`` and ``as_subclass``."""

    def run(m):
        class Plain(m.Tensor):
            pass

        class Tagged(m.Tensor):
            @staticmethod
            def __new__(cls, x, tag=None, *args, **kwargs):
                return super().__new__(cls, x, *args, **kwargs)

            def __init__(self, x, tag=None):
                self.tag = tag

        class Param(m.Tensor):
            def __new__(cls, data, requires_grad=False):
                return m.Tensor._make_subclass(cls, data, requires_grad)

        x = m.ones(2, requires_grad=True)
        a = Plain([1, 2])
        b = Tagged([1.0, 2.0], tag="hi")
        c = Param(m.ones(2), True)
        d = x.as_subclass(Plain)
        d.sum().backward()
        e = Plain(2, 3)
        out = [a, b, c, d, e]
        return (
            [type(v).__name__ for v in out],
            [repr(v) for v in (a, b, c)],
            b.tag,
            (c.requires_grad, c.is_leaf, d.requires_grad, d.is_leaf),
            type(d.grad_fn).__name__,
            isinstance(a, m.Tensor) and isinstance(a, m.FloatTensor),
            x.grad.tolist(),
            tuple(e.shape),
        )

    assert run(tensorish) == run(torch)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.ones(2).as_subclass(int),
        lambda m: m.Tensor._make_subclass(int, m.ones(2)),
        lambda m: m.Tensor._make_subclass(m.nn.Parameter, m.ones(2, dtype=m.long), True),
    ],
)
def test_subclass_errors(make):
    assert_same_error(make)

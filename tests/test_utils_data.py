"""tensorish.utils.data against torch.utils.data: datasets, samplers, collate, DataLoader (in
the main process and with worker processes), DistributedSampler.

Batches that do not depend on the random stream must equal torch's; shuffles are checked for
being permutations and reproducible from tensorish's seeds (JAX's generator is not torch's).
Worker tests are few and small: a worker is a fresh interpreter (about 2 s to start).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import warnings
from collections import namedtuple
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import torch
from oracle import assert_same_error

import tensorish

# Classes here travel to tensorish's workers by value (as a script's __main__ classes do), so
# a worker does not import this module and, through it, torch.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

Pair = namedtuple("Pair", "x label")
LIBS = pytest.mark.parametrize("m", [torch, tensorish], ids=["torch", "tensorish"])
fork_ok = pytest.mark.filterwarnings("ignore:os.fork")  # torch forks its workers


def data(m):
    return m.utils.data


def plain(x):
    """A comparable form of a (nested) batch of either library."""
    if isinstance(x, (torch.Tensor, tensorish.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, *[plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("ndarray", x.tolist())
    return x


def same(fn):
    """``fn(torch)`` and ``fn(tensorish)`` give the same (nested) result."""
    expected = plain(fn(torch))
    assert plain(fn(tensorish)) == expected


# -- datasets -------------------------------------------------------------------------------
class Squares:
    """A plain map-style dataset (no base class), as torch accepts."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return i * i


def test_tensor_concat_subset_stack_datasets():
    def build(m):
        d = data(m)
        x = m.arange(12).reshape(6, 2)
        tds = d.TensorDataset(x, m.arange(6) * 10)
        cat = d.ConcatDataset([tds, d.TensorDataset(-x, m.arange(6))])
        sub = d.Subset(cat, [7, 0, 11])
        stack_t = d.StackDataset(tds, Squares())
        stack_d = d.StackDataset(a=Squares(), b=range(6))
        return [
            len(tds),
            tds[2],
            tds[m.tensor([1, 3])],
            len(cat),
            cat[6],
            cat[-1],
            cat.cumulative_sizes,
            len(sub),
            sub[1],
            sub.__getitems__([0, 2]),
            stack_t[4],
            stack_t.__getitems__([1, 2]),
            stack_d[3],
            stack_d.__getitems__([0, 4]),
            (tds + tds)[7],
        ]

    same(build)


def stream(m, make_iter, length=None):
    """An IterableDataset of library ``m`` whose ``__iter__`` is ``make_iter`` (and ``__len__``
    ``length``, when given)."""

    class Stream(data(m).IterableDataset):
        def __iter__(self):
            return make_iter()

        def __len__(self):
            return length

    return Stream()


def count(m, n):
    return stream(m, lambda: iter(range(n)), n)


def test_chain_dataset():
    same(
        lambda m: [
            list(data(m).ChainDataset([count(m, 2), count(m, 3)])),
            len(data(m).ChainDataset([count(m, 2), count(m, 3)])),
            list(count(m, 1) + count(m, 2)),
        ]
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: data(m).ConcatDataset([]),
        lambda m: data(m).ConcatDataset([range(3)])[-4],
        lambda m: data(m).TensorDataset(m.ones(2), m.ones(3)),
        lambda m: data(m).StackDataset(),
        lambda m: data(m).StackDataset(range(2), a=range(2)),
        lambda m: data(m).StackDataset(range(2), range(3)),
        lambda m: data(m).random_split(range(10), [3, 3]),
        lambda m: data(m).random_split(range(10), [0.5, 1.5, -1.0]),
        lambda m: data(m).Dataset()[0],
        lambda m: list(data(m).ChainDataset([range(2)])),
    ],
)
def test_dataset_errors(fn):
    assert_same_error(fn)


def test_random_split():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for m in (torch, tensorish):
            parts = data(m).random_split(range(2), [0.4, 0.3, 0.3])
            assert [len(p) for p in parts] == [1, 1, 0]
    assert str(caught[0].message) == str(caught[1].message)
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.25, 0.75]):
        expected = [len(p) for p in torch.utils.data.random_split(range(10), lengths)]
        g = tensorish.Generator().manual_seed(3)
        parts = tensorish.utils.data.random_split(range(10), lengths, generator=g)
        assert [len(p) for p in parts] == expected
        assert sorted(i for p in parts for i in p) == list(range(10))
        again = tensorish.utils.data.random_split(
            range(10), lengths, generator=tensorish.Generator().manual_seed(3)
        )
        assert [list(p) for p in again] == [list(p) for p in parts]
    tensorish.manual_seed(5)
    a = [list(p) for p in tensorish.utils.data.random_split(range(8), [4, 4])]
    tensorish.manual_seed(5)
    assert [list(p) for p in tensorish.utils.data.random_split(range(8), [4, 4])] == a


# -- samplers -------------------------------------------------------------------------------
def test_sequential_and_batch_samplers():
    def build(m):
        d = data(m)
        out = [list(d.SequentialSampler(range(4))), len(d.SequentialSampler(range(4)))]
        for drop_last in (False, True):
            bs = d.BatchSampler(d.SequentialSampler(range(7)), 3, drop_last)
            out += [list(bs), len(bs)]
        return out

    same(build)


def test_random_samplers_are_seeded_permutations():
    d = tensorish.utils.data

    def draw(**kw):
        return list(d.RandomSampler(range(6), **kw))

    tensorish.manual_seed(0)
    first = draw()
    assert sorted(first) == list(range(6))
    tensorish.manual_seed(0)
    assert draw() == first
    g = lambda: tensorish.Generator().manual_seed(1)  # noqa: E731
    assert draw(generator=g()) == draw(generator=g())
    more = draw(num_samples=14, generator=g())
    assert len(more) == 14 and sorted(more[:6]) == sorted(more[6:12]) == list(range(6))
    assert len(set(more[12:])) == 2
    repl = draw(replacement=True, num_samples=40, generator=g())
    assert len(repl) == 40 and set(repl) <= set(range(6))
    assert len(d.RandomSampler(range(6), num_samples=3)) == 3
    sub = list(d.SubsetRandomSampler([10, 20, 30], generator=g()))
    assert sorted(sub) == [10, 20, 30]
    weighted = list(d.WeightedRandomSampler([0.0, 2.0, 0.0, 1.0], 50, generator=g()))
    assert len(weighted) == 50 and set(weighted) == {1, 3}
    no_repl = list(d.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False))
    assert sorted(no_repl) == [0, 1, 2]


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: data(m).RandomSampler(range(3), replacement=1),
        lambda m: data(m).RandomSampler(range(3), num_samples=0),
        lambda m: data(m).RandomSampler(range(0)),
        lambda m: data(m).RandomSampler(range(3), num_samples=2.0),
        lambda m: data(m).WeightedRandomSampler([1, 2], 0),
        lambda m: data(m).WeightedRandomSampler([1, 2], True),
        lambda m: data(m).WeightedRandomSampler([1, 2], 2, replacement=0),
        lambda m: data(m).WeightedRandomSampler([[1, 2]], 2),
        lambda m: data(m).BatchSampler(range(3), 0, False),
        lambda m: data(m).BatchSampler(range(3), 2, 1),
    ],
)
def test_sampler_errors(fn):
    assert_same_error(fn)


@pytest.mark.parametrize("n", [0, 7, 8, 2])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_partition(n, drop_last):
    def build(m):
        samplers = [
            data(m).DistributedSampler(range(n), 3, r, shuffle=False, drop_last=drop_last)
            for r in range(3)
        ]
        return [(list(s), len(s), s.total_size) for s in samplers]

    same(build)


def test_distributed_sampler_shuffle_and_errors():
    d = tensorish.utils.data
    parts = [d.DistributedSampler(range(10), 2, r, seed=4) for r in range(2)]
    epoch0 = [list(p) for p in parts]
    assert sorted(epoch0[0] + epoch0[1]) == list(range(10))
    assert [list(d.DistributedSampler(range(10), 2, r, seed=4)) for r in range(2)] == epoch0
    for p in parts:
        p.set_epoch(1)
    epoch1 = [list(p) for p in parts]
    assert epoch1 != epoch0 and sorted(epoch1[0] + epoch1[1]) == list(range(10))
    assert_same_error(lambda m: data(m).DistributedSampler(range(4), 2, 2))
    assert_same_error(lambda m: data(m).DistributedSampler(range(4), 2, -1))
    assert_same_error(lambda m: data(m).DistributedSampler(range(4)))


# -- collate --------------------------------------------------------------------------------
def samples(m):
    """Samples of every kind default_collate handles, built with library ``m``."""
    return [
        {
            "t": m.tensor([i, i + 1.5]),
            "np": np.arange(3, dtype=np.float32) * i,
            "npi": np.int32(i),
            "f": i / 2,
            "i": i,
            "b": i % 2 == 0,
            "s": f"s{i}",
            "by": bytes([65 + i]),
            "tup": (i, "x", [i, i]),
            "nt": Pair(m.tensor(i), f"l{i}"),
        }
        for i in range(3)
    ]


def test_default_collate_nested():
    same(lambda m: data(m).default_collate(samples(m)))
    same(lambda m: data(m).dataloader.default_collate([(1, "a"), (2, "b")]))
    same(lambda m: data(m).default_collate([np.float64(1.0), np.float64(2.0)]))


def test_default_convert():
    def build(m):
        convert = data(m).default_convert
        sample = (np.int64(3), np.array(["x"]), "y", [np.float32(1.5)], {"k": np.ones(2)})
        return [convert(sample), convert(Pair(np.ones(1), 2)), convert(m.ones(2))]

    same(build)


@pytest.mark.parametrize(
    "batch",
    [
        lambda m: [object()],
        lambda m: [[1, 2], [3]],
        lambda m: [np.array(["a"]), np.array(["b"])],
        lambda m: [m.ones(2), m.ones(3)],
        lambda m: [{"a": 1}, {"b": 2}],
        lambda m: [None],
    ],
)
def test_default_collate_errors(batch):
    assert_same_error(lambda m: data(m).default_collate(batch(m)))


# -- DataLoader in the main process ---------------------------------------------------------
def loaded(loader):
    """The length of ``loader`` and its batches."""
    return [len(loader), *loader]


class Rows(tensorish.utils.data.Dataset):
    """Rows of a tensor of either library, with a label: (row, {"i": i, "name": str})."""

    def __init__(self, m, n=7):
        self.x = m.arange(n * 2, dtype=m.float32).reshape(n, 2)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], {"i": i, "name": f"r{i}"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"batch_size": 3},
        {"batch_size": 3, "drop_last": True},
        {"batch_size": None},
        {"batch_sampler": [[4, 0], [2], [6, 5, 1]]},
        {"sampler": [6, 2, 3], "batch_size": 2},
        {"batch_size": 2, "collate_fn": lambda b: [s[1]["name"] for s in b]},
    ],
)
def test_loader_batches_equal_torch(kwargs):
    same(lambda m: loaded(data(m).DataLoader(Rows(m), **kwargs)))


@pytest.mark.parametrize(
    "kwargs", [{}, {"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}]
)
def test_loader_iterable_dataset(kwargs):
    same(lambda m: loaded(data(m).DataLoader(count(m, 5), **kwargs)))


def test_loader_shuffle_reproducible():
    ds = tensorish.utils.data.TensorDataset(tensorish.arange(10))

    def epoch(**kw):
        return [
            b.tolist()
            for (b,) in tensorish.utils.data.DataLoader(ds, batch_size=4, shuffle=True, **kw)
        ]

    tensorish.manual_seed(0)
    first = epoch()
    assert [len(b) for b in first] == [4, 4, 2] and sorted(sum(first, [])) == list(range(10))
    assert epoch() != first  # the next epoch reshuffles
    tensorish.manual_seed(0)
    assert epoch() == first
    g = lambda: tensorish.Generator().manual_seed(7)  # noqa: E731
    assert epoch(generator=g()) == epoch(generator=g())


def test_loader_tensor_batches_land_on_default_device():
    loader = tensorish.utils.data.DataLoader(Rows(tensorish), batch_size=4)
    x, labels = next(iter(loader))
    assert isinstance(x, tensorish.Tensor) and x.device == tensorish.get_default_device()
    assert labels["i"].dtype is tensorish.int64


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_workers": -1},
        {"timeout": -1},
        {"prefetch_factor": 2},
        {"num_workers": 1, "prefetch_factor": -1},
        {"persistent_workers": True},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"sampler": [0], "shuffle": True},
        {"batch_size": None, "drop_last": True},
        {"multiprocessing_context": "fork"},
        {"num_workers": 1, "multiprocessing_context": "x"},
        {"num_workers": 1, "multiprocessing_context": 3},
    ],
)
def test_loader_argument_errors(kwargs):
    assert_same_error(lambda m: data(m).DataLoader(range(4), **kwargs))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}])
def test_loader_iterable_argument_errors(kwargs):
    assert_same_error(lambda m: data(m).DataLoader(count(m, 3), **kwargs))


def test_loader_attributes_frozen_and_warnings():
    def set_batch_size(m):
        data(m).DataLoader(range(4)).batch_size = 3

    assert_same_error(set_batch_size)
    messages = []
    for m in (torch, tensorish):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            list(data(m).DataLoader(range(2), pin_memory=True))
            data(m).DataLoader(range(2), num_workers=64)
            short = data(m).DataLoader(stream(m, lambda: iter(range(3)), 2))
            assert len(short) == 2 and len(list(short)) == 3
        messages.append([re.sub("0x[0-9a-f]+", "", str(w.message)) for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 3


# -- worker processes -----------------------------------------------------------------------
class Probe(tensorish.utils.data.Dataset):
    """Rows of a tensor, with the worker's id and what its seeded generators drew first."""

    def __init__(self, m, n=10):
        self.m = m
        self.x = m.arange(n * 2).reshape(n, 2)
        self.first = (0, (0.0, 0.0, 0.0))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        info = self.m.utils.data.get_worker_info()
        return self.x[i] * 2, info.id, info.num_workers, self.first


def record_first_draws(worker_id):
    info = tensorish.utils.data.get_worker_info()
    draws = (random.random(), float(np.random.rand()), tensorish.rand(()).item())
    info.dataset.first = (info.seed, draws)


def expected_draws(seed, worker_id):
    base = seed - worker_id
    numpy_seed = np.random.SeedSequence([worker_id, base & 0xFFFFFFFF, base >> 32, 0])
    return (
        random.Random(seed).random(),
        float(np.random.RandomState(numpy_seed.generate_state(4)).rand()),
        tensorish.rand((), generator=tensorish.Generator().manual_seed(seed)).item(),
    )


@fork_ok
def test_workers_map_dataset_order_info_and_seeds():
    expected = [
        (b[0].tolist(), b[1].tolist(), b[2].tolist())
        for b in torch.utils.data.DataLoader(Probe(torch), batch_size=3, num_workers=2)
    ]
    loader = tensorish.utils.data.DataLoader(
        Probe(tensorish),
        batch_size=3,
        num_workers=2,
        persistent_workers=True,
        worker_init_fn=record_first_draws,
    )
    for _ in range(2):  # the same two workers serve both epochs
        batches = list(loader)
        assert [(b[0].tolist(), b[1].tolist(), b[2].tolist()) for b in batches] == expected
        assert all(isinstance(b[0], tensorish.Tensor) for b in batches)
        seeds = {}
        for b in batches:
            first_seeds, draws = b[3][0].tolist(), [d.tolist() for d in b[3][1]]
            for k, wid in enumerate(b[1].tolist()):
                seeds[wid] = first_seeds[k]
                assert tuple(d[k] for d in draws) == expected_draws(first_seeds[k], wid)
        assert seeds[1] - seeds[0] == 1
    pids = [w.process.pid for w in loader._iterator._workers]
    assert all(w.process.poll() is None for w in loader._iterator._workers)
    list(loader)
    assert [w.process.pid for w in loader._iterator._workers] == pids


def shards(m):
    """range(3, 10), sharded across workers with get_worker_info."""

    def make_iter():
        info = data(m).get_worker_info()
        return iter(range(3 + info.id, 10, info.num_workers))

    return stream(m, make_iter)


@fork_ok
def test_workers_iterable_dataset_sharded():
    same(lambda m: list(data(m).DataLoader(shards(m), batch_size=2, num_workers=2)))


class Faulty(tensorish.utils.data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise ValueError(f"bad sample {i}")
        return i


@fork_ok
def test_worker_exception_reraised_with_traceback():
    messages = []
    for m in (torch, tensorish):
        with pytest.raises(ValueError) as err:
            list(data(m).DataLoader(Faulty(), batch_size=2, num_workers=1))
        messages.append(str(err.value))
    head = "Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most "
    for msg in messages:
        assert msg.startswith(head + "recent call last):\n") and "in __getitem__" in msg
        assert msg.endswith('raise ValueError(f"bad sample {i}")\nValueError: bad sample 3\n')


SCRIPT = """\
import time
import MODULE as torch
from MODULE.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info
from collections import namedtuple

Item = namedtuple("Item", "x y")

class Squares(Dataset):
    def __init__(self):
        self.data = torch.arange(8, dtype=torch.float32)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return Item(self.data[i] ** 2, {"worker": get_worker_info().id})

class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(0.5 if i == 0 else 0.0)
        return i

loader = DataLoader(Squares(), batch_size=3, num_workers=2, worker_init_fn=lambda i: None)
for batch in loader:
    print(type(batch).__name__, batch.x, batch.y)
print(sorted(int(b) for b in DataLoader(Slow(), num_workers=2, in_order=False)))
try:
    next(iter(DataLoader(Slow(), num_workers=1, timeout=0.2)))
except RuntimeError as e:
    print(e)
"""


@fork_ok
def test_script_without_main_guard(tmp_path):
    """A script that builds worker DataLoaders at top level, with a Dataset, a namedtuple and
    a lambda defined in __main__, prints what it prints under torch."""
    root = str(Path(tensorish.__file__).resolve().parent.parent)
    outputs = []
    for name in ("torch", "tensorish"):
        path = tmp_path / f"{name}_script.py"
        path.write_text(SCRIPT.replace("MODULE", name))
        run = subprocess.run(
            [sys.executable, "-W", "ignore", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": root},
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[1] == outputs[0]
    assert outputs[0].startswith("Item tensor([0., 1., 4.])")

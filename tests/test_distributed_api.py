"""tensorish.distributed's process-group API in this process (a group of one), against torch's:
errors before and during init_process_group, the lifecycle, every collective's values, in-place
writes and argument errors, DistributedDataParallel (its doctests run in test_doctests.py). The
multi-process behaviour is in test_distributed_processes.py."""

import os

import numpy as np
import pytest
import torch
import torch.distributed as tdist
from oracle import assert_same

import tensorish
import tensorish.distributed as dist


def _pair():
    return tdist, dist


@pytest.fixture
def world(tmp_path):
    """A group of one in both libraries, destroyed afterwards."""
    tdist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", world_size=1, rank=0)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", world_size=1, rank=0)
    yield
    tdist.destroy_process_group()
    dist.destroy_process_group()


def _same_error(fn, tlib=tdist, slib=dist) -> None:
    with pytest.raises(Exception) as te:
        fn(tlib, torch)
    with pytest.raises(Exception) as se:
        fn(slib, tensorish)
    assert type(se.value).__name__ == type(te.value).__name__, (se.value, te.value)
    assert str(se.value) == str(te.value).replace("torch.", "tensorish."), (se.value, te.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda d, t: d.get_rank(),
        lambda d, t: d.get_world_size(),
        lambda d, t: d.get_backend(),
        lambda d, t: d.barrier(),
        lambda d, t: d.new_group([0]),
        lambda d, t: d.all_reduce(t.ones(2)),
        lambda d, t: d.destroy_process_group(),
    ],
)
def test_before_init_process_group_errors_as_torch(call):
    assert not dist.is_initialized() and dist.is_available() == tdist.is_available()
    _same_error(call)


@pytest.mark.parametrize(
    "env, kwargs",
    [
        ({}, {}),
        ({"RANK": "0"}, {"world_size": 1}),
        ({}, {"world_size": 1, "rank": 0}),
        ({"MASTER_ADDR": "127.0.0.1"}, {"world_size": 1, "rank": 0}),
        ({}, {"init_method": "tcp://127.0.0.1:0", "rank": 0}),
        ({}, {"init_method": "foo://x", "world_size": 1, "rank": 0}),
        ({}, {"init_method": "file:///tmp/x", "world_size": 1}),
        ({}, {"backend": "xyz", "init_method": "tcp://127.0.0.1:0", "world_size": 1, "rank": 0}),
    ],
)
def test_init_process_group_errors_as_torch(monkeypatch, env, kwargs):
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _same_error(lambda d, t: d.init_process_group(**{"backend": "gloo", **kwargs}))
    assert not dist.is_initialized()


def test_env_rendezvous_and_lifecycle_as_torch(monkeypatch):
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "0")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    seen = []
    for d in _pair():
        d.init_process_group()
        g = d.new_group([0])
        seen.append(
            (
                d.get_rank(),
                d.get_world_size(),
                d.is_initialized(),
                d.get_backend(),
                d.group.WORLD.rank(),
                d.group.WORLD.size(),
                g.rank(),
                g.size(),
                d.get_rank(g),
                d.get_process_group_ranks(g),
                d.get_global_rank(g, 0),
                d.get_group_rank(g, 0),
            )
        )
        with pytest.raises(ValueError, match="twice"):
            d.init_process_group("gloo", world_size=1, rank=0)
        d.destroy_process_group()
        assert not d.is_initialized() and d.group.WORLD is None
    assert seen[0] == seen[1]


def test_reduce_op_as_torch():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        t, s = getattr(tdist.ReduceOp, name), getattr(dist.ReduceOp, name)
        assert (repr(s), str(s)) == (repr(t), str(t))
    assert dist.ReduceOp.SUM == dist.ReduceOp.SUM != dist.ReduceOp.MAX


def _data(lib, dtype="float32"):
    return lib.tensor(np.arange(6, dtype=dtype).reshape(2, 3) + 1)


@pytest.mark.parametrize("op", ["SUM", "AVG", "PRODUCT", "MIN", "MAX"])
@pytest.mark.parametrize("async_op", [False, True])
def test_all_reduce_in_place_as_torch(world, op, async_op):
    outs = []
    for d, lib in zip(_pair(), (torch, tensorish)):
        x = _data(lib)
        work = d.all_reduce(x, op=getattr(d.ReduceOp, op), async_op=async_op)
        if async_op:
            assert work.wait() is True and work.is_completed() and work.result()[0] is x
        else:
            assert work is None
        outs.append(x)
    assert_same(outs[0], outs[1], op)


@pytest.mark.parametrize(
    "call",
    [
        lambda d, t: (d.broadcast(x := _data(t), src=0), x)[1],
        lambda d, t: (d.all_gather(out := [t.zeros(2, 3)], _data(t)), out)[1],
        lambda d, t: (d.all_gather_into_tensor(out := t.zeros(2, 3), _data(t)), out)[1],
        lambda d, t: (d.all_gather_single(out := t.zeros(2, 3), _data(t)), out)[1],
        lambda d, t: (d.reduce_scatter_single(out := t.zeros(2, 3), _data(t)), out)[1],
        lambda d, t: (d.reduce_scatter_tensor(out := t.zeros(2, 3), _data(t)), out)[1],
        lambda d, t: (d.reduce(x := _data(t), dst=0, op=d.ReduceOp.MAX), x)[1],
        lambda d, t: (d.gather(_data(t), out := [t.zeros(2, 3)], dst=0), out)[1],
        lambda d, t: (d.scatter(out := t.zeros(2, 3), [_data(t) * 2], src=0), out)[1],
        lambda d, t: (d.all_to_all_single(out := t.zeros(2, 3), _data(t)), out)[1],
        lambda d, t: (d.all_to_all_single(out := t.zeros(2, 3), _data(t), [2], [2]), out)[1],
        lambda d, t: (d.all_reduce(x := _data(t, "int64"), op=d.ReduceOp.BXOR), x)[1],
        lambda d, t: (d.all_reduce(x := t.tensor([True, False])), x)[1],
    ],
)
def test_collectives_of_one_rank_as_torch(world, call):
    assert_same(call(tdist, torch), call(dist, tensorish), "collective")


@pytest.mark.parametrize(
    "call",
    [
        lambda d, t: d.broadcast(_data(t), src=1),
        lambda d, t: d.all_gather([t.zeros(2, 3), t.zeros(2, 3)], _data(t)),
        lambda d, t: d.all_gather([t.zeros(3)], _data(t)),
        lambda d, t: d.all_gather_single(t.zeros(4), t.zeros(3)),
        lambda d, t: d.gather(_data(t), None, dst=0),
        lambda d, t: d.scatter(_data(t), None, src=0),
        lambda d, t: d.all_to_all_single(t.zeros(3), t.zeros(3), [3], [2]),
        lambda d, t: d.all_reduce(_data(t, "int64"), op=d.ReduceOp.AVG),
        lambda d, t: d.all_reduce(_data(t), op=d.ReduceOp.BAND),
        lambda d, t: d.all_reduce([_data(t)]),
        lambda d, t: d.all_reduce(3),
    ],
)
def test_collective_argument_errors_as_torch(world, call):
    _same_error(call)


def test_objects_and_barrier_as_torch(world):
    for d in _pair():
        objects = [{"a": 1}, (2, "b")]
        d.broadcast_object_list(objects, src=0)
        gathered = [None]
        d.all_gather_object(gathered, [3, {"c": 4.5}])
        assert objects == [{"a": 1}, (2, "b")] and gathered == [[3, {"c": 4.5}]]
        assert d.barrier() is None and d.barrier(async_op=True).wait()


class _TwoLayers:
    """A module with a second, unused layer, in either library."""

    @staticmethod
    def make(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2)
                self.b = lib.nn.Linear(2, 2)

            def forward(self, x):
                return self.a(x)

        return Net()


def test_ddp_of_one_rank_as_torch(world):
    results = []
    for lib in (torch, tensorish):
        lib.manual_seed(0)
        ddp = lib.nn.parallel.DistributedDataParallel(_TwoLayers.make(lib))
        with lib.no_grad():
            for p, v in zip(ddp.parameters(), [np.eye(2), np.ones(2), np.eye(2), np.ones(2)]):
                p.copy_(lib.tensor(v.astype(np.float32)))
        ddp(lib.ones(3, 2)).sum().backward()
        with pytest.raises(RuntimeError) as err:
            ddp(lib.ones(3, 2))
        unused = lib.nn.parallel.DistributedDataParallel(
            _TwoLayers.make(lib), find_unused_parameters=True
        )
        with unused.no_sync():
            unused(lib.ones(1, 2)).sum().backward()
        unused(lib.ones(1, 2)).sum().backward()
        results.append(
            (
                list(ddp.state_dict()),
                ddp.module.a.weight.grad,
                str(err.value).replace("torch.", "tensorish."),
                unused.module.b.weight.grad is None,
                unused.module.a.bias.grad,
            )
        )
    (tk, tg, terr, tnone, tbias), (sk, sg, serr, snone, sbias) = results
    assert tk == sk and tnone and snone
    assert_same(tg, sg, "grad")
    assert_same(tbias, sbias, "accumulated grad")
    assert terr.startswith(serr), (serr, terr)
    _same_error(lambda d, t: t.nn.parallel.DistributedDataParallel(t.nn.ReLU()))


def test_fully_shard_and_meshes_in_a_group_of_one(world):
    from tensorish.distributed.fsdp import FullyShardedDataParallel, fully_shard

    mesh = dist.init_device_mesh("cpu", (1,), mesh_dim_names=("dp",))
    assert mesh.get_group() is dist.group.WORLD and mesh.get_local_rank() == 0
    tensorish.manual_seed(0)
    plain = tensorish.nn.Linear(3, 2)
    tensorish.manual_seed(0)
    sharded = fully_shard(tensorish.nn.Linear(3, 2), mesh=mesh)
    wrapped = FullyShardedDataParallel(tensorish.nn.Linear(3, 2))
    wrapped.load_state_dict(plain.state_dict())
    x = tensorish.ones(4, 3)
    for model in (plain, sharded, wrapped):
        model(x).pow(2).sum().backward()
    for model in (sharded, wrapped):
        assert_same(plain.weight.grad, model.weight.grad, "grad")
    assert list(wrapped.state_dict()) == ["weight", "bias"]

    @tensorish.compile
    def step(x):
        sharded(x).sum().backward()

    with pytest.raises(NotImplementedError, match="fully_shard modules run eagerly"):
        step(x)


def test_launcher_parses_torchruns_options():
    from torch.distributed.run import get_args_parser as torch_parser

    from tensorish.distributed.run import get_args_parser

    argv = [
        "--nnodes=2",
        "--nproc_per_node",
        "4",
        "--node-rank",
        "1",
        "--master-addr",
        "10.0.0.1",
        "--master_port=1234",
        "--max-restarts=3",
        "--rdzv-id",
        "job",
        "--standalone",
        "train.py",
        "--lr",
        "0.1",
    ]
    names = ["nnodes", "nproc_per_node", "node_rank", "master_addr", "master_port"]
    names += ["max_restarts", "rdzv_id", "standalone", "training_script", "training_script_args"]
    ours, theirs = get_args_parser().parse_args(argv), torch_parser().parse_args(argv)
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    assert os.path.basename(tensorish.distributed.run.__file__) == "run.py"

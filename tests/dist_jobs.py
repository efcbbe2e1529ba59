"""The worker programs of tests/test_distributed_processes.py, one per launched job:

    python -m tensorish.distributed.run --nproc-per-node N tests/dist_jobs.py JOB DIRECTORY

Each worker asserts its checks and prints ``<JOB> OK rank R``; the test reads those lines. The
collectives are checked against NumPy definitions; training against the same training on one
process over the full batch, which the test runs once (``write_references``) into DIRECTORY.
"""

import datetime
import os
import signal
import sys
import time

import numpy as np

import tensorish
import tensorish.distributed as dist
from tensorish import nn

STEPS = 10


def _ok(job: str) -> None:
    print(f"{job} OK rank {dist.get_rank() if dist.is_initialized() else 0}", flush=True)


def _value(k: int, shape: tuple = (3,)) -> np.ndarray:
    """Rank k's data: distinct per rank and per element."""
    return (np.arange(int(np.prod(shape))).reshape(shape) + 10 * k + 1).astype(np.float32)


def _close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def check_collectives(r: int, n: int) -> None:
    """Each collective against its definition on the ranks' data."""
    T = tensorish.tensor
    every = np.stack([_value(k) for k in range(n)])
    for op, definition in [
        (dist.ReduceOp.SUM, np.sum),
        (dist.ReduceOp.AVG, np.mean),
        (dist.ReduceOp.PRODUCT, np.prod),
        (dist.ReduceOp.MIN, np.min),
        (dist.ReduceOp.MAX, np.max),
    ]:
        t = T(_value(r))
        assert dist.all_reduce(t, op=op) is None
        _close(t.numpy(), definition(every, axis=0))
    ints = [np.array([1 + r, 6, 12 * r]) for r in range(n)]
    for op, definition in [
        (dist.ReduceOp.BAND, np.bitwise_and),
        (dist.ReduceOp.BOR, np.bitwise_or),
        (dist.ReduceOp.BXOR, np.bitwise_xor),
    ]:
        t = T(ints[r])
        dist.all_reduce(t, op=op)
        assert t.tolist() == definition.reduce(ints).tolist() and t.dtype is tensorish.int64
    t = T(_value(r))
    dist.broadcast(t, src=n - 1)
    _close(t.numpy(), _value(n - 1))
    gathered = [tensorish.zeros(3) for _ in range(n)]
    dist.all_gather(gathered, T(_value(r)))
    _close(np.stack([g.numpy() for g in gathered]), every)
    out = tensorish.zeros(3 * n)
    dist.all_gather_into_tensor(out, T(_value(r)))
    _close(out.numpy(), every.reshape(-1))
    out = tensorish.zeros(n, 3)
    dist.all_gather_into_tensor(out, T(_value(r)))
    _close(out.numpy(), every)
    rows = np.stack([_value(k, (2 * n, 2)) for k in range(n)])
    out = tensorish.zeros(2, 2)
    dist.reduce_scatter_tensor(out, T(_value(r, (2 * n, 2))))
    _close(out.numpy(), rows.sum(0)[2 * r : 2 * r + 2])
    out = tensorish.zeros(2, 2)
    dist.reduce_scatter_tensor(out, T(_value(r, (2 * n, 2))), op=dist.ReduceOp.MAX)
    _close(out.numpy(), rows.max(0)[2 * r : 2 * r + 2])
    t = T(_value(r))
    dist.reduce(t, dst=0)
    _close(t.numpy(), every.sum(0) if r == 0 else _value(r))
    into = [tensorish.zeros(3) for _ in range(n)] if r == 0 else None
    dist.gather(T(_value(r)), into, dst=0)
    if r == 0:
        _close(np.stack([g.numpy() for g in into]), every)
    t = tensorish.zeros(3)
    dist.scatter(t, [T(_value(k) * 7) for k in range(n)] if r == 1 else None, src=1)
    _close(t.numpy(), _value(r) * 7)
    out = tensorish.zeros(2 * n)
    dist.all_to_all_single(out, T(_value(r, (2 * n,))))
    _close(out.numpy(), np.concatenate([_value(k, (2 * n,))[2 * r : 2 * r + 2] for k in range(n)]))
    # Uneven: rank k sends k + 1 + i rows to rank i.
    sizes = [[k + 1 + i for i in range(n)] for k in range(n)]
    sent = [np.arange(sum(s), dtype=np.float32) + 100 * k for k, s in enumerate(sizes)]
    out = tensorish.zeros(sum(sizes[k][r] for k in range(n)))
    dist.all_to_all_single(out, T(sent[r]), [sizes[k][r] for k in range(n)], sizes[r])
    expected = [sent[k][sum(sizes[k][:r]) :][: sizes[k][r]] for k in range(n)]
    _close(out.numpy(), np.concatenate(expected))
    t = T(_value(r))
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True and work.is_completed() and work.result()[0] is t
    _close(t.numpy(), every.sum(0))
    objects = [{"rank": 0}, (1, "two")] if r == 0 else [None, None]
    dist.broadcast_object_list(objects, src=0)
    assert objects == [{"rank": 0}, (1, "two")], objects
    everyone = [None] * n
    dist.all_gather_object(everyone, ("rank", r))
    assert everyone == [("rank", k) for k in range(n)], everyone
    pair = dist.new_group([0, n - 1])
    if r in (0, n - 1):
        t = T(_value(r))
        dist.all_reduce(t, group=pair)
        _close(t.numpy(), _value(0) + _value(n - 1))
        assert (dist.get_rank(pair), dist.get_world_size(pair)) == ([0, n - 1].index(r), 2)
    else:
        assert pair is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(pair) == -1
    dist.barrier()


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


def _data(out: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(STEPS, 8, 4)).astype(np.float32)
    return X, rng.normal(size=(STEPS, 8, out)).astype(np.float32)


def _reference(make, X, Y, opt_class, **opt_args) -> dict:
    """The same training on one process over the full batches: losses and final state."""
    model = make()
    opt = opt_class(model.parameters(), **opt_args)
    losses = []
    for x, y in zip(X, Y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(tensorish.tensor(x)), tensorish.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": np.array(losses), **{k: v.numpy() for k, v in model.state_dict().items()}}


def _ddp_model() -> nn.Module:
    tensorish.manual_seed(0)
    return _mlp()


def write_references(directory: str) -> None:
    """Train DDP's and fully_shard's models on this one process (the jobs compare with it)."""
    X, Y = _data()
    ref = _reference(_ddp_model, X, Y, tensorish.optim.SGD, lr=0.1, momentum=0.9)
    np.savez(f"{directory}/reference_ddp.npz", **ref)
    X, Y = _data(3)
    np.savez(
        f"{directory}/reference_fsdp.npz",
        **_reference(_fsdp_model, X, Y, tensorish.optim.Adam, lr=0.01),
    )


def _check_training(losses: list, state: dict, directory: str, which: str, prefix: str = ""):
    ref = np.load(f"{directory}/reference_{which}.npz")
    _close(losses, ref["losses"])
    assert list(state) == [prefix + k for k in ref.files if k != "losses"], list(state)
    for k in ref.files:
        if k != "losses":
            v = state[prefix + k]
            _close((v if v._value.is_fully_addressable else v.full_tensor()).numpy(), ref[k])


def _mean_over_ranks(loss) -> float:
    t = loss.detach().clone()
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    return t.item()


def check_ddp(r: int, n: int, compiled: bool, directory: str) -> None:
    """DDP on each rank's slice of the batch equals one process on the whole batch."""
    X, Y = _data()
    tensorish.manual_seed(100 + r)  # different on every rank: DDP broadcasts rank 0's
    net = _mlp()
    if r == 0:
        net.load_state_dict(_ddp_model().state_dict())
    model = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=0.0002)
    assert len(model.reducer.buckets) > 1  # several buckets, reduced in order
    opt = tensorish.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tensorish.compile(step) if compiled else step
    mine = slice(r * len(X[0]) // n, (r + 1) * len(X[0]) // n)
    losses = []
    for x, y in zip(X, Y):
        xs, ys = tensorish.tensor(x[mine]), tensorish.tensor(y[mine])
        losses.append(_mean_over_ranks(run(xs, ys)))
    _check_training(losses, model.state_dict(), directory, "ddp", "module.")
    if compiled:
        assert run.compile_count == 1, run.compile_count
        (entry,) = [e for es in run._entries.values() for e in es]
        (program,) = entry._fns.values()
        hlo = program.lower(*entry.inputs([xs, ys])).compile().as_text()
        assert "all-reduce" in hlo, "the compiled DDP step has no all-reduce"


def check_no_sync(r: int, n: int) -> None:
    """Gradients accumulated under no_sync are averaged by the next synchronized backward."""
    tensorish.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(nn.Linear(3, 1))
    x = tensorish.tensor(_value(r, (2, 3)))
    with model.no_sync():
        model(x).sum().backward()
    local = model.module.weight.grad.numpy().copy()
    _close(local, _value(r, (2, 3)).sum(0, keepdims=True))
    model(x).sum().backward()
    every = np.stack([_value(k, (2, 3)).sum(0, keepdims=True) for k in range(n)])
    _close(model.module.weight.grad.numpy(), (every + every).mean(0))


def job_collectives_ddp(directory: str) -> None:
    """2 processes: collectives, DDP eager and compiled; then rank 1 is killed mid-job."""
    dist.init_process_group("gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    assert (os.environ["LOCAL_RANK"], os.environ["LOCAL_WORLD_SIZE"]) == (str(r), str(n))
    check_collectives(r, n)
    check_ddp(r, n, False, directory)
    check_ddp(r, n, True, directory)
    check_no_sync(r, n)
    _ok("collectives_ddp")
    dist.barrier()
    if r == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.5)
    t = tensorish.ones(2)
    dist.all_reduce(t)  # rank 1 is gone: this fails, or the launcher ends this process first
    time.sleep(60)


def _fsdp_model() -> nn.Module:
    tensorish.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 3))


def _flat(state: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, tensorish.Tensor):
            out[f"{prefix}{k}"] = v.numpy()
    return out


def job_fsdp_save(directory: str) -> None:
    """4 processes: fully_shard training equals one process; then a sharded checkpoint."""
    from tensorish.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict
    from tensorish.distributed.fsdp import FSDPModule, fully_shard
    from tensorish.distributed.tensor import Replicate, Shard

    dist.init_process_group("gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    X, Y = _data(3)
    model = _fsdp_model()
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer)
    fully_shard(model)
    assert isinstance(model, FSDPModule) and type(model).__name__ == "FSDPSequential"
    assert model[0].weight.placements == (Shard(0),)  # 8 rows over 4 ranks
    assert model[4].weight.placements == (Replicate(),)  # 3 rows: not evenly divisible
    assert model[0].weight._value.addressable_shards[0].data.shape == (2, 4)
    opt = tensorish.optim.Adam(model.parameters(), lr=0.01)
    b = len(X[0]) // n
    losses = []
    for x, y in zip(X, Y):
        opt.zero_grad()
        mine = slice(r * b, (r + 1) * b)
        loss = nn.functional.mse_loss(model(tensorish.tensor(x[mine])), tensorish.tensor(y[mine]))
        loss.backward()
        opt.step()
        losses.append(_mean_over_ranks(loss))
    assert model[0].weight.grad.placements == (Shard(0),)
    _check_training(losses, model.state_dict(), directory, "fsdp")
    _ok("fully_shard")
    import tensorish.distributed.checkpoint as dcp

    model_state, optim_state = get_state_dict(model, opt)
    dcp.save({"model": model_state, "optim": optim_state}, checkpoint_id=f"{directory}/ckpt")
    full = get_state_dict(model, opt, options=StateDictOptions(full_state_dict=True))
    if r == 0:
        np.savez(f"{directory}/expected.npz", **_flat({"model": full[0], "optim": full[1]}))
    dist.barrier()
    _ok("fsdp_save")


def load_checkpoint(directory: str, model: nn.Module) -> None:
    """Load the 4-process checkpoint into ``model`` and a fresh Adam; compare everything."""
    import tensorish.distributed.checkpoint as dcp
    from tensorish.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_state_dict,
        set_state_dict,
    )

    opt = tensorish.optim.Adam(model.parameters(), lr=0.5)
    model_state, optim_state = get_state_dict(model, opt)
    dcp.load({"model": model_state, "optim": optim_state}, checkpoint_id=f"{directory}/ckpt")
    set_state_dict(model, opt, model_state_dict=model_state, optim_state_dict=optim_state)
    full = get_state_dict(model, opt, options=StateDictOptions(full_state_dict=True))
    got = _flat({"model": full[0], "optim": full[1]})
    expected = np.load(f"{directory}/expected.npz")
    assert sorted(got) == sorted(expected.files), (sorted(got), expected.files)
    for k in expected.files:
        np.testing.assert_array_equal(got[k], expected[k], err_msg=k)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["betas"] == (0.9, 0.999)


def check_dtensor_across_processes() -> None:
    """A mesh over every process's devices: sharding, redistribution, compiled DP and TP."""
    import jax

    from tensorish.distributed.tensor import Replicate, Shard, distribute_module
    from tensorish.distributed.tensor import distribute_tensor as distribute

    assert jax.device_count() == 2 * jax.local_device_count() == 4
    mesh = dist.init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    x = tensorish.tensor(np.arange(32, dtype=np.float32).reshape(8, 4), requires_grad=True)
    d = distribute(x, mesh, [Shard(0), Shard(1)])
    assert d.placements == (Shard(0), Shard(1)) and not d._value.is_fully_addressable
    f = d.redistribute(mesh, [Replicate(), Shard(0)]).full_tensor()
    (f * f).sum().backward()
    _close(f.detach().numpy(), x.detach().numpy())
    _close(d.grad.full_tensor().numpy(), 2 * x.detach().numpy())
    rng = np.random.default_rng(0)
    W = (rng.normal(size=(16, 64)) * 0.2).astype(np.float32)
    X = rng.normal(size=(5, 32, 16)).astype(np.float32)
    Y = rng.normal(size=(5, 32, 64)).astype(np.float32)

    def train(mesh, w_place, x_place):
        model = nn.Linear(16, 64)
        with tensorish.no_grad():
            model.weight.copy_(tensorish.tensor(W.T))
            model.bias.zero_()
        if mesh is not None:
            model.weight = nn.Parameter(distribute(model.weight, mesh, w_place))
            distribute_module(model, mesh)

        @tensorish.compile
        def step(x, y):
            model.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            with tensorish.no_grad():
                for p in model.parameters():
                    p.sub_(0.5 * p.grad)
            return loss

        losses = []
        for x, y in zip(X, Y):
            x, y = tensorish.tensor(x), tensorish.tensor(y)
            if mesh is not None:
                x, y = distribute(x, mesh, x_place), distribute(y, mesh, x_place)
            losses.append(step(x, y).item())
        return losses, model.weight

    ref, ref_w = train(None, None, None)
    flat = dist.init_device_mesh("cpu", (4,), mesh_dim_names=("all",))
    for w_place, x_place in [([Replicate()], [Shard(0)]), ([Shard(0)], [Replicate()])]:
        losses, w = train(flat, w_place, x_place)
        _close(losses, ref)
        _close(w.full_tensor().detach().numpy(), ref_w.detach().numpy())


def job_load_dtensor(directory: str) -> None:
    """2 processes of 2 devices: the 4-process checkpoint loads; DTensors span processes."""
    from tensorish.distributed.fsdp import fully_shard

    dist.init_process_group("gloo")
    model = _fsdp_model()
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer)
    fully_shard(model)
    load_checkpoint(directory, model)
    _ok("load_2")
    check_dtensor_across_processes()
    _ok("dtensor")


def job_never_joins() -> None:
    """Rank 1 never joins: rank 0's init_process_group ends the job within its timeout."""
    if os.environ["RANK"] == "1":
        time.sleep(120)
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=3))


def _spawned(rank: int, world: int, port: int) -> None:
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", world_size=world, rank=rank
    )
    t = tensorish.ones(2) * (rank + 1)
    dist.all_reduce(t)
    assert t.tolist() == [3.0, 3.0], t
    print(f"spawned OK rank {rank}", flush=True)
    if rank == 1:
        raise ValueError("rank 1 fails on purpose")
    time.sleep(60)


def job_spawn() -> None:
    """tensorish.multiprocessing.spawn starts two workers; one raises."""
    import socket

    import tensorish.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("", 0))
        port = s.getsockname()[1]
    try:
        mp.spawn(_spawned, args=(2, port), nprocs=2)
    except mp.ProcessRaisedException as e:
        assert e.error_index == 1, e.error_index
        assert "-- Process 1 terminated with the following error:" in str(e)
        assert "ValueError: rank 1 fails on purpose" in str(e), str(e)
        print("spawn OK", flush=True)


if __name__ == "__main__":
    globals()[f"job_{sys.argv[1]}"](*sys.argv[2:])

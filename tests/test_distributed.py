"""tensorish.distributed on eight simulated CPU devices (each body runs in a fresh subprocess,
because XLA_FLAGS must be set before JAX starts)."""

import os
import subprocess
import sys
import textwrap

import pytest
from torch.distributed.tensor import Replicate as TorchReplicate
from torch.distributed.tensor import Shard as TorchShard

import tensorish
from tensorish.distributed.tensor import Replicate, Shard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRELUDE = """
import numpy as np, jax, tensorish as T
from jax.sharding import NamedSharding
from tensorish.distributed import init_device_mesh
from tensorish.distributed.tensor import (distribute_module, distribute_tensor, Replicate,
                                          Shard)
assert jax.device_count() == 8
"""


def on_8_devices(body: str) -> None:
    env = dict(
        os.environ,
        XLA_FLAGS="--xla_force_host_platform_device_count=8",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=ROOT,
    )
    code = PRELUDE + textwrap.dedent(body)
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-3000:]


def test_placements_print_as_torch():
    assert repr(Shard(1)) == repr(TorchShard(1)) and str(Shard(1)) == str(TorchShard(1))
    assert repr(Replicate()) == repr(TorchReplicate())
    assert Shard(0) == Shard(0) != Replicate() and len({Shard(0), Shard(0)}) == 1


def test_one_device_mesh_and_process_group():
    mesh = tensorish.distributed.init_device_mesh("cpu", (1,), mesh_dim_names=("dp",))
    assert repr(mesh) == "DeviceMesh((dp=1), 'cpu', stride=(1,))"
    with pytest.raises(RuntimeError, match="needs 2 devices"):
        tensorish.distributed.init_device_mesh("cpu", (2,))
    t = tensorish.distributed.tensor.distribute_tensor(tensorish.ones(4), mesh, [Shard(0)])
    assert t.placements == (Shard(0),) and t.device_mesh == mesh
    with pytest.raises(AttributeError, match="placements"):
        _ = tensorish.ones(2).placements


def test_mesh_placements_redistribute_full_tensor():
    on_8_devices("""
    mesh = init_device_mesh("cpu", (2, 4), mesh_dim_names=("dp", "tp"))
    assert repr(mesh) == "DeviceMesh((dp=2, tp=4), 'cpu', stride=(4, 1))"
    assert mesh["tp"].shape == (4,) and mesh.mesh.axis_names == ("dp", "tp")
    x = T.tensor(np.arange(32, dtype=np.float32).reshape(8, 4), requires_grad=True)
    d = distribute_tensor(x, mesh, [Shard(0), Shard(1)])
    assert d.placements == (Shard(0), Shard(1)) and d.requires_grad and d.is_leaf
    assert isinstance(d._value.sharding, NamedSharding)
    assert d._value.sharding.spec == jax.sharding.PartitionSpec("dp", "tp")
    r = d.redistribute(mesh, [Replicate(), Shard(0)])
    assert r.placements == (Replicate(), Shard(0)) and r.grad_fn.name() == "RedistributeBackward"
    f = r.full_tensor()
    assert f.placements == (Replicate(), Replicate())
    np.testing.assert_array_equal(f.detach().numpy(), x.detach().numpy())
    (f * f).sum().backward()
    np.testing.assert_allclose(d.grad.numpy(), 2 * x.detach().numpy())
    try:
        distribute_tensor(T.ones(6), mesh, [Replicate(), Shard(0)])
    except RuntimeError as e:
        assert "not divisible" in str(e)
    else:
        raise AssertionError("uneven sharding accepted")
    """)


STEP = """
class Model:
    def __init__(self, w, b):
        self.w = T.tensor(w, requires_grad=True)
        self.b = T.tensor(b, requires_grad=True)

def train(mesh, w_place, x_place, steps=12):
    rng = np.random.default_rng(0)
    m = Model((rng.normal(size=(16, 64)) * 0.2).astype(np.float32), np.zeros(64, np.float32))
    if mesh is not None:
        m.w = distribute_tensor(m.w, mesh, w_place)
        distribute_module(m, mesh)
    X = rng.normal(size=(steps, 32, 16)).astype(np.float32)
    Y = rng.normal(size=(steps, 32, 64)).astype(np.float32)

    @T.compile
    def step(x, y):
        m.w.grad = None
        m.b.grad = None
        loss = ((x @ m.w + m.b - y) ** 2).mean()
        loss.backward()
        with T.no_grad():
            m.w.sub_(0.5 * m.w.grad)
            m.b.sub_(0.5 * m.b.grad)
        return loss

    losses = []
    for i in range(steps):
        x, y = T.tensor(X[i]), T.tensor(Y[i])
        if mesh is not None:
            x = distribute_tensor(x, mesh, x_place)
            y = distribute_tensor(y, mesh, x_place)
        losses.append(step(x, y).item())
    assert step.compile_count == 1
    return losses, m, step, (x, y)

ref, ref_m, _, _ = train(None, None, None)
"""


def test_data_and_tensor_parallel_steps_match_one_device():
    on_8_devices(
        STEP
        + textwrap.dedent("""
    dp = init_device_mesh("cpu", (8,), mesh_dim_names=("dp",))
    losses, m, step, (x, y) = train(dp, [Replicate()], [Shard(0)])
    np.testing.assert_allclose(losses, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.w.detach().numpy(), ref_m.w.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert m.w.placements == (Replicate(),) and x.placements == (Shard(0),)
    # The gradient all-reduce is XLA's: find it in the compiled step.
    (entry,) = [e for es in step._entries.values() for e in es]
    hlo = jax.jit(entry.fun).lower(*entry.inputs([x, y])).compile().as_text()
    assert "all-reduce" in hlo

    tp = init_device_mesh("cpu", (8,), mesh_dim_names=("tp",))
    losses, m, _, _ = train(tp, [Shard(1)], [Replicate()])
    np.testing.assert_allclose(losses, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.w.full_tensor().detach().numpy(),
                               ref_m.w.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert m.w.placements == (Shard(1),) and m.w.grad.placements == (Shard(1),)
    assert len(m.w._value.addressable_shards) == 8
    assert m.w._value.addressable_shards[0].data.shape == (16, 8)
    """)
    )


def test_process_group_lifecycle_as_torch(tmp_path):
    import torch.distributed as tdist

    dist = tensorish.distributed
    for lib in (tdist, dist):
        with pytest.raises(ValueError) as err:
            lib.get_rank()
        lib.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", world_size=1, rank=0)
        assert (lib.get_rank(), lib.get_world_size(), lib.is_initialized()) == (0, 1, True)
        with pytest.raises(ValueError) as again:
            lib.init_process_group("gloo", world_size=1, rank=0)
        lib.destroy_process_group()
        assert not lib.is_initialized()
        messages = (str(err.value), str(again.value))
        if lib is tdist:
            expected = messages
    assert messages == expected

"""Data parallel training on an 8-device mesh with ``tensorish.distributed`` and
``tensorish.compile``: parameters replicated, each batch split over the devices, the gradient
all-reduce left to XLA. The losses match training on one device.

On a CPU-only machine JAX has one device, so this script asks XLA for eight host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``) before JAX is imported; the mesh is
built over the CPU devices. Eight simulated devices share the machine's cores, so here the
data-parallel step is slower than the one-device step; the point is that the numbers agree.

Run it with ``python examples/06_data_parallel.py``.
"""

import os

FLAG = "--xla_force_host_platform_device_count=8"
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FLAG}".strip()

import copy
import time

import numpy as np
from _common import steps, table

import tensorish
from tensorish import nn
from tensorish.distributed import init_device_mesh
from tensorish.distributed.tensor import Replicate, Shard, distribute_module, distribute_tensor

STEPS = steps(200, 15)
rng = np.random.default_rng(0)
X = rng.normal(size=(STEPS, 256, 32)).astype(np.float32)
W_TRUE = rng.normal(size=(32, 4)).astype(np.float32)
Y = np.tanh(X @ W_TRUE)

tensorish.manual_seed(0)
NET = nn.Sequential(nn.Linear(32, 128), nn.Tanh(), nn.Linear(128, 4))


def train(mesh) -> tuple[list[float], list[float], object]:
    net = copy.deepcopy(NET)
    if mesh is not None:
        distribute_module(net, mesh)
    opt = tensorish.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    @tensorish.compile
    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        return loss

    losses, times = [], []
    for i in range(STEPS):
        x, y = tensorish.tensor(X[i]), tensorish.tensor(Y[i])
        if mesh is not None:
            x = distribute_tensor(x, mesh, [Shard(0)])
            y = distribute_tensor(y, mesh, [Shard(0)])
        start = time.perf_counter()
        losses.append(step(x, y).item())
        times.append(time.perf_counter() - start)
    return losses, times, (net, x)


mesh = init_device_mesh("cpu", (8,), mesh_dim_names=("dp",))
one, one_t, _ = train(None)
dp, dp_t, (net, x) = train(mesh)
weight = net[0].weight
print(f"mesh: {mesh}")
print(
    f"batch: placements {x.placements}, {len(x._value.addressable_shards)} shards of "
    f"{tuple(x._value.addressable_shards[0].data.shape)}; weight: placements "
    f"{weight.placements}"
)
assert weight.placements == (Replicate(),) and x.placements == (Shard(0),)
rows = []
for name, devices, losses, times in [
    ("one device", 1, one, one_t),
    ("data parallel", mesh.size(), dp, dp_t),
]:
    rows.append(
        [
            name,
            devices,
            losses[0],
            losses[-1],
            float(np.max(np.abs(np.subtract(losses, one)))),
            sum(times[:2]),
            1000 * float(np.median(times[2:])),
        ]
    )
table(
    f"MLP 32-128-4, batch 256, SGD with momentum, {STEPS} compiled steps",
    [
        "style",
        "devices",
        "loss step 0",
        f"loss step {STEPS - 1}",
        "max abs diff vs one device",
        "first 2 steps s",
        "median ms/step",
    ],
    rows,
)

"""Devices: parsing, the cuda module and moves on a CPU-only machine (against torch's CPU build),
and cross-device moves and errors on two host devices (a subprocess with XLA_FLAGS)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from oracle import outcome

import tensorish

ROOT = Path(__file__).resolve().parents[1]
NO_CUDA = not tensorish.cuda.is_available()


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:1", "cpu:0"])
def test_device_objects_match_torch(spec):
    t, s = torch.device(spec), tensorish.device(spec)
    assert repr(s) == repr(t) and str(s) == str(t)
    assert (s.type, s.index) == (t.type, t.index)
    assert s == tensorish.device(str(t))


CPU_ONLY = [
    lambda m: m.cuda.is_available(),
    lambda m: m.cuda.device_count(),
    lambda m: m.cuda.current_device(),
    lambda m: m.cuda.synchronize(),
    lambda m: m.cuda.manual_seed(1),
    lambda m: m.cuda.manual_seed_all(1),
    lambda m: m.cuda.get_device_name(),
    lambda m: m.ones(2).cuda(),
    lambda m: m.ones(2).cuda(1),
    lambda m: m.ones(2, device="cuda"),
    lambda m: m.ones(2).cpu().tolist(),
    lambda m: m.ones(2, requires_grad=True).cpu().requires_grad,
    lambda m: str(m.get_default_device()),
]


@pytest.mark.skipif(not NO_CUDA, reason="compares with torch's CPU-only build")
@pytest.mark.parametrize("i", range(len(CPU_ONLY)))
def test_cpu_only_machine_matches_torch(i):
    assert outcome(lambda: CPU_ONLY[i](tensorish)) == outcome(lambda: CPU_ONLY[i](torch))


def test_cpu_returns_self_and_keeps_the_graph():
    for m in (torch, tensorish):
        x = m.ones(2, requires_grad=True)
        y = x * 2
        assert x.cpu() is x and y.cpu() is y
        assert type(y.cpu().grad_fn).__name__ == "MulBackward0"


def test_default_device_round_trip():
    tensorish.set_default_device("cpu")
    try:
        assert tensorish.get_default_device() == tensorish.device("cpu")
        assert tensorish.rand(2).device == tensorish.device("cpu")
    finally:
        tensorish.set_default_device(None)


def test_creation_and_random_take_device():
    for make in (
        lambda: tensorish.zeros(2, device="cpu"),
        lambda: tensorish.rand(2, device=tensorish.device("cpu")),
        lambda: tensorish.randint(3, (2,), device="cpu"),
        lambda: tensorish.randperm(3, device="cpu"),
    ):
        assert make().device == tensorish.device("cpu")


TWO_DEVICES = textwrap.dedent("""
    import tensorish
    from tensorish.ops._device_ops import move

    x = tensorish.tensor([1.0, 2.0], requires_grad=True)
    y = move(x, "cpu:1")
    assert next(iter(y.jax().devices())).id == 1
    assert type(y.grad_fn).__name__ == "ToCopyBackward0", y.grad_fn
    assert move(y, "cpu:1") is y
    z = move(y * y, "cpu")
    assert next(iter(z.jax().devices())).id == 0
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0], x.grad
    assert next(iter(x.grad.jax().devices())).id == 0
    for _ in range(3):  # the repeated graph (fused after its second sighting) moves back too
        x.grad = None
        (x.to("cpu:1") * 2).sum().backward()
        assert next(iter(x.grad.jax().devices())).id == 0 and x.grad.tolist() == [2.0, 2.0]
    try:
        x + y
    except RuntimeError as e:
        print(e)
    """)


def test_moves_and_mixed_device_error_on_two_host_devices():
    env = dict(
        os.environ,
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=str(ROOT),
    )
    out = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "Expected all tensors to be on the same device, but found at "
        "least two devices, cpu and cpu:1!"
    )


@pytest.mark.skipif(NO_CUDA, reason="needs a CUDA device")
def test_cuda_moves_and_seeding():
    x = tensorish.ones(3, requires_grad=True)
    y = x.cuda()
    assert y.device == tensorish.device("cuda:0") and y.is_cuda
    assert type(y.grad_fn).__name__ == "ToCopyBackward0"
    (y * 2).cpu().sum().backward()
    assert x.grad.device == tensorish.device("cpu") and x.grad.tolist() == [2.0] * 3
    tensorish.cuda.manual_seed(5)
    a = tensorish.rand(4, device="cuda")
    tensorish.cuda.manual_seed(5)
    assert tensorish.rand(4, device="cuda").tolist() == a.tolist()
    assert a.device == tensorish.device("cuda:0")
    with pytest.raises(
        RuntimeError,
        match="Expected all tensors to be on the same device, "
        "but found at least two devices, cpu and cuda:0!",
    ):
        tensorish._device.check_same_device([x, y])
    tensorish.cuda.synchronize()

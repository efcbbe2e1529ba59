"""Device moves as ops: ``to(device)``, ``cpu()``, ``cuda()`` (``grad_fn`` ``ToCopyBackward0``)."""

from __future__ import annotations

import jax

from .._device import device_of, jax_devices, to_jax
from .._dispatch import apply
from .._mode import mode
from .._op import Op
from .._tensor import Tensor, method


class _Move(Op):
    """The differentiable copy to another device: forward puts the value on the target device,
    backward puts the gradient back on the source one. Its functions are not ``bind(key)`` (the
    devices are its static parameters), so a graph holding one is not fused."""

    __slots__ = ()
    fusable = False

    def forward_fn(self, key):
        dst = dict(key[0])["dst"]
        return lambda x: jax.device_put(x, dst)

    def backward_fn(self, key, mask):
        src = dict(key[0])["src"]
        return lambda values, cts: (jax.device_put(cts, src),)


_move = _Move("ToCopyBackward0", lambda x, src, dst: x, saves=())


def move(tensor: Tensor, dev) -> Tensor:
    """``tensor`` on device ``dev``: itself if it is already there, else a copy recorded for
    backward as ``ToCopyBackward0``.

    >>> import tensorish
    >>> x = tensorish.ones(2)
    >>> move(x, "cpu") is x
    True
    """
    dst = to_jax(dev)
    src = device_of(tensor._value)
    if src == dst:
        return tensor
    return apply(_move, (tensor,), (("src", src), ("dst", dst)))


@method
def cpu(self: Tensor, memory_format=None) -> Tensor:
    """This tensor on the CPU (itself if it is already there).

    >>> import tensorish
    >>> tensorish.ones(2).cpu().device
    device(type='cpu')
    """
    return move(self, "cpu")


@method
def cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """This tensor on a CUDA device (the current one by default).

    >>> import tensorish
    >>> tensorish.ones(2).cuda() if tensorish.cuda.is_available() else "no CUDA"
    'no CUDA'
    """
    if not jax_devices("cuda"):
        if device is not None and not (isinstance(device, int) and device == 0):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        raise AssertionError("Torch not compiled with CUDA enabled")
    if device is None:
        device = mode.cuda_device
    return move(self, device if not isinstance(device, int) else f"cuda:{device}")


__all__: list[str] = []  # methods only: ``cpu``/``cuda`` must not shadow tensorish.cuda

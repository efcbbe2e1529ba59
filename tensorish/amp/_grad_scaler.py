"""``GradScaler``: dynamic loss scaling for float16 training, PyTorch's algorithm step by step.

``scale`` multiplies the loss by the scale (a float32 0-dim tensor), ``unscale_`` divides the
gradients by it and records whether any is inf or NaN, ``step`` skips the optimizer's step when
one was, and ``update`` halves the scale after a skipped step or doubles it after
``growth_interval`` good ones. Inside ``tensorish.compile`` nothing reads a value on the host: the
step always runs and a traced select keeps the old parameters and optimizer state when an inf
was found, so the skip happens inside the compiled program.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from enum import Enum
from typing import Any

import jax
import jax.numpy as jnp

from .. import _creation, _device, _dtype
from .._mode import mode
from .._tensor import Tensor, read_grad
from ..autograd._grad_mode import no_grad
from ._autocast_mode import device_of

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _number(x: Any) -> Any:
    """A hyperparameter: under tensorish.compile, its traced value."""
    return x.traced() if hasattr(x, "traced") else x


@jax.jit
def _unscale(grads: list, inv_scale: jax.Array, found: jax.Array) -> tuple:
    """torch's ``_amp_foreach_non_finite_check_and_unscale_``: every gradient times
    ``inv_scale`` (in float32), and 1.0 in ``found`` if any was inf or NaN."""
    out = [(g.astype(jnp.float32) * inv_scale).astype(g.dtype) for g in grads]
    bad = jnp.zeros((), bool)
    for g in grads:
        bad = bad | ~jnp.all(jnp.isfinite(g))
    return out, jnp.where(bad, jnp.float32(1.0), found)


@jax.jit
def _update_scale(scale, tracker, found, growth_factor, backoff_factor, growth_interval) -> tuple:
    """torch's ``_amp_update_scale_``: back off after an inf, grow after enough good steps."""
    s = scale.astype(jnp.float64)
    successful = tracker + 1
    grow = successful == growth_interval
    grown = (s * growth_factor).astype(jnp.float32)
    new_scale = jnp.where(
        found > 0,
        (s * backoff_factor).astype(jnp.float32),
        jnp.where(grow & jnp.isfinite(grown), grown, scale),
    )
    new_tracker = jnp.where((found > 0) | grow, 0, successful).astype(tracker.dtype)
    return new_scale, new_tracker


class GradScaler:
    """Scales the loss so that float16 gradients do not underflow, and unscales them before the
    optimizer steps, skipping steps whose gradients overflowed.

    Args:
        device: the device type of the scale (``"cuda"`` or ``"cpu"``).
        init_scale: the first scale.
        growth_factor: the scale's factor after ``growth_interval`` steps without inf or NaN.
        backoff_factor: the scale's factor after a step with inf or NaN gradients.
        growth_interval: how many good steps grow the scale.
        enabled: False makes every method a no-op (``scale`` returns its input).

    >>> import tensorish
    >>> w = tensorish.ones(2, requires_grad=True)
    >>> opt = tensorish.optim.SGD([w], lr=0.1)
    >>> scaler = tensorish.amp.GradScaler("cpu", init_scale=4.0)
    >>> scaler.scale((w * w).sum()).backward()
    >>> w.grad
    tensor([8., 8.])
    >>> scaler.step(opt)
    >>> scaler.update()
    >>> w, scaler.get_scale()
    (tensor([0.8000, 0.8000], requires_grad=True), 4.0)
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not _device.jax_devices("cuda"):
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(
                _refresh_per_optimizer_state
            )

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        fix = (
            "This may indicate your script did not use scaler.scale(loss or outputs) earlier "
            "in the iteration."
        )
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev: Any) -> None:
        self._scale = _creation.full((), self._init_scale, dtype=_dtype.float32, device=dev)
        self._growth_tracker = _creation.full(
            (), self._init_growth_tracker, dtype=_dtype.int32, device=dev
        )

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or tensors in lists and tuples) times the scale.

        >>> import tensorish
        >>> tensorish.amp.GradScaler("cpu", init_scale=8.0).scale(tensorish.tensor(0.5))
        tensor(4.)
        """
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            dev = device_of(outputs)
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(dev)
            scale = self._scale
            return outputs * (scale if device_of(scale) == dev else scale.to(device=dev))
        if isinstance(outputs, Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _unscale_grads_(self, optimizer: Any, inv_scale: Tensor, found_inf: Tensor) -> dict:
        grads = []
        for group in optimizer.param_groups:
            for param in group["params"]:
                g = read_grad(param)
                if g is None:
                    continue
                if g.dtype is _dtype.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                grads.append(g)
        if grads:
            with no_grad():
                new, found = _unscale([g._value for g in grads], inv_scale._value, found_inf._value)
                for g, v in zip(grads, new):
                    g._set_value(v)
                found_inf._set_value(found)
        return {device_of(found_inf): found_inf}

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale (in place), noting inf and NaN.

        >>> import tensorish
        >>> w = tensorish.ones(1, requires_grad=True)
        >>> opt = tensorish.optim.SGD([w], lr=0.1)
        >>> scaler = tensorish.amp.GradScaler("cpu", init_scale=4.0)
        >>> scaler.scale(w.sum()).backward()
        >>> scaler.unscale_(opt)
        >>> w.grad
        tensor([1.])
        """
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        found_inf = _creation.full((), 0.0, dtype=_dtype.float32, device=device_of(self._scale))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf)
        state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer: Any, state: dict, *args: Any, **kwargs: Any) -> Any:
        found = list(state["found_inf_per_device"].values())
        if mode.trace is None:
            if not sum(v.item() for v in found):
                return optimizer.step(*args, **kwargs)
            return None
        return _select_step(optimizer, found, args, kwargs)

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale the gradients (unless ``unscale_`` did) and step ``optimizer`` unless one of
        them is inf or NaN; returns what ``optimizer.step`` returned (None when skipped).

        >>> import tensorish
        >>> w = tensorish.ones(1, requires_grad=True)
        >>> opt = tensorish.optim.SGD([w], lr=0.1)
        >>> scaler = tensorish.amp.GradScaler("cpu")
        >>> scaler.scale(w.sum() * float("inf")).backward()
        >>> scaler.step(opt)
        >>> w
        tensor([1.], requires_grad=True)
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, state, *args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Set the next scale: ``new_scale``, or backed off after an inf or NaN and grown after
        ``growth_interval`` steps without one.

        >>> import tensorish
        >>> scaler = tensorish.amp.GradScaler("cpu", init_scale=4.0)
        >>> _ = scaler.scale(tensorish.tensor(1.0))
        >>> scaler.update(2.0)
        >>> scaler.get_scale()
        2.0
        """
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = (
                    "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                    "torch.FloatTensor with requires_grad=False."
                )
                if device_of(new_scale).type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad is True:
                    raise AssertionError(reason)
                scale.copy_(new_scale)
        else:
            found_infs = [
                f
                for state in self._per_optimizer_states.values()
                for f in state["found_inf_per_device"].values()
            ]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            found = found_infs[0]._value
            for f in found_infs[1:]:
                found = found + f._value
            new, count = _update_scale(
                scale._value,
                tracker._value,
                found,
                _number(self._growth_factor),
                _number(self._backoff_factor),
                _number(self._growth_interval),
            )
            scale._set_value(new)
            tracker._set_value(count)
        # Emptied in place: tensorish.compile keeps the dict it found.
        self._per_optimizer_states.clear()

    def _get_scale_async(self) -> Tensor | None:
        return self._scale

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if self._enabled:
            return self._init_scale if self._scale is None else float(self._scale.item())
        return 1.0

    def get_growth_factor(self) -> float:
        """The factor that grows the scale."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the factor that grows the scale."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor that backs the scale off."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the factor that backs the scale off."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """How many steps without inf or NaN grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set how many steps without inf or NaN grow the scale."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            if self._growth_tracker is None:
                return self._init_growth_tracker
            return int(self._growth_tracker.item())
        return 0

    def is_enabled(self) -> bool:
        """Whether the scaler is on."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """The scaler's state: scale, factors, interval and growth tracker (empty if disabled).

        >>> import tensorish
        >>> tensorish.amp.GradScaler("cpu").state_dict()["scale"]
        65536.0
        """
        if self._enabled:
            return {
                "scale": self.get_scale(),
                "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker(),
            }
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state ``state_dict`` returned."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])


def _select_step(optimizer: Any, found: list, args: tuple, kwargs: dict) -> Any:
    """``optimizer.step`` inside a tensorish.compile trace, undone by a traced select where an
    inf was found: the parameters and the optimizer's state keep their old values. (The state
    exists already: tensorish.compile runs a first call that makes new state eagerly.)"""
    olds = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p) or {}
            olds += [(t, t._value) for t in (p, *state.values()) if isinstance(t, Tensor)]
    skip = found[0]._value > 0
    for f in found[1:]:
        skip = skip | (f._value > 0)
    retval = optimizer.step(*args, **kwargs)
    for t, v in olds:
        t._set_value(jnp.where(skip, v, t._value))
    return retval

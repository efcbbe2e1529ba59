"""Random numbers: a stateful ``Generator`` over JAX PRNG keys, and every sampler PyTorch has.

The generator's whole state is one JAX key array (``_key``). Each draw is ONE cached jitted
call ``_draw(key, params) -> (next_key, sample)``: it splits the key exactly as ``next_key``
does and samples with the other half, so ``tensorish.compile`` can lift the key as state like
any tensor value. Same seed, same numbers, on every run (though not PyTorch's numbers: JAX's
threefry generator is not PyTorch's Mersenne Twister).
"""

from __future__ import annotations

import functools
import math
import random as _pyrandom
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import ShapedArray

from . import _creation, _device, _dtype
from ._dispatch import Op, apply
from ._lazy import deferred
from ._mode import mode
from ._pending import Pending
from ._tensor import Tensor, method
from .autograd._grad_mode import is_grad_enabled
from .ops._common import inplace, result_type

_DEFAULT_SEED = 67280421310721
_MASK = 0xFFFFFFFFFFFFFFFF
_split = jax.jit(lambda key: tuple(jax.random.split(key)))
_STATE_BYTES = 16


class Generator:
    """A source of random numbers; same seed, same numbers, on every run.

    >>> import tensorish
    >>> g = tensorish.Generator().manual_seed(0)
    >>> g.initial_seed()
    0
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = _device.device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator (any int in [-2**63, 2**64)); returns the generator."""
        seed = int(seed)
        if not -(2**63) <= seed <= _MASK:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _MASK
        self.__dict__.pop("_key", None)  # made from the seed on first use (see __getattr__)
        return self

    def __getattr__(self, name: str) -> Any:
        # The key array is made at the first draw, not when seeding: importing tensorish and
        # seeding (as every DataLoader worker does) must not start JAX's backends.
        if name != "_key" or "_seed" not in self.__dict__:
            raise AttributeError(f"'Generator' object has no attribute '{name}'")
        signed = self._seed - 2**64 if self._seed >= 2**63 else self._seed
        with jax.ensure_compile_time_eval():  # a concrete key, even inside a trace
            key = self._key = self._placed(jax.random.key(signed, impl="threefry2x32"))
        return key

    def _placed(self, key: jax.Array) -> jax.Array:
        """``key`` committed to the generator's device: every draw then runs (and returns
        the next key) there, so one cached kernel serves samples made beside any input."""
        return jax.device_put(key, _device.to_jax(self.device))

    def seed(self) -> int:
        """Seed from a non-deterministic source; returns the seed used."""
        seed = _pyrandom.SystemRandom().getrandbits(64)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The state as a uint8 tensor: the key's 8 bytes, then the initial seed's 8."""
        data = np.asarray(jax.random.key_data(self._key)).astype("<u4").tobytes()
        data += np.asarray([self._seed], "<u8").tobytes()
        return _creation.tensor(np.frombuffer(data, np.uint8).copy(), dtype=_dtype.uint8)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from ``get_state()``."""
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {new_state.numel()}"
            )
        data = np.asarray(new_state.jax()).reshape(-1).tobytes()
        key = np.frombuffer(data[:8], "<u4").astype(np.uint32)
        self._key = self._placed(jax.random.wrap_key_data(jnp.asarray(key), impl="threefry2x32"))
        self._seed = int(np.frombuffer(data[8:], "<u8")[0])
        return self

    def next_key(self) -> jax.Array:
        """A fresh key for one draw; advances the state."""
        self._key, sub = _split(self._key)
        return sub

    def __repr__(self) -> str:
        return f"<tensorish.Generator object at {id(self):#x}>"


default_generator = Generator()
_cuda_generators: dict[int, Generator] = {}
_cuda_seed = _DEFAULT_SEED  # the seed of the CUDA generators made from now on


def cuda_generator(index: int) -> Generator:
    """The default generator of CUDA device ``index`` (made on first use)."""
    gen = _cuda_generators.get(index)
    if gen is None:
        gen = _cuda_generators[index] = Generator(f"cuda:{index}").manual_seed(_cuda_seed)
    return gen


def _default_for(device: Any) -> Generator:
    """The generator a draw on ``device`` uses when none is given (one per CUDA device)."""
    if device is None:
        dev = _device.get_default_device()
    else:
        dev = device if isinstance(device, _device.device) else _device.device(device)
    if dev.type == "cuda":
        return cuda_generator(dev.index or 0)
    return default_generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and every CUDA device's, as PyTorch does).

    >>> import tensorish
    >>> _ = tensorish.manual_seed(0)
    >>> tensorish.initial_seed()
    0
    """
    global _cuda_seed
    gen = default_generator.manual_seed(seed)
    _cuda_seed = gen.initial_seed()
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return gen


def seed() -> int:
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


def next_key(generator: Generator | None = None) -> jax.Array:
    """A fresh PRNG key from ``generator`` (the default one if None)."""
    return (generator or default_generator).next_key()


# -- samplers: pure functions of (key, params); each runs inside one jitted draw --------------
def _real(dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype.kind != "c" else np.finfo(dtype).dtype


def _uniform(key, lo, hi, *, shape, dtype):
    if np.dtype(dtype).kind == "c":
        parts = jax.random.uniform(key, shape + (2,), _real(dtype))
        return (parts[..., 0] + 1j * parts[..., 1]).astype(dtype)
    return lo + (hi - lo) * jax.random.uniform(key, shape, dtype)


def _normal(key, mean, std, *, shape, dtype):
    return (jax.random.normal(key, shape, dtype) * std + mean).astype(dtype)


def _integers(key, lo, hi, *, shape, dtype):
    return jax.random.randint(key, shape, lo, hi, jnp.int64).astype(dtype)


def _bits63(key, *, shape, dtype):
    return (jax.random.bits(key, shape, jnp.uint64) >> 1).astype(dtype)


def _permutation(key, *, shape, dtype):
    return jax.random.permutation(key, shape[0]).astype(dtype)


def _bernoulli(key, p, *, shape, dtype):
    u = jax.random.uniform(key, shape, jnp.float64 if dtype == np.float64 else jnp.float32)
    return (u < p).astype(dtype)


def _exponential(key, lambd, *, shape, dtype):
    return (jax.random.exponential(key, shape, dtype) / lambd).astype(dtype)


def _geometric(key, p, *, shape, dtype):
    u = jax.random.uniform(key, shape, jnp.float64)
    return (jnp.floor(jnp.log1p(-u) / jnp.log1p(-p)) + 1).astype(dtype)


def _cauchy(key, median, sigma, *, shape, dtype):
    return (median + sigma * jax.random.cauchy(key, shape, dtype)).astype(dtype)


def _log_normal(key, mean, std, *, shape, dtype):
    return jnp.exp(jax.random.normal(key, shape, dtype) * std + mean).astype(dtype)


def _poisson(key, rate, *, shape, dtype):
    return jax.random.poisson(key, rate, shape).astype(dtype)


_SAMPLERS: dict[str, Callable] = {
    "uniform": _uniform,
    "normal": _normal,
    "integers": _integers,
    "bits63": _bits63,
    "perm": _permutation,
    "bernoulli": _bernoulli,
    "exponential": _exponential,
    "geometric": _geometric,
    "cauchy": _cauchy,
    "log_normal": _log_normal,
    "poisson": _poisson,
}


@functools.partial(jax.jit, static_argnames=("kind", "shape", "dtype"))
def _draw(key, params, *, kind, shape, dtype):
    key, sub = jax.random.split(key)
    return key, _SAMPLERS[kind](sub, *params, shape=shape, dtype=dtype)


# Samplers whose elements are drawn independently: with scalar parameters, any shape is the first
# elements of a flat draw. Drawing flat blocks of a few sizes (powers of two) means a new shape
# compiles no new RNG kernel (half a second each on a CPU): only the slice, inside the program
# that uses the sample (the slice is deferred).
_FLAT = frozenset(
    ("uniform", "normal", "integers", "bits63", "bernoulli", "exponential")
    + ("geometric", "cauchy", "log_normal")
)
_MIN_BLOCK = 256
_MAX_BLOCK = 1 << 22  # larger draws are drawn at their size (few shapes; less waste)
_PYTHON_SCALARS = frozenset((bool, int, float))
_first = Op(
    "RandomBackward0",
    lambda block, *, shape: block[: math.prod(shape)].reshape(shape),
    differentiable=False,
)


def _block(n: int) -> int:
    """The flat draw whose first ``n`` elements make a sample of ``n`` elements."""
    return n if n > _MAX_BLOCK else max(_MIN_BLOCK, 1 << (n - 1).bit_length())


def _sample(
    kind: str,
    generator: Generator | None,
    params: tuple,
    shape: tuple,
    dtype: _dtype.dtype,
    device: Any = None,
) -> jax.Array | Pending:
    """A sample of ``shape``: an array, or (a flat draw's slice) a deferred value on the
    generator's device."""
    gen = generator if generator is not None else _default_for(device)
    shape = tuple(shape)
    n = math.prod(shape)
    if not (
        kind in _FLAT
        and n
        and all(type(p) in _PYTHON_SCALARS for p in params)
        and _on_key_device(gen, device)
    ):
        gen._key, out = _draw(gen._key, params, kind=kind, shape=shape, dtype=dtype.np)
        return out
    size = _block(n)
    gen._key, block = _draw(gen._key, params, kind=kind, shape=(size,), dtype=dtype.np)
    if size == n and len(shape) == 1:
        return block
    key = ((("shape", shape),), None)
    if mode.trace is not None or mode.inline:  # traced: slice inline (no compile to save)
        return _first.bind(key)(block)
    if not mode.defer:
        return _first.forward_fn(key)(block)
    return deferred(_first, key, [block], ShapedArray(shape, block.dtype))


def _on_key_device(gen: Generator, device: Any) -> bool:
    """Whether the sample goes to the device of ``gen``'s key (where it is drawn), or no
    device is known (inside a trace)."""
    key = gen._key
    if isinstance(key, jax.core.Tracer):
        return True
    return key.devices() == {_device.to_jax(device)}


def _placed(value: jax.Array | Pending, device: Any) -> jax.Array | Pending:
    """A sample on ``device`` (a deferred slice is on the key's device already)."""
    if value.__class__ is Pending:
        return value
    return jax.device_put(value, _device.to_jax(device))


def _param(x: Any) -> Any:
    return x.jax() if isinstance(x, Tensor) else x


def _size(size: tuple, name: str, kw: dict[str, Any]) -> tuple[int, ...]:
    """The shape from ``*size`` or the ``size=`` keyword (the only extra keyword allowed)."""
    for key in kw:
        if key != "size":
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
    if "size" in kw:
        size = (tuple(kw["size"]),)
    return _creation._shape(size, name)


def _not_implemented(kernel: str, dt: _dtype.dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dt.title}'")


def _float_dtype(dtype: _dtype.dtype | None, kernel: str) -> _dtype.dtype:
    dt = dtype or _dtype.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise _not_implemented(kernel, dt)
    return dt


# NOTE: PyTorch gives samples drawn from tensor parameters a grad_fn whose gradient is zero
# (no reparameterisation); the parameters are inputs the op does not use, so the vjp is zero.
_SAMPLE_OPS: dict[str, Op] = {}


def _recorded(name: str, inputs: tuple, value: jax.Array, device: Any) -> Tensor:
    """``value`` as a new tensor on ``device``, recorded as ``name`` if an input needs grad."""
    value = Tensor._wrap(_placed(value, device))
    if is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        op = _SAMPLE_OPS.get(name)
        if op is None:
            op = _SAMPLE_OPS[name] = Op(name, lambda *xs: xs[-1], saves=())
        return apply(op, (*[t for t in inputs if isinstance(t, Tensor)], value))
    return value


# -- creation -----------------------------------------------------------------------------
def rand(
    *size: int,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    **kw: Any,
) -> Tensor:
    """Uniform samples from [0, 1).

    >>> import tensorish
    >>> _ = tensorish.manual_seed(0)
    >>> tensorish.rand(2, 3).shape
    tensorish.Size([2, 3])
    """
    shape = _size(size, "rand", kw)
    dt = _float_dtype(dtype, "check_uniform_bounds")
    out = _sample("uniform", generator, (0.0, 1.0), shape, dt, device)
    return _creation._finish(out, dt, device, requires_grad)


def randn(
    *size: int,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    **kw: Any,
) -> Tensor:
    """Standard normal samples.

    >>> import tensorish
    >>> tensorish.randn(4, generator=tensorish.Generator().manual_seed(1)).dtype
    tensorish.float32
    """
    shape = _size(size, "randn", kw)
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    out = _sample("normal", generator, (0.0, 1.0), shape, dt, device)
    return _creation._finish(out, dt, device, requires_grad)


_CPP_INT = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long",
}


def _check_range(lo: int, hi: int, dt: _dtype.dtype, stacklevel: int = 3) -> None:
    if lo >= hi:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}"
        )
    if dt.name in _CPP_INT:
        info = (0, 1) if dt.name == "bool" else (np.iinfo(dt.np).min, np.iinfo(dt.np).max)
        if not info[0] <= lo <= info[1]:
            raise RuntimeError(f"from is out of bounds for {_CPP_INT[dt.name]}")
        if not info[0] <= hi - 1 <= info[1]:
            raise RuntimeError(f"to - 1 is out of bounds for {_CPP_INT[dt.name]}")


def randint(
    *args: Any,
    low: int | None = None,
    high: int | None = None,
    size: Sequence[int] | None = None,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    >>> import tensorish
    >>> tensorish.randint(3, 10, (4,)).dtype
    tensorish.int64
    """
    args = list(args)
    if size is None and args and not isinstance(args[-1], (int, np.integer)):
        size = args.pop()
    bounds = args + [b for b in (low, high) if b is not None]
    if size is None or not 1 <= len(bounds) <= 2:
        raise TypeError(
            "randint() received an invalid combination of arguments: expected "
            "(int high, tuple of ints size) or (int low, int high, tuple of ints size)"
        )
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    low, high = int(low), int(high)
    dt = dtype or _dtype.int64
    shape = _creation._shape(tuple(size), "randint")
    _check_range(low, high, dt)
    out = _sample("integers", generator, (low, high), shape, dt, device)
    return _creation._finish(out, dt, device, requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of ``0 .. n-1``.

    >>> import tensorish
    >>> sorted(tensorish.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    shape = _creation._shape((n,), "randperm")
    dt = dtype or _dtype.int64
    out = _sample("perm", generator, (), shape, dt, device)
    return _creation._finish(out, dt, device, requires_grad)


def _like(input: Tensor, dtype, device) -> tuple[_dtype.dtype, Any]:
    return dtype or input.dtype, device if device is not None else input.device


def rand_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``rand`` with the shape (and by default dtype and device) of ``input``."""
    dt, dev = _like(input, dtype, device)
    return rand(
        *input.shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad
    )


def randn_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``randn`` with the shape (and by default dtype and device) of ``input``."""
    dt, dev = _like(input, dtype, device)
    return randn(
        *input.shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad
    )


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``randint`` with the shape (and by default dtype and device) of ``input``."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device)
    return randint(
        low,
        high,
        tuple(input.shape),
        generator=generator,
        dtype=dt,
        device=dev,
        requires_grad=requires_grad,
    )


_NORMAL_SIGNATURES = (
    " * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)\n"
)


def _check_std(std: Any) -> None:
    if isinstance(std, Tensor):
        if std.numel() and float(jnp.min(std.jax())) < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: _dtype.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples: tensor mean and/or std (broadcast), or float both with ``size``.

    >>> import tensorish
    >>> tensorish.normal(tensorish.zeros(3), 1.0).shape
    tensorish.Size([3])
    >>> tensorish.normal(2.0, 3.0, (2, 2)).shape
    tensorish.Size([2, 2])
    """
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (tm or ts):
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments - got "
                f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                "of:\n" + _NORMAL_SIGNATURES
            )
        _check_std(std)
        dt = _float_dtype(dtype, "normal_kernel_cpu")
        out = _sample(
            "normal",
            generator,
            (float(mean), float(std)),
            _creation._shape(tuple(size), "normal"),
            dt,
            device,
        )
        return _creation._finish(out, dt, device, requires_grad)
    if tm and ts:
        shape = (
            np.broadcast_shapes(mean.shape, std.shape)
            if mean.shape != std.shape
            else tuple(mean.shape)
        )
        if (
            mean.numel() != std.numel()
            and len(mean.shape) == len(std.shape)
            and any(a != b and 1 not in (a, b) for a, b in zip(mean.shape, std.shape))
        ):
            raise RuntimeError(_broadcast_message(mean.shape, std.shape))
        dt = result_type(mean, std)
        where = mean
    else:
        dt = (mean if tm else std).dtype
        shape = tuple((mean if tm else std).shape)
        where = mean if tm else std
    _check_std(std)
    dt = _float_dtype(dt, "normal_kernel_cpu")
    out = _sample("normal", generator, (_param(mean), _param(std)), tuple(shape), dt, where.device)
    name = "NormalBackward3" if tm and ts else "NormalBackward1" if tm else "NormalBackward2"
    return _recorded(name, (mean, std), out, where.device)


def _broadcast_message(a: tuple, b: tuple) -> str:
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and 1 not in (a[-i], b[-i]):
            return (
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) "
                f"at non-singleton dimension {max(len(a), len(b)) - i}"
            )
    return "shape mismatch"


def _check_probs(p: Tensor) -> None:
    if p.numel() and not bool(jnp.all((p.jax() >= 0) & (p.jax() <= 1))):
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)"
        )


@method
def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or ``p``), in ``input``'s dtype.

    >>> import tensorish
    >>> tensorish.bernoulli(tensorish.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """
    dt = input.dtype
    if p is None:
        if not dt.is_floating_point:
            raise _not_implemented("bernoulli_tensor_cpu_p_", dt)
        _check_probs(input)
        prob = input.jax()
    else:
        _check_p(p)
        prob = float(p)
    out = _sample("bernoulli", generator, (prob,), tuple(input.shape), dt, input.device)
    return _recorded("BernoulliBackward0", (input,), out, input.device)


def _check_p(p: float) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")


@functools.partial(jax.jit, static_argnames=("n", "replacement"))
def _multinomial(key, probs, *, n, replacement):
    key, sub = jax.random.split(key)
    logits = jnp.log(probs)
    if replacement:
        draws = jax.random.categorical(sub, logits, axis=-1, shape=(n,) + probs.shape[:-1])
        draws = jnp.moveaxis(draws, 0, -1)
    else:  # Gumbel top-k: n distinct categories, each with the right sequential law
        scores = logits + jax.random.gumbel(sub, probs.shape, probs.dtype)
        draws = jax.lax.top_k(scores, n)[1]
    bad = jnp.any(~jnp.isfinite(probs) | (probs < 0))
    empty = jnp.any(jnp.sum(probs, axis=-1) <= 0)
    return key, draws.astype(jnp.int64), bad, empty


@method
def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    >>> import tensorish
    >>> tensorish.multinomial(tensorish.tensor([0., 1., 0.]), 2, replacement=True).tolist()
    [1, 1]
    """
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype.title}"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    gen = generator if generator is not None else _default_for(input.device)
    key, out, bad, empty = _multinomial(
        gen._key, input.jax(), n=int(num_samples), replacement=bool(replacement)
    )
    if bool(bad):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool(empty):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen._key = key
    return Tensor._wrap(out)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson samples with rates ``input``, in ``input``'s dtype.

    >>> import tensorish
    >>> tensorish.poisson(tensorish.zeros(2)).tolist()
    [0.0, 0.0]
    """
    if input.numel() and not bool(jnp.all(input.jax() >= 0)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = _sample(
        "poisson", generator, (input.jax(),), tuple(input.shape), input.dtype, input.device
    )
    return _recorded("PoissonBackward0", (input,), out, input.device)


# -- in-place samplers --------------------------------------------------------------------
# NOTE: the sample does not depend on the old value, so its gradient is zero (x is unused).
_FILL_OPS = {
    kind: Op(name, lambda x, v: v, saves=())
    for kind, name in (
        ("uniform", "UniformBackward0"),
        ("normal", "NormalBackward0"),
        ("bernoulli", "BernoulliBackward0"),
        ("integers", "RandomBackward0"),
        ("bits63", "RandomBackward0"),
        ("exponential", "ExponentialBackward0"),
        ("geometric", "GeometricBackward0"),
        ("cauchy", "CauchyBackward0"),
        ("log_normal", "LogNormalBackward0"),
    )
}


def _fill_(self: Tensor, kind: str, params: tuple, generator: Generator | None) -> Tensor:
    device = self.device
    value = _placed(_sample(kind, generator, params, tuple(self.shape), self.dtype, device), device)
    if is_grad_enabled() and self._requires_grad:
        return inplace(self, lambda s: apply(_FILL_OPS[kind], (s, Tensor._wrap(value))))
    self._set_value(value)
    return self


def _require_float(self: Tensor, kernel: str) -> None:
    if not (self.dtype.is_floating_point or self.dtype.is_complex):
        raise _not_implemented(kernel, self.dtype)


@method
def uniform_(
    self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with uniform samples from [a, b).

    >>> import tensorish
    >>> all(2 <= v < 3 for v in tensorish.zeros(3).uniform_(2, 3).tolist())
    True
    """
    _require_float(self, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}"
        )
    return _fill_(self, "uniform", (float(a), float(b)), generator)


@method
def normal_(
    self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with normal samples."""
    _require_float(self, "normal_kernel_cpu")
    _check_std(std)
    return _fill_(self, "normal", (float(mean), float(std)), generator)


@method
def bernoulli_(
    self: Tensor, p: float | Tensor = 0.5, *, generator: Generator | None = None
) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p``."""
    if isinstance(p, Tensor):
        _check_probs(p)
        prob = p.jax()
    else:
        _check_p(p)
        prob = float(p)
    return _fill_(self, "bernoulli", (prob,), generator)


def _random_top(dt: _dtype.dtype) -> int:
    if dt.is_floating_point:
        return 2 ** np.finfo(dt.np).nmant + 1
    if dt.name == "bool":
        return 2
    return int(np.iinfo(dt.np).max) + 1


@method
def random_(
    self: Tensor,
    from_: int = 0,
    to: int | None = None,
    *,
    generator: Generator | None = None,
    **kw: Any,
) -> Tensor:
    """Fill with integers uniform in [from, to) (``random_(to)``: [0, to)).

    >>> import tensorish
    >>> tensorish.zeros(4, dtype=tensorish.int64).random_(1, 2).tolist()
    [1, 1, 1, 1]
    """
    lo = kw.pop("from", from_)
    if to is None and "from" not in kw and from_ != 0 and "to" not in kw:
        lo, hi = 0, from_
    else:
        hi = _random_top(self.dtype) if to is None else to
    lo, hi = int(lo), int(hi)
    _check_range(lo, hi, self.dtype)
    if (lo, hi) == (0, 2**63):  # int64's full range does not fit randint's exclusive bound
        return _fill_(self, "bits63", (), generator)
    return _fill_(self, "integers", (lo, hi), generator)


@method
def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with exponential samples of rate ``lambd``."""
    _require_float(self, "exponential_cpu")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill_(self, "exponential", (float(lambd),), generator)


@method
def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill_(self, "geometric", (float(p),), generator)


@method
def cauchy_(
    self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with Cauchy samples."""
    _require_float(self, "cauchy_cpu")
    return _fill_(self, "cauchy", (float(median), float(sigma)), generator)


@method
def log_normal_(
    self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with samples whose logarithm is normal(mean, std)."""
    _require_float(self, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill_(self, "log_normal", (float(mean), float(std)), generator)

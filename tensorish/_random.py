"""Random numbers: a stateful ``Generator`` over JAX PRNG keys.

The generator's whole state is one JAX key array (``_key``); each draw splits it with a cached
jitted function, so ``tensorish.compile`` can lift the key as state like any tensor value.
"""

from __future__ import annotations

import jax

_DEFAULT_SEED = 67280421310721
_split = jax.jit(lambda key: tuple(jax.random.split(key)))


class Generator:
    """A source of random numbers; same seed, same numbers, on every run.

    >>> import tensorish
    >>> g = tensorish.Generator().manual_seed(0)
    >>> g.initial_seed()
    0
    """

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._key = jax.random.key(self._seed & 0xFFFFFFFFFFFFFFFF, impl="threefry2x32")
        return self

    def initial_seed(self) -> int:
        return self._seed

    def next_key(self) -> jax.Array:
        """A fresh key for one draw; advances the state."""
        self._key, sub = _split(self._key)
        return sub


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def next_key(generator: Generator | None = None) -> jax.Array:
    """A fresh PRNG key from ``generator`` (the default one if None)."""
    return (generator or default_generator).next_key()

"""``tensorish.backends.mps``: Apple's Metal backend, which JAX does not drive here.

>>> import tensorish
>>> tensorish.backends.mps.is_built()
False
"""


def is_available() -> bool:
    """Whether an MPS device can be used (never, under tensorish)."""
    return False


def is_built() -> bool:
    """Whether tensorish was built with MPS support (no)."""
    return False

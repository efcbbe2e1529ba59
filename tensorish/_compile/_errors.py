"""The errors tensorish.compile raises, and the helpers that word them."""

from __future__ import annotations

import types

import jax


class CompileError(RuntimeError):
    """The function can't be compiled faithfully; the message names the problem and the fix."""


class Unstable(Exception):
    """The trace left new state behind (an optimizer creating its buffers): run eagerly once."""


FIX = (
    "Fix: keep the computation in tensor ops, move it out of the compiled function, or use "
    "tensorish.compile(fn, fallback='eager') to run such calls eagerly."
)


def describe(c, k) -> str:
    """Where slot ``c[k]`` is, in words."""
    if type(c) is types.CellType:
        return "a closure variable"
    return f"[{k!r}] of a {type(c).__name__}"


def concretization(e: Exception) -> bool:
    """Whether ``e`` is JAX's error for a concrete use of a traced value."""
    return isinstance(
        e,
        (
            jax.errors.ConcretizationTypeError,
            jax.errors.TracerArrayConversionError,
            jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError,
        ),
    )


def user_frame(tb) -> str:
    """The innermost frame of ``tb`` in the user's code, as ``file:line (in function)``."""
    where = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        f = code.co_filename
        if "/tensorish/" not in f and "/jax/" not in f and "/jaxlib/" not in f:
            where = f"{f}:{tb.tb_lineno} (in {code.co_name})"
        tb = tb.tb_next
    return where

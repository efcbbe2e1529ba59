"""Process-wide settings programs set through ``tensorish.backends`` and the top-level
``set_float32_matmul_precision``/``use_deterministic_algorithms``.

The float32 matmul precision IS JAX's ``jax_default_matmul_precision`` (read and written there,
so ``jax.default_matmul_precision`` and tensorish agree); it applies to convolutions too, as XLA
has one setting for both. Determinism is recorded only: XLA on the CPU is deterministic, and
on a GPU XLA's deterministic mode is chosen when the backend starts
(``XLA_FLAGS=--xla_gpu_deterministic_ops=true``), not while a program runs.
"""

from __future__ import annotations

import warnings

import jax

_TO_JAX = {"highest": "float32", "high": "tensorfloat32", "medium": "bfloat16"}
_FROM_JAX = {
    "float32": "highest",
    "highest": "highest",
    "tensorfloat32": "high",
    "high": "high",
    "bfloat16": "medium",
}
# What JAX does without a setting: full float32 on the CPU, TF32 on a GPU, bfloat16 on a TPU.
_PLATFORM_DEFAULT = {"cpu": "highest", "gpu": "high", "tpu": "medium"}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_float32_matmul_precision(precision: str) -> None:
    """Set the internal precision of float32 matrix multiplications and convolutions:
    ``"highest"`` (float32), ``"high"`` (TensorFloat32) or ``"medium"`` (bfloat16), as JAX's
    default matmul precision ``float32``/``tensorfloat32``/``bfloat16``.

    >>> import tensorish
    >>> tensorish.set_float32_matmul_precision("highest")
    >>> tensorish.get_float32_matmul_precision()
    'highest'
    """
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in _TO_JAX:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    jax.config.update("jax_default_matmul_precision", _TO_JAX[precision])


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision in torch's words, read from JAX's default matmul precision
    (unset: what JAX does on the default backend: "highest" on a CPU).

    >>> import tensorish
    >>> tensorish.get_float32_matmul_precision() in ("highest", "high", "medium")
    True
    """
    value = jax.config.jax_default_matmul_precision
    if value is None or value == "default":
        return _PLATFORM_DEFAULT.get(jax.default_backend(), "highest")
    if value in _FROM_JAX:
        return _FROM_JAX[value]
    if value.startswith(("F32", "F64")):  # a dot algorithm preset, named LHS_RHS_ACCUM[_Xn]
        return "highest"
    return "high" if value.startswith("TF32") or "_X" in value else "medium"


class _Determinism:
    """The determinism flags: off (0), warn (1) or error (2), as torch's debug mode."""

    mode = 0


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (recorded; XLA on the CPU always is).

    >>> import tensorish
    >>> tensorish.use_deterministic_algorithms(False)
    >>> tensorish.are_deterministic_algorithms_enabled()
    False
    """
    if not isinstance(mode, bool):
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    if not isinstance(warn_only, bool):
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
            f"{type(warn_only).__name__}"
        )
    _Determinism.mode = (1 if warn_only else 2) if mode else 0


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _Determinism.mode > 0


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether deterministic algorithms are in force with ``warn_only=True``."""
    return _Determinism.mode == 1


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """``"default"``/0 (off), ``"warn"``/1 or ``"error"``/2, as ``use_deterministic_algorithms``.

    >>> import tensorish
    >>> tensorish.set_deterministic_debug_mode("default")
    >>> tensorish.get_deterministic_debug_mode()
    0
    """
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                f"got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    _Determinism.mode = debug_mode


def get_deterministic_debug_mode() -> int:
    """0 (off), 1 (warn) or 2 (error)."""
    return _Determinism.mode

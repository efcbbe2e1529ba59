"""Thread-local gradient recording switches: no_grad, enable_grad, set_grad_enabled,
inference_mode. Each is a context manager and a decorator (with or without parentheses).

They set the per-thread fields ``grad`` and ``inference`` of the one mode object (``_mode``), so
this module needs nothing else and sits low: the op table uses it too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._mode import mode


def is_grad_enabled() -> bool:
    """Whether operations are being recorded for backward in this thread.

    >>> import tensorish
    >>> tensorish.is_grad_enabled()
    True
    """
    return mode.grad


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active in this thread.

    >>> import tensorish
    >>> with tensorish.inference_mode():
    ...     tensorish.is_inference_mode_enabled()
    True
    """
    return mode.inference


def _set_enabled(on: bool) -> None:
    mode.grad = on


class _GradModeContext:
    """Base of the grad-mode managers: a context manager that also decorates functions."""

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]):
            return cls()(args[0])  # used as a decorator without parentheses
        return super().__new__(cls)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)

        return wrapper

    def _args(self) -> tuple:
        return ()

    def clone(self) -> _GradModeContext:
        return self.__class__(*self._args())


class no_grad(_GradModeContext):
    """Disable gradient recording inside the block (or the decorated function).

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> with tensorish.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    def __enter__(self) -> None:
        self._prev = is_grad_enabled()
        _set_enabled(False)

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._prev)


class enable_grad(_GradModeContext):
    """Enable gradient recording inside the block, even within ``no_grad``.

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> with tensorish.no_grad(), tensorish.enable_grad():
    ...     (x * 2).requires_grad
    True
    """

    def __enter__(self) -> None:
        self._prev = is_grad_enabled()
        _set_enabled(True)

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._prev)


class set_grad_enabled(_GradModeContext):
    """Set gradient recording on or off; takes effect at once, and as a context manager it
    restores the previous mode on exit.

    >>> import tensorish
    >>> with tensorish.set_grad_enabled(False):
    ...     tensorish.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._prev = is_grad_enabled()
        self._mode = bool(mode)
        _set_enabled(self._mode)

    def _args(self) -> tuple:
        return (self._mode,)

    def __call__(self, fn: Callable) -> Callable:
        _set_enabled(self._prev)  # used as a decorator: the constructor must not have effect
        return super().__call__(fn)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._prev)


class inference_mode(_GradModeContext):
    """``no_grad`` that also reports ``is_inference_mode_enabled()``; ``inference_mode(False)``
    turns both off (so it enables grad, as in PyTorch).

    >>> import tensorish
    >>> x = tensorish.ones(2, requires_grad=True)
    >>> with tensorish.inference_mode():
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def _args(self) -> tuple:
        return (self._mode,)

    def __enter__(self) -> None:
        self._prev = (is_grad_enabled(), is_inference_mode_enabled())
        _set_enabled(not self._mode)
        mode.inference = self._mode

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._prev[0])
        mode.inference = self._prev[1]

"""Anomaly detection: record each op's forward stack, and fail on the first backward that
returns nan, naming the forward op (the engine runs node by node while it is on)."""

from __future__ import annotations

import warnings

from ._engine import _anomaly
from ._grad_mode import _GradModeContext

_ENABLED_WARNING = (
    "Anomaly Detection has been enabled. This mode will increase the runtime "
    "and should only be enabled for debugging."
)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (a global switch, as in PyTorch)."""
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for nan."""
    return _anomaly[1]


class detect_anomaly(_GradModeContext):
    """Turn anomaly detection on inside the block (or the decorated function).

    >>> import tensorish, warnings
    >>> warnings.simplefilter("ignore")
    >>> with tensorish.autograd.detect_anomaly():
    ...     tensorish.autograd.is_anomaly_enabled()
    True
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._check_nan = check_nan

    def _args(self) -> tuple:
        return (self._check_nan,)

    def __enter__(self) -> None:
        warnings.warn(_ENABLED_WARNING, UserWarning, stacklevel=2)
        self._prev = tuple(_anomaly)
        _anomaly[:] = [True, self._check_nan]

    def __exit__(self, *exc: object) -> None:
        _anomaly[:] = list(self._prev)


class set_detect_anomaly(_GradModeContext):
    """Turn anomaly detection on or off; at once, and as a context manager restored on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = tuple(_anomaly)
        self._mode = (bool(mode), check_nan)
        _anomaly[:] = [bool(mode), check_nan]

    def _args(self) -> tuple:
        return self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _anomaly[:] = list(self._prev)

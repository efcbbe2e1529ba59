"""Anomaly detection: record each op's forward stack, and fail on the first backward that
returns nan, naming the forward op (the engine runs node by node while it is on). A process-wide
switch, as in PyTorch: the fields ``anomaly`` and ``check_nan`` of the one mode object."""

from __future__ import annotations

import warnings

from .. import _mode
from ._grad_mode import _GradModeContext

_ENABLED_WARNING = (
    "Anomaly Detection has been enabled. This mode will increase the runtime "
    "and should only be enabled for debugging."
)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (a global switch, as in PyTorch).

    >>> import tensorish
    >>> tensorish.is_anomaly_enabled()
    False
    """
    return _mode.mode.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for nan.

    >>> import tensorish
    >>> tensorish.is_anomaly_check_nan_enabled()
    True
    """
    return _mode.mode.check_nan


class detect_anomaly(_GradModeContext):
    """Turn anomaly detection on inside the block (or the decorated function).

    >>> import tensorish, warnings
    >>> warnings.simplefilter("ignore")
    >>> with tensorish.autograd.detect_anomaly():
    ...     tensorish.is_anomaly_enabled()
    True
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._check_nan = check_nan

    def _args(self) -> tuple:
        return (self._check_nan,)

    def __enter__(self) -> None:
        warnings.warn(_ENABLED_WARNING, UserWarning, stacklevel=2)
        m = _mode.mode
        self._prev = (m.anomaly, m.check_nan)
        m.anomaly, m.check_nan = True, self._check_nan

    def __exit__(self, *exc: object) -> None:
        _mode.mode.anomaly, _mode.mode.check_nan = self._prev


class set_detect_anomaly(_GradModeContext):
    """Turn anomaly detection on or off; at once, and as a context manager restored on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        m = _mode.mode
        self._prev = (m.anomaly, m.check_nan)
        self._mode = (bool(mode), check_nan)
        m.anomaly, m.check_nan = self._mode

    def _args(self) -> tuple:
        return self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _mode.mode.anomaly, _mode.mode.check_nan = self._prev

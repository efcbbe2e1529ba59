"""PyTorch's tensor ``repr``, to the character: a port of ``torch/_tensor_str.py``.

Every element is formatted from a Python ``float``/``int``/``bool``/``complex`` (as PyTorch's
``.item()``/``.tolist()`` give them), so Python's own float formatting does the digits and the
output matches PyTorch's exactly. The quirks of the original are kept on purpose: they are what
PyTorch users see.

>>> import tensorish
>>> tensorish.tensor([1.0, 2.5])
tensor([1.0000, 2.5000])
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing tensors, as ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") sets all four numeric options first; the others
    then override it. Like PyTorch, every call resets ``sci_mode`` unless it is given.

    >>> import tensorish
    >>> tensorish.set_printoptions(precision=2)
    >>> tensorish.tensor([1.12345])
    tensor([1.12])
    >>> tensorish.set_printoptions(profile="default")
    """
    # An unknown profile is silently ignored, as in PyTorch.
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (same arguments as ``set_printoptions``).

    >>> import tensorish
    >>> with tensorish._printing.printoptions(precision=1):
    ...     tensorish.tensor([0.25])
    tensor([0.2])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """The notation and width shared by every element of one (summarized) array."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite).astype(np.float64)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        for value in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the trailing "."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: float | int | bool) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _element_str(value: Any, real: _Formatter, imag: _Formatter | None) -> str:
    if imag is None:
        return real.format(value)
    imag_str = (imag.format(value.imag) + "j").lstrip()
    # Negative parts (-0.0 too) carry their "-"; the rest ("1.5", "inf", "nan") need a "+".
    sign = "" if imag_str[0] in "+-" else "+"
    return real.format(value.real) + sign + imag_str


def _vector_str(
    a: np.ndarray, indent: int, summarize: bool, real: _Formatter, imag: _Formatter | None
) -> str:
    element_length = real.max_width + 2
    if imag is not None:
        element_length += imag.max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    fmt = lambda values: [_element_str(v, real, imag) for v in values.tolist()]
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = fmt(a[:edge]) + [" ..."] + fmt(a[-edge:])
    else:
        data = fmt(a)
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(
    a: np.ndarray, indent: int, summarize: bool, real: _Formatter, imag: _Formatter | None
) -> str:
    if a.ndim == 0:
        return _element_str(a.item(), real, imag)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, real, imag)
    edge = PRINT_OPTS.edgeitems
    sub = lambda rows: [_nested_str(a[i], indent + 1, summarize, real, imag) for i in rows]
    if summarize and a.shape[0] > 2 * edge:
        slices = sub(range(edge)) + ["..."] + sub(range(len(a) - edge, len(a)))
    else:
        slices = sub(range(len(a)))
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: the formatter measures only these."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # With edgeitems=0, a[-0:] is the whole vector: PyTorch measures every element.
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return np.empty((0,) * a.ndim, a.dtype)
    rows = range(len(a))
    if a.shape[0] > 2 * edge:
        rows = [*range(edge), *range(len(a) - edge, len(a))]
    return np.stack([_summarized(a[i]) for i in rows])


def _tensor_str(a: np.ndarray, floating: bool, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    measured = _summarized(a) if summarize else a
    if np.iscomplexobj(a):
        real, imag = _Formatter(measured.real, True), _Formatter(measured.imag, True)
        return _nested_str(a, indent, summarize, real, imag)
    return _nested_str(a, indent, summarize, _Formatter(measured, floating), None)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    parts = [tensor_str]
    # PyTorch's own arithmetic, off by two when there is no newline; kept for identical breaks.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        # Lay out as PyTorch lays out the same suffix spelled "torch.float64", so that the
        # text breaks where PyTorch's does and differs from it only in the module name.
        width = len(suffix.replace("tensorish.", "torch."))
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + width
        else:
            parts.append(", " + suffix)
            last_line_len += width + 2
    parts.append(")")
    return "".join(parts)


def _numpy(t: Any) -> np.ndarray:
    value = np.asarray(t._value)
    if t.dtype is _dtype.bfloat16:  # numpy can compare bfloat16 but not format it
        value = value.astype(np.float32)
    return value


def tensor_repr(t: Any, *, tensor_contents: str | None = None) -> str:
    """``repr(t)`` exactly as PyTorch prints it, with ``tensorish.`` for ``torch.``.

    ``tensor_contents`` replaces the bracketed values, as in ``torch.Tensor.__repr__``.

    >>> import tensorish
    >>> tensorish.tensor([[1, 2], [3, 4]], dtype=tensorish.int32)
    tensor([[1, 2],
            [3, 4]], dtype=tensorish.int32)
    """
    name = type(t).__name__
    prefix = "tensor(" if name in ("Tensor", "Parameter") else f"{name}("
    indent = len(prefix)
    suffixes = []

    device = getattr(t, "device", None)
    if device is not None and str(device).split(":")[0] != "cpu":
        suffixes.append(f"device='{device}'")

    dtype = t.dtype
    default = _dtype.get_default_dtype()
    shape = tuple(int(n) for n in t.shape)
    if math.prod(shape) == 0:
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        # No element shows the kind of an empty tensor, so even int64 gets its dtype.
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={shape}")
        if dtype not in (default, _dtype.default_complex(), _dtype.int64, _dtype.bool_):
            suffixes.append(f"dtype={dtype!r}")
        if tensor_contents is None:
            tensor_str = _tensor_str(_numpy(t), dtype.is_floating_point, indent)
    if tensor_contents is not None:
        tensor_str = tensor_contents

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent)

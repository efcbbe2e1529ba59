"""dtype objects and PyTorch's type-promotion rules.

tensorish runs JAX in x64 mode and always passes dtypes explicitly, so JAX's own defaults never
leak through: float literals and ``ones``/``randn`` give float32, integer literals int64.
"""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


class dtype:
    """A tensor element type, printed and compared as PyTorch's ``torch.dtype``.

    >>> import tensorish
    >>> tensorish.float32.is_floating_point, tensorish.int64.itemsize
    (True, 8)
    """

    __slots__ = (
        "name",
        "np",
        "is_floating_point",
        "is_complex",
        "is_signed",
        "itemsize",
        "_rank",
        "title",
    )

    def __init__(self, name: str, np_dtype, rank: int, title: str) -> None:
        self.name = name
        self.title = title  # PyTorch's scalar-type name, used in its error messages
        self.np = np.dtype(np_dtype)
        self.is_complex = self.np.kind == "c"
        self.is_floating_point = self.np.kind == "f" or name == "bfloat16"
        self.is_signed = self.np.kind in "fci" or name == "bfloat16"
        self.itemsize = self.np.itemsize
        self._rank = rank

    def __repr__(self) -> str:
        return f"tensorish.{self.name}"

    def __reduce__(self):
        return (_from_name, (self.name,))

    def to_complex(self) -> dtype:
        return {float16: complex64, bfloat16: complex64, float32: complex64}.get(self, complex128)

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)


bool_ = dtype("bool", np.bool_, 0, "Bool")
uint8 = dtype("uint8", np.uint8, 1, "Byte")
int8 = dtype("int8", np.int8, 2, "Char")
int16 = dtype("int16", np.int16, 3, "Short")
int32 = dtype("int32", np.int32, 4, "Int")
int64 = dtype("int64", np.int64, 5, "Long")
float16 = dtype("float16", np.float16, 6, "Half")
bfloat16 = dtype("bfloat16", jnp.bfloat16, 7, "BFloat16")
float32 = dtype("float32", np.float32, 8, "Float")
float64 = dtype("float64", np.float64, 9, "Double")
complex64 = dtype("complex64", np.complex64, 10, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, 11, "ComplexDouble")

# PyTorch's C++ names of the dtypes, as its error messages print them.
CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}

ALL = (
    bool_,
    uint8,
    int8,
    int16,
    int32,
    int64,
    float16,
    bfloat16,
    float32,
    float64,
    complex64,
    complex128,
)
_by_name = {d.name: d for d in ALL}


def _from_name(name: str) -> dtype:
    """The dtype called ``name`` (what a pickled dtype loads as: the one object, not a copy)."""
    return _by_name[name]


_by_np = {d.np: d for d in ALL}


def from_np(np_dtype) -> dtype:
    """The tensorish dtype of a numpy/JAX dtype."""
    try:
        return _by_np[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _by_np:
            return _by_np[d]
        if d.kind == "u":  # PyTorch has no uint16/32/64 tensors worth matching; widen safely
            return int64
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{d.type.__name__}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint64, uint32, uint16, uint8, and bool."
        ) from None


def _category(d: dtype) -> int:
    if d is bool_:
        return 0
    if d.is_complex:
        return 3
    if d.is_floating_point:
        return 2
    return 1


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's ``promote_types``: the smallest dtype both ``a`` and ``b`` cast to safely.

    >>> import tensorish
    >>> tensorish.promote_types(tensorish.uint8, tensorish.int8)
    tensorish.int16
    """
    return _PROMOTE[a._rank][b._rank]


def _build_promotion_table():
    table = [[None] * len(ALL) for _ in ALL]
    for a in ALL:
        for b in ALL:
            lo, hi = sorted((a, b), key=lambda d: d._rank)
            if {lo, hi} == {uint8, int8}:
                r = int16
            elif {lo, hi} == {float16, bfloat16}:
                r = float32
            elif hi.is_complex and lo in (float64,):
                r = complex128
            else:
                r = hi
            table[a._rank][b._rank] = r
    return table


_PROMOTE = _build_promotion_table()


class _State(threading.local):
    default = float32  # what every thread starts with


_state = _State()


def get_default_dtype() -> dtype:
    """The dtype of float literals and of ``ones``/``randn`` without ``dtype=`` (float32)."""
    return _state.default


def set_default_dtype(d: dtype) -> None:
    """Set the default floating point dtype (float32 or float64, as PyTorch allows)."""
    if not isinstance(d, dtype) or not d.is_floating_point or d in (float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _state.default = d


def default_complex() -> dtype:
    return complex128 if get_default_dtype() is float64 else complex64


def scalar_dtype(x) -> dtype:
    """The dtype PyTorch gives a Python scalar standing alone (``tensor(2.5)``)."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, (int, np.integer)) and not isinstance(x, np.bool_):
        return int64
    if isinstance(x, complex):
        return default_complex()
    return get_default_dtype()


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: a lower-priority operand only raises the category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type_of(dims: tuple, zeros: tuple, scalars: tuple) -> dtype:
    """PyTorch's result type from the dtypes of dimensioned tensors, 0-dim tensors and the
    dtypes of wrapped Python scalars (already mapped through ``scalar_dtype``)."""

    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r

    return _combine(fold(dims), _combine(fold(zeros), fold(scalars)))


def can_cast(from_: dtype, to: dtype) -> bool:
    """PyTorch's ``can_cast``: False only where a cast would lower the category."""
    return _category(from_) <= _category(to)


class finfo:
    """Machine limits of a floating point dtype, with PyTorch's fields and repr.

    >>> import tensorish
    >>> tensorish.finfo(tensorish.float16).max
    65504.0
    """

    def __init__(self, type: dtype | None = None) -> None:
        type = type or get_default_dtype()
        if not (type.is_floating_point or type.is_complex):
            raise TypeError(
                "tensorish.finfo() requires a floating point input type. Use "
                "tensorish.iinfo to handle 'tensorish.finfo'"
            )
        type = type.to_real()
        info = jnp.finfo(type.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = type.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
            f"tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype, with PyTorch's fields and repr.

    >>> import tensorish
    >>> tensorish.iinfo(tensorish.int8).min
    -128
    """

    def __init__(self, type: dtype) -> None:
        if type.is_floating_point or type.is_complex:
            raise TypeError(
                "tensorish.iinfo() requires an integer input type. Use tensorish.finfo "
                "to handle 'tensorish.iinfo'"
            )
        if type is bool_:
            raise TypeError("tensorish.bool is not supported by tensorish.iinfo")
        info = np.iinfo(type.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# The C++ names PyTorch's fill kernels (full, fill_) use in their overflow error.
_FILL_NAMES = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
}


def check_fits(values, d: dtype, fill: bool = False) -> None:
    """Raise PyTorch's overflow error where a Python number (or a NumPy array of them) does
    not fit the integer dtype ``d`` (uint8 wraps negative values, as PyTorch does).
    ``fill``: the words of ``full`` and ``fill_``, else those of ``tensor``.

    >>> check_fits(300, int8)
    Traceback (most recent call last):
    RuntimeError: value cannot be converted to type int8 without overflow
    """
    if d.is_floating_point or d.is_complex or d is bool_:
        return
    if isinstance(values, int) and not -(2**63) <= values < 2**64:
        raise OverflowError("int too big to convert")
    v = np.asarray(values)
    if v.size == 0 or v.dtype.kind in "bO":
        return
    info = np.iinfo(d.np)
    if v.dtype.kind in "fc":
        v = np.trunc(v.real)
    low = -(2**63) if d.name == "uint8" else info.min
    if not (np.isfinite(v).all() and v.min() >= low and v.max() <= info.max):
        name = _FILL_NAMES[d.name] if fill else d.name
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")

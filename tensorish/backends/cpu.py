"""``tensorish.backends.cpu``: what the CPU offers.

>>> import tensorish
>>> tensorish.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")
True
"""

from __future__ import annotations

import os

_ORDER = ("DEFAULT", "AVX2", "AVX512")


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def get_cpu_capability() -> str:
    """The widest x86 vector instruction set usable (``"AVX512"``, ``"AVX2"`` or
    ``"DEFAULT"``), lowered by ``ATEN_CPU_CAPABILITY`` as in torch; read from Linux's
    ``/proc/cpuinfo`` (``"DEFAULT"`` elsewhere)."""
    flags = _cpu_flags()
    if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
        level = 2
    else:
        level = 1 if {"avx2", "fma"} <= flags else 0
    asked = os.environ.get("ATEN_CPU_CAPABILITY", "").upper()
    if asked in _ORDER:
        level = min(level, _ORDER.index(asked))
    return _ORDER[level]

"""Shared bits of the examples: fast mode, optional packages, and the comparison tables.

``TENSORISH_EXAMPLES_FAST=1`` cuts the number of steps (tests/test_examples_more.py uses it);
``TENSORISH_EXAMPLES_OUT`` names the folder for figures (default: next to the scripts).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

FAST = os.environ.get("TENSORISH_EXAMPLES_FAST") == "1"
OUT = Path(os.environ.get("TENSORISH_EXAMPLES_OUT", Path(__file__).resolve().parent))


def steps(full: int, fast: int) -> int:
    """``full`` steps, or ``fast`` under TENSORISH_EXAMPLES_FAST=1."""
    return fast if FAST else full


def require(*packages: str) -> None:
    """Exit (status 1) with the install command when an optional package is missing."""
    missing = []
    for name in packages:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        print(
            f"{Path(sys.argv[0]).name} needs {', '.join(missing)}: pip install -e '.[examples]'",
            file=sys.stderr,
        )
        sys.exit(1)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a small Markdown table; floats get 6 significant digits."""

    def cell(v: object) -> str:
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    cells = [list(header)] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(f"\n{title}")
    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))

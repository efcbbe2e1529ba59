"""The benchmark suite keeps working: ``bench/run.py --smoke`` runs every benchmark a few times.

Speed itself is measured by ``python bench/run.py`` (bench/RESULTS.md), never by tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_suite_smoke():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = out.stdout
    for row in (
        "tiny",
        "seed",
        "MLP 784-256-10 b64 SGD step",
        "CNN 2conv+2fc",
        "compiled",
        "first MLP step, compiled",
        "resident memory growth",
    ):
        assert row in report, row
    # every ratio cell is a number: each benchmark ran and was compared in the same run
    table = [line for line in report.splitlines() if line.startswith("| ") and "x |" in line]
    assert len(table) == 5, report

"""The op report names every family and counts what the op table declares."""

import subprocess
import sys

from tensorish import ops_report


def test_report_covers_the_families():
    fams = ops_report.covered()
    assert set(fams) == set(ops_report.FAMILIES)
    assert all(fams.values()), [f for f, names in fams.items() if not names]
    assert sum(len(v) for v in fams.values()) >= 250
    assert {"add", "sum", "reshape", "matmul", "cross_entropy"} <= {
        n for names in fams.values() for n in names
    }
    assert len({op.name for op in ops_report.declared_ops()}) >= 100


def test_report_runs_as_a_module():
    out = subprocess.run(
        [sys.executable, "-m", "tensorish.ops_report"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "public functions;" in out.stdout and "Known deviations" in out.stdout

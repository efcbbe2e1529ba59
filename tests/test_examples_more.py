"""Examples 02-06 in fast mode (TENSORISH_EXAMPLES_FAST=1), each in a subprocess: the tables
they print are parsed and the styles must agree numerically."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [
    "02_four_ways_to_a_gradient.py",
    "03_polynomial_fit.py",
    "04_mlp_imperative_vs_equinox.py",
    "05_compile.py",
    "06_data_parallel.py",
]
_runs: dict = {}


def _run(script: str, out_dir: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TENSORISH_EXAMPLES_FAST="1",
        TENSORISH_EXAMPLES_OUT=str(out_dir),
        **env_extra,
    )
    env.pop("XLA_FLAGS", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All five examples, two at a time (the machine has two cores)."""
    out = tmp_path_factory.mktemp("examples")
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(SCRIPTS, pool.map(lambda s: _run(s, out), SCRIPTS)))
    return done, out


def _tables(stdout: str) -> list[dict]:
    """Each printed table as {first cell: [the other cells, as floats where they parse]}."""
    tables, current = [], None
    for line in stdout.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if current is None:
            current = {}
            tables.append(current)
        elif not set(cells[0]) <= {"-"}:
            current[cells[0]] = [_num(c) for c in cells[1:]]
    return tables


def _num(cell: str):
    try:
        return float(cell)
    except ValueError:
        return cell


def _table(runs, script: str) -> list[dict]:
    done, _ = runs
    r = done[script]
    assert r.returncode == 0, r.stderr[-3000:]
    return _tables(r.stdout)


def test_02_five_gradients_and_three_hessians(runs):
    grads, hessians = _table(runs, SCRIPTS[0])
    assert len(grads) == 5 and len(hessians) == 3
    for row in grads.values():
        assert row == [10.0, 10.0]
    for row in hessians.values():
        assert row == [5.0, 0.0, 0.0, 5.0]


def test_03_polynomial_fit_same_coefficients(runs):
    (fit,) = _table(runs, SCRIPTS[1])
    imperative, functional = fit["imperative (tensorish)"], fit["functional (jax + optax)"]
    np.testing.assert_allclose(imperative[:5], functional[:5], rtol=1e-4, atol=1e-6)
    assert abs(imperative[1]) > 0.1


def test_04_mlp_loss_curves_agree_and_plot_saved(runs):
    (curves,) = _table(runs, SCRIPTS[2])
    assert len(curves) == 4
    ref = curves["(a) tensorish eager"]
    assert ref[2] < ref[0]
    for row in curves.values():
        np.testing.assert_allclose(row[:3], ref[:3], rtol=1e-5)
        assert row[3] < 1e-5 and row[5] > 0
    png = runs[1] / "mlp_loss_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_05_compile_same_losses(runs):
    (speed,) = _table(runs, SCRIPTS[3])
    eager, compiled = speed["eager"], speed["tensorish.compile"]
    np.testing.assert_allclose(compiled[:2], eager[:2], rtol=1e-5)
    assert compiled[2] < 1e-5 and eager[1] < eager[0]
    assert compiled[4] > 0 and eager[4] > 0


def test_06_data_parallel_matches_one_device(runs):
    done, _ = runs
    assert "placements (Shard(dim=0),), 8 shards of (32, 32)" in done[SCRIPTS[4]].stdout
    (dp,) = _table(runs, SCRIPTS[4])
    one, eight = dp["one device"], dp["data parallel"]
    assert one[0] == 1 and eight[0] == 8
    np.testing.assert_allclose(eight[1:3], one[1:3], rtol=1e-5)
    assert eight[3] < 1e-5 and one[2] < one[1]


def test_missing_optional_package_says_how_to_install(tmp_path):
    blocker = tmp_path / "optax.py"
    blocker.write_text("raise ImportError('blocked for the test')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / SCRIPTS[1])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert r.returncode == 1
    assert "needs optax: pip install -e '.[examples]'" in r.stderr
    assert "Traceback" not in r.stderr

"""Every docstring example of the package runs: one case per module, so a failure names it.

An example must leave the switches it touches as it found them (the rest of the suite runs in
the same process); the check below restores them either way, so one leak fails one case only.
An example that needs several processes, a device or the network is skipped in its docstring
(``# doctest: +SKIP`` with the reason beside it)."""

import doctest
import importlib
import pkgutil

import jax
import pytest

import tensorish
from tensorish import distributed as dist
from tensorish._mode import mode

MODULES = ["tensorish"] + [m.name for m in pkgutil.walk_packages(tensorish.__path__, "tensorish.")]


def _switches() -> dict:
    return {
        "default dtype": tensorish.get_default_dtype(),
        "default device": tensorish.get_default_device(),
        "grad enabled": tensorish.is_grad_enabled(),
        "inference mode": mode.inference,
        "anomaly": (mode.anomaly, mode.check_nan),
        "deferred values": mode.defer,
        "deterministic": tensorish.are_deterministic_algorithms_enabled(),
        "matmul precision": tensorish.get_float32_matmul_precision(),
        "process group": dist.is_initialized(),
    }


@pytest.fixture
def unchanged_switches():
    before, precision = _switches(), jax.config.jax_default_matmul_precision
    yield
    after = _switches()
    tensorish.set_default_dtype(before["default dtype"])
    tensorish.set_default_device(before["default device"])
    tensorish.set_grad_enabled(before["grad enabled"])
    mode.inference = before["inference mode"]
    mode.anomaly, mode.check_nan = before["anomaly"]
    mode.defer = before["deferred values"]
    tensorish.use_deterministic_algorithms(before["deterministic"])
    jax.config.update("jax_default_matmul_precision", precision)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, f"the examples changed these switches (before, after): {changed}"


@pytest.mark.parametrize("name", MODULES)
def test_examples(name, unchanged_switches):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner()
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)

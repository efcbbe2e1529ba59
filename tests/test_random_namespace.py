"""torch.random: fork_rng restores the generators, thread_safe_generator, the re-exports."""

from __future__ import annotations

import pytest
import torch

import tensorish
from tests.oracle import assert_same_error


@pytest.mark.parametrize("enabled", [True, False])
def test_fork_rng_restores_the_default_generator(enabled):
    def run(lib):
        lib.manual_seed(3)
        with lib.random.fork_rng(enabled=enabled, devices=[]):
            inside = lib.rand(4).tolist()
        return inside == lib.rand(4).tolist()

    assert run(tensorish) == run(torch) == enabled


def test_fork_rng_restores_after_an_exception():
    def run(lib):
        lib.manual_seed(5)
        state = lib.random.get_rng_state()
        with pytest.raises(ZeroDivisionError), lib.random.fork_rng():
            lib.rand(3)
            raise ZeroDivisionError
        return bool((lib.random.get_rng_state() == state).all())

    assert run(tensorish) and run(torch)


def test_fork_rng_bad_device_type():
    def run(lib):
        with lib.random.fork_rng(device_type="xyz"):
            pass

    assert_same_error(run)


def test_names_and_thread_safe_generator():
    names = {n for n in dir(torch.random) if not n.startswith("_")}
    names -= {"TYPE_CHECKING", "contextlib", "torch", "warnings"}
    assert names <= set(dir(tensorish.random))
    assert tensorish.random.thread_safe_generator() is torch.random.thread_safe_generator() is None
    assert tensorish.random.default_generator is tensorish.default_generator
    assert tensorish.cuda.get_rng_state_all() == torch.cuda.get_rng_state_all() == []

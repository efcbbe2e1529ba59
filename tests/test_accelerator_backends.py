"""tensorish.accelerator, tensorish.backends and the process-wide switches against torch.

On a machine without an accelerator tensorish must answer as torch (CPU build) does; with one,
the answers follow JAX's devices. The float32 matmul precision must be JAX's default matmul
precision.
"""

from __future__ import annotations

import warnings

import jax
import pytest
import torch
from oracle import assert_same_error

import tensorish

no_accelerator = pytest.mark.skipif(
    jax.default_backend() != "cpu", reason="torch's CPU answers hold only without an accelerator"
)


@pytest.fixture
def restore_switches():
    precision = jax.config.jax_default_matmul_precision
    yield
    jax.config.update("jax_default_matmul_precision", precision)
    torch.set_float32_matmul_precision("highest")
    for m in (torch, tensorish):
        m.use_deterministic_algorithms(False)


def answers(m):
    acc = m.accelerator
    return [
        acc.is_available(),
        acc.current_accelerator(),
        acc.current_accelerator(check_available=True),
        acc.device_count(),
        acc.set_device_index(-1),
        m.cuda.is_bf16_supported(),
        m.cuda.is_bf16_supported(including_emulation=False),
        m.backends.cudnn.is_available(),
        m.backends.cudnn.version(),
        m.backends.cudnn.enabled,
        m.backends.cudnn.benchmark,
        m.backends.cudnn.deterministic,
        m.backends.cudnn.allow_tf32,
        m.backends.cuda.is_built(),
        m.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
        m.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
        m.backends.mps.is_available(),
        m.backends.mps.is_built(),
        m.backends.cpu.get_cpu_capability(),
        m.get_float32_matmul_precision(),
        m.are_deterministic_algorithms_enabled(),
    ]


@no_accelerator
def test_cpu_machine_answers_equal_torch():
    assert answers(tensorish) == answers(torch)


@no_accelerator
@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.accelerator.current_device_index(),
        lambda m: m.accelerator.synchronize(),
        lambda m: m.accelerator.synchronize(0),
        lambda m: m.accelerator.synchronize("cpu"),
        lambda m: m.accelerator.set_device_index(0),
        lambda m: m.accelerator.set_device_index("cpu"),
        lambda m: m.accelerator.set_device_index("cuda:0"),
    ],
)
def test_cpu_machine_accelerator_errors(fn):
    assert_same_error(fn)


@pytest.mark.skipif(jax.default_backend() == "cpu", reason="needs an accelerator")
def test_accelerator_follows_jax():
    acc = tensorish.accelerator.current_accelerator()
    kind = {"gpu": "cuda", "tpu": "tpu"}[jax.default_backend()]
    assert acc == tensorish.device(kind) and tensorish.accelerator.is_available()
    assert tensorish.accelerator.device_count() == len(jax.devices())
    tensorish.accelerator.set_device_index(0)
    assert tensorish.accelerator.current_device_index() == 0
    tensorish.accelerator.synchronize()
    with pytest.raises(ValueError, match="doesn't match the current accelerator"):
        tensorish.accelerator.set_device_index("cpu")


@pytest.mark.parametrize(
    ("precision", "jax_name"),
    [("high", "tensorfloat32"), ("medium", "bfloat16"), ("highest", "float32")],
)
def test_matmul_precision_is_jax_default_precision(restore_switches, precision, jax_name):
    for m in (torch, tensorish):
        m.set_float32_matmul_precision(precision)
    assert jax.config.jax_default_matmul_precision == jax_name
    assert tensorish.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    allow = tensorish.backends.cuda.matmul.allow_tf32
    assert allow == torch.backends.cuda.matmul.allow_tf32
    with jax.default_matmul_precision("float32"):
        assert tensorish.get_float32_matmul_precision() == "highest"


def test_allow_tf32_sets_precision(restore_switches):
    for flag, jax_name in ((True, "tensorfloat32"), (False, "float32")):
        for m in (torch, tensorish):
            m.backends.cuda.matmul.allow_tf32 = flag
        assert jax.config.jax_default_matmul_precision == jax_name
        assert tensorish.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    tensorish.backends.cudnn.benchmark = True
    assert tensorish.backends.cudnn.benchmark is True
    tensorish.backends.cudnn.benchmark = False


def test_matmul_precision_bad_values(restore_switches):
    assert_same_error(lambda m: m.set_float32_matmul_precision(3))
    assert_same_error(lambda m: m.backends.cuda.matmul.foo)

    def set_unknown(m):
        m.backends.cuda.matmul.foo = 1

    assert_same_error(set_unknown)
    messages = []
    for m in (torch, tensorish):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.set_float32_matmul_precision("low")
        # torch's C++ warnings end with where they were raised: " (Triggered internally at ...)"
        messages.append([(w.category, str(w.message).split(" (Triggered")[0]) for w in caught])
        assert m.get_float32_matmul_precision() == "highest"
    assert messages[0] == messages[1] and messages[0]


def test_deterministic_switches(restore_switches):
    def states(m):
        out = []
        for mode, warn_only in ((True, False), (True, True), (False, False)):
            m.use_deterministic_algorithms(mode, warn_only=warn_only)
            out.append(
                (
                    m.are_deterministic_algorithms_enabled(),
                    m.is_deterministic_algorithms_warn_only_enabled(),
                    m.get_deterministic_debug_mode(),
                    m.backends.cudnn.deterministic,
                )
            )
        for mode in ("warn", 2, "default", 1, 0):
            m.set_deterministic_debug_mode(mode)
            out.append((m.get_deterministic_debug_mode(), m.are_deterministic_algorithms_enabled()))
        return out

    assert states(tensorish) == states(torch)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.use_deterministic_algorithms("x"),
        lambda m: m.use_deterministic_algorithms(True, warn_only=1),
        lambda m: m.set_deterministic_debug_mode("bad"),
        lambda m: m.set_deterministic_debug_mode(5),
        lambda m: m.set_deterministic_debug_mode(1.0),
    ],
)
def test_deterministic_errors(restore_switches, fn):
    assert_same_error(fn)

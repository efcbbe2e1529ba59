"""Test-session setup. ``TENSORISH_TEST_DEVICE=cuda pytest`` runs the suite with tensorish
tensors created on that device (torch, the oracle, stays on the CPU); float32 matmuls then use
full precision, so results compare with the CPU oracle at the same tolerances."""

import os

import jax

import tensorish

_DEVICE = os.environ.get("TENSORISH_TEST_DEVICE")
if _DEVICE:
    jax.config.update("jax_default_matmul_precision", "highest")
    tensorish.set_default_device(_DEVICE)

"""Test-session setup. ``TENSORISH_TEST_DEVICE=cuda pytest`` runs the suite with tensorish
tensors created on that device (torch, the oracle, stays on the CPU); float32 matmuls then use
full precision, so results compare with the CPU oracle at the same tolerances.

The session's compiled programs go to a persistent compilation cache of its own (an empty
temporary directory, inherited by the processes tests start), never the user's: what a run
compiles and what it loads does not depend on earlier runs."""

import atexit
import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="tensorish-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
os.environ["TENSORISH_CACHE_DIR"] = _CACHE
os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)

import jax  # noqa: E402

import tensorish  # noqa: E402

_DEVICE = os.environ.get("TENSORISH_TEST_DEVICE")
if _DEVICE:
    jax.config.update("jax_default_matmul_precision", "highest")
    tensorish.set_default_device(_DEVICE)

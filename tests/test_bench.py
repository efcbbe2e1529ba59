"""The benchmark keeps working, and its JAX floor computes what the GPT it stands in for computes.

Speed itself is measured by ``python bench/run.py`` (bench/RESULTS.md), never by tests.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_suite_smoke(tmp_path):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = out.stdout
    assert report == (tmp_path / "RESULTS.md").read_text()
    result = json.loads((tmp_path / "results.json").read_text())
    bench = importlib.import_module("bench.run")
    for workload, variants in bench.VARIANTS.items():
        phases = ("/cold", "/warm") if workload == "gpt" else ("",)
        for lib, mode in variants:
            for phase in phases:
                s = result["summary"][workload][f"{lib}/{mode}{phase}"]
                assert s["runs"] == 1 and not s["errors"], (workload, lib, mode, phase, s)
    # every target was measured, and every row of the report is there with a number
    assert len(result["targets"]) == len(bench.TARGETS) + 1
    for label, value, _, unit, met in result["targets"]:
        assert isinstance(value, float | int) and met in (True, False), label
        assert f"| {label} | {f'{bench.num(value)} {unit}'.strip()} |" in report, label
    for title in bench.TITLE.values():
        row = next(line for line in report.splitlines() if line.startswith(f"| {title} |"))
        assert "| - |" not in row, row
    for heading in ("## Small GPT", "## A new input shape", "## `GPT.generate()`", "## Resident"):
        assert heading in report, heading
    for lib in ("torch eager", "tensorish eager", "jax.jit (hand-written)"):
        for phase in ("cold", "warm"):
            assert f"| {lib} | {phase} | " in report, (lib, phase)


@pytest.fixture
def gpt_modules(monkeypatch):
    """bench/gpt.py (under real torch) and bench/gpt_jax.py, imported as the worker does."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("gpt"), importlib.import_module("gpt_jax")


def jax_params(model) -> dict:
    """The torch GPT's parameters in bench/gpt_jax.py's layout."""
    sd = {k: jnp.asarray(v.detach().numpy()) for k, v in model.state_dict().items()}
    ln = lambda name: {"w": sd[name + ".weight"], "b": sd[name + ".bias"]}  # noqa: E731
    names = {"attn": "attn.c_attn", "attn_proj": "attn.c_proj", "fc": "mlp.c_fc"}
    names["mlp_proj"] = "mlp.c_proj"
    blocks = []
    for i in range(model.config.n_layer):
        block = {"ln_1": ln(f"transformer.h.{i}.ln_1"), "ln_2": ln(f"transformer.h.{i}.ln_2")}
        for ours, theirs in names.items():
            block[ours + "_w"] = sd[f"transformer.h.{i}.{theirs}.weight"]
            block[ours + "_b"] = sd[f"transformer.h.{i}.{theirs}.bias"]
        blocks.append(block)
    return {
        "wte": sd["transformer.wte.weight"],
        "wpe": sd["transformer.wpe.weight"],
        "h": blocks,
        "ln_f": ln("transformer.ln_f"),
    }


def test_jax_gpt_floor_is_the_same_training_step(gpt_modules):
    gpt, gpt_jax = gpt_modules
    config = gpt.GPTConfig()
    torch.manual_seed(0)
    model = gpt.GPT(config)
    optimizer = model.configure_optimizers(**gpt.OPTIM)
    params = jax_params(model)
    opt_state = gpt_jax.init_opt_state(params)
    clip = 0.05  # small enough that clip_grad_norm_ scales every step
    step = gpt_jax.make_step(config, **gpt.OPTIM, clip=clip)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.integers(0, config.vocab_size, (8, config.block_size))
        y = rng.integers(0, config.vocab_size, (8, config.block_size))
        loss = gpt.train_step(model, optimizer, torch.from_numpy(x), torch.from_numpy(y), clip)
        params, opt_state, jax_loss = step(
            params, opt_state, x.astype(np.int32), y.astype(np.int32)
        )
        np.testing.assert_allclose(float(jax_loss), loss.item(), rtol=1e-5)
    for theirs, mine in zip(jax.tree.leaves(jax_params(model)), jax.tree.leaves(params)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-4, atol=1e-5)

"""The persistent compilation cache (tensorish/_cache.py), the in-memory LRU, and an import
that starts nothing: each process case runs in a fresh interpreter, as a user's program would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import torch
from oracle import assert_same

import tensorish
from tensorish._cache import LRU, default_cache_dir

ROOT = Path(__file__).resolve().parents[1]

# What a fresh process saw: JAX's cache directory and minimum compile time after the import,
# whether importing and seeding started a backend, how many programs came from the disk cache.
_PROBE = """
import json, sys
from jax import monitoring
hits = []
monitoring.register_event_listener(
    lambda name, **kw: hits.append(1) if name == "/jax/compilation_cache/cache_hits" else None
)
import jax
if len(sys.argv) > 1:
    jax.config.update("jax_compilation_cache_dir", sys.argv[1])
import tensorish
from jax._src import xla_bridge
tensorish.manual_seed(0)
started = bool(xla_bridge._backends)
x = tensorish.ones(3, requires_grad=True)
(x.tanh() * 3).sum().backward()
print(json.dumps({
    "dir": jax.config.jax_compilation_cache_dir,
    "min_s": jax.config.jax_persistent_cache_min_compile_time_secs,
    "started": started,
    "hits": len(hits),
    "grad": x.grad.tolist(),
}))
"""


def _probe(tmp: Path, env: dict, *args: str) -> dict:
    """Run the probe in a fresh process with ``env`` (over a home and XDG dir in ``tmp``)."""
    base = {k: v for k, v in os.environ.items() if k not in ("TENSORISH_CACHE_DIR",)}
    base.update({"HOME": str(tmp / "home"), "XDG_CACHE_HOME": "", **env})
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=base,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def _entries(path: Path) -> int:
    return sum(1 for p in path.rglob("*-cache") if p.is_file())


def test_on_by_default_per_user_and_a_second_run_loads_what_the_first_compiled(tmp_path):
    first = _probe(tmp_path, {})
    where = tmp_path / "home" / ".cache" / "tensorish" / "jax"
    assert first["dir"] == str(where) and first["min_s"] == 0.0
    assert not first["started"]  # importing and seeding start no JAX backend
    assert _entries(where) > 0 and first["hits"] == 0
    second = _probe(tmp_path, {})
    assert second["hits"] > 0 and second["grad"] == first["grad"]
    t = torch.ones(3, requires_grad=True)
    (t.tanh() * 3).sum().backward()
    assert_same(tensorish.tensor(second["grad"]), t.grad, "grad")


def test_xdg_env_variable_and_disabling(tmp_path, monkeypatch):
    monkeypatch.delenv("TENSORISH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == str(tmp_path / "xdg" / "tensorish" / "jax")
    monkeypatch.setenv("TENSORISH_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == str(tmp_path / "mine")
    for off in ("", "0"):
        monkeypatch.setenv("TENSORISH_CACHE_DIR", off)
        assert default_cache_dir() is None


def test_a_directory_the_user_gave_jax_is_kept(tmp_path):
    by_env = _probe(tmp_path, {"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "env")})
    assert by_env["dir"] == str(tmp_path / "env") and by_env["min_s"] == 1.0
    by_config = _probe(tmp_path, {}, str(tmp_path / "config"))
    assert by_config["dir"] == str(tmp_path / "config")


def test_set_compilation_cache_dir_moves_and_disables(tmp_path):
    before = jax.config.jax_compilation_cache_dir
    try:
        tensorish.set_compilation_cache_dir(tmp_path / "moved")
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "moved")
        x = tensorish.ones(7, requires_grad=True)
        (x.sinh() * 5).sum().backward()  # a program this session has not compiled yet
        assert _entries(tmp_path / "moved") > 0
        tensorish.set_compilation_cache_dir(None)
        assert jax.config.jax_compilation_cache_dir is None
    finally:
        tensorish.set_compilation_cache_dir(before)


def test_lru_keeps_the_most_recently_used():
    c = LRU(3)
    for k in "abc":
        c[k] = k.upper()
    assert c.get("a") == "A" and c.get("z") is None
    c["d"] = "D"  # evicts b: a was used after it
    assert sorted(c) == ["a", "c", "d"]
    c["c"] = "C2"  # replacing an entry evicts nothing
    assert len(c) == 3 and c.get("c") == "C2"

"""tensorish.distributed across real processes, started by ``python -m tensorish.distributed.run``
(2 or 4 local processes of 1 or 2 simulated CPU devices) and by ``tensorish.multiprocessing``.
The workers are tests/dist_jobs.py; each job combines several checks, because a process start
(``import tensorish``) is the expensive part. The launcher itself is compared with torchrun."""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
from dist_jobs import _fsdp_model, load_checkpoint, write_references

import tensorish.distributed as dist
from tensorish.distributed import run as launcher_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISE = re.compile(r"^(W|I)\d{4} |^\[Gloo\]")  # JAX's and gloo's log lines


def _env(devices: int) -> dict:
    return dict(
        os.environ,
        PYTHONPATH=ROOT,
        JAX_PLATFORMS="cpu",
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
    )


def launch(
    nproc: int, *job: str, devices: int = 1, module: bool = False
) -> subprocess.CompletedProcess:
    """``python -m tensorish.distributed.run --nproc-per-node nproc tests/dist_jobs.py job``.
    Without ``module`` the launcher runs as a file (``python .../run.py``), the same code
    without ``import tensorish`` in the launcher process (2-3 s)."""
    launcher = ["-m", "tensorish.distributed.run"] if module else [launcher_module.__file__]
    cmd = [sys.executable, *launcher, f"--nproc-per-node={nproc}"]
    cmd += [os.path.join(ROOT, "tests", "dist_jobs.py"), *job]
    env = _env(devices)
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    r.stderr = "\n".join(line for line in r.stderr.splitlines() if not NOISE.match(line))
    return r


def _oks(r: subprocess.CompletedProcess, job: str, n: int) -> None:
    # Anywhere in a line: gloo's C++ log lines share the workers' stdout.
    found = sorted(re.findall(rf"{job} OK rank (\d+)", r.stdout))
    assert found == [str(k) for k in range(n)], r.stdout[-3000:] + r.stderr[-6000:]


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """A directory with the one-process trainings the jobs compare with."""
    directory = str(tmp_path_factory.mktemp("dist"))
    write_references(directory)
    return directory


def test_collectives_ddp_compiled_ddp_and_a_killed_rank(references):
    """2 processes: every collective equals its definition; DDP eager and compiled (one program
    with the all-reduce) equal one process on the full batch over 10 steps; then rank 1 is
    killed and the launcher ends the job, naming it."""
    start = time.monotonic()
    r = launch(2, "collectives_ddp", references, module=True)
    _oks(r, "collectives_ddp", 2)
    assert r.returncode == 1, r.stderr[-3000:]
    root_cause = r.stderr.split("Root Cause (first observed failure):")[1]
    assert "rank      : 1 (local_rank: 1)" in root_cause, r.stderr[-3000:]
    assert "exitcode  : -9" in root_cause and "(SIGKILL)" in root_cause
    assert "failed (exitcode: -9) local_rank: 1" in r.stderr
    assert time.monotonic() - start < 120  # rank 0 did not hang in its all_reduce


@pytest.fixture(scope="module")
def checkpoint(references):
    """4 processes train with fully_shard and save a sharded checkpoint (with the expected full
    values beside it)."""
    return references, launch(4, "fsdp_save", references)


def test_fully_shard_on_4_processes_equals_one_process(checkpoint):
    directory, r = checkpoint
    assert r.returncode == 0, r.stderr[-5000:]
    _oks(r, "fully_shard", 4)
    _oks(r, "fsdp_save", 4)
    files = sorted(os.listdir(f"{directory}/ckpt"))
    assert files == [".metadata"] + [f"__{k}_0.distcp" for k in range(4)]


def test_checkpoint_of_4_processes_loads_into_2_and_dtensors_span_them(checkpoint):
    directory, saved = checkpoint
    assert saved.returncode == 0
    r = launch(2, "load_dtensor", directory, devices=2)
    assert r.returncode == 0, r.stderr[-5000:]
    _oks(r, "load_2", 2)
    _oks(r, "dtensor", 2)


def test_checkpoint_of_4_processes_loads_into_1(checkpoint):
    directory, saved = checkpoint
    assert saved.returncode == 0 and not dist.is_initialized()
    load_checkpoint(directory, _fsdp_model())


def test_a_rank_that_never_joins_ends_the_job_within_the_timeout():
    start = time.monotonic()
    r = launch(2, "never_joins")
    assert r.returncode == 1
    assert re.search(
        r"tensorish.distributed.DistStoreError: Timed out after 3 seconds waiting for the job's "
        r"2 processes to join at 127.0.0.1:\d+ \(this is rank 0\)",
        r.stderr,
    ), r.stderr[-3000:]
    assert "rank      : 0 (local_rank: 0)" in r.stderr.split("Root Cause")[1]
    assert time.monotonic() - start < 90


def test_multiprocessing_spawn_runs_workers_and_reports_a_failure():
    cmd = [sys.executable, os.path.join(ROOT, "tests", "dist_jobs.py"), "spawn"]
    r = subprocess.run(cmd, cwd=ROOT, env=_env(1), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "spawned OK rank 0" in r.stdout and "spawned OK rank 1" in r.stdout
    assert "spawn OK" in r.stdout


ENV_KEYS = [
    "RANK",
    "LOCAL_RANK",
    "WORLD_SIZE",
    "LOCAL_WORLD_SIZE",
    "GROUP_RANK",
    "ROLE_RANK",
    "ROLE_NAME",
    "ROLE_WORLD_SIZE",
    "GROUP_WORLD_SIZE",
    "MASTER_ADDR",
    "MASTER_PORT",
    "TORCHELASTIC_RESTART_COUNT",
    "TORCHELASTIC_MAX_RESTARTS",
    "TORCHELASTIC_RUN_ID",
    "OMP_NUM_THREADS",
]


def _summary(stderr: str) -> str:
    """The failure summary with times, pids and the host masked."""
    block = stderr[stderr.index("=" * 20) :]
    block = re.sub(r"time      : \S+", "time      : T", block)
    block = re.sub(r"host      : \S+", "host      : H", block)
    block = re.sub(r"pid:? ?\d+", "pid N", block)
    block = re.sub(r"PID \d+", "PID N", block)
    return re.sub(r"^[=-]+$", "BAR", block, flags=re.M).strip()


def test_launcher_environment_and_failure_summary_as_torchrun(tmp_path):
    """The same script under torchrun and under tensorish's launcher: the workers see the same
    variables, and a failed worker gives the same exit status and summary."""
    script = tmp_path / "worker.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, sys, time
        sys.stdout.write(json.dumps({{k: os.environ.get(k) for k in {ENV_KEYS!r}}}) + "\\n")
        sys.stdout.flush()
        if os.environ["RANK"] == "1":
            time.sleep(2)  # rank 0 is sleeping when the launcher ends it
            sys.exit(3)
        time.sleep(60)
        """)
    )
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    runs = []
    for launcher in ("torch.distributed.run", "tensorish.distributed.run"):
        cmd = [sys.executable, "-m", launcher, "--nproc-per-node=2", "--rdzv-id=job", str(script)]
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        seen = sorted(
            (json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")),
            key=lambda e: e["RANK"],
        )
        for e in seen:  # the same everywhere, chosen afresh each run
            e["MASTER_PORT"] = e["MASTER_PORT"].isdigit()
            e["TORCHELASTIC_RUN_ID"] = len(e["TORCHELASTIC_RUN_ID"])
            e["MASTER_ADDR"] = None  # torchrun: localhost; tensorish: 127.0.0.1
        runs.append((r.returncode, seen, _summary(r.stderr)))
    assert runs[0][0] == runs[1][0] == 1
    assert [e["RANK"] for e in runs[0][1]] == ["0", "1"]
    assert runs[1][1] == runs[0][1]
    assert "exitcode  : 3" in runs[0][2]
    assert runs[1][2] == runs[0][2], (runs[1][2], runs[0][2])


def test_readme_launch_command_and_script(tmp_path):
    """The README's "Compile and scale out" shows the launch command; its train.py, launched on
    2 processes, gives the loss it gives alone (DDP on halves of the batch)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        section = f.read().split("## Compile and scale out")[1].split("\n## ")[0]
    assert "python -m tensorish.distributed.run --nproc-per-node 2 train.py" in section
    (script,) = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "train.py" in b]
    alone = io.StringIO()
    with contextlib.redirect_stdout(alone):
        exec(compile(script, "train.py", "exec"), {})
    assert not dist.is_initialized()
    (tmp_path / "train.py").write_text(script)
    cmd = [sys.executable, launcher_module.__file__, "--nproc-per-node=2", "train.py"]
    r = subprocess.run(cmd, cwd=tmp_path, env=_env(1), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    loss = alone.getvalue().split("rank 0/1: loss ")[1].strip()
    assert sorted(re.findall(r"rank \d/2: loss [\d.]+", r.stdout)) == [
        f"rank 0/2: loss {loss}",
        f"rank 1/2: loss {loss}",
    ]

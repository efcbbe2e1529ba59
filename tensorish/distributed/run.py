"""``python -m tensorish.distributed.run``: torchrun's launcher for tensorish jobs.

    python -m tensorish.distributed.run --nproc-per-node 4 train.py --epochs 3

starts ``--nproc-per-node`` fresh Python processes on this node running ``train.py`` with
torchrun's variables (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``, ``GROUP_RANK``, ...), which ``init_process_group()`` reads. The
workers' output goes straight to this terminal. When a worker fails, the others are ended and the
launcher exits with status 1 and names the failed rank, as torchrun does (after
``--max-restarts`` restarts of the whole group). Many nodes: run it on each with ``--nnodes``,
``--node-rank``, ``--master-addr`` and ``--master-port``; the rendezvous is static (no elastic
membership).
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

_OMP_BANNER = (
    "*****************************************\n"
    "Setting OMP_NUM_THREADS environment variable for each process to be 1 in default, to "
    "avoid your system being overloaded, please further tune the variable for optimal "
    "performance in your application as needed. \n"
    "*****************************************"
)
_SHUTDOWN_SECONDS = 30


def get_args_parser() -> argparse.ArgumentParser:
    """torchrun's command line (options may be spelt with ``-`` or ``_``).

    >>> args = get_args_parser().parse_args(["--nproc-per-node", "2", "train.py", "--lr", "1"])
    >>> args.nproc_per_node, args.training_script, args.training_script_args
    ('2', 'train.py', ['--lr', '1'])
    """
    p = argparse.ArgumentParser(
        prog="python -m tensorish.distributed.run",
        description="tensorish's launcher for multi-process jobs (torchrun's options)",
    )

    def opt(name: str, **kw: Any) -> None:
        p.add_argument(f"--{name}", f"--{name.replace('-', '_')}", **kw)

    opt("nnodes", default="1", help="number of nodes (or MIN:MAX with MIN == MAX)")
    opt("nproc-per-node", default="1", help="workers per node: an int, auto, cpu or gpu")
    opt("node-rank", type=int, default=0, help="this node's rank (multi-node)")
    opt("master-addr", default="127.0.0.1", help="rank 0's host")
    opt("master-port", type=int, default=None, help="rank 0's port (default: a free one)")
    opt("standalone", action="store_true", help="one node, coordinator on a free local port")
    opt("max-restarts", type=int, default=0, help="restarts of the worker group on failure")
    opt("monitor-interval", type=float, default=0.1, help="seconds between worker checks")
    opt("rdzv-backend", default="static", help="accepted; the rendezvous is static")
    opt("rdzv-endpoint", default="", help="HOST:PORT of rank 0 (as --master-addr/--master-port)")
    opt("rdzv-id", default="none", help="accepted, unused (the rendezvous is static)")
    opt("rdzv-conf", default="", help="accepted, unused")
    opt(
        "start-method",
        default="spawn",
        choices=["spawn", "fork", "forkserver"],
        help="accepted: workers are always fresh interpreters",
    )
    opt("role", default="default", help="the workers' role name")
    opt("local-ranks-filter", default="", help="show only these local ranks' output (0,2,...)")
    opt("log-dir", default=None, help="accepted, unused: output goes to this terminal")
    p.add_argument("-r", "--redirects", default="0", help="accepted, unused")
    p.add_argument("-t", "--tee", default="0", help="accepted, unused")
    p.add_argument("-m", "--module", action="store_true", help="run training_script as a module")
    opt("no-python", action="store_true", help="run training_script as an executable")
    opt("run-path", action="store_true", help="run training_script with runpy.run_path")
    p.add_argument("training_script", help="the script (or module) each worker runs")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _nproc(spec: str) -> int:
    if spec.isdigit():
        return int(spec)
    if spec not in ("auto", "cpu", "gpu"):
        raise ValueError(f"Unsupported nproc_per_node value: {spec}")
    gpus = 0
    if spec != "cpu":
        import jax

        try:
            gpus = len(jax.devices("gpu"))
        except RuntimeError:
            gpus = 0
        if spec == "gpu" and not gpus:
            raise ValueError("Cuda is not available.")
    return gpus or os.cpu_count() or 1


def _nnodes(spec: str) -> int:
    low, _, high = spec.partition(":")
    if high and high != low:
        raise ValueError(
            f"--nnodes={spec}: elastic node ranges are not supported (the rendezvous is static)"
        )
    return int(low)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class _Worker:
    def __init__(self, local_rank: int, rank: int, proc: subprocess.Popen) -> None:
        self.local_rank, self.rank, self.proc = local_rank, rank, proc
        self.code: int | None = None
        self.ended = ""

    def describe(self, host: str) -> str:
        code, pid = self.code, self.proc.pid
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            head = f"{code} (pid: {pid})  ({name})"
            tail = f"Signal {-code} ({name}) received by PID {pid}"
        else:
            head = f"{code} (pid: {pid}) "
            tail = "To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html"
        return (
            f"  time      : {self.ended}\n  host      : {host}\n"
            f"  rank      : {self.rank} (local_rank: {self.local_rank})\n"
            f"  exitcode  : {head}\n  error_file: <N/A>\n  traceback : {tail}"
        )


class _Launcher:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.nnodes = 1 if args.standalone else _nnodes(args.nnodes)
        self.nproc = _nproc(str(args.nproc_per_node))
        self.node_rank = 0 if args.standalone else args.node_rank
        addr, port = args.master_addr, args.master_port
        if args.rdzv_endpoint and not args.standalone:
            host, _, p = args.rdzv_endpoint.rpartition(":")
            addr, port = host or addr, int(p) if p else port
        if args.standalone:
            addr, port = "127.0.0.1", None
        if port is None:
            port = _free_port() if self.nnodes == 1 else 29500
        self.addr, self.port = addr, port
        self.run_id = str(uuid.uuid4())  # as torchrun's static rendezvous
        self.shown = {int(r) for r in args.local_ranks_filter.split(",") if r.strip()}
        self.workers: list[_Worker] = []

    def command(self) -> list[str]:
        a = self.args
        if a.no_python:
            return [a.training_script, *a.training_script_args]
        if a.module:
            return [sys.executable, "-u", "-m", a.training_script, *a.training_script_args]
        return [sys.executable, "-u", a.training_script, *a.training_script_args]

    def start(self, restart: int) -> None:
        world = self.nnodes * self.nproc
        base = dict(os.environ)
        if self.nproc > 1 and "OMP_NUM_THREADS" not in base:
            if restart == 0:
                print(_OMP_BANNER, file=sys.stderr, flush=True)
            base["OMP_NUM_THREADS"] = "1"
        self.workers = []
        for local in range(self.nproc):
            rank = self.node_rank * self.nproc + local
            env = dict(
                base,
                RANK=str(rank),
                LOCAL_RANK=str(local),
                WORLD_SIZE=str(world),
                LOCAL_WORLD_SIZE=str(self.nproc),
                GROUP_RANK=str(self.node_rank),
                GROUP_WORLD_SIZE=str(self.nnodes),
                ROLE_RANK=str(rank),
                ROLE_NAME=self.args.role,
                ROLE_WORLD_SIZE=str(world),
                MASTER_ADDR=self.addr,
                MASTER_PORT=str(self.port),
                TORCHELASTIC_RESTART_COUNT=str(restart),
                TORCHELASTIC_MAX_RESTARTS=str(self.args.max_restarts),
                TORCHELASTIC_RUN_ID=self.run_id,
            )
            quiet = self.shown and local not in self.shown
            out = subprocess.DEVNULL if quiet else None
            proc = subprocess.Popen(
                self.command(), env=env, stdout=out, stderr=out, start_new_session=True
            )
            self.workers.append(_Worker(local, rank, proc))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """End every running worker (its whole process group), SIGKILL after a grace period."""
        running = [w for w in self.workers if w.proc.poll() is None]
        for w in running:
            _signal(w.proc, sig)
        deadline = time.monotonic() + _SHUTDOWN_SECONDS
        for w in running:
            try:
                w.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(w.proc, signal.SIGKILL)
                w.proc.wait()
        for w in self.workers:
            if w.code is None:
                w.code, w.ended = w.proc.wait(), _now()
        for w in self.workers:  # grandchildren of workers that ended by themselves
            _signal(w.proc, signal.SIGKILL)

    def monitor(self) -> _Worker | None:
        """Wait for the workers; the first that failed (others ended then), or None."""
        while True:
            alive = False
            for w in self.workers:
                if w.code is not None:
                    continue
                code = w.proc.poll()
                if code is None:
                    alive = True
                    continue
                w.code, w.ended = code, _now()
                if code != 0:
                    print(
                        f"E{datetime.datetime.now():%m%d %H:%M:%S} tensorish.distributed.run: "
                        f"failed (exitcode: {code}) local_rank: {w.local_rank} (pid: "
                        f"{w.proc.pid}) of binary: {self.command()[0]}",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.stop()
                    return w
            if not alive:
                return None
            time.sleep(self.args.monitor_interval)

    def report(self, first: _Worker) -> None:
        """torchrun's failure summary: the root cause (the first failure) and the others."""
        host = socket.getfqdn()
        others = [w for w in self.workers if w is not first and w.code not in (0, None)]
        title = f"{self.args.training_script} FAILED"
        blocks = [f"[{i}]:\n{w.describe(host)}" for i, w in enumerate([first, *others])]
        width = min(60, max(len(line) for text in [title, *blocks] for line in text.split("\n")))
        lines = ["tensorish.distributed.run: ChildFailedError:", "=" * width, title, "-" * width]
        lines += ["Failures:", *(blocks[1:] or ["  <NO_OTHER_FAILURES>"]), "-" * width]
        lines += ["Root Cause (first observed failure):", blocks[0], "=" * width]
        print("\n".join(lines), file=sys.stderr, flush=True)


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _now() -> str:
    return f"{datetime.datetime.now():%Y-%m-%d_%H:%M:%S}"


def run(args: argparse.Namespace) -> int:
    """Run the job described by parsed ``args``; the launcher's exit status."""
    launcher = _Launcher(args)

    def forward(signum: int, frame: Any) -> None:
        launcher.stop(signal.SIGTERM)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for restart in range(args.max_restarts + 1):
        launcher.start(restart)
        failed = launcher.monitor()
        if failed is None:
            launcher.stop(signal.SIGKILL)
            return 0
        if restart < args.max_restarts:
            print(
                f"tensorish.distributed.run: worker group failed (rank {failed.rank}); "
                f"restarting ({restart + 1}/{args.max_restarts})",
                file=sys.stderr,
                flush=True,
            )
    launcher.report(failed)
    return 1


def main(args: list[str] | None = None) -> None:
    """The command line entry point: ``python -m tensorish.distributed.run ...``."""
    sys.exit(run(get_args_parser().parse_args(args)))


if __name__ == "__main__":
    main()

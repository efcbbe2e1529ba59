"""The benchmark driver: each library alone in its own process, with its default settings.

    python bench/run.py                 # full run: writes bench/RESULTS.md and bench/results.json
    python bench/run.py --quick         # a few minutes (the GPU check); prints the report
    python bench/run.py --smoke         # seconds: every row once (tests/test_bench.py)
    python bench/run.py --device cuda   # torch and tensorish on the GPU, the JAX floor too
    python bench/run.py --only gpt,shapes --out /tmp/b   # some workloads, files written there

One worker process (bench/worker.py) runs per (library, workload, repetition), the libraries
alternating within each repetition (torch, tensorish, tensorish.compile, jax, torch, ...) so that
a slow spell of the machine hits every side. Nothing sets a library's threads, OpenMP or XLA
flags. Every JAX process gets an empty persistent compilation cache directory of its own (cold);
the GPT's warm run is a second process given the directory its cold run left. Figures are medians
over repetitions (over every timed batch, for per-step times) with min and max; ratios are taken
between medians of the same run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.metadata
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"

STEP_WORKLOADS = ("tiny", "seed", "mlp", "cnn")
# in the order they run: the most telling first, should --budget cut a run short
WORKLOADS = ("gpt", "mlp", "cnn", "shapes", "generate", "tiny", "seed", "memory")
STEP_VARIANTS = (
    ("torch", "eager"),
    ("tensorish", "eager"),
    ("tensorish", "compiled"),
    ("jax", "jit"),
)
GPT_VARIANTS = (("torch", "eager"), ("tensorish", "eager"), ("jax", "jit"))
EAGER_VARIANTS = (("torch", "eager"), ("tensorish", "eager"))
VARIANTS = {
    **dict.fromkeys(STEP_WORKLOADS, STEP_VARIANTS),
    "gpt": GPT_VARIANTS,
    **dict.fromkeys(("shapes", "generate"), EAGER_VARIANTS),
    "memory": (("tensorish", "eager"),),
}
# Repetitions (worker processes per variant) by size; the new-shape and memory runs are long.
REPS = {
    "full": {"steps": 3, "gpt": 3, "generate": 3, "shapes": 1, "memory": 1},
    "quick": {"steps": 1, "gpt": 1, "generate": 1, "shapes": 1, "memory": 1},
    "smoke": {"steps": 1, "gpt": 1, "generate": 1, "shapes": 1, "memory": 1},
}
JOB_TIMEOUT_S = {"full": 900, "quick": 240, "smoke": 480}
STEADY_FROM = 50  # GPT iterations before this one are warm-up for the steady-state figure
LABEL = {
    ("torch", "eager"): "torch eager",
    ("tensorish", "eager"): "tensorish eager",
    ("tensorish", "compiled"): "tensorish.compile",
    ("jax", "jit"): "jax.jit (hand-written)",
}
TITLE = {
    "tiny": "tiny `(a*b+a).sum().backward()`, 2x2",
    "seed": "seed notebook step `(1/len(y))*sum(5*(x+1)**2)`, backward",
    "mlp": "MLP 784-256-10, batch 64, SGD step",
    "cnn": "CNN 2 conv + 2 fc, batch 32, 28x28, SGD step",
}


@dataclass
class Job:
    lib: str
    mode: str
    workloads: tuple[str, ...]
    phase: str  # "cold" or "warm": the state of the compilation cache directory
    rep: int
    cache: Path


def plan(size: str, workloads: tuple[str, ...], tmp: Path) -> list[Job]:
    """Every worker process of the run, in launch order."""
    jobs: list[Job] = []
    counter = iter(range(10**6))

    def fresh() -> Path:
        return tmp / f"cache{next(counter)}"

    if size == "smoke":  # one process per variant (and one warm GPT process), to stay fast
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for w in workloads:
            for variant in VARIANTS[w]:
                groups[variant].append(w)
        caches = {}
        for (lib, mode), ws in groups.items():
            caches[lib, mode] = fresh()
            jobs.append(Job(lib, mode, tuple(ws), "cold", 0, caches[lib, mode]))
        if "gpt" in workloads:
            jobs += [Job(lib, m, ("gpt",), "warm", 0, caches[lib, m]) for lib, m in GPT_VARIANTS]
        return jobs
    for w in workloads:
        for rep in range(REPS[size]["steps" if w in STEP_WORKLOADS else w]):
            if w == "gpt":
                caches = {variant: fresh() for variant in GPT_VARIANTS}
                for phase in ("cold", "warm"):
                    jobs += [Job(lib, m, (w,), phase, rep, caches[lib, m]) for lib, m in caches]
            else:
                jobs += [Job(lib, m, (w,), "cold", rep, fresh()) for lib, m in VARIANTS[w]]
    return jobs


def run_job(job: Job, size: str, device: str, timeout: float) -> list[dict]:
    """Launch one worker (unless ``timeout`` is spent): its results, and an error entry for
    each workload it did not report."""
    env = dict(os.environ, XDG_CACHE_HOME=str(job.cache / "xdg"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    cmd = [sys.executable, str(WORKER), job.lib, ",".join(job.workloads), "--size", size]
    cmd += ["--device", device, "--cache", str(job.cache / "jax")]
    if job.lib != "jax":
        cmd += ["--mode", job.mode]
    if timeout <= 0:
        stdout, error = "", "skipped: past the --budget"
    else:
        try:
            out = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT
            )
            stdout, error = out.stdout, out.stderr[-2000:] if out.returncode else None
        except subprocess.TimeoutExpired as e:
            stdout, error = e.stdout or "", f"timed out after {timeout:.0f} s"
            stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
    results = [json.loads(line[6:]) for line in stdout.splitlines() if line.startswith("BENCH ")]
    done = {r["workload"] for r in results}
    results += [
        {"lib": job.lib, "mode": job.mode, "workload": w, "error": error or "no result"}
        for w in job.workloads
        if w not in done
    ]
    for r in results:
        r.update(phase=job.phase, rep=job.rep)
    return results


def run_all(jobs: list[Job], size: str, device: str, budget: float | None) -> list[dict]:
    """Every job's results. One at a time, in order, except for the smoke run: its figures mean
    nothing, so it runs two processes at once (the warm GPT runs after the cold ones). Jobs
    that would start after ``budget`` seconds are skipped (an error entry each)."""
    count, start = itertools.count(1), time.perf_counter()

    def run(job: Job) -> list[dict]:
        t0 = time.perf_counter()
        timeout = JOB_TIMEOUT_S[size]
        if budget is not None:
            timeout = min(timeout, budget - (t0 - start))
        results = run_job(job, size, device, timeout)
        print(
            f"[{next(count)}/{len(jobs)}] {job.lib} {job.mode} {','.join(job.workloads)} "
            f"{job.phase} rep {job.rep}: {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        return results

    if size != "smoke":
        return [r for job in jobs for r in run(job)]
    runs = []
    for phase in ("cold", "warm"):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for results in pool.map(run, [j for j in jobs if j.phase == phase]):
                runs += results
    return runs


# -- statistics --------------------------------------------------------------------------------
def stat(values: list[float]) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(runs: list[dict]) -> dict:
    """Per workload and variant (and cache phase, for the GPT): the figures of the report."""
    by: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        by[r["workload"], r["lib"], r["mode"], r["phase"]].append(r)
    out: dict = defaultdict(dict)
    for (w, lib, mode, phase), rs in by.items():
        ok = [r for r in rs if "error" not in r]
        key = f"{lib}/{mode}" + (f"/{phase}" if w == "gpt" else "")
        s: dict = {"runs": len(ok), "errors": [r["error"] for r in rs if "error" in r]}
        if w in STEP_WORKLOADS:
            s["step_us"] = stat([x for r in ok for x in r["step_us"]])
            s["first_ms"] = stat([r["first_ms"] for r in ok])
            s["second_ms"] = stat([r["second_ms"] for r in ok])
        elif w == "gpt":
            s.update(gpt_figures(ok))
        elif w == "shapes":
            s["shape_ms"] = stat([statistics.median(r["shape_ms"]) for r in ok])
            s["shapes"] = stat([len(r["shape_ms"]) for r in ok])
            s["rss_growth_mb"] = stat([r["rss_growth_mb"] for r in ok])
            s["mb_per_shape"] = stat([r["rss_growth_mb"] / len(r["shape_ms"]) for r in ok])
            s["stopped"] = next((r["stopped"] for r in ok if r["stopped"]), None)
        elif w == "generate":
            s["first_ms_per_token"] = stat([r["first_ms_per_token"] for r in ok])
            s["again_ms_per_token"] = stat([r["again_ms_per_token"] for r in ok])
            s["tokens"] = ok[0]["tokens"] if ok else None
        else:
            s["rss_growth_mb"] = stat([r["rss_growth_mb"] for r in ok])
            s["step_us"] = stat([r["step_us"] for r in ok])
            s["steps"] = ok[0]["steps"] if ok else None
        out[w][key] = s
    return dict(out)


def gpt_figures(ok: list[dict]) -> dict:
    def steady(iters: list[float]) -> float:
        return statistics.median(iters[STEADY_FROM:] if len(iters) > 2 * STEADY_FROM else iters[2:])

    return {
        "iterations": len(ok[0]["iter_ms"]) if ok else None,
        "first_ms": stat([r["iter_ms"][0] for r in ok]),
        "second_ms": stat([r["iter_ms"][1] for r in ok]),
        "first_two_s": stat([(r["iter_ms"][0] + r["iter_ms"][1]) / 1e3 for r in ok]),
        "steady_ms": stat([steady(r["iter_ms"]) for r in ok]),
        "total_s": stat([sum(r["iter_ms"]) / 1e3 for r in ok]),
        "import_s": stat([r["import_s"] for r in ok]),
        "cache_entries": stat([r["cache_entries"] for r in ok]),
        "final_loss": stat([r["final_loss"] for r in ok]),
    }


def figure(summary: dict, workload: str, key: str, name: str) -> float | None:
    """The median of one figure, or None where it was not measured."""
    s = summary.get(workload, {}).get(key, {}).get(name)
    return s["median"] if s else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def vs(summary: dict, workload: str, key: str, reference: str, name: str) -> str:
    """The ratio of one variant's median to another's, as text."""
    return times(
        ratio(figure(summary, workload, key, name), figure(summary, workload, reference, name))
    )


# Issue 16's targets: (label, workload, figure, variant, reference variant or None, bound, unit);
# a target is met when the figure (or its ratio to the reference's) is at most the bound.
TE, TC, TJ, TO = "tensorish/eager", "tensorish/compiled", "jax/jit", "torch/eager"
TARGETS = (
    ("eager MLP step / torch", "mlp", "step_us", TE, TO, 1.0, "x"),
    ("eager CNN step / jax.jit step", "cnn", "step_us", TE, TJ, 1.1, "x"),
    ("compiled MLP step / jax.jit step", "mlp", "step_us", TC, TJ, 1.02, "x"),
    ("first compiled MLP step / jax.jit's first", "mlp", "first_ms", TC, TJ, 1.2, "x"),
    ("GPT steady state / torch", "gpt", "steady_ms", TE + "/cold", TO + "/cold", 1.0, "x"),
    ("GPT first two iterations, cold", "gpt", "first_two_s", TE + "/cold", None, 1.0, "s"),
    ("GPT first two iterations, warm", "gpt", "first_two_s", TE + "/warm", None, 0.25, "s"),
    ("GPT 150 iterations, warm / torch", "gpt", "total_s", TE + "/warm", TO + "/warm", 2.0, "x"),
    ("a new input shape: time", "shapes", "shape_ms", TE, None, 50.0, "ms"),
    ("a new input shape: memory kept", "shapes", "mb_per_shape", TE, None, 0.2, "MB"),
    ("tiny / torch", "tiny", "step_us", TE, TO, 1.0, "x"),
    ("seed / torch", "seed", "step_us", TE, TO, 1.0, "x"),
    ("memory growth over the eager MLP steps", "memory", "rss_growth_mb", TE, None, 1.0, "MB"),
)


def targets(summary: dict) -> list[list]:
    """[label, measured, bound, unit, met] for each target; met is None where not measured."""
    rows = []
    for label, w, name, key, reference, bound, unit in TARGETS:
        value = figure(summary, w, key, name)
        if reference:
            value = ratio(value, figure(summary, w, reference, name))
        rows.append([label, value, bound, unit, None if value is None else value <= bound])
    shapes = summary.get("shapes", {}).get(TE, {})
    if shapes.get("shapes"):
        done = shapes["shapes"]["median"]
        label = "memory flat over 1,000 new shapes: shapes reached (of 1,000)"
        rows.append([label, done, 1000, "", done >= 1000])
        rows[-1][0] += f" (stopped: {shapes['stopped']})" if shapes["stopped"] else ""
    return rows


# -- the report --------------------------------------------------------------------------------
def num(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2 if abs(x) >= 0.1 else 3
    return f"{x:.{digits}f}"


def cell(s: dict | None) -> str:
    """'median (min-max)' of a figure."""
    if not s:
        return "-"
    if s["min"] == s["max"]:
        return num(s["median"])
    return f"{num(s['median'])} ({num(s['min'])}-{num(s['max'])})"


def times(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def machine(runs: list[dict], device: str) -> dict:
    """The machine, the library versions and the tensorish commit measured."""

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "absent"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout

    cpu, mem_kb = platform.processor() or platform.machine(), 0
    if Path("/proc/cpuinfo").exists():
        models = [x for x in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in x]
        cpu = models[0].split(":", 1)[1].strip() if models else cpu
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    if git("status", "--porcelain", "tensorish").strip():
        commit += " with uncommitted changes"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "device": device,
        "devices": sorted({f"{r['lib']} {r['device_name']}" for r in runs if "device_name" in r}),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("torch", "jax", "jaxlib", "numpy")},
        "tensorish_commit": commit,
    }


def render_header(result: dict) -> list[str]:
    mach, v = result["machine"], result["machine"]["versions"]
    return [
        "# Benchmark results",
        "",
        *([f"**{result['note']}**", ""] if result["note"] else []),
        f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB, "
        f"{mach['os']}; device `{mach['device']}` ({', '.join(mach['devices'])})",
        f"- Python {mach['python']}, torch {v['torch']}, jax {v['jax']}, jaxlib {v['jaxlib']}, "
        f"numpy {v['numpy']}; tensorish at {mach['tensorish_commit']}",
        f"- {result['date']}: `python bench/run.py{result['flags']}` ({result['size']} run, "
        f"{result['wall_s'] / 60:.1f} min); load average {result['load'][0]} at the start, "
        f"{result['load'][1]} at the end",
        "- Each library alone in its own process with its default settings (nothing sets threads, "
        "OpenMP or XLA flags), the libraries alternating within each repetition; every JAX "
        "process starts with an empty compilation cache directory, except the GPT's warm runs. "
        "Figures: median (min-max) over the repetitions, per-step times over every timed batch "
        "of every repetition; ratios between the medians of this run.",
        "",
        "## Targets (issue 16)",
        "",
        *table(
            ["target", "measured", "bound", "met"],
            [
                [
                    label,
                    f"{num(value)} {unit}".strip(),
                    f"{num(bound)} {unit}".strip(),
                    {None: "-", True: "yes"}.get(met, "**no**"),
                ]
                for label, value, bound, unit, met in result["targets"]
            ],
        ),
    ]


def render_steps(summary: dict) -> list[str]:
    keys = [f"{lib}/{mode}" for lib, mode in STEP_VARIANTS]
    torch, eager, compiled, jit = keys
    labels = [LABEL[v] for v in STEP_VARIANTS]
    steps, firsts = [], []
    for w in (w for w in STEP_WORKLOADS if w in summary):
        s = {k: summary[w].get(k, {}) for k in keys}
        steps.append(
            [TITLE[w], *(cell(s[k].get("step_us")) for k in keys)]
            + [vs(summary, w, a, b, "step_us") for a, b in ((eager, torch), (eager, jit))]
            + [vs(summary, w, compiled, jit, "step_us")]
        )
        calls = [f"{cell(s[k].get('first_ms'))}, {cell(s[k].get('second_ms'))}" for k in keys]
        firsts.append([TITLE[w], *calls, vs(summary, w, compiled, jit, "first_ms")])
    return [
        "",
        "## Training steps: us per step",
        "",
        *table(
            ["workload", *labels, "eager / torch", "eager / jax.jit", "compile / jax.jit"], steps
        ),
        "",
        "## A fresh step's first and second call, ms (compilation included)",
        "",
        *table(["workload", *labels, "compile / jax.jit, first call"], firsts),
    ]


def render_gpt(summary: dict) -> list[str]:
    g = summary["gpt"]
    n = next((s["iterations"] for s in g.values() if s.get("iterations")), None)
    rows = []
    for phase in ("cold", "warm"):
        for lib, mode in GPT_VARIANTS:
            key = f"{lib}/{mode}/{phase}"
            if not g.get(key, {}).get("runs"):
                continue
            s = g[key]

            torch_key = f"torch/eager/{phase}"
            rows.append(
                [LABEL[lib, mode], phase]
                + [cell(s[x]) for x in ("first_ms", "second_ms", "steady_ms", "total_s")]
                + [vs(summary, "gpt", key, torch_key, x) for x in ("steady_ms", "total_s")]
                + [cell(s["import_s"]), cell(s["cache_entries"])]
            )
    header = ["library", "cache", "1st iteration, ms", "2nd iteration, ms", "steady, ms"]
    header += [f"{n} iterations, s", "steady / torch", "total / torch", "import, s", "cache files"]
    return [
        "",
        f"## Small GPT training, {n} iterations (bench/gpt.py)",
        "",
        "2 layers, 2 heads, 32 wide, block 16, batch 8, vocab 65; AdamW with weight-decay groups, "
        "`clip_grad_norm_`, `loss.item()` each iteration. The same model file runs under "
        "`import torch` and `import tensorish as torch`; the floor is bench/gpt_jax.py. Steady: "
        f"the median iteration from the {STEADY_FROM}th on. Warm: a second process given the "
        "compilation cache directory its cold run left.",
        "",
        *table(header, rows),
    ]


def render_eager(summary: dict) -> list[str]:
    out = []
    if "shapes" in summary:
        rows = [
            [key.split("/")[0], cell(s["shapes"]), cell(s["shape_ms"]), cell(s["rss_growth_mb"])]
            + [cell(s["mb_per_shape"]), s["stopped"] or "-"]
            for key, s in summary["shapes"].items()
            if s["runs"]
        ]
        header = ["library", "shapes run", "ms per new shape", "MB kept, all shapes"]
        out += ["", "## A new input shape: `randn(n, 8) @ w`, tanh, sum, backward; n = 1, 2, ..."]
        out += ["", *table(header + ["MB kept per shape", "stopped early"], rows)]
    if "generate" in summary:
        gen = summary["generate"]
        tokens = next((s["tokens"] for s in gen.values() if s.get("tokens")), None)
        torch_first = figure(summary, "generate", "torch/eager", "first_ms_per_token")
        rows = [
            [key.split("/")[0], cell(s["first_ms_per_token"]), cell(s["again_ms_per_token"])]
            + [times(ratio(figure(summary, "generate", key, "first_ms_per_token"), torch_first))]
            for key, s in gen.items()
            if s["runs"]
        ]
        out += ["", f"## `GPT.generate()`: {tokens} tokens from a 1-token context, block 16", ""]
        out += ["The context grows to the block size, then is cropped: 16 distinct lengths.", ""]
        header = ["library", "first call, ms per token", "second call, ms per token"]
        out += table(header + ["first call / torch"], rows)
    if "memory" in summary:
        rows = [
            [key.split("/")[0], str(s["steps"]), cell(s["rss_growth_mb"]), cell(s["step_us"])]
            for key, s in summary["memory"].items()
            if s["runs"]
        ]
        out += [
            "",
            "## Resident memory over eager MLP steps (after 200 to warm up; 5 in the smoke run)",
            "",
        ]
        out += table(["library", "steps", "growth, MB", "us per step"], rows)
    return out


def render(result: dict) -> str:
    summary = result["summary"]
    out = render_header(result) + render_steps(summary)
    if "gpt" in summary:
        out += render_gpt(summary)
    out += render_eager(summary)
    errors = [(w, k, e) for w, ks in summary.items() for k, s in ks.items() for e in s["errors"]]
    if errors:
        out += ["", "## Errors", ""]
        out += [f"- {w} {k}: `{(e.strip().splitlines() or [''])[-1]}`" for w, k, e in errors]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size_group = parser.add_mutually_exclusive_group()
    size_group.add_argument("--smoke", action="store_true", help="every row once, in seconds")
    size_group.add_argument("--quick", action="store_true", help="a few minutes")
    parser.add_argument("--device", default="cpu", help="cpu or cuda, for every library")
    parser.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    parser.add_argument("--out", type=Path, help="write RESULTS.md and results.json here")
    parser.add_argument("--note", default="", help="a line for the report's header")
    parser.add_argument("--budget", type=float, help="seconds; skip the jobs left after that")
    args = parser.parse_args()
    size = "smoke" if args.smoke else "quick" if args.quick else "full"
    workloads = tuple(args.only.split(",")) if args.only else WORKLOADS
    if set(workloads) - set(WORKLOADS):
        parser.error(f"unknown workloads in {args.only}; known: {', '.join(WORKLOADS)}")
    load_start, t0 = os.getloadavg(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tensorish-bench-") as tmp:
        runs = run_all(plan(size, workloads, Path(tmp)), size, args.device, args.budget)
    summary = summarize(runs)
    result = {
        "size": size,
        "flags": "".join(f" {a}" for a in sys.argv[1:] if a not in ("--note", args.note)),
        "note": args.note,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": time.perf_counter() - t0,
        "load": [" ".join(f"{x:.1f}" for x in load) for load in (load_start, os.getloadavg())],
        "machine": machine(runs, args.device),
        "targets": targets(summary),
        "summary": summary,
        "runs": runs,
    }
    report = render(result)
    print(report, end="")
    out = args.out or (BENCH if size == "full" else None)
    if out:
        suffix = "" if args.device == "cpu" else f"-{args.device}"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"RESULTS{suffix}.md").write_text(report)
        (out / f"results{suffix}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 1 if any("error" in r for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())

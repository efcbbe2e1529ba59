"""tensorish.profiler and tensorish.autograd.profiler against torch's: op counts, the table's
layout, schedules, and the JAX trace files TensorBoard and Perfetto read."""

import glob
import gzip
import json
import os
import re
import warnings
from collections import Counter

import numpy as np
import pytest
import torch

import tensorish
from tensorish._mode import mode

RNG = np.random.default_rng(0)
DATA = {
    "x": RNG.standard_normal((8, 4)).astype(np.float32),
    "y": RNG.standard_normal((8, 1)).astype(np.float32),
    "w1": RNG.standard_normal((4, 16)).astype(np.float32),
    "w2": RNG.standard_normal((16, 1)).astype(np.float32),
}


def setup(lib):
    t = {k: lib.tensor(v, requires_grad=k.startswith("w")) for k, v in DATA.items()}
    opt = lib.optim.SGD([t["w1"], t["w2"]], lr=0.01)

    def forward():
        h = lib.nn.functional.relu(t["x"] @ t["w1"])
        return ((h @ t["w2"] - t["y"]) ** 2).mean()

    def train_step():
        opt.zero_grad()
        loss = forward()
        loss.backward()
        opt.step()
        return loss

    return forward, train_step


def torch_forward_counts() -> Counter:
    forward, _ = setup(torch)
    with torch.no_grad(), torch.profiler.profile() as prof:
        forward()
    return Counter({e.key: e.count for e in prof.key_averages()})


def test_training_step_profile_table_and_trace(tmp_path):
    _, train_step = setup(tensorish)
    sched = tensorish.profiler.schedule(wait=1, warmup=1, active=2, repeat=1)
    handler = tensorish.profiler.tensorboard_trace_handler(str(tmp_path), "worker0")
    acts = [tensorish.profiler.ProfilerActivity.CPU]
    with tensorish.profiler.profile(
        activities=acts, schedule=sched, on_trace_ready=handler, record_shapes=True
    ) as prof:
        for _ in range(5):
            train_step()
            prof.step()
    assert mode.profile is None

    # Steps 2 and 3 were recorded: each op twice as often as one forward makes it, and torch's
    # profiler counts the same calls under the same names.
    ours = Counter({e.key: e.count for e in prof.key_averages()})
    steps = {k: ours.pop(k) for k in ("ProfilerStep#2", "ProfilerStep#3")}
    assert steps == {"ProfilerStep#2": 1, "ProfilerStep#3": 1}
    assert ours == {"aten::mm": 4, "aten::relu": 2, "aten::sub": 2, "aten::pow": 2, "aten::mean": 2}
    theirs = torch_forward_counts()
    assert {k: 2 * theirs[k] for k in ours} == ours

    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
    rows = [line.split()[0] for line in table.splitlines()[3:-2]]
    assert len(rows) == 5 and set(rows) <= set(ours) | set(steps)
    assert re.search(r"\n\s+aten::mm\s+\d+\.\d\d%.*\s4\s*\n", table)
    shaped = prof.key_averages(group_by_input_shape=True)
    assert {(e.key, str(e.input_shapes)) for e in shaped if e.key == "aten::mm"} == {
        ("aten::mm", "[[8, 4], [4, 16]]"),
        ("aten::mm", "[[8, 16], [16, 1]]"),
    }

    # The JAX trace, filed for TensorBoard's profile plugin, with an event per op call.
    (run,) = glob.glob(str(tmp_path / "plugins" / "profile" / "*"))
    assert sorted(os.listdir(run)) == ["worker0.trace.json.gz", "worker0.xplane.pb"]
    assert os.path.getsize(os.path.join(run, "worker0.xplane.pb")) > 0
    with gzip.open(os.path.join(run, "worker0.trace.json.gz")) as f:
        events = json.load(f)["traceEvents"]
    names = Counter(e.get("name") for e in events)
    assert {k: names[k] for k in ours} == ours

    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    exported = json.loads(path.read_text())["traceEvents"]
    assert sum(e.get("name") == "aten::mm" for e in exported) == 4


def test_table_layout_matches_torch():
    def run(lib, profile):
        forward, _ = setup(lib)
        with lib.no_grad(), profile(record_shapes=True) as prof:
            with lib.autograd.profiler.record_function("forward"):
                forward()
        return prof.key_averages(group_by_input_shape=True).table(row_limit=3)

    ours = run(tensorish, tensorish.profiler.profile).splitlines()
    theirs = run(torch, torch.profiler.profile).splitlines()

    def columns(line):
        return re.split(r"\s{2,}", line.strip())

    assert columns(ours[1]) == columns(theirs[1])  # Name, Self CPU %, ..., Input Shapes
    widths = [len(dashes) for dashes in ours[0].split()]  # name and shapes fit their contents
    assert widths[1:-1] == [len(dashes) for dashes in theirs[0].split()][1:-1] == [12] * 6
    assert len(ours) == len(theirs) == 8  # 3 rows, separators, header, footer
    assert ours[-1].startswith("Self CPU time total: ") and re.fullmatch(
        r"Self CPU time total: \d+\.\d{3}(us|ms|s)", ours[-1]
    )
    assert ours[3].split()[0] == theirs[3].split()[0] == "forward"


@pytest.mark.parametrize(
    "kw",
    [
        dict(wait=1, warmup=1, active=2),
        dict(wait=2, warmup=1, active=1, repeat=2, skip_first=3),
        dict(wait=3, warmup=1, active=2, skip_first=1, skip_first_wait=1),
    ],
)
def test_schedule_matches_torch(kw):
    ours = tensorish.profiler.schedule(**kw)
    theirs = torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_schedule_warnings_and_errors_match_torch():
    for lib in (torch, tensorish):
        with pytest.warns(UserWarning, match="won't be using warmup"):
            lib.profiler.schedule(wait=0, warmup=0, active=1)
    with pytest.raises(AssertionError) as te:
        torch.profiler.schedule(wait=0, warmup=0, active=0)
    with pytest.raises(AssertionError) as se:
        tensorish.profiler.schedule(wait=0, warmup=0, active=0)
    assert str(se.value) == str(te.value)


def test_legacy_autograd_profiler_and_record_function_decorator(tmp_path):
    @tensorish.autograd.profiler.record_function("double")
    def double(t):
        return t * 2

    @tensorish.autograd.profiler.record_function("power")
    def power(t, n):
        return t if n == 0 else power(t, n - 1) * t

    x = tensorish.ones(3, requires_grad=True)
    with tensorish.autograd.profiler.profile(use_cuda=False, profile_memory=True) as prof:
        with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
            prof.key_averages()
        double(double(x)).sum().backward()
        power(x, 2)
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts == {"double": 2, "aten::mul": 4, "aten::sum": 1, "power": 3}
    (top,) = [e for e in prof.events() if e.key == "power" and e.cpu_parent is None]
    assert [c.key for c in top.cpu_children] == ["power", "aten::mul"]
    outer = [e for e in prof.events() if e.key == "double"]
    assert all(c.key == "aten::mul" for e in outer for c in e.cpu_children)
    assert prof.self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in prof.events())
    )
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert Counter(e["name"] for e in events) == counts
    assert tensorish.autograd.profiler.record_function is tensorish.profiler.record_function


def test_nothing_recorded_outside_a_window_and_no_hook_left():
    sched = tensorish.profiler.schedule(wait=5, warmup=1, active=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tensorish.profiler.profile(schedule=sched) as prof:
            tensorish.ones(2) * 2
            prof.step()
    assert mode.profile is None
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        prof.key_averages()

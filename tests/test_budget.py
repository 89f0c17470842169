"""Long jobs (issue 18 §6): estimates before the work, refusals over the budget, the
memory budget (MemAvailable, cgroup, RLIMIT_AS), and --time-limit with partial results."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import random_net, run_cli
from tropnet import Network, activation_regions, limits
from tropnet.cli import budget
from tropnet.errors import TooLargeError
from tropnet.limits import TimeLimitReached, check_estimate, check_time, deadline, note
from tropnet.sampling import RegionEstimate, estimate_regions

ABS = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])


def _save(net: Network, path) -> str:
    from tropnet.io import save_network

    save_network(net, path)
    return str(path)


def _payload(out: str) -> dict:
    return json.loads(out)


# -- estimates --------------------------------------------------------------------------

def test_estimate_is_exact_while_the_frontier_holds_every_region():
    assert estimate_regions(ABS).count == 2.0
    net = random_net(np.random.default_rng(3), [2, 3, 3, 1])
    est = estimate_regions(net, frontier=256)
    exact = [activation_regions(Network(2, net.layers[:k + 1])).count
             for k in range(len(net.layers))]
    assert est.layers == tuple(float(c) for c in exact)
    assert est.complete and not est.bound


def test_estimate_within_a_factor_of_the_count_when_subsampled():
    net = random_net(np.random.default_rng(7), [2, 8, 8, 1], rational=False)
    true = activation_regions(net).count
    est = estimate_regions(net, frontier=4, seconds=3, seed=1)
    assert est.probes >= 3 and est.complete
    assert true / 3 <= est.count <= 3 * true, (est.count, true)


def test_counting_bound_bounds_every_layer():
    net = random_net(np.random.default_rng(5), [2, 4, 4, 1])
    bound = RegionEstimate.upper_bound(net)
    for k in range(len(net.layers)):
        assert activation_regions(Network(2, net.layers[:k + 1])).count <= bound.layers[k]
    # one layer of 4 lines in the plane: 1 + 4 + 6 parts at most
    assert bound.layers[0] == 11 and bound.describe().startswith("at most")


def test_hoffman_sub_problem_bound_is_the_central_arrangement():
    work = budget.matrix_hoffman_work([[1, 0], [0, 1], [1, 1]], "pvz", "inf")
    assert "up to 6 maximal row sets" in work.estimate      # 2 (C(2,0) + C(2,1))


# -- refusals ---------------------------------------------------------------------------

def test_regions_refused_with_the_estimate_and_the_options(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET", 1e-6)
    net = random_net(np.random.default_rng(0), [2, 5, 5, 1])
    path = _save(net, tmp_path / "n.json")
    start = time.perf_counter()
    code, out, err = run_cli(capsys, "regions", path)
    assert code == 2 and out == "" and time.perf_counter() - start < 10
    assert err.count("\n") == 1
    assert "activation regions" in err and "estimated about" in err
    for option in ("--force", "--time-limit SECONDS", "tropnet sample", "--domain box"):
        assert option in err
    code, out, _ = run_cli(capsys, "regions", path, "--force", "--kind", "activation",
                           "--json")
    assert code == 0 and _payload(out)["complete"] is True
    assert _payload(out)["count"] == activation_regions(net).count


def test_crosscheck_refusal_names_each_method(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET", 1e-6)
    path = _save(random_net(np.random.default_rng(0), [2, 4, 1]), tmp_path / "n.json")
    code, _, err = run_cli(capsys, "crosscheck", path)
    assert code == 2 and "per method: activation-vertex" in err and "linear-tropical" in err
    assert "smaller domain" in err or "--skip" in err


def test_hoffman_matrix_refused_after_a_trial(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(budget, "TRIAL_SECONDS", 0.3)
    path = tmp_path / "A.json"
    path.write_text(json.dumps({"A": np.random.default_rng(1).normal(size=(30, 6)).tolist()}))
    start = time.perf_counter()
    code, out, err = run_cli(capsys, "hoffman", str(path))
    assert code == 2 and out == "" and time.perf_counter() - start < 10
    assert "maximal row sets" in err and "trial run did not finish" in err
    assert "--method bounds" in err


def test_construct_refused_before_building(tmp_path, capsys):
    out_file = tmp_path / "big.json"
    start = time.perf_counter()
    code, out, err = run_cli(capsys, "construct", "serra2018-thm7", "--widths",
                             "100000,100000", "-o", str(out_file))
    assert code == 2 and out == "" and time.perf_counter() - start < 5
    assert "exact weights" in err and "use smaller widths" in err
    assert not out_file.exists()


def test_small_jobs_are_not_refused(tmp_path, capsys):
    path = _save(ABS, tmp_path / "abs.json")
    for cmd in (("regions", path), ("compile", path), ("hoffman", path),
                ("construct", "serra2018-thm7", "--widths", "3,3", "--verify")):
        code, out, err = run_cli(capsys, *cmd, "--json")
        assert code == 0, (cmd, err)
        assert _payload(out)["complete"] is True


# -- the memory budget ------------------------------------------------------------------

_RLIMIT = """
import resource, sys
from tropnet import limits
vms = limits._statm(0)
room = 300 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (vms + room, resource.RLIM_INFINITY))
print(limits.memory_budget(), limits._rss(), room)
try:
    limits.check_estimate("a job", "an estimate", seconds=1, nbytes=2**30)
except limits.TooLargeError as exc:
    print("refused:", exc)
"""


def test_memory_budget_reads_rlimit_as():
    proc = subprocess.run([sys.executable, "-c", _RLIMIT], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    first, refusal = proc.stdout.splitlines()[:2]
    budget_bytes, rss, room = (int(v) for v in first.split())
    assert budget_bytes <= (rss + room) * limits.MEMORY_FRACTION * 1.05
    assert refusal.startswith("refused:") and "of memory" in refusal


def test_memory_budget_reads_cgroups(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CGROUP_ROOT", str(tmp_path))
    proc = tmp_path / "cgroup"
    monkeypatch.setattr(limits, "PROC_CGROUP", str(proc))
    # cgroup v2: memory.max - memory.current
    (tmp_path / "grp").mkdir()
    (tmp_path / "grp" / "memory.max").write_text("1000000000\n")
    (tmp_path / "grp" / "memory.current").write_text("400000000\n")
    proc.write_text("0::/grp\n")
    assert limits._cgroup_room() == 600_000_000
    (tmp_path / "grp" / "memory.max").write_text("max\n")
    assert limits._cgroup_room() is None
    # cgroup v1: memory.limit_in_bytes - memory.usage_in_bytes
    (tmp_path / "memory" / "g").mkdir(parents=True)
    (tmp_path / "memory" / "g" / "memory.limit_in_bytes").write_text("500000000\n")
    (tmp_path / "memory" / "g" / "memory.usage_in_bytes").write_text("100000000\n")
    proc.write_text("4:memory:/g\n")
    assert limits._cgroup_room() == 400_000_000
    # the budget takes the least room
    monkeypatch.setattr(limits, "_START_BUDGET", None)
    monkeypatch.setattr(limits, "_available", lambda: 10**12)
    monkeypatch.setattr(limits, "_address_room", lambda: None)
    got = limits.memory_budget()
    assert got <= (400_000_000 + limits._rss()) * limits.MEMORY_FRACTION
    assert got >= 400_000_000 * limits.MEMORY_FRACTION


# -- deadlines --------------------------------------------------------------------------

def test_deadline_checkpoints_carry_what_is_known():
    with deadline(0.05):
        note(lower_bound=3, lower_bound_of="regions")
        time.sleep(0.1)
        with pytest.raises(TimeLimitReached) as info:
            check_time("counting", partial={"layers_done": 1})
    assert info.value.partial == {"lower_bound": 3, "lower_bound_of": "regions",
                                  "layers_done": 1}
    check_time()  # no deadline: no effect
    with deadline(10), deadline(0.01):   # the earliest applies
        time.sleep(0.03)
        with pytest.raises(TimeLimitReached):
            limits.check_memory("x", "y")
    with deadline(10), pytest.raises(TooLargeError):   # sizes are still refused in time
        limits.check_size(10, "x", "y", limit=1)
    with deadline(1e-9), pytest.raises(TimeLimitReached):  # and checked after the time
        limits.check_size(10, "x", "y", limit=1)


def test_deadline_alarm_stops_code_without_checkpoints():
    start = time.perf_counter()
    with pytest.raises(TimeLimitReached), deadline(0.1, alarm=True):
        note(so_far="sleeping")
        time.sleep(30)
    assert time.perf_counter() - start < 0.1 + limits.ALARM_GRACE + 2


def test_check_estimate_message_and_deadline():
    with pytest.raises(TooLargeError) as info:
        check_estimate("counting", "about 1e9 regions", seconds=1e6, options=("a box",))
    text = str(info.value)
    assert "about 1e9 regions" in text and "11.6 days" in text and "a box" in text
    with deadline(100):
        check_estimate("counting", "about 1e9 regions", seconds=1e6)  # the limit bounds it
    with limits.forced():
        check_estimate("counting", "about 1e9 regions", seconds=1e6)


def test_time_limit_gives_a_partial_lower_bound(tmp_path, capsys, monkeypatch):
    net = random_net(np.random.default_rng(2), [2, 4, 4, 1])
    path = _save(net, tmp_path / "n.json")
    first = activation_regions(Network(2, net.layers[:1])).count
    true = activation_regions(net).count
    follow = budget.LayerProgress.__call__

    def slow(self, count=None):  # the first layer, then wait past the limit
        follow(self, count)
        time.sleep(1.5)

    monkeypatch.setattr(budget.LayerProgress, "__call__", slow)
    code, out, err = run_cli(capsys, "regions", path, "--kind", "activation",
                             "--time-limit", "1", "--json")
    assert code == 4, err
    p = _payload(out)
    assert p["complete"] is False and p["stopped"] == "time limit"
    assert "count" not in p
    assert p["lower_bound"] == first <= true and p["lower_bound_of"] == "activation regions"
    assert p["layers_done"] == 1
    code, out, _ = run_cli(capsys, "regions", path, "--kind", "activation",
                           "--time-limit", "1")
    assert code == 4 and out.startswith("incomplete: time limit")
    assert f"activation regions >= {first} (a lower bound, not the answer)" in out


def test_time_limit_hoffman_lower_bound(tmp_path, capsys):
    A = np.random.default_rng(4).normal(size=(20, 4)).round(3).tolist()
    path = tmp_path / "A.json"
    path.write_text(json.dumps({"A": A}))
    code, out, err = run_cli(capsys, "hoffman", str(path), "--time-limit", "1", "--json")
    assert code == 4, err
    p = _payload(out)
    assert p["complete"] is False and p["lower_bound"] is not None
    code, out, _ = run_cli(capsys, "hoffman", str(path), "--method", "bounds", "--json")
    bounds = _payload(out)
    assert bounds["certified"]
    assert 0 < Fraction(p["lower_bound"]) <= Fraction(bounds["upper_bound"])


def test_formatting():
    assert limits.format_seconds(12) == "12 s"
    assert limits.format_seconds(3 * 3600) == "3.0 h"
    assert limits.format_seconds(math.inf) == "more than float64 counts"
    assert limits.format_bytes(3 * 2**30) == "3.0 GB"


def test_time_limit_linear_regions_have_no_lower_bound(tmp_path, capsys, monkeypatch):
    """A checkpoint's lower bound on the activation regions (as the enumeration would pass
    it) is not reported as a bound on the linear regions."""
    import tropnet.engines.enumerate as enumeration

    net = random_net(np.random.default_rng(2), [2, 4, 4, 1])
    path = _save(net, tmp_path / "n.json")
    check = enumeration.check_memory

    def hooked(what, cheaper, **_):  # the hook the engine would pass
        check(what, cheaper, partial={"lower_bound": 5, "lower_bound_of": "activation regions"})

    follow = budget.LayerProgress.__call__

    def slow(self, count=None):
        follow(self, count)
        time.sleep(1.5)

    monkeypatch.setattr(enumeration, "check_memory", hooked)
    monkeypatch.setattr(budget.LayerProgress, "__call__", slow)
    # the vertex engine's checkpoint is the one hooked
    code, out, err = run_cli(capsys, "regions", path, "--time-limit", "1", "--json",
                             "--engine", "vertex")
    assert code == 4, err
    p = _payload(out)
    assert p["lower_bound"] is None and p["activation_regions_at_least"] == 5
    code, out, _ = run_cli(capsys, "regions", path, "--kind", "activation", "--time-limit",
                           "1", "--json", "--engine", "vertex")
    assert code == 4 and _payload(out)["lower_bound"] == 5


def test_library_deadline_stops_compile_and_milp_with_what_is_known():
    """The checkpoints are in the library: compile stops between products, the MILP counter
    between solves with its regions so far as a lower bound."""
    import tropnet
    from tropnet.milp import count_activation_regions

    net = random_net(np.random.default_rng(3), [3, 8, 8, 1])
    with pytest.raises(tropnet.TimeLimitReached) as stop, tropnet.deadline(1e-3):
        tropnet.compile_network(net)
    assert "stopped at the time limit" in str(stop.value)
    true = activation_regions(net, "box:-1,1").count
    with pytest.raises(tropnet.TimeLimitReached) as stop, tropnet.deadline(0.5):
        count_activation_regions(net, "box:-1,1")
    partial = stop.value.partial
    assert partial["lower_bound_of"] == "activation regions"
    assert 0 <= partial["lower_bound"] < true


def test_plot_time_limit(tmp_path, capsys):
    path = _save(random_net(np.random.default_rng(5), [2, 30, 30, 30, 1]), tmp_path / "n.json")
    out_png = tmp_path / "r.png"
    code, out, err = run_cli(capsys, "plot", path, "-o", str(out_png), "--method", "enumerate",
                             "--time-limit", "0.2", "--json")
    assert code == 4, err
    assert json.loads(out)["complete"] is False
    assert not out_png.exists()

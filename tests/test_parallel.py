"""Parallel and distributed enumeration on Dask (issue 13 §2-§3): the counts and regions of
the serial run, on a local cluster, on a killed worker, and on a real `dask scheduler`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tropnet
from tropnet import activation_regions, count_regions, linear_regions, load_network
from tropnet.arithmetic import resolve
from tropnet.domain import parse_domain
from tropnet.engines.parallel import TaskStats, parallel_stream
from tropnet.engines.stream import read_regions, stream_activation_regions

from .helpers import random_net, run_cli

distributed = pytest.importorskip("distributed")

BIN = Path(sys.executable).parent


def patterns(rs):
    return sorted(r.pattern for r in rs.regions)


def test_import_tropnet_does_not_import_dask():
    code = ("import sys, tropnet; from tropnet import dispatch; "
            "from tropnet.engines import parallel; "
            "tropnet.activation_regions(tropnet.load_network('benchmarks/nets/A.json')); "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("exact", "engine", "domain"), [
    (True, "vertex", None), (True, "lp", "box:-2,3"),
    (False, "vertex", "box:-2,3"), (False, "lp", None),
])
def test_regions_equal_the_serial_run(client, exact, engine, domain):
    net = random_net(np.random.default_rng(7), [2, 6, 5, 1], "leaky_relu", rational=exact)
    serial = activation_regions(net, domain, engine, exact)
    got = activation_regions(net, domain, engine, exact, scheduler=client)
    assert got.count == serial.count > 20
    assert patterns(got) == patterns(serial)
    assert got.arith.exact == exact and got.info["parallel"]["tasks"] >= 1
    for r in got.regions:  # every point has its region's pattern (exactly)
        assert net.patterns(tropnet.EXACT.array(r.interior_point), tropnet.EXACT) == r.pattern


@pytest.mark.parametrize("name", ["A", "B"])
def test_linear_and_count_equal_the_serial_run(client, name):
    net = load_network(f"benchmarks/nets/{name}.json")
    for domain in (None, "box:-1,1"):
        want = linear_regions(net, domain, method="enumerate").count
        assert linear_regions(net, domain, method="enumerate", scheduler=client).count == want
        assert count_regions(net, domain, "activation", scheduler=client) == \
            activation_regions(net, domain).count


@pytest.mark.parametrize("kind", ["activation", "linear"])
@pytest.mark.parametrize("exact", [True, False])
def test_streamed_counts_equal_the_serial_run(client, kind, exact):
    net = random_net(np.random.default_rng(11), [2, 8, 6, 1], "relu", rational=exact,
                     denominator=2)
    dom = parse_domain("box:-2,3", 2)
    arith = resolve(exact, net, dom)
    stats = TaskStats()
    got = parallel_stream(net, dom, arith, kind=kind, scheduler=client, stats=stats)
    want = (activation_regions if kind == "activation" else linear_regions)(
        net, dom, exact=exact).count
    assert got.count == want and got.kind == kind
    assert stats.tasks > 1 and stats.pieces > 1  # the work was split
    if kind == "linear":  # every region was walked (a count counts the last layer's cells)
        assert stats.nodes > want


@pytest.mark.parametrize("exact", [True, False])
def test_batch_counts_go_out_in_first_layer_pieces(client, exact):
    """On R^n the count is the batch engine's: the first layer on the driver, its regions
    shuffled into pieces, one task each; the same count as the serial vertex walk."""
    net = random_net(np.random.default_rng(5), [3, 9, 7, 1], "relu", rational=False)
    dom = parse_domain(None, 3)
    stats, seen = TaskStats(), []
    got = parallel_stream(net, dom, resolve(exact, net, dom), scheduler=client, stats=stats,
                          progress=seen.append)
    assert got.engine == "batch"
    assert got.count == stream_activation_regions(net, None, "vertex", exact).count
    assert stats.tasks == stats.pieces == len(seen) > 1
    assert [p.regions for p in seen] == sorted(p.regions for p in seen)
    assert seen[-1].regions == got.count and seen[-1].waiting == 0
    # weights k/2: first-layer hyperplanes through common points; the vertex walk's tasks
    degenerate = random_net(np.random.default_rng(5), [3, 9, 7, 1], "relu", denominator=2)
    got = parallel_stream(degenerate, dom, resolve(exact, degenerate, dom), scheduler=client)
    assert got.engine == "vertex"
    assert got.count == stream_activation_regions(degenerate, None, "vertex", exact).count


def test_cli_local_cluster_count_only_and_output(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    code, stdout, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--workers", "2",
                                "--output", str(out), "--json")
    assert code == 0, err
    p = json.loads(stdout)
    serial = activation_regions(load_network("benchmarks/nets/A.json"))
    assert p["count"] == serial.count == 111 and p["parallel"]["workers"] == 2
    assert sorted(r.pattern for r in read_regions(out)) == patterns(serial)
    code, stdout, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--workers", "2",
                                "--count-only", "--kind", "linear", "--json")
    assert code == 0, err
    assert json.loads(stdout)["count"] == 111


@pytest.mark.parametrize("args", [["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
                                  ["--scheduler", "tcp://127.0.0.1:{port}"],
                                  ["--workers", "2", "--method", "tropical"]])
def test_cli_refusals(capsys, args):
    port = _free_port()
    args = [a.format(port=port) for a in args]
    code, _, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", *args)
    assert code == 2 and err.startswith("tropnet: error:") and "Traceback" not in err


def test_a_killed_worker_loses_nothing():
    from dask.distributed import Client, LocalCluster

    net = load_network("benchmarks/nets/D.json")
    dom = parse_domain(None, 3)
    arith = resolve(None, net, dom)
    want = stream_activation_regions(net, dom).count
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=50)
    c = Client(cluster)
    killed = []

    def progress(p):
        if p.tasks == 3 and not killed:  # mid-run: kill one worker process outright
            pids = c.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    try:
        stats = TaskStats()
        got = parallel_stream(net, dom, arith, scheduler=c, progress=progress, stats=stats)
    finally:
        c.close()
        cluster.close()
    assert killed and stats.tasks > 3
    assert got.count == want == 5548


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_scheduler_and_workers(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    procs = []
    try:
        procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                       "--port", str(port), "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(2):
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads",
                                           "1", "--no-dashboard"], env=env,
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        from dask.distributed import Client

        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a moment to listen
            try:
                with Client(address, timeout=5) as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        out = subprocess.run([str(BIN / "tropnet"), "regions", "benchmarks/nets/B.json",
                              "--scheduler", address, "--json"], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        p = json.loads(out.stdout)
        assert p["count"] == linear_regions(load_network("benchmarks/nets/B.json")).count
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_workers_of_a_local_cluster_print_no_error_logs(capfd):
    """A Ctrl-C that cuts a transfer of results made a worker log an ERROR with a traceback
    on the terminal; the workers tropnet starts log nothing below CRITICAL (a task's error
    still reaches the driver through its future)."""
    import logging

    from tropnet.engines.parallel import cluster

    with cluster(2) as client:
        client.run(lambda: logging.getLogger("distributed.worker").error("a worker error"))
        with pytest.raises(ZeroDivisionError):
            client.submit(lambda: 1 / 0).result()
    assert "a worker error" not in capfd.readouterr().err

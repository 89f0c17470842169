"""Ctrl-C during a parallel run (issue 13 §3): `tropnet regions --workers 2 --output f.jsonl`
stops with one clear message and exit status 130, leaves no region file and no temporary
file, and stops every process of the cluster it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

import tropnet

from .helpers import random_net

pytest.importorskip("distributed")


def _wait_for_run(proc: subprocess.Popen, seconds: float = 60) -> tuple[list, bytes]:
    """Wait until the run's two workers are up and have found regions; returns
    every process under ``proc`` and what stderr said so far."""
    os.set_blocking(proc.stderr.fileno(), False)
    err, start = b"", time.monotonic()
    me = psutil.Process(proc.pid)
    while time.monotonic() - start < seconds:
        err += proc.stderr.read() or b""
        kids = me.children(recursive=True)
        workers = [k for k in kids if "distributed" in " ".join(_cmdline(k))
                   or "multiprocessing" in " ".join(_cmdline(k))]
        if re.search(rb"regions: [1-9]", err) and len(workers) >= 2:  # tasks have run
            return me.children(recursive=True), err
        assert proc.poll() is None, err.decode()
        time.sleep(0.1)
    raise AssertionError(f"the run did not start: {err.decode()}")


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c", "sigint-to-tropnet"])
def test_sigint_stops_the_cluster_and_leaves_no_file(tmp_path, group):
    # 2-[96,96]-1, float: about 18,000 regions, far longer than the wait below
    net = random_net(np.random.default_rng(0), [2, 96, 96, 1], rational=False)
    tropnet.save_network(net, tmp_path / "net.json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tropnet", "regions", "net.json", "--workers", "2",
         "--output", "f.jsonl", "--progress"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        kids, err = _wait_for_run(proc)
        assert kids
        # Ctrl-C in a terminal reaches the whole process group; `kill -INT` only tropnet
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - a hung run: do not leak it
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err += rest
    assert proc.returncode == 130, err.decode()
    text = err.decode()
    assert text.count("tropnet: interrupted") == 1, text
    assert "Traceback" not in text, text
    assert out == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json"]  # no output, no temp
    _, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive, [(p.pid, _cmdline(p)) for p in alive]

"""Streaming enumeration (issue 13 §1): depth first, count only or to a region file, with the
regions and counts of the in-memory walk."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import EXACT, activation_regions, load_network
from tropnet.engines.stream import read_regions, stream_activation_regions

from .helpers import random_net, run_cli


@pytest.mark.parametrize("name", ["A", "B"])
@pytest.mark.parametrize("domain", [None, "box:-1,1"])
def test_counts_equal_the_in_memory_walk(name, domain):
    net = load_network(f"benchmarks/nets/{name}.json")
    assert stream_activation_regions(net, domain).count == \
        activation_regions(net, domain).count


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("engine", ["vertex", "lp"])
@pytest.mark.parametrize("exact", [True, False])
def test_streamed_regions_are_the_regions(seed, engine, exact):
    net = random_net(np.random.default_rng(seed), [2, 4, 3, 1], "leaky_relu",
                     rational=exact)
    got = []
    summary = stream_activation_regions(net, "box:-2,3", engine, exact, got.append)
    want = activation_regions(net, "box:-2,3", engine, exact)
    assert summary.count == len(got) == want.count
    assert {r.pattern for r in got} == {r.pattern for r in want}
    assert summary.arith.exact == exact


def test_region_file_round_trip(tmp_path, capsys):
    net = random_net(np.random.default_rng(3), [2, 4, 4, 1])   # exact weights
    path = tmp_path / "n.json"
    tropnet.save_network(net, path)
    out = tmp_path / "r.jsonl"
    code, stdout, err = run_cli(capsys, "regions", str(path), "--output", str(out), "--json")
    assert code == 0, err
    p = json.loads(stdout)
    regions = read_regions(out)
    assert p["count"] == len(regions) == activation_regions(net).count
    assert len(out.read_text().splitlines()) == p["count"]
    for r in regions:  # exact numbers come back exact, and every point has its pattern
        assert all(isinstance(v, (Fraction, int)) for v in r.interior_point)
        assert net.patterns(r.interior_point, EXACT) == r.pattern
        assert r.cells[0].contains(r.interior_point, strict=True)


def test_count_only_cli(tmp_path, capsys):
    code, out, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--count-only",
                             "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["count"] == 111 and p["count_only"] and p["kind"] == "activation"


@pytest.mark.parametrize(("args", "message"), [
    (["--kind", "linear"], "linear regions need the gluing"),
    (["--method", "milp"], "not --method milp"),
    (["--list"], "drop --list"),
    (["--expr", "max(0, x)"], "not of an expression"),
])
def test_count_only_refusals(capsys, args, message):
    target = [] if "--expr" in args else ["benchmarks/nets/A.json"]
    code, _, err = run_cli(capsys, "regions", *target, "--count-only", *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_output_is_atomic_on_time_limit(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    code, stdout, _ = run_cli(capsys, "regions", "benchmarks/nets/D.json", "--output", str(out),
                              "--time-limit", "0.3", "--json")
    assert code == 4 and json.loads(stdout)["complete"] is False
    assert not out.exists() and not list(tmp_path.iterdir())


def test_read_regions_rejects_bad_lines(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"interior_point": [1], "cells": []}\n')
    with pytest.raises(tropnet.TropnetError, match="line 1"):
        read_regions(bad)

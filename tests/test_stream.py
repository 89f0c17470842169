"""Streaming enumeration (issue 13 §1): depth first, count only or to a region file, with the
regions and counts of the in-memory walk."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import EXACT, Network, activation_regions, linear_regions, load_network
from tropnet.engines.stream import (
    pattern_key,
    read_regions,
    stream_activation_regions,
    stream_linear_regions,
)

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
    (["--kind", "linear", "--output", "r.jsonl"], "linear regions need the gluing"),
    (["--kind", "linear", "--connectivity", "closure"], "across facets only"),
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


# -- linear regions glued on the fly (union-find over facet neighbours) ---------------------

@pytest.mark.parametrize("name", ["A", "B", "C", "D"])
@pytest.mark.parametrize("domain", [None, "box:-1,1"])
def test_streamed_linear_counts_on_the_test_nets(name, domain):
    net = load_network(f"benchmarks/nets/{name}.json")   # float weights
    got = stream_linear_regions(net, domain)
    assert got.count == linear_regions(net, domain, method="enumerate").count
    assert got.kind == "linear" and not got.arith.exact and got.info["decided"] == "exact"
    assert got.info["activation_regions"] == activation_regions(net, domain).count


@pytest.mark.parametrize("seed", range(20))
def test_streamed_linear_counts_on_random_nets(seed):
    rng = np.random.default_rng(100 + seed)
    act = ["relu", "leaky_relu", "maxout"][seed % 3]
    exact = seed % 2 == 0
    dims = [2, 4, 3, 1] if seed % 4 < 2 else [3, 3, 3, 1]
    # small-denominator weights: coincident, parallel and opposite hyperplanes are common
    net = random_net(rng, dims, act, rational=exact, denominator=2)
    domain = [None, "box:-2,3"][seed % 2]
    want = linear_regions(net, domain, method="enumerate", exact=exact)
    got = stream_linear_regions(net, domain, exact=exact)
    assert got.count == want.count
    assert got.info["activation_regions"] == activation_regions(net, domain,
                                                                exact=exact).count


@pytest.mark.parametrize(("layers", "count"), [
    # relu(x) - relu(x): the map is 0 everywhere, two activation regions glue into one
    ([([[1], [1]], [0, 0], "relu"), ([[1, -1]], [0], "identity")], 1),
    # relu(x) + relu(-x) = |x|: two regions
    ([([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")], 2),
    # relu(x - 1) - relu(x - 1) = 0: two activation regions, one linear region
    ([([[1], [1]], [-1, -1], "relu"), ([[1, -1]], [0], "identity")], 1),
    # relu(relu(x) - 1): bends at 0 and 1 (a deeper unit whose hyperplane is x = 1)
    ([([[1]], [0], "relu"), ([[1]], [-1], "relu"), ([[1]], [0], "identity")], 2),
    # relu(relu(x) + relu(-x) - 1) = max(|x| - 1, 0): three pieces
    ([([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [-1], "relu"), ([[1]], [0], "identity")], 3),
])
def test_streamed_linear_hand_counts(layers, count):
    net = Network.from_lists(1, layers)
    assert stream_linear_regions(net).count == count == linear_regions(net).count


def test_deeper_unit_on_the_facet_flips_too():
    # unit 2 of layer 2 is relu(x) - 0 = relu(x) behind relu: its hyperplane is x = 0 on
    # the right and it is identically 0 on the left, the facet neighbour flips both units
    net = Network.from_lists(1, [([[1]], [0], "relu"), ([[1]], [0], "relu"),
                                 ([[1]], [0], "identity")])
    assert stream_linear_regions(net).count == 2 == linear_regions(net).count


def test_pattern_key_is_compact_and_faithful():
    assert pattern_key(((1, 0, 1), (0,), ())) != pattern_key(((1, 0, 0), (1,), ()))
    assert len(pattern_key([[1] * 256, [0] * 256])) < 70   # bits, not tuples
    assert pattern_key([(2, 0)]) != pattern_key([(1, 0)])  # maxout pieces: bytes


def test_linear_count_only_cli(capsys):
    code, out, err = run_cli(capsys, "regions", "benchmarks/nets/B.json", "--count-only",
                             "--kind", "linear", "--domain", "box:-1,1", "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["kind"] == "linear" and p["count"] == 218 and p["connectivity"] == "facet"
    assert p["activation_regions"] == 218 and p["count_only"]


def test_progress_reports_rate_and_depth():
    net = load_network("benchmarks/nets/C.json")
    seen = []
    stream_activation_regions(net, "box:-1,1", progress=seen.append)
    assert seen and seen[-1].regions == 1340 and seen[-1].depth == seen[-1].layers == 3
    assert seen[-1].rate > 0
    assert "1,340 regions" in seen[-1].describe()


@pytest.mark.parametrize(("exact", "engine", "domain"), [
    (False, "vertex", None), (False, "vertex", "box:-1,1"), (True, "vertex", None),
    (True, "lp", "box:-2,3")])
def test_pieces_partition_the_regions(exact, engine, domain):
    from tropnet.arithmetic import resolve
    from tropnet.domain import parse_domain
    from tropnet.engines.stream import ActivationLeaves, Explorer

    net = random_net(np.random.default_rng(5), [2, 9, 5, 1], rational=exact)
    dom = parse_domain(domain, 2)
    ex = Explorer(net, dom, resolve(exact, net, dom), engine)
    pieces = ex.pieces(11)
    j = len(pieces[0])
    # j = 4 lines make 11 cells of R^2 (fewer meet a box)
    assert 4 < len(pieces) <= 1 + j + j * (j - 1) // 2 and j == 4
    want = {r.pattern for r in activation_regions(net, domain, engine, exact).regions}
    got = []
    for piece in pieces:
        found = []
        leaves = ActivationLeaves(ex, found.append)
        ex.explore(list(reversed(ex.piece_nodes(piece))), leaves)
        leaves.flush()
        # every region of a piece has the piece's first-layer sides
        assert all(r.pattern[0][u] == int(side) for r in found for u, side in piece)
        got += [r.pattern for r in found]
    assert len(got) == len(set(got)) == len(want)   # no region twice, none lost
    assert set(got) == want
    assert ex.pieces(1) == [()] and ex.piece_nodes(())[0][0] == 0


def test_pieces_share_the_crowded_middle():
    """The regions of a wide first layer crowd where its lines meet: the pieces split the
    crowd (cutting by the first units in order put 34 % of the 8,257 first-layer regions
    of this net in one piece), and the largest come first."""
    from tropnet.arithmetic import resolve
    from tropnet.domain import parse_domain
    from tropnet.engines.stream import Explorer

    rng = np.random.default_rng(0)
    net = Network.from_lists(2, [(rng.normal(0, 1, (128, 2)).tolist(),
                                  rng.normal(0, 0.5, 128).tolist(), "relu"),
                                 (rng.normal(0, 1, (1, 128)).tolist(), [0.0], "identity")])
    dom = parse_domain(None, 2)
    ex = Explorer(net, dom, resolve(None, net, dom))
    pieces = ex.pieces(16)
    sizes = [len(ex.piece_nodes(p)) for p in pieces]
    assert sum(sizes) == 1 + 128 + 128 * 127 // 2 == ex.first_cells()  # general position
    assert max(sizes) <= 0.25 * sum(sizes)
    assert sizes[0] >= sorted(sizes)[len(sizes) // 2] > sizes[-1]


def test_no_pieces_for_a_maxout_first_layer():
    from tropnet.arithmetic import resolve
    from tropnet.domain import parse_domain
    from tropnet.engines.stream import Explorer

    net = random_net(np.random.default_rng(1), [2, 4, 1], "maxout")
    dom = parse_domain(None, 2)
    assert Explorer(net, dom, resolve(None, net, dom)).pieces(64) == [()]


def test_a_2d_count_counts_the_planar_faces():
    """A count on a 2-D box goes to the planar engine's face count, equal to the walk's."""
    net = load_network("benchmarks/nets/C.json")
    fast = stream_activation_regions(net, "box:-1,1")
    walk = stream_activation_regions(net, "box:-1,1", engine="vertex")
    assert fast.count == walk.count == 1340
    assert fast.engine == "planar" and walk.engine == "vertex"

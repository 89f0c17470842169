"""Regions along a path (issue 15 §3): exact breakpoints, against dense sampling and against
the full enumeration restricted to the segment."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from tropnet import Network, activation_regions, regions_along
from tropnet.cli import main
from tropnet.errors import TropnetError

ABS = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])


def test_abs_one_breakpoint_at_one_half():
    path = regions_along(ABS, [[-1], [1]])
    assert path.arith.exact and path.transitions == 1
    (seg, t, x), = path.breakpoints
    assert (seg, t, x.tolist()) == (0, Fraction(1, 2), [Fraction(0)])
    assert [p.pattern for p in path.pieces] == [((0, 1), ()), ((1, 0), ())]
    assert [p.weight.tolist() for p in path.pieces] == [[[-1]], [[1]]]
    # linear regions: two different maps, same answer
    assert regions_along(ABS, [[-1], [1]], kind="linear").transitions == 1
    # a path inside one region, and one that turns back
    assert regions_along(ABS, [[1], [2]]).transitions == 0
    back = regions_along(ABS, [["1/3"], [-1], [1]])
    assert [(s, t) for s, t, _ in back.breakpoints] == [(0, Fraction(1, 4)), (1, Fraction(1, 2))]


def test_several_units_switch_at_once_and_polyline_joins():
    # relu(x), relu(y), relu(x + y): the diagonal path crosses all three at the origin
    net = Network.from_lists(2, [([[1, 0], [0, 1], [1, 1]], [0, 0, 0], "relu"),
                                 ([[1, 2, -1]], [0], "identity")])
    path = regions_along(net, [[-1, -1], [1, 1]])
    assert path.transitions == 1 and path.breakpoints[0][1] == Fraction(1, 2)
    assert path.pieces[0].pattern[0] == (0, 0, 0) and path.pieces[1].pattern[0] == (1, 1, 1)
    # the polyline bends inside a region: no breakpoint at the bend
    bent = regions_along(net, [[1, 1], [2, 1], [2, 2]])
    assert bent.transitions == 0 and bent.pieces[0].end == (1, 1)


def test_linear_kind_merges_equal_maps():
    # 2 relu(x) - relu(2x) + relu(x - 1) = relu(x - 1): activation breaks at 0 and 1,
    # linear regions only at 1
    net = Network.from_lists(1, [([[1], [2], [1]], [0, 0, -1], "relu"),
                                 ([[2, -1, 1]], [0], "identity")])
    act = regions_along(net, [[-2], [3]])
    lin = regions_along(net, [[-2], [3]], kind="linear")
    assert act.transitions == 2   # x = 0 (two units at once) and x = 1
    assert lin.transitions == 1   # the map is 0 on x < 1, x - 1 on x > 1
    assert lin.breakpoints[0][1] == Fraction(3, 5)
    assert len(lin.pieces[0].patterns) == 2


def test_boundary_and_dead_units():
    # path along the hyperplane y = 0 of relu(y): on the boundary
    net = Network.from_lists(2, [([[1, 0], [0, 1]], [0, 0], "relu"),
                                 ([[1, 1]], [0], "identity")])
    along = regions_along(net, [[-1, 0], [1, 0]])
    assert [p.on_boundary for p in along.pieces] == [True, True]
    assert along.breakpoints[0][1] == Fraction(1, 2)
    # a dead unit (zero row) is identically zero but is no boundary
    dead = Network.from_lists(1, [([[0], [1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    path = regions_along(dead, [[-1], [1]])
    assert path.transitions == 1 and not any(p.on_boundary for p in path.pieces)


def _random_net(n, widths, seed, scale=None):
    rng = np.random.default_rng(seed)
    layers, d = [], n
    for w in widths:
        W, b = rng.integers(-3, 4, size=(w, d)), rng.integers(-2, 3, size=w)
        if scale:
            W, b = W / scale, b / scale
        layers.append((W.tolist(), b.tolist(), "relu"))
        d = w
    layers.append((rng.integers(-3, 4, size=(1, d)).tolist(), [0], "identity"))
    return Network.from_lists(n, layers)


def _met_patterns(regions, p, q):
    """Activation regions whose cell meets the segment p -> q in an interval of positive
    length (the enumeration restricted to the segment), as (t_lo, pattern), sorted."""
    p, q = np.array(p, dtype=object), np.array(q, dtype=object)
    d = q - p
    out = []
    for r in regions:
        cell = r.cells[0]
        lo, hi = Fraction(0), Fraction(1)
        for a, b in zip(cell.A, cell.b, strict=True):
            ad, slack = a.dot(d), b - a.dot(p)
            if ad > 0:
                hi = min(hi, slack / ad)
            elif ad < 0:
                lo = max(lo, slack / ad)
            elif slack < 0:
                hi = Fraction(-1)
        if lo < hi:
            out.append((lo, r.pattern))
    return sorted(out)


@pytest.mark.parametrize("n, widths, seed", [(2, (5, 4), 0), (2, (6, 3), 1), (3, (4, 4), 2)])
def test_against_the_enumeration_restricted_to_the_segment(n, widths, seed):
    net = _random_net(n, widths, seed)
    rng = np.random.default_rng(100 + seed)
    p = [Fraction(int(v), 7) for v in rng.integers(-14, 15, size=n)]
    q = [Fraction(int(v), 5) for v in rng.integers(-10, 11, size=n)]
    path = regions_along(net, [p, q])
    regions = activation_regions(net, "box:-3,3")
    met = _met_patterns(regions, p, q)
    assert [pat for _, pat in met] == [pc.pattern for pc in path.pieces]
    assert [t for t, _ in met[1:]] == [t for _, t, _ in path.breakpoints]
    assert len(path.pieces) >= 2


@pytest.mark.parametrize("seed", [3, 4])
def test_against_dense_sampling(seed):
    net = _random_net(2, (6, 5), seed)
    p, q = [Fraction(-2), Fraction(1, 3)], [Fraction(2), Fraction(-1, 2)]
    path = regions_along(net, [p, q])
    ts = [Fraction(k, 4001) for k in range(1, 4001)]
    seen = []
    for t in ts:
        x = [a + t * (b - a) for a, b in zip(p, q, strict=True)]
        pat = net.patterns(x)
        if not seen or seen[-1] != pat:
            seen.append(pat)
        piece = next(pc for pc in path.pieces if pc.start[1] <= t <= pc.end[1])
        # the piece's affine map is the network's value along it
        y = piece.weight.dot(np.array(x, dtype=object)) + piece.bias
        assert y.tolist() == net.forward(x).tolist()
    assert seen == [pc.pattern for pc in path.pieces]


def test_float_network_is_decided_exactly():
    net = _random_net(2, (5, 4), 5, scale=7)
    assert not net.exact_input
    p, q = [-1.5, 0.25], [2.0, -0.75]
    fl = regions_along(net, [p, q])
    ex = regions_along(net, [p, q], exact=True)
    assert not fl.arith.exact and fl.info == {"decided": "exact"}
    assert [pc.pattern for pc in fl.pieces] == [pc.pattern for pc in ex.pieces]
    assert [float(t) for _, t, _ in ex.breakpoints] == [t for _, t, _ in fl.breakpoints]
    regions = activation_regions(net, "box:-3,3", exact=True)
    met = _met_patterns(regions, [Fraction(v) for v in p], [Fraction(v) for v in q])
    assert [pat for _, pat in met] == [pc.pattern for pc in ex.pieces]


def test_bad_input():
    with pytest.raises(TropnetError, match="at least two"):
        regions_along(ABS, [[0]])
    with pytest.raises(TropnetError, match="coordinates"):
        regions_along(ABS, [[0], [1, 2]])
    with pytest.raises(TropnetError, match="length zero"):
        regions_along(ABS, [[1], [1]])
    with pytest.raises(TropnetError, match="kind"):
        regions_along(ABS, [[0], [1]], kind="cells")


def test_cli(tmp_path, capsys):
    f = tmp_path / "abs.json"
    f.write_text(json.dumps(ABS.to_dict()))
    assert main(["path", str(f), "--points=-1;1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["transitions"] == 1 and out["breakpoints"][0]["t"] == "1/2"
    assert out["exact"] is True and out["pieces"][0]["pattern"] == [[0, 1], []]
    assert main(["path", str(f), "--points=-1;1", "--kind", "linear", "--float",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"] is False and out["breakpoints"][0]["t"] == 0.5
    assert main(["path", str(f), "--points=1,2;3"]) == 2
    assert "coordinates" in capsys.readouterr().err

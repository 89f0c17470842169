"""The planar engine (issue 14 §2): activation regions of networks with two inputs on a
bounded 2-D domain, by a planar subdivision split by each unit's line in turn.

Hand-worked counts, agreement with the vertex engine (patterns, polygons, maps) on random
and degenerate networks in exact and float mode, certified float on nearly degenerate
networks, and the hook in ``choose_engine`` / ``activation_regions``.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import (
    NearDegeneracyWarning,
    Network,
    TropnetError,
    activation_regions,
    linear_regions,
)
from tropnet.arithmetic import EXACT, FLOAT
from tropnet.domain import box, parse_domain, polytope
from tropnet.engines import enumerate as enumeration
from tropnet.engines.patterns import pattern_cell
from tropnet.engines.planar import planar_count, planar_regions, planar_support
from tropnet.engines.stream import stream_activation_regions
from tropnet.io import load_network

NETS = Path(__file__).resolve().parent.parent / "benchmarks" / "nets"
TRIANGLE = polytope([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])  # x >= 0, y >= 0, x + y <= 1


def relu_net(rows: list, out: int = 1, second: list | None = None) -> Network:
    """One ReLU layer with units ``(w1, w2, b)`` (and a second one), then a sum."""
    layers = [([r[:2] for r in rows], [r[2] for r in rows], "relu")]
    width = len(rows)
    if second is not None:
        layers.append(([r[:-1] for r in second], [r[-1] for r in second], "relu"))
        width = len(second)
    layers.append(([[1] * width] * out, [0] * out, "identity"))
    return Network.from_lists(2, layers)


def patterns(rs) -> list:
    return sorted(r.pattern for r in rs)


def vertices(poly) -> list:
    return sorted(map(tuple, poly.vertices().tolist()))


# -- hand-worked counts ----------------------------------------------------------------------
HAND = [
    ("x = 0, y = 0: the quadrants", [[1, 0, 0], [0, 1, 0]], "box:-1,1", 4),
    ("three lines in general position, all crossings inside", [[1, 0, 0], [0, 1, 0],
                                                               [1, 1, Fraction(-1, 2)]],
     "box:-1,1", 7),
    ("three parallel lines", [[1, 0, Fraction(1, 2)], [1, 0, 0], [2, 0, -1]], "box:-1,1", 4),
    ("a repeated unit and a zero row", [[1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1]],
     "box:-1,1", 2),
    ("the diagonals, through the corners", [[1, 1, 0], [1, -1, 0]], "box:-1,1", 4),
    ("a line along a side of the box", [[1, 0, -1], [0, 1, 0]], "box:-1,1", 2),
    ("a line missing the box", [[1, 0, 5], [0, 1, 0]], "box:-1,1", 2),
    ("lines crossing inside a triangle", [[4, 0, -1], [0, 4, -1]], TRIANGLE, 4),
    ("lines crossing on the triangle's side", [[2, 0, -1], [0, 2, -1]], TRIANGLE, 3),
    ("three lines through one point", [[1, 0, 0], [0, 1, 0], [1, 1, 0]], "box:-1,1", 6),
]


@pytest.mark.parametrize(("what", "rows", "domain", "count"), HAND, ids=[h[0] for h in HAND])
@pytest.mark.parametrize("exact", [True, False])
def test_hand_worked_counts(what, rows, domain, count, exact):
    net = relu_net(rows)
    rs = planar_regions(net, domain, exact)
    assert rs.count == count
    assert planar_count(net, domain, exact)[0] == count
    assert patterns(rs) == patterns(activation_regions(net, domain, "vertex", exact))
    assert rs.engine == "planar" and rs.arith.exact == exact


def test_two_layers_fold_the_line():
    """relu(|x| - 1/2) after relu(x), relu(-x): four strips of [-1, 1]^2, cut at x = 0 and
    |x| = 1/2, and the patterns say which."""
    net = relu_net([[1, 0, 0], [-1, 0, 0]], second=[[1, 1, Fraction(-1, 2)]])
    rs = planar_regions(net, "box:-1,1")
    by_x = sorted((r.interior_point[0], r.pattern) for r in rs)
    assert [p for _, p in by_x] == [((0, 1), (1,), ()), ((0, 1), (0,), ()),
                                    ((1, 0), (0,), ()), ((1, 0), (1,), ())]


def test_a_net_without_hidden_relu_is_one_region():
    net = Network.from_lists(2, [([[1, 2], [3, 4]], [0, 1], "identity"),
                                 ([[1, 1]], [0], "identity")])
    for exact in (True, False):
        rs = planar_regions(net, "box:0,1", exact)
        assert rs.count == 1 and rs.regions[0].pattern == ((), ())
        assert list(rs.regions[0].weight[0]) == [4, 6] and rs.regions[0].bias[0] == 1


# -- exact geometry ---------------------------------------------------------------------------
def test_exact_regions_equal_the_vertex_engines():
    """Exact mode: the same patterns, the same polygons (exact vertices) and the same maps
    (exact Fractions, equal to the pattern's map) as the vertex engine."""
    rng = np.random.default_rng(3)
    for k in range(6):
        net = _random_net(rng, [2, 4, 3, 2], "leaky_relu" if k % 2 else "relu", 3)
        dom = "box:-1,2" if k % 3 else TRIANGLE
        ours = {r.pattern: r for r in planar_regions(net, dom, True)}
        theirs = {r.pattern: r for r in activation_regions(net, dom, "vertex", True)}
        assert ours.keys() == theirs.keys()
        for pat, r in ours.items():
            assert all(isinstance(v, Fraction) for v in r.interior_point)
            assert r.cells[0].contains(r.interior_point, strict=True)
            assert vertices(r.cells[0]) == vertices(theirs[pat].cells[0])
            _, J, c = pattern_cell(net, pat, parse_domain(dom, 2), EXACT)
            assert r.weight.tolist() == J.tolist() and r.bias.tolist() == c.tolist()


def test_float_maps_and_error_bounds():
    """Float mode: every exact map entry lies within ``map_error`` of the float map, and the
    polygons are those of the vertex engine (up to round-off)."""
    rng = np.random.default_rng(4)
    for k in range(4):
        net = _random_net(rng, [2, 5, 4, 1], "leaky_relu" if k % 2 else "relu", None)
        dom = box(-1, 1) if k % 2 else polytope([[1, 1], [-1, 0], [0, -1], [1, -2]],
                                               [2, 1, 1, 3])
        theirs = {r.pattern: r for r in activation_regions(net, dom, "vertex", False)}
        rs = planar_regions(net, dom, False)
        assert {r.pattern for r in rs} == theirs.keys()
        for r in rs:
            _, J, c = pattern_cell(net, r.pattern, dom, EXACT)
            exact = np.array([float(abs(Fraction(m) - v)) for m, v in
                              zip([*r.weight.reshape(-1), *r.bias],
                                  [*J.reshape(-1), *c], strict=True)])
            assert np.all(exact <= r.map_error)
            assert np.allclose(np.sort(r.cells[0].vertices(), axis=0),
                               np.sort(theirs[r.pattern].cells[0].vertices(), axis=0),
                               atol=1e-9)


# -- random and degenerate networks ------------------------------------------------------------
def _random_net(rng: np.random.Generator, dims: list[int], act: str, den: int | None
                ) -> Network:
    """Weights ``k/den`` (floats from a normal distribution when ``den`` is None)."""
    layers = []
    for i in range(len(dims) - 1):
        if den is None:
            w = rng.normal(size=(dims[i + 1], dims[i])).tolist()
            b = rng.normal(0, 0.5, size=dims[i + 1]).tolist()
        else:
            w = [[Fraction(int(v), den) for v in row]
                 for row in rng.integers(-2 * den, 2 * den + 1, size=(dims[i + 1], dims[i]))]
            b = [Fraction(int(v), den) for v in rng.integers(-den, den + 1, size=dims[i + 1])]
        last = i == len(dims) - 2
        spec: dict = {"weight": w, "bias": b, "activation": "identity" if last else act}
        if not last and act == "leaky_relu":
            spec["slope"] = Fraction(1, 4)
        layers.append(spec)
    return Network.from_lists(dims[0], layers)


@st.composite
def degenerate_nets(draw):
    """Small networks with integer or k/2 weights (lines through vertices of the
    subdivision and through the box's corners are common), plus a repeated unit, a zero
    row, a parallel (scaled) row or a unit through a corner, and an identity layer."""
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    act = draw(st.sampled_from(["relu", "leaky_relu", "identity-relu"]))
    net = _random_net(rng, [2, *widths, 1], "leaky_relu" if act == "leaky_relu" else "relu",
                      draw(st.sampled_from([1, 2])))
    first = net.layers[0]
    W, b = [list(r) for r in first.weight], list(first.bias)
    extra = draw(st.sampled_from(["repeat", "zero", "parallel", "corner", "none"]))
    if extra == "repeat":
        W.append(list(W[0]))
        b.append(b[0])
    elif extra == "zero":
        W.append([Fraction(0), Fraction(0)])
        b.append(Fraction(draw(st.sampled_from([0, 1]))))
    elif extra == "parallel":
        W.append([3 * v for v in W[0]])
        b.append(3 * b[0] + 1)
    elif extra == "corner":  # x + y = 2 touches the corner (1, 1); x - y = 0 two corners
        W += [[Fraction(1), Fraction(1)], [Fraction(1), Fraction(-1)]]
        b += [Fraction(-2), Fraction(0)]
    layers = [{"weight": W, "bias": b, **first.act.to_dict()}]
    for layer in net.layers[1:]:
        Wl = [list(r) + [Fraction(1)] * (len(W) - first.units) if layer is net.layers[1]
              else list(r) for r in layer.weight]
        layers.append({"weight": Wl, "bias": list(layer.bias), **layer.act.to_dict()})
    if act == "identity-relu":  # an identity hidden layer in front
        layers.insert(0, {"weight": [[1, 1], [1, -1]], "bias": [0, 0],
                          "activation": "identity"})
    return Network.from_lists(2, layers)


DOMAINS = [box(-1, 1), box([-1, 0], [2, 1]), TRIANGLE,
           polytope([[1, 1], [-1, 0], [0, -1], [1, -2]], [2, 1, 1, 3])]


@settings(max_examples=40)
@given(net=degenerate_nets(), dom=st.sampled_from(DOMAINS))
def test_degenerate_nets_agree_with_the_vertex_engine(net, dom):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        want = patterns(activation_regions(net, dom, "vertex", True))
        for exact in (True, False):
            rs = planar_regions(net, dom, exact)
            assert patterns(rs) == want
            assert planar_count(net, dom, exact)[0] == len(want)
            assert all(r.cells[0].contains(r.interior_point, strict=True) for r in rs)


@settings(max_examples=15)
@given(seed=st.integers(0, 10**6), widths=st.lists(st.integers(2, 8), min_size=1, max_size=3),
       dom=st.sampled_from(DOMAINS))
def test_random_float_nets_agree_with_the_vertex_engine(seed, widths, dom):
    net = _random_net(np.random.default_rng(seed), [2, *widths, 1], "relu", None)
    want = patterns(activation_regions(net, dom, "vertex", False))
    rs = planar_regions(net, dom, False)
    assert patterns(rs) == want
    assert patterns(planar_regions(net, dom, True)) == want


def test_shared_net_c_on_the_box():
    """Net C of shared/benchmarks has 1340 activation regions in [-1, 1]^2."""
    net = load_network(NETS / "C.json")
    assert planar_count(net, "box:-1,1", False)[0] == 1340
    assert planar_count(net, "box:-1,1", True)[0] == 1340


# -- certified float ---------------------------------------------------------------------------
def test_near_degenerate_float_net_is_decided_exactly():
    """Float lines through one point up to round-off: x = 0.1, y = 0.3, and two more lines
    through (0.1, 0.3) in real numbers but not quite in floats. The float count is the exact
    count of the float weights, found with exact fallbacks and a warning."""
    a, b = 0.1, 0.3
    rows = [[1.0, 0.0, -a], [0.0, 1.0, -b], [b, a, -2 * a * b], [1.0, 1.0, -(a + b)]]
    net = Network.from_lists(2, [([r[:2] for r in rows], [r[2] for r in rows], "relu"),
                                 ([[1.0] * 4], [0.0], "identity")])
    want = planar_regions(net, "box:-1,1", True)
    assert patterns(want) == patterns(activation_regions(net, "box:-1,1", "vertex", True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NearDegeneracyWarning)
        rs = planar_regions(net, "box:-1,1", False)
    assert patterns(rs) == patterns(want)
    assert rs.info["exact_fallbacks"] > 0
    assert any(issubclass(w.category, NearDegeneracyWarning) for w in caught)


@pytest.mark.parametrize("eps", [1e-13, 1e-17])
def test_tiny_bias_thin_regions(eps):
    """Units x, x + eps and y: the strip -eps < x < 0 is a region of its own however thin,
    so 3 strips times 2 halves."""
    net = Network.from_lists(2, [([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [0.0, eps, 0.0],
                                  "relu"), ([[1.0, -2.0, 1.0]], [0.0], "identity")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        rs = planar_regions(net, "box:-1,1", False)
        assert rs.count == 6
        assert patterns(rs) == patterns(planar_regions(net, "box:-1,1", True))


# -- the hook ------------------------------------------------------------------------------------
def test_auto_chooses_planar_where_it_applies():
    net2 = relu_net([[1, 0, 0], [0, 1, 0]])
    box2 = parse_domain("box:-1,1", 2)
    assert enumeration.choose_engine("auto", box2, net2) == "planar"
    assert enumeration.choose_engine("auto", TRIANGLE, net2) == "planar"
    assert enumeration.choose_engine("auto", box2) == "vertex"  # walkers: no net, no planar
    assert enumeration.choose_engine("auto", parse_domain(None, 2), net2) == "vertex"
    net3 = Network.from_lists(3, [([[1, 0, 0]], [0], "relu"), ([[1]], [0], "identity")])
    assert enumeration.choose_engine("auto", parse_domain("box:-1,1", 3), net3) == "vertex"
    maxout = Network.from_lists(2, [{"weight": [[1, 0], [0, 1]], "bias": [0, 0],
                                     "activation": "maxout", "rank": 2},
                                    ([[1]], [0], "identity")])
    assert enumeration.choose_engine("auto", box2, maxout) == "vertex"
    assert activation_regions(net2, "box:-1,1").engine == "planar"
    assert activation_regions(net2).engine == "batch"  # R^2 is unbounded: the batch engine


@pytest.mark.parametrize(("net", "domain", "reason"), [
    (Network.from_lists(3, [([[1, 0, 0]], [0], "relu"), ([[1]], [0], "identity")]),
     "box:-1,1", "input dimension 2"),
    (relu_net([[1, 0, 0], [0, 1, 0]]), None, "bounded domain"),
    (relu_net([[1, 0, 0], [0, 1, 0]]), polytope([[1, 0]], [1]), "bounded domain"),
    (Network.from_lists(2, [{"weight": [[1, 0], [0, 1]], "bias": [0, 0],
                             "activation": "maxout", "rank": 2},
                            ([[1]], [0], "identity")]), "box:-1,1", "maxout"),
])
def test_planar_refuses_what_it_cannot_do(net, domain, reason):
    dom = parse_domain(domain, net.input_dim)
    assert reason in planar_support(net, dom)
    with pytest.raises(TropnetError, match=reason):
        activation_regions(net, domain, "planar")
    with pytest.raises(TropnetError, match=reason):
        planar_count(net, domain)


def test_walkers_given_planar_walk_with_the_vertex_engine():
    """The stream walks regions one at a time: engine='planar' walks with the vertex engine
    (the same regions) when it passes them on, and counts the planar faces when it counts."""
    net = load_network(NETS / "A.json")
    found = []
    summary = stream_activation_regions(net, "box:-1,1", "planar", False, sink=found.append)
    assert summary.count == len(found) == 38 and summary.engine == "vertex"
    summary = stream_activation_regions(net, "box:-1,1", "planar", False)
    assert summary.count == 38 and summary.engine == "planar"


def test_downstream_linear_regions_and_graph():
    """Linear regions glued from planar cells equal the tropical method's; the region graph
    of planar regions equals the vertex engine's (certified, on exact cells)."""
    net = load_network(NETS / "A.json")
    for exact in (True, False):
        assert linear_regions(net, "box:-1,1", method="enumerate", exact=exact).count == \
            linear_regions(net, "box:-1,1", method="tropical", exact=exact).count
    ours = activation_regions(net, "box:-1,1", "planar", False)
    theirs = activation_regions(net, "box:-1,1", "vertex", False)
    edges = {frozenset((ours.regions[i].pattern, ours.regions[j].pattern))
             for i, j in ours.graph.edges}
    assert edges == {frozenset((theirs.regions[i].pattern, theirs.regions[j].pattern))
                     for i, j in theirs.graph.edges}
    assert ours.count == 38 and len(edges) > 38


def test_progress_and_float_arithmetic():
    seen: list[int] = []
    net = relu_net([[1, 0, 0], [0, 1, 0]], second=[[1, 1, -1]])
    rs = planar_regions(net, "box:-1,1", FLOAT, progress=seen.append)
    assert seen == [4, rs.count, rs.count] and rs.count == 5 and "exact_fallbacks" in rs.info

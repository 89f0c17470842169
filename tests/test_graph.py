"""Region graphs (:mod:`tropnet.engines.graph`): hand-worked graphs, and agreement with an
independent check, one exact LP per candidate pair (the old method, kept here only as an
oracle), on random networks in exact and float mode, for activation and linear regions,
on boxes and on ``R^n``."""

from __future__ import annotations

import warnings
from collections import defaultdict
from fractions import Fraction
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import (
    NearDegeneracyWarning,
    Network,
    TropnetError,
    activation_regions,
    linear_regions,
    parse,
)
from tropnet.arithmetic import EXACT, FLOAT
from tropnet.engines import graph
from tropnet.engines.graph import cells_by_pattern, region_graph
from tropnet.engines.patterns import read_in
from tropnet.polyhedra import Polyhedron, facet_adjacent

from .helpers import random_net


def oracle(cells: list) -> set[tuple[int, int]]:
    """Edges by the old method in exact arithmetic: candidate cell pairs carry one
    hyperplane with opposite orientations; each is confirmed by ``dim(P ∩ Q) = n - 1``,
    an exact LP computation (:meth:`Polyhedron.dimension`)."""
    polys, owner = [], []
    sides: dict[tuple, dict[int, set[int]]] = defaultdict(lambda: {1: set(), -1: set()})
    for ri, region in enumerate(cells):
        for poly in region:
            exact = Polyhedron.from_inequalities(poly.A, poly.b, EXACT, poly.n)
            for r in range(len(exact)):
                key = EXACT.hyperplane_key(exact.A[r], exact.b[r])
                if key is not None:
                    sides[key[0]][key[1]].add(len(polys))
            polys.append(exact)
            owner.append(ri)
    edges = set()
    for side in sides.values():
        for a in side[1]:
            for b in side[-1]:
                e = (min(owner[a], owner[b]), max(owner[a], owner[b]))
                if e[0] != e[1] and e not in edges and facet_adjacent(polys[a], polys[b]):
                    edges.add(e)
    return edges


def edges(g: nx.Graph) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in g.edges()}


def exact_twin(rs, net: Network):
    """The same activation regions in exact arithmetic (on the float input's rationals)."""
    return activation_regions(net, read_in(rs.domain, rs.arith), exact=True)


def relu_net(units: list[list], out: list | None = None, n: int = 2) -> Network:
    """One ReLU layer with rows ``[w..., b]`` and a summing (or ``out``) output."""
    w = [row[:n] for row in units]
    b = [row[n] for row in units]
    return Network.from_lists(n, [(w, b, "relu"), ([out or [1] * len(units)], [0], "identity")])


def cells(*regions: list[list]) -> SimpleNamespace:
    """A hand-made set of regions: each region a list of cells, each cell a list of rows
    ``[a..., b]`` meaning ``a . x <= b`` (exact)."""
    def poly(rows: list) -> Polyhedron:
        return Polyhedron.from_inequalities([r[:-1] for r in rows], [r[-1] for r in rows],
                                            EXACT)
    return SimpleNamespace(regions=[SimpleNamespace(cells=tuple(poly(c) for c in region))
                                    for region in regions])


# -- hand-worked graphs -------------------------------------------------------------------
def test_quadrants_form_a_four_cycle():
    rs = linear_regions(parse("max(0, x) + max(0, y)"))
    g = region_graph(rs)
    # the maps 0, x, y, x + y: each differs from its two neighbours in one unit
    maps = {i: tuple(int(v) for v in rs.regions[i].weight.reshape(-1)) for i in range(4)}
    named = {(maps[a], maps[b]) for a, b in g.edges()} | {(maps[b], maps[a])
                                                         for a, b in g.edges()}
    assert g.number_of_edges() == 4
    assert ((0, 0), (1, 1)) not in named and ((1, 0), (0, 1)) not in named
    assert ((0, 0), (1, 0)) in named and ((0, 1), (1, 1)) in named


@pytest.mark.parametrize("exact", [True, False])
def test_quadrants_as_a_network_in_both_arithmetics(exact):
    one = 1 if exact else 1.0
    net = relu_net([[one, 0, 0], [0, one, 0]])
    rs = activation_regions(net, "box:-1,1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # integers as floats: no round-off, no warning
        g = region_graph(rs)
        assert g.number_of_edges() == 4 and all(d == 2 for _, d in g.degree())
        assert edges(region_graph(rs, cells_by_pattern(rs, exact_twin(rs, net)))) == edges(g)
    flips = {(a, b) for a in range(4) for b in range(4) if a < b and sum(
        x != y for x, y in zip(rs.regions[a].pattern[0], rs.regions[b].pattern[0],
                               strict=True)) == 1}
    assert edges(g) == flips


@pytest.mark.parametrize("domain", [None, "box:-3,3"])
def test_three_generic_lines(domain):
    # x = 0, y = 0, x + y = 1: 7 regions; each line is cut into 3 edges by the other two
    rs = activation_regions(relu_net([[1, 0, 0], [0, 1, 0], [1, 1, -1]]), domain)
    g = region_graph(rs)
    assert (rs.count, g.number_of_edges()) == (7, 9)
    assert edges(g) == oracle([r.cells for r in rs])


def test_concurrent_lines_form_a_cycle():
    # x = 0, y = 0, x + y = 0 through one point: 6 sectors, each adjacent to 2 only
    rs = activation_regions(relu_net([[1, 0, 0], [0, 1, 0], [1, 1, 0]]))
    g = region_graph(rs)
    assert rs.count == 6 and g.number_of_edges() == 6
    assert nx.is_isomorphic(g, nx.cycle_graph(6))


def test_four_lines_on_a_box_and_in_the_plane():
    net = relu_net([[1, 0, 0], [0, 1, 0], [1, 1, -1], [1, -1, Fraction(1, 2)]])
    plane = region_graph(activation_regions(net))
    assert plane.number_of_nodes() == 11 and plane.number_of_edges() == 16
    # the box [-1/4, 1/4]^2 holds the vertex of x = 0 and y = 0 only: 4 quadrants
    small = activation_regions(net, "box:-1/4,1/4")
    assert small.count == 4 and region_graph(small).number_of_edges() == 4


def test_one_input_gives_a_path():
    net = Network.from_lists(1, [([[1], [1], [1]], [0, -1, -2], "relu"),
                                 ([[1, 1, 1]], [0], "identity")])
    rs = activation_regions(net)
    g = region_graph(rs)
    assert rs.count == 4 and nx.is_isomorphic(g, nx.path_graph(4))
    inside = activation_regions(net, "box:1/2,3/2")  # x = 1 only
    assert inside.count == 2 and region_graph(inside).number_of_edges() == 1


@pytest.mark.parametrize("domain", [None, "box:-1,1"])
def test_octants_form_a_cube(domain):
    net = relu_net([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], n=3)
    rs = activation_regions(net, domain)
    g = region_graph(rs)
    assert rs.count == 8 and nx.is_isomorphic(g, nx.hypercube_graph(3))
    # opposite octants (3 flips) and octants meeting along an axis (2 flips) are not joined
    for a, b in g.edges():
        assert sum(x != y for x, y in zip(rs.regions[a].pattern[0], rs.regions[b].pattern[0],
                                          strict=True)) == 1


def test_cells_containing_lines():
    # a 3-input net ignoring x3: prisms over the 2-D regions, with a line along x3
    units = [[1, 0, 0], [0, 1, 0], [1, 1, -1], [1, -1, Fraction(1, 2)]]
    flat = region_graph(activation_regions(relu_net(units)))
    rs = activation_regions(relu_net([[a, b, 0, c] for a, b, c in units], n=3))
    assert nx.is_isomorphic(region_graph(rs), flat)
    assert edges(region_graph(rs)) == oracle([r.cells for r in rs])


def test_one_flipped_unit_is_not_always_a_facet():
    # z1 = y (unit u), and x, y carried through two units that stay active on the box;
    # z2 = x + y - 2 relu(y), z3 = -x + y - 2 relu(y). The regions P = {y < 0, x + y < 0,
    # y < x} and Q = {y > 0, x < y, -x < y} have patterns differing in u only, but meet at
    # the origin alone: they must not be joined.
    layer1 = ([[0, 1], [1, 0], [0, 1]], [0, 10, 10], "relu")
    layer2 = ([[-2, 1, 1], [-2, -1, 1]], [-20, 0], "relu")
    net = Network.from_lists(2, [layer1, layer2, ([[1, 1]], [0], "identity")])
    rs = activation_regions(net, "box:-1,1")
    index = {r.pattern: i for i, r in enumerate(rs)}
    p, q = index[((0, 1, 1), (0, 0), ())], index[((1, 1, 1), (0, 0), ())]
    g = region_graph(rs)
    assert not g.has_edge(p, q)
    assert edges(g) == oracle([r.cells for r in rs])


def test_linear_regions_with_several_cells():
    # relu(y + relu(x)) on the box: the map 0 holds on {x < 0, y < 0} and on
    # {x > 0, x + y < 0}, glued along x = 0; with {x < 0 < y} (map y) and {x > 0, x + y > 0}
    # (map x + y) the three linear regions are pairwise adjacent
    layer1 = ([[1, 0], [0, 1]], [0, 10], "relu")
    net = Network.from_lists(2, [layer1, ([[1, 1]], [-10], "relu"),
                                 ([[1]], [0], "identity")])
    rs = linear_regions(net, "box:-1,1")
    assert rs.count == 3 and sorted(len(r.cells) for r in rs) == [1, 1, 2]
    g = region_graph(rs)
    assert nx.is_isomorphic(g, nx.complete_graph(3)) and nx.number_of_selfloops(g) == 0
    assert edges(g) == oracle([r.cells for r in rs])
    # ignoring y's unit: two linear regions {x < 0} and {x > 0}, two cells each
    halves = linear_regions(relu_net([[1, 0, 0], [0, 1, 0]], out=[1, 0]), "box:-1,1")
    assert [len(r.cells) for r in halves] == [2, 2]
    assert edges(region_graph(halves)) == {(0, 1)}


def test_regionset_graph_and_bad_arguments():
    rs = activation_regions(relu_net([[1, 0, 0], [0, 1, 0]]))
    assert edges(rs.graph) == edges(region_graph(rs))
    with pytest.raises(TropnetError, match="exact cells"):
        region_graph(rs, [r.cells for r in rs][:2])
    other = activation_regions(relu_net([[1, 0, 0], [0, 1, -1]]), exact=True)
    one = activation_regions(relu_net([[1, 0, 0]]), exact=True)
    with pytest.raises(TropnetError, match="patterns"):
        cells_by_pattern(other, one)


# -- hand-made subdivisions: partial overlaps, slivers, lower-dimensional contacts -----------
BOX3 = [[-1, 0, 0, 0], [1, 0, 0, 2], [0, -1, 0, 0], [0, 1, 0, 2], [0, 0, -1, 1],
        [0, 0, 1, 1]]  # [0, 2] x [0, 2] x [-1, 1]


def test_facets_that_overlap_in_part():
    # below z = 0 the box is cut at x = 1, above it at y = 1: every cell below meets every
    # cell above in a quarter of the square z = 0, and the four cells are pairwise adjacent
    below = [[0, 0, 1, 0]]
    above = [[0, 0, -1, 0]]
    rs = cells([BOX3 + below + [[1, 0, 0, 1]]], [BOX3 + below + [[-1, 0, 0, -1]]],
               [BOX3 + above + [[0, 1, 0, 1]]], [BOX3 + above + [[0, -1, 0, -1]]])
    assert nx.is_isomorphic(region_graph(rs), nx.complete_graph(4))
    # above cut twice, at y = 1 and y = 1/2 (a facet inside the one below): a star and a path
    rs = cells([BOX3 + below], [BOX3 + above + [[0, 1, 0, Fraction(1, 2)]]],
               [BOX3 + above + [[0, -1, 0, -Fraction(1, 2)], [0, 1, 0, 1]]],
               [BOX3 + above + [[0, -1, 0, -1]]])
    assert edges(region_graph(rs)) == {(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)}


def test_cells_touching_along_a_line_or_at_a_point():
    # x <= 0, z <= 0 and x >= 0, z >= 0 (each with the redundant row on x + z = 0): their
    # "facets" on x + z = 0 are the same segment (or line), of dimension n - 2: no edge
    cube = [[1, 0, 0, 1], [-1, 0, 0, 1], [0, 1, 0, 1], [0, -1, 0, 1], [0, 0, 1, 1],
            [0, 0, -1, 1]]
    for bound in ([], cube):
        rs = cells([[*bound, [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0]]],
                   [[*bound, [-1, 0, 0, 0], [0, 0, -1, 0], [-1, 0, -1, 0]]])
        assert region_graph(rs).number_of_edges() == 0
    flat = cells([[[1, 0, 0], [0, 1, 0], [1, 1, 0]]], [[[-1, 0, 0], [0, -1, 0], [-1, -1, 0]]])
    assert region_graph(flat).number_of_edges() == 0
    # in R^4 the common face is a square (four vertices, as many as a facet needs)
    tesseract = [[s * int(i == j) for j in range(4)] + [1] for i in range(4) for s in (1, -1)]
    rs = cells([[*tesseract, [1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 0, 0, 0]]],
               [[*tesseract, [-1, 0, 0, 0, 0], [0, -1, 0, 0, 0], [-1, -1, 0, 0, 0]]])
    assert region_graph(rs).number_of_edges() == 0


@pytest.mark.parametrize("eps", [Fraction(1, 10**20), Fraction(-1, 10**20)])
def test_a_sliver_of_width_1e_20(eps):
    # below y = 0 cut at x = 1, above it at x = 1 + eps: the cells (x > 1, below) and
    # (x < 1 + eps, above) share the facet 1 < x < 1 + eps when eps > 0 (then the other
    # diagonal pair only touches), and the diagonal roles swap when eps < 0; the two ends
    # are closer than float resolution and are ordered exactly
    rs = cells([[[1, 0, 1], [0, 1, 0]]], [[[-1, 0, -1], [0, 1, 0]]],
               [[[1, 0, 1 + eps], [0, -1, 0]]], [[[-1, 0, -1 - eps], [0, -1, 0]]])
    diagonal = (1, 2) if eps > 0 else (0, 3)
    assert edges(region_graph(rs)) == {(0, 1), (2, 3), (0, 2), (1, 3), diagonal}
    # the same in three dimensions (z = 0 between the halves): the facets overlap in a
    # sliver 1e-20 wide, which no row separates
    below, above = [*BOX3, [0, 0, 1, 0]], [*BOX3, [0, 0, -1, 0]]
    rs = cells([[*below, [1, 0, 0, 1]]], [[*above, [-1, 0, 0, -1 + eps]]])
    assert region_graph(rs).number_of_edges() == (1 if eps > 0 else 0)


def test_rows_equal_in_float_but_not_proportional():
    # 3x + y <= 0 and -x - fl(1/3) y <= 0 normalise to the same floats but are different
    # lines: no shared hyperplane, no edge (the float cells overlap in a thin wedge)
    square = [[1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, -1.0, 1.0]]

    def poly(rows: list) -> Polyhedron:
        return Polyhedron.from_inequalities([r[:2] for r in rows], [r[2] for r in rows],
                                            FLOAT)
    left = SimpleNamespace(cells=(poly([*square, [3.0, 1.0, 0.0]]),))
    right = SimpleNamespace(cells=(poly([*square, [-1.0, -1 / 3, 0.0]]),))
    rs = SimpleNamespace(regions=[left, right])
    assert region_graph(rs).number_of_edges() == 0
    rs.regions[1] = SimpleNamespace(cells=(poly([*square, [-3.0, -1.0, 0.0]]),))
    assert region_graph(rs).number_of_edges() == 1


@pytest.mark.parametrize("n", [3, 4])
def test_each_decision_route_alone(monkeypatch, n):
    """The shortcuts of ``n >= 3`` (equal facets, boxes, opposite hyperplanes, containment
    and separation) switched off one after the other: the exact LP then decides alone, and
    the graph stays the oracle's."""
    net = random_net(np.random.default_rng(7 + n), [n, 3, 2, 1], denominator=2)
    for domain in (None, "box:-1,1"):
        rs = activation_regions(net, domain)
        want = oracle([r.cells for r in rs])
        assert edges(region_graph(rs)) == want
        monkeypatch.setattr(graph, "_facets_meet", lambda *a: None)
        assert edges(region_graph(rs)) == want
        monkeypatch.setattr(graph, "_opposite", lambda *a: False)
        monkeypatch.setattr(graph, "_boxes_meet", lambda *a: True)
        assert edges(region_graph(rs)) == want
        monkeypatch.undo()


@given(st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=4, max_size=4),
       st.lists(st.fractions(max_denominator=10**6).map(abs), min_size=2, max_size=2))
def test_property_quotient_bounds_enclose_the_exact_quotient(mids, rads):
    num = graph.Ball(np.array([mids[0], mids[1]]), np.array([float(rads[0]), 0.0]))
    den = graph.Ball(np.array([mids[2], mids[3]]), np.array([float(rads[1]), 0.0]))
    lo, hi = graph._quotient(num, den)
    for i in range(2):
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            n, d = Fraction(mids[i]), Fraction(mids[i + 2])
            for a in (n - Fraction(float(num.rad[i])), n + Fraction(float(num.rad[i]))):
                for b in (d - Fraction(float(den.rad[i])), d + Fraction(float(den.rad[i]))):
                    assert Fraction(lo[i]) <= a / b <= Fraction(hi[i])


# -- float cells -------------------------------------------------------------------------
def test_float_cells_meet_where_the_exact_regions_do():
    """A bent hyperplane meets another one at one point exactly, but its two float rows
    (one on each side) do not: read exactly, the float cells overlap in slivers. Exact
    cells give the network's graph; the float cells alone give it too here, with a
    warning that round-off was treated as a tie."""
    rng = np.random.default_rng(1)
    net = random_net(rng, [2, 3, 3, 1], rational=False)
    rs = activation_regions(net, "box:-1,1")
    ex = exact_twin(rs, net)
    truth = oracle([r.cells for r in ex])
    by = {r.pattern: i for i, r in enumerate(ex)}
    relabel = {(min(by[rs.regions[a].pattern], by[rs.regions[b].pattern]),
                max(by[rs.regions[a].pattern], by[rs.regions[b].pattern]))
               for a, b in region_graph(rs, cells_by_pattern(rs, ex)).edges()}
    assert relabel == truth
    stored = oracle([r.cells for r in rs])  # the float cells read exactly: slivers
    assert len(stored) > len(truth)
    with pytest.warns(NearDegeneracyWarning, match="round-off"):
        g = region_graph(rs)
    assert {(min(by[rs.regions[a].pattern], by[rs.regions[b].pattern]),
             max(by[rs.regions[a].pattern], by[rs.regions[b].pattern]))
            for a, b in g.edges()} == truth


# -- agreement with the LP oracle --------------------------------------------------------
NETS = st.sampled_from([[1, 3, 2, 1], [2, 3, 1], [2, 3, 2, 1], [2, 2, 2, 1], [3, 3, 1],
                        [3, 2, 2, 1]])
ACTS = st.sampled_from(["relu", "relu", "leaky_relu", "maxout"])


@given(st.integers(0, 10**6), NETS, ACTS, st.sampled_from([None, "box:-1,1"]),
       st.sampled_from([1, 2, 4]))
def test_property_exact_graph_equals_lp_oracle(seed, dims, act, domain, den):
    """Exact mode, small denominators (coincident, parallel and concurrent hyperplanes):
    activation and linear regions."""
    net = random_net(np.random.default_rng(seed), dims, act, denominator=den)
    rs = activation_regions(net, domain)
    assert rs.arith.exact
    assert edges(region_graph(rs)) == oracle([r.cells for r in rs])
    lin = linear_regions(net, domain)
    assert edges(region_graph(lin)) == oracle([r.cells for r in lin])


@given(st.integers(0, 10**6), NETS, ACTS, st.sampled_from([None, "box:-1,1"]))
def test_property_float_graph_equals_exact_graph(seed, dims, act, domain):
    """Float mode with the exact cells: the graph of the network's regions, as the LP
    oracle finds it on the exact regions of the same float weights."""
    net = random_net(np.random.default_rng(seed), dims, act, rational=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        rs = activation_regions(net, domain)
        ex = exact_twin(rs, net)
    assert not rs.arith.exact and rs.count == ex.count
    g = region_graph(rs, cells_by_pattern(rs, ex))
    by = {r.pattern: i for i, r in enumerate(ex)}
    mapped = {(min(by[rs.regions[a].pattern], by[rs.regions[b].pattern]),
               max(by[rs.regions[a].pattern], by[rs.regions[b].pattern])) for a, b in g.edges()}
    assert mapped == oracle([r.cells for r in ex])


@given(st.integers(0, 10**6), st.sampled_from([[2, 3, 1], [2, 2, 2, 1], [3, 2, 1]]))
def test_property_integer_floats_are_exact(seed, dims):
    """Small integers written as floats: the float cells are exact, the graph has no
    warning and equals the oracle on the same cells."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(dims) - 1):
        w = rng.integers(-2, 3, size=(dims[i + 1], dims[i])).astype(float).tolist()
        b = rng.integers(-1, 2, size=dims[i + 1]).astype(float).tolist()
        layers.append((w, b, "identity" if i == len(dims) - 2 else "relu"))
    net = Network.from_lists(dims[0], layers)
    rs = activation_regions(net, "box:-2,2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NearDegeneracyWarning)
        g = region_graph(rs)
    assert edges(g) == oracle([r.cells for r in rs])

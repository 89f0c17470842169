"""Linear and activation regions: hand-worked counts and agreement between methods."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import Network, TropnetError, activation_regions, count_regions, linear_regions, parse
from tropnet.domain import box, polytope

from .helpers import random_net

ABS = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
# |x| + |y| - |x + y|: map 0 on the first and third quadrants, which touch only at a corner
CORNER = "max(x, -x) + max(y, -y) - max(x + y, -x - y)"
CORNER_NET = Network.from_lists(2, [
    ([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]], [0] * 6, "relu"),
    ([[1, 1, 1, 1, -1, -1]], [0], "identity")])


def test_max_x_y():
    assert linear_regions(parse("max(x, y)")).count == 2
    assert linear_regions(parse("max(x, y)"), box(0, 1)).count == 2
    assert linear_regions(parse("max(x, y)"), box([1, -2], [2, -1])).count == 1


def test_abs_all_methods():
    for method in ("tropical", "enumerate", "layerwise"):
        assert linear_regions(ABS, method=method).count == 2
    for engine in ("vertex", "lp"):
        rs = activation_regions(ABS, engine=engine)
        assert rs.count == 2
        assert sorted(r.pattern for r in rs) == [((0, 1), ()), ((1, 0), ())]
    assert activation_regions(ABS, "box:1,2").count == 1


def test_two_activation_regions_one_linear_region():
    # relu(x) - relu(-x) = x: two patterns, one affine map
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, -1]], [0], "identity")])
    assert activation_regions(net).count == 2
    for method in ("tropical", "enumerate", "layerwise"):
        assert linear_regions(net, method=method).count == 1


def test_corner_versus_edge_connectivity():
    r = parse(CORNER)
    assert linear_regions(r, connectivity="facet").count == 6
    assert linear_regions(r, connectivity="closure").count == 5
    assert activation_regions(CORNER_NET).count == 6
    for method in ("tropical", "enumerate", "layerwise"):
        assert linear_regions(CORNER_NET, method=method, connectivity="facet").count == 6
        assert linear_regions(CORNER_NET, method=method, connectivity="closure").count == 5
    # edge-sharing cells with one map glue under both rules: |x| on the box [-1, 1] x [0, 1]
    assert linear_regions(parse("max(x, -x)", ["x", "y"]), box([-1, 0], [1, 1])).count == 2


def test_regions_carry_maps_points_and_patterns():
    rs = activation_regions(CORNER_NET)
    for reg in rs:
        jac, off, pats = CORNER_NET.affine_map(reg.interior_point)
        assert (jac == reg.weight).all() and (off == reg.bias).all()
        assert pats == reg.pattern
        assert reg.cells[0].contains(reg.interior_point, strict=True)
    lr = linear_regions(parse(CORNER))
    for reg in lr:
        x = reg.interior_point
        assert parse(CORNER)(x) == reg.weight[0].dot(x) + reg.bias[0]


def test_polytope_domain():
    tri = polytope([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])  # x, y >= 0, x + y <= 1
    assert activation_regions(CORNER_NET, tri).count == 1
    assert linear_regions(parse(CORNER), tri).count == 1
    shifted = polytope([[-1, 0], [0, 1], [1, -1]], [1, 1, 1])  # contains the origin
    assert activation_regions(CORNER_NET, shifted).count == \
        activation_regions(CORNER_NET, shifted, engine="lp").count


@pytest.mark.parametrize("width, dim", [(3, 2), (5, 2), (4, 3), (6, 3)])
def test_one_hidden_layer_matches_zaslavsky(width, dim):
    rng = np.random.default_rng(width * 10 + dim)
    net = random_net(rng, [dim, width, 1], rational=False)
    expected = sum(comb(width, j) for j in range(dim + 1))
    assert activation_regions(net).count == expected
    assert linear_regions(net).count == expected  # generic output weights
    exact = random_net(rng, [dim, width, 1], denominator=97)
    assert activation_regions(exact, engine="lp").count == expected


def test_count_regions_dispatch():
    assert count_regions(ABS) == 2
    assert count_regions(ABS, kind="linear") == 2
    assert count_regions(CORNER_NET, kind="linear", connectivity="closure") == 5
    for kind in ("activation", "linear"):
        with pytest.raises(TropnetError, match=r"unknown option.*bogus"):
            count_regions(ABS, kind=kind, bogus=1)


def test_benchmark_net_a_known_counts():
    from tropnet import load_network

    net = load_network("benchmarks/nets/A.json")
    assert activation_regions(net).count == 111
    assert activation_regions(net, "box:-1,1").count == 38
    assert activation_regions(net, "box:-1,1", exact=True).count == 38


acts = st.sampled_from(["relu", "leaky_relu", "maxout"])


@settings(max_examples=15)
@given(st.integers(0, 10**6), acts, st.sampled_from([[1, 3, 1], [2, 3, 1], [2, 2, 2, 1],
                                                     [2, 3, 2]]))
def test_property_methods_agree(seed, activation, dims):
    rng = np.random.default_rng(seed)
    net = random_net(rng, dims, activation, rank=2, slope=Fraction(1, 3))
    dom = "box:-2,2" if seed % 2 else None
    a_vertex = activation_regions(net, dom, engine="vertex")
    a_lp = activation_regions(net, dom, engine="lp")
    assert a_vertex.count == a_lp.count
    assert sorted(r.pattern for r in a_vertex) == sorted(r.pattern for r in a_lp)
    for conn in ("facet", "closure"):
        counts = {m: linear_regions(net, dom, conn, m).count
                  for m in ("tropical", "enumerate", "layerwise")}
        assert len(set(counts.values())) == 1, counts
        assert counts["tropical"] <= a_vertex.count


@settings(max_examples=10)
@given(st.integers(0, 10**6), st.sampled_from([[2, 4, 1], [2, 3, 3, 1], [3, 3, 1]]))
def test_property_exact_equals_float(seed, dims):
    rng = np.random.default_rng(seed)
    net = random_net(rng, dims, rational=False)
    assert activation_regions(net, exact=True).count == activation_regions(net).count
    assert linear_regions(net, exact=True).count == linear_regions(net).count


def test_adjacency_graph_of_a_line_arrangement():
    # 4 generic lines: 11 regions; each line is cut into 4 edges by the other three: 16 edges
    rng = np.random.default_rng(4)
    net = random_net(rng, [2, 4, 1], denominator=13)
    rs = activation_regions(net)
    assert rs.count == 11
    assert rs.graph.number_of_edges() == 16
    corner = linear_regions(parse(CORNER))
    assert corner.graph.number_of_edges() == 6  # the six sectors form a cycle
    assert sorted(d for _, d in corner.graph.degree()) == [2] * 6


def test_float_lp_unbounded_not_reported_infeasible():
    """An unbounded LP met by the LP engine on net B (R^3): HiGHS's presolve called it
    infeasible, which dropped 8 activation regions (1315 instead of 1320)."""
    from tropnet.arithmetic import EXACT, FLOAT
    from tropnet.polyhedra import linprog

    c = [0.4889558851176914, 0.03243296494601821, -0.2387899372322263]
    A = [[0.2821683112435684, 0.6708484049968816, 0.2698007429154901],
         [1.0640234240162014, -0.7392199696614589, -0.36446331214829103],
         [-0.4384204807897534, 0.4744809451915244, 0.29767211498655916],
         [0.24015817785897278, 0.023206662856650833, 0.4463892843178486]]
    b = [-1.0589193775255241, -0.5560103813461407, 0.18880250356349904, -1.0213858037461652]
    exact = linprog([Fraction(v) for v in c], [[Fraction(v) for v in r] for r in A],
                    [Fraction(v) for v in b], EXACT)
    assert exact.status == "unbounded"
    assert linprog(c, A, b, FLOAT).status == "unbounded"


def test_float_enumerate_warns_when_a_cell_map_is_wrong(monkeypatch):
    """A region whose map disagrees with the function at its interior point is reported
    (a last check of float results; the certified float path never trips it)."""
    from tropnet import dispatch as R

    real = R.glue

    def corrupt(cells, connectivity, arith, exact_cell=None):
        regions, graph = real(cells, connectivity, arith, exact_cell)
        r = regions[0]
        return (R.Region(r.cells, r.weight + 1.0, r.bias, r.interior_point), *regions[1:]), graph

    net = Network.from_lists(1, [([[1.0], [-1.0]], [0.0, 0.0], "relu"),
                                 ([[1.0, 2.0]], [0.0], "identity")])
    assert linear_regions(net).count == 2 and linear_regions(net).warnings == ()
    monkeypatch.setattr(R, "glue", corrupt)
    rs = linear_regions(net)
    assert rs.count == 2 and len(rs.warnings) == 1 and "1 of 2 regions" in rs.warnings[0]


@pytest.mark.parametrize(("dims", "seed"), [([2, 4, 4, 1], 4), ([2, 4, 4, 1], 3),
                                            ([3, 4, 3, 1], 2)])
def test_float_graph_is_the_exact_graph(dims, seed):
    """Float results carry their exact cells, so ``graph`` is decided exactly (the old float
    graph had 100 edges instead of 48 on the first net, 687 instead of 131 on the last)."""
    import tropnet
    from benchmarks.common import he_net

    net = he_net(dims, seed)
    fl = tropnet.regions(net, kind="activation", method="enumerate")
    ex = tropnet.regions(net, kind="activation", method="enumerate", exact=True)
    assert not fl.arith.exact and fl.count == ex.count
    where = {r.pattern: i for i, r in enumerate(ex)}
    to_ex = [where[r.pattern] for r in fl]
    assert {frozenset((to_ex[a], to_ex[b])) for a, b in fl.graph.edges} == \
        {frozenset(e) for e in ex.graph.edges}
    fl = tropnet.regions(net, kind="linear", method="enumerate")
    ex = tropnet.regions(net, kind="linear", method="enumerate", exact=True)
    assert fl.graph.number_of_edges() == ex.graph.number_of_edges()

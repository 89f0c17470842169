"""Tropical linear regions (:mod:`tropnet.engines.tropical`): the walk over the common
refinement, its certified cells (:class:`~tropnet.tropical.prune.Subdivision`,
:func:`~tropnet.tropical.prune.facets`) and their graphs.

Independent checks: counts of the three linear-region methods (tropical, enumerate,
layerwise) on random and degenerate nets in exact and float mode; every row of every cell
a facet by an exact LP (``dim(P ∩ H) = n - 1``, :meth:`Polyhedron.dimension`); each cell
equal to the cell of all monomial differences; the graph of the tropical regions equal to
the graph of the enumerated ones and to the one-LP-per-pair oracle of ``test_graph``."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import TropicalPolynomial, TropicalRational, linear_regions, parse
from tropnet.arithmetic import EXACT
from tropnet.engines import graph
from tropnet.engines.graph import region_graph
from tropnet.engines.tropical import common_refinement, refinement_cells, tropical_cells
from tropnet.polyhedra import Polyhedron, linprog
from tropnet.tropical.prune import Subdivision, cell_facets, facets, primitive

from .test_graph import edges, oracle
from .test_properties import as_floats, net_and_domain, scaled


# -- helpers ------------------------------------------------------------------------------
def lp_facets(A, b) -> list[int] | None:
    """One row per facet of ``{A x <= b}`` (the first on its hyperplane) by exact LPs, or
    ``None`` when the interior is empty: the oracle of :func:`facets`."""
    P = Polyhedron.from_inequalities(A, b, EXACT, len(A[0]) if len(A) else None)
    if P.interior_point() is None:
        return None
    seen, out = set(), []
    for r in range(len(P)):
        key = EXACT.hyperplane_key(P.A[r], P.b[r])
        if key is None or key in seen:
            continue
        seen.add(key)
        if P.add([-v for v in P.A[r]], [-P.b[r]]).dimension() == P.n - 1:
            out.append(r)
    return out


def implied(poly: Polyhedron, a, b) -> bool:
    """``a . x <= b`` holds on ``poly`` (one exact LP)."""
    res = linprog(list(a), poly.A, poly.b, EXACT, maximize=True)
    return res.optimal and res.value <= b


def same_polyhedron(p: Polyhedron, q: Polyhedron) -> bool:
    return all(implied(p, a, b) for a, b in zip(q.A, q.b, strict=True)) and \
        all(implied(q, a, b) for a, b in zip(p.A, p.b, strict=True))


def matched_edges(src, dst) -> set[tuple[int, int]]:
    """The edges of ``src.graph`` named by the regions of ``dst`` holding their interior
    points (such a point lies in the closed cells of one region of ``dst`` only: a float
    filter proposes the cells, exact arithmetic decides)."""
    cells = [(i, c) for i, r in enumerate(dst.regions) for c in r.cells]
    A = [np.asarray(c.A, dtype=float) for _, c in cells]
    b = [np.asarray(c.b, dtype=float) for _, c in cells]
    where = []
    for r in src.regions:
        x = EXACT.array(r.interior_point)
        xf = np.asarray(x, dtype=float)
        hits = {i for (i, c), Af, bf in zip(cells, A, b, strict=True)
                if np.all(Af @ xf <= bf + 1e-6 * (1 + np.abs(bf)))
                and Polyhedron(EXACT.array(c.A), EXACT.array(c.b), EXACT).contains(x)}
        assert len(hits) == 1, hits
        where.append(hits.pop())
    assert sorted(where) == list(range(dst.count))
    return {(min(where[a], where[b]), max(where[a], where[b])) for a, b in src.graph.edges()}


def poly2(e, c):
    return TropicalPolynomial.from_monomials(e, c)


# -- hand-worked refinements --------------------------------------------------------------
def test_refinement_of_two_hand_cells():
    # max(0, x, y) and max(0, x - 1): x = 1 cuts the x and y cells in two, the 0 cell
    # (x, y <= 0) stays whole: 5 cells; edges: the 0 cell with both halves at x < 1, the
    # x and y cells across x = y on both sides of x = 1, each across x = 1
    ref = common_refinement([poly2([[0, 0], [1, 0], [0, 1]], [0, 0, 0]),
                             poly2([[0, 0], [1, 0]], [0, -1])])
    labels = {tuple(int(v) for v in lab) for lab in ref.labels}
    assert labels == {(0, 0), (1, 0), (2, 0), (1, 1), (2, 1)}
    assert len(ref.edges) == 6
    named = {frozenset((tuple(ref.labels[a]), tuple(ref.labels[b]))) for a, b in ref.edges}
    assert frozenset(((1, 0), (2, 1))) not in named  # they meet at the point (1, 1) only
    for cell, lab in zip(ref.cells, ref.labels, strict=True):
        assert len(cell) == {(0, 0): 2, (1, 0): 3, (2, 0): 3, (1, 1): 2, (2, 1): 2}[tuple(lab)]


def test_coincident_hyperplanes_of_numerator_and_denominator():
    # F = max(0, x) + max(0, y) and G = max(0, x): F ⊘ G = max(0, y) but the refinement
    # keeps x = 0, where F and G bend together: 4 cells, 2 linear regions
    r = TropicalRational(parse("max(0, x) + max(0, y)").numerator,
                         poly2([[0, 0], [1, 0]], [0, 0]))
    cells = tropical_cells([r], None, EXACT)
    assert len(cells) == 4 and all(len(c.poly) == 2 for c in cells)
    assert linear_regions(r).count == 2
    assert linear_regions(r, "box:-1,1").count == 2


def test_domain_rows_are_facets_only_where_they_bound_a_cell():
    f = parse("max(0, x, y)")
    cells = tropical_cells([f], Polyhedron.box([-1, -1], [1, 1], EXACT), EXACT)
    assert len(cells) == 3
    # every cell keeps 2 box sides and its 2 tropical facets (the box corner cell of 0: 2+2)
    assert sorted(len(c.poly) for c in cells) == [4, 4, 4]
    outside = tropical_cells([f], Polyhedron.box([5, -1], [6, 1], EXACT), EXACT)
    assert len(outside) == 1 and len(outside[0].poly) == 4  # the x cell only, the box itself


def test_one_variable_and_a_constant():
    assert linear_regions(parse("max(0, x, 2x - 1)")).count == 3
    assert len(tropical_cells([TropicalRational.from_polynomial(
        TropicalPolynomial.constant(3, 2))], None, EXACT)) == 1


def test_cells_with_lines():
    # exponents on a line (the map depends on x + y only): cells are strips
    cells = tropical_cells([parse("max(0, x + y, 2x + 2y - 3) - max(0, x + y - 1)")], None,
                           EXACT)
    assert len(cells) == 4
    for c in cells:
        assert lp_facets(c.poly.A.tolist(), c.poly.b.tolist()) == list(range(len(c.poly)))


# -- facets and rows of cells --------------------------------------------------------------
def test_facets_examples():
    # a triangle given with a redundant row, a doubled row and a row touching a vertex
    A = [[1, 0], [0, 1], [-1, -1], [1, 1], [2, 0], [1, -1]]
    rows, x = facets(A, [1, 1, 0, 5, 2, 2])
    assert rows.tolist() == [0, 1, 2]
    assert all(sum(Fraction(a) * v for a, v in zip(r, x, strict=True)) < b
               for r, b in zip(A, [1, 1, 0, 5, 2, 2], strict=True))
    assert facets(A, [1, 1, 0, 5, 2, 1])[0].tolist() == [0, 1, 2, 5]  # x - y <= 1 cuts
    assert facets([[1, 0], [-1, 0]], [0, 0]) is None              # a line: no interior
    assert facets([[1, 0], [-1, 0]], [0, -1]) is None             # empty
    assert facets([[0, 0]], [-1]) is None                         # 0 <= -1
    assert facets([[0, 0], [1, 0]], [1, 0])[0].tolist() == [1]    # 0 <= 1 is no facet
    assert facets([[1, 0, 0], [0, 1, 0]], [0, 0])[0].tolist() == [0, 1]  # a wedge, a line
    assert primitive([Fraction(1, 2), -1, 0.25]) == (2, -4, 1)


@settings(max_examples=scaled(60), deadline=None)
@given(st.integers(1, 3), st.integers(1, 9), st.integers(0, 2**32 - 1), st.booleans())
def test_property_facets_equal_lp_facets(n, k, seed, repeat):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(k, n)).tolist()
    b = [Fraction(int(v), 2) for v in rng.integers(-2, 6, size=k)]
    if repeat:  # a scaled copy, and a row through a vertex of the others
        A.append([3 * v for v in A[0]])
        b.append(3 * b[0])
    got = facets(A, b)
    want = lp_facets(A, b)
    assert (got is None) == (want is None)
    if got is not None:
        assert got[0].tolist() == want
        nonzero = [r for r in range(len(A)) if any(A[r])]
        P = Polyhedron.from_inequalities([A[r] for r in nonzero], [b[r] for r in nonzero],
                                         EXACT, n)
        assert P.contains(got[1], strict=True)


def test_exact_fallback_decides_what_float_cannot(monkeypatch):
    import tropnet.tropical.prune as prune

    monkeypatch.setattr(prune, "_float_generators", lambda G: None)  # no float proposal
    A = [[1, 0], [0, 1], [-1, -1], [1, 1], [2, 0], [1, -1]]
    assert facets(A, [1, 1, 0, 5, 2, 2])[0].tolist() == [0, 1, 2]
    # a float proposal that misses a vertex of the pentagon [0, 1]^2 ∩ {x + y <= 3/2}:
    # its certificates fail, and the exact double description decides
    real, calls = prune._exact_generators, []
    monkeypatch.setattr(prune, "_float_generators",
                        lambda G: (lambda H, p: (H[1:], p[1:]))(*real(G)))
    monkeypatch.setattr(prune, "_exact_generators", lambda G: calls.append(1) or real(G))
    rows = [primitive(r) for r in ([1, 0, 1], [0, 1, 1], [-1, 0, 0], [0, -1, 0],
                                   [1, 1, Fraction(3, 2)])]
    mask, _ = cell_facets(rows)
    assert mask.tolist() == [True, True, True, True, True] and calls


@settings(max_examples=scaled(20), deadline=None)
@given(st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_property_subdivision_rows_cut_out_each_cell(n, seed):
    """Every facet neighbour is a row, and the rows cut out the cell (each other row is
    implied): checked against the cell of all monomial differences by exact LPs."""
    rng = np.random.default_rng(seed)
    p = TropicalPolynomial.constant(0, n)
    for _ in range(int(rng.integers(2, 5))):
        seg = rng.integers(-3, 4, size=(2, n)).tolist()
        p = p & poly2(seg, [Fraction(int(v), 2) for v in rng.integers(-3, 4, size=2)])
    p = p.prune()
    E, c = p.exponents, p.coefficients
    sub = Subdivision(E, c)
    for i in range(len(p)):
        others = [j for j in range(len(p)) if j != i]
        A = [list(E[j] - E[i]) for j in others]
        b = [c[i] - c[j] for j in others]
        nbrs = {others[r] for r in lp_facets(A, b)}
        rows = sub.rows(i).tolist()
        assert nbrs <= set(rows)
        mine = Polyhedron.from_inequalities([A[others.index(j)] for j in rows],
                                            [b[others.index(j)] for j in rows], EXACT, n)
        assert all(implied(mine, a, bb) for a, bb in zip(A, b, strict=True))


# -- cells: facets only, the same polyhedra as all monomial differences --------------------
@pytest.mark.parametrize("seed, dims, domain", [
    (0, [2, 3, 2, 1], None), (1, [2, 4, 1], "box:-1,1"), (2, [3, 3, 1], None),
    (3, [1, 4, 2, 1], None), (4, [3, 2, 2, 1], "box:-1/2,1")])
def test_every_row_of_every_cell_is_a_facet(seed, dims, domain):
    from .helpers import random_net

    net = random_net(np.random.default_rng(seed), dims)
    rs = linear_regions(net, domain, method="tropical")
    region = None if domain is None else rs.domain.polyhedron(EXACT)
    maps = __import__("tropnet").compile_network(net)
    fac = tropical_cells(maps, region, EXACT)
    full = tropical_cells(maps, region, EXACT, rows="all")
    assert len(fac) == len(full) and sum(len(r.cells) for r in rs) == len(fac)
    for a, b in zip(fac, full, strict=True):
        assert lp_facets(a.poly.A.tolist(), a.poly.b.tolist()) == list(range(len(a.poly)))
        assert same_polyhedron(a.poly, b.poly)
        assert a.poly.contains(a.point, strict=True)
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)


# -- counts: tropical = enumerate = layerwise ---------------------------------------------
@settings(max_examples=scaled(15), deadline=None)
@given(net_and_domain(shapes=([2, 3, 3, 1], [1, 4, 1], [3, 3, 2], [2, 3, 1], [2, 2, 2, 2])))
def test_property_methods_agree_exact_and_float(case):
    spec, dspec = case
    for rational in (True, False):
        net, dom = spec.build(rational), dspec.build()
        counts = {m: linear_regions(net, dom, method=m).count
                  for m in ("tropical", "enumerate", "layerwise")}
        assert len(set(counts.values())) == 1, (rational, counts)


@pytest.mark.parametrize("name, domain, count", [
    ("A", None, 111), ("A", "box:-1,1", 38)])
def test_shared_net_counts(name, domain, count):
    from tropnet import load_network

    net = load_network(f"benchmarks/nets/{name}.json")
    assert linear_regions(net, domain, method="tropical").count == count
    assert linear_regions(net, domain, method="tropical", exact=True).count == count


# -- graphs ------------------------------------------------------------------------------
def test_walk_edges_are_the_region_graph_of_the_cells():
    from .helpers import random_net

    for seed, dims in ((5, [2, 4, 3, 1]), (6, [3, 3, 1])):
        maps = __import__("tropnet").compile_network(random_net(
            np.random.default_rng(seed), dims))
        cells, walk = refinement_cells(maps, None, EXACT)
        rs = SimpleNamespace(regions=[SimpleNamespace(cells=(c.poly,)) for c in cells])
        assert edges(region_graph(rs)) == {(min(a, b), max(a, b)) for a, b in walk}
        assert edges(region_graph(rs)) == oracle([r.cells for r in rs.regions])


@pytest.mark.parametrize("float_net", [False, True])
@pytest.mark.parametrize("domain", [None, "box:-1,1"])
def test_graphs_of_tropical_and_enumerated_regions_are_equal(float_net, domain):
    from .helpers import random_net

    net = random_net(np.random.default_rng(7), [2, 4, 3, 1])
    net = as_floats(net) if float_net else net
    trop = linear_regions(net, domain, method="tropical")
    enum = linear_regions(net, domain, method="enumerate")
    assert trop.count == enum.count
    assert trop.graph.number_of_edges() == enum.graph.number_of_edges()
    assert matched_edges(trop, enum) == edges(enum.graph)


@pytest.mark.slow
@pytest.mark.parametrize("domain, count, edges_", [("box:-1.5,2.5", 597, 1163),
                                                    (None, 689, 1346)])
def test_moons16_graph_equals_enumeration(domain, count, edges_):
    from tropnet import activation_regions, load_network

    net = load_network("benchmarks/nets/moons16.json")
    trop, enum = (linear_regions(net, domain, method=m) for m in ("tropical", "enumerate"))
    assert trop.count == enum.count == count
    assert trop.graph.number_of_edges() == enum.graph.number_of_edges() == \
        activation_regions(net, domain).graph.number_of_edges() == edges_
    assert matched_edges(trop, enum) == edges(enum.graph)


def test_graph_drops_redundant_rows_first(monkeypatch):
    # the cells of all monomial differences (every row but a few redundant) give the graph
    # of the facet cells once cut down, without pairing their rows
    from .helpers import random_net

    maps = __import__("tropnet").compile_network(random_net(np.random.default_rng(8),
                                                            [2, 4, 3, 1]))
    fac = tropical_cells(maps, None, EXACT)
    full = tropical_cells(maps, None, EXACT, rows="all")
    assert max(len(c.poly) for c in full) > 8
    seen = []
    real = graph._facet_rows
    monkeypatch.setattr(graph, "MANY_ROWS", 8)
    monkeypatch.setattr(graph, "_facet_rows", lambda p: seen.append(len(p)) or real(p))
    as_set = [SimpleNamespace(regions=[SimpleNamespace(cells=(c.poly,)) for c in cs])
              for cs in (fac, full)]
    g_fac, g_full = (region_graph(rs) for rs in as_set)
    assert edges(g_fac) == edges(g_full) and seen and min(seen) > 8
    assert nx.is_connected(g_fac)


@pytest.mark.parametrize("n", [2, 3])
def test_facets_among_many_redundant_rows(n):
    # the cube [-1, 1]^n, hidden among 70 rows that miss it, touch it at a vertex or
    # repeat a facet: the many-row path (polar hull, then rows the generators violate)
    rng = np.random.default_rng(n)
    A, b = [], []
    for k in range(n):
        e = [0] * n
        e[k] = 1
        A += [e, [-v for v in e]]
        b += [1, 1]
    for _ in range(70):
        a = rng.integers(-3, 4, size=n).tolist()
        if not any(a):
            continue
        reach = sum(abs(v) for v in a)  # max of a . x on the cube, at a vertex
        A.append(a)
        b.append(reach + int(rng.integers(0, 3)))
    A.append([2] + [0] * (n - 1))
    b.append(2)
    rows, x = facets(A, b)
    assert rows.tolist() == list(range(2 * n))
    assert all(abs(v) < 1 for v in x)

"""Float MILP counting is exact for the float weights as given (issue 18, sections 2 and 2b).

The 0.1-grid weights of these nets are binary floats, so exact arithmetic on their exact
rationals breaks the decimal degeneracies into slivers about ``1e-16`` wide. Those slivers
are regions of the float weights as given, and the float MILP once missed them. It also
missed regions with inscribed radius 1: a float LP said "no interior" because of a
round-off row. The references are the certified float enumeration and exact arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import EXACT, FLOAT, Network, SolverError
from tropnet.domain import parse_domain
from tropnet.engines.patterns import pattern_cell, read_in
from tropnet.milp import activation_regions as milp_regions
from tropnet.milp.confirm import Confirmer
from tropnet.milp.level import data_errors
from tropnet.milp.tighten import polyhedron_box, safe_max
from tropnet.polyhedra import linprog

#: 2-[4,4]-1 with weights on the 0.1 grid: the MILP found 12 regions instead of 23 (it
#: missed ten regions with inscribed radius >= 1/5 and one sliver of radius 5.6e-16)
GRID_NET = {"input_dim": 2, "layers": [
    {"weight": [[0.2, -0.1], [-0.1, 0.0], [0.2, -0.2], [-0.1, 0.0]],
     "bias": [-0.1, 0.0, -0.1, -0.2], "activation": "relu"},
    {"weight": [[-0.2, -0.2, 0.1, 0.2], [0.2, 0.1, 0.2, 0.0], [0.0, 0.1, 0.0, -0.1],
                [0.1, -0.1, 0.0, -0.2]],
     "bias": [-0.1, -0.2, 0.1, 0.2], "activation": "relu"},
    {"weight": [[0.2, 0.2, 0.2, -0.2]], "bias": [0.1], "activation": "identity"}]}


def load(spec: dict) -> Network:
    return Network.from_lists(spec["input_dim"], spec["layers"])


def patterns(rs) -> set:
    return {r.pattern for r in rs}


def grid_net(rng: np.random.Generator, dims: list[int], span: int, unit: float) -> Network:
    """Weights and biases ``k * unit`` (floats) with integers ``|k| <= span``."""
    layers = []
    for i in range(len(dims) - 1):
        w = (rng.integers(-span, span + 1, size=(dims[i + 1], dims[i])) * unit).tolist()
        b = (rng.integers(-span, span + 1, size=dims[i + 1]) * unit).tolist()
        layers.append((w, b, "identity" if i == len(dims) - 2 else "relu"))
    return Network.from_lists(dims[0], layers)


def assert_interior_points_exact(net: Network, rs) -> None:
    """Every region's interior point, read exactly, is strictly inside its pattern's closed
    polyhedron (rows that vanish identically aside) and has the pattern (a check written
    apart from the MILP's own confirmation)."""
    dom = read_in(rs.domain, rs.arith)
    for r in rs:
        x = [Fraction(v) for v in r.interior_point]
        poly = pattern_cell(net, r.pattern, dom, EXACT)[0]
        moving = [any(v != 0 for v in row) for row in poly.A]
        assert all(s > 0 for s, m in zip(poly.slacks(x), moving, strict=True) if m), r.pattern
        assert net.patterns(np.array(x, dtype=object), exact=True) == r.pattern


# -- the reproducers ------------------------------------------------------------------------

def test_grid_net_milp_equals_certified_and_exact_counts():
    net = load(GRID_NET)
    rs = milp_regions(net, "box:-20,20")
    assert not rs.arith.exact
    enum = tropnet.regions(net, "box:-20,20", kind="activation", method="enumerate")
    exact = tropnet.regions(net, "box:-20,20", kind="activation", method="enumerate",
                            exact=True)
    assert rs.count == enum.count == exact.count == 23
    assert patterns(rs) == patterns(enum) == patterns(exact)
    assert_interior_points_exact(net, rs)
    assert rs.info["exact_decisions"] >= 10  # float LPs saw no interior in 10 fat regions
    # one sliver holds no float point: its interior point stays exact
    dom = read_in(parse_domain("box:-20,20", 2), FLOAT)
    radius = {r.pattern: pattern_cell(net, r.pattern, dom, EXACT)[0].interior_point()[1]
              for r in rs}
    thin = [r for r in rs if radius[r.pattern] < Fraction(1, 10**15)]
    assert [r.pattern for r in thin] == [((0, 1, 0, 1), (0, 1, 1, 0), ())]
    assert isinstance(thin[0].interior_point[0], Fraction)
    assert sum(radius[r.pattern] >= Fraction(1, 5) for r in rs) == 21
    assert all(isinstance(v, float) for r in rs if r not in thin for v in r.interior_point)


def test_grid_net_global_strategy():
    net = load(GRID_NET)
    rs = milp_regions(net, "box:-20,20", strategy="global")
    assert rs.count == 23
    assert_interior_points_exact(net, rs)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "before", "count"), [(6, 247, 248), (12, 222, 229),
                                                       (18, 254, 258)])
def test_issue_3_6_5_nets_on_the_0_1_grid(seed, before, count):
    # the issue's setting: 3-[6,5]-1, uniform weights rounded to 0.1, box:-20,20
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate([(3, 6), (6, 5), (5, 1)]):
        w = np.round(rng.uniform(-1, 1, (b, a)) / 0.1) * 0.1
        bias = np.round(rng.uniform(-1, 1, b) / 0.1) * 0.1
        layers.append((w.tolist(), bias.tolist(), "identity" if i == 2 else "relu"))
    net = Network.from_lists(3, layers)
    rs = milp_regions(net, "box:-20,20")
    enum = tropnet.regions(net, "box:-20,20", kind="activation", method="enumerate")
    assert rs.count == enum.count == count != before
    assert patterns(rs) == patterns(enum)
    assert_interior_points_exact(net, rs)


# -- property: MILP patterns == certified enumeration patterns ------------------------------

@st.composite
def grid_cases(draw, widths=(2, 3), depth=(1, 1)):
    dims = [draw(st.integers(1, 2))]
    dims += [draw(st.integers(*widths)) for _ in range(draw(st.integers(*depth)))] + [1]
    kind = draw(st.sampled_from(["tenths", "integers"]))
    span, unit = (3, 0.1) if kind == "tenths" else (2, 1.0)
    net = grid_net(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), dims, span, unit)
    return net, draw(st.sampled_from(["box:-1,1", "box:-20,20", "box:-3,5"]))


@settings(max_examples=4)
@given(grid_cases())
def test_milp_patterns_equal_certified_enumeration(case):
    net, dom = case
    rs = milp_regions(net, dom, audit=0)
    assert patterns(rs) == patterns(activation_regions_certified(net, dom))


@pytest.mark.slow
@settings(max_examples=30)
@given(grid_cases(widths=(2, 4), depth=(1, 2)))
def test_milp_patterns_equal_certified_enumeration_larger(case):
    net, dom = case
    ref = patterns(activation_regions_certified(net, dom))
    for strategy in ("layerwise", "global"):
        rs = milp_regions(net, dom, strategy=strategy)
        assert patterns(rs) == ref, strategy
        assert_interior_points_exact(net, rs)


def activation_regions_certified(net: Network, dom: str):
    rs = tropnet.regions(net, dom, kind="activation", method="enumerate")
    assert not rs.arith.exact
    return rs


# -- the proofs behind the formulation ------------------------------------------------------

def test_safe_max_is_a_proven_bound_for_any_multipliers():
    rng = np.random.default_rng(0)
    for _ in range(20):
        A = np.round(rng.normal(size=(8, 3)), 1) + rng.normal(size=(8, 3)) * 1e-9
        b = np.abs(rng.normal(size=8)) + 0.1
        c = rng.normal(size=3)
        lo, hi = np.full(3, -5.0), np.full(3, 5.0)
        rows = np.vstack([A, np.eye(3), -np.eye(3)])
        rhs = np.concatenate([b, hi, -lo])
        exact = linprog([Fraction(v) for v in c], EXACT.array([[Fraction(v) for v in r]
                                                               for r in rows]),
                        [Fraction(v) for v in rhs], EXACT, maximize=True).value
        duals = linprog(c, rows, rhs, FLOAT, maximize=True).duals
        v = safe_max(c, rows, rhs, duals, lo, hi)  # float multipliers: tight
        assert Fraction(v) >= exact and v <= float(exact) + 1e-6
        for y in (np.zeros(8), np.abs(rng.normal(size=8))):  # any multipliers are valid
            assert Fraction(safe_max(c, A, b, y, lo, hi)) >= exact


def test_polyhedron_box_contains_every_vertex():
    # a thin triangle: x >= 0, y >= 0.1 x, y <= 0.1 x + 1e-12 (x <= 3)
    A = np.array([[-1.0, 0.0], [0.1, -1.0], [-0.1, 1.0], [1.0, 0.0]])
    b = np.array([0.0, 0.0, 1e-12, 3.0])
    lo, hi = polyhedron_box(A, b, np.full(2, -10.0), np.full(2, 10.0))
    for x in ([0, 0], [0, Fraction(1e-12)], [3, Fraction(0.1) * 3],
              [3, Fraction(0.1) * 3 + Fraction(1e-12)]):
        assert all(Fraction(lo[k]) <= x[k] <= Fraction(hi[k]) for k in range(2))
    assert hi[1] - 0.3 < 1e-9 and hi[0] - 3 < 1e-9  # and it is tight


def test_data_errors_bound_the_float_maps():
    rng = np.random.default_rng(4)
    nets = [load(GRID_NET), grid_net(rng, [3, 4, 3, 1], 9, 0.1),
            tropnet.Network.from_lists(2, [(rng.normal(size=(3, 2)).tolist(),
                                            rng.normal(size=3).tolist(), "leaky_relu",
                                            {"slope": 0.3}),
                                           (rng.normal(size=(2, 3)).tolist(),
                                            rng.normal(size=2).tolist(), "identity")])]
    for net in nets:
        n, box = net.input_dim, np.full(net.input_dim, 20.0)
        errors = data_errors(net, -box, box)
        dom = parse_domain("box:-20,20", n)
        for _ in range(5):
            pats = [tuple(int(v) for v in rng.integers(0, 2, layer.units))
                    if layer.act.patterned else () for layer in net.layers]
            for idx, layer in enumerate(net.layers):
                maps = []
                for arith in (FLOAT, EXACT):
                    if idx:
                        head = Network(n, net.layers[:idx])
                        _, J, c = pattern_cell(head, pats[:idx], dom, arith)
                    else:
                        J, c = arith.eye(n), arith.zeros(n)
                    W, b = layer.params(arith)
                    maps.append((W.dot(J), W.dot(c) + b))
                (Zf, cf), (Ze, ce) = maps
                for i in range(layer.units):
                    worst = sum(abs(Fraction(Zf[i, j]) - Ze[i, j]) * 20 for j in range(n)) \
                        + abs(Fraction(cf[i]) - ce[i])
                    assert worst <= Fraction(errors[idx][i]), (idx, i)


# -- the checks that catch a solver failure -------------------------------------------------

ABS = Network.from_lists(1, [([[1.0], [-1.0]], [0.0, 0.0], "relu"),
                             ([[1.0, 1.0]], [0.0], "identity")])


def test_confirmer_robust_patterns():
    conf = Confirmer(ABS, parse_domain("box:-1,1", 1), FLOAT)
    assert conf.robust_pattern([0.5]) == ((1, 0), ())
    assert conf.robust_pattern([0.0]) is None  # on the hyperplane x = 0
    assert conf.robust_pattern([1.0]) is None  # on the domain's boundary
    # a unit identically zero after dead units ties identically: robust
    dead = Network.from_lists(1, [([[1.0]], [0.0], "relu"), ([[1.0]], [0.0], "relu"),
                                  ([[1.0]], [0.0], "identity")])
    conf = Confirmer(dead, parse_domain("box:-1,1", 1), FLOAT)
    assert conf.robust_pattern([-0.5]) == ((0,), (0,), ())
    assert conf.interior([-0.5], [(0,), (0,)]) and not conf.interior([-0.5], [(0,), (1,)])
    assert conf.decide([(0,), (1,)]) is None and conf.decide([(1,), (1,)]) is not None


def test_audit_reports_a_missed_region(monkeypatch):
    child = Confirmer.child

    def miss(self, sub, node, Z, zc, pattern):  # a solver that never finds x > 0
        return None if tuple(pattern) == (1, 0) else child(self, sub, node, Z, zc, pattern)

    def no_seed(self, *args):
        return None

    monkeypatch.setattr(Confirmer, "child", miss)
    monkeypatch.setattr(Confirmer, "seeded", no_seed)
    with pytest.raises(SolverError, match=r"\(\(1, 0\), \(\)\) was not found"):
        milp_regions(ABS, "box:-1,1")
    assert milp_regions(ABS, "box:-1,1", audit=0).count == 1  # what went unnoticed before
    monkeypatch.setattr(Confirmer, "child", lambda *a: None)
    with pytest.raises(SolverError, match="found no part of a region"):
        milp_regions(ABS, "box:-1,1")

"""MILP backend: formulation, big-M tightening and exact counting of activation regions.

Counts are checked against two independent references: the regions module's enumeration
(:func:`tropnet.activation_regions`) and a brute force written here (every pattern's
polyhedron tested for an interior point with ``Polyhedron.interior_point`` and the pattern
re-read at that point with ``net.patterns``).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import cvxpy as cp
import numpy as np
import pytest

from tests.helpers import random_net
from tropnet import (
    EXACT,
    FLOAT,
    Network,
    SolverError,
    TooLargeError,
    TropnetError,
    activation_regions,
)
from tropnet.domain import box, parse_domain, polytope
from tropnet.milp import activation_regions as milp_regions
from tropnet.milp import (
    build_formulation,
    installed_mip_solvers,
    region_of_pattern,
    solve,
    tighten_bigm,
)

# -- an independent brute-force reference ----------------------------------------------


def brute_force_patterns(net: Network, domain) -> set:
    """Every pattern whose region has a non-empty interior in ``domain`` (exact LPs)."""
    dom = parse_domain(domain, net.input_dim)
    arith = EXACT
    choices = []
    for layer in net.layers:
        if layer.activation in ("relu", "leaky_relu"):
            choices.append(list(itertools.product((0, 1), repeat=layer.units)))
        elif layer.activation == "maxout":
            choices.append(list(itertools.product(range(layer.rank), repeat=layer.out_dim)))
        else:
            choices.append([()])
    found = set()
    base = dom.polyhedron(arith)
    n = net.input_dim
    for pattern in itertools.product(*choices):
        J, c = np.eye(n, dtype=object) * Fraction(1), np.array([Fraction(0)] * n, dtype=object)
        A, b = [], []
        for layer, pat in zip(net.layers, pattern, strict=True):
            W, bias = layer.params(arith)
            Z, zc = W.dot(J), W.dot(c) + bias
            if layer.activation in ("relu", "leaky_relu"):
                for i, s in enumerate(pat):
                    A.append(-Z[i] if s else Z[i])
                    b.append(zc[i] if s else -zc[i])
            elif layer.activation == "maxout":
                k = layer.rank
                for u, r in enumerate(pat):
                    for q in range(k):
                        if q != r:
                            A.append(Z[u * k + q] - Z[u * k + r])
                            b.append(zc[u * k + r] - zc[u * k + q])
            D = layer.pattern_matrix(pat, arith)
            J, c = D.dot(Z), D.dot(zc)
        P = base.add(np.array(A, dtype=object), np.array(b, dtype=object)) if A else base
        ip = P.interior_point()
        if ip is not None and net.patterns(ip[0], exact=True) == pattern:
            found.add(pattern)
    return found


def patterns(rs) -> set:
    return {r.pattern for r in rs}


# -- hand-worked counts -------------------------------------------------------------------

def test_abs_value_two_regions():
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    rs = milp_regions(net, "box:-1,1")
    assert rs.count == 2
    assert rs.kind == "activation" and rs.method == "milp"
    assert patterns(rs) == {((1, 0), ()), ((0, 1), ())}
    assert milp_regions(net, "box:1,2").count == 1


def test_hat_function_regions_and_maps():
    # h1 = relu(x), h2 = relu(x - 1), y = h1 - 2 h2 on [-1, 3]: regions x<0, 0<x<1, x>1
    net = Network.from_lists(1, [([[1], [1]], [0, -1], "relu"),
                                 ([[1, -2]], [0], "identity")])
    rs = milp_regions(net, "box:-1,3")
    assert rs.count == 3
    slopes = sorted(int(r.weight[0][0]) for r in rs)
    assert slopes == [-1, 0, 1]
    for r in rs:  # the interior point lies in its region and the map is the network's there
        J, c, pats = net.affine_map(r.interior_point, exact=True)
        assert pats == r.pattern and (J == r.weight).all() and (c == r.bias).all()
        assert r.cells[0].contains(r.interior_point, strict=True)


def test_two_lines_in_square_and_dead_units():
    # x1 and x2 cross at the origin: 4 regions; a third unit never active (x1 - 5 <= 0)
    net = Network.from_lists(2, [([[1, 0], [0, 1], [1, 0]], [0, 0, -5], "relu"),
                                 ([[1, 1, 1]], [0], "identity")])
    rs = milp_regions(net, "box:-1,1")
    assert rs.count == 4
    assert all(r.pattern[0][2] == 0 for r in rs)
    assert rs.info["bigm"]["stable_inactive"] == 1


def test_maxout_unit_three_pieces():
    # max(x, -x, 1/2): three pieces on [-2, 2]: x < -1/2, |x| < 1/2, x > 1/2
    net = Network.from_lists(1, [([[1], [-1], [0]], [0, 0, "1/2"], "maxout", {"rank": 3}),
                                 ([[1]], [0], "identity")])
    rs = milp_regions(net, "box:-2,2")
    assert rs.count == 3
    assert patterns(rs) == {((0,), ()), ((1,), ()), ((2,), ())}


def test_maxout_identical_pieces_first_max_convention():
    # two identical pieces: the pattern is always the first one, one region each side of 0
    net = Network.from_lists(1, [([[1], [1], [-1]], [0, 0, 0], "maxout", {"rank": 3}),
                                 ([[1]], [0], "identity")])
    rs = milp_regions(net, "box:-1,1")
    assert patterns(rs) == {((0,), ()), ((2,), ())}
    assert patterns(rs) == brute_force_patterns(net, "box:-1,1")


def test_zero_bias_zero_function_units_not_counted_twice():
    # layer 2 units have zero weights on x1's side and zero bias: identically zero where
    # h = 0, which must not create extra (lower-dimensional) patterns
    net = Network.from_lists(1, [([[1]], [0], "relu"),
                                 ([[1], [2], [3]], [0, 0, 0], "relu"),
                                 ([[1, 1, 1]], [0], "identity")])
    for strategy in ("layerwise", "global"):
        rs = milp_regions(net, "box:-1,1", strategy=strategy)
        assert rs.count == 2, strategy
        assert patterns(rs) == {((0,), (0, 0, 0), ()), ((1,), (1, 1, 1), ())}


def test_networks_without_unstable_units():
    ident = Network.from_lists(2, [([[1, 2]], [3], "identity")])
    rs = milp_regions(ident, "box:-1,1")
    assert rs.count == 1 and rs.regions[0].pattern == ((),)
    # on [1, 2] both units are stably active and the second layer's unit stably inactive
    net = Network.from_lists(1, [([[1], [2]], [0, 0], "relu"), ([[-1, -1]], [0], "relu"),
                                 ([[1]], [0], "identity")])
    for strategy in ("layerwise", "global"):
        rs = milp_regions(net, "box:1,2", strategy=strategy)
        assert rs.count == 1 and rs.regions[0].pattern == ((1, 1), (0,), ())
        assert rs.info["milp_solves"] == 0
    assert milp_regions(net, "box:-1,1").count == 2


# -- agreement with the references on random nets -------------------------------------------

CASES = [(act, seed) for act in ("relu", "leaky_relu", "maxout") for seed in range(4)]


@pytest.mark.parametrize(("act", "seed"), CASES)
def test_counts_equal_enumeration_and_brute_force(act, seed):
    rng = np.random.default_rng(100 + seed)
    dims = [2, 3, 2, 1] if seed % 2 else [1, 3, 3, 1]
    net = random_net(rng, dims, act)
    dom = "box:-2,2" if seed < 2 else "box:-1,1"
    ref = activation_regions(net, dom)
    brute = brute_force_patterns(net, dom)
    assert patterns(ref) == brute
    for strategy, lines in (("layerwise", 0), ("layerwise", 3), ("global", 0)):
        rs = milp_regions(net, dom, strategy=strategy, seed_lines=lines)
        assert rs.count == ref.count, (strategy, lines)
        assert patterns(rs) == brute, (strategy, lines)
        assert rs.arith.exact


def test_float_net_counts_and_regions_are_consistent():
    rng = np.random.default_rng(3)
    net = random_net(rng, [2, 5, 4, 1], "relu", rational=False)
    rs = milp_regions(net, "box:-1,1")
    ref = activation_regions(net, "box:-1,1")
    assert not rs.arith.exact
    assert patterns(rs) == patterns(ref)
    for r in rs:
        assert net.patterns(r.interior_point, exact=False) == r.pattern


def test_polytope_domain_and_deeper_net():
    rng = np.random.default_rng(11)
    net = random_net(rng, [2, 3, 3, 2, 1], "relu")
    tri = polytope([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])  # x >= -1, y >= -1, x + y <= 1
    ref = activation_regions(net, tri)
    rs = milp_regions(net, tri, bigm="interval")
    assert patterns(rs) == patterns(ref)


def test_valid_inequalities_and_bigm_methods_do_not_change_the_count():
    rng = np.random.default_rng(21)
    net = random_net(rng, [2, 4, 4, 1], "relu")
    ref = activation_regions(net, "box:-1,1").count
    for bigm, vi in (("interval", False), ("lp", True), ("milp", True)):
        rs = milp_regions(net, "box:-1,1", bigm=bigm, strategy="global",
                                      valid_inequalities=vi)
        assert rs.count == ref, (bigm, vi)


def test_exact_and_float_arithmetic_agree_on_a_rational_net():
    rng = np.random.default_rng(5)
    net = random_net(rng, [2, 4, 3, 1], "leaky_relu")
    a = milp_regions(net, "box:-1,1", exact=True)
    b = milp_regions(net, "box:-1,1", exact=False)
    assert a.arith is EXACT and b.arith is FLOAT
    assert patterns(a) == patterns(b)


def test_unbounded_domain_uses_the_effective_box():
    net = Network.from_lists(2, [([[1, 0], [0, 1], [1, 1]], [0, 0, -3], "relu"),
                                 ([[1, 1, 1]], [0], "identity")])
    rs = milp_regions(net, None)
    assert rs.count == activation_regions(net).count == 7  # x+y=3 cuts 3 quadrants
    assert rs.info["box_from"] == "effective radius"
    assert rs.domain.kind == "rn" and rs.to_dict()["domain"].startswith("box:")


def test_scipy_milp_solver_gives_the_same_count():
    rng = np.random.default_rng(8)
    net = random_net(rng, [2, 3, 3, 1], "relu")
    assert "SCIPY" in installed_mip_solvers()
    for strategy in ("layerwise", "global"):
        rs = milp_regions(net, "box:-1,1", solver="SCIPY", strategy=strategy)
        assert rs.count == activation_regions(net, "box:-1,1").count
        assert rs.info["solver"] == "SCIPY"


@pytest.mark.skipif("SCIP" not in installed_mip_solvers(), reason="pyscipopt not installed")
def test_scip_solver_gives_the_same_count():  # pragma: no cover - optional solver
    rng = np.random.default_rng(8)
    net = random_net(rng, [2, 3, 3, 1], "relu")
    assert milp_regions(net, "box:-1,1", solver="scip").count == \
        activation_regions(net, "box:-1,1").count


def test_region_of_pattern_matches_membership():
    net = Network.from_lists(1, [([[1], [1]], [0, -1], "relu"), ([[1, -2]], [0], "identity")])
    assert region_of_pattern(net, ((1, 0), ()), "box:-1,3") is not None
    assert region_of_pattern(net, ((0, 1), ()), "box:-1,3") is None  # x < 0 and x > 1


# -- errors -------------------------------------------------------------------------------

def test_missing_solver_names_the_installed_ones():
    net = Network.from_lists(1, [([[1]], [0], "relu"), ([[1]], [0], "identity")])
    with pytest.raises(SolverError, match=r"installed MIP solvers: .*HIGHS"):
        milp_regions(net, "box:-1,1", solver="GUROBI")
    with pytest.raises(TropnetError, match="unknown option"):
        milp_regions(net, "box:-1,1", bogus=1)
    with pytest.raises(TropnetError, match="unknown strategy"):
        milp_regions(net, "box:-1,1", strategy="magic")


def test_limits_raise_too_large():
    rng = np.random.default_rng(2)
    net = random_net(rng, [2, 6, 1], "relu")
    with pytest.raises(TooLargeError, match="more than 2"):
        milp_regions(net, "box:-1,1", max_regions=2)
    with pytest.raises(TooLargeError, match="time limit"):
        milp_regions(net, "box:-1,1", time_limit=1e-9)


# -- formulation and big-M -----------------------------------------------------------------

def _sample_points(rng, n, lo=-1.0, hi=1.0, count=3000):
    corners = np.array(list(itertools.product((lo, hi), repeat=n)), dtype=float)
    return np.vstack([rng.uniform(lo, hi, size=(count, n)), corners])


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "maxout"])
def test_bigm_never_cuts_a_feasible_point(act):
    rng = np.random.default_rng(31)
    net = random_net(rng, [3, 5, 4, 2], act, rational=False)
    dom = box(-1, 1, 3)
    X = _sample_points(rng, 3)
    widths = {}
    for method in ("interval", "lp", "milp"):
        bm = tighten_bigm(net, dom, method)
        widths[method] = bm.report["width"]
        h = X
        for idx, layer in enumerate(net.layers):
            W, b = layer.params(FLOAT)
            g = h @ W.T + b
            assert np.all(g >= bm.lo[idx]) and np.all(g <= bm.hi[idx]), (method, idx)
            h = net.with_layers(net.layers[:idx + 1]).forward_batch(X)
    assert widths["milp"] <= widths["lp"] + 1e-9 <= widths["interval"] + 2e-9


def test_lp_tightening_reports_and_finds_stable_units():
    rng = np.random.default_rng(4)
    net = random_net(rng, [2, 6, 6, 1], "relu")
    bm = tighten_bigm(net, box(-1, 1, 2), "lp")
    rep = bm.report
    assert rep["method"] == "lp" and rep["lp_solves"] == 12
    assert 0 <= rep["tightened"] < 1 and rep["width"] <= rep["interval_width"]
    assert rep["stable_active"] + rep["stable_inactive"] + rep["unstable"] == 12
    with pytest.raises(TropnetError, match="unknown big-M"):
        tighten_bigm(net, box(-1, 1, 2), "magic")


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "maxout"])
def test_formulation_maps_inputs_to_outputs(act):
    # Serra et al. 2018, Theorem 11: with x fixed the MILP's output is the network's
    rng = np.random.default_rng(17)
    net = random_net(rng, [2, 4, 3, 1], act)
    form = build_formulation(net, "box:-1,1", "lp", margin=False)
    for x in ([Fraction(1, 3), Fraction(-1, 2)], [1, 1], [Fraction(-7, 8), 0]):
        xf = np.array([float(v) for v in x])
        out = form.layers[-1].out
        res = solve(form.problem(cp.Minimize(0), [form.x == xf]))
        assert res.status == "optimal"
        assert np.allclose(out.value, [float(v) for v in net.forward(x)], atol=1e-6)
        # and the binaries give the network's pattern wherever no unit is at a tie
        if not _tie(net, x):
            assert form.pattern() == net.patterns(x, exact=True)


def _tie(net: Network, x) -> bool:
    h = np.array([Fraction(v) for v in x], dtype=object)
    for layer in net.layers:
        W, b = layer.params(EXACT)
        g = W.dot(h) + b
        if layer.activation in ("relu", "leaky_relu") and any(v == 0 for v in g):
            return True
        if layer.activation == "maxout":
            k = layer.rank
            if any(sorted(g[u * k:(u + 1) * k])[-1] == sorted(g[u * k:(u + 1) * k])[-2]
                   for u in range(layer.out_dim)):
                return True
        h = layer.activate(g, EXACT)
    return False


def test_margin_objective_is_positive_exactly_for_full_dimensional_patterns():
    net = Network.from_lists(2, [([[1, 0], [0, 1]], [0, 0], "relu"),
                                 ([[1, 1]], [0], "identity")])
    form = build_formulation(net, "box:-1,1", "interval")
    z = form.z
    # fixing both units active: max f = 1 (at x = (1, 1))
    res = solve(form.problem(extra=[z == 1]))
    assert res.status == "optimal" and abs(res.value - 1) < 1e-6
    # a relaxation gives a value at least as large
    relaxed = build_formulation(net, "box:-1,1", "interval", relax=True)
    assert solve(relaxed.problem()).value >= res.value - 1e-9

"""Hoffman constants (matrices and tropical maps) and the effective radius / box."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import random_net
from tropnet import (
    Network,
    TropicalPolynomial,
    TropicalRational,
    TropnetError,
    activation_regions,
    linear_regions,
    parse,
)
from tropnet.arithmetic import EXACT, FLOAT
from tropnet.cli import main
from tropnet.domain import box
from tropnet.engines.glue import glue
from tropnet.engines.tropical import tropical_cells
from tropnet.hoffman import effective_box, effective_radius, hoffman_constant, map_hoffman
from tropnet.polyhedra import Polyhedron, linprog

GOLDEN = (1 + math.sqrt(5)) / 2


def _dist_inf(A, b, x) -> Fraction:
    """max-norm distance from x to {y : A y <= b}, by one exact LP (independent of Hoffman)."""
    m, n = len(A), len(x)
    rows, rhs = [], []
    for a, bi in zip(A, b, strict=True):
        rows.append([*a, 0])
        rhs.append(bi)
    for k in range(n):
        e = [0] * n
        e[k] = 1
        rows.append([*e, -1])
        rhs.append(x[k])
        rows.append([*(-v for v in e), -1])
        rhs.append(-x[k])
    res = linprog([0] * n + [1], EXACT.array(rows), EXACT.array(rhs), EXACT)
    assert res.optimal, (m, res.status)
    return res.value


def _residual_inf(A, b, x) -> Fraction:
    return max([Fraction(0)] + [sum(Fraction(a) * xi for a, xi in zip(row, x, strict=True))
                                - bi for row, bi in zip(A, b, strict=True)])


# -- matrices worked by hand -------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("method", ["exact", "pvz"])
def test_identity_has_constant_one(n, method):
    eye = np.eye(n, dtype=int).tolist()
    h = hoffman_constant(eye, method=method)
    assert h.value == 1 and isinstance(h.value, Fraction)
    assert "max-norm" in h.convention and h.to_dict()["norm"] == "inf"
    assert hoffman_constant(eye, norm="2", method=method).value == pytest.approx(1)


def test_two_by_two_by_hand():
    # A = [[1, 0], [-1, -1]]. Row sets: {1}: 1/||(1,0)||_1 = 1; {2}: 1/2; {1,2} (x = (-1, 2)
    # makes both rows negative): min over y1 + y2 = 1 of |y1 - y2| + y2 is 1/2 at y = (1/2,
    # 1/2), so H = 2. Euclidean: A A^T = [[1, -1], [-1, 2]] has smallest eigenvalue
    # (3 - sqrt 5)/2 with a positive eigenvector, so H_2 = 1/sqrt of it = golden ratio.
    A = [[1, 0], [-1, -1]]
    for method in ("exact", "pvz"):
        h = hoffman_constant(A, method=method)
        assert h.value == 2 and h.argmax == (0, 1)
        assert hoffman_constant(A, norm="2", method=method).value == pytest.approx(GOLDEN)
    # the value is attained: b = 0, x = (1, -2) has residual 1 and max-norm distance 2
    assert _residual_inf(A, [0, 0], [1, -2]) == 1
    assert _dist_inf(A, [0, 0], [1, -2]) == 2
    assert hoffman_constant(A).to_dict()["hoffman"] == 2


def test_dependent_rows():
    # a slab: rows (1,1), (-1,-1) are never jointly surjective; each alone gives 1/||.||
    assert hoffman_constant([[1, 1], [-1, -1]]).value == Fraction(1, 2)
    assert hoffman_constant([[1, 1], [-1, -1]], norm="2").value == pytest.approx(1 / math.sqrt(2))
    # parallel rows in one direction: {1, 2} is surjective, min (1 + y2) = 1
    assert hoffman_constant([[1, 0], [2, 0]]).value == 1
    # three rows in R^2 (dependent); maximal surjective sets {1,3}, {2,3}: values 1 and 2
    A = [[1, 1], [-1, -1], [1, 0]]
    assert hoffman_constant(A, method="exact").value == 2
    assert hoffman_constant(A, method="pvz").value == 2
    # zero and repeated rows change nothing
    assert hoffman_constant([[0, 0], [1, 0], [-1, -1], [1, 0]]).value == 2
    assert hoffman_constant([[0, 0]]).value == 0


def test_euclidean_is_not_below_max_norm_in_general():
    # Lezeau et al. transfer the singular-value upper bound to the max-norm without a
    # factor; this matrix has H_inf = 2 > H_2 = 1.618..., and tropnet's bound covers it.
    from tropnet.hoffman.matrix import _ghr

    A = [[1, 0], [-1, -1]]
    ghr, certified = _ghr(np.array(A, dtype=float), 100, np.random.default_rng(0))
    assert certified and ghr == pytest.approx(GOLDEN)
    assert ghr < 2 <= ghr * math.sqrt(min(2, 2 + 1))
    # in more than 3 columns the max-norm bounds are the sampled / singular-value ones
    wide = [[1, 0, 0, 0], [-1, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    b = hoffman_constant(wide, method="bounds")
    assert b.info["ghr_bound"] == pytest.approx(GOLDEN)
    assert b.lower <= 2 <= b.upper
    # up to 3 columns they are a certified enclosure from the row sets of at most n rows
    b = hoffman_constant(A, method="bounds")
    assert "ghr_bound" not in b.info and b.lower <= 2 <= b.upper
    assert b.upper - b.lower < 1e-12


def _random_matrix(rng, m, n, lo=-3, hi=3):
    return rng.integers(lo, hi + 1, size=(m, n)).tolist()


def test_pvz_equals_exhaustive_enumeration():
    rng = np.random.default_rng(7)
    for _ in range(12):
        m, n = int(rng.integers(2, 7)), int(rng.integers(1, 4))
        A = _random_matrix(rng, m, n)
        a, b = hoffman_constant(A, method="exact"), hoffman_constant(A, method="pvz")
        assert a.value == b.value, A
        a2 = hoffman_constant(A, norm="2", method="exact")
        b2 = hoffman_constant(A, norm="2", method="pvz")
        assert a2.value == pytest.approx(b2.value, rel=1e-9), A


def test_float_matches_exact():
    rng = np.random.default_rng(3)
    for _ in range(6):
        A = _random_matrix(rng, 5, 3)
        exact = hoffman_constant(A).value
        flt = hoffman_constant(np.array(A, dtype=float)).value
        assert isinstance(flt, float) and flt == pytest.approx(float(exact), rel=1e-7)


def test_bounds_bracket_the_exact_value():
    rng = np.random.default_rng(11)
    for _ in range(10):
        A = _random_matrix(rng, int(rng.integers(3, 8)), int(rng.integers(2, 4)))
        for norm in ("inf", "2"):
            exact = hoffman_constant(A, norm=norm).value
            b = hoffman_constant(A, norm=norm, method="bounds", samples=4, seed=1)
            assert b.value is None and b.certified
            assert float(b.lower) <= float(exact) * (1 + 1e-9), (A, norm)
            assert float(exact) <= float(b.upper) * (1 + 1e-9), (A, norm)


def test_hoffman_inequality_holds_on_random_instances():
    # the definition: dist_inf(x, {Ay <= b}) <= H ||(Ax - b)_+||_inf, checked by LPs
    rng = np.random.default_rng(5)
    for _ in range(8):
        A = _random_matrix(rng, 4, 2)
        H = hoffman_constant(A).value
        for _ in range(6):
            x = [Fraction(int(v), 2) for v in rng.integers(-8, 9, size=2)]
            y = [Fraction(int(v), 2) for v in rng.integers(-8, 9, size=2)]
            b = [sum(Fraction(a) * yi for a, yi in zip(row, y, strict=True))
                 + int(rng.integers(0, 3)) for row in A]  # y is feasible
            assert _dist_inf(A, b, x) <= H * _residual_inf(A, b, x)


def test_euclidean_inner_problem_by_brute_force():
    # 1/H_J = min ||A_J^T y||_2 over y >= 0, ||y||_2 = 1: dense grid on the 2-d quarter circle
    rng = np.random.default_rng(2)
    t = np.linspace(0, np.pi / 2, 20001)
    Y = np.column_stack([np.cos(t), np.sin(t)])
    for _ in range(6):
        A = np.array(_random_matrix(rng, 2, 2), dtype=float)
        if np.linalg.matrix_rank(A) < 2 or not hoffman_constant(A.tolist()).value:
            continue
        best = 0.0
        for J in ([0], [1], [0, 1]):
            vals = np.linalg.norm(Y[:, : len(J)] @ A[J] if len(J) == 2 else
                                  np.outer(np.ones(1), A[J[0]]), axis=1)
            if len(J) == 2 and np.min(vals) < 1e-9:
                continue  # {0, 1} not surjective
            best = max(best, 1 / np.min(vals))
        assert hoffman_constant(A.tolist(), norm="2").value == pytest.approx(best, rel=1e-6)


def test_bad_input():
    with pytest.raises(TropnetError):
        hoffman_constant([[1, "x"]])
    with pytest.raises(TropnetError):
        hoffman_constant([1, 2])
    with pytest.raises(TropnetError):
        hoffman_constant([[1]], norm="1")
    with pytest.raises(TropnetError):
        hoffman_constant([[1]], method="magic")
    with pytest.raises(TropnetError):
        hoffman_constant([[1]], norm="2", exact=True)


# -- tropical maps -------------------------------------------------------------------------

def test_polynomial_constant_by_hand():
    # cells of max(0, x1, -x1 - x2): rows {(1,0), (-1,-1)} (H = 2), {(-1,0), (-2,-1)} (1),
    # {(1,1), (2,1)} (1/2); the constant is the largest
    f = parse("max(0, x1, -x1 - x2)")
    assert map_hoffman(f).value == 2
    assert hoffman_constant(f, method="exact").value == 2


def test_effective_radius_one_dimensional():
    r = effective_radius(parse("max(0, x - 10)"))
    assert r.radius == 10 and r.hoffman == 1 and r.prop22_bound == 10
    assert effective_box(parse("max(0, x - 10)")).hi == (Fraction(25, 2),)


def _random_poly(rng, m, n=2, lo=-2, hi=2):
    e = rng.integers(lo, hi + 1, size=(m, n)).tolist()
    c = rng.integers(-4, 5, size=m).tolist()
    return TropicalPolynomial.from_monomials(e, c)


def test_ball_of_the_radius_meets_every_cell_and_face():
    # independent LP check of the guarantee: the closed box [-r, r]^n meets every cell of
    # the refinement and every gluing face kept in the spanning forest
    rng = np.random.default_rng(4)
    for _ in range(4):
        r_map = TropicalRational(_random_poly(rng, 4), _random_poly(rng, 3))
        er = effective_radius(r_map)
        closed = Polyhedron.box([-er.radius] * 2, [er.radius] * 2, EXACT)
        cells = tropical_cells([r_map], None, EXACT)
        for cell in cells:
            assert cell.poly.intersect(closed).dimension() >= 0
        _, graph = glue(cells, "facet", EXACT)
        for a, b in graph.edges:
            assert cells[a].poly.intersect(cells[b].poly).intersect(closed).dimension() >= 0


def test_effective_box_counts_like_rn_on_random_maps():
    rng = np.random.default_rng(8)
    for _ in range(5):
        r_map = TropicalRational(_random_poly(rng, 4), _random_poly(rng, 3))
        dom = effective_box(r_map)
        assert linear_regions(r_map, dom).count == linear_regions(r_map).count


def test_nonconvex_region_needs_the_gluing_faces():
    # f = relu(min(x1 - 1, 2 - x1, 10 - x2)): the zero region goes around the top of the
    # strip 1 < x1 < 2, x2 < 10. A box of radius 9.75 meets every region but cuts the zero
    # region in two; the effective box keeps it connected.
    e = parse("max(0, 1 - x1, x1 - 2, x2 - 10) - max(1 - x1, x1 - 2, x2 - 10)")
    assert linear_regions(e).count == 4
    assert linear_regions(e, box("-39/4", "39/4", 2)).count == 5
    er = effective_radius(e)
    assert er.radius >= 10 and er.faces == 2
    assert linear_regions(e, effective_box(e)).count == 4


def test_effective_radius_methods_and_norms_agree():
    e = parse("max(0, x1, x2, x1 + x2 - 1) - max(0, 2*x1 - 3, x2 - 1)")
    exact = effective_radius(e, method="exact")
    pvz = effective_radius(e, method="pvz")
    bounds = effective_radius(e, method="bounds", samples=3)
    assert exact.radius == pvz.radius and isinstance(pvz.radius, Fraction)
    assert bounds.radius >= float(pvz.radius) * (1 - 1e-12)
    assert pvz.prop22_bound >= pvz.radius
    two = effective_radius(e, norm="2")
    assert isinstance(two.radius, float) and two.to_dict()["norm"] == "2"
    assert linear_regions(e, effective_box(e, norm="2")).count == linear_regions(e).count


def test_effective_box_counts_like_rn_on_small_nets():
    rng = np.random.default_rng(21)
    for dims in ([2, 3, 1], [2, 3, 2, 1]):
        net = random_net(rng, dims)
        lin = effective_box(net, kind="linear")
        assert linear_regions(net, lin).count == linear_regions(net).count
        act = effective_box(net, kind="activation")
        assert activation_regions(net, act).count == activation_regions(net).count


def test_network_constant_is_the_compiled_maps_constant():
    rng = np.random.default_rng(1)
    net = random_net(rng, [2, 3, 1])
    from tropnet import compile_network

    assert map_hoffman(net).value == map_hoffman(compile_network(net)).value


# -- command line -------------------------------------------------------------------------

def _cli(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_matrix_and_expression(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"A": [[1, 0], [-1, -1]]}))
    rc, out, _ = _cli(capsys, "hoffman", str(path), "--json")
    data = json.loads(out)
    assert rc == 0 and data["hoffman"] == "2" and data["norm"] == "inf" and data["exact"]
    assert "max-norm" in data["convention"]
    rc, out, _ = _cli(capsys, "hoffman", str(path), "--method", "bounds", "--norm", "2", "--json")
    data = json.loads(out)
    assert rc == 0 and data["hoffman"] is None
    assert data["lower_bound"] <= GOLDEN <= data["upper_bound"]
    rc, out, _ = _cli(capsys, "hoffman", "--expr", "max(0, x - 10)", "--json")
    data = json.loads(out)
    assert rc == 0 and data["effective_radius"] == "10" and data["radius"]["box_radius"] == "25/2"


def test_cli_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"B": 1}))
    rc, _, err = _cli(capsys, "hoffman", str(bad))
    assert rc == 2 and "expected a matrix file" in err
    bad.write_text(json.dumps({"A": [[1, "y"]]}))
    rc, _, err = _cli(capsys, "hoffman", str(bad))
    assert rc == 2 and "not a number" in err
    rc, _, err = _cli(capsys, "hoffman", str(tmp_path / "missing.json"))
    assert rc == 2


def test_every_small_subset_characterisation():
    # brute force over every row subset (no pruning) agrees with both algorithms
    rng = np.random.default_rng(9)
    A = _random_matrix(rng, 5, 2)
    from tropnet.hoffman.matrix import _distinct_rows, _Oracle

    rows, _ = _distinct_rows(EXACT.array(A), EXACT)
    oracle = _Oracle(rows, EXACT)
    best = Fraction(0)
    for k in range(1, len(rows) + 1):
        for J in itertools.combinations(range(len(rows)), k):
            v, _ = oracle.solve(frozenset(J))
            if v > 0:
                best = max(best, 1 / v)
    assert hoffman_constant(A, method="exact").value == best
    assert hoffman_constant(A, method="pvz").value == best


# -- small supports, sectors, facets (the algorithms behind the trained-net targets) --------

def _brute_force(A) -> Fraction:
    """max 1/v(J) over every surjective row set J, one exact LP each (no tropnet Hoffman
    code): v(J) = min ||A_J^T y||_1 over y >= 0, sum y = 1."""
    rows = [list(r) for r in dict.fromkeys(tuple(Fraction(v) for v in r) for r in A)
            if any(r)]
    n = len(rows[0]) if rows else 0
    best = Fraction(0)
    for k in range(1, len(rows) + 1):
        for J in itertools.combinations(rows, k):
            ub, rhs = [], []
            for j in range(n):  # |(A_J^T y)_j| <= t_j
                col = [r[j] for r in J]
                t = [0] * n
                t[j] = -1
                ub += [[*col, *t], [*(-v for v in col), *t]]
                rhs += [0, 0]
            for i in range(k):
                y = [0] * k
                y[i] = -1
                ub.append([*y, *([0] * n)])
                rhs.append(0)
            res = linprog([0] * k + [1] * n, EXACT.array(ub), EXACT.array(rhs), EXACT,
                          A_eq=EXACT.array([[1] * k + [0] * n]), b_eq=EXACT.array([1]))
            if res.value > 0:
                best = max(best, 1 / res.value)
    return best


def test_small_support_methods_equal_brute_force():
    # the small-support theorem (exact), the sectors + LPs (pvz) and the enclosure (bounds)
    # against every row set by exact LPs, in 1 to 3 columns; float input gives the same value
    rng = np.random.default_rng(23)
    for _ in range(40):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 7))
        A = _random_matrix(rng, m, n)
        if not any(any(r) for r in A):
            continue
        best = _brute_force(A)
        for method in ("auto", "exact", "pvz"):
            assert hoffman_constant(A, method=method).value == best, (A, method)
            flt = hoffman_constant(np.array(A, dtype=float), method=method).value
            assert flt == float(best), (A, method)
        b = hoffman_constant(A, method="bounds")
        assert b.lower <= best <= b.upper and b.certified


def test_nearly_opposite_rows_by_hand():
    # rows (1, 0) and (-1, e): the segment between them passes e/2 from 0 (in the max-norm
    # convention's l1 distance: at y = (1/2, 1/2) the point (0, e/2)), so H = 2/e; the single
    # rows give only 1. Exactly opposite rows (e = 0) are never surjective together.
    e = Fraction(1, 10**9)
    for method in ("exact", "pvz"):
        h = hoffman_constant([[1, 0], [-1, e]], method=method)
        assert h.value == 2 / e and h.argmax == (0, 1)
    assert hoffman_constant([[1, 0], [-1, 0]]).value == 1
    flt = hoffman_constant(np.array([[1.0, 0.0], [-1.0, 1e-9]]))
    assert flt.value == float(2 / Fraction(1e-9))  # the exact value for the float entries
    b = hoffman_constant(np.array([[1.0, 0.0], [-1.0, 1e-9]]), method="bounds")
    assert b.lower <= flt.value <= b.upper


def test_windowed_pairs_equal_all_pairs(monkeypatch):
    # many rows in R^2: pairs are looked up near antipodal directions only; the result must
    # equal the enumeration of all pairs, with nearly opposite pairs hidden among the rows
    import tropnet.hoffman.support as support

    rng = np.random.default_rng(31)
    for trial in range(6):
        m = 50 + 30 * trial
        base = rng.normal(size=(m // 2, 2))
        A = np.concatenate([base, -base * rng.uniform(0.5, 2.0, size=(m // 2, 1))
                            + rng.normal(size=(m // 2, 2)) * 10.0 ** -int(rng.integers(3, 12))])
        windowed = support.Supports(A).exact()
        monkeypatch.setattr(support, "WINDOW_ROWS", 10**9)
        assert support.Supports(A).exact() == windowed
        monkeypatch.setattr(support, "WINDOW_ROWS", 40)
        if trial == 0:  # and the sectors with one LP each
            assert hoffman_constant(A, method="pvz").value == float(1 / windowed[0])


def test_sectors_contain_the_maximal_surjective_sets():
    # two columns: the sector sets, maximal among them, are the maximal surjective sets
    # found by trying every row set with an exact LP
    from tropnet.hoffman.matrix import _distinct_rows, _Oracle, _sectors

    rng = np.random.default_rng(13)
    for _ in range(12):
        A = _random_matrix(rng, int(rng.integers(2, 7)), 2)
        rows, _ = _distinct_rows(EXACT.array(A), EXACT)
        if not len(rows):
            continue
        oracle = _Oracle(rows, EXACT)
        surj = [frozenset(J) for k in range(1, len(rows) + 1)
                for J in itertools.combinations(range(len(rows)), k)
                if oracle.solve(frozenset(J))[0] > 0]
        maximal = {J for J in surj if not any(J < K for K in surj)}
        sectors = _sectors(oracle)
        assert all(oracle.surjective(S) for S in sectors)
        assert {S for S in sectors if not any(S < T for T in sectors)} == maximal, A


def test_facet_rows_equal_minimize():
    from tropnet.hoffman.facets import facet_rows

    def halfspaces(P):
        out = set()
        for a, b in zip(P.A, P.b, strict=True):
            a, b = [Fraction(v) for v in a], Fraction(b)
            top = max(abs(v) for v in [*a, b])
            out.add((tuple(v / top for v in a), b / top))
        return out

    rng = np.random.default_rng(3)
    checked = 0
    for t in range(60):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 30))
        A = rng.integers(-4, 5, size=(m, n))
        b = A @ rng.integers(-2, 3, size=n) + rng.integers(0, 4, size=m)
        P = Polyhedron.from_inequalities(A.tolist(), b.tolist(), EXACT) if t % 2 else \
            Polyhedron.from_inequalities(A.astype(float), b.astype(float), FLOAT)
        if P.interior_point() is None:
            continue
        F = facet_rows(P)
        assert halfspaces(F) == halfspaces(P.minimize()) and len(F) == len(halfspaces(F))
        checked += 1
    assert checked > 30


def test_map_constant_by_cells_equals_every_cell_by_pvz():
    # the bounded search over cells (bounds, then exact values for the cells that can
    # still win) equals the largest constant of every cell's full matrix, by plain PVZ
    rng = np.random.default_rng(17)
    for _ in range(10):
        n = int(rng.integers(1, 4))
        r_map = TropicalRational(_random_poly(rng, int(rng.integers(2, 7)), n),
                                 _random_poly(rng, int(rng.integers(1, 5)), n))
        cells = tropical_cells([r_map], None, EXACT, rows="all")
        best = max(hoffman_constant(c.poly.A, method="pvz").value for c in cells)
        for method in ("auto", "exact", "pvz"):
            assert map_hoffman(r_map, method=method).value == best
        b = map_hoffman(r_map, method="bounds")
        assert b.lower <= best <= b.upper


def test_float_network_is_compiled_exactly():
    # a float network's constant is the exact constant of its weights' rationals, rounded
    rng = np.random.default_rng(1)
    net = random_net(rng, [2, 3, 1])
    flt = Network.from_lists(2, [(np.array(ly.weight, dtype=float).tolist(),
                                  np.array(ly.bias, dtype=float).tolist(), ly.activation)
                                 for ly in net.layers])
    exact, h = map_hoffman(net), map_hoffman(flt)
    assert isinstance(h.value, float) and h.value == float(exact.value)
    assert h.info["decided"] == "exact" and not h.to_dict()["exact"]
    for kind in ("linear", "activation"):  # the radii too: exact, then rounded
        er, ef = effective_radius(net, kind=kind), effective_radius(flt, kind=kind)
        assert isinstance(ef.radius, float) and ef.radius == float(er.radius), kind


def test_progress_and_refusal(monkeypatch):
    import tropnet.limits as limits
    from tropnet.errors import TooLargeError

    e = parse("max(0, x1, x2, x1 + x2 - 1, 2*x1 - x2) - max(0, 2*x1 - 3, x2 - 1, -x1)")
    calls = []
    h = map_hoffman(e, method="pvz", progress=lambda d, t, w: calls.append((d, t, w)))
    phases = list(dict.fromkeys(w for _, _, w in calls))
    assert phases[0] == "cells bounded" and "LPs" in phases
    for phase in phases:  # every phase counts up to its total
        done = [(d, t) for d, t, w in calls if w == phase]
        assert [d for d, _ in done] == list(range(1, len(done) + 1))
    assert calls[len([c for c in calls if c[2] == "cells bounded"]) - 1][:2] == \
        (h.info["cells"], h.info["cells"])
    # a search estimated over the time budget is refused, naming the cheap method
    monkeypatch.setattr(limits, "TIME_BUDGET", 1e-9)
    with pytest.raises(TooLargeError, match="--method bounds"):
        map_hoffman(e, method="pvz")
    assert map_hoffman(e, method="bounds").lower <= h.value  # bounds are never refused
    with limits.forced():
        assert map_hoffman(e, method="pvz").value == h.value


def test_cli_refuses_a_long_search(tmp_path, capsys, monkeypatch):
    import tropnet.limits as limits

    monkeypatch.setattr(limits, "TIME_BUDGET", 1e-9)
    rc, out, err = _cli(capsys, "hoffman", "--expr", "max(0, x1, x2, x1 + x2 - 1) - max(0, x1 - 2)",
                        "--method", "pvz")
    assert rc == 2 and not out and "--method bounds" in err and "Traceback" not in err


MOONS = Path(__file__).resolve().parent.parent / "benchmarks" / "nets" / "moons16.json"


def _moons_cut(units: int) -> Network:
    """The shipped trained 2-[16,16]-1 with only the first ``units`` of its second layer."""
    layers = json.loads(MOONS.read_text())["layers"]
    return Network.from_lists(2, [
        layers[0],
        {"weight": layers[1]["weight"][:units], "bias": layers[1]["bias"][:units],
         "activation": "relu"},
        {"weight": [layers[2]["weight"][0][:units]], "bias": layers[2]["bias"],
         "activation": "identity"}])


def test_trained_net_cut_bounds_contain_pvz():
    # the trained moons net cut to 2-[16,3]-1 (225 cells of 283 rows): the certified
    # interval contains the PVZ value, which equals the small-support value exactly
    net = _moons_cut(3)
    b = map_hoffman(net, method="bounds")
    p = map_hoffman(net, method="pvz")
    a = map_hoffman(net)
    assert b.info["cells"] == p.info["cells"] == 225
    assert b.lower <= p.value <= b.upper and b.upper - b.lower < 1e-6 * b.upper
    assert a.value == p.value and p.info["cells_searched"] == 1
    assert p.value == pytest.approx(212810.41597712808, rel=1e-12)
    # the effective boxes count like R^n on this trained net
    for kind in ("linear", "activation"):
        on_rn = linear_regions(net, method="enumerate").count if kind == "linear" else \
            activation_regions(net).count
        dom = effective_box(net, kind=kind)
        on_box = linear_regions(net, dom, method="enumerate").count if kind == "linear" else \
            activation_regions(net, dom).count
        assert on_box == on_rn, kind


@pytest.mark.slow
def test_trained_net_bounds_contain_pvz():
    from tropnet.io import load_network

    net = load_network(MOONS)
    b = map_hoffman(net, method="bounds")
    p = map_hoffman(net, method="pvz")
    assert b.info["cells"] == 689 and b.lower <= p.value <= b.upper
    assert p.value == map_hoffman(net).value == pytest.approx(2447983.17945814, rel=1e-12)

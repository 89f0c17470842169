"""Hoffman constants (matrices and tropical maps) and the effective radius / box."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import random_net
from tropnet import (
    TropicalPolynomial,
    TropicalRational,
    TropnetError,
    activation_regions,
    linear_regions,
    parse,
)
from tropnet.arithmetic import EXACT
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
    A = [[1, 0], [-1, -1]]
    b = hoffman_constant(A, method="bounds")
    assert b.info["ghr_bound"] == pytest.approx(GOLDEN)
    assert b.lower <= 2 <= b.upper


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
    assert rc == 0 and data["hoffman"] == 2 and data["norm"] == "inf" and data["exact"]
    assert "max-norm" in data["convention"]
    rc, out, _ = _cli(capsys, "hoffman", str(path), "--method", "bounds", "--norm", "2", "--json")
    data = json.loads(out)
    assert rc == 0 and data["hoffman"] is None and data["lower"] <= GOLDEN <= data["upper"]
    rc, out, _ = _cli(capsys, "hoffman", "--expr", "max(0, x - 10)", "--json")
    data = json.loads(out)
    assert rc == 0 and data["effective_radius"] == 10 and data["radius"]["box_radius"] == "25/2"


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

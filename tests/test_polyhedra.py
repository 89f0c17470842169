"""Polyhedra and the LP entry point on their own: hand-worked cases, exact vs float."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tropnet import EXACT, FLOAT
from tropnet.polyhedra import Polyhedron, closures_meet, facet_adjacent, linprog

ARITHS = [EXACT, FLOAT]


def _poly(A, b, arith):
    return Polyhedron.from_inequalities(A, b, arith, len(A[0]))


@pytest.mark.parametrize("arith", ARITHS, ids=str)
def test_dimensions(arith):
    square = Polyhedron.box([0, 0], [1, 1], arith)
    assert square.dimension() == 2 and square.is_full_dimensional()
    segment = _poly([[1, 0], [-1, 0], [0, 1], [0, -1]], [1, 0, 0, 0], arith)  # y = 0, 0<=x<=1
    assert segment.dimension() == 1 and not segment.is_full_dimensional()
    point = _poly([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0], arith)
    assert point.dimension() == 0
    empty = _poly([[1, 0], [-1, 0]], [0, -1], arith)  # x <= 0 and x >= 1
    assert empty.dimension() == -1 and empty.is_empty()
    assert Polyhedron.whole(3, arith).dimension() == 3


@pytest.mark.parametrize("arith", ARITHS, ids=str)
def test_interior_point_is_interior(arith):
    tri = _poly([[-1, 0], [0, -1], [1, 1]], [0, 0, 1], arith)  # x, y >= 0, x + y <= 1
    x, r = tri.interior_point()
    assert r > 0 and tri.contains(x, strict=True)
    assert sorted(map(tuple, np.round(tri.vertices(), 9))) == [(0, 0), (0, 1), (1, 0)]


@pytest.mark.parametrize("arith", ARITHS, ids=str)
def test_adjacency(arith):
    left = Polyhedron.box([-1, 0], [0, 1], arith)
    right = Polyhedron.box([0, 0], [1, 1], arith)
    corner = Polyhedron.box([1, 1], [2, 2], arith)
    far = Polyhedron.box([3, 3], [4, 4], arith)
    assert facet_adjacent(left, right) and closures_meet(left, right)
    assert not facet_adjacent(right, corner) and closures_meet(right, corner)
    assert not closures_meet(right, far)


def test_lp_statuses_and_exact_optimum():
    A = [[1, 1], [-1, 0], [0, -1]]
    res = linprog([1, 2], A, [Fraction(1, 3), 0, 0], EXACT, maximize=True)
    assert res.status == "optimal" and res.value == Fraction(2, 3)
    assert linprog([1, 0], [[1, 0], [-1, 0]], [0, -1], EXACT).status == "infeasible"
    assert linprog([1, 0], [[1, 0]], [0], EXACT).status == "unbounded"
    assert linprog([1, 0], [[1, 0]], [0], FLOAT).status == "unbounded"


def test_exact_and_float_lps_agree(rng):
    for _ in range(30):
        A = rng.integers(-5, 6, size=(6, 3))
        b = rng.integers(0, 6, size=6)  # the origin is feasible
        c = rng.integers(-3, 4, size=3)
        A = np.vstack([A, np.eye(3, dtype=int), -np.eye(3, dtype=int)])  # inside [-4, 4]^3
        b = np.concatenate([b, [4] * 6])
        ex = linprog(c.tolist(), A.tolist(), b.tolist(), EXACT, maximize=True)
        fl = linprog(c.tolist(), A.tolist(), b.tolist(), FLOAT, maximize=True)
        assert ex.status == fl.status == "optimal"
        assert abs(float(ex.value) - fl.value) < 1e-7

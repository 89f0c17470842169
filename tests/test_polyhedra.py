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


def test_vertices_of_a_thin_polyhedron_that_float_cdd_rejects():
    """A piece of a decision boundary (a segment in the plane, written as 14 inequalities,
    two of them opposite): float cdd reports a numerical inconsistency on these rows; the
    vertices come from the same system solved exactly instead."""
    big = (Fraction(201685841374585160992877, 9444732965739290427392),
           Fraction(-148909280802874412952795, 4722366482869645213696))
    c = Fraction(-57994848773682529747343, 2361183241434822606848)
    A = [[1, 0], [0, 1], [-1, 0], [0, -1], [131520504, 8433611], [137296176, -16462454],
         [-18276780, 12724907], [-4555777, -79213160], [-51929968, 58473500],
         [-113631576, -16460973], [2530031280457160, 5254717419786440],
         [17990082853810830, -7970460118412576], list(big), [-big[0], -big[1]]]
    b = [3, 3, 2, 2, 117706008, -14776380, 32170428, 39835256, 65963100, 16436701,
         5430960109573096, -6461080790793512, c, -c]
    exact = Polyhedron(np.array(A, dtype=object), np.array(b, dtype=object), EXACT)
    floats = Polyhedron(np.array(A, dtype=float), np.array(b, dtype=float), FLOAT)
    ends = exact.vertices()
    assert ends.shape == (2, 2)
    assert np.allclose(np.sort(floats.vertices(), axis=0), np.sort(ends, axis=0))
    # both ends lie on the line big . x = c, inside every other row
    assert np.allclose(ends @ np.array([float(big[0]), float(big[1])]), float(c))
    slack = np.array(b, dtype=float)[:, None] - np.array(A, dtype=float) @ ends.T
    assert (slack >= -1e-6 * np.abs(np.array(b, dtype=float))[:, None] - 1e-9).all()

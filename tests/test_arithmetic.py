"""The arithmetic layer on its own: exact conversion, float tolerances, filters, keys."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import EXACT, FLOAT, NearDegeneracyWarning, NetworkError
from tropnet.arithmetic import ExactArithmetic, format_number, parse_number, resolve


def test_parse_number():
    assert parse_number("3/2") == (Fraction(3, 2), True)
    assert parse_number(" 0.25 ") == (Fraction(1, 4), True)
    assert parse_number(7) == (Fraction(7), True)
    assert parse_number(0.1) == (Fraction(3602879701896397, 36028797018963968), False)
    for bad in (float("nan"), float("inf"), True, None, "1/0", "x", [1]):
        with pytest.raises(NetworkError):
            parse_number(bad)
    assert format_number(Fraction(3, 2)) == "3/2" and format_number(Fraction(4)) == 4


def test_domains_of_values():
    assert EXACT.dtype is object and FLOAT.dtype is float
    assert EXACT.zero == 0 and isinstance(EXACT.one, Fraction) and FLOAT.one == 1.0
    assert EXACT.tol == 0 and FLOAT.tol == 2.0**-30
    assert EXACT.cdd_exact and not FLOAT.cdd_exact
    v = EXACT.vector(["1/3", 2, 0.5])
    assert v.dtype == object and list(v) == [Fraction(1, 3), 2, Fraction(1, 2)]
    assert ExactArithmetic(limit_denominator=10).convert(0.1) == Fraction(1, 10)
    with pytest.raises(NetworkError, match="beyond the float range"):
        FLOAT.convert(Fraction(10) ** 400)


def test_resolve_rule():
    class Src:
        def __init__(self, exact: bool) -> None:
            self.exact_input = exact

    assert resolve(None, Src(True), Src(True)) is EXACT
    assert resolve(None, Src(True), Src(False)) is FLOAT
    assert resolve(True, Src(False)) is EXACT and resolve(FLOAT) is FLOAT


def test_float_sign_tolerance_and_near_degeneracy_warning():
    assert list(FLOAT.sign(np.array([1e-14, -1e-14, 1e-3, -1e-3]))) == [0, 0, 1, -1]
    # relative to the scale of the terms
    assert list(FLOAT.sign(np.array([1e-9]), 1e6)) == [0]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        FLOAT.sign(np.array([2.0**-30 * 4]))  # inside the near-degenerate band
    assert any(issubclass(x.category, NearDegeneracyWarning) for x in w)
    assert list(EXACT.sign(np.array([Fraction(1, 10**30), 0, -1], dtype=object))) == [1, 0, -1]


@settings(max_examples=50)
@given(st.lists(st.integers(-2**60, 2**60), min_size=2, max_size=6), st.integers(0, 5))
def test_filtered_sign_is_exact(ints, shift):
    """Sums that cancel exactly or nearly: the float filter never decides a wrong sign."""
    vals = [Fraction(i, 3**shift) for i in ints]
    total = sum(vals) - vals[0] + vals[0] + Fraction(1, 2**80) * (shift - 2)
    terms = np.array([[float(v) for v in vals] + [float(total - sum(vals))]])
    approx = terms.sum(axis=1)
    magnitude = np.abs(terms).sum(axis=1)
    got = EXACT.filtered_sign(approx, magnitude, lambda idx: [total for _ in idx], terms.shape[1])
    assert got[0] == (total > 0) - (total < 0)


def test_scaled_matrices_multiply_exactly(rng):
    A = EXACT.array([[Fraction(int(v), int(d)) for v, d in zip(row, den, strict=True)]
                     for row, den in zip(rng.integers(-9, 10, (3, 4)),
                                         rng.integers(1, 7, (3, 4)), strict=True)])
    B = EXACT.array([[Fraction(int(v), 5) for v in row] for row in rng.integers(-9, 10, (4, 2))])
    prod = (EXACT.scaled(A) @ EXACT.scaled(B)).values()
    assert (prod == A.dot(B)).all()


def test_keys():
    a = [Fraction(1, 2), Fraction(-1, 3)]
    key, side = EXACT.hyperplane_key(a, 1)
    assert key == (3, -2, 6) and side == 1
    assert EXACT.hyperplane_key([-v for v in a], -1) == (key, -1)  # the opposite half-space
    assert EXACT.hyperplane_key([0, 0], 0) is None
    assert FLOAT.hyperplane_key([0.5, -1 / 3], 1.0)[0] == FLOAT.hyperplane_key([1.0, -2 / 3],
                                                                              2.0)[0]
    assert FLOAT.vector_key([1.0, 2.0]) == FLOAT.vector_key([1.0 + 1e-14, 2.0])
    assert FLOAT.vector_key([4 / 3, -2 / 3]) != FLOAT.vector_key([20 / 9, -10 / 9])


def test_cancel():
    vals = np.array([1e-17, 0.5])
    assert list(FLOAT.cancel(vals, np.array([1.0, 1.0]))) == [0.0, 0.5]
    exact = np.array([Fraction(1, 10**20)], dtype=object)
    assert EXACT.cancel(exact, 1.0) is exact


def test_ball_of_a_scaled_matrix_equals_the_ball_of_its_values():
    from tropnet.arithmetic import Ball, ScaledMatrix

    num = np.array([[3 * 2**40, 1], [-(10**30) - 7, 2**60 + 1], [0, -5]], dtype=object)
    m = ScaledMatrix(num, 2**40 * 7)
    a, b = Ball.of(m.values()), Ball.of_scaled(m)
    assert np.array_equal(a.mid, b.mid) and np.array_equal(a.rad, b.rad)
    # 3 * 2^40 / (7 * 2^40) = 3/7 is no float: a radius; 0 is exact
    assert b.rad[0, 0] > 0 and b.rad[2, 0] == 0
    exact = Ball.of(np.array([Fraction(1, 2), 5, 2**60 + 1, Fraction(1, 3)], dtype=object))
    assert exact.rad[0] == exact.rad[1] == 0 and exact.rad[2] > 0 and exact.rad[3] > 0
    for k in range(4):  # every radius covers the error of its midpoint
        v = [Fraction(1, 2), 5, 2**60 + 1, Fraction(1, 3)][k]
        assert abs(Fraction(exact.mid[k]) - v) <= Fraction(exact.rad[k])

"""Pruning: the hull-and-certificate algorithm against one LP per monomial."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet.arithmetic import EXACT, FLOAT
from tropnet.tropical import TropicalPolynomial
from tropnet.tropical.prune import _lp_all, irredundant


def _both(e, c, arith):
    p = TropicalPolynomial.from_monomials(e, c, arith)
    fast = irredundant(p.exponents, p.coefficients, arith).tolist()
    slow = _lp_all(EXACT.array(p.exponents), EXACT.array(p.coefficients))[0].tolist()
    return fast, slow


@pytest.mark.parametrize("n", [1, 2, 3])
def test_hull_path_equals_lp_on_random_sets(n):
    rng = np.random.default_rng(n)
    for trial in range(15):
        m = int(rng.integers(3, 30))
        e = rng.integers(-4, 5, size=(m, n)).tolist()
        c = [Fraction(int(v), 3) for v in rng.integers(-9, 10, size=m)]
        fast, slow = _both(e, c, EXACT)
        assert fast == slow, (trial, e, c)


def test_minkowski_sums_of_segments_zonotopes():
    rng = np.random.default_rng(7)
    for n in (2, 3):
        p = TropicalPolynomial.constant(0, n)
        for _ in range(6):
            seg = rng.integers(-5, 6, size=(2, n)).tolist()
            p = p & TropicalPolynomial.from_monomials(seg, rng.integers(-3, 4, size=2).tolist())
        fast = irredundant(p.exponents, p.coefficients, EXACT).tolist()
        slow = _lp_all(p.exponents, p.coefficients)[0].tolist()
        assert fast == slow


@pytest.mark.parametrize("e, c, expected", [
    ([[0], [1], [2]], [0, 0, 0], [0, 2]),                      # flat: only the ends
    ([[0, 0], [1, 0], [2, 0], [3, 0]], [0, 1, 1, 0], [0, 1, 2, 3]),  # exponents on a line
    ([[0, 0], [1, 0], [2, 0], [3, 0]], [0, 2, 1, 1], [0, 1, 3]),
    ([[0, 0], [1, 0], [0, 1], [1, 1], [Fraction(1, 2), Fraction(1, 2)]], [0, 0, 0, 0, 0],
     [0, 1, 2, 3]),                                            # flat square: centre dropped
    ([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 2, 0]], [0, 0, 0, 0, 1], [0, 1, 2, 4]),
])
def test_degenerate_configurations(e, c, expected):
    for arith in (EXACT, FLOAT):
        p = TropicalPolynomial.from_monomials(e, c, arith)
        got = irredundant(p.exponents, p.coefficients, arith).tolist()
        kept = sorted(tuple(float(v) for v in p.exponents[i]) for i in got)
        want = sorted(tuple(float(v) for v in TropicalPolynomial.from_monomials(
            e, c, arith).exponents[i]) for i in expected)
        assert kept == want


coords = st.integers(-3, 3)


@given(st.integers(1, 3).flatmap(lambda n: st.lists(
    st.tuples(st.lists(coords, min_size=n, max_size=n), st.integers(-4, 4)),
    min_size=3, max_size=14)))
def test_property_fast_equals_lp(terms):
    e = [t[0] for t in terms]
    c = [t[1] for t in terms]
    fast, slow = _both(e, c, EXACT)
    assert fast == slow


def test_float_mode_agrees_on_well_conditioned_sets():
    rng = np.random.default_rng(3)
    for _ in range(10):
        e = rng.normal(size=(25, 2))
        c = rng.normal(size=25)
        pf = TropicalPolynomial.from_monomials(e, c, FLOAT)
        pe = TropicalPolynomial.from_monomials(e, c, EXACT)
        assert irredundant(pf.exponents, pf.coefficients, FLOAT).tolist() == \
            irredundant(pe.exponents, pe.coefficients, EXACT).tolist()


@given(st.integers(1, 3).flatmap(lambda n: st.lists(
    st.tuples(st.lists(coords, min_size=n, max_size=n), st.integers(-4, 4)),
    min_size=1, max_size=14)))
def test_witnesses_are_strict_interior_points(terms):
    p = TropicalPolynomial.from_monomials([t[0] for t in terms], [t[1] for t in terms])
    idx, pts = irredundant(p.exponents, p.coefficients, EXACT, witnesses=True)
    assert len(idx) >= 1
    for i, x in zip(idx, pts, strict=True):
        vals = p.coefficients + p.exponents.dot(x)
        assert all(vals[i] > v for j, v in enumerate(vals) if j != i)

"""Tropical polynomials and rational maps: semiring laws, evaluation, text form, parser."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import (
    ExpressionError,
    TropicalPolynomial,
    TropicalRational,
    monomial_complexity,
    parse,
    parse_polynomial,
)

small = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@st.composite
def polys(draw, nvars=2, max_terms=5):
    m = draw(st.integers(1, max_terms))
    e = [[draw(small) for _ in range(nvars)] for _ in range(m)]
    c = [draw(small) for _ in range(m)]
    return TropicalPolynomial.from_monomials(e, c)


points = st.lists(small, min_size=2, max_size=2)


@given(polys(), polys(), points)
def test_evaluation_homomorphism(f, g, x):
    assert (f | g)(x) == max(f(x), g(x))
    assert (f & g)(x) == f(x) + g(x)
    assert (f ** Fraction(3, 2))(x) == Fraction(3, 2) * f(x)


@given(polys(), polys(), polys())
def test_semiring_laws(f, g, h):
    assert ((f | g) | h).equals(f | (g | h))
    assert ((f & g) & h).equals(f & (g & h))
    assert (f & (g | h)).equals((f & g) | (f & h))
    assert (f | g).equals(g | f) and (f & g).equals(g & f)


@given(polys(max_terms=8), points)
def test_prune_keeps_the_function(f, x):
    p = f.prune()
    assert p(x) == f(x)
    assert p.equals(f)
    assert len(p) <= len(f)


def test_hand_worked_pruning():
    f = parse_polynomial("max(0, x, 2*x)")
    assert str(f.prune()) == "max(0, 2*x)"
    assert monomial_complexity(f) == (2, 1)
    # the centre monomial lies below the lifted square's corners: redundant; above: not
    g = parse_polynomial("max(0, x, y, x + y, 1/2*x + 1/2*y - 1)")
    assert len(g.prune()) == 4
    h = parse_polynomial("max(0, x, y, x + y, 1/2*x + 1/2*y + 1)")
    assert len(h.prune()) == 5
    assert monomial_complexity(parse("max(x, y)")) == (2, 1)


def test_text_form_and_round_trip():
    f = TropicalPolynomial.from_monomials([[0], [1], [2]], [0, 0, -2])
    assert str(f) == "max(0, x1, 2*x1 - 2)"
    r = parse("max(0, x, 2*x - 2) - max(0, 2*x - 2)")
    assert str(r) == "max(0, x, 2*x - 2) - max(0, 2*x - 2)"
    assert parse(str(r)).numerator.monomials() == r.numerator.monomials()
    q = parse("max(3/2*x1 - x2, -1/3) + 2*max(x2, 0) - min(x1, x2) + x1")
    assert q([Fraction(1), Fraction(-2)]) == Fraction(7, 2) + 0 + 2 + 1
    assert parse(q.format()).numerator.equals(q.numerator)


def test_rational_algebra():
    r = parse("max(0, x)")
    s = parse("max(0, -x)")
    x = [Fraction(-5, 2)]
    assert (r & s)(x) == r(x) + s(x)
    assert (r | s)(x) == max(r(x), s(x))
    assert (r / s)(x) == r(x) - s(x)
    assert isinstance(r, TropicalRational)


@pytest.mark.parametrize("text, message", [
    ("max(0, x*y)", "not affine"),
    ("max(0, x", "cannot parse"),
    ("max(0, x) * max(0, y)", "mixes max"),
    ("max(0, -max(x, 0))", "negative multiple"),
    ("sin(x)", "unknown function sin"),
    ("x**2 + max(0, x)", "not affine"),
    ("", "empty"),
    ("3", "no variables"),
])
def test_parse_errors(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_negative_power_rejected():
    with pytest.raises(ExpressionError, match="non-negative"):
        parse_polynomial("max(0, x)") ** -1


def test_float_polynomials_are_the_numbers_as_stored():
    # 0.1 + 0.2 is 0.30000000000000004, not 0.3: two monomials, and both are irredundant
    # (the first wins for x > 1 / 2**-54 or so); only equal floats merge
    f = TropicalPolynomial.from_monomials([[0.1 + 0.2], [0.3]], [0.0, 1.0])
    assert len(f) == 2 and not f.exact
    assert len(f.prune()) == 2
    g = TropicalPolynomial.from_monomials([[0.5], [1 / 2]], [0.0, 1.0])
    assert len(g) == 1 and g.coefficients[0] == 1.0


def test_batch_evaluation_matches_pointwise(rng):
    e = rng.integers(-3, 4, size=(6, 2))
    c = rng.integers(-3, 4, size=6)
    f = TropicalPolynomial.from_monomials(e.tolist(), c.tolist())
    xs = rng.normal(size=(10, 2))
    assert np.allclose(f.evaluate_batch(xs), [float(f(list(x))) for x in xs])

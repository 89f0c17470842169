"""The input span: a first layer with fewer rows than inputs is solved on the span of its rows
and lifted back, with the same regions, maps and monomials as without the reduction."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import EXACT, FLOAT, Network, compile_network, monomial_complexity
from tropnet.engines import enumerate as enumeration
from tropnet.span import input_span

from .helpers import random_net


def _wide(rng, n, widths, rational=True, dependent=False):
    net = random_net(rng, [n, *widths, 1], rational=rational)
    if not dependent:
        return net
    W = np.array(net.layers[0].weight, dtype=object)
    W[-1] = W[0] * Fraction(1, 2) - W[1] * 2  # a row in the span of two others
    first = net.layers[0]
    layer = tropnet.Layer.create(W.tolist(), first.bias.tolist(), first.act)
    return Network(n, (layer, *net.layers[1:]))


def test_basis_and_coefficients_are_exact():
    net = _wide(np.random.default_rng(0), 6, [4, 3], dependent=True)
    span = input_span(net, EXACT)
    assert span.rank == 3 and span.net_on_span.input_dim == 3
    C = span.net_on_span.layers[0].weight
    W = net.layers[0].weight
    assert (np.dot(C, span.basis) == W).all()
    z = [Fraction(1, 3), Fraction(-2, 7), Fraction(5, 2)]
    x = span.lift_point(z, EXACT)
    assert list(np.dot(span.basis, x)) == z
    assert input_span(random_net(np.random.default_rng(1), [3, 4, 1]), EXACT) is None


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("n", "widths", "dependent"), [(5, [2, 3], False), (6, [4, 3], True),
                                                        (7, [3], False)])
def test_regions_equal_the_unreduced_engine(seed, n, widths, dependent):
    net = _wide(np.random.default_rng(seed), n, widths, dependent=dependent)
    plain = enumeration.activation_regions(net, None, "lp", EXACT)  # no reduction: R^n LPs
    acts = tropnet.activation_regions(net, exact=True)
    assert acts.info["input_span"] == len(net.layers[0].weight) - dependent
    assert {r.pattern for r in acts} == {r.pattern for r in plain}
    for r in acts:  # cells, points and maps live in R^n
        x = r.interior_point
        assert net.patterns(x, EXACT) == r.pattern
        assert r.cells[0].contains(x, strict=True)
        W, b, _ = net.affine_map(x, EXACT)
        assert (W == r.weight).all() and (b == r.bias).all()
    linear = {m: tropnet.linear_regions(net, method=m, exact=True).count
              for m in ("enumerate", "tropical", "layerwise")}
    assert len(set(linear.values())) == 1, linear


def test_float_mode_is_certified_and_equals_exact():
    net = _wide(np.random.default_rng(4), 9, [3, 3], rational=False)
    fl = tropnet.activation_regions(net)
    ex = tropnet.activation_regions(net, exact=True)
    assert not fl.arith.exact and fl.info["input_span"] == 3
    assert {r.pattern for r in fl} == {r.pattern for r in ex}
    for r in fl:
        assert net.patterns(EXACT.array(r.interior_point), EXACT) == r.pattern
    assert tropnet.linear_regions(net).count == tropnet.linear_regions(net, exact=True).count
    assert fl.graph.number_of_edges() == ex.graph.number_of_edges()


def _compile_without_span(net):
    """The compile rule applied layer by layer on R^n (no reduction), exactly."""
    from tropnet.tropical import TropicalPolynomial, TropicalRational
    from tropnet.tropical.compile import compile_layer

    n = net.input_dim
    F = [TropicalPolynomial.variable(j, n, EXACT) for j in range(n)]
    G = [TropicalPolynomial.constant(0, n, EXACT)] * n
    for layer in net.layers:
        F, G = compile_layer(layer, F, G, EXACT)
    return [TropicalRational(f, g) for f, g in zip(F, G, strict=True)]


@pytest.mark.parametrize(("seed", "activation", "dependent"), [
    (0, "relu", False), (1, "relu", True), (2, "leaky_relu", True), (3, "maxout", False)])
def test_compile_on_the_span_is_the_compile_rule_exactly(seed, activation, dependent):
    """Same monomials as the rule applied on R^n: the span's compile times the common
    monomial factor of each output."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, [7, 3, 3, 1], activation)
    if dependent:
        net = _wide(rng, 6, [4, 3], dependent=True)
    assert input_span(net, EXACT) is not None
    (got,), (want,) = compile_network(net), _compile_without_span(net)
    assert got.numerator.monomials() == want.numerator.monomials()
    assert got.denominator.monomials() == want.denominator.monomials()


def test_float_compile_on_the_span():
    net = _wide(np.random.default_rng(6), 7, [3, 3], rational=False)
    (fl,), (ex,) = compile_network(net), _compile_without_span(net)
    assert not fl.arith.exact
    assert monomial_complexity(fl, prune=False) == monomial_complexity(ex, prune=False)
    assert fl.numerator.monomials() == ex.numerator.to(FLOAT).monomials()

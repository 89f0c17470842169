"""Compilation of networks into tropical rational maps."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.bench_float import HARD, hard_net
from tropnet import (
    Network,
    activation_regions,
    compile_network,
    linear_regions,
    monomial_complexity,
)

from .helpers import random_net


def test_abs_by_hand():
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    (r,) = compile_network(net)
    # relu(x) = max(0, x) - 0 ; relu(-x) = max(0, x) - x ; sum = max(0, x, 2x) - x -> pruned
    assert str(r) == "max(0, 2*x1) - x1"
    (raw,) = compile_network(net, prune=False)
    assert monomial_complexity(raw, prune=False) == (3, 1)
    assert monomial_complexity(raw) == (2, 1)


def test_leaky_relu_by_hand():
    net = Network.from_lists(1, [([[1]], [0], "leaky_relu", {"slope": "1/2"}),
                                 ([[1]], [0], "identity")])
    (r,) = compile_network(net)
    assert str(r) == "max(1/2*x1, x1)"


def test_maxout_by_hand():
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "maxout", {"rank": 2}),
                                 ([[1]], [0], "identity")])
    (r,) = compile_network(net)
    assert str(r) == "max(0, 2*x1) - x1"


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "maxout", "identity"])
@pytest.mark.parametrize("dims", [[2, 3, 1], [2, 3, 3, 2], [3, 2, 2, 1]])
def test_compiled_map_equals_network_exactly(activation, dims):
    rng = np.random.default_rng(len(dims) * 10 + len(activation))
    net = random_net(rng, dims, activation)
    for prune in (True, False):
        maps = compile_network(net, prune=prune)
        assert len(maps) == dims[-1]
        for _ in range(25):
            x = [Fraction(int(v), 5) for v in rng.integers(-25, 26, size=dims[0])]
            y = net.forward(x)
            assert [r(x) for r in maps] == list(y)


def test_pruned_and_unpruned_agree_as_functions(rng):
    net = random_net(rng, [2, 4, 3, 1], "relu")
    (a,) = compile_network(net, prune=True)
    (b,) = compile_network(net, prune=False)
    assert a.numerator.equals(b.numerator) and a.denominator.equals(b.denominator)


def test_float_compile_close_to_network(rng):
    net = random_net(rng, [2, 5, 5, 1], rational=False)
    (r,) = compile_network(net)
    assert not r.arith.exact
    xs = rng.normal(size=(50, 2)) * 3
    assert np.allclose(r.evaluate_batch(xs), net.forward_batch(xs)[:, 0], atol=1e-9)


def _argmax_net(poly) -> Network:
    """The network ``x -> max_i (c_i + a_i . x)``: one maxout unit with a piece per monomial.
    Its activation regions are the full-dimensional cells of the monomials."""
    e, c = poly.exponents, poly.coefficients
    return Network.from_lists(poly.nvars, [(e.tolist(), c.tolist(), "maxout", {"rank": len(c)}),
                                           ([[1]], [0], "identity")])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(hard_net, st.sampled_from(HARD), st.integers(0, 10**6),
                 st.sampled_from([(1, 3, 2, 1), (2, 3, 1), (2, 3, 3, 1), (2, 2, 2, 2, 1)]),
                 st.sampled_from(["relu", "leaky_relu"])))
def test_float_compile_has_the_exact_monomials(net):
    """Float mode compiles exactly on the float weights as given and rounds at the end."""
    (fl,), (ex,) = compile_network(net), compile_network(net, exact=True)
    assert not fl.arith.exact and ex.arith.exact
    for a, b in ((fl.numerator, ex.numerator), (fl.denominator, ex.denominator)):
        assert sorted(map(tuple, a.exponents.tolist())) == sorted(
            tuple(float(v) for v in row) for row in b.exponents)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("dims", "activation"), [([2, 4, 3, 1], "relu"),
                                                  ([2, 3, 3, 1], "leaky_relu"),
                                                  ([3, 3, 2, 1], "relu")])
def test_monomials_are_the_linear_regions_of_f_and_g(seed, dims, activation):
    """The irredundant monomials of F (and of G) are its linear regions, counted independently:
    as the activation regions of a one-unit maxout net, by the enumeration engine."""
    net = random_net(np.random.default_rng(seed), dims, activation)
    (r,) = compile_network(net, method="products")
    for poly in (r.numerator, r.denominator):
        count = activation_regions(_argmax_net(poly), engine="vertex").count
        assert count == len(poly)
        assert len(poly) == len(poly.prune())


def _same_monomials(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.numerator.monomials() == y.numerator.monomials()
        assert x.denominator.monomials() == y.denominator.monomials()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("dims", "activation"), [
    ([2, 3, 3, 2], "relu"), ([2, 3, 3, 1], "leaky_relu"), ([2, 2, 2, 1], "maxout"),
    ([3, 3, 2, 1], "relu"), ([1, 3, 3, 3, 1], "relu"), ([2, 3, 2], "identity")])
def test_regions_compile_equals_products_compile(seed, dims, activation):
    """The output-sensitive compile (maps of F and G on the activation regions) has exactly
    the monomials of the rule with pruning after every product."""
    net = random_net(np.random.default_rng(seed), dims, activation)
    _same_monomials(compile_network(net, method="regions"),
                    compile_network(net, method="products"))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(hard_net, st.sampled_from(HARD), st.integers(0, 10**6),
                 st.sampled_from([(1, 3, 2, 1), (2, 3, 1), (2, 3, 3, 1)]),
                 st.sampled_from(["relu", "leaky_relu"])))
def test_regions_compile_on_degenerate_float_nets(net):
    _same_monomials(compile_network(net, method="regions", exact=True),
                    compile_network(net, method="products", exact=True))
    fl = compile_network(net)  # float: certified enumeration, exact maps, rounded
    _same_monomials(fl, [m.to(fl[0].arith) for m in compile_network(net, exact=True)])


@pytest.mark.parametrize("seed", range(3))
def test_regions_compile_with_non_dyadic_weights(seed):
    """Thirds are not floats: the regions compile enumerates in exact arithmetic then."""
    net = random_net(np.random.default_rng(seed), [2, 3, 3, 1], "leaky_relu",
                     slope=Fraction(1, 3), denominator=3)
    _same_monomials(compile_network(net, method="regions"),
                    compile_network(net, method="products"))


def test_degenerate_net_with_coincident_and_dead_units():
    # units 1 and 2 share a hyperplane, unit 3 is dead (always 0), unit 4 = -unit 1
    net = Network.from_lists(2, [([[1, 1], [2, 2], [0, 0], [-1, -1]], [0, 0, -1, 0], "relu"),
                                 ([[1, -1, 5, 1]], [0], "identity")])
    _same_monomials(compile_network(net, method="regions"),
                    compile_network(net, method="products"))


def test_unknown_compile_method():
    from tropnet import TropnetError

    with pytest.raises(TropnetError, match="unknown compile method"):
        compile_network(Network.from_lists(1, [([[1]], [0], "relu")]), method="hull")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dims", [[2, 4, 3, 1], [3, 3, 3, 1]])
def test_compile_on_a_domain_keeps_the_monomials_irredundant_there(seed, dims):
    """On a box, the compile keeps the monomials of the full compile whose cells meet the
    box's interior (counted independently: the one-unit maxout net of the full polynomial
    on the box), and equals the network there."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, dims, "relu")
    box = "box:-1/2,1/2"
    (full,) = compile_network(net)
    (local,) = compile_network(net, domain=box)
    for whole, part in ((full.numerator, local.numerator), (full.denominator, local.denominator)):
        assert set(part.monomials()) <= set(whole.monomials())
        assert len(part) == activation_regions(_argmax_net(whole), box, engine="vertex").count
    for _ in range(20):
        x = [Fraction(int(v), 64) for v in rng.integers(-32, 33, size=dims[0])]
        assert local(x) == net.forward(x)[0]


def test_compile_on_a_domain_needs_the_regions_method():
    from tropnet import TropnetError

    net = Network.from_lists(1, [([[1]], [0], "relu")])
    with pytest.raises(TropnetError, match="needs the regions method"):
        compile_network(net, method="products", domain="box:-1,1")


def test_compile_on_a_box_that_floats_cannot_hold():
    """A float net on box:0,1/3 (1/3 is no float): the monomials are read off the exact box.
    relu(x - float(1/3)) is positive on a sliver of [0, 1/3] (float(1/3) < 1/3), so F has
    two monomials there; on the float box [0, float(1/3)] it would have one."""
    net = Network.from_lists(1, [([[1.0]], [-float(Fraction(1, 3))], "relu"),
                                 ([[1.0]], [0.0], "identity")])
    (r,) = compile_network(net, exact=True, domain="box:0,1/3")
    assert len(r.numerator) == 2
    assert linear_regions(net, "box:0,1/3", method="tropical", exact=True).count == \
        linear_regions(net, "box:0,1/3", method="enumerate", exact=True).count == 2


def test_compile_progress_follows_units_and_regions():
    """Progress that moves (issue 17 §3): the products compile reports after every unit of
    every layer, with the monomials so far; the regions compile after every layer, with the
    activation regions found."""
    from tropnet.engines.monomials import compile_network as compile_any

    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    calls = []
    compile_any(net, method="products", progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(1, 3), (2, 3), (3, 3)]
    assert calls[0][2] == "layer 1 of 2, 2 monomials"  # H_1 = max(x, 0)... N_1 = 0
    assert calls[-1][2].startswith("layer 2 of 2, ")
    calls.clear()
    compile_any(net, method="regions", progress=lambda *a: calls.append(a))
    assert calls == [(2, None, "activation regions"), (2, None, "activation regions")]

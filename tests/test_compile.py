"""Compilation of networks into tropical rational maps."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tropnet import Network, compile_network, monomial_complexity

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

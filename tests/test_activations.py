"""Activations as values: the rules that follow from the pieces; a new activation is one class."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import EXACT, FLOAT, Layer, Network, NetworkError, compile_network, regions
from tropnet.activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    Maxout,
    ReLU,
    activation_from_spec,
)

ALL = [ReLU(), LeakyReLU(Fraction(1, 4)), LeakyReLU(Fraction(0)), Maxout(3), Identity()]


def test_pieces_and_hand_values():
    assert ReLU().pieces() == ((0, 0), (0, 1)) and ReLU().hyperplane
    assert LeakyReLU(Fraction(1, 4)).pieces() == ((0, Fraction(1, 4)), (0, 1))
    assert Maxout(3).rank == 3 and not Maxout(3).hyperplane
    assert not Identity().patterned and Identity().pattern(np.array([1, -1])) == ()
    z = np.array([Fraction(-2), Fraction(0), Fraction(3)], dtype=object)
    assert list(ReLU().activate(z, EXACT)) == [0, 0, 3]
    assert list(LeakyReLU(Fraction(1, 4)).activate(z, EXACT)) == [Fraction(-1, 2), 0, 3]
    assert list(Maxout(3).activate(z, EXACT)) == [3]
    # ties: the first maximal piece wins (ReLU inactive at 0; maxout's first maximum)
    assert ReLU().pattern(z) == (0, 0, 1)
    assert Maxout(3).pattern(np.array([1, 2, 2], dtype=object)) == (1,)


@pytest.mark.parametrize("act", ALL, ids=lambda a: repr(a))
def test_generic_rules_agree_with_the_fast_overrides(act, rng):
    """The pieces-based rules of :class:`Activation` and each class's vectorised ones."""
    units = 6 * act.rank
    for _ in range(20):
        z = rng.integers(-3, 4, size=units).astype(float) / 2  # many ties
        assert np.allclose(act.activate(z, FLOAT), Activation.activate(act, z, FLOAT))
        assert np.allclose(act.activate_batch(z[None, :])[0], act.activate(z, FLOAT))
        assert act.pattern(z) == Activation.pattern(act, z)
        D = act.pattern_matrix(act.pattern(z), units, FLOAT)
        assert np.allclose(D @ z, act.activate(z, FLOAT))  # act(z) = D z on its region


@settings(max_examples=20)
@given(st.lists(st.integers(-20, 20), min_size=6, max_size=6),
       st.lists(st.integers(0, 20), min_size=6, max_size=6))
def test_interval_bounds_contain_every_output(lo, width):
    lo = np.array(lo, dtype=float)
    hi = lo + np.array(width, dtype=float)
    rng = np.random.default_rng(0)
    for act in ALL:
        a, b = act.interval(lo, hi)
        for _ in range(30):
            out = act.activate(rng.uniform(lo, hi), FLOAT)
            assert np.all(a <= out + 1e-12) and np.all(out <= b + 1e-12)
        assert np.allclose(act.activate(lo, FLOAT), a) and np.allclose(act.activate(hi, FLOAT), b)


def test_json_keys_round_trip():
    for act in ALL:
        keys = act.to_dict()
        got, rational = activation_from_spec(keys["activation"], keys.get("slope", 0),
                                             keys.get("rank", 1))
        assert got == act and rational
    with pytest.raises(NetworkError, match="slope must satisfy"):
        activation_from_spec("leaky_relu", 2)
    with pytest.raises(NetworkError, match="unknown activation 'gelu'"):
        activation_from_spec("gelu")
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "maxout", "identity"}


@dataclass(frozen=True)
class ScaledPair(Activation):
    """A new activation in one class: ``max(z_0, 2 z_1)`` over two rows per unit."""

    name: ClassVar[str] = "scaled_pair"

    @property
    def rank(self) -> int:
        return 2

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        return ((0, Fraction(1)), (1, Fraction(2)))


def test_a_new_activation_is_one_class():
    """Forward pass, patterns, tropical compilation and both region engines work from the
    pieces alone, and agree with each other."""
    rng = np.random.default_rng(7)
    w = [[Fraction(int(v), 2) for v in row] for row in rng.integers(-4, 5, size=(6, 2))]
    b = [Fraction(int(v), 2) for v in rng.integers(-2, 3, size=6)]
    net = Network(2, (Layer.create(w, b, ScaledPair()),
                      Layer.create([[1, -1, 2]], [0], "identity")))
    (r,) = compile_network(net)
    for x in rng.uniform(-3, 3, size=(40, 2)):
        xs = [Fraction(v).limit_denominator(64) for v in x]
        assert r(xs) == net.forward(xs)[0]
        J, c, _ = net.affine_map(xs)
        assert J.dot(np.array(xs, dtype=object))[0] + c[0] == net.forward(xs)[0]
    counts = {engine: regions(net, "box:-3,3", "activation", "enumerate", engine=engine).count
              for engine in ("vertex", "lp")}
    assert counts["vertex"] == counts["lp"] > 1
    assert regions(net, "box:-3,3", method="tropical").count == \
        regions(net, "box:-3,3", method="enumerate").count

"""Float mode is certified: its answer is the exact answer for the float weights as given.

The generators are the hard cases of issue 18: weights on coarse decimal grids (not binary
fractions), small integers written as floats, near-duplicate rows (1 vs 1.000000000001),
tiny biases (1e-13 .. 1e-17) and mixed scales (1e-9 next to 1e9). Every property compares
float mode with exact mode on the same float weights (``exact=True`` reads each float as the
binary rational it is).
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.bench_float import HARD, hard_net
from tropnet import Network, activation_regions, linear_regions
from tropnet.arithmetic import EXACT, Ball, Uncertain
from tropnet.engines.patterns import certify_points
from tropnet.errors import NearDegeneracyWarning


def _patterns(rs):
    return {r.pattern for r in rs}


nets = st.builds(hard_net, st.sampled_from(HARD), st.integers(0, 10**6),
                 st.sampled_from([(1, 3, 2, 1), (2, 3, 1), (2, 3, 3, 1), (3, 3, 1)]),
                 st.sampled_from(["relu", "leaky_relu"]))
domains = st.sampled_from([None, "box:-1,1", "box:-3,2"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nets, domains)
def test_float_count_is_the_exact_count(net, dom):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        exact = activation_regions(net, dom, engine="vertex", exact=True)
        for engine in ("vertex", "lp"):
            fl = activation_regions(net, dom, engine=engine)
            assert not fl.arith.exact
            assert _patterns(fl) == _patterns(exact), engine
        assert linear_regions(net, dom, method="enumerate").count == \
            linear_regions(net, dom, method="enumerate", exact=True).count


@pytest.mark.parametrize(("layers", "exact_count"), [
    # issue 18: a 1e-13 bias; float mode said 2 linear regions, exact 3
    ([([[1.0], [1.0]], [0.0, 1e-13], "relu"), ([[1.0, -2.0]], [0.0], "identity")], 3),
])
def test_issue_examples(layers, exact_count):
    net = Network.from_lists(1, layers)
    assert linear_regions(net, exact=True).count == exact_count
    for method in ("enumerate", "tropical", "layerwise"):
        assert linear_regions(net, method=method).count == exact_count, method


def test_small_integers_written_as_floats():
    # issue 18: 2-[5,5]-1 with small integer weights as floats, the vertex engine gave 36
    # activation regions where exact arithmetic (and the LP engine, the MILP) give 35
    for seed in range(6):
        net = hard_net("integers", seed, (2, 5, 5, 1), "relu")
        exact = activation_regions(net, exact=True)
        for engine in ("batch", "vertex"):
            assert _patterns(activation_regions(net, engine=engine)) == _patterns(exact)
        # integer floats are computed exactly in the vertex engine's balls: no exact
        # fallback is needed (the batch engine redoes the regions with rays on hyperplanes)
        assert activation_regions(net, engine="vertex").info["exact_fallbacks"] == 0


# -- the ball arithmetic -------------------------------------------------------------------
def test_balls_are_exact_on_small_integers_and_rigorous_otherwise():
    a = Ball.of(np.array([[3.0, -2.0], [1.0, 1.0]]))
    b = Ball.of(np.array([[2.0], [3.0]]))
    prod = a @ b
    assert prod.mid.tolist() == [[0.0], [5.0]] and prod.rad.tolist() == [[0.0], [0.0]]
    assert prod.signs().tolist() == [[0], [1]]      # an exact zero is a certain zero
    third = Ball.of(np.array([[Fraction(1, 3)]], dtype=object))
    x = third @ Ball.of(np.array([[3.0]])) - Ball.of(np.array([[1.0]]))   # 1/3 * 3 - 1 = 0
    assert x.signs().tolist() == [[2]]                 # not decidable in floats
    with pytest.raises(Uncertain):
        x.certain_signs()
    # the exact value always lies in the ball
    rng = np.random.default_rng(1)
    for _ in range(20):
        A = rng.normal(size=(4, 5)) * 10.0 ** rng.integers(-8, 8, (4, 5))
        B = rng.normal(size=(5, 3))
        C = Ball.of(A) @ Ball.of(B)
        exact = EXACT.array(A).dot(EXACT.array(B))
        gap = np.array([[abs(Fraction(C.mid[i, j]) - exact[i, j]) for j in range(3)]
                        for i in range(4)], dtype=object)
        assert all(gap[i, j] <= Fraction(C.rad[i, j]) for i in range(4) for j in range(3))


def test_certify_points_catches_a_point_outside_its_region():
    net = Network.from_lists(1, [([[1.0], [-1.0]], [0.0, 0.0], "relu"),
                                 ([[1.0, 1.0]], [0.0], "identity")])
    rs = activation_regions(net)
    _, moved, dropped = certify_points(net, rs.regions, rs.domain, rs.arith)
    assert (moved, dropped) == (0, 0)
    from dataclasses import replace

    wrong = [replace(r, interior_point=-r.interior_point) for r in rs.regions]  # other side
    fixed, moved, dropped = certify_points(net, wrong, rs.domain, rs.arith)
    assert (moved, dropped) == (2, 0)
    assert [np.sign(r.interior_point[0]) for r in fixed] == \
        [np.sign(r.interior_point[0]) for r in rs.regions]
    spurious = [replace(rs.regions[0], pattern=((1, 1), ()))]   # x > 0 and -x > 0: empty
    assert certify_points(net, spurious, rs.domain, rs.arith)[1:] == (0, 1)

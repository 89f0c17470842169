"""The batch engine (tropnet.engines.batch): LP-free splitting of all regions of a layer at
once, certified float, against hand-worked counts and the vertex engine."""

from __future__ import annotations

import warnings
from fractions import Fraction
from math import comb

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import NearDegeneracyWarning, Network, TropnetError, activation_regions
from tropnet.arithmetic import EXACT, FLOAT, Arithmetic
from tropnet.domain import parse_domain, polytope
from tropnet.engines import batch
from tropnet.engines import enumerate as enumeration
from tropnet.engines.enumerate import Walk
from tropnet.engines.stream import stream_activation_regions

from .helpers import random_net
from .test_planar import NETS, degenerate_nets, patterns


def _count(net: Network, domain: str | None = None, arith: Arithmetic = FLOAT) -> int:
    dom = parse_domain(domain, net.input_dim)
    return batch.batch_count(net, dom, arith, lambda: Walk(net, dom, arith, "vertex"))[0]


def _lines(rows: list, biases: list) -> Network:
    return Network.from_lists(len(rows[0]), [(rows, biases, "relu"),
                                             ([[1.0] * len(rows)], [0.0], "identity")])


# -- hand-worked counts ------------------------------------------------------------------------
def test_lines_in_general_position():
    """k lines in general position cut the plane into 1 + k + C(k, 2) regions; 3 planes in
    general position cut R^3 into 8, and 4 into 15 (sum of C(4, i), i <= 3)."""
    rows = [[1.0, 0.5], [-0.3, 1.0], [0.7, -1.1], [0.2, 0.9], [-1.3, -0.4]]
    net = _lines(rows, [0.1, -0.2, 0.3, 0.45, -0.6])
    assert activation_regions(net, None, "batch", False).count == 1 + 5 + comb(5, 2)
    assert _count(net) == 16
    rows3 = [[1.0, 0.2, -0.1], [0.3, -1.0, 0.5], [0.4, 0.6, 1.0], [-0.7, 0.8, 0.9]]
    net3 = _lines(rows3, [0.1, 0.2, -0.3, 0.25])
    assert _count(net3) == 15
    assert _count(_lines(rows3[:3], [0.1, 0.2, -0.3])) == 8


def test_a_box_cuts_off_regions():
    """x = 0.5 and y = 0.5 cut [0, 1]^2 into 4; x + y = 3 misses it. The diagonal x = y
    halves the squares at (0, 0) and (1, 1), through box corners and the crossing (0.5, 0.5)
    (rays on it: redone by the vertex walk): 6 regions."""
    net = _lines([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [-0.5, -0.5, -3.0])
    assert _count(net, "box:0,1") == 4
    assert activation_regions(net, "box:0,1", "batch", False).count == 4
    net2 = _lines([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], [-0.5, -0.5, 0.0])
    assert activation_regions(net2, "box:0,1", "batch", False).count == 6


def test_absolute_value_redoes_the_first_layer():
    """|x| = relu(x) + relu(-x): both hyperplanes meet at 0, where a root ray lies on the
    second one: the whole first layer is redone by the vertex walk, two regions."""
    net = Network.from_lists(1, [([[1.0], [-1.0]], [0.0, 0.0], "relu"),
                                 ([[1.0, 1.0]], [0.0], "identity")])
    rs = activation_regions(net, None, "batch", False)
    assert sorted(r.pattern for r in rs) == [((0, 1), ()), ((1, 0), ())]
    assert rs.engine == "batch"


def test_shared_nets():
    """The shared nets' exact counts (benchmarks/nets, shared/benchmarks/README.md)."""
    want = {"A": (111, 38), "B": (1320, 218), "C": (2344, 1340), "D": (5548, 2080)}
    from tropnet.io import load_network

    for name, (rn, boxed) in want.items():
        net = load_network(NETS / f"{name}.json")
        assert _count(net) == rn, name
        assert _count(net, "box:-1,1") == boxed, name
    net = load_network(NETS / "B.json")
    assert patterns(activation_regions(net, None, "batch", False)) == \
        patterns(activation_regions(net, None, "vertex", True))


# -- agreement with the vertex engine ----------------------------------------------------------
def _agree(net: Network, domain: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        want = activation_regions(net, domain, "vertex", False)
        got = activation_regions(net, domain, "batch", False)
    assert patterns(got) == patterns(want)
    assert "points_replaced" not in got.info and "regions_dropped" not in got.info
    assert _count(net, domain) == len(want)
    theirs = {r.pattern: r for r in want}
    for r in got:  # same map (the points were checked exactly: none replaced, above)
        other = theirs[r.pattern]
        assert np.allclose(r.weight, other.weight, atol=1e-9)
        assert np.allclose(r.bias, other.bias, atol=1e-9)


#: random nets: a first layer of at least n units (full rank on R^n), then up to two more
RANDOM = {"seed": st.integers(0, 10**6), "widths": st.lists(st.integers(1, 5), min_size=1,
                                                           max_size=3),
        "act": st.sampled_from(["relu", "leaky_relu"]),
        "domain": st.sampled_from([None, "box:-1,1", "box:0,2"])}


def _random(seed: int, n: int, widths: list, act: str, rational: bool) -> Network:
    return random_net(np.random.default_rng(seed), [n, max(widths[0], n), *widths[1:], 1],
                      act, rational=rational)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), **RANDOM)
def test_random_float_nets_agree_with_the_vertex_engine(seed, n, widths, act, domain):
    net = _random(seed, n, widths, act, rational=False)
    _agree(net, domain)


@settings(max_examples=30, deadline=None)
@given(net=degenerate_nets(), domain=st.sampled_from([None, "box:-1,1", "box:-1,2"]))
def test_degenerate_nets_agree_with_exact_counts(net, domain):
    """Integer and half-integer weights, repeated, zero, parallel units, corners: rays on
    hyperplanes are redone by the vertex walk; the patterns are the exact ones."""
    dom = parse_domain(domain, 2)
    if batch.batch_support(net, dom, FLOAT) is not None:  # rank-deficient first layer
        with pytest.raises(TropnetError, match="batch engine cannot run"):
            activation_regions(net, domain, "batch", False)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        want = patterns(activation_regions(net, domain, "vertex", True))
        got = activation_regions(net, domain, "batch", False)
    assert patterns(got) == want
    assert _count(net, domain) == len(want)


def test_small_chunks_give_the_same_regions(monkeypatch):
    """The next layer takes the regions in chunks (depth first): same regions."""
    net = random_net(np.random.default_rng(5), [3, 8, 6, 5, 1], "relu", rational=False)
    whole = patterns(activation_regions(net, None, "batch", False))
    monkeypatch.setattr(batch, "CHUNK", 7)
    assert patterns(activation_regions(net, None, "batch", False)) == whole
    assert _count(net) == len(whole)


def test_identity_layers_and_progress():
    """An identity hidden layer splits nothing; progress gets the count after each layer."""
    net = Network.from_lists(2, [([[1.0, 1.0], [1.0, -1.0]], [0.1, 0.2], "identity"),
                                 ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 0.5],
                                  "relu"),
                                 ([[1.0, 1.0, 1.0]], [0.0], "identity")])
    with pytest.raises(TropnetError, match="first layer must be ReLU"):
        activation_regions(net, None, "batch", False)
    calls: list[int] = []
    rs = activation_regions(net, "box:-2,2", "batch", False, progress=calls.append)
    assert rs.count == len(activation_regions(net, "box:-2,2", "vertex", True))
    assert calls == [1, rs.count, rs.count]


# -- where it runs -------------------------------------------------------------------------------
def test_auto_takes_the_batch_engine_where_it_runs():
    net = random_net(np.random.default_rng(1), [3, 5, 1], "relu", rational=False)
    assert activation_regions(net).engine == "batch"
    assert activation_regions(net, exact=True).engine == "batch"
    exact_net = random_net(np.random.default_rng(1), [3, 5, 1], "relu")
    assert activation_regions(exact_net, engine="batch").arith.exact
    maxout = random_net(np.random.default_rng(1), [3, 4, 1], "maxout", rational=False)
    assert activation_regions(maxout).engine == "vertex"
    with pytest.raises(TropnetError, match="no maxout"):
        activation_regions(maxout, engine="batch", exact=False)
    with pytest.raises(TropnetError, match=r"runs on R\^n and boxes"):
        activation_regions(net, polytope([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0],
                                          [0, 0, 1], [0, 0, -1]], [1] * 6), engine="batch")
    wide = random_net(np.random.default_rng(1), [13, 13, 1], "relu", rational=False)
    with pytest.raises(TropnetError, match="at most 12 inputs"):
        activation_regions(wide, engine="batch")
    flat = Network.from_lists(3, [([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]], [0.0, 1.0], "relu"),
                                  ([[1.0, 1.0]], [0.0], "identity")])
    assert enumeration.activation_regions(flat).engine == "vertex"  # rank 1 < 3 on R^3
    assert enumeration.activation_regions(flat).count == 3
    assert activation_regions(flat).engine == "batch"  # on the span of the weights: R^1
    assert activation_regions(flat, "box:-1,1").engine == "batch"
    assert activation_regions(flat, "box:-1,1").count == 3


# -- exact mode ----------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), **RANDOM)
def test_exact_mode_equals_the_exact_vertex_engine(seed, n, widths, act, domain):
    """Rational weights k/4 (many degeneracies: rays on hyperplanes, redone by the walk):
    same patterns, same exact maps and exact interior points strictly inside."""
    net = _random(seed, n, widths, act, rational=True)
    dom = parse_domain(domain, n)
    if batch.batch_support(net, dom, EXACT) is not None:
        return
    want = activation_regions(net, domain, "vertex", True)
    got = activation_regions(net, domain, "batch", True)
    assert patterns(got) == patterns(want)
    theirs = {r.pattern: r for r in want}
    for r in got:
        assert (r.weight == theirs[r.pattern].weight).all()
        assert (r.bias == theirs[r.pattern].bias).all()
        assert all(isinstance(v, Fraction) for v in r.interior_point)
        assert r.cells[0].contains(r.interior_point, strict=True)
    assert _count(net, domain, EXACT) == len(want)


def test_exact_integer_rays_on_shared_net_b():
    """Net B in exact arithmetic: 1320 regions on R^n, 218 on the box, as in float."""
    from tropnet.io import load_network

    net = load_network(NETS / "B.json")
    assert _count(net, None, EXACT) == 1320
    assert _count(net, "box:-1,1", EXACT) == 218


def test_near_degenerate_signs_warn():
    """relu(x) - 2 relu(x + 1e-11): the second hyperplane is 1e-11 from the first's point."""
    net = Network.from_lists(1, [([[1.0], [1.0]], [0.0, 1e-11], "relu"),
                                 ([[1.0, -2.0]], [0.0], "identity")])
    with pytest.warns(NearDegeneracyWarning):
        assert activation_regions(net, None, "batch", False).count == 3
    assert activation_regions(net, None, "vertex", True).count == 3


def test_rational_weights_are_enclosed():
    """Weights 1/3 and 1/10 are not floats: their balls have radii, the count is exact."""
    third = Fraction(1, 3)
    net = Network.from_lists(2, [([[third, 1], [1, -third], [Fraction(1, 10), 1]],
                                  [0, Fraction(1, 10), -third], "relu"),
                                 ([[1, 1, 1]], [0], "identity")])
    assert activation_regions(net, None, "batch", False).count == \
        activation_regions(net, None, "vertex", True).count == 7


def test_new_rays_do_not_drift():
    """A ray made by a chain of splits carries the round-off of every step; past a relative
    radius of 2^-30 it is recomputed from its n constraints (cofactors). On a 2-[48,48]-1
    net the chained rays alone left two signs uncertain (redone exactly); now none."""
    net = random_net(np.random.default_rng(3), [2, 48, 48, 1], "relu", rational=False)
    dom = parse_domain(None, 2)
    count, fallbacks = batch.batch_count(net, dom, FLOAT, lambda: Walk(net, dom, FLOAT,
                                                                       "vertex"))
    assert (count, fallbacks) == (4329, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        assert stream_activation_regions(net, None, "vertex", False).count == 4329


def test_cofactor_determinants_are_rigorous():
    """_det: the determinant of every matrix inside the balls (random corners, in Fractions)
    lies within the error bound of the midpoint's; _null_rays gives the null direction of
    the rows, oriented like the guess."""
    rng = np.random.default_rng(0)
    for m in (1, 2, 3, 4):
        M = rng.normal(size=(20, m, m))
        R = np.abs(rng.normal(size=(20, m, m))) * 1e-9
        det, err, per, _ = batch._det(M, R)
        bound = err + batch.gamma(m * m + 2 * m) * per
        for k in range(20):
            corner = [[Fraction(float(M[k, i, j])) + Fraction(float(R[k, i, j]))
                       * int(rng.choice([-1, 1])) for j in range(m)] for i in range(m)]
            exact = sympy.Matrix(corner).det()
            assert abs(Fraction(int(exact.p), int(exact.q)) - Fraction(float(det[k]))) <= \
                Fraction(float(bound[k]))
    for d in (2, 3, 4, 5):
        A = rng.normal(size=(6, d - 1, d))
        guess = np.array([_exact_null(a) for a in A])
        mid, rad, lost = batch._null_rays((A, np.zeros(A.shape)), -guess, np.zeros(guess.shape))
        assert not lost.any() and np.all(rad < 1e-12)
        for m, g in zip(mid, guess, strict=True):
            cos = np.dot(m, -g) / np.linalg.norm(m) / np.linalg.norm(g)
            assert cos > 1 - 1e-12  # parallel, and oriented like -guess


def _exact_null(a: np.ndarray) -> np.ndarray:
    ns = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in row] for row in a]
                      ).nullspace()[0]
    return np.array([float(v) for v in ns])

"""Properties of region counts under hypothesis (issue 9, item 3).

Random small networks mix ReLU, leaky ReLU, maxout and identity hidden layers (weights
``k/den`` with a small denominator, built with :func:`tests.helpers.random_net`) and random
domains (``R^n``, boxes, bounded polytopes around a random centre). Every property compares
independent computations or states a theorem:

* the three linear-region methods agree, for both connectivities, and never exceed the
  activation count on the same domain;
* the LP and vertex enumeration engines and the MILP find the same activation patterns;
* exact mode on rational weights equals float mode on the same numbers as floats;
* pruned and unpruned compiled maps equal the network at random rational points;
* exact counts lie below every upper bound of :mod:`tropnet.bounds` that covers the net
  (upper bounds on the maximum over weights hold for every net), and the constructions of
  :mod:`tropnet.constructions` lie between their lower bound and every upper bound;
* positive rescaling of a hidden unit (and the inverse on the next layer's columns) and
  permuting hidden units leave the function, the counts and (up to relabelling) the
  activation patterns unchanged.

Counterexamples found while writing these properties are kept as ``@example`` cases.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tropnet import (
    NearDegeneracyWarning,
    Network,
    NetworkError,
    TooLargeError,
    activation_regions,
    compile_network,
    linear_regions,
)
from tropnet import constructions as C
from tropnet.bounds import (
    montufar2014_lower,
    montufar2017_upper,
    nakahara2024_ternary_lower,
    network_bounds,
    serra2018_theorem7,
    serra2018_theorem8_lower,
    serra2018_theorem9_lower,
    serra2018_theorem10_maxout_upper,
)
from tropnet.domain import box, polytope
from tropnet.milp import activation_regions as milp_regions
from tropnet.network import Layer
from tropnet.sampling import sample_regions

from .helpers import random_net

ACTIVATIONS = ("relu", "leaky_relu", "maxout", "identity")
SHAPES = ([2, 3, 3, 1], [1, 4, 1], [3, 3, 2], [2, 3, 1], [1, 3, 3, 1], [2, 2, 2, 2])
# the "ci" profile (25 examples) runs the counts below; "thorough" (300) runs 12 times more
SCALE = max(1, settings.default.max_examples // 25)


def scaled(n: int) -> int:
    """``n`` examples under the "ci" profile, proportionally more under "thorough"."""
    return n * SCALE


UPPER_KEYS = ("montufar2017_upper", "serra2018_upper", "serra2018_upper_rank", "one_dim_exact",
              "maxout_upper", "maxout_one_layer_max")


# -- random networks and domains ----------------------------------------------------------
class NetSpec(NamedTuple):
    """A reproducible random network: ``build()`` gives it (rational, or as floats)."""

    seed: int
    dims: tuple[int, ...]
    acts: tuple[str, ...]  # one per hidden layer
    rank: int = 2
    den: int = 4
    degenerate: bool = False  # add coincident, opposite, parallel and zero rows

    def build(self, rational: bool = True) -> Network:
        rng = np.random.default_rng(self.seed)
        layers = []
        for i, act in enumerate(self.acts):
            # random_net's first layer is a hidden layer of activation `act`
            layers.append(random_net(rng, [self.dims[i], self.dims[i + 1], 1], act,
                                     slope=Fraction(1, 3), rank=self.rank,
                                     denominator=self.den).layers[0])
        layers += random_net(rng, list(self.dims[-2:]), denominator=self.den).layers
        net = Network(self.dims[0], tuple(layers))
        if self.degenerate:
            net = make_degenerate(net, self.seed + 1)
        return net if rational else as_floats(net)


class DomSpec(NamedTuple):
    """``("rn",)``, ``("box", lo, hi)`` or ``("polytope", A, b)`` (lists of ints/Fractions)."""

    kind: str
    lo_or_A: tuple = ()
    hi_or_b: tuple = ()

    def build(self):
        if self.kind == "rn":
            return None
        if self.kind == "box":
            return box(list(self.lo_or_A), list(self.hi_or_b))
        return polytope([list(r) for r in self.lo_or_A], list(self.hi_or_b))


def as_floats(net: Network) -> Network:
    """The same network with every number given as a Python float (float mode by default)."""
    layers = [(np.asarray(ly.weight, dtype=float).tolist(), np.asarray(ly.bias, dtype=float)
               .tolist(), ly.activation,
               {"slope": float(ly.slope)} if ly.activation == "leaky_relu"
               else {"rank": ly.rank} if ly.activation == "maxout" else {})
              for ly in net.layers]
    return Network.from_lists(net.input_dim, layers)


def make_degenerate(net: Network, seed: int) -> Network:
    """Overwrite one or two rows of every hidden layer with a copy of another row (coincident
    hyperplanes; for maxout, identical pieces), its negative (one hyperplane, two
    orientations), a parallel shift, or a zero row (a unit always or never active)."""
    rng = np.random.default_rng(seed)
    changes = {}
    for i, ly in enumerate(net.layers[:-1]):
        w, b = ly.weight.copy(), ly.bias.copy()
        if w.shape[0] < 2:
            continue
        for _ in range(int(rng.integers(1, 3))):
            src, dst = (int(v) for v in rng.choice(w.shape[0], 2, replace=False))
            op = int(rng.integers(0, 4))
            if op == 0:
                w[dst], b[dst] = w[src], b[src]
            elif op == 1:
                w[dst], b[dst] = -w[src], -b[src]
            elif op == 2:
                w[dst], b[dst] = 2 * w[src], 2 * b[src] + Fraction(1, 2)
            else:
                w[dst], b[dst] = 0 * w[src], Fraction(int(rng.integers(-1, 2)), 2)
        changes[i] = (w, b)
    return _with_layers(net, changes)


@st.composite
def net_specs(draw, shapes=SHAPES, acts=ACTIVATIONS, dens=(2, 3, 4)) -> NetSpec:
    dims = tuple(draw(st.sampled_from(shapes)))
    hidden = tuple(draw(st.sampled_from(acts)) for _ in dims[2:])
    return NetSpec(draw(st.integers(0, 2**32 - 1)), dims, hidden,
                   draw(st.sampled_from((2, 3))), draw(st.sampled_from(dens)),
                   draw(st.booleans()))


@st.composite
def dom_specs(draw, n: int, kinds=("rn", "box", "polytope")) -> DomSpec:
    kind = draw(st.sampled_from(kinds))
    halves = st.integers(-4, 4).map(lambda k: Fraction(k, 2))
    if kind == "rn":
        return DomSpec("rn")
    if kind == "box":
        lo = [draw(halves) for _ in range(n)]
        hi = [v + Fraction(draw(st.integers(1, 6)), 2) for v in lo]
        return DomSpec("box", tuple(lo), tuple(hi))
    # a box of half-width 2 around a centre, cut by 1-3 random halfspaces that keep a
    # neighbourhood of the centre (so the polytope is bounded and full-dimensional)
    centre = [draw(halves) for _ in range(n)]
    A, b = [], []
    for j in range(n):
        e = [0] * n
        e[j] = 1
        A += [e, [-v for v in e]]
        b += [centre[j] + 2, -centre[j] + 2]
    for _ in range(draw(st.integers(1, 3))):
        row = [draw(st.integers(-3, 3)) for _ in range(n)]
        assume(any(row))
        A.append(row)
        b.append(sum(r * c for r, c in zip(row, centre, strict=True))
                 + Fraction(draw(st.integers(1, 4)), 2))
    return DomSpec("polytope", tuple(tuple(r) for r in A), tuple(b))


@st.composite
def net_and_domain(draw, kinds=("rn", "box", "polytope"), **kw) -> tuple[NetSpec, DomSpec]:
    spec = draw(net_specs(**kw))
    return spec, draw(dom_specs(spec.dims[0], kinds))


def patterns(rs) -> set:
    return {r.pattern for r in rs}


# -- 1. linear-region methods agree; linear <= activation -----------------------------------
@pytest.mark.slow
@settings(max_examples=scaled(25))
@given(net_and_domain())
def test_linear_region_methods_agree(case):
    spec, dspec = case
    net, dom = spec.build(), dspec.build()
    act = activation_regions(net, dom).count
    lin = {}
    for conn in ("facet", "closure"):
        counts = {m: linear_regions(net, dom, conn, m).count
                  for m in ("tropical", "enumerate", "layerwise")}
        assert len(set(counts.values())) == 1, (conn, counts)
        lin[conn] = counts["tropical"]
    # closure glues at least as much as facet; each activation region lies in one linear region
    assert lin["closure"] <= lin["facet"] <= act, (lin, act)


# -- 2. activation engines and the MILP find the same patterns -----------------------------
@settings(max_examples=scaled(25))
@given(net_and_domain())
def test_activation_engines_agree(case):
    spec, dspec = case
    net, dom = spec.build(), dspec.build()
    vertex = activation_regions(net, dom, engine="vertex")
    lp = activation_regions(net, dom, engine="lp")
    assert patterns(vertex) == patterns(lp)
    assert vertex.count == lp.count == len(patterns(lp))
    if dom is not None:  # a bounded domain is inside R^n
        assert patterns(vertex) <= patterns(activation_regions(net))


@settings(max_examples=scaled(6))
@given(net_and_domain(kinds=("box",), shapes=([2, 3, 2, 1], [1, 4, 1], [3, 3, 1], [2, 3, 1])))
def test_milp_finds_the_enumerated_patterns(case):
    spec, dspec = case
    net, dom = spec.build(), dspec.build()
    milp = milp_regions(net, dom)
    assert patterns(milp) == patterns(activation_regions(net, dom, engine="vertex"))
    assert milp.count == len(patterns(milp))


# -- 3. float mode = exact mode on the float weights as given ---------------------------------
@settings(max_examples=scaled(15))
@given(net_and_domain(dens=(2, 3, 4, 5, 7)))
# float map_key divided each map by its largest coefficient: proportional pieces glued
@example((NetSpec(9566678, (1, 4, 1), ("relu",), 2, 3), DomSpec("rn")))
# float z = lift @ M kept round-off of a cancellation: spurious regions far out on a ray
@example((NetSpec(4065046418, (2, 3, 3, 1), ("leaky_relu", "relu"), 2, 3), DomSpec("rn")))
# float maxout piece differences kept round-off (bias 5.6e-17): a sliver along a box face
@example((NetSpec(0, (2, 2, 2, 2), ("maxout", "maxout"), 2, 3, True),
          DomSpec("box", (Fraction(0), Fraction(-1, 2)), (Fraction(1, 2), Fraction(0)))))
def test_exact_equals_float(case):
    """Float mode is certified: its answer is the exact answer for the float weights (the
    binary rationals of 1/3, ...), which may differ from the rational net's on degenerate
    nets; on the rational net and its float copy the tropical monomial counts agree."""
    spec, dspec = case
    exact_net, float_net, dom = spec.build(), spec.build(rational=False), dspec.build()
    assert exact_net.exact_input and not float_net.exact_input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NearDegeneracyWarning)
        for engine in ("vertex", "lp"):
            ex = activation_regions(float_net, dom, engine=engine, exact=True)
            fl = activation_regions(float_net, dom, engine=engine)
            assert ex.arith.exact and not fl.arith.exact
            assert patterns(ex) == patterns(fl), engine
        for method in ("tropical", "enumerate"):
            ex = linear_regions(float_net, dom, method=method, exact=True)
            fl = linear_regions(float_net, dom, method=method)
            assert ex.count == fl.count, method
    ex_maps, fl_maps = compile_network(exact_net), compile_network(float_net)
    for ex, fl in zip(ex_maps, fl_maps, strict=True):
        assert len(ex.numerator.coefficients) == len(fl.numerator.coefficients)
        assert len(ex.denominator.coefficients) == len(fl.denominator.coefficients)


# -- 4. pruning never changes the function ---------------------------------------------------
@settings(max_examples=scaled(25))
@given(net_specs(), st.lists(st.lists(st.integers(-18, 18).map(lambda k: Fraction(k, 6)),
                                      min_size=3, max_size=3), min_size=4, max_size=8))
def test_pruning_preserves_the_function(spec, points):
    net = spec.build()
    pruned = compile_network(net, prune=True)
    try:  # without pruning, two rank-3 maxout layers can exceed the size budget
        full = compile_network(net, prune=False)
    except TooLargeError:
        full = None
    for p in points:
        x = p[:net.input_dim]
        y = list(net.forward(x, exact=True))
        assert [r(x) for r in pruned] == y
        if full is not None:
            assert [r(x) for r in full] == y
    for a, b in zip(pruned, full, strict=True) if full is not None else ():
        assert len(a.numerator.coefficients) <= len(b.numerator.coefficients)
        assert len(a.denominator.coefficients) <= len(b.denominator.coefficients)


# -- 5. counts between the bounds ----------------------------------------------------------
def upper_bounds(net: Network) -> dict[str, int]:
    """Every upper bound of :mod:`tropnet.bounds` that covers ``net`` (on ``R^n``).

    Pure ReLU or pure maxout nets: the upper keys of :func:`network_bounds`. Any mixture
    of ReLU, leaky ReLU and identity layers: Montúfar 2017 (its proof only uses that a
    region's map to layer ``l`` has rank ``<= min(n0, n_1..n_{l-1})`` and that a layer of
    ``n_l`` hyperplanes cuts a region into at most ``sum_{j<=d} C(n_l, j)`` parts, both true
    for leaky units). With maxout of rank ``k`` in the mix: Theorem 10 with that ``k`` (a
    ReLU or leaky unit has one hyperplane, a rank-``k`` maxout unit ``k(k-1)/2``).
    """
    out = {}
    try:
        info = network_bounds(net)
        out.update({k: v for k, v in info["bounds"].items() if k in UPPER_KEYS})
    except NetworkError:
        pass
    widths = [ly.out_dim for ly in net.layers[:-1]]
    ranks = [ly.rank for ly in net.layers if ly.activation == "maxout"]
    if not widths:
        return out
    if ranks:
        k = max(ranks)
        out["theorem10_mixed"] = serra2018_theorem10_maxout_upper(net.input_dim, widths, k)
    else:
        out["montufar2017_mixed"] = montufar2017_upper(net.input_dim, widths)
    return out


@settings(max_examples=scaled(25))
@given(net_specs(shapes=(*SHAPES, [1, 3, 4, 1], [3, 4, 2, 1], [2, 5, 1])))
@example(NetSpec(0, (1, 3, 4, 1), ("relu", "relu")))  # Theorem 7 applies (n0 = 1, n_l >= 3)
def test_counts_below_every_upper_bound(spec):
    net = spec.build()
    act = activation_regions(net).count
    lin = linear_regions(net).count
    bounds = upper_bounds(net)
    assert bounds
    assert lin <= act
    for name, value in bounds.items():
        assert act <= value, (name, act, value)


CONSTRUCTIONS = st.one_of(
    st.tuples(st.sampled_from(["montufar2014", "montufar2014_zigzag"]), st.integers(1, 2),
              st.lists(st.integers(2, 4), min_size=1, max_size=2)),
    st.tuples(st.just("theorem7"), st.just(1), st.lists(st.integers(3, 5), min_size=1,
                                                        max_size=2)),
    st.tuples(st.just("theorem8"), st.just(1), st.lists(st.integers(3, 5), min_size=1,
                                                        max_size=2)),
    st.tuples(st.just("theorem9"), st.integers(1, 2), st.tuples(st.integers(2, 3),
                                                                st.integers(1, 3),
                                                                st.integers(1, 2))),
    st.tuples(st.just("ternary"), st.just(1), st.tuples(st.integers(4, 8), st.integers(3, 4))),
)


def _construction(name: str, n0: int, params) -> tuple[C.Construction, int | None]:
    """The construction and the value of its own lower-bound function."""
    if name == "montufar2014":  # Theorem 5 is attained by the "arrangement" variant
        return C.montufar2014(n0, params, last_layer="arrangement"), \
            montufar2014_lower(n0, params)
    if name == "montufar2014_zigzag":  # Nakahara et al.'s Proposition 1, no bound function
        return C.montufar2014(n0, params), None
    if name == "theorem7":
        return C.serra2018_theorem7(params), serra2018_theorem7(params)
    if name == "theorem8":
        return C.serra2018_theorem8(n0, params), serra2018_theorem8_lower(n0, params)
    if name == "theorem9":
        m, w, depth = params
        return C.serra2018_theorem9(n0, m, w, depth), serra2018_theorem9_lower(n0, m, w, depth)
    width, depth = params
    return C.nakahara2024_ternary(n0, width, depth), nakahara2024_ternary_lower(n0, width, depth)


@settings(max_examples=scaled(12))
@given(CONSTRUCTIONS)
def test_constructions_between_lower_and_upper_bounds(case):
    name, n0, params = case
    try:
        con, lower = _construction(name, n0, params)
    except NetworkError:  # parameters outside the theorem's hypotheses
        assume(False)
    net = con.network
    on_domain = (activation_regions(net, con.domain, exact=True) if con.kind == "activation"
                 else linear_regions(net, con.domain, exact=True, method="enumerate")).count
    assert con.count <= on_domain
    if lower is not None:
        assert lower <= on_domain
    everywhere = activation_regions(net, exact=True).count
    assert on_domain <= everywhere or con.kind == "linear"
    if con.kind == "linear":
        assert on_domain <= activation_regions(net, con.domain, exact=True).count
    for key, value in upper_bounds(net).items():
        assert everywhere <= value, (key, everywhere, value)


# -- 6. invariances: positive rescaling, permutations ----------------------------------------
def _with_layers(net: Network, changes: dict[int, tuple[np.ndarray, np.ndarray]]) -> Network:
    layers = []
    for i, ly in enumerate(net.layers):
        if i in changes:
            w, b = changes[i]
            ly = Layer.create(w.tolist(), b.tolist(), ly.activation, slope=ly.slope,
                              rank=ly.rank)
        layers.append(ly)
    return Network(net.input_dim, tuple(layers))


def rescale(net: Network, layer: int, factors: list[Fraction]) -> Network:
    """Multiply unit ``u`` of hidden ``layer`` (its ``rank`` rows and biases) by
    ``factors[u] > 0`` and column ``u`` of the next layer by ``1 / factors[u]``."""
    ly, nxt = net.layers[layer], net.layers[layer + 1]
    rows = np.repeat(np.array(factors, dtype=object), ly.rank)
    w, b = ly.weight * rows[:, None], ly.bias * rows
    cols = np.array([1 / f for f in factors], dtype=object)
    return _with_layers(net, {layer: (w, b), layer + 1: (nxt.weight * cols[None, :], nxt.bias)})


def permute(net: Network, layer: int, perm: list[int], pieces: list[int] | None = None
            ) -> Network:
    """Reorder the units of hidden ``layer`` (``perm[u]`` is the old unit put at ``u``; a
    maxout unit moves with its ``rank`` rows, reordered by ``pieces``) and the next layer's
    columns to match."""
    ly, nxt = net.layers[layer], net.layers[layer + 1]
    k = ly.rank
    inner = pieces if pieces is not None else list(range(k))
    rows = [perm[u] * k + inner[r] for u in range(len(perm)) for r in range(k)]
    return _with_layers(net, {layer: (ly.weight[rows], ly.bias[rows]),
                              layer + 1: (nxt.weight[:, perm], nxt.bias)})


def _counts(net: Network, dom) -> tuple[int, int, int]:
    return (activation_regions(net, dom, engine="lp").count,
            linear_regions(net, dom).count,
            linear_regions(net, dom, connectivity="closure", method="enumerate").count)


@settings(max_examples=scaled(20))
@given(net_and_domain(kinds=("rn", "box")), st.data())
def test_positive_rescaling_leaves_counts_unchanged(case, data):
    spec, dspec = case
    net, dom = spec.build(), dspec.build()
    layer = data.draw(st.integers(0, len(net.layers) - 2))
    units = net.layers[layer].out_dim
    positive = st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda t: Fraction(*t))
    if data.draw(st.booleans()):  # one constant c for the whole layer, as in the issue
        factors = [data.draw(positive)] * units
    else:
        factors = [data.draw(positive) for _ in range(units)]
    other = rescale(net, layer, factors)
    x = [Fraction(1, 3)] * net.input_dim
    assert list(other.forward(x, exact=True)) == list(net.forward(x, exact=True))
    before = activation_regions(net, dom, engine="vertex")
    after = activation_regions(other, dom, engine="vertex")
    assert patterns(before) == patterns(after)  # positive scaling keeps every sign
    assert _counts(other, dom) == _counts(net, dom)


@settings(max_examples=scaled(20))
@given(net_and_domain(kinds=("rn", "box")), st.data())
def test_permuting_hidden_units_leaves_counts_unchanged(case, data):
    spec, dspec = case
    net, dom = spec.build(), dspec.build()
    layer = data.draw(st.integers(0, len(net.layers) - 2))
    ly = net.layers[layer]
    perm = data.draw(st.permutations(range(ly.out_dim)))
    pieces = data.draw(st.permutations(range(ly.rank))) if ly.activation == "maxout" else None
    other = permute(net, layer, list(perm), pieces)
    x = [Fraction(-2, 5)] * net.input_dim
    assert list(other.forward(x, exact=True)) == list(net.forward(x, exact=True))
    before = activation_regions(net, dom, engine="vertex")
    after = activation_regions(other, dom, engine="vertex")
    if ly.activation != "identity" and (pieces is None or list(pieces) == sorted(pieces)):
        # unit u of the new layer is unit perm[u] of the old one
        moved = set()
        for pat in patterns(before):
            new = list(pat)
            new[layer] = tuple(pat[layer][perm[u]] for u in range(len(perm)))
            moved.add(tuple(new))
        assert moved == patterns(after)
    assert _counts(other, dom) == _counts(net, dom)


# -- regressions found by the properties above (minimised) ----------------------------------
def _both(layers, n=1):
    """The network with rational-string numbers (exact) and the same numbers as floats."""
    def fl(v):
        return float(Fraction(v)) if isinstance(v, str) else float(v)
    floats = [([[fl(v) for v in row] for row in w], [fl(v) for v in b], act)
              for w, b, act in layers]
    return Network.from_lists(n, layers), Network.from_lists(n, floats)


def test_regression_proportional_pieces_are_different_linear_regions():
    # 2 relu(x) - relu(-x) is x on the left and 2x on the right: proportional maps, which
    # float mode's map key (divided by the largest coefficient) once treated as one map
    exact, floats = _both([([[1], [-1]], [0, 0], "relu"), ([[2, -1]], [0], "identity")])
    for net in (exact, floats):
        for method in ("tropical", "enumerate", "layerwise"):
            assert linear_regions(net, method=method).count == 2
        assert sample_regions(net, samples=200, radius=1).estimate == 2


def test_regression_float_cancellation_is_not_a_hyperplane():
    # for x > 0 the second layer's unit is 1/3 (x/3) - 5/9 (x/5) + 1 = 1: slope 1/9 - 1/9 = 0
    # (float: -1.4e-17). Kept as a coefficient, its "hyperplane" cut the ray x > 0 near
    # x = 7e16 and the float vertex engine found a third region
    layers = [([["1/3"], ["1/5"]], [0, 0], "relu"), ([["1/3", "-5/9"]], [1], "relu"),
              ([[1]], [0], "identity")]
    expected = {((0, 0), (1,), ()), ((1, 1), (1,), ())}
    exact, floats = _both(layers)
    for engine in ("vertex", "lp"):
        assert patterns(activation_regions(exact, engine=engine)) == expected
    assert linear_regions(exact).count == linear_regions(exact, method="tropical").count == 1
    # in the float weights the slope is float(1/3)**2 - float(5/9) float(1/5) = -2^-56 != 0:
    # the hyperplane far out on the ray is real, and float mode finds it, as exact mode does
    with pytest.warns(NearDegeneracyWarning):
        found = patterns(activation_regions(floats, engine="vertex"))
    assert found == patterns(activation_regions(floats, exact=True)) and len(found) == 3


def test_regression_near_flat_lift_warns():
    # relu(x) - 2 relu(x + 1e-11): three linear pieces, the middle one 1e-11 wide. Float mode
    # may merge it (the margin 2.2e-12 is below the tolerance) but must say so: the float
    # pruner's flatness test of the lifted monomials once used a bare threshold, no warning
    layers = [([[1.0], [1.0]], [0.0, 1e-11], "relu"), ([[1.0, -2.0]], [0.0], "identity")]
    net = Network.from_lists(1, layers)
    assert linear_regions(net, exact=True).count == 3
    with pytest.warns(NearDegeneracyWarning):
        assert linear_regions(net).count == 3   # certified: exact, and it warns

"""The sampling estimator (Lezeau et al. Algorithm 5) and symmetry (Theorem 29, Lemma 30)."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import random_net
from tropnet import Network, NetworkError, TropnetError, linear_regions
from tropnet.arithmetic import EXACT
from tropnet.cli import main
from tropnet.domain import box
from tropnet.engines.symmetry import (
    deepsets_network,
    fundamental_samples,
    orbit_weight,
    permutation_invariant,
    require_invariant,
)
from tropnet.hoffman import effective_box
from tropnet.sampling import sample_regions

# relu(min(x1, x2)) = relu(relu(x1) - relu(-x1) - relu(x1 - x2)): 3 linear regions, the zero
# region is an L (three quadrants); symmetric in x1, x2
RELU_MIN = Network.from_lists(2, [([[1, 0], [-1, 0], [1, -1]], [0, 0, 0], "relu"),
                                  ([[1, -1, -1]], [0], "relu"), ([[1]], [0], "identity")])

# relu(min(9/10 - |x1|, 9/10 - |x2|)) on [-1, 1]^2: four pyramid faces and a thin square
# frame where the map is 0 (one non-convex region): 5 linear regions
FRAME = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], ["-9/10"] * 4, "maxout",
                                {"rank": 4}), ([[-1]], [0], "relu"), ([[1]], [0], "identity")])


def test_estimate_is_labelled_and_curve_is_consistent():
    est = sample_regions(RELU_MIN, samples=500, radius=1, seed=3)
    d = est.to_dict()
    assert d["is_estimate"] is True and d["kind"] == "linear" and d["samples"] == 500
    assert d["estimate"] == est.estimate == 3 and d["domain"] == "box:[-1,1]^2"
    counts = [v for _, v in est.curve]
    assert est.curve[-1] == (500, est.estimate)
    assert all(a <= b for a, b in itertools.pairwise(counts))
    assert est.curve[0][1] <= est.estimate
    again = sample_regions(RELU_MIN, samples=500, radius=1, seed=3)
    assert again.curve == est.curve  # seeded


@pytest.mark.parametrize("seed,dims,act", [
    (0, [2, 3, 1], "relu"), (2, [2, 3, 2, 1], "relu"), (1, [2, 3, 1], "maxout"),
    (3, [2, 3, 2, 1], "leaky_relu"), (2, [2, 4, 1], "relu")])
def test_estimate_converges_to_the_exact_count(seed, dims, act):
    net = random_net(np.random.default_rng(seed), dims, act)
    exact = linear_regions(net, box(-2, 2, 2)).count
    est = sample_regions(net, samples=20000, radius=2, seed=seed)
    assert est.estimate == exact and est.splits == 0
    early = sample_regions(net, samples=20, radius=2, seed=seed)
    assert early.estimate <= exact


def test_overcount_only_from_midpoint_splits():
    # distinct affine maps never exceed the regions; an estimate above the exact count
    # must come from midpoint splits (wrongly splitting a non-convex region)
    rng = np.random.default_rng(17)
    for _ in range(6):
        net = random_net(rng, [2, 3, 2, 1])
        exact = linear_regions(net, box(-2, 2, 2)).count
        est = sample_regions(net, samples=300, radius=2, seed=1)
        assert est.distinct_maps <= exact
        assert est.estimate - est.splits <= exact


def test_non_convex_region_is_split_wrongly_with_few_samples():
    assert linear_regions(FRAME, box(-1, 1, 2)).count == 5
    few = [sample_regions(FRAME, samples=100, radius=1, seed=s) for s in range(4)]
    assert any(e.estimate > 5 for e in few)          # the frame is cut by midpoint tests
    assert all(e.estimate - e.splits <= 5 for e in few)
    many = sample_regions(FRAME, samples=3000, radius=1, seed=0)
    assert many.estimate == 5 and many.splits == 0   # bridging samples merge the pieces


def test_convex_function_is_never_overcounted():
    # a single maxout unit is convex: every linear region is convex, midpoints never leave it
    rng = np.random.default_rng(5)
    for _ in range(4):
        net = random_net(rng, [2, 1, 1], "maxout", rank=5)
        exact = linear_regions(net, box(-2, 2, 2)).count
        for s in range(3):
            est = sample_regions(net, samples=200, radius=2, seed=s)
            assert est.splits == 0 and est.estimate <= exact


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_any_box(seed):
    """Sampling a box that is not a centred cube converges to the exact count on it."""
    net = random_net(np.random.default_rng(seed), [2, 4, 1], "relu")
    dom = "box:0,2;-1,3"
    exact = linear_regions(net, dom).count
    est = sample_regions(net, samples=20000, domain=dom, seed=seed)
    assert est.estimate == exact and est.domain == "box:[0,2]x[-1,3]"
    assert est.radius is None and "radius" not in est.to_dict()
    assert sample_regions(net, 50, radius=2).to_dict()["radius"] == 2
    with pytest.raises(TropnetError, match="not both"):
        sample_regions(net, radius=1, domain=dom)
    with pytest.raises(TropnetError, match="needs a box"):
        sample_regions(net, domain="rn")
    with pytest.raises(TropnetError, match="needs a cube"):
        sample_regions(net, domain=dom, symmetric=True)


def test_float_network_and_effective_radius():
    rng = np.random.default_rng(0)
    net = random_net(rng, [2, 3, 1], rational=False)
    est = sample_regions(net, samples=5000, radius=2, seed=0)
    assert not est.arith.exact and est.estimate == linear_regions(net, box(-2, 2, 2)).count
    exact_net = random_net(np.random.default_rng(1), [2, 3, 1])
    eff = sample_regions(exact_net, samples=20000, radius="effective", seed=0)
    assert eff.radius == effective_box(exact_net).hi[0]
    assert eff.estimate == linear_regions(exact_net).count


def test_bad_arguments():
    with pytest.raises(TropnetError):
        sample_regions(RELU_MIN, samples=0)
    with pytest.raises(TropnetError):
        sample_regions(RELU_MIN, radius=-1)
    with pytest.raises(TropnetError):
        sample_regions(RELU_MIN, radius="big")
    net = random_net(np.random.default_rng(2), [2, 3, 1])
    with pytest.raises(NetworkError, match="not invariant"):
        sample_regions(net, symmetric=True)


# -- symmetry --------------------------------------------------------------------------

def test_orbit_weights_lemma_30():
    assert orbit_weight([[1, 0, 0]]) == 3
    assert orbit_weight([[3, 2, 1]]) == 6
    assert orbit_weight([[2, 2, 2, 2]]) == 1
    assert orbit_weight([[1, 1, 0, 0]]) == 6
    assert orbit_weight([[1, 2], [1, 2]]) == 2          # equal columns for two outputs
    assert orbit_weight([[1, 1], [0, 1]]) == 2
    assert orbit_weight([[Fraction(1, 3), Fraction(1, 3), 0]]) == 3


def test_fundamental_samples_are_sorted():
    X = fundamental_samples(np.random.default_rng(0), 100, 4, -2.0, 2.0)
    assert np.all(np.diff(X, axis=1) <= 0) and np.all(np.abs(X) <= 2)


def test_detect_invariance():
    ds = deepsets_network(3, 2, 2, seed=1)
    assert permutation_invariant(ds, "exact").invariant
    assert permutation_invariant(ds, "numeric").invariant
    assert permutation_invariant(RELU_MIN).invariant
    net = random_net(np.random.default_rng(3), [3, 4, 1])
    for method in ("numeric", "exact", "auto"):
        assert not permutation_invariant(net, method).invariant
    # invariant except in the last input: numeric and exact both notice
    swapped = Network.from_lists(3, [([[1, 1, 2]], [0], "relu"), ([[1]], [0], "identity")])
    assert not permutation_invariant(swapped, "numeric").invariant
    assert not permutation_invariant(swapped, "exact").invariant
    with pytest.raises(NetworkError):
        require_invariant(swapped)


@pytest.mark.parametrize("seed", [1, 3])
def test_symmetric_sampling_matches_plain_sampling(seed):
    ds = deepsets_network(3, 2, 2, seed=seed)
    exact = linear_regions(ds, box(-2, 2, 3)).count
    plain = sample_regions(ds, samples=12000, radius=2, seed=0)
    sym = sample_regions(ds, samples=2000, radius=2, seed=0, symmetric=True)  # n! = 6 fewer
    assert plain.estimate == sym.estimate == exact
    assert sym.symmetric and sym.distinct_maps < plain.distinct_maps
    auto = sample_regions(ds, samples=2000, radius=2, seed=0, symmetric="auto")
    assert auto.symmetric and auto.estimate == sym.estimate


def test_symmetric_relu_min():
    sym = sample_regions(RELU_MIN, samples=300, radius=1, seed=0, symmetric=True)
    # fundamental domain x1 >= x2: maps 0 (weight 1) and x2 (gradient (0, 1), weight 2)
    assert sym.estimate == 3 and sym.distinct_maps == 2


# -- command line ------------------------------------------------------------------------

def test_cli_sample(tmp_path, capsys):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(RELU_MIN.to_dict()))
    assert main(["sample", str(path), "--samples", "400", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["estimate"] == 3 and data["samples"] == 400 and "count" not in data
    assert data["curve"][-1] == [400, 3]
    assert main(["sample", str(path), "--samples", "200", "--symmetric"]) == 0
    out = capsys.readouterr().out
    assert "ESTIMATE" in out and "fundamental domain" in out
    assert main(["sample", str(path), "--radius", "-2"]) == 2
    assert main(["sample", str(tmp_path / "none.json")]) == 2
    capsys.readouterr()
    assert main(["sample", str(path), "--domain", "box:0,1;-1,1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["domain"] == {
        "kind": "box", "lo": ["0", "-1"], "hi": ["1", "1"], "text": "box:[0,1]x[-1,1]"}
    assert main(["sample", str(path), "--domain", "box:0,1", "--radius", "2"]) == 2


def test_float_patterns_are_checked_at_ties():
    # points on region boundaries (pre-activations exactly 0) get the exact pattern
    from tropnet.sampling import _encode, _pattern_codes

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, -0.25], [-1.0, 0.3], [0.25, 0.25]])
    codes, redone = _pattern_codes(RELU_MIN, X, EXACT)
    assert redone >= 3  # the three points with a zero pre-activation
    for x, code in zip(X, codes, strict=True):
        exact = RELU_MIN.affine_map([Fraction(float(v)) for v in x], True)[2]
        assert tuple(code) == _encode(RELU_MIN, exact)

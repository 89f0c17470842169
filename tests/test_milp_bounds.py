"""MILP backend: MIPBound (probabilistic lower bound), Theorem 2 (empirical upper bound)
and the ``tropnet mipbound`` command."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from tests.helpers import random_net
from tropnet import Network, UnsupportedModelError, activation_regions
from tropnet.bounds import serra2018_upper, zaslavsky
from tropnet.cli import main
from tropnet.domain import box
from tropnet.io import save_network
from tropnet.milp import (
    empirical_bound,
    empirical_upper_bound,
    mipbound,
    parity_probabilities,
    theorem2_bound,
    tighten_bigm,
)
from tropnet.milp.mipbound import ENCODINGS, _Sampler

# -- MIPBound -------------------------------------------------------------------------------


def test_parity_probabilities_formula():
    # all 16 runs feasible after j + 1 constraints: delta = 1/2, P = 1 - (e/4)^8
    probs = parity_probabilities([16, 16, 16, 8, 0], 16)
    assert math.isclose(probs[0], 1 - (math.e / 4) ** 8)
    assert math.isclose(probs[1], probs[0])
    assert 2 not in probs  # f[3] / i = 1/2: no evidence for more than 4 solutions
    # a partial majority: f[j+1] = 12 of 16, delta = 1/4
    d = 0.25
    expected = 1 - (math.exp(2 * d) / (1 + 2 * d) ** (1 + 2 * d)) ** 8
    assert math.isclose(parity_probabilities([16, 12, 0], 16)[0], expected)
    assert parity_probabilities([16, 8], 16) == {}


def _small_net(seed: int) -> Network:
    return random_net(np.random.default_rng(seed), [2, 4, 1], "relu")


@pytest.mark.slow
def test_mipbound_lower_bound_never_exceeds_the_exact_count():
    net = random_net(np.random.default_rng(1), [3, 8, 1], "relu")
    exact = activation_regions(net, "box:-1,1").count
    assert exact == 63
    violations = 0
    for seed in range(6):
        res = mipbound(net, "box:-1,1", k=2, repeats=16, seed=seed, exact_limit=0)
        assert res.certain_lower_bound <= exact  # confirmed regions: always a lower bound
        assert res.lower_bound == max(res.certain_lower_bound, res.probabilistic_bound)
        assert res.probability >= 0.95
        violations += res.probabilistic_bound > exact
        # f[0] = every run (the domain has a region), f non-increasing
        f = res.feasible_runs
        assert f[0] == 16 and all(a >= b for a, b in itertools.pairwise(f))
    # each bound holds with probability >= 0.95 (Markov + Chernoff): allow one miss in six
    assert violations <= 1


def test_mipbound_reports_exact_count_when_small():
    net = _small_net(2)
    res = mipbound(net, "box:-1,1", k=3, repeats=4, seed=0)
    assert res.exact == activation_regions(net, "box:-1,1").count
    d = res.to_dict()
    assert {"lower_bound", "probability", "exact", "certain_lower_bound",
            "probabilities"} <= set(d)
    assert mipbound(net, "box:-1,1", repeats=2, seed=0, exact_limit=1).exact is None


def test_mipbound_progress_counts_runs_and_solves():
    calls = []
    res = mipbound(_small_net(2), "box:-1,1", k=3, repeats=3, seed=0, exact_limit=0,
                   progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(1, 3), (2, 3), (3, 3)]
    assert calls[-1][2] == f"{res.solves:,} MILP solves"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_parity_encodings_are_exact(encoding):
    # with fixed parity constraints the MILP is feasible iff some region's pattern
    # satisfies them all (checked against the enumerated regions)
    net = random_net(np.random.default_rng(9), [2, 3, 3, 1], "relu")
    dom = box(-1, 1, 2)
    regions = activation_regions(net, dom)
    bigm = tighten_bigm(net, dom, "lp")
    rng = np.random.default_rng(0)
    sampler = _Sampler(net, dom, bigm, regions.arith, "HIGHS", None, encoding, 3)
    vecs = [sampler.form.indicator(r.pattern) for r in regions]
    for _ in range(6):
        sampler.parity.clear()
        cons = []
        for _ in range(int(rng.integers(1, 4))):
            subset = np.sort(rng.choice(sampler.nz, size=min(3, sampler.nz), replace=False))
            bit = int(rng.integers(2))
            sampler.parity.add(subset, bit)
            cons.append((subset, bit))
        expect = any(all(round(v[s].sum()) % 2 == b for s, b in cons) for v in vecs)
        got = sampler._solution()
        assert (got is not None) == expect
        if got is not None:
            assert all(round(got[s].sum()) % 2 == b for s, b in cons)


def test_mipbound_rejects_bad_parameters():
    net = _small_net(3)
    with pytest.raises(Exception, match="encoding"):
        mipbound(net, "box:-1,1", encoding="xor")
    with pytest.raises(Exception, match="positive"):
        mipbound(net, "box:-1,1", k=0)


# -- empirical upper bound (Theorem 2) -----------------------------------------------------

@pytest.mark.parametrize(("n0", "widths"), [(2, [3, 3]), (3, [4, 2, 5]), (1, [5, 5]),
                                            (4, [3])])
def test_theorem2_without_stability_is_serra_theorem1(n0, widths):
    assert theorem2_bound(n0, len(widths), lambda l, k: widths[l - 1],
                          lambda l, k: widths[l - 1]) == serra2018_upper(n0, widths)


def test_theorem2_one_layer_is_zaslavsky_on_unstable_units():
    net = Network.from_lists(2, [([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, -5, 0], "relu"),
                                 ([[1, 1, 1, 1]], [0], "identity")])
    eb = empirical_bound(net, "box:-1,1")
    assert eb.stable[0] == (0, 1, 3)  # x + y - 5 is never positive on the square
    assert eb.bound == zaslavsky(3, 2) == 7
    assert eb.bound >= activation_regions(net, "box:-1,1").count


@pytest.mark.parametrize("seed", range(4))
def test_empirical_upper_bound_is_at_least_the_exact_count(seed):
    rng = np.random.default_rng(40 + seed)
    dims = [2, 4, 4, 1] if seed % 2 else [3, 4, 3, 1]
    net = random_net(rng, dims, "relu")
    exact = activation_regions(net, "box:-1,1").count
    milp = empirical_bound(net, "box:-1,1")
    props = empirical_bound(net, "box:-1,1", method="propositions")
    assert exact <= milp.bound <= props.bound <= serra2018_upper(dims[0], dims[1:-1])
    assert isinstance(milp.bound, int) and milp.bound == empirical_upper_bound(net, "box:-1,1")
    for l, table in milp.I.items():  # I_l(k) <= A_l(k), both non-decreasing in k
        ks = sorted(table)
        assert all(table[k] <= milp.A[l][k] for k in ks)
        assert all(table[a] <= table[b] for a, b in itertools.pairwise(ks))


def test_empirical_bound_refuses_non_relu():
    net = random_net(np.random.default_rng(0), [2, 3, 1], "leaky_relu")
    with pytest.raises(UnsupportedModelError, match="ReLU"):
        empirical_upper_bound(net, "box:-1,1")


# -- command line ---------------------------------------------------------------------------

def test_cli_mipbound_json(tmp_path, capsys):
    net = _small_net(4)
    path = tmp_path / "net.json"
    save_network(net, str(path))
    code = main(["mipbound", str(path), "--domain", "box:-1,1", "--repeats", "4", "--seed",
                 "1", "--k", "2", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)  # stdout is exactly one JSON object (no solver banner)
    exact = activation_regions(net, "box:-1,1").count
    assert data["count"] == exact and data["exact"] is True  # the count; the arithmetic
    assert 1 <= data["lower_bound"] and 0 < data["probability"] <= 1
    assert data["certain_lower_bound"] <= exact and "seconds" in data
    code = main(["mipbound", str(path), "--domain", "box:-1,1", "--solver", "NOPE"])
    assert code == 2
    assert "installed MIP solvers" in capsys.readouterr().err
    assert main(["mipbound", str(path), "--domain", "box:-1,1", "--repeats", "0"]) == 2


def test_cli_regions_method_milp(tmp_path, capsys):
    net = _small_net(5)
    path = tmp_path / "net.json"
    save_network(net, str(path))
    code = main(["regions", str(path), "--kind", "activation", "--method", "milp",
                 "--domain", "box:-1,1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["method"] == "milp"
    assert data["count"] == activation_regions(net, "box:-1,1").count

"""Analytical bounds: hand values from the papers, the Theorem 1 DP against brute force,
and every upper bound against exact counts of random networks."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import random_net
from tropnet import Network, NetworkError, activation_regions, linear_regions
from tropnet.bounds import (
    architecture_bounds,
    maps_eta,
    matrix_rank,
    maxout_one_layer_max,
    montufar2014_lower,
    montufar2017_upper,
    nakahara2024_ternary_lower,
    nakahara_montufar_count,
    network_bounds,
    serra2018_corollary3,
    serra2018_prop13,
    serra2018_theorem7,
    serra2018_theorem8_lower,
    serra2018_theorem9_lower,
    serra2018_theorem10_maxout_upper,
    serra2018_upper,
    zaslavsky,
    zaslavsky_rank,
)


def theorem1_bruteforce(n0: int, widths: list[int], ranks: list[int] | None = None) -> int:
    """Theorem 1 by enumerating the index set J literally."""
    ranks = ranks or widths
    total = 0
    ranges = [range(0, min(n0, r) + 1) for r in ranks]
    for js in itertools.product(*ranges):
        ok = all(js[l] <= min([n0, ranks[l]] + [widths[k] - js[k] for k in range(l)])
                 for l in range(len(widths)))
        if ok:
            total += math.prod(math.comb(n, j) for n, j in zip(widths, js, strict=True))
    return total


# ---------------------------------------------------------------------------
# values given in the papers
# ---------------------------------------------------------------------------
def test_zaslavsky_values() -> None:
    # Serra et al. Section 2: two lines in the plane, 1 + 2 + 1 = 4 regions
    assert zaslavsky(2, 2) == 4
    assert [zaslavsky(m, 2) for m in range(5)] == [1, 2, 4, 7, 11]
    assert zaslavsky(5, 10) == 32
    assert zaslavsky_rank(4, 1) == 5  # four parallel hyperplanes: five slabs
    with pytest.raises(NetworkError):
        zaslavsky_rank(2, 3)


def test_appendix_a_values() -> None:
    # "B(4, 3, 2, 1) = 47 > 46 = B(4, 4, 1, 1)" (Serra et al. 2018, Appendix A)
    assert serra2018_upper(4, [3, 2, 1]) == 47
    assert serra2018_upper(4, [4, 1, 1]) == 46


def test_theorem7_is_theorem1_for_dimension_one() -> None:
    # Section 3.2: for n0 = 1 and n_l = n the upper bound reduces to (n + 1)^L,
    # Montúfar et al.'s lower bound to n^(L-1) (n + 1)
    for n, depth in [(3, 1), (3, 4), (5, 3)]:
        assert serra2018_upper(1, [n] * depth) == (n + 1) ** depth == \
            serra2018_theorem7([n] * depth)
        assert montufar2014_lower(1, [n] * depth) == n ** (depth - 1) * (n + 1)
    assert serra2018_theorem7([2, 5]) is None and serra2018_theorem7([3, 3], n0=2) is None


def test_theorem8_and_9_differences_from_the_papers_they_improve() -> None:
    # Theorem 8 replaces floor(n/n0) by floor(n/n0) + 1 (and needs n >= 3 n0)
    assert montufar2014_lower(2, [6, 6, 4]) == 3 ** 2 * 3 ** 2 * 11
    assert serra2018_theorem8_lower(2, [6, 6, 4]) == 4 ** 2 * 4 ** 2 * 11
    assert serra2018_theorem8_lower(2, [5, 6, 4]) is None
    # Theorem 9 replaces Arora et al.'s w by w + 1
    assert serra2018_theorem9_lower(3, 4, 3, 3) == 2 * (1 + 3 + 3) * 4 ** 2
    # w = 2 only for at most two layers (see the docstring: the proof needs w >= 3)
    assert serra2018_theorem9_lower(1, 1, 2, 2) == 6
    assert serra2018_theorem9_lower(1, 1, 2, 3) is None


def test_nakahara_values() -> None:
    # Proposition 1: p^(n0 (L-1)), L counting the affine maps (here depth = L - 1)
    assert nakahara_montufar_count(2, 6, 3) == 3 ** 6
    # Theorem 1: q = floor(n / (2 (n0 + 1))), L' the largest odd number <= L
    assert nakahara2024_ternary_lower(1, 12, 5) == 3 ** 2
    assert nakahara2024_ternary_lower(1, 12, 6) == 3 ** 2
    assert nakahara2024_ternary_lower(2, 12, 7) == 2 ** 6
    assert nakahara2024_ternary_lower(2, 5, 7) is None
    # Remark 1: squaring the width or doubling the depth matches Proposition 1's form
    n0, p, depth = 1, 3, 4
    assert nakahara2024_ternary_lower(n0, 2 * (n0 + 1) * p, 2 * depth + 1) == \
        nakahara_montufar_count(n0, n0 * p, depth)


def test_figure2_network_has_20_regions() -> None:
    # Serra et al. 2018, Figure 2: two inputs, three layers of two units, 20 regions
    net = Network.from_lists(2, [
        ([[-1, 1], [1, 1]], [0, -4], "relu"),              # ha, hb
        ([[-1, -3], [-3, -1]], [4, 4], "relu"),            # hc, hd
        ([[1, 3], [3, 1]], [-4, -4], "relu"),              # he, hf
        ([[1, 1]], [0], "identity")])
    assert activation_regions(net, exact=True).count == 20
    assert 20 <= serra2018_upper(2, [2, 2, 2]) <= montufar2017_upper(2, [2, 2, 2])


def test_figure3_disconnected_boundary() -> None:
    # Figure 3: ha = max(0, x), hb = max(0, 1 - x), hc = max(0, 4 ha + 2 hb - 3):
    # c switches at -1/2 and at 1/2, so 5 regions (breakpoints -1/2, 0, 1/2, 1)
    net = Network.from_lists(1, [([[1], [-1]], [0, 1], "relu"), ([[4, 2]], [-3], "relu"),
                                 ([[1]], [0], "identity")])
    regions = activation_regions(net, exact=True)
    assert regions.count == 5
    points = sorted(r.interior_point[0] for r in regions)
    assert points[0] < Fraction(-1, 2) < points[1] < 0 < points[2] < Fraction(1, 2) \
        < points[3] < 1 < points[4]


# ---------------------------------------------------------------------------
# Theorem 1: the dynamic programme is the formula
# ---------------------------------------------------------------------------
@given(st.integers(1, 6), st.lists(st.integers(1, 7), min_size=1, max_size=4), st.data())
def test_theorem1_dp_equals_enumeration(n0: int, widths: list[int], data) -> None:
    ranks = data.draw(st.one_of(st.none(), st.tuples(*[st.integers(0, w) for w in widths])))
    ranks = list(ranks) if ranks is not None else None
    assert serra2018_upper(n0, widths, ranks) == theorem1_bruteforce(n0, widths, ranks)


@given(st.integers(1, 8), st.lists(st.integers(1, 9), min_size=1, max_size=5))
def test_bound_ordering(n0: int, widths: list[int]) -> None:
    upper = serra2018_upper(n0, widths)
    # "a stronger upper bound than the one that appeared in Montúfar (2017)"
    assert upper <= montufar2017_upper(n0, widths)
    # tight for one layer: Zaslavsky
    if len(widths) == 1:
        assert upper == zaslavsky(widths[0], n0) == montufar2017_upper(n0, widths)
    for lower in (montufar2014_lower(n0, widths), serra2018_theorem8_lower(n0, widths)):
        if lower is not None:
            assert lower <= upper
    m14, t8 = montufar2014_lower(n0, widths), serra2018_theorem8_lower(n0, widths)
    if m14 is not None and t8 is not None:
        assert m14 <= t8
    # the rank refinement never increases the bound
    assert serra2018_upper(n0, widths, [max(w - 1, 0) for w in widths]) <= upper


def test_theorem9_and_ternary_below_theorem1() -> None:
    for n0, m, w, depth in [(1, 1, 3, 3), (2, 3, 3, 2), (3, 5, 4, 3), (2, 2, 1, 2)]:
        lower = serra2018_theorem9_lower(n0, m, w, depth)
        assert lower is not None
        assert lower <= serra2018_upper(n0, [2 * m] + [w] * (depth - 1))
    # the ternary net is a ReLU net with (L'-1)/2 layers of width n after merging
    # each identity layer into the next
    for n0, n, depth in [(1, 8, 5), (2, 12, 7), (1, 20, 4)]:
        lower = nakahara2024_ternary_lower(n0, n, depth)
        odd = depth if depth % 2 else depth - 1
        assert lower is not None
        assert lower <= serra2018_upper(n0, [n] * ((odd - 1) // 2))


def test_prop13_and_corollary3() -> None:
    for n0, n1, n2 in [(5, 2, 3), (4, 4, 4), (9, 3, 7)]:
        assert serra2018_prop13(n0, n1, n2) == serra2018_upper(n0, [n1, n2])
    for n0, n1, n2 in [(2, 3, 3), (3, 5, 2), (1, 4, 4)]:
        assert serra2018_upper(n0, [n1, n2]) <= serra2018_prop13(n0, n1, n2)
    # Proposition 2 (n0 > n1, n2): moving a unit to the first layer increases the bound
    assert serra2018_upper(6, [4, 2]) > serra2018_upper(6, [3, 3])
    # Corollary 3: deep < shallow when n0 >= L n
    for n, depth in [(1, 2), (2, 2), (3, 3), (2, 5), (4, 4)]:
        for n0 in (depth * n, depth * n + 3):
            deep, shallow = serra2018_corollary3(n0, n, depth)
            assert deep < shallow == 2 ** (depth * n)
    # the ratio bound of Corollary 16 for L = 4: B / 2^(Ln) <= (1/2 + 1/(2 sqrt(pi n)))^2
    n = 5
    deep, shallow = serra2018_corollary3(20, n, 4)
    assert deep / shallow <= (0.5 + 0.5 / math.sqrt(math.pi * n)) ** 2


def test_theorem1_fast_for_mnist_sizes() -> None:
    # n0 = 784 and ten layers: the DP, not an enumeration of J
    value = serra2018_upper(784, [1000] * 10)
    assert isinstance(value, int) and value <= montufar2017_upper(784, [1000] * 10)
    # Corollary 16's relaxation (n0 >= n, L even): B <= (sum_{j<=n} C(2n, j))^(L/2) < 2^(Ln)
    deep = serra2018_upper(784, [8] * 10)
    assert deep <= sum(math.comb(16, j) for j in range(9)) ** 5 < 2 ** 80


# ---------------------------------------------------------------------------
# maxout
# ---------------------------------------------------------------------------
def test_maxout_values() -> None:
    for n0, n, k in [(1, 3, 4), (2, 3, 3), (3, 2, 5), (4, 6, 2)]:
        assert maxout_one_layer_max(n0, n, k) <= serra2018_theorem10_maxout_upper(n0, [n], k)
    assert maxout_one_layer_max(2, 5, 2) == zaslavsky(5, 2)  # rank 2 ~ one hyperplane
    assert maxout_one_layer_max(3, 3, 4) == 4 ** 3
    assert serra2018_theorem10_maxout_upper(2, [3, 3], 3) == sum(
        math.comb(9, j) for j in range(3)) ** 2


def _convex_maxout_unit(breaks: list[Fraction], coord: int, n0: int) -> tuple[list, list]:
    """max_r (r x_coord - sum_{q <= r} breaks_q): pieces meet at the breakpoints."""
    rows, bias = [], []
    for r in range(len(breaks) + 1):
        row = [0] * n0
        row[coord] = r
        rows.append(row)
        bias.append(-sum(breaks[:r], Fraction(0)))
    return rows, bias


def test_one_layer_maxout_count_attained_and_never_exceeded(rng) -> None:
    # attained: n units of rank k in 1-D with distinct breakpoints: n (k - 1) + 1
    n, k = 3, 3
    rows, bias = [], []
    for u in range(n):
        r, b = _convex_maxout_unit([Fraction(u, n) + Fraction(j, 10 * n) for j in range(k - 1)],
                                   0, 1)
        rows += r
        bias += b
    net = Network.from_lists(1, [(rows, bias, "maxout", {"rank": k}),
                                 ([[1] * n], [0], "identity")])
    assert activation_regions(net, exact=True).count == maxout_one_layer_max(1, n, k) == 7
    # attained: n <= n0 units on separate coordinates give k^n
    rows, bias = [], []
    for u in range(2):
        r, b = _convex_maxout_unit([Fraction(1, 3), Fraction(2, 3)], u, 2)
        rows += r
        bias += b
    net = Network.from_lists(2, [(rows, bias, "maxout", {"rank": 3}),
                                 ([[1, 1]], [0], "identity")])
    assert activation_regions(net, exact=True).count == maxout_one_layer_max(2, 2, 3) == 9
    # never exceeded by random one-layer maxout nets, nor Theorem 10 by deeper ones
    for dims, k in [([2, 3, 1], 3), ([2, 4, 1], 2), ([1, 3, 1], 4), ([2, 2, 2, 1], 2)]:
        for _ in range(3):
            net = random_net(rng, dims, "maxout", rank=k)
            count = activation_regions(net, exact=True).count
            widths = dims[1:-1]
            assert count <= serra2018_theorem10_maxout_upper(dims[0], widths, k)
            if len(widths) == 1:
                assert count <= maxout_one_layer_max(dims[0], widths[0], k)


# ---------------------------------------------------------------------------
# exact counts of random ReLU networks never exceed the upper bounds
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [[1, 3, 4, 1], [1, 2, 5, 3, 1], [2, 3, 3, 1], [2, 4, 2, 3, 1],
                                  [3, 4, 2, 1], [2, 6, 1], [3, 2, 3, 2, 1]])
def test_random_relu_nets_below_upper_bounds(rng, dims) -> None:
    n0, widths = dims[0], dims[1:-1]
    for _ in range(3):
        net = random_net(rng, dims)
        act = activation_regions(net, exact=True).count
        lin = linear_regions(net, exact=True).count
        info = network_bounds(net)
        assert lin <= act <= info["bounds"]["serra2018_upper_rank"] \
            <= serra2018_upper(n0, widths) <= montufar2017_upper(n0, widths)
        if n0 == 1 and min(widths) >= 3:  # Theorem 7: an exact maximum
            assert act <= serra2018_theorem7(widths)


def test_rank_refinement_against_low_rank_weights(rng) -> None:
    # a rank-1 first layer in R^3: all its hyperplanes are parallel
    u = np.array([1, -2, 3])
    w1 = [[int(c) * int(v) for v in u] for c in (1, 2, -1, 3)]
    for _ in range(3):
        b1 = [int(v) for v in rng.integers(-5, 6, size=4)]
        w2 = rng.integers(-3, 4, size=(3, 4)).tolist()
        b2 = rng.integers(-3, 4, size=3).tolist()
        net = Network.from_lists(3, [(w1, b1, "relu"), (w2, b2, "relu"),
                                     ([[1, 1, 1]], [0], "identity")])
        info = network_bounds(net)
        assert info["weight_ranks"][0] == 1
        count = activation_regions(net, exact=True).count
        # after a rank-1 layer every region's image has dimension <= 1
        assert count <= info["bounds"]["serra2018_upper_rank"] == \
            serra2018_upper(3, [4, 3], [1, 3]) < serra2018_upper(3, [4, 3])


def test_random_one_dimensional_nets_never_exceed_theorem7(rng) -> None:
    for widths in ([3, 3], [3, 4, 3], [4, 5]):
        best = 0
        for _ in range(6):
            net = random_net(rng, [1, *widths, 1], denominator=8)
            best = max(best, activation_regions(net, exact=True).count)
        assert best <= serra2018_theorem7(widths)


# ---------------------------------------------------------------------------
# helpers and reports
# ---------------------------------------------------------------------------
def test_maps_eta() -> None:
    assert maps_eta(1) == 0.0 and maps_eta(2 ** 1000) == 1000.0
    assert math.isclose(maps_eta(20), math.log2(20))
    with pytest.raises(NetworkError):
        maps_eta(0)


def test_matrix_rank(rng) -> None:
    import sympy

    for _ in range(20):
        r, c, k = (int(v) for v in rng.integers(1, 6, size=3))
        a = rng.integers(-3, 4, size=(r, k)) @ rng.integers(-3, 4, size=(k, c))
        m = [[Fraction(int(v), int(rng.integers(1, 4))) for v in row] for row in a]
        assert matrix_rank(m) == sympy.Matrix(m).rank()
    assert matrix_rank([["1/3", "2/3"], ["1/2", 1]]) == 1


def test_architecture_bounds_keys() -> None:
    relu = architecture_bounds(1, [3, 4])
    assert set(relu) == {"montufar2014_lower", "serra2018_lower", "montufar2017_upper",
                         "serra2018_upper", "one_dim_exact"}
    assert set(architecture_bounds(3, [2, 2])) == {"montufar2017_upper", "serra2018_upper"}
    maxout = architecture_bounds(2, [4], maxout_rank=3)
    assert set(maxout) == {"montufar2014_lower", "serra2018_lower", "maxout_upper",
                           "maxout_one_layer_max"}
    for bad in ([0, 2], [], [2, -1]):
        with pytest.raises(NetworkError):
            architecture_bounds(2, bad)


def test_network_bounds_merges_identity_layers_and_rejects_leaky(rng) -> None:
    net = Network.from_lists(2, [([[1, 0], [0, 1], [1, 1]], [0, 0, 0], "identity"),
                                 ([[1, 1, 0], [0, 1, 1]], [0, 1], "relu"),
                                 ([[1, 1]], [0], "identity")])
    info = network_bounds(net)
    assert info["widths"] == [2] and info["bounds"]["serra2018_upper"] == zaslavsky(2, 2)
    with pytest.raises(NetworkError):
        network_bounds(random_net(rng, [2, 3, 1], "leaky_relu"))


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def _cli(capsys, *args: str) -> tuple[int, str, str]:
    from tropnet.cli import main

    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_bounds_json(capsys) -> None:
    code, out, err = _cli(capsys, "bounds", "--input-dim", "1", "--widths", "3,4", "--json")
    assert code == 0, err
    b = json.loads(out)["bounds"]
    assert b["serra2018_upper"]["value"] == b["one_dim_exact"]["value"] == "20"
    assert b["montufar2014_lower"]["value"] == str(3 * 5)
    assert math.isclose(b["one_dim_exact"]["eta"], math.log2(20), abs_tol=1e-6)
    _, out, _ = _cli(capsys, "bounds", "--input-dim", "2", "--widths", "4,4", "--maxout-rank",
                     "3", "--json")
    data = json.loads(out)["bounds"]
    assert "maxout_upper" in data and "serra2018_upper" not in data
    _, out, _ = _cli(capsys, "bounds", "--input-dim", "784", "--widths",
                     ",".join(["100"] * 10), "--json")
    data = json.loads(out)["bounds"]
    assert int(data["serra2018_upper"]["value"]) == serra2018_upper(784, [100] * 10)
    assert "montufar2014_lower" not in data and "one_dim_exact" not in data


def test_cli_bounds_cnn_and_errors(tmp_path, capsys) -> None:
    code, out, err = _cli(capsys, "bounds", "--cnn", "--input", "1x4x1", "--filter", "1x2",
                          "--stride", "1", "--channels", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["bounds"]["xiong2024_exact"]["value"] == "217"
    assert "deprecated" in err
    code, out2, err = _cli(capsys, "bounds", "--cnn", "--input-shape", "1,1,4", "--filter",
                           "1x2", "--stride", "1", "--channels", "3", "--json")
    assert code == 0 and json.loads(out2) == {**json.loads(out),
                                              "seconds": json.loads(out2)["seconds"]}
    assert err == ""
    for args in (["bounds", "--input-dim", "2"], ["bounds", "--cnn", "--input", "3x3"],
                 ["bounds", "--cnn", "--input", "1x4x1", "--input-shape", "1,1,4",
                  "--filter", "1x2", "--channels", "3"],
                 ["bounds", "--input-dim", "2", "--widths", "2,x"],
                 ["bounds", str(tmp_path / "missing.json")],
                 ["bounds", "--input-dim", "2", "--widths", "3", "--empirical"]):
        code, _, err = _cli(capsys, *args)
        assert code == 2 and "error" in err and "Traceback" not in err


def test_cli_bounds_of_a_network_file(tmp_path, rng, capsys) -> None:
    from tropnet import save_network

    path = tmp_path / "net.json"
    save_network(random_net(rng, [2, 3, 3, 1]), path)
    _, out, _ = _cli(capsys, "bounds", str(path), "--json")
    data = json.loads(out)
    v = {k: int(x["value"]) for k, x in data["bounds"].items()}
    assert data["widths"] == [3, 3] and v["serra2018_upper"] == serra2018_upper(2, [3, 3])
    assert v["serra2018_upper_rank"] <= v["serra2018_upper"]
    code, _, err = _cli(capsys, "bounds", str(path), "--empirical")
    assert code == 2 and "--domain" in err

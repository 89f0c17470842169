"""Every construction, counted exactly with tropnet.regions(), reaches its theorem's count."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from tropnet import NetworkError, activation_regions, linear_regions, load_network
from tropnet import constructions as C
from tropnet.bounds import (
    montufar2014_lower,
    nakahara2024_ternary_lower,
    nakahara_montufar_count,
    serra2018_theorem7,
    serra2018_theorem8_lower,
    serra2018_theorem9_lower,
    serra2018_upper,
)
from tropnet.domain import box


def _counts(con: C.Construction, domain=None) -> tuple[int, int]:
    dom = domain if domain is not None else con.domain
    act = activation_regions(con.network, dom, exact=True).count
    lin = linear_regions(con.network, dom, exact=True, method="enumerate").count
    return act, lin


@pytest.mark.parametrize("widths", [[3], [4], [3, 4], [5, 3, 4], [3, 3, 3]])
def test_theorem7_attains_the_exact_maximum(widths) -> None:
    con = C.serra2018_theorem7(widths)
    assert con.kind == "activation" and con.domain.kind == "rn"
    assert con.count == serra2018_theorem7(widths) == serra2018_upper(1, widths)
    act, lin = _counts(con)
    assert act == lin == con.count
    # the zig-zags map [0, 1] onto itself: the same count on the unit interval
    assert activation_regions(con.network, box(0, 1, n=1), exact=True).count == con.count


def test_theorem7_example_of_appendix_d() -> None:
    # The paper's example (n = 4, breakpoints 1/9, 3/9, 5/9, 7/9) prints
    # h1 = max(0, -27/2 x + 3/2), h2 = max(0, 9x - 3), h3 = max(0, 9x - 5), h4 = max(0, 9x),
    # h~ = -h1 + h2 - h3 + h4 + 5, which is not a zig-zag: h~(0) = 7/2.
    def relu(v: Fraction) -> Fraction:
        return max(v, Fraction(0))

    def printed(x: Fraction) -> Fraction:
        return (-relu(Fraction(-27, 2) * x + Fraction(3, 2)) + relu(9 * x - 3)
                - relu(9 * x - 5) + relu(9 * x) + 5)

    assert printed(Fraction(0)) == Fraction(7, 2)
    # The system (R1)-(R5) solved exactly (our construction) gives, up to positive scaling,
    # h1 = max(0, 27/2 x - 3/2), h2 = max(0, 9x - 3), h3 = max(0, 5 - 9x), h4 = max(0, 9x - 7)
    # and the same signs and constant: a zig-zag through 0, 1, 0, 1, 0, 1 at 0, 1/9, ..., 1.
    def corrected(x: Fraction) -> Fraction:
        return (-relu(Fraction(27, 2) * x - Fraction(3, 2)) + relu(9 * x - 3)
                - relu(5 - 9 * x) + relu(9 * x - 7) + 5)

    con = C.serra2018_theorem7([4])
    knots = [Fraction(0), Fraction(1, 9), Fraction(3, 9), Fraction(5, 9), Fraction(7, 9),
             Fraction(1)]
    for k, x in enumerate(knots):
        assert corrected(x) == k % 2 == con.network.forward([x], exact=True)[0]
    layer = con.network.layers[0]
    scaled = [(layer.weight[i][0] * s, layer.bias[i] * s)
              for i, s in enumerate([Fraction(27, 2), 9, 9, 9])]
    assert scaled == [(Fraction(27, 2), Fraction(-3, 2)), (9, -3), (-9, 5), (9, -7)]


@pytest.mark.parametrize("n0, widths", [(1, [3, 3]), (2, [4, 4]), (2, [4, 6, 2]), (1, [2, 3, 2]),
                                        (3, [3, 6])])
def test_montufar2014_as_in_nakahara(n0, widths) -> None:
    con = C.montufar2014(n0, widths)
    assert con.kind == "linear" and con.domain.describe() == f"box:[0,1]^{n0}"
    if len(set(widths)) == 1:
        assert con.count == nakahara_montufar_count(n0, widths[0], len(widths))
    act, lin = _counts(con)
    assert lin == act == con.count


@pytest.mark.parametrize("n0, widths", [(1, [2, 3]), (2, [4, 3]), (2, [2, 4, 3]), (1, [3, 2, 2])])
def test_montufar2014_full_theorem5_bound(n0, widths) -> None:
    con = C.montufar2014(n0, widths, last_layer="arrangement")
    assert con.count == montufar2014_lower(n0, widths)
    assert con.kind == "linear"  # n_L > n0: oriented so that some unit is always active
    act, lin = _counts(con)
    assert lin == act == con.count


def test_montufar2014_arrangement_with_few_last_units_counts_activation_regions() -> None:
    con = C.montufar2014(2, [6, 2], last_layer="arrangement")
    assert con.kind == "activation" and "all-inactive" in con.note
    act, lin = _counts(con)
    assert act == con.count == 9 * 4
    assert lin < act  # the all-inactive cells glue across folds


@pytest.mark.slow
@pytest.mark.parametrize("n0, widths", [(1, [3, 3]), (1, [4, 3, 2]), (2, [6, 3]), (2, [6, 6, 1]),
                                        (1, [5, 1])])
def test_theorem8(n0, widths) -> None:
    con = C.serra2018_theorem8(n0, widths)
    assert con.kind == "activation" and con.count == serra2018_theorem8_lower(n0, widths)
    act, lin = _counts(con)
    assert act == con.count
    assert lin == act or widths[-1] <= n0


def test_theorem8_linear_regions_fewer_when_last_layer_is_small() -> None:
    # Serra's Theorem 8 counts activation regions; with n_L <= n0 the all-inactive
    # region of the last layer has a constant output, which glues across the folds
    con = C.serra2018_theorem8(2, [6, 2])
    act, lin = _counts(con)
    assert act == con.count == 64 and lin < act


@pytest.mark.parametrize("n0, m, w, depth", [(2, 3, 3, 2), (1, 2, 3, 3), (2, 2, 3, 3),
                                             (2, 3, 1, 2), (2, 3, 2, 2), (3, 4, 3, 1)])
def test_theorem9(n0, m, w, depth) -> None:
    con = C.serra2018_theorem9(n0, m, w, depth)
    assert con.kind == "activation" and con.count == serra2018_theorem9_lower(n0, m, w, depth)
    assert activation_regions(con.network, con.domain, exact=True).count == con.count


def test_theorem9_needs_three_units_per_middle_layer() -> None:
    with pytest.raises(NetworkError, match="w >= 3"):
        C.serra2018_theorem9(1, 2, 2, 3)


@pytest.mark.parametrize("n0, width, depth", [(1, 8, 5), (1, 12, 4), (1, 6, 7), (2, 12, 5),
                                              (1, 13, 3)])
def test_nakahara_ternary(n0, width, depth) -> None:
    con = C.nakahara2024_ternary(n0, width, depth)
    assert con.kind == "linear" and con.count == nakahara2024_ternary_lower(n0, width, depth)
    net = con.network
    assert len(net.layers) == depth
    for layer in net.layers:
        assert {*layer.weight.flat, *layer.bias} <= {-1, 0, 1}
    acts = [ly.activation for ly in net.layers[:-1]]
    odd = depth if depth % 2 else depth - 1
    assert acts[:odd - 1] == ["identity", "relu"] * ((odd - 1) // 2)
    act, lin = _counts(con)
    assert lin == act == con.count


def test_bad_parameters_raise() -> None:
    for call in (lambda: C.serra2018_theorem7([2, 3]), lambda: C.serra2018_theorem8(2, [5, 3]),
                 lambda: C.montufar2014(3, [2, 4]), lambda: C.nakahara2024_ternary(1, 3, 5),
                 lambda: C.nakahara2024_ternary(1, 8, 2),
                 lambda: C.montufar2014(1, [2], last_layer="other")):
        with pytest.raises(NetworkError):
            call()


def test_verify_and_cli(tmp_path, capsys) -> None:
    from tropnet.cli import main

    con = C.serra2018_theorem8(1, [3, 3])
    assert con.verify() == con.count == 16
    out = tmp_path / "t7.json"
    capsys.readouterr()
    assert main(["construct", "serra2018-thm7", "--widths", "3,4", "-o", str(out), "--verify",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == data["verified_count"] == 20 and data["agrees"]
    assert data["kind"] == "activation" and data["domain"]["kind"] == "rn"
    net = load_network(out)
    assert activation_regions(net, exact=True).count == 20
    # text output names the count, the kind and the domain
    assert main(["construct", "nakahara2024-ternary", "--input-dim", "1", "--width", "8",
                 "--depth", "5"]) == 0
    text = capsys.readouterr().out
    assert "4 linear regions on box:[0,1]^1" in text
    # files are written only on success
    bad = tmp_path / "bad.json"
    assert main(["construct", "serra2018-thm9", "--input-dim", "1", "--m", "2", "--w", "2",
                 "--depth", "3", "-o", str(bad)]) == 2
    assert not bad.exists()
    assert main(["construct", "montufar2014", "--input-dim", "1", "--m", "3"]) == 2

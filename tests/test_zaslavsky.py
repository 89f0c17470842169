"""Zaslavsky's count of the cells of an arrangement inside a polyhedron (issue 14 §3):
hand-worked arrangements, and agreement with listing the cells by splitting, exactly and in
certified float, on random and degenerate arrangements."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet.arithmetic import EXACT, FLOAT, Ball, Uncertain
from tropnet.domain import parse_domain
from tropnet.engines.cones import initial_cone, integer_row, split_cone
from tropnet.engines.zaslavsky import count_cells


def cone_of(text: str, n: int, arith=EXACT):
    return initial_cone(parse_domain(text, n), arith)[0]


def rows(hs, arith=EXACT, width=None):
    """The hyperplanes as count_cells takes them: primitive integer rows, or a Ball
    (``width``: the row length ``n + 1``, needed when there is no row)."""
    width = len(hs[0]) if hs else width
    if arith.exact:
        return np.array([integer_row(h) for h in hs], dtype=object).reshape(len(hs), width)
    return Ball.of(np.array(hs, dtype=float).reshape(len(hs), width))


def listed(cone, hs, arith=EXACT) -> int:
    """The cells, by splitting every piece by every hyperplane in turn."""
    pieces = [cone]
    for h in hs:  # rows of a matrix or of a Ball
        nxt = []
        for p in pieces:
            plus, minus = split_cone(p, h, arith)
            nxt += [s for s in (plus, minus) if s is not None]
        pieces = nxt
    return len(pieces)


@pytest.mark.parametrize(("hs", "expected"), [
    ([[0, 1, 0], [0, 0, 1], [1, 1, 1]], 7),            # three lines in general position: 7
    ([[0, 1, 0], [1, 1, 0], [-1, 1, 0]], 4),           # x = 0, -1, 1: parallel lines
    ([[0, 1, 0], [0, 0, 1], [0, 1, 1]], None),         # three lines through the origin
    ([[0, 1, 0], [0, 2, 0]], None),                    # the same line twice
    ([[5, 1, 0], [0, 0, 1]], 2),                       # x = -5 misses the box: one line
    ([], 1),
])
def test_hand_worked_arrangements_in_a_square(hs, expected):
    cone = cone_of("box:-2,2", 2)
    assert count_cells(cone, rows(hs, EXACT, 3), EXACT) == expected
    if expected is not None:
        assert listed(cone, rows(hs, EXACT, 3)) == expected


def test_general_position_in_the_domain_only():
    # three lines through (3, 3), outside the box [-1, 1]^2: general position *in* the box
    hs = [[-3, 1, 0], [-3, 0, 1], [-6, 1, 1]]
    assert count_cells(cone_of("box:-1,1", 2), rows(hs), EXACT) == 1 + 0  # none crosses
    hs = [[0, 1, -1], [1, 1, 1], [-1, 1, 1]]  # x = y and x + y = -1, 1: two crossings
    assert count_cells(cone_of("box:-1,1", 2), rows(hs), EXACT) == 6


def test_three_planes_in_space():
    # the coordinate planes cut R^3 and the cube around the origin into 8 octants
    hs = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert count_cells(cone_of("rn", 3), rows(hs), EXACT) == 8
    assert count_cells(cone_of("box:-1,1", 3), rows(hs), EXACT) == 8
    # a fourth plane through the origin makes four planes through one point
    assert count_cells(cone_of("rn", 3), rows([*hs, [0, 1, 1, 1]]), EXACT) is None
    # three planes through one line: a rank drop
    assert count_cells(cone_of("rn", 3), rows([[0, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0]]),
                       EXACT) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 3), st.integers(0, 7), st.integers(1, 3), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_count_equals_listing(n, m, size, bounded, seed):
    """Small integer coefficients make degenerate arrangements often: the count is then
    either refused or right; it is right whenever it answers."""
    rng = np.random.default_rng(seed)
    hs = rng.integers(-size, size + 1, size=(m, n + 1)).tolist()
    cone = cone_of("box:-2,2" if bounded else "rn", n)
    count = count_cells(cone, rows(hs, EXACT, n + 1), EXACT)
    if count is not None:
        assert count == listed(cone, rows(hs, EXACT, n + 1))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 3), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_generic_arrangements_are_counted(n, m, seed):
    rng = np.random.default_rng(seed)
    hs = rng.integers(-10**6, 10**6, size=(m, n + 1)).tolist()
    for arith in (EXACT, FLOAT):
        cone = cone_of("box:-1,1", n, arith)
        try:
            count = count_cells(cone, rows(hs, arith), arith)
        except Uncertain:  # float could not decide: the caller goes exact
            continue
        assert count is not None
        assert count == listed(cone_of("box:-1,1", n), rows(hs))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([([2, 5, 4, 1], "rn"), ([3, 4, 4, 1], "box"),
                                                   ([2, 3, 6, 1], "box")]),
       st.booleans(), st.sampled_from(["relu", "leaky_relu"]))
def test_a_streamed_count_with_the_last_layer_counted_equals_the_enumeration(
        seed, case, rational, activation):
    """Count only: the last layer's regions are counted by Zaslavsky where the hyperplanes are
    in general position (and listed where not); the count equals the listed enumeration,
    exactly (small fractions: degenerate often) and in certified float."""
    from tests.helpers import random_net
    from tropnet import activation_regions
    from tropnet.engines import enumerate as enum
    from tropnet.engines.stream import stream_activation_regions

    dims, dom = case
    dom = None if dom == "rn" else "box:-1,1"
    net = random_net(np.random.default_rng(seed), dims, activation=activation,
                     rational=rational)
    counted = []
    original = enum.Walk.count_children

    def spy(self, index, item):
        out = original(self, index, item)
        counted.append(out)
        return out

    enum.Walk.count_children = spy
    try:
        fast = stream_activation_regions(net, dom, "vertex").count
    finally:
        enum.Walk.count_children = original
    assert fast == activation_regions(net, dom, "vertex").count
    assert counted  # the last layer's nodes were offered to the count

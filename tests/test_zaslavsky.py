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


def rows(hs, arith=EXACT):
    if arith.exact:
        return [integer_row(h) for h in hs]
    return [Ball.of(np.array(h, dtype=float)) for h in hs]


def listed(cone, hs, arith=EXACT) -> int:
    """The cells, by splitting every piece by every hyperplane in turn."""
    pieces = [cone]
    for h in hs:
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
    assert count_cells(cone, rows(hs), EXACT) == expected
    if expected is not None:
        assert listed(cone, rows(hs)) == expected


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
    count = count_cells(cone, rows(hs), EXACT)
    if count is not None:
        assert count == listed(cone, rows(hs))


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

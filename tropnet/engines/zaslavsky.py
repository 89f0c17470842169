"""Counting the cells of a hyperplane arrangement inside a polyhedron without listing them.

Let ``P`` be a full-dimensional polyhedron in ``R^n`` and ``H_1, ..., H_m`` hyperplanes.
Call them *in general position in P* when every set ``S`` of them whose intersection
``F_S`` meets the interior of ``P`` has ``codim F_S = |S|`` (in particular ``|S| <= n``).
Then the arrangement cuts the interior of ``P`` into

    ``#{S : |S| <= n, F_S meets int P}``

open cells (Zaslavsky's count restricted to a convex set; the empty set, with
``F = R^n``, counts the uncut cell). Proof by induction on ``m``: adding ``H_m`` splits
exactly the cells it crosses, which are the cells of the induced arrangement
``{H_i ∩ H_m}`` inside ``H_m ∩ int P``, again in general position, so one more for each
``S ∪ {m}`` with ``F_{S ∪ {m}}`` meeting ``int P``.

:func:`count_cells` finds these sets depth first over increasing indices, without a linear
program: ``P``'s cone of generators (:mod:`tropnet.engines.cones`) is cut by one hyperplane
after the other (:func:`~tropnet.engines.cones.section_cone`), and ``F_S ∩ P`` meets the
interior exactly when each hyperplane crossed the section of the ones before it. General
position is checked exactly on the way: a hyperplane that vanishes on a section that
meets the interior (a rank drop), or that passes through a point ``F_S`` (``|S| = n``)
inside ``P``, makes the count return ``None``, and the caller lists the cells instead.

This is the count of the children of a region under a ReLU or leaky ReLU layer (the
hyperplanes ``z_i = 0`` of its units): a layer with a count needs no child to be built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arithmetic import EXACT, UNSURE, Arithmetic, Uncertain
from .cones import Cone, generator_values, line_values, section_cone

__all__ = ["count_cells"]


def count_cells(cone: Cone, hyperplanes: Any, arith: Arithmetic) -> int | None:
    """The number of open cells into which the hyperplanes ``h . (t, x) = 0`` cut the
    interior of the polyhedron of ``cone``, or ``None`` when they are not in general
    position in it (module docstring).

    Parameters
    ----------
    cone : Cone
        A full-dimensional polyhedron kept by its generators.
    hyperplanes : array or Ball
        One homogeneous row ``h = (beta, w)`` per hyperplane ``beta + w . x = 0``:
        primitive integer rows in exact mode, a :class:`~tropnet.arithmetic.Ball` matrix
        in float mode. Rows that vanish on all of the polyhedron cut nothing.
    arith : Arithmetic
        Exact or float; in float mode an uncertain sign raises
        :class:`~tropnet.arithmetic.Uncertain`.

    Returns
    -------
    int or None
        The number of cells, or ``None`` (the caller lists them).
    """
    n, H = cone.n, hyperplanes
    crossing, _ = _classify(cone, H, np.arange(len(H)), arith)
    count = 1 + len(crossing)
    stack: list[tuple[tuple[int, ...], Cone]] = []
    for j in crossing:
        stack.append(((int(j),), _section(cone, H[int(j)], arith)))
    while stack:
        chosen, face = stack.pop()
        others = crossing[crossing > chosen[-1]] if len(chosen) < n else \
            np.setdiff1d(crossing, chosen)
        if len(others) == 0:
            continue
        cross, zero = _classify(face, H, others, arith)
        if zero.any():  # a hyperplane through F_S, which meets int P: a rank drop, or
            return None  # (at a point) more than n hyperplanes through one point
        if len(chosen) == n:
            continue
        count += len(cross)
        stack.extend(((*chosen, int(j)), _section(face, H[int(j)], arith)) for j in cross)
    return count


def _classify(cone: Cone, H: Any, idx: np.ndarray, arith: Arithmetic
              ) -> tuple[np.ndarray, np.ndarray]:
    """The hyperplanes of ``H[idx]`` that cross the relative interior of ``cone`` (both
    signs on it), and the mask (over ``idx``) of those that vanish on all of it."""
    cols = H[idx].T
    vals = generator_values(cone, cols, arith)
    sg = EXACT.sign(vals) if arith.exact else vals.signs()
    cross = np.zeros(len(idx), dtype=bool)
    if len(cone.lines):
        lv = line_values(cone, cols, arith)
        ls = EXACT.sign(lv) if arith.exact else lv.signs()
        if np.any(ls == UNSURE):
            raise Uncertain
        cross |= (ls != 0).any(axis=0)
    pos, neg = (sg == 1).any(axis=0), (sg == -1).any(axis=0)
    cross |= pos & neg
    if np.any(~cross & (sg == UNSURE).any(axis=0)):
        raise Uncertain
    return idx[cross], ~cross & ~pos & ~neg


def _section(cone: Cone, h: Any, arith: Arithmetic) -> Cone:
    """``P ∩ {h = 0}`` for a hyperplane ``h`` known to cross ``P``."""
    kind, section = section_cone(cone, h, arith)
    if section is None:  # pragma: no cover - _classify said it crosses
        raise RuntimeError(f"internal error: a crossing hyperplane gave {kind!r}")
    return section

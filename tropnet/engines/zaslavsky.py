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

from ..arithmetic import EXACT, Arithmetic
from .cones import Cone, generator_values, section_cone

__all__ = ["count_cells"]


def count_cells(cone: Cone, hyperplanes: list[Any], arith: Arithmetic) -> int | None:
    """The number of open cells into which the hyperplanes ``h . (t, x) = 0`` cut the
    interior of the polyhedron of ``cone``, or ``None`` when they are not in general
    position in it (module docstring).

    Parameters
    ----------
    cone : Cone
        A full-dimensional polyhedron kept by its generators.
    hyperplanes : list
        Homogeneous rows ``h = (beta, w)`` for ``beta + w . x = 0``: primitive integer
        vectors in exact mode, :class:`~tropnet.arithmetic.Ball` rows in float mode. Rows
        that vanish on all of the polyhedron cut nothing.
    arith : Arithmetic
        Exact or float; in float mode an uncertain sign raises
        :class:`~tropnet.arithmetic.Uncertain`.

    Returns
    -------
    int or None
        The number of cells, or ``None`` (the caller lists them).
    """
    n = cone.n
    first: list[tuple[int, Cone]] = []
    for j, h in enumerate(hyperplanes):
        kind, section = section_cone(cone, h, arith)
        if kind == "cross":
            first.append((j, section))  # type: ignore[arg-type]
    crossing = [j for j, _ in first]
    count = 1 + len(first)
    stack: list[tuple[tuple[int, ...], Cone]] = [((j,), s) for j, s in first]
    while stack:
        chosen, face = stack.pop()
        if len(chosen) == n:  # a point inside P: no other hyperplane may pass through it
            if any(_vanishes(face, hyperplanes[j], arith) for j in crossing
                   if j not in chosen):
                return None
            continue
        for j in crossing:
            if j <= chosen[-1]:
                continue
            kind, section = section_cone(face, hyperplanes[j], arith)
            if kind == "zero":  # F_S ⊂ H_j with F_S meeting int P: a rank drop
                return None
            if kind == "cross":
                count += 1
                stack.append(((*chosen, j), section))  # type: ignore[arg-type]
    return count


def _vanishes(point: Cone, h: Any, arith: Arithmetic) -> bool:
    """``h`` is zero at the single generator of a zero-dimensional section."""
    vals = generator_values(point, h, arith)
    sign = EXACT.sign(vals) if arith.exact else vals.certain_signs()
    return bool(np.all(sign == 0))

"""Gluing convex cells that carry the same affine map into linear regions.

A *linear region* is a maximal connected set on which the map is affine.
Given a subdivision of the domain into convex cells, each with its affine
map, the linear regions are the connected components of the graph whose
nodes are the cells and whose edges join two cells with the same map that
are *adjacent*:

* ``"facet"`` (default): their closures share an ``(n-1)``-dimensional face,
  so a linear region is a connected open set (two squares touching only at a
  corner are two regions);
* ``"closure"``: their closures meet at all (the wording of Lezeau et al.).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx
import numpy as np

from ..arithmetic import EXACT, SMALLEST_SUBNORMAL, UNIT_ROUNDOFF, Arithmetic
from ..errors import TropnetError
from ..polyhedra import Polyhedron, closures_meet, facet_adjacent
from ..progress import tracked
from .result import Region

__all__ = ["CONNECTIVITY", "Cell", "glue", "map_key"]

CONNECTIVITY = ("facet", "closure")


@dataclass(frozen=True, eq=False)
class Cell:
    """A convex cell (already intersected with the domain) with its affine map; ``error``
    (float mode) bounds the round-off of the map (see :class:`~tropnet.Region`).

    Attributes
    ----------
    poly : Polyhedron
        The cell, intersected with the domain.
    weight : ndarray
        The Jacobian ``J`` of the affine map ``x -> J x + c`` on the cell.
    bias : ndarray
        Its offset ``c``.
    point : ndarray
        An interior point of the cell.
    error : ndarray or None, default None
        Float mode: a bound on the round-off of the map's entries; ``None`` otherwise.
    """

    poly: Polyhedron
    weight: np.ndarray
    bias: np.ndarray
    point: np.ndarray
    error: np.ndarray | None = None


def check_connectivity(connectivity: str) -> str:
    """``connectivity`` if it is ``"facet"`` or ``"closure"``, else a `TropnetError`.

    Parameters
    ----------
    connectivity : str
        The value to check.
    """
    if connectivity not in CONNECTIVITY:
        raise TropnetError(f"unknown connectivity {connectivity!r} (expected facet or closure)")
    return connectivity


def map_key(weight: np.ndarray, bias: np.ndarray, arith: Arithmetic) -> tuple:
    """A hashable key equal for equal affine maps (:meth:`Arithmetic.vector_key`).

    Parameters
    ----------
    weight : ndarray
        The Jacobian of the affine map.
    bias : ndarray
        Its offset.
    arith : Arithmetic
        The arithmetic of the map.
    """
    return arith.vector_key(np.concatenate([np.asarray(weight).reshape(-1),
                                            np.asarray(bias).reshape(-1)]))


def glue(cells: Sequence[Cell], connectivity: str, arith: Arithmetic,
         exact_cell: Callable[[int], Cell] | None = None
         ) -> tuple[tuple[Region, ...], nx.Graph]:
    """Linear regions from cells: components of the same-map adjacency graph.

    Returns the regions and the graph on cell indices whose edges were glued.
    In float mode with ``exact_cell`` (the cell ``i`` in exact arithmetic) and every
    cell's ``error``, the gluing is certified: maps that are certainly different (their
    error balls are disjoint, or fall in different cells of a grid) are never glued, and
    every group of possibly equal maps is glued on its exact cells.

    Parameters
    ----------
    cells : sequence of Cell
        The convex cells with their maps.
    connectivity : str
        Glue cells sharing a facet (``"facet"``), or cells whose closures meet
        (``"closure"``).
    arith : Arithmetic
        The arithmetic of the cells.
    exact_cell : callable or None, default None
        ``exact_cell(i)``: the cell ``i`` in exact arithmetic (float mode, for a certified
        gluing).

    Notes
    -----
    Cells are first grouped by affine map. For ``"facet"``, candidate pairs
    share a hyperplane of their H-representations with opposite orientations
    (a shared facet always lies on one), and each candidate is confirmed by
    ``dim(P ∩ Q) = n - 1``; for ``"closure"`` every pair of a group is tested
    for ``P ∩ Q ≠ ∅``.
    """
    check_connectivity(connectivity)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(cells)))
    if arith.exact or exact_cell is None or any(c.error is None for c in cells):
        groups = list(_groups(cells, arith))
        lookup = cells
    else:  # certified: glue each group of possibly equal maps on its exact cells
        groups = _possibly_equal(cells, exact_cell)
        wanted = [i for members in groups for i in members]
        exact = {i: exact_cell(i) for i in tracked(wanted, "exact cells of possibly equal maps",
                                                   "cells")}
        lookup = exact  # type: ignore[assignment]
        groups = [m for members in groups for m in _groups([exact[i] for i in members],
                                                            EXACT, members)]
    for members in tracked(groups, "gluing", "maps",
                           detail=lambda: f"{graph.number_of_edges():,} pairs glued"):
        if len(members) < 2:
            continue
        sub = [lookup[i] for i in members]
        for a, b in _candidates(sub, list(range(len(sub))), connectivity,
                                EXACT if lookup is not cells else arith):
            p, q = sub[a].poly, sub[b].poly
            if facet_adjacent(p, q) if connectivity == "facet" else closures_meet(p, q):
                graph.add_edge(members[a], members[b])
    regions = []
    for comp in sorted(nx.connected_components(graph), key=min):
        idx = sorted(comp)
        first = cells[idx[0]]
        regions.append(Region(tuple(cells[k].poly for k in idx), first.weight, first.bias,
                              first.point))
    return tuple(regions), graph


def _groups(cells: Sequence[Cell], arith: Arithmetic, names: Sequence[int] | None = None
            ) -> list[list[int]]:
    """Cells grouped by :func:`map_key` (as indices, or as ``names[i]``)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, cell in enumerate(cells):
        groups[map_key(cell.weight, cell.bias, arith)].append(i if names is None
                                                               else names[i])
    return list(groups.values())


def _possibly_equal(cells: Sequence[Cell], exact_cell: Callable[[int], Cell]
                    ) -> list[list[int]]:
    """Groups of float cells whose exact maps may be equal (all others certainly differ).

    Each map entry ``v`` (with error ``r``) is put on the grid of a power of two ``g``:
    its key is ``floor(v / g)``, certain when ``[v - r, v + r]`` stays in one grid cell,
    and computed from the exact map otherwise, so equal exact maps get equal keys. Cells
    with one key whose error balls meet are possibly equal."""
    mids = np.array([np.concatenate([np.ravel(c.weight), np.ravel(c.bias)]) for c in cells],
                    dtype=float)
    errs = np.array([c.error for c in cells], dtype=float)
    errs = errs * (1 + 2.0**-40) + 4 * UNIT_ROUNDOFF * np.abs(mids) + SMALLEST_SUBNORMAL
    top = float(np.abs(mids).max(initial=1.0))
    g = 2.0 ** (math.frexp(max(top, 1.0))[1] - 24)
    lo, hi = np.floor((mids - errs) / g), np.floor((mids + errs) / g)
    keys: dict[tuple, list[int]] = defaultdict(list)
    for i in range(len(cells)):
        if np.array_equal(lo[i], hi[i]):
            key = tuple(lo[i].astype(np.int64).tolist())
        else:
            ex = exact_cell(i)
            vals = [*np.ravel(ex.weight), *np.ravel(ex.bias)]
            key = tuple(math.floor(Fraction(v) / Fraction(g)) for v in vals)
        keys[key].append(i)
    out = []
    for members in keys.values():
        if len(members) < 2:
            continue
        sub = nx.Graph()
        sub.add_nodes_from(members)
        for k, a in enumerate(members):
            for b in members[k + 1:]:
                if np.all(np.abs(mids[a] - mids[b]) <= (errs[a] + errs[b]) * (1 + 2.0**-40)):
                    sub.add_edge(a, b)
        out += [sorted(c) for c in nx.connected_components(sub) if len(c) > 1]
    return out


def _candidates(cells: Sequence[Cell], members: list[int], connectivity: str,
                arith: Arithmetic) -> list[tuple[int, int]]:
    if connectivity == "closure":
        return [(a, b) for k, a in enumerate(members) for b in members[k + 1:]]
    sides: dict[tuple, dict[int, set[int]]] = defaultdict(lambda: {1: set(), -1: set()})
    for i in members:
        poly = cells[i].poly
        for r in range(len(poly)):
            key = arith.hyperplane_key(poly.A[r], poly.b[r])
            if key is not None:
                sides[key[0]][key[1]].add(i)
    pairs = set()
    for side in sides.values():
        for a in side[1]:
            for b in side[-1]:
                if a != b:
                    pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)

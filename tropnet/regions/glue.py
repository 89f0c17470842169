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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ..arithmetic import Arithmetic
from ..errors import TropnetError
from ..polyhedra import Polyhedron, closures_meet, facet_adjacent
from .cones import integer_row
from .result import Region

__all__ = ["CONNECTIVITY", "Cell", "glue", "map_key", "row_key"]

CONNECTIVITY = ("facet", "closure")


@dataclass(frozen=True, eq=False)
class Cell:
    """A convex cell (already intersected with the domain) with its affine map."""

    poly: Polyhedron
    weight: np.ndarray
    bias: np.ndarray
    point: np.ndarray


def check_connectivity(connectivity: str) -> str:
    if connectivity not in CONNECTIVITY:
        raise TropnetError(f"unknown connectivity {connectivity!r} (expected facet or closure)")
    return connectivity


def map_key(weight: np.ndarray, bias: np.ndarray, arith: Arithmetic) -> tuple:
    """A hashable key equal for equal affine maps (float: equal up to the tolerance grid).

    Float keys round the coefficients to a grid of ``tol * 2**e``, ``2**e`` just above the
    map's largest coefficient, and include ``e``. The values are not divided by their own
    maximum: proportional maps (such as ``4/3 x - 2/3`` and ``20/9 x - 10/9``, adjacent
    pieces of a 1-D net that vanishes at their common breakpoint) must get different keys.
    """
    vals = np.concatenate([np.asarray(weight).reshape(-1), np.asarray(bias).reshape(-1)])
    if arith.exact:
        return tuple(vals)
    f = np.asarray(vals, dtype=float)
    # the factor keeps the binade boundaries off powers of two, a frequent exact maximum
    # that round-off may put on either side
    e = math.frexp(max(1.0, float(np.abs(f).max())) * (1 + 2.0**-20))[1]
    grid = arith.tol * 2.0**e  # type: ignore[attr-defined]
    return (e, *np.round(f / grid).astype(np.int64).tolist())


def row_key(a: Any, b: Any, arith: Arithmetic) -> tuple[tuple, int] | None:
    """Key of the hyperplane ``a . x = b`` and the orientation (+1/-1) of ``a . x <= b``.

    Rows are scaled so that opposite inequalities on one hyperplane share the key.
    """
    vals = [*a, b]
    if arith.exact:
        ints = integer_row(vals)
        lead = next((v for v in ints if v != 0), 0)
        if lead == 0:
            return None
        sgn = 1 if lead > 0 else -1
        return tuple(int(v) * sgn for v in ints), sgn
    f = np.asarray(vals, dtype=float)
    scale = float(np.abs(f).max())
    if scale == 0:
        return None
    lead = f[np.flatnonzero(np.abs(f) > 1e-12 * scale)[0]]
    sgn = 1 if lead > 0 else -1
    grid = arith.tol  # type: ignore[attr-defined]
    return tuple(np.round(f * sgn / scale / grid).astype(np.int64)), sgn


def glue(cells: Sequence[Cell], connectivity: str, arith: Arithmetic
         ) -> tuple[tuple[Region, ...], nx.Graph]:
    """Linear regions from cells: components of the same-map adjacency graph.

    Returns the regions and the graph on cell indices whose edges were glued.

    Notes
    -----
    Cells are first grouped by affine map. For ``"facet"``, candidate pairs
    share a hyperplane of their H-representations with opposite orientations
    (a shared facet always lies on one), and each candidate is confirmed by
    ``dim(P ∩ Q) = n - 1``; for ``"closure"`` every pair of a group is tested
    for ``P ∩ Q ≠ ∅``.
    """
    check_connectivity(connectivity)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, cell in enumerate(cells):
        groups[map_key(cell.weight, cell.bias, arith)].append(i)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(cells)))
    for members in groups.values():
        if len(members) < 2:
            continue
        for i, j in _candidates(cells, members, connectivity, arith):
            p, q = cells[i].poly, cells[j].poly
            if facet_adjacent(p, q) if connectivity == "facet" else closures_meet(p, q):
                graph.add_edge(i, j)
    regions = []
    for comp in sorted(nx.connected_components(graph), key=min):
        idx = sorted(comp)
        first = cells[idx[0]]
        regions.append(Region(tuple(cells[k].poly for k in idx), first.weight, first.bias,
                              first.point))
    return tuple(regions), graph


def _candidates(cells: Sequence[Cell], members: list[int], connectivity: str,
                arith: Arithmetic) -> list[tuple[int, int]]:
    if connectivity == "closure":
        return [(a, b) for k, a in enumerate(members) for b in members[k + 1:]]
    sides: dict[tuple, dict[int, set[int]]] = defaultdict(lambda: {1: set(), -1: set()})
    for i in members:
        poly = cells[i].poly
        for r in range(len(poly)):
            key = row_key(poly.A[r], poly.b[r], arith)
            if key is not None:
                sides[key[0]][key[1]].add(i)
    pairs = set()
    for side in sides.values():
        for a in side[1]:
            for b in side[-1]:
                if a != b:
                    pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)

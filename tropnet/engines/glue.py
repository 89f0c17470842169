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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..arithmetic import Arithmetic
from ..errors import TropnetError
from ..polyhedra import Polyhedron, closures_meet, facet_adjacent
from .result import Region

__all__ = ["CONNECTIVITY", "Cell", "glue", "map_key"]

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
    """A hashable key equal for equal affine maps (:meth:`Arithmetic.vector_key`)."""
    return arith.vector_key(np.concatenate([np.asarray(weight).reshape(-1),
                                            np.asarray(bias).reshape(-1)]))


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

"""The adjacency graph of regions: which regions share a facet.

Two regions are adjacent when one cell of each has an ``(n-1)``-dimensional
face in common. A shared facet lies on a hyperplane of both
H-representations with opposite orientations, which gives the candidate
pairs; each is confirmed by one LP: a point of the hyperplane strictly inside
every other constraint of both cells.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np

from ..arithmetic import GEOMETRY_RTOL, Arithmetic
from ..polyhedra import Polyhedron, linprog

__all__ = ["region_graph"]


def region_graph(regions: Any) -> nx.Graph:
    """Graph on region indices with an edge between regions sharing a facet.

    ``regions`` is a :class:`~tropnet.RegionSet` (or its regions with
    an ``arith``). Cost: one LP per candidate pair (cells on opposite sides of
    a common hyperplane).
    """
    arith = regions.arith
    graph = nx.Graph()
    graph.add_nodes_from(range(len(regions.regions)))
    sides: dict[tuple, dict[int, list[tuple[int, int, int]]]] = defaultdict(
        lambda: {1: [], -1: []})
    cells = []
    for ri, reg in enumerate(regions.regions):
        for poly in reg.cells:
            ci = len(cells)
            cells.append((ri, poly))
            for r in range(len(poly)):
                key = arith.hyperplane_key(poly.A[r], poly.b[r])
                if key is not None:
                    sides[key[0]][key[1]].append((ci, r, ri))
    tested: set[tuple[int, int]] = set()
    for side in sides.values():
        for ca, ra, ria in side[1]:
            for cb, rb, rib in side[-1]:
                if ria == rib or graph.has_edge(ria, rib) or (ca, cb) in tested:
                    continue
                tested.add((ca, cb))
                if _share_facet(cells[ca][1], ra, cells[cb][1], rb):
                    graph.add_edge(ria, rib)
    return graph


def _share_facet(p: Polyhedron, rp: int, q: Polyhedron, rq: int) -> bool:
    """Is ``{a_rp x = b_rp} ∩ P ∩ Q`` of dimension ``n - 1``?"""
    arith = p.arith
    a_eq, b_eq = p.A[rp], p.b[rp]
    rows, rhs = [], []
    for poly, skip in ((p, rp), (q, rq)):
        for r in range(len(poly)):
            if r == skip or _parallel(poly.A[r], a_eq, arith):
                continue
            rows.append(poly.A[r])
            rhs.append(poly.b[r])
    n = p.n
    one, zero = arith.one, arith.zero
    A = [[*row, sum(abs(v) for v in row)] for row in rows] + [[zero] * n + [one]]
    b = [*rhs, one]
    res = linprog([zero] * n + [one], np.array(A, dtype=p.A.dtype), np.array(b, dtype=p.b.dtype),
                  arith, A_eq=np.array([[*a_eq, zero]], dtype=p.A.dtype),
                  b_eq=np.array([b_eq], dtype=p.b.dtype), maximize=True)
    if res.status == "unbounded":
        return True
    if not res.optimal:
        return False
    scale = max(1.0, float(np.max(np.abs(np.asarray(b, dtype=float)))))
    return bool(arith.sign(np.array([res.value], dtype=p.b.dtype), scale)[0] > 0)


def _parallel(a: np.ndarray, b: np.ndarray, arith: Arithmetic) -> bool:
    """Rows on parallel hyperplanes (the facet's own hyperplane, either orientation)."""
    m = np.array([list(a), list(b)], dtype=a.dtype)
    if arith.exact:
        return all(a[i] * b[j] == a[j] * b[i] for i in range(len(a)) for j in range(i + 1,
                                                                                    len(a)))
    return bool(np.linalg.matrix_rank(np.asarray(m, dtype=float), tol=GEOMETRY_RTOL * max(
        1.0, float(np.abs(np.asarray(m, dtype=float)).max()))) < 2)

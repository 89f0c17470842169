"""Linear regions of tropical rational maps (Lezeau et al., Algorithm 4).

For ``f ⊘ g`` with cells ``P_i`` (monomials of ``f``) and ``Q_k`` (of ``g``),
the map is ``x -> (a_i - b_k) . x + (c_i - d_k)`` on ``P_i ∩ Q_k``; the linear
regions are the connected components of the full-dimensional intersections
with equal maps (:mod:`tropnet.engines.glue`). For a vector map every
numerator and denominator is intersected at once.

**Algorithm: a walk over the common refinement.** Its cells are visited by a
breadth-first search across their facets, so the work is proportional to the
cells found, never to the ``|P| x |Q|`` pairs (the old route formed every pair and
pruned the product on one convex hull: 134,664 pairs for the 689 cells of a trained
2-[16,16]-1 net, and cells carrying all 789 monomial differences).

* *Cells of a factor.* ``P_i`` is cut out by the rows toward its neighbours in the
  regular subdivision dual to the factor (the edges of the upper hull of its lifted
  monomials). :class:`tropnet.tropical.prune.Subdivision` takes them from the float
  hull of pruning and certifies exactly that every other row is implied.
* *A cell of the refinement*, ``C = P_{i_1} ∩ ... ∩ P_{i_K} ∩ D`` (``D`` the domain),
  is cut out by the union of those rows and the domain's; its facets are found and
  certified by :func:`tropnet.tropical.prune.cell_facets` (float double description,
  exact integer certificates, exact double description where they fail), which also
  gives an exact interior point. The cell keeps only its facet rows (one per
  hyperplane).
* *Neighbours.* Crossing the facet of ``C`` on hyperplane ``H`` at a point of its
  relative interior changes the monomial of exactly the factors with a row of ``C`` on
  ``H`` (to the monomial on the other side of that row) and no other: a factor cell
  without such a row contains the facet's relative interior in its interior. A facet
  on the domain's boundary has no neighbour. The cells of a subdivision of a convex
  domain are connected through facets, so the walk from the cell of one interior
  point reaches every cell. The starting cell takes, in each factor, the monomial that
  is largest at the domain's interior point ``x0`` with ties broken by the exponents in
  lexicographic order (the largest at ``x0 + (t, t^2, ..., t^n)`` for small ``t > 0``).

Every decision is exact: the walk runs on the exact rationals of the input (float
maps are read as the rationals the floats denote), and float computations only
propose what is then certified. The walk also yields the facet graph of the cells
(:func:`refinement_cells`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..arithmetic import EXACT, Arithmetic
from ..domain import Domain
from ..errors import ExpressionError
from ..limits import check_size
from ..network import Network
from ..polyhedra import Polyhedron
from ..progress import step
from ..tropical.polynomial import TropicalPolynomial
from ..tropical.prune import Subdivision, cell_facets, primitive
from ..tropical.rational import TropicalRational
from .glue import Cell

__all__ = ["ROWS", "Refinement", "as_maps", "common_refinement", "input_dim",
           "refinement_cells", "tropical_cells"]

#: cells of the walk whose factor rows are computed together
_AHEAD = 64

#: the rows of a tropical cell: its facets only, or every monomial difference (the matrices
#: of Lezeau et al., equation (6))
ROWS = ("facets", "all")


def as_maps(obj: Any) -> list[TropicalRational]:
    """A list of tropical rational maps from a map, a polynomial or a sequence of them.

    Parameters
    ----------
    obj : tropical map(s)
        A map, a polynomial, or a sequence of them (same variables and arithmetic).
    """
    if isinstance(obj, TropicalPolynomial):
        return [TropicalRational.from_polynomial(obj)]
    if isinstance(obj, TropicalRational):
        return [obj]
    if isinstance(obj, Sequence) and obj and all(
            isinstance(o, (TropicalRational, TropicalPolynomial)) for o in obj):
        maps = [m for o in obj for m in as_maps(o)]
        if len({m.nvars for m in maps}) != 1 or len({m.arith.exact for m in maps}) != 1:
            raise ExpressionError("all maps must share the number of variables and arithmetic")
        return maps
    raise ExpressionError(f"cannot compute regions of {type(obj).__name__}")


def input_dim(obj: Any) -> int:
    """The number of inputs of a network, or of tropical map(s) (see :func:`as_maps`).

    Parameters
    ----------
    obj : Network, TropicalRational, ...
        A network, or tropical map(s) accepted by `as_maps`.
    """
    return obj.input_dim if isinstance(obj, Network) else as_maps(obj)[0].nvars


class Refinement(NamedTuple):
    """The cells of a common refinement: ``labels[r, t]`` is the monomial of factor ``t``
    whose cell contains cell ``r``; ``cells[r]`` the cell (exact, one row per facet);
    ``points[r]`` an exact interior point; ``edges`` the pairs of cells sharing a facet."""

    labels: np.ndarray
    cells: list[Polyhedron]
    points: list[np.ndarray]
    edges: list[tuple[int, int]]


def common_refinement(factors: Sequence[TropicalPolynomial], region: Polyhedron | None = None
                      ) -> Refinement:
    """The full-dimensional intersections of one cell of each factor (and of ``region``;
    ``None``: all of ``R^n``), found by a walk across their facets (module docstring).

    Factors must be pruned (every monomial irredundant); they are read exactly.

    Parameters
    ----------
    factors : sequence of TropicalPolynomial
        Pruned polynomials in the same variables.
    region : Polyhedron or None, default None
        The region to refine; ``None`` is ``R^n``.

    Examples
    --------
    >>> f = TropicalPolynomial.from_monomials([[0, 0], [1, 0], [0, 1]], [0, 0, 0])
    >>> g = TropicalPolynomial.from_monomials([[0, 0], [1, 0]], [0, -1])  # max(0, x - 1)
    >>> ref = common_refinement([f, g])       # x = 1 cuts the x and y cells of f in two
    >>> len(ref.cells), len(ref.edges)
    (5, 6)
    """
    n = factors[0].nvars
    exps = [EXACT.array(f.exponents) for f in factors]
    coefs = [EXACT.array(f.coefficients) for f in factors]
    subs = [Subdivision(e, c) for e, c in zip(exps, coefs, strict=True)]
    if region is not None:
        region = Polyhedron(EXACT.array(region.A).reshape(-1, n), EXACT.array(region.b), EXACT)
    bound = _domain_rows(region, n)
    if bound is None:
        return Refinement(np.zeros((0, len(factors)), dtype=int), [], [], [])
    walls, x0 = bound
    start = tuple(_top(e, c, x0) for e, c in zip(exps, coefs, strict=True))
    index = {start: 0}
    order: list[tuple[int, ...]] = [start]
    cells: list[Polyhedron] = []
    points: list[np.ndarray] = []
    edges: list[tuple[int, int]] = []
    while len(cells) < len(order):
        q = len(cells)
        if q % 32 == 0:
            step("refining cells", q, None, "cells", f"{len(order) - q:,} waiting")
        lab = order[q]
        if any(i not in sub.known for sub, i in zip(subs, lab, strict=True)):
            ahead = order[q:q + _AHEAD]  # the rows the next cells of the walk need, at once
            for t, sub in enumerate(subs):
                sub.prepare([la[t] for la in ahead])
        rows: dict[tuple, list] = {}  # primitive row -> where it comes from
        for t, i in enumerate(lab):
            for j in subs[t].rows(i).tolist():
                rows.setdefault(subs[t].row(i, j), []).append((t, j))
        for key, w in walls:
            rows.setdefault(key, []).append(w)
        keys = list(rows)
        found = cell_facets(keys) if keys else (np.zeros(0, dtype=bool), x0)
        if found is None:
            raise RuntimeError("internal error: a cell of the common refinement has no "
                               "interior")
        mask, point = found
        kept = [k for k, f in zip(keys, mask, strict=True) if f]
        A, b = [], []
        for k in kept:  # the row as given: a monomial difference, or the domain's
            src = rows[k][0]
            if isinstance(src, tuple):
                t, j = src
                A.append(exps[t][j] - exps[t][lab[t]])
                b.append(coefs[t][lab[t]] - coefs[t][j])
            else:
                A.append(region.A[src])
                b.append(region.b[src])
        cells.append(Polyhedron(np.array(A, dtype=object).reshape(len(kept), n),
                                np.array(b, dtype=object), EXACT))
        points.append(point)
        for k in kept:
            moves = rows[k]
            if not all(isinstance(mv, tuple) for mv in moves):  # on the domain's boundary
                continue
            nxt = list(lab)
            for t, j in moves:
                nxt[t] = j
            other = index.setdefault(tuple(nxt), len(order))
            if other == len(order):
                order.append(tuple(nxt))
                check_size(len(order), "the cells of the common refinement",
                           "use method='enumerate' for networks")
            if other > q:
                edges.append((q, other))
    return Refinement(np.array(order, dtype=int).reshape(-1, len(factors)), cells, points,
                      edges)


def _domain_rows(region: Polyhedron | None, n: int) -> tuple[list[tuple], np.ndarray] | None:
    """The region's non-zero rows ``(primitive row, index)`` and an interior point (exact);
    ``None`` when its interior is empty."""
    if region is None or len(region) == 0:
        return [], EXACT.zeros(n)
    inner = region.interior_point()
    if inner is None:
        return None
    walls = [(primitive([*a, b]), r) for r, (a, b) in enumerate(zip(region.A, region.b,
                                                                   strict=True))
             if any(v != 0 for v in a)]
    return walls, EXACT.array(inner[0])


def _top(e: np.ndarray, c: np.ndarray, x: np.ndarray) -> int:
    """The monomial largest at ``x + (t, t^2, ..., t^n)`` for all small ``t > 0``: the
    largest value at ``x``, ties broken by the exponents in lexicographic order."""
    vals = c + e.dot(x)
    top = max(vals)
    return max((i for i, v in enumerate(vals) if v == top), key=lambda i: tuple(e[i]))


def refinement_cells(maps: Sequence[TropicalRational], region: Polyhedron | None,
                     arith: Arithmetic, rows: str = "facets", pruned: bool = False
                     ) -> tuple[list[Cell], list[tuple[int, int]]]:
    """:func:`tropical_cells` and the pairs of cells sharing a facet.

    Parameters
    ----------
    maps : sequence of TropicalRational
        The maps.
    region : Polyhedron or None
        The region; ``None`` is ``R^n``.
    arith : Arithmetic
        The arithmetic of the cells.
    rows : {"facets", "all"}, default "facets"
        The rows each cell keeps (see `tropical_cells`).
    pruned : bool, default False
        The maps' monomials are known to be irredundant.
    """
    if rows not in ROWS:
        raise ExpressionError(f"unknown rows {rows!r} (expected facets or all)")
    factors = []
    for r in maps:  # walked exactly as given (floats are the rationals they denote)
        for f in (r.numerator, r.denominator):
            factors.append(f if pruned else f.prune())
    ref = common_refinement(factors, region)
    cache: dict[tuple[int, int], tuple] = {}
    cells = []
    for lab, poly, x in zip(ref.labels, ref.cells, ref.points, strict=True):
        if rows == "all":
            poly = _label_cell(factors, lab, arith, cache)
            if region is not None and len(region):
                poly = poly.intersect(region)
        elif not arith.exact:
            poly = Polyhedron(arith.array(poly.A).reshape(-1, poly.n), arith.array(poly.b),
                              arith)
        weight = np.array([factors[2 * k].exponents[lab[2 * k]]
                           - factors[2 * k + 1].exponents[lab[2 * k + 1]]
                           for k in range(len(maps))])
        bias = np.array([factors[2 * k].coefficients[lab[2 * k]]
                         - factors[2 * k + 1].coefficients[lab[2 * k + 1]]
                         for k in range(len(maps))])
        cells.append(Cell(poly, arith.array(weight), arith.array(bias),
                          arith.array(x)))
    return cells, ref.edges


def tropical_cells(maps: Sequence[TropicalRational], region: Polyhedron | None,
                   arith: Arithmetic, rows: str = "facets", pruned: bool = False
                   ) -> list[Cell]:
    """The cells of the common refinement of all numerators and denominators, intersected
    with ``region`` (``None``: all of ``R^n``), each with the vector map's affine map.

    ``rows="facets"`` (default): each cell keeps one row per facet (domain rows
    included); ``"all"``: every monomial difference of its factors' cells, and every row
    of ``region`` (the matrices of Lezeau et al., equation (6)). The maps are read exactly
    (floats as the rationals they denote); the cells are given in ``arith``. ``pruned``: the
    maps' monomials are known to be irredundant (as :func:`compile_network` gives them).

    Parameters
    ----------
    maps : sequence of TropicalRational
        The maps.
    region : Polyhedron or None
        The region; ``None`` is ``R^n``.
    arith : Arithmetic
        The arithmetic of the cells.
    rows : {"facets", "all"}, default "facets"
        The rows each cell keeps (above).
    pruned : bool, default False
        The maps' monomials are known to be irredundant.
    """
    return refinement_cells(maps, region, arith, rows, pruned)[0]


def _monomial_rows(f: TropicalPolynomial, i: int) -> tuple[np.ndarray, np.ndarray]:
    """The cell of monomial ``i``: ``(a_l - a_i) . x <= c_i - c_l`` for ``l != i``."""
    others = np.array([l for l in range(len(f)) if l != i], dtype=int)
    return f.exponents[others] - f.exponents[i], f.coefficients[i] - f.coefficients[others]


def _label_cell(factors: Sequence[TropicalPolynomial], label: np.ndarray, arith: Arithmetic,
                cache: dict) -> Polyhedron:
    parts_a, parts_b = [], []
    for j, i in enumerate(label):
        key = (j, int(i))
        if key not in cache:
            cache[key] = _monomial_rows(factors[j], int(i))
        a, b = cache[key]
        parts_a.append(a)
        parts_b.append(b)
    n = factors[0].nvars
    A = np.concatenate(parts_a) if parts_a else arith.zeros((0, n))
    return Polyhedron(arith.array(A).reshape(-1, n), arith.array(np.concatenate(parts_b)),
                      arith)


def domain_region(domain: Domain, arith: Arithmetic) -> Polyhedron | None:
    """The domain as a polyhedron, ``None`` for ``R^n``."""
    return None if domain.kind == "rn" else domain.polyhedron(arith)

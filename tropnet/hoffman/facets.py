"""The facet rows of a full-dimensional polyhedron, exactly, without one LP per row.

The effective radius bounds the distance to a cell with the Hoffman constant of the
cell's irredundant rows (:mod:`tropnet.hoffman.radius`). A cell of a trained network
has hundreds of rows and a handful of facets; :meth:`tropnet.polyhedra.Polyhedron.minimize`
spends one LP per row. Here:

1. *Proposal* (float). With an interior point ``x0`` and slacks ``s_j = b_j - a_j . x0 > 0``,
   ``P - x0 = {y : (a_j / s_j) . y <= 1}``, so row ``j`` is irredundant iff ``a_j / s_j`` is
   a vertex of ``conv({0} ∪ {a_i / s_i})`` (polarity). qhull proposes the vertices; points
   within a relative ``1e-7`` of a hull facet are kept too.
2. *Certificate* (exact). cdd's exact (gmp) double description of the proposed rows ``S``
   gives the vertices, rays and lines of ``{A_S x <= b_S}``; every other row is checked on
   them (in ball arithmetic, exactly where a ball cannot decide). A row that cuts the
   proposed polyhedron is added to ``S`` and the step repeated, so the result never
   misses a facet, whatever qhull proposed.
3. *Facets*: the rows of ``S`` whose tight generators (with the lines) span a face of
   dimension ``n - 1``, one row per facet.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import cdd
import cdd.gmp
import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..arithmetic import Ball
from ..polyhedra import Polyhedron
from .support import Rows

__all__ = ["facet_indices", "facet_rows"]

#: relative distance to a proposed hull facet under which a polar point is kept as well
HULL_RTOL = 1e-7


def facet_rows(P: Polyhedron, point: Any = None) -> Polyhedron:
    """The polyhedron ``P`` (full-dimensional) given by its facet rows only, one row per
    facet, in the order of ``P``'s rows; ``point`` is an interior point (found by an LP
    when not given).

    Parameters
    ----------
    P : Polyhedron
        A full-dimensional polyhedron.
    point : array_like or None, default None
        An interior point of ``P``; ``None`` finds one by an LP.

    Examples
    --------
    >>> from tropnet.arithmetic import EXACT
    >>> sq = Polyhedron.from_inequalities([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 1]],
    ...                                   [1, 1, 0, 0, 5], EXACT)
    >>> [[int(v) for v in row] for row in facet_rows(sq).A]   # x + y <= 5 is redundant
    [[1, 0], [0, 1], [-1, 0], [0, -1]]
    """
    if len(P) <= 1:
        return P
    if point is None:
        found = P.interior_point()
        point = None if found is None else found[0]
    keep = facet_indices(Rows.of(P.A, P.b), point)
    return Polyhedron(P.A[keep], P.b[keep], P.arith)


def facet_indices(rows: Rows, point: Any = None) -> list[int]:
    """The indices of the facet rows (one per facet, increasing) of the full-dimensional
    polyhedron ``{x : A x <= b}`` of ``rows`` (with a right-hand side); ``point``: an
    interior point, or None (then every row is proposed).

    Parameters
    ----------
    rows : Rows
        The rows ``A x <= b``, with their right-hand sides.
    point : array_like or None, default None
        An interior point; ``None`` proposes every row.
    """
    n = rows.shape[1]
    chosen = set(_propose(rows, point))
    while True:
        S = sorted(chosen)
        gens, lines, tight = _generators(rows, S)
        cut = _cutting(rows, gens, lines, chosen)
        if not cut:
            break
        chosen |= cut
    keep: list[int] = []
    faces: set[frozenset] = set()
    for i in S:
        if not any(rows.exact(i)):
            continue
        on = frozenset(g for g, t in enumerate(tight) if i in t)
        if on in faces or not _is_facet(gens, lines, on, n):
            continue
        faces.add(on)
        keep.append(i)
    return keep


# -- implementation --------------------------------------------------------------------

def _propose(rows: Rows, point: Any) -> list[int]:
    """Row indices that are probably the facets (all rows when qhull cannot say)."""
    m, n = rows.shape
    every = list(range(m))
    if m <= 2 * n + 2 or point is None:
        return every
    A, b = rows.ball.mid, rows.rhs.mid
    x0 = np.asarray([float(v) for v in np.asarray(point).reshape(-1)])
    slack = b - A @ x0
    scale = np.abs(A).sum(axis=1) * max(1.0, float(np.abs(x0).max())) + np.abs(b)
    ok = slack > 1e-9 * scale
    if ok.sum() <= n + 1:
        return every
    polar = A[ok] / slack[ok, None]
    try:
        hull = ConvexHull(np.vstack([np.zeros(n), polar]))
    except (QhullError, ValueError):
        return every
    eq = hull.equations  # normal . p + offset <= 0 inside
    size = max(1.0, float(np.abs(polar).max()))
    dist = (polar @ eq[:, :n].T + eq[:, n]).max(axis=1)
    near = dist >= -HULL_RTOL * size
    return sorted(set(np.flatnonzero(ok)[near].tolist()) | set(np.flatnonzero(~ok).tolist()))


def _generators(rows: Rows, S: list[int]) -> tuple[list, list, list[set]]:
    """Exact vertices (``(1, x)``) and rays (``(0, r)``) of ``{A_S x <= b_S}``, its lines,
    and for every generator the set of rows (indices into ``A``) tight there."""
    data = [[rows.exact_rhs(i), *(-v for v in rows.exact(i))] for i in S]
    mat = cdd.gmp.matrix_from_array(data, rep_type=cdd.RepType.INEQUALITY)
    poly = cdd.gmp.polyhedron_from_matrix(mat)
    gen = cdd.gmp.copy_generators(poly)
    inc = cdd.gmp.copy_incidence(poly)
    gens, lines, tight = [], [], []
    for g, (row, on) in enumerate(zip(gen.array, inc, strict=True)):
        vec = [Fraction(v) for v in row]
        if g in gen.lin_set:
            lines.append(vec[1:])
        else:
            gens.append(vec)
            tight.append({S[i] for i in on if i < len(S)})
    if not any(g[0] for g in gens):  # a cone (every b_S = 0): cdd leaves the apex out
        gens.append([Fraction(1)] + [Fraction(0)] * rows.shape[1])
        tight.append({i for i in S if data[S.index(i)][0] == 0})
    return gens, lines, tight


def _cutting(rows: Rows, gens: list, lines: list, chosen: set[int]) -> set[int]:
    """Rows outside ``chosen`` violated by a generator: ``a . x > b`` at a vertex,
    ``a . r > 0`` on a ray, ``a . l != 0`` on a line."""
    rest = np.array(sorted(set(range(rows.shape[0])) - chosen), dtype=int)
    cols = list(gens) + [[Fraction(0), *ln] for ln in lines] + \
        [[Fraction(0), *(-v for v in ln)] for ln in lines]
    if not len(rest) or not cols:
        return set()
    G = Ball.of(np.array(cols, dtype=object).T)  # (n + 1) x generators
    A, b = rows.ball[rest], rows.rhs[rest]
    hom = Ball(np.column_stack([-b.mid, A.mid]), np.column_stack([b.rad, A.rad]))
    val = hom @ G  # a . x - b t: must be <= 0
    cut = set()
    for r, c in zip(*np.nonzero(~(val.mid + val.rad <= 0)), strict=True):
        i = int(rest[r])
        if i in cut:
            continue
        g = cols[c]
        a = rows.exact(i)
        if sum((x * y for x, y in zip(a, g[1:], strict=True)), Fraction(0)) \
                - rows.exact_rhs(i) * g[0] > 0:
            cut.add(i)
    return cut


def _is_facet(gens: list, lines: list, on: frozenset, n: int) -> bool:
    """Do the generators ``on`` (homogeneous) and the lines span dimension ``n``?"""
    if len(on) + len(lines) < n:
        return False
    vecs = [gens[g] for g in on] + [[Fraction(0), *ln] for ln in lines]
    return _rank(vecs) >= n


def _rank(vecs: list[list[Fraction]]) -> int:
    """The rank of a few rational vectors (Gaussian elimination on Fractions)."""
    rows = [list(v) for v in vecs]
    rank, col = 0, 0
    width = len(rows[0]) if rows else 0
    while rank < len(rows) and col < width:
        piv = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for i in range(rank + 1, len(rows)):
            f = rows[i][col] / rows[rank][col]
            if f:
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
        col += 1
    return rank

"""The adjacency graph of regions: which regions' closures share a facet.

Two regions are *adjacent* when a cell of one and a cell of the other meet in an
``(n-1)``-dimensional set. Such a set lies on a hyperplane ``H`` that bounds both cells,
so each cell has a row that is a positive multiple of ``a . x <= b`` or of ``-a . x <= -b``,
and the pair is adjacent across ``H`` iff the two *facets* ``F = cell ∩ H`` overlap in an
``(n-1)``-dimensional set, i.e. some point of ``H`` satisfies every other row of both
cells strictly (rows identical to ``H`` up to a factor hold with equality on ``H`` and
are left out). On exact cells every decision below is exact: rows are grouped into
hyperplanes by exact proportionality, and each sign is decided in float only when a
rigorous error bound (:class:`~tropnet.arithmetic.Ball`, outward-rounded quotients)
makes it certain, else on the exact rationals (``Fraction(float)`` is exact).

Why not one LP per candidate pair (the old method): a hyperplane crossing many regions
makes ``O(k^2)`` candidates, almost all far apart (529 regions of a trained 2-[16,16]-1
net gave 284,261 candidates for 1,021 edges; 267 s of LPs). Instead each facet is
described once, in the coordinates of ``H`` (one coordinate of ``x`` eliminated):

* ``n <= 2``: a facet is an interval of a line (a point for ``n = 1``) whose ends are the
  points where other hyperplanes cross ``H``; such a point depends only on the pair of
  hyperplanes, so all points are computed once, vectorised, as certified float
  enclosures, and ranked along ``H`` (ties, as at a bent hyperplane meeting ``H``, are
  ordered exactly). Two facets overlap iff ``max(lo) < min(hi)`` in ranks: no LP at all.
* ``n >= 3``: each cell's exact V-representation (cdd's gmp double description) gives its
  facets' vertices and rays. Pairs on one hyperplane are then decided by equal facets
  (the generic case: adjacent iff of dimension ``n - 1``), disjoint bounding boxes (most
  pairs), a second hyperplane with the cells on opposite sides (they meet in codimension
  2), one facet inside the other cell (adjacent), or a row of one cell with the other
  facet on its far side (not adjacent); one exact LP decides what remains (none on the
  benchmark nets).

Redundant rows: a row whose hyperplane meets its cell in less than a facet only costs
work, but pairing costs ``sum(rows^2)`` per cell (``n <= 2``) and every row of a
hyperplane joins its pairing, so a cell with more than :data:`MANY_ROWS` rows is first
cut down to one row per facet (:func:`tropnet.tropical.prune.facets`: float double
description, exact integer certificates) and the work stays linear in the rows. Cells of
the region engines are small (the tropical cells keep their facets only).

Float results: the cells of a float region set are roundings of the exact regions of the
float network. Where a hyperplane bends at ``H`` (a unit of a deeper layer), its two pieces
meet ``H`` at one point exactly, but their rounded rows do not: read exactly, float cells
across ``H`` overlap in slivers about ``1e-16`` wide (275 such pairs besides the 1,021
edges of the trained net above). The graph of the network's regions is therefore decided
on their exact cells (``exact_cells``: :func:`cells_by_pattern` takes them from the exact
activation regions of the same float weights), and is then exact. Without them, points
(``n <= 2``) or facets (``n >= 3``: an LP optimum in the near-degeneracy band) of float cells
that differ only within round-off are taken to meet, as the exact regions do: a tolerance,
reported with a :class:`~tropnet.errors.NearDegeneracyWarning`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cdd
import cdd.gmp
import networkx as nx
import numpy as np

from ..arithmetic import EXACT, FLOAT, UNSURE, Ball, warn_near_degenerate
from ..errors import TropnetError
from ..polyhedra import Polyhedron, linprog
from ..tropical.prune import facets, primitive

__all__ = ["MANY_ROWS", "cells_by_pattern", "region_graph"]

#: a cell with more rows is first cut down to one row per facet, so that the pairs of rows
#: of one cell (``n <= 2``) and the facets on one hyperplane stay few
MANY_ROWS = 32


def region_graph(regions: Any, exact_cells: Sequence[Sequence[Polyhedron]] | None = None
                 ) -> nx.Graph:
    """Graph on region indices with an edge between regions whose closures share a facet.

    Two regions are adjacent when a cell of one and a cell of the other meet in an
    ``(n-1)``-dimensional set (cells of one region are never joined to each other).

    Parameters
    ----------
    regions : RegionSet
        Anything with ``regions``, each with ``cells``.
    exact_cells : sequence or None, default None
        The cells of every region in exact arithmetic, in the order of ``regions`` (float
        results: see `cells_by_pattern`); the graph is then decided exactly on them.
        ``None``: the regions' own cells. Exact cells give an exact graph. Float cells
        are roundings of the regions: where two points (``n <= 2``) or facets (``n >= 3``,
        by an LP optimum in the near-degeneracy band) differ only within round-off, they
        are taken to meet as the exact regions do, with a `NearDegeneracyWarning`.

    Returns
    -------
    networkx.Graph
        Nodes ``0 .. len(regions) - 1``, an edge per pair of adjacent regions.

    Examples
    --------
    >>> from tropnet import linear_regions, parse
    >>> rs = linear_regions(parse("max(0, x) + max(0, y)"))   # the four quadrants
    >>> g = region_graph(rs)
    >>> g.number_of_edges(), sorted(d for _, d in g.degree())   # a 4-cycle
    (4, [2, 2, 2, 2])

    Notes
    -----
    Candidate pairs share a hyperplane with opposite orientations. For ``n <= 2`` each
    facet is an interval of ranked points (vectorised, certified float with exact ties):
    about ``sum(rows^2)`` float operations over the cells and no LP. For ``n >= 3``: one
    exact double description per cell, then per pair a comparison of facets, their
    bounding boxes or a containment check, and an exact LP only for the pairs these do
    not decide. See the module docstring.
    """
    source = [r.cells for r in regions.regions] if exact_cells is None else exact_cells
    if len(source) != len(regions.regions):
        raise TropnetError(f"{len(source)} regions of exact cells for "
                           f"{len(regions.regions)} regions")
    cells = [_facet_rows(poly) if len(poly) > MANY_ROWS else poly for cs in source
             for poly in cs]
    owner = np.array([ri for ri, cs in enumerate(source) for _ in cs], dtype=np.int64)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(regions.regions)))
    if not cells:
        return graph
    n = cells[0].n
    rows = _hyperplanes(cells, n)
    pairs, near = (_interval_pairs if n <= 2 else _vertex_pairs)(rows, owner)
    graph.add_edges_from((int(owner[p]), int(owner[q])) for p, q in pairs)
    if near:
        warn_near_degenerate(
            f"region graph of float cells: {near} contacts of neighbouring cells were within "
            f"the round-off of their rows and were taken to meet as the exact regions do "
            f"where a bent hyperplane crosses another (a tolerance, not a certified "
            f"decision); pass the exact cells (exact_cells) for an exact graph")
    return graph


def _facet_rows(poly: Polyhedron) -> Polyhedron:
    """The cell with one row per facet (exact, :func:`tropnet.tropical.prune.facets`); the
    cell itself when its interior is empty."""
    found = facets(poly.A, poly.b)
    if found is None:
        return poly
    return Polyhedron(poly.A[found[0]], poly.b[found[0]], poly.arith)


def cells_by_pattern(regions: Any, exact: Any) -> list[tuple[Polyhedron, ...]]:
    """The cells of ``exact`` -- the same activation regions computed in exact arithmetic
    (on the exact rationals of the float weights and domain) -- in the order of
    ``regions``, matched by activation pattern: the ``exact_cells`` of
    :func:`region_graph` for a float result.

    Parameters
    ----------
    regions : RegionSet
        Activation regions (float mode).
    exact : RegionSet
        The same activation regions computed in exact arithmetic.
    """
    by = {r.pattern: r.cells for r in exact.regions}
    out = []
    for r in regions.regions:
        if r.pattern is None or r.pattern not in by:
            raise TropnetError("the exact regions do not have the patterns of the regions "
                               "(cells_by_pattern needs activation regions of one network "
                               "on one domain)")
        out.append(by[r.pattern])
    return out


# -- hyperplanes of the rows ----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Rows:
    """Every non-zero row ``M[i] = (a, b)`` of every cell, as ``side[i]`` times a positive
    multiple of ``rep[hid[i]]``, one exact row per hyperplane with a positive pivot
    ``rep[h, piv[h]]`` (its first non-zero entry of ``a``). Entries are float64 when the
    cells are float (each float is the rational it denotes), Fractions otherwise.
    ``local`` is the row's index in its cell; ``empty`` marks cells with a row
    ``0 <= b < 0``."""

    M: np.ndarray
    cell: np.ndarray
    local: np.ndarray
    hid: np.ndarray
    side: np.ndarray
    rep: np.ndarray
    piv: np.ndarray
    empty: np.ndarray
    exact: bool

    def exact_rep(self, h: int) -> list[Fraction]:
        return [Fraction(v) for v in self.rep[h]]


def _hyperplanes(cells: Sequence[Polyhedron], n: int) -> _Rows:
    """Group the rows of all cells into hyperplanes, exactly."""
    exact = any(c.A.dtype == object for c in cells)
    dtype = object if exact else float
    counts = [len(c) for c in cells]
    M = np.zeros((0, n + 1), dtype=dtype)
    if sum(counts):
        M = np.concatenate([np.column_stack([np.asarray(c.A, dtype=dtype).reshape(-1, n),
                                             np.asarray(c.b, dtype=dtype)])
                            for c in cells if len(c)])
    cell = np.repeat(np.arange(len(cells)), counts)
    local = np.concatenate([np.arange(k) for k in counts]) if len(M) else cell
    nz = np.asarray(M[:, :n] != 0, dtype=bool).reshape(-1, n)
    zero = ~nz.any(axis=1)
    empty = np.zeros(len(cells), dtype=bool)
    empty[cell[zero & np.asarray(M[:, n] < 0, dtype=bool)]] = True
    keep = ~zero & ~empty[cell]
    M, cell, local, nz = M[keep], cell[keep], local[keep], nz[keep]
    piv = np.argmax(nz, axis=1)
    hid, side, first = (_exact_ids if exact else _float_ids)(M, piv)
    rep = M[first] * side[first][:, None]  # a positive pivot (negation is exact)
    return _Rows(M, cell, local, hid, side, rep, piv[first], empty, exact)


def _exact_ids(M: np.ndarray, piv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hyperplane ids of exact rows (the key is the primitive integer multiple of the row
    with a positive pivot), the orientations and the first row of each id."""
    ids: dict[tuple, int] = {}
    hid = np.empty(len(M), dtype=np.int64)
    side = np.empty(len(M), dtype=np.int64)
    for i, (row, k) in enumerate(zip(M.tolist(), piv.tolist(), strict=True)):
        ints = primitive(row)
        side[i] = 1 if ints[k] > 0 else -1
        hid[i] = ids.setdefault(tuple(v * int(side[i]) for v in ints), len(ids))
    return hid, side, np.unique(hid, return_index=True)[1].astype(np.int64)


def _float_ids(M: np.ndarray, piv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hyperplane ids of float rows, as :func:`_exact_ids`.

    The row divided by its pivot, correctly rounded, is the same for rows that are exactly
    proportional (the same real ratios), so every hyperplane falls in one group. Each row
    of a group is then checked to be an exact multiple of the group's first row (by a
    power-of-two factor in float, else with Fractions); rows that are not get new ids."""
    N = len(M)
    p = M[np.arange(N), piv]
    side = np.where(p > 0, 1, -1).astype(np.int64)
    norm = np.ascontiguousarray(M / p[:, None] + 0.0)  # + 0.0: no negative zeros
    keys = norm.view(np.dtype((np.void, norm.dtype.itemsize * M.shape[1]))).reshape(-1)
    _, first, hid = np.unique(keys, return_index=True, return_inverse=True)
    hid = hid.reshape(-1).astype(np.int64)
    base = M[first[hid]]
    s = p / base[np.arange(N), piv]
    scaled = base * s[:, None]
    ok = (np.abs(np.frexp(s)[0]) == 0.5) & np.all(scaled == M, axis=1) & np.all(
        (base == 0) | (np.abs(scaled) >= np.finfo(float).tiny), axis=1)
    extra: dict[tuple, int] = {}
    more: list[int] = []
    for i in np.flatnonzero(~ok):
        row, r, k = [Fraction(v) for v in M[i]], [Fraction(v) for v in base[i]], piv[i]
        if all(row[j] * r[k] == r[j] * row[k] for j in range(len(row))):
            continue
        key = tuple(v / row[k] for v in row)
        if key not in extra:
            extra[key] = len(first) + len(extra)
            more.append(int(i))
        hid[i] = extra[key]
    return hid, side, np.r_[first, np.array(more, dtype=np.int64)].astype(np.int64)


def _two_sided(rows: _Rows) -> np.ndarray:
    """Per hyperplane: rows of both orientations exist (a facet could be shared)."""
    H = len(rows.rep)
    plus = np.zeros(H, dtype=bool)
    minus = np.zeros(H, dtype=bool)
    plus[rows.hid[rows.side > 0]] = True
    minus[rows.hid[rows.side < 0]] = True
    return plus & minus


def _facets(rows: _Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The facet index of every row (one facet per cell, hyperplane and side) and each
    facet's cell, hyperplane and side."""
    H = len(rows.rep)
    key = (rows.cell * H + rows.hid) * 2 + (rows.side > 0)
    uk, facet = np.unique(key, return_inverse=True)
    return facet.reshape(-1), uk // (2 * H), (uk // 2) % H, np.where(uk % 2 == 1, 1, -1)


def _facet_pairs(fh: np.ndarray, fside: np.ndarray, alive: np.ndarray
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per hyperplane: the live facets on its positive and its negative side."""
    idx = np.flatnonzero(alive)
    order = idx[np.argsort(fh[idx], kind="stable")]
    out = []
    for seg in np.split(order, np.flatnonzero(np.diff(fh[order])) + 1):
        plus, minus = seg[fside[seg] > 0], seg[fside[seg] < 0]
        if len(plus) and len(minus):
            out.append((plus, minus))
    return out


# -- n <= 2: facets are intervals of ranked points ------------------------------------------
def _interval_pairs(rows: _Rows, owner: np.ndarray) -> tuple[list[tuple[int, int]], int]:
    """Adjacent cell pairs for ``n <= 2``, and the number of points of a hyperplane taken
    to coincide (float cells) although their values differ within round-off."""
    n = rows.rep.shape[1] - 1
    H = len(rows.rep)
    two = _two_sided(rows)
    facet, fcell, fh, fside = _facets(rows)
    # (row on a two-sided hyperplane, another row of its cell): the second row bounds the
    # first row's facet, at the point where its hyperplane crosses the first one's
    r1, r2 = _same_cell_pairs(rows.cell, two[rows.hid])
    keep = rows.hid[r1] != rows.hid[r2]
    r1, r2 = r1[keep], r2[keep]
    pk, inv = np.unique(rows.hid[r1] * H + rows.hid[r2], return_inverse=True)
    inv = inv.reshape(-1)
    csg, dsg, rank, near = _points(rows, pk // H, pk % H, n)
    kind = rows.side[r2] * csg[inv]  # < 0: a lower end, > 0: an upper end, 0: a constant
    f = facet[r1]
    flo = np.full(len(fcell), -1, dtype=np.int64)
    fhi = np.full(len(fcell), np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(flo, f[kind < 0], rank[inv[kind < 0]])
    np.minimum.at(fhi, f[kind > 0], rank[inv[kind > 0]])
    bad = np.zeros(len(fcell), dtype=bool)
    bad[f[(kind == 0) & (rows.side[r2] * dsg[inv] < 0)]] = True
    pairs: list[tuple[int, int]] = []
    for plus, minus in _facet_pairs(fh, fside, ~bad & (flo < fhi) & two[fh]):
        lo = np.maximum(flo[plus][:, None], flo[minus][None, :])
        hi = np.minimum(fhi[plus][:, None], fhi[minus][None, :])
        cp, cq = fcell[plus], fcell[minus]
        a, b = np.nonzero((lo < hi) & (owner[cp][:, None] != owner[cq][None, :]))
        pairs += list(zip(cp[a].tolist(), cq[b].tolist(), strict=True))
    return pairs, near


def _same_cell_pairs(cell: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs ``(i, j)`` of rows of one cell with ``first[i]`` (the rows of a
    cell are contiguous)."""
    counts = np.bincount(cell, minlength=int(cell.max(initial=-1)) + 1)
    starts = np.cumsum(counts) - counts
    i = np.flatnonzero(first)
    reps = counts[cell[i]]
    offs = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    return np.repeat(i, reps), np.repeat(starts[cell[i]], reps) + offs


def _points(rows: _Rows, ph: np.ndarray, ph2: np.ndarray, n: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Hyperplane ``ph2`` restricted to hyperplane ``ph`` (``x[piv]`` eliminated):
    ``c t <= d`` for the row ``rep[ph2]``, with ``t`` the other coordinate (none when
    ``n = 1``). Returns the exact signs of ``c`` and ``d``, the rank of the point
    ``t = d / c`` along ``ph`` (where ``c != 0``) and the number of inexact ties."""
    P = len(ph)
    R = _balls(rows.rep)
    A, C = R[ph], R[ph2]
    at, k = np.arange(P), rows.piv[ph]

    def col(B: Ball, j: np.ndarray | int) -> Ball:
        return Ball(B.mid[at, j], B.rad[at, j])

    ak, ck = col(A, k), col(C, k)
    d = ak * col(C, n) - ck * col(A, n)
    c = ak * col(C, 1 - k) - ck * col(A, 1 - k) if n == 2 else Ball(np.zeros(P), np.zeros(P))
    csg, dsg = c.signs().astype(np.int64), d.signs().astype(np.int64)
    lo, hi = _quotient(d, c)
    exact: dict[int, Fraction] = {}

    def value(i: int) -> Fraction:
        if i not in exact:
            ce, de = _exact_restricted(rows, int(ph[i]), int(ph2[i]), n)
            exact[i] = de / ce
        return exact[i]

    unsure = (csg == UNSURE) | ((csg == 0) & (dsg == UNSURE)) | (
        (csg != 0) & ~(np.isfinite(lo) & np.isfinite(hi)))
    for i in np.flatnonzero(unsure):
        ce, de = _exact_restricted(rows, int(ph[i]), int(ph2[i]), n)
        csg[i], dsg[i] = (ce > 0) - (ce < 0), (de > 0) - (de < 0)
        if ce != 0:
            exact[int(i)] = de / ce
            lo[i], hi[i] = _enclose(exact[int(i)])
    rank, near = _rank_points(ph, lo, hi, csg != 0, value, snap=not rows.exact)
    return csg, dsg, rank, near


def _exact_restricted(rows: _Rows, h: int, h2: int, n: int) -> tuple[Fraction, Fraction]:
    """``(c, d)`` of :func:`_points`, exactly."""
    a, c = rows.exact_rep(h), rows.exact_rep(h2)
    k = int(rows.piv[h])
    d = a[k] * c[n] - c[k] * a[n]
    return (a[k] * c[1 - k] - c[k] * a[1 - k] if n == 2 else Fraction(0)), d


def _balls(values: np.ndarray) -> Ball:
    """Balls of exact values (floats, or Fractions; one beyond the float range gets an
    infinite radius, so that every sign it enters is decided exactly)."""
    try:
        return Ball.of(values)
    except OverflowError:
        flat = values.reshape(-1)
        mid, rad = np.zeros(len(flat)), np.zeros(len(flat))
        for i, v in enumerate(flat):
            try:
                one = Ball.of(np.array([v], dtype=object))
                mid[i], rad[i] = one.mid[0], one.rad[0]
            except OverflowError:
                rad[i] = np.inf
        return Ball(mid.reshape(values.shape), rad.reshape(values.shape))


def _quotient(num: Ball, den: Ball) -> tuple[np.ndarray, np.ndarray]:
    """Float bounds ``lo <= num / den <= hi`` valid for every exact value of the balls
    (each float operation rounded outwards by one ulp); not finite where ``den`` may be 0
    or a bound overflows."""
    down, up = -np.inf, np.inf
    with np.errstate(all="ignore"):
        n_lo = np.nextafter(num.mid - num.rad, down)
        n_hi = np.nextafter(num.mid + num.rad, up)
        d_lo = np.nextafter(den.mid - den.rad, down)
        d_hi = np.nextafter(den.mid + den.rad, up)
        q = np.stack([n_lo / d_lo, n_lo / d_hi, n_hi / d_lo, n_hi / d_hi])
        lo, hi = np.nextafter(q.min(axis=0), down), np.nextafter(q.max(axis=0), up)
    lo[~((d_lo > 0) | (d_hi < 0))] = np.nan
    return lo, hi


def _enclose(t: Fraction) -> tuple[float, float]:
    """Float bounds of an exact rational (infinite beyond the float range)."""
    try:
        f = float(t)
    except OverflowError:
        return -np.inf, np.inf
    return float(np.nextafter(f, -np.inf)), float(np.nextafter(f, np.inf))


def _rank_points(ph: np.ndarray, lo: np.ndarray, hi: np.ndarray, real: np.ndarray,
                 value: Any, snap: bool) -> tuple[np.ndarray, int]:
    """Integer ranks of the points ``[lo, hi]`` (where ``real``) along each hyperplane
    ``ph`` in their exact order, equal exact values sharing a rank; and the number of
    clusters of different values that ``snap`` (float cells) gave one rank.

    Points sorted by ``(hyperplane, lo)`` form clusters: a point whose ``lo`` exceeds
    every ``hi`` before it on its hyperplane starts one. Only the points of a cluster of
    several (enclosures that meet) are compared exactly (``value(i)``); with ``snap``
    (float cells), a cluster of different values gets one rank."""
    rank = np.zeros(len(ph), dtype=np.int64)
    idx = np.flatnonzero(real)
    m = len(idx)
    if not m:
        return rank, 0
    h, a, b = ph[idx], lo[idx], hi[idx]
    # one order of all ends: by hyperplane, value, and lower ends before upper ends
    ends = np.lexsort((np.r_[np.zeros(m), np.ones(m)], np.r_[a, b], np.r_[h, h]))
    pos = np.empty(2 * m, dtype=np.int64)
    pos[ends] = np.arange(2 * m)
    order = np.argsort(pos[:m])
    reach = np.maximum.accumulate(pos[m:][order])
    start = np.r_[True, pos[:m][order][1:] > reach[:-1]]
    cluster = np.cumsum(start) - 1
    sizes = np.bincount(cluster)
    firsts = np.flatnonzero(start)
    sub = np.zeros(m, dtype=np.int64)
    near = 0
    for c in np.flatnonzero(sizes > 1):
        members = order[firsts[c]:firsts[c] + sizes[c]]
        vals = [value(int(idx[j])) for j in members]
        distinct = sorted(set(vals))
        near += snap and len(distinct) > 1
        where = {v: 0 if snap else i for i, v in enumerate(distinct)}
        sub[members] = [where[v] for v in vals]
    key = np.empty(m, dtype=np.int64)
    key[order] = cluster * int(sizes.max()) + sub[order]
    rank[idx] = key
    return rank, near


# -- n >= 3: facets from exact V-representations -------------------------------------------
@dataclass(frozen=True, eq=False)
class _Cell:
    """A cell's rows in homogeneous form ``g . (1, x) >= 0`` (``g = (b, -a)``): exact,
    as balls, and their hyperplane ids."""

    G: np.ndarray
    ball: Ball
    hid: np.ndarray
    local: np.ndarray


class _Facet:
    """A facet of a cell: its generators (exact points, rays and lines), the hyperplanes of
    the cell's rows each one lies on, its key when it has no lines (equal keys: equal
    facets), its box in the hyperplane's coordinates (exact, ``None`` where unbounded, and
    float bounds of those bounds), and on demand its dimension test and its generators in
    homogeneous form (points ``(1, x)``, rays ``(0, r)``, a line as two opposite rays),
    exact and as balls."""

    def __init__(self, points: list, rays: list, lines: list, k: int,
                 tight: list[set[int]]) -> None:
        self.points, self.rays, self.lines = points, rays, lines
        #: per homogeneous generator: the hyperplanes it lies on (a line: all of its cell's)
        self.tight = tight
        self.key = None if lines else (frozenset(points), frozenset(_unit(v) for v in rays))
        self.lo: list = []
        self.hi: list = []
        for j in range(len(points[0])):
            if j != k:
                free = any(v[j] != 0 for v in lines)
                self.lo.append(None if free or any(v[j] < 0 for v in rays)
                               else min(v[j] for v in points))
                self.hi.append(None if free or any(v[j] > 0 for v in rays)
                               else max(v[j] for v in points))
        self.lo_f = np.array([-np.inf if v is None else _enclose(v)[0] for v in self.lo])
        self.hi_f = np.array([np.inf if v is None else _enclose(v)[1] for v in self.hi])
        self._full: bool | None = None
        self._gens: np.ndarray | None = None

    @property
    def full(self) -> bool:
        """Is the facet ``(n-1)``-dimensional (its generators' directions of rank n-1)?"""
        if self._full is None:
            p0 = self.points[0]
            dirs = [[a - b for a, b in zip(v, p0, strict=True)] for v in self.points[1:]]
            dirs += [list(v) for v in (*self.rays, *self.lines)]
            self._full = bool(dirs) and int(cdd.gmp.matrix_rank(
                cdd.gmp.matrix_from_array(dirs))[2]) == len(p0) - 1
        return self._full

    @property
    def gens(self) -> np.ndarray:
        if self._gens is None:
            one, zero = Fraction(1), Fraction(0)
            self._gens = np.array(
                [[one, *v] for v in self.points] + [[zero, *v] for v in self.rays]
                + [[zero, *v] for v in self.lines]
                + [[zero, *(-x for x in v)] for v in self.lines], dtype=object)
            self.ball = _balls(self._gens)
        return self._gens


def _vertex_pairs(rows: _Rows, owner: np.ndarray
                  ) -> tuple[list[tuple[int, int]], int]:
    """Adjacent cell pairs for ``n >= 3`` (see the module docstring), and the number of
    exact LPs on float cells whose positive optimum was within the near-degeneracy band
    (taken as 0: the facets only touch)."""
    n = rows.rep.shape[1] - 1
    two = _two_sided(rows)
    facet, fcell, fh, fside = _facets(rows)
    frow = np.unique(facet, return_index=True)[1]  # the first row of each facet
    cache: dict[int, _Cell] = {}

    def cell(c: int) -> _Cell:
        if c not in cache:
            sel = np.flatnonzero(rows.cell == c)
            G = np.array([[Fraction(row[-1]), *(-Fraction(v) for v in row[:-1])]
                          for row in rows.M[sel]], dtype=object).reshape(len(sel), n + 1)
            cache[c] = _Cell(G, _balls(G), rows.hid[sel], rows.local[sel])
        return cache[c]

    live = np.flatnonzero(two[fh])
    vreps = {c: _vrep(cell(c)) for c in np.unique(fcell[live]).tolist()}
    facets: dict[int, _Facet] = {}
    for f in live.tolist():
        points, rays, lines = vreps[int(fcell[f])]
        r, C = int(rows.local[frow[f]]), cell(int(fcell[f]))
        ids = dict(zip(C.local.tolist(), C.hid.tolist(), strict=True))
        pts = [(v, {ids[i] for i in on}) for v, on in points if r in on]
        rys = [(v, {ids[i] for i in on}) for v, on in rays if r in on]
        if pts and len(pts) + len(rys) + len(lines) >= n:
            every = set(ids.values())
            facets[f] = _Facet([v for v, _ in pts], [v for v, _ in rys], lines,
                               int(rows.piv[fh[f]]),
                               [t for _, t in pts] + [t for _, t in rys] + [every] * (
                                   2 * len(lines)))
    keyid = np.full(len(fcell), -1, dtype=np.int64)
    keys: dict[tuple, int] = {}
    lo = np.full((len(fcell), n - 1), np.inf)
    hi = np.full((len(fcell), n - 1), -np.inf)
    for f, F in facets.items():
        if F.key is not None:
            keyid[f] = keys.setdefault(F.key, len(keys))
        lo[f], hi[f] = F.lo_f, F.hi_f
    sides: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for c, h, sd in zip(rows.cell.tolist(), rows.hid.tolist(), rows.side.tolist(),
                        strict=True):
        sides[c][h].add(sd)
    pairs: list[tuple[int, int]] = []
    near = 0
    alive = np.zeros(len(fcell), dtype=bool)
    alive[list(facets)] = True
    for plus, minus in _facet_pairs(fh, fside, alive):
        cp, cq = fcell[plus], fcell[minus]
        other = owner[cp][:, None] != owner[cq][None, :]
        same = (keyid[plus][:, None] == keyid[minus][None, :]) & (keyid[plus][:, None] >= 0)
        # boxes certainly without a common open set (float bounds of the exact bounds)
        apart = np.any(np.maximum(lo[plus][:, None], lo[minus][None, :])
                       >= np.minimum(hi[plus][:, None], hi[minus][None, :]), axis=2)
        for a, b in zip(*np.nonzero(other & same), strict=True):
            if facets[int(plus[a])].full:
                pairs.append((int(cp[a]), int(cq[b])))
        for a, b in zip(*np.nonzero(other & ~same & ~apart), strict=True):
            fp, fq = int(plus[a]), int(minus[b])
            Fp, Fq, p, q, h = facets[fp], facets[fq], int(cp[a]), int(cq[b]), int(fh[fp])
            if not (_boxes_meet(Fp, Fq) and Fp.full and Fq.full) or _opposite(
                    sides[p], sides[q], h):
                continue
            meet = _facets_meet(Fp, cell(q), Fq, cell(p), h)
            if meet is None:
                meet, tiny = _lp_facet(cell(p), cell(q), rows.exact_rep(h), h)
                if tiny and not rows.exact:
                    meet = False
                    near += 1
            if meet:
                pairs.append((p, q))
    return pairs, near


def _vrep(cell: _Cell) -> tuple:
    """Points, rays and lines of the cell (exact), and per point or ray the set of local
    row indices tight there: cdd's exact (gmp) double description."""
    mat = cdd.gmp.matrix_from_array(cell.G.tolist(), rep_type=cdd.RepType.INEQUALITY)
    poly = cdd.gmp.polyhedron_from_matrix(mat)
    gens = cdd.gmp.copy_generators(poly)
    inc = cdd.gmp.copy_incidence(poly)
    local = cell.local
    points, rays, lines = [], [], []
    for g, (row, tight) in enumerate(zip(gens.array, inc, strict=True)):
        vec = tuple(Fraction(v) for v in row[1:])
        on = {int(local[i]) for i in tight if i < len(local)}
        if g in gens.lin_set:
            lines.append(vec)
        elif row[0] != 0:
            points.append((vec, on))
        else:
            rays.append((vec, on))
    if not points and all(v == 0 for v in cell.G[:, 0]):  # a cone: cdd leaves out its apex
        points.append((tuple(Fraction(0) for _ in range(cell.G.shape[1] - 1)),
                       {int(i) for i in local}))
    return points, rays, lines


def _unit(v: tuple) -> tuple:
    """A ray scaled so that its first non-zero entry is +-1."""
    top = abs(next(x for x in v if x != 0))
    return tuple(x / top for x in v)


def _boxes_meet(p: _Facet, q: _Facet) -> bool:
    """The facets' boxes overlap in an open set of the hyperplane's coordinates (needed for
    an ``(n-1)``-dimensional intersection)."""
    for lp, hp, lq, hq in zip(p.lo, p.hi, q.lo, q.hi, strict=True):
        lo = lq if lp is None else lp if lq is None else max(lp, lq)
        hi = hq if hp is None else hp if hq is None else min(hp, hq)
        if lo is not None and hi is not None and not lo < hi:
            return False
    return True


def _opposite(a: dict, b: dict, h: int) -> bool:
    """The cells lie on opposite sides of a second hyperplane, so they meet in a set of
    dimension at most ``n - 2``."""
    if len(a) > len(b):
        a, b = b, a
    return any(g != h and g in b and any(-s in b[g] for s in ss) for g, ss in a.items())


def _facets_meet(fp: _Facet, q: _Cell, fq: _Facet, p: _Cell, h: int) -> bool | None:
    """Decide from the generators whether facets ``fp`` (of cell ``p``) and ``fq`` (of
    ``q``) on hyperplane ``h`` meet in an ``(n-1)``-dimensional set: yes when one facet
    lies in the other cell (it is then their intersection); no when a row of one cell
    other than ``h`` has the other facet on its far side (the intersection then lies in
    that row's hyperplane too). ``None``: undecided."""
    in_q = _slack_signs(fp, q)  # generators of fp against the rows of q
    if np.all(in_q >= 0):
        return True
    in_p = _slack_signs(fq, p)
    if np.all(in_p >= 0):
        return True
    return False if _separates(in_q, q, h) or _separates(in_p, p, h) else None


def _separates(signs: np.ndarray, cell: _Cell, h: int) -> bool:
    """Some row of ``cell`` (not on ``h``) is ``<= 0`` on every generator."""
    return bool(np.any(np.all(signs <= 0, axis=0) & (cell.hid != h)))


def _slack_signs(f: _Facet, cell: _Cell) -> np.ndarray:
    """Exact signs of ``g . gen`` for every generator of ``f`` (rows) and row ``g`` of
    ``cell`` (columns): 0 where the generator lies on the row's hyperplane, else in balls,
    and exactly where a ball is not conclusive."""
    gens = f.gens
    out = (f.ball @ cell.ball.T).signs()
    for i, j in zip(*np.nonzero(out == UNSURE), strict=True):
        if int(cell.hid[j]) in f.tight[i]:
            out[i, j] = 0
            continue
        v = gens[i].dot(cell.G[j])
        out[i, j] = (v > 0) - (v < 0)
    return out


def _lp_facet(p: _Cell, q: _Cell, eq: list[Fraction], h: int) -> tuple[bool, bool]:
    """Is there a point of hyperplane ``h`` (``eq = (a, b)``) strictly inside every other
    row of cells ``p`` and ``q``? One exact LP: maximise ``t <= 1`` subject to
    ``a_i . x + t ||a_i||_1 <= b_i``. Also says whether a positive optimum was within the
    near-degeneracy band."""
    G = np.concatenate([p.G[p.hid != h], q.G[q.hid != h]])
    n = len(eq) - 1
    A, b = -G[:, 1:], G[:, 0]
    norms = np.array([sum(abs(v) for v in row) for row in A], dtype=object)
    one, zero = Fraction(1), Fraction(0)
    ub = np.concatenate([np.column_stack([A, norms]).reshape(-1, n + 1),
                         np.array([[zero] * n + [one]], dtype=object)])
    res = linprog([zero] * n + [one], ub, np.r_[b, np.array([one], dtype=object)], EXACT,
                  A_eq=np.array([[*eq[:-1], zero]], dtype=object),
                  b_eq=np.array([eq[-1]], dtype=object), maximize=True)
    if not res.optimal or res.value <= 0:
        return False, False
    scale = max([one] + [abs(v) / s for v, s in zip(b, norms, strict=True) if s])
    return True, bool(res.value <= scale * Fraction(FLOAT.tol * FLOAT.band_high))

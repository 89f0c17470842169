"""Geometry of polyhedra and regions: vertices, rays, facets, boundedness, volume, Chebyshev
centre.

Plain functions over a :class:`~tropnet.polyhedra.Polyhedron` (one convex cell) and over a
region (anything with ``cells``, such as :class:`~tropnet.Region`: a union of cells with
disjoint interiors). :class:`~tropnet.Region` exposes them as cached properties.

Exact mode decides everything exactly: vertices and rays by cdd's gmp double description,
facets by :func:`tropnet.tropical.prune.facets` (certified), volumes as exact rationals by a
pulling triangulation of the exact vertices with exact determinants. Float mode takes the
vertices and rays from cdd's float double description and the volume from qhull (a float,
not certified), but decides facets and boundedness exactly on the rationals the floats
denote.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any, NamedTuple

import cdd
import cdd.gmp
import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..arithmetic import EXACT, FLOAT, Arithmetic, format_number
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..polyhedra import Polyhedron, facet_adjacent, linprog
from ..tropical.prune import det, primitive
from ..tropical.prune import facets as certified_facets

__all__ = [
    "INF",
    "Facet",
    "Generators",
    "chebyshev_center",
    "facet_neighbours",
    "facet_rows",
    "generators",
    "geometry_summary",
    "is_bounded",
    "region_chebyshev",
    "region_facets",
    "region_generators",
    "region_geometry",
    "region_volume",
    "volume",
]

INF = math.inf


class Generators(NamedTuple):
    """A minimal V-representation ``P = conv(points) + cone(rays) + span(lines)`` (arrays of
    shape ``(k, n)`` in the polyhedron's arithmetic) and, per point, the indices of the rows
    tight there."""

    points: np.ndarray
    rays: np.ndarray
    lines: np.ndarray
    tight: tuple[frozenset[int], ...]


@dataclass(frozen=True)
class Facet:
    """A facet ``{x in cell : normal . x = offset}`` of cell ``cell`` of a region (the region
    lies on the side ``normal . x <= offset``); ``row`` is its row in the cell. ``glued``
    (linear regions of several cells): another cell of the same region lies across it, so it
    is not on the region's boundary.

    Attributes
    ----------
    cell : int
        The cell's index in the region.
    row : int
        The facet's row in the cell.
    normal : tuple
        The row's normal.
    offset : number
        The row's right-hand side.
    glued : bool, default False
        Another cell of the region lies across it.
    """

    cell: int
    row: int
    normal: tuple
    offset: Any
    glued: bool = False

    def to_dict(self) -> dict:
        """The JSON form of the facet."""
        return {"cell": self.cell, "normal": [format_number(v) for v in self.normal],
                "offset": format_number(self.offset), "glued": self.glued}


# -- one polyhedron ----------------------------------------------------------------------------

def generators(poly: Polyhedron) -> Generators:
    """The vertices (points), extreme rays and lines of ``poly``: cdd's exact (gmp) double
    description in exact mode, its float one in float mode. Empty arrays for an empty
    polyhedron.

    Parameters
    ----------
    poly : Polyhedron
        The polyhedron.

    Examples
    --------
    >>> sq = Polyhedron.box([0, 0], [1, 1], EXACT)
    >>> sorted(tuple(map(int, p)) for p in generators(sq).points)
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    arith, n = poly.arith, poly.n
    rows = [[b, *(-a for a in row)] for row, b in zip(poly.A.tolist(), poly.b.tolist(),
                                                      strict=True)]
    if not rows:  # R^n: the origin and n lines
        eye = arith.eye(n)
        return Generators(arith.zeros((1, n)), arith.zeros((0, n)), eye, (frozenset(),))
    try:
        gens, inc = _double_description(rows, arith.cdd_exact)
    except RuntimeError:  # float cdd: "numerical inconsistency"; exact on the floats' rationals
        gens, inc = _double_description(rows, True)
    points, rays, lines, tight = [], [], [], []
    for g, (row, on) in enumerate(zip(gens.array, inc, strict=True)):
        if g in gens.lin_set:
            lines.append(row[1:])
        elif row[0] != 0:
            points.append([v / row[0] for v in row[1:]])
            tight.append(frozenset(int(i) for i in on if i < len(rows)))
        else:
            rays.append(row[1:])
    if not points and (rays or lines) and all(r[0] == 0 for r in rows):
        points.append([0] * n)  # a cone: cdd leaves out its apex
        tight.append(frozenset(range(len(rows))))

    def arr(vs: list) -> np.ndarray:
        return arith.array(vs).reshape(-1, n) if vs else arith.zeros((0, n))

    return Generators(arr(points), arr(rays), arr(lines), tuple(tight))


def facet_rows(poly: Polyhedron) -> np.ndarray:
    """Indices of the irredundant rows of a full-dimensional ``poly``, one per facet (the first
    row on each facet's hyperplane): :func:`tropnet.tropical.prune.facets`, certified and
    exact on the rationals of the rows (floats included).

    Parameters
    ----------
    poly : Polyhedron
        A full-dimensional polyhedron.

    Examples
    --------
    >>> facet_rows(Polyhedron.from_inequalities([[1, 0], [2, 0], [-1, 0], [0, 1], [0, -1]],
    ...                                         [1, 5, 0, 1, 0], EXACT)).tolist()
    [0, 2, 3, 4]
    """
    found = certified_facets(poly.A, poly.b)
    if found is None:
        raise TropnetError("the polyhedron has an empty interior: it has no facets")
    return found[0]


def is_bounded(poly: Polyhedron) -> bool:
    """Whether ``poly`` is bounded: its recession cone ``{d : A d <= 0}`` is ``{0}`` (decided
    exactly, on the rationals of float rows).

    Parameters
    ----------
    poly : Polyhedron
        The polyhedron.

    Examples
    --------
    >>> is_bounded(Polyhedron.box([0], [1], EXACT)), is_bounded(Polyhedron.whole(1, EXACT))
    (True, False)
    """
    if poly.n == 0:
        return True
    cone = Polyhedron(EXACT.array(poly.A), EXACT.zeros(len(poly)), EXACT)
    gens = generators(cone)
    return len(gens.rays) == 0 and len(gens.lines) == 0


def volume(poly: Polyhedron, box: Any = None) -> Any:
    """The ``n``-dimensional volume of ``poly`` (inside ``box`` when given: a
    :class:`~tropnet.Domain`, a domain string or a :class:`Polyhedron`): an exact Fraction in
    exact mode, a float in float mode; ``math.inf`` when unbounded, 0 when the interior is
    empty.

    Parameters
    ----------
    poly : Polyhedron
        The polyhedron.
    box : Domain, str, Polyhedron or None, default None
        The set to measure in; ``None``: all of ``R^n``.

    Examples
    --------
    >>> tri = Polyhedron.from_inequalities([[-1, 0], [0, -1], [1, 1]], [0, 0, 1], EXACT)
    >>> plane = Polyhedron.whole(2, EXACT)
    >>> volume(tri), volume(plane), volume(plane, "box:0,3")
    (Fraction(1, 2), inf, Fraction(9, 1))

    Notes
    -----
    Exact mode: a *pulling* triangulation of the exact vertices -- pick a vertex ``w`` of a
    face, cone it over the faces' facets that miss ``w``, recursively -- whose simplices have
    exact volumes ``|det| / n!``; faces are read off cdd's incidence of the facet rows.
    Float mode: qhull's volume of the float vertices.
    """
    arith = poly.arith
    if box is not None:
        poly = poly.intersect(_box_polyhedron(box, poly.n, arith))
    if poly.n == 0:
        return arith.one
    keep = _nonzero_rows(poly)
    if keep is None:
        return arith.zero
    poly = Polyhedron(poly.A[keep], poly.b[keep], arith)
    if len(poly) == 0:
        return INF
    found = certified_facets(poly.A, poly.b)
    if found is None:
        return arith.zero
    poly = Polyhedron(poly.A[found[0]], poly.b[found[0]], arith)
    if not is_bounded(poly):
        return INF
    if not arith.exact:
        return _float_volume(generators(poly).points)
    gens = generators(poly)
    return _exact_volume(gens.points, gens.tight, poly.n)


def chebyshev_center(poly: Polyhedron, norm: Any = 2) -> tuple[np.ndarray, Any]:
    """The centre and radius of the largest ball inside ``poly`` (one LP:
    maximise ``r`` subject to ``a_i . x + r ||a_i||_* <= b_i``).

    ``norm=2`` (default): the Euclidean ball, computed in float in both modes (the dual norms
    ``||a_i||_2`` are irrational in general). ``norm="inf"``: the largest max-norm ball (a
    cube; dual norm ``||a_i||_1``), exact in exact mode. Radius ``inf`` (with an interior
    point as the centre) when the polyhedron holds arbitrarily large balls; ``None``
    centre and radius 0 when the interior is empty.

    Parameters
    ----------
    poly : Polyhedron
        The polyhedron.
    norm : {2, "inf"}, default 2
        The ball's norm.

    Examples
    --------
    >>> c, r = chebyshev_center(Polyhedron.box([0, 0], [2, 2], EXACT), "inf")
    >>> c.tolist(), r
    ([Fraction(1, 1), Fraction(1, 1)], Fraction(1, 1))
    """
    if norm not in (2, "inf"):
        raise TropnetError(f"norm must be 2 or 'inf', got {norm!r}")
    arith = poly.arith if norm == "inf" else FLOAT
    A, b = arith.array(poly.A), arith.array(poly.b)
    if norm == 2:
        norms = np.sqrt((np.asarray(A, dtype=float) ** 2).sum(axis=1))
    else:
        norms = arith.asarray([sum(abs(v) for v in row) for row in A])
    n = poly.n
    if len(A) == 0:
        return poly.arith.zeros(n), INF
    zero, one = arith.zero, arith.one
    rows = np.concatenate([np.column_stack([A, norms]).reshape(-1, n + 1),
                           np.array([[zero] * n + [-one]], dtype=A.dtype)])
    rhs = np.concatenate([b, np.array([zero], dtype=b.dtype)])
    res = linprog([zero] * n + [one], rows, rhs, arith, maximize=True)
    if res.status == "unbounded":
        found = poly.interior_point()
        return (found[0] if found else poly.arith.zeros(n)), INF
    if not res.optimal or not res.value > 0:
        return None, poly.arith.zero
    return arith.array(res.x[:n]), res.value


# -- regions (unions of cells) -----------------------------------------------------------------

def region_generators(region: Any) -> Generators:
    """The distinct vertices and rays of the cells of ``region`` (for a linear region of
    several cells: the vertices of the subdivision inside it, including those where its
    cells meet), and the lines (every cell of a region with a line has the same lines).
    ``tight`` is empty.

    Parameters
    ----------
    region : Region
        The region.
    """
    cells = region.cells
    arith = cells[0].arith
    n = cells[0].n
    seen: dict[str, dict[tuple, Any]] = {"points": {}, "rays": {}, "lines": {}}
    for cell in cells:
        g = generators(cell)
        for name, vs in (("points", g.points), ("rays", g.rays), ("lines", g.lines)):
            for v in vs:
                key = tuple(v) if name == "points" else primitive(v)
                if name == "lines":
                    key = max(key, tuple(-k for k in key))
                seen[name].setdefault(key, v)

    def arr(d: dict) -> np.ndarray:
        return arith.array(list(d.values())).reshape(-1, n) if d else arith.zeros((0, n))

    return Generators(arr(seen["points"]), arr(seen["rays"]), arr(seen["lines"]), ())


def region_facets(region: Any) -> tuple[Facet, ...]:
    """The facets of every cell of ``region`` (irredundant, certified: :func:`facet_rows`), in
    cell order; a facet across which another cell of the region lies (they share an
    ``(n-1)``-face, decided exactly) is marked ``glued``.

    Parameters
    ----------
    region : Region
        The region.
    """
    cells = region.cells
    out = []
    keys = []
    for k, cell in enumerate(cells):
        rows = facet_rows(cell)
        keys.append({primitive([*cell.A[r], cell.b[r]]): int(r) for r in rows})
        out += [(k, int(r)) for r in rows]
    glued: set[tuple[int, int]] = set()
    if len(cells) > 1:
        exact = [Polyhedron(EXACT.array(c.A), EXACT.array(c.b), EXACT) for c in cells]
        for k in range(len(cells)):
            for m in range(k + 1, len(cells)):
                common = [key for key in keys[k] if tuple(-v for v in key) in keys[m]]
                if common and facet_adjacent(exact[k], exact[m]):
                    key = common[0] if len(common) == 1 else _shared(exact[k], exact[m],
                                                                     common)
                    glued.add((k, keys[k][key]))
                    glued.add((m, keys[m][tuple(-v for v in key)]))
    return tuple(Facet(k, r, tuple(cells[k].A[r]), cells[k].b[r], (k, r) in glued)
                 for k, r in out)


def region_volume(region: Any, box: Any = None) -> Any:
    """The volume of a region: the sum of its cells' volumes (:func:`volume`).

    Parameters
    ----------
    region : Region
        The region.
    box : Domain, str, Polyhedron or None, default None
        The set to measure in (see `volume`).
    """
    total: Any = region.cells[0].arith.zero
    for cell in region.cells:
        v = volume(cell, box)
        if v == INF:
            return INF
        total = total + v
    return total


def region_chebyshev(region: Any, norm: Any = 2) -> tuple[np.ndarray, Any]:
    """The largest ball inside one cell of ``region`` (:func:`chebyshev_center` of each
    cell, the largest radius; for a region of several cells a larger ball may cross cells).

    Parameters
    ----------
    region : Region
        The region.
    norm : {2, "inf"}, default 2
        The ball's norm (see `chebyshev_center`).
    """
    best: tuple[np.ndarray, Any] = (None, -1)
    for cell in region.cells:
        c, r = chebyshev_center(cell, norm)
        if r == INF:
            return c, r
        if best[1] == -1 or r > best[1]:
            best = (c, r)
    return best


def facet_neighbours(regions: Any, index: int) -> list[tuple[int, ...]]:
    """For each facet of region ``index`` of a region set (:func:`region_facets` order), the
    regions across it: the neighbours in ``regions.graph`` whose cells meet the facet in an
    ``(n-1)``-dimensional set (decided exactly on the rationals of the cells). A facet on the
    domain's boundary has none; a glued facet has none either (its own region is across).

    Parameters
    ----------
    regions : RegionSet
        The regions.
    index : int
        The region's index.
    """
    region = regions.regions[index]
    graph = regions.graph
    exact = [Polyhedron(EXACT.array(c.A), EXACT.array(c.b), EXACT) for c in region.cells]
    others = {j: [Polyhedron(EXACT.array(c.A), EXACT.array(c.b), EXACT)
                  for c in regions.regions[j].cells] for j in graph.neighbors(index)}
    out = []
    for f in region_facets(region):
        cell = exact[f.cell]
        a, b = cell.A[f.row], cell.b[f.row]
        beyond = cell.add([-v for v in a], [-b])  # the facet itself, as a polyhedron
        hits = tuple(sorted(j for j, qs in others.items()
                            if not f.glued and any(beyond.intersect(q).dimension() == cell.n - 1
                                                   for q in qs)))
        out.append(hits)
    return out


def region_geometry(region: Any) -> dict:
    """The JSON form of a region's geometry: vertices, rays, lines, boundedness, volume
    (``"inf"`` when unbounded; exact ``"p/q"`` in exact mode) and facets.

    Parameters
    ----------
    region : Region
        The region.
    """
    g = region.generators
    vol = region.volume
    return {
        "vertices": [[format_number(v) for v in p] for p in g.points],
        "rays": [[format_number(v) for v in r] for r in g.rays],
        "lines": [[format_number(v) for v in r] for r in g.lines],
        "bounded": region.is_bounded,
        "volume": "inf" if vol == INF else format_number(vol),
        "facets": [f.to_dict() for f in region.facets],
    }


def geometry_summary(regions: Any, bins: int = 10) -> dict:
    """Statistics of the geometry of ``regions`` (a sequence of regions), JSON-ready with exact
    numbers as ``"p/q"``: ``bounded`` / ``unbounded`` counts; ``volume``: ``total``, ``min``
    and ``max`` over the bounded regions and ``histogram`` (``edges``: ``bins + 1`` equally
    spaced edges from min to max, exact in exact mode; ``counts``: regions per bin, the last
    bin closed); ``facets``: ``mean`` and ``max`` number of facets per region, not counting
    the glued facets between cells of one region.

    Parameters
    ----------
    regions : sequence of Region
        The regions.
    bins : int, default 10
        The number of histogram bins.

    Examples
    --------
    >>> from tropnet import linear_regions, parse
    >>> s = linear_regions(parse("max(0, x) + max(0, y)"), "box:-1,2").summary(bins=2)
    >>> s["bounded"], s["volume"]["total"], s["volume"]["histogram"]["counts"], s["facets"]
    (4, 9, [3, 1], {'mean': 4, 'max': 4})
    """
    if bins < 1:
        raise TropnetError(f"bins must be a positive integer, got {bins}")
    vols = [r.volume for r in regions if r.is_bounded]
    nfacets = [sum(not f.glued for f in r.facets) for r in regions]
    out: dict[str, Any] = {"regions": len(regions), "bounded": len(vols),
                           "unbounded": len(regions) - len(vols)}
    vol: dict[str, Any] = {"total": None, "min": None, "max": None,
                           "histogram": {"edges": [], "counts": []}}
    if vols:
        lo, hi = min(vols), max(vols)
        width = (hi - lo) / bins
        edges = [lo + k * width for k in range(bins)] + [hi]
        counts = [0] * bins
        for v in vols:
            k = bins - 1 if width == 0 else min(bins - 1, int((v - lo) // width))
            counts[k] += 1
        vol = {"total": format_number(sum(vols[1:], vols[0])), "min": format_number(lo),
               "max": format_number(hi),
               "histogram": {"edges": [format_number(e) for e in edges], "counts": counts}}
    out["volume"] = vol
    mean = Fraction(sum(nfacets), len(nfacets)) if nfacets else Fraction(0)
    out["facets"] = {"mean": format_number(mean if regions and regions[0].cells[0].arith.exact
                                           else float(mean)),
                     "max": max(nfacets, default=0)}
    return out


# -- helpers -----------------------------------------------------------------------------------

def _double_description(rows: list[list], exact: bool) -> tuple[Any, Any]:
    """cdd's generators and incidence of the rows ``(b, -a)``: gmp (exact) or float (rows
    scaled first: the region engines' rows can be of any size)."""
    lib = cdd.gmp if exact else cdd
    if exact:
        data = [[Fraction(v) for v in r] for r in rows]
    else:  # each row scaled by a power of two (exactly) to a largest entry in [1/2, 1)
        data = [[math.ldexp(float(v), -math.frexp(top)[1]) for v in r] if top else
                [float(v) for v in r] for r in rows for top in (max(abs(float(u)) for u in r),)]
    poly = lib.polyhedron_from_matrix(lib.matrix_from_array(
        data, rep_type=cdd.RepType.INEQUALITY))
    return lib.copy_generators(poly), lib.copy_incidence(poly)


def _box_polyhedron(box: Any, n: int, arith: Arithmetic) -> Polyhedron:
    """A box or polytope given as a Polyhedron, a Domain or a domain string."""
    if isinstance(box, Polyhedron):
        return Polyhedron(arith.array(box.A), arith.array(box.b), arith)
    dom = parse_domain(box if isinstance(box, (str, Domain)) else None, n)
    return dom.polyhedron(arith)


def _nonzero_rows(poly: Polyhedron) -> np.ndarray | None:
    """The rows with a non-zero normal; ``None`` when a zero row reads ``0 <= b < 0``."""
    zero = np.array([all(v == 0 for v in row) for row in poly.A], dtype=bool)
    if any(b < 0 for b in poly.b[zero]):
        return None
    return np.flatnonzero(~zero)


def _shared(p: Polyhedron, q: Polyhedron, common: list[tuple]) -> tuple:
    """The hyperplane (a key of ``p``) that holds ``p ∩ q`` when several are candidates."""
    n = p.n
    meet = p.intersect(q)
    for key in common:
        a = [Fraction(v) for v in key[:n]]
        if meet.add([[-v for v in a]], [-Fraction(key[n])]).dimension() == n - 1:
            return key
    return common[0]  # pragma: no cover - facet_adjacent found a common facet


def _float_volume(points: np.ndarray) -> float:
    pts = np.asarray(points, dtype=float)
    if len(pts) <= pts.shape[1]:
        return 0.0
    if pts.shape[1] == 1:
        return float(pts.max() - pts.min())
    try:
        return float(ConvexHull(pts).volume)
    except (QhullError, ValueError):
        return 0.0


def _exact_volume(points: np.ndarray, tight: tuple[frozenset[int], ...], n: int) -> Fraction:
    """Volume of the full-dimensional polytope with exact vertices ``points`` (``tight[v]``:
    the facet rows through vertex ``v``), by a pulling triangulation."""
    pts = [tuple(Fraction(v) for v in p) for p in points]
    rows = sorted(set().union(*tight)) if tight else []
    on = {r: frozenset(v for v, t in enumerate(tight) if r in t) for r in rows}

    @cache
    def simplices(face: frozenset[int], d: int) -> tuple[tuple[int, ...], ...]:
        if len(face) == d + 1:
            return (tuple(sorted(face)),)
        w = min(face)
        subs = {face & on[r] for r in rows}
        out = []
        for g in subs:
            if w in g or len(g) < d or not _affine_dim_is(pts, g, d - 1):
                continue
            out += [(*s, w) for s in simplices(g, d - 1)]
        return tuple(out)

    total = Fraction(0)
    for s in simplices(frozenset(range(len(pts))), n):
        p0 = pts[s[0]]
        total += abs(_det([[a - b for a, b in zip(pts[v], p0, strict=True)] for v in s[1:]]))
    return total / math.factorial(n)


def _affine_dim_is(pts: list[tuple], face: frozenset[int], d: int) -> bool:
    """Whether the points ``face`` span an affine space of dimension ``d``."""
    if len(face) <= 2:
        return len(face) - 1 == d
    idx = sorted(face)
    p0 = pts[idx[0]]
    dirs = [[a - b for a, b in zip(pts[v], p0, strict=True)] for v in idx[1:]]
    return int(cdd.gmp.matrix_rank(cdd.gmp.matrix_from_array(dirs))[2]) == d


def _det(M: list[list[Fraction]]) -> Fraction:
    """Determinant of a square matrix of Fractions: each row scaled to integers, then
    :func:`tropnet.tropical.prune.det`."""
    scales = [math.lcm(*(v.denominator for v in row)) for row in M]
    ints = [[v.numerator * (s // v.denominator) for v in row] for row, s in zip(M, scales,
                                                                                strict=True)]
    return Fraction(det(ints), math.prod(scales))

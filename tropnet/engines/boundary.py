"""Decision boundaries: the pieces of the level set ``{x : f(x) = t}`` of a scalar output.

On an activation region the network is affine, ``f(x) = w . x + b``, and the level set is
the region's closure cut by the hyperplane ``w . x = t - b``; it is a *piece* when it has
dimension ``n - 1`` (decided exactly). Pieces are convex, one per activation region (a
finer subdivision of the level set than the linear regions give); ``linear_pieces`` counts
them again with the connected pieces of one affine map merged. A piece that lies on a
facet shared by two regions is counted once. Regions on which ``f = t`` identically are
reported as ``flat`` (the level set is then full-dimensional there).

Connected components are those of the level set as a topological space: two pieces are
connected when their closures meet (at a point or more).

Volumes: a piece's ``(n-1)``-volume is irrational in general (a segment of slope 1 has
length ``sqrt 2`` times its projection). Each piece reports ``measure``, the exact
``(n-1)``-volume of its projection along the coordinate ``k`` of the largest ``|w_k|``,
and ``volume = measure * sqrt(|w|^2 / w_k^2)``, given exactly as a sympy expression
(``volume_exact``, e.g. ``"3*sqrt(2)/2"``) and as the float nearest to it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np
import sympy

from ..arithmetic import EXACT, Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..network import Network
from ..polyhedra import Polyhedron, closures_meet, linprog
from ..tropical.prune import primitive
from .enumerate import activation_regions
from .geometry import INF, generators, is_bounded, volume
from .patterns import read_in

__all__ = ["BoundaryPiece", "DecisionBoundary", "decision_boundary"]


@dataclass(frozen=True, eq=False)
class BoundaryPiece:
    """One piece: ``{x in region : normal . x = offset}`` of dimension ``n - 1``, inside the
    activation region ``region`` (an index of :attr:`DecisionBoundary.regions`), with a
    point of its relative interior, its projected measure (exact) and its volume (see the
    module docstring; ``inf`` when unbounded).

    Attributes
    ----------
    region : int
        The activation region's index.
    polyhedron : Polyhedron
        The piece.
    normal : ndarray
        The normal of its hyperplane.
    offset : number
        The hyperplane's offset.
    point : ndarray
        A point of its relative interior.
    measure : number
        Its projected measure (exact; ``inf`` when unbounded).
    volume_exact : sympy expression or None
        Its exact volume; ``None`` when unbounded.
    """

    region: int
    polyhedron: Polyhedron
    normal: np.ndarray
    offset: Any
    point: np.ndarray
    measure: Any
    volume_exact: Any

    @property
    def volume(self) -> float:
        """The ``(n-1)``-volume as the nearest float (``inf`` when unbounded)."""
        return INF if self.volume_exact is None else float(self.volume_exact.evalf(30))

    def to_dict(self, arith: Arithmetic) -> dict:
        """The JSON form of the piece.

        Parameters
        ----------
        arith : Arithmetic
            Formats the numbers.
        """
        return {"region": self.region,
                "normal": [arith.format(v) for v in self.normal],
                "offset": arith.format(self.offset),
                "point": [arith.format(v) for v in self.point],
                "vertices": [[arith.format(v) for v in p]
                             for p in generators(self.polyhedron).points],
                "measure": "inf" if self.measure == INF else arith.format(self.measure),
                "volume": "inf" if self.volume_exact is None else self.volume,
                "volume_exact": None if self.volume_exact is None else str(self.volume_exact)}


@dataclass(frozen=True, eq=False)
class DecisionBoundary:
    """The level set ``{f = threshold}`` of a network on a domain (:func:`decision_boundary`).

    Attributes
    ----------
    threshold : number
        The level ``t``.
    domain : Domain
        The domain.
    pieces : tuple of BoundaryPiece
        The pieces.
    components : tuple of tuple of int
        The connected components (piece indices).
    linear_pieces : int
        The number of pieces after merging those on one hyperplane.
    flat : tuple of int
        The activation regions on which ``f = t`` identically.
    regions : RegionSet
        The activation regions.
    arith : Arithmetic
        The arithmetic of the report.
    info : dict, default {}
        Further facts of the run.
    """

    threshold: Any
    domain: Domain
    pieces: tuple[BoundaryPiece, ...]
    components: tuple[tuple[int, ...], ...]
    linear_pieces: int
    flat: tuple[int, ...]
    regions: Any
    arith: Arithmetic
    info: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        """The number of pieces."""
        return len(self.pieces)

    @property
    def volume_exact(self) -> Any:
        """The total ``(n-1)``-volume as an exact sympy expression (``None``: unbounded)."""
        if any(p.volume_exact is None for p in self.pieces):
            return None
        return sympy.nsimplify(sum((p.volume_exact for p in self.pieces), sympy.Integer(0)))

    @property
    def volume(self) -> float:
        """The total ``(n-1)``-volume (float nearest to the exact value; ``inf``: unbounded)."""
        total = self.volume_exact
        return INF if total is None else float(total.evalf(30))

    def to_dict(self, list_pieces: bool = True) -> dict:
        """The JSON form of ``tropnet boundary``.

        Parameters
        ----------
        list_pieces : bool, default True
            List every piece and component.
        """
        total = self.volume_exact
        out: dict[str, Any] = {
            "threshold": self.arith.format(self.threshold), "domain": self.domain.describe(),
            "exact": self.arith.exact, "pieces": self.count,
            "components": len(self.components), "linear_pieces": self.linear_pieces,
            "flat_regions": len(self.flat), "activation_regions": len(self.regions),
            "volume": "inf" if total is None else self.volume,
            "volume_exact": None if total is None else str(total), **self.info}
        if list_pieces:
            out["piece_list"] = [p.to_dict(self.arith) for p in self.pieces]
            out["component_list"] = [list(c) for c in self.components]
        return out


def decision_boundary(net: Network, domain: Domain | str | None = None, threshold: Any = 0,
                      output: int | None = None, exact: bool | Arithmetic | None = None
                      ) -> DecisionBoundary:
    """The pieces of ``{x in domain : f(x) = threshold}`` for a scalar output ``f`` of ``net``.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        ``None``/``"rn"``, a box or a polytope (a `Domain` or text).
    threshold : number or str, default 0
        ``t``, a number or a rational string.
    output : int or None, default None
        The output of a network with several (0-based).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the report. Every decision is exact: float networks are analysed
        on the rationals their floats denote and the numbers reported as floats.

    Returns
    -------
    DecisionBoundary
        ``pieces`` (convex, ``(n-1)``-dimensional, one per activation region they lie in),
        ``components`` (connected components, closures meeting), ``linear_pieces``,
        ``flat`` regions, ``volume`` / ``volume_exact``.

    Examples
    --------
    >>> net = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4, "relu"),
    ...                              ([[1, -1, -1, 1]], [0], "identity")])   # f = x - y
    >>> bd = decision_boundary(net, "box:-1,1")
    >>> bd.count, len(bd.components), bd.linear_pieces   # the diagonal, cut at the origin
    (2, 1, 1)
    >>> bd.volume_exact
    2*sqrt(2)
    """
    if output is None:
        if net.output_dim != 1:
            raise TropnetError(f"the network has {net.output_dim} outputs: choose one "
                               f"(output=k, --output K)")
        output = 0
    if not 0 <= output < net.output_dim:
        raise TropnetError(f"output {output} does not exist (the network has "
                           f"{net.output_dim} outputs)")
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    try:
        t = EXACT.convert(threshold)
    except (TypeError, ValueError, OverflowError):
        raise TropnetError(f"threshold must be a number, got {threshold!r}") from None
    regions = activation_regions(net, read_in(dom, arith), "auto", EXACT)
    n = net.input_dim
    pieces: list[BoundaryPiece] = []
    flat: list[int] = []
    keys: list[tuple | None] = []
    for i, r in enumerate(regions.regions):
        w, b = r.weight[output], r.bias[output]
        if all(v == 0 for v in w):
            if b == t:
                flat.append(i)
            continue
        cell = r.cells[0]
        rhs = t - b
        piece = cell.add([w, [-v for v in w]], [rhs, -rhs])
        if piece.dimension() != n - 1:
            continue
        key = primitive([*w, rhs])
        pieces.append(_piece(i, piece, w, rhs))
        keys.append(key if _on_facet(cell, key) else None)
    pieces = _once(pieces, keys)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(pieces)))
    same = nx.Graph()
    same.add_nodes_from(range(len(pieces)))
    boxes = [_box(p.polyhedron) for p in pieces]
    for a, c in itertools.combinations(range(len(pieces)), 2):
        if _apart(boxes[a], boxes[c]) or not closures_meet(pieces[a].polyhedron,
                                                           pieces[c].polyhedron):
            continue
        graph.add_edge(a, c)
        ra, rc = regions.regions[pieces[a].region], regions.regions[pieces[c].region]
        if np.all(ra.weight[output] == rc.weight[output]) and \
                ra.bias[output] == rc.bias[output]:
            same.add_edge(a, c)
    comps = tuple(sorted(tuple(sorted(c)) for c in nx.connected_components(graph)))
    info = {} if arith.exact else {"decided": "exact"}
    if not arith.exact:
        regions = regions.converted(arith, dom)
    return DecisionBoundary(t, dom, tuple(pieces), comps,
                            nx.number_connected_components(same), tuple(flat), regions,
                            arith, info)


def _piece(region: int, piece: Polyhedron, w: np.ndarray, rhs: Any) -> BoundaryPiece:
    """The piece with a relative-interior point and its measures."""
    n = piece.n
    point = _relative_interior(piece, w, rhs)
    if not is_bounded(piece):
        return BoundaryPiece(region, piece, w, rhs, point, INF, None)
    k = max(range(n), key=lambda j: (abs(w[j]), -j))
    measure = volume(_projected(piece, w, rhs, k))
    ratio = sum(v * v for v in w) / (w[k] * w[k])
    exact = sympy.Rational(measure.numerator, measure.denominator) * sympy.sqrt(
        sympy.Rational(ratio.numerator, ratio.denominator))
    return BoundaryPiece(region, piece, w, rhs, point, measure, exact)


def _projected(piece: Polyhedron, w: np.ndarray, rhs: Any, k: int) -> Polyhedron:
    """The piece in the coordinates other than ``k`` (``x_k`` eliminated with ``w . x =
    rhs``): rows ``a . x <= b`` become ``(a_j - a_k w_j / w_k)_j x_j <= b - a_k rhs / w_k``."""
    others = [j for j in range(piece.n) if j != k]
    rows, rhss = [], []
    for a, b in zip(piece.A, piece.b, strict=True):
        f = a[k] / w[k]
        rows.append([a[j] - f * w[j] for j in others])
        rhss.append(b - f * rhs)
    return Polyhedron(np.array(rows, dtype=object).reshape(len(rows), len(others)),
                      np.array(rhss, dtype=object).reshape(-1), EXACT)


def _relative_interior(piece: Polyhedron, w: np.ndarray, rhs: Any) -> np.ndarray:
    """A point of the piece strictly inside every row not tight on all of it: one exact LP
    in the hyperplane (maximise ``s <= 1`` with ``a_i x + s ||a_i||_1 <= b_i`` for the rows
    not implied equal), then the point."""
    n = piece.n
    rows = piece.A[:-2]
    b = piece.b[:-2]
    # rows parallel to the hyperplane and tight on it are equalities of the piece
    norms = [sum(abs(v) for v in row) for row in rows]
    one, zero = Fraction(1), Fraction(0)
    eq_rows, eq_b, ub, ub_b = [list(w)], [rhs], [], []
    on = {primitive([*w, rhs]), primitive([*(-v for v in w), -rhs])}
    for row, bi, s in zip(rows, b, norms, strict=True):
        if s == 0:
            continue
        if primitive([*row, bi]) in on:
            eq_rows.append(list(row))
            eq_b.append(bi)
        else:
            ub.append([*row, s])
            ub_b.append(bi)
    ub.append([zero] * n + [one])
    ub_b.append(one)
    res = linprog([zero] * n + [one], np.array(ub, dtype=object), np.array(ub_b, dtype=object),
                  EXACT, A_eq=np.array([[*r, zero] for r in eq_rows], dtype=object),
                  b_eq=np.array(eq_b, dtype=object), maximize=True)
    return np.array(res.x[:n], dtype=object)


def _on_facet(cell: Polyhedron, key: tuple) -> bool:
    """The hyperplane ``key`` carries a row of the cell (either orientation)."""
    neg = tuple(-v for v in key)
    return any(primitive([*a, b]) in (key, neg) for a, b in zip(cell.A, cell.b, strict=True)
               if any(v != 0 for v in a))


def _once(pieces: list[BoundaryPiece], keys: list[tuple | None]) -> list[BoundaryPiece]:
    """Pieces lying on a facet between two regions appear from both sides: keep the first
    of every group of such pieces that overlap in dimension ``n - 1``."""
    out: list[BoundaryPiece] = []
    kept_keys: list[tuple | None] = []
    for p, key in zip(pieces, keys, strict=True):
        if key is not None:
            canon = max(key, tuple(-v for v in key))
            n = p.polyhedron.n
            if any(k == canon and q.polyhedron.intersect(p.polyhedron).dimension() == n - 1
                   for q, k in zip(out, kept_keys, strict=True)):
                continue
            key = canon
        out.append(p)
        kept_keys.append(key)
    return out


def _box(poly: Polyhedron) -> tuple[list, list] | None:
    """Exact bounding box of a bounded piece (``None`` when unbounded)."""
    g = generators(poly)
    if len(g.rays) or len(g.lines) or not len(g.points):
        return None
    return ([min(c) for c in zip(*g.points, strict=True)],
            [max(c) for c in zip(*g.points, strict=True)])


def _apart(a: tuple | None, b: tuple | None) -> bool:
    """The boxes are disjoint (closed), so the pieces do not meet."""
    if a is None or b is None:
        return False
    return any(hi1 < lo2 or hi2 < lo1
               for lo1, hi1, lo2, hi2 in zip(a[0], a[1], b[0], b[1], strict=True))

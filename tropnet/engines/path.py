"""Regions along a path: where a polyline crosses from one region of a network to the next.

A polyline through points ``x_0, ..., x_m`` is walked segment by segment, each segment
``x(t) = x_k + t (x_{k+1} - x_k)``, ``t in [0, 1]``. On a piece of the segment where the
earlier layers keep their pattern, every pre-activation is an affine function of ``t``;
the next place where a unit can change is the first root of a difference of its pieces
(``z`` itself for ReLU and leaky ReLU). Walking layer by layer gives the pieces exactly:
every number is a Fraction. Float networks are walked exactly on the rationals their floats
denote, and the breakpoints reported as floats.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, FLOAT, Arithmetic, all_rational, format_number
from ..errors import TropnetError
from ..network import Network, read_number

__all__ = ["PathPiece", "PathRegions", "regions_along"]

KINDS = ("activation", "linear")


@dataclass(frozen=True, eq=False)
class PathPiece:
    """One piece of the path inside one region: from ``start = (segment, t)`` to ``end``
    (points ``start_point``, ``end_point``), the region's activation ``pattern``
    (activation regions; ``None`` for linear regions, whose ``patterns`` lists the
    activation patterns met in order) and its affine map ``x -> weight @ x + bias``.

    ``on_boundary``: the piece runs inside the boundary between regions (a unit is
    identically at a tie along it, with a non-zero gradient); the pattern and map are then
    those of the tie rule of :meth:`tropnet.Layer.pattern` (ties inactive).

    Attributes
    ----------
    start, end : tuple
        ``(segment, t)`` where the piece starts and ends.
    start_point, end_point : ndarray
        The same as points.
    pattern : tuple or None
        The activation pattern (activation regions).
    weight, bias : ndarray
        The affine map ``x -> weight @ x + bias``.
    on_boundary : bool, default False
        The piece runs inside a boundary (above).
    patterns : tuple, default ()
        The activation patterns met (linear regions).
    """

    start: tuple[int, Any]
    end: tuple[int, Any]
    start_point: np.ndarray
    end_point: np.ndarray
    pattern: tuple | None
    weight: np.ndarray
    bias: np.ndarray
    on_boundary: bool = False
    patterns: tuple = ()

    def to_dict(self) -> dict:
        """The JSON form of the piece."""
        out: dict[str, Any] = {
            "start": {"segment": self.start[0], "t": format_number(self.start[1])},
            "end": {"segment": self.end[0], "t": format_number(self.end[1])},
            "start_point": [format_number(v) for v in self.start_point],
            "end_point": [format_number(v) for v in self.end_point],
            "affine_map": {"weight": [[format_number(v) for v in row] for row in self.weight],
                           "bias": [format_number(v) for v in self.bias]},
            "on_boundary": self.on_boundary}
        if self.pattern is not None:
            out["pattern"] = [list(p) for p in self.pattern]
        else:
            out["patterns"] = [[list(p) for p in pat] for pat in self.patterns]
        return out


@dataclass(frozen=True, eq=False)
class PathRegions:
    """The regions of ``kind`` met along a polyline, in order (:func:`regions_along`).

    Attributes
    ----------
    kind : str
        ``"activation"`` or ``"linear"``.
    points : ndarray
        The polyline's points.
    pieces : tuple of PathPiece
        The pieces, in order.
    arith : Arithmetic
        The arithmetic of the report.
    info : dict, default {}
        Further facts.
    """

    kind: str
    points: np.ndarray
    pieces: tuple[PathPiece, ...]
    arith: Arithmetic
    info: dict = field(default_factory=dict)

    @property
    def transitions(self) -> int:
        """The number of region changes along the path."""
        return len(self.pieces) - 1

    @property
    def breakpoints(self) -> list[tuple[int, Any, np.ndarray]]:
        """``(segment, t, point)`` where the path enters a new region (the start of every
        piece but the first)."""
        return [(p.start[0], p.start[1], p.start_point) for p in self.pieces[1:]]

    def __len__(self) -> int:
        return len(self.pieces)

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet path``."""
        return {"kind": self.kind, "exact": self.arith.exact,
                "points": [[format_number(v) for v in p] for p in self.points],
                "regions": len(self.pieces), "transitions": self.transitions,
                "breakpoints": [{"segment": s, "t": format_number(t),
                                 "point": [format_number(v) for v in x]}
                                for s, t, x in self.breakpoints],
                "pieces": [p.to_dict() for p in self.pieces], **self.info}


def regions_along(net: Network, points: Sequence[Sequence[Any]], kind: str = "activation",
                  exact: bool | Arithmetic | None = None) -> PathRegions:
    """The regions a polyline through ``points`` crosses, with the exact breakpoints.

    ``kind="activation"``: one piece per activation region met (Serra et al.: one
    activation pattern); ``"linear"``: consecutive pieces with the same affine map merged
    (a linear region is a set on which the map is affine; a path may leave one and
    re-enter it later, which counts as two pieces). Each piece carries the affine map of
    the network on it. The standard "transitions along a trajectory" of expressivity
    studies is :attr:`PathRegions.transitions`.

    Parameters
    ----------
    net : Network
        The network.
    points : sequence of sequence of numbers
        Two or more points of ``R^n`` (a segment is two points); numbers, rational
        strings (``"1/3"``) or Fractions.
    kind : {"activation", "linear"}, default "activation"
        The regions (above).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the report; ``None``: exact iff the network and the points are
        rational. The walk is always exact: in float mode on the rationals the floats
        denote, and the results are rounded to floats.

    Examples
    --------
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])       # |x|
    >>> path = regions_along(net, [[-1], [1]])
    >>> path.transitions, path.breakpoints[0][:2]
    (1, (0, Fraction(1, 2)))
    >>> [p.weight.tolist() for p in path.pieces]
    [[[Fraction(-1, 1)]], [[Fraction(1, 1)]]]

    Notes
    -----
    Per piece, one pass through the layers: ``O(sum of layer sizes x n)`` exact operations,
    and one pass more for every breakpoint. Where several units switch at one point, there
    is one breakpoint; where a unit is identically at a tie along a piece the piece is
    marked ``on_boundary``.
    """
    if kind not in KINDS:
        raise TropnetError(f"unknown region kind {kind!r} (expected activation or linear)")
    pts = _read_points(points, net.input_dim)
    if exact is None:
        exact = net.exact_input and all(all_rational(p) for p in points)
    arith = exact if isinstance(exact, Arithmetic) else EXACT if exact else FLOAT
    xs = [np.array(p, dtype=object) for p in pts]
    pieces: list[_Raw] = []
    used = 0
    for k, (p, q) in enumerate(itertools.pairwise(xs)):
        if all(a == b for a, b in zip(p, q, strict=True)):
            continue  # a repeated point
        used += 1
        for raw in _segment(net, k, p, q - p):
            if pieces and _same(pieces[-1], raw, kind):
                pieces[-1] = pieces[-1].extended(raw)
            else:
                pieces.append(raw)
    if not used:
        raise TropnetError("the path has length zero: give at least two different points")
    out = tuple(r.piece(kind, xs, arith) for r in pieces)
    info = {} if arith.exact else {"decided": "exact"}
    return PathRegions(kind, np.array([arith.vector(p) for p in xs]), out, arith, info)


# -- the walk ----------------------------------------------------------------------------------

@dataclass
class _Raw:
    """A piece in exact numbers, before merging and conversion."""

    start: tuple[int, Fraction]
    end: tuple[int, Fraction]
    patterns: list[tuple]
    J: np.ndarray
    c: np.ndarray
    boundary: bool

    def extended(self, other: _Raw) -> _Raw:
        pats = self.patterns + [p for p in other.patterns if p != self.patterns[-1]]
        return _Raw(self.start, other.end, pats, self.J, self.c,
                    self.boundary or other.boundary)

    def piece(self, kind: str, xs: list[np.ndarray], arith: Arithmetic) -> PathPiece:
        def at(pos: tuple[int, Fraction]) -> np.ndarray:
            s, t = pos
            return arith.vector(xs[s] + t * (xs[s + 1] - xs[s]))

        conv = arith.convert
        return PathPiece((self.start[0], conv(self.start[1])), (self.end[0], conv(self.end[1])),
                         at(self.start), at(self.end),
                         self.patterns[0] if kind == "activation" else None,
                         arith.array(self.J), arith.array(self.c), self.boundary,
                         tuple(self.patterns))


def _same(a: _Raw, b: _Raw, kind: str) -> bool:
    """Consecutive pieces in one region: the same pattern (and boundary status), or for
    linear regions the same affine map."""
    if kind == "activation":
        return a.patterns[-1] == b.patterns[0] and a.boundary == b.boundary
    return bool(np.all(a.J == b.J) and np.all(a.c == b.c))


def _segment(net: Network, k: int, p: np.ndarray, d: np.ndarray) -> list[_Raw]:
    """The pieces of segment ``k`` (``p + t d``, ``t in [0, 1]``), exactly."""
    out: list[_Raw] = []
    t = Fraction(0)
    n = net.input_dim
    while t < 1:
        J, c = EXACT.eye(n), EXACT.zeros(n)
        hi = Fraction(1)
        pats: list[tuple] = []
        boundary = False
        for layer in net.layers:
            W, b = layer.params(EXACT)
            Z, zc = W.dot(J), W.dot(c) + b
            alpha, beta = Z.dot(p) + zc, Z.dot(d)
            act = layer.act
            if act.patterned:
                for g0, g1, _ in _switches(act, layer.out_dim, alpha, beta, Z):
                    if g1 != 0:
                        root = -g0 / g1
                        if t < root < hi:
                            hi = root
            mid = (t + hi) / 2
            pat = layer.pattern(alpha + beta * mid)
            if act.patterned:
                boundary |= _on_tie(act, pat, alpha, beta, Z, mid)
            D = layer.pattern_matrix(pat, EXACT)
            J, c = D.dot(Z), D.dot(zc)
            pats.append(tuple(pat))
        raw = _Raw((k, t), (k, hi), [tuple(pats)], J, c, boundary)
        if out and out[-1].patterns[-1] == raw.patterns[0] and out[-1].boundary == boundary:
            out[-1] = out[-1].extended(raw)  # a root of two pieces that were not maximal
        else:
            out.append(raw)
        t = hi
    return out


def _switches(act: Any, units: int, alpha: np.ndarray, beta: np.ndarray, Z: np.ndarray
              ) -> list[tuple[Any, Any, np.ndarray]]:
    """``(g0, g1, G)`` for every pair of pieces of every unit: their difference is
    ``g0 + g1 t`` along the segment, with gradient ``G`` in ``x``."""
    k = act.rank
    pieces = act.pieces()
    out = []
    for u in range(units):
        vals = [(s * alpha[u * k + o], s * beta[u * k + o], s * Z[u * k + o]) for o, s in pieces]
        for (a0, a1, A), (b0, b1, B) in itertools.combinations(vals, 2):
            out.append((a0 - b0, a1 - b1, A - B))
    return out


def _on_tie(act: Any, pat: Sequence[int], alpha: np.ndarray, beta: np.ndarray, Z: np.ndarray,
            mid: Fraction) -> bool:
    """Some unit's chosen piece ties with another piece all along the piece of the segment
    (their difference vanishes at its midpoint, and has no root inside it), while their
    gradients differ: the path runs in the boundary of the region."""
    k = act.rank
    pieces = act.pieces()
    for u, r in enumerate(pat):
        o_r, s_r = pieces[r]
        top = s_r * (alpha[u * k + o_r] + beta[u * k + o_r] * mid)
        for q, (o, s) in enumerate(pieces):
            if q != r and s * (alpha[u * k + o] + beta[u * k + o] * mid) == top \
                    and np.any(s * Z[u * k + o] != s_r * Z[u * k + o_r]):
                return True
    return False


def _read_points(points: Any, n: int) -> list[list[Fraction]]:
    """The points as exact Fractions (a float as the rational it denotes)."""
    try:
        rows = [list(p) for p in points]
    except TypeError:
        raise TropnetError("points must be a list of points (lists of numbers)") from None
    if len(rows) < 2:
        raise TropnetError(f"a path needs at least two points, got {len(rows)}")
    out = []
    for i, row in enumerate(rows):
        if len(row) != n:
            raise TropnetError(f"point {i} has {len(row)} coordinates, the network has "
                               f"{n} inputs")
        out.append([read_number(v, f"point {i}")[0] for v in row])
    return out

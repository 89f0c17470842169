"""The exact geometry of one activation pattern: its polyhedron, affine map and interior point.

A pattern fixes, for every unit, which piece of its activation is the first maximal one
(:meth:`tropnet.Layer.pattern`). Layer by layer, on the set where the earlier layers have
their patterns, the pre-activation is an affine map ``x -> Z x + zc`` and a layer's
pattern is a set of linear inequalities in ``x`` (:func:`pattern_rows`): for an activation
with two pieces on one row (ReLU, leaky ReLU), the side of the hyperplane ``z = 0``; for
any other, "the chosen piece is at least every other piece". A :class:`PatternNode` holds
the result for the first layers: polyhedron, the affine map of the last layer's output and
an interior point, each decided in the caller's arithmetic (exact LPs through cdd in exact
mode).

These are the exact pieces that the MILP counting (:mod:`tropnet.milp.count`) and MIPBound
use to *confirm* every pattern a float solver proposes: a pattern counts when its
polyhedron has an interior point at which the network has that very pattern.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..activations import Activation
from ..arithmetic import EXACT, Arithmetic, Ball, resolve, warn_near_degenerate
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..network import Layer, Network
from ..polyhedra import Polyhedron
from .result import Region

__all__ = [
    "PatternNode",
    "certified_regions",
    "certify_points",
    "child_node",
    "extend_node",
    "finish_node",
    "line_patterns",
    "node_region",
    "pattern_cell",
    "pattern_polyhedron",
    "pattern_row_count",
    "pattern_rows",
    "pre_activation",
    "read_in",
    "region_of_pattern",
    "root_node",
    "strict_pattern",
    "walk_pattern",
    "warn_exact_fallback",
    "warn_small_margin",
]


@dataclass(frozen=True, eq=False)
class PatternNode:
    """A full-dimensional region of the first layers: its pattern (one tuple per layer),
    polyhedron, the affine map ``x -> J x + c`` of the last included layer's output, and an
    interior point. ``partial`` holds the pattern entries already fixed in the next layer
    (when a wide layer is handled in parts).

    Attributes
    ----------
    pattern : tuple
        The pattern of the layers included, one tuple per layer.
    poly : Polyhedron
        The node's polyhedron.
    J : ndarray
        The matrix of the affine map ``x -> J x + c`` of the last included layer's output.
    c : ndarray
        Its offset.
    point : ndarray
        An interior point.
    partial : tuple, default ()
        The pattern entries already fixed in the next layer.
    """

    pattern: tuple
    poly: Polyhedron
    J: np.ndarray
    c: np.ndarray
    point: np.ndarray
    partial: tuple = ()


def root_node(net: Network, dom: Domain, arith: Arithmetic) -> PatternNode:
    """The node of no layer: the domain's polyhedron, the identity map and an interior
    point of the domain.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        A resolved domain.
    arith : Arithmetic
        The arithmetic.
    """
    poly = dom.polyhedron(arith)
    found = poly.interior_point()
    if found is None:  # pragma: no cover - resolved domains have interiors
        raise TropnetError("the domain has an empty interior")
    n = net.input_dim
    return PatternNode((), poly, arith.eye(n), arith.zeros(n), found[0])


def pre_activation(layer: Layer, node: PatternNode, arith: Arithmetic
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``(Z, zc)``: the layer's pre-activation ``Z x + zc`` on the node.

    Parameters
    ----------
    layer : Layer
        The next layer.
    node : PatternNode
        The node it reads.
    arith : Arithmetic
        The arithmetic.
    """
    W, b = layer.params(arith)
    return W.dot(node.J), W.dot(node.c) + b


def _scaled(s: Any, v: Any, arith: Arithmetic) -> Any:
    """``s v`` for a piece's slope ``s`` (``v`` itself when ``s = 1``)."""
    return v if s == 1 else arith.convert(s) * v


def _pieces(act: Activation, u: int, v: np.ndarray, arith: Arithmetic) -> list:
    """``s v[u k + o]`` for every piece ``(o, s)`` of unit ``u`` (``v``: the pre-activation
    values, or the rows of its matrix)."""
    k = act.rank
    return [_scaled(s, v[u * k + o], arith) for o, s in act.pieces()]


def pattern_rows(layer: Layer, Z: np.ndarray, zc: np.ndarray, pattern: Sequence[int],
                 arith: Arithmetic) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``A x <= b`` of the set where the layer (pre-activation ``Z x + zc``) has
    ``pattern`` (closed: ties on the boundary). Two pieces on one row: ``z <= 0`` or
    ``z >= 0``; otherwise the chosen piece is at least every other piece of its unit.

    Parameters
    ----------
    layer : Layer
        The layer.
    Z, zc : ndarray
        Its pre-activation ``Z x + zc``.
    pattern : sequence of int
        The layer's pattern.
    arith : Arithmetic
        The arithmetic.
    """
    n = Z.shape[1]
    act = layer.act
    A: list = []
    b: list = []
    if act.hyperplane:
        for i, s in enumerate(pattern):
            if s:
                A.append(-Z[i])
                b.append(zc[i])
            else:
                A.append(Z[i])
                b.append(-zc[i])
    elif act.patterned:
        for u, r in enumerate(pattern):
            rows, consts = _pieces(act, u, Z, arith), _pieces(act, u, zc, arith)
            for q in range(len(rows)):
                if q != r:
                    A.append(rows[q] - rows[r])
                    b.append(consts[r] - consts[q])
    if not A:
        return arith.zeros((0, n)), arith.zeros(0)
    return np.array(A, dtype=Z.dtype).reshape(-1, n), np.array(b, dtype=zc.dtype)


def pattern_row_count(layer: Layer) -> int:
    """The number of rows :func:`pattern_rows` gives for ``layer``.

    Parameters
    ----------
    layer : Layer
        The layer.
    """
    if layer.act.hyperplane:
        return layer.units
    if layer.act.patterned:
        return layer.out_dim * (len(layer.act.pieces()) - 1)
    return 0


def child_node(layer: Layer, node: PatternNode, pattern: tuple, arith: Arithmetic,
               point: np.ndarray | None = None) -> PatternNode | None:
    """The node of ``node``'s region where ``layer`` has ``pattern``, if that set has a
    non-empty interior (``point``: a known interior point, skipping the LP).

    Parameters
    ----------
    layer : Layer
        The next layer.
    node : PatternNode
        The parent node.
    pattern : tuple
        The layer's pattern.
    arith : Arithmetic
        The arithmetic.
    point : ndarray or None, default None
        A known interior point of the child, skipping the LP.
    """
    Z, zc = pre_activation(layer, node, arith)
    part = extend_node(layer, node, Z, zc, pattern, arith, point)
    return None if part is None else finish_node(layer, part, arith, (Z, zc))


def extend_node(sub: Layer, node: PatternNode, Z: np.ndarray, zc: np.ndarray,
                pattern: tuple, arith: Arithmetic, point: np.ndarray | None = None
                ) -> PatternNode | None:
    """The node where the units of ``sub`` (a part of the next layer, pre-activation
    ``Z x + zc``) have ``pattern``, if that set has a non-empty interior and the network
    has ``pattern`` at the interior point found; the affine map is kept until the layer
    is complete (:func:`finish_node`).

    Parameters
    ----------
    sub : Layer
        A part of the next layer.
    node : PatternNode
        The parent node.
    Z, zc : ndarray
        The pre-activation ``Z x + zc`` of ``sub`` on the node.
    pattern : tuple
        The pattern of ``sub``'s units.
    arith : Arithmetic
        The arithmetic.
    point : ndarray or None, default None
        A known interior point, skipping the LP and the pattern check.
    """
    A, b = pattern_rows(sub, Z, zc, pattern, arith)
    poly = Polyhedron(np.concatenate([node.poly.A, A]), np.concatenate([node.poly.b, b]),
                      arith)
    if point is None:
        found = poly.interior_point()
        if found is None:
            return None
        point = found[0]
        if sub.pattern(Z.dot(point) + zc) != pattern:
            return None  # an "active" unit identically zero here, or a maxout tie
    return PatternNode(node.pattern, poly, node.J, node.c, point,
                       node.partial + tuple(pattern))


def finish_node(layer: Layer, node: PatternNode, arith: Arithmetic,
                pre: tuple[np.ndarray, np.ndarray] | None = None) -> PatternNode:
    """Close a layer whose pattern is complete in ``node.partial`` (``pre``: the layer's
    pre-activation map on the node, when known): the map becomes the layer's output.

    Parameters
    ----------
    layer : Layer
        The layer being closed.
    node : PatternNode
        The node, its pattern for the layer in ``node.partial``.
    arith : Arithmetic
        The arithmetic.
    pre : tuple of ndarray or None, default None
        The layer's pre-activation ``(Z, zc)`` on the node, when known.
    """
    Z, zc = pre_activation(layer, node, arith) if pre is None else pre
    D = layer.pattern_matrix(node.partial, arith)
    return PatternNode((*node.pattern, node.partial), node.poly, D.dot(Z), D.dot(zc),
                       node.point)


def walk_pattern(net: Network, root: PatternNode, pattern: tuple | None, arith: Arithmetic
                 ) -> PatternNode | None:
    """The node of a whole-network ``pattern`` (confirmed layer by layer), or ``None`` when
    its region has an empty interior; ``pattern=None`` follows the pattern at the root's
    point (for networks without binaries).

    Parameters
    ----------
    net : Network
        The network.
    root : PatternNode
        The node of no layer (`root_node`).
    pattern : tuple or None
        One tuple per layer, or ``None``.
    arith : Arithmetic
        The arithmetic.
    """
    node: PatternNode | None = root
    for idx, layer in enumerate(net.layers):
        if pattern is None or not layer.act.patterned:
            Z, zc = pre_activation(layer, node, arith)
            pat = layer.pattern(Z.dot(node.point) + zc) if pattern is None else ()
            node = child_node(layer, node, pat, arith, node.point)
        else:
            node = child_node(layer, node, tuple(pattern[idx]), arith)
        if node is None:
            return None
    return node


def strict_pattern(layer: Layer, pre: np.ndarray, arith: Arithmetic) -> tuple | None:
    """The layer's pattern at a point whose pre-activation is ``pre`` when no unit is at
    a tie there (so the point is interior to that pattern's set; ties are decided by
    ``arith``), else ``None``.

    Parameters
    ----------
    layer : Layer
        The layer.
    pre : ndarray
        The pre-activation at the point.
    arith : Arithmetic
        The arithmetic deciding ties.
    """
    act = layer.act
    if act.hyperplane:
        vals = arith.asarray(pre)
        if np.any(arith.sign(vals, _scale(vals)) == 0):
            return None
        return layer.pattern(pre)
    if not act.patterned:
        return ()
    pat = layer.pattern(pre)
    diffs = []
    for u, r in enumerate(pat):
        at = _pieces(act, u, pre, arith)
        diffs += [at[r] - v for q, v in enumerate(at) if q != r]
    if diffs:
        vals = arith.asarray(diffs)
        if np.any(arith.sign(vals, _scale(arith.asarray(pre))) <= 0):
            return None
    return pat


def line_patterns(layer: Layer, node: PatternNode, Z: np.ndarray, zc: np.ndarray,
                  arith: Arithmetic, rng: np.random.Generator, lines: int
                  ) -> list[tuple[tuple, np.ndarray]]:
    """Patterns of ``layer`` met by random lines through ``node``, with a point strictly
    inside each (the first line through the node's interior point, the next ones through
    points found before, as in hit-and-run): the segment of the line inside the node's
    polyhedron is cut at every point where a unit of ``layer`` changes (a hyperplane, or a
    tie of two pieces); the midpoint of each piece lies strictly inside one child, which is
    then known without an LP.

    Parameters
    ----------
    layer : Layer
        The next layer.
    node : PatternNode
        The node the lines go through.
    Z, zc : ndarray
        The layer's pre-activation ``Z x + zc`` on the node.
    arith : Arithmetic
        The arithmetic.
    rng : numpy.random.Generator
        Draws the directions.
    lines : int
        The number of lines.
    """
    if lines <= 0:
        return []
    n = node.J.shape[1]
    A, b, x0 = node.poly.A, node.poly.b, node.point
    nonzero = np.array([any(v != 0 for v in row) for row in A], dtype=bool)
    out: list[tuple[tuple, np.ndarray]] = []
    for _ in range(lines):
        if out:  # hit-and-run: the next line goes through a point found so far
            x0 = out[int(rng.integers(len(out)))][1]
        d = rng.integers(-4, 5, size=n)
        if not d.any():
            d[rng.integers(n)] = 1
        d = arith.vector(d)
        Ad, slack = A.dot(d), b - A.dot(x0)
        lo, hi = None, None
        for i in np.flatnonzero(nonzero):
            if Ad[i] > 0:
                t = slack[i] / Ad[i]
                hi = t if hi is None or t < hi else hi
            elif Ad[i] < 0:
                t = slack[i] / Ad[i]
                lo = t if lo is None or t > lo else lo
        if lo is None or hi is None or not lo < hi:
            continue
        g0, gd = Z.dot(x0) + zc, Z.dot(d)
        cuts = _crossings(layer, g0, gd, arith)
        ts = sorted({t for t in cuts if lo < t < hi})
        bounds = [lo, *ts, hi]
        for t1, t2 in itertools.pairwise(bounds):
            point = x0 + ((t1 + t2) / 2) * d
            if not _strictly_inside(node.poly, point, nonzero, arith):
                continue
            pat = strict_pattern(layer, Z.dot(point) + zc, arith)
            if pat is not None:
                out.append((pat, point))
    return out


def _crossings(layer: Layer, g0: np.ndarray, gd: np.ndarray, arith: Arithmetic) -> list:
    """Parameters ``t`` where a unit's pattern can change along ``g0 + t gd``."""
    act = layer.act
    if act.hyperplane:
        return [-g0[i] / gd[i] for i in range(len(g0)) if gd[i] != 0]
    out = []
    for u in range(layer.out_dim):
        at0, slope = _pieces(act, u, g0, arith), _pieces(act, u, gd, arith)
        for r, q in itertools.combinations(range(len(at0)), 2):
            if slope[r] != slope[q]:
                out.append(-(at0[r] - at0[q]) / (slope[r] - slope[q]))
    return out


def _strictly_inside(poly: Polyhedron, point: np.ndarray, nonzero: np.ndarray,
                     arith: Arithmetic) -> bool:
    slack = poly.slacks(point)[nonzero]
    if len(slack) == 0:
        return True
    return bool(np.all(arith.sign(slack, _scale(poly.b)) > 0))


def _scale(vals: np.ndarray) -> float:
    """``max(1, max |v|)``: the size against which float signs of ``vals`` are decided."""
    return max(1.0, float(np.max(np.abs(np.asarray(vals, dtype=float))))) if len(vals) else 1.0


def node_region(net: Network, node: PatternNode, arith: Arithmetic) -> Region:
    """The :class:`Region` of a whole-network node (its map read off the network at the
    node's point, which must have the node's pattern).

    Parameters
    ----------
    net : Network
        The network.
    node : PatternNode
        A node of every layer.
    arith : Arithmetic
        The arithmetic.
    """
    J, c, pats = net.affine_map(node.point, arith)
    if tuple(pats) != tuple(node.pattern):  # pragma: no cover - a bug, not bad input
        raise RuntimeError(f"internal error: pattern {node.pattern} confirmed but the network "
                           f"has pattern {pats} at its interior point")
    return Region((node.poly,), J, c, node.point, tuple(node.pattern))


def read_in(domain: Domain, arith: Arithmetic) -> Domain:
    """The domain with its numbers as ``arith`` reads them, as exact Fractions (float mode:
    the binary rationals of the rounded bounds), so that exact checks of a float
    computation see the float computation's domain.

    Parameters
    ----------
    domain : Domain
        The domain.
    arith : Arithmetic
        The arithmetic of the computation.
    """
    if arith.exact or domain.kind == "rn":
        return domain

    def f(v: Any) -> Fraction:
        return Fraction(float(v))

    if domain.kind == "box":
        return replace(domain, lo=tuple(map(f, domain.lo or ())),
                       hi=tuple(map(f, domain.hi or ())))
    return replace(domain, A=tuple(tuple(map(f, row)) for row in domain.A or ()),
                   b=tuple(map(f, domain.b or ())))


def pattern_polyhedron(net: Network, pattern: Sequence[Sequence[int]],
                       domain: Domain | str | None, exact: bool | Arithmetic | None = None
                       ) -> Polyhedron:
    """The closed polyhedron ``{x in domain : the pre-activations have the signs (ReLU/
    leaky) or maxima (maxout) of pattern}`` (its interior is the pattern's region when the
    pattern is realised).

    Parameters
    ----------
    net : Network
        The network.
    pattern : sequence of sequence of int
        One tuple per layer.
    domain : Domain, str or None
        The domain; ``None`` is ``R^n``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the network is rational.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1]], [0], "relu"), ([[1]], [0], "identity")])
    >>> pattern_polyhedron(net, ((1,), ()), "box:-1,1").contains([-1])
    False
    """
    return pattern_cell(net, pattern, domain, exact)[0]


def pattern_cell(net: Network, pattern: Sequence[Sequence[int]],
                 domain: Domain | str | None, exact: bool | Arithmetic | None = None
                 ) -> tuple[Polyhedron, np.ndarray, np.ndarray]:
    """:func:`pattern_polyhedron` and the affine map ``x -> J x + c`` of the network on it.

    Parameters
    ----------
    net : Network
        The network.
    pattern : sequence of sequence of int
        One tuple per layer.
    domain : Domain, str or None
        The domain; ``None`` is ``R^n``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the network is rational.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[2]], [1], "relu"), ([[3]], [0], "identity")])
    >>> _, J, c = pattern_cell(net, ((1,), ()), None)
    >>> J.tolist(), c.tolist()                       # 3 (2x + 1)
    ([[Fraction(6, 1)]], [Fraction(3, 1)])
    """
    arith = resolve(exact, net)
    dom = parse_domain(domain, net.input_dim)
    n = net.input_dim
    node = PatternNode((), dom.polyhedron(arith), arith.eye(n), arith.zeros(n), arith.zeros(n))
    for layer, pat in zip(net.layers, pattern, strict=True):
        Z, zc = pre_activation(layer, node, arith)
        A, b = pattern_rows(layer, Z, zc, tuple(pat), arith)
        D = layer.pattern_matrix(tuple(pat), arith)
        node = PatternNode((), node.poly.add(A, b) if len(A) else node.poly, D.dot(Z),
                           D.dot(zc), node.point)
    return node.poly, node.J, node.c


def region_of_pattern(net: Network, pattern: Sequence[Sequence[int]],
                      domain: Domain | str | None, exact: bool | Arithmetic | None = None
                      ) -> Region | None:
    """The activation region of ``pattern`` on ``domain`` as a :class:`Region`, or
    ``None`` when it has an empty interior (decided exactly in exact arithmetic).

    Parameters
    ----------
    net : Network
        The network.
    pattern : sequence of sequence of int
        One tuple per layer.
    domain : Domain, str or None
        The domain; ``None`` is ``R^n``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the network is rational.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> region_of_pattern(net, ((1, 1), ()), "box:-1,1") is None   # x > 0 and -x > 0
    True
    """
    arith = resolve(exact, net)
    dom = parse_domain(domain, net.input_dim)
    node: PatternNode | None = root_node(net, dom, arith)
    for layer, pat in zip(net.layers, pattern, strict=True):
        node = child_node(layer, node, tuple(pat), arith)
        if node is None:
            return None
    return node_region(net, node, arith)


def warn_exact_fallback() -> None:
    """Warn that a float engine met a sign within its round-off bound and decided it
    exactly (engines say it once per run)."""
    warn_near_degenerate(
        "a sign was within the float round-off bound and was decided in exact arithmetic: "
        "the count is exact for the float weights as given, but the network is (nearly) "
        "degenerate and a perturbation of its weights could change it")


def warn_small_margin(worst: float) -> None:
    """Warn that a float engine decided a sign whose relative margin was only ``worst``.

    Parameters
    ----------
    worst : float
        The smallest relative margin met.
    """
    warn_near_degenerate(
        f"a region's sign had a relative margin of {worst:.3g}: the count is exact for the "
        f"float weights as given, but a perturbation of the weights of that relative size "
        f"could change it")


def certified_regions(net: Network, regions: Sequence[Region], domain: Domain,
                      arith: Arithmetic, fallbacks: int) -> tuple[tuple[Region, ...], dict]:
    """The regions of an engine with their points checked by :func:`certify_points`, and the
    ``info`` of the run: ``exact_fallbacks`` in float mode, and the corrections made (with a
    warning; none unless the engine went wrong).

    Parameters
    ----------
    net : Network
        The network.
    regions : sequence of Region
        The engine's activation regions.
    domain : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic the regions were computed in.
    fallbacks : int
        The signs the engine decided exactly (float mode).
    """
    checked, moved, dropped = certify_points(net, regions, domain, arith)
    info: dict = {} if arith.exact else {"exact_fallbacks": fallbacks}
    if moved or dropped:  # an engine went wrong: say so, the regions are corrected
        info.update(points_replaced=moved, regions_dropped=dropped)
        warn_near_degenerate(f"{moved} interior points were not strictly inside their "
                             f"regions and {dropped} regions were empty, checked exactly; "
                             f"both were corrected")
    return checked, info


def certify_points(net: Network, regions: Sequence[Region], domain: Domain,
                   arith: Arithmetic) -> tuple[tuple[Region, ...], int, int]:
    """Check that every region's interior point lies strictly inside the domain and has the
    region's pattern strictly (no unit at a tie), exactly: in ball arithmetic for all points
    at once, and again in exact arithmetic where a ball is not conclusive.

    A region whose point fails gets an exact interior point of its pattern; a pattern with
    an empty interior is dropped. Returns the regions, the number of points replaced and the
    number of regions dropped (both 0 unless an engine went wrong). Exact mode returns the
    regions unchanged: its engines produce exact interior points.

    Parameters
    ----------
    net : Network
        The network.
    regions : sequence of Region
        Activation regions with their patterns and interior points.
    domain : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic the regions were computed in.
    """
    if arith.exact or not regions:
        return tuple(regions), 0, 0
    dom = read_in(domain, arith)
    pts = np.array([np.asarray(r.interior_point, dtype=float) for r in regions])
    ok = _ball_check(net, pts, [r.pattern for r in regions], dom)
    out, moved, dropped = [], 0, 0
    for r, good in zip(regions, ok, strict=True):
        if good or _exact_check(net, r.interior_point, r.pattern, dom):
            out.append(r)
            continue
        found = region_of_pattern(net, r.pattern, dom, EXACT)
        if found is None:
            dropped += 1
            continue
        moved += 1
        point = arith.array(found.interior_point)
        if not _exact_check(net, point, r.pattern, dom):
            point = found.interior_point  # thinner than float resolution: keep it exact
        out.append(replace(r, interior_point=point))
    return tuple(out), moved, dropped


def _ball_check(net: Network, pts: np.ndarray, patterns: Sequence[tuple], dom: Domain
                ) -> np.ndarray:
    """Per point: certainly strictly inside ``dom`` with the pattern strictly (False: not
    decided in balls)."""
    x = Ball.of(pts)
    ok = np.ones(len(pts), dtype=bool)
    if dom.kind != "rn":
        poly = dom.polyhedron(EXACT)
        slack = Ball.of(poly.b)[None, :] - x @ Ball.of(poly.A).T
        ok &= (slack.signs() == 1).all(axis=1)
    h = x
    for index, layer in enumerate(net.layers):
        W, b = layer.params(EXACT)
        z = (h @ Ball.of(W).T) + Ball.of(b)[None, :]
        act = layer.act
        pieces = act.pieces()
        k = act.rank
        units = layer.out_dim
        vals = []
        for off, s in pieces:
            cols = np.arange(units) * k + off
            v = z[:, cols]
            vals.append(v if s == 1 else v * Ball.of(np.array([[s]], dtype=object)))
        if not act.patterned:
            h = vals[0]
            continue
        chosen = np.array([p[index] for p in patterns], dtype=np.int64)  # (N, units)
        mid = np.stack([v.mid for v in vals])
        rad = np.stack([v.rad for v in vals])
        pick = Ball(np.take_along_axis(mid, chosen[None], 0)[0],
                    np.take_along_axis(rad, chosen[None], 0)[0])
        for r, v in enumerate(vals):
            gap = (pick - v).signs()
            ok &= ((gap == 1) | (chosen == r)).all(axis=1)
        h = pick
    return ok


def _exact_check(net: Network, point: Any, pattern: tuple, dom: Domain) -> bool:
    """The exact version of :func:`_ball_check` for one point, where a tie is allowed when it
    holds identically near the point (tied pieces with equal gradients on the region, such
    as a unit that is zero behind dead units): the point is then still interior."""
    x = EXACT.vector(point)
    if dom.kind != "rn" and not dom.polyhedron(EXACT).contains(x, strict=True):
        return False
    J, c = EXACT.eye(len(x)), EXACT.zeros(len(x))
    for layer, pat in zip(net.layers, pattern, strict=True):
        W, b = layer.params(EXACT)
        Z, zc = W.dot(J), W.dot(c) + b
        pre = Z.dot(x) + zc
        if layer.pattern(pre) != tuple(pat):
            return False
        act = layer.act
        for u in range(layer.out_dim if act.patterned else 0):
            rows = [(s, u * act.rank + o) for o, s in act.pieces()]
            vals = [s * pre[i] for s, i in rows]
            top = max(vals)
            tied = [r for r, v in enumerate(vals) if v == top]
            if len(tied) > 1 and any(np.any(rows[r][0] * Z[rows[r][1]]
                                            != rows[tied[0]][0] * Z[rows[tied[0]][1]])
                                     for r in tied[1:]):
                return False
        D = layer.pattern_matrix(tuple(pat), EXACT)
        J, c = D.dot(Z), D.dot(zc)
    return True

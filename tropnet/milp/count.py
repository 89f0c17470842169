"""Exact counting of activation regions with the MILP (Serra et al. 2018, Section 5).

An activation region is the set of inputs of the (bounded) domain sharing one activation
pattern, counted when it has a non-empty interior (the package's convention of
:meth:`tropnet.Layer.pattern`: a ReLU/leaky unit is 1 where its pre-activation is ``> 0``,
a maxout unit records its first maximal piece). Formulation P of Serra et al. maximises the
smallest margin ``f`` of the active units; every pattern with ``f > 0`` is enumerated by
re-solving with a no-good cut on the binaries of each pattern found (HiGHS, like every
solver reachable through cvxpy, has no solution pool).

Two strategies, both ending with a MILP that proves no pattern is left:

* ``"layerwise"`` (default): decompose formulation P by fixing the binaries layer by layer.
  At a node (a full-dimensional region of the first ``l`` layers, with its polyhedron and
  affine map), a small MILP over layer ``l``'s binaries on that polyhedron enumerates the
  node's children with no-good cuts; each verified child becomes a node of the next layer.
  The first child is the pattern at the node's interior point when that point is strictly
  inside it (no solve needed); optionally (``seed_lines``) more children are read off
  random lines through the node, a heuristic that only saves solves. Each MILP is
  compiled once per layer (its data are cvxpy parameters) and re-solved for every node.
* ``"global"``: the plain formulation P of the whole network with a no-good cut on all the
  binaries per pattern (the original method; slower, as every solve carries every cut).

Exactness. The MILP is solved in floating point, so every pattern it proposes is
*confirmed*: the pattern's H-representation (domain rows and one row per unit) is tested
for an interior point with :meth:`tropnet.polyhedra.Polyhedron.interior_point` (an exact
cdd LP when the arithmetic is exact), and the network's pattern at that interior point must
equal the proposed pattern (this rejects patterns whose "active" unit is identically zero on
the polyhedron, and maxout ties). Rejected patterns get a no-good cut like the others, so no
pattern is proposed twice and none is counted twice.

Tolerance. Nothing is decided by the sign of the float margin ``f``: a node is finished
only when its MILP is *infeasible*, i.e. no pattern compatible with any point of the node
(with the closed conditions ``z = 1 => g >= 0``, ``z = 0 => g <= 0``) remains uncut. So a
region whose margin is tiny (a thin region) is still proposed and confirmed. The margin
only orders the search: a solve stops at the first solution with ``f >= tau``,
``tau = 1e-6 F`` (``F`` the largest possible margin), so genuine regions come first and
degenerate patterns (closed-compatible but lower-dimensional, all with ``f ~ 0``) last.
Units that are identically zero on a node are fixed inactive there (exactly). Degenerate
patterns that remain are enumerated and rejected, up to ``degenerate_budget`` per node;
exceeding it stops the node with a warning in the result (regions with margin below
``tau`` could then be missed) -- on generic networks it never happens.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..engines.result import Region, RegionSet
from ..errors import TooLargeError, TropnetError
from ..hoffman import bounded_domain
from ..network import Layer, Network
from ..polyhedra import Polyhedron
from .formulation import (
    Model,
    RowBlock,
    SolveResult,
    build_formulation,
    check_solver,
    layer_model,
)
from .tighten import BigM, affine_interval, polyhedron_box, tighten_bigm

__all__ = [
    "STRATEGIES",
    "count_activation_regions",
    "pattern_polyhedron",
    "region_of_pattern",
]

STRATEGIES = ("layerwise", "global")
_TAU = 1e-6
# The node MILPs are tiny: HiGHS's parallel machinery costs more than it saves (measured
# about 1.5x faster with it off on 2 cores). Presolve is off too: every node ends with an
# infeasible solve, which :func:`~tropnet.milp.formulation.solve` would otherwise confirm
# by a second solve without presolve (HiGHS 1.16's presolve once declared a feasible node
# infeasible; regression test: test_float_net_counts_and_regions_are_consistent).
_SMALL_MILP_OPTIONS = {"parallel": "off", "presolve": "off"}


def count_activation_regions(net: Network, domain: Domain | str | None = None,
                             solver: str = "HIGHS", exact: bool | Arithmetic | None = None,
                             **options: Any) -> RegionSet:
    """The activation regions of ``net`` on a bounded domain, enumerated with the MILP.

    Returns a :class:`~tropnet.RegionSet` (kind ``"activation"``, method
    ``"milp"``) with one :class:`~tropnet.Region` per pattern whose region has a
    non-empty interior: its pattern, polyhedron (H-representation from the pattern), affine
    map and an interior point -- the same regions as
    :func:`tropnet.activation_regions`.

    Parameters
    ----------
    domain : a box or bounded polytope (:class:`~tropnet.Domain` or ``"box:LO,HI"``).
        On ``R^n`` (``None``/``"rn"``) the box of :func:`tropnet.hoffman.effective_box` is
        used and reported in ``info``.
    solver : any installed cvxpy MIP solver (``"HIGHS"`` default, ``"SCIP"``, ...).
    exact : arithmetic of the confirmations (default: exact iff all numbers are rational).

    Other options
    -------------
    bigm : ``"lp"`` (default), ``"interval"``, ``"milp"`` or a :class:`BigM`.
    strategy : ``"layerwise"`` (default) or ``"global"`` (see the module docstring).
    valid_inequalities : add inequalities (8)-(9) (``"global"`` strategy).
    time_limit : seconds for the whole count; :class:`~tropnet.TooLargeError` beyond.
    max_regions : stop with :class:`~tropnet.TooLargeError` past this many regions.
    degenerate_budget : rejected low-margin patterns tolerated per node (default 64).
    chunk : the layerwise strategy fixes at most this many binaries per level (wide layers
        are split into parts; default 8).
    node_bounds : tighten the big-M constants at every node over the node's bounding box
        (``2n`` LPs; default ``True``, layerwise strategy).
    seed_lines : random lines per node whose pieces give children without a solve
        (default 0: every child comes from the MILP); ``seed`` seeds them.
    progress : called with the number of regions found so far.
    solver_options : extra options for the solver (through cvxpy).

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> count_activation_regions(net, "box:-1,1").count   # |x|: patterns (1,0) and (0,1)
    2
    """
    opts = dict(options)
    bigm = opts.pop("bigm", "lp")
    strategy = opts.pop("strategy", "layerwise")
    vi = bool(opts.pop("valid_inequalities", False))
    time_limit = opts.pop("time_limit", None)
    max_regions = opts.pop("max_regions", None)
    budget = int(opts.pop("degenerate_budget", 64))
    progress = opts.pop("progress", None)
    solver_options = opts.pop("solver_options", None)
    lines = int(opts.pop("seed_lines", 0))
    node_bounds = bool(opts.pop("node_bounds", True))
    chunk = int(opts.pop("chunk", 8))
    seed = opts.pop("seed", 0)
    if opts:
        raise TropnetError(f"unknown option(s) for MILP counting: {', '.join(sorted(opts))}")
    if strategy not in STRATEGIES:
        raise TropnetError(f"unknown strategy {strategy!r} (expected one of "
                           f"{', '.join(STRATEGIES)})")
    name = check_solver(solver)
    original = parse_domain(domain, net.input_dim)
    dom, notes = bounded_domain(net, original, exact=exact)
    arith = resolve(exact, net, dom)
    start = time.perf_counter()
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=name)
    run = _Counter(net, dom, bigm, arith, name, start, time_limit, max_regions, budget,
                   progress, solver_options, lines, np.random.default_rng(seed), node_bounds,
                   chunk)
    if strategy == "layerwise":
        run.layerwise()
    else:
        run.global_(vi)
    regions = tuple(sorted(run.regions, key=lambda r: r.pattern))
    info = {"solver": name, "strategy": strategy, "milp_solves": run.solves,
            "milp_seconds": round(run.milp_seconds, 6), "rejected": run.rejected,
            "seeded": run.seeded, "seed_lines": lines, "margin_tolerance": run.tau_note,
            "bigm": bigm.to_dict()}
    if strategy == "global":
        info["valid_inequalities"] = vi
    info.update(notes)
    return RegionSet("activation", regions, original if notes else dom, "milp", arith,
                     engine=name, warnings=tuple(run.warnings), info=info)


# -- exact pieces --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Node:
    """A full-dimensional region of the first layers: its pattern, polyhedron, the affine
    map ``x -> J x + c`` of the last included layer's output, and an interior point.
    ``partial`` holds the pattern entries already fixed in the next layer (the layerwise
    strategy splits wide layers into parts)."""

    pattern: tuple
    poly: Polyhedron
    J: np.ndarray
    c: np.ndarray
    point: np.ndarray
    partial: tuple = ()


def _pre(layer: Layer, node: _Node, arith: Arithmetic) -> tuple[np.ndarray, np.ndarray]:
    W, b = layer.params(arith)
    return W.dot(node.J), W.dot(node.c) + b


def _rows(layer: Layer, Z: np.ndarray, zc: np.ndarray, pattern: Sequence[int],
          arith: Arithmetic) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``A x <= b`` of the set where the layer (pre-activation ``Z x + zc``) has
    ``pattern`` (closed: ties on the boundary)."""
    n = Z.shape[1]
    A: list = []
    b: list = []
    if layer.activation in ("relu", "leaky_relu"):
        for i, s in enumerate(pattern):
            if s:
                A.append(-Z[i])
                b.append(zc[i])
            else:
                A.append(Z[i])
                b.append(-zc[i])
    elif layer.activation == "maxout":
        k = layer.rank
        for u, r in enumerate(pattern):
            for q in range(k):
                if q != r:
                    A.append(Z[u * k + q] - Z[u * k + r])
                    b.append(zc[u * k + r] - zc[u * k + q])
    if not A:
        return arith.zeros((0, n)), arith.zeros(0)
    return np.array(A, dtype=Z.dtype).reshape(-1, n), np.array(b, dtype=zc.dtype)


def _child(layer: Layer, node: _Node, pattern: tuple, arith: Arithmetic,
           point: np.ndarray | None = None) -> _Node | None:
    """The node of ``node``'s region where ``layer`` has ``pattern``, if that set has a
    non-empty interior (``point``: a known interior point, skipping the LP)."""
    Z, zc = _pre(layer, node, arith)
    part = _extend(layer, node, Z, zc, pattern, arith, point)
    return None if part is None else _finish(layer, part, arith, (Z, zc))


def _extend(sub: Layer, node: _Node, Z: np.ndarray, zc: np.ndarray, pattern: tuple,
            arith: Arithmetic, point: np.ndarray | None = None) -> _Node | None:
    """The node where the units of ``sub`` (a part of the next layer, pre-activation
    ``Z x + zc``) have ``pattern``, if that set has a non-empty interior; the affine map
    is kept until the layer is complete (:func:`_finish`)."""
    A, b = _rows(sub, Z, zc, pattern, arith)
    poly = Polyhedron(np.concatenate([node.poly.A, A]), np.concatenate([node.poly.b, b]),
                      arith)
    if point is None:
        found = poly.interior_point()
        if found is None:
            return None
        point = found[0]
        if sub.pattern(Z.dot(point) + zc) != pattern:
            return None  # an "active" unit identically zero here, or a maxout tie
    return _Node(node.pattern, poly, node.J, node.c, point, node.partial + tuple(pattern))


def _finish(layer: Layer, node: _Node, arith: Arithmetic,
            pre: tuple[np.ndarray, np.ndarray] | None = None) -> _Node:
    """Close a layer whose pattern is complete in ``node.partial`` (``pre``: the layer's
    pre-activation map on the node, when known)."""
    Z, zc = _pre(layer, node, arith) if pre is None else pre
    D = layer.pattern_matrix(node.partial, arith)
    return _Node((*node.pattern, node.partial), node.poly, D.dot(Z), D.dot(zc), node.point)


@dataclass(frozen=True, eq=False)
class _Part:
    """Units ``rows`` (weight rows) of layer ``index`` as a layer of their own."""

    index: int
    sub: Layer
    rows: np.ndarray
    last: bool


def _parts(layer: Layer, index: int, size: int) -> list[_Part]:
    """Split a layer into parts of about ``size`` binaries (maxout: whole units)."""
    per = max(1, size // layer.rank) if layer.activation == "maxout" else max(1, size)
    units = layer.out_dim
    out = []
    for start in range(0, units, per):
        us = range(start, min(units, start + per))
        rows = np.array([u * layer.rank + r for u in us for r in range(layer.rank)])
        sub = layer if len(rows) == layer.units else Layer(
            layer.weight[rows], layer.bias[rows], layer.act)
        out.append(_Part(index, sub, rows, start + per >= units))
    return out


def _root(net: Network, dom: Domain, arith: Arithmetic) -> _Node:
    poly = dom.polyhedron(arith)
    found = poly.interior_point()
    if found is None:  # pragma: no cover - resolved domains have interiors
        raise TropnetError("the domain has an empty interior")
    n = net.input_dim
    return _Node((), poly, arith.eye(n), arith.zeros(n), found[0])


def _strict_pattern(layer: Layer, pre: np.ndarray, arith: Arithmetic) -> tuple | None:
    """The layer's pattern at a point whose pre-activation is ``pre`` when no unit is at
    a tie there (so the point is interior to that pattern's set; ties are decided by
    ``arith``), else ``None``."""
    if layer.activation in ("relu", "leaky_relu"):
        vals = np.asarray(pre, dtype=object if arith.exact else float)
        if np.any(arith.sign(vals, _scale(vals)) == 0):
            return None
        return layer.pattern(pre)
    if layer.activation == "maxout":
        k = layer.rank
        pat = layer.pattern(pre)
        diffs = [pre[u * k + r] - pre[u * k + q] for u, r in enumerate(pat) for q in range(k)
                 if q != r]
        if diffs:
            vals = np.array(diffs, dtype=object if arith.exact else float)
            if np.any(arith.sign(vals, _scale(np.asarray(pre, dtype=vals.dtype))) <= 0):
                return None
        return pat
    return ()


def _line_patterns(layer: Layer, node: _Node, Z: np.ndarray, zc: np.ndarray,
                   arith: Arithmetic, rng: np.random.Generator, lines: int
                   ) -> list[tuple[tuple, np.ndarray]]:
    """Children of ``node`` met by random lines (the first through its interior point, the
    next ones through points found before, as in hit-and-run): the segment of
    the line inside the node's polyhedron is cut at every point where a unit of ``layer``
    changes (a hyperplane, or a tie of two maxout pieces); the midpoint of each piece
    lies strictly inside one child, which is then known without an LP. (A heuristic that
    saves MILP solves; the MILP still proves that no child is left.)"""
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
        d = np.array([arith.convert(int(v)) for v in d], dtype=object if arith.exact else float)
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
        cuts = _crossings(layer, g0, gd)
        ts = sorted({t for t in cuts if lo < t < hi})
        bounds = [lo, *ts, hi]
        for t1, t2 in itertools.pairwise(bounds):
            point = x0 + ((t1 + t2) / 2) * d
            if not _strictly_inside(node.poly, point, nonzero, arith):
                continue
            pat = _strict_pattern(layer, Z.dot(point) + zc, arith)
            if pat is not None:
                out.append((pat, point))
    return out


def _crossings(layer: Layer, g0: np.ndarray, gd: np.ndarray) -> list:
    """Parameters ``t`` where a unit's pattern can change along ``g0 + t gd``."""
    if layer.activation in ("relu", "leaky_relu"):
        return [-g0[i] / gd[i] for i in range(len(g0)) if gd[i] != 0]
    k = layer.rank
    out = []
    for u in range(layer.out_dim):
        for r in range(k):
            for q in range(r + 1, k):
                i, j = u * k + r, u * k + q
                if gd[i] != gd[j]:
                    out.append(-(g0[i] - g0[j]) / (gd[i] - gd[j]))
    return out


def _strictly_inside(poly: Polyhedron, point: np.ndarray, nonzero: np.ndarray,
                     arith: Arithmetic) -> bool:
    slack = poly.slacks(point)[nonzero]
    if len(slack) == 0:
        return True
    return bool(np.all(arith.sign(slack, poly._scale()) > 0))


def _scale(vals: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(np.asarray(vals, dtype=float))))) if len(vals) else 1.0


def pattern_polyhedron(net: Network, pattern: Sequence[Sequence[int]],
                       domain: Domain | str | None, exact: bool | Arithmetic | None = None
                       ) -> Polyhedron:
    """The closed polyhedron ``{x in domain : the pre-activations have the signs (ReLU/
    leaky) or maxima (maxout) of pattern}`` (its interior is the pattern's region when the
    pattern is realised)."""
    arith = resolve(exact, net)
    dom = parse_domain(domain, net.input_dim)
    n = net.input_dim
    node = _Node((), dom.polyhedron(arith), arith.eye(n), arith.zeros(n), arith.zeros(n))
    for layer, pat in zip(net.layers, pattern, strict=True):
        Z, zc = _pre(layer, node, arith)
        A, b = _rows(layer, Z, zc, tuple(pat), arith)
        D = layer.pattern_matrix(tuple(pat), arith) if layer.activation != "identity" \
            else arith.eye(layer.units)
        node = _Node((), node.poly.add(A, b) if len(A) else node.poly, D.dot(Z), D.dot(zc),
                     node.point)
    return node.poly


def region_of_pattern(net: Network, pattern: Sequence[Sequence[int]],
                      domain: Domain | str | None, exact: bool | Arithmetic | None = None
                      ) -> Region | None:
    """The activation region of ``pattern`` on ``domain`` as a :class:`Region`, or
    ``None`` when it has an empty interior (decided exactly in exact arithmetic)."""
    arith = resolve(exact, net)
    dom = parse_domain(domain, net.input_dim)
    node: _Node | None = _root(net, dom, arith)
    for layer, pat in zip(net.layers, pattern, strict=True):
        node = _child(layer, node, tuple(pat), arith)
        if node is None:
            return None
    return _region(net, node, arith)


def _region(net: Network, node: _Node, arith: Arithmetic) -> Region:
    J, c, pats = net.affine_map(node.point, arith)
    if tuple(pats) != tuple(node.pattern):  # pragma: no cover - a bug, not bad input
        raise RuntimeError(f"internal error: pattern {node.pattern} confirmed but the network "
                           f"has pattern {pats} at its interior point")
    return Region((node.poly,), J, c, node.point, tuple(node.pattern))


# -- the enumeration ---------------------------------------------------------------------

class _LevelModel:
    """The MILP of one layer on a node: ``x`` in the node polyhedron (parameters), the
    layer's pre-activation ``G x + c`` (parameters), its binaries with the global big-M,
    the margin ``f``, node-level fixings ``zlo <= z <= zhi`` and no-good cuts."""

    def __init__(self, part: _Part, rows: int, n: int, bigm: BigM,
                 node_bounds: bool = True) -> None:
        layer = part.sub
        self.layer, self.part = layer, part
        self.lo, self.hi = bigm.lo[part.index][part.rows], bigm.hi[part.index][part.rows]
        self.x_lo, self.x_hi, self.node_bounds = bigm.x_lo, bigm.x_hi, node_bounds
        self.Qa = cp.Parameter((rows, n))
        self.Qb = cp.Parameter(rows)
        self.G = cp.Parameter((layer.units, n))
        self.g0 = cp.Parameter(layer.units)
        x = cp.Variable(n, name="x")
        cons: list = [self.Qa @ x <= self.Qb, x >= bigm.x_lo, x <= bigm.x_hi]
        self.lm, lcons = layer_model(part.index, layer, self.G @ x + self.g0, self.lo,
                                     self.hi, bound_params=node_bounds)
        cons += lcons
        self.f_cap = max(1.0, self.lm.cap)
        self.tau = _TAU * self.f_cap
        self.cuts: RowBlock | None = None
        if self.lm.z is not None:
            k = self.lm.n_binaries
            self.zlo, self.zhi = cp.Parameter(k), cp.Parameter(k)
            f = cp.Variable(name="f")
            E, Zs = self.lm.margin if self.lm.margin is not None else (None, None)
            cons += [self.lm.z >= self.zlo, self.lm.z <= self.zhi, f <= self.f_cap]
            if E is not None:
                cons.append(f <= E + self.f_cap * (1 - Zs))
            self.cuts = RowBlock(self.lm.z, 16)
            self.model = Model(cons, cp.Maximize(f), [self.cuts])

    def load(self, node: _Node, Z: np.ndarray, zc: np.ndarray, arith: Arithmetic) -> None:
        self.Qa.value = np.array(node.poly.A, dtype=float)
        self.Qb.value = np.array(node.poly.b, dtype=float)
        self.G.value = np.array(Z, dtype=float)
        self.g0.value = np.array(zc, dtype=float)
        lo, hi = _node_fixings(self.layer, self.lm, Z, zc)
        if self.node_bounds:
            blo, bhi = self._tighten(self.Qa.value, self.Qb.value, self.G.value,
                                     self.g0.value)
            lo, hi = np.maximum(lo, blo), np.minimum(hi, bhi)
        self.zlo.value, self.zhi.value = lo, hi
        self.cuts.clear()

    def _tighten(self, A: np.ndarray, b: np.ndarray, G: np.ndarray, g0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Node big-M (Appendix H on the node): bounds of the pre-activations over the
        node polyhedron's bounding box (``2n`` LPs), intersected with the global ones; sets
        the big-M parameters and returns the binaries' fixings they imply."""
        layer, lm = self.layer, self.lm
        xlo, xhi = polyhedron_box(A, b, self.x_lo, self.x_hi)
        ilo, ihi = affine_interval(G, g0, xlo, xhi)
        glo, ghi = np.maximum(self.lo, ilo), np.minimum(self.hi, ihi)
        ghi = np.maximum(ghi, glo)
        k = lm.n_binaries
        flo, fhi = np.zeros(k), np.ones(k)
        if layer.activation in ("relu", "leaky_relu"):
            lm.params["Hp"].value = np.maximum(ghi, 0.0)
            lm.params["Hn"].value = np.maximum(-glo, 0.0)
            for j, i in enumerate(lm.labels):
                if ghi[i] <= 0:
                    fhi[j] = 0.0
                elif glo[i] > 0:
                    flo[j] = 1.0
            return flo, fhi
        rank = layer.rank
        cand = BigM.maxout_candidates(glo, ghi, rank)
        M = np.empty(k)
        for j, (u, r) in enumerate(lm.labels):
            M[j] = max(0.0, float(np.max(ghi[u * rank:(u + 1) * rank])) - glo[u * rank + r])
            if not cand[u, r]:
                fhi[j] = 0.0
        lm.params["M"].value = M
        return flo, fhi


def _node_fixings(layer: Layer, lm: Any, Z: np.ndarray, zc: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Exact fixings of a node's binaries: a unit whose pre-activation is constant on the
    node (zero gradient) has a known pattern entry (constant ``<= 0``: inactive)."""
    k = lm.n_binaries
    lo, hi = np.zeros(k), np.ones(k)
    flat = [all(v == 0 for v in row) for row in Z]
    if layer.activation in ("relu", "leaky_relu"):
        for j, i in enumerate(lm.labels):
            if flat[i]:
                lo[j] = hi[j] = 1.0 if zc[i] > 0 else 0.0
        return lo, hi
    rank = layer.rank
    for j, (u, r) in enumerate(lm.labels):
        i = u * rank + r
        for q in range(rank):
            if q == r:
                continue
            iq = u * rank + q
            if all(a == b for a, b in zip(Z[i], Z[iq], strict=True)):
                diff = zc[i] - zc[iq]
                if diff < 0 or (q < r and diff == 0):
                    hi[j] = 0.0  # piece q is always at least as large: r never first max
    return lo, hi


class _Counter:
    def __init__(self, net: Network, dom: Domain, bigm: BigM, arith: Arithmetic, solver: str,
                 start: float, time_limit: float | None, max_regions: int | None,
                 budget: int, progress: Callable[[int], None] | None,
                 solver_options: dict | None = None, lines: int = 0,
                 rng: np.random.Generator | None = None, node_bounds: bool = True,
                 chunk: int = 8) -> None:
        self.net, self.dom, self.bigm, self.arith = net, dom, bigm, arith
        self.solver = solver
        self.deadline = None if time_limit is None else start + float(time_limit)
        self.time_limit = time_limit
        self.max_regions = max_regions
        self.budget = budget
        self.progress = progress
        self.solver_options = solver_options
        self.lines = lines
        self.node_bounds = node_bounds
        self.chunk = chunk
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.regions: list[Region] = []
        self.warnings: list[str] = []
        self.solves = 0
        self.milp_seconds = 0.0
        self.rejected = 0
        self.seeded = 0
        self.taus: list[float] = []

    @property
    def tau_note(self) -> float | None:
        return float(max(self.taus)) if self.taus else None

    # -- shared helpers
    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        left = self.deadline - time.perf_counter()
        if left <= 0:
            self._stop_time()
        return left

    def _stop_time(self) -> None:
        raise TooLargeError(f"MILP counting exceeded the time limit of {self.time_limit} s "
                            f"after confirming {len(self.regions)} regions")

    def _solve(self, model: Model, tau: float) -> SolveResult:
        opts = self.solver_options
        if opts is None and self.solver == "HIGHS":
            opts = _SMALL_MILP_OPTIONS
        res = model.solve(self.solver, time_limit=self._remaining(), stop_at=tau,
                          options=opts)
        self.solves += 1
        self.milp_seconds += res.seconds
        if res.status == "no_solution":
            if self.deadline is not None and time.perf_counter() >= self.deadline - 1e-3:
                self._stop_time()
            raise TropnetError(f"MILP solver {self.solver} stopped without a solution or a "
                               f"proof of infeasibility; try another solver or options")
        if res.status == "unbounded":  # pragma: no cover - every variable is bounded
            raise TropnetError("internal error: the counting MILP is unbounded")
        return res

    def _leaf(self, node: _Node) -> None:
        self.regions.append(_region(self.net, node, self.arith))
        if self.max_regions is not None and len(self.regions) > self.max_regions:
            raise TooLargeError(f"more than {self.max_regions} activation regions")
        if self.progress is not None:
            self.progress(len(self.regions))

    # -- layerwise strategy
    def layerwise(self) -> None:
        net, arith = self.net, self.arith
        levels: dict[tuple[int, int], _LevelModel] = {}
        parts = [_parts(layer, idx, self.chunk) if layer.activation != "identity" else []
                 for idx, layer in enumerate(net.layers)]
        rows = len(self.dom.polyhedron(arith))
        row_counts: dict[tuple[int, int], int] = {}
        for idx, layer_parts in enumerate(parts):
            for pi, part in enumerate(layer_parts):
                row_counts[idx, pi] = rows
                rows += _row_count(part.sub)
        stack = [(0, 0, _root(net, self.dom, arith))]
        while stack:
            idx, pi, node = stack.pop()
            if idx == len(net.layers):
                self._leaf(node)
                continue
            layer = net.layers[idx]
            if layer.activation == "identity":
                stack.append((idx + 1, 0, _child(layer, node, (), arith, node.point)))
                continue
            part = parts[idx][pi]
            if (idx, pi) not in levels:
                levels[idx, pi] = _LevelModel(part, row_counts[idx, pi], net.input_dim,
                                              self.bigm, self.node_bounds)
            children = self._children(levels[idx, pi], node, arith)
            if part.last:
                stack.extend((idx + 1, 0, _finish(layer, ch, arith))
                             for ch in reversed(children))
            else:
                stack.extend((idx, pi + 1, ch) for ch in reversed(children))

    def _children(self, level: _LevelModel, node: _Node, arith: Arithmetic) -> list[_Node]:
        sub = level.layer
        layer = self.net.layers[level.part.index]
        W, b = layer.params(arith)
        rows = level.part.rows
        Z, zc = W[rows].dot(node.J), W[rows].dot(node.c) + b[rows]
        seed = _strict_pattern(sub, Z.dot(node.point) + zc, arith)
        children: list[_Node] = []
        if seed is not None:
            children.append(_extend(sub, node, Z, zc, seed, arith, node.point))
            self.seeded += 1
        if level.lm.z is None:  # every unit stable on the domain: one child
            if not children:
                pat = sub.pattern(Z.dot(node.point) + zc)
                children.append(_extend(sub, node, Z, zc, pat, arith, node.point))
            return children
        seen = {seed} if seed is not None else set()
        for pat, point in _line_patterns(sub, node, Z, zc, arith, self.rng, self.lines):
            if pat not in seen:
                seen.add(pat)
                children.append(_extend(sub, node, Z, zc, pat, arith, point))
                self.seeded += 1
        level.load(node, Z, zc, arith)
        self.taus.append(level.tau)
        for pat in seen:
            self._cut(level.cuts, level.lm.indicator(pat))
        low = 0
        while True:
            self._remaining()
            res = self._solve(level.model, level.tau)
            if not res.has_solution:
                return children
            pat = level.lm.pattern(level.lm.z.value)
            if pat in seen:
                raise TropnetError(f"MILP solver {self.solver} returned the excluded pattern "
                                   f"{pat} again (numerical trouble); try another solver")
            seen.add(pat)
            self._cut(level.cuts, level.lm.indicator(pat))
            child = _extend(sub, node, Z, zc, pat, arith)
            if child is not None:
                children.append(child)
                continue
            self.rejected += 1
            if res.value is not None and res.value <= level.tau:
                low += 1
                if low > self.budget:
                    self.warnings.append(
                        f"layer {level.part.index}: stopped after {low} rejected low-margin "
                        f"patterns at one node; regions with margin below {level.tau:.3g} "
                        f"could be missed")
                    return children

    @staticmethod
    def _cut(block: RowBlock, v: np.ndarray) -> None:
        block.add(1.0 - 2.0 * v, 1.0 - float(v.sum()))

    # -- global strategy
    def global_(self, valid_inequalities: bool) -> None:
        net, arith = self.net, self.arith
        form = build_formulation(net, self.dom, self.bigm, margin=True,
                                 valid_inequalities=valid_inequalities)
        root = _root(net, self.dom, arith)
        if form.z is None:
            self._leaf(_walk(net, root, None, arith))
            return
        tau = _TAU * form.f_cap
        self.taus.append(tau)
        cuts = RowBlock(form.z, 64)
        model = Model(form.constraints, cp.Maximize(form.f), [cuts])
        seen = set()
        seed = self._seed(root)
        if seed is not None:
            self.seeded += 1
            seen.add(seed.pattern)
            self._cut(cuts, form.indicator(seed.pattern))
            self._leaf(seed)
        low = 0
        while True:
            self._remaining()
            res = self._solve(model, tau)
            if not res.has_solution:
                return
            pat = form.pattern()
            if pat in seen:
                raise TropnetError(f"MILP solver {self.solver} returned the excluded pattern "
                                   f"again (numerical trouble); try another solver")
            seen.add(pat)
            self._cut(cuts, form.indicator(pat))
            node = _walk(net, root, pat, arith)
            if node is not None:
                self._leaf(node)
                continue
            self.rejected += 1
            if res.value is not None and res.value <= tau:
                low += 1
                if low > self.budget:
                    self.warnings.append(f"stopped after {low} rejected low-margin patterns; "
                                         f"regions with margin below {tau:.3g} could be "
                                         f"missed")
                    return

    def _seed(self, root: _Node) -> _Node | None:
        node = root
        for layer in self.net.layers:
            Z, zc = _pre(layer, node, self.arith)
            pat = _strict_pattern(layer, Z.dot(node.point) + zc, self.arith)
            if pat is None:
                return None
            node = _child(layer, node, pat, self.arith, node.point)
        return node


def _walk(net: Network, root: _Node, pattern: tuple | None, arith: Arithmetic
          ) -> _Node | None:
    """The node of a whole-network ``pattern`` (confirmed layer by layer), or ``None`` when
    its region has an empty interior; ``pattern=None`` follows the pattern at the root's
    point (for networks without binaries)."""
    node: _Node | None = root
    for idx, layer in enumerate(net.layers):
        if pattern is None or layer.activation == "identity":
            Z, zc = _pre(layer, node, arith)
            pat = layer.pattern(Z.dot(node.point) + zc) if pattern is None else ()
            node = _child(layer, node, pat, arith, node.point)
        else:
            node = _child(layer, node, tuple(pattern[idx]), arith)
        if node is None:
            return None
    return node


def _row_count(layer: Layer) -> int:
    if layer.activation in ("relu", "leaky_relu"):
        return layer.units
    if layer.activation == "maxout":
        return layer.out_dim * (layer.rank - 1)
    return 0

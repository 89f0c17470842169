"""Hoffman constants of tropical maps and networks, and the effective radius (Lezeau et al. §3).

**Hoffman constant of a tropical map** (Lezeau et al., Definitions 19–20). Each
cell ``C`` of the common refinement of the (pruned) numerators and denominators
(:func:`tropnet.engines.tropical.tropical_cells`: one irredundant monomial of
each, a full-dimensional intersection) is a polyhedron ``{x : A_C x <= b_C}``
whose rows are ``a_j - a_i`` (numerator) and ``b_l - b_k`` (denominator), the
matrix of their equation (6); ``H(f ⊘ g) = max_C H(A_C)``. tropnet computes it
for the representation it is given, after pruning; the paper's constant of the
*function* is the minimum over all representations, so this is an upper bound
on it.

**Effective radius.** The minimal effective radius at ``x`` is the smallest
``r`` such that the closed ball ``B(x, r)`` (in the chosen norm) meets every
linear region. Derivation of the bound tropnet computes:

1. *Cells.* For a cell ``C = {A_C y <= b_C}``, Hoffman's inequality gives
   ``dist(x, C) <= H(A_C) * ||(A_C x - b_C)_+||``. In the max-norm convention
   the residual of the rows of monomial ``i`` of ``f`` is
   ``max_j (c_j + a_j.x) - (c_i + a_i.x) = f(x) - m_i(x)``, so the residual of
   ``C`` is ``max_t (P_t(x) - m_{t,i_t}(x))``. Every linear region contains a
   cell, hence ``r(x) <= max_C H(A_C) ||(A_C x - b_C)_+||``
   ``<= H(f ⊘ g) * max(f(x) - f̌(x), g(x) - ǧ(x))`` with ``f̌`` the
   min-conjugate (min over the monomials): that is Lezeau et al., Lemma 21 and
   Proposition 22 (reported as ``prop22_bound``).
2. *Facet rows suffice.* If ``S`` indexes an irredundant subsystem of the same
   polyhedron, ``dist(x, C) <= H(A_S) ||(A_S x - b_S)_+||``, with
   ``H(A_S) <= H(A_C)`` (fewer surjective row sets) and a smaller residual.
   ``rows="facets"`` (the default for the radius) uses the irredundant rows:
   tighter, and much cheaper since cells have few facets.
3. *Counting on a box needs more than meeting every region.* A linear region
   of ``f ⊘ g`` may be a non-convex union of cells; a box can meet all its
   cells yet cut it into several pieces, and then a count on the box exceeds
   the count on ``R^n``. So, for every group of cells sharing one affine map,
   tropnet also bounds the distance to the *gluing faces* ``C1 ∩ C2`` of
   adjacent cells (the rows of both cells stacked, the residual of the stack)
   and keeps the faces of a minimum-bottleneck spanning forest of the gluing
   graph of :func:`tropnet.engines.glue.glue` (a minimum spanning tree by
   networkx): if the open box meets every cell and every face of that forest,
   each region meets the box in one connected piece. With
   ``connectivity="facet"`` the faces are shared facets, with ``"closure"``
   any non-empty ``C1 ∩ C2``. Clipping to a box never creates an adjacency
   (``C1 ∩ C2 ∩ B ⊆ C1 ∩ C2``), so the regions of the box correspond one to one
   to those of ``R^n``. (Lezeau et al.'s Proposition 22 radius guarantees only
   that every region is met; the face terms are tropnet's addition.)
4. *Open box.* A closed ball of radius ``r`` meets the closed cell ``C``;
   since ``C`` is the closure of its interior, the open ball of any radius
   ``R > r`` meets the interior (and a face's relative interior). The boxes of
   :func:`effective_box` use ``R = r + margin * max(r, 1)`` rounded up to a
   multiple of 1/64. A Euclidean radius also works for the box, which contains
   the Euclidean ball.

**Activation regions** (``kind="activation"``) are convex polyhedra (one
activation pattern each), so step 1 applied to the activation regions on
``R^n`` (found by :func:`tropnet.activation_regions`, any
H-representation of each is valid) is enough: a box of radius ``R > r``
meets the interior of every activation region, and each region meets a box in
a convex, connected set. (Equivalently, they are the linear regions of the
vector map of all hidden units' ReLU parts, whose affine pieces differ on
different patterns.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np

from ..arithmetic import FLOAT, Arithmetic, format_number, resolve
from ..domain import Domain, box, parse_domain
from ..engines.enumerate import activation_regions
from ..engines.glue import glue, map_key
from ..engines.tropical import as_maps, input_dim, tropical_cells
from ..errors import DomainError, TropnetError
from ..limits import check_time
from ..network import Network
from ..polyhedra import Polyhedron
from ..tropical import TropicalRational, compile_network
from .matrix import CONVENTIONS, METHODS, NORMS, HoffmanConstant, matrix_hoffman

__all__ = ["EffectiveRadius", "bounded_domain", "effective_box", "effective_radius", "map_hoffman"]

KINDS = ("linear", "activation")
CONNECTIVITIES = ("facet", "closure")
ROWS = ("facets", "all")


@dataclass(frozen=True)
class EffectiveRadius:
    """A radius ``r`` such that the closed ball ``B(center, r)`` (norm ``norm``) meets every
    region of kind ``kind`` (and, for linear regions, the gluing faces that keep each
    region connected inside any box containing the ball — see the module docstring).

    ``radius`` is exact (a ``Fraction``) in exact max-norm mode; ``hoffman`` is the
    largest Hoffman constant used (cells and faces); ``prop22_bound`` is Lezeau et al.'s
    uniform bound ``max_C H(A_C) * max_t (P_t - P̌_t)(center)`` (linear kind only; with
    the cell matrices of the ``rows`` option, so with ``rows="all"`` it is the paper's);
    ``cells_radius`` the part of ``radius`` that only makes the ball meet every cell;
    ``certified`` is False when some Hoffman upper bound was sampled, not enumerated.
    """

    radius: Any
    hoffman: Any
    norm: str
    method: str
    kind: str
    center: tuple
    cells: int
    faces: int
    arith: Arithmetic
    rows: str = "facets"
    connectivity: str | None = None
    prop22_bound: Any = None
    cells_radius: Any = None
    certified: bool = True
    lp_calls: int = 0
    info: dict = field(default_factory=dict)

    @property
    def convention(self) -> str:
        return CONVENTIONS[self.norm]

    def box_radius(self, margin: Any = Fraction(1, 4)) -> Fraction:
        """Half-width ``R = r + margin * max(r, 1)`` rounded up to a multiple of 1/64:
        the open box ``(-R, R)^n`` (around the centre) meets every region's interior."""
        m = Fraction(margin)
        if m <= 0:
            raise TropnetError("the margin must be positive")
        r = self.radius if isinstance(self.radius, Fraction) else Fraction(float(self.radius))
        return Fraction(math.ceil((r + m * max(r, Fraction(1))) * 64), 64)

    def to_dict(self) -> dict:
        out = {"effective_radius": _fmt(self.radius), "hoffman": _fmt(self.hoffman),
               "norm": self.norm, "convention": self.convention, "method": self.method,
               "kind": self.kind, "rows": self.rows, "center": [_fmt(v) for v in self.center],
               "cells": self.cells, "faces": self.faces,
               "exact": self.arith.exact and self.norm == "inf", "certified": self.certified,
               "lp_calls": self.lp_calls, "box_radius": format_number(self.box_radius())}
        if self.connectivity:
            out["connectivity"] = self.connectivity
        if self.prop22_bound is not None:
            out["prop22_bound"] = _fmt(self.prop22_bound)
        if self.cells_radius is not None:
            out["cells_radius"] = _fmt(self.cells_radius)
        out.update(self.info)
        return out


def _fmt(v: Any) -> Any:
    return format_number(v) if isinstance(v, (Fraction, int)) else float(v)


def map_hoffman(obj: Any, norm: str = "inf", method: str = "pvz",
                exact: bool | Arithmetic | None = None, *, rows: str = "all",
                **options: Any) -> HoffmanConstant:
    """The Hoffman constant of a tropical polynomial, rational map, list of maps or network
    (compiled first): the largest ``H(A_C)`` over the cells ``C`` of the common refinement
    (Lezeau et al., Definitions 19–20, with ``rows="all"``; ``rows="facets"`` uses each
    cell's irredundant rows). Norm convention as in :func:`matrix_hoffman`.

    Examples
    --------
    >>> from tropnet import parse
    >>> map_hoffman(parse("max(0, x1, x2)")).value   # each cell's rows are independent
    Fraction(1, 1)
    >>> map_hoffman(parse("max(0, x1, -x1 - x2)")).value   # cell of 0: rows (1,0), (-1,-1)
    Fraction(2, 1)
    """
    _check(norm, method, rows=rows)
    maps, arith = _maps(obj, exact)
    cells = _cells(maps, arith)
    solver = _Solver(norm, method, arith, options)
    consts = []
    for c in cells:
        check_time("the Hoffman constant of the cells")
        consts.append(solver.constant(c.poly.minimize() if rows == "facets" else c.poly))
    k = max(range(len(consts)), key=lambda i: _key(consts[i]))
    value = consts[k].value
    lower = max(h.lower for h in consts)
    upper = max(h.upper for h in consts)
    info = {"cells": len(cells), "rows_used": rows, "object": _describe(obj),
            "argmax_cell_point": [_fmt(v) for v in cells[k].point]}
    return HoffmanConstant(value, lower, upper, norm, method, consts[k].arith, (k,),
                           solver.lp_calls, solver.certified, info)


def effective_radius(obj: Any, norm: str = "inf", method: str = "pvz", *,
                     kind: str = "linear", center: Any = None, connectivity: str = "facet",
                     rows: str = "facets", exact: bool | Arithmetic | None = None,
                     **options: Any) -> EffectiveRadius:
    """A radius ``r`` such that the ball of radius ``r`` around ``center`` (default the
    origin) meets every linear region (``kind="linear"``: a tropical polynomial, rational
    map, list of maps, or a network compiled first) or every activation region
    (``kind="activation"``: a network), with the gluing faces needed for a box count to
    equal the count on ``R^n``. The derivation is in the module docstring.

    Parameters
    ----------
    norm : ``"inf"`` (max-norm distance and residual; default) or ``"2"`` (Euclidean).
    method : how each cell's Hoffman constant is found: ``"pvz"``, ``"exact"`` (both
        exact) or ``"bounds"`` (upper bounds: a larger, still valid radius).
    rows : ``"facets"`` (default, tighter) or ``"all"`` (the paper's matrices).
    options : passed to :func:`matrix_hoffman` (``samples``, ``seed``, ``limit``).

    Examples
    --------
    >>> from tropnet import parse
    >>> effective_radius(parse("max(0, x - 10)")).radius   # the cell [10, oo) is 10 away
    Fraction(10, 1)
    """
    _check(norm, method, rows=rows)
    if kind not in KINDS:
        raise TropnetError(f"unknown region kind {kind!r} (expected 'linear' or 'activation')")
    if connectivity not in CONNECTIVITIES:
        raise TropnetError(f"unknown connectivity {connectivity!r} (expected 'facet' or "
                           "'closure')")
    if kind == "activation":
        if not isinstance(obj, Network):
            raise TropnetError("activation regions need a network")
        return _activation_radius(obj, norm, method, center, rows, exact, options)
    maps, arith = _maps(obj, exact)
    return _linear_radius(maps, arith, obj, norm, method, center, connectivity, rows, options)


def effective_box(obj: Any, kind: str = "linear", norm: str = "inf", method: str = "pvz", *,
                  margin: Any = Fraction(1, 4), exact: bool | Arithmetic | None = None,
                  **options: Any) -> Domain:
    """A box ``[-R, R]^n`` centred at the origin whose interior meets every linear region
    (``kind="linear"``) or every activation region (``kind="activation"``), such that
    counting those regions on it gives the count on ``R^n``; ``R`` is
    :meth:`EffectiveRadius.box_radius` of :func:`effective_radius` (computed in the
    arithmetic ``exact``, default as there).

    >>> from tropnet import parse
    >>> effective_box(parse("max(0, x - 10)")).describe()
    'box:[-25/2,25/2]^1'
    """
    er = effective_radius(obj, norm, method, kind=kind, exact=exact, **options)
    R = er.box_radius(margin)
    return box(-R, R, len(er.center))


def bounded_domain(obj: Any, domain: Domain | str | None, kind: str = "activation", *,
                   exact: bool | Arithmetic | None = None, connectivity: str = "facet"
                   ) -> tuple[Domain, dict]:
    """The bounded domain a method that needs one (MILP, sampling) runs on, and notes.

    A box or bounded polytope is returned as given, with no notes. ``R^n``
    (``None``/``"rn"``) becomes :func:`effective_box` for regions of ``kind``, whose
    interior meets every such region, so that a count on it is the count on ``R^n``;
    the notes say so (``{"domain": ..., "box_from": "effective radius"}``). An unbounded
    polytope is a :class:`~tropnet.DomainError`. This is the one place where ``R^n`` is
    replaced by a box.
    """
    dom = parse_domain(domain, input_dim(obj))
    if dom.kind == "rn":
        boxed = effective_box(obj, kind=kind, connectivity=connectivity, exact=exact)
        return boxed, {"domain": boxed.describe(), "box_from": "effective radius"}
    if dom.kind == "polytope" and not dom.bounded:
        raise DomainError(f"this method needs a bounded domain: the polytope "
                          f"{dom.describe()} is unbounded")
    return dom, {}


# -- implementation --------------------------------------------------------------------

def _check(norm: str, method: str, rows: str) -> None:
    if norm not in NORMS:
        raise TropnetError(f"unknown norm {norm!r} (expected 'inf' or '2')")
    if method not in METHODS:
        raise TropnetError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    if rows not in ROWS:
        raise TropnetError(f"unknown rows option {rows!r} (expected 'facets' or 'all')")


def _describe(obj: Any) -> str:
    if isinstance(obj, Network):
        return f"network {obj.architecture()}"
    if isinstance(obj, (list, tuple)):
        return f"{len(obj)} tropical maps"
    return type(obj).__name__


def _key(h: HoffmanConstant) -> Any:
    return h.value if h.value is not None else h.upper


class _Solver:
    """Hoffman constants of polyhedra's row matrices, cached by the (unordered) row set."""

    def __init__(self, norm: str, method: str, arith: Arithmetic, options: dict) -> None:
        self.norm, self.method, self.options = norm, method, options
        self.arith = FLOAT if norm == "2" else arith
        self.cache: dict[frozenset, HoffmanConstant] = {}
        self.lp_calls = 0
        self.certified = True

    def constant(self, P: Polyhedron) -> HoffmanConstant:
        key = frozenset(tuple(row) for row in P.A)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if len(P) == 0:
            zero = self.arith.zero
            h = HoffmanConstant(zero, zero, zero, self.norm, self.method, self.arith)
        else:
            h = matrix_hoffman(P.A, self.norm, self.method, self.arith, **self.options)
        self.lp_calls += h.lp_calls
        self.certified &= h.certified
        self.cache[key] = h
        return h

    def bound(self, P: Polyhedron, x: np.ndarray) -> tuple[Any, Any]:
        """``(H, H * ||(A x - b)_+||)`` for the polyhedron ``P`` (upper bound of H under
        ``method="bounds"``)."""
        h = self.constant(P)
        H = _key(h)
        if len(P) == 0:
            return H, H
        viol = P.A.dot(x) - P.b
        if self.norm == "inf":
            res = max(max(viol), viol[0] * 0)
        else:
            res = math.sqrt(sum(max(float(v), 0.0) ** 2 for v in viol))
        if isinstance(H, float) or isinstance(res, float):
            return H, float(H) * float(res)
        return H, H * res


def _center(center: Any, n: int, arith: Arithmetic) -> np.ndarray:
    vec = np.zeros(n, dtype=int) if center is None else np.asarray(center, dtype=object)
    vec = vec.reshape(-1)
    if vec.shape[0] != n:
        raise TropnetError(f"the centre has {vec.shape[0]} coordinates, expected {n}")
    return arith.vector(vec)


def _maps(obj: Any, exact: bool | Arithmetic | None) -> tuple[list[TropicalRational],
                                                              Arithmetic]:
    """The tropical rational maps of an object (a network is compiled) in one arithmetic."""

    if isinstance(obj, Network):
        arith = resolve(exact, obj)
        return compile_network(obj, prune=True, exact=arith), arith
    try:
        maps = as_maps(obj)
    except TropnetError:
        raise TropnetError(f"expected a tropical polynomial, rational map, list of maps or "
                           f"network, got {type(obj).__name__}") from None
    arith = maps[0].arith if exact is None else resolve(exact)
    return [m.to(arith) for m in maps], arith


def _cells(maps: list[TropicalRational], arith: Arithmetic) -> list:
    """The cells of the common refinement on ``R^n`` (:mod:`tropnet.engines.tropical`)."""

    return tropical_cells(maps, None, arith)


def _spread(maps: list[TropicalRational], x: np.ndarray) -> Any:
    """``max_t (P_t(x) - P̌_t(x))`` over the pruned numerators and denominators, with ``P̌``
    the min-conjugate: the residual factor of Lezeau et al., Proposition 22."""
    out = None
    for r in maps:
        for p in (r.numerator.prune(), r.denominator.prune()):
            vals = p.coefficients + p.exponents.dot(x)
            gap = max(vals) - min(vals)
            out = gap if out is None else max(out, gap)
    return out


def _linear_radius(maps: list[TropicalRational], arith: Arithmetic, obj: Any, norm: str,
                   method: str, center: Any, connectivity: str, rows: str, options: dict
                   ) -> EffectiveRadius:

    x = _center(center, maps[0].nvars, arith)
    cells = _cells(maps, arith)
    solver = _Solver(norm, method, arith, options)
    systems = [c.poly.minimize() if rows == "facets" else c.poly for c in cells]
    radius: Any = arith.zero
    hmax: Any = arith.zero
    for P in systems:
        check_time("the effective radius")
        H, r = solver.bound(P, x)
        radius, hmax = max(radius, r), max(hmax, H)
    cells_radius = radius
    _regions, graph = glue(cells, connectivity, arith)
    for a, b in graph.edges:  # glue only joins cells with one affine map
        check_time("the effective radius")
        assert map_key(cells[a].weight, cells[a].bias, arith) == \
            map_key(cells[b].weight, cells[b].bias, arith)
        H, r = solver.bound(systems[a].intersect(systems[b]), x)
        graph.edges[a, b].update(weight=r, hoffman=H)
    faces = 0
    for _u, _v, data in nx.minimum_spanning_edges(graph, data=True):
        faces += 1
        radius, hmax = max(radius, data["weight"]), max(hmax, data["hoffman"])
    prop22 = None
    if norm == "inf":
        hcells = max((_key(solver.constant(P)) for P in systems), default=0)
        prop22 = hcells * _spread(maps, x)
    return EffectiveRadius(radius, hmax, norm, method, "linear", tuple(x), len(cells),
                           faces, arith, rows, connectivity, prop22, cells_radius,
                           solver.certified, solver.lp_calls,
                           {"object": _describe(obj), "regions": len(_regions)})


def _activation_radius(net: Network, norm: str, method: str, center: Any, rows: str,
                       exact: bool | Arithmetic | None, options: dict) -> EffectiveRadius:

    arith = resolve(exact, net)
    regions = activation_regions(net, None, exact=arith)
    x = _center(center, net.input_dim, arith)
    solver = _Solver(norm, method, arith, options)
    radius: Any = arith.zero
    hmax: Any = arith.zero
    for region in regions:
        check_time("the effective radius")
        P = region.cells[0]
        P = P.minimize() if rows == "facets" else P
        H, r = solver.bound(P, x)
        radius, hmax = max(radius, r), max(hmax, H)
    return EffectiveRadius(radius, hmax, norm, method, "activation", tuple(x), len(regions),
                           0, arith, rows, None, None, radius, solver.certified,
                           solver.lp_calls, {"object": _describe(net)})

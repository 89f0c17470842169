"""Hoffman constants of tropical maps and networks, and the effective radius (Lezeau et al. §3).

**Hoffman constant of a tropical map** (Lezeau et al., Definitions 19–20). Each
cell ``C`` of the common refinement of the (pruned) numerators and denominators
(:func:`tropnet.engines.tropical.common_refinement`: one irredundant monomial of
each, a full-dimensional intersection) is a polyhedron ``{x : A_C x <= b_C}``
whose rows are ``a_j - a_i`` (numerator) and ``b_l - b_k`` (denominator), the
matrix of their equation (6); ``H(f ⊘ g) = max_C H(A_C)``. tropnet computes it
for the representation it is given, after pruning; the paper's constant of the
*function* is the minimum over all representations, so this is an upper bound
on it. Everything is computed on the exact rationals of the input: a network is
compiled exactly (in float mode too, as the tropical methods are: a float
compile's round-off makes nearly opposite rows out of exactly opposite ones,
and the trained 2-[16,16]-1 of ``benchmarks/nets/moons16.json`` would get
``H ≈ 1.7e15`` instead of its exact ``2447983.18``), and float mode reports
the exact values rounded. A cell's matrix has hundreds of rows on a trained
net; its balls are built from the factors' exponents and its exact rows only
when a decision needs them (:class:`tropnet.hoffman.support.Rows`).

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
   tighter, and much cheaper since cells have few facets. The cells of the
   refinement come with their exact facet rows
   (:func:`tropnet.engines.tropical.common_refinement`); activation regions get
   theirs from :func:`tropnet.hoffman.facets.facet_rows` (no LP per row).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np

from ..arithmetic import (
    EXACT,
    FLOAT,
    UNIT_ROUNDOFF,
    Arithmetic,
    Ball,
    format_number,
    resolve,
)
from ..domain import Domain, box, parse_domain
from ..engines.enumerate import activation_regions
from ..engines.glue import Cell, glue, map_key
from ..engines.monomials import compile_network
from ..engines.tropical import as_maps, common_refinement, input_dim
from ..errors import DomainError, TropnetError
from ..limits import check_estimate, check_time, note_lower_bound
from ..network import Network
from ..polyhedra import Polyhedron
from ..tropical import TropicalRational
from .facets import facet_rows
from .matrix import CONVENTIONS, METHODS, NORMS, HoffmanConstant, matrix_hoffman
from .support import Rows, Supports
from .support import feasible as support_feasible

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

    Attributes
    ----------
    radius : Fraction or float
        The radius ``r``.
    hoffman : Fraction or float
        The largest Hoffman constant used (cells and faces).
    norm : str
        The norm: ``"inf"`` or ``"2"``.
    method : str
        The Hoffman method used.
    kind : str
        The regions the ball meets: ``"linear"`` or ``"activation"``.
    center : tuple
        The ball's centre.
    cells, faces : int
        The numbers of cells and gluing faces considered.
    arith : Arithmetic
        The arithmetic of the result.
    rows : {"facets", "all"}, default "facets"
        The cell matrices used.
    connectivity : str or None, default None
        ``"facet"`` or ``"closure"`` (linear regions).
    prop22_bound : Fraction, float or None, default None
        Lezeau et al.'s uniform bound (above; linear kind only).
    cells_radius : Fraction, float or None, default None
        The part of ``radius`` that only makes the ball meet every cell.
    certified : bool, default True
        False when some Hoffman upper bound was sampled, not enumerated.
    lp_calls : int, default 0
        The number of LPs solved.
    info : dict, default {}
        Further facts of the run.
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
        """The norm convention in words (`CONVENTIONS` of ``norm``)."""
        return CONVENTIONS[self.norm]

    def box_radius(self, margin: Any = Fraction(1, 4)) -> Fraction:
        """Half-width ``R = r + margin * max(r, 1)`` rounded up to a multiple of 1/64:
        the open box ``(-R, R)^n`` (around the centre) meets every region's interior.

        Parameters
        ----------
        margin : number, default 1/4
            The relative margin, positive.
        """
        m = Fraction(margin)
        if m <= 0:
            raise TropnetError("the margin must be positive")
        r = self.radius if isinstance(self.radius, Fraction) else Fraction(float(self.radius))
        return Fraction(math.ceil((r + m * max(r, Fraction(1))) * 64), 64)

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet radius``: the radius, Hoffman constant, settings and
        ``box_radius``."""
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


#: a progress callback: ``progress(done, total, what)``
Progress = Callable[[int, int, str], None]

#: seconds per LP of a Peña–Vera–Zuluaga search, and per LP and row of the matrix
#: (2-core machine, HiGHS through scipy): the estimate of a search before it starts
PVZ_SECONDS_PER_LP = 2e-3
PVZ_SECONDS_PER_ROW = 4e-6


def map_hoffman(obj: Any, norm: str = "inf", method: str = "auto",
                exact: bool | Arithmetic | None = None, *, rows: str = "all",
                progress: Progress | None = None, **options: Any) -> HoffmanConstant:
    """The Hoffman constant of a tropical polynomial, rational map, list of maps or network
    (compiled first): the largest ``H(A_C)`` over the cells ``C`` of the common refinement
    (Lezeau et al., Definitions 19–20, with ``rows="all"``; ``rows="facets"`` uses each
    cell's irredundant rows). Norm convention and methods as in :func:`matrix_hoffman`.

    The computation is exact, on the exact rationals of the input (a float network is
    compiled exactly, as the tropical methods do); in float mode the result is that exact
    value rounded (``info["decided"] == "exact"``).

    In the max-norm with at most three inputs every cell is first *bounded*: a certified
    float interval of ``H(A_C)`` from its row sets of at most ``n`` rows
    (:mod:`tropnet.hoffman.support`); ``method="bounds"`` returns ``[max lower, max
    upper]``. The exact methods then take the cells whose upper bound reaches the largest
    lower bound, largest first, and compute their exact value until no remaining cell can
    beat the best (``info["cells_solved"]``); ``"pvz"`` also runs its search on the cells
    that can still exceed the best value it found (one, unless it disagrees), after an
    estimate of the search's time that is refused over the time budget
    (:class:`~tropnet.errors.TooLargeError`, naming ``method="bounds"``).
    ``progress(done, total, what)`` is called after each cell and each LP.

    Parameters
    ----------
    obj : tropical map(s) or Network
        A tropical polynomial, rational map, list of maps, or a network.
    norm : {"inf", "2"}, default "inf"
        The norm convention (`matrix_hoffman`).
    method : {"auto", "exact", "pvz", "bounds"}, default "auto"
        The method (`matrix_hoffman`, and above).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the result; ``None`` is exact iff every number of the input is
        rational.
    rows : {"all", "facets"}, default "all"
        The cell matrices: every monomial difference, or each cell's irredundant rows.
    progress : callable or None, default None
        ``progress(done, total, what)``.
    **options : object
        Options of `matrix_hoffman` (``samples``, ``seed``, ``limit``).

    Examples
    --------
    >>> from tropnet import parse
    >>> map_hoffman(parse("max(0, x1, x2)")).value   # each cell's rows are independent
    Fraction(1, 1)
    >>> map_hoffman(parse("max(0, x1, -x1 - x2)")).value   # cell of 0: rows (1,0), (-1,-1)
    Fraction(2, 1)
    """
    _check(norm, method, rows=rows)
    maps, out = _maps(obj, exact)
    ref = _refinement(maps)
    solver = _Solver(norm, method, EXACT, options)
    info: dict[str, Any] = {"cells": len(ref), "rows_used": rows, "object": _describe(obj)}
    if not out.exact:
        info["decided"] = "exact"
    n = ref.n
    structured = norm == "inf" and rows == "all" and \
        all(support_feasible(m, n) for m in ref.sizes())
    if not structured:
        return _each_cell(ref, rows, solver, method, out, info, progress)
    lows, highs, sups = [], [], []
    for r in range(len(ref)):
        check_time("the Hoffman constant of the cells")
        sup = Supports(ref.rows(r))
        lo, hi = sup.enclosure()  # of 1 / H(A_C)
        lows.append(1 / hi * (1 - 4 * UNIT_ROUNDOFF))
        highs.append(1 / lo * (1 + 4 * UNIT_ROUNDOFF) if lo > 0 else math.inf)
        sups.append(sup)
        note_lower_bound(lows[-1], "the Hoffman constant")  # for --time-limit
        if progress is not None:
            progress(r + 1, len(ref), "cells bounded")
    if method == "bounds":
        k = max(range(len(ref)), key=lambda i: highs[i])
        info["argmax_cell_point"] = [_fmt(v) for v in ref.points[k]]
        return HoffmanConstant(None, max(lows), max(highs), norm, method, out, (k,), 0, True,
                               info)
    floor = max(lows)
    todo = sorted((i for i in range(len(ref)) if highs[i] >= floor), key=lambda i: -highs[i])
    exact_values: dict[int, Fraction] = {}
    best: Fraction | None = None
    for done, i in enumerate(todo, start=1):
        if best is not None and highs[i] < best:
            break  # sorted: no remaining cell can reach the best value
        check_time("the Hoffman constant of the cells")
        exact_values[i] = 1 / sups[i].exact()[0]
        best = exact_values[i] if best is None else max(best, exact_values[i])
        if progress is not None:
            progress(done, len(todo), "cells solved exactly")
    order = sorted(exact_values, key=lambda i: -exact_values[i])
    k = order[0]
    value: Any = exact_values[k]
    info["cells_solved"] = len(exact_values)
    lp_calls = 0
    if method == "pvz":  # the search, on the cells that can exceed the best value it found
        _check_search(ref.rows(k).shape, method)
        found: Any = None
        searched = 0
        for i in order:
            if found is not None and exact_values[i] <= found:
                break
            check_time("the Hoffman constant of the cells")
            h = matrix_hoffman(ref.polyhedron(i).A, "inf", "pvz", EXACT, progress=progress,
                               **options)
            lp_calls += h.lp_calls
            searched += 1
            if found is None or h.value > found:
                found, k = h.value, i
        value = found
        info["cells_searched"] = searched
    info["argmax_cell_point"] = [_fmt(v) for v in ref.points[k]]
    value = value if out.exact else float(value)
    return HoffmanConstant(value, value, value, norm, method, out, (k,), lp_calls, True, info)


def _each_cell(ref: _Refinement, rows: str, solver: _Solver, method: str, out: Arithmetic,
               info: dict, progress: Progress | None) -> HoffmanConstant:
    """The constant of every cell's matrix (:func:`matrix_hoffman`), the largest kept,
    after an estimate of the time (refused over the budget)."""
    sizes = [len(c) for c in ref.cells] if rows == "facets" else ref.sizes()
    _check_cells(sizes, ref.n, solver.norm, method, solver.options.get("limit", 200_000))
    consts = []
    for r in range(len(ref)):
        check_time("the Hoffman constant of the cells")
        consts.append(solver.constant(ref.cells[r] if rows == "facets" else ref.polyhedron(r)))
        if progress is not None:
            progress(r + 1, len(ref), "cells solved")
    k = max(range(len(consts)), key=lambda i: _key(consts[i]))
    conv = (lambda v: v) if out.exact or solver.arith is FLOAT else \
        (lambda v: None if v is None else float(v))
    info.update(argmax_cell_point=[_fmt(v) for v in ref.points[k]], cells_solved=len(ref))
    return HoffmanConstant(conv(consts[k].value), conv(max(h.lower for h in consts)),
                           conv(max(h.upper for h in consts)), solver.norm, method,
                           out if solver.norm == "inf" else FLOAT, (k,), solver.lp_calls,
                           solver.certified, info)


def _check_search(shape: tuple[int, int], method: str) -> None:
    """Refuse a Peña–Vera–Zuluaga search on an ``m x n`` cell estimated over the time
    budget (two columns: one LP per sector, ``2m`` at most; more: the regions of the
    central arrangement bound the maximal row sets)."""
    m, n = shape
    lps = 2.0 * m if n == 2 else _row_sets(m, n)
    seconds = lps * (PVZ_SECONDS_PER_LP + PVZ_SECONDS_PER_ROW * m)
    check_estimate(f"the {method} search for the Hoffman constant",
                   f"a cell of {m} rows in R^{n}, up to {lps:,.0f} LPs", seconds,
                   options=("--method auto (the exact value from row sets of at most n "
                            "rows)", "--method bounds (a certified interval)"))


def _check_cells(sizes: list[int], n: int, norm: str, method: str, limit: int) -> None:
    """Refuse solving every cell's matrix when the estimated time is over the budget: a
    small-support enumeration is cheap; the searches cost one LP per maximal surjective
    set (and in the Euclidean convention a singular value decomposition per independent
    row set inside each); the bounds one SVD per basis, up to ``limit``."""
    seconds = 0.0
    for m in sizes:
        if norm == "inf" and (method in ("auto", "exact", "bounds")) and support_feasible(m, n):
            seconds += 1e-5 * m
        elif method == "bounds":
            seconds += 3e-6 * min(math.comb(m, min(n, m)), limit)
        else:
            sets = 2.0 * m if n == 2 else _row_sets(m, n)
            per = PVZ_SECONDS_PER_LP + PVZ_SECONDS_PER_ROW * m
            if norm == "2":
                per += 2e-5 * sum(math.comb(max(m // 2, 1), k) for k in range(1, n + 1))
            seconds += sets * per
    largest = max(sizes, default=0)
    options = [text for text, skip in (
        ("--method bounds (an interval)", method == "bounds"),
        ("--rows facets (each cell's facet rows only)", largest <= 2 * n + 2),
        ("--norm inf (the max-norm: exact from row sets of at most n rows)", norm == "inf"))
        if not skip]
    check_estimate(f"the Hoffman constant ({method}, norm {norm}) of {len(sizes)} cells",
                   f"cells of up to {largest} rows in R^{n}", seconds, options=options)


def _row_sets(m: int, r: int) -> float:
    """``2 sum_{k<r} C(m-1, k)``: the regions of a central arrangement of ``m`` hyperplanes
    of rank at most ``r``, a bound on the maximal surjective row sets."""
    if m <= 1:
        return 1.0
    return float(2 * sum(math.comb(m - 1, k) for k in range(min(r, m))))


def effective_radius(obj: Any, norm: str = "inf", method: str = "auto", *,
                     kind: str = "linear", center: Any = None, connectivity: str = "facet",
                     rows: str = "facets", exact: bool | Arithmetic | None = None,
                     progress: Progress | None = None, **options: Any) -> EffectiveRadius:
    """A radius ``r`` such that the ball of radius ``r`` around ``center`` (default the
    origin) meets every linear region (``kind="linear"``: a tropical polynomial, rational
    map, list of maps, or a network compiled first) or every activation region
    (``kind="activation"``: a network), with the gluing faces needed for a box count to
    equal the count on ``R^n``. The derivation is in the module docstring.

    Parameters
    ----------
    obj : tropical map(s) or Network
        The tropical map(s) or network.
    norm : {"inf", "2"}, default "inf"
        Max-norm distance and residual, or Euclidean.
    method : {"auto", "pvz", "exact", "bounds"}, default "auto"
        How each cell's Hoffman constant is found: ``"pvz"``, ``"exact"`` (both
        exact) or ``"bounds"`` (upper bounds: a larger, still valid radius).
    kind : {"linear", "activation"}, default "linear"
        The regions the ball must meet.
    center : array_like or None, default None
        The ball's centre; ``None`` is the origin.
    connectivity : {"facet", "closure"}, default "facet"
        The connectivity of linear regions.
    rows : {"facets", "all"}, default "facets"
        Each cell's irredundant rows (tighter), or the paper's matrices.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    progress : callable or None, default None
        ``progress(done, total, what)``.
    **options : object
        Passed to `matrix_hoffman` (``samples``, ``seed``, ``limit``).

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
        return _activation_radius(obj, norm, method, center, rows, exact, options, progress)
    maps, out = _maps(obj, exact)
    return _linear_radius(maps, out, obj, norm, method, center, connectivity, rows, options,
                          progress)


def effective_box(obj: Any, kind: str = "linear", norm: str = "inf", method: str = "auto", *,
                  margin: Any = Fraction(1, 4), exact: bool | Arithmetic | None = None,
                  **options: Any) -> Domain:
    """A box ``[-R, R]^n`` centred at the origin whose interior meets every linear region
    (``kind="linear"``) or every activation region (``kind="activation"``), such that
    counting those regions on it gives the count on ``R^n``; ``R`` is
    :meth:`EffectiveRadius.box_radius` of :func:`effective_radius` (computed in the
    arithmetic ``exact``, default as there).

    Parameters
    ----------
    obj : tropical map(s) or Network
        The tropical map(s) or network.
    kind : {"linear", "activation"}, default "linear"
        The regions the box must meet.
    norm : {"inf", "2"}, default "inf"
        The norm of the radius.
    method : str, default "auto"
        The Hoffman method (`effective_radius`).
    margin : number, default 1/4
        The relative margin of `EffectiveRadius.box_radius`.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the radius.
    **options : object
        Further options of `effective_radius`.

    Examples
    --------
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

    Parameters
    ----------
    obj : Network or tropical map(s)
        What is counted.
    domain : Domain, str or None
        The domain asked for; ``None`` is ``R^n``.
    kind : {"activation", "linear"}, default "activation"
        The regions counted.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the effective radius.
    connectivity : {"facet", "closure"}, default "facet"
        The connectivity of linear regions.
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


#: the last network compiled and the last refinement computed (networks and maps are
#: immutable): the constant and the effective radius of one network share them
_LAST: dict[str, tuple] = {}


def _refinement(maps: list[TropicalRational]) -> _Refinement:
    hit = _LAST.get("refinement")
    if hit is None or len(hit[0]) != len(maps) or \
            not all(a is b for a, b in zip(hit[0], maps, strict=True)):
        hit = _LAST["refinement"] = (list(maps), _Refinement(maps))
    return hit[1]


class _Refinement:
    """The cells of the common refinement of pruned maps (exact; :func:`common_refinement`)
    with every cell's full matrix of monomial differences available as :class:`Rows`
    (balls built from the factors' exponents, exact rows on demand) or as a polyhedron."""

    def __init__(self, maps: list[TropicalRational]) -> None:
        self.factors = [f for r in maps for f in (r.numerator.to(EXACT).prune(),
                                                    r.denominator.to(EXACT).prune())]
        self.nmaps = len(maps)
        self.n = maps[0].nvars
        ref = common_refinement(self.factors)
        self.labels, self.cells, self.points = ref.labels, ref.cells, ref.points
        self.edges = ref.edges
        self._E = [Ball.of(f.exponents) for f in self.factors]
        self._c = [Ball.of(f.coefficients) for f in self.factors]
        self._offsets = np.cumsum([0] + [len(f) - 1 for f in self.factors])

    def __len__(self) -> int:
        return len(self.labels)

    def sizes(self) -> list[int]:
        """The number of rows of every cell's full matrix (the same for all cells)."""
        return [int(self._offsets[-1])] * len(self)

    def rows(self, r: int) -> Rows:
        """Cell ``r``: rows ``a_j - a_i``, right-hand sides ``c_i - c_j`` (``i`` its monomial
        of each factor, ``j`` the others), as balls, with the exact rows on demand."""
        lab = self.labels[r]
        mids, rads, bmid, brad = [], [], [], []
        for t, i in enumerate(lab):
            E, c = self._E[t], self._c[t]
            keep = np.arange(len(c)) != i
            A = E - E[int(i):int(i) + 1]
            b = c[int(i):int(i) + 1] - c
            mids.append(A.mid[keep])
            rads.append(A.rad[keep])
            bmid.append(b.mid[keep])
            brad.append(b.rad[keep])
        ball = Ball(np.concatenate(mids), np.concatenate(rads))
        rhs = Ball(np.concatenate(bmid), np.concatenate(brad))
        return Rows(ball, lambda q: self._row(r, q)[0], rhs, lambda q: self._row(r, q)[1])

    def _row(self, r: int, q: int) -> tuple[tuple[Fraction, ...], Fraction]:
        t = int(np.searchsorted(self._offsets, q, side="right")) - 1
        i = int(self.labels[r][t])
        j = int(q - self._offsets[t])
        j += j >= i
        f = self.factors[t]
        return (tuple(a - b for a, b in zip(f.exponents[j], f.exponents[i], strict=True)),
                f.coefficients[i] - f.coefficients[j])

    def polyhedron(self, r: int) -> Polyhedron:
        """Cell ``r`` with all its rows (exact): Lezeau et al.'s matrix ``A_C``."""
        rows = [self._row(r, q) for q in range(int(self._offsets[-1]))]
        A = np.array([a for a, _ in rows], dtype=object).reshape(len(rows), self.n)
        return Polyhedron(A, np.array([b for _, b in rows], dtype=object), EXACT)

    def cell(self, r: int) -> Cell:
        """Cell ``r`` (its facet rows) with the vector map's affine map, for gluing."""
        lab, f = self.labels[r], self.factors
        weight = np.array([f[2 * k].exponents[lab[2 * k]] - f[2 * k + 1].exponents[lab[2 * k + 1]]
                           for k in range(self.nmaps)])
        bias = np.array([f[2 * k].coefficients[lab[2 * k]]
                         - f[2 * k + 1].coefficients[lab[2 * k + 1]] for k in range(self.nmaps)])
        return Cell(self.cells[r], weight, bias, self.points[r])


def _center(center: Any, n: int, arith: Arithmetic) -> np.ndarray:
    vec = np.zeros(n, dtype=int) if center is None else np.asarray(center, dtype=object)
    vec = vec.reshape(-1)
    if vec.shape[0] != n:
        raise TropnetError(f"the centre has {vec.shape[0]} coordinates, expected {n}")
    return arith.vector(vec)


def _maps(obj: Any, exact: bool | Arithmetic | None) -> tuple[list[TropicalRational],
                                                              Arithmetic]:
    """The tropical rational maps of an object in exact arithmetic (a network is compiled
    exactly, on the exact rationals of its numbers), and the arithmetic of the output."""
    if isinstance(obj, Network):
        out = resolve(exact, obj)
        arith = out if out.exact else EXACT  # an exact one may limit denominators
        hit = _LAST.get("network")
        if hit is None or hit[0] is not obj or hit[1] != arith:
            hit = _LAST["network"] = (obj, arith, compile_network(obj, prune=True,
                                                                   exact=arith))
        return hit[2], out
    try:
        maps = as_maps(obj)
    except TropnetError:
        raise TropnetError(f"expected a tropical polynomial, rational map, list of maps or "
                           f"network, got {type(obj).__name__}") from None
    out = maps[0].arith if exact is None else resolve(exact)
    return [m.to(out if out.exact else EXACT) for m in maps], out


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


def _unit_rows(P: Polyhedron) -> Polyhedron:
    """``P`` with every row divided by the l1-norm of its normal (exactly): a region's rows
    come scaled by arbitrary integers, and the residual of a unit row is the max-norm
    distance to its half-space."""
    rows = [(a, bi, sum((abs(v) for v in a), Fraction(0))) for a, bi in zip(P.A, P.b,
                                                                          strict=True)]
    rows = [r for r in rows if r[2]]  # a zero row (0 <= b) holds on the whole cell
    A = np.array([[v / s for v in a] for a, _, s in rows], dtype=object)
    b = np.array([bi / s for _, bi, s in rows], dtype=object)
    return Polyhedron(A.reshape(len(rows), P.n), b, P.arith)


def _out(v: Any, arith: Arithmetic) -> Any:
    """An exact value in the output arithmetic (floats are the exact value rounded)."""
    return v if arith.exact or v is None or isinstance(v, float) else float(v)


def _linear_radius(maps: list[TropicalRational], out: Arithmetic, obj: Any, norm: str,
                   method: str, center: Any, connectivity: str, rows: str, options: dict,
                   progress: Progress | None) -> EffectiveRadius:

    ref = _refinement(maps)
    x = _center(center, ref.n, EXACT)
    solver = _Solver(norm, method, EXACT, options)
    systems = [ref.cells[r] if rows == "facets" else ref.polyhedron(r)
               for r in range(len(ref))]
    radius: Any = solver.arith.zero
    hmax: Any = solver.arith.zero
    for r, P in enumerate(systems):
        check_time("the effective radius")
        H, rad = solver.bound(P, x)
        radius, hmax = max(radius, rad), max(hmax, H)
        if progress is not None:
            progress(r + 1, len(systems), "cells of the radius")
    cells_radius = radius
    cells = [ref.cell(r) for r in range(len(ref))]
    _regions, graph = glue(cells, connectivity, EXACT)
    for a, b in graph.edges:  # glue only joins cells with one affine map
        check_time("the effective radius")
        assert map_key(cells[a].weight, cells[a].bias, EXACT) == \
            map_key(cells[b].weight, cells[b].bias, EXACT)
        H, rad = solver.bound(systems[a].intersect(systems[b]), x)
        graph.edges[a, b].update(weight=rad, hoffman=H)
    faces = 0
    for _u, _v, data in nx.minimum_spanning_edges(graph, data=True):
        faces += 1
        radius, hmax = max(radius, data["weight"]), max(hmax, data["hoffman"])
    prop22 = None
    if norm == "inf":
        hcells = max((_key(solver.constant(P)) for P in systems), default=0)
        prop22 = hcells * _spread(maps, x)
    info = {"object": _describe(obj), "regions": len(_regions)}
    if not out.exact:
        info["decided"] = "exact"
    return EffectiveRadius(_out(radius, out), _out(hmax, out), norm, method, "linear",
                           tuple(_out(v, out) for v in x), len(ref), faces, out, rows,
                           connectivity, _out(prop22, out), _out(cells_radius, out),
                           solver.certified, solver.lp_calls, info)


def _activation_radius(net: Network, norm: str, method: str, center: Any, rows: str,
                       exact: bool | Arithmetic | None, options: dict,
                       progress: Progress | None) -> EffectiveRadius:

    arith = resolve(exact, net)
    # exact regions (float mode: on the exact rationals of the weights), reported in arith
    regions = activation_regions(net, None, exact=arith if arith.exact else EXACT)
    x = _center(center, net.input_dim, EXACT)
    solver = _Solver(norm, method, EXACT, options)
    radius: Any = solver.arith.zero
    hmax: Any = solver.arith.zero
    for r, region in enumerate(regions):
        check_time("the effective radius")
        P = region.cells[0]
        P = _unit_rows(facet_rows(P, region.interior_point) if rows == "facets" else P)
        H, rad = solver.bound(P, x)
        radius, hmax = max(radius, rad), max(hmax, H)
        if progress is not None:
            progress(r + 1, len(regions), "regions of the radius")
    info = {"object": _describe(net)}
    if not arith.exact:
        info["decided"] = "exact"
    return EffectiveRadius(_out(radius, arith), _out(hmax, arith), norm, method,
                           "activation", tuple(_out(v, arith) for v in x), len(regions), 0,
                           arith, rows, None, None, _out(radius, arith), solver.certified,
                           solver.lp_calls, info)

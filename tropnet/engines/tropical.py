"""Linear regions of tropical rational maps (Lezeau et al., Algorithm 4).

For ``f ⊘ g`` with cells ``P_i`` (monomials of ``f``) and ``Q_k`` (of ``g``),
the map is ``x -> (a_i - b_k) . x + (c_i - d_k)`` on ``P_i ∩ Q_k``; the linear
regions are the connected components of the full-dimensional intersections
with equal maps (:mod:`tropnet.engines.glue`). For a vector map every
numerator and denominator is intersected at once.

The full-dimensional intersections are computed without pairwise LPs: they
are the cells of the tropical product ``f ⊙ g`` (monomials
``(a_i + b_k, c_i + d_k)``), i.e. its irredundant monomials, found on one
convex hull by :func:`tropnet.tropical.prune.irredundant`. When several pairs
have the same exponent sum and the same coefficient sum (a degenerate
product), the pair, not the sum, names the cell: each tied pair is then
checked by an LP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arithmetic import Arithmetic
from ..domain import Domain
from ..errors import ExpressionError
from ..limits import check_memory, check_size
from ..network import Network
from ..polyhedra import Polyhedron
from ..tropical.polynomial import TropicalPolynomial, group_monomials
from ..tropical.prune import irredundant
from ..tropical.rational import TropicalRational
from .glue import Cell

__all__ = ["as_maps", "common_refinement", "input_dim", "tropical_cells"]


def as_maps(obj: Any) -> list[TropicalRational]:
    """A list of tropical rational maps from a map, a polynomial or a sequence of them."""
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
    """The number of inputs of a network, or of tropical map(s) (see :func:`as_maps`)."""
    return obj.input_dim if isinstance(obj, Network) else as_maps(obj)[0].nvars


def common_refinement(factors: Sequence[TropicalPolynomial], arith: Arithmetic
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Full-dimensional intersections of one cell from each factor.

    Returns ``(labels, points)``: ``labels[r, j]`` is the monomial of factor
    ``j`` whose cell contains cell ``r``, ``points[r]`` an interior point of
    cell ``r``. Factors must be pruned (all monomials irredundant).
    """
    first = factors[0]
    idx, pts = irredundant(first.exponents, first.coefficients, arith, witnesses=True)
    E, c = first.exponents[idx], first.coefficients[idx]
    labels = np.asarray(idx, dtype=int).reshape(-1, 1)
    cache: dict[tuple[int, int], tuple] = {}
    for j, f in enumerate(factors[1:], start=1):
        check_memory("the common refinement of the tropical cells",
                     "use method='enumerate' for networks")
        ia, ib = np.repeat(np.arange(len(E)), len(f)), np.tile(np.arange(len(f)), len(E))
        check_size(len(ia), "the common refinement of the tropical cells",
                   "use method='enumerate' (glue activation regions) for networks")
        E2 = E[ia] + f.exponents[ib]
        c2 = c[ia] + f.coefficients[ib]
        L2 = np.column_stack([labels[ia], ib])
        group, rep = group_monomials(E2, c2)
        kept, wit = irredundant(E2[rep], c2[rep], arith, witnesses=True)
        keep_rows, keep_pts = [], []
        members = _members(group, len(rep))
        for g, x in zip(kept, wit, strict=True):
            r = rep[g]
            tied = [t for t in members[g] if c2[t] == c2[r]]
            if len(tied) == 1:
                keep_rows.append(r)
                keep_pts.append(x)
                continue
            for t in tied:  # degenerate product: decide each pair's cell by an LP
                found = _label_cell(factors[: j + 1], L2[t], arith, cache).interior_point()
                if found is not None:
                    keep_rows.append(t)
                    keep_pts.append(found[0])
        sel = np.array(keep_rows, dtype=int)
        E, c, labels = E2[sel], c2[sel], L2[sel]
        pts = arith.asarray(keep_pts).reshape(len(sel), -1)
    return labels, np.asarray(pts)


def _members(group: np.ndarray, ngroups: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(ngroups)]
    for i, g in enumerate(group):
        out[g].append(i)
    return out


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
    return Polyhedron(A.reshape(-1, n), np.concatenate(parts_b), arith)


def tropical_cells(maps: Sequence[TropicalRational], region: Polyhedron | None,
                   arith: Arithmetic) -> list[Cell]:
    """The cells of the common refinement of all numerators and denominators, intersected
    with ``region`` (``None``: all of ``R^n``), each with the vector map's affine map."""
    factors = []
    for r in maps:
        factors.append(r.numerator.to(arith).prune())
        factors.append(r.denominator.to(arith).prune())
    labels, points = common_refinement(factors, arith)
    cache: dict[tuple[int, int], tuple] = {}
    cells = []
    for lab, x in zip(labels, points, strict=True):
        poly = _label_cell(factors, lab, arith, cache)
        point = x
        if region is not None and len(region):
            poly = poly.intersect(region)
            if not region.contains(x, strict=True):
                found = poly.interior_point()
                if found is None:
                    continue
                point = found[0]
        weight = np.array([factors[2 * k].exponents[lab[2 * k]]
                           - factors[2 * k + 1].exponents[lab[2 * k + 1]]
                           for k in range(len(maps))])
        bias = np.array([factors[2 * k].coefficients[lab[2 * k]]
                         - factors[2 * k + 1].coefficients[lab[2 * k + 1]]
                         for k in range(len(maps))])
        cells.append(Cell(poly, weight, bias, np.asarray(point)))
    return cells


def domain_region(domain: Domain, arith: Arithmetic) -> Polyhedron | None:
    """The domain as a polyhedron, ``None`` for ``R^n``."""
    return None if domain.kind == "rn" else domain.polyhedron(arith)

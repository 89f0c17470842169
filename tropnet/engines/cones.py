"""Polyhedra kept by their generators, split by hyperplanes without linear programming.

A full-dimensional polyhedron ``P`` in ``R^n`` is stored as the cone
``{(t, x) : t >= 0, x in t P}`` in ``R^{n+1}``: generators with ``t > 0`` are
points, with ``t = 0`` rays, plus a basis of *lines* (the lineality space, so
all of ``R^n`` is one point and ``n`` lines). Each generator records which
constraints it lies on (the *incidence* matrix; column 0 is ``t >= 0``).

Splitting by a hyperplane ``h . (t, x) = 0`` is one step of the double
description method: generators are sorted by the sign of ``h``; two
generators on opposite sides span an edge exactly when no third generator
lies on every constraint they share (the combinatorial adjacency test), and
each such edge contributes its intersection with the hyperplane. A side has
a non-empty interior iff some generator lies strictly inside it. No LP is
solved; bounded and unbounded polyhedra are handled alike.

Exact mode keeps generators as primitive integer vectors (Python ints);
float mode as rows scaled to max-norm 1, with signs decided by
:meth:`~tropnet.arithmetic.Arithmetic.sign` relative to the terms' size.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any

import cdd
import cdd.gmp
import numpy as np

from ..arithmetic import Arithmetic
from ..domain import Domain

__all__ = ["Cone", "initial_cone", "integer_row", "primitive", "split_cone"]


@dataclass(frozen=True, eq=False)
class Cone:
    """Generators (rows ``(t, x)``), lines, and the incidence of generators on constraints."""

    gens: np.ndarray
    lines: np.ndarray
    tight: np.ndarray

    @property
    def n(self) -> int:
        return int(self.gens.shape[1]) - 1

    def values(self, h: np.ndarray) -> np.ndarray:
        return self.gens.dot(h)

    def interior_point(self, arith: Arithmetic) -> np.ndarray:
        """Mean of the points plus the mean of the rays: a positive combination of every
        generator, hence a point of the interior."""
        t = self.gens[:, 0]
        is_pt = np.array([v > 0 for v in t], dtype=bool)
        n = self.n
        if arith.exact:
            pts = [[Fraction(v) / g[0] for v in g[1:]] for g in self.gens[is_pt]]
            rays = [[Fraction(v) for v in g[1:]] for g in self.gens[~is_pt]]
            mean = [sum(p[k] for p in pts) / len(pts) for k in range(n)]
            if rays:
                mean = [m + sum(r[k] for r in rays) / len(rays) for k, m in enumerate(mean)]
            return np.array(mean, dtype=object)
        g = np.asarray(self.gens, dtype=float)
        pts = g[is_pt, 1:] / g[is_pt, :1]
        out = pts.mean(axis=0)
        if (~is_pt).any():
            rays = g[~is_pt, 1:]
            scale = 1.0 + float(np.abs(pts).max()) if len(pts) else 1.0
            out = out + scale * rays.mean(axis=0)
        return out


def integer_row(values: Any) -> np.ndarray:
    """A primitive integer vector with the same direction as a vector of Fractions."""
    if all(isinstance(v, int) for v in values):
        return primitive(np.array(list(values), dtype=object).reshape(1, -1))[0]
    fr = [Fraction(v) for v in values]
    den = lcm(*(f.denominator for f in fr)) if fr else 1
    ints = np.array([f.numerator * (den // f.denominator) for f in fr], dtype=object)
    return primitive(ints.reshape(1, -1))[0]


def primitive(rows: np.ndarray) -> np.ndarray:
    if rows.size == 0:
        return rows
    g = np.gcd.reduce(rows, axis=1)
    g = np.where(g == 0, 1, g)
    return rows // g[:, None]


def _normalise(rows: np.ndarray) -> np.ndarray:
    scale = np.abs(rows).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    return rows / scale


def initial_cone(domain: Domain, arith: Arithmetic) -> tuple[Cone, list]:
    """The cone of a domain, and the H-representation rows ``(a, b)`` (``a . x <= b``) that
    define it."""
    n = int(domain.n or 0)
    # exact generators are Python integers: the literal 0 and 1 in this arithmetic's dtype
    if domain.kind == "rn":
        gens = arith.asarray([[1] + [0] * n])
        lines = arith.asarray([[0] * (k + 1) + [1] + [0] * (n - k - 1)
                               for k in range(n)]).reshape(n, n + 1)
        tight = np.zeros((1, 1), dtype=bool)
        return Cone(gens, lines, tight), []
    poly = domain.polyhedron(arith)
    rows = [(poly.A[i], poly.b[i]) for i in range(len(poly))]
    if domain.kind == "box":
        lo, hi = list(domain.lo or ()), list(domain.hi or ())
        corners = np.array(np.meshgrid(*[[0, 1]] * n, indexing="ij")).reshape(n, -1).T
        pts = [[hi[k] if c else lo[k] for k, c in enumerate(corner)] for corner in corners]
        gens_list = [[1, *p] for p in pts]
    else:
        gens_list = _polytope_generators(poly, arith)
    if arith.exact:
        gens = np.array([integer_row(g) for g in gens_list], dtype=object)
    else:
        gens = _normalise(np.array(gens_list, dtype=float))
    cone0 = Cone(gens, arith.zeros((0, n + 1)), np.zeros((len(gens), 1), dtype=bool))
    tight = _incidence(cone0, rows, arith)
    return Cone(gens, cone0.lines, tight), rows


def _polytope_generators(poly: Any, arith: Arithmetic) -> list:
    mod = cdd.gmp if arith.cdd_exact else cdd
    mat = mod.matrix_from_array([[b, *(-a for a in row)] for row, b in zip(poly.A, poly.b,
                                                                         strict=True)],
                                rep_type=cdd.RepType.INEQUALITY)
    gen = mod.copy_generators(mod.polyhedron_from_matrix(mat))
    if gen.lin_set:
        raise ValueError("polytope domains must not contain lines")
    return [list(r) for r in gen.array]


def _incidence(cone: Cone, rows: list, arith: Arithmetic) -> np.ndarray:
    """Incidence of generators on ``t >= 0`` and on each row ``a . x <= b`` (``b t - a x = 0``)."""
    cols = [np.array([v == 0 for v in cone.gens[:, 0]], dtype=bool)]
    for a, b in rows:
        h = arith.asarray([b, *(-v for v in a)])
        if arith.exact:  # exact generators and hyperplanes are primitive integer rows
            h = integer_row(h)
        vals = cone.gens.dot(h)
        cols.append(arith.sign(vals, arith.product_scale(cone.gens, h)) == 0)
    return np.column_stack(cols)


def split_cone(cone: Cone, h: np.ndarray, arith: Arithmetic, ties: str = "minus"
               ) -> tuple[Cone | None, Cone | None]:
    """Split by ``h . (t, x)``: ``(P ∩ {h >= 0}, P ∩ {h <= 0})``, ``None`` for a side with
    empty interior.

    When ``h`` vanishes on all of ``P`` the side named by ``ties`` gets ``P``.
    ``h`` is a primitive integer vector in exact mode, a float vector otherwise.
    """
    if len(cone.lines):
        lv = cone.lines.dot(h)
        ls = arith.sign(lv, arith.product_scale(cone.lines, h))
        if np.any(ls != 0):
            return _split_line(cone, h, lv, ls, arith)
    vals = cone.gens.dot(h)
    sign = arith.sign(vals, arith.product_scale(cone.gens, h))
    pos, neg = sign > 0, sign < 0
    if not neg.any() or not pos.any():
        if not neg.any() and not pos.any():  # h vanishes on P
            return (cone, None) if ties == "plus" else (None, cone)
        return (cone, None) if not neg.any() else (None, cone)
    zero = ~(pos | neg)
    pi, ni = np.flatnonzero(pos), np.flatnonzero(neg)
    p_idx, n_idx = _adjacent_pairs(cone.tight, pi, ni, len(cone.lines))
    if arith.exact:
        new = (vals[p_idx][:, None] * cone.gens[n_idx] - vals[n_idx][:, None] * cone.gens[p_idx])
        new = primitive(new)
    else:
        new = _normalise(vals[p_idx][:, None] * cone.gens[n_idx]
                         - vals[n_idx][:, None] * cone.gens[p_idx])
    new_tight = np.column_stack([cone.tight[p_idx] & cone.tight[n_idx],
                                 np.ones(len(p_idx), dtype=bool)])
    old_tight = np.column_stack([cone.tight, zero])

    def side(mask: np.ndarray) -> Cone:
        return Cone(np.concatenate([cone.gens[mask], new]), cone.lines,
                    np.concatenate([old_tight[mask], new_tight]))

    return side(pos | zero), side(neg | zero)


def _split_line(cone: Cone, h: np.ndarray, lv: np.ndarray, ls: np.ndarray, arith: Arithmetic
                ) -> tuple[Cone, Cone]:
    """A line crosses the hyperplane: both sides keep the old generators moved onto the
    hyperplane along that line, and gain it as a ray."""
    if arith.exact:
        k = int(np.flatnonzero(ls != 0)[0])
    else:
        k = int(np.argmax(np.abs(np.asarray(lv, dtype=float))))
    l0, v0 = cone.lines[k], lv[k]
    sgn = 1 if v0 > 0 else -1
    others = np.delete(np.arange(len(cone.lines)), k)
    vals = cone.gens.dot(h)
    if arith.exact:
        lines = primitive(cone.lines[others] * v0 - lv[others][:, None] * l0[None, :])
        gens = primitive((cone.gens * v0 - vals[:, None] * l0[None, :]) * sgn)
        ray_p = l0 * sgn
    else:
        lines = _normalise(cone.lines[others] - (lv[others] / v0)[:, None] * l0[None, :])
        gens = _normalise(cone.gens - (vals / v0)[:, None] * l0[None, :])
        ray_p = l0 * sgn
    m = cone.tight.shape[1]
    tight = np.column_stack([cone.tight, np.ones(len(gens), dtype=bool)])
    # the former line is a ray (t = 0), lies on every old constraint, and not on the new one
    ray_tight = np.r_[np.ones(m, dtype=bool), False]

    def side(ray: np.ndarray) -> Cone:
        return Cone(np.concatenate([gens, ray.reshape(1, -1)]), lines,
                    np.concatenate([tight, ray_tight.reshape(1, -1)]))

    return side(ray_p), side(-ray_p)


def _adjacent_pairs(tight: np.ndarray, pi: np.ndarray, ni: np.ndarray, n_lines: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (p, q) of generators on opposite sides that span an edge of the cone.

    Combinatorial test: no third generator lies on every constraint both lie on.
    """
    pp = np.repeat(pi, len(ni))
    qq = np.tile(ni, len(pi))
    common = tight[pp] & tight[qq]  # (pairs, m)
    # generator g contains the common set iff common & ~tight[g] is empty
    outside = ~tight  # (k, m)
    contained = ~np.any(common[:, None, :] & outside[None, :, :], axis=2)  # (pairs, k)
    count = contained.sum(axis=1)  # always includes p and q themselves
    keep = count == 2
    return pp[keep], qq[keep]

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

Exact mode keeps generators as primitive integer vectors (Python ints).
Float mode is *certified*: generators and lines are :class:`~tropnet.arithmetic.Ball`
values (float rows scaled by powers of two, with rigorous error radii), every sign is
decided only when it is certain, and an uncertain one raises
:class:`~tropnet.arithmetic.Uncertain` so that the caller decides that region in exact
arithmetic. A float cone is therefore always the exact cone of the same operations
on the exact rationals of the float inputs, up to its radii.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import lcm
from typing import Any

import cdd
import cdd.gmp
import numpy as np

from ..arithmetic import EXACT, Arithmetic, Ball
from ..domain import Domain
from ..errors import DomainError

__all__ = ["Cone", "float_cone", "generator_values", "initial_cone", "integer_row", "line_values",
           "primitive", "section_cone", "split_cone"]


@dataclass(frozen=True, eq=False)
class Cone:
    """Generators (rows ``(t, x)``), lines, and the incidence of generators on constraints;
    in float mode also the radii of generators and lines (``rad``, ``lrad``).

    Attributes
    ----------
    gens : ndarray
        The generators, rows ``(t, x)``.
    lines : ndarray
        The lines.
    tight : ndarray
        Incidence of generators (rows) on constraints (columns).
    rad : ndarray or None, default None
        Float mode: the radii of the generators.
    lrad : ndarray or None, default None
        Float mode: the radii of the lines.
    """

    gens: np.ndarray
    lines: np.ndarray
    tight: np.ndarray
    rad: np.ndarray | None = None
    lrad: np.ndarray | None = None

    @cached_property
    def gens_ball(self) -> Ball:
        """The generators as a `Ball` (float mode)."""
        return Ball(self.gens, self.rad)  # type: ignore[arg-type]

    @cached_property
    def lines_ball(self) -> Ball:
        """The lines as a `Ball` (float mode)."""
        return Ball(self.lines, self.lrad)  # type: ignore[arg-type]

    @property
    def n(self) -> int:
        """The dimension ``n`` (the generators have ``n + 1`` entries)."""
        return int(self.gens.shape[1]) - 1

    def values(self, h: np.ndarray) -> np.ndarray:
        """``h`` at every generator (exact).

        Parameters
        ----------
        h : ndarray
            A homogeneous linear form ``(h_t, h_x)``.
        """
        return self.gens.dot(h)

    def interior_point(self, arith: Arithmetic) -> np.ndarray:
        """``v[1:] / v[0]`` for ``v`` the sum of the generators, each scaled to max-norm 1
        (float mode) or by the power of two that brings its max-norm into ``[1, 2)`` (exact
        mode, in integers): a positive combination of every generator, hence a point of
        the interior, dehomogenised once (well conditioned also when some points are far).

        Parameters
        ----------
        arith : Arithmetic
            The arithmetic of the point.
        """
        if arith.exact:  # scaled by powers of two instead, to stay in integers
            sizes = [max(abs(int(c)) for c in g).bit_length() for g in self.gens]
            top = max(sizes)
            v = np.array([1 << (top - e) for e in sizes], dtype=object).dot(self.gens)
            return np.array([Fraction(c, v[0]) for c in v[1:]], dtype=object)
        g = np.asarray(self.gens, dtype=float)
        g = g / np.abs(g).max(axis=1, keepdims=True)
        v = g.sum(axis=0)
        return v[1:] / v[0]


def integer_row(values: Any) -> np.ndarray:
    """A primitive integer vector with the same direction as a vector of Fractions.

    Parameters
    ----------
    values : sequence of numbers
        The vector.
    """
    if all(isinstance(v, int) for v in values):
        return primitive(np.array(list(values), dtype=object).reshape(1, -1))[0]
    fr = [Fraction(v) for v in values]
    den = lcm(*(f.denominator for f in fr)) if fr else 1
    ints = np.array([f.numerator * (den // f.denominator) for f in fr], dtype=object)
    return primitive(ints.reshape(1, -1))[0]


def primitive(rows: np.ndarray) -> np.ndarray:
    """Each row divided by the gcd of its entries (zero rows unchanged).

    Parameters
    ----------
    rows : ndarray
        Integer rows.
    """
    if rows.size == 0:
        return rows
    g = np.gcd.reduce(rows, axis=1)
    g = np.where(g == 0, 1, g)
    return rows // g[:, None]


def initial_cone(domain: Domain, arith: Arithmetic, exact: bool | None = None
                 ) -> tuple[Cone, list]:
    """The cone of a domain, and the H-representation rows ``(a, b)`` (``a . x <= b``) that
    define it, with the domain's numbers read in ``arith``. The cone is computed exactly
    (from the exact rationals of float rows); it is rounded to balls unless ``exact``
    (default: ``arith.exact``), and the rows are exact when ``exact`` is.

    Parameters
    ----------
    domain : Domain
        A resolved domain.
    arith : Arithmetic
        The arithmetic the domain is read in.
    exact : bool or None, default None
        Keep the cone exact; ``None``: ``arith.exact``.
    """
    exact = arith.exact if exact is None else exact
    n = int(domain.n or 0)
    if domain.kind == "rn":
        gens = EXACT.asarray([[1] + [0] * n])
        lines = EXACT.asarray([[0] * (k + 1) + [1] + [0] * (n - k - 1)
                               for k in range(n)]).reshape(n, n + 1)
        tight = np.zeros((1, 1), dtype=bool)
        if exact:
            return Cone(gens, lines, tight), []
        return float_cone(Cone(gens, lines, tight)), []
    poly = domain.polyhedron(arith)
    rows = [(poly.A[i], poly.b[i]) for i in range(len(poly))]
    exact_rows = [(EXACT.array(a), EXACT.convert(b)) for a, b in rows]
    if domain.kind == "box":
        lo, hi = ([EXACT.convert(arith.convert(v)) for v in bounds]
                  for bounds in (domain.lo or (), domain.hi or ()))
        corners = np.array(np.meshgrid(*[[0, 1]] * n, indexing="ij")).reshape(n, -1).T
        gens_list = [[1, *(hi[k] if c else lo[k] for k, c in enumerate(corner))]
                     for corner in corners]
    else:
        gens_list = _polytope_generators(exact_rows)
    gens = np.array([integer_row(g) for g in gens_list], dtype=object)
    cone0 = Cone(gens, EXACT.zeros((0, n + 1)), np.zeros((len(gens), 1), dtype=bool))
    cone = Cone(gens, cone0.lines, _incidence(cone0, exact_rows))
    return (cone, exact_rows) if exact else (float_cone(cone), rows)


def float_cone(cone: Cone) -> Cone:
    """An exact (integer) cone rounded to balls.

    Parameters
    ----------
    cone : Cone
        An exact cone.
    """
    g, ln = Ball.of(cone.gens).normalised(), Ball.of(cone.lines)
    return Cone(g.mid, ln.mid, cone.tight, g.rad, ln.rad)


def _polytope_generators(rows: list) -> list:
    mat = cdd.gmp.matrix_from_array([[b, *(-a for a in row)] for row, b in rows],
                                    rep_type=cdd.RepType.INEQUALITY)
    gen = cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat))
    if gen.lin_set:
        raise DomainError("the vertex engine needs a domain without lines, and this polytope "
                          "contains one; use the LP engine (--engine lp, engine='lp')")
    return [list(r) for r in gen.array]


def _incidence(cone: Cone, rows: list) -> np.ndarray:
    """Exact incidence of generators on ``t >= 0`` and on each row ``a . x <= b``
    (``b t - a x = 0``)."""
    cols = [np.array([v == 0 for v in cone.gens[:, 0]], dtype=bool)]
    for a, b in rows:
        vals = cone.gens.dot(integer_row([b, *(-v for v in a)]))
        cols.append(np.array([v == 0 for v in vals], dtype=bool))
    return np.column_stack(cols)


def split_cone(cone: Cone, h: Any, arith: Arithmetic, ties: str = "minus"
               ) -> tuple[Cone | None, Cone | None]:
    """Split by ``h . (t, x)``: ``(P ∩ {h >= 0}, P ∩ {h <= 0})``, ``None`` for a side with
    empty interior.

    When ``h`` vanishes on all of ``P`` the side named by ``ties`` gets ``P``.
    ``h`` is a primitive integer vector in exact mode, a :class:`~tropnet.arithmetic.Ball`
    in float mode (where an uncertain sign raises :class:`~tropnet.arithmetic.Uncertain`).

    Parameters
    ----------
    cone : Cone
        The cone of ``P``.
    h : ndarray or Ball
        The hyperplane (above).
    arith : Arithmetic
        The arithmetic.
    ties : {"minus", "plus"}, default "minus"
        The side that gets ``P`` when ``h`` vanishes on it.
    """
    cut = _cut(cone, h, arith)
    if isinstance(cut, str):
        if cut == "zero":
            return (cone, None) if ties == "plus" else (None, cone)
        return (cone, None) if cut == "plus" else (None, cone)
    if isinstance(cut, _LineCut):
        return cut.side(1), cut.side(-1)
    old_tight = np.column_stack([cone.tight, cut.zero])

    def side(mask: np.ndarray) -> Cone:
        rad = None if cut.rad is None else np.concatenate([cone.rad[mask], cut.rad])
        return Cone(np.concatenate([cone.gens[mask], cut.new]), cone.lines,
                    np.concatenate([old_tight[mask], cut.tight]), rad, cone.lrad)

    return side(cut.pos | cut.zero), side(cut.neg | cut.zero)


def section_cone(cone: Cone, h: Any, arith: Arithmetic) -> tuple[str, Cone | None]:
    """Where the hyperplane ``h . (t, x) = 0`` meets the polyhedron ``P`` of ``cone``:
    ``("cross", S)`` when ``h`` takes both signs on ``P``, with ``S`` the cone of
    ``P ∩ {h = 0}`` (whose relative interior is the part of ``P``'s relative interior on
    the hyperplane); ``("zero", None)`` when ``h`` vanishes on all of ``P``;
    ``("side", None)`` otherwise. ``h`` as in :func:`split_cone`.

    Parameters
    ----------
    cone : Cone
        The cone of ``P``.
    h : ndarray or Ball
        The hyperplane (as in `split_cone`).
    arith : Arithmetic
        The arithmetic.
    """
    cut = _cut(cone, h, arith)
    if isinstance(cut, str):
        return ("zero", None) if cut == "zero" else ("side", None)
    if isinstance(cut, _LineCut):
        return "cross", cut.section
    on = np.column_stack([cone.tight[cut.zero], np.ones(int(cut.zero.sum()), dtype=bool)])
    rad = None if cut.rad is None else np.concatenate([cone.rad[cut.zero], cut.rad])
    return "cross", Cone(np.concatenate([cone.gens[cut.zero], cut.new]), cone.lines,
                         np.concatenate([on, cut.tight]), rad, cone.lrad)


@dataclass(frozen=True)
class _EdgeCut:
    """A hyperplane crossing a cone without lines: the signs of the old generators and the
    new generators (with radii and incidence) where it cuts the edges."""

    pos: np.ndarray
    neg: np.ndarray
    zero: np.ndarray
    new: np.ndarray
    rad: np.ndarray | None
    tight: np.ndarray


@dataclass(frozen=True)
class _LineCut:
    """A hyperplane crossing a line of a cone: the section (every generator moved onto the
    hyperplane along that line) and the line, which each side gains as a ray."""

    section: Cone
    ray: np.ndarray
    ray_rad: np.ndarray | None

    def side(self, sign: int) -> Cone:
        s = self.section
        # the former line is a ray (t = 0), lies on every old constraint, not on the new one
        ray_tight = np.r_[np.ones(s.tight.shape[1] - 1, dtype=bool), False]
        rad = None if s.rad is None else np.concatenate([s.rad, self.ray_rad.reshape(1, -1)])
        return Cone(np.concatenate([s.gens, (self.ray * sign).reshape(1, -1)]), s.lines,
                    np.concatenate([s.tight, ray_tight.reshape(1, -1)]), rad, s.lrad)


def _cut(cone: Cone, h: Any, arith: Arithmetic) -> str | _EdgeCut | _LineCut:
    """The double-description step by ``h``: ``"plus"``, ``"minus"`` or ``"zero"`` when
    ``h`` does not cross ``P`` (``h >= 0``, ``h <= 0`` or ``h = 0`` on it), else the cut."""
    if len(cone.lines):
        lv = line_values(cone, h, arith)
        ls = EXACT.sign(lv) if arith.exact else lv.certain_signs()
        if np.any(ls != 0):
            return _line_cut(cone, h, lv, ls, arith)
    vals = generator_values(cone, h, arith)
    sign = EXACT.sign(vals) if arith.exact else vals.certain_signs()
    pos, neg = sign > 0, sign < 0
    if not neg.any() or not pos.any():
        if not neg.any() and not pos.any():
            return "zero"
        return "plus" if not neg.any() else "minus"
    pi, ni = np.flatnonzero(pos), np.flatnonzero(neg)
    p_idx, n_idx = _adjacent_pairs(cone.tight, pi, ni, len(cone.lines))
    if arith.exact:
        new = primitive(vals[p_idx][:, None] * cone.gens[n_idx]
                        - vals[n_idx][:, None] * cone.gens[p_idx])
        new_rad = None
    else:
        g = cone.gens_ball
        ball = ((vals[p_idx][:, None] * g[n_idx]) - (vals[n_idx][:, None] * g[p_idx])
                ).normalised()
        new, new_rad = ball.mid, ball.rad
    new_tight = np.column_stack([cone.tight[p_idx] & cone.tight[n_idx],
                                 np.ones(len(p_idx), dtype=bool)])
    return _EdgeCut(pos, neg, ~(pos | neg), new, new_rad, new_tight)


def generator_values(cone: Cone, h: Any, arith: Arithmetic) -> Any:
    """``h`` at every generator (exact integers, or a 1-d ball in float mode); ``h`` may
    also be a matrix of hyperplanes (columns).

    Parameters
    ----------
    cone : Cone
        The cone.
    h : ndarray or Ball
        A hyperplane, or a matrix of them (columns).
    arith : Arithmetic
        The arithmetic.
    """
    if arith.exact:
        return cone.gens.dot(h)
    return _dot(cone.gens_ball, h)


def line_values(cone: Cone, h: Any, arith: Arithmetic) -> Any:
    """``h`` on every line (see :func:`generator_values`).

    Parameters
    ----------
    cone : Cone
        The cone.
    h : ndarray or Ball
        A hyperplane, or a matrix of them (columns).
    arith : Arithmetic
        The arithmetic.
    """
    if arith.exact:
        return cone.lines.dot(h)
    return _dot(cone.lines_ball, h)


def _dot(rows: Ball, h: Ball) -> Ball:
    if len(h.shape) == 1:
        return (rows @ h[:, None])[:, 0]
    return rows @ h


def _line_cut(cone: Cone, h: Any, lv: Any, ls: np.ndarray, arith: Arithmetic) -> _LineCut:
    """A line crosses the hyperplane: the old generators move onto the hyperplane along
    that line, the other lines are made parallel to it, and the line becomes a ray."""
    if arith.exact:
        k = int(np.flatnonzero(ls != 0)[0])
        others = np.delete(np.arange(len(cone.lines)), k)
        l0, v0 = cone.lines[k], lv[k]
        sgn = 1 if v0 > 0 else -1
        vals = cone.gens.dot(h)
        lines = primitive(cone.lines[others] * v0 - lv[others][:, None] * l0[None, :])
        gens = primitive((cone.gens * v0 - vals[:, None] * l0[None, :]) * sgn)
        ray_p, rad, lrad, ray_rad = l0 * sgn, None, None, None
    else:
        k = int(np.argmax(np.abs(lv.mid)))  # every line value is certain here
        others = np.delete(np.arange(len(cone.lines)), k)
        L, G = cone.lines_ball, cone.gens_ball
        l0, v0 = L[k][None, :], lv[k]
        sgn = 1 if v0.mid > 0 else -1
        vals = _dot(G, h)
        lines_b = ((L[others] * v0) - (lv[others][:, None] * l0)).normalised()
        gens_b = ((G * v0) - (vals[:, None] * l0)).normalised()
        if sgn < 0:
            gens_b = -gens_b
        lines, lrad, gens, rad = lines_b.mid, lines_b.rad, gens_b.mid, gens_b.rad
        ray_p, ray_rad = cone.lines[k] * sgn, cone.lrad[k]
    tight = np.column_stack([cone.tight, np.ones(len(gens), dtype=bool)])
    return _LineCut(Cone(gens, lines, tight, rad, lrad), ray_p, ray_rad)


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

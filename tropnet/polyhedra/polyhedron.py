"""Convex polyhedra ``{x : A x <= b}`` and the questions tropnet asks of them.

Every polyhedral decision of the package goes through this module and
:func:`tropnet.polyhedra.lp.linprog`: interior points, dimension, facet
adjacency and closure intersection. In exact mode the answers are exact
(cdd's gmp backend); in float mode they use HiGHS and the tolerance of
:class:`~tropnet.arithmetic.FloatArithmetic`, warning on near-degenerate margins.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cdd
import cdd.gmp
import numpy as np

from ..arithmetic import Arithmetic, format_number
from .lp import linprog

__all__ = ["Polyhedron", "closures_meet", "facet_adjacent"]


@dataclass(frozen=True, eq=False)
class Polyhedron:
    """The polyhedron ``{x in R^n : A x <= b}`` in one arithmetic (H-representation).

    Examples
    --------
    >>> from tropnet.arithmetic import EXACT
    >>> sq = Polyhedron.box([0, 0], [1, 1], EXACT)
    >>> sq.dimension(), sq.contains([1, 1]), sq.contains([1, 1], strict=True)
    (2, True, False)

    Attributes
    ----------
    A : ndarray
        The rows, shape ``(m, n)``.
    b : ndarray
        The right-hand sides, shape ``(m,)``.
    arith : Arithmetic
        The arithmetic of ``A`` and ``b``.
    """

    A: np.ndarray
    b: np.ndarray
    arith: Arithmetic

    @classmethod
    def from_inequalities(cls, A: Any, b: Any, arith: Arithmetic, n: int | None = None
                          ) -> Polyhedron:
        """The polyhedron ``{x : A x <= b}``, its numbers converted to ``arith``.

        Parameters
        ----------
        A : array_like
            The rows (may be empty).
        b : array_like
            The right-hand sides.
        arith : Arithmetic
            The arithmetic.
        n : int or None, default None
            The dimension, needed when ``A`` has no rows.
        """
        a = arith.array(A)
        if a.size == 0:
            a = arith.zeros((0, n if n is not None else 0))
        bb = arith.array(b).reshape(-1)
        if a.ndim != 2 or a.shape[0] != bb.shape[0]:
            raise ValueError(f"A has shape {a.shape} but b has {bb.shape[0]} entries")
        return cls(a, bb, arith)

    @classmethod
    def whole(cls, n: int, arith: Arithmetic) -> Polyhedron:
        """All of ``R^n``.

        Parameters
        ----------
        n : int
            The dimension.
        arith : Arithmetic
            The arithmetic.
        """
        return cls(arith.zeros((0, n)), arith.zeros(0), arith)

    @classmethod
    def box(cls, lo: Any, hi: Any, arith: Arithmetic) -> Polyhedron:
        """The box ``lo <= x <= hi``.

        Parameters
        ----------
        lo, hi : array_like
            The bounds, one per coordinate.
        arith : Arithmetic
            The arithmetic.
        """
        lo_v, hi_v = arith.array(lo).reshape(-1), arith.array(hi).reshape(-1)
        n = lo_v.shape[0]
        eye = arith.eye(n)
        return cls(np.concatenate([eye, -eye]), np.concatenate([hi_v, -lo_v]), arith)

    @property
    def n(self) -> int:
        """The dimension (the number of columns of ``A``)."""
        return int(self.A.shape[1])

    def __len__(self) -> int:
        return int(self.A.shape[0])

    def intersect(self, other: Polyhedron) -> Polyhedron:
        """The intersection: the rows of both polyhedra.

        Parameters
        ----------
        other : Polyhedron
            A polyhedron of the same dimension and arithmetic.
        """
        return Polyhedron(np.concatenate([self.A, other.A]), np.concatenate([self.b, other.b]),
                          self.arith)

    def add(self, A: Any, b: Any) -> Polyhedron:
        """This polyhedron with the extra rows ``A x <= b``.

        Parameters
        ----------
        A : array_like
            The extra rows.
        b : array_like
            Their right-hand sides.
        """
        a = np.asarray(A, dtype=self.A.dtype).reshape(-1, self.n)
        return Polyhedron(np.concatenate([self.A, a]),
                          np.concatenate([self.b, np.asarray(b, dtype=self.b.dtype).reshape(-1)]),
                          self.arith)

    # -- membership ---------------------------------------------------------
    def slacks(self, x: Any) -> np.ndarray:
        """``b - A x`` at a point.

        Parameters
        ----------
        x : array_like
            The point.
        """
        return self.b - self.A.dot(self.arith.vector(x))

    def contains(self, x: Any, strict: bool = False) -> bool:
        """``A x <= b`` (``strict``: ``A x < b``, i.e. ``x`` in the interior for an
        irredundant, full-dimensional representation).

        Parameters
        ----------
        x : array_like
            The point.
        strict : bool, default False
            Require ``A x < b``.
        """
        if len(self) == 0:
            return True
        s = self.arith.sign(self.slacks(x), self._scale())
        return bool(np.all(s > 0) if strict else np.all(s >= 0))

    def _scale(self) -> float:
        if len(self) == 0:
            return 1.0
        return max(1.0, float(np.max(np.abs(np.asarray(self.b, dtype=float)))))

    def _norms(self) -> np.ndarray:
        """Row 1-norms: the slack of row ``i`` at distance ``t`` (max-norm) from its hyperplane."""
        return self.arith.asarray([sum(abs(v) for v in row) for row in self.A])

    # -- interior -----------------------------------------------------------
    def interior_point(self) -> tuple[np.ndarray, Any] | None:
        """A point of the interior and the radius ``r > 0`` of a max-norm ball around it inside
        the polyhedron (capped at 1), or ``None`` when the interior is empty.

        Notes
        -----
        One LP: maximise ``t <= 1`` subject to ``a_i . x + t ||a_i||_1 <= b_i``.
        """
        n, arith = self.n, self.arith
        norms = self._norms()
        zero = np.array([v == 0 for v in norms], dtype=bool)
        if np.any(zero & np.array([v < 0 for v in self.b], dtype=bool)):
            return None
        keep = ~zero
        A, b, s = self.A[keep], self.b[keep], norms[keep]
        if len(A) == 0:
            return arith.zeros(n), arith.one
        one, zero_v = arith.one, arith.zero
        rows = np.concatenate([np.column_stack([A, s]),
                               np.array([[zero_v] * n + [one]], dtype=A.dtype)])
        rhs = np.concatenate([b, np.array([one], dtype=b.dtype)])
        c = [zero_v] * n + [one]
        res = linprog(c, rows, rhs, arith, maximize=True)
        if not res.optimal:  # t is free below, so the LP is never infeasible
            return None
        t = res.value
        if arith.sign(arith.asarray([t]), _ratio_scale(b, s, arith))[0] <= 0:
            return None
        return res.x[:n], t

    def is_full_dimensional(self) -> bool:
        """True when the polyhedron has an interior point."""
        return self.interior_point() is not None

    def is_empty(self) -> bool:
        """True when no point satisfies ``A x <= b`` (closed polyhedron)."""
        return self.dimension() < 0

    def dimension(self) -> int:
        """Dimension of the polyhedron (``-1`` when empty).

        Notes
        -----
        Rounds of one LP: maximise ``t <= 1`` subject to ``a_i . x + t ||a_i||_1 <= b_i``
        for the rows not yet known to be implicit equalities, and the known ones as
        equalities. In the first round a negative optimum means the polyhedron is empty; a
        positive one means every implicit equality is known, and the dimension is ``n``
        minus their rank; at 0, the rows with a positive dual multiplier are implicit
        equalities (complementary slackness) and join them, at least one per round. Exact
        mode decides with certified exact LPs (:func:`~tropnet.polyhedra.lp.linprog`).
        """
        arith, n = self.arith, self.n
        if len(self) == 0:
            return n
        norms = self._norms()
        nz = np.array([v != 0 for v in norms], dtype=bool)
        if np.any(arith.sign(self.b[~nz], 1.0) < 0):
            return -1
        A, b, norms = self.A[nz], self.b[nz], norms[nz]
        scale = _ratio_scale(b, norms, arith)
        zero_v, one = arith.zero, arith.one
        eq = np.zeros(len(A), dtype=bool)
        while True:
            ineq = ~eq
            rows = np.concatenate([np.column_stack([A[ineq], norms[ineq]]),
                                   np.array([[zero_v] * n + [one]], dtype=A.dtype)])
            rhs = np.concatenate([b[ineq], np.array([one], dtype=b.dtype)])
            a_eq = np.column_stack([A[eq], np.full(int(eq.sum()), zero_v, dtype=A.dtype)]) \
                if eq.any() else None
            res = linprog([zero_v] * n + [one], rows, rhs, arith, A_eq=a_eq,
                          b_eq=b[eq] if eq.any() else None, maximize=True)
            if not res.optimal:  # t is free below: only equalities can make it infeasible
                return -1
            sgn = arith.sign(arith.asarray([res.value]), scale)[0]
            if sgn > 0 or not ineq.any():
                return n - _rank(A[eq], arith, scale)
            if sgn < 0:
                return -1
            duals = res.duals[:-1] if res.duals is not None else np.zeros(int(ineq.sum()))
            idx = np.flatnonzero(ineq)
            new = idx[np.array([d > arith.tol for d in duals], dtype=bool)]
            if len(new) == 0:  # float: degenerate dual, test each row's slack instead
                new = idx[[self._row_always_tight(i, eq) for i in idx]]
                if len(new) == 0:
                    return n - _rank(A[eq], arith, scale)
            eq[new] = True

    def _row_always_tight(self, i: int, eq: np.ndarray) -> bool:
        """Row ``i`` holds with equality on the polyhedron cut by the rows ``eq``."""
        others = ~eq
        res = linprog(-self.A[i], self.A[others], self.b[others], self.arith,
                      A_eq=self.A[eq] if eq.any() else None,
                      b_eq=self.b[eq] if eq.any() else None)
        if not res.optimal:
            return False
        gap = self.arith.asarray([self.b[i] + res.value])
        return bool(self.arith.sign(gap, _value_scale(self.b[i], self.arith))[0] <= 0)

    # -- representation -------------------------------------------------------
    def minimize(self) -> Polyhedron:
        """The same polyhedron without redundant rows.

        One LP per row, in order: row ``i`` is redundant when ``a_i . x <= b_i`` holds on
        the rows kept so far (the LP maximises ``a_i . x`` with the row relaxed by 1 to keep
        it bounded). Exact mode decides with certified exact LPs.
        """
        if len(self) <= 1:
            return self
        arith = self.arith
        keep = list(range(len(self)))
        for i in range(len(self)):
            others = [j for j in keep if j != i]
            if not others:
                continue
            res = linprog(self.A[i], np.concatenate([self.A[others], self.A[i:i + 1]]),
                          np.concatenate([self.b[others], [self.b[i] + arith.one]]),
                          arith, maximize=True)
            if res.optimal and arith.sign(arith.asarray([res.value - self.b[i]]),
                                          _value_scale(self.b[i], arith))[0] <= 0:
                keep.remove(i)
        return Polyhedron(self.A[keep], self.b[keep], arith)

    def vertices(self) -> np.ndarray:
        """Vertices of a bounded polyhedron (float coordinates; for plotting and reports).

        Computed by cdd in float when the rows are floats, and on their exact rationals
        (cdd's gmp mode) when they are not, or when float cdd finds the system numerically
        inconsistent (as it may for a lower-dimensional polyhedron)."""
        rows = [[bi, *(-a for a in row)] for row, bi in zip(self.A, self.b, strict=True)]
        if not self.arith.exact:
            try:
                mat = cdd.matrix_from_array([[float(v) for v in r] for r in rows],
                                            rep_type=cdd.RepType.INEQUALITY)
                gens = cdd.copy_generators(cdd.polyhedron_from_matrix(mat)).array
                return _points(gens, self.n)
            except RuntimeError:  # float cdd gave up: the same system, exactly
                pass
        mat = cdd.gmp.matrix_from_array([[Fraction(v) for v in r] for r in rows],
                                        rep_type=cdd.RepType.INEQUALITY)
        return _points(cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat)).array,
                       self.n)

    def to_dict(self) -> dict:
        """The JSON form: ``{"A": rows, "b": right-hand sides}``."""
        return {"A": [[format_number(v) for v in row] for row in self.A],
                "b": [format_number(v) for v in self.b]}


def _points(gens: Any, n: int) -> np.ndarray:
    """The points (first entry 1) among cdd generators, as float rows of length ``n``."""
    return np.array([[float(v) for v in g[1:]] for g in gens if g[0] == 1],
                    dtype=float).reshape(-1, n)


def facet_adjacent(p: Polyhedron, q: Polyhedron) -> bool:
    """True when two full-dimensional polyhedra with disjoint interiors share an
    ``(n-1)``-dimensional face, i.e. ``dim(P ∩ Q) = n - 1``.

    Parameters
    ----------
    p, q : Polyhedron
        Full-dimensional polyhedra with disjoint interiors.
    """
    return p.intersect(q).dimension() == p.n - 1


def closures_meet(p: Polyhedron, q: Polyhedron) -> bool:
    """True when the (closed) polyhedra have a point in common.

    Parameters
    ----------
    p, q : Polyhedron
        Closed polyhedra.
    """
    return p.intersect(q).dimension() >= 0


def _ratio_scale(b: np.ndarray, norms: np.ndarray, arith: Arithmetic) -> float:
    """``max(1, |b_i| / ||a_i||_1)``: the scale of the sign of an LP's ``t`` (float mode; exact
    signs need no scale, and huge rationals need not fit a float)."""
    if arith.exact or len(b) == 0:
        return 1.0
    return max(1.0, float(np.max(np.abs(np.asarray(b, dtype=float) /
                                        np.asarray(norms, dtype=float)))))


def _value_scale(value: Any, arith: Arithmetic) -> float:
    """``max(1, |value|)``, the scale of a float comparison with ``value`` (exact: 1)."""
    return 1.0 if arith.exact else max(1.0, abs(float(value)))


def _rank(rows: np.ndarray, arith: Arithmetic, scale: float) -> int:
    """Rank of a matrix (exact: cdd's gmp elimination; float: numpy with the tolerance)."""
    if len(rows) == 0:
        return 0
    if arith.cdd_exact:
        return int(cdd.gmp.matrix_rank(cdd.gmp.matrix_from_array(rows.tolist()))[2])
    return int(np.linalg.matrix_rank(np.asarray(rows, dtype=float), tol=arith.tol * scale))

"""Convex polyhedra ``{x : A x <= b}`` and the questions tropnet asks of them.

Every polyhedral decision of the package goes through this module and
:func:`tropnet.polyhedra.lp.linprog`: interior points, dimension, facet
adjacency and closure intersection. In exact mode the answers are exact
(cdd's gmp backend); in float mode they use HiGHS and the tolerance of
:class:`~tropnet.arithmetic.FloatArithmetic`, warning on near-degenerate margins.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    A: np.ndarray
    b: np.ndarray
    arith: Arithmetic

    @classmethod
    def from_inequalities(cls, A: Any, b: Any, arith: Arithmetic, n: int | None = None
                          ) -> Polyhedron:
        a = arith.array(A)
        if a.size == 0:
            a = arith.zeros((0, n if n is not None else 0))
        bb = arith.array(b).reshape(-1)
        if a.ndim != 2 or a.shape[0] != bb.shape[0]:
            raise ValueError(f"A has shape {a.shape} but b has {bb.shape[0]} entries")
        return cls(a, bb, arith)

    @classmethod
    def whole(cls, n: int, arith: Arithmetic) -> Polyhedron:
        """All of ``R^n``."""
        return cls(arith.zeros((0, n)), arith.zeros(0), arith)

    @classmethod
    def box(cls, lo: Any, hi: Any, arith: Arithmetic) -> Polyhedron:
        """The box ``lo <= x <= hi``."""
        lo_v, hi_v = arith.array(lo).reshape(-1), arith.array(hi).reshape(-1)
        n = lo_v.shape[0]
        eye = arith.eye(n)
        return cls(np.concatenate([eye, -eye]), np.concatenate([hi_v, -lo_v]), arith)

    @property
    def n(self) -> int:
        return int(self.A.shape[1])

    def __len__(self) -> int:
        return int(self.A.shape[0])

    def intersect(self, other: Polyhedron) -> Polyhedron:
        return Polyhedron(np.concatenate([self.A, other.A]), np.concatenate([self.b, other.b]),
                          self.arith)

    def add(self, A: Any, b: Any) -> Polyhedron:
        """This polyhedron with the extra rows ``A x <= b``."""
        a = np.asarray(A, dtype=self.A.dtype).reshape(-1, self.n)
        return Polyhedron(np.concatenate([self.A, a]),
                          np.concatenate([self.b, np.asarray(b, dtype=self.b.dtype).reshape(-1)]),
                          self.arith)

    # -- membership ---------------------------------------------------------
    def slacks(self, x: Any) -> np.ndarray:
        """``b - A x`` at a point."""
        return self.b - self.A.dot(self.arith.vector(x))

    def contains(self, x: Any, strict: bool = False) -> bool:
        """``A x <= b`` (``strict``: ``A x < b``, i.e. ``x`` in the interior for an
        irredundant, full-dimensional representation)."""
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
        scale = max(1.0, float(np.max(np.abs(np.asarray(b, dtype=float) /
                                             np.asarray(s, dtype=float)))))
        if arith.sign(arith.asarray([t]), scale)[0] <= 0:
            return None
        return res.x[:n], t

    def is_full_dimensional(self) -> bool:
        return self.interior_point() is not None

    def is_empty(self) -> bool:
        """True when no point satisfies ``A x <= b`` (closed polyhedron)."""
        return self.dimension() < 0

    def dimension(self) -> int:
        """Dimension of the polyhedron (``-1`` when empty).

        Exact: cdd's implicit-linearity detection; float: repeated slack LPs
        whose dual multipliers reveal implicit equalities.
        """
        n = self.n
        if len(self) == 0:
            return n
        if self.arith.cdd_exact:
            # min t subject to A x - t <= b: the polyhedron is empty iff the optimum is > 0
            res = linprog([0] * n + [1], np.column_stack([self.A, np.full(len(self), -1)]),
                          self.b, self.arith)
            if res.optimal and res.value > 0:
                return -1
            mat = cdd.gmp.matrix_from_array(
                [[bi, *(-a for a in row)] for row, bi in zip(self.A, self.b, strict=True)],
                rep_type=cdd.RepType.INEQUALITY)
            cdd.gmp.matrix_canonicalize_linearity(mat)
            return n - len(mat.lin_set)
        return self._float_dimension()

    def _float_dimension(self) -> int:
        arith, n = self.arith, self.n
        A, b = np.asarray(self.A, dtype=float), np.asarray(self.b, dtype=float)
        norms = np.abs(A).sum(axis=1)
        nz = norms > 0
        if np.any(~nz & (b < -arith.tol)):
            return -1
        A, b, norms = A[nz], b[nz], norms[nz]
        scale = max(1.0, float(np.max(np.abs(b) / norms))) if len(b) else 1.0
        eq = np.zeros(len(A), dtype=bool)
        while True:
            ineq = ~eq
            rows = np.column_stack([A[ineq], norms[ineq]])
            rows = np.vstack([rows, np.r_[np.zeros(n), 1.0]])
            rhs = np.r_[b[ineq], 1.0]
            a_eq = np.column_stack([A[eq], np.zeros(int(eq.sum()))]) if eq.any() else None
            res = linprog(np.r_[np.zeros(n), 1.0], rows, rhs, arith, A_eq=a_eq,
                          b_eq=b[eq] if eq.any() else None, maximize=True)
            if not res.optimal:
                return -1
            sgn = arith.sign(np.array([res.value]), scale)[0]
            rank = int(np.linalg.matrix_rank(A[eq], tol=arith.tol * scale)) if eq.any() else 0
            if sgn > 0 or not ineq.any():
                return n - rank
            if sgn < 0:
                return -1
            duals = res.duals[:-1] if res.duals is not None else np.zeros(int(ineq.sum()))
            idx = np.flatnonzero(ineq)
            new = idx[duals > arith.tol]
            if len(new) == 0:  # degenerate dual: fall back to testing each row's slack
                new = idx[[self._row_always_tight(i, eq) for i in idx]]
                if len(new) == 0:
                    return n - rank
            eq[new] = True

    def _row_always_tight(self, i: int, eq: np.ndarray) -> bool:
        A, b = np.asarray(self.A, dtype=float), np.asarray(self.b, dtype=float)
        others = ~eq
        res = linprog(-A[i], A[others], b[others], self.arith,
                      A_eq=A[eq] if eq.any() else None, b_eq=b[eq] if eq.any() else None)
        if not res.optimal:
            return False
        return bool(b[i] - (-res.value) <= self.arith.tol * max(1.0, abs(b[i])))

    # -- representation -------------------------------------------------------
    def minimize(self) -> Polyhedron:
        """The same polyhedron without redundant rows (exact: cdd; float: one LP per row)."""
        if len(self) <= 1:
            return self
        if self.arith.cdd_exact:
            mat = cdd.gmp.matrix_from_array(
                [[bi, *(-a for a in row)] for row, bi in zip(self.A, self.b, strict=True)],
                rep_type=cdd.RepType.INEQUALITY)
            red = cdd.gmp.redundant_rows(mat)
            keep = [i for i in range(len(self)) if i not in red]
            return Polyhedron(self.A[keep], self.b[keep], self.arith)
        keep = list(range(len(self)))
        A, b = np.asarray(self.A, dtype=float), np.asarray(self.b, dtype=float)
        for i in range(len(self)):
            others = [j for j in keep if j != i]
            if not others:
                continue
            res = linprog(A[i], np.vstack([A[others], A[i]]), np.r_[b[others], b[i] + 1.0],
                          self.arith, maximize=True)
            tol = self.arith.tol * max(1.0, abs(b[i]))
            if res.optimal and res.value <= b[i] + tol:
                keep.remove(i)
        return Polyhedron(self.A[keep], self.b[keep], self.arith)

    def vertices(self) -> np.ndarray:
        """Vertices of a bounded polyhedron (float coordinates; for plotting and reports)."""
        mat = cdd.matrix_from_array(
            [[float(bi), *(-float(a) for a in row)] for row, bi in zip(self.A, self.b,
                                                                     strict=True)],
            rep_type=cdd.RepType.INEQUALITY)
        gens = cdd.copy_generators(cdd.polyhedron_from_matrix(mat)).array
        pts = [g[1:] for g in gens if g[0] == 1]
        return np.array(pts, dtype=float).reshape(-1, self.n)

    def to_dict(self) -> dict:
        return {"A": [[format_number(v) for v in row] for row in self.A],
                "b": [format_number(v) for v in self.b]}


def facet_adjacent(p: Polyhedron, q: Polyhedron) -> bool:
    """True when two full-dimensional polyhedra with disjoint interiors share an
    ``(n-1)``-dimensional face, i.e. ``dim(P ∩ Q) = n - 1``."""
    return p.intersect(q).dimension() == p.n - 1


def closures_meet(p: Polyhedron, q: Polyhedron) -> bool:
    """True when the (closed) polyhedra have a point in common."""
    return p.intersect(q).dimension() >= 0

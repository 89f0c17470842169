"""Hoffman constants of matrices: exhaustive enumeration, Peña–Vera–Zuluaga, and bounds.

For ``A`` in ``R^{m x n}`` and every ``b`` with ``P(b) = {y : A y <= b}``
non-empty, Hoffman (1952) showed ``dist(x, P(b)) <= H * ||(A x - b)_+||``
for all ``x``; the smallest such ``H`` is the *Hoffman constant* ``H(A)``.
It depends on two norms: the **distance norm** on ``R^n`` and the
**residual norm** on ``R^m``. tropnet offers two conventions:

* ``norm="inf"`` (default): max-norm for both, so ``H(I) = 1``;
* ``norm="2"``: Euclidean norm for both (also ``H(I) = 1``).

Characterisation (Peña, Vera & Zuluaga 2018, Prop. 2; Lezeau et al. Prop. 25).
A row set ``J`` is *A-surjective* when ``A_J x < 0`` for some ``x`` (equivalently,
by Gordan's alternative, no ``y >= 0, y != 0`` has ``A_J^T y = 0``); then::

    H(A) = max over A-surjective J of 1 / min{ ||A_J^T y||_* : y >= 0, ||y||_* = 1 }

with ``||.||_*`` the dual norms. In the max-norm convention the inner problem is
the linear programme ``min ||A_J^T y||_1 s.t. y >= 0, sum(y) = 1`` (solved with
:func:`tropnet.polyhedra.linprog`, exactly in exact mode, so ``H`` is an exact
rational). In the Euclidean convention the inner problem is non-convex;
tropnet solves it exactly through its eigenvalue structure (see
:func:`_euclid_candidates`): ``H_2(A) = max 1 / sigma_min(A_S)`` over the
row sets ``S`` with linearly independent rows whose smallest eigenvalue of
``A_S A_S^T`` has a non-negative eigenvector. Euclidean values are irrational
in general and are computed in float64.

In the max-norm with at most 3 columns the value is computed exactly from the row
sets of at most ``n`` rows (:mod:`tropnet.hoffman.support`), in float mode on the exact
rationals of the float entries (certified: the exact value, rounded), and the LPs of
``method="pvz"`` only propose: their dual solutions prove surjectivity in ball
arithmetic and give rigorous lower bounds, their supports prove non-surjectivity by an
exact LP on at most ``2n + 2`` rows, and the exact ``v(J)`` comes from the small supports
of ``J``.

Float mode never prints a number float64 cannot hold. The matrix is first
scaled by a power of two (exactly; ``H(cA) = H(A)/c``) so that its largest
entry is about 1, and the result scaled back. The max-norm inner LP is solved
again exactly (on the exact rationals of the float entries) whenever its float
value is within the solver tolerance of zero, so surjectivity is decided
exactly. When the entries span more than float64 can hold after scaling, or the
constant itself is beyond the float64 range, the max-norm constant is computed
exactly instead (``info["computed_exactly"]`` says why), and the Euclidean one,
which needs float64, is refused; it is also refused when float64 cannot tell
whether a row set is linearly independent (``H_2`` beyond about
``1/SPECTRAL_RTOL``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, cmp_to_key
from itertools import combinations
from typing import Any

import numpy as np

from ..arithmetic import (
    EIGEN_GAP_RTOL,
    EXACT,
    FLOAT,
    LEAD_RTOL,
    ROUNDOFF_PAD,
    SOLVER_TOL,
    SPECTRAL_RTOL,
    UNIT_ROUNDOFF,
    Arithmetic,
    Ball,
    format_number,
)
from ..errors import TooLargeError, TropnetError
from ..limits import check_time, note_lower_bound
from ..network import read_number
from ..polyhedra import Polyhedron, linprog
from .support import Supports
from .support import feasible as support_feasible

__all__ = [
    "CONVENTIONS",
    "METHODS",
    "NORMS",
    "HoffmanConstant",
    "matrix_hoffman",
    "resolve_matrix",
]

NORMS = ("inf", "2")
METHODS = ("auto", "exact", "pvz", "bounds")

#: The norm convention of each ``norm`` value, repeated in every output.
CONVENTIONS = {
    "inf": "distance ||x - y||_inf (max-norm) on R^n, residual ||(Ax - b)_+||_inf (max-norm) "
           "on R^m; H(I) = 1",
    "2": "distance ||x - y||_2 (Euclidean) on R^n, residual ||(Ax - b)_+||_2 (Euclidean) on "
         "R^m; H(I) = 1",
}


@dataclass(frozen=True)
class HoffmanConstant:
    """A Hoffman constant (or an interval containing it) and how it was obtained.

    ``value`` is the constant itself (``Fraction`` in exact max-norm mode,
    ``float`` otherwise) for the methods ``"exact"`` and ``"pvz"``, and ``None``
    for ``"bounds"``, which returns only ``lower <= H <= upper``. ``certified``
    is False when the upper bound comes from a sample of row sets rather than
    a complete enumeration (then it is an estimate, not a bound). ``argmax``
    lists the rows (0-based, of the input matrix) of a row set attaining the
    value or the lower bound. ``norm`` names the convention (:data:`CONVENTIONS`).

    Attributes
    ----------
    value : Fraction, float or None
        The constant (``"exact"``, ``"pvz"``); ``None`` for ``"bounds"``.
    lower, upper : Fraction or float
        Bounds ``lower <= H <= upper``.
    norm : str
        The norm convention, ``"inf"`` or ``"2"`` (`CONVENTIONS`).
    method : str
        The method used.
    arith : Arithmetic
        The arithmetic of the numbers.
    argmax : tuple of int, default ()
        Rows (0-based) of a row set attaining the value or the lower bound.
    lp_calls : int, default 0
        The number of LPs solved.
    certified : bool, default True
        False when the upper bound comes from a sample of row sets (an estimate).
    info : dict, default {}
        Further facts of the run.
    """

    value: Any
    lower: Any
    upper: Any
    norm: str
    method: str
    arith: Arithmetic
    argmax: tuple = ()
    lp_calls: int = 0
    certified: bool = True
    info: dict = field(default_factory=dict)

    @property
    def convention(self) -> str:
        """The norm convention in words (`CONVENTIONS` of ``norm``)."""
        return CONVENTIONS[self.norm]

    def __float__(self) -> float:
        return float(self.value if self.value is not None else self.upper)

    def to_dict(self) -> dict:
        """JSON form: ``{"hoffman": value, "lower", "upper", "norm", "convention", ...}``
        (exact values as ``"p/q"`` strings)."""
        out = {"hoffman": _fmt(self.value), "lower": _fmt(self.lower),
               "upper": _fmt(self.upper), "norm": self.norm, "convention": self.convention,
               "method": self.method, "exact": self.arith.exact and self.norm == "inf",
               "certified": self.certified, "lp_calls": self.lp_calls,
               "argmax": list(self.argmax)}
        out.update(self.info)
        return out


def _fmt(v: Any) -> Any:
    if v is None:
        return None
    return format_number(v) if isinstance(v, (Fraction, int)) else float(v)


def resolve_matrix(A: Any, exact: bool | Arithmetic | None = None) -> tuple[np.ndarray,
                                                                            Arithmetic]:
    """Validate a matrix and convert it to the arithmetic (exact iff all entries rational
    when ``exact`` is None).

    Parameters
    ----------
    A : array_like
        The matrix (ints, Fractions, ``"p/q"`` strings or floats).
    exact : bool, Arithmetic or None, default None
        The arithmetic.
    """
    vals, arith = _exact_matrix(A, exact)
    return arith.array(vals), arith


def _exact_matrix(A: Any, exact: bool | Arithmetic | None) -> tuple[np.ndarray, Arithmetic]:
    """The entries as exact Fractions, and the arithmetic to compute in."""
    try:
        arr = np.asarray(A, dtype=object)
    except ValueError:  # ragged rows
        raise TropnetError("the matrix must be a non-empty 2-d array (rows of equal "
                           "length)") from None
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise TropnetError(f"the matrix must be a non-empty 2-d array, got shape {arr.shape}")
    if isinstance(A, np.ndarray) and A.dtype == np.float64 and not (
            exact is True or (isinstance(exact, Arithmetic) and exact.exact)):
        if not np.all(np.isfinite(A)):
            raise TropnetError("the matrix has an entry that is not a finite number")
        return A, FLOAT  # binary floats: each is the rational it denotes
    rational = True
    vals = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        frac, is_rat = read_number(v, f"A{list(idx)}")
        vals[idx] = frac
        rational &= is_rat
    if isinstance(exact, Arithmetic):
        arith = exact
    else:
        arith = EXACT if (rational if exact is None else exact) else FLOAT
    return vals, arith


#: after scaling the largest entry to [1/2, 1), a smaller non-zero entry must stay above
#: 2**-FLOAT_SPAN_LOG2 for float mode (far from the subnormals, with room for products)
FLOAT_SPAN_LOG2 = 600


def _float_scaling(vals: np.ndarray) -> tuple[int, str | None]:
    """``(e, reason)``: the matrix is computed as ``vals * 2**-e`` (largest entry in
    ``[1/2, 1)``); ``reason`` says why float64 cannot hold it (else ``None``)."""
    if vals.dtype == np.float64:
        mags = np.abs(vals[vals != 0])
        if not mags.size:
            return 0, None
        top, low = float(mags.max()), float(mags.min())
        e = math.frexp(top)[1]
        small = math.frexp(low)[1] + FLOAT_SPAN_LOG2 - e <= 0
    else:
        fr = [abs(v) for v in vals.reshape(-1) if v != 0]
        if not fr:
            return 0, None
        top, low = max(fr), min(fr)
        e = math.frexp(float(top))[1]
        small = low * Fraction(2) ** (FLOAT_SPAN_LOG2 - e) < 1
    if small:
        return e, (f"its non-zero entries span {float(top):.3g} to {float(low):.3g}, more "
                   f"than float64 computes with")
    return e, None


def matrix_hoffman(A: Any, norm: str = "inf", method: str = "auto",
                   exact: bool | Arithmetic | None = None, *, samples: int = 12,
                   seed: int = 0, limit: int = 200_000,
                   progress: Callable[[int, int, str], None] | None = None
                   ) -> HoffmanConstant:
    """The Hoffman constant ``H(A)`` of a matrix (see the module docstring for the norms).

    Parameters
    ----------
    A : array_like
        The matrix: nested lists or an array of ints, Fractions, ``"p/q"`` strings or floats.
    norm : {"inf", "2"}, default "inf"
        ``"inf"``: distance and residual both in the max-norm (``H(I) = 1``); ``"2"``: both
        Euclidean.
    method : {"auto", "exact", "pvz", "bounds"}, default "auto"
        ``"auto"``: the exact value by the cheapest exact method: ``"exact"`` in the
        max-norm with at most 3 columns, else ``"pvz"``.
        ``"exact"``: in the max-norm with at most 3 columns (up to
        `SUPPORT_LIMIT` candidates for 3), the enumeration
        of the row sets of at most ``n`` rows (`tropnet.hoffman.support`: certified
        float filter, exact values, no LP); otherwise the depth-first enumeration of all
        row sets ``J``, pruned by known non-surjective subsets and known surjective
        supersets.
        ``"pvz"``: the maximal surjective row sets, one LP each: the
        Peña–Vera–Zuluaga search (candidate sets shrunk by Gordan certificates), or for
        two columns the sectors of the rows' lines.
        ``"bounds"``: an interval: in the max-norm with at most 3 columns the certified float
        enclosure of the small-support enumeration (no exact step), otherwise a lower
        bound from ``samples`` random maximal surjective sets and an upper bound from the
        Güler–Hoffman–Rothblum singular-value bound over all bases (sampled,
        ``certified=False``, beyond ``limit`` bases).
        ``"auto"``, ``"exact"`` and ``"pvz"`` return the exact value (in float mode the exact
        value for the float entries, rounded, when the max-norm has at most 3 columns).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every entry is rational. The Euclidean
        convention always computes in float64 (its values are irrational in general).
    samples : int, default 12
        ``"bounds"``: the number of random maximal surjective sets of the lower bound.
    seed : int, default 0
        Seed of that sample.
    limit : int, default 200000
        ``"bounds"``: the number of bases above which the upper bound is sampled.
    progress : callable or None, default None
        Called as ``progress(done, total, "LPs")`` by ``"pvz"`` in the max-norm.

    Examples
    --------
    >>> matrix_hoffman([[1, 0], [0, 1]]).value          # H(I) = 1 in the max-norm
    Fraction(1, 1)
    >>> matrix_hoffman([[1, 0], [-1, -1]]).value        # worked by hand in the tests
    Fraction(2, 1)
    >>> round(matrix_hoffman([[1, 0], [-1, -1]], norm="2").value, 6)   # golden ratio
    1.618034

    Notes
    -----
    Zero rows never belong to a surjective set and duplicate rows do not change
    ``H`` in either convention, so both are dropped first. Computing ``H`` is
    NP-hard in general (Peña et al. 2019): the enumeration methods solve one LP per
    visited row set, exponentially many in the worst case. The small-support
    enumeration costs about ``m log m`` for two columns and ``m^3`` for three.
    """
    if norm not in NORMS:
        raise TropnetError(f"unknown norm {norm!r} (expected 'inf' or '2')")
    if method not in METHODS:
        raise TropnetError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    if norm == "2" and (exact is True or (isinstance(exact, Arithmetic) and exact.exact)):
        raise TropnetError("the Euclidean Hoffman constant is irrational in general: use "
                           "float arithmetic, or norm 'inf' for an exact rational value")
    vals, arith = _exact_matrix(A, FLOAT if norm == "2" else exact)
    m, n = vals.shape
    info: dict[str, Any] = {"rows": m, "cols": n}
    shift, why_exact = (0, None) if arith.exact else _float_scaling(vals)
    if why_exact is not None:
        if norm == "2":
            raise TropnetError(f"the Euclidean Hoffman constant needs float64, and this "
                               f"matrix is beyond it: {why_exact}; use norm 'inf' (exact)")
        return _recompute_exactly(vals, method, samples, seed, limit, why_exact)
    if arith.exact:
        mat = arith.array(vals)
    elif vals.dtype == np.float64:
        mat = np.ldexp(vals, -shift)
    else:
        scale = Fraction(2) ** -shift
        mat = arith.array([[v * scale for v in row] for row in vals])
    rows, index = _distinct_rows(mat, arith)
    info["distinct_nonzero_rows"] = len(rows)
    if len(rows) == 0:
        zero = arith.zero
        return HoffmanConstant(zero, zero, zero, norm, method, arith, info=info)
    # every surjective set met is a lower bound of the max-norm constant (--time-limit)
    report = None if norm != "inf" else (
        (lambda h: note_lower_bound(h, "the Hoffman constant")) if shift == 0 else
        (lambda h: note_lower_bound(math.ldexp(float(h), -shift), "the Hoffman constant")))
    small = norm == "inf" and support_feasible(len(rows), n)
    oracle = _Oracle(rows, arith, report, certified=small, progress=progress)
    if method == "bounds":
        out = _support_bounds(oracle, info) if small else \
            _bounds(rows, index, oracle, norm, arith, samples, seed, limit, info)
    elif small and method in ("exact", "auto"):
        out = _support_exact(oracle, index, method, info)
    else:
        sets = _exhaustive(oracle) if method == "exact" else _pvz(oracle)
        info["surjective_sets"] = len(sets)
        if norm == "inf":
            best, arg = oracle.maximum(sets)
        else:
            best, arg = _euclid_max(np.asarray(rows, dtype=float), sets, limit,
                                    oracle.exact if not arith.exact else None)
        argmax = tuple(sorted(index[i] for i in arg))
        out = HoffmanConstant(best, best, best, norm, method, arith, argmax, oracle.calls,
                              info=info)
    if shift == 0:
        return out
    # H(c A) = H(A) / c with c = 2**-shift: scale back (exact in float, unless it overflows)
    back = {k: None if v is None else math.ldexp(float(v), -shift)
            for k, v in (("value", out.value), ("lower", out.lower), ("upper", out.upper))}
    if any(v is not None and not math.isfinite(v) for v in back.values()):
        why = "the constant is beyond the float64 range"
        if norm == "2":
            raise TropnetError(f"the Euclidean Hoffman constant needs float64, and {why}; "
                               f"use norm 'inf' (exact)")
        return _recompute_exactly(vals, method, samples, seed, limit, why)
    info = {**out.info, "scaled_by": f"2**{-shift}"}
    if "ghr_bound" in info:
        info["ghr_bound"] = math.ldexp(info["ghr_bound"], -shift)
    return HoffmanConstant(back["value"], back["lower"], back["upper"], norm, out.method,
                           arith, out.argmax, out.lp_calls, out.certified, info)


def _recompute_exactly(vals: np.ndarray, method: str, samples: int, seed: int, limit: int,
                       why: str) -> HoffmanConstant:
    """The max-norm constant of a float matrix float64 cannot handle, in exact arithmetic
    on the exact rationals of its entries."""
    out = matrix_hoffman(vals, "inf", method, EXACT, samples=samples, seed=seed, limit=limit)
    return HoffmanConstant(out.value, out.lower, out.upper, out.norm, out.method, out.arith,
                           out.argmax, out.lp_calls, out.certified,
                           {**out.info, "computed_exactly": f"float64 cannot: {why}"})


# -- the inner problem ----------------------------------------------------------------

def _distinct_rows(mat: np.ndarray, arith: Arithmetic) -> tuple[np.ndarray, list[int]]:
    """Non-zero rows, deduplicated, with the index of each kept row in ``mat``."""
    seen: set[tuple] = set()
    keep = []
    for i, row in enumerate(mat):
        key = tuple(row)
        if key in seen or all(v == 0 for v in row):
            continue
        seen.add(key)
        keep.append(i)
    return mat[keep], keep


class _Oracle:
    """Solves ``v(J) = min ||A_J^T y||_1 s.t. y >= 0, sum y = 1`` (cached, counted).

    ``v(J) > 0`` iff ``J`` is A-surjective (Gordan); then ``H_J = 1 / v(J)`` in the
    max-norm convention. When ``v(J) = 0`` the optimal ``y`` has ``A_J^T y = 0`` and its
    support is a non-surjective subset of ``J`` (a certificate). ``report`` is called with
    ``1 / v(J)`` of every exact value found, and every solve is a checkpoint of
    :func:`tropnet.limits.deadline`.

    Two ways, chosen once (``certified``):

    * LPs (any shape): exact LPs in exact mode; in float mode float LPs, a value within the
      solver tolerance of zero computed again exactly, so that surjectivity is exact;
    * certificates (``certified=True``, the max-norm with at most
      :data:`~tropnet.hoffman.support.SUPPORT_DIM` columns): a float LP only proposes, in
      either mode. Its dual solution ``x`` (``A_J x <= -v``) proves ``J`` surjective when
      ``A_J x < 0`` holds in ball arithmetic, and gives the rigorous lower bound
      ``min_j -a_j . x / ||x||_inf`` of ``v(J)``; its ``y`` proves ``J`` not surjective when
      the exact LP on the support of ``y`` (at most ``n + 1`` rows) has value 0; anything
      else is decided by an exact LP on ``J``. The exact ``v(J)`` of a surjective set comes
      from :class:`~tropnet.hoffman.support.Supports` on its rows, and only for the sets
      whose lower bound can still reach the maximum (:meth:`maximum`).
    """

    def __init__(self, rows: np.ndarray, arith: Arithmetic,
                 report: Callable[[Any], None] | None = None, certified: bool = False,
                 progress: Callable[[int, int, str], None] | None = None) -> None:
        self.rows, self.arith, self.report, self.certified = rows, arith, report, certified
        self.progress = progress
        self.k, self.n = rows.shape
        self.frows = np.asarray(rows, dtype=float)
        self.scale = max(1.0, float(np.max(np.abs(self.frows).sum(axis=1))))
        self.calls = 0
        self.exact_calls = 0
        self.lower: dict[frozenset, Any] = {}
        #: a direction ``x`` with ``A_J x < 0`` known for some sets (the sectors)
        self.hints: dict[frozenset, tuple] = {}
        self._values: dict[frozenset, Fraction] = {}
        self._cache: dict[frozenset, tuple[Any, tuple[int, ...]]] = {}

    @cached_property
    def exact(self) -> np.ndarray:
        """The rows as exact rationals (the float entries are binary rationals)."""
        return self.rows if self.arith.exact else EXACT.array(self.rows)

    @cached_property
    def ball(self) -> Ball:
        return Ball.of(self.exact)

    def solve(self, J: frozenset) -> tuple[Any, tuple[int, ...]]:
        """``(v(J), support of an optimal y)``; with certificates, ``v(J)`` of a surjective
        set is the float LP's value (positive), its exact value is :meth:`value`."""
        hit = self._cache.get(J)
        if hit is not None:
            return hit
        check_time("the Hoffman constant")
        out = self._certify(J) if self.certified else self._lp(J)
        if not self.certified and self.report is not None and out[0] > 0:
            self.report(1 / out[0])
        self._cache[J] = out
        return out

    def _lp(self, J: frozenset) -> tuple[Any, tuple[int, ...]]:
        float_mode = not self.arith.exact
        v, support, _ = self._solve(J, self.frows if float_mode else self.rows, self.arith)
        if float_mode and v <= SOLVER_TOL * self.scale:
            self.exact_calls += 1
            ve, support, _ = self._solve(J, self.exact, EXACT)
            v = float(ve) if ve > 0 else 0.0
            if ve > 0 and v == 0:  # pragma: no cover - entries are scaled to about 1
                raise TropnetError("the Hoffman constant is beyond the float64 range")
            return v, support
        return (v if self.positive(v) else self.arith.zero), support

    def _certify(self, J: frozenset) -> tuple[Any, tuple[int, ...]]:
        idx = sorted(J)
        v, support, x = self._solve(J, self.frows, FLOAT)
        for direction in (x, self.hints.get(J)):  # the LP's dual, or a known direction
            if direction is None or not np.any(direction):
                continue
            lead = self.ball[idx] @ Ball.of(np.asarray(direction).reshape(-1, 1))
            if np.all(lead.mid + lead.rad < 0):  # A_J x < 0: surjective
                top = float(max(abs(float(d)) for d in direction))
                self.lower[J] = max(0.0, float(np.min(-(lead.mid + lead.rad))) / top
                                    * (1 - 8 * UNIT_ROUNDOFF))
                return max(v, 2.0**-1000), ()
        if len(support) <= 2 * self.n + 2:  # a Gordan certificate on few rows
            self.exact_calls += 1
            ve, cert, _ = self._solve(frozenset(support), self.exact, EXACT)
            if ve == 0:
                return self.arith.zero, cert
        self.exact_calls += 1
        ve, cert, _ = self._solve(J, self.exact, EXACT)
        if ve == 0:
            return self.arith.zero, cert
        self.lower[J] = ve
        self._values[J] = ve
        return (ve if self.arith.exact else max(float(ve), 2.0**-1000)), ()

    def value(self, J: frozenset) -> Fraction:
        """The exact ``v(J)`` of a surjective set (certificate mode)."""
        v = self._values.get(J)
        if v is None:
            idx = sorted(J)
            v = Supports(self.exact[idx]).exact()[0]
            self._values[J] = v
            if self.report is not None:
                self.report(1 / v)
        return v

    def maximum(self, sets: list[frozenset]) -> tuple[Any, frozenset]:
        """``(max 1/v(J), argmax)`` over surjective sets, in the oracle's arithmetic."""
        if not self.certified:
            best, arg = self.arith.zero, frozenset()
            for J in sets:
                h = 1 / self.solve(J)[0]
                if h > best:
                    best, arg = h, J
            return best, arg
        for done, J in enumerate(sets, start=1):
            self.solve(J)  # the float LP: a certified lower bound of v(J)
            if self.progress is not None:
                self.progress(done, len(sets), "LPs")
        sets = [J for J in sets if J in self.lower]
        low: Fraction | None = None
        arg = frozenset()
        for J in sorted(sets, key=lambda S: self.lower[S]):
            if low is not None and self.lower[J] >= low:
                break  # no later set has a smaller v(J)
            v = self.value(J)
            if low is None or v < low:
                low, arg = v, J
        if low is None:
            return self.arith.zero, arg
        return (1 / low if self.arith.exact else float(1 / low)), arg

    def _solve(self, J: frozenset, rows: np.ndarray, arith: Arithmetic
               ) -> tuple[Any, tuple[int, ...], np.ndarray | None]:
        """One LP: ``(value, support of y, x)`` with ``x`` the dual direction
        (``A_J x <= -v``; float LPs only)."""
        idx = sorted(J)
        n, k = self.n, len(idx)
        one, zero = arith.one, arith.zero
        AJt = rows[idx].T  # n x k
        eye_n, eye_k = arith.eye(n), arith.eye(k)
        A_ub = np.concatenate([
            np.concatenate([AJt, -eye_n], axis=1),
            np.concatenate([-AJt, -eye_n], axis=1),
            np.concatenate([-eye_k, arith.zeros((k, n))], axis=1)])
        b_ub = arith.zeros(2 * n + k)
        A_eq = np.array([[one] * k + [zero] * n], dtype=A_ub.dtype)
        c = [zero] * k + [one] * n
        res = linprog(c, A_ub, b_ub, arith, A_eq=A_eq, b_eq=np.array([one], dtype=A_ub.dtype))
        self.calls += 1
        if not res.optimal:  # the simplex is non-empty and the objective >= 0
            raise TropnetError(f"internal LP for the Hoffman constant ended {res.status}")
        v = res.value if arith.exact else max(float(res.value), 0.0)
        y = res.x[:k]
        if arith.exact:
            support = tuple(i for i, yi in zip(idx, y, strict=True) if yi > 0)
            return v, support, None
        top = max(float(np.max(y)), 0.0)
        support = tuple(i for i, yi in zip(idx, y, strict=True) if yi > LEAD_RTOL * top)
        x = None
        if res.duals is not None:
            x = np.asarray(res.duals[n:2 * n] - res.duals[:n], dtype=float)
        return v, support, x

    def positive(self, v: Any) -> bool:
        if self.certified or not self.arith.exact:  # decided exactly by solve()
            return bool(v > 0)
        return bool(self.arith.sign(self.arith.asarray([v]), self.scale)[0] > 0)

    def surjective(self, J: frozenset) -> bool:
        return bool(J) and self.positive(self.solve(J)[0])


# -- small supports (max-norm, few columns) --------------------------------------------

def _supports(oracle: _Oracle) -> Supports:
    return Supports(oracle.rows if not oracle.arith.exact else oracle.exact)  # floats: exact


def _support_exact(oracle: _Oracle, index: list[int], method: str, info: dict
                   ) -> HoffmanConstant:
    """The exact max-norm constant from the row sets of at most ``n`` rows."""
    sup = _supports(oracle)
    low, S = sup.exact()
    value = 1 / low if oracle.arith.exact else float(1 / low)
    if oracle.report is not None:
        oracle.report(value)
    info = {**info, "supports": sup.examined, "exact_checks": sup.exact_checks}
    argmax = tuple(sorted(index[i] for i in S))
    return HoffmanConstant(value, value, value, "inf", method, oracle.arith, argmax,
                           oracle.calls, info=info)


def _support_bounds(oracle: _Oracle, info: dict) -> HoffmanConstant:
    """A certified float interval of the max-norm constant: the float phase of the
    small-support enumeration (no exact evaluation but for undecided candidates)."""
    sup = _supports(oracle)
    lo, hi = sup.enclosure()
    lower = 1 / hi * (1 - 4 * UNIT_ROUNDOFF)
    upper = 1 / lo * (1 + 4 * UNIT_ROUNDOFF) if lo > 0 else math.inf
    info = {**info, "supports": sup.examined, "exact_checks": sup.exact_checks}
    return HoffmanConstant(None, lower, upper, "inf", "bounds", oracle.arith, (),
                           oracle.calls, True, info)


# -- exact enumeration ------------------------------------------------------------------

def _exhaustive(oracle: _Oracle) -> list[frozenset]:
    """Depth-first include/exclude enumeration of the row sets.

    A node ``(J, R)`` stands for every set ``J ∪ S`` with ``S ⊆ R``. If ``J ∪ R`` is
    surjective it dominates the whole subtree (record it); if ``J`` is not surjective
    no set of the subtree is (prune). Known certificates (non-surjective supports)
    and recorded sets avoid repeated LPs. Returns a family of surjective sets
    containing every maximal one.
    """
    found: list[frozenset] = []
    certs: list[frozenset] = []
    stack: list[tuple[tuple[int, ...], tuple[int, ...]]] = [((), tuple(range(oracle.k)))]
    while stack:
        J, R = stack.pop()
        full = frozenset(J + R)
        if not full or any(full <= S for S in found):
            continue
        if not any(c <= full for c in certs):
            v, support = oracle.solve(full)
            if oracle.positive(v):
                found.append(full)
                continue
            certs.append(frozenset(support))
        if not R:
            continue
        Jset = frozenset(J)
        if J and (any(c <= Jset for c in certs) or not oracle.surjective(Jset)):
            if not any(c <= Jset for c in certs):
                certs.append(frozenset(oracle.solve(Jset)[1]))
            continue
        r, rest = R[0], R[1:]
        stack.append((J, rest))
        stack.append(((*J, r), rest))
    return found


def _pvz(oracle: _Oracle) -> list[frozenset]:
    """The Peña–Vera–Zuluaga algorithm: the maximal A-surjective row sets.

    With two columns they are read off the sectors of the rows' lines (:func:`_sectors`;
    the candidate family below grows combinatorially on cells of hundreds of rows).
    Otherwise it keeps a family of candidate sets, initially ``{all rows}``, with the invariant
    that every maximal surjective set lies inside a candidate or a found set. A
    surjective candidate is recorded and its subsets dropped; a non-surjective
    candidate yields a Gordan certificate ``I`` (support of ``y >= 0`` with
    ``A_I^T y = 0``), and every candidate ``K ⊇ I`` is replaced by the sets
    ``K \\ {i}``, ``i in I`` (no surjective set contains ``I``).
    """
    if oracle.n == 2:
        return _sectors(oracle)
    found: list[frozenset] = []
    cand: list[frozenset] = [frozenset(range(oracle.k))]
    while cand:
        J = cand.pop()
        if any(J <= S for S in found):
            continue
        v, support = oracle.solve(J)
        if oracle.positive(v):
            found.append(J)
            cand = [K for K in cand if not K <= J]
            continue
        cert = frozenset(support)
        new: list[frozenset] = []
        for K in [*cand, J]:
            if cert <= K:
                new.extend(K - {i} for i in cert)
            else:
                new.append(K)
        cand = _maximal(new, found)
    return found


def _sectors(oracle: _Oracle) -> list[frozenset]:
    """Two columns: the sets ``{j : a_j . x < 0}`` of the open sectors between the lines
    ``a_j . x = 0`` (the chambers of the central arrangement of the rows).

    Every surjective set lies in one of them (move its ``x`` off the lines), so they
    contain every maximal surjective set: the sets the candidate search above ends with,
    read off directly. The boundary directions ``±(-a_j2, a_j1)`` are sorted by angle
    exactly; crossing one flips the rows of its line. No LP; ``2L`` sets for ``L``
    distinct lines.
    """
    A = oracle.exact
    ends: list[tuple[tuple[Fraction, Fraction], int]] = []
    for j, (a1, a2) in enumerate(A):
        ends += [((-a2, a1), j), ((a2, -a1), j)]
    ends.sort(key=cmp_to_key(lambda u, v: _angle_cmp(u[0], v[0])))
    groups: list[list[int]] = []
    heads: list[tuple[Fraction, Fraction]] = []
    for d, j in ends:
        if heads and _angle_cmp(heads[-1], d) == 0:
            groups[-1].append(j)
        else:
            heads.append(d)
            groups.append([j])
    b0, b1 = heads[0], heads[1 % len(heads)]
    if len(heads) == 2:  # one line: the two half-planes
        x = (-b0[1], b0[0])
    else:
        n0, n1 = abs(b0[0]) + abs(b0[1]), abs(b1[0]) + abs(b1[1])
        x = (b0[0] / n0 + b1[0] / n1, b0[1] / n0 + b1[1] / n1)
    J = {j for j, (a1, a2) in enumerate(A) if a1 * x[0] + a2 * x[1] < 0}
    sets = [frozenset(J)]
    oracle.hints[sets[0]] = x
    for t, g in enumerate(groups[1:], start=1):
        J ^= set(g)
        sets.append(frozenset(J))
        b0, b1 = heads[t], heads[(t + 1) % len(heads)]
        if len(heads) > 2:  # a direction inside sector t: A_J x < 0 there
            n0, n1 = abs(b0[0]) + abs(b0[1]), abs(b1[0]) + abs(b1[1])
            oracle.hints[sets[-1]] = (b0[0] / n0 + b1[0] / n1, b0[1] / n0 + b1[1] / n1)
    return [S for S in dict.fromkeys(sets) if S]


def _angle_cmp(u: tuple, v: tuple) -> int:
    """Exact comparison of the angles of two non-zero plane vectors in ``[0, 2 pi)``."""
    hu = 0 if u[1] > 0 or (u[1] == 0 and u[0] > 0) else 1
    hv = 0 if v[1] > 0 or (v[1] == 0 and v[0] > 0) else 1
    if hu != hv:
        return hu - hv
    cross = u[0] * v[1] - u[1] * v[0]
    return -1 if cross > 0 else (1 if cross < 0 else 0)


def _maximal(sets: Iterable[frozenset], found: list[frozenset]) -> list[frozenset]:
    """Distinct non-empty sets not inside a found set nor strictly inside another one."""
    uniq = sorted({s for s in sets if s and not any(s <= f for f in found)}, key=len,
                  reverse=True)
    out: list[frozenset] = []
    for s in uniq:
        if not any(s < t for t in out):
            out.append(s)
    return out


# -- the Euclidean convention ------------------------------------------------------------

def _euclid_candidates(A: np.ndarray, within: frozenset | None = None, limit: int = 200_000,
                       exact_rows: np.ndarray | None = None) -> dict[frozenset, float]:
    """``{S: 1/sigma_min(A_S)}`` over the row sets ``S`` (inside ``within``) whose rows are
    linearly independent and whose smallest eigenvalue of ``A_S A_S^T`` has a
    non-negative eigenvector.

    Why this is exact: the minimiser ``y*`` of ``||A_J^T y||_2`` over ``y >= 0``,
    ``||y||_2 = 1`` is, on its support ``S``, a local minimiser of the Rayleigh quotient
    of ``M_S = A_S A_S^T`` on the unit sphere, hence an eigenvector of its smallest
    eigenvalue; conversely every such non-negative eigenvector is feasible. A zero
    eigenvalue with a non-negative eigenvector would contradict surjectivity, so the
    rows of ``S`` are independent (``|S| <= n``) and every such ``S`` is surjective.
    """
    k, n = A.shape
    pool = sorted(within) if within is not None else list(range(k))
    scale = max(1.0, float(np.abs(A).max()))
    tol = SPECTRAL_RTOL * scale
    out: dict[frozenset, float] = {}
    stack: list[tuple[int, ...]] = [(i,) for i in reversed(range(len(pool)))]
    visited = 0
    while stack:
        check_time("the Euclidean Hoffman constant")
        pos = stack.pop()
        S = [pool[p] for p in pos]
        sub = A[S]
        sv = np.linalg.svd(sub, compute_uv=False)
        if sv[-1] <= tol * max(1.0, sv[0]):  # dependent rows: so is every superset
            if exact_rows is not None and _independent(exact_rows[S]):
                raise TropnetError(
                    f"rows {[int(j) for j in S]} of the matrix are linearly independent but "
                    f"closer to dependent than float64 resolves (smallest singular value "
                    f"{sv[-1]:.3g}), so the Euclidean Hoffman constant exceeds about "
                    f"{1 / tol:.3g} and cannot be computed in float64; use norm 'inf' "
                    f"(exact)")
            continue
        visited += 1
        if visited > limit:
            raise TooLargeError(f"more than {limit} independent row sets; use method "
                                "'bounds'")
        value = _nonneg_eigen_value(sub, tol)
        if value is not None:
            out[frozenset(S)] = value
        if len(S) < n:
            stack.extend((*pos, q) for q in reversed(range(pos[-1] + 1, len(pool))))
    return out


def _nonneg_eigen_value(sub: np.ndarray, tol: float) -> float | None:
    """``1/sigma_min`` when the smallest eigenvalue of ``sub sub^T`` has an eigenvector
    ``>= 0``, else None."""
    M = sub @ sub.T
    w, V = np.linalg.eigh(M)
    lam = max(float(w[0]), 0.0)
    span = V[:, w <= w[0] + EIGEN_GAP_RTOL * max(1.0, float(w[-1]))]
    if span.shape[1] == 1:
        v = span[:, 0]
        ok = bool(np.all(v >= -LEAD_RTOL) or np.all(v <= LEAD_RTOL))
    else:  # a non-negative vector in the eigenspace: y = V z >= 0, sum(y) = 1
        d = span.shape[1]
        res = linprog(np.zeros(d), -span, np.zeros(span.shape[0]), FLOAT,
                      A_eq=span.sum(axis=0).reshape(1, -1), b_eq=[1.0])
        ok = res.optimal
    if not ok or lam <= tol * tol:
        return None
    return 1.0 / math.sqrt(lam)


def _exact_rank(rows: np.ndarray) -> int:
    """The rank of rational rows, exactly: ``n`` minus the dimension of ``{x : rows x = 0}``."""
    a = np.asarray(rows, dtype=object)
    null = Polyhedron.from_inequalities(np.concatenate([a, -a]), [0] * (2 * len(a)), EXACT,
                                        a.shape[1])
    return a.shape[1] - null.dimension()


def _independent(rows: np.ndarray) -> bool:
    """Exactly: are these rational rows linearly independent?"""
    return _exact_rank(rows) == len(rows)


def _euclid_max(A: np.ndarray, sets: list[frozenset], limit: int,
                exact_rows: np.ndarray | None = None) -> tuple[float, frozenset]:
    """``max_J H_J`` in the Euclidean convention over the surjective sets ``J`` (each
    ``H_J`` from :func:`_euclid_candidates` inside ``J``)."""
    best, arg = 0.0, frozenset()
    seen: dict[frozenset, float] = {}
    for J in sets:
        for S, h in _euclid_candidates(A, J, limit, exact_rows).items():
            seen[S] = h
    for S, h in seen.items():
        if h > best:
            best, arg = h, S
    return best, arg


# -- bounds ----------------------------------------------------------------------------

def _bounds(rows: np.ndarray, index: list[int], oracle: _Oracle, norm: str,
            arith: Arithmetic, samples: int, seed: int, limit: int, info: dict
            ) -> HoffmanConstant:
    """Lower bound: ``samples`` random row sets ``S`` with independent rows (grown in a
    random order; independent rows are always surjective), each giving ``H >= H_S`` —
    one LP each in the max-norm convention, and in the Euclidean convention the
    non-negative smallest eigenvectors along the chain (no LP). Upper bound:
    Güler–Hoffman–Rothblum ``max_B 1/sigma_min(A_B)`` over the bases ``B`` (maximal
    sets of independent rows) for the Euclidean convention, times
    ``sqrt(min(rows, n + 1))`` for the max-norm convention.

    Why the factor: an optimal ``y`` of the max-norm inner LP can be taken at a vertex,
    whose support has at most ``n + 1`` rows; with ``||A^T y||_1 >= ||A^T y||_2 >=
    ||y||_2 / H_2 >= ||y||_1 / (sqrt(|supp y|) H_2)`` this gives
    ``H_inf <= sqrt(min(m, n + 1)) H_2``. (Lezeau et al. state the bound without the
    factor; ``A = [[1, 0], [-1, -1]]`` has ``H_inf = 2 > H_2 = 1.618...``.)
    """
    rng = np.random.default_rng(seed)
    k, n = rows.shape
    Af = np.asarray(rows, dtype=float)
    lower: Any = arith.zero if norm == "inf" else 0.0
    arg: frozenset = frozenset()
    for _ in range(max(1, samples)):
        S, euclid = _independent_chain(Af, rng)
        if norm == "inf":
            cand: Any = 1 / oracle.solve(frozenset(S))[0]
        else:
            cand = euclid
        if cand > lower:
            lower, arg = cand, frozenset(S)
    ghr, certified = _ghr(Af, limit, rng, oracle.exact)
    info = {**info, "ghr_bound": ghr, "bases_certified": certified}
    # rounded up to cover the round-off of the SVDs
    upper = (ghr if norm == "2" else ghr * math.sqrt(min(k, n + 1))) * (1 + ROUNDOFF_PAD)
    argmax = tuple(sorted(index[i] for i in arg))
    return HoffmanConstant(None, lower, upper, norm, "bounds", arith, argmax, oracle.calls,
                           certified, info)


def _independent_chain(Af: np.ndarray, rng: np.random.Generator) -> tuple[list[int], float]:
    """Rows added in a random order while they stay linearly independent, and the best
    Euclidean lower bound ``1/sigma_min`` met along the chain (sets whose smallest
    eigenvector is non-negative, see :func:`_euclid_candidates`)."""
    scale = max(1.0, float(np.abs(Af).max()))
    S: list[int] = []
    best = 0.0
    for r in rng.permutation(Af.shape[0]):
        trial = [*S, int(r)]
        sv = np.linalg.svd(Af[trial], compute_uv=False)
        if sv[-1] > SPECTRAL_RTOL * scale * max(1.0, sv[0]):
            S = trial
            val = _nonneg_eigen_value(Af[S], SPECTRAL_RTOL * scale)
            if val is not None:
                best = max(best, val)
            if len(S) == Af.shape[1]:
                break
    return S, best


#: at most this many row sets that float64 finds singular are checked exactly by the bounds
MAX_EXACT_CHECKS = 2000


def _ghr(Af: np.ndarray, limit: int, rng: np.random.Generator,
         exact_rows: np.ndarray | None = None) -> tuple[float, bool]:
    """``max 1/sigma_min(A_B)`` over the bases ``B``: all of them when there are at most
    ``limit``, else ``limit`` random ones (then not a certified bound). A row set float64
    finds singular is checked exactly (``exact_rows``, at most :data:`MAX_EXACT_CHECKS`):
    when it is a basis after all, its ``1/sigma_min`` is beyond float64 and the bound is
    refused rather than reported too small."""
    k = Af.shape[0]
    scale = max(1.0, float(np.abs(Af).max()))
    r = int(np.linalg.matrix_rank(Af, tol=SPECTRAL_RTOL * scale))
    if exact_rows is not None and _exact_rank(exact_rows) != r:
        raise TropnetError(f"the matrix has rank {_exact_rank(exact_rows)} but float64 sees "
                           f"rank {r} (rows closer to dependent than it resolves), so the "
                           f"upper bound of method 'bounds' cannot be computed; use method "
                           f"'pvz' (exact value)")
    total = math.comb(k, r)
    certified = total <= limit
    if certified:
        subsets: Iterable[tuple[int, ...]] = combinations(range(k), r)
    else:
        subsets = (tuple(sorted(rng.choice(k, size=r, replace=False))) for _ in range(limit))
    best = 0.0
    chunk: list[tuple[int, ...]] = []
    checks = [0]

    def flush() -> float:
        idx = np.array(chunk, dtype=int)
        sv = np.linalg.svd(Af[idx], compute_uv=False)  # (c, r)
        smin, smax = sv[:, -1], sv[:, 0]
        ok = smin > SPECTRAL_RTOL * scale * np.maximum(1.0, smax)
        if exact_rows is not None:
            for i in np.flatnonzero(~ok)[:max(0, MAX_EXACT_CHECKS - checks[0])]:
                checks[0] += 1
                if _independent(exact_rows[list(idx[i])]):
                    raise TropnetError(
                        f"rows {[int(j) for j in idx[i]]} are linearly independent but closer to "
                        f"dependent than float64 resolves, so the upper bound of method "
                        f"'bounds' cannot be computed; use method 'pvz' (exact value)")
        return float(np.max(1.0 / smin[ok])) if ok.any() else 0.0

    for s in subsets:
        chunk.append(s)
        if len(chunk) % 256 == 0:
            check_time("the bound of the Hoffman constant")
        if len(chunk) >= 4096:
            best = max(best, flush())
            chunk = []
    if chunk:
        best = max(best, flush())
    return best, certified

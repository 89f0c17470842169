"""The max-norm Hoffman constant from row sets of at most ``n`` rows (the small supports).

**Theorem.** For ``A`` in ``R^{m x n}`` with non-zero rows, in the max-norm convention,
``1 / H(A) = min { d(S) : S a set of at most n rows, 0 not in conv(A_S) }`` with
``d(S) = min { ||z||_1 : z in conv(A_S) }``.

*Proof.* For a row set ``J`` the inner value of Peña, Vera and Zuluaga is
``v(J) = min ||A_J^T y||_1`` over ``y >= 0, sum y = 1``, i.e. ``d(J)``, the l1-distance
from 0 to ``conv(A_J)``, and ``J`` is surjective iff ``0`` is not in ``conv(A_J)``; then
``H = max 1/v(J)`` over the surjective ``J`` (:mod:`tropnet.hoffman.matrix`). For a
surjective ``J`` the nearest point ``z*`` lies on a proper face of ``conv(A_J)`` (0 is
outside), of dimension at most ``n - 1``, so by Carathéodory ``z*`` is in the convex
hull of at most ``n`` rows ``S`` of ``J``; ``S`` is surjective (a subset of ``J``) and
``d(S) = v(J)``. Conversely every surjective ``S`` gives ``H >= 1/d(S)``. ∎

**Vertices.** ``d(S)`` is a linear programme in ``y``; an optimal vertex has a support
``S'`` of ``p`` rows and ``p - 1`` zero coordinates ``K`` of ``z`` with the square system
``sum y = 1, (A_{S'}^T y)_K = 0`` non-singular. So ``1/H`` is the least ``||z||_1`` over
these *candidates* ``(S', K)`` whose solution ``y`` is positive and whose ``S'`` is
surjective. With Cramer's rule, for ``p = 2`` (rows ``r, s``, coordinate ``k`` where they
have opposite signs) ``||z||_1 = sum_{j != k} |r_k s_j - s_k r_j| / (|r_k| + |s_k|)``, zero
exactly when ``r, s`` are opposite (not surjective); for ``p = 3`` the same with 3x3
determinants. A candidate whose rows are linearly dependent is never needed: its rows
are affinely independent (the system is non-singular), so their affine hull is their
span and contains 0, and a point of the relative interior of ``conv(A_{S'})`` is then
not the nearest to 0 (``(1 - t) z`` is nearer and still inside); so ``S'`` is taken
linearly independent, hence surjective. There are ``sum_p C(m, p) C(n, p - 1)``
candidates, about ``m^n``.

**Search.** Every candidate is first evaluated in ball arithmetic
(:class:`tropnet.arithmetic.Ball`), which gives a rigorous interval for its value and
certain or uncertain validity. ``delta``, the least upper end over certainly valid
candidates, bounds ``1/H`` from above; only candidates whose lower end is at most
``delta`` are evaluated again with ``Fraction`` values, and the least exact value is ``1/H``.
For ``n = 2`` and many rows, pairs are looked up near antipodal directions only: a pair
with ``d < delta`` either has a row ``r`` with ``|r|_2 < sqrt(2) delta`` (if ``r . s >= 0``,
``|z|_2 >= min(|r|, |s|)/sqrt(2)``) or has ``|u_r + u_s| <= 2 sqrt(2) delta / |r|_2`` for its
shorter row ``r`` (unit vectors ``u``; the distance from 0 to the segment is at least
``min(|r|, |s|) sin(angle) / 2``), found on the rows sorted by angle. Cost:
``O(m log m)`` plus the pairs in the windows for ``n = 2``, ``O(m^3)`` for ``n = 3``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, islice
from typing import Any

import numpy as np

from ..arithmetic import SMALLEST_SUBNORMAL, UNIT_ROUNDOFF, Ball
from ..limits import check_time

__all__ = ["SUPPORT_DIM", "SUPPORT_LIMIT", "Rows", "Supports", "candidate_count", "feasible"]

#: the small-support enumeration is used up to this many columns (inputs)
SUPPORT_DIM = 3
#: and up to this many brute-force candidates (row sets times coordinate sets)
SUPPORT_LIMIT = 2_000_000
#: from this many rows on, the pairs of a 2-column matrix are looked up by direction
WINDOW_ROWS = 40
#: candidates evaluated per vectorised block
CHUNK = 200_000

_U, _ETA = UNIT_ROUNDOFF, SMALLEST_SUBNORMAL


def candidate_count(m: int, n: int) -> int:
    """``sum_{p <= n} C(m, p) C(n, p - 1)``: the candidates of a brute-force enumeration.

    Parameters
    ----------
    m : int
        The number of rows.
    n : int
        The number of columns.
    """
    return sum(math.comb(m, p) * math.comb(n, p - 1) for p in range(1, n + 1))


def feasible(m: int, n: int) -> bool:
    """Whether :class:`Supports` handles an ``m x n`` matrix (``n <= 2``, or ``n = 3`` with at
    most :data:`SUPPORT_LIMIT` candidates).

    Parameters
    ----------
    m : int
        The number of rows.
    n : int
        The number of columns.
    """
    return n <= 2 or (n <= SUPPORT_DIM and candidate_count(m, n) <= SUPPORT_LIMIT)


@dataclass
class _Block:
    """Candidates of one support size: row sets ``sets`` (c x p), coordinate sets ``coords``
    (c x (p - 1)), value intervals ``[lo, hi]``, and ``sure`` (certainly valid)."""

    sets: np.ndarray
    coords: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sure: np.ndarray


@dataclass(frozen=True)
class Rows:
    """A matrix (and optionally a right-hand side) given by balls of its entries and by its
    exact rows on demand, so that a cell of hundreds of rows costs a few vectorised ball
    operations and only the rows a decision needs are built in ``Fraction`` values.

    Attributes
    ----------
    ball : Ball
        Balls enclosing the entries.
    exact : callable
        ``exact(i)``: row ``i`` as a tuple of ``Fraction``.
    rhs : Ball or None, default None
        Balls enclosing the right-hand side, if any.
    exact_rhs : callable or None, default None
        ``exact_rhs(i)``: the exact right-hand side of row ``i``.
    """

    ball: Ball
    exact: Callable[[int], tuple[Fraction, ...]]
    rhs: Ball | None = None
    exact_rhs: Callable[[int], Fraction] | None = None

    @classmethod
    def of(cls, A: Any, b: Any = None) -> Rows:
        """From exact entries (``Fraction`` values, integers or binary floats).

        Parameters
        ----------
        A : array_like
            The matrix.
        b : array_like or None, default None
            The right-hand side.
        """
        A = np.asarray(A)
        ball = Ball.of(A)
        cache: dict[int, tuple[Fraction, ...]] = {}

        def row(i: int) -> tuple[Fraction, ...]:
            hit = cache.get(i)
            if hit is None:
                hit = cache[i] = tuple(Fraction(v) for v in A[i])
            return hit

        if b is None:
            return cls(ball, row)
        b = np.asarray(b)
        return cls(ball, row, Ball.of(b), lambda i: Fraction(b[i]))

    @property
    def shape(self) -> tuple[int, int]:
        """The matrix's shape ``(m, n)``."""
        return self.ball.mid.shape


class Supports:
    """``1/H`` of a matrix with distinct non-zero rows, by the small-support theorem.

    Parameters
    ----------
    rows : Rows or array_like
        The matrix (``m x n``, ``n <= 3``; `Rows`, or exact entries).

    Examples
    --------
    >>> s = Supports(np.array([[1, 0], [-1, -1]], dtype=object))
    >>> s.exact()          # the segment between the rows passes (1/2, ...) from 0
    (Fraction(1, 2), (0, 1))
    """

    def __init__(self, rows: Rows | Any) -> None:
        self.source = rows if isinstance(rows, Rows) else Rows.of(rows)
        self.m, self.n = self.source.shape
        self.ball = self.source.ball
        self.exact_checks = 0
        self.examined = 0
        self._blocks: list[_Block] | None = None
        self._delta = math.inf

    # -- results ---------------------------------------------------------------------
    def enclosure(self) -> tuple[float, float]:
        """``(lo, hi)`` with ``lo <= 1/H <= hi`` (floats, rigorous)."""
        blocks = self._search()
        lo = math.inf
        for blk in blocks:
            near = blk.lo <= self._delta
            if np.any(near & blk.sure):
                lo = min(lo, float(blk.lo[near & blk.sure].min()))
            for c in np.flatnonzero(near & ~blk.sure):  # decided exactly
                v = self._value(tuple(blk.sets[c]), tuple(blk.coords[c]))
                if v is not None:
                    lo = min(lo, _down(float(v)))
        return lo, self._delta

    def exact(self) -> tuple[Fraction, tuple[int, ...]]:
        """``(1/H, S)`` exactly, with a row set ``S`` attaining it."""
        blocks = self._search()
        best: Fraction | None = None
        arg: tuple[int, ...] = ()
        for blk in blocks:
            for c in np.flatnonzero(blk.lo <= self._delta):
                S, K = tuple(int(i) for i in blk.sets[c]), tuple(int(k) for k in blk.coords[c])
                v = self._value(S, K)
                if v is not None and (best is None or v < best or
                                      (v == best and len(S) < len(arg))):
                    best, arg = v, S
        assert best is not None  # the candidate that gave delta is among them
        return best, tuple(sorted(arg))

    # -- the float phase -------------------------------------------------------------
    def _search(self) -> list[_Block]:
        if self._blocks is not None:
            return self._blocks
        m, n = self.m, self.n
        B = self.ball
        tot = np.abs(B.mid).sum(axis=1)
        lo, hi = _bounds(Ball(tot, (B.rad.sum(axis=1) + n * _U * tot) * (1 + 4 * _U)), None)
        blocks = [_Block(np.arange(m).reshape(-1, 1), np.zeros((m, 0), dtype=int), lo, hi,
                         np.ones(m, dtype=bool))]
        self._delta = float(hi.min())
        self.examined = m
        if n >= 2 and m >= 2:
            for pairs in self._pairs():
                blk = self._pair_block(pairs)
                self._take(blk)
                blocks.append(blk)
        if n == 3 and m >= 3:
            for triples in _chunks(combinations(range(m), 3), 3, CHUNK // 3):
                blk = self._triple_block(triples)
                self._take(blk)
                blocks.append(blk)
        self._blocks = [_trim(b, self._delta) for b in blocks]
        return self._blocks

    def _take(self, blk: _Block) -> None:
        self.examined += len(blk.lo)
        if np.any(blk.sure):
            self._delta = min(self._delta, float(blk.hi[blk.sure].min()))
        check_time("the Hoffman constant")

    def _pairs(self) -> Iterator[np.ndarray]:
        """Blocks of index pairs ``(i < j)`` that may beat ``delta``: all of them, or for
        two columns and many rows those near antipodal directions (module docstring),
        found on the rows sorted by angle."""
        m = self.m
        if self.n != 2 or m < WINDOW_ROWS:
            ii, jj = np.triu_indices(m, 1)
            for s in range(0, len(ii), CHUNK):
                yield np.column_stack([ii[s:s + CHUNK], jj[s:s + CHUNK]])
            return
        mid = self.ball.mid
        norms = np.hypot(mid[:, 0], mid[:, 1])
        theta = np.arctan2(mid[:, 1], mid[:, 0])
        order = np.argsort(theta)
        ring = np.concatenate([theta[order] - 2 * np.pi, theta[order], theta[order] + 2 * np.pi])
        where = np.tile(order, 3)
        target = np.where(theta > 0, theta - np.pi, theta + np.pi)  # the antipodal angle
        # first the nearest rows around each antipode (they give a small delta) ...
        at = np.searchsorted(ring, target)
        near = where[np.clip(at[:, None] + np.arange(-2, 2), 0, len(ring) - 1)]
        first = _pair_codes(np.repeat(np.arange(m), 4), near.reshape(-1), m)
        yield _decode(first, m)
        # ... then every row within the window of that delta: chord |u_r + u_s| <= c is an
        # angle of at most 2 asin(c / 2) from the antipode; short rows pair with all
        delta = self._delta * (1 + 1e-6)
        chord = 2 * math.sqrt(2) * delta / norms * (1 + 1e-6) + 1e-12
        width = np.where(chord >= 2, 4 * np.pi,
                         2 * np.arcsin(np.minimum(chord / 2, 1.0)) * (1 + 1e-6) + 1e-9)
        short = norms < math.sqrt(2) * delta * (1 + 1e-6)
        width[short] = 4 * np.pi
        lo = np.searchsorted(ring, target - width, side="left")
        hi = np.searchsorted(ring, target + width, side="right")
        counts = hi - lo
        ii = np.repeat(np.arange(m), counts)
        step = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        jj = where[np.repeat(lo, counts) + step]
        rest = np.setdiff1d(_pair_codes(ii, jj, m), first, assume_unique=True)
        for s in range(0, len(rest), CHUNK):
            yield _decode(rest[s:s + CHUNK], m)

    def _pair_block(self, pairs: np.ndarray) -> _Block:
        """Candidates ``({r, s}, {k})``: ``sum_{j != k} |r_k s_j - s_k r_j| / (|r_k| + |s_k|)``
        where ``r_k, s_k`` have opposite signs, with rigorous float error bounds."""
        B, n = self.ball, self.n
        rm, rr = B.mid[pairs[:, 0]], B.rad[pairs[:, 0]]
        sm, sr = B.mid[pairs[:, 1]], B.rad[pairs[:, 1]]
        sets, coords, los, his, sures = [], [], [], [], []
        for k in range(n):
            a, ra, c, rc = rm[:, k], rr[:, k], sm[:, k], sr[:, k]
            sure_opp = ((a > ra) & (-c > rc)) | ((-a > ra) & (c > rc))
            same = ((a - ra >= 0) & (c - rc >= 0)) | ((a + ra <= 0) & (c + rc <= 0))
            keep = np.flatnonzero(~same)
            if not len(keep):
                continue
            a, ra, c, rc = a[keep], ra[keep], c[keep], rc[keep]
            num = np.zeros(len(keep))
            nrad = np.zeros(len(keep))
            for j in range(n):
                if j == k:
                    continue
                b, rb = sm[keep, j], sr[keep, j]
                d, rd = rm[keep, j], rr[keep, j]
                p, q = a * b, c * d
                num += np.abs(p - q)
                # inputs' radii, then the round-off of two products and a difference
                nrad += (np.abs(a) * rb + ra * (np.abs(b) + rb) + np.abs(c) * rd
                         + rc * (np.abs(d) + rd) + 3 * _U * (np.abs(p) + np.abs(q)) + 4 * _ETA)
            nrad = (nrad + (n - 1) * _U * num) * (1 + 8 * _U)
            den = np.abs(a) + np.abs(c)
            drad = (ra + rc + _U * den) * (1 + 4 * _U)
            lo, hi = _bounds(Ball(num, nrad), Ball(den, drad))
            alive = (num != 0) | (nrad != 0)  # an exact 0: opposite rows
            idx = keep[alive]
            sets.append(pairs[idx])
            coords.append(np.full((len(idx), 1), k))
            los.append(lo[alive])
            his.append(hi[alive])
            sures.append(sure_opp[idx] & (num > nrad)[alive])
        return _concat(sets, coords, los, his, sures, 2)

    def _triple_block(self, triples: np.ndarray) -> _Block:
        B = self.ball
        r, s, t = B[triples[:, 0]], B[triples[:, 1]], B[triples[:, 2]]
        d3 = _det3(r, s, t)
        indep = (d3.mid > d3.rad) | (-d3.mid > d3.rad)
        sets, coords, los, his, sures = [], [], [], [], []
        for k1, k2 in ((0, 1), (0, 2), (1, 2)):
            j = 3 - k1 - k2
            c1 = s[:, k1] * t[:, k2] - t[:, k1] * s[:, k2]
            c2 = t[:, k1] * r[:, k2] - r[:, k1] * t[:, k2]
            c3 = r[:, k1] * s[:, k2] - s[:, k1] * r[:, k2]
            cof = (c1, c2, c3)
            pos = np.array([c.mid > c.rad for c in cof])
            neg = np.array([-c.mid > c.rad for c in cof])
            zero = np.array([(c.mid == 0) & (c.rad == 0) for c in cof])
            # y = cofactors / det is positive iff the three cofactors have one strict sign
            keep = ~((pos.any(axis=0) & neg.any(axis=0)) | zero.any(axis=0))
            if not np.any(keep):
                continue
            sure = pos.all(axis=0) | neg.all(axis=0)
            det = c1 + c2 + c3
            numer = r[:, j] * c1 + s[:, j] * c2 + t[:, j] * c3
            num = Ball(np.abs(numer.mid[keep]), numer.rad[keep])
            den = Ball(np.abs(det.mid[keep]), det.rad[keep])
            lo, hi = _bounds(num, den)
            sets.append(triples[keep])
            coords.append(np.tile([k1, k2], (int(keep.sum()), 1)))
            los.append(lo)
            his.append(hi)
            sures.append((sure & indep)[keep])
        return _concat(sets, coords, los, his, sures, 3)

    # -- the exact phase -------------------------------------------------------------
    def _value(self, S: tuple[int, ...], K: tuple[int, ...]) -> Fraction | None:
        """The exact value of candidate ``(S, K)``, or None when it is not valid."""
        self.exact_checks += 1
        rows = [self.source.exact(i) for i in S]
        if len(S) == 1:
            return sum((abs(v) for v in rows[0]), Fraction(0))
        if len(S) == 2:
            r, s = rows
            k = K[0]
            if not r[k] * s[k] < 0:
                return None
            num = sum((abs(r[k] * s[j] - s[k] * r[j]) for j in range(self.n) if j != k),
                      Fraction(0))
            return num / (abs(r[k]) + abs(s[k])) if num else None
        r, s, t = rows
        k1, k2 = K
        j = 3 - k1 - k2
        cof = (s[k1] * t[k2] - t[k1] * s[k2], t[k1] * r[k2] - r[k1] * t[k2],
               r[k1] * s[k2] - s[k1] * r[k2])
        if not (all(c > 0 for c in cof) or all(c < 0 for c in cof)):
            return None
        if _fdet3(r, s, t) == 0:  # dependent rows: never needed (module docstring)
            return None
        return abs(r[j] * cof[0] + s[j] * cof[1] + t[j] * cof[2]) / abs(sum(cof))


# -- helpers -----------------------------------------------------------------------------

def _down(x: float) -> float:
    return max(0.0, x * (1 - 8 * _U) - 4 * _ETA)


def _bounds(num: Ball, den: Ball | None) -> tuple[np.ndarray, np.ndarray]:
    """A rigorous float interval of ``num / den`` (``num >= 0``; ``[0, inf]`` where ``den``
    may vanish)."""
    nlo = np.maximum(num.mid - num.rad, 0.0)
    nhi = num.mid + num.rad
    if den is None:
        lo, hi = nlo, nhi
    else:
        dlo, dhi = den.mid - den.rad, den.mid + den.rad
        ok = dlo > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.where(ok, nlo / dhi, 0.0)
            hi = np.where(ok, nhi / np.where(ok, dlo, 1.0), np.inf)
    lo = np.maximum(lo * (1 - 8 * _U) - 4 * _ETA, 0.0)
    hi = hi * (1 + 8 * _U) + 4 * _ETA
    return lo, hi


def _chunks(it: Iterator[tuple[int, ...]], p: int, size: int) -> Iterator[np.ndarray]:
    """Blocks of ``size`` index tuples of length ``p`` from ``it``."""
    while True:
        block = list(islice(it, size))
        if not block:
            return
        yield np.array(block, dtype=int).reshape(-1, p)


def _pair_codes(ii: np.ndarray, jj: np.ndarray, m: int) -> np.ndarray:
    """The distinct pairs ``{i, j}``, ``i != j``, coded as ``min * m + max`` (sorted)."""
    a, b = np.minimum(ii, jj), np.maximum(ii, jj)
    keep = a != b
    return np.unique(a[keep].astype(np.int64) * m + b[keep])


def _decode(codes: np.ndarray, m: int) -> np.ndarray:
    return np.column_stack([codes // m, codes % m]).astype(int).reshape(-1, 2)


def _concat(sets, coords, los, his, sures, p: int) -> _Block:
    if not sets:
        return _Block(np.zeros((0, p), dtype=int), np.zeros((0, p - 1), dtype=int),
                      np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool))
    return _Block(np.concatenate(sets), np.concatenate(coords), np.concatenate(los),
                  np.concatenate(his), np.concatenate(sures))


def _trim(blk: _Block, delta: float) -> _Block:
    keep = blk.lo <= delta
    return _Block(blk.sets[keep], blk.coords[keep], blk.lo[keep], blk.hi[keep],
                  blk.sure[keep])


def _det3(r: Ball, s: Ball, t: Ball) -> Ball:
    return (r[:, 0] * (s[:, 1] * t[:, 2] - s[:, 2] * t[:, 1])
            - r[:, 1] * (s[:, 0] * t[:, 2] - s[:, 2] * t[:, 0])
            + r[:, 2] * (s[:, 0] * t[:, 1] - s[:, 1] * t[:, 0]))


def _fdet3(r: Any, s: Any, t: Any) -> Fraction:
    return (r[0] * (s[1] * t[2] - s[2] * t[1]) - r[1] * (s[0] * t[2] - s[2] * t[0])
            + r[2] * (s[0] * t[1] - s[1] * t[0]))

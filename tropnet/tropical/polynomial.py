"""Tropical (max-plus) Puiseux polynomials.

A tropical Puiseux polynomial in ``x`` in ``R^n`` is the function
``f(x) = max_i (c_i + a_i . x)`` over finitely many monomials; it is stored as
an exponent matrix ``E`` (``m x n``, real exponents) and a coefficient vector
``c`` (length ``m``) in one :class:`~tropnet.arithmetic.Arithmetic`.

* tropical sum ``f ⊕ g`` is the pointwise max: the union of the monomial
  sets (same exponent: keep the larger coefficient);
* tropical product ``f ⊙ g`` is the pointwise sum: the Minkowski sum of the
  monomial sets, ``(a_i + b_j, c_i + d_j)``;
* tropical power ``f^w`` for ``w >= 0`` scales exponents and coefficients by ``w``.

In Python, ``f | g`` (and :meth:`TropicalPolynomial.tsum`) is ⊕, ``f & g``
(:meth:`TropicalPolynomial.tprod`) is ⊙ and ``f ** w`` is the tropical power;
ordinary ``+``/``*`` are deliberately not overloaded to avoid confusing the
two semirings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, GEOMETRY_RTOL, Arithmetic, format_number, resolve
from ..errors import ExpressionError
from ..limits import check_size
from ..span import exact_matmul
from .prune import irredundant

__all__ = ["TropicalPolynomial", "format_affine", "group_monomials"]


@dataclass(frozen=True, eq=False)
class TropicalPolynomial:
    """``max_i (c_i + a_i . x)`` with exponent rows ``a_i`` and coefficients ``c_i``.

    Build with :meth:`from_monomials`, :meth:`constant`, :meth:`variable`, or
    :func:`tropnet.parse`. Duplicate exponents are merged on construction
    (keeping the larger coefficient); redundant monomials are kept until
    :meth:`prune` is called.

    Examples
    --------
    >>> f = TropicalPolynomial.from_monomials([[0], [1], [2]], [0, 0, -2])
    >>> str(f)
    'max(0, x1, 2*x1 - 2)'
    >>> f([3])
    Fraction(4, 1)

    Attributes
    ----------
    exponents : ndarray
        The exponent rows ``a_i``, shape ``(m, n)``.
    coefficients : ndarray
        The coefficients ``c_i``.
    arith : Arithmetic
        The arithmetic of both.
    names : tuple of str or None, default None
        Variable names for printing; ``None``: ``x1, x2, ...``.
    """

    exponents: np.ndarray
    coefficients: np.ndarray
    arith: Arithmetic = EXACT
    names: tuple[str, ...] | None = None

    # -- construction -----------------------------------------------------
    @classmethod
    def from_monomials(cls, exponents: Any, coefficients: Any,
                       exact: bool | Arithmetic | None = None) -> TropicalPolynomial:
        """Build from an exponent matrix and coefficient vector (deduplicated).

        Parameters
        ----------
        exponents : array_like
            The exponent matrix, ``m x n``, ``m >= 1``.
        coefficients : array_like
            One coefficient per row.
        exact : bool, Arithmetic or None, default None
            The arithmetic; ``None`` is exact iff every number is rational.
        """
        arith = resolve(exact, _RationalProbe(exponents, coefficients))
        e = np.asarray(exponents, dtype=object)
        if e.ndim != 2 or e.shape[0] == 0:
            raise ExpressionError("exponents must be a non-empty (m x n) matrix")
        c = np.asarray(coefficients, dtype=object).reshape(-1)
        if c.shape[0] != e.shape[0]:
            raise ExpressionError(f"{e.shape[0]} exponent rows but {c.shape[0]} coefficients")
        return cls._make(arith.array(e), arith.array(c), arith)

    @classmethod
    def _make(cls, e: np.ndarray, c: np.ndarray, arith: Arithmetic,
              names: tuple[str, ...] | None = None) -> TropicalPolynomial:
        e, c = _dedupe(e, c)
        e.setflags(write=False)
        c.setflags(write=False)
        return cls(e, c, arith, names)

    def with_names(self, names: Sequence[str] | None) -> TropicalPolynomial:
        """The same polynomial printed with the given variable names.

        Parameters
        ----------
        names : sequence of str or None
            One name per variable; ``None``: ``x1, x2, ...``.
        """
        if names is not None:
            _names(names, self.nvars)
        return TropicalPolynomial(self.exponents, self.coefficients, self.arith,
                                  tuple(names) if names is not None else None)

    @classmethod
    def constant(cls, value: Any, nvars: int, exact: bool | Arithmetic | None = None
                 ) -> TropicalPolynomial:
        """The single monomial ``value`` (exponent 0).

        Parameters
        ----------
        value : number
            The constant.
        nvars : int
            The number of variables.
        exact : bool, Arithmetic or None, default None
            The arithmetic.
        """
        return cls.from_monomials([[0] * nvars], [value], exact)

    @classmethod
    def variable(cls, index: int, nvars: int, exact: bool | Arithmetic | None = None
                 ) -> TropicalPolynomial:
        """The monomial ``x_{index+1}`` (0-based index).

        Parameters
        ----------
        index : int
            The variable's 0-based index.
        nvars : int
            The number of variables.
        exact : bool, Arithmetic or None, default None
            The arithmetic.
        """
        row = [0] * nvars
        row[index] = 1
        return cls.from_monomials([row], [0], exact)

    # -- shape ------------------------------------------------------------
    @property
    def nvars(self) -> int:
        """The number of variables ``n``."""
        return int(self.exponents.shape[1])

    def __len__(self) -> int:
        return int(self.exponents.shape[0])

    @property
    def exact(self) -> bool:
        """Whether the arithmetic is exact."""
        return self.arith.exact

    @property
    def exact_input(self) -> bool:
        """For the default arithmetic rule: a polynomial stays in its own arithmetic."""
        return self.arith.exact

    def monomials(self) -> list[tuple[tuple, Any]]:
        """``[(exponent tuple, coefficient), ...]`` in lexicographic exponent order."""
        return sorted(((tuple(r), c) for r, c in zip(self.exponents, self.coefficients,
                                                     strict=True)), key=lambda m: m[0])

    # -- semiring operations -----------------------------------------------
    def _check(self, other: TropicalPolynomial) -> None:
        if not isinstance(other, TropicalPolynomial):
            raise TypeError(f"expected a TropicalPolynomial, got {type(other).__name__}")
        if other.nvars != self.nvars:
            raise ExpressionError(f"polynomials in {self.nvars} and {other.nvars} variables")
        if other.arith.exact != self.arith.exact:
            raise ExpressionError("cannot combine exact and float polynomials; convert one "
                                  "with .to(arith)")

    def tsum(self, other: TropicalPolynomial) -> TropicalPolynomial:
        """Tropical sum ``f ⊕ g = max(f, g)``: the union of the monomials.

        Parameters
        ----------
        other : TropicalPolynomial
            A polynomial in the same variables and arithmetic.
        """
        self._check(other)
        return self._make(np.concatenate([self.exponents, other.exponents]),
                          np.concatenate([self.coefficients, other.coefficients]), self.arith,
                          self.names or other.names)

    def tprod(self, other: TropicalPolynomial) -> TropicalPolynomial:
        """Tropical product ``f ⊙ g = f + g``: the Minkowski sum of the monomials.

        Parameters
        ----------
        other : TropicalPolynomial
            A polynomial in the same variables and arithmetic.
        """
        self._check(other)
        check_size(len(self) * len(other), "a tropical product",
                   "count regions with --method enumerate (activation enumeration) instead")
        n = self.nvars
        e = (self.exponents[:, None, :] + other.exponents[None, :, :]).reshape(-1, n)
        c = (self.coefficients[:, None] + other.coefficients[None, :]).reshape(-1)
        return self._make(e, c, self.arith, self.names or other.names)

    def tpow(self, w: Any) -> TropicalPolynomial:
        """Tropical power ``f^w = w*f`` for a real ``w >= 0`` (``w = 0`` gives the constant 0).

        Parameters
        ----------
        w : number
            The power, ``w >= 0``.
        """
        wv = self.arith.convert(w)
        if wv < 0:
            raise ExpressionError(f"tropical power must be non-negative, got {w}")
        if wv == 0:
            return TropicalPolynomial.constant(0, self.nvars, self.arith).with_names(self.names)
        return self._make(self.exponents * wv, self.coefficients * wv, self.arith, self.names)

    __or__ = tsum
    __and__ = tprod
    __pow__ = tpow

    def compose_linear(self, basis: Any) -> TropicalPolynomial:
        """``x -> f(basis @ x)`` for a matrix of full row rank (``nvars`` rows): the monomial
        ``c + a . z`` becomes ``c + (a basis) . x``; distinct exponents stay distinct.

        Parameters
        ----------
        basis : array_like
            The matrix, ``nvars`` rows.
        """
        e = exact_matmul(self.exponents, basis) if self.arith.exact else \
            np.asarray(self.exponents, dtype=float) @ np.asarray(basis, dtype=float)
        return TropicalPolynomial(_frozen(e), self.coefficients, self.arith)

    def shift(self, value: Any) -> TropicalPolynomial:
        """Tropical product with the constant ``value`` (adds ``value`` to every coefficient).

        Parameters
        ----------
        value : number
            The constant.
        """
        return TropicalPolynomial(self.exponents, self.coefficients + self.arith.convert(value),
                                  self.arith, self.names)

    def to(self, exact: bool | Arithmetic) -> TropicalPolynomial:
        """The same polynomial in another arithmetic. Floats convert to exact Fractions;
        exact numbers round to floats, and every monomial is kept, even two that round to
        the same float (so the count stays the exact one).

        Parameters
        ----------
        exact : bool or Arithmetic
            The target arithmetic.
        """
        arith = resolve(exact)
        if arith == self.arith:
            return self
        if not arith.exact:
            return TropicalPolynomial(_frozen(arith.array(self.exponents)),
                                      _frozen(arith.array(self.coefficients)), arith, self.names)
        return self._make(arith.array(self.exponents), arith.array(self.coefficients), arith,
                          self.names)

    # -- evaluation -------------------------------------------------------
    def __call__(self, x: Any) -> Any:
        """Value ``max_i (c_i + a_i . x)`` at one point."""
        pt = _point(x, self.nvars, self.arith)
        return max(self.coefficients + self.exponents.dot(pt))

    def evaluate_batch(self, xs: Any) -> np.ndarray:
        """Float values at the rows of ``xs``.

        Parameters
        ----------
        xs : array_like
            Points, one per row.
        """
        pts = np.asarray(xs, dtype=float).reshape(-1, self.nvars)
        e = np.asarray(self.exponents, dtype=float)
        c = np.asarray(self.coefficients, dtype=float)
        return (pts @ e.T + c).max(axis=1)

    def argmax(self, x: Any) -> list[int]:
        """Indices of the monomials attaining the max at ``x``.

        Parameters
        ----------
        x : array_like
            The point.
        """
        pt = _point(x, self.nvars, self.arith)
        vals = self.coefficients + self.exponents.dot(pt)
        top = max(vals)
        return [i for i, v in enumerate(vals) if v == top]

    # -- structure ----------------------------------------------------------
    def irredundant(self) -> np.ndarray:
        """Indices of the irredundant monomials: those whose cell is full-dimensional
        (of monomials with equal exponents, only the first with the largest coefficient
        can be)."""
        _, rep = group_monomials(self.exponents, self.coefficients)
        if len(rep) == len(self):
            return irredundant(self.exponents, self.coefficients, self.arith)
        return np.sort(rep[irredundant(self.exponents[rep], self.coefficients[rep], self.arith)])

    def prune(self) -> TropicalPolynomial:
        """The same function with every redundant monomial removed (Lezeau et al., Lemma 32)."""
        keep = self.irredundant()
        if len(keep) == len(self):
            return self
        return TropicalPolynomial(_frozen(self.exponents[keep]), _frozen(self.coefficients[keep]),
                                  self.arith, self.names)

    def equals(self, other: TropicalPolynomial) -> bool:
        """True when both define the same function on ``R^n`` (same irredundant monomials).

        Parameters
        ----------
        other : TropicalPolynomial
            A polynomial in the same variables and arithmetic.
        """
        self._check(other)
        a, b = self.prune(), other.prune()
        if len(a) != len(b):
            return False
        if self.arith.exact:
            return a.monomials() == b.monomials()
        ma, mb = a.monomials(), b.monomials()
        scale = max(1.0, *(abs(float(v)) for m in ma for v in (*m[0], m[1])))
        return all(np.allclose(np.array([*x[0], x[1]], dtype=float),
                               np.array([*y[0], y[1]], dtype=float),
                               rtol=0, atol=GEOMETRY_RTOL * scale)
                   for x, y in zip(ma, mb, strict=True))

    # -- text -------------------------------------------------------------
    def format(self, variables: Sequence[str] | None = None, precision: int | None = 6) -> str:
        """Text form ``max(term, ...)``; ``precision`` significant digits for floats
        (``None``: shortest round-trip repr).

        Parameters
        ----------
        variables : sequence of str or None, default None
            The variable names; ``None``: the polynomial's own, or ``x1, x2, ...``.
        precision : int or None, default 6
            Significant digits of floats.
        """
        names = _names(variables if variables is not None else self.names, self.nvars)
        terms = [format_affine(a, c, names, precision) for a, c in self.monomials()]
        return terms[0] if len(terms) == 1 else "max(" + ", ".join(terms) + ")"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"TropicalPolynomial({self.format()!r}, {self.arith!r})"

    def to_dict(self) -> dict:
        """JSON form: exponents and coefficients (exact: ``"p/q"`` strings)."""
        mons = self.monomials()
        return {"exponents": [[format_number(v) for v in e] for e, _ in mons],
                "coefficients": [format_number(c) for _, c in mons]}


class _RationalProbe:
    """Reports whether nested input numbers are all rational (for the default arithmetic rule)."""

    def __init__(self, *data: Any) -> None:
        self.exact_input = all(_all_rational(d) for d in data)


def _all_rational(data: Any) -> bool:
    if isinstance(data, np.ndarray):
        if data.dtype != object:
            return np.issubdtype(data.dtype, np.integer)
        return all(_all_rational(v) for v in data.reshape(-1))
    if isinstance(data, (list, tuple)):
        return all(_all_rational(v) for v in data)
    return isinstance(data, (int, Fraction, str, np.integer)) and not isinstance(data, bool)


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)
    arr.setflags(write=False)
    return arr


def _point(x: Any, n: int, arith: Arithmetic) -> np.ndarray:
    vec = np.asarray(x, dtype=object).reshape(-1)
    if vec.shape[0] != n:
        raise ExpressionError(f"point has {vec.shape[0]} coordinates, expected {n}")
    return arith.vector(vec)


def _dedupe(e: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge monomials with equal exponents, keeping the largest coefficient."""
    if e.shape[0] <= 1:
        return np.array(e), np.array(c)
    _, rep = group_monomials(e, c)
    if len(rep) == e.shape[0]:
        return np.array(e), np.array(c)
    keep = np.sort(rep)
    return np.array(e[keep]), np.array(c[keep])


def group_monomials(e: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group monomials by exponent: ``(group id of each row, representative row per group)``.

    The representative has the largest coefficient of its group. Exponents are
    grouped when they are equal, in float mode too (equal as stored).

    Parameters
    ----------
    e : ndarray
        The exponent rows.
    c : ndarray
        The coefficients.
    """
    m = e.shape[0]
    ids: dict[tuple, int] = {}
    group = np.array([ids.setdefault(tuple(row), len(ids)) for row in e], dtype=int)
    ngroups = int(group.max()) + 1 if m else 0
    rep = np.full(ngroups, -1, dtype=int)
    for i in range(m):  # first maximal coefficient of each group
        g = group[i]
        if rep[g] < 0 or c[i] > c[rep[g]]:
            rep[g] = i
    return group, rep


def _names(variables: Sequence[str] | None, n: int) -> list[str]:
    if variables is None:
        return [f"x{i + 1}" for i in range(n)]
    if len(variables) != n:
        raise ExpressionError(f"{len(variables)} variable names for {n} variables")
    return list(variables)


def _num(value: Any, precision: int | None) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else \
            f"{value.numerator}/{value.denominator}"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if precision is None else f"{v:.{precision}g}"


def format_affine(a: Sequence[Any], c: Any, names: Sequence[str],
                  precision: int | None = 6) -> str:
    """Text of ``a . x + c`` such as ``2*x1 - x2 + 1/2`` (``0`` for the zero form).

    Parameters
    ----------
    a : sequence of numbers
        The linear coefficients.
    c : number
        The constant.
    names : sequence of str
        The variable names.
    precision : int or None, default 6
        Significant digits of floats; ``None``: the shortest round-trip repr.
    """
    parts: list[tuple[bool, str]] = []
    for coef, name in zip(a, names, strict=True):
        if coef == 0:
            continue
        neg = coef < 0
        mag = -coef if neg else coef
        text = _num(mag, precision)
        parts.append((neg, name if text == "1" else f"{text}*{name}"))
    if c != 0 or not parts:
        neg = c < 0
        parts.append((neg, _num(-c if neg else c, precision)))
    out = ("-" if parts[0][0] else "") + parts[0][1]
    for neg, text in parts[1:]:
        out += (" - " if neg else " + ") + text
    return out

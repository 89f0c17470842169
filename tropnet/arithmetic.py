"""The arithmetic every algorithm runs in: exact rationals or float64 with tolerances.

An :class:`Arithmetic` is a value passed to the algorithms (as sympy passes a
polynomial domain): code is written once against it and never branches on a
global flag. Two instances matter:

* :data:`EXACT` -- Python :class:`fractions.Fraction` in numpy object arrays;
  every sign is decided exactly, polyhedral questions go to cdd's gmp
  backend. Floats in the input are converted exactly (``Fraction(0.1)`` is
  ``3602879701896397/36028797018963968``) unless ``limit_denominator`` is set.
* :data:`FLOAT` -- numpy float64. A value ``v`` computed from terms of size
  ``scale`` is treated as zero when ``|v| <= tol * scale``. The tolerance is
  derived here and nowhere else (see :class:`FloatArithmetic`).

The default rule (``exact=None`` everywhere): exact when every number of the
input was given as an integer or a rational string (``"3/2"``, ``"0.25"``),
float as soon as one number was a binary float.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import gcd, lcm
from typing import Any

import numpy as np

from .errors import NearDegeneracyWarning, NetworkError

__all__ = [
    "BARYCENTRIC_TOL",
    "BOX_PAD",
    "EIGEN_GAP_RTOL",
    "EXACT",
    "FLOAT",
    "GEOMETRY_RTOL",
    "LEAD_RTOL",
    "ROUNDOFF_PAD",
    "SAMPLE_TIE",
    "SMALLEST_SUBNORMAL",
    "SOLVER_TOL",
    "SPECTRAL_RTOL",
    "TINY",
    "UNIT_ROUNDOFF",
    "Arithmetic",
    "ExactArithmetic",
    "FloatArithmetic",
    "format_number",
    "gamma",
    "parse_number",
    "resolve",
]

Number = Fraction | float


def parse_number(value: Any, where: str = "value") -> tuple[Fraction, bool]:
    """Read one number of a network or expression file.

    Returns ``(fraction, is_rational)``: the exact value, and whether it was
    written as an integer or rational string (as opposed to a binary float).
    Raises :class:`~tropnet.errors.NetworkError` on NaN, infinity, booleans
    and anything that is not a number.

    Parameters
    ----------
    value : int, Fraction, float or str
        The number; a string is an integer, a decimal or ``"p/q"``.
    where : str, default "value"
        Where the number was read, named in the error message.
    """
    if isinstance(value, bool) or value is None:
        raise NetworkError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, Fraction):
        return value, True
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value)), True
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise NetworkError(f"{where}: {value} is not a finite number")
        return Fraction(float(value)), False
    if isinstance(value, str):
        text = value.strip()
        try:
            frac = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise NetworkError(
                f"{where}: {value!r} is not a number (use e.g. 3, -0.5 or \"3/2\")"
            ) from None
        return frac, True
    raise NetworkError(f"{where}: expected a number, got {type(value).__name__}")


def format_number(value: Number) -> str | float | int:
    """JSON form of a number: ints as ints, fractions as ``"p/q"``, floats as floats.

    Parameters
    ----------
    value : Fraction, int or float
        The number.
    """
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


class Arithmetic:
    """Interface shared by :class:`ExactArithmetic` and :class:`FloatArithmetic`.

    It carries everything that differs between the two: the numpy ``dtype`` of
    arrays, ``zero`` and ``one``, conversion, signs (with the tolerance ``tol``,
    0 in exact mode), hashable keys of vectors and hyperplanes, scaling to one
    denominator (:meth:`scaled`) and the cdd backend (``cdd_exact``).
    """

    exact: bool
    name: str
    tol: float
    dtype: Any
    #: pycddlib backend: ``True`` for ``cdd.gmp`` (exact rationals), ``False`` for ``cdd``
    cdd_exact: bool

    @property
    def zero(self) -> Number:
        """The number 0 of this arithmetic."""
        return self.convert(0)

    @property
    def one(self) -> Number:
        """The number 1 of this arithmetic."""
        return self.convert(1)

    def vector(self, values: Any) -> np.ndarray:
        """A 1-d array of ``values`` converted to this arithmetic (writable).

        Parameters
        ----------
        values : array_like
            Numbers of any shape (flattened).
        """
        return np.array([self.convert(v) for v in np.asarray(values, dtype=object).reshape(-1)],
                        dtype=self.dtype)

    def asarray(self, values: Any) -> np.ndarray:
        """``values`` as an array of this arithmetic's dtype, without converting entries.

        Parameters
        ----------
        values : array_like
            Numbers already of this arithmetic.
        """
        return np.asarray(values, dtype=self.dtype)

    def vector_key(self, values: Any) -> tuple:
        """A hashable key, equal for equal vectors (float: equal up to the tolerance grid).

        Parameters
        ----------
        values : array_like
            The vector (flattened).
        """
        raise NotImplementedError  # pragma: no cover

    def hyperplane_key(self, a: Any, b: Any) -> tuple[tuple, int] | None:
        """Key of the hyperplane ``a . x = b`` and the orientation (+1/-1) of ``a . x <= b``
        (``None`` for a zero row). Rows are scaled so that opposite inequalities on one
        hyperplane share the key.

        Parameters
        ----------
        a : array_like
            The normal vector.
        b : number
            The right-hand side.
        """
        raise NotImplementedError  # pragma: no cover

    def convert(self, value: Any) -> Number:  # pragma: no cover - interface
        """One number converted to this arithmetic (``Fraction`` or ``float``).

        Parameters
        ----------
        value : int, Fraction, float or str
            The number; a string is read by `parse_number`.
        """
        raise NotImplementedError

    def array(self, data: Any) -> np.ndarray:
        """A read-only array of this arithmetic's numbers (object Fractions or float64).

        Parameters
        ----------
        data : array_like
            Numbers of any shape, each converted with `convert`.
        """
        raise NotImplementedError  # pragma: no cover

    def zeros(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """An array of zeros of this arithmetic (writable).

        Parameters
        ----------
        shape : int or tuple of int
            The array's shape.
        """
        raise NotImplementedError  # pragma: no cover

    def eye(self, n: int) -> np.ndarray:
        """The ``n x n`` identity matrix in this arithmetic (writable).

        Parameters
        ----------
        n : int
            The size.
        """
        out = self.zeros((n, n))
        for i in range(n):
            out[i, i] = self.convert(1)
        return out

    def sign(self, values: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        """Signs (-1, 0, 1) of ``values``; float mode treats ``|v| <= tol*scale`` as 0.

        Parameters
        ----------
        values : ndarray
            The numbers.
        scale : ndarray or float, default 1.0
            The size of the terms each value was computed from (float mode only).
        """
        raise NotImplementedError  # pragma: no cover

    def is_zero(self, values: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        """Whether each of ``values`` is zero: ``sign(values, scale) == 0``.

        Parameters
        ----------
        values : ndarray
            The numbers.
        scale : ndarray or float, default 1.0
            The size of the terms each value was computed from (float mode only).
        """
        return self.sign(values, scale) == 0

    def cancel(self, values: np.ndarray, magnitude: np.ndarray | float) -> np.ndarray:
        """``values`` with the entries that are zero relative to ``magnitude`` (the size of
        the terms they were computed from) set to exactly 0: float round-off of a
        cancellation such as ``10/9 - 10/9`` is not a coefficient. Exact: unchanged.

        Parameters
        ----------
        values : ndarray
            The computed numbers.
        magnitude : ndarray or float
            The size of the terms each value was computed from.
        """
        if self.exact:
            return values
        return np.where(self.is_zero(values, magnitude), 0.0, values)

    def product_scale(self, a: Any, b: Any) -> np.ndarray | float:
        """``|a| @ |b|``, the size of the terms of ``a @ b``: the ``scale`` of its
        :meth:`sign` and the ``magnitude`` of its :meth:`cancel`. Exact mode needs no
        scale and returns ``1.0`` without computing it.

        Parameters
        ----------
        a, b : ndarray
            The factors of the matrix product ``a @ b``.
        """
        if self.exact:
            return 1.0
        return np.abs(a) @ np.abs(b)

    def filtered_sign(self, approx: np.ndarray, magnitude: np.ndarray,
                      exact_values: Any, terms: int) -> np.ndarray:
        """Signs of quantities known through a float approximation.

        ``approx`` are float evaluations of sums of ``terms`` products whose
        absolute values add up to ``magnitude``; ``exact_values(idx)`` returns
        the exact quantities at the flat indices ``idx``. Exact mode trusts a
        float sign only when ``|approx|`` exceeds a rigorous round-off bound and
        computes the rest exactly (a floating-point filter); float mode applies
        the tolerance of :class:`FloatArithmetic`.

        Parameters
        ----------
        approx : ndarray
            Float evaluations of the quantities.
        magnitude : ndarray
            Sum of the absolute values of each quantity's terms.
        exact_values : callable
            ``exact_values(idx)`` returns the exact quantities at the flat indices ``idx``.
        terms : int
            The number of products summed in each quantity.
        """
        raise NotImplementedError  # pragma: no cover

    def to_float(self, values: Any) -> np.ndarray:
        """``values`` as a float64 array.

        Parameters
        ----------
        values : array_like
            Numbers of this arithmetic.
        """
        return np.asarray(values, dtype=float)

    def format(self, value: Any) -> str | float | int:
        """JSON form of one number after `convert` (see `format_number`).

        Parameters
        ----------
        value : int, Fraction, float or str
            The number.
        """
        return format_number(self.convert(value))

    def scaled(self, values: Any) -> ScaledMatrix:
        """The matrix as :class:`ScaledMatrix` (exact: integers over one denominator).

        Parameters
        ----------
        values : array_like
            The matrix.
        """
        raise NotImplementedError  # pragma: no cover

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, repr=False)
class ExactArithmetic(Arithmetic):
    """Exact rational arithmetic.

    ``limit_denominator``: when set, every converted number is replaced by the
    closest fraction with denominator at most this value (useful to read
    float weights as the simple rationals they were meant to be).

    Attributes
    ----------
    limit_denominator : int or None, default None
        When set, every converted number is rounded to the closest fraction with
        denominator at most this value; ``None`` keeps numbers exact.
    exact : bool, default True
        Always ``True``.
    tol : float, default 0.0
        The zero tolerance: none.
    dtype : type, default object
        numpy dtype of the arrays (``Fraction`` objects).
    cdd_exact : bool, default True
        Polyhedral questions use ``cdd.gmp``.
    """

    limit_denominator: int | None = None
    exact: bool = True
    tol: float = 0.0
    dtype: Any = object
    cdd_exact: bool = True

    @property
    def name(self) -> str:  # type: ignore[override]
        """``"exact"``, or ``"exact(limit_denominator=N)"``."""
        if self.limit_denominator:
            return f"exact(limit_denominator={self.limit_denominator})"
        return "exact"

    def convert(self, value: Any) -> Fraction:
        """One number as a ``Fraction`` (rounded when ``limit_denominator`` is set).

        Parameters
        ----------
        value : int, Fraction, float or str
            The number; a string is read by `parse_number`.
        """
        if isinstance(value, Fraction):
            frac = value
        elif isinstance(value, (int, np.integer)):
            frac = Fraction(int(value))
        elif isinstance(value, str):
            frac = parse_number(value)[0]
        else:
            v = float(value)
            if not math.isfinite(v):
                raise NetworkError(f"{v} is not a finite number")
            frac = Fraction(v)
        if self.limit_denominator:
            frac = frac.limit_denominator(self.limit_denominator)
        return frac

    def array(self, data: Any) -> np.ndarray:
        src = np.asarray(data, dtype=object)
        out = np.empty(src.shape, dtype=object)
        convert = self.convert
        if not self.limit_denominator:  # the common cases first: Fractions and ints
            def convert(v: Any) -> Fraction:
                kind = type(v)
                return v if kind is Fraction else Fraction(v) if kind is int \
                    else self.convert(v)
        out.reshape(-1)[:] = [convert(v) for v in src.flat]
        out.setflags(write=False)
        return out

    def zeros(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """An object array of ``Fraction(0)`` (writable).

        Parameters
        ----------
        shape : int or tuple of int
            The array's shape.
        """
        out = np.empty(shape, dtype=object)
        out.fill(Fraction(0))
        return out

    def scaled(self, values: Any) -> ScaledMatrix:
        fr = np.asarray(values, dtype=object)
        den = lcm(*(Fraction(v).denominator for v in fr.reshape(-1))) if fr.size else 1
        num = np.empty(fr.shape, dtype=object)
        for idx, v in np.ndenumerate(fr):
            f = Fraction(v)
            num[idx] = f.numerator * (den // f.denominator)
        return ScaledMatrix(num, den)

    def vector_key(self, values: Any) -> tuple:
        return tuple(np.asarray(values, dtype=object).reshape(-1))

    def hyperplane_key(self, a: Any, b: Any) -> tuple[tuple, int] | None:
        ints = self.scaled([*a, b]).num
        g = int(np.gcd.reduce(ints)) if ints.size else 0
        if g == 0:
            return None
        ints = ints // g
        sgn = 1 if next(v for v in ints if v != 0) > 0 else -1
        return tuple(int(v) * sgn for v in ints), sgn

    def sign(self, values: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        vals = np.asarray(values, dtype=object)
        return np.array(
            [(v > 0) - (v < 0) for v in vals.reshape(-1)], dtype=np.int8
        ).reshape(vals.shape)

    def filtered_sign(self, approx: np.ndarray, magnitude: np.ndarray,
                      exact_values: Any, terms: int) -> np.ndarray:
        # Each input was rounded once to float (relative error u) and the sum of
        # `terms` products adds at most (terms + 2) u * magnitude (Higham, Thm 3.1);
        # we double that and pad for the rounding of `magnitude` itself.
        approx = np.asarray(approx, dtype=float)
        bound = (2 * terms + 8) * _U * np.asarray(magnitude, dtype=float) * (1 + 2.0**-20)
        out = np.sign(approx).astype(np.int8)
        unsure = np.flatnonzero(~(np.abs(approx) > bound).reshape(-1))
        if len(unsure):
            exact = exact_values(unsure)
            out.reshape(-1)[unsure] = [(v > 0) - (v < 0) for v in exact]
        return out


@dataclass(frozen=True, repr=False)
class FloatArithmetic(Arithmetic):
    """IEEE double arithmetic with tolerances derived from the unit roundoff.

    Tolerances (the only place they are set):

    * ``u = 2**-53`` is the unit roundoff of float64. A dot product of length
      ``k`` carries a relative error of at most ``k*u`` (Higham, Thm 3.1); the
      compiled maps multiply weights through every layer, so we budget a growth
      of ``2**23`` in the error and decide ``|v| <= tol*scale`` as zero with
      ``tol = 2**23 * u = 2**-30`` (about 9.3e-10).
    * Values with ``tol*2**-10 < |v|/scale <= tol*2**4`` (about 9.1e-13 ..
      1.5e-8) are *near-degenerate*: too large to be plain round-off of a true
      tie, too small to be trusted as a genuine difference. Deciding
      one issues a :class:`~tropnet.errors.NearDegeneracyWarning`; results
      collect these warnings and report them (``"warnings"`` in JSON).

    Attributes
    ----------
    tol : float, default 2**-30
        ``|v| <= tol * scale`` counts as zero.
    band_low : float, default 2**-10
        Relative margins ``|v| / (tol * scale)`` in ``(band_low, band_high]`` are
        near-degenerate and warn.
    band_high : float, default 2**4
        The upper end of that band.
    exact : bool, default False
        Always ``False``.
    name : str, default "float"
        The name shown in reports.
    dtype : type, default float
        numpy dtype of the arrays.
    cdd_exact : bool, default False
        Polyhedral questions use cdd's float backend.
    """

    tol: float = 2.0**-30
    band_low: float = 2.0**-10
    band_high: float = 2.0**4
    exact: bool = False
    name: str = "float"
    dtype: Any = float
    cdd_exact: bool = False

    @property
    def map_check_tol(self) -> float:
        """Relative gap above which a region's affine map and the function disagree at the
        region's own point (``2**10 tol``: round-off of a map built over many cells)."""
        return self.tol * 2**10

    def vector_key(self, values: Any) -> tuple:
        """Float keys round the entries to a grid of ``tol * 2**e``, ``2**e`` just above the
        largest entry, and include ``e``. The values are not divided by their own maximum:
        proportional maps (such as ``4/3 x - 2/3`` and ``20/9 x - 10/9``, adjacent pieces of
        a 1-D net that vanishes at their common breakpoint) must get different keys.

        Parameters
        ----------
        values : array_like
            The vector (flattened).
        """
        f = np.asarray(values, dtype=float).reshape(-1)
        # the factor keeps the binade boundaries off powers of two, a frequent exact maximum
        # that round-off may put on either side
        e = math.frexp(max(1.0, float(np.abs(f).max(initial=0.0))) * (1 + 2.0**-20))[1]
        return (e, *np.round(f / (self.tol * 2.0**e)).astype(np.int64).tolist())

    def hyperplane_key(self, a: Any, b: Any) -> tuple[tuple, int] | None:
        f = np.asarray([*a, b], dtype=float)
        scale = float(np.abs(f).max())
        if scale == 0:
            return None
        lead = f[np.flatnonzero(np.abs(f) > LEAD_RTOL * scale)[0]]
        sgn = 1 if lead > 0 else -1
        return tuple(np.round(f * sgn / scale / self.tol).astype(np.int64)), sgn

    def convert(self, value: Any) -> float:
        """One number as a finite ``float``; raises `NetworkError` beyond the float range.

        Parameters
        ----------
        value : int, Fraction, float or str
            The number; a string is read by `parse_number`.
        """
        if isinstance(value, str):
            value = parse_number(value)[0]
        try:
            v = float(value)
        except OverflowError:
            raise NetworkError(f"{value} is beyond the float range; use exact arithmetic"
                               ) from None
        if not math.isfinite(v):
            raise NetworkError(f"{v} is not a finite number")
        return v

    def array(self, data: Any) -> np.ndarray:
        try:
            out = np.array(data, dtype=float)
        except (ValueError, TypeError, OverflowError):  # "1/3", or Fractions beyond float
            src = np.asarray(data, dtype=object)
            out = np.array([self.convert(v) for v in src.reshape(-1)],
                           dtype=float).reshape(src.shape)
        if not np.all(np.isfinite(out)):
            raise NetworkError("NaN or infinite value where a finite number is required")
        out.setflags(write=False)
        return out

    def zeros(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """A float64 array of zeros.

        Parameters
        ----------
        shape : int or tuple of int
            The array's shape.
        """
        return np.zeros(shape, dtype=float)

    def scaled(self, values: Any) -> ScaledMatrix:
        return ScaledMatrix(np.asarray(values, dtype=float), 1.0)

    def sign(self, values: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
        vals = np.asarray(values, dtype=float)
        mag = np.abs(vals)
        thr = self.tol * np.maximum(np.asarray(scale, dtype=float), TINY)
        out = np.sign(vals).astype(np.int8)
        out[mag <= thr] = 0
        near = (mag > thr * self.band_low) & (mag <= thr * self.band_high)
        if near.any():
            worst = float(np.min(mag[near] / np.broadcast_to(thr, mag.shape)[near])) * self.tol
            warn_near_degenerate(
                f"a sign decision had a relative margin of {worst:.3g} (tolerance "
                f"{self.tol:.3g}); the float result may differ from the exact one")
        return out

    def filtered_sign(self, approx: np.ndarray, magnitude: np.ndarray,
                      exact_values: Any, terms: int) -> np.ndarray:
        return self.sign(approx, magnitude)


@dataclass(frozen=True, eq=False)
class ScaledMatrix:
    """The matrix ``num / den``: exact rationals as Python integers over one positive
    denominator (products cost integer operations only), or floats over ``1.0``."""

    num: np.ndarray
    den: int | float

    def __matmul__(self, other: ScaledMatrix) -> ScaledMatrix:
        num = self.num.dot(other.num)
        den = self.den * other.den
        if isinstance(den, float):
            return ScaledMatrix(num, den)
        g = int(np.gcd.reduce(num.reshape(-1))) if num.size else 0
        g = gcd(g, den)
        if g > 1:
            return ScaledMatrix(num // g, den // g)
        return ScaledMatrix(num, den)

    def values(self) -> np.ndarray:
        """The entries (Fractions in exact mode, floats otherwise)."""
        if isinstance(self.den, float):
            return self.num / self.den
        out = np.empty(self.num.shape, dtype=object)
        for idx, v in np.ndenumerate(self.num):
            out[idx] = Fraction(v, self.den)
        return out


def _is_float(m: float, v: Any) -> bool:
    """The float ``m`` equals the exact number ``v`` (an int, Fraction or float)."""
    if isinstance(v, Fraction):
        return m.as_integer_ratio() == (v.numerator, v.denominator)
    return m == v if isinstance(v, float) else int(m) == v if m.is_integer() else False


def _is_ratio(m: float, num: int, den: int) -> bool:
    """The float ``m`` equals ``num / den`` exactly."""
    p, q = m.as_integer_ratio()
    return p * den == int(num) * q


def warn_near_degenerate(message: str) -> None:
    """Issue a :class:`~tropnet.errors.NearDegeneracyWarning` (collected by results and the CLI)."""
    warnings.warn(message, NearDegeneracyWarning, stacklevel=3)


#: the unit roundoff of float64 (half its machine epsilon): a correctly rounded operation
#: has a relative error of at most this much
UNIT_ROUNDOFF = 2.0**-53
#: the smallest subnormal float64: the absolute error of an underflowing operation
SMALLEST_SUBNORMAL = 2.0**-1074
_U, _ETA = UNIT_ROUNDOFF, SMALLEST_SUBNORMAL


def gamma(k: int) -> float:
    """Higham's ``gamma_k = k u / (1 - k u)`` (``u`` the unit roundoff): the relative
    round-off bound of a float sum or dot product of ``k`` terms (Higham, Thm 3.1).

    Parameters
    ----------
    k : int
        The number of operations.
    """
    return k * UNIT_ROUNDOFF / (1 - k * UNIT_ROUNDOFF)

# -- named float tolerances ---------------------------------------------------------------
# Every float threshold of the library that is not a sign decision of FloatArithmetic is
# named here, with what it decides. They only ever steer float computations: exact mode
# decides every sign exactly, and float answers that matter are re-checked (see
# docs/exactness.md).

#: relative size under which a float coefficient counts as zero when picking a row's
#: leading entry (hyperplane keys), a ray direction or an upper hull facet, a pivot of a
#: float rank guess (QR, times the matrix size), or the support of a float LP solution or
#: eigenvector (Hoffman constants)
LEAD_RTOL = 1e-12
#: relative tolerance of float rank, coplanarity and point-on-map checks in geometry that
#: is drawn or sampled (plots, region graphs, sampling's point checks, symmetry checks,
#: equality of float tropical polynomials, coplanar hull facets in monomial pruning)
GEOMETRY_RTOL = 1e-9
#: barycentric weights above ``-BARYCENTRIC_TOL`` put a point in a simplex (pruning's guess)
BARYCENTRIC_TOL = 1e-9
#: eigenvalues within this (relative) of the smallest share its eigenspace (Euclidean Hoffman)
EIGEN_GAP_RTOL = 1e-9
#: relative round-up of a float upper bound for the round-off of its SVDs (Hoffman "bounds")
ROUNDOFF_PAD = 1e-12
#: relative margin by which float bounding boxes are widened (monomial pruning)
BOX_PAD = 1e-7
#: relative margin under which a sampled float activation decision is recomputed exactly
SAMPLE_TIE = 1e-7
#: feasibility tolerance of the MILP and LP solvers (HiGHS' default is 1e-7): values
#: within it of an integer or a bound are rounded to it
SOLVER_TOL = 1e-6
#: singular values and eigenvalues below this (relative) are zero in the float Hoffman
#: computations (Euclidean constants, ranks and bounds)
SPECTRAL_RTOL = 1e-10
#: smallest float treated as non-zero when only division by zero is to be avoided
TINY = 1e-300
#: relative margin added to a MILP optimum when the solver reports no proven dual bound
#: (it covers the solver's relative optimality gap; big-M tightening)
MIP_GAP = 1e-3
#: relative outward padding of the float rows ``a x <= b`` of a polytope domain in a MILP
#: that must contain the whole domain (witness copies of the empirical upper bound)
DOMAIN_PAD = 1e-9

EXACT: ExactArithmetic = ExactArithmetic()
FLOAT: FloatArithmetic = FloatArithmetic()


def resolve(exact: bool | Arithmetic | None, *sources: Any) -> Arithmetic:
    """Choose the arithmetic at an entry point.

    ``exact`` may be an :class:`Arithmetic` (used as is), ``True``/``False``, or
    ``None``: then exact iff every source reports ``exact_input`` (all of its
    numbers were integers or rational strings).

    Parameters
    ----------
    exact : bool, Arithmetic or None
        The caller's choice; ``None`` decides from the sources.
    *sources : object
        Networks, polynomials, domains (anything with ``exact_input``) or lists of them;
        ``None`` entries are ignored.
    """
    if isinstance(exact, Arithmetic):
        return exact
    if exact is None:
        exact = all(_exact_input(s) for s in sources if s is not None)
    return EXACT if exact else FLOAT


def _exact_input(source: Any) -> bool:
    if isinstance(source, (list, tuple)):
        return all(_exact_input(s) for s in source)
    flag = getattr(source, "exact_input", None)
    return bool(flag) if flag is not None else False


def all_rational(values: Iterable[Any]) -> bool:
    """True when every value is an int, a Fraction or a rational string."""
    return all(isinstance(v, (int, Fraction, str, np.integer)) and not isinstance(v, bool)
               for v in values)


# -- certified float: balls -------------------------------------------------------------
class Uncertain(Exception):
    """A float sign within its rigorous error bound: decide it in exact arithmetic."""




def _units(x: np.ndarray) -> np.ndarray:
    """The largest power of two dividing each float (``inf`` for 0): every float is an
    integer multiple of its unit."""
    m, e = np.frexp(np.asarray(x, dtype=float))
    mant = np.abs(np.ldexp(m, 53)).astype(np.int64)
    out = np.asarray(np.ldexp((mant & -mant).astype(float), e - 53))
    out[mant == 0] = np.inf
    return out


def _round_bound(mag: np.ndarray, unit: np.ndarray, k: int) -> np.ndarray:
    """A rigorous bound on the round-off of float sums of ``k`` products whose absolute
    values add up to ``mag``, when every product is a multiple of ``unit``: zero when all
    partial sums are integers below ``2**53`` units (no rounding at all), else
    ``gamma_k * mag`` plus underflow (Higham, Thm 3.1 and eq. 2.8)."""
    pad = 1 + 4 * (k + 2) * _U
    out = np.asarray((gamma(k) * pad) * mag + k * _ETA)
    out[(mag == 0) | (mag * pad <= 2.0**53 * unit)] = 0.0
    return out


def pad_radius(rad: np.ndarray, k: int) -> np.ndarray:
    """Round a radius computed in float (a sum of ``k`` non-negative terms) upwards."""
    out = np.asarray(rad * (1 + 4 * (k + 2) * _U) + _ETA)
    out[rad == 0] = 0.0
    return out


@dataclass(frozen=True, eq=False)
class Ball:
    """Float midpoints with rigorous entrywise radii: each exact value lies in
    ``[mid - rad, mid + rad]``. Operations propagate the radii and the round-off of the
    float operations themselves (zero when the operation is provably exact, as for small
    integers and dyadic rationals), so a sign is *certain* when ``|mid| > rad``.

    Examples
    --------
    >>> b = Ball.of(np.array([[Fraction(1, 3)], [Fraction(1, 2)]], dtype=object))
    >>> bool(b.rad[0, 0] > 0), float(b.rad[1, 0])      # 1/3 is rounded, 1/2 is not
    (True, 0.0)
    >>> (Ball.of(np.array([[3.0, -3.0]])) @ b).signs().tolist()   # 3/3 - 3/2 < 0, certain
    [[-1]]
    """

    mid: np.ndarray
    rad: np.ndarray

    @cached_property
    def units(self) -> np.ndarray:
        """The power-of-two unit of every midpoint entry (``inf`` for 0)."""
        return _units(self.mid)

    @classmethod
    def of(cls, values: Any) -> Ball:
        """The ball of exact values (floats, ints or Fractions): the nearest floats, with
        radius the rounding error (0 for values that are floats)."""
        src = np.asarray(values)
        if src.dtype != object:
            mid = np.asarray(src, dtype=float)
            return cls(mid, np.zeros(mid.shape))
        mid = np.array([float(v) for v in src.reshape(-1)], dtype=float).reshape(src.shape)
        rad = np.array([0.0 if _is_float(m, v) else 2 * _U * abs(m) + _ETA
                        for m, v in zip(mid.reshape(-1), src.reshape(-1), strict=True)],
                       dtype=float).reshape(src.shape)
        return cls(mid, rad)

    @classmethod
    def of_scaled(cls, matrix: ScaledMatrix) -> Ball:
        """The ball of an exact :class:`ScaledMatrix` ``num / den`` (as :meth:`of` of its
        values, without forming a Fraction per entry: ``int / int`` is correctly rounded)."""
        if isinstance(matrix.den, float):
            mid = np.asarray(matrix.num / matrix.den, dtype=float)
            return cls(mid, np.zeros(mid.shape))
        den, flat = matrix.den, matrix.num.reshape(-1)
        mid = np.array([v / den for v in flat], dtype=float)
        rad = np.array([0.0 if _is_ratio(m, v, den) else 2 * _U * abs(m) + _ETA
                        for m, v in zip(mid, flat, strict=True)], dtype=float)
        return cls(mid.reshape(matrix.num.shape), rad.reshape(matrix.num.shape))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.mid.shape

    @property
    def T(self) -> Ball:
        out = Ball(self.mid.T, self.rad.T)
        if "units" in self.__dict__:
            out.__dict__["units"] = self.units.T
        return out

    def __len__(self) -> int:
        return len(self.mid)

    def __getitem__(self, idx: Any) -> Ball:
        out = Ball(self.mid[idx], self.rad[idx])
        for key in ("units", "exact"):  # cached units; exact values when a caller keeps them
            if key in self.__dict__:
                out.__dict__[key] = self.__dict__[key][idx]
        return out

    def __matmul__(self, other: Ball) -> Ball:
        a, b = self.mid, other.mid
        k = a.shape[-1]
        mid = a @ b
        mag = np.abs(a) @ np.abs(b)
        unit = np.multiply.outer(self.units.min(axis=-1, initial=np.inf),
                                 other.units.min(axis=0, initial=np.inf))
        rad = (np.abs(a) @ other.rad + self.rad @ (np.abs(b) + other.rad))
        return Ball(mid, pad_radius(rad + _round_bound(mag, unit.reshape(mag.shape), k), k + 2))

    def __mul__(self, other: Ball) -> Ball:
        """Entrywise product (numpy broadcasting)."""
        mid = self.mid * other.mid
        rad = np.abs(self.mid) * other.rad + self.rad * (np.abs(other.mid) + other.rad)
        bound = _round_bound(np.abs(mid), self.units * other.units, 1)
        return Ball(mid, pad_radius(rad + bound, 3))

    def __sub__(self, other: Ball) -> Ball:
        mid = self.mid - other.mid
        mag = np.abs(self.mid) + np.abs(other.mid)
        unit = np.minimum(self.units, other.units)
        return Ball(mid, pad_radius(self.rad + other.rad + _round_bound(mag, unit, 1), 3))

    def __add__(self, other: Ball) -> Ball:
        return self - (-other)

    def __neg__(self) -> Ball:
        return Ball(-self.mid, self.rad)

    def scale(self, s: Any) -> Ball:
        """``s * self`` for an exact rational ``s``."""
        return Ball.of(np.array([Fraction(s)], dtype=object)) * self

    def signs(self) -> np.ndarray:
        """Certain signs (-1, 0, 1; 0 only for an exact zero) and :data:`UNSURE` (2)."""
        out = np.full(self.mid.shape, UNSURE, dtype=np.int8)
        out[self.mid > self.rad] = 1
        out[-self.mid > self.rad] = -1
        out[(self.mid == 0) & (self.rad == 0)] = 0
        return out

    def near_zero(self, signs: np.ndarray, scale: np.ndarray) -> float | None:
        """The smallest relative margin ``|mid| / scale`` of the certain non-zero ``signs``
        when it is below the near-degeneracy band of :data:`FLOAT`, else ``None``: a
        perturbation of that relative size could change such a sign."""
        hit = (signs != 0) & (signs != UNSURE)
        rel = np.abs(self.mid[hit]) / np.maximum(np.broadcast_to(scale, hit.shape)[hit], TINY)
        worst = float(rel.min(initial=np.inf))
        return worst if worst <= FLOAT.tol * FLOAT.band_high else None

    def certain_signs(self) -> np.ndarray:
        """:meth:`signs`, raising :class:`Uncertain` when one of them is not certain."""
        s = self.signs()
        if np.any(s == UNSURE):
            raise Uncertain
        return s

    def normalised(self) -> Ball:
        """Rows scaled by the power of two that brings their largest midpoint entry into
        ``[1/2, 1)`` (exact: a positive rescaling of each row)."""
        top = np.abs(self.mid).max(axis=-1, keepdims=True)
        e = np.frexp(np.where(top == 0, 1.0, top))[1]
        return Ball(np.ldexp(self.mid, -e), pad_radius(np.ldexp(self.rad, -e), 0))

    def concat(self, other: Ball) -> Ball:
        return Ball(np.concatenate([self.mid, other.mid]),
                    np.concatenate([self.rad, other.rad]))


#: the sign of a ball that contains zero and other values (:meth:`Ball.signs`)
UNSURE = 2

"""Activations as values: each owns its pattern, its tropical rule and its interval bounds.

Every supported activation is a maximum of *pieces*: output unit ``u`` of a
layer whose activation has rank ``k`` (pre-activation rows per unit) is

    ``act(z)_u = max_r  slope_r * z[u*k + offset_r]``,   all ``slope_r >= 0``.

=============== ===================================== ==========================
activation      pieces ``(offset, slope)``            output unit
=============== ===================================== ==========================
``ReLU``        ``(0, 0), (0, 1)``                    ``max(0, z)``
``LeakyReLU(s)``  ``(0, s), (0, 1)``                  ``max(s z, z)``
``Maxout(k)``   ``(0, 1), ..., (k-1, 1)``             ``max(z_0, ..., z_{k-1})``
``Identity``    ``(0, 1)``                            ``z``
=============== ===================================== ==========================

Everything else follows from the pieces, once, here:

* the **pattern** of a unit is the index of its *first* maximal piece (so a
  ReLU unit is 1 when ``z > 0`` and 0 at a tie, a maxout unit names its first
  maximal piece); identity layers have the empty pattern ``()``;
* on a pattern's region the layer is the linear map ``D z``
  (:meth:`Activation.pattern_matrix`);
* the **tropical rule** (Zhang et al.; Lezeau et al.): with ``z_i = H_i ⊘ N_i``
  and ``P_r = slope_r z_{o_r}``, ``max_r P_r = [⊕_r H_r^{s_r} ⊙ ⊙_{q≠r} N_q^{s_q}] ⊘
  ⊙_q N_q^{s_q}`` (:meth:`Activation.tropical`);
* **interval bounds**: slopes are non-negative, so ``act`` is monotone in each
  row and ``[lo, hi]`` maps to ``[max_r s_r lo_r, max_r s_r hi_r]``.

Adding an activation is one subclass declaring its name, pieces and JSON keys
(and, for speed, vectorised :meth:`pattern`/:meth:`activate_batch`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .arithmetic import Arithmetic, parse_number
from .errors import NetworkError

__all__ = ["ACTIVATIONS", "Activation", "Identity", "LeakyReLU", "Maxout", "ReLU",
           "activation_from_spec"]


@dataclass(frozen=True)
class Activation:
    """A unit-wise maximum of non-negatively scaled pre-activation rows (see the module)."""

    name: ClassVar[str]
    #: identity layers have no pattern (``()``); every other layer one index per unit
    patterned: ClassVar[bool] = True

    @property
    def rank(self) -> int:
        """Pre-activation rows per output unit."""
        return 1

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        """``(offset, slope)`` of each piece, in tie-breaking order."""
        raise NotImplementedError  # pragma: no cover

    @property
    def hyperplane(self) -> bool:
        """Two pieces on one row: the pattern is the side of one hyperplane ``z = 0``
        (pieces ``(0, a), (0, b)`` with ``a < b``: piece 1 iff ``z > 0``)."""
        p = self.pieces()
        return len(p) == 2 and p[0][0] == p[1][0] == 0 and p[0][1] < p[1][1]

    def to_dict(self) -> dict[str, Any]:
        """The activation's keys of the network JSON format."""
        return {"activation": self.name}

    # -- evaluation -------------------------------------------------------------------
    def activate(self, z: np.ndarray, arith: Arithmetic) -> np.ndarray:
        """The layer's output for the pre-activation vector ``z``.

        Parameters
        ----------
        z : ndarray
            Pre-activations, ``rank`` consecutive rows per unit.
        arith : Arithmetic
            The arithmetic of ``z``.
        """
        k, pieces = self.rank, self.pieces()
        slopes = [arith.convert(s) for _, s in pieces]
        return np.array([max(s * z[u * k + o] for (o, _), s in zip(pieces, slopes, strict=True))
                         for u in range(len(z) // k)], dtype=z.dtype)

    def activate_batch(self, z: np.ndarray) -> np.ndarray:
        """Float64 outputs for many pre-activation rows at once (rows of ``z``).

        Parameters
        ----------
        z : ndarray, shape (points, units)
            Float64 pre-activations, one row per point.
        """
        k = self.rank
        zz = z.reshape(z.shape[0], -1, k)
        return np.max([float(s) * zz[:, :, o] for o, s in self.pieces()], axis=0)

    def pattern(self, z: np.ndarray) -> tuple[int, ...]:
        """The index of the first maximal piece of every unit (``()`` for identity).

        Parameters
        ----------
        z : ndarray
            Pre-activations, ``rank`` consecutive rows per unit.
        """
        if not self.patterned:
            return ()
        if self.hyperplane:  # piece 1 wins exactly where z > 0
            return tuple(int(v > 0) for v in z)
        k, pieces = self.rank, self.pieces()
        out = []
        for u in range(len(z) // k):
            vals = [s * z[u * k + o] for o, s in pieces]
            out.append(max(range(len(vals)), key=lambda r, v=vals: (v[r], -r)))
        return tuple(out)

    def pattern_matrix(self, pattern: Sequence[int], units: int, arith: Arithmetic
                       ) -> np.ndarray:
        """The matrix ``D`` with ``act(z) = D z`` on the region of ``pattern``.

        Parameters
        ----------
        pattern : sequence of int
            The index of the active piece of every unit (ignored for identity).
        units : int
            The number of pre-activation rows.
        arith : Arithmetic
            The arithmetic of ``D``.
        """
        k, pieces = self.rank, self.pieces()
        slopes = [arith.convert(s) for _, s in pieces]
        d = arith.zeros((units // k, units))
        for u in range(units // k):
            r = pattern[u] if self.patterned else 0
            d[u, u * k + pieces[r][0]] = slopes[r]
        return d

    def interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the outputs from bounds ``lo <= z <= hi`` of the pre-activations.

        Parameters
        ----------
        lo, hi : ndarray
            Lower and upper bounds of the pre-activations.
        """
        k = self.rank
        outs = []
        for bound in (lo, hi):
            b = np.asarray(bound)
            outs.append(np.array([max(s * b[u * k + o] for o, s in self.pieces())
                                  for u in range(len(b) // k)], dtype=b.dtype))
        return outs[0], outs[1]

    # -- the tropical rule --------------------------------------------------------------
    def tropical(self, H: Sequence[Any], N: Sequence[Any], arith: Arithmetic, one: Any,
                 simplify: Callable[[Any], Any]) -> tuple[list[Any], list[Any]]:
        """Outputs ``F'_u ⊘ G'_u`` from pre-activations ``z_i = H_i ⊘ N_i`` (tropical
        polynomials; ``one`` is the constant 0 polynomial, ``simplify`` prunes).

        Powers of one row's ``N`` are collected into one power, so ReLU gives
        ``(H ⊕ N) ⊘ N`` and leaky ReLU ``(H^s ⊙ N ⊕ H ⊙ N^s) ⊘ N^(1+s)`` directly.

        Parameters
        ----------
        H, N : sequence
            Numerator and denominator tropical polynomials of every pre-activation row.
        arith : Arithmetic
            The arithmetic of the coefficients.
        one : TropicalPolynomial
            The constant polynomial 0 (the tropical one).
        simplify : callable
            Prunes a polynomial (applied to every sum built).
        """
        k, pieces = self.rank, self.pieces()
        total: dict[int, Fraction] = {}
        for o, s in pieces:
            total[o] = total.get(o, Fraction(0)) + s

        def product(u: int, powers: dict[int, Fraction], start: Any) -> Any:
            out = start
            for o, e in powers.items():
                out = _times(out, _power(N[u * k + o], e, arith, one), one, simplify)
            return out

        # the higher piece of a hyperplane unit first (the union's order only orders the
        # monomials; pruning keeps the same ones in any order)
        order = pieces[::-1] if self.hyperplane else pieces
        F, G = [], []
        for u in range(len(H) // k):
            f = None
            for o, s in order:
                rest = {**total, o: total[o] - s}
                term = product(u, rest, _power(H[u * k + o], s, arith, one))
                f = term if f is None else simplify(f | term)
            F.append(f)
            G.append(product(u, total, one))
        return F, G


_RELU_PIECES = ((0, Fraction(0)), (0, Fraction(1)))


def _power(p: Any, s: Fraction, arith: Arithmetic, one: Any) -> Any:
    if s == 0:
        return one
    return p if s == 1 else p ** arith.convert(s)


def _times(a: Any, b: Any, one: Any, simplify: Callable[[Any], Any]) -> Any:
    if a is one:
        return b
    return a if b is one else simplify(a & b)


@dataclass(frozen=True)
class ReLU(Activation):
    """The rectifier ``max(0, z)``."""

    name: ClassVar[str] = "relu"

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        return _RELU_PIECES

    def activate(self, z: np.ndarray, arith: Arithmetic) -> np.ndarray:
        return np.array([v if v > 0 else v * 0 for v in z], dtype=z.dtype)

    def activate_batch(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)


@dataclass(frozen=True)
class LeakyReLU(Activation):
    """``max(slope z, z)`` with ``0 <= slope < 1``.

    Attributes
    ----------
    slope : Fraction, default 1/100
        The slope on ``z < 0``; ``0 <= slope < 1``.
    """

    slope: Fraction = Fraction(1, 100)
    name: ClassVar[str] = "leaky_relu"

    def __post_init__(self) -> None:
        if not 0 <= self.slope < 1:
            raise NetworkError(f"leaky_relu slope must satisfy 0 <= slope < 1, got "
                               f"{float(self.slope)}")

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        return ((0, self.slope), (0, Fraction(1)))

    def to_dict(self) -> dict[str, Any]:
        return {"activation": self.name, "slope": self.slope}

    def activate(self, z: np.ndarray, arith: Arithmetic) -> np.ndarray:
        s = arith.convert(self.slope)
        return np.array([v if v > 0 else v * s for v in z], dtype=z.dtype)

    def activate_batch(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, z, float(self.slope) * z)


@dataclass(frozen=True)
class Maxout(Activation):
    """``max(z_0, ..., z_{k-1})`` over ``k = rank`` consecutive rows per unit.

    Attributes
    ----------
    k : int, default 2
        The rank: pre-activation rows per unit, ``k >= 1``.
    """

    k: int = 2
    name: ClassVar[str] = "maxout"

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise NetworkError(f"maxout rank must be an integer >= 1, got {self.k!r}")

    @property
    def rank(self) -> int:
        return int(self.k)

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        return tuple((r, Fraction(1)) for r in range(self.rank))

    def to_dict(self) -> dict[str, Any]:
        return {"activation": self.name, "rank": self.rank}

    def activate_batch(self, z: np.ndarray) -> np.ndarray:
        return z.reshape(z.shape[0], -1, self.rank).max(axis=2)


@dataclass(frozen=True)
class Identity(Activation):
    """``z`` (output layers, linear layers)."""

    name: ClassVar[str] = "identity"
    patterned: ClassVar[bool] = False

    def pieces(self) -> tuple[tuple[int, Fraction], ...]:
        return ((0, Fraction(1)),)

    def activate(self, z: np.ndarray, arith: Arithmetic) -> np.ndarray:
        return z

    def activate_batch(self, z: np.ndarray) -> np.ndarray:
        return z

    def pattern_matrix(self, pattern: Sequence[int], units: int, arith: Arithmetic
                       ) -> np.ndarray:
        return arith.eye(units)


#: the activations by JSON name
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Maxout, Identity)}


def activation_from_spec(name: Any, slope: Any = 0, rank: Any = 1, where: str = "layer"
                         ) -> tuple[Activation, bool]:
    """The activation of the JSON keys ``activation``, ``slope`` and ``rank``, and whether
    its numbers were rational (a float slope is a binary float).

    Parameters
    ----------
    name : str
        The activation's JSON name (a key of `ACTIVATIONS`).
    slope : number, default 0
        The leaky ReLU slope (only for ``"leaky_relu"``).
    rank : int, default 1
        The maxout rank (only for ``"maxout"``).
    where : str, default "layer"
        Where the spec was read, named in error messages.
    """
    if name not in ACTIVATIONS:
        raise NetworkError(f"{where}: unknown activation {name!r} "
                           f"(expected one of {', '.join(ACTIVATIONS)})")
    s, rational = parse_number(slope, f"{where}.slope")
    if name != "leaky_relu" and s != 0:
        raise NetworkError(f"{where}: 'slope' only applies to leaky_relu")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise NetworkError(f"{where}: maxout rank must be an integer, got {rank!r}")
    if name != "maxout" and rank != 1:
        raise NetworkError(f"{where}: 'rank' only applies to maxout")
    try:
        if name == "leaky_relu":
            return LeakyReLU(s), rational
        if name == "maxout":
            return Maxout(int(rank)), rational
    except NetworkError as exc:
        raise NetworkError(f"{where}: {exc}") from None
    return ACTIVATIONS[name](), rational

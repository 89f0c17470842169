"""Tropical Puiseux rational maps ``f ⊘ g``, whose value is ``f(x) - g(x)``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..arithmetic import Arithmetic
from ..errors import ExpressionError
from .polynomial import TropicalPolynomial

__all__ = ["TropicalRational", "monomial_complexity"]


@dataclass(frozen=True, eq=False)
class TropicalRational:
    """The tropical rational map ``numerator ⊘ denominator``: ``x -> f(x) - g(x)``.

    Examples
    --------
    >>> from tropnet import parse
    >>> r = parse("max(0, x, 2*x - 2) - max(0, 2*x - 2)")
    >>> r([1]), r([3]), monomial_complexity(r)
    (Fraction(1, 1), Fraction(0, 1), (3, 2))
    >>> monomial_complexity(parse("max(0, x, 2*x)"))   # the x cell is the point 0
    (2, 1)

    Attributes
    ----------
    numerator : TropicalPolynomial
        ``f``.
    denominator : TropicalPolynomial
        ``g``, in the same variables and arithmetic.
    """

    numerator: TropicalPolynomial
    denominator: TropicalPolynomial

    def __post_init__(self) -> None:
        f, g = self.numerator, self.denominator
        if f.nvars != g.nvars:
            raise ExpressionError(f"numerator in {f.nvars} variables, denominator in {g.nvars}")
        if f.arith.exact != g.arith.exact:
            raise ExpressionError("numerator and denominator must share one arithmetic")

    @classmethod
    def from_polynomial(cls, f: TropicalPolynomial) -> TropicalRational:
        """``f ⊘ 0``: the denominator is the constant 0 (one monomial).

        Parameters
        ----------
        f : TropicalPolynomial
            The numerator.
        """
        return cls(f, TropicalPolynomial.constant(0, f.nvars, f.arith))

    @property
    def nvars(self) -> int:
        """The number of variables."""
        return self.numerator.nvars

    @property
    def arith(self) -> Arithmetic:
        """The arithmetic of the numerator and denominator."""
        return self.numerator.arith

    @property
    def exact_input(self) -> bool:
        """Whether the map is exact (for the default arithmetic rule)."""
        return self.arith.exact

    def __call__(self, x: Any) -> Any:
        return self.numerator(x) - self.denominator(x)

    def evaluate_batch(self, xs: Any) -> Any:
        """Float values ``f(x) - g(x)`` at the rows of ``xs``.

        Parameters
        ----------
        xs : array_like
            Points, one per row.
        """
        return self.numerator.evaluate_batch(xs) - self.denominator.evaluate_batch(xs)

    # -- algebra ----------------------------------------------------------
    def tprod(self, other: TropicalRational) -> TropicalRational:
        """``(f ⊘ g) ⊙ (h ⊘ k) = (f ⊙ h) ⊘ (g ⊙ k)`` (pointwise sum).

        Parameters
        ----------
        other : TropicalRational
            A map in the same variables and arithmetic.
        """
        return TropicalRational(self.numerator & other.numerator,
                                self.denominator & other.denominator)

    def tsum(self, other: TropicalRational) -> TropicalRational:
        """``(f ⊘ g) ⊕ (h ⊘ k) = (f ⊙ k ⊕ h ⊙ g) ⊘ (g ⊙ k)`` (pointwise max).

        Parameters
        ----------
        other : TropicalRational
            A map in the same variables and arithmetic.
        """
        return TropicalRational((self.numerator & other.denominator)
                                | (other.numerator & self.denominator),
                                self.denominator & other.denominator)

    def tdiv(self, other: TropicalRational) -> TropicalRational:
        """``(f ⊘ g) ⊘ (h ⊘ k) = (f ⊙ k) ⊘ (g ⊙ h)`` (pointwise difference).

        Parameters
        ----------
        other : TropicalRational
            A map in the same variables and arithmetic.
        """
        return TropicalRational(self.numerator & other.denominator,
                                self.denominator & other.numerator)

    __and__ = tprod
    __or__ = tsum
    __truediv__ = tdiv

    def prune(self) -> TropicalRational:
        """Remove the redundant monomials of numerator and denominator."""
        return TropicalRational(self.numerator.prune(), self.denominator.prune())

    def to(self, exact: bool | Arithmetic) -> TropicalRational:
        """The same map in another arithmetic (see `TropicalPolynomial.to`).

        Parameters
        ----------
        exact : bool or Arithmetic
            The target arithmetic.
        """
        return TropicalRational(self.numerator.to(exact), self.denominator.to(exact))

    # -- text -------------------------------------------------------------
    def format(self, variables: Sequence[str] | None = None, precision: int | None = 6) -> str:
        """``f - g`` in the text form of :meth:`TropicalPolynomial.format`; a constant
        zero denominator is omitted.

        Parameters
        ----------
        variables : sequence of str or None, default None
            The variable names.
        precision : int or None, default 6
            Significant digits of floats.
        """
        f = self.numerator.format(variables, precision)
        g = self.denominator
        if len(g) == 1 and all(v == 0 for v in g.exponents[0]) and g.coefficients[0] == 0:
            return f
        return f"{f} - {g.format(variables, precision)}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"TropicalRational({self.format()!r}, {self.arith!r})"

    def to_dict(self) -> dict:
        """The JSON form: ``{"numerator": ..., "denominator": ...}``."""
        return {"numerator": self.numerator.to_dict(), "denominator": self.denominator.to_dict()}


def monomial_complexity(r: TropicalRational | TropicalPolynomial, prune: bool = True
                        ) -> tuple[int, int]:
    """Monomial complexity of a representation ``f ⊘ g`` (Lezeau et al.):
    ``(irredundant monomials of f, irredundant monomials of g)``.

    A polynomial counts as ``f ⊘ 0`` (denominator: 1 monomial). With
    ``prune=False`` the stored monomial counts are returned instead.

    Parameters
    ----------
    r : TropicalRational or TropicalPolynomial
        The representation.
    prune : bool, default True
        Count the irredundant monomials; ``False``: the stored ones.
    """
    if isinstance(r, TropicalPolynomial):
        r = TropicalRational.from_polynomial(r)
    if not prune:
        return len(r.numerator), len(r.denominator)
    return len(r.numerator.irredundant()), len(r.denominator.irredundant())

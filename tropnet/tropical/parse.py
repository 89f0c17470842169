"""Reading tropical expressions such as ``max(0, x, 2*x - 2) - max(0, 2*x - 2)``.

The grammar is ordinary arithmetic read by sympy: a sum of terms, each an
affine form, or a rational multiple of ``max(...)``/``min(...)`` of such
sums. Positive multiples of ``max`` are numerator factors (tropical powers),
negative multiples denominator factors; ``min(a, b) = -max(-a, -b)``. Decimal
literals are read exactly (``0.1`` is ``1/10``), so parsed expressions are
exact by default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    rationalize,
    standard_transformations,
)

from ..arithmetic import Arithmetic, resolve
from ..errors import ExpressionError
from .polynomial import TropicalPolynomial
from .rational import TropicalRational

__all__ = ["parse", "parse_polynomial"]

_TMAX = sympy.Function("tmax")
_TMIN = sympy.Function("tmin")
_TRANSFORMS = (*standard_transformations, convert_xor, rationalize)


class _ExactText:
    exact_input = True


def parse(text: str, variables: Sequence[str] | None = None,
          exact: bool | Arithmetic | None = None) -> TropicalRational:
    """Parse a tropical rational expression ``f - g``.

    ``variables`` fixes the variable order (default: the names found, sorted
    naturally, so ``x2`` comes before ``x10``). An expression without negative
    ``max`` terms gets the constant 0 as denominator.

    Examples
    --------
    >>> r = parse("max(0, x, 2*x - 2) - max(0, 2*x - 2)")
    >>> str(r.numerator), str(r.denominator)
    ('max(0, x, 2*x - 2)', 'max(0, 2*x - 2)')
    >>> parse("max(x, y)").nvars
    2
    """
    arith = resolve(exact, _ExactText())
    expr = _sympify(text, variables)
    syms = _symbols(expr, variables)
    num_factors: list[TropicalPolynomial] = []
    den_factors: list[TropicalPolynomial] = []
    affine = sympy.Integer(0)
    for term in sympy.Add.make_args(expr):
        coeff, core = term.as_coeff_Mul()
        if isinstance(core, (_TMAX, _TMIN)):
            k = _rational(coeff, text)
            if isinstance(core, _TMIN):  # k*min(args) = (-k)*max(-args)
                core, k = _TMAX(*(-a for a in core.args)), -k
            poly = _polynomial(core, syms, arith, text).tpow(abs(k))
            (num_factors if k > 0 else den_factors).append(poly)
        else:
            affine += term
    n = len(syms)
    num = _affine(affine, syms, arith, text)
    for f in num_factors:
        num = num & f
    den = TropicalPolynomial.constant(0, n, arith)
    for g in den_factors:
        den = den & g
    names = tuple(sym.name for sym in syms)
    return TropicalRational(num.with_names(names), den.with_names(names))


def parse_polynomial(text: str, variables: Sequence[str] | None = None,
                     exact: bool | Arithmetic | None = None) -> TropicalPolynomial:
    """Parse a tropical polynomial (an expression with no negative ``max`` terms)."""
    r = parse(text, variables, exact)
    g = r.denominator
    if len(g) != 1 or any(v != 0 for v in g.exponents[0]) or g.coefficients[0] != 0:
        raise ExpressionError(f"{text!r} has a denominator; use parse() for rational maps")
    return r.numerator


# -- helpers -----------------------------------------------------------------
def _sympify(text: str, variables: Sequence[str] | None) -> sympy.Expr:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression")
    local = {"max": _TMAX, "Max": _TMAX, "min": _TMIN, "Min": _TMIN}
    for name in re.findall(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(", text):
        if name not in local:
            raise ExpressionError(f"cannot parse {text!r}: unknown function {name}(...); "
                                  f"only max(...) and min(...) of affine terms are allowed")
    for name in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text):
        if name not in local:
            local[name] = sympy.Symbol(name, real=True)
    for name in variables or ():
        local[name] = sympy.Symbol(name, real=True)
    try:
        expr = parse_expr(text, local_dict=local, transformations=_TRANSFORMS)
    except Exception as exc:  # sympy raises SyntaxError, TokenError, TypeError, ...
        raise ExpressionError(f"cannot parse {text!r}: {exc.__class__.__name__}: {exc}"
                              ) from None
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"cannot parse {text!r}: not an arithmetic expression")
    return sympy.expand(expr)


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _symbols(expr: sympy.Expr, variables: Sequence[str] | None) -> list[sympy.Symbol]:
    found = {s.name: s for s in expr.free_symbols}
    if variables is None:
        if not found:
            raise ExpressionError("the expression has no variables; name them with "
                                  "variables=[...] (CLI: --variables)")
        return [found[k] for k in sorted(found, key=_natural)]
    extra = set(found) - set(variables)
    if extra:
        raise ExpressionError(f"unknown variable(s) {', '.join(sorted(extra))} "
                              f"(declared: {', '.join(variables)})")
    if len(set(variables)) != len(variables):
        raise ExpressionError("variable names must be distinct")
    return [sympy.Symbol(v, real=True) for v in variables]


def _rational(value: sympy.Expr, text: str) -> Fraction:
    if not value.is_number or not (value.is_Rational or value.is_Float):
        raise ExpressionError(f"{text!r}: coefficient {value} is not a rational number")
    v = sympy.nsimplify(value, rational=True) if value.is_Float else value
    return Fraction(int(v.p), int(v.q))


def _affine(expr: sympy.Expr, syms: list, arith: Arithmetic, text: str) -> TropicalPolynomial:
    """The single monomial of an affine form ``a . x + c``."""
    if expr.has(_TMAX, _TMIN):
        raise ExpressionError(f"{text!r}: {expr} mixes max/min with products or powers")
    try:
        poly = sympy.Poly(expr, *syms) if syms else None
    except sympy.PolynomialError:
        poly = None
    if poly is None or poly.total_degree() > 1 or not all(
            cf.is_number for cf in poly.coeffs()):
        raise ExpressionError(f"{text!r}: term {expr} is not affine in "
                              f"{', '.join(s.name for s in syms)}")
    exps = [_rational(poly.coeff_monomial(s), text) for s in syms]
    const = _rational(poly.coeff_monomial(1), text)
    return TropicalPolynomial.from_monomials([exps], [const], arith)


def _polynomial(expr: sympy.Expr, syms: list, arith: Arithmetic, text: str
                ) -> TropicalPolynomial:
    """A tropical polynomial from ``max`` of sums of affine forms and non-negative
    multiples of nested ``max``."""
    if isinstance(expr, _TMAX):
        if not expr.args:
            raise ExpressionError(f"{text!r}: max() needs at least one argument")
        out = _polynomial(expr.args[0], syms, arith, text)
        for arg in expr.args[1:]:
            out = out | _polynomial(arg, syms, arith, text)
        return out
    if isinstance(expr, _TMIN):
        raise ExpressionError(f"{text!r}: min(...) inside max(...) is not a tropical "
                              f"polynomial")
    affine = sympy.Integer(0)
    factors = []
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coeff, core = term.as_coeff_Mul()
        if isinstance(core, (_TMAX, _TMIN)):
            k = _rational(coeff, text)
            if k < 0 or isinstance(core, _TMIN):
                raise ExpressionError(f"{text!r}: {term} inside max(...) is a negative "
                                      f"multiple of max/min, not a tropical polynomial")
            factors.append(_polynomial(core, syms, arith, text).tpow(k))
        else:
            affine += term
    out = _affine(affine, syms, arith, text)
    for f in factors:
        out = out & f
    return out

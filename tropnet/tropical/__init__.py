"""Tropical algebra: polynomials, rational maps, parsing, pruning and network compilation."""

from .compile import compile_network
from .parse import parse, parse_polynomial
from .polynomial import TropicalPolynomial
from .prune import irredundant
from .rational import TropicalRational, monomial_complexity

__all__ = [
    "TropicalPolynomial",
    "TropicalRational",
    "compile_network",
    "irredundant",
    "monomial_complexity",
    "parse",
    "parse_polynomial",
]

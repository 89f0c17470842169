"""Polyhedra in H-representation and the LP entry point (exact: cdd gmp, certified; float:
HiGHS), with the solver fallback chain and its counter ``FALLBACKS``."""

from .lp import EXACT_CHAIN, FALLBACKS, FLOAT_CHAIN, LPResult, linprog, record_fallback
from .polyhedron import Polyhedron, closures_meet, facet_adjacent

__all__ = ["EXACT_CHAIN", "FALLBACKS", "FLOAT_CHAIN", "LPResult", "Polyhedron", "closures_meet",
           "facet_adjacent", "linprog", "record_fallback"]

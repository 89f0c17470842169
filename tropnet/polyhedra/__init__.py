"""Polyhedra in H-representation and the LP entry point (exact: cdd gmp; float: HiGHS)."""

from .lp import LPResult, linprog
from .polyhedron import Polyhedron, closures_meet, facet_adjacent

__all__ = ["LPResult", "Polyhedron", "closures_meet", "facet_adjacent", "linprog"]

"""The MILP backend (cvxpy): exact counting of activation regions on a bounded domain,
big-M tightening, MIPBound probabilistic lower bounds and the empirical upper bound.

Serra, Tjandraatmadja & Ramalingam 2018 (formulation P, Appendices H and K) and Serra &
Ramalingam 2020 (Algorithm 1 MIPBound, inequalities (8)-(9), Theorem 2).

Modules, lowest first: :mod:`.solvers` (one adapter per MIP solver, ``solve``),
:mod:`.bigm` (the big-M value), :mod:`.blocks` (one layer's encoding, rows in parameters),
:mod:`.tighten` (big-M tightening), :mod:`.formulation` (the network's MILP),
:mod:`.level` (the one-layer node MILP), :mod:`.parity` (XOR constraints),
:mod:`.confirm` (the exact confirmation of every pattern a solver proposes, on the exact
geometry of :mod:`tropnet.engines.patterns`), then the methods :mod:`.count`,
:mod:`.mipbound` and :mod:`.empirical`.
"""

from ..engines.patterns import pattern_polyhedron, region_of_pattern
from .bigm import BigM
from .count import activation_regions, count_activation_regions
from .empirical import EmpiricalBound, empirical_bound, empirical_upper_bound, theorem2_bound
from .formulation import Formulation, build_formulation
from .mipbound import MIPBoundResult, mipbound, parity_probabilities
from .solvers import SolveResult, check_solver, installed_mip_solvers, solve
from .tighten import tighten_bigm

__all__ = [
    "BigM",
    "EmpiricalBound",
    "Formulation",
    "MIPBoundResult",
    "SolveResult",
    "activation_regions",
    "build_formulation",
    "check_solver",
    "count_activation_regions",
    "empirical_bound",
    "empirical_upper_bound",
    "installed_mip_solvers",
    "mipbound",
    "parity_probabilities",
    "pattern_polyhedron",
    "region_of_pattern",
    "solve",
    "theorem2_bound",
    "tighten_bigm",
]

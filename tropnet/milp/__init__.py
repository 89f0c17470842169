"""The MILP backend (cvxpy): exact counting of activation regions on a bounded domain,
big-M tightening, MIPBound probabilistic lower bounds and the empirical upper bound.

Serra, Tjandraatmadja & Ramalingam 2018 (formulation P, Appendices H and K) and Serra &
Ramalingam 2020 (Algorithm 1 MIPBound, inequalities (8)-(9), Theorem 2).
"""

from .count import count_activation_regions, pattern_polyhedron, region_of_pattern
from .empirical import EmpiricalBound, empirical_bound, empirical_upper_bound, theorem2_bound
from .formulation import (
    Formulation,
    SolveResult,
    build_formulation,
    check_solver,
    installed_mip_solvers,
    solve,
)
from .mipbound import MIPBoundResult, mipbound, parity_probabilities
from .tighten import BigM, tighten_bigm

__all__ = [
    "BigM",
    "EmpiricalBound",
    "Formulation",
    "MIPBoundResult",
    "SolveResult",
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

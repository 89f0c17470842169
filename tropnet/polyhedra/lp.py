"""The one linear-programming entry point of tropnet.

``linprog`` optimises ``c . x`` over ``{x : A_ub x <= b_ub, A_eq x = b_eq}``
with free variables. The arithmetic decides the solver: exact problems go to
cdd's gmp simplex (exact rationals), float problems to HiGHS through scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cdd
import cdd.gmp
import numpy as np
from scipy.optimize import linprog as _scipy_linprog

from ..arithmetic import Arithmetic

__all__ = ["LPResult", "linprog"]


@dataclass(frozen=True)
class LPResult:
    """Outcome of one LP: ``status`` is ``"optimal"``, ``"infeasible"`` or ``"unbounded"``.

    ``duals`` (float mode, optimal only) are the non-negative multipliers ``y``
    of the ``A_ub`` rows: ``c = y @ A_ub`` (+ equality part) for a maximisation,
    ``-c = y @ A_ub`` for a minimisation.
    """

    status: str
    x: np.ndarray | None = None
    value: Any = None
    duals: np.ndarray | None = None

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


_CDD_STATUS = {
    cdd.LPStatusType.OPTIMAL: "optimal",
    cdd.LPStatusType.INCONSISTENT: "infeasible",
    cdd.LPStatusType.STRUC_INCONSISTENT: "infeasible",
    cdd.LPStatusType.DUAL_UNBOUNDED: "infeasible",
    cdd.LPStatusType.DUAL_INCONSISTENT: "unbounded",
    cdd.LPStatusType.STRUC_DUAL_INCONSISTENT: "unbounded",
    cdd.LPStatusType.UNBOUNDED: "unbounded",
}


def linprog(c: Any, A_ub: Any, b_ub: Any, arith: Arithmetic, *, A_eq: Any = None,
            b_eq: Any = None, maximize: bool = False) -> LPResult:
    """Optimise ``c . x`` subject to ``A_ub x <= b_ub`` and ``A_eq x = b_eq`` (x free)."""
    n = len(c)
    A_ub = arith.asarray(A_ub).reshape(-1, n)
    b_ub = arith.asarray(b_ub).reshape(-1)
    has_eq = A_eq is not None and len(A_eq) > 0
    if arith.cdd_exact:
        rows = [[b, *(-a for a in row)] for row, b in zip(A_ub, b_ub, strict=True)]
        if has_eq:
            for row, b in zip(np.asarray(A_eq, dtype=object).reshape(-1, n),
                              np.asarray(b_eq, dtype=object).reshape(-1), strict=True):
                rows.append([b, *(-a for a in row)])
                rows.append([-b, *row])
        rows.append([0, *c])
        lp = cdd.gmp.linprog_from_array(
            rows, obj_type=cdd.LPObjType.MAX if maximize else cdd.LPObjType.MIN)
        cdd.gmp.linprog_solve(lp)
        status = _CDD_STATUS.get(lp.status, "infeasible")
        if status != "optimal":
            return LPResult(status)
        return LPResult(status, np.array(lp.primal_solution, dtype=object), lp.obj_value)
    cf = -np.asarray(c, dtype=float) if maximize else np.asarray(c, dtype=float)
    data = dict(A_ub=A_ub if len(A_ub) else None, b_ub=b_ub if len(b_ub) else None,
                A_eq=np.asarray(A_eq, dtype=float).reshape(-1, n) if has_eq else None,
                b_eq=np.asarray(b_eq, dtype=float).reshape(-1) if has_eq else None,
                bounds=[(None, None)] * n, method="highs")
    res = _scipy_linprog(cf, **data)
    if res.status in (2, 3):
        # HiGHS's presolve reports some unbounded LPs as infeasible (seen with scipy 1.17:
        # a region was dropped by the LP enumeration engine); its simplex without presolve
        # decides between the two.
        res = _scipy_linprog(cf, options={"presolve": False}, **data)
    if res.status == 2:
        return LPResult("infeasible")
    if res.status == 3:
        return LPResult("unbounded")
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed: {res.message}")
    duals = None
    if len(b_ub) and getattr(res, "ineqlin", None) is not None:
        duals = -np.asarray(res.ineqlin.marginals, dtype=float)
    value = -res.fun if maximize else res.fun
    return LPResult("optimal", np.asarray(res.x, dtype=float), float(value), duals)

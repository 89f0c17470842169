"""The one linear-programming entry point of tropnet, and the solver fallback chain.

``linprog`` optimises ``c . x`` over ``{x : A_ub x <= b_ub, A_eq x = b_eq}`` with free
variables. The arithmetic decides where the chain starts:

* **exact**: cdd's gmp criss-cross method, then cdd's dual simplex, then a tableau simplex
  with Bland's rule on Fractions (slow, but it always terminates). No answer
  is used before it is checked with an exact certificate: an optimum by a dual solution of
  the same value, infeasibility by a Farkas multiplier vector (the certified optimum of a
  phase-one LP), unboundedness by a feasible point and an improving ray. An answer that fails
  its check (a pivot limit, an undecided status, a wrong claim: cdd reports some infeasible
  LPs as dual inconsistent) sends the problem on to the next step;
* **float**: HiGHS's simplex (through ``highspy``, one solver object per thread: a small
  LP then costs a fraction of a millisecond; a model whose first rows are those of the
  last one keeps them and HiGHS starts from its basis, a warm start); the same without
  presolve (also the
  confirmation of every infeasible or unbounded claim of the first solve, whose presolve
  misreports some); HiGHS's interior-point method through scipy; and last the exact chain
  on the exact rationals of the float data (``Fraction(x)`` is exact for a binary float).

Every call is counted in :data:`SOLVED` (``"lp"``; the MILP chain counts ``"milp"``), for
progress reports. Every step taken because an earlier one failed is counted in
:data:`FALLBACKS` (the MILP chain of :mod:`tropnet.milp.solvers` counts there too) and
logged at DEBUG level on the ``"tropnet.solvers"`` logger; a run's fallbacks are the
difference of two copies::

    before = FALLBACKS.copy()
    ...
    fallbacks = FALLBACKS - before
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from math import lcm
from operator import mul
from types import SimpleNamespace
from typing import Any, NamedTuple

import cdd
import cdd.gmp
import highspy
import numpy as np
from scipy.optimize import linprog as _scipy_linprog

from ..arithmetic import Arithmetic
from ..errors import SolverError

__all__ = ["EXACT_CHAIN", "FALLBACKS", "FLOAT_CHAIN", "SOLVED", "LPResult", "linprog",
           "record_fallback"]

#: steps of the float LP chain, in order (after them: :data:`EXACT_CHAIN` on Fraction(x))
FLOAT_CHAIN = ("highs", "highs-no-presolve", "highs-ipm")
#: steps of the exact LP chain, in order
EXACT_CHAIN = ("cdd", "cdd-dual-simplex", "fraction-simplex")

#: number of solves that went on to each fallback step (``"lp:highs-no-presolve"``,
#: ``"lp:cdd"`` for the float chain's exact step, ``"lp:cdd-dual-simplex"``,
#: ``"milp:HIGHS-no-presolve"``, ``"milp:SCIPY"``, ...) since the process started
FALLBACKS: Counter[str] = Counter()
#: number of LPs (``"lp"``) and MILPs (``"milp"``) solved since the process started
SOLVED: Counter[str] = Counter()

LOG = logging.getLogger("tropnet.solvers")


def record_fallback(step: str, reason: str) -> None:
    """Count one fallback to ``step`` in :data:`FALLBACKS` and log ``reason`` (DEBUG).

    Parameters
    ----------
    step : str
        The fallback step taken.
    reason : str
        Why.
    """
    FALLBACKS[step] += 1
    LOG.debug("solver fallback to %s: %s", step, reason)


@dataclass(frozen=True)
class LPResult:
    """Outcome of one LP: ``status`` is ``"optimal"``, ``"infeasible"`` or ``"unbounded"``.

    ``duals`` (optimal only) are the non-negative multipliers ``y`` of the ``A_ub`` rows:
    ``c = y @ A_ub`` (+ equality part) for a maximisation, ``-c = y @ A_ub`` for a
    minimisation; exact (and certified) in exact mode.

    Attributes
    ----------
    status : str
        The outcome: ``"optimal"``, ``"infeasible"`` or ``"unbounded"``.
    x : ndarray or None, default None
        An optimal point.
    value : number or None, default None
        The optimal value.
    duals : ndarray or None, default None
        The multipliers of the ``A_ub`` rows (above).
    """

    status: str
    x: np.ndarray | None = None
    value: Any = None
    duals: np.ndarray | None = None

    @property
    def optimal(self) -> bool:
        """The status is ``"optimal"``."""
        return self.status == "optimal"


def linprog(c: Any, A_ub: Any, b_ub: Any, arith: Arithmetic, *, A_eq: Any = None,
            b_eq: Any = None, maximize: bool = False) -> LPResult:
    """Optimise ``c . x`` subject to ``A_ub x <= b_ub`` and ``A_eq x = b_eq`` (x free).

    Raises :class:`~tropnet.errors.SolverError` only when every step of the chain failed.

    Parameters
    ----------
    c : array_like
        The objective.
    A_ub : array_like
        The inequality rows.
    b_ub : array_like
        Their right-hand sides.
    arith : Arithmetic
        The arithmetic: exact (cdd's gmp backend) or float.
    A_eq : array_like or None, default None
        Equality rows.
    b_eq : array_like or None, default None
        Their right-hand sides.
    maximize : bool, default False
        Maximise instead of minimise.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from tropnet.arithmetic import EXACT
    >>> res = linprog([1, 1], [[1, 0], [0, 1]], [1, Fraction(1, 3)], EXACT, maximize=True)
    >>> res.status, res.value, list(res.duals)
    ('optimal', Fraction(4, 3), [Fraction(1, 1), Fraction(1, 1)])
    """
    SOLVED["lp"] += 1
    n = len(c)
    A_ub = arith.asarray(A_ub).reshape(-1, n)
    b_ub = arith.asarray(b_ub).reshape(-1)
    has_eq = A_eq is not None and len(A_eq) > 0
    A_eq = A_eq if has_eq else None
    if arith.cdd_exact:
        return _exact_result(c, A_ub, b_ub, A_eq, b_eq, maximize, np.array, lambda v: v)
    cf = -np.asarray(c, dtype=float) if maximize else np.asarray(c, dtype=float)
    data = dict(A_ub=A_ub if len(A_ub) else None, b_ub=b_ub if len(b_ub) else None,
                A_eq=np.asarray(A_eq, dtype=float).reshape(-1, n) if has_eq else None,
                b_eq=np.asarray(b_eq, dtype=float).reshape(-1) if has_eq else None,
                bounds=[(None, None)] * n)
    reason = ""
    for k, step in enumerate(FLOAT_CHAIN):
        if k and reason:
            record_fallback("lp:" + step, reason)
        res = _float_step(step, cf, data)
        if res.status == 0:
            duals = None
            if len(b_ub) and getattr(res, "ineqlin", None) is not None:
                duals = -np.asarray(res.ineqlin.marginals, dtype=float)
            value = -res.fun if maximize else res.fun
            return LPResult("optimal", np.asarray(res.x, dtype=float), float(value), duals)
        if res.status in (2, 3):
            if step == "highs":  # confirmed without presolve: not a failure
                reason = ""
                continue
            if step == "highs-no-presolve":
                return LPResult("infeasible" if res.status == 2 else "unbounded")
        reason = f"HiGHS ({step}) status {res.status}: {res.message}"
    record_fallback("lp:" + EXACT_CHAIN[0], reason)
    try:
        return _exact_result(c, A_ub, b_ub, A_eq, b_eq, maximize,
                             partial(np.array, dtype=float), float)
    except (OverflowError, ValueError) as exc:  # Fraction(inf), Fraction(nan)
        raise SolverError(f"{reason}; the exact fallback needs finite LP data ({exc})") from None


def _float_step(step: str, cf: np.ndarray, data: dict) -> Any:
    """One HiGHS solve of the float chain (fields of scipy's ``OptimizeResult``: ``status``
    0 optimal, 2 infeasible, 3 unbounded, 4 failed; ``x``, ``fun``, ``ineqlin.marginals``,
    ``message``)."""
    if step == "highs-ipm":
        return _scipy_linprog(cf, method="highs-ipm", options={"presolve": False}, **data)
    return _highs_simplex(cf, data, presolve=step == "highs")


_LOCAL = threading.local()
_STATUS = {highspy.HighsModelStatus.kOptimal: 0, highspy.HighsModelStatus.kInfeasible: 2,
           highspy.HighsModelStatus.kUnbounded: 3}


def _solver() -> Any:
    """This thread's HiGHS object (built once, its banner kept off standard output)."""
    h = getattr(_LOCAL, "highs", None)
    if h is None:
        with _quiet_fd(1):
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        _LOCAL.highs = h
    return h


def _starts(rows: int, n: int) -> np.ndarray:
    """Row starts of ``rows`` dense rows of ``n`` entries."""
    return np.arange(0, rows * n + 1, max(n, 1), dtype=np.int32)[:rows + 1]


def _shared_rows(A: np.ndarray, lower: np.ndarray, upper: np.ndarray, presolve: bool
                 ) -> tuple[int, int] | None:
    """``(rows loaded, rows shared)``: this thread's loaded model and ``A`` share their
    first rows (same bounds, same presolve setting); ``None`` when they share none. The
    model is then kept, its other rows replaced: LPs over one region (its rows, then a row
    that caps the objective) and over its parts (one row more) follow each other in the
    enumeration, and HiGHS starts from the basis it has (a warm start)."""
    loaded = getattr(_LOCAL, "loaded", None)
    if loaded is None:
        return None
    B, lo, up, pre = loaded
    m = min(len(B), len(A))
    if pre != presolve or B.shape[1:] != A.shape[1:] or m == 0:
        return None
    same = np.all(B[:m] == A[:m], axis=1) & (lo[:m] == lower[:m]) & (up[:m] == upper[:m])
    shared = m if same.all() else int(np.argmin(same))
    return (len(B), shared) if shared else None


def _highs_simplex(cf: np.ndarray, data: dict, presolve: bool) -> Any:
    """Minimise ``cf . x`` over the rows of ``data`` (free variables) with HiGHS's simplex."""
    n = len(cf)
    blocks = [(np.asarray(data[a], dtype=float).reshape(-1, n), np.asarray(data[b], dtype=float))
              for a, b in (("A_ub", "b_ub"), ("A_eq", "b_eq")) if data[a] is not None]
    A = np.vstack([a for a, _ in blocks]) if blocks else np.zeros((0, n))
    m_ub = len(blocks[0][0]) if data["A_ub"] is not None else 0
    upper = np.concatenate([b for _, b in blocks]) if blocks else np.zeros(0)
    lower = np.concatenate([np.full(m_ub, -highspy.kHighsInf), upper[m_ub:]])
    h = _solver()
    h.setOptionValue("presolve", "on" if presolve else "off")
    shared = _shared_rows(A, lower, upper, presolve)
    _LOCAL.loaded = None  # until the model below is complete
    if shared is None:  # a new model
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(A)
        lp.col_cost_ = cf
        lp.col_lower_ = np.full(n, -highspy.kHighsInf)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_, lp.row_upper_ = lower, upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(A)
        lp.a_matrix_.start_ = _starts(len(A), n)
        lp.a_matrix_.index_ = np.tile(np.arange(n, dtype=np.int32), len(A))
        lp.a_matrix_.value_ = A.reshape(-1)
        h.clearModel()
        failed = h.passModel(lp) == highspy.HighsStatus.kError
    else:  # keep the shared rows: HiGHS starts from the basis it has (warm start)
        loaded, kept = shared
        extra = A[kept:]
        failed = loaded > kept and h.deleteRows(
            loaded - kept, np.arange(kept, loaded, dtype=np.int32)) == highspy.HighsStatus.kError
        failed = failed or (len(extra) > 0 and h.addRows(
            len(extra), lower[kept:], upper[kept:], extra.size, _starts(len(extra), n),
            np.tile(np.arange(n, dtype=np.int32), len(extra)), extra.reshape(-1)
        ) == highspy.HighsStatus.kError)
        failed = failed or h.changeColsCost(n, np.arange(n, dtype=np.int32), cf) == \
            highspy.HighsStatus.kError
    if failed or h.run() == highspy.HighsStatus.kError:
        return SimpleNamespace(status=4, message="HiGHS returned an error")
    _LOCAL.loaded = (A, lower, upper, presolve)
    model = h.getModelStatus()
    status = _STATUS.get(model, 4)
    out = SimpleNamespace(status=status, message=h.modelStatusToString(model))
    if status == 0:
        sol = h.getSolution()
        out.x = np.array(sol.col_value, dtype=float)
        out.fun = float(h.getInfo().objective_function_value)
        out.ineqlin = SimpleNamespace(marginals=np.array(sol.row_dual, dtype=float)[:m_ub])
    return out


class _Rows(NamedTuple):
    """``G x <= h`` twice: in Fractions for the solvers, and each row times a positive
    integer ``scale`` (``Gi x <= hi``, integers) for the exact checks."""

    G: list
    h: list
    Gi: list
    hi: list
    scale: list

    def bordered(self, n: int) -> _Rows:
        """The rows of the phase-one LP in ``(x, s)``: ``G x - s <= h`` and ``-s <= 1``."""
        return _Rows([*([*g, _MINUS_ONE] for g in self.G), [_ZERO] * n + [_MINUS_ONE]],
                     [*self.h, _ONE],
                     [*([*g, -s] for g, s in zip(self.Gi, self.scale, strict=True)),
                      [0] * n + [-1]],
                     [*self.hi, 1], [*self.scale, 1])


_ZERO, _ONE, _MINUS_ONE = Fraction(0), Fraction(1), Fraction(-1)


def _rows(A_ub: Any, b_ub: Any, A_eq: Any, b_eq: Any, n: int) -> _Rows:
    """The rows of ``A_ub x <= b_ub``, then each equality as two rows."""
    pairs = list(zip(A_ub, b_ub, strict=True))
    if A_eq is not None:
        for row, b in zip(np.asarray(A_eq, dtype=object).reshape(-1, n),
                          np.asarray(b_eq, dtype=object).reshape(-1), strict=True):
            pairs += [(row, b), ([-v for v in row], -b)]
    out = _Rows([], [], [], [], [])
    for row, b in pairs:
        fr = _fractions([*row, b])
        *gi, hi, scale = _integers(fr)
        out.G.append(fr[:-1])
        out.h.append(fr[-1])
        out.Gi.append(gi)
        out.hi.append(hi)
        out.scale.append(scale)
    return out


def _fractions(values: Any) -> list[Fraction]:
    return [v if type(v) is Fraction else Fraction(v) for v in values]


def _integers(fr: list[Fraction]) -> list[int]:
    """Fractions ``v`` as integers ``v * L`` (``L`` the lcm of their denominators), then ``L``."""
    den = lcm(*(f.denominator for f in fr))
    return [f.numerator * (den // f.denominator) for f in fr] + [den]


def _exact_result(c: Any, A_ub: Any, b_ub: Any, A_eq: Any, b_eq: Any, maximize: bool,
                  vector: Any, number: Any) -> LPResult:
    """The certified exact answer, with vectors and numbers made by ``vector``/``number``."""
    cf = _fractions(c)
    raw = _exact_solve(_rows(A_ub, b_ub, A_eq, b_eq, len(cf)),
                       cf if maximize else [-v for v in cf])
    if raw.status != "optimal":
        return LPResult(raw.status)
    value = sum((a * b for a, b in zip(cf, raw.x, strict=True)), _ZERO)
    return LPResult("optimal", vector([number(v) for v in raw.x]), number(value),
                    vector([number(v) for v in raw.y[:len(b_ub)]]))


# -- the exact chain ------------------------------------------------------------------------

class _Raw(NamedTuple):
    """A solver's claim about ``max c.x s.t. G x <= h``: ``x`` and ``y`` (optimal), ``ray``
    (unbounded)."""

    status: str
    x: list | None = None
    y: list | None = None
    ray: list | None = None


class _Uncertified(Exception):
    """A solver answer that failed its exact check."""


def _exact_solve(P: _Rows, c: list) -> _Raw:
    """Certified answer to ``max c.x s.t. G x <= h`` (x free), down :data:`EXACT_CHAIN`."""
    # criss-cross first: pycddlib 3.0's gmp dual simplex can corrupt the heap and abort the
    # process on some LPs with large integers (a 4 x 3 LP with 97-bit entries)
    steps = (partial(_cdd_raw, solver=cdd.LPSolverType.CRISS_CROSS),
             partial(_cdd_raw, solver=cdd.LPSolverType.DUAL_SIMPLEX),
             _fraction_simplex)
    reasons: list[str] = []
    for k, (step, solve) in enumerate(zip(EXACT_CHAIN, steps, strict=True)):
        if k:
            record_fallback("lp:" + step, reasons[-1])
        try:
            return _certified(P, c, solve)
        except (_Uncertified, RuntimeError, ArithmeticError) as exc:
            reasons.append(f"{step}: {exc}")
    raise SolverError("no exact LP solver gave a certified answer (" + "; ".join(reasons) + ")")


def _certified(P: _Rows, c: list, solve: Any) -> _Raw:
    """``solve``'s answer to ``max c.x s.t. G x <= h`` once checked exactly
    (:class:`_Uncertified` otherwise)."""
    raw = solve(P.G, P.h, c)
    if raw.status == "optimal":
        _check_optimal(P, c, raw)
        return raw
    n = len(c)
    # Feasibility from the bounded phase-one LP  max -s  s.t.  G x - s <= h,  s >= -1.
    aux_P, aux_c = P.bordered(n), [_ZERO] * n + [_MINUS_ONE]
    aux = solve(aux_P.G, aux_P.h, aux_c)
    if aux.status != "optimal":
        raise _Uncertified(f"the phase-one LP (always optimal) was reported {aux.status}")
    _check_optimal(aux_P, aux_c, aux)
    if aux.x[n] > 0:  # certified: no x has G x <= h
        return _Raw("infeasible")
    if raw.status != "unbounded":
        raise _Uncertified(f"reported {raw.status}, but the LP has a feasible point")
    if raw.ray is None or len(raw.ray) != n:
        raise _Uncertified("reported unbounded without a ray")
    d = _integers(_fractions(raw.ray))[:-1]  # a positive multiple of the ray
    if any(_dot(row, d) > 0 for row in P.Gi) or _dot(c, raw.ray) <= 0:
        raise _Uncertified("reported unbounded without an improving ray")
    return _Raw("unbounded", x=aux.x[:n], ray=raw.ray)


def _check_optimal(P: _Rows, c: list, raw: _Raw) -> None:
    """Primal feasibility of ``x``, dual feasibility of ``y`` (``y >= 0``, ``y G = c``) and
    equal objective values: together a proof that both are optimal. Feasibility is checked on
    the integer rows with ``x = X / D``."""
    if raw.x is None or raw.y is None or len(raw.x) != len(c) or len(raw.y) != len(P.G):
        raise _Uncertified("reported optimal without a primal and a dual solution")
    *X, D = _integers(_fractions(raw.x))
    if any(_dot(row, X) > b * D for row, b in zip(P.Gi, P.hi, strict=True)):
        raise _Uncertified("the reported optimum violates a constraint")
    support = [(i, v) for i, v in enumerate(raw.y) if v]
    if any(v < 0 for _, v in support):
        raise _Uncertified("a dual multiplier of the reported optimum is negative")
    for j, cj in enumerate(c):
        if sum((v * P.G[i][j] for i, v in support), _ZERO) != cj:
            raise _Uncertified("the dual solution of the reported optimum is not dual feasible")
    if _dot(c, raw.x) != sum((v * P.h[i] for i, v in support), _ZERO):
        raise _Uncertified("the primal and dual values of the reported optimum differ")


def _dot(a: list, b: list) -> Any:
    return sum(map(mul, a, b), 0)


_CDD_INFEASIBLE = (cdd.LPStatusType.INCONSISTENT, cdd.LPStatusType.STRUC_INCONSISTENT,
                   cdd.LPStatusType.DUAL_UNBOUNDED)
_CDD_UNBOUNDED = (cdd.LPStatusType.DUAL_INCONSISTENT, cdd.LPStatusType.STRUC_DUAL_INCONSISTENT,
                  cdd.LPStatusType.UNBOUNDED)


@contextmanager
def _quiet_fd(fd: int) -> Iterator[None]:
    """Silence the C-level file descriptor ``fd`` (1: standard output, 2: standard error)
    for the duration."""
    try:
        saved = os.dup(fd)
    except OSError:  # nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _cdd_raw(G: list, h: list, c: list, solver: cdd.LPSolverType) -> _Raw:
    """cdd's gmp LP with the pivot rule ``solver``; a dual-inconsistent status is a claim of
    unboundedness (checked by :func:`_certified`, since it also covers infeasible LPs)."""
    n = len(c)
    rows = [[b, *(-a for a in row)] for row, b in zip(G, h, strict=True)] + [[0, *c]]
    lp = cdd.gmp.linprog_from_array(rows, obj_type=cdd.LPObjType.MAX)
    with _quiet_fd(2):  # cdd's C code reports its float pre-pass's pivot limit there
        cdd.gmp.linprog_solve(lp, solver)
    status = lp.status
    if status == cdd.LPStatusType.OPTIMAL:
        y = [Fraction(0)] * len(G)
        for i, v in lp.dual_solution:
            if not 0 <= i < len(G):
                raise _Uncertified(f"cdd gave a multiplier for row {i} of {len(G)}")
            y[i] = Fraction(v)
        return _Raw("optimal", x=[Fraction(v) for v in lp.primal_solution][:n], y=y)
    if status in _CDD_UNBOUNDED:
        return _Raw("unbounded", ray=[Fraction(v) for v in lp.primal_solution][:n])
    if status in _CDD_INFEASIBLE:
        return _Raw("infeasible")
    raise _Uncertified(f"cdd status {status.name}")


def _fraction_simplex(G: list, h: list, c: list) -> _Raw:
    """``max c.x`` subject to ``G x <= h`` (x free, rational data) by the two-phase tableau
    simplex method with Bland's rule, in exact Fractions.

    The last step of the exact chain, used when cdd fails (sympy's ``linprog`` is not used:
    sympy 1.14 returns infeasible points on some LPs and may cycle). Bland's rule never
    cycles, so it always terminates; the cost is a dense tableau of ``m x (2n + m)``
    Fractions, slow on large problems.

    Examples
    --------
    >>> r = _fraction_simplex([[1, 1], [-1, 0], [0, -1]], [1, 0, 0], [2, 1])
    >>> r.status, r.x, r.y
    ('optimal', [Fraction(1, 1), Fraction(0, 1)], [Fraction(2, 1), Fraction(0, 1), Fraction(1, 1)])
    """
    m, n = len(G), len(c)
    zero, one = Fraction(0), Fraction(1)
    real = 2 * n + m  # columns u, v (x = u - v), slacks w; then one artificial per row h < 0
    art = {i: real + k for k, i in enumerate(i for i in range(m) if h[i] < 0)}
    width = real + len(art)
    T: list[list[Fraction]] = []
    basis: list[int] = []
    for i in range(m):
        s = -1 if i in art else 1
        row = [zero] * (width + 1)
        for j in range(n):
            row[j], row[n + j] = Fraction(s * G[i][j]), Fraction(-s * G[i][j])
        row[2 * n + i] = Fraction(s)
        row[width] = Fraction(s * h[i])
        if i in art:
            row[art[i]] = one
        basis.append(art.get(i, 2 * n + i))
        T.append(row)
    start = list(basis)  # their columns of the tableau hold the inverse of the basis

    def pivot(r: int, j: int) -> None:
        p = T[r][j]
        pr = T[r] = [v / p for v in T[r]]
        for i in range(m):
            f = T[i][j]
            if i != r and f:
                T[i] = [a - f * b for a, b in zip(T[i], pr, strict=True)]
        basis[r] = j

    def optimise(cost: list) -> int | None:
        """Bland's rule over the real columns; the column of an improving ray, or None."""
        while True:
            cb = [(i, cost[b]) for i, b in enumerate(basis) if cost[b]]
            basic = set(basis)
            enter = next((j for j in range(real) if j not in basic
                          and cost[j] - sum((w * T[i][j] for i, w in cb), zero) > 0), None)
            if enter is None:
                return None
            rows = [(T[i][width] / T[i][enter], basis[i], i) for i in range(m)
                    if T[i][enter] > 0]
            if not rows:
                return enter
            pivot(min(rows)[2], enter)

    if art:
        cost1 = [zero] * real + [-one] * len(art)
        optimise(cost1)
        if sum((cost1[b] * T[i][width] for i, b in enumerate(basis)), zero) < 0:
            return _Raw("infeasible")
        for r in range(m):  # drive the (zero) artificials out where a real column allows
            if basis[r] >= real:
                j = next((j for j in range(real) if T[r][j]), None)
                if j is not None:
                    pivot(r, j)
    cost = [*c, *(-v for v in c)] + [zero] * (m + len(art))
    ray_col = optimise(cost)
    z = [zero] * width
    for i, b in enumerate(basis):
        z[b] = T[i][width]
    x = [z[j] - z[n + j] for j in range(n)]
    if ray_col is not None:
        d = [zero] * width
        d[ray_col] = one
        for i, b in enumerate(basis):
            d[b] = -T[i][ray_col]
        return _Raw("unbounded", x=x, ray=[d[j] - d[n + j] for j in range(n)])
    pi = [sum((cost[b] * T[i][start[k]] for i, b in enumerate(basis) if cost[b]), zero)
          for k in range(m)]
    return _Raw("optimal", x=x, y=[-p if k in art else p for k, p in enumerate(pi)])

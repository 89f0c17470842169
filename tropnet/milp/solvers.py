"""The MIP solvers reached through cvxpy: one adapter per solver, and :func:`solve`.

An adapter (:class:`CvxpySolver` and its subclasses) owns everything that differs between
solvers: the option of a wall-clock limit, an objective target (stop at the first
good-enough solution), whether the returned point is a solution, the proven dual bound,
the options of the many tiny MILPs of the layerwise count, and workarounds of known bugs.

* :class:`HiGHS` (the default; ``highspy`` comes with cvxpy) has them all: objective
  target, solution status, dual bound; it also silences the banner HiGHS prints on stdout
  and re-checks every infeasibility claim without presolve;
* every other MIP-capable cvxpy solver (``SCIP`` when pyscipopt is installed, ``SCIPY``,
  ``GUROBI``, ...) uses the generic adapter: a time limit when its option is known, no
  objective target (it solves to optimality) and no dual bound.

:func:`solve` runs the fallback chain: the requested solver; HiGHS without presolve (when
the request was HiGHS with presolve); then every other installed MIP solver of
:data:`FALLBACK_ORDER`. A step fails when the solver raises, reports an inaccurate
infeasibility or unboundedness, a status it should not (``UNKNOWN``; a solve limit when no
limit was asked), or claims an optimum without a solution. Each step taken after a failure is
counted in :data:`tropnet.polyhedra.lp.FALLBACKS` (keys ``"milp:HIGHS-no-presolve"``,
``"milp:SCIPY"``, ...) and logged on the ``"tropnet.solvers"`` logger.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from ..errors import SolverError
from ..polyhedra.lp import SOLVED, record_fallback

__all__ = [
    "FALLBACK_ORDER",
    "MIN_TIME_LIMIT",
    "CvxpySolver",
    "HiGHS",
    "SolveResult",
    "check_solver",
    "installed_mip_solvers",
    "solve",
    "solver_adapter",
]

#: seconds: the smallest time limit handed to a solver
MIN_TIME_LIMIT = 1e-3

#: cvxpy statuses of a solve that found no point
_NO_POINT = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, "infeasible_or_unbounded")

#: the MIP solvers tried, in this order, after the requested one failed (those installed)
FALLBACK_ORDER = ("HIGHS", "SCIP", "GUROBI", "CPLEX", "COPT", "MOSEK", "CBC", "SCIPY")


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one MILP solve.

    ``status``: ``"optimal"``; ``"feasible"`` (stopped early — objective target or time
    limit — with a solution); ``"infeasible"``; ``"no_solution"`` (a limit was reached
    before any solution was found); ``"unbounded"``. ``value`` is the objective of the
    returned solution, ``bound`` a proven bound on the optimum when the solver reports one
    (HiGHS), in the problem's own sense.

    Attributes
    ----------
    status : str
        The outcome (above).
    value : float or None
        The objective of the returned solution.
    bound : float or None
        A proven bound on the optimum, when the solver reports one.
    seconds : float
        The time taken.
    solver : str
        The solver that produced the result.
    """

    status: str
    value: float | None
    bound: float | None
    seconds: float
    solver: str

    @property
    def has_solution(self) -> bool:
        """The status is ``"optimal"`` or ``"feasible"``."""
        return self.status in ("optimal", "feasible")


# -- adapters ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CvxpySolver:
    """A MIP solver of cvxpy, used through its generic interface.

    ``time_option`` is the path of the wall-clock limit in cvxpy's solver options (e.g.
    ``("scip_params", "limits/time")``; empty when unknown), ``whole_seconds`` says the
    solver takes an integer number of seconds, ``install_hint`` completes the error of a
    missing solver.

    Attributes
    ----------
    name : str
        cvxpy's name of the solver.
    time_option : tuple of str, default ()
        The path of the time limit option (above).
    whole_seconds : bool, default False
        The time limit is a whole number of seconds.
    install_hint : str, default ""
        Completes the error of a missing solver.
    """

    name: str
    time_option: tuple[str, ...] = ()
    whole_seconds: bool = False
    install_hint: str = ""

    @property
    def small_problem_options(self) -> dict | None:
        """Options of the many tiny MILPs of the layerwise count (``None``: defaults)."""
        return None

    def options(self, base: dict | None, time_limit: float | None, stop_at: float | None,
                maximize: bool) -> dict[str, Any]:
        """The options of one solve: ``base`` plus the time limit (merged into a nested
        option dictionary that ``base`` may already hold).

        Parameters
        ----------
        base : dict or None
            The caller's options.
        time_limit : float or None
            Seconds for the solve.
        stop_at : float or None
            Objective value at which to stop early (used by solvers that support it).
        maximize : bool
            The problem maximises.
        """
        opts: dict[str, Any] = dict(base or {})
        if time_limit is not None and self.time_option:
            t = max(float(time_limit), MIN_TIME_LIMIT)
            value: Any = max(1, int(np.ceil(t))) if self.whole_seconds else t
            for key in reversed(self.time_option[1:]):
                value = {key: value}
            head = self.time_option[0]
            opts[head] = {**opts.get(head, {}), **value} if isinstance(value, dict) else value
        return opts

    def prepare(self) -> None:
        """Work to do once before a solve (nothing for most solvers)."""

    def run(self, problem: cp.Problem, warm_start: bool, opts: dict) -> str:
        """Solve ``problem``; its cvxpy status.

        Parameters
        ----------
        problem : cvxpy.Problem
            The problem.
        warm_start : bool
            Let cvxpy pass the previous solution as a start.
        opts : dict
            The solver options (`options`).
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                problem.solve(solver=self.name, warm_start=warm_start, **opts)
        except cp.error.SolverError as exc:
            raise SolverError(f"MILP solver {self.name} failed: {exc}") from None
        except ValueError as exc:  # an option the solver rejects, or no usable solution
            if "invalid solution" in str(exc):
                raise SolverError(f"MILP solver {self.name} returned no usable solution: "
                                  f"{exc}") from None
            raise _RejectedOptions(f"MILP solver {self.name} rejected the options "
                                   f"{sorted(opts)}: {exc}") from None
        return problem.status

    def has_solution(self, problem: cp.Problem) -> bool:
        """The solved problem holds a (feasible) solution.

        Parameters
        ----------
        problem : cvxpy.Problem
            The solved problem.
        """
        value = problem.value
        return value is not None and np.isfinite(value) and all(
            v.value is not None for v in problem.variables())

    def dual_bound(self, problem: cp.Problem, maximize: bool) -> float | None:
        """A proven bound on the optimum, in the problem's sense (``None``: not reported).

        Parameters
        ----------
        problem : cvxpy.Problem
            The solved problem.
        maximize : bool
            The problem maximises.
        """
        return None


class _RejectedOptions(SolverError):
    """The options given are wrong: an error of the request, not of the solver."""


#: HiGHS' ``kSolutionStatusFeasible``
_HIGHS_FEASIBLE = 2


@dataclass(frozen=True)
class HiGHS(CvxpySolver):
    """HiGHS: objective target, primal solution status and proven dual bound.

    Workarounds: the banner HiGHS prints on stdout is silenced (:func:`_silence_banner`);
    HiGHS 1.16's MIP presolve once declared a feasible MILP infeasible (a region was missed
    by the counting), so every infeasibility claim is confirmed by a second solve without
    presolve.

    Attributes
    ----------
    name : str, default "HIGHS"
        cvxpy's name of the solver.
    time_option : tuple of str, default ("time_limit",)
        The path of the time limit option.
    whole_seconds : bool, default False
        The time limit is a whole number of seconds.
    install_hint : str, default ""
        Completes the error of a missing solver.
    """

    name: str = "HIGHS"
    time_option: tuple[str, ...] = ("time_limit",)

    @property
    def small_problem_options(self) -> dict | None:
        # The node MILPs are tiny: HiGHS's parallel machinery costs more than it saves
        # (measured about 1.5x faster with it off on 2 cores). Presolve is off too: every
        # node ends with an infeasible solve, which would otherwise be confirmed by a second
        # solve without presolve (regression test:
        # test_float_net_counts_and_regions_are_consistent).
        return {"parallel": "off", "presolve": "off"}

    def options(self, base: dict | None, time_limit: float | None, stop_at: float | None,
                maximize: bool) -> dict[str, Any]:
        opts = super().options(base, time_limit, stop_at, maximize)
        if stop_at is not None:
            opts["objective_target"] = -float(stop_at) if maximize else float(stop_at)
        return opts

    def prepare(self) -> None:
        _silence_banner()

    def run(self, problem: cp.Problem, warm_start: bool, opts: dict) -> str:
        status = super().run(problem, warm_start, opts)
        if status in _NO_POINT and opts.get("presolve") != "off":
            status = super().run(problem, warm_start, {**opts, "presolve": "off"})
        return status

    def has_solution(self, problem: cp.Problem) -> bool:
        status = getattr(_stats(problem), "primal_solution_status", None)
        if status is not None:
            return int(status) == _HIGHS_FEASIBLE
        return super().has_solution(problem)

    def dual_bound(self, problem: cp.Problem, maximize: bool) -> float | None:
        b = getattr(_stats(problem), "mip_dual_bound", None)
        if b is None or not np.isfinite(b):
            return None
        return -float(b) if maximize else float(b)


def _stats(problem: cp.Problem) -> Any:
    stats = problem.solver_stats
    return getattr(stats, "extra_stats", None) if stats is not None else None


_BANNER_DONE = False


def _silence_banner() -> None:
    """HiGHS prints a banner on stdout (from C++) when the first ``Highs`` object of the
    process is created, which would corrupt ``--json`` output: create that first object
    once with file descriptor 1 pointed at ``/dev/null``."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    _BANNER_DONE = True
    import highspy

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no usable stdout descriptor: nothing to protect
        highspy.Highs()
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


#: the adapters of the solvers whose options we know; any other installed MIP solver gets
#: a plain :class:`CvxpySolver`
_ADAPTERS: dict[str, CvxpySolver] = {s.name: s for s in (
    HiGHS(),
    CvxpySolver("SCIP", ("scip_params", "limits/time"),
                install_hint=" (pip install pyscipopt, or tropnet[scip])"),
    CvxpySolver("SCIPY", ("scipy_options", "time_limit")),
    CvxpySolver("GUROBI", ("TimeLimit",)),
    CvxpySolver("CPLEX", ("cplex_params", "timelimit")),
    CvxpySolver("CBC", ("maximumSeconds",), whole_seconds=True),
    CvxpySolver("MOSEK", ("mosek_params", "MSK_DPAR_MIO_MAX_TIME")),
    CvxpySolver("COPT", ("TimeLimit",)),
)}


# -- choosing and running a solver ---------------------------------------------------------

def installed_mip_solvers() -> list[str]:
    """Names of the installed cvxpy solvers that handle integer variables."""
    from cvxpy.reductions.solvers.defines import INSTALLED_MI_SOLVERS

    return sorted(set(INSTALLED_MI_SOLVERS))


def check_solver(name: str) -> str:
    """The canonical (upper-case) name of an installed MIP solver, or :class:`SolverError`.

    Parameters
    ----------
    name : str
        A solver name (any case).
    """
    if not isinstance(name, str) or not name:
        raise SolverError(f"solver must be a name such as 'HIGHS', got {name!r}")
    upper = name.upper()
    installed = installed_mip_solvers()
    if upper not in installed and upper in cp.installed_solvers():
        raise SolverError(f"{name!r} is installed but is not a MIP solver (it cannot handle "
                          f"integer variables); MIP solvers: {', '.join(installed) or 'none'}")
    if upper not in installed:
        hint = _ADAPTERS[upper].install_hint if upper in _ADAPTERS else ""
        raise SolverError(f"MILP solver {name!r} is not installed{hint}; installed MIP solvers: "
                          f"{', '.join(installed) or 'none'}")
    return upper


def solver_adapter(name: str) -> CvxpySolver:
    """The adapter of an installed MIP solver (:class:`SolverError` if it is not).

    Parameters
    ----------
    name : str
        A solver name (any case).
    """
    upper = check_solver(name)
    return _ADAPTERS.get(upper) or CvxpySolver(upper)


def solve(problem: cp.Problem, solver: str = "HIGHS", *, time_limit: float | None = None,
          stop_at: float | None = None, options: dict | None = None,
          warm_start: bool = False) -> SolveResult:
    """Solve a cvxpy problem with the named MIP solver, falling back on failure.

    Parameters
    ----------
    problem : cvxpy.Problem
        The problem.
    solver : str, default "HIGHS"
        The MIP solver asked for.
    time_limit : float or None, default None
        Seconds for this solve, fallbacks included (mapped to each solver's option).
    stop_at : float or None, default None
        Objective value at which to stop early (HiGHS ``objective_target``; other solvers
        solve to optimality): for a maximisation, the first solution with objective
        ``>= stop_at`` is returned.
    options : dict or None, default None
        Extra options of the requested solver (not passed to a fallback solver).
    warm_start : bool, default False
        Let cvxpy pass the previous solution as a start. Off by default: with an objective
        target, HiGHS 1.16 may stop on a start that the new constraints made infeasible
        (its solution status then says so, and we report ``"no_solution"``).

    Raises
    ------
    SolverError
        When every step of the chain failed.
    """
    SOLVED["milp"] += 1
    first = solver_adapter(solver)
    maximize = isinstance(problem.objective, cp.Maximize)
    limited = time_limit is not None or stop_at is not None
    start = time.perf_counter()
    reasons: list[str] = []
    for k, (step, adapter, base, target) in enumerate(_chain(first, options, stop_at)):
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if k:
            if left is not None and left <= MIN_TIME_LIMIT:  # the failures used the time
                return SolveResult("no_solution", None, None, time.perf_counter() - start,
                                   first.name)
            record_fallback("milp:" + step, reasons[-1])
        opts = adapter.options(base, left, target, maximize)
        adapter.prepare()
        try:
            status = adapter.run(problem, warm_start, opts)
        except _RejectedOptions:
            raise
        except SolverError as exc:
            reasons.append(f"{step}: {exc}")
            continue
        seconds = time.perf_counter() - start
        result = _result(adapter, problem, status, maximize, limited, seconds)
        if isinstance(result, SolveResult):
            return result
        reasons.append(f"{step}: {result}")
    raise SolverError("every MILP solver failed (" + "; ".join(reasons) + ")")


def _chain(first: CvxpySolver, options: dict | None, stop_at: float | None
           ) -> Iterator[tuple[str, CvxpySolver, dict | None, float | None]]:
    """The steps of :func:`solve` (name, adapter, base options, objective target), made as
    they are reached."""
    yield first.name, first, options, stop_at
    if isinstance(first, HiGHS) and (options or {}).get("presolve") != "off":
        yield f"{first.name}-no-presolve", first, {**(options or {}), "presolve": "off"}, stop_at
    installed = installed_mip_solvers()
    for name in FALLBACK_ORDER:
        if name != first.name and name in installed:
            other = solver_adapter(name)
            yield name, other, None, stop_at if isinstance(other, HiGHS) else None


def _result(adapter: CvxpySolver, problem: cp.Problem, status: str, maximize: bool,
            limited: bool, seconds: float) -> SolveResult | str:
    """The result of a solve that returned ``status``, or why the solve failed."""
    name = adapter.name
    if status in (cp.INFEASIBLE, "infeasible_or_unbounded"):
        return SolveResult("infeasible", None, None, seconds, name)
    if status == cp.UNBOUNDED:
        return SolveResult("unbounded", None, None, seconds, name)
    if status == cp.USER_LIMIT and not limited:
        return "stopped at a solver limit (no time limit or objective target was set)"
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT):
        bound = adapter.dual_bound(problem, maximize)
        if adapter.has_solution(problem):
            kind = "optimal" if status == cp.OPTIMAL else "feasible"
            return SolveResult(kind, float(problem.value), bound, seconds, name)
        if status == cp.USER_LIMIT:
            return SolveResult("no_solution", None, bound, seconds, name)
        return f"status {status!r} without a solution"
    return f"status {status!r}"

"""The mixed-integer model of a piecewise-linear network on a bounded domain (cvxpy).

For ReLU and leaky ReLU unit ``i`` of layer ``l`` (Serra et al. 2018, formulation (1)-(6);
Serra & Ramalingam 2020, (1)-(4)), with ``g`` the pre-activation::

    g_i = W_i h^{l-1} + b_i = p_i - n_i,   0 <= p_i <= H_i z_i,   0 <= n_i <= Hbar_i (1 - z_i)

with ``z_i`` binary, ``p = h`` (ReLU) or ``h = p - s n`` (leaky ReLU, slope ``s``), and
``H_i``, ``Hbar_i`` valid bounds on ``max g_i`` and ``max -g_i`` over the domain (the big-M
constants of :mod:`tropnet.milp.tighten`). A unit with ``H_i <= 0`` is stably inactive and
gets no binary (``p_i = 0``); one with ``-Hbar_i > 0`` is stably active (``n_i = 0``).

Maxout unit ``u`` of rank ``k`` (Appendix K of Serra et al. 2018): one binary per piece that
can be the unit's pattern, ``h_u >= g_{u,r}`` for every piece, ``h_u <= g_{u,r} + M_{u,r}
(1 - z_{u,r})`` and ``sum_r z_{u,r} = 1``.

The counting objective (formulation P of Serra et al. 2018) adds a margin ``f``:
``f <= p_i + F (1 - z_i)`` for every ReLU/leaky binary and, to respect the package's pattern
convention for maxout (the *first* maximal piece), ``f <= h_u - g_{u,q} + F (1 - z_{u,r})``
for every binary piece ``r`` and every earlier piece ``q < r``; ``F`` is the largest margin
any unit can have. A solution with ``f > 0`` is a point where every active unit is strictly
active.

Building is separate from solving: :func:`build_formulation` returns a :class:`Formulation`
(the cvxpy variables and constraints); :func:`solve` runs any cvxpy MIP solver on a
problem made from it, chosen by name (``"HIGHS"`` by default, ``"SCIP"`` when pyscipopt is
installed, or any other MIP-capable cvxpy solver).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from ..arithmetic import FLOAT
from ..domain import Domain
from ..errors import SolverError
from ..hoffman import bounded_domain
from ..network import Layer, Network
from .tighten import BigM, tighten_bigm

__all__ = [
    "Formulation",
    "LayerModel",
    "Model",
    "RowBlock",
    "SolveResult",
    "build_formulation",
    "check_solver",
    "installed_mip_solvers",
    "layer_model",
    "solve",
]


# -- solvers ---------------------------------------------------------------------------

def installed_mip_solvers() -> list[str]:
    """Names of the installed cvxpy solvers that handle integer variables."""
    from cvxpy.reductions.solvers.defines import INSTALLED_MI_SOLVERS

    return sorted(set(INSTALLED_MI_SOLVERS))


def check_solver(name: str) -> str:
    """The canonical (upper-case) name of an installed MIP solver, or :class:`SolverError`."""
    if not isinstance(name, str) or not name:
        raise SolverError(f"solver must be a name such as 'HIGHS', got {name!r}")
    upper = name.upper()
    installed = installed_mip_solvers()
    if upper not in installed:
        hint = " (pip install pyscipopt, or tropnet[scip])" if upper == "SCIP" else ""
        raise SolverError(f"MILP solver {name!r} is not installed{hint}; installed MIP solvers: "
                          f"{', '.join(installed) or 'none'}")
    return upper


def _time_options(solver: str, seconds: float) -> dict | None:
    """Solver options for a wall-clock limit (``None`` when we do not know the option)."""
    t = max(float(seconds), 1e-3)
    table: dict[str, dict] = {
        "HIGHS": {"time_limit": t},
        "SCIP": {"scip_params": {"limits/time": t}},
        "SCIPY": {"scipy_options": {"time_limit": t}},
        "GUROBI": {"TimeLimit": t},
        "CPLEX": {"cplex_params": {"timelimit": t}},
        "CBC": {"maximumSeconds": max(1, int(np.ceil(t)))},
        "MOSEK": {"mosek_params": {"MSK_DPAR_MIO_MAX_TIME": t}},
        "COPT": {"TimeLimit": t},
    }
    return table.get(solver)


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one MILP solve.

    ``status``: ``"optimal"``; ``"feasible"`` (stopped early — objective target or time
    limit — with a solution); ``"infeasible"``; ``"no_solution"`` (a limit was reached
    before any solution was found); ``"unbounded"``. ``value`` is the objective of the
    returned solution, ``bound`` a proven bound on the optimum when the solver reports one
    (HiGHS), in the problem's own sense.
    """

    status: str
    value: float | None
    bound: float | None
    seconds: float
    solver: str

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


def solve(problem: cp.Problem, solver: str = "HIGHS", *, time_limit: float | None = None,
          stop_at: float | None = None, options: dict | None = None,
          warm_start: bool = False) -> SolveResult:
    """Solve a cvxpy problem with the named MIP solver.

    Parameters
    ----------
    time_limit : seconds for this solve (mapped to the solver's own option).
    stop_at : objective value at which to stop early (HiGHS ``objective_target``; other
        solvers solve to optimality): for a maximisation, the first solution with
        objective ``>= stop_at`` is returned.
    options : extra solver options passed through cvxpy.
    warm_start : let cvxpy pass the previous solution as a start. Off by default: with an
        objective target, HiGHS 1.16 may stop on a start that the new constraints made
        infeasible (its solution status then says so, and we report ``"no_solution"``).
    """
    name = check_solver(solver)
    opts: dict[str, Any] = dict(options or {})
    if time_limit is not None:
        extra = _time_options(name, time_limit)
        if extra is not None:
            for k, v in extra.items():
                if isinstance(v, dict):
                    opts[k] = {**opts.get(k, {}), **v}
                else:
                    opts[k] = v
    maximize = isinstance(problem.objective, cp.Maximize)
    if name == "HIGHS":
        _silence_highs_banner()
    if stop_at is not None and name == "HIGHS":
        opts["objective_target"] = -float(stop_at) if maximize else float(stop_at)
    start = time.perf_counter()
    _run_solver(problem, name, warm_start, opts)
    status = problem.status
    if name == "HIGHS" and status in _NO_POINT and opts.get("presolve") != "off":
        # HiGHS 1.16's MIP presolve declared a feasible MILP infeasible (a region was missed
        # by the counting); an infeasibility claim is confirmed without presolve.
        _run_solver(problem, name, warm_start, {**opts, "presolve": "off"})
        status = problem.status
    seconds = time.perf_counter() - start
    bound = _dual_bound(problem, name, maximize)
    if status in _NO_POINT:
        return SolveResult("infeasible", None, None, seconds, name)
    if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        return SolveResult("unbounded", None, None, seconds, name)
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT):
        if not _has_solution(problem, name):
            return SolveResult("no_solution", None, bound, seconds, name)
        kind = "optimal" if status == cp.OPTIMAL and not _stopped_early(problem, name) \
            else "feasible"
        return SolveResult(kind, float(problem.value), bound, seconds, name)
    raise SolverError(f"MILP solver {name} returned status {status!r}")


_NO_POINT = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, "infeasible_or_unbounded")


def _run_solver(problem: cp.Problem, name: str, warm_start: bool, opts: dict) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem.solve(solver=name, warm_start=warm_start, **opts)
    except cp.error.SolverError as exc:
        raise SolverError(f"MILP solver {name} failed: {exc}") from None
    except ValueError as exc:  # e.g. an option the solver rejects
        raise SolverError(f"MILP solver {name} rejected the options {sorted(opts)}: "
                          f"{exc}") from None


_BANNER_DONE = False


def _silence_highs_banner() -> None:
    """HiGHS prints a banner on stdout (from C++) when the first ``Highs`` object of the
    process is created, which would corrupt ``--json`` output: create that first object
    once with file descriptor 1 pointed at ``/dev/null``."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    _BANNER_DONE = True
    import os
    import sys

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


def _stats(problem: cp.Problem) -> Any:
    stats = problem.solver_stats
    return getattr(stats, "extra_stats", None) if stats is not None else None


def _has_solution(problem: cp.Problem, name: str) -> bool:
    if name == "HIGHS":
        info = _stats(problem)
        status = getattr(info, "primal_solution_status", None)
        if status is not None:
            return int(status) == 2  # kSolutionStatusFeasible
    value = problem.value
    return value is not None and np.isfinite(value) and all(
        v.value is not None for v in problem.variables())


def _stopped_early(problem: cp.Problem, name: str) -> bool:
    return problem.status == cp.USER_LIMIT


def _dual_bound(problem: cp.Problem, name: str, maximize: bool) -> float | None:
    if name != "HIGHS":
        return None
    info = _stats(problem)
    b = getattr(info, "mip_dual_bound", None)
    if b is None or not np.isfinite(b):
        return None
    return -float(b) if maximize else float(b)


# -- parameter rows (re-solving without recompiling) -----------------------------------------

class RowBlock:
    """Rows ``coeffs @ expr >= rhs`` held in cvxpy Parameters.

    Adding a row only changes parameter values, so cvxpy re-solves the already compiled
    problem (DPP) instead of rebuilding it; unused rows are ``0 >= 0``. When the block is
    full it doubles its capacity (``version`` changes and the owning :class:`Model`
    rebuilds its problem once).
    """

    def __init__(self, expr: cp.Expression, capacity: int = 16) -> None:
        self.expr = expr
        self.width = int(expr.shape[0])
        self.rows: list[tuple[np.ndarray, float]] = []
        self.version = 0
        self._alloc(max(1, capacity))

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        self.C = cp.Parameter((capacity, self.width))
        self.d = cp.Parameter(capacity)
        C = np.zeros((capacity, self.width))
        d = np.zeros(capacity)
        for k, (row, rhs) in enumerate(self.rows):
            C[k], d[k] = row, rhs
        self.C.value, self.d.value = C, d
        self.version += 1

    def add(self, row: np.ndarray, rhs: float) -> None:
        if len(self.rows) >= self.capacity:
            self.rows.append((np.asarray(row, float), float(rhs)))
            self._alloc(2 * self.capacity)
            return
        k = len(self.rows)
        self.rows.append((np.asarray(row, float), float(rhs)))
        C, d = self.C.value.copy(), self.d.value.copy()
        C[k], d[k] = row, rhs
        self.C.value, self.d.value = C, d

    def clear(self) -> None:
        self.rows = []
        self.C.value = np.zeros((self.capacity, self.width))
        self.d.value = np.zeros(self.capacity)

    def constraints(self) -> list:
        return [self.C @ self.expr >= self.d]


class Model:
    """A problem over fixed constraints plus :class:`RowBlock` rows, rebuilt only when a
    block grows (so repeated solves reuse cvxpy's compiled problem)."""

    def __init__(self, constraints: Sequence, objective: Any,
                 blocks: Sequence[RowBlock] = ()) -> None:
        self.constraints = list(constraints)
        self.objective = objective
        self.blocks = list(blocks)
        self._versions: tuple | None = None
        self._problem: cp.Problem | None = None
        self.solves = 0
        self.seconds = 0.0

    @property
    def problem(self) -> cp.Problem:
        versions = tuple(b.version for b in self.blocks)
        if self._problem is None or versions != self._versions:
            extra = [c for b in self.blocks for c in b.constraints()]
            self._problem = cp.Problem(self.objective, self.constraints + extra)
            self._versions = versions
        return self._problem

    def solve(self, solver: str = "HIGHS", **kw: Any) -> SolveResult:
        res = solve(self.problem, solver, **kw)
        self.solves += 1
        self.seconds += res.seconds
        return res


# -- the model -------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class LayerModel:
    """The variables of one layer in a :class:`Formulation`.

    ``pre`` is the pre-activation ``g`` (one entry per weight row), ``out`` the layer's
    output. ``z`` holds the layer's binaries (``None`` when every unit is stable);
    ``labels[j]`` names binary ``j``: the unit index (ReLU/leaky) or ``(unit, piece)``
    (maxout). ``fixed[u]`` is the pattern entry of a stable unit (``None`` if unstable).
    ``margin`` is ``(E, Z)`` such that the counting margin satisfies ``f <= E + F (1 - Z)``
    row-wise, or ``None``; ``cap`` bounds every entry of ``E`` from above. With
    ``bound_params`` the big-M constants are cvxpy parameters, listed in ``params``
    (``"Hp"``, ``"Hn"`` per unit; ``"M"`` per maxout binary) to be tightened per solve.
    """

    index: int
    activation: str
    pre: cp.Expression
    out: cp.Expression
    z: cp.Variable | None
    labels: tuple
    fixed: tuple
    margin: tuple | None
    cap: float = 0.0
    params: dict | None = None

    @property
    def n_binaries(self) -> int:
        return len(self.labels)

    def pattern(self, zvals: np.ndarray | None) -> tuple:
        """The layer's pattern (see :meth:`tropnet.Layer.pattern`) from binary values."""
        if self.activation == "identity":
            return ()
        bits = [] if zvals is None else [int(v > 0.5) for v in np.asarray(zvals).reshape(-1)]
        if self.activation in ("relu", "leaky_relu"):
            out = list(self.fixed)
            for j, unit in enumerate(self.labels):
                out[unit] = bits[j]
            return tuple(int(v) for v in out)
        out = list(self.fixed)
        vals = np.asarray(zvals, float).reshape(-1) if zvals is not None else np.zeros(0)
        best: dict[int, tuple[float, int]] = {}
        for j, (unit, piece) in enumerate(self.labels):
            if unit not in best or vals[j] > best[unit][0]:  # ties: the earlier piece
                best[unit] = (vals[j], piece)
        for unit, (_, piece) in best.items():
            out[unit] = piece
        return tuple(int(v) for v in out)

    def indicator(self, pattern: Sequence[int]) -> np.ndarray:
        """The 0/1 values of this layer's binaries that encode ``pattern``."""
        if self.activation in ("relu", "leaky_relu"):
            return np.array([1.0 if pattern[u] else 0.0 for u in self.labels])
        return np.array([1.0 if pattern[u] == r else 0.0 for u, r in self.labels])


@dataclass(frozen=True, eq=False)
class Formulation:
    """The MILP of a network (or of its first ``len(layers)`` layers) on a bounded domain.

    ``x`` is the input, ``layers`` the per-layer variables, ``constraints`` every
    constraint (including the margin rows when ``f`` is not ``None``); ``bigm`` the
    big-M constants used; ``relaxed`` says the binaries were relaxed to ``[0, 1]``.
    """

    net: Network
    domain: Domain
    bigm: BigM
    x: cp.Variable
    layers: tuple[LayerModel, ...]
    constraints: tuple
    f: cp.Variable | None
    f_cap: float
    relaxed: bool = False
    info: dict = field(default_factory=dict)

    @property
    def binaries(self) -> list[cp.Variable]:
        return [lm.z for lm in self.layers if lm.z is not None]

    @property
    def n_binaries(self) -> int:
        return sum(lm.n_binaries for lm in self.layers)

    @property
    def z(self) -> cp.Expression | None:
        """All binaries, layer by layer, as one vector (``None`` if there are none)."""
        zs = self.binaries
        if not zs:
            return None
        return zs[0] if len(zs) == 1 else cp.hstack(zs)

    def labels(self) -> list[tuple]:
        """``(layer, unit)`` or ``(layer, unit, piece)`` for each entry of :attr:`z`."""
        out: list[tuple] = []
        for lm in self.layers:
            for lab in lm.labels:
                out.append((lm.index, *lab) if isinstance(lab, tuple) else (lm.index, lab))
        return out

    def pattern(self, zvals: np.ndarray | None = None) -> tuple:
        """The network pattern encoded by values of :attr:`z` (default: the current
        solution), one tuple per included layer."""
        if zvals is None:
            zvals = np.concatenate([np.asarray(z.value, float).reshape(-1)
                                    for z in self.binaries]) if self.binaries else np.zeros(0)
        zvals = np.asarray(zvals, float).reshape(-1)
        out, k = [], 0
        for lm in self.layers:
            out.append(lm.pattern(zvals[k:k + lm.n_binaries]))
            k += lm.n_binaries
        return tuple(out)

    def indicator(self, pattern: Sequence[Sequence[int]]) -> np.ndarray:
        """The 0/1 vector of :attr:`z` encoding a network pattern."""
        parts = [lm.indicator(pattern[lm.index]) for lm in self.layers if lm.n_binaries]
        return np.concatenate(parts) if parts else np.zeros(0)

    def problem(self, objective: Any = None, extra: Sequence = ()) -> cp.Problem:
        """A cvxpy problem: ``objective`` (default: maximise ``f`` if present, else
        feasibility) over the constraints plus ``extra``."""
        if objective is None:
            objective = cp.Maximize(self.f) if self.f is not None else cp.Minimize(0)
        return cp.Problem(objective, list(self.constraints) + list(extra))


def build_formulation(net: Network, domain: Domain | str | None = None,
                      bigm: BigM | str = "lp", *, solver: str = "HIGHS",
                      layers: int | None = None, relax: bool = False, margin: bool = True,
                      valid_inequalities: bool = False) -> Formulation:
    """Build the MILP of ``net`` on a bounded ``domain`` (a value; solve it with
    :func:`solve`).

    Parameters
    ----------
    bigm : a :class:`~tropnet.milp.tighten.BigM` or the method to compute one
        (``"interval"``, ``"lp"`` (default) or ``"milp"``; see
        :func:`~tropnet.milp.tighten.tighten_bigm`).
    layers : include only the first ``layers`` layers (default: all).
    relax : relax the binaries to ``0 <= z <= 1`` (the LP relaxation).
    margin : add the counting margin ``f`` of formulation P.
    valid_inequalities : add inequalities (8)-(9) of Serra & Ramalingam 2020 between
        consecutive ReLU layers.
    """
    dom, notes = bounded_domain(net, domain)
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=solver)
    count = len(net.layers) if layers is None else int(layers)
    x = cp.Variable(net.input_dim, name="x")
    cons: list = [x >= bigm.x_lo, x <= bigm.x_hi]
    if dom.kind == "polytope":
        A = np.array(dom.A, dtype=float)
        b = np.array([_up(v) for v in dom.b])
        cons.append(A @ x <= b)
    h: cp.Expression = x
    models: list[LayerModel] = []
    prev: LayerModel | None = None
    for l_idx, layer in enumerate(net.layers[:count]):
        W, b = layer.params(FLOAT)
        pre = W @ h + b
        lm, lcons = layer_model(l_idx, layer, pre, bigm.lo[l_idx], bigm.hi[l_idx], relax=relax)
        cons += lcons
        if valid_inequalities and prev is not None:
            cons += _valid_inequalities(layer, lm, prev)
        models.append(lm)
        prev = lm
        h = lm.out
    f_cap = _margin_cap(models)
    f = None
    if margin:
        f = cp.Variable(name="f")
        cons.append(f <= f_cap)
        for lm in models:
            if lm.margin is not None:
                E, Z = lm.margin
                cons.append(f <= E + f_cap * (1 - Z))
    return Formulation(net, dom, bigm, x, tuple(models), tuple(cons), f, f_cap, relax,
                       dict(notes))


def layer_model(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray, hi: np.ndarray,
                *, relax: bool = False, bound_params: bool = False
                ) -> tuple[LayerModel, list]:
    """Variables and constraints of one layer whose pre-activation is the affine expression
    ``pre`` with valid bounds ``lo <= pre <= hi`` (used for whole networks and for the
    one-layer node models of :mod:`tropnet.milp.count`). The binaries are those of the
    units left unstable by ``lo``/``hi``; with ``bound_params`` the big-M constants are
    parameters (initialised from ``lo``/``hi``) that may be set to tighter valid values
    before a solve."""
    if layer.activation == "identity":
        return LayerModel(index, "identity", pre, pre, None, (), (), None), []
    if layer.activation in ("relu", "leaky_relu"):
        return _unit_layer(index, layer, pre, lo, hi, relax, bound_params)
    return _maxout_layer(index, layer, pre, lo, hi, relax, bound_params)


def _const_or_param(values: np.ndarray, as_param: bool, params: dict, key: str) -> Any:
    if not as_param:
        return values
    par = cp.Parameter(len(values), nonneg=True)
    par.value = values
    params[key] = par
    return par


def _binaries(k: int, relax: bool, name: str) -> tuple[cp.Variable | None, list]:
    if k == 0:
        return None, []
    if relax:
        z = cp.Variable(k, name=name)
        return z, [z >= 0, z <= 1]
    return cp.Variable(k, boolean=True, name=name), []


def _select(rows: int, cols: Sequence[int], width: int) -> sp.csr_matrix:
    """Sparse matrix picking entries ``cols`` of a length-``width`` vector."""
    return sp.csr_matrix((np.ones(rows), (np.arange(rows), np.asarray(cols, int))),
                         shape=(rows, width))


def _unit_layer(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray,
                hi: np.ndarray, relax: bool, bound_params: bool = False
                ) -> tuple[LayerModel, list]:
    m = layer.units
    state = BigM.unit_states(lo, hi)
    unstable = [i for i in range(m) if state[i] == 0]
    z, cons = _binaries(len(unstable), relax, f"z{index}")
    fixed_bits = np.array([1.0 if state[i] > 0 else 0.0 for i in range(m)])
    zfull: Any = fixed_bits if z is None else _select(len(unstable), unstable, m).T @ z \
        + fixed_bits
    Hp = np.maximum(hi, 0.0)
    Hn = np.maximum(-lo, 0.0)
    params: dict = {}
    Hp_use = _const_or_param(Hp, bound_params, params, "Hp")
    Hn_use = _const_or_param(Hn, bound_params, params, "Hn")
    p = cp.Variable(m, nonneg=True, name=f"p{index}")
    n = cp.Variable(m, nonneg=True, name=f"n{index}")
    cons += [pre == p - n, p <= cp.multiply(Hp_use, zfull),
             n <= cp.multiply(Hn_use, 1 - zfull)]
    out = p if layer.activation == "relu" else p - float(layer.slope) * n
    margin = None
    if z is not None:
        margin = (_select(len(unstable), unstable, m) @ p, z)
    fixed = tuple(None if state[i] == 0 else int(state[i] > 0) for i in range(m))
    cap = float(max(Hp[unstable])) if unstable else 0.0
    return LayerModel(index, layer.activation, pre, out, z, tuple(unstable), fixed, margin,
                      cap, params or None), cons


def _maxout_layer(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray,
                  hi: np.ndarray, relax: bool, bound_params: bool = False
                  ) -> tuple[LayerModel, list]:
    k, units = layer.rank, layer.out_dim
    cand = BigM.maxout_candidates(lo, hi, k)
    labels = [(u, r) for u in range(units) if cand[u].sum() > 1 for r in range(k) if cand[u, r]]
    z, cons = _binaries(len(labels), relax, f"z{index}")
    h = cp.Variable(units, name=f"h{index}")
    width = layer.units
    for r in range(k):
        cons.append(h >= _select(units, [u * k + r for u in range(units)], width) @ pre)
    fixed: list[int | None] = [None] * units
    stable = [u for u in range(units) if cand[u].sum() == 1]
    for u in stable:
        fixed[u] = int(np.flatnonzero(cand[u])[0])
    if stable:
        cons.append(_select(len(stable), stable, units) @ h
                    == _select(len(stable), [u * k + fixed[u] for u in stable], width) @ pre)
    margin, cap = None, 0.0
    params: dict = {}
    if z is not None:
        L = len(labels)
        hu = _select(L, [u for u, _ in labels], units) @ h
        gr = _select(L, [u * k + r for u, r in labels], width) @ pre
        M = np.array([max(hi[u * k:(u + 1) * k]) - lo[u * k + r] for u, r in labels])
        M = np.maximum(M, 0.0)
        cons.append(hu <= gr + cp.multiply(_const_or_param(M, bound_params, params, "M"),
                                           1 - z))
        units_with = sorted({u for u, _ in labels})
        S = sp.csr_matrix((np.ones(L), ([units_with.index(u) for u, _ in labels],
                                        np.arange(L))), shape=(len(units_with), L))
        cons.append(S @ z == 1)
        # margins: f <= h_u - g_{u,q} + F (1 - z_{u,r}) for every binary piece r and q < r
        rows = [(j, u, q) for j, (u, r) in enumerate(labels) for q in range(r)]
        if rows:
            R = len(rows)
            E = _select(R, [u for _, u, _ in rows], units) @ h \
                - _select(R, [u * k + q for _, u, q in rows], width) @ pre
            margin = (E, _select(R, [j for j, _, _ in rows], L) @ z)
            cap = max(max(hi[u * k:(u + 1) * k]) - lo[u * k + q] for _, u, q in rows)
    return LayerModel(index, "maxout", pre, h, z, tuple(labels), tuple(fixed), margin,
                      max(cap, 0.0), params or None), cons


def _valid_inequalities(layer: Layer, lm: LayerModel, prev: LayerModel) -> list:
    """Inequalities (8)-(9) of Serra & Ramalingam 2020 between a ReLU/leaky layer and the
    ReLU layer before it: an unstable unit with ``b_i <= 0`` can be active only if some
    previous unit with a positive weight is active; one with ``b_i > 0`` can be inactive
    only if some previous unit with a negative weight is active."""
    if prev.activation != "relu" or lm.activation not in ("relu", "leaky_relu") \
            or lm.z is None:
        return []
    W, b = layer.weight, layer.bias  # exact signs
    col = {u: j for j, u in enumerate(prev.labels)}
    cons = []
    for j, i in enumerate(lm.labels):
        sign = 1 if b[i] <= 0 else -1
        js = [c for c in range(W.shape[1]) if (W[i, c] > 0 if sign > 0 else W[i, c] < 0)]
        if any(prev.fixed[c] == 1 for c in js):
            continue  # a stably active predecessor satisfies the inequality
        terms = [prev.z[col[c]] for c in js if c in col]
        rhs = cp.sum(cp.hstack(terms)) if terms else 0
        if sign > 0:
            cons.append(lm.z[j] <= rhs)
        else:
            cons.append(1 - lm.z[j] <= rhs)
    return cons


def _margin_cap(models: Sequence[LayerModel]) -> float:
    """``F``: at least the largest margin any binary unit can reach (1 if there is none)."""
    return float(max([1.0] + [lm.cap for lm in models if lm.margin is not None]))


def _up(v: Any) -> float:
    """The smallest float ``>= v`` (for a Fraction or number)."""
    from fractions import Fraction

    f = float(v)
    if isinstance(v, Fraction) and Fraction(f) < v:
        f = float(np.nextafter(f, np.inf))
    return f


"""The empirical upper bound of Serra & Ramalingam 2020 (Theorem 2) for ReLU networks.

For a region ``R`` cut out by layers ``1..l-1``, only the units of layer ``l`` whose
hyperplane crosses ``R`` (*unstable in R*) split it, and the active units of layer ``l``
bound the dimension left for the next layers. With

* ``A_l(k)``: the largest number of layer-``l`` units that can be active somewhere in a
  region ``R`` of layers ``1..l-1`` with at most ``k`` active units in layer ``l-1``,
* ``I_l(k)``: the largest number of layer-``l`` units unstable in such a region
  (``I_l(k) <= A_l(k)``),

the number of activation regions on the domain is at most ``R(1, n_0, n_0)`` where

    R(l, k, d) = sum_{j=0}^{min(I_l(k), d)} C(I_l(k), j) R(l+1, A_l(k) - j, min(A_l(k) - j, d))

and ``R(L+1, ., .) = 1`` (the nested sums of Theorem 2; ``k_0 = n_0``). Any upper bounds on
``A_l`` and ``I_l`` that are non-decreasing in ``k`` give a valid bound, because ``R`` grows
with them. Two sources, combined by taking the smaller value:

* ``"milp"``: exact maxima over the MILP (one shared copy of the binaries of layers
  ``< l``, one copy of the continuous variables per unit and witness) -- an upper bound,
  since the closed formulation contains every region; on a time limit the solver's proven
  dual bound is used;
* ``"propositions"``: Propositions 3 and 4 of the paper, from the stable, active-leaning
  (``b > 0``) and inactive-leaning (``b <= 0``) units found by big-M tightening, with the
  maximum coverage over ``k`` units solved exactly by a small MILP.

All counts are Python integers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import cache

import cvxpy as cp
import numpy as np

from ..arithmetic import DOMAIN_PAD, FLOAT, SOLVER_TOL, Arithmetic
from ..domain import Domain
from ..errors import TropnetError, UnsupportedModelError
from ..hoffman import bounded_domain
from ..network import Network
from .bigm import BigM
from .blocks import inactive_is_zero, layer_model
from .formulation import Formulation, build_formulation
from .solvers import SolveResult, check_solver, solve
from .tighten import tighten_bigm

__all__ = ["EmpiricalBound", "empirical_bound", "empirical_upper_bound", "theorem2_bound"]

METHODS = ("milp", "propositions")


@dataclass(frozen=True)
class EmpiricalBound:
    """Theorem 2 of Serra & Ramalingam 2020 evaluated on a trained network.

    ``A[l][k]`` and ``I[l][k]`` (``l`` = 1-based hidden layer) are the values used,
    ``stable`` the per-layer counts ``(stably active, stably inactive, unstable)``.

    Attributes
    ----------
    bound : int
        The upper bound.
    n0 : int
        The input dimension.
    widths : tuple of int
        The hidden widths.
    A, I : dict
        ``A[l][k]`` and ``I[l][k]``, the values used.
    stable : tuple of tuple of int
        Per layer ``(stably active, stably inactive, unstable)``.
    method : str
        ``"milp"`` or ``"propositions"``.
    solver : str
        The MIP solver.
    milp_solves : int
        The number of MILPs solved.
    seconds : float
        The time taken.
    info : dict, default {}
        Further facts of the run.
    """

    bound: int
    n0: int
    widths: tuple[int, ...]
    A: dict[int, dict[int, int]]
    I: dict[int, dict[int, int]]
    stable: tuple[tuple[int, int, int], ...]
    method: str
    solver: str
    milp_solves: int
    seconds: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet empirical``: the bound, the values used and the run's
        facts."""
        return {
            "empirical_upper": self.bound,
            "method": self.method,
            "widths": list(self.widths),
            "A": {str(l): {str(k): v for k, v in t.items()} for l, t in self.A.items()},
            "I": {str(l): {str(k): v for k, v in t.items()} for l, t in self.I.items()},
            "stable": [{"active": a, "inactive": b, "unstable": c} for a, b, c in self.stable],
            "solver": self.solver,
            "milp_solves": self.milp_solves,
            "seconds": round(self.seconds, 6),
            **self.info,
        }


def empirical_upper_bound(net: Network, domain: Domain | str | None = None,
                          solver: str = "HIGHS") -> int:
    """Theorem 2 of Serra & Ramalingam 2020: an upper bound on the number of activation
    regions of a ReLU network on a bounded domain (see :func:`empirical_bound`).

    Parameters
    ----------
    net : Network
        A ReLU network.
    domain : Domain, str or None, default None
        A bounded domain; ``None`` is ``R^n`` (the effective box).
    solver : str, default "HIGHS"
        A cvxpy MIP solver.
    """
    return empirical_bound(net, domain, solver).bound


def empirical_bound(net: Network, domain: Domain | str | None = None, solver: str = "HIGHS",
                    *, method: str = "milp", bigm: BigM | str = "lp",
                    time_limit: float | None = 30.0,
                    exact: bool | Arithmetic | None = None) -> EmpiricalBound:
    """Theorem 2 with the details (see the module docstring).

    Parameters
    ----------
    net : Network
        A ReLU network.
    domain : Domain, str or None, default None
        A bounded domain; ``None`` is ``R^n`` (the effective box).
    solver : str, default "HIGHS"
        A cvxpy MIP solver.
    method : {"milp", "propositions"}, default "milp"
        ``"milp"`` is combined with the propositions.
    bigm : BigM or str, default "lp"
        Big-M method or constants (the stability of units comes from them).
    time_limit : float or None, default 30.0
        Seconds per MILP (then its proven bound is used).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the effective box that replaces ``R^n`` (see
        `tropnet.hoffman.bounded_domain`).
    """
    if method not in METHODS:
        raise TropnetError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    hidden = _hidden_layers(net)
    name = check_solver(solver)
    start = time.perf_counter()
    dom, notes = bounded_domain(net, domain, exact=exact)
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=name)
    ctx = _Context(net, dom, bigm, name, time_limit, method)
    n0 = net.input_dim
    bound = theorem2_bound(n0, len(hidden), ctx.A, ctx.I)
    info = dict(notes)
    info["bigm"] = bigm.to_dict()
    return EmpiricalBound(bound, n0, tuple(net.layers[i].units for i in hidden),
                          ctx.tables(ctx.a_table), ctx.tables(ctx.i_table), ctx.stable,
                          method, name, ctx.solves, time.perf_counter() - start, info)


def theorem2_bound(n0: int, layers: int, A, I) -> int:
    """``R(1, n0, n0)`` of Theorem 2 for functions ``A(l, k)``, ``I(l, k)`` (``l`` from 1):
    the nested sums, memoised on ``(l, k, d)``; exact integers.

    With ``A(l, k) = I(l, k) = n_l`` it is Theorem 1 of Serra et al. 2018:

    Parameters
    ----------
    n0 : int
        The input dimension.
    layers : int
        The number of hidden layers.
    A, I : callable
        ``A(l, k)`` and ``I(l, k)``.

    Examples
    --------
    >>> theorem2_bound(2, 2, lambda l, k: 3, lambda l, k: 3)   # serra2018_upper(2, [3, 3])
    40
    """

    @cache
    def R(l: int, k: int, d: int) -> int:
        a = int(A(l, k))
        i = min(int(I(l, k)), a)
        top = min(i, d)
        if l == layers:
            return sum(math.comb(i, j) for j in range(top + 1))
        return sum(math.comb(i, j) * R(l + 1, a - j, min(a - j, d)) for j in range(top + 1))

    if layers == 0:
        return 1
    return R(1, n0, n0)


def _hidden_layers(net: Network) -> list[int]:
    """Indices of the hidden ReLU layers; the network must be ReLU layers followed by
    identity output layers (the setting of Theorem 2)."""
    hidden = [i for i, layer in enumerate(net.layers) if layer.act.patterned]
    if not all(inactive_is_zero(net.layers[i].act) for i in hidden):
        raise UnsupportedModelError("the empirical upper bound (Serra & Ramalingam 2020, "
                                    "Theorem 2) applies to ReLU networks only")
    if hidden and hidden != list(range(len(hidden))):
        raise UnsupportedModelError("the empirical upper bound needs consecutive ReLU layers "
                                    "followed by identity layers")
    return hidden


class _Context:
    """Computes and caches ``A_l(k)``, ``I_l(k)`` for the recursion."""

    def __init__(self, net: Network, dom: Domain, bigm: BigM, solver: str,
                 time_limit: float | None, method: str) -> None:
        self.net, self.dom, self.bigm, self.solver = net, dom, bigm, solver
        self.time_limit, self.method = time_limit, method
        self.solves = 0
        self.a_table: dict[int, dict[int, int]] = {}
        self.i_table: dict[int, dict[int, int]] = {}
        self.states = [BigM.unit_states(bigm.lo[i], bigm.hi[i])
                       for i in range(len(_hidden_layers(net)))]
        self.stable = tuple((int(np.sum(s > 0)), int(np.sum(s < 0)), int(np.sum(s == 0)))
                            for s in self.states)
        self._milp_cache: dict[tuple, tuple[int, int]] = {}

    @staticmethod
    def tables(table: dict[int, dict[int, int]]) -> dict[int, dict[int, int]]:
        return {l: dict(sorted(t.items())) for l, t in sorted(table.items())}

    # -- the two functions of the recursion (layers are 1-based) ---------------------
    def A(self, l: int, k: int) -> int:
        return self._values(l, k)[0]

    def I(self, l: int, k: int) -> int:  # noqa: E743 - the paper's name
        return self._values(l, k)[1]

    def _values(self, l: int, k: int) -> tuple[int, int]:
        if k in self.a_table.get(l, {}):
            return self.a_table[l][k], self.i_table[l][k]
        idx = l - 1
        st = self.states[idx]
        n_plus, unstable = int(np.sum(st > 0)), int(np.sum(st == 0))
        if l == 1:  # the only region is the domain
            a, i = n_plus + unstable, unstable
        else:
            prev_width = self.net.layers[idx - 1].units
            # monotone in k: the value at k is at most the value at any larger k
            a, i = self._propositions(idx, min(k, prev_width))
            if self.method == "milp" and unstable:
                ma, mi = self._milp(idx, min(k, prev_width))
                a, i = min(a, ma), min(i, mi)
        i = min(i, a)
        self.a_table.setdefault(l, {})[k] = a
        self.i_table.setdefault(l, {})[k] = i
        return a, i

    # -- Propositions 3 and 4 -----------------------------------------------------------
    def _propositions(self, idx: int, k: int) -> tuple[int, int]:
        layer = self.net.layers[idx]
        W, b = layer.weight, layer.bias
        st = self.states[idx]
        unstable = [i for i in range(layer.units) if st[i] == 0]
        plus = [i for i in unstable if b[i] > 0]   # active leaning: (9)
        minus = [i for i in unstable if b[i] <= 0]  # inactive leaning: (8)
        n_prev = W.shape[1]
        # I(l-1, j): units of layer l that unit j of layer l-1 can make unstable
        cover_all = [[i for i in plus if W[i, j] < 0] + [i for i in minus if W[i, j] > 0]
                     for j in range(n_prev)]
        cover_minus = [[i for i in minus if W[i, j] > 0] for j in range(n_prev)]
        n_plus = int(np.sum(st > 0))
        i_val = self._max_cover(cover_all, k)
        a_val = n_plus + len(plus) + self._max_cover(cover_minus, k)
        return a_val, i_val

    def _max_cover(self, sets: list[list[int]], k: int) -> int:
        """``max |union of k of the sets|`` (exact: a small MILP; its proven bound, rounded
        up, when it stops early)."""
        universe = sorted({i for s in sets for i in s})
        if not universe or k <= 0:
            return 0
        if k >= len(sets):
            return len(universe)
        trivial = sum(sorted((len(s) for s in sets), reverse=True)[:k])
        if trivial <= 1 or len(universe) <= 1:
            return min(trivial, len(universe))
        pick = cp.Variable(len(sets), boolean=True)
        cov = cp.Variable(len(universe), boolean=True)
        pos = {i: n for n, i in enumerate(universe)}
        cons = [cp.sum(pick) <= k]
        for i in universe:
            members = [j for j, s in enumerate(sets) if i in s]
            cons.append(cov[pos[i]] <= cp.sum(pick[members]))
        res = solve(cp.Problem(cp.Maximize(cp.sum(cov)), cons), self.solver,
                    time_limit=self.time_limit)
        self.solves += 1
        return min(self._ceil(res), trivial, len(universe))

    # -- MILP maxima -----------------------------------------------------------------
    def _milp(self, idx: int, k: int) -> tuple[int, int]:
        """``(A, I)`` at layer ``idx`` (0-based) for regions with at most ``k`` active units
        in layer ``idx - 1``, as maxima over the MILP with one shared set of binaries for
        layers ``< idx`` and one copy of the continuous variables per witness point."""
        key = (idx, k)
        if key not in self._milp_cache:
            self._milp_cache[key] = (self._milp_max(idx, k, "active"),
                                     self._milp_max(idx, k, "unstable"))
        return self._milp_cache[key]

    def _milp_max(self, idx: int, k: int, what: str) -> int:
        net, bigm = self.net, self.bigm
        st = self.states[idx]
        unstable = [i for i in range(net.layers[idx].units) if st[i] == 0]
        n_plus = int(np.sum(st > 0))
        base = build_formulation(net, self.dom, bigm, layers=idx, margin=False)
        zs = [lm.z for lm in base.layers]
        cons = list(base.constraints)
        prev = base.layers[idx - 1]
        active_prev = sum(1 for v in prev.fixed if v == 1)
        if prev.z is not None:
            cons.append(active_prev + cp.sum(prev.z) <= k)
        elif active_prev > k:  # no region has at most k active units: any value is valid
            return n_plus if what == "active" else 0
        W, b = net.layers[idx].params(FLOAT)
        lo, hi = bigm.lo[idx], bigm.hi[idx]
        u = cp.Variable(len(unstable), boolean=True)
        signs = (1,) if what == "active" else (1, -1)
        for j, i in enumerate(unstable):
            for sign in signs:
                h = _copy_prefix(net, bigm, idx, zs, cons, base)
                g = W[i] @ h + b[i]
                if sign > 0:   # u_j = 1 => g_i >= 0 at this witness
                    cons.append(g >= lo[i] * (1 - u[j]))
                else:          # u_j = 1 => g_i <= 0 at this witness
                    cons.append(g <= hi[i] * (1 - u[j]))
        res = solve(cp.Problem(cp.Maximize(cp.sum(u)), cons), self.solver,
                    time_limit=self.time_limit)
        self.solves += 1
        extra = n_plus if what == "active" else 0
        return extra + self._ceil(res, default=len(unstable))

    @staticmethod
    def _ceil(res: SolveResult, default: int | None = None) -> int:
        """A valid integer upper bound from a maximisation's result (values within the
        solver tolerance of an integer are that integer)."""
        if res.bound is not None:
            return max(0, math.ceil(res.bound - SOLVER_TOL))
        if res.status == "optimal":
            return max(0, math.ceil(res.value - SOLVER_TOL))
        if res.status == "infeasible":
            return 0
        if default is None:
            raise TropnetError(f"MILP solver {res.solver} gave no bound ({res.status})")
        return default


def _copy_prefix(net: Network, bigm: BigM, idx: int, zs: list, cons: list,
                 base: Formulation) -> cp.Expression:
    """A fresh copy of the input and continuous variables of layers ``< idx`` whose
    (relaxed) indicator variables equal the shared binaries ``zs``; returns the copy's
    output of layer ``idx - 1``."""
    x = cp.Variable(net.input_dim)
    cons += [x >= bigm.x_lo, x <= bigm.x_hi]
    if base.domain.kind == "polytope":
        A = np.array(base.domain.A, dtype=float)
        bb = np.array([float(v) for v in base.domain.b])
        cons.append(A @ x <= bb + DOMAIN_PAD * (1 + np.abs(bb)))
    h = x
    for l_idx in range(idx):
        layer = net.layers[l_idx]
        W, b = layer.params(FLOAT)
        lm, lcons = layer_model(l_idx, layer, W @ h + b, bigm.lo[l_idx], bigm.hi[l_idx],
                                relax=True)
        cons += lcons
        if lm.z is not None:
            cons.append(lm.z == zs[l_idx])
        h = lm.out
    return h

"""Big-M constants of the MILP: valid bounds on every pre-activation over the domain.

The constants of the blocks of :mod:`tropnet.milp.blocks` must satisfy ``H_i >= max g_i``
and ``Hbar_i >= max -g_i`` over the domain (Serra et al. 2018, Appendix H); the smaller they
are, the tighter the formulation (Serra & Ramalingam 2020, Lemma 1). Three methods, each
refining the previous one layer by layer:

* ``"interval"``: interval arithmetic from the domain's bounding box;
* ``"lp"``: for each unit, maximise ``g_i`` and ``-g_i`` over the LP relaxation of the
  earlier layers' formulation (built with the bounds already tightened), through
  :func:`tropnet.polyhedra.linprog`;
* ``"milp"``: the same over the MILP of the earlier layers (the tightest valid values;
  Fischetti & Jo 2018, Tjeng et al. 2019).

Every bound is *valid*: interval bounds are padded by a rigorous bound on float64
rounding (``(n + 3) 2^-52`` times the magnitude of the sum), LP and MILP values by the
relative solver tolerance :data:`~tropnet.arithmetic.SOLVER_TOL`, and MILP values use the
solver's proven dual bound when it reports one (else the optimum plus the relative
:data:`~tropnet.arithmetic.MIP_GAP`). A ReLU/leaky unit whose upper bound is ``<= 0`` is
stably inactive, one whose lower bound is ``> 0`` stably active (Serra & Ramalingam 2020,
Section 3): such units get no binary. A maxout piece that can never be the first maximal
piece gets no binary. The bounds themselves are a :class:`~tropnet.milp.bigm.BigM` value.
"""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np

from ..arithmetic import EXACT, FLOAT, MIP_GAP, SOLVER_TOL, TINY, gamma
from ..domain import Domain
from ..errors import TropnetError
from ..network import Layer, Network
from ..polyhedra import linprog
from ..progress import tracked
from .bigm import BigM, round_down, round_up
from .blocks import encode_network
from .solvers import solve

__all__ = ["METHODS", "affine_interval", "interval_bounds", "polyhedron_box", "safe_max",
           "tighten_bigm"]

METHODS = ("interval", "lp", "milp")

#: machine epsilon of float64 (``2^-52``): the relative rounding error of one operation is
#: at most half of it
_EPS = float(np.finfo(np.float64).eps)


def tighten_bigm(net: Network, domain: Domain, method: str = "lp", *, solver: str = "HIGHS",
                 time_limit: float | None = None, layers: int | None = None) -> BigM:
    """Big-M constants of ``net`` on a bounded ``domain`` by ``method`` (see the module
    docstring). ``time_limit`` applies to each MILP of ``method="milp"``; ``layers``
    limits the computation to the first layers.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain
        A bounded domain.
    method : str, default "lp"
        How the bounds are tightened: ``"interval"``, ``"lp"`` or ``"milp"``.
    solver : str, default "HIGHS"
        The MIP solver (``"milp"``).
    time_limit : float or None, default None
        Seconds per MILP of ``"milp"``.
    layers : int or None, default None
        Only the first ``layers`` layers; ``None``: all.
    """
    if method not in METHODS:
        raise TropnetError(f"unknown big-M method {method!r} (expected one of "
                           f"{', '.join(METHODS)})")
    start = time.perf_counter()
    x_lo, x_hi = _input_box(domain)
    count = len(net.layers) if layers is None else layers
    los: list[np.ndarray] = []
    his: list[np.ndarray] = []
    ivl_width = 0.0
    width = 0.0
    counters = {"lp_solves": 0, "milp_solves": 0}
    in_lo, in_hi = x_lo, x_hi
    ivl_states = {"stable": 0}
    for idx, layer in enumerate(net.layers[:count]):
        g_lo, g_hi = interval_bounds(layer, in_lo, in_hi)
        needs = idx < len(net.layers) - 1 or layer.act.patterned
        if layer.act.patterned:
            ivl_width += float(np.sum(g_hi - g_lo))
            ivl_states["stable"] += _stable_count(layer, g_lo, g_hi)
        if method != "interval" and needs and (idx > 0 or domain.kind == "polytope"):
            partial = BigM(tuple(los), tuple(his), x_lo, x_hi, method)
            t_lo, t_hi = _optimise_layer(net, domain, partial, idx, method, solver,
                                         time_limit, counters, g_lo, g_hi)
            g_lo, g_hi = np.maximum(g_lo, t_lo), np.minimum(g_hi, t_hi)
            g_hi = np.maximum(g_hi, g_lo)  # numerical safety: keep lo <= hi
        if layer.act.patterned:
            width += float(np.sum(g_hi - g_lo))
        los.append(g_lo)
        his.append(g_hi)
        in_lo, in_hi = layer.act.interval(g_lo, g_hi)
    report = _report(net, los, his, method, ivl_width, width, ivl_states["stable"],
                     counters, time.perf_counter() - start)
    return BigM(tuple(los), tuple(his), x_lo, x_hi, method, report)


def interval_bounds(layer: Layer, in_lo: np.ndarray, in_hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Valid bounds of ``W h + b`` for ``in_lo <= h <= in_hi`` (interval arithmetic in
    float64, padded by a rigorous bound on the rounding error, which also covers the
    rounding of rational weights to float).

    Parameters
    ----------
    layer : Layer
        The layer.
    in_lo, in_hi : ndarray
        Bounds of its input ``h``.
    """
    W, b = layer.params(FLOAT)
    return affine_interval(W, b, in_lo, in_hi)


def affine_interval(W: np.ndarray, b: np.ndarray, in_lo: np.ndarray, in_hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Valid bounds of ``W h + b`` (float64 ``W``, ``b``) for ``in_lo <= h <= in_hi``,
    padded by ``(n + 3) 2^-52`` times the magnitude of the sums.

    Parameters
    ----------
    W : ndarray
        The float64 weight.
    b : ndarray
        The float64 bias.
    in_lo, in_hi : ndarray
        Bounds of ``h``.
    """
    Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
    lo = Wp @ in_lo + Wm @ in_hi + b
    hi = Wp @ in_hi + Wm @ in_lo + b
    mag = np.abs(W) @ np.maximum(np.abs(in_lo), np.abs(in_hi)) + np.abs(b)
    pad = (W.shape[1] + 3) * _EPS * mag + TINY
    return lo - pad, hi + pad


def polyhedron_box(A: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A proven bounding box of ``{x : A x <= b}`` intersected with ``[lo, hi]`` (float64
    data, taken as exact): every point of the set lies in the box returned.

    Each side is a float LP whose optimum is not trusted: its dual multipliers give a
    proven bound (:func:`safe_max`); ``[lo, hi]`` where an LP fails.

    Parameters
    ----------
    A : ndarray
        The rows.
    b : ndarray
        The right-hand sides.
    lo, hi : ndarray
        The box to intersect with.
    """
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    n = A.shape[1]
    out_lo, out_hi = np.array(lo, float), np.array(hi, float)
    for k in range(n):
        for sense in (1, -1):
            c = np.zeros(n)
            c[k] = sense
            res = linprog(c, A, b, FLOAT, maximize=True)
            if not res.optimal or res.duals is None:
                continue
            v = safe_max(c, A, b, res.duals, out_lo, out_hi)
            if sense > 0:
                out_hi[k] = min(out_hi[k], v)
            else:
                out_lo[k] = max(out_lo[k], -v)
    return out_lo, np.maximum(out_hi, out_lo)


def safe_max(c: np.ndarray, A: np.ndarray, b: np.ndarray, y: np.ndarray, lo: np.ndarray,
             hi: np.ndarray) -> float:
    """A proven upper bound of ``c . x`` over ``{A x <= b, lo <= x <= hi}`` (float64 data,
    taken as exact) from any multipliers ``y`` (Neumaier & Shcherbina 2004).

    For ``y >= 0`` and ``r = c - A^T y``, every feasible ``x`` has ``c . x = y . (A x) +
    r . x <= y . b + sum_j max(r_j lo_j, r_j hi_j)``; the float evaluation of the right-hand
    side is padded by a rigorous bound on its round-off (Higham, Thm 3.1).

    Parameters
    ----------
    c : ndarray
        The objective.
    A : ndarray
        The rows.
    b : ndarray
        The right-hand sides.
    y : ndarray
        Multipliers of the rows (negative entries count as 0).
    lo, hi : ndarray
        The box bounding ``x``.
    """
    y = np.maximum(np.asarray(y, float), 0.0)
    m, n = A.shape
    X = np.maximum(np.abs(lo), np.abs(hi))
    r = c - A.T @ y
    rho = gamma(m + 1) * (np.abs(c) + np.abs(A).T @ y)  # |r - exact r| <= rho
    s1 = float(y @ b)
    s2 = float(np.sum(np.maximum(r * lo, r * hi)))
    s3 = float(rho @ X)
    mag = float(y @ np.abs(b)) + float(np.abs(r) @ X) + s3 + abs(s1) + abs(s2)
    return s1 + s2 + s3 + 2.0 * gamma(m + n + 4) * mag + TINY


def _input_box(domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """The domain's bounding box, rounded outward to float64 (exact LPs for a polytope)."""
    if domain.kind == "box":
        lo, hi = domain.lo, domain.hi
    elif domain.kind == "polytope":
        A = EXACT.asarray(domain.A)
        b = list(domain.b)
        n = domain.n
        lo, hi = [], []
        for k in range(n):
            c = [0] * n
            c[k] = 1
            top = linprog(c, A, b, EXACT, maximize=True)
            bot = linprog(c, A, b, EXACT)
            if not (top.optimal and bot.optimal):
                raise TropnetError("the MILP backend needs a bounded domain")
            lo.append(bot.value)
            hi.append(top.value)
    else:
        raise TropnetError("the MILP backend needs a bounded domain (box or polytope)")
    return (np.array([round_down(v) for v in lo]), np.array([round_up(v) for v in hi]))


def _optimise_layer(net: Network, domain: Domain, partial: BigM, idx: int, method: str,
                    solver: str, time_limit: float | None, counters: dict,
                    g_lo: np.ndarray, g_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of layer ``idx``'s pre-activations by optimising over the LP relaxation
    (``"lp"``) or the MILP (``"milp"``) of layers ``0..idx-1``."""
    relax = method == "lp"
    x, models, prefix = encode_network(net, domain, partial, layers=idx, relax=relax)
    layer = net.layers[idx]
    W, b = layer.params(FLOAT)
    h = models[-1].out if models else x
    t = cp.Variable(layer.units, name="t")
    cons = [*prefix, t == W @ h]
    mag = np.abs(g_lo) + np.abs(g_hi)
    lo, hi = g_lo.copy(), g_hi.copy()
    if relax:
        lp = _standard_form(cp.Problem(cp.Minimize(0), cons), t)
        for i in tracked(range(layer.units), f"big-M bounds by LP, layer {idx + 1}", "units",
                         1):
            for sense in (1, -1):
                res = lp(i, sense)
                counters["lp_solves"] += 1
                if res is None:
                    continue
                _narrow(lo, hi, i, sense, sense * res + b[i], mag[i])
        return lo, hi
    c = cp.Parameter(layer.units)
    prob = cp.Problem(cp.Maximize(c @ t), cons)
    for i in tracked(range(layer.units), f"big-M bounds by MILP, layer {idx + 1}", "units",
                     1):
        for sense in (1, -1):
            vec = np.zeros(layer.units)
            vec[i] = sense
            c.value = vec
            res = solve(prob, solver, time_limit=time_limit)
            counters["milp_solves"] += 1
            if res.bound is not None:
                best = res.bound
            elif res.status == "optimal":
                best = res.value + MIP_GAP * max(1.0, abs(res.value))  # unknown gap
            else:
                continue
            _narrow(lo, hi, i, sense, sense * best + b[i], mag[i])
    return lo, hi


def _narrow(lo: np.ndarray, hi: np.ndarray, i: int, sense: int, val: float,
            mag: float) -> None:
    """Lower ``hi[i]`` (``sense > 0``) or raise ``lo[i]`` to a solver's optimum ``val``,
    padded outward by the solver tolerance relative to the magnitudes involved."""
    pad = SOLVER_TOL * max(1.0, abs(val), mag)
    if sense > 0:
        hi[i] = min(hi[i], val + pad)
    else:
        lo[i] = max(lo[i], val - pad)


def _standard_form(problem: cp.Problem, t: cp.Variable):
    """``solve(i, sense)``: the optimum of ``max sense * t_i`` over the problem's feasible
    set, from its cvxpy standard form, through :func:`tropnet.polyhedra.linprog`."""
    data, _, _ = problem.get_problem_data(cp.HIGHS)
    A = data["A"].toarray()
    bvec = np.asarray(data["b"], float)
    n_eq = int(data["dims"].zero)  # conic form: A x + s = b, s in {0}^n_eq x R_+^rest
    ncol = A.shape[1]
    A_eq, b_eq = A[:n_eq], bvec[:n_eq]
    A_ub, b_ub = A[n_eq:], bvec[n_eq:]
    rows, rhs = [A_ub], [b_ub]
    for key, sign in (("lower_bounds", -1.0), ("upper_bounds", 1.0)):
        bounds = data.get(key)
        if bounds is None:
            continue
        bounds = np.asarray(bounds, float)
        finite = np.flatnonzero(np.isfinite(bounds))
        if len(finite):
            E = np.zeros((len(finite), ncol))
            E[np.arange(len(finite)), finite] = sign
            rows.append(E)
            rhs.append(sign * bounds[finite])
    A_ub, b_ub = np.vstack(rows), np.concatenate(rhs)
    offset = data["param_prob"].var_id_to_col[t.id]

    def run(i: int, sense: int) -> float | None:
        c = np.zeros(ncol)
        c[offset + i] = sense
        res = linprog(c, A_ub, b_ub, FLOAT, A_eq=A_eq if n_eq else None,
                      b_eq=b_eq if n_eq else None, maximize=True)
        return float(res.value) if res.optimal else None

    return run


def _stable_count(layer: Layer, lo: np.ndarray, hi: np.ndarray) -> int:
    if not layer.act.patterned:
        return 0
    if layer.act.hyperplane:
        return int(np.sum(BigM.unit_states(lo, hi) != 0))
    return int(np.sum(BigM.maxout_candidates(lo, hi, layer.rank).sum(axis=1) == 1))


def _report(net: Network, los: list, his: list, method: str, ivl_width: float, width: float,
            ivl_stable: int, counters: dict, seconds: float) -> dict:
    active = inactive = unstable = 0
    for layer, lo, hi in zip(net.layers, los, his, strict=False):
        if layer.act.hyperplane:
            st = BigM.unit_states(lo, hi)
            active += int(np.sum(st > 0))
            inactive += int(np.sum(st < 0))
            unstable += int(np.sum(st == 0))
        elif layer.act.patterned:
            cand = BigM.maxout_candidates(lo, hi, layer.rank).sum(axis=1)
            active += int(np.sum(cand == 1))
            unstable += int(np.sum(cand > 1))
    out = {
        "method": method,
        "interval_width": round(ivl_width, 6),
        "width": round(width, 6),
        "tightened": round(1.0 - width / ivl_width, 6) if ivl_width > 0 else 0.0,
        "stable_active": active,
        "stable_inactive": inactive,
        "unstable": unstable,
        "stable_by_interval": ivl_stable,
        "seconds": round(seconds, 6),
    }
    out.update({k: v for k, v in counters.items() if v})
    return out

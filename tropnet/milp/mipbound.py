"""MIPBound: probabilistic lower bounds on the number of activation regions (Serra &
Ramalingam 2020, Algorithm 1, after MBound of Gomes, Sabharwal & Selman 2006).

Let ``S`` be the set of activation patterns with a full-dimensional region on the domain
(the binary solutions of formulation P with ``f > 0``). A random parity (XOR) constraint
of size ``k`` -- ``sum_{j in U} z_j = parity (mod 2)`` over ``k`` random binaries ``U`` and a
random parity bit -- keeps each fixed solution with probability exactly 1/2, so after
``r`` independent constraints the expected number of surviving solutions is
``|S| / 2^r``. One *run* adds such constraints until the MILP becomes infeasible: while it
has a solution ``s``, constraints are generated until one removes ``s``. With ``f[j]`` the
number of runs (out of ``i``) still feasible after ``j`` constraints, and
``delta = f[j+1] / i - 1/2 > 0``, Chernoff's bound gives

    P_j = 1 - (e^{2 delta} / (1 + 2 delta)^{1 + 2 delta})^{i / 2},

the probability with which ``|S| > 2^j`` (if ``|S| <= 2^j``, each run is feasible after
``j + 1`` constraints with probability at most 1/2). The reported ``lower_bound`` is
``2^j`` for the largest ``j`` with ``P_j >= confidence`` (0.95 by default; reported as
``probabilistic_bound``), or the number of distinct regions actually met during the runs
(``certain_lower_bound``, probability 1) when that is larger.

Three encodings of a parity constraint in the MILP (``encoding``; :mod:`tropnet.milp.parity`):

* ``"integer"``: ``sum_{j in U} z_j - 2 t = parity`` with ``t`` integer in ``[0, k/2]``;
* ``"chain"``: a chain of XORs ``u_m = u_{m-1} xor z_{j_m}`` with four linear
  inequalities each (``u`` continuous: binary inputs force binary values), ``u_k = parity``;
* ``"cuts"``: the ``2^{k-1}`` canonical cuts of Balas & Jeroslow that exclude each
  assignment of ``U`` with the wrong parity (no auxiliary variables).

Every solution the MILP proposes is confirmed exactly (as in
:mod:`tropnet.milp.count`); a proposal that is not a full-dimensional region is excluded by
a no-good cut and the solve is repeated, so the runs sample ``S`` itself. A solve that hits
``timeout`` without a solution counts as infeasible, which can only lower the bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..errors import TooLargeError, TropnetError
from ..hoffman import bounded_domain
from ..network import Network
from ..progress import step
from .bigm import BigM
from .blocks import RowBlock
from .confirm import Confirmer
from .count import count_activation_regions
from .formulation import MARGIN_TARGET, Model, build_formulation
from .parity import PARITY
from .solvers import check_solver
from .tighten import tighten_bigm

__all__ = ["ENCODINGS", "MIPBoundResult", "mipbound", "parity_probabilities"]

#: the parity encodings (see :mod:`tropnet.milp.parity`)
ENCODINGS = tuple(PARITY)


@dataclass(frozen=True)
class MIPBoundResult:
    """The outcome of :func:`mipbound` (``to_dict()`` is the CLI's JSON).

    Attributes
    ----------
    lower_bound : int
        The bound reported: the larger of the two below.
    probability : float
        The probability of ``lower_bound`` (1.0 when certain).
    exact : int or None
        The exact count, when it was computed.
    certain_lower_bound : int
        The number of patterns sampled and confirmed exactly.
    probabilistic_bound : int
        The largest ``2^j`` with ``P_j >= confidence`` (0 if none).
    probabilities : dict of int to float
        ``{j: P_j}`` (`parity_probabilities`).
    feasible_runs : tuple of int
        How many runs were feasible after ``j`` parity constraints.
    repeats : int
        The number of runs.
    k : int
        The parity constraints' size used.
    encoding : str
        The parity encoding.
    confidence : float
        The confidence asked for.
    seed : int or None
        The seed.
    solver : str
        The MIP solver.
    binaries : int
        The number of binaries of the formulation.
    solves : int
        The number of MILP solves.
    timeouts : int
        The number of solves that timed out.
    seconds : float
        The time taken.
    info : dict, default {}
        Further facts of the run.
    """

    lower_bound: int
    probability: float
    exact: int | None
    certain_lower_bound: int
    probabilistic_bound: int
    probabilities: dict[int, float]
    feasible_runs: tuple[int, ...]
    repeats: int
    k: int
    encoding: str
    confidence: float
    seed: int | None
    solver: str
    binaries: int
    solves: int
    timeouts: int
    seconds: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet mipbound`` (every field; ``probabilities`` keyed by
        ``2^j``)."""
        return {
            "lower_bound": self.lower_bound,
            "probability": self.probability,
            "exact": self.exact,
            "certain_lower_bound": self.certain_lower_bound,
            "probabilistic_bound": self.probabilistic_bound,
            "probabilities": {str(2 ** j): p for j, p in self.probabilities.items()},
            "feasible_runs": list(self.feasible_runs),
            "repeats": self.repeats,
            "k": self.k,
            "encoding": self.encoding,
            "confidence": self.confidence,
            "seed": self.seed,
            "solver": self.solver,
            "binaries": self.binaries,
            "solves": self.solves,
            "timeouts": self.timeouts,
            "mipbound_seconds": round(self.seconds, 6),
            **self.info,
        }


def parity_probabilities(feasible: list[int] | tuple[int, ...], repeats: int
                         ) -> dict[int, float]:
    """``{j: P_j}`` of Algorithm 1 (lines 20-27): ``P_j`` is the probability with which
    there are more than ``2^j`` solutions, given ``feasible[j]`` = number of the
    ``repeats`` runs that were feasible after ``j`` parity constraints.

    Parameters
    ----------
    feasible : sequence of int
        ``feasible[j]``: the runs feasible after ``j`` parity constraints.
    repeats : int
        The number of runs.

    Examples
    --------
    >>> round(parity_probabilities([20, 20, 20, 3], 20)[1], 4)   # 1 - (e/4)^10
    0.979
    """
    out: dict[int, float] = {}
    i = repeats
    for j in range(len(feasible) - 1):
        delta = feasible[j + 1] / i - 0.5
        if delta <= 0:
            break
        base = math.exp(2 * delta) / (1 + 2 * delta) ** (1 + 2 * delta)
        out[j] = 1.0 - base ** (i / 2)
    return out


def mipbound(net: Network, domain: Domain | str | None = None, *, k: int = 3,
             repeats: int = 30, seed: int | None = None, timeout: float | None = None,
             solver: str = "HIGHS", encoding: str = "integer", confidence: float = 0.95,
             exact_limit: int = 4096, exact_time: float | None = 60.0,
             bigm: BigM | str = "lp", valid_inequalities: bool = False,
             exact: bool | Arithmetic | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> MIPBoundResult:
    """A probabilistic lower bound on the number of activation regions (Algorithm 1 of
    Serra & Ramalingam 2020; see the module docstring).

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A bounded domain; ``None`` is ``R^n`` (the effective box).
    k : int, default 3
        Size of each parity constraint (capped at the number of binaries).
    repeats : int, default 30
        The number of runs ``i``.
    seed : int or None, default None
        Seed of the random parity constraints.
    timeout : float or None, default None
        Seconds per MILP solve.
    solver : str, default "HIGHS"
        A cvxpy MIP solver.
    encoding : {"integer", "chain", "cuts"}, default "integer"
        The parity encoding.
    confidence : float, default 0.95
        The reported bound is the largest ``2^j`` with ``P_j >= confidence``.
    exact_limit : int, default 4096
        Also count the regions exactly (MILP) when there are at most ``exact_limit`` of
        them and the count takes at most ``exact_time`` seconds; ``exact`` is ``None``
        otherwise (``exact_limit=0`` skips it).
    exact_time : float or None, default 60.0
        The time allowed to that exact count.
    bigm : BigM or str, default "lp"
        Big-M method (or constants) of the formulation.
    valid_inequalities : bool, default False
        Add inequalities (8)-(9) to the formulation.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the confirmations of sampled patterns.
    progress : callable or None, default None
        ``progress(runs, repeats, what)`` after each run, ``what`` counting the MILP
        solves so far.
    """
    if encoding not in ENCODINGS:
        raise TropnetError(f"unknown parity encoding {encoding!r} (expected one of "
                           f"{', '.join(ENCODINGS)})")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise TropnetError(f"parity size k must be a positive integer, got {k!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise TropnetError(f"repeats must be a positive integer, got {repeats!r}")
    if not 0 < confidence < 1:
        raise TropnetError(f"confidence must lie in (0, 1), got {confidence}")
    name = check_solver(solver)
    start = time.perf_counter()
    original = parse_domain(domain, net.input_dim)
    dom, notes = bounded_domain(net, original, exact=exact)
    arith = resolve(exact, net, dom)
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=name)
    rng = np.random.default_rng(seed)
    sampler = _Sampler(net, dom, bigm, arith, name, timeout, encoding, k, valid_inequalities)
    nz = sampler.nz
    kk = min(k, nz) if nz else 0
    feasible = [0] * (nz + 2)
    for i in range(repeats):
        r = sampler.run(rng, kk) if nz else 0
        for j in range(min(r, len(feasible))):
            feasible[j] += 1
        if progress is not None:
            progress(i + 1, repeats, f"{sampler.solves:,} MILP solves")
    if nz == 0:  # one pattern: every run is feasible with no constraint
        feasible[0] = repeats
    probs = parity_probabilities(feasible, repeats)
    best = [j for j, p in probs.items() if p >= confidence]
    certain = len(sampler.confirmed)
    probabilistic = 2 ** max(best) if best else 0
    if probabilistic > certain:
        lower, prob = probabilistic, probs[max(best)]
    else:
        lower, prob = certain, 1.0
    count = _exact_count(net, dom, bigm, arith, name, exact_limit, exact_time)
    seconds = time.perf_counter() - start
    info = dict(notes)
    info["bigm"] = bigm.to_dict()
    last = max((j for j, v in enumerate(feasible) if v), default=0)
    return MIPBoundResult(lower, prob, count, certain, probabilistic, probs,
                          tuple(feasible[:last + 2]),
                          repeats, kk, encoding, confidence, seed, name, nz, sampler.solves,
                          sampler.timeouts, seconds, info)


def _exact_count(net: Network, dom: Domain, bigm: BigM, arith: Arithmetic, solver: str,
                 limit: int, seconds: float | None) -> int | None:
    if limit <= 0:
        return None
    try:
        return count_activation_regions(net, dom, solver, arith, bigm=bigm, max_regions=limit,
                                        time_limit=seconds)
    except TooLargeError:
        return None


class _Sampler:
    """Formulation P of the whole network with slots for parity constraints, no-good cuts
    for rejected (lower-dimensional) patterns, and exact confirmation of solutions."""

    def __init__(self, net: Network, dom: Domain, bigm: BigM, arith: Arithmetic, solver: str,
                 timeout: float | None, encoding: str, k: int,
                 valid_inequalities: bool = False) -> None:
        self.form = build_formulation(net, dom, bigm, margin=True,
                                      valid_inequalities=valid_inequalities)
        self.net, self.arith, self.solver, self.timeout = net, arith, solver, timeout
        self.encoding = encoding
        self.nz = self.form.n_binaries
        self.tau = MARGIN_TARGET * self.form.f_cap
        self.confirm = Confirmer(net, dom, arith)
        self.confirmed: set[tuple] = set()
        self.rejected: set[tuple] = set()
        self.solves = 0
        self.timeouts = 0
        if self.nz:
            self.exclude = RowBlock(self.form.z, 8)
            self.parity = PARITY[encoding](self.form.z, max(1, min(k, self.nz)), 16)
            self.model = Model(self.form.constraints, cp.Maximize(self.form.f),
                               [self.exclude, self.parity])

    def run(self, rng: np.random.Generator, k: int) -> int:
        """One run of Algorithm 1: the number ``r`` of parity constraints that made the
        formulation infeasible."""
        self.parity.clear()
        r = 0
        while True:
            s = self._solution()
            if s is None:
                return r
            for subset, bit in self.parity.items:
                if round(s[subset].sum()) % 2 != bit:
                    raise TropnetError(f"MILP solver {self.solver} returned a solution that "
                                       f"violates a parity constraint (numerical trouble)")
            while True:
                subset = np.sort(rng.choice(self.nz, size=k, replace=False))
                bit = int(rng.integers(2))
                self.parity.add(subset, bit)
                r += 1
                if round(s[subset].sum()) % 2 != bit:
                    break

    def _solution(self) -> np.ndarray | None:
        """A confirmed full-dimensional pattern satisfying the current constraints, as 0/1
        values of the binaries, or ``None`` (infeasible, or no solution within timeout)."""
        while True:
            res = self.model.solve(self.solver, time_limit=self.timeout, stop_at=self.tau)
            self.solves += 1
            step("MILP solves", self.solves, None, "MILPs",
                   f"{len(self.confirmed):,} patterns confirmed")
            if res.status == "no_solution":
                self.timeouts += 1
                return None
            if not res.has_solution:
                return None
            pat = self.form.pattern()
            z = self.form.indicator(pat)
            if pat in self.confirmed:
                return z
            confirmed = pat not in self.rejected \
                and self.confirm.pattern_region(pat) is not None
            if confirmed:
                self.confirmed.add(pat)
                return z
            self.rejected.add(pat)
            self.exclude.add_no_good(z)

"""Exact counting of activation regions with the MILP (Serra et al. 2018, Section 5).

An activation region is the set of inputs of the (bounded) domain sharing one activation
pattern, counted when it has a non-empty interior (the package's convention of
:meth:`tropnet.Layer.pattern`: a ReLU/leaky unit is 1 where its pre-activation is ``> 0``,
a maxout unit records its first maximal piece). Formulation P of Serra et al. maximises the
smallest margin ``f`` of the active units; every pattern with ``f > 0`` is enumerated by
re-solving with a no-good cut on the binaries of each pattern found (HiGHS, like every
solver reachable through cvxpy, has no solution pool).

Two strategies, both ending with a MILP that proves no pattern is left:

* ``"layerwise"`` (default): decompose formulation P by fixing the binaries layer by layer.
  At a node (a full-dimensional region of the first ``l`` layers, with its polyhedron and
  affine map), a small MILP over layer ``l``'s binaries on that polyhedron enumerates the
  node's children with no-good cuts; each verified child becomes a node of the next layer.
  The first child is the pattern at the node's interior point when that point is strictly
  inside it (no solve needed); optionally (``seed_lines``) more children are read off
  random lines through the node, a heuristic that only saves solves. Each MILP is
  compiled once per layer (its data are cvxpy parameters) and re-solved for every node.
* ``"global"``: the plain formulation P of the whole network with a no-good cut on all the
  binaries per pattern (the original method; slower, as every solve carries every cut).

Exactness: no pattern is counted that is not a region, and none is missed. The MILP is
solved in floating point; the argument below holds in both arithmetics (float mode counts
the regions of the float weights as given, i.e. of their exact binary rationals).

1. *Every count is confirmed exactly* (:mod:`tropnet.milp.confirm`). A proposed pattern
   counts only when a point robustly inside its region is certified in exact arithmetic
   (the float LP's interior point re-checked with Fractions), or, failing that, when an
   exact LP (cdd, gmp) finds the region's interior. Rejected proposals get a no-good cut
   like accepted ones, so nothing is proposed or counted twice. Every reported region's
   interior point lies robustly in its own pattern's region, checked exactly.
2. *Every uncut region keeps the node MILP feasible, in exact arithmetic on the MILP's
   data.* Take a child region ``R`` of a node, ``x*`` in it, and the binaries of ``R``'s
   pattern. The node's float rows and pre-activation map differ from the exact ones by at
   most a rigorous bound on their round-off over the input box
   (:func:`~tropnet.milp.level.data_errors`: ``gamma_k`` per dot product, Higham Thm
   3.1). The node MILP relaxes each row by that bound, and the constraints that tie a
   binary to a sign or a maximum by the bound of the pre-activation (the ``slack`` of
   :func:`~tropnet.milp.blocks.layer_model`). So ``x*`` satisfies them: a ReLU/leaky
   unit with ``g(x*) >= 0`` (or ``<= 0``) has ``g^(x*) >= -e`` (``<= e``), and a maxout
   unit's first maximal piece is maximal in the float data up to ``2 e``.
3. *The big-M constants and fixings are proven.* The unit states (stable units get no
   binary) come from interval bounds over the domain, rounded outward
   (:func:`~tropnet.milp.tighten.tighten_bigm` with ``"interval"``). At a node, the bounds
   come from interval arithmetic (padded for round-off) over a bounding box of the
   node's relaxed polyhedron. That box is proven: the dual multipliers of each float LP
   give a rigorous bound (:func:`~tropnet.milp.tighten.safe_max`, Neumaier & Shcherbina
   2004). A unit is fixed by a bound only when the bound proves its sign. A unit that
   looks constant in float (a zero row) is fixed only after its exact row is checked.
4. *A node is finished only when its MILP is infeasible.* Nothing is decided by the sign
   of the float margin ``f`` (it is free below), so thin regions (even slivers of width
   ``1e-16`` that rounding of 0.1-grid weights creates) are proposed and confirmed. The
   margin only orders the search: a solve stops at the first solution with ``f >= tau``,
   ``tau = MARGIN_TARGET F`` (``F`` the largest possible margin; see
   :data:`~tropnet.milp.formulation.MARGIN_TARGET`), so genuine regions come first and
   degenerate patterns (closed-compatible but lower-dimensional, with ``f ~ 0``) last.
   A node part has finitely many patterns (at most ``2^chunk``), so the enumeration ends
   without a budget. ``degenerate_budget`` can stop a node early; the result then says so
   in its warnings.

What is *not* proven is the solver's own claim of infeasibility: HiGHS computes in
floating point and gives no certificate. By 2 and 3, a wrong claim would mean declaring
infeasible a problem whose data admit an exactly feasible point. Two cheap checks catch
such a failure, and each raises :class:`SolverError`:

* a node without a child;
* a region the count missed that holds one of ``audit`` random points of the domain
  (default 64). Each point's exact robust pattern is looked up among the regions found.

A missed region then goes unnoticed only if the solver failed at its node and the region
is too small for the sampled points to hit it.

The global strategy solves formulation P on the network's own numbers. These are exact
for binary-float weights; rational weights and slopes that are not binary floats are
rounded there. Its big-M values come from its ``bigm`` method: ``"interval"`` values are
proven. ``"lp"`` and ``"milp"`` values are solver optima padded by
:data:`~tropnet.arithmetic.SOLVER_TOL`, not proven. Its confirmations are exact, as in 1.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..engines.patterns import (
    PatternNode,
    child_node,
    finish_node,
    line_patterns,
    pattern_row_count,
    root_node,
    strict_pattern,
)
from ..engines.result import Region, RegionSet
from ..errors import SolverError, TooLargeError, TropnetError
from ..hoffman import bounded_domain
from ..limits import check_time
from ..network import Network
from .bigm import BigM
from .blocks import RowBlock
from .confirm import Confirmer
from .formulation import MARGIN_TARGET, Model, build_formulation
from .level import LevelModel, data_errors, layer_parts, row_slack
from .solvers import SolveResult, check_solver, solver_adapter
from .tighten import tighten_bigm

__all__ = ["STRATEGIES", "activation_regions", "count_activation_regions"]

STRATEGIES = ("layerwise", "global")
#: Dask tasks per worker of a parallel count (subtrees of the layerwise strategy)
TASKS_PER_WORKER = 8
#: seconds: a solve without a solution this close to the deadline ran out of time
_DEADLINE_SLACK = 1e-3


def activation_regions(net: Network, domain: Domain | str | None = None,
                       solver: str = "HIGHS", exact: bool | Arithmetic | None = None,
                       **options: Any) -> RegionSet:
    """The activation regions of ``net`` on a bounded domain, enumerated with the MILP.

    Returns a :class:`~tropnet.RegionSet` (kind ``"activation"``, method
    ``"milp"``) with one :class:`~tropnet.Region` per pattern whose region has a
    non-empty interior: its pattern, polyhedron (H-representation from the pattern), affine
    map and an interior point -- the same regions as
    :func:`tropnet.activation_regions`. In float mode these are the regions of the float
    weights as given (their exact binary rationals; see the module docstring): an interior
    point is a float vector, or exact Fractions when the region had to be decided exactly
    (a sliver too thin for a float point).

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A box or bounded polytope (`Domain` or ``"box:LO,HI"``). On ``R^n``
        (``None``/``"rn"``) the box of `tropnet.hoffman.effective_box` is used and
        reported in ``info``.
    solver : str, default "HIGHS"
        Any installed cvxpy MIP solver (``"HIGHS"``, ``"SCIP"``, ...).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the input; ``None`` is exact iff all numbers are rational.
    **options : object
        The options below.

    Other Parameters
    ----------------
    bigm : str or BigM, default "lp"
        The big-M method of the global strategy, ``"lp"``, ``"interval"``, ``"milp"``
        or a `BigM`. The layerwise strategy uses proven bounds only (interval bounds,
        tightened on every node).
    strategy : {"layerwise", "global"}, default "layerwise"
        See the module docstring.
    valid_inequalities : bool, default False
        Add inequalities (8)-(9) (``"global"`` strategy).
    time_limit : float or None, default None
        Seconds for the whole count; `TooLargeError` beyond.
    max_regions : int or None, default None
        Stop with `TooLargeError` past this many regions.
    degenerate_budget : int or None, default None
        Stop a node after this many rejected low-margin patterns, with a warning that
        regions may be missed; ``None``: never.
    audit : int, default 64
        Random points of the domain whose exact patterns must be among the regions
        found (see the module docstring).
    chunk : int, default 8
        The layerwise strategy fixes at most this many binaries per level (wide layers
        are split into parts).
    node_bounds : bool, default True
        Tighten the big-M constants at every node over the node's bounding box (``2n``
        LPs; layerwise strategy).
    seed_lines : int, default 0
        Random lines per node whose pieces give children without a solve (0: every
        child comes from the MILP).
    seed : int, default 0
        Seeds the lines and the audit.
    progress : callable or None, default None
        Called with the number of regions found so far.
    solver_options : dict or None, default None
        Extra options for the solver (through cvxpy).
    workers : int or None, default None
        Run the layerwise strategy on a LocalCluster of this many processes.
    scheduler : str, Client or None, default None
        Or on an existing Dask scheduler (address or ``Client``). The driver splits the
        pattern tree into ``TASKS_PER_WORKER`` subtrees per worker; each subtree's node
        MILPs are solved in one task (``info["tasks"]``).

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> activation_regions(net, "box:-1,1").count   # |x|: patterns (1,0) and (0,1)
    2
    """
    opts = dict(options)
    bigm = opts.pop("bigm", "lp")
    strategy = opts.pop("strategy", "layerwise")
    vi = bool(opts.pop("valid_inequalities", False))
    time_limit = opts.pop("time_limit", None)
    max_regions = opts.pop("max_regions", None)
    budget = opts.pop("degenerate_budget", None)
    audit = int(opts.pop("audit", 64))
    progress = opts.pop("progress", None)
    solver_options = opts.pop("solver_options", None)
    lines = int(opts.pop("seed_lines", 0))
    node_bounds = bool(opts.pop("node_bounds", True))
    chunk = int(opts.pop("chunk", 8))
    seed = opts.pop("seed", 0)
    workers, scheduler = opts.pop("workers", None), opts.pop("scheduler", None)
    dask = workers is not None or scheduler is not None
    if opts:
        raise TropnetError(f"unknown option(s) for MILP counting: {', '.join(sorted(opts))}")
    if strategy not in STRATEGIES:
        raise TropnetError(f"unknown strategy {strategy!r} (expected one of "
                           f"{', '.join(STRATEGIES)})")
    if dask and strategy != "layerwise":
        raise TropnetError("workers / scheduler run the layerwise strategy, not "
                           f"{strategy!r}")
    name = check_solver(solver)
    original = parse_domain(domain, net.input_dim)
    dom, notes = bounded_domain(net, original, exact=exact)
    arith = resolve(exact, net, dom)
    start = time.perf_counter()
    if strategy == "layerwise":  # proven bounds only (see the module docstring)
        bigm = tighten_bigm(net, dom, method="interval")
    elif not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=name)
    rng = np.random.default_rng(seed)
    run = _Counter(net, dom, bigm, arith, name, start, time_limit, max_regions,
                   None if budget is None else int(budget), progress, solver_options, lines,
                   rng, node_bounds, chunk)
    spread = {}
    if dask:
        spread = run.layerwise_dask(workers, scheduler)
    elif strategy == "layerwise":
        run.layerwise()
    else:
        run.global_(vi)
    run.audit(audit, rng)
    regions = tuple(sorted(run.regions, key=lambda r: r.pattern))
    info = {"solver": name, "strategy": strategy, "milp_solves": run.solves,
            "milp_seconds": round(run.milp_seconds, 6), "rejected": run.rejected,
            "exact_decisions": run.confirm.decisions, "seeded": run.seeded,
            "seed_lines": lines, "audit": audit, "margin_tolerance": run.tau_note,
            "bigm": bigm.to_dict()}
    if strategy == "global":
        info["valid_inequalities"] = vi
    info.update(spread)
    info.update(notes)
    return RegionSet("activation", regions, original if notes else dom, "milp", arith,
                     engine=name, warnings=tuple(run.warnings), info=info)


def count_activation_regions(net: Network, domain: Domain | str | None = None,
                             solver: str = "HIGHS", exact: bool | Arithmetic | None = None,
                             **options: Any) -> int:
    """The number of activation regions found by the MILP: ``activation_regions(...).count``.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A box or bounded polytope; ``None`` is ``R^n`` (see `activation_regions`).
    solver : str, default "HIGHS"
        A cvxpy MIP solver.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the input.
    **options : object
        The options of `activation_regions`.
    """
    return activation_regions(net, domain, solver, exact, **options).count


# -- the enumeration ---------------------------------------------------------------------

class _Levels:
    """The node MILPs of the layerwise strategy, one per layer part, built on first use
    (their data are cvxpy parameters, re-loaded for every node)."""

    def __init__(self, run: _Counter) -> None:
        net, self.run = run.net, run
        self.parts = [layer_parts(layer, idx, run.chunk) if layer.act.patterned else []
                      for idx, layer in enumerate(net.layers)]
        self.domain_rows = len(run.dom.polyhedron(run.arith))
        self.errors = data_errors(net, run.bigm.x_lo, run.bigm.x_hi)
        if not all(np.all(np.isfinite(e)) for e in self.errors):
            raise TropnetError("the network's values overflow float64 on the domain; "
                               "count with method='enumerate' in exact arithmetic")
        rows = self.domain_rows
        self.row_counts: dict[tuple[int, int], int] = {}
        for idx, of_layer in enumerate(self.parts):
            for pi, part in enumerate(of_layer):
                self.row_counts[idx, pi] = rows
                rows += pattern_row_count(part.sub)
        self.models: dict[tuple[int, int], LevelModel] = {}

    def model(self, idx: int, pi: int) -> LevelModel:
        if (idx, pi) not in self.models:
            run, part = self.run, self.parts[idx][pi]
            self.models[idx, pi] = LevelModel(
                part, self.row_counts[idx, pi], run.net.input_dim, run.bigm, run.node_bounds,
                self.errors[idx][part.rows],
                row_slack(self.parts, self.errors, (idx, pi), self.domain_rows))
        return self.models[idx, pi]


@dataclass(frozen=True)
class _Subtree:
    """What a Dask task returns: the regions of its subtree and its solver statistics."""

    regions: tuple[Region, ...]
    solves: int
    milp_seconds: float
    rejected: int
    seeded: int
    taus: list[float]
    warnings: list[str]
    decisions: int


@dataclass(frozen=True)
class _Spec:
    """What every task of one parallel MILP count shares (scattered once to each worker)."""

    token: str
    args: tuple  # the arguments of _Counter after ``start``, ``time_limit`` and ``progress``
    deadline: float | None  # wall-clock time (time.time()) to stop by


#: a worker's counter per run (its node MILPs are compiled once per worker)
_WORKER_RUNS: dict[str, _Counter] = {}


def _subtree_task(spec: _Spec, item: tuple[int, int, PatternNode]) -> _Subtree:
    """Explore one subtree on a Dask worker (``item``: ``(layer, part, node)``)."""
    run = _WORKER_RUNS.get(spec.token)
    if run is None:
        _WORKER_RUNS.clear()  # one run at a time per worker
        net, dom, bigm, arith, solver, *rest = spec.args
        run = _Counter(net, dom, bigm, arith, solver, time.perf_counter(), None, None,
                       rest[0], None, *rest[1:])
        _WORKER_RUNS[spec.token] = run
    if spec.deadline is not None:
        left = spec.deadline - time.time()
        run.time_limit = max(left, 0.0)
        run.deadline = time.perf_counter() + left
    # this task's results and statistics only (the node MILPs stay compiled)
    run.regions, run.warnings, run.taus = [], [], []
    run.solves = run.rejected = run.seeded = run.confirm.decisions = 0
    run.milp_seconds = 0.0
    run.explore([item])
    return _Subtree(tuple(run.regions), run.solves, run.milp_seconds, run.rejected,
                    run.seeded, run.taus, run.warnings, run.confirm.decisions)


class _Counter:
    """One run of :func:`count_activation_regions`: the regions confirmed so far, the
    solver statistics, and the two strategies."""

    def __init__(self, net: Network, dom: Domain, bigm: BigM, arith: Arithmetic, solver: str,
                 start: float, time_limit: float | None, max_regions: int | None,
                 budget: int | None, progress: Callable[[int], None] | None,
                 solver_options: dict | None = None, lines: int = 0,
                 rng: np.random.Generator | None = None, node_bounds: bool = True,
                 chunk: int = 8) -> None:
        self.net, self.dom, self.bigm, self.arith = net, dom, bigm, arith
        self.solver = solver
        self.deadline = None if time_limit is None else start + float(time_limit)
        self.time_limit = time_limit
        self.max_regions = max_regions
        self.budget = budget
        self.progress = progress
        self.solver_options = solver_options
        self.lines = lines
        self.node_bounds = node_bounds
        self.chunk = chunk
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.confirm = Confirmer(net, dom, arith)
        self.regions: list[Region] = []
        self.warnings: list[str] = []
        self.solves = 0
        self.milp_seconds = 0.0
        self.rejected = 0
        self.seeded = 0
        self.taus: list[float] = []
        self.levels: _Levels | None = None

    @property
    def tau_note(self) -> float | None:
        return float(max(self.taus)) if self.taus else None

    # -- shared helpers
    def _remaining(self) -> float | None:
        check_time("counting regions by MILP", lambda: {
            "lower_bound": len(self.regions), "lower_bound_of": "activation regions"})
        if self.deadline is None:
            return None
        left = self.deadline - time.perf_counter()
        if left <= 0:
            self._stop_time()
        return left

    def _stop_time(self) -> None:
        raise TooLargeError(f"MILP counting exceeded the time limit of {self.time_limit} s "
                            f"after confirming {len(self.regions)} regions")

    def _solve(self, model: Model, tau: float) -> SolveResult:
        opts = self.solver_options
        if opts is None:
            opts = solver_adapter(self.solver).small_problem_options
        res = model.solve(self.solver, time_limit=self._remaining(), stop_at=tau,
                          options=opts)
        self.solves += 1
        self.milp_seconds += res.seconds
        if res.status == "no_solution":
            late = self.deadline is not None \
                and time.perf_counter() >= self.deadline - _DEADLINE_SLACK
            if late:
                self._stop_time()
            raise TropnetError(f"MILP solver {self.solver} stopped without a solution or a "
                               f"proof of infeasibility; try another solver or options")
        if res.status == "unbounded":  # pragma: no cover - every variable is bounded
            raise TropnetError("internal error: the counting MILP is unbounded")
        return res

    def _leaf(self, region: Region) -> None:
        self.regions.append(region)
        if self.max_regions is not None and len(self.regions) > self.max_regions:
            raise TooLargeError(f"more than {self.max_regions} activation regions")
        if self.progress is not None:
            self.progress(len(self.regions))

    def _over_budget(self, low: int, tau: float, where: str) -> bool:
        """True (with a warning) when ``low`` rejected low-margin proposals exceed the
        budget."""
        if self.budget is None or low <= self.budget:
            return False
        self.warnings.append(f"{where}stopped after {low} rejected low-margin patterns "
                             f"(degenerate_budget); regions with margin below {tau:.3g} "
                             f"could be missed")
        return True

    def audit(self, samples: int, rng: np.random.Generator) -> None:
        """Random points of the domain's box whose exact robust patterns must be among the
        regions found (see the module docstring)."""
        found = {r.pattern for r in self.regions}
        lo, hi = self.bigm.x_lo, self.bigm.x_hi
        for _ in range(samples):
            pat = self.confirm.robust_pattern(rng.uniform(lo, hi))
            if pat is None or pat in found:
                continue
            if self.warnings:  # the degenerate budget stopped a node: said already
                self.warnings.append(f"the region of pattern {pat} was missed")
                return
            raise SolverError(
                f"MILP solver {self.solver} declared a node infeasible, but the region "
                f"of pattern {pat} was not found (a random point of the domain lies in "
                f"it); the count would be wrong: try another solver")

    # -- layerwise strategy
    def layerwise(self) -> None:
        """Enumerate every region, depth first from the domain."""
        self.explore([(0, 0, root_node(self.net, self.dom, self.arith))])

    def explore(self, stack: list[tuple[int, int, PatternNode]], split: int | None = None
                ) -> list[tuple[int, int, PatternNode]]:
        """Explore the subtrees of ``stack`` (items ``(layer, part, node)``) depth first,
        adding their regions; with ``split``, stop once the stack holds that many items and
        return them (disjoint subtrees left to explore), else return ``[]``."""
        net, arith = self.net, self.arith
        levels = self._levels()
        while stack:
            if split is not None and len(stack) >= split:
                return stack
            idx, pi, node = stack.pop()
            if idx == len(net.layers):
                self._leaf(self.confirm.region(node))
                continue
            layer = net.layers[idx]
            if not layer.act.patterned:
                stack.append((idx + 1, 0, child_node(layer, node, (), arith, node.point)))
                continue
            part = levels.parts[idx][pi]
            children = self._children(levels.model(idx, pi), node, arith)
            if not children:
                raise SolverError(f"MILP solver {self.solver} found no part of a region of "
                                  f"the first {idx} layers (pattern {node.pattern}); every "
                                  f"region has one: try another solver")
            if part.last:
                stack.extend((idx + 1, 0, finish_node(layer, ch, arith))
                             for ch in reversed(children))
            else:
                stack.extend((idx, pi + 1, ch) for ch in reversed(children))
        return []

    def layerwise_dask(self, workers: int | None, scheduler: Any) -> dict[str, int]:
        """The layerwise strategy on a Dask cluster (:func:`tropnet.engines.parallel.cluster`):
        the driver explores depth first until its stack holds :data:`TASKS_PER_WORKER` subtrees
        per worker, then each subtree is a task; the driver keeps the regions (by pattern)."""
        from ..engines.parallel import cluster  # dask: only when asked

        with cluster(workers, scheduler) as client:
            from dask.distributed import as_completed

            n = max(len(client.scheduler_info().get("workers", {})), 1)
            stack = self.explore([(0, 0, root_node(self.net, self.dom, self.arith))],
                                 split=TASKS_PER_WORKER * n)
            if not stack:
                return {"workers": n, "tasks": 0}
            deadline = None if self.deadline is None else \
                time.time() + (self.deadline - time.perf_counter())
            spec = _Spec(uuid.uuid4().hex, (self.net, self.dom, self.bigm, self.arith,
                                            self.solver, self.budget, self.solver_options,
                                            self.lines, self.rng, self.node_bounds,
                                            self.chunk), deadline)
            shared = client.scatter(spec, broadcast=True, hash=False)
            futures = [client.submit(_subtree_task, shared, item, pure=False)
                       for item in reversed(stack)]
            try:
                for fut in as_completed(futures):
                    self.absorb(fut.result())
                    self._remaining()
            finally:
                client.cancel(futures)
        return {"workers": n, "tasks": len(futures)}

    def _levels(self) -> _Levels:
        if self.levels is None:
            self.levels = _Levels(self)
        return self.levels

    def absorb(self, out: _Subtree) -> None:
        """Add the regions and statistics of a subtree explored elsewhere (a Dask task);
        a region already known (a task run twice) is not counted again."""
        known = {r.pattern for r in self.regions}
        for region in out.regions:
            if region.pattern not in known:
                known.add(region.pattern)
                self._leaf(region)
        self.solves += out.solves
        self.milp_seconds += out.milp_seconds
        self.rejected += out.rejected
        self.seeded += out.seeded
        self.taus += out.taus
        self.warnings += [w for w in out.warnings if w not in self.warnings]
        self.confirm.decisions += out.decisions

    def _children(self, level: LevelModel, node: PatternNode, arith: Arithmetic
                  ) -> list[PatternNode]:
        sub, confirm = level.layer, self.confirm
        layer = self.net.layers[level.part.index]
        W, b = layer.params(arith)
        rows = level.part.rows
        Z, zc = W[rows].dot(node.J), W[rows].dot(node.c) + b[rows]
        children: list[PatternNode] = []
        seen: set[tuple] = set()
        seed = strict_pattern(sub, Z.dot(node.point) + zc, arith)
        if seed is not None:
            child = confirm.seeded(sub, node, Z, zc, seed, node.point)
            if child is not None:
                children.append(child)
                seen.add(seed)
                self.seeded += 1
        if level.lm.z is None:  # every unit stable on the domain: one child
            if not children:
                pat = tuple(level.lm.fixed)
                child = confirm.child(sub, node, Z, zc, pat)
                children += [] if child is None else [child]
            return children
        for pat, point in line_patterns(sub, node, Z, zc, arith, self.rng, self.lines):
            if pat not in seen:
                child = confirm.seeded(sub, node, Z, zc, pat, point)
                if child is not None:
                    seen.add(pat)
                    children.append(child)
                    self.seeded += 1
        exact_pre = None
        if not arith.exact:
            def exact_pre() -> tuple[np.ndarray, np.ndarray]:
                Ze, ce = confirm.pre_activation(node.pattern, rows[-1] + 1)
                return Ze[rows], ce[rows]
        level.load(node, Z, zc, exact_pre)
        self.taus.append(level.tau)
        for pat in seen:
            level.cuts.add_no_good(level.lm.indicator(pat))
        low = 0
        while True:
            self._remaining()
            res = self._solve(level.model, level.tau)
            if not res.has_solution:
                return children
            pat = level.lm.pattern(level.lm.z.value)
            if pat in seen:
                raise TropnetError(f"MILP solver {self.solver} returned the excluded pattern "
                                   f"{pat} again (numerical trouble); try another solver")
            seen.add(pat)
            level.cuts.add_no_good(level.lm.indicator(pat))
            child = confirm.child(sub, node, Z, zc, pat)
            if child is not None:
                children.append(child)
                continue
            self.rejected += 1
            low += res.value is not None and res.value <= level.tau
            if self._over_budget(low, level.tau, f"layer {level.part.index}: "):
                return children

    # -- global strategy
    def global_(self, valid_inequalities: bool) -> None:
        net, arith, confirm = self.net, self.arith, self.confirm
        form = build_formulation(net, self.dom, self.bigm, margin=True,
                                 valid_inequalities=valid_inequalities)
        root = root_node(net, self.dom, arith)
        seed = confirm.robust_pattern(root.point)
        if form.z is None:
            if seed is not None:
                self._leaf(confirm.point_region(root.point, seed))
                return
            region = confirm.pattern_region(form.pattern(np.zeros(0)))
            if region is None:
                raise SolverError("the big-M bounds fix every unit, but the pattern they "
                                  "fix is not a region: the bounds are wrong")
            self._leaf(region)
            return
        tau = MARGIN_TARGET * form.f_cap
        self.taus.append(tau)
        cuts = RowBlock(form.z, 64)
        model = Model(form.constraints, cp.Maximize(form.f), [cuts])
        seen = set()
        if seed is not None:
            self.seeded += 1
            seen.add(seed)
            cuts.add_no_good(form.indicator(seed))
            self._leaf(confirm.point_region(root.point, seed))
        low = 0
        while True:
            self._remaining()
            res = self._solve(model, tau)
            if not res.has_solution:
                return
            pat = form.pattern()
            if pat in seen:
                raise TropnetError(f"MILP solver {self.solver} returned the excluded pattern "
                                   f"again (numerical trouble); try another solver")
            seen.add(pat)
            cuts.add_no_good(form.indicator(pat))
            region = confirm.pattern_region(pat)
            if region is not None:
                self._leaf(region)
                continue
            self.rejected += 1
            low += res.value is not None and res.value <= tau
            if self._over_budget(low, tau, ""):
                return

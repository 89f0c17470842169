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

Exactness. The MILP is solved in floating point, so every pattern it proposes is
*confirmed* (:mod:`tropnet.engines.patterns`): the pattern's H-representation (domain rows
and one row per unit) is tested for an interior point with
:meth:`tropnet.polyhedra.Polyhedron.interior_point` (an exact cdd LP when the arithmetic is
exact), and the network's pattern at that interior point must equal the proposed pattern
(this rejects patterns whose "active" unit is identically zero on the polyhedron, and maxout
ties). Rejected patterns get a no-good cut like the others, so no pattern is proposed twice
and none is counted twice.

Tolerance. Nothing is decided by the sign of the float margin ``f``: a node is finished
only when its MILP is *infeasible*, i.e. no pattern compatible with any point of the node
(with the closed conditions ``z = 1 => g >= 0``, ``z = 0 => g <= 0``) remains uncut. So a
region whose margin is tiny (a thin region) is still proposed and confirmed. The margin
only orders the search: a solve stops at the first solution with ``f >= tau``,
``tau = MARGIN_TARGET F = 1e-6 F`` (``F`` the largest possible margin; see
:data:`~tropnet.milp.formulation.MARGIN_TARGET`), so genuine regions come first and
degenerate patterns (closed-compatible but lower-dimensional, all with ``f ~ 0``) last.
Units that are identically zero on a node are fixed inactive there (exactly). Degenerate
patterns that remain are enumerated and rejected, up to ``degenerate_budget`` per node;
exceeding it stops the node with a warning in the result (regions with margin below
``tau`` could then be missed) -- on generic networks it never happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..engines.patterns import (
    PatternNode,
    child_node,
    extend_node,
    finish_node,
    line_patterns,
    node_region,
    pattern_row_count,
    pre_activation,
    root_node,
    strict_pattern,
    walk_pattern,
)
from ..engines.result import Region, RegionSet
from ..errors import TooLargeError, TropnetError
from ..hoffman import bounded_domain
from ..network import Network
from .bigm import BigM
from .blocks import RowBlock
from .formulation import MARGIN_TARGET, Model, build_formulation
from .level import LevelModel, layer_parts
from .solvers import SolveResult, check_solver, solver_adapter
from .tighten import tighten_bigm

__all__ = ["STRATEGIES", "activation_regions", "count_activation_regions"]

STRATEGIES = ("layerwise", "global")
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
    :func:`tropnet.activation_regions`.

    Parameters
    ----------
    domain : a box or bounded polytope (:class:`~tropnet.Domain` or ``"box:LO,HI"``).
        On ``R^n`` (``None``/``"rn"``) the box of :func:`tropnet.hoffman.effective_box` is
        used and reported in ``info``.
    solver : any installed cvxpy MIP solver (``"HIGHS"`` default, ``"SCIP"``, ...).
    exact : arithmetic of the confirmations (default: exact iff all numbers are rational).

    Other options
    -------------
    bigm : ``"lp"`` (default), ``"interval"``, ``"milp"`` or a :class:`BigM`.
    strategy : ``"layerwise"`` (default) or ``"global"`` (see the module docstring).
    valid_inequalities : add inequalities (8)-(9) (``"global"`` strategy).
    time_limit : seconds for the whole count; :class:`~tropnet.TooLargeError` beyond.
    max_regions : stop with :class:`~tropnet.TooLargeError` past this many regions.
    degenerate_budget : rejected low-margin patterns tolerated per node (default 64).
    chunk : the layerwise strategy fixes at most this many binaries per level (wide layers
        are split into parts; default 8).
    node_bounds : tighten the big-M constants at every node over the node's bounding box
        (``2n`` LPs; default ``True``, layerwise strategy).
    seed_lines : random lines per node whose pieces give children without a solve
        (default 0: every child comes from the MILP); ``seed`` seeds them.
    progress : called with the number of regions found so far.
    solver_options : extra options for the solver (through cvxpy).

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
    budget = int(opts.pop("degenerate_budget", 64))
    progress = opts.pop("progress", None)
    solver_options = opts.pop("solver_options", None)
    lines = int(opts.pop("seed_lines", 0))
    node_bounds = bool(opts.pop("node_bounds", True))
    chunk = int(opts.pop("chunk", 8))
    seed = opts.pop("seed", 0)
    if opts:
        raise TropnetError(f"unknown option(s) for MILP counting: {', '.join(sorted(opts))}")
    if strategy not in STRATEGIES:
        raise TropnetError(f"unknown strategy {strategy!r} (expected one of "
                           f"{', '.join(STRATEGIES)})")
    name = check_solver(solver)
    original = parse_domain(domain, net.input_dim)
    dom, notes = bounded_domain(net, original, exact=exact)
    arith = resolve(exact, net, dom)
    start = time.perf_counter()
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=name)
    run = _Counter(net, dom, bigm, arith, name, start, time_limit, max_regions, budget,
                   progress, solver_options, lines, np.random.default_rng(seed), node_bounds,
                   chunk)
    if strategy == "layerwise":
        run.layerwise()
    else:
        run.global_(vi)
    regions = tuple(sorted(run.regions, key=lambda r: r.pattern))
    info = {"solver": name, "strategy": strategy, "milp_solves": run.solves,
            "milp_seconds": round(run.milp_seconds, 6), "rejected": run.rejected,
            "seeded": run.seeded, "seed_lines": lines, "margin_tolerance": run.tau_note,
            "bigm": bigm.to_dict()}
    if strategy == "global":
        info["valid_inequalities"] = vi
    info.update(notes)
    return RegionSet("activation", regions, original if notes else dom, "milp", arith,
                     engine=name, warnings=tuple(run.warnings), info=info)


def count_activation_regions(net: Network, domain: Domain | str | None = None,
                             solver: str = "HIGHS", exact: bool | Arithmetic | None = None,
                             **options: Any) -> int:
    """The number of activation regions found by the MILP: ``activation_regions(...).count``."""
    return activation_regions(net, domain, solver, exact, **options).count


# -- the enumeration ---------------------------------------------------------------------

class _Counter:
    """One run of :func:`count_activation_regions`: the regions confirmed so far, the
    solver statistics, and the two strategies."""

    def __init__(self, net: Network, dom: Domain, bigm: BigM, arith: Arithmetic, solver: str,
                 start: float, time_limit: float | None, max_regions: int | None,
                 budget: int, progress: Callable[[int], None] | None,
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
        self.regions: list[Region] = []
        self.warnings: list[str] = []
        self.solves = 0
        self.milp_seconds = 0.0
        self.rejected = 0
        self.seeded = 0
        self.taus: list[float] = []

    @property
    def tau_note(self) -> float | None:
        return float(max(self.taus)) if self.taus else None

    # -- shared helpers
    def _remaining(self) -> float | None:
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

    def _leaf(self, node: PatternNode) -> None:
        self.regions.append(node_region(self.net, node, self.arith))
        if self.max_regions is not None and len(self.regions) > self.max_regions:
            raise TooLargeError(f"more than {self.max_regions} activation regions")
        if self.progress is not None:
            self.progress(len(self.regions))

    # -- layerwise strategy
    def layerwise(self) -> None:
        net, arith = self.net, self.arith
        levels: dict[tuple[int, int], LevelModel] = {}
        parts = [layer_parts(layer, idx, self.chunk) if layer.act.patterned else []
                 for idx, layer in enumerate(net.layers)]
        rows = len(self.dom.polyhedron(arith))
        row_counts: dict[tuple[int, int], int] = {}
        for idx, of_layer in enumerate(parts):
            for pi, part in enumerate(of_layer):
                row_counts[idx, pi] = rows
                rows += pattern_row_count(part.sub)
        stack = [(0, 0, root_node(net, self.dom, arith))]
        while stack:
            idx, pi, node = stack.pop()
            if idx == len(net.layers):
                self._leaf(node)
                continue
            layer = net.layers[idx]
            if not layer.act.patterned:
                stack.append((idx + 1, 0, child_node(layer, node, (), arith, node.point)))
                continue
            part = parts[idx][pi]
            if (idx, pi) not in levels:
                levels[idx, pi] = LevelModel(part, row_counts[idx, pi], net.input_dim,
                                             self.bigm, self.node_bounds)
            children = self._children(levels[idx, pi], node, arith)
            if part.last:
                stack.extend((idx + 1, 0, finish_node(layer, ch, arith))
                             for ch in reversed(children))
            else:
                stack.extend((idx, pi + 1, ch) for ch in reversed(children))

    def _children(self, level: LevelModel, node: PatternNode, arith: Arithmetic
                  ) -> list[PatternNode]:
        sub = level.layer
        layer = self.net.layers[level.part.index]
        W, b = layer.params(arith)
        rows = level.part.rows
        Z, zc = W[rows].dot(node.J), W[rows].dot(node.c) + b[rows]
        seed = strict_pattern(sub, Z.dot(node.point) + zc, arith)
        children: list[PatternNode] = []
        if seed is not None:
            children.append(extend_node(sub, node, Z, zc, seed, arith, node.point))
            self.seeded += 1
        if level.lm.z is None:  # every unit stable on the domain: one child
            if not children:
                pat = sub.pattern(Z.dot(node.point) + zc)
                children.append(extend_node(sub, node, Z, zc, pat, arith, node.point))
            return children
        seen = {seed} if seed is not None else set()
        for pat, point in line_patterns(sub, node, Z, zc, arith, self.rng, self.lines):
            if pat not in seen:
                seen.add(pat)
                children.append(extend_node(sub, node, Z, zc, pat, arith, point))
                self.seeded += 1
        level.load(node, Z, zc, arith)
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
            child = extend_node(sub, node, Z, zc, pat, arith)
            if child is not None:
                children.append(child)
                continue
            self.rejected += 1
            if res.value is not None and res.value <= level.tau:
                low += 1
                if low > self.budget:
                    self.warnings.append(
                        f"layer {level.part.index}: stopped after {low} rejected low-margin "
                        f"patterns at one node; regions with margin below {level.tau:.3g} "
                        f"could be missed")
                    return children

    # -- global strategy
    def global_(self, valid_inequalities: bool) -> None:
        net, arith = self.net, self.arith
        form = build_formulation(net, self.dom, self.bigm, margin=True,
                                 valid_inequalities=valid_inequalities)
        root = root_node(net, self.dom, arith)
        if form.z is None:
            self._leaf(walk_pattern(net, root, None, arith))
            return
        tau = MARGIN_TARGET * form.f_cap
        self.taus.append(tau)
        cuts = RowBlock(form.z, 64)
        model = Model(form.constraints, cp.Maximize(form.f), [cuts])
        seen = set()
        seed = self._seed(root)
        if seed is not None:
            self.seeded += 1
            seen.add(seed.pattern)
            cuts.add_no_good(form.indicator(seed.pattern))
            self._leaf(seed)
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
            node = walk_pattern(net, root, pat, arith)
            if node is not None:
                self._leaf(node)
                continue
            self.rejected += 1
            if res.value is not None and res.value <= tau:
                low += 1
                if low > self.budget:
                    self.warnings.append(f"stopped after {low} rejected low-margin patterns; "
                                         f"regions with margin below {tau:.3g} could be "
                                         f"missed")
                    return

    def _seed(self, root: PatternNode) -> PatternNode | None:
        """The node of the pattern at the root's point when no unit is at a tie there."""
        node = root
        for layer in self.net.layers:
            Z, zc = pre_activation(layer, node, self.arith)
            pat = strict_pattern(layer, Z.dot(node.point) + zc, self.arith)
            if pat is None:
                return None
            node = child_node(layer, node, pat, self.arith, node.point)
        return node

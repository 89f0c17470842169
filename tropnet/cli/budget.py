"""Long jobs: estimate the work before it starts, refuse it when the estimate is over the
budget (:func:`tropnet.limits.check_estimate`), follow it against the estimate, and stop at
``--time-limit`` with a partial result.

The estimates: activation regions after each layer by Knuth's estimator
(:func:`tropnet.sampling.estimate_regions`, about 1.5 s), monomials per layer (about half
the activation regions of the first layers, which bound them), Hoffman sub-problems (the
maximal row sets of a matrix are at most the regions of its central arrangement), and
weights of a construction. Times and memory come from the per-item costs below, measured
on 2-core machines (float He-initialised networks); they are right to a factor of a few.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .. import limits
from ..arithmetic import EXACT, FLOAT
from ..comparison import CHECKS
from ..domain import Domain, parse_domain
from ..engines.enumerate import choose_engine
from ..errors import TooLargeError, TropnetError
from ..limits import (
    TimeLimitReached,
    check_estimate,
    deadline,
    format_seconds,
    is_forced,
    memory_room,
    note,
    remaining,
)
from ..network import Network
from ..sampling import RegionEstimate, estimate_regions

__all__ = [
    "BYTES_PER_REGION",
    "Work",
    "compile_work",
    "construct_work",
    "crosscheck_work",
    "guarded",
    "hoffman_work",
    "matrix_hoffman_work",
    "mipbound_work",
    "regions_work",
]

#: seconds per activation region created (summed over the layers) by the vertex engine up
#: to 3 inputs; doubling with every further input
VERTEX_SECONDS = 3e-4
#: the same for the batch engine (all regions of a layer split at once; exact mode costs
#: about 3x float, benchmarks/results/speed.md)
BATCH_SECONDS = {True: 1.5e-4, False: 5e-5}
#: the same for the LP engine at 8 inputs, growing linearly with the inputs
LP_SECONDS = 3e-3
#: and per entry of the product (width^2 (inputs + 1)) that gives each new region its map:
#: exact (integer matrices) / float (balls)
MAP_SECONDS = {True: 2e-8, False: 2e-9}
#: seconds per cell created by the layerwise method, per region by the MILP, per cell of
#: the tropical common refinement up to 3 inputs (doubling with every further input)
LAYERWISE_SECONDS = 1.5e-2
MILP_SECONDS = 2.5e-2
CELL_SECONDS = 2.5e-3
#: compiling: seconds per tropical product and squared monomial count, exact / float
PRUNE_SECONDS = {True: 5e-6, False: 5e-7}
#: Hoffman constants: seconds per unit of the bound on the maximal row sets (one LP each,
#: about half of them solved)
HOFFMAN_SECONDS = 7.5e-4
#: bytes held per activation region (the engine's state, the region's map and point)
BYTES_PER_REGION = 20_000
#: seconds and bytes per weight of a construction (exact rationals)
WEIGHT_SECONDS = 1e-5
WEIGHT_BYTES = 150
#: an estimate over the budget first gets a trial run of this many seconds (the estimate
#: may be too high), unless it is HOPELESS times over
TRIAL_SECONDS = 3.0
HOPELESS = 30.0
#: a layer-by-layer job is projected from its pace after this many seconds
PROJECT_AFTER = 2.0

T = TypeVar("T")


@dataclass(frozen=True)
class Work:
    """The estimated cost of a job: ``what`` it is, the ``estimate`` (text), ``seconds`` and
    ``nbytes``, the cheaper ``options`` a refusal names, the region estimate used, and
    for layer-by-layer jobs the seconds of each layer."""

    what: str
    estimate: str
    seconds: float
    nbytes: float | None = None
    options: tuple[str, ...] = ()
    regions: RegionEstimate | None = None
    layer_seconds: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"estimate": self.estimate,
                               "estimated_seconds": _finite(self.seconds)}
        if self.nbytes is not None:
            out["estimated_bytes"] = _finite(self.nbytes)
        if self.regions is not None:
            out["activation_regions_estimate"] = self.regions.to_dict()
        return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


# -- estimates ----------------------------------------------------------------------------

def _with_estimate(net: Network, domain: Any, est: RegionEstimate | None,
                   make: Callable[[RegionEstimate], Work]) -> Work:
    """``make(est)``; without ``est``, with the counting bound when that is cheap enough,
    else with Knuth's estimate (about 1.5 s)."""
    if est is not None:
        return make(est)
    work = make(RegionEstimate.upper_bound(net))
    room = memory_room()
    if work.seconds <= limits.TIME_BUDGET / 4 and \
            (room is None or (work.nbytes or 0) <= room / 4):
        return work
    return make(estimate_regions(
        net, domain, enough=lambda upper: make(RegionEstimate(upper, 0, 0, 0.0)).seconds
        < limits.TIME_BUDGET / 10))


def regions_work(net: Network, domain: Any, kind: str, method: str, engine: str = "auto",
                 exact: bool = False, est: RegionEstimate | None = None) -> Work:
    """The cost of counting ``kind`` regions of ``net`` on ``domain`` by ``method``."""
    dom = parse_domain(domain, net.input_dim)
    return _with_estimate(net, dom, est, lambda e: _regions_work(net, dom, kind, method,
                                                                 engine, exact, e))


def _regions_work(net: Network, dom: Domain, kind: str, method: str, engine: str,
                  exact: bool, est: RegionEstimate) -> Work:
    n = net.input_dim
    what = f"counting {kind} regions of {net.architecture()} by {method}"
    cheaper = ["a smaller domain (--domain box:LO,HI)",
               "tropnet sample NET (an estimate of the linear regions on a cube)",
               "tropnet mipbound NET --domain box:LO,HI (a probabilistic lower bound on the "
               "activation regions)"]
    nbytes: float | None = BYTES_PER_REGION * max(est.layers)
    layer_seconds: tuple[float, ...] = ()
    if method == "enumerate":
        try:  # the engine that will run (the run itself refuses one that cannot)
            name = choose_engine(engine, dom, net, EXACT if exact else FLOAT)
        except TropnetError:
            name = choose_engine(engine, dom)
        per = (BATCH_SECONDS[exact] if name in ("batch", "planar") else
               VERTEX_SECONDS if name == "vertex" else LP_SECONDS * max(1.0, n / 8)) * \
            (2.0 ** max(0, n - 3) if name != "lp" else 1.0)
        layer_seconds = tuple(
            (per + MAP_SECONDS[exact] * layer.out_dim ** 2 * (n + 1)) * c
            for layer, c in zip(net.layers, est.layers, strict=True))
        seconds = sum(layer_seconds) * (1.2 if kind == "linear" else 1.0)
        what += f" ({name} engine)"
    elif method == "layerwise":
        layer_seconds = tuple(LAYERWISE_SECONDS * c for c in est.layers)
        seconds = sum(layer_seconds)
    elif method == "milp":
        seconds = MILP_SECONDS * est.count
        if dom.kind == "rn":  # the effective box first: a Hoffman constant per region
            seconds += hoffman_work(net, exact, "activation", est=est).seconds
    else:  # tropical: compile from the domain's activation regions, then the refinement
        seconds = (_regions_work(net, dom, "activation", "enumerate", engine, exact,
                                 est).seconds + _cells_seconds(n, est.count))
    return Work(what, est.describe(), seconds, nbytes, tuple(cheaper), est, layer_seconds)


def _cells_seconds(n: int, cells: float) -> float:
    """Seconds for ``cells`` cells of a tropical common refinement in ``n`` variables."""
    return CELL_SECONDS * 2.0 ** max(0, n - 3) * cells


def compile_work(net: Network, exact: bool, est: RegionEstimate | None = None) -> Work:
    """The cost of compiling ``net`` by products (``--method products``): every tropical
    product of a layer is pruned, at a cost growing with the square of the monomials, which
    are at most the activation regions of the first layers (about half of them on random
    networks). The regions route costs :func:`regions_work` of the activation regions."""
    return _with_estimate(net, None, est, lambda e: _compile_work(net, exact, e))


def _compile_work(net: Network, exact: bool, est: RegionEstimate) -> Work:
    layer_seconds = tuple(layer.units * layer.in_dim * (count / 2) * (count / 2)
                          * PRUNE_SECONDS[exact] for layer, count in zip(net.layers, est.layers,
                                                                          strict=True))
    seconds = sum(layer_seconds)
    monomials = max(est.layers) / 2
    text = (f"about {_num(monomials)} monomials per polynomial of the last layers (half of "
            f"{est.describe()})")
    return Work(f"compiling {net.architecture()}", text, seconds,
                monomials * 200 * net.input_dim,
                ("count regions with tropnet regions --method enumerate",), est, layer_seconds)


def hoffman_work(net: Network, exact: bool, kind: str = "linear", rows: str = "all",
                 method: str = "pvz", est: RegionEstimate | None = None) -> Work:
    """The cost of the Hoffman constant and effective radius of a network: compile (linear
    kind) or enumerate (activation kind), then one Hoffman constant per cell or region,
    whose row sets are bounded by those of a central arrangement of its rows."""
    return _with_estimate(net, None, est,
                          lambda e: _hoffman_work(net, exact, kind, rows, method, e))


def _hoffman_work(net: Network, exact: bool, kind: str, rows: str, method: str,
                  est: RegionEstimate) -> Work:
    n, cells = net.input_dim, est.count
    if kind == "activation":
        base = regions_work(net, None, "activation", "enumerate", exact=exact, est=est)
        facets = 2 * n
    else:  # compiled from the activation regions, then the cells of the refinement
        base = regions_work(net, None, "activation", "enumerate", exact=exact, est=est)
        base = Work(base.what, base.estimate, base.seconds + _cells_seconds(n, cells),
                    base.nbytes, (), est)
        facets = max(est.layers) if rows == "all" else 2 * n
    per_cell = 0.0 if method == "bounds" else HOFFMAN_SECONDS * _row_sets(facets, n)
    per_cell += HOFFMAN_SECONDS * _row_sets(2 * n, n)  # the effective radius: facet rows
    seconds = base.seconds + cells * per_cell
    return Work(f"the Hoffman constant of {net.architecture()}",
                f"{est.describe()}, each a cell with about {_num(facets)} rows", seconds,
                base.nbytes, ("--method bounds (an interval, much cheaper)",
                              "--rows facets", "--kind activation"), est)


def matrix_hoffman_work(A: Any, method: str, norm: str) -> Work:
    """The cost of the Hoffman constant of a matrix: its maximal surjective row sets are
    at most the regions of the central arrangement of its distinct rows (rank ``r``:
    ``2 sum_{k<r} C(m-1, k)``), one LP each."""
    try:
        rows = np.unique(np.asarray(A, dtype=float), axis=0)
        rows = rows[np.abs(rows).sum(axis=1) > 0]
        m = len(rows)
        r = int(np.linalg.matrix_rank(rows)) if m else 0
    except (TypeError, ValueError, OverflowError, np.linalg.LinAlgError):
        arr = np.asarray(A, dtype=object)
        m, r = (arr.shape[0], arr.shape[1]) if arr.ndim == 2 else (0, 0)
    sets = _row_sets(m, r)
    seconds = 0.0 if method == "bounds" else HOFFMAN_SECONDS * sets * (2 if method == "exact"
                                                                         else 1)
    return Work(f"the Hoffman constant of a {m}-row matrix of rank {r}",
                f"up to {_num(sets)} maximal row sets (the regions of the central "
                f"arrangement of its rows), one LP each", seconds, None,
                ("--method bounds (an interval, much cheaper)",))


def crosscheck_work(net: Network, domain: Any, methods: Sequence[str], exact: bool
                    ) -> tuple[Work, dict[str, float]]:
    """The cost of ``tropnet crosscheck`` with ``methods`` (rows of
    :data:`tropnet.comparison.ROWS`), and the seconds of each row."""
    dom = parse_domain(domain, net.input_dim)
    rows: dict[str, float] = {}

    def make(est: RegionEstimate) -> Work:
        rows.clear()
        for name in methods:
            if name == "sampling":  # on R^n it first finds the effective box
                rows[name] = _hoffman_work(net, exact, "linear", "facets", "pvz", est).seconds \
                    if dom.kind == "rn" else 1.0
                continue
            kind, method, engine = CHECKS[name]
            rows[name] = _regions_work(net, dom, kind, method, engine or "auto", exact,
                                       est).seconds
        over = [k for k, v in rows.items() if v > limits.TIME_BUDGET / 2]
        text = f"{est.describe()}; per method: " + ", ".join(
            f"{k} {format_seconds(v)}" for k, v in rows.items())
        options = (f"--skip {','.join(over)} (the slow methods)",) \
            if over and len(over) < len(rows) else ("a smaller domain (--domain box:LO,HI)",)
        return Work(f"crosschecking {net.architecture()}", text, sum(rows.values()),
                    BYTES_PER_REGION * max(est.layers), options, est)

    work = _with_estimate(net, dom, None, make)
    return work, dict(rows)


def mipbound_work(net: Network, domain: Any, repeats: int, exact_limit: int, exact: bool
                  ) -> Work:
    """The cost of MIPBound: on ``R^n`` the effective box (every activation region, with a
    Hoffman constant each), then about ``repeats * log2(regions)`` MILP solves and the
    exact count up to ``exact_limit`` regions, each solve slower with more binaries."""
    dom = parse_domain(domain, net.input_dim)
    units = sum(layer.units for layer in net.layers if layer.act.patterned)

    def make(est: RegionEstimate) -> Work:
        per = MILP_SECONDS * max(1.0, units / 20)
        solves = repeats * (math.log2(max(est.count, 1.0)) + 1) + min(est.count, exact_limit)
        seconds = per * solves
        if dom.kind == "rn":
            seconds += _hoffman_work(net, exact, "activation", "facets", "pvz", est).seconds
        return Work(f"MIPBound on {net.architecture()}", f"{est.describe()}, {units:,} "
                    f"binaries", seconds, None,
                    ("a box domain (--domain box:LO,HI), which needs no effective box",
                     "fewer --repeats", "--exact-limit 0"), est)

    return _with_estimate(net, dom, None, make)


def construct_work(name: str, dims: Sequence[int]) -> Work:
    """The cost of building a construction with layer sizes ``dims``: its exact weights."""
    weights = sum(a * b for a, b in itertools.pairwise(dims))
    return Work(f"building {name}", f"{_num(weights)} exact weights", weights * WEIGHT_SECONDS,
                weights * WEIGHT_BYTES, ("use smaller widths",))


def _row_sets(m: float, r: int) -> float:
    """``2 sum_{k<r} C(m-1, k)``: the regions of a central arrangement of ``m`` hyperplanes
    of rank ``r`` (at most), as a float (``inf`` beyond floats)."""
    if m <= 1 or r <= 0:
        return 1.0
    if not m < 1e9:
        return math.inf
    m = int(m)
    total = 2 * sum(math.comb(m - 1, k) for k in range(min(r, m)))
    return float(total) if total < 10**300 else math.inf


def _num(x: float) -> str:
    return f"{x:,.0f}" if x < 1e5 else f"{x:.2g}"


# -- running against the estimate ---------------------------------------------------------

def guarded(work: Work, run: Callable[[], T]) -> T:
    """``run()`` unless ``work`` is over the budget. Over the budget (and not hopelessly),
    a trial run of :data:`TRIAL_SECONDS` may still finish (the estimate can be too high);
    otherwise the refusal names the estimate and the options."""
    try:
        check_estimate(work.what, work.estimate, work.seconds, work.nbytes, work.options)
    except TooLargeError as refusal:
        if work.seconds > HOPELESS * limits.TIME_BUDGET:
            raise
        try:  # (no enclosing deadline here: check_estimate refuses nothing inside one)
            with deadline(TRIAL_SECONDS, alarm=True):
                return run()
        except TimeLimitReached:
            pass
        check_estimate(work.what, work.estimate, work.seconds, work.nbytes, work.options,
                       tried=TRIAL_SECONDS)
        raise refusal  # pragma: no cover - the same check refused above
    return run()


class LayerProgress:
    """Follows a layer-by-layer computation against its estimate, called after each layer
    (with the count so far, when there is one): records what is known for
    ``--time-limit`` (``lower_bound`` when the counts bound the answer from below, of
    ``bound``), updates the progress bar, and once :data:`PROJECT_AFTER` seconds have
    passed projects the rest (the estimate's later layers, scaled by how far the time and
    counts so far exceed it); a projection over the budget stops with a refusal."""

    def __init__(self, work: Work | None, layers: int, what: str, bound: str | None = None,
                 bar: Any = None) -> None:
        self.work, self.layers, self.what, self.bound, self.bar = work, layers, what, bound, bar
        self.done = 0
        self.start = time.perf_counter()

    def __call__(self, count: int | None = None) -> None:
        self.done += 1
        so_far = f"{self.done} of {self.layers} layers done"
        if count is not None:
            so_far = f"{count:,} {self.what} after {so_far}"
        known: dict[str, Any] = {"layers_done": self.done, "layers": self.layers,
                                 "so_far": so_far}
        if self.bound is not None and count is not None:
            known.update(lower_bound=count, lower_bound_of=self.bound)
        note(**known)
        if self.bar is not None:
            if count is not None:
                self.bar.set_postfix_str(f"{count:,} {self.what}")
            self.bar.update(1)
        self._project(count, so_far)

    def _project(self, count: int | None, so_far: str) -> None:
        work = self.work
        if work is None or not work.layer_seconds or self.done >= self.layers or \
                is_forced() or remaining() is not None:
            return
        elapsed = time.perf_counter() - self.start
        if elapsed < PROJECT_AFTER:
            return
        model = work.layer_seconds
        pace = elapsed / max(sum(model[:self.done]), 1e-9)
        grown = 1.0
        if count is not None and work.regions is not None:
            grown = max(1.0, count / max(work.regions.layers[self.done - 1], 1.0))
        total = elapsed + pace * grown * sum(model[self.done:])
        if total > limits.TIME_BUDGET:
            raise TooLargeError(
                f"{work.what} stopped: {so_far} in {format_seconds(elapsed)}; at this pace "
                f"about {format_seconds(total)} in all (the estimate before the run: "
                f"{work.estimate}), over the time budget of "
                f"{format_seconds(limits.TIME_BUDGET)}. Options: " + "; ".join(
                    [*work.options, "--force to run anyway",
                     "--time-limit SECONDS to stop with a partial result"]))

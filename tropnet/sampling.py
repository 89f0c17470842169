"""Estimating the number of linear regions by sampling (Lezeau et al., Algorithm 5).

The estimator samples ``N`` points uniformly in a box, by default the cube
``[-R, R]^n`` (a seeded
:class:`numpy.random.Generator`), takes the affine map ``x -> J x + c`` of the
network at each point, groups the points by map, and splits each group with the
midpoint test: a sample ``q`` whose midpoint with a cluster's representative ``p``
satisfies ``N((p + q)/2) = J (p + q)/2 + c`` (relative tolerance
:data:`~tropnet.arithmetic.GEOMETRY_RTOL`) joins that cluster — every cluster it
passes with, which merges them (union-find); a sample passing with no earlier
representative starts a new cluster. The estimate is the number of clusters.

**It is an estimate, never an exact count**, and it is reported as such:

* regions the samples miss are not counted (an undercount; it converges from
  below as ``N`` grows, see the ``curve``);
* the midpoint test assumes the region is convex along the segment: two
  points of one *non-convex* linear region whose midpoint leaves the region
  are split wrongly, which can push the estimate *above* the exact count;
* regions are those of the box, not of ``R^n``, unless the box is the
  effective-radius box (:func:`tropnet.hoffman.effective_box`; ``radius="effective"``).

Affine maps are computed in the chosen arithmetic. Activation patterns are
computed for all samples at once in float64 and checked: a sample with a
pre-activation within
:data:`~tropnet.arithmetic.SAMPLE_TIE` (relative) of a tie is recomputed exactly,
and one sample of every pattern is re-evaluated with
:meth:`tropnet.Network.affine_map` (in exact mode all samples of a pattern that
fails the check are recomputed one by one). The map of each distinct pattern is
then built from the layers' pattern matrices.

With ``symmetric=True`` (a permutation-invariant network; Lezeau et al.,
Theorem 29 and Lemma 30, :mod:`tropnet.engines.symmetry`) the samples are drawn
from the fundamental domain ``x_1 >= ... >= x_n`` of the box (a cube) and each cluster
counts ``n! / prod_k m_k!`` regions.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.optimize import linprog

from .arithmetic import (
    FLOAT,
    GEOMETRY_RTOL,
    SAMPLE_TIE,
    TINY,
    Arithmetic,
    format_number,
    resolve,
)
from .domain import Domain, box, parse_domain
from .engines.glue import map_key
from .engines.symmetry import (
    SymmetryCheck,
    fundamental_samples,
    orbit_weight,
    permutation_invariant,
    require_invariant,
)
from .errors import NetworkError, TropnetError
from .hoffman import effective_box
from .limits import check_size, memory_budget
from .network import FLOAT_MAGNITUDE_LOG2, Network, read_number
from .progress import step

__all__ = ["MAX_RADIUS", "MAX_SAMPLES", "RegionEstimate", "SampleEstimate", "estimate_regions",
           "sample_regions"]

#: the most samples one estimate draws
MAX_SAMPLES = 10_000_000
#: the largest cube half-width (the samples and the network's values stay in float64)
MAX_RADIUS = Fraction(10) ** 100
#: bytes per sample and unit of the widest layer held at once (points, values, codes)
_BYTES_PER_VALUE = 32


@dataclass(frozen=True)
class SampleEstimate:
    """The sampling estimate of the number of linear regions (never exact; see the module).

    ``estimate`` is the weighted number of clusters after all ``samples`` points;
    ``curve`` lists ``(points used, estimate)`` pairs (the estimate on the first
    points of the same sample); ``distinct_maps`` counts distinct affine maps,
    ``patterns`` distinct activation patterns (an estimate of the activation regions),
    ``splits`` the clusters created by failed midpoint tests; ``recomputed`` the
    samples whose pattern was recomputed exactly.

    Attributes
    ----------
    estimate : int
        The weighted number of clusters.
    samples : int
        The number of points.
    curve : tuple of tuple of int
        ``(points used, estimate)`` pairs.
    box : Domain
        The box sampled.
    seed : int or None
        The seed.
    symmetric : bool
        The fundamental domain was sampled (permutation invariance).
    distinct_maps : int
        The number of distinct affine maps.
    patterns : int
        The number of distinct activation patterns.
    splits : int
        The clusters created by failed midpoint tests.
    recomputed : int
        The samples whose pattern was recomputed exactly.
    arith : Arithmetic
        The arithmetic of the affine maps.
    n : int
        The input dimension.
    symmetry : SymmetryCheck or None, default None
        How invariance was decided, when used.
    info : dict, default {}
        Further facts of the run.
    """

    estimate: int
    samples: int
    curve: tuple[tuple[int, int], ...]
    box: Domain
    seed: int | None
    symmetric: bool
    distinct_maps: int
    patterns: int
    splits: int
    recomputed: int
    arith: Arithmetic
    n: int
    symmetry: SymmetryCheck | None = None
    info: dict = field(default_factory=dict)

    @property
    def domain(self) -> str:
        """The box sampled, as text."""
        return self.box.describe()

    @property
    def radius(self) -> Any:
        """The half-width of the box when it is a cube centred at 0, else ``None``."""
        lo, hi = set(self.box.lo or ()), set(self.box.hi or ())
        if len(lo) == len(hi) == 1 and -next(iter(lo)) == next(iter(hi)):
            return next(iter(hi))
        return None

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet sample`` (``is_estimate`` is always true)."""
        out: dict[str, Any] = {
            "estimate": self.estimate, "samples": self.samples, "kind": "linear",
            "is_estimate": True,
            "method": "sampling (Lezeau et al. Algorithm 5: distinct affine maps, split by "
                      "midpoint tests)",
            "domain": self.domain,
            "seed": self.seed, "symmetric": self.symmetric,
            "distinct_maps": self.distinct_maps, "activation_patterns": self.patterns,
            "midpoint_splits": self.splits, "recomputed_exactly": self.recomputed,
            "exact_maps": self.arith.exact, "curve": [list(p) for p in self.curve]}
        if self.symmetry is not None:
            out["symmetry"] = self.symmetry.to_dict()
        if self.radius is not None:
            out["radius"] = format_number(self.radius)
        out.update(self.info)
        return out


def sample_regions(net: Network, samples: int = 1000, radius: Any = None, seed: int | None = 0,
                   symmetric: bool | str = False, *, exact: bool | Arithmetic | None = None,
                   checkpoints: Any = None, domain: Domain | str | None = None
                   ) -> SampleEstimate:
    """Estimate the number of linear regions of ``net`` in a box: ``domain``, or the cube
    ``[-radius, radius]^n`` (default: ``[-1, 1]^n``).

    Parameters
    ----------
    net : Network
        The network.
    samples : int, default 1000
        The number of points ``N``.
    radius : number, str or None, default None
        Half-width of the cube (a shorthand for ``domain="box:-R,R"``), or ``"effective"``
        for the effective-radius box of the network's linear regions
        (`tropnet.hoffman.effective_box`; it compiles the network), so that the estimate
        targets the count on ``R^n``.
    seed : int or None, default 0
        Seed of `numpy.random.default_rng`.
    symmetric : bool or str, default False
        ``True`` (the user asserts permutation invariance; verified on random points),
        ``"auto"`` (detect it) or ``False``. When used, only the fundamental domain is
        sampled and clusters are weighted by `orbit_weight`.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the affine maps; ``None``: exact for rational networks.
    checkpoints : sequence of int or None, default None
        Sample counts for the convergence curve; ``None``: about 12 counts spaced
        geometrically up to ``samples``.
    domain : Domain, str or None, default None
        A box (a `Domain` or a string such as ``"box:0,1;-2,2"``); give ``radius`` or
        ``domain``, not both.

    Examples
    --------
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> est = sample_regions(net, samples=50, radius=1, seed=0)   # |x|: 2 linear regions
    >>> est.estimate, est.to_dict()["is_estimate"]
    (2, True)
    """
    if not isinstance(net, Network):
        raise TropnetError("sampling needs a network")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or \
            not 1 <= samples <= MAX_SAMPLES:
        raise TropnetError(f"the number of samples must be an integer from 1 to "
                           f"{MAX_SAMPLES:,}, got {samples!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise TropnetError(f"the seed must be a non-negative integer or None, got {seed!r}")
    arith = resolve(exact, net)
    n = net.input_dim
    widest = max([n, *(layer.units for layer in net.layers)])
    budget = memory_budget()
    if budget is not None:
        check_size(int(samples) * widest, f"sampling {samples:,} points through {widest:,} "
                   f"units", "use fewer samples", limit=budget // _BYTES_PER_VALUE)
    dom = _box(net, radius, domain, arith)
    _check_float_range(net, max(abs(v) for v in (*dom.lo, *dom.hi)))
    if symmetric is not False and (len(set(dom.lo)) > 1 or len(set(dom.hi)) > 1):
        raise TropnetError(f"symmetric sampling needs a cube (the same interval in every "
                           f"coordinate), got {dom.describe()}")
    check = None
    if symmetric == "auto":
        check = permutation_invariant(net)
        symmetric = check.invariant
    elif symmetric is True:
        check = require_invariant(net)
    elif symmetric is not False:
        raise TropnetError(f"symmetric must be True, False or 'auto', got {symmetric!r}")
    lo, hi = np.array(dom.lo, dtype=float), np.array(dom.hi, dtype=float)
    rng = np.random.default_rng(seed)
    X = fundamental_samples(rng, samples, n, lo[0], hi[0]) if symmetric else \
        rng.uniform(lo, hi, size=(samples, n))
    codes, recomputed = _pattern_codes(net, X, arith)
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    maps: dict[tuple, int] = {}
    map_of_pattern = np.empty(len(uniq), dtype=int)
    map_list: list[tuple[np.ndarray, np.ndarray]] = []
    for p, code in enumerate(uniq):
        J, c = _pattern_map(net, _decode(net, code), arith)
        key = map_key(J, c, arith)
        if key not in maps:
            maps[key] = len(map_list)
            map_list.append((J, c))
        map_of_pattern[p] = maps[key]
    sample_map = map_of_pattern[inverse]
    points = _checkpoints(samples, checkpoints)
    total, clusters, curve_counts = 0, 0, np.zeros(len(points), dtype=np.int64)
    for mid in range(len(map_list)):
        members = np.flatnonzero(sample_map == mid)
        J, c = map_list[mid]
        count, prefix = _clusters(net, X, members, J, c, points)
        weight = orbit_weight(J, arith) if symmetric else 1
        clusters += count
        total += weight * count
        curve_counts += weight * np.array(prefix, dtype=np.int64)
    curve = tuple((int(k), int(v)) for k, v in zip(points, curve_counts, strict=True))
    return SampleEstimate(total, samples, curve, dom, seed, bool(symmetric), len(map_list),
                          len(uniq), clusters - len(map_list), recomputed, arith, n, check)


# -- estimating the work of an enumeration ----------------------------------------------

@dataclass(frozen=True)
class RegionEstimate:
    """Knuth's estimate of the number of activation regions after each layer (see
    :func:`estimate_regions`; never exact).

    ``layers[l]`` estimates the activation regions of the first ``l + 1`` layers on the
    domain, so ``layers[-1]`` (:attr:`count`) those of the network; ``probes`` passes
    were averaged (``lps`` linear programmes in ``seconds``). ``complete`` is False
    when no pass reached the last layer in time, or a pass's estimate passed the cap: the
    layers past the deepest one reached then repeat its estimate, a lower estimate
    (adding units never merges regions). ``bound=True``: the layers are upper bounds
    (:meth:`upper_bound`), not an estimate.

    Attributes
    ----------
    layers : tuple of float
        The estimate after each layer.
    probes : int
        The number of passes averaged.
    lps : int
        The number of LPs solved.
    seconds : float
        The time taken.
    complete : bool, default True
        False when no pass reached the last layer in time, or one passed the cap (above).
    bound : bool, default False
        The layers are upper bounds, not an estimate.
    """

    layers: tuple[float, ...]
    probes: int
    lps: int
    seconds: float
    complete: bool = True
    bound: bool = False

    @classmethod
    def upper_bound(cls, net: Network) -> RegionEstimate:
        """Upper bounds by counting: a region of the first layers is cut by the ``h``
        hyperplanes of the next layer into at most ``sum_{k<=n} C(h, k)`` parts (``h`` is
        the number of units, ``C(rank, 2)`` per maxout unit).

        Parameters
        ----------
        net : Network
            The network.
        """
        n, count, layers = net.input_dim, 1.0, []
        for layer in net.layers:
            if layer.act.patterned:
                h = layer.out_dim * (1 if layer.act.hyperplane else math.comb(layer.act.rank, 2))
                parts = sum(math.comb(h, k) for k in range(min(n, h) + 1))
                count *= float(parts) if parts < 10**300 else math.inf
            layers.append(count)
        return cls(tuple(layers), 0, 0, 0.0, True, True)

    @property
    def count(self) -> float:
        """The estimate for the whole network: ``layers[-1]``."""
        return self.layers[-1]

    def describe(self) -> str:
        """``about 3.2e+05 activation regions (Knuth's estimate, 4 passes)``."""
        value = f"{self.count:.2g}" if self.count >= 1e4 else f"{round(self.count):,}"
        if self.bound:
            return f"at most {value} activation regions (the counting bound)"
        how = f"Knuth's estimate, {self.probes} pass{'es' if self.probes != 1 else ''}"
        if not self.complete:
            return f"at least about {value} activation regions ({how}, stopped early)"
        return f"about {value} activation regions ({how})"

    def to_dict(self) -> dict:
        """The JSON form: the count, the per-layer estimates, the work done and the method."""
        return {"activation_regions": self.count, "per_layer": list(self.layers),
                "probes": self.probes, "lps": self.lps, "complete": self.complete,
                "method": "the counting bound (sum_k C(h, k) parts per region and layer)"
                if self.bound else "Knuth's tree-size estimator with partial backtracking "
                                   "(one LP per kept region and unit)", "is_estimate": True}


def estimate_regions(net: Network, domain: Any = None, *, seconds: float = 1.5,
                     frontier: int | None = None, passes: tuple[int, int] = (2, 100),
                     rtol: float = 0.2, cap: float = 1e15, seed: int = 0,
                     enough: Callable[[tuple[float, ...]], bool] | None = None
                     ) -> RegionEstimate:
    """Estimate the number of activation regions of ``net`` on ``domain`` (default ``R^n``)
    after each layer, in about ``seconds``: the work an exact enumeration would do.

    Knuth's estimator of the size of a backtrack tree (Knuth 1975) with Purdom's partial
    backtracking, on the tree of the layer-by-layer enumeration refined one unit at a
    time. A pass keeps at most ``frontier`` regions (H-representations with an interior
    point), all of one weight. At each unit one LP per region (scipy's HiGHS, in float64)
    tells whether the unit's hyperplane (for maxout: its piece boundaries) splits it;
    when the parts outnumber ``frontier``, a uniform sample of ``frontier`` of them is
    kept and the weight multiplied by parts / kept. Weight times frontier after the last
    unit of a layer is an unbiased estimate of the activation regions of the first
    layers; the passes' mean is returned. With few regions the frontier holds them all
    and the count is exact (for float64 decisions). ``frontier`` defaults to about 600
    LPs per pass. Passes go on until the standard error is below ``rtol`` of the mean
    (after ``passes[0]``), ``passes[1]`` passes, or ``seconds``; a pass whose estimate
    passes ``cap`` stops there (the count is hopeless anyway). ``enough``, when given,
    is called after each pass from ``passes[0]`` on with upper estimates (per layer, the
    mean plus three standard errors): True stops the passes (the caller knows enough).

    It is an ESTIMATE: float decisions, regions farther than about 1e6 times the
    network's scale are not seen, and the spread can be large (typically within a factor
    of 2 or 3 on random networks).

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        The domain; ``None`` is ``R^n``.
    seconds : float, default 1.5
        The time to spend.
    frontier : int or None, default None
        The regions a pass keeps; ``None``: about 600 LPs per pass.
    passes : tuple of int, default (2, 100)
        The least and the most passes.
    rtol : float, default 0.2
        Stop when the standard error is below ``rtol`` of the mean.
    cap : float, default 1e15
        A pass stops when its estimate passes this.
    seed : int, default 0
        The seed.
    enough : callable or None, default None
        Stops the passes when it returns True (above).

    Examples
    --------
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> estimate_regions(net).count     # |x|: the frontier holds both halves
    2.0
    """
    if not isinstance(net, Network):
        raise TropnetError("the estimate needs a network")
    dom = parse_domain(domain, net.input_dim)
    rng = np.random.default_rng(seed)
    start = _time.perf_counter()
    stop = start + seconds
    survey = _Survey(net, dom)
    units = sum(layer.out_dim for layer in net.layers if layer.act.patterned)
    size = frontier or max(4, min(256, 600 // max(units, 1)))
    L = len(net.layers)
    finals: list[list[float]] = []
    partial: list[float] = [1.0]
    complete = True
    while len(finals) < passes[1]:
        counts, status = survey.run(rng, size, stop, cap)
        if status == "time":  # a pass cut short says something only when it is the first
            if not finals:
                partial, complete = counts, False
            break
        finals.append([*counts, *[counts[-1]] * (L - len(counts))])
        if status == "cap":  # hopeless: a lower estimate is enough
            complete = False
            break
        if survey.exact:  # the frontier held every region: nothing to average
            break
        arr = np.array(finals)
        k = len(finals)
        mean, se = arr.mean(axis=0), arr.std(axis=0, ddof=1) / math.sqrt(k) if k > 1 else 0
        if _time.perf_counter() >= stop or (k >= passes[0] and (
                (mean[-1] > 0 and se[-1] <= rtol * mean[-1])  # type: ignore[index]
                or (enough is not None and enough(tuple(float(v) for v in mean + 3 * se))))):
            break
    if finals:
        layers = tuple(float(v) for v in np.mean(np.array(finals), axis=0))
    else:
        layers = tuple(float(v) for v in [*partial, *[partial[-1]] * (L - len(partial))])
    return RegionEstimate(layers, max(len(finals), 1), survey.lps,
                          _time.perf_counter() - start, complete)


@dataclass
class _Part:
    """A region of a pass of :func:`estimate_regions`: its rows ``A x <= b``, an interior
    point, the affine map ``x -> M x + m`` to the current layer's input, and the piece of
    each unit of the layer decided so far."""

    A: np.ndarray
    b: np.ndarray
    x: np.ndarray
    M: np.ndarray
    m: np.ndarray
    pattern: dict


class _Survey:
    """The passes of :func:`estimate_regions` (partial backtracking, one LP per split
    test)."""

    def __init__(self, net: Network, dom: Any) -> None:
        self.net, self.lps, self.exact = net, 0, True
        n = net.input_dim
        P = dom.polyhedron(FLOAT)
        self.A0 = np.asarray(P.A, dtype=float).reshape(-1, n)
        self.b0 = np.asarray(P.b, dtype=float).reshape(-1)
        scale = max([1.0, *np.abs(self.b0).tolist()])
        self.big = 1e6 * scale
        self.x0 = self._center(n)

    def _center(self, n: int) -> np.ndarray:
        """A point well inside the domain (its Chebyshev centre)."""
        if not len(self.A0):
            return np.zeros(n)
        norms = np.linalg.norm(self.A0, axis=1)
        res = self._lp(np.r_[np.zeros(n), -1.0], np.c_[self.A0, norms], self.b0,
                       [(-self.big, self.big)] * n + [(0, 1)])
        return res.x[:n] if res is not None else np.zeros(n)

    def _lp(self, c: np.ndarray, A: np.ndarray, b: np.ndarray, bounds: Any = None) -> Any:
        self.lps += 1
        n = len(c)
        res = linprog(c, A_ub=A if len(A) else None, b_ub=b if len(A) else None,
                      bounds=bounds or [(-self.big, self.big)] * n, method="highs")
        return res if res.status == 0 else None

    def run(self, rng: np.random.Generator, size: int, stop: float, cap: float
            ) -> tuple[list[float], str]:
        """One pass: the estimated regions after each layer reached (the last entry: where
        it stopped), and ``"done"``, ``"time"`` (out of time) or ``"cap"``."""
        n = self.net.input_dim
        parts = [_Part(self.A0, self.b0, self.x0.copy(), np.eye(n), np.zeros(n), {})]
        weight, out = 1.0, []
        for li, layer in enumerate(self.net.layers):
            W, c = layer.float_params
            for p in parts:  # pre-activations z = (W M) x + (W m + c)
                p.M, p.m, p.pattern = W @ p.M, W @ p.m + c, {}
            if not layer.act.patterned:
                out.append(weight * len(parts))
                continue
            k, pieces = layer.act.rank, layer.act.pieces()
            order = rng.permutation(layer.out_dim)  # sorted hyperplanes are the worst case
            for done, u in enumerate(order):
                step(f"estimating: layer {li + 1} of {len(self.net.layers)}", done,
                     layer.out_dim, "units", f"{weight * len(parts):,.0f} regions")
                if _time.perf_counter() >= stop:
                    return [*out, weight * len(parts)], "time"
                nxt = []
                for p in parts:
                    rows = [(float(s) * p.M[u * k + o], float(s) * p.m[u * k + o])
                            for o, s in pieces]
                    found = self._parts(rows, p.A, p.b, p.x, layer.act.hyperplane)
                    if not found:  # numerically empty: stay in the region
                        found = [(int(np.argmax([r @ p.x + r0 for r, r0 in rows])), p.x)]
                    for r, x in found:
                        keep = [q for q in range(len(rows)) if q != r
                                and not np.array_equal(rows[q][0], rows[r][0])]
                        A = np.vstack([p.A, *[rows[q][0] - rows[r][0] for q in keep]]) \
                            if keep else p.A
                        b = np.r_[p.b, [rows[r][1] - rows[q][1] for q in keep]]
                        nxt.append(_Part(A, b, x, p.M, p.m, {**p.pattern, int(u): r}))
                if len(nxt) > size:  # keep a uniform sample, each standing for parts/size
                    self.exact = False
                    weight *= len(nxt) / size
                    nxt = [nxt[i] for i in rng.choice(len(nxt), size, replace=False)]
                parts = nxt
                if weight * len(parts) >= cap:
                    return [*out, weight * len(parts)], "cap"
            for p in parts:
                pattern = tuple(p.pattern[u] for u in range(layer.out_dim))
                D = np.asarray(layer.pattern_matrix(pattern, FLOAT), dtype=float)
                p.M, p.m = D @ p.M, D @ p.m
            out.append(weight * len(parts))
        return out, "done"

    def _parts(self, rows: list, A: list, b: list, x: np.ndarray, hyperplane: bool
               ) -> list[tuple[int, np.ndarray]]:
        """The pieces that win on a part of the region with interior, each with a point
        inside that part."""
        AA, bb = np.array(A).reshape(-1, len(x)), np.array(b, dtype=float)
        if hyperplane:  # piece 1 iff z > 0: at most one LP
            (r0, c0), (r1, c1) = rows
            w, beta = r1 - r0, c1 - c0  # z up to a positive factor
            size = abs(beta) + np.abs(w).sum() * (1 + np.abs(x).max(initial=0))
            tol = 1e-9 * size
            v0 = float(w @ x + beta)
            out = []
            for side, piece in ((1, 1), (-1, 0)):
                if side * v0 > tol:
                    out.append((piece, x))
                    continue
                res = self._lp(-side * w, AA, bb)
                if res is None:
                    continue
                vmax = side * float(w @ res.x + beta)
                if vmax > 2 * tol:  # a point of the segment to the optimum, strictly inside,
                    # about as far beyond the hyperplane as x was before it
                    target = min(vmax / 2, abs(v0) + 1e-3 * size)
                    lam = (target - side * v0) / (vmax - side * v0)
                    out.append((piece, x + lam * (res.x - x)))
            return out
        n = len(x)
        norms = np.linalg.norm(AA, axis=1) if len(AA) else np.zeros(0)
        out = []
        for r, (row_r, c_r) in enumerate(rows):
            vals = [float(row @ x + c) for row, c in rows]
            margin = vals[r] - max(v for q, v in enumerate(vals) if q != r) \
                if len(rows) > 1 else 1.0
            if margin > 1e-9 * (1 + max(abs(v) for v in vals)):
                out.append((r, x))
                continue
            # maximise t: inside the region by t, and piece r ahead of the others by t
            diff = [np.r_[row - row_r, 1.0] for q, (row, _) in enumerate(rows) if q != r]
            dc = [c_r - c for q, (_, c) in enumerate(rows) if q != r]
            G = np.vstack([np.c_[AA, norms], *diff]) if len(AA) else np.vstack(diff)
            h = np.r_[bb, dc]
            res = self._lp(np.r_[np.zeros(n), -1.0], G, h,
                           [(-self.big, self.big)] * n + [(None, 1.0)])
            if res is not None and res.x[-1] > 1e-9:
                out.append((r, res.x[:n]))
        return out


# -- implementation --------------------------------------------------------------------

def _box(net: Network, radius: Any, domain: Domain | str | None, arith: Arithmetic
         ) -> Domain:
    """The box to sample: ``domain``, the effective box, or ``[-radius, radius]^n``."""
    n = net.input_dim
    if domain is not None:
        if radius is not None:
            raise TropnetError("give the radius or the domain, not both")
        dom = parse_domain(domain, n)
        if dom.kind != "box":
            raise TropnetError(f"sampling needs a box, got {dom.describe()} (use box:LO,HI "
                               f"or box:LO1,HI1;LO2,HI2;...)")
        return dom
    if isinstance(radius, str) and radius.strip().lower() == "effective":
        return effective_box(net, kind="linear", exact=arith)
    R = _radius(1 if radius is None else radius)
    return box(-R, R, n)


def _radius(radius: Any) -> Fraction | float:
    try:
        R = read_number(radius, "the radius")[0] if not isinstance(radius, float) else radius
    except NetworkError:
        raise TropnetError(f"the radius must be a positive number up to "
                           f"{float(MAX_RADIUS):g} or 'effective', got {radius!r}") from None
    if not R > 0 or (isinstance(R, float) and not math.isfinite(R)) or R > MAX_RADIUS:
        raise TropnetError(f"the radius must be a positive number up to "
                           f"{float(MAX_RADIUS):g} or 'effective', got {R}")
    return R


def _check_float_range(net: Network, radius: Any) -> None:
    """Refuse a cube on which the network's values can overflow float64: the patterns and
    the midpoint tests are evaluated in float64 in both arithmetics."""
    bits = net.magnitude_log2(radius)
    if bits > FLOAT_MAGNITUDE_LOG2:
        raise TropnetError(
            f"sampling evaluates the network in float64, and its values on the cube can "
            f"reach about 1e{int(bits * math.log10(2))} (beyond "
            f"1e{int(FLOAT_MAGNITUDE_LOG2 * math.log10(2))}); use a smaller radius, or scale "
            f"the layers' weights and biases down (positive scaling keeps the regions)")


def _pattern_codes(net: Network, X: np.ndarray, arith: Arithmetic) -> tuple[np.ndarray, int]:
    """The activation pattern of every sample as one integer row (float, then checked)."""
    h = X
    parts, near = [], np.zeros(len(X), dtype=bool)
    for layer in net.layers:
        act = layer.act
        w, b = layer.float_params
        z = h @ w.T + b
        mag = np.abs(h) @ np.abs(w).T + np.abs(b) + TINY
        if act.hyperplane:  # the pattern is the side of z = 0
            parts.append((z > 0).astype(np.int64))
            near |= np.any(np.abs(z) <= SAMPLE_TIE * mag, axis=1)
        elif act.patterned:  # the first maximal piece s_r z[u k + o_r] of every unit
            k, pieces = act.rank, act.pieces()
            zz = z.reshape(len(X), layer.out_dim, k)
            vals = np.stack([float(s) * zz[:, :, o] for o, s in pieces], axis=2)
            parts.append(vals.argmax(axis=2).astype(np.int64))
            if len(pieces) > 1:
                srt = np.sort(vals, axis=2)
                gap = srt[:, :, -1] - srt[:, :, -2]
                mm = mag.reshape(len(X), layer.out_dim, k)
                scale = np.stack([abs(float(s)) * mm[:, :, o] for o, s in pieces],
                                 axis=2).max(axis=2)
                near |= np.any(gap <= SAMPLE_TIE * scale, axis=1)
        h = act.activate_batch(z)
    codes = np.concatenate(parts, axis=1) if parts else np.zeros((len(X), 0), dtype=np.int64)
    # near-ties are recomputed in exact mode only (recomputing in float decides nothing new)
    redo = set(np.flatnonzero(near).tolist()) if arith.exact else set()
    # check one sample of every pattern against the network's own affine map
    # (affine_map converts the float sample to the arithmetic: exactly, in exact mode)
    _, first = np.unique(codes, axis=0, return_index=True)
    for i in first:
        if _encode(net, net.affine_map(X[i], arith)[2]) != tuple(codes[i]):
            redo.update(np.flatnonzero(np.all(codes == codes[i], axis=1)).tolist())
    for i in sorted(redo):
        codes[i] = _encode(net, net.affine_map(X[i], arith)[2])
    return codes, len(redo)


def _encode(net: Network, patterns: tuple) -> tuple:
    return tuple(int(v) for layer, pat in zip(net.layers, patterns, strict=True)
                 if layer.act.patterned for v in pat)


def _decode(net: Network, code: np.ndarray) -> tuple:
    """The per-layer patterns of a code (one entry per output unit of a patterned layer)."""
    out, pos = [], 0
    for layer in net.layers:
        if not layer.act.patterned:
            out.append(())
            continue
        k = layer.out_dim
        out.append(tuple(int(v) for v in code[pos:pos + k]))
        pos += k
    return tuple(out)


def _pattern_map(net: Network, patterns: tuple, arith: Arithmetic
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The affine map ``(J, c)`` of the network on the region of an activation pattern."""
    jac, off = arith.eye(net.input_dim), arith.zeros(net.input_dim)
    for layer, pat in zip(net.layers, patterns, strict=True):
        w, b = layer.params(arith)
        d = layer.pattern_matrix(pat, arith)
        jac, off = d.dot(w.dot(jac)), d.dot(w.dot(off) + b)
    return jac, off


def _clusters(net: Network, X: np.ndarray, members: np.ndarray, J: np.ndarray, c: np.ndarray,
              points: list[int]) -> tuple[int, list[int]]:
    """Midpoint clustering of the samples ``members`` (sorted) that share one affine map.

    A sample is a *representative* when its midpoint test fails with every earlier
    representative. Every sample is tested against every representative, and a
    passing test joins the two clusters (union-find), so one sample that sees two
    representatives merges their clusters. Returns the number of clusters among all
    members and, for each prefix size in ``points``, among the members below it.
    """
    Jf = np.asarray(J, dtype=float)
    cf = np.asarray(c, dtype=float)
    edges: list[tuple[int, int, int]] = []  # (time = later sample index, sample, rep)
    pending = members
    while len(pending):
        rep = int(pending[0])
        others = members[members != rep]
        if len(others):
            mids = (X[others] + X[rep]) / 2
            actual = net.forward_batch(mids)
            predicted = mids @ Jf.T + cf
            scale = 1.0 + np.abs(actual).max(axis=1) + np.abs(predicted).max(axis=1)
            passed = others[np.abs(actual - predicted).max(axis=1) <= GEOMETRY_RTOL * scale]
            edges.extend((max(int(p), rep), int(p), rep) for p in passed)
        else:
            passed = np.zeros(0, dtype=int)
        pending = pending[1:][~np.isin(pending[1:], passed)]
    edges.sort()
    parent = {int(m): int(m) for m in members}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    counts, comps, e, arrived = [], 0, 0, 0
    order = [int(m) for m in members]
    for k in [*points, len(X)]:
        while arrived < len(order) and order[arrived] < k:
            arrived += 1
            comps += 1
        while e < len(edges) and edges[e][0] < k:
            a, b = find(edges[e][1]), find(edges[e][2])
            if a != b:
                parent[a] = b
                comps -= 1
            e += 1
        counts.append(comps)
    return counts[-1], counts[:-1]


def _checkpoints(samples: int, checkpoints: Any) -> list[int]:
    if checkpoints is not None:
        pts = sorted({int(k) for k in checkpoints if 1 <= int(k) <= samples})
        return pts if pts and pts[-1] == samples else [*pts, samples]
    lo = min(samples, 10)
    pts = np.unique(np.geomspace(lo, samples, num=12).round().astype(int))
    return sorted({*pts.tolist(), samples})

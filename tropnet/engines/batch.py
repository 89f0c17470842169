"""Activation regions by LP-free splitting of all regions at once (the ``"batch"`` engine).

Every region of the first layers is a pointed cone of ``R^(n+1)`` (homogeneous points
``(t, x)``, ``t >= 0``): its extreme rays (the vertices ``(v, 1)`` and the directions
``(r, 0)`` of the region), its 2-faces (pairs of rays, the edges of the region) and, per ray,
the set of constraints it lies on. A unit's hyperplane ``h`` splits a region exactly when
rays lie strictly on both sides; then the new rays are ``h(p) q - h(q) p`` on the edges
``pq`` that change sign, and two new rays span a 2-face of a part exactly when their edges
lie on a common 3-face, i.e. share ``n - 2`` constraints (every cone stays *simple*: each
ray on exactly ``n`` constraints, because a ray is never on a splitting hyperplane, below).
One unit splits every region of a layer with a few numpy operations on the arrays of all
rays and edges (edge subdivision, Berzins 2023; the double description step of Motzkin).

Exact mode: rays are primitive integer vectors, pre-activation rows integers over one
denominator per region; every sign is exact, and a region with a ray on a hyperplane (a
degenerate net) is redone by the vertex engine's exact walk.

Certified float: rays, hyperplanes and maps are balls (:class:`~tropnet.arithmetic.Ball`
bounds), a ray's side is taken only when ``|h(r)|`` exceeds its error bound; a region of a
layer where some ray's side is uncertain, or zero (a degenerate net), is redone from the
start of that layer by the walk of the vertex engine
(:class:`~tropnet.engines.enumerate.Walk`, which handles ties and decides uncertain signs
exactly). So the count is exact.

The engine runs on ``R^n`` (the first layer's hyperplanes must have rank ``n``: its root
cones are the ``2^n`` simplicial cells of ``n`` independent ones) and on boxes, for ReLU,
leaky ReLU and identity layers; :func:`batch_support` says why not otherwise.
Regions are split layer by layer, the regions of a layer in chunks of :data:`CHUNK`
(depth first), so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.linalg

from ..arithmetic import EXACT, FLOAT, TINY, Arithmetic, Ball, gamma, pad_radius
from ..domain import Domain
from ..limits import check_memory, check_time
from ..network import Network
from ..polyhedra import Polyhedron
from ..progress import active, step, tracked
from ..span import solve_exact
from .cones import primitive
from .patterns import read_in, warn_exact_fallback, warn_small_margin
from .result import Region

__all__ = ["CHUNK", "FirstLayer", "batch_count", "batch_first_layer", "batch_piece_count",
           "batch_regions", "batch_support"]

#: regions of a layer split together; the next layer takes them in chunks of this size
CHUNK = 4096
#: input dimensions above this are refused (the root is 2^n cones or box corners)
MAX_INPUTS = 12
#: a side taken with a smaller relative margin gets the near-degeneracy warning
BAND = FLOAT.tol * FLOAT.band_high


def batch_support(net: Network, domain: Domain, arith: Arithmetic) -> str | None:
    """Why the batch engine cannot run on ``net``, ``domain`` in ``arith`` (``None``: it can).

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic.
    """
    if domain.kind not in ("rn", "box"):
        return "it runs on R^n and boxes only"
    if net.input_dim > MAX_INPUTS:
        return f"it starts from 2^n root cones: at most {MAX_INPUTS} inputs"
    for layer in net.layers:
        if layer.act.patterned and not layer.act.hyperplane:
            return "it splits by hyperplanes only (no maxout layers)"
    if domain.kind == "rn":
        first = net.layers[0]
        if not first.act.patterned:
            return "on R^n its first layer must be ReLU or leaky ReLU"
        if _independent_units(first.params(EXACT)[0]) is None:
            return "on R^n the first layer's hyperplanes must have full rank"
    return None


@dataclass(frozen=True, eq=False)
class _Cells:
    """Regions as cones, with the pre-activation rows of the layer being split.

    ``mid``/``rad`` (m, n+1): the rays (balls; exact mode: integers, ``rad`` None);
    ``tight`` (m, words): bit sets of the
    constraints each ray lies on; ``owner`` (m,): each ray's region; ``edges`` (E, 2): pairs
    of rays spanning a 2-face; ``start`` (N,): each region's region at the start of the
    layer, whose pre-activation rows are ``zmid``/``zrad`` (S, width, n+1; exact mode:
    integers over the denominators ``zden`` (S,), ``zrad`` None); ``bits``
    (N, width): the layer's pattern so far; ``anc`` (N, layers): the region's region at the
    start of every layer (index into :attr:`_Frame.zmid`), ``hist`` (N, units): the
    patterns of the layers before.
    """

    mid: np.ndarray
    rad: np.ndarray
    tight: np.ndarray
    owner: np.ndarray
    edges: np.ndarray
    start: np.ndarray
    zmid: np.ndarray
    zrad: np.ndarray
    bits: np.ndarray
    anc: np.ndarray
    hist: np.ndarray
    zden: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.start)


# -- ball arithmetic on rows ------------------------------------------------------------
def _dots(hm: np.ndarray, hr: np.ndarray, rm: np.ndarray, rr: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ``h . r`` of balls: midpoints and rigorous radii."""
    d = hm.shape[1]
    prod = hm * rm
    mid = prod.sum(axis=1)
    rad = (np.abs(hm) * rr + hr * (np.abs(rm) + rr)).sum(axis=1) + \
        gamma(d) * np.abs(prod).sum(axis=1)
    return mid, pad_radius(rad, 3 * d + 2)


def _sides(hm: np.ndarray, hr: np.ndarray | None, rm: np.ndarray, rr: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """``h(r)`` per row: values, radii (``None``: exact integers), and where it is certainly
    positive and certainly negative."""
    if rr is None:
        v = (hm * rm).sum(axis=1)
        return v, None, v > 0, v < 0
    vm, vr = _dots(hm, hr, rm, rr)  # type: ignore[arg-type]
    return vm, vr, vm > vr, -vm > vr


def _combine(vp: tuple, rq: tuple, vq: tuple, rp: tuple
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """The rays ``h(p) q - h(q) p`` (``h(p) > 0 > h(q)``): balls scaled by powers of two to
    a largest entry in ``[1/2, 1)`` (exact scaling), or primitive integer vectors."""
    if vp[1] is None:
        mid = vp[0][:, None] * rq[0] - vq[0][:, None] * rp[0]
        return mid // np.gcd.reduce(mid, axis=1)[:, None], None
    a, b = vp[0][:, None] * rq[0], vq[0][:, None] * rp[0]
    mid = a - b
    rad = (np.abs(vp[0])[:, None] * rq[1] + vp[1][:, None] * (np.abs(rq[0]) + rq[1])
           + np.abs(vq[0])[:, None] * rp[1] + vq[1][:, None] * (np.abs(rp[0]) + rp[1])
           + gamma(2) * (np.abs(a) + np.abs(b)))
    return _normalised(mid, pad_radius(rad, 8))


def _normalised(mid: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of balls scaled by powers of two to a largest entry in ``[1/2, 1)``."""
    ball = Ball(mid, rad).normalised()
    return ball.mid, ball.rad


#: new rays are computed from their constraints (cofactors) up to this cone dimension n+1,
NULL_MAX_D = 5
#: when the combination's relative radius exceeds this (errors add up along the splits)
DRIFT = 2.0**-30


def _det(M: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, ...]:
    """Determinants of balls ``(k, m, m)`` by Laplace expansion along the first row:
    midpoints, a rigorous bound of the error due to the radii, the permanent of ``|M|``
    (for the round-off) and the permanent of ``|M| + R`` (bounding ``|det|``)."""
    m = M.shape[1]
    if m == 1:
        a, r = M[:, 0, 0], R[:, 0, 0]
        return a, r, np.abs(a), np.abs(a) + r
    det = err = per = big = 0.0
    for j in range(m):
        cols = [i for i in range(m) if i != j]
        d, e, p, q = _det(M[:, 1:, cols], R[:, 1:, cols])
        a, r = M[:, 0, j], R[:, 0, j]
        det = det + (a * d if j % 2 == 0 else -(a * d))
        err = err + np.abs(a) * e + r * q
        per = per + np.abs(a) * p
        big = big + (np.abs(a) + r) * q
    return det, err, per, big


def _null_rays(rows: tuple[np.ndarray, np.ndarray], mid: np.ndarray, rad: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rays spanning the null spaces of ``n x (n+1)`` constraint rows (balls), by
    cofactors, oriented like the rays ``mid``/``rad`` (balls on the same lines); their
    errors do not add up along the splits that made them. Also where the orientation is
    uncertain."""
    A, R = rows
    k, m, d = A.shape
    outm, outr = np.empty((k, d)), np.empty((k, d))
    for i in range(d):
        cols = [j for j in range(d) if j != i]
        det, err, per, _ = _det(A[:, :, cols], R[:, :, cols])
        outm[:, i] = det if i % 2 == 0 else -det
        outr[:, i] = pad_radius(err + gamma(m * m + 2 * m) * per, 4 * m * m)
    sm, sr = _dots(outm, outr, mid, rad)
    sign = np.where(sm > 0, 1.0, -1.0)[:, None]
    outm, outr = _normalised(sign * outm, outr)
    return outm, outr, ~(np.abs(sm) > sr)


def _pairs(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs ``i < j`` with ``groups[i] == groups[j]`` (``groups`` sorted)."""
    n = len(groups)
    end = np.searchsorted(groups, groups, side="right")
    cnt = end - np.arange(n) - 1
    i = np.repeat(np.arange(n), cnt)
    offs = np.arange(len(i)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return i, i + 1 + offs


def _bit(ident: int, words: int) -> np.ndarray:
    out = np.zeros(words, dtype=np.uint64)
    out[ident // 64] = np.uint64(1) << np.uint64(ident % 64)
    return out


# -- splitting ---------------------------------------------------------------------------
def _drop(c: _Cells, keep: np.ndarray) -> _Cells:
    """The cells without the regions where ``keep`` is false."""
    new = np.cumsum(keep) - 1
    rays = keep[c.owner]
    ray_new = np.cumsum(rays) - 1
    edges = c.edges[rays[c.edges[:, 0]]]
    return replace(c, mid=c.mid[rays], rad=None if c.rad is None else c.rad[rays],
                   tight=c.tight[rays],
                   owner=new[c.owner[rays]], edges=ray_new[edges], start=c.start[keep],
                   bits=c.bits[keep], anc=c.anc[keep], hist=c.hist[keep])


def _split(c: _Cells, unit: int, hbit: np.ndarray, d: int, rows: Callable | None = None
           ) -> tuple[_Cells, np.ndarray, np.ndarray, float]:
    """Split every region by unit ``unit``'s hyperplane; returns the parts, the starts
    (indices into the layer's start regions) whose regions have a ray on the hyperplane or
    of uncertain side (their regions are dropped: the caller redoes them), those of the
    latter kind, and the smallest relative margin ``|h(r)| / max |h_i|`` of a side taken.
    ``rows(c, regions, tight)`` gives the constraint rows of new rays (balls, ``(k, n, n+1)``)
    when the new rays are to be computed from them (:func:`_null_rays`)."""
    N = c.count
    at = c.start[c.owner]
    hm = c.zmid[at, unit]
    vm, vr, pos, neg = _sides(hm, None if c.zrad is None else c.zrad[at, unit], c.mid, c.rad)
    margin = np.inf
    if vr is not None:  # rays have a largest entry in [1/2, 1): scale by h's largest
        sure = pos | neg
        scale = np.abs(hm[sure]).max(axis=1, initial=0.0)
        margin = float((np.abs(vm[sure]) / np.maximum(scale, TINY)).min(initial=np.inf))
    npos = np.bincount(c.owner, pos, N)
    nneg = np.bincount(c.owner, neg, N)
    off = npos + nneg < np.bincount(c.owner, minlength=N)
    if off.any():  # a ray on the hyperplane, or of uncertain side
        unsure = np.zeros(N, dtype=bool) if vr is None else \
            np.bincount(c.owner, ~pos & ~neg & ((vm != 0) | (vr != 0)), N) > 0
        bad, uncertain = np.unique(c.start[off]), np.unique(c.start[unsure])
        rest, more, more_uncertain, _ = _split(_drop(c, ~np.isin(c.start, bad)), unit, hbit, d,
                                               rows)
        return rest, np.union1d(bad, more), np.union1d(uncertain, more_uncertain), margin
    cross = (npos > 0) & (nneg > 0)
    twice = 1 + cross
    first = np.cumsum(twice) - twice
    second = first + cross
    owner = np.where(pos, first[c.owner], second[c.owner])
    ea, eb = c.edges[:, 0], c.edges[:, 1]
    cut = (pos[ea] != pos[eb]) & cross[c.owner[ea]]
    p = np.where(pos[ea], ea, eb)[cut]
    q = np.where(pos[ea], eb, ea)[cut]
    exact = vr is None
    nm, nr = _combine((vm[p], None if exact else vr[p]), (c.mid[q], None if exact else c.rad[q]),
                      (vm[q], None if exact else vr[q]), (c.mid[p], None if exact else c.rad[p]))
    face = c.tight[p] & c.tight[q]
    reg = c.owner[p]
    drift = np.zeros(len(p), dtype=bool) if nr is None else \
        nr.max(axis=1, initial=0.0) > DRIFT * np.abs(nm).max(axis=1, initial=0.0)
    if rows is not None and drift.any():  # recompute from the ray's constraints
        sel = np.flatnonzero(drift)
        nm[sel], nr[sel], lost = _null_rays(rows(c, reg[sel], face[sel] | hbit), nm[sel],
                                            nr[sel])
        if lost.any():  # orientation uncertain: redo those regions as uncertain ones
            bad = np.unique(c.start[reg[sel[lost]]])
            rest, more, more_uncertain, _ = _split(_drop(c, ~np.isin(c.start, bad)), unit,
                                                   hbit, d, rows)
            return rest, np.union1d(bad, more), np.union1d(bad, more_uncertain), margin
    order = np.argsort(reg, kind="stable")
    i, j = _pairs(reg[order])
    i, j = order[i], order[j]
    if d >= 3:
        shared = np.bitwise_count(face[i] & face[j]).sum(axis=1, dtype=np.int64)
        i, j = i[shared >= d - 3], j[shared >= d - 3]
    m, k = len(c.owner), len(p)
    new = np.arange(k)
    edges = np.concatenate([c.edges[~cut], np.stack([p, m + new], axis=1),
                            np.stack([q, m + k + new], axis=1),
                            np.stack([m + i, m + j], axis=1),
                            np.stack([m + k + i, m + k + j], axis=1)])
    src = np.repeat(np.arange(N), twice)
    bits = c.bits[src]
    bits[first, unit] = npos > 0
    bits[second[cross], unit] = False
    tight = face | hbit
    return _Cells(np.concatenate([c.mid, nm, nm]),
                  None if nr is None else np.concatenate([c.rad, nr, nr]),
                  np.concatenate([c.tight, tight, tight]),
                  np.concatenate([owner, first[reg], second[reg]]), edges, c.start[src],
                  c.zmid, c.zrad, bits, c.anc[src], c.hist[src], c.zden), _NONE, _NONE, margin


_NONE = np.zeros(0, dtype=np.int64)


# -- roots ---------------------------------------------------------------------------------
def _independent_units(W: np.ndarray) -> list[int] | None:
    """``n`` units whose weight rows are linearly independent (exactly), or ``None``."""
    Wf = np.asarray(W, dtype=float)
    n = Wf.shape[1]
    if Wf.shape[0] < n:
        return None
    piv = scipy.linalg.qr(Wf.T, pivoting=True, mode="r")[1]
    units = sorted(int(u) for u in piv[:n])
    try:
        solve_exact([list(W[u]) for u in units], [[0]] * n)
    except ZeroDivisionError:
        return None
    return units


def _ball(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = Ball.of(np.asarray(values, dtype=object))
    return b.mid, b.rad


def _rays(rays: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Rational rays as primitive integer vectors (exact) or normalised balls."""
    if exact:
        return primitive(np.array([EXACT.scaled(r).num for r in rays], dtype=object)
                         .reshape(rays.shape)), None
    return _normalised(*_ball(rays))


def _rn_root(W: np.ndarray, b: np.ndarray, units: list[int], first_id: int, words: int,
             exact: bool
             ) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``2^n`` simplicial cones of the units' hyperplanes (and ``t >= 0``, constraint 0):
    rays, radii, tight sets, owners, edges, and the units' sides (1: positive) per cone."""
    n = W.shape[1]
    d = n + 1
    C = [[1] + [0] * n] + [[b[u], *W[u]] for u in units]
    inv = solve_exact(C, [[int(i == j) for j in range(d)] for i in range(d)])
    # column 0: the common point (t = 1); column k: a direction (t = 0)
    cols = np.array([[inv[r][k] for r in range(d)] for k in range(d)], dtype=object)
    cones = 1 << n
    signs = np.array([[1 if (s >> k) & 1 else -1 for k in range(n)] for s in range(cones)])
    rays = np.array([[cols[0], *(cols[k + 1] * sg[k] for k in range(n))] for sg in signs],
                    dtype=object).reshape(cones * d, d)
    mid, rad = _rays(rays, exact)
    ids = [0, *(first_id + u for u in units)]  # ray k is off constraint ids[k] only
    masks = np.zeros((d, words), dtype=np.uint64)
    for k in range(d):
        for other in ids[:k] + ids[k + 1:]:
            masks[k] |= _bit(other, words)
    tight = np.tile(masks, (cones, 1))
    owner = np.repeat(np.arange(cones), d)
    a, c = np.triu_indices(d, 1)
    edges = (np.arange(cones)[:, None, None] * d + np.stack([a, c], axis=1)[None]).reshape(-1, 2)
    return mid, rad, tight, owner, edges, signs > 0


def _box_root(dom: Domain, words: int, exact: bool
              ) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray]:
    """The cone of a box: its vertices ``(1, v)``, tight on ``lo_i`` (id ``i``) or ``hi_i``
    (id ``n + i``), and its edges (vertices that differ in one coordinate)."""
    n = len(dom.lo)
    corners = np.array([[(s >> i) & 1 for i in range(n)] for s in range(1 << n)])
    rays = np.array([[Fraction(1), *(dom.hi[i] if c[i] else dom.lo[i] for i in range(n))]
                     for c in corners], dtype=object)
    mid, rad = _rays(rays, exact)
    tight = np.zeros((len(corners), words), dtype=np.uint64)
    for s, c in enumerate(corners):
        for i in range(n):
            tight[s] |= _bit(n * int(c[i]) + i, words)
    a, e = np.nonzero(np.bitwise_count(np.arange(1 << n)[:, None] ^ np.arange(1 << n)[None])
                      == 1)
    edges = np.stack([a[a < e], e[a < e]], axis=1)
    return mid, rad, tight, np.zeros(len(corners), dtype=np.int64), edges


# -- the walk ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Plan:
    """The network read for the batch engine: per layer ``[b, W]`` (balls; exact: integers
    and their denominator), the slopes ``(off, on)`` (balls; exact: integers and their
    denominator), whether it splits, the first constraint id of its units and the offset of
    its pattern in the history; the words of the constraint bit sets, ``n + 1``."""

    net: Network
    dom: Domain
    lifts: tuple
    slopes: tuple
    splits: tuple
    ids: tuple
    offsets: tuple
    words: int
    d: int
    exact: bool


def _plan(net: Network, dom: Domain, exact: bool) -> _Plan:
    n = net.input_dim
    lifts, slopes, splits, ids, offsets = [], [], [], [], []
    ident = 2 * n if dom.kind == "box" else 1
    offset = 0
    for layer in net.layers:
        W, b = layer.params(EXACT)
        lift = np.concatenate([np.asarray(b, dtype=object)[:, None],
                               np.asarray(W, dtype=object)], axis=1)
        split = layer.act.patterned
        pieces = layer.act.pieces() if split else ((0, Fraction(1)), (0, Fraction(1)))
        slope = np.array([pieces[0][1], pieces[1][1]], dtype=object)
        if exact:
            lifted, scaled = EXACT.scaled(lift), EXACT.scaled(slope)
            lifts.append((lifted.num, lifted.den))
            slopes.append((scaled.num, scaled.den))
        else:
            lifts.append(_ball(lift))
            slopes.append(_ball(slope))
        splits.append(split)
        ids.append(ident)
        offsets.append(offset)
        if split:
            ident += layer.out_dim
            offset += layer.out_dim
    return _Plan(net, dom, tuple(lifts), tuple(slopes), tuple(splits), tuple(ids),
                 tuple(offsets), max(1, -(-ident // 64)), n + 1, exact)


def _output(plan: _Plan, index: int, zmid: np.ndarray, zrad: np.ndarray, bits: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Layer ``index``'s output rows from its pre-activation rows and pattern: balls, or
    (exact) integers over per-region denominators (``zrad`` holds the denominators)."""
    if plan.exact:
        (off, on), den = plan.slopes[index]
        return np.where(bits, on, off)[:, :, None] * zmid, zrad * den
    (off, on), (roff, ron) = plan.slopes[index]
    s = np.where(bits, on, off)[:, :, None]
    sr = np.where(bits, ron, roff)[:, :, None]
    mid = s * zmid
    rad = np.abs(s) * zrad + sr * (np.abs(zmid) + zrad)
    rounded = (s != 0) & (s != 1)
    rad = rad + np.where(rounded, gamma(1) * np.abs(mid), 0.0)
    return mid, pad_radius(rad, 4)


def _next_rows(plan: _Plan, index: int, amid: np.ndarray, arad: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Layer ``index``'s pre-activation rows ``[b, W] @ [e_0; A]``: balls, or (exact)
    integers over per-region denominators (``arad`` holds the denominators)."""
    wm, wr = plan.lifts[index]
    N, _, d = amid.shape
    if plan.exact:
        e0 = np.zeros((N, 1, d), dtype=object)
        e0[:, 0, 0] = arad
        num, den = wm @ np.concatenate([e0, amid], axis=1), arad * wr
        g = np.gcd(np.gcd.reduce(num.reshape(N, -1), axis=1), den)
        return num // g[:, None, None], den // g
    e0 = np.zeros((N, 1, d))
    e0[:, 0, 0] = 1.0
    am = np.concatenate([e0, amid], axis=1)
    ar = np.concatenate([np.zeros((N, 1, d)), arad], axis=1)
    k = wm.shape[1]
    mid = wm @ am
    rad = np.abs(wm) @ ar + wr @ (np.abs(am) + ar) + gamma(k) * (np.abs(wm) @ np.abs(am))
    return mid, pad_radius(rad, 2 * k + 2)


class _Run:
    """One run of the batch engine: splits layer by layer, hands the regions of the last
    layer to ``emit`` and redoes the start regions of a layer where a ray is on a
    hyperplane or of uncertain side by the walk of the vertex engine (which handles ties
    and decides uncertain signs exactly); its last-layer items go to ``emit_item``."""

    def __init__(self, plan: _Plan, arith: Arithmetic, emit: Callable[[_Cells, list], None],
                 emit_item: Callable[[Any, Any], None], make_walk: Callable[[], Any],
                 skip: frozenset, progress: Callable[[int], None] | None) -> None:
        self.plan, self.arith, self.emit, self.emit_item = plan, arith, emit, emit_item
        self.make_walk, self.skip = make_walk, skip  # skip: units the root cones decide
        self.frames: list = []  # per layer: (zmid, zrad) of its start regions
        self.walk: Any = None
        self.uncertain = 0
        self.margin = np.inf  # the smallest relative margin of a sign taken
        self.done = [0] * len(plan.splits)  # regions found after each layer
        self.progress = progress
        self.last = len(plan.splits) - 1  # the layer whose regions go to ``emit``
        if plan.dom.kind == "box":
            box = read_in(plan.dom, arith)
            self.box = (np.array([float(v) for v in box.lo]),
                        np.array([float(v) for v in box.hi]))

    def walk_from(self, root: _Cells, index: int = 0) -> None:
        """Split the cells at the start of layer ``index`` by it and every later layer,
        depth first: the regions of a layer go on to the next a chunk of :data:`CHUNK` at a
        time (an explicit stack: any depth)."""
        stack = [(index, root)]
        while stack:
            index, c = stack.pop()
            c = self.layer(index, c)
            if not c.count:
                continue
            if index == self.last:
                self.emit(c, self.frames)
                continue
            parts = [c] if c.count <= CHUNK else \
                [_drop(c, _mask(c.count, lo, lo + CHUNK)) for lo in range(0, c.count, CHUNK)]
            stack.extend((index + 1, self.advance(index, part)) for part in reversed(parts))

    def layer(self, index: int, c: _Cells) -> _Cells:
        """Split ``c`` (regions at the start of layer ``index``) by the layer's units."""
        plan = self.plan
        self.frames[index:] = [(c.zmid, c.zrad)]
        hist, what = c.hist, "enumerating activation regions"

        def known() -> dict:  # disjoint regions, each holding at least one final region
            return {"lower_bound": max(*self.done, self.done[index] + c.count),
                    "lower_bound_of": "activation regions", "layers_done": index}

        check_memory(what, "count on a smaller box, or use the MILP bound (tropnet mipbound) "
                     "or the sampling estimate (tropnet sample)", partial=known)
        width = c.zmid.shape[1] if plan.splits[index] else 0
        for unit in range(width):
            if index == 0 and unit in self.skip:
                continue
            check_time(what, known)
            if active():
                step(f"layer {index + 1} of {len(plan.splits)}", self.done[index] + c.count,
                     None, "regions", f"unit {unit + 1} of {width}")
            c, bad, unsure, margin = _split(
                c, unit, _bit(plan.ids[index] + unit, plan.words), plan.d,
                self.rows if plan.d <= NULL_MAX_D and not plan.exact else None)
            if len(unsure) and not self.fallbacks:
                warn_exact_fallback()
            if margin <= BAND < self.margin:
                warn_small_margin(margin)
            self.margin = min(self.margin, margin)
            self.uncertain += len(unsure)
            for s in bad:
                self.redo(index, hist[s])
        self.done[index] += c.count
        if index == 0 and self.progress is not None:
            self.progress(self.done[0])
        return c

    def rows(self, c: _Cells, regions: np.ndarray, tight: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        """The rows ``(k, n, n+1)`` (balls) of the ``n`` constraints in each bit set
        ``tight`` of the cells ``regions``: domain facets, units of this layer and before."""
        plan, d = self.plan, self.plan.d
        flags = np.unpackbits(tight.astype("<u8").view(np.uint8), axis=1, bitorder="little")
        reg, ids = np.nonzero(flags)
        reg = regions[reg]
        mid, rad = np.zeros((len(ids), d)), np.zeros((len(ids), d))
        if plan.dom.kind == "rn":
            mid[ids == 0, 0] = 1.0  # t >= 0
        else:
            n = d - 1
            sel = np.flatnonzero(ids < 2 * n)
            axis, upper = ids[sel] % n, ids[sel] >= n
            mid[sel, 0] = np.where(upper, self.box[1][axis], -self.box[0][axis])
            mid[sel, 1 + axis] = np.where(upper, -1.0, 1.0)
        for index in range(len(self.frames)):
            if not plan.splits[index]:
                continue
            first = plan.ids[index]
            sel = np.flatnonzero((ids >= first) & (ids < first + self.frames[index][0].shape[1]))
            at = (c.anc[reg[sel], index], ids[sel] - first)
            mid[sel], rad[sel] = self.frames[index][0][at], self.frames[index][1][at]
        return mid.reshape(len(regions), d - 1, d), rad.reshape(len(regions), d - 1, d)

    def advance(self, index: int, c: _Cells) -> _Cells:
        """The cells at the start of layer ``index + 1``: its pre-activation rows per region,
        and layer ``index``'s pattern moved into the history."""
        amid, arad = _output(self.plan, index, c.zmid[c.start], _second(c)[c.start], c.bits)
        zmid, zrad = _next_rows(self.plan, index + 1, amid, arad)
        N = c.count
        anc = c.anc.copy()
        anc[:, index + 1] = np.arange(N)
        hist = c.hist
        if self.plan.splits[index]:
            hist = hist.copy()
            o = self.plan.offsets[index]
            hist[:, o:o + c.bits.shape[1]] = c.bits
        exact = self.plan.exact
        return replace(c, start=np.arange(N), zmid=zmid, zrad=None if exact else zrad,
                       zden=zrad if exact else None,
                       bits=np.zeros((N, zmid.shape[1]), dtype=bool), anc=anc, hist=hist)

    def redo(self, index: int, hist: np.ndarray) -> None:
        """Redo a region at the start of layer ``index`` (its patterns of the layers before
        in ``hist``) and all its descendants with the exact-fallback walk."""
        plan = self.plan
        if self.walk is None:
            self.walk = self.make_walk()
        pats = _patterns(plan, hist)[:index]
        item = self.walk.exact_item(pats)
        stack = [(index, item if self.arith.exact else self.walk.to_balls(item))]
        while stack:
            level, item = stack.pop()
            if level > index:
                self.done[level - 1] += 1
            if level == len(plan.splits):
                self.emit_item(self.walk, item)
                continue
            stack.extend((level + 1, child) for child in self.walk.children(level, item))

    @property
    def fallbacks(self) -> int:
        """Start regions redone because a side was uncertain (decided exactly by the
        redo), plus the walk's own exact decisions."""
        return self.uncertain + (self.walk.fallbacks if self.walk is not None else 0)


def _second(c: _Cells) -> np.ndarray:
    """The rows' radii (balls) or denominators (exact)."""
    return c.zden if c.zrad is None else c.zrad  # type: ignore[return-value]


def _mask(n: int, lo: int, hi: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[lo:hi] = True
    return out


def _patterns(plan: _Plan, hist: np.ndarray) -> tuple:
    """The pattern tuples of one history row (``()`` for identity layers)."""
    row = hist.tolist()
    return tuple(tuple(int(v) for v in row[o:o + w]) if s else ()
                 for o, s, w in zip(plan.offsets, plan.splits,
                                    (layer.out_dim for layer in plan.net.layers), strict=True))


def _start(plan: _Plan, arith: Arithmetic) -> tuple[_Cells, frozenset]:
    """The root cells (one start region: the whole domain) and the first-layer units they
    decide."""
    words = plan.words
    layer = plan.net.layers[0]
    width, layers = layer.out_dim, len(plan.net.layers)
    units: list[int] = []
    if plan.dom.kind == "rn":
        W, b = layer.params(EXACT)
        units = _independent_units(W) or []
        mid, rad, tight, owner, edges, sides = _rn_root(W, b, units, plan.ids[0], words,
                                                        plan.exact)
        bits = np.zeros((len(sides), width), dtype=bool)
        bits[:, units] = sides
    else:
        mid, rad, tight, owner, edges = _box_root(read_in(plan.dom, arith), words, plan.exact)
        bits = np.zeros((1, width), dtype=bool)
    N = len(bits)
    zmid, zrad = plan.lifts[0]
    zden = None
    if plan.exact:
        zden, zrad = np.array([zrad], dtype=object), None
    else:
        zrad = zrad[None]
    units_total = plan.offsets[-1] + (plan.net.layers[-1].out_dim if plan.splits[-1] else 0)
    cells = _Cells(mid, rad, tight, owner, edges, np.zeros(N, dtype=np.int64), zmid[None],
                   zrad, bits, np.zeros((N, layers), dtype=np.int64),
                   np.zeros((N, units_total), dtype=bool), zden)
    return cells, frozenset(units)


def _full_history(plan: _Plan, c: _Cells) -> np.ndarray:
    """Every layer's pattern of the last layer's regions."""
    hist = c.hist
    if plan.splits[-1]:
        hist = hist.copy()
        hist[:, plan.offsets[-1]:] = c.bits
    return hist


def _regions(plan: _Plan, arith: Arithmetic, c: _Cells, frames: list) -> list[Region]:
    """The :class:`~tropnet.Region` objects of the last layer's cells: polyhedron (the
    facets, from the rays' constraints), map, interior point (not yet checked), patterns
    and map error bounds."""
    N, n, L = c.count, plan.d - 1, len(plan.splits)
    if not N:
        return []
    amid, arad = _output(plan, L - 1, c.zmid[c.start], _second(c)[c.start], c.bits)
    hist = _full_history(plan, c)
    order = np.argsort(c.owner, kind="stable")
    heads = np.searchsorted(c.owner[order], np.arange(N))
    union = np.bitwise_or.reduceat(c.tight[order], heads, axis=0)
    flags = np.unpackbits(union.astype("<u8").view(np.uint8), axis=1, bitorder="little")
    reg, ids = np.nonzero(flags)
    A, b, owners = [], [], []
    if plan.dom.kind == "box":
        box = read_in(plan.dom, arith)
        lo, hi = (np.array(v, dtype=object) if plan.exact else np.array([float(x) for x in v])
                  for v in (box.lo, box.hi))
        sel = ids < 2 * n
        axis, upper = ids[sel] % n, ids[sel] >= n
        rows = np.zeros((int(sel.sum()), n), dtype=object if plan.exact else float)
        rows[np.arange(len(axis)), axis] = np.where(upper, 1, -1)
        A.append(rows)
        b.append(np.where(upper, hi[axis], -lo[axis]))
        owners.append(reg[sel])
    for index in range(L):
        if not plan.splits[index]:
            continue
        first, width = plan.ids[index], plan.net.layers[index].out_dim
        sel = (ids >= first) & (ids < first + width)
        r, unit = reg[sel], ids[sel] - first
        z = frames[index][0][c.anc[r, index], unit]
        on = hist[r, plan.offsets[index] + unit]
        sign = np.where(on, -1, 1)
        A.append(sign[:, None] * z[:, 1:])
        b.append(-sign * z[:, 0])
        owners.append(r)
    allA, allb, who = np.concatenate(A), np.concatenate(b), np.concatenate(owners)
    by = np.argsort(who, kind="stable")
    cuts = np.searchsorted(who[by], np.arange(1, N))
    As, bs = np.split(allA[by], cuts), np.split(allb[by], cuts)
    if plan.exact:
        points = _exact_points(c)
        maps = _FRACTION(amid, arad[:, None, None])
        errors = [None] * N
    else:
        v = np.stack([np.bincount(c.owner, c.mid[:, k], N) for k in range(plan.d)], axis=1)
        points = v[:, 1:] / v[:, :1]
        maps = amid
        errors = list(np.concatenate([arad[:, :, 1:].reshape(N, -1), arad[:, :, 0]], axis=1))
    return [Region((Polyhedron.from_inequalities(As[i], bs[i], arith, n),), maps[i, :, 1:],
                   maps[i, :, 0], points[i], _patterns(plan, hist[i]), errors[i])
            for i in tracked(range(N), "building regions", "regions", 256)]


#: ``Fraction(p, q)`` entrywise on object arrays
_FRACTION = np.frompyfunc(Fraction, 2, 1)


def _exact_points(c: _Cells) -> np.ndarray:
    """Exact interior points: per region the sum of its integer rays, each shifted left to
    the region's largest bit length (a positive combination of all of them, so inside),
    dehomogenised."""
    N = c.count
    sizes = np.array([max(abs(int(v)) for v in r).bit_length() for r in c.mid], dtype=np.int64)
    top = np.zeros(N, dtype=np.int64)
    np.maximum.at(top, c.owner, sizes)
    shift = np.array([1 << int(k) for k in top[c.owner] - sizes], dtype=object)
    v = np.zeros((N, c.mid.shape[1]), dtype=object)
    np.add.at(v, c.owner, c.mid * shift[:, None])
    return _FRACTION(v[:, 1:], v[:, :1])


def _run(plan: _Plan, arith: Arithmetic, emit: Callable[[_Cells, list], None],
         emit_item: Callable[[Any, Any], None], make_walk: Callable[[], Any],
         progress: Callable[[int], None] | None, count_only: bool = False) -> _Run:
    cells, skip = _start(plan, arith)
    run = _Run(plan, arith, emit, emit_item, make_walk, skip, progress)
    if count_only:  # layers after the last splitting one (identity) change no region
        run.last = _last_split(plan)
    run.walk_from(cells)
    return run


def batch_regions(net: Network, dom: Domain, arith: Arithmetic, make_walk: Callable[[], Any],
                  progress: Callable[[int], None] | None = None) -> tuple[list[Region], int]:
    """The activation regions of ``net`` on ``dom`` (interior points not yet checked) and
    the number of exact fallbacks; :func:`batch_support` must say ``None``.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain (``R^n`` or a box).
    arith : Arithmetic
        The arithmetic (exact integers, or certified float).
    make_walk : callable
        Makes the vertex engine's :class:`~tropnet.engines.enumerate.Walk` that redoes a
        region where a side is zero or uncertain.
    progress : callable or None, default None
        Called with the number of regions found after each layer.
    """
    plan = _plan(net, dom, arith.exact)
    found: list[Region] = []
    run = _run(plan, arith, lambda c, frames: found.extend(_regions(plan, arith, c, frames)),
               lambda walk, item: found.append(walk.region(item)), make_walk, progress)
    _report(run, len(found))
    return found, run.fallbacks


def _report(run: _Run, total: int) -> None:
    """Call the progress callback for the layers after the first (their totals are known
    once the depth-first walk is over)."""
    if run.progress is not None:  # layers after ``run.last`` (identity) keep the regions
        for index in range(1, len(run.done)):
            run.progress(run.done[index] if index < min(run.last, len(run.done) - 1)
                         else total)


@dataclass(frozen=True, eq=False)
class FirstLayer:
    """The first layer's regions of a batch count, cut into pieces that count on their own
    (:func:`batch_first_layer`, :func:`batch_piece_count`).

    Attributes
    ----------
    plan : _Plan
        The network read for the batch engine.
    frame : tuple
        The first layer's pre-activation rows (balls, or integers in exact mode).
    pieces : tuple
        The pieces: cells of first-layer regions.
    counted : int
        Regions counted already (when only the first layer splits).
    fallbacks : int
        Exact fallbacks made so far.
    """

    plan: _Plan
    frame: tuple
    pieces: tuple
    counted: int
    fallbacks: int


class _Counter:
    """Counts the regions a run hands on (as cells, or as the walk's items)."""

    def __init__(self) -> None:
        self.total = 0

    def cells(self, c: _Cells, frames: list) -> None:
        self.total += c.count

    def item(self, walk: Any, item: Any) -> None:
        self.total += 1


def _last_split(plan: _Plan) -> int:
    """The last layer that splits (0 when none does)."""
    return max((i for i, split in enumerate(plan.splits) if split), default=0)


class _Degenerate(Exception):
    """A first-layer region met a ray on a hyperplane or of uncertain side."""


def _refuse(index: int, hist: np.ndarray) -> None:
    raise _Degenerate


def batch_first_layer(net: Network, dom: Domain, arith: Arithmetic,
                      make_walk: Callable[[], Any], pieces: int) -> FirstLayer | None:
    """Split the domain by the first layer (as :func:`batch_count`) and cut its regions into
    about ``pieces`` pieces of similar size (a fixed shuffle first: the crowded middle of
    the first layer is shared out); each piece then counts alone (:func:`batch_piece_count`,
    e.g. as a task on a Dask worker). ``None`` when the first layer would have to be redone
    by the vertex engine's walk (a degenerate or nearly degenerate first layer, and more
    layers after it): that walk is the whole count, and better run as the caller's walk.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain (``R^n`` or a box).
    arith : Arithmetic
        The arithmetic.
    make_walk : callable
        Makes the vertex engine's walk that redoes a region where a side is zero or
        uncertain.
    pieces : int
        The number of pieces wanted.
    """
    counted = _Counter()
    plan = _plan(net, dom, arith.exact)
    cells, skip = _start(plan, arith)
    run = _Run(plan, arith, lambda c, frames: None, counted.item, make_walk, skip, None)
    last = _last_split(plan)
    if last > 0:  # a first layer to redo is the whole net: no pieces, the caller decides
        run.redo = _refuse  # type: ignore[method-assign]
    try:
        c = run.layer(0, cells)
    except _Degenerate:
        return None
    if last == 0 or not c.count:
        return FirstLayer(plan, run.frames[0], (), counted.total + c.count, run.fallbacks)
    order = np.random.default_rng(0).permutation(c.count)
    parts = tuple(_drop(c, np.isin(np.arange(c.count), chunk))
                  for chunk in np.array_split(order, min(pieces, c.count)))
    return FirstLayer(plan, run.frames[0], parts, counted.total, run.fallbacks)


def batch_piece_count(first: FirstLayer, index: int, arith: Arithmetic,
                      make_walk: Callable[[], Any]) -> tuple[int, int]:
    """The activation regions inside piece ``index`` of ``first`` and the exact fallbacks.

    Parameters
    ----------
    first : FirstLayer
        The first layer's pieces (:func:`batch_first_layer`).
    index : int
        The piece.
    arith : Arithmetic
        The arithmetic.
    make_walk : callable
        Makes the vertex engine's walk that redoes a region where a side is zero or
        uncertain.
    """
    total, plan = _Counter(), first.plan
    run = _Run(plan, arith, total.cells, total.item, make_walk, frozenset(), None)
    run.last = _last_split(plan)
    run.frames = [first.frame]
    run.walk_from(run.advance(0, first.pieces[index]), 1)
    return total.total, run.fallbacks


def batch_count(net: Network, dom: Domain, arith: Arithmetic, make_walk: Callable[[], Any],
                progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """The number of activation regions of ``net`` on ``dom`` without building them, and
    the number of exact fallbacks; :func:`batch_support` must say ``None``.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain (``R^n`` or a box).
    arith : Arithmetic
        The arithmetic (exact integers, or certified float).
    make_walk : callable
        Makes the vertex engine's :class:`~tropnet.engines.enumerate.Walk` that redoes a
        region where a side is zero or uncertain.
    progress : callable or None, default None
        Called with the number of regions found after each layer.
    """
    total = _Counter()
    run = _run(_plan(net, dom, arith.exact), arith, total.cells, total.item, make_walk,
               progress, count_only=True)
    _report(run, total.total)
    return total.total, run.fallbacks

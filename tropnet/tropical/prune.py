"""Irredundant monomials of a tropical polynomial (Lezeau et al., Lemma 32).

Monomial ``i`` of ``f = max_j (c_j + a_j . x)`` is *redundant* when removing
it does not change ``f``; this happens exactly when its cell
``P_i = {x : c_i + a_i . x >= c_j + a_j . x for all j}`` has dimension
``< n``. Equivalently (exponents deduplicated), ``(a_i, c_i)`` is not a vertex
of the *upper hull* ``conv{(a_j, c_j)} + ray(0, ..., 0, -1)`` of the lifted
monomials.

Algorithm (float proposes, arithmetic certifies, LP decides the rest):

1. qhull computes the upper hull of the lifted points in float.
2. Each proposed vertex ``i`` gets a witness ``x`` (a positive combination of
   the vertices and rays of its cell read off the incident facets); it is
   *certified* irredundant when ``c_i + a_i . x > c_j + a_j . x`` for every
   ``j``.
3. Each other point ``p`` is *certified* redundant by the facet above it:
   barycentric weights ``lambda >= 0`` of ``a_p`` in the facet's simplex with
   ``sum lambda_s c_s >= c_p`` prove ``p`` is never strictly maximal.
4. Points left uncertain are decided by one LP each against the certified
   vertices and the other uncertain points.

The certificate checks are exact (a floating-point filter with a rigorous
round-off bound, exact rational arithmetic where the filter cannot decide)
and step 4 uses an exact simplex. In float mode the same exact decisions are
made on the exact rationals of the floats, so the answer is exact for the
numbers as stored. Without a usable hull (few points, or all lifted points on
a hyperplane) every point goes to step 4.

The cells of a pruned polynomial (used by the tropical linear regions,
:mod:`tropnet.engines.tropical`) are described the same way: :class:`Subdivision`
gives each cell a few rows that cut it out (the upper-hull neighbours of its
monomial, every other row certified implied), and :func:`cell_facets` /
:func:`facets` keep the facets of a polyhedron (float double description proposes,
integer certificates decide, cdd's exact double description where they cannot).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any, NamedTuple

import cdd
import cdd.gmp
import numpy as np
from scipy.linalg import qr
from scipy.optimize import nnls
from scipy.spatial import ConvexHull, QhullError, cKDTree

from ..arithmetic import (
    BARYCENTRIC_TOL,
    EXACT,
    FLOAT,
    GEOMETRY_RTOL,
    LEAD_RTOL,
    TINY,
    Arithmetic,
)
from ..polyhedra.lp import linprog

__all__ = ["Subdivision", "cell_facets", "det", "facets", "irredundant", "primitive"]

_CHUNK = 1 << 22  # entries per chunk of the candidate-by-point margin matrices


def irredundant(exponents: np.ndarray, coefficients: np.ndarray, arith: Arithmetic,
                witnesses: bool = False) -> Any:
    """Sorted indices of the irredundant monomials (exponent rows must be distinct).

    With ``witnesses=True`` also returns, for each of them, a point of the
    interior of its cell (exactly checked in exact mode), as a ``(k, n)`` array.

    Parameters
    ----------
    exponents : ndarray
        The exponent rows (distinct).
    coefficients : ndarray
        The coefficients.
    arith : Arithmetic
        The arithmetic of the decisions.
    witnesses : bool, default False
        Also return an interior point of each irredundant monomial's cell.

    Examples
    --------
    >>> from tropnet.arithmetic import EXACT
    >>> e = EXACT.array([[0], [1], [2]]); c = EXACT.array([0, 0, 0])
    >>> irredundant(e, c, EXACT).tolist()      # max(0, x, 2x): the x cell is the point 0
    [0, 2]
    """
    if not arith.exact:  # decided exactly on the exact rationals of the floats
        exponents, coefficients = EXACT.array(exponents), EXACT.array(coefficients)
    idx, pts = _irredundant(exponents, coefficients)
    if not witnesses:
        return idx
    out = np.empty((len(idx), exponents.shape[1]), dtype=arith.dtype)
    for row, i in enumerate(idx):
        out[row] = [arith.convert(v) for v in pts[int(i)]]
    return idx, out


#: beyond this size the float hull and nearest-neighbour guesses overflow; decide by LPs
_FLOAT_GEOMETRY_MAX = 1e100


def _irredundant(exponents: np.ndarray, coefficients: np.ndarray
                 ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    m, n_full = exponents.shape
    if m <= 2:  # distinct exponents: each monomial wins on an open half-space
        return np.arange(m), _halfspace_witnesses(exponents, coefficients)
    try:
        ef = np.asarray(exponents, dtype=float)
        cf = np.asarray(coefficients, dtype=float)
    except OverflowError:
        return _lp_all(exponents, coefficients)
    if not (np.abs(ef).max(initial=0) <= _FLOAT_GEOMETRY_MAX
            and np.abs(cf).max(initial=0) <= _FLOAT_GEOMETRY_MAX):
        return _lp_all(exponents, coefficients)  # squared distances would overflow
    reduced = _reduce(exponents, coefficients, ef, cf)
    if reduced is None:
        return _lp_all(exponents, coefficients)
    cols, flat = reduced
    e, c = exponents[:, cols], coefficients
    ef, n = ef[:, cols], len(cols)
    if flat:  # all lifted points on a hyperplane: lift an apex above their centroid
        e, c, ef, cf = _with_apex(e, c, ef, cf)
    hull = _upper_hull(ef, cf) if len(ef) > n + 1 else None
    if hull is None:
        return _lp_all(exponents, coefficients)
    total = len(ef)
    simplices, normals, silhouette, neighbors = hull
    cand, witness = _vertex_witnesses(simplices, normals, silhouette, total, n)
    others = np.flatnonzero(~np.isin(np.arange(total), cand))
    red_ok = _certify_redundant(e, c, ef, cf, others, simplices, normals, neighbors)
    unsure = others[~red_ok]
    # A certified-redundant point never beats every candidate (it lies under a simplex of
    # candidates), so a witness only has to beat the other candidates and the unsure points.
    against = np.concatenate([cand, unsure])
    # prefer short dyadic witnesses (readable exact points); keep the raw one where needed
    short = np.round(witness * 256.0) / 256.0
    vert_ok = _certify_vertices(e, c, ef, cf, cand, short, against)
    if not vert_ok.all():
        retry = ~vert_ok
        vert_ok[retry] = _certify_vertices(e, c, ef, cf, cand[retry], witness[retry], against)
        short[retry] = witness[retry]
    witness = short
    points: dict[int, np.ndarray] = {}
    for i, x in zip(cand[vert_ok], witness[vert_ok], strict=True):
        points[int(i)] = pad_radius(x, cols, n_full)
    uncertain = np.concatenate([cand[~vert_ok], unsure])
    if len(uncertain):
        pool = np.concatenate([np.array(sorted(points), dtype=int), uncertain])
        for i in uncertain:
            x = _lp_irredundant(e, c, int(i), pool)
            if x is not None:
                points[int(i)] = pad_radius(x, cols, n_full)
    keep = np.array(sorted(i for i in points if i < m), dtype=int)
    return keep, points


def pad_radius(x: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=object)
    out[:] = 0
    out[cols] = list(x)
    return out


def _halfspace_witnesses(e: np.ndarray, c: np.ndarray) -> dict[int, np.ndarray]:
    """For one or two monomials: points where each is strictly the largest."""
    n = e.shape[1]
    if len(e) == 1:
        return {0: np.zeros(n, dtype=object)}
    d = [e[1][k] - e[0][k] for k in range(n)]
    dd = sum(v * v for v in d)
    # at x = s d the difference (c1 - c0) + s |d|^2 has the sign of s for |s| large
    s = (abs(c[1] - c[0]) + 1) / dd
    return {0: np.array([-s * v for v in d], dtype=object),
            1: np.array([s * v for v in d], dtype=object)}


def _lp_all(e: np.ndarray, c: np.ndarray
            ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    m = e.shape[0]
    points = {}
    for i in range(m):
        x = _lp_irredundant(e, c, i, np.arange(m))
        if x is not None:
            points[i] = x
    return np.array(sorted(points), dtype=int), points


# -- dimension reduction ------------------------------------------------------------
def _reduce(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray
            ) -> tuple[np.ndarray, bool] | None:
    """Coordinates on which to run the hull, and whether the lift is flat.

    When the exponents span an affine subspace of dimension ``r < n``, the
    problem is the same on ``r`` coordinates that parametrise it (a witness
    padded with zeros gives the same values). When moreover every
    coefficient is an affine function of the exponents (``flat``), all lifted
    points lie on one hyperplane. Both facts are verified exactly in exact
    mode; ``None`` when a float rank guess does not verify.
    """
    n = ef.shape[1]
    d = ef - ef[0]
    scale = max(1.0, float(np.abs(ef).max()))
    cols = _independent_columns(d, scale)
    r = len(cols)
    if r < n and not _dependent(e, ef, cols, np.setdiff1d(np.arange(n), cols)):
        return None
    lifted = np.column_stack([d[:, cols], cf - cf[0]])
    cscale = max(scale, float(np.abs(cf).max()))
    flat = len(_independent_columns(lifted, cscale)) == r
    if flat:
        full_e = np.concatenate([e[:, cols], c.reshape(-1, 1)], axis=1)
        full_f = np.column_stack([ef[:, cols], cf])
        if not _dependent(full_e, full_f, np.arange(r), np.array([r])):
            flat = False  # numerically flat but not exactly: no hull in reduced form
            return None
    return np.asarray(cols, dtype=int), flat


def _independent_columns(d: np.ndarray, scale: float) -> np.ndarray:
    """A maximal set of linearly independent columns of ``d`` (QR with pivoting)."""
    if d.shape[1] == 0:
        return np.zeros(0, dtype=int)
    _, rr, piv = qr(d, mode="economic", pivoting=True)
    diag = np.abs(np.diag(rr))
    tol = max(d.shape) * LEAD_RTOL * scale * max(1.0, np.sqrt(d.shape[0]))
    rank = int(np.sum(diag > tol))
    return np.sort(piv[:rank])


def _dependent(e: np.ndarray, ef: np.ndarray, base: np.ndarray, rest: np.ndarray,
               ) -> bool:
    """True when, for all rows, ``e[:, rest] - e0[rest]`` is a fixed linear function of
    ``e[:, base] - e0[base]`` (checked exactly)."""
    if len(rest) == 0:
        return True
    r = len(base)
    d = ef - ef[0]
    if r == 0:
        rows = []
    else:
        _, _, piv = qr(d[:, base].T, mode="economic", pivoting=True)
        rows = np.sort(piv[:r])
    from sympy import Matrix

    e0 = e[0]
    dx = [[e[i, j] - e0[j] for j in base] for i in range(len(e))]
    dy = [[e[i, j] - e0[j] for j in rest] for i in range(len(e))]
    if r:
        bmat = Matrix([dx[i] for i in rows])
        if bmat.det() == 0:
            return False
        coef = bmat.inv() * Matrix([dy[i] for i in rows])
        mcoef = [[Fraction(int(v.p), int(v.q)) for v in coef.row(k)] for k in range(r)]
    else:
        mcoef = []
    for i in range(len(e)):
        for t in range(len(rest)):
            pred = sum(dx[i][k] * mcoef[k][t] for k in range(r))
            if pred != dy[i][t]:
                return False
    return True


def _with_apex(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
               ) -> tuple[np.ndarray, ...]:
    """Append the point (centroid, mean coefficient + 1) above a flat lifted set.

    For a flat set ``S`` a monomial is irredundant in ``S`` iff it is in
    ``S + apex`` (the apex lies over the interior of the Newton polytope), so
    certificates computed with the apex are valid for ``S``.
    """
    m = len(e)
    apex_e = np.array([sum(e[:, k]) / m for k in range(e.shape[1])], dtype=e.dtype)
    apex_c = sum(c) / m + 1
    e2 = np.concatenate([e, apex_e.reshape(1, -1)])
    c2 = np.concatenate([c, np.array([apex_c], dtype=c.dtype)])
    return e2, c2, np.asarray(e2, dtype=float), np.asarray(c2, dtype=float)


# -- hull ---------------------------------------------------------------------
def _upper_hull(ef: np.ndarray, cf: np.ndarray, options: tuple[str, ...] = ("Qt", "Qt Q12", "QJ")
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Upper facets of the lifted points and the silhouette of the hull.

    Returns ``(simplices, normals, rays)``: the upper facets (``w_c > 0``) as
    point-index simplices with their outward unit normals ``(w, w_c)``, and
    for every ridge between an upper and a non-upper facet a row
    ``(ray w, ridge point indices...)``: the horizontal outward normal of the
    vertical facet of ``conv + ray(0,..,0,-1)`` through that ridge, a
    recession direction of the cells of the ridge's points. ``None`` when
    qhull cannot build a full-dimensional hull.
    """
    raw = np.column_stack([ef, cf])
    # qhull works on centred coordinates scaled to [-1, 1] (a positive affine map keeps the
    # vertices and which facets face up); near-degenerate sets (Minkowski sums with almost
    # parallel edges) otherwise stop it with precision errors. A hull allowing wide merges,
    # or of joggled points, is the last resort: every decision is certified afterwards.
    mid = raw.mean(axis=0)
    span = np.abs(raw - mid).max(axis=0)
    span[span == 0] = 1.0
    pts = (raw - mid) / span
    hull = None
    for option in options:
        try:
            hull = ConvexHull(pts, qhull_options=option)
            break
        except (QhullError, ValueError):
            continue
    if hull is None:
        return None
    n = ef.shape[1]
    eq = hull.equations[:, : n + 1] / span  # normals back in the original coordinates
    eq /= np.linalg.norm(eq, axis=1, keepdims=True)
    up = eq[:, n] > LEAD_RTOL
    if not np.any(up):
        return None
    rays, ridges = [], []
    for f in np.flatnonzero(up):
        for k, g in enumerate(hull.neighbors[f]):
            if up[g]:
                continue
            # the vertical normal in cone(n_F, n_G): |wc_G| w_F + wc_F w_G
            w = abs(eq[g, n]) * eq[f, :n] + eq[f, n] * eq[g, :n]
            norm = np.linalg.norm(w)
            if norm > 0:
                rays.append(w / norm)
                ridges.append(np.delete(hull.simplices[f], k))
    ray_arr = np.array(rays, dtype=float).reshape(-1, n)
    ridge_arr = np.array(ridges, dtype=int).reshape(-1, n)
    index = np.full(len(up), -1, dtype=int)
    index[up] = np.arange(int(up.sum()))
    return (hull.simplices[up], eq[up], np.column_stack([ray_arr, ridge_arr]),
            index[hull.neighbors[up]])


def _vertex_witnesses(simplices: np.ndarray, normals: np.ndarray, silhouette: np.ndarray,
                      m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Proposed vertices and, for each, a point of the interior of its cell.

    An upper facet with normal ``(w, w_c)`` is the vertex ``w / w_c`` of the
    cells of its points; a silhouette ridge gives a recession direction of the
    cells of its points. The mean of a cell's vertices plus a multiple of the
    mean of its rays is a positive combination of all its generators, hence
    an interior point.
    """
    cand = np.unique(simplices)
    k = simplices.shape[1]
    vsum, vcnt = np.zeros((m, n)), np.zeros(m)
    vx = normals[:, :n] / normals[:, n:n + 1]
    np.add.at(vsum, simplices.reshape(-1), np.repeat(vx, k, axis=0))
    np.add.at(vcnt, simplices.reshape(-1), 1.0)
    rsum, rcnt = np.zeros((m, n)), np.zeros(m)
    if len(silhouette):
        rx = silhouette[:, :n]
        ridge = silhouette[:, n:].astype(int)
        np.add.at(rsum, ridge.reshape(-1), np.repeat(rx, ridge.shape[1], axis=0))
        np.add.at(rcnt, ridge.reshape(-1), 1.0)
    mean_v = vsum[cand] / np.maximum(vcnt[cand], 1.0)[:, None]
    spread = 1.0 + float(np.ptp(vx, axis=0).max()) if len(vx) > 1 else 1.0
    mean_r = rsum[cand] / np.maximum(rcnt[cand], 1.0)[:, None]
    return cand, mean_v + spread * mean_r


# -- certificates ----------------------------------------------------------------
def _certify_vertices(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
                      cand: np.ndarray, witness: np.ndarray, against: np.ndarray,
                      ) -> np.ndarray:
    """Mask of candidates ``i`` whose witness makes monomial ``i`` strictly larger than every
    monomial of ``against`` (``i`` itself excepted)."""
    n = ef.shape[1]
    m = len(against)
    where = {int(p): k for k, p in enumerate(against)}
    ok = np.ones(len(cand), dtype=bool)
    E, C = ef[against], cf[against]
    absE, absC = np.abs(E), np.abs(C)
    rows = max(1, _CHUNK // max(m, 1))
    for start in range(0, len(cand), rows):
        idx = cand[start:start + rows]
        own_pos = np.array([where[int(i)] for i in idx], dtype=int)
        x = witness[start:start + rows]
        r = np.arange(len(idx))
        vals = C[None, :] + x @ E.T  # (k, m)
        mags = absC[None, :] + np.abs(x) @ absE.T
        margin = vals[r, own_pos][:, None] - vals
        mag = mags[r, own_pos][:, None] + mags

        def exact_margin(flat: np.ndarray, idx=idx, x=x) -> list[Any]:
            out = []
            for f in flat:
                row, col = divmod(int(f), m)
                i, j = int(idx[row]), int(against[col])
                if i == j:
                    out.append(1)  # the candidate itself: never a constraint
                    continue
                xs = [Fraction(float(v)) for v in x[row]]
                out.append(c[i] - c[j] + sum((e[i, k] - e[j, k]) * xs[k] for k in range(n)))
            return out

        sign = EXACT.filtered_sign(margin, mag, exact_margin, terms=n + 1)
        sign[r, own_pos] = 1
        ok[start:start + rows] = np.all(sign > 0, axis=1)
    return ok


def _certify_redundant(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
                       points: np.ndarray, simplices: np.ndarray, normals: np.ndarray,
                       neighbors: np.ndarray, tries: int = 3) -> np.ndarray:
    """Mask of ``points`` proven redundant by a barycentric certificate under a facet.

    For a point ``p`` the upper hull over ``a_p`` is the lowest facet plane
    there. qhull triangulates facets, so several simplices share a plane: the
    simplex tried is the one of the lowest plane whose projection contains
    ``a_p`` (largest smallest barycentric weight). The next lowest planes are
    tried when the certificate fails.
    """
    n = ef.shape[1]
    ok = np.zeros(len(points), dtype=bool)
    if len(points) == 0:
        return ok
    v0 = simplices[:, 0]
    off = -(np.einsum("ij,ij->i", normals[:, :n], ef[v0]) + normals[:, n] * cf[v0])
    planes = np.column_stack([normals, off])
    _, plane_of, first = _unique_rows(planes)
    uplanes = planes[first]
    by_plane = _members(plane_of, len(first))
    bmat = np.concatenate([np.transpose(ef[simplices], (0, 2, 1)),
                           np.ones((len(simplices), 1, n + 1))], axis=1)
    with np.errstate(all="ignore"):
        good = np.abs(np.linalg.det(bmat)) > TINY
        finv = np.zeros_like(bmat)
        finv[good] = np.linalg.inv(bmat[good])
    cache: dict[int, Any] = {}
    # Fast path: the upper simplices project to a regular triangulation of the Newton
    # polytope. Locate a_p by a stochastic visibility walk from the simplex with the nearest
    # centroid (step to a random neighbour opposite a negative barycentric weight), then
    # among the 64 simplices with the nearest centroids; the certificate checks the result.
    tree = cKDTree(ef[simplices].mean(axis=1))
    _, cur = tree.query(ef[points], k=1)
    cur = np.asarray(cur, dtype=int).reshape(-1)
    v = np.column_stack([ef[points], np.ones(len(points))])
    pinv = np.where(good[:, None, None], finv, np.linalg.pinv(bmat))
    rng = np.random.default_rng(0)
    found = np.zeros(len(points), dtype=bool)
    active = np.arange(len(points))
    for _ in range(48):
        if len(active) == 0:
            break
        lam = np.einsum("pij,pj->pi", pinv[cur[active]], v[active])
        inside = (lam.min(axis=1) >= -BARYCENTRIC_TOL) & good[cur[active]]
        found[active[inside]] = True
        move, lam = active[~inside], lam[~inside]
        neg = lam < -BARYCENTRIC_TOL
        pick = np.where(neg.any(axis=1), np.argmax(rng.random(lam.shape) * neg, axis=1),
                        np.argmin(lam, axis=1))
        nxt = neighbors[cur[move], pick]
        keep = nxt >= 0
        cur[move[keep]] = nxt[keep]
        active = move[keep]
    lost = np.flatnonzero(~found)
    if len(lost):
        near = min(64, len(simplices))
        _, cands = tree.query(ef[points[lost]], k=near)
        cands = np.asarray(cands, dtype=int).reshape(len(lost), near)
        lam = np.einsum("psij,pj->psi", finv[cands], v[lost]).min(axis=2)
        lam[~good[cands]] = -np.inf
        best = np.argmax(lam, axis=1)
        hit = lam[np.arange(len(lost)), best] >= -BARYCENTRIC_TOL
        cur[lost[hit]] = cands[hit, best[hit]]
        found[lost[hit]] = True
    if found.any():
        sel = np.flatnonzero(found)
        ok[sel] = _barycentric_ok(e, c, ef, points[sel], simplices, cur[sel], cache)
    rest = np.flatnonzero(~ok)
    if len(rest) == 0:
        return ok
    ok_all = ok
    points, ok = points[rest], np.zeros(len(rest), dtype=bool)
    rows = max(1, _CHUNK // max(len(uplanes), 1))
    for start in range(0, len(points), rows):
        pts = points[start:start + rows]
        heights = -(ef[pts] @ uplanes[:, :n].T + uplanes[None, :, n + 1]) / uplanes[None, :, n]
        k = min(tries, len(uplanes))
        if k < len(uplanes):
            part = np.argpartition(heights, k - 1, axis=1)[:, :k]
            order = np.take_along_axis(part, np.argsort(
                np.take_along_axis(heights, part, axis=1), axis=1), axis=1)
        else:
            order = np.argsort(heights, axis=1)
        for slot in range(k):
            todo = np.flatnonzero(~ok[start:start + rows])
            if len(todo) == 0:
                break
            chosen = np.full(len(todo), -1, dtype=int)
            for plane in np.unique(order[todo, slot]):
                sel = np.flatnonzero(order[todo, slot] == plane)
                cands = np.array(by_plane[plane], dtype=int)
                v = np.column_stack([ef[pts[todo[sel]]], np.ones(len(sel))])
                lam = np.einsum("sij,pj->psi", finv[cands], v).min(axis=2)
                lam[:, ~good[cands]] = -np.inf
                chosen[sel] = cands[np.argmax(lam, axis=1)]
            good_pts = _barycentric_ok(e, c, ef, pts[todo], simplices, chosen, cache)
            ok[start + todo[good_pts]] = True
    ok_all[rest] = ok
    return ok_all


def _unique_rows(a: np.ndarray, rel: float = GEOMETRY_RTOL
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group float rows equal up to ``rel`` (relative to the largest entry)."""
    scale = max(1.0, float(np.abs(a).max())) * rel
    keys = np.round(a / scale).astype(np.int64)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return uniq, inverse.reshape(-1), first


def _members(group: np.ndarray, ngroups: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(ngroups)]
    for i, g in enumerate(group):
        out[g].append(i)
    return out


def _barycentric_ok(e: np.ndarray, c: np.ndarray, ef: np.ndarray, pts: np.ndarray,
                    simplices: np.ndarray, chosen: np.ndarray, cache: dict,
                    free: Any = None, cf: np.ndarray | None = None) -> np.ndarray:
    """For points ``p`` and their simplices ``S``: ``a_p = sum lambda_s a_s``,
    ``lambda >= 0`` and ``sum lambda_s c_s >= c_p`` (which proves ``p`` redundant).
    ``free``: a point of each chosen simplex (one, or one per point) whose weight may have
    any sign (see :class:`Subdivision`); ``cf``: the coefficients as floats, when at hand.

    Each simplex matrix is inverted exactly (:func:`_simplex_inverse`), so the float
    filter on ``lambda`` and the gap has a rigorous error bound; the entries it cannot
    decide are evaluated exactly.
    """
    n = ef.shape[1]
    out = np.zeros(len(pts), dtype=bool)
    for s in np.unique(chosen[chosen >= 0]):
        if int(s) not in cache:
            cache[int(s)] = _simplex_inverse(e, c, simplices[s])
    uniq, inv = np.unique(chosen, return_inverse=True)
    good = np.array([s >= 0 and cache.get(int(s)) is not None for s in uniq], dtype=bool)
    idx = np.flatnonzero(good[inv.reshape(-1)])
    if len(idx) == 0:
        return out
    sims = chosen[idx]
    which = np.searchsorted(uniq[good], sims)
    binv_f = np.array([cache[int(s)].binv_f for s in uniq[good]])[which]
    mu_f = np.array([cache[int(s)].mu_f for s in uniq[good]])[which]
    p = pts[idx]
    v = np.column_stack([ef[p], np.ones(len(p))])
    lam = np.einsum("pij,pj->pi", binv_f, v)
    lam_mag = np.einsum("pij,pj->pi", np.abs(binv_f), np.abs(v))
    cp = np.asarray(c[p], dtype=float) if cf is None else cf[p]
    gap = np.einsum("pj,pj->p", mu_f, v) - cp
    gap_mag = np.einsum("pj,pj->p", np.abs(mu_f), np.abs(v)) + np.abs(cp)
    if free is not None:  # certain and positive: never evaluated exactly
        unbound = simplices[sims] == np.broadcast_to(free, (len(pts),))[idx][:, None]
        lam[unbound], lam_mag[unbound] = 1.0, 0.0

    def vec(q: int) -> list:
        return [*e[q], 1]

    def exact_lam(flat: np.ndarray) -> list:  # d * lambda_k, d > 0: the sign of lambda_k
        res = []
        for f in flat:
            r, k = divmod(int(f), n + 1)
            row = cache[int(sims[r])].num[k]
            res.append(sum(row[l] * x for l, x in enumerate(vec(int(p[r])))))
        return res

    def exact_gap(flat: np.ndarray) -> list:
        res = []
        for f in flat:
            inv = cache[int(sims[f])]
            q = int(p[f])
            res.append(Fraction(sum(m * x for m, x in zip(inv.mu_num, vec(q), strict=True)))
                       / inv.mu_den - c[q])
        return res

    s_lam = EXACT.filtered_sign(lam, lam_mag, exact_lam, terms=n + 1)
    s_gap = EXACT.filtered_sign(gap, gap_mag, exact_gap, terms=n + 2)
    out[idx] = np.all(s_lam >= 0, axis=1) & (s_gap >= 0)
    return out


class _Integers(NamedTuple):
    """Exponents and coefficients as integers over one denominator each (lists of ints)."""

    e: list[list[int]]
    e_den: int
    c: list[int]
    c_den: int


def _integers(e: np.ndarray, c: np.ndarray) -> _Integers:
    fe = [Fraction(v) for v in e.reshape(-1)]
    fc = [Fraction(v) for v in c]
    de = math.lcm(*(v.denominator for v in fe))
    dc = math.lcm(*(v.denominator for v in fc))
    n = e.shape[1]
    flat = [v.numerator * (de // v.denominator) for v in fe]
    return _Integers([flat[i * n:(i + 1) * n] for i in range(len(e))], de,
                     [v.numerator * (dc // v.denominator) for v in fc], dc)


class _Inverse(NamedTuple):
    """``B^-1 = num / den`` (integers, ``den > 0``) and ``mu = B^-T c_S = mu_num / mu_den``,
    with their correctly rounded floats."""

    num: list[list[int]]
    den: int
    mu_num: list[int]
    mu_den: int
    binv_f: np.ndarray
    mu_f: np.ndarray


def _fraction_free_solve(a: list[list[int]], size: int) -> tuple[int, list[list[int]]] | None:
    """Solve ``A X = d R`` for the augmented integer matrix ``a = [A | R]`` (``A``:
    ``size x size``, rows changed in place) by fraction-free (Bareiss) elimination with
    back substitution, where every division is exact: returns ``(d, X)`` with ``d = |det A|``
    and ``X`` integral, or ``None`` when ``A`` is singular."""
    cols = len(a[0]) - size
    prev = 1
    for k in range(size):
        piv = next((r for r in range(k, size) if a[r][k] != 0), None)
        if piv is None:
            return None
        a[k], a[piv] = a[piv], a[k]
        rk, akk = a[k], a[k][k]
        for ri in a[k + 1:]:
            aik = ri[k]
            for j in range(k + 1, size + cols):
                ri[j] = (akk * ri[j] - aik * rk[j]) // prev
            ri[k] = 0
        prev = akk
    d = a[-1][size - 1]
    num: list[list[int]] = [[]] * size
    for i in range(size - 1, -1, -1):
        ri = a[i]
        num[i] = [(d * ri[size + col] - sum(ri[j] * num[j][col] for j in range(i + 1, size)))
                  // ri[i] for col in range(cols)]
    if d < 0:
        d, num = -d, [[-v for v in row] for row in num]
    return d, num


def _simplex_inverse(e: np.ndarray, c: np.ndarray, simplex: np.ndarray,
                     ints: _Integers | None = None) -> _Inverse | None:
    """Exact inverse of ``B = [[a_s], [1]]`` (columns: simplex points) and ``mu = B^-T c_S``;
    ``None`` when ``B`` is singular. ``ints``: the points scaled to integers once
    (:func:`_integers`), to start from.

    Fraction-free (Bareiss) elimination on the rows of ``B`` scaled to integers: with
    ``B' = diag(s) B`` integral, ``B' X = d diag(s)`` has the integral solution
    ``X = d B^-1`` (``d = ±det B'``), and every division in the elimination and in the
    back substitution is exact.
    """
    size = e.shape[1] + 1
    if ints is None:
        rows = [[Fraction(e[s][k]) for s in simplex] for k in range(size - 1)]
        rows.append([Fraction(1)] * size)
        scale = [math.lcm(*(v.denominator for v in row)) for row in rows]
        a = [[v.numerator * (s // v.denominator) for v in row] +
             [s * (i == k) for k in range(size)]
             for i, (row, s) in enumerate(zip(rows, scale, strict=True))]
    else:
        pts = [ints.e[s] for s in simplex]
        a = [[p[k] for p in pts] + [ints.e_den * (k == j) for j in range(size)]
             for k in range(size - 1)]
        a.append([1] * size + [int(j == size - 1) for j in range(size)])
    solved = _fraction_free_solve(a, size)
    if solved is None:
        return None
    d, num = solved
    if ints is None:
        cs = [Fraction(c[s]) for s in simplex]
        cden = math.lcm(*(v.denominator for v in cs))
        ci = [v.numerator * (cden // v.denominator) for v in cs]
    else:
        cden, ci = ints.c_den, [ints.c[s] for s in simplex]
    mu_num = [sum(num[k][l] * ci[k] for k in range(size)) for l in range(size)]
    mu_den = d * cden
    return _Inverse(num, d, mu_num, mu_den,
                    np.array([[v / d for v in row] for row in num]),
                    np.array([v / mu_den for v in mu_num]))


# -- cells: rows that cut them out, and their facets ------------------------------------------
class Subdivision:
    """The cells ``P_i = {x : (a_j - a_i) . x <= c_i - c_j for all j}`` of a pruned
    tropical polynomial (distinct exponents, every monomial irredundant; exact values),
    each cut out by few of its rows.

    :meth:`rows` gives for monomial ``i`` the monomials ``j`` whose rows alone cut out
    ``P_i``: every facet neighbour of ``i`` (``P_i ∩ P_j`` is a facet exactly when the
    lifted points ``(a_i, c_i)``, ``(a_j, c_j)`` span an edge of the upper hull), and
    possibly some more. The candidates are the points of the upper-hull simplices around
    ``i`` (the *star* of ``i``; qhull, in float, as in pruning). The row of another
    monomial ``j`` is implied when a simplex ``S`` of the star gives ``a_j`` barycentric
    weights ``>= 0`` except at ``i`` and the plane of ``S`` passes on or above
    ``(a_j, c_j)``: the row of ``j`` is then a non-negative combination of the rows of
    ``S`` with a larger right-hand side. Two ways to certify it, exactly (a float filter
    with a rigorous error bound, exact integers where it cannot decide):

    * *for the whole star at once*, with no work per ``j``: the plane of every simplex of
      the star lies on or above every lifted monomial, and the star's cones at ``a_i``
      form a fan covering the tangent cone of the Newton polytope there -- each facet of a
      cone through ``a_i`` is shared with exactly one other cone of the star, on its other
      side, or supports the Newton polytope. Then every ``a_j`` lies in some cone, and the
      claim holds for it (the covering multiplicity is constant across shared facets, so
      it is at least 1 everywhere);
    * *one monomial at a time* (when the star fails that test): a simplex chosen in float
      for ``j``, checked by :func:`_barycentric_ok`.

    A monomial left without a certificate stays a row: a wrong float hull costs rows,
    never correctness. Without a usable hull (few monomials, all lifted points on one
    hyperplane) every other monomial is a row.

    Parameters
    ----------
    exponents : ndarray
        The exponent rows (distinct, every monomial irredundant; exact values).
    coefficients : ndarray
        The coefficients.
    """

    def __init__(self, exponents: np.ndarray, coefficients: np.ndarray) -> None:
        self.exponents, self.coefficients = exponents, coefficients
        self._whole = _integers(exponents, coefficients)
        self._rows: dict[int, np.ndarray] = {}
        self._star: list[list[int]] | None = None
        m, n = exponents.shape
        if m <= n + 2:
            return
        try:
            ef = np.asarray(exponents, dtype=float)
            cf = np.asarray(coefficients, dtype=float)
        except OverflowError:
            return
        if not (np.abs(ef).max(initial=0) <= _FLOAT_GEOMETRY_MAX
                and np.abs(cf).max(initial=0) <= _FLOAT_GEOMETRY_MAX):
            return
        reduced = _reduce(exponents, coefficients, ef, cf)
        if reduced is None or reduced[1] or m <= len(reduced[0]) + 1:
            return
        cols = reduced[0]
        # joggled: simplicial facets of positive volume (triangulating merged facets, "Qt"
        # leaves flat simplices, which tile nothing)
        hull = _upper_hull(ef[:, cols], cf, ("QJ", "Qt"))
        if hull is None:
            return
        self._e, self._ef, self._cf = exponents[:, cols], ef[:, cols], cf
        self._simplices = hull[0]
        k = self._simplices.shape[1]
        self._star = [[p // k for p in pos] for pos in _members(self._simplices.reshape(-1),
                                                                  m)]
        self._cache: dict[int, Any] = {}
        self._ints = _integers(self._e, coefficients)
        self._plane: dict[int, bool] = {}
        self._side: dict[tuple[int, int], bool] = {}

    def rows(self, i: int) -> np.ndarray:
        """Sorted monomials ``j != i`` whose rows ``(a_j - a_i) . x <= c_i - c_j`` cut out
        ``P_i`` (every facet neighbour of ``i`` among them).

        Parameters
        ----------
        i : int
            The monomial.
        """
        got = self._rows.get(i)
        if got is None:
            self.prepare([i])
            got = self._rows[i]
        return got

    def row(self, i: int, j: int) -> tuple[int, ...]:
        """The row ``(a_j - a_i) . x <= c_i - c_j`` of ``P_i`` as a primitive integer vector
        ``(a..., b)`` (:func:`primitive`).

        Parameters
        ----------
        i : int
            The monomial of the cell ``P_i``.
        j : int
            The monomial of the row.
        """
        w = self._whole
        ints = [(x - y) * w.c_den for x, y in zip(w.e[j], w.e[i], strict=True)]
        ints.append((w.c[i] - w.c[j]) * w.e_den)
        g = math.gcd(*ints)
        return tuple(v // g for v in ints)

    @property
    def known(self) -> Any:
        """The monomials whose :meth:`rows` are computed."""
        return self._rows.keys()

    def prepare(self, monomials: Any) -> None:
        """Compute the :meth:`rows` of several monomials at once (vectorised).

        Parameters
        ----------
        monomials : iterable of int
            The monomials.
        """
        todo = list(dict.fromkeys(int(i) for i in monomials if int(i) not in self._rows))
        if not todo:
            return
        if self._star is None:
            for i in todo:
                self._rows[i] = np.delete(np.arange(len(self.exponents)), i)
            return
        self._planes([s for i in todo for s in self._star[i]])
        slow = []
        for i in todo:
            fan = self._fan(i)
            if fan:
                self._rows[i] = np.setdiff1d(self._simplices[fan], [i])
            else:
                slow.append(i)
        m, k = len(self.exponents), self._simplices.shape[1]
        star = k * len(self._simplices) / m  # simplices around a monomial, on average
        size = max(1, int(_CHUNK / (star * m * k)))  # as many as one pass of _CHUNK floats
        for start in range(0, len(slow), size):
            self._fill(slow[start:start + size])

    def _inverse(self, s: int) -> Any:
        if s not in self._cache:
            self._cache[s] = _simplex_inverse(self._e, self.coefficients, self._simplices[s],
                                              self._ints)
        return self._cache[s]

    def _planes(self, simplices: list[int]) -> None:
        """Whether the plane of each simplex passes on or above every lifted monomial."""
        todo = [s for s in dict.fromkeys(simplices) if s not in self._plane]
        for s in todo:
            if self._inverse(s) is None:
                self._plane[s] = False
        todo = [s for s in todo if s not in self._plane]
        if not todo:
            return
        ints, ef, cf = self._ints, self._ef, self._cf
        m, r = len(ef), ef.shape[1]
        V = np.column_stack([ef, np.ones(m)])
        step = max(1, _CHUNK // m)
        for start in range(0, len(todo), step):
            sims = todo[start:start + step]
            mu = np.array([self._cache[s].mu_f for s in sims])
            gap = mu @ V.T - cf[None, :]
            mag = np.abs(mu) @ np.abs(V).T + np.abs(cf)[None, :]
            own = np.zeros(gap.shape, dtype=bool)
            own[np.repeat(np.arange(len(sims)), r + 1), self._simplices[sims].reshape(-1)] = True
            gap[own], mag[own] = 1.0, 0.0  # a simplex's own points lie on its plane

            def exact(flat: np.ndarray, sims: list[int] = sims) -> list[int]:
                out = []
                for f in flat:
                    row, j = divmod(int(f), m)
                    inv = self._cache[sims[row]]
                    top = sum(v * x for v, x in zip(inv.mu_num, ints.e[j], strict=False))
                    top += inv.mu_num[r] * ints.e_den
                    out.append(top * ints.c_den - ints.c[j] * inv.mu_den * ints.e_den)
                return out

            ok = np.all(EXACT.filtered_sign(gap, mag, exact, terms=r + 2) >= 0, axis=1)
            self._plane.update(zip(sims, ok.tolist(), strict=True))

    def _fan(self, i: int) -> list[int]:
        """The simplices of the star of ``i`` if they certify every other row at once (class
        docstring), else ``[]``. Flat simplices (a singular matrix: vertical facets on the
        Newton polytope's boundary, slivers of a triangulation) tile nothing and are left
        out; a fan with a gap then fails the test."""
        star = [s for s in self._star[i] if self._inverse(s) is not None] \
            if self._star is not None else []
        if not star or not all(self._plane[s] for s in star):
            return []
        ridges: dict[frozenset, list[tuple[int, int]]] = {}
        for s in star:
            simplex = self._simplices[s].tolist()
            for pos, v in enumerate(simplex):
                if v != i:
                    ridges.setdefault(frozenset(simplex[:pos] + simplex[pos + 1:]),
                                      []).append((s, pos))
        for pair in ridges.values():
            if len(pair) == 2:  # shared: the opposite points strictly on opposite sides
                (s, pos), (t, tpos) = pair
                if self._weight(s, pos, int(self._simplices[t][tpos])) >= 0:
                    return []
            elif len(pair) > 2 or not self._supporting(*pair[0]):
                return []
        return star

    def _weight(self, s: int, pos: int, p: int) -> int:
        """The exact sign of the barycentric weight of point ``pos`` of simplex ``s`` at
        ``a_p``."""
        inv, ints = self._cache[s], self._ints
        row = inv.num[pos]
        v = sum(x * y for x, y in zip(row, ints.e[p], strict=False)) + row[-1] * ints.e_den
        return (v > 0) - (v < 0)

    def _supporting(self, s: int, pos: int) -> bool:
        """Every ``a_j`` lies on the side of point ``pos`` of the facet of simplex ``s``
        opposite it (weakly): that facet's hyperplane supports the Newton polytope."""
        key = (s, pos)
        if key not in self._side:
            inv, ef = self._cache[s], self._ef
            V = np.column_stack([ef, np.ones(len(ef))])
            lam = V @ inv.binv_f[pos]
            mag = np.abs(V) @ np.abs(inv.binv_f[pos])

            def exact(flat: np.ndarray) -> list[int]:
                return [self._weight(s, pos, int(j)) for j in flat]

            self._side[key] = bool(np.all(EXACT.filtered_sign(
                lam, mag, exact, terms=ef.shape[1] + 1) >= 0))
        return self._side[key]

    def _fill(self, batch: list[int]) -> None:
        """The rows of the monomials ``batch``, certified one monomial at a time: the
        points of the star of each, and every other monomial not certified implied."""
        m = len(self.exponents)
        e, c, ef, simplices, cache = (self._e, self.coefficients, self._ef, self._simplices,
                                      self._cache)
        owner, combo = [], []
        for b, i in enumerate(batch):
            for s in self._star[i]:
                if self._inverse(s) is not None:
                    owner.append(b)
                    combo.append(s)
        keep = np.zeros((len(batch), m), dtype=bool)
        for b, i in enumerate(batch):
            keep[b, simplices[self._star[i]].reshape(-1)] = True
            keep[b, i] = True
        own, sims = np.array(owner, dtype=int), np.array(combo, dtype=int)
        if len(sims):
            binv = np.array([cache[int(s)].binv_f for s in sims])
            lam = np.einsum("cij,mj->cmi", binv, np.column_stack([ef, np.ones(m)]))
            free = simplices[sims] == np.array(batch)[own][:, None]
            lam.transpose(0, 2, 1)[free] = np.inf  # the weight of i itself is free
            score = lam.min(axis=2)
            pts, chosen, frees = [], [], []
            for b, i in enumerate(batch):
                seg = np.flatnonzero(own == b)
                rest = np.flatnonzero(~keep[b])
                if len(seg) == 0 or len(rest) == 0:
                    continue
                pts.append(rest)
                chosen.append(sims[seg[np.argmax(score[seg][:, rest], axis=0)]])
                frees.append(np.full(len(rest), i))
            if pts:
                P, S, F = np.concatenate(pts), np.concatenate(chosen), np.concatenate(frees)
                ok = _barycentric_ok(e, c, ef, P, simplices, S, cache, free=F, cf=self._cf)
                owner_of = np.repeat(np.arange(len(pts)), [len(p) for p in pts])
                done = [b for b in range(len(batch))
                        if np.any(own == b) and np.any(~keep[b])]
                for row, p in zip(np.array(done)[owner_of[~ok]], P[~ok], strict=True):
                    keep[row, p] = True
        for b, i in enumerate(batch):
            if not np.any(own == b):  # no usable simplex around i: every other row
                keep[b] = True
            keep[b, i] = False
            self._rows[i] = np.flatnonzero(keep[b])


def primitive(values: Any) -> tuple[int, ...]:
    """The primitive integer vector that is a positive multiple of a rational vector (for
    a row ``(a..., b)`` of ``a . x <= b``: one key per half-space).

    Parameters
    ----------
    values : sequence of numbers
        A rational vector (Fractions, ints or floats, each float the rational it denotes).

    Examples
    --------
    >>> primitive([Fraction(1, 2), -1, 0.25])
    (2, -4, 1)
    """
    fr = [v if type(v) is Fraction else Fraction(v) for v in values]
    den = math.lcm(*(v.denominator for v in fr))
    ints = [v.numerator * (den // v.denominator) for v in fr]
    g = math.gcd(*ints)
    return tuple(v // g for v in ints) if g > 1 else tuple(ints)


def facets(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The facets of ``{x : A x <= b}`` (exact values: Fractions, ints or floats, each float
    the rational it denotes) and an exact interior point; ``None`` when the interior is
    empty.

    Returns ``(rows, point)``: ``rows`` the sorted indices of one row per facet (the first
    row on its hyperplane), ``point`` an exact point (Fractions) strictly inside every row.
    See :func:`cell_facets`.

    Parameters
    ----------
    A : array_like
        The rows.
    b : array_like
        The right-hand sides.

    Examples
    --------
    >>> A = [[1, 0], [0, 1], [-1, -1], [1, 1], [2, 0]]   # x <= 1, y <= 1, x + y >= 0, ...
    >>> rows, x = facets(A, [1, 1, 0, 5, 2])
    >>> rows.tolist()                   # x + y <= 5 misses the triangle, 2x <= 2 repeats x <= 1
    [0, 1, 2]
    """
    A = np.asarray(A, dtype=object)
    n = A.shape[1] if A.ndim == 2 else 0
    index: dict[tuple[int, ...], int] = {}
    for r, (row, rhs) in enumerate(zip(A.tolist(), np.asarray(b, dtype=object).tolist(),
                                       strict=True)):
        key = primitive([*row, rhs])
        if any(key[:n]):
            index.setdefault(key, r)
        elif key[n] < 0:
            return None  # 0 <= b < 0
    keys = list(index)
    if any(tuple(-v for v in key) in index for key in keys):
        return None  # two opposite half-spaces of one hyperplane: no interior
    if not keys:
        return np.zeros(0, dtype=int), np.array([Fraction(0)] * n, dtype=object)
    found = cell_facets(keys)
    if found is None:
        return None
    mask, point = found
    return np.sort(np.array([index[k] for k, f in zip(keys, mask, strict=True) if f],
                            dtype=int)), point


def cell_facets(rows: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Which of distinct primitive integer rows ``(a..., b)`` (:func:`primitive`, ``a != 0``,
    no two opposite) are facets of ``P = {x : a . x <= b}``, and an exact interior point;
    ``None`` when the interior is empty.

    Float proposes, integers certify. cdd's float double description proposes the
    vertices and rays of ``P``; each is recomputed exactly from ``n`` (or ``n - 1``) of the
    rows it is tight on (integer minors) and every slack ``b . D - a . X`` of every
    generator ``(D, X)`` is an exact integer. Then

    * row ``r`` is a facet when the generators tight on ``r`` include a vertex and, for
      every other row ``j``, one with a positive slack for ``j``: their mean (plus their
      rays) lies on the hyperplane of ``r`` strictly inside every other row;
    * row ``r`` is not a facet when, at a vertex ``v``, ``a_r`` is a non-negative
      combination of rows tight at ``v`` other than ``r`` (exact Cramer's rule): ``r`` is
      then implied by rows on other hyperplanes, which meet it in dimension ``< n - 1``;
    * the interior point is the mean of the vertices plus the rays, strictly inside every
      row that some generator satisfies strictly.

    Anything a float proposal leaves undecided is decided again on cdd's exact (gmp)
    double description, where the facet test alone is complete.

    Parameters
    ----------
    rows : list of tuple of int
        The primitive integer rows ``(a..., b)``.
    """
    n = len(rows[0]) - 1
    G = np.array([(r[n], *(-v for v in r[:n])) for r in rows], dtype=object).reshape(-1, n + 1)
    proposed = _float_generators(G) if len(G) <= _FEW_ROWS else _generators_of_many(G)
    if proposed is not None:
        found = _certify_cell(G, *proposed, complete=False)
        if found is not None:
            return found if found is not False else None
    found = _certify_cell(G, *_exact_generators(G), complete=True)
    return found or None


def _certify_cell(G: np.ndarray, H: np.ndarray, point: np.ndarray, complete: bool) -> Any:
    """:func:`cell_facets` from generators ``H`` (rows ``(D, X)``; ``point``: ``D > 0``).
    ``None``: undecided (proposed generators only); ``False``: no interior (complete
    generators only)."""
    if not point.any():
        return False if complete else None
    S = G.dot(H.T)  # exact slacks, rows x generators
    if np.any(S < 0):
        return None
    pos, tight = np.asarray(S > 0, dtype=bool), np.asarray(S == 0, dtype=bool)
    if not pos.any(axis=1).all():  # a row tight on all of P: no interior
        return False if complete else None
    cover = tight.astype(np.int64) @ pos.T.astype(np.int64) > 0
    np.fill_diagonal(cover, True)
    facet = (tight & point).any(axis=1) & cover.all(axis=1)
    if not complete and not _all_implied(G, S, H, point, tight, facet):
        return None
    return facet, _inside(G, H, point)


def _all_implied(G: np.ndarray, S: np.ndarray, H: np.ndarray, point: np.ndarray,
                 tight: np.ndarray, facet: np.ndarray) -> bool:
    """Every row that is not a facet is a non-negative combination of other rows tight at
    a vertex where it is smallest (checked exactly). At a vertex on exactly ``n`` facets
    one adjugate serves all its rows: the normal cone there is spanned by them."""
    rows = np.flatnonzero(~facet)
    if len(rows) == 0:
        return True
    n = G.shape[1] - 1
    A = -G[:, 1:]
    verts = np.flatnonzero(point)
    ratio = np.asarray(S[np.ix_(rows, verts)] / H[verts, 0], dtype=float).reshape(len(rows), -1)
    order = verts[np.argsort(ratio, axis=1, kind="stable")]
    for v in np.unique(order[:, 0]):
        mine = np.flatnonzero(order[:, 0] == v)
        F = np.flatnonzero(tight[:, v] & facet)
        done = np.zeros(len(mine), dtype=bool)
        if len(F) == n:
            solved = _fraction_free_solve([[*col, *(int(i == j) for j in range(n))]
                                           for i, col in enumerate(zip(*A[F], strict=True))],
                                          n)
            if solved is not None:  # X = |det| B^-1 for the columns B = a_f: lam's signs
                lam = np.array(solved[1], dtype=object).reshape(n, n).dot(A[rows[mine]].T)
                done = np.asarray(lam >= 0, dtype=bool).all(axis=0)
        if not all(_implied(A, tight, int(rows[k]), order[k, :2]) for k in mine[~done]):
            return False
    return True


def _implied(A: np.ndarray, tight: np.ndarray, r: int, verts: np.ndarray) -> bool:
    """Row ``r`` is a non-negative combination of rows ``A`` tight at one of ``verts``,
    other than itself (exact Cramer's rule; at a degenerate vertex the support of a float
    NNLS is tried first)."""
    n = A.shape[1]
    for v in verts:
        T = np.flatnonzero(tight[:, v])
        T = T[T != r]
        if len(T) < n:
            continue
        bases: Any = [T]
        if len(T) > n:
            lam, _ = nnls(_unit_rows(A[T]).T, _unit_rows(A[r:r + 1])[0])
            first = _independent(A, T[np.argsort(-lam, kind="stable")], n)
            bases = itertools.chain([] if first is None else [first],
                                    itertools.islice(itertools.combinations(T, n), 64))
        for B in bases:
            M = [list(row) for row in zip(*(A[t] for t in B), strict=True)]  # columns a_t
            d = det(M)
            if d != 0 and all(det([[*row[:k], a, *row[k + 1:]] for row, a in zip(
                    M, A[r], strict=True)]) * d >= 0 for k in range(n)):
                return True
    return False


def _inside(G: np.ndarray, H: np.ndarray, point: np.ndarray) -> np.ndarray:
    """A short interior point: the mean of the vertices plus the rays, rounded to a few
    binary digits when that stays strictly inside (checked exactly), else exact."""
    n = G.shape[1] - 1
    approx = np.zeros(n)
    for h in H[point].tolist():
        approx += [x / h[0] for x in h[1:]]
    approx /= int(point.sum())
    for h in H[~point].tolist():
        top = max(abs(v) for v in h[1:])
        approx += [x / top for x in h[1:]]
    for bits in (4, 16, 40):
        scale = 1 << bits
        X = [round(v * scale) for v in approx.tolist()]
        if all(g[0] * scale + sum(gk * xk for gk, xk in zip(g[1:], X, strict=True)) > 0
               for g in G.tolist()):
            return np.array([Fraction(v, scale) for v in X], dtype=object)
    verts = [[Fraction(x, h[0]) for x in h[1:]] for h in H[point]]
    x = [sum(col) / len(verts) for col in zip(*verts, strict=True)]
    for h in H[~point]:
        top = max(abs(v) for v in h[1:])
        x = [xi + Fraction(v, top) for xi, v in zip(x, h[1:], strict=True)]
    return np.array(x, dtype=object).reshape(n)


def _float_generators(G: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Vertices and rays proposed by cdd's float double description, each recomputed
    exactly from rows it is tight on; ``None`` when the proposal is unusable (lines, a
    singular choice of rows)."""
    k, n = G.shape[0], G.shape[1] - 1
    scaled = [[v / top for v in g] for g in G.tolist() for top in (max(abs(u) for u in g),)]
    try:
        poly = cdd.polyhedron_from_matrix(cdd.matrix_from_array(
            scaled, rep_type=cdd.RepType.INEQUALITY))
        gens, inc = cdd.copy_generators(poly), cdd.copy_incidence(poly)
    except (RuntimeError, ValueError):
        return None
    if gens.lin_set:
        return None
    rows = G.tolist()
    e0 = [1] + [0] * n
    H, point = [], []
    for row, on in zip(gens.array, inc, strict=True):
        tight = sorted(t for t in on if t < k)
        vertex = row[0] != 0
        need = n if vertex else n - 1
        h = None
        for basis in itertools.islice(itertools.combinations(tight, need), 16):
            h = _null_vector([rows[t] for t in basis] if vertex
                             else [e0, *(rows[t] for t in basis)])
            if any(h[1:] if not vertex else h[:1]):
                break  # independent rows (a vertex: h_0 != 0; a ray: a direction)
        else:
            return None
        if vertex:
            h = [-v for v in h] if h[0] < 0 else h
        else:
            top = max(abs(v) for v in h)
            if sum(v / top * r for v, r in zip(h[1:], row[1:], strict=True)) < 0:
                h = [-v for v in h]
        H.append(h)
        point.append(vertex)
    if not any(point) and all(g == 0 for g in G[:, 0]):  # a cone: cdd leaves out its apex
        H.append(e0)
        point.append(True)
    return np.array(H, dtype=object).reshape(-1, n + 1), np.array(point, dtype=bool)


#: with more rows than this, generators are first proposed from the likely facets only
_FEW_ROWS = 64


def _generators_of_many(G: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_float_generators` for a cell with many rows, most of them redundant: from
    the rows whose polar points about a float interior point ``p`` (``a / (b - a . p)``)
    are vertices of their hull (the facets, when the floats are right), adding the rows
    the generators violate (exactly) until none does."""
    k, n = G.shape[0], G.shape[1] - 1
    U = _unit_rows(G)
    b, A = U[:, 0], -U[:, 1:]
    norms = np.abs(A).sum(axis=1)
    res = linprog(np.r_[np.zeros(n), 1.0], np.vstack([np.column_stack([A, norms]),
                                                      np.r_[np.zeros(n), 1.0]]),
                  np.r_[b, 1.0], FLOAT, maximize=True)
    if n < 2 or not res.optimal or not res.value > 0:
        return _float_generators(G)
    x = np.asarray(res.x[:n], dtype=float)
    try:
        hull = ConvexHull(np.vstack([A / (b - A @ x)[:, None], np.zeros(n)]))
    except (QhullError, ValueError):
        return _float_generators(G)
    use = np.zeros(k, dtype=bool)
    use[hull.vertices[hull.vertices < k]] = True
    for _ in range(8):
        found = _float_generators(G[use])
        if found is None:
            return None
        bad = np.asarray((G.dot(found[0].T) < 0).any(axis=1), dtype=bool) & ~use
        if not bad.any():
            return found
        use |= bad
    return None


def _exact_generators(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and rays of cdd's exact (gmp) double description, as integer rows
    ``(D, X)`` (lines leave every slack unchanged and are left out)."""
    n = G.shape[1] - 1
    poly = cdd.gmp.polyhedron_from_matrix(cdd.gmp.matrix_from_array(
        G.tolist(), rep_type=cdd.RepType.INEQUALITY))
    gens = cdd.gmp.copy_generators(poly)
    H, point = [], []
    for g, row in enumerate(gens.array):
        if g in gens.lin_set:
            continue
        ints = list(primitive(row))
        if row[0] != 0:
            ints = [v * (1 if row[0] > 0 else -1) for v in ints]
        H.append(ints)
        point.append(row[0] != 0)
    if not any(point) and all(g == 0 for g in G[:, 0]):
        H.append([1] + [0] * n)
        point.append(True)
    return np.array(H, dtype=object).reshape(-1, n + 1), np.array(point, dtype=bool)


def _unit_rows(A: np.ndarray) -> np.ndarray:
    """Integer rows as floats scaled to a largest entry of 1 (no overflow)."""
    return np.array([[v / top for v in row] for row in A.tolist()
                     for top in (max(abs(u) for u in row) or 1,)], dtype=float)


def _independent(A: np.ndarray, order: np.ndarray, need: int) -> np.ndarray | None:
    """``need`` rows of ``A`` (integer rows) with independent float directions, taken
    greedily in ``order``; ``None`` when there are not enough."""
    basis: list[np.ndarray] = []
    out = []
    for t, u in zip(order, _unit_rows(A[order]), strict=True):
        if len(out) == need:
            break
        for q in basis:
            u = u - (q @ u) * q
        norm = float(np.linalg.norm(u))
        if norm > GEOMETRY_RTOL:
            basis.append(u / norm)
            out.append(int(t))
    return np.array(out, dtype=int) if len(out) == need else None


def det(M: list[list[int]]) -> int:
    """Determinant of an integer matrix (fraction-free Bareiss elimination).

    Parameters
    ----------
    M : list of list of int
        A square integer matrix.

    Examples
    --------
    >>> det([[2, 1], [1, 3]])
    5
    """
    k = len(M)
    if k <= 3:
        if k == 3:
            (a, b, c), (d, e, f), (g, h, i) = M
            return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return (M[0][0] * M[1][1] - M[0][1] * M[1][0]) if k == 2 else M[0][0] if k else 1
    a = [list(row) for row in M]
    sign, prev = 1, 1
    for i in range(k):
        piv = next((r for r in range(i, k) if a[r][i] != 0), None)
        if piv is None:
            return 0
        if piv != i:
            a[i], a[piv], sign = a[piv], a[i], -sign
        for r in range(i + 1, k):
            for j in range(i + 1, k):
                a[r][j] = (a[r][j] * a[i][i] - a[r][i] * a[i][j]) // prev
        prev = a[i][i]
    return sign * a[-1][-1] if k else 1


def _null_vector(M: list[list[int]]) -> list[int]:
    """The integer vector of signed maximal minors of a ``k x (k + 1)`` integer matrix (its
    kernel when the rank is ``k``, else 0), up to sign, divided by its gcd. With the first
    ``k`` columns independent, one fraction-free solve gives it; otherwise the minors."""
    k = len(M)
    solved = _fraction_free_solve([[*row[:k], -row[k]] for row in M], k) if k else None
    if solved is not None:
        d, X = solved
        h = [row[0] for row in X] + [d]
    else:
        h = [(-1) ** j * det([row[:j] + row[j + 1:] for row in M]) for j in range(k + 1)]
    g = math.gcd(*h)
    return [v // g for v in h] if g > 1 else h


# -- LP fallback ---------------------------------------------------------------
def _lp_irredundant(e: np.ndarray, c: np.ndarray, i: int, pool: np.ndarray,
                    ) -> np.ndarray | None:
    """Decide monomial ``i`` against the monomials in ``pool`` by one LP.

    ``i`` is irredundant iff some ``x`` makes it strictly larger than every
    other monomial: maximise ``t <= 1`` subject to
    ``(a_j - a_i) . x + t <= c_i - c_j``. Returns such an ``x`` or ``None``.
    """
    others = [int(j) for j in pool if int(j) != i]
    n = e.shape[1]
    if not others:
        return np.zeros(n, dtype=object)
    one, zero = Fraction(1), Fraction(0)
    rows = [[*(e[j] - e[i]), one] for j in others] + [[*([zero] * n), one]]
    rhs = [c[i] - c[j] for j in others] + [one]
    res = linprog([zero] * n + [one], np.array(rows, dtype=object),
                  np.array(rhs, dtype=object), EXACT, maximize=True)
    return np.asarray(res.x[:n]) if res.optimal and res.value > 0 else None

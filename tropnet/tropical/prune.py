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
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from scipy.linalg import qr
from scipy.spatial import ConvexHull, QhullError, cKDTree

from ..arithmetic import BARYCENTRIC_TOL, EXACT, GEOMETRY_RTOL, LEAD_RTOL, TINY, Arithmetic
from ..polyhedra.lp import linprog

__all__ = ["irredundant"]

_CHUNK = 1 << 22  # entries per chunk of the candidate-by-point margin matrices


def irredundant(exponents: np.ndarray, coefficients: np.ndarray, arith: Arithmetic,
                witnesses: bool = False) -> Any:
    """Sorted indices of the irredundant monomials (exponent rows must be distinct).

    With ``witnesses=True`` also returns, for each of them, a point of the
    interior of its cell (exactly checked in exact mode), as a ``(k, n)`` array.

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
        points[int(i)] = _pad(x, cols, n_full)
    uncertain = np.concatenate([cand[~vert_ok], unsure])
    if len(uncertain):
        pool = np.concatenate([np.array(sorted(points), dtype=int), uncertain])
        for i in uncertain:
            x = _lp_irredundant(e, c, int(i), pool)
            if x is not None:
                points[int(i)] = _pad(x, cols, n_full)
    keep = np.array(sorted(i for i in points if i < m), dtype=int)
    return keep, points


def _pad(x: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
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
def _upper_hull(ef: np.ndarray, cf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray
                                                        ] | None:
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
    for options in ("Qt", "Qt Q12", "QJ"):
        try:
            hull = ConvexHull(pts, qhull_options=options)
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
                    simplices: np.ndarray, chosen: np.ndarray, cache: dict) -> np.ndarray:
    """For points ``p`` and their simplices ``S``: ``a_p = sum lambda_s a_s``,
    ``lambda >= 0`` and ``sum lambda_s c_s >= c_p`` (which proves ``p`` redundant).

    Each simplex matrix is inverted exactly (:func:`_simplex_inverse`), so the float
    filter on ``lambda`` and the gap has a rigorous error bound; the entries it cannot
    decide are evaluated exactly.
    """
    n = ef.shape[1]
    out = np.zeros(len(pts), dtype=bool)
    for s in np.unique(chosen[chosen >= 0]):
        if int(s) not in cache:
            cache[int(s)] = _simplex_inverse(e, c, simplices[s])
    usable = np.array([ch >= 0 and cache.get(int(ch)) is not None for ch in chosen],
                      dtype=bool)
    idx = np.flatnonzero(usable)
    if len(idx) == 0:
        return out
    sims = chosen[idx]
    binv_f = np.array([cache[int(s)].binv_f for s in sims])
    mu_f = np.array([cache[int(s)].mu_f for s in sims])
    p = pts[idx]
    v = np.column_stack([ef[p], np.ones(len(p))])
    lam = np.einsum("pij,pj->pi", binv_f, v)
    lam_mag = np.einsum("pij,pj->pi", np.abs(binv_f), np.abs(v))
    gap = np.einsum("pj,pj->p", mu_f, v) - np.asarray(c[p], dtype=float)
    gap_mag = np.einsum("pj,pj->p", np.abs(mu_f), np.abs(v)) + np.abs(
        np.asarray(c[p], dtype=float))

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


class _Inverse(NamedTuple):
    """``B^-1 = num / den`` (integers, ``den > 0``) and ``mu = B^-T c_S = mu_num / mu_den``,
    with their correctly rounded floats."""

    num: list[list[int]]
    den: int
    mu_num: list[int]
    mu_den: int
    binv_f: np.ndarray
    mu_f: np.ndarray


def _simplex_inverse(e: np.ndarray, c: np.ndarray, simplex: np.ndarray) -> _Inverse | None:
    """Exact inverse of ``B = [[a_s], [1]]`` (columns: simplex points) and ``mu = B^-T c_S``;
    ``None`` when ``B`` is singular.

    Fraction-free (Bareiss) elimination on the rows of ``B`` scaled to integers: with
    ``B' = diag(s) B`` integral, ``B' X = d diag(s)`` has the integral solution
    ``X = d B^-1`` (``d = ±det B'``), and every division in the elimination and in the
    back substitution is exact.
    """
    size = e.shape[1] + 1
    rows = [[Fraction(e[s][k]) for s in simplex] for k in range(size - 1)]
    rows.append([Fraction(1)] * size)
    scale = [math.lcm(*(v.denominator for v in row)) for row in rows]
    a = [[v.numerator * (s // v.denominator) for v in row] + [s * (i == k) for k in range(size)]
         for i, (row, s) in enumerate(zip(rows, scale, strict=True))]
    prev = 1
    for k in range(size):
        piv = next((r for r in range(k, size) if a[r][k] != 0), None)
        if piv is None:
            return None
        a[k], a[piv] = a[piv], a[k]
        rk, akk = a[k], a[k][k]
        for ri in a[k + 1:]:
            aik = ri[k]
            for j in range(k + 1, 2 * size):
                ri[j] = (akk * ri[j] - aik * rk[j]) // prev
            ri[k] = 0
        prev = akk
    d = a[-1][size - 1]
    num: list[list[int]] = [[]] * size
    for i in range(size - 1, -1, -1):
        ri = a[i]
        num[i] = [(d * ri[size + col] - sum(ri[j] * num[j][col] for j in range(i + 1, size)))
                  // ri[i] for col in range(size)]
    if d < 0:
        d, num = -d, [[-v for v in row] for row in num]
    cs = [Fraction(c[s]) for s in simplex]
    cden = math.lcm(*(v.denominator for v in cs))
    ci = [v.numerator * (cden // v.denominator) for v in cs]
    mu_num = [sum(num[k][l] * ci[k] for k in range(size)) for l in range(size)]
    mu_den = d * cden
    return _Inverse(num, d, mu_num, mu_den,
                    np.array([[v / d for v in row] for row in num]),
                    np.array([v / mu_den for v in mu_num]))


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

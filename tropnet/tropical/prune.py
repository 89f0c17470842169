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

In exact mode the certificate checks are exact (a floating-point filter with
a rigorous round-off bound, exact rational arithmetic where the filter
cannot decide) and step 4 uses cdd's exact simplex; in float mode they use
the derived tolerance and HiGHS. Without a usable hull (few points, or all
lifted points on a hyperplane) every point goes to step 4.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..arithmetic import Arithmetic
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
    idx, pts = _irredundant(exponents, coefficients, arith)
    if not witnesses:
        return idx
    dtype = object if arith.exact else float
    out = np.empty((len(idx), exponents.shape[1]), dtype=dtype)
    for row, i in enumerate(idx):
        out[row] = [arith.convert(v) for v in pts[int(i)]]
    return idx, out


def _irredundant(exponents: np.ndarray, coefficients: np.ndarray, arith: Arithmetic
                 ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    m, n_full = exponents.shape
    if m <= 2:  # distinct exponents: each monomial wins on an open half-space
        return np.arange(m), _halfspace_witnesses(exponents, coefficients, arith)
    ef = np.asarray(exponents, dtype=float)
    cf = np.asarray(coefficients, dtype=float)
    reduced = _reduce(exponents, coefficients, ef, cf, arith)
    if reduced is None:
        return _lp_all(exponents, coefficients, arith)
    cols, flat = reduced
    e, c = exponents[:, cols], coefficients
    ef, n = ef[:, cols], len(cols)
    if flat:  # all lifted points on a hyperplane: lift an apex above their centroid
        e, c, ef, cf = _with_apex(e, c, ef, cf, arith)
    hull = _upper_hull(ef, cf) if len(ef) > n + 1 else None
    if hull is None:
        return _lp_all(exponents, coefficients, arith)
    total = len(ef)
    simplices, normals, silhouette = hull
    cand, witness = _vertex_witnesses(simplices, normals, silhouette, total, n)
    vert_ok = _certify_vertices(e, c, ef, cf, cand, witness, arith)
    points: dict[int, np.ndarray] = {}
    for i, x in zip(cand[vert_ok], witness[vert_ok], strict=True):
        points[int(i)] = _pad(x, cols, n_full)
    others = np.flatnonzero(~np.isin(np.arange(total), cand))
    red_ok = _certify_redundant(e, c, ef, cf, others, simplices, normals, arith)
    uncertain = np.concatenate([cand[~vert_ok], others[~red_ok]])
    if len(uncertain):
        pool = np.concatenate([np.array(sorted(points), dtype=int), uncertain])
        for i in uncertain:
            x = _lp_irredundant(e, c, int(i), pool, arith)
            if x is not None:
                points[int(i)] = _pad(x, cols, n_full)
    keep = np.array(sorted(i for i in points if i < m), dtype=int)
    return keep, points


def _pad(x: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=object)
    out[:] = 0
    out[cols] = list(x)
    return out


def _halfspace_witnesses(e: np.ndarray, c: np.ndarray, arith: Arithmetic) -> dict[int, np.ndarray]:
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


def _lp_all(e: np.ndarray, c: np.ndarray, arith: Arithmetic
            ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    m = e.shape[0]
    points = {}
    for i in range(m):
        x = _lp_irredundant(e, c, i, np.arange(m), arith)
        if x is not None:
            points[i] = x
    return np.array(sorted(points), dtype=int), points


# -- dimension reduction ------------------------------------------------------------
def _reduce(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray, arith: Arithmetic
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
    cols = _independent_columns(d, scale, arith)
    r = len(cols)
    if r < n and not _dependent(e, ef, cols, np.setdiff1d(np.arange(n), cols), arith):
        return None
    lifted = np.column_stack([d[:, cols], cf - cf[0]])
    cscale = max(scale, float(np.abs(cf).max()))
    flat = len(_independent_columns(lifted, cscale, arith)) == r
    if flat:
        full_e = np.concatenate([e[:, cols], c.reshape(-1, 1)], axis=1)
        full_f = np.column_stack([ef[:, cols], cf])
        if not _dependent(full_e, full_f, np.arange(r), np.array([r]), arith):
            flat = False  # numerically flat but not exactly: no hull in reduced form
            return None
    return np.asarray(cols, dtype=int), flat


def _independent_columns(d: np.ndarray, scale: float, arith: Arithmetic) -> np.ndarray:
    """A maximal set of linearly independent columns of ``d`` (QR with pivoting)."""
    from scipy.linalg import qr

    if d.shape[1] == 0:
        return np.zeros(0, dtype=int)
    _, rr, piv = qr(d, mode="economic", pivoting=True)
    diag = np.abs(np.diag(rr))
    tol = max(d.shape) * 1e-12 * scale * max(1.0, np.sqrt(d.shape[0]))
    rank = int(np.sum(diag > tol))
    return np.sort(piv[:rank])


def _dependent(e: np.ndarray, ef: np.ndarray, base: np.ndarray, rest: np.ndarray,
               arith: Arithmetic) -> bool:
    """True when, for all rows, ``e[:, rest] - e0[rest]`` is a fixed linear function of
    ``e[:, base] - e0[base]`` (checked exactly in exact mode)."""
    if len(rest) == 0:
        return True
    r = len(base)
    d = ef - ef[0]
    if r == 0:
        rows = []
    else:
        from scipy.linalg import qr

        _, _, piv = qr(d[:, base].T, mode="economic", pivoting=True)
        rows = np.sort(piv[:r])
    if arith.exact:
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
    dx, dy = d[:, base], d[:, rest]
    if r:
        try:
            coef = np.linalg.solve(dx[rows], dy[rows])
        except np.linalg.LinAlgError:
            return False
        resid = dy - dx @ coef
    else:
        resid = dy
    scale = max(1.0, float(np.abs(ef).max()))
    return bool(np.all(np.abs(resid) <= arith.tol * scale))  # type: ignore[attr-defined]


def _with_apex(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
               arith: Arithmetic) -> tuple[np.ndarray, ...]:
    """Append the point (centroid, mean coefficient + 1) above a flat lifted set.

    For a flat set ``S`` a monomial is irredundant in ``S`` iff it is in
    ``S + apex`` (the apex lies over the interior of the Newton polytope), so
    certificates computed with the apex are valid for ``S``.
    """
    m = len(e)
    apex_e = np.array([sum(e[:, k]) / m for k in range(e.shape[1])], dtype=e.dtype)
    apex_c = sum(c) / m + arith.convert(1)
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
    pts = np.column_stack([ef, cf])
    try:
        hull = ConvexHull(pts, qhull_options="Qt")
    except (QhullError, ValueError):
        return None
    n = ef.shape[1]
    eq = hull.equations[:, : n + 1]
    up = eq[:, n] > 1e-12
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
    return hull.simplices[up], eq[up], np.column_stack([ray_arr, ridge_arr])


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
                      cand: np.ndarray, witness: np.ndarray, arith: Arithmetic) -> np.ndarray:
    """Mask of candidates ``i`` whose witness makes monomial ``i`` strictly maximal."""
    m, n = ef.shape
    ok = np.ones(len(cand), dtype=bool)
    absE, absC = np.abs(ef), np.abs(cf)
    rows = max(1, _CHUNK // max(m, 1))
    for start in range(0, len(cand), rows):
        idx = cand[start:start + rows]
        x = witness[start:start + rows]
        vals = cf[None, :] + x @ ef.T  # (k, m)
        mags = absC[None, :] + np.abs(x) @ absE.T
        own = vals[np.arange(len(idx)), idx][:, None]
        own_mag = mags[np.arange(len(idx)), idx][:, None]
        margin = own - vals
        mag = own_mag + mags

        def exact_margin(flat: np.ndarray, idx=idx, x=x) -> list[Any]:
            out = []
            for f in flat:
                r, j = divmod(int(f), m)
                i = int(idx[r])
                if i == j:
                    out.append(1)  # the candidate itself: never a constraint
                    continue
                xs = [Fraction(float(v)) for v in x[r]]
                out.append(c[i] - c[j] + sum((e[i, k] - e[j, k]) * xs[k] for k in range(n)))
            return out

        sign = arith.filtered_sign(margin, mag, exact_margin, terms=n + 1)
        sign[np.arange(len(idx)), idx] = 1
        ok[start:start + rows] = np.all(sign > 0, axis=1)
    return ok


def _certify_redundant(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
                       points: np.ndarray, simplices: np.ndarray, normals: np.ndarray,
                       arith: Arithmetic, tries: int = 3) -> np.ndarray:
    """Mask of ``points`` proven redundant by a barycentric certificate under a facet.

    The facet tried first for a point ``p`` is the upper simplex whose
    projection contains ``a_p`` (float barycentric weights) with the lowest
    plane over ``a_p``; triangulated facets make many simplices share one
    plane, so the containment test, not the height alone, picks the simplex.
    """
    n = ef.shape[1]
    ok = np.zeros(len(points), dtype=bool)
    if len(points) == 0:
        return ok
    nf = len(simplices)
    bmat = np.concatenate([np.transpose(ef[simplices], (0, 2, 1)),
                           np.ones((nf, 1, n + 1))], axis=1)  # (F, n+1, n+1) columns = points
    with np.errstate(all="ignore"):
        det = np.linalg.det(bmat)
        good = np.abs(det) > 1e-300
        inv = np.zeros_like(bmat)
        inv[good] = np.linalg.inv(bmat[good])
    v0 = simplices[:, 0]
    off = -(np.einsum("ij,ij->i", normals[:, :n], ef[v0]) + normals[:, n] * cf[v0])
    cache: dict[int, tuple] = {}
    rows = max(1, _CHUNK // (nf * (n + 1)))
    for start in range(0, len(points), rows):
        pts = points[start:start + rows]
        v = np.column_stack([ef[pts], np.ones(len(pts))])
        lam = np.einsum("fij,pj->pfi", inv, v)
        inside = (lam.min(axis=2) >= -1e-9) & good[None, :]
        heights = -(ef[pts] @ normals[:, :n].T + off[None, :]) / normals[None, :, n]
        score = np.where(inside, heights, np.inf)
        k = min(tries, nf)
        order = np.argsort(score, axis=1, kind="stable")[:, :k]
        for slot in range(k):
            todo = np.flatnonzero(~ok[start:start + rows])
            if len(todo) == 0:
                break
            facets = order[todo, slot]
            for f in np.unique(facets):
                sel = todo[facets == f]
                good_f = _barycentric_ok(e, c, ef, cf, pts[sel], simplices[f], int(f), cache,
                                         arith)
                ok[start + sel[good_f]] = True
    return ok


def _barycentric_ok(e: np.ndarray, c: np.ndarray, ef: np.ndarray, cf: np.ndarray,
                    pts: np.ndarray, simplex: np.ndarray, key: int, cache: dict,
                    arith: Arithmetic) -> np.ndarray:
    """For points ``p``: ``a_p = sum lambda_s a_s``, ``lambda >= 0`` and
    ``sum lambda_s c_s >= c_p`` over the simplex's points (which proves ``p``
    redundant)."""
    n = ef.shape[1]
    if key not in cache:
        cache[key] = _simplex_inverse(e, c, simplex, arith)
    inv = cache[key]
    if inv is None:
        return np.zeros(len(pts), dtype=bool)
    binv, mu = inv
    binv_f, mu_f = np.asarray(binv, dtype=float), np.asarray(mu, dtype=float)
    v = np.column_stack([ef[pts], np.ones(len(pts))])  # (k, n+1)
    lam = v @ binv_f.T
    lam_mag = np.abs(v) @ np.abs(binv_f).T
    gap = v @ mu_f - cf[pts]
    gap_mag = np.abs(v) @ np.abs(mu_f) + np.abs(cf[pts])

    def vec(p: int) -> list:
        return [*e[p], 1] if arith.exact else [*ef[p], 1.0]

    def exact_lam(flat: np.ndarray) -> list:
        out = []
        for f in flat:
            r, k = divmod(int(f), n + 1)
            out.append(sum(binv[k][l] * x for l, x in enumerate(vec(int(pts[r])))))
        return out

    def exact_gap(flat: np.ndarray) -> list:
        out = []
        for f in flat:
            p = int(pts[f])
            out.append(sum(mu[l] * x for l, x in enumerate(vec(p))) - c[p])
        return out

    s_lam = arith.filtered_sign(lam, lam_mag, exact_lam, terms=n + 1)
    s_gap = arith.filtered_sign(gap, gap_mag, exact_gap, terms=n + 2)
    return np.all(s_lam >= 0, axis=1) & (s_gap >= 0)


def _simplex_inverse(e: np.ndarray, c: np.ndarray, simplex: np.ndarray, arith: Arithmetic
                     ) -> tuple[list, list] | None:
    """Inverse of ``B = [[a_s], [1]]`` (columns: simplex points) and ``mu = B^-T c_S``.

    Exact mode inverts with Fractions (so the filter's bound is rigorous);
    float mode with numpy. ``None`` when ``B`` is singular.
    """
    n = e.shape[1]
    cols = [[*e[s], 1] for s in simplex]
    if not arith.exact:
        b = np.array(cols, dtype=float).T
        try:
            binv = np.linalg.inv(b)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(binv)) or np.linalg.cond(b) > 1e12:
            return None
        mu = binv.T @ np.array([c[s] for s in simplex], dtype=float)
        return binv.tolist(), mu.tolist()
    size = n + 1
    aug = [[Fraction(cols[j][i]) for j in range(size)] + [Fraction(int(i == k)) for k in
                                                          range(size)] for i in range(size)]
    for col in range(size):
        piv = next((r for r in range(col, size) if aug[r][col] != 0), None)
        if piv is None:
            return None
        aug[col], aug[piv] = aug[piv], aug[col]
        p = aug[col][col]
        aug[col] = [v / p for v in aug[col]]
        for r in range(size):
            if r != col and aug[r][col] != 0:
                factor = aug[r][col]
                aug[r] = [a - factor * b for a, b in zip(aug[r], aug[col], strict=True)]
    binv = [row[size:] for row in aug]
    cs = [c[s] for s in simplex]
    mu = [sum(binv[k][l] * cs[k] for k in range(size)) for l in range(size)]
    return binv, mu


# -- LP fallback ---------------------------------------------------------------
def _lp_irredundant(e: np.ndarray, c: np.ndarray, i: int, pool: np.ndarray,
                    arith: Arithmetic) -> np.ndarray | None:
    """Decide monomial ``i`` against the monomials in ``pool`` by one LP.

    ``i`` is irredundant iff some ``x`` makes it strictly larger than every
    other monomial: maximise ``t <= 1`` subject to
    ``(a_j - a_i) . x + t <= c_i - c_j``. Returns such an ``x`` or ``None``.
    """
    others = [int(j) for j in pool if int(j) != i]
    n = e.shape[1]
    if not others:
        return np.zeros(n, dtype=object)
    one, zero = arith.convert(1), arith.convert(0)
    rows = [[*(e[j] - e[i]), one] for j in others] + [[*([zero] * n), one]]
    rhs = [c[i] - c[j] for j in others] + [one]
    res = linprog([zero] * n + [one], np.array(rows, dtype=e.dtype), np.array(rhs, dtype=c.dtype),
                  arith, maximize=True)
    if not res.optimal:
        return None
    scale = max(1.0, float(np.max(np.abs(np.asarray(rhs, dtype=float)))))
    if arith.sign(np.array([res.value], dtype=e.dtype), scale)[0] > 0:
        return np.asarray(res.x[:n])
    return None

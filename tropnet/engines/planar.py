"""Activation regions of networks with two inputs: a planar subdivision split line by line.

On a bounded 2-D domain (a box or a bounded polygon) the activation regions of a ReLU or
leaky ReLU network are the faces of a planar subdivision. It is kept as numpy arrays:

* vertices;
* edges: their two end vertices, the faces on either side (``-1`` outside the domain)
  and the line they lie on (a side of the domain or the zero line of a unit);
* faces: their activation patterns so far.

Each unit of a layer in turn splits the subdivision by its zero line. The unit's
pre-activation is affine on every face of the earlier layers' subdivision, so its signs
at the vertices say everything: an edge whose ends have strictly opposite signs gets a
new vertex where the unit vanishes, and a face with vertices strictly on both sides is
cut by a new edge between the two points of its boundary where the unit vanishes. All
faces are handled at once, one unit after the other (the structure of regioncam, van
Laarhoven, here with numpy).

Exactness. Exact mode keeps every vertex as one primitive integer vector
``d (1, x, y, z)`` with the current layer's pre-activations ``z``: a new vertex is
``|A| G_b + |B| G_a`` for the values ``A``, ``B`` of the splitting unit at the ends of its
edge (no division, no rounding), and a layer is one integer matrix product. Float mode is
*certified*: every face of the earlier layers carries the affine map of the layer's
pre-activations as :class:`~tropnet.arithmetic.Ball` values (one product per layer), and
every vertex a float position with a rigorous radius. A new vertex is the intersection of
two lines in balls -- the line of its edge and the unit's line on the face -- so the
radii do not pile up along chains of cuts. A sign at a vertex is used only when it is
certain; otherwise the vertex is placed exactly (the intersection of the exact lines it
lies on, from the exact rationals of the float weights) and the sign is decided on its
exact pre-activations; ``info["exact_fallbacks"]`` counts these vertices. The
subdivision, hence the count and the patterns, is the exact one for the float weights as
given.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np

from ..arithmetic import (
    EXACT,
    FLOAT,
    SMALLEST_SUBNORMAL,
    UNIT_ROUNDOFF,
    Arithmetic,
    Ball,
    gamma,
    resolve,
)
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..limits import check_memory, note
from ..network import Layer, Network
from ..polyhedra import Polyhedron
from .cones import initial_cone, primitive
from .patterns import certified_regions, read_in, warn_exact_fallback, warn_small_margin
from .result import Region, RegionSet

__all__ = ["planar_count", "planar_regions", "planar_support"]

_U, _ETA = UNIT_ROUNDOFF, SMALLEST_SUBNORMAL
#: faces whose maps are computed at once (bounds the memory of a layer's products)
_CHUNK = 1 << 13


def planar_support(net: Network, domain: Domain) -> str | None:
    """Why the planar engine cannot enumerate ``net`` on ``domain``, or ``None`` when it can.

    It needs two inputs, a bounded domain and ReLU, leaky ReLU or identity layers.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain
        A resolved domain (``parse_domain(..., net.input_dim)``).

    Returns
    -------
    str or None
        The reason, as the end of a sentence ("it needs ..."), or ``None``.
    """
    if net.input_dim != 2:
        return f"it needs input dimension 2 (the network has {net.input_dim})"
    if domain.kind == "rn" or not domain.bounded:
        return "it needs a bounded domain (a box or a bounded polytope)"
    for layer in net.layers:
        if layer.act.patterned and not layer.act.hyperplane:
            return f"it splits by one line per unit and does not handle {layer.activation} layers"
    return None


def planar_regions(net: Network, domain: Domain | str | None = None,
                   exact: bool | Arithmetic | None = None,
                   progress: Callable[[int], None] | None = None) -> RegionSet:
    """The activation regions of a network with two inputs on a bounded 2-D domain.

    The same :class:`~tropnet.RegionSet` as
    :func:`~tropnet.engines.enumerate.activation_regions` (Serra et al. 2018: one region
    per activation pattern whose set has a non-empty interior in the domain), found by
    splitting a planar subdivision by each unit's zero line in turn (see the module).
    Each region's polyhedron has one row per side of its polygon.

    Parameters
    ----------
    net : Network
        A network with two inputs and ReLU, leaky ReLU or identity layers.
    domain : Domain, str or None, default None
        A box or a bounded polytope (``None``, all of ``R^2``, is refused).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    progress : callable or None, default None
        Called with the number of regions after each layer.

    Returns
    -------
    RegionSet
        The activation regions, ``engine="planar"``; in float mode ``info`` holds
        ``exact_fallbacks``, the vertices whose signs were decided exactly.

    Raises
    ------
    TropnetError
        When the engine does not apply (:func:`planar_support`).

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(2, [([[1, 0], [0, 1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> planar_regions(net, "box:-1,1").count         # the four quadrants
    4

    Notes
    -----
    A unit costs a few passes over the vertices and edges; a layer costs one product of
    its weights with the maps of all faces (float) or with all vertices (exact). Listing
    the regions adds one such product for the output maps and the Python objects.
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    sub = _build(net, dom, arith, progress)
    regions, info = certified_regions(net, sub.regions(), dom, arith, sub.vals.fallbacks)
    return RegionSet("activation", regions, dom, "enumerate", arith, engine="planar",
                     info=info)


def planar_count(net: Network, domain: Domain | str | None = None,
                 exact: bool | Arithmetic | None = None,
                 progress: Callable[[int], None] | None = None) -> tuple[int, dict]:
    """The number of activation regions of :func:`planar_regions`, without building the
    regions, and the ``info`` of the run.

    Parameters
    ----------
    net : Network
        A network with two inputs and ReLU, leaky ReLU or identity layers.
    domain : Domain, str or None, default None
        A box or a bounded polytope (``None``, all of ``R^2``, is refused).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    progress : callable or None, default None
        Called with the number of regions after each layer.

    Returns
    -------
    tuple
        ``(count, info)``; ``info`` holds ``exact_fallbacks`` in float mode.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(2, [([[1, 0], [1, 1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> planar_count(net, "box:-1,1")                 # two lines through the origin
    (4, {})
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    sub = _build(net, dom, arith, progress)
    return sub.F, ({} if arith.exact else {"exact_fallbacks": sub.vals.fallbacks})


def _build(net: Network, dom: Domain, arith: Arithmetic,
           progress: Callable[[int], None] | None) -> _Planar:
    reason = planar_support(net, dom)
    if reason is not None:
        raise TropnetError(f"the planar engine cannot run here: {reason}; use the vertex or "
                           f"LP engine (engine='vertex' or 'lp')")
    sub = _Planar(net, dom, arith)
    sub.run(progress)
    return sub


# -- the subdivision -----------------------------------------------------------------------
class _Planar:
    """The planar subdivision: edges and faces here, vertex values in ``vals``."""

    def __init__(self, net: Network, dom: Domain, arith: Arithmetic) -> None:
        self.net, self.dom, self.arith = net, dom, arith
        cone, rows = initial_cone(read_in(dom, arith), EXACT)
        if any(g[0] == 0 for g in cone.gens):  # pragma: no cover - planar_support checked
            raise TropnetError("the planar engine needs a bounded domain")
        points = [(Fraction(int(g[1]), int(g[0])), Fraction(int(g[2]), int(g[0])))
                  for g in cone.gens]
        self.dom_rows = rows  # exact (a, b): a . x <= b
        sides: dict[tuple[int, int], int] = {}
        for k in range(len(rows)):
            on = np.flatnonzero(cone.tight[:, k + 1])
            if len(on) == 2:
                sides.setdefault((int(on[0]), int(on[1])), k)
        # line ids: the domain's rows first, then one per unit of each layer
        self.K = len(rows)
        self.offsets = np.cumsum([0, *(layer.units for layer in net.layers)])
        ne = len(sides)
        self.E = ne
        self.ea = np.array([p[0] for p in sides], dtype=np.int64)
        self.eb = np.array([p[1] for p in sides], dtype=np.int64)
        self.el = np.zeros(ne, dtype=np.int64)
        self.er = np.full(ne, -1, dtype=np.int64)
        self.eline = np.array(list(sides.values()), dtype=np.int64)
        self.F = 1
        self.pats = [np.zeros((16, layer.units if layer.act.patterned else 0), dtype=np.int8)
                     for layer in net.layers]
        self.vals: _FloatValues | _ExactValues = (
            _ExactValues(self, points) if arith.exact else _FloatValues(self, points))

    def line_id(self, index: int, u: int) -> int:
        return self.K + int(self.offsets[index]) + u

    def line_unit(self, line: int) -> tuple[int, int]:
        """``(layer, unit)`` of a unit's line id."""
        index = int(np.searchsorted(self.offsets, line - self.K, side="right")) - 1
        return index, line - self.K - int(self.offsets[index])

    # -- the walk ---------------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None) -> None:
        layers = self.net.layers
        needed = max((i for i, layer in enumerate(layers) if layer.act.patterned), default=-1)
        for index, layer in enumerate(layers):
            if index <= needed:
                self.vals.start(index)
            if layer.act.patterned:
                for u in range(layer.units):
                    if u % 16 == 0:
                        known = {"lower_bound": self.F,
                                 "lower_bound_of": "activation regions",
                                 "layers_done": index}
                        note(**known)
                        check_memory("enumerating activation regions (planar engine)",
                                     "count on a smaller box, or use the sampling estimate "
                                     "(tropnet sample)", partial=known)
                    self._split(index, u)
            if progress is not None:
                progress(self.F)

    def _split(self, index: int, u: int) -> None:
        """Split every face by the zero line of unit ``u`` of layer ``index``."""
        sg = self.vals.signs(u)
        E, F = self.E, self.F
        ea, eb, el, er = self.ea[:E], self.eb[:E], self.el[:E], self.er[:E]
        sa, sb = sg[ea], sg[eb]
        pos_e, neg_e = (sa > 0) | (sb > 0), (sa < 0) | (sb < 0)
        fp = np.zeros(F + 1, dtype=bool)  # the last entry stands for the outside (-1)
        fp[el[pos_e]] = True
        fp[er[pos_e]] = True
        fn = np.zeros(F + 1, dtype=bool)
        fn[el[neg_e]] = True
        fn[er[neg_e]] = True
        self.pats[index][:F, u] = fp[:F]  # pattern 1 iff the unit is positive inside
        cut = fp & fn
        cut[F] = False
        if not cut.any():
            return
        line = self.line_id(index, u)
        ci = np.flatnonzero(pos_e & neg_e)  # edges with ends of strictly opposite signs
        if len(ci):
            b = eb[ci]
            nv = self.vals.add(ci, index, u)
            sg = np.concatenate([sg, np.zeros(len(ci), dtype=np.int8)])
            self._add_edges(nv, b, el[ci], er[ci], self.eline[ci], ci)
            self.eb[ci] = nv
            E = self.E
            ea, eb, el, er = self.ea[:E], self.eb[:E], self.el[:E], self.er[:E]
            sa, sb = sg[ea], sg[eb]
        cf = np.flatnonzero(cut[:F])
        m = len(cf)
        in_l, in_r = cut[el], cut[er]
        za, zb = sa == 0, sb == 0
        nv_all = len(sg)
        keys = np.unique(np.concatenate([
            el[in_l & za] * nv_all + ea[in_l & za], el[in_l & zb] * nv_all + eb[in_l & zb],
            er[in_r & za] * nv_all + ea[in_r & za], er[in_r & zb] * nv_all + eb[in_r & zb]]))
        fz, vz = keys // nv_all, keys % nv_all
        if len(keys) != 2 * m or np.any(fz[0::2] != cf) or np.any(fz[1::2] != cf):
            raise RuntimeError("internal error: a face cut by a line does not have exactly "
                               "two boundary points on it")  # pragma: no cover
        newf = np.arange(F, F + m)
        remap = np.arange(F + 1)
        remap[F] = -1
        remap[cf] = newf
        neg = (sa < 0) | (sb < 0)  # edges of a cut face with a negative end: the new face
        ml, mr = in_l & neg, in_r & neg
        el[ml] = remap[el[ml]]
        er[mr] = remap[er[mr]]
        self._add_edges(vz[0::2], vz[1::2], cf, newf, np.full(m, line), None, (index, u))
        for k in range(len(self.pats)):
            self.pats[k] = _grow(self.pats[k], F + m)
            if k <= index:
                self.pats[k][newf] = self.pats[k][cf]
        self.pats[index][newf, u] = 0
        self.vals.new_faces(cf, newf)
        self.F = F + m

    def _add_edges(self, a: np.ndarray, b: np.ndarray, fl: np.ndarray, fr: np.ndarray,
                   line: np.ndarray, like: np.ndarray | None,
                   unit: tuple[int, int] | None = None) -> None:
        """New edges ``a``-``b`` between faces ``fl`` and ``fr`` on ``line``: parts of the
        edges ``like``, or (``unit``) cuts of the faces ``fl`` by a unit's line."""
        E, k = self.E, len(a)
        for name in ("ea", "eb", "el", "er", "eline"):
            setattr(self, name, _grow(getattr(self, name), E + k))
        self.ea[E:E + k], self.eb[E:E + k] = a, b
        self.el[E:E + k], self.er[E:E + k], self.eline[E:E + k] = fl, fr, line
        self.vals.new_edges(E, k, like, fl, unit)
        self.E = E + k

    # -- regions ----------------------------------------------------------------------------
    def regions(self) -> list[Region]:
        """The faces as :class:`Region` values (pattern, polygon rows, map, interior point)."""
        F, E = self.F, self.E
        arith = self.arith
        el, er, ea, eb, eline = (x[:E] for x in (self.el, self.er, self.ea, self.eb,
                                                  self.eline))
        # vertices of each face: their centroid is strictly inside (a convex polygon)
        nv = self.vals.n
        fv = np.unique(np.concatenate([el * nv + ea, el * nv + eb, er * nv + ea,
                                       er * nv + eb]))
        fv = fv[fv >= 0]
        vface, vert = fv // nv, fv % nv
        starts = np.flatnonzero(np.r_[True, vface[1:] != vface[:-1]])
        counts = np.diff(np.r_[starts, len(vface)])
        centre = np.add.reduceat(self.vals.points(vert), starts, axis=0)
        centre = centre / counts[:, None] if not arith.exact else \
            np.array([[c / int(k) for c in row] for row, k in zip(centre, counts,
                                                                  strict=True)], dtype=object)
        # the lines of each face's sides, once per face (the first edge of each)
        nl = self.K + int(self.offsets[-1])
        keys = np.concatenate([el * nl + eline, er * nl + eline])
        edge = np.tile(np.arange(E), 2)
        keep = keys >= 0
        keys, first = np.unique(keys[keep], return_index=True)
        edge = edge[keep][first]
        rface, rline = keys // nl, keys % nl
        A, b = self.vals.side_rows(rface, rline, edge, centre)
        rstart = np.flatnonzero(np.r_[True, rface[1:] != rface[:-1]])
        rend = np.r_[rstart[1:], len(rface)]
        weight, bias, error = self.vals.output_maps()
        pats = self._pattern_tuples()
        return [Region((Polyhedron(A[rstart[f]:rend[f]], b[rstart[f]:rend[f]], arith),),
                       weight[f], bias[f], centre[f], pats[f],
                       None if error is None else error[f]) for f in range(F)]

    def _pattern_tuples(self) -> list[tuple]:
        per_layer = [self.pats[k][:self.F].tolist() if layer.act.patterned else None
                     for k, layer in enumerate(self.net.layers)]
        return [tuple(tuple(p[f]) if p is not None else () for p in per_layer)
                for f in range(self.F)]

    def side(self, face: np.ndarray, line: np.ndarray) -> np.ndarray:
        """``-1`` where a unit's line is a side of ``face`` with the unit positive inside
        (its pre-activation ``z >= 0`` there), ``1`` otherwise (``z <= 0``)."""
        index = np.searchsorted(self.offsets, line - self.K, side="right") - 1
        unit = line - self.K - self.offsets[index]
        out = np.ones(len(face))
        for k in np.unique(index):
            sel = np.flatnonzero(index == k)
            out[sel[self.pats[k][face[sel], unit[sel]] == 1]] = -1.0
        return out


# -- vertex values: float ---------------------------------------------------------------------
class _FloatValues:
    """Float positions of the vertices with rigorous radii (max-norm): the exact vertex lies
    within ``rho[v]`` of ``X[v]``. Per layer, the pre-activation maps of the faces of the
    earlier layers (``root`` of each current face) as balls, ``(units, roots, 3)`` rows
    ``(c0, c1, c2)`` of ``z = c0 + c1 x + c2 y``; per edge its line as a ball row."""

    def __init__(self, sub: _Planar, points: list) -> None:
        self.sub, self.net = sub, sub.net
        n = len(points)
        self.n = n
        self.X = np.array([[float(x), float(y)] for x, y in points]).reshape(n, 2)
        err = [max(abs(Fraction(float(c)) - c) for c in p) for p in points]
        self.rho = np.array([np.nextafter(float(e), np.inf) if e else 0.0 for e in err])
        self.vface = np.zeros(n, dtype=np.int64)
        self.vdef = np.full((n, 3), -1, dtype=np.int64)  # edge line, unit line, face
        self.xpoints = dict(enumerate(points))  # exact coordinates known so far
        rows = Ball.of(np.array([[b, -a[0], -a[1]] for a, b in sub.dom_rows], dtype=object)
                       .reshape(-1, 3))
        self.erow, self.erad = rows.mid[sub.eline], rows.rad[sub.eline]
        self.root = np.zeros(16, dtype=np.int64)
        self.M = Ball(np.zeros((0, 1, 3)), np.zeros((0, 1, 3)))
        self.index = -1
        self.fallbacks = 0
        self._exact: dict[int, np.ndarray] = {}
        self._maps: dict[tuple, np.ndarray] = {}
        self._params: dict[int, tuple[Ball, Ball]] = {}

    # -- the layer's maps ---------------------------------------------------------------------
    def params(self, index: int) -> tuple[Ball, Ball]:
        """The layer's weights and biases as balls around their exact values."""
        if index not in self._params:
            layer = self.net.layers[index]
            W, b = layer.params(EXACT)
            self._params[index] = (Ball.of(W), Ball.of(b))
        return self._params[index]

    def maps(self, index: int, faces: np.ndarray) -> Ball:
        """The pre-activation maps of layer ``index`` on ``faces`` (current faces), from the
        maps of the previous layer: ``(units, len(faces), 3)``. One product ``W M`` with a
        rigorous radius ``|W| (rad M + gamma |M|)`` (plus the radius of ``W`` when its
        floats are not its exact values)."""
        W, b = self.params(index)
        k = len(faces)
        if index == 0:
            one = np.column_stack([b.mid, W.mid]), np.column_stack([b.rad, W.rad])
            return Ball(np.repeat(one[0][:, None, :], k, axis=1),
                        np.repeat(one[1][:, None, :], k, axis=1))
        g = self.root[faces]
        M = _scale(self.net.layers[index - 1], self.M.mid[:, g], self.M.rad[:, g],
                   self.sub.pats[index - 1][faces].T[:, :, None])
        units, width = W.shape
        Mm, Mr = M.mid.reshape(width, 3 * k), M.rad.reshape(width, 3 * k)
        mid = W.mid @ Mm
        rad = np.abs(W.mid) @ (Mr + _gamma(width + 1) * np.abs(Mm))
        if W.rad.any():
            rad += W.rad @ (np.abs(Mm) + Mr)
        mid, rad = mid.reshape(units, k, 3), _up(rad, width + 2).reshape(units, k, 3)
        const = mid[:, :, 0] + b.mid[:, None]
        rad[:, :, 0] = _up(rad[:, :, 0] + b.rad[:, None] + _U * np.abs(const), 3)
        mid[:, :, 0] = const
        return Ball(mid, rad)

    def all_maps(self, index: int) -> Ball:
        """:meth:`maps` of every current face, in chunks of faces."""
        F = self.sub.F
        units = self.net.layers[index].units
        mid, rad = np.empty((units, F, 3)), np.empty((units, F, 3))
        for lo in range(0, F, _CHUNK):
            part = self.maps(index, np.arange(lo, min(F, lo + _CHUNK)))
            mid[:, lo:lo + _CHUNK], rad[:, lo:lo + _CHUNK] = part.mid, part.rad
        return Ball(mid, rad)

    def start(self, index: int) -> None:
        """The maps of layer ``index`` on every face; each vertex gets an incident face."""
        sub = self.sub
        self.M = self.all_maps(index)
        F, E = sub.F, sub.E
        self.root = _grow(self.root, F)
        self.root[:F] = np.arange(F)
        face = np.where(sub.el[:E] >= 0, sub.el[:E], sub.er[:E])
        self.vface[sub.ea[:E]] = face
        self.vface[sub.eb[:E]] = face
        self.index = index
        self._exact = {}

    def new_faces(self, cf: np.ndarray, newf: np.ndarray) -> None:
        self.root = _grow(self.root, int(newf[-1]) + 1)
        self.root[newf] = self.root[cf]

    def new_edges(self, E: int, k: int, like: np.ndarray | None, faces: np.ndarray,
                  unit: tuple[int, int] | None) -> None:
        self.erow, self.erad = _grow(self.erow, E + k), _grow(self.erad, E + k)
        if like is not None:
            self.erow[E:E + k], self.erad[E:E + k] = self.erow[like], self.erad[like]
        else:
            g = self.root[faces]
            self.erow[E:E + k], self.erad[E:E + k] = self.M.mid[unit[1], g], \
                self.M.rad[unit[1], g]

    # -- signs ----------------------------------------------------------------------------------
    def signs(self, u: int) -> np.ndarray:
        """The exact sign (-1, 0, 1) of unit ``u`` at every vertex."""
        n = self.n
        g = self.vface[:n]
        m, mr = self.M.mid[u, g], self.M.rad[u, g]
        x, y, rho = self.X[:n, 0], self.X[:n, 1], self.rho[:n]
        t1, t2 = m[:, 1] * x, m[:, 2] * y
        z = m[:, 0] + t1 + t2
        mag = np.abs(m[:, 0]) + np.abs(t1) + np.abs(t2)
        # the exact map within mr of m, the exact vertex within rho of (x, y)
        rad = (mr[:, 0] + mr[:, 1] * (np.abs(x) + rho) + mr[:, 2] * (np.abs(y) + rho)
               + (np.abs(m[:, 1]) + np.abs(m[:, 2])) * rho + _GAMMA4 * mag)
        rad = _up(rad, 8)
        rad[(rad == _ETA) & (mr == 0).all(axis=1) & (rho == 0) & (mag == 0)] = 0.0
        sg = (z > rad).astype(np.int8) - (z < -rad).astype(np.int8)
        unsure = (sg == 0) & ~((z == 0) & (rad == 0))
        if unsure.any():
            for v in np.flatnonzero(unsure):
                sg[v] = _sign(self._exact_values(int(v))[u])
        hit = (sg != 0) & ~unsure
        if hit.any():
            worst = float((np.abs(z[hit]) / np.maximum(mag[hit], 1e-300)).min())
            if worst <= FLOAT.tol * FLOAT.band_high:
                warn_small_margin(worst)
        return sg

    def _exact_values(self, v: int) -> np.ndarray:
        """The exact pre-activations of the current layer at vertex ``v``, placed exactly;
        the vertex's float position is refreshed from it."""
        if v not in self._exact:
            if not self.fallbacks:
                warn_exact_fallback()
            self.fallbacks += 1
            x = self.exact_point(v)
            self._exact[v] = _exact_preactivation(self.net, self.index,
                                                  np.array(x, dtype=object))
            fx = Ball.of(np.array(x, dtype=object))
            self.X[v], self.rho[v] = fx.mid, float(fx.rad.max())
        return self._exact[v]

    def exact_point(self, v: int) -> tuple[Fraction, Fraction]:
        """The exact coordinates of vertex ``v``: the intersection of the exact lines it was
        created on."""
        if v not in self.xpoints:
            l1, l2, f = (int(c) for c in self.vdef[v])
            r1, r2 = self._exact_line(l1, f), self._exact_line(l2, f)
            det = r1[1] * r2[2] - r1[2] * r2[1]
            if det == 0:  # pragma: no cover - the lines crossed at a certified sign change
                raise RuntimeError("internal error: a vertex on two parallel lines")
            self.xpoints[v] = ((r1[2] * r2[0] - r1[0] * r2[2]) / det,
                               (r1[0] * r2[1] - r1[1] * r2[0]) / det)
        return self.xpoints[v]

    def _exact_line(self, line: int, face: int) -> np.ndarray:
        """``(c0, c1, c2)`` of the line ``c0 + c1 x + c2 y = 0``, exactly: a side of the
        domain, or a unit's zero line on ``face`` (whose earlier layers fix its map)."""
        if line < self.sub.K:
            a, b = self.sub.dom_rows[line]
            return np.array([b, -a[0], -a[1]], dtype=object)
        index, u = self.sub.line_unit(line)
        return self._exact_map(index, face)[u]

    def _exact_map(self, index: int, face: int) -> np.ndarray:
        """The exact pre-activation maps of layer ``index`` on ``face``: rows
        ``(c0, c1, c2)``."""
        pats = self.sub.pats
        key = tuple(pats[k][face].tobytes() for k in range(index))
        if key not in self._maps:
            W, b = self.net.layers[index].params(EXACT)
            if index == 0:
                M = np.column_stack([b, W])
            else:
                below = self._exact_map(index - 1, face)
                d = _multipliers(self.net.layers[index - 1], pats[index - 1][face:face + 1],
                                 EXACT)[0]
                M = W.dot(d[:, None] * below)
                M[:, 0] += b
            self._maps[key] = M
        return self._maps[key]

    # -- new vertices ---------------------------------------------------------------------------
    def add(self, ci: np.ndarray, index: int, u: int) -> np.ndarray:
        """New vertices where unit ``u`` crosses the edges ``ci`` (ends of strictly opposite
        exact signs): the intersection of the edge's line and the unit's line, in balls."""
        sub = self.sub
        k, n = len(ci), self.n
        for name in ("X", "rho", "vface", "vdef"):
            setattr(self, name, _grow(getattr(self, name), n + k))
        el, er = sub.el[ci], sub.er[ci]
        face = np.where(el >= 0, el, er)
        g = self.root[face]
        r1, e1 = self.erow[ci].T, self.erad[ci].T
        r2, e2 = self.M.mid[u, g].T, self.M.rad[u, g].T
        det = _det2(r1[1:3], e1[1:3], r2[1:3], e2[1:3])
        px = _divide(_det2(r1[2::-2], e1[2::-2], r2[2::-2], e2[2::-2]), det)
        py = _divide(_det2(r1[0:2], e1[0:2], r2[0:2], e2[0:2]), det)
        idx = np.arange(n, n + k)
        X = np.column_stack([px[0], py[0]])
        rho = np.maximum(px[1], py[1])
        bad = ~np.isfinite(X).all(axis=1) | ~np.isfinite(rho)
        if bad.any():  # parallel lines in float: a point of the edge, decided exactly later
            a, b = sub.ea[ci[bad]], sub.eb[ci[bad]]
            X[bad] = (self.X[a] + self.X[b]) / 2
            rho[bad] = np.inf
        self.X[idx], self.rho[idx] = X, rho
        self.vface[idx] = g
        self.vdef[idx] = np.column_stack([sub.eline[ci], np.full(k, sub.line_id(index, u)),
                                          face])
        self.n = n + k
        return idx

    def points(self, idx: np.ndarray) -> np.ndarray:
        return self.X[idx]

    # -- regions --------------------------------------------------------------------------------
    def side_rows(self, face: np.ndarray, line: np.ndarray, edge: np.ndarray,
                  centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``A x <= b`` of the sides ``(face, line)`` (one edge of each): the domain's
        rows, and the units' lines oriented by the face's pattern."""
        A, b = np.zeros((len(face), 2)), np.zeros(len(face))
        dom = line < self.sub.K
        for k in np.flatnonzero(dom):
            a, c = self.sub.dom_rows[int(line[k])]
            A[k], b[k] = [float(a[0]), float(a[1])], float(c)
        units = np.flatnonzero(~dom)
        rows = self.erow[edge[units]]
        side = self.sub.side(face[units], line[units])  # c0 + c . x <= 0 or >= 0
        A[units] = rows[:, 1:] * side[:, None]
        b[units] = -rows[:, 0] * side
        return A, b

    def output_maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per face the map of the network's output: weight ``(F, m, 2)``, bias ``(F, m)``
        and the bound on their round-off, flattened as :class:`Region` keeps it."""
        sub, last = self.sub, len(self.net.layers) - 1
        layer = self.net.layers[last]
        F = sub.F
        for index in range(self.index + 1, last + 1):  # layers after the last split
            self.start(index)
        M = _scale(layer, self.M.mid[:, self.root[:F]], self.M.rad[:, self.root[:F]],
                   sub.pats[last][:F].T[:, :, None])
        mid, rad = M.mid.transpose(1, 0, 2), M.rad.transpose(1, 0, 2)  # (F, m, 3)
        m = mid.shape[1]
        err = np.concatenate([rad[:, :, 1:].reshape(F, 2 * m), rad[:, :, 0]], axis=1)
        return mid[:, :, 1:], mid[:, :, 0], err


# -- vertex values: exact ----------------------------------------------------------------------
class _ExactValues:
    """Vertices as primitive integer vectors ``d (1, x, y, z_1, ..., z_w)`` (``d > 0``), one
    column each: homogeneous coordinates with the current layer's pre-activations."""

    fallbacks = 0

    def __init__(self, sub: _Planar, points: list) -> None:
        self.sub, self.net, self.arith = sub, sub.net, sub.arith
        self.n = len(points)
        den = [lcm(x.denominator, y.denominator) for x, y in points]
        self.G = np.array([[d, int(x * d), int(y * d)] for (x, y), d in zip(points, den,
                                                                            strict=True)],
                          dtype=object).T.reshape(3, self.n)

    def start(self, index: int) -> None:
        layer = self.net.layers[index]
        G = self.G[:, :self.n]
        if index == 0:
            d, x, h = G[0], G[1:3], G[1:3]
        else:  # q h for the previous layer's output h, with q clearing the slopes' denominators
            prev = self.net.layers[index - 1]
            if prev.act.patterned:
                (_, lo), (_, hi) = prev.act.pieces()
                q = lcm(Fraction(lo).denominator, Fraction(hi).denominator)
                h = np.where(G[3:] > 0, G[3:] * int(hi * q), G[3:] * int(lo * q))
            else:
                q, h = 1, G[3:]
            d, x = G[0] * q, G[1:3] * q
        Wn, bn, D = _integer_params(layer, self.arith)
        z = Wn.dot(h) + bn[:, None] * d[None, :]
        self.G = _primitive(np.concatenate([(d * D)[None, :], x * D, z], axis=0))

    def signs(self, u: int) -> np.ndarray:
        row = self.G[3 + u, :self.n]
        return (row > 0).astype(np.int8) - (row < 0).astype(np.int8)

    def add(self, ci: np.ndarray, index: int, u: int) -> np.ndarray:
        a, b = self.sub.ea[ci], self.sub.eb[ci]
        n, k = self.n, len(ci)
        A, B = np.abs(self.G[3 + u, a]), np.abs(self.G[3 + u, b])
        new = _primitive(self.G[:, b] * A[None, :] + self.G[:, a] * B[None, :])
        if n + k > self.G.shape[1]:
            G = np.empty((self.G.shape[0], max(n + k, n * 3 // 2 + 16)), dtype=object)
            G[:, :n] = self.G[:, :n]
            self.G = G
        self.G[:, n:n + k] = new
        self.n = n + k
        return np.arange(n, n + k)

    def new_faces(self, cf: np.ndarray, newf: np.ndarray) -> None:
        pass

    def new_edges(self, E: int, k: int, like: np.ndarray | None, faces: np.ndarray,
                  unit: tuple[int, int] | None) -> None:
        pass

    def points(self, idx: np.ndarray) -> np.ndarray:
        G = self.G[:, idx]
        return np.array([[Fraction(int(x), int(d)), Fraction(int(y), int(d))]
                         for d, x, y in zip(G[0], G[1], G[2], strict=True)],
                        dtype=object).reshape(len(idx), 2)

    def side_rows(self, face: np.ndarray, line: np.ndarray, edge: np.ndarray,
                  centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``A x <= b`` of the sides ``(face, line)``: the line through the two ends of
        one edge, oriented to hold strictly at the face's centroid."""
        p = self.points(self.sub.ea[edge])
        q = self.points(self.sub.eb[edge])
        nx, ny = q[:, 1] - p[:, 1], p[:, 0] - q[:, 0]
        off = nx * p[:, 0] + ny * p[:, 1]
        at = nx * centre[face, 0] + ny * centre[face, 1]
        sgn = np.array([-1 if v > o else 1 for v, o in zip(at, off, strict=True)],
                       dtype=object)
        return np.column_stack([nx * sgn, ny * sgn]), off * sgn

    def output_maps(self) -> tuple[np.ndarray, np.ndarray, None]:
        """Per face the exact map of the network's output: weight ``(F, m, 2)``, bias
        ``(F, m)``, by integer products backwards through the layers."""
        sub, net = self.sub, self.net
        F, m = sub.F, net.layers[-1].out_dim
        faces = np.repeat(np.arange(F), m)
        C = np.tile(np.eye(m, dtype=np.int64), (F, 1)).astype(object)
        c0 = np.zeros(F * m, dtype=np.int64).astype(object)
        den = 1
        for k in range(len(net.layers) - 1, -1, -1):
            layer = net.layers[k]
            if layer.act.patterned:
                (_, lo), (_, hi) = layer.act.pieces()
                q = lcm(Fraction(lo).denominator, Fraction(hi).denominator)
                mult = np.where(sub.pats[k][faces] == 1, int(hi * q), int(lo * q))
                C, c0, den = C * mult.astype(object), c0 * q, den * q
            Wn, bn, D = _integer_params(layer, self.arith)
            c0 = c0 * D + C.dot(bn)
            C = C.dot(Wn)
            den *= D
        weight = np.array([[Fraction(int(v), den) for v in row] for row in C], dtype=object)
        bias = np.array([Fraction(int(v), den) for v in c0], dtype=object)
        return weight.reshape(F, m, 2), bias.reshape(F, m), None


# -- helpers --------------------------------------------------------------------------------
def _grow(arr: np.ndarray, need: int) -> np.ndarray:
    """``arr`` with room for ``need`` entries along its first axis (capacity grows by half)."""
    if need <= arr.shape[0]:
        return arr
    out = np.zeros((max(need, arr.shape[0] * 3 // 2 + 16), *arr.shape[1:]), dtype=arr.dtype)
    out[:arr.shape[0]] = arr
    return out


def _up(x: Any, k: int) -> np.ndarray:
    """Round a non-negative float bound computed with ``k`` operations upwards."""
    return np.asarray(x, dtype=float) * (1 + 4 * (k + 2) * _U) + _ETA


def _gamma(k: int) -> float:
    """Higham's ``gamma_k``, rounded up."""
    return float(_up(gamma(k), 2))


_GAMMA2, _GAMMA4 = _gamma(2), _gamma(4)


def _sign(v: Any) -> int:
    return (v > 0) - (v < 0)


def _det2(p: np.ndarray, pr: np.ndarray, q: np.ndarray, qr: np.ndarray) -> tuple:
    """``p0 q1 - p1 q0`` (entrywise over the columns) for balls ``p +- pr``, ``q +- qr``:
    the float value and a rigorous radius."""
    s, t = p[0] * q[1], p[1] * q[0]
    rad = (np.abs(p[0]) * qr[1] + pr[0] * (np.abs(q[1]) + qr[1]) + np.abs(p[1]) * qr[0]
           + pr[1] * (np.abs(q[0]) + qr[0]) + _GAMMA2 * (np.abs(s) + np.abs(t)))
    return s - t, _up(rad, 8)


def _divide(num: tuple, den: tuple) -> tuple:
    """``num / den`` for balls ``(mid, rad)`` (radius ``inf`` where ``den`` may vanish)."""
    (nm, nr), (dm, dr) = num, den
    ad = np.abs(dm)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = nm / dm
        rad = _up((nr * ad + np.abs(nm) * dr) / (ad * (ad - dr)) + _U * np.abs(q), 6)
    rad[~(ad > dr) | ~np.isfinite(rad)] = np.inf
    return q, rad


def _primitive(G: np.ndarray) -> np.ndarray:
    """Columns of an integer object array divided by their gcd."""
    return primitive(G.T).T


def _integer_params(layer: Layer, arith: Arithmetic) -> tuple[np.ndarray, np.ndarray, int]:
    """``(Wn, bn, D)``: the layer's exact weights and biases as integers over ``D``."""
    W, b = layer.params(arith)
    D = lcm(*(Fraction(v).denominator for v in [*W.reshape(-1), *b]))
    Wn = np.array([int(v * D) for v in W.reshape(-1)], dtype=object).reshape(W.shape)
    return Wn, np.array([int(v * D) for v in b], dtype=object), D


def _multipliers(layer: Layer, pats: np.ndarray, arith: Arithmetic) -> np.ndarray:
    """The diagonal of the layer's pattern matrix for each row of ``pats``."""
    if not layer.act.patterned:
        return np.full((len(pats), layer.units), arith.one, dtype=arith.dtype)
    (_, lo), (_, hi) = layer.act.pieces()
    return np.where(pats == 1, arith.convert(hi), arith.convert(lo)).astype(arith.dtype)


def _scale(layer: Layer, mid: np.ndarray, rad: np.ndarray, pats: np.ndarray) -> Ball:
    """The balls ``(mid, rad)`` of a layer's pre-activations times the diagonal of its
    pattern matrix (``pats`` broadcast against ``mid``): the maps of the layer's output.
    ReLU multipliers are exact; other slopes add their own and the product's round-off."""
    if not layer.act.patterned:
        return Ball(mid, rad)
    (_, lo), (_, hi) = layer.act.pieces()
    if lo == 0 and hi == 1:
        on = pats == 1
        return Ball(np.where(on, mid, 0.0), np.where(on, rad, 0.0))
    ends = Ball.of(np.array([lo, hi], dtype=object))
    on = pats == 1
    d, dr = np.where(on, ends.mid[1], ends.mid[0]), np.where(on, ends.rad[1], ends.rad[0])
    out = mid * d
    return Ball(out, _up(rad * d + np.abs(mid) * dr + _U * np.abs(out), 3))


def _exact_preactivation(net: Network, index: int, x: np.ndarray) -> np.ndarray:
    """Exactly: the pre-activations of layer ``index`` at the point ``x``."""
    h = x
    for layer in net.layers[:index]:
        W, b = layer.params(EXACT)
        h = layer.activate(W.dot(h) + b, EXACT)
    W, b = net.layers[index].params(EXACT)
    return W.dot(h) + b

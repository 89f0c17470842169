"""Activation regions by layer-by-layer enumeration (Serra et al. 2018 definition).

An *activation region* is the set of inputs sharing one activation pattern
``S = (S_1, ..., S_L)`` — per ReLU/leaky unit whether it is strictly active
(``z > 0``), per maxout unit which piece is the first maximal one — counted
when it has a non-empty interior in the domain.

Each region carries the affine map from ``x`` to the current layer's input,
so every unit's pre-activation is affine on it and its zero set is a
hyperplane that either misses the region or splits it. Two engines decide
this:

* ``"vertex"``: regions are kept by their generators
  (:mod:`tropnet.engines.cones`, double description); a hyperplane splits a
  region iff generators lie strictly on both sides. No LP; bounded and
  unbounded domains; cost grows with the number of generators, so best in
  low input dimension.
* ``"lp"``: regions are inequality systems with an interior point; a
  hyperplane splits a region iff an LP finds points strictly on both sides.
  Any dimension, any domain.
* ``"batch"`` (:mod:`tropnet.engines.batch`): as ``"vertex"``, but all regions of a
  layer at once, as arrays of rays and 2-faces split by one unit after another
  (exact or certified float, on ``R^n`` and boxes; no maxout).
* ``"planar"`` (:mod:`tropnet.engines.planar`): two inputs on a bounded domain; the
  regions are the faces of a planar subdivision split by each unit's line in turn, all
  faces of a layer at once (ReLU, leaky ReLU and identity layers).

All are exact in exact mode (integer generators / cdd's exact simplex / integer
homogeneous vertices) and certified in float mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np

from ..arithmetic import (
    EXACT,
    FLOAT,
    UNIT_ROUNDOFF,
    UNSURE,
    Arithmetic,
    Ball,
    ScaledMatrix,
    Uncertain,
    resolve,
)
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..limits import check_memory, check_time, note
from ..network import Layer, Network
from ..polyhedra import Polyhedron, linprog
from ..polyhedra.lp import SOLVED
from ..progress import active, step, tracked
from .batch import batch_regions, batch_support
from .cones import (
    Cone,
    float_cone,
    generator_values,
    initial_cone,
    integer_row,
    line_values,
    primitive,
    split_cone,
)
from .patterns import certified_regions, read_in, warn_exact_fallback, warn_small_margin
from .planar import planar_regions, planar_support
from .result import Region, RegionSet
from .zaslavsky import count_cells

__all__ = ["ENGINES", "Walk", "activation_regions", "choose_engine"]

ENGINES = ("vertex", "lp", "planar", "batch")

#: bytes of pattern matrices a walk keeps (a depth-first walk meets a new pattern per
#: region; each matrix is dense, (width + 1)^2 numbers, so the cap is in bytes)
PATTERN_CACHE_BYTES = 64 * 2**20

# signs returned by Engine.classify
_PLUS, _MINUS, _CROSS, _ZERO = 1, -1, 0, 2


def activation_regions(net: Network, domain: Domain | str | None = None, engine: str = "auto",
                       exact: bool | Arithmetic | None = None,
                       progress: Callable[[int], None] | None = None) -> RegionSet:
    """The activation regions of ``net`` on ``domain`` (default ``R^n``).

    Every activation pattern whose region ``{x in domain : pattern(x) = S}``
    has a non-empty interior gives one :class:`~tropnet.Region` with
    its pattern, polyhedron, affine map and an interior point.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A `Domain`, a domain string such as ``"box:-1,1"``, or ``None`` (``R^n``).
    engine : str, default "auto"
        ``"auto"``, ``"vertex"``, ``"lp"``, ``"planar"`` or ``"batch"``.
        The engine (:func:`choose_engine`): ``"auto"`` takes the planar engine for two
        inputs on a bounded domain without maxout layers, else the batch engine on ``R^n``
        and boxes (:mod:`tropnet.engines.batch`), else the vertex engine
        up to input dimension 6 (unless the domain is a polytope containing a line), else LP.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff all weights and domain bounds are rational.
    progress : callable or None, default None
        Called with the number of regions found after each layer.

    Returns
    -------
    RegionSet
        The activation regions, ``method="enumerate"`` and ``engine`` the engine that ran;
        in float mode ``info["exact_fallbacks"]`` counts the decisions made exactly.

    Raises
    ------
    TropnetError
        For an unknown engine, or ``"planar"`` or ``"batch"`` where it cannot run.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> activation_regions(net).count          # |x|: patterns (1,0) and (0,1)
    2
    >>> activation_regions(net, "box:1,2").count
    1

    Notes
    -----
    Each region is split only by the units whose hyperplane crosses it; the
    number of splits is about (regions x width) per layer. The float vertex
    engine is certified: it computes with :class:`~tropnet.arithmetic.Ball`
    values and decides a region in exact arithmetic (on the exact rationals of
    the float weights) when one of its signs is within the error bound, so its
    count is the exact count; ``info["exact_fallbacks"]`` says how often.
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    name = choose_engine(engine, dom, net, arith)
    if name == "planar":
        return planar_regions(net, dom, arith, progress)
    if name == "batch":
        found, fallbacks = batch_regions(net, dom, arith,
                                         lambda: Walk(net, dom, arith, "vertex"), progress)
        regions, info = certified_regions(net, found, dom, arith, fallbacks)
        return RegionSet("activation", regions, dom, "enumerate", arith, engine="batch",
                         info=info)
    walk = Walk(net, dom, arith, name)
    items = [walk.root()]
    layers, solved = len(net.layers), SOLVED["lp"]
    for index in range(layers):
        nxt: list[_Item] = []
        for k, item in enumerate(items):
            if k % 16 == 0 and active():
                lps = SOLVED["lp"] - solved
                step(f"layer {index + 1} of {layers}", k, len(items), "regions",
                     f"{len(nxt):,} found" + (f", {lps:,} LPs" if lps else ""))
            if k % 256 == 0:  # every unprocessed region holds at least one region
                known = {"lower_bound": len(nxt) + len(items) - k,
                         "lower_bound_of": "activation regions", "layers_done": index}
                note(**known)
                check_memory("enumerating activation regions",
                             "count on a smaller box, or use the MILP bound "
                             "(tropnet mipbound) or the sampling estimate (tropnet sample)",
                             partial=known)
            nxt.extend(walk.children(index, item))
        items = nxt
        if progress is not None:
            progress(len(items))
    built = [walk.region(item) for item in tracked(items, "building regions", "regions", 256)]
    regions, info = certified_regions(net, built, dom, arith, walk.fallbacks)
    return RegionSet("activation", regions, dom, "enumerate", arith, engine=walk.name,
                     info=info)


@dataclass(frozen=True, eq=False)
class _Item:
    """A region of the first layers: engine state, its rows ``(a, b)``, the homogeneous
    map ``x -> layer input`` (a ScaledMatrix, or a Ball for the certified float engine),
    the patterns so far, and whether it is held in exact arithmetic."""

    state: Any
    rows: tuple
    M: Any
    pats: tuple
    exact: bool


class Walk:
    """The layer-by-layer walk in one arithmetic; the float vertex engine works on balls
    and moves a region to exact arithmetic when a sign is uncertain. The planar engine
    splits all regions of a layer at once and has no walk: ``"planar"`` walks with the
    vertex engine (same regions).

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic of the walk.
    name : str
        A resolved engine (:func:`choose_engine`): ``"vertex"``, ``"lp"``, ``"planar"`` or
        ``"batch"`` (the last two walk with the vertex engine).
    """

    def __init__(self, net: Network, dom: Domain, arith: Arithmetic, name: str) -> None:
        name = "vertex" if name in ("planar", "batch") else name
        self.net, self.dom, self.arith, self.name = net, dom, arith, name
        self.balls = not arith.exact  # maps are balls; the vertex engine also decides on them
        # the float LP engine also keeps the exact maps, for its exact certificates
        self.track = self.balls and name == "lp"
        self.eng = _engine(name, arith)
        self.fallbacks = 0
        self._xeng: Any = None
        self._patterns: dict[tuple, Any] = {}
        self._lifts: dict[tuple[int, bool], Any] = {}

    @property
    def xeng(self) -> Any:
        """The exact engine of fallbacks (the domain read in the walk's arithmetic)."""
        if self._xeng is None:
            self._xeng = _engine(self.name, EXACT)
        return self._xeng

    def root(self, part: Domain | None = None) -> _Item:
        """The root item: the whole domain (or a part of it), no layer done, the identity map.

        Parameters
        ----------
        part : Domain or None, default None
            A polytope inside the domain whose regions the patterns determine (e.g. a cell
            of first-layer hyperplanes); ``None`` is the domain.
        """
        state, rows = self.eng.start(self.dom if part is None else part)
        n1 = self.net.input_dim + 1
        M = Ball.of(np.eye(n1)) if self.balls else self.arith.scaled(self.arith.eye(n1))
        if self.track:
            M.__dict__["exact_map"] = EXACT.scaled(EXACT.eye(n1))
        return _Item(state, tuple(rows), M, (), self.arith.exact)

    def _lift(self, index: int, exact: bool) -> Any:
        key = (index, exact)
        if key not in self._lifts:
            layer = self.net.layers[index]
            if exact:
                ar = self.arith if self.arith.exact else EXACT
                W, b = layer.params(ar)
                self._lifts[key] = ar.scaled(_homogeneous(W, b, ar))
            else:
                W, b = layer.params(EXACT)
                self._lifts[key] = Ball.of(_homogeneous(W, b, EXACT))
        return self._lifts[key]

    def _pattern_matrix(self, index: int, pat: tuple, exact: bool) -> Any:
        key = (index, pat, exact)
        if key not in self._patterns:
            layer = self.net.layers[index]
            per = 48 if exact or not self.balls else 16  # bytes per entry: ints / a ball
            size = per * (layer.out_dim + 1) * (layer.out_dim * layer.rank + 1)
            if len(self._patterns) * size >= PATTERN_CACHE_BYTES:  # keep it bounded
                self._patterns.clear()
            if self.balls and not exact:
                D = _homogeneous(layer.pattern_matrix(pat, self.arith), self.arith.zeros(
                    layer.out_dim), self.arith)
                exact_slopes = all(Fraction(float(s)) == s for _, s in layer.act.pieces())
                self._patterns[key] = (Ball.of(D) if exact_slopes else Ball.of(
                    _homogeneous(layer.pattern_matrix(pat, EXACT), EXACT.zeros(
                        layer.out_dim), EXACT)))
            else:
                ar = self.arith if self.arith.exact else EXACT
                D = _homogeneous(layer.pattern_matrix(pat, ar), ar.zeros(layer.out_dim), ar)
                self._patterns[key] = ar.scaled(D)
        return self._patterns[key]

    def _z(self, index: int, item: _Item) -> Any:
        lift = self._lift(index, item.exact)
        z = lift @ item.M
        if self.balls and not item.exact:
            z.units  # noqa: B018 - computed once, shared by the row slices
            if self.track:  # exact rows (integer multiples) alongside the balls
                zx = self._lift(index, True) @ item.M.__dict__["exact_map"]
                z.__dict__["exact_map"], z.__dict__["exact"] = zx, zx.num
        return z

    def count_children(self, index: int, item: _Item) -> int | None:
        """The number of regions of the first ``index + 1`` layers inside ``item``, by
        Zaslavsky's count of the layer's hyperplanes (:mod:`tropnet.engines.zaslavsky`),
        without building them.

        Parameters
        ----------
        index : int
            A ReLU or leaky ReLU layer.
        item : _Item
            A region of the first ``index`` layers.

        Returns
        -------
        int or None
            The count, or ``None`` when it does not apply: not the vertex engine, not a
            hyperplane layer, hyperplanes not in general position in the region, or a
            float sign that is not certain (the caller then lists the children).
        """
        act = self.net.layers[index].act
        if self.name != "vertex" or not act.patterned or not act.hyperplane:
            return None
        z = self._z(index, item)
        try:
            if item.exact:
                ar = self.arith if self.arith.exact else EXACT
                return count_cells(item.state, primitive(z.num[1:]), ar)
            return count_cells(item.state, z[1:], self.arith)
        except Uncertain:
            return None

    def children(self, index: int, item: _Item, known: dict[int, int] | None = None
                 ) -> list[_Item]:
        """The regions of the first ``index + 1`` layers inside ``item``.

        Parameters
        ----------
        index : int
            The layer that splits ``item``.
        item : object
            A region of the first ``index`` layers (:meth:`root` or a child).
        known : dict or None, default None
            Units of a ReLU or leaky ReLU layer whose side is known on all of ``item``
            (``+1``: pre-activation ``>= 0``, ``-1``: ``<= 0``), e.g. the units whose
            hyperplanes bound it: they are not asked again (in float mode their signs on
            the boundary could not be certain).

        Returns
        -------
        list
            The children, items like ``item``; a float item whose sign is uncertain is
            split exactly (counted in ``fallbacks``).
        """
        layer = self.net.layers[index]
        z = self._z(index, item)
        if item.exact:
            ar, eng = (self.arith, self.eng) if self.arith.exact else (EXACT, self.xeng)
            parts = _split_layer(eng, layer, item.state, item.rows, z.num[1:], ar, known)
        else:
            try:
                parts = _split_layer(self.eng, layer, item.state, item.rows, z[1:], self.arith,
                                     known)
            except Uncertain:  # this layer exactly, then back to balls
                if not self.fallbacks:
                    warn_exact_fallback()
                self.fallbacks += 1
                children = self.children(index, self.exact_item(item.pats), known)
                # the vertex engine goes back to balls; LP states stay exact below
                return [self.to_balls(c) for c in children] if self.name == "vertex" \
                    else children
        return [_Item(st, rws, self._next_map(index, pat, item.exact, z), (*item.pats, pat),
                      item.exact) for st, rws, pat in parts]

    def _next_map(self, index: int, pat: tuple, exact: bool, z: Any) -> Any:
        M = self.exact_output(index, pat, z) if exact else \
            self._pattern_matrix(index, pat, exact) @ z
        if self.track and not exact:
            M.__dict__["exact_map"] = self._pattern_matrix(index, pat, True) @ \
                z.__dict__["exact_map"]
        return M

    def exact_item(self, pats: tuple, part: Domain | None = None) -> _Item:
        """The region of the patterns ``pats`` of the first layers, computed exactly.

        Parameters
        ----------
        pats : tuple
            The patterns of the first ``len(pats)`` layers, one tuple per layer.
        part : Domain or None, default None
            Start from this polytope inside the domain instead (as :meth:`root`).
        """
        state, rows = self.xeng.start(read_in(self.dom if part is None else part, self.arith))
        item = _Item(state, tuple(rows), EXACT.scaled(EXACT.eye(self.net.input_dim + 1)),
                     (), True)
        for index, pat in enumerate(pats):
            z = self._z(index, item)
            part = _follow(self.xeng, self.net.layers[index], item.state, item.rows,
                           z.num[1:], pat)
            if part is None:  # pragma: no cover - certified decisions found this region
                raise RuntimeError(f"internal error: pattern {pats} has no interior")
            item = _Item(part[0], part[1], self._pattern_matrix(index, pat, True) @ z,
                         (*item.pats, pat), True)
        return item

    def exact_identity(self) -> Any:
        """The homogeneous identity map of the input, exactly (the map of the root)."""
        ar = self.arith if self.arith.exact else EXACT
        return ar.scaled(ar.eye(self.net.input_dim + 1))

    def exact_preactivations(self, index: int, M: Any) -> Any:
        """Exactly: the homogeneous rows ``(beta_i, w_i)`` of layer ``index``'s units (below a
        first row ``(1, 0, ..., 0)``) for the exact map ``M`` of its input.

        Parameters
        ----------
        index : int
            The layer.
        M : ScaledMatrix
            The exact homogeneous map ``x -> layer input`` (:meth:`exact_identity` for the
            first layer, else :meth:`exact_output` of the layer before).
        """
        return self._lift(index, True) @ M

    def exact_output(self, index: int, pat: tuple, z: Any) -> Any:
        """Exactly: the map of layer ``index``'s output where it has the pattern ``pat``,
        from its pre-activations ``z`` (:meth:`exact_preactivations`).

        Parameters
        ----------
        index : int
            The layer.
        pat : tuple
            The layer's activation pattern (ignored for identity layers).
        z : ScaledMatrix
            The layer's exact homogeneous pre-activation rows.
        """
        layer = self.net.layers[index]
        k, pieces = layer.rank, layer.act.pieces()
        den = lcm(*(Fraction(s).denominator for _, s in pieces))
        ints = [int(Fraction(s) * den) for _, s in pieces]
        pat = pat if layer.act.patterned else (0,) * layer.out_dim
        rows = [0, *(1 + u * k + pieces[r][0] for u, r in enumerate(pat))]
        mult = np.array([den, *(ints[r] for r in pat)], dtype=object)
        return ScaledMatrix(z.num[rows] * mult[:, None], z.den * den)

    def to_balls(self, item: _Item) -> _Item:
        """An exact item of a float walk rounded to balls (its cone, rows and map).

        Parameters
        ----------
        item : object
            An exact item (:meth:`exact_item` or its children).
        """
        rows = tuple((self.arith.array(a), self.arith.convert(b)) for a, b in item.rows)
        return _Item(float_cone(item.state), rows, Ball.of_scaled(item.M), item.pats, False)

    def region(self, item: _Item) -> Region:
        """The :class:`~tropnet.Region` of a last-layer item, in the walk's arithmetic.

        Parameters
        ----------
        item : object
            An item of the last layer.

        Returns
        -------
        Region
            Its polyhedron, affine map, interior point (not yet checked) and patterns; in
            float mode the map's error bounds.
        """
        vals = item.M.mid if self.balls and not item.exact else item.M.values()
        eng = self.xeng if item.exact and not self.arith.exact else self.eng
        point = eng.point(item.state)
        rows = item.rows
        if item.exact and not self.arith.exact:
            vals, point = self.arith.array(vals), self.arith.array(point)
            rows = tuple((self.arith.array(a), self.arith.convert(b)) for a, b in rows)
        poly = Polyhedron.from_inequalities([r[0] for r in rows], [r[1] for r in rows],
                                            self.arith, self.net.input_dim)
        error = None
        if not self.arith.exact:
            rad = item.M.rad if self.balls and not item.exact else np.zeros(vals.shape)
            error = np.concatenate([rad[1:, 1:].reshape(-1), rad[1:, 0]])
        return Region((poly,), vals[1:, 1:], vals[1:, 0], point, item.pats, error)


def _homogeneous(W: np.ndarray, b: np.ndarray, arith: Arithmetic) -> np.ndarray:
    """``[[1, 0], [b, W]]``: the affine map ``h -> W h + b`` on homogeneous coordinates."""
    out = arith.zeros((W.shape[0] + 1, W.shape[1] + 1))
    out[0, 0] = arith.one
    out[1:, 0] = b
    out[1:, 1:] = W
    return out


def choose_engine(engine: str, domain: Domain, net: Network | None = None,
                  arith: Arithmetic | None = None) -> str:
    """Resolve ``"auto"``: given ``net``, the planar engine when it supports the network
    and domain (two inputs, a bounded domain, no maxout); given ``net`` and ``arith``, the
    batch engine when it supports them (:func:`~tropnet.engines.batch.
    batch_support`: ``R^n`` or a box, no maxout, up to input dimension 6); else the vertex
    engine up to input dimension 6 (on domains without lines), else LP. Without ``net``
    (callers that walk regions one by one, :class:`Walk`) ``"auto"`` gives neither
    ``"planar"`` nor ``"batch"``. Given ``net``, ``"planar"`` and ``"batch"`` are refused
    where they cannot run.

    Parameters
    ----------
    engine : str
        ``"auto"`` or a name of `ENGINES`.
    domain : Domain
        The resolved domain.
    net : Network or None, default None
        The network; ``None`` leaves the planar and batch engines out of ``"auto"``.
    arith : Arithmetic or None, default None
        The arithmetic; ``None`` leaves the batch engine out of ``"auto"``.

    Returns
    -------
    str
        A name of `ENGINES`.

    Raises
    ------
    TropnetError
        For an unknown engine, or ``"planar"`` or ``"batch"`` where
        :func:`~tropnet.engines.planar.planar_support` or
        :func:`~tropnet.engines.batch.batch_support` gives a reason.
    """
    small = (domain.n or 0) <= 6
    if engine == "auto":
        if net is not None and planar_support(net, domain) is None:
            return "planar"
        if net is not None and arith is not None and small and \
                batch_support(net, domain, arith) is None:
            return "batch"
        lines = domain.kind == "polytope" and domain.has_line
        return "vertex" if small and not lines else "lp"
    if engine not in ENGINES:
        raise TropnetError(f"unknown engine {engine!r} (expected one of "
                           f"{', '.join(ENGINES)} or auto)")
    if engine == "planar" and net is not None:
        reason = planar_support(net, domain)
        if reason is not None:
            raise TropnetError(f"the planar engine cannot run here: {reason}; use the "
                               f"vertex or LP engine")
    if engine == "batch" and net is not None and arith is not None:
        reason = batch_support(net, domain, arith)
        if reason is not None:
            raise TropnetError(f"the batch engine cannot run here: {reason}; use the "
                               f"vertex or LP engine")
    return engine


# -- splitting a region by one layer ---------------------------------------------------
def _split_layer(eng: Any, layer: Layer, state: Any, rows: tuple, z: Any,
                 arith: Arithmetic, known: dict[int, int] | None = None
                 ) -> list[tuple[Any, tuple, tuple]]:
    """The parts of a region on which the layer's pattern is constant, with the patterns.

    Row ``i`` of ``z`` is ``(beta_i, w_i)``, a positive multiple of unit ``i``'s
    pre-activation ``beta_i + w_i . x`` (signs and half-spaces are all that matter);
    ``known`` gives the sides of units known on the whole region (hyperplane layers).
    """
    act = layer.act
    if not act.patterned:
        return [(state, rows, ())]
    if act.hyperplane:  # the pattern is the side of z = 0, ties on the first piece's side
        return [(st, rw, tuple(1 if s > 0 else 0 for s in signs))
                for st, rw, signs in _cut(eng, state, rows, z, arith, ties=[-1] * len(z),
                                          known=known)]
    if known:
        raise TropnetError("known sides apply to ReLU and leaky ReLU layers only")
    parts: list[tuple[Any, tuple, tuple]] = [(state, rows, ())]
    for u in range(layer.out_dim):
        nxt = []
        for st, rw, pat in parts:
            for r in range(layer.rank):
                diffs, ties = _piece_rows(layer, u, r, z, arith)
                for st2, rw2, _signs in _cut(eng, st, rw, diffs, arith, ties, keep=1):
                    nxt.append((st2, rw2, (*pat, r)))
        parts = nxt
    return parts


def _piece_rows(layer: Layer, u: int, r: int, z: Any, arith: Arithmetic
                ) -> tuple[Any, list[int]]:
    """Rows ``piece_r - piece_q`` (``q != r``) of maxout unit ``u``, and the side each tie
    goes to: piece ``r`` owns ties with later pieces and loses them to earlier ones."""
    k, pieces = layer.rank, layer.act.pieces()
    if isinstance(z, Ball):
        terms = [z[u * k + o] if s == 1 else z[u * k + o].scale(s) for o, s in pieces]
        others = [terms[q] for q in range(len(pieces)) if q != r]
        diffs: Any = terms[r][None, :] - Ball(np.array([t.mid for t in others]),
                                              np.array([t.rad for t in others]))
    else:  # exact rows (float rows are balls)
        terms = [z[u * k + o] if s == 1 else arith.convert(s) * z[u * k + o]
                 for o, s in pieces]
        diffs = terms[r] - np.array([terms[q] for q in range(len(pieces)) if q != r])
    return diffs, [1 if r < q else -1 for q in range(len(pieces)) if q != r]


def _follow(eng: Any, layer: Layer, state: Any, rows: tuple, z: np.ndarray, pat: tuple
            ) -> tuple[Any, tuple] | None:
    """The part of a region where the layer has the pattern ``pat`` (exact), or ``None``
    when it has an empty interior."""
    act = layer.act
    if not act.patterned:
        return state, rows
    parts: list[tuple[Any, tuple, Any]] = [(state, rows, None)]
    if act.hyperplane:
        orient = np.array([1 if p else -1 for p in pat], dtype=object)
        parts = _cut(eng, state, rows, z * orient[:, None], EXACT,
                     ties=[-1 if p else 1 for p in pat], keep=1)
    else:
        for u, r in enumerate(pat):
            diffs, ties = _piece_rows(layer, u, r, z, EXACT)
            parts = [p for st, rw, _ in parts for p in _cut(eng, st, rw, diffs, EXACT, ties,
                                                             keep=1)]
    return (parts[0][0], parts[0][1]) if parts else None


def _cut(eng: Any, state: Any, rows: tuple, hs: Any, arith: Arithmetic,
         ties: Sequence[int], keep: int | None = None, known: dict[int, int] | None = None
         ) -> list[tuple[Any, tuple, list[int]]]:
    """Split a region by the hyperplanes ``beta + w . x = 0``, rows ``(beta, w)`` of ``hs``
    (an array, or a :class:`~tropnet.arithmetic.Ball` for the certified float engine).

    Returns the full-dimensional parts with the side (+1/-1) of every
    hyperplane; ``keep=1`` keeps only the parts on the positive side of all.
    A hyperplane identically zero on a part puts it on the side ``ties[i]``; ``known``
    gives the sides of hyperplanes known on the whole region (not asked).
    """
    out = []
    mids = hs.mid if isinstance(hs, Ball) else hs
    known = known or {}
    stack = [(state, rows, [known.get(i) for i in range(len(hs))])]
    while stack:
        check_time("enumerating activation regions")
        st, rw, signs = stack.pop()
        todo = [i for i, s in enumerate(signs) if s is None]
        if not todo:
            out.append((st, rw, signs))
            continue
        cls = eng.classify(st, hs[todo])
        crossing = None
        for i, c in zip(todo, cls, strict=True):
            if c == _CROSS:
                crossing = i if crossing is None else crossing
            else:
                signs[i] = ties[i] if c == _ZERO else c
        if keep is not None and any(s is not None and s != keep for s in signs):
            continue
        if crossing is None:
            out.append((st, rw, signs))
            continue
        plus, minus = eng.split(st, hs[crossing])
        beta, w = mids[crossing][0], mids[crossing][1:]
        for side, part in ((1, plus), (-1, minus)):
            if keep is not None and side != keep:
                continue
            row = ([-v for v in w], beta) if side == 1 else (list(w), -beta)
            s2 = list(signs)
            s2[crossing] = side
            stack.append((part, (*rw, (np.array(row[0], dtype=w.dtype), row[1])), s2))
    return out


# -- engines ---------------------------------------------------------------------------
#: points certified inside a region that the float LP engine hands on to its parts
POINTS_KEPT = 16


def _engine(name: str, arith: Arithmetic) -> Any:
    if name == "vertex":
        return _VertexEngine(arith)
    return _LPEngine(arith) if arith.exact else _BallLPEngine()


class _VertexEngine:
    """Regions as cones of generators (:mod:`tropnet.engines.cones`): exact integer cones,
    or certified float cones of balls."""

    name = "vertex"

    def __init__(self, arith: Arithmetic) -> None:
        self.arith = arith

    def start(self, domain: Domain) -> tuple[Cone, list]:
        cone, rows = initial_cone(domain, self.arith)
        return cone, rows

    def _h(self, h: Any) -> Any:
        return integer_row(h) if self.arith.exact else h

    def classify(self, cone: Cone, hs: Any) -> list[int]:
        """Per hyperplane (rows of ``hs``): ``_CROSS``, ``_PLUS``, ``_MINUS`` or ``_ZERO``;
        in float mode an uncertain answer raises :class:`~tropnet.arithmetic.Uncertain`."""
        if self.arith.exact:
            H = primitive(hs).T  # (n+1, k)
            sg = EXACT.sign(generator_values(cone, H, EXACT))
            lcross = ((EXACT.sign(line_values(cone, H, EXACT)) != 0).any(axis=0)
                      if len(cone.lines) else np.zeros(H.shape[1], dtype=bool))
        else:
            H = hs.T
            vals = generator_values(cone, H, self.arith)
            sg = vals.signs()
            worst = vals.near_zero(sg, np.multiply.outer(np.abs(cone.gens).sum(axis=1),
                                                         np.abs(H.mid).max(axis=0)))
            if worst is not None:
                warn_small_margin(worst)
            ls = (line_values(cone, H, self.arith).signs() if len(cone.lines)
                  else np.zeros((0, H.shape[1]), dtype=np.int8))
            if np.any(ls == UNSURE):
                raise Uncertain
            lcross = (ls != 0).any(axis=0)
        pos, neg = (sg == 1).any(axis=0), (sg == -1).any(axis=0)
        unsure = (sg == UNSURE).any(axis=0)
        out = []
        for p, q, lc, un in zip(pos, neg, lcross, unsure, strict=True):
            if lc or (p and q):
                out.append(_CROSS)
            elif un:
                raise Uncertain
            elif p:
                out.append(_PLUS)
            elif q:
                out.append(_MINUS)
            else:
                out.append(_ZERO)
        return out

    def split(self, cone: Cone, h: Any) -> tuple[Cone, Cone]:
        plus, minus = split_cone(cone, self._h(h), self.arith)
        assert plus is not None and minus is not None  # classify said it crosses
        return plus, minus

    def point(self, cone: Cone) -> np.ndarray:
        return cone.interior_point(self.arith)


class _LPEngine:
    """Regions as inequality systems ``A x <= b`` with an interior point; exact LPs decide
    (the float LP engine is :class:`_BallLPEngine`)."""

    name = "lp"

    def __init__(self, arith: Arithmetic) -> None:
        self.arith = arith

    def start(self, domain: Domain) -> tuple[tuple, list]:
        poly = domain.polyhedron(self.arith)
        found = poly.interior_point()
        if found is None:  # resolve() already refused empty domains
            raise TropnetError("the domain has an empty interior")
        rows = [(poly.A[i], poly.b[i]) for i in range(len(poly))]
        return (poly, found[0]), rows

    def classify(self, state: tuple, hs: np.ndarray) -> list[int]:
        poly, x0 = state
        out = []
        for beta, w in ((h[0], h[1:]) for h in hs):
            if all(v == 0 for v in w):
                out.append(_ZERO if beta == 0 else 1 if beta > 0 else -1)
                continue
            z0 = beta + w.dot(x0)
            s0 = (z0 > 0) - (z0 < 0)
            if s0 >= 0 and self._reaches(poly, beta, w, -1):
                out.append(_CROSS if s0 > 0 or self._reaches(poly, beta, w, 1) else _MINUS)
            elif s0 <= 0 and self._reaches(poly, beta, w, 1):
                out.append(_CROSS if s0 < 0 else _PLUS)
            else:
                out.append(_PLUS if s0 > 0 else _MINUS if s0 < 0 else _ZERO)
        return out

    def _reaches(self, poly: Polyhedron, beta: Any, w: np.ndarray, side: int) -> bool:
        """Does ``side * (beta + w . x)`` take a positive value on the region?"""
        res = linprog(list(w), poly.A, poly.b, self.arith, maximize=side > 0)
        if res.status == "unbounded":
            return True
        if not res.optimal:
            return False
        return bool((beta + res.value) * side > 0)

    def split(self, state: tuple, h: np.ndarray) -> tuple[tuple, tuple]:
        poly, x0 = state
        beta, w = h[0], h[1:]
        z0 = beta + w.dot(x0)
        parts = []
        for side in (1, -1):
            a = np.array([-side * v for v in w], dtype=w.dtype)
            sub = poly.add(a.reshape(1, -1), [side * beta])
            if side * z0 > 0:
                parts.append((sub, x0))
                continue
            found = sub.interior_point()
            if found is None:  # pragma: no cover - classify saw a crossing, exactly
                raise RuntimeError("internal error: a crossing hyperplane left one side "
                                   "without interior")
            parts.append((sub, found[0]))
        return parts[0], parts[1]

    def point(self, state: tuple) -> np.ndarray:
        return state[1]


@dataclass(eq=False)
class _LPRegion:
    """A region of the certified float LP engine: its float rows ``poly``, its rows as
    balls ``G`` (``g . (1, x) >= 0``), their exact integer multiples ``Gx`` (or ``None``),
    and points certified strictly inside (``points``, rows; the first is its interior
    point): those the LPs found, and the parent's that lie in it."""

    poly: Polyhedron
    G: Ball
    Gx: list | None
    points: np.ndarray

    @property
    def x0(self) -> np.ndarray:
        """The interior point of the region (the first of ``points``)."""
        return self.points[0]


class _BallLPEngine:
    """The certified float LP engine: a region is an :class:`_LPRegion`.

    A float LP only proposes; every answer is certified or raises
    :class:`~tropnet.arithmetic.Uncertain`:

    * "``side * h`` takes a positive value on the region": a point strictly inside the
      region with ``side * h > 0``, both checked in balls. The points certified inside a
      region (its interior point, the points earlier LPs found, the parent's points on its
      side) answer first, without an LP; an LP optimum pulled towards ``x0`` adds one;
    * "it does not": multipliers ``y >= 0`` of the LP's active rows with
      ``side * w = sum y_i a_i`` exactly and ``side * beta + sum y_i b_i < 0``, so
      ``side * h(x) < 0`` on the region: for ``n`` active rows, a verified enclosure of the
      solution of that square system (as in Rump's method), in balls; otherwise (fewer
      rows: the hyperplane lies in the span of a few rows, as deeper layers' hyperplanes
      do by construction) the same system solved exactly on the exact rows ``Gx``, which
      the walk keeps as integer multiples.
    """

    name = "lp"
    arith = FLOAT

    def start(self, domain: Domain) -> tuple[_LPRegion, list]:
        poly = domain.polyhedron(FLOAT)
        exact = read_in(domain, FLOAT).polyhedron(EXACT)
        G = Ball.of(np.column_stack([exact.b, -exact.A]).reshape(-1, poly.n + 1))
        found = poly.interior_point()
        if found is None:  # resolve() already refused empty domains
            raise TropnetError("the domain has an empty interior")
        x0 = np.asarray(found[0], dtype=float)
        if len(G) and not np.all((G @ _homog(x0)).signs() == 1):
            raise Uncertain  # the whole walk then starts exactly
        rows = [(poly.A[i], poly.b[i]) for i in range(len(poly))]
        Gx = [integer_row([b, *(-v for v in a)]) for a, b in zip(exact.A, exact.b, strict=True)]
        return _LPRegion(poly, G, Gx, x0[None, :]), rows

    def classify(self, state: _LPRegion, hs: Ball) -> list[int]:
        out: list[int] = []
        seen = 0  # the points certified inside when ``at`` was computed; LPs add more
        for j in range(len(hs)):
            h = hs[j]  # with h.__dict__["exact"] when the walk keeps exact rows
            w = h[1:].signs()
            if np.all(w == 0):
                s = int(h[:1].signs()[0])
                if s == UNSURE:
                    raise Uncertain
                out.append(_ZERO if s == 0 else s)
                continue
            if seen != len(state.points):  # the sides reached at those points: no LP
                seen = len(state.points)
                at, first = (hs[j:] @ _homog(state.points)).signs(), j
            row = at[j - first]
            plus = bool((row == 1).any()) or self._reaches(state, h, 1)
            minus = bool((row == -1).any()) or self._reaches(state, h, -1)
            if not (plus or minus):  # a non-zero h vanishing on a full-dimensional region
                raise Uncertain
            out.append(_CROSS if plus and minus else _PLUS if plus else _MINUS)
        return out

    def _reaches(self, state: _LPRegion, h: Ball, side: int) -> bool:
        poly, x0, G, Gx = state.poly, state.x0, state.G, state.Gx
        beta, w = side * h.mid[0], side * h.mid[1:]
        cap = 1.0 + abs(beta) + float(np.abs(w) @ np.abs(x0))
        # max w.x on the region, capped where side * h reaches ``cap`` (a bounded optimum)
        res = linprog(w, np.vstack([poly.A, w[None, :]]), np.r_[poly.b, cap - beta], FLOAT,
                      maximize=True)
        if not res.optimal:
            raise Uncertain
        x = np.asarray(res.x, dtype=float)
        sh = h if side > 0 else -h
        if beta + res.value > 0:
            for t in (2.0**-4, 2.0**-12, 2.0**-24, 2.0**-40):
                p = x + t * (x0 - x)
                if self._inside(G, p) and (sh[None, :] @ _homog(p))[0, 0].signs() == 1:
                    state.points = np.vstack([state.points, p])
                    return True
            raise Uncertain
        y = np.asarray(res.duals, dtype=float)[:len(poly)]
        active = np.flatnonzero(y > 1e-12 * max(1.0, float(y.max(initial=0.0))))
        if len(active) == poly.n:
            rows = G[active]
            ys = _enclose(-rows[:, 1:].T, sh[1:])  # side * w = sum y_i a_i, a_i = -g_i[1:]
            if ys is not None and np.all(ys.mid - ys.rad >= 0):
                bound = (ys[None, :] @ rows[:, :1])[0, 0] + sh[0]
                if bound.signs() == -1:
                    return False
        hx = h.__dict__.get("exact")
        if Gx is not None and hx is not None and _exact_negative(
                [Gx[i] for i in active], [side * v for v in hx]):
            return False
        raise Uncertain

    @staticmethod
    def _inside(G: Ball, p: np.ndarray) -> bool:
        return not len(G) or bool(np.all((G @ _homog(p)).signs() == 1))

    def split(self, state: _LPRegion, h: Ball) -> tuple[_LPRegion, _LPRegion]:
        hx = h.__dict__.get("exact")
        at = (h[None, :] @ _homog(state.points)).signs()[0]
        parts = []
        for side in (1, -1):
            sh = h if side > 0 else -h
            on = at == side  # the points certified inside on this side
            if not on.any():  # classify saw this side reached, so an LP finds a point
                if not self._reaches(state, h, side):  # pragma: no cover - certified
                    raise RuntimeError("internal error: a crossing hyperplane left one side "
                                       "without interior")
                return self.split(state, h)
            points = state.points[on]
            a = -sh.mid[1:]
            sub = state.poly.add(a.reshape(1, -1), [sh.mid[0]])
            gx = None if state.Gx is None or hx is None else [
                *state.Gx, np.array([side * v for v in hx], dtype=object)]
            parts.append(_LPRegion(sub, state.G.concat(sh[None, :]), gx,
                                   points[:POINTS_KEPT]))
        return parts[0], parts[1]

    def point(self, state: _LPRegion) -> np.ndarray:
        return state.x0


def _exact_negative(rows: list, h: list) -> bool:
    """Exactly: are there ``y >= 0`` with ``h_w = -sum y_i g_i,w`` and
    ``h_0 + sum y_i g_i,0 < 0`` (so ``h(1, x) < 0`` wherever every ``g_i . (1, x) >= 0``)?
    ``y`` is the unique solution of the linear system when it has one (full column rank),
    found by Gaussian elimination on Fractions."""
    k = len(rows)
    if k == 0:
        return False
    n = len(h) - 1
    # augmented system: columns -g_i,w (i < k) and the right-hand side h_w
    aug = [[Fraction(-int(rows[i][r + 1])) for i in range(k)] + [Fraction(int(h[r + 1]))]
           for r in range(n)]
    pivots = []
    r = 0
    for col in range(k):
        piv = next((i for i in range(r, n) if aug[i][col] != 0), None)
        if piv is None:
            return False  # rank-deficient: no unique multipliers
        aug[r], aug[piv] = aug[piv], aug[r]
        inv = 1 / aug[r][col]
        aug[r] = [v * inv for v in aug[r]]
        for i in range(n):
            if i != r and aug[i][col] != 0:
                f = aug[i][col]
                aug[i] = [a - f * b for a, b in zip(aug[i], aug[r], strict=True)]
        pivots.append(col)
        r += 1
    if any(aug[i][k] != 0 for i in range(r, n)):
        return False  # inconsistent: h_w is not in the span of the rows
    y = [aug[i][k] for i in range(k)]
    if any(v < 0 for v in y):
        return False
    return int(h[0]) + sum(v * int(rows[i][0]) for i, v in enumerate(y)) < 0


def _homog(x: np.ndarray) -> Ball:
    """The column ``(1, x)`` as an exact ball; for the rows of a matrix ``x``, one column
    ``(1, x_i)`` each."""
    rows = np.atleast_2d(np.asarray(x, dtype=float))
    return Ball.of(np.column_stack([np.ones(len(rows)), rows]).T)


def _enclose(M: Ball, v: Ball) -> Ball | None:
    """A ball containing the solution of ``M* y = v*`` for every exact ``M*`` in ``M`` and
    ``v*`` in ``v`` (and a proof that each such ``M*`` is invertible), or ``None``: with
    ``R`` an approximate inverse and ``y~ = R v``, if ``||I - R M|| < 1`` then
    ``||y* - y~|| <= ||R (v - M y~)|| / (1 - ||I - R M||)`` (max-norms)."""
    try:
        R = np.linalg.inv(M.mid)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(R)):
        return None
    n = len(R)
    yt = R @ v.mid
    Rb = Ball.of(R)
    res = v[:, None] - M @ Ball.of(yt[:, None])
    C = Ball.of(np.eye(n)) - Rb @ M
    up = 1 + 8 * (n + 2) * UNIT_ROUNDOFF
    norm_c = float((np.abs(C.mid) + C.rad).sum(axis=1).max()) * up
    if not norm_c < 1:
        return None
    d = Rb @ res
    delta = float((np.abs(d.mid) + d.rad).max()) * up / ((1 - norm_c) * (1 - 2.0**-50))
    return Ball(yt, np.full(n, delta))

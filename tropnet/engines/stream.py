"""Regions as a stream: a depth-first walk that keeps no region it has passed on.

The walk of :mod:`tropnet.engines.enumerate` splits regions layer by layer; here it goes
depth first over the tree of partial activation patterns, so at any time it holds one path
of that tree with the unvisited siblings along it (memory ``O(depth x width)`` nodes, each a
region of the first layers), and hands every region of the last layer on as soon as it is
found:

* activation regions go to a *sink*: a counter (``count_only``), a file of JSON lines, or
  anything else. Interior points are checked exactly in chunks
  (:func:`tropnet.engines.patterns.certify_points`), as in the in-memory walk. The regions
  and the count are those of :func:`activation_regions`.
* linear regions (facet connectivity) are glued on the fly: each activation region gives the
  patterns of its facet neighbours (the region across each facet that is not on the
  domain's boundary) whose affine map equals its own, and a union-find over pattern keys
  merges them; it holds one entry per region, not the regions. The count is that of
  ``linear_regions(net, domain, method="enumerate")``.

The same depth-first exploration, cut into subtrees with a node budget, runs the tasks of
:mod:`tropnet.engines.parallel`.

A region file holds one JSON object per line: ``pattern``, ``interior_point``,
``affine_map`` and ``cells`` (the inequalities ``A x <= b``), numbers as in every tropnet JSON
output (exact rationals as ``"p/q"``); :func:`read_regions` reads it back.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from math import comb, gcd
from typing import Any

import numpy as np
from networkx.utils import UnionFind

from ..activations import ReLU
from ..arithmetic import EXACT, Arithmetic, parse_number, resolve
from ..domain import Domain, parse_domain
from ..errors import InputFileError, TropnetError
from ..files import check_input_file
from ..limits import check_memory, note
from ..network import Layer, Network
from ..polyhedra import Polyhedron
from ..tropical.prune import facets, primitive
from .batch import batch_count
from .enumerate import Walk, choose_engine
from .glue import check_connectivity
from .patterns import certify_points, read_in
from .planar import planar_count
from .result import Region

__all__ = ["Explorer", "LinearUnion", "StreamProgress", "StreamSummary", "pattern_key",
           "read_regions", "region_line", "stream_activation_regions",
           "stream_linear_regions"]

#: regions whose points are checked together
CHUNK = 1024
#: about the most first-layer regions a serial stream holds at once: a wider first layer
#: is explored piece by piece (:meth:`Explorer.pieces`)
FIRST_LAYER_NODES = 2048

#: a node of the pattern tree: the number of layers done and the walk's region of them
Node = tuple[int, Any]
#: a piece of the domain: the sides of some first-layer units, ``((unit, active), ...)``
Piece = tuple[tuple[int, bool], ...]


@dataclass(frozen=True)
class StreamSummary:
    """What a stream found: the number of regions, and how (as ``RegionSet`` says it).

    Attributes
    ----------
    count : int
        The number of regions.
    domain : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic of the run.
    engine : str
        The engine that ran (``"vertex"``, ``"lp"`` or ``"planar"``).
    info : dict, default {}
        Facts of the run, as `RegionSet.info` (``streamed``, ``exact_fallbacks``, ...).
    kind : str, default "activation"
        ``"activation"`` or ``"linear"``.
    """

    count: int
    domain: Domain
    arith: Arithmetic
    engine: str
    info: dict = field(default_factory=dict)
    kind: str = "activation"


@dataclass(frozen=True)
class StreamProgress:
    """How far a stream is: activation regions found, the deepest layer reached (of
    ``layers``), the nodes waiting to be explored, the seconds so far, and (parallel runs)
    the tasks done.

    Attributes
    ----------
    regions : int
        Activation regions found so far.
    depth : int
        The deepest layer reached.
    layers : int
        The number of layers of the network.
    waiting : int
        Nodes (parallel runs: pieces and nodes) waiting to be explored.
    seconds : float
        Seconds since the start.
    tasks : int, default 0
        Tasks done (parallel runs).
    """

    regions: int
    depth: int
    layers: int
    waiting: int
    seconds: float
    tasks: int = 0

    @property
    def rate(self) -> float:
        """Activation regions per second."""
        return self.regions / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """One line for a progress bar."""
        tasks = f", {self.tasks:,} tasks" if self.tasks else ""
        return (f"{self.regions:,} regions, {self.rate:,.0f}/s, depth {self.depth}/"
                f"{self.layers}, {self.waiting:,} waiting{tasks}")


def pattern_key(pattern: Iterable[Iterable[int]]) -> bytes:
    """A compact hashable key of an activation pattern (one entry per unit: a bit when every
    entry is 0 or 1, else a byte): patterns of one network have equal keys iff equal.

    Parameters
    ----------
    pattern : iterable of iterable of int
        An activation pattern, one sequence of entries per layer.

    Examples
    --------
    >>> pattern_key([(1, 0), (1,)]) == pattern_key(((1, 0), (1,)))
    True
    >>> pattern_key([(1, 0)]) == pattern_key([(0, 1)])
    False
    """
    flat = np.fromiter((v for layer in pattern for v in layer), dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() > 255):  # pragma: no cover - rank > 256
        return flat.tobytes()
    if flat.size == 0 or flat.max() <= 1:
        return b"b" + np.packbits(flat.astype(np.uint8)).tobytes() + bytes([flat.size % 8])
    return b"m" + flat.astype(np.uint8).tobytes()


class Explorer:
    """Depth-first exploration of subtrees of the pattern tree of ``net`` on ``dom``.

    ``kind="activation"`` walks in ``arith`` (the certified float engines in float mode);
    ``kind="linear"`` walks exactly (on the exact rationals of a float network and domain),
    since the facets and maps it compares are decided exactly, and reports in ``arith``.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic of the results.
    engine : str, default "auto"
        ``"auto"`` (the vertex engine up to input dimension 6, else LP) or a name of
        `tropnet.engines.enumerate.ENGINES`; ``"planar"`` walks with the vertex engine.
    kind : {"activation", "linear"}, default "activation"
        The regions explored.
    connectivity : str, default "facet"
        Linear regions: only ``"facet"`` is streamed.

    Raises
    ------
    TropnetError
        For an unknown ``kind``, or linear regions with ``"closure"`` connectivity.
    """

    def __init__(self, net: Network, dom: Domain, arith: Arithmetic, engine: str = "auto",
                 kind: str = "activation", connectivity: str = "facet") -> None:
        if kind not in ("activation", "linear"):
            raise TropnetError(f"unknown region kind {kind!r} (expected linear or activation)")
        if kind == "linear" and check_connectivity(connectivity) != "facet":
            raise TropnetError("streamed linear regions glue facet neighbours only; closure "
                               "connectivity compares every pair of cells of one map (drop "
                               "--count-only / the stream, or use connectivity='facet')")
        self.net, self.dom, self.arith, self.kind = net, dom, arith, kind
        walk_dom, walk_arith = (dom, arith) if arith.exact or kind == "activation" else \
            (read_in(dom, arith), EXACT)
        self.walk = Walk(net, walk_dom, walk_arith, choose_engine(engine, dom))
        self._root = self.walk.root()
        self.domain_rows = len(self._root.rows)
        self.depth = 0

    @property
    def layers(self) -> int:
        """The number of layers of the network (the depth of the leaves)."""
        return len(self.net.layers)

    # -- pieces: the domain cut by first-layer hyperplanes, shipped as sign vectors ---------
    def pieces(self, target: int) -> list[Piece]:
        """About ``target`` pieces covering the domain (``[()]``, the whole domain, when it
        cannot be cut): the cells of the arrangement of the hyperplanes of ``j`` units of
        the first layer, ``j`` the least with about ``target`` cells, each given by its
        sides. Every activation region lies in exactly one piece (a first-layer unit has
        one side on a region), so the regions of the pieces are the regions.

        The work of a piece grows with the vertices of the first layer's arrangement in it,
        which crowd where its hyperplanes meet; so the units are chosen one at a time, each
        the one that splits the most crowded cell so far most evenly, on a sample of those
        vertices (:func:`_arrangement_vertices`). The pieces come largest first by the
        sample, so that a parallel run does not end on one large piece.

        Pieces are cut when the first layer splits by hyperplanes (ReLU, leaky ReLU) and
        the walk is exact or the float vertex engine (whose pieces are line-free: the
        chosen units' normals span ``R^n`` or the domain is line-free).

        Parameters
        ----------
        target : int
            About how many pieces to cut.

        Returns
        -------
        list of tuple
            The pieces, each ``((unit, active), ...)``.
        """
        layer = self.net.layers[0]
        walk = self.walk
        if target <= 1 or not (layer.act.patterned and layer.act.hyperplane) or not (
                walk.arith.exact or walk.name == "vertex"):
            return [()]
        W, b = self._first_rows()
        n = self.net.input_dim
        Wf, bf = np.array(W, dtype=float), np.array(b, dtype=float)
        side = _arrangement_vertices(Wf, bf, self.dom) @ Wf.T + bf > 0
        units = _cutting_units(Wf, side, target,
                               line_free=walk.name == "vertex" and self.dom.has_line)
        if units is None:
            return [()]
        cut = Walk(Network(n, (Layer(W[units], b[units], ReLU()),)), walk.dom, walk.arith,
                   walk.name)
        crowd = Counter(row.tobytes() for row in np.packbits(side[:, units], axis=1))
        sized = []
        for item in cut.children(0, cut.root()):
            signs = np.array(item.pats[0], dtype=bool)
            piece = tuple((int(u), bool(s)) for u, s in zip(units, signs, strict=True))
            sized.append((-crowd.get(np.packbits(signs).tobytes(), 0), piece))
        return [piece for _, piece in sorted(sized)]

    def first_cells(self) -> int:
        """The most regions the first layer's hyperplanes can make: ``sum_{i <= n} C(m, i)``
        for ``m`` hyperplanes in ``R^n`` (Zaslavsky, general position)."""
        m, n = self.net.layers[0].units, self.net.input_dim
        return sum(comb(m, i) for i in range(n + 1))

    def piece_nodes(self, piece: Piece) -> list[Node]:
        """The nodes that explore ``piece``: the root for the whole domain, else the
        regions of the first layer inside it, split exactly (the piece's own units, which
        vanish on its boundary, are known, not asked) and rounded to balls in float mode.

        Parameters
        ----------
        piece : tuple
            A piece of :meth:`pieces`, ``((unit, active), ...)``; ``()`` is the domain.

        Returns
        -------
        list of tuple
            The nodes ``(layers done, item)``.
        """
        if not piece:
            return [self.root()]
        walk = self.walk
        W, b = self._first_rows()
        read = read_in(walk.dom, walk.arith)  # the domain the walk sees, exactly
        base = read.polyhedron(EXACT) if read.kind != "rn" else None
        A = [tuple(r) for r in base.A] if base is not None else []
        rhs = list(base.b) if base is not None else []
        for u, active in piece:  # active: -w x <= b (z >= 0); inactive: w x <= -b
            A.append(tuple(-v for v in W[u]) if active else tuple(W[u]))
            rhs.append(b[u] if active else -b[u])
        dom = Domain("polytope", self.net.input_dim, A=tuple(A), b=tuple(rhs),
                     exact_input=walk.arith.exact)
        sides = {u: 1 if active else -1 for u, active in piece}  # known: not asked again
        if walk.arith.exact:
            return [(1, child) for child in walk.children(0, walk.root(dom), sides)]
        # float: the first layer exactly, then balls (as the serial walk's root does when a
        # sign is uncertain; a split by many units in balls would leave wide radii)
        return [(1, walk.to_balls(child))
                for child in walk.children(0, walk.exact_item((), dom), sides)]

    def _first_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The first layer's exact rows ``(W, b)`` as the walk reads them."""
        arith = self.walk.arith
        return self.net.layers[0].params(arith if arith.exact else EXACT)

    def root(self) -> Node:
        """The root of the tree: the domain, no layer done."""
        return 0, self._root

    def explore(self, stack: list[Node], leaf: Callable[[Any], None],
                budget: int | None = None, count: Callable[[int], None] | None = None
                ) -> int:
        """Explore ``stack`` depth first (popping from its end), passing each region of the
        last layer (a walk item) to ``leaf``; stop after ``budget`` nodes (``None``: none
        left). The nodes left on ``stack`` are the unexplored frontier.

        Parameters
        ----------
        stack : list of tuple
            The nodes ``(layers done, item)`` to explore; changed in place.
        leaf : callable
            Called with each walk item of the last layer.
        budget : int or None, default None
            The most nodes to explore; ``None`` explores all.
        count : callable or None, default None
            Count only: a node of the last patterned layer (ReLU or leaky ReLU, only
            unpatterned layers after it) passes the number of its regions to ``count``
            (Zaslavsky's count, :meth:`~tropnet.engines.enumerate.Walk.count_children`)
            instead of its regions to ``leaf``, when that count applies.

        Returns
        -------
        int
            The number of nodes explored.
        """
        done = 0
        last = self.layers
        tail = self._last_split() if count is not None else None
        while stack and (budget is None or done < budget):
            index, item = stack.pop()
            done += 1
            self.depth = max(self.depth, index)
            if index == last:
                leaf(item)
                continue
            if index == tail:
                found = self.walk.count_children(index, item)
                if found is not None:
                    count(found)
                    continue
            children = self.walk.children(index, item)
            stack.extend((index + 1, child) for child in reversed(children))
        return done

    def _last_split(self) -> int | None:
        """The last layer with a pattern, when every later layer has none (its regions are
        the network's activation regions), else ``None``."""
        layers = self.net.layers
        split = [k for k, layer in enumerate(layers) if layer.act.patterned]
        return split[-1] if split and self.kind == "activation" else None

    # -- linear regions: facet neighbours with the same map --------------------------------
    def same_map_neighbours(self, item: Any) -> list[bytes]:
        """The pattern keys of the facet neighbours of the activation region ``item`` (exact)
        whose affine map equals its own.

        Across a facet ``F`` on the hyperplane ``h = 0`` (``h >= 0`` on the region ``P``)
        lies one activation region ``Q``: every unit's pre-activation (every piece
        difference) is continuous, affine on ``P`` with one sign there, so it keeps its sign
        on the far side near the relative interior of ``F`` unless it vanishes on all of
        ``h = 0``, i.e. is ``c h`` on the far side, where ``h < 0``: its sign is then that
        of ``-c``. Layer by layer this gives ``Q``'s pattern and map exactly.

        Parameters
        ----------
        item : object
            An exact walk item of the last layer (an activation region).

        Returns
        -------
        list of bytes
            The :func:`pattern_key` of each such neighbour.
        """
        rows = item.rows
        n = self.net.input_dim
        A = np.array([r[0] for r in rows], dtype=object).reshape(len(rows), n)
        b = np.array([r[1] for r in rows], dtype=object)
        found = facets(A, b)
        if found is None:  # pragma: no cover - the walk keeps full-dimensional regions only
            raise RuntimeError("internal error: an activation region without interior")
        own = _map_key(item.M)
        out = []
        for r in found[0]:
            if r < self.domain_rows:  # on the domain's boundary: nothing across
                continue
            h = np.array(primitive([b[r], *(-v for v in A[r])]), dtype=object)
            pattern, M = self._across(item.pats, h)
            if _map_key(M) == own:
                out.append(pattern_key(pattern))
        return out

    def _across(self, pats: tuple, h: np.ndarray) -> tuple[tuple, Any]:
        walk = self.walk
        M = walk.exact_identity()
        out = []
        for index, layer in enumerate(self.net.layers):
            z = walk.exact_preactivations(index, M)
            pat = _flip(layer, pats[index], z.num[1:], h)
            out.append(pat)
            M = walk.exact_output(index, pat, z)
        return tuple(out), M


#: arrangement vertices sampled to cut the domain into pieces of similar work
VERTEX_SAMPLE = 4096


def _arrangement_vertices(W: np.ndarray, b: np.ndarray, dom: Domain) -> np.ndarray:
    """A sample of the vertices of the arrangement ``W x + b = 0`` in the domain: the
    points where random sets of ``n`` hyperplanes meet (floats, rows; none when there are
    fewer than ``n`` hyperplanes). An estimate of where the regions crowd, not a decision."""
    m, n = W.shape
    if m < n:
        return np.zeros((0, n))
    rng = np.random.default_rng(0)
    size = min(VERTEX_SAMPLE, max(16, 2**22 // n**2))  # at most ~32 MB of n x n systems
    idx = np.argsort(rng.random((size, m)), axis=1)[:, :n]
    A, rhs = W[idx], -b[idx]
    sign, logdet = np.linalg.slogdet(A)
    top = np.abs(A).max(axis=(1, 2))
    # well-posed systems: |det| > 1e-9 * (largest entry)^n, compared in logarithms
    ok = (sign != 0) & (top > 0)
    ok[ok] = logdet[ok] - n * np.log(top[ok]) > np.log(1e-9)
    pts = np.linalg.solve(A[ok], rhs[ok][..., None])[..., 0]
    if dom.kind != "rn":
        poly = dom.polyhedron(EXACT)
        Ad, bd = np.array(poly.A, dtype=float), np.array(poly.b, dtype=float)
        pts = pts[(pts @ Ad.T <= bd + 1e-9 * (1 + np.abs(bd))).all(axis=1)]
    return pts


def _cutting_units(W: np.ndarray, side: np.ndarray, target: int, line_free: bool
                   ) -> list[int] | None:
    """Units of the first layer whose hyperplanes cut the domain into about ``target``
    cells: each next unit the one whose hyperplane splits the most crowded cell so far
    (by the sample points, whose sides are the rows of ``side``) most evenly; the first
    ones with normals spanning ``R^n`` when ``line_free`` (else ``None`` when they cannot).
    Without sample points the units come in order."""
    m, n = W.shape
    labels = np.zeros(len(side), dtype=np.int64)
    chosen: list[int] = []
    cells, rank = 1, 0
    while len(chosen) < m and (cells < target or (line_free and rank < n)):
        best, crowd = None, None
        for u in range(m):
            if u in chosen or (line_free and rank < n and np.linalg.matrix_rank(
                    W[[*chosen, u]]) == rank):
                continue
            top = int(np.bincount(labels * 2 + side[:, u]).max()) if len(side) else 0
            if crowd is None or top < crowd:
                best, crowd = u, top
        if best is None:
            break
        chosen.append(best)
        labels = np.unique(labels * 2 + side[:, best], return_inverse=True)[1].reshape(-1)
        cells = sum(comb(len(chosen), i) for i in range(n + 1))
        rank = int(np.linalg.matrix_rank(W[chosen]))
    if line_free and rank < n:
        return None
    return chosen


def _map_key(M: Any) -> tuple:
    """A hashable key of an exact homogeneous map (a ScaledMatrix), equal for equal maps."""
    num = M.num[1:].reshape(-1)
    g = gcd(int(np.gcd.reduce(num)) if num.size else 0, int(M.den))
    return (int(M.den) // g, *(int(v) // g for v in num))


def _flip(layer: Layer, pat: tuple, Z: np.ndarray, h: np.ndarray) -> tuple:
    """The layer's pattern across the hyperplane ``h = 0`` (to ``h < 0``) from the pattern
    ``pat`` on the near side, given the exact pre-activation rows ``Z`` on the far side
    (positive multiples; see :meth:`Explorer.same_map_neighbours`)."""
    act = layer.act
    if not act.patterned:
        return ()
    k, pieces = layer.rank, act.pieces()
    j = next(i for i in range(len(h)) if i > 0 and h[i] != 0)
    out = list(pat)
    if act.hyperplane:  # piece 1 - piece 0 is a positive multiple of z = (c h across)
        along = np.all(Z * h[j] == np.outer(Z[:, j], h), axis=1)
        for u in np.flatnonzero(along):
            out[u] = 1 if (Z[u, j] > 0) != (h[j] > 0) and Z[u, j] != 0 else 0
        return tuple(out)
    for u, near in enumerate(pat):
        vals = [Z[u * k + o] if s == 1 else Fraction(s) * Z[u * k + o] for o, s in pieces]
        best, best_c = near, Fraction(0)
        for q in range(len(pieces)):
            if q == near:
                continue
            d = vals[q] - vals[near]
            if not all(v * h[j] == d[j] * w for v, w in zip(d, h, strict=True)):
                continue  # keeps its sign across the facet
            c = Fraction(d[j]) / h[j]  # piece q - piece near = c h, and h < 0 across
            if c < best_c or (c == best_c and q < best):
                best, best_c = q, c
        out[u] = best
    return tuple(out)


class LinearUnion:
    """The union-find of streamed linear regions: one entry per activation region (its
    pattern key), merged with its same-map facet neighbours."""

    def __init__(self) -> None:
        self.uf = UnionFind()
        self.leaves = 0

    def add(self, key: bytes, same: Iterable[bytes]) -> None:
        """Record the activation region ``key`` and its same-map facet neighbours.

        Parameters
        ----------
        key : bytes
            The region's :func:`pattern_key`.
        same : iterable of bytes
            The keys of its facet neighbours with the same affine map.
        """
        self.leaves += 1
        self.uf[key]  # registers the key
        for other in same:
            self.uf.union(key, other)

    def count(self) -> int:
        """The number of linear regions (components)."""
        parents = self.uf.parents
        if len(parents) != self.leaves:  # pragma: no cover - a neighbour never found
            raise RuntimeError(f"internal error: {len(parents)} patterns met for "
                               f"{self.leaves} activation regions")
        return sum(1 for key in parents if self.uf[key] == key)


class ActivationLeaves:
    """The leaf handler of activation regions: the regions of the last layer, their points
    checked exactly in chunks, passed to ``sink`` and counted."""

    def __init__(self, explorer: Explorer, sink: Callable[[Region], None] | None = None,
                 flushed: Callable[[], None] | None = None) -> None:
        self.explorer, self.sink, self.flushed = explorer, sink, flushed
        self.count = self.moved = self.dropped = 0
        self.batch: list[Region] = []

    def __call__(self, item: Any) -> None:
        self.batch.append(self.explorer.walk.region(item))
        if len(self.batch) == CHUNK:
            self.flush()
            check_memory("enumerating activation regions", "count on a smaller box",
                         partial={"lower_bound": self.count,
                                  "lower_bound_of": "activation regions"})

    def add(self, count: int) -> None:
        """Count ``count`` regions that were counted, not built (count only)."""
        self.count += count

    def flush(self) -> None:
        ex = self.explorer
        regions, m, d = certify_points(ex.net, self.batch, ex.walk.dom, ex.walk.arith)
        self.moved, self.dropped = self.moved + m, self.dropped + d
        if self.sink is not None:
            for region in regions:
                self.sink(region)
        self.count += len(regions)
        self.batch.clear()
        if self.flushed is not None:
            self.flushed()


def stream_activation_regions(net: Network, domain: Domain | str | None = None,
                              engine: str = "auto", exact: bool | Arithmetic | None = None,
                              sink: Callable[[Region], None] | None = None,
                              progress: Callable[[StreamProgress], None] | None = None
                              ) -> StreamSummary:
    """Find the activation regions of ``net`` on ``domain`` depth first and pass each to
    ``sink`` (``None``: count only). ``progress`` gets a :class:`StreamProgress` every
    :data:`CHUNK` regions. A count on a 2-D bounded domain that the planar engine supports
    (``engine`` ``"auto"`` or ``"planar"``) counts the faces of its subdivision instead
    (:func:`tropnet.engines.planar.planar_count`). A first layer that can make many
    regions (over :data:`FIRST_LAYER_NODES` per piece) is explored piece by piece
    (:meth:`Explorer.pieces`), so that the walk never holds all of its regions at once.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A `Domain`, a domain string such as ``"box:-1,1"``, or ``None`` (``R^n``).
    engine : str, default "auto"
        ``"auto"``, ``"vertex"``, ``"lp"``, ``"planar"`` or ``"batch"``.
        The engine, as in :func:`~tropnet.engines.enumerate.activation_regions`; with a
        ``sink``, ``"auto"`` never takes the planar engine and ``"planar"`` walks with the
        vertex engine.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff all weights and domain bounds are rational.
    sink : callable or None, default None
        Called with each :class:`~tropnet.Region`, its interior point checked.
    progress : callable or None, default None
        Called with a :class:`StreamProgress`.

    Returns
    -------
    StreamSummary
        The count; ``info`` holds ``streamed`` and, in float mode, ``exact_fallbacks``.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> stream_activation_regions(net).count
    2
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    start = time.perf_counter()
    name = choose_engine(engine, dom, net, arith) if sink is None else None
    if name in ("planar", "batch"):  # count faces (2-D) or split all regions at once
        layer = [0]

        def per_layer(count: int) -> None:
            layer[0] += 1
            if progress is not None:
                progress(StreamProgress(count, layer[0], len(net.layers), 0,
                                        time.perf_counter() - start))

        if name == "planar":
            count, info = planar_count(net, dom, arith, per_layer)
        else:
            count, fallbacks = batch_count(net, dom, arith,
                                           lambda: Walk(net, dom, arith, "vertex"), per_layer)
            info = activation_info(arith, fallbacks, 0, 0)
        return StreamSummary(count, dom, arith, name, {"streamed": True, **info})
    ex = Explorer(net, dom, arith, engine)
    stack: list[Node] = []

    def flushed() -> None:
        note(lower_bound=leaves.count, lower_bound_of="activation regions")
        if progress is not None:
            progress(StreamProgress(leaves.count, ex.depth, ex.layers, len(stack),
                                    time.perf_counter() - start))

    leaves = ActivationLeaves(ex, sink, flushed)
    for piece in ex.pieces(ex.first_cells() // FIRST_LAYER_NODES):
        stack[:] = [ex.root()] if not piece else reversed(ex.piece_nodes(piece))
        ex.explore(stack, leaves, count=leaves.add if sink is None else None)
    leaves.flush()
    return StreamSummary(leaves.count, dom, arith, ex.walk.name,
                         activation_info(arith, ex.walk.fallbacks, leaves.moved,
                                         leaves.dropped))


def activation_info(arith: Arithmetic, fallbacks: int, moved: int, dropped: int) -> dict:
    """The ``info`` of streamed activation regions."""
    info: dict = {"streamed": True}
    if not arith.exact:
        info["exact_fallbacks"] = fallbacks
    if moved or dropped:
        info.update(points_replaced=moved, regions_dropped=dropped)
    return info


def stream_linear_regions(net: Network, domain: Domain | str | None = None,
                          engine: str = "auto", exact: bool | Arithmetic | None = None,
                          connectivity: str = "facet",
                          progress: Callable[[StreamProgress], None] | None = None
                          ) -> StreamSummary:
    """Count the linear regions of ``net`` on ``domain`` (facet connectivity) depth first,
    keeping one union-find entry per activation region and no region.

    Each activation region is glued to its facet neighbours with the same affine map
    (:meth:`Explorer.same_map_neighbours`); the count equals
    ``linear_regions(net, domain, method="enumerate").count``. Facets and maps are decided
    exactly (in float mode on the exact rationals of the float weights and domain).
    ``progress`` gets a :class:`StreamProgress` every :data:`CHUNK` activation regions.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A `Domain`, a domain string such as ``"box:-1,1"``, or ``None`` (``R^n``).
    engine : str, default "auto"
        The walk's engine: ``"auto"`` (the vertex engine up to input dimension 6, else LP)
        or a name of `tropnet.engines.enumerate.ENGINES`; ``"planar"`` walks with the
        vertex engine.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the result; ``None`` is exact iff all weights and domain bounds
        are rational.
    connectivity : str, default "facet"
        Only ``"facet"`` is streamed (``"closure"`` raises :class:`~tropnet.TropnetError`).
    progress : callable or None, default None
        Called with a :class:`StreamProgress`.

    Returns
    -------
    StreamSummary
        The count (``kind="linear"``); ``info["activation_regions"]`` is the number of
        activation regions glued.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> stream_linear_regions(net).count        # |x|
    2
    >>> net = Network.from_lists(1, [([[1], [1]], [0, 0], "relu"), ([[1, -1]], [0], "identity")])
    >>> stream_linear_regions(net).count        # relu(x) - relu(x) = 0: one region
    1
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    ex = Explorer(net, dom, arith, engine, "linear", connectivity)
    union = LinearUnion()
    stack = [ex.root()]
    start = time.perf_counter()

    def leaf(item: Any) -> None:
        union.add(pattern_key(item.pats), ex.same_map_neighbours(item))
        if union.leaves % CHUNK == 0:
            note(activation_regions_at_least=union.leaves)
            check_memory("gluing linear regions", "count on a smaller box",
                         partial={"activation_regions_at_least": union.leaves})
            if progress is not None:
                progress(StreamProgress(union.leaves, ex.depth, ex.layers, len(stack),
                                        time.perf_counter() - start))

    ex.explore(stack, leaf)
    return StreamSummary(union.count(), dom, arith, ex.walk.name, linear_info(arith, union),
                         "linear")


def linear_info(arith: Arithmetic, union: LinearUnion) -> dict:
    """The ``info`` of streamed linear regions."""
    info: dict = {"streamed": True, "activation_regions": union.leaves,
                  "connectivity": "facet"}
    if not arith.exact:
        info["decided"] = "exact"
    return info


def region_line(region: Region) -> str:
    """One line of a region file (see the module docstring).

    Parameters
    ----------
    region : Region
        The region, written with its cells.

    Returns
    -------
    str
        A JSON object and a newline.
    """
    return json.dumps(region.to_dict(with_cells=True), separators=(",", ":")) + "\n"


def read_regions(path: str | os.PathLike) -> list[Region]:
    """The regions of a region file written by ``tropnet regions --output FILE.jsonl``
    (numbers exact where the file has ``"p/q"`` strings or integers, floats otherwise).

    Parameters
    ----------
    path : str or os.PathLike
        The region file (JSON lines, see the module docstring).

    Returns
    -------
    list of Region
        The regions, in the file's order.

    Raises
    ------
    TropnetError
        When the file cannot be read or a line is not a region (mostly
        :class:`~tropnet.errors.InputFileError`).
    """
    p = check_input_file(path)
    out = []
    with open(p, encoding="utf-8") as fh:
        for k, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(_region(json.loads(line), f"{p}, line {k}"))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputFileError(f"{p}, line {k}: not a region ({exc})") from None
    return out


def _region(data: dict, where: str) -> Region:
    def num(v: object) -> object:
        value, rational = parse_number(v, where)
        return value if rational else float(v)  # type: ignore[arg-type]

    def arr(rows: object) -> np.ndarray:
        return np.array([[num(v) for v in row] for row in rows], dtype=object) \
            if rows and isinstance(rows[0], list) else np.array([num(v) for v in rows],
                                                                 dtype=object)

    point = arr(data["interior_point"])
    n = len(point)
    cells = []
    for c in data["cells"]:
        A = arr(c["A"]).reshape(-1, n)
        b = arr(c["b"])
        exact = all(not isinstance(v, float) for v in (*A.reshape(-1), *b, *point))
        arith = resolve(exact)
        cells.append(Polyhedron.from_inequalities(A, b, arith, n))
    if not cells:
        raise TropnetError(f"{where}: a region without cells")
    weight = arr(data["affine_map"]["weight"]).reshape(-1, n)
    bias = arr(data["affine_map"]["bias"])
    pattern = tuple(tuple(int(v) for v in layer) for layer in data["pattern"]) \
        if "pattern" in data else None
    return Region(tuple(cells), weight, bias, point, pattern)

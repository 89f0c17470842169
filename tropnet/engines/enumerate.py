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

Both are exact in exact mode (integer generators / cdd's exact simplex).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arithmetic import Arithmetic, ScaledMatrix, resolve
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..limits import check_memory
from ..network import Layer, Network
from ..polyhedra import Polyhedron, linprog
from .cones import Cone, initial_cone, integer_row, primitive, split_cone
from .result import Region, RegionSet

__all__ = ["ENGINES", "activation_regions", "choose_engine"]

ENGINES = ("vertex", "lp")

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
    engine : ``"vertex"``, ``"lp"`` or ``"auto"`` (vertex engine up to input
        dimension 6, LP engine above).
    exact : arithmetic (default: exact iff all weights and domain bounds are rational).
    progress : called with the number of regions found after each layer.

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
    number of splits is about (regions x width) per layer.
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    eng = _engine(choose_engine(engine, dom), arith)
    state, rows = eng.start(dom)
    n = net.input_dim
    # the affine map x -> layer input, homogeneous: [[1, 0], [c, J]] (exact: integers / den)
    start = arith.eye(n + 1)
    items: list[tuple[Any, tuple, ScaledMatrix, tuple]] = [
        (state, tuple(rows), arith.scaled(start), ())]
    for layer in net.layers:
        W, b = layer.params(arith)
        lift = arith.scaled(_homogeneous(W, b, arith))
        pattern_cache: dict[tuple, ScaledMatrix] = {}
        nxt = []
        for k, (st, rws, M, pats) in enumerate(items):
            if k % 256 == 0:
                check_memory("enumerating activation regions",
                             "count on a smaller box, or use the MILP bound "
                             "(tropnet mipbound) or the sampling estimate (tropnet sample)")
            # row 0 is (1, 0); row i+1 is (beta_i, w_i) up to the factor 1/den
            z = _cancel(lift, M, arith)
            for st2, rws2, pat in _split_layer(eng, layer, st, rws, z.num[1:], arith):
                if pat not in pattern_cache:
                    D = layer.pattern_matrix(pat, arith)
                    pattern_cache[pat] = arith.scaled(_homogeneous(D, arith.zeros(len(D)),
                                                                   arith))
                nxt.append((st2, rws2, pattern_cache[pat] @ z, (*pats, pat)))
        items = nxt
        if progress is not None:
            progress(len(items))
    regions = []
    for st, rws, M, pats in items:
        vals = M.values()
        poly = Polyhedron.from_inequalities([r[0] for r in rws], [r[1] for r in rws], arith, n)
        regions.append(Region((poly,), vals[1:, 1:], vals[1:, 0], eng.point(st), pats))
    return RegionSet("activation", tuple(regions), dom, "enumerate", arith, engine=eng.name)


def _cancel(lift: ScaledMatrix, M: ScaledMatrix, arith: Arithmetic) -> ScaledMatrix:
    """``lift @ M``; in float mode an entry within the tolerance of zero relative to the
    size of its terms (``|lift| @ |M|``) is zero: a cancellation such as ``10/9 - 10/9``
    leaves round-off, not a coefficient (a hyperplane parallel to a ray of the region
    would otherwise seem to cross it far away and create spurious regions)."""
    z = lift @ M
    return ScaledMatrix(arith.cancel(z.num, arith.product_scale(lift.num, M.num)), z.den)


def _minus(row: np.ndarray, rows: np.ndarray, arith: Arithmetic) -> np.ndarray:
    """``row - rows``; in float mode a difference within the tolerance of zero relative to
    its terms is zero (two maxout pieces equal up to round-off, e.g. in their bias, would
    otherwise cut a sliver off a region along a face)."""
    return arith.cancel(row - rows, np.abs(row) + np.abs(rows))


def _homogeneous(W: np.ndarray, b: np.ndarray, arith: Arithmetic) -> np.ndarray:
    """``[[1, 0], [b, W]]``: the affine map ``h -> W h + b`` on homogeneous coordinates."""
    out = arith.zeros((W.shape[0] + 1, W.shape[1] + 1))
    out[0, 0] = arith.one
    out[1:, 0] = b
    out[1:, 1:] = W
    return out


def choose_engine(engine: str, domain: Domain) -> str:
    """Resolve ``"auto"``: the vertex engine up to input dimension 6, else LP."""
    if engine == "auto":
        return "vertex" if (domain.n or 0) <= 6 else "lp"
    if engine not in ENGINES:
        raise TropnetError(f"unknown engine {engine!r} (expected one of "
                           f"{', '.join(ENGINES)} or auto)")
    return engine


# -- splitting a region by one layer ---------------------------------------------------
def _split_layer(eng: Any, layer: Layer, state: Any, rows: tuple, z: np.ndarray,
                 arith: Arithmetic) -> list[tuple[Any, tuple, tuple]]:
    """The parts of a region on which the layer's pattern is constant, with the patterns.

    Row ``i`` of ``z`` is ``(beta_i, w_i)``, a positive multiple of unit ``i``'s
    pre-activation ``beta_i + w_i . x`` (signs and half-spaces are all that matter).
    """
    act = layer.act
    if not act.patterned:
        return [(state, rows, ())]
    if act.hyperplane:  # the pattern is the side of z = 0, ties on the first piece's side
        return [(st, rw, tuple(1 if s > 0 else 0 for s in signs))
                for st, rw, signs in _cut(eng, state, rows, z, arith, ties=[-1] * len(z))]
    k, pieces = layer.rank, act.pieces()
    parts: list[tuple[Any, tuple, tuple]] = [(state, rows, ())]
    for u in range(layer.out_dim):
        # piece r of unit u is slope_r * z[u k + offset_r]
        terms = [z[u * k + o] if s == 1 else arith.convert(s) * z[u * k + o] for o, s in pieces]
        nxt = []
        for st, rw, pat in parts:
            for r in range(len(pieces)):
                qs = [q for q in range(len(pieces)) if q != r]
                diffs = _minus(terms[r], np.array([terms[q] for q in qs]), arith)
                # piece r owns ties with later pieces, loses them to earlier ones
                ties = [1 if r < q else -1 for q in qs]
                for st2, rw2, _signs in _cut(eng, st, rw, diffs, arith, ties, keep=1):
                    nxt.append((st2, rw2, (*pat, r)))
        parts = nxt
    return parts


def _cut(eng: Any, state: Any, rows: tuple, hs: np.ndarray, arith: Arithmetic,
         ties: Sequence[int], keep: int | None = None) -> list[tuple[Any, tuple, list[int]]]:
    """Split a region by the hyperplanes ``beta + w . x = 0``, rows ``(beta, w)`` of ``hs``.

    Returns the full-dimensional parts with the side (+1/-1) of every
    hyperplane; ``keep=1`` keeps only the parts on the positive side of all.
    A hyperplane identically zero on a part puts it on the side ``ties[i]``.
    """
    out = []
    stack = [(state, rows, [None] * len(hs))]
    while stack:
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
        beta, w = hs[crossing][0], hs[crossing][1:]
        plus, minus = eng.split(st, beta, w)
        for side, part in ((1, plus), (-1, minus)):
            if keep is not None and side != keep:
                continue
            row = ([-v for v in w], beta) if side == 1 else (list(w), -beta)
            s2 = list(signs)
            s2[crossing] = side
            stack.append((part, (*rw, (np.array(row[0], dtype=w.dtype), row[1])), s2))
    return out


# -- engines ---------------------------------------------------------------------------
def _engine(name: str, arith: Arithmetic) -> Any:
    return _VertexEngine(arith) if name == "vertex" else _LPEngine(arith)


class _VertexEngine:
    """Regions as cones of generators (:mod:`tropnet.engines.cones`)."""

    name = "vertex"

    def __init__(self, arith: Arithmetic) -> None:
        self.arith = arith

    def start(self, domain: Domain) -> tuple[Cone, list]:
        return initial_cone(domain, self.arith)

    def _h(self, beta: Any, w: np.ndarray) -> np.ndarray:
        if self.arith.exact:
            return integer_row([beta, *w])  # beta, w are integers here: just made primitive
        return np.concatenate([[float(beta)], np.asarray(w, dtype=float)])

    def classify(self, cone: Cone, hs: np.ndarray) -> list[int]:
        H = (primitive(hs) if self.arith.exact else np.asarray(hs, dtype=float)).T  # (n+1, k)
        vals = cone.gens.dot(H)
        sg = self.arith.sign(vals, self.arith.product_scale(cone.gens, H))
        pos, neg = (sg > 0).any(axis=0), (sg < 0).any(axis=0)
        if len(cone.lines):
            lv = cone.lines.dot(H)
            lcross = (self.arith.sign(lv, self.arith.product_scale(cone.lines, H)) != 0
                      ).any(axis=0)
        else:
            lcross = np.zeros(H.shape[1], dtype=bool)
        out = []
        for p, q, lc in zip(pos, neg, lcross, strict=True):
            if lc or (p and q):
                out.append(_CROSS)
            elif p:
                out.append(_PLUS)
            elif q:
                out.append(_MINUS)
            else:
                out.append(_ZERO)
        return out

    def split(self, cone: Cone, beta: Any, w: np.ndarray) -> tuple[Cone, Cone]:
        plus, minus = split_cone(cone, self._h(beta, w), self.arith)
        assert plus is not None and minus is not None  # classify said it crosses
        return plus, minus

    def point(self, cone: Cone) -> np.ndarray:
        return cone.interior_point(self.arith)


class _LPEngine:
    """Regions as inequality systems ``A x <= b`` with an interior point; LPs decide."""

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
                s = self.arith.sign(np.array([beta], dtype=w.dtype), 1.0)[0]
                out.append(_ZERO if s == 0 else int(s))
                continue
            z0 = beta + w.dot(x0)
            s0 = self.arith.sign(np.array([z0], dtype=w.dtype), self._scale(beta, w, x0))[0]
            if s0 >= 0 and self._reaches(poly, beta, w, -1):
                out.append(_CROSS if s0 > 0 or self._reaches(poly, beta, w, 1) else _MINUS)
            elif s0 <= 0 and self._reaches(poly, beta, w, 1):
                out.append(_CROSS if s0 < 0 else _PLUS)
            else:
                out.append(_PLUS if s0 > 0 else _MINUS if s0 < 0 else _ZERO)
        return out

    def _scale(self, beta: Any, w: np.ndarray, x0: np.ndarray) -> float:
        return abs(float(beta)) + float(self.arith.product_scale(w, x0))

    def _reaches(self, poly: Polyhedron, beta: Any, w: np.ndarray, side: int) -> bool:
        """Does ``side * (beta + w . x)`` take a positive value on the region?"""
        res = linprog(list(w), poly.A, poly.b, self.arith, maximize=side > 0)
        if res.status == "unbounded":
            return True
        if not res.optimal:
            return False
        val = (beta + res.value) * side
        scale = abs(float(beta)) + abs(float(res.value)) + 1.0
        return bool(self.arith.sign(np.array([val], dtype=w.dtype), scale)[0] > 0)

    def split(self, state: tuple, beta: Any, w: np.ndarray) -> tuple[tuple, tuple]:
        poly, x0 = state
        z0 = beta + w.dot(x0)
        parts = []
        for side in (1, -1):
            a = np.array([-side * v for v in w], dtype=w.dtype)
            sub = poly.add(a.reshape(1, -1), [side * beta])
            if side * z0 > 0:
                parts.append((sub, x0))
                continue
            found = sub.interior_point()
            if found is None:  # classify saw a crossing; round-off in float mode only
                raise TropnetError("inconsistent LP answers while splitting a region; "
                                   "rerun with --exact")
            parts.append((sub, found[0]))
        return parts[0], parts[1]

    def point(self, state: tuple) -> np.ndarray:
        return state[1]

"""The compiled maps ``F ⊘ G`` of a network from its activation regions: an output-sensitive
compile that forms no tropical product.

On an activation region ``R`` (on ``R^n``) every pre-activation ``z_i`` has a fixed sign, or
vanishes identically. By induction over the layers every ``F_j`` and ``G_j`` of the compile rule
(:mod:`tropnet.tropical.compile`) is then affine on ``R``: a layer gives
``N_i = sum_j |W_ij| G_j + W-_ij y_j`` and ``H_i = N_i + z_i`` (``y_j = F_j - G_j`` is unit
``j``'s output), and an activation with pieces ``(o, s)`` gives
``G'_u = sum_o total_o N_{u,o}`` and ``F'_u = G'_u + max_(o,s) s z_{u,o}``: every term of its
rule is ``G'_u + s z_{u,o}``, and on ``R`` the maximum is the piece the pattern selects.

So on ``R`` each output's ``F`` and ``G`` equal one monomial each. That monomial is irredundant
(``R`` has interior, where it attains the maximum), and every irredundant monomial's cell, being
full-dimensional, meets the interior of some activation region (their closures cover ``R^n``).
Hence the irredundant monomials of ``F`` are exactly the distinct maps of ``F`` over the
activation regions, and likewise for ``G``: the pruned compile, computed in time proportional
to the number of regions instead of the products' candidate sums.

On a domain ``D`` (a box or polytope) the same argument over the activation regions of ``D``
gives the monomials *irredundant on D*: those whose cells meet the interior of ``D``. They
define the same function on ``D`` (every point of ``D`` lies in the closure of such a cell),
so every question asked on ``D`` (its linear regions, its common refinement) has the same
answer with fewer monomials.

Each region's maps are computed exactly, in integers over one denominator per layer, along the
tree of pattern prefixes (regions sharing their first ``l`` layers share that work).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, FLOAT, Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..errors import NearDegeneracyWarning, TropnetError
from ..limits import check_size, forced
from ..network import Layer, Network, as_network
from ..span import input_span
from ..tropical import TropicalPolynomial, TropicalRational
from ..tropical import compile_network as tropical_compile
from ..tropical.compile import lift_from_span
from .enumerate import activation_regions

__all__ = ["COMPILE_METHODS", "compile_by_regions", "compile_network", "monomials_of_patterns"]


#: the ways to compile a network (``compile_network(method=...)``), the default first
COMPILE_METHODS = ("regions", "products")


def compile_network(net: Network, prune: bool = True, exact: bool | Arithmetic | None = None,
                    method: str = "auto",
                    progress: Callable[[int, int | None, str], None] | None = None,
                    force: bool = False, domain: Domain | str | None = None
                    ) -> list[TropicalRational]:
    """The tropical rational maps ``F_k ⊘ G_k``, one per output, equal to the network (Zhang,
    Naitzat & Lim, Thm 5.2; monomials exact, in float mode rounded at the end).

    ``method``: ``"products"`` applies the rule layer by layer and prunes every product
    (:func:`tropnet.tropical.compile_network`); ``"regions"`` finds the same irredundant
    monomials as the maps of ``F_k`` and ``G_k`` on the activation regions, forming no
    product (:mod:`tropnet.engines.monomials`, output-sensitive); ``"auto"``: regions when
    pruning, products otherwise (the unpruned maps are the rule's raw output).
    ``progress(done, total, what)`` follows the units compiled (products) or the activation
    regions found after each layer (regions; ``total`` is ``None``).
    ``domain`` (regions only; ``None``: ``R^n``): keep the monomials irredundant on it, the
    maps equal to the network on the domain (module docstring).

    Parameters
    ----------
    net : Network
        The network.
    prune : bool, default True
        Keep only the irredundant monomials.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the network is rational.
    method : {"auto", "products", "regions"}, default "auto"
        How the maps are computed (above).
    progress : callable or None, default None
        ``progress(done, total, what)``: the units compiled of all units (products), or the
        activation regions found after each layer with ``total`` ``None`` (regions).
    force : bool, default False
        Lift the size and memory budgets.
    domain : Domain, str or None, default None
        Keep the monomials irredundant on this domain (``"regions"`` only).

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> [str(r) for r in compile_network(net)]     # |x| = relu(x) + relu(-x)
    ['max(0, 2*x1) - x1']
    """
    net = as_network(net, "compile_network")
    if method == "auto":
        method = "regions" if prune else "products"
    if method not in COMPILE_METHODS:
        raise TropnetError(f"unknown compile method {method!r} (expected auto or one of "
                           f"{', '.join(COMPILE_METHODS)})")
    dom = parse_domain(domain, net.input_dim)
    if method == "products" or not prune:
        if dom.kind != "rn":
            raise TropnetError("a compile on a domain reads the domain's activation regions: "
                               "it needs the regions method (--method regions), with pruning")
        return tropical_compile(net, prune, exact, progress, force)
    arith = resolve(exact, net)
    net.check_magnitude(arith)
    with forced(force):
        span = input_span(net, EXACT) if dom.kind == "rn" else None
        found = None if progress is None else \
            (lambda count: progress(count, None, "activation regions"))
        maps = compile_by_regions(net if span is None else span.net_on_span, arith,
                                  progress=found, domain=dom if span is None else None)
        if span is not None:
            maps = lift_from_span(maps, net, span)
    return [m.to(arith) for m in maps]


def compile_by_regions(net: Network, arith: Arithmetic, engine: str = "auto",
                       progress: Callable[[int], None] | None = None,
                       domain: Domain | None = None) -> list[TropicalRational]:
    """The pruned tropical rational maps ``F_k ⊘ G_k`` of ``net`` (the irredundant monomials of
    the compile rule's ``F_k`` and ``G_k``; on ``domain``, those irredundant on it), one per
    output, from its activation regions on the domain (``None``: ``R^n``) enumerated in
    ``arith``; the maps are exact.

    Parameters
    ----------
    net : Network
        The network.
    arith : Arithmetic
        The arithmetic of the region enumeration.
    engine : str, default "auto"
        The engine of the enumeration: ``"auto"`` or a name of
        `tropnet.engines.enumerate.ENGINES`.
    progress : callable or None, default None
        Called after each layer with the number of regions so far.
    domain : Domain or None, default None
        The domain; ``None`` is ``R^n``.
    """
    dom = parse_domain(domain, net.input_dim)
    if arith.exact and _floats_exactly(net, dom):
        # the certified float walk finds exactly the patterns of exact mode, faster; its
        # warnings speak of float weights, which an exact run did not ask about
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NearDegeneracyWarning)
            acts = activation_regions(net, dom, engine, FLOAT, progress)
    else:
        acts = activation_regions(net, dom, engine, arith, progress)
    check_size(len(acts), "reading the monomials off the activation regions",
               "count regions with --method enumerate (no compile)")
    return monomials_of_patterns(net, [r.pattern for r in acts])


def _floats_exactly(net: Network, dom: Domain) -> bool:
    """Every weight, bias and slope of ``net`` and every number of the domain is a float
    exactly, so float mode (certified: exact for the numbers as stored) decides every
    pattern of exact mode."""
    def exact(values: Any) -> bool:
        return all(Fraction(float(v)) == v for v in values)

    bounds = [*(dom.lo or ()), *(dom.hi or ()), *(v for row in dom.A or () for v in row),
              *(dom.b or ())]
    return exact(bounds) and all(exact(layer.weight.reshape(-1)) and exact(layer.bias) and
                                 exact(s for _, s in layer.act.pieces())
                                 for layer in net.layers)


def monomials_of_patterns(net: Network, patterns: Sequence[tuple]) -> list[TropicalRational]:
    """The maps ``F_k ⊘ G_k`` whose monomials are the maps of ``F_k`` and ``G_k`` on the
    activation regions with the given patterns (all regions on ``R^n``: the pruned compile).

    Parameters
    ----------
    net : Network
        The network.
    patterns : sequence of tuple
        Whole-network activation patterns, one tuple per layer each.
    """
    steps = [_Step.of(layer) for layer in net.layers]
    n = net.input_dim
    Y = np.zeros((n, n + 1), dtype=object)
    Y[:] = 0
    for j in range(n):
        Y[j, j] = 1
    G = np.zeros((n, n + 1), dtype=object)
    G[:] = 0
    denominators = [1]
    for s in steps:
        denominators.append(denominators[-1] * s.d * s.q)
    nodes: dict[tuple, tuple[np.ndarray, np.ndarray]] = {(): (Y, G)}
    parents: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    found: list[tuple[set, set]] = [(set(), set()) for _ in range(net.output_dim)]
    for pattern in patterns:
        for depth in range(1, len(steps) + 1):
            key = tuple(pattern[:depth])
            if key in nodes:
                continue
            parent = key[:-1]
            if parent not in parents:  # pre-activations and G' depend on the parent only
                py, pg = nodes[parent]
                parents[parent] = steps[depth - 1].pre(py, pg, denominators[depth - 1])
            Z, Gn = parents[parent]
            nodes[key] = (steps[depth - 1].out(key[-1]).dot(Z), Gn)
        Yl, Gl = nodes[tuple(pattern)]
        for k, (fs, gs) in enumerate(found):
            fs.add(tuple(Yl[k] + Gl[k]))
            gs.add(tuple(Gl[k]))
    den = denominators[-1]
    return [TropicalRational(_polynomial(fs, n, den), _polynomial(gs, n, den))
            for fs, gs in found]


def _polynomial(rows: set, n: int, den: int) -> TropicalPolynomial:
    ordered = sorted(rows)
    E = [[Fraction(v, den) for v in row[:n]] for row in ordered]
    c = [Fraction(row[n], den) for row in ordered]
    return TropicalPolynomial.from_monomials(E, c, EXACT)


class _Step:
    """One layer in integers: ``W = Wi / d``, ``b = bi / d``; piece slopes and totals over
    ``q``. Maps are ``(units, n + 1)`` integer matrices (linear part, then constant) over the
    layer's denominator."""

    def __init__(self, layer: Layer, d: int, q: int, Wi: np.ndarray, bi: np.ndarray,
                 T: np.ndarray, slopes: list[tuple[int, int]]) -> None:
        self.layer, self.d, self.q = layer, d, q
        self.Wi, self.bi, self.T, self.slopes = Wi, bi, T, slopes
        self.Wabs = np.abs(Wi)
        self.Wneg = np.where(Wi < 0, -Wi, 0)
        self._out: dict[tuple, np.ndarray] = {}

    @classmethod
    def of(cls, layer: Layer) -> _Step:
        W, b = layer.params(EXACT)
        both = EXACT.scaled(np.column_stack([W, b]))  # [W | b] over one denominator d
        d, Wi, bi = both.den, both.num[:, :-1], both.num[:, -1]
        act = layer.act
        pieces, k = act.pieces(), act.rank
        total: dict[int, Fraction] = {}
        for o, s in pieces:
            total[o] = total.get(o, Fraction(0)) + s
        q = math.lcm(1, *(Fraction(s).denominator for _, s in pieces),
                     *(t.denominator for t in total.values()))
        units = layer.units
        T = np.zeros((units // k, units), dtype=object)
        T[:] = 0
        for u in range(units // k):
            for o, t in total.items():
                T[u, u * k + o] = int(t * q)
        slopes = [(o, int(Fraction(s) * q)) for o, s in pieces]
        return cls(layer, d, q, Wi, bi, T, slopes)

    def pre(self, Y: np.ndarray, G: np.ndarray, den: int) -> tuple[np.ndarray, np.ndarray]:
        """From a node's outputs ``Y`` and ``G`` (over ``den``): the pre-activations ``Z`` and
        the next ``G' = T N`` (over ``d den`` and ``d q den``)."""
        Z = self.Wi.dot(Y)
        Z[:, -1] += self.bi * den
        N = self.Wabs.dot(G) + self.Wneg.dot(Y)
        return Z, self.T.dot(N)

    def out(self, pattern: tuple) -> np.ndarray:
        """``q D`` for the pattern (``act(z) = D z`` on its region), as integers."""
        D = self._out.get(pattern)
        if D is None:
            k = self.layer.rank
            units = self.layer.units
            D = np.zeros((units // k, units), dtype=object)
            D[:] = 0
            for u in range(units // k):
                r = pattern[u] if self.layer.act.patterned else 0
                o, s = self.slopes[r]
                D[u, u * k + o] = s
            self._out[pattern] = D
        return D

"""Exact confirmation of the activation patterns that a float MILP proposes.

The MIP solvers compute in floating point and only *propose* patterns. A pattern counts
when its region (the inputs of the domain that have it) has a non-empty interior. That is
decided here, exactly, on the exact rationals of the numbers the computation reads. In
float mode these are the binary rationals ``Fraction(x)`` of the float weights and domain
bounds (:func:`tropnet.engines.patterns.read_in`).

* **A point.** A point ``x`` (float or rational) is *robustly* in a pattern's region when
  it lies strictly inside the domain and, layer by layer, every unit has the proposed
  piece at ``x`` (evaluated with Fractions), either strictly or at a tie that holds
  identically near ``x``. For example, a unit whose pre-activation is constant on the
  region of the earlier layers, or maxout pieces that differ by a constant, tie
  identically. Then a neighbourhood of ``x`` has the pattern: the region has an interior
  and ``x`` lies in it (:meth:`Confirmer.interior`).
* **A decision.** When the point that a float LP found is not certified (the float LP
  may also find none), the pattern's closed polyhedron
  (:func:`~tropnet.engines.patterns.pattern_cell`) is tested for an interior point with
  cdd's exact LP. The point found must then be robustly in the region
  (:meth:`Confirmer.decide`). At an interior point of the polyhedron every row that
  depends on ``x`` is strict. A unit whose row vanishes identically has the same piece on
  the whole polyhedron, so a mismatch there means the region is empty.

In exact mode the pattern geometry of :mod:`tropnet.engines.patterns` is exact already,
and :class:`Confirmer` uses it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, Arithmetic
from ..domain import Domain
from ..engines.patterns import (
    PatternNode,
    extend_node,
    node_region,
    pattern_cell,
    read_in,
    root_node,
    walk_pattern,
)
from ..engines.result import Region
from ..network import Layer, Network

__all__ = ["Confirmer"]


class Confirmer:
    """Exact decisions about the patterns of ``net`` on ``dom`` for a computation in
    ``arith``. ``decisions`` counts the exact LPs that were needed because a float
    answer could not be certified.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The domain.
    arith : Arithmetic
        The arithmetic of the computation.
    """

    def __init__(self, net: Network, dom: Domain, arith: Arithmetic) -> None:
        self.net, self.arith = net, arith
        self.dom = read_in(dom, arith)
        self.poly = self.dom.polyhedron(EXACT)
        self.decisions = 0
        self._root: PatternNode | None = None
        self._subs: dict[tuple[int, int], Layer] = {}

    # -- points ---------------------------------------------------------------------------
    def interior(self, point: Any, prefix: Sequence[Sequence[int]]) -> bool:
        """Is ``point`` robustly in the region of ``prefix`` (the patterns of the first
        layers; the last may cover only its first units)? Checked exactly.

        Parameters
        ----------
        point : array_like
            The point (read exactly).
        prefix : sequence of sequence of int
            The patterns of the first layers.
        """
        return self.robust_pattern(point, prefix) == tuple(tuple(p) for p in prefix)

    def robust_pattern(self, point: Any, shape: Sequence[Sequence[int]] | None = None
                       ) -> tuple | None:
        """The pattern at ``point`` (of the layers and units of ``shape``; default: the
        whole network) when ``point`` is robustly in its region (see the module), else
        ``None``. Exact arithmetic on ``Fraction(point)``.

        Parameters
        ----------
        point : array_like
            The point (read exactly).
        shape : sequence of sequence of int or None, default None
            Layers and units to read (the lengths of its entries); ``None``: the whole network.
        """
        x = np.array([Fraction(v) for v in np.asarray(point, dtype=object).reshape(-1)],
                     dtype=object)
        if len(self.poly) and not all(s > 0 for s in self.poly.slacks(x)):
            return None
        layers = self.net.layers
        sizes = [len(p) for p in shape] if shape is not None else [
            layer.out_dim if layer.act.patterned else 0 for layer in layers]
        h, out = x, []
        for idx, size in enumerate(sizes):
            layer = layers[idx]
            W, b = layer.params(EXACT)
            rows = size * layer.rank if layer.act.patterned else layer.units
            pre = W[:rows].dot(h) + b[:rows]
            pat = layer.pattern(pre)
            ties = _ties(layer, pre, pat)
            if ties and not self._identical(out, idx, rows, ties):
                return None
            out.append(tuple(pat))
            if idx + 1 < len(sizes):
                h = layer.act.activate(pre, EXACT)
        return tuple(out)

    def _identical(self, pats: list, idx: int, rows: int, ties: list) -> bool:
        """Do the tied rows ``(i, j, s_i, s_j)`` of layer ``idx`` (``s_i z_i = s_j z_j`` at
        the point) have equal gradients on the region of the earlier layers ``pats``?"""
        Z = self.pre_activation(pats, rows)[0]
        return all(np.all(si * Z[i] == sj * Z[j]) for i, j, si, sj in ties)

    def pre_activation(self, pats: Sequence[Sequence[int]], rows: int
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The exact pre-activation map ``x -> Z x + zc`` of the first ``rows`` rows of layer
        ``len(pats)`` on the region of the patterns ``pats`` of the earlier layers.

        Parameters
        ----------
        pats : sequence of sequence of int
            The patterns of the earlier layers.
        rows : int
            The number of rows of layer ``len(pats)``.
        """
        idx, n = len(pats), self.net.input_dim
        if idx:
            _, J, c = pattern_cell(self._prefix_net(idx, None), [tuple(p) for p in pats],
                                   self.dom, EXACT)
        else:
            J, c = EXACT.eye(n), EXACT.zeros(n)
        W, b = self.net.layers[idx].params(EXACT)
        return W[:rows].dot(J), W[:rows].dot(c) + b[:rows]

    # -- decisions ------------------------------------------------------------------------
    def decide(self, prefix: Sequence[Sequence[int]]) -> np.ndarray | None:
        """A point robustly in the region of ``prefix``, or ``None`` when the region has an
        empty interior (an exact LP). The point is the exact LP's rounded to the
        computation's arithmetic when that is still robustly in the region, else exact
        (a sliver thinner than the float grid).

        Parameters
        ----------
        prefix : sequence of sequence of int
            The patterns of the first layers (the last may be partial).
        """
        self.decisions += 1
        sizes = [len(p) for p in prefix]
        last = len(prefix) - 1
        layer = self.net.layers[last]
        rows = sizes[last] * layer.rank if layer.act.patterned else layer.units
        net = self._prefix_net(last, rows)
        poly = pattern_cell(net, [tuple(p) for p in prefix], self.dom, EXACT)[0]
        found = poly.interior_point()
        if found is None or not self.interior(found[0], prefix):
            return None
        rounded = self.arith.array(found[0])
        return rounded if self.interior(rounded, prefix) else found[0]

    def _prefix_net(self, count: int, rows: int | None) -> Network:
        """The network of the first ``count`` layers, followed by the first ``rows`` rows of
        the next layer when ``rows`` is given."""
        layers = list(self.net.layers[:count])
        if rows is not None:
            key = (count, rows)
            if key not in self._subs:
                full = self.net.layers[count]
                self._subs[key] = full if rows == full.units else Layer(
                    full.weight[:rows], full.bias[:rows], full.act)
            layers.append(self._subs[key])
        return Network(self.net.input_dim, tuple(layers))

    # -- the steps of the counts ----------------------------------------------------------
    def child(self, sub: Layer, node: PatternNode, Z: np.ndarray, zc: np.ndarray,
              pattern: tuple) -> PatternNode | None:
        """The node where the units of ``sub`` (a part of the next layer, pre-activation
        ``Z x + zc`` on ``node``) have ``pattern``, or ``None`` when that region has an
        empty interior; decided exactly (see the module).

        Parameters
        ----------
        sub : Layer
            A part of the next layer.
        node : PatternNode
            The parent node.
        Z, zc : ndarray
            The pre-activation of ``sub`` on the node.
        pattern : tuple
            The pattern of ``sub``'s units.
        """
        if self.arith.exact:
            return extend_node(sub, node, Z, zc, pattern, self.arith)
        prefix = (*node.pattern, node.partial + tuple(pattern))
        found = extend_node(sub, node, Z, zc, pattern, self.arith)
        if found is not None and self.interior(found.point, prefix):
            return found
        point = self.decide(prefix)
        if point is None:
            return None
        return extend_node(sub, node, Z, zc, pattern, self.arith, point)

    def seeded(self, sub: Layer, node: PatternNode, Z: np.ndarray, zc: np.ndarray,
               pattern: tuple, point: Any) -> PatternNode | None:
        """The child of ``pattern`` with the known interior point ``point`` if ``point``
        is certified to lie robustly in it, else ``None`` (nothing is decided: the
        pattern is left to the MILP).

        Parameters
        ----------
        sub : Layer
            A part of the next layer.
        node : PatternNode
            The parent node.
        Z, zc : ndarray
            The pre-activation of ``sub`` on the node.
        pattern : tuple
            The pattern of ``sub``'s units.
        point : array_like
            The known interior point.
        """
        if not self.arith.exact:
            prefix = (*node.pattern, node.partial + tuple(pattern))
            if not self.interior(point, prefix):
                return None
        return extend_node(sub, node, Z, zc, pattern, self.arith, point)

    def region(self, node: PatternNode) -> Region:
        """The :class:`Region` of a whole-network node. In float mode its interior point
        is the certified one (float, or exact Fractions after an exact decision) and its
        polyhedron and map are the float ones.

        Parameters
        ----------
        node : PatternNode
            A node of every layer.
        """
        if self.arith.exact:
            return node_region(self.net, node, self.arith)
        return Region((node.poly,), node.J, node.c, node.point, tuple(node.pattern))

    def point_region(self, point: Any, pattern: Sequence[Sequence[int]]) -> Region:
        """The :class:`Region` of a whole-network ``pattern`` with a point already known to
        lie robustly in it.

        Parameters
        ----------
        point : array_like
            A point robustly in the region.
        pattern : sequence of sequence of int
            The whole-network pattern.
        """
        pattern = tuple(tuple(p) for p in pattern)
        poly, J, c = pattern_cell(self.net, pattern, self.dom, self.arith)
        return Region((poly,), J, c, point, pattern)

    def pattern_region(self, pattern: Sequence[Sequence[int]]) -> Region | None:
        """The :class:`Region` of a whole-network pattern, or ``None`` when its region has
        an empty interior (decided exactly).

        Parameters
        ----------
        pattern : sequence of sequence of int
            The whole-network pattern.
        """
        if self._root is None:
            self._root = root_node(self.net, self.dom, self.arith)
        pattern = tuple(tuple(p) for p in pattern)
        node = walk_pattern(self.net, self._root, pattern, self.arith)
        if self.arith.exact:
            return None if node is None else node_region(self.net, node, self.arith)
        if node is not None and self.interior(node.point, pattern):
            return self.region(node)
        point = self.decide(pattern)
        return None if point is None else self.point_region(point, pattern)


def _ties(layer: Layer, pre: np.ndarray, pattern: tuple) -> list[tuple[int, int, Any, Any]]:
    """The ties at a point with pre-activation ``pre`` (exact): ``(i, j, s_i, s_j)`` for
    every unit whose chosen piece (row ``i``, slope ``s_i``) equals another of its pieces
    (row ``j``, slope ``s_j``) there."""
    act = layer.act
    if not act.patterned:
        return []
    k, pieces = act.rank, act.pieces()
    out = []
    for u, r in enumerate(pattern):
        o_r, s_r = pieces[r]
        v_r = s_r * pre[u * k + o_r]
        for q, (o_q, s_q) in enumerate(pieces):
            if q != r and s_q * pre[u * k + o_q] == v_r:
                out.append((u * k + o_r, u * k + o_q, s_r, s_q))
    return out

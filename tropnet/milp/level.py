"""The one-layer MILP of the layerwise count: a layer (or part of one) on a node's region.

The layerwise strategy of :mod:`tropnet.milp.count` fixes the binaries layer by layer. At
a node (a full-dimensional region of the first ``l`` layers, a
:class:`~tropnet.engines.patterns.PatternNode`), a :class:`LevelModel` holds the MILP of
layer ``l``'s binaries on the node's polyhedron. It is compiled once per layer: the
polyhedron, the layer's pre-activation map on the node, the big-M constants (tightened on
the node, Appendix H of Serra et al. 2018) and exact fixings of the binaries are cvxpy
parameters, loaded for every node (:meth:`LevelModel.load`). Wide layers are split into
parts of a few binaries (:func:`layer_parts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic
from ..engines.patterns import PatternNode
from ..network import Layer
from .bigm import BigM
from .blocks import LayerModel, RowBlock, layer_model
from .formulation import MARGIN_TARGET, Model
from .tighten import affine_interval, polyhedron_box

__all__ = ["LayerPart", "LevelModel", "layer_parts", "node_fixings"]


@dataclass(frozen=True, eq=False)
class LayerPart:
    """Units ``rows`` (weight rows) of layer ``index`` as a layer of their own (``sub``);
    ``last`` marks the part that completes the layer."""

    index: int
    sub: Layer
    rows: np.ndarray
    last: bool


def layer_parts(layer: Layer, index: int, size: int) -> list[LayerPart]:
    """Split a layer into parts of about ``size`` binaries (whole units)."""
    per = max(1, size // layer.rank)
    units = layer.out_dim
    out = []
    for start in range(0, units, per):
        us = range(start, min(units, start + per))
        rows = np.array([u * layer.rank + r for u in us for r in range(layer.rank)])
        sub = layer if len(rows) == layer.units else Layer(
            layer.weight[rows], layer.bias[rows], layer.act)
        out.append(LayerPart(index, sub, rows, start + per >= units))
    return out


class LevelModel:
    """The MILP of one layer part on a node: ``x`` in the node polyhedron (parameters), the
    layer's pre-activation ``G x + c`` (parameters), its binaries with the global big-M,
    the margin ``f``, node-level fixings ``zlo <= z <= zhi`` and no-good cuts."""

    def __init__(self, part: LayerPart, rows: int, n: int, bigm: BigM,
                 node_bounds: bool = True) -> None:
        layer = part.sub
        self.layer, self.part = layer, part
        self.lo, self.hi = bigm.lo[part.index][part.rows], bigm.hi[part.index][part.rows]
        self.x_lo, self.x_hi, self.node_bounds = bigm.x_lo, bigm.x_hi, node_bounds
        self.Qa = cp.Parameter((rows, n))
        self.Qb = cp.Parameter(rows)
        self.G = cp.Parameter((layer.units, n))
        self.g0 = cp.Parameter(layer.units)
        x = cp.Variable(n, name="x")
        cons: list = [self.Qa @ x <= self.Qb, x >= bigm.x_lo, x <= bigm.x_hi]
        self.lm, lcons = layer_model(part.index, layer, self.G @ x + self.g0, self.lo,
                                     self.hi, bound_params=node_bounds)
        cons += lcons
        self.f_cap = max(1.0, self.lm.cap)
        self.tau = MARGIN_TARGET * self.f_cap
        self.cuts: RowBlock | None = None
        if self.lm.z is not None:
            k = self.lm.n_binaries
            self.zlo, self.zhi = cp.Parameter(k), cp.Parameter(k)
            f = cp.Variable(name="f")
            E, Zs = self.lm.margin if self.lm.margin is not None else (None, None)
            cons += [self.lm.z >= self.zlo, self.lm.z <= self.zhi, f <= self.f_cap]
            if E is not None:
                cons.append(f <= E + self.f_cap * (1 - Zs))
            self.cuts = RowBlock(self.lm.z, 16)
            self.model = Model(cons, cp.Maximize(f), [self.cuts])

    def load(self, node: PatternNode, Z: np.ndarray, zc: np.ndarray, arith: Arithmetic) -> None:
        """Set the parameters for ``node`` (pre-activation ``Z x + zc`` of the part on it)
        and clear the cuts."""
        self.Qa.value = np.array(node.poly.A, dtype=float)
        self.Qb.value = np.array(node.poly.b, dtype=float)
        self.G.value = np.array(Z, dtype=float)
        self.g0.value = np.array(zc, dtype=float)
        lo, hi = node_fixings(self.layer, self.lm, Z, zc)
        if self.node_bounds:
            blo, bhi = self._tighten(self.Qa.value, self.Qb.value, self.G.value,
                                     self.g0.value)
            lo, hi = np.maximum(lo, blo), np.minimum(hi, bhi)
        self.zlo.value, self.zhi.value = lo, hi
        self.cuts.clear()

    def _tighten(self, A: np.ndarray, b: np.ndarray, G: np.ndarray, g0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Node big-M (Appendix H on the node): bounds of the pre-activations over the
        node polyhedron's bounding box (``2n`` LPs), intersected with the global ones; sets
        the big-M parameters and returns the binaries' fixings they imply."""
        layer, lm = self.layer, self.lm
        xlo, xhi = polyhedron_box(A, b, self.x_lo, self.x_hi)
        ilo, ihi = affine_interval(G, g0, xlo, xhi)
        glo, ghi = np.maximum(self.lo, ilo), np.minimum(self.hi, ihi)
        ghi = np.maximum(ghi, glo)
        k = lm.n_binaries
        flo, fhi = np.zeros(k), np.ones(k)
        if layer.act.hyperplane:
            lm.params["Hp"].value = np.maximum(ghi, 0.0)
            lm.params["Hn"].value = np.maximum(-glo, 0.0)
            for j, i in enumerate(lm.labels):
                if ghi[i] <= 0:
                    fhi[j] = 0.0
                elif glo[i] > 0:
                    flo[j] = 1.0
            return flo, fhi
        rank = layer.rank
        cand = BigM.maxout_candidates(glo, ghi, rank)
        M = np.empty(k)
        for j, (u, r) in enumerate(lm.labels):
            M[j] = max(0.0, float(np.max(ghi[u * rank:(u + 1) * rank])) - glo[u * rank + r])
            if not cand[u, r]:
                fhi[j] = 0.0
        lm.params["M"].value = M
        return flo, fhi


def node_fixings(layer: Layer, lm: LayerModel, Z: np.ndarray, zc: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Exact fixings of a node's binaries: a unit whose pre-activation is constant on the
    node (zero gradient) has a known pattern entry (constant ``<= 0``: inactive); a maxout
    piece equal up to a constant to a larger (or earlier, equal) piece is never the first
    maximal piece."""
    k = lm.n_binaries
    lo, hi = np.zeros(k), np.ones(k)
    flat = [all(v == 0 for v in row) for row in Z]
    if layer.act.hyperplane:
        for j, i in enumerate(lm.labels):
            if flat[i]:
                lo[j] = hi[j] = 1.0 if zc[i] > 0 else 0.0
        return lo, hi
    rank = layer.rank
    for j, (u, r) in enumerate(lm.labels):
        i = u * rank + r
        for q in range(rank):
            if q == r:
                continue
            iq = u * rank + q
            if all(a == b for a, b in zip(Z[i], Z[iq], strict=True)):
                diff = zc[i] - zc[iq]
                if diff < 0 or (q < r and diff == 0):
                    hi[j] = 0.0  # piece q is always at least as large: r never first max
    return lo, hi

"""The one-layer MILP of the layerwise count: a layer (or part of one) on a node's region.

The layerwise strategy of :mod:`tropnet.milp.count` fixes the binaries layer by layer. At
a node (a full-dimensional region of the first ``l`` layers, a
:class:`~tropnet.engines.patterns.PatternNode`), a :class:`LevelModel` holds the MILP of
layer ``l``'s binaries on the node's polyhedron. It is compiled once per layer: the
polyhedron, the layer's pre-activation map on the node, the big-M constants (tightened on
the node, Appendix H of Serra et al. 2018) and exact fixings of the binaries are cvxpy
parameters, loaded for every node (:meth:`LevelModel.load`). Wide layers are split into
parts of a few binaries (:func:`layer_parts`).

The node's data are float64 while the regions are those of the exact numbers:
:func:`data_errors` bounds the round-off of the float maps rigorously, and the model is
relaxed by it (:func:`row_slack` for the node's rows, the ``slack`` of the layer's block),
so that it is a relaxation of the exact problem (see :mod:`tropnet.milp.count`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from ..arithmetic import SMALLEST_SUBNORMAL, TINY, UNIT_ROUNDOFF
from ..engines.patterns import PatternNode
from ..network import Layer, Network
from .bigm import BigM
from .blocks import LayerModel, RowBlock, layer_model
from .formulation import MARGIN_TARGET, Model
from .tighten import affine_interval, polyhedron_box

__all__ = ["LayerPart", "LevelModel", "data_errors", "layer_parts", "node_fixings",
           "row_slack"]

#: ``2^-52``: twice the unit round-off of float64
_EPS = float(np.finfo(np.float64).eps)
_ETA = SMALLEST_SUBNORMAL


@dataclass(frozen=True, eq=False)
class LayerPart:
    """Units ``rows`` (weight rows) of layer ``index`` as a layer of their own (``sub``);
    ``last`` marks the part that completes the layer.

    Attributes
    ----------
    index : int
        The layer's index.
    sub : Layer
        The part as a layer.
    rows : ndarray
        The weight rows of the part.
    last : bool
        The part completes the layer.
    """

    index: int
    sub: Layer
    rows: np.ndarray
    last: bool


def layer_parts(layer: Layer, index: int, size: int) -> list[LayerPart]:
    """Split a layer into parts of about ``size`` binaries (whole units).

    Parameters
    ----------
    layer : Layer
        The layer.
    index : int
        Its index.
    size : int
        The number of binaries per part (about).
    """
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
    layer's pre-activation ``G x + c`` (parameters), its binaries with big-M constants, the
    margin ``f``, node-level fixings ``zlo <= z <= zhi`` and no-good cuts.

    The float data are relaxed by rigorous bounds of their round-off (see
    :mod:`tropnet.milp.count`): ``slack`` bounds ``|G x + c - g(x)|`` on the input box for
    the exact pre-activation ``g`` (one value per row of the part), ``row_slack`` the
    round-off of the node's rows (added to their right-hand sides). ``bounds`` are proven
    bounds of the exact pre-activations on the domain; the node's big-M constants and
    fixings are proven too.

    Parameters
    ----------
    part : LayerPart
        The layer part.
    rows : int
        The number of rows of the node polyhedra.
    n : int
        The input dimension.
    bounds : BigM
        Proven bounds of the exact pre-activations on the domain.
    node_bounds : bool, default True
        Tighten the big-M constants on each node.
    slack : ndarray or None, default None
        The pre-activation round-off bound per row (above); ``None``: zero.
    row_slack : ndarray or None, default None
        The round-off of the node's rows; ``None``: zero.
    """

    def __init__(self, part: LayerPart, rows: int, n: int, bounds: BigM,
                 node_bounds: bool = True, slack: np.ndarray | None = None,
                 row_slack: np.ndarray | None = None) -> None:
        layer = part.sub
        self.layer, self.part = layer, part
        self.lo, self.hi = bounds.lo[part.index][part.rows], bounds.hi[part.index][part.rows]
        self.x_lo, self.x_hi, self.node_bounds = bounds.x_lo, bounds.x_hi, node_bounds
        self.slack = np.zeros(layer.units) if slack is None else np.asarray(slack, float)
        self.row_slack = np.zeros(rows) if row_slack is None else np.asarray(row_slack, float)
        self.Qa = cp.Parameter((rows, n))
        self.Qb = cp.Parameter(rows)
        self.G = cp.Parameter((layer.units, n))
        self.g0 = cp.Parameter(layer.units)
        x = cp.Variable(n, name="x")
        cons: list = [self.Qa @ x <= self.Qb, x >= bounds.x_lo, x <= bounds.x_hi]
        self.lm, lcons = layer_model(part.index, layer, self.G @ x + self.g0, self.lo,
                                     self.hi, bound_params=True, slack=self.slack)
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

    def load(self, node: PatternNode, Z: np.ndarray, zc: np.ndarray,
             exact_pre: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        """Set the parameters for ``node`` (pre-activation ``Z x + zc`` of the part on it)
        and clear the cuts. ``exact_pre`` gives the exact ``(Z, zc)`` when ``Z`` is a float
        version: fixings of units that look constant are then decided on it.

        Parameters
        ----------
        node : PatternNode
            The node.
        Z, zc : ndarray
            The part's pre-activation on the node.
        exact_pre : callable or None, default None
            Returns the exact ``(Z, zc)``.
        """
        A = np.array(node.poly.A, dtype=float)
        b = np.array(node.poly.b, dtype=float)
        X = np.maximum(np.abs(self.x_lo), np.abs(self.x_hi))
        # rows rounded to float (exact mode, rational domains) move by at most u |a| |x|
        b = b + self.row_slack + _EPS * (np.abs(A) @ X + np.abs(b)) + TINY
        self.Qa.value, self.Qb.value = A, b
        self.G.value = np.array(Z, dtype=float)
        self.g0.value = np.array(zc, dtype=float)
        lo, hi = node_fixings(self.layer, self.lm, Z, zc)
        if exact_pre is not None and (lo.any() or not hi.all()):
            lo, hi = node_fixings(self.layer, self.lm, *exact_pre())
        blo, bhi = self._tighten(A, b)
        self.zlo.value, self.zhi.value = np.maximum(lo, blo), np.minimum(hi, bhi)
        self.cuts.clear()

    def _tighten(self, A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node big-M (Appendix H on the node): proven bounds of the exact pre-activations
        on the node, from interval arithmetic over a proven bounding box of the node's
        relaxed polyhedron (``2n`` LPs with ``node_bounds``, else the input box), widened by
        the slack and intersected with the domain's bounds; sets the big-M parameters and
        returns the binaries' fixings they imply."""
        layer, lm = self.layer, self.lm
        xlo, xhi = (polyhedron_box(A, b, self.x_lo, self.x_hi) if self.node_bounds
                    else (self.x_lo, self.x_hi))
        ilo, ihi = affine_interval(self.G.value, self.g0.value, xlo, xhi)
        glo = np.maximum(self.lo, ilo - self.slack)
        ghi = np.minimum(self.hi, ihi + self.slack)
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
    """Fixings of a node's binaries from a unit's pre-activation ``Z x + zc`` on the node:
    a unit whose pre-activation is constant (zero gradient) has a known pattern entry
    (constant ``<= 0``: inactive); a maxout piece equal up to a constant to a larger (or
    earlier, equal) piece is never the first maximal piece. Exact when ``Z``, ``zc`` are.

    Parameters
    ----------
    layer : Layer
        The layer (part).
    lm : LayerModel
        Its model.
    Z, zc : ndarray
        Its pre-activation ``Z x + zc`` on the node.
    """
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


def data_errors(net: Network, x_lo: np.ndarray, x_hi: np.ndarray) -> list[np.ndarray]:
    """Per layer, a rigorous bound ``e_i`` for every pre-activation row ``i``: on any node,
    the float map ``Z_i x + zc_i`` that the node MILPs use differs from the exact one by at
    most ``e_i`` for every ``x`` in the box ``[x_lo, x_hi]``.

    The float maps are computed layer by layer as in
    :mod:`tropnet.engines.patterns` (``Z = W J``, ``zc = W c + b``, then ``J = D Z``,
    ``c = D zc`` with the pattern's matrix ``D``), or are exact maps rounded to float. With
    ``P`` the pattern-independent magnitudes (``|Z| <= |W| P_J``, ``|J_u| <= max_r s_r
    |Z_{u,r}|``), a dot product of length ``k`` adds at most ``gamma_k`` relative round-off
    (Higham, Thm 3.1) and each slope one rounding, so ``|Z^ - Z| <= eps P`` with ``eps``
    accumulated over the layers; underflow adds an absolute ``2^-1074`` per operation. The
    result is doubled, which covers the round-off of this computation itself.

    Parameters
    ----------
    net : Network
        The network.
    x_lo, x_hi : ndarray
        The input box.
    """
    u = UNIT_ROUNDOFF
    n = net.input_dim
    X = np.concatenate([[1.0], np.maximum(np.abs(x_lo), np.abs(x_hi))])
    P = np.eye(n + 1)  # magnitudes of the homogeneous map [[1, 0], [c, J]] (rows: inputs)
    eps, tiny = 0.0, np.zeros(n + 1)  # relative error, absolute (underflow) error per row
    out = []
    for layer in net.layers:
        W, b = layer.float_params
        k = W.shape[1]
        L = np.abs(np.column_stack([b, W])) * (1 + 2 * u)  # |exact| <= |float| (1 + u)
        PZ = L @ P
        g = (k + 3) * u / (1 - (k + 3) * u)  # the sum, the bias, a rounded weight
        eps = eps + g * (1 + eps)
        tiny_z = L @ tiny + (k + 2) * _ETA
        out.append(2.0 * (eps * (PZ @ X) + tiny_z * X.sum()) + _ETA)
        k_r, pieces = layer.rank, layer.act.pieces()
        rows = [np.max([float(s) * PZ[unit * k_r + o] for o, s in pieces], axis=0)
                for unit in range(layer.out_dim)]
        P = np.vstack([np.eye(1, n + 1), np.array(rows).reshape(-1, n + 1)])
        tiny = np.concatenate([[0.0], [max(tiny_z[unit * k_r + o] for o, _ in pieces)
                                       + _ETA for unit in range(layer.out_dim)]])
        eps = eps + 3 * u * (1 + eps)
    return out


def row_slack(parts: list[list[LayerPart]], errors: list[np.ndarray], upto: tuple[int, int],
              domain_rows: int) -> np.ndarray:
    """The relaxation of each row of a node polyhedron before part ``upto`` (layer, part):
    0 for the domain's rows, the row's error for a hyperplane unit, and twice the sum of the
    two pieces' errors for a maxout row (a difference of two rows), bounded per unit.

    Parameters
    ----------
    parts : list of list of LayerPart
        The parts of every layer.
    errors : list of ndarray
        `data_errors` of the network.
    upto : tuple of int
        ``(layer, part)``.
    domain_rows : int
        The number of rows of the domain.
    """
    out = [np.zeros(domain_rows)]
    for idx, of_layer in enumerate(parts):
        for pi, part in enumerate(of_layer):
            if (idx, pi) >= upto:
                return np.concatenate(out)
            e = errors[idx][part.rows]
            if part.sub.act.hyperplane:
                out.append(e)
            else:
                rank = part.sub.rank
                per_unit = 4.0 * e.reshape(-1, rank).max(axis=1)
                out.append(np.repeat(per_unit, rank - 1))
    return np.concatenate(out)

"""The blocks of the MILP: one layer's variables and constraints, and rows held in parameters.

The encoding of a layer is chosen from its activation object (:func:`layer_model`):

* **two pieces on one row** (``act.hyperplane``: ReLU, leaky ReLU), unit ``i`` of layer
  ``l`` (Serra et al. 2018, formulation (1)-(6); Serra & Ramalingam 2020, (1)-(4)), with
  ``g`` the pre-activation::

      g_i = W_i h^{l-1} + b_i = p_i - n_i,   0 <= p_i <= H_i z_i,   0 <= n_i <= Hbar_i (1 - z_i)

  with ``z_i`` binary and the output ``h_i = a p_i - s n_i`` for the pieces ``s z, a z``
  (``h = p`` for ReLU, ``h = p - s n`` for leaky ReLU); ``H_i``, ``Hbar_i`` are valid
  bounds on ``max g_i`` and ``max -g_i`` over the domain (the big-M constants of
  :mod:`tropnet.milp.tighten`). A unit with ``H_i <= 0`` is stably inactive and gets no
  binary (``p_i = 0``); one with ``-Hbar_i > 0`` is stably active (``n_i = 0``).
* **k pieces** (maxout of rank ``k``, Appendix K of Serra et al. 2018): one binary per
  piece that can be the unit's pattern, ``h_u >= g_{u,r}`` for every piece,
  ``h_u <= g_{u,r} + M_{u,r} (1 - z_{u,r})`` and ``sum_r z_{u,r} = 1``.
* no pattern (identity): the output is the pre-activation.

Each block also gives its share of the counting margin of formulation P (``f <= p_i +
F (1 - z_i)``; for maxout ``f <= h_u - g_{u,q} + F (1 - z_{u,r})`` for every binary piece
``r`` and earlier piece ``q < r``, the package's *first* maximal piece convention).
:func:`encode_network` chains the blocks of a network's first layers on its domain;
:class:`RowBlock` holds rows that change between solves (no-good cuts) in cvxpy
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from ..activations import Activation
from ..arithmetic import FLOAT
from ..domain import Domain
from ..errors import UnsupportedModelError
from ..network import Layer, Network
from .bigm import BigM, round_up

__all__ = ["LayerModel", "RowBlock", "encode_network", "hyperplane_block",
           "inactive_is_zero", "layer_model", "maxout_block"]


class RowBlock:
    """Rows ``coeffs @ expr >= rhs`` held in cvxpy Parameters.

    Adding a row only changes parameter values, so cvxpy re-solves the already compiled
    problem (DPP) instead of rebuilding it; unused rows are ``0 >= 0``. When the block is
    full it doubles its capacity (``version`` changes and the owning
    :class:`~tropnet.milp.formulation.Model` rebuilds its problem once).

    Parameters
    ----------
    expr : cvxpy.Expression
        The vector the rows constrain.
    capacity : int, default 16
        The number of rows allocated at first.
    """

    def __init__(self, expr: cp.Expression, capacity: int = 16) -> None:
        self.expr = expr
        self.width = int(expr.shape[0])
        self.rows: list[tuple[np.ndarray, float]] = []
        self.version = 0
        self._alloc(max(1, capacity))

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        self.C = cp.Parameter((capacity, self.width))
        self.d = cp.Parameter(capacity)
        C = np.zeros((capacity, self.width))
        d = np.zeros(capacity)
        for k, (row, rhs) in enumerate(self.rows):
            C[k], d[k] = row, rhs
        self.C.value, self.d.value = C, d
        self.version += 1

    def add(self, row: np.ndarray, rhs: float) -> None:
        """Add the row ``row @ expr >= rhs`` (doubling the capacity when full).

        Parameters
        ----------
        row : ndarray
            The coefficients.
        rhs : float
            The right-hand side.
        """
        if len(self.rows) >= self.capacity:
            self.rows.append((np.asarray(row, float), float(rhs)))
            self._alloc(2 * self.capacity)
            return
        k = len(self.rows)
        self.rows.append((np.asarray(row, float), float(rhs)))
        C, d = self.C.value.copy(), self.d.value.copy()
        C[k], d[k] = row, rhs
        self.C.value, self.d.value = C, d

    def add_no_good(self, v: np.ndarray) -> None:
        """The no-good cut excluding the 0/1 assignment ``v`` of ``expr``:
        ``sum_{v_j = 1} (1 - z_j) + sum_{v_j = 0} z_j >= 1``.

        Parameters
        ----------
        v : ndarray
            The 0/1 assignment to exclude.
        """
        self.add(1.0 - 2.0 * v, 1.0 - float(v.sum()))

    def clear(self) -> None:
        """Remove every row (all rows become ``0 >= 0``)."""
        self.rows = []
        self.C.value = np.zeros((self.capacity, self.width))
        self.d.value = np.zeros(self.capacity)

    def constraints(self) -> list:
        """The block's constraint ``C @ expr >= d``, for the problem."""
        return [self.C @ self.expr >= self.d]


@dataclass(frozen=True, eq=False)
class LayerModel:
    """The variables of one layer in the MILP.

    ``pre`` is the pre-activation ``g`` (one entry per weight row), ``out`` the layer's
    output. ``z`` holds the layer's binaries (``None`` when every unit is stable);
    ``labels[j]`` names binary ``j``: the unit index (hyperplane activations) or
    ``(unit, piece)`` (maxout). ``fixed[u]`` is the pattern entry of a stable unit
    (``None`` if unstable). ``margin`` is ``(E, Z)`` such that the counting margin
    satisfies ``f <= E + F (1 - Z)`` row-wise, or ``None``; ``cap`` bounds every entry of
    ``E`` from above. With ``bound_params`` the big-M constants are cvxpy parameters,
    listed in ``params`` (``"Hp"``, ``"Hn"`` per unit; ``"M"`` per maxout binary) to be
    tightened per solve.

    Attributes
    ----------
    index : int
        The layer's index.
    act : Activation
        The layer's activation.
    pre : cvxpy.Expression
        The pre-activation ``g``.
    out : cvxpy.Expression
        The layer's output.
    z : cvxpy.Variable or None
        The binaries; ``None`` when every unit is stable.
    labels : tuple
        What each binary stands for (above).
    fixed : tuple
        The pattern entry of every stable unit (``None`` if unstable).
    margin : tuple or None
        ``(E, Z)`` of the counting margin, or ``None``.
    cap : float, default 0.0
        An upper bound on every entry of ``E``.
    params : dict or None, default None
        The big-M parameters, with ``bound_params``.
    """

    index: int
    act: Activation
    pre: cp.Expression
    out: cp.Expression
    z: cp.Variable | None
    labels: tuple
    fixed: tuple
    margin: tuple | None
    cap: float = 0.0
    params: dict | None = None

    @property
    def n_binaries(self) -> int:
        """The number of binaries of the layer."""
        return len(self.labels)

    def pattern(self, zvals: np.ndarray | None) -> tuple:
        """The layer's pattern (see :meth:`tropnet.Layer.pattern`) from binary values.

        Parameters
        ----------
        zvals : ndarray or None
            The binaries' values (``None``: no binaries).
        """
        if not self.act.patterned:
            return ()
        out = list(self.fixed)
        if self.act.hyperplane:
            bits = [] if zvals is None else [int(v > 0.5) for v in np.asarray(zvals).reshape(-1)]
            for j, unit in enumerate(self.labels):
                out[unit] = bits[j]
            return tuple(int(v) for v in out)
        vals = np.asarray(zvals, float).reshape(-1) if zvals is not None else np.zeros(0)
        best: dict[int, tuple[float, int]] = {}
        for j, (unit, piece) in enumerate(self.labels):
            if unit not in best or vals[j] > best[unit][0]:  # ties: the earlier piece
                best[unit] = (vals[j], piece)
        for unit, (_, piece) in best.items():
            out[unit] = piece
        return tuple(int(v) for v in out)

    def indicator(self, pattern: Sequence[int]) -> np.ndarray:
        """The 0/1 values of this layer's binaries that encode ``pattern``.

        Parameters
        ----------
        pattern : sequence of int
            The layer's pattern.
        """
        if self.act.hyperplane:
            return np.array([1.0 if pattern[u] else 0.0 for u in self.labels])
        return np.array([1.0 if pattern[u] == r else 0.0 for u, r in self.labels])


def inactive_is_zero(act: Activation) -> bool:
    """Two pieces on one row whose lower piece is 0 (a ReLU, possibly scaled): an inactive
    unit outputs exactly 0.

    Parameters
    ----------
    act : Activation
        The activation.
    """
    return act.hyperplane and act.pieces()[0][1] == 0


def layer_model(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray, hi: np.ndarray,
                *, relax: bool = False, bound_params: bool = False,
                slack: np.ndarray | None = None) -> tuple[LayerModel, list]:
    """Variables and constraints of one layer whose pre-activation is the affine expression
    ``pre`` with valid bounds ``lo <= pre <= hi`` (used for whole networks and for the
    one-layer node models of :mod:`tropnet.milp.count`). The binaries are those of the
    units left unstable by ``lo``/``hi``; with ``bound_params`` the big-M constants are
    parameters (initialised from ``lo``/``hi``) that may be set to tighter valid values
    before a solve. The encoding follows the activation (see the module docstring).

    ``slack`` (one value per row of ``pre``, default none) relaxes the constraints that
    tie the binaries to the sign or the maximum of ``pre``: when ``pre`` is a float
    version of an exact pre-activation ``g`` with ``|pre - g| <= slack``, every point
    with the binaries of ``g``'s pattern stays feasible (with ``lo``/``hi`` bounding
    ``g``). See :mod:`tropnet.milp.count`.

    Parameters
    ----------
    index : int
        The layer's index (names the variables).
    layer : Layer
        The layer.
    pre : cvxpy.Expression
        Its pre-activation.
    lo, hi : ndarray
        Valid bounds on ``pre``.
    relax : bool, default False
        Relax the binaries to ``[0, 1]``.
    bound_params : bool, default False
        Make the big-M constants cvxpy parameters.
    slack : ndarray or None, default None
        The relaxation of the binaries' constraints (above).
    """
    if not layer.act.patterned:
        return LayerModel(index, layer.act, pre, pre, None, (), (), None), []
    if layer.act.hyperplane:
        return hyperplane_block(index, layer, pre, lo, hi, relax, bound_params, slack)
    return maxout_block(index, layer, pre, lo, hi, relax, bound_params, slack)


def _const_or_param(values: np.ndarray, as_param: bool, params: dict, key: str) -> Any:
    if not as_param:
        return values
    par = cp.Parameter(len(values), nonneg=True)
    par.value = values
    params[key] = par
    return par


def _binaries(k: int, relax: bool, name: str) -> tuple[cp.Variable | None, list]:
    if k == 0:
        return None, []
    if relax:
        z = cp.Variable(k, name=name)
        return z, [z >= 0, z <= 1]
    return cp.Variable(k, boolean=True, name=name), []


def _select(rows: int, cols: Sequence[int], width: int) -> sp.csr_matrix:
    """Sparse matrix picking entries ``cols`` of a length-``width`` vector."""
    return sp.csr_matrix((np.ones(rows), (np.arange(rows), np.asarray(cols, int))),
                         shape=(rows, width))


def hyperplane_block(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray,
                     hi: np.ndarray, relax: bool, bound_params: bool = False,
                     slack: np.ndarray | None = None) -> tuple[LayerModel, list]:
    """The h/hbar big-M encoding of a layer whose activation has two pieces on one row
    (Serra et al. 2018; see the module docstring); ``slack`` as in :func:`layer_model`
    (``p <= H z + slack``, ``n <= Hbar (1 - z) + slack``).

    Parameters
    ----------
    index : int
        The layer's index (names the variables).
    layer : Layer
        The layer.
    pre : cvxpy.Expression
        Its pre-activation.
    lo, hi : ndarray
        Valid bounds on ``pre``.
    relax : bool
        Relax the binaries to ``[0, 1]``.
    bound_params : bool, default False
        Make the big-M constants cvxpy parameters.
    slack : ndarray or None, default None
        As in `layer_model`.
    """
    m = layer.units
    (_, low), (_, high) = layer.act.pieces()
    state = BigM.unit_states(lo, hi)
    unstable = [i for i in range(m) if state[i] == 0]
    z, cons = _binaries(len(unstable), relax, f"z{index}")
    fixed_bits = np.array([1.0 if state[i] > 0 else 0.0 for i in range(m)])
    zfull: Any = fixed_bits if z is None else _select(len(unstable), unstable, m).T @ z \
        + fixed_bits
    Hp = np.maximum(hi, 0.0)
    Hn = np.maximum(-lo, 0.0)
    params: dict = {}
    Hp_use = _const_or_param(Hp, bound_params, params, "Hp")
    Hn_use = _const_or_param(Hn, bound_params, params, "Hn")
    p = cp.Variable(m, nonneg=True, name=f"p{index}")
    n = cp.Variable(m, nonneg=True, name=f"n{index}")
    extra: Any = 0 if slack is None else np.asarray(slack, float)
    cons += [pre == p - n, p <= cp.multiply(Hp_use, zfull) + extra,
             n <= cp.multiply(Hn_use, 1 - zfull) + extra]
    out = p if high == 1 else float(high) * p
    if low != 0:
        out = out - float(low) * n
    margin = None
    if z is not None:
        margin = (_select(len(unstable), unstable, m) @ p, z)
    fixed = tuple(None if state[i] == 0 else int(state[i] > 0) for i in range(m))
    cap = float(max(Hp[unstable])) if unstable else 0.0
    return LayerModel(index, layer.act, pre, out, z, tuple(unstable), fixed, margin,
                      cap, params or None), cons


def maxout_block(index: int, layer: Layer, pre: cp.Expression, lo: np.ndarray,
                 hi: np.ndarray, relax: bool, bound_params: bool = False,
                 slack: np.ndarray | None = None) -> tuple[LayerModel, list]:
    """The encoding of a layer whose activation is the maximum of its ``k`` rows (maxout,
    Appendix K of Serra et al. 2018; see the module docstring); ``slack`` as in
    :func:`layer_model` (unit ``u`` gets ``s_u = 2 max_r slack_{u,r}``: ``h_u >= g_{u,r} -
    s_u`` and ``h_u <= g_{u,r} + M (1 - z_{u,r}) + s_u``).

    Parameters
    ----------
    index : int
        The layer's index (names the variables).
    layer : Layer
        The layer.
    pre : cvxpy.Expression
        Its pre-activation.
    lo, hi : ndarray
        Valid bounds on ``pre``.
    relax : bool
        Relax the binaries to ``[0, 1]``.
    bound_params : bool, default False
        Make the big-M constants cvxpy parameters.
    slack : ndarray or None, default None
        As in `layer_model`.
    """
    k, units = layer.rank, layer.out_dim
    if layer.act.pieces() != tuple((r, 1) for r in range(k)):
        raise UnsupportedModelError(f"the MILP encodes activations with two pieces on one "
                                    f"row or the maximum of k rows, not {layer.act}")
    cand = BigM.maxout_candidates(lo, hi, k)
    labels = [(u, r) for u in range(units) if cand[u].sum() > 1 for r in range(k) if cand[u, r]]
    z, cons = _binaries(len(labels), relax, f"z{index}")
    h = cp.Variable(units, name=f"h{index}")
    width = layer.units
    su = np.zeros(units) if slack is None else \
        2.0 * np.asarray(slack, float).reshape(units, k).max(axis=1)
    for r in range(k):
        cons.append(h >= _select(units, [u * k + r for u in range(units)], width) @ pre - su)
    fixed: list[int | None] = [None] * units
    stable = [u for u in range(units) if cand[u].sum() == 1]
    for u in stable:
        fixed[u] = int(np.flatnonzero(cand[u])[0])
    if stable:
        cons.append(_select(len(stable), stable, units) @ h
                    == _select(len(stable), [u * k + fixed[u] for u in stable], width) @ pre)
    margin, cap = None, 0.0
    params: dict = {}
    if z is not None:
        L = len(labels)
        hu = _select(L, [u for u, _ in labels], units) @ h
        gr = _select(L, [u * k + r for u, r in labels], width) @ pre
        M = np.array([max(hi[u * k:(u + 1) * k]) - lo[u * k + r] for u, r in labels])
        M = np.maximum(M, 0.0)
        cons.append(hu <= gr + cp.multiply(_const_or_param(M, bound_params, params, "M"),
                                           1 - z) + su[[u for u, _ in labels]])
        units_with = sorted({u for u, _ in labels})
        S = sp.csr_matrix((np.ones(L), ([units_with.index(u) for u, _ in labels],
                                        np.arange(L))), shape=(len(units_with), L))
        cons.append(S @ z == 1)
        # margins: f <= h_u - g_{u,q} + F (1 - z_{u,r}) for every binary piece r and q < r
        rows = [(j, u, q) for j, (u, r) in enumerate(labels) for q in range(r)]
        if rows:
            R = len(rows)
            E = _select(R, [u for _, u, _ in rows], units) @ h \
                - _select(R, [u * k + q for _, u, q in rows], width) @ pre
            margin = (E, _select(R, [j for j, _, _ in rows], L) @ z)
            cap = max(max(hi[u * k:(u + 1) * k]) - lo[u * k + q] for _, u, q in rows)
    return LayerModel(index, layer.act, pre, h, z, tuple(labels), tuple(fixed), margin,
                      max(cap, 0.0), params or None), cons


def encode_network(net: Network, dom: Domain, bigm: BigM, *, layers: int | None = None,
                   relax: bool = False, valid_inequalities: bool = False
                   ) -> tuple[cp.Variable, list[LayerModel], list]:
    """``(x, layer models, constraints)``: the input ``x`` in the big-M input box and the
    bounded domain ``dom``, and the blocks of the first ``layers`` layers (default: all)
    chained on it, with the big-M constants of ``bigm``. ``relax`` relaxes the binaries to
    ``[0, 1]``; ``valid_inequalities`` adds (8)-(9) of Serra & Ramalingam 2020.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        A bounded domain.
    bigm : BigM
        The big-M constants.
    layers : int or None, default None
        The number of layers encoded; ``None``: all.
    relax : bool, default False
        Relax the binaries to ``[0, 1]``.
    valid_inequalities : bool, default False
        Add (8)-(9) of Serra & Ramalingam 2020.
    """
    count = len(net.layers) if layers is None else int(layers)
    x = cp.Variable(net.input_dim, name="x")
    cons: list = [x >= bigm.x_lo, x <= bigm.x_hi]
    if dom.kind == "polytope":
        A = np.array(dom.A, dtype=float)
        b = np.array([round_up(v) for v in dom.b])
        cons.append(A @ x <= b)
    h: cp.Expression = x
    models: list[LayerModel] = []
    prev: LayerModel | None = None
    for l_idx, layer in enumerate(net.layers[:count]):
        W, b = layer.params(FLOAT)
        pre = W @ h + b
        lm, lcons = layer_model(l_idx, layer, pre, bigm.lo[l_idx], bigm.hi[l_idx], relax=relax)
        cons += lcons
        if valid_inequalities and prev is not None:
            cons += _valid_inequalities(layer, lm, prev)
        models.append(lm)
        prev = lm
        h = lm.out
    return x, models, cons


def _valid_inequalities(layer: Layer, lm: LayerModel, prev: LayerModel) -> list:
    """Inequalities (8)-(9) of Serra & Ramalingam 2020 between a hyperplane layer and a
    ReLU layer before it (inactive units output 0): an unstable unit with ``b_i <= 0`` can
    be active only if some previous unit with a positive weight is active; one with
    ``b_i > 0`` can be inactive only if some previous unit with a negative weight is
    active."""
    if not inactive_is_zero(prev.act) or not lm.act.hyperplane or lm.z is None:
        return []
    W, b = layer.weight, layer.bias  # exact signs
    col = {u: j for j, u in enumerate(prev.labels)}
    cons = []
    for j, i in enumerate(lm.labels):
        sign = 1 if b[i] <= 0 else -1
        js = [c for c in range(W.shape[1]) if (W[i, c] > 0 if sign > 0 else W[i, c] < 0)]
        if any(prev.fixed[c] == 1 for c in js):
            continue  # a stably active predecessor satisfies the inequality
        terms = [prev.z[col[c]] for c in js if c in col]
        rhs = cp.sum(cp.hstack(terms)) if terms else 0
        if sign > 0:
            cons.append(lm.z[j] <= rhs)
        else:
            cons.append(1 - lm.z[j] <= rhs)
    return cons

"""The mixed-integer model of a piecewise-linear network on a bounded domain (cvxpy).

A :class:`Formulation` chains the blocks of every layer (:mod:`tropnet.milp.blocks`:
the h/hbar big-M encoding of ReLU and leaky ReLU units, the ``k``-piece encoding of maxout
units) on the domain, with big-M constants from :mod:`tropnet.milp.tighten`.

The counting objective (formulation P of Serra et al. 2018) adds a margin ``f``:
``f <= p_i + F (1 - z_i)`` for every ReLU/leaky binary and, to respect the package's pattern
convention for maxout (the *first* maximal piece), ``f <= h_u - g_{u,q} + F (1 - z_{u,r})``
for every binary piece ``r`` and every earlier piece ``q < r``; ``F`` is the largest margin
any unit can have. A solution with ``f > 0`` is a point where every active unit is strictly
active.

Building is separate from solving: :func:`build_formulation` returns a :class:`Formulation`
(the cvxpy variables and constraints); :func:`~tropnet.milp.solvers.solve` runs any cvxpy
MIP solver on a problem made from it, and a :class:`Model` re-solves one problem whose
:class:`~tropnet.milp.blocks.RowBlock` rows change between solves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from ..arithmetic import Arithmetic
from ..domain import Domain
from ..hoffman import bounded_domain
from ..network import Network
from .bigm import BigM
from .blocks import LayerModel, RowBlock, encode_network
from .solvers import SolveResult, solve
from .tighten import tighten_bigm

__all__ = ["MARGIN_TARGET", "Formulation", "Model", "build_formulation"]

#: A solve of formulation P stops at the first solution whose margin is at least
#: ``tau = MARGIN_TARGET * F`` (``F`` the largest possible margin): genuine regions come
#: first, degenerate patterns (all with ``f ~ 0``) last. A modelling parameter that only
#: orders the search (see :mod:`tropnet.milp.count`), not a tolerance.
MARGIN_TARGET = 1e-6


class Model:
    """A problem over fixed constraints plus :class:`~tropnet.milp.blocks.RowBlock` rows,
    rebuilt only when a block grows (so repeated solves reuse cvxpy's compiled problem).

    Parameters
    ----------
    constraints : sequence
        The fixed cvxpy constraints.
    objective : cvxpy objective
        The objective.
    blocks : sequence of RowBlock, default ()
        Blocks of rows added between solves.
    """

    def __init__(self, constraints: Sequence, objective: Any,
                 blocks: Sequence[RowBlock] = ()) -> None:
        self.constraints = list(constraints)
        self.objective = objective
        self.blocks = list(blocks)
        self._versions: tuple | None = None
        self._problem: cp.Problem | None = None
        self.solves = 0
        self.seconds = 0.0

    @property
    def problem(self) -> cp.Problem:
        """The cvxpy problem, rebuilt when a block has grown since the last call."""
        versions = tuple(b.version for b in self.blocks)
        if self._problem is None or versions != self._versions:
            extra = [c for b in self.blocks for c in b.constraints()]
            self._problem = cp.Problem(self.objective, self.constraints + extra)
            self._versions = versions
        return self._problem

    def solve(self, solver: str = "HIGHS", **kw: Any) -> SolveResult:
        """Solve the problem (see `tropnet.milp.solvers.solve`), counting solves and seconds.

        Parameters
        ----------
        solver : str, default "HIGHS"
            A cvxpy MIP solver.
        **kw : object
            Options of `tropnet.milp.solvers.solve`.
        """
        res = solve(self.problem, solver, **kw)
        self.solves += 1
        self.seconds += res.seconds
        return res


@dataclass(frozen=True, eq=False)
class Formulation:
    """The MILP of a network (or of its first ``len(layers)`` layers) on a bounded domain.

    ``x`` is the input, ``layers`` the per-layer variables, ``constraints`` every
    constraint (including the margin rows when ``f`` is not ``None``); ``bigm`` the
    big-M constants used; ``relaxed`` says the binaries were relaxed to ``[0, 1]``.

    Attributes
    ----------
    net : Network
        The network.
    domain : Domain
        The bounded domain.
    bigm : BigM
        The big-M constants used.
    x : cvxpy.Variable
        The input.
    layers : tuple of LayerModel
        The per-layer variables.
    constraints : tuple
        Every constraint.
    f : cvxpy.Variable or None
        The counting margin, or ``None``.
    f_cap : float
        An upper bound on ``f``.
    relaxed : bool, default False
        The binaries were relaxed to ``[0, 1]``.
    info : dict, default {}
        Notes (such as the box that replaced ``R^n``).
    """

    net: Network
    domain: Domain
    bigm: BigM
    x: cp.Variable
    layers: tuple[LayerModel, ...]
    constraints: tuple
    f: cp.Variable | None
    f_cap: float
    relaxed: bool = False
    info: dict = field(default_factory=dict)

    @property
    def binaries(self) -> list[cp.Variable]:
        """The binary variables, one per layer that has any."""
        return [lm.z for lm in self.layers if lm.z is not None]

    @property
    def n_binaries(self) -> int:
        """The number of binaries."""
        return sum(lm.n_binaries for lm in self.layers)

    @property
    def z(self) -> cp.Expression | None:
        """All binaries, layer by layer, as one vector (``None`` if there are none)."""
        zs = self.binaries
        if not zs:
            return None
        return zs[0] if len(zs) == 1 else cp.hstack(zs)

    def labels(self) -> list[tuple]:
        """``(layer, unit)`` or ``(layer, unit, piece)`` for each entry of :attr:`z`."""
        out: list[tuple] = []
        for lm in self.layers:
            for lab in lm.labels:
                out.append((lm.index, *lab) if isinstance(lab, tuple) else (lm.index, lab))
        return out

    def pattern(self, zvals: np.ndarray | None = None) -> tuple:
        """The network pattern encoded by values of :attr:`z` (default: the current
        solution), one tuple per included layer.

        Parameters
        ----------
        zvals : ndarray or None, default None
            Values of `z`.
        """
        if zvals is None:
            zvals = np.concatenate([np.asarray(z.value, float).reshape(-1)
                                    for z in self.binaries]) if self.binaries else np.zeros(0)
        zvals = np.asarray(zvals, float).reshape(-1)
        out, k = [], 0
        for lm in self.layers:
            out.append(lm.pattern(zvals[k:k + lm.n_binaries]))
            k += lm.n_binaries
        return tuple(out)

    def indicator(self, pattern: Sequence[Sequence[int]]) -> np.ndarray:
        """The 0/1 vector of :attr:`z` encoding a network pattern.

        Parameters
        ----------
        pattern : sequence of sequence of int
            A network pattern, one tuple per layer.
        """
        parts = [lm.indicator(pattern[lm.index]) for lm in self.layers if lm.n_binaries]
        return np.concatenate(parts) if parts else np.zeros(0)

    def problem(self, objective: Any = None, extra: Sequence = ()) -> cp.Problem:
        """A cvxpy problem: ``objective`` (default: maximise ``f`` if present, else
        feasibility) over the constraints plus ``extra``.

        Parameters
        ----------
        objective : cvxpy objective or None, default None
            The objective.
        extra : sequence, default ()
            Further constraints.
        """
        if objective is None:
            objective = cp.Maximize(self.f) if self.f is not None else cp.Minimize(0)
        return cp.Problem(objective, list(self.constraints) + list(extra))


def build_formulation(net: Network, domain: Domain | str | None = None,
                      bigm: BigM | str = "lp", *, solver: str = "HIGHS",
                      layers: int | None = None, relax: bool = False, margin: bool = True,
                      valid_inequalities: bool = False,
                      exact: bool | Arithmetic | None = None) -> Formulation:
    """Build the MILP of ``net`` on a bounded ``domain`` (a value; solve it with
    :func:`~tropnet.milp.solvers.solve`).

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        A bounded domain; ``None`` is ``R^n`` (the effective box).
    bigm : BigM or str, default "lp"
        A `BigM`, or the method to compute one (``"interval"``, ``"lp"`` or ``"milp"``;
        see `tropnet.milp.tighten.tighten_bigm`).
    solver : str, default "HIGHS"
        The MIP solver of the big-M tightening.
    layers : int or None, default None
        Include only the first ``layers`` layers; ``None``: all.
    relax : bool, default False
        Relax the binaries to ``0 <= z <= 1`` (the LP relaxation).
    margin : bool, default True
        Add the counting margin ``f`` of formulation P.
    valid_inequalities : bool, default False
        Add inequalities (8)-(9) of Serra & Ramalingam 2020 between consecutive ReLU
        layers.
    exact : bool, Arithmetic or None, default None
        The arithmetic of the effective box that replaces ``R^n`` (see
        `tropnet.hoffman.bounded_domain`).
    """
    dom, notes = bounded_domain(net, domain, exact=exact)
    if not isinstance(bigm, BigM):
        bigm = tighten_bigm(net, dom, method=bigm, solver=solver)
    x, models, cons = encode_network(net, dom, bigm, layers=layers, relax=relax,
                                     valid_inequalities=valid_inequalities)
    f_cap = _margin_cap(models)
    f = None
    if margin:
        f = cp.Variable(name="f")
        cons.append(f <= f_cap)
        for lm in models:
            if lm.margin is not None:
                E, Z = lm.margin
                cons.append(f <= E + f_cap * (1 - Z))
    return Formulation(net, dom, bigm, x, tuple(models), tuple(cons), f, f_cap, relax,
                       dict(notes))


def _margin_cap(models: Sequence[LayerModel]) -> float:
    """``F``: at least the largest margin any binary unit can reach (1 if there is none)."""
    return float(max([1.0] + [lm.cap for lm in models if lm.margin is not None]))

"""Big-M constants as a value: valid float64 bounds on every pre-activation over the domain.

:class:`BigM` is what the MILP blocks (:mod:`tropnet.milp.blocks`) are built from and what
:func:`tropnet.milp.tighten.tighten_bigm` computes. Bounds must be *valid*, so exact
numbers are rounded outward to float64 (:func:`round_down`, :func:`round_up`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..network import Layer

__all__ = ["BigM", "round_down", "round_up"]


@dataclass(frozen=True, eq=False)
class BigM:
    """Valid bounds ``lo[l] <= g^l <= hi[l]`` on every layer's pre-activations over the
    domain (float64, one array per layer), the input box ``x_lo <= x <= x_hi``, the method
    that produced them and a report of how much it tightened.

    Attributes
    ----------
    lo, hi : tuple of ndarray
        Bounds on every layer's pre-activations (float64, one array per layer).
    x_lo, x_hi : ndarray
        The input box.
    method : str
        The method that produced the bounds.
    report : dict, default {}
        How much it tightened.
    """

    lo: tuple[np.ndarray, ...]
    hi: tuple[np.ndarray, ...]
    x_lo: np.ndarray
    x_hi: np.ndarray
    method: str
    report: dict = field(default_factory=dict)

    @staticmethod
    def unit_states(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per unit of a hyperplane activation (ReLU, leaky ReLU): ``1`` stably active
        (``lo > 0``), ``-1`` stably inactive (``hi <= 0``), ``0`` unstable.

        Parameters
        ----------
        lo, hi : ndarray
            Bounds on the units' pre-activations.
        """
        return np.where(hi <= 0, -1, np.where(lo > 0, 1, 0)).astype(np.int8)

    @staticmethod
    def maxout_candidates(lo: np.ndarray, hi: np.ndarray, rank: int) -> np.ndarray:
        """``cand[u, r]``: piece ``r`` of maxout unit ``u`` can be its pattern (the first
        maximal piece). Piece ``r`` is ruled out when some piece is always larger
        (``hi_r < lo_q``) or some earlier piece always at least as large (``q < r``,
        ``hi_r <= lo_q``).

        Parameters
        ----------
        lo, hi : ndarray
            Bounds on the pre-activation rows, ``rank`` consecutive rows per unit.
        rank : int
            The maxout rank.
        """
        lo2, hi2 = lo.reshape(-1, rank), hi.reshape(-1, rank)
        cand = np.ones(lo2.shape, dtype=bool)
        for r in range(rank):
            for q in range(rank):
                if q == r:
                    continue
                out = hi2[:, r] < lo2[:, q] if q > r else hi2[:, r] <= lo2[:, q]
                cand[:, r] &= ~out
        return cand

    def states(self, index: int, layer: Layer) -> np.ndarray:
        """:meth:`unit_states` of layer ``index``.

        Parameters
        ----------
        index : int
            The layer's index.
        layer : Layer
            The layer.
        """
        return self.unit_states(self.lo[index], self.hi[index])

    def to_dict(self) -> dict:
        """The tightening report (a copy of ``report``)."""
        return dict(self.report)


def round_down(v: Any) -> float:
    """The largest float ``<= v`` (for a Fraction or number).

    Parameters
    ----------
    v : Fraction or number
        The value.
    """
    f = float(v)
    if isinstance(v, Fraction) and Fraction(f) > v:
        f = float(np.nextafter(f, -np.inf))
    return f


def round_up(v: Any) -> float:
    """The smallest float ``>= v`` (for a Fraction or number).

    Parameters
    ----------
    v : Fraction or number
        The value.
    """
    f = float(v)
    if isinstance(v, Fraction) and Fraction(f) < v:
        f = float(np.nextafter(f, np.inf))
    return f

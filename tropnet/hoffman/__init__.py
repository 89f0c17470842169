"""Hoffman constants of matrices and tropical maps, and the effective radius (Lezeau et al. §3).

Norm convention (stated in every output): ``norm="inf"`` (default) measures the
distance on ``R^n`` and the residual ``(Ax - b)_+`` on ``R^m`` in the max-norm,
so ``H(I) = 1``; ``norm="2"`` uses the Euclidean norm for both.

* :func:`hoffman_constant` — of a matrix (:mod:`tropnet.hoffman.matrix`; in the
  max-norm with at most 3 columns from its row sets of at most ``n`` rows,
  :mod:`tropnet.hoffman.support`) or of a tropical map / network (the largest over the
  cells, :func:`map_hoffman`);
* :func:`effective_radius` / :func:`effective_box` — a ball / box around the
  origin meeting every linear or activation region
  (:mod:`tropnet.hoffman.radius`, where the derivation is written out).
"""

from __future__ import annotations

from typing import Any

from ..arithmetic import Arithmetic
from ..network import Network
from ..tropical import TropicalPolynomial, TropicalRational
from .matrix import CONVENTIONS, METHODS, NORMS, HoffmanConstant, matrix_hoffman
from .radius import EffectiveRadius, bounded_domain, effective_box, effective_radius, map_hoffman

__all__ = [
    "CONVENTIONS",
    "METHODS",
    "NORMS",
    "EffectiveRadius",
    "HoffmanConstant",
    "bounded_domain",
    "effective_box",
    "effective_radius",
    "hoffman_constant",
    "map_hoffman",
    "matrix_hoffman",
]


def hoffman_constant(obj: Any, norm: str = "inf", method: str = "auto",
                     exact: bool | Arithmetic | None = None, **options: Any
                     ) -> HoffmanConstant:
    """The Hoffman constant of a matrix, tropical polynomial, rational map, list of maps,
    or network (compiled first).

    ``norm="inf"``: distance and residual in the max-norm (``H(I) = 1``); ``norm="2"``:
    both Euclidean. ``method``: ``"auto"`` (default; the cheapest exact method),
    ``"exact"`` (enumeration of row sets: of at most ``n`` rows in the max-norm with at
    most 3 columns, see :mod:`tropnet.hoffman.support`), ``"pvz"`` (the maximal
    surjective row sets, one LP each: Peña–Vera–Zuluaga; the same exact value) or
    ``"bounds"`` (a certified interval ``lower <= H <= upper``). For tropical objects the
    value is the largest over the cells of the common refinement (:func:`map_hoffman`;
    ``rows="facets"`` in ``options`` uses each cell's irredundant rows), computed on the
    exact rationals of the input (a network is compiled exactly). See
    :func:`matrix_hoffman`.

    Parameters
    ----------
    obj : array_like, tropical map(s) or Network
        A matrix (rows of ``A x <= b``), a tropical polynomial, a rational map, a list of
        maps, or a network.
    norm : {"inf", "2"}, default "inf"
        The norm of distance and residual.
    method : {"auto", "exact", "pvz", "bounds"}, default "auto"
        How the constant is computed (above).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    **options : object
        Options of `matrix_hoffman` or, for tropical objects, of `map_hoffman` (such as
        ``rows``).

    Examples
    --------
    >>> hoffman_constant([[1, 0], [0, 1]]).value
    Fraction(1, 1)
    """
    if isinstance(obj, (TropicalPolynomial, TropicalRational, Network)) or (
            isinstance(obj, (list, tuple)) and obj
            and isinstance(obj[0], (TropicalPolynomial, TropicalRational))):
        return map_hoffman(obj, norm, method, exact, **options)
    return matrix_hoffman(obj, norm, method, exact, **options)

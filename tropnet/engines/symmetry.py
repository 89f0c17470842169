"""Permutation-invariant networks: detection, the fundamental domain, orbit weights.

A network ``N`` is *permutation invariant* when ``N(P x) = N(x)`` for every
permutation matrix ``P``. The symmetric group then permutes its linear regions,
and the cone ``D = {x : x_1 >= x_2 >= ... >= x_n}`` is a fundamental domain
(Lezeau et al., Section 4). Theorem 29 counts regions through orbits:
``#regions = sum over orbits of n! / |stabiliser|``. Lemma 30 bounds the orbit of a
region with Jacobian ``J`` by ``n! / prod_k m_k!``, where ``m_k`` counts equal
entries of ``J`` (equal columns for several outputs): the permutations that
only swap equal entries map the region to one with the same affine map.
Sampling only ``D`` and weighting each region found by that number estimates the
count on the whole cube with about ``n!`` times fewer samples.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, GEOMETRY_RTOL, Arithmetic, resolve
from ..errors import NetworkError, TropnetError
from ..network import Network
from ..tropical import TropicalPolynomial, compile_network

__all__ = [
    "SymmetryCheck",
    "deepsets_network",
    "fundamental_samples",
    "orbit_weight",
    "permutation_invariant",
    "require_invariant",
]


@dataclass(frozen=True)
class SymmetryCheck:
    """Whether a network is invariant under permuting its inputs, and how that was decided:
    ``method`` is ``"exact"`` (tropical representations compared exactly) or
    ``"numeric"`` (random points, relative tolerance ``tol``). ``witness`` is a point
    and a permutation that change the output, when one was found.

    Attributes
    ----------
    invariant : bool
        Whether the network is invariant.
    method : str
        How it was decided: ``"exact"`` or ``"numeric"``.
    points : int, default 0
        The number of random points (``"numeric"``).
    tol : float, default 0.0
        The relative tolerance (``"numeric"``).
    witness : tuple or None, default None
        ``(point, permutation)`` changing the output, when found.
    """

    invariant: bool
    method: str
    points: int = 0
    tol: float = 0.0
    witness: tuple | None = None

    def to_dict(self) -> dict:
        """The JSON form: ``invariant``, ``method``, the sample size and tolerance, the witness."""
        out: dict[str, Any] = {"invariant": self.invariant, "method": self.method}
        if self.method == "numeric":
            out.update(points=self.points, tol=self.tol)
        if self.witness is not None:
            x, perm = self.witness
            out["witness"] = {"point": [float(v) for v in x], "permutation": list(perm)}
        return out


def orbit_weight(jacobian: Any, arith: Arithmetic = EXACT) -> int:
    """``n! / prod_k m_k!`` with ``m_k`` the multiplicities of equal columns of the Jacobian
    (equal entries of a gradient; equal up to the tolerance grid of
    :meth:`~tropnet.arithmetic.Arithmetic.vector_key` in float mode): Lezeau et al., Lemma 30.

    Parameters
    ----------
    jacobian : array_like
        The Jacobian (or a gradient vector).
    arith : Arithmetic, default EXACT
        Decides equal columns.

    Examples
    --------
    >>> orbit_weight([[1, 0, 0]]), orbit_weight([[2, 1, 0]]), orbit_weight([[1, 1, 1]])
    (3, 6, 1)
    """
    J = np.asarray(jacobian, dtype=object)
    if J.ndim == 1:
        J = J.reshape(1, -1)
    n = J.shape[1]
    cols = [arith.vector_key(J[:, k]) for k in range(n)]
    weight = math.factorial(n)
    for m in Counter(cols).values():
        weight //= math.factorial(m)
    return weight


def fundamental_samples(rng: np.random.Generator, samples: int, n: int, lo: float,
                        hi: float) -> np.ndarray:
    """Uniform points of ``[lo, hi]^n ∩ {x_1 >= ... >= x_n}``: uniform cube points with
    their coordinates sorted in decreasing order.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random generator.
    samples : int
        The number of points.
    n : int
        The dimension.
    lo, hi : float
        The cube's bounds.
    """
    X = rng.uniform(lo, hi, size=(samples, n))
    return -np.sort(-X, axis=1)


def permutation_invariant(net: Network, method: str = "auto", points: int = 256,
                          seed: int = 0, tol: float = GEOMETRY_RTOL) -> SymmetryCheck:
    """Decide whether ``net(P x) = net(x)`` for every permutation ``P`` of the inputs.

    It suffices to check the two generators of the symmetric group (a transposition
    and an ``n``-cycle). ``method="numeric"`` compares outputs at random points of
    several scales (relative tolerance ``tol``); ``"exact"`` compiles the network and
    checks, for each output ``f ⊘ g`` and generator ``s``, that ``(f∘s) ⊙ g`` and
    ``f ⊙ (g∘s)`` are the same tropical polynomial (so ``f∘s - g∘s = f - g``);
    ``"auto"`` runs the numeric test and confirms a positive answer exactly when the
    network is exact and small (hidden units <= 12).

    Parameters
    ----------
    net : Network
        The network.
    method : {"auto", "numeric", "exact"}, default "auto"
        How to decide (above).
    points : int, default 256
        The number of random points of the numeric test.
    seed : int, default 0
        Seed of the random points.
    tol : float, default GEOMETRY_RTOL
        Relative tolerance of the numeric comparison.

    Examples
    --------
    >>> net = deepsets_network(3, 2, 2, seed=1)
    >>> permutation_invariant(net, "exact").invariant
    True
    """
    if method not in ("auto", "numeric", "exact"):
        raise TropnetError(f"unknown method {method!r} (expected auto, numeric or exact)")
    n = net.input_dim
    if n == 1:
        return SymmetryCheck(True, "exact")
    gens = _generators(n)
    numeric = _numeric(net, gens, points, seed, tol)
    if method == "numeric" or not numeric.invariant:
        return numeric
    small = sum(net.hidden_widths) <= 12 and net.exact_input
    if method == "exact" or small:
        return _exact(net, gens)
    return numeric


def require_invariant(net: Network, points: int = 256, seed: int = 0,
                      tol: float = GEOMETRY_RTOL) -> SymmetryCheck:
    """Verify a user's assertion of permutation invariance on random points; raise
    :class:`~tropnet.errors.NetworkError` with a witness when it fails.

    Parameters
    ----------
    net : Network
        The network.
    points : int, default 256
        The number of random points.
    seed : int, default 0
        Seed of the random points.
    tol : float, default GEOMETRY_RTOL
        Relative tolerance of the comparison.
    """
    check = permutation_invariant(net, "numeric", points, seed, tol)
    if not check.invariant:
        x, perm = check.witness  # type: ignore[misc]
        pts = ", ".join(f"{float(v):.4g}" for v in x)
        raise NetworkError(f"the network is not invariant under permuting its inputs: "
                           f"permutation {list(perm)} changes the output at ({pts})")
    return check


def deepsets_network(n: int, phi_width: int = 3, rho_width: int = 3, seed: int = 0,
                     denominator: int = 4) -> Network:
    """A random permutation-invariant network (DeepSets, Zaheer et al. 2017):
    ``rho(sum_i phi(x_i))`` with a one-layer ReLU ``phi: R -> R^phi_width`` shared by the
    coordinates, sum pooling folded into the first layer of ``rho`` (ReLU, ``rho_width``
    units) and a scalar identity output. Weights are small fractions ``k/denominator``.

    Parameters
    ----------
    n : int
        The input dimension (set size).
    phi_width : int, default 3
        Width of ``phi``.
    rho_width : int, default 3
        Width of ``rho``'s hidden layer.
    seed : int, default 0
        Seed of the random weights.
    denominator : int, default 4
        The weights' denominator.
    """
    rng = np.random.default_rng(seed)

    def frac(values: np.ndarray) -> list:
        return [[Fraction(int(v), denominator) for v in row] for row in values]

    w = rng.integers(-2 * denominator, 2 * denominator + 1, size=(phi_width, 1))
    w[w == 0] = denominator
    c = rng.integers(-denominator, denominator + 1, size=phi_width)
    W1 = np.kron(np.eye(n, dtype=int), w)
    b1 = np.tile(c, n)
    V = rng.integers(-2 * denominator, 2 * denominator + 1, size=(rho_width, phi_width))
    W2 = np.tile(V, (1, n))
    b2 = rng.integers(-denominator, denominator + 1, size=rho_width)
    u = rng.integers(-2 * denominator, 2 * denominator + 1, size=(1, rho_width))
    return Network.from_lists(n, [
        (frac(W1), frac(b1.reshape(1, -1))[0], "relu"),
        (frac(W2), frac(b2.reshape(1, -1))[0], "relu"),
        (frac(u), [0], "identity"),
    ])


# -- implementation ------------------------------------------------------------------------

def _generators(n: int) -> list[tuple[int, ...]]:
    swap = (1, 0, *range(2, n))
    cycle = (*range(1, n), 0)
    return [swap] if n == 2 else [swap, cycle]


def _numeric(net: Network, gens: list[tuple[int, ...]], points: int, seed: int, tol: float
             ) -> SymmetryCheck:
    rng = np.random.default_rng(seed)
    n = net.input_dim
    scales = np.repeat([0.1, 1.0, 10.0, 100.0], max(1, points // 4))[:, None]
    X = rng.uniform(-1, 1, size=(len(scales), n)) * scales
    Y = net.forward_batch(X)
    extra = [tuple(rng.permutation(n)) for _ in range(2)]
    for perm in [*gens, *extra]:
        Yp = net.forward_batch(X[:, list(perm)])
        gap = np.abs(Yp - Y).max(axis=1)
        bound = tol * (1.0 + np.abs(Y).max(axis=1) + np.abs(X).max(axis=1))
        bad = np.flatnonzero(gap > bound)
        if len(bad):
            k = int(bad[np.argmax(gap[bad] - bound[bad])])
            return SymmetryCheck(False, "numeric", len(X), tol, (tuple(X[k]), perm))
    return SymmetryCheck(True, "numeric", len(X), tol)


def _exact(net: Network, gens: list[tuple[int, ...]]) -> SymmetryCheck:
    arith = resolve(None, net)
    for r in compile_network(net, prune=True, exact=arith):
        f, g = r.numerator, r.denominator
        for perm in gens:
            fs = TropicalPolynomial(f.exponents[:, list(perm)], f.coefficients, f.arith)
            gs = TropicalPolynomial(g.exponents[:, list(perm)], g.coefficients, g.arith)
            if not (fs & g).equals(f & gs):
                return SymmetryCheck(False, "exact" if arith.exact else "numeric",
                                     witness=None)
    return SymmetryCheck(True, "exact" if arith.exact else "numeric")

"""Analytical bounds on the number of regions of ReLU and maxout networks.

Every function here returns an exact Python ``int`` computed with integer
arithmetic only (binomials via :func:`math.comb`), never a float; the one
exception is :func:`maps_eta`, which is a real number by definition.

Architectures are given as the input dimension ``n0`` and the hidden widths
``widths = (n_1, ..., n_L)`` (the output layer is linear and does not count).
A function returns ``None`` when the theorem's hypotheses do not hold for the
architecture (for instance Theorem 7 of Serra et al. needs ``n0 = 1`` and
every ``n_l >= 3``); malformed input (negative widths, no layers) raises
:class:`~tropnet.errors.NetworkError`.

Which regions are counted
-------------------------
Serra, Tjandraatmadja & Ramalingam (2018) define a region as the set of inputs
sharing an *activation pattern* (their Definition 1, ``kind="activation"`` in
:mod:`tropnet.regions`); their upper bounds hold for both that notion and the
*linear regions* of Montúfar et al. (maximal connected sets on which the map
is affine), because every linear region contains an activation region. Lower
bounds are statements about the maximum over all weights; each docstring says
which notion the theorem's construction attains (see
:mod:`tropnet.constructions`, where the constructions are built and checked).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..activations import Activation, Maxout, ReLU
from ..arithmetic import parse_number
from ..errors import NetworkError
from ..limits import check_size

__all__ = [
    "architecture_bounds",
    "maps_eta",
    "matrix_rank",
    "maxout_one_layer_max",
    "montufar2014_lower",
    "montufar2017_upper",
    "nakahara2024_ternary_lower",
    "nakahara_montufar_count",
    "network_bounds",
    "serra2018_corollary3",
    "serra2018_prop13",
    "serra2018_theorem7",
    "serra2018_theorem8_lower",
    "serra2018_theorem9_lower",
    "serra2018_theorem10_maxout_upper",
    "serra2018_upper",
    "zaslavsky",
    "zaslavsky_rank",
]

#: the most work (word operations, estimated) of one exact bound: about ten seconds
MAX_BOUND_WORK = 2 * 10**12


# ---------------------------------------------------------------------------
# hyperplane arrangements
# ---------------------------------------------------------------------------
def zaslavsky(m: int, d: int) -> int:
    """Regions of ``m`` affine hyperplanes in general position in ``R^d``.

    Zaslavsky (1975): ``sum_{j=0}^{d} C(m, j)``, the maximum over all
    arrangements of ``m`` hyperplanes in ``R^d``, attained exactly when they
    are in general position. It is the exact maximal number of (activation,
    and generically linear) regions of a one-layer ReLU network with ``m``
    units on ``R^d``.

    Parameters
    ----------
    m : int
        The number of hyperplanes, ``m >= 0``.
    d : int
        The dimension, ``d >= 0``.

    Examples
    --------
    >>> zaslavsky(2, 2), zaslavsky(3, 2), zaslavsky(3, 5)
    (4, 7, 8)
    """
    m, d = _nonneg(m, "m"), _nonneg(d, "d")
    return _binom_prefix(m, d)


def zaslavsky_rank(m: int, rank: int) -> int:
    """Serra et al. 2018, Lemma 4: regions of ``m`` hyperplanes ``W x + b = 0``
    are at most ``sum_{j=0}^{rank(W)} C(m, j)``.

    An upper bound for any arrangement whose normal matrix ``W`` has the given
    rank (the regions of ``R^d`` are those of the row space of ``W``).

    Parameters
    ----------
    m : int
        The number of hyperplanes, ``m >= 0``.
    rank : int
        The rank of the normal matrix ``W``, ``0 <= rank <= m``.

    Examples
    --------
    >>> zaslavsky_rank(3, 1)  # three parallel lines cut the plane into 4 strips
    4
    """
    m, rank = _nonneg(m, "m"), _nonneg(rank, "rank")
    if rank > m:
        raise NetworkError(f"rank {rank} exceeds the number of hyperplanes {m}")
    return _binom_prefix(m, rank)


# ---------------------------------------------------------------------------
# ReLU networks: upper bounds
# ---------------------------------------------------------------------------
def montufar2017_upper(n0: int, widths: Sequence[int]) -> int:
    """Montúfar (2017) upper bound: ``prod_l sum_{j=0}^{d_l} C(n_l, j)``,
    ``d_l = min(n0, n_1, ..., n_l)``.

    Bounds the number of activation regions (hence also linear regions) of
    every ReLU network with these widths on ``R^{n0}``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``.

    Examples
    --------
    >>> montufar2017_upper(1, [3, 3])
    16
    """
    n0, ws = _architecture(n0, widths)
    out, d = 1, n0
    for n in ws:
        d = min(d, n)
        out *= _binom_prefix(n, d)
    return out


def serra2018_upper(n0: int, widths: Sequence[int],
                    ranks: Sequence[int] | None = None) -> int:
    """Serra, Tjandraatmadja & Ramalingam (2018), Theorem 1 (with the rank refinement).

    ``sum_{(j_1..j_L) in J} prod_l C(n_l, j_l)`` where
    ``J = {0 <= j_l <= min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, r_l)}`` and
    ``r_l = n_l``, or ``rank(W^l)`` when ``ranks`` are given (the remark after
    the proof of Theorem 1). Bounds the number of activation regions (Serra's
    Definition 1), hence also of linear regions, of every ReLU network with
    these widths (and weight ranks) on ``R^{n0}``; tight for ``L = 1``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``.
    ranks : sequence of int or None, default None
        ``rank(W^l)`` per layer (``0 <= r_l <= min(n_l, n_{l-1})``); ``None`` uses
        ``r_l = n_l``.

    Notes
    -----
    Computed by the paper's recurrence ``R(l, d) = sum_{j=0}^{min(d, r_l)}
    C(n_l, j) R(l+1, min(d, n_l - j))``, ``R(L+1, .) = 1``, as a dynamic
    programme over the dimension ``d in 0..n0``: with prefix sums each layer
    costs ``O(n0 + n_l)`` big-integer operations, so ``n0 = 784`` with ten
    layers takes milliseconds (enumerating ``J`` would be astronomically slow).

    Examples
    --------
    Values given in Appendix A of the paper:

    >>> serra2018_upper(4, [3, 2, 1]), serra2018_upper(4, [4, 1, 1])
    (47, 46)
    """
    n0, ws = _architecture(n0, widths)
    rs = _ranks(ws, ranks)
    # the dimension d never exceeds n_1 after the first layer and j_1 <= r_1 <= n_1, so
    # R(1, n0) = R(1, min(n0, n_1)): a large input dimension costs nothing
    n0 = min(n0, ws[0])
    # each layer multiplies about n0 integers of up to sum(widths) bits (Karatsuba: bits^1.585)
    work = len(ws) * (n0 + 1) * int(sum(ws) ** 1.585)
    check_size(work, f"Serra et al.'s Theorem 1 bound for input dimension {n0} and widths "
               f"summing to {sum(ws):,}", "use fewer or narrower layers", limit=MAX_BOUND_WORK)
    nxt = [1] * (n0 + 1)  # R(L+1, d) for d = 0..n0
    for n, r in zip(reversed(ws), reversed(rs), strict=True):
        binoms = _binomials(n)
        prefix = _prefix(binoms)  # prefix[k] = sum_{j<k} C(n, j)
        # q[k] = sum_{j0 <= j < k} C(n, j) R(l+1, n - j), for j with n - j <= n0
        j0 = max(0, n - n0)
        q = [0] * (n + 2)
        for j in range(j0, n + 1):
            q[j + 1] = q[j] + binoms[j] * nxt[n - j]
        cur = [0] * (n0 + 1)
        for d in range(n0 + 1):
            top = min(d, r)
            total = 0
            split = min(top, n - d)  # j <= n - d keeps the dimension d
            if split >= 0:
                total += nxt[d] * prefix[split + 1]
            lo = max(0, n - d + 1)  # j > n - d: the dimension drops to n - j
            if lo <= top:
                total += q[top + 1] - q[lo]
            cur[d] = total
        nxt = cur
    return nxt[n0]


def serra2018_theorem7(widths: Sequence[int], n0: int = 1) -> int | None:
    """Serra et al. 2018, Theorem 7: for ``n0 = 1`` and every ``n_l >= 3`` the
    maximal number of regions is exactly ``prod_l (n_l + 1)``.

    The maximum over all weights of the number of activation regions on ``R``;
    the construction of the proof (Appendix D,
    :func:`tropnet.constructions.serra2018_theorem7`) attains it, and its
    adjacent regions carry different affine maps, so it is also the maximal
    number of linear regions. Returns ``None`` unless ``n0 = 1`` and all
    widths are at least 3 (Theorem 1 then still gives an upper bound).

    Parameters
    ----------
    widths : sequence of int
        The hidden widths ``n_1..n_L``.
    n0 : int, default 1
        The input dimension.

    Examples
    --------
    >>> serra2018_theorem7([3, 4]), serra2018_theorem7([2, 4])
    (20, None)
    """
    n0, ws = _architecture(n0, widths)
    if n0 != 1 or min(ws) < 3:
        return None
    return math.prod(n + 1 for n in ws)


def serra2018_prop13(n0: int, n1: int, n2: int) -> int:
    """Serra et al. 2018, Proposition 13: ``B(n0, n1, n2) <= sum_{j=0}^{n1} C(n1 + n2, j)``,
    with equality when ``n0 >= n1`` and ``n0 >= n2`` (``B`` is Theorem 1's bound).

    Returns the closed form ``sum_{j=0}^{n1} C(n1 + n2, j)``; it is the exact
    Theorem 1 bound (activation regions) of a two-layer network when
    ``n0 >= max(n1, n2)``, else an upper bound on it.

    Parameters
    ----------
    n0 : int
        The input dimension.
    n1, n2 : int
        The widths of the two hidden layers.

    Examples
    --------
    >>> serra2018_prop13(5, 2, 3) == serra2018_upper(5, [2, 3])
    True
    """
    _nonneg(n0, "n0")
    n1, n2 = _positive(n1, "n1"), _positive(n2, "n2")
    return _binom_prefix(n1 + n2, n1)


def serra2018_corollary3(n0: int, n: int, depth: int) -> tuple[int, int]:
    """Serra et al. 2018, Corollary 3: if ``L >= 2`` and ``n0 >= L n`` then
    ``R(n0, n, ..., n) < R(n0, L n)`` (a deep net has fewer regions than the
    shallow net with the same units).

    Returns ``(B(n0, n x L), R(n0, L n))``: Theorem 1's upper bound for ``L``
    layers of width ``n`` and the exact maximum ``sum_{j<=n0} C(Ln, j)`` for one
    layer of ``L n`` units (both activation regions). The corollary says the
    first is smaller than the second under its hypotheses.

    Parameters
    ----------
    n0 : int
        The input dimension.
    n : int
        The width of each of the ``L`` layers.
    depth : int
        The number of layers ``L``.

    Examples
    --------
    >>> b, r = serra2018_corollary3(6, 3, 2); b < r
    True
    """
    n0 = _nonneg(n0, "n0")
    n, depth = _positive(n, "n"), _positive(depth, "depth")
    return serra2018_upper(n0, [n] * depth), zaslavsky(depth * n, n0)


# ---------------------------------------------------------------------------
# ReLU networks: lower bounds (maximum over the weights)
# ---------------------------------------------------------------------------
def montufar2014_lower(n0: int, widths: Sequence[int]) -> int | None:
    """Montúfar, Pascanu, Cho & Bengio (2014), Theorem 5 (as quoted by Serra et al. 2018):
    ``(prod_{l<L} floor(n_l / n0)^{n0}) * sum_{j=0}^{n0} C(n_L, j)`` when every ``n_l >= n0``.

    A lower bound on the maximal number of linear regions (Montúfar's notion:
    maximal connected sets where the map is affine). The construction is
    :func:`tropnet.constructions.montufar2014` (the last layer an arrangement
    in general position; with ``last_layer="zigzag"`` it is the equal-width
    form of Nakahara et al.'s Proposition 1, :func:`nakahara_montufar_count`).
    Returns ``None`` when some ``n_l < n0``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``.

    Examples
    --------
    >>> montufar2014_lower(1, [2, 2, 2])
    12
    """
    n0, ws = _architecture(n0, widths)
    if min(ws) < n0:
        return None
    return math.prod((n // n0) ** n0 for n in ws[:-1]) * _binom_prefix(ws[-1], n0)


def nakahara_montufar_count(n0: int, width: int, depth: int) -> int:
    """Nakahara, Kobayashi & Matsushima, Proposition 1 (Montúfar et al. 2014):
    ``p^{n0 (L-1)}`` with ``p = floor(n / n0)``.

    Here ``depth`` is the number of hidden ReLU layers, i.e. their ``L - 1``
    (their depth ``L`` counts the affine maps, the last one linear). It is the
    exact number of linear regions on ``[0,1]^{n0}`` of the network of their
    equations (5)-(7), :func:`tropnet.constructions.montufar2014` with
    ``last_layer="zigzag"``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    width : int
        The width ``n`` of every hidden layer.
    depth : int
        The number of hidden ReLU layers.

    Examples
    --------
    >>> nakahara_montufar_count(2, 4, 2)
    16
    """
    n0, width, depth = _positive(n0, "n0"), _positive(width, "width"), _positive(depth, "depth")
    return (width // n0) ** (n0 * depth)


def serra2018_theorem8_lower(n0: int, widths: Sequence[int]) -> int | None:
    """Serra et al. 2018, Theorem 8:
    ``(prod_{l<L} (floor(n_l / n0) + 1)^{n0}) * sum_{j=0}^{n0} C(n_L, j)``.

    A lower bound on the maximal number of activation regions (Serra's
    Definition 1) on ``R^{n0}``. The theorem is stated for ``n_l >= 3 n0`` for
    all ``l``; its proof (``n0`` copies of the one-dimensional construction of
    Theorem 7 followed by an arrangement in general position) uses it only
    for ``l < L``, and so do we: the value is returned when ``n_l >= 3 n0``
    for every layer but the last, else ``None``. The construction,
    :func:`tropnet.constructions.serra2018_theorem8`, is counted exactly in
    the tests.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``.

    Examples
    --------
    >>> serra2018_theorem8_lower(1, [3, 3])
    16
    """
    n0, ws = _architecture(n0, widths)
    if any(n < 3 * n0 for n in ws[:-1]):
        return None
    return math.prod((n // n0 + 1) ** n0 for n in ws[:-1]) * _binom_prefix(ws[-1], n0)


def serra2018_theorem9_lower(n0: int, m: int, w: int, depth: int) -> int | None:
    """Serra et al. 2018, Theorem 9: a network with ``n0`` inputs and ``L`` hidden
    layers, the first of width ``2m`` and the others of width ``w``, with
    ``2 sum_{j=0}^{n0-1} C(m-1, j) (w + 1)^{L-1}`` activation regions.

    A lower bound on the maximal number of activation regions (Serra's
    Definition 1) on ``R^{n0}`` for that architecture.

    The paper states it for ``m >= 1`` and ``w >= 2``. Its proof composes the
    first layer (a central arrangement, Arora et al. 2018) with the
    one-dimensional construction of Theorem 7, which needs ``w >= 3`` for
    every layer that must be followed by another one: with two units a
    layer cannot produce three pieces that each cover the next layer's
    breakpoints (the slopes of a zig-zag would have to alternate while the
    slope left of both breakpoints equals the sum of the left-pointing units'
    slope changes; no choice of directions satisfies both). We therefore
    return the value for ``w >= 1`` when ``L <= 2`` (the last layer only needs
    ``w`` breakpoints) and for ``w >= 3`` when ``L >= 3``; ``None`` otherwise.

    Parameters
    ----------
    n0 : int
        The input dimension.
    m : int
        Half the width of the first hidden layer.
    w : int
        The width of the other hidden layers.
    depth : int
        The number of hidden layers ``L``.

    Examples
    --------
    >>> serra2018_theorem9_lower(2, 3, 3, 2)
    24
    """
    n0, m = _positive(n0, "n0"), _positive(m, "m")
    w, depth = _positive(w, "w"), _positive(depth, "depth")
    if depth >= 3 and w < 3:
        return None
    first = 2 * _binom_prefix(m - 1, n0 - 1)
    return first * (w + 1) ** (depth - 1)


def nakahara2024_ternary_lower(n0: int, width: int, depth: int) -> int | None:
    """Nakahara, Kobayashi & Matsushima, Theorem 1 (ternary ReLU networks):
    ``q^{n0 (L' - 1) / 2}`` with ``q = floor(n / (2 (n0 + 1)))`` and ``L'`` the
    largest odd number ``<= L``.

    ``depth`` is their ``L``: the number of affine maps (``L - 1`` hidden
    layers of width ``n``; odd hidden layers are identity, even ones ReLU;
    all weights and biases in ``{-1, 0, 1}``). A lower bound on the maximal
    number of linear regions, attained on ``[0,1]^{n0}`` by
    :func:`tropnet.constructions.nakahara2024_ternary`. Returns ``None`` when
    ``q = 0`` (width below ``2 (n0 + 1)``), where the theorem says nothing.

    Parameters
    ----------
    n0 : int
        The input dimension.
    width : int
        The width ``n`` of every hidden layer.
    depth : int
        Their ``L``, the number of affine maps.

    Examples
    --------
    >>> nakahara2024_ternary_lower(1, 12, 5)
    9
    """
    n0, width, depth = _positive(n0, "n0"), _positive(width, "width"), _positive(depth, "depth")
    q = width // (2 * (n0 + 1))
    if q == 0:
        return None
    odd = depth if depth % 2 else depth - 1
    return q ** (n0 * (odd - 1) // 2)


# ---------------------------------------------------------------------------
# maxout networks
# ---------------------------------------------------------------------------
def serra2018_theorem10_maxout_upper(n0: int, widths: Sequence[int], k: int) -> int:
    """Serra et al. 2018, Theorem 10: rank-``k`` maxout networks have at most
    ``prod_l sum_{j=0}^{d_l} C(k(k-1)/2 * n_l, j)`` regions, ``d_l = min(n0, n_1..n_l)``.

    Bounds the activation regions (patterns of maximising pieces) and hence
    the linear regions on ``R^{n0}``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L`` (maxout units).
    k : int
        The maxout rank.

    Examples
    --------
    >>> serra2018_theorem10_maxout_upper(1, [1], 3)
    4
    """
    n0, ws = _architecture(n0, widths)
    k = _positive(k, "maxout rank k")
    pairs = k * (k - 1) // 2
    out, d = 1, n0
    for n in ws:
        d = min(d, n)
        out *= _binom_prefix(pairs * n, d)
    return out


def maxout_one_layer_max(n0: int, n: int, k: int) -> int:
    """The maximal number of regions of one layer of ``n`` rank-``k`` maxout units
    on ``R^{n0}``: ``sum_{j=0}^{n0} C(n, j) (k - 1)^j``.

    The sharp bound of Montúfar, Ren & Zhang (2022, "Sharp bounds for the
    number of regions of maxout networks and vertices of Minkowski sums") for
    shallow maxout networks; ``k = 2`` gives Zaslavsky's count, ``n0 >= n``
    gives ``k^n`` (every combination of pieces). It bounds activation and
    linear regions; it is at most Theorem 10 with one layer (tested).

    Parameters
    ----------
    n0 : int
        The input dimension.
    n : int
        The number of maxout units.
    k : int
        The maxout rank.

    Examples
    --------
    >>> maxout_one_layer_max(1, 3, 4), maxout_one_layer_max(3, 2, 3)
    (10, 9)
    """
    n0, n, k = _nonneg(n0, "n0"), _positive(n, "n"), _positive(k, "maxout rank k")
    return sum(math.comb(n, j) * (k - 1) ** j for j in range(min(n0, n) + 1))


# ---------------------------------------------------------------------------
# MAPS
# ---------------------------------------------------------------------------
def maps_eta(count: int) -> float:
    """Serra & Ramalingam (2020): Minimum Activation Pattern Size ``eta = log2(N)``.

    The number of units any network needs to define ``N`` regions (as a real
    number; exact for powers of two). Works for integers of any size.

    Parameters
    ----------
    count : int
        The number of regions ``N >= 1``.

    Examples
    --------
    >>> maps_eta(1024), maps_eta(1)
    (10.0, 0.0)
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise NetworkError(f"MAPS needs a positive integer count, got {count!r}")
    return math.log2(int(count))


# ---------------------------------------------------------------------------
# all bounds of an architecture or a network
# ---------------------------------------------------------------------------
def architecture_bounds(n0: int, widths: Sequence[int], maxout_rank: int | None = None,
                        ranks: Sequence[int] | None = None) -> dict[str, int]:
    """Every analytical bound that covers the architecture, keyed by name.

    ReLU (``maxout_rank`` None): ``montufar2014_lower``, ``serra2018_lower``
    (Theorem 8), ``montufar2017_upper``, ``serra2018_upper`` (Theorem 1, with
    ``ranks`` when given), ``one_dim_exact`` (Theorem 7). Keys whose theorem
    does not cover the architecture are omitted.

    Maxout of rank ``k``: ``maxout_upper`` (Theorem 10), ``maxout_one_layer_max``
    for one layer, and the ReLU lower bounds (a rank-``k >= 2`` maxout unit can
    compute ``max(z, 0)``, so every ReLU network is a maxout network of the same
    widths); the ReLU upper bounds do not apply and are omitted.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``.
    maxout_rank : int or None, default None
        The maxout rank ``k``; ``None`` for ReLU.
    ranks : sequence of int or None, default None
        The weight ranks for Theorem 1's refinement (ReLU only).
    """
    n0, ws = _architecture(n0, widths)
    out: dict[str, int | None] = {}
    if maxout_rank is None or maxout_rank >= 2:
        out["montufar2014_lower"] = montufar2014_lower(n0, ws)
        out["serra2018_lower"] = serra2018_theorem8_lower(n0, ws)
    if maxout_rank is None:
        out["montufar2017_upper"] = montufar2017_upper(n0, ws)
        out["serra2018_upper"] = serra2018_upper(n0, ws, ranks)
        out["one_dim_exact"] = serra2018_theorem7(ws, n0)
    else:
        out["maxout_upper"] = serra2018_theorem10_maxout_upper(n0, ws, maxout_rank)
        if len(ws) == 1:
            out["maxout_one_layer_max"] = maxout_one_layer_max(n0, ws[0], maxout_rank)
    return {k: v for k, v in out.items() if v is not None}


def network_bounds(net: Any) -> dict[str, Any]:
    """The bounds of :func:`architecture_bounds` for a network's architecture.

    Identity hidden layers are multiplied into the following layer first (an
    equivalent network). For ReLU networks the rank-refined Theorem 1 with
    the exact ranks of the weight matrices is added as ``serra2018_upper_rank``.
    Leaky-ReLU and mixed networks are not covered by any of these theorems
    (raises :class:`~tropnet.errors.NetworkError`).

    Networks with convolutional layers (``meta["type"] == "conv"``) keep only
    the upper bounds: the lower bounds and Theorem 7 are maxima over dense
    layers of the same widths.

    Returns ``{"input_dim", "widths", "activation", "maxout_rank", "bounds"}``
    (and ``"weight_ranks"``, ``"note"`` where they apply).

    Parameters
    ----------
    net : Network
        A network whose hidden layers are all ReLU or all maxout (identity layers allowed).
    """
    weights, acts = _collapse_identity(net)
    if not weights:
        raise NetworkError("the network has no hidden ReLU or maxout layer; every bound is 1")
    relu = all(isinstance(a, ReLU) for a in acts)
    if not relu and not all(isinstance(a, Maxout) for a in acts):
        raise NetworkError("the analytical bounds cover networks whose hidden layers are all "
                           f"ReLU or all maxout of one rank; this one has "
                           f"{sorted({a.name for a in acts})}")
    ranks_k = [a.rank for a in acts]
    widths = [w.shape[0] // k for w, k in zip(weights, ranks_k, strict=True)]
    if not relu:  # all maxout
        if len(set(ranks_k)) > 1:
            raise NetworkError(f"maxout layers of different ranks {sorted(set(ranks_k))}")
        k = ranks_k[0]
        return {"input_dim": net.input_dim, "widths": widths, "activation": "maxout",
                "maxout_rank": k, "bounds": architecture_bounds(net.input_dim, widths, k)}
    bounds = architecture_bounds(net.input_dim, widths)
    ranks = [matrix_rank(w) for w in weights]
    bounds["serra2018_upper_rank"] = serra2018_upper(net.input_dim, widths, ranks)
    out = {"input_dim": net.input_dim, "widths": widths, "activation": "relu",
           "maxout_rank": None, "weight_ranks": ranks, "bounds": bounds}
    if any((layer.meta or {}).get("type") == "conv" for layer in net.layers):
        # the lower bounds are maxima over dense layers of these widths, not over conv layers
        for key in ("montufar2014_lower", "serra2018_lower", "one_dim_exact"):
            bounds.pop(key, None)
        out["note"] = ("convolutional layers: the lower bounds (maxima over dense layers of "
                       "these widths) are omitted; the upper bounds hold")
    return out


def matrix_rank(matrix: Any) -> int:
    """The exact rank of a rational matrix (Fractions, ints or exact floats).

    Rows are scaled to integers; the rank modulo the prime ``2^31 - 1`` is a
    lower bound on the rank over the rationals, so when it is full it is the
    answer; otherwise the rank is recomputed by exact fraction elimination.

    Parameters
    ----------
    matrix : array_like
        A 2-d matrix of ints, Fractions, rational strings or floats (read exactly).

    Examples
    --------
    >>> matrix_rank([[1, 2], [2, 4]]), matrix_rank([[1, 0], [0, "1/3"]])
    (1, 2)
    """
    arr = np.asarray(matrix, dtype=object)
    if arr.ndim != 2:
        raise NetworkError(f"matrix_rank needs a 2-d matrix, got shape {arr.shape}")
    rows, cols = arr.shape
    if rows == 0 or cols == 0:
        return 0
    fr = [[parse_number(v)[0] for v in row] for row in arr]
    ints = []
    for row in fr:
        scale = math.lcm(*(v.denominator for v in row))
        ints.append([int(v * scale) for v in row])
    full = min(rows, cols)
    if _rank_mod_p(ints) == full:
        return full
    return _rank_fraction(fr)


# ---------------------------------------------------------------------------
# private helpers
# ---------------------------------------------------------------------------
def _nonneg(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise NetworkError(f"{name} must be a non-negative integer, got {v!r}")
    return int(v)


def _positive(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise NetworkError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def _architecture(n0: Any, widths: Sequence[Any]) -> tuple[int, list[int]]:
    n0 = _positive(n0, "input dimension n0")
    ws = [_positive(w, f"width n_{i + 1}") for i, w in enumerate(widths)]
    if not ws:
        raise NetworkError("give at least one hidden layer width")
    return n0, ws


def _ranks(ws: list[int], ranks: Sequence[Any] | None) -> list[int]:
    if ranks is None:
        return list(ws)
    rs = [_nonneg(r, f"rank r_{i + 1}") for i, r in enumerate(ranks)]
    if len(rs) != len(ws):
        raise NetworkError(f"{len(rs)} ranks given for {len(ws)} layers")
    for i, (r, n) in enumerate(zip(rs, ws, strict=True)):
        if r > n:
            raise NetworkError(f"rank r_{i + 1} = {r} exceeds the width n_{i + 1} = {n}")
    return rs


def _binomials(n: int, top: int | None = None) -> list[int]:
    """``[C(n, 0), ..., C(n, top)]`` by the multiplicative recurrence (``top`` <= n)."""
    top = n if top is None else min(n, top)
    out = [1]
    for j in range(top):
        out.append(out[-1] * (n - j) // (j + 1))
    return out


def _binom_prefix(m: int, d: int) -> int:
    """``sum_{j=0}^{min(m, d)} C(m, j)``."""
    return sum(_binomials(m, d))


def _prefix(values: list[int]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out


_P = 2**31 - 1


def _rank_mod_p(rows: list[list[int]]) -> int:
    a = np.array([[v % _P for v in row] for row in rows], dtype=np.int64)
    rank, (m, n) = 0, a.shape
    for col in range(n):
        piv = next((i for i in range(rank, m) if a[i, col]), None)
        if piv is None:
            continue
        a[[rank, piv]] = a[[piv, rank]]
        inv = pow(int(a[rank, col]), _P - 2, _P)
        a[rank] = (a[rank] * inv) % _P
        below = a[rank + 1:, col].copy()
        if below.any():
            # (x * y) % P with x, y < 2^31 fits in int64
            a[rank + 1:] = (a[rank + 1:] - (below[:, None] * a[rank][None, :]) % _P) % _P
        rank += 1
        if rank == m:
            break
    return rank


def _rank_fraction(rows: list[list[Fraction]]) -> int:
    a = [list(r) for r in rows]
    rank, m, n = 0, len(a), len(a[0])
    for col in range(n):
        piv = next((i for i in range(rank, m) if a[i][col] != 0), None)
        if piv is None:
            continue
        a[rank], a[piv] = a[piv], a[rank]
        p = a[rank][col]
        for i in range(rank + 1, m):
            f = a[i][col] / p
            if f:
                a[i] = [x - f * y for x, y in zip(a[i], a[rank], strict=True)]
        rank += 1
    return rank


def _collapse_identity(net: Any) -> tuple[list[np.ndarray], list[Activation]]:
    """The weights and activations of the non-identity layers, identity layers multiplied
    into the next one.

    Trailing identity layers are the linear output and are dropped; a final
    ReLU layer counts as a hidden layer (its units cut regions too).
    """
    weights, acts = [], []
    pending = None  # (W, b) of accumulated identity layers
    for layer in net.layers:
        w, b = layer.weight, layer.bias
        if pending is not None:
            pw, pb = pending
            w, b = w.dot(pw), w.dot(pb) + b
            pending = None
        if not layer.act.patterned:
            pending = (w, b)
            continue
        weights.append(np.asarray(w, dtype=object))
        acts.append(layer.act)
    return weights, acts

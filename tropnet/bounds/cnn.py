"""Regions of one convolutional ReLU layer with generic weights (Xiong et al. 2024).

One conv layer (input ``H x W x C``, filter ``fh x fw``, stride, ``D`` output
channels; conventions of :mod:`tropnet.conv`) puts ``D`` hyperplanes at every
output position ``p``; their normals are supported on the receptive field
``S_p`` (all input channels of the ``fh x fw`` window). For generic kernels and
biases the arrangement's regions are counted by its independent subsets of
normals (Zaslavsky), and a generic matrix with a prescribed zero pattern has
independent rows iff the rows can be matched to distinct columns of their
supports (Hall's condition). Choosing ``t_p`` of the ``D`` hyperplanes at each
position, the number of regions on ``R^n`` is

    sum over t = (t_p), 0 <= t_p <= D, with sum_{p in Q} t_p <= |U_{p in Q} S_p|
    for every set Q of positions, of prod_p C(D, t_p)

(Xiong, Huang, Zang, Zhen, Xie, Gu & Song, TPAMI 2024, the maximal number of
linear regions of a one-layer ReLU CNN, restated in DESIGN.md). It counts the
activation regions of the layer on ``R^n``; for generic output weights these
are also its linear regions.

Where it is exact, and where it is not
--------------------------------------
The restatement treats the lowered matrix as a *generic matrix with a zero
pattern*; a conv matrix is also *weight-shared*. When the output positions
form one row or column (1-D inputs, any number of channels) the formula
agrees with exact counts of random conv layers in every case we tried, and
the Hall-feasible choices are exactly the independent ones (tested). In 2-D
layouts weight sharing can force dependencies that the zero pattern allows
to be independent: with one input channel the rows of output channel ``c``
are the shifts ``x^j y^i K_c(x, y)`` of the kernel polynomial, and
``K_2 * K_1 - K_1 * K_2 = 0`` is a relation among the rows of two channels.
For a ``3x3x1`` input, ``2x2`` filter, stride 1 and 2 channels the formula
gives ``2^8 = 256`` but every kernel gives 255 regions (the 8 normals have
rank 7). Since sharing only removes independent sets, the formula is then an
upper bound on the maximal number of regions. Whether the paper restricts
its theorem (we only have its abstract) we cannot tell.

The multi-layer CNN bounds of the paper are not implemented: the available
text does not state them. :func:`tropnet.bounds.serra2018_upper` applies to
the lowered dense network, with :func:`conv_rank_bound` for its refinement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..conv import conv_spec
from ..errors import NetworkError, TooLargeError

__all__ = ["conv_rank_bound", "hall_feasible", "is_line_layout", "receptive_fields",
           "xiong2024_one_layer"]

#: Default cap on the search nodes of the general (2-D) enumeration.
MAX_NODES = 2_000_000


def receptive_fields(input: Sequence[int], filter: Sequence[int],
                     stride: int | Sequence[int] = 1) -> list[tuple[int, ...]]:
    """The receptive field ``S_p`` (flattened input coordinates) of every output position.

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``.
    stride : int or sequence of int, default 1
        The stride, or ``(sh, sw)``.

    Examples
    --------
    >>> receptive_fields([1, 4, 1], [1, 2], 2)
    [(0, 1), (2, 3)]
    """
    spec = _spec(input, filter, stride, 1)
    return [spec.receptive_field(i, j) for i, j in spec.positions()]


def hall_feasible(t: Sequence[int], fields: Sequence[Sequence[int]]) -> bool:
    """Whether ``t_p`` rows supported on ``fields[p]`` can be matched to distinct columns.

    Hall's condition ``sum_{p in Q} t_p <= |U_{p in Q} S_p|`` for every ``Q``,
    decided by augmenting paths (a maximum b-matching), not by listing the
    sets ``Q``.

    Parameters
    ----------
    t : sequence of int
        The number of rows ``t_p`` of every position ``p``.
    fields : sequence of sequence of int
        The columns ``S_p`` each position's rows may use.

    Examples
    --------
    >>> hall_feasible([2, 2], [(0, 1), (1, 2)]), hall_feasible([2, 1], [(0, 1), (1, 2)])
    (False, True)
    """
    if len(t) != len(fields):
        raise NetworkError(f"{len(t)} counts for {len(fields)} positions")
    m = _Matcher(fields)
    for p, need in enumerate(t):
        for _ in range(need):
            if not m.augment(p):
                return False
    return True


def conv_rank_bound(input: Sequence[int], filter: Sequence[int],
                    stride: int | Sequence[int], channels: int) -> int:
    """An upper bound on the rank of the lowered weight matrix of a conv layer.

    The size of a maximum matching of rows (``channels`` per position) to
    distinct columns of their receptive fields: the rank of a generic matrix
    with this zero pattern, hence an upper bound for every kernel (use it in
    the rank refinement of :func:`tropnet.bounds.serra2018_upper`). Weight
    sharing can make the rank smaller for every kernel in 2-D layouts (e.g.
    ``3x3x1`` input, ``2x2`` filter, 2 channels: bound 8, rank 7).

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``.
    stride : int or sequence of int
        The stride, or ``(sh, sw)``.
    channels : int
        The number of output channels.

    Examples
    --------
    >>> conv_rank_bound([1, 4, 1], [1, 2], 1, 3)
    4
    """
    spec = _spec(input, filter, stride, channels)
    fields = [spec.receptive_field(i, j) for i, j in spec.positions()]
    m = _Matcher(fields)
    rank = 0
    for p in range(len(fields)):
        for _ in range(channels):
            if not m.augment(p):
                break
            rank += 1
    return rank


def xiong2024_one_layer(input: Sequence[int], filter: Sequence[int],
                        stride: int | Sequence[int], channels: int, *,
                        max_nodes: int = MAX_NODES) -> int:
    """Xiong et al. 2024: the number of regions of one conv ReLU layer with generic
    weights on ``R^n`` (module docstring), an exact integer.

    Exact (as far as tested) when the output positions form one row or one
    column; an upper bound for 2-D layouts, where weight sharing can make the
    normals dependent (module docstring; :func:`is_line_layout`).

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``.
    stride : int or sequence of int
        The stride, or ``(sh, sw)``.
    channels : int
        The number ``D`` of output channels.
    max_nodes : int, default MAX_NODES
        Cap on the search of the general 2-D case (`TooLargeError` beyond).

    Notes
    -----
    Positions whose receptive fields do not overlap (transitively) are
    independent, so the count is a product over groups. When the positions
    form one row or one column (1-D inputs, or a filter as tall/wide as the
    image) the condition only has to hold on contiguous runs of positions and
    a dynamic programme along the line counts in ``O(P * D * |S|)``. Otherwise
    the vectors ``t`` are enumerated depth-first, each extension checked with
    one augmenting path (a flow check per ``t``), pruned as soon as a
    position cannot take another row.

    Examples
    --------
    Three pixels, filter 2, stride 1, one channel: two hyperplanes in general
    position in ``R^3``, four regions. With a 3-wide filter and four channels
    it is Zaslavsky's ``sum_{j<=3} C(4, j) = 15``:

    >>> xiong2024_one_layer([1, 3, 1], [1, 2], 1, 1), xiong2024_one_layer([1, 3, 1], [1, 3], 1, 4)
    (4, 15)
    """
    spec = _spec(input, filter, stride, channels)
    oh, ow, d = spec.output
    (_, _, c), (fh, fw), (sh, sw) = spec.input, spec.filter, spec.stride
    if is_line_layout(input, filter, stride):
        if ow == 1 and oh > 1:  # a column of positions: walk down the rows
            return _line_count(oh, fh, sh, c * fw, d)
        return _line_count(ow, fw, sw, c * fh, d)
    fields = [spec.receptive_field(i, j) for i, j in spec.positions()]
    total = 1
    budget = [max_nodes]
    for group in _overlap_groups(fields):
        sub = [fields[p] for p in group]
        if hall_feasible([d] * len(sub), sub):
            total *= (2 ** d) ** len(sub)
        else:
            total *= _enumerate_count(sub, d, budget)
    return total


def is_line_layout(input: Sequence[int], filter: Sequence[int],
                   stride: int | Sequence[int] = 1) -> bool:
    """Whether the output positions form a single row or column (a 1-D layout).

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``.
    stride : int or sequence of int, default 1
        The stride, or ``(sh, sw)``.

    Examples
    --------
    >>> is_line_layout([1, 5, 2], [1, 2]), is_line_layout([3, 3, 1], [2, 2])
    (True, False)
    """
    oh, ow, _ = _spec(input, filter, stride, 1).output
    return oh == 1 or ow == 1


# ---------------------------------------------------------------------------
# private helpers
# ---------------------------------------------------------------------------
def _spec(input: Any, filter: Any, stride: Any, channels: Any) -> Any:
    return conv_spec(input, filter, stride, channels, where="cnn")


def _line_count(positions: int, f: int, s: int, mult: int, d: int) -> int:
    """Positions ``0..P-1`` on a line, field of position ``p`` = ``mult`` copies of
    ``[p s, p s + f)``. Hall's condition on runs ``a..b``:
    ``sum t <= mult (f + (b - a) s)`` (fields overlap or touch when ``s <= f``;
    otherwise they are disjoint and only ``t_p <= mult f`` binds). With
    ``V_k = T_k - mult s k`` (``T`` the prefix sums of ``t``) it reads
    ``V_b - V_a <= mult (f - s)`` for ``a < b``; the state is
    ``g = V_b - min_{a <= b} V_a``, which must satisfy ``g + t <= mult f`` and
    moves to ``max(0, g + t - mult s)``."""
    cap = mult * f
    binoms = [math.comb(d, t) for t in range(d + 1)]
    dp = {0: 1}
    for _ in range(positions):
        nxt: dict[int, int] = {}
        for g, weight in dp.items():
            for t in range(min(d, cap - g) + 1):
                g2 = max(0, g + t - mult * s)
                nxt[g2] = nxt.get(g2, 0) + weight * binoms[t]
        dp = nxt
    return sum(dp.values())


def _overlap_groups(fields: list[tuple[int, ...]]) -> list[list[int]]:
    """Connected components of positions whose fields share a coordinate."""
    parent = list(range(len(fields)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    owner: dict[int, int] = {}
    for p, field in enumerate(fields):
        for col in field:
            if col in owner:
                parent[find(p)] = find(owner[col])
            else:
                owner[col] = p
    groups: dict[int, list[int]] = {}
    for p in range(len(fields)):
        groups.setdefault(find(p), []).append(p)
    return list(groups.values())


def _enumerate_count(fields: list[tuple[int, ...]], d: int, budget: list[int]) -> int:
    """``sum prod C(d, t_p)`` over Hall-feasible ``t``, depth-first with one augmenting
    path per increment; ``budget[0]`` counts down the search nodes."""
    binoms = [math.comb(d, t) for t in range(d + 1)]
    n_pos = len(fields)
    limit = budget[0]
    # positions with pairwise disjoint fields take t = 0 or 1 independently, so the search
    # has at least 2**k leaves: refuse at once when that exceeds the budget
    used: set[int] = set()
    k = 0
    for field in fields:
        if used.isdisjoint(field):
            used.update(field)
            k += 1
            if k >= limit.bit_length():  # 2**k > limit
                break
    too_large = TooLargeError(
        "the Xiong et al. count of this 2-D convolution needs more than "
        f"{limit:,} search nodes (the budget; max_nodes in the Python API); a 1-D "
        "layout (one row or column of positions) has a fast exact formula")
    if k >= limit.bit_length():
        raise too_large

    def enter(p: int, matcher: _Matcher) -> list | None:
        """A search node for position ``p`` (``None`` for a leaf: all positions placed)."""
        budget[0] -= 1
        if budget[0] < 0:
            raise too_large
        return None if p == n_pos else [p, matcher, 0, 0]

    # depth-first over the positions with an explicit stack (there may be thousands of
    # positions, beyond Python's recursion limit); a node is [p, matcher, t, total]: the
    # child being counted gives position p exactly t columns
    root = enter(0, _Matcher(fields))
    if root is None:
        return 1
    stack, ret = [root], None
    while stack:
        node = stack[-1]
        p, cur = node[0], node[1]
        if ret is not None:  # the child of the current t returned its count
            node[3] += binoms[node[2]] * ret
            ret = None
            node[2] += 1
            if node[2] > d or not cur.augment(p):
                stack.pop()
                ret = node[3]
                continue
        child = enter(p + 1, cur.copy())
        if child is None:
            ret = 1
        else:
            stack.append(child)
    return ret


class _Matcher:
    """A b-matching of positions to columns (each column used once), grown by
    augmenting paths (Kuhn's algorithm with position capacities)."""

    def __init__(self, fields: Sequence[Sequence[int]], owner: dict[int, int] | None = None
                 ) -> None:
        self.fields = fields
        self.owner = dict(owner) if owner else {}  # column -> position

    def copy(self) -> _Matcher:
        return _Matcher(self.fields, self.owner)

    def augment(self, p: int) -> bool:
        """Give position ``p`` one more column, re-routing others if needed."""
        seen: set[int] = set()
        stack = [(p, iter(self.fields[p]))]
        path: list[int] = []  # columns along the current path
        while stack:
            it = stack[-1][1]
            advanced = False
            for col in it:
                if col in seen:
                    continue
                seen.add(col)
                if col not in self.owner:
                    # flip the path: each column on it passes to the position before it
                    path.append(col)
                    positions = [s[0] for s in stack]
                    for pos, c in zip(positions, path, strict=True):
                        self.owner[c] = pos
                    return True
                path.append(col)
                stack.append((self.owner[col], iter(self.fields[self.owner[col]])))
                advanced = True
                break
            if not advanced:
                stack.pop()
                if path:
                    path.pop()
        return False

"""Activation regions as a stream: a depth-first walk that keeps no region it has passed on.

The walk of :mod:`tropnet.engines.enumerate` splits regions layer by layer; here it goes
depth first over the tree of partial activation patterns, so at any time it holds one path
of that tree with the unvisited siblings along it (memory ``O(depth x width)`` nodes, each a
region of the first layers), and hands every region of the last layer to a *sink* as soon as
it is found: a counter (``count_only``), a file of JSON lines, or anything else. Interior
points are checked exactly in chunks (:func:`tropnet.engines.patterns.certify_points`), as in
the in-memory walk. The regions and the count are those of :func:`activation_regions`.

A region file holds one JSON object per line: ``pattern``, ``interior_point``,
``affine_map`` and ``cells`` (the inequalities ``A x <= b``), numbers as in every tropnet JSON
output (exact rationals as ``"p/q"``); :func:`read_regions` reads it back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..arithmetic import Arithmetic, parse_number, resolve
from ..domain import Domain, parse_domain
from ..errors import InputFileError, TropnetError
from ..files import check_input_file
from ..limits import check_memory, note
from ..network import Network
from ..polyhedra import Polyhedron
from .enumerate import Walk, choose_engine
from .patterns import certify_points
from .result import Region

__all__ = ["StreamSummary", "read_regions", "region_line", "stream_activation_regions"]

#: regions whose points are checked together
CHUNK = 1024


@dataclass(frozen=True)
class StreamSummary:
    """What a stream found: the number of regions, and how (as ``RegionSet`` says it)."""

    count: int
    domain: Domain
    arith: Arithmetic
    engine: str
    info: dict = field(default_factory=dict)


def stream_activation_regions(net: Network, domain: Domain | str | None = None,
                              engine: str = "auto", exact: bool | Arithmetic | None = None,
                              sink: Callable[[Region], None] | None = None,
                              progress: Callable[[int], None] | None = None
                              ) -> StreamSummary:
    """Find the activation regions of ``net`` on ``domain`` depth first and pass each to
    ``sink`` (``None``: count only). ``progress(count)`` is called every :data:`CHUNK`
    regions.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> stream_activation_regions(net).count
    2
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    walk = Walk(net, dom, arith, choose_engine(engine, dom))
    count, moved, dropped = 0, 0, 0
    batch: list[Region] = []

    def flush() -> None:
        nonlocal count, moved, dropped
        regions, m, d = certify_points(net, batch, dom, arith)
        moved, dropped = moved + m, dropped + d
        for region in regions:
            if sink is not None:
                sink(region)
        count += len(regions)
        batch.clear()
        note(lower_bound=count, lower_bound_of="activation regions")
        if progress is not None:
            progress(count)

    for region in _depth_first(walk):
        batch.append(region)
        if len(batch) == CHUNK:
            flush()
            check_memory("enumerating activation regions", "count on a smaller box",
                         partial={"lower_bound": count, "lower_bound_of": "activation regions"})
    flush()
    info: dict = {"streamed": True}
    if not arith.exact:
        info["exact_fallbacks"] = walk.fallbacks
    if moved or dropped:
        info.update(points_replaced=moved, regions_dropped=dropped)
    return StreamSummary(count, dom, arith, walk.name, info)


def _depth_first(walk: Walk) -> Iterator[Region]:
    depth = len(walk.net.layers)
    stack = [(0, walk.root())]
    while stack:
        index, item = stack.pop()
        if index == depth:
            yield walk.region(item)
            continue
        children = walk.children(index, item)
        stack.extend((index + 1, child) for child in reversed(children))


def region_line(region: Region) -> str:
    """One line of a region file (see the module docstring)."""
    return json.dumps(region.to_dict(with_cells=True), separators=(",", ":")) + "\n"


def read_regions(path: str | os.PathLike) -> list[Region]:
    """The regions of a region file written by ``tropnet regions --output FILE.jsonl``
    (numbers exact where the file has ``"p/q"`` strings or integers, floats otherwise)."""
    p = check_input_file(path)
    out = []
    with open(p, encoding="utf-8") as fh:
        for k, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(_region(json.loads(line), f"{p}, line {k}"))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputFileError(f"{p}, line {k}: not a region ({exc})") from None
    return out


def _region(data: dict, where: str) -> Region:
    def num(v: object) -> object:
        value, rational = parse_number(v, where)
        return value if rational else float(v)  # type: ignore[arg-type]

    def arr(rows: object) -> np.ndarray:
        return np.array([[num(v) for v in row] for row in rows], dtype=object) \
            if rows and isinstance(rows[0], list) else np.array([num(v) for v in rows],
                                                                 dtype=object)

    point = arr(data["interior_point"])
    n = len(point)
    cells = []
    for c in data["cells"]:
        A = arr(c["A"]).reshape(-1, n)
        b = arr(c["b"])
        exact = all(not isinstance(v, float) for v in (*A.reshape(-1), *b, *point))
        arith = resolve(exact)
        cells.append(Polyhedron.from_inequalities(A, b, arith, n))
    if not cells:
        raise TropnetError(f"{where}: a region without cells")
    weight = arr(data["affine_map"]["weight"]).reshape(-1, n)
    bias = arr(data["affine_map"]["bias"])
    pattern = tuple(tuple(int(v) for v in layer) for layer in data["pattern"]) \
        if "pattern" in data else None
    return Region(tuple(cells), weight, bias, point, pattern)

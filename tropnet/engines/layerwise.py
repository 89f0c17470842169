"""Linear regions of a network, layer by layer (the pull-back method of TropicalNN.jl).

Cells carry the affine map from ``x`` to the current layer's input. On a
cell ``C`` the next layer, fed the affine inputs ``y_j = J_j . x + c_j``
(tropical monomials in ``x``), is a vector of tropical rational maps
(:func:`tropnet.tropical.compile.compile_layer`); the common refinement of
their cells inside ``C`` (:func:`tropnet.engines.tropical.tropical_cells`)
gives the next cells with their maps. The final cells are glued by map.
This route shares no splitting code with activation-region enumeration.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..arithmetic import Arithmetic
from ..domain import Domain
from ..network import Network
from ..polyhedra import Polyhedron
from ..tropical.compile import compile_layer
from ..tropical.polynomial import TropicalPolynomial
from ..tropical.rational import TropicalRational
from .glue import Cell
from .tropical import tropical_cells

__all__ = ["layerwise_cells"]


def layerwise_cells(net: Network, domain: Domain, arith: Arithmetic,
                    progress: Callable[[int], None] | None = None) -> list[Cell]:
    """Convex cells on which the whole network is affine, with its maps.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain
        A resolved domain.
    arith : Arithmetic
        The arithmetic.
    progress : callable or None, default None
        Called after each layer with the number of cells so far.
    """
    n = net.input_dim
    start = domain.polyhedron(arith)
    point = start.interior_point()
    cells = [Cell(start, arith.eye(n), arith.zeros(n), point[0] if point else arith.zeros(n))]
    for layer in net.layers:
        nxt = []
        for cell in cells:
            F = [TropicalPolynomial.from_monomials([list(cell.weight[j])], [cell.bias[j]], arith)
                 for j in range(len(cell.bias))]
            G = [TropicalPolynomial.constant(0, n, arith)] * len(F)
            Fo, Go = compile_layer(layer, F, G, arith, prune=True)
            maps = [TropicalRational(f, g) for f, g in zip(Fo, Go, strict=True)]
            region = cell.poly if len(cell.poly) else None
            for sub in tropical_cells(maps, region, arith):
                if region is None and len(sub.poly) == 0:
                    sub = Cell(Polyhedron.whole(n, arith), sub.weight, sub.bias, sub.point)
                nxt.append(sub)
        cells = nxt
        if progress is not None:
            progress(len(cells))
    return [Cell(c.poly, np.asarray(c.weight), np.asarray(c.bias), c.point) for c in cells]

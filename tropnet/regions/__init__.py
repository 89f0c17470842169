"""Linear regions and activation regions of networks and tropical maps.

Two notions, kept apart everywhere:

* an **activation region** (Serra et al. 2018) is the set of inputs sharing
  one activation pattern, counted when it has a non-empty interior in the
  domain — :func:`activation_regions`;
* a **linear region** (Lezeau et al.) is a maximal connected set on which
  the map is affine — :func:`linear_regions`, with ``connectivity="facet"``
  (cells sharing an ``(n-1)``-face glue; default) or ``"closure"`` (cells
  whose closures meet glue).

An activation region always lies inside one linear region.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arithmetic import Arithmetic, resolve
from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..network import Network
from ..tropical import compile_network
from .enumerate import activation_regions, number_activation_regions
from .glue import Cell, check_connectivity, glue
from .layerwise import layerwise_cells
from .result import Region, RegionSet
from .tropical import as_maps, domain_region, tropical_cells

__all__ = [
    "LINEAR_METHODS",
    "Region",
    "RegionSet",
    "activation_regions",
    "count_regions",
    "linear_regions",
    "number_activation_regions",
    "number_linear_regions",
]

LINEAR_METHODS = ("tropical", "enumerate", "layerwise")


def linear_regions(obj: Any, domain: Domain | str | None = None, connectivity: str = "facet",
                   method: str = "tropical", exact: bool | Arithmetic | None = None,
                   engine: str = "auto", progress: Callable[[int], None] | None = None
                   ) -> RegionSet:
    """The linear regions of a network or tropical rational map(s) on ``domain``.

    A linear region is a maximal connected subset of the domain (the closure
    of an open set) on which the map is affine; for several outputs, all of
    them at once. Each :class:`Region` lists its convex cells, the affine map
    and an interior point.

    Parameters
    ----------
    obj : :class:`~tropnet.Network`, :class:`~tropnet.TropicalRational`,
        :class:`~tropnet.TropicalPolynomial`, or a list of maps (a vector map).
    domain : ``None``/``"rn"`` (all of ``R^n``), a :class:`~tropnet.Domain` or a
        domain string such as ``"box:-1,1"``.
    connectivity : ``"facet"`` (default) or ``"closure"``.
    method : ``"tropical"`` (Lezeau et al. Algorithm 4 on the compiled map),
        ``"enumerate"`` (glue activation regions; networks only) or
        ``"layerwise"`` (pull back each layer on each cell; networks only).

    Examples
    --------
    >>> from tropnet import parse
    >>> linear_regions(parse("max(x, y)")).count
    2
    >>> linear_regions(parse("max(0, x) + max(0, -x)")).count   # |x|
    2
    """
    check_connectivity(connectivity)
    if method not in LINEAR_METHODS:
        raise TropnetError(f"unknown method {method!r} for linear regions (expected one of "
                           f"{', '.join(LINEAR_METHODS)})")
    if isinstance(obj, Network):
        dom = parse_domain(domain, obj.input_dim)
        arith = resolve(exact, obj, dom)
        if method == "tropical":
            cells = tropical_cells(compile_network(obj, exact=arith), domain_region(dom, arith),
                                   arith)
            engine_name = None
        elif method == "enumerate":
            acts = activation_regions(obj, dom, engine, arith, progress)
            cells = [Cell(r.cells[0], r.weight, r.bias, r.interior_point) for r in acts]
            engine_name = acts.engine
        else:
            cells = layerwise_cells(obj, dom, arith, progress)
            engine_name = None
    else:
        if method != "tropical":
            raise TropnetError(f"method {method!r} needs a network; tropical expressions use "
                               f"method='tropical'")
        maps = as_maps(obj)
        dom = parse_domain(domain, maps[0].nvars)
        arith = resolve(exact, *maps, dom)
        maps = [m.to(arith) for m in maps]
        cells = tropical_cells(maps, domain_region(dom, arith), arith)
        engine_name = None
    regions, _ = glue(cells, connectivity, arith)
    warn = () if arith.exact else _float_check(regions, obj, arith)
    return RegionSet("linear", regions, dom, method, arith, engine=engine_name,
                     connectivity=connectivity, info={"cells": len(cells)}, warnings=warn)


def _float_check(regions: Sequence[Region], obj: Any, arith: Arithmetic) -> tuple[str, ...]:
    """Float mode only: the regions whose affine map disagrees with the function at their
    own interior point (the network's Jacobian, or the value of the tropical map(s)) beyond
    the tolerance -- a symptom of round-off on near-degenerate cells, reported as a
    warning since the count is then unreliable."""
    maps = None if isinstance(obj, Network) else as_maps(obj)
    bad = 0
    for r in regions:
        x = np.asarray(r.interior_point, dtype=float)
        W, b = np.asarray(r.weight, dtype=float), np.asarray(r.bias, dtype=float)
        if maps is None:
            J, c, _ = obj.affine_map(x, exact=False)
            got, want = np.concatenate([np.ravel(W), b]), np.concatenate([np.ravel(J), c])
        else:
            got = np.atleast_1d(W.dot(x) + b)
            want = np.array([float(m(x)) for m in maps])
        scale = max(1.0, float(np.abs(want).max(initial=0.0)), float(np.abs(x).max(initial=0)))
        if np.abs(got - want).max(initial=0.0) > arith.tol * 2**10 * scale:
            bad += 1
    if not bad:
        return ()
    return (f"{bad} of {len(regions)} regions carry an affine map that differs from the "
            f"function at their own interior point (float round-off on near-degenerate "
            f"cells): the float count is unreliable; rerun with --exact or with "
            f"--method enumerate",)


def number_linear_regions(obj: Any, domain: Domain | str | None = None,
                          connectivity: str = "facet", method: str = "tropical",
                          exact: bool | Arithmetic | None = None) -> int:
    """The number of linear regions (see :func:`linear_regions`)."""
    return linear_regions(obj, domain, connectivity, method, exact).count


def count_regions(obj: Any, domain: Domain | str | None = None, kind: str = "activation",
                  method: str | None = None, exact: bool | Arithmetic | None = None,
                  **options: Any) -> int:
    """Count regions of one ``kind`` (``"activation"`` or ``"linear"``) by one ``method``.

    Activation regions: ``method`` is ``"enumerate"`` (default; ``engine=`` picks
    ``"vertex"``/``"lp"``) or ``"milp"`` (:mod:`tropnet.milp`, bounded domains).
    Linear regions: ``"tropical"`` (default), ``"enumerate"`` or ``"layerwise"``
    (``connectivity=`` as in :func:`linear_regions`).
    """
    if kind == "activation":
        if not isinstance(obj, Network):
            raise TropnetError("activation regions need a network")
        method = method or "enumerate"
        if method == "milp":
            from ..milp import count_activation_regions

            return count_activation_regions(obj, domain, exact=exact, **options).count
        if method != "enumerate":
            raise TropnetError(f"unknown method {method!r} for activation regions "
                               f"(expected enumerate or milp)")
        engine = options.pop("engine", "auto")
        _no_more(options, kind, method)
        return activation_regions(obj, domain, engine, exact).count
    if kind == "linear":
        connectivity = options.pop("connectivity", "facet")
        engine = options.pop("engine", "auto")
        _no_more(options, kind, method or "tropical")
        return linear_regions(obj, domain, connectivity, method or "tropical", exact,
                              engine=engine).count
    raise TropnetError(f"unknown region kind {kind!r} (expected activation or linear)")


def _no_more(options: dict, kind: str, method: str) -> None:
    if options:
        raise TropnetError(f"unknown option(s) for counting {kind} regions by {method}: "
                           f"{', '.join(sorted(options))}")



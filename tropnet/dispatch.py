"""The one dispatcher: which method computes which regions, chosen from one table.

Two notions of region, kept apart everywhere:

* an **activation region** (Serra et al. 2018) is the set of inputs sharing
  one activation pattern, counted when it has a non-empty interior in the
  domain;
* a **linear region** (Lezeau et al.) is a maximal connected set on which
  the map is affine, with ``connectivity="facet"`` (cells sharing an
  ``(n-1)``-face glue; default) or ``"closure"`` (cells whose closures meet glue).

An activation region always lies inside one linear region.

:data:`METHODS` lists every exact method: its name, the region kinds and
targets it handles, whether it needs a bounded domain, a cost hint and the
function that runs it. :func:`regions` is the single entry point that reads
it; :func:`linear_regions`, :func:`activation_regions` and
:func:`count_regions` are thin wrappers, and the CLI's ``--method`` choices,
:func:`tropnet.crosscheck`, :func:`tropnet.plot_regions` and the docs' method
table read the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .arithmetic import EXACT, Arithmetic, resolve
from .domain import Domain, parse_domain
from .engines import enumerate as enumeration
from .engines.glue import Cell, check_connectivity, glue
from .engines.graph import cells_by_pattern
from .engines.layerwise import layerwise_cells
from .engines.monomials import COMPILE_METHODS, compile_network
from .engines.parallel import parallel_activation_regions
from .engines.patterns import certify_points, pattern_cell, read_in
from .engines.result import Region, RegionSet
from .engines.tropical import as_maps, domain_region, input_dim, tropical_cells
from .errors import TropnetError
from .hoffman import bounded_domain
from .limits import forced
from .network import Network
from .polyhedra import Polyhedron
from .span import InputSpan, input_span

__all__ = [
    "COMPILE_METHODS",
    "KINDS",
    "METHODS",
    "Method",
    "Region",
    "RegionSet",
    "activation_regions",
    "choose_method",
    "compile_network",
    "count_regions",
    "linear_regions",
    "method_names",
    "regions",
    "resolve_kind",
]

KINDS = ("linear", "activation")


@dataclass(frozen=True)
class Method:
    """One row of the method table.

    ``run(obj, domain, kind, arith, params)`` returns a :class:`RegionSet`;
    ``params`` are the options the method accepts (``None``: the backend checks
    its own options). ``bounded``: the method needs a bounded domain, and ``R^n``
    is replaced by the effective-radius box (:func:`tropnet.hoffman.bounded_domain`).
    ``float_exact``: in float mode the method runs in exact arithmetic on the exact
    rationals of the float input (it has no certified float path), and its result is
    reported in float.

    Attributes
    ----------
    name : str
        The method's name (a key of `METHODS`).
    kinds : tuple of str
        The region kinds it counts (``"linear"``, ``"activation"``).
    targets : tuple of str
        What it reads: ``"network"`` and/or ``"expression"``.
    bounded : bool
        It needs a bounded domain.
    cost : str
        A short statement of its cost.
    summary : str
        One line on what it does.
    run : callable
        ``run(obj, domain, kind, arith, params)`` returning a `RegionSet`.
    params : frozenset of str or None
        The options it accepts; ``None``: the backend checks them.
    engines : tuple of str, default ()
        Its engines, if it has several.
    float_exact : bool, default False
        Float mode runs in exact arithmetic on the exact rationals of the input.
    """

    name: str
    kinds: tuple[str, ...]
    targets: tuple[str, ...]
    bounded: bool
    cost: str
    summary: str
    run: Callable[..., RegionSet]
    params: frozenset[str] | None = frozenset()
    engines: tuple[str, ...] = ()
    float_exact: bool = False

    def applies(self, kind: str, target: str) -> bool:
        """Whether the method counts ``kind`` regions of a ``target`` (``"network"`` or
        ``"expression"``).

        Parameters
        ----------
        kind : str
            ``"linear"`` or ``"activation"``.
        target : str
            ``"network"`` or ``"expression"``.
        """
        return kind in self.kinds and target in self.targets


# -- the methods ---------------------------------------------------------------------------

def _linear(cells: Sequence[Cell], obj: Any, dom: Domain, method: str, arith: Arithmetic,
            params: dict, engine: str | None = None,
            exact_cell: Callable[[int], Cell] | None = None) -> RegionSet:
    """Glue convex cells with their affine maps into linear regions."""
    connectivity = params.get("connectivity", "facet")
    found, _ = glue(cells, connectivity, arith, exact_cell)
    warn = () if arith.exact else _float_check(found, obj, arith)
    return RegionSet("linear", found, dom, method, arith, engine=engine,
                     connectivity=connectivity, info={"cells": len(cells)}, warnings=warn)


def _run_tropical(obj: Any, dom: Domain, kind: str, arith: Arithmetic, params: dict
                  ) -> RegionSet:
    if isinstance(obj, Network):  # exact maps (a float net's weights are exact rationals),
        # irredundant on the domain: walked exactly, the cells given back in ``arith``
        maps = compile_network(obj, exact=EXACT, domain=dom)
    else:
        maps = [m.to(arith) for m in as_maps(obj)]
    cells = tropical_cells(maps, domain_region(dom, arith), arith,
                           pruned=isinstance(obj, Network))
    return _linear(cells, obj, dom, "tropical", arith, params)


def _run_enumerate(obj: Any, dom: Domain, kind: str, arith: Arithmetic, params: dict
                   ) -> RegionSet:
    if params.get("workers") is not None or params.get("scheduler") is not None:
        acts = parallel_activation_regions(obj, dom, arith, params.get("engine", "auto"),
                                           workers=params.get("workers"),
                                           scheduler=params.get("scheduler"))
    else:
        acts = enumeration.activation_regions(obj, dom, params.get("engine", "auto"), arith,
                                              params.get("progress"))
    if kind == "activation":
        return _with_exact_cells(acts, acts, obj, dom, arith)
    cells = [Cell(r.cells[0], r.weight, r.bias, r.interior_point, r.map_error) for r in acts]
    exact_dom = read_in(dom, arith)

    def exact_cell(i: int) -> Cell:
        poly, J, c = pattern_cell(obj, acts.regions[i].pattern, exact_dom, EXACT)
        return Cell(poly, J, c, EXACT.array(acts.regions[i].interior_point))

    return _with_exact_cells(_linear(cells, obj, dom, "enumerate", arith, params,
                                     engine=acts.engine, exact_cell=exact_cell),
                             acts, obj, dom, arith)


def _with_exact_cells(result: RegionSet, acts: RegionSet, obj: Network, dom: Domain,
                      arith: Arithmetic) -> RegionSet:
    """A float result built from the activation regions ``acts`` of ``obj``, with the exact
    cells of its regions (for a certified :attr:`RegionSet.graph`): found on first use by
    enumerating the activation regions again in exact arithmetic, matched by pattern."""
    if arith.exact:
        return result
    index = {id(r.cells[0]): i for i, r in enumerate(acts.regions)}

    def exact_cells() -> list[tuple[Polyhedron, ...]]:
        twins = cells_by_pattern(acts, enumeration.activation_regions(
            obj, read_in(dom, arith), "auto", EXACT))
        return [tuple(twins[index[id(c)]][0] for c in r.cells) for r in result.regions]

    return replace(result, exact_cells=exact_cells)


def _run_layerwise(obj: Any, dom: Domain, kind: str, arith: Arithmetic, params: dict
                   ) -> RegionSet:
    cells = layerwise_cells(obj, dom, arith, params.get("progress"))
    return _linear(cells, obj, dom, "layerwise", arith, params)


def _run_milp(obj: Any, dom: Domain, kind: str, arith: Arithmetic, params: dict
              ) -> RegionSet:
    from . import milp  # cvxpy takes ~0.7 s to import: on first use

    result = milp.activation_regions(obj, dom, exact=arith, **params)
    return _with_exact_cells(result, result, obj, dom, arith)


#: Every exact region method, in the order ``method="auto"`` tries them.
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("enumerate", ("activation", "linear"), ("network",), False,
           "one split per unit and region; the fastest exact method on networks",
           "depth-first enumeration of activation patterns (vertex, LP or, for 2-input nets "
           "on bounded domains, planar engine); linear regions glue the activation regions "
           "by affine map",
           _run_enumerate, frozenset({"engine", "progress", "connectivity", "workers",
                                      "scheduler"}),
           engines=enumeration.ENGINES),
    Method("tropical", ("linear",), ("network", "expression"), False,
           "compiles F ⊘ G; grows with the monomials (fast for expressions, slow past "
           "a few hundred monomials)",
           "Lezeau et al. Algorithm 4: cells of the common refinement of the compiled "
           "numerators and denominators, glued by affine map",
           _run_tropical, frozenset({"connectivity"}), float_exact=True),
    Method("layerwise", ("linear",), ("network",), False,
           "one tropical refinement per layer and cell",
           "pull back each layer on each cell (TropicalNN.jl's route), then glue",
           _run_layerwise, frozenset({"progress", "connectivity"}), float_exact=True),
    Method("milp", ("activation",), ("network",), True,
           "one MILP solve per region (slow; the independent check)",
           "MILP enumeration with no-good cuts (Serra et al. 2018, cvxpy with HiGHS or "
           "SCIP), every region confirmed exactly",
           _run_milp, None),
)}


def method_names(kind: str | None = None, target: str | None = None) -> tuple[str, ...]:
    """Names of the methods for ``kind`` and ``target`` (``None``: any).

    Parameters
    ----------
    kind : str or None, default None
        ``"linear"`` or ``"activation"``; ``None``: any.
    target : str or None, default None
        ``"network"`` or ``"expression"``; ``None``: any.
    """
    return tuple(m.name for m in METHODS.values()
                 if (kind is None or kind in m.kinds) and (target is None or
                                                          target in m.targets))


# -- the dispatcher ------------------------------------------------------------------------

def regions(obj: Any, domain: Domain | str | None = None, kind: str | None = None,
            method: str = "auto", *, exact: bool | Arithmetic | None = None,
            force: bool = False, **params: Any) -> RegionSet:
    """The regions of ``kind`` of a network or tropical map(s) on ``domain``, by ``method``.

    Parameters
    ----------
    obj : Network, tropical map or list
        The network, or a tropical map (`TropicalRational`, `TropicalPolynomial`); a
        list of maps is a vector map.
    domain : Domain, str or None, default None
        ``None``/``"rn"`` (all of ``R^n``), a `Domain` or a domain string such as
        ``"box:-1,1"``. Methods that need a bounded domain (``milp``) run on the
        effective-radius box on ``R^n`` and say so in ``info``.
    kind : str or None, default None
        ``"linear"`` or ``"activation"``; ``None`` is ``"linear"`` unless ``method`` counts
        activation regions only (``"milp"``).
    method : str, default "auto"
        A name of `METHODS`, or ``"auto"``: the first method of the table that handles
        ``kind`` and ``obj``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    force : bool, default False
        Lift the size and memory budgets (`tropnet.limits.forced`).
    **params : object
        The method's options: ``connectivity`` (linear regions), ``engine`` (enumerate),
        ``progress``, ``workers`` / ``scheduler`` (enumerate on a Dask cluster: a
        LocalCluster of that many worker processes, or a scheduler address
        ``"tcp://host:8786"`` or ``dask.distributed.Client``; see
        `tropnet.engines.parallel`), and for ``milp`` those of
        `tropnet.milp.activation_regions` (``solver``, ``time_limit``, ...).

    Examples
    --------
    >>> from tropnet import parse
    >>> regions(parse("max(0, x) + max(0, -x)")).count   # |x|
    2
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> regions(net, "box:-1,1", kind="activation", method="milp").count
    2
    """
    kind = resolve_kind(kind, method)
    chosen = choose_method(kind, method, obj)
    original = parse_domain(domain, input_dim(obj))
    check_connectivity(params.get("connectivity", "facet"))
    if chosen.params is not None:
        unknown = sorted(set(params) - chosen.params)
        if unknown:
            raise TropnetError(f"unknown option(s) for {kind} regions by {chosen.name}: "
                               f"{', '.join(unknown)} (it takes "
                               f"{', '.join(sorted(chosen.params)) or 'none'})")
    with forced(force):
        dom, notes = (bounded_domain(obj, original, kind, exact=exact,
                                     connectivity=params.get("connectivity", "facet"))
                      if chosen.bounded else (original, {}))
        sources = (obj,) if isinstance(obj, Network) else (*as_maps(obj),)
        arith = resolve(exact, *sources, dom)
        if isinstance(obj, Network):
            obj.check_magnitude(arith)
        span = input_span(obj, arith) if isinstance(obj, Network) and dom.kind == "rn" \
            else None
        target, run_dom = (obj, dom) if span is None else \
            (span.net_on_span, parse_domain(None, span.rank))
        if chosen.float_exact and not arith.exact:
            result = chosen.run(target, read_in(run_dom, arith), kind, EXACT, params
                                ).converted(arith, run_dom)
            result = replace(result, info={**result.info, "decided": "exact"})
        else:
            result = chosen.run(target, run_dom, kind, arith, params)
        if span is not None:
            result = _lifted(result, span, obj, dom, arith)
    if notes:  # report the domain asked for, and the box that stood for it
        result = replace(result, domain=original, info={**result.info, **notes})
    return result


def _lifted(result: RegionSet, span: InputSpan, net: Network, dom: Domain, arith: Arithmetic
            ) -> RegionSet:
    """The regions of ``span.net_on_span`` on ``R^r`` as regions of ``net`` on ``R^n``
    (:mod:`tropnet.span`): rows and maps times the basis, points lifted; float points are
    checked exactly with the pattern of the point they lift (and replaced if they fail)."""
    n = net.input_dim

    def cell(c: Polyhedron, a: Arithmetic) -> Polyhedron:
        return Polyhedron.from_inequalities(span.lift_rows(c.A, a), c.b, a, n)

    regions = [Region(tuple(cell(c, arith) for c in r.cells),
                      arith.array(span.lift_rows(r.weight, arith)), r.bias,
                      arith.array(span.lift_point(r.interior_point, arith)), r.pattern)
               for r in result.regions]
    if not arith.exact:
        small = span.net_on_span
        patterned = [replace(r, pattern=r.pattern or small.patterns(
            EXACT.array(q.interior_point), EXACT)) for r, q in zip(regions, result.regions,
                                                                  strict=True)]
        checked, _, _ = certify_points(net, patterned, dom, arith)
        regions = [replace(c, pattern=r.pattern) for c, r in zip(checked, regions, strict=True)]
    exact = result.exact_cells
    return replace(result, regions=tuple(regions), domain=dom,
                   info={**result.info, "input_span": span.rank},
                   exact_cells=None if exact is None else
                   lambda: [tuple(cell(c, EXACT) for c in cells) for cells in exact()])


def _target(obj: Any) -> str:
    return "network" if isinstance(obj, Network) else "expression"


def resolve_kind(kind: str | None, method: str = "auto") -> str:
    """``kind``, or for ``None`` the kind ``method`` counts if it counts one kind only, else
    ``"linear"``.

    Parameters
    ----------
    kind : str or None
        The kind asked for.
    method : str, default "auto"
        The method asked for.
    """
    if kind is not None:
        return kind
    only = METHODS[method].kinds if method in METHODS else KINDS
    return only[0] if len(only) == 1 else "linear"


def choose_method(kind: str, method: str, obj: Any) -> Method:
    """The row of :data:`METHODS` that computes ``kind`` regions of ``obj`` (``"auto"``: the
    first that applies), or a :class:`~tropnet.TropnetError` saying why none does.

    Parameters
    ----------
    kind : str
        ``"linear"`` or ``"activation"``.
    method : str
        A name of `METHODS`, or ``"auto"``.
    obj : object
        The network or tropical map(s) to count.
    """
    if kind not in KINDS:
        raise TropnetError(f"unknown region kind {kind!r} (expected linear or activation)")
    if kind == "activation" and not isinstance(obj, Network):
        raise TropnetError("activation regions need a network (a tropical expression has no "
                           "activation pattern); use kind='linear'")
    if method == "auto":
        return next(m for m in METHODS.values() if m.applies(kind, _target(obj)))
    m = METHODS.get(method)
    if m is None:
        raise TropnetError(f"unknown method {method!r} (expected auto or one of "
                           f"{', '.join(METHODS)})")
    if kind not in m.kinds:
        raise TropnetError(f"method {method!r} counts {' and '.join(m.kinds)} regions, not "
                           f"{kind} regions (use one of "
                           f"{', '.join(method_names(kind, _target(obj)))})")
    if _target(obj) not in m.targets:
        raise TropnetError(f"method {method!r} needs a network; tropical expressions use "
                           f"method='tropical'")
    return m


def _float_check(found: Sequence[Region], obj: Any, arith: Arithmetic) -> tuple[str, ...]:
    """Float mode only: the regions whose affine map disagrees with the function at their
    own interior point (the network's Jacobian, or the value of the tropical map(s)) beyond
    the tolerance -- a symptom of round-off on near-degenerate cells, reported as a
    warning since the count is then unreliable."""
    maps = None if isinstance(obj, Network) else as_maps(obj)
    bad = 0
    for r in found:
        x = np.asarray(r.interior_point, dtype=float)
        W, b = np.asarray(r.weight, dtype=float), np.asarray(r.bias, dtype=float)
        if maps is None:
            J, c, _ = obj.affine_map(x, exact=False)
            got, want = np.concatenate([np.ravel(W), b]), np.concatenate([np.ravel(J), c])
        else:
            got = np.atleast_1d(W.dot(x) + b)
            want = np.array([float(m(x)) for m in maps])
        scale = max(1.0, float(np.abs(want).max(initial=0.0)), float(np.abs(x).max(initial=0)))
        if np.abs(got - want).max(initial=0.0) > arith.map_check_tol * scale:
            bad += 1
    if not bad:
        return ()
    return (f"{bad} of {len(found)} regions carry an affine map that differs from the "
            f"function at their own interior point (float round-off on near-degenerate "
            f"cells): the float count is unreliable; rerun with --exact or with "
            f"--method enumerate",)


# -- thin wrappers -------------------------------------------------------------------------

def linear_regions(obj: Any, domain: Domain | str | None = None, connectivity: str = "facet",
                   method: str = "auto", exact: bool | Arithmetic | None = None,
                   engine: str = "auto", progress: Callable[[int], None] | None = None,
                   force: bool = False, workers: int | None = None,
                   scheduler: Any = None) -> RegionSet:
    """The linear regions of a network or tropical map(s) on ``domain``: :func:`regions`
    with ``kind="linear"``.

    A linear region is a maximal connected subset of the domain (the closure of an open
    set) on which the map is affine; for several outputs, all of them at once. Each
    :class:`Region` lists its convex cells, the affine map and an interior point.
    ``method`` is ``"auto"`` (default: ``"enumerate"`` for networks, ``"tropical"`` for
    tropical expressions), ``"tropical"``, ``"enumerate"`` or ``"layerwise"`` (networks
    only); ``connectivity`` is ``"facet"`` (default) or ``"closure"``. ``workers`` /
    ``scheduler`` run the enumeration of ``"enumerate"`` on a Dask cluster (see
    :func:`regions`).

    Parameters
    ----------
    obj : Network, tropical map or list
        The network or tropical map(s).
    domain : Domain, str or None, default None
        The domain (see `regions`); ``None`` is ``R^n``.
    connectivity : {"facet", "closure"}, default "facet"
        How cells join into one region.
    method : str, default "auto"
        ``"auto"``, ``"tropical"``, ``"enumerate"`` or ``"layerwise"``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    engine : str, default "auto"
        ``"auto"``, ``"vertex"``, ``"lp"``, ``"planar"`` or ``"batch"``.
        The engine of ``"enumerate"`` (`tropnet.engines.enumerate.ENGINES`; ``"planar"``
        for 2-input nets on bounded domains), as in `activation_regions`.
    progress : callable or None, default None
        Called after each layer with the number of regions or cells so far
        (``"enumerate"``, ``"layerwise"``).
    force : bool, default False
        Lift the size and memory budgets.
    workers : int or None, default None
        Enumerate on a local Dask cluster of that many worker processes.
    scheduler : str, Client or None, default None
        Enumerate on this Dask scheduler address or client.

    Examples
    --------
    >>> from tropnet import parse
    >>> linear_regions(parse("max(x, y)")).count
    2
    >>> linear_regions(parse("max(0, x) + max(0, -x)")).count   # |x|
    2
    """
    params: dict[str, Any] = {"connectivity": connectivity}
    name = choose_method("linear", method, obj).name
    if name in ("enumerate", "layerwise") and progress is not None:
        params["progress"] = progress
    if name == "enumerate":
        params["engine"] = engine
    if workers is not None or scheduler is not None:
        params.update(workers=workers, scheduler=scheduler)
    return regions(obj, domain, "linear", method, exact=exact, force=force, **params)


def activation_regions(net: Network, domain: Domain | str | None = None, engine: str = "auto",
                       exact: bool | Arithmetic | None = None,
                       progress: Callable[[int], None] | None = None,
                       method: str = "enumerate", force: bool = False,
                       **params: Any) -> RegionSet:
    """The activation regions of ``net`` on ``domain``: :func:`regions` with
    ``kind="activation"``.

    Each region is the set of inputs sharing one activation pattern, listed when its
    interior is non-empty, with its pattern, polyhedron, affine map and an interior
    point. ``method`` is ``"enumerate"`` (default; ``engine`` ``"vertex"``, ``"lp"``,
    ``"planar"`` (2-input nets on bounded domains) or ``"auto"``) or ``"milp"``
    (``params`` as in :func:`tropnet.milp.activation_regions`).
    ``workers=N`` or ``scheduler="tcp://host:8786"`` (or a ``dask.distributed.Client``) run
    the enumeration on a Dask cluster (:mod:`tropnet.engines.parallel`); the regions are
    those of the serial run.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        The domain (see `regions`); ``None`` is ``R^n``.
    engine : str, default "auto"
        ``"auto"``, ``"vertex"``, ``"lp"``, ``"planar"`` or ``"batch"``.
        The engine of ``"enumerate"`` (`tropnet.engines.enumerate.ENGINES`): ``"planar"``
        for 2-input nets on bounded domains (ReLU, leaky ReLU, identity layers);
        ``"auto"`` takes it there, else ``"batch"`` in float mode on ``R^n`` and boxes
        (no maxout), else ``"vertex"`` up to input dimension 6, else ``"lp"`` (see
        `tropnet.engines.enumerate.choose_engine`).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the network is rational.
    progress : callable or None, default None
        Called after each layer with the number of regions so far (``"enumerate"``).
    method : {"enumerate", "milp"}, default "enumerate"
        The method.
    force : bool, default False
        Lift the size and memory budgets.
    **params : object
        Further options of the method (``workers``, ``scheduler``; for ``"milp"`` those of
        `tropnet.milp.activation_regions`).

    Examples
    --------
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                              ([[1, 1]], [0], "identity")])
    >>> activation_regions(net).count   # x < 0 and x > 0
    2
    """
    if method == "enumerate":
        params = {"engine": engine, **params}
    if progress is not None:
        params["progress"] = progress
    return regions(net, domain, "activation", method, exact=exact, force=force, **params)


def count_regions(obj: Any, domain: Domain | str | None = None, kind: str | None = None,
                  method: str = "auto", *, exact: bool | Arithmetic | None = None,
                  **params: Any) -> int:
    """The number of regions: ``regions(...).count`` (see :func:`regions`).

    Parameters
    ----------
    obj : Network, tropical map or list
        The network or tropical map(s).
    domain : Domain, str or None, default None
        The domain; ``None`` is ``R^n``.
    kind : str or None, default None
        ``"linear"`` or ``"activation"`` (see `regions`).
    method : str, default "auto"
        A name of `METHODS`, or ``"auto"``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    **params : object
        The method's options, and ``force`` (see `regions`).
    """
    return regions(obj, domain, kind, method, exact=exact, **params).count

"""The ``regions`` command: linear or activation regions of a network or expression."""

from __future__ import annotations

import argparse
from typing import Any

from ..dispatch import KINDS, RegionSet, choose_method, regions, resolve_kind
from ..domain import parse_domain
from ..engines import ENGINES
from ..engines.geometry import region_geometry
from ..engines.parallel import parallel_stream
from ..engines.stream import (
    StreamProgress,
    StreamSummary,
    region_line,
    stream_activation_regions,
    stream_linear_regions,
)
from ..errors import TropnetError
from ..files import write_atomic
from ..limits import TimeLimitReached, note
from ..network import Network
from ..polyhedra.lp import SOLVED
from .budget import LayerProgress, Work, guarded, hoffman_work, regions_work
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_connectivity,
    add_domain,
    add_method,
    add_solver,
    add_target,
    add_time_limit,
    arith_from,
    load_target,
    output_file,
    progress_bar,
    rational,
    rationals,
    record,
    resolve_domain,
)

__all__ = ["GEOMETRY_KEYS", "cmd_regions", "compute_regions", "regions_json", "register",
           "summary_json"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "regions", help="count (and list) linear or activation regions",
        description="Linear regions (maximal connected sets where the map is affine; "
                    "Lezeau et al.) or activation regions (sets sharing one activation "
                    "pattern; Serra et al. 2018) of a network or tropical expression.")
    add_target(p)
    p.add_argument("--kind", choices=KINDS, default=None,
                   help="which regions (default: linear, or activation for a method that "
                        "counts activation regions only)")
    add_method(p)
    p.add_argument("--engine", choices=("auto", *ENGINES), default="auto",
                   help="activation enumeration engine (default: planar for 2 inputs on a "
                        "bounded domain, batch in float mode on R^n and boxes, else vertex "
                        "up to 6 inputs, else lp)")
    add_domain(p)
    add_connectivity(p)
    add_solver(p)
    p.add_argument("--list", action="store_true",
                   help="list every region: interior point, affine map (and pattern)")
    p.add_argument("--geometry", action="store_true",
                   help="with --list: each region's vertices, rays, facets and volume (exact "
                        "in exact mode; one double description per cell), and a geometry "
                        "summary")
    p.add_argument("--count-only", action="store_true",
                   help="count the regions depth first, keeping none in memory (linear "
                        "regions: one union-find entry per activation region)")
    p.add_argument("--output", metavar="regions.jsonl", type=output_file, default=None,
                   help="stream the activation regions to a file, one JSON object per line "
                        "(pattern, interior point, affine map, inequalities); written "
                        "atomically, read back with tropnet.read_regions")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="enumerate (or solve the MILP's node problems, --method milp) on a "
                        "local Dask cluster of N single-threaded worker processes (closed "
                        "at the end)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="the same on the Dask cluster of the scheduler at ADDRESS "
                        "(tcp://host:8786)")
    add_arithmetic(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_regions)


def positive_int(text: str) -> int:
    """An argparse ``type``: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _cluster(args: argparse.Namespace) -> dict[str, Any]:
    """``workers`` / ``scheduler`` of the Dask options (none: the serial run)."""
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is not None and scheduler is not None:
        raise TropnetError("give --workers (a local cluster) or --scheduler (an existing "
                           "one), not both")
    return {k: v for k, v in (("workers", workers), ("scheduler", scheduler))
            if v is not None}


def compute_regions(args: argparse.Namespace, target: Any) -> tuple[RegionSet, dict]:
    """Run the region computation a ``regions``-style command asks for: estimated first
    (networks), refused over the budget, followed against the estimate."""
    kind = resolve_kind(args.kind, args.method)
    net = target if isinstance(target, Network) else None

    def find_domain() -> tuple[Any, dict]:
        dom, found = resolve_domain(args.domain, target, kind, args.connectivity,
                                    arith_from(args, target))
        record(args, domain=dom)
        return dom, found

    with progress_bar(args, desc=f"{kind} regions") as bar:
        if net is not None and args.domain.strip() == "effective":  # Hoffman constants first
            domain, notes = guarded(hoffman_work(net, arith_from(args, net).exact, kind),
                                    find_domain)
        else:
            domain, notes = find_domain()
        arith = arith_from(args, target, domain)
        method = choose_method(kind, args.method, target).name
        params: dict[str, Any] = {}
        if kind == "linear":
            params["connectivity"] = args.connectivity
        if method == "enumerate":
            params["engine"] = args.engine
        dask = _cluster(args)
        if dask and method not in ("enumerate", "milp"):
            raise TropnetError(f"--workers / --scheduler run --method enumerate or milp, not "
                               f"--method {method}")
        params.update(dask)
        if method == "milp":
            params["solver"] = args.solver
        work: Work | None = None
        if net is not None:
            work = regions_work(net, domain, kind, method, args.engine, arith.exact)
            note(estimate=work.estimate)
            notes["work_estimate"] = work.to_dict()
        layers = len(net.layers) if net is not None and method in ("enumerate", "layerwise") \
            and not dask else None
        bar.total = layers
        if layers is not None:
            # after layer l the enumeration holds the activation regions of the first l
            # layers: a lower bound on the activation regions (not on the linear ones)
            bound = "activation regions" if kind == "activation" and method == "enumerate" \
                else None
            what = "activation regions" if method == "enumerate" else "cells"
            params["progress"] = LayerProgress(work, layers, what, bound, bar)
        elif method == "milp":
            solved = SOLVED["milp"]

            def progress(count: int) -> None:  # every region found is one more
                note(lower_bound=count, lower_bound_of="activation regions",
                     so_far=f"{count:,} activation regions found")
                milps = SOLVED["milp"] - solved  # (0 on a cluster: solved by the workers)
                bar.set_postfix_str(f"{count:,} regions" + (f", {milps:,} MILPs solved"
                                                            if milps else ""), refresh=False)
                bar.update(1)

            params["progress"] = progress

        def run() -> RegionSet:
            return regions(target, domain, kind, method, exact=arith, **params)

        try:
            rs = guarded(work, run) if work is not None else run()
        except TimeLimitReached as exc:
            if kind != "activation" and exc.partial.get("lower_bound_of") == \
                    "activation regions":  # no bound on the linear regions (they merge)
                exc.partial.pop("lower_bound_of")
                exc.partial["activation_regions_at_least"] = exc.partial.pop("lower_bound")
            raise
    return rs, notes


def cmd_regions(args: argparse.Namespace) -> CommandResult:
    if args.geometry and (not args.list or args.count_only or args.output is not None):
        raise TropnetError("--geometry needs --list (and no --count-only or --output)")
    target = load_target(args)
    if args.count_only or args.output is not None:
        return _streamed(args, target)
    rs, notes = compute_regions(args, target)
    payload = regions_json(rs, args.list)
    payload.update(notes)
    if args.geometry:
        for entry, region in zip(payload["regions"], rs.regions, strict=True):
            entry.update(rationals(region_geometry(region), rs.arith.exact, GEOMETRY_KEYS))
        payload["geometry"] = summary_json(rs.summary(), rs.arith.exact)

    def text(p: dict) -> str:
        head = f"{p['count']} {p['kind']} regions"
        parts = [f"method {p['method']}" + (f" ({p['engine']} engine)" if p.get("engine")
                                            else ""),
                 f"domain {p['domain']['text']}", "exact" if p["exact"] else "float"]
        if p["kind"] == "linear":
            parts.append(f"{p['connectivity']} connectivity")
        lines = [f"{head}  [{', '.join(parts)}]"]
        if "domain_from" in p:
            lines.append(f"domain: {p['domain_from']}")
        for k, reg in enumerate(p.get("regions", [])):
            pat = f"  pattern {reg['pattern']}" if "pattern" in reg else ""
            lines.append(f"  region {k + 1}: point {reg['interior_point']}  map "
                         f"W={reg['affine_map']['weight']} b={reg['affine_map']['bias']}{pat}")
        return "\n".join(lines)

    return CommandResult(payload, text)


#: the rational fields of a region's geometry (``volume``: ``null`` when unbounded)
GEOMETRY_KEYS = frozenset({"vertices", "rays", "lines", "volume", "normal", "offset"})


def summary_json(summary: dict, exact: bool) -> dict:
    """The geometry summary of a region set with its rationals by the number rule: the
    volume's ``total``, ``min``, ``max`` and histogram ``edges``, the mean facet count."""
    return {**summary,
            "volume": rationals(summary["volume"], exact, {"total", "min", "max", "edges"}),
            "facets": {**summary["facets"], "mean": rational(summary["facets"]["mean"], exact)}}


def regions_json(rs: RegionSet, list_regions: bool = False) -> dict:
    """The result keys of a region set (``tropnet regions``): ``kind``, ``count``,
    ``method``, ``engine``, ``connectivity``, the method's notes and, with
    ``list_regions``, each region's interior point, affine map and pattern (rationals)."""
    payload = rs.to_dict(list_regions=list_regions)
    payload.pop("exact")
    text = payload.pop("domain")  # the domain, or the box a bounded method ran on (its info)
    if "box_from" in payload:
        payload["box"] = text
    if list_regions:
        payload["regions"] = rationals(payload["regions"], rs.arith.exact,
                                       {"interior_point", "affine_map"})
    return payload


def _streamed(args: argparse.Namespace, target: Any) -> CommandResult:
    """``--count-only`` / ``--output``: the regions depth first, none kept (linear regions:
    one union-find entry per activation region)."""
    flag = "--count-only" if args.count_only else "--output"
    if not isinstance(target, Network):
        raise TropnetError(f"{flag} streams the regions of a network, not of an expression")
    kind = args.kind or "activation"  # as before linear regions could stream
    if kind == "linear" and args.output is not None:
        raise TropnetError("--output streams activation regions; linear regions need the "
                           "gluing of all regions (use --count-only, or --kind activation)")
    if kind == "linear" and args.connectivity != "facet":
        raise TropnetError(f"{flag} glues linear regions across facets only; closure "
                           f"connectivity compares every pair of cells with one map (drop "
                           f"{flag}, or use --connectivity facet)")
    if args.method not in ("auto", "enumerate"):
        raise TropnetError(f"{flag} runs the depth-first enumeration, not --method "
                           f"{args.method}")
    if args.list:
        raise TropnetError(f"{flag} keeps no region to list: drop --list")
    if args.domain.strip() == "effective":
        raise TropnetError(f"{flag} needs rn, a box or a polytope as --domain")
    dask = _cluster(args)
    domain = parse_domain(args.domain, target.input_dim)
    record(args, domain=domain)
    arith = arith_from(args, target, domain)
    work = regions_work(target, domain, "activation", "enumerate", args.engine, arith.exact)
    note(estimate=work.estimate)
    with progress_bar(args, desc=f"{kind} regions") as bar:
        def progress(p: StreamProgress) -> None:
            bar.set_postfix_str(p.describe())
            bar.update(p.regions - bar.n)

        def run(sink: Any = None) -> StreamSummary:
            if dask:
                return parallel_stream(target, domain, arith, args.engine, kind, sink=sink,
                                       collect="count" if sink is None else "lines",
                                       progress=progress, **dask)
            if kind == "linear":
                return stream_linear_regions(target, domain, args.engine, arith,
                                             progress=progress)
            return stream_activation_regions(target, domain, args.engine, arith,
                                              None if sink is None else
                                              (lambda r: sink(region_line(r))), progress)

        if args.output is None:
            summary = guarded(work, run)
        else:
            found: list[StreamSummary] = []

            def write(tmp: str) -> None:
                with open(tmp, "w", encoding="utf-8") as fh:
                    found.append(guarded(work, lambda: run(fh.write)))

            write_atomic(args.output, write)
            summary = found[0]
    payload = {"kind": kind, "count": summary.count, "method": "enumerate",
               "engine": summary.engine, "count_only": args.output is None,
               **summary.info, "work_estimate": work.to_dict()}
    if args.output is not None:
        payload["output"] = args.output

    def text(p: dict) -> str:
        where = f"; written to {p['output']}" if "output" in p else ""
        how = "depth first" if "parallel" not in p else \
            f"{p['parallel']['tasks']} parallel tasks on {p['parallel']['workers']} workers"
        conn = ", facet connectivity" if p["kind"] == "linear" else ""
        return (f"{p['count']} {p['kind']} regions  [method enumerate, {how} ("
                f"{p['engine']} engine), domain {p['domain']['text']}, "
                f"{'exact' if p['exact'] else 'float'}{conn}]{where}")

    return CommandResult(payload, text)

"""The ``regions`` command: linear or activation regions of a network or expression."""

from __future__ import annotations

import argparse
from typing import Any

from ..domain import Domain, parse_domain
from ..errors import TropnetError
from ..network import Network
from ..regions import RegionSet, activation_regions, linear_regions
from .common import CommandResult, add_arithmetic, add_common, add_target, arith_from, load_target
from .progress import progress_bar

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "regions", help="count (and list) linear or activation regions",
        description="Linear regions (maximal connected sets where the map is affine; "
                    "Lezeau et al.) or activation regions (sets sharing one activation "
                    "pattern; Serra et al. 2018) of a network or tropical expression.")
    add_target(p)
    p.add_argument("--kind", choices=("linear", "activation"), default="linear",
                   help="which regions (default: linear)")
    p.add_argument("--method", choices=("tropical", "enumerate", "layerwise", "milp"),
                   default=None,
                   help="linear: tropical (default), enumerate, layerwise; "
                        "activation: enumerate (default) or milp")
    p.add_argument("--engine", choices=("auto", "vertex", "lp"), default="auto",
                   help="activation enumeration engine (default: vertex up to 6 inputs)")
    add_domain(p)
    p.add_argument("--connectivity", choices=("facet", "closure"), default="facet",
                   help="when same-map cells glue: sharing a facet (default) or touching")
    p.add_argument("--solver", default="HIGHS", help="MILP solver for --method milp")
    p.add_argument("--list", action="store_true",
                   help="list every region: interior point, affine map (and pattern)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_regions)


def add_domain(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", default="rn", metavar="DOMAIN",
                   help="rn (default), box:LO,HI, box:LO1,HI1;LO2,HI2;..., "
                        "polytope:FILE.json, or effective (the effective-radius box)")


def resolve_domain(text: str, target: Any, kind: str = "linear",
                   connectivity: str = "facet") -> tuple[Domain, dict]:
    """The domain of a command, and notes about how it was chosen (for ``effective``)."""
    n = target.input_dim if isinstance(target, Network) else target.nvars
    if text.strip() != "effective":
        return parse_domain(text, n), {}
    try:
        from ..hoffman import effective_box
    except ImportError:
        raise TropnetError("--domain effective needs the Hoffman module (tropnet.hoffman), "
                           "which is not available") from None
    dom = effective_box(target, kind=kind, connectivity=connectivity)
    return dom, {"domain_from": "effective radius (Hoffman constant): a box that meets every "
                                f"{kind} region of R^n"}


def compute_regions(args: argparse.Namespace, target: Any) -> tuple[RegionSet, dict]:
    """Run the region computation a ``regions``-style command asks for."""
    kind = args.kind
    domain, notes = resolve_domain(args.domain, target, kind, args.connectivity)
    arith = arith_from(args, target, domain)
    method = args.method or ("tropical" if kind == "linear" else "enumerate")
    with progress_bar(args, desc=f"{kind} regions") as bar:
        def progress(count: int) -> None:
            bar.set_postfix(regions=count)
            bar.update(1)

        if kind == "activation":
            if not isinstance(target, Network):
                raise TropnetError("activation regions need a network, not an expression")
            if method == "milp":
                from ..milp import count_activation_regions

                rs = count_activation_regions(target, domain, solver=args.solver, exact=arith)
            elif method == "enumerate":
                rs = activation_regions(target, domain, args.engine, arith, progress)
            else:
                raise TropnetError(f"--method {method} counts linear regions; activation "
                                   f"regions use enumerate or milp")
        else:
            if method == "milp":
                raise TropnetError("--method milp counts activation regions; add "
                                   "--kind activation")
            rs = linear_regions(target, domain, args.connectivity, method, arith, args.engine,
                                progress)
    return rs, notes


def cmd_regions(args: argparse.Namespace) -> CommandResult:
    target = load_target(args)
    rs, notes = compute_regions(args, target)
    payload = rs.to_dict(list_regions=args.list)
    payload.update(notes)

    def text(p: dict) -> str:
        head = f"{p['count']} {p['kind']} regions"
        parts = [f"method {p['method']}" + (f" ({p['engine']} engine)" if p.get("engine")
                                            else ""),
                 f"domain {p['domain']}", "exact" if p["exact"] else "float"]
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

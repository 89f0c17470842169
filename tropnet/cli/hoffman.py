"""The ``hoffman`` and ``sample`` commands: Hoffman constants, effective radius, sampling."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputFileError, TropnetError
from ..hoffman import effective_radius, hoffman_constant
from ..io import load_json, load_network, network_from_dict
from ..network import Network
from ..sampling import sample_regions
from .common import CommandResult, add_arithmetic, add_common, arith_from, load_target

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hoffman", help="Hoffman constant of a matrix, tropical map or network",
        description="The Hoffman constant H of a matrix A (dist(x, {Ay <= b}) <= H "
                    "||(Ax - b)_+||), or of a tropical map / network (the largest over the "
                    "cells of its common refinement; Lezeau et al. Section 3) together with "
                    "the effective radius: a ball around the origin meeting every region. "
                    "Norms: --norm inf (default) measures distance and residual in the "
                    "max-norm, so H(I) = 1; --norm 2 uses the Euclidean norm for both.")
    p.add_argument("input", nargs="?", metavar="MATRIX.json|NET.json",
                   help='a matrix file {"A": [[...], ...]} or a network file')
    p.add_argument("--expr", metavar="TEXT", help="a tropical expression instead of a file")
    p.add_argument("--variables", metavar="NAMES", help="comma-separated variable order")
    p.add_argument("--norm", choices=("inf", "2"), default="inf",
                   help="inf: max-norm distance and residual (default); 2: Euclidean")
    p.add_argument("--method", choices=("exact", "pvz", "bounds"), default="pvz",
                   help="pvz (default) or exact: the exact value (Pena-Vera-Zuluaga, or "
                        "exhaustive enumeration of row sets); bounds: a cheap interval")
    p.add_argument("--kind", choices=("linear", "activation"), default="linear",
                   help="regions the effective radius must meet (networks: activation too)")
    p.add_argument("--connectivity", choices=("facet", "closure"), default="facet",
                   help="gluing rule of linear regions used for the effective radius")
    p.add_argument("--rows", choices=("all", "facets"), default="all",
                   help="rows of each cell for the map's Hoffman constant: all (the paper's "
                        "definition, default) or only the facet rows")
    p.add_argument("--samples", type=int, default=12,
                   help="random row sets for the lower bound of --method bounds")
    p.add_argument("--seed", type=int, default=0, help="seed of --method bounds")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_hoffman)

    p = sub.add_parser(
        "sample", help="estimate the number of linear regions by sampling",
        description="Lezeau et al. Algorithm 5: sample points in the cube [-R, R]^n, count "
                    "distinct affine maps (exact Jacobians), split same-map points whose "
                    "midpoint does not follow the map. The result is an ESTIMATE (it can "
                    "miss regions, and split non-convex regions wrongly).")
    p.add_argument("network", metavar="NET.json", help="network file")
    p.add_argument("--samples", type=int, default=1000, help="number of points (default 1000)")
    p.add_argument("--radius", default="1",
                   help="half-width R of the cube (default 1), or 'effective' for the "
                        "effective-radius box of the linear regions (compiles the network)")
    p.add_argument("--symmetric", action="store_true",
                   help="the network is invariant under permuting its inputs (verified on "
                        "random points): sample x1 >= ... >= xn only, weight by Lemma 30")
    p.add_argument("--auto-symmetric", action="store_true",
                   help="detect permutation invariance and use it when present")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_sample)


def _load(args: argparse.Namespace) -> tuple[str, Any]:
    """``("matrix", rows)``, ``("network", Network)`` or ``("expression", map)``."""
    if args.input and args.expr:
        raise TropnetError("give either a file or --expr, not both")
    if args.expr is not None:
        args.network = None
        return "expression", load_target(args)
    if not args.input:
        raise TropnetError("missing input: give MATRIX.json, NET.json or --expr TEXT")
    path = Path(args.input)
    if path.suffix.lower() == ".npz":
        return "network", load_network(path)
    data = load_json(path)
    if isinstance(data, dict) and "A" in data:
        if not isinstance(data["A"], list):
            raise InputFileError(f"{path}: 'A' must be a list of rows")
        return "matrix", data["A"]
    if isinstance(data, dict) and "layers" in data:
        return "network", network_from_dict(data, str(path))
    raise InputFileError(f"{path}: expected a matrix file {{\"A\": [[...], ...]}} or a "
                         f"network file (with \"layers\")")


def cmd_hoffman(args: argparse.Namespace) -> CommandResult:
    what, obj = _load(args)
    options: dict[str, Any] = {}
    if args.method == "bounds":
        options.update(samples=args.samples, seed=args.seed)
    exact: Any = args.exact
    if what == "network":
        exact = arith_from(args, obj)
    elif args.limit_denominator:
        exact = arith_from(args)
    if what == "matrix":
        h = hoffman_constant(obj, args.norm, args.method, exact, **options)
        payload = {"input": "matrix", **h.to_dict()}
    else:
        if what == "network" and args.kind == "activation":
            h = None
        else:
            h = hoffman_constant(obj, args.norm, args.method, exact, rows=args.rows, **options)
        er = effective_radius(obj, args.norm, args.method, kind=args.kind,
                              connectivity=args.connectivity, exact=exact, **options)
        payload = {"input": what}
        if what == "network":
            payload["network"] = obj.architecture()
        else:
            payload["expression"] = args.expr
        payload.update(h.to_dict() if h is not None else
                       {"hoffman": None, "norm": args.norm, "convention": er.convention,
                        "method": args.method})
        payload["effective_radius"] = er.to_dict()["effective_radius"]
        payload["radius"] = er.to_dict()
    return CommandResult(payload, _hoffman_text)


def _hoffman_text(p: dict) -> str:
    lines = []
    if p.get("hoffman") is not None:
        lines.append(f"Hoffman constant H = {p['hoffman']}  [{p['method']}, "
                     f"{'exact' if p.get('exact') else 'float'}]")
    elif "lower" in p:
        lines.append(f"Hoffman constant in [{p['lower']}, {p['upper']}]  [bounds"
                     f"{'' if p.get('certified', True) else ', upper bound sampled'}]")
    lines.append(f"norms: {p['convention']}")
    if "cells" in p:
        lines.append(f"largest over {p['cells']} cells of the common refinement "
                     f"(rows: {p.get('rows_used', 'all')})")
    if "radius" in p:
        r = p["radius"]
        parts = f"{r['cells']} regions" if r["kind"] == "activation" else \
            f"{r['cells']} cells, {r['faces']} gluing faces"
        lines.append(f"effective radius r = {r['effective_radius']} around the origin: "
                     f"the ball of radius r meets every {r['kind']} region ({parts})")
        lines.append(f"effective box: [-{r['box_radius']}, {r['box_radius']}]^n")
        if "prop22_bound" in r:
            lines.append(f"(Lezeau et al. Prop. 22 uniform bound: {r['prop22_bound']})")
    return "\n".join(lines)


def cmd_sample(args: argparse.Namespace) -> CommandResult:
    net: Network = load_network(args.network)
    arith = arith_from(args, net)
    if args.symmetric and args.auto_symmetric:
        raise TropnetError("give --symmetric or --auto-symmetric, not both")
    symmetric: bool | str = True if args.symmetric else ("auto" if args.auto_symmetric
                                                          else False)
    radius: Any = args.radius
    if radius.strip().lower() != "effective":
        try:
            from ..arithmetic import parse_number

            radius = parse_number(radius, "--radius")[0]
        except TropnetError:
            raise TropnetError(f"--radius must be a positive number or 'effective', got "
                               f"{args.radius!r}") from None
    est = sample_regions(net, samples=args.samples, radius=radius, seed=args.seed,
                         symmetric=symmetric, exact=arith)
    payload = {"network": net.architecture(), **est.to_dict()}

    def text(p: dict) -> str:
        sym = " (fundamental domain x1 >= ... >= xn, Lemma 30 weights)" if p["symmetric"] \
            else ""
        lines = [f"estimated linear regions: {p['estimate']}  (an ESTIMATE from "
                 f"{p['samples']} samples in {p['domain']}, seed {p['seed']}){sym}",
                 f"distinct affine maps {p['distinct_maps']}, activation patterns "
                 f"{p['activation_patterns']}, midpoint splits {p['midpoint_splits']}",
                 "convergence (samples: estimate): "
                 + ", ".join(f"{k}: {v}" for k, v in p["curve"])]
        return "\n".join(lines)

    return CommandResult(payload, text)

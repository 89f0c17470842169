"""The ``hoffman`` command: Hoffman constants and the effective radius."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..dispatch import KINDS
from ..domain import rn
from ..engines.tropical import input_dim
from ..errors import InputFileError, TropnetError
from ..hoffman import METHODS, effective_radius, hoffman_constant
from ..io import load_json, network_from_dict
from ..limits import note
from .budget import guarded, hoffman_work, matrix_hoffman_work
from .common import (
    MAX_SEED,
    CommandResult,
    add_arithmetic,
    add_common,
    add_connectivity,
    add_time_limit,
    arith_from,
    int_option,
    load_net,
    load_target,
    progress_bar,
    rationals,
    record,
)

__all__ = ["cmd_hoffman", "register"]


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
    p.add_argument("--method", choices=METHODS, default="auto",
                   help="auto (default): the exact value by the cheapest exact method, "
                        "refused when estimated over the time budget; exact: enumeration of "
                        "row sets (of at most n rows in the max-norm with n <= 3 inputs); "
                        "pvz: the maximal surjective row sets, one LP each "
                        "(Pena-Vera-Zuluaga); bounds: a certified interval, cheap")
    p.add_argument("--kind", choices=KINDS, default="linear",
                   help="regions the effective radius must meet (networks: activation too)")
    add_connectivity(p)
    p.add_argument("--rows", choices=("all", "facets"), default="all",
                   help="rows of each cell for the map's Hoffman constant: all (the paper's "
                        "definition, default) or only the facet rows")
    p.add_argument("--samples", type=int_option(1, 10**6), default=12,
                   help="random row sets for the lower bound of --method bounds")
    p.add_argument("--seed", type=int_option(0, MAX_SEED), default=0,
                   help="seed of --method bounds")
    add_arithmetic(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_hoffman)


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
        return "network", load_net(args, path)
    data = load_json(path)
    if isinstance(data, dict) and "A" in data:
        if not isinstance(data["A"], list):
            raise InputFileError(f"{path}: 'A' must be a list of rows")
        return "matrix", data["A"]
    if isinstance(data, dict) and "layers" in data:
        net = network_from_dict(data, str(path))
        record(args, network=net, path=path)
        return "network", net
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
    with progress_bar(args, desc="hoffman") as bar:
        progress = _follow(bar)
        if what == "matrix":
            work = matrix_hoffman_work(obj, args.method, args.norm)
            note(estimate=work.estimate)
            h = guarded(work, lambda: hoffman_constant(obj, args.norm, args.method, exact,
                                                       progress=progress, **options))
            record(args, exact=h.arith)
            return CommandResult({"input": "matrix", "matrix": str(args.input),
                                  **_constant(h.to_dict(), h.arith.exact)}, _hoffman_text)

        def run() -> tuple[Any, Any]:
            h = None if what == "network" and args.kind == "activation" else \
                hoffman_constant(obj, args.norm, args.method, exact, rows=args.rows,
                                 progress=progress, **options)
            return h, effective_radius(obj, args.norm, args.method, kind=args.kind,
                                       connectivity=args.connectivity, exact=exact,
                                       progress=progress, **options)

        if what == "network":
            # compile and cells, then the certified bounds of every cell; the exact step
            # that follows is estimated (and refused over the budget) by the library. (A
            # float network is compiled exactly, by the certified float walk of
            # compile_network, so its compile costs about what the float model says.)
            work = hoffman_work(obj, exact.exact, args.kind, args.rows, "bounds")
            note(estimate=work.estimate)
            h, er = guarded(work, run)
        else:
            h, er = run()
    payload: dict[str, Any] = {"input": what}
    if what == "network":
        record(args, domain=rn(obj.input_dim))
    else:
        record(args, domain=rn(input_dim(obj)), exact=er.arith)
    payload.update(_constant(h.to_dict(), er.arith.exact) if h is not None else
                   {"hoffman": None, "lower_bound": None, "upper_bound": None,
                    "norm": args.norm, "convention": er.convention, "method": args.method})
    radius = _constant(er.to_dict(), er.arith.exact)
    radius["hoffman_used"] = radius.pop("hoffman")  # the largest over cells and faces
    payload["effective_radius"] = radius.pop("effective_radius")
    payload["radius"] = radius
    return CommandResult(payload, _hoffman_text)


#: the rational fields of a Hoffman constant and an effective radius
_HOFFMAN_KEYS = frozenset({"hoffman", "lower_bound", "upper_bound", "effective_radius",
                           "center", "box_radius", "prop22_bound", "cells_radius",
                           "argmax_cell_point"})


def _constant(d: dict, exact: bool) -> dict:
    """A Hoffman constant's or radius's ``to_dict`` with the schema's names (``lower``,
    ``upper`` -> ``lower_bound``, ``upper_bound``; no ``exact``, ``object``, which the common
    keys say): rationals by the number rule in the max-norm, floats in the 2-norm (the
    constants are then irrational)."""
    out = {k: v for k, v in d.items() if k not in ("exact", "object")}
    for old, new in (("lower", "lower_bound"), ("upper", "upper_bound")):
        if old in out:
            out[new] = out.pop(old)
    if out.get("norm") != "2":
        return rationals(out, exact, _HOFFMAN_KEYS)
    points = _HOFFMAN_KEYS & {"center", "box_radius", "argmax_cell_point"}
    return rationals(rationals(out, False, _HOFFMAN_KEYS - points), exact, points)


def _follow(bar: Any) -> Any:
    """A progress callback ``(done, total, what)`` drawing on ``bar`` (one phase at a time:
    cells bounded, cells solved, LPs of a search, cells of the radius)."""
    phase = [""]

    def progress(done: int, total: int, what: str) -> None:
        if what != phase[0]:
            phase[0] = what
            bar.reset(total=total)
            bar.set_description(what)
        bar.update(done - bar.n)

    return progress


def _hoffman_text(p: dict) -> str:
    lines = []
    if p.get("hoffman") is not None:
        mode = "exact" if p["exact"] and p["norm"] == "inf" else \
            "float: the exact value rounded" if p.get("decided") == "exact" else "float"
        lines.append(f"Hoffman constant H = {p['hoffman']}  [{p['method']}, {mode}]")
    elif p.get("lower_bound") is not None:
        lines.append(f"Hoffman constant in [{p['lower_bound']}, {p['upper_bound']}]  [bounds"
                     f"{'' if p.get('certified', True) else ', upper bound sampled'}]")
    lines.append(f"norms: {p['convention']}")
    if "cells" in p:
        lines.append(f"largest over {p['cells']} cells of the common refinement "
                     f"(rows: {p.get('rows_used', 'all')})")
    if "radius" in p:
        r = p["radius"]
        parts = f"{r['cells']} regions" if r["kind"] == "activation" else \
            f"{r['cells']} cells, {r['faces']} gluing faces"
        lines.append(f"effective radius r = {p['effective_radius']} around the origin: "
                     f"the ball of radius r meets every {r['kind']} region ({parts})")
        lines.append(f"effective box: [-{r['box_radius']}, {r['box_radius']}]^n")
        if "prop22_bound" in r:
            lines.append(f"(Lezeau et al. Prop. 22 uniform bound: {r['prop22_bound']})")
    return "\n".join(lines)

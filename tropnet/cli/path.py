"""The ``path`` command: the regions a polyline crosses, with the exact breakpoints."""

from __future__ import annotations

import argparse

from ..domain import rn
from ..engines.path import KINDS, regions_along
from ..errors import TropnetError
from ..network import Network
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    arith_from,
    load_net,
    rationals,
    record,
)

__all__ = ["cmd_path", "parse_points", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "path", help="the regions a polyline crosses, with the exact breakpoints",
        description="Walk the polyline x0 -> x1 -> ... and report where it crosses from one "
                    "region to the next (segment and exact parameter t in [0, 1]), the "
                    "regions crossed and the affine map on each piece: the 'transitions "
                    "along a trajectory' of expressivity studies. Exact in exact mode; float "
                    "networks are walked exactly on the rationals of their floats.")
    p.add_argument("network", metavar="NET.json", help="network file")
    p.add_argument("--points", required=True, metavar="X0;X1;...",
                   help="the polyline's points, ';' between points and ',' between "
                        "coordinates, e.g. --points=\"-1,0;1,0\" (write '=' when the first "
                        "number is negative; rationals such as 1/3 allowed)")
    p.add_argument("--kind", choices=KINDS, default="activation",
                   help="activation regions (default) or linear regions (pieces with the "
                        "same affine map merged)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_path)


#: the rational fields of a path (points, parameters t, affine maps)
_RATIONAL_KEYS = frozenset({"points", "point", "t", "start_point", "end_point", "affine_map"})


def parse_points(text: str) -> list[list[str]]:
    """``"x0;x1;..."`` (coordinates separated by ``,``) as lists of number texts."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise TropnetError(f"cannot read --points {text!r}: use e.g. \"-1,0;1,0\"")
    return [[v.strip() for v in p.split(",")] for p in parts]


def cmd_path(args: argparse.Namespace) -> CommandResult:
    net: Network = load_net(args, args.network)
    points = parse_points(args.points)
    arith = arith_from(args, net)  # the points are rational texts: the network decides
    result = regions_along(net, points, args.kind, exact=arith)
    record(args, domain=rn(net.input_dim))
    payload = rationals(result.to_dict(), arith.exact, _RATIONAL_KEYS)
    payload.pop("exact")
    payload["count"] = payload.pop("regions")  # regions crossed (pieces of the path)

    def text(p: dict) -> str:
        lines = [f"{p['count']} {p['kind']} regions along the path, {p['transitions']} "
                 f"transitions"]
        for b in p["breakpoints"]:
            lines.append(f"  segment {b['segment']}, t = {b['t']}: "
                         f"({', '.join(str(v) for v in b['point'])})")
        return "\n".join(lines)

    return CommandResult(payload, text)


"""The ``boundary`` command: the pieces of a decision boundary ``{f = t}``."""

from __future__ import annotations

import argparse

from ..engines.boundary import decision_boundary
from ..io import load_network
from ..network import Network, read_number
from .common import CommandResult, add_arithmetic, add_common, add_domain, arith_from, int_option

__all__ = ["cmd_boundary", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "boundary", help="the pieces of the decision boundary {f = t} of a scalar output",
        description="The level set {x in domain : f(x) = t}: its (n-1)-dimensional pieces "
                    "(one per activation region, decided exactly), connected components "
                    "(closures meeting), and total (n-1)-volume, exact as a sum of square "
                    "roots (\"volume_exact\") and as a float.")
    p.add_argument("network", metavar="NET.json", help="network file")
    add_domain(p, effective=False)
    p.add_argument("--threshold", default="0", metavar="T",
                   help="the level t (default 0; rationals such as 1/3 allowed)")
    p.add_argument("--output", type=int_option(0, 10**6), default=None, metavar="K",
                   help="which output, for a network with several (0-based)")
    p.add_argument("--list", action="store_true", help="list the pieces (JSON: piece_list)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_boundary)


def cmd_boundary(args: argparse.Namespace) -> CommandResult:
    net: Network = load_network(args.network)
    arith = arith_from(args, net)
    t = read_number(args.threshold, "--threshold")[0]
    bd = decision_boundary(net, args.domain, t, args.output, exact=arith)
    payload = {"network": net.architecture(), **bd.to_dict(list_pieces=args.list)}

    def text(p: dict) -> str:
        lines = [f"{p['pieces']} pieces of {{f = {p['threshold']}}} on {p['domain']} "
                 f"({p['components']} connected components, {p['linear_pieces']} after "
                 f"merging pieces of one affine map, {p['flat_regions']} regions where "
                 f"f = t identically)",
                 f"total (n-1)-volume: {p['volume']}"
                 + (f" = {p['volume_exact']}" if p["volume_exact"] else "")]
        return "\n".join(lines)

    return CommandResult(payload, text)

"""The ``boundary`` command: the pieces of a decision boundary ``{f = t}``."""

from __future__ import annotations

import argparse

from ..engines.boundary import decision_boundary
from ..network import Network, read_number
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_domain,
    arith_from,
    int_option,
    load_net,
    rational,
    rationals,
    record,
)

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
    p.add_argument("--list", action="store_true", help="list the pieces (JSON: pieces)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_boundary)


#: the rational fields of a boundary piece (its hyperplane, point, vertices, measure)
_RATIONAL_KEYS = frozenset({"normal", "offset", "point", "vertices", "measure"})


def cmd_boundary(args: argparse.Namespace) -> CommandResult:
    net: Network = load_net(args, args.network)
    arith = arith_from(args, net)
    t = read_number(args.threshold, "--threshold")[0]
    bd = decision_boundary(net, args.domain, t, args.output, exact=arith)
    record(args, domain=bd.domain)
    payload = bd.to_dict(list_pieces=args.list)
    for key in ("domain", "exact"):
        payload.pop(key)
    payload["count"] = payload.pop("pieces")
    if args.list:
        payload["pieces"] = [_approximate_volume(rationals(piece, arith.exact, _RATIONAL_KEYS))
                             for piece in payload.pop("piece_list")]
    payload["threshold"] = rational(t, arith.exact)
    _approximate_volume(payload)

    def text(p: dict) -> str:
        lines = [f"{p['count']} pieces of {{f = {p['threshold']}}} on {p['domain']['text']} "
                 f"({p['components']} connected components, {p['linear_pieces']} after "
                 f"merging pieces of one affine map, {p['flat_regions']} regions where "
                 f"f = t identically)",
                 f"total (n-1)-volume: {_text(p['approximate_volume'])}" + _exact(p)]
        return "\n".join(lines)

    return CommandResult(payload, text)


def _approximate_volume(d: dict) -> dict:
    """``d`` with its float ``volume`` (the text ``inf`` when unbounded) as
    ``approximate_volume`` (``null`` when unbounded; ``volume_exact`` is the exact value)."""
    vol = d.pop("volume")
    d["approximate_volume"] = None if vol == "inf" else float(vol)
    return d


def _exact(p: dict) -> str:
    """`` = <exact volume>`` when it is short enough to read (always in ``--json``)."""
    exact = p["volume_exact"]
    if not exact:
        return ""
    if len(exact) <= EXACT_TEXT_CHARS:
        return f" = {exact}"
    return f" (exact: a sum of square roots of {len(exact):,} characters, in --json)"


#: the longest exact volume the text report prints
EXACT_TEXT_CHARS = 120


def _text(volume: float | None) -> str:
    return "inf" if volume is None else f"{volume:g}"

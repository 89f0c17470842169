"""The ``construct`` command: the network of a lower-bound theorem, with exact weights."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..constructions import CONSTRUCTIONS
from ..dispatch import choose_method
from ..errors import TropnetError
from ..limits import note
from .budget import construct_work, guarded, regions_work
from .common import (
    STDOUT,
    CommandResult,
    add_common,
    add_time_limit,
    int_list_option,
    int_option,
    network_output,
    output_file,
    record,
)

__all__ = ["cmd_construct", "register"]

_FLAG = {"n0": "--input-dim", "widths": "--widths", "width": "--width", "depth": "--depth",
         "m": "--m", "w": "--w", "last_layer": "--last-layer", "outputs": "--outputs"}
_ATTR = {"n0": "input_dim", "widths": "widths", "width": "width", "depth": "depth",
         "m": "m", "w": "w", "last_layer": "last_layer", "outputs": "outputs"}
_OPTIONAL = {"last_layer", "outputs"}
_COUNT = int_option(1, 10**6)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "construct", help="build a network attaining a lower bound",
        description="Build the network of a lower-bound theorem with exact rational weights, "
                    "print the theorem's count, the region kind it counts and the domain, and "
                    "write it with -o. Parameters: " + "; ".join(
                        f"{name}: {', '.join(_FLAG[k] for k in params)}"
                        for name, (_, params) in CONSTRUCTIONS.items()))
    p.add_argument("name", choices=sorted(CONSTRUCTIONS), metavar="NAME",
                   help=", ".join(sorted(CONSTRUCTIONS)))
    p.add_argument("--input-dim", type=_COUNT, metavar="N", help="input dimension n0")
    p.add_argument("--widths", metavar="W1,W2,...", type=int_list_option(1, 10**6),
                   help="hidden widths")
    p.add_argument("--width", type=_COUNT, metavar="N", help="width of every layer (ternary)")
    p.add_argument("--depth", type=_COUNT, metavar="L", help="number of layers")
    p.add_argument("--m", type=_COUNT, metavar="M", help="Theorem 9: first layer has 2m units")
    p.add_argument("--w", type=_COUNT, metavar="W", help="Theorem 9: width of the other layers")
    p.add_argument("--last-layer", choices=("zigzag", "arrangement"),
                   help="montufar2014: eqs. (5)-(7) (zigzag, default) or a general-position "
                        "arrangement (Theorem 5's full bound)")
    p.add_argument("--outputs", type=_COUNT, metavar="K", help="number of outputs")
    p.add_argument("-o", "--output", metavar="NET.json", type=output_file,
                   help="write the network here (- for JSON on stdout, the report then on "
                        "stderr)")
    p.add_argument("--verify", action="store_true",
                   help="count the regions exactly (tropnet.regions) and compare")
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_construct)


def cmd_construct(args: argparse.Namespace) -> CommandResult:
    builder, params = CONSTRUCTIONS[args.name]
    kwargs: dict[str, Any] = {}
    for name in params:
        value = getattr(args, _ATTR[name])
        if value is None:
            if name in _OPTIONAL:
                continue
            raise TropnetError(f"construct {args.name} needs {_FLAG[name]}")
        kwargs[name] = value
    extra = [_FLAG[k] for k in _ATTR if k not in params and getattr(args, _ATTR[k]) is not None]
    if extra:
        raise TropnetError(f"construct {args.name} does not take {', '.join(extra)} (it takes "
                           f"{', '.join(_FLAG[k] for k in params)})")
    work = construct_work(args.name, _dims(args.name, kwargs))
    con = guarded(work, lambda: builder(**kwargs))
    record(args, network=con.network, path=args.output if args.output not in (None, STDOUT)
           else None, domain=con.domain, exact=True)
    payload = con.to_dict()
    payload["kind"] = payload.pop("region_kind")
    status = 0
    if args.verify:
        method = choose_method(con.kind, "auto", con.network).name
        check = regions_work(con.network, con.domain, con.kind, method, exact=True)
        note(estimate=check.estimate)
        counted = guarded(check, con.verify)
        payload["verified_count"] = counted
        payload["agrees"] = counted == con.count
        status = 0 if counted == con.count else 1
    files = {}
    if args.output:
        payload["output"] = args.output
        files = network_output(args.output, con.network)

    def text(p: dict) -> str:
        lines = [f"{p['construction']}: {p['theorem']}",
                 f"  network {p['network']['architecture']}, parameters "
                 f"{json.dumps(p['parameters'])}",
                 f"  theorem's count: {p['count']} {p['kind']} regions on "
                 f"{con.domain.describe()}"]
        if p["note"]:
            lines.append(f"  note: {p['note']}")
        if "verified_count" in p:
            verdict = "agrees" if p["agrees"] else "DISAGREES"
            lines.append(f"  exact count (tropnet.regions): {p['verified_count']} ({verdict})")
        if "output" in p:
            lines.append(f"  written to {p['output']}")
        return "\n".join(lines)

    return CommandResult(payload, text, status=status, files=files)


def _dims(name: str, kw: dict[str, Any]) -> list[int]:
    """The layer sizes of construction ``name`` (input, hidden layers, output), read from
    its parameters before it is built."""
    if name == "serra2018-thm9":
        return [kw["n0"], 2 * kw["m"], *[kw["w"]] * (kw["depth"] - 1), 1]
    if name == "nakahara2024-ternary":
        return [kw["n0"], *[kw["width"]] * (kw["depth"] - 1), kw.get("outputs", 1)]
    widths = list(kw["widths"])
    return [kw.get("n0", 1), *widths, kw.get("outputs", widths[-1])]

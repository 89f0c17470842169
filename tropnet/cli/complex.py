"""The ``complex`` command: the polyhedral complex of the regions on a bounded domain."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..dispatch import KINDS, regions
from ..errors import DomainError
from ..files import write_atomic
from ..network import Network
from .common import (
    STDOUT,
    CommandResult,
    add_arithmetic,
    add_common,
    add_connectivity,
    add_domain,
    add_method,
    add_target,
    arith_from,
    load_target,
    output_file,
    record,
    resolve_domain,
)

__all__ = ["cmd_complex", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "complex", help="the polyhedral complex of the regions: vertices, edges, 2-faces, ...",
        description="Every face (vertices, edges, 2-faces, ..., cells) of the subdivision of a "
                    "bounded domain by the cells of the linear or activation regions, each "
                    "once, decided exactly: incidences (an edge's vertices, a face's facets, "
                    "the cells and regions containing it), the gluing faces between cells of "
                    "one linear region, and for networks the sign vector of every face. The "
                    "complex is written as JSON with -o (exact numbers as \"p/q\"); the report "
                    "gives the f-vector and the Euler characteristic (1 on a box).")
    add_target(p)
    add_domain(p, bounded=True, note="required: the complex of a bounded domain")
    p.add_argument("--kind", choices=KINDS, default="linear",
                   help="cells of the linear regions (default; gluing faces marked) or the "
                        "activation regions")
    add_method(p)
    add_connectivity(p)
    p.add_argument("-o", "--output", metavar="complex.json", type=output_file, default=None,
                   help="write the complex as JSON ('-' for stdout; the report then goes to "
                        "stderr)")
    add_arithmetic(p)
    add_common(p)
    p.set_defaults(func=cmd_complex)


def cmd_complex(args: argparse.Namespace) -> CommandResult:
    target = load_target(args)
    net = target if isinstance(target, Network) else None
    exact = arith_from(args, target) if net is not None else None
    if args.domain is None:
        raise DomainError("give --domain: the complex needs a bounded domain (box:LO,HI, "
                          "polytope:FILE.json or effective)")
    dom, notes = resolve_domain(args.domain, target, args.kind, args.connectivity, exact)
    record(args, domain=dom)
    params = {"connectivity": args.connectivity} if args.kind == "linear" else {}
    rs = regions(target, dom, args.kind, args.method, exact=exact, **params)
    signs = net if net is not None and (rs.kind == "activation" or rs.method == "enumerate") \
        else None
    cx = rs.complex(signs)
    record(args, exact=cx.arith)
    payload: dict[str, Any] = {
        "kind": cx.kind, "method": rs.method, **notes,
        "count": rs.count, "dimension": cx.dimension, "f_vector": list(cx.f_vector),
        "euler_characteristic": cx.euler_characteristic,
        "glued_faces": sum(f.glued for level in cx.faces for f in level),
        "sign_vectors": signs is not None, "output": args.output}
    if cx.kind == "linear":
        payload["connectivity"] = cx.connectivity
    files = {}
    if args.output is not None:
        text = json.dumps(cx.to_dict(), indent=1) + "\n"
        files[args.output] = (lambda: sys.stdout.write(text)) if args.output == STDOUT \
            else (lambda: write_atomic(args.output, text))
    return CommandResult(payload, _text, files=files)


def _text(p: dict) -> str:
    names = ["vertices", "edges", "2-faces"] + [f"{d}-faces" for d in range(3, 64)]
    f = p["f_vector"]
    parts = [f"{f[d]} {names[d]}" for d in range(len(f) - 1)] + [f"{f[-1]} cells"]
    lines = [f"polyhedral complex of the {p['count']} {p['kind']} regions on "
             f"{p['domain']['text']}: "
             + ", ".join(parts),
             f"Euler characteristic {p['euler_characteristic']}"
             + (f", {p['glued_faces']} faces glued inside linear regions"
                if p["kind"] == "linear" else "")]
    if p["output"] not in (None, STDOUT):
        lines.append(f"wrote {p['output']}")
    return "\n".join(lines)

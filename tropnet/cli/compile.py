"""The ``compile`` command: a network as one tropical rational map F ⊘ G per output."""

from __future__ import annotations

import argparse

from ..domain import parse_domain
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_compile_method,
    add_domain,
    add_target,
    add_time_limit,
    compile_maps,
    compile_method,
    load_target,
)

__all__ = ["cmd_compile", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a network into tropical rational maps",
                       description="Compile NET.json into one tropical rational map F ⊘ G per "
                                   "output (Zhang-Naitzat-Lim rules) with only irredundant "
                                   "monomials: by default read off the activation regions "
                                   "(--method regions), or by pruning after every product "
                                   "(--method products). With --domain, only the monomials "
                                   "irredundant on the domain (equal to the network there).")
    add_target(p, expr=False)
    add_arithmetic(p)
    add_domain(p, effective=False, note="keep the monomials whose cells meet its interior; "
                                        "--method regions")
    p.add_argument("--no-prune", action="store_true", help="keep redundant monomials")
    add_compile_method(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_compile)


def cmd_compile(args: argparse.Namespace) -> CommandResult:
    net = load_target(args)
    domain = parse_domain(args.domain, net.input_dim)
    maps = compile_maps(net, args, prune=not args.no_prune,
                        domain=None if domain.kind == "rn" else domain)
    outs = []
    for r in maps:
        d = r.to_dict()
        d["text"] = r.format(precision=None)
        d["monomials"] = [len(r.numerator), len(r.denominator)]
        outs.append(d)
    payload = {"network": net.architecture(), "domain": domain.describe(), "outputs": outs,
               "exact": maps[0].arith.exact, "pruned": not args.no_prune,
               "method": compile_method(args, not args.no_prune)}

    def text(p: dict) -> str:
        on = "" if p["domain"] == "rn" else f", monomials irredundant on {p['domain']}"
        lines = [f"network {p['network']} ({'exact' if p['exact'] else 'float'} arithmetic, "
                 f"{'pruned' if p['pruned'] else 'not pruned'}{on})"]
        for k, (o, r) in enumerate(zip(p["outputs"], maps, strict=True)):
            lines.append(f"y{k + 1} = {r.format()}")
            lines.append(f"    monomials: numerator {o['monomials'][0]}, "
                         f"denominator {o['monomials'][1]}")
        return "\n".join(lines)

    return CommandResult(payload, text)

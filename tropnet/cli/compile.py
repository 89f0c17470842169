"""The ``compile`` command: a network as one tropical rational map F ⊘ G per output."""

from __future__ import annotations

import argparse

from ..domain import parse_domain
from ..tropical import TropicalRational
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
    rationals,
    record,
)

__all__ = ["cmd_compile", "map_json", "register"]


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
    record(args, domain=domain)
    maps = compile_maps(net, args, prune=not args.no_prune,
                        domain=None if domain.kind == "rn" else domain)
    payload = {"outputs": [map_json(r) for r in maps], "pruned": not args.no_prune,
               "method": compile_method(args, not args.no_prune)}

    def text(p: dict) -> str:
        dom = p["domain"]["text"]
        on = "" if dom == "rn" else f", monomials irredundant on {dom}"
        lines = [f"network {p['network']['architecture']} ("
                 f"{'exact' if p['exact'] else 'float'} arithmetic, "
                 f"{'pruned' if p['pruned'] else 'not pruned'}{on})"]
        for k, (o, r) in enumerate(zip(p["outputs"], maps, strict=True)):
            lines.append(f"y{k + 1} = {r.format()}")
            lines.append(f"    monomials: numerator {o['monomials']['numerator']}, "
                         f"denominator {o['monomials']['denominator']}")
        return "\n".join(lines)

    return CommandResult(payload, text)


def map_json(r: TropicalRational) -> dict:
    """One output's tropical rational map F ⊘ G: ``F`` and ``G`` (each ``exponents``, one
    row per monomial, and ``coefficients``: rationals), the ``text`` and the ``monomials``
    (``numerator``: the monomials of F, ``denominator``: of G)."""
    d = r.to_dict()
    exact = r.arith.exact
    return {"F": rationals(d["numerator"], exact), "G": rationals(d["denominator"], exact),
            "text": r.format(precision=None),
            "monomials": {"numerator": len(r.numerator), "denominator": len(r.denominator)}}

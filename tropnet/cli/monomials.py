"""The ``monomials`` command: monomial complexity of a network or tropical expression."""

from __future__ import annotations

import argparse

from ..domain import rn
from ..engines.tropical import input_dim
from ..network import Network
from ..tropical import monomial_complexity
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_compile_method,
    add_target,
    add_time_limit,
    compile_maps,
    load_target,
    record,
)

__all__ = ["cmd_monomials", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monomials", help="monomial complexity of a network or expression",
                       description="Count the irredundant monomials (numerator, denominator) "
                                   "of each output's tropical representation.")
    add_target(p)
    add_arithmetic(p)
    p.add_argument("--no-prune", action="store_true",
                   help="count the monomials as compiled / written, without pruning")
    add_compile_method(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_monomials)


def cmd_monomials(args: argparse.Namespace) -> CommandResult:
    target = load_target(args)
    prune = not args.no_prune
    if isinstance(target, Network):
        maps = compile_maps(target, args, prune=prune)  # pruned by the compile itself
        counts = [monomial_complexity(r, prune=False) for r in maps]
    else:
        maps = [target]
        counts = [monomial_complexity(target, prune=prune)]
    record(args, domain=rn(input_dim(target)), exact=maps[0].arith)
    payload = {"outputs": [{"numerator": a, "denominator": b} for a, b in counts],
               "pruned": prune}

    def text(p: dict) -> str:
        what = "irredundant monomials" if p["pruned"] else "monomials (not pruned)"
        return "\n".join(f"y{k + 1}: {what}: numerator {o['numerator']}, "
                         f"denominator {o['denominator']}" for k, o in enumerate(p["outputs"]))

    return CommandResult(payload, text)

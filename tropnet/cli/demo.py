"""The ``demo`` command: compile, count monomials and crosscheck the built-in example network."""

from __future__ import annotations

import argparse

from ..comparison import crosscheck
from ..domain import rn
from ..engines.monomials import compile_network
from ..examples import demo, demo_path
from ..tropical import monomial_complexity
from .common import (
    CommandResult,
    add_common,
    compile_maps,
    network_output,
    output_file,
    progress_bar,
    record,
)
from .crosscheck import crosscheck_json

__all__ = ["cmd_demo", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the built-in example network",
                       description="Compile, count monomials and crosscheck the built-in "
                                   "example network (tropnet.examples.demo()); with --save, "
                                   "write that network instead.")
    p.add_argument("--save", metavar="NET.json", type=output_file, default=None,
                   help="write the example network here (- for stdout) and stop")
    add_common(p)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> CommandResult:
    path = demo_path()
    net = demo()
    record(args, network=net, path=path, exact=net.exact_input, domain=rn(net.input_dim))
    if args.save is not None:
        return CommandResult({"output": args.save},
                             f"wrote the example network {net.architecture()} to "
                             f"{'stdout' if args.save == '-' else args.save}",
                             files=network_output(args.save, net))
    args.exact, args.limit_denominator = None, None
    maps = compile_maps(net, args, prune=True)
    r = maps[0]
    f, g = monomial_complexity(r)
    raw = monomial_complexity(compile_network(net, prune=False)[0], prune=False)
    with progress_bar(args, desc="crosscheck") as bar:
        report = crosscheck(net, progress=lambda name: bar.update(1))
    payload = {"tropical": r.format(precision=None),
               "monomials": {"numerator": f, "denominator": g},
               "monomials_unpruned": {"numerator": raw[0], "denominator": raw[1]},
               "crosscheck": crosscheck_json(report)}
    payload["warnings"] = payload["crosscheck"].pop("warnings", [])
    lines = [
        f"tropnet demo: the built-in network {net.architecture()} ({path})",
        f"arithmetic: {'exact rationals' if r.arith.exact else 'float64'}",
        "",
        "1. tropical rational map  f ⊘ g  (value f(x) - g(x)):",
        f"  y = {r.format()}",
        "",
        f"2. monomial complexity: numerator {f}, denominator {g} "
        f"(unpruned compilation: {raw[0]}, {raw[1]})",
        "",
        "3. " + report.table(),
    ]
    return CommandResult(payload, "\n".join(lines), status=0 if report.ok else 1)

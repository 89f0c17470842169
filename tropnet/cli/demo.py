"""The ``demo`` command: compile, count monomials and crosscheck the built-in example network."""

from __future__ import annotations

import argparse
from importlib import resources

from ..comparison import crosscheck
from ..engines.monomials import compile_network
from ..io import load_network
from ..tropical import monomial_complexity
from .common import CommandResult, add_common, compile_maps, progress_bar

__all__ = ["cmd_demo", "demo_network_path", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the built-in example network")
    add_common(p)
    p.set_defaults(func=cmd_demo)


def demo_network_path() -> str:
    """Path of the built-in example network used by ``tropnet demo``."""
    return str(resources.files("tropnet") / "examples" / "demo.json")


def cmd_demo(args: argparse.Namespace) -> CommandResult:
    path = demo_network_path()
    net = load_network(path)
    args.exact, args.limit_denominator = None, None
    maps = compile_maps(net, args, prune=True)
    r = maps[0]
    f, g = monomial_complexity(r)
    raw = monomial_complexity(compile_network(net, prune=False)[0], prune=False)
    with progress_bar(args, desc="crosscheck") as bar:
        report = crosscheck(net, progress=lambda name: bar.update(1))
    payload = {"network": net.architecture(), "file": path, "exact": r.arith.exact,
               "tropical": r.format(precision=None),
               "monomials": {"numerator": f, "denominator": g},
               "monomials_unpruned": {"numerator": raw[0], "denominator": raw[1]},
               "crosscheck": report.to_dict()}
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

"""Core commands: ``compile``, ``monomials`` and ``demo``."""

from __future__ import annotations

import argparse
from importlib import resources

from ..network import Network
from ..tropical import TropicalRational, compile_network, monomial_complexity
from .common import CommandResult, add_arithmetic, add_common, add_target, arith_from, load_target
from .progress import progress_bar

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a network into tropical rational maps",
                       description="Compile NET.json into one tropical rational map F ⊘ G per "
                                   "output (Zhang-Naitzat-Lim rules), pruning redundant "
                                   "monomials after every product.")
    add_target(p, expr=False)
    add_arithmetic(p)
    p.add_argument("--no-prune", action="store_true", help="keep redundant monomials")
    add_common(p)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("monomials", help="monomial complexity of a network or expression",
                       description="Count the irredundant monomials (numerator, denominator) "
                                   "of each output's tropical representation.")
    add_target(p)
    add_arithmetic(p)
    p.add_argument("--no-prune", action="store_true",
                   help="count the monomials as compiled / written, without pruning")
    add_common(p)
    p.set_defaults(func=cmd_monomials)

    p = sub.add_parser("demo", help="run the main job on the built-in example network")
    add_common(p)
    p.set_defaults(func=cmd_demo)


def _compile(net: Network, args: argparse.Namespace, prune: bool) -> list[TropicalRational]:
    arith = arith_from(args, net)
    with progress_bar(args, total=len(net.layers), desc="compile") as bar:
        return compile_network(net, prune=prune, exact=arith,
                               progress=lambda i, n: bar.update(1))


def cmd_compile(args: argparse.Namespace) -> CommandResult:
    net = load_target(args)
    maps = _compile(net, args, prune=not args.no_prune)
    outs = []
    for r in maps:
        d = r.to_dict()
        d["text"] = r.format(precision=None)
        d["monomials"] = [len(r.numerator), len(r.denominator)]
        outs.append(d)
    payload = {"network": net.architecture(), "outputs": outs,
               "exact": maps[0].arith.exact, "pruned": not args.no_prune}

    def text(p: dict) -> str:
        lines = [f"network {p['network']} ({'exact' if p['exact'] else 'float'} arithmetic, "
                 f"{'pruned' if p['pruned'] else 'not pruned'})"]
        for k, (o, r) in enumerate(zip(p["outputs"], maps, strict=True)):
            lines.append(f"y{k + 1} = {r.format()}")
            lines.append(f"    monomials: numerator {o['monomials'][0]}, "
                         f"denominator {o['monomials'][1]}")
        return "\n".join(lines)

    return CommandResult(payload, text)


def cmd_monomials(args: argparse.Namespace) -> CommandResult:
    target = load_target(args)
    prune = not args.no_prune
    if isinstance(target, Network):
        maps = _compile(target, args, prune=prune)
        source = {"network": target.architecture()}
    else:
        maps = [target]
        source = {"expression": args.expr}
    counts = [monomial_complexity(r, prune=prune) for r in maps]
    payload = {**source,
               "outputs": [{"numerator": a, "denominator": b} for a, b in counts],
               "pruned": prune, "exact": maps[0].arith.exact}

    def text(p: dict) -> str:
        what = "irredundant monomials" if p["pruned"] else "monomials (not pruned)"
        return "\n".join(f"y{k + 1}: {what}: numerator {o['numerator']}, "
                         f"denominator {o['denominator']}" for k, o in enumerate(p["outputs"]))

    return CommandResult(payload, text)


def demo_network_path() -> str:
    """Path of the built-in example network used by ``tropnet demo``."""
    return str(resources.files("tropnet") / "examples" / "demo.json")


def cmd_demo(args: argparse.Namespace) -> CommandResult:
    from ..comparison import crosscheck
    from ..io import load_network

    path = demo_network_path()
    net = load_network(path)
    args.exact, args.limit_denominator = None, None
    maps = _compile(net, args, prune=True)
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

"""The ``mipbound`` command: a probabilistic lower bound on the activation regions
(Serra & Ramalingam 2020, Algorithm 1)."""

from __future__ import annotations

import argparse

from ..domain import parse_domain
from ..errors import TropnetError
from ..limits import note
from ..network import Network
from .budget import guarded, mipbound_work
from .common import (
    MAX_SEED,
    CommandResult,
    add_arithmetic,
    add_common,
    add_domain,
    add_solver,
    add_target,
    add_time_limit,
    arith_from,
    int_option,
    load_target,
    number_option,
    progress_bar,
    record,
)

__all__ = ["cmd_mipbound", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mipbound", help="probabilistic lower bound on the activation regions (MIPBound)",
        description="MIPBound (Serra & Ramalingam 2020, Algorithm 1): add random parity "
                    "constraints of size K on the binaries of the MILP until it becomes "
                    "infeasible, REPEATS times; report the largest 2^j with probability "
                    ">= CONFIDENCE of being a lower bound on the number of activation "
                    "regions on the domain, and the exact count when it is small.")
    add_target(p, expr=False)
    add_domain(p, effective=False, note="on rn the MILP runs on the effective-radius box")
    p.add_argument("--k", type=int_option(1, 10**6), default=3,
                   help="size of each parity constraint (default 3)")
    p.add_argument("--repeats", type=int_option(1, 10**6), default=30, metavar="I",
                   help="number of runs (default 30)")
    p.add_argument("--seed", type=int_option(0, MAX_SEED), default=None, help="random seed")
    p.add_argument("--timeout", type=number_option(0, 1e9, lo_open=True), default=None,
                   metavar="T",
                   help="seconds per MILP solve (a solve that times out counts as "
                        "infeasible, which only lowers the bound)")
    add_solver(p)
    p.add_argument("--encoding", choices=("integer", "chain", "cuts"), default="integer",
                   help="MILP encoding of a parity constraint (default integer)")
    p.add_argument("--confidence", type=number_option(0, 1, lo_open=True, hi_open=True),
                   default=0.95,
                   help="probability required of the reported bound (default 0.95)")
    p.add_argument("--exact-limit", type=int_option(0, 10**9), default=4096, metavar="N",
                   help="also count exactly when there are at most N regions (0: skip)")
    p.add_argument("--bigm", choices=("interval", "lp", "milp"), default="lp",
                   help="big-M constants (default lp)")
    add_arithmetic(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_mipbound)


def cmd_mipbound(args: argparse.Namespace) -> CommandResult:
    from ..milp import mipbound  # imported here: tropnet.milp imports cvxpy (slow start-up)

    net = load_target(args)
    if not isinstance(net, Network):  # pragma: no cover - add_target(expr=False)
        raise TropnetError("mipbound needs a network file")
    arith = arith_from(args, net)
    work = mipbound_work(net, args.domain, args.repeats, args.exact_limit, arith.exact)
    note(estimate=work.estimate)
    with progress_bar(args, total=args.repeats, desc="mipbound runs") as bar:
        def progress(done: int, total: int, what: str) -> None:
            bar.set_postfix_str(what, refresh=False)
            bar.update(done - bar.n)

        res = guarded(work, lambda: mipbound(
            net, args.domain, k=args.k, repeats=args.repeats, seed=args.seed,
            timeout=args.timeout, solver=args.solver, encoding=args.encoding,
            confidence=args.confidence, exact_limit=args.exact_limit, bigm=args.bigm,
            exact=arith, progress=progress))
    record(args, domain=parse_domain(args.domain, net.input_dim))
    payload = res.to_dict()
    payload["count"] = payload.pop("exact")  # the exact count when small, else null
    if "box_from" in payload:  # on R^n: the effective-radius box the MILP ran on
        payload["box"] = payload.pop("domain")

    def text(p: dict) -> str:
        lines = [f"MIPBound on {p['network']['architecture']} over {p['domain']['text']}: at "
                 f"least {p['lower_bound']} "
                 f"activation regions with probability {p['probability']:.4f}",
                 f"  parity size k={p['k']}, {p['repeats']} runs, {p['encoding']} encoding, "
                 f"{p['binaries']} binaries, {p['solves']} MILP solves"
                 + (f", {p['timeouts']} timeouts" if p["timeouts"] else ""),
                 f"  regions met during the runs (certain): {p['certain_lower_bound']}"]
        if p.get("box_from"):
            lines.append(f"  domain: {p['box']} (box from the {p['box_from']})")
        lines.append(f"  exact count: {p['count']}" if p["count"] is not None else
                     "  exact count: not computed (more regions than --exact-limit, or "
                     "too slow)")
        return "\n".join(lines)

    return CommandResult(payload, text)


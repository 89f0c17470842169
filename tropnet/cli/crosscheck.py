"""The ``crosscheck`` command: one network, every method, one table."""

from __future__ import annotations

import argparse

from ..comparison import ROWS, CrossCheck, crosscheck
from ..errors import TropnetError
from ..limits import TimeLimitReached, note
from ..sampling import MAX_SAMPLES
from .budget import crosscheck_work, guarded
from .common import (
    MAX_SEED,
    CommandResult,
    add_arithmetic,
    add_common,
    add_connectivity,
    add_domain,
    add_solver,
    add_target,
    add_time_limit,
    arith_from,
    bounds_json,
    int_option,
    load_target,
    progress_bar,
    record,
    resolve_domain,
)

__all__ = ["cmd_crosscheck", "crosscheck_json", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "crosscheck", help="count regions with every method and compare (exit 1 on conflict)",
        description="Count activation and linear regions of a network with every method "
                    "that applies (enumeration engines, MILP, tropical, layerwise, sampling) "
                    "and check them against each other and against the analytical bounds. "
                    "Exit status 1 if two exact counts disagree or a count breaks a bound.")
    add_target(p, expr=False)
    add_domain(p, effective=False)
    add_connectivity(p)
    p.add_argument("--methods", metavar="M1,M2,...",
                   help=f"methods to run (default all): {', '.join(ROWS)}")
    p.add_argument("--skip", metavar="M1,M2,...", help="methods to leave out")
    p.add_argument("--samples", type=int_option(1, MAX_SAMPLES), default=2000,
                   help="samples for the estimate (default 2000)")
    p.add_argument("--seed", type=int_option(0, MAX_SEED), default=0,
                   help="seed of the sampling estimate (default 0)")
    add_solver(p)
    add_arithmetic(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_crosscheck)


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def cmd_crosscheck(args: argparse.Namespace) -> CommandResult:
    net = load_target(args)
    if args.domain.strip() == "effective":
        raise TropnetError("crosscheck uses rn, a box or a polytope; on rn the MILP and "
                           "sampling rows use the effective-radius box themselves")
    domain, _ = resolve_domain(args.domain, net)
    record(args, domain=domain)
    methods = _names(args.methods) or list(ROWS)
    skip = set(_names(args.skip))
    unknown = [m for m in [*methods, *skip] if m not in ROWS]
    if unknown:
        raise TropnetError(f"unknown method(s) {', '.join(unknown)}; choose from "
                           f"{', '.join(ROWS)}")
    methods = [m for m in methods if m not in skip]
    arith = arith_from(args, net, domain)
    work, _ = crosscheck_work(net, domain, methods, arith.exact)
    note(estimate=work.estimate)
    with progress_bar(args, total=len(methods), desc="crosscheck") as bar:
        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        def run() -> CrossCheck:
            return _stopped(crosscheck(net, domain, args.connectivity, arith, methods,
                                       args.samples, args.seed, args.solver, step))

        report = guarded(work, run)
    return CommandResult(crosscheck_json(report), lambda p: report.table(),
                         status=0 if report.ok else 1)


def crosscheck_json(report: CrossCheck) -> dict:
    """The result keys of a cross-check: ``connectivity``; ``methods``, one row per method
    with its exact ``count`` (or the sampling row's ``estimate``), ``seconds``, ``status``
    and ``note``; ``bounds`` (:func:`~tropnet.cli.common.bounds_json` with each bound's
    ``status``); ``ok``, ``problems`` and the report's ``warnings``."""
    d = report.to_dict()
    rows = []
    for row in d["methods"]:
        row = dict(row)
        if not row.pop("exact"):
            row["estimate"] = row.pop("count")
        rows.append(row)
    bounds = {k: v for k, v in report.bounds.items() if isinstance(v["value"], int)}
    out = {"connectivity": d["connectivity"], "methods": rows,
           "bounds": bounds_json({k: v["value"] for k, v in bounds.items()},
                                 {k: v["status"] for k, v in bounds.items()}),
           "ok": d["ok"], "problems": d["problems"]}
    missing = [v["status"] for v in report.bounds.values() if not isinstance(v["value"], int)]
    if missing:
        out["bounds_note"] = missing[0]
    if report.warnings:
        out["warnings"] = list(report.warnings)
    return out


#: what :class:`~tropnet.limits.TimeLimitReached` says; crosscheck reports it as a row error
_STOPPED = "stopped at the time limit"


def _stopped(report: CrossCheck) -> CrossCheck:
    """The report, unless a row was stopped by the time limit (crosscheck records every
    error of a row): then :class:`TimeLimitReached` with the rows finished before."""
    if not any(r.status == "error" and _STOPPED in r.note for r in report.rows):
        return report
    done = [f"{r.method} = {r.count}" for r in report.rows if r.count is not None]
    raise TimeLimitReached(f"crosscheck {_STOPPED}", {
        "so_far": "finished: " + (", ".join(done) if done else "no method"),
        "finished": {r.method: r.count for r in report.rows if r.count is not None}})

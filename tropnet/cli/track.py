"""The ``track`` command: region counts over training checkpoints."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..io import write_atomic
from ..tracking import load_checkpoint, track
from .budget import Work, guarded, regions_work
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_domain,
    add_time_limit,
    arith_from,
    check_image_name,
    network_json,
    output_file,
    progress_bar,
    record,
)
from .regions import summary_json

__all__ = ["cmd_track", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "track", help="count regions and monomials over training checkpoints",
        description="For each checkpoint (tropnet network file, torch .pt/.pth or ONNX), in "
                    "the order given, count its linear and activation regions on the domain "
                    "and the irredundant monomials of its tropical form, exactly; write the "
                    "table as JSON (--json), CSV (--csv) and a plot of the counts against "
                    "the checkpoint (--plot).")
    p.add_argument("checkpoints", nargs="+", metavar="CKPT",
                   help="checkpoint files, in training order")
    add_domain(p, effective=False)
    add_arithmetic(p)
    p.add_argument("--csv", metavar="counts.csv", type=output_file, default=None,
                   help="write the table as CSV (one line per checkpoint)")
    p.add_argument("--plot", metavar="counts.png", type=output_file, default=None,
                   help="write a plot of the counts against the checkpoint")
    p.add_argument("--no-monomials", action="store_true",
                   help="count regions only (no compile)")
    p.add_argument("--geometry", action="store_true",
                   help="add the geometry summary of the linear regions (bounded and "
                        "unbounded regions, volumes, facets; one double description per cell)")
    p.add_argument("--input-shape", metavar="C,H,W",
                   help="sample shape of torch checkpoints that start with a convolution")
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_track)


def cmd_track(args: argparse.Namespace) -> CommandResult:
    if args.plot:
        check_image_name(args.plot)
    shape = [int(v) for v in args.input_shape.split(",")] if args.input_shape else None
    nets = [load_checkpoint(c, shape) for c in args.checkpoints]
    arith = arith_from(args, *nets)
    works = [regions_work(net, args.domain, kind, "enumerate", exact=arith.exact)
             for net in nets for kind in ("linear", "activation")]
    work = Work(f"tracking {len(nets)} checkpoints", works[0].estimate,
                sum(w.seconds for w in works), max((w.nbytes or 0) for w in works),
                ("fewer checkpoints", *works[0].options))
    with progress_bar(args, total=len(nets), desc="checkpoints") as bar:
        result = guarded(work, lambda: track(
            nets, args.domain, exact=arith, monomials=not args.no_monomials,
            geometry=args.geometry,
            labels=[Path(c).name for c in args.checkpoints],
            progress=lambda done, total: bar.update(1)))
    record(args, domain=result.domain)
    payload = {"checkpoints": [
        {**row, "network": network_json(net, path),
         "geometry": summary_json(row["geometry"], arith.exact)} if "geometry" in row else
        {**row, "network": network_json(net, path)}
        for row, net, path in zip(result.to_dict()["checkpoints"], nets, args.checkpoints,
                                  strict=True)]}
    for row in payload["checkpoints"]:
        row.pop("exact")
    files = {}
    if args.csv:
        payload["csv"] = args.csv
        files[args.csv] = lambda: write_atomic(args.csv, result.to_csv())
    if args.plot:
        payload["plot"] = args.plot
        fig = result.plot().figure
        files[args.plot] = lambda: write_atomic(args.plot, lambda tmp: fig.savefig(tmp, dpi=150))

    def text(p: dict) -> str:
        lines = [f"counts on {p['domain']['text']} "
                 f"({'exact' if arith.exact else 'float, certified'})",
                 f"{'checkpoint':<24} {'network':<16} {'linear':>8} {'activation':>11}"
                 + ("  monomials (F, G)" if not args.no_monomials else "")]
        for row in p["checkpoints"]:
            mono = ", ".join(f"({m['numerator']}, {m['denominator']})"
                             for m in row.get("monomials", []))
            lines.append(f"{row['checkpoint']:<24} {row['network']['architecture']:<16} "
                         f"{row['linear_regions']:>8} {row['activation_regions']:>11}"
                         + (f"  {mono}" if mono else ""))
        lines += [f"wrote {p[k]}" for k in ("csv", "plot") if k in p]
        return "\n".join(lines)

    return CommandResult(payload, text, files=files)

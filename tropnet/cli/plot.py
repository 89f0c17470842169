"""The ``plot`` command: pictures of the regions of a 2-input map (or of a 2-D slice)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..dispatch import KINDS
from ..engines.tropical import input_dim
from ..errors import DomainError, InputFileError, TropnetError
from ..io import write_atomic
from ..network import Network
from ..plot import plot_newton, plot_regions
from .common import (
    CommandResult,
    add_arithmetic,
    add_common,
    add_connectivity,
    add_domain,
    add_method,
    add_target,
    add_time_limit,
    arith_from,
    int_option,
    load_target,
    output_file,
)

__all__ = ["cmd_plot", "register"]

_IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
#: the range of ``--dpi`` (at 1200 dpi the default figure is 7680 x 5760 pixels)
MIN_DPI, MAX_DPI = 10, 1200


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot", help="draw the regions of a 2-input network or expression (or a 2-D slice)",
        description="Draw the linear or activation regions of NET.json or --expr TEXT, one "
                    "colour per region with the boundaries between regions; --slice draws a "
                    "plane through an n-D input, --surface the function as a 3-D surface, "
                    "--newton the Newton polygon of a 2-variable tropical polynomial. The "
                    "image is written only when everything succeeded.")
    add_target(p)
    add_arithmetic(p)
    p.add_argument("-o", "--output", required=True, metavar="regions.png", type=output_file,
                   help="image file (.png, .pdf, .svg or .jpg)")
    p.add_argument("--kind", choices=KINDS, default="linear",
                   help="linear regions (default) or activation regions (networks only)")
    add_method(p)
    add_connectivity(p)
    add_domain(p, effective=False, note="rn is drawn in a box showing every region; in slice "
                                        "coordinates with --slice")
    p.add_argument("--slice", metavar="p=..;u=..;v=..",
                   help="draw F(p + s u + t v) for an n-D input (p defaults to 0)")
    p.add_argument("--surface", action="store_true", help="draw the function as a 3-D surface")
    p.add_argument("--output-index", type=int_option(1, 10**9), default=1, metavar="K",
                   help="which output the surface shows (1-based, default 1)")
    p.add_argument("--newton", action="store_true",
                   help="draw the Newton polygon and dual subdivision of a polynomial "
                        "expression in 2 variables instead")
    p.add_argument("--dpi", type=int_option(MIN_DPI, MAX_DPI), default=150,
                   help=f"resolution of raster images (default 150, {MIN_DPI} to {MAX_DPI})")
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> CommandResult:
    out = Path(args.output)
    if out.suffix.lower() not in _IMAGE_SUFFIXES:
        raise InputFileError(f"{out}: the image must end in {', '.join(_IMAGE_SUFFIXES)}")
    target = load_target(args)  # an expression is parsed in the requested arithmetic
    exact = arith_from(args, target) if isinstance(target, Network) else None
    dim = input_dim(target)
    if dim != 2 and not args.slice and not args.newton:
        raise DomainError(f"the input has {dim} dimensions and a plot shows 2: give --slice "
                          f"'p=..;u=..;v=..' to draw a plane through it")
    outputs = target.output_dim if isinstance(target, Network) else 1
    if args.surface and args.output_index > outputs:
        raise TropnetError(f"--output-index {args.output_index}: the map has {outputs} "
                           f"output{'s' if outputs != 1 else ''} (numbered from 1)")
    payload: dict[str, Any] = {"output": str(out)}
    if args.newton:
        if isinstance(target, Network) or args.slice or args.surface:
            raise TropnetError("--newton draws a tropical polynomial given with --expr (no "
                               "--slice or --surface)")
        ax = plot_newton(target, domain=args.domain)
        payload.update(kind="newton", subdivision_cells=len(ax.tropnet_subdivision))
    else:
        ax = plot_regions(target, args.domain, kind=args.kind, slice=args.slice,
                          surface=args.surface, connectivity=args.connectivity, exact=exact,
                          method=args.method, output=args.output_index - 1)
        rs = ax.tropnet_regions
        payload.update(kind=rs.kind, count=rs.count, domain=rs.domain.describe(),
                       exact=rs.arith.exact)
        if rs.kind == "linear":
            payload["connectivity"] = rs.connectivity
        if args.slice:
            payload["slice"] = args.slice
    fig = ax.figure

    def text(p: dict) -> str:
        if p["kind"] == "newton":
            return f"wrote {p['output']}: Newton polygon with {p['subdivision_cells']} cells"
        return f"wrote {p['output']}: {p['count']} {p['kind']} regions on {p['domain']}"

    return CommandResult(payload, text, files={str(out): lambda: write_atomic(
        out, lambda tmp: fig.savefig(tmp, dpi=args.dpi))})

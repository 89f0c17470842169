"""The ``plot`` command: pictures of the regions of a 2-input map (or of a 2-D slice)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..arithmetic import format_number
from ..dispatch import KINDS
from ..engines.tropical import input_dim
from ..errors import DomainError, InputFileError, TropnetError
from ..files import write_atomic
from ..network import Network, read_number
from ..plot import (
    MAX_FIGSIZE,
    check_figsize,
    html_text,
    load_points,
    plot_newton,
    plot_regions,
    save_figure,
)
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
    check_image_name,
    int_option,
    load_target,
    number_option,
    output_file,
)

__all__ = ["cmd_plot", "register"]

#: the range of ``--dpi`` (at 1200 dpi the default figure is about 6500 x 6500 pixels)
MIN_DPI, MAX_DPI = 10, 1200

#: the widest ``--linewidth``, in points
MAX_LINEWIDTH = 20.0

#: the suffixes of ``--html``
HTML_SUFFIXES = (".html", ".htm")


def figsize_option(text: str) -> tuple[float, float]:
    """An argparse ``type``: ``W,H`` in inches, two numbers in (0, MAX_FIGSIZE]."""
    what = f"two numbers W,H in inches, each in (0, {MAX_FIGSIZE:g}]"
    parts = text.replace(" ", "").replace("x", ",").split(",")
    try:
        w, h = (float(v) for v in parts)
        return check_figsize((w, h))  # type: ignore[return-value]
    except (ValueError, TropnetError):
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


figsize_option.__name__ = "size"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot", help="draw the regions of a 2-input network or expression (or a 2-D slice)",
        description="Draw the linear or activation regions of NET.json or --expr TEXT, one "
                    "colour per region with the boundaries between regions; --slice draws a "
                    "plane through an n-D input, --slice-points the plane through three "
                    "inputs, --points overlays data, --boundary draws the decision boundary "
                    "{f = t}, --surface the function as a 3-D surface, --newton the Newton "
                    "polygon of a 2-variable tropical polynomial, --html an interactive "
                    "page. The image keeps the domain's aspect and is cropped to its "
                    "contents (unless --figsize fixes its size); the files are written only "
                    "when everything succeeded.")
    add_target(p)
    add_arithmetic(p)
    p.add_argument("-o", "--output", metavar="regions.png", type=output_file, default=None,
                   help="image file (.png, .pdf, .svg or .jpg); -o or --html is required")
    p.add_argument("--html", metavar="FILE.html", type=output_file, default=None,
                   help="also (or only) write an interactive plotly page: hovering shows "
                        "each region's activation pattern and affine map; a surface can be "
                        "rotated (needs plotly: pip install 'tropnet[plot]')")
    p.add_argument("--kind", choices=KINDS, default="linear",
                   help="linear regions (default) or activation regions (networks only)")
    add_method(p)
    add_connectivity(p)
    add_domain(p, effective=False, note="rn is drawn in a box showing every region; in slice "
                                        "coordinates with --slice; box:-1/2,3/2 with "
                                        "--slice-points")
    p.set_defaults(domain=None)  # not given: rn, or the box around the three --slice-points
    planes = p.add_mutually_exclusive_group()
    planes.add_argument("--slice", metavar="p=..;u=..;v=..",
                        help="draw F(p + s u + t v) for an n-D input (p defaults to 0)")
    planes.add_argument("--slice-points", metavar="a;b;c",
                        help="draw the plane through three inputs (comma-separated "
                             "coordinates, ';' between points): p = a, u = b - a, v = c - a; "
                             "the points are marked at (0,0), (1,0), (0,1) and the domain "
                             "defaults to box:-1/2,3/2")
    p.add_argument("--points", metavar="FILE", default=None,
                   help="overlay inputs from a .npy or .csv file (one input per row); on a "
                        "slice, at their least-squares projection onto the plane")
    p.add_argument("--boundary", action="store_true",
                   help="draw the decision boundary {f = t} of the output (--output-index; "
                        "networks only)")
    p.add_argument("--threshold", default=None, metavar="T",
                   help="the level t of --boundary (default 0; rationals such as 1/3 "
                        "allowed; implies --boundary)")
    p.add_argument("--surface", action="store_true",
                   help="draw the function as a 3-D surface: one opaque face per cell, "
                        "painted back to front in an order exact for the view (orthographic, "
                        "elevation 30, azimuth -60)")
    p.add_argument("--output-index", type=int_option(1, 10**9), default=1, metavar="K",
                   help="which output the surface shows (1-based, default 1)")
    p.add_argument("--newton", action="store_true",
                   help="draw the Newton polygon and dual subdivision of a polynomial "
                        "expression in 2 variables instead")
    p.add_argument("--dpi", type=int_option(MIN_DPI, MAX_DPI), default=150,
                   help=f"resolution of raster images (default 150, {MIN_DPI} to {MAX_DPI})")
    p.add_argument("--figsize", type=figsize_option, default=None, metavar="W,H",
                   help="the image size in inches (e.g. 3.3,3 for a paper column): exactly "
                        "W*dpi x H*dpi pixels, the drawing keeps the domain's aspect inside "
                        "it; default: sized from the domain's aspect and cropped to the "
                        "contents")
    p.add_argument("--linewidth", type=number_option(0, MAX_LINEWIDTH), default=None,
                   metavar="X",
                   help="width of the region boundary lines in points (0: none; default 0.8, "
                        "0.4 above 200 regions)")
    titles = p.add_mutually_exclusive_group()
    titles.add_argument("--title", default=None, metavar="TEXT",
                        help="the title (default: the count, kind and domain, and the plane "
                             "of a slice; wrapped to the figure's width)")
    titles.add_argument("--no-title", dest="title", action="store_const", const="",
                        help="no title")
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> CommandResult:
    out, html = _outputs(args)
    check_figsize(args.figsize, args.dpi)
    target = load_target(args)  # an expression is parsed in the requested arithmetic
    exact = arith_from(args, target) if isinstance(target, Network) else None
    dim = input_dim(target)
    sliced = bool(args.slice or args.slice_points)
    if dim != 2 and not sliced and not args.newton:
        raise DomainError(f"the input has {dim} dimensions and a plot shows 2: give --slice "
                          f"'p=..;u=..;v=..' or --slice-points 'a;b;c' to draw a plane "
                          f"through it")
    threshold = None
    if args.boundary or args.threshold is not None:
        if not isinstance(target, Network):
            raise TropnetError("--boundary draws the decision boundary of a network (not of "
                               "an --expr)")
        threshold = read_number(args.threshold or "0", "--threshold")[0]
    points = load_points(args.points, dim) if args.points else None
    outputs = target.output_dim if isinstance(target, Network) else 1
    if args.surface and args.output_index > outputs:
        raise TropnetError(f"--output-index {args.output_index}: the map has {outputs} "
                           f"output{'s' if outputs != 1 else ''} (numbered from 1)")
    payload: dict[str, Any] = {"output": None if out is None else str(out)}
    if html is not None:
        payload["html"] = str(html)
    if args.newton:
        if isinstance(target, Network) or sliced or args.surface or points is not None \
                or threshold is not None or html is not None:
            raise TropnetError("--newton draws a tropical polynomial given with --expr (no "
                               "--slice, --slice-points, --points, --boundary, --surface or "
                               "--html)")
        ax = plot_newton(target, domain=args.domain, title=args.title, figsize=args.figsize,
                         linewidth=args.linewidth)
        payload.update(kind="newton", subdivision_cells=len(ax.tropnet_subdivision))
    else:
        ax = plot_regions(target, args.domain, kind=args.kind, slice=args.slice,
                          surface=args.surface, connectivity=args.connectivity, exact=exact,
                          method=args.method, output=args.output_index - 1,
                          slice_points=args.slice_points, points=points,
                          boundary=False if threshold is None else threshold,
                          title=args.title, figsize=args.figsize, linewidth=args.linewidth)
        rs = ax.tropnet_regions
        # the Domain itself: the common JSON keys write it (as an object, with its text)
        payload.update(kind=rs.kind, count=rs.count, domain=rs.domain, exact=rs.arith.exact)
        if rs.kind == "linear":
            payload["connectivity"] = rs.connectivity
        if args.slice:
            payload["slice"] = args.slice
        if args.slice_points:
            payload["slice_points"] = args.slice_points
            p0, u, v = ax.tropnet_plane
            payload["plane"] = {k: [format_number(x) for x in vec]
                                for k, vec in (("p", p0), ("u", u), ("v", v))}
        if points is not None:
            payload["points"] = len(points)
            payload["points_projected"] = sliced
        if threshold is not None:
            bd = ax.tropnet_boundary
            payload["boundary"] = {"threshold": format_number(threshold),
                                   "pieces": bd.count, "drawn": len(ax.tropnet_boundary_segments),
                                   "components": len(bd.components)}
    payload["title"] = ax.tropnet_title
    files = {}
    if out is not None:
        files[str(out)] = lambda: save_figure(ax.figure, out, dpi=args.dpi)
    if html is not None:
        page = html_text(ax)  # built before any file is written: a failure writes nothing
        files[str(html)] = lambda: write_atomic(html, page)

    def text(p: dict) -> str:
        wrote = " and ".join(f for f in (p["output"], p.get("html")) if f)
        if p["kind"] == "newton":
            return f"wrote {wrote}: Newton polygon with {p['subdivision_cells']} cells"
        dom = p["domain"]
        line = f"wrote {wrote}: {p['count']} {p['kind']} regions on " \
               f"{dom['text'] if isinstance(dom, dict) else dom}"
        if "boundary" in p:
            b = p["boundary"]
            line += f", {b['drawn']} pieces of the decision boundary f = {b['threshold']}"
        if "points" in p:
            line += f", {p['points']} points" + (" (projected onto the plane)"
                                                 if p["points_projected"] else "")
        return line

    return CommandResult(payload, text, files=files)


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The image (``-o``) and the HTML page (``--html``), checked before any work."""
    if args.output is None and args.html is None:
        raise TropnetError("give -o IMAGE (.png, .pdf, .svg, .jpg) and/or --html FILE.html")
    out = None if args.output is None else check_image_name(args.output)
    html = None if args.html is None else Path(args.html)
    if html is not None:
        if html.suffix.lower() not in HTML_SUFFIXES:
            raise InputFileError(f"{html}: --html must end in {' or '.join(HTML_SUFFIXES)}")
        if out is not None and out.resolve() == html.resolve():
            raise TropnetError("-o and --html name the same file")
    return out, html

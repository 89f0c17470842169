"""Ecosystem commands: ``import`` (ONNX / torch models) and ``plot`` (pictures of regions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputFileError, TropnetError
from ..io import write_atomic
from ..network import Network
from .common import CommandResult, add_arithmetic, add_common, add_target, arith_from, load_target

__all__ = ["register"]

_NET_SUFFIXES = (".json", ".npz")
_IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="convert an ONNX or torch model into a tropnet network file",
        description="Read MODEL.onnx (Gemm/MatMul+Add, Relu, LeakyRelu, Conv, Flatten, Max, "
                    "MaxPool, ...) or a torch file (.pt/.pth: a TorchScript archive or a "
                    "whole module saved with torch.save, read without running code from it) "
                    "and write the equivalent network. Weights are the exact values of "
                    "the stored floats; convolutions are lowered to dense layers with inputs "
                    "flattened as height x width x channels.")
    p.add_argument("model", metavar="MODEL.onnx", help="the model file (.onnx, .pt or .pth)")
    p.add_argument("-o", "--output", required=True, metavar="NET.json",
                   help="network file to write (.json, or .npz for float64 arrays)")
    p.add_argument("--input-shape", metavar="C,H,W",
                   help="sample shape of a torch model that starts with a convolution")
    p.add_argument("--trust-pickle", action="store_true",
                   help="unpickle a torch.save file fully, running any code it holds (only "
                        "for files you trust; needed for custom module classes)")
    add_common(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "plot", help="draw the regions of a 2-input network or expression (or a 2-D slice)",
        description="Draw the linear or activation regions of NET.json or --expr TEXT, one "
                    "colour per region with the boundaries between regions; --slice draws a "
                    "plane through an n-D input, --surface the function as a 3-D surface, "
                    "--newton the Newton polygon of a 2-variable tropical polynomial. The "
                    "image is written only when everything succeeded.")
    add_target(p)
    add_arithmetic(p)
    p.add_argument("-o", "--output", required=True, metavar="regions.png",
                   help="image file (.png, .pdf, .svg or .jpg)")
    p.add_argument("--kind", choices=("linear", "activation"), default="linear",
                   help="linear regions (default) or activation regions (networks only)")
    p.add_argument("--connectivity", choices=("facet", "closure"), default="facet",
                   help="how cells of a linear region connect (default: facet)")
    p.add_argument("--domain", metavar="SPEC",
                   help="rn (default: a box showing every region), box:LO,HI, "
                        "box:l1,h1;l2,h2 or polytope:FILE.json (in slice coordinates with "
                        "--slice)")
    p.add_argument("--slice", metavar="p=..;u=..;v=..",
                   help="draw F(p + s u + t v) for an n-D input (p defaults to 0)")
    p.add_argument("--surface", action="store_true", help="draw the function as a 3-D surface")
    p.add_argument("--output-index", type=int, default=1, metavar="K",
                   help="which output the surface shows (1-based, default 1)")
    p.add_argument("--newton", action="store_true",
                   help="draw the Newton polygon and dual subdivision of a polynomial "
                        "expression in 2 variables instead")
    p.add_argument("--dpi", type=int, default=150, help="resolution of raster images")
    add_common(p)
    p.set_defaults(func=cmd_plot)


def cmd_import(args: argparse.Namespace) -> CommandResult:
    from ..importers import load_model
    from ..io import save_network

    out = Path(args.output)
    if out.suffix.lower() not in _NET_SUFFIXES:
        raise InputFileError(f"{out}: the network file must end in .json or .npz")
    shape = _shape(args.input_shape) if args.input_shape else None
    net = load_model(args.model, shape, trust=args.trust_pickle)
    layers = [{"units": ly.out_dim, "activation": ly.activation,
               **({"rank": ly.rank} if ly.activation == "maxout" else {}),
               **({"slope": float(ly.slope)} if ly.activation == "leaky_relu" else {}),
               "source": (ly.meta or {}).get("source", [])} for ly in net.layers]
    payload = {"model": str(args.model), "output": str(out), "network": net.architecture(),
               "input_dim": net.input_dim, "output_dim": net.output_dim, "layers": layers,
               "exact_input": net.exact_input}

    def text(p: dict) -> str:
        lines = [f"imported {p['model']}: network {p['network']} "
                 f"({len(p['layers'])} layers, float weights read exactly)"]
        for k, ly in enumerate(p["layers"]):
            extra = f" rank {ly['rank']}" if "rank" in ly else \
                f" slope {ly['slope']:g}" if "slope" in ly else ""
            lines.append(f"  layer {k}: {ly['units']} units, {ly['activation']}{extra}  <- "
                         f"{', '.join(ly['source'])}")
        lines.append(f"wrote {p['output']}")
        return "\n".join(lines)

    return CommandResult(payload, text, files={str(out): lambda: save_network(net, out)})


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(","))
    except ValueError:
        raise TropnetError(f"--input-shape {text!r}: expected integers like 1,28,28") from None
    if not shape or min(shape) < 1:
        raise TropnetError(f"--input-shape {text!r}: expected positive integers")
    return shape


def cmd_plot(args: argparse.Namespace) -> CommandResult:
    from ..plot import plot_newton, plot_regions

    out = Path(args.output)
    if out.suffix.lower() not in _IMAGE_SUFFIXES:
        raise InputFileError(f"{out}: the image must end in {', '.join(_IMAGE_SUFFIXES)}")
    target = load_target(args)  # an expression is parsed in the requested arithmetic
    exact = arith_from(args, target) if isinstance(target, Network) else None
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
                          output=args.output_index - 1)
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

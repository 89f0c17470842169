"""The ``import`` command: an ONNX or torch model as a tropnet network file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputFileError, TropnetError
from ..importers import load_model
from .common import (
    STDOUT,
    CommandResult,
    add_common,
    network_output,
    output_file,
    rational,
    record,
)

__all__ = ["cmd_import", "register"]

_NET_SUFFIXES = (".json", ".npz")


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
    p.add_argument("-o", "--output", required=True, metavar="NET.json", type=output_file,
                   help="network file to write (.json, or .npz for float64 arrays; - for JSON on "
                        "stdout, the report then on stderr)")
    p.add_argument("--input-shape", metavar="C,H,W",
                   help="sample shape of a torch model that starts with a convolution")
    p.add_argument("--trust-pickle", action="store_true",
                   help="unpickle a torch.save file fully, running any code it holds (only "
                        "for files you trust; needed for custom module classes)")
    add_common(p)
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> CommandResult:
    out = Path(args.output)
    if args.output != STDOUT and out.suffix.lower() not in _NET_SUFFIXES:
        raise InputFileError(f"{out}: the network file must end in .json or .npz (or - for "
                             f"JSON on stdout)")
    shape = _shape(args.input_shape) if args.input_shape else None
    net = load_model(args.model, shape, trust=args.trust_pickle)
    exact = net.exact_input  # the arithmetic the network's commands default to
    record(args, network=net, path=None if args.output == STDOUT else out, exact=exact)
    layers = [{"units": ly.out_dim, **_activation_keys(ly.act.to_dict(), exact),
               "source": (ly.meta or {}).get("source", [])} for ly in net.layers]
    payload = {"model": str(args.model), "output": str(out), "input_dim": net.input_dim,
               "output_dim": net.output_dim, "layers": layers}

    def text(p: dict) -> str:
        lines = [f"imported {p['model']}: network {p['network']['architecture']} "
                 f"({len(p['layers'])} layers, float weights read exactly)"]
        for k, ly in enumerate(p["layers"]):
            extra = f" rank {ly['rank']}" if "rank" in ly else \
                f" slope {ly['slope']}" if "slope" in ly else ""
            lines.append(f"  layer {k}: {ly['units']} units, {ly['activation']}{extra}  <- "
                         f"{', '.join(ly['source'])}")
        lines.append("wrote the network to stdout" if p["output"] == STDOUT
                     else f"wrote {p['output']}")
        return "\n".join(lines)

    return CommandResult(payload, text, files=network_output(args.output, net))


def _activation_keys(keys: dict[str, Any], exact: bool) -> dict[str, Any]:
    """The activation's JSON keys, a leaky ReLU slope by the number rule."""
    return {k: rational(v, exact) if k == "slope" else v for k, v in keys.items()}


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(","))
    except ValueError:
        raise TropnetError(f"--input-shape {text!r}: expected integers like 1,28,28") from None
    if not shape or min(shape) < 1:
        raise TropnetError(f"--input-shape {text!r}: expected positive integers")
    return shape

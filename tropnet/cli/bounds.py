"""The ``bounds`` command: every analytical bound on the number of regions of an architecture."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..activations import ReLU
from ..bounds import analytic, cnn
from ..conv import conv_spec
from ..domain import parse_domain
from ..errors import NetworkError, TropnetError
from .common import (
    BOUND_DESCRIPTIONS,
    CommandResult,
    add_common,
    add_domain,
    bounds_json,
    int_list_option,
    int_option,
    int_text,
    load_net,
    record,
)

__all__ = ["MAX_WIDTH", "cmd_bounds", "register"]

#: the widest layer ``--widths`` takes (a width of 100,000 needs 13 s and 3 GB)
MAX_WIDTH = 50_000

def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bounds", help="analytical bounds on the number of regions",
        description="Every analytical bound covering an architecture (exact integers): "
                    "give --input-dim and --widths (hidden layers), or a network file, or "
                    "--cnn with the convolution's shape. Keys a theorem does not cover are "
                    "omitted. With --maxout-rank the ReLU lower bounds stay (a maxout unit of "
                    "rank >= 2 computes max(z, 0)) and the ReLU upper bounds are replaced by "
                    "Theorem 10.")
    p.add_argument("network", nargs="?", metavar="NET.json",
                   help="read the architecture (and, with --empirical, the weights)")
    p.add_argument("--input-dim", type=int_option(1, 10**6), metavar="N",
                   help="input dimension n0")
    p.add_argument("--widths", metavar="W1,W2,...", type=int_list_option(1, MAX_WIDTH),
                   help=f"hidden layer widths n1..nL (at most {MAX_WIDTH:,} each: the exact "
                        f"bounds of wider layers need gigabytes)")
    p.add_argument("--maxout-rank", type=int_option(1, 10**6), metavar="K",
                   help="rank of the maxout units")
    p.add_argument("--ranks", metavar="R1,R2,...", type=int_list_option(0, MAX_WIDTH),
                   help="ranks of the weight matrices for Theorem 1's refinement")
    p.add_argument("--empirical", action="store_true",
                   help="with NET.json: add the empirical upper bound of Serra & Ramalingam "
                        "2020 on --domain (MILP)")
    add_domain(p, effective=False, bounded=True, note="a bounded domain, for --empirical")
    p.add_argument("--cnn", action="store_true",
                   help="one convolutional ReLU layer: Xiong et al. 2024's exact count")
    p.add_argument("--input-shape", dest="cnn_input_shape", metavar="C,H,W",
                   help="--cnn input shape: channels, height, width (as tropnet import)")
    p.add_argument("--input", dest="cnn_input", metavar="HxWxC",
                   help="deprecated spelling of --input-shape (height x width x channels)")
    p.add_argument("--filter", dest="cnn_filter", metavar="HxW", help="--cnn filter shape")
    p.add_argument("--stride", dest="cnn_stride", default="1", metavar="S",
                   help="--cnn stride, S or SHxSW (default 1)")
    p.add_argument("--channels", dest="cnn_channels", type=int_option(1, 10**6), metavar="D",
                   help="--cnn output channels")
    add_common(p)
    p.set_defaults(func=cmd_bounds)


def cmd_bounds(args: argparse.Namespace) -> CommandResult:
    arch_given = args.input_dim is not None or args.widths is not None
    if args.cnn:
        if args.network or arch_given or args.empirical:
            raise TropnetError("--cnn takes --input, --filter, --stride and --channels only")
        payload = _cnn_bounds(args)
    elif args.network:
        if arch_given or args.maxout_rank is not None or args.ranks:
            raise TropnetError("give either NET.json or --input-dim/--widths, not both")
        payload = _network_bounds(args)
    else:
        if args.empirical:
            raise TropnetError("--empirical needs a network file NET.json (it uses the weights)")
        if args.input_dim is None or args.widths is None:
            raise TropnetError("give --input-dim N and --widths W1,W2,... (or NET.json, or "
                               "--cnn)")
        widths, ranks = args.widths, args.ranks
        if ranks is not None and args.maxout_rank is not None:
            raise TropnetError("--ranks refines the ReLU bound; it does not apply with "
                               "--maxout-rank")
        bounds = analytic.architecture_bounds(args.input_dim, widths, args.maxout_rank, ranks)
        record(args, architecture=f"{args.input_dim}-[{','.join(map(str, widths))}]")
        payload = {"input_dim": args.input_dim, "widths": widths, **bounds}
        if args.maxout_rank is not None:
            payload["maxout_rank"] = args.maxout_rank
        if ranks is not None:
            payload["ranks"] = ranks
    record(args, exact=True)  # integers: exact whatever the weights
    values = {k: payload.pop(k) for k in list(payload) if k in BOUND_DESCRIPTIONS}
    payload["bounds"] = bounds_json(values)
    return CommandResult(payload, _bounds_text)


def _network_bounds(args: argparse.Namespace) -> dict:
    net = load_net(args, args.network)
    info = analytic.network_bounds(net)
    payload: dict[str, Any] = {"input_dim": info["input_dim"],
                               "widths": info["widths"], **info["bounds"]}
    if info["maxout_rank"] is not None:
        payload["maxout_rank"] = info["maxout_rank"]
    if "weight_ranks" in info:
        payload["ranks"] = info["weight_ranks"]
    if "note" in info:
        payload["note"] = info["note"]
    hidden = [ly for ly in net.layers if ly.act.patterned]
    if len(hidden) == 1 and isinstance(hidden[0].act, ReLU) and \
            (hidden[0].meta or {}).get("type") == "conv" and net.layers[0] is hidden[0]:
        meta = hidden[0].meta
        payload["xiong2024_exact"] = cnn.xiong2024_one_layer(
            meta["input"], meta["filter"], meta["stride"], meta["channels"])
        if not cnn.is_line_layout(meta["input"], meta["filter"], meta["stride"]):
            payload["xiong2024_note"] = _XIONG_2D_NOTE
    if args.empirical:
        payload.update(_empirical(net, args.domain))
    elif args.domain is not None:
        raise TropnetError("--domain only applies with --empirical")
    return payload


def _empirical(net: Any, domain_text: str | None) -> dict:
    if domain_text is None:
        raise TropnetError("--empirical needs a bounded --domain, e.g. --domain box:0,1")
    from ..milp import empirical_upper_bound  # here: tropnet.milp imports cvxpy (0.7 s)

    domain = parse_domain(domain_text, net.input_dim)
    result = empirical_upper_bound(net, domain)
    out: dict[str, Any] = {"domain": domain}
    if isinstance(result, int):
        out["empirical_upper"] = result
        return out
    for attr in ("bound", "value", "count"):
        value = getattr(result, attr, None)
        if isinstance(value, int):
            out["empirical_upper"] = value
            break
    if hasattr(result, "to_dict"):
        out["empirical"] = {k: v for k, v in result.to_dict().items() if k != "empirical_upper"}
    if "empirical_upper" not in out:
        raise TropnetError(f"tropnet.milp.empirical_upper_bound returned {result!r}, not an "
                           f"integer bound")
    return out


def _cnn_bounds(args: argparse.Namespace) -> dict:
    if args.cnn_input is not None and args.cnn_input_shape is not None:
        raise TropnetError("give --input-shape C,H,W (or the deprecated --input HxWxC), not "
                           "both")
    given = args.cnn_input_shape if args.cnn_input_shape is not None else args.cnn_input
    missing = [flag for flag, v in (("--input-shape", given), ("--filter", args.cnn_filter),
                                    ("--channels", args.cnn_channels)) if v is None]
    if missing:
        raise TropnetError(f"--cnn needs {', '.join(missing)}")
    if args.cnn_input_shape is not None:
        c, h, w = _shape(args.cnn_input_shape.replace(",", "x"), 3, "--input-shape", "C,H,W")
        inp = (h, w, c)
    else:
        inp = _shape(args.cnn_input, 3, "--input", "HxWxC")
    filt = _shape(args.cnn_filter, 2, "--filter", "HxW")
    stride_parts = _shape(args.cnn_stride, None, "--stride", "S or SHxSW")
    if len(stride_parts) not in (1, 2):
        raise TropnetError(f"--stride must be S or SHxSW, got {args.cnn_stride!r}")
    stride = stride_parts[0] if len(stride_parts) == 1 else stride_parts
    count = cnn.xiong2024_one_layer(inp, filt, stride, args.cnn_channels)
    spec = conv_spec(inp, filt, stride, args.cnn_channels, where="--cnn")
    rank = cnn.conv_rank_bound(inp, filt, stride, args.cnn_channels)
    m = spec.out_dim
    out = {"input": list(inp), "filter": list(filt), "stride": stride,
           "channels": args.cnn_channels, "input_dim": spec.in_dim, "hyperplanes": m,
           "output": list(spec.output), "rank_bound": rank,
           "xiong2024_exact": count,
           "serra2018_upper_rank": analytic.zaslavsky_rank(m, rank)}
    if not cnn.is_line_layout(inp, filt, stride):
        out["xiong2024_note"] = _XIONG_2D_NOTE
    record(args, architecture=f"{spec.in_dim}-[{m}]")
    if args.cnn_input is not None and not getattr(args, "quiet", False):  # (once it worked)
        sys.stderr.write("tropnet: note: --input HxWxC is deprecated; use --input-shape "
                         "C,H,W (channels first, as tropnet import)\n")
    return out


_XIONG_2D_NOTE = ("2-D layout of positions: the formula treats the conv matrix as a generic "
                  "sparse matrix; weight sharing can make normals dependent, so here it is an "
                  "upper bound (e.g. 3x3x1 input, 2x2 filter, 2 channels: 256 vs 255 for every "
                  "kernel)")


def _bounds_text(p: dict) -> str:
    if "filter" in p:
        head = (f"one conv layer: input {'x'.join(map(str, p['input']))}, filter "
                f"{'x'.join(map(str, p['filter']))}, stride {p['stride']}, {p['channels']} "
                f"channels -> {p['hyperplanes']} hyperplanes in R^{p['input_dim']}")
    else:
        head = (f"input dimension {p['input_dim']}, hidden widths "
                f"{','.join(map(str, p['widths']))}"
                + (f", maxout rank {p['maxout_rank']}" if "maxout_rank" in p else "")
                + (f" ({p['network']['architecture']})" if p["network"]["path"] else ""))
    lines = [head]
    for key, b in p["bounds"].items():
        eta = f"{b['eta']:9.3f}" if b["eta"] is not None else f"{'-':>9}"
        lines.append(f"  {key:22s} {_short(b['value']):>24s}   eta {eta}   "
                     f"{b['theorem']}: {b['description']}")
    for key in ("note", "xiong2024_note"):
        if key in p:
            lines.append(f"  note: {p[key]}")
    if len(lines) == 1:
        lines.append("  no theorem covers this architecture")
    return "\n".join(lines)


def _short(v: int | str) -> str:
    """An integer (or its digits) in at most 24 characters: ``1.23456e+40`` when longer."""
    s = v if isinstance(v, str) else int_text(v)
    return s if len(s) <= 24 else f"{s[0]}.{s[1:6]}e+{len(s) - 1}"


def _shape(text: str, n: int | None, flag: str, form: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        raise NetworkError(f"{flag} must look like {form}, got {text!r}") from None
    if n is not None and len(parts) != n:
        raise NetworkError(f"{flag} must look like {form}, got {text!r}")
    return parts

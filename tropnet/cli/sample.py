"""The ``sample`` command: estimate the number of linear regions by sampling."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import TropnetError
from ..network import Network, read_number
from ..sampling import MAX_RADIUS, MAX_SAMPLES, sample_regions
from .budget import guarded, hoffman_work
from .common import (
    MAX_SEED,
    CommandResult,
    add_arithmetic,
    add_common,
    add_domain,
    add_time_limit,
    arith_from,
    int_option,
    load_net,
    rational,
    record,
)

__all__ = ["cmd_sample", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="estimate the number of linear regions by sampling",
        description="Lezeau et al. Algorithm 5: sample points in a box (--domain, or the "
                    "cube [-R, R]^n of --radius; default [-1, 1]^n), count "
                    "distinct affine maps (exact Jacobians), split same-map points whose "
                    "midpoint does not follow the map. The result is an ESTIMATE (it can "
                    "miss regions, and split non-convex regions wrongly).")
    p.add_argument("network", metavar="NET.json", help="network file")
    p.add_argument("--samples", type=int_option(1, MAX_SAMPLES), default=1000,
                   help=f"number of points (default 1000, at most {MAX_SAMPLES:,})")
    p.add_argument("--radius", default=None, type=_radius,
                   help="half-width R of the cube [-R, R]^n (default 1; a shorthand for "
                        "--domain box:-R,R), or 'effective' for the effective-radius box of "
                        "the linear regions (compiles the network)")
    add_domain(p, effective=False, bounded=True, note="a box to sample; or --radius")
    p.add_argument("--symmetric", action="store_true",
                   help="the network is invariant under permuting its inputs (verified on "
                        "random points): sample x1 >= ... >= xn only, weight by Lemma 30")
    p.add_argument("--auto-symmetric", action="store_true",
                   help="detect permutation invariance and use it when present")
    p.add_argument("--seed", type=int_option(0, MAX_SEED), default=0,
                   help="random seed (default 0)")
    add_arithmetic(p)
    add_time_limit(p)
    add_common(p)
    p.set_defaults(func=cmd_sample)


def _radius(text: str) -> Any:
    """``--radius``: ``effective`` or an exact positive number up to :data:`MAX_RADIUS`."""
    if text.strip().lower() == "effective":
        return "effective"
    what = f"a positive number up to {float(MAX_RADIUS):g}, or 'effective'"
    try:
        value = read_number(text, "--radius")[0]
    except TropnetError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if not 0 < value <= MAX_RADIUS:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    return value


def cmd_sample(args: argparse.Namespace) -> CommandResult:
    net: Network = load_net(args, args.network)
    arith = arith_from(args, net)
    if args.symmetric and args.auto_symmetric:
        raise TropnetError("give --symmetric or --auto-symmetric, not both")
    symmetric: bool | str = True if args.symmetric else ("auto" if args.auto_symmetric
                                                          else False)
    def run() -> Any:
        return sample_regions(net, samples=args.samples, radius=args.radius, seed=args.seed,
                              symmetric=symmetric, exact=arith, domain=args.domain)

    # --radius effective first finds the effective box: a Hoffman constant per cell
    est = guarded(hoffman_work(net, arith.exact, "linear", rows="facets"), run) \
        if args.radius == "effective" else run()
    record(args, domain=est.box)
    payload = est.to_dict()
    for key in ("domain", "exact_maps", "is_estimate"):  # common keys; estimate says it
        payload.pop(key, None)
    if "radius" in payload:
        payload["radius"] = rational(payload["radius"], arith.exact)

    def text(p: dict) -> str:
        sym = " (fundamental domain x1 >= ... >= xn, Lemma 30 weights)" if p["symmetric"] \
            else ""
        lines = [f"estimated linear regions: {p['estimate']}  (an ESTIMATE from "
                 f"{p['samples']} samples in {p['domain']['text']}, seed {p['seed']}){sym}",
                 f"distinct affine maps {p['distinct_maps']}, activation patterns "
                 f"{p['activation_patterns']}, midpoint splits {p['midpoint_splits']}",
                 "convergence (samples: estimate): "
                 + ", ".join(f"{k}: {v}" for k, v in p["curve"])]
        return "\n".join(lines)

    return CommandResult(payload, text)

"""Certified float mode (issue 18): float counts against exact counts, with the fallbacks.

Float mode must give the exact count for the float weights as given. For the shared nets
A-D (R^n and the box [-1,1]^n) and for networks built to be hard for float arithmetic, this
benchmark counts in float and in exact mode, checks that the counts agree, and reports the
times, the regions decided in exact arithmetic (``exact_fallbacks``) and the LP/MILP solver
fallbacks (``tropnet.polyhedra.FALLBACKS``). Writes ``benchmarks/results/float.md``.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

import tropnet
from tropnet import Network, load_network
from tropnet.polyhedra import FALLBACKS

from .common import load_average, machine, write

HERE = Path(__file__).resolve().parent
SHARED = HERE / "nets"
HARD = ("grid", "integers", "near_duplicate", "tiny_bias", "mixed_scales")


def _shared(name: str) -> Network | None:
    path = SHARED / f"{name}.json"
    return load_network(path) if path.exists() else None


def _timed(net: Network, dom: str | None, kind: str, exact: bool, engine: str = "auto"
           ) -> tuple[int, float, dict, int]:
    before = FALLBACKS.copy()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {"engine": engine}
        rs = tropnet.regions(net, dom, kind, "enumerate", exact=exact, **params)
    seconds = time.perf_counter() - start
    return rs.count, seconds, rs.info, sum((FALLBACKS - before).values())


def hard_net(kind: str, seed: int, dims: tuple[int, ...], act: str = "relu") -> Network:
    """A network hard for float arithmetic, of one of the kinds :data:`HARD`: weights on a
    0.1 grid, small integers written as floats, near-duplicate rows (1 vs 1.000000000001),
    tiny biases (1e-13 .. 1e-17) or mixed scales (1e-9 next to 1e9); also the generator of
    tests/test_certified_float.py."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(dims) - 1):
        shape = (dims[i + 1], dims[i])
        if kind == "grid":
            w, b = np.round(rng.uniform(-1, 1, shape), 1), np.round(rng.uniform(-1, 1, shape[0]), 1)
        elif kind == "mixed_scales":
            w = rng.uniform(-1, 1, shape) * np.where(rng.random(shape) < 0.3, 1e9, np.where(
                rng.random(shape) < 0.3, 1e-9, 1.0))
            b = rng.uniform(-1, 1, shape[0])
        else:
            w = rng.integers(-3, 4, shape).astype(float)
            if kind == "near_duplicate" and shape[0] > 1:
                w[1] = w[0] * 1.000000000001
            b = (rng.choice([0.0, 1e-13, -1e-15, 1e-17, 1.0], shape[0]) if kind == "tiny_bias"
                 else rng.integers(-3, 4, shape[0]).astype(float))
        last = i == len(dims) - 2
        layers.append({"weight": w.tolist(), "bias": b.tolist(),
                       "activation": "identity" if last else act,
                       **({"slope": 0.25} if act == "leaky_relu" and not last else {})})
    return Network.from_lists(dims[0], layers)


def shared_section() -> list[str]:
    lines = ["### Shared nets: float (certified) against exact", "",
             "| net | domain | kind | exact count | float count | equal | float s | exact s | "
             "float/exact | regions decided exactly | solver fallbacks |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in "ABCD":
        net = _shared(name)
        if net is None:
            lines.append(f"| {name} | — | — | net file missing | | | | | | | |")
            continue
        for dom in (None, "box:-1,1"):
            for kind in ("activation", "linear"):
                fc, fs, info, fb = _timed(net, dom, kind, False)
                ec, es, _, eb = _timed(net, dom, kind, True)
                lines.append(f"| {name} | {dom or 'R^n'} | {kind} | {ec} | {fc} | "
                             f"{'yes' if fc == ec else '**NO**'} | {fs:.2f} | {es:.2f} | "
                             f"{fs / es:.2f} | {info.get('exact_fallbacks', 0)} | {fb + eb} |")
    return lines


def hard_section(quick: bool) -> list[str]:
    seeds = 5 if quick else 20
    lines = ["### Nets built to be hard for float arithmetic", "",
             f"2-[5,5]-1 ReLU nets, {seeds} seeds per kind, on R^2 and on box:-1,1; activation "
             "regions by the vertex and the LP engine in float mode against exact mode on the "
             "same float weights.", "",
             "| kind | engine | cases | float = exact | regions decided exactly | float s | "
             "exact s |", "|---|---|---|---|---|---|---|"]
    for kind in HARD:
        for engine in ("vertex", "lp"):
            agree = fallbacks = 0
            ft = et = 0.0
            for seed in range(seeds):
                net = hard_net(kind, seed, (2, 5, 5, 1))
                for dom in (None, "box:-1,1"):
                    fc, fs, info, _ = _timed(net, dom, "activation", False, engine)
                    ec, es, _, _ = _timed(net, dom, "activation", True, engine)
                    agree += fc == ec
                    fallbacks += info.get("exact_fallbacks", 0)
                    ft, et = ft + fs, et + es
            lines.append(f"| {kind} | {engine} | {2 * seeds} | {agree} | {fallbacks} | "
                         f"{ft:.2f} | {et:.2f} |")
    return lines


def main(quick: bool = False) -> str:
    start = time.perf_counter()
    load = load_average()
    lines = ["## Certified float mode (issue 18)", "",
             f"{machine()}; load average at start {load:.1f}; one run per cell (times are "
             f"noisy on a shared machine; the counts are the point). Mode: "
             f"{'quick' if quick else 'full'}.", "",
             *shared_section(), "", *hard_section(quick), "",
             f"Total benchmark time: {time.perf_counter() - start:.0f} s."]
    return write("float", "\n".join(lines))


if __name__ == "__main__":  # pragma: no cover
    print(main(quick="--quick" in sys.argv))

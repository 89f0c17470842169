"""Benchmark of the MILP backend (tropnet.milp).

1. Exact counting of activation regions on [-1,1]^n: MILP (HiGHS through cvxpy, layerwise
   strategy, pure and with line seeding; the global no-good strategy on the smallest net)
   against the enumeration of tropnet.regions(), on the nets A-D of benchmarks/nets.
2. A Table-1-like comparison (Serra & Ramalingam 2020): MIPBound lower bound (XOR-3, the
   three parity encodings on the first net) vs exact count vs empirical upper bound
   (Theorem 2) vs the configuration upper bound (Serra et al. 2018, Theorem 1), on random
   ReLU nets with n0 = 10 and 20 and two hidden layers of widths 4-16.

Run: ``python -m benchmarks.bench_milp [--quick]``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # pragma: no cover - when run as a script
    sys.path.insert(0, str(ROOT))

from benchmarks.common import load_average  # noqa: E402
from tropnet import (  # noqa: E402
    Network,
    TooLargeError,
    activation_regions,
)
from tropnet.bounds import serra2018_upper  # noqa: E402
from tropnet.io import load_network  # noqa: E402
from tropnet.milp import activation_regions as milp_regions  # noqa: E402
from tropnet.milp import empirical_bound, mipbound  # noqa: E402

NETS = {"A": 38, "B": 218, "C": 1340, "D": 2080}  # exact counts on [-1,1]^n (issue text)


def _random_net(seed: int, dims: list[int]) -> Network:
    """A random ReLU net (He initialisation, biases N(0, 0.25))."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(dims) - 1):
        act = "identity" if i == len(dims) - 2 else "relu"
        w = rng.normal(0, np.sqrt(2 / dims[i]), size=(dims[i + 1], dims[i])).tolist()
        b = rng.normal(0, 0.5, size=dims[i + 1]).tolist()
        layers.append({"weight": w, "bias": b, "activation": act})
    return Network.from_lists(dims[0], layers)


def _milp_count(net: Network, domain: str, limit: float, **opts) -> dict:
    found = [0]
    start = time.perf_counter()
    try:
        rs = milp_regions(net, domain, time_limit=limit,
                                      progress=lambda c: found.__setitem__(0, c), **opts)
        secs = time.perf_counter() - start
        return {"count": rs.count, "seconds": secs, "complete": True,
                "solves": rs.info["milp_solves"], "milp_seconds": rs.info["milp_seconds"],
                "seeded": rs.info["seeded"], "bigm": rs.info["bigm"]}
    except TooLargeError:
        return {"count": found[0], "seconds": time.perf_counter() - start, "complete": False}


def _fmt_count(res: dict) -> str:
    return str(res["count"]) if res["complete"] else f">= {res['count']} (time limit)"


def counting_section(quick: bool) -> list[str]:
    limit = 20.0 if quick else 300.0
    names = ["A", "B"] if quick else list(NETS)
    lines = ["### Exact counting on [-1,1]^n: MILP vs enumeration", "",
             f"Time limit per MILP run: {limit:g} s. Regions/s = regions / wall time of the "
             "whole call (big-M tightening, MILP solves, exact confirmations).", "",
             "| net | arch | exact (issue) | enumeration | enum s | MILP pure | s | reg/s | "
             "solves | MILP + 16 lines | s | reg/s | solves |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        net = load_network(str(HERE / "nets" / f"{name}.json"))
        dom = "box:-1,1"
        t = time.perf_counter()
        enum = activation_regions(net, dom).count
        t_enum = time.perf_counter() - t
        pure = _milp_count(net, dom, limit)
        seeded = _milp_count(net, dom, limit, seed_lines=16)
        for res in (pure, seeded):
            assert not res["complete"] or res["count"] == enum == NETS[name], (name, res)
        row = [name, net.architecture(), str(NETS[name]), str(enum), f"{t_enum:.2f}"]
        for res in (pure, seeded):
            rate = res["count"] / res["seconds"]
            row += [_fmt_count(res), f"{res['seconds']:.1f}", f"{rate:.1f}",
                    str(res.get("solves", "-"))]
        lines.append("| " + " | ".join(row) + " |")
    net = load_network(str(HERE / "nets" / "A.json"))
    glob = _milp_count(net, "box:-1,1", limit, strategy="global")
    glob_vi = _milp_count(net, "box:-1,1", limit, strategy="global", valid_inequalities=True)
    lines += ["",
              f"Global strategy (formulation P of the whole net, one no-good cut per pattern, "
              f"Serra et al. 2018) on A: {_fmt_count(glob)} regions in "
              f"{glob['seconds']:.1f} s ({glob['count'] / glob['seconds']:.1f} regions/s, "
              f"{glob.get('solves', '-')} solves); with inequalities (8)-(9): "
              f"{glob_vi['seconds']:.1f} s."]
    return lines


def parallel_section(quick: bool) -> list[str]:
    """The layerwise MILP count on a LocalCluster of 2 worker processes against the serial
    count (issue 13 §2: node solves as Dask tasks)."""
    names = ["A"] if quick else ["C", "D"]
    lines = ["### MILP counting on 2 Dask workers", "",
             "The same count with `workers=2`: the driver splits the pattern tree into 8 "
             "subtrees per worker and each subtree's node MILPs are solved in one task. "
             "`2 workers s` includes starting the LocalCluster (its processes import cvxpy).",
             "", "| net | regions | same regions | serial s | 2 workers s | speed-up | tasks |",
             "|---|---|---|---|---|---|---|"]
    for name in names:
        net = load_network(str(HERE / "nets" / f"{name}.json"))
        t = time.perf_counter()
        serial = milp_regions(net, "box:-1,1")
        t_serial = time.perf_counter() - t
        t = time.perf_counter()
        spread = milp_regions(net, "box:-1,1", workers=2)
        t_spread = time.perf_counter() - t
        same = sorted(r.pattern for r in serial.regions) == \
            sorted(r.pattern for r in spread.regions)
        lines.append(f"| {name} | {spread.count} | {'yes' if same else 'NO'} | "
                     f"{t_serial:.1f} | {t_spread:.1f} | {t_serial / t_spread:.2f}x | "
                     f"{spread.info.get('tasks', 0)} |")
    return lines


def table_section(quick: bool) -> list[str]:
    configs = [(10, (10, 10)), (10, (14, 6)), (10, (6, 14)), (10, (16, 4)), (10, (4, 16)),
               (20, (10, 10)), (20, (14, 6)), (20, (6, 14))]
    if quick:
        configs = configs[:2]
    repeats = 8 if quick else 16
    dom = "box:-0.1,0.1"
    lines = ["### MIPBound vs exact count vs empirical upper bound (Table-1-like)", "",
             f"Random ReLU nets (He initialisation, biases N(0, 1/4)), domain "
             f"[-0.1, 0.1]^n0 (a small box keeps the exact enumeration short). MIPBound: "
             f"XOR-3, {repeats} runs, integer encoding, timeout 10 s per solve; LB = largest "
             f"2^j with P_j >= 0.95, or the regions met during the runs if larger. "
             f"Configuration UB: Serra et al. 2018 Theorem 1. Empirical UB: Theorem 2 with "
             f"A_l(k), I_l(k) by MILP. Gap closed = (Conf UB - Emp UB) / (Conf UB - exact).",
             "",
             "| n0 | widths | exact | MIPBound LB (P) | certain | LB s | exact s | "
             "Empirical UB | EUB s | Conf UB | gap closed % |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    first = None
    for seed, (n0, widths) in enumerate(configs):
        net = _random_net(1000 + seed, [n0, *widths, 1])
        if first is None:
            first = net
        t = time.perf_counter()
        exact = activation_regions(net, dom).count
        t_exact = time.perf_counter() - t
        t = time.perf_counter()
        mb = mipbound(net, dom, k=3, repeats=repeats, seed=seed, timeout=10.0, exact_limit=0)
        t_mb = time.perf_counter() - t
        t = time.perf_counter()
        eb = empirical_bound(net, dom, time_limit=20.0)
        t_eb = time.perf_counter() - t
        conf = serra2018_upper(n0, list(widths))
        assert mb.certain_lower_bound <= exact <= eb.bound <= conf
        gap = 100.0 * (conf - eb.bound) / (conf - exact) if conf > exact else 0.0
        lines.append(f"| {n0} | {widths[0]};{widths[1]} | {exact} | {mb.lower_bound} "
                     f"({mb.probability:.3f}) | {mb.certain_lower_bound} | {t_mb:.1f} | "
                     f"{t_exact:.1f} | {eb.bound} | {t_eb:.1f} | {conf} | {gap:.1f} |")
    # the three parity encodings on the first net, same seed
    lines += ["", "Parity encodings on the first net (same seeds; the runs differ only "
              "through the solutions the solver returns):", "",
              "| encoding | LB | certain | solves | seconds |", "|---|---|---|---|---|"]
    for enc in ("integer", "chain", "cuts"):
        t = time.perf_counter()
        mb = mipbound(first, dom, k=3, repeats=repeats, seed=0, timeout=10.0, exact_limit=0,
                      encoding=enc)
        lines.append(f"| {enc} | {mb.lower_bound} | {mb.certain_lower_bound} | {mb.solves} | "
                     f"{time.perf_counter() - t:.1f} |")
    return lines


def main(quick: bool = False) -> str:
    start = time.perf_counter()
    load = load_average()
    lines = ["## MILP backend (tropnet.milp)", "",
             f"Hardware: {platform.machine()}, {os.cpu_count()} cores, "
             f"{platform.python_version()}; load average at start {load:.1f} (other jobs "
             f"share the machine, so absolute times are noisy; ratios within one run are "
             f"the useful part). Solver: HiGHS through cvxpy. Mode: "
             f"{'quick' if quick else 'full'}.", ""]
    lines += counting_section(quick)
    lines.append("")
    lines += parallel_section(quick)
    lines.append("")
    lines += table_section(quick)
    lines += ["", f"Total benchmark time: {time.perf_counter() - start:.0f} s."]
    text = "\n".join(lines) + "\n"
    out = HERE / "results" / "milp.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    return text


if __name__ == "__main__":  # pragma: no cover
    print(main(quick="--quick" in sys.argv))

"""Enumeration speed per region (issue 14): every engine on the shared nets, and the LP
engine in high input dimension.

``python -m benchmarks.bench_speed [--quick]`` writes ``benchmarks/results/speed.md``.

Table 1: activation regions of nets A-D on ``R^n`` and ``[-1,1]^n``, microseconds per region
(seconds of the call over the count; best of up to 3 runs in a fresh process) of the batch
engine (count only, and listing; float and exact), the float and exact vertex engine, the
float LP engine,
the planar engine (2-D boxes, count only) and regioncam (2-D boxes, when the ``bench`` extra
is installed), with the targets of the issue: at most 30 us per region in float on B-D over
``R^n``, exact mode within 2x of float.

Table 2: the LP engine (the engine of high input dimension) in seconds: net B over ``R^n``
(target < 3 s) and He-initialised 784-[8]-1 and 20-[8,8]-1 nets over ``R^n``.

Table 3: counts of He-initialised 2-[256,256]-1 and 4-[24,24]-1 nets on ``R^n`` on one core,
batch engine against the vertex engine's walk.
"""

from __future__ import annotations

import argparse
from typing import Any

from tropnet import activation_regions
from tropnet.engines.stream import stream_activation_regions

from .bench_planar import _net, _regioncam, regioncam
from .bench_regions import EXPECTED, SHAPES
from .common import best_of, load_average, machine, table, write

#: float vertex engine on B-D over R^n: microseconds per region
TARGET_US = 30.0
#: exact over float, same engine and net
TARGET_EXACT_RATIO = 2.0


def _count(spec: Any, domain: str | None, engine: str, exact: bool) -> int:
    return activation_regions(_net(spec), domain, engine, exact).count


def _count_only(spec: Any, domain: str | None, engine: str, exact: bool) -> int:
    return stream_activation_regions(_net(spec), domain, engine, exact).count


def _us(res: dict, count: int) -> str:
    if res["status"] != "ok":
        return res["status"]
    return f"{1e6 * res['seconds'] / count:.0f}"


def _ratio(a: dict, b: dict) -> str:
    return f"{a['seconds'] / b['seconds']:.2f}" if a["status"] == b["status"] == "ok" else "-"


def per_region_table(nets: list[str], timeout: float) -> str:
    rows = []
    for name in nets:
        for dom, domain in (("rn", None), ("box", "box:-1,1")):
            want = EXPECTED[name][dom == "box"]

            def run(fn: Any, engine: str, exact: bool, repeat: int = 3, name: str = name,
                    domain: str | None = domain) -> dict:
                return best_of(fn, name, domain, engine, exact, timeout=timeout, enough=5.0,
                               repeat=repeat)

            runs = {"count": run(_count_only, "batch", False),
                    "exact count": run(_count_only, "batch", True),
                    "list": run(_count, "batch", False),
                    "exact list": run(_count, "batch", True),
                    "vertex": run(_count, "vertex", False),
                    "exact vertex": run(_count, "vertex", True),
                    "lp": run(_count, "lp", False, 1)}
            planar = dom == "box" and SHAPES[name].startswith("2-")
            if planar:
                runs["planar"] = run(_count_only, "planar", False)
                if regioncam is not None:
                    runs["regioncam"] = best_of(_regioncam, name, 1, timeout=timeout)
            counts = {r["value"] for r in runs.values() if r["status"] == "ok"}
            target = f"<= {TARGET_US:g}" if dom == "rn" and name != "A" else "-"
            rows.append([f"{name} {SHAPES[name]}", dom, want,
                         "yes" if counts == {want} else f"NO {sorted(counts)}",
                         _us(runs["count"], want), target, _us(runs["exact count"], want),
                         _ratio(runs["exact count"], runs["count"]), _us(runs["list"], want),
                         _us(runs["exact list"], want),
                         _ratio(runs["exact list"], runs["list"]), _us(runs["vertex"], want),
                         _us(runs["exact vertex"], want), _us(runs["lp"], want),
                         _us(runs["planar"], want) if planar else "-",
                         _us(runs["regioncam"], want) if "regioncam" in runs else "-"])
    return table(["net", "domain", "regions", "all counts exact",
                  "batch count-only us/region", "target us", "exact batch count-only",
                  f"exact / float count-only (<= {TARGET_EXACT_RATIO:g})", "batch list",
                  "exact batch list", "exact / float list", "vertex list", "exact vertex list",
                  "LP engine list", "planar count-only", "regioncam"], rows)


#: the LP engine's nets: (label, spec, target)
LP_CASES = [("B 3-[10,10]-1", "B", "< 3 s"), ("He 784-[8]-1", [784, 8, 1], ""),
            ("He 20-[8,8]-1", [20, 8, 8, 1], "")]


def lp_table(timeout: float) -> str:
    rows = []
    for label, spec, target in LP_CASES:
        res = best_of(_count, spec, None, "lp", False, timeout=timeout, enough=5.0)
        ok = res["status"] == "ok"
        rows.append([label, "R^n", res["value"] if ok else "-",
                     f"{res['seconds']:.3g}" if ok else res["status"],
                     f"{1e6 * res['seconds'] / res['value']:.0f}" if ok else "-", target])
    return table(["net", "domain", "activation regions", "LP engine s", "us/region",
                  "target"], rows)


#: wide and deep nets counted on one core: (label, spec)
LARGE = [("He 2-[256,256]-1", [2, 256, 256, 1]), ("He 4-[24,24]-1", [4, 24, 24, 1])]


def large_table(timeout: float) -> str:
    rows = []
    for label, spec in LARGE:
        runs = {e: best_of(_count_only, spec, None, e, False, timeout=timeout, repeat=1)
                for e in ("batch", "vertex")}
        counts = {r["value"] for r in runs.values() if r["status"] == "ok"}
        ok = runs["batch"]["status"] == "ok"
        rows.append([label, "R^n", sorted(counts)[0] if len(counts) == 1 else f"NO {counts}",
                     *(f"{r['seconds']:.1f}" if r["status"] == "ok" else r["status"]
                       for r in runs.values()),
                     _us(runs["batch"], runs["batch"]["value"]) if ok else "-",
                     _ratio(runs["vertex"], runs["batch"])])
    return table(["net", "domain", "activation regions", "batch s", "vertex s",
                  "batch us/region", "vertex / batch"], rows)


def main(quick: bool = False) -> str:
    nets = ["A", "B"] if quick else ["A", "B", "C", "D"]
    timeout = 120.0 if quick else 600.0
    text = "\n".join([
        "# Enumeration speed per region (issue 14)", "",
        f"Machine: {machine()}; load average at start {load_average():.2f}"
        + (" (quick run: nets A and B)" if quick else ""), "",
        "## Microseconds per activation region, by engine", "",
        "Seconds of the call (best of up to 3 runs in a fresh process, one for the LP "
        "engine) over the number of regions; every count checked against the exact count. "
        "*count-only*: `stream_activation_regions` without a sink (`tropnet regions "
        "--count-only`); the other columns list the regions (`activation_regions`: Region "
        "objects with polyhedron, map and a certified interior point). The batch engine is "
        "`auto` in both modes on R^n and boxes (n >= 3, and 2-D on R^n; the planar engine on "
        "2-D boxes). All columns in microseconds per region. Targets: at most 30 us per "
        "region in float on B-D over R^n; exact mode within 2x of float. regioncam (Rust, "
        "float32) runs only on 2-D boxes.",
        "", per_region_table(nets, timeout), "",
        "## The LP engine in high input dimension", "",
        "Float LP engine (certified), activation regions over R^n, best of up to 3 runs.", "",
        lp_table(timeout), "",
        "## Large nets, count only, one core", "",
        "`stream_activation_regions` without a sink (`tropnet regions --count-only`), float "
        "mode, one run each: the batch engine against the vertex engine's depth-first walk "
        "(the walk `--workers` distributes; benchmarks/results/parallel.md).", "",
        large_table(timeout) if not quick else "(skipped in the quick run)"])
    return write("speed", text)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    print(main(ap.parse_args().quick))

"""Benchmarks of issue 13 (scale-out): streamed counts in bounded memory, the speed-up of
Dask workers over the serial stream, and 10^6 regions counted on 2 workers.

``python -m benchmarks.bench_parallel [--quick]`` writes ``benchmarks/results/parallel.md``.
Every measurement runs in a fresh process (:func:`benchmarks.common.isolated`); peak memory
is ``ru_maxrss`` of that process, and for parallel runs the sum of the driver's and every
worker's peak (each worker reports its own ``ru_maxrss`` before the cluster closes).
"""

from __future__ import annotations

import argparse
import resource
import warnings

from benchmarks.common import (
    RESULTS,
    best_of,
    fmt_time,
    he_net,
    isolated,
    load_average,
    machine,
    table,
    write,
)

#: the seed of every He net below
SEED = 0
#: runs of each side of a speed-up, the best kept (the machine's speed varies by +-15 %
#: from run to run)
REPEAT = 2
#: seconds a width of the memory series may take ("the largest width that finishes in 10
#: minutes")
MEMORY_TIMEOUT = 600


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _serial(dims: list[int], domain: str | None, engine: str = "vertex") -> dict:
    from tropnet.engines.stream import stream_activation_regions

    warnings.simplefilter("ignore")
    s = stream_activation_regions(he_net(dims, SEED), domain, engine)
    return {"count": s.count, "fallbacks": s.info.get("exact_fallbacks", 0)}


def _parallel(dims: list[int], domain: str | None, workers: int, engine: str = "vertex"
              ) -> dict:
    """Count on a fresh LocalCluster started as ``--workers`` starts it; the cluster's start
    is timed apart from the run."""
    import time

    from tropnet.arithmetic import resolve
    from tropnet.domain import parse_domain
    from tropnet.engines.parallel import TaskStats, cluster, parallel_stream

    warnings.simplefilter("ignore")
    net = he_net(dims, SEED)
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(None, net, dom)
    t0 = time.perf_counter()
    with cluster(workers) as client:
        started = time.perf_counter() - t0
        stats = TaskStats()
        t1 = time.perf_counter()
        s = parallel_stream(net, dom, arith, engine, scheduler=client, stats=stats)
        run = time.perf_counter() - t1
        peaks = client.run(_peak_mb)
    return {"count": s.count, "run_s": run, "start_s": started, **stats.to_dict(),
            "workers_peak_mb": sum(peaks.values()), "driver_peak_mb": _peak_mb()}


def memory_section(widths: list[int]) -> str:
    rows = []
    for w in widths:
        res = isolated(_serial, [2, w, w, 1], None, timeout=MEMORY_TIMEOUT)
        count = res["value"]["count"] if res["status"] == "ok" else "-"
        rows.append([f"2-[{w},{w}]-1", "rn", count, fmt_time(res), f"{res['peak_mb']:.0f}"])
    return "\n".join([
        "## Count only in bounded memory", "",
        "Activation regions on R^n, float vertex engine, `tropnet regions --count-only` "
        "(serial depth-first stream, no region kept). Target: 2-[256,256]-1 in < 4 GB peak "
        "(the in-memory layer-by-layer walk ran out of memory there).", "",
        table(["net", "domain", "activation regions", "seconds", "peak MB"], rows)])


def speedup_section(nets: list[list[int]], workers: int,
                    engines: tuple[str, ...] = ("vertex", "batch")) -> str:
    rows = []
    for dims, engine in ((d, e) for d in nets for e in engines):
        serial = best_of(_serial, dims, None, engine, repeat=REPEAT, timeout=3600)
        par = min((isolated(_parallel, dims, None, workers, engine, timeout=3600)
                   for _ in range(REPEAT)),
                  key=lambda r: r["value"]["run_s"] if r["status"] == "ok" else float("inf"))
        arch = f"{dims[0]}-[{','.join(map(str, dims[1:-1]))}]-{dims[-1]}"
        if serial["status"] != "ok" or par["status"] != "ok":
            rows.append([arch, engine, f"serial {fmt_time(serial)}",
                         f"parallel {par['status']}"] + ["-"] * 10)
            continue
        p = par["value"]
        same = "yes" if p["count"] == serial["value"]["count"] else "NO"
        speed = serial["seconds"] / p["run_s"]
        rows.append([arch, engine, serial["value"]["count"], same, f"{serial['seconds']:.3g}",
                     f"{p['run_s']:.3g}", f"{speed:.2f}x", f"{p['start_s']:.2g}", p["tasks"],
                     p["pieces"], p["shipped_nodes"], f"{p['mean_task_seconds']:.3g}",
                     f"{p['task_seconds'] / serial['seconds']:.2f}",
                     f"{100 * p['overhead']:.1f}%"])
    return "\n".join([
        f"## Speed-up of --workers {workers} over serial", "",
        f"Activation regions on R^n, float mode, count only, best of {REPEAT} runs "
        "each (serial and parallel, each in a fresh process), the vertex engine's walk (tasks: "
        "pieces of the domain and nodes) and the batch engine (the first layer on the driver, "
        "its regions in shuffled pieces, one task each). `parallel s` is the run "
        "on a started LocalCluster of single-threaded worker processes (the cluster's start "
        "is `start s`); `overhead` is the share of worker time outside tasks, "
        "`1 - task seconds / (wall seconds x workers)`; `pieces` the pieces of the domain "
        "the driver cut, `shipped` the frontier nodes sent back to the driver, `work` the "
        "tasks' total seconds over the serial seconds (the cost of the split). Target: "
        ">= 1.7x on a net with >= 50,000 regions.", "",
        table(["net", "engine", "activation regions", "same count", "serial s", "parallel s",
               "speed-up", "start s", "tasks", "pieces", "shipped", "mean task s", "work",
               "overhead"], rows)])


def million_section(dims: list[int], workers: int) -> str:
    par = isolated(_parallel, dims, None, workers, timeout=1800)
    arch = f"{dims[0]}-[{','.join(map(str, dims[1:-1]))}]-{dims[-1]}"
    if par["status"] != "ok":
        return f"## Many regions on {workers} workers\n\n{arch}: {par['status']}"
    p = par["value"]
    total = p["workers_peak_mb"] + p["driver_peak_mb"]
    rows = [[arch, p["count"], f"{p['run_s']:.3g}", p["tasks"], p["pieces"],
             f"{p['driver_peak_mb']:.0f}", f"{p['workers_peak_mb']:.0f}", f"{total:.0f}"]]
    return "\n".join([
        f"## Many regions counted on {workers} workers", "",
        "Count only, float vertex engine, R^n. Peak memory across processes: the driver's "
        "peak plus every worker's peak (an upper bound of what they held at once). Target: "
        "10^6 activation regions in < 2 GB across all processes.", "",
        table(["net", "activation regions", "seconds", "tasks", "pieces", "driver MB",
               "workers MB", "total MB"], rows)])


#: the sections of the full run, by name (``--only NAME`` reruns one of them and keeps the
#: others from the last results file, each with the line that says when it was measured)
SECTIONS = {"memory": lambda: memory_section([256, 384]),
            "speedup": lambda: speedup_section([[2, 160, 160, 1], [2, 256, 256, 1]], 2),
            "million": lambda: million_section([4, 38, 38, 1], 2)}


def main(quick: bool = False, only: str | None = None) -> str:
    stamp = f"Machine: {machine()}; load average at start {load_average():.2f}"
    if quick:  # a smoke test of a few seconds
        parts = [memory_section([16]), speedup_section([[2, 16, 16, 1]], 2),
                 million_section([2, 12, 12, 1], 2)]
        stamp += " (quick run: small nets, a smoke test)"
    elif only is None:
        parts = [make() for make in SECTIONS.values()]
    else:
        previous = (RESULTS / "parallel.md").read_text()
        old = previous.split("\n## ")[1:]
        old_stamp = next((ln for ln in previous.splitlines() if ln.startswith("Machine:")
                          or ln.startswith("(")), "an earlier run")
        parts = []
        for name, make in SECTIONS.items():
            kept = [sec for sec in old if _section_name(sec) == name]
            if name == only or not kept:
                parts.append(make() + f"\n\n(measured alone: {stamp})")
            elif "(kept from" in kept[0] or "(measured alone" in kept[0]:
                parts.append("## " + kept[0].strip())
            else:
                parts.append("## " + kept[0].strip() + f"\n\n(kept from an earlier run: "
                             f"{old_stamp})")
    text = "\n\n".join(["# Parallel and streamed enumeration (issue 13)", stamp, *parts])
    return write("parallel", text)


def _section_name(text: str) -> str:
    head = text.split("\n", 1)[0].lower()
    return "memory" if "memory" in head else "speedup" if "speed-up" in head else "million"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=sorted(SECTIONS))
    args = ap.parse_args()
    print(main(args.quick, args.only))

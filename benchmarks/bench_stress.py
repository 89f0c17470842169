"""Stress benchmark (issue 9, item 4): where does each method stop?

Every method is run on growing He-initialised nets (:func:`benchmarks.common.he_net`, seed
0): width ``2-[w,w]-1`` for ``w = 2, 4, 6, 8, 12, 16, 24, 32, ...`` and depth ``2-[4]*d-1``
for ``d = 1, 2, 3, 4, 6, 8, 12, ...``, until one run takes more than ``TIMEOUT`` seconds
(60 s), needs more than ``MEMORY`` bytes (4 GB of address space, ``RLIMIT_AS`` in the child),
or the library refuses with :class:`~tropnet.errors.TooLargeError` (the budgets of
:mod:`tropnet.limits`). Each run is a fresh process (multiprocessing ``spawn``); the parent
kills it at the wall-clock limit and reads its peak resident memory (``VmHWM``) while it
runs, the child reports ``getrusage`` peak and the count.

Methods: compile with pruning (float and exact: the float weights converted exactly);
tropical linear regions; activation-region enumeration (vertex engine float and exact, LP
engine); MILP counting; sampling (20 000 points). The region methods count on
``[-1,1]^2``.

Run: ``python -m benchmarks.bench_stress [--quick]``.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # pragma: no cover - when run as a script
    sys.path.insert(0, str(ROOT))

from benchmarks.common import he_net, load_average, machine, table, write  # noqa: E402

TIMEOUT = 60.0
MEMORY = 4 * 2**30
DOMAIN = "box:-1,1"
SAMPLES = 20_000
WIDTHS = [2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
DEPTHS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]
SERIES = {"width": [[2, w, w, 1] for w in WIDTHS],
          "depth": [[2, *([4] * d), 1] for d in DEPTHS]}


# -- the methods (run in the child) ----------------------------------------------------------
def _compile(net: Any, exact: bool) -> str:
    from tropnet import compile_network

    r = compile_network(net, prune=True, exact=exact)[0]
    return f"{len(r.numerator.coefficients)}/{len(r.denominator.coefficients)}"


def _tropical(net: Any) -> int:
    from tropnet import linear_regions

    return linear_regions(net, DOMAIN, method="tropical", exact=False).count


def _enumerate(net: Any, engine: str, exact: bool) -> int:
    from tropnet import activation_regions

    return activation_regions(net, DOMAIN, engine=engine, exact=exact).count


def _milp(net: Any) -> int:
    from tropnet.milp import count_activation_regions

    return count_activation_regions(net, DOMAIN)


def _sampling(net: Any) -> str:
    from tropnet.sampling import sample_regions

    return f"~{sample_regions(net, samples=SAMPLES, radius=1, seed=0).estimate}"


METHODS: dict[str, tuple[Any, tuple]] = {
    "compile float": (_compile, (False,)),
    "compile exact": (_compile, (True,)),
    "tropical linear (float)": (_tropical, ()),
    "vertex float": (_enumerate, ("vertex", False)),
    "vertex exact": (_enumerate, ("vertex", True)),
    "LP engine (float)": (_enumerate, ("lp", False)),
    "MILP (HiGHS)": (_milp, ()),
    f"sampling ({SAMPLES:,} points)": (_sampling, ()),
}


def _child_main(conn: Any, method: str, dims: list[int], memory: int) -> None:
    """Run one method on one net under the address-space limit; report through ``conn``."""
    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from tropnet.errors import TooLargeError

    fn, args = METHODS[method]
    net = he_net(dims, 0)
    conn.send(("start",))
    start = time.perf_counter()
    try:
        value = fn(net, *args)
        status = "ok"
    except TooLargeError as exc:
        value, status = str(exc), "too large"
    except MemoryError:
        value, status = "MemoryError", "memory"
    except BaseException as exc:  # report, never hang the parent
        value, status = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc()}", "error"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conn.send((status, value, seconds, peak))


def _proc_status(pid: int) -> dict[str, int]:
    """``VmHWM`` (peak resident) and ``VmPeak`` (peak address space) of a process, bytes."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key = line.split(":")[0]
                if key in ("VmHWM", "VmPeak"):
                    out[key] = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def run(method: str, dims: list[int], timeout: float = TIMEOUT, memory: int = MEMORY) -> dict:
    """One isolated run: ``{"status", "value", "seconds", "peak"}`` (``peak`` in bytes).

    ``status``: ``ok``, ``timeout``, ``memory`` (MemoryError, or the child died near the
    address-space limit), ``too large`` (:class:`~tropnet.errors.TooLargeError`),
    ``error`` or ``crashed``. ``seconds`` times the method only (not the process start).
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, method, dims, memory), daemon=True)
    proc.start()
    child.close()
    started, hwm, vmpeak, result = None, 0, 0, None
    while result is None:
        if parent.poll(0.1):
            try:
                msg = parent.recv()
            except EOFError:
                break
            if msg[0] == "start":
                started = time.perf_counter()
            else:
                result = msg
            continue
        st = _proc_status(proc.pid)
        hwm, vmpeak = max(hwm, st.get("VmHWM", 0)), max(vmpeak, st.get("VmPeak", 0))
        if started is not None and time.perf_counter() - started > timeout:
            proc.kill()
            proc.join()
            return {"status": "timeout", "value": None, "seconds": timeout, "peak": hwm}
        if not proc.is_alive() and not parent.poll(0.1):
            break
    proc.join()
    if result is None:  # died without a word: a signal, e.g. gmp aborting on allocation
        near = vmpeak > 0.9 * memory
        return {"status": "memory" if near else "crashed",
                "value": f"exit code {proc.exitcode}, peak address space "
                         f"{vmpeak / 2**30:.2f} GB",
                "seconds": time.perf_counter() - started if started else 0.0, "peak": hwm}
    status, value, seconds, peak = result
    return {"status": status, "value": value, "seconds": seconds, "peak": max(peak, hwm)}


# -- growing each series until the method stops -----------------------------------------------
def _arch(dims: list[int]) -> str:
    hidden = dims[1:-1]
    if len(hidden) > 2 and len(set(hidden)) == 1:
        return f"{dims[0]}-[{hidden[0]}]*{len(hidden)}-{dims[-1]}"
    return f"{dims[0]}-[{','.join(map(str, hidden))}]-{dims[-1]}"


def _cell(res: dict) -> str:
    mb = res["peak"] / 2**20
    if res["status"] == "ok":
        return f"{res['seconds']:.3g} s, {mb:.0f} MB, {res['value']}"
    if res["status"] == "timeout":
        return f"**timeout** (> {res['seconds']:.0f} s, {mb:.0f} MB)"
    return f"**{res['status']}** ({res['seconds']:.3g} s, {mb:.0f} MB)"


def _reason(res: dict) -> str:
    if res["status"] == "timeout":
        return f"timeout (> {res['seconds']:.0f} s)"
    if res["status"] == "too large":
        return f"TooLargeError: {str(res['value']).split(';')[0]}"
    if res["status"] in ("memory", "crashed"):
        return f"{res['status']} ({res['value']})"
    return f"{res['status']}: {str(res['value']).splitlines()[0][:120]}"


def grow(method: str, sizes: list[list[int]], timeout: float, log: Any = None
         ) -> tuple[list[dict], dict | None]:
    """Run ``method`` on ``sizes`` in order until a run fails; the runs and the failure."""
    runs = []
    for dims in sizes:
        res = run(method, dims, timeout)
        res["arch"] = _arch(dims)
        runs.append(res)
        if log is not None:
            print(f"  {method:28s} {res['arch']:24s} {_cell(res)}", file=log, flush=True)
        if res["status"] != "ok":
            return runs, res
    return runs, None


def main(quick: bool = False) -> str:
    timeout = 5.0 if quick else TIMEOUT
    series = {name: sizes[:2] if quick else sizes for name, sizes in SERIES.items()}
    load_start = load_average()
    start = time.perf_counter()
    results: dict[str, dict[str, tuple[list[dict], dict | None]]] = {}
    for name, sizes in series.items():
        results[name] = {}
        for method in METHODS:
            results[name][method] = grow(method, sizes, timeout, log=sys.stderr)
    total = time.perf_counter() - start

    summary = []
    for method in METHODS:
        row = [method]
        for name, sizes in series.items():
            runs, fail = results[name][method]
            ok = [r for r in runs if r["status"] == "ok"]
            best = ok[-1] if ok else None
            last = (f"{best['arch']} ({best['seconds']:.3g} s, {best['peak'] / 2**20:.0f} MB, "
                    f"count {best['value']})" if best else "-")
            stop = f"{fail['arch']}: {_reason(fail)}" if fail else \
                f"not reached (largest tried {_arch(sizes[-1])})"
            row += [last, stop]
        summary.append(row)

    lines = [
        "## Stress: where each method stops (issue 9)", "",
        f"Machine: {machine()}; load average {load_start:.1f} at the start (other jobs share "
        f"the machine, so times are noisy). Mode: {'quick' if quick else 'full'}; "
        f"total {total / 60:.1f} min.", "",
        f"He-initialised nets (`benchmarks.common.he_net`, seed 0). Each run is a fresh "
        f"process (multiprocessing spawn) with a wall-clock limit of {timeout:.0f} s and an "
        f"address-space limit of {MEMORY / 2**30:.0f} GB (`RLIMIT_AS`); a method stops at the "
        "first size that times out, runs out of memory, or is refused by the library "
        "(`TooLargeError`, the budgets of `tropnet.limits`: 4,000,000 items per step, 80 % of "
        "the memory available at start). Region methods count on [-1,1]^2; compile reports "
        "the monomials of the pruned numerator/denominator; the exact methods convert the "
        "float weights exactly (denominators 2^52 and more). Seconds exclude process start; "
        "memory is the peak resident size of the run's process (about 150-200 MB of it are "
        "the imports).", "",
        "### Where each method stops", "",
        table(["method", "largest width net", "width series stops at", "largest depth net",
               "depth series stops at"], summary), ""]
    for name, sizes in series.items():
        lines += [f"### {name.capitalize()} series: seconds, peak memory, count", ""]
        rows = []
        for dims in sizes:
            arch = _arch(dims)
            cells = []
            for method in METHODS:
                runs, _ = results[name][method]
                match = [r for r in runs if r["arch"] == arch]
                cells.append(_cell(match[0]) if match else "")
            if any(cells):
                rows.append([arch, *cells])
        lines += [table(["net", *METHODS], rows), ""]
    lines += ["Counts: compile = numerator/denominator monomials after pruning; tropical = "
              "linear regions (facet connectivity); vertex, LP, MILP = activation regions "
              "(all three must agree); sampling = the estimate (linear regions met by "
              f"{SAMPLES:,} uniform points, a lower estimate). He-initialised nets of width 4 "
              "lose their active units with depth (most of [-1,1]^2 ends in one region), so "
              "the depth series stresses the per-layer cost more than the region count."]
    return write("stress", "\n".join(lines).rstrip())


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))

"""Run every benchmark and write ``benchmarks/results/summary.md``.

``python -m benchmarks.run_all [--quick] [--only NAME,...] [--out PATH]``

Every ``benchmarks/bench_<topic>.py`` module (found with :mod:`pkgutil`) is run
in its own subprocess: its ``main(quick=...)`` returns a markdown section (and
writes ``benchmarks/results/<topic>.md`` itself). A module that fails or times
out becomes one line in the summary and the others still run. The summary
holds the date, the hardware, the package versions, the load average, every
section, a table of ratios against the naive scipy-LP baseline, and a table of
the issues' targets with the values measured in this run (read back from the
sections' markdown tables).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import inspect
import os
import pkgutil
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
# issue order first (foundation, regions, MILP, Hoffman), then any other module
ORDER = ["compile", "regions", "milp", "hoffman", "parallel"]
PACKAGES = ["numpy", "scipy", "pycddlib", "cvxpy", "highspy", "networkx", "sympy",
            "matplotlib", "torch", "onnx"]


def discover() -> list[str]:
    """Topics of the ``bench_<topic>`` modules, in issue order then alphabetical."""
    topics = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(HERE)])
                    if m.name.startswith("bench_"))
    return [t for t in ORDER if t in topics] + [t for t in topics if t not in ORDER]


# ---------------------------------------------------------------- child process


def _child(topic: str, quick: bool, out: str) -> None:
    """Import ``benchmarks.bench_<topic>``, run ``main`` and write its markdown to ``out``."""
    module = importlib.import_module(f"benchmarks.bench_{topic}")
    main = getattr(module, "main", None)
    if main is None:
        raise SystemExit(f"benchmarks/bench_{topic}.py has no main()")
    if "quick" in inspect.signature(main).parameters:
        text = main(quick=quick)
    else:
        text = main()
    if not isinstance(text, str):
        raise SystemExit(f"bench_{topic}.main returned {type(text).__name__}, not a "
                         "markdown string")
    Path(out).write_text(text, encoding="utf-8")


def run_module(topic: str, quick: bool, timeout: float) -> dict:
    """Run one benchmark module in a subprocess; its stderr/stdout go to our stderr.

    Returns ``{"topic", "status" ("ok"|"failed"|"timeout"), "seconds", "text", "error"}``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "section.md"
        cmd = [sys.executable, "-m", "benchmarks.run_all", "--child", topic, "--out", str(out)]
        if quick:
            cmd.append("--quick")
        start = time.perf_counter()
        tail: deque[str] = deque(maxlen=20)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace",
                                start_new_session=True)
        assert proc.stdout is not None
        status = "ok"

        def pump() -> None:  # tee the module's output, keep the tail for the error line
            for line in proc.stdout:
                sys.stderr.write(f"  [{topic}] {line}")
                tail.append(line.rstrip())

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # the module and the processes it forked
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = "timeout"
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        reader.join(timeout=5.0)
        seconds = time.perf_counter() - start
        if status == "ok" and (proc.returncode != 0 or not out.exists()):
            status = "failed"
        text = out.read_text(encoding="utf-8") if status == "ok" else ""
    error = ""
    if status == "timeout":
        error = f"timed out after {timeout:.0f} s"
    elif status == "failed":
        lines = [ln for ln in tail if ln.strip()]
        error = f"exit status {proc.returncode}: " + (lines[-1] if lines else "no output")
    return {"topic": topic, "status": status, "seconds": seconds, "text": text,
            "error": error}


def saved(topic: str) -> dict:
    """The section a previous run wrote to ``results/<topic>.md`` (``--summary-only``)."""
    path = RESULTS / f"{topic}.md"
    if not path.exists():
        return {"topic": topic, "status": "failed", "seconds": 0.0, "text": "",
                "error": f"no {path.relative_to(ROOT)} (run the benchmark first)"}
    return {"topic": topic, "status": "ok", "seconds": 0.0,
            "text": path.read_text(encoding="utf-8"), "error": ""}


# ---------------------------------------------------------------- environment


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def hardware() -> str:
    """CPU model, cores and RAM from /proc (falls back to :mod:`platform`)."""
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    ram = f"{int(mem.group(1)) / 2**20:.1f} GiB RAM" if mem else "RAM unknown"
    model = cpu.group(1).strip() if cpu else (platform.processor() or platform.machine())
    return f"{model} ({platform.machine()}), {os.cpu_count()} cores, {ram}"


def git_commit() -> str:
    def git(*args: str) -> str:
        res = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return res.stdout.strip() if res.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "tropnet")
    return commit + (" (tropnet/ has uncommitted changes)" if dirty else "")


def versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    for name in PACKAGES:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts) + f"; tropnet commit {git_commit()}"


def load() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


# ---------------------------------------------------------------- reading the sections


def md_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every markdown table of ``text`` as (header, rows), cells stripped."""
    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    lines = text.splitlines()
    found = []
    i = 0
    while i + 1 < len(lines):
        if lines[i].lstrip().startswith("|") and re.fullmatch(r"\s*\|(\s*:?-+:?\s*\|)+\s*",
                                                               lines[i + 1]):
            header, rows = cells(lines[i]), []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            found.append((header, rows))
        else:
            i += 1
    return found


def find_table(text: str, *columns: str) -> tuple[list[str], list[list[str]]] | None:
    """The first table of ``text`` whose header has every one of ``columns``."""
    for header, rows in md_tables(text):
        if all(c in header for c in columns):
            return header, rows
    return None


def num(cell: str) -> float | None:
    """The leading number of a table cell ("0.229", "36.8", "12x"), or None."""
    m = re.match(r"\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", cell)
    return float(m.group(1)) if m else None


def fmt(v: float) -> str:
    return f"{v:.3g}"


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "NOT met")


def compile_targets(text: str) -> list[list[str]]:
    """Issue 3 and 12 compile targets, read from the default (``regions``) columns."""
    tab = find_table(text, "net", "arithmetic", "regions s", "regions MB")
    want = [("3", "2-[8,8]-1", ("float", "exact"), 1.0, None),
            ("12", "3-[8,8]-1", ("exact",), 2.0, None),
            ("12", "4-[12,12]-1", ("exact",), 30.0, 2048.0),
            ("12", "4-[12,12]-1", ("float",), 10.0, None),
            ("12", "moons 2-[16,16]-1 (trained)", ("exact",), 5.0, None),
            ("12", "2-[64,64]-1", ("float", "exact"), 60.0, 4096.0),
            ("12", "784-[8]-1", ("float",), 5.0, None),
            ("12", "784-[4,4]-1", ("float",), 5.0, None)]
    rows = []
    for issue, arch, ariths, max_s, max_mb in want:
        target = f"compile {arch} ({'/'.join(ariths)}) < {max_s:g} s" + (
            f" and < {max_mb / 1024:g} GB" if max_mb else "")
        got, oks = [], []
        if tab is not None:
            h, body = tab
            for r in body:
                arith = r[h.index("arithmetic")]
                if r[h.index("net")] != arch or arith not in ariths:
                    continue
                sec, mb = num(r[h.index("regions s")]), num(r[h.index("regions MB")])
                if sec is None:
                    got.append(f"{arith}: {r[h.index('regions s')]}")
                    oks.append(False)
                    continue
                got.append(f"{arith}: {fmt(sec)} s" + (f", {mb:.0f} MB" if max_mb else ""))
                oks.append(sec < max_s and (max_mb is None or (mb is not None and mb < max_mb)))
        rows.append([issue, target, "; ".join(got) or "not run",
                     verdict(all(oks) if oks else None)])
    return rows


def _activation_rows(text: str) -> tuple[list[str], list[list[str]]] | None:
    return find_table(text, "net", "domain", "vertex s", "naive LP s")


def _cell(h: list[str], r: list[str], col: str) -> str:
    return r[h.index(col)] if col in h else "-"


def regions_targets(text: str) -> list[list[str]]:
    rows = []
    act = _activation_rows(text)

    def act_row(net: str, dom: str) -> list[str] | None:
        if act is None:
            return None
        h, body = act
        for r in body:
            if r[h.index("net")].startswith(net + " ") and r[h.index("domain")] == dom:
                return r
        return None

    # activation regions of D = 3-[16,16]-1 on R^n, any engine
    r = act_row("D", "rn")
    if r is None:
        rows.append(["4", "activation regions 3-[16,16]-1 on R^n < 4 s", "not run",
                     verdict(None)])
    else:
        h = act[0]
        times = {e: num(_cell(h, r, c)) for e, c in (("vertex", "vertex s"),
                                                     ("LP", "LP engine s"))}
        times = {e: t for e, t in times.items() if t is not None}
        best = min(times, key=times.get) if times else None
        rows.append(["4", "activation regions 3-[16,16]-1 on R^n < 4 s",
                     ", ".join(f"{e} {fmt(t)} s" for e, t in times.items()) or "failed",
                     verdict(times[best] < 4.0 if best else False)])
    r = act_row("C", "box")
    if r is None:
        rows.append(["4", "activation regions 2-[32,32]-1 on [-1,1]^2, vertex engine < 0.3 s",
                     "not run", verdict(None)])
    else:
        t = num(_cell(act[0], r, "vertex s"))
        rows.append(["4", "activation regions 2-[32,32]-1 on [-1,1]^2, vertex engine < 0.3 s",
                     f"{fmt(t)} s" if t is not None else _cell(act[0], r, "vertex s"),
                     verdict(t is not None and t < 0.3)])
    trop = find_table(text, "monomials (num, den)", "seconds")
    for m, limit in ((100, 1.0), (500, 20.0)):
        target = f"tropical linear regions, m = {m} rational map in 4 variables < {limit:g} s"
        got, ok = "not run", None
        if trop is not None:
            h, body = trop
            for r in body:
                if num(r[0]) == m:
                    t = num(r[h.index("seconds")])
                    got = f"{fmt(t)} s" if t is not None else r[h.index("seconds")]
                    ok = t is not None and t < limit
        rows.append(["4", target, got, verdict(ok)])
    # correctness first: every engine's count equals the reference, linear methods agree
    for tab, col, what in ((act, "all counts exact",
                            "every activation count (vertex, exact vertex, LP engine, naive) "
                            "equals the shared/benchmarks count"),
                           (find_table(text, "linear regions", "methods agree"),
                            "methods agree", "linear methods (enumerate, tropical, "
                            "layerwise) agree")):
        if tab is None:
            continue
        h, body = tab
        bad = [f"{r[0].split()[0]} {r[h.index('domain')]}: {r[h.index(col)]}"
               + ("" if col == "all counts exact" else
                  f" {r[h.index('linear regions')]}")
               for r in body if r[h.index(col)] != "yes"]
        got = f"{len(body) - len(bad)} of {len(body)} rows" + (
            "; " + "; ".join(bad) if bad else "")
        rows.append(["4", what, got, verdict(not bad)])
    # shared/benchmarks: faster than every Python tool (canonicalpoly is the fastest of
    # them on every row), within 10x of regioncam (Rust) on 2-D boxes
    if act is not None:
        h, body = act
        ratios, rust = [], []
        for r in body:
            t, cp, rc = (num(_cell(h, r, c)) for c in ("vertex s", "canonicalpoly s",
                                                        "regioncam s"))
            label = f"{r[h.index('net')].split()[0]} {r[h.index('domain')]}"
            if t and cp:
                ratios.append((cp / t, label))
            if t and rc:
                rust.append((t / rc, label))
        if ratios:
            worst = min(ratios)
            rows.append(["shared", "activation regions faster than every public Python tool "
                         "(fastest: canonicalpoly) on every row",
                         f"slowest row {worst[1]}: {worst[0]:.2g}x canonicalpoly's speed "
                         f"({len(ratios)} rows)", verdict(worst[0] > 1.0)])
        if rust:
            worst = max(rust)
            rows.append(["shared", "within 10x of regioncam (Rust) on 2-D boxes",
                         "; ".join(f"{lab}: {v:.3g}x slower" for v, lab in rust),
                         verdict(worst[0] <= 10.0)])
    return rows


def naive_ratios(text: str) -> str:
    """Speed-up of every activation engine over the naive scipy-LP baseline, same run."""
    act = _activation_rows(text)
    if act is None:
        return ""
    h, body = act
    engines = [c for c in ("vertex s", "exact vertex s", "LP engine s") if c in h]
    rows = []
    for r in body:
        base = num(r[h.index("naive LP s")])
        row = [r[h.index("net")], r[h.index("domain")], _cell(h, r, "naive LP s")]
        for c in engines:
            t = num(r[h.index(c)])
            row.append(f"{base / t:.3g}x" if base and t else "-")
        rows.append(row)
    head = ["net", "domain", "naive LP s", *(f"{c[:-2]} speed-up" for c in engines)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def milp_targets(text: str) -> list[list[str]]:
    target = "MILP counting >= 20 regions/s with HiGHS on n0 <= 10 ([-1,1]^n, nets A-D)"
    for header, body in md_tables(text):
        if "reg/s" in header and "arch" in header:
            idx = [i for i, c in enumerate(header) if c == "reg/s"]
            got, oks = [], []
            for r in body:
                rates = [num(r[i]) for i in idx]
                pure = rates[0]
                n0 = num(r[header.index("arch")])
                if pure is None or (n0 is not None and n0 > 10):
                    continue
                extra = f" ({fmt(rates[1])} seeded)" if len(rates) > 1 and rates[1] else ""
                got.append(f"{r[0]} {fmt(pure)}{extra}")
                oks.append(pure >= 20.0)
            if got:
                return [["5", target, "; ".join(got) + " regions/s", verdict(all(oks))]]
    return [["5", target, "not run", verdict(None)]]


def targets(results: dict[str, dict]) -> str:
    text = {t: r["text"] for t, r in results.items() if r["status"] == "ok"}
    rows = compile_targets(text.get("compile", ""))
    rows += regions_targets(text.get("regions", ""))
    rows += milp_targets(text.get("milp", ""))
    head = ["issue", "target", "measured (this run)", "status"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- summary


def summary(results: dict[str, dict], mode: str, start_load: str, end_load: str,
            seconds: float) -> str:
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out = ["# tropnet benchmarks", "",
           f"- Date: {now}; {mode}, {seconds / 60:.1f} min in all.",
           f"- Hardware: {hardware()}.",
           f"- Versions: {versions()}.",
           f"- Load average (1, 5, 15 min) at start: {start_load}; at end: {end_load}. "
           "Other jobs may share the machine, so absolute seconds are noisy; the ratios "
           "measured within one run are the reliable part.",
           "- Each module ran in its own process (`python -m benchmarks.run_all`); each "
           "section below is also in `benchmarks/results/<topic>.md`.", "",
           "| module | status | minutes |", "|---|---|---|"]
    for topic, res in results.items():
        status = res["status"] if res["status"] == "ok" else f"**{res['status']}**: " \
            f"{res['error']}".replace("|", "\\|")
        out.append(f"| bench_{topic} | {status} | {res['seconds'] / 60:.1f} |")
    for topic, res in results.items():
        out += [""]
        if res["status"] == "ok":
            out += [res["text"].strip()]
        else:
            out += [f"## bench_{topic}", "", f"FAILED ({res['status']}): {res['error']}"]
    ratios = naive_ratios(results.get("regions", {}).get("text", ""))
    if ratios:
        out += ["", "## Every engine against the naive baseline", "",
                "Activation regions: seconds of the naive depth-first scipy-LP enumerator "
                "(`benchmarks/naive.py`) divided by each engine's seconds, all measured in "
                "the regions section of this run.", "", ratios]
    try:
        table = targets(results)
    except Exception as exc:  # a section whose tables changed shape: say so, keep the rest
        table = f"Could not read the targets from the sections: {exc.__class__.__name__}: {exc}"
    out += ["", "## Targets", "",
            "Targets of the issues and of `shared/benchmarks/README.md`, with the values "
            "measured in the sections above.", "", table]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    p.add_argument("--only", default="", help="comma-separated topics, e.g. compile,milp")
    p.add_argument("--out", default=None, help="summary path (default "
                   "benchmarks/results/summary.md); with --child: the section file")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per module (default 3600, quick 1200)")
    p.add_argument("--summary-only", action="store_true",
                   help="run nothing: rebuild the summary from benchmarks/results/<topic>.md")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child, args.quick, args.out)
        return 0
    topics = discover()
    if args.only:
        wanted = [t.strip().removeprefix("bench_") for t in args.only.split(",") if t.strip()]
        unknown = [t for t in wanted if t not in topics]
        if unknown:
            p.error(f"unknown benchmark(s) {', '.join(unknown)}; have {', '.join(topics)}")
        topics = [t for t in topics if t in wanted]
    timeout = args.timeout or (1200.0 if args.quick else 3600.0)
    start_load, start = load(), time.perf_counter()
    results = {}
    for topic in topics:
        if not args.summary_only:
            print(f"running bench_{topic}{' (quick)' if args.quick else ''} ...",
                  file=sys.stderr, flush=True)
        res = saved(topic) if args.summary_only else run_module(topic, args.quick, timeout)
        results[topic] = res
        print(f"bench_{topic}: {res['status']} in {res['seconds']:.0f} s"
              + (f" ({res['error']})" if res["error"] else ""), file=sys.stderr, flush=True)
    mode = ("summary rebuilt from the sections in benchmarks/results/ (each section states "
            "its own run)" if args.summary_only else
            "quick run (`--quick`)" if args.quick else "full run")
    text = summary(results, mode, start_load, load(), time.perf_counter() - start)
    path = Path(args.out) if args.out else RESULTS / "summary.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {path}", file=sys.stderr)
    return 1 if any(r["status"] != "ok" for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

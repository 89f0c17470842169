"""Shared helpers of the benchmarks: He-initialised nets, isolated timed runs, tables."""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tropnet import Network

RESULTS = Path(__file__).resolve().parent / "results"
NETS = Path(__file__).resolve().parent / "nets"


def he_net(dims: list[int], seed: int, activation: str = "relu") -> Network:
    """He-initialised net: ``W ~ N(0, 2/fan_in)``, ``b ~ N(0, 0.5^2)``, ``default_rng(seed)``,
    W then b layer by layer, last layer identity (the convention of shared/benchmarks)."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(dims) - 1):
        w = rng.normal(0.0, np.sqrt(2.0 / dims[i]), size=(dims[i + 1], dims[i]))
        b = rng.normal(0.0, 0.5, size=dims[i + 1])
        act = "identity" if i == len(dims) - 2 else activation
        layers.append((w.tolist(), b.tolist(), act))
    return Network.from_lists(dims[0], layers)


def _child(conn: Any, fn: Callable, args: tuple) -> None:
    warnings.simplefilter("ignore")
    try:
        start = time.perf_counter()
        value = fn(*args)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        conn.send(("ok", value, seconds, peak))
    except BaseException as exc:  # report, never hang the parent
        conn.send(("error", f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc()}",
                   0.0, 0.0))


def isolated(fn: Callable, *args: Any, timeout: float = 600.0) -> dict:
    """Run ``fn(*args)`` in a fresh process; ``{"status", "value", "seconds", "peak_mb"}``.

    ``seconds`` times the call only (not process start); ``peak_mb`` is the
    child's peak resident memory; ``status`` is ``"ok"``, ``"timeout"`` or ``"error"``.
    """
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    if parent.poll(timeout):
        status, value, seconds, peak = parent.recv()
        proc.join()
        return {"status": status, "value": value, "seconds": seconds, "peak_mb": peak}
    proc.kill()
    proc.join()
    return {"status": "timeout", "value": None, "seconds": timeout, "peak_mb": float("nan")}


def best_of(fn: Callable, *args: Any, repeat: int = 3, timeout: float = 600.0,
            enough: float | None = None) -> dict:
    """The fastest of ``repeat`` isolated runs (stops at the first failure, and after a
    run longer than ``enough`` seconds)."""
    best = None
    for _ in range(repeat):
        res = isolated(fn, *args, timeout=timeout)
        if res["status"] != "ok":
            return res
        if best is None or res["seconds"] < best["seconds"]:
            best = res
        if enough is not None and res["seconds"] > enough:
            break
    assert best is not None
    return best


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A markdown table."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
        return str(v)

    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def machine() -> str:
    """One line describing the machine and versions."""
    import cdd  # noqa: F401
    import scipy

    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}")


def write(name: str, text: str) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text + "\n")
    return text


def fmt_time(res: dict) -> str:
    if res["status"] == "ok":
        return f"{res['seconds']:.3g}"
    return res["status"]


def load_average() -> float:
    """The 1-minute load average (NaN where the system has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

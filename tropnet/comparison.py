"""One network, every method, one report.

:func:`crosscheck` counts the regions of a network with every method that
applies and compares them:

* exact counts of **activation regions**: enumeration with the vertex
  engine, with the LP engine, and the MILP backend (bounded domains, or
  ``R^n`` through the effective-radius box);
* exact counts of **linear regions**: the tropical route (Lezeau et al.
  Algorithm 4 on the compiled map), gluing the activation regions, and the
  layerwise pull-back;
* an **estimate**: the sampling estimator (Lezeau et al. Algorithm 5);
* **analytical bounds** on the architecture (upper bounds must hold for
  every network; lower bounds bound the maximum over weights and are shown
  for reference).

The report fails (``ok`` is False) when two exact counts of the same kind
differ, when there are more linear than activation regions, or when a count
exceeds an upper bound. A sampling estimate above the exact linear count is
reported as a warning (the estimator split a region wrongly).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .arithmetic import Arithmetic, resolve
from .bounds import network_bounds
from .dispatch import METHODS, regions
from .domain import Domain, parse_domain
from .engines.batch import batch_support
from .engines.planar import planar_support
from .errors import NearDegeneracyWarning, TooLargeError, TropnetError
from .network import Network
from .sampling import sample_regions

__all__ = ["CHECKS", "ROWS", "CrossCheck", "MethodResult", "crosscheck"]


def _checks() -> dict[str, tuple[str, str, str | None]]:
    """The rows of the report, read from :data:`tropnet.dispatch.METHODS`: every exact
    method for every kind it counts on a network, once per engine where it has several."""
    out: dict[str, tuple[str, str, str | None]] = {}
    for kind in ("activation", "linear"):
        for m in METHODS.values():
            if not m.applies(kind, "network"):
                continue
            if kind == "activation" and m.engines:
                out.update({f"{kind}-{e}": (kind, m.name, e) for e in m.engines})
            else:
                out[f"{kind}-{m.name}"] = (kind, m.name, None)
    return out


#: the exact rows: name -> (kind, method, engine)
CHECKS: dict[str, tuple[str, str, str | None]] = _checks()
#: every row of the report: name -> kind; ``sampling`` is the one estimate
ROWS: dict[str, str] = {**{k: v[0] for k, v in CHECKS.items()}, "sampling": "linear"}


@dataclass(frozen=True)
class MethodResult:
    """One row of the report: ``status`` is ``"ok"``, ``"skipped"``, ``"too large"`` or
    ``"error"`` before comparison, and gets ``agree``/``DISAGREE``/``estimate`` after.

    Attributes
    ----------
    method : str
        The method (a key of `ROWS`).
    kind : str
        The region kind it counts.
    count : int or None
        Its count, or ``None`` when it did not run.
    seconds : float
        The time taken.
    exact : bool
        The count is exact (not an estimate).
    status : str
        The status (above).
    note : str, default ""
        A remark, or empty.
    """

    method: str
    kind: str
    count: int | None
    seconds: float
    exact: bool
    status: str
    note: str = ""

    def to_dict(self) -> dict:
        """The JSON form of the row."""
        return {"method": self.method, "kind": self.kind, "count": self.count,
                "seconds": round(self.seconds, 6), "exact": self.exact,
                "status": self.status, "note": self.note}


@dataclass(frozen=True)
class CrossCheck:
    """The report: rows per method, bound checks, problems found (empty when all agree).

    Attributes
    ----------
    network : str
        The network's description.
    domain : str
        The domain's description.
    connectivity : str
        The connectivity of linear regions.
    arith : Arithmetic
        The arithmetic.
    rows : tuple of MethodResult
        One row per method.
    bounds : dict
        The analytical bounds and how the counts compare with them.
    problems : tuple of str
        The disagreements found (empty when all agree).
    warnings : tuple of str, default ()
        Warnings raised by the methods.
    """

    network: str
    domain: str
    connectivity: str
    arith: Arithmetic
    rows: tuple[MethodResult, ...]
    bounds: dict[str, Any]
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def counts(self, kind: str) -> set[int]:
        """The distinct exact counts of one kind.

        Parameters
        ----------
        kind : str
            ``"linear"`` or ``"activation"``.
        """
        return {r.count for r in self.rows if r.kind == kind and r.exact and
                r.count is not None}

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet crosscheck``."""
        return {"network": self.network, "domain": self.domain,
                "connectivity": self.connectivity, "exact": self.arith.exact,
                "methods": [r.to_dict() for r in self.rows], "bounds": self.bounds,
                "ok": self.ok, "problems": list(self.problems),
                **({"warnings": list(self.warnings)} if self.warnings else {})}

    def table(self) -> str:
        """The report as a text table."""
        lines = [f"cross-check of {self.network} on {self.domain} "
                 f"({'exact' if self.arith.exact else 'float'} arithmetic, "
                 f"{self.connectivity} connectivity for linear regions)", ""]
        head = f"{'method':<20} {'kind':<11} {'count':>9} {'seconds':>9}  status"
        lines += [head, "-" * len(head)]
        for r in self.rows:
            count = "-" if r.count is None else str(r.count)
            note = f" ({r.note})" if r.note else ""
            lines.append(f"{r.method:<20} {r.kind:<11} {count:>9} {r.seconds:>9.3f}  "
                         f"{r.status}{note}")
        if self.bounds:
            lines += ["", "analytical bounds (architecture):"]
            for name, info in self.bounds.items():
                lines.append(f"  {name:<24} {info['value']:>12}  {info['status']}")
        lines.append("")
        lines.append("all exact counts agree and respect every upper bound" if self.ok else
                     "PROBLEMS:\n" + "\n".join(f"  - {p}" for p in self.problems))
        return "\n".join(lines)


def crosscheck(net: Network, domain: Domain | str | None = None, connectivity: str = "facet",
               exact: bool | Arithmetic | None = None, methods: list[str] | None = None,
               samples: int = 2000, seed: int = 0, solver: str = "HIGHS",
               progress: Callable[[str], None] | None = None) -> CrossCheck:
    """Count the regions of ``net`` on ``domain`` with every method and compare.

    Parameters
    ----------
    net : Network
        The network.
    domain : Domain, str or None, default None
        The domain; ``None`` is ``R^n``.
    connectivity : {"facet", "closure"}, default "facet"
        The connectivity of linear regions.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number of the input is rational.
    methods : list of str or None, default None
        Names from `ROWS`; ``None``: all of them.
    samples : int, default 2000
        Points of the sampling estimate.
    seed : int, default 0
        Seed of the sampling estimate.
    solver : str, default "HIGHS"
        The MILP solver.
    progress : callable or None, default None
        Called with each method's name before it runs.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> report = crosscheck(net, "box:-1,1", methods=["activation-vertex", "linear-tropical"])
    >>> report.ok, sorted(report.counts("linear")), sorted(report.counts("activation"))
    (True, [2], [2])
    """
    dom = parse_domain(domain, net.input_dim)
    arith = resolve(exact, net, dom)
    chosen = list(ROWS) if methods is None else methods
    unknown = [m for m in chosen if m not in ROWS]
    if unknown:
        raise TropnetError(f"unknown method(s) {', '.join(unknown)}; choose from "
                           f"{', '.join(ROWS)}")
    rows: list[MethodResult] = []
    caught: list[str] = []
    for name in chosen:
        if progress is not None:
            progress(name)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always", NearDegeneracyWarning)
            rows.append(_run(name, net, dom, connectivity, arith, samples, seed, solver))
        caught += [f"{name}: {x.message}" for x in w if issubclass(x.category,
                                                                   NearDegeneracyWarning)]
    rows, problems = _compare(rows)
    bounds, bound_problems = _bounds(net, rows)
    return CrossCheck(net.architecture(), dom.describe(), connectivity, arith, tuple(rows),
                      bounds, tuple(problems + bound_problems), tuple(dict.fromkeys(caught)))


def _run(name: str, net: Network, dom: Domain, connectivity: str, arith: Arithmetic,
         samples: int, seed: int, solver: str) -> MethodResult:
    kind = ROWS[name]
    start = time.perf_counter()
    try:
        count, exact, note = _count(name, net, dom, connectivity, arith, samples, seed, solver)
    except _Skip as skip:
        return MethodResult(name, kind, None, 0.0, name != "sampling", "skipped", str(skip))
    except TooLargeError as exc:
        return MethodResult(name, kind, None, time.perf_counter() - start, name != "sampling",
                            "too large", str(exc))
    except TropnetError as exc:
        return MethodResult(name, kind, None, time.perf_counter() - start, name != "sampling",
                            "error", str(exc))
    return MethodResult(name, kind, count, time.perf_counter() - start, exact, "ok", note)


class _Skip(Exception):
    """The method does not apply (reason in the message)."""


def _count(name: str, net: Network, dom: Domain, connectivity: str, arith: Arithmetic,
           samples: int, seed: int, solver: str) -> tuple[int, bool, str]:
    if name == "sampling":
        return _sampling(net, dom, samples, seed, arith)
    kind, method, engine = CHECKS[name]
    if METHODS[method].bounded and dom.kind == "polytope" and not dom.bounded:
        raise _Skip(f"{method} needs a bounded domain")
    if engine == "planar" and (why := planar_support(net, dom)) is not None:
        raise _Skip(f"the planar engine: {why}")
    if engine == "batch" and (why := batch_support(net, dom, arith)) is not None:
        raise _Skip(f"the batch engine: {why}")
    params: dict[str, Any] = {"connectivity": connectivity} if kind == "linear" else {}
    if engine:
        params["engine"] = engine
    if method == "milp":
        params["solver"] = solver
    rs = regions(net, dom, kind, method, exact=arith, **params)
    note = f"on the effective-radius box {rs.info['domain']}" if "box_from" in rs.info else ""
    return rs.count, True, note


def _sampling(net: Network, dom: Domain, samples: int, seed: int, arith: Arithmetic
              ) -> tuple[int, bool, str]:
    if dom.kind == "polytope":
        raise _Skip("sampling covers boxes and R^n only")
    radius, box = ("effective", None) if dom.kind == "rn" else (None, dom)
    est = sample_regions(net, samples=samples, radius=radius, seed=seed, exact=arith,
                         domain=box)
    return est.estimate, False, f"{samples} samples, seed {seed}"


def _compare(rows: list[MethodResult]) -> tuple[list[MethodResult], list[str]]:
    problems = []
    out = []
    exact_counts: dict[str, set[int]] = {}
    for r in rows:
        if r.exact and r.count is not None:
            exact_counts.setdefault(r.kind, set()).add(r.count)
    for kind, counts in exact_counts.items():
        if len(counts) > 1:
            detail = ", ".join(f"{r.method} = {r.count}" for r in rows
                               if r.kind == kind and r.exact and r.count is not None)
            problems.append(f"exact {kind}-region counts disagree: {detail}")
    problems += [f"{r.method} failed: {r.note}" for r in rows if r.status == "error"]
    lin, act = exact_counts.get("linear", set()), exact_counts.get("activation", set())
    if lin and act and max(lin) > min(act):
        problems.append(f"more linear regions ({max(lin)}) than activation regions "
                        f"({min(act)})")
    for r in rows:
        status = r.status
        if r.count is not None:
            if not r.exact:
                ref = exact_counts.get("linear")
                status = "estimate"
                if ref and len(ref) == 1 and r.count > next(iter(ref)):
                    status = "estimate ABOVE the exact count (a region was split wrongly)"
            else:
                status = "agree" if len(exact_counts[r.kind]) == 1 else "DISAGREE"
        out.append(MethodResult(r.method, r.kind, r.count, r.seconds, r.exact, status, r.note))
    return out, problems


def _bounds(net: Network, rows: list[MethodResult]) -> tuple[dict[str, Any], list[str]]:
    try:
        info = network_bounds(net)
    except TropnetError as exc:  # an architecture the formulas do not cover
        return {"not available": {"value": "-", "status": str(exc)}}, []
    counts = [r.count for r in rows if r.exact and r.count is not None]
    top = max(counts) if counts else None
    out: dict[str, Any] = {}
    problems = []
    for name, value in info["bounds"].items():
        upper = name.endswith(("_upper", "_upper_rank", "_exact", "_max"))
        if not upper:
            out[name] = {"value": value, "status": "lower bound on the maximum over weights"}
            continue
        if top is None:
            status = "not checked"
        elif top <= value:
            status = "holds"
        else:
            status = "VIOLATED"
            problems.append(f"{name} = {value} is below the count {top}")
        out[name] = {"value": value, "status": status}
    return out, problems

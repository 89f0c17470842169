"""Shared pieces of the CLI: the options several commands take (declared once, here),
loading inputs, progress bars, output and error handling."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import __version__
from ..arithmetic import EXACT, Arithmetic, ExactArithmetic, resolve
from ..dispatch import METHODS
from ..domain import Domain, parse_domain
from ..engines.glue import CONNECTIVITY
from ..engines.monomials import COMPILE_METHODS, compile_network
from ..engines.tropical import input_dim
from ..errors import InputFileError, NearDegeneracyWarning, TropnetError
from ..files import MAX_INT_DIGITS, Terminated, signals_raise
from ..hoffman import effective_box
from ..io import load_network, network_text, save_network
from ..limits import TIME_BUDGET, TimeLimitReached, deadline, forced, memory_budget, note
from ..network import Network
from ..polyhedra import linprog
from ..progress import Step, listening
from ..tropical import TropicalRational, parse
from .budget import LayerProgress, compile_work, guarded, regions_work

__all__ = [
    "APPROXIMATE_KEYS",
    "BOUND_DESCRIPTIONS",
    "IMAGE_SUFFIXES",
    "MAX_SEED",
    "STDOUT",
    "CommandResult",
    "Parser",
    "add_arithmetic",
    "add_common",
    "add_compile_method",
    "add_connectivity",
    "add_domain",
    "add_method",
    "add_solver",
    "add_target",
    "add_time_limit",
    "approximate",
    "arith_from",
    "bounds_json",
    "check_image_name",
    "compile_maps",
    "compile_method",
    "domain_json",
    "int_list_option",
    "int_option",
    "int_text",
    "load_net",
    "load_target",
    "network_json",
    "network_output",
    "number_option",
    "output_file",
    "output_schema",
    "progress_bar",
    "rational",
    "rationals",
    "record",
    "resolve_domain",
    "run_command",
    "warnings_json",
]


class CommandResult:
    """What a command returns: the JSON payload, its text rendering, an exit status,
    and files to write only once everything succeeded."""

    def __init__(self, payload: dict, text: str | Callable[[dict], str] = "", status: int = 0,
                 files: dict[str, Callable[[], None]] | None = None) -> None:
        self.payload = payload
        self.text = text
        self.status = status
        self.files = files or {}


#: the largest ``--seed`` (numpy's seeds are non-negative; 2**63 - 1 keeps them 64-bit)
MAX_SEED = 2**63 - 1


class Parser(argparse.ArgumentParser):
    """The argument parser of ``tropnet`` and its commands: a usage error is ONE line on
    stderr (``tropnet: error: ...``, as every other error) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"tropnet: error: {message} (see '{self.prog} --help')\n")


def int_option(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[lo, hi]``, checked when the options are parsed
    (the message gives the range)."""
    if lo == 1:
        what = f"a positive integer (1 to {hi:,})"
    elif lo == 0:
        what = f"a non-negative integer (0 to {hi:,})"
    else:
        what = f"an integer from {lo:,} to {hi:,}"

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def number_option(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
                  ) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in the interval from ``lo`` to ``hi`` (open at
    an end when asked), checked when the options are parsed."""
    what = f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        low_ok = value > lo if lo_open else value >= lo
        high_ok = value < hi if hi_open else value <= hi
        if not (math.isfinite(value) and low_ok and high_ok):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def output_file(text: str) -> str:
    """An argparse ``type``: a non-empty output file name."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a file name, got {text!r}")
    return text


#: the image formats a command writes (matplotlib's savefig picks it by suffix)
IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def check_image_name(path: str) -> Path:
    """``path`` as an image file name, or one clear error naming the accepted suffixes."""
    out = Path(path)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputFileError(f"{out}: the image must end in {', '.join(IMAGE_SUFFIXES)}")
    return out


#: the output file name that means standard output (``-o -``)
STDOUT = "-"


def network_output(path: str, net: Network) -> dict[str, Callable[[], None]]:
    """The ``files`` of a :class:`CommandResult` that writes ``net`` to ``path`` (``-``:
    its JSON on stdout, the command's report then on stderr)."""
    if path == STDOUT:
        return {STDOUT: lambda: sys.stdout.write(network_text(net))}
    return {path: lambda: save_network(net, path)}


def int_text(value: int) -> str:
    """The exact decimal digits of an integer of any size (``str`` stops at
    :data:`~tropnet.files.MAX_INT_DIGITS` digits)."""
    if abs(value) < 10**MAX_INT_DIGITS:
        return str(value)
    with _any_int_digits():
        return str(value)


# -- the JSON output: common keys and the number rule (docs/json.md) --------------------------

#: keys whose values are approximations, floats in exact and float mode alike (with
#: everything under them): timings (and every key ending in ``seconds``), logarithms,
#: probabilities, volumes as decimals, tolerances, the work estimate and the big-M
#: diagnostics. Every other number of an exact-mode payload is an int (a count, an index)
#: or a rational string.
APPROXIMATE_KEYS = frozenset({
    "time_limit", "work_estimate", "log10", "eta", "probability", "probabilities",
    "confidence", "approximate_volume", "bigm", "ghr_bound", "margin_tolerance",
    "tolerance"})


def approximate(key: str) -> bool:
    """Whether the value under ``key`` is an approximation (a float in both modes):
    :data:`APPROXIMATE_KEYS` and every key ending in ``seconds``."""
    return key in APPROXIMATE_KEYS or key.endswith("seconds")

#: the one form of a rational in exact mode: ``p/q`` in lowest terms, ``p`` when q = 1
_RATIONAL = re.compile(r"^-?[0-9]+(/[0-9]+)?$")


def rational(value: Any, exact: bool) -> str | float | None:
    """One rational of a JSON payload: its exact string ``"p/q"`` (``"p"`` when the
    denominator is 1) in exact mode, a float in float mode; ``None`` (and the text
    ``"inf"`` of an unbounded value) stay ``None``.

    >>> rational(8, True), rational("15/2", True), rational("15/2", False)
    ('8', '15/2', 7.5)
    """
    if value is None or (isinstance(value, str) and value.strip() == "inf"):
        return None
    frac = Fraction(value.strip()) if isinstance(value, str) else Fraction(value)
    if not exact:
        return float(frac)
    with _any_int_digits():
        return str(frac)


def rationals(tree: Any, exact: bool, keys: frozenset[str] | set[str] | None = None) -> Any:
    """``tree`` (lists and dicts of numbers) with every number :func:`rational`; with
    ``keys``, only the values under those dict keys (other numbers, such as counts and
    indices, stay as they are). Booleans and non-numeric strings are left alone."""
    if isinstance(tree, dict):
        return {k: rationals(v, exact) if keys is not None and k in keys else
                rationals(v, exact, keys) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [rationals(v, exact, keys) for v in tree]
    if keys is not None or isinstance(tree, bool):
        return tree
    if isinstance(tree, (int, float, Fraction)) or (
            isinstance(tree, str) and (tree == "inf" or _RATIONAL.match(tree.strip()))):
        return rational(tree, exact)
    return tree


def domain_json(dom: Domain | None, exact: bool) -> dict | None:
    """The ``domain`` object of a payload: ``kind``; ``lo``/``hi``, the least and largest
    value of each coordinate on the domain (``null`` where unbounded: every entry on R^n,
    the bounds of a box, the bounding box of a polytope, found by exact LPs); ``text``, the
    short form; and for a polytope its rows ``A``, ``b`` (``A x <= b``)."""
    if dom is None:
        return None
    n = dom.n or len(dom.lo or ()) or len((dom.A or [()])[0])
    if dom.kind == "box":
        lo, hi = list(dom.lo or ()), list(dom.hi or ())
    elif dom.kind == "rn":
        lo, hi = [None] * n, [None] * n
    else:
        lo, hi = [], []
        for k in range(n):
            c = [0] * n
            c[k] = 1
            ends = [linprog(c, dom.A, dom.b, EXACT, maximize=up) for up in (False, True)]
            lo.append(ends[0].value if ends[0].status == "optimal" else None)
            hi.append(ends[1].value if ends[1].status == "optimal" else None)
    out: dict[str, Any] = {"kind": dom.kind, "lo": [rational(v, exact) for v in lo],
                           "hi": [rational(v, exact) for v in hi], "text": dom.describe()}
    if dom.kind == "polytope":
        out["A"] = rationals([list(r) for r in dom.A or ()], exact)
        out["b"] = rationals(list(dom.b or ()), exact)
    return out


def network_json(net: Network | None, path: Any = None, architecture: str | None = None
                 ) -> dict | None:
    """The ``network`` object of a payload: the file it was read from or written to
    (``path``, ``null`` when none) and its ``architecture`` (``2-[16,16]-1``: inputs,
    hidden widths in brackets, outputs); ``architecture`` alone for an architecture given
    without weights."""
    if net is None and architecture is None:
        return None
    return {"path": None if path is None else str(path),
            "architecture": net.architecture() if net is not None else architecture}


def warnings_json(messages: Sequence[str]) -> list[dict]:
    """Warnings deduplicated: messages that differ only in their numbers are one entry,
    ``{"message": the first of them, "count": how many}``, in order of first appearance."""
    groups: dict[str, dict] = {}
    for msg in messages:
        key = re.sub(r"[-+]?[0-9][0-9.,]*(e[-+]?[0-9]+)?", "#", str(msg))
        if key in groups:
            groups[key]["count"] += 1
        else:
            groups[key] = {"message": str(msg), "count": 1}
    return list(groups.values())


#: bound name -> (theorem, what it bounds, type); the type is ``upper_bound`` (holds for
#: every network of the architecture), ``lower_bound`` (on the maximum over weights),
#: ``maximum`` (the maximum over weights, exactly) or ``count`` (the exact count)
BOUND_DESCRIPTIONS: dict[str, tuple[str, str, str]] = {
    "montufar2014_lower": ("Montúfar et al. 2014, Thm 5", "lower bound on the maximum "
                           "(linear regions)", "lower_bound"),
    "serra2018_lower": ("Serra et al. 2018, Thm 8", "lower bound on the maximum "
                        "(activation regions)", "lower_bound"),
    "montufar2017_upper": ("Montúfar 2017", "upper bound (activation and linear regions)",
                           "upper_bound"),
    "serra2018_upper": ("Serra et al. 2018, Thm 1", "upper bound (activation and linear "
                        "regions)", "upper_bound"),
    "serra2018_upper_rank": ("Serra et al. 2018, Thm 1 with rank(W^l)", "upper bound for "
                             "these weights' ranks", "upper_bound"),
    "one_dim_exact": ("Serra et al. 2018, Thm 7", "exact maximum for n0 = 1", "maximum"),
    "maxout_upper": ("Serra et al. 2018, Thm 10", "upper bound, maxout", "upper_bound"),
    "maxout_one_layer_max": ("Montúfar, Ren & Zhang 2022", "exact maximum, one maxout layer",
                             "maximum"),
    "xiong2024_exact": ("Xiong et al. 2024", "exact count on R^n, one conv layer, generic "
                        "weights", "count"),
    "empirical_upper": ("Serra & Ramalingam 2020, Thm 2", "empirical upper bound for these "
                        "weights on the domain", "upper_bound"),
}


def bounds_json(values: dict[str, Any], status: dict[str, str] | None = None) -> dict:
    """The ``bounds`` object of ``bounds``, ``crosscheck`` and ``demo``: per bound its exact
    ``value`` as a decimal string (bounds run to thousands of digits), ``type``, ``theorem``,
    ``log10`` and MAPS ``eta = log2(value)`` (floats; ``null`` for 0) and, in a cross-check,
    its ``status`` against the counts."""
    out = {}
    for name, value in values.items():
        theorem, what, kind = BOUND_DESCRIPTIONS.get(name, (name, name, "upper_bound"))
        v = int(value)
        entry: dict[str, Any] = {
            "value": int_text(v), "type": kind, "theorem": theorem, "description": what,
            "log10": round(_log(v, 10), 6) if v >= 1 else None,
            "eta": round(_log(v, 2), 6) if v >= 1 else None}
        if status is not None:
            entry["status"] = status.get(name, "not checked")
        out[name] = entry
    return out


def _log(v: int, base: int) -> float:
    """``log_base(v)`` of an integer of any size."""
    bits = v.bit_length()
    if bits < 1000:
        return math.log(v, base)
    return (math.log(v >> (bits - 64)) + (bits - 64) * math.log(2)) / math.log(base)


def record(args: argparse.Namespace, *, network: Network | None = None, path: Any = None,
           architecture: str | None = None, domain: Domain | None = None,
           exact: bool | Arithmetic | None = None, expression: str | None = None) -> None:
    """Note on ``args`` what the common keys of the command's JSON say (each argument
    given replaces the one noted before); :func:`load_target`, :func:`arith_from` and
    :func:`resolve_domain` call it, commands for what those do not see."""
    common = args.__dict__.setdefault("json_common", {})
    if network is not None or architecture is not None:
        common["network"] = (network, path, architecture)
    if domain is not None:
        common["domain"] = domain
    if exact is not None:
        common["exact"] = exact if isinstance(exact, bool) else exact.exact
    if expression is not None:
        common["expression"] = expression


def _common_keys(args: argparse.Namespace, payload: dict, seconds: float,
                 warned: Sequence[str]) -> dict:
    """The payload with the common keys first: ``command``, ``network``, ``domain``,
    ``exact``, ``seconds``, ``warnings``, ``tropnet_version``, ``complete`` (a payload may
    give ``network``/``domain`` as a Network/Domain and ``exact`` when not noted)."""
    common = getattr(args, "json_common", {})
    rest = dict(payload)
    given_net, given_dom = rest.pop("network", None), rest.pop("domain", None)
    given_exact = rest.pop("exact", None)
    exact = common.get("exact", given_exact if isinstance(given_exact, bool) else True)
    net = network_json(*common["network"]) if "network" in common else \
        network_json(given_net) if isinstance(given_net, Network) else None
    dom = common.get("domain", given_dom if isinstance(given_dom, Domain) else None)
    out: dict[str, Any] = {
        "command": getattr(args, "command", None), "network": net,
        "domain": domain_json(dom, exact), "exact": exact,
        "seconds": round(seconds, 6),
        "warnings": warnings_json([*rest.pop("warnings", []), *warned]),
        "tropnet_version": __version__, "complete": rest.pop("complete", True)}
    if "expression" in common:
        out["expression"] = common["expression"]
    out.update(rest)
    return out


def output_schema() -> dict:
    """The JSON Schema (draft 2020-12) of every command's ``--json`` output
    (``tropnet/cli/output.schema.json``, described in docs/json.md)."""
    text = resources.files(__package__).joinpath("output.schema.json").read_text("utf-8")
    return json.loads(text)


@contextlib.contextmanager
def _any_int_digits() -> Iterator[None]:
    """Lift Python's limit on the digits of ``str(int)`` (outputs only: inputs are read with
    their own limits)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def add_common(p: argparse.ArgumentParser) -> None:
    """``--json``, ``-q/--quiet``, ``-v/--verbose``, ``--progress``, ``--debug`` and
    ``--force``."""
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="nothing on stderr but errors (no progress bar)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="progress bars (as --progress) and the elapsed time on stderr")
    p.add_argument("--progress", action="store_true",
                   help="show progress bars on stderr even with --json or without a "
                        "terminal")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    p.add_argument("--force", action="store_true",
                   help="run even when the size/memory budget says the method is too large")


def add_time_limit(p: argparse.ArgumentParser) -> None:
    """``--time-limit SECONDS``: stop there with a partial result (exit status 4)."""
    p.add_argument("--time-limit", type=number_option(0, 1e9, lo_open=True), default=None,
                   metavar="SECONDS",
                   help="stop after SECONDS with exit status 4 and a partial result marked "
                        "incomplete (JSON \"complete\": false; a number so far is a lower "
                        "bound, never the answer); also lifts the refusal of jobs estimated "
                        f"to take longer than {TIME_BUDGET:g} s")


def add_arithmetic(p: argparse.ArgumentParser) -> None:
    """``--exact`` / ``--float`` (default: exact iff every input number is rational)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exact", dest="exact", action="store_const", const=True, default=None,
                   help="exact rational arithmetic (default when all numbers are rational)")
    g.add_argument("--float", dest="exact", action="store_const", const=False,
                   help="float64 arithmetic, certified: a sign the round-off bound cannot "
                        "decide is decided exactly (default with float input)")
    p.add_argument("--limit-denominator", type=int_option(1, 10**18), default=None,
                   metavar="Q",
                   help="in exact mode, read each number as the nearest fraction with "
                        "denominator <= Q")


def add_target(p: argparse.ArgumentParser, expr: bool = True) -> None:
    """A network file (positional) or, with ``expr``, ``--expr TEXT``."""
    p.add_argument("network", nargs="?", metavar="NET.json",
                   help="network file (tropnet JSON or NPZ)")
    if expr:
        p.add_argument("--expr", metavar="TEXT",
                       help="a tropical expression instead of a network, e.g. "
                            "'max(0, x, 2*x - 2) - max(0, 2*x - 2)'")
        p.add_argument("--variables", metavar="NAMES",
                       help="comma-separated variable order for --expr")


def add_domain(p: argparse.ArgumentParser, effective: bool = True, bounded: bool = False,
               note: str = "") -> None:
    """``--domain``: ``rn`` (default), a box or a polytope; with ``effective`` also the
    effective-radius box; with ``bounded`` a box or polytope and no default (``None``).
    ``note`` ends the help text."""
    forms = [] if bounded else ["rn (default)"]
    forms += ["box:LO,HI", "box:LO1,HI1;LO2,HI2;...", "polytope:FILE.json"]
    if effective:
        forms.append("or effective (the effective-radius box)")
    p.add_argument("--domain", default=None if bounded else "rn", metavar="DOMAIN",
                   help=", ".join(forms) + (f" ({note})" if note else ""))


def add_method(p: argparse.ArgumentParser) -> None:
    """``--method`` of the region computation (default ``auto``)."""
    p.add_argument("--method", choices=("auto", *METHODS), default="auto",
                   help="; ".join(f"{m.name}: {'/'.join(m.kinds)}" for m in METHODS.values())
                        + " (auto: the first that applies, in this order)")


def compile_method(args: argparse.Namespace, prune: bool) -> str:
    """The compile method the command runs (``--method``, ``auto`` resolved)."""
    method = getattr(args, "compile_method", "auto")
    return method if method != "auto" else "regions" if prune else "products"


def add_compile_method(p: argparse.ArgumentParser) -> None:
    """``--method`` of the compile (default ``auto``)."""
    p.add_argument("--method", dest="compile_method", choices=("auto", *COMPILE_METHODS),
                   default="auto",
                   help="regions: the irredundant monomials as the maps of F and G on the "
                        "activation regions (no product formed); products: the rule layer by "
                        "layer, pruning every product; auto: regions, or products with "
                        "--no-prune. Both give the same monomials")


def add_connectivity(p: argparse.ArgumentParser) -> None:
    """``--connectivity`` of linear regions (default ``facet``)."""
    p.add_argument("--connectivity", choices=CONNECTIVITY, default="facet",
                   help="when same-map cells glue: sharing a facet (default) or touching")


def add_solver(p: argparse.ArgumentParser) -> None:
    """``--solver`` of the MILP backend (default ``HIGHS``)."""
    p.add_argument("--solver", default="HIGHS",
                   help="MILP solver through cvxpy: HIGHS (default), SCIP, ...")


def resolve_domain(text: str, target: Any, kind: str = "linear",
                   connectivity: str = "facet", exact: bool | Arithmetic | None = None
                   ) -> tuple[Domain, dict]:
    """The domain of a command, and notes about how it was chosen (for ``effective``: the
    effective box, computed in the command's arithmetic ``exact``)."""
    if text.strip() != "effective":
        return parse_domain(text, input_dim(target)), {}
    dom = effective_box(target, kind=kind, connectivity=connectivity, exact=exact)
    return dom, {"domain_from": "effective radius (Hoffman constant): a box that meets every "
                                f"{kind} region of R^n"}


def arith_from(args: argparse.Namespace, *sources: Any) -> Arithmetic:
    """The arithmetic chosen by ``--exact/--float/--limit-denominator`` and the inputs."""
    limit = getattr(args, "limit_denominator", None)
    if limit is not None:
        if getattr(args, "exact", None) is False:
            raise TropnetError("--limit-denominator only applies to exact mode")
        arith: Arithmetic = ExactArithmetic(limit_denominator=limit)
    else:
        arith = resolve(getattr(args, "exact", None), *sources)
    for src in sources:
        if isinstance(src, Network):
            src.check_magnitude(arith)
    record(args, exact=arith)
    return arith


def load_target(args: argparse.Namespace) -> Any:
    """The network (``Network``) or parsed expression (``TropicalRational``) of a command."""
    net_path = getattr(args, "network", None)
    text = getattr(args, "expr", None)
    if net_path and text:
        raise TropnetError("give either a network file or --expr, not both")
    if text is not None:
        names = getattr(args, "variables", None)
        variables = [v.strip() for v in names.split(",")] if names else None
        exact = arith_from(args) if getattr(args, "exact", None) is not None or \
            getattr(args, "limit_denominator", None) else None
        expr = parse(text, variables, exact)
        record(args, expression=text, exact=expr.arith)
        return expr
    if not net_path:
        raise TropnetError("missing input: give a network file NET.json"
                           + (" or --expr TEXT" if hasattr(args, "expr") else ""))
    return load_net(args, net_path)


def load_net(args: argparse.Namespace, path: Any) -> Network:
    """The network file ``path`` of a command (noted for the JSON's ``network``)."""
    net = load_network(path)
    record(args, network=net, path=path)
    return net


def int_list_option(lo: int, hi: int) -> Callable[[str], list[int]]:
    """An argparse ``type``: comma-separated integers, each in ``[lo, hi]``, checked when the
    options are parsed."""
    what = f"comma-separated integers from {lo:,} to {hi:,}"

    def parse(text: str) -> list[int]:
        try:
            values = [int(v) for v in text.replace(" ", "").split(",") if v != ""]
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not values or not all(lo <= v <= hi for v in values):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return values

    parse.__name__ = "integers"
    return parse


#: seconds before the bar of a computation's phase appears (none for short runs)
PHASE_DELAY = 0.5


def _bars_hidden(args: argparse.Namespace | None) -> bool:
    """Progress bars are shown on a terminal, hidden under ``--json`` or when stderr is no
    terminal unless ``--progress``/``--verbose`` asks for them; never with ``--quiet``."""
    if args is None or getattr(args, "quiet", False):
        return True
    asked = getattr(args, "progress", False) or getattr(args, "verbose", False)
    return not asked and (getattr(args, "json", False) or not sys.stderr.isatty())


def progress_bar(args: argparse.Namespace | None, total: int | None = None, desc: str = ""
                 ) -> Any:
    """A tqdm bar on stderr, shown as :func:`_bars_hidden` says."""
    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False,
                disable=_bars_hidden(args))


@contextlib.contextmanager
def phase_progress(args: argparse.Namespace | None) -> Iterator[None]:
    """A bar (under the command's own, when it has one) showing the current phase of the
    computation as the algorithms report it (:mod:`tropnet.progress`: the regions split
    in a layer, the maps glued, the cells refined, the products of a unit), with its rate;
    shown as :func:`_bars_hidden` says, once a phase runs for :data:`PHASE_DELAY` s."""
    if _bars_hidden(args):
        yield
        return
    bars: list[Any] = []  # made on the first report after the delay, below any bar open
    shown, start = [""], time.monotonic()

    def show(s: Step) -> None:
        if not bars:
            if time.monotonic() - start < PHASE_DELAY:
                return
            bars.append(tqdm(file=sys.stderr, leave=False))
        bar = bars[0]
        bar.set_postfix_str(s.detail, refresh=False)
        if s.phase != shown[0]:
            shown[0] = s.phase
            bar.set_description_str(s.phase, refresh=False)
            bar.unit = s.unit or "it"
            bar.total = s.total  # (reset keeps the old total for None)
            bar.reset(s.total)
        bar.update(max(s.done - bar.n, 0))

    try:
        with listening(show):
            yield
    finally:
        for bar in bars:
            bar.close()


def compile_maps(net: Network, args: argparse.Namespace, prune: bool, domain: Any = None
                 ) -> list[TropicalRational]:
    """The tropical rational maps of ``net`` in the command's arithmetic, with a progress bar
    (``domain``: the monomials irredundant on it)."""
    arith = arith_from(args, net)
    method = compile_method(args, prune)
    work = None if not prune else compile_work(net, arith.exact) if method == "products" \
        else regions_work(net, domain, "activation", "enumerate", exact=arith.exact)
    if work is not None:
        note(estimate=work.estimate)
    ends = set(itertools.accumulate(layer.out_dim for layer in net.layers))
    with progress_bar(args, desc="compile") as bar:
        # one call per layer for the budget's projection: each regions call ends a layer, a
        # products call when its unit count reaches the end of a layer
        follow = LayerProgress(work, len(net.layers), "layers compiled")

        def progress(done: int, total: int | None, what: str) -> None:
            if total is None:  # regions: activation regions found after a layer
                bar.set_postfix_str(f"{done:,} {what}", refresh=False)
                bar.update(1)
                follow()  # (counts past a rough estimate would inflate its projection)
                return
            bar.total = total
            bar.set_postfix_str(what, refresh=False)
            bar.update(done - bar.n)
            if done in ends:
                follow()

        def run() -> list[TropicalRational]:
            return compile_network(net, prune=prune, exact=arith, method=method,
                                   progress=progress, domain=domain)

        return guarded(work, run) if work is not None else run()


def _emit(result: CommandResult, args: argparse.Namespace, seconds: float,
          warned: list[str]) -> None:
    payload = _common_keys(args, result.payload, seconds, warned)
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(payload, indent=1, default=str) + "\n")
        return
    text = result.text(payload) if callable(result.text) else result.text
    if text:
        sys.stdout.write(text.rstrip("\n") + "\n")
    for w in payload["warnings"]:
        times = f" ({w['count']} times)" if w["count"] > 1 else ""
        sys.stderr.write(f"tropnet: warning: {w['message']}{times}\n")


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what solvers' C code prints on file descriptor 1 to stderr while a command
    runs, so that stdout carries only the command's answer (one JSON object)."""
    try:
        out, err = sys.stdout.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # captured streams: nothing to redirect
        yield
        return
    sys.stdout.flush()
    saved = os.dup(out)
    os.dup2(err, out)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, out)
        os.close(saved)


def _incomplete(args: argparse.Namespace, exc: TimeLimitReached) -> CommandResult:
    """The partial result of a command stopped by ``--time-limit`` (exit status 4)."""
    known = dict(exc.partial)
    if "estimate" in known:  # the work estimate made before the run
        known["work_estimate"] = known.pop("estimate")
    limit = exc.limit if exc.limit is not None else getattr(args, "time_limit", None)
    payload: dict[str, Any] = {"complete": False, "stopped": "time limit",
                               "time_limit": limit,
                               "lower_bound": known.pop("lower_bound", None), **known}

    def text(p: dict) -> str:
        of = f" of {p['time_limit']:g} s" if p["time_limit"] is not None else ""
        lines = [f"incomplete: time limit{of} reached; the computation stopped after "
                 f"{p['seconds']:.1f} s"]
        if p["lower_bound"] is not None:
            lines.append(f"so far: {p.get('lower_bound_of', 'the answer')} >= "
                         f"{p['lower_bound']} (a lower bound, not the answer)")
        if p.get("so_far"):
            lines.append(f"progress: {p['so_far']}")
        if p.get("work_estimate"):
            lines.append(f"estimate before the run: {p['work_estimate']}")
        return "\n".join(lines)

    return CommandResult(payload, text, status=4)


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.func(args)``: input errors and refusals exit with status 2, a
    ``--time-limit`` reached with status 4 and the partial result."""
    debug = getattr(args, "debug", False)
    start = time.perf_counter()
    try:
        with signals_raise():
            with warnings.catch_warnings(record=True) as caught, \
                    forced(getattr(args, "force", False)):
                warnings.simplefilter("always", NearDegeneracyWarning)
                with _stdout_to_stderr(), phase_progress(args), \
                        deadline(getattr(args, "time_limit", None), alarm=True):
                    result: CommandResult = args.func(args)
            seconds = time.perf_counter() - start
            warned = [str(w.message) for w in caught if issubclass(w.category,
                                                                    NearDegeneracyWarning)]
            for _, writer in result.files.items():
                writer()
            # ``-o -`` put a file on stdout: the report goes to stderr
            report = contextlib.redirect_stdout(sys.stderr) if STDOUT in result.files \
                else contextlib.nullcontext()
            with _any_int_digits(), report:  # an exact count may have thousands of digits
                _emit(result, args, seconds, warned)
            if getattr(args, "verbose", False) and not getattr(args, "quiet", False):
                sys.stderr.write(f"tropnet {getattr(args, 'command', '')}: done in "
                                 f"{seconds:.3g} s\n")
        return result.status
    except Terminated:
        sys.stderr.write("tropnet: terminated\n")
        return 143
    except TimeLimitReached as exc:
        if debug:
            traceback.print_exc()
        partial = _incomplete(args, exc)
        with _any_int_digits():
            _emit(partial, args, time.perf_counter() - start, [])
        return partial.status
    except MemoryError:
        budget = memory_budget()
        sys.stderr.write("tropnet: error: out of memory" + (
            f" (the process may hold about {budget / 2**30:.1f} GB: available memory, "
            f"cgroup and RLIMIT_AS limits)" if budget else "")
            + "; use a cheaper method or a smaller input\n")
        return 2
    except TropnetError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"tropnet: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("tropnet: interrupted\n")
        return 130
    except Exception as exc:  # a bug in tropnet, not bad input
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"tropnet: internal error: {exc.__class__.__name__}: {exc} "
                         f"(please report; rerun with --debug for a traceback)\n")
        return 3

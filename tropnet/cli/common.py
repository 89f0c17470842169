"""Shared pieces of the CLI: the options several commands take (declared once, here),
loading inputs, progress bars, output and error handling."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..arithmetic import Arithmetic, ExactArithmetic, resolve
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
from ..tropical import TropicalRational, parse
from .budget import LayerProgress, compile_work, guarded, regions_work

__all__ = [
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
    "arith_from",
    "check_image_name",
    "compile_maps",
    "compile_method",
    "int_list_option",
    "int_option",
    "int_text",
    "load_target",
    "network_output",
    "number_option",
    "output_file",
    "progress_bar",
    "resolve_domain",
    "run_command",
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
        return parse(text, variables, exact)
    if not net_path:
        raise TropnetError("missing input: give a network file NET.json"
                           + (" or --expr TEXT" if hasattr(args, "expr") else ""))
    return load_network(net_path)


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


def progress_bar(args: argparse.Namespace | None, total: int | None = None, desc: str = ""
                 ) -> Any:
    """A tqdm bar on stderr: shown on a terminal, hidden under ``--json`` or when stderr is
    no terminal unless ``--progress``/``--verbose`` asks for it; never with ``--quiet``."""
    if args is None or getattr(args, "quiet", False):
        return tqdm(total=total, desc=desc, file=sys.stderr, disable=True)
    asked = getattr(args, "progress", False) or getattr(args, "verbose", False)
    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False,
                disable=not asked and (getattr(args, "json", False) or
                                       not sys.stderr.isatty()))


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
    with progress_bar(args, total=len(net.layers), desc="compile") as bar:
        follow = LayerProgress(work, len(net.layers), "layers compiled", bar=bar)

        def progress(done: int, layers: int) -> None:
            follow()

        def run() -> list[TropicalRational]:
            return compile_network(net, prune=prune, exact=arith, method=method,
                                   progress=progress, domain=domain)

        return guarded(work, run) if work is not None else run()


def _emit(result: CommandResult, args: argparse.Namespace, seconds: float,
          warned: list[str]) -> None:
    payload = dict(result.payload)
    payload.setdefault("complete", True)
    payload.setdefault("seconds", round(seconds, 6))
    if warned:
        payload["warnings"] = sorted(set(payload.get("warnings", [])) | set(warned))
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(payload, indent=1, default=str) + "\n")
        return
    text = result.text(payload) if callable(result.text) else result.text
    if text:
        sys.stdout.write(text.rstrip("\n") + "\n")
    for w in payload.get("warnings", []):
        sys.stderr.write(f"tropnet: warning: {w}\n")


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
    limit = exc.limit if exc.limit is not None else getattr(args, "time_limit", None)
    payload: dict[str, Any] = {"command": getattr(args, "command", None), "complete": False,
                               "stopped": "time limit", "time_limit": limit,
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
        if p.get("estimate"):
            lines.append(f"estimate before the run: {p['estimate']}")
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
                with _stdout_to_stderr(), \
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

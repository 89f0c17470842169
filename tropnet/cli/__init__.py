"""The ``tropnet`` command line: one subcommand per task, ``--json`` everywhere.

Every command prints a human-readable report, or with ``--json`` exactly one
JSON object on stdout. Errors caused by the input print one line on stderr
and exit with status 2 (no traceback unless ``--debug``); nothing is written
to an output file when a command fails.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from .common import Parser, run_command

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: The modules under tropnet.cli, one per command (named after it; ``import_model`` is
#: ``tropnet import``), each defining ``register(subparsers)``; in help order.
COMMAND_MODULES = ("compile", "monomials", "demo", "regions", "crosscheck", "bounds",
                   "construct", "mipbound", "hoffman", "sample", "import_model", "plot",
                   "path", "boundary", "complex", "track")


def build_parser() -> argparse.ArgumentParser:
    """The ``tropnet`` argument parser with every command of :data:`COMMAND_MODULES`."""
    parser = Parser(
        prog="tropnet",
        description="Exact algebraic and polyhedral analysis of piecewise-linear neural "
                    "networks.")
    parser.add_argument("--version", action="version", version=f"tropnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tropnet`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (one line on stderr)
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    return run_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

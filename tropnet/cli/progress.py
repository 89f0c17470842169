"""Progress bars on stderr (tqdm), silent under ``--json`` and ``--quiet``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(args: argparse.Namespace | None, total: int | None = None, desc: str = ""
                 ) -> Any:
    """A tqdm bar on stderr, disabled under ``--json``/``--quiet`` or when stderr is no tty."""
    quiet = args is None or getattr(args, "json", False) or getattr(args, "quiet", False)
    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False,
                disable=quiet or not sys.stderr.isatty())

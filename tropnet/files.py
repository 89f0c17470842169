"""Reading and writing files safely: JSON with clear errors, atomic writes.

Every failure becomes an :class:`~tropnet.errors.InputFileError` with the
file's name, and a write that fails leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InputFileError

__all__ = ["load_json", "write_atomic"]


def load_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, turning every failure into an :class:`InputFileError`."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    if p.is_dir():
        raise InputFileError(f"{p}: is a directory, expected a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read file ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno})") from None


def write_atomic(path: str | os.PathLike, content: str | Callable[[str], None]) -> None:
    """Write ``path`` via a temporary file in the same folder, so a failure leaves nothing
    behind. ``content`` is the text, or a function writing the temporary file it is given
    (e.g. ``lambda tmp: fig.savefig(tmp)``)."""
    p = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=".tropnet-",
                                   suffix=p.suffix)
    except OSError as exc:
        raise InputFileError(f"{p}: cannot write ({exc})") from None
    try:
        if callable(content):
            os.close(fd)
            content(tmp)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputFileError(f"{p}: cannot write ({exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

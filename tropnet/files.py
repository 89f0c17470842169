"""Reading and writing files safely: JSON with clear errors and limits, atomic writes.

Every failure becomes an :class:`~tropnet.errors.InputFileError` with the
file's name, and a write that fails (or is interrupted by SIGINT or SIGTERM)
leaves nothing behind.

Inputs are read only from regular files of at most :data:`MAX_FILE_BYTES`
(``/dev/zero``, a FIFO or a directory is refused before reading). JSON may nest
at most about a thousand levels and hold integers of at most
:data:`MAX_INT_DIGITS` digits; a JSON number beyond the float64 range (``1e400``)
is refused.

Outputs follow ``cp``: a symbolic link is written through (its target is
replaced, the link stays), a dangling link or a read-only file is refused, an
existing file keeps its permission bits and a new file gets ``0666`` minus the
umask (``0644`` under umask ``022``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import InputFileError

__all__ = ["MAX_FILE_BYTES", "MAX_INT_DIGITS", "Terminated", "check_input_file", "load_json",
           "signals_raise", "write_atomic"]

#: the largest input file read (bytes)
MAX_FILE_BYTES = 1 << 30
#: the most digits of an integer in a JSON file (Python's own int/str conversion limit)
MAX_INT_DIGITS = 4300


class Terminated(BaseException):
    """SIGTERM arrived; raised (inside :func:`signals_raise`) so that cleanup code runs."""


def check_input_file(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`Path` after checking that it names a readable regular file of
    at most :data:`MAX_FILE_BYTES` bytes (:class:`InputFileError` otherwise).

    Parameters
    ----------
    path : str or PathLike
        The file name.
    """
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise InputFileError(f"expected a file name, got {type(path).__name__}")
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{p}: is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{p}: not a regular file (a device, FIFO or socket); tropnet "
                             f"reads inputs from regular files only")
    if st.st_size > MAX_FILE_BYTES:
        raise InputFileError(f"{p}: {st.st_size:,} bytes, above the limit of "
                             f"{MAX_FILE_BYTES:,} bytes for an input file")
    return p


class _BadNumber(ValueError):
    pass


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _BadNumber(f"an integer with {digits:,} digits (the limit is {MAX_INT_DIGITS:,})")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise _BadNumber(f"the number {shown} is beyond the float64 range (about ±1.8e308); "
                         f"write it as a string such as \"3/2\" to keep it exact")
    return value


def _json_constant(text: str) -> Any:
    raise _BadNumber(f"{text} is not a finite number (JSON has no NaN or Infinity)")


def load_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, turning every failure into an :class:`InputFileError`.

    Parameters
    ----------
    path : str or PathLike
        The file name.
    """
    p = check_input_file(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputFileError(f"{p}: above the limit of {MAX_FILE_BYTES:,} bytes for an "
                                 f"input file")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read file ({exc})") from None
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float,
                          parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except _BadNumber as exc:
        raise InputFileError(f"{p}: {exc}") from None
    except RecursionError:
        raise InputFileError(f"{p}: JSON nested too deeply (tropnet files nest a few "
                             f"levels; the reader stops at about 1000)") from None


# -- writing ------------------------------------------------------------------------------

def _umask() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no way to read it without setting it
    os.umask(mask)
    return mask


def _destination(p: Path) -> tuple[Path, int]:
    """The file a write to ``p`` replaces (a symlink's target, as ``cp`` writes through
    it) and the permission bits the new file gets."""
    target = p
    if p.is_symlink():
        target = Path(os.path.realpath(p))
        if not target.exists():
            raise InputFileError(f"{p}: not writing through the dangling symbolic link to "
                                 f"{target}")
    try:
        st = target.stat()
    except FileNotFoundError:
        return target, 0o666 & ~_umask()
    except OSError as exc:
        raise InputFileError(f"{p}: cannot write ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{p}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{p}: not a regular file; tropnet writes regular files only")
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or \
            not os.access(target, os.W_OK):
        raise InputFileError(f"{p}: the file is read-only; not replaced (remove it or make "
                             f"it writable first)")
    return target, stat.S_IMODE(st.st_mode)


def write_atomic(path: str | os.PathLike, content: str | Callable[[str], None]) -> None:
    """Write ``path`` via a temporary file in the same folder, so a failure leaves nothing
    behind. ``content`` is the text, or a function writing the temporary file it is given
    (e.g. ``lambda tmp: fig.savefig(tmp)``). Symbolic links are written through, read-only
    files refused (see the module docstring).

    Parameters
    ----------
    path : str or PathLike
        The output file name.
    content : str or callable
        The text, or a function writing the temporary file name it is given.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise InputFileError(f"expected an output file name, got {path!r}")
    p = Path(path)
    target, mode = _destination(p)
    with signals_raise():
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                       prefix=".tropnet-", suffix=target.suffix)
        except OSError as exc:
            raise InputFileError(f"{p}: cannot write ({exc.strerror or exc})") from None
        try:
            if callable(content):
                os.close(fd)
                content(tmp)
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(content)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise InputFileError(f"{p}: cannot write ({exc.strerror or exc})") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within this block SIGTERM raises :class:`Terminated` (SIGINT already raises
    :class:`KeyboardInterrupt`), so ``finally`` blocks and context managers run: temporary
    files are removed and worker pools shut down. Only in the main thread, and only when
    SIGTERM has its default action (a handler installed by the caller is kept)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

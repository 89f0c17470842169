"""Size and memory budgets: refuse a computation before it exhausts the machine.

Exact methods can blow up (a compiled map's monomials, the pairs of a
tropical product, the regions of an enumeration). Before each large step the
algorithms call :func:`check_size` with the size they are about to create,
and :func:`check_memory` as they go; both raise
:class:`~tropnet.errors.TooLargeError` with a message naming a cheaper
method. :func:`forced` lifts the budgets (the CLI's ``--force``).

Budgets: ``MAX_ITEMS`` items per step, and the process may use at most
``MEMORY_FRACTION`` of the memory that was available when it started
(``MemAvailable`` of ``/proc/meminfo`` plus its own resident size).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

from .errors import TooLargeError

__all__ = ["MAX_ITEMS", "MEMORY_FRACTION", "check_memory", "check_size", "forced",
           "memory_budget"]

MAX_ITEMS = 4_000_000
MEMORY_FRACTION = 0.8

_forced: contextvars.ContextVar[bool] = contextvars.ContextVar("tropnet_forced", default=False)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@contextlib.contextmanager
def forced(active: bool = True) -> Iterator[None]:
    """Within this block the budgets are not enforced (``active=False``: no change, so an
    enclosing ``forced()`` still holds)."""
    token = _forced.set(active or _forced.get())
    try:
        yield
    finally:
        _forced.reset(token)


def _rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


_START_BUDGET: int | None = None


def memory_budget() -> int | None:
    """Bytes this process may use (``None`` when the platform does not say)."""
    global _START_BUDGET
    if _START_BUDGET is None:
        avail = _available()
        if avail is None:
            return None
        _START_BUDGET = int((avail + _rss()) * MEMORY_FRACTION)
    return _START_BUDGET


def check_size(count: int, what: str, cheaper: str, limit: int = MAX_ITEMS) -> None:
    """Refuse to create ``count`` items (``what``) when above ``limit``."""
    if count > limit and not _forced.get():
        raise TooLargeError(f"{what} needs {count:,} items, above the budget of {limit:,}; "
                            f"{cheaper}, or pass --force (force=True) to try anyway")


def check_memory(what: str, cheaper: str) -> None:
    """Refuse to go on when the process already uses its memory budget."""
    if _forced.get():
        return
    budget = memory_budget()
    if budget is not None and _rss() > budget:
        raise TooLargeError(f"{what} stopped at {_rss() / 2**30:.1f} GB, the memory budget "
                            f"({budget / 2**30:.1f} GB); {cheaper}, or pass --force to try "
                            f"anyway")

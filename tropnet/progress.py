"""How far a long computation has come, as it goes.

The algorithms call :func:`step` at natural points (a region split, a cell of a
refinement found, a group of cells glued, a sub-problem solved); whoever listens gets a
:class:`Step`. The CLI's progress bar listens (:func:`listening`), so does any caller::

    >>> from tropnet import Network, activation_regions
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> seen = []
    >>> with listening(seen.append):
    ...     _ = activation_regions(net)
    >>> seen[0].phase
    'layer 1 of 2'

Without a listener a call costs one context-variable lookup. The callbacks are not
throttled: a listener that draws should draw at its own pace (the CLI's bar does).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Step", "active", "listening", "step", "tracked"]

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One report: ``done`` of ``total`` (``None``: unknown) ``unit`` in ``phase``.

    Attributes
    ----------
    phase : str
        What runs (``"layer 2 of 3"``, ``"gluing"``, ``"refining cells"``).
    done : int
        How much of it is done.
    total : int or None, default None
        How much there is, when known.
    unit : str, default ""
        What ``done`` counts (``"regions"``, ``"maps"``).
    detail : str, default ""
        Other counts so far (``"5,548 found, 1,204 LPs"``).
    """

    phase: str
    done: int
    total: int | None = None
    unit: str = ""
    detail: str = ""


_listeners: contextvars.ContextVar[tuple[Callable[[Step], None], ...]] = \
    contextvars.ContextVar("tropnet_progress", default=())


def step(phase: str, done: int, total: int | None = None, unit: str = "",
         detail: str = "") -> None:
    """Report progress to the listeners of :func:`listening` (no effect without one).

    Parameters
    ----------
    phase : str
        What runs.
    done : int
        How much of it is done.
    total : int or None, default None
        How much there is, when known.
    unit : str, default ""
        What ``done`` counts.
    detail : str, default ""
        Other counts so far.
    """
    listeners = _listeners.get()
    if listeners:
        report = Step(phase, done, total, unit, detail)
        for listener in listeners:
            listener(report)


def tracked(items: Sequence[T], phase: str, unit: str = "", every: int = 64,
            detail: Callable[[], str] | None = None) -> Iterator[T]:
    """The items in order, reporting ``step(phase, k, len(items), unit, detail())`` before
    every ``every``-th one (``detail`` is called only when somebody listens).

    Parameters
    ----------
    items : sequence
        What the loop goes through.
    phase : str
        What runs.
    unit : str, default ""
        What an item is.
    every : int, default 64
        Report before items ``0, every, 2 every, ...``.
    detail : callable or None, default None
        Other counts so far, as a string.
    """
    total = len(items)
    for k, item in enumerate(items):
        if k % every == 0 and active():
            step(phase, k, total, unit, detail() if detail is not None else "")
        yield item


def active() -> bool:
    """Somebody listens (to skip building a costly ``detail``)."""
    return bool(_listeners.get())


@contextlib.contextmanager
def listening(listener: Callable[[Step], None]) -> Iterator[None]:
    """Call ``listener`` with every :class:`Step` reported inside the block (in this thread
    or context).

    Parameters
    ----------
    listener : callable
        Called with each `Step`.
    """
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)

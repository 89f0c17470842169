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
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Step", "active", "listening", "step"]


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
        What ``done`` counts (``"regions split"``, ``"groups"``).
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

"""Size, memory and time budgets: refuse a computation before it exhausts the machine,
and stop one at a deadline with what is known so far.

Exact methods can blow up (a compiled map's monomials, the pairs of a
tropical product, the regions of an enumeration). Before each large step the
algorithms call :func:`check_size` with the size they are about to create,
and :func:`check_memory` as they go; both raise
:class:`~tropnet.errors.TooLargeError` with a message naming a cheaper
method. :func:`forced` lifts the budgets (the CLI's ``--force``).
:func:`check_estimate` refuses a job whose *estimated* time or memory is over
the budget, before it starts, naming the estimate and the options.

Budgets: ``MAX_ITEMS`` items per step; ``TIME_BUDGET`` seconds of estimated
work; and the process may hold at most ``MEMORY_FRACTION`` of the memory it
could reach when it started: its own resident size plus the least of the
available memory (``MemAvailable`` of ``/proc/meminfo``), the room left in its
control group (cgroup v2 ``memory.max - memory.current``, or v1
``memory.limit_in_bytes - memory.usage_in_bytes``) and the address space left
under ``RLIMIT_AS``.

Deadlines. Within ``with deadline(seconds):`` every :func:`check_size` and
:func:`check_memory` call is also a *checkpoint*: once the time is up it raises
:class:`TimeLimitReached`, carrying what the computation recorded with
:func:`note` (or passed as ``partial``) — a lower bound, the layers done.
Code with no checkpoint in a long loop is stopped, in the main thread, by the
``alarm=True`` fallback (``SIGALRM`` a little after the deadline), which raises
the same exception wherever Python code runs next; the CLI's ``--time-limit``
uses it, the library does not.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .errors import TooLargeError, TropnetError

__all__ = ["ALARM_GRACE", "MAX_ITEMS", "MEMORY_FRACTION", "TIME_BUDGET", "TimeLimitReached",
           "check_estimate", "check_memory", "check_size", "check_time", "deadline", "forced",
           "format_bytes", "format_seconds", "is_forced", "memory_budget", "memory_room",
           "note", "note_lower_bound", "remaining"]

MAX_ITEMS = 4_000_000
MEMORY_FRACTION = 0.8
#: seconds of *estimated* work a job may take without ``--force`` or ``--time-limit``
TIME_BUDGET = 60.0
#: seconds after the deadline at which the ``alarm=True`` fallback interrupts code that
#: has no checkpoint
ALARM_GRACE = 1.0

_forced: contextvars.ContextVar[bool] = contextvars.ContextVar("tropnet_forced", default=False)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: where the control-group files are read (module constants, so that tests can point
#: them at a fake tree)
PROC_CGROUP = "/proc/self/cgroup"
CGROUP_ROOT = "/sys/fs/cgroup"
_NO_LIMIT = 2**60  # cgroup v1 writes "no limit" as a huge number


class TimeLimitReached(TropnetError):
    """The deadline passed and the computation stopped. ``partial`` holds what was known
    (e.g. ``{"lower_bound": 1234, "lower_bound_of": "activation regions"}``): never the
    answer; ``limit`` the deadline in seconds, ``elapsed`` the seconds spent.

    Parameters
    ----------
    message : str
        The error message.
    partial : mapping or None, default None
        What was known when the computation stopped.
    limit : float or None, default None
        The deadline in seconds.
    elapsed : float or None, default None
        The seconds spent.
    """

    def __init__(self, message: str, partial: Mapping[str, Any] | None = None,
                 limit: float | None = None, elapsed: float | None = None) -> None:
        super().__init__(message)
        self.partial = dict(partial or {})
        self.limit = limit
        self.elapsed = elapsed


@contextlib.contextmanager
def forced(active: bool = True) -> Iterator[None]:
    """Within this block the budgets are not enforced (``active=False``: no change, so an
    enclosing ``forced()`` still holds).

    Parameters
    ----------
    active : bool, default True
        Lift the budgets; ``False`` changes nothing.
    """
    token = _forced.set(active or _forced.get())
    try:
        yield
    finally:
        _forced.reset(token)


def is_forced() -> bool:
    """Whether the budgets are lifted here (inside ``forced()``)."""
    return _forced.get()


# -- memory --------------------------------------------------------------------------------

def _statm(field: int) -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[field]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _rss() -> int:
    return _statm(1)


def _available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return None if value >= _NO_LIMIT else value


def _cgroup_room() -> int | None:
    """Bytes the process's control group may still allocate (cgroup v2 or v1; the least
    over the group's folder and the mount's root, which is the group inside a container),
    or None when no limit is set."""
    try:
        with open(PROC_CGROUP) as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # v2: one unified hierarchy
            dirs = [CGROUP_ROOT + path, CGROUP_ROOT, f"{CGROUP_ROOT}/unified{path}"]
            files = ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            dirs = [f"{CGROUP_ROOT}/memory{path}", f"{CGROUP_ROOT}/memory"]
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        for d in dirs:
            limit = _read_int(os.path.join(d, files[0]))
            if limit is not None:
                used = _read_int(os.path.join(d, files[1])) or 0
                rooms.append(max(limit - used, 0))
    return min(rooms) if rooms else None


def _address_room() -> int | None:
    """Bytes of address space left under ``RLIMIT_AS`` (None: no limit)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    return max(soft - _statm(0), 0)


_START_BUDGET: int | None = None


def memory_budget() -> int | None:
    """Bytes of resident memory this process may reach (``None`` when the platform does not
    say): ``MEMORY_FRACTION`` of its resident size plus the least room, when it first asks,
    among the available memory, its cgroup's limit and ``RLIMIT_AS``."""
    global _START_BUDGET
    if _START_BUDGET is None:
        rooms = [r for r in (_available(), _cgroup_room(), _address_room()) if r is not None]
        if not rooms:
            return None
        _START_BUDGET = int((min(rooms) + _rss()) * MEMORY_FRACTION)
    return _START_BUDGET


def memory_room() -> int | None:
    """Bytes the process may still add to its resident size within :func:`memory_budget`."""
    budget = memory_budget()
    return None if budget is None else max(budget - _rss(), 0)


# -- deadlines -----------------------------------------------------------------------------

class _Deadline:
    """A running deadline: its end on the monotonic clock and what is known so far."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()
        self.end = self.start + seconds
        self.known: dict[str, Any] = {}

    def expired(self, what: str, partial: Any = None) -> TimeLimitReached:
        known = dict(self.known)
        extra = partial() if callable(partial) else partial
        if extra:
            known.update(extra)
        elapsed = time.monotonic() - self.start
        return TimeLimitReached(f"{what} stopped at the time limit of "
                                f"{format_seconds(self.seconds)}", known, self.seconds,
                                elapsed)


_deadlines: contextvars.ContextVar[tuple[_Deadline, ...]] = contextvars.ContextVar(
    "tropnet_deadlines", default=())


@contextlib.contextmanager
def deadline(seconds: float | None, *, alarm: bool = False) -> Iterator[None]:
    """Within this block, the checkpoints (:func:`check_time`, and so :func:`check_size` and
    :func:`check_memory`) raise :class:`TimeLimitReached` once ``seconds`` have passed
    (``None``: no deadline). With ``alarm=True``, in the main thread, ``SIGALRM``
    :data:`ALARM_GRACE` seconds after the deadline raises it too, for code without
    checkpoints (it interrupts Python code, not a running C call). Deadlines nest: the
    earliest one applies.

    Parameters
    ----------
    seconds : float or None
        The time limit, positive; ``None``: no deadline.
    alarm : bool, default False
        Also arm ``SIGALRM`` (main thread only).
    """
    if seconds is None:
        yield
        return
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
        raise TropnetError(f"the time limit must be a positive number of seconds, got "
                           f"{seconds!r}")
    state = _Deadline(float(seconds))
    token = _deadlines.set((*_deadlines.get(), state))
    armed = alarm and threading.current_thread() is threading.main_thread() and \
        hasattr(signal, "setitimer")
    if armed:
        def _ring(signum: int, frame: Any) -> None:
            raise state.expired("the computation")

        old_handler = signal.signal(signal.SIGALRM, _ring)
        old_timer = signal.setitimer(signal.ITIMER_REAL, seconds + ALARM_GRACE)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
            if old_timer[0] > 0:  # an enclosing alarm: re-arm it with what is left
                left = old_timer[0] - (time.monotonic() - state.start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
        _deadlines.reset(token)


def remaining() -> float | None:
    """Seconds left before the earliest deadline (``None``: no deadline)."""
    states = _deadlines.get()
    if not states:
        return None
    return min(s.end for s in states) - time.monotonic()


def note(**known: Any) -> None:
    """Record what is known so far (``lower_bound=...``, ``layers_done=...``): attached to
    the :class:`TimeLimitReached` of the enclosing deadlines. No effect without one.

    Parameters
    ----------
    **known : object
        The facts to record, by name.
    """
    for s in _deadlines.get():
        s.known.update(known)


def note_lower_bound(value: Any, of: str) -> None:
    """Record ``value`` as the ``lower_bound`` of ``of``, unless a larger one of the same
    quantity is known (the bound is always reported with what it bounds).

    Parameters
    ----------
    value : int
        The lower bound.
    of : str
        What it bounds (``"activation regions"``, ...).
    """
    for s in _deadlines.get():
        old = s.known.get("lower_bound")
        if old is None or s.known.get("lower_bound_of") != of or value > old:
            s.known.update(lower_bound=value, lower_bound_of=of)


def check_time(what: str = "the computation", partial: Any = None) -> None:
    """A checkpoint: raise :class:`TimeLimitReached` when a deadline has passed.
    ``partial``: a mapping (or a function returning one) of what is known, added to the
    notes.

    Parameters
    ----------
    what : str, default "the computation"
        What is running, named in the error.
    partial : mapping, callable or None, default None
        What is known so far (or a function returning it).
    """
    states = _deadlines.get()
    if not states:
        return
    now = time.monotonic()
    for s in states:
        if now >= s.end:
            raise s.expired(what, partial)


# -- checks --------------------------------------------------------------------------------

def check_size(count: int, what: str, cheaper: str, limit: int = MAX_ITEMS, *,
               partial: Any = None) -> None:
    """Refuse to create ``count`` items (``what``) when above ``limit``; also a checkpoint
    of :func:`deadline`.

    Parameters
    ----------
    count : int
        The number of items about to be created.
    what : str
        What they are, named in the error.
    cheaper : str
        A cheaper alternative, named in the error.
    limit : int, default MAX_ITEMS
        The budget.
    partial : mapping, callable or None, default None
        What is known so far (see `check_time`).
    """
    check_time(what, partial)
    if count > limit and not _forced.get():
        raise TooLargeError(f"{what} needs {count:,} items, above the budget of {limit:,}; "
                            f"{cheaper}, or pass --force (force=True) to try anyway")


def check_memory(what: str, cheaper: str, *, partial: Any = None) -> None:
    """Refuse to go on when the process already uses its memory budget; also a checkpoint
    of :func:`deadline` (``partial``: what is known so far, see :func:`check_time`).

    Parameters
    ----------
    what : str
        What is running, named in the error.
    cheaper : str
        A cheaper alternative, named in the error.
    partial : mapping, callable or None, default None
        What is known so far (see `check_time`).
    """
    check_time(what, partial)
    if _forced.get():
        return
    budget = memory_budget()
    if budget is not None and _rss() > budget:
        raise TooLargeError(f"{what} stopped at {_rss() / 2**30:.1f} GB, the memory budget "
                            f"({budget / 2**30:.1f} GB); {cheaper}, or pass --force to try "
                            f"anyway")


def check_estimate(what: str, estimate: str, seconds: float | None = None,
                   nbytes: float | None = None, options: Sequence[str] = (),
                   budget: float | None = None, tried: float | None = None) -> None:
    """Refuse a job *before* it starts when its estimated time (``seconds``) is over
    ``budget`` (default :data:`TIME_BUDGET`) or its estimated memory (``nbytes``) over the
    room left (:func:`memory_room`). Inside a :func:`deadline` nothing is refused: the
    deadline bounds the time, and :func:`check_memory` the memory as the job goes. The
    message gives ``estimate``, the time and memory, and the ``options`` (``--force`` and
    ``--time-limit`` are always named); ``tried``: the seconds of a trial run that did not
    finish, said in the message.

    Parameters
    ----------
    what : str
        The job, named in the error.
    estimate : str
        The estimate in words, put in the error message.
    seconds : float or None, default None
        The estimated time.
    nbytes : float or None, default None
        The estimated memory in bytes.
    options : sequence of str, default ()
        Cheaper options to name in the error.
    budget : float or None, default None
        The time budget; ``None`` is `TIME_BUDGET`.
    tried : float or None, default None
        The seconds of a trial run that did not finish.
    """
    if _forced.get() or remaining() is not None:
        return
    budget = TIME_BUDGET if budget is None else budget
    over = []
    if seconds is not None and seconds > budget:
        over.append(f"{_about(format_seconds(seconds))}, over the time budget of "
                    f"{format_seconds(budget)}")
    room = memory_room()
    if nbytes is not None and room is not None and nbytes > room:
        over.append(f"{_about(format_bytes(nbytes))} of memory, over the "
                    f"{format_bytes(room)} left")
    if not over:
        return
    choices = [*options, "--force to run anyway",
               "--time-limit SECONDS to stop with a partial result (a lower bound)"]
    trial = f" (a {format_seconds(tried)} trial run did not finish)" if tried else ""
    raise TooLargeError(f"{what}: {estimate}; estimated {' and '.join(over)}{trial}. "
                        f"Options: " + "; ".join(choices))


# -- formatting ----------------------------------------------------------------------------

def _about(text: str) -> str:
    return text if text.startswith("more") else f"about {text}"


def format_seconds(seconds: float) -> str:
    """``12 s``, ``3.5 min``, ``2.1 h``, ``4.0 days``, ``1e+09 years`` (infinity: ``more than
    float64 counts``).

    Parameters
    ----------
    seconds : float
        A duration in seconds.
    """
    if not math.isfinite(seconds):
        return "more than float64 counts"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600),
                       ("min", 60)):
        if seconds >= 2 * size:
            value = seconds / size
            return f"{value:.2g} {unit}" if value >= 1e4 else f"{value:.1f} {unit}"
    return f"{seconds:.3g} s"


def format_bytes(nbytes: float) -> str:
    """``512 MB``, ``3.2 GB``, ``1e+12 TB``.

    Parameters
    ----------
    nbytes : float
        A size in bytes.
    """
    if not math.isfinite(nbytes):
        return "more than float64 counts"
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if nbytes >= size:
            value = nbytes / size
            return f"{value:.2g} {unit}" if value >= 1e4 else f"{value:.1f} {unit}"
    return f"{nbytes / 1024:.0f} KB"

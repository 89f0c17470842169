"""Region enumeration on many cores or machines, with Dask distributed.

The depth-first exploration of :mod:`tropnet.engines.stream` is cut into tasks the way
mplrs cuts reverse search, with work that is cheap to ship:

* the driver cuts the domain into *pieces* (:meth:`Explorer.pieces`, about
  :data:`PIECES_PER_WORKER` per worker, largest first by an estimate of their work): the
  cells of the arrangement of a few first-layer hyperplanes, each shipped as its sign
  vector (a few bytes); a worker rebuilds a piece (one small polyhedron) and explores its
  whole subtree in one task. The first layer -- one node of the tree, the widest split --
  is then explored in parallel too, and nothing but counts (or the regions found) comes
  back;
* when the domain is not cut (one piece), a task explores depth first up to a node
  budget and returns what it found (a count, its regions, or its part of the gluing data)
  with its unexplored frontier, which the driver queues; the budget adapts so that a task
  lasts about :data:`TARGET_SECONDS`, and tasks finish their subtrees once the queue holds
  :data:`LONG_QUEUE` nodes per worker (frontier nodes carry their cone and map).

The network is sent to every worker once (``scatter(broadcast=True)``); each worker keeps
one walk per run.

Subtrees of distinct nodes (and pieces) are disjoint, so the driver counts every task once,
by the patterns of its nodes and the sign vectors of its pieces: a task that Dask runs again
after a worker died cannot count twice.
The driver holds the frontier, the counts and (linear regions) the union-find, nothing
else; each worker holds one subtree.

Dask is imported inside the functions of this module only: the serial path never starts a
cluster, and ``import tropnet`` does not import dask.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from ..arithmetic import Arithmetic
from ..domain import Domain
from ..errors import TropnetError
from ..limits import check_memory, check_time, note
from ..network import Network
from .batch import FirstLayer, batch_first_layer, batch_piece_count
from .enumerate import Walk, choose_engine
from .result import Region, RegionSet
from .stream import (
    ActivationLeaves,
    Explorer,
    LinearUnion,
    Node,
    Piece,
    StreamProgress,
    StreamSummary,
    activation_info,
    linear_info,
    pattern_key,
    region_line,
)

#: pieces per worker of a batch-engine count: few and large (each split costs a fixed number
#: of numpy calls, whatever the number of regions it splits)
BATCH_PIECES_PER_WORKER = 4

#: a unit of work: ``("piece", piece)`` or ``("node", node)``
Work = tuple[str, Piece | Node]

__all__ = ["TARGET_SECONDS", "TaskStats", "cluster", "parallel_activation_regions",
           "parallel_stream"]

#: the running time a task aims at (seconds): long against Dask's per-task overhead
#: (about a millisecond), short enough to keep every worker busy
TARGET_SECONDS = 0.5
#: the node budget of the first tasks, and its bounds
FIRST_BUDGET, MIN_BUDGET, MAX_BUDGET = 64, 8, 1 << 22
#: tasks in flight per worker
IN_FLIGHT = 2
#: queued pieces or nodes per worker from which tasks get no budget (they finish their
#: subtrees)
LONG_QUEUE = 8
#: pieces of the domain per worker (:meth:`Explorer.pieces`)
PIECES_PER_WORKER = 32
#: seconds to wait for a scheduler to answer
CONNECT_SECONDS = 5
#: the Dask configuration of the workers of a local cluster: no statistical profiler (it
#: samples the task's stack every 10 ms, about 2 % of the task time here); arrays of up to
#: 256 MB from the heap: the nanny sets glibc's MALLOC_TRIM_THRESHOLD_, which also fixes the
#: mmap threshold at 128 kB, and every larger numpy temporary then costs fresh pages (the
#: batch engine ran 1.9x slower on a worker than in a plain process)
QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                 "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 1 << 28}


@dataclass(frozen=True)
class _Spec:
    """What every task of one run shares (scattered once to every worker)."""

    token: str
    net: Network
    dom: Domain
    arith: Arithmetic
    engine: str
    kind: str
    collect: str  # "count", "regions" or "lines"


@dataclass
class TaskStats:
    """The tasks of a parallel run: how many, their total and mean running time on the
    workers, and the driver's wall time; ``overhead`` is the share of worker time not
    spent in tasks (scheduling, transfers, idling), ``1 - busy / (wall * workers)``.

    Attributes
    ----------
    tasks : int, default 0
        Tasks counted (a result already counted is not).
    busy : float, default 0.0
        Seconds the workers spent in the counted tasks.
    wall : float, default 0.0
        The driver's wall seconds while the cluster ran.
    workers : int, default 1
        Workers of the cluster.
    nodes : int, default 0
        Nodes of the pattern tree explored.
    pieces : int, default 0
        Pieces the domain was cut into (:meth:`~tropnet.engines.stream.Explorer.pieces`).
    shipped : int, default 0
        Frontier nodes returned by tasks and queued again.
    resubmitted : int, default 0
        Results of work already counted (a task Dask ran again), dropped.
    budgets : list of int, default []
        The node budget set after each task.
    """

    tasks: int = 0
    busy: float = 0.0
    wall: float = 0.0
    workers: int = 1
    nodes: int = 0
    pieces: int = 0
    shipped: int = 0
    resubmitted: int = 0
    budgets: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The statistics as a JSON-ready dict (the ``info["parallel"]`` of a run): counts,
        mean and total task seconds, wall seconds and ``overhead``."""
        mean = self.busy / self.tasks if self.tasks else 0.0
        overhead = 1 - self.busy / (self.wall * self.workers) if self.wall > 0 else 0.0
        return {"tasks": self.tasks, "workers": self.workers, "nodes": self.nodes,
                "pieces": self.pieces, "shipped_nodes": self.shipped,
                "mean_task_seconds": round(mean, 4), "task_seconds": round(self.busy, 3),
                "wall_seconds": round(self.wall, 3), "overhead": round(overhead, 4)}


# -- the cluster ------------------------------------------------------------------------------
@contextmanager
def cluster(workers: int | None = None, scheduler: Any = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: on a new LocalCluster of ``workers`` single-threaded
    worker processes (closed on leaving, also on errors and Ctrl-C), on the scheduler at
    the address ``scheduler`` (``"tcp://host:8786"``), or ``scheduler`` itself when it is a
    Client (left open).

    Parameters
    ----------
    workers : int or None, default None
        Worker processes of a new local cluster.
    scheduler : str, Client or None, default None
        A scheduler address or a ``dask.distributed.Client``; not with ``workers``.

    Yields
    ------
    Client
        The ``dask.distributed.Client``.

    Raises
    ------
    TropnetError
        When dask is missing, both or neither of ``workers`` and ``scheduler`` are given,
        ``workers`` is not positive, or no scheduler answers.
    """
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise TropnetError("parallel enumeration needs dask[distributed] (pip install "
                           "'dask[distributed]')") from exc
    if scheduler is not None and workers is not None:
        raise TropnetError("give workers (a local cluster) or scheduler (an existing one), "
                           "not both")
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except OSError as exc:
            raise TropnetError(f"no Dask scheduler answers at {scheduler} ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers is None or int(workers) < 1:
        raise TropnetError(f"workers must be a positive integer, not {workers!r}")
    # the workers log nothing below CRITICAL: a task's error reaches the driver through its
    # future, and a Ctrl-C that cuts a transfer of results would print a traceback
    with _sigint_ignored(), dask.config.set(QUIET_WORKERS):
        local = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        client = Client(local)
        try:
            yield client
        finally:
            client.close()
    finally:
        local.close()


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a LocalCluster starts (in the main thread): its worker processes
    inherit the "ignore", so a Ctrl-C in the terminal reaches tropnet only, which then closes
    them; and a start is not cut half-way (Dask cannot close a half-started cluster
    cleanly). A Ctrl-C during the start (a second or two) is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


# -- the worker side -------------------------------------------------------------------------
_EXPLORERS: dict[str, Explorer] = {}


def _explorer(spec: _Spec) -> Explorer:
    ex = _EXPLORERS.get(spec.token)
    if ex is None:
        _EXPLORERS.clear()  # one run at a time per worker
        ex = _EXPLORERS[spec.token] = Explorer(spec.net, spec.dom, spec.arith, spec.engine,
                                               spec.kind)
    return ex


def _task(spec: _Spec, work: list[Work], budget: int | None) -> dict:
    """Explore ``work`` (pieces and nodes) depth first for up to ``budget`` nodes (on a
    worker)."""
    start = time.perf_counter()
    ex = _explorer(spec)
    before = ex.walk.fallbacks
    stack = [node for what, unit in reversed(work)
             for node in (reversed(ex.piece_nodes(unit)) if what == "piece" else (unit,))]
    out: dict[str, Any] = {}
    if spec.kind == "linear":
        glued: list[tuple[bytes, list[bytes]]] = []
        done = ex.explore(stack, lambda item: glued.append(
            (pattern_key(item.pats), ex.same_map_neighbours(item))), budget)
        out["glued"] = glued
    else:
        found: list[Any] = []
        sink = None if spec.collect == "count" else (
            found.append if spec.collect == "regions" else
            (lambda r: found.append(region_line(r))))
        leaves = ActivationLeaves(ex, sink)
        done = ex.explore(stack, leaves, budget,
                          count=leaves.add if spec.collect == "count" else None)
        leaves.flush()
        out.update(count=leaves.count, moved=leaves.moved, dropped=leaves.dropped,
                   found=found)
    out.update(frontier=[("node", node) for node in reversed(stack)], nodes=done,
               fallbacks=ex.walk.fallbacks - before, depth=ex.depth,
               seconds=time.perf_counter() - start)
    return out


def _workers(client: Any) -> int:
    """The workers of the client's cluster (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def _checkpoint(known: dict) -> None:
    """Note what is known so far, and stop at a time limit or the memory budget."""
    note(**known)
    check_time("enumerating regions in parallel", known)
    check_memory("enumerating regions in parallel", "count on a smaller box", partial=known)


def _batch_task(head: FirstLayer, piece: Any, arith: Arithmetic) -> dict:
    """Count the activation regions inside one first-layer piece with the batch engine (on a
    worker)."""
    start = time.perf_counter()
    plan = head.plan
    count, fallbacks = batch_piece_count(replace(head, pieces=(piece,)), 0, arith,
                                         lambda: Walk(plan.net, plan.dom, arith, "vertex"))
    return {"count": count, "fallbacks": fallbacks, "seconds": time.perf_counter() - start}


def _batch_stream(client: Any, net: Network, dom: Domain, arith: Arithmetic,
                  progress: Callable[[StreamProgress], None] | None,
                  stats: TaskStats) -> StreamSummary | None:
    """A count by the batch engine: the first layer on the driver, its regions in pieces
    (:data:`BATCH_PIECES_PER_WORKER` per worker), one task each; ``None`` when the first
    layer is degenerate (:func:`~tropnet.engines.batch.batch_first_layer`)."""
    from dask.distributed import as_completed

    start = time.perf_counter()
    stats.workers = _workers(client)
    first = batch_first_layer(net, dom, arith, lambda: Walk(net, dom, arith, "vertex"),
                              BATCH_PIECES_PER_WORKER * stats.workers)
    if first is None:
        return None
    count, fallbacks = first.counted, first.fallbacks
    stats.pieces = len(first.pieces)
    head = client.scatter(replace(first, pieces=()), broadcast=True, hash=False)
    futures = [client.submit(_batch_task, head, piece, arith, pure=False)
               for piece in first.pieces]
    for fut in as_completed(futures):
        res = fut.result()
        fut.release()
        count += res["count"]
        fallbacks += res["fallbacks"]
        stats.tasks += 1
        stats.busy += res["seconds"]
        _checkpoint({"lower_bound": count, "lower_bound_of": "activation regions"})
        if progress is not None:
            progress(StreamProgress(count, len(net.layers), len(net.layers),
                                    len(futures) - stats.tasks,
                                    time.perf_counter() - start, stats.tasks))
    stats.wall = time.perf_counter() - start
    return StreamSummary(count, dom, arith, "batch",
                         {**activation_info(arith, fallbacks, 0, 0), "parallel": stats.to_dict()})


# -- the driver ------------------------------------------------------------------------------
def parallel_stream(net: Network, dom: Domain, arith: Arithmetic, engine: str = "auto",
                    kind: str = "activation", *, workers: int | None = None,
                    scheduler: Any = None, sink: Callable[[Any], None] | None = None,
                    collect: str = "count",
                    progress: Callable[[StreamProgress], None] | None = None,
                    stats: TaskStats | None = None) -> StreamSummary:
    """The regions of ``kind`` of ``net`` on ``dom`` by depth-first tasks on a Dask cluster
    (:func:`cluster`): the count of the serial stream, and with ``collect="regions"``
    (activation regions: each :class:`~tropnet.Region` to ``sink``) or ``"lines"`` (each
    line of a region file to ``sink``) the same regions, in another order.

    ``progress`` gets a :class:`~tropnet.engines.stream.StreamProgress` after every task;
    ``stats`` (a :class:`TaskStats`) is filled with the task count and times.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic of the run.
    engine : str, default "auto"
        The walk's engine, as in :class:`~tropnet.engines.stream.Explorer` (``"auto"``
        never takes the planar engine; ``"planar"`` walks with the vertex engine).
    kind : {"activation", "linear"}, default "activation"
        The regions; linear regions (facet connectivity) are counted only.
    workers : int or None, default None
        Worker processes of a new local cluster (:func:`cluster`).
    scheduler : str, Client or None, default None
        A scheduler address or client to run on instead (:func:`cluster`).
    sink : callable or None, default None
        Called with each region (``collect="regions"``) or region-file line
        (``collect="lines"``).
    collect : {"count", "regions", "lines"}, default "count"
        What the tasks send back besides the count.
    progress : callable or None, default None
        Called with a :class:`~tropnet.engines.stream.StreamProgress`.
    stats : TaskStats or None, default None
        Filled with the statistics of the tasks.

    Returns
    -------
    StreamSummary
        The count; ``info["parallel"]`` is ``stats.to_dict()``.

    Raises
    ------
    TropnetError
        For linear regions with ``collect`` other than ``"count"``, and as
        :func:`cluster` and :class:`~tropnet.engines.stream.Explorer`.
    """
    if kind == "linear" and collect != "count":
        raise TropnetError("streamed linear regions are counted, not listed")
    stats = stats if stats is not None else TaskStats()
    batch = kind == "activation" and collect == "count" and \
        choose_engine(engine, dom, net, arith) == "batch"
    here = Explorer(net, dom, arith, engine, kind)  # checks the options, gives the root
    spec = _Spec(uuid.uuid4().hex, net, dom, arith, engine, kind, collect)
    union = LinearUnion() if kind == "linear" else None
    count = moved = dropped = fallbacks = depth = 0
    start = time.perf_counter()
    with cluster(workers, scheduler) as client:
        from dask.distributed import as_completed

        done = _batch_stream(client, net, dom, arith, progress, stats) if batch else None
        if done is not None:
            return done
        nworkers = stats.workers = _workers(client)
        shared = client.scatter(spec, broadcast=True, hash=False)
        queue: list[Work] = [("piece", p) for p in
                             reversed(here.pieces(PIECES_PER_WORKER * nworkers))]
        stats.pieces = len(queue)
        cut = len(queue) > 1
        seen: set[bytes] = set()
        budget = FIRST_BUDGET
        running = as_completed()

        running_keys: dict[str, bytes] = {}

        def add(work: list[Work], whole: bool) -> None:
            key = b"|".join(_work_key(unit) for unit in work)
            fut = client.submit(_task, shared, work, None if whole else budget, pure=False)
            running_keys[fut.key] = key
            running.add(fut)

        def fill() -> None:
            free = IN_FLIGHT * nworkers - running.count()
            while queue and free > 0:
                if cut and queue[-1][0] == "piece":  # one piece, its whole subtree
                    add([queue.pop()], True)
                else:
                    whole = len(queue) >= LONG_QUEUE * nworkers
                    share = max(1, -(-len(queue) // (free * 4)))
                    add([queue.pop() for _ in range(min(share, len(queue)))], whole)
                free -= 1

        fill()
        for fut in running:
            key = running_keys.pop(fut.key)
            res = fut.result()
            fut.release()
            if key in seen:  # pragma: no cover - a task counted already
                stats.resubmitted += 1
                continue
            seen.add(key)
            stats.tasks += 1
            stats.busy += res["seconds"]
            stats.nodes += res["nodes"]
            fallbacks += res["fallbacks"]
            depth = max(depth, res["depth"])
            if union is not None:
                for leaf, same in res["glued"]:
                    union.add(leaf, same)
                found = union.leaves
            else:
                count += res["count"]
                moved += res["moved"]
                dropped += res["dropped"]
                if sink is not None:
                    for item in res["found"]:
                        sink(item)
                found = count
            queue.extend(res["frontier"])
            stats.shipped += len(res["frontier"])
            # the next budget: about TARGET_SECONDS at this task's pace; small while the
            # queue cannot feed every worker, so that work is split early
            rate = res["nodes"] / max(res["seconds"], 1e-6)
            want = int(rate * TARGET_SECONDS)
            if len(queue) < nworkers:
                want = min(want, max(MIN_BUDGET, res["nodes"] // 4))
            budget = max(MIN_BUDGET, min(MAX_BUDGET, want))
            stats.budgets.append(budget)
            known = {"lower_bound": found, "lower_bound_of": "activation regions"} \
                if union is None else {"activation_regions_at_least": found}
            _checkpoint(known)
            if progress is not None:
                progress(StreamProgress(found, depth, len(net.layers), len(queue),
                                        time.perf_counter() - start, stats.tasks))
            fill()
        stats.wall = time.perf_counter() - start
    if union is not None:
        return StreamSummary(union.count(), dom, arith, here.walk.name,
                             {**linear_info(arith, union), "parallel": stats.to_dict()},
                             "linear")
    info = activation_info(arith, fallbacks, moved, dropped)
    return StreamSummary(count, dom, arith, here.walk.name,
                         {**info, "parallel": stats.to_dict()})


def _work_key(work: Work) -> bytes:
    """A key of a piece or node, equal for equal work (the driver's deduplication)."""
    what, unit = work
    if what == "piece":
        return b"p" + b"".join(u.to_bytes(4, "little") + bytes([side]) for u, side in unit)
    index, item = unit
    return b"n" + bytes([index % 256]) + pattern_key(item.pats)


def parallel_activation_regions(net: Network, dom: Domain, arith: Arithmetic,
                                engine: str = "auto", *, workers: int | None = None,
                                scheduler: Any = None) -> RegionSet:
    """The activation regions of ``net`` on ``dom`` found by parallel tasks
    (:func:`parallel_stream`), in one :class:`~tropnet.RegionSet` ordered by pattern: the
    regions of :func:`~tropnet.engines.enumerate.activation_regions`.

    Parameters
    ----------
    net : Network
        The network.
    dom : Domain
        The resolved domain.
    arith : Arithmetic
        The arithmetic of the run.
    engine : str, default "auto"
        The walk's engine, as in :func:`parallel_stream`.
    workers : int or None, default None
        Worker processes of a new local cluster (:func:`cluster`).
    scheduler : str, Client or None, default None
        A scheduler address or client to run on instead (:func:`cluster`).

    Returns
    -------
    RegionSet
        The activation regions; ``info["parallel"]`` holds the task statistics.
    """
    found: list[Region] = []
    summary = parallel_stream(net, dom, arith, engine, workers=workers, scheduler=scheduler,
                              sink=found.append, collect="regions")
    found.sort(key=lambda r: r.pattern)
    info = {k: v for k, v in summary.info.items() if k != "streamed"}
    return RegionSet("activation", tuple(found), dom, "enumerate", arith,
                     engine=summary.engine, info=info)
